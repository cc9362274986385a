//! The DCE/RPC remote management interface, `mgmt` (C706 appendix Q; MS-RPCE 3.1.1.5.7;
//! `afa8bd80-7d8a-11c9-bef4-08002b102989` v1.0), which every endpoint answers besides
//! its own interfaces, so a client can ask an endpoint what it serves.
//!
//! | opnum | operation | answer here |
//! |---|---|---|
//! | 0 | rpc_mgmt_inq_if_ids | the interfaces registered on this endpoint (mgmt itself excluded) |
//! | 1 | rpc_mgmt_inq_stats | calls in, calls out, PDUs in, PDUs out of this endpoint |
//! | 2 | rpc_mgmt_is_server_listening | listening (status 0, result true) |
//! | 3 | rpc_mgmt_stop_server_listening | refused: ERROR_ACCESS_DENIED, as Windows refuses remote callers |
//! | 4 | rpc_mgmt_inq_princ_name | the server principal for an authentication service the server offers |
//!
//! [`Endpoint`] builds the server of one endpoint: it registers mgmt next to the given
//! interfaces and wraps each of them in a counter that feeds [`EndpointStats`].
//!
//! Statistics are counted at the interface layer: one request PDU in and one response
//! PDU out per call. The extra fragments of a fragmented call, binds and faults the
//! framework answers itself are not seen from here, so the PDU counts are lower bounds.
//! No call leaves this server (`calls_out` stays 0).
//!
//! Wire layouts (NDR 2.0):
//!
//! * inq_if_ids out: `[out] rpc_if_id_vector_t **if_id_vector` — a referent id, then the
//!   conformant structure `{ uint32 count; [size_is(count)] rpc_if_id_t *if_id[]; }` (the
//!   maximum count first, then `count`, then one referent id per entry, then each
//!   `{ GUID uuid; uint16 vers_major; uint16 vers_minor; }`), then the status.
//! * inq_stats: in `uint32 max_count`, `uint32 reserved`; out the conformant structure
//!   `{ uint32 count; [size_is(count)] uint32 statistics[]; }` (maximum count first),
//!   then the status.
//! * is_server_listening: out `error_status_t status`, returns `boolean32`.
//! * stop_server_listening: no parameters, returns the status.
//! * inq_princ_name: in `uint32 authn_proto`, `uint32 princ_name_size`; out
//!   `[string, size_is(princ_name_size)] char princ_name[]` (maximum count =
//!   princ_name_size, offset 0, actual count), then the status. A size of 0 leaves no
//!   room for the terminator and faults with `nca_s_fault_ndr`; a name longer than the
//!   size is ERROR_INSUFFICIENT_BUFFER with an empty string.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::win32::{ERROR_ACCESS_DENIED, ERROR_INSUFFICIENT_BUFFER, ERROR_SUCCESS};
use crate::ndr::{self, Ndr, NdrReader, NdrWriter};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface, RpcServer};
use crate::{NdrError, SyntaxId, Uuid, ndr_struct};

/// The mgmt interface identifier, version 1.0.
pub const MGMT_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0xafa8_bd80,
        0x7d8a,
        0x11c9,
        [0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89],
    ),
    1,
    0,
);

/// Opnums of mgmt.
pub mod opnum {
    /// rpc_mgmt_inq_if_ids.
    pub const INQ_IF_IDS: u16 = 0;
    /// rpc_mgmt_inq_stats.
    pub const INQ_STATS: u16 = 1;
    /// rpc_mgmt_is_server_listening.
    pub const IS_SERVER_LISTENING: u16 = 2;
    /// rpc_mgmt_stop_server_listening.
    pub const STOP_SERVER_LISTENING: u16 = 3;
    /// rpc_mgmt_inq_princ_name.
    pub const INQ_PRINC_NAME: u16 = 4;
}

/// Authentication service numbers (MS-RPCE 2.2.1.1.7).
pub mod authn {
    /// RPC_C_AUTHN_GSS_NEGOTIATE (SPNEGO).
    pub const GSS_NEGOTIATE: u32 = 9;
    /// RPC_C_AUTHN_WINNT (NTLMSSP).
    pub const WINNT: u32 = 10;
}

/// RPC_S_UNKNOWN_AUTHN_SERVICE: inq_princ_name for a service the server does not offer.
pub const RPC_S_UNKNOWN_AUTHN_SERVICE: u32 = 1747;

/// The number of counters inq_stats reports (rpc_c_stats_array_max_size).
pub const STATS_COUNT: u32 = 4;

/// The counters of one endpoint, in inq_stats order.
#[derive(Debug, Default)]
pub struct EndpointStats {
    /// rpc_c_stats_calls_in.
    pub calls_in: AtomicU32,
    /// rpc_c_stats_calls_out.
    pub calls_out: AtomicU32,
    /// rpc_c_stats_pkts_in.
    pub pkts_in: AtomicU32,
    /// rpc_c_stats_pkts_out.
    pub pkts_out: AtomicU32,
}

