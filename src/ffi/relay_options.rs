//! `remotedev_relay_options`: the builder of a relay's settings, one setter per field
//! of the Rust [`RelayOptions`].
//!
//! Every setter returns `REMOTEDEV_STATUS_OK`, `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL
//! builder or string), or `REMOTEDEV_STATUS_INVALID_ARGUMENT` /
//! `REMOTEDEV_STATUS_INVALID_UTF8` for a value the core's conversions refuse (e.g. a
//! negative size: `invalid option max_payload: must not be negative, got -1`).
//! Combinations (e.g. `ping_interval` not below `ping_timeout`) are checked by
//! `remotedev_relay_start` with the core's `RelayOptions::validate`, in the same words
//! as the Rust API.

use std::ffi::c_char;

use super::{free_raw, guard, guard_or, new_builder, set_option, string_value};
use super::{out_arg, owned_string, str_arg, write};
use super::{remotedev_status, Error};
use crate::options::{millis, port, size, InvalidOption};
use crate::relay::AuthKey;
use crate::store::StoreLocation;
use crate::tls::PemSource;
use crate::RelayOptions;

/// A relay's settings (opaque builder): create with `remotedev_relay_options_new`,
/// change with the `remotedev_relay_options_set_*` functions, pass to
/// `remotedev_relay_start` (which copies it) and free with
/// `remotedev_relay_options_free`. Not thread-safe: use one builder from one thread at
/// a time.
#[derive(Default)]
pub struct remotedev_relay_options {
    pub(crate) inner: RelayOptions,
}

/// A builder with the defaults of the Rust `RelayOptions::default()` (127.0.0.1:8000,
/// reports in the user's data directory). On success `*out` is the new builder, freed
/// with `remotedev_relay_options_free`. Statuses: `NULL_ARGUMENT`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_new(
    out: *mut *mut remotedev_relay_options,
) -> remotedev_status {
    new_builder(out)
}

/// Frees a builder. NULL is ignored. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_free(options: *mut remotedev_relay_options) {
    guard_or((), || free_raw(options))
}

/// Interface to listen on (copied). Default `"127.0.0.1"`: the relay has no
/// authentication, so `"0.0.0.0"` exposes it to the network.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_host(
    options: *mut remotedev_relay_options,
    host: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(host, "host"), |b, v| b.inner.host = v)
}

/// TCP port, 0 to 65535; 0 picks a free one (read it back with `remotedev_relay_port`).
/// Default 8000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` outside 0 to 65535.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_port(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, port("port", value), |b, v| b.inner.port = v)
}

/// How often each socket is pinged, in ms (above 0, below the ping timeout). Default
/// 8000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_ping_interval_ms(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("ping_interval", value), |b, v| {
        b.inner.ping_interval = v
    })
}

/// Silence after which a socket is closed with 4001, in ms; also sent to clients as
/// their ping timeout. Default 20000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_ping_timeout_ms(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("ping_timeout", value), |b, v| {
        b.inner.ping_timeout = v
    })
}

/// How long a new socket has to send `#handshake` before it is closed with 4005, in
/// ms. Default 10000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_handshake_timeout_ms(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("handshake_timeout", value), |b, v| {
        b.inner.handshake_timeout = v
    })
}

/// How long a logged-in socket may take to subscribe to its channel before messages
/// addressed to it are sent as plain events, in ms. Default 2000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_subscribe_grace_ms(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("subscribe_grace", value), |b, v| {
        b.inner.subscribe_grace = v
    })
}

/// Largest inbound message in bytes (larger: closed with 1009). Default 100 MiB.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_max_payload(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("max_payload", value), |b, v| {
        b.inner.max_payload = v
    })
}

/// Bytes that may wait in one socket's outbound queue (beyond: closed with 4100).
/// Default 64 MiB.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_outbound_limit(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("outbound_limit", value), |b, v| {
        b.inner.outbound_limit = v
    })
}

/// Messages addressed to a socket held until it subscribes (the oldest dropped
/// beyond). Default 100.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_pending_limit(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("pending_limit", value), |b, v| {
        b.inner.pending_limit = v
    })
}

/// Channels one socket may subscribe to. Default 1000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_channel_limit(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("channel_limit", value), |b, v| {
        b.inner.channel_limit = v
    })
}

/// Largest HTTP request body (`POST /`, `POST /graphql`) in bytes; larger ones get
/// 413. Default 16 MiB.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_max_request_body(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("max_request_body", value), |b, v| {
        b.inner.max_request_body = v
    })
}

