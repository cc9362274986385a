//! The shared decoding tools of every SMB2 message: a bounds-checked little-endian cursor
//! and the offset/length rules of MS-SMB2 buffers.
//!
//! SMB2 places variable parts (names, buffers, contexts) at an offset counted from the
//! start of the SMB2 header, with a length. [`Cursor::buffer_at`] checks both against the
//! message before anything is read. Nothing here allocates from a length it has not
//! checked against the bytes actually present.

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
    pub fn status(&self) -> lwio_core::NtStatus {
        lwio_core::NtStatus::INVALID_PARAMETER
    }
}

/// A little-endian reader over one SMB2 message (header included), positioned at the
/// start of a command's fixed part. Offsets in buffers are relative to the message start.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `msg` (the whole SMB2 message, header first) at byte `pos`.
    pub fn new(msg: &'a [u8], pos: usize) -> Self {
        Cursor { msg, pos }
    }

    /// The current position from the message start.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The whole message.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// Takes `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(DecodeError::Truncated(self.pos))?;
        let out = self
            .msg
            .get(self.pos..end)
            .ok_or(DecodeError::Truncated(self.pos))?;
        self.pos = end;
        Ok(out)
    }

    /// Takes a fixed array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// Takes a u8.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// Takes a little-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Takes a little-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Takes a little-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    /// Checks a StructureSize field.
    pub fn structure_size(&mut self, expected: u16) -> Result<(), DecodeError> {
        let found = self.u16()?;
        if found != expected {
            return Err(DecodeError::StructureSize { found, expected });
        }
        Ok(())
    }

    /// The buffer at `offset` (from the message start) of `length` bytes. An empty buffer
    /// may have any offset (clients send 0 or the end of the fixed part); a non-empty one
    /// must lie after `min_offset` (the end of the fixed part) and inside the message.
    pub fn buffer_at(
        &self,
        offset: usize,
        length: usize,
        min_offset: usize,
    ) -> Result<&'a [u8], DecodeError> {
        if length == 0 {
            return Ok(&[]);
        }
        let bad = DecodeError::BadBuffer { offset, length };
        if offset < min_offset {
            return Err(bad);
        }
        let end = offset.checked_add(length).ok_or(bad.clone())?;
        self.msg.get(offset..end).ok_or(bad)
    }
}

/// Decodes UTF-16LE bytes (an even count) into a `String`.
pub fn utf16le(bytes: &[u8]) -> Result<String, DecodeError> {
    if bytes.len() % 2 != 0 {
        return Err(DecodeError::BadName);
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| DecodeError::BadName)
}

/// Encodes a `str` as UTF-16LE bytes.
pub fn to_utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Rounds `n` up to a multiple of 8 (MS-SMB2 aligns buffers and chained parts to 8).
pub const fn align8(n: usize) -> usize {
    (n + 7) & !7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_checks_every_read() {
        let msg = [1u8, 0, 2, 0, 0, 0, 9];
        let mut c = Cursor::new(&msg, 0);
        assert_eq!(c.u16(), Ok(1));
        assert_eq!(c.u32(), Ok(2));
        assert_eq!(c.u16(), Err(DecodeError::Truncated(6)));
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
