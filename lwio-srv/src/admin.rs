//! What an administrator sees of a running server and what it may end: one source of
//! truth for srvsvc (NetrSessionEnum, NetrFileEnum) and for lwiod's local admin requests.
//!
//! [`ServerStatus::snapshot`] copies the live state (the sessions the server's status
//! registers, their tree connects, and every open on them) into plain values. It takes
//! each table's lock only for the copy of that table, never across an await, so a
//! snapshot costs a few allocations per session and open and never stalls the engine.
//!
//! Two actions end what the snapshot lists:
//! - [`ServerStatus::close_session`] closes the connection the session came in on (the
//!   client sees its connection, and with it the session, dropped: Windows' "Disconnect"
//!   in Computer Management and NetSessionDel do the same). Other sessions of that
//!   connection end with it.
//! - [`ServerStatus::close_file`] takes an open out of its tree: its handle closes once
//!   the I/O in flight on it completes, and the client's next request on it gets
//!   STATUS_FILE_CLOSED (NetFileClose).
//!
//! An unknown id gets STATUS_NOT_FOUND.
//!
//! Byte-range locks live in the file system below (PVFS keeps them per file control block,
//! shared by every opener), not in the server. [`ServerStatus::snapshot_with_locks`] asks
//! the file system for each open's own locks with lwio's `FSCTL_LWIO_QUERY_LOCKS`
//! ([`open_locks`], answered from memory at dispatch), after the copy, holding no table
//! lock across the awaits; [`ServerStatus::snapshot`] (srvsvc's source) leaves them out.
//! lwiod lists the locks of its local clients' files the same way, so locks taken over
//! SMB and over the local socket both show. Each open reports the oplock level it holds
//! now (MS-SMB2 2.2.13's values: 0 none, 1 level II, 8 exclusive, 9 batch).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use lwio_core::ShareAccess;
use lwio_core::{AccessMask, NtStatus};

use crate::conn::Conn;
use crate::state::Session;
use crate::status::ServerStatus;

/// A copy of the server's sessions and opens at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The authenticated sessions (guests included).
    pub sessions: Vec<SessionSnapshot>,
    /// Every open of every tree of those sessions.
    pub opens: Vec<OpenSnapshot>,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// The SMB2 session id ([`ServerStatus::close_session`] takes it).
    pub id: u64,
    /// The account name.
    pub user: String,
    /// The account's domain.
    pub domain: String,
    /// The client's address, when the connection has one.
    pub client: Option<SocketAddr>,
    /// The dialect of the session's connection (0x0202 ... 0x0311).
    pub dialect: u16,
    /// Whether the session signs its messages.
    pub signing: bool,
    /// Whether the session's requests must be encrypted (`Session.EncryptData`).
    pub encryption: bool,
    /// A guest or anonymous session.
    pub guest: bool,
    /// Since the logon.
    pub age: Duration,
    /// Since the last request that named one of its trees.
    pub idle: Duration,
    /// The tree connects.
    pub trees: Vec<TreeSnapshot>,
}

/// One tree connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSnapshot {
    /// The tree id.
    pub id: u32,
    /// The share's name.
    pub share: String,
    /// Since the connect.
    pub age: Duration,
    /// How many files are open on it.
    pub opens: usize,
}

/// One open file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSnapshot {
    /// The open's volatile file id ([`ServerStatus::close_file`] takes it).
    pub id: u64,
    /// The session that opened it.
    pub session: u64,
    /// The tree it is open on.
    pub tree: u32,
    /// The share's name.
    pub share: String,
    /// The share-relative name the client opened (`dir\file`).
    pub path: String,
    /// The access the create granted.
    pub granted: AccessMask,
    /// What the open lets other openers do.
    pub share_access: ShareAccess,
    /// The oplock level the open holds (MS-SMB2 2.2.13 values: 0 none, 1 level II,
    /// 8 exclusive, 9 batch).
    pub oplock: u8,
    /// True for a directory.
    pub directory: bool,
    /// The byte-range locks it holds and waits for (filled by
    /// [`ServerStatus::snapshot_with_locks`]).
    pub locks: OpenLocks,
}

