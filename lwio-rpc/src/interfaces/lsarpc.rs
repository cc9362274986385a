//! The Local Security Authority (Policy) interface, a minimal part of it (MS-LSAD,
//! `12345778-1234-abcd-ef00-0123456789ab` v0.0, endpoint `\pipe\lsarpc`): opening and
//! closing a policy handle — what a client does first on this pipe, and all that
//! smbtorture's rpc.bind checks over each kind of authenticated bind.
//!
//! | opnum | operation | answer |
//! |---|---|---|
//! | 0 | LsarClose | the null handle and STATUS_SUCCESS; a handle not open faults with `nca_s_fault_context_mismatch` |
//! | 3 | LsarQuerySecurityObject | a self-relative security descriptor holding none of the parts (the policy object keeps no descriptor) |
//! | 6 | LsarOpenPolicy | as 44 |
//! | 44 | LsarOpenPolicy2 | a policy handle and STATUS_SUCCESS; STATUS_ACCESS_DENIED for the anonymous logon |
//!
//! Every other opnum faults with `nca_s_op_rng_error` (the lookups, account and secret
//! management, trusted domains are not served). The policy object grants whatever was
//! asked: no call here reads or changes policy. Requests are read in the caller's byte
//! order ([`CallContext::reader`]).

use lwio_core::NtStatus;

use crate::ndr::{NdrReader, NdrWriter, PolicyHandle, WString};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{NdrError, SyntaxId, Uuid};

/// The lsarpc interface identifier, version 0.0.
pub const LSARPC_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x1234_5778,
        0x1234,
        0xabcd,
        [0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab],
    ),
    0,
    0,
);

/// The pipe name of lsarpc.
pub const LSARPC_PIPE: &str = "lsarpc";

/// Opnums of lsarpc served here.
pub mod opnum {
    /// LsarClose.
    pub const CLOSE: u16 = 0;
    /// LsarQuerySecurityObject.
    pub const QUERY_SECURITY: u16 = 3;
    /// LsarOpenPolicy.
    pub const OPEN_POLICY: u16 = 6;
    /// LsarOpenPolicy2.
    pub const OPEN_POLICY2: u16 = 44;
}

/// An open policy object: the access the caller asked for.
#[derive(Debug)]
struct Policy {
    _access: u32,
}

/// The lsarpc server.
#[derive(Debug, Default, Clone)]
pub struct LsarpcInterface;

impl LsarpcInterface {
    /// An lsarpc server.
    pub fn new() -> LsarpcInterface {
        LsarpcInterface
    }
}

/// Reads `LSAPR_OBJECT_ATTRIBUTES` (MS-LSAD 2.2.9) behind a top-level `[ref]` pointer:
/// its flat part, then the pointees in order. A security descriptor (ignored by servers,
/// MS-LSAD 3.1.4.4.9) is refused as unsupported stub data.
fn read_object_attributes(r: &mut NdrReader<'_>) -> Result<(), NdrError> {
    let _len = r.u32()?;
    let root_dir = r.u32()?;
    let object_name = r.u32()?;
    let _attributes = r.u32()?;
    let security_descriptor = r.u32()?;
    let qos = r.u32()?;
    if root_dir != 0 {
        r.u8()?;
    }
    if object_name != 0 {
        r.read::<WString>()?;
    }
    if security_descriptor != 0 {
        return Err(NdrError::Invalid(
            "LSAPR_OBJECT_ATTRIBUTES security descriptor",
        ));
    }
    if qos != 0 {
        // SECURITY_QUALITY_OF_SERVICE: Length, ImpersonationLevel, ContextTrackingMode,
        // EffectiveOnly.
        r.u32()?;
        r.u16()?;
        r.u8()?;
        r.u8()?;
    }
    Ok(())
}

fn open_policy(op: u16, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let mut r = ctx.reader(stub);
    if op == opnum::OPEN_POLICY2 {
        // [in, unique, string] wchar_t *SystemName
        r.read::<Option<WString>>()?;
    } else {
        // [in, unique] wchar_t *SystemName: one character.
        if r.u32()? != 0 {
            r.u16()?;
        }
    }
    read_object_attributes(&mut r)?;
    let access = r.u32()?;
    r.finish()?;
    let mut w = NdrWriter::new();
    if ctx.is_anonymous() {
        w.write(&PolicyHandle::default());
        w.u32(NtStatus::ACCESS_DENIED.0);
    } else {
        let handle = ctx.handles.create(Policy { _access: access })?;
        w.write(&handle);
        w.u32(NtStatus::SUCCESS.0);
    }
    Ok(w.into_bytes())
}

fn close(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let handle: PolicyHandle = ctx.decode(stub)?;
    ctx.handles.close::<Policy>(&handle)?;
    let mut w = NdrWriter::new();
    w.write(&PolicyHandle::default());
    w.u32(NtStatus::SUCCESS.0);
    Ok(w.into_bytes())
}

/// A self-relative security descriptor with no owner, group or ACLs (MS-DTYP 2.4.6):
/// revision 1, control SE_SELF_RELATIVE, every offset zero.
const EMPTY_SELF_RELATIVE_SD: [u8; 20] = [
    1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// LsarQuerySecurityObject: `[out] PLSAPR_SR_SECURITY_DESCRIPTOR *SecurityDescriptor`
/// (MS-LSAD 2.2.14: `Length`, then a unique pointer to `Length` octets).
fn query_security(stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    let (handle, _security_information): (PolicyHandle, u32) = ctx.decode(stub)?;
    ctx.handles.lookup::<Policy>(&handle)?;
    let sd = EMPTY_SELF_RELATIVE_SD;
    let len = sd.len() as u32;
    let mut w = NdrWriter::new();
    w.referent(true);
    w.u32(len);
    w.referent(true);
    w.u32(len);
    w.bytes(&sd);
    w.u32(NtStatus::SUCCESS.0);
    Ok(w.into_bytes())
}

impl Interface for LsarpcInterface {
    fn syntax(&self) -> SyntaxId {
        LSARPC_SYNTAX
    }

    fn name(&self) -> &str {
        "lsarpc"
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match op {
            opnum::CLOSE => close(stub, ctx),
            opnum::QUERY_SECURITY => query_security(stub, ctx),
            opnum::OPEN_POLICY | opnum::OPEN_POLICY2 => open_policy(op, stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }

    fn reads_big_endian(&self) -> bool {
        true
    }
}

/// Client-side encoders of the lsarpc requests served here.
pub mod stubs {
    use super::*;

    /// LsarOpenPolicy2 with SystemName `\\`, a quality-of-service block, and `access`.
    pub fn open_policy2(access: u32) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.write(&Some(WString::from("\\")));
        w.u32(0); // Length
        w.u32(0); // RootDirectory
        w.u32(0); // ObjectName
        w.u32(0); // Attributes
        w.u32(0); // SecurityDescriptor
        w.referent(true); // SecurityQualityOfService
        w.u32(12);
        w.u16(2);
        w.u8(1);
        w.u8(0);
        w.u32(access);
        w.into_bytes()
    }

    /// LsarClose of `handle`.
    pub fn close(handle: &PolicyHandle) -> Vec<u8> {
        crate::ndr::to_bytes(handle)
    }

    /// Reads an answer made of a policy handle and an NTSTATUS.
    pub fn handle_answer(stub: &[u8]) -> Result<(PolicyHandle, u32), NdrError> {
        let mut r = NdrReader::new(stub);
        let h: PolicyHandle = r.read()?;
        let status = r.u32()?;
        r.finish()?;
        Ok((h, status))
    }
}
