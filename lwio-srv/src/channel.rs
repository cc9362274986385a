//! SMB 3.x multichannel: one session over several connections (MS-SMB2 3.3.5.5 with
//! SMB2_SESSION_FLAG_BINDING, 3.3.5.5.2, 3.3.5.5.3, 3.3.7.1).
//!
//! A session lives in one [`Session`] object shared by its channels: its trees, opens,
//! identity and encryption keys are the session's. Each connection it is bound to holds
//! its own entry for it in the connection's session table (a [`ValidSession`]: the shared
//! session, and the channel's signer), so a request is checked and answered with the key
//! of the connection it came in on, and the connection's task answers it there.
//! [`Channels`] (`Session.ChannelList`) is the session's list of those connections, with
//! what a binding is compared against ([`Origin`]: the dialect, signing algorithm,
//! cipher, `Session.SigningKey` and encryption keys of the session's first logon).
//!
//! ## Binding (3.3.5.5)
//! A SESSION_SETUP with SMB2_SESSION_FLAG_BINDING naming a session of another connection
//! is checked in the order Windows applies (smbtorture's `smb2.session.bind_negative_*`
//! record Windows' answers; MS-SMB2 3.3.5.5 lists the checks):
//!
//! 1. The session is looked up in the server's table; none: STATUS_USER_SESSION_DELETED
//!    on a multichannel 3.x connection, else STATUS_REQUEST_NOT_ACCEPTED.
//! 2. AES-GMAC on one side only: a GMAC session bound from a connection that signs
//!    otherwise is STATUS_REQUEST_OUT_OF_SEQUENCE; a GMAC connection binding a session
//!    that signs otherwise is STATUS_NOT_SUPPORTED (Windows; the specification is silent).
//! 3. A 2.x connection, or the server's multichannel setting off
//!    (`IsMultiChannelCapable` FALSE): STATUS_REQUEST_NOT_ACCEPTED.
//! 4. Another dialect than the session's connection: STATUS_INVALID_PARAMETER; an
//!    unsigned request: STATUS_INVALID_PARAMETER; for 3.1.1, another cipher:
//!    STATUS_INVALID_PARAMETER. Another client GUID is allowed (the specification's MAY:
//!    Windows binds it), and so is HMAC-SHA256 against AES-CMAC.
//! 5. A guest or anonymous session: STATUS_NOT_SUPPORTED. A session already bound to
//!    this connection: STATUS_REQUEST_NOT_ACCEPTED, once the request's signature verifies
//!    with the channel's key (STATUS_ACCESS_DENIED when it does not, as any request on
//!    the session).
//! 6. The signature, with `Session.SigningKey`: STATUS_ACCESS_DENIED when it does not
//!    verify (3.3.5.2.4). The session has at most [`MAX_CHANNELS`] channels (Windows'
//!    limit); one more is STATUS_INSUFFICIENT_RESOURCES.
//!
//! Every refusal of a request that verifies with the session's key is signed with it (a
//! client that requires signing takes an unsigned answer for an attack); nothing is
//! signed for a request that does not verify. A refused or failed binding leaves the
//! session as it was.
//!
//! The binding then authenticates in full (each leg signed with `Session.SigningKey`);
//! the logon must be the session's user (else STATUS_ACCESS_DENIED, the session intact).
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
//!
//! ## Life of a channel (3.3.7.1)
//! A connection that drops takes its channel out of the list: the session, its trees and
//! its opens live on while a channel remains, and go with the last one. The channel's
//! CREATEs in progress then go on (as Windows: a replay on another channel finds them in
//! progress, then done); its other requests end. A LOGOFF on any channel ends the session
//! on all of them, and so do a failed re-authentication and a logon that names the
//! session as its PreviousSessionId. An oplock or lease break goes to the
//! connection that made the open, or to another live channel of the session when that
//! one is gone (3.3.4.6, 3.3.4.7).

use std::sync::{Arc, Weak};

use lwio_auth::acceptor::{Logon, LogonKind};
use lwio_auth::smb2sign::SigningAlgorithm;
use lwio_auth::smb3crypt::Cipher;
use lwio_core::{NtStatus, Sid};
use lwio_smb2::session::SessionSetupFlags;
use lwio_smb2::{Dialect, HeaderFlags, SessionFlags, SessionSetupRequest, SessionSetupResponse};
use parking_lot::Mutex;

use crate::conn::chain::{Response, Target};
use crate::conn::seal::Sealer;
use crate::conn::{AuthInProgress, Conn, Negotiated, SessionSlot, ValidSession};
use crate::session_setup::MAX_SESSIONS;
use crate::signing::Signer;
use crate::state::Session;

/// The most channels one session may have (Windows' limit, 32).
pub(crate) const MAX_CHANNELS: usize = 32;

/// What a binding is compared against: the session as its first logon made it.
#[derive(Clone)]
pub(crate) struct Origin {
    /// The dialect of the session's first connection.
    pub(crate) dialect: Dialect,
    /// The algorithm its signatures use.
    pub(crate) signing: SigningAlgorithm,
    /// The cipher of its first connection.
    pub(crate) cipher: Option<Cipher>,
    /// `Session.SigningKey`: binding requests are signed with it.
    pub(crate) signer: Signer,
    /// The session's encryption keys, shared by every channel.
    pub(crate) sealer: Option<Arc<Sealer>>,
    /// `Session.EncryptData`.
    pub(crate) encrypt_data: bool,
    /// `Session.SigningRequired`.
    pub(crate) signing_required: bool,
    /// The user the session logged on as: a binding must be the same.
    pub(crate) user: Sid,
}

