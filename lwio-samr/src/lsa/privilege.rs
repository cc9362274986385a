//! The privilege catalogue's calls (MS-LSAD 3.1.4.8): LsarEnumeratePrivileges (2,
//! POLICY_VIEW_LOCAL_INFORMATION), LsarLookupPrivilegeValue (31), LsarLookupPrivilegeName
//! (32) and LsarLookupPrivilegeDisplayName (33), the last three needing
//! POLICY_LOOKUP_NAMES. An unknown name or LUID is STATUS_NO_SUCH_PRIVILEGE.
//!
//! The catalogue is small (about 2 KB on the wire): an enumeration returns every
//! privilege from its resume index on in one answer whatever the preferred length,
//! STATUS_NO_MORE_ENTRIES once past the end. Display names are English (language
//! 0x0409), whatever language the client asks for.

use lwio_core::NtStatus;
use lwio_rpc::ndr::{PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::LsaInterface;
use super::access::{POLICY_LOOKUP_NAMES, POLICY_VIEW_LOCAL_INFORMATION};
use super::privileges::{self, PRIVILEGES};
use super::types::{Luid, PrivilegeDef, PrivilegeEnumBuffer};
use crate::rpc::types::text;
use crate::rpc::{Fail, Res, decode, reply};

/// LANGID of US English, the language of the display names.
const ENGLISH: u16 = 0x0409;

impl LsaInterface {
    pub(super) fn enumerate_privileges(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, resume, _preferred): (PolicyHandle, u32, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<(u32, PrivilegeEnumBuffer)> {
            self.policy(ctx, &h, POLICY_VIEW_LOCAL_INFORMATION)?;
            let start = (resume as usize).min(PRIVILEGES.len());
            if start == PRIVILEGES.len() {
                return Err(NtStatus::NO_MORE_ENTRIES.into());
            }
            let page: Vec<PrivilegeDef> = PRIVILEGES[start..]
                .iter()
                .map(|p| PrivilegeDef {
                    name: RpcUnicodeString::new(p.name),
                    luid: Luid {
                        low: p.luid,
                        high: 0,
                    },
                })
                .collect();
            Ok((
                PRIVILEGES.len() as u32,
                PrivilegeEnumBuffer {
                    entries: page.len() as u32,
                    privileges: Some(page),
                },
            ))
        })();
        reply(res, |w, v| {
            w.u32(v.map_or(resume, |v| v.0));
            w.write(&v.map(|v| v.1.clone()).unwrap_or_default());
        })
    }

    pub(super) fn lookup_privilege_value(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, name): (PolicyHandle, RpcUnicodeString) = decode(ctx, stub)?;
        let res = (|| -> Res<Luid> {
            self.policy(ctx, &h, POLICY_LOOKUP_NAMES)?;
            let p = privileges::by_name(&text(&name))
                .ok_or(Fail::Status(NtStatus::NO_SUCH_PRIVILEGE))?;
            Ok(Luid {
                low: p.luid,
                high: 0,
            })
        })();
        reply(res, |w, luid| w.write(&luid.copied().unwrap_or_default()))
    }

    pub(super) fn lookup_privilege_name(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, luid): (PolicyHandle, Luid) = decode(ctx, stub)?;
        let res = (|| -> Res<&'static str> {
            self.policy(ctx, &h, POLICY_LOOKUP_NAMES)?;
            privileges::by_luid(luid.low, luid.high)
                .map(|p| p.name)
                .ok_or(Fail::Status(NtStatus::NO_SUCH_PRIVILEGE))
        })();
        reply(res, |w, name| {
            w.write(&name.map(|n| RpcUnicodeString::new(n)))
        })
    }

    pub(super) fn lookup_privilege_display_name(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, name, _language, _system_language): (PolicyHandle, RpcUnicodeString, u16, u16) =
            decode(ctx, stub)?;
        let res = (|| -> Res<&'static str> {
            self.policy(ctx, &h, POLICY_LOOKUP_NAMES)?;
            privileges::by_name(&text(&name))
                .map(|p| p.display)
                .ok_or(Fail::Status(NtStatus::NO_SUCH_PRIVILEGE))
        })();
        reply(res, |w, display| {
            w.write(&display.map(|d| RpcUnicodeString::new(d)));
            w.u16(if display.is_some() { ENGLISH } else { 0 });
        })
    }
}
