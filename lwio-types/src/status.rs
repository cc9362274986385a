//! NTSTATUS codes (MS-ERREF 2.3).
//!
//! An [`NtStatus`] is an open 32-bit newtype: every value round-trips, named or not. The
//! value is laid out as MS-ERREF 2.3 describes:
//!
//! ```text
//!  31 30 | 29 | 28 | 27 ........ 16 | 15 ........ 0
//!  Sev   | C  | N  | Facility       | Code
//! ```
//!
//! Severity 0 is success, 1 informational, 2 warning and 3 error. `NT_SUCCESS` is true for
//! severities 0 and 1 ([`NtStatus::is_success`]); a warning such as
//! [`NtStatus::BUFFER_OVERFLOW`] is not a success, but the operation did produce output, so
//! [`NtStatus::into_result`] only turns severity 3 into an `Err`.
//!
//! The named constants drop Windows' `STATUS_` prefix (`NtStatus::ACCESS_DENIED`), while
//! [`Display`](fmt::Display) and [`NtStatus::name`] give the name as Windows spells it
//! (`STATUS_ACCESS_DENIED`). DCE/RPC codes keep their own prefixes in both places
//! (`NtStatus::RPC_NT_CALL_FAILED`, shown as `RPC_NT_CALL_FAILED`). Every value below was
//! checked against the MS-ERREF 2.3.1 table.

use std::fmt;

/// An NTSTATUS value (MS-ERREF 2.3). Unknown values are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct NtStatus(pub u32);

/// The two severity bits of an [`NtStatus`] (MS-ERREF 2.3, `Sev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Severity {
    /// Severity 0: the operation succeeded.
    Success = 0,
    /// Severity 1: success, with information for the caller.
    Informational = 1,
    /// Severity 2: a warning; the operation may have completed in part.
    Warning = 2,
    /// Severity 3: the operation failed.
    Error = 3,
}

