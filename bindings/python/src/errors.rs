//! Error mapping: every failure of the core becomes an exception of `remotedev._errors`
//! (defined in Python so that the classes can also derive from the matching built-ins)
//! with the core's own text. No message is composed here except for argument checks
//! that only exist in Python (e.g. `url` together with `host`).

use pyo3::prelude::*;
use pyo3::types::PyType;

use remotedev::client::ClientError;
use remotedev::{InvalidOption, RelayError};

/// An exception of class `class` from `remotedev._errors` with `message`.
pub(crate) fn py_error(class: &str, message: String) -> PyErr {
    Python::attach(|py| {
        let ty = py
            .import("remotedev._errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match ty {
            Ok(ty) => PyErr::from_type(ty, message),
            Err(e) => e,
        }
    })
}

/// `InvalidArgumentError` (a `ValueError`) for an argument only Python can get wrong.
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    py_error("InvalidArgumentError", message.into())
}

/// `InvalidOptionError` with the core's text (`invalid option FIELD: REASON`).
pub(crate) fn option_err(e: InvalidOption) -> PyErr {
    py_error("InvalidOptionError", e.to_string())
}

/// The exception class for a client error.
fn client_class(e: &ClientError) -> &'static str {
    match e {
        ClientError::InvalidUrl { .. } | ClientError::InvalidArgument(_) => "InvalidArgumentError",
        ClientError::InvalidOption(_) => "InvalidOptionError",
        ClientError::InvalidJson(_) => "JSONError",
        ClientError::Timeout(_) => "TimeoutError",
        ClientError::Remote(_) => "ProtocolError",
        ClientError::Auth { .. } => "AuthError",
        ClientError::Connect { .. }
        | ClientError::Handshake { .. }
        | ClientError::Disconnected { .. } => "ConnectionError",
        ClientError::Closed => "ClosedError",
        ClientError::QueueFull(_) => "QueueFullError",
        _ => "Error",
    }
}

/// The exception for a client error, with the core's text.
pub(crate) fn client_err(e: ClientError) -> PyErr {
    py_error(client_class(&e), e.to_string())
}

/// The exception for a relay error, with the core's text.
pub(crate) fn relay_err(e: RelayError) -> PyErr {
    let class = match &e {
        RelayError::InvalidOption(_) => "InvalidOptionError",
        RelayError::AddrInUse { .. } => "AddressInUseError",
        RelayError::Bind { .. } | RelayError::Redis(_) => "ConnectionError",
        RelayError::Tls(_) => "InvalidOptionError",
        _ => "Error",
    };
    py_error(class, e.to_string())
}

/// `TimeoutError` for a wait of `within` that found nothing.
pub(crate) fn timed_out(within: std::time::Duration) -> PyErr {
    client_err(ClientError::Timeout(within.as_millis() as u64))
}

/// `ClosedError`: the handle is closed for good.
pub(crate) fn closed() -> PyErr {
    client_err(ClientError::Closed)
}

/// The text of a handle's latest connection failure, for the `last_error` properties.
pub(crate) fn error_text(e: Option<ClientError>) -> Option<String> {
    e.map(|e| e.to_string())
}
