//! SESSION_SETUP (MS-SMB2 3.3.5.5) and LOGOFF (3.3.5.6): the session table's side of a
//! logon. The tokens themselves go through `lwio-auth`'s [`Acceptor`] (NTLMSSP, raw or in
//! SPNEGO, with the mechListMIC checked), the same one the RPC binds use; this handler
//! keeps the exchange in the session's slot between legs, chains the 3.1.1 preauth hash,
//! and at the end makes the session, its token and its signing key.
//!
//! - A new session's failed logon removes it (3.3.5.5.3). So does a failed
//!   re-authentication of an established session (a wrong password: smbtorture's
//!   `smb2.session.reauth6` expects the session gone afterwards).
//! - A re-authentication (a SESSION_SETUP naming an established session of the
//!   connection) that succeeds, as any identity (the same user, another one, Guest or the
//!   null session), gives the session the new security context (3.3.5.5.3): later opens and
//!   tree connects carry the new token, opens made before keep the access they were
//!   granted, and the session keeps its key, signing key and encryption keys (3.3.5.5.2:
//!   the session key is retained; the client does not regenerate it, 3.2.5.3.2), its trees
//!   and its opens. Windows does the same (smbtorture's `smb2.session.reauth2`-`reauth5`
//!   re-authenticate as anonymous and back and go on with the first handle). Administration and srvsvc show the
//!   identity the session acts as now (`Session::identity`).
//! - Encryption (3.3.5.5.3, 3.1.4.2): a user session of a connection that negotiated a
//!   cipher gets its encryption and decryption keys ([`crate::conn::seal`]). With the
//!   server-wide `encrypt_data` it is marked SMB2_SESSION_FLAG_ENCRYPT_DATA and must
//!   encrypt every request after the logon. A client that cannot encrypt is then refused
//!   with STATUS_ACCESS_DENIED before authenticating (3.3.5.5), and so is a guest or null
//!   logon, which has no key, once authenticated; both only while
//!   `reject_unencrypted_access` holds.
//! - The answer to a failed logon waits for the authentication rate limiter
//!   ([`crate::conn::logon_limiter`]); the caller sleeps on its own task.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use lwio_auth::acceptor::{
    Acceptor, AcceptorPolicy, Framing, Logon, LogonFailure, LogonKind, Step,
};
use lwio_core::NtStatus;
use lwio_smb2::session::SessionSecurityMode;
use lwio_smb2::{
    Dialect, Header, HeaderFlags, LogoffResponse, SessionFlags, SessionSetupRequest,
    SessionSetupResponse,
};
use tokio::time::Instant;

use crate::conn::chain::{Outcome, Response, Target};
use crate::conn::seal::Sealer;
use crate::conn::{AuthInProgress, Conn, Negotiated, SessionSlot, ValidSession};
use crate::signing::Signer;
use crate::state::{Identity, Session};

/// How many sessions, established or in progress, one connection may hold.
pub(crate) const MAX_SESSIONS: usize = 256;

/// What a SESSION_SETUP gives: the outcome, and when it may be sent (a failed logon's
/// answer waits for the rate limiter).
pub(crate) type Setup = (Outcome, Option<Instant>);

fn policy(conn: &Conn) -> AcceptorPolicy {
    AcceptorPolicy {
        allow_guest: conn.srv.config.allow_guest,
        map_to_guest: conn.srv.config.map_to_guest,
    }
}

/// Takes the exchange of `session_id` out of the table (starting one, with a new session
/// id, for 0); also returns the established session being re-authenticated, if any.
fn begin(
    conn: &Conn,
    session_id: u64,
) -> Result<(u64, AuthInProgress, Option<Arc<ValidSession>>), NtStatus> {
    let srv = &conn.srv;
    let policy = policy(conn);
    let mut st = conn.st.lock();
    let preauth = st.preauth.clone();
    let fresh = || AuthInProgress {
        acceptor: Acceptor::new(srv.names.clone(), Framing::Either, policy),
        preauth: preauth.clone(),
    };
    if session_id == 0 {
        // A peer must not grow the table without bound (in-progress sessions included).
        if st.sessions.len() >= MAX_SESSIONS {
            return Err(NtStatus::INSUFFICIENT_RESOURCES);
        }
        let id = srv.next_session_id.fetch_add(1, Ordering::Relaxed);
        let auth = fresh();
        st.sessions.insert(id, SessionSlot::default());
        return Ok((id, auth, None));
    }
    let slot = st
        .sessions
        .get_mut(&session_id)
        .ok_or(NtStatus::USER_SESSION_DELETED)?;
    let auth = slot.auth.take().unwrap_or_else(fresh);
    Ok((session_id, auth, slot.valid.clone()))
}

