//! The caller's identity: an access token (MS-DTYP 2.5.2 Token/Authorization Context),
//! reduced to what a file server needs: the user and group SIDs, the enabled privileges,
//! the default owner and primary group for new objects, and an optional Unix identity.
//!
//! Privileges are the ones a file server consults. Their numbers are the well-known
//! privilege LUIDs Windows uses (SE_SECURITY_PRIVILEGE is 8, and so on), so a
//! [`Privileges`] set is a bit per LUID.

use std::fmt;

use super::Sid;
use super::well_known as wk;

/// A privilege, numbered by its well-known LUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum Privilege {
    /// SeSecurityPrivilege: read and write SACLs (ACCESS_SYSTEM_SECURITY).
    Security = 8,
    /// SeTakeOwnershipPrivilege: get WRITE_OWNER on any object.
    TakeOwnership = 9,
    /// SeBackupPrivilege: read any file when opening with backup intent.
    Backup = 17,
    /// SeRestorePrivilege: write any file when opening with backup intent, set any owner.
    Restore = 18,
    /// SeChangeNotifyPrivilege: traverse directories without FILE_TRAVERSE.
    ChangeNotify = 23,
    /// SeManageVolumePrivilege: volume maintenance operations.
    ManageVolume = 28,
}

impl Privilege {
    /// Every privilege defined here.
    pub const ALL: [Privilege; 6] = [
        Privilege::Security,
        Privilege::TakeOwnership,
        Privilege::Backup,
        Privilege::Restore,
        Privilege::ChangeNotify,
        Privilege::ManageVolume,
    ];

    /// The well-known LUID (low part; the high part is 0).
    pub const fn luid(self) -> u32 {
        self as u32
    }

    /// The Windows name, e.g. `SeBackupPrivilege`.
    pub const fn name(self) -> &'static str {
        match self {
            Privilege::Security => "SeSecurityPrivilege",
            Privilege::TakeOwnership => "SeTakeOwnershipPrivilege",
            Privilege::Backup => "SeBackupPrivilege",
            Privilege::Restore => "SeRestorePrivilege",
            Privilege::ChangeNotify => "SeChangeNotifyPrivilege",
            Privilege::ManageVolume => "SeManageVolumePrivilege",
        }
    }

    /// The privilege with this Windows name.
    pub fn from_name(name: &str) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The privilege with this LUID.
    pub fn from_luid(luid: u32) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.luid() == luid)
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of enabled privileges: bit n is the privilege with LUID n.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Privileges(pub u64);

impl Privileges {
    /// No privileges.
    pub const NONE: Privileges = Privileges(0);

    /// Every privilege in [`Privilege::ALL`].
    pub fn all() -> Privileges {
        Privilege::ALL
            .into_iter()
            .fold(Privileges::NONE, Privileges::with)
    }

    /// `self` plus `p`.
    pub const fn with(self, p: Privilege) -> Privileges {
        Privileges(self.0 | 1 << p as u8)
    }

    /// `self` without `p`.
    pub const fn without(self, p: Privilege) -> Privileges {
        Privileges(self.0 & !(1 << p as u8))
    }

    /// True when `p` is in the set.
    pub const fn contains(self, p: Privilege) -> bool {
        self.0 & (1 << p as u8) != 0
    }

    /// The privileges in the set, by LUID.
    pub fn iter(self) -> impl Iterator<Item = Privilege> {
        Privilege::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Privilege> for Privileges {
    fn from_iter<I: IntoIterator<Item = Privilege>>(iter: I) -> Self {
        iter.into_iter().fold(Privileges::NONE, Privileges::with)
    }
}

impl fmt::Debug for Privileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Privilege::name))
            .finish()
    }
}

/// The Unix credentials a token maps to, for file systems that store uids and gids.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct UnixIdentity {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// Supplementary group ids.
    pub groups: Vec<u32>,
}

/// Who is asking: the input of the access check and of descriptor creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    /// The user SID.
    pub user: Sid,
    /// Group SIDs (all enabled).
    pub groups: Vec<Sid>,
    /// Enabled privileges.
    pub privileges: Privileges,
    /// The Unix identity, if the token was mapped to one.
    pub unix: Option<UnixIdentity>,
    /// The owner given to new objects; `None` means [`AccessToken::user`].
    pub owner: Option<Sid>,
    /// The primary group given to new objects.
    pub primary_group: Option<Sid>,
}

