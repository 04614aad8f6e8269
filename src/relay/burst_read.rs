//! A read side that is small while a socket idles and large while it is busy.
//!
//! tungstenite reads at most its read-buffer size per call, and that buffer is what an
//! idle socket costs, so it is kept small (see `http::READ_BUFFER`). Under load that
//! means a syscall per few KiB. This adapter watches the reads: once one fills the
//! caller's buffer (more is likely waiting), it reads in large bursts into a spill
//! buffer and serves the caller from memory; as soon as the socket has nothing more to
//! read, the spill buffer is freed, so idle sockets hold none.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::liveness::Liveness;

/// Bytes read at once while busy.
const BURST: usize = 64 * 1024;

pub(crate) struct BurstRead<T> {
    inner: T,
    spill: Option<Box<[u8]>>,
    start: usize,
    end: usize,
}

impl<T> BurstRead<T> {
    pub(crate) fn new(inner: T) -> Self {
        BurstRead {
            inner,
            spill: None,
            start: 0,
            end: 0,
        }
    }

    #[cfg(test)]
    fn is_spilling(&self) -> bool {
        self.spill.is_some()
    }
}

impl<T: Liveness> Liveness for BurstRead<T> {
    fn last_progress(&self) -> tokio::time::Instant {
        self.inner.last_progress()
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for BurstRead<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.start < this.end {
            let spill = this
                .spill
                .as_ref()
                .expect("buffered bytes live in the spill buffer");
            let n = buf.remaining().min(this.end - this.start);
            buf.put_slice(&spill[this.start..this.start + n]);
            this.start += n;
            return Poll::Ready(Ok(()));
        }
        let Some(spill) = this.spill.as_mut() else {
            // Idle mode: read straight into the caller's buffer.
            let wanted = buf.remaining();
            let before = buf.filled().len();
            ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
            if wanted > 0 && buf.filled().len() - before == wanted {
                this.spill = Some(vec![0; BURST].into_boxed_slice());
            }
            return Poll::Ready(Ok(()));
        };
        // Busy mode: refill the spill buffer.
        let mut burst = ReadBuf::new(spill);
        match Pin::new(&mut this.inner).poll_read(cx, &mut burst) {
            Poll::Pending => {
                // Nothing waiting: this socket is idle again, give the buffer back.
                this.spill = None;
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let got = burst.filled().len();
                let n = buf.remaining().min(got);
                buf.put_slice(&spill[..n]);
                this.start = n;
                this.end = got;
                if got < buf.capacity() {
                    // A short read: the socket is drained; serve the rest, then go idle.
                    if this.start == this.end {
                        this.spill = None;
                    }
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for BurstRead<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_pass_unchanged_and_the_spill_buffer_goes_when_idle() {
        let (mut tx, rx) = tokio::io::duplex(1024 * 1024);
        let mut r = BurstRead::new(rx);
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        tx.write_all(&data).await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 3072];
        while got.len() < data.len() {
            let n = r.read(&mut chunk).await.unwrap();
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, data);
        assert!(r.is_spilling() || r.start == r.end);
        // nothing more to read: the next read waits, and the buffer is released
        let pending =
            tokio::time::timeout(std::time::Duration::from_millis(50), r.read(&mut chunk)).await;
        assert!(pending.is_err());
        assert!(!r.is_spilling());
        // small messages never allocate it
        tx.write_all(b"hello").await.unwrap();
        let n = r.read(&mut chunk).await.unwrap();
        assert_eq!(&chunk[..n], b"hello");
        assert!(!r.is_spilling());
    }
}
