//! The shares as srvsvc sees them (MS-SRVS 3.1.1.7, the server's `Share`), and the two
//! seams to the SMB server that owns them: [`ShareDatabase`], which srvsvc reads at every
//! enumeration, and [`ShareAdmin`], through which NetrShareAdd, NetrShareSetInfo and
//! NetrShareDel change them. srvsvc checks the caller and every parameter it can check
//! without the file system (see [`super::admin`]); the implementation of [`ShareAdmin`]
//! does the rest — the path on disk, the change itself, and what the change means to the
//! connected clients — and answers with the Win32 status the caller gets.
//!
//! [`MemoryShares`] implements both over a list in memory, for tests and for servers
//! whose shares live nowhere else.

use lwio_core::AccessToken;
use parking_lot::RwLock;

use super::win32::{ERROR_SUCCESS, NERR_NET_NAME_NOT_FOUND};
use super::{NERR_DUPLICATE_SHARE, NERR_UNKNOWN_DEV_DIR};

/// Share types (MS-SRVS 2.2.2.4): the base type in the low bits, flags above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareType(pub u32);

impl ShareType {
    /// STYPE_DISKTREE.
    pub const DISK: ShareType = ShareType(0);
    /// STYPE_PRINTQ.
    pub const PRINT: ShareType = ShareType(1);
    /// STYPE_DEVICE.
    pub const DEVICE: ShareType = ShareType(2);
    /// STYPE_IPC.
    pub const IPC: ShareType = ShareType(3);
    /// STYPE_TEMPORARY flag: the share is not persisted (not sticky).
    pub const TEMPORARY: u32 = 0x4000_0000;
    /// STYPE_SPECIAL flag (administrative shares: C$, ADMIN$, IPC$).
    pub const SPECIAL: u32 = 0x8000_0000;
    /// STYPE_CLUSTER_FS, STYPE_CLUSTER_SOFS and STYPE_CLUSTER_DFS: clients set them to
    /// zero and servers ignore them on receipt and clear them on the way out.
    pub const CLUSTER_MASK: u32 = 0x0E00_0000;
    /// The base type's bits.
    pub const BASE_MASK: u32 = 0x0000_00FF;

    /// This type with the STYPE_SPECIAL flag.
    pub const fn special(self) -> ShareType {
        ShareType(self.0 | Self::SPECIAL)
    }

    /// The base type, without the flags.
    pub const fn base(self) -> ShareType {
        ShareType(self.0 & Self::BASE_MASK)
    }

    /// Whether the share is kept across restarts (a sticky share): neither temporary nor
    /// special (the special shares are made at every start, never stored).
    pub const fn is_sticky(self) -> bool {
        self.0 & (Self::TEMPORARY | Self::SPECIAL) == 0
    }
}

/// One share as the SMB server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// Share name (`IPC$`, `data`).
    pub name: String,
    /// Type and flags.
    pub share_type: ShareType,
    /// Comment (remark).
    pub comment: String,
    /// Local path (`C:\data` or a Unix path), reported at levels 2, 502 and 503.
    pub path: String,
    /// Current connections.
    pub current_uses: u32,
    /// Connection limit; `u32::MAX` for none.
    pub max_uses: u32,
    /// Share-level permissions (ACCESS_READ…; usually 0 on NT servers).
    pub permissions: u32,
    /// The SHI1005 flags (client-side caching policy and the share's options, MS-SRVS
    /// 2.2.4.29), reported at levels 501 and 1005.
    pub flags: u32,
    /// Self-relative security descriptor of the share (its share permissions), for levels
    /// 502, 503 and 1501.
    pub security_descriptor: Option<Vec<u8>>,
}

impl ShareRecord {
    /// A share with no users, no limit and no descriptor.
    pub fn new(name: &str, share_type: ShareType, comment: &str, path: &str) -> ShareRecord {
        ShareRecord {
            name: name.into(),
            share_type,
            comment: comment.into(),
            path: path.into(),
            current_uses: 0,
            max_uses: u32::MAX,
            permissions: 0,
            flags: 0,
            security_descriptor: None,
        }
    }

