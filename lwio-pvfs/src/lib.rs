//! # lwio-pvfs
//!
//! PVFS, the "POSIX virtual file system" of the original LWIO: a driver that gives a Linux
//! directory the semantics of NTFS, for the SMB server and for in-process callers.
//!
//! ```no_run
//! use std::path::Path;
//! use std::sync::Arc;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
//!
//! let io = IoManager::new();
//! lwio_pvfs::mount(&io, "share", Path::new("/srv/share"), lwio_pvfs::PvfsConfig::default())?;
//! let me = Arc::new(AccessToken::system());
//! let file = block_on(io.create_file(
//!     "/share/Docs/Report.txt",
//!     CreateRequest::new(me, AccessMask::GENERIC_READ, CreateDisposition::OPEN),
//! ))?;
//! # Ok::<(), lwio_core::NtStatus>(())
//! ```
//!
//! ## Which thread runs what
//! Every request that makes system calls (creates, reads, writes, queries of what is on
//! disk...) is pended and run on a work queue's worker thread, the process-wide
//! [`WorkQueue::shared`](lwio_core::WorkQueue::shared) unless [`PvfsConfig::execution`]
//! names another queue or the caller's thread; what is answered from memory (the handle's
//! position or mode, locks, change notify, close) completes on the caller's thread. The
//! table is in [`exec`]. Creates that may make a file serialise per directory (`dirlock`),
//! so a second create of a name never sees it half made, and creates in different
//! directories overlap.
//!
//! ## What it keeps where
//! - One device per share root; paths inside it are `/`-separated and case-insensitive
//!   (matched against the names on disk, which keep their case).
//! - File control blocks (`fcb`) per file with open handles: share modes,
//!   pending delete, byte-range locks, oplocks (`oplock`) and leases (`lease`). Change-notify watches (`notify`). Context control blocks
//!   ([`Ccb`]) per handle.
//! - DOS attributes and creation time in the `user.lwio.dos` extended attribute; security
//!   descriptors in `<namespace>.lwio.sd` (`trusted.` when running with CAP_SYS_ADMIN, else
//!   `user.`: see [`sys`]); a file without one gets a descriptor derived from its owner and
//!   mode ([`security`]).
//! - Extended attributes (EAs, set and queried as FileFullEaInformation or given at create)
//!   all in one `user.lwio.ea` attribute per file, names upper-case as NTFS keeps them; a
//!   set larger than NTFS allows (64 KiB - 5 bytes, packed) or than the file system keeps
//!   per file fails with STATUS_EA_TOO_LARGE, and without extended attributes on the file
//!   system with STATUS_EAS_NOT_SUPPORTED (`ea`).
//! - The last write time Windows Server 2016 reports while a file is open: the first
//!   write's update comes two seconds later, flushes and size or basic-information changes
//!   make it at once, an explicit time sticks through writes (`rw::WriteTime`). One thing
//!   differs: Windows sets the time again at the close of a file written after that
//!   update; PVFS leaves the time of the last write on disk.
//! - The share root is a jail: every open goes through `openat2(RESOLVE_BENEATH)` (or a
//!   component walk that refuses symlinks), and symlinks are refused unless
//!   `follow_symlinks_inside` is set, in which case only those that stay inside work.
//! - Who owns what: a file or directory a create makes belongs to the creating token's Unix
//!   identity (`fchown`; a process that may not chown keeps it its own) and gets permission
//!   bits no wider than its DACL, again at every DACL change ([`security`]). Checks and
//!   I/O use one object: the descriptor that was checked, or one reopened from it.
//! - Named streams (`file:stream`) as regular files in a hidden, owner-only store in the
//!   share root (`.lwio:streams/<file id>/_<name>`), keyed by the file's identity so they
//!   follow it through renames and links, made under a temporary name then renamed into
//!   place, deleted with the file's last link, and left out of the share's listings; each
//!   stream has its own FCB for share modes and delete-on-close (`streams`).
//! - 8.3 short names are computed, never stored (`sys::short`): a name that fits 8.3 is
//!   its own, any other gets a hash form `PPHHHH~N.EXT` whose digit resolves collisions
//!   in its directory by birth order, so adding files never moves an existing short name.
//!   FileAlternateNameInformation, the Both/IdBoth directory classes and every path
//!   lookup agree on it: a component of that shape that matches no long name is looked
//!   up among the short names (one directory scan), so open, delete and rename by short
//!   name work, inside the jail like any other lookup; a listing's pattern matches the
//!   long or the short name (MS-FSA 2.1.5.6.3). A create of (or a rename to) a short
//!   name lately removed gets the file's long name back (the tunnel cache, `tunnel`).
//! - Renames and links work relative to the target directory the I/O manager opened for
//!   the caller (`target`, `rename`); a replaced file must grant the caller DELETE and be
//!   neither open, read-only nor a directory.
//!
//! ## Not supported (and what is returned)
//! Streams of the share root (STATUS_OBJECT_NAME_INVALID), renaming a stream to or from
//! the unnamed stream (STATUS_NOT_SUPPORTED; see `streams`), reparse points,
//! setting a short name (FileShortNameInformation: STATUS_INVALID_INFO_CLASS), a short name
//! for a tenth colliding name in one group (it has none: FileAlternateNameInformation is
//! STATUS_OBJECT_NAME_NOT_FOUND, MS-FSCC 2.4.5), opening by file id (STATUS_NOT_SUPPORTED),
//! a volume index of object ids (they are kept per file, but a set id's uniqueness is not
//! checked and there is no `$Extend\$ObjId`: `object_id`),
//! filter oplocks and directory leases (oplocks are PVFS's: level 2, exclusive and batch,
//! through the oplock FSCTLs, see `oplock`; file leases through FSCTL_REQUEST_OPLOCK, see
//! `lease`), POSIX-semantics renames over an open file (refused as
//! without them, STATUS_ACCESS_DENIED), files that are neither regular files nor directories
//! (FIFOs, devices, sockets → STATUS_ACCESS_DENIED). Change notify (`notify`) reports
//! only changes made through PVFS, not those made behind its back by local processes.

