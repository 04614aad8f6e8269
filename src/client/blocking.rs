//! Blocking facades over the async clients, for code without an async runtime (and for
//! the C and Python bindings, which use nothing else). Each owns a small tokio runtime;
//! every call blocks the calling thread only, and several threads may call at once.
//!
//! Every handle has `state()`, `is_closed()` and `last_error()`, and every
//! `recv(within)` answers with a [`Recv`]: a message, `TimedOut` or `Closed`.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use super::app::{AppClient, AppOptions};
use super::error::ClientError;
use super::monitor::{MonitorClient, MonitorEvent, MonitorOptions};
use super::recv::Recv;
use super::socket::{
    ConnectionState, EventStream, Socket, SocketEvent, SocketOptions, Subscription,
};
use crate::protocol::message::{Command, CommandMessage};

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
        .map_err(|e| ClientError::Io(Arc::new(e)))
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

/// Waits up to `within` for a stream's next item (`None` from the stream: it ended).
fn recv_within<T>(
    rt: &Runtime,
    within: Duration,
    next: impl std::future::Future<Output = Option<T>>,
) -> Recv<T> {
    Recv::from_wait(rt.block_on(async { tokio::time::timeout(within, next).await.ok() }))
}

/// `id`, `state`, `is_closed` and `last_error`, which every blocking handle has, read
/// from the socket at `self.<path>`.
macro_rules! connection_getters {
    ($($path:tt)+) => {
        /// The socket id while connected.
        pub fn id(&self) -> Option<String> {
            self.$($path)+.id()
        }

        /// Where the connection is.
        pub fn state(&self) -> ConnectionState {
            self.$($path)+.state()
        }

        /// Whether the handle is closed for good: no message will come any more.
        pub fn is_closed(&self) -> bool {
            self.$($path)+.is_closed()
        }

        /// Why the latest connection attempt or connection failed, while the client
        /// retries in the background ([`Socket::last_error`]).
        pub fn last_error(&self) -> Option<ClientError> {
            self.$($path)+.last_error()
        }
    };
}

/// A [`Socket`] for blocking code.
pub struct BlockingSocket {
    rt: Arc<OwnedRuntime>,
    socket: Socket,
    events: std::sync::Mutex<tokio::sync::broadcast::Receiver<SocketEvent>>,
}

impl BlockingSocket {
    /// [`Socket::create`]: a socket that connects in the background at once.
    ///
    /// # Errors
    /// As [`Socket::create`]; [`ClientError::Io`] when the runtime cannot start.
    pub fn create(url: &str, options: SocketOptions) -> Result<BlockingSocket, ClientError> {
        let rt = runtime()?;
        let (socket, listener) =
            rt.block_on(async { Socket::create_with_listener(url, options) })?;
        let events = std::sync::Mutex::new(listener);
        Ok(BlockingSocket { rt, socket, events })
    }

