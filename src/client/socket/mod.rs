//! The SocketCluster client socket (SC§3–§11, client side), with SocketCluster v20's
//! names: [`Socket::create`] starts it (connecting in the background, as v20's
//! `create` with `autoConnect`), [`Socket::connect`] waits until it is open,
//! [`Socket::transmit`] / [`Socket::invoke`] send events, [`Socket::subscribe`] gives a
//! channel's messages, [`Socket::receiver`] the server's events of one name and
//! [`Socket::listener`] the socket's own events (`connect`, `disconnect`, `error`…).
//!
//! A [`Socket`] is a cheap handle to one connection task (`task`) that owns the
//! WebSocket: it handshakes, answers both ping forms with a watchdog, handles the
//! private `#` events and reconnects with backoff. The task ends when the socket is
//! closed or every handle is dropped.

mod task;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::timeout;

use super::backoff::Backoff;
use super::connector::{Connector, Endpoint, TcpConnector};
use super::error::ClientError;
use crate::options::{nonzero, positive, InvalidOption};
use crate::protocol::close;
use crate::protocol::{encode, ErrorObject};

/// Socket settings; defaults are the reference clients' (SC§11).
#[derive(Clone)]
#[non_exhaustive]
pub struct SocketOptions {
    /// How long an invoke waits for its response. Default 10 s.
    pub ack_timeout: Duration,
    /// From starting a connection to the WebSocket being open. Default 20 s.
    pub connect_timeout: Duration,
    /// Reconnect after a connection is lost. Default on.
    pub auto_reconnect: bool,
    /// Delays between reconnect attempts.
    pub backoff: Backoff,
    /// Emits held while not connected; beyond it the oldest are dropped (and counted).
    /// Default 1000.
    pub queue_limit: usize,
    /// Largest inbound message in bytes. Default 100 MiB; at most 1 GiB
    /// ([`MAX_PAYLOAD_LIMIT`](crate::options::MAX_PAYLOAD_LIMIT)).
    pub max_payload: usize,
    /// Opens the byte stream to the relay (plain TCP by default). For `wss://` URLs
    /// the socket runs TLS over it with [`tls`](Self::tls).
    pub connector: Arc<dyn Connector>,
    /// TLS for `wss://` relays and their `https://` report API: the platform's roots
    /// plus extra CA certificates, or the explicit opt-in to accept any certificate.
    pub tls: crate::tls::ClientTls,
    /// The token sent in the `#handshake` (`authToken`), for a relay started with an
    /// auth key (`remotedev token` prints one). Default `None`. The server may replace
    /// it (`#setAuthToken`) or remove it (`#removeAuthToken`, e.g. when it is invalid).
    pub auth_token: Option<String>,
}

impl SocketOptions {
    /// Checks every field and their combinations; [`Socket::create`] calls it.
    ///
    /// # Errors
    /// [`InvalidOption`] naming the first bad field: a zero `ack_timeout`,
    /// `connect_timeout`, `queue_limit` or `max_payload`, a `max_payload` above 1 GiB,
    /// a bad `backoff`, an empty
    /// `auth_token`, or a `tls.ca_certs` entry that cannot be read or holds no
    /// certificate (`ca_certs`, naming the file).
    pub fn validate(&self) -> Result<(), InvalidOption> {
        positive("ack_timeout", self.ack_timeout)?;
        positive("connect_timeout", self.connect_timeout)?;
        nonzero("queue_limit", self.queue_limit)?;
        crate::options::max_payload(self.max_payload)?;
        if self
            .auth_token
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(InvalidOption::new(
                "auth_token",
                "must not be empty (leave it unset for no token)",
            ));
        }

        self.backoff.validate()?;
        self.tls.validate()
    }

    /// The connector for `url`: [`connector`](Self::connector), with TLS from
    /// [`tls`](Self::tls) on top for `wss://`.
    pub(crate) fn connector_for(
        &self,
        url: &str,
        endpoint: &Endpoint,
    ) -> Result<Arc<dyn Connector>, ClientError> {
        let connector = self.tls.connector_for(endpoint, self.connector.clone())?;
        connector
            .supports(endpoint)
            .map_err(|reason| ClientError::InvalidUrl {
                url: url.to_owned(),
                reason,
            })?;
        Ok(connector)
    }
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            ack_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(20),
            auto_reconnect: true,
            backoff: Backoff::default(),
            queue_limit: 1000,
            max_payload: 100 * 1024 * 1024,
            connector: Arc::new(TcpConnector),
            tls: crate::tls::ClientTls::default(),
            auth_token: None,
        }
    }
}

