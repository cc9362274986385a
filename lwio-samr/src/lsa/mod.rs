//! The Local Security Authority of a standalone machine: MS-LSAD (policy, account
//! objects, privileges) and MS-LSAT (name and SID translation), interface
//! `12345778-1234-abcd-ef00-0123456789ab` v0.0 on `\pipe\lsarpc`, over the same [`Sam`]
//! SAMR manages.
//!
//! # Objects, handles and access
//!
//! A client opens the *policy object* (LsarOpenPolicy, LsarOpenPolicy2, LsarOpenPolicy3)
//! and, through it, *account objects* (LsarCreateAccount, LsarOpenAccount): the LSA's
//! record of the privileges and logon rights a SID holds. Each open is a context handle
//! (`LsaHandle`) carrying the access granted at open: the caller's token checked
//! against the object's security descriptor with the object type's generic mapping
//! (MS-LSAD 3.1.4.2.1), MAXIMUM_ALLOWED included. Every later call checks the handle's
//! grant for what MS-LSAD requires of it (3.1.4.2.2), and answers STATUS_ACCESS_DENIED
//! otherwise; a handle of the wrong type, or one not open, faults with
//! `nca_s_fault_context_mismatch`.
//!
//! The policy object's default descriptor is a standalone Windows server's: Everyone
//! and Anonymous may read it, see local policy and translate names
//! (`GENERIC_EXECUTE`: READ_CONTROL, POLICY_VIEW_LOCAL_INFORMATION, POLICY_LOOKUP_NAMES),
//! Administrators everything, LOCAL SERVICE and NETWORK SERVICE notifications. So
//! reading the audit policy, making accounts and changing rights need Administrators.
//! The anonymous logon is refused at open (STATUS_ACCESS_DENIED) unless the server lets
//! anonymous callers in (`RestrictAnonymous=0`, [`LsaInterface::allow_anonymous`],
//! MS-LSAD 3.1.1.6.1); even then its lookups resolve well-known principals only.
//!
//! Account rights live in the SAM (`Sam::rights`), so a privilege granted here is in
//! the next logon's token, and the network logon rights decide who may log on.
//!
//! # The calls
//!
//! | opnums | file |
//! |---|---|
//! | OpenPolicy 6, OpenPolicy2 44, OpenPolicy3 130, Close 0, Delete 1, Query/SetSecurityObject 3/4, Query/SetInformationPolicy(2) 7/8/46/47, QueryDomainInformationPolicy 53, GetUserName 45, the trusted-domain calls 12, 13, 25, 39, 41, 48, 50, 51, 55, 59 | `policy.rs` |
//! | LookupNames 14, 58, 68, 77; LookupSids 15, 57, 76 | `lookup.rs` (over `translate.rs`) |
//! | CreateAccount 10, EnumerateAccounts 11, OpenAccount 17, EnumeratePrivilegesAccount 18, Add/RemovePrivilegesToAccount 19/20, Get/SetSystemAccessAccount 23/24, DeleteObject 34, EnumerateAccountsWithUserRight 35, EnumerateAccountRights 36, Add/RemoveAccountRights 37/38 | `account.rs` |
//! | EnumeratePrivileges 2, LookupPrivilegeValue 31, LookupPrivilegeName 32, LookupPrivilegeDisplayName 33 | `privilege.rs` |
//!
//! A standalone machine has no trusted domains: enumerating them answers
//! STATUS_NO_MORE_ENTRIES, opening, querying or deleting one by SID STATUS_NO_SUCH_DOMAIN
//! and by name STATUS_OBJECT_NAME_NOT_FOUND, and
//! creating one STATUS_DIRECTORY_SERVICE_REQUIRED (only a domain controller keeps them).
//! LsarLookupSids3 and LsarLookupNames4 need a Netlogon secure channel (MS-LSAT
//! 3.1.4.5), which lwio does not have: STATUS_ACCESS_DENIED. Opnums MS-LSAD marks "not
//! used on the wire" and the calls not served (secrets 16, 28-30, 42, 43; forest trust
//! information 73, 74) fault with `nca_s_op_rng_error`.

mod account;
pub mod lookup;
mod policy;
mod privilege;
pub mod privileges;
#[cfg(test)]
mod tests;
pub mod translate;
pub mod types;
pub mod wellknown;

