//! Errors of starting a relay.

use std::io;

/// Why a relay could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// An option value that cannot be used (names the field).
    #[error(transparent)]
    InvalidOption(#[from] crate::options::InvalidOption),
    /// Another process listens on the port.
    #[error("port {port} on {host} is already in use")]
    AddrInUse {
        /// The interface.
        host: String,
        /// The port.
        port: u16,
    },
    /// Listening failed for another reason (e.g. an unknown interface, no permission).
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        /// The interface.
        host: String,
        /// The port.
        port: u16,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The runtime's threads could not be started.
    #[error("cannot start the relay's runtime: {0}")]
    Runtime(#[source] io::Error),
    /// The report store (relay spec §6) could not be opened: a bad path, an unreadable
    /// or foreign database file, an unsupported `dbOptions` client.
    #[error("cannot open the report store: {0}")]
    Store(String),
    /// Cluster mode: Redis answered and refused the relay (a wrong password, a database
    /// index it does not have); names the server (without its password) and Redis's
    /// answer. A Redis that cannot be reached does not stop the start (README "Cluster
    /// mode").
    #[error("cluster mode: {0}")]
    Redis(String),
    /// The TLS certificate or key cannot be used (unreadable file, no certificate, a
    /// wrong passphrase, a key that does not match the certificate); names the file.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
}
