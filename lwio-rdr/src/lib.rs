//! # lwio-rdr
//!
//! The SMB2/3 client (MS-SMB2 section 3.2) as a driver of lwio's I/O manager: Windows
//! calls it the redirector. Mount a [`Redirector`] as a device and open remote files by
//! name; every IRP becomes SMB2 requests to the server, and the server's NTSTATUS comes
//! back unchanged.
//!
//! ```no_run
//! use std::sync::Arc;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
//! use lwio_rdr::{Credentials, RdrConfig};
//!
//! let io = IoManager::new();
//! lwio_rdr::mount(&io, "rdr", RdrConfig::default(), Credentials::new("ann", "secret", "")).unwrap();
//! let token = Arc::new(AccessToken::system());
//! let request = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
//! let file = block_on(io.create_file("/rdr/server/share/dir/file.txt", request)).unwrap();
//! let head = block_on(file.read(0, 4096)).unwrap();
//! ```
//!
//! ## How it is built
//! - [`engine`]: one connection's protocol state as pure code (message ids and credits,
//!   signing and verification, matching responses to requests, interim responses,
//!   compounded responses, CANCEL), tested without sockets.
//! - [`conn`]: the tokio shell around an engine: a reader and a writer task per
//!   connection, callers waiting on one-shot channels. IRPs pend and complete from the
//!   redirector's own runtime; no caller's thread ever blocks on the network.
//! - [`session`]: NEGOTIATE (2.0.2 to 3.1.1, preauth integrity for 3.1.1), SESSION_SETUP
//!   with NTLMv2 inside SPNEGO (`lwio-auth`'s initiator), the signing key (HMAC-SHA256 for
//!   2.x, AES-CMAC for 3.0 and 3.0.2, AES-GMAC at 3.1.1 when the server takes it, else
//!   AES-CMAC), TREE_CONNECT; SMB 3.x encryption (the cipher negotiated at 3.1.1 among
//!   AES-128/256-GCM/CCM, AES-128-CCM at 3.0 and 3.0.2) when the server requires it of
//!   the session or a share, or [`RdrConfig::encrypt`] asks; the engine's
//!   [`engine::seal`] seals and opens the messages.
//! - [`cache`]: one session per (server, port, user), shared by every open, closed by a
//!   reaper once idle.
//! - [`driver`]: the IRP to SMB2 mapping.
//! - [`open`]: a remote open that outlives its connection: when the network loses it,
//!   the next request reconnects, reclaims the durable handle (or reopens the file by
//!   name) and is sent again.
//! - [`lease`]: leases (RWH asked for every file) and the read cache READ caching
//!   allows, bounded per file and in total, dropped when a break takes R.
//! - [`handles`]: handle caching under a lease's H: a closed file's handle is parked for
//!   a moment, reused by a reopen, closed before a break that takes H is acknowledged.
//! - [`writeback`]: write-behind under a lease's W: short sequential writes gathered and
//!   sent as one large WRITE, flushed before anything that must see them and before a
//!   break that takes W is acknowledged; a deferred write's failure is reported by the
//!   handle's later requests and its close.
//! - [`durable`]: durable handles, v1 (DHnQ/DHnC) at 2.x and v2 (DH2Q/DH2C with a
//!   CreateGuid) at 3.x.
//!
//! ## Hostile servers
//! Every response is checked: message ids that were never sent, another command than
//! the request's, lengths and offsets outside the message (the `lwio-smb2` decoders), more
//! output than was asked for, a missing or wrong signature, a response to an encrypted
//! request in clear or one whose transform does not open, no credits left. Any of these
//! drops the connection; every request waiting on it fails with
//! STATUS_CONNECTION_DISCONNECTED. Frames are bounded by the largest read asked for; no
//! allocation is sized by a count the server sent before it is checked.
//!
//! ## What it does not do (yet)
//! Encryption where it is impossible (a 2.x dialect, no common cipher: the open is refused
//! with STATUS_ACCESS_DENIED), Kerberos, directory leases, write-behind on a timer (gathered writes
//! wait for the handle's next request, its close, a break or the shutdown),
//! caching under oplocks (at 2.0.2 a file's batch oplock is asked for only with its
//! durable handle, and a break is acknowledged at once),
//! persistent handles, multichannel, DFS referrals, compression.
//! Where the server grants no durable handle a reconnect reopens by name, and the open's
//! byte-range locks are lost. The IRP's token is
//! not forwarded: the server sees the redirector's credentials.

#![forbid(unsafe_code)]

pub mod cache;
pub mod config;
pub mod conn;
pub mod creds;
pub mod driver;
pub mod durable;
pub mod engine;
pub mod error;
pub mod handles;
pub mod lease;
pub mod open;
pub mod path;
pub mod session;
pub mod writeback;

use std::sync::Arc;

use lwio_core::{IoManager, NtStatus};

pub use config::RdrConfig;
pub use creds::{Credentials, CredentialsError};
pub use driver::Redirector;
pub use error::RdrError;
/// The SMB 3.x ciphers ([`RdrConfig::ciphers`]).
pub use lwio_auth::smb3crypt::Cipher;
pub use open::RemoteFile;
pub use path::RemotePath;

/// Mounts a new [`Redirector`] at `/device` of `io`, logging on as `credentials`;
/// returns it (for its cache and runtime).
pub fn mount(
    io: &IoManager,
    device: &str,
    config: RdrConfig,
    credentials: Credentials,
) -> Result<Arc<Redirector>, NtStatus> {
    let rdr = Arc::new(
        Redirector::new(config, credentials).map_err(|_| NtStatus::INSUFFICIENT_RESOURCES)?,
    );
    io.add_device(device, Arc::clone(&rdr), ())?;
    Ok(rdr)
}
