//! The access check (MS-DTYP 2.5.3.2 Access Check Algorithm Pseudocode), with the
//! privilege rules Windows applies around it.
//!
//! In order:
//! 1. Generic bits of the request are mapped through the object's [`GenericMapping`].
//!    MAXIMUM_ALLOWED switches to computing every right the descriptor allows.
//! 2. ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege: without it the check fails with
//!    [`AccessCheckError::PrivilegeNotHeld`] whatever the DACL says (Windows returns
//!    STATUS_PRIVILEGE_NOT_HELD there). A DACL never grants it.
//! 3. SeTakeOwnershipPrivilege grants WRITE_OWNER. With [`CheckOptions::backup_intent`]
//!    (FILE_OPEN_FOR_BACKUP_INTENT), SeBackupPrivilege grants [`BACKUP_RIGHTS`] and
//!    SeRestorePrivilege grants [`RESTORE_RIGHTS`]: the sets Windows documents for these
//!    privileges ("Privilege Constants"), less ACCESS_SYSTEM_SECURITY, which stays with
//!    SeSecurityPrivilege.
//! 4. No DACL, or a NULL DACL, grants everything asked (for MAXIMUM_ALLOWED, the mapping's
//!    `all` plus the standard rights).
//! 5. The owner gets READ_CONTROL | WRITE_DAC, unless the DACL has an effective ACE for
//!    OWNER RIGHTS (S-1-3-4): then the owner gets what those ACEs say, like anyone else.
//! 6. ACEs are read in order; INHERIT_ONLY ACEs and types other than allowed and denied
//!    are skipped; an ACE applies when the token holds its SID (OWNER RIGHTS applies to
//!    the owner). An allow grants the still-wanted bits it names; a deny of a bit not yet
//!    granted fails the check. So the first ACE to decide a bit wins. ACE masks are mapped
//!    through the generic mapping too, so a generic bit in an effective ACE counts.
//! 7. Whatever is still wanted at the end is denied.
//!
//! An empty request (no bits, no MAXIMUM_ALLOWED) succeeds with nothing granted, as the
//! pseudocode does.

use super::{AccessToken, Ace, Privilege, SecurityDescriptor, Sid, well_known};
use crate::access::{AccessMask, GenericMapping};

/// Rights SeBackupPrivilege grants under backup intent: READ_CONTROL, FILE_GENERIC_READ
/// and FILE_TRAVERSE.
pub const BACKUP_RIGHTS: AccessMask = AccessMask(
    AccessMask::READ_CONTROL.0 | AccessMask::FILE_GENERIC_READ.0 | AccessMask::FILE_TRAVERSE.0,
);

/// Rights SeRestorePrivilege grants under backup intent: WRITE_DAC, WRITE_OWNER, DELETE,
/// FILE_GENERIC_WRITE, FILE_ADD_FILE and FILE_ADD_SUBDIRECTORY.
pub const RESTORE_RIGHTS: AccessMask = AccessMask(
    AccessMask::WRITE_DAC.0
        | AccessMask::WRITE_OWNER.0
        | AccessMask::DELETE.0
        | AccessMask::FILE_GENERIC_WRITE.0
        | AccessMask::FILE_ADD_FILE.0
        | AccessMask::FILE_ADD_SUBDIRECTORY.0,
);

/// The owner's implicit rights.
const OWNER_IMPLICIT: AccessMask = AccessMask(AccessMask::READ_CONTROL.0 | AccessMask::WRITE_DAC.0);

/// Rights a DACL can never grant.
const NOT_FROM_DACL: AccessMask =
    AccessMask(AccessMask::ACCESS_SYSTEM_SECURITY.0 | AccessMask::MAXIMUM_ALLOWED.0);

/// Options of one access check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// The open asked for backup intent (FILE_OPEN_FOR_BACKUP_INTENT), which lets
    /// SeBackupPrivilege and SeRestorePrivilege grant their rights.
    pub backup_intent: bool,
    /// Count the descriptor's ACEs only, as share permissions do: no privilege grants
    /// anything (ACCESS_SYSTEM_SECURITY is then refused as a privilege not held).
    pub ignore_privileges: bool,
}

/// Why an access check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AccessCheckError {
    /// The descriptor does not grant a requested right (STATUS_ACCESS_DENIED).
    #[error("access denied")]
    AccessDenied,
    /// ACCESS_SYSTEM_SECURITY was asked for without SeSecurityPrivilege
    /// (STATUS_PRIVILEGE_NOT_HELD).
    #[error("a required privilege is not held")]
    PrivilegeNotHeld,
}

