//! Security descriptors of files: the stored one, or one derived from the POSIX owner and
//! mode; and the access rules of a create (MS-FSA 2.1.5.1.2.1).
//!
//! A file without a stored descriptor gets one made from its owner, group and mode bits:
//! owner `S-1-22-1-<uid>`, group `S-1-22-2-<gid>`, and a DACL with one allow ACE each for
//! the owner, the group and Everyone carrying the rights their `rwx` bits give, plus full
//! control for SYSTEM and BUILTIN\Administrators (the accounts Windows tools expect to
//! administer a share). Read gives FILE_GENERIC_READ, write FILE_GENERIC_WRITE plus
//! DELETE and (on directories) FILE_DELETE_CHILD, execute FILE_GENERIC_EXECUTE. On a
//! directory with the sticky bit (`chmod 1777`, as `/tmp`), group and other write give no
//! FILE_DELETE_CHILD: as in POSIX, only a child's owner may remove it.
//!
//! The other way round, a file PVFS makes or gives a new DACL gets POSIX permission bits
//! derived from that DACL ([`mode_from_descriptor`]), so a local Unix user never gets
//! through the mode what the Windows permissions deny: the group bits carry what the DACL
//! grants the file's Unix group (`S-1-22-2-<gid>`) together with Everyone, the other bits
//! what it grants Everyone alone. A right the DACL gives only to other SIDs (a Windows
//! account, Authenticated Users) gives no bit: local users are none of those. The owner
//! bits stay `rw-` (`rwx` on directories): when PVFS does not run as root its files are
//! its own, and it must still read and write them; a file owned by an account's Unix id
//! gives that id what PVFS itself may do.

use lwio_core::security::{Ace, AceFlags, Acl, CheckOptions, SimpleAce, access_check, well_known};
use lwio_core::{AccessMask, AccessToken, FILE_GENERIC_MAPPING, NtStatus, SecurityDescriptor};

/// The owner, group and mode of a file, as `stat` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosixOwner {
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
    /// Permission bits (the low 12 bits of `st_mode`).
    pub mode: u32,
}

/// The sticky bit of `st_mode`.
const STICKY: u32 = 0o1000;

fn rights_of(bits: u32, is_dir: bool, delete_child: bool) -> AccessMask {
    let mut m = AccessMask::NONE;
    if bits & 4 != 0 {
        m |= AccessMask::FILE_GENERIC_READ;
    }
    if bits & 2 != 0 {
        m |= AccessMask::FILE_GENERIC_WRITE | AccessMask::DELETE;
        if is_dir && delete_child {
            m |= AccessMask::FILE_DELETE_CHILD;
        }
    }
    if bits & 1 != 0 {
        m |= AccessMask::FILE_GENERIC_EXECUTE;
    }
    m
}

fn allow(sid: lwio_core::Sid, mask: AccessMask) -> Ace {
    Ace::Allowed(SimpleAce::new(AceFlags(0), mask, sid))
}

/// The descriptor of a file that has none stored.
pub fn from_posix(owner: PosixOwner, is_dir: bool) -> SecurityDescriptor {
    let owner_sid = well_known::unix_user(owner.uid);
    let group_sid = well_known::unix_group(owner.gid);
    let mut aces = Vec::with_capacity(5);
    let user_rights = rights_of(owner.mode >> 6, is_dir, true);
    if !user_rights.is_empty() {
        aces.push(allow(owner_sid, user_rights));
    }
    let others_delete = owner.mode & STICKY == 0;
    let group_rights = rights_of(owner.mode >> 3, is_dir, others_delete);
    if !group_rights.is_empty() {
        aces.push(allow(group_sid, group_rights));
    }
    let other_rights = rights_of(owner.mode, is_dir, others_delete);
    if !other_rights.is_empty() {
        aces.push(allow(well_known::WORLD, other_rights));
    }
    aces.push(allow(well_known::LOCAL_SYSTEM, AccessMask::FILE_ALL_ACCESS));
    aces.push(allow(
        well_known::BUILTIN_ADMINISTRATORS,
        AccessMask::FILE_ALL_ACCESS,
    ));
    let mut sd = SecurityDescriptor::new();
    sd.owner = Some(owner_sid);
    sd.group = Some(group_sid);
    sd.set_dacl(Acl::new(aces));
    sd
}

/// The permission bits (low 9 of `st_mode`) for a file or directory whose Unix group is
/// `gid` and whose descriptor is `sd` (see the module documentation).
pub fn mode_from_descriptor(sd: &SecurityDescriptor, gid: u32, is_dir: bool) -> u32 {
    let nobody = |groups: &[lwio_core::Sid]| {
        AccessToken::new(well_known::NULL).with_groups(groups.iter().copied())
    };
    let group = nobody(&[well_known::unix_group(gid), well_known::WORLD]);
    let other = nobody(&[well_known::WORLD]);
    let owner = if is_dir { 0o700 } else { 0o600 };
    owner | bits_granted(sd, &group, is_dir) << 3 | bits_granted(sd, &other, is_dir)
}

