//! I/O request packets: what a driver receives, and the three ways it can answer.
//!
//! A driver's `dispatch` gets an [`Irp`] by value and must return a [`Dispatched`], which
//! only these produce:
//! - [`Irp::complete`] (and friends): the IRP is finished now; the caller sees the result
//!   without any allocation or thread hop.
//! - [`Irp::pend`]: the driver keeps a [`PendingIrp`] and completes it later from any thread
//!   or task; it may arm a cancel routine meanwhile.
//! - [`Irp::pass_down`]: a filter driver hands the IRP to the device below it, after
//!   optionally registering an [`Irp::on_complete`] routine that sees the result on the
//!   way back up.
//!
//! Because a `Dispatched` cannot be made any other way, a driver cannot forget an IRP; a
//! `PendingIrp` that is dropped uncompleted completes itself (STATUS_CANCELLED when
//! cancellation was requested, STATUS_INTERNAL_ERROR otherwise).

pub mod access;
pub(crate) mod future;
pub(crate) mod pending;
pub mod request;
pub mod target;
mod trace;

use std::marker::PhantomData;
use std::sync::Arc;

pub(crate) use future::Outcome;
pub use future::{IrpCanceller, IrpFuture};
pub use request::*;
pub use target::{LinkTarget, TargetFlags};

use crate::access::AccessMask;
use crate::driver::Driver;
use crate::file::FileObject;
use crate::status::NtStatus;
use pending::PendingShared;
use trace::IrpTrace;

/// The outcome of an IRP: Windows' IO_STATUS_BLOCK plus the output buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrpResult {
    /// The final status.
    pub status: NtStatus,
    /// Request-specific: bytes transferred, the create action, ...
    pub information: u64,
    /// Output bytes (read data, information buffers, ...).
    pub output: Vec<u8>,
}

impl IrpResult {
    /// A result with a status only.
    #[inline]
    pub fn new(status: NtStatus) -> Self {
        IrpResult {
            status,
            information: 0,
            output: Vec::new(),
        }
    }

    /// A result carrying output; `information` is the output's length.
    #[inline]
    pub fn with_output(status: NtStatus, output: Vec<u8>) -> Self {
        IrpResult {
            status,
            information: output.len() as u64,
            output,
        }
    }

    /// `Ok(self)` when the status is a success (NT_SUCCESS) or STATUS_BUFFER_OVERFLOW, whose
    /// partial data the caller wants; `Err(status)` otherwise, warnings such as
    /// STATUS_NO_MORE_FILES included.
    #[inline]
    pub fn into_result(self) -> Result<IrpResult, NtStatus> {
        if self.status.is_success() || self.status == NtStatus::BUFFER_OVERFLOW {
            Ok(self)
        } else {
            Err(self.status)
        }
    }
}

type CompletionRoutine = Box<dyn FnOnce(&mut IrpResult) + Send>;

/// How an IRP holds its file object: borrowed from the caller's handle while it is being
/// dispatched (no reference count touched on the synchronous path), owned once pended.
pub(crate) enum FileRef<'a> {
    Borrowed(&'a Arc<FileObject>),
    Owned(Arc<FileObject>),
}

impl FileRef<'_> {
    fn arc(&self) -> &Arc<FileObject> {
        match self {
            FileRef::Borrowed(f) => f,
            FileRef::Owned(f) => f,
        }
    }

    fn into_static(self) -> FileRef<'static> {
        match self {
            FileRef::Borrowed(f) => FileRef::Owned(Arc::clone(f)),
            FileRef::Owned(f) => FileRef::Owned(f),
        }
    }
}

impl std::ops::Deref for FileRef<'_> {
    type Target = FileObject;
    fn deref(&self) -> &FileObject {
        self.arc()
    }
}

