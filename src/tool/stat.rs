//! `stat`: every file (and volume) information class, queried, decoded and printed; a class
//! the driver refuses prints its status and the command goes on.

use std::io::{self, Write};

use lwio_core::{FileHandle, FileInfoClass, FsInfoClass, NtStatus, block_on};
use lwio_fscc::{
    FileAccessInformation, FileAlignmentInformation, FileAttributeTagInformation,
    FileBasicInformation, FileCompressionInformation, FileEaInformation,
    FileFsAttributeInformation, FileFsDeviceInformation, FileFsFullSizeInformation,
    FileFsSectorSizeInformation, FileFsSizeInformation, FileFsVolumeInformation, FileIdInformation,
    FileInternalInformation, FileModeInformation, FileNameInformation, FileNetworkOpenInformation,
    FilePositionInformation, FileStandardInformation, FileStreamInformation, FsccError,
};

use super::names::{OPTION_NAMES, format_access, format_attributes, format_filetime, format_flags};

/// The output buffer offered for each query: large enough for any name or stream list.
const QUERY_LENGTH: u32 = 64 * 1024;

/// Field name and printed value.
type Fields = Vec<(&'static str, String)>;

/// A decoder from a class's bytes to its printed fields.
type Describe = fn(&[u8]) -> Result<Fields, FsccError>;

/// The file classes `stat` asks for, in order.
const FILE_CLASSES: &[(&str, FileInfoClass, Describe)] = &[
    ("FileBasicInformation", FileInfoClass::BASIC, basic),
    ("FileStandardInformation", FileInfoClass::STANDARD, standard),
    ("FileInternalInformation", FileInfoClass::INTERNAL, internal),
    ("FileEaInformation", FileInfoClass::EA, ea),
    ("FileAccessInformation", FileInfoClass::ACCESS, access),
    ("FilePositionInformation", FileInfoClass::POSITION, position),
    ("FileModeInformation", FileInfoClass::MODE, mode),
    (
        "FileAlignmentInformation",
        FileInfoClass::ALIGNMENT,
        alignment,
    ),
    ("FileNameInformation", FileInfoClass::NAME, name),
    (
        "FileNetworkOpenInformation",
        FileInfoClass::NETWORK_OPEN,
        network_open,
    ),
    (
        "FileAttributeTagInformation",
        FileInfoClass::ATTRIBUTE_TAG,
        attribute_tag,
    ),
    ("FileStreamInformation", FileInfoClass::STREAM, stream),
    (
        "FileCompressionInformation",
        FileInfoClass::COMPRESSION,
        compression,
    ),
    ("FileIdInformation", FileInfoClass::ID, id),
];

/// The volume classes `stat --volume` asks for, in order.
const FS_CLASSES: &[(&str, FsInfoClass, Describe)] = &[
    ("FileFsVolumeInformation", FsInfoClass::VOLUME, fs_volume),
    ("FileFsSizeInformation", FsInfoClass::SIZE, fs_size),
    (
        "FileFsFullSizeInformation",
        FsInfoClass::FULL_SIZE,
        fs_full_size,
    ),
    ("FileFsDeviceInformation", FsInfoClass::DEVICE, fs_device),
    (
        "FileFsAttributeInformation",
        FsInfoClass::ATTRIBUTE,
        fs_attribute,
    ),
    (
        "FileFsSectorSizeInformation",
        FsInfoClass::SECTOR_SIZE,
        fs_sector_size,
    ),
];

/// Prints every file class of [`FILE_CLASSES`], and the volume classes when `volume`.
pub(crate) fn print_stat(file: &FileHandle, volume: bool, out: &mut dyn Write) -> io::Result<()> {
    for &(label, class, describe) in FILE_CLASSES {
        let answer = block_on(file.query_information(class, QUERY_LENGTH));
        print_class(label, answer, describe, out)?;
    }
    if volume {
        for &(label, class, describe) in FS_CLASSES {
            let answer = block_on(file.query_volume_information(class, QUERY_LENGTH));
            print_class(label, answer, describe, out)?;
        }
    }
    Ok(())
}

fn print_class(
    label: &str,
    answer: Result<Vec<u8>, NtStatus>,
    describe: Describe,
    out: &mut dyn Write,
) -> io::Result<()> {
    let bytes = match answer {
        Ok(bytes) => bytes,
        Err(status) => return writeln!(out, "{label}: {status}"),
    };
    match describe(&bytes) {
        Ok(fields) => {
            writeln!(out, "{label}:")?;
            for (field, value) in fields {
                writeln!(out, "  {field}: {value}")?;
            }
            Ok(())
        }
        Err(e) => writeln!(out, "{label}: undecodable ({e}; {} bytes)", bytes.len()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn basic(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileBasicInformation::decode(b)?;
    Ok(vec![
        ("CreationTime", format_filetime(i.creation_time, true)),
        ("LastAccessTime", format_filetime(i.last_access_time, true)),
        ("LastWriteTime", format_filetime(i.last_write_time, true)),
        ("ChangeTime", format_filetime(i.change_time, true)),
        ("FileAttributes", format_attributes(i.file_attributes)),
    ])
}

fn standard(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileStandardInformation::decode(b)?;
    Ok(vec![
        ("AllocationSize", i.allocation_size.to_string()),
        ("EndOfFile", i.end_of_file.to_string()),
        ("NumberOfLinks", i.number_of_links.to_string()),
        ("DeletePending", i.delete_pending.to_string()),
        ("Directory", i.directory.to_string()),
    ])
}

fn internal(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileInternalInformation::decode(b)?;
    Ok(vec![("IndexNumber", format!("{:#018x}", i.index_number))])
}

fn ea(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileEaInformation::decode(b)?;
    Ok(vec![("EaSize", i.ea_size.to_string())])
}

fn access(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileAccessInformation::decode(b)?;
    Ok(vec![("AccessFlags", format_access(i.access_flags))])
}

fn position(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FilePositionInformation::decode(b)?;
    Ok(vec![(
        "CurrentByteOffset",
        i.current_byte_offset.to_string(),
    )])
}

fn mode(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileModeInformation::decode(b)?;
    let names = format_flags(i.mode.0, OPTION_NAMES);
    Ok(vec![("Mode", format!("{:#010x} ({names})", i.mode.0))])
}

fn alignment(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileAlignmentInformation::decode(b)?;
    Ok(vec![(
        "AlignmentRequirement",
        format!("{:#x}", i.alignment_requirement),
    )])
}

fn name(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileNameInformation::decode(b)?;
    Ok(vec![("FileName", i.file_name)])
}

fn network_open(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileNetworkOpenInformation::decode(b)?;
    Ok(vec![
        ("CreationTime", format_filetime(i.creation_time, true)),
        ("LastAccessTime", format_filetime(i.last_access_time, true)),
        ("LastWriteTime", format_filetime(i.last_write_time, true)),
        ("ChangeTime", format_filetime(i.change_time, true)),
        ("AllocationSize", i.allocation_size.to_string()),
        ("EndOfFile", i.end_of_file.to_string()),
        ("FileAttributes", format_attributes(i.file_attributes)),
    ])
}

fn attribute_tag(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileAttributeTagInformation::decode(b)?;
    Ok(vec![
        ("FileAttributes", format_attributes(i.file_attributes)),
        ("ReparseTag", format!("{:#010x}", i.reparse_tag)),
    ])
}

fn stream(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileStreamInformation::decode(b)?;
    if i.entries.is_empty() {
        return Ok(vec![("Streams", "none".to_owned())]);
    }
    Ok(i.entries
        .into_iter()
        .map(|e| {
            let value = format!(
                "{} (size {}, allocation {})",
                e.stream_name, e.stream_size, e.stream_allocation_size
            );
            ("Stream", value)
        })
        .collect())
}

fn compression(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileCompressionInformation::decode(b)?;
    Ok(vec![
        ("CompressedFileSize", i.compressed_file_size.to_string()),
        ("CompressionFormat", format!("{:?}", i.compression_format)),
        ("CompressionUnitShift", i.compression_unit_shift.to_string()),
        ("ChunkShift", i.chunk_shift.to_string()),
        ("ClusterShift", i.cluster_shift.to_string()),
    ])
}

fn id(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileIdInformation::decode(b)?;
    Ok(vec![
        (
            "VolumeSerialNumber",
            format!("{:#018x}", i.volume_serial_number),
        ),
        ("FileId", hex(&i.file_id)),
    ])
}

fn fs_volume(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsVolumeInformation::decode(b)?;
    Ok(vec![
        (
            "VolumeCreationTime",
            format_filetime(i.volume_creation_time, true),
        ),
        (
            "VolumeSerialNumber",
            format!("{:#010x}", i.volume_serial_number),
        ),
        ("SupportsObjects", i.supports_objects.to_string()),
        ("VolumeLabel", i.volume_label),
    ])
}

fn fs_size(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsSizeInformation::decode(b)?;
    Ok(vec![
        ("TotalAllocationUnits", i.total_allocation_units.to_string()),
        (
            "AvailableAllocationUnits",
            i.available_allocation_units.to_string(),
        ),
        (
            "SectorsPerAllocationUnit",
            i.sectors_per_allocation_unit.to_string(),
        ),
        ("BytesPerSector", i.bytes_per_sector.to_string()),
    ])
}

fn fs_full_size(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsFullSizeInformation::decode(b)?;
    Ok(vec![
        ("TotalAllocationUnits", i.total_allocation_units.to_string()),
        (
            "CallerAvailableAllocationUnits",
            i.caller_available_allocation_units.to_string(),
        ),
        (
            "ActualAvailableAllocationUnits",
            i.actual_available_allocation_units.to_string(),
        ),
        (
            "SectorsPerAllocationUnit",
            i.sectors_per_allocation_unit.to_string(),
        ),
        ("BytesPerSector", i.bytes_per_sector.to_string()),
    ])
}

fn fs_device(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsDeviceInformation::decode(b)?;
    Ok(vec![
        ("DeviceType", format!("{:?}", i.device_type)),
        ("Characteristics", format!("{:?}", i.characteristics)),
    ])
}

fn fs_attribute(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsAttributeInformation::decode(b)?;
    Ok(vec![
        (
            "FileSystemAttributes",
            format!("{:?}", i.file_system_attributes),
        ),
        (
            "MaximumComponentNameLength",
            i.maximum_component_name_length.to_string(),
        ),
        ("FileSystemName", i.file_system_name),
    ])
}

fn fs_sector_size(b: &[u8]) -> Result<Fields, FsccError> {
    let i = FileFsSectorSizeInformation::decode(b)?;
    Ok(vec![
        (
            "LogicalBytesPerSector",
            i.logical_bytes_per_sector.to_string(),
        ),
        (
            "PhysicalBytesPerSectorForAtomicity",
            i.physical_bytes_per_sector_for_atomicity.to_string(),
        ),
        (
            "PhysicalBytesPerSectorForPerformance",
            i.physical_bytes_per_sector_for_performance.to_string(),
        ),
        (
            "FsEffectivePhysicalBytesPerSectorForAtomicity",
            i.fs_effective_physical_bytes_per_sector_for_atomicity
                .to_string(),
        ),
        ("Flags", format!("{:?}", i.flags)),
        (
            "ByteOffsetForSectorAlignment",
            i.byte_offset_for_sector_alignment.to_string(),
        ),
        (
            "ByteOffsetForPartitionAlignment",
            i.byte_offset_for_partition_alignment.to_string(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_core::{AccessMask, FileAttributes};
    use lwio_fscc::FileTime;

    #[test]
    fn classes_decode_to_readable_fields() {
        let b = FileBasicInformation {
            creation_time: FileTime::UNIX_EPOCH,
            last_access_time: FileTime::UNIX_EPOCH,
            last_write_time: FileTime::UNIX_EPOCH,
            change_time: FileTime(0),
            file_attributes: FileAttributes::ARCHIVE | FileAttributes::HIDDEN,
        };
        let fields = basic(&b.encode()).unwrap();
        assert_eq!(
            fields[0],
            ("CreationTime", "1970-01-01T00:00:00Z".to_owned())
        );
        assert_eq!(fields[3].1, "0 (not set)");
        assert_eq!(fields[4].1, "0x00000022 (hidden,archive)");

        let a = FileAccessInformation {
            access_flags: AccessMask::FILE_READ_DATA | AccessMask::SYNCHRONIZE,
        };
        assert_eq!(
            access(&a.encode()).unwrap()[0].1,
            "0x00100001 (read,synchronize)"
        );
    }

    #[test]
    fn a_refused_or_bad_class_prints_and_goes_on() {
        let mut out = Vec::new();
        print_class("X", Err(NtStatus::INVALID_DEVICE_REQUEST), basic, &mut out).unwrap();
        print_class("Y", Ok(vec![1, 2]), basic, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("X: STATUS_INVALID_DEVICE_REQUEST"), "{text}");
        assert!(text.contains("Y: undecodable"), "{text}");
    }
}
