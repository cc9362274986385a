//! The on-disk stream store: one hidden directory per volume, one directory per file
//! that has streams, one regular file per stream (see the layout in [`crate::streams`]).
//!
//! Every path here is built by PVFS from a [`FileId`] and a checked stream name, never
//! taken from a peer, and opened through the root's jail ([`crate::sys::Root`]): beneath
//! the share root, no symlink followed. The store's own directory must be a directory
//! this process owns with no access for others; anything else there (a local user's
//! planted directory or link) is refused with STATUS_ACCESS_DENIED.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use lwio_core::NtStatus;
use rustix::fs::{Mode, OFlags};

use super::FileId;
use crate::sys::{self, EntryType, Root, Stat};

/// The store's directory in the share root. The `:` keeps it out of reach of every path a
/// client can send (no Windows file name holds one), and directory listings leave it out.
pub(crate) const STORE_DIR: &str = ".lwio:streams";

/// The first character of a stream's file in a file's directory; anything else there is
/// no stream (a temporary name left by a crash).
const STREAM_PREFIX: char = '_';

/// The first character of the temporary names new directories and streams are made under
/// before they are renamed into place.
const TEMP_PREFIX: char = '~';

/// The on-disk name of the stream `name`: its name as given, after [`STREAM_PREFIX`].
/// A name longer than a Linux name can be (255 bytes in all) is STATUS_OBJECT_NAME_INVALID.
pub(crate) fn disk_name(name: &str) -> Result<String, NtStatus> {
    let disk = format!("{STREAM_PREFIX}{name}");
    sys::validate_name(&disk)?;
    Ok(disk)
}

/// The stream a name in a file's directory holds, if it is one.
fn stream_of(disk: &str) -> Option<&str> {
    disk.strip_prefix(STREAM_PREFIX).filter(|s| !s.is_empty())
}

/// A temporary name no other thread or process uses.
fn temp_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{TEMP_PREFIX}{}-{n}", std::process::id())
}

fn file_dir_path(id: &FileId) -> String {
    format!("{STORE_DIR}/{}", id.dir_name())
}

