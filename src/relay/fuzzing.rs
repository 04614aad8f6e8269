//! An in-process relay for the fuzz targets (`fuzz/`, feature `fuzzing`): real sessions
//! and a real hub, with sockets over in-memory pipes and tokio's paused clock, so one
//! input runs in microseconds. Not part of the supported API.
//!
//! [`Harness::run`] drives two sockets with the given frames and checks what must hold
//! for any input, panicking (which the fuzzer reports) when it does not:
//! - no session panics;
//! - every `cid` is answered at most as many times as it was sent;
//! - once both sockets are gone, the hub holds no socket and no channel.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::access::Access;
use super::burst_read::BurstRead;
use super::hub::Hub;
use super::{session, RelayOptions};
use crate::liveness::Alive;
use crate::protocol::{classify, Frame, Inbound};
use crate::store::{ReportStore, StoreLocation};

/// Waits for a task to end within 30 s of the paused clock. The report store runs on
/// a thread of its own that tokio's paused clock cannot see: while a store job (a
/// `getReport`, a report list) runs, the runtime looks idle and the clock jumps to the
/// next timer. So a task that has not ended also gets real time (up to 1 s) for the
/// store thread to finish, before it counts as stuck.
async fn ended<T>(
    task: &mut tokio::task::JoinHandle<T>,
) -> Option<Result<T, tokio::task::JoinError>> {
    for _ in 0..100 {
        if let Ok(result) = tokio::time::timeout(Duration::from_secs(30), &mut *task).await {
            return Some(result);
        }
        // blocks the runtime, so the paused clock stands still meanwhile
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// The address the in-process relay pretends to be bound to (loopback: the default
/// origin policy).
fn loopback() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 8000))
}

/// One relay hub (with an in-memory report store) on a paused-clock runtime.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    hub: Arc<Hub>,
    access: Arc<Access>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Raw JSON of the call ids in a frame (all frames of a batch).
fn ids(text: &str, invokes: bool) -> Vec<String> {
    let one = |f: &Frame<'_>| match f {
        Frame::Event(e) if invokes => e.cid.map(|c| c.get().to_owned()),
        Frame::Response(r) if !invokes => Some(r.rid.get().to_owned()),
        _ => None,
    };
    match classify(text) {
        Inbound::Frame(f) => one(&f).into_iter().collect(),
        Inbound::Batch(fs) => fs.iter().filter_map(one).collect(),
        _ => Vec::new(),
    }
}

