//! The completion slot of a pending IRP, shared by the driver that holds the IRP, the
//! caller that waits for it, and whoever cancels it.
//!
//! One mutex guards one decision: the first `finish` wins, and everything after it (a late
//! cancel, a second completion attempt) is a no-op. That is what makes "no IRP lost, none
//! completed twice" hold under every race between completion, cancellation and the caller
//! going away.

use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::irp::IrpResult;
use crate::status::NtStatus;

/// A driver's cancel routine: it finds the IRP in its own queue and completes it.
pub(crate) type CancelRoutine = Box<dyn FnOnce() + Send>;
/// A caller's completion callback.
pub(crate) type Callback = Box<dyn FnOnce(IrpResult) + Send>;

enum Waiter {
    /// Nobody has asked yet; the result is kept.
    None,
    /// A future is waiting.
    Waker(Waker),
    /// A callback is registered.
    Callback(Callback),
    /// The caller went away; the result is dropped.
    Detached,
}

struct SharedState {
    result: Option<IrpResult>,
    done: bool,
    cancel_requested: bool,
    waiter: Waiter,
    cancel_routine: Option<CancelRoutine>,
    /// Queued as a work item: it waits for a worker thread, not for an event of unbounded
    /// delay (see [`crate::workqueue`]).
    work_item: bool,
}

/// The shared completion slot of one pending IRP.
pub(crate) struct PendingShared {
    irp_id: u64,
    state: Mutex<SharedState>,
}

impl PendingShared {
    pub(crate) fn new(irp_id: u64) -> Self {
        PendingShared {
            irp_id,
            state: Mutex::new(SharedState {
                result: None,
                done: false,
                cancel_requested: false,
                waiter: Waiter::None,
                cancel_routine: None,
                work_item: false,
            }),
        }
    }

    pub(crate) fn irp_id(&self) -> u64 {
        self.irp_id
    }

    /// Delivers the final result. Returns false (and drops `result`) if the IRP had already
    /// been completed.
    pub(crate) fn finish(&self, result: IrpResult) -> bool {
        let mut st = self.state.lock();
        if st.done {
            drop(st);
            tracing::error!(
                irp = self.irp_id,
                "IRP completed twice; second result dropped"
            );
            return false;
        }
        st.done = true;
        let routine = st.cancel_routine.take();
        match std::mem::replace(&mut st.waiter, Waiter::None) {
            Waiter::Callback(cb) => {
                drop(st);
                cb(result);
            }
            Waiter::Waker(w) => {
                st.result = Some(result);
                drop(st);
                w.wake();
            }
            Waiter::None => st.result = Some(result),
            Waiter::Detached => {
                st.waiter = Waiter::Detached;
                drop(st);
            }
        }
        drop(routine);
        true
    }

    /// Asks for cancellation: runs the driver's cancel routine, if one is armed. A second
    /// request, or one after completion, does nothing.
    pub(crate) fn request_cancel(&self) {
        let mut st = self.state.lock();
        if st.done || st.cancel_requested {
            return;
        }
        st.cancel_requested = true;
        let routine = st.cancel_routine.take();
        drop(st);
        if let Some(routine) = routine {
            routine();
        }
    }

    pub(crate) fn is_cancel_requested(&self) -> bool {
        self.state.lock().cancel_requested
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state.lock().done
    }

    /// Records that the IRP was queued as a work item.
    pub(crate) fn mark_work_item(&self) {
        self.state.lock().work_item = true;
    }

    /// Not yet complete, and waiting for something other than a worker thread.
    pub(crate) fn waits_indefinitely(&self) -> bool {
        let st = self.state.lock();
        !st.done && !st.work_item
    }

    /// Arms a cancel routine; false when cancellation was already requested (the routine is
    /// dropped and the driver should complete the IRP with STATUS_CANCELLED itself).
    pub(crate) fn set_cancel_routine(&self, routine: CancelRoutine) -> bool {
        let mut st = self.state.lock();
        if st.cancel_requested || st.done {
            return false;
        }
        st.cancel_routine = Some(routine);
        true
    }

    /// Disarms the cancel routine; true when one was armed (and so will not run).
    pub(crate) fn clear_cancel_routine(&self) -> bool {
        let routine = self.state.lock().cancel_routine.take();
        routine.is_some()
    }

    pub(crate) fn poll_result(&self, cx: &mut Context<'_>) -> Poll<IrpResult> {
        let mut st = self.state.lock();
        if let Some(result) = st.result.take() {
            return Poll::Ready(result);
        }
        if st.done {
            // The result went to a callback: a future cannot also have it.
            return Poll::Ready(IrpResult::new(NtStatus::INTERNAL_ERROR));
        }
        match &st.waiter {
            Waiter::Waker(w) if w.will_wake(cx.waker()) => {}
            _ => st.waiter = Waiter::Waker(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Hands the result to `callback`, now if it is there, else when it arrives.
    pub(crate) fn set_callback(&self, callback: Callback) {
        let mut st = self.state.lock();
        match st.result.take() {
            Some(result) => {
                drop(st);
                callback(result);
            }
            None if st.done => {
                drop(st);
                callback(IrpResult::new(NtStatus::INTERNAL_ERROR));
            }
            None => st.waiter = Waiter::Callback(callback),
        }
    }

    /// The waiting caller went away: forget it, and cancel the IRP if it is still running.
    pub(crate) fn detach(&self) {
        let mut st = self.state.lock();
        if st.done {
            st.result = None;
            return;
        }
        st.waiter = Waiter::Detached;
        drop(st);
        self.request_cancel();
    }
}