    /// Applies the settings `update` carries.
    pub fn apply(&mut self, update: &ShareUpdate) {
        if let Some(remark) = &update.remark {
            self.comment.clone_from(remark);
        }
        if let Some(max) = update.max_uses {
            self.max_uses = max;
        }
        if let Some(sd) = &update.security_descriptor {
            self.security_descriptor.clone_from(sd);
        }
        if let Some(flags) = update.flags {
            self.flags = flags;
        }
    }
}

/// Where srvsvc finds the shares; the SMB server implements it over its share table.
pub trait ShareDatabase: Send + Sync {
    /// Every share, in the order to report them (the order they were added).
    fn shares(&self) -> Vec<ShareRecord>;

    /// The share named `name` (case-insensitive).
    fn share(&self, name: &str) -> Option<ShareRecord> {
        self.shares()
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// What NetrShareSetInfo changes in a share: each `Some` field is set, the others are
/// kept. srvsvc fills it from the info level (3.1.4.11): the remark at levels 1, 2, 502,
/// 503 and 1004; the connection limit at 2, 502, 503 and 1006; the descriptor at 502, 503
/// and 1501 (`Some(None)` removes it); the SHI1005 flags at 1005 (the DFS bits already
/// cleared, every other bit one lwio knows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareUpdate {
    /// New remark.
    pub remark: Option<String>,
    /// New connection limit (`u32::MAX`: none).
    pub max_uses: Option<u32>,
    /// New share security descriptor (self-relative, already parsed once by srvsvc), or
    /// `Some(None)` for none.
    pub security_descriptor: Option<Option<Vec<u8>>>,
    /// New SHI1005 flags.
    pub flags: Option<u32>,
}

/// Share administration: what NetrShareAdd (MS-SRVS 3.1.4.7), NetrShareSetInfo (3.1.4.11)
/// and NetrShareDel (3.1.4.12) change. The SMB server implements it over its live share
/// table; srvsvc calls it only for an administrator, after the checks that need no file
/// system (name, level, type, remark, path syntax, descriptor), and returns the Win32
/// status it gives to the caller unchanged.
///
/// # The contract
///
/// Every method is atomic with respect to the others and to [`ShareDatabase::shares`]:
/// the name lookup and the change happen under one lock, so two concurrent adds of one
/// name give one `NERR_Success` and one `NERR_DuplicateShare`. Names compare
/// case-insensitively. A change is visible to the next srvsvc enumeration and the next
/// SMB2 TREE_CONNECT as soon as the method returns `NERR_Success`.
///
/// [`add`](ShareAdmin::add):
/// - `NERR_DuplicateShare` (2118) when a share of that name exists (srvsvc has looked
///   already, but only the implementation can decide it atomically).
/// - For a disk share (base type STYPE_DISKTREE): `share.path` is absolute and has no `.`
///   or `..` component (srvsvc checked). It must name an existing directory, else
///   `NERR_UnknownDevDir` (2116, "the device or directory does not exist"), and the
///   caller (`caller`, the RPC client's token) must be able to open it for listing
///   (FILE_LIST_DIRECTORY through the I/O manager with that token), else
///   `ERROR_ACCESS_DENIED` (5). A live server mounts it as it mounts a configured share
///   (PVFS, a read-only or share-ACL filter when the record asks for one).
/// - `share.security_descriptor` (when present) is a valid self-relative descriptor: the
///   share permissions, to be enforced on every later TREE_CONNECT and create as the
///   configured `security` of a share is.
/// - A share whose type lacks STYPE_TEMPORARY is sticky: a live server persists it (in
///   its state directory) before answering `NERR_Success`, so it comes back after a
///   restart; a temporary one lives until the server stops. If it cannot be persisted the
///   add fails as a whole (nothing mounted) with the error of the store
///   (`ERROR_NOT_ENOUGH_MEMORY` (8) or `ERROR_DISK_FULL` (112), say).
/// - `current_uses` is 0 and `permissions` is ignored, whatever the record says.
///
/// [`set_info`](ShareAdmin::set_info):
/// - `NERR_NetNameNotFound` (2310) when no share has that name.
/// - Applies the `Some` fields of [`ShareUpdate`] ([`ShareRecord::apply`]). A new
///   descriptor governs the TREE_CONNECTs and creates that come after it; trees already
///   connected keep what they were granted (as on Windows). A lower `max_uses` refuses
///   new connections beyond it and leaves the existing ones. Flags are stored and
///   reported at levels 501 and 1005; which of them the server enforces is its own
///   business (document it there). A sticky share's stored record is rewritten.
///
/// [`delete`](ShareAdmin::delete):
/// - `NERR_NetNameNotFound` (2310) when no share has that name.
/// - Removes the share at once: new TREE_CONNECTs to it fail with
///   STATUS_BAD_NETWORK_NAME; every tree connected to it is disconnected — its later
///   requests fail with STATUS_NETWORK_NAME_DELETED — and its opens are closed (their
///   pending IRPs cancelled, byte-range locks released, delete-on-close honoured), then
///   the device is unmounted and the stored record, if any, erased. The call returns
///   when the share is gone from the table; closing the opens may finish after it.
/// - IPC$ (which carries this very call) may be refused with `ERROR_ACCESS_DENIED`:
///   Windows deletes it only by the two-phase NetrShareDelStart/NetrShareDelCommit
///   (3.1.4.14), which lwio does not serve.
pub trait ShareAdmin: Send + Sync {
    /// NetrShareAdd: adds `share` on behalf of `caller`; see the trait's contract.
    fn add(&self, share: ShareRecord, caller: &AccessToken) -> u32;

