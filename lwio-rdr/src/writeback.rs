//! Write-behind under a lease's W (MS-SMB2 3.2.4.3.8 SMB2_LEASE_WRITE_CACHING; the
//! cache manager's lazy writer in Windows): while the server promises that no other
//! client opens the file, short writes that follow one another are gathered in memory
//! and reach the server as one large WRITE instead of one round trip each.
//!
//! ```text
//! write 0..128K   ─┐
//! write 128K..256K ├─ gathered (answered at once)      ──▶ WRITE 0..1M (one request)
//! ...              │                                        when something must see it
//! write 896K..1M  ─┘
//! ```
//!
//! - **What is gathered**: a write of at most [`GATHER_MAX`] bytes at an offset (not an
//!   append to end of file) while the open's lease holds W, that starts inside or right
//!   after the bytes gathered so far (the first one starts them), as long as the file's
//!   gathered bytes stay within [`RdrConfig::write_behind_file_bytes`] and every file's
//!   together within [`RdrConfig::write_behind_total_bytes`]. Anything else goes to the
//!   server at once, after what is gathered.
//! - **When it is sent** (flushed): before any other request on the handle (a read, a
//!   query of its size or times, a set-information, a lock, a flush, an FSCTL; the
//!   server must see the data first), before another open of the same name by this
//!   client (a `stat` by name after a write sees the new size; [`crate::cache::Cache`]
//!   keeps the gathering opens by name), when a write cannot be gathered, at the close
//!   (before the handle is parked under H or closed), when a lease break takes W (before
//!   the acknowledgment: the other client's open waits for it, then sees the data), and
//!   when the redirector shuts down.
//! - **Order**: what was gathered is always on the server before any write sent after it:
//!   a flush holds [`Behind`]'s order lock exclusively until its WRITEs are answered, and
//!   a write sent at once takes it shared, finding nothing gathered.
//! - **Nothing is lost silently**: the write IRP that was gathered completed with
//!   STATUS_SUCCESS before its data reached the server, so a deferred WRITE that fails
//!   cannot fail it. Its status is kept and returned by every later request on the same
//!   handle and by its close (as Windows' redirector reports a delayed write failure on
//!   later operations of the file; kept rather than returned once, because the next
//!   request may be one whose error the application never sees, a FUSE mount's
//!   getattr). The status is the server's, STATUS_CONNECTION_DISCONNECTED when the
//!   connection was lost and could not be re-established, or STATUS_DISK_FULL when the
//!   server wrote fewer bytes than it was sent. The close still closes the handle.
//! - **Not flushed by**: a directory listing of the file's directory (its size there is
//!   the server's until the next event above), and time: there is no lazy-writer timer,
//!   gathered bytes wait for the events above.
//!
//! Who owns what: [`Behind`] belongs to the open ([`crate::open::RemoteFile`]), and
//! survives a reconnect; the lease holds a weak reference to the open to flush it when
//! a break takes W (`Lease::set_flusher`).
//!
//! [`RdrConfig::write_behind_file_bytes`]: crate::RdrConfig::write_behind_file_bytes
//! [`RdrConfig::write_behind_total_bytes`]: crate::RdrConfig::write_behind_total_bytes

use std::sync::Arc;

use bytes::Bytes;
use lwio_types::NtStatus;
use parking_lot::Mutex;

use crate::lease::Budget;

/// The longest write that is gathered; longer ones are large enough to go on their own.
pub const GATHER_MAX: usize = 256 * 1024;

#[derive(Debug, Default)]
struct Gathered {
    /// The file offset of `data[0]`.
    start: u64,
    data: Vec<u8>,
    /// The status of a deferred WRITE that failed, until the close reports it.
    error: Option<NtStatus>,
}

/// One open's gathered writes.
#[derive(Debug)]
pub struct Behind {
    gathered: Mutex<Gathered>,
    /// Held exclusively by a flush while its WRITEs are in flight, shared by a write sent
    /// at once: gathered data never lands after a later write.
    pub(crate) order: tokio::sync::RwLock<()>,
    budget: Arc<Budget>,
}

impl Behind {
    /// Nothing gathered yet, under `budget` (the redirector's bound for every file).
    pub fn new(budget: Arc<Budget>) -> Behind {
        Behind {
            gathered: Mutex::new(Gathered::default()),
            order: tokio::sync::RwLock::new(()),
            budget,
        }
    }

