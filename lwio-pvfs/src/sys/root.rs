//! [`Root`]: the open share root, jailed opens and case-insensitive resolution.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use lwio_core::NtStatus;
use rustix::fs::{CWD, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::SysConfig;
use super::descriptors::DescriptorCache;
use super::errno::{map_errno, map_resolve_errno};
use super::index::{Cached, IndexCache, NameEdit};
use super::names::{fold_name, split_rel, validate_name};
use super::ops::{EntryType, Stat, for_each_entry, fstat, statx_at};
use super::short::{self, Group};

/// File systems (`statfs` magic numbers) whose regular files ignore `O_NONBLOCK`: the
/// local, in-kernel ones (ext2/3/4, XFS, Btrfs, tmpfs, overlayfs, F2FS, ZFS). On any other,
/// [`Root::open_exact`] clears the flag again on a regular file it opened.
const NONBLOCK_IGNORED: [i128; 7] = [
    0xef53,
    0x5846_5342,
    0x9123_683e,
    0x0102_1994,
    0x794c_7630,
    0xf2f5_2010,
    0x2fc1_2fc1,
];

/// How many times an `openat2` that failed with `EAGAIN` (a concurrent rename seen while
/// resolving `..`) is retried before giving up.
const EAGAIN_RETRIES: usize = 16;

/// An open share root. Every path it takes is relative to the root and resolved beneath it;
/// see the [module docs](super) for the policy. `Root` is `Send + Sync`.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    config: SysConfig,
    openat2: bool,
    /// The share's file system is a local one that ignores `O_NONBLOCK` on regular files
    /// (probed once with `fstatfs`); see [`open_exact`](Self::open_exact).
    nonblock_ignored: bool,
    /// The jail's `openat2` resolve flags (from the symlink policy).
    resolve_flags: ResolveFlags,
    xattrs: bool,
    /// The security descriptor attribute's full name (`trusted.lwio.sd`), and as a C string.
    pub(super) sd_xattr: String,
    pub(super) sd_xattr_c: std::ffi::CString,
    index: IndexCache,
    /// Decoded security descriptors by their stored bytes.
    pub(super) descriptors: DescriptorCache,
    /// Serialise [`change_names`](Self::change_names) per directory (by a hash of its
    /// identity), so that concurrent changes in one directory each find the index as the
    /// previous one left it instead of dropping it. The kernel serialises them anyway.
    change_locks: [parking_lot::Mutex<()>; CHANGE_LOCKS],
}

/// How many locks [`Root::change_names`] spreads directories over.
const CHANGE_LOCKS: usize = 64;

impl std::fmt::Debug for IndexCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexCache").finish_non_exhaustive()
    }
}

/// A change to one directory's names in progress: the directory's stat before it. Made by
/// [`Root::begin_change`], consumed by [`Root::end_change`].
#[derive(Debug)]
#[must_use = "pass it to Root::end_change"]
pub struct DirChange {
    before: Option<Stat>,
}

impl DirChange {
    /// The (device, inode) of the directory, when its stat could be taken: two changes with
    /// the same identity are on one directory.
    pub fn dir_id(&self) -> Option<(u64, u64)> {
        self.before.as_ref().map(|s| (s.dev, s.ino))
    }
}

/// The result of [`Root::resolve`].
#[derive(Debug)]
pub struct Resolved {
    /// The parent directory's on-disk path relative to the root (empty for the root).
    pub parent: PathBuf,
    /// The parent directory, open with `O_PATH`, for operations relative to it.
    pub parent_fd: OwnedFd,
    /// The last component's on-disk name if it exists, else the spelling asked for (the name
    /// to create). Empty when the root itself was resolved.
    pub name: String,
    /// The last component's stat if it exists (a symlink is described, not followed).
    pub stat: Option<Stat>,
}

/// The result of [`Root::find`]: a [`Resolved`] whose parent directory is opened only on
/// demand ([`into_resolved`](Self::into_resolved)).
#[derive(Debug)]
pub struct Found {
    /// As [`Resolved::parent`].
    pub parent: PathBuf,
    /// The parent directory when the walk opened it; `None` for the root (not opened).
    parent_fd: Option<OwnedFd>,
    /// As [`Resolved::name`].
    pub name: String,
    /// As [`Resolved::stat`].
    pub stat: Option<Stat>,
}

