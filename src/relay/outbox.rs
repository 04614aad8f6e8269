//! A socket's outbound queue, bounded in bytes (the slow-reader policy).
//!
//! Publishers never wait: they append a shared frame and return. The socket's own task
//! drains the queue into the WebSocket. When a socket's waiting bytes would exceed the
//! budget, the queue is dropped and the socket is told to close (4100), so one slow
//! reader costs at most its budget in memory and never slows the publisher or anyone
//! else. Bytes count until written, so frames being written count too.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// One queued message: a whole text frame, or a large `#publish` as the three frames
/// of one fragmented text message (RFC 6455 §5.4): the envelope's head, the payload
/// (bytes shared with the message it arrived in, not copied) and the tail.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing {
    Whole(Utf8Bytes),
    Fragmented {
        head: Bytes,
        body: Bytes,
        tail: Bytes,
    },
}

impl Outgoing {
    pub(crate) fn len(&self) -> usize {
        match self {
            Outgoing::Whole(text) => text.len(),
            Outgoing::Fragmented { head, body, tail } => head.len() + body.len() + tail.len(),
        }
    }

    /// The WebSocket frames to write, in order.
    pub(crate) fn into_messages(self, out: &mut VecDeque<Message>) {
        match self {
            Outgoing::Whole(text) => out.push_back(Message::Text(text)),
            Outgoing::Fragmented { head, body, tail } => {
                let text = OpCode::Data(Data::Text);
                let more = OpCode::Data(Data::Continue);
                out.push_back(Message::Frame(Frame::message(head, text, false)));
                out.push_back(Message::Frame(Frame::message(body, more, false)));
                out.push_back(Message::Frame(Frame::message(tail, more, true)));
            }
        }
    }
}

impl From<Utf8Bytes> for Outgoing {
    fn from(text: Utf8Bytes) -> Self {
        Outgoing::Whole(text)
    }
}

pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    limit: usize,
    /// Frames are waiting, or the queue overflowed (one wake-up for both: an idle
    /// socket waits on one future instead of two).
    ready: Notify,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Outgoing>,
    bytes: usize,
    overflowed: bool,
}

impl Outbox {
    pub(crate) fn new(limit: usize) -> Self {
        Outbox {
            queue: Mutex::new(Queue::default()),
            limit,
            ready: Notify::new(),
        }
    }

    /// Queues a frame. Returns false when the socket is over its budget (and is being
    /// closed), in which case the frame is dropped.
    pub(crate) fn push(&self, frame: Outgoing) -> bool {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.overflowed {
            return false;
        }
        let len = frame.len();
        if q.bytes > 0 && q.bytes + len > self.limit {
            q.overflowed = true;
            q.frames = VecDeque::new();
            drop(q);
            self.ready.notify_one();
            return false;
        }
        let wake = q.frames.is_empty();
        q.bytes += len;
        q.frames.push_back(frame);
        drop(q);
        if wake {
            self.ready.notify_one();
        }
        true
    }

    /// Takes every queued frame, with their byte count to [`release`](Self::release)
    /// once written; `None` once the socket went over its budget (it is to be closed).
    pub(crate) fn take(&self) -> Option<(VecDeque<Outgoing>, usize)> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.overflowed {
            return None;
        }
        let frames = std::mem::take(&mut q.frames);
        let bytes = frames.iter().map(|f| f.len()).sum();
        Some((frames, bytes))
    }

    pub(crate) fn release(&self, bytes: usize) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.bytes = q.bytes.saturating_sub(bytes);
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Resolves when frames are waiting or the queue overflowed.
    pub(crate) async fn ready(&self) {
        self.ready.notified().await
    }

    /// The socket went over its budget (and is to be closed).
    pub(crate) fn overflowed(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .overflowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_until_released() {
        let o = Outbox::new(10);
        assert!(o.push(Utf8Bytes::from("123456").into()));
        let (frames, bytes) = o.take().unwrap();
        assert_eq!((frames.len(), bytes), (1, 6));
        // still in flight: 6 + 6 > 10
        assert!(!o.push(Utf8Bytes::from("abcdef").into()));
        assert!(
            !o.push(Utf8Bytes::from("x").into()),
            "an overflowed queue takes nothing"
        );
    }

    #[test]
    fn one_large_frame_fits_an_empty_queue() {
        let o = Outbox::new(4);
        assert!(o.push(Utf8Bytes::from("larger than four").into()));
        let (_, bytes) = o.take().unwrap();
        o.release(bytes);
        assert!(o.push(Utf8Bytes::from("1234").into()));
    }
}
