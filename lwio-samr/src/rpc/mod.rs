//! The SAMR server (MS-SAMR, interface `12345778-1234-abcd-ef00-0123456789ac` v1.0 on
//! `\pipe\samr`) over lwio-rpc's server framework.
//!
//! # Objects, handles and access
//!
//! A client walks a tree of objects: Connect gives a *server* handle; OpenDomain a
//! *domain* handle (the account domain or Builtin); OpenUser, OpenGroup and OpenAlias
//! handles on accounts. Each handle is a context handle in the association group's table
//! (`Handle`: the object and the access granted when it was opened). The grant comes
//! from the caller's token checked against the object's security descriptor (the stored
//! one, or the default: Administrators everything, Everyone the read and lookup rights,
//! a user its own preferences and password change) with the object type's generic
//! mapping (2.2.1.2-2.2.1.8), as Windows does (3.1.5.1.x). Every later call checks the
//! handle's grant for what it needs (STATUS_ACCESS_DENIED otherwise). A handle of the
//! wrong type, or one not open, faults with `nca_s_fault_context_mismatch`. The anonymous
//! logon is refused at Connect (STATUS_ACCESS_DENIED); it may only ask for the domain
//! password policy and change a password it knows (the calls that take no handle).
//!
//! # The calls
//!
//! | opnums | file |
//! |---|---|
//! | Connect, Connect2-5, Close, Query/SetSecurityObject, EnumerateDomains, LookupDomain, OpenDomain | `server.rs` |
//! | Query/SetInformationDomain(2), Enumerate{Users,Groups,Aliases}, QueryDisplayInformation(2,3), GetDisplayEnumerationIndex(2), LookupNames/IdsInDomain, RidToSid, GetAliasMembership, RemoveMemberFromForeignDomain, Create{User,User2,Group,Alias}InDomain | `domain.rs` |
//! | OpenUser, DeleteUser, Query/SetInformationUser(2), GetGroupsForUser, GetUserDomainPasswordInformation | `user.rs` |
//! | the groups' and aliases' calls | `account.rs` |
//! | ChangePasswordUser, OemChangePasswordUser2, UnicodeChangePasswordUser2/3/4, GetDomainPasswordInformation | `password.rs` |
//!
//! Opnums MS-SAMR marks "not used on the wire" (4, 59, 60) and the DC-only or test calls
//! (TestPrivateFunctions 42/43, SetMemberAttributesOfGroup 26 on a standalone server,
//! SetDSRMPassword 66, ValidatePassword 67, the boot key calls) answer as a standalone
//! Windows server does: STATUS_NOT_IMPLEMENTED / STATUS_NOT_SUPPORTED for the ones it
//! implements as refusals, `nca_s_op_rng_error` for opnums it does not have.

mod account;
mod domain;
mod password;
#[cfg(test)]
mod password_tests;
pub(crate) mod security;
mod server;
#[cfg(test)]
mod tests;
pub mod types;
mod user;
pub mod user_types;

use std::sync::Arc;

use lwio_core::access::GenericMapping;
use lwio_core::security::{CheckOptions, access_check};
use lwio_core::{AccessMask, AccessToken, NtStatus, SecurityDescriptor, Sid};
use lwio_rpc::ndr::{Ndr, NdrReader, NdrWriter, PolicyHandle};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{CallContext, CallOutcome, Interface};
use lwio_rpc::{NdrError, SyntaxId, Uuid};

use crate::model::DomainKind;
use crate::sam::Sam;

/// The SAMR interface identifier, version 1.0.
pub const SAMR_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x1234_5778,
        0x1234,
        0xabcd,
        [0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac],
    ),
    1,
    0,
);

/// The pipe name.
pub const SAMR_PIPE: &str = "samr";

