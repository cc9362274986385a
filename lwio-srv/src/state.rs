//! The server's shared objects, and the contract between the connection engine and the
//! file command handlers.
//!
//! The engine (connection, negotiate, session setup, tree connect, signing, credits,
//! compounding, async responses) decodes each request's header, finds its [`Session`] and
//! [`Tree`], and hands file commands to [`crate::files::dispatch`] as a [`FileRequest`].
//! A handler decodes its body with `lwio-smb2`, performs the work through the session's
//! I/O manager handles, and returns a [`Reply`]; it never touches sockets, signing or
//! credits. A handler that may wait long (a blocking lock, a change notify, a pipe read)
//! first calls [`AsyncControl::go_async`] (its request's `async_control`), which makes
//! the engine send the interim STATUS_PENDING response with an async id, and registers an
//! [`IrpCanceller`] so an SMB2 CANCEL can end it.
//!
//! Changelog (additions by the engine; nothing removed or changed):
//! - `Session::open_count`: files open on all trees of a session (the engine enforces
//!   `max_opens_per_session` before dispatching CREATE).
//! - `FileRequest::local_addr`: the server address the connection came in on (IOCTL
//!   FSCTL_QUERY_NETWORK_INTERFACE_INFO lists it).
//! - For srvsvc's session, connection and file enumerations: `Session::trees`,
//!   `Session::age`, `Session::idle` (a request that names one of the session's trees
//!   counts as activity), `Session::attach_logon`/`end_logon` (the session's entry in the
//!   server's [`status`](crate::status)), `Tree::opens`, `Tree::age`.
//! - `Share::path` and the `Share` constructors, for the builder and the live share table.
//! - For [`crate::admin`]: `Open::share_access` (`Tree::add_open` takes it) and the
//!   session's link to its connection (`Session::with_link`).
//! - For durable handles ([`crate::durable`]): `Open::durable`, `Open::relay`,
//!   `Open::channel`,
//!   `Tree::insert_open` (a reconnected open joins its new tree), `FileRequest::durable`.
//! - For multichannel (`channel/`): `Session::channels`, the connections the
//!   session is bound to; `AsyncControl::multichannel` (a provided method: false).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lwio_core::{AccessMask, AccessToken, FileHandle, IoManager, IrpCanceller, NtStatus};
use lwio_smb2::{FileId, Header};
use parking_lot::Mutex;

/// What a share serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareKind {
    /// A disk share: files on the I/O manager device `device` (`/device/path`).
    Disk {
        /// The device name, e.g. the share name of a PVFS mount.
        device: String,
    },
    /// IPC$: named pipes on the NPFS device `device` (`/device/pipename`).
    Ipc {
        /// The NPFS device name.
        device: String,
    },
}

/// One share.
#[derive(Debug, Clone)]
pub struct Share {
    /// The name clients use (case-insensitive).
    pub name: String,
    /// What it serves.
    pub kind: ShareKind,
    /// A comment for share enumeration.
    pub comment: String,
    /// The local path share enumeration reports to administrators (levels 2 and 502);
    /// empty when the share has none.
    pub path: String,
    /// The most tree connects the share takes at once (`u32::MAX`: no limit); beyond
    /// it a TREE_CONNECT gets STATUS_REQUEST_NOT_ACCEPTED (MS-SMB2 3.3.5.7).
    pub max_uses: u32,
    /// The SHI1005 flags srvsvc reports (MS-SRVS 2.2.4.29). Of these the server acts on
    /// [`SHI1005_FLAGS_ENCRYPT_DATA`] (the share requires SMB 3.x encryption, MS-SMB2
    /// `Share.EncryptData`) and [`SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM`] (MS-SMB2
    /// `Share.DoAccessBasedDirectoryEnumeration`); the others are stored for srvsvc.
    pub flags: u32,
    /// The share permissions (checked at tree connect and, by a
    /// [`ShareAclFilter`](lwio_core::filter::ShareAclFilter) on the share's device, at
    /// every create); `None`: no share-level limit.
    pub security: Option<Arc<lwio_core::SecurityDescriptor>>,
}

