//! # lwio
//!
//! A user-space I/O manager built on the Windows I/O model, with pluggable drivers: the
//! umbrella crate of the family. Link it and pick the drivers you need with its features
//! (all on by default):
//!
//! - [`core`]: the I/O manager, IRPs, file objects, and the Windows security model (always).
//! - [`types`]: the number spaces and the byte reader the family shares (always; `core`
//!   re-exports them).
//! - [`fscc`]: the MS-FSCC wire structures (information classes, directory entries) (always).
//! - `memfs` (feature `memfs`): an in-memory file system driver.
//! - `pvfs` (feature `pvfs`): NTFS semantics over a POSIX directory.
//! - `npfs` (feature `npfs`): in-memory named pipes.
//! - `rpc` (feature `rpc`): DCE/RPC and NDR over named pipes, and the srvsvc, wkssvc,
//!   dssetup and rpcecho interfaces (the LSA, on lsarpc, comes with the SAM).
//! - `srv` (feature `srv`): the SMB2/3 server library (`Server::builder` over an
//!   `IoManager` you assemble); with `npfs` it has IPC$, with `rpc` srvsvc and wkssvc for
//!   it. The `lwiod` daemon is its own crate.
//! - `rdr` (feature `rdr`): the SMB2/3 client redirector, a driver whose files are on SMB
//!   servers.
//! - `tool` (feature `tool`): the `lwio` command-line tool and its library.
//!
//! `samr` is the account database and its RPC servers. With no
//! feature at all the crate is the I/O manager and the codecs, with no async runtime.
#![forbid(unsafe_code)]

pub use lwio_core as core;
pub use lwio_fscc as fscc;
#[cfg(feature = "memfs")]
pub use lwio_memfs as memfs;
#[cfg(feature = "npfs")]
pub use lwio_npfs as npfs;
#[cfg(feature = "pvfs")]
pub use lwio_pvfs as pvfs;
#[cfg(feature = "rdr")]
pub use lwio_rdr as rdr;
#[cfg(feature = "rpc")]
pub use lwio_rpc as rpc;
#[cfg(feature = "samr")]
pub use lwio_samr as samr;
#[cfg(feature = "srv")]
pub use lwio_srv as srv;
pub use lwio_types as types;

#[cfg(feature = "tool")]
pub mod tool;

pub use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, Driver, FileHandle,
    IoManager, NtStatus, ShareAccess, block_on,
};