/// Declares the named statuses once. Each `prefix` block gives the text that turns a
/// constant's name into its Windows spelling. From the same list it generates the
/// constants, [`NtStatus::name`] (a `match`, which the compiler lowers to a jump table or a
/// binary search) and `TABLE`, which `from_name` and the tests walk.
macro_rules! nt_statuses {
    ($(
        prefix $prefix:literal {
            $( $(#[$doc:meta])* $name:ident = $value:literal; )*
        }
    )*) => {
        impl NtStatus {
            $($(
                $(#[$doc])*
                pub const $name: NtStatus = NtStatus($value);
            )*)*

            /// The symbolic name as Windows spells it (`STATUS_ACCESS_DENIED`), or `None`
            /// for a value this module does not name.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($( $value => Some(concat!($prefix, stringify!($name))), )*)*
                    _ => None,
                }
            }
        }

        /// Every named status in declaration order: value, constant name, Windows name.
        const TABLE: &[(NtStatus, &str, &str)] = &[
            $($( (
                NtStatus::$name,
                stringify!($name),
                concat!($prefix, stringify!($name)),
            ), )*)*
        ];
    };
}

nt_statuses! {
    prefix "STATUS_" {
        // Severity 0: success.

        /// The operation completed successfully.
        SUCCESS = 0x0000_0000;
        /// A wait timed out.
        TIMEOUT = 0x0000_0102;
        /// The operation was queued and will complete later.
        PENDING = 0x0000_0103;
        /// The I/O manager must reparse the name (a symbolic link or mount point).
        REPARSE = 0x0000_0104;
        /// An enumeration returned some entries; call again for more.
        MORE_ENTRIES = 0x0000_0105;
        /// Not every requested privilege or group was adjusted.
        NOT_ALL_ASSIGNED = 0x0000_0106;
        /// Some, but not all, names or SIDs were translated.
        SOME_NOT_MAPPED = 0x0000_0107;
        /// The open completed while an oplock break is still under way.
        OPLOCK_BREAK_IN_PROGRESS = 0x0000_0108;
        /// A file system mounted a new volume.
        VOLUME_MOUNTED = 0x0000_0109;
        /// A lease (Windows 7 oplock) moved to a newer open of its oplock key: the older
        /// request completes with this (MS-FSA 2.1.5.17.2).
        OPLOCK_SWITCHED_TO_NEW_HANDLE = 0x0000_0215;
        /// The open holding a lease's request closed while other opens of its key remain
        /// (MS-FSA 2.1.5.4).
        OPLOCK_HANDLE_CLOSED = 0x0000_0216;
        /// A change-notify request ended because its handle was closed.
        NOTIFY_CLEANUP = 0x0000_010B;
        /// Changes overflowed the notify buffer; the caller must enumerate the directory.
        NOTIFY_ENUM_DIR = 0x0000_010C;
        /// The buffer holds only zeros.
        BUFFER_ALL_ZEROS = 0x0000_0117;
        /// The object manager must reparse with a new object.
        REPARSE_OBJECT = 0x0000_0118;
        /// The file is locked and every user of it can only read.
        FILE_LOCKED_WITH_ONLY_READERS = 0x0000_012A;
        /// The file is locked and at least one user of it can write.
        FILE_LOCKED_WITH_WRITERS = 0x0000_012B;
        /// The operation is blocked until an oplock is acknowledged.
        WAIT_FOR_OPLOCK = 0x0000_0367;

        // Severity 1: informational.

        /// The object was opened because an object of that name already exists.
        OBJECT_NAME_EXISTS = 0x4000_0000;
        /// The session key returned for a local RPC connection is a fixed value.
        LOCAL_USER_SESSION_KEY = 0x4000_0006;
        /// The password cannot be expressed as a LAN Manager password; the LM hash is null.
        NULL_LM_PASSWORD = 0x4000_000D;

        // Severity 2: warnings.

        /// A load or store was misaligned.
        DATATYPE_MISALIGNMENT = 0x8000_0002;
        /// The data did not fit; the buffer holds as much as fitted.
        BUFFER_OVERFLOW = 0x8000_0005;
        /// A directory enumeration found no more matching files.
        NO_MORE_FILES = 0x8000_0006;
        /// The file has no more extended attributes to return.
        NO_MORE_EAS = 0x8000_0012;
        /// An extended attribute name holds a character that is not allowed.
        INVALID_EA_NAME = 0x8000_0013;
        /// A list of extended attributes is malformed.
        EA_LIST_INCONSISTENT = 0x8000_0014;
        /// An extended attribute carries an unknown flag.
        INVALID_EA_FLAG = 0x8000_0015;
        /// An enumeration has no more entries.
        NO_MORE_ENTRIES = 0x8000_001A;
        /// The connection was already disconnected.
        ALREADY_DISCONNECTED = 0x8000_0025;
        /// The create stopped at a symbolic link (the caller asked not to follow it).
        STOPPED_ON_SYMLINK = 0x8000_002D;

        // Severity 3: errors.

        /// The operation failed for an unspecified reason.
        UNSUCCESSFUL = 0xC000_0001;
        /// The operation is not implemented.
        NOT_IMPLEMENTED = 0xC000_0002;
        /// The information class is not valid for this object.
        INVALID_INFO_CLASS = 0xC000_0003;
        /// The buffer length does not match what the information class needs.
        INFO_LENGTH_MISMATCH = 0xC000_0004;
        /// An access to memory was invalid.
        ACCESS_VIOLATION = 0xC000_0005;
        /// The handle is not valid.
        INVALID_HANDLE = 0xC000_0008;
        /// A parameter is not valid.
        INVALID_PARAMETER = 0xC000_000D;
        /// The device does not exist.
        NO_SUCH_DEVICE = 0xC000_000E;
        /// The file does not exist.
        NO_SUCH_FILE = 0xC000_000F;
        /// The request is not a valid operation for the device.
        INVALID_DEVICE_REQUEST = 0xC000_0010;
        /// A read started at or beyond the end of the file.
        END_OF_FILE = 0xC000_0011;
        /// The wrong volume is in the drive.
        WRONG_VOLUME = 0xC000_0012;
        /// The drive holds no media.
        NO_MEDIA_IN_DEVICE = 0xC000_0013;
        /// The exchange is not finished: send the next leg (used by SPNEGO session setup).
        MORE_PROCESSING_REQUIRED = 0xC000_0016;
        /// Not enough memory or quota.
        NO_MEMORY = 0xC000_0017;
        /// A lock sequence was not valid.
        INVALID_LOCK_SEQUENCE = 0xC000_001E;
        /// A view is larger than its section.
        INVALID_VIEW_SIZE = 0xC000_001F;
        /// The caller lacks the access it asked for.
        ACCESS_DENIED = 0xC000_0022;
        /// The buffer is too small; nothing was written.
        BUFFER_TOO_SMALL = 0xC000_0023;
        /// The object is not of the type the operation needs.
        OBJECT_TYPE_MISMATCH = 0xC000_0024;
        /// Execution cannot continue after this exception.
        NONCONTINUABLE_EXCEPTION = 0xC000_0025;
        /// The range to unlock was not locked.
        NOT_LOCKED = 0xC000_002A;
        /// The parameters are not valid together.
        INVALID_PARAMETER_MIX = 0xC000_0030;
        /// The on-disk structure of the volume is corrupt.
        DISK_CORRUPT_ERROR = 0xC000_0032;
        /// The name is not a valid object name.
        OBJECT_NAME_INVALID = 0xC000_0033;
        /// No object has that name.
        OBJECT_NAME_NOT_FOUND = 0xC000_0034;
        /// An object of that name already exists.
        OBJECT_NAME_COLLISION = 0xC000_0035;
        /// A component of the path is not a directory.
        OBJECT_PATH_INVALID = 0xC000_0039;
        /// A directory on the path does not exist.
        OBJECT_PATH_NOT_FOUND = 0xC000_003A;
        /// The path is syntactically wrong.
        OBJECT_PATH_SYNTAX_BAD = 0xC000_003B;
        /// Reading or writing the data failed.
        DATA_ERROR = 0xC000_003E;
        /// A checksum did not match.
        CRC_ERROR = 0xC000_003F;
        /// The requested share access conflicts with an existing open.
        SHARING_VIOLATION = 0xC000_0043;
        /// A quota would be exceeded.
        QUOTA_EXCEEDED = 0xC000_0044;
        /// The file system does not support extended attributes.
        EAS_NOT_SUPPORTED = 0xC000_004F;
        /// The set of extended attributes is too large.
        EA_TOO_LARGE = 0xC000_0050;
        /// No extended attribute has that name or index.
        NONEXISTENT_EA_ENTRY = 0xC000_0051;
        /// The file has no extended attributes.
        NO_EAS_ON_FILE = 0xC000_0052;
        /// The stored extended attributes are corrupt.
        EA_CORRUPT_ERROR = 0xC000_0053;
        /// A byte-range lock held by another open blocks the read or write.
        FILE_LOCK_CONFLICT = 0xC000_0054;
        /// The byte-range lock conflicts with existing locks.
        LOCK_NOT_GRANTED = 0xC000_0055;
        /// The file is marked for deletion; only close is allowed.
        DELETE_PENDING = 0xC000_0056;
        /// The file system does not support the control attribute.
        CTL_FILE_NOT_SUPPORTED = 0xC000_0057;
        /// A structure has a revision this code does not know.
        UNKNOWN_REVISION = 0xC000_0058;
        /// Two revision levels are incompatible.
        REVISION_MISMATCH = 0xC000_0059;
        /// The SID cannot be the owner of the object.
        INVALID_OWNER = 0xC000_005A;
        /// The SID cannot be the primary group of the object.
        INVALID_PRIMARY_GROUP = 0xC000_005B;
        /// The thread is not impersonating a client.
        NO_IMPERSONATION_TOKEN = 0xC000_005C;
        /// A mandatory group cannot be disabled.
        CANT_DISABLE_MANDATORY = 0xC000_005D;
        /// No logon server is available.
        NO_LOGON_SERVERS = 0xC000_005E;
        /// The logon session does not exist.
        NO_SUCH_LOGON_SESSION = 0xC000_005F;
        /// The privilege does not exist.
        NO_SUCH_PRIVILEGE = 0xC000_0060;
        /// The caller does not hold a required privilege.
        PRIVILEGE_NOT_HELD = 0xC000_0061;
        /// The account name is malformed.
        INVALID_ACCOUNT_NAME = 0xC000_0062;
        /// The account already exists.
        USER_EXISTS = 0xC000_0063;
        /// The account does not exist.
        NO_SUCH_USER = 0xC000_0064;
        /// The group already exists.
        GROUP_EXISTS = 0xC000_0065;
        /// The group does not exist.
        NO_SUCH_GROUP = 0xC000_0066;
        /// The account is already in the group, or the group still has members.
        MEMBER_IN_GROUP = 0xC000_0067;
        /// The account is not a member of the group.
        MEMBER_NOT_IN_GROUP = 0xC000_0068;
        /// The operation would remove the last administrator account.
        LAST_ADMIN = 0xC000_0069;
        /// The current password given for a password change is wrong.
        WRONG_PASSWORD = 0xC000_006A;
        /// The new password contains values that are not allowed.
        ILL_FORMED_PASSWORD = 0xC000_006B;
        /// The new password breaks a password policy rule.
        PASSWORD_RESTRICTION = 0xC000_006C;
        /// Unknown user name or bad password.
        LOGON_FAILURE = 0xC000_006D;
        /// An account restriction prevents this logon.
        ACCOUNT_RESTRICTION = 0xC000_006E;
        /// The account may not log on at this time of day.
        INVALID_LOGON_HOURS = 0xC000_006F;
        /// The account may not log on from this workstation.
        INVALID_WORKSTATION = 0xC000_0070;
        /// The account's password has expired.
        PASSWORD_EXPIRED = 0xC000_0071;
        /// The account is disabled.
        ACCOUNT_DISABLED = 0xC000_0072;
        /// None of the names or SIDs could be translated.
        NONE_MAPPED = 0xC000_0073;
        /// A sub-authority value is not valid here.
        INVALID_SUB_AUTHORITY = 0xC000_0076;
        /// The ACL is malformed.
        INVALID_ACL = 0xC000_0077;
        /// The SID is malformed.
        INVALID_SID = 0xC000_0078;
        /// The security descriptor is malformed.
        INVALID_SECURITY_DESCR = 0xC000_0079;
        /// There is no token to reference (the thread is not impersonating).
        NO_TOKEN = 0xC000_007C;
        /// An inherited ACL or ACE could not be built.
        BAD_INHERITANCE_ACL = 0xC000_007D;
        /// The byte range to unlock was not locked.
        RANGE_NOT_LOCKED = 0xC000_007E;
        /// The disk is full.
        DISK_FULL = 0xC000_007F;
        /// The server is disabled.
        SERVER_DISABLED = 0xC000_0080;
        /// The server is not disabled.
        SERVER_NOT_DISABLED = 0xC000_0081;
        /// An identifier authority value is not valid.
        INVALID_ID_AUTHORITY = 0xC000_0084;
        /// The volume label is not valid.
        INVALID_VOLUME_LABEL = 0xC000_0086;
        /// The volume was changed under an open file, which is no longer valid.
        FILE_INVALID = 0xC000_0098;
        /// Not enough system resources to complete the request.
        INSUFFICIENT_RESOURCES = 0xC000_009A;
        /// The media is write-protected.
        MEDIA_WRITE_PROTECTED = 0xC000_00A2;
        /// The device is not ready.
        DEVICE_NOT_READY = 0xC000_00A3;
        /// The group attributes are not valid.
        INVALID_GROUP_ATTRIBUTES = 0xC000_00A4;
        /// The impersonation level is not valid or not high enough.
        BAD_IMPERSONATION_LEVEL = 0xC000_00A5;
        /// An anonymous-level token cannot be opened.
        CANT_OPEN_ANONYMOUS = 0xC000_00A6;
        /// The validation information class is not valid.
        BAD_VALIDATION_CLASS = 0xC000_00A7;
        /// The token type does not suit this use.
        BAD_TOKEN_TYPE = 0xC000_00A8;
        /// The pipe has reached its maximum number of instances.
        INSTANCE_NOT_AVAILABLE = 0xC000_00AB;
        /// No instance of the pipe is listening.
        PIPE_NOT_AVAILABLE = 0xC000_00AC;
        /// The pipe is neither connected nor closing.
        INVALID_PIPE_STATE = 0xC000_00AD;
        /// The pipe has pending operations and cannot change mode.
        PIPE_BUSY = 0xC000_00AE;
        /// The handle is not open to the server end of the pipe.
        ILLEGAL_FUNCTION = 0xC000_00AF;
        /// The pipe is disconnected.
        PIPE_DISCONNECTED = 0xC000_00B0;
        /// The pipe is closing.
        PIPE_CLOSING = 0xC000_00B1;
        /// The pipe is already connected.
        PIPE_CONNECTED = 0xC000_00B2;
        /// The pipe is listening.
        PIPE_LISTENING = 0xC000_00B3;
        /// The pipe is not in message mode.
        INVALID_READ_MODE = 0xC000_00B4;
        /// The I/O did not complete before its timeout.
        IO_TIMEOUT = 0xC000_00B5;
        /// The file was closed by another open.
        FILE_FORCED_CLOSED = 0xC000_00B6;
        /// The target is a directory, and the caller ruled directories out.
        FILE_IS_A_DIRECTORY = 0xC000_00BA;
        /// The request is not supported.
        NOT_SUPPORTED = 0xC000_00BB;
        /// The remote computer is not listening.
        REMOTE_NOT_LISTENING = 0xC000_00BC;
        /// The name already exists on the network.
        DUPLICATE_NAME = 0xC000_00BD;
        /// The network path cannot be found.
        BAD_NETWORK_PATH = 0xC000_00BE;
        /// The network is busy.
        NETWORK_BUSY = 0xC000_00BF;
        /// The device does not exist.
        DEVICE_DOES_NOT_EXIST = 0xC000_00C0;
        /// The peer's response was not valid.
        INVALID_NETWORK_RESPONSE = 0xC000_00C3;
        /// An unexpected network error occurred.
        UNEXPECTED_NETWORK_ERROR = 0xC000_00C4;
        /// The share or network name was deleted.
        NETWORK_NAME_DELETED = 0xC000_00C9;
        /// Network access is denied.
        NETWORK_ACCESS_DENIED = 0xC000_00CA;
        /// The share's type does not match the requested type.
        BAD_DEVICE_TYPE = 0xC000_00CB;
        /// The share name does not exist on the server.
        BAD_NETWORK_NAME = 0xC000_00CC;
        /// The session limit was exceeded.
        TOO_MANY_SESSIONS = 0xC000_00CE;
        /// Sharing is paused.
        SHARING_PAUSED = 0xC000_00CF;
        /// The server accepts no more connections now.
        REQUEST_NOT_ACCEPTED = 0xC000_00D0;
        /// A rename target is on a different device than its source.
        NOT_SAME_DEVICE = 0xC000_00D4;
        /// The file was renamed and cannot be modified through this open.
        FILE_RENAMED = 0xC000_00D5;
        /// The session to the server was closed after a request timed out.
        VIRTUAL_CIRCUIT_CLOSED = 0xC000_00D6;
        /// The object has no security.
        NO_SECURITY_ON_OBJECT = 0xC000_00D7;
        /// The operation would have to block, and the caller asked it not to.
        CANT_WAIT = 0xC000_00D8;
        /// A read found the pipe empty.
        PIPE_EMPTY = 0xC000_00D9;
        /// Domain information could not be read from the domain controller.
        CANT_ACCESS_DOMAIN_INFO = 0xC000_00DA;
        /// The SAM server is in the wrong state for the operation.
        INVALID_SERVER_STATE = 0xC000_00DC;
        /// The domain is in the wrong state for the operation.
        INVALID_DOMAIN_STATE = 0xC000_00DD;
        /// Only the primary domain controller may do this.
        INVALID_DOMAIN_ROLE = 0xC000_00DE;
        /// The domain does not exist.
        NO_SUCH_DOMAIN = 0xC000_00DF;
        /// The domain already exists.
        DOMAIN_EXISTS = 0xC000_00E0;
        /// The server already has its maximum number of domains.
        DOMAIN_LIMIT_EXCEEDED = 0xC000_00E1;
        /// The oplock request was denied.
        OPLOCK_NOT_GRANTED = 0xC000_00E2;
        /// An oplock acknowledgment was not valid.
        INVALID_OPLOCK_PROTOCOL = 0xC000_00E3;
        /// An on-disk database structure is corrupt.
        INTERNAL_DB_CORRUPTION = 0xC000_00E4;
        /// An internal error occurred.
        INTERNAL_ERROR = 0xC000_00E5;
        /// An access mask still holds generic rights that should have been mapped.
        GENERIC_NOT_MAPPED = 0xC000_00E6;
        /// The security descriptor is in the wrong form (absolute or self-relative).
        BAD_DESCRIPTOR_FORMAT = 0xC000_00E7;
        /// A user buffer could not be accessed.
        INVALID_USER_BUFFER = 0xC000_00E8;
        /// An I/O error outside the expected set occurred.
        UNEXPECTED_IO_ERROR = 0xC000_00E9;
        /// The first parameter is not valid.
        INVALID_PARAMETER_1 = 0xC000_00EF;
        /// The second parameter is not valid.
        INVALID_PARAMETER_2 = 0xC000_00F0;
        /// The third parameter is not valid.
        INVALID_PARAMETER_3 = 0xC000_00F1;
        /// The authentication package is unknown.
        NO_SUCH_PACKAGE = 0xC000_00FE;
        /// The directory to delete is not empty.
        DIRECTORY_NOT_EMPTY = 0xC000_0101;
        /// The file or directory is corrupt.
        FILE_CORRUPT_ERROR = 0xC000_0102;
        /// The caller asked for a directory and the file is not one.
        NOT_A_DIRECTORY = 0xC000_0103;
        /// The logon session is in the wrong state for the operation.
        BAD_LOGON_SESSION_STATE = 0xC000_0104;
        /// A name is too long.
        NAME_TOO_LONG = 0xC000_0106;
        /// Files are still open on the connection.
        FILES_OPEN = 0xC000_0107;
        /// Directories are still open on the connection.
        CONNECTION_IN_USE = 0xC000_0108;
        /// The logon type is not valid.
        INVALID_LOGON_TYPE = 0xC000_010B;
        /// The pipe client cannot be impersonated before the pipe has been read.
        CANNOT_IMPERSONATE = 0xC000_010D;
        /// Too many files are open on the remote server.
        TOO_MANY_OPENED_FILES = 0xC000_011F;
        /// The I/O request was cancelled.
        CANCELLED = 0xC000_0120;
        /// The file or directory cannot be deleted.
        CANNOT_DELETE = 0xC000_0121;
        /// The computer name is not valid.
        INVALID_COMPUTER_NAME = 0xC000_0122;
        /// The file was deleted; only close is allowed.
        FILE_DELETED = 0xC000_0123;
        /// The operation is not allowed on a built-in account.
        SPECIAL_ACCOUNT = 0xC000_0124;
        /// The operation is not allowed on a built-in group.
        SPECIAL_GROUP = 0xC000_0125;
        /// The operation is not allowed on a built-in user.
        SPECIAL_USER = 0xC000_0126;
        /// The group is the member's primary group and cannot lose it.
        MEMBERS_PRIMARY_GROUP = 0xC000_0127;
        /// The file object has already been cleaned up or closed.
        FILE_CLOSED = 0xC000_0128;
        /// The clocks of the domain controller and this machine differ too much.
        TIME_DIFFERENCE_AT_DC = 0xC000_0133;
        /// The local transport closed the connection.
        LOCAL_DISCONNECT = 0xC000_013B;
        /// The remote transport closed the connection.
        REMOTE_DISCONNECT = 0xC000_013C;
        /// The remote computer lacks the resources for the request.
        REMOTE_RESOURCES = 0xC000_013D;
        /// The connection handle given to the transport is not valid.
        INVALID_CONNECTION = 0xC000_0140;
        /// The information level is not valid.
        INVALID_LEVEL = 0xC000_0148;
        /// The other end of the pipe was closed.
        PIPE_BROKEN = 0xC000_014B;
        /// The volume holds no recognized file system.
        UNRECOGNIZED_VOLUME = 0xC000_014F;
        /// The alias (local group) does not exist.
        NO_SUCH_ALIAS = 0xC000_0151;
        /// The account is not a member of the alias.
        MEMBER_NOT_IN_ALIAS = 0xC000_0152;
        /// The account is already a member of the alias.
        MEMBER_IN_ALIAS = 0xC000_0153;
        /// The alias already exists.
        ALIAS_EXISTS = 0xC000_0154;
        /// Local policy does not grant this kind of logon.
        LOGON_NOT_GRANTED = 0xC000_0155;
        /// The LSA database is internally inconsistent.
        INTERNAL_DB_ERROR = 0xC000_0158;
        /// The security context accumulated too many SIDs.
        TOO_MANY_CONTEXT_IDS = 0xC000_015A;
        /// The user has not been granted this logon type.
        LOGON_TYPE_NOT_GRANTED = 0xC000_015B;
        /// A password change needs the NT cross-encrypted password.
        NT_CROSS_ENCRYPTION_REQUIRED = 0xC000_015D;
        /// A character is not allowed (e.g. a lone lead byte, or U+FFFF).
        ILLEGAL_CHARACTER = 0xC000_0161;
        /// A Unicode character has no mapping in the target code page.
        UNMAPPABLE_CHARACTER = 0xC000_0162;
        /// A Unicode character is not defined.
        UNDEFINED_CHARACTER = 0xC000_0163;
        /// The member does not exist.
        NO_SUCH_MEMBER = 0xC000_017A;
        /// The member has the wrong account type.
        INVALID_MEMBER = 0xC000_017B;
        /// Too many SIDs were given.
        TOO_MANY_SIDS = 0xC000_017E;
        /// A password change needs the LM cross-encrypted password.
        LM_CROSS_ENCRYPTION_REQUIRED = 0xC000_017F;
        /// The device is in the wrong state for the request.
        INVALID_DEVICE_STATE = 0xC000_0184;
        /// The device reported an I/O error.
        IO_DEVICE_ERROR = 0xC000_0185;
        /// The log file is full.
        LOG_FILE_FULL = 0xC000_0188;
        /// A write reached a volume after it was dismounted.
        TOO_LATE = 0xC000_0189;
        /// There is no trust secret for the primary domain.
        NO_TRUST_LSA_SECRET = 0xC000_018A;
        /// The domain has no computer account for this trust.
        NO_TRUST_SAM_ACCOUNT = 0xC000_018B;
        /// The trust between the primary and the trusted domain failed.
        TRUSTED_DOMAIN_FAILURE = 0xC000_018C;
        /// The trust between this machine and its domain failed.
        TRUSTED_RELATIONSHIP_FAILURE = 0xC000_018D;
        /// The network logon failed (the validating authority may be unreachable).
        TRUST_FAILURE = 0xC000_0190;
        /// The NetLogon service is not started.
        NETLOGON_NOT_STARTED = 0xC000_0192;
        /// The account has expired.
        ACCOUNT_EXPIRED = 0xC000_0193;
        /// A deadlock is possible.
        POSSIBLE_DEADLOCK = 0xC000_0194;
        /// The user already connected to this server under another name.
        NETWORK_CREDENTIAL_CONFLICT = 0xC000_0195;
        /// The server already has too many sessions.
        REMOTE_SESSION_LIMIT = 0xC000_0196;
        /// An interdomain trust account cannot log on here.
        NOLOGON_INTERDOMAIN_TRUST_ACCOUNT = 0xC000_0198;
        /// A workstation (computer) account cannot log on here.
        NOLOGON_WORKSTATION_TRUST_ACCOUNT = 0xC000_0199;
        /// A server trust account cannot log on here.
        NOLOGON_SERVER_TRUST_ACCOUNT = 0xC000_019A;
        /// The domain's name or SID does not match its trust information.
        DOMAIN_TRUST_INCONSISTENT = 0xC000_019B;
        /// The volume needs a file system driver that is not loaded.
        FS_DRIVER_REQUIRED = 0xC000_019C;
        /// A byte-range lock request has an invalid range.
        INVALID_LOCK_RANGE = 0xC000_01A1;
        /// The remote open failed the network open restrictions.
        NETWORK_OPEN_RESTRICTION = 0xC000_0201;
        /// The logon session has no user session key.
        NO_USER_SESSION_KEY = 0xC000_0202;
        /// The remote user session was deleted.
        USER_SESSION_DELETED = 0xC000_0203;
        /// The server lacks the resources for the request.
        INSUFF_SERVER_RESOURCES = 0xC000_0205;
        /// The buffer size is not valid for the operation.
        INVALID_BUFFER_SIZE = 0xC000_0206;
        /// The transport address is closed.
        ADDRESS_CLOSED = 0xC000_020B;
        /// The transport connection is disconnected.
        CONNECTION_DISCONNECTED = 0xC000_020C;
        /// The transport connection was reset.
        CONNECTION_RESET = 0xC000_020D;
        /// The user must change the password before the first logon.
        PASSWORD_MUST_CHANGE = 0xC000_0224;
        /// The object was not found.
        NOT_FOUND = 0xC000_0225;
        /// The object ID is already in the index.
        DUPLICATE_OBJECTID = 0xC000_022A;
        /// The object already has an object ID.
        OBJECTID_EXISTS = 0xC000_022B;
        /// The request must be retried.
        RETRY = 0xC000_022D;
        /// No domain controller was found for the domain.
        DOMAIN_CONTROLLER_NOT_FOUND = 0xC000_0233;
        /// The account is locked out after too many failed attempts.
        ACCOUNT_LOCKED_OUT = 0xC000_0234;
        /// The handle is protected from close.
        HANDLE_NOT_CLOSABLE = 0xC000_0235;
        /// The remote system refused the connection.
        CONNECTION_REFUSED = 0xC000_0236;
        /// The transport connection was closed gracefully.
        GRACEFUL_DISCONNECT = 0xC000_0237;
        /// The transport connection does not exist.
        CONNECTION_INVALID = 0xC000_023A;
        /// The operation is not valid on an active connection.
        CONNECTION_ACTIVE = 0xC000_023B;
        /// The remote network is unreachable.
        NETWORK_UNREACHABLE = 0xC000_023C;
        /// The remote host is unreachable.
        HOST_UNREACHABLE = 0xC000_023D;
        /// The remote system does not support the transport protocol.
        PROTOCOL_UNREACHABLE = 0xC000_023E;
        /// Nothing listens on the remote port.
        PORT_UNREACHABLE = 0xC000_023F;
        /// The request was aborted.
        REQUEST_ABORTED = 0xC000_0240;
        /// The local system aborted the connection.
        CONNECTION_ABORTED = 0xC000_0241;
        /// Compressed data is malformed.
        BAD_COMPRESSION_BUFFER = 0xC000_0242;
        /// The file has a user-mapped section open, which blocks the operation.
        USER_MAPPED_FILE = 0xC000_0243;
        /// The account has reached its limit of concurrent connections.
        CONNECTION_COUNT_LIMIT = 0xC000_0246;
        /// The account may not log on at this time.
        LOGIN_TIME_RESTRICTION = 0xC000_0247;
        /// The account may not log on from this station.
        LOGIN_WKSTA_RESTRICTION = 0xC000_0248;
        /// The account information is not enough to log on.
        INSUFFICIENT_LOGON_INFO = 0xC000_0250;
        /// The server does not serve this part of the DFS namespace.
        PATH_NOT_COVERED = 0xC000_0257;
        /// The service's licensed connection count is used up.
        LICENSE_QUOTA_EXCEEDED = 0xC000_0259;
        /// The password is shorter than policy allows.
        PWD_TOO_SHORT = 0xC000_025A;
        /// The password was changed too recently.
        PWD_TOO_RECENT = 0xC000_025B;
        /// The password was used before.
        PWD_HISTORY_CONFLICT = 0xC000_025C;
        /// The compression format is not supported.
        UNSUPPORTED_COMPRESSION = 0xC000_025F;
        /// The file already has as many links as the file system supports.
        TOO_MANY_LINKS = 0xC000_0265;
        /// A quota list is inconsistent.
        QUOTA_LIST_INCONSISTENT = 0xC000_0266;
        /// The file has moved to offline storage.
        FILE_IS_OFFLINE = 0xC000_0267;
        /// DFS is not available on the server.
        DFS_UNAVAILABLE = 0xC000_026D;
        /// The volume has been dismounted.
        VOLUME_DISMOUNTED = 0xC000_026E;
        /// The file or directory is not a reparse point.
        NOT_A_REPARSE_POINT = 0xC000_0275;
        /// The reparse tag is not valid.
        IO_REPARSE_TAG_INVALID = 0xC000_0276;
        /// The reparse tag does not match the one on the file.
        IO_REPARSE_TAG_MISMATCH = 0xC000_0277;
        /// The reparse data is not valid.
        IO_REPARSE_DATA_INVALID = 0xC000_0278;
        /// No driver handled the reparse tag.
        IO_REPARSE_TAG_NOT_HANDLED = 0xC000_0279;
        /// A symbolic link could not be resolved.
        REPARSE_POINT_NOT_RESOLVED = 0xC000_0280;
        /// The directory is a reparse point.
        DIRECTORY_IS_A_REPARSE_POINT = 0xC000_0281;
        /// Encrypting the file failed.
        ENCRYPTION_FAILED = 0xC000_028A;
        /// Decrypting the file failed.
        DECRYPTION_FAILED = 0xC000_028B;
        /// The file is not encrypted.
        FILE_NOT_ENCRYPTED = 0xC000_0291;
        /// The file is encrypted and the caller cannot decrypt it.
        FILE_ENCRYPTED = 0xC000_0293;
        /// The volume does not support the operation (object ids on a volume that keeps
        /// none: MS-FSA 2.1.5.10).
        VOLUME_NOT_UPGRADED = 0xC000_029C;
        /// A reparse point conflicts with an existing attribute.
        REPARSE_ATTRIBUTE_CONFLICT = 0xC000_02B2;
        /// A deny-only group cannot be enabled.
        CANT_ENABLE_DENY_ONLY = 0xC000_02B3;
        /// The device was removed.
        DEVICE_REMOVED = 0xC000_02B6;
        /// Mutual authentication failed.
        MUTUAL_AUTHENTICATION_FAILED = 0xC000_02C3;
        /// The file or directory cannot be created.
        CANNOT_MAKE = 0xC000_02EA;
        /// The system is shutting down.
        SYSTEM_SHUTDOWN = 0xC000_02EB;
        /// A security context was deleted before it was complete.
        UNFINISHED_CONTEXT_DELETED = 0xC000_02EE;
        /// The file has no such object ID.
        OBJECTID_NOT_FOUND = 0xC000_02F0;
        /// The credential handle does not match the security context.
        WRONG_CREDENTIAL_HANDLE = 0xC000_02F2;
        /// The server is shutting down.
        SERVER_SHUTDOWN_IN_PROGRESS = 0xC000_02FF;
        /// The remote system is down.
        HOST_DOWN = 0xC000_0350;
        /// The client's channel bindings are wrong.
        BAD_BINDINGS = 0xC000_035B;
        /// The session expired; the client must authenticate again.
        NETWORK_SESSION_EXPIRED = 0xC000_035C;
        /// SID filtering removed every SID.
        ALL_SIDS_FILTERED = 0xC000_035E;
        /// A possible security downgrade was detected.
        DOWNGRADE_DETECTED = 0xC000_0388;
        /// An authentication firewall does not allow this account here.
        AUTHENTICATION_FIREWALL_FAILED = 0xC000_0413;
        /// NTLM authentication is blocked.
        NTLM_BLOCKED = 0xC000_0418;
        /// Compression is disabled on the volume.
        COMPRESSION_DISABLED = 0xC000_0426;
        /// A file system limitation prevents the operation.
        FILE_SYSTEM_LIMITATION = 0xC000_0427;
        /// The request is out of order with other operations.
        REQUEST_OUT_OF_SEQUENCE = 0xC000_042A;
        /// The operation would exceed an implementation limit.
        IMPLEMENTATION_LIMIT = 0xC000_042B;
        /// The operation requires elevation.
        ELEVATION_REQUIRED = 0xC000_042C;
        /// The required security context does not exist.
        NO_SECURITY_CONTEXT = 0xC000_042D;
        /// The file server is temporarily unavailable.
        SERVER_UNAVAILABLE = 0xC000_0466;
        /// The file is temporarily unavailable.
        FILE_NOT_AVAILABLE = 0xC000_0467;
        /// The share is temporarily unavailable.
        SHARE_UNAVAILABLE = 0xC000_0480;
        /// Following this kind of symbolic link is disabled.
        SYMLINK_CLASS_DISABLED = 0xC000_0715;
        /// A character has no mapping in the target code page.
        NO_UNICODE_TRANSLATION = 0xC000_0717;
        /// A storage quota would be exceeded.
        DISK_QUOTA_EXCEEDED = 0xC000_0802;
        /// The file is larger than allowed.
        FILE_TOO_LARGE = 0xC000_0904;
        /// Completing the operation would break an oplock, and the caller forbade that.
        CANNOT_BREAK_OPLOCK = 0xC000_0909;
        /// A cryptographic signature does not verify.
        INVALID_SIGNATURE = 0xC000_A000;
        /// The server does not support the requested hash version or type.
        HASH_NOT_SUPPORTED = 0xC000_A100;
        /// The hash is missing or stale.
        HASH_NOT_PRESENT = 0xC000_A101;
    }

    // DCE/RPC runtime and stub codes (facilities 2 and 3) keep their own prefixes.
    prefix "" {
        /// The binding handle is not valid.
        RPC_NT_INVALID_BINDING = 0xC002_0003;
        /// The RPC protocol sequence is not supported.
        RPC_NT_PROTSEQ_NOT_SUPPORTED = 0xC002_0004;
        /// The interface is unknown to the server.
        RPC_NT_UNKNOWN_IF = 0xC002_0012;
        /// The RPC runtime is out of resources.
        RPC_NT_OUT_OF_RESOURCES = 0xC002_0016;
        /// The RPC server is unavailable.
        RPC_NT_SERVER_UNAVAILABLE = 0xC002_0017;
        /// The RPC server is too busy.
        RPC_NT_SERVER_TOO_BUSY = 0xC002_0018;
        /// The call failed.
        RPC_NT_CALL_FAILED = 0xC002_001B;
        /// The call failed and did not execute.
        RPC_NT_CALL_FAILED_DNE = 0xC002_001C;
        /// An RPC protocol error occurred.
        RPC_NT_PROTOCOL_ERROR = 0xC002_001D;
        /// The server does not support the transfer syntax.
        RPC_NT_UNSUPPORTED_TRANS_SYN = 0xC002_001F;
        /// The type UUID is not supported.
        RPC_NT_UNSUPPORTED_TYPE = 0xC002_0021;
        /// The array bounds are not valid.
        RPC_NT_INVALID_BOUND = 0xC002_0023;
        /// The authentication type is unknown.
        RPC_NT_UNKNOWN_AUTHN_TYPE = 0xC002_002A;
        /// The operation number is out of range for the interface.
        RPC_NT_PROCNUM_OUT_OF_RANGE = 0xC002_002E;
        /// The binding carries no authentication information.
        RPC_NT_BINDING_HAS_NO_AUTH = 0xC002_002F;
        /// The authentication service is unknown.
        RPC_NT_UNKNOWN_AUTHN_SERVICE = 0xC002_0030;
        /// The authentication level is unknown.
        RPC_NT_UNKNOWN_AUTHN_LEVEL = 0xC002_0031;
        /// The security context is not valid.
        RPC_NT_INVALID_AUTH_IDENTITY = 0xC002_0032;
        /// The endpoint mapper cannot perform the operation.
        EPT_NT_CANT_PERFORM_OP = 0xC002_0035;
        /// The endpoint mapper has no more endpoints.
        EPT_NT_NOT_REGISTERED = 0xC002_0036;
        /// The interface was not found.
        RPC_NT_INTERFACE_NOT_FOUND = 0xC002_003C;
        /// The requested operation is not supported.
        RPC_NT_CANNOT_SUPPORT = 0xC002_0041;
        /// No security context is available for impersonation.
        RPC_NT_NO_CONTEXT_AVAILABLE = 0xC002_0042;
        /// The RPC runtime hit an internal error.
        RPC_NT_INTERNAL_ERROR = 0xC002_0043;
        /// The call was cancelled.
        RPC_NT_CALL_CANCELLED = 0xC002_0050;
        /// A communications failure occurred during the call.
        RPC_NT_COMM_FAILURE = 0xC002_0052;
        /// The authentication level is not supported.
        RPC_NT_UNSUPPORTED_AUTHN_LEVEL = 0xC002_0053;
        /// The security package reported an error.
        RPC_NT_SEC_PKG_ERROR = 0xC002_0057;
        /// No more servers are available for auto-handle binding.
        RPC_NT_NO_MORE_ENTRIES = 0xC003_0001;
        /// A null context handle was passed as an `[in]` parameter.
        RPC_NT_SS_IN_NULL_CONTEXT = 0xC003_0004;
        /// The context handle matches no known context.
        RPC_NT_SS_CONTEXT_MISMATCH = 0xC003_0005;
        /// The context handle changed during the call.
        RPC_NT_SS_CONTEXT_DAMAGED = 0xC003_0006;
        /// The binding handles passed to the call do not match.
        RPC_NT_SS_HANDLES_MISMATCH = 0xC003_0007;
        /// A null reference pointer was passed to the stub.
        RPC_NT_NULL_REF_POINTER = 0xC003_0009;
        /// An enumeration value is out of range.
        RPC_NT_ENUM_VALUE_OUT_OF_RANGE = 0xC003_000A;
        /// A byte count is too small.
        RPC_NT_BYTE_COUNT_TOO_SMALL = 0xC003_000B;
        /// The stub received malformed data.
        RPC_NT_BAD_STUB_DATA = 0xC003_000C;
    }
}

impl NtStatus {
    /// Wraps a raw value.
    #[inline]
    pub const fn from_u32(value: u32) -> NtStatus {
        NtStatus(value)
    }

    /// The raw value.
    #[inline]
    pub const fn to_u32(self) -> u32 {
        self.0
    }

    /// The severity bits (31..30).
    #[inline]
    pub const fn severity(self) -> Severity {
        match self.0 >> 30 {
            0 => Severity::Success,
            1 => Severity::Informational,
            2 => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// `NT_SUCCESS`: severity success or informational (the value is non-negative as an
    /// `i32`). Warnings and errors are not successes.
    #[inline]
    pub const fn is_success(self) -> bool {
        self.0 & 0x8000_0000 == 0
    }

    /// `NT_INFORMATION`: severity informational.
    #[inline]
    pub const fn is_information(self) -> bool {
        self.0 >> 30 == 1
    }

    /// `NT_WARNING`: severity warning.
    #[inline]
    pub const fn is_warning(self) -> bool {
        self.0 >> 30 == 2
    }

    /// `NT_ERROR`: severity error.
    #[inline]
    pub const fn is_error(self) -> bool {
        self.0 >> 30 == 3
    }

    /// The customer bit (29): set on codes defined outside Microsoft.
    #[inline]
    pub const fn is_customer(self) -> bool {
        self.0 & 0x2000_0000 != 0
    }

    /// The facility (bits 27..16); 0 for most I/O codes, 2 and 3 for DCE/RPC.
    #[inline]
    pub const fn facility(self) -> u16 {
        ((self.0 >> 16) & 0x0FFF) as u16
    }

    /// The code within the facility (bits 15..0).
    #[inline]
    pub const fn code(self) -> u16 {
        (self.0 & 0xFFFF) as u16
    }

    /// `Err(self)` for severity error, `Ok(())` otherwise.
    ///
    /// This is deliberately looser than `NT_SUCCESS`: a warning such as
    /// [`BUFFER_OVERFLOW`](Self::BUFFER_OVERFLOW) or [`NO_MORE_FILES`](Self::NO_MORE_FILES)
    /// becomes `Ok(())`, because the request did run and may have returned data. Callers
    /// that must tell a warning apart check [`is_warning`](Self::is_warning) first.
    #[inline]
    pub const fn into_result(self) -> Result<(), NtStatus> {
        if self.is_error() { Err(self) } else { Ok(()) }
    }

    /// Looks a status up by name, ignoring ASCII case. Accepts the Windows spelling
    /// (`STATUS_ACCESS_DENIED`, `RPC_NT_CALL_FAILED`) and the constant's name
    /// (`ACCESS_DENIED`). A linear scan: meant for command lines, not hot paths.
    pub fn from_name(name: &str) -> Option<NtStatus> {
        TABLE
            .iter()
            .find(|(_, short, full)| {
                full.eq_ignore_ascii_case(name) || short.eq_ignore_ascii_case(name)
            })
            .map(|&(status, _, _)| status)
    }

    /// Every named status, in declaration order.
    pub fn known() -> impl ExactSizeIterator<Item = NtStatus> {
        TABLE.iter().map(|&(status, _, _)| status)
    }
}

impl From<u32> for NtStatus {
    #[inline]
    fn from(value: u32) -> NtStatus {
        NtStatus(value)
    }
}

impl From<NtStatus> for u32 {
    #[inline]
    fn from(status: NtStatus) -> u32 {
        status.0
    }
}

impl fmt::Display for NtStatus {
    /// The Windows name (`STATUS_ACCESS_DENIED`), or `0xC0DE0001`-style hex when unnamed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.pad(name),
            None if f.width().is_some() => f.pad(&format!("0x{:08X}", self.0)),
            None => write!(f, "0x{:08X}", self.0),
        }
    }
}

impl fmt::Debug for NtStatus {
    /// `NtStatus(STATUS_ACCESS_DENIED)`, or `NtStatus(0xC0DE0001)` when unnamed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "NtStatus({name})"),
            None => write!(f, "NtStatus(0x{:08X})", self.0),
        }
    }
}

