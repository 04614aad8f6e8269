//! The listener: binds, accepts TCP connections, serves each with hyper (HTTP/1.1 with
//! upgrades) through the axum routes, and shuts everything down on request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::error::RelayError;
use super::http::{routes, Shared};
use super::hub::Hub;
use super::options::RelayOptions;
use crate::store::ReportStore;

/// How long shutdown waits for sockets to finish their close handshakes.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);
/// Slow HTTP clients get this long to send their request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A running relay (async API). Dropping it without [`Relay::shutdown`] stops accepting
/// and closes every socket, but does not wait for them.
pub struct Relay {
    local_addr: SocketAddr,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    accept: Option<JoinHandle<()>>,
}

impl Relay {
    /// Binds `options.host:options.port` and starts serving. Must be called inside a
    /// tokio runtime with the I/O and time drivers enabled.
    ///
    /// # Errors
    /// [`RelayError::InvalidOption`] (see [`RelayOptions::validate`]),
    /// [`RelayError::AddrInUse`], [`RelayError::Bind`], [`RelayError::Store`] when the
    /// report database cannot be opened.
    pub async fn start(options: RelayOptions) -> Result<Relay, RelayError> {
        options.validate()?;
        let (host, port) = (options.host.clone(), options.port);
        let listener = TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AddrInUse {
                    RelayError::AddrInUse {
                        host: host.clone(),
                        port,
                    }
                } else {
                    RelayError::Bind {
                        host: host.clone(),
                        port,
                        source,
                    }
                }
            })?;
        let local_addr =
            listener
                .local_addr()
                .map_err(|source| RelayError::Bind { host, port, source })?;
        // The store thread starts only once the port is ours.
        let store = ReportStore::open(options.store.clone())
            .await
            .map_err(|e| RelayError::Store(e.to_string()))?;
        let options_access = options.clone();
        let hub = Arc::new(Hub::new(options, store));
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let access = Arc::new(super::access::Access::new(&options_access, local_addr));
        let shared = Shared {
            access,
            port: local_addr.port(),
            graphql: super::graphql::schema(hub.store.clone()),
            hub: hub.clone(),
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
        };
        let accept = tokio::spawn(accept_loop(listener, shared));
        tracing::info!("relay listening on {}", url_for(local_addr));
        Ok(Relay {
            local_addr,
            hub,
            shutdown,
            tasks,
            accept: Some(accept),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `ws://host:port/socketcluster/` for the bound address.
    pub fn url(&self) -> String {
        url_for(self.local_addr)
    }

    /// Sockets currently connected (handshaken or not).
    pub fn connections(&self) -> usize {
        self.hub.connections()
    }

    /// Stops accepting, sends every socket a close frame (1001) and waits for the
    /// sockets' tasks to finish.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
        self.tasks.close();
        if tokio::time::timeout(SHUTDOWN_WAIT, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close within {SHUTDOWN_WAIT:?}");
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub(crate) fn url_for(addr: SocketAddr) -> String {
    format!("ws://{addr}/socketcluster/")
}

async fn accept_loop(listener: TcpListener, shared: Shared) {
    let app = routes(shared.clone());
    loop {
        let (stream, peer) = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // The peer's address travels with each request (access: the UI token is only
        // for this machine).
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(super::access::PeerAddr(peer));
                req
            },
        ));
        let shutdown = shared.shutdown.clone();
        shared.tasks.spawn(async move {
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!("HTTP connection error: {e}");
                    }
                }
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}
