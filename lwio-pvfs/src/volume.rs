//! Volume information (MS-FSA 2.1.5.12 / MS-FSCC 2.5) from `statvfs` of the share root.

use lwio_core::irp::QueryInfoRequest;
use lwio_core::{FsInfoClass, IrpResult, NtStatus};
use lwio_fscc::{
    FileFsAttributeInformation, FileFsControlInformation, FileFsDeviceInformation,
    FileFsFullSizeInformation, FileFsObjectIdInformation, FileFsSectorSizeInformation,
    FileFsSizeInformation, FileFsVolumeInformation, FsAttributes, fit_output, fs_query_min_output,
};

use crate::Volume;
use crate::ccb::Ccb;
use crate::facts::CLUSTER_SIZE;
use crate::sys;

/// FILE_DEVICE_DISK (MS-FSCC 2.5.10).
const FILE_DEVICE_DISK: u32 = 7;
const SECTOR: u32 = 512;

pub(crate) fn query(
    volume: &Volume,
    ccb: &Ccb,
    q: &QueryInfoRequest<FsInfoClass>,
) -> Result<IrpResult, NtStatus> {
    if let Some(min) = fs_query_min_output(q.class) {
        if (q.length as usize) < min {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
    }
    let encoded = match constant(volume, q.class) {
        Some(encoded) => encoded,
        None => from_disk(volume, ccb, q.class)?,
    };
    let fixed = fs_query_min_output(q.class).unwrap_or(0);
    let (output, status) = fit_output(encoded, fixed, q.length)?;
    Ok(IrpResult {
        status,
        information: output.len() as u64,
        output,
    })
}

/// The classes that are the same for every PVFS volume (answered on the caller's thread:
/// [`crate::exec`]); `None` for the others.
fn constant(volume: &Volume, class: FsInfoClass) -> Option<Vec<u8>> {
    let encoded = match class {
        FsInfoClass::DEVICE => FileFsDeviceInformation {
            device_type: lwio_fscc::DeviceType(FILE_DEVICE_DISK),
            characteristics: Default::default(),
        }
        .encode(),
        // The flags NTFS reports (MS-FSCC 2.5.1) for what PVFS has: FILE_CASE_SENSITIVE_SEARCH
        // too, as NTFS and smbd claim it (SMB2 has no case-sensitive open, so every lookup
        // is case-insensitive; smbtorture's `smb2.streams.names3` runs only with it).
        FsInfoClass::ATTRIBUTE => FileFsAttributeInformation {
            file_system_attributes: FsAttributes::CASE_SENSITIVE_SEARCH
                | FsAttributes::CASE_PRESERVED_NAMES
                | FsAttributes::UNICODE_ON_DISK
                | FsAttributes::PERSISTENT_ACLS
                | FsAttributes::SUPPORTS_SPARSE_FILES
                | object_ids(volume),
            maximum_component_name_length: 255,
            file_system_name: "NTFS".to_owned(),
        }
        .encode(),
        FsInfoClass::SECTOR_SIZE => FileFsSectorSizeInformation {
            logical_bytes_per_sector: SECTOR,
            physical_bytes_per_sector_for_atomicity: SECTOR,
            physical_bytes_per_sector_for_performance: SECTOR,
            fs_effective_physical_bytes_per_sector_for_atomicity: SECTOR,
            flags: Default::default(),
            byte_offset_for_sector_alignment: 0,
            byte_offset_for_partition_alignment: 0,
        }
        .encode(),
        // No quotas: all limits off, no flags (what a volume without quotas reports).
        FsInfoClass::CONTROL => FileFsControlInformation::default().encode(),
        _ => return None,
    };
    debug_assert!(crate::exec::fs_info_from_memory(class));
    Some(encoded)
}

/// The classes read from `statvfs` and the root's `fstat`.
fn from_disk(volume: &Volume, ccb: &Ccb, class: FsInfoClass) -> Result<Vec<u8>, NtStatus> {
    let vfs = rustix::fs::fstatvfs(&ccb.fd).map_err(sys::map_errno)?;
    let block = vfs.f_frsize.max(1);
    let to_units = |blocks: u64| blocks.saturating_mul(block) / CLUSTER_SIZE;
    let sectors_per_unit = (CLUSTER_SIZE / u64::from(SECTOR)) as u32;
    let root_stat = sys::fstat(volume.root.dir_fd())?;
    Ok(match class {
        FsInfoClass::VOLUME => FileFsVolumeInformation {
            volume_creation_time: lwio_fscc::FileTime(
                i64::try_from(root_stat.btime.unwrap_or(root_stat.ctime).to_filetime())
                    .unwrap_or(0),
            ),
            volume_serial_number: (root_stat.dev ^ (root_stat.dev >> 32)) as u32,
            supports_objects: false,
            volume_label: volume.label.clone(),
        }
        .encode(),
        FsInfoClass::SIZE => FileFsSizeInformation {
            total_allocation_units: to_units(vfs.f_blocks),
            available_allocation_units: to_units(vfs.f_bavail),
            sectors_per_allocation_unit: sectors_per_unit,
            bytes_per_sector: SECTOR,
        }
        .encode(),
        FsInfoClass::FULL_SIZE => FileFsFullSizeInformation {
            total_allocation_units: to_units(vfs.f_blocks),
            caller_available_allocation_units: to_units(vfs.f_bavail),
            actual_available_allocation_units: to_units(vfs.f_bfree),
            sectors_per_allocation_unit: sectors_per_unit,
            bytes_per_sector: SECTOR,
        }
        .encode(),
        FsInfoClass::OBJECT_ID => FileFsObjectIdInformation {
            object_id: object_id_of(&root_stat),
            ..Default::default()
        }
        .encode(),
        _ => return Err(NtStatus::INVALID_INFO_CLASS),
    })
}

/// FILE_SUPPORTS_OBJECT_IDS when the volume can keep them (they live in an xattr:
/// `crate::object_id`), else nothing.
fn object_ids(volume: &Volume) -> FsAttributes {
    if volume.root.fs_supports_xattrs() {
        FsAttributes::SUPPORTS_OBJECT_IDS
    } else {
        FsAttributes::empty()
    }
}

/// A stable volume object id made of the root's device and inode numbers.
fn object_id_of(root_stat: &sys::Stat) -> [u8; 16] {
    let mut object_id = [0u8; 16];
    object_id[..8].copy_from_slice(&root_stat.dev.to_le_bytes());
    object_id[8..].copy_from_slice(&root_stat.ino.to_le_bytes());
    object_id
}

/// The volume's object id (FileFsObjectIdInformation), the birth volume id of the object
/// ids PVFS generates.
pub(crate) fn volume_object_id(volume: &Volume) -> Result<[u8; 16], NtStatus> {
    Ok(object_id_of(&sys::fstat(volume.root.dir_fd())?))
}
