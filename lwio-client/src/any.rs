//! One program, in process or against a daemon: [`Opener`] opens files through either an
//! in-process [`IoManager`] or a [`DaemonClient`], and [`AnyFile`] has the methods of
//! both file types with the same results.
//!
//! ```no_run
//! # async fn demo(io: lwio_core::IoManager, token: std::sync::Arc<lwio_core::AccessToken>)
//! # -> Result<(), lwio_core::NtStatus> {
//! use lwio_client::{DaemonClient, Opener};
//! use lwio_core::{AccessMask, CreateDisposition, CreateRequest};
//!
//! // The one line that differs:
//! let opener = if let Ok(c) = DaemonClient::connect("/var/lib/lwio/lwiod.sock").await {
//!     Opener::Daemon(c)
//! } else {
//!     Opener::Local(io)
//! };
//! let request = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
//! let file = opener.create_file("/data/a.txt", request).await?;
//! let head = file.read(0, 64).await?;
//! # let _ = head;
//! file.close().await;
//! # Ok(()) }
//! ```
//!
//! An enum rather than a trait: the two file types' futures differ, and a trait would
//! box every one of them; here each call is one `match` and no allocation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use lwio_core::irp::{
    CreateAction, LockRequest, NotifyRequest, QueryDirectoryRequest, UnlockRequest,
};
use lwio_core::{CreateRequest, FileHandle, IoFuture, IoManager, NtStatus};
use lwio_types::{FileInfoClass, FsInfoClass, SecurityInformation};

use crate::{DaemonClient, RemoteFile, RemoteFuture};

/// Where files are opened.
#[derive(Clone)]
pub enum Opener {
    /// The in-process I/O manager; the request's token is used as given.
    Local(IoManager),
    /// A daemon; the daemon decides the token (see [`DaemonClient::create_file`]).
    Daemon(DaemonClient),
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opener::Local(_) => f.write_str("Opener::Local"),
            Opener::Daemon(c) => f.debug_tuple("Opener::Daemon").field(c).finish(),
        }
    }
}

impl Opener {
    /// Opens or creates `path` with `request`.
    pub async fn create_file(
        &self,
        path: &str,
        request: CreateRequest,
    ) -> Result<AnyFile, NtStatus> {
        match self {
            Opener::Local(io) => io.create_file(path, request).await.map(AnyFile::Local),
            Opener::Daemon(c) => c.create_file(path, request).await.map(AnyFile::Remote),
        }
    }
}

/// A file open in process or on a daemon.
#[derive(Debug)]
pub enum AnyFile {
    /// In process.
    Local(FileHandle),
    /// On a daemon.
    Remote(RemoteFile),
}

/// The future of a request on an [`AnyFile`].
#[must_use = "the request is already sent; await the future for its result"]
pub enum AnyFuture<T> {
    /// In process.
    Local(IoFuture<T>),
    /// On a daemon.
    Remote(RemoteFuture<T>),
}

impl<T> Future for AnyFuture<T> {
    type Output = Result<T, NtStatus>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both variants are Unpin.
        match self.get_mut() {
            AnyFuture::Local(f) => Pin::new(f).poll(cx),
            AnyFuture::Remote(f) => Pin::new(f).poll(cx),
        }
    }
}

/// Writes one `AnyFile` method per line, each passing its arguments to the variant's own.
macro_rules! delegate {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty; )*) => {
        impl AnyFile {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> AnyFuture<$out> {
                    match self {
                        AnyFile::Local(f) => AnyFuture::Local(f.$name($($arg),*)),
                        AnyFile::Remote(f) => AnyFuture::Remote(f.$name($($arg),*)),
                    }
                }
            )*
        }
    };
}

delegate! {
    /// Reads up to `length` bytes at `offset`.
    fn read(offset: u64, length: u32) -> Vec<u8>;
    /// Writes `data` at `offset`; returns the number of bytes written.
    fn write(offset: u64, data: Bytes) -> u64;
    /// Flushes the file to stable storage.
    fn flush() -> ();
    /// Queries a file information class (MS-FSCC layout).
    fn query_information(class: FileInfoClass, length: u32) -> Vec<u8>;
    /// Sets a file information class (MS-FSCC layout).
    fn set_information(class: FileInfoClass, data: Bytes) -> ();
    /// Reads directory entries.
    fn query_directory(request: QueryDirectoryRequest) -> Vec<u8>;
    /// Queries a volume information class.
    fn query_volume_information(class: FsInfoClass, length: u32) -> Vec<u8>;
    /// Sets a volume information class.
    fn set_volume_information(class: FsInfoClass, data: Bytes) -> ();
    /// Takes a byte-range lock.
    fn lock(request: LockRequest) -> ();
    /// Releases a byte-range lock.
    fn unlock(request: UnlockRequest) -> ();
    /// Reads parts of the security descriptor.
    fn query_security(info: SecurityInformation, length: u32) -> Vec<u8>;
    /// Replaces parts of the security descriptor.
    fn set_security(info: SecurityInformation, descriptor: Bytes) -> ();
    /// Waits for a change in this directory.
    fn read_directory_change(request: NotifyRequest) -> Vec<u8>;
    /// Sends a device I/O control.
    fn device_control(code: u32, input: Bytes, max_output: u32) -> Vec<u8>;
    /// Sends a file-system control.
    fn fs_control(code: u32, input: Bytes, max_output: u32) -> Vec<u8>;
}

impl AnyFile {
    /// What the create did.
    pub fn create_action(&self) -> CreateAction {
        match self {
            AnyFile::Local(f) => f.create_action(),
            AnyFile::Remote(f) => f.create_action(),
        }
    }

    /// Closes the file and waits for the driver; returns the close's status.
    pub async fn close(self) -> NtStatus {
        match self {
            AnyFile::Local(f) => f.close().await,
            AnyFile::Remote(f) => f.close().await,
        }
    }
}
