//! The RemoteDev app client (relay spec §9.1): logs in as `master` after every
//! (re)connect, streams `INIT` / `ACTION` / `STATE` to monitors, keeps the history it
//! replays on `START`, and hands monitor commands to the host exactly once whichever
//! path the relay delivers them by.
//!
//! Exactly once on every relay: before logging in, the app subscribes to its own
//! `sc-<id>` channel, where every relay that delivers targeted messages on a channel
//! delivers them (ours, `@redux-devtools/cli`). `remotedev-server@0.3.1` additionally
//! sends targeted messages as `respond` *events*; those are ignored while the own
//! channel is subscribed, and used when it is not. Broadcasts come as `#publish` on
//! `respond` everywhere.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::error::ClientError;
use super::history::History;
use super::socket::{ConnectionState, Socket, SocketOptions, Subscription};
use crate::options::{nonzero, InvalidOption};
use crate::protocol::encode;
use crate::protocol::message::{lift_action, AppLog, Command, CommandMessage};

/// App client settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppOptions {
    /// `ws://host:port/socketcluster/`.
    pub url: String,
    /// Name shown in the monitor's instance list.
    pub name: String,
    /// Identifies this store across reconnects (the connection id changes, this does
    /// not). Default: random.
    pub instance_id: String,
    /// Actions kept for replay on `START`; older ones fold into the replayed `INIT`.
    /// Default 50.
    pub max_age: usize,
    /// Messages kept while disconnected, delivered in order after reconnect; beyond it
    /// the oldest are dropped and counted. Default 1000.
    pub queue_limit: usize,
    /// The socket's settings.
    pub socket: SocketOptions,
}

impl AppOptions {
    /// Options for the relay at `url` (`ws://host:port/socketcluster/`), with defaults.
    pub fn new(url: impl Into<String>) -> AppOptions {
        let socket = SocketOptions::default();
        AppOptions {
            url: url.into(),
            name: String::new(),
            instance_id: random_instance_id(),
            max_age: 50,
            queue_limit: 1000,
            socket,
        }
    }

    /// Options for the relay at `ws://host:port/socketcluster/`.
    pub fn host_port(host: &str, port: u16) -> AppOptions {
        AppOptions::new(relay_url(host, port))
    }

    /// Checks every field; [`AppClient::start`] calls it.
    ///
    /// # Errors
    /// [`InvalidOption`] for a zero `max_age` or `queue_limit`, or bad socket options.
    pub fn validate(&self) -> Result<(), InvalidOption> {
        nonzero("max_age", self.max_age)?;
        nonzero("queue_limit", self.queue_limit)?;
        self.socket.validate()
    }
}

/// `ws://host:port/socketcluster/`, with an IPv6 host in brackets.
pub fn relay_url(host: &str, port: u16) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("ws://{host}:{port}/socketcluster/")
}

fn random_instance_id() -> String {
    let n: u64 = rand::random();
    let mut s = String::new();
    let mut v = n;
    while v > 0 && s.len() < 11 {
        let d = (v % 36) as u8;
        s.push(char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 }));
        v /= 36;
    }
    if s.is_empty() {
        s.push('0');
    }
    s
}

fn valid_json(text: &str) -> Result<(), ClientError> {
    // The one-pass scanner settles the common case; serde_json gives the error (and
    // takes the rare document the scanner leaves to it, such as deep nesting).
    if crate::protocol::scan::is_valid_value(text) {
        return Ok(());
    }
    serde_json::from_str::<&RawValue>(text)
        .map(|_| ())
        .map_err(ClientError::json)
}

struct State {
    history: History,
    /// Monitored: messages stream; off after STOP/DISCONNECTED until the next START.
    streaming: bool,
    /// Logged in and subscribed on the current connection.
    ready: bool,
    /// Messages waiting for `ready` (sent as `log-noid`: the relay adds the id).
    queue: VecDeque<AppLog>,
    /// Actions since the last INIT the monitor saw, for `nextActionId`.
    actions_since_init: u64,
}

struct Inner {
    socket: Socket,
    options: AppOptions,
    state: Mutex<State>,
    dropped: AtomicU64,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    /// Sends now if logged in, else keeps it for the next connection.
    fn post(&self, state: &mut State, message: AppLog) {
        if !self.try_send(state, &message) {
            self.enqueue(state, message);
        }
    }

