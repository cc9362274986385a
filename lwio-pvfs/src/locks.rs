//! Byte-range lock and unlock IRPs over the file's lock table (MS-FSA 2.1.5.7, 2.1.5.8).
//! A lock that conflicts and may wait is pended in the table with a cancel routine; the
//! unlock or close that frees its range completes it.

use std::sync::Arc;

use lwio_core::irp::UnlockRequest;
use lwio_core::{Dispatched, Irp, IrpRequest, IrpResult, NtStatus};

use crate::Pvfs;
use crate::ccb::Ccb;
use crate::lock::LockRange;

pub(crate) fn lock(irp: Irp<'_, Pvfs>) -> Dispatched {
    let (Some(ccb), IrpRequest::Lock(req)) = (irp.file_context(), irp.request()) else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    if ccb.is_dir() {
        // MS-FSA 2.1.5.8: a lock on a directory stream is STATUS_INVALID_PARAMETER.
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let range = LockRange {
        offset: req.offset,
        length: req.length,
    };
    let (owner, key, exclusive, wait) = (ccb.id, req.key, req.exclusive, !req.fail_immediately);
    let fcb = Arc::clone(&ccb.fcb);
    // A lock changes what a level 2 holder may cache (MS-FSA 2.1.4.12).
    crate::oplock::break_level2_now(&fcb, owner);
    let mut st = fcb.state.lock();
    match st.locks.lock(owner, key, range, exclusive) {
        Ok(()) => {
            drop(st);
            irp.complete(NtStatus::SUCCESS)
        }
        Err(NtStatus::LOCK_NOT_GRANTED) if wait => {
            let (pending, dispatched) = irp.pend();
            // The cancel routine takes the FCB lock, so it cannot run between arming and
            // queueing: it waits until the waiter id is stored.
            let id_cell = Arc::new(parking_lot::Mutex::new(None::<u64>));
            let weak = Arc::downgrade(&fcb);
            let cell = Arc::clone(&id_cell);
            let armed = pending.set_cancel_routine(move || {
                let Some(fcb) = weak.upgrade() else { return };
                let waiter = {
                    let mut st = fcb.state.lock();
                    match *cell.lock() {
                        Some(id) => st.locks.cancel_waiter(id),
                        None => None,
                    }
                };
                if let Some(irp) = waiter {
                    irp.complete(NtStatus::CANCELLED);
                }
            });
            if !armed {
                drop(st);
                pending.complete(NtStatus::CANCELLED);
                return dispatched;
            }
            match st.locks.enqueue(owner, key, range, exclusive, pending) {
                Ok(id) => *id_cell.lock() = Some(id),
                Err((status, pending)) => {
                    drop(st);
                    pending.complete(status);
                }
            }
            dispatched
        }
        Err(status) => {
            drop(st);
            irp.complete(status)
        }
    }
}

pub(crate) fn unlock(ccb: &Ccb, req: &UnlockRequest) -> Result<IrpResult, NtStatus> {
    if ccb.is_dir() {
        // MS-FSA 2.1.5.9: as for a lock, a directory stream is STATUS_INVALID_PARAMETER.
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let range = LockRange {
        offset: req.offset,
        length: req.length,
    };
    let granted = ccb.fcb.state.lock().locks.unlock(ccb.id, req.key, range)?;
    for irp in granted {
        irp.complete(NtStatus::SUCCESS);
    }
    Ok(IrpResult::new(NtStatus::SUCCESS))
}
