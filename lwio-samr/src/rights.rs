//! Account rights on the [`Sam`]: the LSA's account objects (MS-LSAD 3.1.1.3), the
//! privileges and logon rights each SID holds, and the policy settings the LSA keeps in
//! the same database, so that what an administrator grants over LSA holds for the next
//! logon's token.
//!
//! Rights are stored by name (`SeBackupPrivilege`, `SeNetworkLogonRight`); only names of
//! the catalogue in [`crate::lsa::privileges`] are accepted
//! (STATUS_NO_SUCH_PRIVILEGE otherwise), in their canonical spelling.

use lwio_core::{NtStatus, Sid};

use crate::lsa::privileges;
use crate::sam::{Sam, store_status};
use crate::store::StoreError;

impl Sam {
    /// The SIDs that have an LSA account object, oldest first.
    pub fn lsa_accounts(&self) -> Result<Vec<Sid>, NtStatus> {
        self.store().lsa_accounts().map_err(store_status)
    }

    /// Whether `sid` has an LSA account object.
    pub fn lsa_account_exists(&self, sid: &Sid) -> Result<bool, NtStatus> {
        self.store().lsa_account_exists(sid).map_err(store_status)
    }

    /// Makes an account object for `sid` with no rights (LsarCreateAccount):
    /// STATUS_OBJECT_NAME_COLLISION when it has one.
    pub fn create_lsa_account(&self, sid: &Sid) -> Result<(), NtStatus> {
        match self.store().create_lsa_account(sid) {
            Err(StoreError::NameInUse(_)) => Err(NtStatus::OBJECT_NAME_COLLISION),
            other => other.map_err(store_status),
        }
    }

    /// Deletes the account object of `sid` and its rights (LsarDeleteObject,
    /// LsarRemoveAccountRights of all rights): STATUS_OBJECT_NAME_NOT_FOUND when it has
    /// none.
    pub fn delete_lsa_account(&self, sid: &Sid) -> Result<(), NtStatus> {
        match self.store().delete_lsa_account(sid) {
            Err(StoreError::NotFound) => Err(NtStatus::OBJECT_NAME_NOT_FOUND),
            other => other.map_err(store_status),
        }
    }

    /// The stored security descriptor of the account object of `sid`, if one was set.
    pub fn lsa_account_sd(&self, sid: &Sid) -> Result<Option<Vec<u8>>, NtStatus> {
        self.store().lsa_account_sd(sid).map_err(store_status)
    }

    /// Stores the security descriptor of the account object of `sid`.
    pub fn set_lsa_account_sd(&self, sid: &Sid, sd: &[u8]) -> Result<(), NtStatus> {
        match self.store().set_lsa_account_sd(sid, sd) {
            Err(StoreError::NotFound) => Err(NtStatus::OBJECT_NAME_NOT_FOUND),
            other => other.map_err(store_status),
        }
    }

    /// Adds the rights and privileges `names` to `sid`, making its account object when it
    /// has none (LsarAddAccountRights, LsarAddPrivilegesToAccount). Every name must be
    /// known (STATUS_NO_SUCH_PRIVILEGE, and nothing changes); rights held already are
    /// left as they are.
    pub fn add_rights(&self, sid: &Sid, names: &[&str]) -> Result<(), NtStatus> {
        let add = canonical_all(names)?;
        let mut rights = self.rights(sid)?;
        for name in add {
            if !rights.iter().any(|r| r == name) {
                rights.push(name.to_owned());
            }
        }
        self.set_rights(sid, &rights)
    }

    /// Takes the rights and privileges `names` from `sid`'s account object and returns
    /// what it still holds (LsarRemoveAccountRights, LsarRemovePrivilegesFromAccount).
    /// Every name must be known (STATUS_NO_SUCH_PRIVILEGE); a name not held is ignored.
    /// STATUS_OBJECT_NAME_NOT_FOUND when `sid` has no account object.
    pub fn remove_rights(&self, sid: &Sid, names: &[&str]) -> Result<Vec<String>, NtStatus> {
        if !self.lsa_account_exists(sid)? {
            return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
        }
        let remove = canonical_all(names)?;
        let mut rights = self.rights(sid)?;
        rights.retain(|r| !remove.iter().any(|n| r.eq_ignore_ascii_case(n)));
        self.set_rights(sid, &rights)?;
        Ok(rights)
    }

