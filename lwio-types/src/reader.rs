//! [`Reader`]: the one little-endian cursor every lwio decoder reads untrusted bytes with,
//! and [`ReadError`], its one error convention.
//!
//! Every wire format of the family (MS-SMB2 messages, MS-FSCC information buffers,
//! MS-DTYP security descriptors, NTLMSSP, DCE/RPC PDUs and NDR stubs, the pipe buffers) is
//! little-endian fields at known places, lengths and offsets that the peer chooses, and
//! sometimes a rule that the structure fills its buffer exactly. The reader makes the safe
//! way the short way:
//!
//! - every read checks the bytes left first and fails with [`ReadError::Truncated`] rather
//!   than panicking or wrapping, whatever the length (`usize::MAX` included);
//! - an offset/length pair taken off the wire is resolved with [`Reader::slice`], which
//!   fails with [`ReadError::OutOfBounds`] when any byte of it lies outside the input;
//! - [`Reader::expect_end`] (or [`read_all`]) turns bytes left after the last field into
//!   [`ReadError::TrailingBytes`], for the structures that must fill their buffer;
//! - nothing allocates: a read borrows from the input, so a hostile count costs nothing
//!   until the caller has checked it against [`Reader::remaining`].
//!
//! Each crate keeps its own error type at its edge (`FsccError`, `DecodeError`,
//! `RpcError`, ...) and converts from [`ReadError`] once, in a `From` impl, so `?` works
//! and the status a peer sees stays what that crate's specification says.
//! [`ReadError::status`] is the default for buffers whose specification says nothing
//! finer.

use std::fmt;

use crate::status::NtStatus;

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadError {
    /// The input ends before a field: `wanted` bytes were asked at `offset` of an input of
    /// `len` bytes.
    Truncated {
        /// Where the read started, from the start of the input.
        offset: usize,
        /// How many bytes it asked for.
        wanted: usize,
        /// The length of the whole input.
        len: usize,
    },
    /// Bytes are left after the last field of a structure that must fill its buffer.
    TrailingBytes(usize),
    /// An offset/length pair taken from the wire points outside the input.
    OutOfBounds {
        /// The offset, from the start of the input.
        offset: usize,
        /// The length.
        length: usize,
    },
    /// UTF-16LE text with an odd number of bytes or an unpaired surrogate.
    BadUtf16,
}

impl ReadError {
    /// The NTSTATUS a malformed request buffer gets when its specification names nothing
    /// finer: STATUS_INVALID_PARAMETER, and STATUS_OBJECT_NAME_INVALID for a name that is not
    /// UTF-16 (MS-FSCC 2.1.5). Codecs whose specification differs (an information class
    /// shorter than its structure is STATUS_INFO_LENGTH_MISMATCH, MS-FSA 2.1.5.14) map
    /// the error themselves.
    #[inline]
    pub const fn status(self) -> NtStatus {
        match self {
            ReadError::BadUtf16 => NtStatus::OBJECT_NAME_INVALID,
            _ => NtStatus::INVALID_PARAMETER,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Truncated {
                offset,
                wanted,
                len,
            } => write!(
                f,
                "truncated: {wanted} bytes wanted at offset {offset} of {len}"
            ),
            ReadError::TrailingBytes(n) => write!(f, "{n} trailing bytes after the structure"),
            ReadError::OutOfBounds { offset, length } => write!(
                f,
                "buffer at offset {offset} length {length} lies outside the input"
            ),
            ReadError::BadUtf16 => f.write_str("text is not valid UTF-16LE"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for NtStatus {
    #[inline]
    fn from(e: ReadError) -> NtStatus {
        e.status()
    }
}

/// A cursor over untrusted little-endian bytes. See the module documentation for the
/// rules it enforces.
///
/// ```
/// use lwio_types::{ReadError, Reader};
///
/// let mut r = Reader::new(&[0x34, 0x12, 2, 0, 0, 0, b'h', b'i', 9]);
/// assert_eq!(r.u16(), Ok(0x1234));
/// let n = r.u32()? as usize;
/// assert_eq!(r.take(n), Ok(&b"hi"[..]));
/// assert_eq!(r.expect_end(), Err(ReadError::TrailingBytes(1)));
/// assert!(matches!(r.u64(), Err(ReadError::Truncated { offset: 8, wanted: 8, len: 9 })));
/// # Ok::<(), ReadError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[inline]
    pub const fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// A reader over the whole of `buf`, positioned at `pos`: positions and
    /// [`Reader::slice`] offsets count from the start of `buf` (an SMB2 command's fields
    /// follow its header, and its offsets count from the header). A `pos` past the end
    /// leaves nothing to read.
    #[inline]
    pub const fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }

    /// The current position, from the start of the input.
    #[inline]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet read.
    #[inline]
    pub const fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte has been read.
    #[inline]
    pub const fn at_end(&self) -> bool {
        self.remaining() == 0
    }

    /// The whole input, read or not.
    #[inline]
    pub const fn input(&self) -> &'a [u8] {
        self.buf
    }

    /// The bytes not yet read, without taking them.
    #[inline]
    pub fn peek_rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    fn truncated(&self, wanted: usize) -> ReadError {
        ReadError::Truncated {
            offset: self.pos,
            wanted,
            len: self.buf.len(),
        }
    }

    /// Takes the next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        let out = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or_else(|| self.truncated(n))?;
        self.pos += n;
        Ok(out)
    }

