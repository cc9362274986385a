//! The server's live state, for the RPC services and admin tools that report or change it.
//!
//! [`ServerStatus`] is a cheap handle ([`Server::status`](crate::Server::status), clone it
//! freely) on what the running server holds: its share table, the sessions of every
//! connection with their tree connects and open files, the TCP listener and the number of
//! client connections. srvsvc (share, session, connection and file enumeration) and
//! wkssvc (logged-on users) read it through the adapters of
//! [`rpc_services`](crate::rpc_services); nothing here depends on RPC.
//!
//! The share table is live: [`ServerStatus::add_share`] serves a share to the next tree
//! connect, [`ServerStatus::replace_share`] changes what later tree connects see (comment,
//! share permissions) while trees already connected keep the share they connected to, and
//! [`ServerStatus::remove_share`] disconnects every tree on the share and closes its
//! files: a later request on such a tree gets STATUS_NETWORK_NAME_DELETED (MS-SMB2
//! 3.3.5.2.11: the tree is no longer in the session's tree table). Mounting the device a
//! share serves is the application's part (lwiod mounts PVFS).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use lwio_core::NtStatus;
use parking_lot::{Mutex, RwLock};

use crate::state::{Session, Share};

/// A live view of a server; cheap to clone.
#[derive(Clone, Default)]
pub struct ServerStatus {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    name: RwLock<String>,
    shares: RwLock<Vec<Arc<Share>>>,
    sessions: Mutex<Vec<SessionEntry>>,
    next: AtomicU64,
    listener: RwLock<Option<SocketAddr>>,
    connections: AtomicU32,
}

struct SessionEntry {
    id: u64,
    session: Weak<Session>,
    client: Option<SocketAddr>,
}

impl std::fmt::Debug for ServerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStatus")
            .field("name", &*self.inner.name.read())
            .field("shares", &self.inner.shares.read().len())
            .field("sessions", &self.inner.sessions.lock().len())
            .finish_non_exhaustive()
    }
}

/// A session of the server with the client it came from.
#[derive(Clone)]
pub struct SessionInfo {
    /// The session: its user, trees ([`Session::trees`]) and their opens.
    pub session: Arc<Session>,
    /// The client's address, when the transport has one.
    pub client: Option<SocketAddr>,
}

/// A session's entry in the status; dropping it (the session ends) takes the entry out.
pub struct SessionGuard {
    status: Weak<Inner>,
    id: u64,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Some(inner) = self.status.upgrade() {
            inner.sessions.lock().retain(|e| e.id != self.id);
        }
    }
}

impl std::fmt::Debug for SessionGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionGuard")
            .field("id", &self.id)
            .finish()
    }
}

impl ServerStatus {
    /// An empty status for a server named `name` (its NetBIOS name).
    pub fn new(name: &str) -> ServerStatus {
        let status = ServerStatus::default();
        *status.inner.name.write() = name.to_owned();
        status
    }

    /// The server's NetBIOS name.
    pub fn name(&self) -> String {
        self.inner.name.read().clone()
    }

    /// The shares, in the order they were added.
    pub fn shares(&self) -> Vec<Arc<Share>> {
        self.inner.shares.read().clone()
    }

    /// The share named `name`, case-insensitively.
    pub fn share(&self, name: &str) -> Option<Arc<Share>> {
        self.inner
            .shares
            .read()
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// Serves `share` to later tree connects; STATUS_OBJECT_NAME_COLLISION when a share
    /// of that name (case-insensitively) exists.
    pub fn add_share(&self, share: Share) -> Result<Arc<Share>, NtStatus> {
        let mut shares = self.inner.shares.write();
        if shares
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(&share.name))
        {
            return Err(NtStatus::OBJECT_NAME_COLLISION);
        }
        let share = Arc::new(share);
        shares.push(Arc::clone(&share));
        Ok(share)
    }