/// SHI1005_FLAGS_ENCRYPT_DATA (MS-SRVS 2.2.4.29): the share requires SMB 3.x encryption.
/// Its tree connects carry SMB2_SHAREFLAG_ENCRYPT_DATA and, with
/// [`Settings::reject_unencrypted_access`](crate::Settings::reject_unencrypted_access), a
/// client that cannot encrypt is refused with STATUS_ACCESS_DENIED.
pub const SHI1005_FLAGS_ENCRYPT_DATA: u32 = 0x8000;

/// SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM (MS-SRVS 2.2.4.29): the share lists a
/// directory's entries only to those who could read them. Its tree connects carry
/// SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM (MS-SMB2 2.2.10) and every QUERY_DIRECTORY
/// asks the file system for [`ABE_RIGHTS`] on each entry.
pub const SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM: u32 = 0x0800;

/// What an entry of an access-based enumeration share must grant the caller to be listed:
/// Windows' "Read" permission (FILE_GENERIC_READ) without SYNCHRONIZE, that is
/// FILE_READ_DATA (FILE_LIST_DIRECTORY on a directory), FILE_READ_EA,
/// FILE_READ_ATTRIBUTES and READ_CONTROL. Missing any one hides the entry, as smbtorture's
/// smb2.acls.ACCESSBASED expects.
pub const ABE_RIGHTS: lwio_core::AccessMask = lwio_core::AccessMask(
    lwio_core::AccessMask::FILE_READ_DATA.0
        | lwio_core::AccessMask::FILE_READ_EA.0
        | lwio_core::AccessMask::FILE_READ_ATTRIBUTES.0
        | lwio_core::AccessMask::READ_CONTROL.0,
);

impl Share {
    /// Whether the share requires SMB 3.x encryption ([`SHI1005_FLAGS_ENCRYPT_DATA`]).
    pub fn encrypts_data(&self) -> bool {
        self.flags & SHI1005_FLAGS_ENCRYPT_DATA != 0
    }

    /// Whether the share enumerates directories by access
    /// ([`SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM`]).
    pub fn enumerates_by_access(&self) -> bool {
        self.flags & SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM != 0
    }

    /// The share, with access-based directory enumeration.
    pub fn with_access_based_enumeration(mut self) -> Share {
        self.flags |= SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM;
        self
    }

    /// The share, requiring SMB 3.x encryption.
    pub fn with_encrypt_data(mut self) -> Share {
        self.flags |= SHI1005_FLAGS_ENCRYPT_DATA;
        self
    }

    /// A disk share `name` serving the files of the I/O manager device `device`.
    pub fn disk(name: impl Into<String>, device: impl Into<String>) -> Share {
        Share {
            name: name.into(),
            kind: ShareKind::Disk {
                device: device.into(),
            },
            comment: String::new(),
            path: String::new(),
            max_uses: u32::MAX,
            flags: 0,
            security: None,
        }
    }

    /// IPC$, serving the named pipes of the device `device`.
    pub fn ipc(device: impl Into<String>) -> Share {
        Share {
            name: "IPC$".into(),
            kind: ShareKind::Ipc {
                device: device.into(),
            },
            comment: "IPC Service".into(),
            path: String::new(),
            max_uses: u32::MAX,
            flags: 0,
            security: None,
        }
    }

    /// The share with `comment`.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Share {
        self.comment = comment.into();
        self
    }

    /// The share reporting the local path `path`.
    pub fn with_path(mut self, path: impl Into<String>) -> Share {
        self.path = path.into();
        self
    }

    /// The share with share permissions `security`, checked at tree connect. Creates are
    /// checked by a filter on the device, which the application attaches (a
    /// [`ShareAclFilter`](lwio_core::filter::ShareAclFilter) with the same descriptor).
    pub fn with_security(mut self, security: lwio_core::SecurityDescriptor) -> Share {
        self.security = Some(Arc::new(security));
        self
    }

    /// The device the share serves.
    pub fn device(&self) -> &str {
        match &self.kind {
            ShareKind::Disk { device } | ShareKind::Ipc { device } => device,
        }
    }

    /// The device path of `path` (a share-relative name as SMB2 sends it: `dir\file`,
    /// no leading backslash) on this share: `/device/dir/file`.
    pub fn device_path(&self, path: &str) -> String {
        let device = self.device();
        let rel = path.trim_start_matches('\\').replace('\\', "/");
        if rel.is_empty() {
            format!("/{device}")
        } else {
            format!("/{device}/{rel}")
        }
    }
}

