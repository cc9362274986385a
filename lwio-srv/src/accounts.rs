//! Who may log on, and the access token a logon produces.
//!
//! Session setup and the RPC binds ask an [`AccountSource`] (lwio-auth's seam): the NT
//! hash NTLMv2 needs, then the token of the authenticated user. [`MemoryAccounts`] is a
//! store held in memory, built from the configuration; the SAM of `lwio-samr` implements
//! the same trait.
//!
//! # The token of a [`MemoryAccounts`] user
//!
//! - user SID `S-1-5-21-<machine>-<rid>`, with rids from 1000 in configuration order and
//!   a machine part derived from the host name (stable across restarts);
//! - groups Everyone (S-1-1-0), Authenticated Users (S-1-5-11), Builtin Users
//!   (S-1-5-32-545), and Builtin Administrators (S-1-5-32-544) for an `admin` account;
//! - the Unix SIDs of the server process's own uid and gid (`S-1-22-1-<uid>`,
//!   `S-1-22-2-<gid>`), also as the owner and primary group of new files, and the matching
//!   Unix identity. PVFS derives a file's descriptor from its POSIX owner, group and mode
//!   when none is stored, naming the owner by those Unix SIDs; since every file the server
//!   creates belongs to the process, each account gets what the process's own user would.

use std::collections::HashMap;
use std::sync::Arc;

use lwio_auth::ntlm::NtHash;
use lwio_core::security::well_known;
use lwio_core::security::{Sid, UnixIdentity};
use lwio_core::{AccessToken, NtStatus};

use crate::config::UserConfig;

/// The rid of the built-in Guest account.
pub const GUEST_RID: u32 = 501;

pub use lwio_auth::accounts::AccountSource;

struct Account {
    nt_hash: [u8; 16],
    rid: u32,
    admin: bool,
}

/// Accounts held in memory.
pub struct MemoryAccounts {
    machine: Sid,
    users: HashMap<String, Account>,
    unix: UnixIdentity,
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

impl MemoryAccounts {
    /// A store of `users`, mapped onto the Unix identity of the running process.
    pub fn new(users: &[UserConfig]) -> Self {
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        let mut map = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            map.insert(
                u.name.to_lowercase(),
                Account {
                    nt_hash: lwio_auth::ntlm::nt_hash(&u.password).0,
                    rid: 1000 + i as u32,
                    admin: u.admin,
                },
            );
        }
        MemoryAccounts {
            machine: machine_sid(),
            users: map,
            unix: UnixIdentity {
                uid,
                gid,
                groups: vec![gid],
            },
        }
    }

    /// A shareable store.
    pub fn shared(users: &[UserConfig]) -> Arc<dyn AccountSource> {
        Arc::new(MemoryAccounts::new(users))
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
        Some(AccessToken::new(sid).with_groups([well_known::WORLD, well_known::BUILTIN_GUESTS]))
    }
}

impl MemoryAccounts {
    /// The token of `user`, `None` when there is no such account.
    pub fn token(&self, user: &str) -> Option<AccessToken> {
        let a = self.users.get(&user.to_lowercase())?;
        let sid = self.machine.with_rid(a.rid).ok()?;
        let owner = well_known::unix_user(self.unix.uid);
        let group = well_known::unix_group(self.unix.gid);
        let mut groups = vec![
            well_known::WORLD,
            well_known::AUTHENTICATED_USERS,
            well_known::BUILTIN_USERS,
            owner,
            group,
        ];
        if a.admin {
            groups.push(well_known::BUILTIN_ADMINISTRATORS);
        }
        Some(
            AccessToken::new(sid)
                .with_groups(groups)
                .with_unix(self.unix.clone())
                .with_owner(owner)
                .with_primary_group(group),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_the_documented_sids() {
        let s = MemoryAccounts::new(&[
            UserConfig {
                name: "Alice".into(),
                password: "pw".into(),
                admin: false,
            },
            UserConfig {
                name: "root".into(),
                password: "x".into(),
                admin: true,
            },
        ]);
        assert_eq!(
            s.nt_hash("alice", "WORKGROUP"),
            Some(lwio_auth::ntlm::nt_hash("pw"))
        );
        assert!(s.nt_hash("bob", "").is_none());
        let t = s.token("ALICE").unwrap();
        assert!(t.user.to_string().starts_with("S-1-5-21-"));
        assert!(t.user.to_string().ends_with("-1000"));
        assert!(t.contains_sid(&well_known::AUTHENTICATED_USERS));
        let uid = rustix::process::getuid().as_raw();
        assert!(t.contains_sid(&well_known::unix_user(uid)));
        assert!(!t.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        assert!(
            s.token("root")
                .unwrap()
                .contains_sid(&well_known::BUILTIN_ADMINISTRATORS)
        );
    }
}