/// Runtime worker threads; 0 (the default): one per CPU.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_worker_threads(
    options: *mut remotedev_relay_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("worker_threads", value), |b, v| {
        b.inner.worker_threads = (v > 0).then_some(v)
    })
}

/// Which keep-alive form to speak: `"auto"` (the default: both until the first pong),
/// `"1"` (socketcluster ≤ 14) or `"2"` (≥ 15).
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`, `REMOTEDEV_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_protocol_version(
    options: *mut remotedev_relay_options,
    version: *const c_char,
) -> remotedev_status {
    let value = string_value(version, "protocol_version").and_then(|v| {
        v.parse()
            .map_err(|e: String| InvalidOption::new("protocol_version", e).into())
    });
    set_option(options, value, |b, v| b.inner.protocol_version = v)
}

/// Where reports are stored: an SQLite file path (created if missing; its folder must
/// exist), `":memory:"` (lost when the relay stops), or a PostgreSQL URL
/// (`postgres://user:password@host:5432/database`, connected when the relay starts).
/// Default: `reports.sqlite3` in the `remotedev` folder of the user's data directory.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_db(
    options: *mut remotedev_relay_options,
    path: *const c_char,
) -> remotedev_status {
    let value = string_value(path, "db").map(|p| StoreLocation::from_db_arg(&p));
    set_option(options, value, |b, v| b.inner.store = v)
}

/// Where reports are stored, from a knex configuration file as the reference relay's
/// `--dbOptions` (e.g. `{"client":"sqlite3","connection":{"filename":":memory:"}}`),
/// read now. Blocks to read the file. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`,
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` for an unreadable file or a configuration that is
/// neither SQLite nor PostgreSQL (`"client":"pg"`) (the text says which).
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_db_options_file(
    options: *mut remotedev_relay_options,
    path: *const c_char,
) -> remotedev_status {
    let value = string_value(path, "db_options_file").and_then(|p| {
        StoreLocation::from_knex_file(p.as_ref())
            .map_err(|e| Error::new(remotedev_status::InvalidArgument, e.to_string()))
    });
    set_option(options, value, |b, v| b.inner.store = v)
}

/// Serve the Redux DevTools monitor UI at `GET /` (and unknown HTML `GET`s), as the
/// `remotedev` command does; false answers those requests as a relay without the UI.
/// Default true. A library built without the `ui` feature never serves it.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_serve_ui(
    options: *mut remotedev_relay_options,
    value: bool,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.inner.serve_ui = v
    })
}

/// The TLS certificate chain file (PEM: the server certificate, then any
/// intermediates). With a key (`remotedev_relay_options_set_tls_key_file` or `_pem`)
/// the relay serves `wss://` and `https://` on its port and `remotedev_relay_url` is
/// `wss://…`. Read by `remotedev_relay_start`, which fails with
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` naming the file when it cannot be used.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_tls_cert_file(
    options: *mut remotedev_relay_options,
    path: *const c_char,
) -> remotedev_status {
    let value = string_value(path, "tls_cert").map(|p| PemSource::File(p.into()));
    set_option(options, value, |b, v| b.inner.tls_cert = Some(v))
}

/// The TLS certificate chain as PEM text (copied); see
/// `remotedev_relay_options_set_tls_cert_file`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_tls_cert_pem(
    options: *mut remotedev_relay_options,
    pem: *const c_char,
) -> remotedev_status {
    let value = string_value(pem, "tls_cert").map(PemSource::Text);
    set_option(options, value, |b, v| b.inner.tls_cert = Some(v))
}

/// The TLS private key file (PEM: PKCS#8, RSA, EC, or an encrypted PKCS#8 key with
/// `remotedev_relay_options_set_tls_passphrase`).
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_tls_key_file(
    options: *mut remotedev_relay_options,
    path: *const c_char,
) -> remotedev_status {
    let value = string_value(path, "tls_key").map(|p| PemSource::File(p.into()));
    set_option(options, value, |b, v| b.inner.tls_key = Some(v))
}

/// The TLS private key as PEM text (copied); see
/// `remotedev_relay_options_set_tls_key_file`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_tls_key_pem(
    options: *mut remotedev_relay_options,
    pem: *const c_char,
) -> remotedev_status {
    let value = string_value(pem, "tls_key").map(PemSource::Text);
    set_option(options, value, |b, v| b.inner.tls_key = Some(v))
}

/// The passphrase of an encrypted PKCS#8 TLS key (copied).
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_tls_passphrase(
    options: *mut remotedev_relay_options,
    passphrase: *const c_char,
) -> remotedev_status {
    let value = string_value(passphrase, "tls_passphrase");
    set_option(options, value, |b, v| b.inner.tls_passphrase = Some(v))
}

/// Requires a token (HS256 JWT signed with `key`, copied) from every socket before it
/// logs in or subscribes, and `Authorization: Bearer` on the report API; NULL turns
/// authentication off (the default). An empty key is refused at start.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_auth_key(
    options: *mut remotedev_relay_options,
    key: *const c_char,
) -> remotedev_status {
    let value = if key.is_null() {
        Ok(None)
    } else {
        string_value(key, "key").map(|k| Some(AuthKey::new(k)))
    };
    set_option(options, value, |b, v| b.inner.auth_key = v)
}

/// Also accepts browser pages from `origin` (`scheme://host[:port]`, `null` or
/// `file://`, or `*` to turn the Origin check off); call once per origin. Default:
/// only the relay's own pages, loopback and browser-extension origins. Entries are
/// checked at start. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_add_allow_origin(
    options: *mut remotedev_relay_options,
    origin: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(origin, "origin"), |b, v| {
        b.inner.allow_origins.push(v)
    })
}

