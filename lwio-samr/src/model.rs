//! The objects of the SAM as the store keeps them: the account domain, users, groups and
//! aliases (MS-SAMR 3.1.1, the abstract data model), with the number spaces their fields
//! use (account control bits, time values).
//!
//! Times are Windows FILETIMEs: 100-nanosecond intervals since 1601-01-01 UTC, as the
//! protocol carries them. [`NEVER`] (0x7FFF_FFFF_FFFF_FFFF) is "never" for expiry times;
//! 0 is "never happened" for event times (last logon, password last set).

use lwio_core::Sid;

/// "Never" for an expiry (account expires, password can/must change).
pub const NEVER: i64 = i64::MAX;

/// 100-ns intervals in one second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF_SECS: i64 = 11_644_473_600;

/// The current time as a FILETIME.
pub fn now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64 + EPOCH_DIFF_SECS) * TICKS_PER_SECOND + i64::from(d.subsec_nanos() / 100)
}

/// User account control bits (MS-SAMR 2.2.1.12 USER_ACCOUNT Codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Acb(pub u32);

impl Acb {
    /// USER_ACCOUNT_DISABLED.
    pub const DISABLED: Acb = Acb(0x0000_0001);
    /// USER_HOME_DIRECTORY_REQUIRED.
    pub const HOMDIRREQ: Acb = Acb(0x0000_0002);
    /// USER_PASSWORD_NOT_REQUIRED.
    pub const PWNOTREQ: Acb = Acb(0x0000_0004);
    /// USER_TEMP_DUPLICATE_ACCOUNT.
    pub const TEMPDUP: Acb = Acb(0x0000_0008);
    /// USER_NORMAL_ACCOUNT.
    pub const NORMAL: Acb = Acb(0x0000_0010);
    /// USER_MNS_LOGON_ACCOUNT.
    pub const MNS: Acb = Acb(0x0000_0020);
    /// USER_INTERDOMAIN_TRUST_ACCOUNT.
    pub const DOMTRUST: Acb = Acb(0x0000_0040);
    /// USER_WORKSTATION_TRUST_ACCOUNT.
    pub const WSTRUST: Acb = Acb(0x0000_0080);
    /// USER_SERVER_TRUST_ACCOUNT.
    pub const SVRTRUST: Acb = Acb(0x0000_0100);
    /// USER_DONT_EXPIRE_PASSWORD.
    pub const PWNOEXP: Acb = Acb(0x0000_0200);
    /// USER_ACCOUNT_AUTO_LOCKED (computed from the lockout time; never stored).
    pub const AUTOLOCK: Acb = Acb(0x0000_0400);
    /// USER_ENCRYPTED_TEXT_PASSWORD_ALLOWED.
    pub const ENC_TXT_PWD_ALLOWED: Acb = Acb(0x0000_0800);
    /// USER_SMARTCARD_REQUIRED.
    pub const SMARTCARD_REQUIRED: Acb = Acb(0x0000_1000);
    /// USER_TRUSTED_FOR_DELEGATION.
    pub const TRUSTED_FOR_DELEGATION: Acb = Acb(0x0000_2000);
    /// USER_NOT_DELEGATED.
    pub const NOT_DELEGATED: Acb = Acb(0x0000_4000);
    /// USER_USE_DES_KEY_ONLY.
    pub const USE_DES_KEY_ONLY: Acb = Acb(0x0000_8000);
    /// USER_DONT_REQUIRE_PREAUTH.
    pub const DONT_REQUIRE_PREAUTH: Acb = Acb(0x0001_0000);
    /// USER_PASSWORD_EXPIRED (computed on query; set on a write it forces a change).
    pub const PW_EXPIRED: Acb = Acb(0x0002_0000);
    /// USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION.
    pub const TRUSTED_TO_AUTH_FOR_DELEGATION: Acb = Acb(0x0004_0000);
    /// USER_NO_AUTH_DATA_REQUIRED.
    pub const NO_AUTH_DATA_REQUIRED: Acb = Acb(0x0008_0000);
    /// USER_PARTIAL_SECRETS_ACCOUNT.
    pub const PARTIAL_SECRETS_ACCOUNT: Acb = Acb(0x0010_0000);
    /// USER_USE_AES_KEYS.
    pub const USE_AES_KEYS: Acb = Acb(0x0020_0000);

