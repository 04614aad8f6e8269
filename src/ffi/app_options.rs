//! `remotedev_app_options`: the builder of an app client's settings (the Rust
//! [`AppOptions`]: the relay address, name, instance id, replay and queue bounds, and
//! the socket's settings from a `remotedev_socket_options`).
//!
//! Every setter returns `REMOTEDEV_STATUS_OK`, `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL
//! builder or string), `REMOTEDEV_STATUS_INVALID_UTF8`, or
//! `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a value the core's conversions refuse (e.g.
//! `invalid option max_age: must not be negative, got -1`). Zero bounds are refused by
//! `remotedev_app_start` with the core's `AppOptions::validate`.

use std::ffi::c_char;

use super::client::ClientBuilder;
use super::{
    free_raw, guard_or, handle, new_builder, remotedev_socket_options, remotedev_status,
    set_option, string_value,
};
use crate::client::AppOptions;
use crate::options::{port, size};

/// An app client's settings (opaque builder): create with `remotedev_app_options_new`,
/// change with `remotedev_app_options_set_*`, pass to `remotedev_app_start` (which
/// copies it), free with `remotedev_app_options_free`. Not thread-safe: one thread at
/// a time.
#[derive(Default)]
pub struct remotedev_app_options(pub(crate) ClientBuilder<AppOptions>);

impl AsRef<ClientBuilder<AppOptions>> for remotedev_app_options {
    fn as_ref(&self) -> &ClientBuilder<AppOptions> {
        &self.0
    }
}

/// A builder with the defaults (relay `ws://127.0.0.1:8000/socketcluster/`, no name, a
/// random instance id, `max_age` 50). On success `*out` is the new builder, freed with
/// `remotedev_app_options_free`. Statuses: `NULL_ARGUMENT`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_options_new(
    out: *mut *mut remotedev_app_options,
) -> remotedev_status {
    new_builder(out)
}

/// Frees a builder. NULL is ignored. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_options_free(options: *mut remotedev_app_options) {
    guard_or((), || free_raw(options))
}

/// The relay's URL, `ws://host:port/socketcluster/` (copied; checked at start:
/// `REMOTEDEV_STATUS_INVALID_URL`). Overrides host and port.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_url(
    options: *mut remotedev_app_options,
    url: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(url, "url"), |b, v| {
        b.0.address.url = Some(v)
    })
}

/// The relay's host when no URL is set. Default `"127.0.0.1"`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_host(
    options: *mut remotedev_app_options,
    host: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(host, "host"), |b, v| {
        b.0.address.host = Some(v)
    })
}

/// The relay's port when no URL is set, 0 to 65535. Default 8000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` outside 0 to 65535.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_port(
    options: *mut remotedev_app_options,
    value: i64,
) -> remotedev_status {
    set_option(options, port("port", value), |b, v| {
        b.0.address.port = Some(v)
    })
}

/// The name shown in the monitor's instance list (copied). Default: none.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_name(
    options: *mut remotedev_app_options,
    name: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(name, "name"), |b, v| {
        b.0.inner.name = v
    })
}

/// Identifies this store across reconnects (copied). Default: random.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_instance_id(
    options: *mut remotedev_app_options,
    id: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(id, "instance_id"), |b, v| {
        b.0.inner.instance_id = v
    })
}

/// Actions kept for replay when a monitor sends `START`. Default 50.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_max_age(
    options: *mut remotedev_app_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("max_age", value), |b, v| {
        b.0.inner.max_age = v
    })
}

/// Messages kept while disconnected, delivered in order after reconnecting (the oldest
/// dropped beyond). Default 1000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a negative value.
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_queue_limit(
    options: *mut remotedev_app_options,
    value: i64,
) -> remotedev_status {
    set_option(options, size("queue_limit", value), |b, v| {
        b.0.inner.queue_limit = v
    })
}

/// The socket's settings: copies `socket` (later changes to it do not apply).
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (either builder).
#[no_mangle]
pub extern "C" fn remotedev_app_options_set_socket(
    options: *mut remotedev_app_options,
    socket: *const remotedev_socket_options,
) -> remotedev_status {
    let value = handle(socket, "socket").map(|s| s.inner.clone());
    set_option(options, value, |b, v| b.0.inner.socket = v)
}
