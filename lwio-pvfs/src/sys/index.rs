//! The per-directory cache of case-folded names.
//!
//! Each entry maps [`fold_name`](super::fold_name) of every UTF-8 name in one directory to its
//! on-disk spelling (when several names fold alike, the smallest in byte order wins, so the
//! answer does not depend on `readdir` order; the others are kept aside so that removing the
//! winner promotes the next one without a scan). Names that are not UTF-8 cannot be asked
//! for and are left out.
//!
//! # Validity
//!
//! An entry is keyed by the directory's (device, inode) and is valid while the directory's
//! mtime and ctime (nanoseconds) are the ones it recorded: those seen *before* its scan, or
//! after PVFS's own last change to the directory (below). Any change that moves either
//! time stamp away from the recorded pair drops the entry at the next lookup.
//!
//! Kernel time stamps come from a coarse clock (one tick is a few milliseconds), so a
//! change in the same tick as the recorded stamp does not move it. An entry is therefore
//! *suspect* when it was scanned less than [`RACY_WINDOW`] after the directory's mtime (2 s
//! when the file system keeps no nanoseconds), as git treats a "racily clean" index entry,
//! or when it was updated in place. A suspect entry is served, but the first lookup
//! [`reverify_after`] its last scan (at least [`RACY_WINDOW`]) rescans the directory, so such a lost change is found
//! again within a bounded time, while the rescans cost at most about one sixteenth of the
//! time (a large directory is not rescanned more often than sixteen scan durations).
//!
//! # PVFS's own changes
//!
//! PVFS creates, removes and renames names itself, and each such change moves the
//! directory's time stamps, so dropping the entry would make the next create in the same
//! directory rescan it: a bulk copy of N files into one directory would read O(N²) entries.
//! Instead the driver brackets each change with [`Root::begin_change`](super::Root) (a
//! `fstat` of the directory) and [`Root::end_change`](super::Root) (a second `fstat`, then
//! [`IndexCache::apply`]). Under the cache lock, the entry is updated in place and records
//! the after-stat only when the before-stat equals the recorded one: the entry described
//! the directory up to the moment just before the change. Otherwise (an external change
//! since the recorded stat, or a concurrent PVFS change that already moved the record) the
//! entry is dropped, as before. Edits are idempotent, so a scan that raced with the change
//! and already saw it does no harm.
//!
//! Concurrent PVFS changes in one directory cannot lose a name: each change's end either
//! applies it to an entry whose record is the state just before it, or drops the entry.
//! [`Root::change_names`](super::Root) also serialises them per directory, together with
//! the lookups' stat-and-get, so that racing creates (which the kernel serialises in one
//! directory anyway) neither drop the entry nor look like external changes to a lookup.
//!
//! What this does *not* guarantee: an external change (by a local process, not PVFS)
//! landing between a PVFS change's before-stat and its system call, or in the same clock
//! tick as the resulting time stamp, does not show in the stamps PVFS compares. Such a
//! change, e.g. an other-case name made locally, may be missed by lookups until the entry
//! is reverified (above), the directory's stamps move through a change PVFS did not make,
//! or the entry is evicted. Every other external change that moves the stamps away from the
//! recorded pair is seen by the next lookup, as before: a PVFS change after it finds a
//! before-stat that is not the recorded one and drops the entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;

use super::ops::{Stat, Timestamp};

/// How long after a directory change an index of it is still suspect.
pub(crate) const RACY_WINDOW: Duration = Duration::from_millis(50);

/// The same for file systems whose time stamps have whole seconds only (FAT keeps 2 s).
const COARSE_RACY_WINDOW: Duration = Duration::from_secs(2);

/// A suspect entry is rescanned at most once per this many scan durations.
const REVERIFY_COST_FACTOR: u32 = 16;

/// (device, inode).
type DirKey = (u64, u64);

/// The names of one directory by their folded form.
#[derive(Default)]
pub(crate) struct Names {
    /// The winning spelling (the smallest in byte order) of each folded name.
    winners: HashMap<String, String>,
    /// The other spellings of folded names that have several, unordered.
    others: HashMap<String, Vec<String>>,
    /// All spellings held.
    len: usize,
}

impl Names {
    /// Adds the spelling `name` (nothing if it is already held).
    pub(crate) fn insert(&mut self, name: &str) {
        let key = super::fold_name(name);
        let Some(winner) = self.winners.get_mut(&key) else {
            self.winners.insert(key, name.to_owned());
            self.len += 1;
            return;
        };
        if winner == name {
            return;
        }
        let others = self.others.entry(key).or_default();
        if others.iter().any(|o| o == name) {
            return;
        }
        self.len += 1;
        if name < winner.as_str() {
            others.push(std::mem::replace(winner, name.to_owned()));
        } else {
            others.push(name.to_owned());
        }
    }

    /// Removes the spelling `name` (nothing if it is not held); the smallest remaining
    /// spelling of its folded name becomes the winner.
    pub(crate) fn remove(&mut self, name: &str) {
        let key = super::fold_name(name);
        let Some(winner) = self.winners.get_mut(&key) else {
            return;
        };
        let others = self.others.get_mut(&key);
        if winner == name {
            let next = others.and_then(|o| {
                let i = (0..o.len()).min_by(|&a, &b| o[a].cmp(&o[b]))?;
                Some(o.swap_remove(i))
            });
            match next {
                Some(next) => *winner = next,
                None => {
                    self.winners.remove(&key);
                }
            }
        } else {
            let Some(o) = others else {
                return;
            };
            let Some(i) = o.iter().position(|s| s == name) else {
                return;
            };
            o.swap_remove(i);
        }
        self.len -= 1;
        if self.others.get(&key).is_some_and(Vec::is_empty) {
            self.others.remove(&key);
        }
    }

