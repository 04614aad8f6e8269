//! `NativeMonitor`: a monitor over the core's `BlockingMonitor` (`remotedev.Monitor` and
//! `remotedev.AsyncMonitor` wrap it). App messages reach Python as [`AppMessageFields`],
//! report notifications as their JSON text.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyString;

use remotedev::client::{
    dispatch_command, AppMessage, BlockingMonitor, ClientError, MonitorEvent, MonitorOptions,
};

use crate::client::{impl_client, native_client, Handle};
use crate::convert::{json_text, opt_json_text, opt_plain_text, plain_text, Connection};
use crate::errors::client_err;

/// A message from an app, as the core parsed it (`payload` and `action` are JSON text
/// decoded from their string form; `raw` is the message as the app sent it).
#[pyclass(module = "remotedev._remotedev", frozen, get_all)]
pub(crate) struct AppMessageFields {
    kind: String,
    connection_id: Option<String>,
    instance_id: Option<String>,
    name: Option<String>,
    payload: Option<String>,
    action: Option<String>,
    raw: String,
}

impl From<AppMessage> for AppMessageFields {
    fn from(m: AppMessage) -> Self {
        AppMessageFields {
            kind: m.kind,
            connection_id: m.connection_id,
            instance_id: m.instance_id,
            name: m.name,
            payload: m.payload,
            action: m.action,
            raw: m.raw,
        }
    }
}

/// What a monitor receives in Python: an app message, or a report notification's JSON.
#[derive(IntoPyObject)]
pub(crate) enum MonitorItem {
    App(AppMessageFields),
    Report(String),
}

impl From<MonitorEvent> for MonitorItem {
    fn from(item: MonitorEvent) -> Self {
        match item {
            MonitorEvent::App(m) => MonitorItem::App(m.into()),
            MonitorEvent::Report(raw) => MonitorItem::Report(raw),
        }
    }
}

impl_client!(BlockingMonitor, monitor, MonitorEvent => MonitorItem, MonitorItem::from);

/// A monitor, like the Redux DevTools app. Options left `None` keep the core's
/// defaults (`MonitorOptions::new`).
#[pyclass(module = "remotedev._remotedev", frozen)]
pub(crate) struct NativeMonitor {
    handle: Handle<BlockingMonitor>,
    url: String,
}

native_client!(NativeMonitor, MonitorItem, {
    #[new]
    #[pyo3(signature = (connection, answer_start=None))]
    fn new(
        py: Python<'_>,
        connection: Connection<'_>,
        answer_start: Option<bool>,
    ) -> PyResult<Self> {
        let mut o = MonitorOptions::new(connection.url()?);
        if let Some(answer) = answer_start {
            o.answer_start = answer;
        }
        o.socket = connection.socket_options(o.socket)?;
        let url = o.url.clone();
        let monitor = py
            .detach(|| BlockingMonitor::start(o))
            .map_err(client_err)?;
        Ok(NativeMonitor {
            handle: Handle::new(monitor),
            url,
        })
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// Sends `command` (JSON text) to the app connection `connection_id` only.
    fn send_to(
        &self,
        connection_id: Bound<'_, PyString>,
        command: Bound<'_, PyString>,
    ) -> PyResult<()> {
        let id = plain_text("connection_id", &connection_id)?;
        let command = json_text(&command)?;
        self.handle.get().send_to(&id, &command).map_err(client_err)
    }

    /// Sends `command` (JSON text) to every app.
    fn broadcast(&self, command: Bound<'_, PyString>) -> PyResult<()> {
        self.handle
            .get()
            .broadcast(&json_text(&command)?)
            .map_err(client_err)
    }
});

/// The `DISPATCH` command the DevTools app sends (built by the core); `action` and
/// `state` are JSON text.
#[pyfunction]
#[pyo3(signature = (action, state=None, instance_id=None))]
pub(crate) fn dispatch_json(
    action: Bound<'_, PyString>,
    state: Option<Bound<'_, PyString>>,
    instance_id: Option<Bound<'_, PyString>>,
) -> PyResult<String> {
    let instance_id = opt_plain_text("instance_id", instance_id.as_ref())?;
    Ok(dispatch_command(
        &json_text(&action)?,
        opt_json_text(&state)?.as_deref(),
        instance_id.as_deref(),
    ))
}
