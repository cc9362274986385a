//! SECURITY_INFORMATION (MS-DTYP 2.4.7): which parts of a security descriptor a
//! query-security or set-security touches, and the access each needs on the handle.
//! The descriptor itself is `lwio-core`'s; the SMB2 QUERY_INFO and SET_INFO codecs carry
//! this number as AdditionalInformation.

use crate::access::AccessMask;

open_flags! {
    /// Which parts of a descriptor a query or set touches (MS-DTYP 2.4.7
    /// SECURITY_INFORMATION).
    pub struct SecurityInformation(u32) {
        /// The owner.
        const OWNER = 0x0000_0001;
        /// The primary group.
        const GROUP = 0x0000_0002;
        /// The DACL.
        const DACL = 0x0000_0004;
        /// The SACL.
        const SACL = 0x0000_0008;
        /// The mandatory label ACEs of the SACL.
        const LABEL = 0x0000_0010;
        /// The resource attribute ACEs of the SACL.
        const ATTRIBUTE = 0x0000_0020;
        /// The scoped policy ID ACEs of the SACL.
        const SCOPE = 0x0000_0040;
        /// Everything a backup reads: owner, group, DACL, SACL, label, attributes, scope.
        const BACKUP = 0x0001_0000;
        /// Set: mark the DACL protected.
        const PROTECTED_DACL = 0x8000_0000;
        /// Set: mark the SACL protected.
        const PROTECTED_SACL = 0x4000_0000;
        /// Set: mark the DACL unprotected.
        const UNPROTECTED_DACL = 0x2000_0000;
        /// Set: mark the SACL unprotected.
        const UNPROTECTED_SACL = 0x1000_0000;
    }
}

impl SecurityInformation {
    /// `self` with the flags of `other` added.
    #[inline]
    pub const fn with(self, other: SecurityInformation) -> SecurityInformation {
        SecurityInformation(self.0 | other.0)
    }

    /// `self` with the flags of `other` set to those of `from`.
    #[inline]
    pub const fn copy_from(
        self,
        from: SecurityInformation,
        other: SecurityInformation,
    ) -> SecurityInformation {
        SecurityInformation((self.0 & !other.0) | (from.0 & other.0))
    }

    /// BACKUP spelled out as the parts it stands for (owner, group, DACL, SACL, label,
    /// attributes, scope); other values unchanged.
    #[inline]
    pub const fn expanded(self) -> SecurityInformation {
        if self.contains(Self::BACKUP) {
            SecurityInformation(self.0 | 0x7f)
        } else {
            self
        }
    }

    /// The rights a handle needs to query these parts: READ_CONTROL for owner, group,
    /// DACL and label; ACCESS_SYSTEM_SECURITY for the SACL (as Windows' query-security
    /// requires).
    #[inline]
    pub fn query_access(self) -> AccessMask {
        let info = self.expanded();
        let mut m = AccessMask::NONE;
        if info.intersects(SecurityInformation(0x1 | 0x2 | 0x4 | 0x10 | 0x20 | 0x40)) {
            m |= AccessMask::READ_CONTROL;
        }
        if info.contains(Self::SACL) {
            m |= AccessMask::ACCESS_SYSTEM_SECURITY;
        }
        m
    }

    /// The rights a handle needs to set these parts: WRITE_OWNER for owner, group and
    /// label; WRITE_DAC for the DACL; ACCESS_SYSTEM_SECURITY for the SACL, attributes and
    /// scope (as Windows' set-security requires).
    #[inline]
    pub fn set_access(self) -> AccessMask {
        let info = self.expanded();
        let mut m = AccessMask::NONE;
        if info.intersects(SecurityInformation(0x1 | 0x2 | 0x10)) {
            m |= AccessMask::WRITE_OWNER;
        }
        if info.contains(Self::DACL) {
            m |= AccessMask::WRITE_DAC;
        }
        if info.intersects(SecurityInformation(0x8 | 0x20 | 0x40)) {
            m |= AccessMask::ACCESS_SYSTEM_SECURITY;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_expands_to_every_part() {
        let b = SecurityInformation::BACKUP.expanded();
        for part in [
            SecurityInformation::OWNER,
            SecurityInformation::GROUP,
            SecurityInformation::DACL,
            SecurityInformation::SACL,
            SecurityInformation::LABEL,
            SecurityInformation::ATTRIBUTE,
            SecurityInformation::SCOPE,
        ] {
            assert!(b.contains(part), "{part:?}");
        }
        assert_eq!(
            SecurityInformation::DACL.expanded(),
            SecurityInformation::DACL
        );
    }

    #[test]
    fn access_of_each_part() {
        let od = SecurityInformation::OWNER.with(SecurityInformation::DACL);
        assert_eq!(od.query_access(), AccessMask::READ_CONTROL);
        assert_eq!(
            od.set_access(),
            AccessMask::WRITE_OWNER | AccessMask::WRITE_DAC
        );
        assert_eq!(
            SecurityInformation::SACL.query_access(),
            AccessMask::ACCESS_SYSTEM_SECURITY
        );
        assert_eq!(
            SecurityInformation::BACKUP.set_access(),
            AccessMask::WRITE_OWNER | AccessMask::WRITE_DAC | AccessMask::ACCESS_SYSTEM_SECURITY
        );
        let kept = SecurityInformation::OWNER.copy_from(
            SecurityInformation::GROUP.with(SecurityInformation::DACL),
            SecurityInformation::DACL,
        );
        assert_eq!(
            kept,
            SecurityInformation::OWNER.with(SecurityInformation::DACL)
        );
    }
}