mod ccb;
mod create;
mod dir;
mod dirlock;
mod ea;
pub mod exec;
mod facts;
mod fcb;
mod fsctl;
mod info;
mod lease;
pub mod lock;
mod locks;
mod notify;
mod object_id;
mod oplock;
mod path;
mod rename;
mod rw;
mod secops;
pub mod security;
mod share;
mod sparse;
mod streams;
pub mod sys;
mod target;
mod tunnel;
mod volume;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lwio_core::{Dispatched, Driver, IoManager, Irp, IrpRequest, IrpResult, NtStatus};

pub use ccb::Ccb;
pub use exec::Execution;
use exec::IrpView;
#[doc(hidden)]
pub use exec::{Seam, Seams};
pub use facts::Facts;
pub use fcb::FileKey;

/// The parsers of PVFS's stored extended attributes, for the fuzz targets only: their
/// values can be written by any local user who can write the file (`user.` namespace), so
/// they are read as hostile bytes. Each function decodes, and re-encodes what decodes,
/// checking that the round trip is exact; it panics only on a bug.
#[doc(hidden)]
pub mod fuzzing {
    /// `user.lwio.dos`.
    pub fn dos_info(b: &[u8]) {
        if let Some(d) = crate::sys::xattr::DosInfo::decode(b) {
            assert_eq!(crate::sys::xattr::DosInfo::decode(&d.encode()), Some(d));
        }
    }

    /// `<ns>.lwio.sd`: the header, then a self-relative descriptor.
    pub fn stored_sd(b: &[u8]) {
        if let Some(sd) = crate::sys::xattr::decode_sd_ref(b) {
            let _ = lwio_core::SecurityDescriptor::decode(sd);
        }
    }

    /// `user.lwio.objid`: the stored object id.
    pub fn object_id(b: &[u8]) {
        if let Some(id) = crate::object_id::decode_stored(b) {
            assert_eq!(id.encode()[..], b[4..]);
        }
    }

    /// `user.lwio.ea`: the stored EA set.
    pub fn ea_set(b: &[u8]) {
        if let Some(set) = crate::ea::decode_set(b) {
            assert_eq!(
                crate::ea::decode_set(&crate::ea::encode_set(&set)),
                Some(set)
            );
        }
    }
}

/// How a PVFS volume behaves.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PvfsConfig {
    /// The POSIX layer's settings: security descriptor namespace, symlink policy, caches.
    pub sys: sys::SysConfig,
    /// Where requests that make system calls run (default: the process-wide
    /// [`WorkQueue::shared`](lwio_core::WorkQueue::shared)); see [`exec`].
    pub execution: Execution,
    /// How long an oplock break waits for its holder's acknowledgment before the oplock
    /// is taken away (`None`: 35 seconds, as Windows); tests shorten it. See `oplock`.
    pub oplock_break_timeout: Option<std::time::Duration>,
    /// Test seams; `None` outside tests.
    #[doc(hidden)]
    pub seams: Option<Seams>,
}

