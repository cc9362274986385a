//! NTSTATUS to errno: the one table the mount answers the kernel with.
//!
//! A Linux program sees the errno its `open(2)`, `rename(2)` or `unlink(2)` man page
//! promises for the same situation; the server's status is logged at debug level so the
//! exact cause is never lost. Statuses not in the table become `EIO`.
//!
//! | NTSTATUS | errno | why |
//! | --- | --- | --- |
//! | OBJECT_NAME_NOT_FOUND, OBJECT_PATH_NOT_FOUND, NO_SUCH_FILE, DELETE_PENDING, BAD_NETWORK_NAME | ENOENT | no such name (a delete-pending file is gone for new opens) |
//! | ACCESS_DENIED, PRIVILEGE_NOT_HELD, CANNOT_DELETE | EACCES | the server's access check refused |
//! | OBJECT_NAME_COLLISION | EEXIST | `O_EXCL`, `mkdir`, `RENAME_NOREPLACE` onto an existing name |
//! | DIRECTORY_NOT_EMPTY | ENOTEMPTY | `rmdir` of a non-empty directory |
//! | SHARING_VIOLATION | EBUSY | another open's share mode refuses ours |
//! | FILE_LOCK_CONFLICT, LOCK_NOT_GRANTED | EAGAIN | a byte-range lock is in the way |
//! | NOT_A_DIRECTORY | ENOTDIR | a directory operation on a file |
//! | FILE_IS_A_DIRECTORY | EISDIR | a file operation on a directory |
//! | OBJECT_NAME_INVALID, OBJECT_PATH_INVALID, OBJECT_PATH_SYNTAX_BAD, INVALID_PARAMETER | EINVAL | a name or argument the server will not take |
//! | NAME_TOO_LONG | ENAMETOOLONG | |
//! | DISK_FULL | ENOSPC | |
//! | QUOTA_EXCEEDED | EDQUOT | |
//! | FILE_TOO_LARGE | EFBIG | |
//! | MEDIA_WRITE_PROTECTED | EROFS | |
//! | NOT_SAME_DEVICE | EXDEV | a rename to another share |
//! | NOT_SUPPORTED, NOT_IMPLEMENTED, INVALID_DEVICE_REQUEST | EOPNOTSUPP | |
//! | INSUFFICIENT_RESOURCES, NO_MEMORY | ENOMEM | |
//! | IO_TIMEOUT | ETIMEDOUT | |
//! | CONNECTION_RESET, CONNECTION_DISCONNECTED, NETWORK_NAME_DELETED, USER_SESSION_DELETED, BAD_NETWORK_PATH | EHOSTDOWN | the server went away; the next operation reconnects |
//! | INVALID_HANDLE, FILE_CLOSED | EBADF | |
//! | CANCELLED | EINTR | |
//! | anything else | EIO | |

use fuser::Errno;
use lwio_core::NtStatus;

/// The errno a Linux program expects for `status` (see the module's table).
pub(crate) fn errno(status: NtStatus) -> Errno {
    match status {
        NtStatus::OBJECT_NAME_NOT_FOUND
        | NtStatus::OBJECT_PATH_NOT_FOUND
        | NtStatus::NO_SUCH_FILE
        | NtStatus::DELETE_PENDING
        | NtStatus::BAD_NETWORK_NAME => Errno::ENOENT,
        NtStatus::ACCESS_DENIED | NtStatus::PRIVILEGE_NOT_HELD | NtStatus::CANNOT_DELETE => {
            Errno::EACCES
        }
        NtStatus::OBJECT_NAME_COLLISION => Errno::EEXIST,
        NtStatus::DIRECTORY_NOT_EMPTY => Errno::ENOTEMPTY,
        NtStatus::SHARING_VIOLATION => Errno::EBUSY,
        NtStatus::FILE_LOCK_CONFLICT | NtStatus::LOCK_NOT_GRANTED => Errno::EAGAIN,
        NtStatus::NOT_A_DIRECTORY => Errno::ENOTDIR,
        NtStatus::FILE_IS_A_DIRECTORY => Errno::EISDIR,
        NtStatus::OBJECT_NAME_INVALID
        | NtStatus::OBJECT_PATH_INVALID
        | NtStatus::OBJECT_PATH_SYNTAX_BAD
        | NtStatus::INVALID_PARAMETER => Errno::EINVAL,
        NtStatus::NAME_TOO_LONG => Errno::ENAMETOOLONG,
        NtStatus::DISK_FULL => Errno::ENOSPC,
        NtStatus::QUOTA_EXCEEDED => Errno::EDQUOT,
        NtStatus::FILE_TOO_LARGE => Errno::EFBIG,
        NtStatus::MEDIA_WRITE_PROTECTED => Errno::EROFS,
        NtStatus::NOT_SAME_DEVICE => Errno::EXDEV,
        NtStatus::NOT_SUPPORTED | NtStatus::NOT_IMPLEMENTED | NtStatus::INVALID_DEVICE_REQUEST => {
            Errno::EOPNOTSUPP
        }
        NtStatus::INSUFFICIENT_RESOURCES | NtStatus::NO_MEMORY => Errno::ENOMEM,
        NtStatus::IO_TIMEOUT => Errno::ETIMEDOUT,
        NtStatus::CONNECTION_RESET
        | NtStatus::CONNECTION_DISCONNECTED
        | NtStatus::NETWORK_NAME_DELETED
        | NtStatus::USER_SESSION_DELETED
        | NtStatus::BAD_NETWORK_PATH => Errno::EHOSTDOWN,
        NtStatus::INVALID_HANDLE | NtStatus::FILE_CLOSED => Errno::EBADF,
        NtStatus::CANCELLED => Errno::EINTR,
        _ => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statuses_a_user_meets() {
        assert_eq!(errno(NtStatus::OBJECT_NAME_NOT_FOUND), Errno::ENOENT);
        assert_eq!(errno(NtStatus::OBJECT_PATH_NOT_FOUND), Errno::ENOENT);
        assert_eq!(errno(NtStatus::ACCESS_DENIED), Errno::EACCES);
        assert_eq!(errno(NtStatus::OBJECT_NAME_COLLISION), Errno::EEXIST);
        assert_eq!(errno(NtStatus::DIRECTORY_NOT_EMPTY), Errno::ENOTEMPTY);
        assert_eq!(errno(NtStatus::SHARING_VIOLATION), Errno::EBUSY);
        assert_eq!(errno(NtStatus::NOT_A_DIRECTORY), Errno::ENOTDIR);
        assert_eq!(errno(NtStatus::FILE_IS_A_DIRECTORY), Errno::EISDIR);
        assert_eq!(errno(NtStatus::NOT_SAME_DEVICE), Errno::EXDEV);
        assert_eq!(errno(NtStatus::DISK_FULL), Errno::ENOSPC);
        assert_eq!(errno(NtStatus::INTERNAL_ERROR), Errno::EIO);
    }
}
