//! One WebSocket connection's SocketCluster state machine (SC§4–§8): strict handshake,
//! dual-stack keep-alive with lock-in, the private `#` events, and the write side that
//! drains the socket's outbox. Relay events are handed to the router.
//!
//! One task per socket does everything, so an idle socket costs one task, one timer
//! and its WebSocket buffers.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{sleep_until, Instant, Sleep};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::access::{self, Access};
use super::auth::{self, Verified};
use super::hub::{Hub, Peer, SHARE_MIN};
use super::router::{self, Reply};
use crate::liveness::Liveness;
use crate::protocol::error::{names, ErrorObject};
use crate::protocol::{close, encode, frame, Frame, Inbound, PingMode, TextEvent};

/// How long we wait for a peer to take our close frame and answer it.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Why a session ends.
enum End {
    /// The connection is gone (closed by the peer or broken): nothing left to send.
    Gone,
    /// We close with this code and reason.
    Close(u16, String),
    /// The socket's outbound queue went over its budget.
    Overflow,
}

impl End {
    fn close(code: u16, reason: impl Into<String>) -> End {
        End::Close(code, reason.into())
    }
}

struct Session<S> {
    ws: WebSocketStream<S>,
    hub: Arc<Hub>,
    peer: Arc<Peer>,
    mode: PingMode,
    open: bool,
    next_ping: Instant,
    pong_deadline: Instant,
    handshake_deadline: Option<Instant>,
    grace_deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    timer_at: Instant,
    /// Origin policy's sibling: the auth key and read-only mode (issue 12).
    access: Arc<Access>,
    /// A valid `?token=` of the upgrade URL.
    url_auth: Option<Verified>,
    /// The socket's valid token, when it is authenticated (only with an auth key).
    auth: Option<Verified>,
}

