//! Who may log on, and the access token a logon produces.
//!
//! Session setup and the RPC binds ask an [`AccountSource`] (lwio-auth's seam): the NT
//! hash NTLMv2 needs, then the token of the authenticated user. [`MemoryAccounts`] is a
//! store held in memory, built from the configuration; the SAM of `lwio-samr` implements
//! the same trait and builds the same tokens.
//!
//! # The token of an account
//!
//! Accounts are kept apart: no token holds the server process's own Unix identity, so no
//! account owns what the server owns or what another account made.
//!
//! - user SID `S-1-5-21-<machine>-<rid>`, with rids from 1000 in configuration order and a
//!   machine part derived from the host name (stable across restarts);
//! - groups, in this order: the machine domain's None group (`S-1-5-21-<machine>-513`, also
//!   the primary group), Everyone (S-1-1-0), Authenticated Users (S-1-5-11), NETWORK
//!   (S-1-5-2), Builtin Users (S-1-5-32-545), Builtin Administrators (S-1-5-32-544, with
//!   SE_GROUP_OWNER) for an `admin` account, and the account's own Unix SIDs
//!   `S-1-22-1-<uid>` and `S-1-22-2-<gid>`;
//! - privileges: SeChangeNotifyPrivilege for everyone; an administrator also gets what
//!   Windows gives Administrators and a file server consults (SeSecurityPrivilege,
//!   SeTakeOwnershipPrivilege, SeBackupPrivilege, SeRestorePrivilege,
//!   SeManageVolumePrivilege);
//! - the default owner of new objects is the user SID;
//! - a Unix identity of its own: uid and gid (the same number, a private group) taken in
//!   configuration order from the `unix_id_range` setting (default 70000-79999), skipping
//!   the server process's own uid and gid and `nobody` (65534). PVFS gives the files an
//!   account creates to that identity, and derives the descriptor of a file without a
//!   stored one from its Unix owner, so each account owns its own files and only those.
//!   The numbers follow the order of the configuration until the SAM keeps them.
//!
//! The Guest account (rid 501, for a guest logon when the server allows it) holds Everyone
//! and Builtin Guests (S-1-5-32-546) and the Unix identity of `nobody` (65534:65534).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use lwio_auth::ntlm::NtHash;
use lwio_core::security::well_known;
use lwio_core::security::{GroupAttributes, Privilege, Privileges, Sid, UnixIdentity};
use lwio_core::{AccessToken, NtStatus};

/// One account of the in-memory store: a name, a password, and whether it is an
/// administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// The account name (matched case-insensitively).
    pub name: String,
    /// The password.
    pub password: String,
    /// Members of Builtin Administrators.
    pub admin: bool,
}

impl UserConfig {
    /// An account that is not an administrator.
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> UserConfig {
        UserConfig {
            name: name.into(),
            password: password.into(),
            admin: false,
        }
    }
}

/// The rid of the built-in Guest account.
pub const GUEST_RID: u32 = 501;
/// The rid of the machine domain's None group, every local account's primary group.
pub const DOMAIN_NONE_RID: u32 = 513;
/// The first rid given to configured accounts.
pub const FIRST_USER_RID: u32 = 1000;
/// The Unix id of `nobody`, the Guest account's identity.
pub const NOBODY: u32 = 65534;
/// The default range accounts' Unix ids are taken from.
pub const DEFAULT_UNIX_IDS: RangeInclusive<u32> = 70_000..=79_999;

pub use lwio_auth::accounts::AccountSource;

struct Account {
    nt_hash: [u8; 16],
    rid: u32,
    admin: bool,
    unix_id: Option<u32>,
}

/// Accounts held in memory.
pub struct MemoryAccounts {
    machine: Sid,
    users: HashMap<String, Account>,
}

impl std::fmt::Debug for MemoryAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryAccounts")
            .field("machine", &self.machine.to_string())
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn machine_sid() -> Sid {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "lwio".into());
    // FNV-1a over the host name, split into three sub-authorities.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.trim().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let subs = [21, (h >> 32) as u32, h as u32, (h >> 16) as u32 ^ 0x5a5a];
    Sid::new(5, &subs).unwrap_or(well_known::NULL)
}

