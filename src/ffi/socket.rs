//! `remotedev_socket`: a generic SocketCluster client socket, named as SocketCluster
//! v20 names things: `create` (connects in the background), `connect` (waits),
//! `transmit`, `invoke`, `subscribe`, `receiver`, `listener` events
//! (`remotedev_socket_next_event`). Its subscriptions are in `subscription.rs`, its
//! events in `socket_event.rs`.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex};

use super::client;
use super::dispatch::{pull, set_callback, Pulled, Slot};
use super::subscription::Source;
use super::{
    free_raw, guard, guard_or, handle, into_raw, millis, opt_str_arg, options_or, out_arg,
    owned_string, remotedev_connection_state, remotedev_socket_event,
    remotedev_socket_event_callback, remotedev_socket_options, remotedev_status,
    remotedev_subscription, str_arg, write,
};
use crate::client::{BlockingSocket, SocketOptions};

/// A SocketCluster client socket (opaque). Thread-safe: every function on it may be
/// called from any thread at once, except `remotedev_socket_free`.
pub struct remotedev_socket {
    callback: Slot,
    socket: Arc<BlockingSocket>,
}

/// Creates a socket for `url` (`ws://host:port/path`) with the settings of `options`
/// (copied; NULL: the defaults) and starts connecting in the background (returns at
/// once; see `remotedev_socket_connect`).
///
/// Statuses: `REMOTEDEV_STATUS_INVALID_URL`, `REMOTEDEV_STATUS_INVALID_UTF8`,
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` (an option the core's `SocketOptions::validate`
/// refuses, e.g. `invalid option ack_timeout: must be greater than 0 ms`),
/// `REMOTEDEV_STATUS_IO`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_create(
    url: *const c_char,
    options: *const remotedev_socket_options,
    out: *mut *mut remotedev_socket,
) -> remotedev_status {
    guard(|| {
        let url = str_arg(url, "url")?;
        let out = out_arg(out, "out")?;
        let o = options_or(options, |b| b.inner.clone(), SocketOptions::default)?;
        let socket = BlockingSocket::create(url, o)?;
        write(
            out,
            into_raw(remotedev_socket {
                callback: Slot::default(),
                socket: Arc::new(socket),
            }),
        );
        Ok(())
    })
}

/// Waits up to `timeout_ms` until the socket is open (handshake done). On success, when
/// `id` is not NULL, `*id` is the socket id (freed with `remotedev_string_free`).
/// Statuses as `remotedev_app_connect`: `REMOTEDEV_STATUS_CONNECT_FAILED`,
/// `REMOTEDEV_STATUS_TIMEOUT`, `REMOTEDEV_STATUS_CLOSED`. Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_socket_connect(
    socket: *const remotedev_socket,
    timeout_ms: u32,
    id: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::connect(&*handle(socket, "socket")?.socket, timeout_ms, id))
}

/// The connection state. Statuses: only `REMOTEDEV_STATUS_NULL_ARGUMENT`. Thread-safe,
/// never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_state(
    socket: *const remotedev_socket,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| client::state(&*handle(socket, "socket")?.socket, out))
}

/// The socket id, a new string freed with `remotedev_string_free`. Statuses:
/// `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_id(
    socket: *const remotedev_socket,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::socket_id(&*handle(socket, "socket")?.socket, out))
}

/// The socket's latest error text (e.g. why it cannot connect while it retries), a new
/// string freed with `remotedev_string_free`. Statuses: `REMOTEDEV_STATUS_NO_ERROR` when
/// there was none. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_last_error(
    socket: *const remotedev_socket,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| client::last_error(&*handle(socket, "socket")?.socket, out))
}

/// Transmits `event` with `data_json` (JSON text; NULL sends no data): no answer is
/// expected. Queued while not connected. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`,
/// `REMOTEDEV_STATUS_INVALID_JSON`, `REMOTEDEV_STATUS_INVALID_ARGUMENT` (empty event),
/// `REMOTEDEV_STATUS_CLOSED`, `REMOTEDEV_STATUS_QUEUE_FULL`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_transmit(
    socket: *const remotedev_socket,
    event: *const c_char,
    data_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let event = str_arg(event, "event")?;
        let data = opt_str_arg(data_json, "data_json")?;
        Ok(handle(socket, "socket")?.socket.transmit(event, data)?)
    })
}

/// Invokes `event` with `data_json` (NULL: no data) and waits for the answer (up to the
/// ack timeout). On success `*out` is the answer's data as JSON (`null` when it had
/// none), a new string freed with `remotedev_string_free`. Statuses:
/// `REMOTEDEV_STATUS_REMOTE` (the peer answered with an error), `_TIMEOUT`,
/// `_DISCONNECTED`, `_CLOSED`, `_INVALID_JSON`, `_INVALID_UTF8`. Blocks the calling
/// thread only.
#[no_mangle]
pub extern "C" fn remotedev_socket_invoke(
    socket: *const remotedev_socket,
    event: *const c_char,
    data_json: *const c_char,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let event = str_arg(event, "event")?;
        let data = opt_str_arg(data_json, "data_json")?;
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        write(out, owned_string(s.socket.invoke(event, data)?));
        Ok(())
    })
}