/// The untyped IRP. While it is dispatched it stays where its sender put it, an
/// [`IrpSlot`], and every layer works on it there through a reference: nothing is copied on
/// the way down or back up. What most IRPs never use (completion routines, a related file,
/// the pending slot, a trace) lives behind one pointer, allocated only by the IRPs that
/// need it; a pended IRP is moved out of its slot once.
pub(crate) struct RawIrp<'a> {
    pub(crate) id: u64,
    pub(crate) request: IrpRequest,
    pub(crate) file: FileRef<'a>,
    /// Index of the layer that holds the IRP now (0 = the bottom device).
    pub(crate) layer: usize,
    extra: Option<Box<Extra>>,
}

/// The parts of an IRP that most IRPs never use.
#[derive(Default)]
struct Extra {
    /// The directory the manager opened for a rename or link (Windows'
    /// `IrpSp->Parameters.SetFile.FileObject`), on the same device stack.
    related: Option<Arc<FileObject>>,
    /// For the create that opens a rename's or link's target directory: the file being
    /// renamed or linked, and the information class of the request that waits for it.
    link_source: Option<(Arc<FileObject>, FileInfoClass)>,
    routines: Vec<CompletionRoutine>,
    shared: Option<Arc<PendingShared>>,
    trace: Option<IrpTrace>,
}

impl Extra {
    /// [`RawIrp::finish`] for an IRP with completion routines or a trace.
    #[cold]
    fn finish(mut self, mut result: IrpResult) -> IrpResult {
        while let Some(routine) = self.routines.pop() {
            routine(&mut result);
        }
        if let Some(trace) = &self.trace {
            trace.finish(&result);
        }
        result
    }
}

impl<'a> RawIrp<'a> {
    #[inline(always)]
    pub(crate) fn new(id: u64, request: IrpRequest, file: &'a Arc<FileObject>) -> Self {
        let traced = IrpTrace::wanted();
        let mut raw = RawIrp {
            id,
            request,
            layer: file.stack().top(),
            file: FileRef::Borrowed(file),
            extra: None,
        };
        if traced {
            raw.start_trace();
        }
        raw
    }

    /// Starts the IRP's trace, when a subscriber wants this one.
    #[cold]
    fn start_trace(&mut self) {
        if let Some(trace) = IrpTrace::start(self.id, &self.request, &self.file) {
            self.extra().trace = Some(trace);
        }
    }

    /// True when dropping the IRP would free nothing: no extra part, the file object
    /// borrowed, and a request without owned data.
    #[inline(always)]
    fn owns_nothing(&self) -> bool {
        self.extra.is_none()
            && matches!(self.file, FileRef::Borrowed(_))
            && matches!(self.request, IrpRequest::Read(_) | IrpRequest::Flush)
    }

    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// The directory the manager opened for a rename or link.
    pub(crate) fn related(&self) -> Option<&Arc<FileObject>> {
        self.extra.as_ref()?.related.as_ref()
    }

    pub(crate) fn set_related(&mut self, dir: Arc<FileObject>) {
        self.extra().related = Some(dir);
    }

    /// Marks a create as the open of the target directory of `class` (a rename or link)
    /// on `source` (see [`Irp::link_source_context`]).
    pub(crate) fn set_link_source(&mut self, source: Arc<FileObject>, class: FileInfoClass) {
        self.extra().link_source = Some((source, class));
    }

    fn shared(&self) -> Option<&Arc<PendingShared>> {
        self.extra.as_ref()?.shared.as_ref()
    }

    /// Runs the completion routines, innermost first, and returns the final result.
    #[inline(always)]
    fn finish(mut self, result: IrpResult) -> IrpResult {
        self.finish_in_place(result)
    }

    /// [`finish`](Self::finish) on an IRP left where it is (its sender drops it).
    #[inline(always)]
    fn finish_in_place(&mut self, result: IrpResult) -> IrpResult {
        match self.extra.take() {
            None => result,
            Some(extra) => (*extra).finish(result),
        }
    }

    fn into_static(self) -> RawIrp<'static> {
        RawIrp {
            id: self.id,
            request: self.request,
            file: self.file.into_static(),
            layer: self.layer,
            extra: self.extra,
        }
    }
}

