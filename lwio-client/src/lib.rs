//! # lwio-client
//!
//! The client side of lwiod's local interface: a program on the same machine sends IRPs
//! to the daemon's I/O manager over a Unix stream socket and gets the results it would
//! get in process.
//!
//! - [`proto`]: the wire protocol, a pure codec (frames in, frames out; no I/O), with
//!   its versions, bounds and conversation;
//! - [`transport`]: reading one frame off a stream, shared with the daemon;
//! - [`DaemonClient`] and [`RemoteFile`]: the library a program uses.
//!   [`DaemonClient::create_file`] takes the `CreateRequest` that
//!   [`lwio_core::IoManager::create_file`] takes, and [`RemoteFile`] has the methods of
//!   [`lwio_core::FileHandle`] with the same `Result<_, NtStatus>` results;
//! - [`Opener`] and [`AnyFile`]: one program over either, switched in one line;
//! - [`DaemonDriver`]: the daemon's namespace mounted as a device of an in-process
//!   manager, so code written against `IoManager` (the `lwio` tool) runs unchanged.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use lwio_client::DaemonClient;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest};
//! use std::sync::Arc;
//!
//! let daemon = DaemonClient::connect("/var/lib/lwio/lwiod.sock").await?;
//! // The token is the daemon's to decide (from the socket's peer credentials).
//! let request = CreateRequest::new(
//!     Arc::new(AccessToken::anonymous()),
//!     AccessMask::GENERIC_READ,
//!     CreateDisposition::OPEN,
//! );
//! let file = daemon.create_file("/data/a.txt", request).await?;
//! let bytes = file.read(0, 4096).await?;
//! # let _ = bytes;
//! file.close().await;
//! # Ok(()) }
//! ```
//!
//! What is not carried: Extra Create Parameters (in-process values), and the EA query
//! with a name list (`IrpRequest::QueryEa`, STATUS_NOT_SUPPORTED through
//! [`RemoteFile::call`]; FileFullEaInformation through `query_information` works).
#![forbid(unsafe_code)]

mod any;
mod client;
mod driver;
pub mod proto;
pub mod transport;

pub use any::{AnyFile, AnyFuture, Opener};
pub use client::{ConnectError, DaemonClient, RemoteCanceller, RemoteFile, RemoteFuture};
pub use driver::DaemonDriver;