/// An open file of a tree connect.
pub struct Open {
    /// The id the client uses.
    pub file_id: FileId,
    /// The I/O manager handle.
    pub handle: FileHandle,
    /// The share-relative name the client opened (`dir\file`).
    pub name: String,
    /// True for a directory.
    pub is_dir: bool,
    /// The access the create granted.
    pub granted: AccessMask,
    /// What the open lets other openers do (its create's ShareAccess).
    pub share_access: lwio_core::ShareAccess,
    /// Resiliency, lock sequence replay state and close-while-waiting (MS-SMB2 3.3.5.14).
    pub locks: crate::files::OpenLocks,
    /// The open's oplock (MS-SMB2 3.3.1.10 Open.OplockLevel, Open.OplockState).
    pub oplock: crate::files::OplockSlot,
    /// Set when the open is durable (MS-SMB2 3.3.1.10 `Open.IsDurable`).
    pub durable: crate::durable::DurableSlot,
    /// Where the open's oplock and lease break notifications go.
    pub relay: crate::durable::BreakRelay,
    /// The open's channel sequence and outstanding requests (MS-SMB2 3.3.5.2.10).
    pub channel: crate::files::ChannelSequence,
}

/// One tree connect.
pub struct Tree {
    /// The tree id.
    pub id: u32,
    /// The share.
    pub share: Arc<Share>,
    /// The maximal access the session has on the share.
    pub maximal_access: AccessMask,
    opens: Mutex<HashMap<u64, Arc<Open>>>,
    connected: Instant,
}

/// Opens of all trees of a server share one volatile id space.
static NEXT_VOLATILE: AtomicU64 = AtomicU64::new(1);

impl Tree {
    /// A new tree connect.
    pub fn new(id: u32, share: Arc<Share>, maximal_access: AccessMask) -> Self {
        Tree {
            id,
            share,
            maximal_access,
            opens: Mutex::new(HashMap::new()),
            connected: Instant::now(),
        }
    }

    /// The tree's opens, in no particular order.
    pub fn opens(&self) -> Vec<Arc<Open>> {
        self.opens.lock().values().cloned().collect()
    }

    /// How long the tree has been connected.
    pub fn age(&self) -> Duration {
        self.connected.elapsed()
    }

    /// Adds an open made from `handle`; returns it with its new file id.
    pub fn add_open(
        &self,
        handle: FileHandle,
        name: String,
        is_dir: bool,
        share_access: lwio_core::ShareAccess,
    ) -> Arc<Open> {
        let volatile = NEXT_VOLATILE.fetch_add(1, Ordering::Relaxed);
        let granted = handle.file().granted_access();
        let open = Arc::new(Open {
            file_id: FileId {
                persistent: volatile,
                volatile,
            },
            handle,
            name,
            is_dir,
            granted,
            share_access,
            locks: Default::default(),
            oplock: Default::default(),
            durable: Default::default(),
            relay: Default::default(),
            channel: Default::default(),
        });
        self.opens.lock().insert(volatile, Arc::clone(&open));
        open
    }

    /// Adds an open that existed before (a durable open reconnected on this tree).
    pub fn insert_open(&self, open: Arc<Open>) {
        self.opens.lock().insert(open.file_id.volatile, open);
    }

    /// The open with `file_id`; STATUS_FILE_CLOSED when there is none.
    pub fn open(&self, file_id: FileId) -> Result<Arc<Open>, NtStatus> {
        let opens = self.opens.lock();
        match opens.get(&file_id.volatile) {
            Some(o) if o.file_id.persistent == file_id.persistent => Ok(Arc::clone(o)),
            _ => Err(NtStatus::FILE_CLOSED),
        }
    }

    /// Removes the open with `file_id` (its handle closes when the last reference goes).
    pub fn remove_open(&self, file_id: FileId) -> Result<Arc<Open>, NtStatus> {
        let mut opens = self.opens.lock();
        match opens.get(&file_id.volatile) {
            Some(o) if o.file_id.persistent == file_id.persistent => Ok(opens
                .remove(&file_id.volatile)
                .ok_or(NtStatus::FILE_CLOSED)?),
            _ => Err(NtStatus::FILE_CLOSED),
        }
    }

