//! A connection's memory budget and its queue of responses waiting for the socket.
//!
//! What a connection holds in memory is counted in one number of bytes, bounded by
//! `max_connection_buffer`:
//! - every frame the reader admits *reserves* its own length plus the largest response its
//!   requests can give (a READ's length, a query's output buffer, a small allowance for
//!   the others) before its task starts ([`Outbox::reserve`]); the reservation ends with
//!   the task, or as soon as the request goes asynchronous, so a change notify that waits
//!   for hours does not hold the connection's budget;
//! - every response frame counts from the moment it is queued until the writer has handed
//!   it to the transport ([`Outbox::push`], [`Outbox::sent`]).
//!
//! When the budget is spent the reader stops taking frames until responses drain: a client
//! that does not read its socket soon stops being read too, and its TCP window closes. A
//! frame larger than the whole budget is still admitted when nothing else is held, so
//! every request can run. Memory per connection therefore stays below about twice the
//! budget (a running frame's response is counted in its reservation and again once
//! queued), plus the final responses of asynchronous requests.
//!
//! [`Budget`] is the pure arithmetic; [`Outbox`] adds the queue and the waiting.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::pieces::Pieces;

/// The byte count of one connection, and the rule for admitting more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Budget {
    limit: usize,
    in_use: usize,
    peak: usize,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Budget {
        Budget {
            limit,
            ..Budget::default()
        }
    }

    /// True when `n` more bytes may be reserved: they fit, or nothing is held at all.
    pub(crate) fn fits(&self, n: usize) -> bool {
        self.in_use == 0 || self.in_use.saturating_add(n) <= self.limit
    }

    /// Counts `n` more bytes (whether or not they fit).
    pub(crate) fn take(&mut self, n: usize) {
        self.in_use = self.in_use.saturating_add(n);
        self.peak = self.peak.max(self.in_use);
    }

    /// Counts `n` bytes fewer.
    pub(crate) fn give(&mut self, n: usize) {
        self.in_use = self.in_use.saturating_sub(n);
    }

    /// The bytes counted now.
    pub(crate) fn in_use(&self) -> usize {
        self.in_use
    }

    /// The most bytes ever counted at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }
}

/// One response frame (without its transport header) and the credits it grants.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The frame, in the buffers it is sent from; encrypted when `transform` is set.
    pub(crate) frame: Pieces,
    /// The TRANSFORM_HEADER that goes in front of an encrypted frame (kept apart so a
    /// READ's megabytes are encrypted where they lie and never moved).
    pub(crate) transform: Option<[u8; lwio_smb2::transform::TRANSFORM_HEADER_LEN]>,
    /// The sum of the CreditResponse fields of its messages, opened when it is sent.
    pub(crate) credits: u64,
}

impl Outgoing {
    /// The frame's length on the wire (without the Direct TCP header).
    pub(crate) fn len(&self) -> usize {
        self.frame.len() + self.transform.map_or(0, |t| t.len())
    }
}

struct State {
    budget: Budget,
    queue: VecDeque<Outgoing>,
    closed: bool,
}

/// A connection's budget and response queue, shared by the reader, the request tasks and
/// the writer.
pub(crate) struct Outbox {
    state: Mutex<State>,
    /// Wakes the writer: something was queued, or the outbox closed.
    queued: Notify,
    /// Wakes the reader: bytes were given back.
    freed: Notify,
}

