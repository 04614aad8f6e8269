//! Starting, stopping and protecting the relay: busy ports, graceful shutdown, the
//! blocking handle, slow readers, and the CLI.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{options, relay, Peer};
use remotedev::{BlockingRelay, Relay, RelayError};
use serde_json::json;

#[tokio::test]
async fn busy_port_is_an_error_naming_the_port() {
    let first = relay(options()).await;
    let mut o = options();
    o.port = first.local_addr().port();
    match Relay::start(o).await {
        Err(e @ RelayError::AddrInUse { port, .. }) => {
            assert_eq!(port, first.local_addr().port());
            assert!(e.to_string().contains(&port.to_string()), "{e}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a second relay bound a busy port"),
    }
}

#[tokio::test]
async fn shutdown_sends_close_frames_and_returns() {
    let r = relay(options()).await;
    let url = r.url();
    let mut app = Peer::login(&url, r#""master""#).await;
    let mut fresh = Peer::raw(&url).await;
    assert_eq!(r.connections(), 2);
    tokio::time::timeout(Duration::from_secs(5), r.shutdown())
        .await
        .expect("shutdown finishes");
    assert_eq!(app.closed().await.0, Some(1001));
    assert_eq!(fresh.closed().await.0, Some(1001));
    assert!(
        tokio_tungstenite::connect_async(&url).await.is_err(),
        "nothing listens any more"
    );
}

#[test]
fn blocking_relay_starts_serves_and_stops() {
    let mut o = options();
    o.worker_threads = Some(1);
    let mut relay = BlockingRelay::start(o).expect("starts");
    assert!(relay.port() > 0);
    assert_eq!(
        relay.url(),
        format!("ws://127.0.0.1:{}/socketcluster/", relay.port())
    );
    let url = relay.url().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut p = rt.block_on(Peer::connect(&url));
    relay.shutdown();
    assert!(relay.is_stopped());
    relay.shutdown(); // idempotent
    assert_eq!(rt.block_on(p.closed()).0, Some(1001));
}

#[tokio::test]
async fn a_slow_reader_is_cut_off_without_slowing_the_others() {
    let mut o = options();
    o.outbound_limit = 256 * 1024;
    let r = relay(o).await;
    let mut fast = Peer::login(&r.url(), "{}").await;
    let slow = Peer::login(&r.url(), "{}").await; // never reads from here on
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let payload = format!(r#"{{"pad":"{}"}}"#, "x".repeat(16 * 1024));
    // ~26 MiB in lock step with the fast reader: far more than the slow socket's kernel
    // buffers plus its budget, while the fast one never lags by more than one message.
    let started = std::time::Instant::now();
    for _ in 0..1600 {
        app.transmit("log", &payload).await;
        fast.text().await;
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    // the slow socket was dropped by the relay
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while r.connections() > 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(r.connections(), 2, "slow reader still connected");
    // a monitor that leaves is announced to the apps on respond
    assert_eq!(
        app.json().await["data"],
        json!({"channel":"respond","data":{"id":slow.id,"type":"DISCONNECTED"}})
    );
    fast.silent_for(Duration::from_millis(100)).await;
}

fn relay_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_remotedev"))
}

#[test]
fn cli_prints_the_url_and_stops_on_sigterm() {
    let mut child = relay_bin()
        .args([
            "--port=0",
            "--hostname",
            "127.0.0.1",
            "--logLevel",
            "0",
            "--db",
            ":memory:",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = common::spawned_relay_url(&mut child);
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    assert!(url.ends_with("/socketcluster/"), "{url}");
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn cli_busy_port_prints_one_line_and_exits_1() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let out = relay_bin()
        .args([
            "--port",
            &port.to_string(),
            "--logLevel",
            "0",
            "--db",
            ":memory:",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("port {port}")), "{err}");
}

#[test]
fn cli_rejects_bad_flags() {
    let out = relay_bin().args(["--logLevel", "7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = relay_bin()
        .args(["--protocolVersion", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Refusals of the options check name the flag the user typed.
    let out = relay_bin()
        .args(["--port", "0", "--maxOutboundBytes", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "remotedev: invalid option outbound_limit (--maxOutboundBytes): must be greater than 0"
    );
    let out = relay_bin()
        .args(["--port", "0"])
        .env("REMOTEDEV_MAX_PAYLOAD", "2000000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "invalid option max_payload (--maxPayload): must be at most 1073741824 bytes (1 GiB), got 2000000000"
    ));
}

/// Every flag has a `REMOTEDEV_*` environment variable, shown in `--help`; a flag on
/// the command line wins over its variable and over the variable of the option it
/// excludes; secrets in variables are not printed by `--help`.
#[test]
fn cli_reads_every_flag_from_the_environment() {
    let help = relay_bin()
        .arg("--help")
        .env("REMOTEDEV_DB", "postgres://me:hunter2@db/reports")
        .env("REMOTEDEV_AUTH_KEY", "hunter3-hunter3-hunter3-hunter3")
        .env("REMOTEDEV_REDIS_URL", "redis://:hunter4@redis:6379/0")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for var in [
        "REMOTEDEV_HOSTNAME",
        "REMOTEDEV_PORT",
        "REMOTEDEV_LOG_LEVEL",
        "REMOTEDEV_PING_INTERVAL",
        "REMOTEDEV_PING_TIMEOUT",
        "REMOTEDEV_MAX_PAYLOAD",
        "REMOTEDEV_MAX_OUTBOUND_BYTES",
        "REMOTEDEV_PROTOCOL_VERSION",
        "REMOTEDEV_SUBSCRIBE_GRACE_MS",
        "REMOTEDEV_DB_OPTIONS",
        "REMOTEDEV_DB",
        "REMOTEDEV_MAX_REQUEST_BODY",
        "REMOTEDEV_OPEN",
        "REMOTEDEV_PROTOCOL",
        "REMOTEDEV_KEY",
        "REMOTEDEV_CERT",
        "REMOTEDEV_PASSPHRASE",
        "REMOTEDEV_ALLOW_ORIGIN",
        "REMOTEDEV_AUTH_KEY",
        "REMOTEDEV_AUTH_KEY_FILE",
        "REMOTEDEV_READ_ONLY",
        "REMOTEDEV_REDIS_URL",
        "REMOTEDEV_CLUSTER",
    ] {
        assert!(help.contains(&format!("[env: {var}")), "{var} in\n{help}");
    }
    assert!(!help.contains("hunter"), "{help}");

    // port, hostname, log level and store from the environment
    let mut child = relay_bin()
        .env("REMOTEDEV_PORT", "0")
        .env("REMOTEDEV_HOSTNAME", "127.0.0.1")
        .env("REMOTEDEV_LOG_LEVEL", "0")
        .env("REMOTEDEV_DB", ":memory:")
        .env("REMOTEDEV_PING_TIMEOUT", "30000")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = common::spawned_relay_url(&mut child);
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    // variables are checked like flags
    let out = relay_bin()
        .env("REMOTEDEV_LOG_LEVEL", "7")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("invalid value '7' for '--logLevel"), "{err}");
    let out = relay_bin()
        .env("REMOTEDEV_PING_INTERVAL", "30000")
        .args(["--port", "0", "--db", ":memory:"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ping_interval"));

    // the command line wins: --port over REMOTEDEV_PORT, --db over REMOTEDEV_DB_OPTIONS
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port().to_string();
    let out = relay_bin()
        .env("REMOTEDEV_PORT", "0")
        .env("REMOTEDEV_DB_OPTIONS", "/nonexistent/knex.json")
        .args(["--port", &busy, "--db", ":memory:", "--logLevel", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("port {busy}")), "{err}");
    // both in the environment: refused, naming the variables
    let out = relay_bin()
        .env("REMOTEDEV_DB", ":memory:")
        .env("REMOTEDEV_DB_OPTIONS", "/nonexistent/knex.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("REMOTEDEV_DB_OPTIONS and REMOTEDEV_DB cannot be used together"),
        "{err}"
    );
    // the token subcommand takes the key and --exp from the environment
    let out = relay_bin()
        .arg("token")
        .env(
            "REMOTEDEV_AUTH_KEY",
            "a-key-long-enough-for-hs256-0123456789",
        )
        .env("REMOTEDEV_TOKEN_EXP", "1h")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().matches('.').count(),
        2
    );
}
