//! Blocking facades over the async clients, for code without an async runtime (and for
//! the C and Python bindings). Each owns a small tokio runtime; every call blocks the
//! calling thread only, and several threads may call at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use super::app::{AppClient, AppOptions};
use super::error::ClientError;
use super::message::{Command, CommandMessage};
use super::monitor::{MonitorClient, MonitorEvent, MonitorOptions};
use super::socket::{
    ConnectionState, EventStream, Socket, SocketEvent, SocketOptions, Subscription,
};

/// The runtime a blocking client owns. Dropping it never blocks, so a client can be
/// dropped anywhere, also on an async runtime's thread.
struct OwnedRuntime(Option<Runtime>);

impl std::ops::Deref for OwnedRuntime {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<Arc<OwnedRuntime>, ClientError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("remotedev-client")
        .enable_all()
        .build()
        .map(|rt| Arc::new(OwnedRuntime(Some(rt))))
        .map_err(|e| ClientError::InvalidArgument(format!("cannot start the client runtime: {e}")))
}

/// Closes gracefully (close frame, task ends) when the thread may block; from inside an
/// async runtime only asks for the close, which the runtime's shutdown completes.
fn close_on_drop(rt: &Runtime, socket: &Socket) {
    if tokio::runtime::Handle::try_current().is_ok() {
        socket.request_close();
    } else {
        rt.block_on(socket.close());
    }
}

/// Waits for `fut` up to `within`; `None` on timeout.
fn block_for<T>(
    rt: &Runtime,
    within: Duration,
    fut: impl std::future::Future<Output = T>,
) -> Option<T> {
    rt.block_on(async { tokio::time::timeout(within, fut).await.ok() })
}

/// A [`Socket`] for blocking code.
pub struct BlockingSocket {
    rt: Arc<OwnedRuntime>,
    socket: Socket,
    events: std::sync::Mutex<tokio::sync::broadcast::Receiver<SocketEvent>>,
}

impl BlockingSocket {
    /// Starts connecting in the background.
    pub fn connect(url: &str, options: SocketOptions) -> Result<BlockingSocket, ClientError> {
        let rt = runtime()?;
        let socket = rt.block_on(async { Socket::connect(url, options) })?;
        let events = std::sync::Mutex::new(socket.events());
        Ok(BlockingSocket { rt, socket, events })
    }

    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Waits until open; returns the socket id.
    pub fn wait_open(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.socket.wait_open(within))
    }

    pub fn id(&self) -> Option<String> {
        self.socket.id()
    }

    pub fn state(&self) -> ConnectionState {
        self.socket.state()
    }

    /// The next connection event, waiting up to `within`.
    pub fn next_event(&self, within: Duration) -> Option<SocketEvent> {
        let mut rx = self.events.lock().unwrap_or_else(|p| p.into_inner());
        block_for(&self.rt, within, async {
            loop {
                match rx.recv().await {
                    Ok(e) => return Some(e),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                }
            }
        })
        .flatten()
    }

    pub fn emit(&self, event: &str, data: Option<&str>) -> Result<(), ClientError> {
        self.socket.emit(event, data)
    }

    /// Invokes and waits for the answer (up to the socket's ack timeout); returns the
    /// answer's data as JSON.
    pub fn invoke(&self, event: &str, data: Option<&str>) -> Result<String, ClientError> {
        self.rt
            .block_on(self.socket.invoke(event, data))
            .map(|d| d.get().to_owned())
    }

    pub fn subscribe(&self, channel: &str) -> Result<BlockingSubscription, ClientError> {
        let sub = self.socket.subscribe(channel)?;
        Ok(BlockingSubscription {
            rt: self.rt.clone(),
            sub,
        })
    }

    pub fn unsubscribe(&self, channel: &str) -> Result<(), ClientError> {
        self.socket.unsubscribe(channel)
    }

    pub fn wait_subscribed(&self, channel: &str, within: Duration) -> Result<(), ClientError> {
        self.rt
            .block_on(self.socket.wait_subscribed(channel, within))
    }

    /// Data of events named `event`.
    pub fn on(&self, event: &str) -> BlockingEvents {
        BlockingEvents {
            rt: self.rt.clone(),
            stream: self.socket.on(event),
        }
    }

    pub fn close(&self) {
        self.rt.block_on(self.socket.close());
    }
}

impl Drop for BlockingSocket {
    fn drop(&mut self) {
        close_on_drop(&self.rt, &self.socket);
    }
}

/// Messages of one channel, pulled with a timeout.
pub struct BlockingSubscription {
    rt: Arc<OwnedRuntime>,
    sub: Subscription,
}

impl BlockingSubscription {
    pub fn channel(&self) -> &str {
        self.sub.channel()
    }

