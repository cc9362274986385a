//! The client side of an NTLMSSP exchange: NTLMv2 with key exchange and a MIC
//! (MS-NLMP 3.1.5). Used by the tests and, later, by the redirector.

use std::fmt;

use super::{
    AuthError, AuthenticateMessage, AvFlags, AvId, ChallengeMessage, NegotiateFlags,
    NegotiateMessage, NtHash, NtlmVersion, compute_mic, lmv2_response, ntlmv2_client_blob, ntowfv2,
    ntv2_response, random, rc4_16, session_base_key,
};
use lwio_types::utf16::encode_utf16le as utf16le;

/// Who the client logs on as.
#[derive(Clone, PartialEq, Eq)]
pub struct NtlmCredentials {
    /// The user name.
    pub user: String,
    /// The user's domain.
    pub domain: String,
    /// The client's workstation name.
    pub workstation: String,
    /// The user's NT hash (see [`super::nt_hash`]).
    pub nt_hash: NtHash,
}

impl fmt::Debug for NtlmCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NtlmCredentials")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("workstation", &self.workstation)
            .finish_non_exhaustive()
    }
}

/// The client's second message and the key it shares with the server from then on.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientAuthenticate {
    /// The encoded AUTHENTICATE message.
    pub message: Vec<u8>,
    /// The exported session key.
    pub session_key: [u8; 16],
    /// The flags of the AUTHENTICATE message: what session security
    /// ([`super::NtlmSession`]) runs with.
    pub flags: NegotiateFlags,
}

impl fmt::Debug for ClientAuthenticate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAuthenticate")
            .field("message", &self.message.len())
            .finish_non_exhaustive()
    }
}

/// The flags this client asks for.
const CLIENT_FLAGS: NegotiateFlags = NegotiateFlags(
    NegotiateFlags::UNICODE.0
        | NegotiateFlags::REQUEST_TARGET.0
        | NegotiateFlags::SIGN.0
        | NegotiateFlags::SEAL.0
        | NegotiateFlags::NTLM.0
        | NegotiateFlags::ALWAYS_SIGN.0
        | NegotiateFlags::EXTENDED_SESSIONSECURITY.0
        | NegotiateFlags::TARGET_INFO.0
        | NegotiateFlags::VERSION.0
        | NegotiateFlags::NEG_128.0
        | NegotiateFlags::KEY_EXCH.0
        | NegotiateFlags::NEG_56.0,
);

/// A client-side NTLMSSP exchange.
#[derive(Debug)]
pub struct NtlmClient {
    creds: NtlmCredentials,
    negotiate: Option<Vec<u8>>,
    client_challenge: Option<[u8; 8]>,
    exported_session_key: Option<[u8; 16]>,
}

impl NtlmClient {
    /// A client logging on with `creds`.
    pub fn new(creds: NtlmCredentials) -> NtlmClient {
        NtlmClient {
            creds,
            negotiate: None,
            client_challenge: None,
            exported_session_key: None,
        }
    }

    /// Fixes the client challenge instead of drawing it at random (for test vectors).
    pub fn with_client_challenge(mut self, c: [u8; 8]) -> NtlmClient {
        self.client_challenge = Some(c);
        self
    }

    /// Fixes the exported session key instead of drawing it at random (for test vectors).
    pub fn with_exported_session_key(mut self, k: [u8; 16]) -> NtlmClient {
        self.exported_session_key = Some(k);
        self
    }

    /// The NEGOTIATE message; it is kept for the MIC.
    pub fn negotiate(&mut self) -> Vec<u8> {
        let msg = NegotiateMessage {
            flags: CLIENT_FLAGS,
            domain: Vec::new(),
            workstation: Vec::new(),
            version: Some(NtlmVersion::DEFAULT),
        }
        .encode();
        self.negotiate = Some(msg.clone());
        msg
    }

    /// Answers the server's CHALLENGE. `now` (a FILETIME) is used when the server sent no
    /// MsvAvTimestamp.
    pub fn authenticate(
        &mut self,
        challenge: &[u8],
        now: u64,
    ) -> Result<ClientAuthenticate, AuthError> {
        let negotiate = self.negotiate.take().ok_or(AuthError::WrongState)?;
        let chal = ChallengeMessage::decode(challenge)?;
        let flags = chal.flags.intersection(CLIENT_FLAGS)
            | NegotiateFlags::UNICODE
            | NegotiateFlags::NTLM
            | NegotiateFlags::VERSION;
        let mut pairs = chal.target_info.clone().unwrap_or_default();
        let server_ts = pairs.timestamp();
        let ts = server_ts.unwrap_or(now);
        let av_flags = AvFlags(pairs.flags().0 | AvFlags::MIC_PRESENT.0);
        pairs.set(AvId::FLAGS, av_flags.0.to_le_bytes().to_vec());

        let client_challenge = match self.client_challenge {
            Some(c) => c,
            None => {
                let mut c = [0u8; 8];
                random(&mut c)?;
                c
            }
        };
        let c = &self.creds;
        let key = ntowfv2(&c.nt_hash, &c.user, &c.domain);
        let blob = ntlmv2_client_blob(ts, &client_challenge, &pairs.encode());
        let nt_response = ntv2_response(&key, &chal.server_challenge, &blob);
        let lm_response = if server_ts.is_some() {
            // With a server timestamp the client sends zeros instead of LMv2 (3.1.5.1.2).
            vec![0; 24]
        } else {
            lmv2_response(&key, &chal.server_challenge, &client_challenge).to_vec()
        };
        let mut proof = [0u8; 16];
        proof.copy_from_slice(&nt_response[..16]);
        let key_exchange_key = session_base_key(&key, &proof);
        let (exported, encrypted) = if flags.contains(NegotiateFlags::KEY_EXCH) {
            let k = match self.exported_session_key {
                Some(k) => k,
                None => {
                    let mut k = [0u8; 16];
                    random(&mut k)?;
                    k
                }
            };
            (k, rc4_16(&key_exchange_key, &k).to_vec())
        } else {
            (key_exchange_key, Vec::new())
        };
        let msg = AuthenticateMessage {
            lm_response,
            nt_response,
            domain: utf16le(&c.domain),
            user: utf16le(&c.user),
            workstation: utf16le(&c.workstation),
            encrypted_random_session_key: encrypted,
            flags,
            version: Some(NtlmVersion::DEFAULT),
            mic: Some([0; 16]),
        };
        let mut bytes = msg.encode();
        let mic = compute_mic(&exported, &negotiate, challenge, &bytes);
        bytes[super::MIC_OFFSET..super::MIC_OFFSET + 16].copy_from_slice(&mic);
        Ok(ClientAuthenticate {
            message: bytes,
            session_key: exported,
            flags,
        })
    }
}
