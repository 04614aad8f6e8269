pub mod client;
pub mod ffi;
pub mod protocol;
pub mod relay;
pub mod store;

pub use relay::{BlockingRelay, Relay, RelayError, RelayOptions};