/// The PVFS driver. One driver serves any number of [`Volume`]s.
#[derive(Debug, Default)]
pub struct Pvfs;

/// One share root: PVFS's per-device context (shared with the workers that run its
/// requests).
pub struct Volume {
    pub(crate) root: sys::Root,
    pub(crate) fcbs: fcb::FcbTable,
    pub(crate) notify: Arc<notify::Notifier>,
    pub(crate) label: String,
    /// Held by creates that may make a file, per directory, so a second one in the same
    /// directory waits until the first has finished the file instead of opening it half
    /// made ([`dirlock`]).
    pub(crate) dirs: dirlock::DirLocks,
    /// The share root's identity: the key of its directory lock.
    pub(crate) root_key: FileKey,
    pub(crate) execution: Execution,
    /// How long an oplock break waits for its acknowledgment.
    pub(crate) oplock_break_timeout: std::time::Duration,
    pub(crate) seams: Option<Seams>,
    /// Names lately removed, for a create by a short name to restore ([`tunnel`]).
    pub(crate) tunnel: tunnel::Tunnel,
    next_ccb: AtomicU64,
}

impl Volume {
    /// Opens `root` as a volume.
    pub fn open(root: &Path, label: &str, config: PvfsConfig) -> Result<Volume, NtStatus> {
        let root = sys::Root::open(root, config.sys)?;
        let st = sys::fstat(root.dir_fd())?;
        Ok(Volume {
            root,
            fcbs: fcb::FcbTable::default(),
            notify: Arc::default(),
            label: label.to_owned(),
            dirs: dirlock::DirLocks::default(),
            root_key: FileKey {
                dev: st.dev,
                ino: st.ino,
            },
            execution: config.execution,
            oplock_break_timeout: config
                .oplock_break_timeout
                .unwrap_or(oplock::DEFAULT_BREAK_TIMEOUT),
            seams: config.seams,
            tunnel: tunnel::Tunnel::default(),
            next_ccb: AtomicU64::new(1),
        })
    }

    pub(crate) fn next_ccb_id(&self) -> u64 {
        self.next_ccb.fetch_add(1, Ordering::Relaxed)
    }

    /// How many files have open handles now.
    pub fn open_files(&self) -> usize {
        self.fcbs.len()
    }

    pub(crate) fn seam(&self, seam: Seam<'_>) {
        Seams::at(&self.seams, seam);
    }
}

/// Mounts the directory `root` at `/device` in `io`.
pub fn mount(
    io: &IoManager,
    device: &str,
    root: &Path,
    config: PvfsConfig,
) -> Result<(), NtStatus> {
    let volume = Volume::open(root, device, config)?;
    io.add_device(device, Arc::new(Pvfs), Arc::new(volume))
}

impl Driver for Pvfs {
    type Device = Arc<Volume>;
    type File = Ccb;

    fn name(&self) -> &str {
        "pvfs"
    }

    fn opens_target_directories(&self) -> bool {
        true
    }

    fn handles_cleanup(&self) -> bool {
        true
    }

    fn dispatch(&self, volume: &Arc<Volume>, irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Lock(_) => return locks::lock(irp),
            IrpRequest::ReadDirectoryChange(_) => return notify::request(volume, irp),
            IrpRequest::Create(_) => {
                if let Some((source, class)) = irp.link_source_context() {
                    // The open of a rename's target directory, which waits for a worker
                    // before the rename itself gets here: the rename's lease breaks go
                    // out now, so the client hears of them before the answer to any
                    // request it sends after the rename (smb2.lease.rename_wait). Should
                    // the open fail, the rename never comes: the holder lost caching it
                    // could have kept, as after any break, and nothing else.
                    if let Some(kind) = breaks_oplocks_by_class(class) {
                        let timeout = volume.oplock_break_timeout;
                        oplock::break_leases_early(&source.fcb, source.id, kind, timeout);
                    }
                }
            }
            _ if irp.file_context().is_none() => return irp.complete(NtStatus::INVALID_HANDLE),
            IrpRequest::FsControl(c) if oplock::is_oplock_fsctl(c.code) => {
                return oplock::fsctl(irp, volume);
            }
            _ => {}
        }
        if let (Some(kind), Some(ccb)) = (breaks_oplocks(irp.request()), irp.file_context()) {
            // The lease breaks go out now, on the caller's thread, before the request waits
            // for a worker: a client that sends the next request at once sees the break
            // first, as from Windows. (A rename's were told already, at the open of its
            // target directory, above.) One look at the FCB's lease list when the file has
            // no lease; the worker's pass finds the breaks in progress and waits.
            oplock::break_leases_early(&ccb.fcb, ccb.id, kind, volume.oplock_break_timeout);
        }
        let queue = match &volume.execution {
            Execution::Queue(queue)
                if !exec::answers_from_memory(irp.request()) && !queue.is_worker_thread() =>
            {
                queue
            }
            _ => {
                if !exec::answers_from_memory(irp.request()) {
                    seam_before_work(volume, &irp);
                }
                let result = run(volume, &irp);
                return irp.complete_result(result);
            }
        };
        let volume = Arc::clone(volume);
        queue.queue_irp(irp, move |pending| {
            seam_before_work(&volume, pending);
            run(&volume, pending)
        })
    }
}

