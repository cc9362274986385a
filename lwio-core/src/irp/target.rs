//! The target of a rename or a hard link, as the I/O manager reads it from a
//! set-information buffer: FileRenameInformation (MS-FSCC 2.4.42.2),
//! FileRenameInformationEx (2.4.43), FileLinkInformation (2.4.27.2) and
//! FileLinkInformationEx (2.4.28), in the 64-bit layout SMB2 and in-process callers use.
//!
//! ```text
//! offset 0   ReplaceIfExists (u8) + Reserved (7)   | Ex: Flags (u32) + Reserved (u32)
//! offset 8   RootDirectory (u64)
//! offset 16  FileNameLength (u32, bytes)
//! offset 20  FileName (UTF-16LE), then padding the decoder ignores
//! ```
//!
//! The manager needs the name (to open the target's directory for the caller before any
//! driver acts) and the driver needs the flags; both read them here, so the buffer is
//! decoded by one set of rules. The statuses are MS-FSA's (2.1.5.15.6, 2.1.5.15.11): a
//! buffer shorter than the fixed part is STATUS_INFO_LENGTH_MISMATCH; an empty or odd
//! FileNameLength, or one past the end of the buffer, STATUS_INVALID_PARAMETER; a name that
//! is not UTF-16, STATUS_OBJECT_NAME_INVALID.

use lwio_types::utf16::decode_utf16le;
use lwio_types::{Reader, open_flags};

use crate::irp::request::FileInfoClass;
use crate::status::NtStatus;

open_flags! {
    /// The flags of a rename or link (FILE_RENAME_* of FileRenameInformationEx, FILE_LINK_*
    /// of FileLinkInformationEx; the two share these values). The non-Ex classes set only
    /// [`TargetFlags::REPLACE_IF_EXISTS`], from their ReplaceIfExists byte.
    pub struct TargetFlags(u32) {
        /// Replace an existing file of the target name.
        const REPLACE_IF_EXISTS = 0x0000_0001;
        /// With REPLACE_IF_EXISTS: replace it even while it is open (POSIX semantics).
        const POSIX_SEMANTICS = 0x0000_0002;
        /// Replace a target that has FILE_ATTRIBUTE_READONLY.
        const IGNORE_READONLY_ATTRIBUTE = 0x0000_0040;
    }
}

/// Bytes before FileName.
const FIXED: usize = 20;

/// A decoded rename or link target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// Replace, POSIX semantics, ignore read-only.
    pub flags: TargetFlags,
    /// The directory the name is relative to: zero for a name from the device root (always
    /// so over the network), else the id of an open directory's file object
    /// ([`FileObject::id`](crate::FileObject::id)) of the same I/O manager.
    pub root_directory: u64,
    /// The target name, `\` or `/` separated; `:name` renames a stream.
    pub file_name: String,
}

/// True for the classes whose target the I/O manager opens: rename and link, both forms.
#[inline]
pub fn is_target_class(class: FileInfoClass) -> bool {
    matches!(
        class,
        FileInfoClass::RENAME
            | FileInfoClass::RENAME_EX
            | FileInfoClass::LINK
            | FileInfoClass::LINK_EX
    )
}

