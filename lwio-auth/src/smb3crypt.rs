//! SMB 3.x message encryption (MS-SMB2 3.1.4.3) under the SMB2 TRANSFORM_HEADER
//! (MS-SMB2 2.2.41).
//!
//! ```text
//!  0  ProtocolId  0xFD 'S' 'M' 'B'
//!  4  Signature   16 bytes: the AEAD tag
//! 20  Nonce       16 bytes: 11 used by CCM, 12 by GCM, the rest zero
//! 36  OriginalMessageSize (u32)
//! 40  Reserved (u16)
//! 42  Flags / EncryptionAlgorithm (u16): 0x0001 = encrypted
//! 44  SessionId (u64)
//! ```
//!
//! The additional authenticated data is bytes 20..52 of the header; the tag is written
//! into the Signature field. Nonces must never repeat under one key: the caller draws
//! them (see [`random_nonce`]) or counts them.

use aes::{Aes128, Aes256};
// AES-GCM is ring's (assembly with AES-NI/VAES and PCLMULQDQ/VPCLMULQDQ, about 4x
// RustCrypto's aes-gcm on this project's machines: lwio-auth/benches/sign_seal.rs); CCM
// stays on the ccm crate (RustCrypto, aead 0.5 traits), which ring does not offer.
use ccm::Ccm;
use ccm::aead::{AeadInPlace as _, KeyInit as _};
use ccm::consts::{U11, U16};

use lwio_types::{ReadError, Reader};

/// The ProtocolId of a transform header.
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// Length of a transform header.
pub const TRANSFORM_HEADER_LEN: usize = 52;
/// The Flags value meaning "encrypted" (dialect 3.1.1) / EncryptionAlgorithm AES-128-CCM
/// (dialects 3.0.x): both are 0x0001.
pub const TRANSFORM_FLAG_ENCRYPTED: u16 = 0x0001;

type Aes128Ccm = Ccm<Aes128, U16, U11>;
type Aes256Ccm = Ccm<Aes256, U16, U11>;

/// Why a message could not be encrypted or decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptError {
    /// The input is shorter than a transform header.
    #[error("transform message truncated")]
    Truncated,
    /// The ProtocolId is not 0xFD 'S' 'M' 'B'.
    #[error("not a transform header")]
    BadProtocolId,
    /// OriginalMessageSize does not match the ciphertext length.
    #[error("OriginalMessageSize does not match the payload")]
    SizeMismatch,
    /// The key has the wrong length for the cipher.
    #[error("bad encryption key length")]
    BadKeyLength,
    /// The tag did not verify: the message was altered or the key is wrong.
    #[error("decryption failed")]
    AuthenticationFailed,
    /// The random source failed.
    #[error("random source failed")]
    Random,
}

/// The cipher of a session (MS-SMB2 2.2.3.1.2 Cipher IDs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cipher {
    /// AES-128-CCM (0x0001): 3.0, 3.0.2 and 3.1.1.
    Aes128Ccm,
    /// AES-128-GCM (0x0002).
    Aes128Gcm,
    /// AES-256-CCM (0x0003).
    Aes256Ccm,
    /// AES-256-GCM (0x0004).
    Aes256Gcm,
}

impl Cipher {
    /// The cipher with this Cipher ID.
    pub fn from_id(id: u16) -> Option<Cipher> {
        Some(match id {
            1 => Cipher::Aes128Ccm,
            2 => Cipher::Aes128Gcm,
            3 => Cipher::Aes256Ccm,
            4 => Cipher::Aes256Gcm,
            _ => return None,
        })
    }

    /// The Cipher ID on the wire.
    pub fn id(self) -> u16 {
        match self {
            Cipher::Aes128Ccm => 1,
            Cipher::Aes128Gcm => 2,
            Cipher::Aes256Ccm => 3,
            Cipher::Aes256Gcm => 4,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Ccm | Cipher::Aes128Gcm => 16,
            Cipher::Aes256Ccm | Cipher::Aes256Gcm => 32,
        }
    }

    /// How many bytes of the 16-byte Nonce field the cipher uses.
    pub fn nonce_len(self) -> usize {
        match self {
            Cipher::Aes128Ccm | Cipher::Aes256Ccm => 11,
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => 12,
        }
    }
}

/// An SMB2 TRANSFORM_HEADER.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransformHeader {
    /// The AEAD tag.
    pub signature: [u8; 16],
    /// The nonce, zero beyond the cipher's nonce length.
    pub nonce: [u8; 16],
    /// Size of the plaintext SMB2 message.
    pub original_message_size: u32,
    /// Reserved, kept as sent.
    pub reserved: u16,
    /// Flags (3.1.1) or EncryptionAlgorithm (3.0.x); 0x0001 either way.
    pub flags: u16,
    /// The session whose keys encrypt the message.
    pub session_id: u64,
}