/// Subscribes to `channel` (kept across reconnects). On success `*out` is a new
/// subscription that receives the channel's messages. Statuses:
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` (empty channel), `REMOTEDEV_STATUS_CLOSED`. Never
/// blocks; `remotedev_socket_wait_subscribed` waits for the server's acknowledgement.
#[no_mangle]
pub extern "C" fn remotedev_socket_subscribe(
    socket: *const remotedev_socket,
    channel: *const c_char,
    out: *mut *mut remotedev_subscription,
) -> remotedev_status {
    guard(|| {
        let channel = str_arg(channel, "channel")?;
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        let sub = s.socket.subscribe(channel)?;
        let source = Source::Channel(Mutex::new(sub));
        write(out, remotedev_subscription::raw(channel, source));
        Ok(())
    })
}

/// Waits up to `timeout_ms` until the server acknowledged the subscription to
/// `channel` on the current connection. Statuses: `REMOTEDEV_STATUS_TIMEOUT`,
/// `REMOTEDEV_STATUS_REMOTE` (refused), `REMOTEDEV_STATUS_CLOSED`. Blocks the calling
/// thread only.
#[no_mangle]
pub extern "C" fn remotedev_socket_wait_subscribed(
    socket: *const remotedev_socket,
    channel: *const c_char,
    timeout_ms: u32,
) -> remotedev_status {
    guard(|| {
        let channel = str_arg(channel, "channel")?;
        let s = handle(socket, "socket")?;
        Ok(s.socket.wait_subscribed(channel, millis(timeout_ms))?)
    })
}

/// Ends the subscription to `channel`: its subscriptions report
/// `REMOTEDEV_STATUS_CLOSED` and the server is told. Statuses:
/// `REMOTEDEV_STATUS_CLOSED`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_unsubscribe(
    socket: *const remotedev_socket,
    channel: *const c_char,
) -> remotedev_status {
    guard(|| {
        let channel = str_arg(channel, "channel")?;
        Ok(handle(socket, "socket")?.socket.unsubscribe(channel)?)
    })
}

/// A receiver of the events named `event` that the server transmits (SocketCluster's
/// `socket.receiver(event)`). On success `*out` is a new subscription that receives
/// their data. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_receiver(
    socket: *const remotedev_socket,
    event: *const c_char,
    out: *mut *mut remotedev_subscription,
) -> remotedev_status {
    guard(|| {
        let event = str_arg(event, "event")?;
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        let source = Source::Event(Mutex::new(s.socket.receiver(event)));
        write(out, remotedev_subscription::raw(event, source));
        Ok(())
    })
}

/// Waits up to `timeout_ms` for the next connection event (SocketCluster's
/// `socket.listener(...)` events). On success `*out` is a new event freed with
/// `remotedev_socket_event_free`. Events are kept from `remotedev_socket_create` on (the
/// oldest are dropped when many wait). Statuses: `REMOTEDEV_STATUS_TIMEOUT` when none
/// came yet, `REMOTEDEV_STATUS_CLOSED` once the socket is closed and its events are
/// all read, `REMOTEDEV_STATUS_BUSY` while an event callback is set.
#[no_mangle]
pub extern "C" fn remotedev_socket_next_event(
    socket: *const remotedev_socket,
    timeout_ms: u32,
    out: *mut *mut remotedev_socket_event,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let what = Pulled {
            item: "event",
            from: "socket",
        };
        pull(
            &s.callback,
            what,
            timeout_ms,
            out,
            |within| s.socket.next_event(within),
            |e| into_raw(remotedev_socket_event::new(e)),
        )
    })
}

/// Sets (or with NULL removes) the callback for every connection event from now on. It
/// runs on this socket's dispatcher thread; same rules as `remotedev_app_set_callback`.
/// Statuses: `REMOTEDEV_STATUS_IO` (no thread).
#[no_mangle]
pub extern "C" fn remotedev_socket_set_event_callback(
    socket: *const remotedev_socket,
    callback: remotedev_socket_event_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let client = s.socket.clone();
        set_callback(
            &s.callback,
            "remotedev-socket-cb",
            callback,
            userdata,
            move |within| client.next_event(within),
            |cb, ud, event| remotedev_socket_event::new(event).lend(cb, ud),
        )
    })
}

/// Closes with 1000 for good (no reconnect): its subscriptions and
/// `remotedev_socket_next_event` then report `REMOTEDEV_STATUS_CLOSED`. Blocks until
/// closed (about 5 s at most). Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_socket_close(socket: *const remotedev_socket) -> remotedev_status {
    guard(|| client::close(&*handle(socket, "socket")?.socket))
}

/// Stops the event callback, closes the socket and frees it. NULL is ignored.
/// Subscriptions made from it stay valid (they report `REMOTEDEV_STATUS_CLOSED`) and
/// are freed separately. Not to be called twice, nor while another thread uses the
/// socket.
#[no_mangle]
pub extern "C" fn remotedev_socket_free(socket: *mut remotedev_socket) {
    guard_or((), || free_raw(socket))
}