/// Where an IRP lives while it is dispatched, on its sender's stack (the manager's, or a
/// [`PendingIrp`] passed down): the IRP itself, always `Some` while a layer holds it, and
/// where its result goes when a layer completes it at once. Completing finishes the IRP in
/// place and writes the result there, so the result is built once and read once by the
/// sender, however many layers it crossed (what a layer returns is only whether the IRP
/// completed or pended); pending moves the IRP out.
pub(crate) struct IrpSlot<'a> {
    irp: Option<RawIrp<'a>>,
    out: &'a mut Option<IrpResult>,
}

impl<'a> IrpSlot<'a> {
    #[inline(always)]
    fn new(raw: RawIrp<'a>, out: &'a mut Option<IrpResult>) -> Self {
        IrpSlot {
            irp: Some(raw),
            out,
        }
    }

    /// The layer that holds the IRP now.
    #[inline(always)]
    pub(crate) fn layer(&self) -> usize {
        self.irp.as_ref().map_or(0, |raw| raw.layer)
    }

    /// Finishes the IRP in place with `result` (its completion routines run) and leaves
    /// the final result for the sender.
    #[inline(always)]
    fn complete(&mut self, result: IrpResult) -> Dispatched {
        if held(&self.irp).extra.is_some() {
            return self.complete_extra(result);
        }
        self.release();
        *self.out = Some(result);
        Dispatched(DispatchState::Completed)
    }

    /// [`complete`](Self::complete) for an IRP with completion routines or a trace.
    #[cold]
    #[inline(never)]
    fn complete_extra(&mut self, result: IrpResult) -> Dispatched {
        let result = held_mut(&mut self.irp).finish_in_place(result);
        self.release();
        *self.out = Some(result);
        Dispatched(DispatchState::Completed)
    }

    /// The IRP is finished: it leaves its slot.
    #[inline(always)]
    fn release(&mut self) {
        // Finished: the IRP leaves its slot here. One that owns nothing (a read or a flush
        // on a borrowed file object, its extra part gone with `finish_in_place`: the common
        // synchronous read) is forgotten rather than dropped, which skips the out-of-line
        // drop glue of `RawIrp` and of the `IrpRequest` enum at the end of the sender's
        // frame (about 30 instructions per IRP, `benches/irp_dispatch.rs`). Forgetting it
        // leaks nothing: none of its fields owns memory or a reference count.
        if held(&self.irp).owns_nothing() {
            std::mem::forget(self.irp.take());
        }
    }
}

/// Sends a new IRP to the top of `file`'s device stack.
#[inline]
pub(crate) fn send(id: u64, request: IrpRequest, file: &Arc<FileObject>) -> IrpFuture {
    IrpFuture::from_outcome(send_outcome(id, request, file))
}

/// [`send`], for a caller that makes its own future of the outcome: the manager's own
/// IRPs (create, cleanup, close), sent without the checks of a caller's request.
#[inline]
pub(crate) fn send_outcome(
    id: u64,
    request: IrpRequest,
    file: &Arc<FileObject>,
) -> Outcome<IrpResult> {
    match send_gated(request, file, || id, |_| Gate::Send) {
        Ok(outcome) => outcome,
        // Only a gate diverts a request.
        Err(_) => Outcome::Ready(IrpResult::new(NtStatus::INTERNAL_ERROR)),
    }
}

/// What the sender's checks decided about a request.
pub(crate) enum Gate {
    /// Send it.
    Send,
    /// Refuse it with this status.
    Refuse(NtStatus),
    /// Hand it back to the sender (a rename or link, which opens its target first).
    Divert,
}