/// The byte-range locks of one open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenLocks {
    /// The locks listed (at most [`MAX_LOCKS_PER_OPEN`]): granted first, then waiting.
    pub locks: Vec<LockSnapshot>,
    /// How many more the open holds than are listed.
    pub omitted: u32,
}

/// One byte-range lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockSnapshot {
    /// The first byte.
    pub offset: u64,
    /// The length.
    pub length: u64,
    /// Exclusive (write) rather than shared (read).
    pub exclusive: bool,
    /// A lock request still waiting for its range.
    pub waiting: bool,
}

/// The most locks listed per open (the rest are counted in [`OpenLocks::omitted`]).
pub const MAX_LOCKS_PER_OPEN: usize = 1024;

/// The locks `handle` holds or waits for, from its file system (`FSCTL_LWIO_QUERY_LOCKS`,
/// only the handle's own). A file system that does not answer it (a pipe, a redirector)
/// has none to list.
pub async fn open_locks(handle: &lwio_core::FileHandle) -> OpenLocks {
    locks_within(handle.call(locks_request())).await
}

/// How long a file system may take to list an open's locks (a redirector forwards the
/// FSCTL to its server) before the status goes on without them.
pub const LOCK_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// The locks in the answer to [`locks_request`] sent as `irp`, or none when it does not
/// come within [`LOCK_QUERY_TIMEOUT`] (dropping the IRP's future cancels it).
pub async fn locks_within(irp: lwio_core::IrpFuture) -> OpenLocks {
    match tokio::time::timeout(LOCK_QUERY_TIMEOUT, irp).await {
        Ok(result) => locks_of(&result),
        Err(_) => OpenLocks::default(),
    }
}

/// The IRP [`open_locks`] sends: FSCTL_LWIO_QUERY_LOCKS for the handle's own locks, room
/// for [`MAX_LOCKS_PER_OPEN`].
pub fn locks_request() -> lwio_core::IrpRequest {
    use lwio_fscc::lock_list;
    let max = lock_list::HEADER_LEN + MAX_LOCKS_PER_OPEN * lock_list::ENTRY_LEN;
    lwio_core::IrpRequest::FsControl(lwio_core::irp::ControlRequest {
        code: lwio_core::CtlCode::FSCTL_LWIO_QUERY_LOCKS.0,
        input: bytes::Bytes::copy_from_slice(&lock_list::QUERY_ONLY_MINE.to_le_bytes()),
        max_output: max as u32,
    })
}

/// The locks in the answer to [`locks_request`] (none when the file system refused it).
pub fn locks_of(result: &lwio_core::IrpResult) -> OpenLocks {
    use lwio_fscc::lock_list;
    if result.status != NtStatus::SUCCESS && result.status != NtStatus::BUFFER_OVERFLOW {
        return OpenLocks::default();
    }
    let Ok(list) = lock_list::decode(&result.output) else {
        return OpenLocks::default();
    };
    let listed = u32::try_from(list.entries.len()).unwrap_or(u32::MAX);
    OpenLocks {
        locks: list
            .entries
            .iter()
            .map(|e| LockSnapshot {
                offset: e.offset,
                length: e.length,
                exclusive: e.exclusive(),
                waiting: e.waiting(),
            })
            .collect(),
        omitted: list.total.saturating_sub(listed),
    }
}

/// What the connection engine tells a session about the connection it runs on.
pub(crate) struct Link {
    /// The connection (weak: a session outliving it must not keep it).
    pub(crate) conn: Weak<Conn>,
    /// Its dialect.
    pub(crate) dialect: u16,
    /// Whether the session signs.
    pub(crate) signing: bool,
    /// Whether the session must encrypt.
    pub(crate) encryption: bool,
}

