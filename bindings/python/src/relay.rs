//! `NativeRelay`: a relay on its own runtime threads (`remotedev.Relay` wraps it). Every
//! `RelayOptions` field can be set; one left `None` keeps the core's default
//! (`RelayOptions::default()`, e.g. port 8000), and the core checks them all.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyString;

use remotedev::protocol::ProtocolVersion;
use remotedev::relay::AuthKey;
use remotedev::store::StoreLocation;
use remotedev::tls::PemSource;
use remotedev::{BlockingRelay, RelayOptions};

use crate::convert::{lock, plain_text, port, secs, size};
use crate::errors::{invalid, option_err, relay_err};

/// Sets `$field` from an optional argument through a conversion.
macro_rules! set {
    ($o:ident . $field:ident, $value:expr, $convert:expr) => {
        if let Some(v) = $value {
            $o.$field = $convert(v)?;
        }
    };
}

/// Where reports go: `db` (a path or `:memory:`) or `db_options` (a knex JSON file).
fn store(db: Option<&Bound<'_, PyString>>, db_options: Option<PathBuf>) -> PyResult<StoreLocation> {
    match (db, db_options) {
        (Some(_), Some(_)) => Err(invalid("give either db or db_options, not both")),
        (Some(db), None) => Ok(StoreLocation::from_db_arg(&plain_text("db", db)?)),
        (None, Some(file)) => {
            StoreLocation::from_knex_file(&file).map_err(|e| invalid(format!("db_options: {e}")))
        }
        (None, None) => Ok(StoreLocation::default()),
    }
}

/// A PEM file or PEM text (not both).
fn pem(field: &str, file: Option<PathBuf>, text: Option<String>) -> PyResult<Option<PemSource>> {
    match (file, text) {
        (Some(_), Some(_)) => Err(invalid(format!("give either {field} or {field}_pem, not both"))),
        (Some(f), None) => Ok(Some(PemSource::File(f))),
        (None, Some(t)) => Ok(Some(PemSource::Text(t))),
        (None, None) => Ok(None),
    }
}

/// A relay; listening once created.
#[pyclass(module = "remotedev._remotedev", frozen)]
pub(crate) struct NativeRelay {
    relay: Mutex<Option<BlockingRelay>>,
    port: u16,
    url: String,
}

