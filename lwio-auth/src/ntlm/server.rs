//! The server side of an NTLMSSP exchange, NTLMv2 only (MS-NLMP 3.2.5).
//!
//! ```text
//! NtlmServer::new ──challenge(NEGOTIATE)──▶ CHALLENGE bytes
//!                 ──authenticate(AUTHENTICATE, lookup)──▶ Authenticated | AuthError
//! ```
//!
//! The server never sees a password: the caller's lookup maps (user, domain) to the
//! user's NT hash. The NTProofStr and the MIC are compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;

use super::{
    AuthError, AuthenticateMessage, AvId, AvPair, AvPairs, ChallengeMessage, NegotiateFlags,
    NegotiateMessage, NtHash, NtlmDecodeError, NtlmVersion, compute_mic, ntowfv2, random, rc4_16,
    session_base_key,
};
use lwio_types::utf16::encode_utf16le as utf16le;

/// The names a server announces in its CHALLENGE TargetInfo (MS-NLMP 2.2.2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerNames {
    /// NetBIOS computer name (MsvAvNbComputerName).
    pub nb_computer: String,
    /// NetBIOS domain name (MsvAvNbDomainName), also the TargetName.
    pub nb_domain: String,
    /// DNS computer name (MsvAvDnsComputerName); omitted when empty.
    pub dns_computer: String,
    /// DNS domain name (MsvAvDnsDomainName); omitted when empty.
    pub dns_domain: String,
    /// DNS forest name (MsvAvDnsTreeName); omitted when empty.
    pub dns_tree: String,
}

impl ServerNames {
    fn av_pairs(&self, now: u64) -> AvPairs {
        let mut v = vec![
            AvPair::name(AvId::NB_DOMAIN_NAME, &self.nb_domain),
            AvPair::name(AvId::NB_COMPUTER_NAME, &self.nb_computer),
        ];
        for (id, s) in [
            (AvId::DNS_DOMAIN_NAME, &self.dns_domain),
            (AvId::DNS_COMPUTER_NAME, &self.dns_computer),
            (AvId::DNS_TREE_NAME, &self.dns_tree),
        ] {
            if !s.is_empty() {
                v.push(AvPair::name(id, s));
            }
        }
        v.push(AvPair {
            id: AvId::TIMESTAMP,
            value: now.to_le_bytes().to_vec(),
        });
        AvPairs(v)
    }
}

/// A source of the current time as a FILETIME (100 ns units since 1601-01-01 UTC).
pub type Clock = Box<dyn Fn() -> u64 + Send + Sync>;

/// The current system time as a FILETIME.
pub fn system_filetime() -> u64 {
    const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    UNIX_EPOCH_AS_FILETIME + (d.as_nanos() / 100) as u64
}

/// The outcome of a successful authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The user name as the client sent it.
    pub user: String,
    /// The domain name as the client sent it.
    pub domain: String,
    /// The client's workstation name.
    pub workstation: String,
    /// The exported session key: the key SMB2 signing and key derivation start from. All
    /// zeros for anonymous and guest logons.
    pub session_key: [u8; 16],
    /// The client logged on anonymously (empty user and NT response); the caller decides
    /// whether that is allowed.
    pub anonymous: bool,
    /// The user is unknown and the server was told to map unknown users to guest.
    pub guest: bool,
    /// The final negotiated flags.
    pub flags: NegotiateFlags,
    /// The timestamp in the client's NTLMv2 response, if any.
    pub client_timestamp: Option<u64>,
    /// Client timestamp minus the server's time at CHALLENGE, in seconds (not enforced).
    pub timestamp_skew_secs: Option<i64>,
    /// Whether a MIC was present and verified.
    pub mic_verified: bool,
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("workstation", &self.workstation)
            .field("anonymous", &self.anonymous)
            .field("guest", &self.guest)
            .field("flags", &self.flags)
            .field("client_timestamp", &self.client_timestamp)
            .field("timestamp_skew_secs", &self.timestamp_skew_secs)
            .field("mic_verified", &self.mic_verified)
            .finish_non_exhaustive()
    }
}