impl Found {
    /// Whether the root itself was found (no components).
    pub fn is_root(&self) -> bool {
        self.name.is_empty()
    }

    /// The [`Resolved`] form, opening the root's `O_PATH` descriptor for a top-level name.
    pub fn into_resolved(self, root: &Root) -> Result<Resolved, NtStatus> {
        let parent_fd = match self.parent_fd {
            Some(fd) => fd,
            None => root.open_dir(Path::new(""))?,
        };
        Ok(Resolved {
            parent: self.parent,
            parent_fd,
            name: self.name,
            stat: self.stat,
        })
    }
}

impl Resolved {
    /// The whole on-disk relative path (`parent/name`).
    pub fn path(&self) -> PathBuf {
        self.parent.join(&self.name)
    }

    /// Whether the root itself was resolved (no components).
    pub fn is_root(&self) -> bool {
        self.name.is_empty()
    }
}

impl Root {
    /// Opens the share root at `path` (the administrator's path; symlinks in it are followed
    /// once, here) and probes for `openat2` and extended attributes.
    pub fn open(path: &Path, config: SysConfig) -> Result<Root, NtStatus> {
        let fd = rustix::fs::openat(
            CWD,
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(map_errno)?;
        let openat2 = !config.force_component_walk && probe_openat2(&fd)?;
        let nonblock_ignored = rustix::fs::fstatfs(&fd)
            .is_ok_and(|s| NONBLOCK_IGNORED.contains(&i128::from(s.f_type)));
        let xattrs = !config.force_no_xattrs && probe_xattrs(&fd);
        if !xattrs {
            tracing::warn!(
                root = %path.display(),
                "PVFS: no extended attributes on the share; DOS attributes are derived and \
                 security descriptors cannot be stored"
            );
        }
        let index = IndexCache::new(config.index_max_dirs, config.index_max_names);
        let mut resolve_flags = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        if !config.follow_symlinks_inside {
            resolve_flags |= ResolveFlags::NO_SYMLINKS;
        }
        let sd_xattr = format!(
            "{}{}",
            config.sd_namespace.prefix(),
            super::xattr::SD_XATTR_SUFFIX
        );
        let sd_xattr_c =
            std::ffi::CString::new(sd_xattr.as_str()).map_err(|_| NtStatus::INTERNAL_ERROR)?;
        Ok(Root {
            fd,
            config,
            openat2,
            nonblock_ignored,
            resolve_flags,
            xattrs,
            sd_xattr,
            sd_xattr_c,
            index,
            descriptors: DescriptorCache::default(),
            change_locks: std::array::from_fn(|_| parking_lot::Mutex::new(())),
        })
    }

    /// The configuration this root was opened with.
    pub fn config(&self) -> &SysConfig {
        &self.config
    }

    /// Whether opens go through `openat2` (else the component walk).
    pub fn uses_openat2(&self) -> bool {
        self.openat2
    }

    /// Whether the share's file system keeps extended attributes (probed at open, or forced
    /// off by [`SysConfig::force_no_xattrs`]).
    pub fn fs_supports_xattrs(&self) -> bool {
        self.xattrs
    }

    /// The root directory (`O_PATH`), for directory operations in the root itself.
    pub fn dir_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// How many directory scans the name index has made (a diagnostic; tests use it to show
    /// that lookups are served from the cache).
    pub fn dir_scans(&self) -> u64 {
        self.index.scans()
    }

    /// Opens `rel` (an on-disk path relative to the root, e.g. from [`Resolved::path`];
    /// empty means the root) beneath the root with `flags` (`O_CLOEXEC` is always added).
    /// `mode` is used only with `O_CREAT` or `O_TMPFILE`.
    ///
    /// An escape or a refused symlink is `STATUS_ACCESS_DENIED`; `..` or an absolute path is
    /// `STATUS_OBJECT_NAME_INVALID` before any system call. A missing parent is
    /// `STATUS_OBJECT_PATH_NOT_FOUND`, a missing last component
    /// `STATUS_OBJECT_NAME_NOT_FOUND`.
    pub fn open_file(&self, rel: &Path, flags: OFlags, mode: Mode) -> Result<OwnedFd, NtStatus> {
        let comps = split_rel(rel)?;
        let mode = if flags.intersects(OFlags::CREATE | OFlags::TMPFILE) {
            mode
        } else {
            Mode::empty()
        };
        let flags = flags | OFlags::CLOEXEC;
        if self.openat2 {
            self.open_openat2(rel, &comps, flags, mode)
        } else {
            self.open_walk(&comps, flags, mode)
        }
    }

    /// Opens `rel` with `O_PATH` (for `fstat`, `*at` calls and as a directory handle). A
    /// final symlink is refused or followed as for [`open_file`](Self::open_file).
    pub fn open_path(&self, rel: &Path) -> Result<OwnedFd, NtStatus> {
        self.open_file(rel, OFlags::PATH, Mode::empty())
    }

    /// Opens the directory `rel` with `O_PATH | O_DIRECTORY`; a non-directory is
    /// `STATUS_OBJECT_PATH_NOT_FOUND`.
    pub fn open_dir(&self, rel: &Path) -> Result<OwnedFd, NtStatus> {
        self.open_file(rel, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())
            .map_err(not_found_is_path)
    }

    fn open_openat2(
        &self,
        rel: &Path,
        comps: &[&OsStr],
        flags: OFlags,
        mode: Mode,
    ) -> Result<OwnedFd, NtStatus> {
        let path: &Path = if comps.is_empty() {
            Path::new(".")
        } else {
            rel
        };
        match self.openat2_beneath(path, flags, mode) {
            Ok(fd) => Ok(fd),
            Err(Errno::NOENT) if comps.len() > 1 => {
                // Tell a missing parent from a missing last component.
                let parent: PathBuf = comps[..comps.len() - 1].iter().collect();
                let pflags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
                match self.openat2_beneath(&parent, pflags, Mode::empty()) {
                    Ok(_) => Err(NtStatus::OBJECT_NAME_NOT_FOUND),
                    Err(Errno::NOENT | Errno::NOTDIR) => Err(NtStatus::OBJECT_PATH_NOT_FOUND),
                    Err(e) => Err(map_resolve_errno(e)),
                }
            }
            Err(e) => Err(map_resolve_errno(e)),
        }
    }

    /// One `openat2` beneath the root with the jail's resolve flags, retried on `EAGAIN`.
    fn openat2_beneath(
        &self,
        path: impl rustix::path::Arg + Copy,
        flags: OFlags,
        mode: Mode,
    ) -> Result<OwnedFd, Errno> {
        openat2_retrying(&self.fd, path, flags, mode, self.resolve_flags)
    }

    /// The fast path of an open: opens the existing file `rel` (an on-disk path relative to
    /// the root, `/`-separated, spelled exactly as on disk) for reading, and `fstat`s what
    /// was opened. Every component is checked with [`validate_name`] first, and the open
    /// goes through the jail like [`open_file`](Self::open_file) (a symlink is refused or
    /// followed inside, never out).
    ///
    /// `O_NONBLOCK` is added so that a FIFO met here (made locally, or swapped in for the
    /// name) cannot hang the caller; the caller refuses anything that is neither a regular
    /// file nor a directory by the returned stat, which describes the object opened. On a
    /// file system not known to ignore the flag on regular files (network, FUSE), it is
    /// cleared again on a regular file (one `fcntl`), since the descriptor serves reads.
    ///
    /// `Ok(None)` when the exact spelling does not open, whatever the reason (missing, in
    /// another case, a refused symlink, a permission): the caller then takes the slow path,
    /// [`resolve`](Self::resolve), which finds other spellings and reports the status.
    /// An empty `rel` (the root) is always `None`.
    pub fn open_exact(&self, rel: &str) -> Result<Option<(OwnedFd, Stat)>, NtStatus> {
        if rel.is_empty() {
            return Ok(None);
        }
        for c in rel.split('/') {
            validate_name(c)?;
        }
        let fd = if self.openat2 {
            self.openat2_beneath(rel, EXACT_FLAGS, Mode::empty()).ok()
        } else {
            let comps: Vec<&OsStr> = rel.split('/').map(OsStr::new).collect();
            self.open_walk(&comps, EXACT_FLAGS, Mode::empty()).ok()
        };
        self.exact_opened(fd)
    }

    /// [`open_exact`](Self::open_exact) of one `name` in the directory `dir` (a descriptor
    /// from this root): resolved beneath `dir`, so a followed symlink must stay inside
    /// it (one that leads elsewhere in the root is `None` here, and found by
    /// [`lookup_stat`](Self::lookup_stat) instead).
    pub fn open_exact_in(
        &self,
        dir: impl AsFd,
        name: &str,
    ) -> Result<Option<(OwnedFd, Stat)>, NtStatus> {
        validate_name(name)?;
        let dir = dir.as_fd();
        let fd = if self.openat2 {
            openat2_retrying(dir, name, EXACT_FLAGS, Mode::empty(), self.resolve_flags).ok()
        } else {
            rustix::fs::openat(dir, name, EXACT_FLAGS | OFlags::NOFOLLOW, Mode::empty()).ok()
        };
        self.exact_opened(fd)
    }

    /// The `fstat` of what an exact open opened, with `O_NONBLOCK` cleared where needed.
    fn exact_opened(&self, fd: Option<OwnedFd>) -> Result<Option<(OwnedFd, Stat)>, NtStatus> {
        let Some(fd) = fd else {
            return Ok(None);
        };
        let st = fstat(&fd)?;
        if !self.nonblock_ignored && st.file_type() == FileType::RegularFile {
            // This descriptor becomes the handle's: reads must not see O_NONBLOCK on a file
            // system that might honour it for regular files (network, FUSE).
            rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(map_errno)?;
        }
        Ok(Some((fd, st)))
    }

    /// The fallback: one `openat(O_NOFOLLOW)` per component, refusing every symlink.
    fn open_walk(&self, comps: &[&OsStr], flags: OFlags, mode: Mode) -> Result<OwnedFd, NtStatus> {
        let Some((last, parents)) = comps.split_last() else {
            return rustix::fs::openat(&self.fd, ".", flags, mode).map_err(map_errno);
        };
        let mut cur: Option<OwnedFd> = None;
        for comp in parents {
            let dir = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
            let next = rustix::fs::openat(
                dir,
                *comp,
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| match e {
                Errno::NOENT => NtStatus::OBJECT_PATH_NOT_FOUND,
                e => map_resolve_errno(e),
            })?;
            // Check what was opened, not the name: a swap after the open cannot matter.
            let st = fstat(&next)?;
            if st.is_symlink() {
                return Err(NtStatus::ACCESS_DENIED);
            }
            if !st.is_dir() {
                return Err(NtStatus::OBJECT_PATH_NOT_FOUND);
            }
            cur = Some(next);
        }
        let dir = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
        let fd = match rustix::fs::openat(dir, *last, flags | OFlags::NOFOLLOW, mode) {
            Ok(fd) => fd,
            // O_DIRECTORY | O_NOFOLLOW on a symlink is ENOTDIR: report the refused symlink.
            Err(Errno::NOTDIR) if statx_at(dir, *last).is_ok_and(|s| s.is_symlink()) => {
                return Err(NtStatus::ACCESS_DENIED);
            }
            Err(e) => return Err(map_resolve_errno(e)),
        };
        if flags.contains(OFlags::PATH) && !flags.contains(OFlags::NOFOLLOW) {
            // O_PATH | O_NOFOLLOW opens a symlink itself; the caller did not ask for that.
            if fstat(&fd)?.is_symlink() {
                return Err(NtStatus::ACCESS_DENIED);
            }
        }
        Ok(fd)
    }

    /// The on-disk name in the directory `dir` that matches `name` case-insensitively, or
    /// `None`. The exact spelling is tried first (one `statx`); then the directory's cached
    /// index of folded names. `dir` must come from this root.
    pub fn lookup(&self, dir: impl AsFd, name: &str) -> Result<Option<String>, NtStatus> {
        Ok(self.lookup_stat(dir.as_fd(), name)?.map(|(n, _)| n))
    }

    /// As [`lookup`](Self::lookup), with the found entry's stat (symlinks not followed).
    pub fn lookup_stat(
        &self,
        dir: impl AsFd,
        name: &str,
    ) -> Result<Option<(String, Stat)>, NtStatus> {
        let dir = dir.as_fd();
        self.lookup_stat_with(dir, name, || self.change_lock(dir))
    }

    /// As [`lookup_stat`](Self::lookup_stat) in a directory whose identity the caller
    /// already holds: `dev` and `ino` must be those of `dir`'s stat. The directory's change
    /// lock is then found without an `fstat` (one system call less per new name).
    pub fn lookup_stat_of(
        &self,
        dir: impl AsFd,
        dev: u64,
        ino: u64,
        name: &str,
    ) -> Result<Option<(String, Stat)>, NtStatus> {
        self.lookup_stat_with(dir.as_fd(), name, || Some(self.change_lock_of(dev, ino)))
    }

    /// [`lookup_stat`](Self::lookup_stat), the directory's change lock taken by `lock`.
    fn lookup_stat_with<'a>(
        &'a self,
        dir: BorrowedFd<'_>,
        name: &str,
        lock: impl FnOnce() -> Option<parking_lot::MutexGuard<'a, ()>>,
    ) -> Result<Option<(String, Stat)>, NtStatus> {
        validate_name(name)?;
        match statx_at(dir, name) {
            Ok(st) => return Ok(Some((name.to_owned(), st))),
            Err(Errno::NOENT) => {}
            Err(e) => return Err(map_errno(e)),
        }
        let folded = fold_name(name);
        let started = SystemTime::now();
        let clock = Instant::now();
        // Under the directory's change lock, so that no change of PVFS's own is half done
        // (made but not yet applied to the index), which would look like an external one.
        let (dir_stat, cached) = {
            let _serial = lock();
            let dir_stat = fstat(dir)?;
            let cached = self.index.get(&dir_stat, &folded);
            (dir_stat, cached)
        };
        let found = match cached {
            Cached::Known(found) => found,
            Cached::Unknown => {
                let mut names = Vec::new();
                for_each_entry(dir, |n, _, _| {
                    if let Ok(s) = std::str::from_utf8(n) {
                        names.push(s.to_owned());
                    }
                })?;
                let map = self.index.build(names.into_iter());
                let found = map.get(&folded).cloned();
                self.index.store(&dir_stat, started, clock.elapsed(), map);
                found
            }
        };
        let Some(on_disk) = found else {
            // No long name: perhaps a short one (only names of the hash form's shape).
            return self.lookup_short(dir, name);
        };
        if on_disk == name {
            // The exact name was just missing: the index is behind.
            self.index.invalidate(dir_stat.dev, dir_stat.ino);
            return Ok(None);
        }
        match statx_at(dir, &on_disk) {
            Ok(st) => Ok(Some((on_disk, st))),
            Err(Errno::NOENT) => {
                self.index.invalidate(dir_stat.dev, dir_stat.ino);
                Ok(None)
            }
            Err(e) => Err(map_errno(e)),
        }
    }

