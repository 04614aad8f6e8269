//! Faults of the process and the disk (issue 13, kind 4), on the `remotedev` binary:
//! `kill -9` while clients upload, a database that becomes read-only, a disk that fills
//! (a file size limit). Uploads acknowledged with 200 are never lost nor half-written;
//! refused ones get a clear 5xx JSON error; sockets keep relaying; the relay never exits.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Peer;
use serde_json::{json, Value};

/// A relay process on a free port with its database at `db`; `fsize` limits the size
/// of files it writes (RLIMIT_FSIZE soft limit, the hard limit stays unlimited so it
/// can be raised again). SIGXFSZ is ignored, so a write over the limit fails with
/// EFBIG instead of killing the process, as on a full disk.
struct Relay {
    child: Child,
    http: String,
    ws: String,
}

impl Relay {
    fn start(db: &Path, fsize: Option<u64>) -> Relay {
        let bin = env!("CARGO_BIN_EXE_remotedev");
        let mut cmd = match fsize {
            None => Command::new(bin),
            Some(limit) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(r#"trap '' XFSZ; exec prlimit --fsize="$0":unlimited -- "$@""#)
                    .arg(limit.to_string())
                    .arg(bin);
                c
            }
        };
        let mut child = cmd
            .args(["--port", "0", "--logLevel", "1", "--db"])
            .arg(db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("relay starts");
        let url = common::spawned_relay_url(&mut child);
        let addr = common::host_port(&url);
        Relay {
            child,
            http: format!("http://{addr}/"),
            ws: format!("ws://{addr}/socketcluster/"),
        }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn assert_running(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "the relay exited");
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success());
    }
}

