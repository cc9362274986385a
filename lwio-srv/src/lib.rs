//! # lwio-srv
//!
//! An SMB2/SMB3 file server. It is a protocol head of the I/O manager: it owns sockets,
//! sessions, tree connects and the share table, and reaches file systems (PVFS) and named
//! pipes (NPFS) only through IRPs on an [`IoManager`](lwio_core::IoManager), carrying each
//! session's access token.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = lwio_srv::config::ServerConfig::from_cli([
//!     "lwiod", "--share", "data=/srv/data", "--user", "alice:secret",
//! ])?;
//! lwio_srv::Server::new(config)?.serve(std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! Rooms:
//! - [`config`], [`accounts`]: settings (CLI or TOML) and who may log on.
//! - [`server`]: the I/O manager, the shares, the listener.
//! - [`endpoint`]: serving a connection over any byte stream (in-memory ones too), and
//!   what the engine holds ([`EngineStats`]).
//! - `conn/` (the reader/writer loop, compounding, async responses), `negotiate`,
//!   `session_setup`, `tree`, [`signing`], `credits`: the connection engine (private but
//!   for the signer, which clients share).
//! - [`state`]: the server's shared objects (shares, sessions, trees, opens) and the
//!   interface between the connection engine and the file command handlers.
//! - [`files`]: one handler per file command, each turning an SMB2 request into IRPs.
//!
//! With the `testing` feature, the `testing` module drives servers over in-memory
//! streams with a raw SMB2 client and scripted request sequences (the fuzz target, the
//! property and bound tests, the load client).
//!
//! Not done yet: encryption (no cipher is negotiated), multichannel, leases and durable
//! handles, Kerberos.

pub mod accounts;
pub mod cli;
pub mod config;
mod conn;
mod credits;
pub mod endpoint;
pub mod files;
mod negotiate;
#[cfg(feature = "rpc")]
pub mod rpc_services;
#[cfg(feature = "samr")]
mod sam;
pub mod server;
mod session_setup;
pub mod signing;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
mod tree;

pub use config::ServerConfig;
pub use endpoint::{Endpoint, EngineStats};
pub use server::{Server, ServerError};
