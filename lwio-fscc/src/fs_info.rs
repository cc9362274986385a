//! Volume information classes (MS-FSCC 2.5): FileFsVolumeInformation (2.5.9),
//! FileFsSizeInformation (2.5.8), FileFsFullSizeInformation (2.5.4),
//! FileFsDeviceInformation (2.5.10), FileFsAttributeInformation (2.5.1),
//! FileFsSectorSizeInformation (2.5.7), FileFsObjectIdInformation (2.5.6) and
//! FileFsControlInformation (2.5.2), with the [`FsInfo`] trait.

use bytes::BufMut;
use lwio_types::FsInfoClass;

use crate::FsccError;
use crate::codec::{Reader, boolean, len32, put_utf16, utf16_len, utf16_name};
use crate::time::FileTime;

/// A volume information class structure with its wire codec.
pub trait FsInfo: Sized {
    /// The class this structure belongs to.
    const CLASS: FsInfoClass;
    /// Bytes before any variable part (the whole size for fixed classes).
    const FIXED_SIZE: usize;
    /// Whether the class has a variable-length part.
    const VARIABLE: bool;
    /// Encodes the structure.
    fn encode(&self) -> Vec<u8>;
    /// Decodes the structure strictly.
    fn decode(input: &[u8]) -> Result<Self, FsccError>;
}

/// FILE_FS_VOLUME_INFORMATION (MS-FSCC 2.5.9): 18 fixed bytes then the UTF-16LE label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileFsVolumeInformation {
    /// When the volume was created.
    pub volume_creation_time: FileTime,
    /// The volume serial number.
    pub volume_serial_number: u32,
    /// The volume supports object ids.
    pub supports_objects: bool,
    /// The label.
    pub volume_label: String,
}

impl FileFsVolumeInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_i64_le(self.volume_creation_time.0);
        out.put_u32_le(self.volume_serial_number);
        out.put_u32_le(len32(utf16_len(&self.volume_label)));
        out.put_u8(u8::from(self.supports_objects));
        out.put_u8(0);
        put_utf16(out, &self.volume_label);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let t = r.i64()?;
        let volume_serial_number = r.u32()?;
        let len = r.u32()?;
        let supports_objects = boolean(r)?;
        r.skip(1)?;
        let volume_label = utf16_name(r, len as usize, "VolumeLabelLength")?;
        Ok(FileFsVolumeInformation {
            volume_creation_time: FileTime(t),
            volume_serial_number,
            supports_objects,
            volume_label,
        })
    }
}
info_codec!(
    FileFsVolumeInformation,
    FsInfo,
    FsInfoClass::VOLUME,
    fixed = 18,
    variable = true
);

/// FILE_FS_SIZE_INFORMATION (MS-FSCC 2.5.8): 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsSizeInformation {
    /// Allocation units on the volume.
    pub total_allocation_units: u64,
    /// Free allocation units for the caller.
    pub available_allocation_units: u64,
    /// Sectors per allocation unit.
    pub sectors_per_allocation_unit: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
}

impl FileFsSizeInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.total_allocation_units);
        out.put_u64_le(self.available_allocation_units);
        out.put_u32_le(self.sectors_per_allocation_unit);
        out.put_u32_le(self.bytes_per_sector);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let total_allocation_units = r.u64()?;
        let available_allocation_units = r.u64()?;
        let sectors_per_allocation_unit = r.u32()?;
        let bytes_per_sector = r.u32()?;
        Ok(FileFsSizeInformation {
            total_allocation_units,
            available_allocation_units,
            sectors_per_allocation_unit,
            bytes_per_sector,
        })
    }
}
info_codec!(
    FileFsSizeInformation,
    FsInfo,
    FsInfoClass::SIZE,
    fixed = 24,
    variable = false
);

/// FILE_FS_FULL_SIZE_INFORMATION (MS-FSCC 2.5.4): 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsFullSizeInformation {
    /// Allocation units on the volume.
    pub total_allocation_units: u64,
    /// Free units available to the caller (after quotas).
    pub caller_available_allocation_units: u64,
    /// Free units on the volume.
    pub actual_available_allocation_units: u64,
    /// Sectors per allocation unit.
    pub sectors_per_allocation_unit: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
}

impl FileFsFullSizeInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u64_le(self.total_allocation_units);
        out.put_u64_le(self.caller_available_allocation_units);
        out.put_u64_le(self.actual_available_allocation_units);
        out.put_u32_le(self.sectors_per_allocation_unit);
        out.put_u32_le(self.bytes_per_sector);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let total_allocation_units = r.u64()?;
        let caller_available_allocation_units = r.u64()?;
        let actual_available_allocation_units = r.u64()?;
        let sectors_per_allocation_unit = r.u32()?;
        let bytes_per_sector = r.u32()?;
        Ok(FileFsFullSizeInformation {
            total_allocation_units,
            caller_available_allocation_units,
            actual_available_allocation_units,
            sectors_per_allocation_unit,
            bytes_per_sector,
        })
    }
}
info_codec!(
    FileFsFullSizeInformation,
    FsInfo,
    FsInfoClass::FULL_SIZE,
    fixed = 32,
    variable = false
);

