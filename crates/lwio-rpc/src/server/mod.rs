//! A DCE/RPC server framework (C706 chapter 12, MS-RPCE 3.3.3): registered interfaces, a
//! sans-IO [`Connection`] per client, per-connection context handles ([`HandleTable`]), and
//! a thin named-pipe transport over lwio-npfs ([`serve_pipe`]).
//!
//! # The call path
//!
//! The transport reads bytes from the pipe and hands them to [`Connection::receive`], which
//! splits them into fragments, answers binds and alter_contexts, reassembles requests, and
//! dispatches each whole request to its [`Interface`]. The interface returns a
//! [`CallOutcome`]: `Ready` with the response stub (or a fault) for a call that finished at
//! once, or `Pending` with a future for one that waits (a timer, another IRP). The
//! connection turns results into response or fault fragments ([`Action::Send`]); a pending
//! call comes out as [`Action::Call`], which the transport awaits and then gives back to
//! [`Connection::complete`].
//!
//! # Why a returned future
//!
//! Most calls are quick and synchronous: `Ready` costs no allocation or executor. A slow
//! call returns a `'static` future instead of blocking inside `call`, so the transport
//! decides where it waits: [`serve_pipe`] runs one thread per connected pipe instance and
//! awaits it there with [`lwio_core::block_on`], so other connections go on; an SMB server
//! driving many pipes from one task may poll the futures together. The futures are
//! runtime-agnostic (no tokio needed), like lwio_core's own.
//!
//! # What is not here
//!
//! Authentication (binds carrying a verifier are refused), concurrent multiplexing within
//! one connection (`PFC_CONC_MPX` is never granted), cancelling a running call on
//! co_cancel or orphaned (the call finishes and its answer is dropped for orphaned), and
//! NDR64.

mod connection;
mod handles;
mod pipe;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use lwio_core::AccessToken;
use parking_lot::Mutex;

pub use connection::{Action, Connection, DEFAULT_MAX_FRAG, MIN_FRAG, PendingCall};
pub use handles::{HandleTable, MAX_HANDLES};
pub use pipe::{PipeServer, serve_pipe};

use crate::pdu::{self, FaultStatus};
use crate::{NdrError, SyntaxId};

/// The future of a call that did not finish at once.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, FaultStatus>> + Send>>;

/// What [`Interface::call`] returns.
pub enum CallOutcome {
    /// The call finished: the response stub, or the fault to send.
    Ready(Result<Vec<u8>, FaultStatus>),
    /// The call goes on; the future gives its result.
    Pending(CallFuture),
}

impl fmt::Debug for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallOutcome::Ready(r) => f.debug_tuple("Ready").field(r).finish(),
            CallOutcome::Pending(_) => f.write_str("Pending(..)"),
        }
    }
}

impl From<Result<Vec<u8>, FaultStatus>> for CallOutcome {
    fn from(r: Result<Vec<u8>, FaultStatus>) -> CallOutcome {
        CallOutcome::Ready(r)
    }
}

/// Stub data that does not unmarshal is `nca_s_fault_ndr` (RPC_X_BAD_STUB_DATA).
impl From<NdrError> for FaultStatus {
    fn from(_: NdrError) -> FaultStatus {
        FaultStatus::BAD_STUB_DATA
    }
}

/// One RPC interface: its syntax identifier and the dispatch of its operations.
///
/// `call` decodes `stub` (the request's NDR 2.0 stub data), runs operation `opnum`, and
/// encodes the `[out]` parameters and return value. An opnum it does not know is
/// [`FaultStatus::OP_RNG_ERROR`]; stub data that does not decode is
/// [`FaultStatus::BAD_STUB_DATA`] (`?` on an [`NdrError`] gives it). Errors of the
/// operation itself (ERROR_ACCESS_DENIED, NERR_…) are return values in the stub, not
/// faults.
pub trait Interface: Send + Sync {
    /// The abstract syntax: interface UUID and version.
    fn syntax(&self) -> SyntaxId;

    /// A short name for logs (`srvsvc`).
    fn name(&self) -> &str {
        "interface"
    }

    /// Runs one call.
    fn call(&self, opnum: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome;
}

/// Who is calling, over which connection: what an interface may look at.
#[derive(Clone)]
pub struct CallContext {
    /// The caller's token (from the pipe's client information).
    pub token: Arc<AccessToken>,
    /// The SMB session key of the caller, empty when there is none.
    pub session_key: Vec<u8>,
    /// The context handles of this connection.
    pub handles: Arc<HandleTable>,
    /// The association group of the connection.
    pub assoc_group_id: u32,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("user", &self.token.user)
            .field("session_key_len", &self.session_key.len())
            .field("handles", &self.handles.len())
            .field("assoc_group_id", &self.assoc_group_id)
            .finish()
    }
}

impl CallContext {
    /// True when the caller is the anonymous logon (user S-1-5-7).
    pub fn is_anonymous(&self) -> bool {
        self.token.user == lwio_core::security::well_known::ANONYMOUS
    }

    /// True when the caller is in BUILTIN\Administrators (or is LocalSystem).
    pub fn is_administrator(&self) -> bool {
        self.token
            .contains_sid(&lwio_core::security::well_known::BUILTIN_ADMINISTRATORS)
            || self.token.user == lwio_core::security::well_known::LOCAL_SYSTEM
    }
}

/// The registered interfaces and the server-wide state (association groups).
pub struct RpcServer {
    interfaces: Vec<Arc<dyn Interface>>,
    max_frag: u16,
    next_assoc_group: AtomicU32,
    assoc_groups: Mutex<HashSet<u32>>,
}

impl fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.interfaces.iter().map(|i| i.name()).collect();
        f.debug_struct("RpcServer")
            .field("interfaces", &names)
            .field("max_frag", &self.max_frag)
            .finish()
    }
}

impl Default for RpcServer {
    fn default() -> Self {
        RpcServer::new()
    }
}

impl RpcServer {
    /// A server with no interfaces and fragments of at most [`DEFAULT_MAX_FRAG`] bytes.
    pub fn new() -> RpcServer {
        RpcServer {
            interfaces: Vec::new(),
            max_frag: DEFAULT_MAX_FRAG,
            next_assoc_group: AtomicU32::new(0x0001_2340),
            assoc_groups: Mutex::new(HashSet::new()),
        }
    }

    /// Registers an interface.
    pub fn register(mut self, interface: Arc<dyn Interface>) -> RpcServer {
        self.interfaces.push(interface);
        self
    }

    /// Sets the largest fragment this server sends or accepts (at least [`MIN_FRAG`]).
    pub fn max_frag(mut self, max: u16) -> RpcServer {
        self.max_frag = max.max(MIN_FRAG);
        self
    }

    /// The largest fragment this server sends or accepts.
    pub fn max_frag_size(&self) -> u16 {
        self.max_frag
    }

    /// The interface registered for `proposed` (same UUID and major version, minor no
    /// newer: [`pdu::interface_version_matches`]).
    pub fn find(&self, proposed: &SyntaxId) -> Option<&Arc<dyn Interface>> {
        self.interfaces
            .iter()
            .find(|i| pdu::interface_version_matches(&i.syntax(), proposed))
    }

    /// Allocates a new association group id.
    pub(crate) fn new_assoc_group(&self) -> u32 {
        let id = self.next_assoc_group.fetch_add(1, Ordering::Relaxed);
        self.assoc_groups.lock().insert(id);
        id
    }

    /// True when `id` names a group this server allocated.
    pub(crate) fn knows_assoc_group(&self, id: u32) -> bool {
        self.assoc_groups.lock().contains(&id)
    }
}
