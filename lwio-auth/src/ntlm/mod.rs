//! NTLMSSP (MS-NLMP): messages, the NTLMv2 computations, and the two ends of a handshake.
//!
//! Only NTLMv2 is accepted: a 24-byte NT response (NTLMv1, or NTLMv1 with extended
//! session security) and LM-only logons are refused. The functions below are the
//! building blocks of MS-NLMP 3.3.2 and 3.4.5 and are public so that the test vectors of
//! MS-NLMP 4.2.4 can be checked one step at a time.

mod avpairs;
pub mod client;
mod messages;
pub mod seal;
pub mod server;

pub use avpairs::{AvFlags, AvId, AvPair, AvPairs};
pub use client::{ClientAuthenticate, NtlmClient, NtlmCredentials};
pub use messages::{
    AuthenticateMessage, ChallengeMessage, MIC_OFFSET, MessageType, NTLMSSP_SIGNATURE,
    NegotiateFlags, NegotiateMessage, NtlmVersion, message_type,
};
pub use seal::{NtlmSession, Role, SessionSecurityError};
pub use server::{Authenticated, NtlmServer, ServerNames};

use std::fmt;

use hmac::{Hmac, Mac};
use lwio_types::{NtStatus, ReadError};
use md4::{Digest, Md4};
use md5::Md5;

use lwio_types::utf16::encode_utf16le as utf16le;

/// The NT one-way function of a password: MD4 of its UTF-16LE encoding (MS-NLMP 3.3.1).
///
/// `Debug` does not print the hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NtHash(pub [u8; 16]);

impl fmt::Debug for NtHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NtHash(..)")
    }
}

/// Why an NTLMSSP message did not decode (MS-NLMP 2.2.1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NtlmDecodeError {
    /// The message ends before a fixed field does.
    #[error("NTLMSSP message truncated")]
    Truncated,
    /// The first eight bytes are not `NTLMSSP\0`.
    #[error("not an NTLMSSP message")]
    BadSignature,
    /// The MessageType is not the one expected here.
    #[error("NTLMSSP message type {found}, expected {expected}")]
    WrongMessageType {
        /// The type this decoder reads.
        expected: u32,
        /// The type on the wire.
        found: u32,
    },
    /// A payload field's offset and length reach outside the message or into its header.
    #[error("NTLMSSP field {0} out of bounds")]
    FieldOutOfBounds(&'static str),
    /// An AV pair list has no MsvAvEOL or an AV pair runs past the list.
    #[error("malformed AV pair list")]
    BadAvPairs,
    /// An NTLMv2 client challenge structure is too short or malformed.
    #[error("malformed NTLMv2 response")]
    BadNtlmV2Response,
}

impl From<ReadError> for NtlmDecodeError {
    /// A fixed field read past the end of the message.
    fn from(_: ReadError) -> NtlmDecodeError {
        NtlmDecodeError::Truncated
    }
}

/// Why an authentication failed or could not proceed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A message did not decode.
    #[error(transparent)]
    Decode(#[from] NtlmDecodeError),
    /// The call came in the wrong state (AUTHENTICATE before CHALLENGE, or twice).
    #[error("NTLM exchange in the wrong state")]
    WrongState,
    /// The client answered with NTLMv1 (a 24-byte NT response) or with LM only.
    #[error("NTLMv1 and LM responses are refused")]
    NtlmV1Refused,
    /// The user is not known to the lookup.
    #[error("no such user")]
    NoSuchUser,
    /// The NTProofStr did not match: wrong password, user or domain.
    #[error("NTLMv2 response does not verify")]
    BadResponse,
    /// The client's AV flags announce a MIC but the message carries none.
    #[error("MIC announced but missing")]
    MicMissing,
    /// The MIC does not match the three messages.
    #[error("MIC does not verify")]
    MicMismatch,
    /// Key exchange was negotiated but the encrypted session key is not 16 bytes.
    #[error("bad encrypted random session key")]
    BadSessionKey,
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random,
}

impl AuthError {
    /// The NTSTATUS a server returns in the SESSION_SETUP response for this error.
    pub fn status(&self) -> NtStatus {
        match self {
            AuthError::Decode(_) | AuthError::WrongState => NtStatus::INVALID_PARAMETER,
            AuthError::Random => NtStatus::INTERNAL_ERROR,
            _ => NtStatus::LOGON_FAILURE,
        }
    }
}

