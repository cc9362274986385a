//! Context control blocks: PVFS's per-handle state, and what closing a handle does.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lwio_core::{AccessMask, CreateOptions, NtStatus};
use parking_lot::Mutex;

use crate::Volume;
use crate::dir::DirScan;
use crate::facts::{Facts, allocation_size};
use crate::fcb::Fcb;
use crate::notify::Change;
use crate::path;
use crate::sys;
use lwio_core::irp::NotifyFilter;
use lwio_fscc::NotifyAction;

/// One open handle of PVFS.
pub struct Ccb {
    pub(crate) id: u64,
    pub(crate) fcb: Arc<Fcb>,
    /// The file (for a stream handle: the file the stream belongs to, whose attributes,
    /// times, EAs and security descriptor the stream shares). Read-only or read-write for
    /// files, read-only for directories and under stream handles; never `O_PATH`.
    pub(crate) fd: OwnedFd,
    /// A named stream's data ([`crate::streams`]), read-only or read-write; `None` for a
    /// handle of the file itself.
    pub(crate) stream: Option<OwnedFd>,
    pub(crate) granted: AccessMask,
    pub(crate) token: std::sync::Arc<lwio_core::AccessToken>,
    pub(crate) options: Mutex<CreateOptions>,
    pub(crate) position: AtomicU64,
    pub(crate) scan: Mutex<Option<DirScan>>,
    /// Data was written through this handle: its close reports a change.
    pub(crate) written: std::sync::atomic::AtomicBool,
    /// Set on the directory an open-target-directory create opened for a rename or link.
    pub(crate) target: Option<crate::target::TargetDir>,
}

impl Ccb {
    /// True for a directory handle.
    pub fn is_dir(&self) -> bool {
        self.fcb.is_dir
    }

    /// The share-relative path the file has now (a stream's file's, for a stream handle).
    pub fn path(&self) -> String {
        self.fcb.file_fcb().state.lock().path.clone()
    }

    /// The name of the stream the handle holds, as stored; `None` for the file itself.
    pub fn stream_name(&self) -> Option<String> {
        self.stream
            .as_ref()
            .map(|_| self.fcb.state.lock().stream_name.clone())
    }

