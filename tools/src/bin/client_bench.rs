//! Client send benchmark: how fast `AppClient::send` gets 1 KiB states through a relay
//! to a monitor, and the time from `send` to delivery.
//!
//! `cargo run --release -p remotedev-tools --bin client_bench -- --url ws://127.0.0.1:8000/socketcluster/`
//!
//! One `AppClient` sends `{"type":"TICK"}` actions with a state of `--size` bytes that
//! carries a sequence number and the send time; a raw SocketCluster monitor in the same
//! process (`loadgen`'s, so the two senders are measured by the same receiver) takes
//! the time of arrival. At most `--window` messages are in flight, so nothing queues
//! without bound. Prints one JSON line, like `loadgen`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use memchr::memmem;
use remotedev::client::{AppClient, AppOptions};
use remotedev_tools::percentile_us;
use remotedev_tools::ws::{open_sc, pong_for, Role};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    url: String,
    /// Bytes of each state.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Measured seconds (after a 1 s warm-up).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Messages in flight at most.
    #[arg(long, default_value_t = 64)]
    window: u64,
}

struct Counters {
    received: AtomicU64,
    wake: Notify,
}

async fn monitor(
    url: String,
    epoch: Instant,
    counters: Arc<Counters>,
    samples: Arc<std::sync::Mutex<Vec<u64>>>,
    measuring: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut ws = open_sc(&url, Role::Monitor)
        .await
        .expect("monitor connects");
    let marker = memmem::Finder::new(r#"\"t\":"#);
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        if let Some(p) = pong_for(&text) {
            ws.send(Message::text(p)).await.unwrap();
            continue;
        }
        if !text.starts_with(r##"{"event":"#publish""##) {
            continue;
        }
        let now = epoch.elapsed().as_nanos() as u64;
        // The send time inside the stringified state (`…\"t\":<ns>…`), found by a scan
        // as loadgen's monitors find theirs: parsing every message here would make this
        // process's receiver, not the client under test, the limit (it shares the CPU
        // with the sender).
        let Some(sent) = number_after(&text, &marker) else {
            continue;
        };
        if measuring.load(Ordering::Relaxed) {
            samples.lock().unwrap().push(now.saturating_sub(sent));
        }
        counters.received.fetch_add(1, Ordering::Release);
        counters.wake.notify_one();
    }
}

/// The unsigned integer right after the first `key` in `t`.
fn number_after(t: &str, key: &memmem::Finder<'_>) -> Option<u64> {
    let rest = &t[key.find(t.as_bytes())? + key.needle().len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
}

/// 0 without samples: benches/run.sh formats these as numbers.
fn percentile(sorted: &[u64], q: f64) -> f64 {
    percentile_us(sorted, q).unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let epoch = Instant::now();
    let counters = Arc::new(Counters {
        received: AtomicU64::new(0),
        wake: Notify::new(),
    });
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(monitor(
        args.url.clone(),
        epoch,
        counters.clone(),
        samples.clone(),
        measuring.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut options = AppOptions::new(&args.url);
    options.name = "client_bench".into();
    let app = AppClient::start(options).expect("valid URL");
    app.connect(Duration::from_secs(10))
        .await
        .expect("app connects");
    app.init("{}").unwrap();

    let pad = "x".repeat(args.size.saturating_sub(48));
    let mut state = String::with_capacity(args.size + 64);
    let mut sent: u64 = 0;
    let warmup_end = Instant::now() + Duration::from_secs(1);
    let mut start: Option<(Instant, u64, u64)> = None;
    let end_at = warmup_end + Duration::from_secs_f64(args.duration);
    while Instant::now() < end_at {
        if start.is_none() && Instant::now() >= warmup_end {
            measuring.store(true, Ordering::Relaxed);
            start = Some((
                Instant::now(),
                sent,
                counters.received.load(Ordering::Acquire),
            ));
        }
        // A full window refills a quarter at a time, as loadgen's raw sender does (one
        // wait per message would time the waiting, not the client).
        if sent - counters.received.load(Ordering::Acquire) >= args.window {
            let refill = args.window - (args.window / 4).max(1);
            while sent - counters.received.load(Ordering::Acquire) > refill {
                let _ =
                    tokio::time::timeout(Duration::from_millis(10), counters.wake.notified()).await;
            }
        }
        let t = epoch.elapsed().as_nanos() as u64;
        // One reused buffer, as loadgen builds its payloads: a `format!` of the whole
        // state per message cost this process more than the send it measures.
        state.clear();
        write!(state, r#"{{"seq":{sent},"t":{t},"pad":""#).unwrap();
        state.push_str(&pad);
        state.push_str(r#""}"#);
        app.send(r#"{"type":"TICK"}"#, &state).unwrap();
        sent += 1;
    }
    measuring.store(false, Ordering::Relaxed);
    let (t0, sent0, recv0) = start.expect("measured");
    let elapsed = t0.elapsed().as_secs_f64();
    let received = counters.received.load(Ordering::Acquire) - recv0;
    let mut s = samples.lock().unwrap().clone();
    s.sort_unstable();
    println!(
        "{}",
        serde_json::json!({
            "scenario": format!("client-send-{}B", args.size),
            "sent": sent - sent0,
            "delivered": received,
            "msgs_per_s": (received as f64 / elapsed).round(),
            "p50_us": percentile(&s, 0.50),
            "p99_us": percentile(&s, 0.99),
            "p999_us": percentile(&s, 0.999),
            "dropped": app.dropped(),
        })
    );
    app.close().await;
}
