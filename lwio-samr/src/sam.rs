//! [`Sam`]: the account database's rules over a [`SamStore`]: creating and changing
//! accounts, passwords under the policy, logon checks and lockout, the access token of
//! a logon, and name/SID lookups over the account domain and Builtin (what SAMR and the
//! LSA lookups answer from).
//!
//! Every method reads the store afresh, so a change made over SAMR (or by `lwio user`
//! in another process) holds for the next logon at once.

use std::path::Path;
use std::sync::Arc;

use lwio_auth::accounts::AccountSource;
use lwio_auth::ntlm::NtHash;
use lwio_core::security::{GroupAttributes, Privilege, Privileges, UnixIdentity, well_known};
use lwio_core::{AccessToken, NtStatus, Sid};

use crate::model::{self, Acb, Domain, DomainKind, Group, GroupKind, NEVER, SidType, User, rid};
use crate::policy::{self, PasswordSource};
use crate::store::{SamStore, SqliteStore, StoreError};
use crate::unix::UnixMirror;

/// The file name of the SAM inside a state directory.
pub const SAM_FILE: &str = "sam.db";

/// The status a store failure is answered with.
pub(crate) fn store_status(e: StoreError) -> NtStatus {
    match e {
        StoreError::NotFound => NtStatus::NO_SUCH_USER,
        StoreError::NameInUse(_) => NtStatus::USER_EXISTS,
        StoreError::AlreadyMember => NtStatus::MEMBER_IN_GROUP,
        StoreError::NotMember => NtStatus::MEMBER_NOT_IN_GROUP,
        StoreError::Exhausted => NtStatus::INSUFFICIENT_RESOURCES,
        other => {
            tracing::error!(error = %other, "SAM store failure");
            NtStatus::INTERNAL_DB_CORRUPTION
        }
    }
}

/// What a name or SID resolves to (for SAMR lookups and for the LSA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The account's SID.
    pub sid: Sid,
    /// The account's name as stored.
    pub name: String,
    /// The name of the domain it is in (the machine name, or `BUILTIN`).
    pub domain_name: String,
    /// Its type.
    pub kind: SidType,
}

/// The name of the Builtin domain.
pub const BUILTIN_NAME: &str = "BUILTIN";

/// The account database. Cheap to clone (shared).
#[derive(Clone)]
pub struct Sam {
    store: Arc<dyn SamStore>,
    mirror: Option<Arc<UnixMirror>>,
}

impl std::fmt::Debug for Sam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sam").finish_non_exhaustive()
    }
}

/// A password set or change to apply: the plaintext when the protocol carried it (so
/// length and complexity can be checked), else only the NT hash.
#[derive(Debug, Clone)]
pub struct NewPassword {
    /// The plaintext, when known.
    pub text: Option<String>,
    /// The NT hash.
    pub hash: [u8; 16],
}

impl NewPassword {
    /// From a plaintext.
    pub fn plain(text: &str) -> NewPassword {
        NewPassword {
            hash: lwio_auth::ntlm::nt_hash(text).0,
            text: Some(text.to_owned()),
        }
    }

    /// From the units a client sent, well-formed UTF-16 or not: the NT hash is MD4 over
    /// the units as they came (as Windows takes a password of random bytes); the text
    /// the policy checks has unpaired surrogates replaced, one unit for one, so the
    /// length rule counts what was sent.
    pub fn from_clear(password: &crate::crypto::ClearPassword) -> NewPassword {
        use md4::{Digest, Md4};
        NewPassword {
            hash: Md4::digest(password.to_le_bytes()).into(),
            text: Some(password.to_string_lossy()),
        }
    }
}

impl Sam {
    /// A SAM over `store`.
    pub fn new(store: Arc<dyn SamStore>) -> Sam {
        Sam {
            store,
            mirror: None,
        }
    }

