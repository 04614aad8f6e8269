//! The SocketCluster client socket (SC§3–§11, client side): connect, handshake, answer
//! both ping forms with a watchdog, invoke with ack timeout, transmit, channels with
//! per-channel streams, the private `#` events, and reconnect with the reference backoff.
//!
//! A [`Socket`] is a cheap handle to one connection task that owns the WebSocket; the
//! task ends when the socket is closed or every handle is dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::backoff::Backoff;
use super::connector::{Connector, Endpoint, TcpConnector, Transport};
use super::error::ClientError;
use crate::protocol::close::{self, Reconnect};
use crate::protocol::ping::PONG_V1;
use crate::protocol::{classify, encode, ErrorObject, Event, Frame, Inbound, Response};

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
    pub backoff: Backoff,
    /// Emits held while not connected; beyond it the oldest are dropped (and counted).
    /// Default 1000.
    pub queue_limit: usize,
    /// Largest inbound message. Default 100 MiB.
    pub max_payload: usize,
    pub connector: Arc<dyn Connector>,
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
            .finish_non_exhaustive()
    }
}

/// Where the connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    /// Handshake done. `generation` counts connections, so a reconnect is visible even
    /// to an observer that missed the disconnect.
    Open {
        id: String,
        generation: u64,
    },
    /// Lost; a reconnect may follow.
    Disconnected {
        code: u16,
        reason: String,
    },
    /// Closed for good.
    Closed,
}

/// What happened on the socket, for observers.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    Connecting,
    Connected { id: String },
    Disconnected { code: u16, reason: String },
    Error(String),
    Subscribed { channel: String },
    SubscribeFailed { channel: String, error: String },
    KickedOut { channel: String, message: String },
    AuthTokenSet,
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
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The next message; `None` once the channel was unsubscribed or the socket closed.
    pub async fn next(&mut self) -> Option<Data> {
        self.rx.recv().await
    }

    pub fn try_next(&mut self) -> Option<Data> {
        self.rx.try_recv().ok()
    }
}

/// Data of events with one name sent by the server (`socket.on(name)`).
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Data>,
}

impl EventStream {
    pub async fn next(&mut self) -> Option<Data> {
        self.rx.recv().await
    }

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

struct Shared {
    state: watch::Sender<ConnectionState>,
    events: broadcast::Sender<SocketEvent>,
    channels: Mutex<HashMap<String, Channel>>,
    listeners: Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Data>>>>,
    calls: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    cid: AtomicU64,
    dropped: AtomicU64,
    auth_token: Mutex<Option<String>>,
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
    /// Starts connecting to `url` (e.g. `ws://127.0.0.1:8000/socketcluster/`) in the
    /// background and returns at once. Must be called inside a tokio runtime.
    pub fn connect(url: &str, options: SocketOptions) -> Result<Socket, ClientError> {
        let endpoint = Endpoint::parse(url)?;
        options
            .connector
            .supports(&endpoint)
            .map_err(|reason| ClientError::InvalidUrl {
                url: url.to_owned(),
                reason,
            })?;
        let (cmds, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: watch::channel(ConnectionState::Connecting).0,
            events: broadcast::channel(256).0,
            channels: Mutex::new(HashMap::new()),
            listeners: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            cid: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            auth_token: Mutex::new(None),
        });
        let options = Arc::new(options);
        let task = Task {
            shared: shared.clone(),
            cmds: rx,
            options: options.clone(),
            url: url.to_owned(),
            endpoint,
            queue: VecDeque::new(),
            generation: 0,
        };
        tokio::spawn(task.run());
        Ok(Socket {
            shared,
            cmds,
            options,
            url: url.into(),
        })
    }

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

    pub fn state(&self) -> ConnectionState {
        self.shared.state.borrow().clone()
    }

    /// Every state change, latest value first.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// Connection events as they happen (a slow observer may miss some: `Lagged`).
    pub fn events(&self) -> broadcast::Receiver<SocketEvent> {
        self.shared.events.subscribe()
    }