/// Opnums of MS-SAMR (3.1.5).
pub mod opnum {
    #![allow(missing_docs)]
    pub const CONNECT: u16 = 0;
    pub const CLOSE_HANDLE: u16 = 1;
    pub const SET_SECURITY_OBJECT: u16 = 2;
    pub const QUERY_SECURITY_OBJECT: u16 = 3;
    pub const LOOKUP_DOMAIN: u16 = 5;
    pub const ENUMERATE_DOMAINS: u16 = 6;
    pub const OPEN_DOMAIN: u16 = 7;
    pub const QUERY_INFORMATION_DOMAIN: u16 = 8;
    pub const SET_INFORMATION_DOMAIN: u16 = 9;
    pub const CREATE_GROUP: u16 = 10;
    pub const ENUMERATE_GROUPS: u16 = 11;
    pub const CREATE_USER: u16 = 12;
    pub const ENUMERATE_USERS: u16 = 13;
    pub const CREATE_ALIAS: u16 = 14;
    pub const ENUMERATE_ALIASES: u16 = 15;
    pub const GET_ALIAS_MEMBERSHIP: u16 = 16;
    pub const LOOKUP_NAMES: u16 = 17;
    pub const LOOKUP_IDS: u16 = 18;
    pub const OPEN_GROUP: u16 = 19;
    pub const QUERY_INFORMATION_GROUP: u16 = 20;
    pub const SET_INFORMATION_GROUP: u16 = 21;
    pub const ADD_MEMBER_TO_GROUP: u16 = 22;
    pub const DELETE_GROUP: u16 = 23;
    pub const REMOVE_MEMBER_FROM_GROUP: u16 = 24;
    pub const GET_MEMBERS_IN_GROUP: u16 = 25;
    pub const SET_MEMBER_ATTRIBUTES_OF_GROUP: u16 = 26;
    pub const OPEN_ALIAS: u16 = 27;
    pub const QUERY_INFORMATION_ALIAS: u16 = 28;
    pub const SET_INFORMATION_ALIAS: u16 = 29;
    pub const DELETE_ALIAS: u16 = 30;
    pub const ADD_MEMBER_TO_ALIAS: u16 = 31;
    pub const REMOVE_MEMBER_FROM_ALIAS: u16 = 32;
    pub const GET_MEMBERS_IN_ALIAS: u16 = 33;
    pub const OPEN_USER: u16 = 34;
    pub const DELETE_USER: u16 = 35;
    pub const QUERY_INFORMATION_USER: u16 = 36;
    pub const SET_INFORMATION_USER: u16 = 37;
    pub const CHANGE_PASSWORD_USER: u16 = 38;
    pub const GET_GROUPS_FOR_USER: u16 = 39;
    pub const QUERY_DISPLAY_INFORMATION: u16 = 40;
    pub const GET_DISPLAY_ENUMERATION_INDEX: u16 = 41;
    pub const TEST_PRIVATE_FUNCTIONS_DOMAIN: u16 = 42;
    pub const TEST_PRIVATE_FUNCTIONS_USER: u16 = 43;
    pub const GET_USER_DOMAIN_PASSWORD_INFORMATION: u16 = 44;
    pub const REMOVE_MEMBER_FROM_FOREIGN_DOMAIN: u16 = 45;
    pub const QUERY_INFORMATION_DOMAIN2: u16 = 46;
    pub const QUERY_INFORMATION_USER2: u16 = 47;
    pub const QUERY_DISPLAY_INFORMATION2: u16 = 48;
    pub const GET_DISPLAY_ENUMERATION_INDEX2: u16 = 49;
    pub const CREATE_USER2: u16 = 50;
    pub const QUERY_DISPLAY_INFORMATION3: u16 = 51;
    pub const ADD_MULTIPLE_MEMBERS_TO_ALIAS: u16 = 52;
    pub const REMOVE_MULTIPLE_MEMBERS_FROM_ALIAS: u16 = 53;
    pub const OEM_CHANGE_PASSWORD_USER2: u16 = 54;
    pub const UNICODE_CHANGE_PASSWORD_USER2: u16 = 55;
    pub const GET_DOMAIN_PASSWORD_INFORMATION: u16 = 56;
    pub const CONNECT2: u16 = 57;
    pub const SET_INFORMATION_USER2: u16 = 58;
    pub const CONNECT3: u16 = 61;
    pub const CONNECT4: u16 = 62;
    pub const UNICODE_CHANGE_PASSWORD_USER3: u16 = 63;
    pub const CONNECT5: u16 = 64;
    pub const RID_TO_SID: u16 = 65;
    pub const SET_DSRM_PASSWORD: u16 = 66;
    pub const VALIDATE_PASSWORD: u16 = 67;
    pub const UNICODE_CHANGE_PASSWORD_USER4: u16 = 73;
}