    /// The account-type bits: exactly one must be set on a stored account.
    pub const TYPE_MASK: u32 = 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x08;

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Acb) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with `other`'s bits set or cleared.
    pub fn with(self, other: Acb, on: bool) -> Acb {
        if on {
            Acb(self.0 | other.0)
        } else {
            Acb(self.0 & !other.0)
        }
    }
}

/// Which of the two domains of a SAM an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainKind {
    /// The machine's account domain (`S-1-5-21-a-b-c`), named after the machine.
    Account,
    /// The Builtin domain (`S-1-5-32`).
    Builtin,
}

impl DomainKind {
    /// The column value of the store.
    pub fn code(self) -> i64 {
        match self {
            DomainKind::Account => 0,
            DomainKind::Builtin => 1,
        }
    }

    /// From the column value.
    pub fn from_code(c: i64) -> DomainKind {
        if c == 1 {
            DomainKind::Builtin
        } else {
            DomainKind::Account
        }
    }
}

/// Whether a group object is a global group or an alias (local group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// A group (SidTypeGroup): members are users of its own domain, by RID.
    Group,
    /// An alias (SidTypeAlias): members are any SIDs.
    Alias,
}

/// DOMAIN_PASSWORD_INFORMATION (MS-SAMR 2.2.3.5), with ages as positive durations in
/// 100-ns units (the wire form is their negation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// MinPasswordLength, in characters.
    pub min_length: u16,
    /// PasswordHistoryLength: how many previous hashes a new password may not repeat.
    pub history_length: u16,
    /// PasswordProperties (DOMAIN_PASSWORD_COMPLEX = 1, ...).
    pub properties: u32,
    /// MaxPasswordAge (0: passwords never expire).
    pub max_age: i64,
    /// MinPasswordAge (0: may change at once).
    pub min_age: i64,
}

/// DOMAIN_PASSWORD_COMPLEX: passwords must meet the complexity rules.
pub const DOMAIN_PASSWORD_COMPLEX: u32 = 0x1;
/// DOMAIN_PASSWORD_NO_CLEAR_CHANGE: the LM-based (OEM) change is refused.
pub const DOMAIN_PASSWORD_NO_CLEAR_CHANGE: u32 = 0x4;
/// DOMAIN_REFUSE_PASSWORD_CHANGE: users may not change their own passwords.
pub const DOMAIN_REFUSE_PASSWORD_CHANGE: u32 = 0x20;

impl Default for PasswordPolicy {
    /// A standalone Windows server's defaults: no minimum length, no history, no
    /// complexity, 42 days maximum age, no minimum age.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 0,
            history_length: 0,
            properties: 0,
            max_age: 42 * 86_400 * TICKS_PER_SECOND,
            min_age: 0,
        }
    }
}

/// DOMAIN_LOCKOUT_INFORMATION (MS-SAMR 2.2.3.15), durations positive in 100-ns units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// LockoutDuration: how long a locked account stays locked.
    pub duration: i64,
    /// LockoutObservationWindow: bad passwords further apart than this start a new count.
    pub window: i64,
    /// LockoutThreshold: bad passwords that lock the account (0: never).
    pub threshold: u16,
}

impl Default for LockoutPolicy {
    /// Windows' defaults: no lockout, 30 minutes duration and window.
    fn default() -> Self {
        LockoutPolicy {
            duration: 30 * 60 * TICKS_PER_SECOND,
            window: 30 * 60 * TICKS_PER_SECOND,
            threshold: 0,
        }
    }
}

/// The account domain's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain (machine) name, e.g. `LWIO`.
    pub name: String,
    /// The domain SID `S-1-5-21-a-b-c`, generated once when the SAM is created.
    pub sid: Sid,
    /// The password policy.
    pub password: PasswordPolicy,
    /// The lockout policy.
    pub lockout: LockoutPolicy,
    /// DOMAIN_OEM_INFORMATION.
    pub oem_information: String,
    /// ForceLogoff, positive in 100-ns units; [`NEVER`] for never.
    pub force_logoff: i64,
    /// The modified count (bumped by every change), DOMAIN_MODIFIED_INFORMATION.
    pub modified_count: u64,
    /// When the domain was created.
    pub creation_time: i64,
    /// The lowest uid/gid handed to new accounts and groups.
    pub unix_id_low: u32,
    /// The highest uid/gid handed to new accounts and groups.
    pub unix_id_high: u32,
    /// The security descriptor of the SAM server object (self-relative), if set.
    pub server_sd: Option<Vec<u8>>,
    /// The security descriptor of the account domain object, if set.
    pub domain_sd: Option<Vec<u8>>,
    /// The security descriptor of the Builtin domain object, if set.
    pub builtin_sd: Option<Vec<u8>>,
}

