//! The example programs as other tools run them: `counter_app` streams to a relay and
//! follows a targeted jump; `monitor` prints one JSON line per app message.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{options, relay, Peer};
use serde_json::Value;

fn example(name: &str) -> PathBuf {
    // tests run from target/<profile>/deps; examples are built next to it
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples").join(name)
}

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    fn line(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line in time");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_app_and_monitor_examples() {
    let r = relay(options()).await;
    let url = r.url();
    let monitor = Running::start("monitor", &["--url", &url]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = Running::start(
        "counter_app",
        &["--url", &url, "--count", "3", "--name", "Example"],
    );
    let counts: Vec<Value> = (0..4).map(|_| app.line()["count"].clone()).collect();
    assert_eq!(counts, [0, 1, 2, 3]);

    // the monitor example printed the app's messages, with its connection id
    let mut app_id = None;
    let mut kinds = Vec::new();
    while kinds.iter().filter(|k| *k == "ACTION").count() < 3 {
        let m = monitor.line();
        assert_eq!(m["name"], "Example");
        app_id = m["id"].as_str().map(str::to_owned);
        kinds.push(m["type"].as_str().unwrap().to_owned());
    }
    assert!(kinds.contains(&"INIT".to_owned()), "{kinds:?}");
    let app_id = app_id.unwrap();

    // a monitor jumps the app to action 1, as the DevTools app sends it
    let mut devtools = Peer::login(&url, "{}").await;
    devtools
        .transmit(
            &format!("sc-{app_id}"),
            r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_ACTION","actionId":1},"state":"{\"count\":1}"}"#,
        )
        .await;
    assert_eq!(app.line(), serde_json::json!({"count":1}));
    devtools
        .transmit(
            &format!("sc-{app_id}"),
            r#"{"type":"DISPATCH","action":{"type":"JUMP_TO_STATE","index":2}}"#,
        )
        .await;
    assert_eq!(app.line(), serde_json::json!({"count":2}));
}
