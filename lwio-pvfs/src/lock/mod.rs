//! Byte-range locks: a pure, synchronous lock table for one open stream.
//!
//! The PVFS driver keeps one [`LockTable`] per file control block, under its own mutex.
//! The table does no I/O and completes nothing: every call that can release a waiting
//! request returns the waiters' payloads (the driver stores a pending IRP there), and the
//! driver completes them after it has dropped its mutex.
//!
//! # Rules (MS-FSA)
//!
//! * Ranges and validation: [`LockRange::validate`] (2.1.5.8, 2.1.5.9).
//! * Which ranges overlap, zero-length ranges included: [`LockRange::overlaps`] (2.1.4.10).
//! * Which overlapping locks block a lock, a read or a write: `range::blocks` (2.1.4.10),
//!   used by [`LockTable::lock`] and [`LockTable::check_io`].
//! * Unlock matching: [`LockTable::unlock`] (2.1.5.9).
//! * Waiting locks: [`LockTable::enqueue`], [`LockTable::cancel_waiter`] and the retry
//!   after each release (2.1.5.8, "wait until" the conflict is gone).
//! * Status of a refused lock: `LockTable::conflict_status` (2.1.5.8, MS-SMB2 3.3.5.14.2).
//!
//! What this module does not do: the SMB2 `LockSequence` replay check (MS-SMB2 3.3.5.14)
//! and the rollback of a multi-element SMB2 LOCK request belong to the SMB2 server; the
//! oplock break that precedes a lock (MS-FSA 2.1.5.8) belongs to the driver; and the
//! directory check (`STATUS_INVALID_PARAMETER`) needs the stream type, which the table
//! does not know.
//!
//! # Complexity
//!
//! Granted locks live in a `BTreeMap` ordered by offset (then by grant order), beside a
//! multiset of their lengths. A conflict check for `[a, b)` scans the locks whose offset
//! lies in `[a - max_length, b)`, where `max_length` is the longest lock held: O(log n + k)
//! with k the locks in that window. A few very long locks (say, to end of file) widen the
//! window; the cost then grows toward O(n) per check, never worse. Releasing a lock is
//! O(log n); closing a handle is O(m log n) for its m locks. After a release every queued
//! waiter is retried once, in FIFO order: O(w (log n + k)) for w waiters.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lwio_core::NtStatus;
use lwio_fscc::lock_list::{LOCK_EXCLUSIVE, LOCK_WAITING, LockEntry};

mod range;
#[cfg(test)]
mod tests;

pub use range::LockRange;
use range::{Access, Holder, blocks};

/// Identifies the open (handle, CCB) that owns a lock: one value per open handle.
pub type OwnerId = u64;

/// Key of a granted lock in [`LockTable::locks`]: offset, then grant sequence.
type Slot = (u64, u64);

/// One granted lock.
#[derive(Debug, Clone, Copy)]
struct Granted {
    holder: Holder,
    length: u64,
}

/// One lock request waiting for its range (MS-FSA 2.1.5.8 with `FailImmediately` FALSE).
#[derive(Debug)]
struct Waiter<W> {
    owner: OwnerId,
    key: u32,
    range: LockRange,
    exclusive: bool,
    payload: W,
}

/// The byte-range locks and waiting lock requests of one open stream.
///
/// `W` is an opaque payload for a waiting request, returned when the request is granted or
/// dropped; the table never looks inside it.
#[derive(Debug)]
pub struct LockTable<W> {
    /// Granted locks by (offset, sequence): the sequence keeps identical ranges apart and
    /// orders them by grant time.
    locks: BTreeMap<Slot, Granted>,
    /// How many granted locks have each length; the last key is the longest lock.
    lengths: BTreeMap<u64, usize>,
    /// The slots of each owner's locks, so a close does not scan the whole table.
    by_owner: HashMap<OwnerId, BTreeSet<Slot>>,
    /// Waiting requests by id; ids grow, so iteration order is FIFO.
    waiters: BTreeMap<u64, Waiter<W>>,
    /// Source of lock sequences and waiter ids.
    next_id: u64,
}

impl<W> Default for LockTable<W> {
    fn default() -> Self {
        LockTable::new()
    }
}

