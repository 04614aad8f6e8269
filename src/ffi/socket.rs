//! `remotedev_socket`: a generic SocketCluster client socket, with channel
//! subscriptions and event listeners (`remotedev_subscription`) and connection events
//! (`remotedev_socket_event`).

use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::app::{apply_socket, connection_state, not_connected};
use super::dispatch::{Dispatcher, Slot, UserData};
use super::{
    c_string, free_raw, guard, guard_or, handle, into_raw, millis, opt_str_arg, out_arg,
    owned_string, remotedev_connection_state, remotedev_status, str_arg, write, Error,
};
use crate::client::{
    BlockingEvents, BlockingSocket, BlockingSubscription, ConnectionState, Recv, SocketEvent,
    SocketOptions,
};

/// Socket settings. Fill with `remotedev_socket_options_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct remotedev_socket_options {
    /// Reconnect after the connection is lost. Default true.
    pub reconnect: bool,
    /// How long `remotedev_socket_invoke` waits for the answer, in ms. Default 10000.
    pub ack_timeout_ms: u32,
    /// From starting a connection to the WebSocket being open, in ms. Default 20000.
    pub connect_timeout_ms: u32,
}

impl Default for remotedev_socket_options {
    fn default() -> Self {
        let s = SocketOptions::default();
        remotedev_socket_options {
            reconnect: s.auto_reconnect,
            ack_timeout_ms: s.ack_timeout.as_millis() as u32,
            connect_timeout_ms: s.connect_timeout.as_millis() as u32,
        }
    }
}

/// A SocketCluster client socket (opaque). Every function on it may be called from
/// any thread at once, except `remotedev_socket_free`.
pub struct remotedev_socket {
    callback: Slot,
    socket: Arc<BlockingSocket>,
}

/// Messages of one channel (`remotedev_socket_subscribe`) or data of one event name
/// (`remotedev_socket_on`), in order (opaque). Free with `remotedev_subscription_free`;
/// it may outlive its socket (it then only times out).
pub struct remotedev_subscription {
    callback: Slot,
    name: CString,
    source: Arc<Source>,
}

enum Source {
    Channel(Mutex<BlockingSubscription>),
    Event(Mutex<BlockingEvents>),
}

impl Source {
    fn recv(&self, within: Duration) -> Recv<String> {
        match self {
            Source::Channel(s) => s.lock().unwrap_or_else(|p| p.into_inner()).recv(within),
            Source::Event(s) => s.lock().unwrap_or_else(|p| p.into_inner()).recv(within),
        }
    }
}

/// What a `remotedev_socket_event` reports.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum remotedev_socket_event_kind {
    /// A connection attempt starts.
    Connecting = 0,
    /// Connected; `id` is the socket id.
    Connected = 1,
    /// The connection was lost; `code` and `text` (the reason).
    Disconnected = 2,
    /// An error; `text` describes it.
    Error = 3,
    /// The server acknowledged a subscription to `channel`.
    Subscribed = 4,
    /// A subscription to `channel` failed; `text` is the error.
    SubscribeFailed = 5,
    /// The server kicked the socket out of `channel`; `text` is its message.
    KickedOut = 6,
    /// The server set an auth token.
    AuthTokenSet = 7,
    /// The auth token was removed.
    AuthTokenRemoved = 8,
}

/// A connection event (opaque, immutable). Free the ones from
/// `remotedev_socket_next_event` with `remotedev_socket_event_free`.
pub struct remotedev_socket_event {
    kind: remotedev_socket_event_kind,
    code: u16,
    id: Option<CString>,
    channel: Option<CString>,
    text: Option<CString>,
}

impl remotedev_socket_event {
    fn new(e: SocketEvent) -> remotedev_socket_event {
        use remotedev_socket_event_kind as K;
        let mut out = remotedev_socket_event {
            kind: K::Connecting,
            code: 0,
            id: None,
            channel: None,
            text: None,
        };
        match e {
            SocketEvent::Connecting => {}
            SocketEvent::Connected { id } => {
                out.kind = K::Connected;
                out.id = Some(c_string(id));
            }
            SocketEvent::Disconnected { code, reason } => {
                out.kind = K::Disconnected;
                out.code = code;
                out.text = Some(c_string(reason));
            }
            SocketEvent::Error(text) => {
                out.kind = K::Error;
                out.text = Some(c_string(text));
            }
            SocketEvent::Subscribed { channel } => {
                out.kind = K::Subscribed;
                out.channel = Some(c_string(channel));
            }
            SocketEvent::SubscribeFailed { channel, error } => {
                out.kind = K::SubscribeFailed;
                out.channel = Some(c_string(channel));
                out.text = Some(c_string(error));
            }
            SocketEvent::KickedOut { channel, message } => {
                out.kind = K::KickedOut;
                out.channel = Some(c_string(channel));
                out.text = Some(c_string(message));
            }
            SocketEvent::AuthTokenSet => out.kind = K::AuthTokenSet,
            SocketEvent::AuthTokenRemoved => out.kind = K::AuthTokenRemoved,
        }
        out
    }
}

