//! The connection task behind a [`Socket`](super::Socket): one per socket, owning the
//! WebSocket. It connects (recording why an attempt failed, for `last_error`),
//! handshakes, replays subscriptions and the transmit queue, answers both ping forms
//! with a watchdog (4000), dispatches frames to invokes, channels and receivers, and
//! reconnects with backoff according to the close code (SC§10).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::{lock, ChannelState, Cmd, ConnectionState, Data, Shared, SocketEvent, SocketOptions};
use crate::client::connector::{Endpoint, Transport};
use crate::client::error::ClientError;
use crate::liveness::{Alive, Liveness};
use crate::protocol::close::{self, Reconnect};
use crate::protocol::ping::PONG_V1;
use crate::protocol::private_events::{
    Disconnect, HandshakeStatus, KickOut, Publish, SetAuthToken,
};
use crate::protocol::{classify, encode, ErrorObject, Event, Frame, Inbound, Response};

/// How many queued transmits one write takes at most, and how many bytes: enough to
/// amortise the flush, small enough that reading and pings are not held up.
const SEND_BATCH_FRAMES: usize = 256;
const SEND_BATCH_BYTES: usize = 256 * 1024;

type Ws = WebSocketStream<Alive<Box<dyn Transport>>>;

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

pub(super) struct Task {
    pub(super) shared: Arc<Shared>,
    pub(super) cmds: mpsc::UnboundedReceiver<Cmd>,
    pub(super) options: Arc<SocketOptions>,
    pub(super) url: String,
    pub(super) endpoint: Endpoint,
    /// Transmits waiting for a connection.
    pub(super) queue: VecDeque<String>,
    pub(super) generation: u64,
}