lwio_types::open_enum! {
    /// Device types (MS-FSCC 2.5.10 DeviceType); the common ones are named.
    pub struct DeviceType(u32) {
        /// CD-ROM.
        const CD_ROM = 0x0000_0002;
        /// Disk.
        const DISK = 0x0000_0007;
        /// A disk file system.
        const DISK_FILE_SYSTEM = 0x0000_0008;
        /// Named pipes.
        const NAMED_PIPE = 0x0000_0011;
        /// A network file system.
        const NETWORK_FILE_SYSTEM = 0x0000_0014;
        /// A virtual disk.
        const VIRTUAL_DISK = 0x0000_0024;
    }
}

lwio_types::open_flags! {
    /// Device characteristics (MS-FSCC 2.5.10 Characteristics).
    pub struct DeviceCharacteristics(u32) {
        /// Removable media.
        const REMOVABLE_MEDIA = 0x0000_0001;
        /// Read-only device.
        const READ_ONLY_DEVICE = 0x0000_0002;
        /// Floppy diskette.
        const FLOPPY_DISKETTE = 0x0000_0004;
        /// Write-once media.
        const WRITE_ONCE_MEDIA = 0x0000_0008;
        /// A remote device.
        const REMOTE_DEVICE = 0x0000_0010;
        /// A file system is mounted on the device.
        const DEVICE_IS_MOUNTED = 0x0000_0020;
        /// A virtual volume.
        const VIRTUAL_VOLUME = 0x0000_0040;
        /// Opens are checked against the device's security.
        const DEVICE_SECURE_OPEN = 0x0000_0100;
        /// A Terminal Services device.
        const CHARACTERISTIC_TS_DEVICE = 0x0000_1000;
        /// A WebDAV device.
        const CHARACTERISTIC_WEBDAV_DEVICE = 0x0000_2000;
        /// App containers may traverse.
        const DEVICE_ALLOW_APPCONTAINER_TRAVERSAL = 0x0002_0000;
        /// A portable device.
        const PORTABLE_DEVICE = 0x0004_0000;
    }
}

/// FILE_FS_DEVICE_INFORMATION (MS-FSCC 2.5.10): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsDeviceInformation {
    /// The device type.
    pub device_type: DeviceType,
    /// Its characteristics.
    pub characteristics: DeviceCharacteristics,
}

impl FileFsDeviceInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.device_type.0);
        out.put_u32_le(self.characteristics.0);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let t = r.u32()?;
        let c = r.u32()?;
        Ok(FileFsDeviceInformation {
            device_type: DeviceType(t),
            characteristics: DeviceCharacteristics(c),
        })
    }
}
info_codec!(
    FileFsDeviceInformation,
    FsInfo,
    FsInfoClass::DEVICE,
    fixed = 8,
    variable = false
);

lwio_types::open_flags! {
    /// File system attribute flags (MS-FSCC 2.5.1 FileSystemAttributes).
    pub struct FsAttributes(u32) {
        /// Case-sensitive file names are supported.
        const CASE_SENSITIVE_SEARCH = 0x0000_0001;
        /// The case of names is preserved.
        const CASE_PRESERVED_NAMES = 0x0000_0002;
        /// Names are stored in Unicode.
        const UNICODE_ON_DISK = 0x0000_0004;
        /// ACLs are kept and enforced.
        const PERSISTENT_ACLS = 0x0000_0008;
        /// Per-file compression.
        const FILE_COMPRESSION = 0x0000_0010;
        /// Disk quotas.
        const VOLUME_QUOTAS = 0x0000_0020;
        /// Sparse files.
        const SUPPORTS_SPARSE_FILES = 0x0000_0040;
        /// Reparse points.
        const SUPPORTS_REPARSE_POINTS = 0x0000_0080;
        /// Remote storage.
        const SUPPORTS_REMOTE_STORAGE = 0x0000_0100;
        /// Cleanup result information is returned.
        const RETURNS_CLEANUP_RESULT_INFO = 0x0000_0200;
        /// POSIX-style unlink and rename.
        const SUPPORTS_POSIX_UNLINK_RENAME = 0x0000_0400;
        /// BypassIO.
        const SUPPORTS_BYPASS_IO = 0x0000_0800;
        /// The volume is compressed.
        const VOLUME_IS_COMPRESSED = 0x0000_8000;
        /// Object ids.
        const SUPPORTS_OBJECT_IDS = 0x0001_0000;
        /// Encryption.
        const SUPPORTS_ENCRYPTION = 0x0002_0000;
        /// Named streams.
        const NAMED_STREAMS = 0x0004_0000;
        /// The volume is read-only.
        const READ_ONLY_VOLUME = 0x0008_0000;
        /// Sequential write-once.
        const SEQUENTIAL_WRITE_ONCE = 0x0010_0000;
        /// Transactions.
        const SUPPORTS_TRANSACTIONS = 0x0020_0000;
        /// Hard links.
        const SUPPORTS_HARD_LINKS = 0x0040_0000;
        /// Extended attributes.
        const SUPPORTS_EXTENDED_ATTRIBUTES = 0x0080_0000;
        /// Open by file id.
        const SUPPORTS_OPEN_BY_FILE_ID = 0x0100_0000;
        /// Update sequence number journal.
        const SUPPORTS_USN_JOURNAL = 0x0200_0000;
        /// Integrity streams.
        const SUPPORT_INTEGRITY_STREAMS = 0x0400_0000;
        /// Block reference counting.
        const SUPPORTS_BLOCK_REFCOUNTING = 0x0800_0000;
        /// Sparse valid data length.
        const SUPPORTS_SPARSE_VDL = 0x1000_0000;
        /// Direct access (DAX) volume.
        const DAX_VOLUME = 0x2000_0000;
        /// Ghosting.
        const SUPPORTS_GHOSTING = 0x4000_0000;
    }
}