/// Called with each connection event on the socket's dispatcher thread (library-owned,
/// one per socket, never a runtime worker; calls never overlap). `event` is lent for
/// the call only.
pub type remotedev_socket_event_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const remotedev_socket_event)>;

/// Called with each message of a subscription on the subscription's dispatcher thread
/// (library-owned, one per subscription, never a runtime worker; calls never overlap).
/// `name` is the channel or event name, `json` the data as JSON text; both are lent for
/// the call only.
pub type remotedev_data_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, name: *const c_char, json: *const c_char)>;

/// Fills `*options` with the defaults. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_options_init(
    options: *mut remotedev_socket_options,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(options, "options")?;
        write(out, remotedev_socket_options::default());
        Ok(())
    })
}

/// Creates a socket for `url` (`ws://host:port/path`) and starts connecting in the
/// background (returns at once). `options` may be NULL for the defaults.
#[no_mangle]
pub extern "C" fn remotedev_socket_new(
    url: *const c_char,
    options: *const remotedev_socket_options,
    out: *mut *mut remotedev_socket,
) -> remotedev_status {
    guard(|| {
        let url = str_arg(url, "url")?;
        let out = out_arg(out, "out")?;
        let given = if options.is_null() {
            remotedev_socket_options::default()
        } else {
            *handle(options, "options")?
        };
        let mut o = SocketOptions::default();
        apply_socket(
            &mut o,
            given.reconnect,
            given.ack_timeout_ms,
            given.connect_timeout_ms,
        );
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

/// Waits up to `timeout_ms` until the socket is open (handshake done). Blocks the
/// calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_socket_connect(
    socket: *const remotedev_socket,
    timeout_ms: u32,
) -> remotedev_status {
    guard(|| {
        handle(socket, "socket")?
            .socket
            .connect(millis(timeout_ms))?;
        Ok(())
    })
}

/// The connection state. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_state(
    socket: *const remotedev_socket,
    out: *mut remotedev_connection_state,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        write(out, connection_state(&s.socket.state()));
        Ok(())
    })
}

/// The socket id; `REMOTEDEV_STATUS_NOT_CONNECTED` while not connected. On success
/// `*out` is a new string freed with `remotedev_string_free`. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_id(
    socket: *const remotedev_socket,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        let id = s.socket.id().ok_or_else(not_connected)?;
        write(out, owned_string(id));
        Ok(())
    })
}

/// Transmits `event` with `data_json` (JSON text; NULL sends no data). Queued while not
/// connected. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_emit(
    socket: *const remotedev_socket,
    event: *const c_char,
    data_json: *const c_char,
) -> remotedev_status {
    guard(|| {
        let event = str_arg(event, "event")?;
        let data = opt_str_arg(data_json, "data_json")?;
        handle(socket, "socket")?.socket.transmit(event, data)?;
        Ok(())
    })
}

/// Invokes `event` with `data_json` (NULL: no data) and waits for the answer (up to the
/// ack timeout). On success `*out` is the answer's data as JSON (`null` when it had
/// none), a new string freed with `remotedev_string_free`. Errors:
/// `REMOTEDEV_STATUS_REMOTE` (the peer answered with an error), `_TIMEOUT`,
/// `_DISCONNECTED`, `_CLOSED`. Blocks the calling thread only.
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
        let answer = s.socket.invoke(event, data)?;
        write(out, owned_string(answer));
        Ok(())
    })
}

fn new_subscription(name: &str, source: Source) -> *mut remotedev_subscription {
    into_raw(remotedev_subscription {
        callback: Slot::default(),
        name: c_string(name.to_owned()),
        source: Arc::new(source),
    })
}

