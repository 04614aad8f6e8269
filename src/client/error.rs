//! Errors of the client side.

use crate::protocol::ErrorObject;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The URL cannot be used (unparsable, or a scheme no connector handles).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// Data handed to the client is not valid JSON text.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// An argument out of its range (e.g. an empty event name).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// No connection within the time asked for.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// The peer answered an invoke with an error.
    #[error("remote error: {0}")]
    Remote(ErrorObject),
    /// The connection went away before an invoke was answered.
    #[error("connection lost before the answer ({code}: {reason})")]
    Disconnected { code: u16, reason: String },
    /// The socket was closed for good (by `close` or a permanent close code).
    #[error("the socket is closed")]
    Closed,
    /// A message was dropped because the outbound queue was full.
    #[error("outbound queue full ({0} messages): the oldest were dropped")]
    QueueFull(usize),
}

impl ClientError {
    pub(crate) fn json(e: serde_json::Error) -> ClientError {
        ClientError::InvalidJson(e.to_string())
    }
}
