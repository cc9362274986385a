//! Creates that may make a name serialise per directory.
//!
//! Making a file is several system calls: the name appears (`O_CREAT | O_EXCL`, owner-only),
//! then its owner, mode, security descriptor, DOS attributes and EAs are written. A second
//! create of the same name in between would find the file half made and decide on it (a
//! descriptor derived from a bare mode, no attributes). So a create whose disposition may
//! make a file (OPEN_IF, CREATE, OVERWRITE_IF, SUPERSEDE) holds its directory's lock from
//! before it looks the name up until the file is finished; a second such create in that
//! directory waits, then finds the finished file. Creates in other directories do not wait.
//!
//! The lock is keyed by the directory's identity on disk (device and inode), taken after
//! the directory was opened and locked on that very object, so two spellings of one
//! directory, or a directory renamed meanwhile, still meet in one lock. Plain opens (OPEN,
//! OVERWRITE) make nothing and take no lock.

use std::collections::HashSet;

use parking_lot::{Condvar, Mutex};

use crate::fcb::FileKey;

/// The directories a create is making a name in now.
#[derive(Default)]
pub(crate) struct DirLocks {
    busy: Mutex<HashSet<FileKey, rustc_hash::FxBuildHasher>>,
    freed: Condvar,
}

/// Holds one directory's lock; dropping it lets the next create in.
pub(crate) struct DirGuard<'a> {
    locks: &'a DirLocks,
    key: FileKey,
}

impl DirLocks {
    /// Takes the lock of directory `key`, waiting while another create holds it;
    /// `on_wait` runs once (without any lock held) before such a wait.
    pub(crate) fn lock(&self, key: FileKey, on_wait: impl FnOnce()) -> DirGuard<'_> {
        let mut on_wait = Some(on_wait);
        let mut busy = self.busy.lock();
        while busy.contains(&key) {
            if let Some(announce) = on_wait.take() {
                drop(busy);
                announce();
                busy = self.busy.lock();
                continue;
            }
            self.freed.wait(&mut busy);
        }
        busy.insert(key);
        DirGuard { locks: self, key }
    }

    /// How many directories are locked now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.busy.lock().len()
    }
}

impl Drop for DirGuard<'_> {
    fn drop(&mut self) {
        self.locks.busy.lock().remove(&self.key);
        // Waiters of every directory share the condition; each checks its own key.
        self.locks.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn key(ino: u64) -> FileKey {
        FileKey { dev: 1, ino }
    }

    #[test]
    fn one_directory_waits_another_does_not() {
        let locks = DirLocks::default();
        let a = locks.lock(key(1), || panic!("free"));
        // Another directory: no wait.
        let b = locks.lock(key(2), || panic!("another directory is free"));
        assert_eq!(locks.held(), 2);
        let (waiting_tx, waiting) = channel();
        let (got_tx, got) = channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let g = locks.lock(key(1), || waiting_tx.send(()).unwrap());
                got_tx.send(()).unwrap();
                drop(g);
            });
            waiting.recv().unwrap();
            assert!(got.try_recv().is_err(), "taken while held");
            drop(a);
            got.recv().unwrap();
        });
        drop(b);
        assert_eq!(locks.held(), 0);
    }
}
