//! The per-directory cache of case-folded names.
//!
//! Each entry maps [`fold_name`](super::fold_name) of every UTF-8 name in one directory to its
//! on-disk spelling (when several names fold alike, the smallest in byte order wins, so the
//! answer does not depend on `readdir` order). Names that are not UTF-8 cannot be asked for
//! and are left out.
//!
//! An entry is keyed by the directory's (device, inode) and is valid while its mtime and
//! ctime (nanoseconds) are the ones seen *before* the scan. Kernel time stamps come from a
//! coarse clock, so a change in the same tick as the scan would not move them; an entry is
//! therefore only trusted when the scan started more than [`RACY_WINDOW`] after the
//! directory's mtime (2 s when the file system keeps no nanoseconds), and is rebuilt
//! otherwise, as git treats a "racily clean" index entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;

use super::ops::{Stat, Timestamp};

/// How long after a directory change an index of it is still suspect.
pub(crate) const RACY_WINDOW: Duration = Duration::from_millis(50);

/// The same for file systems whose time stamps have whole seconds only (FAT keeps 2 s).
const COARSE_RACY_WINDOW: Duration = Duration::from_secs(2);

/// (device, inode).
type DirKey = (u64, u64);

struct DirIndex {
    mtime: Timestamp,
    ctime: Timestamp,
    /// The index may be reused (not built racily).
    trusted: bool,
    names: HashMap<String, String>,
    last_used: u64,
}

/// An LRU of directory indexes, bounded in directories and in names.
pub(crate) struct IndexCache {
    inner: Mutex<Inner>,
    max_dirs: usize,
    max_names: usize,
    scans: AtomicU64,
}

struct Inner {
    dirs: HashMap<DirKey, DirIndex>,
    names: usize,
    tick: u64,
}

/// What the cache knows about one folded name.
pub(crate) enum Cached {
    /// The directory's index is valid; this is the on-disk name, if any.
    Known(Option<String>),
    /// No valid index: the caller must scan.
    Unknown,
}

fn to_system_time(t: Timestamp) -> SystemTime {
    let d = Duration::new(t.secs.unsigned_abs(), t.nanos);
    if t.secs >= 0 {
        SystemTime::UNIX_EPOCH + d
    } else {
        SystemTime::UNIX_EPOCH - d
    }
}

impl IndexCache {
    pub(crate) fn new(max_dirs: usize, max_names: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                dirs: HashMap::new(),
                names: 0,
                tick: 0,
            }),
            max_dirs,
            max_names,
            scans: AtomicU64::new(0),
        }
    }

    /// How many directory scans were made to build indexes.
    pub(crate) fn scans(&self) -> u64 {
        self.scans.load(Ordering::Relaxed)
    }

    /// Looks `folded` up in the index of the directory whose current stat is `dir`.
    pub(crate) fn get(&self, dir: &Stat, folded: &str) -> Cached {
        let mut inner = self.inner.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let key = (dir.dev, dir.ino);
        let stale = match inner.dirs.get_mut(&key) {
            Some(ix) if ix.trusted && ix.mtime == dir.mtime && ix.ctime == dir.ctime => {
                ix.last_used = tick;
                return Cached::Known(ix.names.get(folded).cloned());
            }
            Some(_) => true,
            None => false,
        };
        if stale {
            inner.remove(key);
        }
        Cached::Unknown
    }

    /// Builds the index of a directory from its UTF-8 names (counted as one scan).
    pub(crate) fn build(&self, names: impl Iterator<Item = String>) -> HashMap<String, String> {
        self.scans.fetch_add(1, Ordering::Relaxed);
        let mut map: HashMap<String, String> = HashMap::new();
        for name in names {
            let key = super::fold_name(&name);
            match map.get_mut(&key) {
                Some(old) if *old <= name => {}
                Some(old) => *old = name,
                None => {
                    map.insert(key, name);
                }
            }
        }
        map
    }

    /// Stores an index built by [`build`](Self::build), evicting the least recently used ones
    /// to stay within bounds. `before` is the directory's stat taken before the scan and
    /// `started` the time taken before that stat. An index larger than the name budget is
    /// not kept.
    pub(crate) fn store(&self, before: &Stat, started: SystemTime, names: HashMap<String, String>) {
        if names.len() > self.max_names || self.max_dirs == 0 {
            return;
        }
        let window = if before.mtime.nanos == 0 {
            COARSE_RACY_WINDOW
        } else {
            RACY_WINDOW
        };
        let trusted = to_system_time(before.mtime)
            .checked_add(window)
            .is_some_and(|limit| limit < started);
        let mut inner = self.inner.lock();
        inner.tick += 1;
        let key = (before.dev, before.ino);
        inner.remove(key);
        while !inner.dirs.is_empty()
            && (inner.dirs.len() >= self.max_dirs || inner.names + names.len() > self.max_names)
        {
            let oldest = inner
                .dirs
                .iter()
                .min_by_key(|(_, ix)| ix.last_used)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => inner.remove(k),
                None => break,
            }
        }
        inner.names += names.len();
        let last_used = inner.tick;
        inner.dirs.insert(
            key,
            DirIndex {
                mtime: before.mtime,
                ctime: before.ctime,
                trusted,
                names,
                last_used,
            },
        );
    }

    /// Forgets the index of the directory (device, inode).
    pub(crate) fn invalidate(&self, dev: u64, ino: u64) {
        self.inner.lock().remove((dev, ino));
    }

    /// Directories and names held, for tests.
    #[cfg(test)]
    pub(crate) fn size(&self) -> (usize, usize) {
        let inner = self.inner.lock();
        (inner.dirs.len(), inner.names)
    }
}

impl Inner {
    fn remove(&mut self, key: DirKey) {
        if let Some(ix) = self.dirs.remove(&key) {
            self.names -= ix.names.len();
        }
    }
}
