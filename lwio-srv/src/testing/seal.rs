//! The server's SMB3 transform layer of one session, outside a connection, for the
//! `smb2_transform` fuzz target and tests: what [`crate::conn`] does with a frame that
//! arrives under a TRANSFORM_HEADER (MS-SMB2 3.3.5.2.1.1) and with the response it
//! encrypts (3.3.4.1.4).

use lwio_auth::smb3crypt::{Cipher, TRANSFORM_HEADER_LEN};
use lwio_smb2::Dialect;

use crate::conn::seal::Sealer;

/// One session's encryption state, as a connection keeps it.
#[derive(Debug)]
pub struct SessionCrypt(Sealer);

impl SessionCrypt {
    /// The keys of session `session_id` of `dialect` (3.x) under `cipher`, derived from
    /// `session_key` (and `preauth_hash` for 3.1.1); `None` when the random source fails.
    pub fn new(
        dialect: Dialect,
        cipher: Cipher,
        session_key: &[u8],
        preauth_hash: [u8; 64],
        session_id: u64,
    ) -> Option<SessionCrypt> {
        Sealer::new(dialect, cipher, session_key, preauth_hash, session_id).map(SessionCrypt)
    }

    /// Opens a received transform frame in place, leaving the SMB2 messages it carried;
    /// `Err` says why the connection would be dropped.
    pub fn open(&self, frame: &mut Vec<u8>) -> Result<(), String> {
        self.0.open(frame).map_err(|e| format!("{e:?}"))
    }

    /// Encrypts a response frame in place and returns the transform header that goes in
    /// front of it; `None` when the connection would close instead.
    pub fn seal(&self, frame: &mut [u8]) -> Option<[u8; TRANSFORM_HEADER_LEN]> {
        self.0.seal(frame)
    }
}