/// One user account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// Relative identifier in the account domain (0 before creation: the store picks).
    pub rid: u32,
    /// The account (logon) name.
    pub name: String,
    /// FullName.
    pub full_name: String,
    /// AdminComment (description).
    pub description: String,
    /// UserComment.
    pub comment: String,
    /// HomeDirectory.
    pub home_directory: String,
    /// HomeDirectoryDrive.
    pub home_drive: String,
    /// ScriptPath.
    pub script_path: String,
    /// ProfilePath.
    pub profile_path: String,
    /// WorkStations.
    pub workstations: String,
    /// Parameters (opaque to the server).
    pub parameters: String,
    /// The NT hash (MD4 of the UTF-16LE password); `None` until a password is set.
    pub nt_hash: Option<[u8; 16]>,
    /// Earlier NT hashes, newest first (at most the policy's history length).
    pub history: Vec<[u8; 16]>,
    /// UserAccountControl (stored bits; AUTOLOCK and PW_EXPIRED are computed).
    pub acb: u32,
    /// PasswordLastSet; 0 forces a change at next logon.
    pub password_last_set: i64,
    /// AccountExpires ([`NEVER`] or 0: never).
    pub account_expires: i64,
    /// LastLogon.
    pub last_logon: i64,
    /// LastLogoff.
    pub last_logoff: i64,
    /// BadPasswordCount.
    pub bad_password_count: u16,
    /// When the last bad password was given (the lockout window counts from there).
    pub bad_password_time: i64,
    /// LockoutTime: when the account locked, 0 when not locked.
    pub lockout_time: i64,
    /// LogonCount.
    pub logon_count: u16,
    /// PrimaryGroupId (513, None, by default).
    pub primary_group: u32,
    /// CountryCode.
    pub country_code: u16,
    /// CodePage.
    pub code_page: u16,
    /// LogonHours: units per week and the bitmap (empty: any time).
    pub logon_hours: (u16, Vec<u8>),
    /// The Unix uid allocated to the account.
    pub uid: u32,
    /// The object's security descriptor (self-relative), `None` for the default.
    pub sd: Option<Vec<u8>>,
}

/// One group or alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The domain it belongs to.
    pub domain: DomainKind,
    /// Group or alias.
    pub kind: GroupKind,
    /// Relative identifier (0 before creation: the store picks).
    pub rid: u32,
    /// The name.
    pub name: String,
    /// AdminComment (description).
    pub description: String,
    /// The group's attributes (SE_GROUP_* bits; groups only).
    pub attributes: u32,
    /// The Unix gid allocated to it.
    pub gid: u32,
    /// The object's security descriptor (self-relative), `None` for the default.
    pub sd: Option<Vec<u8>>,
}

/// The SID type of a name or SID (MS-SAMR 2.2.2.3 SID_NAME_USE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SidType {
    /// SidTypeUser.
    User = 1,
    /// SidTypeGroup.
    Group = 2,
    /// SidTypeDomain.
    Domain = 3,
    /// SidTypeAlias.
    Alias = 4,
    /// SidTypeWellKnownGroup.
    WellKnownGroup = 5,
    /// SidTypeDeletedAccount.
    Deleted = 6,
    /// SidTypeInvalid.
    Invalid = 7,
    /// SidTypeUnknown.
    Unknown = 8,
}