/// Subscribes to `channel` (kept across reconnects). On success `*out` is a new
/// subscription that receives the channel's messages. Never blocks; use
/// `remotedev_socket_wait_subscribed` to wait for the server's acknowledgement.
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
        write(
            out,
            new_subscription(channel, Source::Channel(Mutex::new(sub))),
        );
        Ok(())
    })
}

/// Waits up to `timeout_ms` until the server acknowledged the subscription to
/// `channel` on the current connection. Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_socket_wait_subscribed(
    socket: *const remotedev_socket,
    channel: *const c_char,
    timeout_ms: u32,
) -> remotedev_status {
    guard(|| {
        let channel = str_arg(channel, "channel")?;
        handle(socket, "socket")?
            .socket
            .wait_subscribed(channel, millis(timeout_ms))?;
        Ok(())
    })
}

/// Ends the subscription to `channel`: its subscriptions stop receiving and the
/// server is told. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_unsubscribe(
    socket: *const remotedev_socket,
    channel: *const c_char,
) -> remotedev_status {
    guard(|| {
        let channel = str_arg(channel, "channel")?;
        handle(socket, "socket")?.socket.unsubscribe(channel)?;
        Ok(())
    })
}

/// Listens to the events named `event` the server sends. On success `*out` is a new
/// subscription that receives their data. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_on(
    socket: *const remotedev_socket,
    event: *const c_char,
    out: *mut *mut remotedev_subscription,
) -> remotedev_status {
    guard(|| {
        let event = str_arg(event, "event")?;
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        let events = s.socket.receiver(event);
        write(
            out,
            new_subscription(event, Source::Event(Mutex::new(events))),
        );
        Ok(())
    })
}

/// Waits up to `timeout_ms` for the next connection event. On success `*out` is a new
/// event freed with `remotedev_socket_event_free`. `REMOTEDEV_STATUS_TIMEOUT` when
/// none came, `REMOTEDEV_STATUS_BUSY` while an event callback is set. Events are kept
/// from `remotedev_socket_new` on (the oldest are dropped when many wait).
#[no_mangle]
pub extern "C" fn remotedev_socket_next_event(
    socket: *const remotedev_socket,
    timeout_ms: u32,
    out: *mut *mut remotedev_socket_event,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let out = out_arg(out, "out")?;
        s.callback.check_pull()?;
        match s.socket.next_event(millis(timeout_ms)) {
            Recv::Message(e) => {
                write(out, into_raw(remotedev_socket_event::new(e)));
                Ok(())
            }
            Recv::Closed => Err(Error::new(
                remotedev_status::Closed,
                "the socket was closed",
            )),
            Recv::TimedOut => Err(Error::new(
                remotedev_status::Timeout,
                format!("no event within {timeout_ms} ms"),
            )),
        }
    })
}

/// Sets (or with NULL removes) the callback for every connection event from now on. It
/// runs on this socket's dispatcher thread; same rules as `remotedev_app_set_callback`.
#[no_mangle]
pub extern "C" fn remotedev_socket_set_event_callback(
    socket: *const remotedev_socket,
    callback: remotedev_socket_event_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let s = handle(socket, "socket")?;
        let client = s.socket.clone();
        s.callback.replace(|| {
            let Some(cb) = callback else { return Ok(None) };
            let userdata = UserData(userdata);
            Dispatcher::start(
                "remotedev-socket-cb",
                move |within| client.next_event(within),
                move |event| {
                    let ud = userdata;
                    let event = remotedev_socket_event::new(event);
                    // SAFETY: `cb` is a function pointer the caller registered for
                    // this signature; the event lives across the call.
                    unsafe { cb(ud.0, &event) };
                },
            )
            .map(Some)
        })
    })
}

/// Closes with 1000 for good (no reconnect). Blocks until closed (about 5 s at most).
#[no_mangle]
pub extern "C" fn remotedev_socket_close(socket: *const remotedev_socket) -> remotedev_status {
    guard(|| {
        handle(socket, "socket")?.socket.close();
        Ok(())
    })
}

/// Stops the event callback, closes the socket and frees it. NULL is ignored.
/// Subscriptions made from it stay valid (they receive nothing more) and are freed
/// separately. Not to be called twice, nor while another thread uses the socket.
#[no_mangle]
pub extern "C" fn remotedev_socket_free(socket: *mut remotedev_socket) {
    guard_or((), || free_raw(socket))
}

