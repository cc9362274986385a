//! A minimal executor for synchronous callers: polls one future on the current thread and
//! parks between wake-ups. The manager needs no runtime; tests and tools that are not async
//! use this to wait for an IRP.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread. Never call it from inside an async runtime's
/// worker thread: it blocks that thread.
///
/// ```
/// let value = lwio_core::block_on(async { 40 + 2 });
/// assert_eq!(value, 42);
/// ```
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    // Most IRPs complete synchronously: try once without building a thread waker.
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => park_until_ready(future),
    }
}

/// The rest of [`block_on`], for a future that did not complete at once.
#[cold]
#[inline(never)]
fn park_until_ready<F: Future>(mut future: std::pin::Pin<&mut F>) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
