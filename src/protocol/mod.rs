//! The SocketCluster wire codec, shared by the relay and the client.
//!
//! Pure functions only: no sockets, no timers, no tokio. It turns received text into a
//! classified [`Inbound`] message (borrowing the payload as raw JSON so relayed data is
//! never re-encoded) and builds every outbound frame either side sends. Protocol facts
//! (ping forms, close codes, error objects) are written here once.
//! Section references ("SC§n") point into `socketcluster-protocol.md`.

pub mod close;
pub mod encode;
pub mod error;
pub mod frame;
pub mod message;
pub mod ping;
pub mod private_events;
pub mod scan;

pub use error::ErrorObject;
pub use frame::{classify, scan_event, Event, Frame, Inbound, Response, TextEvent};
pub use ping::{PingMode, ProtocolVersion};
