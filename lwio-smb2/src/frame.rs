//! Direct TCP transport framing (MS-SMB2 2.1), the kind of a message by its protocol id,
//! and the SMB1 NEGOTIATE request (MS-CIFS 2.2.4.52.1) a client may open with for a
//! multi-protocol negotiate (MS-SMB2 3.3.5.3.1).
//!
//! Each message on a Direct TCP connection (port 445) is preceded by a 4-byte header: a
//! zero byte and the message length as a 24-bit big-endian number. [`FrameSplitter`]
//! takes bytes as they arrive and gives whole messages back, refusing any longer than
//! its maximum before buffering it.

use thiserror::Error;

use crate::codec::{DecodeError, Reader};

/// The largest length the 24-bit field of the transport header can carry.
pub const MAX_FRAME_LEN: usize = 0x00FF_FFFF;

/// The size of the Direct TCP transport header.
pub const FRAME_HEADER_LEN: usize = 4;

/// Why the byte stream cannot be split into messages; the connection should be dropped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The first byte of a transport header is not zero.
    #[error("transport header starts with {0:#x}, not zero")]
    BadHeader(u8),
    /// A message is longer than the configured maximum.
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The announced length.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

/// Appends the transport header for a message of `len` bytes. `len` must not exceed
/// [`MAX_FRAME_LEN`] (a larger value is the caller's bug and is cut to 24 bits).
pub fn encode_frame_header(len: usize, out: &mut Vec<u8>) {
    debug_assert!(len <= MAX_FRAME_LEN);
    let len = (len & MAX_FRAME_LEN) as u32;
    out.extend_from_slice(&len.to_be_bytes());
}

/// Appends `msg` to `out` with its transport header.
pub fn encode_frame(msg: &[u8], out: &mut Vec<u8>) {
    encode_frame_header(msg.len(), out);
    out.extend_from_slice(msg);
}

/// The length of the message a transport header announces, refused when the header does
/// not start with zero or the length exceeds `max`.
pub fn message_len(head: [u8; FRAME_HEADER_LEN], max: usize) -> Result<usize, FrameError> {
    if head[0] != 0 {
        return Err(FrameError::BadHeader(head[0]));
    }
    let len = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(len)
}

/// Reassembles whole messages from a Direct TCP byte stream.
#[derive(Debug, Clone)]
pub struct FrameSplitter {
    buf: Vec<u8>,
    max: usize,
}

impl FrameSplitter {
    /// A splitter that accepts messages of at most `max` bytes (capped at
    /// [`MAX_FRAME_LEN`]).
    pub fn new(max: usize) -> Self {
        FrameSplitter {
            buf: Vec::new(),
            max: max.min(MAX_FRAME_LEN),
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The number of bytes received but not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `Ok(None)` if more bytes are needed. The length is checked
    /// as soon as the transport header is in, before the body is buffered any further.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(&[a, b, c, d]) = self.buf.get(..FRAME_HEADER_LEN) else {
            return Ok(None);
        };
        let len = message_len([a, b, c, d], self.max)?;
        if self.buf.len() < FRAME_HEADER_LEN + len {
            return Ok(None);
        }
        let msg = self.buf[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len].to_vec();
        self.buf.drain(..FRAME_HEADER_LEN + len);
        Ok(Some(msg))
    }
}

/// What a message is, by its first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// SMB1 (0xFF 'S' 'M' 'B').
    Smb1,
    /// SMB2 (0xFE 'S' 'M' 'B').
    Smb2,
    /// An SMB2 TRANSFORM_HEADER, encrypted (0xFD 'S' 'M' 'B', MS-SMB2 2.2.41).
    Transform,
    /// An SMB2 COMPRESSION_TRANSFORM_HEADER (0xFC 'S' 'M' 'B', MS-SMB2 2.2.42).
    Compressed,
    /// Anything else (or fewer than four bytes).
    Unknown,
}

/// Classifies a message by its protocol id.
pub fn classify(msg: &[u8]) -> MessageKind {
    match msg.get(..4) {
        Some([0xFF, b'S', b'M', b'B']) => MessageKind::Smb1,
        Some([0xFE, b'S', b'M', b'B']) => MessageKind::Smb2,
        Some([0xFD, b'S', b'M', b'B']) => MessageKind::Transform,
        Some([0xFC, b'S', b'M', b'B']) => MessageKind::Compressed,
        _ => MessageKind::Unknown,
    }
}

/// The SMB1 command code of SMB_COM_NEGOTIATE.
pub const SMB1_COM_NEGOTIATE: u8 = 0x72;

/// The size of the SMB1 header (MS-CIFS 2.2.3.1).
pub const SMB1_HEADER_LEN: usize = 32;

/// The dialect string naming SMB 2.0.2.
pub const DIALECT_SMB_2_002: &str = "SMB 2.002";

/// The dialect string asking for any SMB2 dialect ("SMB 2.???").
pub const DIALECT_SMB_2_WILDCARD: &str = "SMB 2.???";

