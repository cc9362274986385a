//! Name classes: FileNameInformation (MS-FSCC 2.4.27), FileNormalizedNameInformation (2.4.30,
//! same layout) and FileAllInformation (2.4.2), which ends with a FILE_NAME_INFORMATION.

use bytes::BufMut;

use crate::FsccError;
use crate::codec::{Reader, len32, put_utf16, utf16_len, utf16_name};
use crate::file_info::basic::{FileBasicInformation, FileStandardInformation};
use crate::file_info::simple::{
    FileAccessInformation, FileAlignmentInformation, FileEaInformation, FileInternalInformation,
    FileModeInformation, FilePositionInformation,
};

fn put_name(out: &mut Vec<u8>, name: &str) {
    out.put_u32_le(len32(utf16_len(name)));
    put_utf16(out, name);
}

fn parse_name(r: &mut Reader<'_>) -> Result<String, FsccError> {
    let len = r.u32()?;
    utf16_name(r, len as usize, "FileNameLength")
}

/// FILE_NAME_INFORMATION (MS-FSCC 2.4.27): `FileNameLength` (u32, bytes) then the UTF-16LE
/// name, no terminator. A query returns the path from the volume root (`\dir\file`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileNameInformation {
    /// The name.
    pub file_name: String,
}

impl FileNameInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        put_name(out, &self.file_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let file_name = parse_name(r)?;
        Ok(FileNameInformation { file_name })
    }
}
info_codec!(
    FileNameInformation,
    FileInfo,
    FileInfoClass::NAME,
    fixed = 4,
    variable = true
);

/// FILE_NORMALIZED_NAME_INFORMATION: the layout of [`FileNameInformation`], holding the
/// normalized (long-name) path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileNormalizedNameInformation {
    /// The normalized name.
    pub file_name: String,
}

impl FileNormalizedNameInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        put_name(out, &self.file_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let file_name = parse_name(r)?;
        Ok(FileNormalizedNameInformation { file_name })
    }
}
info_codec!(
    FileNormalizedNameInformation,
    FileInfo,
    FileInfoClass::NORMALIZED_NAME,
    fixed = 4,
    variable = true
);

/// FILE_ALL_INFORMATION (MS-FSCC 2.4.2): basic (40), standard (24), internal (8), EA (4),
/// access (4), position (8), mode (4), alignment (4), then a name (4 + variable); the fixed
/// part is 100 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileAllInformation {
    /// Times and attributes.
    pub basic: FileBasicInformation,
    /// Sizes, links, delete-pending, directory.
    pub standard: FileStandardInformation,
    /// The file id.
    pub internal: FileInternalInformation,
    /// EA size.
    pub ea: FileEaInformation,
    /// Granted access.
    pub access: FileAccessInformation,
    /// Current offset.
    pub position: FilePositionInformation,
    /// Mode.
    pub mode: FileModeInformation,
    /// Alignment requirement.
    pub alignment: FileAlignmentInformation,
    /// The name.
    pub name: FileNameInformation,
}

/// Bytes of [`FileAllInformation`] before the name characters.
pub const FILE_ALL_INFORMATION_FIXED: usize = 100;

impl FileAllInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        self.basic.put(out);
        self.standard.put(out);
        self.internal.put(out);
        self.ea.put(out);
        self.access.put(out);
        self.position.put(out);
        self.mode.put(out);
        self.alignment.put(out);
        self.name.put(out);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        // A query answer carries the times as stored; only the set path forbids < -2, and
        // FileAllInformation is query-only, so the basic part is parsed leniently.
        let basic = crate::file_info::basic::parse_basic_any(r)?;
        let standard = FileStandardInformation::parse(r)?;
        let internal = FileInternalInformation::parse(r)?;
        let ea = FileEaInformation::parse(r)?;
        let access = FileAccessInformation::parse(r)?;
        let position = FilePositionInformation::parse(r)?;
        let mode = FileModeInformation::parse(r)?;
        let alignment = FileAlignmentInformation::parse(r)?;
        let name = FileNameInformation::parse(r)?;
        Ok(FileAllInformation {
            basic,
            standard,
            internal,
            ea,
            access,
            position,
            mode,
            alignment,
            name,
        })
    }
}
info_codec!(
    FileAllInformation,
    FileInfo,
    FileInfoClass::ALL,
    fixed = 100,
    variable = true
);