/// Handles one SESSION_SETUP request.
pub(crate) fn handle(conn: &Arc<Conn>, msg: &[u8], hdr: &Header) -> Setup {
    let Some(neg) = conn.negotiated() else {
        return (Outcome::Close, None);
    };
    let mut t = Target {
        req: hdr,
        session_id: hdr.session_id,
        tree_id: 0,
        async_id: None,
    };
    let now = |r: Response| (Outcome::Reply(r), None);
    let Ok(req) = SessionSetupRequest::decode(msg) else {
        return now(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    };
    let cfg = &conn.srv.config;
    if cfg.encrypt_data && cfg.reject_unencrypted_access && neg.cipher.is_none() {
        tracing::debug!("encryption is required and the client cannot encrypt");
        return now(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None));
    }
    // Channel binding, and re-authentication on a bound channel (`channel`).
    let mut unsigned_channel_reauth = false;
    let binding = match crate::channel::check(conn, &neg, &t, &req, msg) {
        crate::channel::Check::Ordinary => None,
        crate::channel::Check::UnsignedChannelReauth => {
            unsigned_channel_reauth = true;
            None
        }
        crate::channel::Check::Refuse(r) => return now(r),
        crate::channel::Check::Bind(b) => Some(b),
    };
    let (session_id, mut auth, previous) = match begin(conn, hdr.session_id) {
        Ok(b) => b,
        Err(status) => {
            // A session of another connection: answered under its key (`channel`).
            let signer = (status == NtStatus::USER_SESSION_DELETED)
                .then(|| crate::channel::foreign_signer(conn, hdr, msg))
                .flatten();
            return now(t.error(conn, status, Vec::new(), signer));
        }
    };
    t.session_id = session_id;
    // Only a new session's keys come from the preauth hash.
    let chain_preauth = neg.dialect == Dialect::SMB_3_1_1 && previous.is_none();
    if chain_preauth {
        auth.preauth.update(msg);
    }
    match auth
        .acceptor
        .step(&req.security_buffer, conn.srv.accounts.as_ref())
    {
        Step::Continue(token) => {
            let body = SessionSetupResponse {
                session_flags: SessionFlags::empty(),
                security_buffer: token,
            };
            let mut bytes = t.encode(conn, NtStatus::MORE_PROCESSING_REQUIRED, None, |o| {
                body.encode(o)
            });
            if let Some(b) = &binding {
                // A binding's interim answers are signed with Session.SigningKey, before
                // the preauth hash takes them in (`channel`).
                b.sign_interim(&mut bytes);
            }
            if chain_preauth {
                auth.preauth.update(&bytes);
            }
            if let Some(slot) = conn.st.lock().sessions.get_mut(&session_id) {
                slot.auth = Some(auth);
            }
            now(Response {
                bytes,
                signer: None,
            })
        }
        // A binding's failure is signed with Session.SigningKey, a re-authentication's
        // with the key the request was signed with (a client that requires signing
        // takes an unsigned answer for STATUS_ACCESS_DENIED).
        Step::Failed(f) => {
            let signer = match (&binding, &previous) {
                (Some(b), _) => Some(b.signer()),
                (None, Some(vs)) if hdr.flags.contains(HeaderFlags::SIGNED) => {
                    vs.signer.clone().filter(|s| s.verify(msg))
                }
                _ => None,
            };
            failed(conn, &t, f, signer)
        }
        Step::Done { logon, reply } => {
            let reply = reply.unwrap_or_default();
            if let Some(b) = &binding {
                return now(crate::channel::bound(
                    conn, &t, &neg, &auth, *logon, reply, b,
                ));
            }
            match previous {
                Some(_) if unsigned_channel_reauth => {
                    now(t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None))
                }
                Some(vs) => now(reauthenticated(conn, &t, &vs, *logon, reply)),
                None => {
                    let response = established(conn, &t, &neg, &req, &auth, *logon, reply);
                    if let Some(vs) = conn.session(session_id) {
                        // What an administrator sees of the session, and how it ends it.
                        let encryption = vs.encrypt_data;
                        let signing = vs.signer.is_some();
                        crate::admin::link(&vs.session, conn, neg.dialect.0, signing, encryption);
                        // The session's first channel (multichannel binds others to it).
                        crate::channel::first(conn, &neg, &vs);
                    }
                    now(response)
                }
            }
        }
    }
}

/// A failed logon: the session goes (MS-SMB2 3.3.5.5.3) and the answer waits for the
/// rate limiter.
fn failed(conn: &Conn, t: &Target<'_>, f: LogonFailure, signer: Option<Signer>) -> Setup {
    end_session(conn, t.session_id);
    let hold = f.is_logon_attempt().then(|| {
        conn.srv.logon_limiter.lock().failed(
            Instant::now(),
            conn.peer_addr.map(|a| a.ip()),
            f.account.as_ref().map(|(user, _)| user.as_str()),
        )
    });
    (
        Outcome::Reply(t.error(conn, f.status, Vec::new(), signer)),
        hold,
    )
}

fn session_flags(kind: LogonKind) -> SessionFlags {
    match kind {
        LogonKind::Anonymous => SessionFlags::IS_NULL,
        LogonKind::Guest => SessionFlags::IS_GUEST,
        LogonKind::User => SessionFlags::empty(),
    }
}

