//! A minimal raw WebSocket peer for driving the relay frame by frame in tests.
#![allow(dead_code)]

pub mod pg;
pub mod redis;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use remotedev::{Relay, RelayOptions};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(5);

/// Client socket options that reconnect after a fixed `ms` (no randomness).
pub fn quick_reconnect(ms: u64) -> remotedev::client::SocketOptions {
    let mut o = remotedev::client::SocketOptions::default();
    o.backoff = remotedev::client::Backoff::fixed(Duration::from_millis(ms));
    o
}

/// A relay on a free port with an in-memory report store (tests never touch the
/// user's data directory).
pub fn options() -> RelayOptions {
    let mut o = RelayOptions::default();
    o.port = 0;
    o.store = remotedev::store::StoreLocation::Memory;
    o
}

pub async fn relay(options: RelayOptions) -> Relay {
    Relay::start(options).await.expect("relay starts")
}

pub struct Peer {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub id: String,
    cid: u64,
}

/// What the relay sent, as the tests care about it.
#[derive(Debug, PartialEq)]
pub enum Got {
    Text(String),
    Closed(Option<u16>, String),
}

impl Peer {
    /// Connects without handshaking.
    pub async fn raw(url: &str) -> Peer {
        let (ws, _) = connect_async(url).await.expect("connects");
        Peer {
            ws,
            id: String::new(),
            cid: 0,
        }
    }

    /// Connects and completes the SocketCluster handshake.
    pub async fn connect(url: &str) -> Peer {
        let mut p = Peer::raw(url).await;
        let rid = p.invoke("#handshake", r#"{"authToken":null}"#).await;
        let reply = p.json().await;
        assert_eq!(reply["rid"], rid);
        p.id = reply["data"]["id"].as_str().expect("socket id").to_owned();
        p
    }

    /// Connects, handshakes and logs in with `login` data (`"master"` or `{}`), then
    /// subscribes to the returned channel.
    pub async fn login(url: &str, login: &str) -> Peer {
        let mut p = Peer::connect(url).await;
        p.invoke("login", login).await;
        let channel = p.json().await["data"].as_str().unwrap().to_owned();
        p.subscribe(&channel).await;
        p
    }

    pub async fn subscribe(&mut self, channel: &str) {
        let rid = self
            .invoke("#subscribe", &format!(r#"{{"channel":"{channel}"}}"#))
            .await;
        assert_eq!(self.json().await, serde_json::json!({ "rid": rid }));
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn transmit(&mut self, event: &str, data: &str) {
        self.send(&format!(r#"{{"event":"{event}","data":{data}}}"#))
            .await;
    }

    /// Sends an invoke and returns its cid.
    pub async fn invoke(&mut self, event: &str, data: &str) -> u64 {
        self.cid += 1;
        let cid = self.cid;
        self.send(&format!(
            r#"{{"event":"{event}","data":{data},"cid":{cid}}}"#
        ))
        .await;
        cid
    }

    /// The next text frame or the close, including keep-alive frames.
    pub async fn next(&mut self) -> Got {
        self.next_within(WAIT).await.expect("a frame in time")
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Got> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            return Some(match msg {
                Some(Ok(Message::Text(t))) => Got::Text(t.to_string()),
                Some(Ok(Message::Close(f))) => Got::Closed(
                    f.as_ref().map(|f| u16::from(f.code)),
                    f.map(|f| f.reason.to_string()).unwrap_or_default(),
                ),
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => Got::Closed(None, String::new()),
            });
        }
    }

    /// The next frame that is not a keep-alive, as text.
    pub async fn text(&mut self) -> String {
        loop {
            match self.next().await {
                Got::Text(t) if t.is_empty() || t == "#1" => continue,
                Got::Text(t) => return t,
                closed => panic!("expected a frame, got {closed:?}"),
            }
        }
    }

    pub async fn json(&mut self) -> Value {
        let t = self.text().await;
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON ({e}): {t}"))
    }

    /// Asserts that nothing but keep-alive frames arrives for `wait`.
    pub async fn silent_for(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Some(got) = self
            .next_within(deadline - tokio::time::Instant::now())
            .await
        {
            match got {
                Got::Text(t) if t.is_empty() || t == "#1" => {}
                other => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Skips frames until the close and returns its code.
    pub async fn closed(&mut self) -> (Option<u16>, String) {
        loop {
            if let Got::Closed(code, reason) = self.next().await {
                return (code, reason);
            }
        }
    }
}

/// A fresh folder for one test under the system's temporary folder.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "remotedev-test-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The relay URL (`ws://…/socketcluster/` or `wss://…`) of a `remotedev` process,
/// read from its first stdout line; the process must have a piped stdout.
pub fn spawned_relay_url(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("a piped stdout"))
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("remotedev relay listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned()
}

/// A loopback port nothing listens on right now (bound once, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `HOST:PORT` of a `ws://HOST:PORT/socketcluster/` URL.
pub fn host_port(url: &str) -> &str {
    url.strip_prefix("ws://")
        .unwrap_or_else(|| panic!("not a ws:// URL: {url}"))
        .trim_end_matches("/socketcluster/")
}