impl std::error::Error for NtStatus {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn known_values() {
        let cases = [
            (NtStatus::SUCCESS, 0x0000_0000),
            (NtStatus::PENDING, 0x0000_0103),
            (NtStatus::NOTIFY_ENUM_DIR, 0x0000_010C),
            (NtStatus::BUFFER_OVERFLOW, 0x8000_0005),
            (NtStatus::NO_MORE_FILES, 0x8000_0006),
            (NtStatus::STOPPED_ON_SYMLINK, 0x8000_002D),
            (NtStatus::END_OF_FILE, 0xC000_0011),
            (NtStatus::MORE_PROCESSING_REQUIRED, 0xC000_0016),
            (NtStatus::ACCESS_DENIED, 0xC000_0022),
            (NtStatus::OBJECT_NAME_NOT_FOUND, 0xC000_0034),
            (NtStatus::SHARING_VIOLATION, 0xC000_0043),
            (NtStatus::FILE_LOCK_CONFLICT, 0xC000_0054),
            (NtStatus::LOCK_NOT_GRANTED, 0xC000_0055),
            (NtStatus::LOGON_FAILURE, 0xC000_006D),
            (NtStatus::NOT_SUPPORTED, 0xC000_00BB),
            (NtStatus::CANCELLED, 0xC000_0120),
            (NtStatus::PIPE_BROKEN, 0xC000_014B),
            (NtStatus::NETWORK_SESSION_EXPIRED, 0xC000_035C),
            (NtStatus::INVALID_SIGNATURE, 0xC000_A000),
            (NtStatus::RPC_NT_CALL_FAILED, 0xC002_001B),
            (NtStatus::RPC_NT_PROTOCOL_ERROR, 0xC002_001D),
            (NtStatus::RPC_NT_SS_CONTEXT_MISMATCH, 0xC003_0005),
        ];
        for (status, value) in cases {
            assert_eq!(status.to_u32(), value, "{status}");
            assert_eq!(NtStatus::from_u32(value), status);
            assert_eq!(NtStatus::from(value), status);
            assert_eq!(u32::from(status), value);
        }
        assert_eq!(NtStatus::default(), NtStatus::SUCCESS);
    }

