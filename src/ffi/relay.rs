//! `remotedev_relay`: a relay on its own runtime threads (started from a
//! `remotedev_relay_options` builder, see `relay_options.rs`).

use std::ffi::{c_char, CString};
use std::sync::{Mutex, MutexGuard};

use super::{
    c_string, free_raw, guard, guard_or, handle, into_raw, options_or, out_arg,
    remotedev_relay_options, remotedev_status, write, Error, Result,
};
use crate::{BlockingRelay, RelayOptions};

/// A running (or stopped) relay (opaque). Thread-safe: every function on it may be
/// called from any thread at once, except `remotedev_relay_free`.
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

/// Starts a relay with the settings of `options` (copied; NULL: the defaults) and
/// returns once it listens. On success `*out` is the new relay (free with
/// `remotedev_relay_free`).
///
/// Statuses: `REMOTEDEV_STATUS_INVALID_ARGUMENT` (a combination the core's
/// `RelayOptions::validate` refuses, e.g. `invalid option ping_interval: must be less
/// than ping_timeout (20000 ms), got 30000 ms`), `REMOTEDEV_STATUS_ADDR_IN_USE` (busy
/// port), `REMOTEDEV_STATUS_IO` (cannot listen, cannot open the report store, no
/// threads). Blocks until listening. Thread-safe.
#[no_mangle]
pub extern "C" fn remotedev_relay_start(
    options: *const remotedev_relay_options,
    out: *mut *mut remotedev_relay,
) -> remotedev_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let o = options_or(options, |b| b.inner.clone(), RelayOptions::default)?;
        let relay = BlockingRelay::start(o)?;
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

/// The port the relay listens on. Statuses: `REMOTEDEV_STATUS_STOPPED` after a stop.
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
/// valid until `remotedev_relay_free`. Statuses: `REMOTEDEV_STATUS_STOPPED` after a
/// stop.
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
/// about a second. Statuses: `REMOTEDEV_STATUS_STOPPED` for a second stop (and from
/// `port` and `url` afterwards). Thread-safe.
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
