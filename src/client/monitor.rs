//! The RemoteDev monitor client (relay spec §9, the Redux DevTools app's flow): logs in
//! as a monitor, subscribes `log` and `report`, broadcasts `START` once `log` is
//! subscribed, answers each app's `START` with a targeted `START`, and hands app
//! messages to the host as typed values.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::app::next;
use super::error::ClientError;
use super::socket::{ConnectionState, Data, Socket, SocketOptions};
use crate::protocol::encode;
use crate::protocol::message::AppMessage;

/// Monitor client settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MonitorOptions {
    /// `ws://host:port/socketcluster/`.
    pub url: String,
    /// Answer an app's `START` with a targeted `START` (what the DevTools app does), so
    /// the app sends its state. Default on.
    pub answer_start: bool,
    /// The socket's settings.
    pub socket: SocketOptions,
}

impl MonitorOptions {
    /// Options for the relay at `url`, with defaults.
    pub fn new(url: impl Into<String>) -> MonitorOptions {
        MonitorOptions {
            url: url.into(),
            answer_start: true,
            socket: SocketOptions::default(),
        }
    }
}

/// What a monitor receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    /// A message from an app on `log`.
    App(AppMessage),
    /// A report-store notification on `report` (JSON, e.g. `{"type":"add",…}`).
    Report(String),
}

/// A RemoteDev monitor connection (async API).
pub struct MonitorClient {
    socket: Socket,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<MonitorEvent>>,
    options: Arc<MonitorOptions>,
    /// The connection id whose login and broadcast `START` are done (or failed).
    announced: watch::Receiver<Option<String>>,
}

impl MonitorClient {
    /// Creates the monitor client; it connects in the background at once and logs in
    /// after every (re)connect. Wait for it with [`MonitorClient::connect`]. Must be
    /// called inside a tokio runtime.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`], [`ClientError::InvalidUrl`].
    pub fn start(options: MonitorOptions) -> Result<MonitorClient, ClientError> {
        options.socket.validate()?;
        let socket = Socket::create(&options.url, options.socket.clone())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (announce, announced) = watch::channel(None);
        let options = Arc::new(options);
        tokio::spawn(run(socket.clone(), options.clone(), tx, announce));
        Ok(MonitorClient {
            socket,
            events: tokio::sync::Mutex::new(rx),
            options,
            announced,
        })
    }

