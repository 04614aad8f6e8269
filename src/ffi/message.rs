//! `remotedev_message`: a monitor command (received by an app), an app message or a
//! report notification (received by a monitor), as an opaque handle with getters; and
//! `remotedev_dispatch_command`, which builds the command a monitor sends.

use std::ffi::{c_char, c_void, CString};

use super::{
    c_string, free_raw, guard, guard_or, handle, into_raw, opt_str_arg, out_arg, owned_string,
    remotedev_status, str_arg, write, Error,
};
use crate::client::{dispatch_command, AppMessage, CommandMessage, MonitorEvent};

#[cfg(doc)]
use crate::client::Command;

/// The function a `remotedev_message_callback` holds.
pub(crate) type MessageFn = unsafe extern "C" fn(*mut c_void, *const remotedev_message);

/// What a `remotedev_message` holds.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum remotedev_message_kind {
    /// A command from a monitor to an app (`START`, `STOP`, `DISPATCH`, …).
    Command = 1,
    /// A message from an app to the monitors (`INIT`, `ACTION`, `STATE`, …).
    App = 2,
    /// A report-store notification a monitor received on `report`.
    Report = 3,
}

/// A received message (opaque). Free with `remotedev_message_free`. Immutable: the
/// getters may be called from any thread at once.
#[derive(Clone)]
pub struct remotedev_message {
    kind: remotedev_message_kind,
    kind_text: Option<CString>,
    connection_id: Option<CString>,
    instance_id: Option<CString>,
    name: Option<CString>,
    action: Option<CString>,
    state: Option<CString>,
    raw: CString,
}

fn opt(s: Option<String>) -> Option<CString> {
    s.map(c_string)
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

impl remotedev_message {
    /// A command, its fields from the core's one flattening ([`Command::fields`]).
    pub(crate) fn from_command(m: CommandMessage) -> remotedev_message {
        let f = m.command.fields();
        let text = |s: Option<&str>| s.map(|s| c_string(s.to_owned()));
        remotedev_message {
            kind: remotedev_message_kind::Command,
            kind_text: text(Some(f.kind)),
            connection_id: text(f.connection_id),
            instance_id: opt(m.instance_id),
            name: None,
            action: text(f.action),
            state: text(f.state),
            raw: c_string(m.raw),
        }
    }

    /// Lends the message to a C callback for the duration of the call.
    pub(crate) fn lend(self, cb: MessageFn, userdata: *mut c_void) {
        // SAFETY: `cb` is a function pointer the caller registered for this signature;
        // the message lives across the call and is only lent.
        unsafe { cb(userdata, &self) };
    }

    pub(crate) fn from_app(m: AppMessage) -> remotedev_message {
        remotedev_message {
            kind: remotedev_message_kind::App,
            kind_text: Some(c_string(m.kind)),
            connection_id: opt(m.connection_id),
            instance_id: opt(m.instance_id),
            name: opt(m.name),
            action: opt(m.action),
            state: opt(m.payload),
            raw: c_string(m.raw),
        }
    }

    pub(crate) fn from_monitor_event(e: MonitorEvent) -> remotedev_message {
        match e {
            MonitorEvent::App(m) => remotedev_message::from_app(m),
            MonitorEvent::Report(raw) => remotedev_message {
                kind: remotedev_message_kind::Report,
                kind_text: None,
                connection_id: None,
                instance_id: None,
                name: None,
                action: None,
                state: None,
                raw: c_string(raw),
            },
        }
    }
}

fn getter(
    message: *const remotedev_message,
    get: impl FnOnce(&remotedev_message) -> *const c_char,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        handle(message, "message").map_or(std::ptr::null(), get)
    })
}

/// What `message` is. Returns `REMOTEDEV_MESSAGE_KIND_COMMAND` for NULL.
/// Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_message_get_kind(
    message: *const remotedev_message,
) -> remotedev_message_kind {
    guard_or(remotedev_message_kind::Command, || {
        handle(message, "message").map_or(remotedev_message_kind::Command, |m| m.kind)
    })
}

/// The message `type` (`"DISPATCH"`, `"ACTION"`, …); NULL for reports and for a NULL
/// `message`.
///
/// Every `remotedev_message_*` string getter: owner is the message; the pointer stays
/// valid until `remotedev_message_free(message)`. NULL means absent. Thread-safe, never
/// blocks.
#[no_mangle]
pub extern "C" fn remotedev_message_type(message: *const remotedev_message) -> *const c_char {
    getter(message, |m| ptr(&m.kind_text))
}