use std::sync::Arc;

use lwio_core::access::GenericMapping;
use lwio_core::security::{CheckOptions, access_check};
use lwio_core::{AccessMask, AccessToken, NtStatus, SecurityDescriptor, Sid};
use lwio_rpc::ndr::PolicyHandle;
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{CallContext, CallOutcome, Interface};
use lwio_rpc::{SyntaxId, Uuid};

use crate::rpc::{Fail, Res};
use crate::sam::Sam;

/// The lsarpc interface identifier, version 0.0 (MS-LSAD 2.1, MS-LSAT 2.1).
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

/// Opnums of lsarpc (MS-LSAD 3.1.4, MS-LSAT 3.1.4).
pub mod opnum {
    #![allow(missing_docs)]
    pub const CLOSE: u16 = 0;
    pub const DELETE: u16 = 1;
    pub const ENUMERATE_PRIVILEGES: u16 = 2;
    pub const QUERY_SECURITY_OBJECT: u16 = 3;
    pub const SET_SECURITY_OBJECT: u16 = 4;
    pub const OPEN_POLICY: u16 = 6;
    pub const QUERY_INFORMATION_POLICY: u16 = 7;
    pub const SET_INFORMATION_POLICY: u16 = 8;
    pub const CREATE_ACCOUNT: u16 = 10;
    pub const ENUMERATE_ACCOUNTS: u16 = 11;
    pub const CREATE_TRUSTED_DOMAIN: u16 = 12;
    pub const ENUMERATE_TRUSTED_DOMAINS: u16 = 13;
    pub const LOOKUP_NAMES: u16 = 14;
    pub const LOOKUP_SIDS: u16 = 15;
    pub const OPEN_ACCOUNT: u16 = 17;
    pub const ENUMERATE_PRIVILEGES_ACCOUNT: u16 = 18;
    pub const ADD_PRIVILEGES_TO_ACCOUNT: u16 = 19;
    pub const REMOVE_PRIVILEGES_FROM_ACCOUNT: u16 = 20;
    pub const GET_SYSTEM_ACCESS_ACCOUNT: u16 = 23;
    pub const SET_SYSTEM_ACCESS_ACCOUNT: u16 = 24;
    pub const OPEN_TRUSTED_DOMAIN: u16 = 25;
    pub const LOOKUP_PRIVILEGE_VALUE: u16 = 31;
    pub const LOOKUP_PRIVILEGE_NAME: u16 = 32;
    pub const LOOKUP_PRIVILEGE_DISPLAY_NAME: u16 = 33;
    pub const DELETE_OBJECT: u16 = 34;
    pub const ENUMERATE_ACCOUNTS_WITH_USER_RIGHT: u16 = 35;
    pub const ENUMERATE_ACCOUNT_RIGHTS: u16 = 36;
    pub const ADD_ACCOUNT_RIGHTS: u16 = 37;
    pub const REMOVE_ACCOUNT_RIGHTS: u16 = 38;
    pub const QUERY_TRUSTED_DOMAIN_INFO: u16 = 39;
    pub const DELETE_TRUSTED_DOMAIN: u16 = 41;
    pub const OPEN_POLICY2: u16 = 44;
    pub const GET_USER_NAME: u16 = 45;
    pub const QUERY_INFORMATION_POLICY2: u16 = 46;
    pub const SET_INFORMATION_POLICY2: u16 = 47;
    pub const QUERY_TRUSTED_DOMAIN_INFO_BY_NAME: u16 = 48;
    pub const ENUMERATE_TRUSTED_DOMAINS_EX: u16 = 50;
    pub const CREATE_TRUSTED_DOMAIN_EX: u16 = 51;
    pub const QUERY_DOMAIN_INFORMATION_POLICY: u16 = 53;
    pub const OPEN_TRUSTED_DOMAIN_BY_NAME: u16 = 55;
    pub const LOOKUP_SIDS2: u16 = 57;
    pub const LOOKUP_NAMES2: u16 = 58;
    pub const CREATE_TRUSTED_DOMAIN_EX2: u16 = 59;
    pub const LOOKUP_NAMES3: u16 = 68;
    pub const LOOKUP_SIDS3: u16 = 76;
    pub const LOOKUP_NAMES4: u16 = 77;
    pub const OPEN_POLICY3: u16 = 130;
}

