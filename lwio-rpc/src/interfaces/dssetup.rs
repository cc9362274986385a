//! The Directory Services Setup Remote Protocol, its one operation servers still answer
//! (MS-DSSP, `3919286a-b10c-11d0-9ba8-00c04fd92ef5` v0.0, on `\pipe\lsarpc` beside lsarpc):
//! DsRolerGetPrimaryDomainInformation, which tells a client what role the machine plays.
//!
//! lwio is a stand-alone server in a workgroup, so:
//!
//! | level | answer |
//! |---|---|
//! | 1 `DsRolePrimaryDomainInfoBasic` | MachineRole `DsRole_RoleStandaloneServer` (2), no flags, the workgroup as the flat domain name, no DNS or forest name, a zero GUID |
//! | 2 `DsRoleUpgradeStatus` | not upgrading, previous state unknown |
//! | 3 `DsRoleOperationState` | idle |
//! | other | ERROR_INVALID_PARAMETER with no information |
//!
//! Opnums 1-10 are not used on the wire (MS-DSSP 3.2.5) and fault with
//! `nca_s_op_rng_error`, as every unknown opnum does.

use crate::ndr::{NdrWriter, WString};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{SyntaxId, Uuid};

/// The dssetup interface identifier, version 0.0.
pub const DSSETUP_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x3919_286a,
        0xb10c,
        0x11d0,
        [0x9b, 0xa8, 0x00, 0xc0, 0x4f, 0xd9, 0x2e, 0xf5],
    ),
    0,
    0,
);

/// DsRolerGetPrimaryDomainInformation.
pub const GET_PRIMARY_DOMAIN_INFORMATION: u16 = 0;

/// The information levels (DSROLE_PRIMARY_DOMAIN_INFO_LEVEL, MS-DSSP 2.2.1).
pub mod level {
    /// DSROLER_PRIMARY_DOMAIN_INFO_BASIC.
    pub const BASIC: u16 = 1;
    /// DSROLE_UPGRADE_STATUS_INFO.
    pub const UPGRADE_STATUS: u16 = 2;
    /// DSROLE_OPERATION_STATE_INFO.
    pub const OPERATION_STATE: u16 = 3;
}

/// DsRole_RoleStandaloneServer (DSROLE_MACHINE_ROLE, MS-DSSP 2.2.2).
const ROLE_STANDALONE_SERVER: u16 = 2;

/// ERROR_INVALID_PARAMETER.
const ERROR_INVALID_PARAMETER: u32 = 87;

/// The dssetup server of a stand-alone machine in workgroup `workgroup`.
#[derive(Debug, Clone)]
pub struct DssetupInterface {
    workgroup: String,
}

impl DssetupInterface {
    /// A dssetup server reporting membership of `workgroup`.
    pub fn new(workgroup: impl Into<String>) -> DssetupInterface {
        DssetupInterface {
            workgroup: workgroup.into(),
        }
    }

    fn get_primary_domain_information(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        // [in] DSROLE_PRIMARY_DOMAIN_INFO_LEVEL InfoLevel (an enum: 16 bits on the wire).
        let info_level: u16 = ctx.decode(stub)?;
        let mut w = NdrWriter::new();
        // [out, switch_is(InfoLevel)] PDSROLER_PRIMARY_DOMAIN_INFORMATION *DomainInfo: a
        // unique pointer to a union whose discriminant comes first.
        match info_level {
            level::BASIC => {
                w.referent(true);
                w.u16(info_level);
                w.align(4);
                w.u16(ROLE_STANDALONE_SERVER);
                w.u32(0); // Flags
                w.referent(true); // DomainNameFlat
                w.referent(false); // DomainNameDns
                w.referent(false); // DomainForestName
                w.write(&Uuid::NIL); // DomainGuid
                w.write(&WString::from(self.workgroup.as_str()));
            }
            level::UPGRADE_STATUS => {
                w.referent(true);
                w.u16(info_level);
                w.align(4);
                w.u32(0); // OperationState: no upgrade in progress
                w.u16(0); // PreviousServerState: DsRoleServerUnknown
            }
            level::OPERATION_STATE => {
                w.referent(true);
                w.u16(info_level);
                w.u16(0); // OperationState: DsRoleOperationIdle
            }
            _ => {
                w.referent(false);
                w.u32(ERROR_INVALID_PARAMETER);
                return Ok(w.into_bytes());
            }
        }
        w.align(4);
        w.u32(0); // ERROR_SUCCESS
        Ok(w.into_bytes())
    }
}

impl Interface for DssetupInterface {
    fn syntax(&self) -> SyntaxId {
        DSSETUP_SYNTAX
    }

    fn name(&self) -> &str {
        "dssetup"
    }

    fn reads_big_endian(&self) -> bool {
        true
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match op {
            GET_PRIMARY_DOMAIN_INFORMATION => self.get_primary_domain_information(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
