//! The accepting side of an NTLMSSP logon, raw or inside SPNEGO: one sans-IO state machine
//! that SMB2 SESSION_SETUP and authenticated DCE/RPC binds both drive.
//!
//! Tokens go in, tokens and at last an outcome come out; the caller carries them in
//! whatever its protocol uses (an SMB2 security buffer, a DCE/RPC auth verifier).
//!
//! ```text
//! raw NTLMSSP   NEGOTIATE ──▶ CHALLENGE          AUTHENTICATE ──▶ Done (no token)
//!
//! SPNEGO, NTLMSSP first with its optimistic token:
//!   NegTokenInit(NEGOTIATE)   ──▶ NegTokenResp(accept-incomplete, NTLMSSP, CHALLENGE)
//!   NegTokenResp(AUTHENTICATE, mechListMIC?) ──▶ NegTokenResp(accept-completed, mechListMIC?)
//!
//! SPNEGO, NTLMSSP offered but not first (behind Kerberos, say): one more leg
//!   NegTokenInit(krb5 token)  ──▶ NegTokenResp(accept-incomplete, NTLMSSP)   token dropped
//!   NegTokenResp(NEGOTIATE)   ──▶ NegTokenResp(accept-incomplete, CHALLENGE)
//!   then as above, and the mechListMIC is now required
//!
//! an empty first token (SMB2 clients that start without one) ──▶ our NegTokenInit2
//! ```
//!
//! # The mechListMIC (RFC 4178 section 5, MS-SPNG 3.2.5.1, 3.3.5.1)
//!
//! The MechTypeList the client sent travels unprotected, so a man in the middle could strip
//! Kerberos from it and push both ends down to NTLM. The client's mechListMIC, an NTLM
//! signature over the DER list with sequence number 0, binds the list to the logon. The
//! acceptor verifies it whenever the client sends one, and requires it when the selected
//! mechanism was not the client's first choice or the NTLM AUTHENTICATE carried a MIC
//! (MsvAvFlags bit 0x2): a wrong or missing MIC then fails the logon. The final answer
//! carries our own mechListMIC (sequence number 0 of the server's direction), after which
//! both RC4 streams of the NTLM session restart for the messages that follow.
//!
//! # Accounts and policy
//!
//! The [`AccountSource`] gives the NT hash, then, after the response and the MIC verify,
//! [`AccountSource::logon`] checks the account and builds the token; a wrong password goes
//! to [`AccountSource::logon_failed`] (lockout counting), whose status is answered.
//! [`AcceptorPolicy`] says whether the null session and the Guest account may log on
//! (`allow_guest`) and whether an unknown user name is taken as Guest (`map_to_guest`,
//! Samba's "map to guest = bad user"); both are off by default. Guest and anonymous logons
//! have no session key, hence no signing and no mechListMIC.

use std::fmt;

use lwio_core::AccessToken;
use lwio_core::security::well_known;
use lwio_types::NtStatus;

use crate::accounts::AccountSource;
use crate::ntlm::server::system_filetime;
use crate::ntlm::{
    AuthError, AuthenticateMessage, MessageType, NegotiateFlags, NtlmServer, NtlmSession, Role,
    ServerNames, message_type,
};
use crate::spnego::{self, GssToken, NegState, NegTokenResp, Oid};

/// Which token framings an acceptor takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Bare NTLMSSP messages only (DCE/RPC `RPC_C_AUTHN_WINNT`).
    Ntlm,
    /// SPNEGO only (DCE/RPC `RPC_C_AUTHN_GSS_NEGOTIATE`).
    Spnego,
    /// Either, as the client's first token shows (SMB2 SESSION_SETUP).
    Either,
}

/// Who besides the store's own accounts may log on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptorPolicy {
    /// The null session (anonymous logon) and the Guest account, named as such, may log
    /// on.
    pub allow_guest: bool,
    /// A user name the store does not know logs on as Guest instead of failing.
    pub map_to_guest: bool,
}

/// What kind of logon succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogonKind {
    /// An account of the store, its password verified.
    User,
    /// The Guest account: the Guest name itself, or an unknown name under `map_to_guest`.
    Guest,
    /// The null session (empty user name and responses).
    Anonymous,
}

