//! `remotedev_app`: the instrumented-app client.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::dispatch::{Dispatcher, Slot, UserData};
use super::{
    free_raw, guard, guard_or, handle, into_raw, millis, opt_str_arg, out_arg, owned_string,
    remotedev_message, remotedev_status, str_arg, write, Error, Result,
};
use crate::client::{AppOptions, BlockingApp, ConnectionState, Recv, SocketOptions};

/// Where a client connection is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum remotedev_connection_state {
    /// Connecting (or waiting to reconnect).
    Connecting = 0,
    /// Connected: the SocketCluster handshake is done.
    Open = 1,
    /// The connection was lost; a reconnect may follow.
    Disconnected = 2,
    /// Closed for good.
    Closed = 3,
}

pub(crate) fn connection_state(s: &ConnectionState) -> remotedev_connection_state {
    match s {
        ConnectionState::Connecting => remotedev_connection_state::Connecting,
        ConnectionState::Open { .. } => remotedev_connection_state::Open,
        ConnectionState::Disconnected { .. } => remotedev_connection_state::Disconnected,
        ConnectionState::Closed => remotedev_connection_state::Closed,
    }
}

/// Called with each message a client receives, on the client's dispatcher thread (a
/// thread the library owns, one per client, never a runtime worker). Calls for one
/// client never overlap. `message` is lent for the call only: copy it with
/// `remotedev_message_clone` to keep it, never free it. The callback may call any
/// function of the library, including setting another callback or freeing the client.
pub type remotedev_message_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, message: *const remotedev_message)>;

/// App client settings. Fill with `remotedev_app_options_init`, then change fields.
/// Strings are NUL-terminated UTF-8, copied during `remotedev_app_new`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct remotedev_app_options {
    /// `ws://host:port/socketcluster/`. NULL: built from `host` and `port`.
    pub url: *const c_char,
    /// Relay host when `url` is NULL. NULL: `"127.0.0.1"`.
    pub host: *const c_char,
    /// Relay port when `url` is NULL. Default 8000.
    pub port: u16,
    /// Name shown in the monitor's instance list. NULL: none.
    pub name: *const c_char,
    /// Identifies this store across reconnects. NULL: random.
    pub instance_id: *const c_char,
    /// Actions kept for replay when a monitor sends `START`. Default 50.
    pub max_age: u32,
    /// Reconnect after the connection is lost. Default true.
    pub reconnect: bool,
    /// How long an invoke (the login) waits for its answer, in ms. Default 10000.
    pub ack_timeout_ms: u32,
    /// From starting a connection to the WebSocket being open, in ms. Default 20000.
    pub connect_timeout_ms: u32,
}

impl Default for remotedev_app_options {
    fn default() -> Self {
        let d = AppOptions::new("");
        remotedev_app_options {
            url: std::ptr::null(),
            host: std::ptr::null(),
            port: 8000,
            name: std::ptr::null(),
            instance_id: std::ptr::null(),
            max_age: d.max_age as u32,
            reconnect: d.socket.auto_reconnect,
            ack_timeout_ms: d.socket.ack_timeout.as_millis() as u32,
            connect_timeout_ms: d.socket.connect_timeout.as_millis() as u32,
        }
    }
}

/// The URL of a client from `url` or `host` + `port`.
pub(crate) fn client_url(url: *const c_char, host: *const c_char, port: u16) -> Result<String> {
    if let Some(url) = opt_str_arg(url, "options->url")? {
        return Ok(url.to_owned());
    }
    let host = opt_str_arg(host, "options->host")?.unwrap_or("127.0.0.1");
    Ok(AppOptions::host_port(host, port).url)
}

pub(crate) fn apply_socket(socket: &mut SocketOptions, reconnect: bool, ack: u32, connect: u32) {
    socket.auto_reconnect = reconnect;
    if ack > 0 {
        socket.ack_timeout = millis(ack);
    }
    if connect > 0 {
        socket.connect_timeout = millis(connect);
    }
}

/// An app client (opaque). Every function on it may be called from any thread at once,
/// except `remotedev_app_free`. Free with `remotedev_app_free`.
pub struct remotedev_app {
    // Dropped first: the dispatcher stops before the client closes.
    callback: Slot,
    app: Arc<BlockingApp>,
}

/// Fills `*options` with the defaults. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_options_init(
    options: *mut remotedev_app_options,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(options, "options")?;
        write(out, remotedev_app_options::default());
        Ok(())
    })
}

/// Creates an app client and starts connecting in the background (it returns at once;
/// see `remotedev_app_connect`). On success `*out` is the new client.
/// Errors: `REMOTEDEV_STATUS_INVALID_URL`, `REMOTEDEV_STATUS_INVALID_UTF8`, …
#[no_mangle]
pub extern "C" fn remotedev_app_new(
    options: *const remotedev_app_options,
    out: *mut *mut remotedev_app,
) -> remotedev_status {
    guard(|| {
        let given = *handle(options, "options")?;
        let out = out_arg(out, "out")?;
        let mut o = AppOptions::new(client_url(given.url, given.host, given.port)?);
        if let Some(name) = opt_str_arg(given.name, "options->name")? {
            o.name = name.to_owned();
        }
        if let Some(id) = opt_str_arg(given.instance_id, "options->instance_id")? {
            o.instance_id = id.to_owned();
        }
        if given.max_age > 0 {
            o.max_age = given.max_age as usize;
        }
        apply_socket(
            &mut o.socket,
            given.reconnect,
            given.ack_timeout_ms,
            given.connect_timeout_ms,
        );
        let app = BlockingApp::start(o)?;
        write(
            out,
            into_raw(remotedev_app {
                app: Arc::new(app),
                callback: Slot::default(),
            }),
        );
        Ok(())
    })
}