    /// The account objects holding the right or privilege `name` directly
    /// (LsarEnumerateAccountsWithUserRight); STATUS_NO_SUCH_PRIVILEGE for an unknown name.
    pub fn accounts_with_right(&self, name: &str) -> Result<Vec<Sid>, NtStatus> {
        let name = privileges::canonical(name).ok_or(NtStatus::NO_SUCH_PRIVILEGE)?;
        let mut out = Vec::new();
        for sid in self.lsa_accounts()? {
            if self.rights(&sid)?.iter().any(|r| r == name) {
                out.push(sid);
            }
        }
        Ok(out)
    }

    /// The system access mask of `sid`'s account object: the bits of the logon rights it
    /// holds (LsarGetSystemAccessAccount).
    pub fn system_access(&self, sid: &Sid) -> Result<u32, NtStatus> {
        Ok(self
            .rights(sid)?
            .iter()
            .fold(0, |m, r| m | privileges::system_access_bit(r)))
    }

    /// Replaces the logon rights of `sid`'s account object by those of `mask`, keeping
    /// its privileges (LsarSetSystemAccessAccount); STATUS_INVALID_PARAMETER for a bit
    /// that names no right.
    pub fn set_system_access(&self, sid: &Sid, mask: u32) -> Result<(), NtStatus> {
        if mask & !privileges::SYSTEM_ACCESS_MASK != 0 {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let mut rights = self.rights(sid)?;
        rights.retain(|r| privileges::system_access_bit(r) == 0);
        rights.extend(privileges::rights_of_mask(mask).map(str::to_owned));
        self.set_rights(sid, &rights)
    }

    /// Whether a token holding `sids` may log on over the network: one of them holds
    /// SeNetworkLogonRight and none SeDenyNetworkLogonRight (STATUS_LOGON_TYPE_NOT_GRANTED
    /// otherwise, as Windows answers, MS-APDS 3.1.5).
    pub fn check_network_logon(&self, sids: &[Sid]) -> Result<(), NtStatus> {
        let mut allowed = false;
        for sid in sids {
            for r in self.rights(sid)? {
                if r == privileges::DENY_NETWORK_LOGON_RIGHT {
                    return Err(NtStatus::LOGON_TYPE_NOT_GRANTED);
                }
                allowed |= r == privileges::NETWORK_LOGON_RIGHT;
            }
        }
        if allowed {
            Ok(())
        } else {
            Err(NtStatus::LOGON_TYPE_NOT_GRANTED)
        }
    }

    /// The LSA policy setting `name`.
    pub fn policy_value(&self, name: &str) -> Result<Option<Vec<u8>>, NtStatus> {
        self.store().policy_value(name).map_err(store_status)
    }

    /// Replaces the LSA policy setting `name`.
    pub fn set_policy_value(&self, name: &str, value: &[u8]) -> Result<(), NtStatus> {
        self.store()
            .set_policy_value(name, value)
            .map_err(store_status)
    }
}

/// The canonical spellings of `names`; STATUS_NO_SUCH_PRIVILEGE if one is unknown.
fn canonical_all(names: &[&str]) -> Result<Vec<&'static str>, NtStatus> {
    names
        .iter()
        .map(|n| privileges::canonical(n).ok_or(NtStatus::NO_SUCH_PRIVILEGE))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use lwio_auth::accounts::AccountSource;
    use lwio_core::security::{Privilege, well_known};

    use super::*;
    use crate::model::Acb;
    use crate::policy::PasswordSource;
    use crate::sam::NewPassword;

    fn user(sam: &Sam, name: &str) -> Sid {
        let u = sam.create_user(name, Acb::NORMAL).unwrap();
        sam.set_password(
            u.rid,
            &NewPassword::plain("pw"),
            PasswordSource::Reset,
            false,
        )
        .unwrap();
        let mut u = sam.user(u.rid).unwrap();
        u.acb &= !Acb::DISABLED.0;
        sam.update_user(&u).unwrap();
        sam.domain().unwrap().sid.with_rid(u.rid).unwrap()
    }

