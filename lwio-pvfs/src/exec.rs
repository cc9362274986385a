//! Where PVFS runs each request: on the dispatching thread, or on a work queue's worker.
//!
//! Every system call PVFS makes may block: a cold `stat` on a network-backed share root, an
//! `fsync`, a listing of 100,000 names. Under the SMB server the dispatching thread is an
//! async runtime's worker, shared by every connection scheduled on it, so a request that
//! blocks there delays another client's echo, logon or cached read. PVFS therefore pends
//! each request that makes system calls and queues it on a [`WorkQueue`] (Windows' work
//! items, see [`lwio_core::workqueue`]); a worker runs it and completes the IRP, whose
//! future wakes the caller wherever it waits. What PVFS answers from memory stays on the
//! dispatching thread, completed before `dispatch` returns (no allocation, no thread hop):
//!
//! | request | runs on | why |
//! |---|---|---|
//! | create (any disposition; also an open-target-directory create) | worker | path resolution, opens, xattrs, new names |
//! | read, write, flush | worker | `pread`, `pwrite`, `fsync` |
//! | query information: FileAccess, FilePosition, FileMode, FileAlignment, FileName, FileNormalizedName | caller | the handle's and FCB's state |
//! | query information, other classes (and FileAll, FileFullEa; FileAlternateName scans the parent directory) | worker | `fstat`, xattrs, directory reads |
//! | set information: FilePosition, FileMode | caller | the handle's state |
//! | set information, other classes (times, size, disposition, rename, link, EAs) | worker | system calls |
//! | query EA, query directory, query and set security | worker | xattrs, directory reads |
//! | query volume information: FileFsDevice, FileFsAttribute, FileFsSectorSize, FileFsControl | caller | constants |
//! | query volume information, other classes | worker | `statvfs`, `fstat` of the root |
//! | set volume information | caller | refused (STATUS_ACCESS_DENIED) |
//! | lock, unlock | caller | the lock table; a lock that must wait pends there |
//! | change notify | caller | the notifier; a request that must wait pends there |
//! | FSCTLs | caller | compression is answered from memory; oplock requests pend on the FCB (`oplock`); the rest refused |
//! | object id FSCTLs | worker | xattrs (`object_id`) |
//! | sparse FSCTLs (SET_SPARSE, SET_ZERO_DATA, QUERY_ALLOCATED_RANGES) | worker | xattr, fallocate, lseek (`sparse`) |
//! | cleanup, close | caller | see below |
//! | any request on a file PVFS did not open (no context: STATUS_INVALID_HANDLE) | caller | nothing to do |
//!
//! Cleanup stays on the caller's thread: what it undoes (the handle's share modes, its
//! byte-range locks, oplocks, a pending delete) must hold for the very next create,
//! including from callers that drop a handle without waiting for its close. The delete of
//! a file whose last handle is cleaned up with a delete pending is therefore a system call
//! on the closing thread. Close (after every IRP still pending on the handle finished)
//! only lets the CCB go.
//!
//! A request already on one of its queue's workers (the second step of a rename, which
//! the I/O manager dispatches when the first completes) runs there at once. With
//! [`Execution::CallerThread`] every request runs on the dispatching thread, as before
//! this module existed: for single-threaded embedders, and to measure the queue's cost.

use std::sync::Arc;

use lwio_core::{
    AccessMask, FileInfoClass, FsInfoClass, Irp, IrpRequest, IrpType, PendingIrp, WorkQueue,
};

use crate::Pvfs;
use crate::ccb::Ccb;

/// Where a volume runs the requests that make system calls.
#[derive(Debug, Clone)]
pub enum Execution {
    /// On this queue's workers, the IRP pending meanwhile. A full queue fails the request
    /// with STATUS_INSUFFICIENT_RESOURCES (see [`lwio_core::workqueue`]).
    Queue(WorkQueue),
    /// On the dispatching thread, completed before dispatch returns.
    CallerThread,
}

impl Default for Execution {
    /// The process-wide queue, [`WorkQueue::shared`].
    fn default() -> Self {
        Execution::Queue(WorkQueue::shared())
    }
}

/// A point in PVFS where a test can hold an operation (see [`Seams`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seam<'a> {
    /// A request that makes system calls is about to run (on a worker, with a queue).
    Work {
        /// The request's type.
        request: IrpType,
        /// The file's device-relative path as opened.
        path: &'a str,
    },
    /// A create that may make `path` holds its directory's lock and is about to look the
    /// name up.
    Creating {
        /// The path as the create names it.
        path: &'a str,
    },
    /// A create has made the name `path` on disk (owner-only) and is about to give it its
    /// owner, mode, descriptor, attributes and EAs.
    Made {
        /// The new file's share-relative path, as spelled on disk.
        path: &'a str,
    },
    /// A create that may make `path` found its directory's lock taken, and waits.
    DirectoryBusy {
        /// The path as the create names it.
        path: &'a str,
    },
}

