//! `NativeSocket`: a generic SocketCluster client over the core's `BlockingSocket`
//! (`remotedev.Socket` wraps it with `socketclusterclient`'s method names), and
//! `NativeStream`, one channel's messages or one event's data pulled with `recv`.
//!
//! Callbacks: tasks on the shared runtime turn channel messages, events, acks and
//! connection changes into notes `(kind, key, data)`; the core's [`Pump`] hands them to
//! Python's dispatcher one at a time on one thread, until the socket is closed and every
//! note was delivered.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyString;

use remotedev::client::{
    BlockingEvents, BlockingSocket, BlockingSubscription, ClientError, ConnectionState, Pump, Recv,
    SocketEvent, SocketOptions,
};

use crate::convert::{lock, opt_json_text, plain_text, rt, secs, wait, wait_connected, Connection};
use crate::errors::{client_err, error_text};

/// What Python's dispatcher receives: `(kind, key, data)` with kind `connect` (key: the
/// id), `disconnect` (key: the close code), `error` (key: the message), `channel` /
/// `event` (key: the name, data: JSON), `ack` / `ackerror` (key: the token, data: the
/// answer's JSON or the error's text).
type Note = (&'static str, String, Option<String>);

/// The name of a socket's callback thread.
const DISPATCH_THREAD: &str = "remotedev-socket";

/// How long `close` lets the dispatcher deliver what is left.
const DRAIN_WITHIN: Duration = Duration::from_secs(2);

/// How long a `subscribeack` waits for the server's answer.
const SUBSCRIBE_ACK_WITHIN: Duration = Duration::from_secs(10);

/// Sends each item of a stream of JSON data as a note until the stream or the notes end.
macro_rules! forward {
    ($tx:expr, $kind:literal, $name:expr, $stream:expr) => {{
        let (tx, name, mut stream) = ($tx, $name, $stream);
        rt().spawn(async move {
            while let Some(d) = stream.next().await {
                if tx
                    .send(($kind, name.clone(), Some(d.get().to_owned())))
                    .is_err()
                {
                    return;
                }
            }
        });
    }};
}

#[pyclass(module = "remotedev._remotedev", frozen)]
pub(crate) struct NativeSocket {
    socket: Arc<BlockingSocket>,
    /// Where tasks send notes; dropped once the socket is closed, so the pump ends when
    /// the last task has sent its last note.
    notes: Arc<Mutex<Option<Sender<Note>>>>,
    /// The pump's end of the notes, until the pump starts.
    inbox: Mutex<Option<Receiver<Note>>>,
    /// The dispatcher and its end signal, once started.
    pump: Mutex<Option<(Pump, Receiver<()>)>>,
    watched_channels: Mutex<HashSet<String>>,
    watched_events: Mutex<HashSet<String>>,
    listening: AtomicBool,
}

impl NativeSocket {
    /// A sender for a new task, or `ClosedError` once the socket is closed.
    fn sender(&self) -> PyResult<Sender<Note>> {
        lock(&self.notes)
            .clone()
            .ok_or_else(|| client_err(ClientError::Closed))
    }
}

impl NativeSocket {
    /// Sends an `ack` note keyed by `token` with `data(answer)` once `answer` is ready,
    /// or an `ackerror` note with the error's text.
    fn ack_later<T>(
        &self,
        token: String,
        answer: impl Future<Output = Result<T, ClientError>> + Send + 'static,
        data: impl FnOnce(T) -> Option<String> + Send + 'static,
    ) -> PyResult<()> {
        let tx = self.sender()?;
        rt().spawn(async move {
            let note = match answer.await {
                Ok(answer) => ("ack", token, data(answer)),
                Err(e) => ("ackerror", token, Some(e.to_string())),
            };
            let _ = tx.send(note);
        });
        Ok(())
    }
}

impl Drop for NativeSocket {
    /// The pump's thread may be waiting for the GIL, which the dropping thread holds.
    fn drop(&mut self) {
        if let Some((pump, _)) = lock(&self.pump).take() {
            std::thread::spawn(move || pump.stop());
        }
    }
}

#[pymethods]
impl NativeSocket {
    #[new]
    fn new(py: Python<'_>, connection: Connection<'_>) -> PyResult<Self> {
        let o = connection.socket_options(SocketOptions::default())?;
        let url = connection.url()?;
        let socket = py
            .detach(|| BlockingSocket::create(&url, o))
            .map_err(client_err)?;
        let (tx, rx) = mpsc::channel();
        Ok(NativeSocket {
            socket: Arc::new(socket),
            notes: Arc::new(Mutex::new(Some(tx))),
            inbox: Mutex::new(Some(rx)),
            pump: Mutex::new(None),
            watched_channels: Mutex::default(),
            watched_events: Mutex::default(),
            listening: AtomicBool::new(false),
        })
    }

    #[getter]
    fn id(&self) -> Option<String> {
        self.socket.id()
    }

    /// `connecting`, `open`, `disconnected` or `closed`.
    #[getter]
    fn state(&self) -> &'static str {
        self.socket.state().name()
    }

    #[getter]
    fn closed(&self) -> bool {
        self.socket.is_closed()
    }

    /// Why the latest connection attempt failed, while retrying in the background.
    #[getter]
    fn last_error(&self) -> Option<String> {
        error_text(self.socket.last_error())
    }

    /// Waits until the socket is open; returns its id.
    fn connect(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let s = &*self.socket;
        wait_connected(py, timeout, |w| s.connect(w), || s.is_closed())
    }

    /// Transmits an event (`data`: JSON text; None sends no data).
    #[pyo3(signature = (event, data=None))]
    fn transmit(
        &self,
        event: Bound<'_, PyString>,
        data: Option<Bound<'_, PyString>>,
    ) -> PyResult<()> {
        let event = plain_text("event", &event)?;
        let data = opt_json_text(&data)?;
        self.socket
            .transmit(&event, data.as_deref())
            .map_err(client_err)
    }

    /// Invokes and waits (without the GIL, Ctrl-C interrupts) for the answer's JSON.
    #[pyo3(signature = (event, data=None))]
    fn invoke(
        &self,
        py: Python<'_>,
        event: Bound<'_, PyString>,
        data: Option<Bound<'_, PyString>>,
    ) -> PyResult<String> {
        let socket = self.socket.socket().clone();
        let event = plain_text("event", &event)?.into_owned();
        let data = opt_json_text(&data)?.map(|d| d.into_owned());
        let (tx, rx) = mpsc::channel();
        rt().spawn(async move {
            let r = socket.invoke(&event, data.as_deref()).await;
            let _ = tx.send(r.map(|d| d.get().to_owned()));
        });
        let answer = wait(py, None, move |w| match rx.recv_timeout(w) {
            Ok(answer) => Recv::Message(answer),
            Err(RecvTimeoutError::Timeout) => Recv::TimedOut,
            Err(RecvTimeoutError::Disconnected) => Recv::Closed,
        })?;
        answer.map_err(client_err)
    }

    /// Invokes in the background; the answer arrives as an `ack` / `ackerror` note
    /// keyed by `token`.
    #[pyo3(signature = (event, data, token))]
    fn invoke_later(
        &self,
        event: Bound<'_, PyString>,
        data: Option<Bound<'_, PyString>>,
        token: String,
    ) -> PyResult<()> {
        let socket = self.socket.socket().clone();
        let event = plain_text("event", &event)?.into_owned();
        let data = opt_json_text(&data)?.map(|d| d.into_owned());
        let answer = async move { socket.invoke(&event, data.as_deref()).await };
        self.ack_later(token, answer, |d| Some(d.get().to_owned()))
    }

    /// Subscribes; messages become `channel` notes (once per channel).
    fn watch_channel(&self, channel: Bound<'_, PyString>) -> PyResult<()> {
        let channel = plain_text("channel", &channel)?.into_owned();
        if !lock(&self.watched_channels).insert(channel.clone()) {
            return Ok(());
        }
        let sub = self
            .socket
            .socket()
            .subscribe(&channel)
            .map_err(client_err)?;
        forward!(self.sender()?, "channel", channel, sub);
        Ok(())
    }

    /// An `ack` / `ackerror` note keyed by `token` once the server answered the
    /// subscription to `channel`.
    fn subscribe_later(&self, channel: Bound<'_, PyString>, token: String) -> PyResult<()> {
        let socket = self.socket.socket().clone();
        let channel = plain_text("channel", &channel)?.into_owned();
        let answer = async move { socket.wait_subscribed(&channel, SUBSCRIBE_ACK_WITHIN).await };
        self.ack_later(token, answer, |()| None)
    }

    /// Server events named `event` become `event` notes (once per name).
    fn watch_event(&self, event: Bound<'_, PyString>) -> PyResult<()> {
        let event = plain_text("event", &event)?.into_owned();
        if !lock(&self.watched_events).insert(event.clone()) {
            return Ok(());
        }
        let stream = self.socket.socket().receiver(&event);
        forward!(self.sender()?, "event", event, stream);
        Ok(())
    }

    /// Connection changes become `connect` / `disconnect` notes, errors `error` notes;
    /// the current state counts, so an open socket gives `connect` at once.
    fn watch_connection(&self) -> PyResult<()> {
        if self.listening.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let socket = self.socket.socket().clone();
        let (mut states, mut events) = (socket.watch_state(), socket.listener());
        let tx = self.sender()?;
        rt().spawn(async move {
            let mut open_gen: Option<u64> = None;
            loop {
                let state = states.borrow_and_update().clone();
                let note = match state {
                    ConnectionState::Open { id, generation } if open_gen != Some(generation) => {
                        open_gen = Some(generation);
                        Some(("connect", id, None))
                    }
                    ConnectionState::Disconnected { code, .. } if open_gen.is_some() => {
                        open_gen = None;
                        Some(("disconnect", code.to_string(), None))
                    }
                    ConnectionState::Closed => {
                        if open_gen.take().is_some() {
                            let _ = tx.send(("disconnect", "1000".to_owned(), None));
                        }
                        return;
                    }
                    _ => None,
                };
                if note.is_some_and(|n| tx.send(n).is_err()) {
                    return;
                }
                tokio::select! {
                    changed = states.changed() => if changed.is_err() { return },
                    e = events.recv() => {
                        let note = match e {
                            Ok(SocketEvent::Error(msg)) => ("error", msg, None),
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                            _ => continue,
                        };
                        if tx.send(note).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(())
    }

    /// Starts the callback thread: `deliver(kind, key, data)` for every note, until the
    /// socket is closed and every note was delivered. Once per socket.
    fn start_dispatch(&self, deliver: Py<PyAny>) -> PyResult<()> {
        let Some(rx) = lock(&self.inbox).take() else {
            return Ok(());
        };
        let (socket, notes) = (self.socket.clone(), self.notes.clone());
        let (done_tx, done_rx) = mpsc::channel();
        let pump = Pump::start(
            DISPATCH_THREAD,
            move |w| match rx.recv_timeout(w) {
                Ok(note) => Recv::Message(note),
                Err(RecvTimeoutError::Timeout) => {
                    if socket.is_closed() {
                        lock(&notes).take();
                    }
                    Recv::TimedOut
                }
                Err(RecvTimeoutError::Disconnected) => Recv::Closed,
            },
            move |note: Note| {
                Python::attach(|py| {
                    if let Err(e) = deliver.call1(py, note) {
                        e.print(py);
                    }
                })
            },
            move || {
                let _ = done_tx.send(());
            },
        )
        .map_err(|e| client_err(ClientError::Io(Arc::new(e))))?;
        *lock(&self.pump) = Some((pump, done_rx));
        Ok(())
    }

    /// Subscribes and returns the channel's messages to pull.
    fn subscribe(&self, channel: Bound<'_, PyString>) -> PyResult<NativeStream> {
        let channel = plain_text("channel", &channel)?;
        let sub = self.socket.subscribe(&channel).map_err(client_err)?;
        Ok(NativeStream::new(Stream::Channel(sub)))
    }

    fn wait_subscribed(
        &self,
        py: Python<'_>,
        channel: Bound<'_, PyString>,
        timeout: f64,
    ) -> PyResult<()> {
        let within = secs("timeout", timeout)?;
        let (s, channel) = (&*self.socket, plain_text("channel", &channel)?);
        py.detach(|| s.wait_subscribed(&channel, within))
            .map_err(client_err)
    }

    fn unsubscribe(&self, channel: Bound<'_, PyString>) -> PyResult<()> {
        let channel = plain_text("channel", &channel)?;
        lock(&self.watched_channels).remove(&*channel);
        self.socket.unsubscribe(&channel).map_err(client_err)
    }

    /// The data of server events named `event`, to pull.
    fn receiver(&self, event: Bound<'_, PyString>) -> PyResult<NativeStream> {
        let event = plain_text("event", &event)?;
        Ok(NativeStream::new(Stream::Events(
            self.socket.receiver(&event),
        )))
    }

    /// Closes with 1000 (no reconnect). The dispatcher delivers the notes that are
    /// left (e.g. the `disconnect`) for up to [`DRAIN_WITHIN`], then stops; called
    /// from a callback, it does not wait for itself.
    fn close(&self, py: Python<'_>) {
        let s = &*self.socket;
        let pump = lock(&self.pump).take();
        py.detach(|| {
            s.close();
            lock(&self.notes).take();
            if let Some((pump, done)) = pump {
                if std::thread::current().name() != Some(DISPATCH_THREAD) {
                    let _ = done.recv_timeout(DRAIN_WITHIN);
                }
                pump.stop();
            }
        });
    }
}

/// One of the socket's pulled streams.
enum Stream {
    Channel(BlockingSubscription),
    Events(BlockingEvents),
}

/// Messages of one channel or data of one event name, pulled (`remotedev.Subscription`
/// and `remotedev.Events` wrap it).
#[pyclass(module = "remotedev._remotedev", frozen)]
pub(crate) struct NativeStream {
    stream: Mutex<Stream>,
}

impl NativeStream {
    fn new(stream: Stream) -> Self {
        NativeStream {
            stream: Mutex::new(stream),
        }
    }
}

#[pymethods]
impl NativeStream {
    /// The next message's JSON; `TimeoutError`, or `ClosedError` at once when the stream
    /// ended (unsubscribed, or the socket closed).
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<String> {
        let stream = &self.stream;
        wait(py, timeout, |w| match &mut *lock(stream) {
            Stream::Channel(sub) => sub.recv(w),
            Stream::Events(events) => events.recv(w),
        })
    }
}
