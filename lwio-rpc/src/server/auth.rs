//! DCE/RPC authentication on the server side (MS-RPCE 3.3.1.5.2, 3.3.3.4.3): the security
//! context a connection builds from the auth verifiers of bind, alter_context and
//! rpc_auth_3, with NTLMSSP directly (`RPC_C_AUTHN_WINNT`, 10) or inside SPNEGO
//! (`RPC_C_AUTHN_GSS_NEGOTIATE`, 9).
//!
//! ```text
//! bind(NEGOTIATE)        ──▶ bind_ack(CHALLENGE)
//! auth3(AUTHENTICATE)    ──▶ (no answer)                 NTLM, or SPNEGO without MIC
//! alter_context(AUTH..)  ──▶ alter_context_resp(accept-completed, mechListMIC)   SPNEGO
//!
//! SPNEGO offering another mechanism first (Kerberos): one more leg
//! bind(NegTokenInit)     ──▶ bind_ack(accept-incomplete, supportedMech NTLMSSP)
//! alter_context(NEGOTIATE) ──▶ alter_context_resp(CHALLENGE), then as above
//! ```
//!
//! The AUTHENTICATE is verified against the server's [`AccountSource`] (the same store SMB
//! session setup uses, so the RPC server does not depend on the SMB server). Once
//! established, the context gives the connection an [`NtlmSession`] that signs and seals
//! the request and response fragments (see [`crate::pdu::protect_fragment`]), and the
//! caller's token, which replaces the pipe's own for the calls.
//!
//! Not here: Kerberos, NETLOGON (schannel) and NTLMv1; anonymous or guest NTLM logons
//! (refused: they have no key to sign with); several auth contexts on one connection.

use std::fmt;
use std::sync::Arc;

use lwio_auth::accounts::AccountSource;
use lwio_auth::ntlm::server::system_filetime;
use lwio_auth::ntlm::{MessageType, NtlmServer, NtlmSession, Role, ServerNames, message_type};
use lwio_auth::spnego::{self, GssToken, NegState, NegTokenResp, Oid};
use lwio_core::AccessToken;

use crate::pdu::{AuthLevel, AuthType, AuthVerifier};

/// What a server needs to accept authenticated binds: its names (announced in the NTLM
/// CHALLENGE) and the accounts.
#[derive(Clone)]
pub struct RpcAuth {
    /// The names the CHALLENGE carries.
    pub names: ServerNames,
    /// The account store.
    pub accounts: Arc<dyn AccountSource>,
}

impl fmt::Debug for RpcAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcAuth")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Why a leg of the exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// An auth type or level this server does not offer.
    Unsupported,
    /// A token that does not decode or comes out of turn.
    BadToken,
    /// The logon itself failed (unknown user, wrong password, bad MIC).
    Denied,
}

/// The established security context of a connection.
pub(crate) struct Established {
    pub(crate) auth_type: AuthType,
    pub(crate) level: AuthLevel,
    pub(crate) context_id: u32,
    pub(crate) session: NtlmSession,
    pub(crate) token: Arc<AccessToken>,
    pub(crate) session_key: [u8; 16],
}

impl Established {
    /// Whether `v` names this context with its type and level.
    pub(crate) fn matches(&self, v: &AuthVerifier) -> bool {
        v.auth_type == self.auth_type
            && v.auth_level == self.level
            && v.context_id == self.context_id
    }

    /// A verifier with a placeholder signature for an outgoing fragment of `stub_len`
    /// stub octets.
    pub(crate) fn placeholder(&self, stub_len: usize) -> AuthVerifier {
        AuthVerifier {
            auth_type: self.auth_type,
            auth_level: self.level,
            pad_length: crate::pdu::auth_pad_length(stub_len),
            reserved: 0,
            context_id: self.context_id,
            value: vec![0; crate::pdu::NTLM_SIGNATURE_LEN],
        }
    }
}

/// An exchange that has answered the first leg.
pub(crate) struct Pending {
    auth_type: AuthType,
    level: AuthLevel,
    context_id: u32,
    ntlm: NtlmServer,
    /// Whether the NTLM CHALLENGE went out (SPNEGO may first have to select NTLMSSP).
    challenged: bool,
    /// The DER MechTypeList of the client's NegTokenInit (SPNEGO only).
    mech_list: Option<Vec<u8>>,
}

/// The outcome of the last leg: the context, and the token to send back if any.
pub(crate) type Completed = (Box<Established>, Option<Vec<u8>>);