/// The Unix ids of `count` accounts, in order, from `range`, skipping the ids in `skip`
/// (the server process's own uid and gid) and `nobody`; an error when the range is too
/// small or starts at 0 (root).
pub fn unix_ids(
    range: &RangeInclusive<u32>,
    count: usize,
    skip: &[u32],
) -> Result<Vec<u32>, String> {
    if *range.start() == 0 || range.start() > range.end() {
        return Err(format!(
            "unix_id_range {}-{}: must be a non-empty range above 0",
            range.start(),
            range.end()
        ));
    }
    let ids: Vec<u32> = range
        .clone()
        .filter(|id| *id != NOBODY && !skip.contains(id))
        .take(count)
        .collect();
    if ids.len() < count {
        return Err(format!(
            "unix_id_range {}-{} holds fewer ids than the {count} accounts",
            range.start(),
            range.end()
        ));
    }
    Ok(ids)
}

/// The server process's own uid and gid, which no account may share.
fn process_ids() -> [u32; 2] {
    [
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    ]
}

impl MemoryAccounts {
    /// A store of `users` with Unix ids from the default range.
    pub fn new(users: &[UserConfig]) -> Self {
        MemoryAccounts::with_unix_ids(users, &DEFAULT_UNIX_IDS)
    }

    /// A store of `users` with Unix ids from `range`. Should the range be too small (a range
    /// checked with [`unix_ids`] first never is), the
    /// accounts it cannot number get no Unix identity: their files stay the server's, and
    /// only their descriptors guard them; this is logged as an error.
    pub fn with_unix_ids(users: &[UserConfig], range: &RangeInclusive<u32>) -> Self {
        let ids = match unix_ids(range, users.len(), &process_ids()) {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!("{e}; accounts beyond the range get no Unix identity");
                range
                    .clone()
                    .filter(|id| *id != 0 && *id != NOBODY && !process_ids().contains(id))
                    .take(users.len())
                    .collect()
            }
        };
        let mut map = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            map.insert(
                u.name.to_lowercase(),
                Account {
                    nt_hash: lwio_auth::ntlm::nt_hash(&u.password).0,
                    rid: FIRST_USER_RID + i as u32,
                    admin: u.admin,
                    unix_id: ids.get(i).copied(),
                },
            );
        }
        MemoryAccounts {
            machine: machine_sid(),
            users: map,
        }
    }

    /// A shareable store with Unix ids from the default range.
    pub fn shared(users: &[UserConfig]) -> Arc<dyn AccountSource> {
        Arc::new(MemoryAccounts::new(users))
    }

    /// The machine domain's SID (`S-1-5-21-<machine>`).
    pub fn machine(&self) -> Sid {
        self.machine
    }
}

impl AccountSource for MemoryAccounts {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        self.users
            .get(&user.to_lowercase())
            .map(|a| NtHash(a.nt_hash))
    }

    fn logon(&self, user: &str, _domain: &str) -> Result<AccessToken, NtStatus> {
        self.token(user).ok_or(NtStatus::LOGON_FAILURE)
    }

    fn guest_token(&self) -> Option<AccessToken> {
        let sid = self
            .machine
            .with_rid(GUEST_RID)
            .unwrap_or(well_known::ANONYMOUS);
        Some(
            AccessToken::new(sid)
                .with_groups([well_known::WORLD, well_known::BUILTIN_GUESTS])
                .with_unix(UnixIdentity {
                    uid: NOBODY,
                    gid: NOBODY,
                    groups: vec![NOBODY],
                })
                .with_owner(sid)
                .with_primary_group(self.machine.with_rid(DOMAIN_NONE_RID).ok()?),
        )
    }
}

