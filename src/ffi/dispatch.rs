//! The library-owned thread that runs a client's C callback, so callbacks never run on
//! a tokio runtime worker (where blocking calls back into the library would deadlock).

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Error, Result};

/// How often a waiting dispatcher looks at its stop flag.
const POLL: Duration = Duration::from_millis(50);

/// The C callback's `void *userdata`, handed to the dispatcher thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the header tells C callers that `userdata` is passed to the callback on the
// dispatcher thread, so whatever it points to must be usable from that thread; the
// library itself never dereferences it.
unsafe impl Send for UserData {}

/// One dispatcher thread: pulls with `pull(timeout)` and hands each item to `deliver`
/// until stopped.
pub(crate) struct Dispatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Dispatcher {
    pub(crate) fn start<T: 'static>(
        name: &str,
        pull: impl Fn(Duration) -> Option<T> + Send + 'static,
        deliver: impl Fn(T) + Send + 'static,
    ) -> Result<Dispatcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    if let Some(item) = pull(POLL) {
                        if flag.load(Ordering::Acquire) {
                            break;
                        }
                        deliver(item);
                    }
                }
            })
            .map_err(|e| {
                Error::new(
                    super::remotedev_status::Io,
                    format!("cannot start the callback thread: {e}"),
                )
            })?;
        Ok(Dispatcher {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it, unless called from the callback itself (then
    /// the thread ends once the callback returns).
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
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
