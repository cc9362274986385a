//! The I/O manager: the device namespace, the create path, IRP dispatch, cancellation,
//! rundown and shutdown.
//!
//! An [`IoManager`] is a cheap-to-clone handle on one shared namespace. Nothing here runs a
//! thread or needs a runtime: IRPs are dispatched on the caller's thread, and a pended IRP
//! is completed on whichever thread its driver completes it. Renames and links open their
//! target directory first (`link`).

mod link;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use parking_lot::{Mutex, RwLock};

use crate::device::DeviceStack;
use crate::driver::{Driver, DriverLayer, ShutdownHook};
use crate::file::{FileObject, FileState, Registry};
use crate::handle::FileHandle;
use crate::irp::access::required_access;
use crate::irp::pending::PendingShared;
use crate::irp::target::is_target_class;
use crate::irp::{
    CreateAction, CreateRequest, Gate, IrpFuture, IrpRequest, IrpResult, Outcome, send, send_gated,
};
use crate::status::NtStatus;

/// The in-process I/O manager. Clone it freely: clones share one namespace.
#[derive(Clone)]
pub struct IoManager {
    inner: Arc<Inner>,
}

struct Inner {
    devices: RwLock<HashMap<Box<str>, Arc<DeviceStack>>>,
    registry: Arc<Registry>,
    drivers: Mutex<Vec<Box<dyn ShutdownHook>>>,
    shut_down: AtomicBool,
}

/// IRP ids are unique in the process. Each thread takes them from a block of its own, so
/// the hot path does no shared atomic write.
#[inline]
fn next_irp_id() -> u64 {
    use std::cell::Cell;
    const BLOCK: u64 = 1024;
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    RANGE.with(|range| {
        let (mut next, mut end) = range.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        range.set((next + 1, end));
        next
    })
}

/// One live file object, as [`IoManager::rundown`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file object's id.
    pub id: u64,
    /// Its device.
    pub device: String,
    /// Its path within the device.
    pub path: String,
    /// Where it is in its life.
    pub state: FileState,
    /// How many IRPs are pending on it.
    pub pending_irps: usize,
}

/// What is alive in a manager: every file object not yet dropped and its pending IRPs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rundown {
    /// Live file objects, by id.
    pub files: Vec<FileReport>,
    /// Pending IRPs over all of them.
    pub pending_irps: usize,
}

impl Rundown {
    /// True when nothing is open and nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.pending_irps == 0
    }
}

impl Default for IoManager {
    fn default() -> Self {
        IoManager::new()
    }
}

impl IoManager {
    /// An empty manager, with no devices.
    pub fn new() -> Self {
        IoManager {
            inner: Arc::new(Inner {
                devices: RwLock::new(HashMap::new()),
                registry: Arc::new(Registry::default()),
                drivers: Mutex::new(Vec::new()),
                shut_down: AtomicBool::new(false),
            }),
        }
    }

