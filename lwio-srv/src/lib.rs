//! # lwio-srv
//!
//! An SMB2/SMB3 file server. It is a protocol head of the I/O manager: it owns sockets,
//! sessions, tree connects and the share table, and reaches file systems (PVFS) and named
//! pipes (NPFS) only through IRPs on an [`IoManager`](lwio_core::IoManager), carrying each
//! session's access token.
//!
//! The server serves an [`IoManager`](lwio_core::IoManager) it is given: the application
//! mounts the devices (PVFS, memfs, its own driver or filter stack, a named-pipe device
//! with the RPC endpoints it wants) and names the shares:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use lwio_srv::accounts::{MemoryAccounts, UserConfig};
//! let io = lwio_core::IoManager::new();
//! lwio_pvfs::mount(&io, "data", "/srv/data".as_ref(), Default::default())?;
//! let server = lwio_srv::Server::builder(io)
//!     .disk_share("data", "data")
//!     .accounts(MemoryAccounts::shared(&[UserConfig::new("alice", "secret")]))
//!     .build()?;
//! server.serve(std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! The `lwiod` crate is the full assembly (command line, TOML, state directory, SAM,
//! IPC$ with srvsvc, wkssvc, SAMR, LSA), built only on this API.
//!
//! Rooms:
//! - [`config`], [`accounts`]: the engine's [`Settings`] and who may log on.
//! - [`server`]: the builder, the shares, the listener.
//! - [`status`]: the live state (share table, sessions, trees, opens) srvsvc and admin
//!   tools read, and the live share table's changes.
//! - [`admin`]: a snapshot of the sessions and opens (one source of truth for srvsvc
//!   and lwiod's admin requests), closing a session or an open.
//! - [`rpc_services`] (feature `rpc`): srvsvc and wkssvc over the status.
//! - [`endpoint`]: serving a connection over any byte stream (in-memory ones too), and
//!   what the engine holds ([`EngineStats`]).
//! - `conn/` (the reader/writer loop, compounding, async responses), `negotiate`,
//!   `session_setup`, `tree`, [`signing`], `credits`: the connection engine (private but
//!   for the signer, which clients share); `conn/seal.rs` is SMB3 encryption and
//!   `conn/compress.rs` SMB 3.1.1 compression ([`Settings::compression`]); `channel`
//!   is SMB 3.x multichannel: a session bound to several connections, each with its own
//!   signing key, answered on the connection each request came in on
//!   ([`Settings::multichannel`]).
//! - [`state`]: the server's shared objects (shares, sessions, trees, opens) and the
//!   interface between the connection engine and the file command handlers.
//! - [`files`]: one handler per file command, each turning an SMB2 request into IRPs.
//! - [`durable`]: durable opens preserved past their connection, and their scavenger.
//!
//! With the `testing` feature, the `testing` module drives servers over in-memory
//! streams with a raw SMB2 client and scripted request sequences (the fuzz target, the
//! property and bound tests, the load client).
//!
//! Oplocks (level II, exclusive, batch) and leases are the file system's, mapped to the
//! wire by `files/oplock.rs` and `files/lease.rs`; durable handles are [`durable`]'s (the
//! table of opens that outlive their connection) and `files/durable.rs` (the create
//! contexts). Not done yet: persistent handles, Kerberos, RDMA (SMB Direct) channels.

pub mod accounts;
pub mod admin;
mod channel;
pub mod config;
mod conn;
mod credits;
pub mod durable;
pub mod endpoint;
pub mod files;
mod negotiate;
#[cfg(feature = "rpc")]
pub mod rpc_services;
pub mod server;
mod session_setup;
pub mod signing;
pub mod state;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod tree;

pub use config::{COMPRESSION_ALGORITHMS, Settings};
pub use endpoint::{Endpoint, EngineStats};
/// A compression algorithm id of [`Settings::compression`] (MS-SMB2 2.2.3.1.3).
pub use lwio_smb2::negotiate::CompressionAlgorithm;
pub use server::{Server, ServerBuilder, ServerError};
pub use state::Share;
pub use status::ServerStatus;
