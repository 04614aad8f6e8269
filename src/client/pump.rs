//! The event pump every binding uses for callbacks: one library-owned thread per
//! handle pulls with a blocking `recv(within)` and hands each item to a callback, one
//! call at a time, until the handle is closed or the pump is stopped.
//!
//! Callbacks run on this thread, never on a tokio worker, so a callback may call
//! blocking functions of the same client without deadlocking the runtime.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::recv::Recv;

/// How long one wait of the pump lasts before it looks at its stop flag again: the
/// longest a `stop` from another thread waits for the pump to notice.
pub const PUMP_POLL: Duration = Duration::from_millis(50);

/// A running pump. Dropping it stops it (see [`Pump::stop`]).
pub struct Pump {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pump {
    /// Starts a thread named `name` that calls `recv(PUMP_POLL)` in a loop and passes
    /// each item to `deliver`; it ends when `recv` reports [`Recv::Closed`] (then
    /// `on_closed` runs once on the pump thread) or when the pump is stopped.
    ///
    /// # Errors
    /// The operating system's error when the thread cannot be started.
    pub fn start<T: 'static>(
        name: &str,
        mut recv: impl FnMut(Duration) -> Recv<T> + Send + 'static,
        mut deliver: impl FnMut(T) + Send + 'static,
        on_closed: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<Pump> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    match recv(PUMP_POLL) {
                        Recv::Message(item) => {
                            // A stop that raced with the wait wins: no call after stop.
                            if flag.load(Ordering::Acquire) {
                                return;
                            }
                            deliver(item);
                        }
                        Recv::TimedOut => {}
                        Recv::Closed => {
                            on_closed();
                            return;
                        }
                    }
                }
            })?;
        Ok(Pump {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the pump and waits for its thread, so no callback runs after this returns
    /// — unless called from the callback itself, when the thread ends as soon as the
    /// callback returns.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Pump {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn delivers_in_order_and_ends_on_closed() {
        let mut items = vec![
            Recv::Message(1),
            Recv::TimedOut,
            Recv::Message(2),
            Recv::Closed,
        ]
        .into_iter();
        let (tx, rx) = mpsc::channel();
        let (end_tx, end_rx) = mpsc::channel();
        let pump = Pump::start(
            "test-pump",
            move |_| items.next().unwrap_or(Recv::Closed),
            move |n| tx.send(n).unwrap(),
            move || end_tx.send(()).unwrap(),
        )
        .unwrap();
        end_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
        pump.stop();
    }

    #[test]
    fn stop_waits_for_the_thread() {
        let pump = Pump::start(
            "test-pump",
            |w| {
                std::thread::sleep(w);
                Recv::<()>::TimedOut
            },
            |_| {},
            || {},
        )
        .unwrap();
        pump.stop();
    }
}
