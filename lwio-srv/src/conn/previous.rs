//! PreviousSessionId (MS-SMB2 3.3.5.5.3): a client that lost its connection logs on again
//! on a new one and names the session it had. Once the new session is established, the
//! previous one, if it exists on any connection and belongs to the same user (the same
//! user SID), ends: its trees are disconnected, its opens closed except durable ones,
//! which wait for a reconnect as after a dropped connection (3.3.7.1). A request on the
//! old session then gets STATUS_USER_SESSION_DELETED. A previous session of another user,
//! or one that does not exist, is left alone and the new logon succeeds all the same.

use std::sync::Arc;

use lwio_core::Sid;

use super::Conn;

/// Ends session `previous` of `user`, wherever it is (not `current`, the new session).
pub(crate) fn end_previous_session(conn: &Conn, previous: u64, current: u64, user: Sid) {
    if previous == 0 || previous == current {
        return;
    }
    for other in conn.srv.engine.connections() {
        let ended = {
            let mut st = other.st.lock();
            let ours = st
                .sessions
                .get(&previous)
                .and_then(|slot| slot.valid.as_ref())
                .is_some_and(|vs| vs.session.token().user == user);
            if ours {
                st.sessions.remove(&previous).and_then(|slot| slot.valid)
            } else {
                None
            }
        };
        if let Some(vs) = ended {
            tracing::info!(session = previous, "previous session ended by a new logon");
            other.session_ended(previous, vs.signer.clone());
            // And on its other channels (multichannel, `crate::channel`).
            crate::channel::end_everywhere(&vs.session, &other);
            vs.session.end_logon();
            let srv: &Arc<_> = &other.srv;
            for tree in vs.session.remove_all_trees() {
                srv.durable.connection_lost(&srv.leases, tree.close_all());
            }
            return;
        }
    }
}
