//! The client side: a SocketCluster client socket ([`Socket`]) and, on top of it, the
//! RemoteDev app and monitor clients (relay spec §8–§9.1).
//!
//! Layers: `connector` opens the transport, `socket` speaks SocketCluster and
//! reconnects, `backoff` computes reconnect delays.

mod app;
mod backoff;
mod blocking;
mod connector;
mod error;
mod message;
mod monitor;
mod reports;
mod socket;

pub use app::{AppClient, AppOptions};
pub use backoff::Backoff;
pub use blocking::{
    BlockingApp, BlockingEvents, BlockingMonitor, BlockingSocket, BlockingSubscription,
};
pub use connector::{Connector, Endpoint, TcpConnector, Transport};
pub use error::ClientError;
pub use message::{AppMessage, Command, CommandMessage};
pub use monitor::{dispatch_command, MonitorClient, MonitorEvent, MonitorOptions};
pub use socket::{
    ConnectionState, Data, EventStream, Socket, SocketEvent, SocketOptions, Subscription,
};
