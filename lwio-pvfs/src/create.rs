//! Create: open or make a file or directory with NTFS semantics (MS-FSA 2.1.5.1).
//!
//! The order matters and follows Windows: parameter checks, path resolution, the access
//! check (against the file's descriptor, or the parent's for a new file), the share-mode
//! check against the file's other opens, and only then anything that changes the disk
//! (overwrite, supersede), so a refused open never truncates a file.
//!
//! The grant is what the file's (or, for a new file, the caller's) rights allow within the
//! ceiling the layers above set ([`Irp::access_ceiling`]: share permissions, a read-only
//! device). What the request implies is held to that ceiling too: the FILE_WRITE_DATA of an
//! overwrite, the FILE_ADD_FILE a new name needs of its directory, and the DELETE of
//! delete-on-close, which fails with STATUS_ACCESS_DENIED when the grant lacks it
//! (MS-SMB2 3.3.5.9, MS-FSA 2.1.5.1.2.1).
//!
//! Every decision is made on the object that was opened, and I/O goes through that same
//! object: the file is opened read-only first, checked through its descriptor, and reopened
//! for writing through `/proc/self/fd` ([`sys::reopen`]), never by its name again.
//!
//! A new file or directory is made `0600` / `0700`, given at once to the creating token's
//! Unix identity (`fchown`; a process that may not chown keeps it as its own), and then
//! gets the permission bits its DACL allows ([`crate::security::mode_from_descriptor`])
//! before its descriptor, attributes and EAs are written.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use lwio_core::irp::CreateRequest;

use crate::oplock::{OpenIntent, Wait};
use lwio_core::oplock::OplockBreakWait;
use lwio_core::security::{Privilege, check_assignable, create_child_descriptor, parts_of_creator};
use lwio_core::{
    AccessMask, CreateAction, CreateDisposition, CreateOptions, FILE_GENERIC_MAPPING,
    FileAttributes, IrpRequest, IrpResult, NtStatus, SecurityDescriptor,
};
use parking_lot::Mutex;
use rustix::fs::{Mode, OFlags};

use crate::ccb::Ccb;
use crate::exec::{IrpView, Seam};
use crate::fcb::{FileKey, OpenRecord};
use crate::notify::Change;
use crate::security::{PosixOwner, add_child_right, check_open, from_posix, mode_from_descriptor};
use crate::share::ShareState;
use crate::sys::{self, DosInfo, NameEdit, Stat};
use crate::{Volume, path};
use lwio_core::irp::NotifyFilter;
use lwio_fscc::NotifyAction;

/// Rights that change a file's data, refused on a read-only file.
const WRITE_DATA: AccessMask =
    AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::FILE_APPEND_DATA.0);

/// A create IRP, on whichever thread runs it ([`crate::exec`]); the result to complete it
/// with. A successful create has set the handle's context, grant and kind.
pub(crate) fn create(volume: &Volume, irp: &impl IrpView) -> IrpResult {
    let IrpRequest::Create(request) = irp.request() else {
        return IrpResult::new(NtStatus::INVALID_PARAMETER);
    };
    let ceiling = irp.access_ceiling();
    let path = irp.path();
    let announce = request.ecps.get::<OplockBreakWait>();
    let cancelled = || irp.is_cancel_requested() || announce.is_some_and(|a| a.is_cancelled());
    if announce.is_some() {
        request.ecps.acknowledge::<OplockBreakWait>();
    }
    let wait = Wait {
        timeout: volume.oplock_break_timeout,
        cancelled: &cancelled,
        announce,
    };
    let opened = if request.open_target_directory {
        crate::target::open(volume, path, request, ceiling)
    } else {
        redriven(|| open(volume, &wait, path, request, ceiling))
            .map(|(ccb, action)| (ccb, u64::from(action.0)))
    };
    match opened {
        Ok((ccb, information)) => {
            irp.grant_access(ccb.granted);
            if ccb.is_dir() {
                irp.mark_directory();
            }
            if let Some(ccb) = irp.set_ccb(ccb) {
                ccb.cleanup(volume);
                return IrpResult::new(NtStatus::INTERNAL_ERROR);
            }
            IrpResult {
                status: NtStatus::SUCCESS,
                information,
                output: Vec::new(),
            }
        }
        Err(status) => IrpResult::new(status),
    }
}

/// What an open answers when the file it found was deleted while it waited for an oplock
/// break (its holder closed it with delete-on-close): the create starts over from the name.
const FOUND_FILE_DELETED: NtStatus = NtStatus::FILE_DELETED;

/// How many times a create starts over ([`FOUND_FILE_DELETED`]) before it answers that.
const REDRIVES: usize = 4;

/// Runs `open`, again from the start when the file it found went away while it waited for
/// an oplock break, as Windows re-drives such a create (the holder's close, its
/// delete-on-close included, completes the break first: smbtorture's
/// smb2.durable-open.delete_on_close1 then creates the file anew). Bounded: a file deleted
/// under every attempt answers STATUS_FILE_DELETED.
fn redriven<T>(mut open: impl FnMut() -> Result<T, NtStatus>) -> Result<T, NtStatus> {
    for _ in 0..REDRIVES {
        match open() {
            Err(FOUND_FILE_DELETED) => continue,
            done => return done,
        }
    }
    open()
}

