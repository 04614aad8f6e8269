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
}