    #[test]
    fn display_and_debug() {
        assert_eq!(NtStatus::ACCESS_DENIED.to_string(), "STATUS_ACCESS_DENIED");
        assert_eq!(NtStatus::SUCCESS.to_string(), "STATUS_SUCCESS");
        assert_eq!(
            NtStatus::RPC_NT_CALL_FAILED.to_string(),
            "RPC_NT_CALL_FAILED"
        );
        assert_eq!(
            NtStatus::EPT_NT_NOT_REGISTERED.to_string(),
            "EPT_NT_NOT_REGISTERED"
        );
        assert_eq!(NtStatus(0xC0DE_0001).to_string(), "0xC0DE0001");
        assert_eq!(NtStatus(1).to_string(), "0x00000001");
        assert_eq!(format!("{:>12}", NtStatus(0xAB)), "  0x000000AB");
        assert_eq!(format!("{:<13}|", NtStatus::PENDING), "STATUS_PENDING|");
        assert_eq!(
            format!("{:?}", NtStatus::ACCESS_DENIED),
            "NtStatus(STATUS_ACCESS_DENIED)"
        );
        assert_eq!(
            format!("{:?}", NtStatus(0xC0DE_0001)),
            "NtStatus(0xC0DE0001)"
        );
        let err: Box<dyn std::error::Error> = Box::new(NtStatus::SHARING_VIOLATION);
        assert_eq!(err.to_string(), "STATUS_SHARING_VIOLATION");
    }

