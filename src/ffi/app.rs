//! `remotedev_app`: the instrumented-app client (started from a
//! `remotedev_app_options` builder, see `app_options.rs`).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::client::{self, ClientBuilder};
use super::dispatch::{pull, set_callback, Pulled, Slot};
use super::{
    free_raw, guard, guard_or, handle, into_raw, out_arg, remotedev_app_options,
    remotedev_connection_state, remotedev_message, remotedev_status, str_arg, write,
};
use crate::client::BlockingApp;

/// Called with each message a client receives, on the client's dispatcher thread (a
/// thread the library owns, one per client, never a runtime worker). Calls for one
/// client never overlap. `message` is lent for the call only: copy it with
/// `remotedev_message_clone` to keep it, never free it. The callback may call any
/// function of the library, including setting another callback or freeing the client.
pub type remotedev_message_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, message: *const remotedev_message)>;

/// An app client (opaque). Thread-safe: every function on it may be called from any
/// thread at once, except `remotedev_app_free`. Free with `remotedev_app_free`.
pub struct remotedev_app {
    // Dropped first: the dispatcher stops before the client closes.
    callback: Slot,
    app: Arc<BlockingApp>,
}

/// Creates an app client with the settings of `options` (copied; NULL: the defaults,
/// relay `ws://127.0.0.1:8000/socketcluster/`) and starts connecting in the background:
/// it returns at once (see `remotedev_app_connect`). On success `*out` is the new
/// client.
///
/// Statuses: `REMOTEDEV_STATUS_INVALID_URL`, `REMOTEDEV_STATUS_INVALID_ARGUMENT` (an
/// option the core's `validate` refuses, e.g. `invalid option max_age: must be greater
/// than 0`), `REMOTEDEV_STATUS_IO` (no threads). Never blocks. Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_app_start(
    options: *const remotedev_app_options,
    out: *mut *mut remotedev_app,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let o = ClientBuilder::options_of(options)?;
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
/// stream). On success, when `id` is not NULL, `*id` is the socket id (a new string
/// freed with `remotedev_string_free`).
///
/// Statuses: `REMOTEDEV_STATUS_CONNECT_FAILED` when the last attempt failed (the last
/// error names the endpoint and the cause, e.g. `cannot connect to
/// ws://127.0.0.1:9/socketcluster/: Connection refused (os error 111)`),
/// `REMOTEDEV_STATUS_TIMEOUT` when no attempt has finished yet, `REMOTEDEV_STATUS_CLOSED`
/// after close. The client goes on retrying in the background unless closed. Blocks
/// the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_app_connect(
    app: *const remotedev_app,
    timeout_ms: u32,
    id: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::connect(&*handle(app, "app")?.app, timeout_ms, id))
}

/// Starts a new log with `state_json` (JSON text) as the initial state (`INIT`). Kept
/// and sent after reconnecting when not connected. Statuses:
/// `REMOTEDEV_STATUS_INVALID_UTF8`, `REMOTEDEV_STATUS_INVALID_JSON`,
/// `REMOTEDEV_STATUS_QUEUE_FULL`, `REMOTEDEV_STATUS_CLOSED` once the app was closed
/// (nothing would ever send it). Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_init(
    app: *const remotedev_app,
    state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let state = str_arg(state_json, "state_json")?;
        Ok(handle(app, "app")?.app.init(state)?)
    })
}

/// Records an action (JSON, e.g. `{"type":"INCREMENT"}`) and the state after it (JSON),
/// and sends them as `ACTION`. Statuses as `remotedev_app_init`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_send_action(
    app: *const remotedev_app,
    action_json: *const c_char,
    state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let action = str_arg(action_json, "action_json")?;
        let state = str_arg(state_json, "state_json")?;
        Ok(handle(app, "app")?.app.send(action, state)?)
    })
}

/// Sends a whole lifted state (JSON, redux-devtools-instrument shape) as `STATE`.
/// Statuses as `remotedev_app_init`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_send_state(
    app: *const remotedev_app,
    lifted_state_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let lifted = str_arg(lifted_state_json, "lifted_state_json")?;
        Ok(handle(app, "app")?.app.send_state(lifted)?)
    })
}

/// The connection state. Statuses: only `REMOTEDEV_STATUS_NULL_ARGUMENT`. Thread-safe,
/// never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_state(
    app: *const remotedev_app,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| client::state(&*handle(app, "app")?.app, out))
}

/// The current socket id (the `<id>` of the `sc-<id>` channel monitors target). On
/// success `*out` is a new string freed with `remotedev_string_free`. Statuses:
/// `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_socket_id(
    app: *const remotedev_app,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::socket_id(&*handle(app, "app")?.app, out))
}

/// The client's latest error (e.g. why it cannot connect while it retries in the
/// background). On success `*out` is its text, a new string freed with
/// `remotedev_string_free`. Statuses: `REMOTEDEV_STATUS_NO_ERROR` when there was none.
/// Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_app_last_error(
    app: *const remotedev_app,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::last_error(&*handle(app, "app")?.app, out))
}

/// Waits up to `timeout_ms` for the next monitor command. On success `*out` is a new
/// message (kind `REMOTEDEV_MESSAGE_KIND_COMMAND`) the caller frees with
/// `remotedev_message_free`.
///
/// Statuses: `REMOTEDEV_STATUS_TIMEOUT` when none came yet, `REMOTEDEV_STATUS_CLOSED`
/// once the app is closed (at once, nothing more will come), `REMOTEDEV_STATUS_BUSY`
/// while a callback is set. Blocks the calling thread only; several threads may wait
/// at once (each command goes to one of them).
#[no_mangle]
pub extern "C" fn remotedev_app_next(
    app: *const remotedev_app,
    timeout_ms: u32,
    out: *mut *mut remotedev_message,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let what = Pulled {
            item: "command",
            from: "app",
        };
        pull(
            &app.callback,
            what,
            timeout_ms,
            out,
            |within| app.app.recv_message(within),
            |c| into_raw(remotedev_message::from_command(c)),
        )
    })
}

/// Sets the callback that receives every monitor command from now on, or removes it
/// (`callback` NULL). It runs on this client's dispatcher thread (see
/// `remotedev_message_callback`); `userdata` is passed to it as is and must be usable
/// from that thread. Replacing or removing waits for a running call to return (unless
/// called from the callback itself). While a callback is set, `remotedev_app_next` is
/// `REMOTEDEV_STATUS_BUSY`. Statuses: `REMOTEDEV_STATUS_IO` (no thread).
#[no_mangle]
pub extern "C" fn remotedev_app_set_callback(
    app: *const remotedev_app,
    callback: remotedev_message_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let app = handle(app, "app")?;
        let client = app.app.clone();
        set_callback(
            &app.callback,
            "remotedev-app-cb",
            callback,
            userdata,
            move |within| client.recv_message(within),
            |cb, ud, command| remotedev_message::from_command(command).lend(cb, ud),
        )
    })
}

/// Disconnects for good (1000): later `remotedev_app_next` calls are
/// `REMOTEDEV_STATUS_CLOSED`; sends are kept but never delivered. Blocks until the
/// socket is closed (about 5 s at most). Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_app_close(app: *const remotedev_app) -> remotedev_status {
    guard(|| client::close(&*handle(app, "app")?.app))
}

/// Stops the callback (waiting for a running call unless called from it), closes the
/// connection and frees the client. NULL is ignored. Not to be called twice, nor while
/// another thread uses the client.
#[no_mangle]
pub extern "C" fn remotedev_app_free(app: *mut remotedev_app) {
    guard_or((), || free_raw(app))
}