    /// Opens (or creates) the SQLite SAM `sam.db` in `state_dir` for a machine named
    /// `machine`; the directory is created (mode 0700) when missing.
    pub fn open_dir(state_dir: &Path, machine: &str) -> Result<Sam, StoreError> {
        use std::os::unix::fs::DirBuilderExt;
        if !state_dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(state_dir)?;
        }
        let store = SqliteStore::open(&state_dir.join(SAM_FILE), machine)?;
        Ok(Sam::new(Arc::new(store)))
    }

    /// A SAM held in memory.
    pub fn in_memory(machine: &str) -> Result<Sam, StoreError> {
        Ok(Sam::new(Arc::new(SqliteStore::in_memory(machine)?)))
    }

    /// Mirrors accounts and groups into the system's passwd and group files.
    pub fn with_mirror(mut self, mirror: UnixMirror) -> Sam {
        self.mirror = Some(Arc::new(mirror));
        self
    }

    /// The store below.
    pub fn store(&self) -> &Arc<dyn SamStore> {
        &self.store
    }

    /// The account domain.
    pub fn domain(&self) -> Result<Domain, NtStatus> {
        self.store.domain().map_err(store_status)
    }

    /// Replaces the account domain's record (policies, name), bumping its modified count.
    pub fn set_domain(&self, mut d: Domain) -> Result<(), NtStatus> {
        d.modified_count = d.modified_count.wrapping_add(1);
        self.store.set_domain(&d).map_err(store_status)
    }

    /// The SID of `kind`.
    pub fn domain_sid(&self, kind: DomainKind) -> Result<Sid, NtStatus> {
        Ok(match kind {
            DomainKind::Account => self.domain()?.sid,
            DomainKind::Builtin => well_known::BUILTIN,
        })
    }

    // ---------------------------------------------------------------- users

    /// The user `rid`.
    pub fn user(&self, rid: u32) -> Result<User, NtStatus> {
        self.store
            .user(rid)
            .map_err(store_status)?
            .ok_or(NtStatus::NO_SUCH_USER)
    }

    /// The user named `name`.
    pub fn user_by_name(&self, name: &str) -> Result<User, NtStatus> {
        self.store
            .user_by_name(name)
            .map_err(store_status)?
            .ok_or(NtStatus::NO_SUCH_USER)
    }

    /// Every user.
    pub fn users(&self) -> Result<Vec<User>, NtStatus> {
        self.store.users().map_err(store_status)
    }

    /// Creates a user named `name` of account type `acb` (USER_NORMAL_ACCOUNT, ...),
    /// disabled, without a password and not needing one until an administrator says
    /// otherwise (USER_ACCOUNT_DISABLED | USER_PASSWORD_NOT_REQUIRED), in the None group,
    /// as Windows does (MS-SAMR 3.1.5.4.4).
    /// STATUS_USER_EXISTS when the name is taken by a user, STATUS_GROUP_EXISTS /
    /// STATUS_ALIAS_EXISTS when a group or alias has it.
    pub fn create_user(&self, name: &str, acb: Acb) -> Result<User, NtStatus> {
        check_account_name(name)?;
        self.name_free(name)?;
        let user = User {
            name: name.to_owned(),
            acb: acb.0 | Acb::DISABLED.0 | Acb::PWNOTREQ.0,
            account_expires: NEVER,
            primary_group: rid::NONE_GROUP,
            ..User::default()
        };
        let user = self.store.create_user(user).map_err(store_status)?;
        match self.store.add_group_member(rid::NONE_GROUP, user.rid, 7) {
            Ok(()) | Err(StoreError::AlreadyMember) => {}
            Err(e) => return Err(store_status(e)),
        }
        if let Some(m) = &self.mirror {
            m.user_added(self, &user);
        }
        Ok(user)
    }

    /// The status a taken name gets, by what holds it.
    fn name_free(&self, name: &str) -> Result<(), NtStatus> {
        if self
            .store
            .user_by_name(name)
            .map_err(store_status)?
            .is_some()
        {
            return Err(NtStatus::USER_EXISTS);
        }
        match self
            .store
            .group_by_name(DomainKind::Account, name)
            .map_err(store_status)?
        {
            Some(g) if g.kind == GroupKind::Group => Err(NtStatus::GROUP_EXISTS),
            Some(_) => Err(NtStatus::ALIAS_EXISTS),
            None => Ok(()),
        }
    }

    /// Writes back a changed user record (renames checked for collisions).
    pub fn update_user(&self, user: &User) -> Result<(), NtStatus> {
        let old = self.user(user.rid)?;
        if !old.name.eq_ignore_ascii_case(&user.name) || old.name != user.name {
            check_account_name(&user.name)?;
            if !old.name.eq_ignore_ascii_case(&user.name) {
                self.name_free(&user.name)?;
            }
        }
        self.store.update_user(user).map_err(store_status)?;
        if let Some(m) = &self.mirror {
            m.user_changed(self, &old, user);
        }
        Ok(())
    }

    /// Deletes user `rid` (and its memberships).
    pub fn delete_user(&self, rid: u32) -> Result<(), NtStatus> {
        let user = self.user(rid)?;
        let sid = self
            .domain()?
            .sid
            .with_rid(rid)
            .map_err(|_| NtStatus::INVALID_SID)?;
        self.store.delete_user(rid, &sid).map_err(store_status)?;
        if let Some(m) = &self.mirror {
            m.user_deleted(&user);
        }
        Ok(())
    }

    /// Sets user `rid`'s password: checked against the policy, the old hash moved into
    /// the history, PasswordLastSet now (or 0 with `expired`, forcing a change at the
    /// next logon), a lockout cleared.
    pub fn set_password(
        &self,
        rid: u32,
        password: &NewPassword,
        source: PasswordSource,
        expired: bool,
    ) -> Result<(), NtStatus> {
        let mut user = self.user(rid)?;
        let domain = self.domain()?;
        let now = model::now();
        policy::check(
            &domain.password,
            &user,
            password.text.as_deref(),
            &password.hash,
            source,
            now,
        )?;
        if let Some(old) = user.nt_hash.take() {
            user.history.insert(0, old);
        }
        let keep = usize::from(domain.password.history_length.max(1));
        user.history.truncate(keep);
        user.nt_hash = Some(password.hash);
        user.password_last_set = if expired { 0 } else { now };
        user.bad_password_count = 0;
        user.lockout_time = 0;
        self.store.update_user(&user).map_err(store_status)
    }

    /// A user changing their own password, proving the old NT hash. A wrong old hash
    /// counts as a bad password (STATUS_WRONG_PASSWORD, or ACCOUNT_LOCKED_OUT).
    pub fn change_password(
        &self,
        rid: u32,
        old_hash: &[u8; 16],
        new: &NewPassword,
    ) -> Result<(), NtStatus> {
        let user = self.user(rid)?;
        let domain = self.domain()?;
        if self.locked_out(&user, &domain, model::now()) {
            return Err(NtStatus::ACCOUNT_LOCKED_OUT);
        }
        let current = self.effective_hash(&user);
        if current.map(|h| ct_eq(&h, old_hash)) != Some(true) {
            self.count_bad_password(user, &domain);
            return Err(NtStatus::WRONG_PASSWORD);
        }
        if domain.password.properties & model::DOMAIN_REFUSE_PASSWORD_CHANGE != 0 {
            return Err(NtStatus::PASSWORD_RESTRICTION);
        }
        self.set_password(rid, new, PasswordSource::Change, false)
    }

    /// The policy rule `new` breaks as user `rid`'s next password from `source`, if any
    /// (the reason a change refused with STATUS_PASSWORD_RESTRICTION reports).
    pub fn password_refusal(
        &self,
        rid: u32,
        new: &NewPassword,
        source: PasswordSource,
    ) -> Option<policy::Refusal> {
        let user = self.user(rid).ok()?;
        let domain = self.domain().ok()?;
        policy::refusal(
            &domain.password,
            &user,
            new.text.as_deref(),
            &new.hash,
            source,
            model::now(),
        )
    }

    /// The hash a logon verifies against: the stored one, or the empty password's for an
    /// account without one that needs none.
    pub fn effective_hash(&self, user: &User) -> Option<[u8; 16]> {
        match user.nt_hash {
            Some(h) => Some(h),
            None if user.acb & Acb::PWNOTREQ.0 != 0 => Some(lwio_auth::ntlm::nt_hash("").0),
            None => None,
        }
    }

    /// Whether `user` is locked out at `now`.
    pub fn locked_out(&self, user: &User, domain: &Domain, now: i64) -> bool {
        user.lockout_time != 0
            && (domain.lockout.duration == 0
                || domain.lockout.duration == NEVER
                || now < user.lockout_time.saturating_add(domain.lockout.duration))
    }

    /// Whether `user`'s password has expired at `now` (never for PWNOEXP accounts or with
    /// no maximum age).
    pub fn password_expired(&self, user: &User, domain: &Domain, now: i64) -> bool {
        user.acb & Acb::PWNOEXP.0 == 0
            && user.password_last_set != 0
            && domain.password.max_age != 0
            && domain.password.max_age != NEVER
            && now
                >= user
                    .password_last_set
                    .saturating_add(domain.password.max_age)
    }

    /// A password for user `rid` did not verify (a change call's proof): counts toward
    /// lockout; the status to answer (WRONG_PASSWORD, or ACCOUNT_LOCKED_OUT once locked).
    pub fn note_bad_password(&self, rid: u32) -> NtStatus {
        let (Ok(user), Ok(domain)) = (self.user(rid), self.domain()) else {
            return NtStatus::WRONG_PASSWORD;
        };
        match self.count_bad_password(user, &domain) {
            NtStatus::LOGON_FAILURE => NtStatus::WRONG_PASSWORD,
            other => other,
        }
    }

    fn count_bad_password(&self, mut user: User, domain: &Domain) -> NtStatus {
        let now = model::now();
        if user.bad_password_time != 0
            && now >= user.bad_password_time.saturating_add(domain.lockout.window)
        {
            user.bad_password_count = 0;
        }
        user.bad_password_count = user.bad_password_count.saturating_add(1);
        user.bad_password_time = now;
        let threshold = domain.lockout.threshold;
        let locks = threshold > 0 && user.bad_password_count >= threshold;
        if locks && user.lockout_time == 0 {
            user.lockout_time = now;
        }
        if let Err(e) = self.store.update_user(&user) {
            return store_status(e);
        }
        if locks {
            NtStatus::ACCOUNT_LOCKED_OUT
        } else {
            NtStatus::LOGON_FAILURE
        }
    }

    /// The checks of a verified logon (MS-APDS 3.1.5): disabled, locked out, expired,
    /// password to be changed, password expired.
    pub fn logon_restrictions(&self, user: &User, domain: &Domain) -> Result<(), NtStatus> {
        let now = model::now();
        if user.acb & Acb::DISABLED.0 != 0 {
            return Err(NtStatus::ACCOUNT_DISABLED);
        }
        if self.locked_out(user, domain, now) {
            return Err(NtStatus::ACCOUNT_LOCKED_OUT);
        }
        if user.account_expires != 0 && user.account_expires != NEVER && now >= user.account_expires
        {
            return Err(NtStatus::ACCOUNT_EXPIRED);
        }
        if user.password_last_set == 0 && user.acb & Acb::PWNOTREQ.0 == 0 {
            return Err(NtStatus::PASSWORD_MUST_CHANGE);
        }
        if self.password_expired(user, domain, now) {
            return Err(NtStatus::PASSWORD_EXPIRED);
        }
        Ok(())
    }

    // ---------------------------------------------------------------- groups

    /// The group or alias `rid` of `domain`, of `kind`.
    pub fn group(&self, domain: DomainKind, kind: GroupKind, rid: u32) -> Result<Group, NtStatus> {
        let missing = match kind {
            GroupKind::Group => NtStatus::NO_SUCH_GROUP,
            GroupKind::Alias => NtStatus::NO_SUCH_ALIAS,
        };
        match self.store.group(domain, rid).map_err(store_status)? {
            Some(g) if g.kind == kind => Ok(g),
            _ => Err(missing),
        }
    }

    /// Every group or alias of `domain` of `kind`.
    pub fn groups(&self, domain: DomainKind, kind: GroupKind) -> Result<Vec<Group>, NtStatus> {
        self.store.groups(domain, kind).map_err(store_status)
    }

    /// Creates a group (account domain) or alias named `name`.
    pub fn create_group(
        &self,
        domain: DomainKind,
        kind: GroupKind,
        name: &str,
    ) -> Result<Group, NtStatus> {
        check_account_name(name)?;
        if domain == DomainKind::Account {
            self.name_free(name)?;
        } else if self
            .store
            .group_by_name(domain, name)
            .map_err(store_status)?
            .is_some()
        {
            return Err(NtStatus::ALIAS_EXISTS);
        }
        let group = Group {
            domain,
            kind,
            rid: 0,
            name: name.to_owned(),
            description: String::new(),
            attributes: if kind == GroupKind::Group { 7 } else { 0 },
            gid: 0,
            sd: None,
        };
        let g = self.store.create_group(group).map_err(store_status)?;
        if let Some(m) = &self.mirror {
            m.group_added(&g);
        }
        Ok(g)
    }

    /// Writes back a changed group record.
    pub fn update_group(&self, g: &Group) -> Result<(), NtStatus> {
        let old = self.group(g.domain, g.kind, g.rid)?;
        if !old.name.eq_ignore_ascii_case(&g.name) {
            check_account_name(&g.name)?;
            if g.domain == DomainKind::Account {
                self.name_free(&g.name)?;
            } else if self
                .store
                .group_by_name(g.domain, &g.name)
                .map_err(store_status)?
                .is_some()
            {
                return Err(NtStatus::ALIAS_EXISTS);
            }
        }
        self.store.update_group(g).map_err(store_status)?;
        if let Some(m) = &self.mirror {
            m.group_changed(&old, g);
        }
        Ok(())
    }

    /// Deletes a group or alias.
    pub fn delete_group(&self, g: &Group) -> Result<(), NtStatus> {
        let sid = self
            .domain_sid(g.domain)?
            .with_rid(g.rid)
            .map_err(|_| NtStatus::INVALID_SID)?;
        self.store
            .delete_group(g.domain, g.rid, &sid)
            .map_err(store_status)?;
        if let Some(m) = &self.mirror {
            m.group_deleted(g);
        }
        Ok(())
    }

    /// Adds user `user` to account group `group`.
    pub fn add_group_member(&self, group: u32, user: u32) -> Result<(), NtStatus> {
        let g = self.group(DomainKind::Account, GroupKind::Group, group)?;
        let u = self.user(user)?;
        match self.store.add_group_member(group, user, 7) {
            Ok(()) => {}
            Err(StoreError::AlreadyMember) => return Err(NtStatus::MEMBER_IN_GROUP),
            Err(e) => return Err(store_status(e)),
        }
        if let Some(m) = &self.mirror {
            m.membership(&g, &u.name, true);
        }
        Ok(())
    }

    /// Removes user `user` from account group `group`; the primary group cannot be left
    /// (STATUS_MEMBERS_PRIMARY_GROUP).
    pub fn remove_group_member(&self, group: u32, user: u32) -> Result<(), NtStatus> {
        let g = self.group(DomainKind::Account, GroupKind::Group, group)?;
        let u = self.user(user)?;
        if u.primary_group == group {
            return Err(NtStatus::MEMBERS_PRIMARY_GROUP);
        }
        match self.store.remove_group_member(group, user) {
            Ok(()) => {}
            Err(StoreError::NotMember) => return Err(NtStatus::MEMBER_NOT_IN_GROUP),
            Err(e) => return Err(store_status(e)),
        }
        if let Some(m) = &self.mirror {
            m.membership(&g, &u.name, false);
        }
        Ok(())
    }

    /// Adds `member` to alias `rid` of `domain`.
    pub fn add_alias_member(
        &self,
        domain: DomainKind,
        rid: u32,
        member: &Sid,
    ) -> Result<(), NtStatus> {
        let g = self.group(domain, GroupKind::Alias, rid)?;
        match self.store.add_alias_member(domain, rid, member) {
            Ok(()) => {}
            Err(StoreError::AlreadyMember) => return Err(NtStatus::MEMBER_IN_ALIAS),
            Err(e) => return Err(store_status(e)),
        }
        if let (Some(m), Some(name)) = (&self.mirror, self.local_user_name(member)) {
            m.membership(&g, &name, true);
        }
        Ok(())
    }

    /// Removes `member` from alias `rid` of `domain`.
    pub fn remove_alias_member(
        &self,
        domain: DomainKind,
        rid: u32,
        member: &Sid,
    ) -> Result<(), NtStatus> {
        let g = self.group(domain, GroupKind::Alias, rid)?;
        match self.store.remove_alias_member(domain, rid, member) {
            Ok(()) => {}
            Err(StoreError::NotMember) => return Err(NtStatus::MEMBER_NOT_IN_ALIAS),
            Err(e) => return Err(store_status(e)),
        }
        if let (Some(m), Some(name)) = (&self.mirror, self.local_user_name(member)) {
            m.membership(&g, &name, false);
        }
        Ok(())
    }

    fn local_user_name(&self, sid: &Sid) -> Option<String> {
        let (dom, rid) = sid.domain_and_rid()?;
        if dom != self.domain().ok()?.sid {
            return None;
        }
        self.user(rid).ok().map(|u| u.name)
    }

    /// The aliases of `domain` that any of `sids` is a direct member of.
    pub fn aliases_of(&self, domain: DomainKind, sids: &[Sid]) -> Result<Vec<u32>, NtStatus> {
        self.store.aliases_of(domain, sids).map_err(store_status)
    }

    // ---------------------------------------------------------------- lookups

    /// Resolves `name` in `domain` (SamrLookupNamesInDomain): users, groups and aliases of
    /// the account domain, aliases of Builtin.
    pub fn lookup_name(
        &self,
        domain: DomainKind,
        name: &str,
    ) -> Result<Option<Resolved>, NtStatus> {
        let d = self.domain()?;
        let domain_name = match domain {
            DomainKind::Account => d.name.clone(),
            DomainKind::Builtin => BUILTIN_NAME.to_owned(),
        };
        let dsid = self.domain_sid(domain)?;
        if domain == DomainKind::Account {
            if let Some(u) = self.store.user_by_name(name).map_err(store_status)? {
                return Ok(Some(Resolved {
                    sid: dsid.with_rid(u.rid).map_err(|_| NtStatus::INVALID_SID)?,
                    name: u.name,
                    domain_name,
                    kind: SidType::User,
                }));
            }
        }
        Ok(self
            .store
            .group_by_name(domain, name)
            .map_err(store_status)?
            .and_then(|g| {
                Some(Resolved {
                    sid: dsid.with_rid(g.rid).ok()?,
                    name: g.name,
                    domain_name,
                    kind: match g.kind {
                        GroupKind::Group => SidType::Group,
                        GroupKind::Alias => SidType::Alias,
                    },
                })
            }))
    }

    /// Resolves `rid` in `domain` (SamrLookupIdsInDomain).
    pub fn lookup_rid(&self, domain: DomainKind, rid: u32) -> Result<Option<Resolved>, NtStatus> {
        let d = self.domain()?;
        let domain_name = match domain {
            DomainKind::Account => d.name.clone(),
            DomainKind::Builtin => BUILTIN_NAME.to_owned(),
        };
        let sid = self
            .domain_sid(domain)?
            .with_rid(rid)
            .map_err(|_| NtStatus::INVALID_SID)?;
        if domain == DomainKind::Account {
            if let Some(u) = self.store.user(rid).map_err(store_status)? {
                return Ok(Some(Resolved {
                    sid,
                    name: u.name,
                    domain_name,
                    kind: SidType::User,
                }));
            }
        }
        Ok(self
            .store
            .group(domain, rid)
            .map_err(store_status)?
            .map(|g| Resolved {
                sid,
                name: g.name,
                domain_name,
                kind: match g.kind {
                    GroupKind::Group => SidType::Group,
                    GroupKind::Alias => SidType::Alias,
                },
            }))
    }

    /// Resolves a qualified or bare name for the LSA (LsarLookupNames): `DOMAIN\name`,
    /// `name`, the domain names themselves; the account domain is searched before Builtin.
    pub fn lookup_any_name(&self, name: &str) -> Result<Option<Resolved>, NtStatus> {
        let d = self.domain()?;
        let (dom, bare) = match name.split_once('\\') {
            Some((dom, bare)) => (Some(dom), bare),
            None => (None, name),
        };
        let domains = [
            (DomainKind::Account, d.name.as_str()),
            (DomainKind::Builtin, BUILTIN_NAME),
        ];
        for (kind, dname) in domains {
            if dom.is_some_and(|x| !x.eq_ignore_ascii_case(dname)) {
                continue;
            }
            if bare.eq_ignore_ascii_case(dname) || (dom.is_some() && bare.is_empty()) {
                return Ok(Some(Resolved {
                    sid: self.domain_sid(kind)?,
                    name: dname.to_owned(),
                    domain_name: dname.to_owned(),
                    kind: SidType::Domain,
                }));
            }
            if let Some(r) = self.lookup_name(kind, bare)? {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Resolves a SID for the LSA (LsarLookupSids): the two domains and their accounts.
    pub fn lookup_sid(&self, sid: &Sid) -> Result<Option<Resolved>, NtStatus> {
        let d = self.domain()?;
        for (kind, dname) in [
            (DomainKind::Account, d.name.as_str()),
            (DomainKind::Builtin, BUILTIN_NAME),
        ] {
            let dsid = self.domain_sid(kind)?;
            if *sid == dsid {
                return Ok(Some(Resolved {
                    sid: *sid,
                    name: dname.to_owned(),
                    domain_name: dname.to_owned(),
                    kind: SidType::Domain,
                }));
            }
            if let Some((parent, rid)) = sid.domain_and_rid() {
                if parent == dsid {
                    return self.lookup_rid(kind, rid);
                }
            }
        }
        Ok(None)
    }

    /// The rights and privileges `sid` holds directly (LsarEnumerateAccountRights).
    pub fn rights(&self, sid: &Sid) -> Result<Vec<String>, NtStatus> {
        self.store.rights(sid).map_err(store_status)
    }

    /// Replaces the rights `sid` holds directly (LsarAddAccountRights and
    /// LsarRemoveAccountRights read, change and write this).
    pub fn set_rights(&self, sid: &Sid, rights: &[String]) -> Result<(), NtStatus> {
        self.store.set_rights(sid, rights).map_err(store_status)
    }

    // ---------------------------------------------------------------- tokens

    /// The SIDs a user's token holds besides its own: its account groups (the primary
    /// first), the well-known groups of a network logon, and every alias (account domain
    /// and Builtin) any of those is a member of.
    pub fn token_groups(&self, user: &User, domain: &Domain) -> Result<Vec<Sid>, NtStatus> {
        let dsid = &domain.sid;
        let mut groups: Vec<Sid> = Vec::new();
        let push = |groups: &mut Vec<Sid>, s: Sid| {
            if !groups.contains(&s) {
                groups.push(s);
            }
        };
        if let Ok(s) = dsid.with_rid(user.primary_group) {
            push(&mut groups, s);
        }
        for g in self.store.groups_of_user(user.rid).map_err(store_status)? {
            if let Ok(s) = dsid.with_rid(g) {
                push(&mut groups, s);
            }
        }
        for s in [
            well_known::WORLD,
            well_known::AUTHENTICATED_USERS,
            well_known::NETWORK,
        ] {
            push(&mut groups, s);
        }
        let mut members = vec![dsid.with_rid(user.rid).map_err(|_| NtStatus::INVALID_SID)?];
        members.extend(groups.iter().cloned());
        for kind in [DomainKind::Account, DomainKind::Builtin] {
            let base = self.domain_sid(kind)?;
            for rid in self.aliases_of(kind, &members)? {
                if let Ok(s) = base.with_rid(rid) {
                    push(&mut groups, s);
                }
            }
        }
        Ok(groups)
    }

    /// The privileges the rights table gives to `sids`.
    pub fn privileges_of(&self, sids: &[Sid]) -> Result<Privileges, NtStatus> {
        let mut privileges = Privileges::NONE;
        for sid in sids {
            for name in self.rights(sid)? {
                if let Some(p) = Privilege::from_name(&name) {
                    privileges = privileges.with(p);
                }
            }
        }
        Ok(privileges)
    }

    /// The access token of a logon by `user` (see the crate documentation for its shape).
    pub fn token_for(&self, user: &User) -> Result<AccessToken, NtStatus> {
        let domain = self.domain()?;
        let sid = domain
            .sid
            .with_rid(user.rid)
            .map_err(|_| NtStatus::INVALID_SID)?;
        let mut groups = self.token_groups(user, &domain)?;
        let mut all = vec![sid];
        all.extend(groups.iter().cloned());
        let privileges = self.privileges_of(&all)?;
        let primary_gid = self
            .store
            .group(DomainKind::Account, user.primary_group)
            .map_err(store_status)?
            .map_or(user.uid, |g| g.gid);
        let mut unix_groups = vec![primary_gid];
        for g in self.store.groups_of_user(user.rid).map_err(store_status)? {
            if let Some(g) = self
                .store
                .group(DomainKind::Account, g)
                .map_err(store_status)?
            {
                if !unix_groups.contains(&g.gid) && g.gid != 0 {
                    unix_groups.push(g.gid);
                }
            }
        }
        groups.push(well_known::unix_user(user.uid));
        for gid in &unix_groups {
            groups.push(well_known::unix_group(*gid));
        }
        let primary = domain
            .sid
            .with_rid(rid::NONE_GROUP)
            .map_err(|_| NtStatus::INVALID_SID)?;
        // Administrators may own what its members make (SE_GROUP_OWNER), as on Windows.
        let admins = groups.contains(&well_known::BUILTIN_ADMINISTRATORS);
        groups.retain(|g| *g != well_known::BUILTIN_ADMINISTRATORS);
        let mut token = AccessToken::new(sid).with_groups(groups);
        if admins {
            token = token.with_group(
                well_known::BUILTIN_ADMINISTRATORS,
                GroupAttributes::DEFAULT | GroupAttributes::OWNER,
            );
        }
        Ok(token
            .with_privileges(privileges)
            .with_unix(UnixIdentity {
                uid: user.uid,
                gid: primary_gid,
                groups: unix_groups,
            })
            .with_owner(sid)
            .with_primary_group(primary))
    }

    /// Everything a logon by `user` checks, and its token.
    fn logon_checks(&self, user: &str, domain: &str) -> Result<(User, AccessToken), NtStatus> {
        if !self.our_domain(domain) {
            return Err(NtStatus::LOGON_FAILURE);
        }
        let u = self
            .user_by_name(user)
            .map_err(|_| NtStatus::LOGON_FAILURE)?;
        let d = self.domain()?;
        self.logon_restrictions(&u, &d)?;
        let token = self.token_for(&u)?;
        let mut sids = vec![token.user];
        sids.extend(token.groups.iter().copied());
        self.check_network_logon(&sids)?;
        Ok((u, token))
    }

    /// Whether the account named `user` may be used from `domain` (the store's own name,
    /// the empty domain, `.` and the machine name are all this SAM).
    fn our_domain(&self, domain: &str) -> bool {
        domain.is_empty()
            || domain == "."
            || self
                .domain()
                .map(|d| d.name.eq_ignore_ascii_case(domain))
                .unwrap_or(false)
            || domain.eq_ignore_ascii_case("WORKGROUP")
    }
}

/// Account names: 1 to 20 characters (MS-SAMR 3.1.5.4.4 / 3.1.1.6), none of
/// `"/\[]:|<>+=;?,*` or control characters, not only dots and spaces.
pub fn check_account_name(name: &str) -> Result<(), NtStatus> {
    let n = name.chars().count();
    if n == 0 || n > 256 {
        return Err(NtStatus::INVALID_ACCOUNT_NAME);
    }
    if name
        .chars()
        .any(|c| c.is_control() || "\"/\\[]:|<>+=;?,*@".contains(c))
        || name.chars().all(|c| c == '.' || c == ' ')
    {
        return Err(NtStatus::INVALID_ACCOUNT_NAME);
    }
    Ok(())
}

fn ct_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

impl AccountSource for Sam {
    fn nt_hash(&self, user: &str, domain: &str) -> Option<NtHash> {
        let mut hash = None;
        self.store.read_snapshot(&mut || {
            if self.our_domain(domain) {
                hash = self
                    .store
                    .user_by_name(user)
                    .ok()
                    .flatten()
                    .and_then(|u| self.effective_hash(&u));
            }
        });
        hash.map(NtHash)
    }

    fn logon(&self, user: &str, domain: &str) -> Result<AccessToken, NtStatus> {
        // The reads in one snapshot, the record of the logon after it (a write inside
        // the read transaction could find the snapshot stale and fail).
        let mut checked = Err(NtStatus::LOGON_FAILURE);
        self.store.read_snapshot(&mut || {
            checked = self.logon_checks(user, domain);
        });
        let (u, token) = checked?;
        self.store
            .record_logon(u.rid, model::now(), u.logon_count.saturating_add(1))
            .map_err(store_status)?;
        Ok(token)
    }

    fn logon_failed(&self, user: &str, domain: &str) -> NtStatus {
        if !self.our_domain(domain) {
            return NtStatus::LOGON_FAILURE;
        }
        let (Ok(u), Ok(d)) = (self.user_by_name(user), self.domain()) else {
            return NtStatus::LOGON_FAILURE;
        };
        if self.locked_out(&u, &d, model::now()) {
            return NtStatus::ACCOUNT_LOCKED_OUT;
        }
        self.count_bad_password(u, &d)
    }

    fn guest_token(&self) -> Option<AccessToken> {
        let u = self.user(rid::GUEST).ok()?;
        if u.acb & Acb::DISABLED.0 != 0 {
            return None;
        }
        let d = self.domain().ok()?;
        let sid = d.sid.with_rid(rid::GUEST).ok()?;
        let mut groups = vec![well_known::WORLD, well_known::NETWORK];
        for rid in self.aliases_of(DomainKind::Builtin, &[sid]).ok()? {
            groups.push(well_known::BUILTIN.with_rid(rid).ok()?);
        }
        groups.push(well_known::unix_user(u.uid));
        Some(
            AccessToken::new(sid)
                .with_groups(groups)
                .with_owner(sid)
                .with_primary_group(d.sid.with_rid(rid::NONE_GROUP).ok()?),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use lwio_core::security::Privilege;

    use super::*;

    fn ready(sam: &Sam, name: &str, pw: &str) -> User {
        let u = sam.create_user(name, Acb::NORMAL).unwrap();
        sam.set_password(u.rid, &NewPassword::plain(pw), PasswordSource::Reset, false)
            .unwrap();
        let mut u = sam.user(u.rid).unwrap();
        u.acb &= !(Acb::DISABLED.0 | Acb::PWNOTREQ.0);
        sam.update_user(&u).unwrap();
        u
    }

    #[test]
    fn logon_restrictions_give_windows_statuses() {
        let sam = Sam::in_memory("T").unwrap();
        let u = ready(&sam, "ann", "pw");
        assert!(sam.logon("ann", "T").is_ok());
        assert_eq!(sam.logon("ann", "OTHER"), Err(NtStatus::LOGON_FAILURE));

        let mut x = u.clone();
        x.account_expires = 1;
        sam.update_user(&x).unwrap();
        assert_eq!(sam.logon("ann", ""), Err(NtStatus::ACCOUNT_EXPIRED));

        let mut x = u.clone();
        x.password_last_set = 0;
        sam.update_user(&x).unwrap();
        assert_eq!(sam.logon("ann", ""), Err(NtStatus::PASSWORD_MUST_CHANGE));

        let mut x = u.clone();
        x.password_last_set = 1;
        sam.update_user(&x).unwrap();
        assert_eq!(sam.logon("ann", ""), Err(NtStatus::PASSWORD_EXPIRED));
        x.acb |= Acb::PWNOEXP.0;
        sam.update_user(&x).unwrap();
        assert!(sam.logon("ann", "").is_ok());
    }

    #[test]
    fn bad_passwords_lock_the_account_per_the_policy() {
        let sam = Sam::in_memory("T").unwrap();
        ready(&sam, "bea", "pw");
        let mut d = sam.domain().unwrap();
        d.lockout.threshold = 3;
        sam.set_domain(d).unwrap();
        assert_eq!(sam.logon_failed("bea", ""), NtStatus::LOGON_FAILURE);
        assert_eq!(sam.logon_failed("bea", ""), NtStatus::LOGON_FAILURE);
        assert_eq!(sam.logon_failed("bea", ""), NtStatus::ACCOUNT_LOCKED_OUT);
        assert_eq!(sam.logon("bea", ""), Err(NtStatus::ACCOUNT_LOCKED_OUT));
        // A reset by an administrator unlocks.
        let rid = sam.user_by_name("bea").unwrap().rid;
        sam.set_password(
            rid,
            &NewPassword::plain("pw2"),
            PasswordSource::Reset,
            false,
        )
        .unwrap();
        assert!(sam.logon("bea", "").is_ok());
    }

    #[test]
    fn tokens_carry_groups_aliases_privileges_and_unix_ids() {
        let sam = Sam::in_memory("T").unwrap();
        let u = ready(&sam, "cat", "pw");
        let d = sam.domain().unwrap();
        let sid = d.sid.with_rid(u.rid).unwrap();
        let t = sam.logon("cat", "").unwrap();
        assert_eq!(t.user, sid);
        assert_eq!(t.owner, Some(sid));
        assert_eq!(t.primary_group, Some(d.sid.with_rid(513).unwrap()));
        for g in [
            d.sid.with_rid(513).unwrap(),
            well_known::WORLD,
            well_known::AUTHENTICATED_USERS,
            well_known::NETWORK,
            well_known::BUILTIN_USERS,
            well_known::unix_user(u.uid),
        ] {
            assert!(t.contains_sid(&g), "{g}");
        }
        assert_eq!(t.unix.as_ref().map(|x| x.uid), Some(u.uid));
        assert!(!t.has_privilege(Privilege::Backup));
        assert!(t.has_privilege(Privilege::ChangeNotify));

        sam.add_alias_member(DomainKind::Builtin, rid::ADMINISTRATORS, &sid)
            .unwrap();
        let t = sam.logon("cat", "").unwrap();
        assert!(t.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        for p in [
            Privilege::Backup,
            Privilege::Restore,
            Privilege::TakeOwnership,
            Privilege::Security,
        ] {
            assert!(t.has_privilege(p), "{p}");
        }
        // Guest is disabled: no guest token until enabled.
        assert!(sam.guest_token().is_none());
    }

    #[test]
    fn lookups_for_the_lsa() {
        let sam = Sam::in_memory("T").unwrap();
        let u = ready(&sam, "dan", "pw");
        let r = sam.lookup_any_name("T\\dan").unwrap().unwrap();
        assert_eq!((r.kind, r.sid.rid()), (SidType::User, Some(u.rid)));
        let r = sam.lookup_any_name("administrators").unwrap().unwrap();
        assert_eq!(
            (r.kind, r.domain_name.as_str()),
            (SidType::Alias, BUILTIN_NAME)
        );
        let r = sam.lookup_sid(&well_known::BUILTIN).unwrap().unwrap();
        assert_eq!(r.kind, SidType::Domain);
        let r = sam
            .lookup_sid(&r.sid.with_rid(544).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(r.name, "Administrators");
        assert!(sam.lookup_any_name("nobody").unwrap().is_none());
        assert!(
            sam.rights(&well_known::BUILTIN_ADMINISTRATORS)
                .unwrap()
                .contains(&"SeBackupPrivilege".to_owned())
        );
    }
}