    /// The descriptor reads, writes and sizes go through: the stream's data, or the file.
    pub(crate) fn data(&self) -> BorrowedFd<'_> {
        self.stream.as_ref().unwrap_or(&self.fd).as_fd()
    }

    /// The access the handle was granted.
    pub fn granted_access(&self) -> AccessMask {
        self.granted
    }

    /// The parent oplock key the handle's create named (MS-FSA Open.ParentOplockKey):
    /// changes through it do not break the directory lease of that key. `None` once the
    /// handle left its file's opens (after its cleanup).
    pub(crate) fn parent_key(&self) -> Option<crate::lease::Key> {
        crate::lease::parent_key_of(&self.fcb, self.id)
    }

    pub(crate) fn set_position(&self, position: u64) {
        self.position.store(position, Ordering::Relaxed);
    }

    /// The file's NTFS facts now.
    pub(crate) fn facts(&self, volume: &Volume) -> Result<Facts, NtStatus> {
        let st = sys::fstat(&self.fd)?;
        let dos = self.dos(volume)?;
        let mut facts = facts_of(&st, &dos);
        if let Some(data) = &self.stream {
            // A stream has its own sizes; the rest is its file's (MS-FSA 2.1.1.3).
            let data = sys::fstat(data)?;
            facts.is_dir = false;
            facts.size = data.size;
            facts.allocation = allocation_size(data.size);
        }
        with_open_state(&mut facts, &self.fcb.state.lock());
        Ok(facts)
    }

    /// The file's DOS information, from the file FCB's cache or the xattr.
    pub(crate) fn dos(&self, volume: &Volume) -> Result<sys::DosInfo, NtStatus> {
        let file = self.fcb.file_fcb();
        if let Some(dos) = file.state.lock().dos {
            return Ok(dos);
        }
        let path = self.path();
        let (_, name) = path::split_last(&path);
        let dos = volume.root.read_dos(&self.fd, name)?.info;
        file.state.lock().dos = Some(dos);
        Ok(dos)
    }

    /// Writes the file's DOS information and keeps the file FCB's cache in step.
    pub(crate) fn store_dos(&self, volume: &Volume, dos: sys::DosInfo) -> Result<(), NtStatus> {
        volume.root.write_dos(&self.fd, &dos)?;
        self.fcb.file_fcb().state.lock().dos = Some(dos);
        Ok(())
    }

    /// Seeds the file FCB's cache with what an open just read, unless it holds something.
    pub(crate) fn seed_dos(&self, dos: sys::DosInfo) {
        self.fcb.file_fcb().state.lock().dos.get_or_insert(dos);
    }

    /// Cleanup (the handle's last reference from its caller went away): releases what the
    /// handle holds against other opens: its locks (waking waiters they blocked), its
    /// change-notify requests (STATUS_NOTIFY_CLEANUP), its place among the file's opens, and,
    /// on the last cleanup of a file with a pending delete, the file itself.
    pub(crate) fn cleanup(&self, volume: &Volume) {
        let released = {
            let mut state = self.fcb.state.lock();
            (!state.locks.is_empty()).then(|| state.locks.release_owner(self.id))
        };
        if let Some((granted, cancelled)) = released {
            for irp in granted {
                irp.complete(NtStatus::SUCCESS);
            }
            for irp in cancelled {
                irp.complete(NtStatus::CANCELLED);
            }
        }
        volume.notify.cleanup(self.id);
        // Read while the handle is still among the file's opens: its changes below (the
        // write time, a delete on close) are its own client's, as its other changes are.
        let (key, parent_key) = {
            let st = self.fcb.state.lock();
            let record = st.opens.iter().find(|o| o.ccb_id == self.id);
            (
                record.map(crate::lease::key_of),
                record.and_then(|r| r.parent_key),
            )
        };
        if self.written.load(Ordering::Relaxed) {
            // Data written through this handle after the last write time was updated: its
            // cleanup sets the time to now (`crate::rw::WriteTime`).
            let now = self.fcb.state.lock().write_time.closed_after_write();
            crate::rw::persist(self.data(), now);
            let path = self.path();
            let change = Change::new(
                &path,
                NotifyAction::MODIFIED,
                NotifyFilter::SIZE | NotifyFilter::LAST_WRITE,
            );
            volume.notify.report(&[change], parent_key);
        }
        let last = volume.fcbs.close(&self.fcb, self.id);
        // Only once its share modes are gone, and its delete-on-close done: an open waiting
        // for this handle's oplock break goes on when it is released, and must meet neither
        // (it finds the file deleted and starts over: `crate::create`).
        let release = || {
            if let Some(key) = key {
                crate::oplock::release(&self.fcb, self.id, key);
            }
        };
        let Some(last) = last else {
            release();
            // Others still hold the file: a directory that is now delete-pending ends the
            // notifications waiting on it (MS-FSA 2.1.5.4; smbtorture's
            // `smb2.notify.rmdir1`-`rmdir4`).
            if self.fcb.state.lock().delete_pending {
                volume.notify.delete_pending(&self.fcb);
            }
            return;
        };
        if let Some(stream) = &last.delete_stream {
            let removed = sys::fstat(&self.fd).and_then(|st| {
                let id = crate::streams::FileId::of(&st);
                crate::streams::store::remove(&volume.root, &id, stream)
            });
            if let Err(status) = removed {
                tracing::warn!(%stream, %status, "delete of a stream on close failed");
            }
        }
        if last.delete {
            let (parent, name) = path::split_last(&last.path);
            // The name is looked up again, so it must still be this file: a name swapped
            // in meanwhile (by a local process) is left alone.
            let key = self.fcb.key;
            let edits = [sys::NameEdit::Removed(name)];
            let unlink = |dir: BorrowedFd<'_>| {
                let st = match sys::stat_at(dir, name)? {
                    Some(st) if (st.dev, st.ino) == (key.dev, key.ino) => st,
                    _ => return Err(NtStatus::FILE_RENAMED),
                };
                sys::unlink_at(dir, name, last.is_dir).map(|()| st)
            };
            // The file's stat before it went, and its directory's identity when known (the
            // delete is done whether or not the directory can be told).
            let removed = if parent.is_empty() {
                // A name in the share root: the root's own descriptor and identity serve
                // (no open of the directory, no fstat to find its change lock).
                let (dir, root) = (volume.root.dir_fd(), volume.root_key);
                volume
                    .root
                    .change_names_of(dir, root.dev, root.ino, &edits, || unlink(dir))
                    .map(|st| (st, Some(root)))
            } else {
                volume.root.open_dir(Path::new(parent)).and_then(|dir| {
                    let st = volume
                        .root
                        .change_names(&dir, &edits, || unlink(dir.as_fd()))?;
                    let dir_key = sys::fstat(&dir).ok().map(|dir_st| crate::fcb::FileKey {
                        dev: dir_st.dev,
                        ino: dir_st.ino,
                    });
                    Ok((st, dir_key))
                })
            };
            // Remembered for a create by its short name (`crate::tunnel`).
            let removed = removed.map(|(st, dir_key)| {
                if let Some(dir_key) = dir_key {
                    volume.tunnel.removed(dir_key, name, &st);
                }
                if last.is_dir {
                    volume.tunnel.forget_dir(key);
                }
            });
            match removed {
                Ok(()) => {
                    // The file's last name gone, its streams go with it.
                    crate::streams::file_gone(volume, &self.fd);
                    volume.notify.report(
                        &[Change::name(&last.path, NotifyAction::REMOVED, last.is_dir)],
                        parent_key,
                    )
                }
                Err(status) => {
                    tracing::warn!(path = %last.path, %status, "delete on close failed");
                }
            }
        }
        release();
    }
}

