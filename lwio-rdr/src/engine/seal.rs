//! The client's side of SMB 3.x encryption (MS-SMB2 3.1.4.3, 3.2.4.1.8, 3.2.5.1.1.1): one
//! session's keys and nonces, sealing a request under a TRANSFORM_HEADER (2.2.41) and
//! opening the transform a response arrives in.
//!
//! ```text
//! request:  [64-byte SMB2 header | body]  ──AEAD(client-to-server key)──▶
//!           [0xFD 'S' 'M' 'B' | tag | nonce | size | 0 | 0x0001 | session id][ciphertext]
//! response: the same shape under the server-to-client key; the tag covers header bytes
//!           20..52 (nonce to session id) as additional data
//! ```
//!
//! - Keys: `ServerIn` (client to server) and `ServerOut` (server to client), derived from
//!   the session key by `lwio-auth`'s KDF (3.0/3.0.2 constant labels, 3.1.1 the preauth
//!   hash), 128 or 256 bits by cipher.
//! - Nonces never repeat under a key: the nonce is a message counter (8 bytes,
//!   little-endian) then random bytes drawn once per session to fill the cipher's nonce
//!   (3 for CCM's 11, 4 for GCM's 12); a session whose counter would wrap seals no more.
//! - An encrypted message is never signed (3.2.4.1.1); its tag authenticates it.
//! - Opening refuses, and the connection drops on: a transform shorter than its header, an
//!   `OriginalMessageSize` that is not the ciphertext's length, Flags other than 0x0001,
//!   another session id, a tag that does not verify, and a plaintext that is not SMB2
//!   messages of the session (no nested transform).

use std::sync::Arc;

use lwio_auth::smb3crypt::{
    self, Cipher, TRANSFORM_FLAG_ENCRYPTED, TRANSFORM_HEADER_LEN, TransformHeader,
};
use lwio_smb2::{Compound, Header};

use super::ProtocolError;

/// One session's encryption state.
pub struct Sealer {
    cipher: Cipher,
    session_id: u64,
    /// Client to server (`Session.EncryptionKey` of the client).
    seal_key: Vec<u8>,
    /// What opens the server's transforms, shared with the connection's reader, which
    /// opens them outside the connection's lock ([`super::check`]).
    opener: Arc<Opener>,
    salt: [u8; 4],
    counter: u64,
}

/// The server-to-client half of a session's encryption: opens the transforms responses
/// arrive in. Needs no mutable state, so the reader uses it without the engine.
pub struct Opener {
    cipher: Cipher,
    session_id: u64,
    /// Server to client (`Session.DecryptionKey` of the client).
    open_key: Vec<u8>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("cipher", &self.cipher)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
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
    /// The state of session `session_id` under `cipher`, with its two keys (of the
    /// cipher's length) and `salt`, the random part of every nonce.
    pub fn new(
        cipher: Cipher,
        session_id: u64,
        client_to_server: Vec<u8>,
        server_to_client: Vec<u8>,
        salt: [u8; 4],
    ) -> Self {
        Sealer {
            cipher,
            session_id,
            seal_key: client_to_server,
            opener: Arc::new(Opener {
                cipher,
                session_id,
                open_key: server_to_client,
            }),
            salt,
            counter: 0,
        }
    }

    /// The cipher.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    fn next_nonce(&mut self) -> Option<[u8; 16]> {
        let n = self.counter;
        self.counter = n.checked_add(1)?;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&n.to_le_bytes());
        let rest = self.cipher.nonce_len() - 8;
        nonce[8..8 + rest].copy_from_slice(&self.salt[..rest]);
        Some(nonce)
    }

    /// `message` followed by `data` (one SMB2 request, header first, its data kept
    /// apart) as a transform message: the transform header, then the ciphertext, each
    /// byte copied once. `None` when the nonces are spent or the message is over 4 GiB
    /// (the connection must close).
    pub fn seal(&mut self, message: Vec<u8>, data: &[u8]) -> Option<Vec<u8>> {
        self.reserve()?.seal(message, data)
    }

    /// The next nonce and what sealing under it needs, so that the sealing itself
    /// ([`SealJob::seal`]) runs outside the connection's lock; `None` when the nonces are
    /// spent.
    pub fn reserve(&mut self) -> Option<SealJob> {
        Some(SealJob {
            cipher: self.cipher,
            session_id: self.session_id,
            key: self.seal_key.clone(),
            nonce: self.next_nonce()?,
        })
    }

    /// What opens the server's transforms (shared, for the reader).
    pub fn opener(&self) -> Arc<Opener> {
        Arc::clone(&self.opener)
    }

    /// Opens a transform ([`Opener::open`]).
    pub fn open(&self, frame: &mut [u8]) -> Result<usize, ProtocolError> {
        self.opener.open(frame)
    }
}

