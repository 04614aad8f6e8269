//! Soak test of a running relay (issue 13; `benches/soak.sh MINUTES` runs it): a fixed
//! population of connection slots (apps and monitors) with churn — each slot connects,
//! logs in, lives a random while (apps sending `log`s with per-app sequence numbers),
//! then closes cleanly or drops its TCP connection abruptly (RST), and connects again.
//! Monitors check per-app order and that nothing sent while both were connected is
//! lost. The relay's RSS and open file descriptors are sampled every second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use remotedev_tools::ws::{open_sc, pong_for, Role, Ws};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

#[allow(dead_code)]
#[path = "loadgen/procfs.rs"]
mod procfs;

#[derive(Parser)]
struct Args {
    /// Relay URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    url: String,
    /// The relay's process id (RSS and fds are sampled from /proc).
    #[arg(long)]
    pid: u32,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Connection slots in total (apps + monitors).
    #[arg(long, default_value_t = 5000)]
    connections: usize,
    /// Of which monitors (each gets every app's messages).
    #[arg(long, default_value_t = 40)]
    monitors: usize,
    /// Mean seconds between two messages of one app.
    #[arg(long, default_value_t = 8.0)]
    send_every: f64,
    /// Per-second samples (CSV: second,rss_kb,fds,open_connections,deliveries).
    #[arg(long)]
    samples: Option<String>,
}

#[derive(Default)]
struct Stats {
    connects: AtomicU64,
    connect_errors: AtomicU64,
    clean_closes: AtomicU64,
    abrupt_drops: AtomicU64,
    lost_connections: AtomicU64,
    open: AtomicU64,
    sent: AtomicU64,
    deliveries: AtomicU64,
    out_of_order: AtomicU64,
    lost: AtomicU64,
    lost_at_end: AtomicU64,
}

/// What monitors need to know about an app connection.
struct AppInfo {
    first_send: Option<Instant>,
    last_sent: u64,
    alive: bool,
}

struct Shared {
    url: String,
    stats: Stats,
    apps: Mutex<HashMap<String, AppInfo>>,
    stop_sending: AtomicBool,
    stop: AtomicBool,
    send_every: f64,
}

