//! What memfs answers about its files and its volume, in MS-FSCC layouts, and its directory
//! enumeration: enough for an SMB client to list, put and get (smbclient's `ls`, `put`,
//! `get`, `del`, `mkdir`, `rmdir`).
//!
//! - Query information: Basic, Standard, Internal (the node's address, stable while the
//!   node lives), Ea (always 0: no EAs), Access, Position (0), Mode (0), Alignment (0),
//!   Name, All, NetworkOpen, AttributeTag. Any other class: STATUS_INVALID_INFO_CLASS.
//! - Set information: Basic (creation and last-write times; attributes are not kept),
//!   Disposition (delete on close; a non-empty directory: STATUS_DIRECTORY_NOT_EMPTY),
//!   EndOfFile, Allocation (accepted, nothing to reserve). Any other class:
//!   STATUS_INVALID_INFO_CLASS.
//! - Query volume information: Volume (label `memfs`), Size and FullSize (a nominal
//!   16 GiB volume, all of it free: memfs is bounded by memory, not by a size), Device
//!   (a disk), Attribute (`MEMFS`: case-preserving, Unicode names of up to 255
//!   characters), SectorSize. Any other class: STATUS_INVALID_INFO_CLASS.
//! - Query directory: every directory class of `lwio_fscc` (Directory, Full, Both, IdBoth,
//!   IdFull, IdExtd, Names), `.` and `..` first then the children in case-insensitive order,
//!   filtered by the Windows wildcard pattern of the first query (or of a restart);
//!   STATUS_NO_SUCH_FILE when the first query matches nothing, STATUS_NO_MORE_FILES at the
//!   end. The listing is a snapshot taken at the first query (or restart).
//!
//! Attributes are derived: FILE_ATTRIBUTE_DIRECTORY for a directory, FILE_ATTRIBUTE_ARCHIVE
//! for a file. There are no short names and no security descriptors.

use std::sync::Arc;

use lwio_core::{
    AccessMask, CreateOptions, FileAttributes, FileInfoClass, FsInfoClass, NtStatus,
    QueryDirectoryFlags,
};
use lwio_fscc::{
    DeviceCharacteristics, DeviceType, DirEntry, DirEntryWriter, Expression, FileAccessInformation,
    FileAlignmentInformation, FileAllInformation, FileAttributeTagInformation,
    FileBasicInformation, FileEaInformation, FileFsAttributeInformation, FileFsDeviceInformation,
    FileFsFullSizeInformation, FileFsSectorSizeInformation, FileFsSizeInformation,
    FileFsVolumeInformation, FileInternalInformation, FileModeInformation, FileNameInformation,
    FileNetworkOpenInformation, FilePositionInformation, FileStandardInformation, FileTime,
    FsAttributes, file_query_min_output, fit_output, fs_query_min_output,
};
use parking_lot::Mutex;

use crate::node::Node;

/// Bytes of one allocation unit (and of one "cluster" in sizes).
const UNIT: u64 = 4096;
/// The nominal volume: 16 GiB in 4 KiB units.
const VOLUME_UNITS: u64 = 4 * 1024 * 1024;

/// A node's id: its address, stable while it lives.
pub(crate) fn node_id(node: &Arc<Node>) -> u64 {
    Arc::as_ptr(node) as usize as u64
}

fn attributes(node: &Node) -> FileAttributes {
    if node.is_dir() {
        FileAttributes::DIRECTORY
    } else {
        FileAttributes::ARCHIVE
    }
}

fn basic(node: &Node) -> FileBasicInformation {
    let t = node.times();
    FileBasicInformation {
        creation_time: FileTime(t.created()),
        last_access_time: FileTime(t.written()),
        last_write_time: FileTime(t.written()),
        change_time: FileTime(t.written()),
        file_attributes: attributes(node),
    }
}

fn standard(node: &Node, delete_pending: bool) -> FileStandardInformation {
    let size = node.size();
    FileStandardInformation {
        allocation_size: size.next_multiple_of(UNIT),
        end_of_file: size,
        number_of_links: 1,
        delete_pending,
        directory: node.is_dir(),
    }
}

