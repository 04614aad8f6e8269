//! Load generator for RemoteDev relays (used by `benches/run.sh`).
//!
//! Traffic mode: K apps -> M monitors. Every app message carries the time it
//! was sent (ns since an `Instant` shared by every task of this process); each
//! monitor computes `receipt - send` per delivery. Reports deliveries/s (one
//! delivery = one message arriving at one monitor), p50/p99/p999 latency and the
//! relay's peak RSS (`--relay-pid`).
//!
//! * `--rate 0` (default): closed loop. Each app keeps at most `--window`
//!   messages in flight (a message is in flight until every monitor got it),
//!   so no queue inside the relay can grow without bound.
//! * `--rate R`: open loop at R messages/s in total, split evenly over apps.
//!
//! Idle mode (`--idle N`): opens N connections (SocketCluster handshake done
//! in `sc` mode), holds them, and reports the relay's RSS growth per connection.
//!
//! Protocols (`--mode`):
//! * `sc`: SocketCluster as spoken by RemoteDev clients. Handshake
//!   `{"event":"#handshake","data":{"authToken":null},"cid":1}`; apps invoke
//!   `login` "master"; monitors invoke `login` {} and `#subscribe` {"channel":"log"};
//!   apps transmit `{"event":"log","data":<payload>}`; monitors receive
//!   `{"event":"#publish","data":{"channel":"log","data":<payload>}}`.
//!   Pings are answered in both generations (`#1` -> `#2`, empty -> empty).
//! * `bare`: raw payloads; apps connect to `<url>/app`, monitors to
//!   `<url>/monitor` (see `examples/bare_forwarder.rs`).
//!
//! Output: one JSON line per run (machine readable) and one line starting
//! with `# ` for humans.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// SocketCluster / RemoteDev protocol (our relay, @redux-devtools/cli).
    Sc,
    /// Raw frames to `<url>/app` and from `<url>/monitor` (bare forwarder).
    Bare,
}

#[derive(Parser, Debug, Clone)]
#[command(about = "RemoteDev relay load generator (apps -> monitors)")]
struct Args {
    /// Relay URL. sc: the SocketCluster URL; bare: the forwarder base URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    url: String,
    #[arg(long, value_enum, default_value_t = Mode::Sc)]
    mode: Mode,
    /// Number of app connections (senders).
    #[arg(long, default_value_t = 1)]
    apps: usize,
    /// Number of monitor connections (receivers of every app message).
    #[arg(long, default_value_t = 1)]
    monitors: usize,
    /// Size in bytes of each app payload (the JSON `data` value).
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of traffic before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Total messages/s over all apps; 0 = as fast as possible (closed loop).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Closed loop: max messages in flight per app (refilled a quarter at a time).
    #[arg(long, default_value_t = 256)]
    window: usize,
    /// Idle mode: open this many connections and report RSS per connection.
    #[arg(long)]
    idle: Option<usize>,
    /// Idle mode: seconds to hold the connections before measuring RSS.
    #[arg(long, default_value_t = 3.0)]
    idle_hold: f64,
    /// Idle mode: max connection attempts in progress at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Pid of the relay process to measure (RSS from /proc/PID/status, CPU from /proc/PID/stat).
    #[arg(long)]
    relay_pid: Option<u32>,
    /// Label for the target (reported as-is).
    #[arg(long, default_value = "")]
    target: String,
    /// Label for the scenario (reported as-is).
    #[arg(long, default_value = "")]
    scenario: String,
    /// Tokio worker threads of the load generator (0 = number of CPUs).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Seconds to wait after the send phase for outstanding deliveries.
    #[arg(long, default_value_t = 3.0)]
    drain: f64,
    /// Report mode: read the JSON lines in this file (as printed by earlier
    /// runs) and print Markdown tables instead of generating load.
    #[arg(long)]
    report: Option<String>,
    /// Report mode: target name of our relay (goal checks are made for it).
    #[arg(long, default_value = "libremotedev")]
    report_ours: String,
    /// Report mode: target name of the reference relay.
    #[arg(long, default_value = "reference")]
    report_ref: String,
    /// Report mode: target name of the bare forwarder.
    #[arg(long, default_value = "bare")]
    report_bare: String,
}

