//! Traffic mode: K apps -> M monitors for a warm-up plus a measured window, then
//! a bounded drain; reports deliveries/s, latency percentiles and the relay's
//! peak RSS and CPU.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remotedev_tools::percentile_us as pct;
use remotedev_tools::ws::{Role, Ws};
use serde_json::{json, Value};
use tokio::sync::{watch, Notify};

use crate::app::app_task;
use crate::args::{Args, Mode};
use crate::connect::open;
use crate::errors_suffix;
use crate::monitor::monitor_task;
use crate::payload::Payload;
use crate::procfs::{self, mib, peak_kb, proc_cpu_s, proc_mem, reset_hwm, RssSampler};

/// State every app and monitor task of one run shares. Times are ns since `t0`,
/// the clock every payload's timestamp is taken from.
pub struct Shared {
    pub t0: Instant,
    pub monitors: u64,
    pub measure_start_ns: u64,
    pub measure_end_ns: u64,
    pub send_end: tokio::time::Instant,
    /// Deliveries of each app's messages, summed over monitors: the closed loop's
    /// in-flight count is `sent * monitors - delivered`.
    pub delivered_per_app: Vec<AtomicU64>,
    pub app_wake: Vec<Notify>,
    pub delivered_total: AtomicU64,
    pub sent_total: AtomicU64,
    pub drained: Notify,
    pub errors: Mutex<Vec<String>>,
    /// `--messages`: messages per app, 0 = time bound.
    pub messages: u64,
}

impl Shared {
    pub fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }

    /// Whether an app that has sent `seq` messages is done sending.
    pub fn send_done(&self, seq: u64) -> bool {
        (self.messages > 0 && seq >= self.messages) || tokio::time::Instant::now() >= self.send_end
    }

    /// Keeps the first errors only: a dying relay makes every socket fail alike.
    pub fn error(&self, e: String) {
        let mut v = self.errors.lock().unwrap();
        if v.len() < 20 {
            v.push(e);
        }
    }
}

/// Microseconds rounded to 0.1 for the JSON line, `null` without samples.
fn us(v: Option<f64>) -> Value {
    match v {
        Some(x) => json!((x * 10.0).round() / 10.0),
        None => Value::Null,
    }
}

async fn open_all(args: &Args, role: Role, n: usize) -> Result<Vec<Ws>, String> {
    futures_util::future::join_all((0..n).map(|_| open(args, role)))
        .await
        .into_iter()
        .collect()
}

pub async fn run_traffic(args: &Args) -> Result<(Value, String), String> {
    if args.apps == 0 || args.monitors == 0 {
        return Err("--apps and --monitors must be >= 1".into());
    }
    let pid = args.relay_pid;
    let mem_before = pid.and_then(proc_mem);

    // Monitors first, so no early message is lost; then apps.
    let mons = open_all(args, Role::Monitor, args.monitors)
        .await
        .map_err(|e| format!("monitor setup: {e}"))?;
    let apps = open_all(args, Role::App, args.apps)
        .await
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
        messages: args.messages,
    });
    // Relay CPU time over the measured window only (not set-up, warm-up or drain).
    let window_cpu = pid.map(|pid| {
        let (start, end) = (t0 + warm, t0 + warm + dur);
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let a = proc_cpu_s(pid);
            tokio::time::sleep_until(end.into()).await;
            Some(proc_cpu_s(pid)? - a?)
        })
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mon_tasks: Vec<_> = mons
        .into_iter()
        .map(|ws| tokio::spawn(monitor_task(ws, sh.clone(), stop_rx.clone())))
        .collect();
    let args_arc = Arc::new(args.clone());
    let payload = Arc::new(Payload::new(args.size, args.mode == Mode::Sc, args.payload));
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
    let cpu_window = match window_cpu {
        // Ends with the measured window, which is over unless `--messages` ended early.
        Some(t) if args.messages == 0 => t.await.ok().flatten(),
        Some(t) => {
            t.abort();
            None
        }
        None => None,
    };
    let sampled_peak = procfs::finish(sampler).await;
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
    let peak_kb = peak_kb(hwm_reset, mem_after, sampled_peak);
    let errors = sh.errors.lock().unwrap().clone();
    let v = json!({
        "target": args.target,
        "scenario": args.scenario,
        "run": args.run,
        "mode": args.mode.label(),
        "apps": args.apps,
        "monitors": args.monitors,
        "size": args.size,
        "payload": args.payload.label(),
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
        "relay_cpu_window_s": cpu_window.map(|c| (c * 1000.0).round() / 1000.0),
        // CPU seconds the relay spent per million deliveries inside the measured window.
        "relay_cpu_s_per_1e6": cpu_window
            .filter(|_| in_window > 0)
            .map(|c| (c / in_window as f64 * 1e6 * 100.0).round() / 100.0),
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
        mib(peak_kb),
        sent,
        expected.saturating_sub(delivered),
        errors_suffix(&errors),
    );
    Ok((v, human))
}