/// Read-only mode: monitors may watch but not command apps (`DISPATCH`, `ACTION`, …
/// refused). Default false.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_read_only(
    options: *mut remotedev_relay_options,
    value: bool,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.inner.read_only = v
    })
}

/// Writes to `*out` a token signed with `key` for a relay started with the same key
/// (what `remotedev token` prints), valid for `expires_in_secs` seconds (0: until the
/// key changes); free it with `remotedev_string_free`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`, `REMOTEDEV_STATUS_INVALID_ARGUMENT` for
/// an empty key or a negative lifetime. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_auth_token_issue(
    key: *const c_char,
    expires_in_secs: i64,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let key = AuthKey::new(str_arg(key, "key")?);
        key.validate()?;
        let secs = u64::try_from(expires_in_secs).map_err(|_| {
            InvalidOption::new(
                "expires_in",
                format!("must not be negative, got {expires_in_secs} s"),
            )
        })?;
        let exp = (secs > 0).then(|| std::time::Duration::from_secs(secs));
        write(out, owned_string(key.issue_token(exp)));
        Ok(())
    })
}

/// Cluster mode: relays sharing the Redis at `url` (`redis://HOST:PORT[/DB]`, copied)
/// behave as one relay to every client (README "Cluster mode"); NULL turns it off (the
/// default). A URL that cannot be parsed is refused at start
/// (`REMOTEDEV_STATUS_INVALID_ARGUMENT`, the last error naming `redis`).
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_redis(
    options: *mut remotedev_relay_options,
    url: *const c_char,
) -> remotedev_status {
    let value = if url.is_null() {
        Ok(None)
    } else {
        string_value(url, "redis").map(Some)
    };
    set_option(options, value, |b, v| b.inner.redis = v)
}

/// Names the cluster inside a shared Redis (1-64 characters of `A-Z a-z 0-9 _ - .`,
/// copied; needs `remotedev_relay_options_set_redis`); NULL = the default cluster.
/// Checked at start. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_set_cluster(
    options: *mut remotedev_relay_options,
    name: *const c_char,
) -> remotedev_status {
    let value = if name.is_null() {
        Ok(None)
    } else {
        string_value(name, "cluster").map(Some)
    };
    set_option(options, value, |b, v| b.inner.cluster = v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_store_and_refuse_in_the_cores_words() {
        let mut b: *mut remotedev_relay_options = std::ptr::null_mut();
        assert_eq!(remotedev_relay_options_new(&mut b), remotedev_status::Ok);
        assert_eq!(remotedev_relay_options_set_port(b, 0), remotedev_status::Ok);
        assert_eq!(
            remotedev_relay_options_set_max_payload(b, -1),
            remotedev_status::InvalidArgument
        );
        // SAFETY: the last error is a valid NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(super::super::remotedev_last_error()) };
        assert_eq!(
            text.to_str().unwrap(),
            "invalid option max_payload: must not be negative, got -1"
        );
        remotedev_relay_options_free(b);
        remotedev_relay_options_free(std::ptr::null_mut());
    }
}
