//! A relay for code that is not async: it owns its tokio runtime. The C and Python
//! bindings wrap this.

use std::net::SocketAddr;
use std::time::Duration;

use super::error::RelayError;
use super::options::RelayOptions;
use super::server::Relay;

/// A relay running on its own runtime threads. [`BlockingRelay::shutdown`] (or drop)
/// closes every socket and joins the runtime. Do not call its methods from inside an
/// async runtime: they block.
pub struct BlockingRelay {
    runtime: Option<tokio::runtime::Runtime>,
    relay: Option<Relay>,
    local_addr: SocketAddr,
    url: String,
}

impl BlockingRelay {
    /// Starts a relay and returns once it is listening.
    ///
    /// # Errors
    /// [`RelayError::InvalidOption`] (see [`RelayOptions::validate`]),
    /// [`RelayError::AddrInUse`], [`RelayError::Bind`], [`RelayError::Runtime`],
    /// [`RelayError::Store`] when the report database cannot be opened.
    pub fn start(options: RelayOptions) -> Result<BlockingRelay, RelayError> {
        options.validate()?;
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = options.worker_threads {
            builder.worker_threads(n);
        }
        let runtime = builder
            .enable_all()
            .thread_name("remotedev-relay")
            .build()
            .map_err(RelayError::Runtime)?;
        let relay = runtime.block_on(Relay::start(options))?;
        Ok(BlockingRelay {
            local_addr: relay.local_addr(),
            url: relay.url(),
            relay: Some(relay),
            runtime: Some(runtime),
        })
    }

    /// The address the relay listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The port the relay listens on (the one picked when `port` was 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// `ws://host:port/socketcluster/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Cluster mode: `None` without [`RelayOptions::redis`] (or once stopped), else
    /// whether the relay is connected to Redis right now (see
    /// [`Relay::redis_connected`]).
    pub fn redis_connected(&self) -> Option<bool> {
        self.relay.as_ref().and_then(Relay::redis_connected)
    }

    /// Whether [`shutdown`](Self::shutdown) has run.
    pub fn is_stopped(&self) -> bool {
        self.relay.is_none()
    }

    /// Closes every socket (1001) and stops the runtime. Idempotent. Called on a thread
    /// that runs async code it cannot block, so it only cancels and lets the runtime
    /// finish in the background.
    pub fn shutdown(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(self.relay.take());
            if let Some(rt) = self.runtime.take() {
                rt.shutdown_background();
            }
            return;
        }
        if let (Some(relay), Some(rt)) = (self.relay.take(), self.runtime.as_ref()) {
            rt.block_on(relay.shutdown());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl Drop for BlockingRelay {
    fn drop(&mut self) {
        self.shutdown();
    }
}