impl TransformHeader {
    /// Decodes the 52-byte header at the start of `buf`.
    pub fn decode(buf: &[u8]) -> Result<TransformHeader, CryptError> {
        let mut r = Reader::new(buf);
        let t = |_: ReadError| CryptError::Truncated;
        let pid: [u8; 4] = r.array().map_err(t)?;
        if pid != TRANSFORM_PROTOCOL_ID {
            return Err(CryptError::BadProtocolId);
        }
        Ok(TransformHeader {
            signature: r.array().map_err(t)?,
            nonce: r.array().map_err(t)?,
            original_message_size: r.u32().map_err(t)?,
            reserved: r.u16().map_err(t)?,
            flags: r.u16().map_err(t)?,
            session_id: r.u64().map_err(t)?,
        })
    }

    /// Encodes the header.
    pub fn encode(&self) -> [u8; TRANSFORM_HEADER_LEN] {
        let mut b = [0u8; TRANSFORM_HEADER_LEN];
        b[..4].copy_from_slice(&TRANSFORM_PROTOCOL_ID);
        b[4..20].copy_from_slice(&self.signature);
        b[20..36].copy_from_slice(&self.nonce);
        b[36..40].copy_from_slice(&self.original_message_size.to_le_bytes());
        b[40..42].copy_from_slice(&self.reserved.to_le_bytes());
        b[42..44].copy_from_slice(&self.flags.to_le_bytes());
        b[44..52].copy_from_slice(&self.session_id.to_le_bytes());
        b
    }

    /// The additional authenticated data: header bytes 20..52.
    pub fn aad(&self) -> [u8; 32] {
        let mut a = [0u8; 32];
        a.copy_from_slice(&self.encode()[20..]);
        a
    }
}

/// A fresh random nonce for `cipher`, zero-padded to 16 bytes.
pub fn random_nonce(cipher: Cipher) -> Result<[u8; 16], CryptError> {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n[..cipher.nonce_len()]).map_err(|_| CryptError::Random)?;
    Ok(n)
}

/// The 12 bytes of a transform nonce GCM uses.
fn gcm_nonce(nonce: &[u8; 16]) -> ring::aead::Nonce {
    let (n, _) = nonce.split_first_chunk::<12>().unwrap_or((&[0; 12], &[]));
    ring::aead::Nonce::assume_unique_for_key(*n)
}

/// A ring AES-GCM key of `cipher` (128 or 256 bits).
fn gcm_key(cipher: Cipher, key: &[u8]) -> Result<ring::aead::LessSafeKey, CryptError> {
    let alg = match cipher {
        Cipher::Aes256Gcm => &ring::aead::AES_256_GCM,
        _ => &ring::aead::AES_128_GCM,
    };
    if key.len() != cipher.key_len() {
        return Err(CryptError::BadKeyLength);
    }
    let key = ring::aead::UnboundKey::new(alg, key).map_err(|_| CryptError::BadKeyLength)?;
    Ok(ring::aead::LessSafeKey::new(key))
}

/// Encrypts `data` in place under the fields of `header` (whose `signature` is ignored)
/// and returns the tag, which belongs in `header.signature`.
pub fn encrypt_in_place(
    cipher: Cipher,
    key: &[u8],
    header: &TransformHeader,
    data: &mut [u8],
) -> Result<[u8; 16], CryptError> {
    let aad = header.aad();
    let n = &header.nonce;
    let bad = |_| CryptError::BadKeyLength;
    let fail = |_| CryptError::AuthenticationFailed;
    let tag: [u8; 16] = match cipher {
        Cipher::Aes128Ccm => Aes128Ccm::new_from_slice(key)
            .map_err(bad)?
            .encrypt_in_place_detached(n[..11].into(), &aad, data)
            .map_err(fail)?
            .into(),
        Cipher::Aes256Ccm => Aes256Ccm::new_from_slice(key)
            .map_err(bad)?
            .encrypt_in_place_detached(n[..11].into(), &aad, data)
            .map_err(fail)?
            .into(),
        Cipher::Aes128Gcm | Cipher::Aes256Gcm => {
            let tag = gcm_key(cipher, key)?
                .seal_in_place_separate_tag(gcm_nonce(n), ring::aead::Aad::from(aad), data)
                .map_err(|_| CryptError::AuthenticationFailed)?;
            let mut t = [0u8; 16];
            t.copy_from_slice(tag.as_ref());
            t
        }
    };
    Ok(tag)
}