    /// Takes every byte not yet read.
    #[inline]
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.peek_rest();
        self.pos = self.pos.max(self.buf.len());
        out
    }

    /// Skips `n` bytes (reserved fields, padding the format ignores).
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), ReadError> {
        self.take(n).map(|_| ())
    }

    /// Takes the next `n` bytes as a reader of their own, whose positions count from its
    /// first byte: a structure whose length was given ahead.
    #[inline]
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, ReadError> {
        self.take(n).map(Reader::new)
    }

    /// Takes `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads a byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, ReadError> {
        let [b] = self.array()?;
        Ok(b)
    }

    /// Reads a little-endian `u16`.
    #[inline]
    pub fn u16(&mut self) -> Result<u16, ReadError> {
        self.array().map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    #[inline]
    pub fn u32(&mut self) -> Result<u32, ReadError> {
        self.array().map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, ReadError> {
        self.array().map(u64::from_le_bytes)
    }

    /// Reads a little-endian `i32`.
    #[inline]
    pub fn i32(&mut self) -> Result<i32, ReadError> {
        self.array().map(i32::from_le_bytes)
    }

    /// Reads a little-endian `i64`.
    #[inline]
    pub fn i64(&mut self) -> Result<i64, ReadError> {
        self.array().map(i64::from_le_bytes)
    }

    /// Takes `n` bytes of UTF-16LE text and decodes them ([`ReadError::BadUtf16`] for an
    /// odd `n` or an unpaired surrogate).
    #[inline]
    pub fn utf16le(&mut self, n: usize) -> Result<String, ReadError> {
        crate::utf16::decode_utf16le(self.take(n)?)
    }

    /// Fails with [`ReadError::TrailingBytes`] unless every byte has been read.
    #[inline]
    pub fn expect_end(&self) -> Result<(), ReadError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(ReadError::TrailingBytes(n)),
        }
    }

    /// The `length` bytes at `offset` from the start of the input, an offset/length pair
    /// read off the wire: every byte must lie inside the input, else
    /// [`ReadError::OutOfBounds`]. The position does not move.
    #[inline]
    pub fn slice(&self, offset: usize, length: usize) -> Result<&'a [u8], ReadError> {
        offset
            .checked_add(length)
            .and_then(|end| self.buf.get(offset..end))
            .ok_or(ReadError::OutOfBounds { offset, length })
    }

    /// The payload an (offset, length) field of a message's fixed part names, by the rule
    /// MS-SMB2 and MS-NLMP share: an empty payload may give any offset (peers send 0 or the
    /// end of the fixed part) and is empty; a non-empty one must start at or after
    /// `header_len` (not inside the fixed part) and end inside the input, else
    /// [`ReadError::OutOfBounds`].
    #[inline]
    pub fn payload(
        &self,
        offset: usize,
        length: usize,
        header_len: usize,
    ) -> Result<&'a [u8], ReadError> {
        if length == 0 {
            return Ok(&[]);
        }
        if offset < header_len {
            return Err(ReadError::OutOfBounds { offset, length });
        }
        self.slice(offset, length)
    }
}

