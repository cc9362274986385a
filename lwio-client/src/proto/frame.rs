//! Frames: the length prefix, the shared field encodings, and the decode error.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use lwio_types::{NtStatus, ReadError, Reader};
use thiserror::Error;

use super::{MAX_DATA, MAX_FRAME, MAX_PATH};

/// Why bytes from the peer are not a frame. Any of these ends the connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// The length prefix is zero or above [`MAX_FRAME`].
    #[error("frame length {0} out of range")]
    FrameLength(u32),
    /// A field is missing, or bytes are left after the last one.
    #[error("malformed frame: {0}")]
    Malformed(ReadError),
    /// The opcode is not one this version knows, or not one this side may send.
    #[error("unknown opcode {0:#04x}")]
    Opcode(u8),
    /// A buffer or a name is longer than its bound.
    #[error("{what} of {len} bytes exceeds {max}")]
    TooLong {
        /// Which field.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A name is not UTF-8, an optional tag is neither 0 nor 1, or the hello's magic is
    /// wrong.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

impl ProtoError {
    /// The status the daemon reports in its [`super::ServerFrame::Error`] before closing.
    pub fn status(&self) -> NtStatus {
        match self {
            ProtoError::Invalid("name") => NtStatus::OBJECT_NAME_INVALID,
            _ => NtStatus::INVALID_PARAMETER,
        }
    }
}

impl From<ReadError> for ProtoError {
    fn from(e: ReadError) -> Self {
        ProtoError::Malformed(e)
    }
}

/// The body length a 4-byte prefix announces, checked against [`MAX_FRAME`].
pub fn frame_length(prefix: [u8; 4]) -> Result<usize, ProtoError> {
    let len = u32::from_le_bytes(prefix);
    if len == 0 || len > MAX_FRAME {
        return Err(ProtoError::FrameLength(len));
    }
    Ok(len as usize)
}

/// Splits a byte stream into frame bodies, for shells that read into a buffer (and for
/// the fuzz target). It never holds more than one frame beyond what it was given.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: BytesMut,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        FrameDecoder::default()
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame body, `Ok(None)` until one has arrived; an error when the
    /// length prefix is out of range.
    pub fn next_body(&mut self) -> Result<Option<Bytes>, ProtoError> {
        let Some(prefix) = self.buf.get(..4) else {
            return Ok(None);
        };
        let mut p = [0u8; 4];
        p.copy_from_slice(prefix);
        let len = frame_length(p)?;
        if self.buf.len() - 4 < len {
            return Ok(None);
        }
        self.buf.advance(4);
        Ok(Some(self.buf.split_to(len).freeze()))
    }
}

/// Writes a frame: reserves the prefix, lets `body` write, then fills the prefix in.
pub(super) fn write_frame(out: &mut BytesMut, body: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_u32_le(0);
    body(out);
    let len = u32::try_from(out.len() - start - 4).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// A decoding cursor over one frame body, which hands out buffers as slices of it.
pub(super) struct Body<'a> {
    body: &'a Bytes,
    r: Reader<'a>,
}

impl<'a> Body<'a> {
    pub(super) fn new(body: &'a Bytes) -> Self {
        Body {
            body,
            r: Reader::new(body),
        }
    }

    pub(super) fn u8(&mut self) -> Result<u8, ProtoError> {
        Ok(self.r.u8()?)
    }

    pub(super) fn u16(&mut self) -> Result<u16, ProtoError> {
        Ok(self.r.u16()?)
    }

    pub(super) fn u32(&mut self) -> Result<u32, ProtoError> {
        Ok(self.r.u32()?)
    }

    pub(super) fn u64(&mut self) -> Result<u64, ProtoError> {
        Ok(self.r.u64()?)
    }

    pub(super) fn bool(&mut self) -> Result<bool, ProtoError> {
        match self.r.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(ProtoError::Invalid("flag")),
        }
    }

    /// A length-prefixed buffer of at most `max` bytes; the length is checked against the
    /// bound and the bytes left before anything is taken.
    pub(super) fn bytes(&mut self, what: &'static str, max: u32) -> Result<Bytes, ProtoError> {
        let len = self.r.u32()?;
        if len > max {
            return Err(ProtoError::TooLong {
                what,
                len: len as usize,
                max: max as usize,
            });
        }
        let slice = self.r.take(len as usize)?;
        Ok(self.body.slice_ref(slice))
    }

    /// A data buffer (at most [`MAX_DATA`]).
    pub(super) fn data(&mut self, what: &'static str) -> Result<Bytes, ProtoError> {
        self.bytes(what, MAX_DATA)
    }

    pub(super) fn opt_data(&mut self, what: &'static str) -> Result<Option<Bytes>, ProtoError> {
        Ok(if self.bool()? {
            Some(self.data(what)?)
        } else {
            None
        })
    }

    /// A UTF-8 name of at most `max` bytes.
    pub(super) fn string(&mut self, max: u32) -> Result<String, ProtoError> {
        let raw = self.bytes("name", max)?;
        String::from_utf8(raw.to_vec()).map_err(|_| ProtoError::Invalid("name"))
    }

    pub(super) fn path(&mut self) -> Result<String, ProtoError> {
        self.string(MAX_PATH)
    }

    pub(super) fn opt_string(&mut self) -> Result<Option<String>, ProtoError> {
        Ok(if self.bool()? {
            Some(self.string(MAX_PATH)?)
        } else {
            None
        })
    }

    /// Fails when bytes are left.
    pub(super) fn end(self) -> Result<(), ProtoError> {
        Ok(self.r.expect_end()?)
    }
}

pub(super) fn put_bytes(out: &mut BytesMut, b: &[u8]) {
    out.put_u32_le(u32::try_from(b.len()).unwrap_or(u32::MAX));
    out.put_slice(b);
}

pub(super) fn put_opt_bytes(out: &mut BytesMut, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            out.put_u8(1);
            put_bytes(out, b);
        }
        None => out.put_u8(0),
    }
}

pub(super) fn put_bool(out: &mut BytesMut, v: bool) {
    out.put_u8(u8::from(v));
}