impl<W> LockTable<W> {
    /// An empty table.
    pub fn new() -> Self {
        LockTable {
            locks: BTreeMap::new(),
            lengths: BTreeMap::new(),
            by_owner: HashMap::new(),
            waiters: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Tries to take a lock now (MS-FSA 2.1.5.8).
    ///
    /// The range is validated first (`STATUS_INVALID_LOCK_RANGE`, see
    /// [`LockRange::validate`]). It is then checked against every granted lock with the
    /// rule of MS-FSA 2.1.4.10 (`IsExclusive` = `exclusive`, `LockIntent` TRUE): an
    /// exclusive request conflicts with any overlapping lock, the owner's own included; a
    /// shared request conflicts with overlapping exclusive locks except those of the same
    /// owner and key. Queued waiters are not considered, as in the specification.
    ///
    /// On a conflict nothing changes and the error is `conflict_status`
    /// (`STATUS_LOCK_NOT_GRANTED`); a caller that may wait then calls
    /// [`enqueue`](Self::enqueue) without releasing its mutex in between. Any error other
    /// than `STATUS_INVALID_LOCK_RANGE` is a conflict.
    pub fn lock(
        &mut self,
        owner: OwnerId,
        key: u32,
        range: LockRange,
        exclusive: bool,
    ) -> Result<(), NtStatus> {
        let range = range.validate()?;
        if self.conflicts(range, Access::lock(exclusive), owner, Some(key)) {
            return Err(self.conflict_status(owner, range));
        }
        self.insert(owner, key, range, exclusive);
        Ok(())
    }

    /// Queues a lock request that waits for its range (MS-FSA 2.1.5.8, `FailImmediately`
    /// FALSE: "wait until" no conflict remains). Returns the waiter's id for
    /// [`cancel_waiter`](Self::cancel_waiter).
    ///
    /// Call it after [`lock`](Self::lock) failed with a conflict. The request is not tried
    /// here; it is tried again after every [`unlock`](Self::unlock) and
    /// [`release_owner`](Self::release_owner). An invalid range is refused with
    /// `STATUS_INVALID_LOCK_RANGE` and the payload is handed back.
    pub fn enqueue(
        &mut self,
        owner: OwnerId,
        key: u32,
        range: LockRange,
        exclusive: bool,
        waiter: W,
    ) -> Result<u64, (NtStatus, W)> {
        let range = match range.validate() {
            Ok(range) => range,
            Err(status) => return Err((status, waiter)),
        };
        let id = self.next_id();
        self.waiters.insert(
            id,
            Waiter {
                owner,
                key,
                range,
                exclusive,
                payload: waiter,
            },
        );
        Ok(id)
    }

    /// Removes a waiting request (its IRP was cancelled) and returns its payload, or `None`
    /// when it is no longer queued (already granted, cancelled, or dropped by a close).
    pub fn cancel_waiter(&mut self, waiter_id: u64) -> Option<W> {
        self.waiters.remove(&waiter_id).map(|w| w.payload)
    }

    /// Releases one lock (MS-FSA 2.1.5.9).
    ///
    /// The range is validated as for a lock. The lock released is one whose owner, key,
    /// offset and length all equal the arguments: no partial unlock, no unlock of a
    /// covering or covered range. When several match (the same open may hold the same
    /// range more than once, as shared locks or as an exclusive lock with shared locks
    /// over it), an exclusive one goes first, otherwise the most recent shared one; so
    /// releasing one of two identical shared locks leaves the other. With no match the
    /// result is `STATUS_RANGE_NOT_LOCKED`.
    ///
    /// On success, the waiters that can now be granted are granted (their locks inserted)
    /// and their payloads returned in FIFO order; see [`release_owner`](Self::release_owner)
    /// for how the retry goes.
    pub fn unlock(
        &mut self,
        owner: OwnerId,
        key: u32,
        range: LockRange,
    ) -> Result<Vec<W>, NtStatus> {
        let range = range.validate()?;
        let mut found: Option<(Slot, bool)> = None;
        for (&slot, granted) in self
            .locks
            .range((range.offset, 0)..=(range.offset, u64::MAX))
        {
            let holder = granted.holder;
            if holder.owner == owner && holder.key == key && granted.length == range.length {
                found = Some((slot, holder.exclusive));
                if holder.exclusive {
                    break;
                }
            }
        }
        let Some((slot, _)) = found else {
            return Err(NtStatus::RANGE_NOT_LOCKED);
        };
        self.remove(slot);
        Ok(self.grant_waiters())
    }

    /// The open `owner` was closed (cleanup): drops all its locks and its waiting
    /// requests.
    ///
    /// Returns `(granted, cancelled)`: the payloads of other owners' waiters that the
    /// released locks let through (their locks are already inserted), and the payloads of
    /// this owner's own waiters, which the driver completes as cancelled. Both in FIFO
    /// order.
    ///
    /// The retry, here and after [`unlock`](Self::unlock), walks the queue once from the
    /// oldest waiter and grants each one that no longer conflicts with the granted locks,
    /// counting those just granted; so one granted waiter may keep a later one waiting,
    /// while a waiter that still conflicts does not hold back later ones whose ranges are
    /// free.
    pub fn release_owner(&mut self, owner: OwnerId) -> (Vec<W>, Vec<W>) {
        let cancelled_ids: Vec<u64> = self
            .waiters
            .iter()
            .filter(|(_, w)| w.owner == owner)
            .map(|(&id, _)| id)
            .collect();
        let cancelled = cancelled_ids
            .into_iter()
            .filter_map(|id| self.waiters.remove(&id).map(|w| w.payload))
            .collect();
        let slots = self.by_owner.remove(&owner).unwrap_or_default();
        if slots.is_empty() {
            return (Vec::new(), cancelled);
        }
        for slot in slots {
            self.remove_granted(slot);
        }
        (self.grant_waiters(), cancelled)
    }

    /// Would a read (`write == false`) or a write by `owner` with `key` over
    /// `[offset, offset + length)` conflict with a granted lock? MS-FSA 2.1.4.10 with
    /// `LockIntent` FALSE and `IsExclusive` = `write`:
    ///
    /// * a read is blocked by an overlapping exclusive lock of another open, or of the same
    ///   open with another key; never by a shared lock;
    /// * a write is blocked by the same exclusive locks, and by every overlapping shared
    ///   lock, the writer's own included;
    /// * an exclusive lock never blocks I/O by its own open and key.
    ///
    /// Overlap follows [`LockRange::overlaps`]: an I/O of zero bytes at offset 0 never
    /// conflicts, and a zero-length lock blocks only I/O that strictly straddles its
    /// offset. `key == None` skips the key comparison (the open alone decides). The range
    /// is not validated; it is compared in 128-bit arithmetic, so a range past 2^64 simply
    /// extends to it.
    ///
    /// The error is `STATUS_FILE_LOCK_CONFLICT`, the status of MS-FSA 2.1.5.2 (read) and
    /// 2.1.5.3 (write) for a range that conflicts with a byte-range lock.
    pub fn check_io(
        &self,
        owner: OwnerId,
        key: Option<u32>,
        offset: u64,
        length: u64,
        write: bool,
    ) -> Result<(), NtStatus> {
        let range = LockRange::new(offset, length);
        if self.conflicts(range, Access::io(write), owner, key) {
            Err(NtStatus::FILE_LOCK_CONFLICT)
        } else {
            Ok(())
        }
    }

    /// No granted lock and no waiting request.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty() && self.waiters.is_empty()
    }

    /// Number of granted locks.
    pub fn lock_count(&self) -> usize {
        self.locks.len()
    }

    /// Number of waiting requests.
    pub fn waiter_count(&self) -> usize {
        self.waiters.len()
    }

    /// The granted locks (by offset, then grant order), then the waiting requests (in
    /// FIFO order), of `only` or of every owner: what `FSCTL_LWIO_QUERY_LOCKS` lists.
    pub fn entries(&self, only: Option<OwnerId>) -> impl Iterator<Item = LockEntry> + '_ {
        let mine = move |owner: OwnerId| only.is_none_or(|o| o == owner);
        let granted = self
            .locks
            .iter()
            .filter(move |(_, g)| mine(g.holder.owner))
            .map(|(&(offset, _), g)| LockEntry {
                offset,
                length: g.length,
                owner: g.holder.owner,
                key: g.holder.key,
                flags: if g.holder.exclusive {
                    LOCK_EXCLUSIVE
                } else {
                    0
                },
            });
        let waiting = self
            .waiters
            .values()
            .filter(move |w| mine(w.owner))
            .map(|w| LockEntry {
                offset: w.range.offset,
                length: w.range.length,
                owner: w.owner,
                key: w.key,
                flags: LOCK_WAITING | if w.exclusive { LOCK_EXCLUSIVE } else { 0 },
            });
        granted.chain(waiting)
    }

