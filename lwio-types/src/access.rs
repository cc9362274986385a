//! Access masks (MS-DTYP 2.4.3) and the file-object rights of MS-SMB2 2.2.13.1.
//!
//! An [`AccessMask`] is an open 32-bit set: unknown bits survive a round trip. The
//! generic bits (`GENERIC_READ` and friends) are mapped to object-specific rights through
//! a [`GenericMapping`] before any access check; [`FILE_GENERIC_MAPPING`] is the mapping
//! Windows uses for files and directories.

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not};

/// A set of access rights (MS-DTYP 2.4.3 ACCESS_MASK).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct AccessMask(pub u32);

macro_rules! rights {
    ($( $(#[$doc:meta])* $name:ident = $value:expr; )*) => {
        impl AccessMask {
            $( $(#[$doc])* pub const $name: AccessMask = AccessMask($value); )*
        }
        const RIGHT_NAMES: &[(&str, u32)] = &[ $( (stringify!($name), $value) ),* ];
    };
}

rights! {
    /// No rights at all.
    NONE = 0;
    /// Read the data of a file; list a directory (same bit).
    FILE_READ_DATA = 0x0000_0001;
    /// Write the data of a file; add a file to a directory (same bit).
    FILE_WRITE_DATA = 0x0000_0002;
    /// Append to a file; add a subdirectory to a directory (same bit).
    FILE_APPEND_DATA = 0x0000_0004;
    /// Read extended attributes.
    FILE_READ_EA = 0x0000_0008;
    /// Write extended attributes.
    FILE_WRITE_EA = 0x0000_0010;
    /// Execute a file; traverse a directory (same bit).
    FILE_EXECUTE = 0x0000_0020;
    /// Delete a child of a directory.
    FILE_DELETE_CHILD = 0x0000_0040;
    /// Read the attributes of a file.
    FILE_READ_ATTRIBUTES = 0x0000_0080;
    /// Write the attributes of a file.
    FILE_WRITE_ATTRIBUTES = 0x0000_0100;
    /// Delete the object.
    DELETE = 0x0001_0000;
    /// Read the security descriptor (owner, group, DACL).
    READ_CONTROL = 0x0002_0000;
    /// Change the DACL.
    WRITE_DAC = 0x0004_0000;
    /// Change the owner.
    WRITE_OWNER = 0x0008_0000;
    /// Wait on the object.
    SYNCHRONIZE = 0x0010_0000;
    /// Read or change the SACL (needs SeSecurityPrivilege).
    ACCESS_SYSTEM_SECURITY = 0x0100_0000;
    /// Ask for every right the access check can grant.
    MAXIMUM_ALLOWED = 0x0200_0000;
    /// Generic all.
    GENERIC_ALL = 0x1000_0000;
    /// Generic execute.
    GENERIC_EXECUTE = 0x2000_0000;
    /// Generic write.
    GENERIC_WRITE = 0x4000_0000;
    /// Generic read.
    GENERIC_READ = 0x8000_0000;
}

impl AccessMask {
    /// Same bit as [`Self::FILE_READ_DATA`], for directories.
    pub const FILE_LIST_DIRECTORY: AccessMask = Self::FILE_READ_DATA;
    /// Same bit as [`Self::FILE_WRITE_DATA`], for directories.
    pub const FILE_ADD_FILE: AccessMask = Self::FILE_WRITE_DATA;
    /// Same bit as [`Self::FILE_APPEND_DATA`], for directories.
    pub const FILE_ADD_SUBDIRECTORY: AccessMask = Self::FILE_APPEND_DATA;
    /// Same bit as [`Self::FILE_EXECUTE`], for directories.
    pub const FILE_TRAVERSE: AccessMask = Self::FILE_EXECUTE;
    /// The standard rights: DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE.
    pub const STANDARD_RIGHTS_ALL: AccessMask = AccessMask(0x001F_0000);
    /// The standard rights without SYNCHRONIZE.
    pub const STANDARD_RIGHTS_REQUIRED: AccessMask = AccessMask(0x000F_0000);
    /// The object-specific rights (low 16 bits).
    pub const SPECIFIC_RIGHTS_ALL: AccessMask = AccessMask(0x0000_FFFF);
    /// Every right a file or directory has (`FA` in SDDL).
    pub const FILE_ALL_ACCESS: AccessMask = AccessMask(0x001F_01FF);
    /// What GENERIC_READ means for a file (`FR`).
    pub const FILE_GENERIC_READ: AccessMask = AccessMask(0x0012_0089);
    /// What GENERIC_WRITE means for a file (`FW`).
    pub const FILE_GENERIC_WRITE: AccessMask = AccessMask(0x0012_0116);
    /// What GENERIC_EXECUTE means for a file (`FX`).
    pub const FILE_GENERIC_EXECUTE: AccessMask = AccessMask(0x0012_00A0);
    /// The generic bits.
    pub const GENERIC_MASK: AccessMask = AccessMask(0xF000_0000);

    /// The raw value.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True when every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: AccessMask) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when at least one bit of `other` is set in `self`.
    #[inline]
    pub const fn intersects(self, other: AccessMask) -> bool {
        self.0 & other.0 != 0
    }

    /// True when no bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` without the bits of `other`.
    #[inline]
    pub const fn without(self, other: AccessMask) -> AccessMask {
        AccessMask(self.0 & !other.0)
    }

    /// Replaces the generic bits with the rights `mapping` gives them (MS-DTYP 2.5.3.2
    /// MapGenericBits); MAXIMUM_ALLOWED and the other bits are kept.
    #[inline]
    pub const fn map_generic(self, mapping: &GenericMapping) -> AccessMask {
        let mut out = self.0 & !Self::GENERIC_MASK.0;
        if self.0 & Self::GENERIC_READ.0 != 0 {
            out |= mapping.read.0;
        }
        if self.0 & Self::GENERIC_WRITE.0 != 0 {
            out |= mapping.write.0;
        }
        if self.0 & Self::GENERIC_EXECUTE.0 != 0 {
            out |= mapping.execute.0;
        }
        if self.0 & Self::GENERIC_ALL.0 != 0 {
            out |= mapping.all.0;
        }
        AccessMask(out)
    }
}

/// How the generic rights map to an object type's specific rights (MS-DTYP 2.5.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenericMapping {
    /// What GENERIC_READ means.
    pub read: AccessMask,
    /// What GENERIC_WRITE means.
    pub write: AccessMask,
    /// What GENERIC_EXECUTE means.
    pub execute: AccessMask,
    /// What GENERIC_ALL means.
    pub all: AccessMask,
}

/// The generic mapping of files and directories.
pub const FILE_GENERIC_MAPPING: GenericMapping = GenericMapping {
    read: AccessMask::FILE_GENERIC_READ,
    write: AccessMask::FILE_GENERIC_WRITE,
    execute: AccessMask::FILE_GENERIC_EXECUTE,
    all: AccessMask::FILE_ALL_ACCESS,
};

impl BitOr for AccessMask {
    type Output = AccessMask;
    #[inline]
    fn bitor(self, rhs: AccessMask) -> AccessMask {
        AccessMask(self.0 | rhs.0)
    }
}

impl BitOrAssign for AccessMask {
    #[inline]
    fn bitor_assign(&mut self, rhs: AccessMask) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for AccessMask {
    type Output = AccessMask;
    #[inline]
    fn bitand(self, rhs: AccessMask) -> AccessMask {
        AccessMask(self.0 & rhs.0)
    }
}

impl BitAndAssign for AccessMask {
    #[inline]
    fn bitand_assign(&mut self, rhs: AccessMask) {
        self.0 &= rhs.0;
    }
}

impl Not for AccessMask {
    type Output = AccessMask;
    #[inline]
    fn not(self) -> AccessMask {
        AccessMask(!self.0)
    }
}

impl fmt::Debug for AccessMask {
    /// Prints the named bits (`FILE_READ_DATA|SYNCHRONIZE`) and any unnamed rest in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("NONE");
        }
        let mut rest = self.0;
        let mut first = true;
        for &(name, bit) in RIGHT_NAMES {
            if bit != 0 && bit.count_ones() == 1 && rest & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                rest &= !bit;
                first = false;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AccessMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_read_maps_to_file_generic_read() {
        let m = AccessMask::GENERIC_READ.map_generic(&FILE_GENERIC_MAPPING);
        assert_eq!(m, AccessMask::FILE_GENERIC_READ);
        let m = (AccessMask::GENERIC_ALL | AccessMask::MAXIMUM_ALLOWED)
            .map_generic(&FILE_GENERIC_MAPPING);
        assert_eq!(m, AccessMask::FILE_ALL_ACCESS | AccessMask::MAXIMUM_ALLOWED);
    }

    #[test]
    fn debug_names_bits_and_keeps_unknown() {
        let m = AccessMask::FILE_READ_DATA | AccessMask::SYNCHRONIZE | AccessMask(0x0040_0000);
        assert_eq!(format!("{m:?}"), "FILE_READ_DATA|SYNCHRONIZE|0x400000");
    }
}