    /// Removes every open (tree disconnect, logoff, the end of the connection). An open a
    /// request still uses (a pending change notify, lock or read) has that request ended,
    /// as CLOSE does (a change notify answers STATUS_NOTIFY_CLEANUP; smbtorture's
    /// `smb2.notify.logoff` waits for it): the handle closes when the request lets go. The
    /// others close when the caller drops them.
    pub fn close_all(&self) -> Vec<Arc<Open>> {
        let opens: Vec<Arc<Open>> = self.opens.lock().drain().map(|(_, o)| o).collect();
        for open in opens.iter().filter(|o| Arc::strong_count(o) > 1) {
            open.locks.set_closed();
            open.handle.cancel();
        }
        opens
    }

    /// How many files are open on this tree.
    pub fn open_count(&self) -> usize {
        self.opens.lock().len()
    }
}

/// Who a session acts as: an account, its domain, the token its requests carry, and
/// whether it is a guest or anonymous logon.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The account name.
    pub user: String,
    /// The account's domain.
    pub domain: String,
    /// The token every IRP of the session carries.
    pub token: Arc<AccessToken>,
    /// A guest or anonymous logon.
    pub is_guest: bool,
}

/// An authenticated session.
pub struct Session {
    /// The session id.
    pub id: u64,
    /// Who the session acts as: its logon's identity, or the last re-authentication's
    /// ([`Session::identity`]).
    identity: parking_lot::RwLock<Identity>,
    /// The session key pipes see: NTLMSSP's for 2.x, the application key for 3.x
    /// ([`crate::signing::pipe_session_key`]).
    pub session_key: [u8; 16],
    trees: Mutex<HashMap<u32, Arc<Tree>>>,
    next_tree: AtomicU32,
    started: Instant,
    /// Milliseconds from `started` to the last request that named a tree.
    last_active: AtomicU64,
    logon: Mutex<Option<crate::status::SessionGuard>>,
    link: Mutex<Option<crate::admin::Link>>,
    channels: crate::channel::Channels,
}

impl Session {
    /// A new session.
    pub fn new(
        id: u64,
        user: String,
        domain: String,
        token: Arc<AccessToken>,
        session_key: [u8; 16],
        is_guest: bool,
    ) -> Self {
        Session {
            id,
            identity: parking_lot::RwLock::new(Identity {
                user,
                domain,
                token,
                is_guest,
            }),
            session_key,
            trees: Mutex::new(HashMap::new()),
            next_tree: AtomicU32::new(1),
            started: Instant::now(),
            last_active: AtomicU64::new(0),
            logon: Mutex::new(None),
            link: Mutex::new(None),
            channels: Default::default(),
        }
    }

    /// Who the session acts as now: its logon's identity, or the last
    /// re-authentication's (MS-SMB2 3.3.5.5.3: a re-authentication replaces the session's
    /// security context). Administration and srvsvc show this one.
    pub fn identity(&self) -> Identity {
        self.identity.read().clone()
    }

    /// The account name the session acts as now.
    pub fn user(&self) -> String {
        self.identity.read().user.clone()
    }

    /// The token the session's requests carry now. Opens made before a
    /// re-authentication keep the access they were granted.
    pub fn token(&self) -> Arc<AccessToken> {
        Arc::clone(&self.identity.read().token)
    }

    /// True when the session acts as Guest or anonymous now.
    pub fn is_guest(&self) -> bool {
        self.identity.read().is_guest
    }

    /// Replaces who the session acts as (a re-authentication, MS-SMB2 3.3.5.5.3).
    pub(crate) fn set_identity(&self, identity: Identity) {
        *self.identity.write() = identity;
    }

    /// Keeps `guard` (the session's entry in the server's status) until the session ends
    /// or [`Session::end_logon`].
    pub fn attach_logon(&self, guard: crate::status::SessionGuard) {
        *self.logon.lock() = Some(guard);
    }

    /// Records the connection the session runs on (the engine, at logon).
    pub(crate) fn set_link(&self, link: crate::admin::Link) {
        *self.link.lock() = Some(link);
    }

