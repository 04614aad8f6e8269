//! `remotedev._remotedev`: the native half of the Python package. A thin layer over the
//! crate's blocking facades (and, for asyncio, its async clients): argument conversion,
//! GIL release, Ctrl-C-interruptible waits, error mapping. No protocol logic lives here;
//! the typed Python objects are built in `python/remotedev/`.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyType;

use remotedev::client::{
    dispatch_command, AppOptions, BlockingApp, BlockingEvents, BlockingMonitor, BlockingSocket,
    BlockingSubscription, ClientError, Command, ConnectionState, MonitorEvent, MonitorOptions,
    SocketEvent, SocketOptions,
};
use remotedev::protocol::ProtocolVersion;
use remotedev::{BlockingRelay, RelayError, RelayOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long one GIL-free wait lasts before signals (Ctrl-C) are checked.
const SLICE: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------- errors

/// An exception of `remotedev._errors` (defined in Python so that the classes can also
/// derive from the matching built-ins).
fn py_error(class: &str, message: String) -> PyErr {
    Python::attach(|py| {
        let ty = py
            .import("remotedev._errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match ty {
            Ok(ty) => PyErr::from_type(ty, message),
            Err(e) => e,
        }
    })
}

fn client_err(e: ClientError) -> PyErr {
    let class = match &e {
        ClientError::InvalidUrl { .. }
        | ClientError::InvalidJson(_)
        | ClientError::InvalidArgument(_) => "InvalidArgumentError",
        ClientError::Timeout(_) => "TimeoutError",
        ClientError::Remote(_) => "ProtocolError",
        ClientError::Disconnected { .. } => "ConnectionError",
        ClientError::Closed => "ClosedError",
        ClientError::QueueFull(_) => "QueueFullError",
    };
    py_error(class, e.to_string())
}

fn relay_err(e: RelayError) -> PyErr {
    let class = match &e {
        RelayError::AddrInUse { .. } => "AddressInUseError",
        RelayError::Bind { .. } => "ConnectionError",
        RelayError::Runtime(_) | RelayError::Store(_) => "Error",
    };
    py_error(class, e.to_string())
}

fn invalid(message: impl Into<String>) -> PyErr {
    py_error("InvalidArgumentError", message.into())
}

fn timed_out(secs: f64) -> PyErr {
    py_error(
        "TimeoutError",
        format!("timed out after {} ms", (secs * 1000.0).round()),
    )
}

fn closed() -> PyErr {
    client_err(ClientError::Closed)
}

/// Seconds (a Python float) as a Duration; negative, NaN or huge values are invalid.
fn secs(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid(format!(
            "{name} must be a non-negative number of seconds, not {value}"
        ))
    })
}

fn opt_secs(name: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    value.map(|v| secs(name, v)).transpose()
}

// ---------------------------------------------------------------- helpers

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Outcome of a sliced wait.
enum Waited<T> {
    Got(T),
    TimedOut,
    Closed,
}

/// Calls `poll(slice)` without the GIL in short slices until it yields, `timeout`
/// passes, or `is_closed` says nothing more can come; checks signals between slices so
/// Ctrl-C interrupts the wait.
fn wait_sliced<T: Send>(
    py: Python<'_>,
    timeout: Option<Duration>,
    mut poll: impl FnMut(Duration) -> Option<T> + Send,
    is_closed: impl Fn() -> bool,
) -> PyResult<Waited<T>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let slice = match deadline {
            Some(d) => SLICE.min(d.saturating_duration_since(Instant::now())),
            None => SLICE,
        };
        if let Some(v) = py.detach(|| poll(slice)) {
            return Ok(Waited::Got(v));
        }
        py.check_signals()?;
        if is_closed() {
            // one last look: something may have arrived just before the end
            if let Some(v) = py.detach(|| poll(Duration::ZERO)) {
                return Ok(Waited::Got(v));
            }
            return Ok(Waited::Closed);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Waited::TimedOut);
        }
    }
}

/// An owner of a blocking facade shared with pending asyncio futures. The facades
/// block on their own runtime when dropped, which tokio forbids on a runtime thread, so
/// the last owner drops it on a plain thread when it happens to be on one.
struct Owned<T: Send + Sync + 'static>(Option<Arc<T>>);

impl<T: Send + Sync + 'static> Owned<T> {
    fn new(value: T) -> Self {
        Owned(Some(Arc::new(value)))
    }
    fn get(&self) -> &T {
        self.0.as_ref().expect("present until dropped")
    }
    fn share(&self) -> Owned<T> {
        Owned(self.0.clone())
    }
}

