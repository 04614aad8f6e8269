//! What the three client handles (`remotedev_app`, `remotedev_monitor`,
//! `remotedev_socket`) share: `remotedev_connection_state`, and the code behind their
//! `*_connect`, `*_state`, `*_socket_id`, `*_last_error` and `*_close` entry points,
//! written once over [`Client`]. Also what the app and monitor options builders
//! share: the relay address ([`Address`]) beside the other options ([`ClientBuilder`]).

use std::ffi::c_char;
use std::time::Duration;

use super::{millis, opt_out_arg, out_arg, owned_string, remotedev_status, write, Error, Result};
use crate::client::{
    AppOptions, BlockingApp, BlockingMonitor, BlockingSocket, ClientError, ConnectionState,
    MonitorOptions,
};
use crate::relay::{DEFAULT_HOST, DEFAULT_PORT};

/// Where a client connection is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum remotedev_connection_state {
    /// Connecting (or waiting to reconnect).
    Connecting = 0,
    /// Connected: the SocketCluster handshake is done.
    Open = 1,
    /// The connection was lost; a reconnect may follow.
    Disconnected = 2,
    /// Closed for good.
    Closed = 3,
}

impl From<&ConnectionState> for remotedev_connection_state {
    fn from(s: &ConnectionState) -> Self {
        match s {
            ConnectionState::Connecting => remotedev_connection_state::Connecting,
            ConnectionState::Open { .. } => remotedev_connection_state::Open,
            ConnectionState::Disconnected { .. } => remotedev_connection_state::Disconnected,
            ConnectionState::Closed => remotedev_connection_state::Closed,
        }
    }
}

/// A blocking client facade, as the C handles use it.
pub(crate) trait Client {
    fn connect(&self, within: Duration) -> std::result::Result<String, ClientError>;
    fn id(&self) -> Option<String>;
    fn state(&self) -> ConnectionState;
    fn last_error(&self) -> Option<ClientError>;
    fn close(&self);
}

macro_rules! impl_client {
    ($($t:ty),*) => {$(
        impl Client for $t {
            fn connect(&self, within: Duration) -> std::result::Result<String, ClientError> {
                <$t>::connect(self, within)
            }
            fn id(&self) -> Option<String> {
                <$t>::id(self)
            }
            fn state(&self) -> ConnectionState {
                <$t>::state(self)
            }
            fn last_error(&self) -> Option<ClientError> {
                <$t>::last_error(self)
            }
            fn close(&self) {
                <$t>::close(self)
            }
        }
    )*};
}

impl_client!(BlockingApp, BlockingMonitor, BlockingSocket);

/// `*_connect`: waits up to `timeout_ms`; on success writes the socket id to `id_out`
/// when it is not NULL.
pub(crate) fn connect(
    client: &impl Client,
    timeout_ms: u32,
    id_out: *mut *mut c_char,
) -> Result<()> {
    let id = client.connect(millis(timeout_ms))?;
    if let Some(out) = opt_out_arg(id_out) {
        write(out, owned_string(id));
    }
    Ok(())
}

/// `*_state`.
pub(crate) fn state(client: &impl Client, out: *mut remotedev_connection_state) -> Result<()> {
    let out = out_arg(out, "out")?;
    write(out, (&client.state()).into());
    Ok(())
}

/// `*_socket_id`: `NOT_CONNECTED` while not connected.
pub(crate) fn socket_id(client: &impl Client, out: *mut *mut c_char) -> Result<()> {
    let out = out_arg(out, "out")?;
    let id = client
        .id()
        .ok_or_else(|| Error::new(remotedev_status::NotConnected, "not connected"))?;
    write(out, owned_string(id));
    Ok(())
}

/// `*_last_error`: the client's latest error text, `NO_ERROR` when it has none.
pub(crate) fn last_error(client: &impl Client, out: *mut *mut c_char) -> Result<()> {
    let out = out_arg(out, "out")?;
    let e = client
        .last_error()
        .ok_or_else(|| Error::new(remotedev_status::NoError, "the client has had no error"))?;
    write(out, owned_string(e.to_string()));
    Ok(())
}

/// `*_close`.
pub(crate) fn close(client: &impl Client) -> Result<()> {
    client.close();
    Ok(())
}

/// The relay an app or monitor connects to: a URL, or a host and port.
#[derive(Debug, Clone, Default)]
pub(crate) struct Address {
    pub(crate) url: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
}

impl Address {
    /// `url` if set, else `ws://host:port/socketcluster/` from the defaults.
    pub(crate) fn url(&self) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => {
                let host = self.host.as_deref().unwrap_or(DEFAULT_HOST);
                AppOptions::host_port(host, self.port.unwrap_or(DEFAULT_PORT)).url
            }
        }
    }
}

/// The Rust options of a client of a relay (app, monitor).
pub(crate) trait RelayClientOptions: Clone {
    /// The defaults for the relay at `url`.
    fn for_url(url: String) -> Self;
    /// The relay URL.
    fn url_mut(&mut self) -> &mut String;
}

impl RelayClientOptions for AppOptions {
    fn for_url(url: String) -> Self {
        AppOptions::new(url)
    }
    fn url_mut(&mut self) -> &mut String {
        &mut self.url
    }
}

impl RelayClientOptions for MonitorOptions {
    fn for_url(url: String) -> Self {
        MonitorOptions::new(url)
    }
    fn url_mut(&mut self) -> &mut String {
        &mut self.url
    }
}

/// What the app and monitor builders hold: the relay address and the other options.
pub(crate) struct ClientBuilder<T> {
    pub(crate) address: Address,
    pub(crate) inner: T,
}

impl<T: RelayClientOptions> Default for ClientBuilder<T> {
    fn default() -> Self {
        ClientBuilder {
            address: Address::default(),
            inner: T::for_url(String::new()),
        }
    }
}

impl<T: RelayClientOptions> ClientBuilder<T> {
    /// The Rust options, with the URL from the address.
    pub(crate) fn options(&self) -> T {
        let mut o = self.inner.clone();
        *o.url_mut() = self.address.url();
        o
    }

    /// The options of `builder`, or the defaults for a NULL builder.
    pub(crate) fn options_of<B: AsRef<Self>>(builder: *const B) -> Result<T> {
        super::options_or(
            builder,
            |b| b.as_ref().options(),
            || Self::default().options(),
        )
    }
}
