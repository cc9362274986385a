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
//! earlier frame has started ([`StartAfter::All`]). A SET_INFO breaks leases and oplocks
//! as it reaches the file system (a rename, a delete, a new size: the holder must hear of
//! it before the answer to anything the client sends next, smbtorture's
//! `smb2.lease.rename_wait`), so every later frame waits until the earlier SET_INFOs have
//! started ([`StartAfter::Breakers`]): their break notifications are queued by then. Only
//! oplock and lease acknowledgments start at once ([`StartAfter::Now`]): the SET_INFO may
//! be waiting for one. So separate requests still run side by side. A request that waits for long (a blocking lock, a notify) has
//! started once it waits, so it does not hold the close up: the close is what ends it.
//! Windows behaves the same way: an operation the server has begun holds its open, and
//! a CLOSE that arrives meanwhile does not make it fail.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// Which earlier frames a frame waits for before it starts (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartAfter {
    /// None: oplock and lease acknowledgments.
    Now,
    /// The earlier frames that break leases and oplocks as they reach the file system.
    Breakers,
    /// Every earlier frame: frames that end handles or queue on one.
    All,
}

/// The frames of one connection that have not started yet.
#[derive(Default)]
pub(crate) struct StartOrder {
    next: AtomicU64,
    unstarted: Mutex<Unstarted>,
    changed: Notify,
}

/// The unstarted frames, and those of them that break at dispatch.
#[derive(Default)]
struct Unstarted {
    all: BTreeSet<u64>,
    breakers: BTreeSet<u64>,
}

impl StartOrder {
    /// A ticket for the frame that has just arrived (call in arrival order); `breaks`: the
    /// frame breaks leases or oplocks as it reaches the file system.
    pub(crate) fn ticket(self: &Arc<Self>, breaks: bool) -> Ticket {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut unstarted = self.unstarted.lock();
        unstarted.all.insert(seq);
        if breaks {
            unstarted.breakers.insert(seq);
        }
        Ticket {
            order: Arc::clone(self),
            seq,
        }
    }

    /// True when none of the frames `after` names that arrived before `seq` is unstarted.
    fn earlier_started(&self, seq: u64, after: StartAfter) -> bool {
        let unstarted = self.unstarted.lock();
        let waited = match after {
            StartAfter::Now => return true,
            StartAfter::Breakers => &unstarted.breakers,
            StartAfter::All => &unstarted.all,
        };
        waited.first().is_none_or(|&first| first >= seq)
    }

    /// Waits until the frames `after` names that arrived before `ticket`'s have started.
    pub(crate) async fn wait_for_earlier(&self, ticket: &Ticket, after: StartAfter) {
        loop {
            let notified = self.changed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a start in between is not missed.
            notified.as_mut().enable();
            if self.earlier_started(ticket.seq, after) {
                return;
            }
            notified.await;
        }
    }

    fn started(&self, seq: u64) {
        {
            let mut unstarted = self.unstarted.lock();
            unstarted.all.remove(&seq);
            unstarted.breakers.remove(&seq);
        }
        self.changed.notify_waiters();
    }

    /// How many frames have not started yet (for tests).
    #[cfg(test)]
    fn unstarted(&self) -> usize {
        self.unstarted.lock().all.len()
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
        let first = order.ticket(false);
        let second = order.ticket(false);
        let third = order.ticket(false);
        assert_eq!(order.unstarted(), 3);

        // The third waits while the first and second have not started.
        let o = Arc::clone(&order);
        let waiter = tokio::spawn(async move {
            o.wait_for_earlier(&third, StartAfter::All).await;
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
        let only = order.ticket(false);
        let later = order.ticket(false);
        order.wait_for_earlier(&only, StartAfter::All).await;
        drop(only);
        order.wait_for_earlier(&later, StartAfter::All).await;
    }

    #[tokio::test]
    async fn a_later_frame_waits_for_an_earlier_set_info_but_not_for_other_frames() {
        let order = Arc::new(StartOrder::default());
        let read = order.ticket(false);
        let set_info = order.ticket(true);
        let create = order.ticket(false);
        let ack = order.ticket(false);
        // The unstarted read holds nothing up but what waits for all.
        assert!(!order.earlier_started(create.seq, StartAfter::All));
        // The unstarted SET_INFO holds the create up, not the acknowledgment.
        assert!(!order.earlier_started(create.seq, StartAfter::Breakers));
        assert!(order.earlier_started(ack.seq, StartAfter::Now));
        // Nor a frame that arrived before it.
        assert!(order.earlier_started(set_info.seq, StartAfter::Breakers));
        let o = Arc::clone(&order);
        let waiter = tokio::spawn(async move {
            o.wait_for_earlier(&create, StartAfter::Breakers).await;
            create
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "waits for the SET_INFO");
        drop(set_info);
        let create = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("released once the SET_INFO started")
            .expect("no panic");
        assert_eq!(order.unstarted(), 3, "the read has not started: no matter");
        drop((read, create, ack));
    }
}