fn entry(name: &str, node: &Arc<Node>) -> DirEntry {
    let b = basic(node);
    let size = node.size();
    DirEntry {
        creation_time: b.creation_time,
        last_access_time: b.last_access_time,
        last_write_time: b.last_write_time,
        change_time: b.change_time,
        end_of_file: size,
        allocation_size: size.next_multiple_of(UNIT),
        file_attributes: b.file_attributes,
        file_id: node_id(node),
        file_name: name.to_owned(),
        ..DirEntry::default()
    }
}

/// What a query of a file needs to know about its handle.
pub(crate) struct Handle<'a> {
    pub(crate) node: &'a Arc<Node>,
    /// The device-relative path, `/`-separated.
    pub(crate) path: &'a str,
    pub(crate) granted: AccessMask,
    pub(crate) delete_pending: bool,
}

/// Answers a query-information of `class` within `length` bytes.
pub(crate) fn query_file(
    h: &Handle<'_>,
    class: FileInfoClass,
    length: u32,
) -> Result<(Vec<u8>, NtStatus), NtStatus> {
    let node = &**h.node;
    let bytes = match class {
        FileInfoClass::BASIC => basic(node).encode(),
        FileInfoClass::STANDARD => standard(node, h.delete_pending).encode(),
        FileInfoClass::INTERNAL => FileInternalInformation {
            index_number: node_id(h.node),
        }
        .encode(),
        FileInfoClass::EA => FileEaInformation { ea_size: 0 }.encode(),
        FileInfoClass::ACCESS => FileAccessInformation {
            access_flags: h.granted,
        }
        .encode(),
        FileInfoClass::POSITION => FilePositionInformation {
            current_byte_offset: 0,
        }
        .encode(),
        FileInfoClass::MODE => FileModeInformation {
            mode: CreateOptions::default(),
        }
        .encode(),
        FileInfoClass::ALIGNMENT => FileAlignmentInformation {
            alignment_requirement: 0,
        }
        .encode(),
        FileInfoClass::NAME => FileNameInformation {
            file_name: format!("\\{}", h.path.replace('/', "\\")),
        }
        .encode(),
        FileInfoClass::ALL => FileAllInformation {
            basic: basic(node),
            standard: standard(node, h.delete_pending),
            internal: FileInternalInformation {
                index_number: node_id(h.node),
            },
            ea: FileEaInformation { ea_size: 0 },
            access: FileAccessInformation {
                access_flags: h.granted,
            },
            position: FilePositionInformation {
                current_byte_offset: 0,
            },
            mode: FileModeInformation {
                mode: CreateOptions::default(),
            },
            alignment: FileAlignmentInformation {
                alignment_requirement: 0,
            },
            name: FileNameInformation {
                file_name: format!("\\{}", h.path.replace('/', "\\")),
            },
        }
        .encode(),
        FileInfoClass::NETWORK_OPEN => {
            let b = basic(node);
            let s = standard(node, h.delete_pending);
            FileNetworkOpenInformation {
                creation_time: b.creation_time,
                last_access_time: b.last_access_time,
                last_write_time: b.last_write_time,
                change_time: b.change_time,
                allocation_size: s.allocation_size,
                end_of_file: s.end_of_file,
                file_attributes: b.file_attributes,
            }
            .encode()
        }
        FileInfoClass::ATTRIBUTE_TAG => FileAttributeTagInformation {
            file_attributes: attributes(node),
            reparse_tag: 0,
        }
        .encode(),
        _ => return Err(NtStatus::INVALID_INFO_CLASS),
    };
    let fixed = file_query_min_output(class).ok_or(NtStatus::INVALID_INFO_CLASS)?;
    fit_output(bytes, fixed, length)
}

/// Sets the times a set-basic-information request gives (positive values; 0 and the
/// negative markers leave a time as it is).
pub(crate) fn set_basic(node: &Node, data: &[u8]) -> NtStatus {
    let Ok(info) = FileBasicInformation::decode(data) else {
        return NtStatus::INFO_LENGTH_MISMATCH;
    };
    let given = |t: FileTime| (t.0 > 0).then_some(t.0);
    node.times()
        .set(given(info.creation_time), given(info.last_write_time));
    NtStatus::SUCCESS
}