fn session_snapshot(
    session: &Session,
    client: Option<SocketAddr>,
    out: &mut Vec<OpenSnapshot>,
    handles: &mut Vec<Arc<crate::state::Open>>,
) -> SessionSnapshot {
    let (dialect, signing, encryption) = session
        .with_link(|l| (l.dialect, l.signing, l.encryption))
        .unwrap_or_default();
    let identity = session.identity();
    let mut trees = Vec::new();
    for tree in session.trees() {
        let opens = tree.opens();
        trees.push(TreeSnapshot {
            id: tree.id,
            share: tree.share.name.clone(),
            age: tree.age(),
            opens: opens.len(),
        });
        out.extend(opens.iter().map(|open| OpenSnapshot {
            id: open.file_id.volatile,
            session: session.id,
            tree: tree.id,
            share: tree.share.name.clone(),
            path: open.name.clone(),
            granted: open.granted,
            share_access: open.share_access,
            oplock: open.oplock.level().0,
            directory: open.is_dir,
            locks: OpenLocks::default(),
        }));
        handles.extend(opens);
    }
    SessionSnapshot {
        id: session.id,
        user: identity.user,
        domain: identity.domain,
        client,
        dialect,
        signing,
        encryption,
        guest: identity.is_guest,
        age: session.age(),
        idle: session.idle(),
        trees,
    }
}

impl ServerStatus {
    /// The sessions, their trees and their opens, now.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_and_opens().0
    }

    /// The snapshot with each open's byte-range locks, asked of the file system after the
    /// copy (no table lock is held while the file systems answer).
    pub async fn snapshot_with_locks(&self) -> Snapshot {
        let (mut snapshot, opens) = self.snapshot_and_opens();
        for (entry, open) in snapshot.opens.iter_mut().zip(opens) {
            if !entry.directory {
                entry.locks = open_locks(&open.handle).await;
            }
        }
        snapshot
    }

    /// The snapshot, and the open behind each of its `opens` (same order).
    fn snapshot_and_opens(&self) -> (Snapshot, Vec<Arc<crate::state::Open>>) {
        let mut snapshot = Snapshot::default();
        let mut opens = Vec::new();
        for info in self.sessions() {
            let s = session_snapshot(&info.session, info.client, &mut snapshot.opens, &mut opens);
            snapshot.sessions.push(s);
        }
        (snapshot, opens)
    }

    /// Ends session `id` by closing its connection (STATUS_NOT_FOUND when no session has
    /// that id). A session with no connection (one registered by a test) has its trees
    /// and opens closed and leaves the status.
    pub fn close_session(&self, id: u64) -> Result<(), NtStatus> {
        let info = self
            .sessions()
            .into_iter()
            .find(|s| s.session.id == id)
            .ok_or(NtStatus::NOT_FOUND)?;
        match info.session.with_link(|l| l.conn.upgrade()).flatten() {
            Some(conn) => {
                // Every channel of a multichannel session.
                for other in info.session.channels().others(&conn) {
                    other.close();
                }
                conn.close();
            }
            None => {
                info.session.end_logon();
                for tree in info.session.remove_all_trees() {
                    drop(tree.close_all());
                }
            }
        }
        tracing::info!(session = id, user = %info.session.user(), "session closed by an administrator");
        Ok(())
    }

    /// Closes the open whose volatile file id is `id` (STATUS_NOT_FOUND when there is
    /// none).
    pub fn close_file(&self, id: u64) -> Result<(), NtStatus> {
        for info in self.sessions() {
            for tree in info.session.trees() {
                if let Some(open) = tree.opens().into_iter().find(|o| o.file_id.volatile == id) {
                    let closed = tree.remove_open(open.file_id)?;
                    tracing::info!(file = id, name = %closed.name, "file closed by an administrator");
                    return Ok(());
                }
            }
        }
        Err(NtStatus::NOT_FOUND)
    }
}

/// Points `session`'s link at `conn`, another of its channels, when the connection it
/// ran on has gone (multichannel, [`crate::channel`]).
pub(crate) fn relink(session: &Session, conn: &Arc<Conn>) {
    if let Some((dialect, signing, encryption)) =
        session.with_link(|l| (l.dialect, l.signing, l.encryption))
    {
        link(session, conn, dialect, signing, encryption);
    }
}