/// True for the requests that break oplocks before they change the file (MS-FSA
/// 2.1.4.12): writes (FSCTL_SET_ZERO_DATA among them), and sets of its size, name or
/// disposition.
fn breaks_oplocks(request: &IrpRequest) -> Option<lease::ChangeKind> {
    use lease::ChangeKind;
    match request {
        IrpRequest::Write(_) => Some(ChangeKind::Data),
        IrpRequest::FsControl(c) if c.code == lwio_fscc::CtlCode::FSCTL_SET_ZERO_DATA.0 => {
            Some(ChangeKind::Data)
        }
        IrpRequest::SetInformation(s) => breaks_oplocks_by_class(s.class),
        _ => None,
    }
}

/// [`breaks_oplocks`] for a set-information of `class`.
fn breaks_oplocks_by_class(class: lwio_core::FileInfoClass) -> Option<lease::ChangeKind> {
    use lease::ChangeKind;
    use lwio_core::FileInfoClass as C;
    match class {
        C::END_OF_FILE | C::ALLOCATION => Some(ChangeKind::Data),
        C::RENAME | C::RENAME_EX | C::DISPOSITION | C::DISPOSITION_EX => Some(ChangeKind::Name),
        _ => None,
    }
}

fn seam_before_work(volume: &Volume, irp: &impl IrpView) {
    if volume.seams.is_some() {
        volume.seam(Seam::Work {
            request: irp.request().irp_type(),
            path: irp.path(),
        });
    }
}

/// Runs one request (all but locks and change notify, which pend in their own tables) and
/// gives its result; on the dispatching thread or a worker ([`exec`]).
fn run(volume: &Volume, irp: &impl IrpView) -> IrpResult {
    if let IrpRequest::Create(_) = irp.request() {
        return create::create(volume, irp);
    }
    let Some(ccb) = irp.ccb() else {
        return IrpResult::new(NtStatus::INVALID_HANDLE);
    };
    if let Some(kind) = breaks_oplocks(irp.request()) {
        let cancelled = || irp.is_cancel_requested();
        let wait = oplock::Wait {
            timeout: volume.oplock_break_timeout,
            cancelled: &cancelled,
            announce: None,
        };
        if let Err(status) = oplock::before_change(&ccb.fcb, ccb.id, kind, &wait) {
            return IrpResult::new(status);
        }
    }
    let result = match irp.request() {
        // What the handle holds against other opens goes at cleanup; at close only the
        // CCB (its descriptor) is left, and it goes with the file object.
        IrpRequest::Cleanup => {
            ccb.cleanup(volume);
            Ok(IrpResult::new(NtStatus::SUCCESS))
        }
        IrpRequest::Close => Ok(IrpResult::new(NtStatus::SUCCESS)),
        IrpRequest::Read(r) => rw::read(ccb, r),
        IrpRequest::Write(w) => rw::write(ccb, w),
        IrpRequest::Flush => rw::flush(ccb),
        IrpRequest::QueryInformation(q) => info::query(volume, ccb, q),
        IrpRequest::SetInformation(s) => info::set(volume, ccb, irp.target_ccb(), s),
        IrpRequest::QueryEa(q) => ea::query(volume, ccb, q),
        IrpRequest::QueryDirectory(q) => dir::query(volume, ccb, q),
        IrpRequest::QueryVolumeInformation(q) => volume::query(volume, ccb, q),
        IrpRequest::SetVolumeInformation(_) => Err(NtStatus::ACCESS_DENIED),
        IrpRequest::QuerySecurity(q) => secops::query(volume, ccb, q),
        IrpRequest::SetSecurity(s) => secops::set(volume, ccb, s),
        IrpRequest::Unlock(u) => locks::unlock(ccb, u),
        IrpRequest::FsControl(c) => fsctl::control(volume, ccb, c),
        _ => Err(NtStatus::INVALID_DEVICE_REQUEST),
    };
    result.unwrap_or_else(IrpResult::new)
}
