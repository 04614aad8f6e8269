//! `remotedev_monitor_options`: the builder of a monitor client's settings (the Rust
//! [`MonitorOptions`]: the relay address, whether to answer `START`, and the socket's
//! settings from a `remotedev_socket_options`).
//!
//! Every setter returns `REMOTEDEV_STATUS_OK`, `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL
//! builder or string), `REMOTEDEV_STATUS_INVALID_UTF8`, or
//! `REMOTEDEV_STATUS_INVALID_ARGUMENT` for a value the core's conversions refuse.

use std::ffi::c_char;

use super::client::ClientBuilder;
use super::{
    free_raw, guard_or, handle, new_builder, remotedev_socket_options, remotedev_status,
    set_option, string_value,
};
use crate::client::MonitorOptions;
use crate::options::{port, InvalidOption};

/// A monitor client's settings (opaque builder): create with
/// `remotedev_monitor_options_new`, change with `remotedev_monitor_options_set_*`, pass
/// to `remotedev_monitor_start` (which copies it), free with
/// `remotedev_monitor_options_free`. Not thread-safe: one thread at a time.
#[derive(Default)]
pub struct remotedev_monitor_options(pub(crate) ClientBuilder<MonitorOptions>);

impl AsRef<ClientBuilder<MonitorOptions>> for remotedev_monitor_options {
    fn as_ref(&self) -> &ClientBuilder<MonitorOptions> {
        &self.0
    }
}

/// A builder with the defaults (relay `ws://127.0.0.1:8000/socketcluster/`, answering
/// `START`). On success `*out` is the new builder, freed with
/// `remotedev_monitor_options_free`. Statuses: `NULL_ARGUMENT`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_new(
    out: *mut *mut remotedev_monitor_options,
) -> remotedev_status {
    new_builder(out)
}

/// Frees a builder. NULL is ignored. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_free(options: *mut remotedev_monitor_options) {
    guard_or((), || free_raw(options))
}

/// The relay's URL, `ws://host:port/socketcluster/` (copied; checked at start:
/// `REMOTEDEV_STATUS_INVALID_URL`). Overrides host and port.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_set_url(
    options: *mut remotedev_monitor_options,
    url: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(url, "url"), |b, v| {
        b.0.address.url = Some(v)
    })
}

/// The relay's host when no URL is set. Default `"127.0.0.1"`.
/// Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_set_host(
    options: *mut remotedev_monitor_options,
    host: *const c_char,
) -> remotedev_status {
    set_option(options, string_value(host, "host"), |b, v| {
        b.0.address.host = Some(v)
    })
}

/// The relay's port when no URL is set, 0 to 65535. Default 8000.
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` outside 0 to 65535.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_set_port(
    options: *mut remotedev_monitor_options,
    value: i64,
) -> remotedev_status {
    set_option(options, port("port", value), |b, v| {
        b.0.address.port = Some(v)
    })
}

/// Answer each app's `START` with a targeted `START` so it sends its state, as the
/// DevTools app does. Default true.
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (NULL builder) only.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_set_answer_start(
    options: *mut remotedev_monitor_options,
    value: bool,
) -> remotedev_status {
    set_option(options, Ok::<_, InvalidOption>(value), |b, v| {
        b.0.inner.answer_start = v
    })
}

/// The socket's settings: copies `socket` (later changes to it do not apply).
/// Statuses: `REMOTEDEV_STATUS_NULL_ARGUMENT` (either builder).
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_set_socket(
    options: *mut remotedev_monitor_options,
    socket: *const remotedev_socket_options,
) -> remotedev_status {
    let value = handle(socket, "socket").map(|s| s.inner.clone());
    set_option(options, value, |b, v| b.0.inner.socket = v)
}