    /// The long name in the directory `dir` whose 8.3 short name is `name`, with its stat,
    /// or `None`; see [`short`](super::short) for how short names are computed. Only a name
    /// of the hash form's shape (`STEM~D.EXT`) is looked for, with one scan of the
    /// directory.
    fn lookup_short(
        &self,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<Option<(String, Stat)>, NtStatus> {
        let Some((key, digit)) = short::tilde_form(name) else {
            return Ok(None);
        };
        let group = self.short_group(dir, &key)?;
        let ranked = self.rank_members(dir, &group)?;
        let Some((_, long, st)) = short::assign_digits(ranked, group.taken)
            .into_iter()
            .find(|(d, _, _)| *d == digit)
        else {
            return Ok(None);
        };
        Ok(Some((long, st)))
    }

    /// The members of the short-name group `key` in the directory `dir` (one scan). Only
    /// the entries a listing shows count (files, directories, and entries of unknown
    /// type; not symlinks, which have no short name, nor names that are not UTF-8).
    pub fn short_group(&self, dir: impl AsFd, key: &short::GroupKey) -> Result<Group, NtStatus> {
        let mut group = Group::default();
        for_each_entry(dir, |n, kind, _| {
            let listed = matches!(kind, EntryType::File | EntryType::Dir | EntryType::Unknown);
            if let (true, Ok(n)) = (listed, std::str::from_utf8(n)) {
                group.add(key, n);
            }
        })?;
        Ok(group)
    }

    /// Each member of `group` with its rank, its name and its stat; a member gone meanwhile
    /// is left out.
    pub fn rank_members(
        &self,
        dir: impl AsFd,
        group: &Group,
    ) -> Result<Vec<(short::Rank, String, Stat)>, NtStatus> {
        let dir = dir.as_fd();
        let mut ranked = Vec::with_capacity(group.members.len());
        for m in &group.members {
            match statx_at(dir, m.as_str()) {
                Ok(st) => ranked.push((short_rank(&st), m.clone(), st)),
                Err(Errno::NOENT) => {}
                Err(e) => return Err(map_errno(e)),
            }
        }
        Ok(ranked)
    }

    /// The 8.3 short name of the entry `name` of the directory `dir`: itself in upper case
    /// when it fits 8.3, else its hash form with the digit its group gives it (one scan of
    /// the directory); empty when it has none (`.`, `..`, a tenth collision).
    pub fn short_name_of(&self, dir: impl AsFd, name: &str) -> Result<String, NtStatus> {
        let Some(key) = short::hash_key(name) else {
            return Ok(short::short_name_alone(name));
        };
        let dir = dir.as_fd();
        let group = self.short_group(dir, &key)?;
        if group.is_trivial() {
            return Ok(key.with_digit(1));
        }
        let ranked = self.rank_members(dir, &group)?;
        Ok(short::assign_digits(ranked, group.taken)
            .into_iter()
            .find(|(_, n, _)| n == name)
            .map(|(d, _, _)| key.with_digit(d))
            .unwrap_or_default())
    }

    /// Forgets the cached name index of the directory `dir` (the next case-insensitive miss
    /// in it rescans). The driver brackets its own changes with
    /// [`begin_change`](Self::begin_change) instead, which keeps the index.
    pub fn invalidate(&self, dir: impl AsFd) -> Result<(), NtStatus> {
        let st = fstat(dir)?;
        self.index.invalidate(st.dev, st.ino);
        Ok(())
    }

    /// Starts a change PVFS makes to the names in the directory `dir` (a create, a removal,
    /// either side of a rename or link): takes the directory's stat before the change. Pass
    /// the result to [`end_change`](Self::end_change) once the system call is done, with
    /// the names it added and removed (none if it failed), so that the cached name index is
    /// updated in place instead of rebuilt; see the [module docs](super) for what stays
    /// guaranteed when other processes change the directory at the same time.
    pub fn begin_change(&self, dir: impl AsFd) -> DirChange {
        DirChange {
            before: fstat(dir).ok(),
        }
    }

    /// Ends a change started with [`begin_change`](Self::begin_change) on the same `dir`:
    /// `edits` are the names the change added and removed there (empty when it failed).
    pub fn end_change(&self, dir: impl AsFd, change: DirChange, edits: &[NameEdit<'_>]) {
        let Some(before) = change.before else {
            return;
        };
        match fstat(dir) {
            Ok(after) => self.index.apply(&before, &after, edits),
            Err(_) => self.index.invalidate(before.dev, before.ino),
        }
    }

    /// The lock that serialises changes in the directory `dir` (none if it cannot be
    /// `fstat`ed, when nothing can be cached for it either).
    fn change_lock(&self, dir: BorrowedFd<'_>) -> Option<parking_lot::MutexGuard<'_, ()>> {
        let st = fstat(dir).ok()?;
        Some(self.change_lock_of(st.dev, st.ino))
    }

    /// The lock that serialises changes in the directory whose stat has `dev` and `ino`.
    fn change_lock_of(&self, dev: u64, ino: u64) -> parking_lot::MutexGuard<'_, ()> {
        let hash = ino ^ dev.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The remainder is below CHANGE_LOCKS, so it fits.
        self.change_locks[(hash % CHANGE_LOCKS as u64) as usize].lock()
    }

    /// Runs `change`, a system call that adds and removes names in the directory `dir`,
    /// between [`begin_change`](Self::begin_change) and [`end_change`](Self::end_change):
    /// `edits` are applied to the name index when it succeeds. Such changes in one
    /// directory are serialised, so concurrent creates keep the index (a change made with
    /// `begin_change` directly, e.g. a rename, is not, and may make a racing one drop it).
    /// `change` must not call back into this root's change functions.
    pub fn change_names<T>(
        &self,
        dir: impl AsFd,
        edits: &[NameEdit<'_>],
        change: impl FnOnce() -> Result<T, NtStatus>,
    ) -> Result<T, NtStatus> {
        let dir = dir.as_fd();
        let serial = self.change_lock(dir);
        self.change_names_locked(dir, serial, edits, change)
    }

    /// As [`change_names`](Self::change_names) in a directory whose identity the caller
    /// already holds: `dev` and `ino` must be those of `dir`'s stat (the change lock is
    /// then found without an `fstat`).
    pub fn change_names_of<T>(
        &self,
        dir: impl AsFd,
        dev: u64,
        ino: u64,
        edits: &[NameEdit<'_>],
        change: impl FnOnce() -> Result<T, NtStatus>,
    ) -> Result<T, NtStatus> {
        let serial = Some(self.change_lock_of(dev, ino));
        self.change_names_locked(dir.as_fd(), serial, edits, change)
    }

    /// The change of [`change_names`](Self::change_names), its lock (`_serial`) held.
    fn change_names_locked<T>(
        &self,
        dir: BorrowedFd<'_>,
        _serial: Option<parking_lot::MutexGuard<'_, ()>>,
        edits: &[NameEdit<'_>],
        change: impl FnOnce() -> Result<T, NtStatus>,
    ) -> Result<T, NtStatus> {
        let token = self.begin_change(dir);
        let result = change();
        let done: &[NameEdit<'_>] = if result.is_ok() { edits } else { &[] };
        self.end_change(dir, token, done);
        result
    }

    /// Resolves Windows path components case-insensitively. Every component is checked with
    /// [`validate_name`] before any system call. Every component but the last must exist and
    /// be a directory (`STATUS_OBJECT_PATH_NOT_FOUND` otherwise; `STATUS_ACCESS_DENIED` for a
    /// refused symlink). The last may be missing (`stat` is `None`, `name` the spelling
    /// asked for). No components resolve the root itself.
    pub fn resolve(&self, components: &[&str]) -> Result<Resolved, NtStatus> {
        self.find(components)?.into_resolved(self)
    }

    /// [`resolve`](Self::resolve) without the parent directory's descriptor when the walk
    /// did not need to open one: a name in the root is looked up through the root's own
    /// descriptor. The driver opens an existing file this way (it needs no parent), and
    /// turns the answer into a [`Resolved`] only to make a new name.
    pub fn find(&self, components: &[&str]) -> Result<Found, NtStatus> {
        for c in components {
            validate_name(c)?;
        }
        let Some((last, parents)) = components.split_last() else {
            return Ok(Found {
                parent: PathBuf::new(),
                parent_fd: None,
                name: String::new(),
                stat: Some(fstat(&self.fd)?),
            });
        };
        let (parent, cur) = self.walk_dirs(parents)?;
        let dir = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
        let (name, stat) = match self.lookup_stat(dir, last)? {
            Some((n, st)) => (n, Some(st)),
            None => ((*last).to_owned(), None),
        };
        Ok(Found {
            parent,
            parent_fd: cur,
            name,
            stat,
        })
    }

    /// Resolves the directory the Windows path `components` names, case-insensitively as
    /// [`resolve`](Self::resolve) resolves a parent: every component must exist and be a
    /// directory (`STATUS_OBJECT_PATH_NOT_FOUND` otherwise; `STATUS_ACCESS_DENIED` for a
    /// refused symlink). Gives its on-disk relative path and its `O_PATH` descriptor; no
    /// components are the root, whose descriptor is [`dir_fd`](Self::dir_fd).
    pub fn find_dir(&self, components: &[&str]) -> Result<(PathBuf, Option<OwnedFd>), NtStatus> {
        for c in components {
            validate_name(c)?;
        }
        self.walk_dirs(components)
    }

    /// The walk of [`find`](Self::find) and [`find_dir`](Self::find_dir) over checked
    /// directory components.
    fn walk_dirs(&self, components: &[&str]) -> Result<(PathBuf, Option<OwnedFd>), NtStatus> {
        let mut path = PathBuf::new();
        let mut cur: Option<OwnedFd> = None;
        for comp in components {
            let dir = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
            let Some((on_disk, _)) = self.lookup_stat(dir, comp)? else {
                return Err(NtStatus::OBJECT_PATH_NOT_FOUND);
            };
            path.push(&on_disk);
            cur = Some(self.open_dir(&path)?);
        }
        Ok((path, cur))
    }

    /// Acts as on a file system that may honour `O_NONBLOCK` on regular files.
    #[cfg(test)]
    pub(crate) fn assume_nonblock_honoured(&mut self) {
        self.nonblock_ignored = false;
    }

    /// Sets the shortest time before a suspect index entry is rescanned.
    #[cfg(test)]
    pub(crate) fn set_reverify_floor(&self, floor: std::time::Duration) {
        self.index.set_reverify_floor(floor);
    }

    #[cfg(test)]
    pub(crate) fn index_size(&self) -> (usize, usize) {
        self.index.size()
    }
}

/// How an exact open opens: for reading, never blocking on a FIFO, no controlling tty.
const EXACT_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOCTTY)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC);

/// One `openat2` beneath `dir` with `resolve`, retried on `EAGAIN` (a concurrent rename
/// seen while resolving).
fn openat2_retrying(
    dir: impl AsFd,
    path: impl rustix::path::Arg + Copy,
    flags: OFlags,
    mode: Mode,
    resolve: ResolveFlags,
) -> Result<OwnedFd, Errno> {
    let dir = dir.as_fd();
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(dir, path, flags, mode, resolve) {
            Err(Errno::AGAIN) if tries < EAGAIN_RETRIES => tries += 1,
            other => return other,
        }
    }
}

/// Where a file ranks in its short-name group: by birth time (last when unknown), then
/// inode number.
pub fn short_rank(st: &Stat) -> short::Rank {
    match st.btime {
        Some(b) => (b.secs, b.nanos, st.ino),
        None => (i64::MAX, u32::MAX, st.ino),
    }
}

fn not_found_is_path(s: NtStatus) -> NtStatus {
    if s == NtStatus::OBJECT_NAME_NOT_FOUND {
        NtStatus::OBJECT_PATH_NOT_FOUND
    } else {
        s
    }
}

/// Whether `openat2` works (`ENOSYS` on kernels before 5.6, `EPERM` under some seccomp
/// filters mean no).
fn probe_openat2(fd: &OwnedFd) -> Result<bool, NtStatus> {
    match rustix::fs::openat2(
        fd,
        ".",
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH,
    ) {
        Ok(_) => Ok(true),
        Err(Errno::NOSYS | Errno::PERM) => {
            tracing::info!("PVFS: openat2 unavailable, walking paths component by component");
            Ok(false)
        }
        Err(e) => Err(map_errno(e)),
    }
}

/// Whether the root's file system keeps extended attributes.
fn probe_xattrs(fd: &OwnedFd) -> bool {
    let Ok(dir) = rustix::fs::openat(
        fd,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return true;
    };
    let mut buf = [0u8; 64];
    !matches!(
        rustix::fs::fgetxattr(&dir, super::xattr::DOS_XATTR, &mut buf),
        Err(Errno::NOTSUP)
    )
}