    /// Replaces the share of the same name with `share` for later tree connects (trees
    /// already connected keep theirs); STATUS_BAD_NETWORK_NAME when there is none.
    pub fn replace_share(&self, share: Share) -> Result<Arc<Share>, NtStatus> {
        let mut shares = self.inner.shares.write();
        let slot = shares
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(&share.name))
            .ok_or(NtStatus::BAD_NETWORK_NAME)?;
        let share = Arc::new(share);
        *slot = Arc::clone(&share);
        Ok(share)
    }

    /// Takes the share named `name` out of the table, disconnects every tree connected
    /// to it and closes their files; returns the share (STATUS_BAD_NETWORK_NAME when
    /// there is none). The device it served stays mounted: unmounting is the caller's.
    pub fn remove_share(&self, name: &str) -> Result<Arc<Share>, NtStatus> {
        let removed = {
            let mut shares = self.inner.shares.write();
            let at = shares
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(name))
                .ok_or(NtStatus::BAD_NETWORK_NAME)?;
            shares.remove(at)
        };
        for info in self.sessions() {
            for tree in info.session.trees() {
                if tree.share.name.eq_ignore_ascii_case(name) {
                    let _ = info.session.remove_tree(tree.id);
                    drop(tree.close_all());
                }
            }
        }
        Ok(removed)
    }

    /// The sessions that are alive (authenticated, guest and anonymous ones).
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.inner
            .sessions
            .lock()
            .iter()
            .filter_map(|e| {
                Some(SessionInfo {
                    session: e.session.upgrade()?,
                    client: e.client,
                })
            })
            .collect()
    }

    /// The trees connected to the share named `name` now.
    pub fn current_uses(&self, name: &str) -> u32 {
        let uses = self
            .sessions()
            .iter()
            .flat_map(|s| s.session.trees())
            .filter(|t| t.share.name.eq_ignore_ascii_case(name))
            .count();
        u32::try_from(uses).unwrap_or(u32::MAX)
    }

    /// The address the server listens on, once it does.
    pub fn listener(&self) -> Option<SocketAddr> {
        *self.inner.listener.read()
    }

    /// The client connections open now.
    pub fn connections(&self) -> u32 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// Registers `session` (from `client`) until the guard drops; the engine keeps the
    /// guard in the session ([`Session::attach_logon`]).
    pub fn register_session(
        &self,
        session: &Arc<Session>,
        client: Option<SocketAddr>,
    ) -> SessionGuard {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        self.inner.sessions.lock().push(SessionEntry {
            id,
            session: Arc::downgrade(session),
            client,
        });
        SessionGuard {
            status: Arc::downgrade(&self.inner),
            id,
        }
    }

    pub(crate) fn set_listener(&self, addr: SocketAddr) {
        *self.inner.listener.write() = Some(addr);
    }

    pub(crate) fn connection_opened(&self) {
        self.inner.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.inner.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ShareKind;

    fn session(id: u64) -> Arc<Session> {
        let token = lwio_core::AccessToken::new(lwio_core::security::well_known::WORLD);
        Arc::new(Session::new(
            id,
            "alice".into(),
            "WORKGROUP".into(),
            Arc::new(token),
            [0; 16],
            false,
        ))
    }

    #[test]
    fn share_table_adds_replaces_and_removes() {
        let status = ServerStatus::new("LWIO");
        status.add_share(Share::disk("data", "dev")).unwrap();
        assert_eq!(
            status.add_share(Share::disk("DATA", "other")).unwrap_err(),
            NtStatus::OBJECT_NAME_COLLISION
        );
        let s = session(1);
        let _guard = status.register_session(&s, None);
        let tree = s.add_tree(status.share("data").unwrap(), lwio_core::AccessMask(1));
        status
            .replace_share(Share::disk("data", "dev").with_comment("new"))
            .unwrap();
        assert_eq!(status.share("Data").unwrap().comment, "new");
        assert_eq!(tree.share.comment, "", "a connected tree keeps its share");
        assert!(s.tree(tree.id).is_ok());
        let gone = status.remove_share("data").unwrap();
        assert!(matches!(gone.kind, ShareKind::Disk { .. }));
        assert_eq!(s.tree(tree.id).err(), Some(NtStatus::NETWORK_NAME_DELETED));
        assert!(status.share("data").is_none());
        assert_eq!(
            status.remove_share("data").unwrap_err(),
            NtStatus::BAD_NETWORK_NAME
        );
    }

    #[test]
    fn sessions_register_until_their_guard_drops() {
        let status = ServerStatus::new("LWIO");
        let a = session(1);
        let guard = status.register_session(&a, "10.0.0.1:5000".parse().ok());
        assert_eq!(status.sessions().len(), 1);
        assert_eq!(status.sessions()[0].client, "10.0.0.1:5000".parse().ok());
        drop(guard);
        assert!(status.sessions().is_empty());
    }
}
