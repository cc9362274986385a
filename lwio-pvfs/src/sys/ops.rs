//! Operations on descriptors the driver already holds.
//!
//! Directory operations take a directory descriptor obtained through a
//! [`Root`](super::Root) and a single name, checked with
//! [`validate_name`](super::validate_name), so they cannot reach outside the root: no path is
//! walked, and a final symlink is never followed (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`, no
//! `AT_SYMLINK_FOLLOW`).

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;

use lwio_core::NtStatus;
use rustix::fs::{
    AtFlags, FallocateFlags, FileType, Mode, OFlags, RenameFlags, StatxFlags, Timestamps,
};
use rustix::io::Errno;

use super::errno::map_errno;
use super::names::validate_name;

/// A point in time as Unix seconds and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 UTC (negative before).
    pub secs: i64,
    /// Nanoseconds within the second, below 1,000,000,000.
    pub nanos: u32,
}

/// 100-ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

impl Timestamp {
    /// As a Windows FILETIME (100-ns intervals since 1601-01-01 UTC), clamped to `0..=i64::MAX`.
    pub fn to_filetime(self) -> u64 {
        let t =
            i128::from(self.secs) * 10_000_000 + i128::from(self.nanos / 100) + FILETIME_UNIX_EPOCH;
        // The clamp makes the conversion exact.
        u64::try_from(t.clamp(0, i128::from(i64::MAX))).unwrap_or(0)
    }

    /// From a Windows FILETIME.
    pub fn from_filetime(ft: u64) -> Self {
        let t = i128::from(ft) - FILETIME_UNIX_EPOCH;
        let secs = t.div_euclid(10_000_000);
        let nanos = t.rem_euclid(10_000_000) * 100;
        Self {
            secs: i64::try_from(secs).unwrap_or(i64::MAX),
            nanos: u32::try_from(nanos).unwrap_or(0),
        }
    }

    fn from_statx(t: rustix::fs::StatxTimestamp) -> Self {
        Self {
            secs: t.tv_sec,
            nanos: t.tv_nsec,
        }
    }

    fn to_timespec(self) -> rustix::fs::Timespec {
        rustix::fs::Timespec {
            tv_sec: self.secs,
            tv_nsec: self.nanos.into(),
        }
    }
}

/// What `statx` says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Inode number.
    pub ino: u64,
    /// Device number (`makedev(major, minor)`).
    pub dev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Space allocated, in bytes.
    pub blocks: u64,
    /// Number of hard links.
    pub nlink: u32,
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last access.
    pub atime: Timestamp,
    /// Last data change.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
    /// Creation, when the file system records it.
    pub btime: Option<Timestamp>,
}

impl Stat {
    /// The file type.
    pub fn file_type(&self) -> FileType {
        FileType::from_raw_mode(self.mode)
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type() == FileType::Directory
    }

    /// Whether this is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.file_type() == FileType::Symlink
    }

    pub(crate) fn from_statx(s: &rustix::fs::Statx) -> Self {
        let btime = s
            .stx_mask
            .contains(StatxFlags::BTIME.bits())
            .then(|| Timestamp::from_statx(s.stx_btime));
        Self {
            ino: s.stx_ino,
            dev: rustix::fs::makedev(s.stx_dev_major, s.stx_dev_minor),
            size: s.stx_size,
            blocks: s.stx_blocks.saturating_mul(512),
            nlink: s.stx_nlink,
            mode: u32::from(s.stx_mode),
            uid: s.stx_uid,
            gid: s.stx_gid,
            atime: Timestamp::from_statx(s.stx_atime),
            mtime: Timestamp::from_statx(s.stx_mtime),
            ctime: Timestamp::from_statx(s.stx_ctime),
            btime,
        }
    }
}

/// Helper so `stx_mask` (a `u32`) reads like a flag set.
trait MaskExt {
    fn contains(self, bits: u32) -> bool;
}

impl MaskExt for u32 {
    fn contains(self, bits: u32) -> bool {
        self & bits == bits
    }
}

const STATX_WANT: StatxFlags = StatxFlags::BASIC_STATS.union(StatxFlags::BTIME);

/// `statx` of `name` in `dir`, not following a final symlink; raw errno.
pub(crate) fn statx_at(dir: impl AsFd, name: impl rustix::path::Arg) -> Result<Stat, Errno> {
    rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, STATX_WANT)
        .map(|s| Stat::from_statx(&s))
}

