//! The app side of traffic mode: sends benchmark messages closed loop (bounded
//! in-flight window) or open loop (fixed rate), answering pings in between.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use remotedev_tools::ws::{pong_for, Ws};
use tokio_tungstenite::tungstenite::Message;

use crate::args::Args;
use crate::payload::Payload;
use crate::traffic::Shared;

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
    let n = match sh.messages {
        0 => n,
        max => n.min(max.saturating_sub(*seq)),
    };
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

/// Runs app `idx` until the send phase ends and gives its socket back, so it
/// stays open while the monitors drain.
pub async fn app_task(
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
                    if sh.send_done(seq) { break; }
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
            if sh.send_done(seq) {
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