    /// The status of a lock request refused because of a conflict.
    ///
    /// MS-FSA 2.1.5.8 fails a `FailImmediately` request with `STATUS_LOCK_NOT_GRANTED`,
    /// and MS-SMB2 3.3.5.14.2 requires the same status for an SMB2 LOCK element with
    /// `SMB2_LOCKFLAG_FAIL_IMMEDIATELY`; that is what this returns, always.
    ///
    /// Windows SMB1 servers are known to answer some refused locks with
    /// `STATUS_FILE_LOCK_CONFLICT` instead (a remembered "last failed lock" per open,
    /// with offsets at or above 0xEF000000 treated apart). That heuristic is not part of
    /// MS-FSA nor of SMB2, so it is not applied here; this one function, which receives the
    /// owner and the range, is where it would go if smbtorture shows that it is needed.
    fn conflict_status(&self, owner: OwnerId, range: LockRange) -> NtStatus {
        let _ = (owner, range);
        NtStatus::LOCK_NOT_GRANTED
    }

    /// MS-FSA 2.1.4.10 over the granted locks: does any overlapping lock block `access`?
    fn conflicts(
        &self,
        range: LockRange,
        access: Access,
        owner: OwnerId,
        key: Option<u32>,
    ) -> bool {
        let end = range.end();
        // The {0, 0} range (end 0) overlaps nothing.
        let Some(last) = end.checked_sub(1) else {
            return false;
        };
        let Some((&max_length, _)) = self.lengths.last_key_value() else {
            return false;
        };
        // A lock at `o` with length `l <= max_length` reaches past `range.offset` only if
        // `o > range.offset - l`; and it starts before `end` only if `o <= end - 1`.
        let low = range.offset.saturating_sub(max_length);
        let high = u64::try_from(last).unwrap_or(u64::MAX);
        if low > high {
            // A zero-length range at `p` with only zero-length locks held: the window
            // `[p, p - 1]` is empty.
            return false;
        }
        self.locks
            .range((low, 0)..=(high, u64::MAX))
            .any(|(&(offset, _), granted)| {
                LockRange::new(offset, granted.length).overlaps(range)
                    && blocks(granted.holder, access, owner, key)
            })
    }

