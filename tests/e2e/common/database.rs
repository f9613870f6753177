//! A real PostgreSQL server: a cluster `initdb`-ed in a temp dir, on a free loopback port,
//! run as the `postgres` user when the tests run as root (Postgres refuses root). Stopped
//! (fast shutdown) on drop. Debian's `postgresql` package provides the binaries; `.ci/run`
//! installs it when missing.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// The directory holding `initdb` and `postgres`: `$PG_BIN`, the newest
/// `/usr/lib/postgresql/*/bin`, or `PATH`.
fn postgres_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        if Path::new(dir).join("initdb").is_file() {
            return PathBuf::from(dir);
        }
    }
    panic!("PostgreSQL not found (no /usr/lib/postgresql/*/bin, no initdb on PATH, no $PG_BIN): run `bash .ci/run`")
}

/// (uid, gid) of the `postgres` user, when running as root; `None` otherwise.
fn run_as() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if id(&["-u"])? != 0 {
        return None;
    }
    let uid = id(&["-u", "postgres"]).expect("a `postgres` user (Debian's postgresql package makes it)");
    let gid = id(&["-g", "postgres"]).expect("the postgres group");
    Some((uid, gid))
}

pub struct Postgres {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    tls: bool,
}

impl Postgres {
    pub fn start() -> Postgres {
        Self::start_with(false)
    }

    /// With `ssl = on` and a self-signed certificate for `localhost` (`ca_file()`).
    pub fn start_with_tls() -> Postgres {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Postgres {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut pg = Postgres {
            port: free_port(),
            dir,
            child: None,
            tls,
        };
        pg.initdb();
        for _ in 0..5 {
            if pg.spawn_on_port() {
                return pg;
            }
            pg.port = free_port();
        }
        panic!("postgres did not start:\n{}", pg.logs())
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(postgres_bin().join(program));
        if let Some((uid, gid)) = run_as() {
            command.uid(uid).gid(gid);
        }
        command.env("LC_ALL", "C").env_remove("PGDATA");
        command
    }

    fn initdb(&self) {
        if let Some((uid, gid)) = run_as() {
            std::os::unix::fs::chown(self.dir.path(), Some(uid), Some(gid)).expect("chown the cluster dir");
        }
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if self.tls {
            self.make_certificate();
        }
    }

    fn make_certificate(&self) {
        let (crt, key) = (self.data().join("server.crt"), self.data().join("server.key"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::copy(&crt, self.ca_file()).expect("copy the certificate");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("key mode");
        if let Some((uid, gid)) = run_as() {
            for path in [&crt, &key] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
            }
        }
    }

    /// The certificate a client trusts to reach the TLS server.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn spawn_on_port(&mut self) -> bool {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("postgres log");
        if let Some((uid, gid)) = run_as() {
            let _ = std::os::unix::fs::chown(self.log_path(), Some(uid), Some(gid));
        }
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=localhost"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.path().display()))
            .args(["-c", "fsync=off", "-c", "max_connections=100"]);
        if self.tls {
            command.args(["-c", "ssl=on"]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_)))) {
                self.child = None;
                return false;
            }
            if self.accepts_queries() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop();
        false
    }

    fn accepts_queries(&self) -> bool {
        let url = self.plain_url();
        block_on_fresh(async move {
            match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                Ok((client, connection)) => {
                    tokio::spawn(connection);
                    client.simple_query("SELECT 1").await.is_ok()
                }
                Err(_) => false,
            }
        })
    }

    fn plain_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode={}",
            self.port,
            if self.tls { "prefer" } else { "disable" }
        )
    }

    /// The URL intake is configured with (TLS required for a TLS server).
    pub fn url(&self) -> String {
        if self.tls {
            format!("postgres://postgres@localhost:{}/postgres?sslmode=require", self.port)
        } else {
            self.plain_url()
        }
    }

    /// Runs SQL as the superuser and returns the first column of each row as text.
    pub fn query(&self, sql: &str) -> Vec<Option<String>> {
        let (url, sql) = (self.plain_url(), sql.to_owned());
        block_on_fresh(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect to the test postgres");
            tokio::spawn(connection);
            let messages = client.simple_query(&sql).await.expect("query");
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
                    _ => None,
                })
                .collect()
        })
    }

    /// Fast shutdown (SIGINT): connections are closed, the data stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "INT");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the stopped server again on the same port, with its data.
    pub fn restart(&mut self) {
        self.stop();
        assert!(self.spawn_on_port(), "postgres did not restart:\n{}", self.logs());
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- postgres log ----\n{}", self.logs());
        }
        self.stop();
    }
}
