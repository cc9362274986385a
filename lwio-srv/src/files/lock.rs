//! SMB2 LOCK (MS-SMB2 3.3.5.14): byte-range locks and unlocks as lock/unlock IRPs.
//!
//! A request whose first element unlocks is an unlock request: its elements are taken in
//! order, each must be exactly SMB2_LOCKFLAG_UNLOCK, and the first that is not, or whose
//! range is not locked, ends the request with the unlocks before it kept (3.3.5.14.1).
//! Otherwise it is a lock request, checked by [`LockRequest::validate`] (3.3.5.14.2): one
//! element that may wait goes asynchronous when its IRP pends, with the IRP's canceller
//! for SMB2 CANCEL; several elements must all fail immediately and are all or nothing
//! (the ones already taken are released again when one fails).
//!
//! Lock sequence replay (3.3.5.14): on an open that asked for resiliency (from 2.1 on), a
//! durable one on a 3.x connection, or any open on a 3.x connection that negotiated
//! multichannel (SMB2_GLOBAL_CAP_MULTI_CHANNEL; persistent handles are not offered),
//! a request with a LockSequenceIndex of 1 to 64
//! whose number matches the one stored for that index after the last success is a replay
//! and succeeds without being performed; otherwise the index is invalidated, and set
//! again when the request succeeds.

use std::sync::atomic::{AtomicBool, Ordering};

use lwio_core::irp::{LockRequest as IoLock, UnlockRequest};
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::lock::{LockElement, LockOperation, LockSequence};
use lwio_smb2::{LockFlags, LockRequest, LockResponse};
use parking_lot::Mutex;

use super::{Outcome, await_irp, bad_request, body, open_of};
use crate::state::{FileRequest, Open, Reply};

/// How many LockSequenceArray entries an open has (MS-SMB2 3.3.1.10: indexes 1 to 64).
const LOCK_SEQUENCE_ENTRIES: usize = 64;

/// The dialect from which LockSequence means something (SMB 2.1; 2.0.2 leaves it reserved).
const DIALECT_2_1: u16 = 0x0210;

/// The dialect from which durable opens verify lock sequences too (SMB 3.0).
const DIALECT_3_0: u16 = 0x0300;

/// The lock state the server keeps per open, beside the byte-range locks the file system
/// keeps: whether the open is resilient, its LockSequenceArray (MS-SMB2 3.3.1.10), and
/// whether the client closed it while a lock request was still waiting.
#[derive(Debug)]
pub struct OpenLocks {
    resilient: AtomicBool,
    durable: AtomicBool,
    closed: AtomicBool,
    /// Entry `i` is the LockSequenceNumber stored for index `i + 1`, `None` when invalid.
    sequences: Mutex<[Option<u8>; LOCK_SEQUENCE_ENTRIES]>,
}

impl Default for OpenLocks {
    fn default() -> Self {
        OpenLocks {
            resilient: AtomicBool::new(false),
            durable: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            sequences: Mutex::new([None; LOCK_SEQUENCE_ENTRIES]),
        }
    }
}

impl OpenLocks {
    /// Marks the open resilient (FSCTL_LMR_REQUEST_RESILIENCY, MS-SMB2 3.3.5.15.9), which
    /// turns on lock sequence verification for it.
    pub fn set_resilient(&self) {
        self.resilient.store(true, Ordering::Relaxed);
    }

    /// Marks the open durable (MS-SMB2 3.3.5.9.6, 3.3.5.9.10): from 3.0 on that turns on
    /// lock sequence verification for it too.
    pub fn set_durable(&self) {
        self.durable.store(true, Ordering::Relaxed);
    }

    /// True once the open asked for resiliency.
    pub fn is_resilient(&self) -> bool {
        self.resilient.load(Ordering::Relaxed)
    }