    /// The underlying SocketCluster socket.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Waits until connected with `log` subscribed and the broadcast `START` queued
    /// on this connection; at once if it is. Returns the socket id.
    ///
    /// Waiting for the `START` matters to whoever connects an app next: an app that
    /// logs in before it would get it late and replay its history a second time.
    ///
    /// # Errors
    /// As [`Socket::connect`], plus [`ClientError::Remote`] if `log` is refused,
    /// [`ClientError::Auth`] when the relay refuses it for want of a valid
    /// `auth_token`, and [`ClientError::Timeout`] when `within` passes first.
    pub async fn connect(&self, within: Duration) -> Result<String, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        let left = || deadline.saturating_duration_since(tokio::time::Instant::now());
        let id = self.socket.connect(within).await?;
        self.socket.wait_subscribed("log", left()).await?;
        let mut announced = self.announced.clone();
        let done = async {
            let seen = announced.wait_for(|a| a.as_deref() == Some(id.as_str()));
            seen.await.map(drop)
        };
        match tokio::time::timeout(left(), done).await {
            Ok(Ok(_)) => Ok(id),
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout(within.as_millis() as u64)),
        }
    }

    /// The next app message or report notification; `None` once closed.
    pub async fn recv(&self) -> Option<MonitorEvent> {
        self.events.lock().await.recv().await
    }

    /// An event if one is waiting.
    pub fn try_recv(&self) -> Option<MonitorEvent> {
        self.events.try_lock().ok()?.try_recv().ok()
    }

    /// Sends a command (JSON, e.g. `{"type":"DISPATCH",…}`) to the app connection
    /// `connection_id` only (on `sc-<connection_id>`).
    ///
    /// # Errors
    /// [`ClientError::InvalidArgument`] for an empty id, [`ClientError::InvalidJson`],
    /// [`ClientError::Closed`].
    pub fn send_to(&self, connection_id: &str, command: &str) -> Result<(), ClientError> {
        if connection_id.is_empty() {
            return Err(ClientError::InvalidArgument("empty connection id".into()));
        }
        self.socket
            .transmit(&format!("sc-{connection_id}"), Some(command))
    }

    /// Sends a command to every app (on `respond`).
    ///
    /// # Errors
    /// [`ClientError::InvalidJson`], [`ClientError::Closed`].
    pub fn broadcast(&self, command: &str) -> Result<(), ClientError> {
        self.socket.transmit("respond", Some(command))
    }

    /// One stored report, full row as JSON (`getReport`, relay spec §6.4), or `None`
    /// when the relay has no report with this id. Waits for the connection.
    ///
    /// # Errors
    /// [`ClientError::InvalidArgument`] for an empty id; as [`Socket::connect`] while
    /// not connected; [`ClientError::Remote`] / [`ClientError::Timeout`] from the invoke.
    pub async fn get_report(&self, id: &str) -> Result<Option<String>, ClientError> {
        if id.is_empty() {
            return Err(ClientError::InvalidArgument("empty report id".into()));
        }
        self.socket
            .connect(self.options.socket.connect_timeout)
            .await?;
        let data = self
            .socket
            .invoke("getReport", Some(&encode::json_str(id)))
            .await?;
        let text = data.get();
        if text == "null" {
            return Ok(None);
        }
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(text) {
            if m.len() == 1 {
                if let Some(serde_json::Value::String(e)) = m.get("error") {
                    return Err(ClientError::Remote(crate::protocol::ErrorObject::new(
                        "ReportError",
                        e.clone(),
                    )));
                }
            }
        }
        Ok(Some(text.to_owned()))
    }

    /// Stored reports as a JSON array, oldest first (`POST /` with `op: "list"`, relay
    /// spec §6.2). `query` is a JSON object of `column: value` equality filters;
    /// `fields` the columns to return (empty: `id`, `title`, `added`). The same list
    /// also arrives as a [`MonitorEvent::Report`] `{"type":"list",…}` after each
    /// (re)connect.
    ///
    /// # Errors
    /// [`ClientError::InvalidJson`] for a `query` that is not a JSON object;
    /// [`ClientError::Connect`] / [`ClientError::Timeout`] from the HTTP request;
    /// [`ClientError::Remote`] with the relay's message when it refuses the query.
    pub async fn list_reports(
        &self,
        query: Option<&str>,
        fields: &[&str],
    ) -> Result<String, ClientError> {
        let mut body = serde_json::json!({ "op": "list" });
        if let Some(q) = query {
            body["query"] = serde_json::from_str(q).map_err(ClientError::json)?;
        }
        if !fields.is_empty() {
            body["fields"] = serde_json::json!(fields);
        }
        let o = &self.options;
        let answer = super::reports::request(&o.url, &o.socket, body.to_string()).await?;
        Ok(answer.to_string())
    }

    /// Disconnects for good.
    pub async fn close(&self) {
        self.socket.close().await;
    }
}

async fn run(
    socket: Socket,
    options: Arc<MonitorOptions>,
    tx: mpsc::UnboundedSender<MonitorEvent>,
    announce: watch::Sender<Option<String>>,
) {
    let mut states = socket.watch_state();
    let mut log = socket.subscribe("log").ok();
    let mut reports = socket.subscribe("report").ok();
    // remotedev-server sends targeted messages and the report list as events.
    let mut log_events = socket.receiver("log");
    let mut report_events = socket.receiver("report");
    loop {
        let state = states.borrow_and_update().clone();
        match state {
            ConnectionState::Closed => return,
            ConnectionState::Open { id, .. } => {
                if let Err(e) = socket.invoke("login", Some("{}")).await {
                    tracing::warn!("monitor login failed: {e}");
                } else if socket
                    .wait_subscribed("log", options.socket.ack_timeout)
                    .await
                    .is_ok()
                {
                    let _ = socket.transmit("respond", Some(r#"{"type":"START"}"#));
                }
                announce.send_replace(Some(id));
            }
            _ => {}
        }
        loop {
            let event = tokio::select! {
                changed = states.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                Some(d) = next(&mut log) => app_event(&socket, &options, &d),
                Some(d) = log_events.next() => app_event(&socket, &options, &d),
                Some(d) = next(&mut reports) => Some(MonitorEvent::Report(d.get().to_owned())),
                Some(d) = report_events.next() => Some(MonitorEvent::Report(d.get().to_owned())),
            };
            if let Some(event) = event {
                if tx.send(event).is_err() {
                    return;
                }
            }
        }
    }
}

fn app_event(socket: &Socket, options: &MonitorOptions, data: &Data) -> Option<MonitorEvent> {
    let message = AppMessage::parse(data.get())?;
    if options.answer_start && message.kind == "START" {
        if let Some(id) = &message.connection_id {
            let _ = socket.transmit(&format!("sc-{id}"), Some(r#"{"type":"START"}"#));
        }
    }
    Some(MonitorEvent::App(message))
}
