//! What the load generator measures of the relay process through /proc: resident
//! memory (now and peak) and CPU time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Default, Clone, Copy)]
pub struct ProcMem {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

pub fn proc_mem(pid: u32) -> Option<ProcMem> {
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
pub fn reset_hwm(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// utime + stime of `pid` in seconds (assumes the usual 100 clock ticks/s).
pub fn proc_cpu_s(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses; fields follow the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ut: f64 = f.get(11)?.parse().ok()?;
    let st: f64 = f.get(12)?.parse().ok()?;
    Some((ut + st) / 100.0)
}

/// Peak RSS of a scenario: the kernel's VmHWM when it could be reset at the start
/// (it then covers only this scenario), never below what the sampler saw; the
/// sampler alone otherwise, since an unreset VmHWM includes earlier scenarios.
pub fn peak_kb(hwm_reset: bool, after: Option<ProcMem>, sampled: Option<u64>) -> Option<u64> {
    match (hwm_reset, after, sampled) {
        (true, Some(m), Some(s)) => Some(m.hwm_kb.max(s)),
        (_, _, Some(s)) => Some(s),
        _ => None,
    }
}

/// `12.3 MiB`, or `-` when unknown (the human summary line's format).
pub fn mib(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "-".into())
}

/// Samples VmRSS of the relay every 50 ms and keeps the maximum.
pub struct RssSampler {
    max_kb: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
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

    pub async fn finish(self) -> u64 {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.max_kb.load(Ordering::Relaxed)
    }
}

/// Ends an optional sampler (none when no relay pid was given).
pub async fn finish(sampler: Option<RssSampler>) -> Option<u64> {
    match sampler {
        Some(s) => Some(s.finish().await),
        None => None,
    }
}
