//! `remotedev_monitor`: the monitor client (what the Redux DevTools app does).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::app::{apply_socket, client_url, connection_state, not_connected};
use super::dispatch::{Dispatcher, Slot, UserData};
use super::{
    free_raw, guard, guard_or, handle, into_raw, millis, out_arg, owned_string,
    remotedev_connection_state, remotedev_message, remotedev_message_callback, remotedev_status,
    str_arg, write, Error,
};
use crate::client::{BlockingMonitor, MonitorOptions, Recv, SocketOptions};

/// Monitor client settings. Fill with `remotedev_monitor_options_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct remotedev_monitor_options {
    /// `ws://host:port/socketcluster/`. NULL: built from `host` and `port`.
    pub url: *const c_char,
    /// Relay host when `url` is NULL. NULL: `"127.0.0.1"`.
    pub host: *const c_char,
    /// Relay port when `url` is NULL. Default 8000.
    pub port: u16,
    /// Answer each app's `START` with a targeted `START` so it sends its state, as the
    /// DevTools app does. Default true.
    pub answer_start: bool,
    /// Reconnect after the connection is lost. Default true.
    pub reconnect: bool,
    /// How long an invoke waits for its answer, in ms. Default 10000.
    pub ack_timeout_ms: u32,
    /// From starting a connection to the WebSocket being open, in ms. Default 20000.
    pub connect_timeout_ms: u32,
}

impl Default for remotedev_monitor_options {
    fn default() -> Self {
        let s = SocketOptions::default();
        remotedev_monitor_options {
            url: std::ptr::null(),
            host: std::ptr::null(),
            port: 8000,
            answer_start: true,
            reconnect: s.auto_reconnect,
            ack_timeout_ms: s.ack_timeout.as_millis() as u32,
            connect_timeout_ms: s.connect_timeout.as_millis() as u32,
        }
    }
}

/// A monitor client (opaque). Every function on it may be called from any thread at
/// once, except `remotedev_monitor_free`.
pub struct remotedev_monitor {
    callback: Slot,
    monitor: Arc<BlockingMonitor>,
}

/// Fills `*options` with the defaults. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_options_init(
    options: *mut remotedev_monitor_options,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(options, "options")?;
        write(out, remotedev_monitor_options::default());
        Ok(())
    })
}

/// Creates a monitor client and starts connecting in the background (returns at once).
/// It logs in as a monitor, subscribes `log` and `report` and broadcasts `START`.
#[no_mangle]
pub extern "C" fn remotedev_monitor_new(
    options: *const remotedev_monitor_options,
    out: *mut *mut remotedev_monitor,
) -> remotedev_status {
    guard(|| {
        let given = *handle(options, "options")?;
        let out = out_arg(out, "out")?;
        let mut o = MonitorOptions::new(client_url(given.url, given.host, given.port)?);
        o.answer_start = given.answer_start;
        apply_socket(
            &mut o.socket,
            given.reconnect,
            given.ack_timeout_ms,
            given.connect_timeout_ms,
        );
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
/// `START` has gone out). Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_monitor_connect(
    monitor: *const remotedev_monitor,
    timeout_ms: u32,
) -> remotedev_status {
    guard(|| {
        handle(monitor, "monitor")?
            .monitor
            .connect(millis(timeout_ms))?;
        Ok(())
    })
}

/// The connection state. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_state(
    monitor: *const remotedev_monitor,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let out = out_arg(out, "out")?;
        write(out, connection_state(&m.monitor.monitor().socket().state()));
        Ok(())
    })
}

/// The current socket id; `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. On
/// success `*out` is a new string freed with `remotedev_string_free`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_socket_id(
    monitor: *const remotedev_monitor,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let out = out_arg(out, "out")?;
        let id = m
            .monitor
            .monitor()
            .socket()
            .id()
            .ok_or_else(not_connected)?;
        write(out, owned_string(id));
        Ok(())
    })
}

/// Waits up to `timeout_ms` for the next app message or report notification. On
/// success `*out` is a new message (kind `REMOTEDEV_MESSAGE_KIND_APP` or `_REPORT`)
/// freed with `remotedev_message_free`. `REMOTEDEV_STATUS_TIMEOUT` when none came,
/// `REMOTEDEV_STATUS_CLOSED` after close, `REMOTEDEV_STATUS_BUSY` while a callback is
/// set. Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_monitor_next(
    monitor: *const remotedev_monitor,
    timeout_ms: u32,
    out: *mut *mut remotedev_message,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let out = out_arg(out, "out")?;
        m.callback.check_pull()?;
        match m.monitor.recv(millis(timeout_ms)) {
            Recv::Message(e) => {
                write(out, into_raw(remotedev_message::from_monitor_event(e)));
                Ok(())
            }
            Recv::Closed => Err(Error::new(
                remotedev_status::Closed,
                "the monitor was closed",
            )),
            Recv::TimedOut => Err(Error::new(
                remotedev_status::Timeout,
                format!("no message within {timeout_ms} ms"),
            )),
        }
    })
}

/// Sets (or with NULL removes) the callback for every app message and report from now
/// on. Same threading rules as `remotedev_app_set_callback`: it runs on this monitor's
/// dispatcher thread.
#[no_mangle]
pub extern "C" fn remotedev_monitor_set_callback(
    monitor: *const remotedev_monitor,
    callback: remotedev_message_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let m = handle(monitor, "monitor")?;
        let client = m.monitor.clone();
        m.callback.replace(|| {
            let Some(cb) = callback else { return Ok(None) };
            let userdata = UserData(userdata);
            Dispatcher::start(
                "remotedev-monitor-cb",
                move |within| client.recv(within),
                move |event| {
                    let ud = userdata;
                    let message = remotedev_message::from_monitor_event(event);
                    // SAFETY: `cb` is a function pointer the caller registered for
                    // this signature; the message lives across the call.
                    unsafe { cb(ud.0, &message) };
                },
            )
            .map(Some)
        })
    })
}

/// Sends a command (JSON, e.g. from `remotedev_dispatch_command`) to the app
/// connection `connection_id` only (the event `sc-<connection_id>`). Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_send_to(
    monitor: *const remotedev_monitor,
    connection_id: *const c_char,
    command_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let id = str_arg(connection_id, "connection_id")?;
        let command = str_arg(command_json, "command_json")?;
        handle(monitor, "monitor")?.monitor.send_to(id, command)?;
        Ok(())
    })
}

/// Sends a command (JSON) to every app. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_monitor_broadcast(
    monitor: *const remotedev_monitor,
    command_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let command = str_arg(command_json, "command_json")?;
        handle(monitor, "monitor")?.monitor.broadcast(command)?;
        Ok(())
    })
}

/// Disconnects for good. Blocks until closed (about 5 s at most). Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_monitor_close(monitor: *const remotedev_monitor) -> remotedev_status {
    guard(|| {
        handle(monitor, "monitor")?.monitor.close();
        Ok(())
    })
}

/// Stops the callback, closes the connection and frees the monitor. NULL is ignored.
/// Not to be called twice, nor while another thread uses the monitor.
#[no_mangle]
pub extern "C" fn remotedev_monitor_free(monitor: *mut remotedev_monitor) {
    guard_or((), || free_raw(monitor))
}
