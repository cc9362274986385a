//! Share modes: whether a new open may coexist with the opens a file already has
//! (MS-FSA 2.1.5.1.2, "check share access"; the rules of Windows' IoCheckShareAccess).
//!
//! Only the data rights take part: read or execute, write or append, and delete. An open
//! that holds none of them (attributes or security only) neither blocks nor is blocked.

use lwio_core::{AccessMask, NtStatus, ShareAccess};

const READ_RIGHTS: AccessMask =
    AccessMask(AccessMask::FILE_READ_DATA.0 | AccessMask::FILE_EXECUTE.0);
const WRITE_RIGHTS: AccessMask =
    AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::FILE_APPEND_DATA.0);
const DATA_RIGHTS: AccessMask = AccessMask(READ_RIGHTS.0 | WRITE_RIGHTS.0 | AccessMask::DELETE.0);

/// What one open holds, for share checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShareState {
    /// The access the open was granted.
    pub(crate) access: AccessMask,
    /// What the open lets others do.
    pub(crate) share: ShareAccess,
}

impl ShareState {
    /// True when the open takes part in share checks at all.
    pub(crate) fn has_data_access(&self) -> bool {
        self.access.intersects(DATA_RIGHTS)
    }
}

/// Checks a new open against every existing one; STATUS_SHARING_VIOLATION on conflict.
pub(crate) fn check_share_access<'a>(
    new: ShareState,
    existing: impl IntoIterator<Item = &'a ShareState>,
) -> Result<(), NtStatus> {
    if !new.has_data_access() {
        return Ok(());
    }
    for old in existing {
        if !old.has_data_access() {
            continue;
        }
        if conflicts(old, &new) || conflicts(&new, old) {
            return Err(NtStatus::SHARING_VIOLATION);
        }
    }
    Ok(())
}

/// True when `holder`'s access is something `other` does not share.
fn conflicts(holder: &ShareState, other: &ShareState) -> bool {
    (holder.access.intersects(READ_RIGHTS) && !other.share.contains(ShareAccess::READ))
        || (holder.access.intersects(WRITE_RIGHTS) && !other.share.contains(ShareAccess::WRITE))
        || (holder.access.contains(AccessMask::DELETE)
            && !other.share.contains(ShareAccess::DELETE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(access: AccessMask, share: u32) -> ShareState {
        ShareState {
            access,
            share: ShareAccess(share),
        }
    }

    const R: AccessMask = AccessMask::FILE_READ_DATA;
    const W: AccessMask = AccessMask::FILE_WRITE_DATA;
    const A: AccessMask = AccessMask::FILE_APPEND_DATA;
    const X: AccessMask = AccessMask::FILE_EXECUTE;
    const D: AccessMask = AccessMask::DELETE;

    /// The full matrix: for each right an existing open holds and each right a new open
    /// asks, the new open passes exactly when each side shares what the other uses.
    #[test]
    fn share_matrix() {
        let rights = [(R, 1u32), (X, 1), (W, 2), (A, 2), (D, 4)];
        for (old_right, old_bit) in rights {
            for (new_right, new_bit) in rights {
                for old_share in 0..8u32 {
                    for new_share in 0..8u32 {
                        let old = st(old_right, old_share);
                        let new = st(new_right, new_share);
                        let ok = old_share & new_bit != 0 && new_share & old_bit != 0;
                        let got = check_share_access(new, [&old]);
                        assert_eq!(
                            got.is_ok(),
                            ok,
                            "old {old_right:?}/{old_share} new {new_right:?}/{new_share}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn attribute_only_opens_never_conflict() {
        let attrs = st(
            AccessMask::FILE_READ_ATTRIBUTES | AccessMask::READ_CONTROL,
            0,
        );
        let exclusive = st(R | W | D, 0);
        assert!(check_share_access(attrs, [&exclusive]).is_ok());
        assert!(check_share_access(exclusive, [&attrs]).is_ok());
        assert_eq!(
            check_share_access(st(R, 7), [&exclusive]),
            Err(NtStatus::SHARING_VIOLATION)
        );
    }

    #[test]
    fn every_existing_open_counts() {
        let a = st(R, 1);
        let b = st(W, 3);
        assert!(check_share_access(st(R, 3), [&a, &b]).is_ok());
        assert_eq!(
            check_share_access(st(R, 1), [&a, &b]),
            Err(NtStatus::SHARING_VIOLATION)
        );
    }
}