enum State {
    Initial,
    Challenged {
        negotiate: Vec<u8>,
        challenge: Vec<u8>,
        server_challenge: [u8; 8],
        flags: NegotiateFlags,
        now: u64,
    },
    Done,
}

/// The flags this server can grant when the client asks for them.
const GRANTABLE: NegotiateFlags = NegotiateFlags(
    NegotiateFlags::UNICODE.0
        | NegotiateFlags::SIGN.0
        | NegotiateFlags::SEAL.0
        | NegotiateFlags::KEY_EXCH.0
        | NegotiateFlags::NEG_128.0
        | NegotiateFlags::NEG_56.0
        | NegotiateFlags::EXTENDED_SESSIONSECURITY.0
        | NegotiateFlags::ALWAYS_SIGN.0
        | NegotiateFlags::REQUEST_TARGET.0,
);

/// A server-side NTLMSSP exchange.
pub struct NtlmServer {
    names: ServerNames,
    clock: Clock,
    guest_fallback: bool,
    state: State,
}

impl fmt::Debug for NtlmServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NtlmServer")
            .field("names", &self.names)
            .field("guest_fallback", &self.guest_fallback)
            .finish_non_exhaustive()
    }
}

impl NtlmServer {
    /// A server announcing `names`, reading the time from `clock` (a FILETIME source such
    /// as [`system_filetime`]).
    pub fn new(names: ServerNames, clock: Clock) -> NtlmServer {
        NtlmServer {
            names,
            clock,
            guest_fallback: false,
            state: State::Initial,
        }
    }

    /// When set, a user the lookup does not know logs on as guest (with a zero session
    /// key) instead of failing.
    pub fn with_guest_fallback(mut self, on: bool) -> NtlmServer {
        self.guest_fallback = on;
        self
    }

    /// Answers a NEGOTIATE with a CHALLENGE carrying a fresh random server challenge.
    pub fn challenge(&mut self, negotiate: &[u8]) -> Result<Vec<u8>, AuthError> {
        if !matches!(self.state, State::Initial) {
            return Err(AuthError::WrongState);
        }
        let neg = NegotiateMessage::decode(negotiate)?;
        let mut server_challenge = [0u8; 8];
        random(&mut server_challenge)?;
        let now = (self.clock)();
        let mut flags = neg.flags.intersection(GRANTABLE)
            | NegotiateFlags::NTLM
            | NegotiateFlags::TARGET_INFO
            | NegotiateFlags::VERSION;
        if !flags.contains(NegotiateFlags::UNICODE) {
            flags |= NegotiateFlags::OEM;
        }
        if flags.contains(NegotiateFlags::REQUEST_TARGET) {
            flags |= NegotiateFlags::TARGET_TYPE_SERVER;
        }
        let target_name = if flags.contains(NegotiateFlags::UNICODE) {
            utf16le(&self.names.nb_domain)
        } else {
            self.names.nb_domain.as_bytes().to_vec()
        };
        let msg = ChallengeMessage {
            target_name,
            flags,
            server_challenge,
            reserved: [0; 8],
            target_info: Some(self.names.av_pairs(now)),
            version: Some(NtlmVersion::DEFAULT),
        };
        let bytes = msg.encode();
        self.state = State::Challenged {
            negotiate: negotiate.to_vec(),
            challenge: bytes.clone(),
            server_challenge,
            flags,
            now,
        };
        Ok(bytes)
    }