impl AccessCheckError {
    /// The NTSTATUS value: 0xC0000022 or 0xC0000061.
    pub const fn ntstatus_code(&self) -> u32 {
        match self {
            AccessCheckError::AccessDenied => 0xC000_0022,
            AccessCheckError::PrivilegeNotHeld => 0xC000_0061,
        }
    }
}

/// Checks whether `token` may open an object protected by `sd` with `desired` access and
/// returns the granted rights (MS-DTYP 2.5.3.2; see the module documentation).
pub fn access_check(
    sd: &SecurityDescriptor,
    token: &AccessToken,
    desired: AccessMask,
    mapping: &GenericMapping,
    opts: CheckOptions,
) -> Result<AccessMask, AccessCheckError> {
    let desired = desired.map_generic(mapping);
    let max = desired.contains(AccessMask::MAXIMUM_ALLOWED);
    let mut remaining = desired.without(AccessMask::MAXIMUM_ALLOWED);
    let mut granted = AccessMask::NONE;

    if remaining.contains(AccessMask::ACCESS_SYSTEM_SECURITY) {
        if opts.ignore_privileges || !token.has_privilege(Privilege::Security) {
            return Err(AccessCheckError::PrivilegeNotHeld);
        }
        granted |= AccessMask::ACCESS_SYSTEM_SECURITY;
        remaining = remaining.without(AccessMask::ACCESS_SYSTEM_SECURITY);
    }
    let mut privileged = AccessMask::NONE;
    if !opts.ignore_privileges && token.has_privilege(Privilege::TakeOwnership) {
        privileged |= AccessMask::WRITE_OWNER;
    }
    let backup = opts.backup_intent && !opts.ignore_privileges;
    if backup && token.has_privilege(Privilege::Backup) {
        privileged |= BACKUP_RIGHTS;
    }
    if backup && token.has_privilege(Privilege::Restore) {
        privileged |= RESTORE_RIGHTS;
    }
    // Under MAXIMUM_ALLOWED the privileges contribute everything they cover.
    granted |= if max {
        privileged
    } else {
        remaining & privileged
    };
    remaining = remaining.without(privileged);

    let dacl = match &sd.dacl {
        Some(dacl) => dacl,
        None => {
            // No DACL, or a NULL DACL: no policy, everything is granted.
            granted |= remaining;
            if max {
                granted |= mapping.all | AccessMask::STANDARD_RIGHTS_ALL;
            }
            return Ok(granted);
        }
    };

    let is_owner = sd.owner.as_ref().is_some_and(|o| token.contains_sid(o));
    let applies =
        |sid: &Sid| token.contains_sid(sid) || (is_owner && *sid == well_known::OWNER_RIGHTS);
    let owner_rights_ace = dacl.aces.iter().any(|a| {
        matches!(a, Ace::Allowed(_) | Ace::Denied(_))
            && !a.is_inherit_only()
            && a.sid() == Some(&well_known::OWNER_RIGHTS)
    });

    let mut allowed = AccessMask::NONE;
    let mut denied = AccessMask::NONE;
    if is_owner && !owner_rights_ace {
        if max {
            allowed |= OWNER_IMPLICIT;
        } else {
            granted |= remaining & OWNER_IMPLICIT;
            remaining = remaining.without(OWNER_IMPLICIT);
        }
    }

    for ace in &dacl.aces {
        if !max && remaining.is_empty() {
            break;
        }
        if ace.is_inherit_only() {
            continue;
        }
        let (allow, body) = match ace {
            Ace::Allowed(a) => (true, a),
            Ace::Denied(a) => (false, a),
            _ => continue,
        };
        if !applies(&body.sid) {
            continue;
        }
        let mask = body.mask.map_generic(mapping).without(NOT_FROM_DACL);
        match (allow, max) {
            (true, true) => allowed |= mask.without(denied),
            (false, true) => denied |= mask.without(allowed),
            (true, false) => {
                granted |= remaining & mask;
                remaining = remaining.without(mask);
            }
            (false, false) => {
                if remaining.intersects(mask) {
                    return Err(AccessCheckError::AccessDenied);
                }
            }
        }
    }

    if max {
        // Explicitly requested bits must all be allowed too.
        if !allowed.contains(remaining) {
            return Err(AccessCheckError::AccessDenied);
        }
        // Windows refuses an open that would be granted nothing at all.
        if (granted | allowed).is_empty() {
            return Err(AccessCheckError::AccessDenied);
        }
        return Ok(granted | allowed);
    }
    if remaining.is_empty() {
        Ok(granted)
    } else {
        Err(AccessCheckError::AccessDenied)
    }
}

