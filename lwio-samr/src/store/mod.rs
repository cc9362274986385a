//! Where the SAM's objects persist: the [`SamStore`] trait, and [`SqliteStore`], the
//! embedded default.
//!
//! A store keeps records and nothing else: the rules (who may do what, password policy,
//! lockout, default accounts) are the [`Sam`](crate::Sam)'s, above it. An appliance with
//! its own database implements this trait and hands it to [`Sam::new`](crate::Sam::new).
//!
//! Every method that changes something is one transaction: it happens whole or not at all,
//! and once it returns `Ok` it survives a crash of the process. A create that allocates a
//! RID or a Unix id does so inside its own transaction, so two creates never share one.
//! Names are unique case-insensitively among the users, groups and aliases of the
//! account domain, and among the aliases of the Builtin domain.

mod lsa_tables;
mod sqlite;

pub use sqlite::{DEFAULT_UNIX_RANGE, SCHEMA_VERSION, SqliteStore};

use lwio_core::Sid;
use thiserror::Error;

use crate::model::{Domain, DomainKind, Group, GroupKind, User};

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An object of that name exists already (in the same name space).
    #[error("name in use: {0}")]
    NameInUse(String),
    /// No object has that identity.
    #[error("no such object")]
    NotFound,
    /// The RID or Unix id space is used up.
    #[error("identifier space exhausted")]
    Exhausted,
    /// The member is already in the group or alias.
    #[error("already a member")]
    AlreadyMember,
    /// The member is not in the group or alias.
    #[error("not a member")]
    NotMember,
    /// The database failed or is corrupt.
    #[error("database: {0}")]
    Database(String),
    /// The database file could not be opened or created.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The persistence of a SAM. See the [module documentation](self).
pub trait SamStore: Send + Sync {
    /// The account domain's record.
    fn domain(&self) -> StoreResult<Domain>;
    /// Replaces the account domain's record (bumping nothing: the caller sets
    /// `modified_count`).
    fn set_domain(&self, domain: &Domain) -> StoreResult<()>;

    /// Every user, by ascending RID.
    fn users(&self) -> StoreResult<Vec<User>>;
    /// The user with `rid`.
    fn user(&self, rid: u32) -> StoreResult<Option<User>>;
    /// The user named `name` (case-insensitive).
    fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// Creates `user`; a `rid` of 0 takes the next free RID (from 1000), a `uid` of 0 the
    /// next free Unix id of the domain's range. Returns the stored record.
    fn create_user(&self, user: User) -> StoreResult<User>;
    /// Replaces the record of user `user.rid` (renames included).
    fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Records a successful logon of user `rid`: LastLogon `time`, LogonCount
    /// `logon_count`, the bad-password count and lockout cleared. These are logon
    /// statistics, written on every session setup: a store may make the write cheaper
    /// than [`update_user`](Self::update_user)'s (the SQLite store does not wait for the
    /// disk, so a crash of the machine may lose the newest logon times, never an account
    /// change, which is always synced). The default replaces the whole record.
    fn record_logon(&self, rid: u32, time: i64, logon_count: u16) -> StoreResult<()> {
        let mut user = self.user(rid)?.ok_or(StoreError::NotFound)?;
        user.last_logon = time;
        user.logon_count = logon_count;
        user.bad_password_count = 0;
        user.lockout_time = 0;
        self.update_user(&user)
    }
    /// Runs `f`, which reads (only) through this store, against one consistent view of
    /// it: a logon builds its token from several reads, none of which may see half of
    /// another process's change. The default just calls `f`.
    fn read_snapshot(&self, f: &mut dyn FnMut()) {
        f();
    }
    /// Deletes a user and every membership it has (groups and aliases).
    fn delete_user(&self, rid: u32, sid: &Sid) -> StoreResult<()>;

