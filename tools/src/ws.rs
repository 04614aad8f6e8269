//! A raw SocketCluster peer over tokio-tungstenite: connect (`ws://`, or `wss://`
//! trusting the CA given to [`set_tls_ca`]), answer pings, invoke, and open a
//! connection as an app, a monitor or an idle socket.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<Stream>;

/// The transport: plain TCP or TLS over TCP (an enum, so `ws://` pays no indirection).
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket under the stream (for socket options such as linger).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

static TLS: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();

/// Trust the CA certificates in the PEM file `path` for `wss://` URLs.
pub fn set_tls_ca(path: &str) -> Result<(), String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|e| format!("{path}: {e}"))?
    {
        roots
            .add(cert.map_err(|e| format!("{path}: {e}"))?)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let _ = TLS.set(Arc::new(config));
    Ok(())
}

/// Opens a WebSocket with Nagle off and buffers sized for the benchmark.
/// Connects to `host:port`. To 127.0.0.1 the source address turns over 127.0.0.1–8:
/// one address has ~28 000 ephemeral ports to one destination, and the idle benchmark
/// holds 100 000 connections.
async fn tcp_connect(host: &str, port: u16) -> io::Result<TcpStream> {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::atomic::{AtomicU8, Ordering};
    static NEXT: AtomicU8 = AtomicU8::new(0);
    if host != "127.0.0.1" {
        return TcpStream::connect((host, port)).await;
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed) % 8;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 1 + n), 0)))?;
    socket
        .connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
}

pub async fn connect(url: &str) -> Result<Ws, String> {
    let req = url
        .into_client_request()
        .map_err(|e| format!("bad url {url}: {e}"))?;
    let host = req
        .uri()
        .host()
        .ok_or_else(|| format!("no host in {url}"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let secure = req.uri().scheme_str() == Some("wss");
    let port = req
        .uri()
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });
    let tcp = tcp_connect(&host, port)
        .await
        .map_err(|e| format!("connect {host}:{port}: {e}"))?;
    // Latency is measured per message; Nagle would hold small frames back.
    let _ = tcp.set_nodelay(true);
    let stream = if secure {
        let config = TLS.get().ok_or("wss:// needs --ca FILE")?.clone();
        let name =
            rustls_pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS {host}:{port}: {e}"))?;
        Stream::Tls(Box::new(tls))
    } else {
        Stream::Plain(tcp)
    };
    // Below tungstenite's 128 KiB default read buffer, so idle mode's 10 000
    // connections stay cheap in this process; a batch of sends leaves in few writes.
    let cfg = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(64 * 1024);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(cfg))
        .await
        .map_err(|e| format!("websocket upgrade {url}: {e}"))?;
    Ok(ws)
}

/// SocketCluster keep-alive: the answer to a ping frame, for both generations.
pub fn pong_for(t: &str) -> Option<&'static str> {
    match t {
        "#1" => Some("#2"),
        "" => Some(""),
        _ => None,
    }
}

/// Invoke `event` with `data` (raw JSON) and wait for the matching `rid`,
/// answering pings meanwhile. Returns the response frame text.
pub async fn invoke(ws: &mut Ws, cid: u64, event: &str, data: &str) -> Result<String, String> {
    let frame = format!(r#"{{"event":"{event}","data":{data},"cid":{cid}}}"#);
    ws.send(Message::text(frame))
        .await
        .map_err(|e| format!("send {event}: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| format!("no response to {event} (cid {cid}) within 10 s"))?;
        let t = match msg {
            None => return Err(format!("connection closed during {event}")),
            Some(Err(e)) => return Err(format!("{event}: {e}")),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => return Err(format!("closed during {event}: {c:?}")),
            Some(Ok(_)) => continue,
        };
        if let Some(p) = pong_for(&t) {
            ws.send(Message::text(p)).await.map_err(|e| e.to_string())?;
            continue;
        }
        if let Ok(v) = serde_json::from_str::<Value>(&t) {
            if v.get("rid").and_then(Value::as_u64) == Some(cid) {
                if let Some(err) = v.get("error") {
                    if !err.is_null() {
                        return Err(format!("{event} failed: {err}"));
                    }
                }
                return Ok(t.to_string());
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    App,
    Monitor,
    /// Idle connection: handshake only.
    Idle,
}

/// Opens a SocketCluster connection and brings it to the state `role` needs, as
/// RemoteDev clients do: apps log in as `"master"`, monitors log in with `{}` and
/// subscribe to `log`. Every step waits for its acknowledgement, so a monitor
/// returned here already gets every later `log` message.
pub async fn open_sc(url: &str, role: Role) -> Result<Ws, String> {
    let mut ws = connect(url).await?;
    invoke(&mut ws, 1, "#handshake", r#"{"authToken":null}"#).await?;
    match role {
        Role::App => {
            invoke(&mut ws, 2, "login", r#""master""#).await?;
        }
        Role::Monitor => {
            invoke(&mut ws, 2, "login", "{}").await?;
            invoke(&mut ws, 3, "#subscribe", r#"{"channel":"log"}"#).await?;
        }
        Role::Idle => {}
    }
    Ok(ws)
}
