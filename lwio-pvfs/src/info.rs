//! Query and set file information (MS-FSA 2.1.5.12 and 2.1.5.15), in MS-FSCC layouts.

use std::sync::atomic::Ordering;

use lwio_core::irp::{LinkTarget, QueryEaRequest, QueryInfoRequest, SetInfoRequest};
use lwio_core::{AccessMask, CreateOptions, FileAttributes, FileInfoClass, IrpResult, NtStatus};
use lwio_fscc::{
    FileAccessInformation, FileAlignmentInformation, FileAllInformation, FileAllocationInformation,
    FileBasicInformation, FileCompressionInformation, FileDispositionInformation,
    FileDispositionInformationEx, FileEaInformation, FileEndOfFileInformation, FileIdInformation,
    FileInfo, FileInternalInformation, FileModeInformation, FileNameInformation,
    FilePositionInformation, FileStreamInformation, FileTime, file_query_min_output, fit_output,
};

use crate::ccb::Ccb;
use crate::facts::file_id_128;
use crate::notify::Change;
use crate::sys::{self, Timestamp};
use crate::{Volume, path};
use lwio_core::irp::NotifyFilter;
use lwio_fscc::NotifyAction;

fn respond(encoded: Vec<u8>, class: FileInfoClass, max: u32) -> Result<IrpResult, NtStatus> {
    let fixed = file_query_min_output(class).unwrap_or(0);
    let (output, status) = fit_output(encoded, fixed, max)?;
    Ok(IrpResult {
        status,
        information: output.len() as u64,
        output,
    })
}

