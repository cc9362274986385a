//! # lwio
//!
//! A user-space I/O manager built on the Windows I/O model, with pluggable drivers: the
//! umbrella crate of the family. Link it and pick the drivers you need.
//!
//! - [`core`]: the I/O manager, IRPs, file objects, and the Windows security model.
//! - [`memfs`]: an in-memory file system driver.
#![forbid(unsafe_code)]

pub use lwio_core as core;
pub use lwio_memfs as memfs;

pub use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, Driver, FileHandle,
    IoManager, NtStatus, ShareAccess, block_on,
};
