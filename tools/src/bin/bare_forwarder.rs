//! Bare WebSocket forwarder: the throughput ceiling for `benches/run.sh`.
//!
//! No SocketCluster logic at all. A socket whose upgrade path is `/app` is an
//! app; every text frame it sends is forwarded unchanged (the same reference-
//! counted bytes, no parsing, no copy) to every socket connected on
//! `/monitor`. Frames from monitors are read and dropped (WebSocket pings are
//! answered by tungstenite). Any other path is closed right after the upgrade.
//!
//! Run: `cargo run --release -p remotedev-tools --bin bare_forwarder -- --port 8010`
//! It prints `bare_forwarder listening on ws://HOST:PORT ...` once ready.

// tungstenite's handshake callback fixes its error type (an HTTP response).
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[derive(Parser, Debug)]
#[command(about = "Bare tokio-tungstenite app->monitors forwarder (benchmark ceiling)")]
struct Args {
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    hostname: String,
    /// Port to bind (0 = pick a free one).
    #[arg(long, default_value_t = 8010)]
    port: u16,
    /// Per-monitor outbound queue length (frames); apps wait when it is full.
    #[arg(long, default_value_t = 1024)]
    queue: usize,
}

type Tx = mpsc::Sender<Utf8Bytes>;

/// Registry of monitor sockets. Apps keep a cached copy of the sender list and
/// refresh it only when `version` changes, so the hot path takes no lock.
struct Hub {
    monitors: Mutex<Vec<(u64, Tx)>>,
    version: AtomicU64,
    next_id: AtomicU64,
}

impl Hub {
    fn add(&self, tx: Tx) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.monitors.lock().unwrap().push((id, tx));
        self.version.fetch_add(1, Ordering::Release);
        id
    }
    fn remove(&self, id: u64) {
        self.monitors.lock().unwrap().retain(|(i, _)| *i != id);
        self.version.fetch_add(1, Ordering::Release);
    }
    fn snapshot(&self) -> Vec<Tx> {
        self.monitors
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t.clone())
            .collect()
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind((args.hostname.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    println!(
        "bare_forwarder listening on ws://{addr} (apps: ws://{addr}/app, monitors: ws://{addr}/monitor)"
    );
    let hub = Arc::new(Hub {
        monitors: Mutex::new(Vec::new()),
        version: AtomicU64::new(0),
        next_id: AtomicU64::new(0),
    });
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: back off a little instead of spinning.
                eprintln!("accept error: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let hub = hub.clone();
        let queue = args.queue;
        tokio::spawn(async move {
            let _ = handle(stream, hub, queue).await;
        });
    }
}

async fn handle(
    stream: TcpStream,
    hub: Arc<Hub>,
    queue: usize,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    stream.set_nodelay(true)?;
    let mut path = String::new();
    let ws = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
        path = req.uri().path().to_string();
        Ok(resp)
    })
    .await?;
    match path.trim_end_matches('/') {
        "/app" => run_app(ws, hub).await,
        "/monitor" => run_monitor(ws, hub, queue).await,
        _ => {
            let mut ws = ws;
            ws.close(None).await
        }
    }
}

async fn run_app(
    mut ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    hub: Arc<Hub>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut seen_version = u64::MAX;
    let mut targets: Vec<Tx> = Vec::new();
    while let Some(msg) = ws.next().await {
        let text = match msg? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let v = hub.version.load(Ordering::Acquire);
        if v != seen_version {
            targets = hub.snapshot();
            seen_version = v;
        }
        for tx in &targets {
            match tx.try_send(text.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(t)) => {
                    // Backpressure: wait for that monitor's writer to drain.
                    let _ = tx.send(t).await;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }
    Ok(())
}

async fn run_monitor(
    ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    hub: Arc<Hub>,
    queue: usize,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(queue.max(1));
    let id = hub.add(tx);
    let writer = tokio::spawn(async move {
        while let Some(t) = rx.recv().await {
            if sink.feed(Message::Text(t)).await.is_err() {
                return;
            }
            // Coalesce whatever is already queued into one flush.
            while let Ok(t) = rx.try_recv() {
                if sink.feed(Message::Text(t)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    hub.remove(id);
    writer.abort();
    Ok(())
}
