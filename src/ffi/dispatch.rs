//! How C receives: the library-owned thread that runs a handle's C callback (so
//! callbacks never run on a tokio runtime worker, where blocking calls back into the
//! library would deadlock), and the pull with a status of every `*_next`. Both are
//! written once here: [`set_callback`] and [`pull`].

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::client::{Pump, Recv};

use super::{millis, out_arg, remotedev_status, write, Error, Result};

/// The C callback's `void *userdata`, handed to the pump thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the header tells C callers that `userdata` is passed to the callback on the
// dispatcher thread, so whatever it points to must be usable from that thread; the
// library itself never dereferences it.
unsafe impl Send for UserData {}

/// One dispatcher: the core's [`Pump`] with the error mapped to a status.
pub(crate) struct Dispatcher(Pump);

impl Dispatcher {
    pub(crate) fn start<T: 'static>(
        name: &str,
        pull: impl FnMut(Duration) -> Recv<T> + Send + 'static,
        deliver: impl FnMut(T) + Send + 'static,
    ) -> Result<Dispatcher> {
        Pump::start(name, pull, deliver, || {})
            .map(Dispatcher)
            .map_err(|e| {
                Error::new(
                    remotedev_status::Io,
                    format!("cannot start the callback thread: {e}"),
                )
            })
    }

    pub(crate) fn stop(self) {
        self.0.stop();
    }
}

/// A callback slot: at most one dispatcher at a time.
#[derive(Default)]
pub(crate) struct Slot(Mutex<Option<Dispatcher>>);

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Dispatcher>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the dispatcher (`None` removes it), stopping the old one first.
    pub(crate) fn replace(&self, start: impl FnOnce() -> Result<Option<Dispatcher>>) -> Result<()> {
        let mut slot = self.lock();
        if let Some(old) = slot.take() {
            old.stop();
        }
        *slot = start()?;
        Ok(())
    }

    /// `REMOTEDEV_STATUS_BUSY` while a callback is set.
    pub(crate) fn check_pull(&self) -> Result<()> {
        if self.lock().is_some() {
            Err(Error::new(
                remotedev_status::Busy,
                "a callback is set: remove it (set NULL) before pulling with next",
            ))
        } else {
            Ok(())
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(d) = self.lock().take() {
            d.stop();
        }
    }
}

/// The code behind every `*_set_callback`: replaces the handle's dispatcher with one
/// that pulls with `recv` and hands each item to `call(callback, userdata, item)`, or
/// removes it when `callback` is NULL.
pub(crate) fn set_callback<T: 'static, C: Copy + Send + 'static>(
    slot: &Slot,
    name: &str,
    callback: Option<C>,
    userdata: *mut c_void,
    recv: impl FnMut(Duration) -> Recv<T> + Send + 'static,
    call: impl Fn(C, *mut c_void, T) + Send + 'static,
) -> Result<()> {
    slot.replace(|| {
        let Some(cb) = callback else { return Ok(None) };
        let userdata = UserData(userdata);
        Dispatcher::start(name, recv, move |item| {
            let ud = userdata;
            call(cb, ud.0, item);
        })
        .map(Some)
    })
}

/// What a `*_next` pulls, for its error texts: e.g. `("command", "app")`.
pub(crate) struct Pulled {
    pub(crate) item: &'static str,
    pub(crate) from: &'static str,
}

/// The code behind every `*_next`: `BUSY` while a callback is set; else waits up to
/// `timeout_ms` and writes the converted item to `out`, or fails with `TIMEOUT`
/// (nothing yet) or `CLOSED` (nothing ever again).
pub(crate) fn pull<T, U>(
    slot: &Slot,
    what: Pulled,
    timeout_ms: u32,
    out: *mut U,
    recv: impl FnOnce(Duration) -> Recv<T>,
    convert: impl FnOnce(T) -> U,
) -> Result<()> {
    let out = out_arg(out, "out")?;
    slot.check_pull()?;
    match recv(millis(timeout_ms)) {
        Recv::Message(item) => {
            write(out, convert(item));
            Ok(())
        }
        Recv::TimedOut => Err(Error::new(
            remotedev_status::Timeout,
            format!("no {} within {timeout_ms} ms", what.item),
        )),
        Recv::Closed => Err(Error::new(
            remotedev_status::Closed,
            format!("the {} is closed: no {} will come", what.from, what.item),
        )),
    }
}