/// Access rights of the policy and account objects (MS-LSAD 2.2.1.1.2, 2.2.1.1.3) and
/// their generic mappings (MS-LSAD 2.2.1.1.4, 2.2.1.1.5).
pub mod access {
    #![allow(missing_docs)]
    use lwio_core::AccessMask;
    use lwio_core::access::GenericMapping;

    pub const DELETE: u32 = 0x0001_0000;
    pub const READ_CONTROL: u32 = 0x0002_0000;
    pub const WRITE_DAC: u32 = 0x0004_0000;
    pub const WRITE_OWNER: u32 = 0x0008_0000;

    pub const POLICY_VIEW_LOCAL_INFORMATION: u32 = 0x0001;
    pub const POLICY_VIEW_AUDIT_INFORMATION: u32 = 0x0002;
    pub const POLICY_GET_PRIVATE_INFORMATION: u32 = 0x0004;
    pub const POLICY_TRUST_ADMIN: u32 = 0x0008;
    pub const POLICY_CREATE_ACCOUNT: u32 = 0x0010;
    pub const POLICY_CREATE_SECRET: u32 = 0x0020;
    pub const POLICY_CREATE_PRIVILEGE: u32 = 0x0040;
    pub const POLICY_SET_DEFAULT_QUOTA_LIMITS: u32 = 0x0080;
    pub const POLICY_SET_AUDIT_REQUIREMENTS: u32 = 0x0100;
    pub const POLICY_AUDIT_LOG_ADMIN: u32 = 0x0200;
    pub const POLICY_SERVER_ADMIN: u32 = 0x0400;
    pub const POLICY_LOOKUP_NAMES: u32 = 0x0800;
    pub const POLICY_NOTIFICATION: u32 = 0x1000;

    pub const ACCOUNT_VIEW: u32 = 0x0001;
    pub const ACCOUNT_ADJUST_PRIVILEGES: u32 = 0x0002;
    pub const ACCOUNT_ADJUST_QUOTAS: u32 = 0x0004;
    pub const ACCOUNT_ADJUST_SYSTEM_ACCESS: u32 = 0x0008;

    const fn mapping(read: u32, write: u32, execute: u32, all: u32) -> GenericMapping {
        GenericMapping {
            read: AccessMask(read),
            write: AccessMask(write),
            execute: AccessMask(execute),
            all: AccessMask(all),
        }
    }

    pub const POLICY_MAPPING: GenericMapping =
        mapping(0x0002_0006, 0x0002_07F8, 0x0002_0801, 0x000F_0FFF);
    pub const ACCOUNT_MAPPING: GenericMapping =
        mapping(0x0002_0001, 0x0002_000E, 0x0002_0000, 0x000F_000F);
}

/// STATUS_DIRECTORY_SERVICE_REQUIRED: only a domain controller keeps trusted domains.
pub(crate) const STATUS_DIRECTORY_SERVICE_REQUIRED: NtStatus = NtStatus(0xC000_02B1);

/// The policy setting holding the policy object's security descriptor.
pub(crate) const POLICY_SD: &str = "security-descriptor";

/// What an LSA handle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LsaObject {
    /// The policy object.
    Policy,
    /// The account object of a SID.
    Account(Sid),
}

/// An open LSA context handle: the object and the access granted at open.
#[derive(Debug)]
pub(crate) struct LsaHandle {
    pub(crate) obj: LsaObject,
    pub(crate) granted: u32,
}

/// The LSA server over a [`Sam`].
#[derive(Debug, Clone)]
pub struct LsaInterface {
    pub(crate) sam: Sam,
    /// The workgroup the machine is in: its primary domain (flat name, no SID).
    pub(crate) workgroup: String,
    /// Whether the anonymous logon may open the policy (RestrictAnonymous=0).
    pub(crate) anonymous: bool,
}

impl LsaInterface {
    /// An LSA over `sam`, in workgroup `WORKGROUP`, refusing the anonymous logon.
    pub fn new(sam: Sam) -> LsaInterface {
        LsaInterface {
            sam,
            workgroup: "WORKGROUP".into(),
            anonymous: false,
        }
    }

