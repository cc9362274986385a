//! The privileges and account rights a Windows machine knows (MS-LSAD 3.1.1.2.1 and
//! 3.1.1.2.2): the names an administrator grants with LsarAddAccountRights, the LUIDs
//! LsarEnumeratePrivileges and the account-object calls carry, and the English display
//! names of LsarLookupPrivilegeDisplayName.
//!
//! A *privilege* (`Se…Privilege`) has a LUID and lands in the access token of a logon
//! (lwio's tokens hold those its I/O model consults: backup, restore, take ownership,
//! security, change notify, manage volume). A *system access right* (`Se…LogonRight`)
//! has no LUID: it is a bit of the account object's system access mask
//! (LsarGetSystemAccessAccount) and decides which logon types an account may use; the
//! SAM checks the network logon rights at every logon.

/// One privilege: its name, LUID (the high part is always 0) and display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivilegeDef {
    /// The programmatic name, e.g. `SeBackupPrivilege`.
    pub name: &'static str,
    /// The low part of its LUID.
    pub luid: u32,
    /// The English display name, e.g. "Back up files and directories".
    pub display: &'static str,
}

const fn def(luid: u32, name: &'static str, display: &'static str) -> PrivilegeDef {
    PrivilegeDef {
        name,
        luid,
        display,
    }
}

/// Every privilege, in LUID order (what LsarEnumeratePrivileges lists).
pub const PRIVILEGES: &[PrivilegeDef] = &[
    def(2, "SeCreateTokenPrivilege", "Create a token object"),
    def(
        3,
        "SeAssignPrimaryTokenPrivilege",
        "Replace a process level token",
    ),
    def(4, "SeLockMemoryPrivilege", "Lock pages in memory"),
    def(
        5,
        "SeIncreaseQuotaPrivilege",
        "Adjust memory quotas for a process",
    ),
    def(6, "SeMachineAccountPrivilege", "Add workstations to domain"),
    def(7, "SeTcbPrivilege", "Act as part of the operating system"),
    def(8, "SeSecurityPrivilege", "Manage auditing and security log"),
    def(
        9,
        "SeTakeOwnershipPrivilege",
        "Take ownership of files or other objects",
    ),
    def(
        10,
        "SeLoadDriverPrivilege",
        "Load and unload device drivers",
    ),
    def(11, "SeSystemProfilePrivilege", "Profile system performance"),
    def(12, "SeSystemtimePrivilege", "Change the system time"),
    def(
        13,
        "SeProfileSingleProcessPrivilege",
        "Profile single process",
    ),
    def(
        14,
        "SeIncreaseBasePriorityPrivilege",
        "Increase scheduling priority",
    ),
    def(15, "SeCreatePagefilePrivilege", "Create a pagefile"),
    def(
        16,
        "SeCreatePermanentPrivilege",
        "Create permanent shared objects",
    ),
    def(17, "SeBackupPrivilege", "Back up files and directories"),
    def(18, "SeRestorePrivilege", "Restore files and directories"),
    def(19, "SeShutdownPrivilege", "Shut down the system"),
    def(20, "SeDebugPrivilege", "Debug programs"),
    def(21, "SeAuditPrivilege", "Generate security audits"),
    def(
        22,
        "SeSystemEnvironmentPrivilege",
        "Modify firmware environment values",
    ),
    def(23, "SeChangeNotifyPrivilege", "Bypass traverse checking"),
    def(
        24,
        "SeRemoteShutdownPrivilege",
        "Force shutdown from a remote system",
    ),
    def(
        25,
        "SeUndockPrivilege",
        "Remove computer from docking station",
    ),
    def(
        26,
        "SeSyncAgentPrivilege",
        "Synchronize directory service data",
    ),
    def(
        27,
        "SeEnableDelegationPrivilege",
        "Enable computer and user accounts to be trusted for delegation",
    ),
    def(
        28,
        "SeManageVolumePrivilege",
        "Perform volume maintenance tasks",
    ),
    def(
        29,
        "SeImpersonatePrivilege",
        "Impersonate a client after authentication",
    ),
    def(30, "SeCreateGlobalPrivilege", "Create global objects"),
    def(
        31,
        "SeTrustedCredManAccessPrivilege",
        "Access Credential Manager as a trusted caller",
    ),
    def(32, "SeRelabelPrivilege", "Modify an object label"),
    def(
        33,
        "SeIncreaseWorkingSetPrivilege",
        "Increase a process working set",
    ),
    def(34, "SeTimeZonePrivilege", "Change the time zone"),
    def(35, "SeCreateSymbolicLinkPrivilege", "Create symbolic links"),
    def(
        36,
        "SeDelegateSessionUserImpersonatePrivilege",
        "Obtain an impersonation token for another user in the same session",
    ),
];