/// Decrypts `data` in place, checking `header.signature` as the tag. On failure `data`
/// is left unspecified and must not be used.
pub fn decrypt_in_place(
    cipher: Cipher,
    key: &[u8],
    header: &TransformHeader,
    data: &mut [u8],
) -> Result<(), CryptError> {
    let aad = header.aad();
    let n = &header.nonce;
    let t = &header.signature;
    let bad = |_| CryptError::BadKeyLength;
    let fail = |_| CryptError::AuthenticationFailed;
    match cipher {
        Cipher::Aes128Ccm => Aes128Ccm::new_from_slice(key)
            .map_err(bad)?
            .decrypt_in_place_detached(n[..11].into(), &aad, data, t.into())
            .map_err(fail),
        Cipher::Aes256Ccm => Aes256Ccm::new_from_slice(key)
            .map_err(bad)?
            .decrypt_in_place_detached(n[..11].into(), &aad, data, t.into())
            .map_err(fail),
        Cipher::Aes128Gcm | Cipher::Aes256Gcm => {
            let tag = ring::aead::Tag::from(*t);
            gcm_key(cipher, key)?
                .open_in_place_separate_tag(
                    gcm_nonce(n),
                    ring::aead::Aad::from(aad),
                    tag,
                    data,
                    0..,
                )
                .map(drop)
                .map_err(|_| CryptError::AuthenticationFailed)
        }
    }
}

/// Builds a whole transform message: header (with the tag) followed by the ciphertext of
/// `message`. `nonce` must be zero beyond the cipher's nonce length.
pub fn encrypt_message(
    cipher: Cipher,
    key: &[u8],
    nonce: [u8; 16],
    session_id: u64,
    message: &[u8],
) -> Result<Vec<u8>, CryptError> {
    let mut header = TransformHeader {
        signature: [0; 16],
        nonce,
        original_message_size: u32::try_from(message.len())
            .map_err(|_| CryptError::SizeMismatch)?,
        reserved: 0,
        flags: TRANSFORM_FLAG_ENCRYPTED,
        session_id,
    };
    let mut data = message.to_vec();
    header.signature = encrypt_in_place(cipher, key, &header, &mut data)?;
    let mut out = Vec::with_capacity(TRANSFORM_HEADER_LEN + data.len());
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(&data);
    Ok(out)
}

/// Opens a whole transform message: checks the header and the size, decrypts, and
/// returns the header and the plaintext SMB2 message.
pub fn decrypt_message(
    cipher: Cipher,
    key: &[u8],
    transform: &[u8],
) -> Result<(TransformHeader, Vec<u8>), CryptError> {
    let header = TransformHeader::decode(transform)?;
    let body = &transform[TRANSFORM_HEADER_LEN..];
    if header.original_message_size as usize != body.len() {
        return Err(CryptError::SizeMismatch);
    }
    let mut data = body.to_vec();
    decrypt_in_place(cipher, key, &header, &mut data)?;
    Ok((header, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::{AeadInOut as _, Aes128Gcm, Aes256Gcm, KeyInit as _};

    /// ring's AES-GCM against RustCrypto's `aes-gcm` (an independent implementation), for
    /// both key sizes and lengths around the block and the assembly's stride edges; and a
    /// wrong key length is refused rather than truncated or padded.
    #[test]
    fn gcm_matches_rustcrypto_aes_gcm() {
        let body: Vec<u8> = (0..70_000u32).map(|i| (i * 29 + 3) as u8).collect();
        for cipher in [Cipher::Aes128Gcm, Cipher::Aes256Gcm] {
            let key: Vec<u8> = (0..cipher.key_len() as u8).collect();
            for len in (0..80).chain([255, 256, 257, 4096, 65_536, 70_000]) {
                let header = TransformHeader {
                    signature: [0; 16],
                    nonce: [len as u8; 16],
                    original_message_size: len as u32,
                    reserved: 0,
                    flags: TRANSFORM_FLAG_ENCRYPTED,
                    session_id: 77,
                };
                let aad = header.aad();
                let (n12, _) = header.nonce.split_first_chunk::<12>().unwrap();
                let mut want = body[..len].to_vec();
                let want_tag = match cipher {
                    Cipher::Aes128Gcm => Aes128Gcm::new_from_slice(&key)
                        .unwrap()
                        .encrypt_inout_detached(n12.into(), &aad, want.as_mut_slice().into())
                        .unwrap(),
                    _ => Aes256Gcm::new_from_slice(&key)
                        .unwrap()
                        .encrypt_inout_detached(n12.into(), &aad, want.as_mut_slice().into())
                        .unwrap(),
                };
                let mut got = body[..len].to_vec();
                let tag = encrypt_in_place(cipher, &key, &header, &mut got).unwrap();
                assert_eq!(got, want, "{cipher:?} ciphertext of {len}");
                assert_eq!(tag[..], want_tag[..], "{cipher:?} tag of {len}");
                let sealed = TransformHeader {
                    signature: tag,
                    ..header
                };
                decrypt_in_place(cipher, &key, &sealed, &mut got).unwrap();
                assert_eq!(got[..], body[..len]);
            }
            let mut wire = [0u8; TRANSFORM_HEADER_LEN];
            wire[..4].copy_from_slice(&TRANSFORM_PROTOCOL_ID);
            let header = TransformHeader::decode(&wire).unwrap();
            assert_eq!(
                encrypt_in_place(cipher, &[0; 24], &header, &mut []),
                Err(CryptError::BadKeyLength)
            );
            assert_eq!(
                decrypt_in_place(cipher, &[0; 24], &header, &mut []),
                Err(CryptError::BadKeyLength)
            );
        }
    }
}