/// The rights MAXIMUM_ALLOWED would grant (for MS-SMB2's maximal access context).
pub fn maximum_allowed(
    sd: &SecurityDescriptor,
    token: &AccessToken,
    mapping: &GenericMapping,
) -> AccessMask {
    access_check(
        sd,
        token,
        AccessMask::MAXIMUM_ALLOWED,
        mapping,
        CheckOptions::default(),
    )
    .unwrap_or(AccessMask::NONE)
}

#[cfg(test)]
mod tests {
    use super::super::{AccessToken, Privileges};
    use super::*;
    use crate::access::FILE_GENERIC_MAPPING;

    const M: &GenericMapping = &FILE_GENERIC_MAPPING;
    const R: AccessMask = AccessMask::FILE_READ_DATA;
    const W: AccessMask = AccessMask::FILE_WRITE_DATA;

    fn alice() -> Sid {
        "S-1-5-21-1-2-1001".parse().unwrap()
    }
    fn bob() -> Sid {
        "S-1-5-21-1-2-1002".parse().unwrap()
    }
    fn staff() -> Sid {
        "S-1-5-21-1-2-2000".parse().unwrap()
    }
    fn sd(s: &str) -> SecurityDescriptor {
        s.replace("ALICE", &alice().to_string())
            .replace("BOB", &bob().to_string())
            .replace("STAFF", &staff().to_string())
            .parse()
            .unwrap()
    }
    fn check(
        sd: &SecurityDescriptor,
        t: &AccessToken,
        want: AccessMask,
    ) -> Result<AccessMask, AccessCheckError> {
        access_check(sd, t, want, M, CheckOptions::default())
    }
    fn bob_token() -> AccessToken {
        AccessToken::new(bob()).with_groups([staff(), well_known::WORLD])
    }

    #[test]
    fn deny_before_allow_denies() {
        let d = sd("O:ALICED:(D;;0x2;;;BOB)(A;;FA;;;WD)");
        assert_eq!(check(&d, &bob_token(), R), Ok(R));
        assert_eq!(
            check(&d, &bob_token(), R | W),
            Err(AccessCheckError::AccessDenied)
        );
    }

    #[test]
    fn allow_before_deny_grants() {
        let d = sd("O:ALICED:(A;;FA;;;WD)(D;;0x2;;;BOB)");
        assert_eq!(check(&d, &bob_token(), R | W), Ok(R | W));
    }

