//! The SMB2 TRANSFORM_HEADER that wraps an encrypted message (MS-SMB2 2.2.41), and the
//! detection of the COMPRESSION_TRANSFORM_HEADER (MS-SMB2 2.2.42).
//!
//! An encrypted transport frame is the 52-byte transform header followed by the
//! ciphertext of one SMB2 message (or a compound chain) of `OriginalMessageSize` bytes.
//! AES-CCM and AES-GCM authenticate bytes 20..52 of the header, from the nonce to the end,
//! as additional data (MS-SMB2 3.1.4.3); [`TransformHeader::aad`] and [`aad_of`] give
//! them. This module does not encrypt: the cipher lives with the keys, in the engines.
//!
//! The transform header is not an SMB2 command, so it does not follow the
//! `decode(msg, body_offset)` convention: it always starts at byte 0 of the frame.

use std::fmt;

use crate::codec::{DecodeError, Reader};

/// The protocol id of a TRANSFORM_HEADER: 0xFD 'S' 'M' 'B'.
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// The protocol id of a COMPRESSION_TRANSFORM_HEADER: 0xFC 'S' 'M' 'B'.
pub const COMPRESSION_PROTOCOL_ID: [u8; 4] = [0xFC, b'S', b'M', b'B'];
/// Bytes of a TRANSFORM_HEADER.
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// Where the authenticated part of the header (the nonce onwards) starts.
pub const AAD_OFFSET: usize = 20;
/// Bytes of the additional authenticated data: header bytes 20..52.
pub const AAD_LEN: usize = TRANSFORM_HEADER_LEN - AAD_OFFSET;

/// The Flags/EncryptionAlgorithm field (MS-SMB2 2.2.41). In SMB 3.1.1 it holds flags
/// (0x0001 = encrypted); in 3.0 and 3.0.2 it names the algorithm (0x0001 = AES-128-CCM).
/// Both spell 0x0001, so one open newtype serves both.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransformFlags(pub u16);

impl TransformFlags {
    /// SMB 3.1.1: the message is encrypted; SMB 3.0/3.0.2: AES-128-CCM.
    pub const ENCRYPTED: TransformFlags = TransformFlags(0x0001);
}

impl fmt::Debug for TransformFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0x0001 => f.write_str("ENCRYPTED"),
            v => write!(f, "TransformFlags({v:#x})"),
        }
    }
}

/// An SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformHeader {
    /// The AEAD tag over the encrypted message and the AAD.
    pub signature: [u8; 16],
    /// The nonce: 11 bytes used with AES-CCM, 12 with AES-GCM, the rest zero.
    pub nonce: [u8; 16],
    /// The size of the plaintext SMB2 message that follows, encrypted.
    pub original_message_size: u32,
    /// Flags (3.1.1) or the encryption algorithm (3.0, 3.0.2).
    pub flags: TransformFlags,
    /// The session whose keys encrypted the message.
    pub session_id: u64,
}