/// Answers a query-volume-information of `class` within `length` bytes; the volume was
/// created at `created`.
pub(crate) fn query_volume(
    class: FsInfoClass,
    length: u32,
    created: i64,
) -> Result<(Vec<u8>, NtStatus), NtStatus> {
    let bytes = match class {
        FsInfoClass::VOLUME => FileFsVolumeInformation {
            volume_creation_time: FileTime(created),
            volume_serial_number: (created as u64 >> 16) as u32,
            supports_objects: false,
            volume_label: "memfs".into(),
        }
        .encode(),
        FsInfoClass::SIZE => FileFsSizeInformation {
            total_allocation_units: VOLUME_UNITS,
            available_allocation_units: VOLUME_UNITS,
            sectors_per_allocation_unit: 8,
            bytes_per_sector: 512,
        }
        .encode(),
        FsInfoClass::FULL_SIZE => FileFsFullSizeInformation {
            total_allocation_units: VOLUME_UNITS,
            caller_available_allocation_units: VOLUME_UNITS,
            actual_available_allocation_units: VOLUME_UNITS,
            sectors_per_allocation_unit: 8,
            bytes_per_sector: 512,
        }
        .encode(),
        FsInfoClass::DEVICE => FileFsDeviceInformation {
            device_type: DeviceType::DISK,
            characteristics: DeviceCharacteristics::default(),
        }
        .encode(),
        FsInfoClass::ATTRIBUTE => FileFsAttributeInformation {
            file_system_attributes: FsAttributes::CASE_PRESERVED_NAMES
                | FsAttributes::UNICODE_ON_DISK,
            maximum_component_name_length: 255,
            file_system_name: "MEMFS".into(),
        }
        .encode(),
        FsInfoClass::SECTOR_SIZE => FileFsSectorSizeInformation {
            logical_bytes_per_sector: 512,
            physical_bytes_per_sector_for_atomicity: 512,
            physical_bytes_per_sector_for_performance: 512,
            fs_effective_physical_bytes_per_sector_for_atomicity: 512,
            ..FileFsSectorSizeInformation::default()
        }
        .encode(),
        _ => return Err(NtStatus::INVALID_INFO_CLASS),
    };
    let fixed = fs_query_min_output(class).ok_or(NtStatus::INVALID_INFO_CLASS)?;
    fit_output(bytes, fixed, length)
}

/// A directory handle's enumeration: the snapshot, the pattern, the next entry.
pub(crate) struct Cursor {
    pattern: Expression,
    entries: Vec<(String, Arc<Node>)>,
    next: usize,
}

/// The enumeration state of a handle (none until its first query).
pub(crate) type Enumeration = Mutex<Option<Cursor>>;

/// Answers a query-directory on the directory `dir` (whose parent is `parent`, if any).
pub(crate) fn query_directory(
    state: &Enumeration,
    dir: &Arc<Node>,
    parent: Option<&Arc<Node>>,
    request: &lwio_core::irp::QueryDirectoryRequest,
) -> Result<(Vec<u8>, NtStatus), NtStatus> {
    let Node::Dir(d) = &**dir else {
        return Err(NtStatus::INVALID_PARAMETER);
    };
    let mut writer = DirEntryWriter::new(request.class, request.length)?.single_entry(
        request
            .flags
            .contains(QueryDirectoryFlags::RETURN_SINGLE_ENTRY),
    );
    let mut state = state.lock();
    let restart = request
        .flags
        .intersects(QueryDirectoryFlags::RESTART_SCANS | QueryDirectoryFlags::REOPEN);
    let first = state.is_none() || restart;
    if first {
        let pattern = request.pattern.as_deref().unwrap_or("*");
        let pattern = Expression::new(if pattern.is_empty() { "*" } else { pattern }, true)
            .map_err(|e| e.to_status())?;
        let mut entries = vec![
            (".".to_owned(), Arc::clone(dir)),
            ("..".to_owned(), Arc::clone(parent.unwrap_or(dir))),
        ];
        entries.extend(d.children());
        *state = Some(Cursor {
            pattern,
            entries,
            next: 0,
        });
    }
    let Some(cursor) = state.as_mut() else {
        return Err(NtStatus::INTERNAL_ERROR);
    };
    while let Some((name, node)) = cursor.entries.get(cursor.next) {
        if cursor.pattern.matches(name) && !writer.push(&entry(name, node)) {
            break;
        }
        cursor.next += 1;
        if writer.is_full() {
            break;
        }
    }
    if writer.is_empty() {
        return Err(if first {
            NtStatus::NO_SUCH_FILE
        } else {
            NtStatus::NO_MORE_FILES
        });
    }
    Ok(writer.finish())
}
