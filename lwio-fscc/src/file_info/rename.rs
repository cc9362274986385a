//! Rename and link requests: FileRenameInformation (MS-FSCC 2.4.37, the SMB2 form
//! FILE_RENAME_INFORMATION_TYPE_2), FileRenameInformationEx (its flags form) and
//! FileLinkInformation (2.4.24, SMB2 form).
//!
//! Layout implemented for all three (20 fixed bytes, 64-bit handle layout as SMB2 sends it):
//!
//! ```text
//! offset 0   ReplaceIfExists (u8) + Reserved (7)   | Ex: Flags (u32) + Reserved (u32)
//! offset 8   RootDirectory (u64, zero over the network)
//! offset 16  FileNameLength (u32, bytes)
//! offset 20  FileName (UTF-16LE), then optional padding that the decoder ignores
//! ```
//!
//! The 32-bit SMB1 form (TYPE_1: 3 reserved bytes and a 4-byte RootDirectory) is not
//! implemented. Reserved bytes are ignored on receipt and sent as zero.

use bytes::BufMut;

use crate::FsccError;
use crate::codec::{Reader, boolean, len32, put_utf16, utf16_len, utf16_name};

fn put_tail(out: &mut Vec<u8>, root_directory: u64, name: &str) {
    out.put_u64_le(root_directory);
    out.put_u32_le(len32(utf16_len(name)));
    put_utf16(out, name);
}

fn parse_tail(r: &mut Reader<'_>) -> Result<(u64, String), FsccError> {
    let root = r.u64()?;
    let len = r.u32()?;
    let name = utf16_name(r, len as usize, "FileNameLength")?;
    // The SMB2 form allows padding after the name (MS-FSCC 2.4.37.2 "Padding").
    r.rest();
    Ok((root, name))
}

/// FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC 2.4.37.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRenameInformation {
    /// Replace an existing file of the target name.
    pub replace_if_exists: bool,
    /// A handle the name is relative to; MUST be zero for network operations.
    pub root_directory: u64,
    /// The new name: a path from the share root, or `:stream` to rename a stream.
    pub file_name: String,
}

impl FileRenameInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u8(u8::from(self.replace_if_exists));
        out.put_bytes(0, 7);
        put_tail(out, self.root_directory, &self.file_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let replace_if_exists = boolean(r)?;
        r.skip(7)?;
        let (root_directory, file_name) = parse_tail(r)?;
        Ok(FileRenameInformation {
            replace_if_exists,
            root_directory,
            file_name,
        })
    }
}
info_codec!(
    FileRenameInformation,
    FileInfo,
    FileInfoClass::RENAME,
    fixed = 20,
    variable = true
);

lwio_types::open_flags! {
    /// FileRenameInformationEx flags (FILE_RENAME_*).
    pub struct RenameFlags(u32) {
        /// Replace an existing target (the Ex form of ReplaceIfExists).
        const REPLACE_IF_EXISTS = 0x0000_0001;
        /// With REPLACE_IF_EXISTS: replace even while the target is open (POSIX rename).
        const POSIX_SEMANTICS = 0x0000_0002;
        /// Do not inherit pin state into the new directory.
        const SUPPRESS_PIN_STATE_INHERITANCE = 0x0000_0004;
        /// Do not inherit the storage reserve id into the new directory.
        const SUPPRESS_STORAGE_RESERVE_INHERITANCE = 0x0000_0008;
        /// Adjust storage reserves so available space does not grow.
        const NO_INCREASE_AVAILABLE_SPACE = 0x0000_0010;
        /// Adjust storage reserves so available space does not shrink.
        const NO_DECREASE_AVAILABLE_SPACE = 0x0000_0020;
        /// Replace a read-only target.
        const IGNORE_READONLY_ATTRIBUTE = 0x0000_0040;
        /// Resize the target's storage reserve as needed.
        const FORCE_RESIZE_TARGET_SR = 0x0000_0080;
        /// Resize the source's storage reserve as needed.
        const FORCE_RESIZE_SOURCE_SR = 0x0000_0100;
    }
}

/// FileRenameInformationEx: the rename layout with a 32-bit `Flags` (plus 4 reserved bytes)
/// in place of ReplaceIfExists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRenameInformationEx {
    /// The flags.
    pub flags: RenameFlags,
    /// Relative-to handle; zero over the network.
    pub root_directory: u64,
    /// The new name.
    pub file_name: String,
}

impl FileRenameInformationEx {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.flags.0);
        out.put_u32_le(0);
        put_tail(out, self.root_directory, &self.file_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let flags = r.u32()?;
        r.skip(4)?;
        let (root_directory, file_name) = parse_tail(r)?;
        Ok(FileRenameInformationEx {
            flags: RenameFlags(flags),
            root_directory,
            file_name,
        })
    }
}
info_codec!(
    FileRenameInformationEx,
    FileInfo,
    FileInfoClass::RENAME_EX,
    fixed = 20,
    variable = true
);

/// FILE_LINK_INFORMATION_TYPE_2 (MS-FSCC 2.4.24.2): create a hard link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileLinkInformation {
    /// Replace an existing file of the link's name.
    pub replace_if_exists: bool,
    /// Relative-to handle; zero over the network.
    pub root_directory: u64,
    /// The link's name.
    pub file_name: String,
}

impl FileLinkInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u8(u8::from(self.replace_if_exists));
        out.put_bytes(0, 7);
        put_tail(out, self.root_directory, &self.file_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let replace_if_exists = boolean(r)?;
        r.skip(7)?;
        let (root_directory, file_name) = parse_tail(r)?;
        Ok(FileLinkInformation {
            replace_if_exists,
            root_directory,
            file_name,
        })
    }
}
info_codec!(
    FileLinkInformation,
    FileInfo,
    FileInfoClass::LINK,
    fixed = 20,
    variable = true
);
