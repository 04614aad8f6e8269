//! The client side: a SocketCluster client socket ([`Socket`]) and, on top of it, the
//! RemoteDev app and monitor clients (relay spec §8–§9.1).
//!
//! Layers: `connector` opens the transport, `socket` speaks SocketCluster and
//! reconnects (`backoff` computes the delays), `app` / `monitor` add the remotedev
//! flow, `blocking` wraps them for code without an async runtime and for the
//! bindings, which also share `recv` (what a wait with a deadline found) and `pump`
//! (the callback thread).
//!
//! One meaning of *connect* everywhere: `create` / `start` make a client that
//! connects in the background at once; `connect(within)` waits until it is connected
//! (the socket open; for app and monitor also logged in and subscribed) and fails with
//! the latest cause (e.g. connection refused) when the time runs out.

mod app;
mod backoff;
mod blocking;
mod connector;
mod error;
mod history;
mod monitor;
mod pump;
mod recv;
mod reports;
mod socket;

pub use crate::protocol::message::{
    dispatch_command, AppMessage, Command, CommandFields, CommandMessage,
};
pub use app::{AppClient, AppOptions};
pub use backoff::{Backoff, Schedule};
pub use blocking::{
    BlockingApp, BlockingEvents, BlockingMonitor, BlockingSocket, BlockingSubscription,
};
pub use connector::{ConnectFuture, Connector, Endpoint, TcpConnector, Transport};
pub use error::ClientError;
pub use monitor::{MonitorClient, MonitorEvent, MonitorOptions};
pub use pump::{Pump, PUMP_POLL};
pub use recv::Recv;
pub use socket::{
    ConnectionState, Data, EventStream, Socket, SocketEvent, SocketOptions, Subscription,
};
