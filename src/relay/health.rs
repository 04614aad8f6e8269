//! Operations endpoints: `GET /healthz` (liveness: the process answers), `GET /readyz`
//! (readiness: every named check passes) and `GET /metrics` (Prometheus text, see
//! `metrics`). Load balancers and orchestrators send no `Origin`, so these paths pass
//! the Origin / Host policy without one, and they need no token when the relay has an
//! auth key (they show counts and check names, never data).
//!
//! Readiness is a list of named checks built in `Relay::start` (server.rs): `listening`
//! (always passes: an answer proves it) and `store` (the report table can be read).
//! A check of a connection that is kept elsewhere is one line there, e.g.
//! `readiness.add_flag("redis", move || bus.is_connected());`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::http::Shared;
use crate::store::ReportStore;

/// How long one readiness check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Check = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

/// Named readiness checks, run concurrently on every `GET /readyz`.
#[derive(Clone, Default)]
pub(crate) struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    /// The relay's own checks: `listening` and `store`.
    pub(crate) fn new(store: ReportStore) -> Readiness {
        let mut r = Readiness::default();
        r.add_flag("listening", || true);
        r.add("store", move || {
            let store = store.clone();
            Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
        });
        r
    }

    /// Adds an asynchronous check; `Err` says what is wrong.
    pub(crate) fn add(
        &mut self,
        name: &'static str,
        check: impl Fn() -> CheckFuture + Send + Sync + 'static,
    ) {
        self.checks.push((name, Arc::new(check)));
    }

    /// Adds a check of a state kept elsewhere (e.g. "is Redis connected").
    pub(crate) fn add_flag(
        &mut self,
        name: &'static str,
        ready: impl Fn() -> bool + Send + Sync + 'static,
    ) {
        self.add(name, move || {
            let ok = ready();
            Box::pin(async move {
                if ok {
                    Ok(())
                } else {
                    Err("not connected".to_owned())
                }
            })
        });
    }

    /// Runs every check: whether all passed, and `name → "ok" | reason`.
    pub(crate) async fn run(&self) -> (bool, Map<String, Value>) {
        let results = futures_util::future::join_all(self.checks.iter().map(|(name, check)| {
            let fut = check();
            async move {
                let out = match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
                };
                (*name, out)
            }
        }))
        .await;
        let mut all = true;
        let mut map = Map::new();
        for (name, out) in results {
            let value = match out {
                Ok(()) => Value::from("ok"),
                Err(reason) => {
                    all = false;
                    Value::from(reason)
                }
            };
            map.insert(name.to_owned(), value);
        }
        (all, map)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /healthz`: the process serves HTTP.
pub(crate) async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when every check passes, else 503 naming the failed ones.
pub(crate) async fn readyz(State(shared): State<Shared>) -> Response {
    let (ready, checks) = shared.readiness.run().await;
    if ready {
        json_response(
            StatusCode::OK,
            &json!({"status": "ready", "checks": checks}),
        )
    } else {
        let failed: Vec<&String> = checks
            .iter()
            .filter(|(_, v)| v.as_str() != Some("ok"))
            .map(|(k, _)| k)
            .collect();
        tracing::debug!("not ready: {failed:?}");
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "not ready", "failed": failed, "checks": checks}),
        )
    }
}

/// `GET /metrics`: Prometheus text format 0.0.4.
pub(crate) async fn metrics() -> Response {
    match super::metrics::render() {
        Some(text) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "metrics are off: the program embedding this relay installed another `metrics` recorder\n",
        )
            .into_response(),
    }
}

/// Paths that probes and scrapers use.
pub(crate) fn is_ops_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}