fn check_parameters(req: &CreateRequest) -> Result<(), NtStatus> {
    let opts = req.options;
    if opts.contains(CreateOptions::DIRECTORY_FILE | CreateOptions::NON_DIRECTORY_FILE) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if opts.contains(CreateOptions::DIRECTORY_FILE)
        && !matches!(
            req.disposition,
            CreateDisposition::CREATE | CreateDisposition::OPEN | CreateDisposition::OPEN_IF
        )
    {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if opts.contains(CreateOptions::DELETE_ON_CLOSE)
        && !req
            .desired_access
            .map_generic(&FILE_GENERIC_MAPPING)
            .intersects(AccessMask::DELETE | AccessMask::MAXIMUM_ALLOWED | AccessMask::GENERIC_ALL)
    {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if req.disposition.0 > CreateDisposition::OVERWRITE_IF.0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if opts.contains(CreateOptions::OPEN_BY_FILE_ID) {
        return Err(NtStatus::NOT_SUPPORTED);
    }
    if req
        .desired_access
        .contains(AccessMask::ACCESS_SYSTEM_SECURITY)
        && !req.token.has_privilege(Privilege::Security)
    {
        return Err(NtStatus::PRIVILEGE_NOT_HELD);
    }
    Ok(())
}

fn open(
    volume: &Volume,
    wait: &Wait<'_>,
    rel: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Ccb, CreateAction), NtStatus> {
    check_parameters(req)?;
    crate::ea::create_eas(req)?; // EA hook: the EA buffer is checked before anything else.
    let (file, stream) = path::split_stream(rel)?;
    let adjusted;
    let req = match stream {
        path::StreamPart::None => req,
        path::StreamPart::Named(name) => {
            return crate::streams::open(volume, wait, file, name, req, ceiling);
        }
        // `file::$DATA` names a file's data, which a directory has not
        // (STATUS_FILE_IS_A_DIRECTORY); `dir::$INDEX_ALLOCATION` a directory's index,
        // which a file has not (STATUS_NOT_A_DIRECTORY).
        // A data stream asked for as a directory is none (STATUS_NOT_A_DIRECTORY), an
        // index asked for as a file is a directory's (STATUS_FILE_IS_A_DIRECTORY).
        path::StreamPart::DefaultData if req.options.contains(CreateOptions::DIRECTORY_FILE) => {
            return Err(NtStatus::NOT_A_DIRECTORY);
        }
        path::StreamPart::Index if req.options.contains(CreateOptions::NON_DIRECTORY_FILE) => {
            return Err(NtStatus::FILE_IS_A_DIRECTORY);
        }
        path::StreamPart::DefaultData | path::StreamPart::Index => {
            let mut r = req.clone();
            r.options |= if stream == path::StreamPart::Index {
                CreateOptions::DIRECTORY_FILE
            } else {
                CreateOptions::NON_DIRECTORY_FILE
            };
            check_parameters(&r)?;
            adjusted = r;
            &adjusted
        }
    };
    let rel = file;
    let on_disk = path::checked(rel)?;
    if matches!(
        req.disposition,
        CreateDisposition::OPEN | CreateDisposition::OVERWRITE
    ) {
        return open_only(volume, wait, rel, on_disk, req, ceiling);
    }
    open_or_make(volume, wait, rel, req, ceiling)
}

/// A create that cannot make a file (OPEN, OVERWRITE): no directory lock.
fn open_only(
    volume: &Volume,
    wait: &Wait<'_>,
    rel: &str,
    on_disk: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Ccb, CreateAction), NtStatus> {
    // The fast path: the name as spelled, opened at once (one `openat2` and one `fstat` on
    // what was opened). An exact match is what the case-insensitive lookup answers first
    // too, so this changes no answer; anything else (missing, another case, a refused
    // symlink...) takes the case-insensitive walk below (`Root::find`), which finds the
    // spelling and the status.
    if let Some((fd, st)) = volume.root.open_exact(on_disk)? {
        return open_existing(volume, wait, req, ceiling, on_disk, &st, Some((fd, st)));
    }
    let comps = path::components(rel)?;
    let found = volume.root.find(&comps)?;
    let Some(st) = &found.stat else {
        return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
    };
    let on_disk = if found.is_root() {
        String::new()
    } else {
        path::join(&found.parent.to_string_lossy(), &found.name)
    };
    open_resolved(volume, wait, req, ceiling, &on_disk, st)
}

/// The directory a create works in: its on-disk path, its `O_PATH` descriptor (`None` for
/// the share root, whose descriptor the root holds) and its identity.
struct Directory {
    path: String,
    fd: Option<OwnedFd>,
    key: FileKey,
}

impl Directory {
    fn fd<'a>(&'a self, volume: &'a Volume) -> BorrowedFd<'a> {
        self.fd
            .as_ref()
            .map_or(volume.root.dir_fd(), |fd| fd.as_fd())
    }
}

/// Opens the directory `parents` names: as spelled first (one `openat2`), else found
/// case-insensitively (which reports the precise status of a path that is not there).
fn find_directory(volume: &Volume, parents: &[&str]) -> Result<Directory, NtStatus> {
    if parents.is_empty() {
        return Ok(Directory {
            path: String::new(),
            fd: None,
            key: volume.root_key,
        });
    }
    let spelled = parents.join("/");
    let (path, fd) = match volume.root.open_dir(Path::new(&spelled)) {
        Ok(fd) => (spelled, fd),
        Err(_) => {
            let (path, fd) = volume.root.find_dir(parents)?;
            let fd = match fd {
                Some(fd) => fd,
                // Only the root has no descriptor of its own, and `parents` is not empty.
                None => volume.root.open_dir(Path::new(""))?,
            };
            (path.to_string_lossy().into_owned(), fd)
        }
    };
    let st = sys::fstat(&fd)?;
    Ok(Directory {
        path,
        fd: Some(fd),
        key: FileKey {
            dev: st.dev,
            ino: st.ino,
        },
    })
}

/// A create that may make a file (OPEN_IF, CREATE, OVERWRITE_IF, SUPERSEDE): the name is
/// looked up and made in its directory, opened once, under that directory's lock
/// ([`crate::dirlock`]).
fn open_or_make(
    volume: &Volume,
    wait: &Wait<'_>,
    rel: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Ccb, CreateAction), NtStatus> {
    let comps = path::components(rel)?;
    let Some((last, parents)) = comps.split_last() else {
        // The share root: nothing to make.
        return open_only(volume, wait, rel, "", req, ceiling);
    };
    let dir = find_directory(volume, parents)?;
    let serial = volume.dirs.lock(dir.key, || {
        volume.seam(Seam::DirectoryBusy { path: rel });
    });
    volume.seam(Seam::Creating { path: rel });
    let dir_fd = dir.fd(volume);
    // The name as spelled first (a CREATE of an existing name fails either way, and the
    // lookup below finds it). A file found is whole (files are made under the lock), so
    // the lock goes before it is opened: an open that waits there for an oplock break
    // holds up no create in the directory (the holder's own, say, before it acknowledges).
    if req.disposition != CreateDisposition::CREATE {
        if let Some((fd, st)) = volume.root.open_exact_in(dir_fd, last)? {
            drop(serial);
            let on_disk = path::join(&dir.path, last);
            return open_existing(volume, wait, req, ceiling, &on_disk, &st, Some((fd, st)));
        }
    }
    if let Some((name, st)) = volume
        .root
        .lookup_stat_of(dir_fd, dir.key.dev, dir.key.ino, last)?
    {
        drop(serial);
        return open_resolved(
            volume,
            wait,
            req,
            ceiling,
            &path::join(&dir.path, &name),
            &st,
        );
    }
    // A new name; one made by a short name may get back the long name a file removed
    // lately had (the tunnel cache).
    let restored = match volume.tunnel.restore(&volume.root, dir_fd, dir.key, last)? {
        Some(long) if volume.root.lookup_stat(dir_fd, &long)?.is_none() => Some(long),
        _ => None,
    };
    let last = restored.as_deref().unwrap_or(last);
    let on_disk = path::join(&dir.path, last);
    let parent_fd = match dir.fd {
        Some(fd) => fd,
        None => volume.root.open_dir(Path::new(""))?,
    };
    let resolved = sys::Resolved {
        parent: PathBuf::from(&dir.path),
        parent_fd,
        name: (*last).to_owned(),
        stat: None,
    };
    match create_new(volume, req, ceiling, &resolved, &on_disk) {
        // A local process made the name between the lookup and the create: a disposition
        // that may open an existing file opens it.
        Err(NtStatus::OBJECT_NAME_COLLISION) if req.disposition != CreateDisposition::CREATE => {
            match volume.root.lookup_stat(&resolved.parent_fd, last)? {
                Some((name, st)) => open_resolved(
                    volume,
                    wait,
                    req,
                    ceiling,
                    &path::join(&dir.path, &name),
                    &st,
                ),
                None => Err(NtStatus::OBJECT_NAME_COLLISION),
            }
        }
        other => other,
    }
}

/// The descriptor of an open file: stored, or derived from its owner and mode.
pub(crate) fn load_descriptor(volume: &Volume, fd: impl AsFd, st: &Stat) -> SecurityDescriptor {
    Arc::unwrap_or_clone(descriptor(volume, fd, st))
}

/// [`load_descriptor`], shared: decoded descriptors come from the root's cache.
fn descriptor(volume: &Volume, fd: impl AsFd, st: &Stat) -> Arc<SecurityDescriptor> {
    volume.root.descriptor(fd, st, || {
        from_posix(
            PosixOwner {
                uid: st.uid,
                gid: st.gid,
                mode: st.mode & 0o7777,
            },
            st.is_dir(),
        )
    })
}

/// A readable descriptor of the directory behind an `O_PATH` descriptor.
fn reopen_dir(dir: impl AsFd) -> Result<OwnedFd, NtStatus> {
    rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(sys::map_errno)
}

/// The descriptor of the directory `resolved` makes a name in; `st` is that directory's
/// stat (taken from `resolved.parent_fd`, the same inode the readable descriptor reopens).
fn parent_descriptor(
    volume: &Volume,
    resolved: &sys::Resolved,
    st: &Stat,
) -> Option<SecurityDescriptor> {
    let fd = reopen_dir(&resolved.parent_fd).ok()?;
    Some(load_descriptor(volume, &fd, st))
}

/// The descriptor of the directory holding `on_disk` (opened only when asked: most
/// opens are decided by the file's own descriptor). The directory is found by name, so it
/// counts only while it still holds the file that was opened (`key`): a directory swapped
/// in meanwhile grants nothing.
fn parent_descriptor_of(
    volume: &Volume,
    on_disk: &str,
    key: FileKey,
) -> Option<SecurityDescriptor> {
    let (parent, name) = path::split_last(on_disk);
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let fd = volume
        .root
        .open_file(Path::new(parent), flags, Mode::empty())
        .ok()?;
    let child = sys::stat_at(&fd, name).ok()??;
    if (child.dev, child.ino) != (key.dev, key.ino) {
        return None;
    }
    let st = sys::fstat(&fd).ok()?;
    Some(load_descriptor(volume, &fd, &st))
}

fn open_fd(volume: &Volume, on_disk: &str, is_dir: bool, write: bool) -> Result<OwnedFd, NtStatus> {
    let flags = if is_dir {
        OFlags::RDONLY | OFlags::DIRECTORY
    } else if write {
        OFlags::RDWR
    } else {
        OFlags::RDONLY
    };
    volume
        .root
        .open_file(Path::new(on_disk), flags | OFlags::NOCTTY, Mode::empty())
}

/// Opens the existing file `resolve` found at `on_disk`, described by `lstat` (its
/// `statx` by name, a symlink not followed).
fn open_resolved(
    volume: &Volume,
    wait: &Wait<'_>,
    req: &CreateRequest,
    ceiling: AccessMask,
    on_disk: &str,
    lstat: &Stat,
) -> Result<(Ccb, CreateAction), NtStatus> {
    // A symlink is judged by what the jail lets us open through it: refused ones are
    // STATUS_ACCESS_DENIED whatever the options ask, so no option check tells anything
    // about the target; followed ones (inside the root) by their target's type.
    if lstat.is_symlink() {
        let fd = open_fd(volume, on_disk, false, false)?;
        let st = sys::fstat(&fd)?;
        return open_existing(volume, wait, req, ceiling, on_disk, &st, Some((fd, st)));
    }
    open_existing(volume, wait, req, ceiling, on_disk, lstat, None)
}

/// An existing file a create may open, checked: a read-only descriptor of it, its stat and
/// DOS information, and what the caller is granted.
pub(crate) struct Checked {
    pub(crate) probe: OwnedFd,
    pub(crate) st: Stat,
    pub(crate) dos: DosInfo,
    pub(crate) granted: AccessMask,
    pub(crate) key: FileKey,
}

/// Opens an existing file described by `lstat`. `opened`: a read-only descriptor of it
/// already open, with its `fstat` (then `lstat` is that stat); else the descriptor is
/// opened here, after the checks that need only the file's type.
fn open_existing(
    volume: &Volume,
    wait: &Wait<'_>,
    req: &CreateRequest,
    ceiling: AccessMask,
    on_disk: &str,
    lstat: &Stat,
    opened: Option<(OwnedFd, Stat)>,
) -> Result<(Ccb, CreateAction), NtStatus> {
    let truncates = matches!(
        req.disposition,
        CreateDisposition::OVERWRITE
            | CreateDisposition::OVERWRITE_IF
            | CreateDisposition::SUPERSEDE
    );
    let Checked {
        probe,
        st,
        dos,
        granted,
        key,
    } = check_existing(volume, req, ceiling, on_disk, lstat, opened)?;
    let is_dir = st.is_dir();
    if truncates && !is_dir {
        // Overwriting the unnamed stream deletes the named ones (MS-FSA 2.1.5.1.2.1):
        // refused while one is open, before anything changes.
        crate::streams::ops::check_none_open(volume, key)?;
    }
    let write = !is_dir && granted.intersects(WRITE_DATA);
    let fd = if write {
        // The object checked, opened again for writing: not its name, which may have moved.
        sys::reopen(&probe, OFlags::RDWR)?
    } else {
        probe
    };
    let intent = OpenIntent {
        access: granted,
        disposition: req.disposition,
        share: req.share_access,
        key: crate::lease::requested_key(req),
        delete_on_close: req.options.contains(CreateOptions::DELETE_ON_CLOSE),
    };
    if let Some(fcb) = volume.fcbs.get(key) {
        // A batch oplock breaks before the share check, so its holder may close first,
        // and delete the file as it closes: then this create starts over (`redriven`).
        crate::oplock::before_share_check(&fcb, &intent, wait)?;
        if sys::fstat(&fd)?.nlink == 0 {
            return Err(FOUND_FILE_DELETED);
        }
    }
    let ccb = register(volume, req, key, is_dir, on_disk, fd, granted)?;
    if let Err(status) = crate::oplock::after_share_check(&ccb.fcb, ccb.id, &intent, wait) {
        ccb.cleanup(volume);
        return Err(status);
    }
    ccb.seed_dos(dos);
    if !truncates {
        if let Err(status) = apply_file_hints(&ccb, req, false) {
            ccb.cleanup(volume);
            return Err(status);
        }
        return Ok((ccb, CreateAction::OPENED));
    }
    // The allocation is reserved after the truncation, which would free it.
    let result = overwrite(volume, &ccb, req, &dos)
        .and_then(|()| crate::streams::ops::remove_all_of(volume, &st))
        .and_then(|()| apply_file_hints(&ccb, req, true));
    if result.is_ok() {
        let filter = NotifyFilter::SIZE | NotifyFilter::LAST_WRITE | NotifyFilter::ATTRIBUTES;
        let change = Change::new(on_disk, NotifyAction::MODIFIED, filter);
        volume.notify.report(&[change], ccb.parent_key());
    }
    match result {
        Ok(()) if req.disposition == CreateDisposition::SUPERSEDE => {
            Ok((ccb, CreateAction::SUPERSEDED))
        }
        Ok(()) => Ok((ccb, CreateAction::OVERWRITTEN)),
        Err(status) => {
            ccb.cleanup(volume);
            Err(status)
        }
    }
}

/// The checks of a create on an existing file described by `lstat` (`opened` as for
/// [`open_existing`]): its type against the options, the access check against its
/// descriptor, read-only and the layers' ceiling. Nothing is registered or changed.
pub(crate) fn check_existing(
    volume: &Volume,
    req: &CreateRequest,
    ceiling: AccessMask,
    on_disk: &str,
    lstat: &Stat,
    opened: Option<(OwnedFd, Stat)>,
) -> Result<Checked, NtStatus> {
    let is_dir = lstat.is_dir();
    if !is_dir && !lstat.file_type().is_file() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    if req.disposition == CreateDisposition::CREATE {
        return Err(NtStatus::OBJECT_NAME_COLLISION);
    }
    if is_dir && req.options.contains(CreateOptions::NON_DIRECTORY_FILE) {
        return Err(NtStatus::FILE_IS_A_DIRECTORY);
    }
    if !is_dir && req.options.contains(CreateOptions::DIRECTORY_FILE) {
        return Err(NtStatus::NOT_A_DIRECTORY);
    }
    let truncates = matches!(
        req.disposition,
        CreateDisposition::OVERWRITE
            | CreateDisposition::OVERWRITE_IF
            | CreateDisposition::SUPERSEDE
    );
    if is_dir && truncates {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // Open read-only first: the access check decides whether we may write.
    let (probe, st) = match opened {
        Some(opened) => opened,
        None => {
            let fd = open_fd(volume, on_disk, is_dir, false)?;
            let st = sys::fstat(&fd)?;
            if st.file_type() != lstat.file_type() {
                // Swapped since the lookup: decide on what was opened.
                return check_existing(volume, req, ceiling, on_disk, &st, Some((fd, st)));
            }
            (fd, st)
        }
    };
    let (_, name) = path::split_last(on_disk);
    // A file already open keeps its DOS information in its FCB (every change through PVFS
    // updates it there): no attribute read for a second handle.
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    let cached = volume.fcbs.get(key).and_then(|fcb| fcb.state.lock().dos);
    let dos = match cached {
        Some(dos) => dos,
        None => volume.root.read_dos_with(&probe, name, &st)?.info,
    };
    let attrs = FileAttributes(dos.attributes);
    crate::ea::check_need_ea(volume, &probe, req)?; // EA hook: FILE_NO_EA_KNOWLEDGE.
    let sd = descriptor(volume, &probe, &st);
    let backup = req.options.contains(CreateOptions::OPEN_FOR_BACKUP_INTENT);
    let mut desired = req.desired_access.map_generic(&FILE_GENERIC_MAPPING);
    if truncates {
        // Overwriting writes the data (and supersede replaces the file).
        desired |= AccessMask::FILE_WRITE_DATA;
    }
    let mut granted = check_open(&sd, &req.token, desired, backup, || {
        parent_descriptor_of(volume, on_disk, key)
    })?;
    if attrs.contains(FileAttributes::READONLY) && !is_dir {
        if req.options.contains(CreateOptions::DELETE_ON_CLOSE) {
            return Err(NtStatus::CANNOT_DELETE);
        }
        if desired.intersects(WRITE_DATA) && !desired.contains(AccessMask::MAXIMUM_ALLOWED) {
            return Err(NtStatus::ACCESS_DENIED);
        }
        granted = granted.without(WRITE_DATA);
    }
    granted = within_ceiling(desired, granted, ceiling)?;
    delete_on_close_allowed(req, granted)?;
    if truncates {
        let hidden_system = FileAttributes::HIDDEN | FileAttributes::SYSTEM;
        let keep = attrs & hidden_system;
        if !(req.file_attributes & hidden_system).contains(keep) {
            return Err(NtStatus::ACCESS_DENIED);
        }
    }
    Ok(Checked {
        probe,
        st,
        dos,
        granted,
        key,
    })
}

/// Truncates the file and replaces its attributes, as overwrite and supersede do.
fn overwrite(
    volume: &Volume,
    ccb: &Ccb,
    req: &CreateRequest,
    old: &DosInfo,
) -> Result<(), NtStatus> {
    sys::set_size(&ccb.fd, 0)?;
    ccb.fcb.state.lock().allocation = 0;
    crate::ea::replace_at_overwrite(volume, &ccb.fd, req, &ccb.path())?; // EA hook.
    let attrs = stored_attributes(req.file_attributes, false);
    ccb.store_dos(
        volume,
        DosInfo {
            attributes: attrs.0,
            creation_time: old.creation_time,
        },
    )
}

/// Attributes as stored for a new or overwritten file: the settable ones of what was
/// asked, with ARCHIVE for files.
fn stored_attributes(asked: FileAttributes, is_dir: bool) -> FileAttributes {
    // Only the attributes a create may set (MS-FSA 2.1.5.1.2.1); sparse, compressed,
    // encrypted and reparse-point states come from their own FSCTLs, never from here.
    let mut a = asked
        & (FileAttributes::READONLY
            | FileAttributes::HIDDEN
            | FileAttributes::SYSTEM
            | FileAttributes::ARCHIVE
            | FileAttributes::TEMPORARY
            | FileAttributes::OFFLINE
            | FileAttributes::NOT_CONTENT_INDEXED);
    if !is_dir {
        a |= FileAttributes::ARCHIVE;
    }
    a
}

/// What a create asks of a regular file beyond opening it: the allocation size of a new
/// or overwritten file (reserved with `fallocate`, size unchanged), and the access-pattern
/// hints, passed to the kernel's read-ahead as `posix_fadvise`.
pub(crate) fn apply_file_hints(
    ccb: &Ccb,
    req: &CreateRequest,
    new_data: bool,
) -> Result<(), NtStatus> {
    if ccb.is_dir() {
        return Ok(());
    }
    if new_data && req.allocation_size > 0 {
        match sys::fallocate(ccb.data(), req.allocation_size) {
            Ok(()) | Err(NtStatus::NOT_SUPPORTED) => {}
            Err(status) => return Err(status),
        }
        ccb.fcb.state.lock().allocation = crate::facts::allocation_size(req.allocation_size);
    }
    let advice = if req.options.contains(CreateOptions::SEQUENTIAL_ONLY) {
        Some(rustix::fs::Advice::Sequential)
    } else if req.options.contains(CreateOptions::RANDOM_ACCESS) {
        Some(rustix::fs::Advice::Random)
    } else {
        None
    };
    if let Some(advice) = advice {
        // Only a hint: a file system that ignores it changes nothing.
        let _ = rustix::fs::fadvise(ccb.data(), 0, None, advice);
    }
    Ok(())
}

pub(crate) fn register(
    volume: &Volume,
    req: &CreateRequest,
    key: FileKey,
    is_dir: bool,
    on_disk: &str,
    fd: OwnedFd,
    granted: AccessMask,
) -> Result<Ccb, NtStatus> {
    let id = volume.next_ccb_id();
    let record = OpenRecord {
        ccb_id: id,
        share: ShareState {
            access: granted,
            share: req.share_access,
        },
        delete_on_close: req.options.contains(CreateOptions::DELETE_ON_CLOSE),
        oplock_key: crate::lease::requested_key(req),
        parent_key: crate::lease::requested_parent(req),
    };
    let fcb = volume.fcbs.open(key, is_dir, on_disk, record)?;
    Ok(Ccb {
        id,
        fcb: Arc::clone(&fcb),
        fd,
        granted,
        token: Arc::clone(&req.token),
        options: Mutex::new(req.options),
        position: AtomicU64::new(0),
        scan: Mutex::new(None),
        written: std::sync::atomic::AtomicBool::new(false),
        target: None,
        stream: None,
    })
}

/// The grant held to the layers' ceiling. What the request asks outright (the implied
/// FILE_WRITE_DATA of an overwrite included) must lie within it: STATUS_ACCESS_DENIED
/// otherwise. ACCESS_SYSTEM_SECURITY is left to the privilege check, as the share filter
/// leaves it.
pub(crate) fn within_ceiling(
    desired: AccessMask,
    granted: AccessMask,
    ceiling: AccessMask,
) -> Result<AccessMask, NtStatus> {
    let asked = desired
        .map_generic(&FILE_GENERIC_MAPPING)
        .without(AccessMask::MAXIMUM_ALLOWED | AccessMask::ACCESS_SYSTEM_SECURITY);
    if !ceiling.contains(asked) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(granted & ceiling)
}

/// Delete-on-close needs DELETE in the grant, MAXIMUM_ALLOWED resolved (MS-SMB2 3.3.5.9;
/// MS-FSA 2.1.5.1.2.1): a handle that may not delete cannot delete at its close.
fn delete_on_close_allowed(req: &CreateRequest, granted: AccessMask) -> Result<(), NtStatus> {
    if req.options.contains(CreateOptions::DELETE_ON_CLOSE) && !granted.contains(AccessMask::DELETE)
    {
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(())
}

/// MS-FSA 2.1.5.1: a new file cannot be made in a directory whose delete is pending
/// (STATUS_DELETE_PENDING), since the directory goes when its last handle closes. Gives
/// the directory's stat, which the create goes on with (one `fstat` for both).
pub(crate) fn parent_not_delete_pending(
    volume: &Volume,
    resolved: &sys::Resolved,
) -> Result<Stat, NtStatus> {
    let st = sys::fstat(&resolved.parent_fd)?;
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    match volume.fcbs.get(key) {
        Some(fcb) if fcb.state.lock().delete_pending => Err(NtStatus::DELETE_PENDING),
        _ => Ok(st),
    }
}

fn create_new(
    volume: &Volume,
    req: &CreateRequest,
    ceiling: AccessMask,
    resolved: &sys::Resolved,
    on_disk: &str,
) -> Result<(Ccb, CreateAction), NtStatus> {
    if matches!(
        req.disposition,
        CreateDisposition::OPEN | CreateDisposition::OVERWRITE
    ) {
        return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
    }
    let is_dir = req.options.contains(CreateOptions::DIRECTORY_FILE);
    let parent_st = parent_not_delete_pending(volume, resolved)?;
    if req.file_attributes.contains(FileAttributes::READONLY)
        && req.options.contains(CreateOptions::DELETE_ON_CLOSE)
    {
        return Err(NtStatus::CANNOT_DELETE);
    }
    let creator = match &req.security_descriptor {
        Some(bytes) => {
            let sd =
                SecurityDescriptor::decode(bytes).map_err(|_| NtStatus::INVALID_SECURITY_DESCR)?;
            // The owner and SACL a caller may give, as set-security allows them.
            check_assignable(&sd, parts_of_creator(&sd), &req.token)
                .map_err(|e| NtStatus(e.ntstatus_code()))?;
            Some(sd)
        }
        None => None,
    };
    let parent_sd = parent_descriptor(volume, resolved, &parent_st);
    let add = add_child_right(is_dir);
    if let Some(parent_sd) = &parent_sd {
        check_open(parent_sd, &req.token, add, false, || None)?;
    }
    // Share permissions (or a read-only device) may forbid the new name even where the
    // directory's own DACL allows it.
    if !ceiling.contains(add) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let mut granted = req.desired_access.map_generic(&FILE_GENERIC_MAPPING);
    if granted.contains(AccessMask::MAXIMUM_ALLOWED) {
        granted = granted.without(AccessMask::MAXIMUM_ALLOWED) | AccessMask::FILE_ALL_ACCESS;
    }
    let granted = within_ceiling(req.desired_access, granted, ceiling)?;
    delete_on_close_allowed(req, granted)?;
    let sd = create_child_descriptor(
        parent_sd.as_ref(),
        creator.as_ref(),
        is_dir,
        &req.token,
        &FILE_GENERIC_MAPPING,
    );
    let sd_bytes = sd
        .try_encode()
        .map_err(|_| NtStatus::INVALID_SECURITY_DESCR)?;
    let (_, name) = path::split_last(on_disk);
    // The name index of the parent is updated in place (no rescan at the next create).
    let added = [NameEdit::Added(name)];
    // Made owner-only: nobody else may open it before its owner and mode are set.
    // The parent's identity is known (its stat above): no fstat to find its change lock.
    let (pdev, pino) = (parent_st.dev, parent_st.ino);
    let made = if is_dir {
        volume
            .root
            .change_names_of(&resolved.parent_fd, pdev, pino, &added, || {
                sys::mkdir_at(&resolved.parent_fd, name, Mode::from_raw_mode(0o700))
            })?;
        None
    } else {
        Some(
            volume
                .root
                .change_names_of(&resolved.parent_fd, pdev, pino, &added, || {
                    sys::create_file_at(
                        &resolved.parent_fd,
                        name,
                        OFlags::RDWR,
                        Mode::from_raw_mode(0o600),
                    )
                })?,
        )
    };
    let cleanup = |status: NtStatus| {
        let removed = [NameEdit::Removed(name)];
        let _ = volume
            .root
            .change_names_of(&resolved.parent_fd, pdev, pino, &removed, || {
                sys::unlink_at(&resolved.parent_fd, name, is_dir)
            });
        status
    };
    let fd = match made {
        Some(fd) => fd,
        None => open_new_dir(&resolved.parent_fd, name).map_err(cleanup)?,
    };
    volume.seam(Seam::Made { path: on_disk });
    let st = give_to_creator(&fd, req, &sd, is_dir).map_err(cleanup)?;
    match volume.root.write_sd(&fd, &sd_bytes) {
        Ok(()) => {}
        Err(NtStatus::NOT_SUPPORTED) if creator.is_none() => {}
        Err(status) => return Err(cleanup(status)),
    }
    let now = st.btime.unwrap_or(st.mtime).to_filetime();
    volume
        .root
        .write_dos(
            &fd,
            &DosInfo {
                attributes: stored_attributes(req.file_attributes, is_dir).0,
                creation_time: now,
            },
        )
        .map_err(cleanup)?;
    crate::ea::apply_at_create(volume, &fd, req).map_err(cleanup)?; // EA hook.
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    let ccb = register(volume, req, key, is_dir, on_disk, fd, granted).map_err(cleanup)?;
    if let Err(status) = apply_file_hints(&ccb, req, true) {
        ccb.cleanup(volume);
        return Err(cleanup(status));
    }
    let parent = crate::lease::requested_parent(req);
    volume.notify.report(
        &[Change::name(on_disk, NotifyAction::ADDED, is_dir)],
        parent,
    );
    Ok((ccb, CreateAction::CREATED))
}

/// Opens the directory just made as `dir/name` (relative to its parent's descriptor, a
/// symlink refused) and checks it is the one this process made: still its own, not a
/// directory another user swapped in.
fn open_new_dir(dir: &OwnedFd, name: &str) -> Result<OwnedFd, NtStatus> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(sys::map_errno)?;
    let st = sys::fstat(&fd)?;
    if st.uid != rustix::process::geteuid().as_raw() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(fd)
}

/// Gives a new file or directory to the creating token's Unix identity and the permission
/// bits its descriptor `sd` allows, before anything else is written to it; returns its stat
/// afterwards (taken after the owner change, with the mode just set: its `ctime` may be
/// that of the owner change, which no caller reads). A token without a Unix identity (SYSTEM), or a process that may not chown
/// (not root, no CAP_CHOWN), leaves the file to the process: PVFS then keeps working, and
/// the descriptor, not the Unix owner, is what guards the file.
fn give_to_creator(
    fd: &OwnedFd,
    req: &CreateRequest,
    sd: &SecurityDescriptor,
    is_dir: bool,
) -> Result<Stat, NtStatus> {
    if let Some(unix) = &req.token.unix {
        if !sys::set_owner(fd, unix.uid, unix.gid)? {
            tracing::debug!(
                uid = unix.uid,
                "PVFS: cannot chown a new file (not root); it stays the process's own"
            );
        }
    }
    let mut st = sys::fstat(fd)?;
    let mode = mode_from_descriptor(sd, st.gid, is_dir);
    sys::set_mode(fd, Mode::from_raw_mode(mode))?;
    // The mode is the only field fchmod changes that a caller reads: no second fstat.
    st.mode = (st.mode & !0o7777) | (mode & 0o7777);
    Ok(st)
}

/// The file a create of one of its named streams names (`rel`, without the stream),
/// checked for the rights the stream's request asks (a stream has no descriptor of its
/// own: MS-FSA 2.1.5.1.2.1 checks the file's), and its on-disk path. A disposition that
/// may make the stream makes a missing file first, empty, with the request's attributes,
/// descriptor and EAs (as NTFS does): the flag says so. Nothing registers an open of the
/// file itself, so the file's own share modes play no part.
pub(crate) fn stream_file(
    volume: &Volume,
    rel: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Checked, String, bool), NtStatus> {
    let comps = path::components(rel)?;
    let Some((last, parents)) = comps.split_last() else {
        // Streams of the share root are not supported.
        return Err(NtStatus::OBJECT_NAME_INVALID);
    };
    // The file is only opened: the disposition is the stream's. FILE_NO_EA_KNOWLEDGE
    // concerns the unnamed stream only (MS-FSA 2.1.5.1.2).
    let mut file_req = req.clone();
    file_req.disposition = CreateDisposition::OPEN;
    file_req.options = req.options.without(
        CreateOptions::DIRECTORY_FILE
            | CreateOptions::NON_DIRECTORY_FILE
            | CreateOptions::NO_EA_KNOWLEDGE,
    );
    if matches!(
        req.disposition,
        CreateDisposition::OVERWRITE
            | CreateDisposition::OVERWRITE_IF
            | CreateDisposition::SUPERSEDE
    ) {
        file_req.desired_access |= AccessMask::FILE_WRITE_DATA;
    }
    let check = |on_disk: String, lstat: &Stat| -> Result<(Checked, String, bool), NtStatus> {
        let opened = if lstat.is_symlink() {
            let fd = open_fd(volume, &on_disk, false, false)?;
            let st = sys::fstat(&fd)?;
            Some((fd, st))
        } else {
            None
        };
        let lstat = opened.as_ref().map_or(*lstat, |(_, st)| *st);
        let checked = check_existing(volume, &file_req, ceiling, &on_disk, &lstat, opened)?;
        Ok((checked, on_disk, false))
    };
    if matches!(
        req.disposition,
        CreateDisposition::OPEN | CreateDisposition::OVERWRITE
    ) {
        let found = volume.root.find(&comps)?;
        let Some(st) = &found.stat else {
            return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
        };
        return check(path::join(&found.parent.to_string_lossy(), &found.name), st);
    }
    let dir = find_directory(volume, parents)?;
    let _serial = volume.dirs.lock(dir.key, || {
        volume.seam(Seam::DirectoryBusy { path: rel });
    });
    if let Some((name, st)) = volume.root.lookup_stat(dir.fd(volume), last)? {
        return check(path::join(&dir.path, &name), &st);
    }
    let on_disk = path::join(&dir.path, last);
    let parent_fd = match dir.fd {
        Some(fd) => fd,
        None => volume.root.open_dir(Path::new(""))?,
    };
    let resolved = sys::Resolved {
        parent: PathBuf::from(&dir.path),
        parent_fd,
        name: (*last).to_owned(),
        stat: None,
    };
    let mut make = req.clone();
    make.disposition = CreateDisposition::CREATE;
    make.options = req
        .options
        .without(CreateOptions::DIRECTORY_FILE | CreateOptions::DELETE_ON_CLOSE)
        | CreateOptions::NON_DIRECTORY_FILE;
    make.allocation_size = 0;
    let (ccb, _) = create_new(volume, &make, ceiling, &resolved, &on_disk)?;
    // The stream's handle keeps the file's descriptor; the file's own open is let go.
    let Ccb {
        id,
        fcb,
        fd,
        granted,
        ..
    } = ccb;
    volume.fcbs.close(&fcb, id);
    let st = sys::fstat(&fd)?;
    let dos = volume.root.read_dos_with(&fd, last, &st)?.info;
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    Ok((
        Checked {
            probe: fd,
            st,
            dos,
            granted,
            key,
        },
        on_disk,
        true,
    ))
}
