//! The oplock interface of the I/O model, as Windows' ntifs.h has it apart from any file
//! system: an open asks for an oplock with an FSCTL
//! ([`CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1`](crate::CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1),
//! `_LEVEL_2`, `FSCTL_REQUEST_BATCH_OPLOCK`). A file system that cannot grant it completes
//! the IRP at once with STATUS_OPLOCK_NOT_GRANTED; one that grants it leaves the IRP
//! pending, and that pending IRP *is* the oplock, so the caller learns of the grant from
//! [`IrpFuture::is_pending`](crate::IrpFuture::is_pending) right after the call. When
//! another open needs the file, the IRP completes with STATUS_SUCCESS and `information`
//! [`FILE_OPLOCK_BROKEN_TO_LEVEL_2`] or [`FILE_OPLOCK_BROKEN_TO_NONE`]; an exclusive or
//! batch break is then acknowledged with FSCTL_OPLOCK_BREAK_ACKNOWLEDGE (whose IRP pends
//! as the new level 2 oplock when the break was to level 2), FSCTL_OPLOCK_BREAK_ACK_NO_2
//! or FSCTL_OPBATCH_ACK_CLOSE_PENDING. Cancelling the oplock IRP, or closing its handle,
//! releases the oplock. MS-FSA 2.1.5.17, 2.1.5.18; PVFS implements it (`lwio_pvfs`'s
//! `oplock` module).

/// `information` of an oplock IRP completed by a break to level 2 (ntifs.h).
pub const FILE_OPLOCK_BROKEN_TO_LEVEL_2: u64 = 0x0000_0007;
/// `information` of an oplock IRP completed by a break to none (ntifs.h).
pub const FILE_OPLOCK_BROKEN_TO_NONE: u64 = 0x0000_0008;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::irp::IrpCanceller;
use crate::irp::pending::PendingShared;

/// An Extra Create Parameter by which a caller learns that its create waits for an oplock
/// break (the holder's acknowledgment, or the break timeout): the file system calls
/// [`OplockBreakWait::notify`] when it starts waiting. An SMB server answers the CREATE
/// with an interim STATUS_PENDING then, as Windows does (MS-SMB2 3.3.4.2), rather than
/// leave the client without an answer for up to the break timeout. Its
/// [`canceller`](OplockBreakWait::canceller) ends the wait (the create fails with
/// STATUS_CANCELLED), for an SMB2 CANCEL. Clones share one state.
#[derive(Clone)]
pub struct OplockBreakWait(Arc<BreakWaitState>);

struct BreakWaitState {
    waiting: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// A completion slot of no IRP, used only for its cancel request.
    cancel: Arc<PendingShared>,
}

impl Default for OplockBreakWait {
    fn default() -> Self {
        OplockBreakWait(Arc::new(BreakWaitState {
            waiting: AtomicBool::new(false),
            waker: Mutex::new(None),
            cancel: Arc::new(PendingShared::new(0)),
        }))
    }
}

impl OplockBreakWait {
    /// A fresh one, not waiting.
    pub fn new() -> Self {
        Self::default()
    }

    /// What cancels the wait: the file system sees [`OplockBreakWait::is_cancelled`].
    pub fn canceller(&self) -> IrpCanceller {
        IrpCanceller::on(Arc::clone(&self.0.cancel))
    }

    /// True once the canceller was used.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancel.is_cancel_requested()
    }

    /// Called by the file system: the create now waits for an oplock break.
    pub fn notify(&self) {
        self.0.waiting.store(true, Ordering::Release);
        if let Some(waker) = self.0.waker.lock().take() {
            waker.wake();
        }
    }

    /// Ready once the create has started waiting; otherwise `cx` is woken when it does.
    pub fn poll_waiting(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.waiting.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        *self.0.waker.lock() = Some(cx.waker().clone());
        if self.0.waiting.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl std::fmt::Debug for OplockBreakWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OplockBreakWait")
            .field("waiting", &self.0.waiting.load(Ordering::Relaxed))
            .finish()
    }
}
