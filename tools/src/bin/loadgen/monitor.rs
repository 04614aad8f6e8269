//! The monitor side of traffic mode: receives every app message, answers pings,
//! and times each delivery.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use remotedev_tools::ws::{pong_for, Ws};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::payload::parse_marker;
use crate::traffic::Shared;

pub struct MonitorResult {
    /// Latencies (ns) of the deliveries received inside the measured window.
    pub samples: Vec<u64>,
    pub in_window: u64,
}

pub async fn monitor_task(
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
