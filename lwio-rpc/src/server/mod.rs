//! A DCE/RPC server framework (C706 chapter 12, MS-RPCE 3.3.3): registered interfaces, a
//! sans-IO [`Connection`] per client, context handles ([`HandleTable`]) shared by the
//! connections of an association group, and a thin named-pipe transport over the I/O
//! manager's pipe interface ([`serve_pipe`]; lwio-npfs is the pipe file system that
//! implements it).
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
//! decides where it waits: [`serve_pipe`] runs each connected pipe instance and each pending
//! call as a task on a bounded [`RpcPool`], so other connections go on; an SMB server
//! driving many pipes from one task may poll the futures together. The futures are
//! runtime-agnostic (no tokio needed), like lwio_core's own.
//!
//! # Authentication
//!
//! A server built [`RpcServer::with_auth`] accepts binds carrying an NTLMSSP or
//! SPNEGO/NTLMSSP verifier, checks the logon against its [`lwio_auth::accounts::AccountSource`], runs the calls
//! as the authenticated user, and checks and protects every request and response
//! fragment at the negotiated level (see the `auth` module and
//! [`crate::pdu::protect_fragment`]). Without it, binds carrying a verifier are refused.
//!
//! # Byte order
//!
//! Big-endian clients are served: their PDUs are rewritten to little-endian on arrival,
//! and the stub's byte order reaches the interface in [`CallContext::byte_order`].
//! Interfaces that read stubs with [`CallContext::reader`] say so with
//! [`Interface::reads_big_endian`]; the others get no big-endian calls.
//!
//! # What is not here
//!
//! Concurrent multiplexing of fragments within one connection (`PFC_CONC_MPX` is never
//! granted; whole calls still run side by side), cancelling a running call on co_cancel
//! or orphaned (the call finishes and its answer is dropped for orphaned), Kerberos, and
//! NDR64.

mod assoc;
mod auth;
mod connection;
mod handles;
mod pipe;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lwio_core::AccessToken;

use assoc::{AssocGroup, AssocGroups};
pub use auth::RpcAuth;
pub use connection::{Action, Connection, DEFAULT_MAX_FRAG, MIN_FRAG, PendingCall};
pub use handles::{HandleTable, MAX_HANDLES};
pub use lwio_auth::accounts::AccountSource;
pub use pipe::{MAX_CONCURRENT_CALLS, PipeServer, RpcPool, serve_pipe, serve_pipe_on};

use crate::ndr::{ByteOrder, NdrReader};
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

    /// Whether `call` reads stubs in the caller's byte order ([`CallContext::reader`]).
    /// An interface that does not is sent no big-endian calls: they fault with
    /// `nca_s_unsupported_type` instead of being misread.
    fn reads_big_endian(&self) -> bool {
        false
    }
}

/// Who is calling, over which connection: what an interface may look at.
#[derive(Clone)]
pub struct CallContext {
    /// The caller's token (from the pipe's client information).
    pub token: Arc<AccessToken>,
    /// The SMB session key of the caller, empty when there is none.
    pub session_key: Vec<u8>,
    /// The context handles of this connection's association group (shared with the
    /// group's other connections; a private table before bind).
    pub handles: Arc<HandleTable>,
    /// The association group of the connection.
    pub assoc_group_id: u32,
    /// The byte order of the request's stub (the `drep` of its PDU); read it with
    /// [`CallContext::reader`]. Answers are always little-endian.
    pub byte_order: ByteOrder,
    /// Zero octets that may follow the parameters in the stub: the alignment padding in
    /// front of the verification trailer (MS-RPCE 2.2.2.13) the connection cut off, at
    /// most 3. [`CallContext::reader`] accepts them.
    pub trailing_padding: usize,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("user", &self.token.user)
            .field("session_key_len", &self.session_key.len())
            .field("handles", &self.handles.len())
            .field("assoc_group_id", &self.assoc_group_id)
            .field("byte_order", &self.byte_order)
            .finish()
    }
}

impl CallContext {
    /// A strict NDR reader over a request stub of this call, in its byte order.
    pub fn reader<'a>(&self, stub: &'a [u8]) -> NdrReader<'a> {
        NdrReader::new(stub)
            .with_byte_order(self.byte_order)
            .allow_trailing_padding(self.trailing_padding)
    }

    /// Decodes a request stub holding exactly one complete value (the `[in]` parameters
    /// as a tuple or structure), in this call's byte order: [`crate::ndr::from_bytes`]
    /// for interface code that also serves big-endian and authenticated clients.
    pub fn decode<T: crate::ndr::Ndr>(&self, stub: &[u8]) -> Result<T, NdrError> {
        let mut r = self.reader(stub);
        let value = r.read::<T>()?;
        r.finish()?;
        Ok(value)
    }

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
    assoc_groups: AssocGroups,
    auth: Option<RpcAuth>,
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
            assoc_groups: AssocGroups::new(),
            auth: None,
        }
    }

    /// Accepts authenticated binds (NTLMSSP, SPNEGO/NTLMSSP) checked against
    /// `auth.accounts`. Without it a bind carrying a verifier gets a bind_nak
    /// (authentication type not recognized).
    pub fn with_auth(mut self, auth: RpcAuth) -> RpcServer {
        self.auth = Some(auth);
        self
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

    /// Starts a new association group.
    pub(crate) fn new_assoc_group(&self) -> Arc<AssocGroup> {
        self.assoc_groups.create()
    }

    /// The live association group `id` (one of its connections is still open).
    pub(crate) fn join_assoc_group(&self, id: u32) -> Option<Arc<AssocGroup>> {
        self.assoc_groups.join(id)
    }
}
