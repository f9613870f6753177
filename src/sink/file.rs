//! The file sink: the embedded default when no Kafka is configured. Each request becomes
//! one line of OTLP/JSON (an `ExportTraceServiceRequest`) in `<dir>/spans.jsonl`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sink::{BoxFuture, RecordBatch, RecordKey, RecordLayout, Sink, SinkError, ValueEncoding};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// Directory for `spans.jsonl`. Default: `<data_dir>`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

pub struct FileSink {
    path: PathBuf,
    writer: Arc<Mutex<BufWriter<File>>>,
    layout: RecordLayout,
}

impl FileSink {
    pub fn open(dir: &Path) -> std::io::Result<FileSink> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("spans.jsonl");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(FileSink {
            path,
            writer: Arc::new(Mutex::new(BufWriter::new(file))),
            // One line per request; a line has no size limit worth splitting for.
            layout: RecordLayout {
                key: RecordKey::ProjectId,
                encoding: ValueEncoding::OtlpJson,
                max_record_bytes: usize::MAX,
            },
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Sink for FileSink {
    fn layout(&self) -> &RecordLayout {
        &self.layout
    }

    fn publish(&self, batch: RecordBatch) -> BoxFuture<'_, Result<(), SinkError>> {
        let writer = Arc::clone(&self.writer);
        Box::pin(async move {
            let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut w = writer
                    .lock()
                    .map_err(|_| std::io::Error::other("file sink lock poisoned"))?;
                for record in &batch.records {
                    w.write_all(&record.value)?;
                    w.write_all(b"\n")?;
                }
                w.flush()
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
        let writer = Arc::clone(&self.writer);
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(move || writer.lock().map(|mut w| w.flush()).is_ok()).await;
        })
    }
}
