//! A bounds-checked little-endian reader for the MS-DTYP 2.4 binary structures.
//!
//! Every read checks the remaining length first and reports the structure being read, so
//! no length or offset taken from the wire is used unchecked.

use super::SecurityError;

/// Reads little-endian fields from a byte slice, refusing to read past its end.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; `what` names the structure in errors.
    pub(super) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }

    /// Bytes consumed so far.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Takes the next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], SecurityError> {
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(SecurityError::Truncated {
                what: self.what,
                needed: self.pos + n,
                available: self.buf.len(),
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads one byte.
    pub(super) fn u8(&mut self) -> Result<u8, SecurityError> {
        Ok(self.take(1)?[0])
    }

    /// Reads a little-endian u16.
    pub(super) fn u16(&mut self) -> Result<u16, SecurityError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Reads a little-endian u32.
    pub(super) fn u32(&mut self) -> Result<u32, SecurityError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}
