//! Session setups that name a session of another connection: channel binding, which lwio
//! does not offer, and the answers Windows gives such a request (MS-SMB2 3.3.5.5).
//!
//! lwio does not implement multichannel: NEGOTIATE never advertises
//! SMB2_GLOBAL_CAP_MULTI_CHANNEL, so its `IsMultiChannelCapable` is FALSE. Then:
//!
//! - A SESSION_SETUP with SMB2_SESSION_FLAG_BINDING is refused with
//!   STATUS_REQUEST_NOT_ACCEPTED, whatever the dialect: binding needs SMB 3.x and a
//!   multichannel server (3.3.5.5: with `IsMultiChannelCapable` FALSE the binding request
//!   is not accepted; smbtorture's `bind_negative_smb202`/`smb210*` record that Windows
//!   gives a 2.x connection that asks the same status). The session it names is left
//!   untouched.
//! - A SESSION_SETUP without the flag naming a session that is not on this connection is
//!   STATUS_USER_SESSION_DELETED (a re-authentication looks the session up in
//!   Connection.SessionTable, 3.3.5.5).
//!
//! In both cases the session may well exist on another connection, and the client signed
//! the request with that session's key: the answer is signed with the same key when the
//! request's signature verifies (3.3.4.1.1, and the server's lookup in GlobalSessionTable
//! that smbtorture's `smb2.session.bind_negative_*` tests require of Windows). A client
//! that requires signing takes an unsigned answer for STATUS_ACCESS_DENIED, so without
//! the lookup it would never see the status. Nothing is signed for a request whose
//! signature does not verify: no answer is an oracle for the key.

use lwio_core::NtStatus;
use lwio_smb2::session::SessionSetupFlags;
use lwio_smb2::{Header, HeaderFlags, SessionSetupRequest};

use crate::conn::Conn;
use crate::conn::chain::{Response, Target};
use crate::signing::Signer;

/// The refusal of a binding request (SMB2_SESSION_FLAG_BINDING on a session id that is not
/// zero), or `None` when the request does not ask to bind.
pub(crate) fn refuse_binding(
    conn: &Conn,
    t: &Target<'_>,
    req: &SessionSetupRequest,
    msg: &[u8],
) -> Option<Response> {
    if !req.flags.contains(SessionSetupFlags::BINDING) || t.req.session_id == 0 {
        return None;
    }
    tracing::debug!(
        session = t.req.session_id,
        "session binding refused: no multichannel"
    );
    let signer = foreign_signer(conn, t.req, msg);
    Some(t.error(conn, NtStatus::REQUEST_NOT_ACCEPTED, Vec::new(), signer))
}

/// The signer of session `hdr.session_id` when it lives on another connection of this
/// server and the request is signed with its key.
pub(crate) fn foreign_signer(conn: &Conn, hdr: &Header, msg: &[u8]) -> Option<Signer> {
    if !hdr.flags.contains(HeaderFlags::SIGNED) {
        return None;
    }
    let id = hdr.session_id;
    if let Some(vs) = conn.session(id) {
        // On this very connection.
        return vs.signer.clone().filter(|s| s.verify(msg));
    }
    let session = conn
        .srv
        .status
        .sessions()
        .into_iter()
        .find(|s| s.session.id == id)?
        .session;
    let owner = session.with_link(|l| l.conn.upgrade())??;
    let vs = owner.session(id)?;
    vs.signer.clone().filter(|s| s.verify(msg))
}
