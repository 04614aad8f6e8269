//! `remotedev_subscription`: the messages of one channel (`remotedev_socket_subscribe`)
//! or the data of one event name (`remotedev_socket_receiver`), in order, pulled or
//! through a callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::dispatch::{pull, set_callback, Pulled, Slot};
use super::{
    c_string, free_raw, guard, guard_or, handle, into_raw, owned_string, remotedev_status,
};
use crate::client::{BlockingEvents, BlockingSubscription, Recv};

/// Messages of one channel or data of one event name (opaque). Thread-safe: every
/// function on it may be called from any thread (concurrent `*_next` calls take
/// turns), except `remotedev_subscription_free`. It may outlive its socket: it then
/// reports `REMOTEDEV_STATUS_CLOSED`.
pub struct remotedev_subscription {
    callback: Slot,
    name: CString,
    source: Arc<Source>,
}

/// Where a subscription's messages come from.
pub(crate) enum Source {
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

impl remotedev_subscription {
    /// A new subscription for C.
    pub(crate) fn raw(name: &str, source: Source) -> *mut remotedev_subscription {
        into_raw(remotedev_subscription {
            callback: Slot::default(),
            name: c_string(name.to_owned()),
            source: Arc::new(source),
        })
    }
}

/// Called with each message of a subscription on the subscription's dispatcher thread
/// (library-owned, one per subscription, never a runtime worker; calls never overlap).
/// `name` is the channel or event name, `json` the data as JSON text; both are lent for
/// the call only.
pub type remotedev_data_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, name: *const c_char, json: *const c_char)>;

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
/// JSON text, a new string freed with `remotedev_string_free`. Statuses:
/// `REMOTEDEV_STATUS_TIMEOUT` when none came yet, `REMOTEDEV_STATUS_CLOSED` once the
/// subscription ended (unsubscribed, or the socket closed or freed),
/// `REMOTEDEV_STATUS_BUSY` while a callback is set. Blocks the calling thread only.
#[no_mangle]
pub extern "C" fn remotedev_subscription_next(
    subscription: *const remotedev_subscription,
    timeout_ms: u32,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let s = handle(subscription, "subscription")?;
        let what = Pulled {
            item: "message",
            from: "subscription",
        };
        pull(
            &s.callback,
            what,
            timeout_ms,
            out,
            |w| s.source.recv(w),
            owned_string,
        )
    })
}

/// Sets (or with NULL removes) the callback for every message from now on. It runs on
/// this subscription's dispatcher thread; same rules as `remotedev_app_set_callback`.
/// Statuses: `REMOTEDEV_STATUS_IO` (no thread).
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
        set_callback(
            &s.callback,
            "remotedev-sub-cb",
            callback,
            userdata,
            move |within| source.recv(within),
            move |cb, ud, json| {
                let json = c_string(json);
                // SAFETY: `cb` is a function pointer the caller registered for this
                // signature; both strings live across the call and are only lent.
                unsafe { cb(ud, name.as_ptr(), json.as_ptr()) };
            },
        )
    })
}

/// Stops the callback and frees the subscription (it does not unsubscribe the
/// channel: see `remotedev_socket_unsubscribe`). NULL is ignored.
#[no_mangle]
pub extern "C" fn remotedev_subscription_free(subscription: *mut remotedev_subscription) {
    guard_or((), || free_raw(subscription))
}
