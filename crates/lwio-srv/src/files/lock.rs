//! SMB2 LOCK (MS-SMB2 3.3.5.14): byte-range locks and unlocks as lock/unlock IRPs.
//!
//! A request with one lock element that may wait goes asynchronous when its IRP pends,
//! with the IRP's canceller for SMB2 CANCEL. Several elements must all fail immediately
//! (checked by [`LockRequest::validate`]); they are taken in order, and when one fails
//! the ones already taken are released again, so the request is all or nothing.

use lwio_core::irp::{LockRequest as IoLock, UnlockRequest};
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::lock::{LockElement, LockOperation};
use lwio_smb2::{LockFlags, LockRequest, LockResponse};

use super::{Outcome, await_irp, bad_request, body, open_of};
use crate::state::{FileRequest, Open, Reply};

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
    let status = match lr.validate() {
        Err(status) => status,
        Ok(LockOperation::Unlock) => unlock_all(&open, &lr.locks).await,
        Ok(LockOperation::Lock) => lock_all(req, &open, &lr.locks).await,
    };
    if !status.is_success() {
        return (Reply::error(status), Some(id));
    }
    (
        body(NtStatus::SUCCESS, |out| LockResponse.encode(out)),
        Some(id),
    )
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