/// A successful logon.
pub struct Logon {
    /// The user name as the client sent it.
    pub user: String,
    /// The domain name as the client sent it.
    pub domain: String,
    /// The client's workstation name.
    pub workstation: String,
    /// What logged on.
    pub kind: LogonKind,
    /// The token of the logon: the store's for a user, its Guest token, or the anonymous
    /// token (S-1-5-7 with Everyone).
    pub token: AccessToken,
    /// The exported session key; zeros for Guest and anonymous logons.
    pub session_key: [u8; 16],
    /// NTLM session security for what follows (DCE/RPC signs and seals with it), with the
    /// mechListMIC exchange already accounted for; `None` for Guest and anonymous logons
    /// and without extended session security.
    pub security: Option<NtlmSession>,
    /// The final negotiated NTLM flags.
    pub flags: NegotiateFlags,
}

impl fmt::Debug for Logon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logon")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Why a logon failed, beyond its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// A token that does not decode or comes out of turn.
    Malformed,
    /// A mechanism list without NTLMSSP, or a framing this acceptor does not take.
    Unsupported,
    /// A wrong password or an unknown user: what a password guesser produces.
    BadCredentials,
    /// The credentials verified but the logon is refused: a disabled, locked or expired
    /// account, a Guest or anonymous logon the policy does not allow, NTLMv1.
    Refused,
    /// The NTLM MIC or the SPNEGO mechListMIC is missing where required, or wrong.
    Integrity,
}

/// A failed logon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogonFailure {
    /// The status to answer.
    pub status: NtStatus,
    /// Why.
    pub kind: FailureKind,
    /// The user and domain named by the AUTHENTICATE, when one was read.
    pub account: Option<(String, String)>,
}

impl LogonFailure {
    fn new(kind: FailureKind, status: NtStatus) -> LogonFailure {
        LogonFailure {
            status,
            kind,
            account: None,
        }
    }

    /// Whether the failure is a logon attempt that an authentication rate limiter should
    /// slow down (everything but malformed or unsupported tokens).
    pub fn is_logon_attempt(&self) -> bool {
        !matches!(self.kind, FailureKind::Malformed | FailureKind::Unsupported)
    }
}

/// What one token gives.
#[derive(Debug)]
pub enum Step {
    /// Send this token back; another is expected.
    Continue(Vec<u8>),
    /// The logon is done: the token to send back, if the framing has one.
    Done {
        /// The logon.
        logon: Box<Logon>,
        /// The final SPNEGO NegTokenResp (`None` for raw NTLMSSP).
        reply: Option<Vec<u8>>,
    },
    /// The logon failed; the exchange is over.
    Failed(LogonFailure),
}

enum State {
    /// Waiting for the first token.
    Start,
    /// SPNEGO selected NTLMSSP without a token: the NEGOTIATE comes next.
    Selected,
    /// The CHALLENGE went out: the AUTHENTICATE comes next.
    Challenged,
    /// Done or failed.
    Finished,
}

/// A server-side NTLMSSP/SPNEGO logon in progress.
pub struct Acceptor {
    framing: Framing,
    policy: AcceptorPolicy,
    ntlm: NtlmServer,
    state: State,
    /// SPNEGO framing, settled by the first token.
    spnego: bool,
    /// The DER MechTypeList the client offered (SPNEGO).
    mech_list: Option<Vec<u8>>,
    /// NTLMSSP was not the client's first choice: the mechListMIC is required.
    mic_required: bool,
}

impl fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acceptor")
            .field("framing", &self.framing)
            .field("policy", &self.policy)
            .field("spnego", &self.spnego)
            .field("mic_required", &self.mic_required)
            .finish_non_exhaustive()
    }
}

fn malformed() -> Step {
    Step::Failed(LogonFailure::new(
        FailureKind::Malformed,
        NtStatus::INVALID_PARAMETER,
    ))
}

/// A NegTokenResp still in progress: NTLMSSP selected, and its token if any.
fn incomplete(token: Option<Vec<u8>>) -> Vec<u8> {
    NegTokenResp {
        neg_state: Some(NegState::ACCEPT_INCOMPLETE),
        supported_mech: Some(Oid::ntlmssp()),
        response_token: token,
        mech_list_mic: None,
    }
    .encode()
}

