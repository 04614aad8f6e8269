//! Cluster mode's metrics (issue 15) through the `metrics` facade: a recorder installed
//! for this test binary sees the counters and the lag histogram a cross-relay message
//! produces. Needs `redis-server` (tests/lib/setup.sh `ensure_redis`).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::redis::Redis;
use common::{options, relay, Peer};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

#[derive(Default)]
struct Seen {
    counters: Mutex<HashMap<String, Arc<Count>>>,
    histograms: Mutex<HashMap<String, Arc<Samples>>>,
}

#[derive(Default)]
struct Count(AtomicU64);
impl metrics::CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);
impl metrics::HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

struct Rec(Arc<Seen>);
impl Recorder for Rec {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut c = self.0.counters.lock().unwrap();
        Counter::from_arc(c.entry(key.name().to_owned()).or_default().clone())
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut h = self.0.histograms.lock().unwrap();
        Histogram::from_arc(h.entry(key.name().to_owned()).or_default().clone())
    }
}

impl Seen {
    fn count(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.0.load(Ordering::Relaxed))
    }
    fn samples(&self, name: &str) -> Vec<f64> {
        self.histograms
            .lock()
            .unwrap()
            .get(name)
            .map_or_else(Vec::new, |h| h.0.lock().unwrap().clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_relay_messages_are_counted_and_their_lag_recorded() {
    let seen = Arc::new(Seen::default());
    metrics::set_global_recorder(Rec(seen.clone())).expect("the only recorder");
    let redis = Redis::start();
    let mut o = options();
    o.redis = Some(redis.url());
    let (a, b) = (relay(o.clone()).await, relay(o).await);
    let deadline = Instant::now() + Duration::from_secs(20);
    common::redis::all_connected(&[&a, &b]).await;
    let mut monitor = Peer::login(&b.url(), "{}").await;
    let mut app = Peer::login(&a.url(), r#""master""#).await;
    for i in 0..5 {
        app.transmit("log", &i.to_string()).await;
        monitor.text().await;
    }
    // every log went through Redis once; B received them (A ignored its own echo)
    assert!(seen.count("remotedev_redis_published_total") >= 5);
    assert_eq!(seen.count("remotedev_redis_received_total"), 5);
    assert_eq!(seen.count("remotedev_redis_dropped_total"), 0);
    let lag = seen.samples("remotedev_redis_lag_seconds");
    assert_eq!(lag.len(), 5);
    assert!(lag.iter().all(|&s| (0.0..5.0).contains(&s)), "{lag:?}");

    // Redis gone: what the app logs meanwhile is dropped and counted
    drop(redis);
    while a.redis_connected() != Some(false) {
        assert!(Instant::now() < deadline + Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.transmit("log", "6").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.count("remotedev_redis_dropped_total") == 0 {
        assert!(
            Instant::now() < deadline,
            "the dropped message was not counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
