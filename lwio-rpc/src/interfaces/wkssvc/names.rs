//! The machine's names and membership: join information, the computer names (primary
//! and alternates), and the domain operations a standalone server refuses.

use super::WkssvcInterface;
use super::types::params::*;
use super::types::*;
use crate::interfaces::win32::*;
use crate::ndr::{self, Ndr, RpcUnicodeString, WString};
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// The longest NetBIOS computer name.
pub const NETBIOS_NAME_MAX: usize = 15;

/// Characters a NetBIOS computer name may not hold.
const NAME_FORBIDDEN: &str = "\\/:*?\"<>|,;=+[]";

/// Whether `name` can be a NetBIOS computer name: 1 to 15 characters, none of them a
/// control character or one of `\/:*?"<>|,;=+[]`, not only dots and spaces.
pub fn valid_computer_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=NETBIOS_NAME_MAX).contains(&n)
        && !name
            .chars()
            .any(|c| c.is_control() || NAME_FORBIDDEN.contains(c))
        && !name.chars().all(|c| c == '.' || c == ' ')
}

impl WkssvcInterface {
    /// The status of an operation every caller but the refused ones gets `status` from.
    fn refuse_or(&self, ctx: &CallContext, status: u32) -> u32 {
        if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else {
            status
        }
    }

    /// The operations that only check their request and refuse it with `status`:
    /// NetrLogonDomainNameAdd/Del (14, 15), NetrJoinDomain (16, the cleartext-password
    /// form), NetrUnjoinDomain (17), NetrRenameMachineInDomain (18) and NetrValidateName
    /// (19) with ERROR_NOT_SUPPORTED; NetrValidateName2 (25) with RPC_E_REMOTE_DISABLED.
    pub(super) fn decode_and_refuse<T: Ndr>(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        status: u32,
    ) -> Result<Vec<u8>, FaultStatus> {
        let _: T = ctx.decode(stub)?;
        Ok(ndr::to_bytes(&self.refuse_or(ctx, status)))
    }

    /// NetrGetJoinInformation (opnum 20): a standalone server is a workgroup member; the
    /// name is the workgroup's.
    pub(super) fn get_join_information(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, _name_in): GetJoinInfoIn = ctx.decode(stub)?;
        let out: GetJoinInfoOut = if self.refused(ctx) {
            (None, join_status::UNKNOWN, ERROR_ACCESS_DENIED)
        } else {
            (
                Some(WString::from(self.identity.domain.as_str())),
                join_status::WORKGROUP_NAME,
                ERROR_SUCCESS,
            )
        };
        Ok(ndr::to_bytes(&out))
    }

    /// NetrGetJoinableOUs (opnum 21, ERROR_NOT_SUPPORTED) and NetrGetJoinableOUs2
    /// (opnum 26, RPC_E_REMOTE_DISABLED: not offered to remote callers): no OUs.
    pub(super) fn get_joinable_ous<T: Ndr>(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        status: u32,
    ) -> Result<Vec<u8>, FaultStatus> {
        let _: T = ctx.decode(stub)?;
        let out: GetJoinableOusOut = (0, None, self.refuse_or(ctx, status));
        Ok(ndr::to_bytes(&out))
    }

    /// The checks NetrAdd/RemoveAlternateComputerName share: an administrator, Reserved
    /// zero, a valid name. `Ok(name)` or the status to return.
    fn alternate_name_request(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Result<String, u32>, FaultStatus> {
        let (_server, name, _account, _password, reserved): AlternateNameIn = ctx.decode(stub)?;
        if self.refused(ctx) || !ctx.is_administrator() {
            return Ok(Err(ERROR_ACCESS_DENIED));
        }
        if reserved != 0 {
            return Ok(Err(ERROR_INVALID_PARAMETER));
        }
        match name {
            Some(WString(n)) if valid_computer_name(&n) => Ok(Ok(n)),
            _ => Ok(Err(ERROR_INVALID_NAME)),
        }
    }

    /// NetrAddAlternateComputerName (opnum 27): administrators; adds a name the machine
    /// also answers to (already one of its names: nothing to do).
    pub(super) fn add_alternate_name(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let status = match self.alternate_name_request(stub, ctx)? {
            Err(status) => status,
            Ok(name) => {
                let mut names = self.alternate_names.write();
                let known = name.eq_ignore_ascii_case(&self.identity.name)
                    || names.iter().any(|n| n.eq_ignore_ascii_case(&name));
                if known {
                    ERROR_SUCCESS
                } else if names.len() >= super::MAX_ALTERNATE_NAMES {
                    ERROR_TOO_MANY_NAMES
                } else {
                    names.push(name);
                    ERROR_SUCCESS
                }
            }
        };
        Ok(ndr::to_bytes(&status))
    }

    /// NetrRemoveAlternateComputerName (opnum 28): administrators; a name that is not an
    /// alternate is already removed.
    pub(super) fn remove_alternate_name(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let status = match self.alternate_name_request(stub, ctx)? {
            Err(status) => status,
            Ok(name) => {
                self.alternate_names
                    .write()
                    .retain(|n| !n.eq_ignore_ascii_case(&name));
                ERROR_SUCCESS
            }
        };
        Ok(ndr::to_bytes(&status))
    }

    /// NetrEnumerateComputerNames (opnum 30): the primary name (exactly one), the
    /// alternates, or all of them.
    pub(super) fn enumerate_computer_names(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, kind, reserved): EnumComputerNamesIn = ctx.decode(stub)?;
        let out: EnumComputerNamesOut = if self.refused(ctx) {
            (None, ERROR_ACCESS_DENIED)
        } else if reserved != 0 || kind > name_type::ALL {
            (None, ERROR_INVALID_PARAMETER)
        } else {
            let mut names = Vec::new();
            if kind != name_type::ALTERNATES {
                names.push(self.identity.name.clone());
            }
            if kind != name_type::PRIMARY {
                names.extend(self.alternate_names.read().iter().cloned());
            }
            let names: Vec<RpcUnicodeString> =
                names.iter().map(|n| RpcUnicodeString::new(n)).collect();
            (
                Some(ComputerNameArray {
                    count: crate::interfaces::vec_len(names.len()),
                    names: Some(names),
                }),
                ERROR_SUCCESS,
            )
        };
        Ok(ndr::to_bytes(&out))
    }
}