impl Acceptor {
    /// An acceptor announcing `names` in its CHALLENGE, taking tokens framed as `framing`.
    pub fn new(names: ServerNames, framing: Framing, policy: AcceptorPolicy) -> Acceptor {
        Acceptor {
            framing,
            policy,
            // Unknown users come back as "guest" so that their names are known here;
            // whether they may log on is decided below.
            ntlm: NtlmServer::new(names, Box::new(system_filetime)).with_guest_fallback(true),
            state: State::Start,
            spnego: false,
            mech_list: None,
            mic_required: false,
        }
    }

    /// Whether the exchange is over (done or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Takes the client's next token.
    pub fn step(&mut self, token: &[u8], accounts: &dyn AccountSource) -> Step {
        let step = match self.state {
            State::Start => self.first(token),
            State::Selected => self.negotiate_leg(token),
            State::Challenged => self.authenticate_leg(token, accounts),
            State::Finished => malformed(),
        };
        if matches!(step, Step::Done { .. } | Step::Failed(_)) {
            self.state = State::Finished;
        }
        step
    }

    fn challenge(&mut self, negotiate: &[u8]) -> Result<Vec<u8>, Step> {
        if message_type(negotiate) != Ok(MessageType::Negotiate) {
            return Err(malformed());
        }
        self.ntlm
            .challenge(negotiate)
            .map_err(|e| Step::Failed(LogonFailure::new(FailureKind::Malformed, e.status())))
    }

    fn first(&mut self, token: &[u8]) -> Step {
        if token.is_empty() {
            // MS-SPNG 3.2.5.2: an initiator without a token gets the acceptor's offer.
            return match self.framing {
                Framing::Ntlm => malformed(),
                _ => Step::Continue(spnego::server_negotiate_token()),
            };
        }
        let Ok(gss) = GssToken::decode(token) else {
            return malformed();
        };
        match (gss, self.framing) {
            (GssToken::RawNtlmssp(negotiate), Framing::Ntlm | Framing::Either) => {
                match self.challenge(&negotiate) {
                    Ok(c) => {
                        self.state = State::Challenged;
                        Step::Continue(c)
                    }
                    Err(step) => step,
                }
            }
            (GssToken::Init(init), Framing::Spnego | Framing::Either) => {
                self.spnego = true;
                let ntlm = Oid::ntlmssp();
                if !init.mech_types.contains(&ntlm) {
                    return Step::Failed(LogonFailure::new(
                        FailureKind::Unsupported,
                        NtStatus::LOGON_FAILURE,
                    ));
                }
                self.mech_list = Some(spnego::mech_type_list(&init.mech_types));
                let first = init.mech_types.first() == Some(&ntlm);
                // RFC 4178 5: when the mechanism selected is not the initiator's first
                // choice, both sides must exchange the MIC.
                self.mic_required = !first;
                match (first, init.mech_token) {
                    (true, Some(negotiate)) => match self.challenge(&negotiate) {
                        Ok(c) => {
                            self.state = State::Challenged;
                            Step::Continue(incomplete(Some(c)))
                        }
                        Err(step) => step,
                    },
                    // The optimistic token, if any, was for another mechanism: dropped.
                    _ => {
                        self.state = State::Selected;
                        Step::Continue(incomplete(None))
                    }
                }
            }
            (GssToken::RawNtlmssp(_) | GssToken::Init(_), _) => Step::Failed(LogonFailure::new(
                FailureKind::Unsupported,
                NtStatus::INVALID_PARAMETER,
            )),
            (GssToken::Resp(_), _) => malformed(),
        }
    }

    /// The mechanism token of a NegTokenResp and its mechListMIC.
    fn unwrap_resp(token: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        match GssToken::decode(token) {
            Ok(GssToken::Resp(r)) => Some((r.response_token?, r.mech_list_mic)),
            _ => None,
        }
    }

    fn negotiate_leg(&mut self, token: &[u8]) -> Step {
        let Some((negotiate, _)) = Self::unwrap_resp(token) else {
            return malformed();
        };
        match self.challenge(&negotiate) {
            Ok(c) => {
                self.state = State::Challenged;
                Step::Continue(incomplete(Some(c)))
            }
            Err(step) => step,
        }
    }

