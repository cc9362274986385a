//! The cryptography of a response frame, done before the engine sees it and without it:
//! opening the transform an encrypted frame arrives in (MS-SMB2 3.2.5.1.1.1), splitting
//! a compound, decoding each header and verifying each signature present (3.2.5.1.3).
//!
//! Why apart from the engine: the engine lives under the connection's lock, which every
//! caller sending a request takes too. AES-CMAC, AES-GMAC or HMAC-SHA256 over a 8 MiB
//! READ response, or decrypting one, takes milliseconds; done under the lock, every other
//! request waits that long. The connection's reader instead takes a [`Checks`] (the
//! session's keys, shared by `Arc`: cloning it is two reference counts) under the lock,
//! checks the frame without it, and hands the [`Checked`] frame to [`Engine::accept`],
//! which only matches it to its request (message id, command, whether the request was
//! signed or sealed) under the lock. The reader handles frames one after the other, so
//! responses are delivered in the order they arrived.
//!
//! What is decided here and what is left to the engine: whether a signature that is
//! present verifies is known here; whether one had to be present (the request was signed,
//! the response is not interim) and whether a response had to be encrypted needs the
//! request, so [`Engine::accept`] decides it.
//!
//! [`Engine::accept`]: super::Engine::accept

use std::sync::Arc;

use bytes::Bytes;
use lwio_auth::smb2sign::{self, SigningAlgorithm};
use lwio_smb2::frame::MAX_FRAME_LEN;
use lwio_smb2::header::HeaderFlags;
use lwio_smb2::{Compound, Header};

use super::ProtocolError;
use super::seal::Opener;

/// The most messages one compounded response may carry.
const MAX_PARTS: usize = 64;

/// The session's signing key and algorithm.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) key: Vec<u8>,
}

/// What a frame is checked with: the session's keys as they are when it arrived.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) opener: Option<Arc<Opener>>,
}

/// One message of a checked frame.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) header: Header,
    /// The message, header first: a slice of the frame.
    pub(crate) message: Bytes,
    /// It carries a signature (SMB2_FLAGS_SIGNED) that the session's key does not verify.
    pub(crate) bad_signature: bool,
}

/// A frame opened, split and verified, for [`super::Engine::accept`].
#[derive(Debug)]
pub struct Checked {
    pub(crate) parts: Vec<Part>,
    /// It arrived in a transform (and opened).
    pub(crate) encrypted: bool,
}

impl Checks {
    /// Opens, splits and verifies `frame` (a Direct TCP payload). The frame's bytes are
    /// never moved or copied: an encrypted one is opened in place, and each part is a
    /// [`Bytes`] slice of it.
    pub fn check<F>(&self, mut frame: F) -> Result<Checked, ProtocolError>
    where
        F: AsRef<[u8]> + AsMut<[u8]> + Send + 'static,
    {
        if frame.as_ref().len() > MAX_FRAME_LEN {
            return Err(ProtocolError::Malformed("frame too long".into()));
        }
        let first = frame.as_ref().first().copied();
        let encrypted = first == Some(0xFD);
        let plain = if encrypted {
            match &self.opener {
                Some(o) => o.open(frame.as_mut())?,
                None => return Err(ProtocolError::Transform),
            }
        } else if first == Some(0xFC) {
            return Err(ProtocolError::Transform);
        } else {
            0
        };
        // The replies are slices of the frame, which stays whole until the last of them
        // is dropped (the caller's buffer may go back to a pool then).
        let frame = Bytes::from_owner(frame).slice(plain..);
        let mut bounds = Vec::new();
        let mut at = 0usize;
        for part in Compound::new(&frame) {
            let part = part.map_err(|e| ProtocolError::Malformed(e.to_string()))?;
            bounds.push((at, part.len()));
            at += part.len();
            if bounds.len() > MAX_PARTS {
                return Err(ProtocolError::Malformed(
                    "compound of more than 64 parts".into(),
                ));
            }
        }
        let mut parts = Vec::with_capacity(bounds.len());
        for (start, len) in bounds {
            let end = start
                .checked_add(len)
                .filter(|&end| end <= frame.len())
                .ok_or_else(|| {
                    ProtocolError::Malformed("compound part outside the frame".into())
                })?;
            let message = if start == 0 && end == frame.len() {
                frame.clone()
            } else {
                frame.slice(start..end)
            };
            let header =
                Header::decode(&message).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
            // An encrypted message is authenticated by its tag and not signed (MS-SMB2
            // 3.2.5.1.3): its signature field is not looked at.
            let bad_signature = !encrypted
                && header.flags.contains(HeaderFlags::SIGNED)
                && self.signer.as_ref().is_some_and(|s| !s.verifies(&message));
            parts.push(Part {
                header,
                message,
                bad_signature,
            });
        }
        Ok(Checked { parts, encrypted })
    }
}

impl Signer {
    /// True when `message`'s signature is the session key's.
    pub(crate) fn verifies(&self, message: &[u8]) -> bool {
        smb2sign::verify(self.algorithm, &self.key, message).is_ok()
    }
}
