//! libremotedev: one implementation of the RemoteDev / Redux DevTools remote-monitoring
//! **relay** and **client**, for apps in any language that want to watch and
//! time-travel their state in Redux DevTools.
//!
//! - [`relay`]: a SocketCluster server at `ws://HOST:PORT/socketcluster/` with the
//!   remotedev routing (`login`, `log`, `log-noid`, `respond`, `sc-<id>`,
//!   `DISCONNECTED`) and the report store ([`store`]), which real clients of both
//!   SocketCluster generations (v14 and v20) use unmodified. Start one with
//!   [`Relay::start`] (async) or [`BlockingRelay::start`].
//! - [`client`]: a SocketCluster client [`client::Socket`] and, on it, the app client
//!   ([`client::AppClient`]: `INIT` / `ACTION` / `STATE`, monitor commands) and the
//!   monitor client ([`client::MonitorClient`]), with blocking facades.
//! - [`protocol`]: the pure wire codec both sides share.
//! - [`ffi`]: the C ABI (`include/remotedev.h`); the Python and Objective-C bindings
//!   build on the same blocking facades, option checks ([`options`]), log levels
//!   ([`logging`]) and callback pump ([`client::Pump`]).
//! - [`cli`]: the `remotedev` command line.
//!
//! The normative protocol is the shared spec's `socketcluster-protocol.md` ("SC§n")
//! and `remotedev-relay.md` ("relay spec §n").
#![warn(missing_docs, clippy::missing_errors_doc)]
#![deny(unsafe_code)]

pub mod cli;
pub mod client;
#[allow(unsafe_code)]
pub mod ffi;
pub(crate) mod liveness;
pub mod logging;
pub mod options;
pub mod protocol;
pub mod relay;
pub mod store;
pub mod tls;

pub use options::InvalidOption;
pub use relay::{BlockingRelay, Relay, RelayError, RelayOptions};