/// Serves one upgraded WebSocket until it closes.
pub(crate) async fn run<S>(
    ws: WebSocketStream<S>,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    access: Arc<Access>,
    url_auth: Option<Verified>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Liveness,
{
    let peer = hub.register();
    let now = Instant::now();
    let opts = &hub.options;
    let next_ping = now + opts.ping_interval;
    let handshake_deadline = now + opts.handshake_timeout;
    let first = next_ping.min(handshake_deadline);
    let mut session = Session {
        mode: opts.protocol_version.initial_mode(),
        open: false,
        next_ping,
        pong_deadline: now + opts.ping_timeout,
        handshake_deadline: Some(handshake_deadline),
        grace_deadline: None,
        timer: Box::pin(sleep_until(first)),
        timer_at: first,
        ws,
        hub: hub.clone(),
        peer: peer.clone(),
        access,
        url_auth,
        auth: None,
    };
    tracing::debug!(socket = %peer.id, "connected");
    // Frames taken from the outbox and not yet written (see `serve`); what is left of
    // them when the session ends goes to `finish`.
    let mut pending = VecDeque::new();
    let end = session.serve(&shutdown, &mut pending).await;
    session.finish(end, pending).await;
    router::on_disconnect(&hub, &peer);
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Liveness,
{
    async fn serve(
        &mut self,
        shutdown: &CancellationToken,
        pending: &mut VecDeque<Message>,
    ) -> End {
        // The wake-up futures live across iterations: registering a waiter per message
        // would cost two lock round trips on the hot path.
        let peer = self.peer.clone();
        let mut cancelled = pin!(shutdown.cancelled());
        let mut ready = pin!(peer.outbox.ready());
        // `pending`: frames taken from the outbox and not yet written, with their byte
        // count to release once flushed. Reading goes on while they are written, so a
        // large message to a slow reader never stops us hearing that reader (SC§8.3
        // step 3).
        let mut pending_bytes = 0;
        let mut writing = false;
        loop {
            tokio::select! {
                biased;
                _ = &mut cancelled => return shutting_down(),
                // Also while writing: a slow reader's queue overflows during a write.
                _ = &mut ready => {
                    ready.set(peer.outbox.ready());
                    if writing {
                        if peer.outbox.overflowed() {
                            return End::Overflow;
                        }
                    } else {
                        let Some(taken) = take_pending(&peer, pending) else {
                            return End::Overflow;
                        };
                        (pending_bytes, writing) = taken;
                    }
                }
                io = poll_fn(|cx| drive(&mut self.ws, pending, writing, cx)) => match io {
                    Io::Written(Ok(())) => {
                        peer.outbox.release(pending_bytes);
                        // The emptied queue's buffer would otherwise stay with an idle
                        // socket until its next frame (the next batch brings its own).
                        *pending = VecDeque::new();
                        // Frames queued during the write: their wake-up came meanwhile.
                        let Some(taken) = take_pending(&peer, pending) else {
                            return End::Overflow;
                        };
                        (pending_bytes, writing) = taken;
                    }
                    Io::Written(Err(_)) => return End::Gone,
                    Io::Read(message) => {
                        if let Err(end) = self.on_message(message) {
                            return end;
                        }
                    }
                },
                _ = &mut self.timer => {
                    if let Err(end) = self.on_timer() {
                        return end;
                    }
                }
            }
        }
    }

    fn on_message(&mut self, message: Option<Result<Message, WsError>>) -> Result<(), End> {
        match message {
            None => Err(End::Gone),
            Some(Ok(Message::Text(text))) => {
                // A large message's bytes are kept so that a publish of its data can
                // share them instead of copying (hub::SHARE_MIN).
                let source = (text.len() >= SHARE_MIN).then(|| Bytes::from(text.clone()));
                self.on_text(text.as_str(), source.as_ref())
            }
            // Binary frames are read as UTF-8 text (SC§1); anything else is raw.
            Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                Ok(text) => self.on_text(text, None),
                Err(_) => self.on_text("\u{fffd}", None),
            },
            // Pings are answered by tungstenite; a close is echoed and then ends the stream.
            Some(Ok(_)) => Ok(()),
            Some(Err(WsError::Capacity(e))) => {
                tracing::info!(socket = %self.peer.id, "closing: {e}");
                Err(End::close(
                    close::MESSAGE_TOO_BIG,
                    "Message was too big to process",
                ))
            }
            Some(Err(WsError::Utf8(_))) => Err(End::close(
                close::INVALID_PAYLOAD,
                "Text frame is not valid UTF-8",
            )),
            Some(Err(WsError::Protocol(e))) => {
                tracing::debug!(socket = %self.peer.id, "WebSocket protocol error: {e}");
                Err(End::close(
                    close::PROTOCOL_ERROR,
                    "WebSocket protocol error",
                ))
            }
            Some(Err(_)) => Err(End::Gone),
        }
    }

    /// `source`: the bytes `text` lies in, for a large message (see `hub::SHARE_MIN`).
    fn on_text(&mut self, text: &str, source: Option<&Bytes>) -> Result<(), End> {
        // Any inbound frame proves liveness (SC§8.3 step 3): its bytes moved the
        // transport's last progress, which the timer reads (no clock read per frame).
        // The common frame (one event, e.g. an app's `log`) takes the one-pass scanner;
        // everything else, and anything it leaves alone, the exact decoder.
        if self.open {
            if let Some(e) = frame::scan_event(text) {
                return self.on_event(e, source);
            }
        }
        match frame::classify(text) {
            Inbound::PongV1 => self.mode = self.mode.after_pong(true),
            Inbound::Empty => self.mode = self.mode.after_pong(false),
            Inbound::PingV1 => {}
            Inbound::Raw(_) if !self.open => return Err(before_handshake()),
            Inbound::Raw(_) => tracing::debug!(socket = %self.peer.id, "ignored a raw message"),
            Inbound::Frame(f) => self.on_frame(f, source)?,
            Inbound::Batch(frames) => {
                for f in frames {
                    self.on_frame(f, source)?;
                }
            }
        }
        Ok(())
    }

    fn on_frame(&mut self, frame: Frame<'_>, source: Option<&Bytes>) -> Result<(), End> {
        match frame {
            Frame::Event(e) if !self.open => {
                if e.name != "#handshake" {
                    return Err(before_handshake());
                }
                if e.cid.is_none() {
                    return Err(End::close(
                        close::HANDSHAKE_REJECTED,
                        "#handshake must be sent with a cid",
                    ));
                }
                self.open = true;
                self.handshake_deadline = None;
                self.handshake(&e.into());
                Ok(())
            }
            Frame::Event(e) => self.on_event(e.into(), source),
            _ if !self.open => Err(before_handshake()),
            // We never invoke clients, so responses answer nothing of ours.
            Frame::Response(_) | Frame::Raw(_) => Ok(()),
        }
    }

    fn reply(&self, cid: Option<&str>, frame: impl FnOnce(&str) -> String) {
        if let Some(cid) = cid {
            self.peer.send(frame(cid));
        }
    }

    fn handshake(&mut self, e: &TextEvent<'_>) {
        let token = e.data.and_then(|d| {
            serde_json::from_str::<HandshakeData<'_>>(d)
                .ok()
                .and_then(|h| h.auth_token)
                .filter(|t| t.get() != "null" && t.get() != "\"\"")
        });
        // Without a key we never issue tokens, so any token is foreign and invalid
        // (SC§5). With one, a valid token (or `?token=`) authenticates the socket.
        let (auth_error, remove) = match (&self.access.auth, token) {
            (None, None) => (None, false),
            (None, Some(_)) => (Some(invalid_token()), true),
            (Some(_), None) => {
                self.auth = self.url_auth;
                (None, false)
            }
            (Some(key), Some(t)) => {
                let checked =
                    frame::json_str(t).map_or_else(|| Err(invalid_token()), |t| key.verify(&t));
                match checked {
                    Ok(v) => {
                        self.auth = Some(v);
                        (None, false)
                    }
                    Err(_) if self.url_auth.is_some() => {
                        self.auth = self.url_auth;
                        (None, false)
                    }
                    Err(err) => {
                        self.auth = None;
                        let bad = err.name.as_deref() != Some("AuthTokenNotBeforeError");
                        (Some(err), bad)
                    }
                }
            }
        };
        if auth_error.is_some() {
            self.hub.metrics.auth_failures.increment(1);
        }
        let status = encode::handshake_status_authenticated(
            &self.peer.id,
            self.hub.options.ping_timeout.as_millis() as u64,
            auth_error.as_ref(),
            self.auth.is_some(),
        );
        self.reply(e.cid, |rid| encode::ack_data(rid, &status));
        if remove {
            self.peer
                .send(encode::transmit("#removeAuthToken", Some("null")));
        }
    }

    /// `#authenticate`: with a key, a valid token authenticates the socket; without
    /// one (or with a bad token) the v14 error form and `#removeAuthToken`.
    fn authenticate(&mut self, e: &TextEvent<'_>) {
        let checked = match (&self.access.auth, e.data.and_then(frame::json_text_str)) {
            (Some(key), Some(t)) => key.verify(&t),
            _ => Err(invalid_token()),
        };
        match checked {
            Ok(v) => {
                self.auth = Some(v);
                self.reply(e.cid, |rid| {
                    encode::ack_data(rid, r#"{"isAuthenticated":true,"authError":null}"#)
                });
            }
            Err(err) => {
                self.auth = None;
                self.hub.metrics.auth_failures.increment(1);
                let data = format!(
                    r#"{{"isAuthenticated":false,"authError":{}}}"#,
                    err.to_json()
                );
                self.reply(e.cid, |rid| encode::ack_error(rid, &err, Some(&data)));
                self.peer
                    .send(encode::transmit("#removeAuthToken", Some("null")));
            }
        }
    }

    /// Why an event (`#subscribe` or a relay event) is refused: no valid token on a
    /// relay with a key (an expired one is removed, as SC does on every event), or a
    /// command the read-only mode forbids.
    fn refusal(&mut self, name: &str, data: Option<&str>) -> Option<ErrorObject> {
        if self.access.auth.is_some() {
            if self.auth.is_some_and(|v| v.expired()) {
                self.auth = None;
                self.peer
                    .send(encode::transmit("#removeAuthToken", Some("null")));
            }
            if self.auth.is_none() {
                tracing::debug!(socket = %self.peer.id, "{name} refused: not authenticated");
                self.hub.metrics.auth_failures.increment(1);
                return Some(auth::required(name));
            }
        }
        if self.access.read_only {
            return access::read_only_refusal(name, data);
        }
        None
    }

    fn on_event(&mut self, e: TextEvent<'_>, source: Option<&Bytes>) -> Result<(), End> {
        match &*e.name {
            "#handshake" => self.handshake(&e),
            "#subscribe" => match self.refusal("#subscribe", None) {
                Some(err) => self.reply(e.cid, |rid| encode::ack_error(rid, &err, None)),
                None => self.subscribe(&e),
            },
            "#unsubscribe" => self.unsubscribe(&e),
            "#publish" => self.reply(e.cid, |rid| {
                let err =
                    ErrorObject::new(names::INVALID_ACTION, "Client publish feature is disabled");
                encode::ack_error(rid, &err, None)
            }),
            "#disconnect" => return Err(self.disconnect_requested(&e)),
            "#authenticate" => self.authenticate(&e),
            "#removeAuthToken" => self.auth = None,
            name if name.starts_with('#') => self.reply(e.cid, |rid| {
                let err = ErrorObject::new(
                    names::INVALID_ACTION,
                    format!("Unsupported private event {name}"),
                );
                encode::ack_error(rid, &err, None)
            }),
            name => {
                if let Some(err) = self.refusal(name, e.data) {
                    self.reply(e.cid, |rid| encode::ack_error(rid, &err, None));
                    return Ok(());
                }
                let handled = router::on_event(&self.hub, &self.peer, name, e.data, e.cid, source);
                if handled.logged_in {
                    self.grace_deadline = Some(Instant::now() + self.hub.options.subscribe_grace);
                    self.rearm();
                }
                match handled.reply {
                    Reply::Ack => self.reply(e.cid, encode::ack),
                    Reply::Data(d) => self.reply(e.cid, |rid| encode::ack_data(rid, &d)),
                    Reply::Error(err) => {
                        self.reply(e.cid, |rid| encode::ack_error(rid, &err, None))
                    }
                    // Answered by the report store when it has the row.
                    Reply::Deferred => {}
                }
            }
        }
        Ok(())
    }

    fn subscribe(&mut self, e: &TextEvent<'_>) {
        let Some(channel) = subscribe_channel(e.data) else {
            self.reply(e.cid, |rid| {
                let err = ErrorObject::new(
                    names::INVALID_ACTION,
                    "Subscribe channel name was malformatted",
                );
                encode::ack_error(rid, &err, None)
            });
            return;
        };
        let mut route = self.peer.route();
        if !route.is_subscribed(&channel) && route.channels.len() >= self.hub.options.channel_limit
        {
            drop(route);
            self.reply(e.cid, |rid| {
                let err = ErrorObject::new(
                    names::INVALID_ACTION,
                    format!(
                        "Socket {} tried to exceed the channel subscription limit of {}",
                        self.peer.id, self.hub.options.channel_limit
                    ),
                );
                encode::ack_error(rid, &err, None)
            });
            return;
        }
        self.hub.subscribe(&self.peer, &mut route, &channel);
        self.reply(e.cid, encode::ack);
        router::after_subscribe(&self.hub, &self.peer, &mut route, &channel);
    }

    fn unsubscribe(&mut self, e: &TextEvent<'_>) {
        let channel = e.data.and_then(frame::json_text_str);
        let mut route = self.peer.route();
        let removed = match &channel {
            Some(c) => self.hub.unsubscribe(&self.peer, &mut route, c),
            None => false,
        };
        // Leaving the watched channel restarts the wait for a subscription (relay §4).
        let left_watch = removed && route.role.map(|r| r.watch()) == channel.as_deref();
        if left_watch {
            route.grace_expired = false;
        }
        drop(route);
        if left_watch {
            self.grace_deadline = Some(Instant::now() + self.hub.options.subscribe_grace);
            self.rearm();
        }
        if removed {
            self.reply(e.cid, encode::ack);
        } else {
            self.reply(e.cid, |rid| {
                let name = channel.as_deref().unwrap_or("(malformatted)");
                let err = ErrorObject::new(
                    names::BROKER,
                    format!(
                        "Failed to unsubscribe socket from the {name} channel - not subscribed"
                    ),
                );
                encode::ack_error(rid, &err, None)
            });
        }
    }

    /// The peer's `#disconnect {code, data}`: close with its code when that is valid.
    fn disconnect_requested(&self, e: &TextEvent<'_>) -> End {
        #[derive(serde::Deserialize)]
        struct Wire {
            code: Option<u16>,
        }
        let code = e
            .data
            .and_then(|d| serde_json::from_str::<Wire>(d).ok())
            .and_then(|w| w.code)
            .filter(|c| close::is_valid_disconnect_code(*c))
            .unwrap_or(close::NORMAL);
        End::Close(code, String::new())
    }

    fn on_timer(&mut self) -> Result<(), End> {
        let now = Instant::now();
        if self.handshake_deadline.is_some_and(|d| d <= now) {
            return Err(End::close(
                close::HANDSHAKE_TIMEOUT,
                close::description(close::HANDSHAKE_TIMEOUT),
            ));
        }
        // Bytes arriving (also mid-frame) and writes the peer makes room for prove it
        // alive as much as a whole frame does (SC§8.3 step 3).
        let by_bytes = self.ws.get_ref().last_progress() + self.hub.options.ping_timeout;
        self.pong_deadline = self.pong_deadline.max(by_bytes);
        if self.pong_deadline <= now {
            return Err(End::close(
                close::PONG_TIMEOUT,
                close::description(close::PONG_TIMEOUT),
            ));
        }
        if self.next_ping <= now {
            for ping in self.mode.pings() {
                self.peer.send(Utf8Bytes::from_static(ping));
            }
            self.next_ping = now + self.hub.options.ping_interval;
        }
        if self.grace_deadline.is_some_and(|d| d <= now) {
            self.grace_deadline = None;
            router::on_grace_expired(&self.peer);
        }
        self.timer_at = self.next_deadline();
        self.timer.as_mut().reset(self.timer_at);
        Ok(())
    }

    fn next_deadline(&self) -> Instant {
        [self.handshake_deadline, self.grace_deadline]
            .into_iter()
            .flatten()
            .fold(self.next_ping.min(self.pong_deadline), Instant::min)
    }

    /// Moves the timer earlier when a new deadline needs it. The pong deadline only
    /// moves later, so it is checked lazily when the timer fires instead of re-arming
    /// the timer on every message.
    fn rearm(&mut self) {
        let at = self.next_deadline();
        if at < self.timer_at {
            self.timer_at = at;
            self.timer.as_mut().reset(at);
        }
    }

    /// Sends our close (after `#disconnect` for sockets that may speak v1) and waits
    /// briefly for the peer's answer. `unwritten`: the frames `serve` had not written.
    async fn finish(&mut self, end: End, unwritten: VecDeque<Message>) {
        let (code, reason) = match end {
            End::Gone => return,
            End::Close(code, reason) => {
                if code == close::PONG_TIMEOUT {
                    self.hub.metrics.ping_timeout_closes.increment(1);
                }
                (code, reason)
            }
            End::Overflow => {
                self.hub.metrics.slow_reader_closes.increment(1);
                let limit = self.peer.outbox.limit();
                tracing::warn!(socket = %self.peer.id, limit, "closing a socket that reads too slowly");
                (
                    close::SLOW_CONSUMER,
                    format!("Outbound queue limit of {limit} bytes exceeded"),
                )
            }
        };
        tracing::debug!(socket = %self.peer.id, code, %reason, "closing");
        let ws = &mut self.ws;
        let wants_frame = self.mode.wants_disconnect_frame();
        let close = async move {
            // A fragmented message already begun must end before anything else is sent
            // (RFC 6455 §5.4): its remaining frames go first, then the close.
            for frame in unwritten.into_iter().take_while(is_continuation) {
                ws.feed(frame).await?;
            }
            if wants_frame {
                let reason = (!reason.is_empty()).then_some(reason.as_str());
                ws.feed(Message::text(encode::disconnect(code, reason)))
                    .await?;
            }
            ws.send(Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            })))
            .await?;
            while let Some(Ok(_)) = ws.next().await {}
            Ok::<(), WsError>(())
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, close).await;
    }
}

