//! Renames and hard links: the target directory is opened for the caller before the
//! request reaches a driver, as Windows' I/O manager does (`IopOpenLinkOrRenameTarget`).
//!
//! A set-information of FileRenameInformation, FileRenameInformationEx,
//! FileLinkInformation or FileLinkInformationEx names a new place for the file. Whether
//! the caller may put a name there is a question about the *target directory*, so the
//! manager asks it the way every other access question is asked: with a create, through
//! the whole device stack, with the caller's token.
//!
//! 1. The handle's own grant is checked first (the table in `irp/access.rs`: DELETE for a
//!    rename, FILE_WRITE_ATTRIBUTES for a link).
//! 2. The buffer is decoded ([`LinkTarget`]); the target path is the name from the device
//!    root, or from the directory whose file-object id is in RootDirectory. A
//!    RootDirectory on another device is STATUS_NOT_SAME_DEVICE; one that is not an open
//!    file object of this manager, STATUS_INVALID_HANDLE.
//! 3. A create with [`CreateRequest::open_target_directory`] goes down the source's own
//!    device stack for that path: desired access FILE_ADD_FILE (FILE_ADD_SUBDIRECTORY when
//!    the source is a directory) | SYNCHRONIZE, sharing read and write. Filters see it as
//!    any create: share permissions (`ShareAclFilter`) and read-only devices
//!    (`ReadOnlyFilter`) refuse it as they refuse any other open. Its failure is the
//!    request's status. The create names the source and the request's class
//!    ([`Irp::link_source_context`](crate::Irp::link_source_context)), so the driver can
//!    start at once what the rename will cause (PVFS breaks the source's leases there).
//! 4. The set-information IRP goes down the stack with the opened directory attached
//!    ([`Irp::target_file_context`](crate::Irp::target_file_context)); the driver renames
//!    or links relative to that directory, never resolving the name again.
//! 5. The directory is closed when the request completes.
//!
//! A stream rename (`:name`) names no directory and goes down as it is; so does a request
//! on a device whose driver does not open target directories
//! ([`Driver::opens_target_directories`](crate::Driver::opens_target_directories)), which
//! then has to refuse it.
//!
//! When the driver completes at once (PVFS does), the whole sequence runs on the caller's
//! thread and the returned future is ready. Otherwise each step starts when the previous
//! one completes, and one completion slot, registered on the source file, stands for the
//! whole request: cancelling it (or closing the source) cancels whichever IRP is in flight.

use std::sync::Arc;

use parking_lot::Mutex;

use super::IoManager;
use crate::access::AccessMask;
use crate::file::{FileObject, FileState};
use crate::irp::pending::PendingShared;
use crate::irp::{
    CreateDisposition, CreateRequest, IrpCanceller, IrpFuture, IrpRequest, IrpResult, LinkTarget,
    RawIrp, ShareAccess, send, send_irp,
};
use crate::status::NtStatus;

impl IoManager {
    /// A rename or link on `file` (its grant already checked); see the module docs.
    pub(super) fn call_with_target(
        &self,
        file: &Arc<FileObject>,
        request: IrpRequest,
    ) -> IrpFuture {
        let IrpRequest::SetInformation(set) = &request else {
            return self.dispatch_on(file, request);
        };
        let class = set.class;
        let target = match LinkTarget::decode(set.class, &set.data) {
            Ok(t) => t,
            Err(status) => return IrpFuture::ready(IrpResult::new(status)),
        };
        if target.is_stream() || !file.stack().opens_target_directories() {
            return self.dispatch_on(file, request);
        }
        let path = match self.target_path(file, &target) {
            Ok(path) => path,
            Err(status) => return IrpFuture::ready(IrpResult::new(status)),
        };
        let add = if file.is_directory() {
            AccessMask::FILE_ADD_SUBDIRECTORY
        } else {
            AccessMask::FILE_ADD_FILE
        };
        let desired = add | AccessMask::SYNCHRONIZE;
        let token = Arc::clone(file.token());
        let mut create = CreateRequest::new(Arc::clone(&token), desired, CreateDisposition::OPEN)
            .share(ShareAccess::READ | ShareAccess::WRITE);
        create.open_target_directory = true;
        let dir = FileObject::new(
            &self.inner.registry,
            Arc::clone(file.stack_arc()),
            &path,
            token,
        );
        let opened = {
            let mut raw = RawIrp::new(
                self.next_irp_id(),
                IrpRequest::Create(Box::new(create)),
                &dir,
            );
            raw.set_link_source(Arc::clone(file), class);
            send_irp(raw, &dir)
        };
        let io = self.clone();
        let source = Arc::clone(file);
        self.then(file, opened, move |result, cancelled| {
            if !result.status.is_success() {
                dir.set_state(FileState::Failed);
                return IrpFuture::ready(IrpResult::new(result.status));
            }
            dir.settle_granted_access(desired);
            dir.set_state(FileState::Open);
            if cancelled || source.state() != FileState::Open {
                io.close_quietly(&dir);
                let status = if cancelled {
                    NtStatus::CANCELLED
                } else {
                    NtStatus::FILE_CLOSED
                };
                return IrpFuture::ready(IrpResult::new(status));
            }
            let mut raw = RawIrp::new(io.next_irp_id(), request, &source);
            raw.set_related(Arc::clone(&dir));
            let done = send_irp(raw, &source);
            let closer = io.clone();
            io.then(&source, done, move |result, _| {
                closer.close_quietly(&dir);
                IrpFuture::ready(result)
            })
        })
    }