    /// Grants the waiters that no longer conflict, oldest first, and returns their payloads.
    fn grant_waiters(&mut self) -> Vec<W> {
        let ids: Vec<u64> = self.waiters.keys().copied().collect();
        let mut granted = Vec::new();
        for id in ids {
            let Some(w) = self.waiters.get(&id) else {
                continue;
            };
            let (owner, key, range, exclusive) = (w.owner, w.key, w.range, w.exclusive);
            if self.conflicts(range, Access::lock(exclusive), owner, Some(key)) {
                continue;
            }
            if let Some(w) = self.waiters.remove(&id) {
                self.insert(owner, key, range, exclusive);
                tracing::trace!(
                    owner,
                    key,
                    ?range,
                    exclusive,
                    "waiting byte-range lock granted"
                );
                granted.push(w.payload);
            }
        }
        granted
    }

    /// Records a granted lock.
    fn insert(&mut self, owner: OwnerId, key: u32, range: LockRange, exclusive: bool) {
        let slot = (range.offset, self.next_id());
        let holder = Holder {
            owner,
            key,
            exclusive,
        };
        self.locks.insert(
            slot,
            Granted {
                holder,
                length: range.length,
            },
        );
        *self.lengths.entry(range.length).or_insert(0) += 1;
        self.by_owner.entry(owner).or_default().insert(slot);
    }

    /// Forgets a granted lock, owner index included.
    fn remove(&mut self, slot: Slot) {
        if let Some(granted) = self.remove_granted(slot) {
            let owner = granted.holder.owner;
            if let Some(slots) = self.by_owner.get_mut(&owner) {
                slots.remove(&slot);
                if slots.is_empty() {
                    self.by_owner.remove(&owner);
                }
            }
        }
    }

    /// Forgets a granted lock, but not its entry in the owner index.
    fn remove_granted(&mut self, slot: Slot) -> Option<Granted> {
        let granted = self.locks.remove(&slot)?;
        if let Some(count) = self.lengths.get_mut(&granted.length) {
            *count -= 1;
            if *count == 0 {
                self.lengths.remove(&granted.length);
            }
        }
        Some(granted)
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}
