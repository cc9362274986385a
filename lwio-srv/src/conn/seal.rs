//! The transform layer of SMB 3.x encryption (MS-SMB2 3.3.4.1.4, 3.3.5.2.1.1): a
//! session's two keys and its nonces, decrypting a frame that arrives under a
//! TRANSFORM_HEADER (2.2.41) and encrypting the frame that answers it.
//!
//! - Keys (3.1.4.2): the session's `EncryptionKey` (server to client) and `DecryptionKey`
//!   (client to server) are derived from its session key, by the dialect's labels (with
//!   the preauthentication hash for 3.1.1) and at the cipher's length (128 or 256 bits).
//! - Nonces must never repeat under one key. Each session counts the messages it encrypts:
//!   the nonce is the counter (8 bytes, little-endian) followed by random bytes drawn once
//!   for the session (3 for CCM's 11-byte nonce, 4 for GCM's 12), zero beyond. A session
//!   that would wrap its counter encrypts no more (the connection closes).
//! - A whole compound chain, or one interim or final asynchronous response, is one
//!   transform: the frame is encrypted as a unit, never signed (3.3.4.1.1: an encrypted
//!   message carries no signature).
//! - Receiving (3.3.5.2.1.1): a transform must be exactly `OriginalMessageSize` bytes of
//!   ciphertext behind its header, carry Flags 0x0001, name a session of the connection
//!   that has keys, and authenticate; what it holds must be SMB2 messages (no nested
//!   transform, no SMB1) that name the same session (a related request inherits it).
//!   Anything else drops the connection, as Windows does.

use std::sync::atomic::{AtomicU64, Ordering};

use lwio_auth::smb2sign::{self, KeyDerivation};
use lwio_auth::smb3crypt::{
    self, Cipher, TRANSFORM_FLAG_ENCRYPTED, TRANSFORM_HEADER_LEN, TransformHeader,
};
use lwio_smb2::frame::{self, MessageKind};
use lwio_smb2::{Compound, Dialect, Header, HeaderFlags};

/// Why a received transform is refused (every one of them drops the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Shorter than a header, a size that does not match, an unknown flag.
    Malformed,
    /// The transform names no session of this connection with keys.
    NoSession,
    /// The tag did not verify.
    Authentication,
    /// The plaintext is not SMB2 messages of the transform's session.
    BadContent,
}

/// The encryption state of one session.
pub(crate) struct Sealer {
    cipher: Cipher,
    session_id: u64,
    /// Server to client (`Session.EncryptionKey`).
    encrypt_key: Vec<u8>,
    /// Client to server (`Session.DecryptionKey`).
    decrypt_key: Vec<u8>,
    /// The random part of every nonce of this session.
    salt: [u8; 4],
    /// How many messages the session has encrypted.
    counter: AtomicU64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("cipher", &self.cipher)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// The keys of session `session_id` of `dialect` (3.x) under `cipher`; `None` when
    /// the random source fails.
    pub(crate) fn new(
        dialect: Dialect,
        cipher: Cipher,
        session_key: &[u8],
        preauth_hash: [u8; 64],
        session_id: u64,
    ) -> Option<Sealer> {
        let how = if dialect == Dialect::SMB_3_1_1 {
            KeyDerivation::Smb311 { preauth_hash }
        } else {
            KeyDerivation::Smb30
        };
        let keys = smb2sign::derive_smb3_keys(session_key, how, cipher);
        let mut salt = [0u8; 4];
        getrandom::fill(&mut salt).ok()?;
        Some(Sealer {
            cipher,
            session_id,
            encrypt_key: keys.server_to_client,
            decrypt_key: keys.client_to_server,
            salt,
            counter: AtomicU64::new(0),
        })
    }