    fn authenticate_leg(&mut self, token: &[u8], accounts: &dyn AccountSource) -> Step {
        let (authenticate, client_mic) = if self.spnego {
            match Self::unwrap_resp(token) {
                Some(t) => t,
                None => return malformed(),
            }
        } else {
            (token.to_vec(), None)
        };
        if message_type(&authenticate) != Ok(MessageType::Authenticate) {
            return malformed();
        }
        let named = match AuthenticateMessage::decode(&authenticate) {
            Ok(m) => (m.user_name(), m.domain_name()),
            Err(_) => return malformed(),
        };
        let fail = |kind, status| {
            Step::Failed(LogonFailure {
                status,
                kind,
                account: Some(named.clone()),
            })
        };
        let lookup = |u: &str, d: &str| accounts.nt_hash(u, d);
        let a = match self.ntlm.authenticate(&authenticate, &lookup) {
            Ok(a) => a,
            Err(AuthError::BadResponse) => {
                tracing::info!(user = %named.0, domain = %named.1, "logon failed: wrong password");
                let status = accounts.logon_failed(&named.0, &named.1);
                return fail(FailureKind::BadCredentials, status);
            }
            Err(AuthError::MicMissing | AuthError::MicMismatch) => {
                tracing::info!(user = %named.0, "logon failed: NTLM MIC");
                return fail(FailureKind::Integrity, NtStatus::LOGON_FAILURE);
            }
            Err(AuthError::Decode(_) | AuthError::WrongState) => return malformed(),
            Err(e) => {
                tracing::info!(user = %named.0, error = %e, "logon refused");
                return fail(FailureKind::Refused, e.status());
            }
        };
        let reply = |mic: Option<Vec<u8>>| {
            self.spnego.then(|| {
                NegTokenResp {
                    neg_state: Some(NegState::ACCEPT_COMPLETED),
                    supported_mech: None,
                    response_token: None,
                    mech_list_mic: mic,
                }
                .encode()
            })
        };
        let keyless = |kind: LogonKind, token: AccessToken| Step::Done {
            logon: Box::new(Logon {
                user: a.user.clone(),
                domain: a.domain.clone(),
                workstation: a.workstation.clone(),
                kind,
                token,
                session_key: [0; 16],
                security: None,
                flags: a.flags,
            }),
            reply: reply(None),
        };
        if a.anonymous {
            if !self.policy.allow_guest {
                tracing::info!("anonymous logon refused");
                return fail(FailureKind::Refused, NtStatus::LOGON_FAILURE);
            }
            let token = AccessToken::new(well_known::ANONYMOUS).with_groups([well_known::WORLD]);
            return keyless(LogonKind::Anonymous, token);
        }
        if a.guest {
            let guest_name = a.user.eq_ignore_ascii_case("guest") && self.policy.allow_guest;
            if !(guest_name || self.policy.map_to_guest) {
                tracing::info!(user = %a.user, domain = %a.domain, "logon failed: no such user");
                return fail(FailureKind::BadCredentials, NtStatus::LOGON_FAILURE);
            }
            return match accounts.guest_token() {
                Some(token) => keyless(LogonKind::Guest, token),
                None => fail(FailureKind::Refused, NtStatus::LOGON_FAILURE),
            };
        }
        let mut security = NtlmSession::new(&a.session_key, a.flags, Role::Server).ok();
        let mut our_mic = None;
        if let Some(list) = &self.mech_list {
            let required = self.mic_required || a.mic_verified;
            match (&client_mic, security.as_mut()) {
                (Some(mic), Some(s)) => {
                    if s.verify(list, mic).is_err() {
                        tracing::info!(user = %a.user, "logon failed: bad mechListMIC");
                        return fail(FailureKind::Integrity, NtStatus::LOGON_FAILURE);
                    }
                    our_mic = Some(s.sign(list).to_vec());
                    s.restart_streams();
                }
                (None, _) if !required => {}
                _ => {
                    tracing::info!(user = %a.user, "logon failed: mechListMIC missing");
                    return fail(FailureKind::Integrity, NtStatus::LOGON_FAILURE);
                }
            }
        }
        let token = match accounts.logon(&a.user, &a.domain) {
            Ok(token) => token,
            Err(status) => {
                tracing::info!(user = %a.user, %status, "logon refused by the account store");
                return fail(FailureKind::Refused, status);
            }
        };
        Step::Done {
            logon: Box::new(Logon {
                user: a.user,
                domain: a.domain,
                workstation: a.workstation,
                kind: LogonKind::User,
                token,
                session_key: a.session_key,
                security,
                flags: a.flags,
            }),
            reply: reply(our_mic),
        }
    }
}
