//! NTLMSSP session security (MS-NLMP 3.4): message signatures and sealing after an
//! NTLMv2 logon, with extended session security.
//!
//! After AUTHENTICATE both ends hold the exported session key. From it each derives, per
//! direction (MS-NLMP 3.4.5.2, 3.4.5.3):
//!
//! * a signing key, `MD5(key || "session key to <dir> signing key magic constant\0")`;
//! * a sealing key, the same over the "sealing key" constant and the key cut to 16, 7 or
//!   5 bytes (NEGOTIATE_128, NEGOTIATE_56, neither), which keys one RC4 stream per
//!   direction that runs on across messages (connection-oriented mode, MS-NLMP 3.4).
//!
//! A signature (NTLMSSP_MESSAGE_SIGNATURE, MS-NLMP 2.2.2.9.1) is 16 bytes: version 1,
//! the first 8 bytes of `HMAC_MD5(SigningKey, SeqNum || Message)` — passed once more
//! through the direction's RC4 stream when keys were exchanged (NEGOTIATE_KEY_EXCH) —
//! and the sequence number, which counts the messages of the direction from 0
//! (MS-NLMP 3.4.4.2). Sealing (3.4.3) runs the data through the same RC4 stream first,
//! then signs the plaintext.
//!
//! The signed message and the sealed data need not be the same bytes: DCE/RPC signs the
//! whole PDU (header, body, padding and sec_trailer) but seals only the stub and its
//! padding (MS-RPCE 3.3.1.5.2.2), so [`NtlmSession::seal`] and [`NtlmSession::unseal`]
//! take the message and the range of it that is encrypted.
//!
//! Only extended session security is implemented: it is what NTLMv2 clients negotiate,
//! and the only kind [`super::NtlmServer`] accepts here. [`NtlmSession::new`] refuses
//! flags without it ([`SessionSecurityError::NoExtendedSessionSecurity`]).

use std::fmt;
use std::ops::Range;

use md5::{Digest, Md5};
use rc4::consts::U16;
use rc4::{KeyInit, Rc4, StreamCipher};
use subtle::ConstantTimeEq;

use super::{NegotiateFlags, hmac_md5};

/// Bytes of an NTLMSSP message signature.
pub const SIGNATURE_LEN: usize = 16;

const CLIENT_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// Which end of the exchange a session is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The client: sends with the client-to-server keys.
    Client,
    /// The server: sends with the server-to-client keys.
    Server,
}

/// Why session security could not start or a message did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionSecurityError {
    /// The negotiated flags lack NEGOTIATE_EXTENDED_SESSIONSECURITY.
    #[error("NTLM session security without extended session security is not supported")]
    NoExtendedSessionSecurity,
    /// The signature is not 16 bytes or its version is not 1.
    #[error("malformed NTLMSSP message signature")]
    Malformed,
    /// The sequence number is not the one expected.
    #[error("NTLMSSP sequence number {found}, expected {expected}")]
    BadSequence {
        /// The next sequence number of the receiving direction.
        expected: u32,
        /// The one in the signature.
        found: u32,
    },
    /// The checksum does not match the message.
    #[error("NTLMSSP message signature does not verify")]
    BadChecksum,
    /// The range to seal lies outside the message.
    #[error("sealed range outside the message")]
    BadRange,
}

/// `SIGNKEY` with extended session security (MS-NLMP 3.4.5.2).
pub fn sign_key(exported_session_key: &[u8; 16], role: Role) -> [u8; 16] {
    let magic = match role {
        Role::Client => CLIENT_SIGN,
        Role::Server => SERVER_SIGN,
    };
    Md5::new()
        .chain_update(exported_session_key)
        .chain_update(magic)
        .finalize()
        .into()
}

/// `SEALKEY` with extended session security (MS-NLMP 3.4.5.3): the exported key cut to
/// the negotiated strength, then hashed with the direction's constant.
pub fn seal_key(exported_session_key: &[u8; 16], flags: NegotiateFlags, role: Role) -> [u8; 16] {
    let len = if flags.contains(NegotiateFlags::NEG_128) {
        16
    } else if flags.contains(NegotiateFlags::NEG_56) {
        7
    } else {
        5
    };
    let magic = match role {
        Role::Client => CLIENT_SEAL,
        Role::Server => SERVER_SEAL,
    };
    Md5::new()
        .chain_update(&exported_session_key[..len])
        .chain_update(magic)
        .finalize()
        .into()
}

