//! Byte ranges and the conflict rule of MS-FSA 2.1.4.10.
//!
//! Everything here is a pure function of one held lock and one access; the table in the
//! parent module only decides which held locks to look at.

use lwio_core::NtStatus;
use lwio_core::irp::{LockRequest, UnlockRequest};

use super::OwnerId;

/// A byte range `[offset, offset + length)` of a lock or of an I/O.
///
/// A range is valid for a lock when its last byte, `offset + length - 1`, fits in a `u64`
/// ([`LockRange::validate`]); the last byte may be `u64::MAX`. A zero-length range names
/// the boundary just before `offset` and covers no byte (see [`LockRange::overlaps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LockRange {
    /// First byte of the range.
    pub offset: u64,
    /// Number of bytes; zero is allowed.
    pub length: u64,
}

impl LockRange {
    /// The range `[offset, offset + length)`.
    pub const fn new(offset: u64, length: u64) -> LockRange {
        LockRange { offset, length }
    }

    /// MS-FSA 2.1.5.8 and 2.1.5.9 (validation): a non-empty range whose last byte,
    /// `offset + length - 1`, does not fit in 64 bits fails with
    /// `STATUS_INVALID_LOCK_RANGE`. So `(u64::MAX, 1)` and `(1, u64::MAX)` are valid, while
    /// `(u64::MAX, 2)` and `(2, u64::MAX)` are not; a zero-length range is always valid.
    pub const fn validate(self) -> Result<LockRange, NtStatus> {
        if self.length != 0 && self.offset.checked_add(self.length - 1).is_none() {
            Err(NtStatus::INVALID_LOCK_RANGE)
        } else {
            Ok(self)
        }
    }

    /// One past the last byte, widened so that a range ending at `u64::MAX` has end 2^64.
    pub const fn end(self) -> u128 {
        self.offset as u128 + self.length as u128
    }

    /// MS-FSA 2.1.4.10 (overlap test): the ranges overlap when each one starts at or
    /// before the other's last byte, with last byte `offset + length - 1`.
    ///
    /// Written with exclusive ends in 128 bits this is `a.offset < b.end && b.offset <
    /// a.end`, which gives the section's special cases without spelling them out:
    ///
    /// * the `{0, 0}` range (offset 0, length 0) overlaps nothing, neither as a lock nor as
    ///   an access;
    /// * any other zero-length range at `p` overlaps a range that holds both byte `p - 1`
    ///   and byte `p`, i.e. one that strictly straddles `p`; it does not overlap a range
    ///   that starts or ends at `p`, nor another zero-length range.
    pub const fn overlaps(self, other: LockRange) -> bool {
        (self.offset as u128) < other.end() && (other.offset as u128) < self.end()
    }
}

impl From<&LockRequest> for LockRange {
    fn from(request: &LockRequest) -> LockRange {
        LockRange::new(request.offset, request.length)
    }
}

impl From<&UnlockRequest> for LockRange {
    fn from(request: &UnlockRequest) -> LockRange {
        LockRange::new(request.offset, request.length)
    }
}

/// What an access to a range intends: the `IsExclusive` and `LockIntent` inputs of
/// MS-FSA 2.1.4.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// A shared lock request (`IsExclusive` FALSE, `LockIntent` TRUE).
    SharedLock,
    /// An exclusive lock request (`IsExclusive` TRUE, `LockIntent` TRUE).
    ExclusiveLock,
    /// A read (`IsExclusive` FALSE, `LockIntent` FALSE).
    Read,
    /// A write (`IsExclusive` TRUE, `LockIntent` FALSE).
    Write,
}

impl Access {
    /// The access a lock request of this kind makes.
    pub(super) const fn lock(exclusive: bool) -> Access {
        if exclusive {
            Access::ExclusiveLock
        } else {
            Access::SharedLock
        }
    }

    /// The access a read (`write == false`) or a write makes.
    pub(super) const fn io(write: bool) -> Access {
        if write { Access::Write } else { Access::Read }
    }
}

/// Who holds a granted lock and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Holder {
    /// The open (handle) that took the lock.
    pub(super) owner: OwnerId,
    /// The key it was taken with.
    pub(super) key: u32,
    /// Exclusive rather than shared.
    pub(super) exclusive: bool,
}

/// MS-FSA 2.1.4.10 (conflict decision), for a held lock that overlaps the access:
///
/// * an **exclusive** lock blocks every access (read, write, shared or exclusive lock) by
///   a different open, or by the same open with a different key;
/// * an **exclusive** lock does not block I/O, nor a shared lock, by its own open and key,
///   but it does block an exclusive lock by them: overlapping exclusive locks are not
///   allowed even to the same owner (no merging, no upgrade);
/// * a **shared** lock blocks every access with exclusive intent, i.e. writes and exclusive
///   locks, by anyone including its own open and key; it never blocks reads or shared locks.
///
/// `key == None` means the caller has no key (an I/O path that does not carry one); the key
/// comparison is then skipped and only the open decides.
pub(super) fn blocks(held: Holder, access: Access, owner: OwnerId, key: Option<u32>) -> bool {
    if held.exclusive {
        let same = held.owner == owner && key.is_none_or(|k| k == held.key);
        !same || access == Access::ExclusiveLock
    } else {
        matches!(access, Access::ExclusiveLock | Access::Write)
    }
}
