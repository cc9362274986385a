//! The FUSE file system: each kernel request becomes IRPs to the redirector's device.
//!
//! Nothing here speaks SMB: every operation opens, queries, sets and closes through the
//! [`IoManager`] on `/rdr/SERVER[:PORT]/SHARE/...`, exactly as any other caller of the
//! redirector would, so the redirector's connection cache, reconnects, signing and
//! pipelining serve the mount too.
//!
//! | FUSE | IRPs |
//! | --- | --- |
//! | lookup, getattr | create (FILE_READ_ATTRIBUTES), query FileAllInformation, close |
//! | opendir, readdir | create (directory), query directory FileIdBothDirectoryInformation |
//! | open, create, mkdir | create with the disposition the flags ask for |
//! | read, write | read, write on the open |
//! | setattr size | set FileEndOfFileInformation |
//! | setattr mode | set FileBasicInformation: FILE_ATTRIBUTE_READONLY when no write bit |
//! | setattr times | set FileBasicInformation's last access and last write times |
//! | unlink, rmdir | create (DELETE), set FileDispositionInformation, close |
//! | rename | create (DELETE), set FileRenameInformation, close |
//! | statfs | query volume FileFsSizeInformation |
//! | fsync | flush |
//! | release, releasedir | close |
//!
//! POSIX lets the owner unlink a file whose write bits are clear; Windows refuses to delete
//! a read-only file (STATUS_CANNOT_DELETE, MS-FSA 2.1.5.14.3). `unlink` therefore clears
//! FILE_ATTRIBUTE_READONLY and tries again, as the owner could with `chmod` first.
//!
//! Not supported (the kernel gets the errno): hard links and symbolic links (EPERM, as
//! FUSE's default), `RENAME_EXCHANGE` (EINVAL), ownership changes to another user (EPERM;
//! the files belong to whoever mounted), device nodes (ENOSYS). A mode's bits other than
//! the owner's write bit are not stored: files read back 0644, directories 0755, less the
//! write bits when read-only. A name with `\` or `:` (which would name a stream on SMB)
//! is EINVAL. Where POSIX and Windows differ the server decides: a rename onto an existing
//! directory, or onto a file that is open, is STATUS_ACCESS_DENIED (MS-FSCC 2.4.37), so
//! EACCES, where Linux would replace an empty directory or an open file.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use fuser::{
    BsdFileFlags, Errno, FileAttr, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request,
    TimeOrNow, WriteFlags,
};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileAttributes,
    FileHandle, FileInfoClass, FsInfoClass, IoManager, NtStatus, ShareAccess, block_on,
};
use lwio_fscc::{
    FileAllInformation, FileBasicInformation, FileEndOfFileInformation, FileFsSizeInformation,
    FileInfo, FileRenameInformation, FileTime,
};

use super::errno::errno;
use super::inodes::{Inodes, ino_of, join};
use crate::tool::scan::{ScanError, scan};

/// How long the kernel may keep an attribute or a name without asking again.
const TTL: Duration = Duration::from_secs(1);
/// The output buffer of one query-information.
const QUERY_LENGTH: u32 = 4096;
/// The most entries one directory listing holds in memory.
const MAX_ENTRIES: usize = 1 << 20;
/// The largest read and write the kernel sends (FUSE's maximum with 256 pages).
pub(crate) const MAX_IO: u32 = 1 << 20;

/// What a call answers: a value, or the errno for the kernel.
type Answer<T> = Result<T, Errno>;

/// What one `setattr` asks to change.
#[derive(Debug, Clone, Copy)]
struct Changes {
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    size: Option<u64>,
    atime: Option<TimeOrNow>,
    mtime: Option<TimeOrNow>,
}

impl Changes {
    fn times_or_mode(&self) -> bool {
        self.mode.is_some() || self.atime.is_some() || self.mtime.is_some()
    }
}

/// One entry of a directory listing, as readdir gives it.
struct Entry {
    ino: INodeNo,
    kind: FileType,
    name: String,
}

/// An open file or directory: the redirector's handle, and a directory's listing (read
/// at the first readdir and at every rewind).
struct Open {
    ino: INodeNo,
    file: FileHandle,
    listing: Mutex<Vec<Entry>>,
}