fn main() {
    let args = Args::parse();
    if let Some(path) = &args.report {
        match report(&args, path) {
            Ok(md) => print!("{md}"),
            Err(e) => {
                eprintln!("report: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        rt.worker_threads(args.threads);
    }
    let rt = rt.enable_all().build().expect("tokio runtime");
    let result = rt.block_on(async {
        if let Some(n) = args.idle {
            run_idle(&args, n).await
        } else {
            run_traffic(&args).await
        }
    });
    let (line, human) = match result {
        Ok(v) => v,
        Err(e) => {
            let v = json!({
                "target": args.target, "scenario": args.scenario, "error": e,
            });
            (
                v,
                format!("# {} {}: ERROR {}", args.target, args.scenario, e),
            )
        }
    };
    println!("{}", line);
    println!("{}", human);
    // Do not wait for thousands of socket tasks to wind down.
    rt.shutdown_timeout(Duration::from_millis(200));
}

// ---------------------------------------------------------------- /proc ---

#[derive(Default, Clone, Copy)]
struct ProcMem {
    rss_kb: u64,
    hwm_kb: u64,
}

fn proc_mem(pid: u32) -> Option<ProcMem> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut m = ProcMem::default();
    for line in s.lines() {
        let kb = |l: &str| {
            l.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        if line.starts_with("VmRSS:") {
            m.rss_kb = kb(line);
        } else if line.starts_with("VmHWM:") {
            m.hwm_kb = kb(line);
        }
    }
    Some(m)
}

/// Reset the kernel's peak-RSS counter (VmHWM) of `pid`; false if not allowed.
fn reset_hwm(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// utime + stime of `pid` in seconds (assumes the usual 100 clock ticks/s).
fn proc_cpu_s(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ut: f64 = f.get(11)?.parse().ok()?;
    let st: f64 = f.get(12)?.parse().ok()?;
    Some((ut + st) / 100.0)
}

/// Samples VmRSS of the relay every 50 ms and keeps the maximum.
struct RssSampler {
    max_kb: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let max_kb = Arc::new(AtomicU64::new(0));
        let (stop, mut rx) = watch::channel(false);
        let m = max_kb.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Some(p) = proc_mem(pid) {
                    m.fetch_max(p.rss_kb, Ordering::Relaxed);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = rx.changed() => break,
                }
            }
        });
        RssSampler { max_kb, stop, task }
    }
    async fn finish(self) -> u64 {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.max_kb.load(Ordering::Relaxed)
    }
}

// ------------------------------------------------------------ websocket ---

