//! What `NativeApp` and `NativeMonitor` share, written once: connecting with the cause of
//! a failure, state and `last_error`, pulling with `recv` (a closed client raises
//! `ClosedError` at once), the callback thread (the core's [`Pump`], which takes the GIL
//! only to call Python), closing, and the asyncio variants. [`native_client!`] writes the
//! Python methods of both classes from [`Handle`].

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use remotedev::client::{ClientError, Pump, Recv, Socket};

use crate::convert::{lock, next_within, opt_secs, secs, wait, wait_connected};
use crate::errors::{client_err, error_text};

/// A blocking client of the core (`BlockingApp`, `BlockingMonitor`) as the binding
/// uses it.
pub(crate) trait Client: Send + Sync + 'static {
    /// What `recv` yields.
    type Item: Send + 'static;
    /// The Python value of an item.
    type Out: for<'py> IntoPyObject<'py> + Send + 'static;

    fn to_python(item: Self::Item) -> Self::Out;
    fn socket(&self) -> &Socket;
    fn connect(&self, within: Duration) -> Result<String, ClientError>;
    fn recv(&self, within: Duration) -> Recv<Self::Item>;
    fn close(&self);
    fn connect_async(
        &self,
        within: Duration,
    ) -> impl Future<Output = Result<String, ClientError>> + Send;
    fn next_async(&self) -> impl Future<Output = Option<Self::Item>> + Send;
    fn close_async(&self) -> impl Future<Output = ()> + Send;
}

/// A client shared with pending asyncio futures and its callback thread.
pub(crate) struct Handle<C: Client> {
    client: Arc<C>,
    pump: Mutex<Option<Pump>>,
}

impl<C: Client> Handle<C> {
    pub(crate) fn new(client: C) -> Self {
        Handle {
            client: Arc::new(client),
            pump: Mutex::new(None),
        }
    }

    pub(crate) fn get(&self) -> &C {
        &self.client
    }

    pub(crate) fn id(&self) -> Option<String> {
        self.client.socket().id()
    }

    pub(crate) fn state(&self) -> &'static str {
        self.client.socket().state().name()
    }

    pub(crate) fn closed(&self) -> bool {
        self.client.socket().is_closed()
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        error_text(self.client.socket().last_error())
    }

    pub(crate) fn connect(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
        let c = &*self.client;
        wait_connected(py, timeout, |w| c.connect(w), || c.socket().is_closed())
    }

    pub(crate) fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<C::Out> {
        let c = &*self.client;
        wait(py, timeout, |w| c.recv(w)).map(C::to_python)
    }

    /// Calls `callback(item)` for every item on one thread the core owns (named
    /// `name`), until the client is closed. Exceptions of the callback are printed.
    pub(crate) fn call_back(&self, callback: Py<PyAny>, name: &str) -> PyResult<()> {
        let mut slot = lock(&self.pump);
        if slot.is_some() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "a callback was already set",
            ));
        }
        let client = self.client.clone();
        let pump = Pump::start(
            name,
            move |w| client.recv(w),
            move |item| {
                Python::attach(|py| {
                    if let Err(e) = callback.call1(py, (C::to_python(item),)) {
                        e.print(py);
                    }
                })
            },
            || {},
        )
        .map_err(|e| client_err(ClientError::Io(Arc::new(e))))?;
        *slot = Some(pump);
        Ok(())
    }

    /// Closes for good, then stops the callback thread (waiting for a running callback
    /// unless called from it).
    pub(crate) fn close(&self, py: Python<'_>) {
        let pump = lock(&self.pump).take();
        let c = &*self.client;
        py.detach(move || {
            c.close();
            if let Some(pump) = pump {
                pump.stop();
            }
        });
    }

    pub(crate) fn connect_async<'py>(
        &self,
        py: Python<'py>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let within = secs("timeout", timeout)?;
        let c = self.client.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            c.connect_async(within).await.map_err(client_err)
        })
    }

    pub(crate) fn recv_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let within = opt_secs("timeout", timeout)?;
        let c = self.client.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            next_within(within, c.next_async()).await.map(C::to_python)
        })
    }

    pub(crate) fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            c.close_async().await;
            Ok(())
        })
    }
}

impl<C: Client> Drop for Handle<C> {
    /// The pump's thread may be waiting for the GIL, which the dropping thread holds:
    /// stop it from another thread.
    fn drop(&mut self) {
        if let Some(pump) = lock(&self.pump).take() {
            std::thread::spawn(move || pump.stop());
        }
    }
}

/// Implements [`Client`] for a blocking client of the core: `$inner` names its async
/// client (`app`, `monitor`), `$to_python` turns an item into its Python value.
macro_rules! impl_client {
    ($blocking:ty, $inner:ident, $item:ty => $out:ty, $to_python:expr) => {
        impl $crate::client::Client for $blocking {
            type Item = $item;
            type Out = $out;

            fn to_python(item: $item) -> $out {
                $to_python(item)
            }
            fn socket(&self) -> &remotedev::client::Socket {
                self.$inner().socket()
            }
            fn connect(&self, within: Duration) -> Result<String, ClientError> {
                <$blocking>::connect(self, within)
            }
            fn recv(&self, within: Duration) -> remotedev::client::Recv<$item> {
                <$blocking>::recv(self, within)
            }
            fn close(&self) {
                <$blocking>::close(self)
            }
            fn connect_async(
                &self,
                within: Duration,
            ) -> impl std::future::Future<Output = Result<String, ClientError>> + Send {
                self.$inner().connect(within)
            }
            fn next_async(&self) -> impl std::future::Future<Output = Option<$item>> + Send {
                self.$inner().recv()
            }
            fn close_async(&self) -> impl std::future::Future<Output = ()> + Send {
                self.$inner().close()
            }
        }
    };
}

pub(crate) use impl_client;

/// The Python methods every client class has, forwarding to its `handle` ([`Handle`]),
/// plus the class's own methods given in braces.
macro_rules! native_client {
    ($class:ident, $out:ty, { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            /// The socket id of the current connection (None while not connected).
            #[getter]
            fn id(&self) -> Option<String> {
                self.handle.id()
            }

            /// `connecting`, `open`, `disconnected` or `closed`.
            #[getter]
            fn state(&self) -> &'static str {
                self.handle.state()
            }

            #[getter]
            fn closed(&self) -> bool {
                self.handle.closed()
            }

            /// Why the latest connection attempt failed, while retrying in the background.
            #[getter]
            fn last_error(&self) -> Option<String> {
                self.handle.last_error()
            }

            /// Waits until connected (and logged in); returns the socket id.
            fn connect(&self, py: Python<'_>, timeout: f64) -> PyResult<String> {
                self.handle.connect(py, timeout)
            }

            /// The next item; `TimeoutError`, or `ClosedError` once closed.
            #[pyo3(signature = (timeout=None))]
            fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<$out> {
                self.handle.recv(py, timeout)
            }

            /// Calls `callback(item)` for every item on a thread of its own.
            fn call_back(&self, callback: Py<PyAny>, name: String) -> PyResult<()> {
                self.handle.call_back(callback, &name)
            }

            fn close(&self, py: Python<'_>) {
                self.handle.close(py)
            }

            fn connect_async<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
                self.handle.connect_async(py, timeout)
            }

            #[pyo3(signature = (timeout=None))]
            fn recv_async<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
                self.handle.recv_async(py, timeout)
            }

            fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.handle.close_async(py)
            }

            $($own)*
        }
    };
}

pub(crate) use native_client;
