//! The shared decoding tools of every SMB2 message: the family's checked little-endian
//! reader ([`Reader`], from `lwio-types`) and the offset/length rules of MS-SMB2 buffers.
//!
//! SMB2 places variable parts (names, buffers, contexts) at an offset counted from the
//! start of the SMB2 header, with a length. A command's decoder reads its fixed part with a
//! [`Reader`] made by [`Reader::at`] (positions count from the message start), and
//! [`Smb2Reader::buffer_at`] checks each offset/length pair against the message before
//! anything is read. Nothing here allocates from a length it has not checked against the
//! bytes actually present.

use lwio_types::ReadError;
pub use lwio_types::Reader;
use thiserror::Error;

/// Why a message does not decode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message ends before a field.
    #[error("message truncated at byte {0}")]
    Truncated(usize),
    /// A StructureSize field has the wrong value.
    #[error("structure size {found}, expected {expected}")]
    StructureSize {
        /// What the message says.
        found: u16,
        /// What MS-SMB2 requires.
        expected: u16,
    },
    /// An offset/length pair points outside the message or overlaps the fixed part.
    #[error("buffer at offset {offset} length {length} lies outside the message")]
    BadBuffer {
        /// The offset from the header start.
        offset: usize,
        /// The length.
        length: usize,
    },
    /// A field holds a value MS-SMB2 does not allow.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A name is not valid UTF-16.
    #[error("name is not valid UTF-16")]
    BadName,
}

impl DecodeError {
    /// The status a server answers a request that does not decode with.
    pub fn status(&self) -> lwio_types::NtStatus {
        lwio_types::NtStatus::INVALID_PARAMETER
    }
}

impl From<ReadError> for DecodeError {
    fn from(e: ReadError) -> DecodeError {
        match e {
            ReadError::Truncated { offset, .. } => DecodeError::Truncated(offset),
            ReadError::OutOfBounds { offset, length } => DecodeError::BadBuffer { offset, length },
            ReadError::BadUtf16 => DecodeError::BadName,
            _ => DecodeError::Invalid("trailing bytes"),
        }
    }
}

/// The MS-SMB2 rules on top of the [`Reader`]: the StructureSize check and the
/// offset/length pairs of variable buffers.
pub trait Smb2Reader<'a> {
    /// Reads a StructureSize field and checks it.
    fn structure_size(&mut self, expected: u16) -> Result<(), DecodeError>;

    /// The buffer at `offset` (from the message start) of `length` bytes. An empty buffer
    /// may have any offset (clients send 0 or the end of the fixed part); a non-empty one
    /// must lie after `min_offset` (the end of the fixed part) and inside the message.
    fn buffer_at(
        &self,
        offset: usize,
        length: usize,
        min_offset: usize,
    ) -> Result<&'a [u8], DecodeError>;
}

impl<'a> Smb2Reader<'a> for Reader<'a> {
    fn structure_size(&mut self, expected: u16) -> Result<(), DecodeError> {
        let found = self.u16()?;
        if found != expected {
            return Err(DecodeError::StructureSize { found, expected });
        }
        Ok(())
    }

    fn buffer_at(
        &self,
        offset: usize,
        length: usize,
        min_offset: usize,
    ) -> Result<&'a [u8], DecodeError> {
        Ok(self.payload(offset, length, min_offset)?)
    }
}

/// Decodes UTF-16LE bytes (an even count) into a `String`.
pub fn utf16le(bytes: &[u8]) -> Result<String, DecodeError> {
    Ok(lwio_types::utf16::decode_utf16le(bytes)?)
}

/// Encodes a `str` as UTF-16LE bytes.
pub fn to_utf16le(s: &str) -> Vec<u8> {
    lwio_types::utf16::encode_utf16le(s)
}

/// Rounds `n` up to a multiple of 8 (MS-SMB2 aligns buffers and chained parts to 8).
pub const fn align8(n: usize) -> usize {
    (n + 7) & !7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_checks_every_read() {
        let msg = [1u8, 0, 2, 0, 0, 0, 9];
        let mut c = Reader::at(&msg, 0);
        assert_eq!(c.u16(), Ok(1));
        assert_eq!(c.u32(), Ok(2));
        assert_eq!(
            c.u16().map_err(DecodeError::from),
            Err(DecodeError::Truncated(6))
        );
        assert_eq!(c.structure_size(9), Err(DecodeError::Truncated(6)));
        assert_eq!(c.buffer_at(6, 1, 6), Ok(&[9u8][..]));
        assert!(c.buffer_at(6, 2, 6).is_err());
        assert!(c.buffer_at(2, 1, 6).is_err());
        assert!(c.buffer_at(usize::MAX, 2, 0).is_err());
        assert_eq!(c.buffer_at(0, 0, 64), Ok(&[][..]));
        assert_eq!(utf16le(&to_utf16le("Ä b")).unwrap(), "Ä b");
        assert_eq!(utf16le(&[0]), Err(DecodeError::BadName));
        assert_eq!(align8(9), 16);
    }
}
