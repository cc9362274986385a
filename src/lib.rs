//! # lwio
//!
//! A user-space I/O manager built on the Windows I/O model, with pluggable drivers: the
//! umbrella crate of the family. Link it and pick the drivers you need.
//!
//! - [`core`]: the I/O manager, IRPs, file objects, and the Windows security model.
//! - [`memfs`]: an in-memory file system driver.
//! - [`pvfs`]: NTFS semantics over a POSIX directory.
//! - [`npfs`]: in-memory named pipes.
//! - [`rpc`]: DCE/RPC and NDR over named pipes.
//! - [`fscc`]: the MS-FSCC wire structures (information classes, directory entries).
#![forbid(unsafe_code)]

pub use lwio_core as core;
pub use lwio_fscc as fscc;
pub use lwio_memfs as memfs;
pub use lwio_npfs as npfs;
pub use lwio_pvfs as pvfs;
pub use lwio_rpc as rpc;

pub mod tool;

pub use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, Driver, FileHandle,
    IoManager, NtStatus, ShareAccess, block_on,
};