fn rand_f64() -> f64 {
    // xorshift per thread; quality is irrelevant here
    static SEEDS: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    thread_local!(static S: std::cell::Cell<u64> = std::cell::Cell::new(
        SEEDS.fetch_add(0x2545_f491_4f6c_dd1d, Relaxed) ^ u64::from(std::process::id())));
    S.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn between(lo: f64, hi: f64) -> Duration {
    Duration::from_secs_f64(lo + (hi - lo) * rand_f64())
}

/// Ends a connection: mostly a clean close, one in five an abrupt TCP reset.
async fn end(ws: Ws, shared: &Shared) {
    if rand_f64() < 0.2 {
        let _ = ws.get_ref().tcp().set_zero_linger();
        drop(ws);
        shared.stats.abrupt_drops.fetch_add(1, Relaxed);
    } else {
        let mut ws = ws;
        let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
        shared.stats.clean_closes.fetch_add(1, Relaxed);
    }
}

async fn app_slot(slot: usize, shared: Arc<Shared>) {
    let mut generation = 0u64;
    while !shared.stop.load(Relaxed) {
        generation += 1;
        let key = format!("a{slot}g{generation}");
        let Ok(mut ws) = open_sc(&shared.url, Role::App).await else {
            shared.stats.connect_errors.fetch_add(1, Relaxed);
            tokio::time::sleep(between(0.5, 2.0)).await;
            continue;
        };
        shared.stats.connects.fetch_add(1, Relaxed);
        shared.stats.open.fetch_add(1, Relaxed);
        shared.apps.lock().unwrap().insert(
            key.clone(),
            AppInfo {
                first_send: None,
                last_sent: 0,
                alive: true,
            },
        );
        let life = tokio::time::sleep(between(20.0, 180.0));
        tokio::pin!(life);
        let mut next = tokio::time::Instant::now() + between(0.0, 2.0 * shared.send_every);
        let mut seq = 0u64;
        let mut broken = false;
        loop {
            tokio::select! {
                _ = &mut life => break,
                _ = tokio::time::sleep_until(next) => {
                    next += between(0.0, 2.0 * shared.send_every);
                    if shared.stop_sending.load(Relaxed) {
                        if shared.stop.load(Relaxed) { break; }
                        continue;
                    }
                    seq += 1;
                    {
                        let mut apps = shared.apps.lock().unwrap();
                        let info = apps.get_mut(&key).expect("registered");
                        info.first_send.get_or_insert_with(Instant::now);
                        info.last_sent = seq;
                    }
                    let frame = format!(
                        r#"{{"event":"log","data":{{"type":"ACTION","id":"{key}","seq":{seq},"action":"{{\"type\":\"TICK\"}}","payload":"{{\"n\":{seq}}}"}}}}"#
                    );
                    if ws.send(Message::text(frame)).await.is_err() { broken = true; break; }
                    shared.stats.sent.fetch_add(1, Relaxed);
                }
                m = ws.next() => match m {
                    Some(Ok(Message::Text(t))) => if let Some(p) = pong_for(&t) {
                        if ws.send(Message::text(p)).await.is_err() { broken = true; break; }
                    },
                    Some(Ok(_)) => {}
                    _ => { broken = true; break; }
                },
            }
        }
        if let Some(info) = shared.apps.lock().unwrap().get_mut(&key) {
            info.alive = false;
        }
        shared.stats.open.fetch_sub(1, Relaxed);
        if broken {
            shared.stats.lost_connections.fetch_add(1, Relaxed);
        } else {
            end(ws, &shared).await;
        }
        if shared.stop.load(Relaxed) {
            break;
        }
        tokio::time::sleep(between(0.0, 2.0)).await;
    }
}

async fn monitor_slot(shared: Arc<Shared>, final_check: Arc<tokio::sync::Notify>) {
    while !shared.stop.load(Relaxed) {
        let Ok(mut ws) = open_sc(&shared.url, Role::Monitor).await else {
            shared.stats.connect_errors.fetch_add(1, Relaxed);
            tokio::time::sleep(between(0.5, 2.0)).await;
            continue;
        };
        let subscribed_at = Instant::now();
        shared.stats.connects.fetch_add(1, Relaxed);
        shared.stats.open.fetch_add(1, Relaxed);
        // app key -> last sequence number seen
        let mut seen: HashMap<String, u64> = HashMap::new();
        let life = tokio::time::sleep(between(60.0, 300.0));
        tokio::pin!(life);
        let check = final_check.notified();
        tokio::pin!(check);
        let mut broken = false;
        loop {
            tokio::select! {
                _ = &mut life, if !shared.stop_sending.load(Relaxed) => break,
                _ = &mut check => {
                    // Apps have stopped sending and the relay had time to deliver:
                    // everything sent since we subscribed must be here.
                    {
                        let apps = shared.apps.lock().unwrap();
                        for (key, info) in apps.iter() {
                            let Some(first) = info.first_send else { continue };
                            let last = seen.get(key).copied();
                            let must = match last {
                                Some(_) => true,
                                None => first >= subscribed_at && info.alive,
                            };
                            if must && info.alive {
                                let missing = info.last_sent.saturating_sub(last.unwrap_or(0));
                                shared.stats.lost_at_end.fetch_add(missing, Relaxed);
                            }
                        }
                    }
                    while !shared.stop.load(Relaxed) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    break;
                }
                m = ws.next() => {
                    let t = match m {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(_)) => continue,
                        _ => { broken = true; break; }
                    };
                    if let Some(p) = pong_for(&t) {
                        if ws.send(Message::text(p)).await.is_err() { broken = true; break; }
                        continue;
                    }
                    let Ok(v) = serde_json::from_str::<Value>(&t) else { continue };
                    let data = &v["data"]["data"];
                    let (Some(key), Some(seq)) = (data["id"].as_str(), data["seq"].as_u64()) else {
                        continue;
                    };
                    shared.stats.deliveries.fetch_add(1, Relaxed);
                    match seen.get(key).copied() {
                        Some(last) if seq <= last => {
                            shared.stats.out_of_order.fetch_add(1, Relaxed);
                        }
                        Some(last) => {
                            shared.stats.lost.fetch_add(seq - last - 1, Relaxed);
                            seen.insert(key.to_owned(), seq);
                        }
                        None => {
                            // subscribed before the app's first send: 1.. must all be here
                            let first = shared.apps.lock().unwrap().get(key).and_then(|i| i.first_send);
                            if first.is_some_and(|f| f >= subscribed_at) {
                                shared.stats.lost.fetch_add(seq - 1, Relaxed);
                            }
                            seen.insert(key.to_owned(), seq);
                        }
                    }
                }
            }
        }
        shared.stats.open.fetch_sub(1, Relaxed);
        if broken {
            shared.stats.lost_connections.fetch_add(1, Relaxed);
        } else if !shared.stop.load(Relaxed) {
            end(ws, &shared).await;
        }
        if shared.stop.load(Relaxed) {
            break;
        }
        tokio::time::sleep(between(0.0, 2.0)).await;
    }
}