impl<T: Send + Sync + 'static> Drop for Owned<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.0.take().and_then(Arc::into_inner) {
            if tokio::runtime::Handle::try_current().is_ok() {
                std::thread::spawn(move || drop(inner));
            } else {
                drop(inner);
            }
        }
    }
}

/// `next`, or (once the socket is closed for good) whatever `left` still holds: the
/// clients' queues stay open while the client lives, so a closed socket ends the wait.
/// Awaits the next item of a client stream for asyncio, with the optional timeout.
/// The core ends its streams when the client closes, which becomes `ClosedError`.
async fn next_within<T>(
    within: Option<Duration>,
    timeout: Option<f64>,
    next: impl std::future::Future<Output = Option<T>>,
) -> PyResult<T> {
    let got = match within {
        Some(w) => tokio::time::timeout(w, next)
            .await
            .map_err(|_| timed_out(timeout.unwrap_or_default()))?,
        None => next.await,
    };
    got.ok_or_else(closed)
}

/// A `wait_ready` outcome for Python: the socket id, `TimeoutError` or the core's error.
fn ready_result(result: Result<String, ClientError>, timeout: f64) -> PyResult<String> {
    match result {
        Ok(id) => Ok(id),
        Err(ClientError::Timeout(_)) => Err(timed_out(timeout)),
        Err(e) => Err(client_err(e)),
    }
}

fn rt() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

fn socket_options(
    ack_timeout: f64,
    connect_timeout: f64,
    auto_reconnect: bool,
    base: SocketOptions,
) -> PyResult<SocketOptions> {
    let mut o = base;
    o.ack_timeout = secs("ack_timeout", ack_timeout)?;
    o.connect_timeout = secs("connect_timeout", connect_timeout)?;
    o.auto_reconnect = auto_reconnect;
    Ok(o)
}

// ---------------------------------------------------------------- relay

/// A relay on its own runtime threads (`remotedev.Relay` wraps it).
#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeRelay {
    relay: Mutex<Option<BlockingRelay>>,
    port: u16,
    url: String,
}

#[pymethods]
impl NativeRelay {
    #[new]
    #[pyo3(signature = (host, port, ping_interval, ping_timeout, max_payload, max_outbound_bytes, protocol_version, subscribe_grace, worker_threads))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        ping_interval: f64,
        ping_timeout: f64,
        max_payload: usize,
        max_outbound_bytes: usize,
        protocol_version: &str,
        subscribe_grace: f64,
        worker_threads: Option<usize>,
    ) -> PyResult<Self> {
        let mut o = RelayOptions::default();
        o.host = host;
        o.port = port;
        o.ping_interval = secs("ping_interval", ping_interval)?;
        o.ping_timeout = secs("ping_timeout", ping_timeout)?;
        if o.ping_interval.is_zero() || o.ping_timeout.is_zero() {
            return Err(invalid("ping_interval and ping_timeout must be positive"));
        }
        o.max_payload = max_payload;
        o.outbound_limit = max_outbound_bytes;
        o.protocol_version = protocol_version
            .parse::<ProtocolVersion>()
            .map_err(invalid)?;
        o.subscribe_grace = secs("subscribe_grace", subscribe_grace)?;
        if worker_threads == Some(0) {
            return Err(invalid("worker_threads must be at least 1"));
        }
        o.worker_threads = worker_threads;
        let relay = py.detach(|| BlockingRelay::start(o)).map_err(relay_err)?;
        Ok(NativeRelay {
            port: relay.port(),
            url: relay.url().to_owned(),
            relay: Mutex::new(Some(relay)),
        })
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    #[getter]
    fn closed(&self) -> bool {
        lock(&self.relay).is_none()
    }

    /// Closes every socket (1001) and stops the relay. Idempotent.
    fn close(&self, py: Python<'_>) {
        let relay = lock(&self.relay).take();
        if let Some(mut relay) = relay {
            py.detach(move || relay.shutdown());
        }
    }
}

// ---------------------------------------------------------------- commands / messages

