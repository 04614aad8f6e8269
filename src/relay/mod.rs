//! The relay: a SocketCluster server with the RemoteDev routing on top.
//!
//! Start one with [`Relay::start`] from async code or [`BlockingRelay::start`] from
//! anywhere else (it owns its runtime; the C and Python bindings wrap it). Layers, from
//! the socket up: [`server`] accepts TCP and serves HTTP, `http` upgrades
//! `/socketcluster/` to WebSocket, `session` runs the per-socket SocketCluster state
//! machine, `router` applies the remotedev semantics, and `hub` holds the sockets and
//! channel subscriptions that publishes fan out to through each socket's `outbox`.
//! With `redis` set, `cluster` joins relays sharing one Redis into one.

mod access;
mod auth;
mod blocking;
mod burst_read;
mod cluster;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod graphql;
mod health;
mod http;
mod hub;
mod metrics;
mod options;
mod outbox;
mod report_api;
mod router;
mod server;
mod session;
mod socket_id;
pub mod ui;

pub use auth::{parse_expiry, AuthKey};
pub use blocking::BlockingRelay;
pub use error::RelayError;
pub use options::{RelayOptions, DEFAULT_HOST, DEFAULT_PORT};
pub use server::Relay;