/// Test seams: a function PVFS calls at each [`Seam`], on the thread that reached it, so
/// a test can block an operation there on a channel and show what does or does not wait
/// for it. Not for production use.
#[doc(hidden)]
#[derive(Clone)]
pub struct Seams(pub Arc<dyn Fn(Seam<'_>) + Send + Sync>);

impl std::fmt::Debug for Seams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seams")
    }
}

impl Seams {
    pub(crate) fn at(seams: &Option<Seams>, seam: Seam<'_>) {
        if let Some(s) = seams {
            (s.0)(seam);
        }
    }
}

/// True when `request` is answered from memory (see the table in the module docs).
pub(crate) fn answers_from_memory(request: &IrpRequest) -> bool {
    match request {
        IrpRequest::QueryInformation(q) => info_from_memory(q.class),
        IrpRequest::SetInformation(s) => {
            matches!(s.class, FileInfoClass::POSITION | FileInfoClass::MODE)
        }
        IrpRequest::QueryVolumeInformation(q) => fs_info_from_memory(q.class),
        IrpRequest::FsControl(c) => {
            !crate::object_id::is_object_id_fsctl(c.code) && !crate::sparse::is_sparse_fsctl(c.code)
        }
        IrpRequest::Create(_)
        | IrpRequest::Read(_)
        | IrpRequest::Write(_)
        | IrpRequest::Flush
        | IrpRequest::QueryEa(_)
        | IrpRequest::QueryDirectory(_)
        | IrpRequest::QuerySecurity(_)
        | IrpRequest::SetSecurity(_) => false,
        _ => true,
    }
}

/// The file information classes answered from the handle and its FCB alone.
pub(crate) fn info_from_memory(class: FileInfoClass) -> bool {
    matches!(
        class,
        FileInfoClass::ACCESS
            | FileInfoClass::POSITION
            | FileInfoClass::MODE
            | FileInfoClass::ALIGNMENT
            | FileInfoClass::NAME
            | FileInfoClass::NORMALIZED_NAME
    )
}

/// The volume information classes that are constants.
pub(crate) fn fs_info_from_memory(class: FsInfoClass) -> bool {
    matches!(
        class,
        FsInfoClass::DEVICE
            | FsInfoClass::ATTRIBUTE
            | FsInfoClass::SECTOR_SIZE
            | FsInfoClass::CONTROL
    )
}

/// What the request handlers need of an IRP, whether it is being dispatched ([`Irp`]) or
/// was pended for a worker ([`PendingIrp`]): one implementation serves both paths.
pub(crate) trait IrpView {
    fn request(&self) -> &IrpRequest;
    /// The device-relative path the file was opened by.
    fn path(&self) -> &str;
    fn ccb(&self) -> Option<&Ccb>;
    /// The target directory of a rename or link.
    fn target_ccb(&self) -> Option<&Ccb>;
    fn access_ceiling(&self) -> AccessMask;
    fn grant_access(&self, granted: AccessMask);
    fn mark_directory(&self);
    /// Attaches the handle's context; gives it back when one is already set.
    fn set_ccb(&self, ccb: Ccb) -> Option<Ccb>;
    /// True once the request was cancelled (a request run on the dispatching thread is
    /// never: nobody could have asked yet).
    fn is_cancel_requested(&self) -> bool;
}

/// The same delegation for both: each type has these methods under the same names.
macro_rules! irp_view {
    ($irp:ty) => {
        impl IrpView for $irp {
            fn request(&self) -> &IrpRequest {
                <$irp>::request(self)
            }
            fn path(&self) -> &str {
                self.file().path()
            }
            fn ccb(&self) -> Option<&Ccb> {
                self.file_context()
            }
            fn target_ccb(&self) -> Option<&Ccb> {
                self.target_file_context()
            }
            fn access_ceiling(&self) -> AccessMask {
                <$irp>::access_ceiling(self)
            }
            fn grant_access(&self, granted: AccessMask) {
                <$irp>::grant_access(self, granted);
            }
            fn mark_directory(&self) {
                <$irp>::mark_directory(self);
            }
            fn set_ccb(&self, ccb: Ccb) -> Option<Ccb> {
                self.set_file_context(ccb).err()
            }
            fn is_cancel_requested(&self) -> bool {
                CancelProbe::cancel_requested(self)
            }
        }
    };
}

irp_view!(Irp<'_, Pvfs>);
irp_view!(PendingIrp<Pvfs>);

impl CancelProbe for Irp<'_, Pvfs> {
    fn cancel_requested(&self) -> bool {
        false
    }
}

impl CancelProbe for PendingIrp<Pvfs> {
    fn cancel_requested(&self) -> bool {
        PendingIrp::is_cancel_requested(self)
    }
}

/// Whether a request was cancelled, for the two forms a request runs in.
trait CancelProbe {
    fn cancel_requested(&self) -> bool;
}