/// Whether `m` continues a fragmented message (see `outbox::Outgoing::Fragmented`).
fn is_continuation(m: &Message) -> bool {
    matches!(m, Message::Frame(f) if f.header().opcode == OpCode::Data(Data::Continue))
}

/// Moves the outbox's frames into `pending`: (their bytes, whether there are any), or
/// `None` when the outbox overflowed.
fn take_pending(peer: &Peer, pending: &mut VecDeque<Message>) -> Option<(usize, bool)> {
    let (frames, bytes) = peer.outbox.take()?;
    let any = !frames.is_empty();
    for frame in frames {
        frame.into_messages(pending);
    }
    Some((bytes, any))
}

/// What the socket's I/O produced: a message read, or the pending frames written.
enum Io {
    Read(Option<Result<Message, WsError>>),
    Written(Result<(), WsError>),
}

/// Writes the pending frames while also reading: tungstenite keeps a blocked write's
/// bytes and goes on reading (and answering WebSocket pings) meanwhile.
fn drive<S>(
    ws: &mut WebSocketStream<S>,
    pending: &mut VecDeque<Message>,
    writing: bool,
    cx: &mut Context<'_>,
) -> Poll<Io>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if writing {
        if let Poll::Ready(written) = write_pending(ws, pending, cx) {
            return Poll::Ready(Io::Written(written));
        }
    }
    ws.poll_next_unpin(cx).map(Io::Read)
}

