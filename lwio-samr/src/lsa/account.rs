//! Account objects and account rights (MS-LSAD 3.1.4.5, LsarDeleteObject 3.1.4.9.3): the
//! privileges and logon rights each SID holds, kept in the SAM.
//!
//! | call | required access | refusals |
//! |---|---|---|
//! | LsarCreateAccount (10) | POLICY_CREATE_ACCOUNT | STATUS_OBJECT_NAME_COLLISION if it exists |
//! | LsarEnumerateAccounts (11) | POLICY_VIEW_LOCAL_INFORMATION | STATUS_NO_MORE_ENTRIES past the end |
//! | LsarOpenAccount (17) | the account's descriptor | STATUS_OBJECT_NAME_NOT_FOUND |
//! | LsarEnumeratePrivilegesAccount (18), LsarGetSystemAccessAccount (23) | ACCOUNT_VIEW | |
//! | LsarAdd/RemovePrivilegesToAccount (19/20) | ACCOUNT_ADJUST_PRIVILEGES | STATUS_NO_SUCH_PRIVILEGE, STATUS_INVALID_PARAMETER |
//! | LsarSetSystemAccessAccount (24) | ACCOUNT_ADJUST_SYSTEM_ACCESS | STATUS_INVALID_PARAMETER for unknown bits |
//! | LsarDeleteObject (34) | DELETE | STATUS_INVALID_PARAMETER for the policy object |
//! | LsarEnumerateAccountsWithUserRight (35) | POLICY_LOOKUP_NAMES and POLICY_VIEW_LOCAL_INFORMATION | STATUS_NO_SUCH_PRIVILEGE, STATUS_NO_MORE_ENTRIES when nobody holds it |
//! | LsarEnumerateAccountRights (36) | ACCOUNT_VIEW on the policy handle | STATUS_OBJECT_NAME_NOT_FOUND |
//! | LsarAddAccountRights (37) | POLICY_CREATE_ACCOUNT for a new account, else ACCOUNT_ADJUST_PRIVILEGES, ACCOUNT_ADJUST_SYSTEM_ACCESS and ACCOUNT_VIEW, on the policy handle | STATUS_NO_SUCH_PRIVILEGE |
//! | LsarRemoveAccountRights (38) | those three and DELETE, on the policy handle | STATUS_OBJECT_NAME_NOT_FOUND, STATUS_NO_SUCH_PRIVILEGE |
//!
//! The account-right calls check ACCOUNT_* bits against the policy handle, as MS-LSAD
//! 3.1.4.5.10-12 specifies; with the policy object's default descriptor only
//! Administrators hold them. Removing an account's last right deletes its account
//! object, as removing all of them does.

use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::{PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::lookup::INVALID_BOUND;
use super::privileges;
use super::types::*;
use super::{LsaInterface, LsaObject, opnum};
use crate::rpc::types::text;
use crate::rpc::{Fail, Res, decode, finish, reader, reply};

/// The bytes one entry of an account enumeration is reckoned to take against the
/// client's preferred maximum length: a pointer and a SID of five sub-authorities.
const ACCOUNT_ENTRY_SIZE: u32 = 32;

/// The privileges (not logon rights) among `rights`, as LUID-and-attributes.
fn privilege_set(rights: &[String]) -> PrivilegeSet {
    PrivilegeSet {
        control: 0,
        privileges: rights
            .iter()
            .filter_map(|r| privileges::by_name(r))
            .map(|p| LuidAndAttributes {
                luid: Luid {
                    low: p.luid,
                    high: 0,
                },
                attributes: 0,
            })
            .collect(),
    }
}

/// The names of the privileges of `set`; STATUS_NO_SUCH_PRIVILEGE for an unknown LUID.
fn privilege_names(set: &PrivilegeSet) -> Res<Vec<&'static str>> {
    set.privileges
        .iter()
        .map(|p| {
            privileges::by_luid(p.luid.low, p.luid.high)
                .map(|d| d.name)
                .ok_or(Fail::Status(NtStatus::NO_SUCH_PRIVILEGE))
        })
        .collect()
}