    #[test]
    fn maximum_allowed_collects_allows_minus_earlier_denies() {
        let d = sd("O:ALICED:(D;;0x2;;;BOB)(A;;FR;;;STAFF)(A;;FW;;;WD)");
        let t = bob_token();
        let got = check(&d, &t, AccessMask::MAXIMUM_ALLOWED).unwrap();
        assert_eq!(
            got,
            (AccessMask::FILE_GENERIC_READ | AccessMask::FILE_GENERIC_WRITE).without(W)
        );
        assert_eq!(maximum_allowed(&d, &t, M), got);
        // MAXIMUM_ALLOWED plus a bit the DACL does not give fails.
        assert_eq!(
            check(&d, &t, AccessMask::MAXIMUM_ALLOWED | W),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(check(&d, &t, AccessMask::MAXIMUM_ALLOWED | R), Ok(got));
    }

    #[test]
    fn maximum_allowed_with_nothing_granted_is_denied() {
        let d = sd("O:ALICED:(A;;FA;;;ALICE)");
        assert_eq!(
            check(&d, &bob_token(), AccessMask::MAXIMUM_ALLOWED),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(maximum_allowed(&d, &bob_token(), M), AccessMask::NONE);
    }

    #[test]
    fn generic_bits_are_mapped_in_request_and_aces() {
        let d = sd("O:ALICED:(A;;GR;;;BOB)");
        assert_eq!(
            check(&d, &bob_token(), AccessMask::GENERIC_READ),
            Ok(AccessMask::FILE_GENERIC_READ)
        );
        assert_eq!(
            check(&d, &bob_token(), AccessMask::GENERIC_WRITE),
            Err(AccessCheckError::AccessDenied)
        );
    }

    #[test]
    fn owner_implicit_rights_and_owner_rights_override() {
        let owner = AccessToken::new(alice());
        let d = sd("O:ALICED:(D;;WD;;;ALICE)");
        let implicit = AccessMask::READ_CONTROL | AccessMask::WRITE_DAC;
        // The implicit rights come before the ACEs, so even a deny does not remove them.
        assert_eq!(check(&d, &owner, implicit), Ok(implicit));
        assert_eq!(check(&d, &owner, R), Err(AccessCheckError::AccessDenied));
        assert_eq!(check(&d, &owner, AccessMask::MAXIMUM_ALLOWED), Ok(implicit));
        // With an OWNER RIGHTS ACE the owner gets only what it says.
        let d = sd("O:ALICED:(A;;RC;;;OW)");
        assert_eq!(
            check(&d, &owner, AccessMask::READ_CONTROL),
            Ok(AccessMask::READ_CONTROL)
        );
        assert_eq!(
            check(&d, &owner, AccessMask::WRITE_DAC),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(
            check(&d, &owner, AccessMask::MAXIMUM_ALLOWED),
            Ok(AccessMask::READ_CONTROL)
        );
        // OWNER RIGHTS does not apply to someone who is not the owner.
        assert_eq!(
            check(&d, &bob_token(), AccessMask::READ_CONTROL),
            Err(AccessCheckError::AccessDenied)
        );
        // An inherit-only OWNER RIGHTS ACE does not take the implicit rights away.
        let d = sd("O:ALICED:(A;OIIO;RC;;;OW)");
        assert_eq!(
            check(&d, &owner, AccessMask::WRITE_DAC),
            Ok(AccessMask::WRITE_DAC)
        );
    }

    #[test]
    fn null_empty_and_absent_dacls() {
        let t = bob_token();
        let null = sd("O:ALICED:NO_ACCESS_CONTROL");
        assert_eq!(
            check(&null, &t, R | W | AccessMask::DELETE),
            Ok(R | W | AccessMask::DELETE)
        );
        assert_eq!(
            check(&null, &t, AccessMask::MAXIMUM_ALLOWED),
            Ok(AccessMask::FILE_ALL_ACCESS | AccessMask::STANDARD_RIGHTS_ALL)
        );
        let absent = sd("O:ALICE");
        assert_eq!(check(&absent, &t, W), Ok(W));
        let empty = sd("O:ALICED:");
        assert_eq!(check(&empty, &t, R), Err(AccessCheckError::AccessDenied));
        assert_eq!(
            check(&empty, &t, AccessMask::MAXIMUM_ALLOWED),
            Err(AccessCheckError::AccessDenied)
        );
        let owner = AccessToken::new(alice());
        assert_eq!(
            check(&empty, &owner, AccessMask::READ_CONTROL),
            Ok(AccessMask::READ_CONTROL)
        );
        assert_eq!(
            check(&empty, &owner, AccessMask::NONE),
            Ok(AccessMask::NONE)
        );
    }

    #[test]
    fn group_membership_and_skipped_aces() {
        let d = sd("O:ALICED:(A;IO;FA;;;STAFF)(A;;FR;;;STAFF)(D;;FA;;;AN)");
        let t = bob_token();
        assert_eq!(check(&d, &t, R), Ok(R));
        // The inherit-only ACE does not grant write.
        assert_eq!(check(&d, &t, W), Err(AccessCheckError::AccessDenied));
        let outsider = AccessToken::new(alice().with_rid(9).unwrap());
        assert_eq!(check(&d, &outsider, R), Err(AccessCheckError::AccessDenied));
        // Unknown ACE types are skipped.
        let mut d = sd("O:ALICED:(A;;FR;;;WD)");
        let raw =
            super::super::RawAce::new(super::super::AceType(0x0A), Default::default(), vec![0; 12])
                .unwrap();
        d.dacl.as_mut().unwrap().aces.insert(0, Ace::Other(raw));
        assert_eq!(check(&d, &t, R), Ok(R));
    }

    #[test]
    fn access_system_security_needs_the_privilege() {
        let d = sd("O:ALICED:NO_ACCESS_CONTROL");
        let ass = AccessMask::ACCESS_SYSTEM_SECURITY;
        assert_eq!(
            check(&d, &bob_token(), ass | R),
            Err(AccessCheckError::PrivilegeNotHeld)
        );
        assert_eq!(
            AccessCheckError::PrivilegeNotHeld.ntstatus_code(),
            0xC000_0061
        );
        assert_eq!(AccessCheckError::AccessDenied.ntstatus_code(), 0xC000_0022);
        let t = bob_token().with_privileges(Privileges::NONE.with(Privilege::Security));
        assert_eq!(check(&d, &t, ass | R), Ok(ass | R));
        // A DACL never grants it, and the privilege does not bypass the DACL for other bits.
        let d = sd("O:ALICED:(A;;0x1000000;;;WD)");
        assert_eq!(check(&d, &t, ass), Ok(ass));
        assert_eq!(check(&d, &t, ass | R), Err(AccessCheckError::AccessDenied));
        assert_eq!(
            check(&d, &t, AccessMask::MAXIMUM_ALLOWED),
            Err(AccessCheckError::AccessDenied)
        );
    }

    #[test]
    fn take_ownership_privilege() {
        let d = sd("O:ALICED:");
        let t = bob_token().with_privileges(Privileges::NONE.with(Privilege::TakeOwnership));
        assert_eq!(
            check(&d, &t, AccessMask::WRITE_OWNER),
            Ok(AccessMask::WRITE_OWNER)
        );
        assert_eq!(
            check(&d, &bob_token(), AccessMask::WRITE_OWNER),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(
            check(&d, &t, AccessMask::MAXIMUM_ALLOWED),
            Ok(AccessMask::WRITE_OWNER)
        );
    }

    #[test]
    fn ignoring_privileges_counts_the_aces_only() {
        let d = sd("O:ALICED:(A;;FR;;;BOB)");
        let all = Privileges::NONE
            .with(Privilege::TakeOwnership)
            .with(Privilege::Backup)
            .with(Privilege::Security);
        let t = bob_token().with_privileges(all);
        let plain = CheckOptions {
            backup_intent: true,
            ignore_privileges: true,
        };
        assert_eq!(
            access_check(&d, &t, AccessMask::WRITE_OWNER, M, plain),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(
            access_check(&d, &t, AccessMask::ACCESS_SYSTEM_SECURITY, M, plain),
            Err(AccessCheckError::PrivilegeNotHeld)
        );
        let max = access_check(&d, &t, AccessMask::MAXIMUM_ALLOWED, M, plain).unwrap();
        assert_eq!(max, AccessMask::FILE_GENERIC_READ);
        // The same token, privileges counted: WRITE_OWNER and backup's read rights come in.
        let counted = CheckOptions {
            backup_intent: true,
            ..CheckOptions::default()
        };
        let max = access_check(&d, &t, AccessMask::MAXIMUM_ALLOWED, M, counted).unwrap();
        assert!(max.contains(AccessMask::WRITE_OWNER));
    }

    #[test]
    fn backup_and_restore_need_backup_intent() {
        let d = sd("O:ALICED:(D;;FA;;;BOB)");
        let both = Privileges::NONE
            .with(Privilege::Backup)
            .with(Privilege::Restore);
        let t = bob_token().with_privileges(both);
        let intent = CheckOptions {
            backup_intent: true,
            ..CheckOptions::default()
        };
        let read = AccessMask::FILE_GENERIC_READ;
        assert_eq!(check(&d, &t, read), Err(AccessCheckError::AccessDenied));
        assert_eq!(access_check(&d, &t, read, M, intent), Ok(read));
        let write = AccessMask::FILE_GENERIC_WRITE | AccessMask::DELETE | AccessMask::WRITE_DAC;
        assert_eq!(access_check(&d, &t, write, M, intent), Ok(write));
        let backup_only = bob_token().with_privileges(Privileges::NONE.with(Privilege::Backup));
        assert_eq!(
            access_check(&d, &backup_only, write, M, intent),
            Err(AccessCheckError::AccessDenied)
        );
        assert_eq!(
            access_check(&d, &backup_only, AccessMask::MAXIMUM_ALLOWED, M, intent),
            Ok(BACKUP_RIGHTS)
        );
        // Neither grants ACCESS_SYSTEM_SECURITY.
        let ass = AccessMask::ACCESS_SYSTEM_SECURITY;
        assert_eq!(
            access_check(&d, &t, ass, M, intent),
            Err(AccessCheckError::PrivilegeNotHeld)
        );
        // FILE_DELETE_CHILD is not in the restore set.
        let dc = AccessMask::FILE_DELETE_CHILD;
        assert_eq!(
            access_check(&d, &t, dc, M, intent),
            Err(AccessCheckError::AccessDenied)
        );
    }
}
