//! SESSION_SETUP (MS-SMB2 3.3.5.5) with SPNEGO/NTLMSSP, and LOGOFF (3.3.5.6).
//!
//! The first leg (an NTLMSSP NEGOTIATE, raw or inside a NegTokenInit) is answered with
//! STATUS_MORE_PROCESSING_REQUIRED and the CHALLENGE; the second (AUTHENTICATE) is
//! verified against the [`AccountSource`](crate::accounts::AccountSource). For 3.1.1 each
//! request and each non-final response is chained into the session's preauth hash, whose
//! value after the last request derives the signing key.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use lwio_auth::ntlm::server::system_filetime;
use lwio_auth::ntlm::{MessageType, NegotiateFlags, NtlmServer, message_type};
use lwio_auth::spnego::{GssToken, NegState, NegTokenResp, Oid};
use lwio_core::security::well_known;
use lwio_core::{AccessToken, NtStatus};
use lwio_smb2::session::SessionSecurityMode;
use lwio_smb2::{
    Dialect, Header, LogoffResponse, SessionFlags, SessionSetupRequest, SessionSetupResponse,
};

use crate::conn::chain::{Outcome, Response, Target};
use crate::conn::{AuthInProgress, Conn, SessionSlot, ValidSession};
use crate::signing::Signer;
use crate::state::Session;

fn spnego_reply(
    raw: bool,
    state: NegState,
    token: Option<Vec<u8>>,
    mic: Option<Vec<u8>>,
) -> Vec<u8> {
    if raw {
        return token.unwrap_or_default();
    }
    NegTokenResp {
        neg_state: Some(state),
        supported_mech: (state == NegState::ACCEPT_INCOMPLETE).then(Oid::ntlmssp),
        response_token: token,
        mech_list_mic: mic,
    }
    .encode()
}

