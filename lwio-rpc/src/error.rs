//! The errors of this crate: [`RpcError`] for PDUs and fragments, [`NdrError`] for stub data.
//! Both map to the NTSTATUS a server reports ([`RpcError::to_status`], [`NdrError::to_status`]).

use lwio_types::{NtStatus, ReadError};
use thiserror::Error;

use crate::pdu::PduType;

/// A PDU, fragment or negotiation error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The buffer ends before the structure does.
    #[error("PDU truncated")]
    Truncated,
    /// `rpc_vers` / `rpc_vers_minor` are not 5.0 or 5.1.
    #[error("unsupported RPC version {0}.{1}")]
    BadVersion(u8, u8),
    /// The data representation is not little-endian, ASCII, IEEE; the server answers a
    /// bind with bind_nak and anything else with a fault.
    #[error("unsupported data representation {0:02x?}")]
    UnsupportedDataRepresentation([u8; 4]),
    /// `frag_length` differs from the buffer length, or is shorter than the header.
    #[error("frag_length {frag_length} does not match the {actual} bytes given")]
    FragLength {
        /// The header's `frag_length`.
        frag_length: u16,
        /// The bytes actually given.
        actual: usize,
    },
    /// `auth_length` (or the auth padding) does not fit inside the fragment body.
    #[error("auth_length {0} does not fit the PDU")]
    BadAuthLength(u16),
    /// A PDU type that is not connection-oriented, or not handled.
    #[error("unsupported PDU type {0:?}")]
    UnsupportedPduType(PduType),
    /// Bytes left after a body that has a fixed layout.
    #[error("{0} trailing bytes after the PDU body")]
    TrailingBytes(usize),
    /// A field holds a value the format forbids.
    #[error("invalid field: {0}")]
    Invalid(&'static str),
    /// A PDU is larger than a 16-bit `frag_length` allows, or a fragment size is too small.
    #[error("PDU or fragment size out of range: {0}")]
    SizeOutOfRange(usize),
    /// A request fragment arrived out of order, for another call, or without FIRST.
    #[error("fragment out of sequence: {0}")]
    FragmentSequence(&'static str),
    /// The reassembled request would exceed the configured bound.
    #[error("reassembled request exceeds {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
}

impl RpcError {
    /// The NTSTATUS a server reports for this error.
    pub fn to_status(&self) -> NtStatus {
        match self {
            RpcError::UnsupportedDataRepresentation(_) => NtStatus::RPC_NT_UNSUPPORTED_TYPE,
            RpcError::TooLarge { .. } => NtStatus::RPC_NT_OUT_OF_RESOURCES,
            _ => NtStatus::RPC_NT_PROTOCOL_ERROR,
        }
    }

    /// The bind_nak reason for a bind or alter_context that failed to decode with this
    /// error (C706 12.6.3.1, MS-RPCE 2.2.2.5).
    pub fn reject_reason(&self) -> crate::pdu::RejectReason {
        use crate::pdu::RejectReason;
        match self {
            RpcError::BadVersion(..) | RpcError::UnsupportedDataRepresentation(_) => {
                RejectReason::PROTOCOL_VERSION_NOT_SUPPORTED
            }
            RpcError::TooLarge { .. } => RejectReason::LOCAL_LIMIT_EXCEEDED,
            _ => RejectReason::NOT_SPECIFIED,
        }
    }
}

/// An NDR stub data error (C706 chapter 14).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NdrError {
    /// The buffer ends before the value does.
    #[error("stub data truncated at offset {at}: {needed} more bytes needed")]
    Truncated {
        /// Offset of the read.
        at: usize,
        /// Bytes it needed.
        needed: usize,
    },
    /// Alignment padding that is not zero (strict readers only).
    #[error("non-zero alignment padding at offset {0}")]
    NonZeroPadding(usize),
    /// A varying array's actual count exceeds its maximum count, or offset + actual does.
    #[error("actual count {actual} (offset {offset}) exceeds maximum count {max}")]
    ActualExceedsMax {
        /// Offset.
        offset: u32,
        /// Actual count.
        actual: u32,
        /// Maximum count.
        max: u32,
    },
    /// A non-zero varying-array offset where this runtime requires zero.
    #[error("varying array offset {0} is not supported")]
    BadOffset(u32),
    /// A count that cannot fit in the bytes left.
    #[error("count {count} cannot fit in the {remaining} bytes left")]
    CountTooLarge {
        /// The count read.
        count: u32,
        /// Bytes left in the buffer.
        remaining: usize,
    },
    /// A count that disagrees with another field that must equal it.
    #[error("count mismatch: {0}")]
    CountMismatch(&'static str),
    /// A `[ref]` pointer that is null.
    #[error("null [ref] pointer")]
    NullRefPointer,
    /// A full pointer's referent id names an object of another type.
    #[error("referent id {0:#x} names an object of another type")]
    BadReferent(u32),
    /// Pointer or structure nesting deeper than the reader allows.
    #[error("nesting deeper than {0}")]
    DepthExceeded(usize),
    /// More array elements in total than the reader allows.
    #[error("more than {0} elements")]
    TooManyElements(usize),
    /// A string without its terminating NUL, or with invalid UTF-16.
    #[error("bad string: {0}")]
    BadString(&'static str),
    /// An enum value with no variant.
    #[error("enum value {0} out of range")]
    EnumOutOfRange(u32),
    /// A union discriminant with no arm.
    #[error("no union arm for discriminant {0}")]
    BadUnionArm(u32),
    /// A field holds a value the type forbids.
    #[error("invalid value: {0}")]
    Invalid(&'static str),
    /// Bytes left after the last parameter.
    #[error("{0} trailing bytes after the stub data")]
    TrailingBytes(usize),
}

impl NdrError {
    /// The NTSTATUS a server reports for this error.
    pub fn to_status(&self) -> NtStatus {
        match self {
            NdrError::NullRefPointer => NtStatus::RPC_NT_NULL_REF_POINTER,
            NdrError::EnumOutOfRange(_) => NtStatus::RPC_NT_ENUM_VALUE_OUT_OF_RANGE,
            NdrError::BadUnionArm(_) => NtStatus::RPC_NT_INVALID_BOUND,
            NdrError::TooManyElements(_) | NdrError::DepthExceeded(_) => {
                NtStatus::RPC_NT_OUT_OF_RESOURCES
            }
            _ => NtStatus::RPC_NT_BAD_STUB_DATA,
        }
    }
}

impl From<ReadError> for RpcError {
    /// A read past the end is [`RpcError::Truncated`], bytes left over
    /// [`RpcError::TrailingBytes`].
    fn from(e: ReadError) -> RpcError {
        match e {
            ReadError::TrailingBytes(n) => RpcError::TrailingBytes(n),
            _ => RpcError::Truncated,
        }
    }
}

impl From<ReadError> for NdrError {
    /// A read past the end is [`NdrError::Truncated`] at the offset of the read, bytes left
    /// over [`NdrError::TrailingBytes`].
    fn from(e: ReadError) -> NdrError {
        match e {
            ReadError::Truncated { offset, wanted, .. } => NdrError::Truncated {
                at: offset,
                needed: wanted,
            },
            ReadError::TrailingBytes(n) => NdrError::TrailingBytes(n),
            ReadError::BadUtf16 => NdrError::BadString("invalid UTF-16"),
            _ => NdrError::Invalid("offset outside the stub"),
        }
    }
}
