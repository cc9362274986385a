//! Waiting for an IRP: as a future, with a blocking `wait`, or through a callback.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::irp::IrpResult;
use crate::irp::pending::PendingShared;
use crate::status::NtStatus;

/// Where a sent IRP is, for a future on it: completed at once (its result, or the caller's
/// value made of it, held in the future), pending on a completion slot, or taken.
pub(crate) enum Outcome<T> {
    /// The IRP completed while it was sent; the future is ready with this.
    Ready(T),
    /// The IRP is pending; its result arrives in this slot.
    Waiting(Arc<PendingShared>),
    /// The result was taken (a future polled after it resolved).
    Taken,
}

impl<T> Outcome<T> {
    /// Takes the state, leaving [`Outcome::Taken`].
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Outcome<T> {
        std::mem::replace(self, Outcome::Taken)
    }

    /// Polls a pended IRP's slot: `map` makes the value of its result; the slot is put
    /// back while the IRP has not completed.
    #[inline(always)]
    pub(crate) fn poll_waiting(
        &mut self,
        shared: Arc<PendingShared>,
        cx: &mut Context<'_>,
        map: impl FnOnce(IrpResult) -> T,
    ) -> Poll<T> {
        // Only the slot's reference goes out of line: the future itself stays where the
        // optimiser can keep it in registers on the synchronous path.
        match poll_slot(&shared, cx) {
            Poll::Ready(result) => Poll::Ready(map(result)),
            Poll::Pending => {
                *self = Outcome::Waiting(shared);
                Poll::Pending
            }
        }
    }

    /// The pending IRP's slot, if the IRP pended.
    #[inline]
    pub(crate) fn waiting(&self) -> Option<&Arc<PendingShared>> {
        match self {
            Outcome::Waiting(shared) => Some(shared),
            _ => None,
        }
    }
}

#[cold]
#[inline(never)]
fn poll_slot(shared: &PendingShared, cx: &mut Context<'_>) -> Poll<IrpResult> {
    shared.poll_result(cx)
}

/// An [`Outcome`] owned by a future. Dropping it cancels an IRP still pending (and drops
/// its result when it comes). A future that resolved holds [`Outcome::Taken`], which is
/// checked inline: the drop glue of the outcome (a result's buffer, a slot's reference
/// count) is out of line and runs only when there is something to drop.
pub(crate) struct Held<T>(ManuallyDrop<Outcome<T>>);

impl<T> Held<T> {
    #[inline(always)]
    pub(crate) fn new(outcome: Outcome<T>) -> Self {
        Held(ManuallyDrop::new(outcome))
    }
}

impl<T> std::ops::Deref for Held<T> {
    type Target = Outcome<T>;
    #[inline(always)]
    fn deref(&self) -> &Outcome<T> {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Held<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Outcome<T> {
        &mut self.0
    }
}

impl<T> Drop for Held<T> {
    #[inline(always)]
    fn drop(&mut self) {
        if !matches!(*self.0, Outcome::Taken) {
            abandon(self.0.take());
        }
    }
}

/// Drops what a future still held: an IRP still pending is cancelled.
#[cold]
#[inline(never)]
fn abandon<T>(outcome: Outcome<T>) {
    if let Outcome::Waiting(shared) = &outcome {
        shared.detach();
    }
}

/// The result of an IRP to come. Ready at once when the driver completed synchronously
/// (no allocation on that path); otherwise it resolves when the driver completes the IRP.
///
/// Dropping the future before it resolves requests cancellation of the IRP, the usual
/// contract of Rust futures (a `select!` or timeout that gives up cancels the I/O).
#[must_use = "an IrpFuture does nothing unless awaited; dropping it cancels the IRP"]
pub struct IrpFuture {
    state: Held<IrpResult>,
}

impl IrpFuture {
    #[inline(always)]
    pub(crate) fn ready(result: IrpResult) -> Self {
        IrpFuture {
            state: Held::new(Outcome::Ready(result)),
        }
    }

    /// A future on a sent IRP's outcome.
    #[inline(always)]
    pub(crate) fn from_outcome(outcome: Outcome<IrpResult>) -> Self {
        IrpFuture {
            state: Held::new(outcome),
        }
    }

    /// What the future holds, taken out of it (for a future made of it).
    #[inline(always)]
    pub(crate) fn into_outcome(mut self) -> Outcome<IrpResult> {
        self.state.take()
    }

    /// The result when the IRP completed synchronously; the future itself otherwise.
    pub(crate) fn into_ready(mut self) -> Result<IrpResult, IrpFuture> {
        match self.state.take() {
            Outcome::Ready(result) => Ok(result),
            other => {
                *self.state = other;
                Err(self)
            }
        }
    }

    /// A future on a completion slot: of a pended IRP, or one the caller fills itself (a
    /// request made of several IRPs, such as a rename and the open of its target
    /// directory).
    #[inline]
    pub(crate) fn on_slot(shared: Arc<PendingShared>) -> Self {
        IrpFuture {
            state: Held::new(Outcome::Waiting(shared)),
        }
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
        self.state
            .waiting()
            .is_some_and(|shared| shared.waits_indefinitely())
    }

    /// True once the IRP has completed (at once, or since on another thread).
    pub fn is_done(&self) -> bool {
        self.state.waiting().is_none_or(|shared| shared.is_done())
    }

    /// A handle that can cancel the IRP from elsewhere (for example on an SMB2 CANCEL);
    /// `None` when the IRP already completed synchronously.
    pub fn canceller(&self) -> Option<IrpCanceller> {
        self.state
            .waiting()
            .map(|shared| IrpCanceller(Arc::clone(shared)))
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
            Outcome::Ready(result) => callback(result),
            Outcome::Waiting(shared) => shared.set_callback(Box::new(callback)),
            Outcome::Taken => callback(IrpResult::new(NtStatus::INTERNAL_ERROR)),
        }
    }
}

impl Future for IrpFuture {
    type Output = IrpResult;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IrpResult> {
        let this = &mut *self;
        match this.state.take() {
            Outcome::Ready(result) => Poll::Ready(result),
            Outcome::Waiting(shared) => this.state.poll_waiting(shared, cx, |result| result),
            Outcome::Taken => Poll::Ready(IrpResult::new(NtStatus::INTERNAL_ERROR)),
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