    /// Sends now if logged in; false when the message must wait.
    fn try_send(&self, state: &State, message: &AppLog) -> bool {
        if !state.ready {
            return false;
        }
        // Built while the id is borrowed, sent after (the send looks at the state too).
        let Some(frame) = self
            .socket
            .with_id(|id| self.frame("log", message, Some(id)))
        else {
            return false;
        };
        self.socket.transmit_frame(frame).is_ok()
    }

    /// Keeps a message for the next connection (the oldest goes when the queue is full).
    fn enqueue(&self, state: &mut State, message: AppLog) {
        if state.queue.len() >= self.options.queue_limit.max(1) {
            state.queue.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        state.queue.push_back(message);
    }

    /// The `event` frame carrying `message`, its state escaped straight into the frame.
    fn frame(&self, event: &str, message: &AppLog, id: Option<&str>) -> String {
        let (instance_id, name) = (&self.options.instance_id, &self.options.name);
        encode::transmit_with(event, message.json_len_hint(), |out| {
            message.write_json(out, id, instance_id, name)
        })
    }

    /// Sends a message that was made before the connection's id was known as
    /// `log-noid`: the relay adds the id of the connection that delivers it.
    fn post_noid(&self, state: &mut State, message: AppLog) {
        // The frame is built only when it can go out now.
        if state.ready
            && self
                .socket
                .transmit_frame(self.frame("log-noid", &message, None))
                .is_ok()
        {
            return;
        }
        state.queue.push_back(message);
    }

    fn replay(&self, state: &mut State) {
        let messages = state.history.replay();
        state.actions_since_init = messages.len().saturating_sub(1) as u64;
        for m in messages {
            self.post(state, m);
        }
    }
}

/// A RemoteDev app connection (async API). Commands from monitors arrive through
/// [`AppClient::recv`].
pub struct AppClient {
    inner: Arc<Inner>,
    commands: tokio::sync::Mutex<mpsc::UnboundedReceiver<CommandMessage>>,
}

impl AppClient {
    /// Creates the app client; it connects in the background at once and logs in
    /// after every (re)connect. Wait for it with [`AppClient::connect`]. Must be called
    /// inside a tokio runtime.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] (see [`AppOptions::validate`]),
    /// [`ClientError::InvalidUrl`].
    pub fn start(options: AppOptions) -> Result<AppClient, ClientError> {
        options.validate()?;
        let socket = Socket::create(&options.url, options.socket.clone())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            socket,
            state: Mutex::new(State {
                history: History::new(options.max_age),
                streaming: true,
                ready: false,
                queue: VecDeque::new(),
                actions_since_init: 0,
            }),
            options,
            dropped: AtomicU64::new(0),
        });
        // The background task owns the sender, so `recv` ends once it stops.
        tokio::spawn(run(inner.clone(), tx));
        Ok(AppClient {
            inner,
            commands: tokio::sync::Mutex::new(rx),
        })
    }

    /// The underlying SocketCluster socket.
    pub fn socket(&self) -> &Socket {
        &self.inner.socket
    }

    /// The instance id monitors know this store by.
    pub fn instance_id(&self) -> &str {
        &self.inner.options.instance_id
    }

    /// Uploads the lifted state (JSON text) to the relay's report store with `POST /`,
    /// as `@redux-devtools/remote` does with `sendOn` (relay spec §6.2):
    /// `{"type":"STATE","id":<instance id>,"name":<name>,"payload":"<lifted JSON>"}`.
    /// Monitors subscribed to `report` are told; returns the new report's id. Needs
    /// no WebSocket connection; waits up to the socket's ack timeout.
    ///
    /// # Errors
    /// [`ClientError::InvalidJson`] when `lifted_state` is not JSON; otherwise as
    /// [`AppClient::upload_report_body`].
    pub async fn upload_report(&self, lifted_state: &str) -> Result<String, ClientError> {
        valid_json(lifted_state)?;
        let o = &self.inner.options;
        let body = serde_json::json!({
            "type": "STATE",
            "id": o.instance_id,
            "name": o.name,
            "payload": lifted_state,
        });
        self.upload_report_body(&body.to_string()).await
    }

    /// Uploads a report given as a whole `POST /` body (a JSON object with at least
    /// `type` — `STATE` or `ACTIONS` — and `payload`; optional `title`, `description`,
    /// `action`, `preloadedState`, `screenshot`, `version`, `userAgent`, `user`,
    /// `instanceId`, `meta`, `exception {message, stack}`, `appId`). Returns the id; a
    /// refusal of the relay is `ClientError::Remote` with its message.
    ///
    /// # Errors
    /// [`ClientError::InvalidJson`]; [`ClientError::Connect`] when the relay cannot be
    /// reached; [`ClientError::Timeout`] after the ack timeout; [`ClientError::Remote`]
    /// with the relay's message when it refuses the report (e.g. an unsupported `type`).
    pub async fn upload_report_body(&self, body: &str) -> Result<String, ClientError> {
        valid_json(body)?;
        let o = &self.inner.options;
        let answer = super::reports::request(&o.url, &o.socket, body.to_owned()).await?;
        answer
            .get("id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ClientError::Remote(crate::protocol::ErrorObject::new(
                    "ReportError",
                    format!("unexpected answer {answer}"),
                ))
            })
    }

    /// Waits until connected and logged in (at once if it is); returns the socket id.
    ///
    /// # Errors
    /// As [`Socket::connect`]: the latest connection failure (naming the URL and the
    /// cause) or [`ClientError::Timeout`] when `within` passes, [`ClientError::Closed`];
    /// [`ClientError::Auth`] as soon as the relay refuses the login (no or bad
    /// `auth_token`).
    pub async fn connect(&self, within: Duration) -> Result<String, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let id = self
                .inner
                .socket
                .connect(deadline - tokio::time::Instant::now())
                .await?;
            if lock(&self.inner.state).ready {
                return Ok(id);
            }
            // A refused login is not retried until the next connection: say so now.
            if let Some(e @ ClientError::Auth { .. }) = self.inner.socket.last_error() {
                return Err(e);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(within.as_millis() as u64));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Messages made after `close` would only fill the queue of a socket that never
    /// sends again: refuse them, as the monitor client and the socket do.
    fn check_open(&self) -> Result<(), ClientError> {
        if self.inner.socket.is_closed() {
            Err(ClientError::Closed)
        } else {
            Ok(())
        }
    }

    /// Whether messages currently go to the monitors (false after STOP until START).
    pub fn is_streaming(&self) -> bool {
        lock(&self.inner.state).streaming
    }

    /// Messages dropped because the disconnected queue was full.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed) + self.inner.socket.dropped()
    }

    /// Starts a new log with `state` (JSON) as the initial state.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the client is closed; [`ClientError::InvalidJson`]
    /// when `state` is not JSON text.
    pub fn init(&self, state: &str) -> Result<(), ClientError> {
        valid_json(state)?;
        self.check_open()?;
        let mut s = lock(&self.inner.state);
        s.history.reset(state.to_owned());
        s.actions_since_init = 0;
        if s.streaming {
            self.inner.post(
                &mut s,
                AppLog::Init {
                    state: state.to_owned(),
                },
            );
        }
        Ok(())
    }

    /// Records an action (JSON, e.g. `{"type":"INCREMENT"}`) and the state after it.
    /// The action is lifted as `{"type":"PERFORM_ACTION","action":…,"timestamp":…}`.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the client is closed; [`ClientError::InvalidJson`]
    /// when `action` or `state` is not JSON text.
    pub fn send(&self, action: &str, state: &str) -> Result<(), ClientError> {
        valid_json(action)?;
        valid_json(state)?;
        self.check_open()?;
        let mut s = lock(&self.inner.state);
        let next_action_id = s.actions_since_init + 2;
        let message = AppLog::Action {
            action: lift_action(action),
            state: state.to_owned(),
            next_action_id,
        };
        if s.streaming {
            s.actions_since_init += 1;
            if !self.inner.try_send(&s, &message) {
                self.inner.enqueue(&mut s, message.clone());
            }
        }
        // The sent message's strings become the history entry: no copy per send.
        if let AppLog::Action { action, state, .. } = message {
            s.history.push(action, state);
        }
        Ok(())
    }

    /// Sends a whole lifted state (JSON, redux-devtools-instrument shape) as `STATE`.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the client is closed; [`ClientError::InvalidJson`]
    /// when `lifted` is not JSON text.
    pub fn send_state(&self, lifted: &str) -> Result<(), ClientError> {
        valid_json(lifted)?;
        self.check_open()?;
        let mut s = lock(&self.inner.state);
        if s.streaming {
            self.inner.post(
                &mut s,
                AppLog::State {
                    lifted: lifted.to_owned(),
                },
            );
        }
        Ok(())
    }

    /// The next monitor command; `None` once the client is closed.
    pub async fn recv(&self) -> Option<Command> {
        self.recv_message().await.map(|m| m.command)
    }

    /// A command if one is waiting.
    pub fn try_recv(&self) -> Option<Command> {
        self.try_recv_message().map(|m| m.command)
    }

    /// The next monitor command with its `instanceId` and JSON text.
    pub async fn recv_message(&self) -> Option<CommandMessage> {
        self.commands.lock().await.recv().await
    }

    /// A command message if one is waiting.
    pub fn try_recv_message(&self) -> Option<CommandMessage> {
        self.commands.try_lock().ok()?.try_recv().ok()
    }

    /// Disconnects for good.
    pub async fn close(&self) {
        self.inner.socket.close().await;
    }
}