    /// The next message as JSON; `None` on timeout or once the subscription ended.
    pub fn recv(&mut self, within: Duration) -> Option<String> {
        let sub = &mut self.sub;
        block_for(&self.rt, within, sub.next())
            .flatten()
            .map(|d| d.get().to_owned())
    }
}

/// Events of one name, pulled with a timeout.
pub struct BlockingEvents {
    rt: Arc<OwnedRuntime>,
    stream: EventStream,
}

impl BlockingEvents {
    pub fn recv(&mut self, within: Duration) -> Option<String> {
        let stream = &mut self.stream;
        block_for(&self.rt, within, stream.next())
            .flatten()
            .map(|d| d.get().to_owned())
    }
}

/// An [`AppClient`] for blocking code.
pub struct BlockingApp {
    rt: Arc<OwnedRuntime>,
    app: AppClient,
}

impl BlockingApp {
    pub fn connect(options: AppOptions) -> Result<BlockingApp, ClientError> {
        let rt = runtime()?;
        let app = rt.block_on(async { AppClient::connect(options) })?;
        Ok(BlockingApp { rt, app })
    }

    pub fn app(&self) -> &AppClient {
        &self.app
    }

    /// Waits until connected and logged in; returns the socket id.
    pub fn wait_ready(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.app.wait_ready(within))
    }

    pub fn id(&self) -> Option<String> {
        self.app.socket().id()
    }

    pub fn init(&self, state: &str) -> Result<(), ClientError> {
        self.app.init(state)
    }

    pub fn send(&self, action: &str, state: &str) -> Result<(), ClientError> {
        self.app.send(action, state)
    }

    pub fn send_state(&self, lifted: &str) -> Result<(), ClientError> {
        self.app.send_state(lifted)
    }

    /// [`AppClient::upload_report`]: uploads the lifted state as a report; its id.
    pub fn upload_report(&self, lifted_state: &str) -> Result<String, ClientError> {
        self.rt.block_on(self.app.upload_report(lifted_state))
    }

    /// [`AppClient::upload_report_body`]: uploads a whole report body; its id.
    pub fn upload_report_body(&self, body: &str) -> Result<String, ClientError> {
        self.rt.block_on(self.app.upload_report_body(body))
    }

    /// The next monitor command, waiting up to `within`.
    pub fn recv(&self, within: Duration) -> Option<Command> {
        block_for(&self.rt, within, self.app.recv()).flatten()
    }

    /// The next monitor command with its `instanceId` and JSON text.
    pub fn recv_message(&self, within: Duration) -> Option<CommandMessage> {
        block_for(&self.rt, within, self.app.recv_message()).flatten()
    }

    pub fn close(&self) {
        self.rt.block_on(self.app.close());
    }
}

impl Drop for BlockingApp {
    fn drop(&mut self) {
        close_on_drop(&self.rt, self.app.socket());
    }
}

/// A [`MonitorClient`] for blocking code.
pub struct BlockingMonitor {
    rt: Arc<OwnedRuntime>,
    monitor: MonitorClient,
}

impl BlockingMonitor {
    pub fn connect(options: MonitorOptions) -> Result<BlockingMonitor, ClientError> {
        let rt = runtime()?;
        let monitor = rt.block_on(async { MonitorClient::connect(options) })?;
        Ok(BlockingMonitor { rt, monitor })
    }

    pub fn monitor(&self) -> &MonitorClient {
        &self.monitor
    }

    pub fn wait_ready(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.monitor.wait_ready(within))
    }

    /// The next app message or report notification, waiting up to `within`.
    pub fn recv(&self, within: Duration) -> Option<MonitorEvent> {
        block_for(&self.rt, within, self.monitor.recv()).flatten()
    }

    pub fn send_to(&self, connection_id: &str, command: &str) -> Result<(), ClientError> {
        self.monitor.send_to(connection_id, command)
    }

    pub fn broadcast(&self, command: &str) -> Result<(), ClientError> {
        self.monitor.broadcast(command)
    }

    /// [`MonitorClient::get_report`]: one report's full row, `None` if unknown.
    pub fn get_report(&self, id: &str) -> Result<Option<String>, ClientError> {
        self.rt.block_on(self.monitor.get_report(id))
    }

    /// [`MonitorClient::list_reports`]: stored reports as a JSON array.
    pub fn list_reports(
        &self,
        query: Option<&str>,
        fields: &[&str],
    ) -> Result<String, ClientError> {
        self.rt.block_on(self.monitor.list_reports(query, fields))
    }

    pub fn close(&self) {
        self.rt.block_on(self.monitor.close());
    }
}

impl Drop for BlockingMonitor {
    fn drop(&mut self) {
        close_on_drop(&self.rt, self.monitor.socket());
    }
}
