//! `remotedev_status`: the result of every fallible call, its one table of texts, and
//! the error value ([`Error`]) that carries a status and the text for
//! `remotedev_last_error` to the boundary.
//!
//! The enum is written out as a plain item because cbindgen (stable, without macro
//! expansion) only sees plain items; [`STATUSES`] is the one table of its numbers and
//! texts, checked against the enum at compile time, and `remotedev_status_message` reads that
//! table.

use std::ffi::{c_int, CStr};

use crate::client::ClientError;
use crate::options::InvalidOption;
use crate::RelayError;

/// The result of every fallible call. `REMOTEDEV_STATUS_OK` is 0; anything else is an
/// error whose text `remotedev_last_error()` (same thread) or
/// `remotedev_status_message()` gives. Each function's documentation names the
/// statuses it can return besides `OK`, `NULL_ARGUMENT` (a required pointer was NULL)
/// and `PANIC` (a bug, caught), which any function that takes pointers can return.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum remotedev_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument or option is out of its range; the last error names it and says
    /// why, in the same words as the Rust API (e.g. `invalid option ping_interval:
    /// must be greater than 0 ms`).
    InvalidArgument = 3,
    /// A JSON argument is not valid JSON text.
    InvalidJson = 4,
    /// The URL cannot be used.
    InvalidUrl = 5,
    /// The relay's port is already in use.
    AddrInUse = 6,
    /// An operating-system error (listening, opening the report store, threads).
    Io = 7,
    /// Nothing happened within the timeout (no connection yet, no message yet); a
    /// later call may succeed.
    Timeout = 8,
    /// The peer answered an invoke with an error.
    Remote = 9,
    /// The connection went away before an invoke was answered.
    Disconnected = 10,
    /// The handle is closed for good (by `*_close`, a permanent close code, or the
    /// subscription ended): nothing more will arrive.
    Closed = 11,
    /// A message was dropped because the outbound queue was full.
    QueueFull = 12,
    /// The relay was stopped already.
    Stopped = 13,
    /// The client is not connected (e.g. no socket id yet).
    NotConnected = 14,
    /// A callback is set, so messages cannot be pulled with `*_next`.
    Busy = 15,
    /// An internal error (a Rust panic was caught). The handle may be unusable.
    Panic = 16,
    /// The relay could not be reached or refused the handshake; the last error names
    /// the endpoint and the cause (e.g. `Connection refused (os error 111)`).
    ConnectFailed = 17,
    /// Nothing to report: the client has had no error (from `*_last_error`).
    NoError = 18,
    /// The relay refused the client's authentication: it requires a token and none
    /// was set (`remotedev_socket_options_set_auth_token`), or the token is invalid,
    /// expired or signed with another key. Not retried until the next connection.
    Auth = 19,
}

use remotedev_status as S;

/// THE table: every status with its fixed text, in the order of their numbers.
pub(crate) const STATUSES: [(remotedev_status, &CStr); 20] = [
    (S::Ok, c"ok"),
    (S::NullArgument, c"a required pointer argument was NULL"),
    (S::InvalidUtf8, c"a string argument is not valid UTF-8"),
    (S::InvalidArgument, c"invalid argument"),
    (S::InvalidJson, c"invalid JSON"),
    (S::InvalidUrl, c"invalid URL"),
    (S::AddrInUse, c"address already in use"),
    (S::Io, c"operating-system error"),
    (S::Timeout, c"timed out"),
    (S::Remote, c"the peer answered with an error"),
    (
        S::Disconnected,
        c"the connection was lost before the answer",
    ),
    (S::Closed, c"closed"),
    (S::QueueFull, c"outbound queue full"),
    (S::Stopped, c"the relay is stopped"),
    (S::NotConnected, c"not connected"),
    (S::Busy, c"a callback is set; messages are not pulled"),
    (S::Panic, c"internal error (panic)"),
    (S::ConnectFailed, c"cannot connect"),
    (S::NoError, c"no error"),
    (S::Auth, c"authentication refused by the relay"),
];

// The table lists each status once, at the index of its number, and ends with the
// last variant: a status added to the enum without a row (or out of order) fails the
// build here.
const _: () = {
    let mut i = 0;
    while i < STATUSES.len() {
        assert!(STATUSES[i].0 as usize == i);
        i += 1;
    }
    assert!(STATUSES.len() == S::Auth as usize + 1);
};

impl remotedev_status {
    /// The text of a status number from C; `None` for numbers that are no status.
    pub(crate) fn text_of(n: c_int) -> Option<&'static CStr> {
        usize::try_from(n)
            .ok()
            .and_then(|i| STATUSES.get(i))
            .map(|(_, t)| *t)
    }
}

/// An error on its way to C: a status and the text for `remotedev_last_error`.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) status: remotedev_status,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(status: remotedev_status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Error {
        Error::new(S::NullArgument, format!("{what} must not be NULL"))
    }
}

impl From<InvalidOption> for Error {
    fn from(e: InvalidOption) -> Error {
        Error::new(S::InvalidArgument, e.to_string())
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Error {
        let status = match &e {
            ClientError::InvalidUrl { .. } => S::InvalidUrl,
            ClientError::InvalidOption(_) | ClientError::InvalidArgument(_) => S::InvalidArgument,
            ClientError::Connect { .. } | ClientError::Handshake { .. } => S::ConnectFailed,
            ClientError::Io(_) => S::Io,
            ClientError::InvalidJson(_) => S::InvalidJson,
            ClientError::Timeout(_) => S::Timeout,
            ClientError::Remote(_) => S::Remote,
            ClientError::Auth { .. } => S::Auth,
            ClientError::Disconnected { .. } => S::Disconnected,
            ClientError::Closed => S::Closed,
            ClientError::QueueFull(_) => S::QueueFull,
        };
        Error::new(status, e.to_string())
    }
}

impl From<RelayError> for Error {
    fn from(e: RelayError) -> Error {
        let status = match &e {
            RelayError::InvalidOption(_) => S::InvalidArgument,
            RelayError::AddrInUse { .. } => S::AddrInUse,
            RelayError::Tls(_) => S::InvalidArgument,
            _ => S::Io,
        };
        Error::new(status, e.to_string())
    }
}

/// The result of the code behind an entry point.
pub(crate) type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_each_status_its_text() {
        assert_eq!(remotedev_status::text_of(0), Some(c"ok"));
        assert_eq!(remotedev_status::text_of(17), Some(c"cannot connect"));
        assert_eq!(remotedev_status::text_of(-1), None);
        assert_eq!(remotedev_status::text_of(20), None);
    }
}