type CommandTuple = (&'static str, Option<String>, Option<String>);

fn command_tuple(c: Command) -> CommandTuple {
    match c {
        Command::Start => ("Start", None, None),
        Command::Stop => ("Stop", None, None),
        Command::Dispatch { action, state } => ("Dispatch", Some(action), state),
        Command::Action { raw } => ("Action", Some(raw), None),
        Command::Import { state } => ("Import", Some(state), None),
        Command::Sync { state, source } => ("Sync", Some(state), source),
        Command::Update => ("Update", None, None),
        Command::Export => ("Export", None, None),
        Command::Disconnected { id } => ("Disconnected", id, None),
        Command::Other { kind, raw } => ("Other", Some(kind), Some(raw)),
        #[allow(unreachable_patterns)]
        other => ("Other", Some(other.kind().to_owned()), None),
    }
}

/// `("app", kind, connection_id, instance_id, name, payload, action, raw)` or
/// `("report", raw, None, …)`.
type EventTuple = (
    &'static str,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn event_tuple(e: MonitorEvent) -> EventTuple {
    match e {
        MonitorEvent::App(m) => (
            "app",
            m.kind,
            m.connection_id,
            m.instance_id,
            m.name,
            m.payload,
            m.action,
            Some(m.raw),
        ),
        MonitorEvent::Report(raw) => ("report", raw, None, None, None, None, None, None),
        #[allow(unreachable_patterns)]
        _ => ("report", "null".into(), None, None, None, None, None, None),
    }
}

// ---------------------------------------------------------------- app client

/// An instrumented app (`remotedev.Client` / `AsyncClient` wrap it).
#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeApp {
    app: Owned<BlockingApp>,
    instance_id: String,
    url: String,
}

fn app_closed(app: &BlockingApp) -> bool {
    app.app().socket().state() == ConnectionState::Closed
}

#[pymethods]
impl NativeApp {
    #[new]
    #[pyo3(signature = (url, host, port, name, instance_id, max_age, queue_limit, ack_timeout, connect_timeout, auto_reconnect))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        host: Option<String>,
        port: Option<u16>,
        name: String,
        instance_id: Option<String>,
        max_age: usize,
        queue_limit: usize,
        ack_timeout: f64,
        connect_timeout: f64,
        auto_reconnect: bool,
    ) -> PyResult<Self> {
        let mut o = match (url, host, port) {
            (Some(url), None, None) => AppOptions::new(url),
            (None, host, port) => {
                AppOptions::host_port(host.as_deref().unwrap_or("127.0.0.1"), port.unwrap_or(8000))
            }
            _ => return Err(invalid("give either url or host/port, not both")),
        };
        o.name = name;
        if let Some(id) = instance_id {
            if id.is_empty() {
                return Err(invalid("instance_id must not be empty"));
            }
            o.instance_id = id;
        }
        if max_age == 0 {
            return Err(invalid("max_age must be at least 1"));
        }
        o.max_age = max_age;
        o.queue_limit = queue_limit;
        o.socket = socket_options(ack_timeout, connect_timeout, auto_reconnect, o.socket)?;
        let url = o.url.clone();
        let app = py.detach(|| BlockingApp::connect(o)).map_err(client_err)?;
        Ok(NativeApp {
            instance_id: app.app().instance_id().to_owned(),
            url,
            app: Owned::new(app),
        })
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    #[getter]
    fn instance_id(&self) -> String {
        self.instance_id.clone()
    }

    #[getter]
    fn id(&self) -> Option<String> {
        self.app.get().id()
    }

    #[getter]
    fn streaming(&self) -> bool {
        self.app.get().app().is_streaming()
    }

    #[getter]
    fn dropped(&self) -> u64 {
        self.app.get().app().dropped()
    }

    #[getter]
    fn closed(&self) -> bool {
        app_closed(self.app.get())
    }

    /// Waits until connected and logged in; returns the socket id.
    fn wait_ready(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let total = secs("timeout", timeout)?;
        let app = self.app.get();
        let deadline = Instant::now() + total;
        loop {
            let slice = SLICE.min(deadline.saturating_duration_since(Instant::now()));
            match py.detach(|| app.wait_ready(slice)) {
                Ok(id) => return Ok(id),
                Err(ClientError::Timeout(_)) if Instant::now() < deadline => {}
                Err(ClientError::Timeout(_)) => return Err(timed_out(timeout)),
                Err(e) => return Err(client_err(e)),
            }
            py.check_signals()?;
        }
    }

    fn init(&self, py: Python<'_>, state: &str) -> PyResult<()> {
        let app = self.app.get();
        py.detach(|| app.init(state)).map_err(client_err)
    }

    fn send(&self, py: Python<'_>, action: &str, state: &str) -> PyResult<()> {
        let app = self.app.get();
        py.detach(|| app.send(action, state)).map_err(client_err)
    }

    fn send_state(&self, py: Python<'_>, lifted: &str) -> PyResult<()> {
        let app = self.app.get();
        py.detach(|| app.send_state(lifted)).map_err(client_err)
    }

    /// The next command as a tuple; raises TimeoutError / ClosedError.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<CommandTuple> {
        let within = opt_secs("timeout", timeout)?;
        let app = self.app.get();
        match wait_sliced(py, within, |s| app.recv(s), || app_closed(app))? {
            Waited::Got(c) => Ok(command_tuple(c)),
            Waited::TimedOut => Err(timed_out(timeout.unwrap_or_default())),
            Waited::Closed => Err(closed()),
        }
    }

    fn close(&self, py: Python<'_>) {
        let app = self.app.get();
        py.detach(|| app.close());
    }

    // --- asyncio: futures on the shared tokio runtime, no thread per call

    fn wait_ready_async<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let within = secs("timeout", timeout)?;
        let app = self.app.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            ready_result(app.get().app().wait_ready(within).await, timeout)
        })
    }

    #[pyo3(signature = (timeout=None))]
    fn recv_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let within = opt_secs("timeout", timeout)?;
        let app = self.app.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            next_within(within, timeout, app.get().app().recv())
                .await
                .map(command_tuple)
        })
    }

    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let app = self.app.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            app.get().app().close().await;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------- monitor client