/// The channel or event name. Owner: the subscription (valid until its free); NULL
/// for a NULL subscription. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_subscription_name(
    subscription: *const remotedev_subscription,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        handle(subscription, "subscription").map_or(std::ptr::null(), |s| s.name.as_ptr())
    })
}

/// Waits up to `timeout_ms` for the next message. On success `*out` is its data as
/// JSON text, a new string freed with `remotedev_string_free`.
/// `REMOTEDEV_STATUS_TIMEOUT` when none came (or the subscription ended),
/// `REMOTEDEV_STATUS_BUSY` while a callback is set. Blocks the calling thread only;
/// concurrent callers on one subscription take turns.
#[no_mangle]
pub extern "C" fn remotedev_subscription_next(
    subscription: *const remotedev_subscription,
    timeout_ms: u32,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let s = handle(subscription, "subscription")?;
        let out = out_arg(out, "out")?;
        s.callback.check_pull()?;
        match s.source.recv(millis(timeout_ms)) {
            Recv::Message(json) => {
                write(out, owned_string(json));
                Ok(())
            }
            Recv::TimedOut => Err(Error::new(
                remotedev_status::Timeout,
                format!("no message within {timeout_ms} ms"),
            )),
            Recv::Closed => Err(Error::new(
                remotedev_status::Closed,
                "the subscription ended (unsubscribed, or the socket was closed)",
            )),
        }
    })
}

/// Sets (or with NULL removes) the callback for every message from now on. It runs on
/// this subscription's dispatcher thread; same rules as `remotedev_app_set_callback`.
#[no_mangle]
pub extern "C" fn remotedev_subscription_set_callback(
    subscription: *const remotedev_subscription,
    callback: remotedev_data_callback,
    userdata: *mut c_void,
) -> remotedev_status {
    guard(|| {
        let s = handle(subscription, "subscription")?;
        let source = s.source.clone();
        let name = s.name.clone();
        s.callback.replace(|| {
            let Some(cb) = callback else { return Ok(None) };
            let userdata = UserData(userdata);
            Dispatcher::start(
                "remotedev-sub-cb",
                move |within| source.recv(within),
                move |json| {
                    let ud = userdata;
                    let json = c_string(json);
                    // SAFETY: `cb` is a function pointer the caller registered for
                    // this signature; both strings live across the call.
                    unsafe { cb(ud.0, name.as_ptr(), json.as_ptr()) };
                },
            )
            .map(Some)
        })
    })
}

/// Stops the callback and frees the subscription (it does not unsubscribe the
/// channel: see `remotedev_socket_unsubscribe`). NULL is ignored.
#[no_mangle]
pub extern "C" fn remotedev_subscription_free(subscription: *mut remotedev_subscription) {
    guard_or((), || free_raw(subscription))
}

/// What the event reports; `REMOTEDEV_SOCKET_EVENT_KIND_ERROR` for NULL. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_get_kind(
    event: *const remotedev_socket_event,
) -> remotedev_socket_event_kind {
    guard_or(remotedev_socket_event_kind::Error, || {
        handle(event, "event").map_or(remotedev_socket_event_kind::Error, |e| e.kind)
    })
}

/// The close code of a `DISCONNECTED` event; 0 otherwise. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_code(event: *const remotedev_socket_event) -> u16 {
    guard_or(0, || handle(event, "event").map_or(0, |e| e.code))
}

fn event_str(
    event: *const remotedev_socket_event,
    get: impl FnOnce(&remotedev_socket_event) -> &Option<CString>,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        handle(event, "event").map_or(std::ptr::null(), |e| {
            get(e).as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
        })
    })
}

/// The socket id of a `CONNECTED` event, else NULL. Owner: the event (valid until it
/// is freed or, for a lent event, until the callback returns).
#[no_mangle]
pub extern "C" fn remotedev_socket_event_id(event: *const remotedev_socket_event) -> *const c_char {
    event_str(event, |e| &e.id)
}

/// The channel of a subscription event, else NULL. Owner: the event.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_channel(
    event: *const remotedev_socket_event,
) -> *const c_char {
    event_str(event, |e| &e.channel)
}

/// The reason, error or message text, else NULL. Owner: the event.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_text(
    event: *const remotedev_socket_event,
) -> *const c_char {
    event_str(event, |e| &e.text)
}

/// Frees an event from `remotedev_socket_next_event` (never one lent to a callback).
/// NULL is ignored.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_free(event: *mut remotedev_socket_event) {
    guard_or((), || free_raw(event))
}