    /// `f` of the session's connection link; `None` for a session made outside the
    /// engine.
    pub(crate) fn with_link<T>(&self, f: impl FnOnce(&crate::admin::Link) -> T) -> Option<T> {
        self.link.lock().as_ref().map(f)
    }

    /// The connections the session is bound to (SMB 3.x multichannel, [`crate::channel`]).
    pub(crate) fn channels(&self) -> &crate::channel::Channels {
        &self.channels
    }

    /// Takes the session out of the server's status (logoff).
    pub fn end_logon(&self) {
        self.logon.lock().take();
    }

    /// How long ago the session was authenticated.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }

    /// How long ago the session's last request that named one of its trees arrived.
    pub fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_active.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// The session's tree connects, in no particular order.
    pub fn trees(&self) -> Vec<Arc<Tree>> {
        self.trees.lock().values().cloned().collect()
    }

    /// Connects a tree to `share`.
    pub fn add_tree(&self, share: Arc<Share>, maximal_access: AccessMask) -> Arc<Tree> {
        let id = self.next_tree.fetch_add(1, Ordering::Relaxed);
        let tree = Arc::new(Tree::new(id, share, maximal_access));
        self.trees.lock().insert(id, Arc::clone(&tree));
        tree
    }

    /// The tree with `id`; STATUS_NETWORK_NAME_DELETED when there is none. Every request
    /// on a tree looks its tree up here, which makes this the session's activity mark.
    pub fn tree(&self, id: u32) -> Result<Arc<Tree>, NtStatus> {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active.store(now, Ordering::Relaxed);
        self.trees
            .lock()
            .get(&id)
            .cloned()
            .ok_or(NtStatus::NETWORK_NAME_DELETED)
    }

    /// Disconnects the tree with `id`.
    pub fn remove_tree(&self, id: u32) -> Result<Arc<Tree>, NtStatus> {
        self.trees
            .lock()
            .remove(&id)
            .ok_or(NtStatus::NETWORK_NAME_DELETED)
    }

    /// How many files are open on all trees of this session.
    pub fn open_count(&self) -> usize {
        self.trees.lock().values().map(|t| t.open_count()).sum()
    }

    /// Disconnects every tree (logoff).
    pub fn remove_all_trees(&self) -> Vec<Arc<Tree>> {
        self.trees.lock().drain().map(|(_, t)| t).collect()
    }
}

/// What a file command handler returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A response body (everything after the 64-byte header) with its status, which may be
    /// a success or a warning that carries a body (STATUS_BUFFER_OVERFLOW).
    Body {
        /// The header's status.
        status: NtStatus,
        /// The encoded body.
        body: Vec<u8>,
    },
    /// A response body followed by data that stays in the buffer it was read into (a
    /// READ's, MS-SMB2 2.2.20): the connection sends it after the body, by vectored I/O,
    /// without copying it.
    Data {
        /// The header's status.
        status: NtStatus,
        /// The encoded body up to its data.
        body: Vec<u8>,
        /// The data that follows the body.
        data: Vec<u8>,
    },
    /// An error response (MS-SMB2 2.2.2) with optional error data (e.g. the size a
    /// query-security needs on STATUS_BUFFER_TOO_SMALL).
    Error {
        /// The header's status.
        status: NtStatus,
        /// ErrorData bytes.
        data: Vec<u8>,
    },
}

impl Reply {
    /// An error response without error data.
    pub fn error(status: NtStatus) -> Self {
        Reply::Error {
            status,
            data: Vec::new(),
        }
    }
}

/// What the engine gives a handler that goes asynchronous.
pub trait AsyncControl: Send + Sync {
    /// Sends the interim STATUS_PENDING response (once) and returns the async id; later
    /// calls return the same id. `canceller`, if given, is what an SMB2 CANCEL for this
    /// request invokes.
    fn go_async(&self, canceller: Option<IrpCanceller>) -> u64;

    /// Where the server sends notifications for opens this request makes: the oplock
    /// break notifications of the request's connection (MS-SMB2 3.3.4.6).
    fn break_sink(&self) -> Arc<dyn BreakSink>;

    /// True when the request's connection negotiated SMB2_GLOBAL_CAP_MULTI_CHANNEL (a 3.x
    /// dialect): LOCK then verifies lock sequences on every open (MS-SMB2 3.3.5.14).
    fn multichannel(&self) -> bool {
        false
    }

