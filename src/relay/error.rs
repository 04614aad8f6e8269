//! Errors of starting a relay.

use std::io;

/// Why a relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("port {port} on {host} is already in use")]
    AddrInUse { host: String, port: u16 },
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        host: String,
        port: u16,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the relay's runtime: {0}")]
    Runtime(#[source] io::Error),
    /// The report store (relay spec §6) could not be opened: a bad path, an unreadable
    /// or foreign database file, an unsupported `dbOptions` client.
    #[error("cannot open the report store: {0}")]
    Store(String),
}