/// One direction: its signing key, RC4 stream and next sequence number.
struct Half {
    sign_key: [u8; 16],
    seal_key: [u8; 16],
    rc4: Rc4<U16>,
    seq: u32,
}

impl Half {
    fn new(exported: &[u8; 16], flags: NegotiateFlags, role: Role) -> Half {
        let key = seal_key(exported, flags, role);
        Half {
            sign_key: sign_key(exported, role),
            seal_key: key,
            rc4: Rc4::new(&key.into()),
            seq: 0,
        }
    }

    fn reset(&mut self) {
        self.rc4 = Rc4::new(&self.seal_key.into());
        self.seq = 0;
    }

    /// The checksum of `message` under sequence number `seq`, through RC4 when keys were
    /// exchanged (this advances the stream by 8 bytes).
    fn checksum(&mut self, seq: u32, message: &[u8], key_exch: bool) -> [u8; 8] {
        let mac = hmac_md5(&self.sign_key, &[&seq.to_le_bytes(), message]);
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&mac[..8]);
        if key_exch {
            self.rc4.apply_keystream(&mut sum);
        }
        sum
    }
}

/// The session security state of one end of an NTLM logon (MS-NLMP 3.4).
///
/// Messages must be signed and verified in the order they travel: each direction's
/// sequence number and RC4 stream move on with every message. `Debug` prints no keys.
pub struct NtlmSession {
    send: Half,
    recv: Half,
    key_exch: bool,
}

impl fmt::Debug for NtlmSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NtlmSession")
            .field("send_seq", &self.send.seq)
            .field("recv_seq", &self.recv.seq)
            .field("key_exch", &self.key_exch)
            .finish_non_exhaustive()
    }
}

impl NtlmSession {
    /// The session of `role` after a logon that exported `exported_session_key` with the
    /// final negotiated `flags`.
    pub fn new(
        exported_session_key: &[u8; 16],
        flags: NegotiateFlags,
        role: Role,
    ) -> Result<NtlmSession, SessionSecurityError> {
        if !flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            return Err(SessionSecurityError::NoExtendedSessionSecurity);
        }
        let peer = match role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        Ok(NtlmSession {
            send: Half::new(exported_session_key, flags, role),
            recv: Half::new(exported_session_key, flags, peer),
            key_exch: flags.contains(NegotiateFlags::KEY_EXCH),
        })
    }

    /// Starts both directions afresh: RC4 streams rekeyed, sequence numbers back to 0.
    pub fn reset(&mut self) {
        self.send.reset();
        self.recv.reset();
    }

    /// Restarts both RC4 streams from their sealing keys, keeping the sequence numbers.
    /// This is what follows the SPNEGO mechListMIC exchange when the NTLM AUTHENTICATE
    /// carried a MIC: the MICs spent sequence number 0 of each direction, and the first
    /// message after them is signed with number 1 and a fresh RC4 stream.
    pub fn restart_streams(&mut self) {
        for half in [&mut self.send, &mut self.recv] {
            let seq = half.seq;
            half.reset();
            half.seq = seq;
        }
    }

    /// The sequence number the next signed message will carry.
    pub fn send_seq(&self) -> u32 {
        self.send.seq
    }

    /// Signs an outgoing `message` (MS-NLMP 3.4.4.2).
    pub fn sign(&mut self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let seq = self.send.seq;
        self.send.seq = seq.wrapping_add(1);
        let sum = self.send.checksum(seq, message, self.key_exch);
        signature(&sum, seq)
    }

    /// Verifies the `signature` of an incoming `message`.
    pub fn verify(&mut self, message: &[u8], signature: &[u8]) -> Result<(), SessionSecurityError> {
        let (sum, seq) = self.expect(signature)?;
        let want = self.recv.checksum(seq, message, self.key_exch);
        check(&want, &sum)
    }

    /// Seals `message[sealed]` in place (RC4, MS-NLMP 3.4.3) and returns the signature of
    /// the whole `message`, taken over its plaintext.
    pub fn seal(
        &mut self,
        message: &mut [u8],
        sealed: Range<usize>,
    ) -> Result<[u8; SIGNATURE_LEN], SessionSecurityError> {
        if sealed.start > sealed.end || sealed.end > message.len() {
            return Err(SessionSecurityError::BadRange);
        }
        let seq = self.send.seq;
        self.send.seq = seq.wrapping_add(1);
        let mac = hmac_md5(&self.send.sign_key, &[&seq.to_le_bytes(), message]);
        self.send.rc4.apply_keystream(&mut message[sealed]);
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&mac[..8]);
        if self.key_exch {
            self.send.rc4.apply_keystream(&mut sum);
        }
        Ok(signature(&sum, seq))
    }

    /// Decrypts `message[sealed]` in place, then verifies `signature` over the whole
    /// plaintext `message`. On an error the message's contents are unspecified.
    pub fn unseal(
        &mut self,
        message: &mut [u8],
        sealed: Range<usize>,
        signature: &[u8],
    ) -> Result<(), SessionSecurityError> {
        if sealed.start > sealed.end || sealed.end > message.len() {
            return Err(SessionSecurityError::BadRange);
        }
        let (sum, seq) = self.expect(signature)?;
        self.recv.rc4.apply_keystream(&mut message[sealed]);
        let want = self.recv.checksum(seq, message, self.key_exch);
        check(&want, &sum)
    }

    /// Parses a received signature and takes its sequence number, which must be the next
    /// one of the receiving direction.
    fn expect(&mut self, signature: &[u8]) -> Result<([u8; 8], u32), SessionSecurityError> {
        let sig: &[u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| SessionSecurityError::Malformed)?;
        if sig[..4] != [1, 0, 0, 0] {
            return Err(SessionSecurityError::Malformed);
        }
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&sig[4..12]);
        let found = u32::from_le_bytes([sig[12], sig[13], sig[14], sig[15]]);
        let expected = self.recv.seq;
        if found != expected {
            return Err(SessionSecurityError::BadSequence { expected, found });
        }
        self.recv.seq = expected.wrapping_add(1);
        Ok((sum, found))
    }
}

