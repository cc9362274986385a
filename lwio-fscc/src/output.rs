//! Sizing a query-information answer to the caller's buffer (MS-FSA 2.1.5.12 and 2.1.5.13;
//! MS-SMB2 3.3.5.20.1: a buffer too small for the fixed part is STATUS_INFO_LENGTH_MISMATCH,
//! a variable part cut short is STATUS_BUFFER_OVERFLOW with the bytes that fit).
//!
//! The fixed part to pass for each class ([`file_query_min_output`],
//! [`fs_query_min_output`]):
//!
//! | class | fixed part | rule |
//! |---|---|---|
//! | fixed-size classes (Basic 40, Standard 24, Internal 8, Ea 4, Access 4, Position 8, Mode 4, Alignment 4, NetworkOpen 56, AttributeTag 8, Compression 16, Id 24) | their size | sizeof, no truncation possible |
//! | Name, NormalizedName, AlternateName | 8 | BlockAlign(FieldOffset(FileName) + 2, 4) (MS-FSA 2.1.5.12.x) |
//! | All | 104 | the same rule applied to the embedded name: sizeof(FILE_ALL_INFORMATION) with one WCHAR, rounded to 8 (our choice) |
//! | Stream | 32 | sizeof(FILE_STREAM_INFORMATION); use [`crate::FileStreamInformation::encode_within`], which returns whole entries |
//! | FsVolume | 24 | BlockAlign(FieldOffset(VolumeLabel), 8) (MS-FSA 2.1.5.13.1) |
//! | FsAttribute | 16 | sizeof(FILE_FS_ATTRIBUTE_INFORMATION) with one WCHAR, padded (what Windows and smbtorture's qfs_buffercheck expect) |
//! | FsSize 24, FsFullSize 32, FsDevice 8, FsSectorSize 28, FsObjectId 64, FsControl 48 | their size | sizeof |
//!
//! Directory classes use [`crate::DirEntryWriter`] and the EA query its own rules
//! (MS-FSA 2.1.5.12.12), so they have no entry here.

use lwio_types::{FileInfoClass, FsInfoClass, NtStatus};

/// Fits an encoded answer into `max` bytes: `Err(STATUS_INFO_LENGTH_MISMATCH)` when `max` is
/// below `fixed_part`; the whole buffer and STATUS_SUCCESS when it fits; otherwise the
/// first bytes and STATUS_BUFFER_OVERFLOW. The variable part of every class this applies to
/// is UTF-16, so the cut keeps whole code units counted from `fixed_part` (MS-FSA's
/// BlockAlignTruncate(…, 2)); length fields keep the full length, as Windows reports it.
pub fn fit_output(
    mut encoded: Vec<u8>,
    fixed_part: usize,
    max: u32,
) -> Result<(Vec<u8>, NtStatus), NtStatus> {
    let max = max as usize;
    if max < fixed_part {
        return Err(NtStatus::INFO_LENGTH_MISMATCH);
    }
    if encoded.len() <= max {
        return Ok((encoded, NtStatus::SUCCESS));
    }
    let keep = fixed_part + ((max - fixed_part) & !1);
    encoded.truncate(keep.min(encoded.len()));
    Ok((encoded, NtStatus::BUFFER_OVERFLOW))
}

/// The smallest output buffer a query of `class` accepts (the `fixed_part` for
/// [`fit_output`]); `None` for classes sized another way or not known here.
pub fn file_query_min_output(class: FileInfoClass) -> Option<usize> {
    Some(match class {
        FileInfoClass::BASIC => 40,
        FileInfoClass::STANDARD => 24,
        FileInfoClass::INTERNAL => 8,
        FileInfoClass::EA => 4,
        FileInfoClass::ACCESS => 4,
        FileInfoClass::POSITION => 8,
        FileInfoClass::MODE => 4,
        FileInfoClass::ALIGNMENT => 4,
        FileInfoClass::NETWORK_OPEN => 56,
        FileInfoClass::ATTRIBUTE_TAG => 8,
        FileInfoClass::COMPRESSION => 16,
        FileInfoClass::ID => 24,
        FileInfoClass::NAME | FileInfoClass::NORMALIZED_NAME | FileInfoClass::ALTERNATE_NAME => 8,
        FileInfoClass::ALL => 104,
        FileInfoClass::STREAM => crate::file_info::STREAM_QUERY_MIN_OUTPUT,
        _ => return None,
    })
}

/// The smallest output buffer a volume query of `class` accepts.
pub fn fs_query_min_output(class: FsInfoClass) -> Option<usize> {
    Some(match class {
        FsInfoClass::VOLUME => 24,
        FsInfoClass::SIZE => 24,
        FsInfoClass::DEVICE => 8,
        // The C structure with its one-character name array, padded: 16 (as Windows).
        FsInfoClass::ATTRIBUTE => 16,
        FsInfoClass::CONTROL => 48,
        FsInfoClass::FULL_SIZE => 32,
        FsInfoClass::OBJECT_ID => 64,
        FsInfoClass::SECTOR_SIZE => 28,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileFsAttributeInformation, FileNameInformation};

    #[test]
    fn fit_rules() {
        let name = FileNameInformation {
            file_name: "\\dir\\file.txt".into(),
        }
        .encode();
        assert_eq!(
            fit_output(name.clone(), 8, 7),
            Err(NtStatus::INFO_LENGTH_MISMATCH)
        );
        let (b, s) = fit_output(name.clone(), 8, 11).unwrap();
        assert_eq!((b.len(), s), (10, NtStatus::BUFFER_OVERFLOW));
        assert_eq!(&b[..4], &name[..4]); // the length field keeps the full length
        let (b, s) = fit_output(name.clone(), 8, 1000).unwrap();
        assert_eq!((b, s), (name, NtStatus::SUCCESS));
        let fs = FileFsAttributeInformation {
            file_system_name: "NTFS".into(),
            ..Default::default()
        }
        .encode();
        let (b, s) = fit_output(fs, 12, 16).unwrap();
        assert_eq!((b.len(), s), (16, NtStatus::BUFFER_OVERFLOW));
    }

    #[test]
    fn minimums() {
        assert_eq!(file_query_min_output(FileInfoClass::NAME), Some(8));
        assert_eq!(file_query_min_output(FileInfoClass::DIRECTORY), None);
        assert_eq!(fs_query_min_output(FsInfoClass::VOLUME), Some(24));
        assert_eq!(fs_query_min_output(FsInfoClass::ATTRIBUTE), Some(16));
        assert_eq!(fs_query_min_output(FsInfoClass::LABEL), None);
    }
}
