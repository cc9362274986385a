//! SMB2 ERROR Response (MS-SMB2 2.2.2), its error contexts (2.2.2.1) and the Symbolic
//! Link Error Response carried in its ErrorData (2.2.2.2.1).
//!
//! The ErrorData of a response whose ErrorContextCount is zero is kept as bytes; its
//! meaning depends on the header's Status (2.2.2.2): [`SymlinkError`] for
//! STATUS_STOPPED_ON_SYMLINK, a 4-byte minimum length for STATUS_BUFFER_TOO_SMALL.

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader, align8, to_utf16le, utf16le};
use crate::header::{HEADER_LEN, check_end, fixed_end, open_enum};

/// StructureSize of an ERROR Response.
const STRUCTURE_SIZE: u16 = 9;

open_enum! {
    /// The ErrorId of an error context (MS-SMB2 2.2.2.1).
    pub struct ErrorId(u32) {
        /// SMB2_ERROR_ID_DEFAULT: the data is formatted as the ErrorData of 2.2.2.2.
        const DEFAULT = 0x0000_0000;
        /// SMB2_ERROR_ID_SHARE_REDIRECT: a Share Redirect Error Response (2.2.2.2.2).
        const SHARE_REDIRECT = 0x7264_5253;
    }
}

/// One SMB2 ERROR Context (MS-SMB2 2.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorContext {
    /// ErrorId.
    pub id: ErrorId,
    /// ErrorContextData.
    pub data: Vec<u8>,
}

/// An SMB2 ERROR Response body (MS-SMB2 2.2.2).
///
/// With `contexts` empty, `data` is the ErrorData (empty encodes as ByteCount 0 and the
/// single zero byte the structure requires). With contexts (3.1.1), `data` is ignored
/// on encode and empty after decode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorResponse {
    /// The error contexts (ErrorContextCount > 0).
    pub contexts: Vec<ErrorContext>,
    /// ErrorData when there are no contexts.
    pub data: Vec<u8>,
}

impl ErrorResponse {
    /// An ERROR response with no data.
    pub fn empty() -> Self {
        Self::default()
    }

    /// An ERROR response carrying `data`.
    pub fn with_data(data: Vec<u8>) -> Self {
        ErrorResponse {
            contexts: Vec::new(),
            data,
        }
    }

    /// The minimum buffer length of a STATUS_BUFFER_TOO_SMALL error (4 bytes of data).
    pub fn required_length(&self) -> Option<u32> {
        let b: [u8; 4] = self.data.as_slice().try_into().ok()?;
        Some(u32::from_le_bytes(b))
    }

    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(STRUCTURE_SIZE)?;
        let count = c.u8()?;
        c.skip(1)?;
        let byte_count = c.u32()? as usize;
        let start = c.position();
        if byte_count == 0 {
            if count != 0 {
                return Err(DecodeError::Invalid("error contexts without data"));
            }
            check_end(msg, fixed_end(msg, STRUCTURE_SIZE))?;
            return Ok(Self::empty());
        }
        let data = c.buffer_at(start, byte_count, start)?;
        check_end(msg, start + byte_count)?;
        if count == 0 {
            return Ok(Self::with_data(data.to_vec()));
        }
        let mut contexts = Vec::new();
        let mut at = 0usize;
        for i in 0..count {
            let mut cc = Reader::at(data, at);
            let len = cc.u32()? as usize;
            let id = ErrorId(cc.u32()?);
            let body = cc.take(len)?;
            contexts.push(ErrorContext {
                id,
                data: body.to_vec(),
            });
            at = cc.position();
            if i + 1 < count {
                at = align8(at);
            }
        }
        if at != data.len() {
            return Err(DecodeError::Invalid("bytes after the error contexts"));
        }
        Ok(ErrorResponse {
            contexts,
            data: Vec::new(),
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(STRUCTURE_SIZE);
        debug_assert!(self.contexts.len() <= 255);
        out.put_u8(self.contexts.len() as u8);
        out.put_u8(0);
        let count_at = out.len();
        out.put_u32_le(0);
        let start = out.len();
        if self.contexts.is_empty() {
            out.put_slice(&self.data);
        } else {
            for (i, ctx) in self.contexts.iter().enumerate() {
                if i > 0 {
                    out.resize(start + align8(out.len() - start), 0);
                }
                out.put_u32_le(ctx.data.len() as u32);
                out.put_u32_le(ctx.id.0);
                out.put_slice(&ctx.data);
            }
        }
        let n = (out.len() - start) as u32;
        out[count_at..count_at + 4].copy_from_slice(&n.to_le_bytes());
        if n == 0 {
            out.put_u8(0);
        }
    }
}

/// SymLinkErrorTag: "SYML".
pub const SYMLINK_ERROR_TAG: u32 = 0x4C4D_5953;

/// IO_REPARSE_TAG_SYMLINK.
pub const IO_REPARSE_TAG_SYMLINK: u32 = 0xA000_000C;

/// The Flags bit saying the substitute name is relative to the link's directory.
pub const SYMLINK_FLAG_RELATIVE: u32 = 0x0000_0001;

/// The fixed part of a Symbolic Link Error Response after SymLinkLength.
const SYMLINK_FIXED: usize = 24;

/// A Symbolic Link Error Response (MS-SMB2 2.2.2.2.1), the ErrorData of a create that
/// stopped on a symbolic link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymlinkError {
    /// UnparsedPathLength: the bytes of the original path not yet parsed.
    pub unparsed_path_length: u16,
    /// The substitute name (the link target).
    pub substitute_name: String,
    /// The print name.
    pub print_name: String,
    /// Flags ([`SYMLINK_FLAG_RELATIVE`]).
    pub flags: u32,
}

