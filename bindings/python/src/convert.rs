//! What crosses the border between Python and the core, and how:
//!
//! - numbers: seconds, sizes and ports go through `remotedev::options::{seconds, size,
//!   port}`, so Python refuses the same values with the same words as Rust and C;
//! - text: a Python `str` may hold lone surrogates (JavaScript code that slices an emoji
//!   makes them), which are not Unicode text. In JSON text they become `\udXXX` escapes,
//!   exactly what `JSON.stringify` writes; in names and URLs they are refused with
//!   `InvalidArgumentError`. Nothing here raises `UnicodeEncodeError`;
//! - waiting: every blocking call waits without the GIL in slices of [`SLICE`] and checks
//!   for Ctrl-C between them; an outcome is the core's [`Recv`].

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use remotedev::client::{AppOptions, Backoff, ClientError, Recv, Schedule, SocketOptions};
use remotedev::options;
use remotedev::relay::{DEFAULT_HOST, DEFAULT_PORT};

use crate::errors::{client_err, closed, invalid, option_err, timed_out};

/// How long one GIL-free wait lasts before signals (Ctrl-C) are checked.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// Seconds (a Python float) as a duration; the core refuses negative, NaN, infinite.
pub(crate) fn secs(field: &'static str, value: f64) -> PyResult<Duration> {
    options::seconds(field, value).map_err(option_err)
}

/// [`secs`] for an optional value (`None`: no limit / the core's default).
pub(crate) fn opt_secs(field: &'static str, value: Option<f64>) -> PyResult<Option<Duration>> {
    value.map(|v| secs(field, v)).transpose()
}

/// A size or count; the core refuses negatives.
pub(crate) fn size(field: &'static str, value: i64) -> PyResult<usize> {
    options::size(field, value).map_err(option_err)
}

/// A TCP port; the core refuses values outside `0..=65535`.
pub(crate) fn port(field: &'static str, value: i64) -> PyResult<u16> {
    options::port(field, value).map_err(option_err)
}

/// The text of a `str` that is (or holds) JSON. Lone surrogates become `\udXXX` escapes,
/// which is what `JSON.stringify` sends for them; inside a JSON string that is the same
/// value, elsewhere the text is not JSON and the core says so.
pub(crate) fn json_text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    match s.to_cow() {
        Ok(text) => Ok(text),
        Err(_) => escape_surrogates(s).map(Cow::Owned),
    }
}

/// [`json_text`] for an optional argument.
pub(crate) fn opt_json_text<'a>(
    s: &'a Option<Bound<'_, PyString>>,
) -> PyResult<Option<Cow<'a, str>>> {
    s.as_ref().map(json_text).transpose()
}

/// The text of a `str` that is a name, URL or id: one with lone surrogates is refused.
pub(crate) fn plain_text<'a>(what: &str, s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    s.to_cow().map_err(|e| {
        let at = e
            .value(s.py())
            .getattr("start")
            .and_then(|v| v.extract::<usize>());
        let at = at.map(|i| format!(" at index {i}")).unwrap_or_default();
        invalid(format!(
            "{what} is not valid Unicode text: it holds a lone surrogate{at}"
        ))
    })
}

/// [`plain_text`] for an optional argument, owned.
pub(crate) fn opt_plain_text(
    what: &str,
    s: Option<&Bound<'_, PyString>>,
) -> PyResult<Option<String>> {
    s.map(|s| plain_text(what, s).map(Cow::into_owned))
        .transpose()
}

/// The `str` as UTF-8 with each lone surrogate written as a `\udXXX` escape. Python's
/// `surrogatepass` writes a surrogate as the three bytes `ED [A0-BF] [80-BF]`, which is
/// the only thing that keeps its output from being UTF-8.
fn escape_surrogates(s: &Bound<'_, PyString>) -> PyResult<String> {
    let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
    let mut rest = encoded.cast::<PyBytes>()?.as_bytes();
    let mut out = String::with_capacity(rest.len() + 16);
    loop {
        match std::str::from_utf8(rest) {
            Ok(tail) => {
                out.push_str(tail);
                return Ok(out);
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let &[0xED, b1 @ 0xA0..=0xBF, b2 @ 0x80..=0xBF, ..] = bad else {
                    return Err(invalid("text is not valid UTF-8 after encoding"));
                };
                let unit = 0xD000 | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
                let _ = write!(out, "\\u{unit:04x}");
                rest = &bad[3..];
            }
        }
    }
}

/// What every client is given to connect, as one tuple from Python:
/// `(url, host, port, ack_timeout, connect_timeout, auto_reconnect, backoff, ca_files,
/// ca_pem, dangerous_accept_any_certificate, auth_token)`; `None` keeps the core's
/// default (`host` 127.0.0.1 and `port` 8000 when there is no `url`; TLS: the
/// platform's roots; no auth token).
#[derive(FromPyObject)]
pub(crate) struct Connection<'py>(
    Option<Bound<'py, PyString>>,
    Option<Bound<'py, PyString>>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    Option<bool>,
    Option<BackoffFields>,
    Option<Vec<std::path::PathBuf>>,
    Option<String>,
    Option<bool>,
    Option<Bound<'py, PyString>>,
);

/// `remotedev.Backoff`: `(initial_delay, randomness, multiplier, max_delay, schedule)`
/// in seconds; the schedule's core defaults fill what is `None`.
#[derive(FromPyObject, Clone)]
pub(crate) struct BackoffFields(
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<String>,
);

