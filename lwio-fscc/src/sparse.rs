//! The buffers of the sparse-file FSCTLs (MS-FSCC 2.3): FILE_SET_SPARSE_BUFFER,
//! FILE_ZERO_DATA_INFORMATION and FILE_ALLOCATED_RANGE_BUFFER.
//!
//! A *sparse* file may have ranges with no storage behind them (holes): they read as zeros.
//! FSCTL_SET_SPARSE marks a file sparse (or not), FSCTL_SET_ZERO_DATA zeros a range (a
//! sparse file may deallocate it) and FSCTL_QUERY_ALLOCATED_RANGES lists the ranges that do
//! have storage. Their buffers:
//!
//! | structure | bytes | fields |
//! |---|---|---|
//! | FILE_SET_SPARSE_BUFFER | 1 (optional) | SetSparse (BOOLEAN; no buffer means TRUE) |
//! | FILE_ZERO_DATA_INFORMATION | 16 | FileOffset i64, BeyondFinalZero i64 |
//! | FILE_ALLOCATED_RANGE_BUFFER | 16 | FileOffset i64, Length i64 |
//!
//! All offsets are signed 64-bit numbers: a negative one, a range whose end overflows
//! 2^63 - 1, or a zero range whose start lies beyond its end is [`FsccError::InvalidValue`]
//! (STATUS_INVALID_PARAMETER in MS-FSA). A buffer shorter than its structure is
//! [`FsccError::Truncated`]; trailing bytes are ignored, as Windows ignores them.

use crate::FsccError;
use crate::codec::{Reader, run_prefix};

/// Bytes of a FILE_ZERO_DATA_INFORMATION or a FILE_ALLOCATED_RANGE_BUFFER.
pub const RANGE_LEN: usize = 16;

/// The SetSparse of an FSCTL_SET_SPARSE input: TRUE when the caller gave no buffer
/// (MS-FSCC 2.3.64), else whether its first byte is nonzero.
pub fn decode_set_sparse(input: &[u8]) -> bool {
    input.first().is_none_or(|b| *b != 0)
}

/// A byte range `[offset, offset + length)` of a file, both values within 0..=i64::MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocatedRange {
    /// FileOffset: where the range starts.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
}

impl AllocatedRange {
    /// The end of the range (offset + length; never overflows for a decoded range).
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.length)
    }

    /// Parses a FILE_ALLOCATED_RANGE_BUFFER (the FSCTL_QUERY_ALLOCATED_RANGES input):
    /// negative values and an end past 2^63 - 1 are refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, FsccError> {
        let (offset, length) = two_i64(bytes)?;
        if offset < 0 || length < 0 || offset.checked_add(length).is_none() {
            return Err(FsccError::InvalidValue("FILE_ALLOCATED_RANGE_BUFFER"));
        }
        Ok(AllocatedRange {
            offset: offset as u64,
            length: length as u64,
        })
    }

    /// Appends the 16 bytes of this range.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.length.to_le_bytes());
    }
}

/// FILE_ZERO_DATA_INFORMATION: the range `[offset, beyond_final_zero)` to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroData {
    /// FileOffset: the first byte to zero.
    pub offset: u64,
    /// BeyondFinalZero: the first byte after the range.
    pub beyond_final_zero: u64,
}

impl ZeroData {
    /// Parses the FSCTL_SET_ZERO_DATA input: negative values, or a start beyond the end,
    /// are refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, FsccError> {
        let (offset, beyond) = two_i64(bytes)?;
        if offset < 0 || beyond < 0 || offset > beyond {
            return Err(FsccError::InvalidValue("FILE_ZERO_DATA_INFORMATION"));
        }
        Ok(ZeroData {
            offset: offset as u64,
            beyond_final_zero: beyond as u64,
        })
    }

    /// The 16 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RANGE_LEN);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.beyond_final_zero.to_le_bytes());
        out
    }
}

/// Parses a list of FILE_ALLOCATED_RANGE_BUFFERs (an FSCTL_QUERY_ALLOCATED_RANGES output):
/// its length must be a multiple of 16.
pub fn decode_ranges(bytes: &[u8]) -> Result<Vec<AllocatedRange>, FsccError> {
    if bytes.len() % RANGE_LEN != 0 {
        return Err(FsccError::BadLength("FILE_ALLOCATED_RANGE_BUFFER list"));
    }
    bytes
        .chunks_exact(RANGE_LEN)
        .map(AllocatedRange::decode)
        .collect()
}

fn two_i64(bytes: &[u8]) -> Result<(i64, i64), FsccError> {
    run_prefix(bytes, |r: &mut Reader<'_>| Ok((r.i64()?, r.i64()?))).map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(a: i64, b: i64) -> Vec<u8> {
        let mut v = a.to_le_bytes().to_vec();
        v.extend_from_slice(&b.to_le_bytes());
        v
    }

    #[test]
    fn set_sparse_defaults_to_true() {
        assert!(decode_set_sparse(&[]));
        assert!(decode_set_sparse(&[1]));
        assert!(!decode_set_sparse(&[0]));
    }

    #[test]
    fn ranges_round_trip_and_refuse_bad_values() {
        let r = AllocatedRange {
            offset: 4096,
            length: 10,
        };
        let mut out = Vec::new();
        r.encode_into(&mut out);
        assert_eq!(out, raw(4096, 10));
        assert_eq!(decode_ranges(&out).unwrap(), vec![r]);
        assert!(decode_ranges(&out[..15]).is_err());
        assert!(AllocatedRange::decode(&raw(-1, 0)).is_err());
        assert!(AllocatedRange::decode(&raw(0, -1)).is_err());
        assert!(AllocatedRange::decode(&raw(i64::MAX, 1)).is_err());
        assert!(AllocatedRange::decode(&[0; 15]).is_err());
    }

    #[test]
    fn zero_data_refuses_reversed_and_negative() {
        let z = ZeroData::decode(&raw(10, 20)).unwrap();
        assert_eq!((z.offset, z.beyond_final_zero), (10, 20));
        assert_eq!(z.encode(), raw(10, 20));
        assert!(ZeroData::decode(&raw(20, 10)).is_err());
        assert!(ZeroData::decode(&raw(-5, 10)).is_err());
        assert!(ZeroData::decode(&raw(0, -1)).is_err());
        assert!(ZeroData::decode(&raw(0, 0)).is_ok());
        assert!(ZeroData::decode(&[0; 8]).is_err());
    }
}