async fn connect(url: &str) -> Result<Ws, String> {
    let req = url
        .into_client_request()
        .map_err(|e| format!("bad url {url}: {e}"))?;
    let host = req
        .uri()
        .host()
        .ok_or_else(|| format!("no host in {url}"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = req.uri().port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("connect {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let cfg = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(64 * 1024);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(cfg))
        .await
        .map_err(|e| format!("websocket upgrade {url}: {e}"))?;
    Ok(ws)
}

/// SocketCluster keep-alive: the answer to a ping frame, for both generations.
fn pong_for(t: &str) -> Option<&'static str> {
    match t {
        "#1" => Some("#2"),
        "" => Some(""),
        _ => None,
    }
}

/// Invoke `event` with `data` (raw JSON) and wait for the matching `rid`,
/// answering pings meanwhile. Returns the response frame text.
async fn invoke(ws: &mut Ws, cid: u64, event: &str, data: &str) -> Result<String, String> {
    let frame = format!(r#"{{"event":"{event}","data":{data},"cid":{cid}}}"#);
    ws.send(Message::text(frame))
        .await
        .map_err(|e| format!("send {event}: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| format!("no response to {event} (cid {cid}) within 10 s"))?;
        let t = match msg {
            None => return Err(format!("connection closed during {event}")),
            Some(Err(e)) => return Err(format!("{event}: {e}")),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => return Err(format!("closed during {event}: {c:?}")),
            Some(Ok(_)) => continue,
        };
        if let Some(p) = pong_for(&t) {
            ws.send(Message::text(p)).await.map_err(|e| e.to_string())?;
            continue;
        }
        if let Ok(v) = serde_json::from_str::<Value>(&t) {
            if v.get("rid").and_then(Value::as_u64) == Some(cid) {
                if let Some(err) = v.get("error") {
                    if !err.is_null() {
                        return Err(format!("{event} failed: {err}"));
                    }
                }
                return Ok(t.to_string());
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    App,
    Monitor,
    /// Idle connection: handshake only.
    Idle,
}

/// Open one connection and bring it to the state its role needs.
async fn open(args: &Args, role: Role) -> Result<Ws, String> {
    match args.mode {
        Mode::Bare => {
            let base = args.url.trim_end_matches('/');
            let path = if role == Role::App { "app" } else { "monitor" };
            connect(&format!("{base}/{path}")).await
        }
        Mode::Sc => {
            let mut ws = connect(&args.url).await?;
            invoke(&mut ws, 1, "#handshake", r#"{"authToken":null}"#).await?;
            match role {
                Role::App => {
                    invoke(&mut ws, 2, "login", r#""master""#).await?;
                }
                Role::Monitor => {
                    invoke(&mut ws, 2, "login", "{}").await?;
                    invoke(&mut ws, 3, "#subscribe", r#"{"channel":"log"}"#).await?;
                }
                Role::Idle => {}
            }
            Ok(ws)
        }
    }
}

// -------------------------------------------------------------- payload ---

struct Payload {
    size: usize,
    sc: bool,
    pad: String,
}

impl Payload {
    fn new(size: usize, sc: bool) -> Self {
        Payload {
            size,
            sc,
            pad: "x".repeat(size),
        }
    }
    /// `{"type":"BENCH","app":A,"seq":S,"ts":T,"pad":"xxx"}`, padded to `size`
    /// bytes (never shorter than the fields themselves), wrapped in a `log`
    /// transmit in sc mode.
    fn build(&self, app: usize, seq: u64, ts: u64) -> String {
        let mut s = String::with_capacity(self.size + 64);
        if self.sc {
            s.push_str(r#"{"event":"log","data":"#);
        }
        let start = s.len();
        s.push_str(r#"{"type":"BENCH","app":"#);
        s.push_str(&app.to_string());
        s.push_str(r#","seq":"#);
        s.push_str(&seq.to_string());
        s.push_str(r#","ts":"#);
        s.push_str(&ts.to_string());
        s.push_str(r#","pad":""#);
        let used = s.len() - start + 2;
        s.push_str(&self.pad[..self.size.saturating_sub(used)]);
        s.push_str("\"}");
        if self.sc {
            s.push('}');
        }
        s
    }
}

fn number_after(t: &str, key: &str) -> Option<u64> {
    let i = t.find(key)? + key.len();
    let b = t.as_bytes();
    let mut j = i;
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    let k0 = j;
    let mut v: u64 = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add((b[j] - b'0') as u64);
        j += 1;
    }
    (j > k0).then_some(v)
}

/// (app index, send timestamp ns) of a benchmark payload, wrapped or not.
/// Key order is not relied upon.
fn parse_marker(t: &str) -> Option<(usize, u64)> {
    let app = number_after(t, "\"app\":")?;
    let ts = number_after(t, "\"ts\":")?;
    Some((app as usize, ts))
}

// -------------------------------------------------------------- traffic ---

struct Shared {
    t0: Instant,
    monitors: u64,
    measure_start_ns: u64,
    measure_end_ns: u64,
    send_end: tokio::time::Instant,
    delivered_per_app: Vec<AtomicU64>,
    app_wake: Vec<Notify>,
    delivered_total: AtomicU64,
    sent_total: AtomicU64,
    drained: Notify,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }
    fn error(&self, e: String) {
        let mut v = self.errors.lock().unwrap();
        if v.len() < 20 {
            v.push(e);
        }
    }
}

struct MonitorResult {
    samples: Vec<u64>,
    in_window: u64,
}

async fn monitor_task(
    mut ws: Ws,
    sh: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> MonitorResult {
    let mut samples = Vec::with_capacity(1 << 16);
    let mut in_window = 0u64;
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = stop.changed() => break,
        };
        let now = sh.now_ns();
        let t = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                Ok(s) => s.into(),
                Err(_) => continue,
            },
            Some(Ok(Message::Close(c))) => {
                sh.error(format!("monitor closed by relay: {c:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                sh.error(format!("monitor: {e}"));
                break;
            }
            None => {
                sh.error("monitor: connection ended".into());
                break;
            }
        };
        if let Some(p) = pong_for(&t) {
            if let Err(e) = ws.send(Message::text(p)).await {
                sh.error(format!("monitor pong: {e}"));
                break;
            }
            continue;
        }
        let Some((app, ts)) = parse_marker(&t) else {
            continue;
        };
        if now >= sh.measure_start_ns && now < sh.measure_end_ns {
            in_window += 1;
            samples.push(now.saturating_sub(ts));
        }
        if let Some(c) = sh.delivered_per_app.get(app) {
            c.fetch_add(1, Ordering::AcqRel);
            sh.app_wake[app].notify_one();
        }
        let total = sh.delivered_total.fetch_add(1, Ordering::AcqRel) + 1;
        if tokio::time::Instant::now() >= sh.send_end
            && total >= sh.sent_total.load(Ordering::Acquire) * sh.monitors
        {
            sh.drained.notify_one();
        }
    }
    drop(ws);
    MonitorResult { samples, in_window }
}

/// Handles one inbound frame on an app socket; false = stop.
async fn app_inbound(
    ws: &mut Ws,
    sh: &Shared,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> bool {
    match msg {
        Some(Ok(Message::Text(t))) => {
            if let Some(p) = pong_for(&t) {
                if let Err(e) = ws.send(Message::text(p)).await {
                    sh.error(format!("app pong: {e}"));
                    return false;
                }
            }
            true
        }
        Some(Ok(Message::Close(c))) => {
            sh.error(format!("app closed by relay: {c:?}"));
            false
        }
        Some(Ok(_)) => true,
        Some(Err(e)) => {
            sh.error(format!("app: {e}"));
            false
        }
        None => {
            sh.error("app: connection ended".into());
            false
        }
    }
}

/// Sends `n` app messages (numbered from `*seq`) and flushes once; false = stop.
async fn send_batch(
    ws: &mut Ws,
    sh: &Shared,
    payload: &Payload,
    idx: usize,
    seq: &mut u64,
    n: u64,
) -> bool {
    for _ in 0..n {
        let msg = payload.build(idx, *seq, sh.now_ns());
        *seq += 1;
        sh.sent_total.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = ws.feed(Message::text(msg)).await {
            sh.error(format!("app send: {e}"));
            return false;
        }
    }
    if let Err(e) = ws.flush().await {
        sh.error(format!("app flush: {e}"));
        return false;
    }
    true
}

async fn app_task(
    mut ws: Ws,
    idx: usize,
    sh: Arc<Shared>,
    args: Arc<Args>,
    payload: Arc<Payload>,
) -> Ws {
    let m = sh.monitors;
    let mut seq: u64 = 0;
    if args.rate > 0.0 {
        // Open loop: every millisecond send what is due by now.
        let per_app = args.rate / args.apps as f64;
        let start = Instant::now();
        let mut iv = tokio::time::interval(Duration::from_millis(1));
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = iv.tick() => {
                    if tokio::time::Instant::now() >= sh.send_end { break; }
                    let due = (start.elapsed().as_secs_f64() * per_app) as u64;
                    let n = due.saturating_sub(seq).min(10_000);
                    if n == 0 { continue; }
                    if !send_batch(&mut ws, &sh, &payload, idx, &mut seq, n).await {
                        return ws;
                    }
                }
                msg = ws.next() => {
                    if !app_inbound(&mut ws, &sh, msg).await { return ws; }
                }
            }
        }
    } else {
        // Closed loop with a bounded window (counted in deliveries).
        let allowed = args.window.max(1) as u64 * m;
        // Refill in batches (a quarter of the window at a time) rather than
        // one message per delivery: fewer, larger writes on both sides.
        let batch = (args.window as u64 / 4).max(1) * m;
        let mut primed = false;
        loop {
            if tokio::time::Instant::now() >= sh.send_end {
                break;
            }
            let delivered = sh.delivered_per_app[idx].load(Ordering::Acquire);
            let inflight = (seq * m).saturating_sub(delivered);
            if (!primed && inflight + m <= allowed) || inflight + batch <= allowed {
                primed = true;
                let n = (allowed - inflight) / m;
                if !send_batch(&mut ws, &sh, &payload, idx, &mut seq, n).await {
                    return ws;
                }
                continue;
            }
            tokio::select! {
                _ = sh.app_wake[idx].notified() => {}
                msg = ws.next() => {
                    if !app_inbound(&mut ws, &sh, msg).await { return ws; }
                }
                _ = tokio::time::sleep_until(sh.send_end) => break,
            }
        }
    }
    ws
}

fn pct(sorted: &[u64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[idx] as f64 / 1000.0)
}

fn us(v: Option<f64>) -> Value {
    match v {
        Some(x) => json!((x * 10.0).round() / 10.0),
        None => Value::Null,
    }
}

async fn run_traffic(args: &Args) -> Result<(Value, String), String> {
    if args.apps == 0 || args.monitors == 0 {
        return Err("--apps and --monitors must be >= 1".into());
    }
    let pid = args.relay_pid;
    let mem_before = pid.and_then(proc_mem);

    // Monitors first, so no early message is lost; then apps.
    let mut mons = Vec::new();
    for _ in 0..args.monitors {
        mons.push(open(args, Role::Monitor));
    }
    let mons: Vec<Ws> = futures_util::future::join_all(mons)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("monitor setup: {e}"))?;
    let mut apps = Vec::new();
    for _ in 0..args.apps {
        apps.push(open(args, Role::App));
    }
    let apps: Vec<Ws> = futures_util::future::join_all(apps)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("app setup: {e}"))?;
    // Let the relay settle (subscriptions registered everywhere).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let hwm_reset = pid.map(reset_hwm).unwrap_or(false);
    let sampler = pid.map(RssSampler::start);
    let cpu_before = pid.and_then(proc_cpu_s);

    let t0 = Instant::now();
    let warm = Duration::from_secs_f64(args.warmup.max(0.0));
    let dur = Duration::from_secs_f64(args.duration.max(0.1));
    let sh = Arc::new(Shared {
        t0,
        monitors: args.monitors as u64,
        measure_start_ns: warm.as_nanos() as u64,
        measure_end_ns: (warm + dur).as_nanos() as u64,
        send_end: tokio::time::Instant::from_std(t0 + warm + dur),
        delivered_per_app: (0..args.apps).map(|_| AtomicU64::new(0)).collect(),
        app_wake: (0..args.apps).map(|_| Notify::new()).collect(),
        delivered_total: AtomicU64::new(0),
        sent_total: AtomicU64::new(0),
        drained: Notify::new(),
        errors: Mutex::new(Vec::new()),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mon_tasks: Vec<_> = mons
        .into_iter()
        .map(|ws| tokio::spawn(monitor_task(ws, sh.clone(), stop_rx.clone())))
        .collect();
    let args_arc = Arc::new(args.clone());
    let payload = Arc::new(Payload::new(args.size, args.mode == Mode::Sc));
    let app_tasks: Vec<_> = apps
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            tokio::spawn(app_task(
                ws,
                i,
                sh.clone(),
                args_arc.clone(),
                payload.clone(),
            ))
        })
        .collect();
    let mut app_sockets = Vec::new();
    for t in app_tasks {
        if let Ok(ws) = t.await {
            app_sockets.push(ws);
        }
    }
    // Drain: wait until every sent message reached every monitor (bounded).
    let drain_deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.drain);
    loop {
        let expected = sh.sent_total.load(Ordering::Acquire) * sh.monitors;
        if sh.delivered_total.load(Ordering::Acquire) >= expected {
            break;
        }
        tokio::select! {
            _ = sh.drained.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        if tokio::time::Instant::now() >= drain_deadline {
            break;
        }
    }
    let _ = stop_tx.send(true);
    let mut samples = Vec::new();
    let mut in_window = 0u64;
    for t in mon_tasks {
        if let Ok(r) = t.await {
            in_window += r.in_window;
            samples.extend(r.samples);
        }
    }
    let cpu_after = pid.and_then(proc_cpu_s);
    let sampled_peak = match sampler {
        Some(s) => Some(s.finish().await),
        None => None,
    };
    let mem_after = pid.and_then(proc_mem);
    drop(app_sockets);

    samples.sort_unstable();
    let sent = sh.sent_total.load(Ordering::Acquire);
    let delivered = sh.delivered_total.load(Ordering::Acquire);
    let expected = sent * sh.monitors;
    let dps = in_window as f64 / dur.as_secs_f64();
    let mean = if samples.is_empty() {
        None
    } else {
        Some(samples.iter().map(|&v| v as f64).sum::<f64>() / samples.len() as f64 / 1000.0)
    };
    let peak_kb = match (hwm_reset, mem_after, sampled_peak) {
        (true, Some(m), Some(s)) => Some(m.hwm_kb.max(s)),
        (_, _, Some(s)) => Some(s),
        _ => None,
    };
    let errors = sh.errors.lock().unwrap().clone();
    let v = json!({
        "target": args.target,
        "scenario": args.scenario,
        "mode": format!("{:?}", args.mode).to_lowercase(),
        "apps": args.apps,
        "monitors": args.monitors,
        "size": args.size,
        "rate": args.rate,
        "window": if args.rate > 0.0 { Value::Null } else { json!(args.window) },
        "duration_s": dur.as_secs_f64(),
        "sent": sent,
        "delivered": delivered,
        "expected": expected,
        "lost": expected.saturating_sub(delivered),
        "deliveries_per_s": dps.round(),
        "msgs_per_s": (dps / sh.monitors as f64).round(),
        "samples": samples.len(),
        "p50_us": us(pct(&samples, 0.50)),
        "p99_us": us(pct(&samples, 0.99)),
        "p999_us": us(pct(&samples, 0.999)),
        "max_us": us(samples.last().map(|&v| v as f64 / 1000.0)),
        "mean_us": us(mean),
        "relay_pid": pid,
        "relay_rss_before_kb": mem_before.map(|m| m.rss_kb),
        "relay_rss_after_kb": mem_after.map(|m| m.rss_kb),
        "relay_peak_rss_kb": peak_kb,
        "relay_cpu_s": match (cpu_before, cpu_after) {
            (Some(a), Some(b)) => json!(((b - a) * 100.0).round() / 100.0),
            _ => Value::Null,
        },
        "errors": errors,
    });
    let f = |x: Option<f64>| x.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into());
    let human = format!(
        "# {} {}: {:.0} deliveries/s ({:.0} msg/s), latency p50 {} us p99 {} us p999 {} us, relay peak RSS {}, sent {} lost {}{}",
        args.target,
        args.scenario,
        dps,
        dps / sh.monitors as f64,
        f(pct(&samples, 0.50)),
        f(pct(&samples, 0.99)),
        f(pct(&samples, 0.999)),
        peak_kb.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "-".into()),
        sent,
        expected.saturating_sub(delivered),
        if errors.is_empty() { String::new() } else { format!(", errors: {}", errors.join("; ")) },
    );
    Ok((v, human))
}

// ----------------------------------------------------------------- idle ---

async fn idle_conn(ws: Ws, mut stop: watch::Receiver<bool>, open: Arc<AtomicUsize>) {
    let mut ws = ws;
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = stop.changed() => break,
        };
        match msg {
            Some(Ok(Message::Text(t))) => {
                if let Some(p) = pong_for(&t) {
                    if ws.send(Message::text(p)).await.is_err() {
                        break;
                    }
                }
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    open.fetch_sub(1, Ordering::AcqRel);
}

async fn run_idle(args: &Args, n: usize) -> Result<(Value, String), String> {
    let pid = args.relay_pid;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = pid.and_then(proc_mem);
    let hwm_reset = pid.map(reset_hwm).unwrap_or(false);
    let sampler = pid.map(RssSampler::start);
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let open_now = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let args_arc = Arc::new(args.clone());
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let sem = sem.clone();
        let open_now = open_now.clone();
        let stop = stop_rx.clone();
        let done = done_tx.clone();
        let a = args_arc.clone();
        tasks.push(tokio::spawn(async move {
            let permit = sem.acquire_owned().await.expect("semaphore");
            let r = tokio::time::timeout(Duration::from_secs(30), open(&a, Role::Idle)).await;
            drop(permit);
            match r {
                Ok(Ok(ws)) => {
                    open_now.fetch_add(1, Ordering::AcqRel);
                    let _ = done.send(Ok(()));
                    idle_conn(ws, stop, open_now).await;
                }
                Ok(Err(e)) => {
                    let _ = done.send(Err(e));
                }
                Err(_) => {
                    let _ = done.send(Err("connect+handshake timed out".into()));
                }
            }
        }));
    }
    drop(done_tx);
    let mut ok = 0usize;
    let mut failed = 0usize;
    let mut errors: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while ok + failed < n {
        match tokio::time::timeout_at(deadline, done_rx.recv()).await {
            Ok(Some(Ok(()))) => ok += 1,
            Ok(Some(Err(e))) => {
                failed += 1;
                if errors.len() < 5 && !errors.contains(&e) {
                    errors.push(e);
                }
            }
            Ok(None) => break,
            Err(_) => {
                errors.push("timed out waiting for connections".into());
                break;
            }
        }
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(args.idle_hold.max(0.0))).await;
    let after = pid.and_then(proc_mem);
    let still_open = open_now.load(Ordering::Acquire);
    let cpu = pid.and_then(proc_cpu_s);
    let sampled_peak = match sampler {
        Some(s) => Some(s.finish().await),
        None => None,
    };
    let peak_kb = match (hwm_reset, after, sampled_peak) {
        (true, Some(m), Some(s)) => Some(m.hwm_kb.max(s)),
        (_, _, Some(s)) => Some(s),
        _ => None,
    };
    let per_conn = match (before, after) {
        (Some(b), Some(a)) if ok > 0 => {
            Some((a.rss_kb as f64 - b.rss_kb as f64) * 1024.0 / ok as f64)
        }
        _ => None,
    };
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    let v = json!({
        "target": args.target,
        "scenario": args.scenario,
        "mode": format!("{:?}", args.mode).to_lowercase(),
        "idle": n,
        "connected": ok,
        "failed": failed,
        "still_open": still_open,
        "connect_s": (connect_s * 100.0).round() / 100.0,
        "relay_pid": pid,
        "relay_rss_before_kb": before.map(|m| m.rss_kb),
        "relay_rss_after_kb": after.map(|m| m.rss_kb),
        "relay_peak_rss_kb": peak_kb,
        "rss_per_conn_bytes": per_conn.map(|b| b.round()),
        "relay_cpu_total_s": cpu,
        "errors": errors,
    });
    let human = format!(
        "# {} {}: {}/{} connections open after {:.1}s hold ({} failed, connect took {:.1}s), relay RSS {} -> {} ({} per connection), peak {}{}",
        args.target,
        args.scenario,
        still_open,
        n,
        args.idle_hold,
        failed,
        connect_s,
        before.map(|m| format!("{:.1} MiB", m.rss_kb as f64 / 1024.0)).unwrap_or_else(|| "-".into()),
        after.map(|m| format!("{:.1} MiB", m.rss_kb as f64 / 1024.0)).unwrap_or_else(|| "-".into()),
        per_conn.map(|b| format!("{:.1} KiB", b / 1024.0)).unwrap_or_else(|| "-".into()),
        peak_kb.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "-".into()),
        if errors.is_empty() { String::new() } else { format!(", errors: {}", errors.join("; ")) },
    );
    Ok((v, human))
}

// --------------------------------------------------------------- report ---

fn report(args: &Args, path: &str) -> Result<String, String> {
    use std::fmt::Write;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let rows: Vec<Value> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let is_idle = |v: &Value| v.get("idle").is_some();
    let find = |target: &str, scenario: &str| {
        rows.iter().find(|r| {
            s(r, "target") == target && s(r, "scenario") == scenario && r.get("error").is_none()
        })
    };
    let num = |x: Option<f64>, prec: usize| match x {
        Some(v) => format!("{v:.prec$}"),
        None => "-".into(),
    };
    let mib = |x: Option<f64>| num(x.map(|k| k / 1024.0), 1);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "-".into(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "### Traffic (apps → monitors)\n");
    let _ = writeln!(
        out,
        "| target | scenario | deliveries/s | msg/s | p50 µs | p99 µs | p999 µs | relay peak RSS MiB | relay CPU s | vs reference | vs bare | lost / errors |"
    );
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows.iter().filter(|r| !is_idle(r)) {
        let (t, sc) = (s(r, "target"), s(r, "scenario"));
        if let Some(e) = r.get("error") {
            let _ = writeln!(
                out,
                "| {t} | {sc} | - | - | - | - | - | - | - | - | - | ERROR: {} |",
                e.as_str().unwrap_or("?").replace('|', "/")
            );
            continue;
        }
        let closed = f(r, "rate").unwrap_or(0.0) == 0.0;
        let dps = f(r, "deliveries_per_s");
        let (vr, vb) = if closed {
            (
                ratio(
                    dps,
                    find(&args.report_ref, &sc).and_then(|x| f(x, "deliveries_per_s")),
                ),
                ratio(
                    dps,
                    find(&args.report_bare, &sc).and_then(|x| f(x, "deliveries_per_s")),
                ),
            )
        } else {
            ("(fixed rate)".into(), "(fixed rate)".into())
        };
        let errs = r
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| a.len())
            .unwrap_or(0);
        let notes = format!(
            "{}{}",
            num(f(r, "lost"), 0),
            if errs > 0 {
                format!(
                    " / {}",
                    r["errors"][0].as_str().unwrap_or("").replace('|', "/")
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "| {t} | {sc} | {} | {} | {} | {} | {} | {} | {} | {vr} | {vb} | {notes} |",
            num(dps, 0),
            num(f(r, "msgs_per_s"), 0),
            num(f(r, "p50_us"), 0),
            num(f(r, "p99_us"), 0),
            num(f(r, "p999_us"), 0),
            mib(f(r, "relay_peak_rss_kb")),
            num(f(r, "relay_cpu_s"), 2),
        );
    }
    let _ = writeln!(out, "\n### Idle connections\n");
    let _ = writeln!(
        out,
        "| target | scenario | connections | open after hold | failed | connect s | RSS before MiB | RSS after MiB | RSS per connection KiB | peak RSS MiB | errors |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows.iter().filter(|r| is_idle(r)) {
        let errs: Vec<String> = r
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(|x| x.replace('|', "/")))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s(r, "target"),
            s(r, "scenario"),
            num(f(r, "idle"), 0),
            num(f(r, "still_open"), 0),
            num(f(r, "failed"), 0),
            num(f(r, "connect_s"), 1),
            mib(f(r, "relay_rss_before_kb")),
            mib(f(r, "relay_rss_after_kb")),
            num(f(r, "rss_per_conn_bytes").map(|b| b / 1024.0), 2),
            mib(f(r, "relay_peak_rss_kb")),
            errs.join("; "),
        );
    }
    // Goal checks for our relay.
    let ours = &args.report_ours;
    let mut goals = Vec::new();
    for r in rows
        .iter()
        .filter(|r| s(r, "target") == *ours && !is_idle(r) && r.get("error").is_none())
    {
        let sc = s(r, "scenario");
        let dps = f(r, "deliveries_per_s");
        if f(r, "rate").unwrap_or(0.0) == 0.0 {
            if let (Some(a), Some(b)) = (
                dps,
                find(&args.report_ref, &sc).and_then(|x| f(x, "deliveries_per_s")),
            ) {
                let ok = b > 0.0 && a >= 10.0 * b;
                goals.push(format!(
                    "| {sc}: ≥ 10× reference deliveries/s | {:.2}× | {} |",
                    a / b.max(1e-9),
                    if ok { "PASS" } else { "FAIL" }
                ));
            }
            if let (Some(a), Some(b)) = (
                dps,
                find(&args.report_bare, &sc).and_then(|x| f(x, "deliveries_per_s")),
            ) {
                let ok = b > 0.0 && a >= 0.75 * b;
                goals.push(format!(
                    "| {sc}: ≥ 75 % of bare forwarder | {:.0} % | {} |",
                    100.0 * a / b.max(1e-9),
                    if ok { "PASS" } else { "FAIL" }
                ));
            }
        } else if let Some(p99) = f(r, "p99_us") {
            goals.push(format!(
                "| {sc}: p99 < 1 ms | {p99:.0} µs | {} |",
                if p99 < 1000.0 { "PASS" } else { "FAIL" }
            ));
        }
    }
    for r in rows
        .iter()
        .filter(|r| s(r, "target") == *ours && is_idle(r))
    {
        let sc = s(r, "scenario");
        let n = f(r, "idle").unwrap_or(0.0);
        let open = f(r, "still_open").unwrap_or(0.0);
        match f(r, "rss_per_conn_bytes") {
            Some(b) => goals.push(format!(
                "| {sc}: ≤ 8 KiB RSS per idle connection, all held | {:.2} KiB, {open:.0}/{n:.0} open | {} |",
                b / 1024.0,
                if b <= 8192.0 && open >= n { "PASS" } else { "FAIL" }
            )),
            None => goals.push(format!("| {sc}: ≤ 8 KiB RSS per idle connection | no data | FAIL |")),
        }
    }
    let _ = writeln!(out, "\n### Goals for `{ours}`\n");
    if goals.is_empty() {
        let _ = writeln!(out, "No successful `{ours}` rows in this run.");
    } else {
        let _ = writeln!(out, "| goal | measured | result |\n|---|---:|---|");
        for g in goals {
            let _ = writeln!(out, "{g}");
        }
    }
    Ok(out)
}
