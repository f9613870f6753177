//! The file sink: the embedded default when no Kafka is configured. Each request becomes
//! one line of OTLP/JSON (an `ExportTraceServiceRequest`) in `<dir>/spans.jsonl`. The file
//! rotates at `max_file_bytes` (`spans.jsonl.1` is the newest old one) and at most
//! `max_rotated_files` are kept, so a forgotten dev instance cannot fill the disk.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::otlp::Signal;
use crate::sink::{BoxFuture, RecordBatch, RecordKey, RecordLayout, Sink, SinkError, ValueEncoding};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// Directory for `spans.jsonl`. Default: `<data_dir>`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// `spans.jsonl` is rotated before a write would take it past this size.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Rotated files kept (`spans.jsonl.1` … `.N`); older ones are deleted. 0 keeps none.
    #[serde(default = "default_max_rotated_files")]
    pub max_rotated_files: u32,
}

fn default_max_file_bytes() -> u64 {
    256 * 1024 * 1024
}
fn default_max_rotated_files() -> u32 {
    3
}

impl Default for FileSinkConfig {
    fn default() -> Self {
        Self {
            dir: None,
            max_file_bytes: default_max_file_bytes(),
            max_rotated_files: default_max_rotated_files(),
        }
    }
}

/// The open file and how much it holds.
struct LineFile {
    path: PathBuf,
    writer: BufWriter<File>,
    len: u64,
    max_file_bytes: u64,
    max_rotated_files: u32,
}

impl LineFile {
    fn open(path: PathBuf, config: &FileSinkConfig) -> std::io::Result<LineFile> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let len = file.metadata()?.len();
        Ok(LineFile {
            path,
            writer: BufWriter::new(file),
            len,
            max_file_bytes: config.max_file_bytes.max(1),
            max_rotated_files: config.max_rotated_files,
        })
    }

    fn rotated(&self, n: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// A line larger than the limit still goes in, alone in its file: a sink never drops.
    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let size = line.len() as u64 + 1;
        if self.len > 0 && self.len + size > self.max_file_bytes {
            self.rotate()?;
        }
        self.writer.write_all(line)?;
        self.writer.write_all(b"\n")?;
        self.len += size;
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.writer.flush()?;
        if self.max_rotated_files == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(self.rotated(self.max_rotated_files));
            for n in (1..self.max_rotated_files).rev() {
                let from = self.rotated(n);
                if from.exists() {
                    std::fs::rename(&from, self.rotated(n + 1))?;
                }
            }
            std::fs::rename(&self.path, self.rotated(1))?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.writer = BufWriter::new(file);
        self.len = 0;
        tracing::info!(message = "file sink rotated", path = %self.path.display());
        Ok(())
    }
}

pub struct FileSink {
    dir: PathBuf,
    /// One file per signal (`Signal as usize`).
    files: [Arc<Mutex<LineFile>>; 3],
    layout: RecordLayout,
}

/// The file each signal's requests go to.
fn file_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "spans.jsonl",
        Signal::Logs => "logs.jsonl",
        Signal::Metrics => "metrics.jsonl",
    }
}

impl FileSink {
    pub fn open(dir: &Path, config: &FileSinkConfig) -> std::io::Result<FileSink> {
        std::fs::create_dir_all(dir)?;
        let open = |signal: Signal| -> std::io::Result<Arc<Mutex<LineFile>>> {
            Ok(Arc::new(Mutex::new(LineFile::open(
                dir.join(file_name(signal)),
                config,
            )?)))
        };
        Ok(FileSink {
            dir: dir.to_path_buf(),
            files: [open(Signal::Traces)?, open(Signal::Logs)?, open(Signal::Metrics)?],
            // One line per request; a line has no size limit worth splitting for.
            layout: RecordLayout {
                key: RecordKey::ProjectId,
                encoding: ValueEncoding::OtlpJson,
                max_record_bytes: usize::MAX,
            },
        })
    }