/// Handles one SESSION_SETUP request.
pub(crate) fn handle(conn: &Arc<Conn>, msg: &[u8], hdr: &Header) -> Outcome {
    let Some(neg) = conn.negotiated() else {
        return Outcome::Close;
    };
    let mut t = Target {
        req: hdr,
        session_id: hdr.session_id,
        tree_id: 0,
        async_id: None,
    };
    let Ok(req) = SessionSetupRequest::decode(msg) else {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    };
    let srv = &conn.srv;
    let new_auth = |preauth| AuthInProgress {
        ntlm: NtlmServer::new(srv.names.clone(), Box::new(system_filetime))
            .with_guest_fallback(srv.config.allow_guest),
        preauth,
        mech_list: None,
    };
    // Take (or start) the exchange out of the table while it runs.
    let (mut auth, previous) = {
        let mut st = conn.st.lock();
        if hdr.session_id == 0 {
            let id = srv.next_session_id.fetch_add(1, Ordering::Relaxed);
            t.session_id = id;
            let auth = new_auth(st.preauth.clone());
            st.sessions.insert(id, SessionSlot::default());
            (auth, None)
        } else {
            let preauth = st.preauth.clone();
            match st.sessions.get_mut(&hdr.session_id) {
                None => {
                    drop(st);
                    return Outcome::Reply(t.error(
                        conn,
                        NtStatus::USER_SESSION_DELETED,
                        Vec::new(),
                        None,
                    ));
                }
                Some(slot) => {
                    let auth = slot.auth.take().unwrap_or_else(|| new_auth(preauth));
                    (auth, slot.valid.clone())
                }
            }
        }
    };
    let session_id = t.session_id;
    if neg.dialect == Dialect::SMB_3_1_1 {
        auth.preauth.update(msg);
    }
    let fail = |conn: &Conn, t: &Target<'_>, status: NtStatus| {
        let mut st = conn.st.lock();
        if previous.is_none() {
            st.sessions.remove(&session_id);
        }
        drop(st);
        Outcome::Reply(t.error(conn, status, Vec::new(), None))
    };
    let gss = if req.security_buffer.is_empty() {
        None
    } else {
        match GssToken::decode(&req.security_buffer) {
            Ok(g) => Some(g),
            Err(_) => return fail(conn, &t, NtStatus::INVALID_PARAMETER),
        }
    };
    let raw = matches!(gss, Some(GssToken::RawNtlmssp(_)));
    if let Some(GssToken::Init(init)) = &gss {
        auth.mech_list = Some(lwio_auth::spnego::mech_type_list(&init.mech_types));
    }
    let client_mic = matches!(&gss, Some(GssToken::Resp(r)) if r.mech_list_mic.is_some());
    let Some(token) = gss.as_ref().and_then(|g| g.mech_token()) else {
        // No mechanism token: offer SPNEGO/NTLMSSP again.
        let body = SessionSetupResponse {
            session_flags: SessionFlags::empty(),
            security_buffer: lwio_auth::spnego::server_negotiate_token(),
        };
        let bytes = t.encode(conn, NtStatus::MORE_PROCESSING_REQUIRED, None, |o| {
            body.encode(o)
        });
        if neg.dialect == Dialect::SMB_3_1_1 {
            auth.preauth.update(&bytes);
        }
        store_auth(conn, session_id, auth);
        return Outcome::Reply(Response {
            bytes,
            signer: None,
        });
    };
    match message_type(token) {
        Ok(MessageType::Negotiate) => {
            let challenge = match auth.ntlm.challenge(token) {
                Ok(c) => c,
                Err(e) => return fail(conn, &t, e.status()),
            };
            let body = SessionSetupResponse {
                session_flags: SessionFlags::empty(),
                security_buffer: spnego_reply(
                    raw,
                    NegState::ACCEPT_INCOMPLETE,
                    Some(challenge),
                    None,
                ),
            };
            let bytes = t.encode(conn, NtStatus::MORE_PROCESSING_REQUIRED, None, |o| {
                body.encode(o)
            });
            if neg.dialect == Dialect::SMB_3_1_1 {
                auth.preauth.update(&bytes);
            }
            store_auth(conn, session_id, auth);
            Outcome::Reply(Response {
                bytes,
                signer: None,
            })
        }
        Ok(MessageType::Authenticate) => {
            let accounts = &srv.accounts;
            let lookup = |u: &str, d: &str| accounts.nt_hash(u, d);
            let a = match auth.ntlm.authenticate(token, &lookup) {
                Ok(a) => a,
                Err(e) => {
                    tracing::info!(error = %e, "logon failed");
                    return fail(conn, &t, e.status());
                }
            };
            let guest = a.anonymous || a.guest;
            if guest && !srv.config.allow_guest {
                return fail(conn, &t, NtStatus::LOGON_FAILURE);
            }
            // A null session is the anonymous logon (S-1-5-7), which the RPC services
            // refuse unless configured; a failed logon taken as guest is the Guest account.
            let token = if a.anonymous {
                Ok(AccessToken::new(well_known::ANONYMOUS).with_groups([well_known::WORLD]))
            } else if guest {
                accounts.guest_token().ok_or(NtStatus::LOGON_FAILURE)
            } else {
                accounts.logon(&a.user, &a.domain)
            };
            let token = match token {
                Ok(token) => token,
                Err(status) => return fail(conn, &t, status),
            };
            let signer = (!guest)
                .then(|| Signer::new(neg.dialect, &a.session_key, *auth.preauth.value(), neg.gmac));
            let signing_required = !guest
                && (srv.config.signing_required
                    || req
                        .security_mode
                        .contains(SessionSecurityMode::SIGNING_REQUIRED));
            let session = Arc::new(Session::new(
                session_id,
                a.user.clone(),
                a.domain.clone(),
                Arc::new(token),
                crate::signing::pipe_session_key(
                    neg.dialect,
                    &a.session_key,
                    *auth.preauth.value(),
                ),
                guest,
            ));
            if !guest {
                // In the logon table until the session ends: wkssvc lists the user,
                // srvsvc the session, with the client's address.
                let guard = srv.rpc.logons().logon_session(
                    &session,
                    &srv.names.nb_computer,
                    conn.peer_addr,
                );
                session.attach_logon(guard);
            }
            let mic = match (&auth.mech_list, client_mic && !guest) {
                (Some(list), true) => Some(crate::mech_list_mic::server_mic(
                    &a.session_key,
                    a.flags.contains(NegotiateFlags::KEY_EXCH),
                    list,
                )),
                _ => None,
            };
            let flags = if a.anonymous {
                SessionFlags::IS_NULL
            } else if guest {
                SessionFlags::IS_GUEST
            } else {
                SessionFlags::empty()
            };
            let body = SessionSetupResponse {
                session_flags: flags,
                security_buffer: spnego_reply(raw, NegState::ACCEPT_COMPLETED, None, mic),
            };
            let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| body.encode(o));
            {
                let mut st = conn.st.lock();
                let slot = st.sessions.entry(session_id).or_default();
                if let Some(old) = slot.valid.take() {
                    for tree in old.session.remove_all_trees() {
                        tree.close_all();
                    }
                }
                slot.valid = Some(Arc::new(ValidSession {
                    session,
                    signer: signer.clone(),
                    signing_required,
                }));
            }
            conn.authenticated.store(true, Ordering::Relaxed);
            tracing::info!(user = %a.user, domain = %a.domain, guest, "logon");
            Outcome::Reply(Response { bytes, signer })
        }
        _ => fail(conn, &t, NtStatus::INVALID_PARAMETER),
    }
}

fn store_auth(conn: &Conn, id: u64, auth: AuthInProgress) {
    if let Some(slot) = conn.st.lock().sessions.get_mut(&id) {
        slot.auth = Some(auth);
    }
}

/// LOGOFF: closes every tree and open of the session and forgets it.
pub(crate) fn logoff(
    conn: &Conn,
    t: &Target<'_>,
    vs: &Arc<ValidSession>,
    signer: Option<Signer>,
) -> Outcome {
    conn.st.lock().sessions.remove(&vs.session.id);
    vs.session.end_logon();
    for tree in vs.session.remove_all_trees() {
        tree.close_all();
    }
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |o| LogoffResponse.encode(o));
    Outcome::Reply(Response { bytes, signer })
}
