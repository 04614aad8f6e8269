//! `remotedev_relay`: a relay on its own runtime threads.

use std::ffi::{c_char, c_int, CString};
use std::sync::{Mutex, MutexGuard};

use super::{
    c_string, free_raw, guard, guard_or, handle, into_raw, millis, opt_str_arg, out_arg,
    remotedev_status, write, Error, Result,
};
use crate::{BlockingRelay, RelayError, RelayOptions};

/// Relay settings. Fill with `remotedev_relay_options_init`, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct remotedev_relay_options {
    /// Interface to listen on (NUL-terminated UTF-8, copied during the call). NULL:
    /// `"127.0.0.1"`. The relay has no authentication: `"0.0.0.0"` exposes it.
    pub host: *const c_char,
    /// TCP port; 0 picks a free one (read it back with `remotedev_relay_port`).
    /// Default 8000.
    pub port: u16,
    /// How often each socket is pinged, in ms. Default 8000.
    pub ping_interval_ms: u32,
    /// Silence after which a socket is closed with 4001, in ms. Default 20000.
    pub ping_timeout_ms: u32,
    /// Largest inbound message in bytes (larger: closed with 1009). Default 100 MiB.
    pub max_payload: u64,
    /// Bytes that may wait in one socket's outbound queue. Default 64 MiB.
    pub outbound_limit: u64,
    /// Runtime worker threads; 0: one per CPU. Default 0.
    pub worker_threads: u32,
    /// Process-wide stderr logging set when the relay starts (see
    /// `remotedev_set_log_level`): 0 silent, 1 errors, 2 warnings, 3 info; -1 leaves
    /// the current level. Default 1.
    pub log_level: c_int,
}

impl Default for remotedev_relay_options {
    fn default() -> Self {
        let d = RelayOptions::default();
        remotedev_relay_options {
            host: std::ptr::null(),
            port: d.port,
            ping_interval_ms: d.ping_interval.as_millis() as u32,
            ping_timeout_ms: d.ping_timeout.as_millis() as u32,
            max_payload: d.max_payload as u64,
            outbound_limit: d.outbound_limit as u64,
            worker_threads: 0,
            log_level: 1,
        }
    }
}

/// A running (or stopped) relay (opaque). All functions on it may be called from any
/// thread; free it with `remotedev_relay_free`.
pub struct remotedev_relay {
    relay: Mutex<BlockingRelay>,
    url: CString,
}

impl remotedev_relay {
    fn lock(&self) -> MutexGuard<'_, BlockingRelay> {
        self.relay.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn running(&self) -> Result<MutexGuard<'_, BlockingRelay>> {
        let relay = self.lock();
        if relay.is_stopped() {
            return Err(Error::new(
                remotedev_status::Stopped,
                "the relay was stopped already",
            ));
        }
        Ok(relay)
    }
}

/// Fills `*options` with the defaults. Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_relay_options_init(
    options: *mut remotedev_relay_options,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(options, "options")?;
        write(out, remotedev_relay_options::default());
        Ok(())
    })
}

fn to_usize(n: u64, what: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| {
        Error::new(
            remotedev_status::InvalidArgument,
            format!("{what} is too large"),
        )
    })
}

/// Starts a relay and returns once it listens. `options` may be NULL for the defaults.
/// On success `*out` is the new relay (free with `remotedev_relay_free`).
///
/// Errors: `REMOTEDEV_STATUS_ADDR_IN_USE` (busy port), `REMOTEDEV_STATUS_IO`,
/// `REMOTEDEV_STATUS_INVALID_ARGUMENT` (e.g. zero timings). Blocks until listening.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_relay_start(
    options: *const remotedev_relay_options,
    out: *mut *mut remotedev_relay,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let given = if options.is_null() {
            remotedev_relay_options::default()
        } else {
            *handle(options, "options")?
        };
        let mut o = RelayOptions::default();
        if let Some(host) = opt_str_arg(given.host, "options->host")? {
            if host.is_empty() {
                return Err(Error::new(
                    remotedev_status::InvalidArgument,
                    "options->host is empty",
                ));
            }
            o.host = host.to_owned();
        }
        if given.ping_interval_ms == 0 || given.ping_timeout_ms == 0 || given.max_payload == 0 {
            return Err(Error::new(
                remotedev_status::InvalidArgument,
                "ping_interval_ms, ping_timeout_ms and max_payload must be above 0",
            ));
        }
        o.port = given.port;
        o.ping_interval = millis(given.ping_interval_ms);
        o.ping_timeout = millis(given.ping_timeout_ms);
        o.max_payload = to_usize(given.max_payload, "max_payload")?;
        o.outbound_limit = to_usize(given.outbound_limit, "outbound_limit")?;
        if given.worker_threads > 0 {
            o.worker_threads = Some(given.worker_threads as usize);
        }
        if given.log_level >= 0 {
            super::set_log_level(given.log_level);
        }
        let relay = BlockingRelay::start(o).map_err(|e| {
            let status = match &e {
                RelayError::AddrInUse { .. } => remotedev_status::AddrInUse,
                _ => remotedev_status::Io,
            };
            Error::new(status, e.to_string())
        })?;
        let url = c_string(relay.url().to_owned());
        write(
            out,
            into_raw(remotedev_relay {
                relay: Mutex::new(relay),
                url,
            }),
        );
        Ok(())
    })
}

/// The port the relay listens on. `REMOTEDEV_STATUS_STOPPED` after a stop.
/// Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_relay_port(
    relay: *const remotedev_relay,
    out: *mut u16,
) -> remotedev_status {
    guard(|| {
        let relay = handle(relay, "relay")?;
        let out = out_arg(out, "out")?;
        let port = relay.running()?.port();
        write(out, port);
        Ok(())
    })
}

/// The relay's URL, `ws://HOST:PORT/socketcluster/`. Owner: the relay; `*out` stays
/// valid until `remotedev_relay_free`. `REMOTEDEV_STATUS_STOPPED` after a stop.
/// Thread-safe, never blocks.
#[no_mangle]
pub extern "C" fn remotedev_relay_url(
    relay: *const remotedev_relay,
    out: *mut *const c_char,
) -> remotedev_status {
    guard(|| {
        let relay = handle(relay, "relay")?;
        let out = out_arg(out, "out")?;
        drop(relay.running()?);
        write(out, relay.url.as_ptr());
        Ok(())
    })
}

/// Stops the relay: closes every socket with 1001 and joins its threads. Blocks up to
/// about a second. A second stop is `REMOTEDEV_STATUS_STOPPED`; so are `port` and `url`
/// afterwards. Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_relay_stop(relay: *mut remotedev_relay) -> remotedev_status {
    guard(|| {
        let relay = handle(relay.cast_const(), "relay")?;
        relay.running()?.shutdown();
        Ok(())
    })
}

/// Stops the relay if it runs, then frees it (and its URL string). NULL is ignored.
/// Blocks like `remotedev_relay_stop`. Not to be called twice, nor while another thread
/// uses the relay.
#[no_mangle]
pub extern "C" fn remotedev_relay_free(relay: *mut remotedev_relay) {
    guard_or((), || free_raw(relay))
}