/// Access rights of the SAM objects (2.2.1.3-2.2.1.7) and their generic mappings.
pub mod access {
    #![allow(missing_docs)]
    use lwio_core::AccessMask;
    use lwio_core::access::GenericMapping;

    pub const DELETE: u32 = 0x0001_0000;
    pub const READ_CONTROL: u32 = 0x0002_0000;
    pub const WRITE_DAC: u32 = 0x0004_0000;
    pub const WRITE_OWNER: u32 = 0x0008_0000;
    pub const ACCESS_SYSTEM_SECURITY: u32 = 0x0100_0000;
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;

    pub const SAM_SERVER_CONNECT: u32 = 0x01;
    pub const SAM_SERVER_ENUMERATE_DOMAINS: u32 = 0x10;
    pub const SAM_SERVER_LOOKUP_DOMAIN: u32 = 0x20;

    pub const DOMAIN_READ_PASSWORD_PARAMETERS: u32 = 0x001;
    pub const DOMAIN_WRITE_PASSWORD_PARAMS: u32 = 0x002;
    pub const DOMAIN_READ_OTHER_PARAMETERS: u32 = 0x004;
    pub const DOMAIN_WRITE_OTHER_PARAMETERS: u32 = 0x008;
    pub const DOMAIN_CREATE_USER: u32 = 0x010;
    pub const DOMAIN_CREATE_GROUP: u32 = 0x020;
    pub const DOMAIN_CREATE_ALIAS: u32 = 0x040;
    pub const DOMAIN_GET_ALIAS_MEMBERSHIP: u32 = 0x080;
    pub const DOMAIN_LIST_ACCOUNTS: u32 = 0x100;
    pub const DOMAIN_LOOKUP: u32 = 0x200;
    pub const DOMAIN_ADMINISTER_SERVER: u32 = 0x400;

    pub const USER_READ_GENERAL: u32 = 0x001;
    pub const USER_READ_PREFERENCES: u32 = 0x002;
    pub const USER_WRITE_PREFERENCES: u32 = 0x004;
    pub const USER_READ_LOGON: u32 = 0x008;
    pub const USER_READ_ACCOUNT: u32 = 0x010;
    pub const USER_WRITE_ACCOUNT: u32 = 0x020;
    pub const USER_CHANGE_PASSWORD: u32 = 0x040;
    pub const USER_FORCE_PASSWORD_CHANGE: u32 = 0x080;
    pub const USER_LIST_GROUPS: u32 = 0x100;
    pub const USER_READ_GROUP_INFORMATION: u32 = 0x200;
    pub const USER_WRITE_GROUP_INFORMATION: u32 = 0x400;

    pub const GROUP_READ_INFORMATION: u32 = 0x01;
    pub const GROUP_WRITE_ACCOUNT: u32 = 0x02;
    pub const GROUP_ADD_MEMBER: u32 = 0x04;
    pub const GROUP_REMOVE_MEMBER: u32 = 0x08;
    pub const GROUP_LIST_MEMBERS: u32 = 0x10;

    pub const ALIAS_ADD_MEMBER: u32 = 0x01;
    pub const ALIAS_REMOVE_MEMBER: u32 = 0x02;
    pub const ALIAS_LIST_MEMBERS: u32 = 0x04;
    pub const ALIAS_READ_INFORMATION: u32 = 0x08;
    pub const ALIAS_WRITE_ACCOUNT: u32 = 0x10;

    const fn mapping(read: u32, write: u32, execute: u32, all: u32) -> GenericMapping {
        GenericMapping {
            read: AccessMask(read),
            write: AccessMask(write),
            execute: AccessMask(execute),
            all: AccessMask(all),
        }
    }