/// The `rwx` bits that stand for what `sd` grants `token`: read for FILE_READ_DATA; write
/// for FILE_WRITE_DATA and FILE_APPEND_DATA (on a directory: adding files and
/// subdirectories and deleting children, all that a POSIX write bit allows there); execute
/// for FILE_EXECUTE (traverse).
fn bits_granted(sd: &SecurityDescriptor, token: &AccessToken, is_dir: bool) -> u32 {
    let granted = lwio_core::security::maximum_allowed(sd, token, &FILE_GENERIC_MAPPING);
    let write = if is_dir {
        AccessMask::FILE_ADD_FILE
            | AccessMask::FILE_ADD_SUBDIRECTORY
            | AccessMask::FILE_DELETE_CHILD
    } else {
        AccessMask::FILE_WRITE_DATA | AccessMask::FILE_APPEND_DATA
    };
    let mut bits = 0;
    if granted.contains(AccessMask::FILE_READ_DATA) {
        bits |= 4;
    }
    if granted.contains(write) {
        bits |= 2;
    }
    if granted.contains(AccessMask::FILE_EXECUTE) {
        bits |= 1;
    }
    bits
}

/// What the parent directory grants the caller, for the two rights a parent can give
/// on a child (MS-FSA 2.1.5.1.2.1): DELETE through FILE_DELETE_CHILD, and
/// FILE_READ_ATTRIBUTES through FILE_LIST_DIRECTORY.
pub fn rights_from_parent(parent: &SecurityDescriptor, token: &AccessToken) -> AccessMask {
    let mut m = AccessMask::NONE;
    let has = |right| {
        access_check(
            parent,
            token,
            right,
            &FILE_GENERIC_MAPPING,
            CheckOptions::default(),
        )
        .is_ok()
    };
    if has(AccessMask::FILE_DELETE_CHILD) {
        m |= AccessMask::DELETE;
    }
    if has(AccessMask::FILE_LIST_DIRECTORY) {
        m |= AccessMask::FILE_READ_ATTRIBUTES;
    }
    m
}

/// The access check of an open of an existing file: the file's descriptor first; what it
/// refuses of DELETE and FILE_READ_ATTRIBUTES the parent may still grant. `parent` is
/// consulted only when needed (it costs a descriptor read).
pub fn check_open(
    sd: &SecurityDescriptor,
    token: &AccessToken,
    desired: AccessMask,
    backup_intent: bool,
    parent: impl FnOnce() -> Option<SecurityDescriptor>,
) -> Result<AccessMask, NtStatus> {
    let opts = CheckOptions {
        backup_intent,
        ..CheckOptions::default()
    };
    let desired = desired.map_generic(&FILE_GENERIC_MAPPING);
    let maximum = desired.contains(AccessMask::MAXIMUM_ALLOWED);
    match access_check(sd, token, desired, &FILE_GENERIC_MAPPING, opts) {
        Ok(granted) if !maximum => return Ok(granted),
        Ok(granted) => {
            // MAXIMUM_ALLOWED: add what the parent gives, if the file did not.
            let missing = (AccessMask::DELETE | AccessMask::FILE_READ_ATTRIBUTES).without(granted);
            if missing.is_empty() {
                return Ok(granted);
            }
            let from_parent = parent()
                .map(|p| rights_from_parent(&p, token))
                .unwrap_or_default();
            return Ok(granted | (from_parent & missing));
        }
        Err(e) => {
            let status = NtStatus(e.ntstatus_code());
            if status != NtStatus::ACCESS_DENIED {
                return Err(status);
            }
        }
    }
    let parental = desired & (AccessMask::DELETE | AccessMask::FILE_READ_ATTRIBUTES);
    if parental.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let from_parent = parent()
        .map(|p| rights_from_parent(&p, token))
        .unwrap_or_default()
        & parental;
    if from_parent.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let rest = desired.without(from_parent);
    if rest.without(AccessMask::MAXIMUM_ALLOWED).is_empty() && !maximum {
        return Ok(from_parent);
    }
    match access_check(sd, token, rest, &FILE_GENERIC_MAPPING, opts) {
        Ok(granted) => Ok(granted | from_parent),
        Err(e) => Err(NtStatus(e.ntstatus_code())),
    }
}