impl MemoryAccounts {
    /// The token of `user` (see the module docs), `None` when there is no such account.
    pub fn token(&self, user: &str) -> Option<AccessToken> {
        let a = self.users.get(&user.to_lowercase())?;
        let sid = self.machine.with_rid(a.rid).ok()?;
        let none = self.machine.with_rid(DOMAIN_NONE_RID).ok()?;
        let mut token = AccessToken::new(sid)
            .with_groups([
                none,
                well_known::WORLD,
                well_known::AUTHENTICATED_USERS,
                well_known::NETWORK,
                well_known::BUILTIN_USERS,
            ])
            .with_owner(sid)
            .with_primary_group(none);
        let mut privileges = Privileges::NONE.with(Privilege::ChangeNotify);
        if a.admin {
            token = token.with_group(
                well_known::BUILTIN_ADMINISTRATORS,
                GroupAttributes::DEFAULT | GroupAttributes::OWNER,
            );
            privileges = Privileges::all();
        }
        if let Some(id) = a.unix_id {
            token = token
                .with_group(well_known::unix_user(id), GroupAttributes::DEFAULT)
                .with_group(well_known::unix_group(id), GroupAttributes::DEFAULT)
                .with_unix(UnixIdentity {
                    uid: id,
                    gid: id,
                    groups: vec![id],
                });
        }
        Some(token.with_privileges(privileges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, admin: bool) -> UserConfig {
        UserConfig {
            name: name.into(),
            password: "pw".into(),
            admin,
        }
    }

    #[test]
    fn tokens_carry_the_documented_sids() {
        let s = MemoryAccounts::new(&[user("Alice", false), user("root", true)]);
        assert_eq!(
            s.nt_hash("alice", "WORKGROUP"),
            Some(lwio_auth::ntlm::nt_hash("pw"))
        );
        assert!(s.nt_hash("bob", "").is_none());
        let t = s.token("ALICE").unwrap();
        let machine = s.machine().to_string();
        assert_eq!(t.user.to_string(), format!("{machine}-1000"));
        let none: Sid = format!("{machine}-513").parse().unwrap();
        assert_eq!(t.groups[0], none);
        assert_eq!(t.primary_group, Some(none));
        assert_eq!(t.default_owner(), t.user);
        for g in [
            well_known::WORLD,
            well_known::AUTHENTICATED_USERS,
            well_known::NETWORK,
            well_known::BUILTIN_USERS,
        ] {
            assert!(t.contains_sid(&g), "{g}");
        }
        assert!(!t.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        assert!(t.has_privilege(Privilege::ChangeNotify));
        assert!(!t.has_privilege(Privilege::Restore));
        let admin = s.token("root").unwrap();
        assert!(admin.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        assert!(admin.can_own(&well_known::BUILTIN_ADMINISTRATORS));
        for p in Privilege::ALL {
            assert!(admin.has_privilege(p), "{p}");
        }
    }

    #[test]
    fn accounts_are_kept_apart_from_each_other_and_from_the_server() {
        let [uid, gid] = process_ids();
        let s = MemoryAccounts::new(&[user("a", false), user("b", true), user("c", false)]);
        let mut ids = Vec::new();
        for name in ["a", "b", "c"] {
            let t = s.token(name).unwrap();
            let unix = t.unix.clone().unwrap();
            assert!(DEFAULT_UNIX_IDS.contains(&unix.uid));
            assert_eq!(unix.gid, unix.uid);
            assert!(t.contains_sid(&well_known::unix_user(unix.uid)));
            assert!(t.contains_sid(&well_known::unix_group(unix.gid)));
            // Not the server's own identity, in any form.
            assert!(!t.contains_sid(&well_known::unix_user(uid)));
            assert!(!t.contains_sid(&well_known::unix_group(gid)));
            assert_ne!(unix.uid, uid);
            assert_ne!(t.owner, Some(well_known::unix_user(uid)));
            ids.push(unix.uid);
        }
        // Deterministic, in configuration order.
        assert_eq!(ids, vec![70_000, 70_001, 70_002]);
        let again = MemoryAccounts::new(&[user("a", false), user("b", true), user("c", false)]);
        assert_eq!(again.token("b").unwrap().unix, s.token("b").unwrap().unix);
    }

    #[test]
    fn the_guest_is_nobody() {
        let s = MemoryAccounts::new(&[user("a", false)]);
        let g = s.guest_token().unwrap();
        assert_eq!(g.user.rid(), Some(GUEST_RID));
        assert!(g.contains_sid(&well_known::WORLD) && g.contains_sid(&well_known::BUILTIN_GUESTS));
        assert!(!g.contains_sid(&well_known::AUTHENTICATED_USERS));
        assert_eq!(
            g.unix.as_ref().map(|u| (u.uid, u.gid)),
            Some((NOBODY, NOBODY))
        );
        assert!(g.privileges.iter().next().is_none());
    }

    #[test]
    fn unix_ids_skip_the_server_and_nobody_and_refuse_small_ranges() {
        assert_eq!(unix_ids(&(10..=20), 3, &[11]), Ok(vec![10, 12, 13]));
        assert_eq!(
            unix_ids(&(65533..=65536), 3, &[]),
            Ok(vec![65533, 65535, 65536])
        );
        assert!(unix_ids(&(10..=11), 3, &[]).is_err());
        assert!(unix_ids(&(0..=100), 1, &[]).is_err());
        let (first, last) = (5, 4);
        assert!(unix_ids(&(first..=last), 0, &[]).is_err());
        let custom = MemoryAccounts::with_unix_ids(&[user("x", false)], &(500..=600));
        assert_eq!(custom.token("x").unwrap().unix.map(|u| u.uid), Some(500));
    }
}
