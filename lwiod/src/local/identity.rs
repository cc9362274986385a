//! Who is calling: the access token of a local peer, from the kernel's word on its uid.
//!
//! The daemon asks the kernel for the peer's credentials (SO_PEERCRED, taken when the
//! peer connected); nothing in the protocol names an identity, so a client cannot claim
//! one. The token, in this order of precedence:
//!
//! 1. uid 0: LocalSystem (`AccessToken::system`), an administrator with every privilege;
//! 2. a member of the configured admin group (its primary gid, or listed in the group's
//!    entry of `/etc/group`): the Unix user's SID `S-1-22-1-<uid>` in Builtin
//!    Administrators (which may own what it makes), with every privilege and the peer's
//!    Unix identity;
//! 3. a uid the SAM gives an enabled account (the SAM's Unix mapping): that account's
//!    logon token, as an SMB logon by it would get;
//! 4. anyone else: a token of Unix-derived SIDs only (Samba's "Unix User" and "Unix
//!    Group" SIDs, `S-1-22-1-<uid>`, `S-1-22-2-<gid>`), with Everyone and no privilege
//!    beyond SeChangeNotifyPrivilege. PVFS derives the descriptor of a file without a
//!    stored one from its Unix owner and mode, so this token may do what the uid could.

use std::sync::Arc;

use lwio_core::AccessToken;
use lwio_core::security::well_known;
use lwio_core::security::{GroupAttributes, Privilege, Privileges, UnixIdentity};

/// The credentials the kernel reported for a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerCred {
    /// Its uid.
    pub uid: u32,
    /// Its primary gid.
    pub gid: u32,
}

/// Maps peers to tokens.
#[derive(Clone)]
pub struct Identities {
    admin_group: Option<String>,
    sam: Option<lwio_samr::Sam>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("admin_group", &self.admin_group)
            .field("sam", &self.sam.is_some())
            .finish()
    }
}

impl Identities {
    /// Tokens for peers, with `admin_group`'s members as administrators and `sam`'s Unix
    /// mapping (none without a SAM).
    pub fn new(admin_group: Option<String>, sam: Option<lwio_samr::Sam>) -> Self {
        Identities { admin_group, sam }
    }

    /// The token of `peer` (see the module docs).
    pub fn token(&self, peer: PeerCred) -> Arc<AccessToken> {
        if peer.uid == 0 {
            return Arc::new(AccessToken::system());
        }
        if self.is_admin(peer) {
            return Arc::new(admin_token(peer));
        }
        if let Some(token) = self.sam_token(peer.uid) {
            return Arc::new(token);
        }
        Arc::new(unix_token(peer))
    }

    fn sam_token(&self, uid: u32) -> Option<AccessToken> {
        let sam = self.sam.as_ref()?;
        let users = sam.users().ok()?;
        let disabled = lwio_samr::model::Acb::DISABLED.0;
        let user = users
            .into_iter()
            .find(|u| u.uid == uid && u.acb & disabled == 0)?;
        match sam.token_for(&user) {
            Ok(t) => Some(t),
            Err(status) => {
                tracing::warn!(uid, %status, "the SAM account of this uid has no token");
                None
            }
        }
    }

    fn is_admin(&self, peer: PeerCred) -> bool {
        let Some(group) = &self.admin_group else {
            return false;
        };
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let Some((gid, members)) = find_group(&groups, group) else {
            return false;
        };
        if gid == peer.gid {
            return true;
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        user_name(&passwd, peer.uid).is_some_and(|name| members.contains(&name))
    }
}

/// The gid of `group` (a name, or a gid in decimal) on this system.
pub(crate) fn group_id(group: &str) -> Option<u32> {
    let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
    find_group(&text, group).map(|(gid, _)| gid)
}

/// The gid and member names of `group` (a name, or a gid in decimal) in `/etc/group`
/// text. A number that no entry holds is still that gid, with no listed members.
fn find_group<'a>(text: &'a str, group: &str) -> Option<(u32, Vec<&'a str>)> {
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(gid), members) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let Ok(gid) = gid.parse::<u32>() else {
            continue;
        };
        if name == group || group.parse::<u32>() == Ok(gid) {
            let members = members
                .unwrap_or("")
                .split(',')
                .filter(|m| !m.is_empty())
                .collect();
            return Some((gid, members));
        }
    }
    group.parse::<u32>().ok().map(|gid| (gid, Vec::new()))
}

/// The name of `uid` in `/etc/passwd` text.
fn user_name(text: &str, uid: u32) -> Option<&str> {
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _ = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid).then_some(name)
    })
}

fn unix(peer: PeerCred) -> UnixIdentity {
    UnixIdentity {
        uid: peer.uid,
        gid: peer.gid,
        groups: vec![peer.gid],
    }
}

/// An administrator's token for a non-root member of the admin group.
fn admin_token(peer: PeerCred) -> AccessToken {
    let user = well_known::unix_user(peer.uid);
    AccessToken::new(user)
        .with_groups([
            well_known::unix_group(peer.gid),
            well_known::WORLD,
            well_known::AUTHENTICATED_USERS,
            well_known::INTERACTIVE,
        ])
        .with_group(
            well_known::BUILTIN_ADMINISTRATORS,
            GroupAttributes::DEFAULT | GroupAttributes::OWNER,
        )
        .with_privileges(Privileges::all())
        .with_unix(unix(peer))
        .with_owner(user)
        .with_primary_group(well_known::unix_group(peer.gid))
}

/// The token of a uid no account maps: its Unix SIDs and Everyone, nothing more.
fn unix_token(peer: PeerCred) -> AccessToken {
    let user = well_known::unix_user(peer.uid);
    let group = well_known::unix_group(peer.gid);
    AccessToken::new(user)
        .with_groups([group, well_known::WORLD])
        .with_privileges(Privileges::NONE.with(Privilege::ChangeNotify))
        .with_unix(unix(peer))
        .with_owner(user)
        .with_primary_group(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "root:x:0:\nwheel:x:10:alice,bob\nstaff:x:50:\n";
    const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n";

    #[test]
    fn groups_and_users_are_found_by_name_or_number() {
        assert_eq!(find_group(GROUP, "wheel"), Some((10, vec!["alice", "bob"])));
        assert_eq!(find_group(GROUP, "50"), Some((50, vec![])));
        assert_eq!(find_group(GROUP, "777"), Some((777, vec![])));
        assert_eq!(find_group(GROUP, "nosuch"), None);
        assert_eq!(user_name(PASSWD, 1000), Some("alice"));
        assert_eq!(user_name(PASSWD, 5), None);
    }

    #[test]
    fn tokens_follow_the_precedence() {
        let ids = Identities::new(None, None);
        let root = ids.token(PeerCred { uid: 0, gid: 0 });
        assert!(root.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        let other = ids.token(PeerCred {
            uid: 4242,
            gid: 4343,
        });
        assert_eq!(other.user, well_known::unix_user(4242));
        assert!(other.contains_sid(&well_known::unix_group(4343)));
        assert!(!other.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        assert!(!other.contains_sid(&well_known::AUTHENTICATED_USERS));
        assert!(!other.has_privilege(Privilege::Backup));
        assert_eq!(other.unix.as_ref().map(|u| u.uid), Some(4242));
        let admins = Identities::new(Some("4343".into()), None);
        let admin = admins.token(PeerCred {
            uid: 4242,
            gid: 4343,
        });
        assert!(admin.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
        assert!(admin.has_privilege(Privilege::Backup));
    }
}