    /// Marks the open closed by an SMB2 CLOSE, so a lock request still waiting on it ends
    /// with STATUS_RANGE_NOT_LOCKED rather than STATUS_CANCELLED, as Windows answers.
    pub fn set_closed(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// The array entry a request's LockSequence names, when verification applies to it;
    /// `multichannel`: the request's connection negotiated multichannel (3.x: every open
    /// verifies, MS-SMB2 3.3.5.14).
    fn entry_on(&self, dialect: u16, multichannel: bool, seq: LockSequence) -> Option<usize> {
        let index = usize::try_from(seq.index).ok()?;
        let verify = (dialect >= DIALECT_2_1 && self.is_resilient())
            || (dialect >= DIALECT_3_0 && (multichannel || self.durable.load(Ordering::Relaxed)));
        (verify && (1..=LOCK_SEQUENCE_ENTRIES).contains(&index)).then(|| index - 1)
    }

    /// Before a request: true for a replay of the last successful request with the same
    /// index and number; otherwise invalidates the entry and returns false.
    #[cfg(test)]
    fn check_replay(&self, dialect: u16, seq: LockSequence) -> bool {
        self.check_replay_on(dialect, false, seq)
    }

    /// [`OpenLocks::check_replay`] on a connection that negotiated multichannel when
    /// `multichannel`.
    fn check_replay_on(&self, dialect: u16, multichannel: bool, seq: LockSequence) -> bool {
        let Some(i) = self.entry_on(dialect, multichannel, seq) else {
            return false;
        };
        let mut sequences = self.sequences.lock();
        if sequences[i] == Some(seq.number) {
            return true;
        }
        sequences[i] = None;
        false
    }

    /// After a successful request: stores its number for its index.
    #[cfg(test)]
    fn record(&self, dialect: u16, seq: LockSequence) {
        self.record_on(dialect, false, seq);
    }

    /// [`OpenLocks::record`] on a connection that negotiated multichannel when
    /// `multichannel`.
    fn record_on(&self, dialect: u16, multichannel: bool, seq: LockSequence) {
        if let Some(i) = self.entry_on(dialect, multichannel, seq) {
            self.sequences.lock()[i] = Some(seq.number);
        }
    }
}

/// Handles LOCK.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let lr = match LockRequest::decode(req.msg) {
        Ok(lr) => lr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, lr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let seq = lr.lock_sequence;
    let multichannel = req.async_control.multichannel();
    let status = if open.locks.check_replay_on(req.dialect, multichannel, seq) {
        NtStatus::SUCCESS
    } else {
        let status = match operation(&lr) {
            Err(status) => status,
            Ok(LockOperation::Unlock) => unlock_all(&open, &lr.locks).await,
            Ok(LockOperation::Lock) => lock_all(req, &open, &lr.locks).await,
        };
        if status.is_success() {
            open.locks.record_on(req.dialect, multichannel, seq);
        }
        status
    };
    if !status.is_success() {
        return (Reply::error(status), Some(id));
    }
    (
        body(NtStatus::SUCCESS, |out| LockResponse.encode(out)),
        Some(id),
    )
}

/// What a request does: its first element decides. The elements of an unlock request are
/// checked one by one as they are performed (3.3.5.14.1); a lock request is checked whole
/// before anything is taken (3.3.5.14.2).
fn operation(lr: &LockRequest) -> Result<LockOperation, NtStatus> {
    match lr.locks.first() {
        None => Err(NtStatus::INVALID_PARAMETER),
        Some(first) if first.flags.contains(LockFlags::UNLOCK) => Ok(LockOperation::Unlock),
        Some(_) => lr.validate(),
    }
}

/// A range whose last byte lies beyond 2^64 - 1 (MS-FSA 2.1.5.8: STATUS_INVALID_LOCK_RANGE).
fn bad_range(l: &LockElement) -> bool {
    l.length != 0 && l.offset.checked_add(l.length - 1).is_none()
}

async fn lock_all(req: &FileRequest<'_>, open: &Open, locks: &[LockElement]) -> NtStatus {
    let mut taken: Vec<&LockElement> = Vec::with_capacity(locks.len());
    let mut status = NtStatus::SUCCESS;
    for l in locks {
        if bad_range(l) {
            status = NtStatus::INVALID_LOCK_RANGE;
            break;
        }
        let request = IoLock {
            offset: l.offset,
            length: l.length,
            key: 0,
            exclusive: l.flags.contains(LockFlags::EXCLUSIVE),
            fail_immediately: l.flags.contains(LockFlags::FAIL_IMMEDIATELY),
        };
        let irp = open.handle.call(IrpRequest::Lock(request));
        let result = await_irp(req, irp).await;
        if !result.status.is_success() {
            status = result.status;
            if status == NtStatus::CANCELLED && open.locks.is_closed() {
                status = NtStatus::RANGE_NOT_LOCKED;
            }
            break;
        }
        taken.push(l);
    }
    if !status.is_success() {
        for l in taken.into_iter().rev() {
            let _ = unlock_one(open, l).await;
        }
    }
    status
}

