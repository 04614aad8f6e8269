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
/// How long shutdown waits for the cluster's goodbye to reach Redis.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);
/// Slow HTTP clients get this long to send their request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A running relay (async API). Dropping it without [`Relay::shutdown`] stops accepting
/// and closes every socket, but does not wait for them.
pub struct Relay {
    local_addr: SocketAddr,
    secure: bool,
    tls: Option<Arc<TlsState>>,
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
    /// report database cannot be opened, [`RelayError::Tls`] when the certificate or
    /// key cannot be used.
    pub async fn start(options: RelayOptions) -> Result<Relay, RelayError> {
        options.validate()?;
        super::metrics::install();
        let tls = match (&options.tls_cert, &options.tls_key) {
            (Some(cert), Some(key)) => Some(Arc::new(TlsState {
                acceptor: std::sync::RwLock::new(tokio_rustls::TlsAcceptor::from(
                    crate::tls::server_config(cert, key, options.tls_passphrase.as_deref())?,
                )),
                cert: cert.clone(),
                key: key.clone(),
                passphrase: options.tls_passphrase.clone(),
            })),
            _ => None,
        };
        let secure = tls.is_some();
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
        let cluster = match &options.redis {
            Some(url) => Some(Arc::new(super::cluster::Cluster::new(
                url,
                options.cluster.as_deref(),
            )?)),
            None => None,
        };
        if let Some(cluster) = &cluster {
            super::cluster::bus::refused_at_start(cluster)
                .await
                .map_err(RelayError::Redis)?;
        }
        let metrics = super::metrics::RelayMetrics::new(&local_addr.to_string());
        // Readiness checks (GET /readyz): `listening`, `store` and, in cluster mode, `redis`.
        let mut readiness = super::health::Readiness::new(store.clone());
        if let Some(cluster) = &cluster {
            let cluster = cluster.clone();
            readiness.add_flag("redis", move || cluster.is_connected());
        }
        let hub = Arc::new(Hub::new(options, store, cluster.clone(), metrics));
        if let Some(cluster) = &cluster {
            cluster.start(Arc::downgrade(&hub));
        }
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let access = Arc::new(super::access::Access::new(&options_access, local_addr));
        let shared = Shared {
            access,
            readiness: Arc::new(readiness),
            port: local_addr.port(),
            graphql: super::graphql::schema(hub.store.clone()),
            hub: hub.clone(),
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
        };
        let accept = tokio::spawn(accept_loop(listener, shared, tls.clone()));
        tracing::info!("relay listening on {}", url_for(local_addr, secure));
        Ok(Relay {
            local_addr,
            secure,
            tls,
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

    /// `ws://host:port/socketcluster/` for the bound address (`wss://` with TLS).
    pub fn url(&self) -> String {
        url_for(self.local_addr, self.secure)
    }

    /// Whether the relay serves TLS (`wss://`, `https://`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Reads the certificate chain and key again (e.g. renewed files; the CLI does this
    /// on SIGHUP). New connections use them; open ones keep theirs. Returns `false`
    /// when the relay does not serve TLS.
    ///
    /// # Errors
    /// [`RelayError::Tls`] naming the file when the new certificate or key cannot be
    /// used; the relay then keeps serving the previous one.
    pub fn reload_tls(&self) -> Result<bool, RelayError> {
        let Some(tls) = &self.tls else {
            return Ok(false);
        };
        let config = crate::tls::server_config(&tls.cert, &tls.key, tls.passphrase.as_deref())?;
        *tls.acceptor.write().unwrap_or_else(|p| p.into_inner()) =
            tokio_rustls::TlsAcceptor::from(config);
        Ok(true)
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
        if let Some(cluster) = &self.hub.cluster {
            // After the sockets' DISCONNECTEDs, so the other relays get those first.
            cluster.goodbye(GOODBYE_WAIT).await;
        }
    }

    /// Cluster mode: `None` without [`RelayOptions::redis`]; otherwise whether the relay
    /// is connected to Redis right now, i.e. cross-relay delivery works (for readiness
    /// checks). Cheap: one atomic load.
    pub fn redis_connected(&self) -> Option<bool> {
        self.hub.redis_connected()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(cluster) = &self.hub.cluster {
            cluster.stop();
        }
    }
}

pub(crate) fn url_for(addr: SocketAddr, secure: bool) -> String {
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{addr}/socketcluster/")
}

/// The TLS acceptor in use and where it came from (for [`Relay::reload_tls`]).
struct TlsState {
    acceptor: std::sync::RwLock<tokio_rustls::TlsAcceptor>,
    cert: crate::tls::PemSource,
    key: crate::tls::PemSource,
    passphrase: Option<String>,
}

/// The first byte of every TLS connection (a handshake record).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Plain HTTP on a TLS port gets this instead of a TLS alert, so a `ws://` client
/// reports an HTTP status that says what to change.
const PLAIN_ON_TLS: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 63\r\n\r\nThis relay serves TLS only: use wss:// or https:// on this port";

/// The TLS handshake of one accepted connection (in its own task, within
/// `HEADER_TIMEOUT`), or `None` after answering plain HTTP or a failed handshake.
async fn tls_handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    mut stream: tokio::net::TcpStream,
) -> Option<tokio_rustls::server::TlsStream<tokio::net::TcpStream>> {
    use tokio::io::AsyncWriteExt;
    let work = async {
        let mut first = [0u8; 1];
        match stream.peek(&mut first).await {
            Ok(1) if first[0] != TLS_HANDSHAKE_RECORD => {
                let _ = stream.write_all(PLAIN_ON_TLS).await;
                let _ = stream.shutdown().await;
                tracing::debug!("plain HTTP on the TLS port: answered 400");
                return None;
            }
            Ok(1) => {}
            _ => return None,
        }
        match acceptor.accept(stream).await {
            Ok(tls) => Some(tls),
            Err(e) => {
                tracing::debug!("TLS handshake failed: {e}");
                None
            }
        }
    };
    tokio::time::timeout(HEADER_TIMEOUT, work)
        .await
        .ok()
        .flatten()
}

async fn accept_loop(listener: TcpListener, shared: Shared, tls: Option<Arc<TlsState>>) {
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
        crate::liveness::keep_unsent_small(&stream);
        let service = app.clone();
        let shutdown = shared.shutdown.clone();
        let tls = tls
            .as_ref()
            .map(|t| t.acceptor.read().unwrap_or_else(|p| p.into_inner()).clone());
        shared.tasks.spawn(async move {
            match tls {
                None => serve(stream, service, peer, shutdown).await,
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        tls = tls_handshake(acceptor, stream) => tls,
                    };
                    if let Some(tls) = handshake {
                        serve(tls, service, peer, shutdown).await;
                    }
                }
            }
        });
    }
}

/// Serves HTTP/1.1 (with upgrades) on one connection until it ends or the relay stops.
async fn serve<S>(stream: S, app: axum::Router, peer: SocketAddr, shutdown: CancellationToken)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // The peer's address travels with each request (access: the UI token is only for
    // this machine).
    let service = TowerToHyperService::new(tower::ServiceExt::map_request(
        app,
        move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(super::access::PeerAddr(peer));
            req
        },
    ));
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
}