#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeMonitor {
    monitor: Owned<BlockingMonitor>,
    url: String,
}

fn monitor_closed(m: &BlockingMonitor) -> bool {
    m.monitor().socket().state() == ConnectionState::Closed
}

#[pymethods]
impl NativeMonitor {
    #[new]
    #[pyo3(signature = (url, host, port, answer_start, ack_timeout, connect_timeout, auto_reconnect))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: Option<String>,
        host: Option<String>,
        port: Option<u16>,
        answer_start: bool,
        ack_timeout: f64,
        connect_timeout: f64,
        auto_reconnect: bool,
    ) -> PyResult<Self> {
        let url = match (url, host, port) {
            (Some(url), None, None) => url,
            (None, host, port) => {
                AppOptions::host_port(host.as_deref().unwrap_or("127.0.0.1"), port.unwrap_or(8000))
                    .url
            }
            _ => return Err(invalid("give either url or host/port, not both")),
        };
        let mut o = MonitorOptions::new(url.clone());
        o.answer_start = answer_start;
        o.socket = socket_options(ack_timeout, connect_timeout, auto_reconnect, o.socket)?;
        let monitor = py
            .detach(|| BlockingMonitor::connect(o))
            .map_err(client_err)?;
        Ok(NativeMonitor {
            monitor: Owned::new(monitor),
            url,
        })
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    #[getter]
    fn id(&self) -> Option<String> {
        self.monitor.get().monitor().socket().id()
    }

    #[getter]
    fn closed(&self) -> bool {
        monitor_closed(self.monitor.get())
    }

    fn wait_ready(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let total = secs("timeout", timeout)?;
        let m = self.monitor.get();
        let deadline = Instant::now() + total;
        loop {
            let slice = SLICE.min(deadline.saturating_duration_since(Instant::now()));
            match py.detach(|| m.wait_ready(slice)) {
                Ok(id) => return Ok(id),
                Err(ClientError::Timeout(_)) if Instant::now() < deadline => {}
                Err(ClientError::Timeout(_)) => return Err(timed_out(timeout)),
                Err(e) => return Err(client_err(e)),
            }
            py.check_signals()?;
        }
    }

    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<EventTuple> {
        let within = opt_secs("timeout", timeout)?;
        let m = self.monitor.get();
        match wait_sliced(py, within, |s| m.recv(s), || monitor_closed(m))? {
            Waited::Got(e) => Ok(event_tuple(e)),
            Waited::TimedOut => Err(timed_out(timeout.unwrap_or_default())),
            Waited::Closed => Err(closed()),
        }
    }

    fn send_to(&self, py: Python<'_>, connection_id: &str, command: &str) -> PyResult<()> {
        let m = self.monitor.get();
        py.detach(|| m.send_to(connection_id, command))
            .map_err(client_err)
    }

    fn broadcast(&self, py: Python<'_>, command: &str) -> PyResult<()> {
        let m = self.monitor.get();
        py.detach(|| m.broadcast(command)).map_err(client_err)
    }

    fn close(&self, py: Python<'_>) {
        let m = self.monitor.get();
        py.detach(|| m.close());
    }

    fn wait_ready_async<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let within = secs("timeout", timeout)?;
        let m = self.monitor.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            ready_result(m.get().monitor().wait_ready(within).await, timeout)
        })
    }

    #[pyo3(signature = (timeout=None))]
    fn recv_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let within = opt_secs("timeout", timeout)?;
        let m = self.monitor.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            next_within(within, timeout, m.get().monitor().recv())
                .await
                .map(event_tuple)
        })
    }

    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let m = self.monitor.share();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            m.get().monitor().close().await;
            Ok(())
        })
    }
}

