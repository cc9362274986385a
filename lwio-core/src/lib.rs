//! # lwio-core
//!
//! The in-process I/O manager of lwio, modeled on the Windows kernel I/O model as Likewise's
//! LWIO was, and the Windows security model (MS-DTYP) that drivers check access with.
//!
//! ## The objects
//! - A [`Driver`] handles IRPs for the devices it owns. It names its per-device and per-file
//!   context types, and reads them back typed: no `Any` in driver code.
//! - A device is a driver mounted at `/name` in an [`IoManager`]; filter drivers can be
//!   attached above it ([`IoManager::attach_filter`]) and see every IRP first.
//! - [`IoManager::create_file`] resolves `/device/rest`, builds a [`FileObject`], and sends a
//!   create IRP carrying the caller's [`AccessToken`], desired access, share mode,
//!   disposition, options and [`EcpList`]. Success gives a [`FileHandle`].
//! - Every other request goes through the handle. The manager checks the handle's granted
//!   access first (as Windows does) and then dispatches an [`Irp`] to the top of the stack.
//!   A rename or link first opens its target directory for the caller through the whole
//!   stack, and hands it to the driver with the request ([`Irp::target_file_context`]).
//! - A driver completes the IRP at once, or pends it ([`Irp::pend`]) and completes the
//!   [`PendingIrp`] later from any thread, optionally with a cancel routine. Callers await an
//!   [`IrpFuture`], block on it, or register a callback.
//! - A driver whose work blocks queues it on a [`WorkQueue`] (Windows' work items): the
//!   IRP pends, a worker thread does the work and completes it, and the dispatching thread
//!   (perhaps an async runtime's) goes on at once.
//!
//! ## The pipe interface
//! [`pipe`] is what any named pipe file system implements and what pipe users send: the
//! pipe control codes, the pipe-create and client-information ECPs, the FSCTL buffers and
//! the pipe information classes (as Windows' ntifs.h is apart from NPFS).
//!
//! ## What it does not do
//! The manager runs no threads and needs no async runtime (a [`WorkQueue`] starts its
//! workers only when a driver queues work); it has no file system of its own (see
//! `lwio-memfs` and `lwio-pvfs`) and no network (see `lwio-srv`). Files keep the device
//! stack they were opened on; there are no relative opens against a directory handle yet.
//!
//! ```
//! use std::sync::Arc;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
//! # use lwio_core::{Dispatched, Driver, Irp, IrpRequest, NtStatus};
//! # struct Zero;
//! # impl Driver for Zero {
//! #     type Device = ();
//! #     type File = ();
//! #     fn name(&self) -> &str { "zero" }
//! #     fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
//! #         match irp.request() {
//! #             IrpRequest::Read(r) => { let n = r.length as usize; irp.complete_with_output(NtStatus::SUCCESS, vec![0; n]) }
//! #             _ => irp.complete(NtStatus::SUCCESS),
//! #         }
//! #     }
//! # }
//!
//! let io = IoManager::new();
//! io.add_device("zero", Arc::new(Zero), ()).unwrap();
//! let token = Arc::new(AccessToken::system());
//! let request = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
//! let file = block_on(io.create_file("/zero/anything", request)).unwrap();
//! assert_eq!(block_on(file.read(0, 4)).unwrap(), vec![0; 4]);
//! ```
#![forbid(unsafe_code)]

mod block_on;
mod device;
pub mod driver;
pub mod ecp;
pub mod file;
pub mod filter;
mod handle;
pub mod irp;
mod manager;
pub mod oplock;
pub mod pipe;
pub mod security;
pub mod workqueue;

/// Access masks and generic mappings (MS-DTYP 2.4.3), from `lwio-types`.
pub use lwio_types::access;
/// NTSTATUS (MS-ERREF 2.3), from `lwio-types`.
pub use lwio_types::status;
pub use lwio_types::{open_enum, open_flags};

pub use access::{AccessMask, FILE_GENERIC_MAPPING, GenericMapping};
pub use block_on::block_on;
pub use driver::Driver;
pub use ecp::EcpList;
pub use file::{FileObject, FileState};
pub use handle::{FileHandle, IoFuture};
pub use irp::{
    CreateAction, CreateDisposition, CreateOptions, CreateRequest, CtlCode, Dispatched,
    FileAttributes, FileInfoClass, FsInfoClass, Irp, IrpCanceller, IrpFuture, IrpRequest,
    IrpResult, IrpType, PendingIrp, ShareAccess,
};
pub use lwio_types::{NotifyFilter, QueryDirectoryFlags, ReadError, Reader};
pub use manager::{FileReport, IoManager, Rundown};
pub use security::{AccessToken, SecurityDescriptor, SecurityInformation, Sid};
pub use status::NtStatus;
pub use workqueue::{WorkQueue, WorkQueueConfig};