    /// The bytes gathered now.
    pub fn len(&self) -> usize {
        self.gathered.lock().data.len()
    }

    /// True when nothing is gathered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gathers `data`, written at `offset`, when it continues or overwrites what is
    /// gathered within the bounds (or starts a gathering); false when it must go to the
    /// server (after what is gathered, [`Behind::take`]).
    pub fn gather(&self, offset: u64, data: &[u8]) -> bool {
        if data.is_empty() || data.len() > GATHER_MAX {
            return false;
        }
        let mut g = self.gathered.lock();
        if g.data.is_empty() {
            g.start = offset;
        }
        let Some(from) = offset
            .checked_sub(g.start)
            .and_then(|f| usize::try_from(f).ok())
        else {
            return false;
        };
        if from > g.data.len() {
            return false;
        }
        let Some(end) = from.checked_add(data.len()) else {
            return false;
        };
        if offset.checked_add(data.len() as u64).is_none() {
            return false;
        }
        let grow = end.saturating_sub(g.data.len());
        if end > self.budget.per_file() || !self.budget.take(grow) {
            return false;
        }
        if grow > 0 {
            g.data.resize(end, 0);
        }
        g.data[from..end].copy_from_slice(data);
        true
    }

    /// Takes what is gathered (its offset and bytes), to send now.
    pub fn take(&self) -> Option<(u64, Bytes)> {
        let mut g = self.gathered.lock();
        if g.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut g.data);
        self.budget.give_back(data.len());
        Some((g.start, Bytes::from(data)))
    }

    /// Keeps the status of a deferred write that failed (the first one, if several do).
    pub fn failed(&self, status: NtStatus) {
        let mut g = self.gathered.lock();
        g.error.get_or_insert(status);
    }

    /// The status of a deferred write that failed, kept (every later request of the
    /// handle fails with it).
    pub fn error(&self) -> Option<NtStatus> {
        self.gathered.lock().error
    }

    /// The status of a deferred write that failed, taken (the close reports it last).
    pub fn take_error(&self) -> Option<NtStatus> {
        self.gathered.lock().error.take()
    }
}

impl Drop for Behind {
    fn drop(&mut self) {
        let n = self.gathered.get_mut().data.len();
        self.budget.give_back(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_and_overlapping_writes_gather_within_bounds() {
        let budget = Arc::new(Budget::new(16, 8));
        let b = Behind::new(Arc::clone(&budget));
        assert!(b.gather(100, b"abc"));
        assert!(b.gather(103, b"def"), "right after");
        assert!(b.gather(101, b"XY"), "inside");
        assert!(!b.gather(99, b"z"), "before the start");
        assert!(!b.gather(107, b"z"), "a hole");
        assert!(!b.gather(106, b"xyz"), "over the file's bound");
        assert!(b.gather(106, b"xy"));
        assert_eq!(budget.used(), 8);
        assert_eq!(b.take(), Some((100, Bytes::from_static(b"aXYdefxy"))));
        assert_eq!(b.take(), None);
        assert_eq!(budget.used(), 0);
        assert!(!b.gather(0, &vec![0u8; GATHER_MAX + 1]), "a long write");
    }

    #[test]
    fn the_total_bound_is_shared_and_given_back() {
        let budget = Arc::new(Budget::new(6, 6));
        let a = Behind::new(Arc::clone(&budget));
        let b = Behind::new(Arc::clone(&budget));
        assert!(a.gather(0, b"1234"));
        assert!(!b.gather(0, b"567"), "over the total");
        assert!(b.gather(0, b"56"));
        drop(a);
        assert_eq!(budget.used(), 2);
        assert!(b.gather(2, b"7890"));
    }

    #[test]
    fn the_first_failure_is_kept_until_taken() {
        let b = Behind::new(Arc::new(Budget::new(8, 8)));
        b.failed(NtStatus::DISK_FULL);
        b.failed(NtStatus::ACCESS_DENIED);
        assert_eq!(b.error(), Some(NtStatus::DISK_FULL));
        assert_eq!(b.error(), Some(NtStatus::DISK_FULL));
        assert_eq!(b.take_error(), Some(NtStatus::DISK_FULL));
        assert_eq!(b.take_error(), None);
    }
}
