//! SMB2 oplocks (MS-SMB2 3.3.5.9 grant, 3.3.4.6 break notification, 3.3.5.22.1
//! acknowledgment), mapped onto the file system's oplocks: the server holds none itself.
//!
//! A CREATE asking for SMB2_OPLOCK_LEVEL_II, _EXCLUSIVE or _BATCH on a file of a disk
//! share sends the matching oplock FSCTL on the new handle (`lwio_core::oplock`); an IRP
//! still pending after the call is the granted oplock. An exclusive or batch request the
//! file system refuses (another open exists) falls back to level II, as Windows grants it.
//! Directories and pipes get none. When the oplock IRP completes with a break, the server
//! sends an OPLOCK_BREAK notification on the session's channel bound last (the open's own
//! connection on a session of one channel: `channel/breaks.rs`) and, for a
//! break of an exclusive or batch oplock, waits for the client's acknowledgment, which it
//! passes down as FSCTL_OPLOCK_BREAK_ACKNOWLEDGE (level II kept) or
//! FSCTL_OPLOCK_BREAK_ACK_NO_2. The file system's break timeout (35 s) covers a client
//! that never answers. Leases are `lease.rs`'s; a lease acknowledgment goes there.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::oplock::{FILE_OPLOCK_BROKEN_TO_LEVEL_2, OplockBreakWait};
use lwio_core::{CtlCode, IrpFuture, NtStatus};
use lwio_smb2::OplockLevel;
use lwio_smb2::oplock::{OplockBreak, OplockBreakMessage};
use parking_lot::Mutex;

use super::{Outcome, bad_request, body, open_of};
use crate::durable::RelaySink;
use crate::state::{BreakSink, FileRequest, Open, Reply};

/// An open's oplock as the server sees it (MS-SMB2 3.3.1.10 Open.OplockLevel and
/// Open.OplockState).
#[derive(Default)]
pub struct OplockSlot(Mutex<SlotState>);

#[derive(Default, Clone, Copy)]
struct SlotState {
    level: OplockLevel,
    /// Open.OplockState Breaking: the level the notification offered.
    breaking_to: Option<OplockLevel>,
}

impl OplockSlot {
    /// The level the open holds now.
    pub fn level(&self) -> OplockLevel {
        self.0.lock().level
    }

    /// The level the open holds once the break in progress, if any, is done: what a
    /// disconnected open can still count on (its client cannot acknowledge a break).
    pub(crate) fn settled_level(&self) -> OplockLevel {
        let st = self.0.lock();
        st.breaking_to.unwrap_or(st.level)
    }

    fn set(&self, level: OplockLevel) {
        *self.0.lock() = SlotState {
            level,
            breaking_to: None,
        };
    }

    /// The file system broke the oplock to `to`: true when the client must acknowledge.
    fn broken(&self, to: OplockLevel) -> bool {
        let mut st = self.0.lock();
        if st.level == OplockLevel::II || st.level == OplockLevel::NONE {
            // Level II breaks to none with no acknowledgment.
            st.level = OplockLevel::NONE;
            st.breaking_to = None;
            false
        } else {
            st.breaking_to = Some(to);
            true
        }
    }
}

/// The FSCTLs to try, best first, for a requested level.
fn requests_for(requested: OplockLevel) -> &'static [(CtlCode, OplockLevel)] {
    const LEVEL_2: (CtlCode, OplockLevel) =
        (CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2, OplockLevel::II);
    match requested {
        OplockLevel::BATCH => &[
            (CtlCode::FSCTL_REQUEST_BATCH_OPLOCK, OplockLevel::BATCH),
            LEVEL_2,
        ],
        OplockLevel::EXCLUSIVE => &[
            (
                CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1,
                OplockLevel::EXCLUSIVE,
            ),
            LEVEL_2,
        ],
        OplockLevel::II => &[LEVEL_2],
        _ => &[],
    }
}

fn fsctl(open: &Open, code: CtlCode) -> IrpFuture {
    open.handle.call(IrpRequest::FsControl(ControlRequest {
        code: code.0,
        input: Bytes::new(),
        max_output: 0,
    }))
}

/// Awaits a create that may wait for another open's oplock break: once the file system
/// says it does (`wait`), the CREATE goes asynchronous with an interim STATUS_PENDING
/// (MS-SMB2 3.3.4.2), as Windows answers it, and completes when the break is
/// acknowledged or times out; an SMB2 CANCEL ends the wait (STATUS_CANCELLED).
pub(super) async fn pending_on_break<F: Future>(
    req: &FileRequest<'_>,
    create: F,
    wait: &OplockBreakWait,
) -> F::Output {
    let mut create = std::pin::pin!(create);
    let mut announced = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = create.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if !announced && wait.poll_waiting(cx).is_ready() {
            announced = true;
            req.async_control.go_async(Some(wait.canceller()));
        }
        Poll::Pending
    })
    .await
}