impl Drop for AppClient {
    /// The background task holds the socket too, so dropping the client closes it.
    fn drop(&mut self) {
        self.inner.socket.request_close();
    }
}

/// Per connection: subscribe the own `sc-<id>` channel, log in, flush what waited,
/// announce; then route commands until the connection changes. `respond` itself is
/// subscribed once; the socket renews it after every reconnect.
async fn run(inner: Arc<Inner>, commands: mpsc::UnboundedSender<CommandMessage>) {
    let socket = inner.socket.clone();
    let mut states = socket.watch_state();
    let mut respond_events = socket.receiver("respond");
    let mut broadcasts = socket.subscribe("respond").ok();
    let mut own: Option<Subscription> = None;
    loop {
        let state = states.borrow_and_update().clone();
        match state {
            ConnectionState::Closed => break,
            ConnectionState::Open { id, .. } => {
                let channel = format!("sc-{id}");
                if let Some(old) = own.take_if(|s| s.channel() != channel) {
                    let _ = socket.unsubscribe(old.channel());
                }
                if own.is_none() {
                    own = socket.subscribe(&channel).ok();
                }
                // Before login, so a relay that also sends targeted events never gets
                // the chance to deliver one we would not recognise as a duplicate.
                if let Err(e) = socket
                    .wait_subscribed(&channel, inner.options.socket.ack_timeout)
                    .await
                {
                    tracing::debug!("own channel not subscribed ({e}); using respond events");
                }
                if login(&inner).await {
                    let mut s = lock(&inner.state);
                    s.ready = true;
                    let queued: Vec<_> = s.queue.drain(..).collect();
                    for m in queued {
                        inner.post_noid(&mut s, m);
                    }
                    inner.post(&mut s, AppLog::Start);
                }
            }
            _ => lock(&inner.state).ready = false,
        }
        loop {
            tokio::select! {
                changed = states.changed() => {
                    if changed.is_err() {
                        lock(&inner.state).ready = false;
                        return;
                    }
                    break;
                }
                Some(data) = next(&mut broadcasts) => handle(&inner, &commands, data.get()),
                Some(data) = next(&mut own) => handle(&inner, &commands, data.get()),
                Some(data) = respond_events.next() => {
                    let own_active = own.as_ref().is_some_and(|s| socket.is_subscribed(s.channel()));
                    if !own_active {
                        handle(&inner, &commands, data.get());
                    }
                }
            }
        }
    }
    lock(&inner.state).ready = false;
}

pub(crate) async fn next(sub: &mut Option<Subscription>) -> Option<super::socket::Data> {
    match sub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// `login "master"`; true when the relay answered (any relay answers with `respond`).
async fn login(inner: &Inner) -> bool {
    match inner.socket.invoke("login", Some(r#""master""#)).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!("login failed: {e}");
            false
        }
    }
}

fn handle(inner: &Inner, commands: &mpsc::UnboundedSender<CommandMessage>, json: &str) {
    let message = CommandMessage::parse(json);
    {
        let mut s = lock(&inner.state);
        match &message.command {
            Command::Start => {
                s.streaming = true;
                inner.replay(&mut s);
            }
            Command::Stop | Command::Disconnected { .. } => s.streaming = false,
            Command::Sync { source, .. } if source.is_some() && *source == inner.socket.id() => {
                return
            }
            _ => {}
        }
    }
    let _ = commands.send(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_base36() {
        let id = random_instance_id();
        assert!(!id.is_empty() && id.len() <= 11);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    }
}
