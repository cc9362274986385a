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
//! The tokens go through `lwio-auth`'s [`Acceptor`], the same state machine SMB2 session
//! setup runs, which verifies the AUTHENTICATE against the server's [`AccountSource`] and,
//! under SPNEGO, the client's mechListMIC (required when the NTLM MIC was sent or NTLMSSP
//! was not the client's first choice: a bind whose MIC is missing or wrong is refused). Once
//! established, the context gives the connection an [`NtlmSession`] that signs and seals
//! the request and response fragments (see [`crate::pdu::protect_fragment`]), and the
//! caller's token, which replaces the pipe's own for the calls.
//!
//! Not here: Kerberos, NETLOGON (schannel) and NTLMv1; anonymous or guest NTLM logons
//! (refused: they have no key to sign with); several auth contexts on one connection.

use std::fmt;
use std::sync::Arc;

use lwio_auth::acceptor::{
    self, Acceptor, AcceptorPolicy, FailureKind, Framing, LogonFailure, LogonKind,
};
use lwio_auth::accounts::AccountSource;
use lwio_auth::ntlm::{NtlmSession, ServerNames};
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
    /// lwio-auth's acceptor, shared with SMB2 session setup.
    acceptor: Acceptor,
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

/// Starts an exchange from a bind's verifier; returns the state and the token for the
/// bind_ack.
///
/// SPNEGO: when NTLMSSP is the client's first choice and its token came along, the
/// CHALLENGE goes back at once; when NTLMSSP is offered further down the list (behind
/// Kerberos, say), the answer only selects it (RFC 4178 4.2.2) and the NEGOTIATE comes in
/// the next leg. A list without NTLMSSP is refused.
pub(crate) fn start(auth: &RpcAuth, v: &AuthVerifier) -> Result<(Pending, Vec<u8>), AuthFailure> {
    let framing = match v.auth_type {
        AuthType::WINNT => Framing::Ntlm,
        AuthType::GSS_NEGOTIATE => Framing::Spnego,
        _ => return Err(AuthFailure::Unsupported),
    };
    if v.auth_level.0 < AuthLevel::CONNECT.0 || v.auth_level.0 > AuthLevel::PKT_PRIVACY.0 {
        return Err(AuthFailure::Unsupported);
    }
    // Binds carry no anonymous or guest logons: they have no key to sign with.
    let mut acceptor = Acceptor::new(auth.names.clone(), framing, AcceptorPolicy::default());
    // A bind always starts with a token (an empty one would only get our offer back).
    if v.value.is_empty() {
        return Err(AuthFailure::BadToken);
    }
    let pending = |acceptor| Pending {
        auth_type: v.auth_type,
        level: v.auth_level,
        context_id: v.context_id,
        acceptor,
    };
    match acceptor.step(&v.value, auth.accounts.as_ref()) {
        acceptor::Step::Continue(token) => Ok((pending(acceptor), token)),
        acceptor::Step::Failed(f) => Err(failure(&f)),
        // No logon ends in one leg.
        acceptor::Step::Done { .. } => Err(AuthFailure::BadToken),
    }
}

fn failure(f: &LogonFailure) -> AuthFailure {
    match f.kind {
        FailureKind::Unsupported => AuthFailure::Unsupported,
        FailureKind::Malformed => AuthFailure::BadToken,
        _ => AuthFailure::Denied,
    }
}

impl Pending {
    /// Takes the verifier of an auth3 or alter_context: the NEGOTIATE of an SPNEGO
    /// exchange that only selected NTLMSSP so far, or the AUTHENTICATE that ends it (with,
    /// under SPNEGO, the client's mechListMIC, verified by the acceptor).
    pub(crate) fn step(mut self, auth: &RpcAuth, v: &AuthVerifier) -> Result<Step, AuthFailure> {
        if v.auth_type != self.auth_type
            || v.auth_level != self.level
            || v.context_id != self.context_id
        {
            return Err(AuthFailure::BadToken);
        }
        let (logon, reply) = match self.acceptor.step(&v.value, auth.accounts.as_ref()) {
            acceptor::Step::Continue(token) => return Ok(Step::More(Box::new(self), token)),
            acceptor::Step::Failed(f) => {
                tracing::info!(status = %f.status, kind = ?f.kind, "RPC bind logon failed");
                return Err(failure(&f));
            }
            acceptor::Step::Done { logon, reply } => (logon, reply),
        };
        if logon.kind != LogonKind::User {
            return Err(AuthFailure::Denied);
        }
        let Some(session) = logon.security else {
            // Without extended session security there is no session security to run.
            return Err(AuthFailure::Unsupported);
        };
        tracing::info!(user = %logon.user, domain = %logon.domain, level = ?self.level, "RPC bind authenticated");
        Ok(Step::Done((
            Box::new(Established {
                auth_type: self.auth_type,
                level: self.level,
                context_id: self.context_id,
                session,
                token: Arc::new(logon.token),
                session_key: logon.session_key,
            }),
            reply,
        )))
    }
}