impl EndpointStats {
    /// The four counters, in inq_stats order.
    pub fn snapshot(&self) -> [u32; 4] {
        [
            self.calls_in.load(Ordering::Relaxed),
            self.calls_out.load(Ordering::Relaxed),
            self.pkts_in.load(Ordering::Relaxed),
            self.pkts_out.load(Ordering::Relaxed),
        ]
    }
}

/// An interface whose calls are counted in an [`EndpointStats`].
struct Counted {
    inner: Arc<dyn Interface>,
    stats: Arc<EndpointStats>,
}

impl Interface for Counted {
    fn syntax(&self) -> SyntaxId {
        self.inner.syntax()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn reads_big_endian(&self) -> bool {
        self.inner.reads_big_endian()
    }

    fn call(&self, opnum: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        self.stats.calls_in.fetch_add(1, Ordering::Relaxed);
        self.stats.pkts_in.fetch_add(1, Ordering::Relaxed);
        match self.inner.call(opnum, stub, ctx) {
            CallOutcome::Ready(r) => {
                self.stats.pkts_out.fetch_add(1, Ordering::Relaxed);
                CallOutcome::Ready(r)
            }
            CallOutcome::Pending(fut) => {
                let stats = Arc::clone(&self.stats);
                CallOutcome::Pending(Box::pin(async move {
                    let r = fut.await;
                    stats.pkts_out.fetch_add(1, Ordering::Relaxed);
                    r
                }))
            }
        }
    }
}

/// One endpoint (one pipe name): its interfaces, mgmt, and their counters.
pub struct Endpoint {
    interfaces: Vec<Arc<dyn Interface>>,
    principals: Vec<(u32, String)>,
    stats: Arc<EndpointStats>,
}

impl Endpoint {
    /// An endpoint serving nothing yet.
    pub fn new() -> Endpoint {
        Endpoint {
            interfaces: Vec::new(),
            principals: Vec::new(),
            stats: Arc::new(EndpointStats::default()),
        }
    }

    /// Adds an interface.
    #[must_use]
    pub fn serve(mut self, interface: Arc<dyn Interface>) -> Endpoint {
        self.interfaces.push(interface);
        self
    }

    /// Declares the principal name clients authenticate to with `authn_service`
    /// (inq_princ_name).
    #[must_use]
    pub fn principal(mut self, authn_service: u32, name: &str) -> Endpoint {
        self.principals.push((authn_service, name.to_owned()));
        self
    }

    /// The counters of this endpoint.
    pub fn stats(&self) -> Arc<EndpointStats> {
        Arc::clone(&self.stats)
    }

    /// The mgmt interface of this endpoint.
    pub fn mgmt(&self) -> MgmtInterface {
        MgmtInterface {
            interfaces: self.interfaces.iter().map(|i| i.syntax()).collect(),
            principals: self.principals.clone(),
            stats: Arc::clone(&self.stats),
        }
    }

    /// The server: every interface counted, then mgmt (counted too).
    pub fn into_server(self) -> RpcServer {
        let mgmt: Arc<dyn Interface> = Arc::new(self.mgmt());
        let mut server = RpcServer::new();
        for inner in self.interfaces.into_iter().chain([mgmt]) {
            server = server.register(Arc::new(Counted {
                inner,
                stats: Arc::clone(&self.stats),
            }));
        }
        server
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::new()
    }
}

ndr_struct! {
    /// rpc_if_id_t: `{ GUID uuid; unsigned short vers_major; unsigned short vers_minor; }`,
    /// the same 20 bytes as a presentation syntax id.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct IfId {
        /// The interface UUID.
        pub uuid: Uuid,
        /// Major version.
        pub vers_major: u16,
        /// Minor version.
        pub vers_minor: u16,
    }
}

impl From<SyntaxId> for IfId {
    fn from(s: SyntaxId) -> IfId {
        IfId {
            uuid: s.uuid,
            vers_major: (s.version & 0xFFFF) as u16,
            vers_minor: (s.version >> 16) as u16,
        }
    }
}

/// rpc_if_id_vector_t, a conformant structure of unique pointers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfIdVector {
    /// The entries (`None` is a null entry).
    pub if_id: Vec<Option<IfId>>,
}

impl Ndr for IfIdVector {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;

    fn encode_flat(&self, w: &mut NdrWriter) {
        let n = crate::interfaces::vec_len(self.if_id.len());
        w.u32(n);
        w.u32(n);
        for e in &self.if_id {
            e.encode_flat(w);
        }
    }

    fn encode_deferred(&self, w: &mut NdrWriter) {
        for e in &self.if_id {
            e.encode_deferred(w);
        }
    }

    fn decode_flat(r: &mut NdrReader<'_>) -> Result<IfIdVector, NdrError> {
        let max = r.u32()?;
        let count = r.u32()?;
        if max != count {
            return Err(NdrError::CountMismatch("size_is(count) differs from count"));
        }
        let n = r.check_count(max, 4)?;
        let mut if_id = Vec::with_capacity(n);
        for _ in 0..n {
            if_id.push(Option::<IfId>::decode_flat(r)?);
        }
        Ok(IfIdVector { if_id })
    }

    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        for e in &mut self.if_id {
            e.decode_deferred(r)?;
        }
        Ok(())
    }
}