type HmacMd5 = Hmac<Md5>;

/// HMAC-MD5 over the concatenation of `parts`.
pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacMd5 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `NTOWFv1`: MD4 of the UTF-16LE password (MS-NLMP 3.3.1).
pub fn nt_hash(password: &str) -> NtHash {
    NtHash(Md4::digest(utf16le(password)).into())
}

/// `NTOWFv2`: HMAC-MD5 keyed by the NT hash over UTF-16LE(UPPER(user) + domain)
/// (MS-NLMP 3.3.2). The user name is case-insensitive, the domain is not.
pub fn ntowfv2(nt: &NtHash, user: &str, domain: &str) -> [u8; 16] {
    let mut s = user.to_uppercase();
    s.push_str(domain);
    hmac_md5(&nt.0, &[&utf16le(&s)])
}

/// The NTLMv2 client challenge structure (`temp` in MS-NLMP 3.3.2, 2.2.2.7): response
/// versions 1/1, six zero bytes, the timestamp, the client challenge, four zero bytes, the
/// encoded AV pairs (which end with MsvAvEOL), and four zero bytes.
pub fn ntlmv2_client_blob(timestamp: u64, client_challenge: &[u8; 8], av_pairs: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(32 + av_pairs.len());
    t.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(&timestamp.to_le_bytes());
    t.extend_from_slice(client_challenge);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(av_pairs);
    t.extend_from_slice(&[0; 4]);
    t
}

/// `NTProofStr` = HMAC-MD5(ResponseKeyNT, ServerChallenge || temp) (MS-NLMP 3.3.2).
pub fn nt_proof_str(
    response_key_nt: &[u8; 16],
    server_challenge: &[u8; 8],
    blob: &[u8],
) -> [u8; 16] {
    hmac_md5(response_key_nt, &[server_challenge, blob])
}

/// The NTLMv2 NT response: NTProofStr followed by the blob.
pub fn ntv2_response(
    response_key_nt: &[u8; 16],
    server_challenge: &[u8; 8],
    blob: &[u8],
) -> Vec<u8> {
    let mut out = nt_proof_str(response_key_nt, server_challenge, blob).to_vec();
    out.extend_from_slice(blob);
    out
}

/// The LMv2 response: HMAC-MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) followed
/// by the client challenge (MS-NLMP 3.3.2).
pub fn lmv2_response(
    response_key_lm: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    let mac = hmac_md5(response_key_lm, &[server_challenge, client_challenge]);
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&mac);
    out[16..].copy_from_slice(client_challenge);
    out
}

/// `SessionBaseKey` = HMAC-MD5(ResponseKeyNT, NTProofStr); for NTLMv2 it is also the
/// KeyExchangeKey (MS-NLMP 3.3.2, 3.4.5.1).
pub fn session_base_key(response_key_nt: &[u8; 16], nt_proof: &[u8; 16]) -> [u8; 16] {
    hmac_md5(response_key_nt, &[nt_proof])
}

/// RC4 with a 16-byte key over `data`: encrypts the exported session key under the key
/// exchange key, and decrypts it (MS-NLMP 3.4.5.2, 3.1.5.1.2).
pub fn rc4_16(key: &[u8; 16], data: &[u8; 16]) -> [u8; 16] {
    use rc4::{KeyInit, Rc4, StreamCipher, consts::U16};
    let mut out = *data;
    let mut c = Rc4::<U16>::new(key.into());
    c.apply_keystream(&mut out);
    out
}

/// The MIC: HMAC-MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE), the last
/// with its MIC field zeroed (MS-NLMP 3.1.5.1.2).
pub fn compute_mic(
    exported_session_key: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate_mic_zeroed: &[u8],
) -> [u8; 16] {
    hmac_md5(
        exported_session_key,
        &[negotiate, challenge, authenticate_mic_zeroed],
    )
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn random(buf: &mut [u8]) -> Result<(), AuthError> {
    getrandom::fill(buf).map_err(|_| AuthError::Random)
}