/// What a leg after the bind gives.
pub(crate) enum Step {
    /// Another leg is needed: the token to send back (SPNEGO's CHALLENGE, when the bind
    /// only selected NTLMSSP).
    More(Box<Pending>, Vec<u8>),
    /// The exchange is over.
    Done(Completed),
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

/// Answers an NTLM NEGOTIATE with the CHALLENGE.
fn challenge(ntlm: &mut NtlmServer, negotiate: &[u8]) -> Result<Vec<u8>, AuthFailure> {
    if message_type(negotiate) != Ok(MessageType::Negotiate) {
        return Err(AuthFailure::BadToken);
    }
    ntlm.challenge(negotiate).map_err(|_| AuthFailure::BadToken)
}

/// Starts an exchange from a bind's verifier; returns the state and the token for the
/// bind_ack.
///
/// SPNEGO: when NTLMSSP is the client's first choice and its token came along, the
/// CHALLENGE goes back at once; when NTLMSSP is offered further down the list (behind
/// Kerberos, say), the answer only selects it (RFC 4178 4.2.2) and the NEGOTIATE comes in
/// the next leg. A list without NTLMSSP is refused.
pub(crate) fn start(auth: &RpcAuth, v: &AuthVerifier) -> Result<(Pending, Vec<u8>), AuthFailure> {
    if !matches!(v.auth_type, AuthType::WINNT | AuthType::GSS_NEGOTIATE) {
        return Err(AuthFailure::Unsupported);
    }
    if v.auth_level.0 < AuthLevel::CONNECT.0 || v.auth_level.0 > AuthLevel::PKT_PRIVACY.0 {
        return Err(AuthFailure::Unsupported);
    }
    let mut pending = Pending {
        auth_type: v.auth_type,
        level: v.auth_level,
        context_id: v.context_id,
        ntlm: NtlmServer::new(auth.names.clone(), Box::new(system_filetime)),
        challenged: false,
        mech_list: None,
    };
    let out = if v.auth_type == AuthType::GSS_NEGOTIATE {
        let GssToken::Init(init) = GssToken::decode(&v.value).map_err(|_| AuthFailure::BadToken)?
        else {
            return Err(AuthFailure::BadToken);
        };
        if !init.mech_types.contains(&Oid::ntlmssp()) {
            return Err(AuthFailure::Unsupported);
        }
        pending.mech_list = Some(spnego::mech_type_list(&init.mech_types));
        match (
            init.mech_types.first() == Some(&Oid::ntlmssp()),
            &init.mech_token,
        ) {
            (true, Some(negotiate)) => {
                let c = challenge(&mut pending.ntlm, negotiate)?;
                pending.challenged = true;
                incomplete(Some(c))
            }
            _ => incomplete(None),
        }
    } else {
        pending.challenged = true;
        challenge(&mut pending.ntlm, &v.value)?
    };
    Ok((pending, out))
}

impl Pending {
    /// Takes the verifier of an auth3 or alter_context: the NEGOTIATE of an SPNEGO
    /// exchange that only selected NTLMSSP so far, or the AUTHENTICATE that ends it.
    pub(crate) fn step(mut self, auth: &RpcAuth, v: &AuthVerifier) -> Result<Step, AuthFailure> {
        if v.auth_type != self.auth_type
            || v.auth_level != self.level
            || v.context_id != self.context_id
        {
            return Err(AuthFailure::BadToken);
        }
        let (token, client_mic) = match &self.mech_list {
            Some(_) => {
                let GssToken::Resp(resp) =
                    GssToken::decode(&v.value).map_err(|_| AuthFailure::BadToken)?
                else {
                    return Err(AuthFailure::BadToken);
                };
                let token = resp.response_token.ok_or(AuthFailure::BadToken)?;
                (token, resp.mech_list_mic)
            }
            None => (v.value.clone(), None),
        };
        if !self.challenged {
            let c = challenge(&mut self.ntlm, &token)?;
            self.challenged = true;
            return Ok(Step::More(Box::new(self), incomplete(Some(c))));
        }
        self.finish(auth, token, client_mic).map(Step::Done)
    }

    /// Verifies the AUTHENTICATE and, under SPNEGO, the client's mechListMIC.
    fn finish(
        mut self,
        auth: &RpcAuth,
        authenticate: Vec<u8>,
        client_mic: Option<Vec<u8>>,
    ) -> Result<Completed, AuthFailure> {
        if message_type(&authenticate) != Ok(MessageType::Authenticate) {
            return Err(AuthFailure::BadToken);
        }
        let accounts = &auth.accounts;
        let lookup = |u: &str, d: &str| accounts.nt_hash(u, d);
        let done = self
            .ntlm
            .authenticate(&authenticate, &lookup)
            .map_err(|e| {
                tracing::info!(error = %e, "RPC bind logon failed");
                AuthFailure::Denied
            })?;
        if done.anonymous || done.guest {
            return Err(AuthFailure::Denied);
        }
        let token = accounts
            .logon(&done.user, &done.domain)
            .map_err(|_| AuthFailure::Denied)?;
        let mut session = NtlmSession::new(&done.session_key, done.flags, Role::Server)
            .map_err(|_| AuthFailure::Unsupported)?;
        let reply = match &self.mech_list {
            None => None,
            Some(list) => {
                let mic = match client_mic {
                    Some(mic) => {
                        session
                            .verify(list, &mic)
                            .map_err(|_| AuthFailure::Denied)?;
                        // The MICs take sequence number 0 of each direction; calls go on
                        // from 1 with the RC4 streams started afresh.
                        let ours = session.sign(list).to_vec();
                        session.restart_streams();
                        Some(ours)
                    }
                    None => None,
                };
                Some(
                    NegTokenResp {
                        neg_state: Some(NegState::ACCEPT_COMPLETED),
                        supported_mech: None,
                        response_token: None,
                        mech_list_mic: mic,
                    }
                    .encode(),
                )
            }
        };
        tracing::info!(user = %done.user, domain = %done.domain, level = ?self.level, "RPC bind authenticated");
        Ok((
            Box::new(Established {
                auth_type: self.auth_type,
                level: self.level,
                context_id: self.context_id,
                session,
                token: Arc::new(token),
                session_key: done.session_key,
            }),
            reply,
        ))
    }
}