/// The app's connection (socket) id, where targeted commands go (app messages); the
/// source connection of a `SYNC` or the id of a `DISCONNECTED` command; else NULL.
#[no_mangle]
pub extern "C" fn remotedev_message_connection_id(
    message: *const remotedev_message,
) -> *const c_char {
    getter(message, |m| ptr(&m.connection_id))
}

/// The `instanceId`: of the sending app (app messages) or the instance a command is
/// addressed to (commands that name one); NULL otherwise and for reports.
#[no_mangle]
pub extern "C" fn remotedev_message_instance_id(
    message: *const remotedev_message,
) -> *const c_char {
    getter(message, |m| ptr(&m.instance_id))
}

/// The app's name (app messages that carry one), else NULL.
#[no_mangle]
pub extern "C" fn remotedev_message_name(message: *const remotedev_message) -> *const c_char {
    getter(message, |m| ptr(&m.name))
}

/// The action as JSON: the lifted action of a `DISPATCH` command (e.g.
/// `{"type":"JUMP_TO_ACTION","actionId":1}`), the raw value of an `ACTION` command
/// (usually a JSON string of source code, never evaluated), the lifted action of an
/// app's `ACTION` message; else NULL.
#[no_mangle]
pub extern "C" fn remotedev_message_action(message: *const remotedev_message) -> *const c_char {
    getter(message, |m| ptr(&m.action))
}

/// The state as JSON: the state to show of a `DISPATCH` (when the monitor sent one),
/// the state of `IMPORT` / `SYNC`, the payload of an app message; else NULL.
#[no_mangle]
pub extern "C" fn remotedev_message_state(message: *const remotedev_message) -> *const c_char {
    getter(message, |m| ptr(&m.state))
}

/// The message as JSON text exactly as received (for `log-noid` app messages, the
/// inner message), never NULL for a non-NULL `message`.
#[no_mangle]
pub extern "C" fn remotedev_message_raw(message: *const remotedev_message) -> *const c_char {
    getter(message, |m| m.raw.as_ptr())
}

/// Copies a message, e.g. to keep one a callback lent. The copy is freed with
/// `remotedev_message_free`; `*out` is written only on success. Statuses: only
/// `REMOTEDEV_STATUS_NULL_ARGUMENT`. Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_message_clone(
    message: *const remotedev_message,
    out: *mut *mut remotedev_message,
) -> remotedev_status {
    guard(|| {
        let m = handle(message, "message")?;
        let out = out_arg(out, "out")?;
        write(out, into_raw(m.clone()));
        Ok(())
    })
}

/// Frees a message from `*_next` or `remotedev_message_clone` (never one lent to a
/// callback). NULL is ignored. Not to be called twice or concurrently with getters on
/// the same message.
#[no_mangle]
pub extern "C" fn remotedev_message_free(message: *mut remotedev_message) {
    guard_or((), || free_raw(message))
}

/// Builds a `DISPATCH` command the way the Redux DevTools app does:
/// `{"type":"DISPATCH","action":ACTION,"state":"STATE"[,"instanceId":"ID"]}`. `action`
/// is JSON (e.g. `{"type":"JUMP_TO_ACTION","actionId":1}`); `state` (JSON, sent as a
/// string) and `instance_id` may be NULL. On success `*out` is a new string the caller
/// frees with `remotedev_string_free`. Statuses: `REMOTEDEV_STATUS_INVALID_UTF8`,
/// `REMOTEDEV_STATUS_INVALID_JSON` (`action`). Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_dispatch_command(
    action: *const c_char,
    state: *const c_char,
    instance_id: *const c_char,
    out: *mut *mut c_char,
) -> remotedev_status {
    guard(|| {
        let action = str_arg(action, "action")?;
        let state = opt_str_arg(state, "state")?;
        let instance_id = opt_str_arg(instance_id, "instance_id")?;
        let out = out_arg(out, "out")?;
        serde_json::from_str::<&serde_json::value::RawValue>(action).map_err(|e| {
            Error::new(
                remotedev_status::InvalidJson,
                format!("action: invalid JSON: {e}"),
            )
        })?;
        write(
            out,
            owned_string(dispatch_command(action, state, instance_id)),
        );
        Ok(())
    })
}