/// A share mounted with FUSE; see the module documentation.
pub(crate) struct RemoteFs {
    io: IoManager,
    token: Arc<AccessToken>,
    /// `/rdr/SERVER[:PORT]/SHARE`: the manager name of the share root.
    root: String,
    /// `SERVER[:PORT]/SHARE`: how a rename names its target.
    unc: String,
    inodes: Mutex<Inodes>,
    opens: Mutex<HashMap<u64, Arc<Open>>>,
    next_fh: AtomicU64,
    uid: u32,
    gid: u32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn decode<T: FileInfo>(buf: &[u8]) -> Answer<T> {
    T::decode(buf).map_err(|e| {
        tracing::debug!("undecodable {}: {e}", std::any::type_name::<T>());
        Errno::EIO
    })
}

fn time(t: FileTime) -> SystemTime {
    if t.is_special() {
        SystemTime::UNIX_EPOCH
    } else {
        t.to_system_time()
    }
}

fn set_time(t: Option<TimeOrNow>) -> FileTime {
    match t {
        None => FileTime::DONT_CHANGE,
        Some(TimeOrNow::Now) => FileTime::from_system_time(SystemTime::now()),
        Some(TimeOrNow::SpecificTime(t)) => FileTime::from_system_time(t),
    }
}

fn close(file: FileHandle) {
    let path = file.file().path().to_owned();
    let status = block_on(file.close());
    if !status.is_success() {
        tracing::debug!("close {path}: {status}");
    }
}

/// Logs a refusal and turns it into the errno.
fn refused(what: &str, path: &str, status: NtStatus) -> Errno {
    tracing::debug!("{what} {path}: {status}");
    errno(status)
}

/// The access an open with `flags` needs.
fn access_for(flags: i32) -> AccessMask {
    let base = AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE;
    let read = AccessMask::FILE_READ_DATA;
    let write = AccessMask::FILE_WRITE_DATA
        | AccessMask::FILE_APPEND_DATA
        | AccessMask::FILE_WRITE_ATTRIBUTES;
    match OpenFlags(flags).acc_mode() {
        OpenAccMode::O_RDONLY => base | read,
        OpenAccMode::O_WRONLY => base | write,
        OpenAccMode::O_RDWR => base | read | write,
    }
}

impl RemoteFs {
    /// The file system of the share `unc` (`SERVER[:PORT]/SHARE`) on the redirector at
    /// `/device` of `io`, opened as `token`.
    pub(crate) fn new(io: IoManager, token: Arc<AccessToken>, device: &str, unc: &str) -> Self {
        RemoteFs {
            io,
            token,
            root: format!("/{device}/{unc}"),
            unc: unc.to_owned(),
            inodes: Mutex::new(Inodes::new()),
            opens: Mutex::new(HashMap::new()),
            next_fh: AtomicU64::new(1),
            uid: rustix::process::geteuid().as_raw(),
            gid: rustix::process::getegid().as_raw(),
        }
    }

    /// Opens the share root and queries it: the mount's first sign of a wrong server,
    /// share or password.
    pub(crate) fn check(&self) -> Result<(), NtStatus> {
        let root = self.open_path(
            "",
            AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
            CreateDisposition::OPEN,
            CreateOptions::DIRECTORY_FILE,
        )?;
        let queried = block_on(root.query_information(FileInfoClass::ALL, QUERY_LENGTH));
        close(root);
        queried.map(drop)
    }

    fn name(&self, path: &str) -> String {
        if path.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{path}", self.root)
        }
    }

    fn open_path(
        &self,
        path: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        options: CreateOptions,
    ) -> Result<FileHandle, NtStatus> {
        let request = CreateRequest::new(Arc::clone(&self.token), access, disposition)
            .share(ShareAccess::ALL)
            .options(options);
        block_on(self.io.create_file(&self.name(path), request))
    }

    /// Opens `path` for `access`, or answers the errno.
    fn open_or_errno(
        &self,
        path: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        options: CreateOptions,
    ) -> Answer<FileHandle> {
        self.open_path(path, access, disposition, options)
            .map_err(|s| refused("open", path, s))
    }

    /// The path of `ino`; ESTALE when the kernel asks about an inode it forgot.
    fn path_of(&self, ino: INodeNo) -> Answer<String> {
        lock(&self.inodes)
            .path(ino)
            .map(str::to_owned)
            .ok_or(Errno::ESTALE)
    }

