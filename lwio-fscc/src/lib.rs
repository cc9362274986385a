//! # lwio-fscc
//!
//! The MS-FSCC wire structures and the MS-FSA name rules, as pure codecs shared by the three
//! places that speak them: the file system drivers (which answer query/set-information,
//! directory and notify IRPs in MS-FSCC layout, see `lwio_core::irp::request`), the SMB
//! server (which forwards those buffers to clients untouched and checks what clients send),
//! and the SMB client (which decodes what servers send).
//!
//! ## What is here
//! - [`file_info`]: one struct per file information class (MS-FSCC 2.4), each with
//!   `encode(&self) -> Vec<u8>` and `decode(&[u8]) -> Result<Self, FsccError>`, and the
//!   [`FileInfo`] trait over them. EA lists ([`FileFullEaInformation`]) are validated as
//!   Windows validates them before a set.
//! - [`dir_info`]: directory entries ([`DirEntry`]), the size-limited [`DirEntryWriter`]
//!   that follows the MS-FSA 2.1.5.6.3 rules (chaining, 8-byte alignment, first entry cut
//!   with STATUS_BUFFER_OVERFLOW, single-entry mode), and the checking [`DirEntries`]
//!   iterator.
//! - [`fs_info`]: volume information classes (MS-FSCC 2.5) and the [`FsInfo`] trait.
//! - [`notify`]: FILE_NOTIFY_INFORMATION lists (MS-FSCC 2.7.1).
//! - [`wildcard`]: [`Expression`] and [`is_in_expression`], MS-FSA 2.1.4.4 in time linear
//!   in the name, patterns bounded to a file name's length.
//! - [`names`]: component and path validation, stream syntax (MS-FSCC 2.1.5).
//! - [`fsctl`]: FSCTL/IOCTL codes ([`CtlCode`], from `lwio-types`, re-exported).
//! - [`time`]: FILETIME conversions ([`FileTime`]).
//! - [`output`]: [`fit_output`], sizing a query answer to the caller's buffer.
//! - [`object_id`]: FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3), the object id FSCTLs' buffer.
//! - [`lock_list`]: the answer of lwio's own `FSCTL_LWIO_QUERY_LOCKS` (a stream's
//!   byte-range locks, for administration).
//!
//! Every decoder treats its input as hostile: each length and offset is checked before use,
//! nothing is allocated from a count that was not checked against the bytes present, no
//! input can make it panic, and trailing bytes are an error unless the class defines them
//! as padding. [`FsccError::to_status`] gives the NTSTATUS to answer with.
//!
//! Section numbers follow the MS-FSCC revision this crate was written against; Microsoft
//! renumbers 2.4 between revisions, so the class name is the stable reference.
//!
//! ## What it is not
//! No I/O, no file system semantics (which attributes a set may change, what a delete
//! pending file answers): those belong to the drivers. No SMB framing: that is the server's
//! and client's. The number spaces it reuses (`FileInfoClass`, `FsInfoClass`,
//! `FileAttributes`, `NotifyFilter`, `QueryDirectoryFlags`, `NtStatus`, `CtlCode`) and the
//! reader every decoder here reads with come from `lwio-types`, not from the I/O manager:
//! this crate builds without `lwio-core`.
//!
//! ```
//! use lwio_fscc::{DirEntry, DirEntryWriter, decode_dir_entries, is_in_expression};
//! use lwio_types::{FileInfoClass, NtStatus};
//!
//! let mut w = DirEntryWriter::new(FileInfoClass::ID_BOTH_DIRECTORY, 4096).unwrap();
//! for name in ["a.txt", "b.doc", "c.txt"] {
//!     if is_in_expression("*.txt", name, true) {
//!         assert!(w.push(&DirEntry { file_name: name.into(), ..DirEntry::default() }));
//!     }
//! }
//! let (buf, status) = w.finish();
//! assert_eq!(status, NtStatus::SUCCESS);
//! let back = decode_dir_entries(FileInfoClass::ID_BOTH_DIRECTORY, &buf).unwrap();
//! assert_eq!(back.len(), 2);
//! ```
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

mod codec;
pub mod dir_info;
mod error;
pub mod file_info;
pub mod fs_info;
pub mod lock_list;
pub mod names;
pub mod notify;
pub mod object_id;
pub mod output;
pub mod sparse;
pub mod time;
pub mod wildcard;

pub use dir_info::{
    DirEntries, DirEntry, DirEntryWriter, decode_dir_entries, dir_class_has_ea_size,
    dir_entry_fixed_size, encode_dir_entries,
};
pub use error::FsccError;
pub use file_info::*;
pub use fs_info::{
    DeviceCharacteristics, DeviceType, FileFsAttributeInformation, FileFsControlInformation,
    FileFsDeviceInformation, FileFsFullSizeInformation, FileFsObjectIdInformation,
    FileFsSectorSizeInformation, FileFsSizeInformation, FileFsVolumeInformation, FsAttributes,
    FsControlFlags, FsInfo, SectorSizeFlags,
};
/// FSCTL and IOCTL codes (MS-FSCC 2.3): [`CtlCode`] lives in `lwio-types`, shared with the
/// I/O manager and the SMB2 codec.
pub mod fsctl {
    pub use lwio_types::ctl_code::*;
}
pub use fsctl::{CtlCode, TransferMethod};
pub use names::{
    PathName, StreamSpec, StreamType, parse_stream_syntax, split_path, validate_component,
};
pub use notify::{NotifyAction, NotifyEntry, decode_notify, encode_notify};
pub use object_id::ObjectIdBuffer;
pub use output::{file_query_min_output, fit_output, fs_query_min_output};
pub use time::FileTime;
pub use wildcard::{Expression, PatternError, is_in_expression};

#[cfg(test)]
mod tests;
