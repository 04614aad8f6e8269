//! `remotedev_socket_options`: the builder of a SocketCluster socket's settings (the
//! Rust [`SocketOptions`] with its [`crate::client::Backoff`]), for
//! `remotedev_socket_create` and, through `remotedev_app_options_set_socket` /
//! `remotedev_monitor_options_set_socket`, for the app and monitor clients.
//!
//! Every setter returns `REMOTEDEV_STATUS_OK`, `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL
//! builder) or `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a value the core's conversions
//! refuse (negative: `invalid option ack_timeout: must not be negative, got -1 ms`).
//! Zero timeouts and the backoff's combinations are refused when the client starts,
//! by the core's `SocketOptions::validate`, in the same words as the Rust API.

use std::ffi::{c_char, c_double};

use super::{free_raw, guard_or, new_builder, remotedev_status, set_option, string_value};
use crate::client::{Backoff, Schedule, SocketOptions};
use crate::options::{millis, size, InvalidOption};
use crate::tls::PemSource;

/// A socket's settings (opaque builder): create with `remotedev_socket_options_new`,
/// change with `remotedev_socket_options_set_*`, pass to `remotedev_socket_create` or
/// to an app / monitor builder (both copy it), free with
/// `remotedev_socket_options_free`. Not thread-safe: one thread at a time.
#[derive(Default)]
pub struct remotedev_socket_options {
    pub(crate) inner: SocketOptions,
}

/// A builder with the defaults of the reference clients (ack timeout 10 s, connect
/// timeout 20 s, reconnect on). On success `*out` is the new builder, freed with
/// `remotedev_socket_options_free`. Statuses: `NULL_ARGUMENT`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_new(
    out: *mut *mut remotedev_socket_options,
) -> remotedev_status {
    new_builder(out)
}

/// Frees a builder. NULL is ignored. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_free(options: *mut remotedev_socket_options) {
    guard_or((), || free_raw(options))
}

/// Reconnect after the connection is lost. Default true.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_reconnect(
    options: *mut remotedev_socket_options,
    value: bool,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.inner.auto_reconnect = v
    })
}

/// How long an invoke (and the clients' login) waits for its answer, in ms. Default
/// 10000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_ack_timeout_ms(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("ack_timeout", value), |b, v| {
        b.inner.ack_timeout = v
    })
}

/// From starting a connection to the WebSocket being open, in ms. Default 20000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_connect_timeout_ms(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("connect_timeout", value), |b, v| {
        b.inner.connect_timeout = v
    })
}

/// Transmits held while not connected (the oldest dropped beyond). Default 1000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_queue_limit(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("queue_limit", value), |b, v| {
        b.inner.queue_limit = v
    })
}

/// Largest inbound message in bytes. Default 100 MiB.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_max_payload(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("max_payload", value), |b, v| {
        b.inner.max_payload = v
    })
}

/// The shortest wait before the first reconnect attempt, in ms. Default 250 (see
/// README "Reconnect").
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_backoff_initial_delay_ms(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("backoff.initial_delay", value), |b, v| {
        b.inner.backoff.initial_delay = v
    })
}

/// Up to this much is added at random to the first wait, in ms. Default 250.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_backoff_randomness_ms(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("backoff.randomness", value), |b, v| {
        b.inner.backoff.randomness = v
    })
}

/// Each further attempt waits up to this many times longer (finite, ≥ 1; checked at
/// start). Default 2.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_backoff_multiplier(
    options: *mut remotedev_socket_options,
    value: c_double,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.inner.backoff.multiplier = v
    })
}

/// The longest wait between attempts, in ms (at least the initial delay). Default
/// 30000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_backoff_max_delay_ms(
    options: *mut remotedev_socket_options,
    value: i64,
) -> remotedev_status {
    set_option(options, millis("backoff.max_delay", value), |b, v| {
        b.inner.backoff.max_delay = v
    })
}

/// How the reconnect waits grow: 0 (default) jittered — 250–500 ms first, then a
/// random time in `[d/2, d]` with `d` doubling up to the maximum; 1 reference —
/// SocketCluster's `(initial + randomness·r) · multiplierⁿ` (README "Reconnect").
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for another number
/// (`invalid option backoff.schedule: must be 0 (jittered) or 1 (reference), got 7`).
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_backoff_schedule(
    options: *mut remotedev_socket_options,
    schedule: i64,
) -> remotedev_status {
    set_option(options, Schedule::from_number(schedule), |b, v| {
        b.inner.backoff.schedule = v
    })
}

/// Sets all five backoff settings to socketcluster-client's schedule (reference
/// schedule, 10 s + up to 10 s, ×1.5, at most 60 s): the timings of the reference
/// clients. Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_use_reference_backoff(
    options: *mut remotedev_socket_options,
) -> remotedev_status {
    set_option(
        options,
        Ok::<_, InvalidOption>(Backoff::reference()),
        |b, v| b.inner.backoff = v,
    )
}

/// Adds a CA certificate file (PEM, one or more certificates) to trust for `wss://`
/// relays and their `https://` report API, besides the platform's roots; call again
/// for more. Read when the client starts, which fails with
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` (`invalid option ca_certs: cannot read …`).
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_add_ca_file(
    options: *mut remotedev_socket_options,
    path: *const c_char,
) -> remotedev_status {
    let value = string_value(path, "ca_certs").map(|p| PemSource::File(p.into()));
    set_option(options, value, |b, v| b.inner.tls.ca_certs.push(v))
}

/// Adds CA certificates given as PEM text (copied); see
/// `remotedev_socket_options_add_ca_file`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_add_ca_pem(
    options: *mut remotedev_socket_options,
    pem: *const c_char,
) -> remotedev_status {
    let value = string_value(pem, "ca_certs").map(PemSource::Text);
    set_option(options, value, |b, v| b.inner.tls.ca_certs.push(v))
}

/// DANGEROUS: accept any TLS certificate (any signer, any name, expired), for a
/// self-signed relay in development only; anyone on the network path can then read
/// and change the traffic. Default false.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_dangerous_accept_any_certificate(
    options: *mut remotedev_socket_options,
    value: bool,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.inner.tls.dangerous_accept_any_certificate = v
    })
}

/// The token sent in the handshake (`authToken`, copied) for a relay started with an
/// auth key; NULL removes it. Default none. A relay that refuses it (or requires one)
/// makes `*_connect` return `REMOTEDEV_STATUS_AUTH`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`; an empty token is refused at start
/// (`INVALID_ARGUMENT`).
#[no_mangle]
pub extern "C" fn remotedev_socket_options_set_auth_token(
    options: *mut remotedev_socket_options,
    token: *const c_char,
) -> remotedev_status {
    let value = if token.is_null() {
        Ok(None)
    } else {
        string_value(token, "token").map(Some)
    };
    set_option(options, value, |b, v| b.inner.auth_token = v)
}
