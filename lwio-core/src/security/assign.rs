//! What a caller may write into an object's descriptor: the owner and the SACL.
//!
//! The same two rules hold whether the descriptor comes with a create (the creator's
//! descriptor of MS-DTYP 2.5.3.4) or with a later set-security (MS-FSA 2.1.5.16):
//!
//! - An owner must be one the token may own: its user, or a group carrying SE_GROUP_OWNER
//!   ([`AccessToken::can_own`]). Any other owner needs SeRestorePrivilege; without it the
//!   request fails with STATUS_INVALID_OWNER. (A set without an owner SID in the buffer is
//!   refused the same way.)
//! - A SACL needs SeSecurityPrivilege; without it the request fails with
//!   STATUS_PRIVILEGE_NOT_HELD. A set-security naming the SACL also needs
//!   ACCESS_SYSTEM_SECURITY on its handle, which the I/O manager checks first and which
//!   only that privilege can grant.
//!
//! Windows applies these in `SeAssignSecurity` and `SeSetSecurityDescriptorInfo`; a file
//! system calls [`check_assignable`] before it stores anything.

use super::{AccessToken, Privilege, SdControl, SecurityDescriptor, SecurityInformation};

/// Why a descriptor may not be assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AssignError {
    /// The owner is not the caller nor a group it may own, and SeRestorePrivilege is not
    /// held (STATUS_INVALID_OWNER).
    #[error("the owner may not be assigned by this caller")]
    InvalidOwner,
    /// A SACL without SeSecurityPrivilege (STATUS_PRIVILEGE_NOT_HELD).
    #[error("a required privilege is not held")]
    PrivilegeNotHeld,
}

impl AssignError {
    /// The NTSTATUS value: 0xC000005A or 0xC0000061.
    pub const fn ntstatus_code(&self) -> u32 {
        match self {
            AssignError::InvalidOwner => 0xC000_005A,
            AssignError::PrivilegeNotHeld => 0xC000_0061,
        }
    }
}

/// The parts a creator's descriptor assigns: its owner if it has one, its SACL if it has
/// one (an empty SACL counts: it replaces what would be inherited).
pub fn parts_of_creator(sd: &SecurityDescriptor) -> SecurityInformation {
    let mut info = SecurityInformation(0);
    if sd.owner.is_some() {
        info = SecurityInformation(info.0 | SecurityInformation::OWNER.0);
    }
    if sd.control.contains(SdControl::SACL_PRESENT) {
        info = SecurityInformation(info.0 | SecurityInformation::SACL.0);
    }
    info
}

/// Checks that `token` may assign the parts `info` names of `sd` (see the module
/// documentation for the rules and their statuses).
pub fn check_assignable(
    sd: &SecurityDescriptor,
    info: SecurityInformation,
    token: &AccessToken,
) -> Result<(), AssignError> {
    if info.contains(SecurityInformation::OWNER) {
        let Some(owner) = &sd.owner else {
            return Err(AssignError::InvalidOwner);
        };
        if !token.can_own(owner) && !token.has_privilege(Privilege::Restore) {
            return Err(AssignError::InvalidOwner);
        }
    }
    let sacl = SecurityInformation(
        SecurityInformation::SACL.0
            | SecurityInformation::ATTRIBUTE.0
            | SecurityInformation::SCOPE.0
            | SecurityInformation::BACKUP.0,
    );
    if info.intersects(sacl) && !token.has_privilege(Privilege::Security) {
        return Err(AssignError::PrivilegeNotHeld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{GroupAttributes, Privileges, Sid, well_known as wk};
    use super::*;

    fn alice() -> Sid {
        "S-1-5-21-1-2-1001".parse().unwrap()
    }

    fn token() -> AccessToken {
        AccessToken::new(alice())
            .with_groups([wk::WORLD, wk::BUILTIN_USERS])
            .with_group(
                wk::BUILTIN_ADMINISTRATORS,
                GroupAttributes::DEFAULT | GroupAttributes::OWNER,
            )
    }

    fn sd(sddl: &str) -> SecurityDescriptor {
        sddl.replace("ALICE", &alice().to_string()).parse().unwrap()
    }

    #[test]
    fn owner_must_be_the_user_or_an_owner_group() {
        let t = token();
        let owner = SecurityInformation::OWNER;
        assert_eq!(check_assignable(&sd("O:ALICED:"), owner, &t), Ok(()));
        assert_eq!(check_assignable(&sd("O:BAD:"), owner, &t), Ok(()));
        // A group the token holds without SE_GROUP_OWNER, and a stranger.
        for bad in ["O:WDD:", "O:BUD:", "O:S-1-5-21-1-2-1002D:"] {
            assert_eq!(
                check_assignable(&sd(bad), owner, &t),
                Err(AssignError::InvalidOwner),
                "{bad}"
            );
        }
        // No owner in a set that names one.
        assert_eq!(
            check_assignable(&sd("D:"), owner, &t),
            Err(AssignError::InvalidOwner)
        );
        // SeRestorePrivilege allows any owner.
        let restore = t
            .clone()
            .with_privileges(Privileges::NONE.with(Privilege::Restore));
        assert_eq!(
            check_assignable(&sd("O:S-1-5-21-1-2-1002D:"), owner, &restore),
            Ok(())
        );
        // Parts not named are not checked.
        assert_eq!(
            check_assignable(&sd("O:WDD:"), SecurityInformation::DACL, &t),
            Ok(())
        );
    }

    #[test]
    fn a_sacl_needs_the_security_privilege() {
        let with_sacl = sd("O:ALICED:S:(AU;SA;FA;;;WD)");
        let info = parts_of_creator(&with_sacl);
        assert!(
            info.contains(SecurityInformation::SACL) && info.contains(SecurityInformation::OWNER)
        );
        assert_eq!(
            check_assignable(&with_sacl, info, &token()),
            Err(AssignError::PrivilegeNotHeld)
        );
        let privileged = token().with_privileges(Privileges::NONE.with(Privilege::Security));
        assert_eq!(check_assignable(&with_sacl, info, &privileged), Ok(()));
        assert_eq!(
            parts_of_creator(&sd("D:(A;;FA;;;WD)")),
            SecurityInformation(0)
        );
        assert_eq!(AssignError::InvalidOwner.ntstatus_code(), 0xC000_005A);
    }
}