/// [`send_outcome`] for a request the sender checks first (`gate`, on the request already
/// in the slot it is dispatched from: it is moved only once). A refused request gets its
/// status; a diverted one is handed back.
#[inline(always)]
pub(crate) fn send_gated(
    request: IrpRequest,
    file: &Arc<FileObject>,
    next_id: impl FnOnce() -> u64,
    gate: impl FnOnce(&IrpRequest) -> Gate,
) -> Result<Outcome<IrpResult>, IrpRequest> {
    let mut out = None;
    let dispatched = {
        let mut slot = IrpSlot {
            irp: Some(RawIrp {
                id: 0,
                request,
                layer: file.stack().top(),
                file: FileRef::Borrowed(file),
                extra: None,
            }),
            out: &mut out,
        };
        match gate(&held(&slot.irp).request) {
            Gate::Send => {}
            Gate::Refuse(status) => return Ok(refused(slot.irp.take(), status)),
            Gate::Divert => {
                let Some(raw) = slot.irp.take() else {
                    unreachable!("a dispatched IRP's slot is never empty")
                };
                return Err(raw.request);
            }
        }
        let traced = IrpTrace::wanted();
        let raw = held_mut(&mut slot.irp);
        raw.id = next_id();
        if traced {
            raw.start_trace();
        }
        file.stack().dispatch(&mut slot)
    };
    Ok(outcome(dispatched, out))
}

/// A request refused before it was sent.
#[cold]
#[inline(never)]
fn refused(irp: Option<RawIrp<'_>>, status: NtStatus) -> Outcome<IrpResult> {
    drop(irp);
    Outcome::Ready(IrpResult::new(status))
}

/// Sends `raw`, built on `file`, to the top of the file's device stack: the future is
/// ready with the result when the layers completed the IRP at once.
pub(crate) fn send_irp<'a>(raw: RawIrp<'a>, file: &'a Arc<FileObject>) -> IrpFuture {
    let mut out = None;
    let dispatched = {
        let mut slot = IrpSlot::new(raw, &mut out);
        file.stack().dispatch(&mut slot)
    };
    IrpFuture::from_outcome(outcome(dispatched, out))
}

/// How a sent IRP went: its result when the layers completed it at once (`out`, where the
/// completing layer left it), else the completion slot it pended on.
#[inline(always)]
fn outcome(dispatched: Dispatched, out: Option<IrpResult>) -> Outcome<IrpResult> {
    match dispatched.0 {
        DispatchState::Completed => Outcome::Ready(completed(out)),
        DispatchState::Pending(shared) => Outcome::Waiting(shared),
    }
}

/// The result a layer left in the slot of an IRP it completed.
#[inline(always)]
fn completed(out: Option<IrpResult>) -> IrpResult {
    match out {
        Some(result) => result,
        // Every completion writes the result before it returns `Completed`.
        None => IrpResult::new(NtStatus::INTERNAL_ERROR),
    }
}

/// The IRP in `slot`, which a layer only ever sees filled.
#[inline(always)]
fn held<'s, 'a>(slot: &'s Option<RawIrp<'a>>) -> &'s RawIrp<'a> {
    match slot {
        Some(raw) => raw,
        None => unreachable!("a dispatched IRP's slot is never empty"),
    }
}

#[inline(always)]
fn held_mut<'s, 'a>(slot: &'s mut Option<RawIrp<'a>>) -> &'s mut RawIrp<'a> {
    match slot {
        Some(raw) => raw,
        None => unreachable!("a dispatched IRP's slot is never empty"),
    }
}

/// Hands the IRP in `slot` to the layer below; a bottom device has none.
fn pass_down<'a>(slot: &'a mut IrpSlot<'a>) -> Dispatched {
    let raw = held_mut(&mut slot.irp);
    if raw.layer == 0 {
        // Below the bottom: a cleanup nobody wanted succeeds (see `Driver::handles_cleanup`).
        let status = if matches!(raw.request, IrpRequest::Cleanup) {
            NtStatus::SUCCESS
        } else {
            NtStatus::INVALID_DEVICE_REQUEST
        };
        return slot.complete(IrpResult::new(status));
    }
    raw.layer -= 1;
    match raw.file {
        FileRef::Borrowed(file) => file.stack().dispatch(slot),
        FileRef::Owned(ref file) => {
            let stack = Arc::clone(file.stack_arc());
            stack.dispatch(slot)
        }
    }
}

/// How a layer answered: completed (the result is in the IRP's slot) or pending.
pub(crate) enum DispatchState {
    Completed,
    Pending(Arc<PendingShared>),
}

/// Proof that a driver answered an IRP: completed it, pended it, or passed it down.
#[must_use = "return the Dispatched from your dispatch routine"]
pub struct Dispatched(pub(crate) DispatchState);