    /// Names the workgroup the machine reports as its primary domain.
    pub fn with_workgroup(mut self, workgroup: &str) -> LsaInterface {
        self.workgroup = workgroup.to_owned();
        self
    }

    /// Lets the anonymous logon open the policy (`RestrictAnonymous=0`): it may then
    /// translate well-known names and SIDs, and read what Everyone may.
    pub fn allow_anonymous(mut self, allow: bool) -> LsaInterface {
        self.anonymous = allow;
        self
    }

    /// The open handle `h`.
    pub(crate) fn handle(&self, ctx: &CallContext, h: &PolicyHandle) -> Res<Arc<LsaHandle>> {
        Ok(ctx.handles.lookup::<LsaHandle>(h)?)
    }

    /// The open policy handle `h`, which must carry `need`.
    pub(crate) fn policy(&self, ctx: &CallContext, h: &PolicyHandle, need: u32) -> Res<()> {
        let handle = self.handle(ctx, h)?;
        if handle.obj != LsaObject::Policy {
            return Err(Fail::Status(NtStatus::INVALID_HANDLE));
        }
        check(&handle, need)
    }

    /// The open account handle `h`, which must carry `need`; its SID.
    pub(crate) fn account_handle(
        &self,
        ctx: &CallContext,
        h: &PolicyHandle,
        need: u32,
    ) -> Res<Sid> {
        let handle = self.handle(ctx, h)?;
        let LsaObject::Account(sid) = handle.obj else {
            return Err(Fail::Status(NtStatus::INVALID_HANDLE));
        };
        check(&handle, need)?;
        Ok(sid)
    }

    /// A new handle on `obj` granted `granted`.
    pub(crate) fn open(
        &self,
        ctx: &CallContext,
        obj: LsaObject,
        granted: u32,
    ) -> Res<PolicyHandle> {
        Ok(ctx.handles.create(LsaHandle { obj, granted })?)
    }

    /// The security descriptor of `obj`: the stored one, or the default.
    pub(crate) fn descriptor(&self, obj: &LsaObject) -> Res<SecurityDescriptor> {
        let stored = match obj {
            LsaObject::Policy => self.sam.policy_value(POLICY_SD)?,
            LsaObject::Account(sid) => self.sam.lsa_account_sd(sid)?,
        };
        if let Some(sd) = stored.and_then(|b| SecurityDescriptor::decode(&b).ok()) {
            return Ok(sd);
        }
        let sddl = match obj {
            LsaObject::Policy => {
                "O:BAG:SYD:(A;;0x20801;;;WD)(A;;0x20801;;;AN)(A;;0xf0fff;;;BA)\
                 (A;;0x1000;;;LS)(A;;0x1000;;;NS)"
            }
            LsaObject::Account(_) => "O:BAG:SYD:(A;;0x20001;;;WD)(A;;0xf000f;;;BA)",
        };
        sddl.parse()
            .map_err(|_| Fail::Status(NtStatus::INTERNAL_ERROR))
    }

    /// Writes `obj`'s descriptor back.
    pub(crate) fn store_descriptor(&self, obj: &LsaObject, sd: &[u8]) -> Res<()> {
        match obj {
            LsaObject::Policy => self.sam.set_policy_value(POLICY_SD, sd)?,
            LsaObject::Account(sid) => self.sam.set_lsa_account_sd(sid, sd)?,
        }
        Ok(())
    }

    /// The access `token` gets to `obj` asking for `desired` (generic rights and
    /// MAXIMUM_ALLOWED included): STATUS_ACCESS_DENIED when the descriptor grants less.
    pub(crate) fn grant(&self, token: &AccessToken, obj: &LsaObject, desired: u32) -> Res<u32> {
        let sd = self.descriptor(obj)?;
        access_check(
            &sd,
            token,
            AccessMask(desired),
            mapping_of(obj),
            CheckOptions::default(),
        )
        .map(|m| m.0)
        .map_err(|e| Fail::Status(NtStatus(e.ntstatus_code())))
    }
}

/// STATUS_ACCESS_DENIED unless `handle` carries every bit of `need`.
fn check(handle: &LsaHandle, need: u32) -> Res<()> {
    if handle.granted & need == need {
        Ok(())
    } else {
        Err(Fail::Status(NtStatus::ACCESS_DENIED))
    }
}