fn signature(sum: &[u8; 8], seq: u32) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(sum);
    out[12..].copy_from_slice(&seq.to_le_bytes());
    out
}

fn check(want: &[u8; 8], got: &[u8; 8]) -> Result<(), SessionSecurityError> {
    if bool::from(want.ct_eq(got)) {
        Ok(())
    } else {
        Err(SessionSecurityError::BadChecksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MS-NLMP 4.2.1: the RandomSessionKey of the examples (the exported key of 4.2.4,
    /// where keys are exchanged).
    const SESSION_KEY: [u8; 16] = [0x55; 16];

    fn flags() -> NegotiateFlags {
        NegotiateFlags::EXTENDED_SESSIONSECURITY
            | NegotiateFlags::KEY_EXCH
            | NegotiateFlags::NEG_128
            | NegotiateFlags::SIGN
            | NegotiateFlags::SEAL
    }

    fn plaintext() -> Vec<u8> {
        "Plaintext"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    #[test]
    fn keys_match_ms_nlmp_4_2_4_4() {
        assert_eq!(
            seal_key(&SESSION_KEY, flags(), Role::Client),
            [
                0x59, 0xf6, 0x00, 0x97, 0x3c, 0xc4, 0x96, 0x0a, 0x25, 0x48, 0x0a, 0x7c, 0x19, 0x6e,
                0x4c, 0x58
            ]
        );
        assert_eq!(
            sign_key(&SESSION_KEY, Role::Client),
            [
                0x47, 0x88, 0xdc, 0x86, 0x1b, 0x47, 0x82, 0xf3, 0x5d, 0x43, 0xfd, 0x98, 0xfe, 0x1a,
                0x2d, 0x39
            ]
        );
    }

    #[test]
    fn seal_matches_ms_nlmp_4_2_4_4() {
        let mut client = NtlmSession::new(&SESSION_KEY, flags(), Role::Client).unwrap();
        let mut msg = plaintext();
        let len = msg.len();
        let sig = client.seal(&mut msg, 0..len).unwrap();
        assert_eq!(
            msg,
            [
                0x54, 0xe5, 0x01, 0x65, 0xbf, 0x19, 0x36, 0xdc, 0x99, 0x60, 0x20, 0xc1, 0x81, 0x1b,
                0x0f, 0x06, 0xfb, 0x5f
            ]
        );
        assert_eq!(
            sig,
            [
                0x01, 0x00, 0x00, 0x00, 0x7f, 0xb3, 0x8e, 0xc5, 0xc5, 0x5d, 0x49, 0x76, 0x00, 0x00,
                0x00, 0x00
            ]
        );
        // The server reverses it.
        let mut server = NtlmSession::new(&SESSION_KEY, flags(), Role::Server).unwrap();
        server.unseal(&mut msg, 0..len, &sig).unwrap();
        assert_eq!(msg, plaintext());
    }

    #[test]
    fn sign_and_verify_both_ways_with_sequence() {
        let mut c = NtlmSession::new(&[7; 16], flags(), Role::Client).unwrap();
        let mut s = NtlmSession::new(&[7; 16], flags(), Role::Server).unwrap();
        for i in 0..3u32 {
            let m = format!("message {i}");
            let sig = c.sign(m.as_bytes());
            assert_eq!(&sig[12..], &i.to_le_bytes());
            s.verify(m.as_bytes(), &sig).unwrap();
            let back = s.sign(b"answer");
            c.verify(b"answer", &back).unwrap();
        }
        // A tampered message, a replayed signature, a short one.
        let sig = c.sign(b"x");
        assert_eq!(s.verify(b"y", &sig), Err(SessionSecurityError::BadChecksum));
        let sig = c.sign(b"x");
        s.verify(b"x", &sig).unwrap();
        assert_eq!(
            s.verify(b"x", &sig),
            Err(SessionSecurityError::BadSequence {
                expected: 5,
                found: 4
            })
        );
        assert_eq!(
            s.verify(b"x", &sig[..15]),
            Err(SessionSecurityError::Malformed)
        );
    }

    #[test]
    fn reset_restarts_both_directions() {
        let mut c = NtlmSession::new(&[3; 16], flags(), Role::Client).unwrap();
        let first = c.sign(b"m");
        c.sign(b"m");
        c.reset();
        assert_eq!(c.sign(b"m"), first);
    }

    #[test]
    fn restarting_the_streams_keeps_the_sequence() {
        let mut c = NtlmSession::new(&[3; 16], flags(), Role::Client).unwrap();
        let mut s = NtlmSession::new(&[3; 16], flags(), Role::Server).unwrap();
        s.verify(b"mic", &c.sign(b"mic")).unwrap();
        c.restart_streams();
        s.restart_streams();
        let sig = c.sign(b"next");
        assert_eq!(&sig[12..], &1u32.to_le_bytes());
        s.verify(b"next", &sig).unwrap();
    }

    #[test]
    fn partial_seal_signs_the_whole_message() {
        let mut c = NtlmSession::new(&[9; 16], flags(), Role::Client).unwrap();
        let mut s = NtlmSession::new(&[9; 16], flags(), Role::Server).unwrap();
        let original = b"HEADERsecret stubTRAILER".to_vec();
        let mut m = original.clone();
        let sig = c.seal(&mut m, 6..17).unwrap();
        assert_eq!(&m[..6], b"HEADER");
        assert_ne!(&m[6..17], b"secret stub");
        let mut tampered = m.clone();
        tampered[0] ^= 1;
        let mut s2 = NtlmSession::new(&[9; 16], flags(), Role::Server).unwrap();
        assert!(s2.unseal(&mut tampered, 6..17, &sig).is_err());
        s.unseal(&mut m, 6..17, &sig).unwrap();
        assert_eq!(m, original);
        assert_eq!(c.seal(&mut m, 3..99), Err(SessionSecurityError::BadRange));
    }

    #[test]
    fn without_key_exchange_the_checksum_is_plain() {
        let f = NegotiateFlags::EXTENDED_SESSIONSECURITY | NegotiateFlags::NEG_128;
        let mut c = NtlmSession::new(&[1; 16], f, Role::Client).unwrap();
        let sig = c.sign(b"abc");
        let mac = hmac_md5(&sign_key(&[1; 16], Role::Client), &[&[0, 0, 0, 0], b"abc"]);
        assert_eq!(&sig[4..12], &mac[..8]);
        assert_eq!(
            NtlmSession::new(&[1; 16], NegotiateFlags::NEG_128, Role::Client).unwrap_err(),
            SessionSecurityError::NoExtendedSessionSecurity
        );
    }
}
