//! Waiting for an IRP: as a future, with a blocking `wait`, or through a callback.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::irp::pending::PendingShared;
use crate::irp::{DispatchState, Dispatched, IrpResult};
use crate::status::NtStatus;

/// Where the IRP is: the driver's answer as it gave it (completed, or pending on a slot),
/// or `None` once the result was taken. The same layout as [`Dispatched`], so the
/// synchronous path moves nothing to turn one into the other.
type State = Option<DispatchState>;

/// The result of an IRP to come. Ready at once when the driver completed synchronously
/// (no allocation on that path); otherwise it resolves when the driver completes the IRP.
///
/// Dropping the future before it resolves requests cancellation of the IRP, the usual
/// contract of Rust futures (a `select!` or timeout that gives up cancels the I/O).
#[must_use = "an IrpFuture does nothing unless awaited; dropping it cancels the IRP"]
pub struct IrpFuture {
    state: State,
}

impl IrpFuture {
    #[inline]
    pub(crate) fn from_dispatched(d: Dispatched) -> Self {
        IrpFuture { state: Some(d.0) }
    }

    #[inline]
    pub(crate) fn ready(result: IrpResult) -> Self {
        IrpFuture {
            state: Some(DispatchState::Completed(result)),
        }
    }

    /// The result when the IRP completed synchronously; the future itself otherwise.
    pub(crate) fn into_ready(mut self) -> Result<IrpResult, IrpFuture> {
        match self.state.take() {
            Some(DispatchState::Completed(result)) => Ok(result),
            other => {
                self.state = other;
                Err(self)
            }
        }
    }

    /// A future on a completion slot the caller fills itself (a request made of several
    /// IRPs, such as a rename and the open of its target directory).
    pub(crate) fn on_slot(shared: Arc<PendingShared>) -> Self {
        IrpFuture {
            state: Some(DispatchState::Pending(shared)),
        }
    }

    /// Polls the completion slot of a pended IRP (taken out of `state`, put back while the
    /// IRP is not complete).
    #[cold]
    fn poll_pending(
        &mut self,
        shared: Arc<PendingShared>,
        cx: &mut Context<'_>,
    ) -> Poll<IrpResult> {
        let poll = shared.poll_result(cx);
        if poll.is_pending() {
            self.state = Some(DispatchState::Pending(shared));
        }
        poll
    }

    /// True when the driver pended the IRP to wait for something of unbounded delay (a
    /// byte-range lock another handle holds, a change in a directory, a pipe peer) and it
    /// has not completed yet: what a protocol head tells its peer about (SMB2's interim
    /// response), making the IRP cancellable from there.
    ///
    /// False for an IRP completed at once, and for one the driver queued on a
    /// [`WorkQueue`](crate::workqueue::WorkQueue): that one waits only for a worker thread
    /// to run it. Awaiting it still frees the caller's thread; [`IrpFuture::is_done`]
    /// tells whether it has completed.
    pub fn is_pending(&self) -> bool {
        match &self.state {
            Some(DispatchState::Pending(shared)) => shared.waits_indefinitely(),
            _ => false,
        }
    }

    /// True once the IRP has completed (at once, or since on another thread).
    pub fn is_done(&self) -> bool {
        match &self.state {
            Some(DispatchState::Pending(shared)) => shared.is_done(),
            _ => true,
        }
    }

    /// A handle that can cancel the IRP from elsewhere (for example on an SMB2 CANCEL);
    /// `None` when the IRP already completed synchronously.
    pub fn canceller(&self) -> Option<IrpCanceller> {
        match &self.state {
            Some(DispatchState::Pending(shared)) => Some(IrpCanceller(Arc::clone(shared))),
            _ => None,
        }
    }

    /// Blocks the current thread until the IRP completes. For synchronous callers; never
    /// call it on an async runtime's worker thread.
    pub fn wait(self) -> IrpResult {
        crate::block_on(self)
    }

    /// Hands the result to `callback` instead of a waiter: at once when the IRP is already
    /// complete, else on the thread that completes it.
    pub fn on_complete(mut self, callback: impl FnOnce(IrpResult) + Send + 'static) {
        match self.state.take() {
            Some(DispatchState::Completed(result)) => callback(result),
            Some(DispatchState::Pending(shared)) => shared.set_callback(Box::new(callback)),
            None => callback(IrpResult::new(NtStatus::INTERNAL_ERROR)),
        }
    }
}

impl Future for IrpFuture {
    type Output = IrpResult;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IrpResult> {
        let this = &mut *self;
        match this.state.take() {
            Some(DispatchState::Completed(result)) => Poll::Ready(result),
            Some(DispatchState::Pending(shared)) => this.poll_pending(shared, cx),
            None => Poll::Ready(IrpResult::new(NtStatus::INTERNAL_ERROR)),
        }
    }
}

impl Drop for IrpFuture {
    fn drop(&mut self) {
        if let Some(DispatchState::Pending(shared)) = &self.state {
            shared.detach();
        }
    }
}

/// Cancels one pending IRP from anywhere; cloneable, and harmless after completion.
#[derive(Clone)]
pub struct IrpCanceller(Arc<PendingShared>);

impl IrpCanceller {
    pub(crate) fn on(shared: Arc<PendingShared>) -> Self {
        IrpCanceller(shared)
    }

    /// Requests cancellation: the driver's cancel routine runs if one is armed, and the IRP
    /// completes with STATUS_CANCELLED, unless it completed first with its real result.
    pub fn cancel(&self) {
        self.0.request_cancel();
    }

    /// The IRP's id.
    pub fn irp_id(&self) -> u64 {
        self.0.irp_id()
    }
}

impl std::fmt::Debug for IrpCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("IrpCanceller")
            .field(&self.0.irp_id())
            .finish()
    }
}