impl std::fmt::Debug for SocketOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketOptions")
            .field("ack_timeout", &self.ack_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("auto_reconnect", &self.auto_reconnect)
            .field("backoff", &self.backoff)
            .field("queue_limit", &self.queue_limit)
            .field("tls", &self.tls)
            .field("auth_token", &self.auth_token.as_ref().map(|_| ".."))
            .finish_non_exhaustive()
    }
}

/// Where the connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Opening the transport or handshaking (also between reconnect attempts' start
    /// and their outcome).
    Connecting,
    /// Handshake done. `generation` counts connections, so a reconnect is visible even
    /// to an observer that missed the disconnect.
    Open {
        /// The socket id the server gave this connection.
        id: String,
        /// 1 for the first connection, +1 for each reconnect.
        generation: u64,
    },
    /// Lost; a reconnect may follow.
    Disconnected {
        /// The close code (SC§10; 1006 when the transport failed).
        code: u16,
        /// The close reason, or the transport error's text.
        reason: String,
    },
    /// Closed for good.
    Closed,
}

impl ConnectionState {
    /// The state's name as the bindings show it: `connecting`, `open`,
    /// `disconnected` or `closed`.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Open { .. } => "open",
            ConnectionState::Disconnected { .. } => "disconnected",
            ConnectionState::Closed => "closed",
        }
    }
}

/// What happened on the socket, as SocketCluster's socket listener events.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    /// `connecting`: an attempt started.
    Connecting,
    /// `connect`: the handshake succeeded.
    Connected {
        /// The socket id.
        id: String,
    },
    /// `disconnect` / `close`: the connection ended.
    Disconnected {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// `error`: something failed (the text says what and where).
    Error(String),
    /// `subscribe`: the server acknowledged a channel.
    Subscribed {
        /// The channel.
        channel: String,
    },
    /// `subscribeFail`: the server refused a channel.
    SubscribeFailed {
        /// The channel.
        channel: String,
        /// The server's error.
        error: String,
    },
    /// `kickOut`: the server removed the socket from a channel.
    KickedOut {
        /// The channel.
        channel: String,
        /// The server's reason.
        message: String,
    },
    /// `authenticate`: the server set an auth token (`#setAuthToken`).
    AuthTokenSet,
    /// `deauthenticate`: the server removed the auth token.
    AuthTokenRemoved,
}

/// Data of one message received on a channel or as an event (raw JSON, `null` if absent).
pub type Data = Box<RawValue>;

/// Messages published on one channel, in order.
pub struct Subscription {
    channel: String,
    rx: mpsc::UnboundedReceiver<Data>,
}

impl Subscription {
    /// The channel's name.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The next message; `None` once the channel was unsubscribed or the socket closed.
    pub async fn next(&mut self) -> Option<Data> {
        self.rx.recv().await
    }

    /// The next message if one is waiting.
    pub fn try_next(&mut self) -> Option<Data> {
        self.rx.try_recv().ok()
    }
}

/// Data of events with one name sent by the server ([`Socket::receiver`]).
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Data>,
}

impl EventStream {
    /// The next event's data; `None` once the socket is closed.
    pub async fn next(&mut self) -> Option<Data> {
        self.rx.recv().await
    }

