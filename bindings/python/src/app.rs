//! `NativeApp`: an instrumented app over the core's `BlockingApp` (`remotedev.Client` and
//! `remotedev.AsyncClient` wrap it). Commands reach Python as [`CommandFields`], the
//! core's one flattening of a monitor command (`Command::fields`).

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyString;

use remotedev::client::{AppOptions, BlockingApp, ClientError, Command};

use crate::client::{impl_client, native_client, Handle};
use crate::convert::{json_text, opt_plain_text, size, Connection};
use crate::errors::client_err;

/// A monitor command as the core's named fields (see `remotedev::client::CommandFields`):
/// `kind` is the message type; `action`, `state`, `connection_id` and `raw` are set as
/// the core's table says (`raw` only for types the core does not know).
#[pyclass(module = "remotedev._remotedev", frozen, get_all)]
pub(crate) struct CommandFields {
    kind: String,
    action: Option<String>,
    state: Option<String>,
    connection_id: Option<String>,
    raw: Option<String>,
}

impl From<Command> for CommandFields {
    fn from(command: Command) -> Self {
        let f = command.fields();
        CommandFields {
            kind: f.kind.to_owned(),
            action: f.action.map(str::to_owned),
            state: f.state.map(str::to_owned),
            connection_id: f.connection_id.map(str::to_owned),
            raw: f.raw.map(str::to_owned),
        }
    }
}

impl_client!(BlockingApp, app, Command => CommandFields, CommandFields::from);

/// An instrumented app. Options left `None` keep the core's defaults
/// (`AppOptions::new`); the core checks them all.
#[pyclass(module = "remotedev._remotedev", frozen)]
pub(crate) struct NativeApp {
    handle: Handle<BlockingApp>,
    instance_id: String,
    url: String,
}

native_client!(NativeApp, CommandFields, {
    #[new]
    #[pyo3(signature = (connection, name=None, instance_id=None, max_age=None, queue_limit=None))]
    fn new(
        py: Python<'_>,
        connection: Connection<'_>,
        name: Option<Bound<'_, PyString>>,
        instance_id: Option<Bound<'_, PyString>>,
        max_age: Option<i64>,
        queue_limit: Option<i64>,
    ) -> PyResult<Self> {
        let mut o = AppOptions::new(connection.url()?);
        if let Some(name) = opt_plain_text("name", name.as_ref())? {
            o.name = name;
        }
        if let Some(id) = opt_plain_text("instance_id", instance_id.as_ref())? {
            o.instance_id = id;
        }
        if let Some(n) = max_age {
            o.max_age = size("max_age", n)?;
        }
        if let Some(n) = queue_limit {
            o.queue_limit = size("queue_limit", n)?;
        }
        o.socket = connection.socket_options(o.socket)?;
        let url = o.url.clone();
        let app = py.detach(|| BlockingApp::start(o)).map_err(client_err)?;
        Ok(NativeApp {
            instance_id: app.app().instance_id().to_owned(),
            url,
            handle: Handle::new(app),
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
    fn streaming(&self) -> bool {
        self.handle.get().app().is_streaming()
    }

    #[getter]
    fn dropped(&self) -> u64 {
        self.handle.get().app().dropped()
    }

    /// `INIT` with `state` (JSON text). Never waits for the network.
    fn init(&self, py: Python<'_>, state: Bound<'_, PyString>) -> PyResult<()> {
        let (app, state) = (self.handle.get(), json_text(&state)?);
        py.detach(|| app.init(&state)).map_err(client_err)
    }

    /// `ACTION` with `action` and `state` (JSON texts). Never waits for the network.
    fn send(
        &self,
        py: Python<'_>,
        action: Bound<'_, PyString>,
        state: Bound<'_, PyString>,
    ) -> PyResult<()> {
        let (app, action, state) = (self.handle.get(), json_text(&action)?, json_text(&state)?);
        py.detach(|| app.send(&action, &state)).map_err(client_err)
    }

    /// `STATE` with a lifted state (JSON text). Never waits for the network.
    fn send_state(&self, py: Python<'_>, lifted: Bound<'_, PyString>) -> PyResult<()> {
        let (app, lifted) = (self.handle.get(), json_text(&lifted)?);
        py.detach(|| app.send_state(&lifted)).map_err(client_err)
    }
});