fn fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let shared = Arc::new(Shared {
        url: args.url.clone(),
        stats: Stats::default(),
        apps: Mutex::new(HashMap::new()),
        stop_sending: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        send_every: args.send_every,
    });
    let start_mem = procfs::proc_mem(args.pid).map(|m| m.rss_kb).unwrap_or(0);
    let start_fds = fds(args.pid).unwrap_or(0);
    let final_check = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    let monitors = args.monitors.min(args.connections);
    // monitors first, then apps ramping up over ~10 s
    for _ in 0..monitors {
        tasks.push(tokio::spawn(monitor_slot(
            shared.clone(),
            final_check.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for slot in 0..args.connections - monitors {
        tasks.push(tokio::spawn(app_slot(slot, shared.clone())));
        if slot % 500 == 499 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let mut samples = args
        .samples
        .as_ref()
        .map(|p| std::fs::File::create(p).expect("samples file"));
    if let Some(f) = samples.as_mut() {
        use std::io::Write;
        let _ = writeln!(f, "second,rss_kb,fds,open_connections,deliveries");
    }
    let started = Instant::now();
    let (mut peak_rss, mut end_rss, mut end_fds, mut peak_fds) =
        (start_mem, start_mem, start_fds, start_fds);
    let mut second = 0u64;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        second += 1;
        let rss = procfs::proc_mem(args.pid).map(|m| m.rss_kb);
        let fd = fds(args.pid);
        let (Some(rss), Some(fd)) = (rss, fd) else {
            eprintln!("soak: the relay process {} is gone", args.pid);
            std::process::exit(2);
        };
        (end_rss, end_fds) = (rss, fd);
        peak_rss = peak_rss.max(rss);
        peak_fds = peak_fds.max(fd);
        let s = &shared.stats;
        if let Some(f) = samples.as_mut() {
            use std::io::Write;
            let _ = writeln!(
                f,
                "{second},{rss},{fd},{},{}",
                s.open.load(Relaxed),
                s.deliveries.load(Relaxed)
            );
        }
        if second.is_multiple_of(60) {
            eprintln!(
                "soak: {second} s, open {}, connects {}, sent {}, deliveries {}, lost {}, out of order {}, rss {} KiB, fds {fd}",
                s.open.load(Relaxed), s.connects.load(Relaxed), s.sent.load(Relaxed),
                s.deliveries.load(Relaxed), s.lost.load(Relaxed), s.out_of_order.load(Relaxed), rss
            );
        }
    }
    // The end: apps stop sending, the relay gets time to deliver, monitors check.
    shared.stop_sending.store(true, Relaxed);
    tokio::time::sleep(Duration::from_secs(5)).await;
    final_check.notify_waiters();
    tokio::time::sleep(Duration::from_secs(2)).await;
    shared.stop.store(true, Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_rss = procfs::proc_mem(args.pid).map(|m| m.rss_kb).unwrap_or(0);
    let after_fds = fds(args.pid).unwrap_or(0);
    let s = &shared.stats;
    println!("duration_s={}", args.seconds);
    println!(
        "connection_slots={} monitors={}",
        args.connections, monitors
    );
    println!(
        "connects={} connect_errors={}",
        s.connects.load(Relaxed),
        s.connect_errors.load(Relaxed)
    );
    println!(
        "clean_closes={} abrupt_drops={} connections_lost={}",
        s.clean_closes.load(Relaxed),
        s.abrupt_drops.load(Relaxed),
        s.lost_connections.load(Relaxed)
    );
    println!(
        "sent={} deliveries={}",
        s.sent.load(Relaxed),
        s.deliveries.load(Relaxed)
    );
    println!(
        "lost={} lost_at_end={} out_of_order={}",
        s.lost.load(Relaxed),
        s.lost_at_end.load(Relaxed),
        s.out_of_order.load(Relaxed)
    );
    println!(
        "rss_kib start={start_mem} end={end_rss} peak={peak_rss} after_all_closed={after_rss}"
    );
    println!("fds start={start_fds} end={end_fds} peak={peak_fds} after_all_closed={after_fds}");
    let bad = s.lost.load(Relaxed) + s.lost_at_end.load(Relaxed) + s.out_of_order.load(Relaxed);
    std::process::exit(if bad == 0 { 0 } else { 1 });
}