/// The statistics vector, a conformant structure `{ count; statistics[count] }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsVector {
    /// The counters.
    pub statistics: Vec<u32>,
}

impl Ndr for StatsVector {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;

    fn encode_flat(&self, w: &mut NdrWriter) {
        let n = crate::interfaces::vec_len(self.statistics.len());
        w.u32(n);
        w.u32(n);
        for v in &self.statistics {
            w.u32(*v);
        }
    }

    fn decode_flat(r: &mut NdrReader<'_>) -> Result<StatsVector, NdrError> {
        let max = r.u32()?;
        let count = r.u32()?;
        if max != count {
            return Err(NdrError::CountMismatch("size_is(count) differs from count"));
        }
        let n = r.check_count(max, 4)?;
        let mut statistics = Vec::with_capacity(n);
        for _ in 0..n {
            statistics.push(r.u32()?);
        }
        Ok(StatsVector { statistics })
    }
}

/// inq_princ_name's `[string, size_is(princ_name_size)] char[]`: the maximum count is the
/// caller's buffer size, the string (with its NUL) at most that long.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SizedAString {
    /// The buffer size (maximum count).
    pub size: u32,
    /// The octets, without the terminator.
    pub text: Vec<u8>,
}

impl Ndr for SizedAString {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 12;

    fn encode_flat(&self, w: &mut NdrWriter) {
        let actual = crate::interfaces::vec_len(self.text.len() + 1);
        w.u32(self.size.max(actual));
        w.u32(0);
        w.u32(actual);
        w.bytes(&self.text);
        w.u8(0);
    }

    fn decode_flat(r: &mut NdrReader<'_>) -> Result<SizedAString, NdrError> {
        let size = r.u32()?;
        let offset = r.u32()?;
        let actual = r.u32()?;
        if offset != 0 {
            return Err(NdrError::BadOffset(offset));
        }
        if actual > size || actual == 0 {
            return Err(NdrError::BadString("bad string counts"));
        }
        let n = r.check_count(actual, 1)?;
        let raw = r.bytes(n)?;
        let (text, nul) = raw.split_at(n - 1);
        if nul != [0] {
            return Err(NdrError::BadString("no terminating NUL"));
        }
        Ok(SizedAString {
            size,
            text: text.to_vec(),
        })
    }
}

/// The mgmt server of one endpoint (made by [`Endpoint::mgmt`]).
#[derive(Debug, Clone)]
pub struct MgmtInterface {
    interfaces: Vec<SyntaxId>,
    principals: Vec<(u32, String)>,
    stats: Arc<EndpointStats>,
}

impl MgmtInterface {
    fn inq_if_ids(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        ctx.reader(stub).finish()?;
        let vector = IfIdVector {
            if_id: self
                .interfaces
                .iter()
                .map(|s| Some(IfId::from(*s)))
                .collect(),
        };
        Ok(ndr::to_bytes(&(Some(vector), ERROR_SUCCESS)))
    }

    fn inq_stats(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (max_count, _reserved): (u32, u32) = ctx.decode(stub)?;
        let all = self.stats.snapshot();
        let n = usize::try_from(max_count.min(STATS_COUNT)).unwrap_or(0);
        let stats = StatsVector {
            statistics: all[..n].to_vec(),
        };
        Ok(ndr::to_bytes(&(stats, ERROR_SUCCESS)))
    }

    fn inq_princ_name(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (authn_proto, size): (u32, u32) = ctx.decode(stub)?;
        if size == 0 {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let (text, status) = match self.principals.iter().find(|(s, _)| *s == authn_proto) {
            None => (Vec::new(), RPC_S_UNKNOWN_AUTHN_SERVICE),
            Some((_, name)) if name.len() >= size as usize => {
                (Vec::new(), ERROR_INSUFFICIENT_BUFFER)
            }
            Some((_, name)) => (name.as_bytes().to_vec(), ERROR_SUCCESS),
        };
        Ok(ndr::to_bytes(&(SizedAString { size, text }, status)))
    }
}

impl Interface for MgmtInterface {
    fn syntax(&self) -> SyntaxId {
        MGMT_SYNTAX
    }

    fn name(&self) -> &str {
        "mgmt"
    }

    /// Every handler reads its stub through [`CallContext::decode`]/[`CallContext::reader`].
    fn reads_big_endian(&self) -> bool {
        true
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match op {
            opnum::INQ_IF_IDS => self.inq_if_ids(stub, ctx),
            opnum::INQ_STATS => self.inq_stats(stub, ctx),
            opnum::IS_SERVER_LISTENING => ctx
                .reader(stub)
                .finish()
                .map(|()| ndr::to_bytes(&(ERROR_SUCCESS, 1u32)))
                .map_err(FaultStatus::from),
            opnum::STOP_SERVER_LISTENING => ctx
                .reader(stub)
                .finish()
                .map(|()| ndr::to_bytes(&ERROR_ACCESS_DENIED))
                .map_err(FaultStatus::from),
            opnum::INQ_PRINC_NAME => self.inq_princ_name(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