#[derive(Default)]
struct ChannelList {
    origin: Option<Origin>,
    conns: Vec<Weak<Conn>>,
    /// The session has ended (a LOGOFF, its last channel gone): nothing binds to it.
    ended: bool,
}

/// A session's channels (MS-SMB2 `Session.ChannelList`).
#[derive(Default)]
pub(crate) struct Channels(Mutex<ChannelList>);

impl Channels {
    /// What bindings are compared against; `None` for a session without a key (guest,
    /// anonymous), one made outside the engine, or one that has ended.
    pub(crate) fn origin(&self) -> Option<Origin> {
        let l = self.0.lock();
        if l.ended { None } else { l.origin.clone() }
    }

    /// Records the session's first connection and what its logon made.
    pub(crate) fn start(&self, origin: Option<Origin>, conn: &Arc<Conn>) {
        let mut l = self.0.lock();
        l.origin = origin;
        l.conns = vec![Arc::downgrade(conn)];
    }

    /// Adds `conn` as a channel: STATUS_USER_SESSION_DELETED when the session has ended
    /// meanwhile, STATUS_INSUFFICIENT_RESOURCES when it has [`MAX_CHANNELS`] already.
    fn add(&self, conn: &Arc<Conn>) -> Result<(), NtStatus> {
        let mut l = self.0.lock();
        if l.ended {
            return Err(NtStatus::USER_SESSION_DELETED);
        }
        l.conns.retain(|c| c.strong_count() > 0);
        if l.conns.len() >= MAX_CHANNELS {
            return Err(NtStatus::INSUFFICIENT_RESOURCES);
        }
        l.conns.push(Arc::downgrade(conn));
        Ok(())
    }

    fn is_full(&self) -> bool {
        let l = self.0.lock();
        l.conns.iter().filter(|c| c.strong_count() > 0).count() >= MAX_CHANNELS
    }

    /// Takes `conn` out of the list; returns a channel that remains, if any (none: the
    /// session has ended).
    pub(crate) fn remove(&self, conn: &Conn) -> Option<Arc<Conn>> {
        let mut l = self.0.lock();
        l.conns
            .retain(|c| c.strong_count() > 0 && !std::ptr::eq(c.as_ptr(), conn));
        let remains = l
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| !c.is_closing());
        l.ended |= remains.is_none();
        remains
    }

    /// The live channels other than `conn`.
    pub(crate) fn others(&self, conn: &Conn) -> Vec<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|c| !std::ptr::eq(Arc::as_ptr(c), conn))
            .collect()
    }

    /// True when `conn` is the session's first live channel.
    pub(crate) fn is_first(&self, conn: &Conn) -> bool {
        self.0
            .lock()
            .conns
            .iter()
            .find(|c| c.strong_count() > 0)
            .is_some_and(|c| std::ptr::eq(c.as_ptr(), conn))
    }

    /// A channel that is not closing, if any.
    pub(crate) fn live(&self) -> Option<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| !c.is_closing())
    }

    /// How many channels the session has now.
    pub(crate) fn count(&self) -> usize {
        self.0
            .lock()
            .conns
            .iter()
            .filter(|c| c.strong_count() > 0)
            .count()
    }
}

/// The algorithm a connection's sessions sign with: HMAC-SHA256 for 2.x, AES-CMAC for
/// 3.0 and 3.0.2, the negotiated one for 3.1.1.
pub(crate) fn signing_of(neg: &Negotiated) -> SigningAlgorithm {
    match neg.dialect {
        Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => SigningAlgorithm::HmacSha256,
        Dialect::SMB_3_1_1 => neg.signing,
        _ => SigningAlgorithm::AesCmac,
    }
}

/// Records `vs`, just established on `conn`, as its session's first channel.
pub(crate) fn first(conn: &Arc<Conn>, neg: &Negotiated, vs: &ValidSession) {
    let origin = vs.signer.clone().map(|signer| Origin {
        dialect: neg.dialect,
        signing: signing_of(neg),
        cipher: neg.cipher,
        signer,
        sealer: vs.sealer.clone(),
        encrypt_data: vs.encrypt_data,
        signing_required: vs.signing_required,
        user: vs.session.token().user,
    });
    vs.session.channels().start(origin, conn);
}

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

/// A LOGOFF (or a failed re-authentication) on `conn` ends session `id` on its other
/// channels too: their entries go, and a later request there is
/// STATUS_USER_SESSION_DELETED, signed with that channel's key.
pub(crate) fn end_everywhere(session: &Session, conn: &Conn) {
    for other in session.channels().others(conn) {
        let slot = other.st.lock().sessions.remove(&session.id);
        if let Some(vs) = slot.and_then(|s| s.valid) {
            other.session_ended(session.id, vs.signer.clone());
        }
    }
    let mut l = session.channels().0.lock();
    l.conns.clear();
    l.ended = true;
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
