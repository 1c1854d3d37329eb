//! A connection's socket with a write deadline: a peer that stops reading cannot hold a connection (and the
//! answer buffered for it) for longer than the write timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Called once when a write deadline passes (to count it).
pub type OnTimeout = Arc<dyn Fn() + Send + Sync>;

/// Wraps a stream: once a write (or flush, or shutdown) has made no progress for `timeout`, it fails with
/// [`io::ErrorKind::TimedOut`] and so does every later write, which makes the HTTP server drop the
/// connection. Reads pass through (the server bounds them with its header and body timeouts).
pub struct WriteDeadline<S> {
    inner: S,
    timeout: Duration,
    /// Armed while a write is pending.
    sleep: Pin<Box<Sleep>>,
    armed: bool,
    expired: bool,
    on_timeout: OnTimeout,
}

impl<S> WriteDeadline<S> {
    /// `inner` with a write timeout; `on_timeout` runs once if it passes.
    pub fn new(inner: S, timeout: Duration, on_timeout: OnTimeout) -> Self {
        Self {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep_until(Instant::now() + timeout)),
            armed: false,
            expired: false,
            on_timeout,
        }
    }

    /// After `inner` answered `r`: disarm on progress; on `Pending`, arm the deadline or check it.
    fn watch<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(v) => {
                self.armed = false;
                Poll::Ready(v)
            }
            Poll::Pending => {
                if !self.armed {
                    self.armed = true;
                    let at = Instant::now() + self.timeout;
                    self.sleep.as_mut().reset(at);
                }
                if self.sleep.as_mut().poll(cx).is_ready() {
                    self.expired = true;
                    (self.on_timeout)();
                    return Poll::Ready(Err(timed_out()));
                }
                Poll::Pending
            }
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the peer read nothing within the write timeout")
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.expired {
            return Poll::Ready(Err(timed_out()));
        }
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.expired {
            return Poll::Ready(Err(timed_out()));
        }
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.expired {
            return Poll::Ready(Err(timed_out()));
        }
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.expired {
            return Poll::Ready(Err(timed_out()));
        }
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_stalled_write_fails_after_the_timeout_and_progress_resets_it() {
        let (a, mut b) = tokio::io::duplex(1024);
        let fired = Arc::new(AtomicU32::new(0));
        let f = fired.clone();
        let mut w =
            WriteDeadline::new(a, Duration::from_millis(200), Arc::new(move || _ = f.fetch_add(1, Ordering::Relaxed)));
        // A reader that keeps up: writes of 10 × the buffer pass although each one waits.
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; 10 * 1024];
            b.read_exact(&mut got).await.unwrap();
            b
        });
        w.write_all(&[7u8; 10 * 1024]).await.unwrap();
        let _b = reader.await.unwrap();
        // Nobody reads now: the write blocks once the buffer is full, then fails.
        let t = std::time::Instant::now();
        let e = w.write_all(&[7u8; 4096]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
        assert_eq!(w.write(&[1]).await.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(fired.load(Ordering::Relaxed), 1);
    }
}