/// `statx` of an open descriptor (also `O_PATH` ones), with the birth time when the file
/// system gives it.
pub fn fstat(fd: impl AsFd) -> Result<Stat, NtStatus> {
    rustix::fs::statx(fd, c"", AtFlags::EMPTY_PATH, STATX_WANT)
        .map(|s| Stat::from_statx(&s))
        .map_err(map_errno)
}

/// `mkdirat(dir, name, mode)`.
pub fn mkdir_at(dir: impl AsFd, name: &str, mode: Mode) -> Result<(), NtStatus> {
    validate_name(name)?;
    rustix::fs::mkdirat(dir, name, mode).map_err(map_errno)
}

/// Creates `name` in `dir` with `O_CREAT | O_EXCL | O_NOFOLLOW` (an existing name, symlinks
/// included, is `STATUS_OBJECT_NAME_COLLISION`), plus `flags` (e.g. `O_RDWR`).
pub fn create_file_at(
    dir: impl AsFd,
    name: &str,
    flags: OFlags,
    mode: Mode,
) -> Result<OwnedFd, NtStatus> {
    validate_name(name)?;
    let flags = flags | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(dir, name, flags, mode).map_err(map_errno)
}

/// Removes `name` from `dir`: a directory (`rmdir`) when `is_dir`, else a file or symlink.
pub fn unlink_at(dir: impl AsFd, name: &str, is_dir: bool) -> Result<(), NtStatus> {
    validate_name(name)?;
    let flags = if is_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    rustix::fs::unlinkat(dir, name, flags).map_err(map_errno)
}

/// Renames `old_dir/old` to `new_dir/new`. Without `replace` this is `RENAME_NOREPLACE` (an
/// existing target is `STATUS_OBJECT_NAME_COLLISION`, atomically); with it, plain `rename`.
pub fn rename_at(
    old_dir: impl AsFd,
    old: &str,
    new_dir: impl AsFd,
    new: &str,
    replace: bool,
) -> Result<(), NtStatus> {
    validate_name(old)?;
    validate_name(new)?;
    let flags = if replace {
        RenameFlags::empty()
    } else {
        RenameFlags::NOREPLACE
    };
    rustix::fs::renameat_with(old_dir, old, new_dir, new, flags).map_err(map_errno)
}

/// Makes `new_dir/new` a hard link to `old_dir/old`. A symlink is linked as itself, never
/// followed (no `AT_SYMLINK_FOLLOW`). Both directories come from the root, so both ends are
/// beneath it.
pub fn link_at(
    old_dir: impl AsFd,
    old: &str,
    new_dir: impl AsFd,
    new: &str,
) -> Result<(), NtStatus> {
    validate_name(old)?;
    validate_name(new)?;
    rustix::fs::linkat(old_dir, old, new_dir, new, AtFlags::empty()).map_err(map_errno)
}

/// Sets the access and/or modification time (`futimens`; `None` leaves one unchanged).
/// Needs a descriptor that is not `O_PATH`.
pub fn set_times(
    fd: impl AsFd,
    atime: Option<Timestamp>,
    mtime: Option<Timestamp>,
) -> Result<(), NtStatus> {
    let omit = rustix::fs::Timespec {
        tv_sec: 0,
        tv_nsec: rustix::fs::UTIME_OMIT,
    };
    let times = Timestamps {
        last_access: atime.map_or(omit, Timestamp::to_timespec),
        last_modification: mtime.map_or(omit, Timestamp::to_timespec),
    };
    rustix::fs::futimens(fd, &times).map_err(map_errno)
}

/// `fchmod`: sets the permission bits.
pub fn set_mode(fd: impl AsFd, mode: Mode) -> Result<(), NtStatus> {
    rustix::fs::fchmod(fd, mode).map_err(map_errno)
}