impl TransformHeader {
    /// Decodes the 52-byte header at the start of `frame`. The bytes after it are not
    /// checked; [`TransformHeader::split`] also checks the ciphertext length.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(frame, 0);
        if c.array::<4>()? != TRANSFORM_PROTOCOL_ID {
            return Err(DecodeError::Invalid("transform protocol id"));
        }
        let signature = c.array()?;
        let nonce = c.array()?;
        let original_message_size = c.u32()?;
        c.skip(2)?; // Reserved
        let flags = TransformFlags(c.u16()?);
        let session_id = c.u64()?;
        Ok(TransformHeader {
            signature,
            nonce,
            original_message_size,
            flags,
            session_id,
        })
    }

    /// Decodes the header of a whole encrypted frame and returns it with the ciphertext,
    /// which must be exactly `OriginalMessageSize` bytes (a shorter or longer frame is an
    /// error: trailing bytes are never ignored).
    pub fn split(frame: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let header = TransformHeader::decode(frame)?;
        let body = frame.get(TRANSFORM_HEADER_LEN..).unwrap_or(&[]);
        if body.len() != header.original_message_size as usize {
            return Err(DecodeError::BadBuffer {
                offset: TRANSFORM_HEADER_LEN,
                length: header.original_message_size as usize,
            });
        }
        if body.is_empty() {
            return Err(DecodeError::Invalid("empty encrypted message"));
        }
        Ok((header, body))
    }

    /// Appends the 52-byte header to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&TRANSFORM_PROTOCOL_ID);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&self.aad());
    }

    /// The 52 header bytes.
    pub fn to_bytes(&self) -> [u8; TRANSFORM_HEADER_LEN] {
        let mut out = [0u8; TRANSFORM_HEADER_LEN];
        out[..4].copy_from_slice(&TRANSFORM_PROTOCOL_ID);
        out[4..AAD_OFFSET].copy_from_slice(&self.signature);
        out[AAD_OFFSET..].copy_from_slice(&self.aad());
        out
    }

    /// The additional authenticated data of MS-SMB2 3.1.4.3: header bytes 20..52 (nonce,
    /// original message size, reserved, flags, session id).
    pub fn aad(&self) -> [u8; AAD_LEN] {
        let mut a = [0u8; AAD_LEN];
        a[..16].copy_from_slice(&self.nonce);
        a[16..20].copy_from_slice(&self.original_message_size.to_le_bytes());
        // a[20..22]: Reserved, zero.
        a[22..24].copy_from_slice(&self.flags.0.to_le_bytes());
        a[24..32].copy_from_slice(&self.session_id.to_le_bytes());
        a
    }
}

/// The AAD slice (bytes 20..52) of a frame that starts with a transform header, exactly as
/// received (a receiver must authenticate what was sent, reserved bytes included).
pub fn aad_of(frame: &[u8]) -> Option<&[u8]> {
    if !is_transform(frame) {
        return None;
    }
    frame.get(AAD_OFFSET..TRANSFORM_HEADER_LEN)
}

/// True when `frame` starts with the TRANSFORM_HEADER protocol id (0xFD 'S' 'M' 'B').
pub fn is_transform(frame: &[u8]) -> bool {
    frame.starts_with(&TRANSFORM_PROTOCOL_ID)
}

/// True when `frame` starts with the COMPRESSION_TRANSFORM_HEADER protocol id
/// (0xFC 'S' 'M' 'B', MS-SMB2 2.2.42). This crate does not decompress; a peer that did not
/// negotiate compression gets the message rejected.
pub fn is_compression_transform(frame: &[u8]) -> bool {
    frame.starts_with(&COMPRESSION_PROTOCOL_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TransformHeader {
        TransformHeader {
            signature: [0xAA; 16],
            nonce: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0],
            original_message_size: 4,
            flags: TransformFlags::ENCRYPTED,
            session_id: 0x1122_3344_5566_7788,
        }
    }

    #[test]
    fn round_trip_and_aad() {
        let h = sample();
        let mut frame = Vec::new();
        h.encode(&mut frame);
        assert_eq!(frame.as_slice(), &h.to_bytes()[..]);
        assert_eq!(frame.len(), TRANSFORM_HEADER_LEN);
        frame.extend_from_slice(&[9, 9, 9, 9]);
        let (d, body) = TransformHeader::split(&frame).unwrap();
        assert_eq!(d, h);
        assert_eq!(body, &[9, 9, 9, 9]);
        assert_eq!(aad_of(&frame).unwrap(), &h.aad()[..]);
        assert_eq!(&frame[36..40], &4u32.to_le_bytes());
        assert_eq!(&frame[42..44], &[1, 0]);
        assert!(is_transform(&frame));
        assert!(!is_compression_transform(&frame));
    }

    #[test]
    fn wrong_sizes_rejected() {
        let h = sample();
        let mut frame = h.to_bytes().to_vec();
        frame.extend_from_slice(&[0; 5]);
        assert!(TransformHeader::split(&frame).is_err());
        frame.truncate(TRANSFORM_HEADER_LEN + 3);
        assert!(TransformHeader::split(&frame).is_err());
        for n in 0..TRANSFORM_HEADER_LEN {
            assert!(TransformHeader::decode(&frame[..n]).is_err());
        }
        frame[0] = 0xFE;
        assert!(TransformHeader::decode(&frame).is_err());
        assert_eq!(aad_of(&frame), None);
    }
}
