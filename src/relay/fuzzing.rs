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

use super::burst_read::BurstRead;
use super::hub::Hub;
use super::{session, RelayOptions};
use crate::liveness::Alive;
use crate::protocol::{classify, Frame, Inbound};
use crate::store::{ReportStore, StoreLocation};

/// One relay hub (with an in-memory report store) on a paused-clock runtime.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    hub: Arc<Hub>,
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
        let hub = Arc::new(Hub::new(
            options,
            store,
            super::metrics::RelayMetrics::new("fuzzing"),
        ));
        Harness { rt, hub }
    }

    /// Sends each `(peer, frame)` in order to socket 0 or 1 (each starts with a valid
    /// `#handshake` when `handshake` is set), closes both, and checks the invariants.
    /// Returns every frame the two sockets received.
    ///
    /// # Panics
    /// When an invariant above does not hold.
    pub fn run(&self, frames: &[(usize, String)], handshake: bool) -> [Vec<String>; 2] {
        let hub = self.hub.clone();
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
                )));
                let ws: WebSocketStream<DuplexStream> =
                    WebSocketStream::from_raw_socket(client, Role::Client, None).await;
                clients.push(ws.split());
            }
            let mut sent: [HashMap<String, usize>; 2] = Default::default();
            let mut readers = Vec::new();
            let mut writers = Vec::new();
            for (tx, mut rx) in clients {
                writers.push(tx);
                readers.push(tokio::spawn(async move {
                    let mut got = Vec::new();
                    while let Some(Ok(m)) = rx.next().await {
                        if let Message::Text(t) = m {
                            got.push(t.to_string());
                        }
                    }
                    got
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
            for w in &mut writers {
                let _ = w.close().await;
            }
            let mut got: [Vec<String>; 2] = Default::default();
            for (i, r) in readers.into_iter().enumerate() {
                got[i] = tokio::time::timeout(Duration::from_secs(30), r)
                    .await
                    .expect("a socket never closed")
                    .expect("reader");
            }
            for s in sessions {
                if let Err(e) = tokio::time::timeout(Duration::from_secs(30), s)
                    .await
                    .expect("a session never ended")
                {
                    std::panic::resume_unwind(e.into_panic());
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
            graphql: super::graphql::schema(store),
            shutdown: CancellationToken::new(),
            tasks: tokio_util::task::TaskTracker::new(),
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
        let (published, bytes) = self.watcher.outbox.take();
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