/// The generic mapping of an object type.
pub(crate) fn mapping_of(obj: &LsaObject) -> &'static GenericMapping {
    match obj {
        LsaObject::Policy => &access::POLICY_MAPPING,
        LsaObject::Account(_) => &access::ACCOUNT_MAPPING,
    }
}

impl Interface for LsaInterface {
    fn syntax(&self) -> SyntaxId {
        LSARPC_SYNTAX
    }

    fn name(&self) -> &str {
        "lsarpc"
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        use opnum::*;
        let r = match op {
            CLOSE => self.close(stub, ctx),
            DELETE => self.delete(stub, ctx),
            ENUMERATE_PRIVILEGES => self.enumerate_privileges(stub, ctx),
            QUERY_SECURITY_OBJECT => self.query_security(stub, ctx),
            SET_SECURITY_OBJECT => self.set_security(stub, ctx),
            OPEN_POLICY | OPEN_POLICY2 | OPEN_POLICY3 => self.open_policy(op, stub, ctx),
            QUERY_INFORMATION_POLICY | QUERY_INFORMATION_POLICY2 => self.query_info(stub, ctx),
            SET_INFORMATION_POLICY | SET_INFORMATION_POLICY2 => self.set_info(stub, ctx),
            QUERY_DOMAIN_INFORMATION_POLICY => self.query_domain_info(stub, ctx),
            GET_USER_NAME => self.get_user_name(stub, ctx),
            ENUMERATE_TRUSTED_DOMAINS | ENUMERATE_TRUSTED_DOMAINS_EX => {
                self.enumerate_trusted_domains(stub, ctx)
            }
            CREATE_TRUSTED_DOMAIN
            | CREATE_TRUSTED_DOMAIN_EX
            | CREATE_TRUSTED_DOMAIN_EX2
            | OPEN_TRUSTED_DOMAIN
            | OPEN_TRUSTED_DOMAIN_BY_NAME
            | QUERY_TRUSTED_DOMAIN_INFO
            | QUERY_TRUSTED_DOMAIN_INFO_BY_NAME
            | DELETE_TRUSTED_DOMAIN => self.trusted_domain(op, stub, ctx),
            LOOKUP_NAMES | LOOKUP_NAMES2 | LOOKUP_NAMES3 | LOOKUP_NAMES4 => {
                self.lookup_names(op, stub, ctx)
            }
            LOOKUP_SIDS | LOOKUP_SIDS2 | LOOKUP_SIDS3 => self.lookup_sids(op, stub, ctx),
            CREATE_ACCOUNT | OPEN_ACCOUNT => self.open_account(op, stub, ctx),
            ENUMERATE_ACCOUNTS => self.enumerate_accounts(stub, ctx),
            ENUMERATE_PRIVILEGES_ACCOUNT => self.account_privileges(stub, ctx),
            ADD_PRIVILEGES_TO_ACCOUNT => self.add_account_privileges(stub, ctx),
            REMOVE_PRIVILEGES_FROM_ACCOUNT => self.remove_account_privileges(stub, ctx),
            GET_SYSTEM_ACCESS_ACCOUNT => self.get_system_access(stub, ctx),
            SET_SYSTEM_ACCESS_ACCOUNT => self.set_system_access(stub, ctx),
            DELETE_OBJECT => self.delete_object(stub, ctx),
            ENUMERATE_ACCOUNTS_WITH_USER_RIGHT => self.accounts_with_right(stub, ctx),
            ENUMERATE_ACCOUNT_RIGHTS => self.account_rights(stub, ctx),
            ADD_ACCOUNT_RIGHTS | REMOVE_ACCOUNT_RIGHTS => self.change_rights(op, stub, ctx),
            LOOKUP_PRIVILEGE_VALUE => self.lookup_privilege_value(stub, ctx),
            LOOKUP_PRIVILEGE_NAME => self.lookup_privilege_name(stub, ctx),
            LOOKUP_PRIVILEGE_DISPLAY_NAME => self.lookup_privilege_display_name(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        };
        if let Err(f) = &r {
            tracing::debug!(op, fault = ?f, stub_len = stub.len(), "lsarpc call faulted");
        }
        CallOutcome::Ready(r)
    }

    fn reads_big_endian(&self) -> bool {
        true
    }
}