impl AccessToken {
    /// A token for `user` with no groups and no privileges.
    pub fn new(user: Sid) -> AccessToken {
        AccessToken {
            user,
            groups: Vec::new(),
            privileges: Privileges::NONE,
            unix: None,
            owner: None,
            primary_group: None,
        }
    }

    /// Replaces the groups.
    pub fn with_groups(mut self, groups: impl IntoIterator<Item = Sid>) -> AccessToken {
        self.groups = groups.into_iter().collect();
        self
    }

    /// Replaces the privileges.
    pub fn with_privileges(mut self, privileges: Privileges) -> AccessToken {
        self.privileges = privileges;
        self
    }

    /// Sets the Unix identity.
    pub fn with_unix(mut self, unix: UnixIdentity) -> AccessToken {
        self.unix = Some(unix);
        self
    }

    /// Sets the default owner of new objects.
    pub fn with_owner(mut self, owner: Sid) -> AccessToken {
        self.owner = Some(owner);
        self
    }

    /// Sets the primary group of new objects.
    pub fn with_primary_group(mut self, group: Sid) -> AccessToken {
        self.primary_group = Some(group);
        self
    }

    /// LocalSystem: S-1-5-18 in Administrators, Everyone and Authenticated Users, with
    /// every privilege; new objects are owned by Administrators, as on Windows.
    pub fn system() -> AccessToken {
        AccessToken::new(wk::LOCAL_SYSTEM)
            .with_groups([
                wk::BUILTIN_ADMINISTRATORS,
                wk::WORLD,
                wk::AUTHENTICATED_USERS,
            ])
            .with_privileges(Privileges::all())
            .with_owner(wk::BUILTIN_ADMINISTRATORS)
            .with_primary_group(wk::LOCAL_SYSTEM)
    }

    /// The anonymous logon: S-1-5-7 in Everyone, no privileges.
    pub fn anonymous() -> AccessToken {
        AccessToken::new(wk::ANONYMOUS)
            .with_groups([wk::WORLD])
            .with_primary_group(wk::ANONYMOUS)
    }

    /// True when `sid` is the user or one of the groups.
    pub fn contains_sid(&self, sid: &Sid) -> bool {
        self.user == *sid || self.groups.contains(sid)
    }

    /// True when `p` is enabled.
    pub fn has_privilege(&self, p: Privilege) -> bool {
        self.privileges.contains(p)
    }

    /// The owner of objects this token creates.
    pub fn default_owner(&self) -> Sid {
        self.owner.unwrap_or(self.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_are_a_bitset_by_luid() {
        let p = Privileges::NONE
            .with(Privilege::Backup)
            .with(Privilege::Security);
        assert!(p.contains(Privilege::Backup) && !p.contains(Privilege::Restore));
        assert_eq!(p.0, 1 << 17 | 1 << 8);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [Privilege::Security, Privilege::Backup]
        );
        assert_eq!(
            format!("{p:?}"),
            r#"{"SeSecurityPrivilege", "SeBackupPrivilege"}"#
        );
        assert!(!p.without(Privilege::Backup).contains(Privilege::Backup));
        assert_eq!(
            Privilege::from_name("SeRestorePrivilege"),
            Some(Privilege::Restore)
        );
        assert_eq!(Privilege::from_luid(28), Some(Privilege::ManageVolume));
        assert_eq!(Privileges::all().iter().count(), 6);
    }

    #[test]
    fn tokens() {
        let sys = AccessToken::system();
        assert!(
            sys.contains_sid(&wk::LOCAL_SYSTEM) && sys.contains_sid(&wk::BUILTIN_ADMINISTRATORS)
        );
        assert!(sys.has_privilege(Privilege::TakeOwnership));
        let anon = AccessToken::anonymous();
        assert!(anon.contains_sid(&wk::WORLD) && !anon.contains_sid(&wk::AUTHENTICATED_USERS));
        assert!(!anon.has_privilege(Privilege::ChangeNotify));
        let user = AccessToken::new(wk::unix_user(1000)).with_unix(UnixIdentity {
            uid: 1000,
            gid: 100,
            groups: vec![4, 27],
        });
        assert_eq!(user.default_owner(), wk::unix_user(1000));
        assert_eq!(user.unix.as_ref().map(|u| u.gid), Some(100));
    }
}