impl SymlinkError {
    /// Decodes ErrorData (or an error context's data). Up to 7 bytes of padding may
    /// follow the structure.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(data, 0);
        let total = c.u32()? as usize;
        if c.u32()? != SYMLINK_ERROR_TAG {
            return Err(DecodeError::Invalid("symbolic link error tag"));
        }
        if c.u32()? != IO_REPARSE_TAG_SYMLINK {
            return Err(DecodeError::Invalid("symbolic link reparse tag"));
        }
        let _reparse_len = c.u16()?;
        let unparsed_path_length = c.u16()?;
        let sub_off = usize::from(c.u16()?);
        let sub_len = usize::from(c.u16()?);
        let print_off = usize::from(c.u16()?);
        let print_len = usize::from(c.u16()?);
        let flags = c.u32()?;
        let path_len = total
            .checked_sub(SYMLINK_FIXED)
            .ok_or(DecodeError::Invalid("SymLinkLength"))?;
        let path = c.take(path_len)?;
        if data.len() > align8(c.position()) {
            return Err(DecodeError::Invalid("trailing bytes after symbolic link"));
        }
        let name = |off: usize, len: usize| {
            let bad = DecodeError::BadBuffer {
                offset: off,
                length: len,
            };
            let end = off.checked_add(len).ok_or(bad.clone())?;
            utf16le(path.get(off..end).ok_or(bad)?)
        };
        Ok(SymlinkError {
            unparsed_path_length,
            substitute_name: name(sub_off, sub_len)?,
            print_name: name(print_off, print_len)?,
            flags,
        })
    }

    /// Appends the structure (substitute name first, then print name, in PathBuffer).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let sub = to_utf16le(&self.substitute_name);
        let print = to_utf16le(&self.print_name);
        let path_len = sub.len() + print.len();
        out.put_u32_le((SYMLINK_FIXED + path_len) as u32);
        out.put_u32_le(SYMLINK_ERROR_TAG);
        out.put_u32_le(IO_REPARSE_TAG_SYMLINK);
        out.put_u16_le((12 + path_len) as u16);
        out.put_u16_le(self.unparsed_path_length);
        out.put_u16_le(0);
        out.put_u16_le(sub.len() as u16);
        out.put_u16_le(sub.len() as u16);
        out.put_u16_le(print.len() as u16);
        out.put_u32_le(self.flags);
        out.put_slice(&sub);
        out.put_slice(&print);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: &ErrorResponse) -> Vec<u8> {
        let mut out = vec![0; HEADER_LEN];
        e.encode(&mut out);
        out
    }

    #[test]
    fn empty_error_is_nine_bytes() {
        let out = body(&ErrorResponse::empty());
        assert_eq!(&out[HEADER_LEN..], &[9, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ErrorResponse::decode(&out).unwrap(), ErrorResponse::empty());
        // The odd byte may be missing.
        assert_eq!(
            ErrorResponse::decode(&out[..72]).unwrap(),
            ErrorResponse::empty()
        );
    }

    #[test]
    fn contexts_and_symlink_round_trip() {
        let link = SymlinkError {
            unparsed_path_length: 6,
            substitute_name: "\\??\\C:\\target".into(),
            print_name: "C:\\target".into(),
            flags: 0,
        };
        let mut d = Vec::new();
        link.encode(&mut d);
        assert_eq!(SymlinkError::decode(&d).unwrap(), link);
        let e = ErrorResponse {
            contexts: vec![
                ErrorContext {
                    id: ErrorId::DEFAULT,
                    data: vec![1, 2, 3],
                },
                ErrorContext {
                    id: ErrorId::DEFAULT,
                    data: d.clone(),
                },
            ],
            data: vec![],
        };
        let out = body(&e);
        assert_eq!(ErrorResponse::decode(&out).unwrap(), e);
        for n in 0..out.len() {
            assert!(ErrorResponse::decode(&out[..n]).is_err(), "{n}");
        }
        let raw = ErrorResponse::with_data(vec![0x10, 0, 0, 0]);
        assert_eq!(
            ErrorResponse::decode(&body(&raw))
                .unwrap()
                .required_length(),
            Some(16)
        );
        for n in 0..d.len() {
            assert!(SymlinkError::decode(&d[..n]).is_err());
        }
    }
}