async fn post(http: &str, body: &Value) -> Result<(u16, Value), reqwest::Error> {
    let resp = reqwest::Client::new()
        .post(http)
        .json(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Ok((status, body))
}

fn report(title: &str, pad: usize) -> Value {
    let payload = json!({"title": title, "pad": "p".repeat(pad)}).to_string();
    json!({"type":"STATE","title":title,"payload":payload})
}

/// Every row of the database, checked for completeness, as title → payload.
async fn rows(http: &str) -> std::collections::HashMap<String, (String, String)> {
    let (status, rows) = post(
        http,
        &json!({"op":"list","fields":["id","title","payload","added"]}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let title = r["title"].as_str().expect("title").to_owned();
            let payload = r["payload"].as_str().expect("payload").to_owned();
            assert!(r["added"].is_string(), "half-written row {r}");
            (title, (r["id"].as_str().unwrap().to_owned(), payload))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_uploads_loses_no_acknowledged_report() {
    let dir = common::temp_dir("kill9");
    let db = dir.join("reports.sqlite3");
    // (title, id, payload) of every upload that got a 200
    let acked: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    for round in 0..3 {
        let relay = Relay::start(&db, None);
        let mut uploaders = Vec::new();
        for u in 0..4 {
            let (http, acked) = (relay.http.clone(), acked.clone());
            uploaders.push(tokio::spawn(async move {
                for i in 0.. {
                    let title = format!("r{round}-u{u}-{i}");
                    let body = report(&title, 1000 + 997 * (i % 20));
                    match post(&http, &body).await {
                        Ok((200, answer)) => {
                            let id = answer["id"].as_str().expect("an id").to_owned();
                            let payload = body["payload"].as_str().unwrap().to_owned();
                            acked.lock().unwrap().push((title, id, payload));
                        }
                        Ok(other) => panic!("refused: {other:?}"),
                        Err(_) => return, // the relay is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(1200)).await;
        relay.kill9();
        for u in uploaders {
            u.await.unwrap();
        }
    }
    let relay = Relay::start(&db, None);
    let stored = rows(&relay.http).await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 30,
        "only {} uploads acknowledged",
        acked.len()
    );
    for (title, id, payload) in &acked {
        let (got_id, got_payload) = stored
            .get(title)
            .unwrap_or_else(|| panic!("acknowledged report {title} lost"));
        assert_eq!(got_id, id);
        assert!(got_payload == payload, "{title}: payload differs");
    }
    // rows not acknowledged (in flight at the kill) may be there, but whole
    for (title, (_, payload)) in &stored {
        let v: Value = serde_json::from_str(payload).expect("whole JSON payload");
        assert_eq!(v["title"], title.as_str());
    }
    relay.stop();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    eprintln!(
        "kill -9: {} acknowledged uploads over 3 kills, all present; {} rows",
        acked.len(),
        stored.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The relay goes on relaying while its database refuses writes.
async fn sockets_still_relay(ws: &str) {
    let mut monitor = Peer::login(ws, "{}").await;
    let mut app = Peer::login(ws, r#""master""#).await;
    app.transmit("log", r#"{"type":"ACTION","id":"x","n":1}"#)
        .await;
    let got = monitor.json().await;
    assert_eq!(got["data"]["data"]["n"], 1, "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_uploads_with_a_5xx_and_the_relay_goes_on() {
    let dir = common::temp_dir("full");
    let db = dir.join("reports.sqlite3");
    let mut relay = Relay::start(&db, Some(512 * 1024));
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        let (status, body) = post(&relay.http, &report(&format!("f{i}"), 32 * 1024))
            .await
            .expect("the relay answers");
        if status == 200 {
            acked.push(body["id"].as_str().unwrap().to_owned());
        } else {
            refused = Some((status, body));
            break;
        }
    }
    let (status, body) = refused.expect("the file size limit was reached");
    assert!((500..600).contains(&status), "{status} {body}");
    let message = body["error"].as_str().expect("an error message");
    assert!(
        message.starts_with("The report database failed"),
        "{message}"
    );
    assert!(!acked.is_empty());
    // still full: refused again, clearly; sockets relay; the relay runs
    let (status, _) = post(&relay.http, &report("again", 32 * 1024))
        .await
        .unwrap();
    assert!((500..600).contains(&status));
    sockets_still_relay(&relay.ws).await;
    relay.assert_running();
    // reads work while writes fail
    let (status, row) = post(&relay.http, &json!({"op":"get","id":acked[0]}))
        .await
        .unwrap();
    assert_eq!((status, row["title"].as_str()), (200, Some("f0")));
    // space again: uploads work
    let ok = Command::new("prlimit")
        .args([
            "--pid",
            &relay.child.id().to_string(),
            "--fsize=unlimited:unlimited",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    let (status, body) = post(&relay.http, &report("after", 32 * 1024))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let stored = rows(&relay.http).await;
    assert!(stored.contains_key("after"));
    assert_eq!(stored.len(), acked.len() + 1);
    relay.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// Makes files immutable (`chattr +i`: even root cannot write them, also through
/// descriptors already open) and undoes it on drop.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(files: &[PathBuf]) -> Result<Immutable, String> {
        let out = Command::new("chattr")
            .arg("+i")
            .args(files)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Immutable(files.to_vec()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_refuses_uploads_with_a_5xx_and_the_relay_goes_on() {
    let dir = common::temp_dir("ro");
    let db = dir.join("reports.sqlite3");
    let mut relay = Relay::start(&db, None);
    let (status, first) = post(&relay.http, &report("before", 100)).await.unwrap();
    assert_eq!(status, 200);
    let files: Vec<PathBuf> = ["", "-wal"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", db.display())))
        .filter(|p| p.exists())
        .collect();
    let guard = match Immutable::set(&files) {
        Ok(g) => g,
        Err(why) => {
            // Needs CAP_LINUX_IMMUTABLE and a file system with the flag; the disk-full
            // test covers the same path with a file size limit. Said loudly, not silently.
            eprintln!("SKIPPED (loudly): cannot make the database read-only here: {why}");
            relay.stop();
            return;
        }
    };
    let (status, body) = post(&relay.http, &report("refused", 100)).await.unwrap();
    assert!((500..600).contains(&status), "{status} {body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("The report database failed")),
        "{body}"
    );
    sockets_still_relay(&relay.ws).await;
    relay.assert_running();
    drop(guard);
    let (status, body) = post(&relay.http, &report("after", 100)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let stored = rows(&relay.http).await;
    assert_eq!(stored["before"].0, first["id"].as_str().unwrap());
    assert!(stored.contains_key("after"));
    assert!(!stored.contains_key("refused"));
    relay.stop();
    let _ = std::fs::remove_dir_all(dir);
}
