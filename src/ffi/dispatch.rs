//! The library-owned thread that runs a client's C callback, so callbacks never run on
//! a tokio runtime worker (where blocking calls back into the library would deadlock).

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::client::{Pump, Recv};

use super::{Error, Result};

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
                    super::remotedev_status::Io,
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
                super::remotedev_status::Busy,
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