impl BackoffFields {
    fn backoff(&self) -> PyResult<Backoff> {
        let BackoffFields(initial, randomness, multiplier, max_delay, schedule) = self;
        let schedule = schedule
            .as_deref()
            .map(Schedule::from_name)
            .transpose()
            .map_err(option_err)?;
        let mut b = match schedule {
            Some(Schedule::Reference) => Backoff::reference(),
            _ => Backoff::default(),
        };
        if let Some(d) = opt_secs("backoff.initial_delay", *initial)? {
            b.initial_delay = d;
        }
        if let Some(d) = opt_secs("backoff.randomness", *randomness)? {
            b.randomness = d;
        }
        if let Some(m) = multiplier {
            b.multiplier = *m;
        }
        if let Some(d) = opt_secs("backoff.max_delay", *max_delay)? {
            b.max_delay = d;
        }
        Ok(b)
    }
}

impl Connection<'_> {
    /// The relay URL: `url`, or `ws://host:port/socketcluster/`.
    pub(crate) fn url(&self) -> PyResult<String> {
        let Connection(url, host, port_number, ..) = self;
        match (url, host, port_number) {
            (Some(url), None, None) => Ok(plain_text("url", url)?.into_owned()),
            (None, host, number) => {
                let host = opt_plain_text("host", host.as_ref())?;
                let number = number.map(|n| port("port", n)).transpose()?;
                Ok(AppOptions::host_port(
                    host.as_deref().unwrap_or(DEFAULT_HOST),
                    number.unwrap_or(DEFAULT_PORT),
                )
                .url)
            }
            _ => Err(invalid("give either url or host/port, not both")),
        }
    }

    /// `o` with the socket settings that were given.
    pub(crate) fn socket_options(&self, mut o: SocketOptions) -> PyResult<SocketOptions> {
        let Connection(.., ack_timeout, connect_timeout, auto_reconnect, ref backoff, _, _, _, _) =
            *self;
        if let Some(b) = backoff {
            o.backoff = b.backoff()?;
        }
        let Connection(.., ref ca_files, ref ca_pem, dangerous, _) = *self;
        for file in ca_files.iter().flatten() {
            o.tls
                .ca_certs
                .push(remotedev::tls::PemSource::File(file.clone()));
        }
        if let Some(pem) = ca_pem {
            o.tls
                .ca_certs
                .push(remotedev::tls::PemSource::Text(pem.clone()));
        }
        if let Some(d) = dangerous {
            o.tls.dangerous_accept_any_certificate = d;
        }
        let Connection(.., ref auth_token) = *self;
        if let Some(t) = opt_plain_text("auth_token", auth_token.as_ref())? {
            o.auth_token = Some(t);
        }
        if let Some(t) = opt_secs("ack_timeout", ack_timeout)? {
            o.ack_timeout = t;
        }
        if let Some(t) = opt_secs("connect_timeout", connect_timeout)? {
            o.connect_timeout = t;
        }
        if let Some(r) = auto_reconnect {
            o.auto_reconnect = r;
        }
        Ok(o)
    }
}

/// Locks a mutex, also after a panic elsewhere.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The next item of a blocking `recv(within)`: waits without the GIL in short slices
/// until an item comes (returned), `timeout` passes (`TimeoutError`) or the handle is
/// closed (`ClosedError`, at once: the core says `Closed` only when nothing is left).
pub(crate) fn wait<T: Send>(
    py: Python<'_>,
    timeout: Option<f64>,
    mut recv: impl FnMut(Duration) -> Recv<T> + Send,
) -> PyResult<T> {
    let within = opt_secs("timeout", timeout)?;
    let deadline = within.map(|w| Instant::now() + w);
    loop {
        let slice = deadline.map_or(SLICE, |d| {
            SLICE.min(d.saturating_duration_since(Instant::now()))
        });
        match py.detach(|| recv(slice)) {
            Recv::Message(item) => return Ok(item),
            Recv::Closed => return Err(closed()),
            Recv::TimedOut => {}
        }
        py.check_signals()?;
        if let (Some(d), Some(w)) = (deadline, within) {
            if Instant::now() >= d {
                return Err(timed_out(w));
            }
        }
    }
}

/// Waits until `connect` succeeds within `timeout` seconds, in GIL-free slices. When the
/// time runs out the core's error says why: the latest connection failure (the endpoint
/// and e.g. "Connection refused") or a timeout; a closed handle fails at once.
pub(crate) fn wait_connected(
    py: Python<'_>,
    timeout: f64,
    connect: impl Fn(Duration) -> Result<String, ClientError> + Sync,
    is_closed: impl Fn() -> bool,
) -> PyResult<String> {
    let total = secs("timeout", timeout)?;
    let deadline = Instant::now() + total;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let slice = SLICE.min(left);
        match py.detach(|| connect(slice)) {
            Ok(id) => return Ok(id),
            Err(ClientError::Timeout(_)) if slice == left => return Err(timed_out(total)),
            Err(
                e @ (ClientError::Timeout(_)
                | ClientError::Connect { .. }
                | ClientError::Handshake { .. }),
            ) if slice == left || is_closed() => return Err(client_err(e)),
            Err(
                ClientError::Timeout(_)
                | ClientError::Connect { .. }
                | ClientError::Handshake { .. },
            ) => {}
            Err(e) => return Err(client_err(e)),
        }
        py.check_signals()?;
    }
}

/// Awaits the next item of a client stream for asyncio, with an optional timeout; the
/// core ends its streams when the client closes, which becomes `ClosedError`.
pub(crate) async fn next_within<T>(
    within: Option<Duration>,
    next: impl std::future::Future<Output = Option<T>>,
) -> PyResult<T> {
    let got = match within {
        Some(w) => tokio::time::timeout(w, next)
            .await
            .map_err(|_| timed_out(w))?,
        None => next.await,
    };
    got.ok_or_else(closed)
}

/// The runtime asyncio futures and callback forwarding run on.
pub(crate) fn rt() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}
