//! Error objects as they travel in `error` fields (SC§9): `message` first, then `name`.

use serde::Serialize;
use serde_json::value::RawValue;

/// Names of the SocketCluster error classes this crate sends: each is the `name` the
/// reference server gives the error class.
pub mod names {
    /// An event or operation the server does not allow.
    pub const INVALID_ACTION: &str = "InvalidActionError";
    /// Arguments of the wrong shape.
    pub const INVALID_ARGUMENTS: &str = "InvalidArgumentsError";
    /// An auth token that does not verify.
    pub const AUTH_TOKEN_INVALID: &str = "AuthTokenInvalidError";
    /// An event refused because the socket is not authenticated (a relay with an auth
    /// key, issue 12).
    pub const AUTH: &str = "AuthError";
    /// The message broker failed.
    pub const BROKER: &str = "BrokerError";
    /// An invoke was not answered in time.
    pub const TIMEOUT: &str = "TimeoutError";
    /// A socket closed with a protocol error code.
    pub const SOCKET_PROTOCOL: &str = "SocketProtocolError";
    /// The connection went away before the answer.
    pub const BAD_CONNECTION: &str = "BadConnectionError";
}

/// Error names (SC§9) that mean "authenticate first" or "your token is not valid":
/// `AuthError` and the `AuthToken*Error` family.
pub fn is_auth_error_name(name: &str) -> bool {
    name == names::AUTH || name.starts_with("AuthToken")
}

/// A dehydrated error: what a peer sees in a response's `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorObject {
    /// The human-readable message.
    pub message: String,
    /// The error class (see [`names`]), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ErrorObject {
    /// An error of class `name`.
    pub fn new(name: &str, message: impl Into<String>) -> Self {
        ErrorObject {
            message: message.into(),
            name: Some(name.to_owned()),
        }
    }

    /// The JSON text of this error.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an error object always serializes")
    }

    /// Hydrates a received `error` value the way the reference clients do: an object
    /// gives its `message` (or a placeholder) and string `name`; any other JSON value
    /// becomes the message text.
    pub fn from_raw(raw: &RawValue) -> ErrorObject {
        #[derive(serde::Deserialize)]
        struct Wire {
            message: Option<serde_json::Value>,
            name: Option<serde_json::Value>,
        }
        match serde_json::from_str::<Wire>(raw.get()) {
            Ok(w) => ErrorObject {
                message: match w.message {
                    Some(serde_json::Value::String(s)) => s,
                    _ => "Invalid error message format".to_owned(),
                },
                name: match w.name {
                    Some(serde_json::Value::String(s)) => Some(s),
                    _ => None,
                },
            },
            Err(_) => ErrorObject {
                message: match serde_json::from_str::<String>(raw.get()) {
                    Ok(s) => s,
                    Err(_) => raw.get().to_owned(),
                },
                name: None,
            },
        }
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn dehydrated_shape() {
        let e = ErrorObject::new(names::INVALID_ACTION, "Client publish feature is disabled");
        assert_eq!(
            e.to_json(),
            r#"{"message":"Client publish feature is disabled","name":"InvalidActionError"}"#
        );
    }

    #[test]
    fn hydrate_forms() {
        assert_eq!(
            ErrorObject::from_raw(&raw(r#"{"message":"custom failure"}"#)).name,
            None
        );
        let e = ErrorObject::from_raw(&raw(r#"{"message":"m","name":"CustomError","x":1}"#));
        assert_eq!(e, ErrorObject::new("CustomError", "m"));
        assert_eq!(ErrorObject::from_raw(&raw(r#""boom""#)).message, "boom");
        assert_eq!(
            ErrorObject::from_raw(&raw("{}")).message,
            "Invalid error message format"
        );
    }
}