    /// Every group or alias of `domain` of `kind`, by ascending RID.
    fn groups(&self, domain: DomainKind, kind: GroupKind) -> StoreResult<Vec<Group>>;
    /// The group or alias `rid` of `domain`.
    fn group(&self, domain: DomainKind, rid: u32) -> StoreResult<Option<Group>>;
    /// The group or alias of `domain` named `name` (case-insensitive).
    fn group_by_name(&self, domain: DomainKind, name: &str) -> StoreResult<Option<Group>>;
    /// Creates a group or alias; RID 0 and gid 0 are allocated as for users.
    fn create_group(&self, group: Group) -> StoreResult<Group>;
    /// Replaces a group's record.
    fn update_group(&self, group: &Group) -> StoreResult<()>;
    /// Deletes a group or alias with its memberships (both ways: its members, and its
    /// own membership in aliases as `sid`).
    fn delete_group(&self, domain: DomainKind, rid: u32, sid: &Sid) -> StoreResult<()>;

    /// The RIDs of the users in account-domain group `group`.
    fn group_members(&self, group: u32) -> StoreResult<Vec<u32>>;
    /// The account-domain groups user `user` is in.
    fn groups_of_user(&self, user: u32) -> StoreResult<Vec<u32>>;
    /// Puts user `user` into group `group` with `attributes`.
    fn add_group_member(&self, group: u32, user: u32, attributes: u32) -> StoreResult<()>;
    /// Takes user `user` out of group `group`.
    fn remove_group_member(&self, group: u32, user: u32) -> StoreResult<()>;

    /// The member SIDs of alias `rid` of `domain`.
    fn alias_members(&self, domain: DomainKind, rid: u32) -> StoreResult<Vec<Sid>>;
    /// Adds `member` to alias `rid` of `domain`.
    fn add_alias_member(&self, domain: DomainKind, rid: u32, member: &Sid) -> StoreResult<()>;
    /// Removes `member` from alias `rid` of `domain`.
    fn remove_alias_member(&self, domain: DomainKind, rid: u32, member: &Sid) -> StoreResult<()>;
    /// The aliases of `domain` any of `sids` is a direct member of (RIDs, each once).
    fn aliases_of(&self, domain: DomainKind, sids: &[Sid]) -> StoreResult<Vec<u32>>;
    /// Removes `member` from every alias (SamrRemoveMemberFromForeignDomain).
    fn remove_member_everywhere(&self, member: &Sid) -> StoreResult<()>;

    /// The account rights and privileges (names such as `SeBackupPrivilege`) held by
    /// `sid` directly.
    fn rights(&self, sid: &Sid) -> StoreResult<Vec<String>>;
    /// Replaces the rights held by `sid` directly, making its LSA account object when it
    /// has none.
    fn set_rights(&self, sid: &Sid, rights: &[String]) -> StoreResult<()>;

    /// The SIDs that have an LSA account object (MS-LSAD 3.1.1.3), oldest first: every
    /// SID that was given rights, and those made with LsarCreateAccount.
    fn lsa_accounts(&self) -> StoreResult<Vec<Sid>>;
    /// Whether `sid` has an LSA account object.
    fn lsa_account_exists(&self, sid: &Sid) -> StoreResult<bool>;
    /// Makes an account object for `sid`, holding no rights; [`StoreError::NameInUse`]
    /// when it has one.
    fn create_lsa_account(&self, sid: &Sid) -> StoreResult<()>;
    /// Deletes the account object of `sid` and every right it holds;
    /// [`StoreError::NotFound`] when it has none.
    fn delete_lsa_account(&self, sid: &Sid) -> StoreResult<()>;
    /// The account object's security descriptor (self-relative), if one was set.
    fn lsa_account_sd(&self, sid: &Sid) -> StoreResult<Option<Vec<u8>>>;
    /// Sets the account object's security descriptor; [`StoreError::NotFound`] when
    /// `sid` has no account object.
    fn set_lsa_account_sd(&self, sid: &Sid, sd: &[u8]) -> StoreResult<()>;
    /// The LSA policy setting `name` (its encoding is the LSA's).
    fn policy_value(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Replaces the LSA policy setting `name`.
    fn set_policy_value(&self, name: &str, value: &[u8]) -> StoreResult<()>;

    /// Checks the store's own consistency (SQLite's `integrity_check`): `Ok` when sound.
    fn check(&self) -> StoreResult<()>;
}
