//! errno to NTSTATUS.

use lwio_core::NtStatus;
use rustix::io::Errno;

/// Maps a Linux errno to the NTSTATUS the driver reports.
///
/// `ELOOP` is `STATUS_ACCESS_DENIED`: inside the jail it means a refused symlink. `EXDEV` is
/// `STATUS_NOT_SAME_DEVICE` here (a rename or link across mounts); where it means an escape
/// (`openat2` with `RESOLVE_BENEATH`), [`Root`](super::Root) reports `STATUS_ACCESS_DENIED`
/// itself. `EFBIG` and `EDQUOT` are `STATUS_DISK_FULL`, as Samba maps them. Anything not
/// listed is `STATUS_UNEXPECTED_IO_ERROR`.
pub fn map_errno(e: Errno) -> NtStatus {
    match e {
        Errno::NOENT => NtStatus::OBJECT_NAME_NOT_FOUND,
        Errno::NOTDIR => NtStatus::OBJECT_PATH_NOT_FOUND,
        Errno::EXIST => NtStatus::OBJECT_NAME_COLLISION,
        Errno::ACCESS | Errno::PERM => NtStatus::ACCESS_DENIED,
        Errno::NOTEMPTY => NtStatus::DIRECTORY_NOT_EMPTY,
        Errno::ISDIR => NtStatus::FILE_IS_A_DIRECTORY,
        Errno::NOSPC | Errno::DQUOT | Errno::FBIG => NtStatus::DISK_FULL,
        Errno::NAMETOOLONG => NtStatus::OBJECT_NAME_INVALID,
        Errno::XDEV => NtStatus::NOT_SAME_DEVICE,
        Errno::LOOP => NtStatus::ACCESS_DENIED,
        Errno::MFILE | Errno::NFILE => NtStatus::TOO_MANY_OPENED_FILES,
        Errno::INVAL => NtStatus::INVALID_PARAMETER,
        Errno::ROFS => NtStatus::MEDIA_WRITE_PROTECTED,
        Errno::BADF => NtStatus::INVALID_HANDLE,
        Errno::IO => NtStatus::IO_DEVICE_ERROR,
        Errno::NOMEM => NtStatus::NO_MEMORY,
        Errno::NOTSUP => NtStatus::NOT_SUPPORTED,
        Errno::MLINK => NtStatus::TOO_MANY_LINKS,
        Errno::TXTBSY | Errno::BUSY => NtStatus::SHARING_VIOLATION,
        _ => NtStatus::UNEXPECTED_IO_ERROR,
    }
}

/// Maps an error met while resolving a path beneath the root: an escape (`EXDEV` from
/// `RESOLVE_BENEATH`) is `STATUS_ACCESS_DENIED`, the rest as [`map_errno`].
pub(crate) fn map_resolve_errno(e: Errno) -> NtStatus {
    match e {
        Errno::XDEV => NtStatus::ACCESS_DENIED,
        other => map_errno(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_table() {
        let table = [
            (Errno::NOENT, NtStatus::OBJECT_NAME_NOT_FOUND),
            (Errno::NOTDIR, NtStatus::OBJECT_PATH_NOT_FOUND),
            (Errno::EXIST, NtStatus::OBJECT_NAME_COLLISION),
            (Errno::ACCESS, NtStatus::ACCESS_DENIED),
            (Errno::PERM, NtStatus::ACCESS_DENIED),
            (Errno::NOTEMPTY, NtStatus::DIRECTORY_NOT_EMPTY),
            (Errno::ISDIR, NtStatus::FILE_IS_A_DIRECTORY),
            (Errno::NOSPC, NtStatus::DISK_FULL),
            (Errno::DQUOT, NtStatus::DISK_FULL),
            (Errno::FBIG, NtStatus::DISK_FULL),
            (Errno::NAMETOOLONG, NtStatus::OBJECT_NAME_INVALID),
            (Errno::XDEV, NtStatus::NOT_SAME_DEVICE),
            (Errno::LOOP, NtStatus::ACCESS_DENIED),
            (Errno::MFILE, NtStatus::TOO_MANY_OPENED_FILES),
            (Errno::NFILE, NtStatus::TOO_MANY_OPENED_FILES),
            (Errno::INVAL, NtStatus::INVALID_PARAMETER),
            (Errno::ROFS, NtStatus::MEDIA_WRITE_PROTECTED),
            (Errno::BADF, NtStatus::INVALID_HANDLE),
            (Errno::IO, NtStatus::IO_DEVICE_ERROR),
            (Errno::NOMEM, NtStatus::NO_MEMORY),
            (Errno::NOTSUP, NtStatus::NOT_SUPPORTED),
            (Errno::OPNOTSUPP, NtStatus::NOT_SUPPORTED),
            (Errno::MLINK, NtStatus::TOO_MANY_LINKS),
            (Errno::TXTBSY, NtStatus::SHARING_VIOLATION),
            (Errno::BUSY, NtStatus::SHARING_VIOLATION),
            (Errno::STALE, NtStatus::UNEXPECTED_IO_ERROR),
            (Errno::INTR, NtStatus::UNEXPECTED_IO_ERROR),
            (Errno::NXIO, NtStatus::UNEXPECTED_IO_ERROR),
        ];
        for (e, want) in table {
            assert_eq!(map_errno(e), want, "{e:?}");
        }
        assert_eq!(map_resolve_errno(Errno::XDEV), NtStatus::ACCESS_DENIED);
        assert_eq!(map_resolve_errno(Errno::LOOP), NtStatus::ACCESS_DENIED);
        assert_eq!(
            map_resolve_errno(Errno::NOENT),
            NtStatus::OBJECT_NAME_NOT_FOUND
        );
    }
}