    #[test]
    fn a_granted_privilege_shows_in_the_next_logon() {
        let sam = Sam::in_memory("T").unwrap();
        let sid = user(&sam, "ann");
        assert!(
            !sam.logon("ann", "")
                .unwrap()
                .has_privilege(Privilege::Backup)
        );
        assert!(!sam.lsa_account_exists(&sid).unwrap());
        sam.add_rights(&sid, &["sebackupprivilege", "SeShutdownPrivilege"])
            .unwrap();
        assert!(sam.lsa_account_exists(&sid).unwrap());
        assert_eq!(
            sam.rights(&sid).unwrap(),
            ["SeBackupPrivilege", "SeShutdownPrivilege"]
        );
        assert!(
            sam.logon("ann", "")
                .unwrap()
                .has_privilege(Privilege::Backup)
        );
        assert_eq!(
            sam.accounts_with_right("SeBackupPrivilege").unwrap().last(),
            Some(&sid)
        );
        // An unknown name changes nothing.
        assert_eq!(
            sam.add_rights(&sid, &["SeRestorePrivilege", "SeNoSuchPrivilege"]),
            Err(NtStatus::NO_SUCH_PRIVILEGE)
        );
        assert_eq!(sam.rights(&sid).unwrap().len(), 2);
        let left = sam.remove_rights(&sid, &["SeBackupPrivilege"]).unwrap();
        assert_eq!(left, ["SeShutdownPrivilege"]);
        assert!(
            !sam.logon("ann", "")
                .unwrap()
                .has_privilege(Privilege::Backup)
        );
        sam.delete_lsa_account(&sid).unwrap();
        assert_eq!(
            sam.delete_lsa_account(&sid),
            Err(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
        assert!(sam.rights(&sid).unwrap().is_empty());
    }

    #[test]
    fn account_objects_and_system_access() {
        let sam = Sam::in_memory("T").unwrap();
        // The defaults: Administrators, Backup Operators, Users, Everyone.
        let all = sam.lsa_accounts().unwrap();
        assert_eq!(all.len(), 4);
        assert!(all.contains(&well_known::WORLD));
        let sid: Sid = "S-1-5-21-1-2-3-4000".parse().unwrap();
        sam.create_lsa_account(&sid).unwrap();
        assert_eq!(
            sam.create_lsa_account(&sid),
            Err(NtStatus::OBJECT_NAME_COLLISION)
        );
        assert_eq!(sam.system_access(&sid).unwrap(), 0);
        sam.add_rights(&sid, &["SeBackupPrivilege"]).unwrap();
        sam.set_system_access(&sid, 0x2 | 0x80).unwrap();
        assert_eq!(sam.system_access(&sid).unwrap(), 0x82);
        assert!(
            sam.rights(&sid)
                .unwrap()
                .contains(&"SeBackupPrivilege".into())
        );
        assert_eq!(
            sam.set_system_access(&sid, 0x8),
            Err(NtStatus::INVALID_PARAMETER)
        );
        assert_eq!(
            sam.remove_rights(&"S-1-5-21-9-9-9-9".parse().unwrap(), &[]),
            Err(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
    }

    #[test]
    fn network_logon_rights_decide_a_logon() {
        let sam = Sam::in_memory("T").unwrap();
        let sid = user(&sam, "bob");
        assert!(sam.logon("bob", "").is_ok());
        sam.add_rights(&sid, &[privileges::DENY_NETWORK_LOGON_RIGHT])
            .unwrap();
        assert_eq!(
            sam.logon("bob", "").unwrap_err(),
            NtStatus::LOGON_TYPE_NOT_GRANTED
        );
        sam.remove_rights(&sid, &[privileges::DENY_NETWORK_LOGON_RIGHT])
            .unwrap();
        assert!(sam.logon("bob", "").is_ok());
        // Nobody holding the right at all: refused too.
        for holder in sam
            .accounts_with_right(privileges::NETWORK_LOGON_RIGHT)
            .unwrap()
        {
            sam.remove_rights(&holder, &[privileges::NETWORK_LOGON_RIGHT])
                .unwrap();
        }
        assert_eq!(
            sam.logon("bob", "").unwrap_err(),
            NtStatus::LOGON_TYPE_NOT_GRANTED
        );
    }

    #[test]
    fn policy_values_persist() {
        let sam = Sam::in_memory("T").unwrap();
        assert_eq!(sam.policy_value("x").unwrap(), None);
        sam.set_policy_value("x", b"1").unwrap();
        sam.set_policy_value("x", b"2").unwrap();
        assert_eq!(sam.policy_value("x").unwrap().as_deref(), Some(&b"2"[..]));
    }
}