/// Runs `parse` over the whole of `buf`: bytes it leaves are
/// [`ReadError::TrailingBytes`], converted into the caller's error.
pub fn read_all<'a, T, E: From<ReadError>>(
    buf: &'a [u8],
    parse: impl FnOnce(&mut Reader<'a>) -> Result<T, E>,
) -> Result<T, E> {
    let mut r = Reader::new(buf);
    let value = parse(&mut r)?;
    r.expect_end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_read_is_checked() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(r.u16(), Ok(1));
        assert_eq!(r.u32(), Ok(2));
        assert_eq!(
            r.u16(),
            Err(ReadError::Truncated {
                offset: 6,
                wanted: 2,
                len: 7
            })
        );
        // A failed read moves nothing.
        assert_eq!(r.position(), 6);
        assert_eq!(r.u8(), Ok(9));
        assert!(r.at_end());
        assert_eq!(r.take(0), Ok(&[][..]));
        assert!(r.take(usize::MAX).is_err());
    }

    #[test]
    fn at_counts_from_the_input_start() {
        let msg = [0u8, 1, 2, 3, 4, 5];
        let mut r = Reader::at(&msg, 4);
        assert_eq!(r.position(), 4);
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.slice(1, 2), Ok(&[1u8, 2][..]));
        assert_eq!(r.u16(), Ok(0x0504));
        let mut past = Reader::at(&msg, 9);
        assert_eq!(past.remaining(), 0);
        assert!(matches!(
            past.take(0),
            Err(ReadError::Truncated { offset: 9, .. })
        ));
        assert_eq!(past.rest(), &[] as &[u8]);
    }

    #[test]
    fn slices_must_lie_inside() {
        let r = Reader::new(&[0; 8]);
        assert!(r.slice(8, 0).is_ok());
        assert_eq!(
            r.slice(7, 2),
            Err(ReadError::OutOfBounds {
                offset: 7,
                length: 2
            })
        );
        assert!(r.slice(usize::MAX, 2).is_err());
        assert!(r.slice(9, 0).is_err());
    }

    #[test]
    fn payloads_ignore_empty_offsets_and_stay_out_of_the_header() {
        let r = Reader::new(&[0; 16]);
        assert_eq!(r.payload(usize::MAX, 0, 8), Ok(&[][..]));
        assert_eq!(r.payload(8, 8, 8), Ok(&[0u8; 8][..]));
        assert!(r.payload(4, 2, 8).is_err());
        assert!(r.payload(12, 8, 8).is_err());
    }

    #[test]
    fn sub_readers_and_trailing_bytes() {
        let mut r = Reader::new(&[3, 0, 7, 7, 7, 1]);
        let n = usize::from(r.u16().unwrap());
        let mut inner = r.sub(n).unwrap();
        assert_eq!(inner.position(), 0);
        assert_eq!(inner.take(3), Ok(&[7u8, 7, 7][..]));
        assert_eq!(inner.expect_end(), Ok(()));
        assert_eq!(r.expect_end(), Err(ReadError::TrailingBytes(1)));
        assert_eq!(r.rest(), &[1u8][..]);
        assert_eq!(r.expect_end(), Ok(()));
    }

    #[test]
    fn read_all_rejects_what_is_left() {
        let two = |r: &mut Reader<'_>| r.u16();
        assert_eq!(read_all(&[1, 0], two), Ok(1));
        assert_eq!(read_all(&[1, 0, 0], two), Err(ReadError::TrailingBytes(1)));
        assert!(matches!(
            read_all(&[1], two),
            Err(ReadError::Truncated { .. })
        ));
        let status: Result<u16, NtStatus> = read_all(&[1], |r| Ok(r.u16()?));
        assert_eq!(status, Err(NtStatus::INVALID_PARAMETER));
    }

    #[test]
    fn signed_and_text() {
        let mut r = Reader::new(&[0xfe, 0xff, 0xff, 0xff, b'a', 0, 0x3d, 0xd8]);
        assert_eq!(r.i32(), Ok(-2));
        assert_eq!(r.clone().utf16le(2).as_deref(), Ok("a"));
        // An unpaired high surrogate.
        assert_eq!(r.utf16le(4), Err(ReadError::BadUtf16));
        assert_eq!(ReadError::BadUtf16.status(), NtStatus::OBJECT_NAME_INVALID);
    }
}