impl Outbox {
    /// An outbox with a budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State {
                budget: Budget::new(limit),
                queue: VecDeque::new(),
                closed: false,
            }),
            queued: Notify::new(),
            freed: Notify::new(),
        }
    }

    /// Waits until `n` bytes fit in the budget, then reserves them.
    pub(crate) async fn reserve(self: &Arc<Self>, n: usize) -> Reservation {
        loop {
            let freed = self.freed.notified();
            let mut freed = std::pin::pin!(freed);
            freed.as_mut().enable();
            {
                let mut st = self.state.lock();
                if st.budget.fits(n) || st.closed {
                    st.budget.take(n);
                    return Reservation {
                        outbox: Arc::clone(self),
                        bytes: AtomicUsize::new(n),
                    };
                }
            }
            freed.await;
        }
    }

    /// Queues a response frame for the writer; it never waits (its bytes were reserved by
    /// its request). Dropped when the connection is closing.
    pub(crate) fn push(&self, out: Outgoing) {
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        st.budget.take(out.len());
        st.queue.push_back(out);
        drop(st);
        self.queued.notify_one();
    }

    /// The queued frames (at most `max_bytes` of them unless the first alone is longer),
    /// waiting for one; `None` once the outbox is closed and empty.
    pub(crate) async fn next_batch(&self, max_bytes: usize) -> Option<Vec<Outgoing>> {
        loop {
            let queued = self.queued.notified();
            let mut queued = std::pin::pin!(queued);
            queued.as_mut().enable();
            {
                let mut st = self.state.lock();
                if !st.queue.is_empty() {
                    let mut batch = Vec::new();
                    let mut bytes = 0;
                    while let Some(front) = st.queue.front() {
                        if !batch.is_empty() && bytes + front.len() > max_bytes {
                            break;
                        }
                        bytes += front.len();
                        batch.extend(st.queue.pop_front());
                    }
                    return Some(batch);
                }
                if st.closed {
                    return None;
                }
            }
            queued.await;
        }
    }

    /// The writer has handed `bytes` bytes of queued frames to the transport.
    pub(crate) fn sent(&self, bytes: usize) {
        self.give(bytes);
    }

    fn give(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        self.state.lock().budget.give(bytes);
        self.freed.notify_waiters();
    }

    /// No more frames: the writer sends what is queued and stops; reservations no longer
    /// wait.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.queued.notify_one();
        self.freed.notify_waiters();
    }

    /// Drops whatever is still queued (the connection is gone).
    pub(crate) fn discard(&self) {
        let mut st = self.state.lock();
        let bytes: usize = st.queue.drain(..).map(|o| o.len()).sum();
        st.budget.give(bytes);
    }

    /// The bytes counted now, and the most ever counted.
    pub(crate) fn usage(&self) -> (usize, usize) {
        let st = self.state.lock();
        (st.budget.in_use(), st.budget.peak())
    }
}

/// Bytes a frame reserved; given back when dropped or [`Reservation::release`]d.
pub(crate) struct Reservation {
    outbox: Arc<Outbox>,
    bytes: AtomicUsize,
}

impl Reservation {
    /// Gives the bytes back now (the request went asynchronous); later calls do nothing.
    pub(crate) fn release(&self) {
        let n = self.bytes.swap(0, Ordering::AcqRel);
        self.outbox.give(n);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_admits_while_it_fits_and_one_oversized_frame_alone() {
        let mut b = Budget::new(100);
        assert!(b.fits(1000), "nothing held: anything goes");
        b.take(60);
        assert!(b.fits(40));
        assert!(!b.fits(41));
        b.take(40);
        b.give(100);
        assert_eq!((b.in_use(), b.peak()), (0, 100));
    }

    #[tokio::test]
    async fn a_full_budget_holds_the_reader_until_the_writer_sends() {
        let out = Arc::new(Outbox::new(1000));
        let first = out.reserve(600).await;
        out.push(Outgoing {
            frame: Pieces::whole(vec![0; 500]),
            transform: None,
            credits: 1,
        });
        drop(first);
        // 500 queued: a reservation of 600 waits.
        let o = Arc::clone(&out);
        let waiting = tokio::spawn(async move { o.reserve(600).await });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let batch = out.next_batch(usize::MAX).await.unwrap();
        assert_eq!(batch.len(), 1);
        out.sent(500);
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("admitted once the response was sent")
            .unwrap();
        assert_eq!(out.usage(), (600, 1100));
        r.release();
        r.release();
        assert_eq!(out.usage().0, 0);
        drop(r);
        assert_eq!(out.usage().0, 0, "released once");
        out.close();
        assert!(out.next_batch(usize::MAX).await.is_none());
    }
}