/// What an open file keeps beyond the disk: a change time set explicitly (until the last
/// write time moves) and an allocation asked for.
pub(crate) fn with_open_state(facts: &mut Facts, state: &crate::fcb::FcbState) {
    if let Some((change, at)) = state.change_time {
        if facts.last_write == at {
            facts.change = change;
        }
    }
    if !facts.is_dir {
        facts.allocation = facts.allocation.max(state.allocation);
    }
}

/// A disk timestamp as a FILETIME, as [`Facts`] reports it.
pub(crate) fn disk_time(t: sys::Timestamp) -> lwio_fscc::FileTime {
    lwio_fscc::FileTime(i64::try_from(t.to_filetime()).unwrap_or(i64::MAX))
}

/// The NTFS view of a file from its stat and DOS information.
pub(crate) fn facts_of(st: &sys::Stat, dos: &sys::DosInfo) -> Facts {
    use lwio_core::FileAttributes;
    use lwio_fscc::FileTime;
    let is_dir = st.is_dir();
    let ft = disk_time;
    let creation = if dos.creation_time != 0 {
        FileTime(i64::try_from(dos.creation_time).unwrap_or(i64::MAX))
    } else {
        ft(st.btime.unwrap_or(if st.mtime < st.ctime {
            st.mtime
        } else {
            st.ctime
        }))
    };
    Facts {
        key: crate::fcb::FileKey {
            dev: st.dev,
            ino: st.ino,
        },
        is_dir,
        size: if is_dir { 0 } else { st.size },
        allocation: if is_dir { 0 } else { allocation_size(st.size) },
        links: st.nlink,
        attributes: Facts::reported_attributes(FileAttributes(dos.attributes), is_dir),
        creation,
        last_access: ft(st.atime),
        last_write: ft(st.mtime),
        // The change time is the last write time, as Samba reports it: ctime cannot be set,
        // and clients that set times expect to read back what they set.
        change: ft(st.mtime),
    }
}
