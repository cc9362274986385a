//! The initiating side of an NTLMSSP logon inside SPNEGO (or raw): the client the tests
//! and, later, the redirector use against an [`Acceptor`](crate::acceptor::Acceptor).
//!
//! ```text
//! first()                       ──▶ NegTokenInit(mechTypes, NEGOTIATE if NTLMSSP is first)
//! step(accept-incomplete, no token) ──▶ NegTokenResp(NEGOTIATE)     NTLMSSP not first
//! step(accept-incomplete, CHALLENGE) ──▶ NegTokenResp(AUTHENTICATE, mechListMIC)
//! finish(accept-completed, mechListMIC) ──▶ the server's MIC verified
//! ```
//!
//! [`MicMode`] lets a test send a wrong mechListMIC or none at all, to check that an
//! acceptor refuses them.

use std::fmt;

use crate::ntlm::{
    AuthError, ClientAuthenticate, NtlmClient, NtlmCredentials, NtlmSession, Role,
    SessionSecurityError,
};
use crate::spnego::{self, GssToken, NegState, NegTokenInit, NegTokenResp, Oid};

/// What mechListMIC the initiator sends with its AUTHENTICATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicMode {
    /// The right one.
    Correct,
    /// None.
    Omit,
    /// One with a flipped bit.
    Corrupt,
}

/// Why the initiator could not go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitiatorError {
    /// The server's token does not decode or comes out of turn.
    #[error("unexpected token from the acceptor")]
    Unexpected,
    /// The server rejected the negotiation.
    #[error("the acceptor rejected the negotiation")]
    Rejected,
    /// The NTLM exchange failed.
    #[error(transparent)]
    Ntlm(#[from] AuthError),
    /// The server's mechListMIC does not verify.
    #[error("the acceptor's mechListMIC does not verify")]
    BadServerMic(#[from] SessionSecurityError),
}

/// A client-side logon.
pub struct Initiator {
    ntlm: NtlmClient,
    spnego: bool,
    mech_types: Vec<Oid>,
    mic: MicMode,
    negotiated: bool,
    done: Option<ClientAuthenticate>,
    security: Option<NtlmSession>,
}

impl fmt::Debug for Initiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Initiator")
            .field("spnego", &self.spnego)
            .field("mech_types", &self.mech_types)
            .field("mic", &self.mic)
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// An initiator offering NTLMSSP alone inside SPNEGO.
    pub fn spnego(creds: NtlmCredentials) -> Initiator {
        Initiator {
            ntlm: NtlmClient::new(creds),
            spnego: true,
            mech_types: vec![Oid::ntlmssp()],
            mic: MicMode::Correct,
            negotiated: false,
            done: None,
            security: None,
        }
    }

    /// An initiator sending bare NTLMSSP messages.
    pub fn raw(creds: NtlmCredentials) -> Initiator {
        Initiator {
            spnego: false,
            ..Initiator::spnego(creds)
        }
    }

    /// Offers `mechs` (they must include NTLMSSP to get anywhere). With another mechanism
    /// first, the first token carries no NTLMSSP message.
    pub fn with_mech_types(mut self, mechs: Vec<Oid>) -> Initiator {
        self.mech_types = mechs;
        self
    }

    /// Chooses the mechListMIC sent with the AUTHENTICATE.
    pub fn with_mic(mut self, mic: MicMode) -> Initiator {
        self.mic = mic;
        self
    }

    fn ntlm_first(&self) -> bool {
        self.mech_types.first() == Some(&Oid::ntlmssp())
    }

    /// The first token: a NegTokenInit, or a raw NEGOTIATE.
    pub fn first(&mut self) -> Vec<u8> {
        if !self.spnego {
            self.negotiated = true;
            return self.ntlm.negotiate();
        }
        let mech_token = self.ntlm_first().then(|| {
            self.negotiated = true;
            self.ntlm.negotiate()
        });
        NegTokenInit {
            mech_types: self.mech_types.clone(),
            mech_token,
            ..NegTokenInit::default()
        }
        .encode()
    }

    /// Answers the acceptor's token with the next one. `now` is a FILETIME used when the
    /// CHALLENGE carries no timestamp.
    pub fn step(&mut self, server: &[u8], now: u64) -> Result<Vec<u8>, InitiatorError> {
        if !self.spnego {
            let done = self.ntlm.authenticate(server, now)?;
            let msg = done.message.clone();
            self.done = Some(done);
            return Ok(msg);
        }
        let Ok(GssToken::Resp(resp)) = GssToken::decode(server) else {
            return Err(InitiatorError::Unexpected);
        };
        if resp.neg_state == Some(NegState::REJECT) {
            return Err(InitiatorError::Rejected);
        }
        let resp_token = |token, mic| {
            NegTokenResp {
                neg_state: None,
                supported_mech: None,
                response_token: Some(token),
                mech_list_mic: mic,
            }
            .encode()
        };
        let Some(challenge) = resp.response_token else {
            if self.negotiated {
                return Err(InitiatorError::Unexpected);
            }
            self.negotiated = true;
            return Ok(resp_token(self.ntlm.negotiate(), None));
        };
        let done = self.ntlm.authenticate(&challenge, now)?;
        let list = spnego::mech_type_list(&self.mech_types);
        let mut security = NtlmSession::new(&done.session_key, done.flags, Role::Client)?;
        let mut mic = security.sign(&list).to_vec();
        if self.mic == MicMode::Corrupt {
            mic[6] ^= 0x40;
        }
        let message = done.message.clone();
        self.done = Some(done);
        self.security = Some(security);
        Ok(resp_token(
            message,
            (self.mic != MicMode::Omit).then_some(mic),
        ))
    }

    /// Reads the acceptor's final token (SPNEGO) and verifies its mechListMIC if it sent
    /// one; returns whether it did.
    pub fn finish(&mut self, server: &[u8]) -> Result<bool, InitiatorError> {
        if !self.spnego {
            return Ok(false);
        }
        let Ok(GssToken::Resp(resp)) = GssToken::decode(server) else {
            return Err(InitiatorError::Unexpected);
        };
        if resp.neg_state != Some(NegState::ACCEPT_COMPLETED) {
            return Err(InitiatorError::Rejected);
        }
        match (resp.mech_list_mic, self.security.as_mut()) {
            (Some(mic), Some(s)) => {
                s.verify(&spnego::mech_type_list(&self.mech_types), &mic)?;
                s.restart_streams();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The exported session key, once the AUTHENTICATE is made.
    pub fn session_key(&self) -> Option<[u8; 16]> {
        self.done.as_ref().map(|d| d.session_key)
    }
}