    /// The async socket underneath.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// [`Socket::connect`]: waits until open; returns the socket id.
    ///
    /// # Errors
    /// As [`Socket::connect`].
    pub fn connect(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.socket.connect(within))
    }

    connection_getters!(socket);

    /// The next socket event, waiting up to `within`.
    pub fn next_event(&self, within: Duration) -> Recv<SocketEvent> {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        let mut rx = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = self.socket.watch_state();
        recv_within(&self.rt, within, async {
            loop {
                // Events sent before the socket closed are returned first; once the
                // socket is closed and they are read, the stream has ended.
                match rx.try_recv() {
                    Ok(e) => return Some(e),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(TryRecvError::Closed) => return None,
                    Err(TryRecvError::Empty) if self.socket.is_closed() => return None,
                    Err(TryRecvError::Empty) => {}
                }
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(e) => return Some(e),
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = state.wait_for(|s| *s == ConnectionState::Closed) => {}
                }
            }
        })
    }

    /// [`Socket::transmit`].
    ///
    /// # Errors
    /// As [`Socket::transmit`].
    pub fn transmit(&self, event: &str, data: Option<&str>) -> Result<(), ClientError> {
        self.socket.transmit(event, data)
    }

    /// Invokes and waits for the answer (up to the socket's ack timeout); returns the
    /// answer's data as JSON.
    ///
    /// # Errors
    /// As [`Socket::invoke`].
    pub fn invoke(&self, event: &str, data: Option<&str>) -> Result<String, ClientError> {
        self.rt
            .block_on(self.socket.invoke(event, data))
            .map(|d| d.get().to_owned())
    }

    /// [`Socket::subscribe`].
    ///
    /// # Errors
    /// As [`Socket::subscribe`].
    pub fn subscribe(&self, channel: &str) -> Result<BlockingSubscription, ClientError> {
        let sub = self.socket.subscribe(channel)?;
        Ok(BlockingSubscription {
            rt: self.rt.clone(),
            sub,
        })
    }

    /// [`Socket::unsubscribe`].
    ///
    /// # Errors
    /// As [`Socket::unsubscribe`].
    pub fn unsubscribe(&self, channel: &str) -> Result<(), ClientError> {
        self.socket.unsubscribe(channel)
    }

    /// [`Socket::wait_subscribed`].
    ///
    /// # Errors
    /// As [`Socket::wait_subscribed`].
    pub fn wait_subscribed(&self, channel: &str, within: Duration) -> Result<(), ClientError> {
        self.rt
            .block_on(self.socket.wait_subscribed(channel, within))
    }

    /// Data of server events named `event` ([`Socket::receiver`]).
    pub fn receiver(&self, event: &str) -> BlockingEvents {
        BlockingEvents {
            rt: self.rt.clone(),
            stream: self.socket.receiver(event),
        }
    }

    /// Closes with 1000 and waits for the connection to end.
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
    /// The channel's name.
    pub fn channel(&self) -> &str {
        self.sub.channel()
    }

    /// The next message as JSON; `Closed` once unsubscribed or the socket closed.
    pub fn recv(&mut self, within: Duration) -> Recv<String> {
        let sub = &mut self.sub;
        recv_within(&self.rt, within, sub.next()).map(|d| d.get().to_owned())
    }
}

/// Events of one name, pulled with a timeout.
pub struct BlockingEvents {
    rt: Arc<OwnedRuntime>,
    stream: EventStream,
}

impl BlockingEvents {
    /// The next event's data as JSON; `Closed` once the socket closed.
    pub fn recv(&mut self, within: Duration) -> Recv<String> {
        let stream = &mut self.stream;
        recv_within(&self.rt, within, stream.next()).map(|d| d.get().to_owned())
    }
}

/// An [`AppClient`] for blocking code.
pub struct BlockingApp {
    rt: Arc<OwnedRuntime>,
    app: AppClient,
}

impl BlockingApp {
    /// [`AppClient::start`]: an app client that connects in the background at once.
    ///
    /// # Errors
    /// As [`AppClient::start`]; [`ClientError::Io`] when the runtime cannot start.
    pub fn start(options: AppOptions) -> Result<BlockingApp, ClientError> {
        let rt = runtime()?;
        let app = rt.block_on(async { AppClient::start(options) })?;
        Ok(BlockingApp { rt, app })
    }

    /// The async client underneath.
    pub fn app(&self) -> &AppClient {
        &self.app
    }