    pub const SERVER_MAPPING: GenericMapping =
        mapping(0x0002_0010, 0x0002_000E, 0x0002_0021, 0x000F_003F);
    pub const DOMAIN_MAPPING: GenericMapping =
        mapping(0x0002_0084, 0x0002_047A, 0x0002_0301, 0x000F_07FF);
    pub const USER_MAPPING: GenericMapping =
        mapping(0x0002_031A, 0x0002_0044, 0x0002_0041, 0x000F_07FF);
    pub const GROUP_MAPPING: GenericMapping =
        mapping(0x0002_0010, 0x0002_000E, 0x0002_0001, 0x000F_001F);
    pub const ALIAS_MAPPING: GenericMapping =
        mapping(0x0002_0004, 0x0002_0013, 0x0002_0008, 0x000F_001F);
}

/// What a handle names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Obj {
    /// The SAM server object.
    Server,
    /// A domain.
    Domain(DomainKind),
    /// A user of the account domain.
    User(u32),
    /// A group of the account domain.
    Group(u32),
    /// An alias of a domain.
    Alias(DomainKind, u32),
}

/// An open SAMR context handle: the object and the access granted at open.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) obj: Obj,
    pub(crate) granted: u32,
}

/// Why a call did not succeed: a fault (no stub), or a status in the stub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fail {
    Fault(FaultStatus),
    Status(NtStatus),
}

impl From<FaultStatus> for Fail {
    fn from(f: FaultStatus) -> Fail {
        Fail::Fault(f)
    }
}

impl From<NdrError> for Fail {
    fn from(_: NdrError) -> Fail {
        Fail::Fault(FaultStatus::BAD_STUB_DATA)
    }
}

impl From<NtStatus> for Fail {
    fn from(s: NtStatus) -> Fail {
        Fail::Status(s)
    }
}

/// The result of a call's body.
pub(crate) type Res<T> = Result<T, Fail>;

/// Encodes a call's answer: `outs` writes the `[out]` parameters (from the value on
/// success, their empty forms on failure), then the status follows. A fault stays a fault.
pub(crate) fn reply<T>(
    r: Res<T>,
    outs: impl FnOnce(&mut NdrWriter, Option<&T>),
) -> Result<Vec<u8>, FaultStatus> {
    reply_status(r.map(|v| (v, NtStatus::SUCCESS)), outs)
}

/// The reply of a call that deletes its object and closes the handle to it
/// (SamrDeleteUser/Group/Alias, LsarDeleteObject): the `[in, out]` handle comes back
/// zeroed once done, as the caller's `h` otherwise, then the status.
pub(crate) fn reply_closing(r: Res<()>, h: PolicyHandle) -> Result<Vec<u8>, FaultStatus> {
    let done = r.is_ok();
    reply(r, |w, _| {
        w.write(&if done { PolicyHandle::default() } else { h })
    })
}

/// As [`reply`], for a body that chooses its own success status (MORE_ENTRIES,
/// SOME_NOT_MAPPED).
pub(crate) fn reply_status<T>(
    r: Res<(T, NtStatus)>,
    outs: impl FnOnce(&mut NdrWriter, Option<&T>),
) -> Result<Vec<u8>, FaultStatus> {
    let mut w = NdrWriter::new();
    let status = match r {
        Ok((v, status)) => {
            outs(&mut w, Some(&v));
            status
        }
        Err(Fail::Fault(f)) => return Err(f),
        Err(Fail::Status(s)) => {
            outs(&mut w, None);
            s
        }
    };
    w.align(4);
    w.u32(status.0);
    Ok(w.into_bytes())
}

/// A reader over a request stub in the call's byte order that accepts non-zero
/// alignment padding: clients fill padding with whatever was in their buffer (impacket
/// writes 0xBF), and Windows reads past it.
pub(crate) fn reader<'a>(ctx: &CallContext, stub: &'a [u8]) -> NdrReader<'a> {
    ctx.reader(stub).lenient_padding()
}

/// The end of a request's parameters: at most 7 octets may follow (the padding some
/// clients add to an 8-octet boundary, which Windows ignores); more is bad stub data.
pub(crate) fn finish(r: &NdrReader<'_>) -> Result<(), NdrError> {
    if r.remaining() > 7 {
        r.finish()?;
    }
    Ok(())
}