    /// The next event's data if one is waiting.
    pub fn try_next(&mut self) -> Option<Data> {
        self.rx.try_recv().ok()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChannelState {
    Pending,
    Subscribed,
}

struct Channel {
    state: ChannelState,
    senders: Vec<mpsc::UnboundedSender<Data>>,
}

type Reply = Result<Data, ClientError>;

/// What the handles and the connection task share.
struct Shared {
    state: watch::Sender<ConnectionState>,
    events: broadcast::Sender<SocketEvent>,
    channels: Mutex<HashMap<String, Channel>>,
    receivers: Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Data>>>>,
    calls: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    cid: AtomicU64,
    dropped: AtomicU64,
    auth_token: Mutex<Option<String>>,
    /// Why the latest connection attempt or connection failed; cleared by a handshake.
    last_error: Mutex<Option<ClientError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn next_cid(&self) -> u64 {
        self.cid.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn event(&self, e: SocketEvent) {
        let _ = self.events.send(e);
    }

    fn set_state(&self, s: ConnectionState) {
        self.state.send_replace(s);
    }

    fn fail(&self, error: ClientError) {
        self.event(SocketEvent::Error(error.to_string()));
        *lock(&self.last_error) = Some(error);
    }
}

enum Cmd {
    Send(String),
    Subscribe(String),
    Unsubscribe(String),
    Close(u16, String),
}

/// A SocketCluster client socket. Clones share the connection.
#[derive(Clone)]
pub struct Socket {
    shared: Arc<Shared>,
    cmds: mpsc::UnboundedSender<Cmd>,
    options: Arc<SocketOptions>,
    url: Arc<str>,
}

impl Socket {
    /// Creates a socket for `url` (e.g. `ws://127.0.0.1:8000/socketcluster/`) that
    /// starts connecting in the background, and returns at once (SocketCluster v20's
    /// `create`). Wait for it with [`Socket::connect`]. Must be called inside a tokio
    /// runtime.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] for a URL that is not `ws://` / `wss://` or that the
    /// connector cannot reach, [`ClientError::InvalidOption`] for bad options.
    pub fn create(url: &str, options: SocketOptions) -> Result<Socket, ClientError> {
        Self::create_with_listener(url, options).map(|(socket, _)| socket)
    }

    /// [`Socket::create`], with a listener subscribed before the connection task
    /// starts, so it sees every event from the first `Connecting` on.
    pub(crate) fn create_with_listener(
        url: &str,
        mut options: SocketOptions,
    ) -> Result<(Socket, broadcast::Receiver<SocketEvent>), ClientError> {
        options.validate()?;
        let endpoint = Endpoint::parse(url)?;
        options.connector = options.connector_for(url, &endpoint)?;
        let (cmds, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: watch::channel(ConnectionState::Connecting).0,
            events: broadcast::channel(256).0,
            channels: Mutex::new(HashMap::new()),
            receivers: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            cid: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            auth_token: Mutex::new(options.auth_token.clone()),
            last_error: Mutex::new(None),
        });
        let options = Arc::new(options);
        let listener = shared.events.subscribe();
        task::spawn(task::Task {
            shared: shared.clone(),
            cmds: rx,
            options: options.clone(),
            url: url.to_owned(),
            endpoint,
            queue: VecDeque::new(),
            generation: 0,
        });
        let socket = Socket {
            shared,
            cmds,
            options,
            url: url.into(),
        };
        Ok((socket, listener))
    }

    /// The URL the socket connects to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket id of the current connection.
    pub fn id(&self) -> Option<String> {
        match &*self.shared.state.borrow() {
            ConnectionState::Open { id, .. } => Some(id.clone()),
            _ => None,
        }
    }

    /// `f` of the connection's id while it is open, without copying the id.
    pub(crate) fn with_id<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        match &*self.shared.state.borrow() {
            ConnectionState::Open { id, .. } => Some(f(id)),
            _ => None,
        }
    }

    /// Where the connection is now.
    pub fn state(&self) -> ConnectionState {
        self.shared.state.borrow().clone()
    }

    /// Whether the socket is closed for good.
    pub fn is_closed(&self) -> bool {
        *self.shared.state.borrow() == ConnectionState::Closed
    }

    /// Why the latest connection attempt or connection failed (the endpoint and the
    /// operating system's, TLS or handshake error), kept while the socket retries in
    /// the background; `None` once a handshake succeeds.
    pub fn last_error(&self) -> Option<ClientError> {
        lock(&self.shared.last_error).clone()
    }

    /// Every state change, latest value first.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// The socket's own events as they happen (SocketCluster v20's `listener`; a slow
    /// observer may miss some: `Lagged`).
    pub fn listener(&self) -> broadcast::Receiver<SocketEvent> {
        self.shared.events.subscribe()
    }

    /// Emits dropped because the queue for a disconnected socket was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until the socket is open (connected and handshaken) and returns its id;
    /// at once if it is open already.
    ///
    /// # Errors
    /// When `within` passes first: the latest connection failure if there was one
    /// ([`ClientError::Connect`], naming the URL and the cause, e.g. "Connection
    /// refused"), else [`ClientError::Timeout`]. [`ClientError::Closed`] (or the error
    /// that closed it for good) once the socket is closed.
    pub async fn connect(&self, within: Duration) -> Result<String, ClientError> {
        let mut rx = self.watch_state();
        let wait =
            rx.wait_for(|s| matches!(s, ConnectionState::Open { .. } | ConnectionState::Closed));
        let result = match timeout(within, wait).await {
            Err(_) => Err(self
                .last_error()
                .unwrap_or(ClientError::Timeout(within.as_millis() as u64))),
            Ok(Err(_)) => Err(ClientError::Closed),
            Ok(Ok(state)) => match &*state {
                ConnectionState::Open { id, .. } => Ok(id.clone()),
                _ => Err(self.last_error().unwrap_or(ClientError::Closed)),
            },
        };
        result
    }

    fn command(&self, cmd: Cmd) -> Result<(), ClientError> {
        // The task marks the socket closed a moment before it drops its receiver.
        if *self.shared.state.borrow() == ConnectionState::Closed {
            return Err(ClientError::Closed);
        }
        self.cmds.send(cmd).map_err(|_| ClientError::Closed)
    }

    /// Transmits an event (no answer). `data` is JSON text; `None` sends no data key.
    /// Queued while not connected (up to `queue_limit`, then the oldest is dropped).
    ///
    /// # Errors
    /// [`ClientError::InvalidArgument`] for an empty event name,
    /// [`ClientError::InvalidJson`] for data that is not JSON, [`ClientError::Closed`].
    pub fn transmit(&self, event: &str, data: Option<&str>) -> Result<(), ClientError> {
        check_event(event)?;
        let data = data.map(checked_json).transpose()?;
        self.command(Cmd::Send(encode::transmit(event, data)))
    }

    /// Transmits a whole frame the library built itself (see
    /// [`encode::transmit_with`]), valid by construction, so not scanned again.
    pub(crate) fn transmit_frame(&self, frame: String) -> Result<(), ClientError> {
        self.command(Cmd::Send(frame))
    }

    /// Invokes an event and waits for the answer's data (`null` when it had none).
    ///
    /// # Errors
    /// As [`Socket::transmit`], plus [`ClientError::Remote`] (the server's error
    /// object), [`ClientError::Timeout`] after `ack_timeout`,
    /// [`ClientError::Disconnected`] when the connection ends first.
    pub async fn invoke(&self, event: &str, data: Option<&str>) -> Result<Data, ClientError> {
        check_event(event)?;
        let data = data.map(checked_json).transpose()?;
        let cid = self.shared.next_cid();
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.calls).insert(cid, tx);
        if let Err(e) = self.command(Cmd::Send(encode::invoke(event, data, cid))) {
            lock(&self.shared.calls).remove(&cid);
            return Err(e);
        }
        let wait = self.options.ack_timeout;
        match timeout(wait, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => {
                lock(&self.shared.calls).remove(&cid);
                Err(ClientError::Timeout(wait.as_millis() as u64))
            }
        }
    }

