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
//!
//! `--api c` sends through the C API instead (`remotedev_app_start`,
//! `remotedev_app_send_action` with a NUL-terminated state buffer reused per message,
//! as a C program would), on a thread of its own like a C caller's.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use memchr::memmem;
use remotedev::client::{AppClient, AppOptions};
use remotedev_tools::percentile_us;
use remotedev_tools::ws::{open_sc, pong_for, Role};
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
    /// Which front end sends: the Rust `AppClient::send` or the C API.
    #[arg(long, value_enum, default_value_t = Api::Rust)]
    api: Api,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Api {
    Rust,
    C,
}

struct Counters {
    received: AtomicU64,
    /// The sending thread, woken at each delivery while it waits for its window.
    sender: OnceLock<std::thread::Thread>,
}

async fn monitor(
    url: String,
    epoch: Instant,
    counters: Arc<Counters>,
    samples: Arc<std::sync::Mutex<Vec<u64>>>,
    measuring: Arc<AtomicBool>,
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
        if let Some(sender) = counters.sender.get() {
            sender.unpark();
        }
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

/// What the send loop measured: (start, sent before it, received before it), and the
/// end with the messages sent and received by then.
struct Window {
    start: (Instant, u64, u64),
    end: Instant,
    sent: u64,
    received: u64,
}

/// Sends states built in one reused buffer (as loadgen builds its payloads) through
/// `send` for the warm-up and the measured time, keeping at most `window` in flight.
fn send_loop(
    args: &Args,
    epoch: Instant,
    counters: &Counters,
    measuring: &AtomicBool,
    mut send: impl FnMut(&str),
) -> Window {
    counters
        .sender
        .set(std::thread::current())
        .expect("one sender");
    let pad = "x".repeat(args.size.saturating_sub(48));
    let mut state = String::with_capacity(args.size + 64);
    let mut sent: u64 = 0;
    let warmup_end = Instant::now() + Duration::from_secs(1);
    let mut start = None;
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
                std::thread::park_timeout(Duration::from_millis(10));
            }
        }
        let t = epoch.elapsed().as_nanos() as u64;
        state.clear();
        write!(state, r#"{{"seq":{sent},"t":{t},"pad":""#).unwrap();
        state.push_str(&pad);
        state.push_str(r#""}"#);
        send(&state);
        sent += 1;
    }
    measuring.store(false, Ordering::Relaxed);
    Window {
        start: start.expect("measured"),
        end: Instant::now(),
        sent,
        received: counters.received.load(Ordering::Acquire),
    }
}

/// The send loop through the C API, as a C program calls it: the app is created,
/// used and freed on this thread.
fn c_api_loop(args: &Args, epoch: Instant, counters: &Counters, measuring: &AtomicBool) -> Window {
    use remotedev::ffi::*;
    use std::ffi::{c_char, CString};
    use std::ptr::null_mut;
    let ok = remotedev_status::Ok;
    let url = CString::new(args.url.as_str()).expect("URL without NUL");
    let mut options = null_mut();
    assert_eq!(remotedev_app_options_new(&mut options), ok);
    assert_eq!(remotedev_app_options_set_url(options, url.as_ptr()), ok);
    assert_eq!(
        remotedev_app_options_set_name(options, c"client_bench".as_ptr()),
        ok
    );
    let mut app = null_mut();
    assert_eq!(remotedev_app_start(options, &mut app), ok);
    remotedev_app_options_free(options);
    assert_eq!(
        remotedev_app_connect(app, 10_000, null_mut()),
        ok,
        "app connects"
    );
    assert_eq!(remotedev_app_init(app, c"{}".as_ptr()), ok);
    let mut buf: Vec<u8> = Vec::with_capacity(args.size + 64);
    let window = send_loop(args, epoch, counters, measuring, |state| {
        buf.clear();
        buf.extend_from_slice(state.as_bytes());
        buf.push(0);
        let status = remotedev_app_send_action(
            app,
            c"{\"type\":\"TICK\"}".as_ptr(),
            buf.as_ptr().cast::<c_char>(),
        );
        assert_eq!(status, ok);
    });
    remotedev_app_free(app);
    window
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let epoch = Instant::now();
    let counters = Arc::new(Counters {
        received: AtomicU64::new(0),
        sender: OnceLock::new(),
    });
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let measuring = Arc::new(AtomicBool::new(false));
    tokio::spawn(monitor(
        args.url.clone(),
        epoch,
        counters.clone(),
        samples.clone(),
        measuring.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The sender runs on a thread of its own, as an app's or a C caller's code would.
    let (c, m, a) = (counters.clone(), measuring.clone(), args.clone());
    let (window, dropped) = match args.api {
        Api::Rust => {
            let mut options = AppOptions::new(&args.url);
            options.name = "client_bench".into();
            let app = Arc::new(AppClient::start(options).expect("valid URL"));
            app.connect(Duration::from_secs(10))
                .await
                .expect("app connects");
            app.init("{}").unwrap();
            let sender = app.clone();
            let window = tokio::task::spawn_blocking(move || {
                send_loop(&a, epoch, &c, &m, |state| {
                    sender.send(r#"{"type":"TICK"}"#, state).unwrap()
                })
            })
            .await
            .expect("sender thread");
            let dropped = app.dropped();
            app.close().await;
            (window, dropped)
        }
        Api::C => {
            let window = tokio::task::spawn_blocking(move || c_api_loop(&a, epoch, &c, &m))
                .await
                .expect("sender thread");
            (window, 0)
        }
    };
    let (t0, sent0, recv0) = window.start;
    let elapsed = (window.end - t0).as_secs_f64();
    let received = window.received - recv0;
    let mut s = samples.lock().unwrap().clone();
    s.sort_unstable();
    let api = match args.api {
        Api::Rust => "rust",
        Api::C => "c",
    };
    println!(
        "{}",
        serde_json::json!({
            "scenario": format!("client-send-{}B", args.size),
            "api": api,
            "sent": window.sent - sent0,
            "delivered": received,
            "msgs_per_s": (received as f64 / elapsed).round(),
            "p50_us": percentile(&s, 0.50),
            "p99_us": percentile(&s, 0.99),
            "p999_us": percentile(&s, 0.999),
            "dropped": dropped,
        })
    );
}