    /// The path of `name` in the directory `parent`. A name SMB would read differently
    /// (`\` separates, `:` names a stream) or that is not UTF-8 is EINVAL.
    fn child(&self, parent: INodeNo, name: &OsStr) -> Answer<String> {
        let name = name.to_str().ok_or(Errno::EINVAL)?;
        if name.is_empty() || name.contains(['/', '\\', ':']) {
            return Err(Errno::EINVAL);
        }
        Ok(join(&self.path_of(parent)?, name))
    }

    fn query_all(&self, file: &FileHandle) -> Answer<FileAllInformation> {
        let buf = block_on(file.query_information(FileInfoClass::ALL, QUERY_LENGTH))
            .map_err(|s| refused("query", file.file().path(), s))?;
        decode(&buf)
    }

    /// Everything `stat` needs of `path`.
    fn stat_path(&self, path: &str) -> Answer<FileAllInformation> {
        let file = self.open_or_errno(
            path,
            AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
            CreateDisposition::OPEN,
            CreateOptions::empty(),
        )?;
        let all = self.query_all(&file);
        close(file);
        all
    }

    fn attr(&self, ino: INodeNo, all: &FileAllInformation) -> FileAttr {
        let dir = all.standard.directory
            || all
                .basic
                .file_attributes
                .contains(FileAttributes::DIRECTORY);
        let mut perm: u16 = if dir { 0o755 } else { 0o644 };
        if all.basic.file_attributes.contains(FileAttributes::READONLY) {
            perm &= !0o222;
        }
        FileAttr {
            ino,
            size: all.standard.end_of_file,
            blocks: all.standard.allocation_size.div_ceil(512),
            atime: time(all.basic.last_access_time),
            mtime: time(all.basic.last_write_time),
            ctime: time(all.basic.change_time),
            crtime: time(all.basic.creation_time),
            kind: if dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            },
            perm,
            nlink: if dir {
                2
            } else {
                all.standard.number_of_links.max(1)
            },
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: MAX_IO,
            flags: 0,
        }
    }

    /// An entry reply's inode and attributes for `path`: the kernel now holds it.
    fn entry(&self, path: &str, all: &FileAllInformation) -> FileAttr {
        let ino = if path.is_empty() {
            INodeNo::ROOT
        } else {
            ino_of(all.internal.index_number)
        };
        lock(&self.inodes).looked_up(ino, path);
        self.attr(ino, all)
    }

    fn keep(&self, ino: INodeNo, file: FileHandle) -> fuser::FileHandle {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        lock(&self.opens).insert(
            fh,
            Arc::new(Open {
                ino,
                file,
                listing: Mutex::new(Vec::new()),
            }),
        );
        fuser::FileHandle(fh)
    }

    fn open_of(&self, fh: fuser::FileHandle) -> Answer<Arc<Open>> {
        lock(&self.opens).get(&fh.0).cloned().ok_or(Errno::EBADF)
    }

    /// An open of `ino` granting `need`: the kernel sends `utimensat` and `chmod` without
    /// the descriptor's handle, but a time set through another open than the one that
    /// wrote would be overwritten when the writer closes (the server stamps the last write
    /// time at close unless it was set on that open: Open.UserSetModificationTime, MS-FSA
    /// 2.1.5.14.2 and 2.1.5.4), so the
    /// writer's open is the one to set it through.
    fn open_granting(&self, ino: INodeNo, need: AccessMask) -> Option<Arc<Open>> {
        lock(&self.opens)
            .values()
            .find(|o| o.ino == ino && o.file.file().granted_access().contains(need))
            .cloned()
    }

    fn release_fh(&self, fh: fuser::FileHandle) {
        let open = lock(&self.opens).remove(&fh.0);
        if let Some(open) = open {
            match Arc::try_unwrap(open) {
                Ok(open) => close(open.file),
                // Still in use by a request on another thread: dropping the last
                // reference closes it in the background.
                Err(open) => drop(open),
            }
        }
    }

    /// Reads the whole listing of `dir` (entries `.` and `..` first, ours).
    fn list(&self, ino: INodeNo, dir: &FileHandle) -> Answer<Vec<Entry>> {
        let path = self.path_of(ino)?;
        let parent = match path.rsplit_once('/') {
            Some((parent, _)) => parent.to_owned(),
            None => String::new(),
        };
        let parent_ino = if path.is_empty() {
            INodeNo::ROOT
        } else {
            lock(&self.inodes).find(&parent).unwrap_or(INodeNo::ROOT)
        };
        let mut entries = vec![
            Entry {
                ino,
                kind: FileType::Directory,
                name: ".".into(),
            },
            Entry {
                ino: parent_ino,
                kind: FileType::Directory,
                name: "..".into(),
            },
        ];
        let scanned = scan(dir, FileInfoClass::ID_BOTH_DIRECTORY, "*", |e| {
            if e.file_name == "."
                || e.file_name == ".."
                || e.file_name.is_empty()
                || e.file_name.contains(['/', '\0'])
            {
                // Ours are first; a name no Linux path can hold would fail the whole
                // listing in the kernel.
                return Ok(());
            }
            if entries.len() >= MAX_ENTRIES {
                tracing::warn!("list {path}: more than {MAX_ENTRIES} entries");
                return Err(Errno::EOVERFLOW);
            }
            let dir = e.file_attributes.contains(FileAttributes::DIRECTORY);
            entries.push(Entry {
                ino: ino_of(e.file_id),
                kind: if dir {
                    FileType::Directory
                } else {
                    FileType::RegularFile
                },
                name: e.file_name,
            });
            Ok(())
        });
        scanned.map_err(|e| match e {
            ScanError::Status(s) => refused("list", &path, s),
            ScanError::Undecodable(e) => {
                tracing::debug!("list {path}: undecodable entries: {e}");
                Errno::EIO
            }
            ScanError::Stopped(errno) => errno,
        })?;
        Ok(entries)
    }

    /// Sets the basic information of `file` (times and attributes; zeros change nothing).
    fn set_basic(&self, file: &FileHandle, basic: FileBasicInformation) -> Result<(), NtStatus> {
        block_on(file.set_information(FileInfoClass::BASIC, basic.encode()))
    }

    /// `setattr`'s work, on `fh` when the kernel gave one.
    fn set_attr(
        &self,
        ino: INodeNo,
        fh: Option<fuser::FileHandle>,
        changes: Changes,
    ) -> Answer<FileAttr> {
        if changes.uid.is_some_and(|u| u != self.uid) || changes.gid.is_some_and(|g| g != self.gid)
        {
            return Err(Errno::EPERM);
        }
        let path = self.path_of(ino)?;
        let mut need = AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE;
        if changes.size.is_some() {
            need |= AccessMask::FILE_WRITE_DATA;
        }
        if changes.times_or_mode() {
            need |= AccessMask::FILE_WRITE_ATTRIBUTES;
        }
        // The kernel's handle when it grants enough, else another open of the file that
        // does, else an open of our own.
        let given = match fh.map(|fh| self.open_of(fh)).transpose()? {
            Some(open) if open.file.file().granted_access().contains(need) => Some(open),
            _ => self.open_granting(ino, need),
        };
        let own = match &given {
            Some(open) if open.file.file().granted_access().contains(need) => None,
            _ => Some(self.open_or_errno(
                &path,
                need,
                CreateDisposition::OPEN,
                CreateOptions::empty(),
            )?),
        };
        let file = match (&own, &given) {
            (Some(own), _) => own,
            (None, Some(open)) => &open.file,
            (None, None) => return Err(Errno::EIO),
        };
        let result = self.set_attr_on(file, &path, changes);
        let all = result.and_then(|()| self.query_all(file));
        if let Some(own) = own {
            close(own);
        }
        Ok(self.attr(ino, &all?))
    }

    fn set_attr_on(&self, file: &FileHandle, path: &str, changes: Changes) -> Answer<()> {
        if let Some(size) = changes.size {
            let eof = FileEndOfFileInformation { end_of_file: size };
            block_on(file.set_information(FileInfoClass::END_OF_FILE, eof.encode()))
                .map_err(|s| refused("truncate", path, s))?;
        }
        let mut basic = FileBasicInformation {
            creation_time: FileTime::DONT_CHANGE,
            last_access_time: set_time(changes.atime),
            last_write_time: set_time(changes.mtime),
            change_time: FileTime::DONT_CHANGE,
            file_attributes: FileAttributes::empty(),
        };
        if let Some(mode) = changes.mode {
            let now = self.query_all(file)?.basic.file_attributes;
            let mut attributes = if mode & 0o200 == 0 {
                now | FileAttributes::READONLY
            } else {
                now.without(FileAttributes::READONLY)
            };
            if attributes.is_empty() {
                // Zero means "do not change" (MS-FSCC 2.4.7); NORMAL means "none".
                attributes = FileAttributes::NORMAL;
            }
            basic.file_attributes = attributes;
        }
        if changes.times_or_mode() {
            self.set_basic(file, basic)
                .map_err(|s| refused("set attributes of", path, s))?;
        }
        Ok(())
    }

    /// Deletes `path` (a directory when `dir`): open for delete, set the disposition,
    /// close. A read-only file loses its read-only attribute first (see the module docs).
    fn delete(&self, path: &str, dir: bool) -> Answer<()> {
        let options = if dir {
            CreateOptions::DIRECTORY_FILE
        } else {
            CreateOptions::NON_DIRECTORY_FILE
        };
        let file = self.open_or_errno(
            path,
            AccessMask::DELETE
                | AccessMask::FILE_READ_ATTRIBUTES
                | AccessMask::FILE_WRITE_ATTRIBUTES
                | AccessMask::SYNCHRONIZE,
            CreateDisposition::OPEN,
            options,
        )?;
        let mut result = block_on(file.set_information(FileInfoClass::DISPOSITION, vec![1u8]));
        if result == Err(NtStatus::CANNOT_DELETE) && !dir {
            let writable = self.query_all(&file).and_then(|all| {
                let mut attributes = all.basic.file_attributes.without(FileAttributes::READONLY);
                if attributes.is_empty() {
                    attributes = FileAttributes::NORMAL;
                }
                let basic = FileBasicInformation {
                    file_attributes: attributes,
                    ..FileBasicInformation::default()
                };
                self.set_basic(&file, basic)
                    .map_err(|s| refused("clear read-only of", path, s))
            });
            if writable.is_ok() {
                result = block_on(file.set_information(FileInfoClass::DISPOSITION, vec![1u8]));
            }
        }
        close(file);
        result.map_err(|s| refused("delete", path, s))
    }

    fn create_file(
        &self,
        parent: INodeNo,
        name: &OsStr,
        flags: i32,
    ) -> Answer<(FileAttr, fuser::FileHandle)> {
        let path = self.child(parent, name)?;
        let raw = |f: rustix::fs::OFlags| f.bits() as i32;
        let disposition = if flags & raw(rustix::fs::OFlags::EXCL) != 0 {
            CreateDisposition::CREATE
        } else if flags & raw(rustix::fs::OFlags::TRUNC) != 0 {
            CreateDisposition::OVERWRITE_IF
        } else {
            CreateDisposition::OPEN_IF
        };
        let file = self.open_or_errno(
            &path,
            access_for(flags),
            disposition,
            CreateOptions::NON_DIRECTORY_FILE,
        )?;
        match self.query_all(&file) {
            Ok(all) => {
                let attr = self.entry(&path, &all);
                Ok((attr, self.keep(attr.ino, file)))
            }
            Err(e) => {
                close(file);
                Err(e)
            }
        }
    }
}