/// Asks the file system for the oplock a CREATE requested on the new `open` (a file on a
/// disk share); the level granted (MS-SMB2 3.3.5.9).
pub(super) async fn grant(
    req: &FileRequest<'_>,
    open: &Arc<Open>,
    requested: OplockLevel,
) -> OplockLevel {
    for &(code, level) in requests_for(requested) {
        let irp = fsctl(open, code);
        if irp.is_pending() {
            open.oplock.set(level);
            watch(
                open,
                irp,
                RelaySink::of(open, req.async_control.break_sink()),
            );
            return level;
        }
        if irp.await.status != NtStatus::OPLOCK_NOT_GRANTED {
            break;
        }
    }
    OplockLevel::NONE
}

/// Waits (without a task) for the oplock IRP `irp` of `open` to complete; a break is sent
/// to the client through `sink` (MS-SMB2 3.3.4.6).
fn watch(open: &Arc<Open>, irp: IrpFuture, sink: Arc<dyn BreakSink>) {
    let weak = Arc::downgrade(open);
    irp.on_complete(move |result| {
        let Some(open) = weak.upgrade() else {
            return;
        };
        if result.status != NtStatus::SUCCESS {
            // Released: the handle was closed, or the request cancelled.
            open.oplock.set(OplockLevel::NONE);
            return;
        }
        let to = if result.information == FILE_OPLOCK_BROKEN_TO_LEVEL_2 {
            OplockLevel::II
        } else {
            OplockLevel::NONE
        };
        open.oplock.broken(to);
        sink.send_oplock_break(open.file_id, to);
    });
}

/// Handles OPLOCK_BREAK.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let msg = match OplockBreakMessage::decode(req.msg) {
        Ok(m) => m,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    match msg {
        OplockBreakMessage::Oplock(ack) => match open_of(req, ack.file_id) {
            Ok((id, open)) => (acknowledge(req, &open, ack).await, Some(id)),
            Err(out) => out,
        },
        OplockBreakMessage::LeaseAck(ack) => (
            super::lease::acknowledge(req, ack).await,
            req.related_file_id,
        ),
        // Only a server sends notifications.
        OplockBreakMessage::LeaseNotification(_) => (
            Reply::error(NtStatus::INVALID_PARAMETER),
            req.related_file_id,
        ),
    }
}

/// MS-SMB2 3.3.5.22.1: an oplock break acknowledgment.
async fn acknowledge(req: &FileRequest<'_>, open: &Arc<Open>, ack: OplockBreak) -> Reply {
    let decided = {
        let mut st = open.oplock.0.lock();
        let Some(to) = st.breaking_to else {
            // No break in progress: with an oplock held, the wrong state (MS-SMB2
            // 3.3.5.22.1); with none (never granted, or a level II already broken to
            // none, which needs no acknowledgment), an oplock protocol error, as Windows
            // answers (smbtorture's smb2.oplock.levelii500).
            let status = if st.level == OplockLevel::NONE {
                NtStatus::INVALID_OPLOCK_PROTOCOL
            } else {
                NtStatus::INVALID_DEVICE_STATE
            };
            return Reply::error(status);
        };
        let held = st.level;
        let refused = if ack.oplock_level == OplockLevel::LEASE {
            Some(NtStatus::INVALID_PARAMETER)
        } else if (held == OplockLevel::EXCLUSIVE || held == OplockLevel::BATCH)
            && ack.oplock_level != OplockLevel::II
            && ack.oplock_level != OplockLevel::NONE
        {
            Some(NtStatus::INVALID_OPLOCK_PROTOCOL)
        } else {
            None
        };
        // The client may take less than offered, never more.
        let new =
            if refused.is_none() && ack.oplock_level == OplockLevel::II && to == OplockLevel::II {
                OplockLevel::II
            } else {
                OplockLevel::NONE
            };
        st.level = new;
        st.breaking_to = None;
        refused.map_or(Ok(new), Err)
    };
    let new = match decided {
        Ok(level) => level,
        Err(status) => {
            // The break is completed with none before the error goes back.
            let _ = fsctl(open, CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2).await;
            return Reply::error(status);
        }
    };
    let granted = if new == OplockLevel::II {
        let irp = fsctl(open, CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE);
        if irp.is_pending() {
            watch(
                open,
                irp,
                RelaySink::of(open, req.async_control.break_sink()),
            );
            OplockLevel::II
        } else {
            // Nothing left to acknowledge (the break timed out): the oplock is gone.
            let _ = irp.await;
            open.oplock.set(OplockLevel::NONE);
            OplockLevel::NONE
        }
    } else {
        let _ = fsctl(open, CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2).await;
        OplockLevel::NONE
    };
    let response = OplockBreak {
        oplock_level: granted,
        file_id: ack.file_id,
    };
    body(NtStatus::SUCCESS, |out| response.encode(out))
}
