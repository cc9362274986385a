//! The tunnel cache, for short names (MS-FSA 2.1.1.2, TunnelCacheEntry).
//!
//! A program unaware of long names saves a file "safely": it deletes (or renames away)
//! `FILEWI~1.TXT` and creates `FILEWI~1.TXT` again. Windows gives the new file the long
//! name the old one had, if the create follows within 15 seconds: when a name leaves a
//! directory, its long and short names are remembered for a while, keyed by the directory,
//! and a create by that short name restores the long name. smbtorture's `smb2.mangle`
//! depends on it (it deletes a file by its short name, creates that short name and then
//! deletes the long name).
//!
//! PVFS computes short names ([`crate::sys::short`]), so an entry keeps what is needed to
//! compute the short name the file had: the long name and its rank in its short-name group.
//! A create of (or a rename to) a name of the hash form's shape that matches no name in
//! the directory puts the remembered names of its group back beside the group's present
//! members, gives out the digits again, and takes the long name that gets the digit asked
//! for (one directory scan, only when an entry of that group is remembered for the
//! directory).
//!
//! What is tunnelled: delete or rename away, then a create of the short name or a rename
//! to it. Not done: restoring the creation time and object id (MS-FSA lets an object store
//! tunnel them too), and keying by the long name (a create of the long name gets the short
//! name its group gives it anyway).
//!
//! The cache is bounded: at most [`MAX_ENTRIES`] entries, each at most [`MAX_AGE`] old;
//! the oldest go first.

use std::collections::VecDeque;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use lwio_core::NtStatus;
use parking_lot::Mutex;

use crate::fcb::FileKey;
use crate::sys::short::{self, GroupKey, Rank};
use crate::sys::{Root, Stat, short_rank};

/// How long a removed name is remembered (Windows' default, MS-FSA 2.1.1.2).
pub(crate) const MAX_AGE: Duration = Duration::from_secs(15);

/// The most names remembered, all directories together.
pub(crate) const MAX_ENTRIES: usize = 1024;

/// One removed name.
struct Entry {
    dir: FileKey,
    key: GroupKey,
    name: String,
    rank: Rank,
    at: Instant,
}

/// Names removed lately, per directory.
#[derive(Default)]
pub(crate) struct Tunnel {
    entries: Mutex<VecDeque<Entry>>,
}

impl Tunnel {
    /// Remembers that `name` (whose stat was `st`) left the directory `dir`. A name that
    /// fits 8.3 is its own short name and is not remembered.
    pub(crate) fn removed(&self, dir: FileKey, name: &str, st: &Stat) {
        let Some(key) = short::hash_key(name) else {
            return;
        };
        let mut entries = self.entries.lock();
        expire(&mut entries, Instant::now());
        if entries.len() >= MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(Entry {
            dir,
            key,
            name: name.to_owned(),
            rank: short_rank(st),
            at: Instant::now(),
        });
    }

    /// Forgets the names removed from the directory `dir` (it is gone).
    pub(crate) fn forget_dir(&self, dir: FileKey) {
        self.entries.lock().retain(|e| e.dir != dir);
    }

    /// The long name to give a new file that a create names `asked` in the directory `dir`
    /// (open as `dir_fd`), where `asked` matched no long or short name: the long name of a
    /// file lately removed from `dir` whose short name was `asked`, if any. The entry is
    /// used up. The caller checks that the long name is still free.
    pub(crate) fn restore(
        &self,
        root: &Root,
        dir_fd: BorrowedFd<'_>,
        dir: FileKey,
        asked: &str,
    ) -> Result<Option<String>, NtStatus> {
        let Some((key, digit)) = short::tilde_form(asked) else {
            return Ok(None);
        };
        let remembered: Vec<(Rank, String)> = {
            let mut entries = self.entries.lock();
            expire(&mut entries, Instant::now());
            entries
                .iter()
                .filter(|e| e.dir == dir && e.key == key)
                .map(|e| (e.rank, e.name.clone()))
                .collect()
        };
        if remembered.is_empty() {
            return Ok(None);
        }
        let group = root.short_group(dir_fd, &key)?;
        let present = root.rank_members(dir_fd, &group)?;
        let mut ranked: Vec<(Rank, String, bool)> = present
            .into_iter()
            .map(|(rank, name, _)| (rank, name, false))
            .collect();
        ranked.extend(
            remembered
                .into_iter()
                .map(|(rank, name)| (rank, name, true)),
        );
        let winner = short::assign_digits(ranked, group.taken)
            .into_iter()
            .find(|(d, _, _)| *d == digit);
        let Some((_, name, true)) = winner else {
            return Ok(None);
        };
        self.entries
            .lock()
            .retain(|e| !(e.dir == dir && e.name == name));
        Ok(Some(name))
    }

    /// How many names are remembered now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().len()
    }
}

/// Drops the entries older than [`MAX_AGE`] (the oldest are at the front).
fn expire(entries: &mut VecDeque<Entry>, now: Instant) {
    while entries
        .front()
        .is_some_and(|e| now.duration_since(e.at) > MAX_AGE)
    {
        entries.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(ino: u64) -> Stat {
        Stat {
            ino,
            dev: 1,
            size: 0,
            blocks: 0,
            nlink: 1,
            mode: 0o100_600,
            uid: 0,
            gid: 0,
            atime: Default::default(),
            mtime: Default::default(),
            ctime: Default::default(),
            btime: None,
        }
    }

    #[test]
    fn bounded_and_only_long_names() {
        let t = Tunnel::default();
        let dir = FileKey { dev: 1, ino: 2 };
        t.removed(dir, "SHORT.TXT", &stat(3));
        assert_eq!(t.len(), 0);
        for i in 0..(MAX_ENTRIES as u64 + 10) {
            t.removed(dir, &format!("a long name {i}.txt"), &stat(i));
        }
        assert_eq!(t.len(), MAX_ENTRIES);
        t.forget_dir(dir);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn entries_expire_after_max_age() {
        let t = Tunnel::default();
        let dir = FileKey { dev: 1, ino: 2 };
        t.removed(dir, "an old long name.txt", &stat(3));
        t.removed(dir, "a new long name.txt", &stat(4));
        let now = Instant::now();
        {
            let mut entries = t.entries.lock();
            entries[0].at = now.checked_sub(MAX_AGE * 2).unwrap_or(now);
            expire(&mut entries, now);
        }
        let names: Vec<String> = t.entries.lock().iter().map(|e| e.name.clone()).collect();
        assert_eq!(names, vec!["a new long name.txt".to_owned()]);
    }
}