    /// Emits dropped because the queue for a disconnected socket was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until the socket is open and returns its id.
    pub async fn wait_open(&self, within: Duration) -> Result<String, ClientError> {
        let mut rx = self.watch_state();
        let wait =
            rx.wait_for(|s| matches!(s, ConnectionState::Open { .. } | ConnectionState::Closed));
        let result = match timeout(within, wait).await {
            Err(_) => Err(ClientError::Timeout(within.as_millis() as u64)),
            Ok(Err(_)) => Err(ClientError::Closed),
            Ok(Ok(state)) => match &*state {
                ConnectionState::Open { id, .. } => Ok(id.clone()),
                _ => Err(ClientError::Closed),
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
    /// Queued while not connected.
    pub fn emit(&self, event: &str, data: Option<&str>) -> Result<(), ClientError> {
        check_event(event)?;
        let data = data.map(checked_json).transpose()?;
        self.command(Cmd::Send(encode::transmit(event, data)))
    }

    /// Invokes an event and waits for the answer's data (`null` when it had none).
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
    pub async fn wait_subscribed(
        &self,
        channel: &str,
        within: Duration,
    ) -> Result<(), ClientError> {
        let mut events = self.events();
        let wait = async {
            loop {
                if self.is_subscribed(channel) {
                    return Ok(());
                }
                match events.recv().await {
                    Ok(SocketEvent::SubscribeFailed { channel: c, error }) if c == channel => {
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
    pub fn unsubscribe(&self, channel: &str) -> Result<(), ClientError> {
        if lock(&self.shared.channels).remove(channel).is_some() {
            self.command(Cmd::Unsubscribe(channel.to_owned()))?;
        }
        Ok(())
    }

    /// Data of every event named `event` that the server sends.
    pub fn on(&self, event: &str) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.shared.listeners)
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
    serde_json::from_str::<&RawValue>(data).map_err(ClientError::json)?;
    Ok(data)
}

type Ws = WebSocketStream<Box<dyn Transport>>;

/// Why a connection ended.
struct Ended {
    code: u16,
    reason: String,
    /// Closed on request: no reconnect.
    by_user: bool,
}

impl Ended {
    fn lost(code: u16, reason: impl Into<String>) -> Ended {
        Ended {
            code,
            reason: reason.into(),
            by_user: false,
        }
    }
}

struct Task {
    shared: Arc<Shared>,
    cmds: mpsc::UnboundedReceiver<Cmd>,
    options: Arc<SocketOptions>,
    url: String,
    endpoint: Endpoint,
    /// Emits waiting for a connection.
    queue: VecDeque<String>,
    generation: u64,
}

/// Subscribe invokes of this connection: cid → channel.
type SubscribeCalls = HashMap<u64, String>;

impl Task {
    async fn run(mut self) {
        let mut attempt: u32 = 0;
        loop {
            self.shared.set_state(ConnectionState::Connecting);
            self.shared.event(SocketEvent::Connecting);
            let ended = match self.open().await {
                Ok((ws, ping_timeout)) => {
                    attempt = 0;
                    self.serve(ws, ping_timeout).await
                }
                Err(ended) => ended,
            };
            self.after_connection(&ended);
            if ended.by_user || !self.options.auto_reconnect {
                break;
            }
            let delay = match close::reconnect_policy(ended.code) {
                Reconnect::Never => break,
                Reconnect::Immediate if attempt == 0 => Duration::ZERO,
                _ => self.options.backoff.delay(attempt, rand::random::<f64>()),
            };
            attempt = attempt.saturating_add(1);
            if !self.wait(delay).await {
                break;
            }
        }
        self.shared.set_state(ConnectionState::Closed);
        // Ends every stream and fails waiting invokes.
        lock(&self.shared.channels).clear();
        lock(&self.shared.listeners).clear();
        lock(&self.shared.calls).clear();
    }

    /// Handles commands while disconnected. False when the socket should stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Cmd::Close(..)) => return false,
                    Some(cmd) => self.hold(cmd),
                },
            }
        }
    }

    /// Keeps what the user asked for while there is no connection.
    fn hold(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Send(text) => {
                if self.queue.len() >= self.options.queue_limit.max(1) {
                    self.queue.pop_front();
                    self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                self.queue.push_back(text);
            }
            // Subscriptions live in the channel table and are sent after the handshake.
            Cmd::Subscribe(_) | Cmd::Unsubscribe(_) | Cmd::Close(..) => {}
        }
    }

    fn after_connection(&mut self, ended: &Ended) {
        for channel in lock(&self.shared.channels).values_mut() {
            channel.state = ChannelState::Pending;
        }
        let calls: Vec<_> = lock(&self.shared.calls).drain().collect();
        for (_, tx) in calls {
            let _ = tx.send(Err(ClientError::Disconnected {
                code: ended.code,
                reason: ended.reason.clone(),
            }));
        }
        if !close::is_ignored(ended.code) && !ended.by_user {
            self.shared.event(SocketEvent::Error(format!(
                "socket closed with {}: {}",
                ended.code,
                if ended.reason.is_empty() {
                    close::description(ended.code)
                } else {
                    &ended.reason
                }
            )));
        }
        self.shared.set_state(ConnectionState::Disconnected {
            code: ended.code,
            reason: ended.reason.clone(),
        });
        self.shared.event(SocketEvent::Disconnected {
            code: ended.code,
            reason: ended.reason.clone(),
        });
    }

    /// Connects and handshakes; returns the server's ping timeout.
    async fn open(&mut self) -> Result<(Ws, Duration), Ended> {
        let options = self.options.clone();
        let (endpoint, url) = (self.endpoint.clone(), self.url.clone());
        let connect = async move {
            let transport = options.connector.connect(&endpoint).await?;
            let config = WebSocketConfig::default()
                .max_message_size(Some(options.max_payload))
                .max_frame_size(Some(options.max_payload));
            tokio_tungstenite::client_async_with_config(url.as_str(), transport, Some(config))
                .await
                .map(|(ws, _)| ws)
                .map_err(std::io::Error::other)
        };
        let deadline = Instant::now() + self.options.connect_timeout;
        let mut ws = tokio::select! {
            r = tokio::time::timeout_at(deadline, connect) => match r {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => {
                    self.shared.event(SocketEvent::Error(format!("cannot connect to {}: {e}", self.url)));
                    return Err(Ended::lost(close::ABNORMAL, e.to_string()));
                }
                Err(_) => return Err(Ended::lost(close::CONNECT_TIMEOUT, close::description(close::CONNECT_TIMEOUT))),
            },
            stop = self.until_closed() => return Err(stop),
        };
        let cid = self.shared.next_cid();
        let token = lock(&self.shared.auth_token).clone();
        let sent = ws
            .send(Message::text(encode::handshake_request(
                cid,
                token.as_deref(),
            )))
            .await;
        if sent.is_err() {
            return Err(Ended::lost(
                close::ABNORMAL,
                "connection lost during the handshake",
            ));
        }
        let deadline = Instant::now() + self.options.ack_timeout;
        let mut subs = SubscribeCalls::new();
        loop {
            let message = tokio::select! {
                m = tokio::time::timeout_at(deadline, ws.next()) => m,
                stop = self.until_closed() => {
                    let _ = ws.close(None).await;
                    return Err(stop);
                }
            };
            let text = match message {
                Err(_) => {
                    let _ = close_ws(&mut ws, close::HANDSHAKE_FAILED, "Handshake timed out").await;
                    return Err(Ended::lost(
                        close::HANDSHAKE_FAILED,
                        close::description(close::HANDSHAKE_FAILED),
                    ));
                }
                Ok(Some(Ok(Message::Text(t)))) => t,
                Ok(Some(Ok(Message::Close(f)))) => return Err(closed_by_peer(f)),
                Ok(Some(Ok(_))) => continue,
                Ok(None | Some(Err(_))) => {
                    return Err(Ended::lost(
                        close::ABNORMAL,
                        "connection lost during the handshake",
                    ))
                }
            };
            if let Inbound::Frame(Frame::Response(r)) = classify(&text) {
                if r.rid_u64() == Some(cid) {
                    return self.handshake_done(ws, &r).await;
                }
            }
            // Anything before the answer (e.g. #removeAuthToken, pings) is handled as usual.
            self.on_text(&mut ws, &text, &mut subs).await?;
        }
    }

    async fn handshake_done(
        &mut self,
        mut ws: Ws,
        r: &Response<'_>,
    ) -> Result<(Ws, Duration), Ended> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Status {
            id: String,
            ping_timeout: Option<u64>,
        }
        let status = r
            .data
            .filter(|_| r.error.is_none())
            .and_then(|d| serde_json::from_str::<Status>(d.get()).ok());
        let Some(status) = status else {
            let why = r
                .error
                .map(|e| ErrorObject::from_raw(e).to_string())
                .unwrap_or_else(|| "malformed handshake answer".into());
            self.shared
                .event(SocketEvent::Error(format!("handshake failed: {why}")));
            let _ = close_ws(&mut ws, close::HANDSHAKE_FAILED, &why).await;
            return Err(Ended::lost(close::HANDSHAKE_FAILED, why));
        };
        self.generation += 1;
        self.shared.set_state(ConnectionState::Open {
            id: status.id.clone(),
            generation: self.generation,
        });
        self.shared.event(SocketEvent::Connected { id: status.id });
        Ok((
            ws,
            Duration::from_millis(status.ping_timeout.unwrap_or(20_000)),
        ))
    }

    /// Resolves when the user closes the socket while we are connecting.
    async fn until_closed(&mut self) -> Ended {
        loop {
            match self.cmds.recv().await {
                None => {
                    return Ended {
                        code: close::NORMAL,
                        reason: String::new(),
                        by_user: true,
                    }
                }
                Some(Cmd::Close(code, reason)) => {
                    return Ended {
                        code,
                        reason,
                        by_user: true,
                    }
                }
                Some(cmd) => self.hold(cmd),
            }
        }
    }

    async fn serve(&mut self, mut ws: Ws, ping_timeout: Duration) -> Ended {
        let mut subs = SubscribeCalls::new();
        let channels: Vec<String> = lock(&self.shared.channels).keys().cloned().collect();
        for channel in channels {
            if let Err(e) = self.send_subscribe(&mut ws, &channel, &mut subs).await {
                return e;
            }
        }
        while let Some(text) = self.queue.pop_front() {
            if ws.send(Message::text(text)).await.is_err() {
                return Ended::lost(close::ABNORMAL, "connection lost");
            }
        }
        let mut watchdog = Instant::now() + ping_timeout;
        loop {
            tokio::select! {
                cmd = self.cmds.recv() => {
                    let result = match cmd {
                        None => Err(user_close(&mut ws, close::NORMAL, "").await),
                        Some(Cmd::Close(code, reason)) => Err(user_close(&mut ws, code, &reason).await),
                        Some(Cmd::Send(text)) => match ws.send(Message::text(text.clone())).await {
                            Ok(()) => Ok(()),
                            Err(_) => {
                                // Not written: it goes out first on the next connection.
                                self.queue.push_front(text);
                                Err(Ended::lost(close::ABNORMAL, close::description(close::ABNORMAL)))
                            }
                        },
                        Some(Cmd::Subscribe(channel)) => self.send_subscribe(&mut ws, &channel, &mut subs).await,
                        Some(Cmd::Unsubscribe(channel)) => send(&mut ws, encode::transmit("#unsubscribe", Some(&encode::json_str(&channel)))).await,
                    };
                    if let Err(ended) = result {
                        return ended;
                    }
                }
                message = ws.next() => {
                    let text = match message {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                            Ok(t) => t.into(),
                            Err(_) => continue,
                        },
                        Some(Ok(Message::Close(f))) => {
                            // tungstenite answers the close; drain until the stream ends
                            let ended = closed_by_peer(f);
                            let _ = timeout(Duration::from_secs(1), async { while let Some(Ok(_)) = ws.next().await {} }).await;
                            return ended;
                        }
                        Some(Ok(_)) => continue,
                        None | Some(Err(_)) => return Ended::lost(close::ABNORMAL, close::description(close::ABNORMAL)),
                    };
                    // Either ping form proves the server is there (SC§8.4); so does any frame.
                    watchdog = Instant::now() + ping_timeout;
                    if let Err(ended) = self.on_text(&mut ws, &text, &mut subs).await {
                        return ended;
                    }
                }
                _ = sleep_until(watchdog) => {
                    let _ = close_ws(&mut ws, close::PING_TIMEOUT, close::description(close::PING_TIMEOUT)).await;
                    return Ended::lost(close::PING_TIMEOUT, close::description(close::PING_TIMEOUT));
                }
            }
        }
    }

    async fn send_subscribe(
        &self,
        ws: &mut Ws,
        channel: &str,
        subs: &mut SubscribeCalls,
    ) -> Result<(), Ended> {
        let cid = self.shared.next_cid();
        subs.insert(cid, channel.to_owned());
        send(ws, encode::subscribe(channel, cid)).await
    }

    async fn on_text(
        &self,
        ws: &mut Ws,
        text: &str,
        subs: &mut SubscribeCalls,
    ) -> Result<(), Ended> {
        match classify(text) {
            Inbound::PingV1 => send(ws, PONG_V1.to_owned()).await,
            Inbound::Empty => send(ws, String::new()).await,
            Inbound::PongV1 | Inbound::Raw(_) => Ok(()),
            Inbound::Frame(f) => self.on_frame(ws, f, subs).await,
            Inbound::Batch(frames) => {
                for f in frames {
                    self.on_frame(ws, f, subs).await?;
                }
                Ok(())
            }
        }
    }

    async fn on_frame(
        &self,
        ws: &mut Ws,
        f: Frame<'_>,
        subs: &mut SubscribeCalls,
    ) -> Result<(), Ended> {
        match f {
            Frame::Response(r) => {
                self.on_response(&r, subs);
                Ok(())
            }
            Frame::Event(e) => self.on_event(ws, e).await,
            Frame::Raw(_) => Ok(()),
        }
    }

    fn on_response(&self, r: &Response<'_>, subs: &mut SubscribeCalls) {
        let Some(rid) = r.rid_u64() else { return };
        if let Some(channel) = subs.remove(&rid) {
            let mut channels = lock(&self.shared.channels);
            let Some(entry) = channels.get_mut(&channel) else {
                return;
            };
            match r.error {
                None => {
                    entry.state = ChannelState::Subscribed;
                    drop(channels);
                    self.shared.event(SocketEvent::Subscribed { channel });
                }
                Some(err) => {
                    drop(channels);
                    let error = ErrorObject::from_raw(err).to_string();
                    self.shared
                        .event(SocketEvent::SubscribeFailed { channel, error });
                }
            }
            return;
        }
        let Some(tx) = lock(&self.shared.calls).remove(&rid) else {
            return;
        };
        let reply = match r.error {
            Some(err) => Err(ClientError::Remote(ErrorObject::from_raw(err))),
            None => Ok(r.data.map(|d| d.to_owned()).unwrap_or_else(null)),
        };
        let _ = tx.send(reply);
    }

    async fn on_event(&self, ws: &mut Ws, e: Event<'_>) -> Result<(), Ended> {
        match &*e.name {
            "#publish" => {
                #[derive(serde::Deserialize)]
                struct Publish<'a> {
                    channel: Option<std::borrow::Cow<'a, str>>,
                    #[serde(borrow)]
                    data: Option<&'a RawValue>,
                }
                let Some(p) = e
                    .data
                    .and_then(|d| serde_json::from_str::<Publish<'_>>(d.get()).ok())
                else {
                    return Ok(());
                };
                let Some(channel) = p.channel else {
                    return Ok(());
                };
                let mut channels = lock(&self.shared.channels);
                if let Some(entry) = channels.get_mut(&*channel) {
                    let data = p.data.map(|d| d.to_owned()).unwrap_or_else(null);
                    entry.senders.retain(|tx| tx.send(data.clone()).is_ok());
                }
                Ok(())
            }
            "#kickOut" => {
                #[derive(serde::Deserialize)]
                struct Kick {
                    channel: Option<String>,
                    message: Option<String>,
                }
                if let Some(kick) = e
                    .data
                    .and_then(|d| serde_json::from_str::<Kick>(d.get()).ok())
                {
                    let channel = kick.channel.unwrap_or_default();
                    if let Some(entry) = lock(&self.shared.channels).get_mut(&channel) {
                        entry.state = ChannelState::Pending;
                    }
                    self.shared.event(SocketEvent::KickedOut {
                        channel,
                        message: kick.message.unwrap_or_default(),
                    });
                }
                Ok(())
            }
            "#setAuthToken" => {
                #[derive(serde::Deserialize)]
                struct Token {
                    token: String,
                }
                let token = e
                    .data
                    .and_then(|d| serde_json::from_str::<Token>(d.get()).ok());
                if let Some(cid) = e.cid {
                    let answer = match &token {
                        Some(_) => encode::ack(cid.get()),
                        None => encode::ack_error(
                            cid.get(),
                            &ErrorObject::new(
                                "InvalidMessageError",
                                "No token data provided by #setAuthToken event",
                            ),
                            None,
                        ),
                    };
                    send(ws, answer).await?;
                }
                if let Some(t) = token {
                    *lock(&self.shared.auth_token) = Some(t.token);
                    self.shared.event(SocketEvent::AuthTokenSet);
                }
                Ok(())
            }
            "#removeAuthToken" => {
                *lock(&self.shared.auth_token) = None;
                self.shared.event(SocketEvent::AuthTokenRemoved);
                Ok(())
            }
            "#disconnect" => {
                #[derive(serde::Deserialize)]
                struct Disconnect {
                    code: Option<u16>,
                    data: Option<serde_json::Value>,
                }
                let d = e
                    .data
                    .and_then(|d| serde_json::from_str::<Disconnect>(d.get()).ok());
                let code = d.as_ref().and_then(|d| d.code).unwrap_or(close::NORMAL);
                let reason = match d.and_then(|d| d.data) {
                    Some(serde_json::Value::String(s)) => s,
                    _ => String::new(),
                };
                let _ = close_ws(ws, code, &reason).await;
                Err(Ended::lost(code, reason))
            }
            name => {
                let data = e.data.map(|d| d.to_owned()).unwrap_or_else(null);
                if let Some(txs) = lock(&self.shared.listeners).get_mut(name) {
                    txs.retain(|tx| tx.send(data.clone()).is_ok());
                }
                Ok(())
            }
        }
    }
}

fn null() -> Data {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

async fn send(ws: &mut Ws, text: String) -> Result<(), Ended> {
    ws.send(Message::text(text))
        .await
        .map_err(|_| Ended::lost(close::ABNORMAL, close::description(close::ABNORMAL)))
}

async fn close_ws(
    ws: &mut Ws,
    code: u16,
    reason: &str,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    };
    timeout(Duration::from_secs(1), async {
        ws.close(Some(frame)).await?;
        while let Some(Ok(_)) = ws.next().await {}
        Ok(())
    })
    .await
    .unwrap_or(Ok(()))
}

async fn user_close(ws: &mut Ws, code: u16, reason: &str) -> Ended {
    let _ = close_ws(ws, code, reason).await;
    Ended {
        code,
        reason: reason.to_owned(),
        by_user: true,
    }
}

fn closed_by_peer(frame: Option<CloseFrame>) -> Ended {
    match frame {
        Some(f) => Ended::lost(u16::from(f.code), f.reason.to_string()),
        None => Ended::lost(close::NO_STATUS, close::description(close::NO_STATUS)),
    }
}