pub(crate) fn query(
    volume: &Volume,
    ccb: &Ccb,
    q: &QueryInfoRequest<FileInfoClass>,
) -> Result<IrpResult, NtStatus> {
    if q.class == FileInfoClass::FULL_EA {
        // A query-information carries no name list, index or flags: it goes on with the
        // handle's enumeration (MS-FSA 2.1.5.12.12).
        let request = QueryEaRequest {
            length: q.length,
            ..QueryEaRequest::default()
        };
        return crate::ea::query(volume, ccb, &request);
    }
    if let Some(min) = file_query_min_output(q.class) {
        if (q.length as usize) < min {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
    }
    if let Some(encoded) = query_from_memory(ccb, q.class) {
        return respond(encoded, q.class, q.length);
    }
    let facts = reported_facts(volume, ccb)?;
    let delete_pending = ccb.fcb.state.lock().delete_pending;
    let name = || FileNameInformation {
        file_name: windows_name(ccb),
    };
    let encoded = match q.class {
        FileInfoClass::BASIC => facts.basic().encode(),
        FileInfoClass::STANDARD => facts.standard(delete_pending).encode(),
        FileInfoClass::INTERNAL => FileInternalInformation {
            index_number: facts.key.ino,
        }
        .encode(),
        FileInfoClass::EA => FileEaInformation {
            ea_size: crate::ea::info_size(volume, &ccb.fd),
        }
        .encode(),
        FileInfoClass::ALL => FileAllInformation {
            basic: facts.basic(),
            standard: facts.standard(delete_pending),
            internal: FileInternalInformation {
                index_number: facts.key.ino,
            },
            ea: FileEaInformation {
                ea_size: crate::ea::info_size(volume, &ccb.fd),
            },
            access: FileAccessInformation {
                access_flags: ccb.granted,
            },
            position: FilePositionInformation {
                current_byte_offset: ccb.position.load(Ordering::Relaxed),
            },
            mode: FileModeInformation {
                mode: mode_bits(*ccb.options.lock()),
            },
            alignment: FileAlignmentInformation {
                alignment_requirement: 0,
            },
            name: name(),
        }
        .encode(),
        FileInfoClass::NETWORK_OPEN => facts.network_open().encode(),
        FileInfoClass::ATTRIBUTE_TAG => facts.attribute_tag().encode(),
        FileInfoClass::STREAM => {
            let mut entries = crate::streams::ops::entries(volume, ccb)?;
            if ccb.stream.is_none() {
                if let Some(data) = entries.first_mut().filter(|e| e.stream_name == "::$DATA") {
                    // The open file's size and allocation as its other queries report them.
                    data.stream_size = facts.size;
                    data.stream_allocation_size = facts.allocation;
                }
            }
            let (output, status) = FileStreamInformation { entries }.encode_within(q.length)?;
            return Ok(IrpResult {
                status,
                information: output.len() as u64,
                output,
            });
        }
        FileInfoClass::COMPRESSION => FileCompressionInformation {
            compressed_file_size: facts.size,
            compression_format: Default::default(),
            compression_unit_shift: 0,
            chunk_shift: 0,
            cluster_shift: 0,
        }
        .encode(),
        FileInfoClass::ALTERNATE_NAME => FileNameInformation {
            file_name: alternate_name(volume, ccb)?,
        }
        .encode(),
        FileInfoClass::ID => FileIdInformation {
            volume_serial_number: facts.key.dev,
            file_id: file_id_128(facts.key),
        }
        .encode(),
        _ => return Err(NtStatus::INVALID_INFO_CLASS),
    };
    respond(encoded, q.class, q.length)
}

/// The classes answered from the handle and its FCB alone, without a system call (the
/// dispatcher keeps them on the caller's thread: [`crate::exec`]); `None` for the others.
fn query_from_memory(ccb: &Ccb, class: FileInfoClass) -> Option<Vec<u8>> {
    let encoded = match class {
        FileInfoClass::ACCESS => FileAccessInformation {
            access_flags: ccb.granted,
        }
        .encode(),
        FileInfoClass::POSITION => FilePositionInformation {
            current_byte_offset: ccb.position.load(Ordering::Relaxed),
        }
        .encode(),
        FileInfoClass::MODE => FileModeInformation {
            mode: mode_bits(*ccb.options.lock()),
        }
        .encode(),
        FileInfoClass::ALIGNMENT => FileAlignmentInformation {
            alignment_requirement: 0,
        }
        .encode(),
        FileInfoClass::NAME => FileNameInformation {
            file_name: windows_name(ccb),
        }
        .encode(),
        // The on-disk spelling relative to the share root, without the leading `\`: the
        // root itself has the empty name (as Windows and Samba answer).
        FileInfoClass::NORMALIZED_NAME => FileNameInformation {
            file_name: with_stream(ccb, ccb.path().replace('/', "\\")),
        }
        .encode(),
        _ => return None,
    };
    debug_assert!(crate::exec::info_from_memory(class));
    Some(encoded)
}

/// The 8.3 short name of the handle's file, the one the directory listing shows and an
/// open finds it by ([`crate::sys::short`]): one scan of its parent directory. The share
/// root has none and answers the empty name. A file without one (a tenth colliding name)
/// is STATUS_OBJECT_NAME_NOT_FOUND (MS-FSCC 2.4.5: the name is empty).
fn alternate_name(volume: &Volume, ccb: &Ccb) -> Result<String, NtStatus> {
    let on_disk = ccb.path();
    if on_disk.is_empty() {
        return Ok(String::new());
    }
    let (parent, name) = path::split_last(&on_disk);
    let dir = volume.root.open_dir(std::path::Path::new(parent))?;
    let short = volume.root.short_name_of(&dir, name)?;
    if short.is_empty() {
        return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
    }
    Ok(short)
}

/// The handle's name as FileNameInformation reports it: the file's, and `:stream` for a
/// stream handle.
fn windows_name(ccb: &Ccb) -> String {
    with_stream(ccb, path::windows_name(&ccb.path()))
}

fn with_stream(ccb: &Ccb, mut name: String) -> String {
    if let Some(stream) = ccb.stream_name() {
        name.push(':');
        name.push_str(&stream);
    }
    name
}

/// The file's facts as a query reports them: the disk's, with the open file's last write
/// time ([`crate::rw::WriteTime`]).
fn reported_facts(volume: &Volume, ccb: &Ccb) -> Result<crate::facts::Facts, NtStatus> {
    let mut facts = ccb.facts(volume)?;
    crate::rw::report_write_time(&ccb.fd, &mut ccb.fcb.state.lock().write_time, &mut facts);
    Ok(facts)
}

/// The handle-mode bits FileModeInformation reports (MS-FSCC 2.4.26).
fn mode_bits(options: CreateOptions) -> CreateOptions {
    options
        & (CreateOptions::WRITE_THROUGH
            | CreateOptions::SEQUENTIAL_ONLY
            | CreateOptions::NO_INTERMEDIATE_BUFFERING
            | CreateOptions::SYNCHRONOUS_IO_ALERT
            | CreateOptions::SYNCHRONOUS_IO_NONALERT
            | CreateOptions::DELETE_ON_CLOSE)
}

fn decode<T: FileInfo>(data: &[u8]) -> Result<T, NtStatus> {
    T::decode_set_input(data).map_err(|e| e.to_status())
}

/// Sets a file information class. `dest` is the target directory the I/O manager opened
/// for a rename or link (see [`crate::rename`]).
pub(crate) fn set(
    volume: &Volume,
    ccb: &Ccb,
    dest: Option<&Ccb>,
    s: &SetInfoRequest<FileInfoClass>,
) -> Result<IrpResult, NtStatus> {
    let mut changed = NotifyFilter::empty();
    match s.class {
        FileInfoClass::BASIC => {
            let info: FileBasicInformation = decode(&s.data)?;
            changed = basic_filter(&info);
            set_basic(volume, ccb, info)?;
        }
        FileInfoClass::END_OF_FILE => {
            let info: FileEndOfFileInformation = decode(&s.data)?;
            if ccb.is_dir() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            sys::set_size(ccb.data(), info.end_of_file)?;
            let now = ccb.fcb.state.lock().write_time.modified_now();
            crate::rw::persist(ccb.data(), now);
            changed = NotifyFilter::SIZE;
        }
        FileInfoClass::ALLOCATION => {
            let info: FileAllocationInformation = decode(&s.data)?;
            if ccb.is_dir() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let size = sys::fstat(ccb.data())?.size;
            if info.allocation_size < size {
                sys::set_size(ccb.data(), info.allocation_size)?;
                let now = ccb.fcb.state.lock().write_time.modified_now();
                crate::rw::persist(ccb.data(), now);
            }
            ccb.fcb.state.lock().allocation = crate::facts::allocation_size(info.allocation_size);
            changed = NotifyFilter::SIZE;
        }
        FileInfoClass::POSITION => {
            let info: FilePositionInformation = decode(&s.data)?;
            ccb.set_position(info.current_byte_offset);
        }
        FileInfoClass::MODE => {
            let info: FileModeInformation = decode(&s.data)?;
            let settable = CreateOptions::WRITE_THROUGH
                | CreateOptions::SEQUENTIAL_ONLY
                | CreateOptions::SYNCHRONOUS_IO_ALERT
                | CreateOptions::SYNCHRONOUS_IO_NONALERT;
            if !info.mode.without(settable).is_empty() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let mut options = ccb.options.lock();
            *options = options.without(settable) | info.mode;
        }
        FileInfoClass::DISPOSITION => {
            let info: FileDispositionInformation = decode(&s.data)?;
            set_disposition(volume, ccb, info.delete_pending, false)?;
        }
        FileInfoClass::DISPOSITION_EX => {
            let info: FileDispositionInformationEx = decode(&s.data)?;
            let flags = info.flags.0;
            // DELETE 0x1, POSIX_SEMANTICS 0x2, ON_CLOSE 0x8, IGNORE_READONLY 0x10.
            if flags & 0x8 != 0 {
                return Err(NtStatus::NOT_SUPPORTED);
            }
            set_disposition(volume, ccb, flags & 0x1 != 0, flags & 0x10 != 0)?;
        }
        FileInfoClass::RENAME | FileInfoClass::RENAME_EX => {
            let target = LinkTarget::decode(s.class, &s.data)?;
            crate::rename::rename(volume, ccb, dest, &target)?;
        }
        FileInfoClass::LINK | FileInfoClass::LINK_EX => {
            let target = LinkTarget::decode(s.class, &s.data)?;
            crate::rename::link(volume, ccb, dest, &target)?;
        }
        FileInfoClass::FULL_EA => changed = crate::ea::set(volume, ccb, &s.data)?,
        FileInfoClass::VALID_DATA_LENGTH => return Err(NtStatus::NOT_SUPPORTED),
        _ => return Err(NtStatus::INVALID_INFO_CLASS),
    }
    if !changed.is_empty() {
        let path = ccb.path();
        let change = Change::new(&path, NotifyAction::MODIFIED, changed);
        volume.notify.report(&[change], ccb.parent_key());
    }
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

/// What a FileBasicInformation set changes, for change notify.
fn basic_filter(info: &FileBasicInformation) -> NotifyFilter {
    let mut f = NotifyFilter::empty();
    if !info.file_attributes.is_empty() {
        f |= NotifyFilter::ATTRIBUTES;
    }
    if info.creation_time.0 > 0 {
        f |= NotifyFilter::CREATION;
    }
    if info.last_access_time.0 > 0 {
        f |= NotifyFilter::LAST_ACCESS;
    }
    if info.last_write_time.0 > 0 {
        f |= NotifyFilter::LAST_WRITE;
    }
    f
}

fn to_timestamp(t: FileTime) -> Option<Timestamp> {
    if t.0 <= 0 {
        return None;
    }
    Some(Timestamp::from_filetime(t.0 as u64))
}

fn set_basic(volume: &Volume, ccb: &Ccb, info: FileBasicInformation) -> Result<(), NtStatus> {
    let attrs = info.file_attributes;
    if attrs.contains(FileAttributes::DIRECTORY) && !ccb.is_dir() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if attrs.contains(FileAttributes::TEMPORARY) && ccb.is_dir() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // Any FileBasicInformation set makes a pending last-write-time update first, even one
    // that sets no time (as Windows Server 2016 does).
    let flushed = ccb.fcb.state.lock().write_time.flush_pending();
    crate::rw::persist(&ccb.fd, flushed);
    let mut dos = ccb.dos(volume)?;
    let mut dirty = false;
    if !attrs.is_empty() {
        dos.attributes = attrs
            .without(FileAttributes::DIRECTORY | FileAttributes::NORMAL)
            .0;
        dirty = true;
    }
    if let Some(t) = to_timestamp(info.creation_time) {
        dos.creation_time = t.to_filetime();
        dirty = true;
    }
    if dirty {
        ccb.store_dos(volume, dos)?;
    }
    let atime = to_timestamp(info.last_access_time);
    let mtime = to_timestamp(info.last_write_time);
    if atime.is_some() || mtime.is_some() {
        sys::set_times(&ccb.fd, atime, mtime)?;
    }
    // The last write time the disk holds now (one `fstat`, only when a time below needs
    // it): a time set is kept as the file system stored it.
    let disk = if info.last_write_time.0 != 0 || info.change_time.0 > 0 {
        crate::ccb::disk_time(sys::fstat(&ccb.fd)?.mtime)
    } else {
        FileTime(0)
    };
    if info.last_write_time.0 != 0 {
        let mut state = ccb.fcb.state.lock();
        let (current, _) = state.write_time.reported(disk);
        let explicit = if mtime.is_some() {
            disk
        } else {
            info.last_write_time
        };
        state.write_time.set_explicit(explicit, current);
    }
    if info.change_time.0 > 0 {
        ccb.fcb.state.lock().change_time = Some((info.change_time, disk));
    }
    Ok(())
}

fn set_disposition(
    volume: &Volume,
    ccb: &Ccb,
    delete: bool,
    ignore_readonly: bool,
) -> Result<(), NtStatus> {
    if !ccb.granted.contains(AccessMask::DELETE) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    if delete {
        let facts = ccb.facts(volume)?;
        if facts.attributes.contains(FileAttributes::READONLY) && !ignore_readonly {
            return Err(NtStatus::CANNOT_DELETE);
        }
        // The directory the handle holds, not whatever its path names now.
        if facts.is_dir && !sys::read_dir(&ccb.fd)?.is_empty() {
            return Err(NtStatus::DIRECTORY_NOT_EMPTY);
        }
    }
    ccb.fcb.state.lock().delete_pending = delete;
    Ok(())
}