impl LsaInterface {
    pub(super) fn open_account(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sid, access): (PolicyHandle, Sid, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<PolicyHandle> {
            let obj = LsaObject::Account(sid);
            if op == opnum::CREATE_ACCOUNT {
                self.policy(ctx, &h, POLICY_CREATE_ACCOUNT)?;
                self.sam.create_lsa_account(&sid)?;
            } else {
                self.policy(ctx, &h, 0)?;
                if !self.sam.lsa_account_exists(&sid)? {
                    return Err(NtStatus::OBJECT_NAME_NOT_FOUND.into());
                }
            }
            let granted = self.grant(&ctx.token, &obj, access)?;
            self.open(ctx, obj, granted)
        })();
        reply(res, |w, h| w.write(&h.copied().unwrap_or_default()))
    }

    pub(super) fn enumerate_accounts(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, resume, preferred): (PolicyHandle, u32, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<(u32, SidEnumBuffer)> {
            self.policy(ctx, &h, POLICY_VIEW_LOCAL_INFORMATION)?;
            let all = self.sam.lsa_accounts()?;
            let start = (resume as usize).min(all.len());
            if start == all.len() {
                return Err(NtStatus::NO_MORE_ENTRIES.into());
            }
            let take = (preferred / ACCOUNT_ENTRY_SIZE).max(1) as usize;
            let page: Vec<Sid> = all[start..].iter().take(take).copied().collect();
            let next = (start + page.len()) as u32;
            Ok((next, SidEnumBuffer::of(page)))
        })();
        reply(res, |w, v| {
            w.u32(v.map_or(resume, |v| v.0));
            w.write(&v.map(|v| v.1.clone()).unwrap_or_default());
        })
    }

    pub(super) fn account_privileges(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = decode(ctx, stub)?;
        let res = (|| -> Res<PrivilegeSet> {
            let sid = self.account_handle(ctx, &h, ACCOUNT_VIEW)?;
            Ok(privilege_set(&self.sam.rights(&sid)?))
        })();
        reply(res, |w, set| w.write(&set.cloned()))
    }

    pub(super) fn add_account_privileges(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, set): (PolicyHandle, PrivilegeSet) = decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let sid = self.account_handle(ctx, &h, ACCOUNT_ADJUST_PRIVILEGES)?;
            let names = privilege_names(&set)?;
            Ok(self.sam.add_rights(&sid, &names)?)
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn remove_account_privileges(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, all, set): (PolicyHandle, u8, Option<PrivilegeSet>) = decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let sid = self.account_handle(ctx, &h, ACCOUNT_ADJUST_PRIVILEGES)?;
            let names: Vec<&str> = match (all != 0, &set) {
                (true, None) => self
                    .sam
                    .rights(&sid)?
                    .iter()
                    .filter_map(|r| privileges::by_name(r).map(|p| p.name))
                    .collect(),
                (false, Some(set)) => privilege_names(set)?,
                _ => return Err(NtStatus::INVALID_PARAMETER.into()),
            };
            self.sam.remove_rights(&sid, &names)?;
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn get_system_access(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = decode(ctx, stub)?;
        let res = (|| -> Res<u32> {
            let sid = self.account_handle(ctx, &h, ACCOUNT_VIEW)?;
            Ok(self.sam.system_access(&sid)?)
        })();
        reply(res, |w, mask| w.u32(mask.copied().unwrap_or(0)))
    }

    pub(super) fn set_system_access(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, mask): (PolicyHandle, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let sid = self.account_handle(ctx, &h, ACCOUNT_ADJUST_SYSTEM_ACCESS)?;
            Ok(self.sam.set_system_access(&sid, mask)?)
        })();
        reply(res, |_, _| {})
    }

    /// LsarDeleteObject: deletes an account object and closes its handle (the answer
    /// carries the null handle); the policy object cannot be deleted.
    pub(super) fn delete_object(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let handle = self.handle(ctx, &h)?;
            if handle.granted & DELETE == 0 {
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let LsaObject::Account(sid) = handle.obj else {
                return Err(NtStatus::INVALID_PARAMETER.into());
            };
            self.sam.delete_lsa_account(&sid)?;
            ctx.handles.close::<super::LsaHandle>(&h)?;
            Ok(())
        })();
        crate::rpc::reply_closing(res, h)
    }

    pub(super) fn accounts_with_right(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, right): (PolicyHandle, Option<RpcUnicodeString>) = decode(ctx, stub)?;
        let res = (|| -> Res<SidEnumBuffer> {
            self.policy(ctx, &h, POLICY_LOOKUP_NAMES | POLICY_VIEW_LOCAL_INFORMATION)?;
            let sids = match &right {
                Some(name) => self.sam.accounts_with_right(&text(name))?,
                // A null right names every account (LsaEnumerateAccountsWithUserRight).
                None => self.sam.lsa_accounts()?,
            };
            if sids.is_empty() {
                return Err(NtStatus::NO_MORE_ENTRIES.into());
            }
            Ok(SidEnumBuffer::of(sids))
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }

    pub(super) fn account_rights(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sid): (PolicyHandle, Sid) = decode(ctx, stub)?;
        let res = (|| -> Res<UserRightSet> {
            self.policy(ctx, &h, ACCOUNT_VIEW)?;
            if !self.sam.lsa_account_exists(&sid)? {
                return Err(NtStatus::OBJECT_NAME_NOT_FOUND.into());
            }
            Ok(UserRightSet::of(&self.sam.rights(&sid)?))
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }

    pub(super) fn change_rights(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let sid: Sid = r.read()?;
        let all = if op == opnum::REMOVE_ACCOUNT_RIGHTS {
            r.u8()? != 0
        } else {
            false
        };
        let set: UserRightSet = r.read()?;
        finish(&r)?;
        if set.entries > MAX_USER_RIGHTS {
            return Err(INVALID_BOUND);
        }
        let names: Vec<String> = set.rights.iter().flatten().map(text).collect();
        if names.len() != set.entries as usize {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let adjust = ACCOUNT_ADJUST_PRIVILEGES | ACCOUNT_ADJUST_SYSTEM_ACCESS | ACCOUNT_VIEW;
        let res = (|| -> Res<()> {
            let exists = self.sam.lsa_account_exists(&sid)?;
            if op == opnum::ADD_ACCOUNT_RIGHTS {
                let need = if exists {
                    adjust
                } else {
                    POLICY_CREATE_ACCOUNT
                };
                self.policy(ctx, &h, need)?;
                return Ok(self.sam.add_rights(&sid, &names)?);
            }
            self.policy(ctx, &h, adjust | DELETE)?;
            if !exists {
                return Err(NtStatus::OBJECT_NAME_NOT_FOUND.into());
            }
            if all {
                return Ok(self.sam.delete_lsa_account(&sid)?);
            }
            if self.sam.remove_rights(&sid, &names)?.is_empty() {
                self.sam.delete_lsa_account(&sid)?;
            }
            Ok(())
        })();
        reply(res, |_, _| {})
    }
}
