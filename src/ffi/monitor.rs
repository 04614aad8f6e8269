//! `remotedev_monitor`: the monitor client, what the Redux DevTools app does (started
//! from a `remotedev_monitor_options` builder, see `monitor_options.rs`).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::client::{self, ClientBuilder};
use super::dispatch::{pull, set_callback, Pulled, Slot};
use super::{
    free_raw, guard, guard_or, handle, into_raw, out_arg, remotedev_connection_state,
    remotedev_message, remotedev_message_callback, remotedev_monitor_options, remotedev_status,
    str_arg, write,
};
use crate::client::BlockingMonitor;

/// A monitor client (opaque). Thread-safe: every function on it may be called from any
/// thread at once, except `remotedev_monitor_free`.
pub struct remotedev_monitor {
    callback: Slot,
    monitor: Arc<BlockingMonitor>,
}

/// Creates a monitor client with the settings of `options` (copied; NULL: the
/// defaults) and starts connecting in the background (returns at once). It logs in as a
/// monitor, subscribes `log` and `report` and broadcasts `START`.
///
/// Statuses: `REMOTEDEV_STATUS_INVALID_URL`, `REMOTEDEV_STATUS_INVALID_ARGUMENT` (an
/// option the core's `validate` refuses), `REMOTEDEV_STATUS_IO`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_start(
    options: *const remotedev_monitor_options,
    out: *mut *mut remotedev_monitor,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let o = ClientBuilder::options_of(options)?;
        let monitor = BlockingMonitor::start(o)?;
        write(
            out,
            into_raw(remotedev_monitor {
                callback: Slot::default(),
                monitor: Arc::new(monitor),
            }),
        );
        Ok(())
    })
}

/// Waits up to `timeout_ms` until connected with `log` subscribed (the broadcast
/// `START` has gone out). On success, when `id` is not NULL, `*id` is the socket id (a
/// new string freed with `remotedev_string_free`). Statuses as `remotedev_app_connect`:
/// `REMOTEDEV_STATUS_CONNECT_FAILED` (endpoint and cause in the last error),
/// `REMOTEDEV_STATUS_TIMEOUT`, `REMOTEDEV_STATUS_CLOSED`. Blocks the calling thread
/// only.
#[no_mangle]
pub extern "C" fn remotedev_monitor_connect(
    monitor: *const remotedev_monitor,
    timeout_ms: u32,
    id: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::connect(&*handle(monitor, "monitor")?.monitor, timeout_ms, id))
}

/// The connection state. Statuses: only `REMOTEDEV_STATUS_NULL_ARGUMENT`. Thread-safe,
/// never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_state(
    monitor: *const remotedev_monitor,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| client::state(&*handle(monitor, "monitor")?.monitor, out))
}

/// The current socket id, a new string freed with `remotedev_string_free`. Statuses:
/// `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_socket_id(
    monitor: *const remotedev_monitor,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::socket_id(&*handle(monitor, "monitor")?.monitor, out))
}

/// The client's latest error text (e.g. why it cannot connect while it retries), a new
/// string freed with `remotedev_string_free`. Statuses: `REMOTEDEV_STATUS_NO_ERROR` when
/// there was none. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_last_error(
    monitor: *const remotedev_monitor,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::last_error(&*handle(monitor, "monitor")?.monitor, out))
}

/// Waits up to `timeout_ms` for the next app message or report notification. On
/// success `*out` is a new message (kind `REMOTEDEV_MESSAGE_KIND_APP` or `_REPORT`)
/// freed with `remotedev_message_free`. Statuses: `REMOTEDEV_STATUS_TIMEOUT` when none
/// came yet, `REMOTEDEV_STATUS_CLOSED` once the monitor is closed,
/// `REMOTEDEV_STATUS_BUSY` while a callback is set. Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_monitor_next(
    monitor: *const remotedev_monitor,
    timeout_ms: u32,
    out: *mut *mut remotedev_message,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let what = Pulled {
            item: "message",
            from: "monitor",
        };
        pull(
            &m.callback,
            what,
            timeout_ms,
            out,
            |within| m.monitor.recv(within),
            |e| into_raw(remotedev_message::from_monitor_event(e)),
        )
    })
}

/// Sets (or with NULL removes) the callback for every app message and report from now
/// on. Same threading rules as `remotedev_app_set_callback`: it runs on this monitor's
/// dispatcher thread. Statuses: `REMOTEDEV_STATUS_IO` (no thread).
#[no_mangle]
pub extern "C" fn remotedev_monitor_set_callback(
    monitor: *const remotedev_monitor,
    callback: remotedev_message_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let client = m.monitor.clone();
        set_callback(
            &m.callback,
            "remotedev-monitor-cb",
            callback,
            userdata,
            move |within| client.recv(within),
            |cb, ud, event| remotedev_message::from_monitor_event(event).lend(cb, ud),
        )
    })
}

/// Sends a command (JSON, e.g. from `remotedev_dispatch_command`) to the app
/// connection `connection_id` only (the event `sc-<connection_id>`). Statuses:
/// `REMOTEDEV_STATUS_INVALID_UTF8`, `REMOTEDEV_STATUS_INVALID_JSON`,
/// `REMOTEDEV_STATUS_CLOSED`, `REMOTEDEV_STATUS_QUEUE_FULL`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_send_to(
    monitor: *const remotedev_monitor,
    connection_id: *const c_char,
    command_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let id = str_arg(connection_id, "connection_id")?;
        let command = str_arg(command_json, "command_json")?;
        Ok(handle(monitor, "monitor")?.monitor.send_to(id, command)?)
    })
}

/// Sends a command (JSON) to every app. Statuses as `remotedev_monitor_send_to`. Never
/// blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_broadcast(
    monitor: *const remotedev_monitor,
    command_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let command = str_arg(command_json, "command_json")?;
        Ok(handle(monitor, "monitor")?.monitor.broadcast(command)?)
    })
}

/// Disconnects for good: later `remotedev_monitor_next` calls are
/// `REMOTEDEV_STATUS_CLOSED`. Blocks until closed (about 5 s at most). Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_monitor_close(monitor: *const remotedev_monitor) -> remotedev_status {
    guard(|| client::close(&*handle(monitor, "monitor")?.monitor))
}

/// Stops the callback, closes the connection and frees the monitor. NULL is ignored.
/// Not to be called twice, nor while another thread uses the monitor.
#[no_mangle]
pub extern "C" fn remotedev_monitor_free(monitor: *mut remotedev_monitor) {
    guard_or((), || free_raw(monitor))
}