/// The access a create of a new child needs on its parent directory.
pub fn add_child_right(is_dir: bool) -> AccessMask {
    if is_dir {
        AccessMask::FILE_ADD_SUBDIRECTORY
    } else {
        AccessMask::FILE_ADD_FILE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_core::Sid;

    fn user(uid: u32) -> AccessToken {
        AccessToken::new(well_known::unix_user(uid))
            .with_groups([well_known::unix_group(100), well_known::WORLD])
    }

    #[test]
    fn mode_bits_become_a_dacl() {
        let sd = from_posix(
            PosixOwner {
                uid: 1000,
                gid: 100,
                mode: 0o640,
            },
            false,
        );
        let check = |t: &AccessToken, m| {
            access_check(&sd, t, m, &FILE_GENERIC_MAPPING, CheckOptions::default())
        };
        // Owner: read and write; group: read; others: nothing.
        assert!(check(&user(1000), AccessMask::GENERIC_WRITE).is_ok());
        assert!(check(&user(1001), AccessMask::GENERIC_READ).is_ok());
        assert!(check(&user(1001), AccessMask::GENERIC_WRITE).is_err());
        let stranger = AccessToken::new("S-1-5-21-9-9-9-1234".parse::<Sid>().unwrap())
            .with_groups([well_known::WORLD]);
        assert!(check(&stranger, AccessMask::GENERIC_READ).is_err());
        // SYSTEM keeps full control.
        assert!(check(&AccessToken::system(), AccessMask::GENERIC_ALL).is_ok());
        assert_eq!(sd.owner, Some(well_known::unix_user(1000)));
    }

    #[test]
    fn a_sticky_directory_lets_only_owners_delete_children() {
        let sd = from_posix(
            PosixOwner {
                uid: 0,
                gid: 0,
                mode: 0o1777,
            },
            true,
        );
        let check = |m| {
            access_check(
                &sd,
                &user(1000),
                m,
                &FILE_GENERIC_MAPPING,
                CheckOptions::default(),
            )
        };
        assert!(check(AccessMask::FILE_ADD_FILE | AccessMask::FILE_ADD_SUBDIRECTORY).is_ok());
        assert!(check(AccessMask::FILE_DELETE_CHILD).is_err());
        let plain = from_posix(
            PosixOwner {
                uid: 0,
                gid: 0,
                mode: 0o777,
            },
            true,
        );
        let granted = access_check(
            &plain,
            &user(1000),
            AccessMask::FILE_DELETE_CHILD,
            &FILE_GENERIC_MAPPING,
            CheckOptions::default(),
        );
        assert!(granted.is_ok());
    }

    #[test]
    fn the_mode_never_grants_more_than_the_dacl() {
        let sd = |s: &str| -> SecurityDescriptor { s.parse().unwrap() };
        // Owner and SYSTEM only: nothing for group and others.
        let owner_only = sd("O:S-1-5-21-1-2-1000D:(A;;FA;;;S-1-5-21-1-2-1000)(A;;FA;;;SY)");
        assert_eq!(mode_from_descriptor(&owner_only, 70000, false), 0o600);
        assert_eq!(mode_from_descriptor(&owner_only, 70000, true), 0o700);
        // Everyone may read: r for group and others.
        let readable = sd("O:SYD:(A;;FR;;;WD)");
        assert_eq!(mode_from_descriptor(&readable, 5, false), 0o644);
        // The Unix group may change it, but a deny for Everyone comes first.
        let denied = sd("O:SYD:(D;;FW;;;WD)(A;;FA;;;S-1-22-2-5)");
        assert_eq!(mode_from_descriptor(&denied, 5, false) & 0o077, 0o050);
        let group_rw = sd("O:SYD:(A;;0x1201ff;;;S-1-22-2-5)");
        assert_eq!(mode_from_descriptor(&group_rw, 5, false), 0o670);
        assert_eq!(mode_from_descriptor(&group_rw, 6, false), 0o600);
        // Authenticated Users are not local users.
        let au = sd("O:SYD:(A;;FA;;;AU)");
        assert_eq!(mode_from_descriptor(&au, 5, true), 0o700);
        // A NULL DACL grants everything.
        let null = sd("O:SYD:NO_ACCESS_CONTROL");
        assert_eq!(mode_from_descriptor(&null, 5, true), 0o777);
        // A directory's write bit needs every right POSIX write gives there.
        let add_only = sd("O:SYD:(A;;0x1200af;;;WD)");
        assert_eq!(mode_from_descriptor(&add_only, 5, true), 0o755);
    }

    #[test]
    fn parent_grants_delete_and_read_attributes() {
        let file: SecurityDescriptor = "O:SYD:(A;;FR;;;SY)".parse().unwrap();
        let parent: SecurityDescriptor = "O:SYD:(A;;0x41;;;WD)".parse().unwrap(); // list + delete child
        let t = user(1000);
        let got = check_open(&file, &t, AccessMask::DELETE, false, || {
            Some(parent.clone())
        });
        assert_eq!(got, Ok(AccessMask::DELETE));
        let got = check_open(
            &file,
            &t,
            AccessMask::FILE_READ_ATTRIBUTES | AccessMask::DELETE,
            false,
            || Some(parent.clone()),
        );
        assert_eq!(
            got,
            Ok(AccessMask::FILE_READ_ATTRIBUTES | AccessMask::DELETE)
        );
        assert_eq!(
            check_open(&file, &t, AccessMask::FILE_READ_DATA, false, || Some(
                parent.clone()
            )),
            Err(NtStatus::ACCESS_DENIED)
        );
        let no_parent: SecurityDescriptor = "O:SYD:".parse().unwrap();
        assert_eq!(
            check_open(&file, &t, AccessMask::DELETE, false, || Some(
                no_parent.clone()
            )),
            Err(NtStatus::ACCESS_DENIED)
        );
    }
}