/// The DISPATCH command the DevTools app sends (built by the core).
#[pyfunction]
#[pyo3(signature = (action, state=None, instance_id=None))]
fn dispatch_json(action: &str, state: Option<&str>, instance_id: Option<&str>) -> String {
    dispatch_command(action, state, instance_id)
}

// ---------------------------------------------------------------- socket

/// What the callback dispatcher of a `remotedev.Socket` receives:
/// `(kind, key, data)` with kind `connect` / `disconnect` / `error` / `channel` /
/// `event` / `ack` / `ackerror` / `subscribeack`.
type Note = (&'static str, String, Option<String>);

#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeSocket {
    socket: Owned<BlockingSocket>,
    notes_tx: Mutex<std_mpsc::Sender<Note>>,
    notes_rx: Mutex<std_mpsc::Receiver<Note>>,
    watched_channels: Mutex<std::collections::HashSet<String>>,
    watched_events: Mutex<std::collections::HashSet<String>>,
    listening: Mutex<bool>,
}

fn socket_closed(s: &BlockingSocket) -> bool {
    s.state() == ConnectionState::Closed
}

impl NativeSocket {
    fn sender(&self) -> std_mpsc::Sender<Note> {
        lock(&self.notes_tx).clone()
    }
}

#[pymethods]
impl NativeSocket {
    #[new]
    #[pyo3(signature = (url, ack_timeout, connect_timeout, auto_reconnect))]
    fn new(
        py: Python<'_>,
        url: &str,
        ack_timeout: f64,
        connect_timeout: f64,
        auto_reconnect: bool,
    ) -> PyResult<Self> {
        let o = socket_options(
            ack_timeout,
            connect_timeout,
            auto_reconnect,
            SocketOptions::default(),
        )?;
        let socket = py
            .detach(|| BlockingSocket::connect(url, o))
            .map_err(client_err)?;
        let (tx, rx) = std_mpsc::channel();
        Ok(NativeSocket {
            socket: Owned::new(socket),
            notes_tx: Mutex::new(tx),
            notes_rx: Mutex::new(rx),
            watched_channels: Mutex::default(),
            watched_events: Mutex::default(),
            listening: Mutex::new(false),
        })
    }

    #[getter]
    fn id(&self) -> Option<String> {
        self.socket.get().id()
    }