/// An SMB1 NEGOTIATE request: only the dialect strings, which is what a multi-protocol
/// negotiate (MS-SMB2 3.3.5.3.1) looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Smb1Negotiate {
    /// The dialect strings in the order sent (least preferred first), as OEM text read
    /// byte by byte (non-ASCII bytes map to U+0080..U+00FF).
    pub dialects: Vec<String>,
}

impl Smb1Negotiate {
    /// Decodes a whole SMB1 message that must be an SMB_COM_NEGOTIATE request.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, 0);
        if c.array::<4>()? != [0xFF, b'S', b'M', b'B'] {
            return Err(DecodeError::Invalid("SMB1 protocol id"));
        }
        if c.u8()? != SMB1_COM_NEGOTIATE {
            return Err(DecodeError::Invalid("SMB1 command"));
        }
        c.skip(SMB1_HEADER_LEN - 5)?;
        if c.u8()? != 0 {
            return Err(DecodeError::Invalid("SMB1 negotiate word count"));
        }
        let count = usize::from(c.u16()?);
        let start = c.position();
        let bytes = c.take(count)?;
        if c.position() != msg.len() {
            return Err(DecodeError::Invalid("trailing bytes after SMB1 negotiate"));
        }
        let mut dialects = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            if rest[0] != 0x02 {
                return Err(DecodeError::Invalid("SMB1 dialect buffer format"));
            }
            let nul = rest[1..]
                .iter()
                .position(|&b| b == 0)
                .ok_or(DecodeError::Truncated(start + count))?;
            dialects.push(rest[1..1 + nul].iter().map(|&b| char::from(b)).collect());
            rest = &rest[2 + nul..];
        }
        Ok(Smb1Negotiate { dialects })
    }

    /// Encodes a whole SMB1 negotiate request (header with zero fields but the command and
    /// the protocol id; each dialect must be ASCII without NUL).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0xFF, b'S', b'M', b'B', SMB1_COM_NEGOTIATE]);
        out.extend_from_slice(&[0; SMB1_HEADER_LEN - 5]);
        out.push(0);
        let len: usize = self.dialects.iter().map(|d| d.len() + 2).sum();
        debug_assert!(len <= usize::from(u16::MAX));
        out.extend_from_slice(&(len as u16).to_le_bytes());
        for d in &self.dialects {
            out.push(0x02);
            out.extend(d.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
            out.push(0);
        }
    }

    /// True when the client offers SMB 2.0.2.
    pub fn offers_smb2_002(&self) -> bool {
        self.dialects.iter().any(|d| d == DIALECT_SMB_2_002)
    }

    /// True when the client offers "SMB 2.???" (any SMB2 dialect; the server answers
    /// with the 0x02FF wildcard revision).
    pub fn offers_smb2_wildcard(&self) -> bool {
        self.dialects.iter().any(|d| d == DIALECT_SMB_2_WILDCARD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_frames_across_pushes() {
        let mut wire = Vec::new();
        encode_frame(b"\xFESMBabc", &mut wire);
        encode_frame(b"", &mut wire);
        encode_frame(&[7; 300], &mut wire);
        let mut s = FrameSplitter::new(1000);
        let mut got = Vec::new();
        for b in &wire {
            s.push(std::slice::from_ref(b));
            while let Some(m) = s.next_frame().unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, vec![b"\xFESMBabc".to_vec(), vec![], vec![7; 300]]);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn rejects_large_and_bad_headers() {
        let mut s = FrameSplitter::new(100);
        s.push(&[0, 0, 0, 101]);
        assert_eq!(
            s.next_frame(),
            Err(FrameError::TooLarge { len: 101, max: 100 })
        );
        let mut s = FrameSplitter::new(100);
        s.push(&[0x85, 0, 0, 0]);
        assert_eq!(s.next_frame(), Err(FrameError::BadHeader(0x85)));
    }

    #[test]
    fn classifies() {
        assert_eq!(classify(b"\xFFSMBx"), MessageKind::Smb1);
        assert_eq!(classify(b"\xFESMB"), MessageKind::Smb2);
        assert_eq!(classify(b"\xFDSMB"), MessageKind::Transform);
        assert_eq!(classify(b"\xFCSMB"), MessageKind::Compressed);
        assert_eq!(classify(b"\xFESM"), MessageKind::Unknown);
    }

    #[test]
    fn smb1_negotiate() {
        let n = Smb1Negotiate {
            dialects: vec!["NT LM 0.12".into(), "SMB 2.002".into(), "SMB 2.???".into()],
        };
        let mut out = Vec::new();
        n.encode(&mut out);
        let back = Smb1Negotiate::decode(&out).unwrap();
        assert_eq!(back, n);
        assert!(back.offers_smb2_002() && back.offers_smb2_wildcard());
        for i in 0..out.len() {
            assert!(Smb1Negotiate::decode(&out[..i]).is_err());
        }
        let mut long = out.clone();
        long.push(0);
        assert!(Smb1Negotiate::decode(&long).is_err());
    }
}
