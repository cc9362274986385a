//! Binding a connection to a session of another connection as a new channel (MS-SMB2
//! 3.3.5.5 with SMB2_SESSION_FLAG_BINDING, 3.3.5.5.2, 3.3.5.5.3), and the answers to
//! session setups that name a session of another connection.
//!
//! A SESSION_SETUP with SMB2_SESSION_FLAG_BINDING naming a session of another connection
//! is checked in the order Windows applies (smbtorture's `smb2.session.bind_negative_*`
//! record Windows' answers; MS-SMB2 3.3.5.5 lists the checks):
//!
//! 1. The session is looked up in the server's table; none: STATUS_USER_SESSION_DELETED
//!    on a multichannel 3.x connection, else STATUS_REQUEST_NOT_ACCEPTED.
//! 2. The server's multichannel setting off (`IsMultiChannelCapable` FALSE):
//!    STATUS_REQUEST_NOT_ACCEPTED, whatever else.
//! 3. AES-GMAC on one side only: a GMAC session bound from a connection that signs
//!    otherwise is STATUS_REQUEST_OUT_OF_SEQUENCE; a GMAC connection binding a session
//!    that signs otherwise is STATUS_NOT_SUPPORTED (Windows; the specification is silent).
//! 4. A 2.x connection: STATUS_REQUEST_NOT_ACCEPTED.
//! 5. Another dialect than the session's connection: STATUS_INVALID_PARAMETER; an
//!    unsigned request: STATUS_INVALID_PARAMETER; for 3.1.1, another cipher:
//!    STATUS_INVALID_PARAMETER. Another client GUID is allowed (the specification's MAY:
//!    Windows binds it), and so is HMAC-SHA256 against AES-CMAC.
//! 6. A guest or anonymous session: STATUS_NOT_SUPPORTED. A session already bound to
//!    this connection: STATUS_REQUEST_NOT_ACCEPTED, once the request's signature verifies
//!    with the channel's key (STATUS_ACCESS_DENIED when it does not, as any request on
//!    the session).
//! 7. The signature, with `Session.SigningKey`: STATUS_ACCESS_DENIED when it does not
//!    verify (3.3.5.2.4). The session has at most [`super::MAX_CHANNELS`] channels (Windows'
//!    limit); one more is STATUS_INSUFFICIENT_RESOURCES.
//!
//! Every refusal of a request that verifies with the session's key is signed with it (a
//! client that requires signing takes an unsigned answer for an attack); nothing is
//! signed for a request that does not verify. A refused or failed binding leaves the
//! session as it was.
//!
//! The binding then authenticates in full (each leg signed with `Session.SigningKey`,
//! and its interim answers and its failure signed with it too); the logon must be the
//! session's user (else STATUS_ACCESS_DENIED, the session intact).
//! The channel's signing key is derived from the binding's own session key and, for
//! 3.1.1, from the binding's preauthentication hash on the new connection, with that
//! connection's signing algorithm (3.3.5.5.3); the final response is signed with it.
//!
//! Once bound, a SESSION_SETUP on the channel without the flag (a re-authentication) must
//! be signed with the channel's key: signed with another, it is STATUS_ACCESS_DENIED
//! (under `Session.SigningKey` when it verifies with that); unsigned, it authenticates,
//! and a failure is the logon's status (the session ends on every channel, as after any
//! failed re-authentication) while a success is STATUS_ACCESS_DENIED, the session as it
//! was (Windows, as smbtorture's `bind_invalid_auth` and `bind_negative_*` record).

use std::sync::Arc;

use lwio_auth::acceptor::{Logon, LogonKind};
use lwio_auth::smb2sign::SigningAlgorithm;
use lwio_core::NtStatus;
use lwio_smb2::session::SessionSetupFlags;
use lwio_smb2::{Dialect, HeaderFlags, SessionFlags, SessionSetupRequest, SessionSetupResponse};

use super::{Origin, signing_of};
use crate::conn::chain::{Response, Target};
use crate::conn::{AuthInProgress, Conn, Negotiated, SessionSlot, ValidSession};
use crate::session_setup::MAX_SESSIONS;
use crate::signing::Signer;
use crate::state::Session;

/// What [`check`] decided about a SESSION_SETUP.
pub(crate) enum Check {
    /// Not a binding, nor a re-authentication on a bound channel: the ordinary path.
    Ordinary,
    /// An unsigned re-authentication on a bound channel: it authenticates (a failure
    /// fails it, and ends the session, as any failed re-authentication), and its success
    /// is STATUS_ACCESS_DENIED with the session left as it was (Windows: smbtorture's
    /// `bind_invalid_auth` and `bind_negative_smb3signCtoH*`).
    UnsignedChannelReauth,
    /// Answer this (a refusal).
    Refuse(Response),
    /// A binding to go on with: the connection's slot for it exists.
    Bind(Binding),
}