    /// Subscribes to a channel; the subscription is kept across reconnects. Messages
    /// published while the subscription is pending are delivered too (as the reference
    /// clients do).
    ///
    /// # Errors
    /// [`ClientError::InvalidArgument`] for an empty name, [`ClientError::Closed`].
    pub fn subscribe(&self, channel: &str) -> Result<Subscription, ClientError> {
        if channel.is_empty() {
            return Err(ClientError::InvalidArgument("empty channel name".into()));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let fresh = {
            let mut channels = lock(&self.shared.channels);
            let entry = channels
                .entry(channel.to_owned())
                .or_insert_with(|| Channel {
                    state: ChannelState::Pending,
                    senders: Vec::new(),
                });
            entry.senders.push(tx);
            entry.senders.len() == 1 && entry.state == ChannelState::Pending
        };
        if fresh {
            self.command(Cmd::Subscribe(channel.to_owned()))?;
        }
        Ok(Subscription {
            channel: channel.to_owned(),
            rx,
        })
    }

    /// Whether the server acknowledged the subscription on the current connection.
    pub fn is_subscribed(&self, channel: &str) -> bool {
        lock(&self.shared.channels)
            .get(channel)
            .is_some_and(|c| c.state == ChannelState::Subscribed)
    }

    /// Waits until the server acknowledged the subscription to `channel` on the
    /// current connection.
    ///
    /// # Errors
    /// [`ClientError::Remote`] when the server refuses, [`ClientError::Timeout`],
    /// [`ClientError::Closed`].
    pub async fn wait_subscribed(
        &self,
        channel: &str,
        within: Duration,
    ) -> Result<(), ClientError> {
        let mut events = self.listener();
        let mut states = self.watch_state();
        let wait = async {
            loop {
                if self.is_subscribed(channel) {
                    return Ok(());
                }
                if let Some(e @ ClientError::Auth { .. }) = self.last_error() {
                    return Err(e);
                }
                // A socket closed meanwhile sends no event about the channel.
                let event = tokio::select! {
                    event = events.recv() => event,
                    _ = states.wait_for(|s| *s == ConnectionState::Closed) => {
                        return Err(ClientError::Closed);
                    }
                };
                match event {
                    Ok(SocketEvent::SubscribeFailed { channel: c, error }) if c == channel => {
                        if let Some(e @ ClientError::Auth { .. }) = self.last_error() {
                            return Err(e);
                        }
                        return Err(ClientError::Remote(ErrorObject {
                            message: error,
                            name: None,
                        }));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Err(ClientError::Closed),
                }
            }
        };
        timeout(within, wait)
            .await
            .unwrap_or(Err(ClientError::Timeout(within.as_millis() as u64)))
    }

    /// Ends a subscription: its streams end and the server is told.
    ///
    /// # Errors
    /// [`ClientError::Closed`].
    pub fn unsubscribe(&self, channel: &str) -> Result<(), ClientError> {
        if lock(&self.shared.channels).remove(channel).is_some() {
            self.command(Cmd::Unsubscribe(channel.to_owned()))?;
        }
        Ok(())
    }

    /// Data of every event named `event` that the server sends (SocketCluster v20's
    /// `receiver`).
    pub fn receiver(&self, event: &str) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.shared.receivers)
            .entry(event.to_owned())
            .or_default()
            .push(tx);
        EventStream { rx }
    }

    /// Asks the connection task to close with 1000 and returns at once (no reconnect).
    pub fn request_close(&self) {
        let _ = self.command(Cmd::Close(close::NORMAL, String::new()));
    }

    /// Closes with 1000 (no reconnect) and waits for the connection task to finish.
    pub async fn close(&self) {
        self.disconnect(close::NORMAL, "").await
    }

    /// Closes with a code and reason; no reconnect follows.
    pub async fn disconnect(&self, code: u16, reason: &str) {
        let mut rx = self.watch_state();
        if self.command(Cmd::Close(code, reason.to_owned())).is_ok() {
            let _ = timeout(
                Duration::from_secs(5),
                rx.wait_for(|s| *s == ConnectionState::Closed),
            )
            .await;
        }
    }
}

fn check_event(event: &str) -> Result<(), ClientError> {
    if event.is_empty() {
        return Err(ClientError::InvalidArgument("empty event name".into()));
    }
    Ok(())
}

fn checked_json(data: &str) -> Result<&str, ClientError> {
    // As `app::valid_json`: the scanner first, serde_json for the error.
    if !crate::protocol::scan::is_valid_value(data) {
        serde_json::from_str::<&RawValue>(data).map_err(ClientError::json)?;
    }
    Ok(data)
}
