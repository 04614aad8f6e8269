//! How a client reaches a relay: the transport under the WebSocket. `ws://` over TCP is
//! built in; TLS (`wss://`) comes as another [`Connector`] without touching the socket.

use std::future::Future;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::error::ClientError;

/// A byte stream a WebSocket can run over.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// The parts of a relay URL a connector needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `wss://`: the transport must be TLS.
    pub secure: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port (80 / 443 when the URL has none).
    pub port: u16,
}

impl Endpoint {
    /// Parses `ws://host:port/path` or `wss://…` (default ports 80 / 443).
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] for text that is not a URL, another scheme, or no host.
    pub fn parse(url: &str) -> Result<Endpoint, ClientError> {
        let bad = |reason: &str| ClientError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(bad("the scheme must be ws:// or wss://")),
        };
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        Ok(Endpoint { secure, host, port })
    }
}

/// What [`Connector::connect`] returns: the open transport, or the operating system's
/// (or TLS) error, which the client keeps as the cause of the connection failure.
pub type ConnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn Transport>, std::io::Error>> + Send + 'a>>;

/// Opens the transport to an endpoint.
pub trait Connector: Send + Sync + 'static {
    /// Whether this connector can reach the endpoint (e.g. plain TCP cannot do TLS).
    ///
    /// # Errors
    /// Why this connector cannot reach `endpoint` (becomes [`ClientError::InvalidUrl`]).
    fn supports(&self, endpoint: &Endpoint) -> Result<(), String>;
    /// Opens the transport (TCP, then TLS for `wss://` in a TLS connector).
    fn connect<'a>(&'a self, endpoint: &'a Endpoint) -> ConnectFuture<'a>;
}

/// Plain TCP for `ws://` URLs, with `TCP_NODELAY` (messages are small and latency matters).
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpConnector;

impl Connector for TcpConnector {
    fn supports(&self, endpoint: &Endpoint) -> Result<(), String> {
        if endpoint.secure {
            Err("wss:// needs a TLS connector; the built-in one speaks ws:// only".to_owned())
        } else {
            Ok(())
        }
    }

    fn connect<'a>(&'a self, endpoint: &'a Endpoint) -> ConnectFuture<'a> {
        Box::pin(async move {
            let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
            let _ = stream.set_nodelay(true);
            Ok(Box::new(stream) as Box<dyn Transport>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_relay_urls() {
        let e = Endpoint::parse("ws://127.0.0.1:8000/socketcluster/").unwrap();
        assert_eq!(
            e,
            Endpoint {
                secure: false,
                host: "127.0.0.1".into(),
                port: 8000
            }
        );
        assert_eq!(
            Endpoint::parse("wss://example.org/socketcluster/")
                .unwrap()
                .port,
            443
        );
        assert_eq!(Endpoint::parse("ws://[::1]:9/x").unwrap().host, "::1");
        assert!(Endpoint::parse("http://x/").is_err());
        assert!(Endpoint::parse("not a url").is_err());
        assert!(TcpConnector
            .supports(&Endpoint::parse("wss://x/").unwrap())
            .is_err());
    }
}
