//! The crate's decode error and its NTSTATUS mapping (MS-FSA 2.1.5.14: a set-information
//! buffer shorter than its class fails with STATUS_INFO_LENGTH_MISMATCH; a malformed field
//! with STATUS_INVALID_PARAMETER; a malformed EA list with STATUS_EA_LIST_INCONSISTENT, an
//! EA name or flag that breaks MS-FSCC 2.4.15 with STATUS_INVALID_EA_NAME).

use lwio_types::{NtStatus, ReadError};

/// Why a buffer did not decode as an MS-FSCC structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FsccError {
    /// The buffer ends before the structure does.
    #[error("buffer truncated")]
    Truncated,
    /// Bytes follow the structure that its class does not allow.
    #[error("{0} trailing bytes after the structure")]
    TrailingBytes(usize),
    /// A length or offset field points outside the buffer, overlaps, is misaligned, or is odd
    /// where UTF-16 is expected.
    #[error("bad length or offset in field {0}")]
    BadLength(&'static str),
    /// A field holds a value its class forbids.
    #[error("invalid value in field {0}")]
    InvalidValue(&'static str),
    /// A name is not valid UTF-16, or breaks the MS-FSCC 2.1.5 name rules.
    #[error("invalid name")]
    BadName,
    /// An EA list is malformed (MS-FSCC 2.4.15: entry lengths, alignment, terminator).
    #[error("inconsistent EA list")]
    EaListInconsistent,
    /// An EA name holds a forbidden character, or its flags are not a valid set.
    #[error("invalid EA name or flags")]
    InvalidEaName,
}

impl FsccError {
    /// The NTSTATUS a driver or server answers with when a peer's buffer fails this way.
    pub fn to_status(&self) -> NtStatus {
        match self {
            FsccError::Truncated => NtStatus::INFO_LENGTH_MISMATCH,
            FsccError::TrailingBytes(_) | FsccError::BadLength(_) | FsccError::InvalidValue(_) => {
                NtStatus::INVALID_PARAMETER
            }
            FsccError::BadName => NtStatus::OBJECT_NAME_INVALID,
            FsccError::EaListInconsistent => NtStatus::EA_LIST_INCONSISTENT,
            FsccError::InvalidEaName => NtStatus::INVALID_EA_NAME,
        }
    }
}

impl From<FsccError> for NtStatus {
    fn from(e: FsccError) -> NtStatus {
        e.to_status()
    }
}

impl From<ReadError> for FsccError {
    /// A read past the end is [`FsccError::Truncated`], bytes left over
    /// [`FsccError::TrailingBytes`], a name that is not UTF-16 [`FsccError::BadName`].
    fn from(e: ReadError) -> FsccError {
        match e {
            ReadError::TrailingBytes(n) => FsccError::TrailingBytes(n),
            ReadError::BadUtf16 => FsccError::BadName,
            ReadError::OutOfBounds { .. } => FsccError::BadLength("offset"),
            _ => FsccError::Truncated,
        }
    }
}