    /// The device-relative path the target names (see the module docs).
    fn target_path(&self, file: &FileObject, target: &LinkTarget) -> Result<String, NtStatus> {
        let name = target.file_name.replace('\\', "/");
        if target.root_directory == 0 {
            let rel = name.trim_start_matches('/');
            if rel.is_empty() {
                return Err(NtStatus::OBJECT_NAME_INVALID);
            }
            return Ok(rel.to_owned());
        }
        let root = self
            .inner
            .registry
            .get(target.root_directory)
            .filter(|root| root.state() == FileState::Open)
            .ok_or(NtStatus::INVALID_HANDLE)?;
        if !root.device_name().eq_ignore_ascii_case(file.device_name()) {
            return Err(NtStatus::NOT_SAME_DEVICE);
        }
        if name.is_empty() || name.starts_with('/') {
            return Err(NtStatus::OBJECT_NAME_INVALID);
        }
        Ok(if root.path().is_empty() {
            name
        } else {
            format!("{}/{name}", root.path().trim_end_matches('/'))
        })
    }

    /// Sends `request` to the top of `file`'s stack, without the checks of `call_file`.
    pub(super) fn dispatch_on(&self, file: &Arc<FileObject>, request: IrpRequest) -> IrpFuture {
        send(self.next_irp_id(), request, file)
    }

    /// Closes a file object the manager opened for itself, without waiting.
    fn close_quietly(&self, file: &Arc<FileObject>) {
        if let Some(close) = self.start_close(file) {
            let file = Arc::clone(file);
            close.on_complete(move |_| file.set_state(FileState::Closed));
        }
    }

    /// Runs `next` with the result of `first` (and whether the whole request was cancelled
    /// meanwhile), and gives a future for what `next` returns. Ready at once when `first`
    /// is; otherwise one completion slot, registered on `owner`, stands for both steps.
    fn then(
        &self,
        owner: &Arc<FileObject>,
        first: IrpFuture,
        next: impl FnOnce(IrpResult, bool) -> IrpFuture + Send + 'static,
    ) -> IrpFuture {
        let first = match first.into_ready() {
            Ok(result) => return next(result, false),
            Err(pending) => pending,
        };
        let shared = Arc::new(PendingShared::new(self.next_irp_id()));
        if !first.is_pending() {
            // The first step waits on a work queue: so does the whole request.
            shared.mark_work_item();
        }
        owner.add_pending(Arc::clone(&shared));
        // The IRP in flight now: what cancelling the whole request cancels.
        let in_flight: Arc<Mutex<Option<IrpCanceller>>> = Arc::new(Mutex::new(first.canceller()));
        let for_cancel = Arc::clone(&in_flight);
        let armed = shared.set_cancel_routine(Box::new(move || {
            if let Some(c) = for_cancel.lock().take() {
                c.cancel();
            }
        }));
        if !armed {
            // Cancelled before it began (cannot happen for a fresh slot, but stay correct).
            if let Some(c) = first.canceller() {
                c.cancel();
            }
        }
        let owner = Arc::clone(owner);
        let slot = Arc::clone(&shared);
        first.on_complete(move |result| {
            let second = next(result, slot.is_cancel_requested());
            if let Some(c) = second.canceller() {
                *in_flight.lock() = Some(c.clone());
                if slot.is_cancel_requested() {
                    c.cancel();
                }
            }
            second.on_complete(move |result| {
                owner.remove_pending(slot.irp_id());
                slot.finish(result);
            });
        });
        IrpFuture::on_slot(shared)
    }
}