    /// True when the request's connection negotiated SMB2_GLOBAL_CAP_DIRECTORY_LEASING (the
    /// server's setting on, a 3.x dialect, and a client that announced it): only then is a
    /// directory's create granted a lease (MS-SMB2 3.3.5.9.11).
    fn directory_leasing(&self) -> bool {
        false
    }
}

/// Sends unsolicited messages to one connection (it may be gone by then: nothing is sent).
pub trait BreakSink: Send + Sync {
    /// Sends an SMB2 OPLOCK_BREAK notification (MS-SMB2 2.2.23.1) for `file_id`.
    fn send_oplock_break(&self, file_id: FileId, level: lwio_smb2::OplockLevel);
    /// Sends an SMB2 LEASE_BREAK notification (MS-SMB2 2.2.23.2).
    fn send_lease_break(&self, notification: lwio_smb2::oplock::LeaseBreakNotification);
    /// Sends a LEASE_BREAK notification that needs an acknowledgment; while `unanswered`
    /// says it still waits, a sink of a multichannel session sends it again on another
    /// channel when the one it went on fails ([`crate::channel::breaks`]). By default, as
    /// [`BreakSink::send_lease_break`].
    fn send_lease_break_awaiting(
        &self,
        notification: lwio_smb2::oplock::LeaseBreakNotification,
        unanswered: crate::channel::breaks::Unanswered,
    ) {
        let _ = unanswered;
        self.send_lease_break(notification);
    }
    /// The connection this sink sends on, while it is open (an identity: sinks of one
    /// connection give the same value); `None` once it closed, or when the sink is not
    /// one connection's.
    fn connection(&self) -> Option<usize> {
        None
    }
}

/// One file command, as the engine hands it to [`crate::files::dispatch`].
pub struct FileRequest<'a> {
    /// The I/O manager.
    pub io: &'a IoManager,
    /// The authenticated session.
    pub session: &'a Arc<Session>,
    /// The tree the request names.
    pub tree: &'a Arc<Tree>,
    /// The request's decoded header.
    pub header: &'a Header,
    /// The request (from its header to its end, compound padding included).
    pub msg: &'a [u8],
    /// The frame `msg` lies in, shared, when the caller has it so: a handler hands a
    /// part of it to the driver (a WRITE's data) as a slice, without copying it
    /// (`files/write.rs`). `None`: such parts are copied.
    pub frame: Option<&'a bytes::Bytes>,
    /// In a related compound chain: the file id the previous request produced or used,
    /// which replaces a file id of all ones (MS-SMB2 3.3.5.2.7.2).
    pub related_file_id: Option<FileId>,
    /// The negotiated dialect (0x0202 ... 0x0311).
    pub dialect: u16,
    /// The largest read/write/transact the server negotiated.
    pub max_io: u32,
    /// Going asynchronous.
    pub async_control: &'a dyn AsyncControl,
    /// The local (server) address of the connection, when the transport has one.
    pub local_addr: Option<std::net::SocketAddr>,
    /// The client GUID the connection negotiated (scopes lease keys, MS-SMB2 3.3.1.4).
    pub client_guid: [u8; 16],
    /// The server's leases.
    pub leases: &'a Arc<crate::files::LeaseTable>,
    /// The server's durable opens.
    pub durable: &'a Arc<crate::durable::DurableTable>,
}

/// The file id a related compound request means when it says "the previous one".
pub const RELATED_FILE_ID: FileId = FileId {
    persistent: u64::MAX,
    volatile: u64::MAX,
};

impl FileRequest<'_> {
    /// Resolves a request's file id: all ones in a related chain means the previous
    /// request's file (STATUS_INVALID_PARAMETER when there is none).
    pub fn resolve_file_id(&self, id: FileId) -> Result<FileId, NtStatus> {
        if id == RELATED_FILE_ID {
            self.related_file_id.ok_or(NtStatus::INVALID_PARAMETER)
        } else {
            Ok(id)
        }
    }

    /// The open a request names.
    pub fn open(&self, id: FileId) -> Result<Arc<Open>, NtStatus> {
        self.tree.open(self.resolve_file_id(id)?)
    }
}