/// A binding in progress: the session it binds and what it is checked against.
pub(crate) struct Binding {
    session: Arc<Session>,
    origin: Origin,
}

impl Binding {
    /// Signs a STATUS_MORE_PROCESSING_REQUIRED answer of the binding with
    /// `Session.SigningKey` (the client has no channel key yet; Windows signs them).
    pub(crate) fn sign_interim(&self, msg: &mut [u8]) {
        self.origin.signer.sign(msg);
    }

    /// `Session.SigningKey`, which signs the binding's refusals.
    pub(crate) fn signer(&self) -> Signer {
        self.origin.signer.clone()
    }
}

/// Checks a SESSION_SETUP against the binding rules (module docs).
pub(crate) fn check(
    conn: &Conn,
    neg: &Negotiated,
    t: &Target<'_>,
    req: &SessionSetupRequest,
    msg: &[u8],
) -> Check {
    let id = t.req.session_id;
    if id == 0 {
        return Check::Ordinary;
    }
    let signed = t.req.flags.contains(HeaderFlags::SIGNED);
    let binding = req.flags.contains(SessionSetupFlags::BINDING);
    let refuse = |status, signer| Check::Refuse(t.error(conn, status, Vec::new(), signer));
    // The connection's own entry for the session, if any.
    let local = {
        let st = conn.st.lock();
        st.sessions
            .get(&id)
            .map(|s| (s.valid.clone(), s.binding.clone()))
    };
    match local {
        Some((Some(vs), _)) => {
            // Established on this connection: its first one, or a channel bound here.
            if !binding && !vs.bound {
                return Check::Ordinary;
            }
            if !signed && !binding {
                // Authenticated first, refused after (`Check::UnsignedChannelReauth`).
                return Check::UnsignedChannelReauth;
            }
            let verified = signed && vs.signer.as_ref().is_some_and(|s| s.verify(msg));
            if !verified {
                tracing::debug!(
                    session = id,
                    "session setup on a channel not signed with its key"
                );
                // Signed with Session.SigningKey (a client that has no channel key yet
                // signs so): refused under that key, as Windows, so the client sees the
                // status rather than an unsigned answer it must drop.
                let session_key = vs
                    .session
                    .channels()
                    .origin()
                    .map(|o| o.signer)
                    .filter(|s| signed && s.verify(msg));
                return refuse(NtStatus::ACCESS_DENIED, session_key);
            }
            if binding {
                return refuse(NtStatus::REQUEST_NOT_ACCEPTED, vs.signer.clone());
            }
            return Check::Ordinary;
        }
        Some((None, Some(session))) => {
            // The next leg of a binding in progress: signed with Session.SigningKey.
            let Some(origin) = session.channels().origin() else {
                // The session ended meanwhile.
                conn.st.lock().sessions.remove(&id);
                return refuse(NtStatus::USER_SESSION_DELETED, None);
            };
            if !(signed && origin.signer.verify(msg)) {
                tracing::debug!(session = id, "binding leg with a bad signature");
                conn.st.lock().sessions.remove(&id);
                return refuse(NtStatus::ACCESS_DENIED, None);
            }
            return Check::Bind(Binding { session, origin });
        }
        Some((None, None)) => {
            // A logon of a new session in progress.
            if binding {
                return refuse(NtStatus::REQUEST_NOT_ACCEPTED, None);
            }
            return Check::Ordinary;
        }
        None if !binding => return Check::Ordinary,
        None => {}
    }
    let capable = conn.srv.config.multichannel && neg.dialect.0 >= Dialect::SMB_3_0.0;
    let session = conn
        .srv
        .status
        .sessions()
        .into_iter()
        .find(|s| s.session.id == id)
        .map(|s| s.session);
    let Some(session) = session else {
        let status = if capable {
            NtStatus::USER_SESSION_DELETED
        } else {
            NtStatus::REQUEST_NOT_ACCEPTED
        };
        return refuse(status, None);
    };
    let Some(origin) = session.channels().origin() else {
        // No key: a guest or anonymous session (or one made outside the engine).
        let status = if capable {
            NtStatus::NOT_SUPPORTED
        } else {
            NtStatus::REQUEST_NOT_ACCEPTED
        };
        return refuse(status, None);
    };
    // Refusals are signed with Session.SigningKey when the request verifies with it.
    let verified = signed && origin.signer.verify(msg);
    let answer_signer = verified.then(|| origin.signer.clone());
    if !conn.srv.config.multichannel {
        // Not a multichannel server at all: nothing more is looked at.
        return refuse(NtStatus::REQUEST_NOT_ACCEPTED, answer_signer);
    }
    let gmac = SigningAlgorithm::AesGmac;
    let here = signing_of(neg);
    if origin.signing == gmac && here != gmac {
        return refuse(NtStatus::REQUEST_OUT_OF_SEQUENCE, answer_signer);
    }
    if here == gmac && origin.signing != gmac {
        return refuse(NtStatus::NOT_SUPPORTED, answer_signer);
    }
    if !capable {
        return refuse(NtStatus::REQUEST_NOT_ACCEPTED, answer_signer);
    }
    if neg.dialect != origin.dialect || !signed {
        return refuse(NtStatus::INVALID_PARAMETER, answer_signer);
    }
    if neg.dialect == Dialect::SMB_3_1_1 && neg.cipher != origin.cipher {
        return refuse(NtStatus::INVALID_PARAMETER, answer_signer);
    }
    if session.is_guest() {
        return refuse(NtStatus::NOT_SUPPORTED, answer_signer);
    }
    if !verified {
        tracing::debug!(session = id, "binding request with a bad signature");
        return refuse(NtStatus::ACCESS_DENIED, None);
    }
    if session.channels().is_full() {
        return refuse(NtStatus::INSUFFICIENT_RESOURCES, answer_signer);
    }
    {
        let mut st = conn.st.lock();
        if st.sessions.len() >= MAX_SESSIONS {
            drop(st);
            return refuse(NtStatus::INSUFFICIENT_RESOURCES, answer_signer);
        }
        st.sessions.insert(
            id,
            SessionSlot {
                binding: Some(Arc::clone(&session)),
                ..SessionSlot::default()
            },
        );
    }
    Check::Bind(Binding { session, origin })
}

