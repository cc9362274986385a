//! File information classes (MS-FSCC 2.4): one typed struct per class, each with
//! `encode(&self) -> Vec<u8>` and `decode(&[u8]) -> Result<Self, FsccError>`, and the
//! [`FileInfo`] trait for code that is generic over classes.
//!
//! `decode` is strict: the buffer must hold the structure and nothing else (rename and link
//! accept the padding their SMB2 form defines; lists accept alignment padding). Windows
//! accepts a set-information buffer longer than a fixed-size class; use
//! [`FileInfo::decode_set_input`] for that leniency.

mod basic;
mod ea;
mod name;
mod rename;
mod simple;
mod stream;

pub use basic::{
    FILE_BASIC_INFORMATION_SIZE, FileAttributeTagInformation, FileBasicInformation,
    FileNetworkOpenInformation, FileStandardInformation,
};
pub use ea::{
    EA_ENTRY_FIXED, EaEntry, FILE_NEED_EA, FileFullEaInformation, FileGetEaInformation,
    MAX_EA_SET_SIZE, ea_info_size, ea_set_size, encode_ea_entries_within, validate_ea_name,
};
pub use name::{
    FILE_ALL_INFORMATION_FIXED, FileAllInformation, FileNameInformation,
    FileNormalizedNameInformation,
};
pub use rename::{
    FileLinkInformation, FileRenameInformation, FileRenameInformationEx, RenameFlags,
};
pub use simple::{
    CompressionFormat, DispositionFlags, FileAccessInformation, FileAlignmentInformation,
    FileAllocationInformation, FileCompressionInformation, FileDispositionInformation,
    FileDispositionInformationEx, FileEaInformation, FileEndOfFileInformation, FileIdInformation,
    FileInternalInformation, FileModeInformation, FilePositionInformation,
    FileValidDataLengthInformation,
};
pub use stream::{FileStreamInformation, STREAM_ENTRY_FIXED, STREAM_QUERY_MIN_OUTPUT, StreamEntry};

use lwio_types::FileInfoClass;

use crate::FsccError;

/// A file information class structure with its wire codec.
pub trait FileInfo: Sized {
    /// The class this structure belongs to.
    const CLASS: FileInfoClass;
    /// Bytes before any variable part (the whole size for fixed classes; for lists, the
    /// fixed part of one entry).
    const FIXED_SIZE: usize;
    /// Whether the class has a variable-length part.
    const VARIABLE: bool;
    /// Encodes the structure.
    fn encode(&self) -> Vec<u8>;
    /// Decodes the structure strictly.
    fn decode(input: &[u8]) -> Result<Self, FsccError>;
    /// Decodes a set-information input as Windows does: a fixed-size class reads its first
    /// [`FileInfo::FIXED_SIZE`] bytes and ignores the rest; a shorter buffer is
    /// [`FsccError::Truncated`] (STATUS_INFO_LENGTH_MISMATCH). Variable classes decode
    /// strictly.
    fn decode_set_input(input: &[u8]) -> Result<Self, FsccError> {
        if Self::VARIABLE {
            Self::decode(input)
        } else {
            Self::decode(input.get(..Self::FIXED_SIZE).ok_or(FsccError::Truncated)?)
        }
    }
}