impl Dispatched {
    /// True when the IRP is pending.
    pub fn is_pending(&self) -> bool {
        matches!(self.0, DispatchState::Pending(_))
    }
}

/// An IRP as driver `D` sees it: typed access to `D`'s own per-file context. It lives for
/// one dispatch call; [`Irp::pend`] turns it into a [`PendingIrp`] the driver may keep.
pub struct Irp<'a, D: Driver> {
    slot: &'a mut IrpSlot<'a>,
    _driver: PhantomData<fn() -> D>,
}

impl<'a, D: Driver> Irp<'a, D> {
    #[inline(always)]
    pub(crate) fn from_slot(slot: &'a mut IrpSlot<'a>) -> Self {
        Irp {
            slot,
            _driver: PhantomData,
        }
    }

    #[inline(always)]
    fn raw(&self) -> &RawIrp<'a> {
        held(&self.slot.irp)
    }

    #[inline(always)]
    fn raw_mut(&mut self) -> &mut RawIrp<'a> {
        held_mut(&mut self.slot.irp)
    }

    /// A number unique to this IRP in the process.
    pub fn id(&self) -> u64 {
        self.raw().id
    }

    /// The request's typed arguments.
    #[inline]
    pub fn request(&self) -> &IrpRequest {
        &self.raw().request
    }

    /// The request's arguments, for a filter that rewrites them before passing down.
    pub fn request_mut(&mut self) -> &mut IrpRequest {
        &mut self.raw_mut().request
    }

    /// The file object the IRP is for (for a create: the one being opened).
    pub fn file(&self) -> &FileObject {
        &self.raw().file
    }

    /// This driver's context of the file, set by its create.
    #[inline]
    pub fn file_context(&self) -> Option<&D::File> {
        let raw = self.raw();
        raw.file.context_at::<D::File>(raw.layer)
    }

    /// For a rename or link (FileRenameInformation, FileLinkInformation and their Ex forms):
    /// the target directory the manager opened for the caller with an
    /// open-target-directory create on this same device stack. `None` for other requests,
    /// for a stream rename, and on devices whose driver does not open target directories.
    pub fn target_file(&self) -> Option<&FileObject> {
        self.raw().related().map(|f| &**f)
    }

    /// This driver's context of [`Irp::target_file`], set by its open-target-directory
    /// create.
    pub fn target_file_context(&self) -> Option<&D::File> {
        related_context::<D>(self.raw())
    }

    /// For the open-target-directory create the manager sends before a rename or link:
    /// this driver's context of the file being renamed or linked, and the information
    /// class of that request (FileRenameInformation, FileLinkInformation or their Ex
    /// forms). The request itself reaches the stack only once this create completed; a
    /// driver that must act before anything else happens to the file (break its oplocks,
    /// so that the holder hears of it before the answer to any later request) can start
    /// here. `None` for every other IRP.
    pub fn link_source_context(&self) -> Option<(&D::File, FileInfoClass)> {
        let raw = self.raw();
        let (source, class) = raw.extra.as_ref()?.link_source.as_ref()?;
        if !Arc::ptr_eq(source.stack_arc(), raw.file.stack_arc()) {
            return None;
        }
        Some((source.context_at::<D::File>(raw.layer)?, *class))
    }

    /// Attaches this driver's context to the file; normally done by a successful create.
    /// Fails, giving the value back, when one is already set.
    pub fn set_file_context(&self, context: D::File) -> Result<(), D::File> {
        let raw = self.raw();
        raw.file.set_context_at(raw.layer, context)
    }

    /// Records the access a create grants (after the driver's own access check). Without
    /// it the manager grants what was asked for, with generic bits mapped and
    /// MAXIMUM_ALLOWED as every file right.
    pub fn grant_access(&self, granted: AccessMask) {
        self.raw().file.set_granted_access(granted);
    }

    /// Caps the access the create may grant, whatever the layers below decide (a read-only
    /// filter, or share-level permissions, limit MAXIMUM_ALLOWED this way).
    pub fn limit_granted_access(&self, ceiling: AccessMask) {
        self.raw().file.limit_granted_access(ceiling);
    }

    /// The most the create may grant, as the layers above limited it so far (every right
    /// when none did). A driver that decides on its grant (delete-on-close needs DELETE in
    /// it, share modes record it) applies this first, so it decides on what the handle
    /// will really hold.
    pub fn access_ceiling(&self) -> AccessMask {
        self.raw().file.access_ceiling()
    }

    /// Records that the create opened a directory (the manager then asks
    /// FILE_ADD_SUBDIRECTORY, not FILE_ADD_FILE, of a rename's target directory).
    pub fn mark_directory(&self) {
        self.raw().file.mark_directory();
    }

    /// Registers a routine that sees (and may change) the result on its way back up,
    /// whether the layers below complete at once or later.
    pub fn on_complete(&mut self, routine: impl FnOnce(&mut IrpResult) + Send + 'static) {
        self.raw_mut().extra().routines.push(Box::new(routine));
    }

    /// Completes the IRP with a status only.
    #[inline]
    pub fn complete(self, status: NtStatus) -> Dispatched {
        self.complete_result(IrpResult::new(status))
    }

    /// Completes the IRP with a status and output; `information` is the output's length.
    #[inline]
    pub fn complete_with_output(self, status: NtStatus, output: Vec<u8>) -> Dispatched {
        self.complete_result(IrpResult::with_output(status, output))
    }

    /// Completes the IRP with a full result.
    #[inline]
    pub fn complete_result(self, result: IrpResult) -> Dispatched {
        self.slot.complete(result)
    }

    /// Marks the IRP pending; the driver keeps the [`PendingIrp`] and completes it later.
    pub fn pend(self) -> (PendingIrp<D>, Dispatched) {
        let Some(mut raw) = self.slot.irp.take() else {
            unreachable!("a dispatched IRP's slot is never empty")
        };
        let shared = match raw.shared() {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared = Arc::new(PendingShared::new(raw.id));
                raw.file.add_pending(Arc::clone(&shared));
                raw.extra().shared = Some(Arc::clone(&shared));
                shared
            }
        };
        let pending = PendingIrp {
            raw: Some(raw.into_static()),
            shared: Arc::clone(&shared),
            _driver: PhantomData,
        };
        (pending, Dispatched(DispatchState::Pending(shared)))
    }

    /// Passes the IRP to the device below (filter drivers); a bottom device gets
    /// STATUS_INVALID_DEVICE_REQUEST.
    pub fn pass_down(self) -> Dispatched {
        pass_down(self.slot)
    }
}

