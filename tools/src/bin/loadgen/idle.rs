//! Idle mode: opens N connections (handshake only), holds them, and reports the
//! relay's RSS growth per connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use remotedev_tools::ws::{pong_for, Role, Ws};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::args::Args;
use crate::connect::open;
use crate::errors_suffix;
use crate::procfs::{self, mib, peak_kb, proc_cpu_s, proc_mem, reset_hwm, RssSampler};

/// Keeps one connection alive (answering pings) until `stop`; `open` counts the
/// connections still held, so a relay that drops idle sockets shows in the result.
async fn idle_conn(mut ws: Ws, mut stop: watch::Receiver<bool>, open: Arc<AtomicUsize>) {
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

pub async fn run_idle(args: &Args, n: usize) -> Result<(Value, String), String> {
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
    let sampled_peak = procfs::finish(sampler).await;
    let peak_kb = peak_kb(hwm_reset, after, sampled_peak);
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
        "run": args.run,
        "mode": args.mode.label(),
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
        mib(before.map(|m| m.rss_kb)),
        mib(after.map(|m| m.rss_kb)),
        per_conn.map(|b| format!("{:.1} KiB", b / 1024.0)).unwrap_or_else(|| "-".into()),
        mib(peak_kb),
        errors_suffix(&errors),
    );
    Ok((v, human))
}