/// Well-known relative identifiers (MS-SAMR 2.2.1.14 and MS-DTYP 2.4.2.4).
pub mod rid {
    /// DOMAIN_USER_RID_ADMIN.
    pub const ADMINISTRATOR: u32 = 500;
    /// DOMAIN_USER_RID_GUEST.
    pub const GUEST: u32 = 501;
    /// DOMAIN_GROUP_RID_USERS: the "None" group of a standalone server.
    pub const NONE_GROUP: u32 = 513;
    /// DOMAIN_ALIAS_RID_ADMINS.
    pub const ADMINISTRATORS: u32 = 544;
    /// DOMAIN_ALIAS_RID_USERS.
    pub const USERS: u32 = 545;
    /// DOMAIN_ALIAS_RID_GUESTS.
    pub const GUESTS: u32 = 546;
    /// DOMAIN_ALIAS_RID_POWER_USERS.
    pub const POWER_USERS: u32 = 547;
    /// DOMAIN_ALIAS_RID_BACKUP_OPS.
    pub const BACKUP_OPERATORS: u32 = 551;
    /// DOMAIN_ALIAS_RID_REPLICATOR.
    pub const REPLICATOR: u32 = 552;
    /// DOMAIN_ALIAS_RID_REMOTE_DESKTOP_USERS.
    pub const REMOTE_DESKTOP_USERS: u32 = 555;
    /// DOMAIN_ALIAS_RID_NETWORK_CONFIGURATION_OPS.
    pub const NETWORK_CONFIGURATION_OPERATORS: u32 = 556;
    /// DOMAIN_ALIAS_RID_MONITORING_USERS.
    pub const PERFORMANCE_MONITOR_USERS: u32 = 558;
    /// DOMAIN_ALIAS_RID_LOGGING_USERS.
    pub const PERFORMANCE_LOG_USERS: u32 = 559;
    /// DOMAIN_ALIAS_RID_CRYPTO_OPERATORS.
    pub const CRYPTOGRAPHIC_OPERATORS: u32 = 569;
    /// DOMAIN_ALIAS_RID_EVENT_LOG_READERS_GROUP.
    pub const EVENT_LOG_READERS: u32 = 573;
    /// DOMAIN_ALIAS_RID_REMOTE_MANAGEMENT_USERS.
    pub const REMOTE_MANAGEMENT_USERS: u32 = 580;
    /// The first RID handed to a new account, group or alias.
    pub const FIRST_NEW: u32 = 1000;
}

/// The Builtin domain's aliases a new SAM holds: RID, name, description.
pub const BUILTIN_ALIASES: &[(u32, &str, &str)] = &[
    (
        rid::ADMINISTRATORS,
        "Administrators",
        "Administrators have complete and unrestricted access to the computer/domain",
    ),
    (
        rid::USERS,
        "Users",
        "Users are prevented from making accidental or intentional system-wide changes and can run most applications",
    ),
    (
        rid::GUESTS,
        "Guests",
        "Guests have the same access as members of the Users group by default, except for the Guest account which is further restricted",
    ),
    (
        rid::POWER_USERS,
        "Power Users",
        "Power Users are included for backwards compatibility and possess limited administrative powers",
    ),
    (
        rid::BACKUP_OPERATORS,
        "Backup Operators",
        "Backup Operators can override security restrictions for the sole purpose of backing up or restoring files",
    ),
    (
        rid::REPLICATOR,
        "Replicator",
        "Supports file replication in a domain",
    ),
    (
        rid::REMOTE_DESKTOP_USERS,
        "Remote Desktop Users",
        "Members in this group are granted the right to logon remotely",
    ),
    (
        rid::NETWORK_CONFIGURATION_OPERATORS,
        "Network Configuration Operators",
        "Members in this group can have some administrative privileges to manage configuration of networking features",
    ),
    (
        rid::PERFORMANCE_MONITOR_USERS,
        "Performance Monitor Users",
        "Members of this group can access performance counter data locally and remotely",
    ),
    (
        rid::PERFORMANCE_LOG_USERS,
        "Performance Log Users",
        "Members of this group may schedule logging of performance counters, enable trace providers, and collect event traces both locally and via remote access to this computer",
    ),
    (
        rid::CRYPTOGRAPHIC_OPERATORS,
        "Cryptographic Operators",
        "Members are authorized to perform cryptographic operations.",
    ),
    (
        rid::EVENT_LOG_READERS,
        "Event Log Readers",
        "Members of this group can read event logs from local machine",
    ),
    (
        rid::REMOTE_MANAGEMENT_USERS,
        "Remote Management Users",
        "Members of this group can access WMI resources over management protocols (such as WS-Management via the Windows Remote Management service)",
    ),
];