/// Decodes a request stub holding the `[in]` parameters (see [`reader`], [`finish`]).
pub(crate) fn decode<T: Ndr>(ctx: &CallContext, stub: &[u8]) -> Result<T, NdrError> {
    let mut r = reader(ctx, stub);
    let v = r.read::<T>()?;
    finish(&r)?;
    Ok(v)
}

/// The SAMR server over a [`Sam`].
#[derive(Debug, Clone)]
pub struct SamrInterface {
    pub(crate) sam: Sam,
    /// Another name LookupDomainInSamServer resolves to the account domain.
    pub(crate) alias: Option<String>,
}

impl SamrInterface {
    /// A SAMR server managing `sam`.
    pub fn new(sam: Sam) -> SamrInterface {
        SamrInterface { sam, alias: None }
    }

    /// Lets LookupDomainInSamServer resolve `workgroup` (the NetBIOS domain the server
    /// announces in NTLM, WORKGROUP by default) to the account domain as well: clients
    /// that know only the workgroup (smbtorture, `net rpc`) look the domain up by it.
    pub fn with_workgroup(mut self, workgroup: &str) -> SamrInterface {
        self.alias = Some(workgroup.to_owned());
        self
    }

    /// The open handle `h` of any type.
    pub(crate) fn handle(&self, ctx: &CallContext, h: &PolicyHandle) -> Res<Arc<Handle>> {
        Ok(ctx.handles.lookup::<Handle>(h)?)
    }

    /// The open handle `h`, which must name what `pick` accepts and carry `need`.
    pub(crate) fn want<X>(
        &self,
        ctx: &CallContext,
        h: &PolicyHandle,
        pick: impl FnOnce(&Obj) -> Option<X>,
        need: u32,
    ) -> Res<X> {
        let handle = self.handle(ctx, h)?;
        let x = pick(&handle.obj).ok_or(Fail::Fault(FaultStatus::CONTEXT_MISMATCH))?;
        if handle.granted & need != need {
            return Err(Fail::Status(NtStatus::ACCESS_DENIED));
        }
        Ok(x)
    }

    /// A new handle on `obj` for a caller granted `granted`.
    /// The handle's attributes field carries the object type (Samba's `samr_handle`:
    /// connect 0, domain 1, user 2, group 3, alias 4), so a handle whose type field the
    /// client altered is not found (`nca_s_fault_context_mismatch`).
    pub(crate) fn open(&self, ctx: &CallContext, obj: Obj, granted: u32) -> Res<PolicyHandle> {
        let kind = match obj {
            Obj::Server => 0,
            Obj::Domain(_) => 1,
            Obj::User(_) => 2,
            Obj::Group(_) => 3,
            Obj::Alias(..) => 4,
        };
        Ok(ctx
            .handles
            .create_with_attributes(Handle { obj, granted }, kind)?)
    }

    /// The security descriptor of `obj`: the stored one, or the default.
    pub(crate) fn descriptor(&self, obj: &Obj) -> Res<SecurityDescriptor> {
        let stored = match obj {
            Obj::Server => self.sam.domain()?.server_sd,
            Obj::Domain(DomainKind::Account) => self.sam.domain()?.domain_sd,
            Obj::Domain(DomainKind::Builtin) => self.sam.domain()?.builtin_sd,
            Obj::User(rid) => self.sam.user(*rid)?.sd,
            Obj::Group(rid) => {
                self.sam
                    .group(DomainKind::Account, crate::model::GroupKind::Group, *rid)?
                    .sd
            }
            Obj::Alias(d, rid) => self.sam.group(*d, crate::model::GroupKind::Alias, *rid)?.sd,
        };
        if let Some(bytes) = stored {
            if let Ok(sd) = SecurityDescriptor::decode(&bytes) {
                return Ok(sd);
            }
        }
        self.default_descriptor(obj)
    }