/// The system access rights and their bits in an account object's system access mask
/// (MS-LSAD 2.2.1.1.3: POLICY_MODE_INTERACTIVE and the others).
pub const SYSTEM_ACCESS_RIGHTS: &[(&str, u32)] = &[
    ("SeInteractiveLogonRight", 0x0000_0001),
    ("SeNetworkLogonRight", 0x0000_0002),
    ("SeBatchLogonRight", 0x0000_0004),
    ("SeServiceLogonRight", 0x0000_0010),
    ("SeDenyInteractiveLogonRight", 0x0000_0040),
    ("SeDenyNetworkLogonRight", 0x0000_0080),
    ("SeDenyBatchLogonRight", 0x0000_0100),
    ("SeDenyServiceLogonRight", 0x0000_0200),
    ("SeRemoteInteractiveLogonRight", 0x0000_0400),
    ("SeDenyRemoteInteractiveLogonRight", 0x0000_0800),
];

/// Every bit a system access mask may hold.
pub const SYSTEM_ACCESS_MASK: u32 = 0x0000_0FD7;

/// The right that lets an account log on over the network.
pub const NETWORK_LOGON_RIGHT: &str = "SeNetworkLogonRight";
/// The right that keeps an account from logging on over the network.
pub const DENY_NETWORK_LOGON_RIGHT: &str = "SeDenyNetworkLogonRight";

/// The privilege named `name` (compared without regard to case, as Windows does).
pub fn by_name(name: &str) -> Option<&'static PrivilegeDef> {
    PRIVILEGES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The privilege with LUID `luid` (high part `high`, which is always 0 for a known one).
pub fn by_luid(low: u32, high: i32) -> Option<&'static PrivilegeDef> {
    if high != 0 {
        return None;
    }
    PRIVILEGES.iter().find(|p| p.luid == low)
}

/// The canonical spelling of the privilege or right `name`, if it is one.
pub fn canonical(name: &str) -> Option<&'static str> {
    by_name(name).map(|p| p.name).or_else(|| {
        SYSTEM_ACCESS_RIGHTS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, _)| *n)
    })
}

/// The system access bit of the right `name` (0 for a privilege or an unknown name).
pub fn system_access_bit(name: &str) -> u32 {
    SYSTEM_ACCESS_RIGHTS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(0, |(_, b)| *b)
}

/// The rights named by the bits of a system access mask.
pub fn rights_of_mask(mask: u32) -> impl Iterator<Item = &'static str> {
    SYSTEM_ACCESS_RIGHTS
        .iter()
        .filter(move |(_, b)| mask & b != 0)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_luids_and_rights_are_consistent() {
        for w in PRIVILEGES.windows(2) {
            assert!(w[0].luid < w[1].luid);
        }
        assert_eq!(by_name("sebackupprivilege").map(|p| p.luid), Some(17));
        assert_eq!(
            by_luid(23, 0).map(|p| p.name),
            Some("SeChangeNotifyPrivilege")
        );
        assert!(by_luid(23, 1).is_none());
        assert_eq!(
            canonical("senetworklogonright"),
            Some("SeNetworkLogonRight")
        );
        assert_eq!(canonical("SeNoSuchRight"), None);
        let all = SYSTEM_ACCESS_RIGHTS.iter().fold(0, |m, (_, b)| m | b);
        assert_eq!(all, SYSTEM_ACCESS_MASK);
        assert_eq!(
            rights_of_mask(0x82).collect::<Vec<_>>(),
            ["SeNetworkLogonRight", "SeDenyNetworkLogonRight"]
        );
        // Every privilege lwio's tokens carry is in the catalogue, with the same LUID.
        for p in lwio_core::security::Privilege::ALL {
            assert_eq!(by_name(p.name()).map(|d| d.luid), Some(p.luid()));
        }
    }
}