impl LinkTarget {
    /// Decodes the buffer of `class` (one of [`is_target_class`]'s).
    pub fn decode(class: FileInfoClass, data: &[u8]) -> Result<LinkTarget, NtStatus> {
        if !is_target_class(class) {
            return Err(NtStatus::INVALID_INFO_CLASS);
        }
        if data.len() < FIXED {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
        let mut r = Reader::new(data);
        // ReplaceIfExists (a byte) and 7 reserved, or Flags (u32) and 4 reserved.
        let head = r.u32()?;
        let flags = if matches!(class, FileInfoClass::RENAME_EX | FileInfoClass::LINK_EX) {
            TargetFlags(head)
        } else if head & 0xFF != 0 {
            TargetFlags::REPLACE_IF_EXISTS
        } else {
            TargetFlags::empty()
        };
        r.skip(4)?;
        let root_directory = r.u64()?;
        let len = r.u32()? as usize;
        if len == 0 || len % 2 != 0 {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let bytes = r.take(len).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        let file_name = decode_utf16le(bytes).map_err(|_| NtStatus::OBJECT_NAME_INVALID)?;
        Ok(LinkTarget {
            flags,
            root_directory,
            file_name,
        })
    }

    /// The non-Ex form's encoding (for in-process callers and tests): ReplaceIfExists from
    /// [`TargetFlags::REPLACE_IF_EXISTS`].
    pub fn encode(&self, class: FileInfoClass) -> Vec<u8> {
        let units: Vec<u16> = self.file_name.encode_utf16().collect();
        let mut out = Vec::with_capacity(FIXED + units.len() * 2);
        if matches!(class, FileInfoClass::RENAME_EX | FileInfoClass::LINK_EX) {
            out.extend_from_slice(&self.flags.0.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
        } else {
            out.push(u8::from(
                self.flags.contains(TargetFlags::REPLACE_IF_EXISTS),
            ));
            out.extend_from_slice(&[0; 7]);
        }
        out.extend_from_slice(&self.root_directory.to_le_bytes());
        let len = u32::try_from(units.len() * 2).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        for u in units {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    /// True when the name renames a stream of the file (`:stream`): no directory to open.
    pub fn is_stream(&self) -> bool {
        self.file_name.starts_with(':')
    }

    /// Shorthand for the REPLACE_IF_EXISTS flag.
    pub fn replace_if_exists(&self) -> bool {
        self.flags.contains(TargetFlags::REPLACE_IF_EXISTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, flags: TargetFlags, root: u64) -> LinkTarget {
        LinkTarget {
            flags,
            root_directory: root,
            file_name: name.to_owned(),
        }
    }

    #[test]
    fn round_trips_every_class() {
        let t = target(
            "dir\\Ünïcode.txt",
            TargetFlags::REPLACE_IF_EXISTS,
            0x1_0000_0002,
        );
        for class in [
            FileInfoClass::RENAME,
            FileInfoClass::RENAME_EX,
            FileInfoClass::LINK,
            FileInfoClass::LINK_EX,
        ] {
            assert_eq!(LinkTarget::decode(class, &t.encode(class)), Ok(t.clone()));
        }
        let ex = target("a", TargetFlags(0x43), 0);
        assert_eq!(
            LinkTarget::decode(
                FileInfoClass::RENAME_EX,
                &ex.encode(FileInfoClass::RENAME_EX)
            ),
            Ok(ex.clone())
        );
        // The non-Ex form carries the replace bit only.
        let plain = LinkTarget::decode(FileInfoClass::LINK, &ex.encode(FileInfoClass::LINK));
        assert_eq!(plain.map(|t| t.flags), Ok(TargetFlags::REPLACE_IF_EXISTS));
    }

    #[test]
    fn any_nonzero_replace_byte_replaces_and_padding_is_ignored() {
        let mut b = target("x", TargetFlags::empty(), 0).encode(FileInfoClass::RENAME);
        b[0] = 0x80;
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let t = LinkTarget::decode(FileInfoClass::RENAME, &b).unwrap();
        assert!(t.replace_if_exists());
        assert_eq!(t.file_name, "x");
    }

    #[test]
    fn malformed_buffers_get_the_statuses_of_ms_fsa() {
        let good = target("ab", TargetFlags::empty(), 0).encode(FileInfoClass::RENAME);
        let class = FileInfoClass::RENAME;
        assert_eq!(
            LinkTarget::decode(class, &good[..19]),
            Err(NtStatus::INFO_LENGTH_MISMATCH)
        );
        let with_len = |len: u32| {
            let mut b = good.clone();
            b[16..20].copy_from_slice(&len.to_le_bytes());
            b
        };
        assert_eq!(
            LinkTarget::decode(class, &with_len(0)),
            Err(NtStatus::INVALID_PARAMETER)
        );
        assert_eq!(
            LinkTarget::decode(class, &with_len(3)),
            Err(NtStatus::INVALID_PARAMETER)
        );
        assert_eq!(
            LinkTarget::decode(class, &with_len(6)),
            Err(NtStatus::INVALID_PARAMETER)
        );
        assert_eq!(
            LinkTarget::decode(class, &with_len(u32::MAX - 1)),
            Err(NtStatus::INVALID_PARAMETER)
        );
        // A lone surrogate.
        let mut bad = with_len(2);
        bad.truncate(20);
        bad.extend_from_slice(&0xD800u16.to_le_bytes());
        assert_eq!(
            LinkTarget::decode(class, &bad),
            Err(NtStatus::OBJECT_NAME_INVALID)
        );
        assert_eq!(
            LinkTarget::decode(FileInfoClass::BASIC, &good),
            Err(NtStatus::INVALID_INFO_CLASS)
        );
        assert!(target(":s", TargetFlags::empty(), 0).is_stream());
    }
}