/// A successful re-authentication of `vs`: the session takes the logon's token.
fn reauthenticated(
    conn: &Conn,
    t: &Target<'_>,
    vs: &ValidSession,
    logon: Logon,
    reply: Vec<u8>,
) -> Response {
    let signer = if t.req.flags.contains(HeaderFlags::SIGNED) || vs.signing_required {
        vs.signer.clone()
    } else {
        None
    };
    tracing::info!(
        session = vs.session.id,
        user = %logon.user,
        kind = ?logon.kind,
        "re-authenticated"
    );
    vs.session.set_identity(Identity {
        user: logon.user,
        domain: logon.domain,
        token: Arc::new(logon.token),
        is_guest: logon.kind != LogonKind::User,
    });
    let mut flags = session_flags(logon.kind);
    if vs.encrypt_data {
        // The session keeps its keys and its obligation to encrypt.
        flags |= SessionFlags::ENCRYPT_DATA;
    }
    let body = SessionSetupResponse {
        session_flags: flags,
        security_buffer: reply,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| body.encode(o));
    Response { bytes, signer }
}

/// A new session's logon succeeded: the session, its signing key, its entry in the
/// logon table.
fn established(
    conn: &Conn,
    t: &Target<'_>,
    neg: &Negotiated,
    req: &SessionSetupRequest,
    auth: &AuthInProgress,
    logon: Logon,
    reply: Vec<u8>,
) -> Response {
    let srv = &conn.srv;
    let keyed = logon.kind == LogonKind::User;
    let signer = keyed.then(|| {
        Signer::with_algorithm(
            neg.dialect,
            &logon.session_key,
            *auth.preauth.value(),
            neg.signing,
        )
    });
    let sealer = neg
        .cipher
        .filter(|_| keyed)
        .and_then(|c| {
            Sealer::new(
                neg.dialect,
                c,
                &logon.session_key,
                *auth.preauth.value(),
                t.session_id,
            )
        })
        .map(Arc::new);
    let encrypt_data = srv.config.encrypt_data && sealer.is_some();
    if srv.config.encrypt_data && sealer.is_none() && srv.config.reject_unencrypted_access {
        tracing::debug!(kind = ?logon.kind, "encryption is required: a logon without a key is refused");
        end_session(conn, t.session_id);
        return t.error(conn, NtStatus::ACCESS_DENIED, Vec::new(), None);
    }
    // Guest and null sessions have no key to sign with (MS-SMB2 3.3.5.5.3).
    let signing_required = keyed
        && (srv.config.signing_required
            || req
                .security_mode
                .contains(SessionSecurityMode::SIGNING_REQUIRED));
    let user_sid = logon.token.user;
    let session = Arc::new(Session::new(
        t.session_id,
        logon.user.clone(),
        logon.domain.clone(),
        Arc::new(logon.token),
        // Pipes opened on this session see the SMB 3.x application key (the session key
        // itself before 3.0): what SAMR's password encryption is keyed with.
        crate::signing::pipe_session_key(neg.dialect, &logon.session_key, *auth.preauth.value()),
        !keyed,
    ));
    // In the server's status until the session ends: srvsvc lists the session with the
    // client's address, wkssvc its user (unless a guest), a removed share disconnects
    // its trees.
    session.attach_logon(srv.status.register_session(&session, conn.peer_addr));
    let mut flags = session_flags(logon.kind);
    if encrypt_data {
        flags |= SessionFlags::ENCRYPT_DATA;
    }
    let body = SessionSetupResponse {
        session_flags: flags,
        security_buffer: reply,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| body.encode(o));
    if let Some(slot) = conn.st.lock().sessions.get_mut(&t.session_id) {
        slot.valid = Some(Arc::new(ValidSession {
            session,
            signer: signer.clone(),
            signing_required,
            sealer,
            encrypt_data,
            bound: false,
        }));
    }
    conn.authenticated.store(true, Ordering::Relaxed);
    if keyed {
        crate::conn::previous::end_previous_session(
            conn,
            req.previous_session_id,
            t.session_id,
            user_sid,
        );
    }
    tracing::info!(user = %logon.user, domain = %logon.domain, kind = ?logon.kind, "logon");
    Response { bytes, signer }
}

/// Removes session `id` from the connection, closing its trees and opens.
fn end_session(conn: &Conn, id: u64) {
    let slot = conn.st.lock().sessions.remove(&id);
    if let Some(vs) = slot.and_then(|s| s.valid) {
        conn.session_ended(id, vs.signer.clone());
        // The session ends on every channel (a LOGOFF on any of them, MS-SMB2 3.3.5.6).
        crate::channel::end_everywhere(&vs.session, conn);
        vs.session.end_logon();
        for tree in vs.session.remove_all_trees() {
            // Durable opens outlive a logoff too: a new session may reclaim them
            // (smbtorture's smb2.durable-open.reopen4, as Windows and Samba do).
            conn.srv
                .durable
                .connection_lost(&conn.srv.leases, tree.close_all());
        }
    }
}

/// LOGOFF: closes every tree and open of the session and forgets it.
pub(crate) fn logoff(
    conn: &Conn,
    t: &Target<'_>,
    vs: &Arc<ValidSession>,
    signer: Option<Signer>,
) -> Outcome {
    end_session(conn, vs.session.id);
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| LogoffResponse.encode(o));
    Outcome::Reply(Response { bytes, signer })
}
