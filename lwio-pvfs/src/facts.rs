//! What Windows asks about a file, gathered once from `stat` and the DOS-attribute store:
//! the one place where POSIX facts become NTFS facts.
//!
//! - File id: the inode number (stable for the life of the file, as NTFS's is).
//! - Times: creation from the stored creation time (else birth time, else the older of
//!   mtime and ctime); last access and last write from atime and mtime; change also from mtime (as
//!   Samba: ctime cannot be set); a change time set explicitly is kept by the open file
//!   ([`crate::ccb::Ccb`]) until the last write time moves.
//! - Attributes: the stored DOS attributes, with DIRECTORY from the file type, and NORMAL
//!   when nothing else is set, as NTFS reports it.
//! - Allocation size: the end of file rounded up to whole 4 KiB clusters, or more while an
//!   open file keeps a larger allocation asked for at create or through
//!   FileAllocationInformation. Not `st_blocks`: on ext4 that counts the block holding the
//!   extended attributes (our DOS information and security descriptor) too.

use lwio_core::FileAttributes;
use lwio_fscc::{
    DirEntry, FileAttributeTagInformation, FileBasicInformation, FileNetworkOpenInformation,
    FileStandardInformation, FileTime,
};

use crate::fcb::FileKey;

/// The cluster size PVFS reports (FileFsSizeInformation, alignment of allocation sizes).
pub(crate) const CLUSTER_SIZE: u64 = 4096;

/// The NTFS view of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Identity on disk.
    pub key: FileKey,
    /// A directory.
    pub is_dir: bool,
    /// End of file (0 for directories).
    pub size: u64,
    /// Allocation size.
    pub allocation: u64,
    /// Hard link count.
    pub links: u32,
    /// Attributes as Windows reports them.
    pub attributes: FileAttributes,
    /// Creation time.
    pub creation: FileTime,
    /// Last access time.
    pub last_access: FileTime,
    /// Last write time.
    pub last_write: FileTime,
    /// Change time.
    pub change: FileTime,
}

impl Facts {
    /// Attributes as queries report them: DIRECTORY for directories, NORMAL alone when no
    /// other attribute is set.
    pub fn reported_attributes(stored: FileAttributes, is_dir: bool) -> FileAttributes {
        let mut a = stored.without(FileAttributes::NORMAL | FileAttributes::DIRECTORY);
        if is_dir {
            a |= FileAttributes::DIRECTORY;
        }
        if a.is_empty() {
            a = FileAttributes::NORMAL;
        }
        a
    }

    /// FileBasicInformation.
    pub fn basic(&self) -> FileBasicInformation {
        FileBasicInformation {
            creation_time: self.creation,
            last_access_time: self.last_access,
            last_write_time: self.last_write,
            change_time: self.change,
            file_attributes: self.attributes,
        }
    }

    /// FileStandardInformation.
    pub fn standard(&self, delete_pending: bool) -> FileStandardInformation {
        FileStandardInformation {
            allocation_size: self.allocation,
            end_of_file: self.size,
            number_of_links: if delete_pending {
                self.links.saturating_sub(1)
            } else {
                self.links
            },
            delete_pending,
            directory: self.is_dir,
        }
    }

    /// FileNetworkOpenInformation.
    pub fn network_open(&self) -> FileNetworkOpenInformation {
        FileNetworkOpenInformation {
            creation_time: self.creation,
            last_access_time: self.last_access,
            last_write_time: self.last_write,
            change_time: self.change,
            allocation_size: self.allocation,
            end_of_file: self.size,
            file_attributes: self.attributes,
        }
    }

    /// FileAttributeTagInformation (no reparse points: the tag is 0).
    pub fn attribute_tag(&self) -> FileAttributeTagInformation {
        FileAttributeTagInformation {
            file_attributes: self.attributes,
            reparse_tag: 0,
        }
    }

    /// A directory entry for `name`, with the short name it has when no other name of its
    /// directory collides with it (the listing puts in the one its group gives it).
    pub fn dir_entry(&self, name: &str, file_index: u32) -> DirEntry {
        DirEntry {
            file_index,
            creation_time: self.creation,
            last_access_time: self.last_access,
            last_write_time: self.last_write,
            change_time: self.change,
            end_of_file: self.size,
            allocation_size: self.allocation,
            file_attributes: self.attributes,
            ea_size: 0,
            reparse_tag: 0,
            file_id: self.key.ino,
            file_id_128: file_id_128(self.key),
            short_name: crate::sys::short::short_name_alone(name),
            file_name: name.to_owned(),
        }
    }
}

/// The 128-bit file id: the inode in the low half, the device in the high half.
pub(crate) fn file_id_128(key: FileKey) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&key.ino.to_le_bytes());
    id[8..].copy_from_slice(&key.dev.to_le_bytes());
    id
}

/// A byte count rounded up to whole clusters.
pub(crate) fn allocation_size(bytes: u64) -> u64 {
    bytes.div_ceil(CLUSTER_SIZE).saturating_mul(CLUSTER_SIZE)
}
