//! Our client against the real relays: ours (in-process) and the two reference relays
//! from npm (`@redux-devtools/cli@5.0.0` = "cli5", `remotedev-server@0.3.1` = "rds03"),
//! started on ephemeral loopback ports by `tests/reference/start.mjs`, with real
//! `socketcluster-client` monitors and a real `@redux-devtools/remote` app from
//! `tests/reference/peers.mjs`. Needs `bash tests/reference/setup.sh` and
//! `bash tests/interop/setup.sh` (the README test command runs both).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{quick_reconnect, Peer};
use remotedev::client::{
    AppClient, AppOptions, Command, ConnectionState, MonitorClient, MonitorEvent, MonitorOptions,
    Socket, SocketOptions,
};
use remotedev::{Relay, RelayOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A child process speaking JSON lines on stdout (other lines are ignored).
struct Js {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
}

impl Js {
    fn spawn(script: &str, args: &[&str]) -> Js {
        for needed in ["tests/reference/node_modules", "tests/interop/node_modules"] {
            assert!(
                repo(needed).exists(),
                "{needed} is missing: run `bash tests/reference/setup.sh` and `bash tests/interop/setup.sh`"
            );
        }
        let mut child = Process::new("node")
            .arg(repo(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let parsed = serde_json::from_str::<Value>(&line).ok().or_else(|| {
                    line.starts_with("ws://")
                        .then(|| Value::String(line.clone()))
                });
                if let Some(v) = parsed {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let stdin = child.stdin.take();
        Js {
            child,
            stdin,
            lines,
        }
    }

    /// The next line matching `pred`, skipping others.
    fn until(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => continue,
                Err(_) => panic!("no {what} within {WAIT:?}"),
            }
        }
    }

    fn send(&mut self, line: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// SIGTERM, so start.mjs can stop the relay's whole process group.
    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Process::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Js {
    fn drop(&mut self) {
        self.terminate();
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Ours,
    Cli5,
    Rds03,
}

impl Kind {
    /// The socketcluster-client generation the relay speaks (ours speaks both).
    fn generation(self) -> &'static str {
        match self {
            Kind::Rds03 => "14",
            _ => "20",
        }
    }
}

/// A running relay of some kind.
enum Running {
    Ours(Option<Relay>),
    Reference(Js),
}

struct Target {
    url: String,
    running: Running,
}

impl Target {
    async fn start(kind: Kind, ping: Option<(u64, u64)>, port: Option<u16>) -> Target {
        match kind {
            Kind::Ours => {
                let mut o = RelayOptions::default();
                o.port = port.unwrap_or(0);
                o.store = remotedev::store::StoreLocation::Memory;
                if let Some((interval, timeout)) = ping {
                    o.ping_interval = Duration::from_millis(interval);
                    o.ping_timeout = Duration::from_millis(timeout);
                }
                let relay = Relay::start(o).await.unwrap();
                Target {
                    url: relay.url(),
                    running: Running::Ours(Some(relay)),
                }
            }
            Kind::Cli5 | Kind::Rds03 => {
                let name = if kind == Kind::Cli5 { "cli5" } else { "rds03" };
                let mut args = vec![name.to_owned()];
                if let Some((interval, timeout)) = ping {
                    args.extend([
                        "--pingInterval".into(),
                        interval.to_string(),
                        "--pingTimeout".into(),
                        timeout.to_string(),
                    ]);
                }
                if let Some(port) = port {
                    args.extend(["--port".into(), port.to_string()]);
                }
                let js = tokio::task::spawn_blocking(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let js = Js::spawn("tests/reference/start.mjs", &args);
                    let url = js.until("the relay URL", Value::is_string);
                    (js, url.as_str().unwrap().to_owned())
                })
                .await
                .unwrap();
                Target {
                    url: js.1,
                    running: Running::Reference(js.0),
                }
            }
        }
    }

    fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn stop(&mut self) {
        match &mut self.running {
            Running::Ours(relay) => {
                if let Some(r) = relay.take() {
                    r.shutdown().await;
                }
            }
            Running::Reference(js) => js.terminate(),
        }
    }
}

fn app_options(url: &str, name: &str) -> AppOptions {
    let mut o = AppOptions::new(url);
    o.name = name.into();
    o.socket = quick_reconnect(300);
    o
}

/// A real socketcluster-client monitor of generation `gen` (blocking calls: use from
/// spawn_blocking or before awaiting).
fn js_monitor(url: &str, gen: &str) -> Js {
    let m = Js::spawn(
        "tests/reference/peers.mjs",
        &["monitor", "--gen", gen, "--url", url],
    );
    m.until("monitor ready", |v| v.get("ready").is_some());
    m
}

fn log_message(m: &Js, pred: impl Fn(&Value) -> bool) -> Value {
    m.until("an app message", |v| v.get("log").is_some_and(&pred))["log"].clone()
}

// ---------------------------------------------------------------- scenarios ---

async fn app_messages_reach_real_monitors(kind: Kind, gens: &[&str]) {
    let target = Target::start(kind, None, None).await;
    let url = target.url.clone();
    let monitors: Vec<Js> = gens.iter().map(|g| js_monitor(&url, g)).collect();
    let app = AppClient::start(app_options(&url, "RustApp")).unwrap();
    app.connect(WAIT).await.unwrap();
    app.init(r#"{"count":0}"#).unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    app.send(
        r#"{"type":"INCREMENT"}"#,
        r#"{"count":2,"text":"héllo 🌍"}"#,
    )
    .unwrap();
    let instance = app.instance_id().to_owned();
    tokio::task::spawn_blocking(move || {
        for m in &monitors {
            let init = log_message(m, |v| {
                v["type"] == "INIT" && v["instanceId"] == instance.as_str()
            });
            assert_eq!(init["name"], "RustApp");
            assert_eq!(init["payload"], r#"{"count":0}"#);
            let last = log_message(m, |v| v["type"] == "ACTION" && v["nextActionId"] == 3);
            assert_eq!(last["payload"], r#"{"count":2,"text":"héllo 🌍"}"#);
            let action: Value = serde_json::from_str(last["action"].as_str().unwrap()).unwrap();
            assert_eq!(action["type"], "PERFORM_ACTION");
            assert_eq!(action["action"], json!({"type":"INCREMENT"}));
        }
    })
    .await
    .unwrap();
}

async fn monitor_sees_a_real_remote_app(kind: Kind) {
    let target = Target::start(kind, None, None).await;
    let monitor = MonitorClient::start(MonitorOptions::new(target.url.clone())).unwrap();
    monitor.connect(WAIT).await.unwrap();
    let port = target.port().to_string();
    let app = tokio::task::spawn_blocking(move || {
        let app = Js::spawn(
            "tests/reference/peers.mjs",
            &[
                "app",
                "--port",
                &port,
                "--name",
                "RemoteApp",
                "--count",
                "2",
            ],
        );
        app.until("count 2", |v| v["count"] == 2);
        app
    })
    .await
    .unwrap();
    // The app announces itself with START right after login on every relay. Only our
    // relay delivers the monitor's targeted START answer in a form this app reads
    // (cli5 drops it, rds03 sends an event frame the v20 app ignores: relay spec §4),
    // so only there does it answer with its lifted STATE.
    let mut kinds = Vec::new();
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(500), monitor.recv()).await
        else {
            if kinds.contains(&"START".to_owned())
                && (kind != Kind::Ours || kinds.contains(&"STATE".to_owned()))
            {
                break;
            }
            continue;
        };
        if let MonitorEvent::App(m) = event {
            if m.name.as_deref() == Some("RemoteApp") {
                if m.kind == "STATE" {
                    let lifted: Value =
                        serde_json::from_str(m.payload.as_deref().unwrap()).unwrap();
                    let states = lifted["computedStates"].as_array().unwrap();
                    assert_eq!(states.last().unwrap()["state"], json!({"count":2}));
                }
                kinds.push(m.kind);
            }
        }
    }
    assert!(kinds.contains(&"START".to_owned()), "{kinds:?}");
    if kind == Kind::Ours {
        assert!(kinds.contains(&"STATE".to_owned()), "{kinds:?}");
    }
    drop(app);
}

async fn app_follows_a_targeted_jump_exactly_once(kind: Kind) {
    let target = Target::start(kind, None, None).await;
    let url = target.url.clone();
    let gen = kind.generation();
    let mut monitor = tokio::task::spawn_blocking(move || js_monitor(&url, gen))
        .await
        .unwrap();
    let app = AppClient::start(app_options(&target.url, "JumpApp")).unwrap();
    let other = AppClient::start(app_options(&target.url, "OtherApp")).unwrap();
    app.connect(WAIT).await.unwrap();
    other.connect(WAIT).await.unwrap();
    app.init(r#"{"count":0}"#).unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":2}"#)
        .unwrap();
    let instance = app.instance_id().to_owned();
    let monitor = tokio::task::spawn_blocking(move || {
        let last = log_message(&monitor, |v| v["type"] == "ACTION" && v["instanceId"] == instance.as_str() && v["nextActionId"] == 3);
        let app_id = last["id"].as_str().unwrap().to_owned();
        // exactly what the Redux DevTools app sends for a generic instance (relay §8.2/§8.3)
        monitor.send(&json!({
            "event": format!("sc-{app_id}"),
            "data": {"type":"DISPATCH","action":{"type":"JUMP_TO_ACTION","actionId":1},"state":"{\"count\":1}","instanceId":instance},
        }));
        monitor
    })
    .await
    .unwrap();
    let is_jump = |c: &Command| match c {
        Command::Dispatch { action, state } => {
            serde_json::from_str::<Value>(action).unwrap()
                == json!({"type":"JUMP_TO_ACTION","actionId":1})
                && state.as_deref() == Some(r#"{"count":1}"#)
        }
        _ => false,
    };
    let mut got = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Some(c)) = tokio::time::timeout_at(deadline, app.recv()).await {
        if is_jump(&c) {
            got += 1;
        }
    }
    assert_eq!(got, 1, "{kind:?}: the jump must arrive exactly once");
    while let Some(c) = other.try_recv() {
        assert!(
            !matches!(c, Command::Dispatch { .. }),
            "{kind:?}: the other app got the jump"
        );
    }
    drop(monitor);
}

async fn idle_connections_survive(kind: Kind) {
    let target = Target::start(kind, Some((500, 1500)), None).await;
    let socket = Socket::create(&target.url, SocketOptions::default()).unwrap();
    let app = AppClient::start(app_options(&target.url, "IdleApp")).unwrap();
    socket.connect(WAIT).await.unwrap();
    app.connect(WAIT).await.unwrap();
    let (s_before, a_before) = (socket.state(), app.socket().state());
    tokio::time::sleep(Duration::from_millis(3500)).await; // > 2 x pingTimeout
    assert_eq!(socket.state(), s_before, "{kind:?}: the socket reconnected");
    assert_eq!(
        app.socket().state(),
        a_before,
        "{kind:?}: the app reconnected"
    );
    assert!(matches!(
        s_before,
        ConnectionState::Open { generation: 1, .. }
    ));
}

async fn reconnect_after_restart_delivers_the_queue_in_order(kind: Kind) {
    let mut target = Target::start(kind, None, None).await;
    let port = target.port();
    let mut o = app_options(&target.url, "RestartApp");
    // slow enough for the monitor below to be subscribed before the app is back
    o.socket = quick_reconnect(2500);
    let app = AppClient::start(o).unwrap();
    let first_id = app.connect(WAIT).await.unwrap();
    app.init(r#"{"count":0}"#).unwrap();
    target.stop().await;
    let mut states = app.socket().watch_state();
    tokio::time::timeout(
        WAIT,
        states.wait_for(|s| !matches!(s, ConnectionState::Open { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    for n in 1..=5 {
        app.send(r#"{"type":"INCREMENT"}"#, &format!(r#"{{"count":{n}}}"#))
            .unwrap();
    }
    let second = Target::start(kind, None, Some(port)).await;
    let mut m = Peer::login(&second.url, "{}").await;
    let second_id = app.connect(Duration::from_secs(15)).await.unwrap();
    assert_ne!(first_id, second_id);
    let mut counts = Vec::new();
    while counts.len() < 5 {
        let v = m.json().await;
        if v["event"] != "#publish" {
            continue;
        }
        let msg = &v["data"]["data"];
        if msg["data"]["type"] == "ACTION" {
            assert_eq!(
                msg["id"],
                second_id.as_str(),
                "{kind:?}: log-noid stamped with the new id"
            );
            let payload: Value =
                serde_json::from_str(msg["data"]["payload"].as_str().unwrap()).unwrap();
            counts.push(payload["count"].as_u64().unwrap());
        }
    }
    assert_eq!(counts, [1, 2, 3, 4, 5], "{kind:?}");
    assert_eq!(app.dropped(), 0);
}

// ------------------------------------------------------------------- tests ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_app_messages_reach_v14_and_v20_monitors() {
    app_messages_reach_real_monitors(Kind::Ours, &["14", "20"]).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli5_app_messages_reach_a_v20_monitor() {
    app_messages_reach_real_monitors(Kind::Cli5, &["20"]).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds03_app_messages_reach_a_v14_monitor() {
    app_messages_reach_real_monitors(Kind::Rds03, &["14"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_monitor_sees_a_real_remote_app() {
    monitor_sees_a_real_remote_app(Kind::Ours).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli5_monitor_sees_a_real_remote_app() {
    monitor_sees_a_real_remote_app(Kind::Cli5).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds03_monitor_sees_a_real_remote_app() {
    monitor_sees_a_real_remote_app(Kind::Rds03).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_app_follows_a_targeted_jump_exactly_once() {
    app_follows_a_targeted_jump_exactly_once(Kind::Ours).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli5_app_follows_a_targeted_jump_exactly_once() {
    app_follows_a_targeted_jump_exactly_once(Kind::Cli5).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds03_app_follows_a_targeted_jump_exactly_once() {
    app_follows_a_targeted_jump_exactly_once(Kind::Rds03).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_idle_connections_survive() {
    idle_connections_survive(Kind::Ours).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli5_idle_connections_survive() {
    idle_connections_survive(Kind::Cli5).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds03_idle_connections_survive() {
    idle_connections_survive(Kind::Rds03).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_reconnect_after_restart() {
    reconnect_after_restart_delivers_the_queue_in_order(Kind::Ours).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli5_reconnect_after_restart() {
    reconnect_after_restart_delivers_the_queue_in_order(Kind::Cli5).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds03_reconnect_after_restart() {
    reconnect_after_restart_delivers_the_queue_in_order(Kind::Rds03).await;
}