/// FILE_FS_ATTRIBUTE_INFORMATION (MS-FSCC 2.5.1): 12 fixed bytes then the UTF-16LE file
/// system name (`NTFS`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileFsAttributeInformation {
    /// What the file system supports.
    pub file_system_attributes: FsAttributes,
    /// Longest name component, in characters (255 for NTFS).
    pub maximum_component_name_length: u32,
    /// The file system's name.
    pub file_system_name: String,
}

impl FileFsAttributeInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.file_system_attributes.0);
        out.put_u32_le(self.maximum_component_name_length);
        out.put_u32_le(len32(utf16_len(&self.file_system_name)));
        put_utf16(out, &self.file_system_name);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let attrs = r.u32()?;
        let maximum_component_name_length = r.u32()?;
        let len = r.u32()?;
        let file_system_name = utf16_name(r, len as usize, "FileSystemNameLength")?;
        Ok(FileFsAttributeInformation {
            file_system_attributes: FsAttributes(attrs),
            maximum_component_name_length,
            file_system_name,
        })
    }
}
info_codec!(
    FileFsAttributeInformation,
    FsInfo,
    FsInfoClass::ATTRIBUTE,
    fixed = 12,
    variable = true
);

lwio_types::open_flags! {
    /// FileFsSectorSizeInformation flags (MS-FSCC 2.5.7).
    pub struct SectorSizeFlags(u32) {
        /// The first physical sector is aligned with the first logical sector.
        const ALIGNED_DEVICE = 0x0000_0001;
        /// The partition is aligned to physical sectors.
        const PARTITION_ALIGNED_ON_DEVICE = 0x0000_0002;
        /// The device does not seek.
        const NO_SEEK_PENALTY = 0x0000_0004;
        /// The device supports trim.
        const TRIM_ENABLED = 0x0000_0008;
    }
}

/// FILE_FS_SECTOR_SIZE_INFORMATION (MS-FSCC 2.5.7): 28 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsSectorSizeInformation {
    /// Logical bytes per sector.
    pub logical_bytes_per_sector: u32,
    /// Physical bytes per sector for atomicity.
    pub physical_bytes_per_sector_for_atomicity: u32,
    /// Physical bytes per sector for performance.
    pub physical_bytes_per_sector_for_performance: u32,
    /// What the file system treats as the atomic write unit.
    pub fs_effective_physical_bytes_per_sector_for_atomicity: u32,
    /// Flags.
    pub flags: SectorSizeFlags,
    /// Offset of the first logical sector within the first physical sector.
    pub byte_offset_for_sector_alignment: u32,
    /// Offset of the partition from a physical sector boundary.
    pub byte_offset_for_partition_alignment: u32,
}