    /// A nonce never used before under this session's key.
    fn next_nonce(&self) -> Option<[u8; 16]> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        if n == u64::MAX {
            self.counter.store(u64::MAX, Ordering::Relaxed);
            return None;
        }
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&n.to_le_bytes());
        let rest = self.cipher.nonce_len() - 8;
        nonce[8..8 + rest].copy_from_slice(&self.salt[..rest]);
        Some(nonce)
    }

    /// Encrypts `frame` (one SMB2 message or a compound chain) in place and returns the
    /// transform header to send in front of it; `None` when it cannot be encrypted (the
    /// nonces are spent, a frame over 4 GiB): the connection must then close.
    pub(crate) fn seal(&self, frame: &mut [u8]) -> Option<[u8; TRANSFORM_HEADER_LEN]> {
        let mut header = TransformHeader {
            signature: [0; 16],
            nonce: self.next_nonce()?,
            original_message_size: u32::try_from(frame.len()).ok()?,
            reserved: 0,
            flags: TRANSFORM_FLAG_ENCRYPTED,
            session_id: self.session_id,
        };
        header.signature =
            smb3crypt::encrypt_in_place(self.cipher, &self.encrypt_key, &header, frame).ok()?;
        Some(header.encode())
    }

    /// Checks decompressed content of a transform this sealer opened: SMB2 messages of
    /// its session only.
    pub(crate) fn check_content(&self, plain: &[u8]) -> Result<(), OpenError> {
        if frame::classify(plain) != MessageKind::Smb2 {
            return Err(OpenError::BadContent);
        }
        check_content(plain, self.session_id)
    }

    /// Decrypts the transform `frame` in place and leaves the SMB2 messages it carried
    /// (header removed, or a compressed frame to decompress). The caller found this
    /// sealer by [`transform_session`]. (The engine uses [`Sealer::open_in_place`]; this
    /// form serves the tests and `crate::testing`.)
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn open(&self, frame: &mut Vec<u8>) -> Result<(), OpenError> {
        self.open_in_place(frame)?;
        frame.drain(..TRANSFORM_HEADER_LEN);
        Ok(())
    }

    /// [`Sealer::open`] without moving the plaintext: it is left where the ciphertext
    /// was, behind the transform header (`frame[TRANSFORM_HEADER_LEN..]`), so a WRITE's
    /// data is not moved between the socket read and the driver.
    pub(crate) fn open_in_place(&self, frame: &mut [u8]) -> Result<(), OpenError> {
        let header = TransformHeader::decode(frame).map_err(|_| OpenError::Malformed)?;
        let body_len = frame.len() - TRANSFORM_HEADER_LEN;
        if header.original_message_size as usize != body_len
            || body_len == 0
            || header.flags != TRANSFORM_FLAG_ENCRYPTED
        {
            return Err(OpenError::Malformed);
        }
        if header.session_id != self.session_id {
            return Err(OpenError::NoSession);
        }
        smb3crypt::decrypt_in_place(
            self.cipher,
            &self.decrypt_key,
            &header,
            &mut frame[TRANSFORM_HEADER_LEN..],
        )
        .map_err(|_| OpenError::Authentication)?;
        check_content(&frame[TRANSFORM_HEADER_LEN..], self.session_id)
    }
}

/// The SessionId a transform frame names, if it is long enough to have one.
pub(crate) fn transform_session(frame: &[u8]) -> Option<u64> {
    let id = frame.get(44..TRANSFORM_HEADER_LEN)?;
    Some(u64::from_le_bytes(id.try_into().ok()?))
}

