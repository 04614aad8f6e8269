//! Errors of the client side. Each keeps its cause: the endpoint and the operating
//! system's (or handshake's) error for connection failures, the field for bad options,
//! the server's error object for refused invokes.

use std::sync::Arc;

use crate::options::InvalidOption;
use crate::protocol::ErrorObject;

/// Why a client call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be used (unparsable, or a scheme no connector handles).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An option value that cannot be used (names the field).
    #[error(transparent)]
    InvalidOption(#[from] InvalidOption),
    /// Data handed to the client is not valid JSON text.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// An argument out of its range (e.g. an empty event name).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The relay could not be reached: the transport or the WebSocket upgrade failed.
    /// `source` is the operating system's error (refused, unreachable, DNS…) or the
    /// upgrade's (an HTTP status instead of 101).
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The relay URL.
        url: String,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The relay refused the SocketCluster handshake.
    #[error("handshake with {url} failed: {reason}")]
    Handshake {
        /// The relay URL.
        url: String,
        /// The relay's error, or what was malformed.
        reason: String,
    },
    /// The relay refused this client's authentication: it requires a token and none
    /// was given (`auth_token` option), or the token is invalid, expired or signed with
    /// another key. Not retried: the connection stays open but the client does not log
    /// in again until it reconnects, and `connect` fails with this error at once.
    #[error("authentication refused by {url}: {reason}")]
    Auth {
        /// The relay URL.
        url: String,
        /// The relay's error (e.g. `AuthError: login refused: this relay requires an
        /// auth token …` or `AuthTokenExpiredError: jwt expired`).
        reason: String,
    },
    /// Nothing happened within the time asked for (and no connection attempt failed
    /// meanwhile, or that error would be returned instead).
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// The peer answered an invoke with an error.
    #[error("remote error: {0}")]
    Remote(ErrorObject),
    /// The connection went away (before an invoke was answered, or while connected).
    #[error("connection lost ({code}: {reason})")]
    Disconnected {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The socket was closed for good (by `close` or a permanent close code).
    #[error("the socket is closed")]
    Closed,
    /// The operating system refused a resource the client needs (e.g. its runtime
    /// threads).
    #[error("cannot start the client: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// A message was dropped because the outbound queue was full.
    #[error("outbound queue full ({0} messages): the oldest were dropped")]
    QueueFull(usize),
}

impl ClientError {
    pub(crate) fn json(e: serde_json::Error) -> ClientError {
        ClientError::InvalidJson(e.to_string())
    }

    pub(crate) fn connect(url: &str, source: std::io::Error) -> ClientError {
        ClientError::Connect {
            url: url.to_owned(),
            source: Arc::new(source),
        }
    }

    /// Whether this is [`ClientError::Auth`].
    pub fn is_auth(&self) -> bool {
        matches!(self, ClientError::Auth { .. })
    }

    /// The operating system's error kind behind a connection failure, if any (e.g.
    /// `ConnectionRefused`).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            ClientError::Connect { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// A WebSocket error as an I/O error, keeping the operating system's error when it is
/// one (so `Connection refused` stays a `ConnectionRefused`).
pub(crate) fn io_error(e: tokio_tungstenite::tungstenite::Error) -> std::io::Error {
    match e {
        tokio_tungstenite::tungstenite::Error::Io(io) => io,
        tokio_tungstenite::tungstenite::Error::Http(response) => std::io::Error::other(format!(
            "the WebSocket upgrade was answered with HTTP {} instead of 101",
            response.status()
        )),
        other => std::io::Error::other(other),
    }
}