    /// Mounts a device of `driver` at `/name`. Device names are case-insensitive and may not
    /// contain `/`, `\` or NUL; a taken name gives STATUS_OBJECT_NAME_COLLISION.
    pub fn add_device<D: Driver>(
        &self,
        name: &str,
        driver: Arc<D>,
        device: D::Device,
    ) -> Result<(), NtStatus> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) {
            return Err(NtStatus::OBJECT_NAME_INVALID);
        }
        let key: Box<str> = name.to_ascii_lowercase().into();
        let mut devices = self.inner.devices.write();
        if devices.contains_key(&key) {
            return Err(NtStatus::OBJECT_NAME_COLLISION);
        }
        let layer = Arc::new(DriverLayer::new(Arc::clone(&driver), device));
        devices.insert(key, Arc::new(DeviceStack::new(name.into(), layer)));
        drop(devices);
        self.remember_driver(driver);
        Ok(())
    }

    /// Attaches a filter driver above the device `name` (and any filters already there).
    /// Files opened from now on pass through it; files already open keep their stack.
    pub fn attach_filter<F: Driver>(
        &self,
        name: &str,
        filter: Arc<F>,
        device: F::Device,
    ) -> Result<(), NtStatus> {
        let key = name.to_ascii_lowercase();
        let mut devices = self.inner.devices.write();
        let Some(stack) = devices.get_mut(key.as_str()) else {
            return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
        };
        let layer = Arc::new(DriverLayer::new(Arc::clone(&filter), device));
        *stack = Arc::new(stack.with_filter(layer));
        drop(devices);
        self.remember_driver(filter);
        Ok(())
    }

    /// The mounted devices and their driver stacks (bottom first), by name.
    pub fn devices(&self) -> Vec<(String, Vec<String>)> {
        let mut list: Vec<(String, Vec<String>)> = self
            .inner
            .devices
            .read()
            .values()
            .map(|s| (s.name().to_string(), s.driver_names()))
            .collect();
        list.sort();
        list
    }

    fn remember_driver<D: Driver>(&self, driver: Arc<D>) {
        let mut drivers = self.inner.drivers.lock();
        let id = ShutdownHook::identity(&driver);
        if !drivers.iter().any(|d| d.identity() == id) {
            drivers.push(Box::new(driver));
        }
    }

    fn next_irp_id(&self) -> u64 {
        next_irp_id()
    }

    /// Splits `/device/rest` into the device's stack and `rest`.
    fn resolve<'p>(&self, path: &'p str) -> Result<(Arc<DeviceStack>, &'p str), NtStatus> {
        if path.contains('\0') {
            return Err(NtStatus::OBJECT_NAME_INVALID);
        }
        let Some(rest) = path.strip_prefix('/') else {
            return Err(NtStatus::OBJECT_PATH_SYNTAX_BAD);
        };
        let (device, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if device.is_empty() {
            return Err(NtStatus::OBJECT_PATH_SYNTAX_BAD);
        }
        let devices = self.inner.devices.read();
        let found = if device.bytes().any(|b| b.is_ascii_uppercase()) {
            devices.get(device.to_ascii_lowercase().as_str()).cloned()
        } else {
            devices.get(device).cloned()
        };
        match found {
            Some(stack) => Ok((stack, tail)),
            None if tail.is_empty() => Err(NtStatus::OBJECT_NAME_NOT_FOUND),
            None => Err(NtStatus::OBJECT_PATH_NOT_FOUND),
        }
    }

    /// Opens or creates `/device/path` with `request`'s access, share mode, disposition,
    /// options, Extra Create Parameters and token.
    ///
    /// If this future is dropped while the driver still holds the create, the create is
    /// cancelled; should it succeed anyway, the file is closed at once, so nothing leaks.
    pub async fn create_file(
        &self,
        path: &str,
        request: CreateRequest,
    ) -> Result<FileHandle, NtStatus> {
        if self.inner.shut_down.load(Ordering::Acquire) {
            return Err(NtStatus::DEVICE_NOT_READY);
        }
        let (stack, rest) = self.resolve(path)?;
        if request.open_target_directory && !stack.opens_target_directories() {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let desired = request.desired_access;
        let file = FileObject::new(
            &self.inner.registry,
            stack,
            rest,
            Arc::clone(&request.token),
        );
        let future = {
            send(
                self.next_irp_id(),
                IrpRequest::Create(Box::new(request)),
                &file,
            )
        };
        let guard = CreateGuard {
            future: Some(future),
            file: Arc::clone(&file),
            io: self.clone(),
        };
        let result = guard.await;
        if !result.status.is_success() {
            file.set_state(FileState::Failed);
            return Err(result.status);
        }
        file.settle_granted_access(desired);
        file.set_state(FileState::Open);
        let action = CreateAction(u32::try_from(result.information).unwrap_or(u32::MAX));
        Ok(FileHandle::new(file, self.clone(), action))
    }

    /// Sends `request` to the top of `file`'s device stack, after checking that the handle
    /// is open (else STATUS_FILE_CLOSED) and was granted the access the request needs
    /// (else STATUS_ACCESS_DENIED). Creates and closes have their own entry points
    /// (STATUS_INVALID_PARAMETER here). A rename or link first opens its target directory
    /// for the handle's token, through the whole stack, and fails with that open's status
    /// (see the `link` module).
    pub fn call(&self, file: &FileHandle, request: IrpRequest) -> IrpFuture {
        self.call_file(file.file_arc(), request)
    }

    ///
    /// Inlined into the typed methods of [`FileHandle`], where the request's kind is known:
    /// the checks that do not apply to it fold away.
    #[inline]
    pub(crate) fn call_file(&self, file: &Arc<FileObject>, request: IrpRequest) -> IrpFuture {
        IrpFuture::from_outcome(self.call_file_outcome(file, request))
    }

    /// [`call_file`](Self::call_file), for a caller that makes its own future of the
    /// outcome (the typed methods of [`FileHandle`]).
    #[inline(always)]
    pub(crate) fn call_file_outcome(
        &self,
        file: &Arc<FileObject>,
        request: IrpRequest,
    ) -> Outcome<IrpResult> {
        // The checks run on the request in the slot it is dispatched from (so it is moved
        // only once); for a known kind they fold to what applies to it.
        let gate = |request: &IrpRequest| {
            let not_here = matches!(
                request,
                IrpRequest::Create(_) | IrpRequest::Cleanup | IrpRequest::Close
            );
            let needs = required_access(request);
            let with_target =
                matches!(request, IrpRequest::SetInformation(set) if is_target_class(set.class));
            if file.state() != FileState::Open {
                Gate::Refuse(NtStatus::FILE_CLOSED)
            } else if not_here {
                Gate::Refuse(NtStatus::INVALID_PARAMETER)
            } else if !needs.is_met_by(file.granted_access()) {
                Gate::Refuse(NtStatus::ACCESS_DENIED)
            } else if with_target {
                Gate::Divert
            } else {
                Gate::Send
            }
        };
        match send_gated(request, file, next_irp_id, gate) {
            Ok(outcome) => outcome,
            Err(request) => self.call_with_target(file, request).into_outcome(),
        }
    }

    /// Requests cancellation of every IRP pending on `file`, work queued on a driver's work
    /// queue included (Windows' CancelIoEx); returns how many there were.
    pub fn cancel_file(&self, file: &FileHandle) -> usize {
        file.file_arc().cancel_pending()
    }

    /// Starts closing `file` (its handle went away): its IRPs that wait for an event
    /// (locks, change notify, pipe reads) are cancelled and the cleanup IRP dispatched;
    /// the future gives the cleanup's result, as NtClose returns after IRP_MJ_CLEANUP.
    /// The close IRP follows on its own once the cleanup completed and every IRP still
    /// pending on the file (work a driver queued finishes) has completed: the file object's
    /// last reference going away. Returns None when the file was not open.
    pub(crate) fn start_close(&self, file: &Arc<FileObject>) -> Option<IrpFuture> {
        if !file.transition(FileState::Open, FileState::Closing) {
            return None;
        }
        file.cancel_waiting();
        let cleanup = send(next_irp_id(), IrpRequest::Cleanup, file);
        match cleanup.into_ready() {
            Ok(result) => {
                close_when_idle(file);
                Some(IrpFuture::ready(result))
            }
            Err(pending) => {
                let shared = Arc::new(PendingShared::new(next_irp_id()));
                let done = IrpFuture::on_slot(Arc::clone(&shared));
                let owner = Arc::clone(file);
                pending.on_complete(move |result| {
                    close_when_idle(&owner);
                    shared.finish(result);
                });
                Some(done)
            }
        }
    }

    /// As [`start_close`](Self::start_close), then sends `then` on the file once its
    /// cleanup completed and before its close IRP (which waits for it), as a Windows
    /// server reads a file after NtClose through the file object it still references: an
    /// SMB2 CLOSE with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB reads the attributes the cleanup
    /// left (a last write time it set: MS-SMB2 3.3.5.10, MS-FSA 2.1.5.4). The futures of the
    /// cleanup and of `then`; `then` is refused (STATUS_ACCESS_DENIED) without the access
    /// it needs and (STATUS_INVALID_PARAMETER) when it is a create, cleanup or close.
    pub(crate) fn start_close_then(
        &self,
        file: &Arc<FileObject>,
        then: IrpRequest,
    ) -> Option<(IrpFuture, IrpFuture)> {
        let refused = if matches!(
            then,
            IrpRequest::Create(_) | IrpRequest::Cleanup | IrpRequest::Close
        ) {
            Some(NtStatus::INVALID_PARAMETER)
        } else if !required_access(&then).is_met_by(file.granted_access()) {
            Some(NtStatus::ACCESS_DENIED)
        } else {
            None
        };
        if let Some(status) = refused {
            let cleanup = self.start_close(file)?;
            return Some((cleanup, IrpFuture::ready(IrpResult::new(status))));
        }
        if !file.transition(FileState::Open, FileState::Closing) {
            return None;
        }
        file.cancel_waiting();
        let cleanup = send(next_irp_id(), IrpRequest::Cleanup, file);
        let cleaned = Arc::new(PendingShared::new(next_irp_id()));
        let answered = Arc::new(PendingShared::new(next_irp_id()));
        let futures = (
            IrpFuture::on_slot(Arc::clone(&cleaned)),
            IrpFuture::on_slot(Arc::clone(&answered)),
        );
        let owner = Arc::clone(file);
        cleanup.on_complete(move |result| {
            // Dispatched before the close waits for the file to be idle: it waits for this.
            let then = send(next_irp_id(), then, &owner);
            close_when_idle(&owner);
            cleaned.finish(result);
            then.on_complete(move |r| {
                answered.finish(r);
            });
        });
        Some(futures)
    }

    /// Closes `file` and waits for the driver; the status of the close IRP.
    pub async fn close(&self, file: FileHandle) -> NtStatus {
        file.close().await
    }

    /// Every live file object and how many IRPs are pending on each.
    pub fn rundown(&self) -> Rundown {
        let files: Vec<FileReport> = self
            .inner
            .registry
            .live_files()
            .iter()
            .map(|f| FileReport {
                id: f.id(),
                device: f.device_name().to_string(),
                path: f.path().to_string(),
                state: f.state(),
                pending_irps: f.pending_count(),
            })
            .collect();
        let pending_irps = files.iter().map(|f| f.pending_irps).sum();
        Rundown {
            files,
            pending_irps,
        }
    }

    /// Shuts the manager down: refuses new creates (STATUS_DEVICE_NOT_READY), cancels every
    /// pending IRP, cleans up every open file, then calls each driver's `shutdown` once.
    /// The close IRP of a file whose IRPs a driver still holds follows when that driver's
    /// shutdown lets them go. Handles still held afterwards get STATUS_FILE_CLOSED.
    pub async fn shutdown(&self) {
        if self.inner.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        for file in self.inner.registry.live_files() {
            file.cancel_pending();
            if let Some(close) = self.start_close(&file) {
                let result = close.await;
                if result.status.is_error() {
                    tracing::warn!(file = file.id(), status = %result.status, "cleanup at shutdown failed");
                }
            }
        }
        let drivers: Vec<Box<dyn ShutdownHook>> = std::mem::take(&mut *self.inner.drivers.lock());
        for driver in drivers {
            driver.shutdown();
        }
    }
}

/// Sends the close IRP of `file` once no IRP is pending on it; the file is Closed when
/// the close IRP completes.
fn close_when_idle(file: &Arc<FileObject>) {
    let owner = Arc::clone(file);
    file.when_idle(Box::new(move || {
        dispatch_close(&owner).on_complete(move |result| {
            if result.status.is_error() {
                tracing::warn!(file = owner.id(), status = %result.status, "close failed");
            }
            owner.set_state(FileState::Closed);
        });
    }));
}

/// Sends the close IRP of `file` (its last reference is going away).
fn dispatch_close(file: &Arc<FileObject>) -> IrpFuture {
    send(next_irp_id(), IrpRequest::Close, file)
}

/// Awaits a create; if dropped first, cancels it and closes whatever it still opens.
struct CreateGuard {
    future: Option<IrpFuture>,
    file: Arc<FileObject>,
    io: IoManager,
}

impl Future for CreateGuard {
    type Output = IrpResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IrpResult> {
        let Some(future) = self.future.as_mut() else {
            return Poll::Ready(IrpResult::new(NtStatus::INTERNAL_ERROR));
        };
        let poll = Pin::new(future).poll(cx);
        if poll.is_ready() {
            self.future = None;
        }
        poll
    }
}

impl Drop for CreateGuard {
    fn drop(&mut self) {
        let Some(future) = self.future.take() else {
            return;
        };
        if let Some(canceller) = future.canceller() {
            canceller.cancel();
        }
        let file = Arc::clone(&self.file);
        let io = self.io.clone();
        future.on_complete(move |result| {
            if result.status.is_success() {
                file.set_state(FileState::Open);
                if let Some(cleanup) = io.start_close(&file) {
                    cleanup.on_complete(|_| {});
                }
            } else {
                file.set_state(FileState::Failed);
            }
        });
    }
}