/// What a decrypted transform holds must be SMB2 messages of its session: no nested
/// transform, no SMB1, no request naming another session (a related one inherits).
/// A compressed transform inside passes here and is checked once decompressed
/// ([`Sealer::check_content`]).
fn check_content(plain: &[u8], session_id: u64) -> Result<(), OpenError> {
    if frame::classify(plain) == MessageKind::Compressed {
        return Ok(());
    }
    if frame::classify(plain) != MessageKind::Smb2 {
        return Err(OpenError::BadContent);
    }
    for (i, part) in Compound::new(plain).enumerate() {
        let part = part.map_err(|_| OpenError::BadContent)?;
        let hdr = Header::decode(part).map_err(|_| OpenError::BadContent)?;
        let related = i > 0 && hdr.flags.contains(HeaderFlags::RELATED_OPERATIONS);
        if !related && hdr.session_id != session_id {
            return Err(OpenError::BadContent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_smb2::Command;

    fn request(session_id: u64, mid: u64) -> Vec<u8> {
        let mut msg = Vec::new();
        Header {
            command: Command::ECHO,
            message_id: mid,
            session_id,
            ..Header::default()
        }
        .encode(&mut msg);
        msg.extend_from_slice(&[4, 0, 0, 0]);
        msg
    }

    /// The client's side: encrypts with the client-to-server key.
    fn client_seal(cipher: Cipher, key: &[u8], session_id: u64, msg: &[u8]) -> Vec<u8> {
        let nonce = smb3crypt::random_nonce(cipher).unwrap();
        smb3crypt::encrypt_message(cipher, key, nonce, session_id, msg).unwrap()
    }

    fn sealer(dialect: Dialect, cipher: Cipher) -> Sealer {
        Sealer::new(dialect, cipher, &[9; 16], [5; 64], 77).unwrap()
    }

    #[test]
    fn every_cipher_opens_what_the_client_sealed_and_seals_what_it_can_open() {
        for (dialect, cipher) in [
            (Dialect::SMB_3_0, Cipher::Aes128Ccm),
            (Dialect::SMB_3_0_2, Cipher::Aes128Ccm),
            (Dialect::SMB_3_1_1, Cipher::Aes128Ccm),
            (Dialect::SMB_3_1_1, Cipher::Aes128Gcm),
            (Dialect::SMB_3_1_1, Cipher::Aes256Ccm),
            (Dialect::SMB_3_1_1, Cipher::Aes256Gcm),
        ] {
            let s = sealer(dialect, cipher);
            let msg = request(77, 3);
            let mut frame = client_seal(cipher, &s.decrypt_key, 77, &msg);
            assert_eq!(transform_session(&frame), Some(77));
            s.open(&mut frame).unwrap();
            assert_eq!(frame, msg, "{cipher:?}");

            let mut resp = msg.clone();
            let head = s.seal(&mut resp).unwrap();
            let mut wire = head.to_vec();
            wire.extend_from_slice(&resp);
            let (_, plain) = smb3crypt::decrypt_message(cipher, &s.encrypt_key, &wire).unwrap();
            assert_eq!(plain, msg);
        }
    }

    #[test]
    fn nonces_do_not_repeat() {
        for cipher in [Cipher::Aes128Ccm, Cipher::Aes128Gcm] {
            let s = sealer(Dialect::SMB_3_1_1, cipher);
            let mut seen = std::collections::HashSet::new();
            for _ in 0..1000 {
                let n = s.next_nonce().unwrap();
                assert!(n[cipher.nonce_len()..].iter().all(|&b| b == 0));
                assert!(seen.insert(n));
            }
            s.counter.store(u64::MAX, Ordering::Relaxed);
            assert_eq!(s.next_nonce(), None);
            assert_eq!(s.seal(&mut [0; 64]), None);
        }
    }

    #[test]
    fn hostile_transforms_are_refused() {
        let cipher = Cipher::Aes128Gcm;
        let s = sealer(Dialect::SMB_3_1_1, cipher);
        let good = client_seal(cipher, &s.decrypt_key, 77, &request(77, 1));
        // A flipped bit anywhere: the tag, the AAD, the ciphertext.
        for at in [4, 20, 40, 44, 52, good.len() - 1] {
            let mut f = good.clone();
            f[at] ^= 1;
            assert!(s.open(&mut f).is_err(), "bit flipped at {at}");
        }
        // Sizes that do not match, truncated headers.
        for cut in [0, 10, 51, 52, good.len() - 1] {
            let mut f = good[..cut].to_vec();
            assert!(s.open(&mut f).is_err());
        }
        let mut f = good.clone();
        f.push(0);
        assert_eq!(s.open(&mut f), Err(OpenError::Malformed));
        let mut f = good.clone();
        f[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(s.open(&mut f), Err(OpenError::Malformed));
        // Another session's transform, another session inside, a nested transform.
        let mut f = client_seal(cipher, &s.decrypt_key, 78, &request(78, 1));
        assert_eq!(s.open(&mut f), Err(OpenError::NoSession));
        let mut f = client_seal(cipher, &s.decrypt_key, 77, &request(78, 1));
        assert_eq!(s.open(&mut f), Err(OpenError::BadContent));
        let mut f = client_seal(cipher, &s.decrypt_key, 77, &good);
        assert_eq!(s.open(&mut f), Err(OpenError::BadContent));
        // The server's own key does not open a client's message.
        let mut f = client_seal(cipher, &s.encrypt_key, 77, &request(77, 1));
        assert_eq!(s.open(&mut f), Err(OpenError::Authentication));
    }
}