    /// The default descriptor of each object type (what a fresh Windows SAM holds):
    /// Administrators all rights, Everyone reading and lookups, a user its own
    /// preferences and password change.
    pub(crate) fn default_descriptor(&self, obj: &Obj) -> Res<SecurityDescriptor> {
        let sddl = match obj {
            Obj::Server => "O:BAG:BAD:(A;;0xf003f;;;BA)(A;;0x20031;;;WD)".to_owned(),
            Obj::Domain(_) => "O:BAG:BAD:(A;;0xf07ff;;;BA)(A;;0x20385;;;WD)".to_owned(),
            Obj::User(rid) => {
                let me = self
                    .sam
                    .domain()?
                    .sid
                    .with_rid(*rid)
                    .map_err(|_| NtStatus::INVALID_SID)?;
                format!("O:BAG:BAD:(A;;0xf07ff;;;BA)(A;;0x2035b;;;WD)(A;;0x20044;;;{me})")
            }
            Obj::Group(_) => "O:BAG:BAD:(A;;0xf001f;;;BA)(A;;0x20011;;;WD)".to_owned(),
            Obj::Alias(..) => "O:BAG:BAD:(A;;0xf001f;;;BA)(A;;0x2000c;;;WD)".to_owned(),
        };
        sddl.parse()
            .map_err(|_| Fail::Status(NtStatus::INTERNAL_ERROR))
    }

    /// The access `token` gets to `obj` asking for `desired` (MAXIMUM_ALLOWED and generic
    /// rights included): STATUS_ACCESS_DENIED when the descriptor does not grant it.
    pub(crate) fn grant(&self, token: &AccessToken, obj: &Obj, desired: u32) -> Res<u32> {
        let sd = self.descriptor(obj)?;
        let mapping = mapping_of(obj);
        access_check(
            &sd,
            token,
            AccessMask(desired),
            mapping,
            CheckOptions::default(),
        )
        .map(|m| m.0)
        .map_err(|e| {
            tracing::debug!(?obj, desired = format_args!("{desired:#x}"), user = %token.user, "samr access denied");
            Fail::Status(NtStatus(e.ntstatus_code()))
        })
    }

    /// The SID of the domain `kind`.
    pub(crate) fn domain_sid(&self, kind: DomainKind) -> Res<Sid> {
        Ok(self.sam.domain_sid(kind)?)
    }
}

/// The generic mapping of an object type.
pub(crate) fn mapping_of(obj: &Obj) -> &'static GenericMapping {
    match obj {
        Obj::Server => &access::SERVER_MAPPING,
        Obj::Domain(_) => &access::DOMAIN_MAPPING,
        Obj::User(_) => &access::USER_MAPPING,
        Obj::Group(_) => &access::GROUP_MAPPING,
        Obj::Alias(..) => &access::ALIAS_MAPPING,
    }
}

impl Interface for SamrInterface {
    fn syntax(&self) -> SyntaxId {
        SAMR_SYNTAX
    }