    /// Verifies an AUTHENTICATE. `lookup` maps (user, domain) as the client sent them to
    /// the user's NT hash. The exchange is over after this call, whatever its outcome.
    pub fn authenticate(
        &mut self,
        authenticate: &[u8],
        lookup: &dyn Fn(&str, &str) -> Option<NtHash>,
    ) -> Result<Authenticated, AuthError> {
        let State::Challenged {
            negotiate,
            challenge,
            server_challenge,
            flags: offered,
            now,
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(AuthError::WrongState);
        };
        let auth = AuthenticateMessage::decode(authenticate)?;
        let user = auth.user_name();
        let domain = auth.domain_name();
        let workstation = auth.workstation_name();
        let flags = auth.flags.intersection(offered | NegotiateFlags::ANONYMOUS);
        let mut out = Authenticated {
            user,
            domain,
            workstation,
            session_key: [0; 16],
            anonymous: false,
            guest: false,
            flags,
            client_timestamp: None,
            timestamp_skew_secs: None,
            mic_verified: false,
        };

        // Anonymous: no user, no NT response, an LM response of one zero byte or none.
        if out.user.is_empty()
            && auth.nt_response.is_empty()
            && (auth.lm_response.is_empty() || auth.lm_response == [0])
        {
            out.anonymous = true;
            return Ok(out);
        }
        if auth.nt_response.len() <= 24 {
            // NTLMv1 (24 bytes), LM only (empty NT response) or nothing usable.
            return Err(AuthError::NtlmV1Refused);
        }
        if auth.nt_response.len() < 16 + 28 {
            return Err(NtlmDecodeError::BadNtlmV2Response.into());
        }
        let (proof, blob) = auth.nt_response.split_at(16);
        let (client_pairs, client_ts) = parse_blob(blob)?;
        out.client_timestamp = Some(client_ts);
        out.timestamp_skew_secs = Some(((client_ts as i128 - now as i128) / 10_000_000) as i64);

        let Some(nt) = lookup(&out.user, &out.domain) else {
            if self.guest_fallback {
                out.guest = true;
                return Ok(out);
            }
            return Err(AuthError::NoSuchUser);
        };
        let key_nt = ntowfv2(&nt, &out.user, &out.domain);
        let expected = super::nt_proof_str(&key_nt, &server_challenge, blob);
        if !bool::from(expected.ct_eq(proof)) {
            return Err(AuthError::BadResponse);
        }
        let mut proof_arr = [0u8; 16];
        proof_arr.copy_from_slice(proof);
        let key_exchange_key = session_base_key(&key_nt, &proof_arr);
        let exported = if flags.contains(NegotiateFlags::KEY_EXCH) {
            let enc: [u8; 16] = auth
                .encrypted_random_session_key
                .as_slice()
                .try_into()
                .map_err(|_| AuthError::BadSessionKey)?;
            rc4_16(&key_exchange_key, &enc)
        } else {
            key_exchange_key
        };

        if client_pairs.flags().contains(super::AvFlags::MIC_PRESENT) {
            let Some(mic) = auth.mic else {
                return Err(AuthError::MicMissing);
            };
            let mut zeroed = authenticate.to_vec();
            zeroed[super::MIC_OFFSET..super::MIC_OFFSET + 16].fill(0);
            let want = compute_mic(&exported, &negotiate, &challenge, &zeroed);
            if !bool::from(want.ct_eq(&mic)) {
                return Err(AuthError::MicMismatch);
            }
            out.mic_verified = true;
        }
        out.session_key = exported;
        Ok(out)
    }
}

/// Reads the NTLMv2 client challenge structure: its AV pairs and timestamp.
fn parse_blob(blob: &[u8]) -> Result<(AvPairs, u64), NtlmDecodeError> {
    let bad = NtlmDecodeError::BadNtlmV2Response;
    if blob.len() < 28 || blob[0] != 1 {
        return Err(bad);
    }
    let ts = lwio_types::Reader::at(blob, 8)
        .u64()
        .map_err(|_| bad.clone())?;
    let (pairs, _) = AvPairs::decode_prefix(&blob[28..]).map_err(|_| bad)?;
    Ok((pairs, ts))
}