/// Runs the task on the current tokio runtime.
pub(super) fn spawn(task: Task) {
    tokio::spawn(task.run());
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
        lock(&self.shared.receivers).clear();
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
            let mut last = lock(&self.shared.last_error);
            // A failed attempt already said why; a lost connection says it here.
            if last.is_none() {
                let reason = if ended.reason.is_empty() {
                    close::description(ended.code).to_owned()
                } else {
                    ended.reason.clone()
                };
                let error = ClientError::Disconnected {
                    code: ended.code,
                    reason,
                };
                self.shared
                    .event(SocketEvent::Error(format!("{}: {error}", self.url)));
                *last = Some(error);
            }
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
            tokio_tungstenite::client_async_with_config(
                url.as_str(),
                Alive::new(transport),
                Some(config),
            )
            .await
            .map(|(ws, _)| ws)
            .map_err(super::super::error::io_error)
        };
        let deadline = Instant::now() + self.options.connect_timeout;
        let mut ws = tokio::select! {
            r = tokio::time::timeout_at(deadline, connect) => match r {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => {
                    let reason = e.to_string();
                    self.shared.fail(ClientError::connect(&self.url, e));
                    return Err(Ended::lost(close::ABNORMAL, reason));
                }
                Err(_) => {
                    let waited = self.options.connect_timeout;
                    self.shared.fail(ClientError::connect(
                        &self.url,
                        std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("no WebSocket connection within {} ms", waited.as_millis()),
                        ),
                    ));
                    return Err(Ended::lost(close::CONNECT_TIMEOUT, close::description(close::CONNECT_TIMEOUT)));
                }
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
        let status = r
            .data
            .filter(|_| r.error.is_none())
            .and_then(HandshakeStatus::parse);
        let Some(status) = status else {
            let why = r
                .error
                .map(|e| ErrorObject::from_raw(e).to_string())
                .unwrap_or_else(|| "malformed handshake answer".into());
            self.shared.fail(ClientError::Handshake {
                url: self.url.clone(),
                reason: why.clone(),
            });
            let _ = close_ws(&mut ws, close::HANDSHAKE_FAILED, &why).await;
            return Err(Ended::lost(close::HANDSHAKE_FAILED, why));
        };
        *lock(&self.shared.last_error) = None;
        if let Some(err) = &status.auth_error {
            // The socket is open but unauthenticated: say why once; a relay that
            // requires a token refuses login and subscribe with the same error.
            self.shared.fail(ClientError::Auth {
                url: self.url.clone(),
                reason: ErrorObject::from_raw(err).to_string(),
            });
        }
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
                    let Some(cmd) = cmd else {
                        return user_close(&mut ws, close::NORMAL, "").await;
                    };
                    let mut next = Some(cmd);
                    while let Some(cmd) = next.take() {
                        let result = match cmd {
                            Cmd::Close(code, reason) => Err(user_close(&mut ws, code, &reason).await),
                            Cmd::Send(text) => self.send_batch(&mut ws, text, &mut next).await,
                            Cmd::Subscribe(channel) => self.send_subscribe(&mut ws, &channel, &mut subs).await,
                            Cmd::Unsubscribe(channel) => send(&mut ws, encode::transmit("#unsubscribe", Some(&encode::json_str(&channel)))).await,
                        };
                        if let Err(ended) = result {
                            return ended;
                        }
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
                    // Bytes of a frame still arriving, or a large send the server is
                    // reading, prove the server alive as much as a ping does (SC§8.4).
                    let by_bytes = ws.get_ref().last_progress() + ping_timeout;
                    if by_bytes > Instant::now() {
                        watchdog = by_bytes;
                        continue;
                    }
                    let _ = close_ws(&mut ws, close::PING_TIMEOUT, close::description(close::PING_TIMEOUT)).await;
                    return Ended::lost(close::PING_TIMEOUT, close::description(close::PING_TIMEOUT));
                }
            }
        }
    }

    /// Writes `first` and the sends already queued behind it with one flush, as a raw
    /// sender writes a batch: a burst of transmits costs one write, not one per frame.
    /// A command other than a send ends the batch and is left in `next`, so commands
    /// keep their order.
    async fn send_batch(
        &mut self,
        ws: &mut Ws,
        first: String,
        next: &mut Option<Cmd>,
    ) -> Result<(), Ended> {
        let mut batch = vec![Utf8Bytes::from(first)];
        let mut bytes = batch[0].len();
        let mut written = ws.feed(Message::Text(batch[0].clone())).await;
        while written.is_ok() && batch.len() < SEND_BATCH_FRAMES && bytes < SEND_BATCH_BYTES {
            match self.cmds.try_recv() {
                Ok(Cmd::Send(text)) => {
                    let text = Utf8Bytes::from(text);
                    bytes += text.len();
                    written = ws.feed(Message::Text(text.clone())).await;
                    batch.push(text);
                }
                Ok(other) => {
                    *next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        if written.is_ok() {
            written = ws.flush().await;
        }
        if written.is_ok() {
            return Ok(());
        }
        // Not known to be written: they go out first, in order, on the next connection.
        for text in batch.into_iter().rev() {
            self.queue.push_front(text.as_str().to_owned());
        }
        Err(match next.take() {
            // The user's close still ends the client rather than a reconnect.
            Some(Cmd::Close(code, reason)) => Ended {
                code,
                reason,
                by_user: true,
            },
            _ => Ended::lost(close::ABNORMAL, close::description(close::ABNORMAL)),
        })
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
                    let err = ErrorObject::from_raw(err);
                    self.note_auth_refusal(&err);
                    let error = err.to_string();
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
            Some(err) => {
                let err = ErrorObject::from_raw(err);
                match self.note_auth_refusal(&err) {
                    Some(auth) => Err(auth),
                    None => Err(ClientError::Remote(err)),
                }
            }
            None => Ok(r.data.map(|d| d.to_owned()).unwrap_or_else(null)),
        };
        let _ = tx.send(reply);
    }

    /// An `AuthError` / `AuthToken*Error` refusal becomes [`ClientError::Auth`], kept
    /// as the socket's last error (and sent to listeners) so `connect` reports it.
    fn note_auth_refusal(&self, err: &ErrorObject) -> Option<ClientError> {
        if !err
            .name
            .as_deref()
            .is_some_and(crate::protocol::error::is_auth_error_name)
        {
            return None;
        }
        let auth = ClientError::Auth {
            url: self.url.clone(),
            reason: err.to_string(),
        };
        self.shared.fail(auth.clone());
        Some(auth)
    }

    async fn on_event(&self, ws: &mut Ws, e: Event<'_>) -> Result<(), Ended> {
        match &*e.name {
            "#publish" => {
                let Some(p) = e.data.and_then(Publish::parse) else {
                    return Ok(());
                };
                let mut channels = lock(&self.shared.channels);
                if let Some(entry) = channels.get_mut(&*p.channel) {
                    let data = p.data.map(|d| d.to_owned()).unwrap_or_else(null);
                    entry.senders.retain(|tx| tx.send(data.clone()).is_ok());
                }
                Ok(())
            }
            "#kickOut" => {
                if let Some(kick) = e.data.and_then(KickOut::parse) {
                    if let Some(entry) = lock(&self.shared.channels).get_mut(&kick.channel) {
                        entry.state = ChannelState::Pending;
                    }
                    self.shared.event(SocketEvent::KickedOut {
                        channel: kick.channel,
                        message: kick.message,
                    });
                }
                Ok(())
            }
            "#setAuthToken" => {
                let token = e.data.and_then(SetAuthToken::parse);
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
                let d = Disconnect::parse(e.data);
                let code = d.code.unwrap_or(close::NORMAL);
                let _ = close_ws(ws, code, &d.reason).await;
                Err(Ended::lost(code, d.reason))
            }
            name => {
                let data = e.data.map(|d| d.to_owned()).unwrap_or_else(null);
                if let Some(txs) = lock(&self.shared.receivers).get_mut(name) {
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
