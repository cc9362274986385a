//! Time-and-attribute classes: FileBasicInformation (MS-FSCC 2.4.7), FileStandardInformation
//! (2.4.41), FileNetworkOpenInformation (2.4.29) and FileAttributeTagInformation (2.4.6).

use bytes::BufMut;
use lwio_types::FileAttributes;

use crate::FsccError;
use crate::codec::{Reader, boolean};
use crate::time::FileTime;

/// FILE_BASIC_INFORMATION (MS-FSCC 2.4.7): 40 bytes, the four times, the attributes and 4
/// reserved bytes (sent as zero, ignored on receipt).
///
/// In a set request a time of 0 means "don't change", -1 "don't change and stop automatic
/// updates", -2 "resume automatic updates" ([`FileTime`] names them); a time below -2 is
/// invalid (MS-FSA 2.1.5.14.2) and fails to decode. Attributes 0 mean "don't change".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileBasicInformation {
    /// When the file was created.
    pub creation_time: FileTime,
    /// When the file was last accessed.
    pub last_access_time: FileTime,
    /// When the file was last written.
    pub last_write_time: FileTime,
    /// When the file's metadata or data last changed.
    pub change_time: FileTime,
    /// The file attributes (MS-FSCC 2.6).
    pub file_attributes: FileAttributes,
}

/// Wire size of [`FileBasicInformation`].
pub const FILE_BASIC_INFORMATION_SIZE: usize = 40;

pub(crate) fn parse_time(r: &mut Reader<'_>, field: &'static str) -> Result<FileTime, FsccError> {
    let t = r.i64()?;
    if t < -2 {
        return Err(FsccError::InvalidValue(field));
    }
    Ok(FileTime(t))
}

impl FileBasicInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_i64_le(self.creation_time.0);
        out.put_i64_le(self.last_access_time.0);
        out.put_i64_le(self.last_write_time.0);
        out.put_i64_le(self.change_time.0);
        out.put_u32_le(self.file_attributes.0);
        out.put_u32_le(0);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let creation_time = parse_time(r, "CreationTime")?;
        let last_access_time = parse_time(r, "LastAccessTime")?;
        let last_write_time = parse_time(r, "LastWriteTime")?;
        let change_time = parse_time(r, "ChangeTime")?;
        let attrs = r.u32()?;
        r.skip(4)?;
        Ok(FileBasicInformation {
            creation_time,
            last_access_time,
            last_write_time,
            change_time,
            file_attributes: FileAttributes(attrs),
        })
    }
}
/// Parses the 40 bytes of a FILE_BASIC_INFORMATION without the set-request rule on times
/// (for query answers embedded in other classes).
pub(crate) fn parse_basic_any(r: &mut Reader<'_>) -> Result<FileBasicInformation, FsccError> {
    let c = r.i64()?;
    let a = r.i64()?;
    let w = r.i64()?;
    let ch = r.i64()?;
    let attrs = r.u32()?;
    r.skip(4)?;
    Ok(FileBasicInformation {
        creation_time: FileTime(c),
        last_access_time: FileTime(a),
        last_write_time: FileTime(w),
        change_time: FileTime(ch),
        file_attributes: FileAttributes(attrs),
    })
}

info_codec!(
    FileBasicInformation,
    FileInfo,
    FileInfoClass::BASIC,
    fixed = 40,
    variable = false
);

/// FILE_STANDARD_INFORMATION (MS-FSCC 2.4.41): 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStandardInformation {
    /// Bytes allocated for the file.
    pub allocation_size: u64,
    /// The end of file (size in bytes).
    pub end_of_file: u64,
    /// Number of hard links.
    pub number_of_links: u32,
    /// A delete is pending on the file.
    pub delete_pending: bool,
    /// The file is a directory.
    pub directory: bool,
}

impl FileStandardInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.allocation_size);
        out.put_u64_le(self.end_of_file);
        out.put_u32_le(self.number_of_links);
        out.put_u8(u8::from(self.delete_pending));
        out.put_u8(u8::from(self.directory));
        out.put_u16_le(0);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let allocation_size = r.u64()?;
        let end_of_file = r.u64()?;
        let number_of_links = r.u32()?;
        let delete_pending = boolean(r)?;
        let directory = boolean(r)?;
        r.skip(2)?;
        Ok(FileStandardInformation {
            allocation_size,
            end_of_file,
            number_of_links,
            delete_pending,
            directory,
        })
    }
}
info_codec!(
    FileStandardInformation,
    FileInfo,
    FileInfoClass::STANDARD,
    fixed = 24,
    variable = false
);

/// FILE_NETWORK_OPEN_INFORMATION (MS-FSCC 2.4.29): 56 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileNetworkOpenInformation {
    /// When the file was created.
    pub creation_time: FileTime,
    /// When the file was last accessed.
    pub last_access_time: FileTime,
    /// When the file was last written.
    pub last_write_time: FileTime,
    /// When the file last changed.
    pub change_time: FileTime,
    /// Bytes allocated.
    pub allocation_size: u64,
    /// Size in bytes.
    pub end_of_file: u64,
    /// Attributes.
    pub file_attributes: FileAttributes,
}

impl FileNetworkOpenInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_i64_le(self.creation_time.0);
        out.put_i64_le(self.last_access_time.0);
        out.put_i64_le(self.last_write_time.0);
        out.put_i64_le(self.change_time.0);
        out.put_u64_le(self.allocation_size);
        out.put_u64_le(self.end_of_file);
        out.put_u32_le(self.file_attributes.0);
        out.put_u32_le(0);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let c = r.i64()?;
        let a = r.i64()?;
        let w = r.i64()?;
        let ch = r.i64()?;
        let allocation_size = r.u64()?;
        let end_of_file = r.u64()?;
        let attrs = r.u32()?;
        r.skip(4)?;
        Ok(FileNetworkOpenInformation {
            creation_time: FileTime(c),
            last_access_time: FileTime(a),
            last_write_time: FileTime(w),
            change_time: FileTime(ch),
            allocation_size,
            end_of_file,
            file_attributes: FileAttributes(attrs),
        })
    }
}
info_codec!(
    FileNetworkOpenInformation,
    FileInfo,
    FileInfoClass::NETWORK_OPEN,
    fixed = 56,
    variable = false
);

/// FILE_ATTRIBUTE_TAG_INFORMATION (MS-FSCC 2.4.6): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileAttributeTagInformation {
    /// Attributes.
    pub file_attributes: FileAttributes,
    /// The reparse tag, when `file_attributes` has REPARSE_POINT.
    pub reparse_tag: u32,
}

impl FileAttributeTagInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.file_attributes.0);
        out.put_u32_le(self.reparse_tag);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let attrs = r.u32()?;
        let reparse_tag = r.u32()?;
        Ok(FileAttributeTagInformation {
            file_attributes: FileAttributes(attrs),
            reparse_tag,
        })
    }
}
info_codec!(
    FileAttributeTagInformation,
    FileInfo,
    FileInfoClass::ATTRIBUTE_TAG,
    fixed = 8,
    variable = false
);