    #[test]
    fn name_of_unknown_is_none() {
        assert_eq!(NtStatus(0xC0DE_0001).name(), None);
        assert_eq!(NtStatus(0x0000_0001).name(), None);
        assert_eq!(
            NtStatus::DELETE_PENDING.name(),
            Some("STATUS_DELETE_PENDING")
        );
    }

    #[test]
    fn severity_classification() {
        let s = NtStatus::SUCCESS;
        assert_eq!(s.severity(), Severity::Success);
        assert!(s.is_success() && !s.is_information() && !s.is_warning() && !s.is_error());

        let p = NtStatus::PENDING;
        assert!(p.is_success() && !p.is_error());

        let i = NtStatus::OBJECT_NAME_EXISTS;
        assert_eq!(i.severity(), Severity::Informational);
        assert!(i.is_success() && i.is_information() && !i.is_warning());

        let w = NtStatus::BUFFER_OVERFLOW;
        assert_eq!(w.severity(), Severity::Warning);
        assert!(!w.is_success() && w.is_warning() && !w.is_error());

        let e = NtStatus::ACCESS_DENIED;
        assert_eq!(e.severity(), Severity::Error);
        assert!(!e.is_success() && e.is_error() && !e.is_warning());

        assert_eq!(NtStatus::SUCCESS.into_result(), Ok(()));
        assert_eq!(NtStatus::OBJECT_NAME_EXISTS.into_result(), Ok(()));
        assert_eq!(NtStatus::NO_MORE_FILES.into_result(), Ok(()));
        assert_eq!(
            NtStatus::ACCESS_DENIED.into_result(),
            Err(NtStatus::ACCESS_DENIED)
        );
        assert_eq!(
            NtStatus(0xC0DE_0001).into_result(),
            Err(NtStatus(0xC0DE_0001))
        );
    }

