//! The order in which the frames of one connection start.
//!
//! Frames run as tasks of their own, so a slow or waiting request (a blocking lock, a
//! change notify) never holds up the requests after it. Left alone, though, a later frame
//! can overtake an earlier one before it has even looked its file up: a CLOSE sent right
//! after a QUERY_DIRECTORY on the same handle (smbtorture's `compound_find_close`) could
//! remove the open first, and the directory query, which the client sent before, would
//! fail with STATUS_FILE_CLOSED.
//!
//! The reader hands every frame a [`Ticket`] numbered in arrival order. A frame has
//! *started* once its task has been polled once: by then its requests have run up to the
//! first one that waits (an IRP the driver pended: a lock that waits, a notify), and that
//! one already holds the open it names. A frame that ends handles (CLOSE,
//! TREE_DISCONNECT, LOGOFF) or queues on one (CHANGE_NOTIFY: the file system answers a
//! handle's notifications in the order their requests reached it) first waits until every
//! earlier frame has started
//! ([`StartOrder::wait_for_earlier`]); all others start at once, so separate requests
//! still run side by side. A request that waits for long (a blocking lock, a notify) has
//! started once it waits, so it does not hold the close up: the close is what ends it.
//! Windows behaves the same way: an operation the server has begun holds its open, and
//! a CLOSE that arrives meanwhile does not make it fail.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// The frames of one connection that have not started yet.
#[derive(Default)]
pub(crate) struct StartOrder {
    next: AtomicU64,
    unstarted: Mutex<BTreeSet<u64>>,
    changed: Notify,
}

impl StartOrder {
    /// A ticket for the frame that has just arrived (call in arrival order).
    pub(crate) fn ticket(self: &Arc<Self>) -> Ticket {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        self.unstarted.lock().insert(seq);
        Ticket {
            order: Arc::clone(self),
            seq,
        }
    }

    /// True when no frame that arrived before `seq` is still unstarted.
    fn earlier_started(&self, seq: u64) -> bool {
        self.unstarted
            .lock()
            .first()
            .is_none_or(|&first| first >= seq)
    }

    /// Waits until every frame that arrived before `ticket`'s has started.
    pub(crate) async fn wait_for_earlier(&self, ticket: &Ticket) {
        loop {
            let notified = self.changed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a start in between is not missed.
            notified.as_mut().enable();
            if self.earlier_started(ticket.seq) {
                return;
            }
            notified.await;
        }
    }

    fn started(&self, seq: u64) {
        self.unstarted.lock().remove(&seq);
        self.changed.notify_waiters();
    }

    /// How many frames have not started yet (for tests).
    #[cfg(test)]
    fn unstarted(&self) -> usize {
        self.unstarted.lock().len()
    }
}

/// One frame's place in the arrival order; dropping it marks the frame started.
pub(crate) struct Ticket {
    order: Arc<StartOrder>,
    seq: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.order.started(self.seq);
    }
}

/// Runs `fut`, marking `ticket` started as soon as `fut` has been polled once.
pub(crate) async fn started_after_first_poll<F: Future>(ticket: Ticket, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut ticket = Some(ticket);
    std::future::poll_fn(move |cx| {
        let r = fut.as_mut().poll(cx);
        drop(ticket.take());
        r
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_later_frame_waits_for_the_first_poll_of_earlier_ones() {
        let order = Arc::new(StartOrder::default());
        let first = order.ticket();
        let second = order.ticket();
        let third = order.ticket();
        assert_eq!(order.unstarted(), 3);

        // The third waits while the first and second have not started.
        let o = Arc::clone(&order);
        let waiter = tokio::spawn(async move {
            o.wait_for_earlier(&third).await;
            third
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());

        // The first starts: polled once, it then waits forever.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let pending = tokio::spawn(started_after_first_poll(first, async move {
            let _ = rx.await;
        }));
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());

        // The second starts and finishes: now the third may go, although the first is
        // still waiting.
        started_after_first_poll(second, async {}).await;
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the third frame was released")
            .expect("no panic");
        assert_eq!(order.unstarted(), 1);
        drop(third);
        assert_eq!(order.unstarted(), 0);
        let _ = tx.send(());
        pending.await.expect("no panic");
    }

    #[tokio::test]
    async fn the_earliest_frame_never_waits() {
        let order = Arc::new(StartOrder::default());
        let only = order.ticket();
        let later = order.ticket();
        order.wait_for_earlier(&only).await;
        drop(only);
        order.wait_for_earlier(&later).await;
    }
}
