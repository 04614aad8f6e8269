//! A private `redis-server` for the cluster-mode tests (`REDIS_SERVER` or the one on
//! the PATH; tests/lib/setup.sh `ensure_redis` installs Debian's).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private redis-server on a free loopback port, killed on drop.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: std::path::PathBuf,
}

impl Redis {
    pub fn start() -> Redis {
        let mut r = Redis {
            child: None,
            port: super::free_port(),
            dir: super::temp_dir("redis"),
        };
        r.spawn();
        r
    }

    pub fn spawn(&mut self) {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            // DEBUG SLEEP makes a slow Redis (loopback clients only)
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {bin} (install redis-server: tests/lib/setup.sh): {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits (up to 20 s) until every relay's bus is connected to Redis.
pub async fn all_connected(relays: &[&remotedev::Relay]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !relays.iter().all(|r| r.redis_connected() == Some(true)) {
        assert!(Instant::now() < deadline, "relays did not connect to Redis");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