/// An IRP a driver has pended: complete it later from any thread, exactly once.
pub struct PendingIrp<D: Driver> {
    raw: Option<RawIrp<'static>>,
    shared: Arc<PendingShared>,
    _driver: PhantomData<fn() -> D>,
}

impl<D: Driver> PendingIrp<D> {
    fn raw(&self) -> &RawIrp<'static> {
        match &self.raw {
            Some(raw) => raw,
            // `raw` is only taken by the consuming methods and by Drop.
            None => unreachable!("PendingIrp used after completion"),
        }
    }

    /// A number unique to this IRP in the process.
    pub fn id(&self) -> u64 {
        self.raw().id
    }

    /// The request's typed arguments.
    pub fn request(&self) -> &IrpRequest {
        &self.raw().request
    }

    /// The file object the IRP is for.
    pub fn file(&self) -> &FileObject {
        &self.raw().file
    }

    /// This driver's context of the file.
    pub fn file_context(&self) -> Option<&D::File> {
        let raw = self.raw();
        raw.file.context_at::<D::File>(raw.layer)
    }

    /// This driver's context of the target directory of a rename or link (see
    /// [`Irp::target_file_context`]).
    pub fn target_file_context(&self) -> Option<&D::File> {
        related_context::<D>(self.raw())
    }

    /// As [`Irp::set_file_context`], for a create completed later (on a worker thread).
    pub fn set_file_context(&self, context: D::File) -> Result<(), D::File> {
        let raw = self.raw();
        raw.file.set_context_at(raw.layer, context)
    }

    /// As [`Irp::grant_access`], for a create completed later.
    pub fn grant_access(&self, granted: AccessMask) {
        self.raw().file.set_granted_access(granted);
    }

    /// As [`Irp::access_ceiling`], for a create completed later.
    pub fn access_ceiling(&self) -> AccessMask {
        self.raw().file.access_ceiling()
    }

    /// As [`Irp::mark_directory`], for a create completed later.
    pub fn mark_directory(&self) {
        self.raw().file.mark_directory();
    }

    /// Records that the IRP waits on a work queue (see [`IrpFuture::is_pending`]).
    pub(crate) fn mark_work_item(&self) {
        self.shared.mark_work_item();
    }

    /// Arms a cancel routine, which runs (once) if the IRP is cancelled while armed. It
    /// should take the IRP out of the driver's queue and complete it with STATUS_CANCELLED.
    /// Returns false, without arming, when cancellation was already requested: the driver
    /// should then complete the IRP with STATUS_CANCELLED itself.
    pub fn set_cancel_routine(&self, routine: impl FnOnce() + Send + 'static) -> bool {
        self.shared.set_cancel_routine(Box::new(routine))
    }

    /// Disarms the cancel routine before non-cancellable work; true when it was armed.
    pub fn clear_cancel_routine(&self) -> bool {
        self.shared.clear_cancel_routine()
    }

    /// True once someone asked to cancel this IRP.
    pub fn is_cancel_requested(&self) -> bool {
        self.shared.is_cancel_requested()
    }

    /// Completes the IRP with a status only.
    pub fn complete(self, status: NtStatus) {
        self.complete_result(IrpResult::new(status));
    }

    /// Completes the IRP with a status and output; `information` is the output's length.
    pub fn complete_with_output(self, status: NtStatus, output: Vec<u8>) {
        self.complete_result(IrpResult::with_output(status, output));
    }

    /// Completes the IRP with a full result.
    pub fn complete_result(mut self, result: IrpResult) {
        if let Some(raw) = self.raw.take() {
            finish_pending(raw, &self.shared, result);
        }
    }

    /// Passes the IRP down after all (a filter that waited before forwarding).
    pub fn pass_down(mut self) {
        if let Some(raw) = self.raw.take() {
            let file = Arc::clone(raw.file.arc());
            let mut out = None;
            let dispatched = {
                let mut slot = IrpSlot::new(raw, &mut out);
                pass_down(&mut slot)
            };
            match dispatched.0 {
                DispatchState::Completed => deliver(&file, &self.shared, completed(out)),
                // The layer below pended the same IRP: it shares our completion slot.
                DispatchState::Pending(_) => {}
            }
        }
    }
}

impl<D: Driver> Drop for PendingIrp<D> {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            let status = if self.shared.is_cancel_requested() {
                NtStatus::CANCELLED
            } else {
                tracing::warn!(irp = raw.id, "pending IRP dropped without completion");
                NtStatus::INTERNAL_ERROR
            };
            finish_pending(raw, &self.shared, IrpResult::new(status));
        }
    }
}

/// The context of layer `raw.layer` in the related file object, when that object was opened
/// on the same device stack (so its layers line up with the IRP's).
fn related_context<'r, D: Driver>(raw: &'r RawIrp<'_>) -> Option<&'r D::File> {
    let related = raw.related()?;
    if !Arc::ptr_eq(related.stack_arc(), raw.file.stack_arc()) {
        return None;
    }
    related.context_at::<D::File>(raw.layer)
}

fn finish_pending(raw: RawIrp<'static>, shared: &PendingShared, result: IrpResult) {
    let file = Arc::clone(raw.file.arc());
    let result = raw.finish(result);
    deliver(&file, shared, result);
}

fn deliver(file: &FileObject, shared: &PendingShared, result: IrpResult) {
    // Unregister first, so a caller woken by the result sees no stale pending entry.
    file.remove_pending(shared.irp_id());
    shared.finish(result);
}