async fn unlock_all(open: &Open, locks: &[LockElement]) -> NtStatus {
    for l in locks {
        if l.flags != LockFlags::UNLOCK {
            return NtStatus::INVALID_PARAMETER;
        }
        if bad_range(l) {
            return NtStatus::INVALID_LOCK_RANGE;
        }
        let status = unlock_one(open, l).await;
        if !status.is_success() {
            return status;
        }
    }
    NtStatus::SUCCESS
}

async fn unlock_one(open: &Open, l: &LockElement) -> NtStatus {
    let request = UnlockRequest {
        offset: l.offset,
        length: l.length,
        key: 0,
    };
    open.handle.call(IrpRequest::Unlock(request)).await.status
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_smb2::FileId;

    fn seq(index: u32, number: u8) -> LockSequence {
        LockSequence { number, index }
    }

    fn request(flags: &[u32]) -> LockRequest {
        LockRequest {
            lock_sequence: LockSequence::default(),
            file_id: FileId::default(),
            locks: flags
                .iter()
                .map(|&f| LockElement {
                    offset: 0,
                    length: 1,
                    flags: LockFlags(f),
                })
                .collect(),
        }
    }

    #[test]
    fn a_multichannel_connection_verifies_every_open_from_smb_3_0() {
        let locks = OpenLocks::default();
        // 2.1 never negotiates multichannel: nothing kept.
        locks.record_on(0x0210, true, seq(1, 1));
        assert!(!locks.check_replay_on(0x0210, true, seq(1, 1)));
        // Neither resilient nor durable, on a multichannel 3.x connection: verified.
        locks.record_on(0x0302, true, seq(1, 1));
        assert!(locks.check_replay_on(0x0311, true, seq(1, 1)));
        // Without multichannel the same open keeps nothing.
        let plain = OpenLocks::default();
        plain.record_on(0x0302, false, seq(1, 1));
        assert!(!plain.check_replay_on(0x0302, false, seq(1, 1)));
    }

    #[test]
    fn replay_only_on_resilient_opens_from_smb_2_1() {
        let locks = OpenLocks::default();
        locks.record(0x0311, seq(1, 1));
        assert!(!locks.check_replay(0x0311, seq(1, 1)));
        locks.set_resilient();
        locks.record(0x0202, seq(1, 1));
        assert!(!locks.check_replay(0x0202, seq(1, 1)));
        locks.record(0x0210, seq(1, 1));
        assert!(locks.check_replay(0x0300, seq(1, 1)));
    }

    #[test]
    fn replay_on_durable_opens_from_smb_3_0() {
        let locks = OpenLocks::default();
        locks.set_durable();
        locks.record(0x0210, seq(2, 1));
        assert!(!locks.check_replay(0x0210, seq(2, 1)));
        locks.record(0x0300, seq(2, 1));
        assert!(locks.check_replay(0x0302, seq(2, 1)));
    }

    #[test]
    fn replay_follows_the_last_success_of_each_index() {
        let locks = OpenLocks::default();
        locks.set_resilient();
        let d = 0x0311;
        assert!(!locks.check_replay(d, seq(1, 1)));
        locks.record(d, seq(1, 1));
        assert!(locks.check_replay(d, seq(1, 1)));
        // Another number invalidates the entry, even when the request then fails.
        assert!(!locks.check_replay(d, seq(1, 2)));
        assert!(!locks.check_replay(d, seq(1, 1)));
        // Index 64 is the last one; 0 and 65 are never checked.
        locks.record(d, seq(64, 3));
        assert!(locks.check_replay(d, seq(64, 3)));
        locks.record(d, seq(0, 1));
        assert!(!locks.check_replay(d, seq(0, 1)));
        locks.record(d, seq(65, 1));
        assert!(!locks.check_replay(d, seq(65, 1)));
    }

    #[test]
    fn first_element_decides_unlock() {
        // An unlock request is checked element by element while it runs.
        assert_eq!(operation(&request(&[4, 0])), Ok(LockOperation::Unlock));
        assert_eq!(operation(&request(&[0x14])), Ok(LockOperation::Unlock));
        assert_eq!(operation(&request(&[4, 0x12])), Ok(LockOperation::Unlock));
        assert_eq!(operation(&request(&[])), Err(NtStatus::INVALID_PARAMETER));
        assert_eq!(operation(&request(&[0x12, 0x11])), Ok(LockOperation::Lock));
        assert_eq!(
            operation(&request(&[0, 0])),
            Err(NtStatus::INVALID_PARAMETER)
        );
    }
}
