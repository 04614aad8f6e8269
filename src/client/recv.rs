//! The outcome of waiting for the next item with a deadline, for the blocking handles
//! and every binding: a message, nothing yet, or nothing ever again.

/// What a blocking `recv(within)` found.
///
/// - `Message(item)`: the next item.
/// - `TimedOut`: nothing arrived within the wait; later calls may still get items.
/// - `Closed`: the handle is closed (by `close`, a permanent close code, or the
///   subscription ended) and every item received before was already returned: no
///   further call will return a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Recv<T> {
    /// The next item.
    Message(T),
    /// Nothing within the wait.
    TimedOut,
    /// The stream ended for good.
    Closed,
}

impl<T> Recv<T> {
    /// The item, if there was one.
    pub fn message(self) -> Option<T> {
        match self {
            Recv::Message(m) => Some(m),
            Recv::TimedOut | Recv::Closed => None,
        }
    }

    /// Whether the stream ended for good.
    pub fn is_closed(&self) -> bool {
        matches!(self, Recv::Closed)
    }

    /// Applies `f` to the item.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Recv<U> {
        match self {
            Recv::Message(m) => Recv::Message(f(m)),
            Recv::TimedOut => Recv::TimedOut,
            Recv::Closed => Recv::Closed,
        }
    }

    /// From the result of waiting for a stream's `next()` with a timeout: `None` from
    /// the timeout is `TimedOut`, `Some(None)` (end of stream) is `Closed`.
    pub(crate) fn from_wait(waited: Option<Option<T>>) -> Recv<T> {
        match waited {
            None => Recv::TimedOut,
            Some(None) => Recv::Closed,
            Some(Some(m)) => Recv::Message(m),
        }
    }
}