    fn name(&self) -> &str {
        "samr"
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        use opnum::*;
        let r = match op {
            CONNECT | CONNECT2 | CONNECT3 | CONNECT4 | CONNECT5 => self.connect(op, stub, ctx),
            CLOSE_HANDLE => self.close(stub, ctx),
            SET_SECURITY_OBJECT => self.set_security(stub, ctx),
            QUERY_SECURITY_OBJECT => self.query_security(stub, ctx),
            LOOKUP_DOMAIN => self.lookup_domain(stub, ctx),
            ENUMERATE_DOMAINS => self.enumerate_domains(stub, ctx),
            OPEN_DOMAIN => self.open_domain(stub, ctx),
            QUERY_INFORMATION_DOMAIN | QUERY_INFORMATION_DOMAIN2 => {
                self.query_domain_info(stub, ctx)
            }
            SET_INFORMATION_DOMAIN => self.set_domain_info(stub, ctx),
            CREATE_GROUP => self.create_group(stub, ctx),
            CREATE_ALIAS => self.create_alias(stub, ctx),
            CREATE_USER => self.create_user(stub, ctx, false),
            CREATE_USER2 => self.create_user(stub, ctx, true),
            ENUMERATE_USERS | ENUMERATE_GROUPS | ENUMERATE_ALIASES => {
                self.enumerate_accounts(op, stub, ctx)
            }
            GET_ALIAS_MEMBERSHIP => self.get_alias_membership(stub, ctx),
            LOOKUP_NAMES => self.lookup_names(stub, ctx),
            LOOKUP_IDS => self.lookup_ids(stub, ctx),
            QUERY_DISPLAY_INFORMATION | QUERY_DISPLAY_INFORMATION2 | QUERY_DISPLAY_INFORMATION3 => {
                self.query_display(stub, ctx)
            }
            GET_DISPLAY_ENUMERATION_INDEX | GET_DISPLAY_ENUMERATION_INDEX2 => {
                self.display_index(stub, ctx)
            }
            RID_TO_SID => self.rid_to_sid(stub, ctx),
            REMOVE_MEMBER_FROM_FOREIGN_DOMAIN => self.remove_foreign_member(stub, ctx),
            OPEN_USER => self.open_user(stub, ctx),
            DELETE_USER => self.delete_user(stub, ctx),
            QUERY_INFORMATION_USER | QUERY_INFORMATION_USER2 => self.query_user_info(stub, ctx),
            SET_INFORMATION_USER | SET_INFORMATION_USER2 => self.set_user_info(stub, ctx),
            GET_GROUPS_FOR_USER => self.groups_for_user(stub, ctx),
            GET_USER_DOMAIN_PASSWORD_INFORMATION => self.user_password_info(stub, ctx),
            OPEN_GROUP | OPEN_ALIAS => self.open_account(op, stub, ctx),
            QUERY_INFORMATION_GROUP => self.query_group_info(stub, ctx),
            SET_INFORMATION_GROUP => self.set_group_info(stub, ctx),
            QUERY_INFORMATION_ALIAS => self.query_alias_info(stub, ctx),
            SET_INFORMATION_ALIAS => self.set_alias_info(stub, ctx),
            DELETE_GROUP | DELETE_ALIAS => self.delete_account(op, stub, ctx),
            ADD_MEMBER_TO_GROUP => self.add_group_member(stub, ctx),
            REMOVE_MEMBER_FROM_GROUP => self.remove_group_member(stub, ctx),
            GET_MEMBERS_IN_GROUP => self.group_members(stub, ctx),
            SET_MEMBER_ATTRIBUTES_OF_GROUP => self.set_member_attributes(stub, ctx),
            ADD_MEMBER_TO_ALIAS | REMOVE_MEMBER_FROM_ALIAS => self.alias_member(op, stub, ctx),
            ADD_MULTIPLE_MEMBERS_TO_ALIAS | REMOVE_MULTIPLE_MEMBERS_FROM_ALIAS => {
                self.alias_members_multiple(op, stub, ctx)
            }
            GET_MEMBERS_IN_ALIAS => self.alias_members(stub, ctx),
            CHANGE_PASSWORD_USER => self.change_password_user(stub, ctx),
            OEM_CHANGE_PASSWORD_USER2 => self.oem_change_password(stub, ctx),
            UNICODE_CHANGE_PASSWORD_USER2 => self.unicode_change_password(stub, ctx, false),
            UNICODE_CHANGE_PASSWORD_USER3 => self.unicode_change_password(stub, ctx, true),
            UNICODE_CHANGE_PASSWORD_USER4 => self.change_password_aes(stub, ctx),
            GET_DOMAIN_PASSWORD_INFORMATION => self.domain_password_info(stub, ctx),
            TEST_PRIVATE_FUNCTIONS_DOMAIN | TEST_PRIVATE_FUNCTIONS_USER => {
                self.test_private(stub, ctx)
            }
            SET_DSRM_PASSWORD | VALIDATE_PASSWORD => {
                Ok(NtStatus::NOT_SUPPORTED.0.to_le_bytes().to_vec())
            }
            _ => Err(FaultStatus::OP_RNG_ERROR),
        };
        if let Err(f) = &r {
            tracing::debug!(op, fault = ?f, stub_len = stub.len(), "samr call faulted");
        }
        CallOutcome::Ready(r)
    }

    fn reads_big_endian(&self) -> bool {
        true
    }
}