/// Marks `session` as running on `conn` (the engine calls this at logon).
pub(crate) fn link(
    session: &Session,
    conn: &Arc<Conn>,
    dialect: u16,
    signing: bool,
    encryption: bool,
) {
    session.set_link(Link {
        conn: Arc::downgrade(conn),
        dialect,
        signing,
        encryption,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Share;

    /// A re-authentication changes who the session acts as; the status shows the new
    /// account (MS-SMB2 3.3.5.5.3 replaces the session's security context).
    #[test]
    fn the_snapshot_shows_who_a_session_acts_as_now() {
        let status = ServerStatus::new("LWIO");
        let token = Arc::new(lwio_core::AccessToken::system());
        let session = Arc::new(Session::new(
            7,
            "alice".into(),
            "WORKGROUP".into(),
            token.clone(),
            [0; 16],
            false,
        ));
        session.attach_logon(status.register_session(&session, None));
        let first = &status.snapshot().sessions[0];
        assert_eq!((first.user.as_str(), first.guest), ("alice", false));
        session.set_identity(crate::state::Identity {
            user: "Guest".into(),
            domain: "LWIO".into(),
            token,
            is_guest: true,
        });
        let now = &status.snapshot().sessions[0];
        assert_eq!(
            (now.user.as_str(), now.domain.as_str(), now.guest),
            ("Guest", "LWIO", true)
        );
    }

    #[tokio::test]
    async fn snapshot_lists_opens_and_the_actions_end_them() {
        let dir = tempfile::tempdir().unwrap();
        let io = lwio_core::IoManager::new();
        lwio_pvfs::mount(&io, "mem", dir.path(), Default::default()).unwrap();
        let status = ServerStatus::new("LWIO");
        let share = status.add_share(Share::disk("data", "mem")).unwrap();
        let token = Arc::new(lwio_core::AccessToken::system());
        let alice = Arc::new(Session::new(
            5,
            "alice".into(),
            "WORKGROUP".into(),
            token.clone(),
            [0; 16],
            false,
        ));
        alice.attach_logon(status.register_session(&alice, None));
        let tree = alice.add_tree(share, AccessMask(0x1f_01ff));
        let create = lwio_core::CreateRequest::new(
            token,
            AccessMask(0x0012_019f),
            lwio_core::CreateDisposition::OVERWRITE_IF,
        )
        .share(ShareAccess::READ);
        let handle = io.create_file("/mem/a.txt", create).await.unwrap();
        let open = tree.add_open(handle, "a.txt".into(), false, ShareAccess::READ);

        let snap = status.snapshot();
        assert_eq!(snap.sessions.len(), 1);
        assert_eq!(
            (snap.sessions[0].id, snap.sessions[0].user.as_str()),
            (5, "alice")
        );
        assert_eq!(snap.sessions[0].trees[0].opens, 1);
        assert_eq!(snap.opens.len(), 1);
        let o = &snap.opens[0];
        assert_eq!(
            (o.id, o.session, o.tree),
            (open.file_id.volatile, 5, tree.id)
        );
        assert_eq!((o.share.as_str(), o.path.as_str()), ("data", "a.txt"));
        assert_eq!(o.share_access, ShareAccess::READ);
        assert_eq!(o.locks, OpenLocks::default());

        // The open's own locks show in snapshot_with_locks, another opener's do not.
        let lock = |offset, exclusive| lwio_core::irp::LockRequest {
            offset,
            length: 4,
            key: 0,
            exclusive,
            fail_immediately: true,
        };
        open.handle.lock(lock(8, true)).await.unwrap();
        let other = io
            .create_file(
                "/mem/a.txt",
                lwio_core::CreateRequest::new(
                    Arc::new(lwio_core::AccessToken::system()),
                    AccessMask(0x0012_0089),
                    lwio_core::CreateDisposition::OPEN,
                )
                .share(ShareAccess::READ | ShareAccess::WRITE),
            )
            .await
            .unwrap();
        other.lock(lock(100, false)).await.unwrap();
        let locks = &status.snapshot_with_locks().await.opens[0].locks;
        assert_eq!(
            locks.locks,
            [LockSnapshot {
                offset: 8,
                length: 4,
                exclusive: true,
                waiting: false
            }]
        );
        assert_eq!(locks.omitted, 0);
        drop(other);

        assert_eq!(status.close_file(o.id + 1000), Err(NtStatus::NOT_FOUND));
        status.close_file(o.id).unwrap();
        assert_eq!(tree.open(open.file_id).err(), Some(NtStatus::FILE_CLOSED));
        assert!(status.snapshot().opens.is_empty());

        assert_eq!(status.close_session(6), Err(NtStatus::NOT_FOUND));
        status.close_session(5).unwrap();
        assert!(status.snapshot().sessions.is_empty());
        assert!(alice.trees().is_empty());
    }
}