/// A binding's authentication succeeded: the connection becomes a channel of `session`
/// when the logon is the session's user.
pub(crate) fn bound(
    conn: &Arc<Conn>,
    t: &Target<'_>,
    neg: &Negotiated,
    auth: &AuthInProgress,
    logon: Logon,
    reply: Vec<u8>,
    binding: &Binding,
) -> Response {
    let Binding { session, origin } = binding;
    let id = session.id;
    if logon.kind != LogonKind::User || logon.token.user != origin.user {
        tracing::debug!(session = id, user = %logon.user, "binding as another user refused");
        conn.st.lock().sessions.remove(&id);
        return t.error(
            conn,
            NtStatus::ACCESS_DENIED,
            Vec::new(),
            Some(origin.signer.clone()),
        );
    }
    if let Err(status) = session.channels().add(conn) {
        conn.st.lock().sessions.remove(&id);
        return t.error(conn, status, Vec::new(), None);
    }
    // Channel.SigningKey: the binding's session key, the binding's preauth hash (3.1.1),
    // this connection's signing algorithm (3.3.5.5.3).
    let signer = Signer::with_algorithm(
        neg.dialect,
        &logon.session_key,
        *auth.preauth.value(),
        neg.signing,
    );
    let vs = Arc::new(ValidSession {
        session: Arc::clone(session),
        signer: Some(signer.clone()),
        signing_required: origin.signing_required,
        sealer: origin.sealer.clone(),
        encrypt_data: origin.encrypt_data,
        bound: true,
    });
    {
        let mut st = conn.st.lock();
        match st.sessions.get_mut(&id) {
            Some(slot) => {
                slot.valid = Some(vs);
                slot.binding = None;
            }
            None => {
                drop(st);
                session.channels().remove(conn);
                return t.error(conn, NtStatus::USER_SESSION_DELETED, Vec::new(), None);
            }
        }
    }
    conn.authenticated
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(
        session = id,
        channels = session.channels().count(),
        "channel bound"
    );
    let mut flags = SessionFlags::empty();
    if origin.encrypt_data {
        flags |= SessionFlags::ENCRYPT_DATA;
    }
    let body = SessionSetupResponse {
        session_flags: flags,
        security_buffer: reply,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| body.encode(o));
    Response {
        bytes,
        signer: Some(signer),
    }
}

/// The signer for the STATUS_USER_SESSION_DELETED answer to a SESSION_SETUP (without
/// SMB2_SESSION_FLAG_BINDING) naming a session of another connection: `Session.SigningKey`
/// when the request is signed with it (3.3.4.1.1 and the server's lookup in
/// GlobalSessionTable that smbtorture's `smb2.session.bind_negative_*` require of
/// Windows; a client that requires signing takes an unsigned answer for
/// STATUS_ACCESS_DENIED). Nothing is signed for a request that does not verify: no
/// answer is an oracle for the key.
pub(crate) fn foreign_signer(conn: &Conn, hdr: &lwio_smb2::Header, msg: &[u8]) -> Option<Signer> {
    if !hdr.flags.contains(HeaderFlags::SIGNED) {
        return None;
    }
    let id = hdr.session_id;
    if let Some(vs) = conn.session(id) {
        return vs.signer.clone().filter(|s| s.verify(msg));
    }
    let session = conn
        .srv
        .status
        .sessions()
        .into_iter()
        .find(|s| s.session.id == id)?
        .session;
    let signer = session.channels().origin()?.signer;
    signer.verify(msg).then_some(signer)
}
