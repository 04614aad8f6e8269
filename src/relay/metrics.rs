//! Prometheus metrics (`GET /metrics`) through the `metrics` crate facade and
//! `metrics-exporter-prometheus`, rendered by our own route (the exporter's HTTP
//! listener is not used).
//!
//! The `metrics` facade has one global recorder per process, installed here once (by
//! the first relay that starts). Every relay of a process therefore renders the same
//! text; each relay's own series carry a `relay` label with its listening address, so
//! several relays in one process (tests, an app embedding two) stay apart. Other code
//! (e.g. a Redis bus) can emit with the `metrics` macros and its series appear too. If
//! the embedding program installed another recorder first, `/metrics` answers 503
//! saying so.

use std::sync::OnceLock;

use metrics::{Counter, Gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::hub::Role;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder (once); `None` when another recorder was
/// installed before. `Relay::start` calls it first, so handles that other parts (e.g.
/// a Redis bus) register with the `metrics` macros while the relay starts are live.
pub(crate) fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            // Buckets make the Redis lag a Prometheus histogram (aggregatable across
            // relays) instead of the exporter's default summary.
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "remotedev_redis_lag_seconds".to_owned(),
                    ),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ],
                )
                .expect("the bucket list is not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(_) => {
                    tracing::warn!(
                        "another metrics recorder is installed in this process: /metrics is off"
                    );
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, Unit};
    describe_gauge!(
        "remotedev_connections",
        "Open WebSocket connections by remotedev role (app, monitor, none = not logged in)"
    );
    describe_counter!(
        "remotedev_messages_relayed_total",
        "Messages received from sockets and relayed (log, log-noid, respond, sc-<id>)"
    );
    describe_counter!(
        "remotedev_relayed_bytes_total",
        Unit::Bytes,
        "Bytes of the #publish frames queued to subscribers (each recipient counted)"
    );
    describe_counter!(
        "remotedev_slow_reader_closes_total",
        "Sockets closed with 4100 because they read too slowly (maxOutboundBytes)"
    );
    describe_counter!(
        "remotedev_ping_timeout_closes_total",
        "Sockets closed with 4001 because they were silent for pingTimeout"
    );
    describe_counter!(
        "remotedev_reports_added_total",
        "Reports stored through POST / (accepted adds)"
    );
    describe_counter!(
        "remotedev_auth_failures_total",
        "Refused tokens and requests refused for want of one (with an auth key)"
    );
}

/// The Prometheus text of every series of the process.
pub(crate) fn render() -> Option<String> {
    install().map(PrometheusHandle::render)
}

/// One relay's series (handles registered once, so counting is an atomic add).
pub(crate) struct RelayMetrics {
    apps: Gauge,
    monitors: Gauge,
    unnamed: Gauge,
    pub(crate) messages: Counter,
    pub(crate) bytes: Counter,
    pub(crate) slow_reader_closes: Counter,
    pub(crate) ping_timeout_closes: Counter,
    pub(crate) reports_added: Counter,
    pub(crate) auth_failures: Counter,
}

impl RelayMetrics {
    /// Series labelled `relay="<relay>"` (the listening address).
    pub(crate) fn new(relay: &str) -> RelayMetrics {
        install();
        let relay = relay.to_owned();
        let role = |r: &'static str| metrics::gauge!("remotedev_connections", "relay" => relay.clone(), "role" => r);
        let counter = |name: &'static str| metrics::counter!(name, "relay" => relay.clone());
        RelayMetrics {
            apps: role("app"),
            monitors: role("monitor"),
            unnamed: role("none"),
            messages: counter("remotedev_messages_relayed_total"),
            bytes: counter("remotedev_relayed_bytes_total"),
            slow_reader_closes: counter("remotedev_slow_reader_closes_total"),
            ping_timeout_closes: counter("remotedev_ping_timeout_closes_total"),
            reports_added: counter("remotedev_reports_added_total"),
            auth_failures: counter("remotedev_auth_failures_total"),
        }
    }

    /// The connection gauge of a role (`None`: not logged in).
    pub(crate) fn connections(&self, role: Option<Role>) -> &Gauge {
        match role {
            Some(Role::App) => &self.apps,
            Some(Role::Monitor) => &self.monitors,
            None => &self.unnamed,
        }
    }
}