#[pymethods]
impl NativeRelay {
    #[new]
    #[pyo3(signature = (host=None, port=None, *, ping_interval=None, ping_timeout=None, handshake_timeout=None, max_payload=None, max_outbound_bytes=None, protocol_version=None, subscribe_grace=None, pending_limit=None, channel_limit=None, worker_threads=None, db=None, db_options=None, max_request_body=None, tls_cert=None, tls_key=None, tls_cert_pem=None, tls_key_pem=None, tls_passphrase=None, serve_ui=None, allow_origins=None, auth_key=None, read_only=None, redis=None, cluster=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: Option<Bound<'_, PyString>>,
        port: Option<i64>,
        ping_interval: Option<f64>,
        ping_timeout: Option<f64>,
        handshake_timeout: Option<f64>,
        max_payload: Option<i64>,
        max_outbound_bytes: Option<i64>,
        protocol_version: Option<Bound<'_, PyString>>,
        subscribe_grace: Option<f64>,
        pending_limit: Option<i64>,
        channel_limit: Option<i64>,
        worker_threads: Option<i64>,
        db: Option<Bound<'_, PyString>>,
        db_options: Option<PathBuf>,
        max_request_body: Option<i64>,
        tls_cert: Option<PathBuf>,
        tls_key: Option<PathBuf>,
        tls_cert_pem: Option<String>,
        tls_key_pem: Option<String>,
        tls_passphrase: Option<String>,
        serve_ui: Option<bool>,
        allow_origins: Option<Vec<Bound<'_, PyString>>>,
        auth_key: Option<Bound<'_, PyString>>,
        read_only: Option<bool>,
        redis: Option<Bound<'_, PyString>>,
        cluster: Option<Bound<'_, PyString>>,
    ) -> PyResult<Self> {
        let mut o = RelayOptions::default();
        set!(o.host, host.as_ref(), |h| plain_text("host", h)
            .map(|h| h.into_owned()));
        set!(o.port, port, |n| self::port("port", n));
        set!(o.ping_interval, ping_interval, |v| secs("ping_interval", v));
        set!(o.ping_timeout, ping_timeout, |v| secs("ping_timeout", v));
        set!(o.handshake_timeout, handshake_timeout, |v| secs(
            "handshake_timeout",
            v
        ));
        set!(o.subscribe_grace, subscribe_grace, |v| secs(
            "subscribe_grace",
            v
        ));
        set!(o.max_payload, max_payload, |n| size("max_payload", n));
        set!(o.outbound_limit, max_outbound_bytes, |n| size(
            "outbound_limit",
            n
        ));
        set!(o.pending_limit, pending_limit, |n| size("pending_limit", n));
        set!(o.channel_limit, channel_limit, |n| size("channel_limit", n));
        set!(o.max_request_body, max_request_body, |n| size(
            "max_request_body",
            n
        ));
        if let Some(v) = serve_ui {
            o.serve_ui = v;
        }
        if let Some(n) = worker_threads {
            o.worker_threads = Some(size("worker_threads", n)?);
        }
        set!(
            o.protocol_version,
            protocol_version.as_ref(),
            |v: &Bound<'_, PyString>| {
                plain_text("protocol_version", v)?
                    .parse::<ProtocolVersion>()
                    .map_err(invalid)
            }
        );
        o.store = store(db.as_ref(), db_options)?;
        o.tls_cert = pem("tls_cert", tls_cert, tls_cert_pem)?;
        o.tls_key = pem("tls_key", tls_key, tls_key_pem)?;
        o.tls_passphrase = tls_passphrase;
        if let Some(list) = allow_origins {
            o.allow_origins = list
                .iter()
                .map(|s| plain_text("allow_origins", s).map(|s| s.into_owned()))
                .collect::<PyResult<_>>()?;
        }
        set!(o.auth_key, auth_key.as_ref(), |k| plain_text("auth_key", k)
            .map(|k| Some(AuthKey::new(k.into_owned()))));
        set!(o.read_only, read_only, Ok::<bool, PyErr>);
        set!(o.redis, redis.as_ref(), |u| plain_text("redis", u)
            .map(|u| Some(u.into_owned())));
        set!(o.cluster, cluster.as_ref(), |c| plain_text("cluster", c)
            .map(|c| Some(c.into_owned())));
        let relay = py.detach(|| BlockingRelay::start(o)).map_err(relay_err)?;
        Ok(NativeRelay {
            port: relay.port(),
            url: relay.url().to_owned(),
            relay: Mutex::new(Some(relay)),
        })
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// None without `redis` (or once closed), else whether Redis is connected now.
    #[getter]
    fn redis_connected(&self) -> Option<bool> {
        self.relay
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(BlockingRelay::redis_connected)
    }

    #[getter]
    fn closed(&self) -> bool {
        lock(&self.relay).is_none()
    }

    /// Closes every socket (1001) and stops the relay. Idempotent.
    fn close(&self, py: Python<'_>) {
        let relay = lock(&self.relay).take();
        if let Some(mut relay) = relay {
            py.detach(move || relay.shutdown());
        }
    }
}

/// A token signed with `key` for a relay started with the same key (what `remotedev
/// token` prints), valid for `expires_in` seconds (`None`: until the key changes).
#[pyfunction]
#[pyo3(signature = (key, expires_in=None))]
pub(crate) fn issue_token(key: Bound<'_, PyString>, expires_in: Option<f64>) -> PyResult<String> {
    let key = AuthKey::new(plain_text("key", &key)?.into_owned());
    key.validate().map_err(option_err)?;
    let exp = expires_in.map(|v| secs("expires_in", v)).transpose()?;
    Ok(key.issue_token(exp))
}