    #[test]
    fn fields() {
        let e = NtStatus::ACCESS_DENIED;
        assert_eq!((e.facility(), e.code()), (0, 0x22));
        assert!(!e.is_customer());
        let r = NtStatus::RPC_NT_CALL_FAILED;
        assert_eq!((r.facility(), r.code()), (2, 0x1B));
        assert_eq!(NtStatus::RPC_NT_BAD_STUB_DATA.facility(), 3);
        let c = NtStatus(0xE123_4567);
        assert!(c.is_customer() && c.is_error());
        assert_eq!((c.facility(), c.code()), (0x123, 0x4567));
    }

    #[test]
    fn table_has_no_duplicate_names_or_values() {
        assert!(TABLE.len() >= 150, "only {} statuses", TABLE.len());
        let mut by_value: HashMap<u32, &str> = HashMap::new();
        let mut by_name: HashMap<String, u32> = HashMap::new();
        for &(status, short, full) in TABLE {
            if let Some(other) = by_value.insert(status.0, full) {
                panic!("{full} and {other} share 0x{:08X}", status.0);
            }
            for name in [short, full] {
                if let Some(other) = by_name.insert(name.to_ascii_uppercase(), status.0) {
                    assert_eq!(other, status.0, "name {name} used twice");
                }
            }
        }
    }

    #[test]
    fn table_agrees_with_name() {
        for &(status, short, full) in TABLE {
            assert_eq!(status.name(), Some(full));
            assert!(full.ends_with(short));
            assert!(full.starts_with("STATUS_") || full == short, "{full}");
        }
        assert_eq!(NtStatus::known().len(), TABLE.len());
    }

    #[test]
    fn from_name_round_trips_every_entry() {
        for &(status, short, full) in TABLE {
            assert_eq!(NtStatus::from_name(full), Some(status), "{full}");
            assert_eq!(NtStatus::from_name(short), Some(status), "{short}");
            assert_eq!(
                NtStatus::from_name(&full.to_ascii_lowercase()),
                Some(status)
            );
            assert_eq!(NtStatus::from_name(&status.to_string()), Some(status));
        }
        assert_eq!(NtStatus::from_name("STATUS_NO_SUCH_THING"), None);
        assert_eq!(NtStatus::from_name("STATUS_"), None);
        assert_eq!(NtStatus::from_name(""), None);
        assert_eq!(NtStatus::from_name("0xC0000022"), None);
    }
}