    /// NetrShareSetInfo: changes the share named `name`; see the trait's contract.
    fn set_info(&self, name: &str, update: &ShareUpdate, caller: &AccessToken) -> u32;

    /// NetrShareDel: removes the share named `name`; see the trait's contract.
    fn delete(&self, name: &str, caller: &AccessToken) -> u32;
}

/// An in-memory share list, for tests and simple servers.
///
/// As a [`ShareAdmin`] it keeps the contract's table rules (duplicates, unknown names,
/// atomic changes) and checks that a disk share's path is an existing directory of the
/// local file system (`NERR_UnknownDevDir` otherwise). It mounts nothing, persists
/// nothing, has no connections to close, and does not check the caller's access to the
/// directory (it has no I/O manager to ask).
#[derive(Debug, Default)]
pub struct MemoryShares {
    shares: RwLock<Vec<ShareRecord>>,
}

impl MemoryShares {
    /// A database holding `shares`.
    pub fn new(shares: Vec<ShareRecord>) -> MemoryShares {
        MemoryShares {
            shares: RwLock::new(shares),
        }
    }

    /// Adds or replaces (by name) a share, without any check.
    pub fn upsert(&self, share: ShareRecord) {
        let mut list = self.shares.write();
        list.retain(|s| !s.name.eq_ignore_ascii_case(&share.name));
        list.push(share);
    }

    /// Removes a share; true if it existed.
    pub fn remove(&self, name: &str) -> bool {
        let mut list = self.shares.write();
        let before = list.len();
        list.retain(|s| !s.name.eq_ignore_ascii_case(name));
        list.len() != before
    }
}

impl ShareDatabase for MemoryShares {
    fn shares(&self) -> Vec<ShareRecord> {
        self.shares.read().clone()
    }
}

impl ShareAdmin for MemoryShares {
    fn add(&self, mut share: ShareRecord, _caller: &AccessToken) -> u32 {
        let mut list = self.shares.write();
        if list
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(&share.name))
        {
            return NERR_DUPLICATE_SHARE;
        }
        let disk = share.share_type.base() == ShareType::DISK;
        if disk && !std::path::Path::new(&share.path).is_dir() {
            return NERR_UNKNOWN_DEV_DIR;
        }
        share.current_uses = 0;
        share.permissions = 0;
        list.push(share);
        ERROR_SUCCESS
    }

    fn set_info(&self, name: &str, update: &ShareUpdate, _caller: &AccessToken) -> u32 {
        let mut list = self.shares.write();
        match list.iter_mut().find(|s| s.name.eq_ignore_ascii_case(name)) {
            Some(share) => {
                share.apply(update);
                ERROR_SUCCESS
            }
            None => NERR_NET_NAME_NOT_FOUND,
        }
    }

    fn delete(&self, name: &str, _caller: &AccessToken) -> u32 {
        if self.remove(name) {
            ERROR_SUCCESS
        } else {
            NERR_NET_NAME_NOT_FOUND
        }
    }
}