fn write_pending<S>(
    ws: &mut WebSocketStream<S>,
    pending: &mut VecDeque<Message>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), WsError>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while !pending.is_empty() {
        ready!(ws.poll_ready_unpin(cx))?;
        if let Some(frame) = pending.pop_front() {
            ws.start_send_unpin(frame)?;
        }
    }
    ws.poll_flush_unpin(cx)
}

#[derive(serde::Deserialize)]
struct HandshakeData<'a> {
    #[serde(borrow, rename = "authToken")]
    auth_token: Option<&'a RawValue>,
}

fn invalid_token() -> ErrorObject {
    ErrorObject::new(names::AUTH_TOKEN_INVALID, "invalid token")
}

fn shutting_down() -> End {
    End::close(close::GOING_AWAY, "Server is shutting down")
}

fn before_handshake() -> End {
    End::close(
        close::MESSAGE_BEFORE_HANDSHAKE,
        close::description(close::MESSAGE_BEFORE_HANDSHAKE),
    )
}

/// `#subscribe` data: `{"channel":C,...}` (v14 and v20) or a bare string (v14).
fn subscribe_channel(data: Option<&str>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Wire<'a> {
        #[serde(borrow)]
        channel: &'a RawValue,
    }
    let data = data?;
    let raw = match frame::json_text_str(data) {
        Some(name) => return Some(name.into_owned()),
        None => serde_json::from_str::<Wire<'_>>(data).ok()?.channel,
    };
    frame::json_str(raw).map(|c| c.into_owned())
}