impl Harness {
    /// A hub with small limits, so the fuzzer reaches them (1 MiB messages, 256 KiB
    /// outbound budget, 16 channels per socket).
    ///
    /// # Panics
    /// When the runtime or the in-memory store cannot start.
    pub fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let options = RelayOptions {
            max_payload: 1024 * 1024,
            outbound_limit: 256 * 1024,
            channel_limit: 16,
            store: StoreLocation::Memory,
            ..RelayOptions::default()
        };
        let store = rt
            .block_on(ReportStore::open(StoreLocation::Memory))
            .expect("store");
        let access = Arc::new(Access::new(&options, loopback()));
        let hub = Arc::new(Hub::new(
            options,
            store,
            None,
            super::metrics::RelayMetrics::new("fuzzing"),
        ));
        Harness { rt, hub, access }
    }

    /// Runs one fuzz input: lines, a line's first byte picks the socket (odd: the
    /// second) and, on the first line, bit 0x80 set means no valid handshake first; the
    /// rest of the line is the frame (at most 64 lines).
    ///
    /// # Panics
    /// When an invariant of [`Harness::run`] does not hold.
    pub fn run_input(&self, data: &[u8]) -> [Vec<String>; 2] {
        let handshake = data.first().is_none_or(|b| b & 0x80 == 0);
        let frames: Vec<(usize, String)> = data
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .take(64)
            .map(|line| {
                (
                    (line[0] & 1) as usize,
                    String::from_utf8_lossy(&line[1..]).into_owned(),
                )
            })
            .collect();
        self.run(&frames, handshake)
    }

    /// Sends each `(peer, frame)` in order to socket 0 or 1 (each starts with a valid
    /// `#handshake` when `handshake` is set), closes both, and checks the invariants.
    /// Returns every frame the two sockets received.
    ///
    /// # Panics
    /// When an invariant above does not hold.
    pub fn run(&self, frames: &[(usize, String)], handshake: bool) -> [Vec<String>; 2] {
        let hub = self.hub.clone();
        let access = self.access.clone();
        let out = self.rt.block_on(async move {
            let shutdown = CancellationToken::new();
            let mut sessions = Vec::new();
            let mut clients = Vec::new();
            for _ in 0..2 {
                let (client, server) = tokio::io::duplex(64 * 1024);
                let max = hub.options.max_payload;
                let config = WebSocketConfig::default()
                    .read_buffer_size(2 * 1024)
                    .write_buffer_size(16 * 1024)
                    .max_message_size(Some(max))
                    .max_frame_size(Some(max));
                let ws = WebSocketStream::from_raw_socket(
                    BurstRead::new(Alive::new(server)),
                    Role::Server,
                    Some(config),
                )
                .await;
                sessions.push(tokio::spawn(session::run(
                    ws,
                    hub.clone(),
                    shutdown.clone(),
                    access.clone(),
                    None,
                )));
                // tungstenite's default 128 KiB read buffer is zeroed per socket: most of
                // an input's time, for frames of a few KiB.
                let client_config = WebSocketConfig::default().read_buffer_size(4 * 1024);
                let ws: WebSocketStream<DuplexStream> =
                    WebSocketStream::from_raw_socket(client, Role::Client, Some(client_config))
                        .await;
                clients.push(ws.split());
            }
            let mut sent: [HashMap<String, usize>; 2] = Default::default();
            let mut readers = Vec::new();
            let mut writers = Vec::new();
            // What each client received, shared so that a hang can be described.
            let received: [Arc<std::sync::Mutex<Vec<String>>>; 2] = Default::default();
            for ((tx, mut rx), got) in clients.into_iter().zip(received.iter().cloned()) {
                writers.push(tx);
                readers.push(tokio::spawn(async move {
                    let end = loop {
                        match rx.next().await {
                            Some(Ok(Message::Text(t))) => got.lock().unwrap().push(t.to_string()),
                            Some(Ok(Message::Close(c))) => {
                                got.lock().unwrap().push(format!("<close {c:?}>"));
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => break format!("<error {e}>"),
                            None => break "<end>".to_owned(),
                        }
                    };
                    got.lock().unwrap().push(end);
                }));
            }
            if handshake {
                for (i, w) in writers.iter_mut().enumerate() {
                    let text = r##"{"event":"#handshake","data":{"authToken":null},"cid":"h"}"##;
                    *sent[i].entry("\"h\"".into()).or_default() += 1;
                    let _ = w.send(Message::text(text)).await;
                }
            }
            for (peer, text) in frames {
                let i = peer % 2;
                for cid in ids(text, true) {
                    *sent[i].entry(cid).or_default() += 1;
                }
                // A socket the relay closed refuses further frames: that is fine.
                let _ = writers[i].send(Message::text(text.as_str())).await;
                tokio::task::yield_now().await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut closed = Vec::new();
            for w in &mut writers {
                closed.push(w.close().await.map_err(|e| e.to_string()));
            }
            for (i, mut r) in readers.into_iter().enumerate() {
                if ended(&mut r).await.is_none() {
                    let got = received[i].lock().unwrap();
                    let tail = &got[got.len().saturating_sub(4)..];
                    panic!(
                        "socket {i} never closed: its close {:?}, sessions finished {:?}, \
                         {} sockets in the hub, {} frames received, the last: {tail:?}",
                        closed[i],
                        sessions.iter().map(|s| s.is_finished()).collect::<Vec<_>>(),
                        hub.connections(),
                        got.len(),
                    );
                }
            }
            let got: [Vec<String>; 2] = received.map(|g| std::mem::take(&mut *g.lock().unwrap()));
            for mut s in sessions {
                match ended(&mut s).await {
                    None => panic!("a session never ended"),
                    Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
                    Some(Ok(())) => {}
                }
            }
            for i in 0..2 {
                let mut answered: HashMap<String, usize> = HashMap::new();
                for text in &got[i] {
                    for rid in ids(text, false) {
                        *answered.entry(rid).or_default() += 1;
                    }
                }
                for (rid, n) in answered {
                    let asked = sent[i].get(&rid).copied().unwrap_or(0);
                    assert!(
                        n <= asked,
                        "socket {i}: rid {rid} answered {n} times, sent {asked}"
                    );
                }
            }
            got
        });
        assert_eq!(self.hub.connections(), 0, "sockets left in the hub");
        assert_eq!(self.hub.channel_count(), 0, "channels left in the hub");
        out
    }
}

/// The report API's routes (`POST /`, `POST /graphql`, …) on an in-memory store, with
/// a `report` subscriber, for the fuzzer. [`ReportApi::post`] checks that no request
/// makes a database failure (500) or a non-JSON answer on `/`, and that only a
/// successful add is published on `report`.
pub struct ReportApi {
    rt: tokio::runtime::Runtime,
    shared: super::http::Shared,
    watcher: Arc<super::hub::Peer>,
    runs: usize,
}

impl Default for ReportApi {
    fn default() -> Self {
        Self::new()
    }
}

impl ReportApi {
    /// A fresh store and routes.
    ///
    /// # Panics
    /// When the runtime or the in-memory store cannot start.
    pub fn new() -> ReportApi {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (shared, watcher) = Self::fresh(&rt);
        ReportApi {
            rt,
            shared,
            watcher,
            runs: 0,
        }
    }

    fn fresh(rt: &tokio::runtime::Runtime) -> (super::http::Shared, Arc<super::hub::Peer>) {
        let options = RelayOptions {
            max_request_body: 256 * 1024,
            store: StoreLocation::Memory,
            ..RelayOptions::default()
        };
        let store = rt
            .block_on(ReportStore::open(StoreLocation::Memory))
            .expect("store");
        let hub = Arc::new(Hub::new(
            options,
            store.clone(),
            None,
            super::metrics::RelayMetrics::new("fuzzing"),
        ));
        let watcher = hub.register();
        {
            let mut route = watcher.route();
            hub.subscribe(&watcher, &mut route, "report");
        }
        let shared = super::http::Shared {
            hub,
            port: 8000,
            graphql: super::graphql::schema(store.clone()),
            readiness: Arc::new(super::health::Readiness::new(store)),
            shutdown: CancellationToken::new(),
            tasks: tokio_util::task::TaskTracker::new(),
            access: Arc::new(Access::new(&RelayOptions::default(), loopback())),
        };
        (shared, watcher)
    }

    /// `POST path` with `body` (and `content_type` when given); returns the status and
    /// the answer's text.
    ///
    /// # Panics
    /// When an invariant above does not hold.
    pub fn post(&mut self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, String) {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        self.runs += 1;
        if self.runs.is_multiple_of(2000) {
            // keep the in-memory database small
            (self.shared, self.watcher) = Self::fresh(&self.rt);
        }
        let mut req = axum::http::Request::post(path);
        if let Some(ct) = content_type {
            req = req.header(axum::http::header::CONTENT_TYPE, ct);
        }
        let req = req.body(axum::body::Body::from(body)).expect("request");
        let router = super::http::routes(self.shared.clone());
        let (status, text) = self.rt.block_on(async move {
            let resp = router.oneshot(req).await.expect("infallible");
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            (
                status,
                String::from_utf8(bytes.to_vec()).expect("UTF-8 answer"),
            )
        });
        assert_ne!(status, 500, "database failure: {text}");
        let (published, bytes) = self.watcher.outbox.take().expect("the watcher reads");
        self.watcher.outbox.release(bytes);
        if path == "/" {
            let answer: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {text}"));
            let added = status == 200 && answer.get("id").is_some_and(|id| id.is_string());
            assert_eq!(
                published.len(),
                usize::from(added),
                "published {published:?} for {status} {text}"
            );
        }
        (status, text)
    }
}