    /// Where a signal's requests are written.
    pub fn path(&self, signal: Signal) -> PathBuf {
        self.dir.join(file_name(signal))
    }
}

impl Sink for FileSink {
    fn layout(&self) -> &RecordLayout {
        &self.layout
    }

    fn publish(&self, batch: RecordBatch) -> BoxFuture<'_, Result<(), SinkError>> {
        let file = Arc::clone(&self.files[batch.headers.signal as usize]);
        Box::pin(async move {
            let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut file = file
                    .lock()
                    .map_err(|_| std::io::Error::other("file sink lock poisoned"))?;
                for record in &batch.records {
                    file.write_line(&record.value)?;
                }
                file.writer.flush()
            })
            .await;
            match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(SinkError::Unavailable(format!("file sink write failed: {error}"))),
                Err(error) => Err(SinkError::Unavailable(format!("file sink task failed: {error}"))),
            }
        })
    }

    fn is_ready(&self) -> bool {
        true
    }

    fn flush(&self, _timeout: Duration) -> BoxFuture<'_, ()> {
        let files = self.files.clone();
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(move || {
                for file in files {
                    let _ = file.lock().map(|mut f| f.writer.flush());
                }
            })
            .await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn rotates_at_the_size_limit_and_keeps_only_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let config = FileSinkConfig {
            dir: None,
            max_file_bytes: 25,
            max_rotated_files: 2,
        };
        let path = dir.path().join("spans.jsonl");
        let mut file = LineFile::open(path.clone(), &config).unwrap();
        for i in 0..7 {
            // 10 bytes a line with its newline: two lines per file.
            file.write_line(format!("line-{i:04}").as_bytes()).unwrap();
        }
        file.writer.flush().unwrap();
        assert_eq!(lines(&path), ["line-0006"]);
        assert_eq!(lines(&dir.path().join("spans.jsonl.1")), ["line-0004", "line-0005"]);
        assert_eq!(lines(&dir.path().join("spans.jsonl.2")), ["line-0002", "line-0003"]);
        assert!(!dir.path().join("spans.jsonl.3").exists(), "older files are deleted");

        // Reopening counts what the file already holds.
        drop(file);
        let mut file = LineFile::open(path.clone(), &config).unwrap();
        file.write_line(b"line-0007").unwrap();
        file.write_line(b"a line longer than the whole limit").unwrap();
        file.writer.flush().unwrap();
        assert_eq!(lines(&path), ["a line longer than the whole limit"]);
        assert_eq!(lines(&dir.path().join("spans.jsonl.1")), ["line-0006", "line-0007"]);
    }

    #[tokio::test]
    async fn each_signal_goes_to_its_own_file() {
        use crate::sink::{Record, RecordBatch, RecordHeaders};
        let dir = tempfile::tempdir().unwrap();
        let sink = FileSink::open(dir.path(), &FileSinkConfig::default()).unwrap();
        for (signal, line) in [
            (Signal::Logs, "a-log"),
            (Signal::Metrics, "a-metric"),
            (Signal::Logs, "b-log"),
        ] {
            let batch = RecordBatch {
                records: vec![Record {
                    key: "k".into(),
                    value: line.as_bytes().to_vec(),
                    item_count: 1,
                }],
                headers: std::sync::Arc::new(RecordHeaders {
                    signal,
                    project_id: "p".into(),
                    api_key_id: "k".into(),
                    template_id: None,
                    content_type: "application/json",
                    organization_id: "o".into(),
                    source: "s".into(),
                    principal_id: None,
                    received_time_unix_nano: 0,
                }),
            };
            sink.publish(batch).await.unwrap();
        }
        assert_eq!(lines(&dir.path().join("logs.jsonl")), ["a-log", "b-log"]);
        assert_eq!(lines(&dir.path().join("metrics.jsonl")), ["a-metric"]);
        assert!(lines(&dir.path().join("spans.jsonl")).is_empty());
        assert_eq!(sink.path(Signal::Logs), dir.path().join("logs.jsonl"));
    }
}