impl FileFsSectorSizeInformation {
    /// The "unknown offset" value of the two alignment fields.
    pub const UNKNOWN_OFFSET: u32 = 0xFFFF_FFFF;

    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_u32_le(self.logical_bytes_per_sector);
        out.put_u32_le(self.physical_bytes_per_sector_for_atomicity);
        out.put_u32_le(self.physical_bytes_per_sector_for_performance);
        out.put_u32_le(self.fs_effective_physical_bytes_per_sector_for_atomicity);
        out.put_u32_le(self.flags.0);
        out.put_u32_le(self.byte_offset_for_sector_alignment);
        out.put_u32_le(self.byte_offset_for_partition_alignment);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let a = r.u32()?;
        let b = r.u32()?;
        let c = r.u32()?;
        let d = r.u32()?;
        let f = r.u32()?;
        let g = r.u32()?;
        let h = r.u32()?;
        Ok(FileFsSectorSizeInformation {
            logical_bytes_per_sector: a,
            physical_bytes_per_sector_for_atomicity: b,
            physical_bytes_per_sector_for_performance: c,
            fs_effective_physical_bytes_per_sector_for_atomicity: d,
            flags: SectorSizeFlags(f),
            byte_offset_for_sector_alignment: g,
            byte_offset_for_partition_alignment: h,
        })
    }
}
info_codec!(
    FileFsSectorSizeInformation,
    FsInfo,
    FsInfoClass::SECTOR_SIZE,
    fixed = 28,
    variable = false
);

/// FILE_FS_OBJECTID_INFORMATION (MS-FSCC 2.5.6): the volume's object id and 48 bytes of
/// extended information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFsObjectIdInformation {
    /// The volume's object id (a GUID as its 16 wire bytes).
    pub object_id: [u8; 16],
    /// Extended information, opaque.
    pub extended_info: [u8; 48],
}

impl Default for FileFsObjectIdInformation {
    fn default() -> Self {
        FileFsObjectIdInformation {
            object_id: [0; 16],
            extended_info: [0; 48],
        }
    }
}

impl FileFsObjectIdInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_slice(&self.object_id);
        out.put_slice(&self.extended_info);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let object_id = r.array()?;
        let extended_info = r.array()?;
        Ok(FileFsObjectIdInformation {
            object_id,
            extended_info,
        })
    }
}
info_codec!(
    FileFsObjectIdInformation,
    FsInfo,
    FsInfoClass::OBJECT_ID,
    fixed = 64,
    variable = false
);

lwio_types::open_flags! {
    /// FileFsControlInformation flags (MS-FSCC 2.5.2 FileSystemControlFlags).
    pub struct FsControlFlags(u32) {
        /// Quotas are tracked.
        const QUOTA_TRACK = 0x0000_0001;
        /// Quotas are enforced.
        const QUOTA_ENFORCE = 0x0000_0002;
        /// Content indexing is disabled.
        const CONTENT_INDEXING_DISABLED = 0x0000_0008;
        /// Log a quota threshold event.
        const LOG_QUOTA_THRESHOLD = 0x0000_0010;
        /// Log a quota limit event.
        const LOG_QUOTA_LIMIT = 0x0000_0020;
        /// Log volume threshold events.
        const LOG_VOLUME_THRESHOLD = 0x0000_0040;
        /// Log volume limit events.
        const LOG_VOLUME_LIMIT = 0x0000_0080;
        /// Quota information is out of date.
        const QUOTAS_INCOMPLETE = 0x0000_0100;
        /// Quotas are being rebuilt.
        const QUOTAS_REBUILDING = 0x0000_0200;
    }
}

/// FILE_FS_CONTROL_INFORMATION (MS-FSCC 2.5.2): 48 bytes (40 of values, the flags and 4
/// bytes of padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsControlInformation {
    /// Free space below which content filtering starts.
    pub free_space_start_filtering: i64,
    /// Free space threshold for an event.
    pub free_space_threshold: i64,
    /// Free space above which filtering stops.
    pub free_space_stop_filtering: i64,
    /// Default per-user quota threshold.
    pub default_quota_threshold: u64,
    /// Default per-user quota limit.
    pub default_quota_limit: u64,
    /// Flags.
    pub file_system_control_flags: FsControlFlags,
}

impl FileFsControlInformation {
    pub(crate) fn put(&self, out: &mut Vec<u8>) {
        out.put_i64_le(self.free_space_start_filtering);
        out.put_i64_le(self.free_space_threshold);
        out.put_i64_le(self.free_space_stop_filtering);
        out.put_u64_le(self.default_quota_threshold);
        out.put_u64_le(self.default_quota_limit);
        out.put_u32_le(self.file_system_control_flags.0);
        out.put_u32_le(0);
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, FsccError> {
        let a = r.i64()?;
        let b = r.i64()?;
        let c = r.i64()?;
        let d = r.u64()?;
        let e = r.u64()?;
        let f = r.u32()?;
        r.skip(4)?;
        Ok(FileFsControlInformation {
            free_space_start_filtering: a,
            free_space_threshold: b,
            free_space_stop_filtering: c,
            default_quota_threshold: d,
            default_quota_limit: e,
            file_system_control_flags: FsControlFlags(f),
        })
    }
}
info_codec!(
    FileFsControlInformation,
    FsInfo,
    FsInfoClass::CONTROL,
    fixed = 48,
    variable = false
);