    /// `connecting`, `open`, `disconnected` or `closed`.
    #[getter]
    fn state(&self) -> &'static str {
        match self.socket.get().state() {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Open { .. } => "open",
            ConnectionState::Disconnected { .. } => "disconnected",
            _ => "closed",
        }
    }

    #[getter]
    fn closed(&self) -> bool {
        socket_closed(self.socket.get())
    }

    fn wait_open(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let total = secs("timeout", timeout)?;
        let s = self.socket.get();
        let deadline = Instant::now() + total;
        loop {
            let slice = SLICE.min(deadline.saturating_duration_since(Instant::now()));
            match py.detach(|| s.wait_open(slice)) {
                Ok(id) => return Ok(id),
                Err(ClientError::Timeout(_)) if Instant::now() < deadline => {}
                Err(ClientError::Timeout(_)) => return Err(timed_out(timeout)),
                Err(e) => return Err(client_err(e)),
            }
            py.check_signals()?;
        }
    }

    #[pyo3(signature = (event, data=None))]
    fn emit(&self, py: Python<'_>, event: &str, data: Option<&str>) -> PyResult<()> {
        let s = self.socket.get();
        py.detach(|| s.emit(event, data)).map_err(client_err)
    }

    /// Invokes and waits (without the GIL) for the answer's JSON.
    #[pyo3(signature = (event, data=None))]
    fn invoke(&self, py: Python<'_>, event: &str, data: Option<&str>) -> PyResult<String> {
        let socket = self.socket.get().socket().clone();
        let (tx, rx) = std_mpsc::channel();
        let (event_owned, data_owned) = (event.to_owned(), data.map(str::to_owned));
        rt().spawn(async move {
            let r = socket.invoke(&event_owned, data_owned.as_deref()).await;
            let _ = tx.send(r.map(|d| d.get().to_owned()));
        });
        match wait_sliced(py, None, move |s| rx.recv_timeout(s).ok(), || false)? {
            Waited::Got(r) => r.map_err(client_err),
            _ => Err(closed()),
        }
    }

    /// Invokes in the background; the answer arrives as an `ack`/`ackerror` note keyed
    /// by `token`.
    #[pyo3(signature = (event, data, token))]
    fn invoke_later(&self, event: &str, data: Option<&str>, token: String) {
        let socket = self.socket.get().socket().clone();
        let tx = self.sender();
        let (event, data) = (event.to_owned(), data.map(str::to_owned));
        rt().spawn(async move {
            let note = match socket.invoke(&event, data.as_deref()).await {
                Ok(d) => ("ack", token, Some(d.get().to_owned())),
                Err(e) => ("ackerror", token, Some(e.to_string())),
            };
            let _ = tx.send(note);
        });
    }

    /// Subscribes; messages go to the dispatcher as `channel` notes (once per channel).
    fn watch_channel(&self, channel: &str) -> PyResult<()> {
        if !lock(&self.watched_channels).insert(channel.to_owned()) {
            return Ok(());
        }
        let mut sub = self
            .socket
            .get()
            .socket()
            .subscribe(channel)
            .map_err(client_err)?;
        let tx = self.sender();
        let name = channel.to_owned();
        rt().spawn(async move {
            while let Some(d) = sub.next().await {
                if tx
                    .send(("channel", name.clone(), Some(d.get().to_owned())))
                    .is_err()
                {
                    return;
                }
            }
        });
        Ok(())
    }

    /// Sends a `subscribeack` note keyed by `token` once the server acknowledged
    /// `channel` (or `ackerror`).
    fn subscribe_later(&self, channel: &str, token: String) {
        let socket = self.socket.get().socket().clone();
        let within = Duration::from_secs(10);
        let tx = self.sender();
        let channel = channel.to_owned();
        rt().spawn(async move {
            let note = match socket.wait_subscribed(&channel, within).await {
                Ok(()) => ("ack", token, None),
                Err(e) => ("ackerror", token, Some(e.to_string())),
            };
            let _ = tx.send(note);
        });
    }

    /// Events named `event` go to the dispatcher as `event` notes (once per name).
    fn watch_event(&self, event: &str) {
        if !lock(&self.watched_events).insert(event.to_owned()) {
            return;
        }
        let mut stream = self.socket.get().socket().on(event);
        let tx = self.sender();
        let name = event.to_owned();
        rt().spawn(async move {
            while let Some(d) = stream.next().await {
                if tx
                    .send(("event", name.clone(), Some(d.get().to_owned())))
                    .is_err()
                {
                    return;
                }
            }
        });
    }

    /// Connection changes go to the dispatcher as `connect` (id) / `disconnect`
    /// (code) notes, errors as `error`; the current state counts, so a socket that is
    /// already open yields `connect` at once.
    fn watch_connection(&self) {
        {
            let mut l = lock(&self.listening);
            if *l {
                return;
            }
            *l = true;
        }
        let socket = self.socket.get().socket().clone();
        let mut states = socket.watch_state();
        let mut events = socket.events();
        let tx = self.sender();
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
                if let Some(n) = note {
                    if tx.send(n).is_err() {
                        return;
                    }
                }
                tokio::select! {
                    changed = states.changed() => if changed.is_err() { return },
                    e = events.recv() => {
                        let error = match e {
                            Ok(SocketEvent::Error(msg)) => msg,
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                            _ => continue,
                        };
                        if tx.send(("error", error, None)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }

    /// The next note for the dispatcher, or None after `timeout`.
    fn next_note(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Note>> {
        let within = secs("timeout", timeout)?;
        let rx = &self.notes_rx;
        match wait_sliced(
            py,
            Some(within),
            |s| lock(rx).recv_timeout(s).ok(),
            || false,
        )? {
            Waited::Got(n) => Ok(Some(n)),
            _ => Ok(None),
        }
    }

    fn subscribe(&self, channel: &str) -> PyResult<NativeSubscription> {
        let sub = self.socket.get().subscribe(channel).map_err(client_err)?;
        Ok(NativeSubscription {
            sub: Mutex::new(sub),
        })
    }

    fn wait_subscribed(&self, py: Python<'_>, channel: &str, timeout: f64) -> PyResult<()> {
        let within = secs("timeout", timeout)?;
        let s = self.socket.get();
        py.detach(|| s.wait_subscribed(channel, within))
            .map_err(client_err)
    }

    fn unsubscribe(&self, channel: &str) -> PyResult<()> {
        lock(&self.watched_channels).remove(channel);
        self.socket.get().unsubscribe(channel).map_err(client_err)
    }

    fn on(&self, event: &str) -> NativeEvents {
        NativeEvents {
            stream: Mutex::new(self.socket.get().on(event)),
        }
    }

    fn close(&self, py: Python<'_>) {
        let s = self.socket.get();
        py.detach(|| s.close());
    }
}

/// One channel's messages, pulled (`remotedev.Subscription` wraps it).
#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeSubscription {
    sub: Mutex<BlockingSubscription>,
}

#[pymethods]
impl NativeSubscription {
    #[getter]
    fn channel(&self) -> String {
        lock(&self.sub).channel().to_owned()
    }

    /// The next message's JSON; TimeoutError, or ClosedError once it ended.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<String> {
        let within = opt_secs("timeout", timeout)?;
        let sub = &self.sub;
        // BlockingSubscription reports an ended stream like a timeout: a slice that
        // returns early without a message means the stream ended.
        let ended = std::sync::atomic::AtomicBool::new(false);
        let r = wait_sliced(
            py,
            within,
            |s| {
                let start = Instant::now();
                let got = lock(sub).recv(s);
                if got.is_none() && !s.is_zero() && start.elapsed() + Duration::from_millis(5) < s {
                    ended.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                got
            },
            || ended.load(std::sync::atomic::Ordering::Relaxed),
        )?;
        match r {
            Waited::Got(m) => Ok(m),
            Waited::TimedOut => Err(timed_out(timeout.unwrap_or_default())),
            Waited::Closed => Err(closed()),
        }
    }
}

/// Events of one name, pulled (`remotedev.Events` wraps it).
#[pyclass(module = "remotedev._remotedev", frozen)]
struct NativeEvents {
    stream: Mutex<BlockingEvents>,
}

#[pymethods]
impl NativeEvents {
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<String> {
        let within = opt_secs("timeout", timeout)?;
        let stream = &self.stream;
        let ended = std::sync::atomic::AtomicBool::new(false);
        let r = wait_sliced(
            py,
            within,
            |s| {
                let start = Instant::now();
                let got = lock(stream).recv(s);
                if got.is_none() && !s.is_zero() && start.elapsed() + Duration::from_millis(5) < s {
                    ended.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                got
            },
            || ended.load(std::sync::atomic::Ordering::Relaxed),
        )?;
        match r {
            Waited::Got(m) => Ok(m),
            Waited::TimedOut => Err(timed_out(timeout.unwrap_or_default())),
            Waited::Closed => Err(closed()),
        }
    }
}

// ---------------------------------------------------------------- module

/// Logs the core's tracing output to stderr: 0 silent, 1 errors, 2 warnings, 3 info.
/// Only the first call has an effect.
#[pyfunction]
fn init_logging(level: u8) -> PyResult<()> {
    let max = match level {
        0 => return Ok(()),
        1 => tracing::Level::ERROR,
        2 => tracing::Level::WARN,
        3 => tracing::Level::INFO,
        _ => return Err(invalid(format!("log level must be 0-3, not {level}"))),
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(max)
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}

#[pymodule]
fn _remotedev(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // One small shared runtime drives asyncio futures and callback forwarding.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(1)
        .thread_name("remotedev-python")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
    m.add_class::<NativeRelay>()?;
    m.add_class::<NativeApp>()?;
    m.add_class::<NativeMonitor>()?;
    m.add_class::<NativeSocket>()?;
    m.add_class::<NativeSubscription>()?;
    m.add_class::<NativeEvents>()?;
    m.add_function(wrap_pyfunction!(dispatch_json, m)?)?;
    m.add_function(wrap_pyfunction!(init_logging, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