impl Filesystem for RemoteFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        let _ = config.set_max_write(MAX_IO);
        let _ = config.set_max_readahead(MAX_IO);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let answer = self
            .child(parent, name)
            .and_then(|path| Ok(self.entry(&path, &self.stat_path(&path)?)));
        match answer {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        lock(&self.inodes).forget(ino, nlookup);
    }

    fn getattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: Option<fuser::FileHandle>,
        reply: ReplyAttr,
    ) {
        let all = match fh.map(|fh| self.open_of(fh)) {
            Some(Ok(open)) => self.query_all(&open.file),
            _ => self.path_of(ino).and_then(|path| self.stat_path(&path)),
        };
        match all {
            Ok(all) => reply.attr(&TTL, &self.attr(ino, &all)),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<fuser::FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let changes = Changes {
            mode,
            uid,
            gid,
            size,
            atime,
            mtime,
        };
        match self.set_attr(ino, fh, changes) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        let answer = self.child(parent, name).and_then(|path| {
            let dir = self.open_or_errno(
                &path,
                AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
                CreateDisposition::CREATE,
                CreateOptions::DIRECTORY_FILE,
            )?;
            let all = self.query_all(&dir);
            close(dir);
            Ok(self.entry(&path, &all?))
        });
        match answer {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self
            .child(parent, name)
            .and_then(|path| self.delete(&path, false))
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self
            .child(parent, name)
            .and_then(|path| self.delete(&path, true))
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let answer = (|| {
            if flags.intersects(RenameFlags::RENAME_EXCHANGE | RenameFlags::RENAME_WHITEOUT) {
                return Err(Errno::EINVAL);
            }
            let from = self.child(parent, name)?;
            let to = self.child(newparent, newname)?;
            let file = self.open_or_errno(
                &from,
                AccessMask::DELETE | AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
                CreateDisposition::OPEN,
                CreateOptions::empty(),
            )?;
            let info = FileRenameInformation {
                replace_if_exists: !flags.contains(RenameFlags::RENAME_NOREPLACE),
                root_directory: 0,
                file_name: format!("{}/{to}", self.unc),
            };
            let result = block_on(file.set_information(FileInfoClass::RENAME, info.encode()));
            close(file);
            result.map_err(|s| refused("rename", &from, s))?;
            lock(&self.inodes).renamed(&from, &to);
            Ok(())
        })();
        match answer {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let answer = self.path_of(ino).and_then(|path| {
            self.open_or_errno(
                &path,
                access_for(flags.0),
                CreateDisposition::OPEN,
                CreateOptions::NON_DIRECTORY_FILE,
            )
        });
        match answer {
            Ok(file) => reply.opened(self.keep(ino, file), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        match self.create_file(parent, name, flags) {
            Ok((attr, fh)) => reply.created(&TTL, &attr, Generation(0), fh, FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: fuser::FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let answer = self.open_of(fh).and_then(|open| {
            match block_on(open.file.read(offset, size.min(MAX_IO))) {
                Ok(mut data) => {
                    // Never more than the kernel asked for, whatever the server sent.
                    data.truncate(size as usize);
                    Ok(data)
                }
                Err(NtStatus::END_OF_FILE) => Ok(Vec::new()),
                Err(s) => Err(refused("read", open.file.file().path(), s)),
            }
        });
        match answer {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: fuser::FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let answer = self.open_of(fh).and_then(|open| {
            let wrote = block_on(open.file.write(offset, data.to_vec()))
                .map_err(|s| refused("write", open.file.file().path(), s))?;
            if wrote > data.len() as u64 {
                tracing::debug!("write: the server claims {wrote} of {} bytes", data.len());
                return Err(Errno::EIO);
            }
            u32::try_from(wrote).map_err(|_| Errno::EIO)
        });
        match answer {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: fuser::FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // close(2) of one descriptor: writes already went to the server (no write-back
        // cache here), so there is nothing to push; fsync asks the server to flush.
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: fuser::FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.release_fh(fh);
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: fuser::FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let answer = self.open_of(fh).and_then(|open| {
            block_on(open.file.flush()).map_err(|s| refused("flush", open.file.file().path(), s))
        });
        match answer {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let answer = self.path_of(ino).and_then(|path| {
            self.open_or_errno(
                &path,
                AccessMask::FILE_LIST_DIRECTORY
                    | AccessMask::FILE_READ_ATTRIBUTES
                    | AccessMask::SYNCHRONIZE,
                CreateDisposition::OPEN,
                CreateOptions::DIRECTORY_FILE,
            )
        });
        match answer {
            Ok(file) => reply.opened(self.keep(ino, file), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: fuser::FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let open = match self.open_of(fh) {
            Ok(open) => open,
            Err(e) => return reply.error(e),
        };
        let mut listing = lock(&open.listing);
        if offset == 0 {
            // The first read, or a rewind: ask the server again.
            match self.list(ino, &open.file) {
                Ok(entries) => *listing = entries,
                Err(e) => return reply.error(e),
            }
        }
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        for (i, e) in listing.iter().enumerate().skip(start) {
            // The offset an entry carries is where the next readdir starts.
            if reply.add(e.ino, i as u64 + 1, e.kind, &e.name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: fuser::FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.release_fh(fh);
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let answer = (|| {
            let root = self.open_or_errno(
                "",
                AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
                CreateDisposition::OPEN,
                CreateOptions::DIRECTORY_FILE,
            )?;
            let buf = block_on(root.query_volume_information(FsInfoClass::SIZE, QUERY_LENGTH));
            close(root);
            let buf = buf.map_err(|s| refused("statfs", "", s))?;
            FileFsSizeInformation::decode(&buf).map_err(|_| Errno::EIO)
        })();
        match answer {
            Ok(size) => {
                let unit = size
                    .sectors_per_allocation_unit
                    .saturating_mul(size.bytes_per_sector)
                    .max(1);
                reply.statfs(
                    size.total_allocation_units,
                    size.available_allocation_units,
                    size.available_allocation_units,
                    0,
                    0,
                    unit,
                    255,
                    unit,
                );
            }
            Err(e) => reply.error(e),
        }
    }
}