/// Opens the store's directory (`O_PATH`), making it when `make` is set and it is missing;
/// `None` when it is missing and not made.
fn store_dir(root: &Root, make: bool) -> Result<Option<OwnedFd>, NtStatus> {
    let fd = match root.open_dir(Path::new(STORE_DIR)) {
        Ok(fd) => fd,
        Err(NtStatus::OBJECT_NAME_NOT_FOUND | NtStatus::OBJECT_PATH_NOT_FOUND) if make => {
            match sys::mkdir_at(root.dir_fd(), STORE_DIR, Mode::from_raw_mode(0o700)) {
                Ok(()) | Err(NtStatus::OBJECT_NAME_COLLISION) => {}
                Err(status) => return Err(status),
            }
            root.open_dir(Path::new(STORE_DIR))?
        }
        Err(NtStatus::OBJECT_NAME_NOT_FOUND | NtStatus::OBJECT_PATH_NOT_FOUND) => return Ok(None),
        Err(status) => return Err(status),
    };
    let st = sys::fstat(&fd)?;
    if st.uid != rustix::process::geteuid().as_raw() || st.mode & 0o077 != 0 {
        tracing::warn!(
            "PVFS: the stream store {STORE_DIR} is not this process's own owner-only \
             directory; streams are refused"
        );
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(Some(fd))
}

/// Opens the directory of `id`'s streams (`O_PATH`); `None` when the file has none. The
/// store is checked first ([`store_dir`]): a store others could enter is refused.
pub(crate) fn file_dir(root: &Root, id: &FileId) -> Result<Option<OwnedFd>, NtStatus> {
    if store_dir(root, false)?.is_none() {
        return Ok(None);
    }
    match root.open_dir(Path::new(&file_dir_path(id))) {
        Ok(fd) => Ok(Some(fd)),
        Err(NtStatus::OBJECT_NAME_NOT_FOUND | NtStatus::OBJECT_PATH_NOT_FOUND) => Ok(None),
        Err(status) => Err(status),
    }
}

/// Opens the directory of `id`'s streams, making it (owner-only, owned by `owner`) if it
/// is missing: made under a temporary name, then renamed into place, so it is never seen
/// half made; a concurrent maker's directory wins.
fn make_file_dir(root: &Root, id: &FileId, owner: (u32, u32)) -> Result<OwnedFd, NtStatus> {
    if let Some(fd) = file_dir(root, id)? {
        return Ok(fd);
    }
    let store = store_dir(root, true)?.ok_or(NtStatus::INTERNAL_ERROR)?;
    let temp = temp_name();
    sys::mkdir_at(&store, &temp, Mode::from_raw_mode(0o700))?;
    let made = rustix::fs::openat(
        &store,
        temp.as_str(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(sys::map_errno)
    .and_then(|fd| sys::set_owner(&fd, owner.0, owner.1))
    .and_then(|_| sys::rename_at(&store, &temp, &store, &id.dir_name(), false));
    match made {
        Ok(()) => {}
        Err(NtStatus::OBJECT_NAME_COLLISION) => {
            let _ = sys::unlink_at(&store, &temp, true);
        }
        Err(status) => {
            let _ = sys::unlink_at(&store, &temp, true);
            return Err(status);
        }
    }
    file_dir(root, id)?.ok_or(NtStatus::OBJECT_NAME_NOT_FOUND)
}

/// The streams of `id` (names as stored, with their stats), in the order of the
/// directory; temporary names and anything not a regular file are left out.
pub(crate) fn list(root: &Root, id: &FileId) -> Result<Vec<(String, Stat)>, NtStatus> {
    let Some(dir) = file_dir(root, id)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in sys::read_dir(&dir)? {
        let Ok(disk) = entry.name.into_string() else {
            continue;
        };
        let Some(name) = stream_of(&disk) else {
            continue;
        };
        if !matches!(entry.kind, EntryType::File | EntryType::Unknown) {
            continue;
        }
        if let Some(st) = sys::stat_at(&dir, &disk)? {
            if st.file_type().is_file() {
                out.push((name.to_owned(), st));
            }
        }
    }
    Ok(out)
}

/// The stream of `id` named `name` case-insensitively: its name as stored.
pub(crate) fn find(root: &Root, id: &FileId, name: &str) -> Result<Option<String>, NtStatus> {
    let Some(dir) = file_dir(root, id)? else {
        return Ok(None);
    };
    // The spelling asked for first: one `statx`, no listing.
    let exact = disk_name(name)?;
    if sys::stat_at(&dir, &exact)?.is_some_and(|st| st.file_type().is_file()) {
        return Ok(Some(name.to_owned()));
    }
    let folded = sys::fold_name(name);
    Ok(list(root, id)?
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| sys::fold_name(n) == folded))
}

/// Opens the stream `stored` (a name [`find`] gave) of `id` for reading, or reading and
/// writing. What is not a regular file is STATUS_ACCESS_DENIED.
pub(crate) fn open(
    root: &Root,
    id: &FileId,
    stored: &str,
    write: bool,
) -> Result<OwnedFd, NtStatus> {
    let rel = format!("{}/{}", file_dir_path(id), disk_name(stored)?);
    let flags = if write { OFlags::RDWR } else { OFlags::RDONLY };
    let fd = root.open_file(
        Path::new(&rel),
        flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    if !sys::fstat(&fd)?.file_type().is_file() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    // Regular files ignore O_NONBLOCK; cleared anyway so nothing depends on it.
    rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(sys::map_errno)?;
    Ok(fd)
}

/// Makes the empty stream `name` of `id`, owner-only and owned by `owner` (the file's
/// Unix owner), and opens it for reading and writing. It is made under a temporary name
/// and renamed into place: a crash never leaves a stream that was not finished. An
/// existing stream of that name (exact spelling) is STATUS_OBJECT_NAME_COLLISION.
pub(crate) fn create(
    root: &Root,
    id: &FileId,
    owner: (u32, u32),
    name: &str,
) -> Result<OwnedFd, NtStatus> {
    let disk = disk_name(name)?;
    let dir = make_file_dir(root, id, owner)?;
    let temp = temp_name();
    let fd = sys::create_file_at(&dir, &temp, OFlags::RDWR, Mode::from_raw_mode(0o600))?;
    let placed = sys::set_owner(&fd, owner.0, owner.1)
        .and_then(|_| sys::rename_at(&dir, &temp, &dir, &disk, false));
    if let Err(status) = placed {
        let _ = sys::unlink_at(&dir, &temp, false);
        return Err(status);
    }
    Ok(fd)
}

/// Removes the stream `stored` of `id`, and the file's directory when it was the last.
pub(crate) fn remove(root: &Root, id: &FileId, stored: &str) -> Result<(), NtStatus> {
    let Some(dir) = file_dir(root, id)? else {
        return Ok(());
    };
    match sys::unlink_at(&dir, &disk_name(stored)?, false) {
        Ok(()) | Err(NtStatus::OBJECT_NAME_NOT_FOUND) => {}
        Err(status) => return Err(status),
    }
    if sys::read_dir(&dir)?.is_empty() {
        if let Some(store) = store_dir(root, false)? {
            // Another stream made meanwhile keeps it (ENOTEMPTY): no harm.
            let _ = sys::unlink_at(&store, &id.dir_name(), true);
        }
    }
    Ok(())
}

/// Renames the stream `from` of `id` to `to` (both as stored; a case-only change
/// included). With `replace` an existing `to` is replaced, else it is
/// STATUS_OBJECT_NAME_COLLISION.
pub(crate) fn rename(
    root: &Root,
    id: &FileId,
    from: &str,
    to: &str,
    replace: bool,
) -> Result<(), NtStatus> {
    let dir = file_dir(root, id)?.ok_or(NtStatus::OBJECT_NAME_NOT_FOUND)?;
    sys::rename_at(&dir, &disk_name(from)?, &dir, &disk_name(to)?, replace)
}

/// Removes every stream of `id` and its directory (the file is gone), leftovers of a
/// crash included.
pub(crate) fn remove_all(root: &Root, id: &FileId) -> Result<(), NtStatus> {
    let Some(dir) = file_dir(root, id)? else {
        return Ok(());
    };
    for entry in sys::read_dir(&dir)? {
        let Ok(name) = entry.name.into_string() else {
            continue;
        };
        let is_dir = entry.kind == EntryType::Dir;
        match sys::unlink_at(&dir, &name, is_dir) {
            Ok(()) | Err(NtStatus::OBJECT_NAME_NOT_FOUND) => {}
            Err(status) => return Err(status),
        }
    }
    if let Some(store) = store_dir(root, false)? {
        sys::unlink_at(&store, &id.dir_name(), true)?;
    }
    Ok(())
}