    /// The winning spelling of the folded name `folded`.
    pub(crate) fn get(&self, folded: &str) -> Option<&String> {
        self.winners.get(folded)
    }

    /// How many spellings are held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// One edit PVFS made to a directory's names.
#[derive(Clone, Copy, Debug)]
pub enum NameEdit<'a> {
    /// The name now exists.
    Added(&'a str),
    /// The name no longer exists.
    Removed(&'a str),
}

struct DirIndex {
    mtime: Timestamp,
    ctime: Timestamp,
    /// Built racily or updated in place: rescanned once [`reverify_after`] allows.
    suspect: bool,
    /// When the last scan started, and how long it took.
    scanned_at: Instant,
    scan_cost: Duration,
    names: Names,
    last_used: u64,
}

/// How long after a scan that took `cost` a suspect entry is rescanned (`floor` is
/// [`RACY_WINDOW`] but for tests).
pub(crate) fn reverify_after(floor: Duration, cost: Duration) -> Duration {
    floor.max(cost.saturating_mul(REVERIFY_COST_FACTOR))
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
    /// The shortest time before a suspect entry is rescanned ([`RACY_WINDOW`]).
    reverify_floor: Duration,
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
                reverify_floor: RACY_WINDOW,
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
        let floor = inner.reverify_floor;
        let stale = match inner.dirs.get_mut(&key) {
            Some(ix)
                if ix.mtime == dir.mtime
                    && ix.ctime == dir.ctime
                    && !(ix.suspect
                        && ix.scanned_at.elapsed() >= reverify_after(floor, ix.scan_cost)) =>
            {
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
    pub(crate) fn build(&self, names: impl Iterator<Item = String>) -> Names {
        self.scans.fetch_add(1, Ordering::Relaxed);
        let mut map = Names::default();
        for name in names {
            map.insert(&name);
        }
        map
    }

    /// Stores an index built by [`build`](Self::build), evicting the least recently used ones
    /// to stay within bounds. `before` is the directory's stat taken before the scan,
    /// `started` the time taken before that stat, and `cost` how long the scan took. An
    /// index larger than the name budget is not kept.
    pub(crate) fn store(&self, before: &Stat, started: SystemTime, cost: Duration, names: Names) {
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
        let scanned_at = Instant::now()
            .checked_sub(cost)
            .unwrap_or_else(Instant::now);
        inner.dirs.insert(
            key,
            DirIndex {
                mtime: before.mtime,
                ctime: before.ctime,
                suspect: !trusted,
                scanned_at,
                scan_cost: cost,
                names,
                last_used,
            },
        );
    }

    /// Applies PVFS's own `edits` to the index of the directory that had the stat `before`
    /// just before the change and `after` just after it. The entry is updated and records
    /// `after` only when it recorded `before`; otherwise (someone else changed the directory
    /// since it was built or updated) it is dropped. With no edits (a change that failed),
    /// an entry is kept only when the stamps did not move.
    pub(crate) fn apply(&self, before: &Stat, after: &Stat, edits: &[NameEdit<'_>]) {
        let key = (before.dev, before.ino);
        let mut inner = self.inner.lock();
        let Some(ix) = inner.dirs.get_mut(&key) else {
            return;
        };
        let unmoved = before.mtime == after.mtime && before.ctime == after.ctime;
        let ours = (before.dev, before.ino) == (after.dev, after.ino)
            && ix.mtime == before.mtime
            && ix.ctime == before.ctime
            && (!edits.is_empty() || unmoved);
        if !ours {
            inner.remove(key);
            return;
        }
        let held = ix.names.len();
        for edit in edits {
            match edit {
                NameEdit::Added(name) => ix.names.insert(name),
                NameEdit::Removed(name) => ix.names.remove(name),
            }
        }
        ix.mtime = after.mtime;
        ix.ctime = after.ctime;
        ix.suspect |= !edits.is_empty();
        let now = ix.names.len();
        inner.names = inner.names - held + now;
        if inner.names > self.max_names {
            inner.remove(key);
        }
    }

    /// Forgets the index of the directory (device, inode).
    pub(crate) fn invalidate(&self, dev: u64, ino: u64) {
        self.inner.lock().remove((dev, ino));
    }

    /// Sets the shortest time before a suspect entry is rescanned, for tests.
    #[cfg(test)]
    pub(crate) fn set_reverify_floor(&self, floor: Duration) {
        self.inner.lock().reverify_floor = floor;
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::Names;
    use crate::sys::fold_name;

    const SPELLINGS: [&str; 8] = ["a", "A", "ab", "AB", "aB", "Ab", "b", "ä"];

    proptest! {
        /// After any inserts and removes, each folded name answers the smallest spelling
        /// held, as a fresh scan would.
        #[test]
        fn names_match_a_model(ops in prop::collection::vec((any::<bool>(), 0..SPELLINGS.len()), 0..64)) {
            let mut names = Names::default();
            let mut model = BTreeSet::new();
            for (add, i) in ops {
                let s = SPELLINGS[i];
                if add {
                    names.insert(s);
                    model.insert(s);
                } else {
                    names.remove(s);
                    model.remove(s);
                }
                prop_assert_eq!(names.len(), model.len());
                for q in SPELLINGS {
                    let key = fold_name(q);
                    let want = model.iter().find(|m| fold_name(m) == key).copied();
                    prop_assert_eq!(names.get(&key).map(String::as_str), want);
                }
            }
        }
    }
}