    /// [`AppClient::connect`]: waits until connected and logged in; the socket id.
    ///
    /// # Errors
    /// As [`AppClient::connect`].
    pub fn connect(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.app.connect(within))
    }

    connection_getters!(app.socket());

    /// [`AppClient::init`].
    ///
    /// # Errors
    /// As [`AppClient::init`].
    pub fn init(&self, state: &str) -> Result<(), ClientError> {
        self.app.init(state)
    }

    /// [`AppClient::send`].
    ///
    /// # Errors
    /// As [`AppClient::send`].
    pub fn send(&self, action: &str, state: &str) -> Result<(), ClientError> {
        self.app.send(action, state)
    }

    /// [`AppClient::send_state`].
    ///
    /// # Errors
    /// As [`AppClient::send_state`].
    pub fn send_state(&self, lifted: &str) -> Result<(), ClientError> {
        self.app.send_state(lifted)
    }

    /// [`AppClient::upload_report`]: uploads the lifted state as a report; its id.
    ///
    /// # Errors
    /// As [`AppClient::upload_report`].
    pub fn upload_report(&self, lifted_state: &str) -> Result<String, ClientError> {
        self.rt.block_on(self.app.upload_report(lifted_state))
    }

    /// [`AppClient::upload_report_body`]: uploads a whole report body; its id.
    ///
    /// # Errors
    /// As [`AppClient::upload_report_body`].
    pub fn upload_report_body(&self, body: &str) -> Result<String, ClientError> {
        self.rt.block_on(self.app.upload_report_body(body))
    }

    /// The next monitor command, waiting up to `within`.
    pub fn recv(&self, within: Duration) -> Recv<Command> {
        self.recv_message(within).map(|m| m.command)
    }

    /// The next monitor command with its `instanceId` and JSON text.
    pub fn recv_message(&self, within: Duration) -> Recv<CommandMessage> {
        recv_within(&self.rt, within, self.app.recv_message())
    }

    /// Disconnects for good.
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
    /// [`MonitorClient::start`]: a monitor that connects in the background at once.
    ///
    /// # Errors
    /// As [`MonitorClient::start`]; [`ClientError::Io`] when the runtime cannot start.
    pub fn start(options: MonitorOptions) -> Result<BlockingMonitor, ClientError> {
        let rt = runtime()?;
        let monitor = rt.block_on(async { MonitorClient::start(options) })?;
        Ok(BlockingMonitor { rt, monitor })
    }

    /// The async client underneath.
    pub fn monitor(&self) -> &MonitorClient {
        &self.monitor
    }

    /// [`MonitorClient::connect`]: waits until connected with `log` subscribed and the
    /// broadcast `START` queued.
    ///
    /// # Errors
    /// As [`MonitorClient::connect`].
    pub fn connect(&self, within: Duration) -> Result<String, ClientError> {
        self.rt.block_on(self.monitor.connect(within))
    }

    connection_getters!(monitor.socket());

    /// The next app message or report notification, waiting up to `within`.
    pub fn recv(&self, within: Duration) -> Recv<MonitorEvent> {
        recv_within(&self.rt, within, self.monitor.recv())
    }

    /// [`MonitorClient::send_to`].
    ///
    /// # Errors
    /// As [`MonitorClient::send_to`].
    pub fn send_to(&self, connection_id: &str, command: &str) -> Result<(), ClientError> {
        self.monitor.send_to(connection_id, command)
    }

    /// [`MonitorClient::broadcast`].
    ///
    /// # Errors
    /// As [`MonitorClient::broadcast`].
    pub fn broadcast(&self, command: &str) -> Result<(), ClientError> {
        self.monitor.broadcast(command)
    }

    /// [`MonitorClient::get_report`]: one report's full row, `None` if unknown.
    ///
    /// # Errors
    /// As [`MonitorClient::get_report`].
    pub fn get_report(&self, id: &str) -> Result<Option<String>, ClientError> {
        self.rt.block_on(self.monitor.get_report(id))
    }

    /// [`MonitorClient::list_reports`]: stored reports as a JSON array.
    ///
    /// # Errors
    /// As [`MonitorClient::list_reports`].
    pub fn list_reports(
        &self,
        query: Option<&str>,
        fields: &[&str],
    ) -> Result<String, ClientError> {
        self.rt.block_on(self.monitor.list_reports(query, fields))
    }

    /// Disconnects for good.
    pub fn close(&self) {
        self.rt.block_on(self.monitor.close());
    }
}

impl Drop for BlockingMonitor {
    fn drop(&mut self) {
        close_on_drop(&self.rt, self.monitor.socket());
    }
}
