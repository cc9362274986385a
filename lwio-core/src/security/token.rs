//! The caller's identity: an access token (MS-DTYP 2.5.2 Token/Authorization Context),
//! reduced to what a file server needs: the user and group SIDs with their attributes, the
//! enabled privileges, the default owner and primary group for new objects, and an optional
//! Unix identity.
//!
//! Group attributes are the SE_GROUP_* bits of a SID_AND_ATTRIBUTES. The one a file system
//! consults is [`GroupAttributes::OWNER`]: only a group carrying it may be made the owner of
//! an object without SeRestorePrivilege ([`AccessToken::can_own`]).
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

crate::open_flags! {
    /// The attributes of one token group (the SE_GROUP_* values of MS-DTYP 2.4.2.4
    /// SID_AND_ATTRIBUTES as Windows tokens carry them).
    pub struct GroupAttributes(u32) {
        /// The group cannot be disabled.
        const MANDATORY = 0x0000_0001;
        /// Enabled by default.
        const ENABLED_BY_DEFAULT = 0x0000_0002;
        /// Enabled.
        const ENABLED = 0x0000_0004;
        /// The group may be assigned as the owner of objects (SE_GROUP_OWNER).
        const OWNER = 0x0000_0008;
        /// The group counts in deny ACEs only.
        const USE_FOR_DENY_ONLY = 0x0000_0010;
        /// A mandatory integrity SID.
        const INTEGRITY = 0x0000_0020;
        /// The integrity SID is checked.
        const INTEGRITY_ENABLED = 0x0000_0040;
        /// A domain-local group.
        const RESOURCE = 0x2000_0000;
        /// The logon SID.
        const LOGON_ID = 0xC000_0000;
    }
}

impl GroupAttributes {
    /// What an ordinary enabled group carries: mandatory, enabled by default, enabled.
    pub const DEFAULT: GroupAttributes = GroupAttributes(0x7);
}

/// Who is asking: the input of the access check and of descriptor creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    /// The user SID.
    pub user: Sid,
    /// Group SIDs (all enabled).
    pub groups: Vec<Sid>,
    /// The attributes of `groups`, by index. A group without an entry here (the list is
    /// shorter) has [`GroupAttributes::DEFAULT`]; use [`AccessToken::with_group`] to give
    /// one its attributes.
    pub group_attributes: Vec<GroupAttributes>,
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
            group_attributes: Vec::new(),
            privileges: Privileges::NONE,
            unix: None,
            owner: None,
            primary_group: None,
        }
    }

    /// Replaces the groups; each has [`GroupAttributes::DEFAULT`].
    pub fn with_groups(mut self, groups: impl IntoIterator<Item = Sid>) -> AccessToken {
        self.groups = groups.into_iter().collect();
        self.group_attributes.clear();
        self
    }

    /// Adds one group with its attributes.
    pub fn with_group(mut self, group: Sid, attributes: GroupAttributes) -> AccessToken {
        self.group_attributes
            .resize(self.groups.len(), GroupAttributes::DEFAULT);
        self.groups.push(group);
        self.group_attributes.push(attributes);
        self
    }

    /// The attributes of the group at `index` of [`AccessToken::groups`].
    pub fn group_attributes_at(&self, index: usize) -> GroupAttributes {
        self.group_attributes
            .get(index)
            .copied()
            .unwrap_or(GroupAttributes::DEFAULT)
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
    /// every privilege (SeRestorePrivilege lets it assign any owner); new objects are owned
    /// by Administrators, as on Windows.
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

    /// True when `sid` may be made the owner of an object by this token without
    /// SeRestorePrivilege: the user itself, or a group carrying [`GroupAttributes::OWNER`]
    /// (Windows' rule for an owner given at create or set later).
    pub fn can_own(&self, sid: &Sid) -> bool {
        self.user == *sid
            || self.groups.iter().enumerate().any(|(i, g)| {
                g == sid && self.group_attributes_at(i).contains(GroupAttributes::OWNER)
            })
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

    #[test]
    fn only_owner_groups_may_own() {
        let admin = AccessToken::new(wk::unix_user(9))
            .with_group(
                wk::BUILTIN_ADMINISTRATORS,
                GroupAttributes::DEFAULT | GroupAttributes::OWNER,
            )
            .with_group(wk::WORLD, GroupAttributes::DEFAULT);
        assert!(admin.can_own(&wk::unix_user(9)));
        assert!(admin.can_own(&wk::BUILTIN_ADMINISTRATORS));
        assert!(
            !admin.can_own(&wk::WORLD),
            "Everyone carries no SE_GROUP_OWNER"
        );
        assert!(admin.contains_sid(&wk::WORLD));
        // SYSTEM's groups carry no SE_GROUP_OWNER; its SeRestorePrivilege assigns any owner.
        let sys = AccessToken::system();
        assert!(sys.can_own(&wk::LOCAL_SYSTEM) && !sys.can_own(&wk::BUILTIN_ADMINISTRATORS));
        assert!(sys.has_privilege(Privilege::Restore));
        let user = AccessToken::new(wk::unix_user(7))
            .with_groups([wk::WORLD])
            .with_group(
                wk::unix_group(7),
                GroupAttributes::DEFAULT | GroupAttributes::OWNER,
            );
        assert_eq!(user.group_attributes_at(0), GroupAttributes::DEFAULT);
        assert!(user.can_own(&wk::unix_group(7)) && !user.can_own(&wk::WORLD));
        assert!(!user.can_own(&wk::unix_user(8)));
    }
}