/// `fchown`: gives the file to `uid` and `gid`. `Ok(false)` when this process may not
/// (`EPERM`: it is not root and lacks CAP_CHOWN), so the caller can keep the file as the
/// process's own; any other failure is an error. An id of `u32::MAX` (-1, "unchanged" to
/// the kernel) is refused with STATUS_INVALID_PARAMETER.
pub fn set_owner(fd: impl AsFd, uid: u32, gid: u32) -> Result<bool, NtStatus> {
    if uid == u32::MAX || gid == u32::MAX {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let owner = rustix::fs::Uid::from_raw(uid);
    let group = rustix::fs::Gid::from_raw(gid);
    match rustix::fs::fchown(fd, Some(owner), Some(group)) {
        Ok(()) => Ok(true),
        Err(Errno::PERM) => Ok(false),
        Err(e) => Err(map_errno(e)),
    }
}

/// The path of an open descriptor in `/proc`, a magic link to the object it holds.
fn proc_fd_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// Opens the object `fd` holds again with `flags` (`O_CLOEXEC | O_NOCTTY` added; no
/// `O_CREAT`), through its `/proc/self/fd` link: the same inode, whatever its name now
/// points to, so a check made on `fd` holds for the new descriptor. The identity is
/// verified (device and inode); a mismatch, or a system without `/proc`, is an error, never
/// a silent open by name.
pub fn reopen(fd: impl AsFd, flags: OFlags) -> Result<OwnedFd, NtStatus> {
    let fd = fd.as_fd();
    let flags = flags.difference(OFlags::CREATE | OFlags::TMPFILE | OFlags::EXCL)
        | OFlags::CLOEXEC
        | OFlags::NOCTTY;
    let new = rustix::fs::open(proc_fd_path(fd), flags, Mode::empty()).map_err(map_errno)?;
    same_object(fd, &new)?;
    Ok(new)
}

/// Fails with STATUS_ACCESS_DENIED unless `a` and `b` hold the same inode.
pub fn same_object(a: impl AsFd, b: impl AsFd) -> Result<(), NtStatus> {
    let (a, b) = (fstat(a)?, fstat(b)?);
    if (a.dev, a.ino) == (b.dev, b.ino) {
        Ok(())
    } else {
        Err(NtStatus::ACCESS_DENIED)
    }
}

/// Makes `dir/name` a hard link to the object `fd` holds (`linkat` of its `/proc/self/fd`
/// link with `AT_SYMLINK_FOLLOW`): the file that was opened and checked, never a name
/// looked up again. A file whose last name is gone cannot be linked (`ENOENT`).
pub fn link_fd(fd: impl AsFd, dir: impl AsFd, name: &str) -> Result<(), NtStatus> {
    validate_name(name)?;
    let fd = fd.as_fd();
    rustix::fs::linkat(
        rustix::fs::CWD,
        proc_fd_path(fd),
        dir,
        name,
        AtFlags::SYMLINK_FOLLOW,
    )
    .map_err(map_errno)
}

/// `statx` of `name` in `dir` (a final symlink not followed): `Ok(None)` when it is missing.
pub fn stat_at(dir: impl AsFd, name: &str) -> Result<Option<Stat>, NtStatus> {
    validate_name(name)?;
    match statx_at(dir, name) {
        Ok(st) => Ok(Some(st)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(map_errno(e)),
    }
}

/// `ftruncate`: sets the end of file.
pub fn set_size(fd: impl AsFd, size: u64) -> Result<(), NtStatus> {
    rustix::fs::ftruncate(fd, size).map_err(map_errno)
}

/// `fallocate(KEEP_SIZE)`: reserves space up to `len` bytes without changing the size (the
/// allocation size of NTFS).
pub fn fallocate(fd: impl AsFd, len: u64) -> Result<(), NtStatus> {
    if len == 0 {
        return Ok(());
    }
    rustix::fs::fallocate(fd, FallocateFlags::KEEP_SIZE, 0, len).map_err(map_errno)
}

/// `fallocate(PUNCH_HOLE | KEEP_SIZE)`: deallocates `[offset, offset + len)`, which then
/// reads as zeros (FSCTL_SET_ZERO_DATA on a sparse file).
pub fn punch_hole(fd: impl AsFd, offset: u64, len: u64) -> Result<(), NtStatus> {
    if len == 0 {
        return Ok(());
    }
    let flags = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
    rustix::fs::fallocate(fd, flags, offset, len).map_err(map_errno)
}

/// `fallocate(0)` over `[0, len)`: allocates every hole of a file of size `len` (a file
/// that stops being sparse), size unchanged.
pub fn fill_holes(fd: impl AsFd, len: u64) -> Result<(), NtStatus> {
    if len == 0 {
        return Ok(());
    }
    rustix::fs::fallocate(fd, FallocateFlags::empty(), 0, len).map_err(map_errno)
}

/// The next allocated range at or after `from`: `lseek(SEEK_DATA)` then `lseek(SEEK_HOLE)`,
/// as `(start, end)`; `None` when no data follows `from`. Moves the descriptor's file
/// position, which PVFS never uses (it reads and writes at explicit offsets).
pub fn next_data(fd: impl AsFd, from: u64) -> Result<Option<(u64, u64)>, NtStatus> {
    use rustix::fs::{SeekFrom, seek};
    let fd = fd.as_fd();
    let start = match seek(fd, SeekFrom::Data(from)) {
        Ok(p) => p,
        Err(rustix::io::Errno::NXIO) => return Ok(None),
        Err(e) => return Err(map_errno(e)),
    };
    let end = seek(fd, SeekFrom::Hole(start)).map_err(map_errno)?;
    Ok(Some((start, end)))
}

/// `fsync`.
pub fn fsync(fd: impl AsFd) -> Result<(), NtStatus> {
    rustix::fs::fsync(fd).map_err(map_errno)
}

/// `fdatasync`.
pub fn datasync(fd: impl AsFd) -> Result<(), NtStatus> {
    rustix::fs::fdatasync(fd).map_err(map_errno)
}

/// Reads at `offset` until `buf` is full or the end of file; returns the bytes read.
pub fn pread_full(fd: impl AsFd, buf: &mut [u8], offset: u64) -> Result<usize, NtStatus> {
    let fd = fd.as_fd();
    let mut done = 0;
    while done < buf.len() {
        let pos = offset
            .checked_add(done as u64)
            .ok_or(NtStatus::INVALID_PARAMETER)?;
        match rustix::io::pread(fd, &mut buf[done..], pos) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(map_errno(e)),
        }
    }
    Ok(done)
}

/// Reads up to `len` bytes at `offset` into a buffer of its own, stopping at the end of
/// the file. The buffer is not zeroed first: its pages are written once, by the kernel's
/// copy from the page cache, and it goes on to the socket as it is (a READ's one copy).
pub fn pread_vec(fd: impl AsFd, len: usize, offset: u64) -> Result<Vec<u8>, NtStatus> {
    let fd = fd.as_fd();
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        let pos = offset
            .checked_add(buf.len() as u64)
            .ok_or(NtStatus::INVALID_PARAMETER)?;
        match rustix::io::pread(fd, rustix::buffer::spare_capacity(&mut buf), pos) {
            Ok(0) => break,
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(map_errno(e)),
        }
    }
    Ok(buf)
}

