//! What counts as alive (SC§8.3 step 3, §8.4): bytes, not whole frames.
//!
//! [`Alive`] sits directly on a connection's byte stream and remembers the last time
//! the peer showed progress:
//! - any bytes read from it, also in the middle of a frame still arriving;
//! - a write that makes progress after having been blocked: the kernel's send buffer
//!   was full and the peer has read (acknowledged) enough to make room, so the peer is
//!   reading what we send.
//!
//! A write the kernel takes at once proves nothing (a dead peer's send buffer accepts
//! bytes too), so it does not count. The relay's pong deadline and the client's
//! watchdog both take the later of "the last frame" and [`Liveness::last_progress`]
//! plus the timeout; only the slow-reader budget (4100) drops a live peer.
//!
//! The kernel's send buffer grows to several MiB (4 MiB by default on Linux) and wakes
//! a blocked writer only once half of what it holds is gone, so a peer reading
//! 128 KiB/s could read for 20 s without one write making progress.
//! [`keep_unsent_small`] caps the bytes the kernel holds *unsent* (`TCP_NOTSENT_LOWAT`,
//! [`UNSENT_LOWAT`]); the rest waits in our outbox, and a write makes progress each
//! time the peer has read about half of that. Bytes in flight are not capped, so
//! throughput on long links is unchanged. What stays unobservable is the cap plus the
//! peer's own receive buffer: a peer is seen alive while it reads at least that much
//! per ping timeout.
//!
//! Why 1 MiB and not less: measured on loopback with the relay pinned to one core, a
//! 512 KiB cap cost 10–25 % of the 1 MiB and 5 MiB deliveries/s (more wake-ups and
//! writes per message), 128 KiB up to 23 %; 1 MiB was within run-to-run noise.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Unsent bytes the kernel may hold per relay socket (see the module documentation).
pub(crate) const UNSENT_LOWAT: u32 = 1024 * 1024;

/// Sets `TCP_NOTSENT_LOWAT` to [`UNSENT_LOWAT`] where the platform has it (Linux,
/// Android); elsewhere the send buffer's own wake-ups are all there is. A failure only
/// costs that precision, so it is logged, not returned.
pub(crate) fn keep_unsent_small(stream: &tokio::net::TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_notsent_lowat(UNSENT_LOWAT) {
        tracing::debug!("TCP_NOTSENT_LOWAT not set: {e}");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

/// A byte stream that knows when its peer last showed progress.
pub(crate) trait Liveness {
    /// The last time bytes arrived or a blocked write made progress.
    fn last_progress(&self) -> Instant;
}

/// Records peer progress on the stream it wraps (see the module documentation).
pub(crate) struct Alive<T> {
    inner: T,
    last: Instant,
    write_blocked: bool,
}

impl<T> Alive<T> {
    pub(crate) fn new(inner: T) -> Self {
        Alive {
            inner,
            last: Instant::now(),
            write_blocked: false,
        }
    }

    fn wrote(&mut self, result: &Poll<io::Result<usize>>) {
        match result {
            Poll::Pending => self.write_blocked = true,
            Poll::Ready(Ok(n)) if *n > 0 && self.write_blocked => {
                self.write_blocked = false;
                self.last = Instant::now();
            }
            _ => {}
        }
    }
}

impl<T> Liveness for Alive<T> {
    fn last_progress(&self) -> Instant {
        self.last
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Alive<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.last = Instant::now();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Alive<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn reads_count_and_unblocked_writes_count_but_buffered_writes_do_not() {
        let (a, mut b) = tokio::io::duplex(8);
        let mut s = Alive::new(a);
        let t0 = s.last_progress();
        tokio::time::advance(Duration::from_secs(1)).await;
        // a write the buffer takes at once proves nothing
        s.write_all(b"1234").await.unwrap();
        assert_eq!(s.last_progress(), t0);
        // bytes arriving count, even one
        b.write_all(b"x").await.unwrap();
        let mut one = [0u8; 1];
        s.read_exact(&mut one).await.unwrap();
        let t1 = s.last_progress();
        assert!(t1 > t0);
        tokio::time::advance(Duration::from_secs(1)).await;
        // a write that blocks, then goes on once the peer reads, counts
        let writer = tokio::spawn(async move {
            s.write_all(&[7u8; 64]).await.unwrap();
            s
        });
        tokio::time::advance(Duration::from_millis(10)).await;
        let mut sink = vec![0u8; 68];
        b.read_exact(&mut sink).await.unwrap();
        let s = writer.await.unwrap();
        assert!(s.last_progress() > t1);
    }
}
