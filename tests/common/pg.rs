//! A private PostgreSQL server for the tests: `initdb` in a temporary folder, listening
//! on a free loopback port and a socket in that folder, stopped and removed on drop.
//! Uses Debian's binaries (`/usr/lib/postgresql/<version>/bin`, installed by
//! `tests/lib/setup.sh ensure_postgres`) or `$REMOTEDEV_PG_BIN`. PostgreSQL refuses to
//! run as root, so under root (CI) the server runs as `nobody`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running (or stopped, see [`PgServer::stop`]) PostgreSQL server.
pub struct PgServer {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
}

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("REMOTEDEV_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run \
             `source tests/lib/setup.sh && ensure_postgres pg`, or set REMOTEDEV_PG_BIN"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgServer {
    /// Creates and starts a server (trust authentication, user `postgres`).
    pub fn start() -> PgServer {
        let bin = pg_bin();
        // Under root the server runs as `nobody`, which must reach its folder: /tmp is
        // open to everyone, a private $TMPDIR may not be.
        let base = if is_root() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "remotedev-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["nobody:nogroup"])
                .arg(&dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown nobody {}", dir.display());
        }
        let server = PgServer {
            dir,
            bin,
            port: super::free_port(),
        };
        let data = server.data();
        let out = server.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-N",
                "--no-instructions",
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", text(&out));
        server.start_again();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server's programs (as `nobody` under root).
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run {}: {e}", exe.display());
            })
    }

    /// Starts the (stopped) server again on the same port.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            text(&out),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server (fast: open connections are closed).
    pub fn stop(&self) {
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        assert!(out.status.success(), "pg_ctl stop failed: {}", text(&out));
    }

    /// `postgres://postgres@127.0.0.1:PORT/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs SQL with `psql` (unaligned, tuples only) and returns its output; works
    /// from async tests (no runtime of its own).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self.run(
            "psql",
            &[
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ],
        );
        assert!(out.status.success(), "psql {sql}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Creates a login role that must give `password` over TCP (SCRAM), while other
    /// users keep trust authentication.
    pub fn add_password_user(&self, user: &str, password: &str) {
        self.psql(
            "postgres",
            &format!("CREATE ROLE \"{user}\" LOGIN SUPERUSER PASSWORD '{password}'"),
        );
        let hba = self.data().join("pg_hba.conf");
        let old = std::fs::read_to_string(&hba).unwrap();
        std::fs::write(
            &hba,
            format!("host all {user} 127.0.0.1/32 scram-sha-256\n{old}"),
        )
        .unwrap();
        self.psql("postgres", "SELECT pg_reload_conf()");
    }

    /// A new empty database; its URL.
    pub fn create_db(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