impl Opener {
    /// Opens the transform `frame` in place: afterwards `frame[TRANSFORM_HEADER_LEN..]`
    /// (the returned offset onwards) holds the SMB2 messages it carried (one response or
    /// a compound chain), each checked to name this session. Nothing is moved: the
    /// caller slices the plaintext out where it lies.
    pub fn open(&self, frame: &mut [u8]) -> Result<usize, ProtocolError> {
        let bad = |why: &str| ProtocolError::Decrypt(why.to_string());
        let header = TransformHeader::decode(frame).map_err(|_| bad("truncated header"))?;
        let body_len = frame.len() - TRANSFORM_HEADER_LEN;
        if header.original_message_size as usize != body_len || body_len == 0 {
            return Err(bad("OriginalMessageSize is not the ciphertext's length"));
        }
        if header.flags != TRANSFORM_FLAG_ENCRYPTED {
            return Err(bad("Flags is not 0x0001"));
        }
        if header.session_id != self.session_id {
            return Err(bad("another session's transform"));
        }
        smb3crypt::decrypt_in_place(
            self.cipher,
            &self.open_key,
            &header,
            &mut frame[TRANSFORM_HEADER_LEN..],
        )
        .map_err(|_| bad("the tag does not verify"))?;
        let plain = &frame[TRANSFORM_HEADER_LEN..];
        for part in Compound::new(plain) {
            let part = part.map_err(|_| bad("the plaintext is not SMB2 messages"))?;
            let h = Header::decode(part).map_err(|_| bad("the plaintext is not SMB2"))?;
            // An oplock break notification may name no session (MS-SMB2 3.3.4.6).
            let unsolicited = h.message_id == super::UNSOLICITED_MESSAGE_ID && h.session_id == 0;
            if h.session_id != self.session_id && !unsolicited {
                return Err(bad("the plaintext names another session"));
            }
        }
        Ok(TRANSFORM_HEADER_LEN)
    }
}

/// One request's sealing: the cipher, the key and the nonce reserved for it.
pub struct SealJob {
    cipher: Cipher,
    session_id: u64,
    key: Vec<u8>,
    nonce: [u8; 16],
}

impl std::fmt::Debug for SealJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealJob")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl SealJob {
    /// `message` followed by `data` as a transform message under the reserved nonce (see
    /// [`Sealer::seal`]); `None` when the message is over 4 GiB.
    pub fn seal(self, message: Vec<u8>, data: &[u8]) -> Option<Vec<u8>> {
        let size = message.len().checked_add(data.len())?;
        let mut header = TransformHeader {
            signature: [0; 16],
            nonce: self.nonce,
            original_message_size: u32::try_from(size).ok()?,
            reserved: 0,
            flags: TRANSFORM_FLAG_ENCRYPTED,
            session_id: self.session_id,
        };
        let mut out = Vec::with_capacity(TRANSFORM_HEADER_LEN + size);
        out.extend_from_slice(&[0u8; TRANSFORM_HEADER_LEN]);
        out.extend_from_slice(&message);
        out.extend_from_slice(data);
        drop(message);
        header.signature = smb3crypt::encrypt_in_place(
            self.cipher,
            &self.key,
            &header,
            &mut out[TRANSFORM_HEADER_LEN..],
        )
        .ok()?;
        out[..TRANSFORM_HEADER_LEN].copy_from_slice(&header.encode());
        Some(out)
    }
}