/// Writes all of `data` at `offset`.
pub fn pwrite_all(fd: impl AsFd, data: &[u8], offset: u64) -> Result<(), NtStatus> {
    let fd = fd.as_fd();
    let mut done = 0;
    while done < data.len() {
        let pos = offset
            .checked_add(done as u64)
            .ok_or(NtStatus::INVALID_PARAMETER)?;
        match rustix::io::pwrite(fd, &data[done..], pos) {
            Ok(0) => return Err(NtStatus::DISK_FULL),
            Ok(n) => done += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(map_errno(e)),
        }
    }
    Ok(())
}

/// The type of a directory entry, from `d_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
    /// A device, FIFO or socket.
    Other,
    /// The file system did not say; `statx` the name to learn it.
    Unknown,
}

/// One entry of [`read_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntryInfo {
    /// The on-disk name (not always UTF-8).
    pub name: OsString,
    /// The entry's type.
    pub kind: EntryType,
    /// The entry's inode number.
    pub ino: u64,
}

/// Reads every entry of the directory `dir` (which may be an `O_PATH` descriptor), leaving
/// out `.` and `..`. Nothing is followed: a symlink is reported as one.
pub fn read_dir(dir: impl AsFd) -> Result<Vec<DirEntryInfo>, NtStatus> {
    let mut out = Vec::new();
    for_each_entry(dir, |name, kind, ino| {
        out.push(DirEntryInfo {
            name: OsString::from_vec(name.to_vec()),
            kind,
            ino,
        })
    })?;
    Ok(out)
}

/// Calls `f(name, type, ino)` for each entry but `.` and `..`.
pub(crate) fn for_each_entry(
    dir: impl AsFd,
    mut f: impl FnMut(&[u8], EntryType, u64),
) -> Result<(), NtStatus> {
    // `Dir::read_from` would reuse the O_PATH flag; open the directory itself for reading.
    let fd = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(map_errno)?;
    let mut d = rustix::fs::Dir::new(fd).map_err(map_errno)?;
    while let Some(entry) = d.read() {
        let entry = entry.map_err(map_errno)?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::RegularFile => EntryType::File,
            FileType::Directory => EntryType::Dir,
            FileType::Symlink => EntryType::Symlink,
            FileType::Unknown => EntryType::Unknown,
            _ => EntryType::Other,
        };
        f(name, kind, entry.ino());
    }
    Ok(())
}