/// Waits up to `timeout_ms` until the client is connected and logged in (ready to
/// stream). `REMOTEDEV_STATUS_TIMEOUT` if not; the connection attempt goes on.
/// Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_app_connect(
    app: *const remotedev_app,
    timeout_ms: u32,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        app.app.connect(millis(timeout_ms))?;
        Ok(())
    })
}

/// Starts a new log with `state_json` (JSON text) as the initial state (`INIT`). Kept
/// and sent after reconnecting when not connected. Never blocks.
/// `REMOTEDEV_STATUS_INVALID_JSON` for text that is not JSON.
#[no_mangle]
pub extern "C" fn remotedev_app_init(
    app: *const remotedev_app,
    state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let state = str_arg(state_json, "state_json")?;
        let app = handle(app, "app")?;
        app.app.init(state)?;
        Ok(())
    })
}

/// Records an action (JSON, e.g. `{"type":"INCREMENT"}`) and the state after it (JSON),
/// and sends them as `ACTION`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_send_action(
    app: *const remotedev_app,
    action_json: *const c_char,
    state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let action = str_arg(action_json, "action_json")?;
        let state = str_arg(state_json, "state_json")?;
        let app = handle(app, "app")?;
        app.app.send(action, state)?;
        Ok(())
    })
}

/// Sends a whole lifted state (JSON, redux-devtools-instrument shape) as `STATE`.
/// Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_send_state(
    app: *const remotedev_app,
    lifted_state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let lifted = str_arg(lifted_state_json, "lifted_state_json")?;
        let app = handle(app, "app")?;
        app.app.send_state(lifted)?;
        Ok(())
    })
}

/// The connection state. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_state(
    app: *const remotedev_app,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let out = out_arg(out, "out")?;
        write(out, connection_state(&app.app.app().socket().state()));
        Ok(())
    })
}

/// The current socket id (the `<id>` of the `sc-<id>` channel monitors target).
/// `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. On success `*out` is a new
/// string the caller frees with `remotedev_string_free`. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_socket_id(
    app: *const remotedev_app,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let out = out_arg(out, "out")?;
        let id = app.app.id().ok_or_else(not_connected)?;
        write(out, owned_string(id));
        Ok(())
    })
}

pub(crate) fn not_connected() -> Error {
    Error::new(remotedev_status::NotConnected, "not connected")
}

/// Waits up to `timeout_ms` for the next monitor command. On success `*out` is a new
/// message (kind `REMOTEDEV_MESSAGE_KIND_COMMAND`) the caller frees with
/// `remotedev_message_free`. `REMOTEDEV_STATUS_TIMEOUT` when none came,
/// `REMOTEDEV_STATUS_CLOSED` after close, `REMOTEDEV_STATUS_BUSY` while a callback is
/// set. Blocks the calling thread only; several threads may wait at once (each command
/// goes to one of them).
#[no_mangle]
pub extern "C" fn remotedev_app_next(
    app: *const remotedev_app,
    timeout_ms: u32,
    out: *mut *mut remotedev_message,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let out = out_arg(out, "out")?;
        app.callback.check_pull()?;
        match app.app.recv_message(millis(timeout_ms)) {
            Recv::Message(c) => {
                write(out, into_raw(remotedev_message::from_command(c)));
                Ok(())
            }
            Recv::Closed => Err(Error::new(remotedev_status::Closed, "the app was closed")),
            Recv::TimedOut => Err(Error::new(
                remotedev_status::Timeout,
                format!("no command within {timeout_ms} ms"),
            )),
        }
    })
}

/// Sets the callback that receives every monitor command from now on, or removes it
/// (`callback` NULL). It runs on this client's dispatcher thread (see
/// `remotedev_message_callback`); `userdata` is passed to it as is and must be usable
/// from that thread. Replacing or removing waits for a running call to return (unless
/// called from the callback itself). While a callback is set, `remotedev_app_next` is
/// `REMOTEDEV_STATUS_BUSY`.
#[no_mangle]
pub extern "C" fn remotedev_app_set_callback(
    app: *const remotedev_app,
    callback: remotedev_message_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let client = app.app.clone();
        app.callback.replace(|| {
            let Some(cb) = callback else { return Ok(None) };
            let userdata = UserData(userdata);
            Dispatcher::start(
                "remotedev-app-cb",
                move |within| client.recv_message(within),
                move |command| {
                    let ud = userdata;
                    let message = remotedev_message::from_command(command);
                    // SAFETY: `cb` is a function pointer the caller registered for
                    // this signature; the message lives across the call.
                    unsafe { cb(ud.0, &message) };
                },
            )
            .map(Some)
        })
    })
}

/// Disconnects for good (1000): later sends fail with `REMOTEDEV_STATUS_CLOSED`.
/// Blocks until the socket is closed (bounded: about 5 s at most). Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_app_close(app: *const remotedev_app) -> remotedev_status {
    guard(|| {
        handle(app, "app")?.app.close();
        Ok(())
    })
}

/// Stops the callback (waiting for a running call unless called from it), closes the
/// connection and frees the client. NULL is ignored. Not to be called twice, nor while
/// another thread uses the client.
#[no_mangle]
pub extern "C" fn remotedev_app_free(app: *mut remotedev_app) {
    guard_or((), || free_raw(app))
}
