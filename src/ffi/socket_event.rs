//! `remotedev_socket_event`: one connection event of a `remotedev_socket` (opaque,
//! immutable), and its getters.

use std::ffi::{c_char, c_void, CString};

use super::{c_string, free_raw, guard_or, handle};
use crate::client::SocketEvent;

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
    /// An error; `text` describes it (e.g. why a connection attempt failed).
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

/// A connection event (opaque, immutable: its getters may be called from any thread at
/// once). Free the ones from `remotedev_socket_next_event` with
/// `remotedev_socket_event_free`; the ones lent to a callback live for the call.
pub struct remotedev_socket_event {
    kind: remotedev_socket_event_kind,
    code: u16,
    id: Option<CString>,
    channel: Option<CString>,
    text: Option<CString>,
}

/// Called with each connection event on the socket's dispatcher thread (library-owned,
/// one per socket, never a runtime worker; calls never overlap). `event` is lent for
/// the call only.
pub type remotedev_socket_event_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const remotedev_socket_event)>;

/// The function a `remotedev_socket_event_callback` holds.
pub(crate) type EventFn = unsafe extern "C" fn(*mut c_void, *const remotedev_socket_event);

impl remotedev_socket_event {
    pub(crate) fn new(e: SocketEvent) -> remotedev_socket_event {
        use remotedev_socket_event_kind as K;
        let text = |s: String| Some(c_string(s));
        let (kind, code, id, channel, message) = match e {
            SocketEvent::Connecting => (K::Connecting, 0, None, None, None),
            SocketEvent::Connected { id } => (K::Connected, 0, text(id), None, None),
            SocketEvent::Disconnected { code, reason } => {
                (K::Disconnected, code, None, None, text(reason))
            }
            SocketEvent::Error(e) => (K::Error, 0, None, None, text(e)),
            SocketEvent::Subscribed { channel } => (K::Subscribed, 0, None, text(channel), None),
            SocketEvent::SubscribeFailed { channel, error } => {
                (K::SubscribeFailed, 0, None, text(channel), text(error))
            }
            SocketEvent::KickedOut { channel, message } => {
                (K::KickedOut, 0, None, text(channel), text(message))
            }
            SocketEvent::AuthTokenSet => (K::AuthTokenSet, 0, None, None, None),
            SocketEvent::AuthTokenRemoved => (K::AuthTokenRemoved, 0, None, None, None),
        };
        remotedev_socket_event {
            kind,
            code,
            id,
            channel,
            text: message,
        }
    }

    /// Lends the event to a C callback for the duration of the call.
    pub(crate) fn lend(self, cb: EventFn, userdata: *mut c_void) {
        // SAFETY: `cb` is a function pointer the caller registered for this signature;
        // the event lives across the call and is only lent.
        unsafe { cb(userdata, &self) };
    }
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

/// The close code of a `DISCONNECTED` event; 0 otherwise and for NULL. Never blocks.
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
/// is freed or, for a lent event, until the callback returns). Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_id(event: *const remotedev_socket_event) -> *const c_char {
    event_str(event, |e| &e.id)
}

/// The channel of a subscription event, else NULL. Owner: the event. Never blocks.
#[no_mangle]
pub extern "C" fn remotedev_socket_event_channel(
    event: *const remotedev_socket_event,
) -> *const c_char {
    event_str(event, |e| &e.channel)
}

/// The reason, error or message text, else NULL. Owner: the event. Never blocks.
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
