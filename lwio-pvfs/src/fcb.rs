//! File control blocks: one per file on disk that has open handles, shared by all of them.
//!
//! An FCB is found by the file's identity on disk (device and inode), so two paths to one
//! file (hard links, or two spellings of a case-insensitive name) meet in the same FCB. It
//! holds what Windows keeps per file rather than per handle: the opens for share-mode
//! checks, the pending delete and the byte-range locks. (Change-notify watches are per
//! handle, in [`crate::notify`].)
//!
//! A named stream has an FCB of its own (MS-FSA keeps share modes, a pending delete and
//! locks per stream), hung from its file's FCB ([`FcbState::streams`]): the file's FCB
//! stays in the table while any of its streams is open, so a pending delete of the file
//! waits for the streams' handles too, and a stream cannot be opened once the file's
//! delete is pending. An open of the file for DELETE fails with STATUS_SHARING_VIOLATION
//! while a stream of it is open without FILE_SHARE_DELETE (deleting the file deletes its
//! streams). Locks are taken table first, then the file's FCB, then a stream's.

use std::collections::HashMap;
use std::sync::Arc;

use lwio_core::{NtStatus, PendingIrp};
use parking_lot::Mutex;

use crate::Pvfs;
use crate::lock::LockTable;
use crate::share::{ShareState, check_share_access};

/// A file's identity on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// The device.
    pub dev: u64,
    /// The inode.
    pub ino: u64,
}

/// One open, as the FCB sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenRecord {
    pub(crate) ccb_id: u64,
    pub(crate) share: ShareState,
    pub(crate) delete_on_close: bool,
    /// The open's oplock key (its create's `OplockKeyEcp`), shared by a lease's opens.
    pub(crate) oplock_key: Option<[u8; 16]>,
    /// The oplock key of the parent directory's lease its create named (MS-FSA
    /// Open.ParentOplockKey): changes through this open do not break that lease.
    pub(crate) parent_key: Option<[u8; 16]>,
}

/// What an FCB guards.
pub(crate) struct FcbState {
    /// The share-relative path the file has now (renames update it).
    pub(crate) path: String,
    pub(crate) opens: Vec<OpenRecord>,
    /// Set by a disposition or by the close of a delete-on-close handle: the file goes
    /// when its last handle closes, and new opens get STATUS_DELETE_PENDING.
    pub(crate) delete_pending: bool,
    pub(crate) locks: LockTable<PendingIrp<Pvfs>>,
    /// The file's DOS information as PVFS last read or wrote it. Every change made through
    /// PVFS goes through [`crate::ccb::Ccb::store_dos`], so while the file is open this
    /// saves an xattr read per query; a change made behind PVFS's back shows after the
    /// last handle closes.
    pub(crate) dos: Option<crate::sys::DosInfo>,
    /// A change time set through FileBasicInformation, with the last write time it was
    /// set at: reported until the last write time moves (Linux cannot set ctime, and
    /// the change time otherwise follows the last write time). Kept while the file is
    /// open only.
    pub(crate) change_time: Option<(lwio_fscc::FileTime, lwio_fscc::FileTime)>,
    /// The allocation size asked for (at create or by FileAllocationInformation), in whole
    /// clusters: reported while larger than the end of file. Kept while the file is open.
    pub(crate) allocation: u64,
    /// On a file's FCB: the FCBs of its named streams that have open handles.
    pub(crate) streams: Vec<Arc<Fcb>>,
    /// On a stream's FCB: the stream's name as stored (renames change it); empty on a
    /// file's.
    pub(crate) stream_name: String,
    /// Per handle (by CCB id), the EA enumeration's next index (MS-FSA Open.NextEaEntry);
    /// see [`crate::ea`]. Entries of closed handles are dropped when another is added.
    pub(crate) ea_cursors: Vec<(u64, usize)>,
    /// The delayed and explicit last-write-time state of the open file; see
    /// [`crate::rw::WriteTime`].
    pub(crate) write_time: crate::rw::WriteTime,
    /// The file's (or stream's) oplocks ([`crate::oplock`]).
    pub(crate) oplock: crate::oplock::OplockState,
}

/// A file control block.
pub(crate) struct Fcb {
    pub(crate) key: FileKey,
    /// A directory's FCB (never a stream's, even of a directory).
    pub(crate) is_dir: bool,
    /// On a named stream's FCB: its file's FCB.
    pub(crate) file: Option<Arc<Fcb>>,
    pub(crate) state: Mutex<FcbState>,
    /// Signalled when an oplock break ends (acknowledged, released, timed out), for the
    /// operations waiting on it ([`crate::oplock`]).
    pub(crate) oplock_changed: parking_lot::Condvar,
}

fn new_state(path: &str, stream_name: &str) -> FcbState {
    FcbState {
        path: path.to_owned(),
        opens: Vec::new(),
        delete_pending: false,
        locks: LockTable::new(),
        dos: None,
        change_time: None,
        allocation: 0,
        streams: Vec::new(),
        stream_name: if stream_name.is_empty() {
            String::new()
        } else {
            stream_name.to_owned()
        },
        ea_cursors: Vec::new(),
        write_time: crate::rw::WriteTime::default(),
        oplock: crate::oplock::OplockState::default(),
    }
}

impl Fcb {
    /// Adds an open after the share-mode and delete-pending checks.
    pub(crate) fn add_open(&self, record: OpenRecord) -> Result<(), NtStatus> {
        let mut st = self.state.lock();
        if st.delete_pending {
            return Err(NtStatus::DELETE_PENDING);
        }
        check_share_access(record.share, st.opens.iter().map(|o| &o.share))?;
        if record.share.access.contains(lwio_core::AccessMask::DELETE) {
            // Deleting the file deletes its streams: every stream open must share delete.
            for stream in &st.streams {
                let s = stream.state.lock();
                if s.opens.iter().any(|o| {
                    o.share.has_data_access()
                        && !o.share.share.contains(lwio_core::ShareAccess::DELETE)
                }) {
                    return Err(NtStatus::SHARING_VIOLATION);
                }
            }
        }
        st.opens.push(record);
        Ok(())
    }

    /// The FCB of the file itself: this one, or a stream's file's.
    pub(crate) fn file_fcb(&self) -> &Fcb {
        self.file.as_deref().unwrap_or(self)
    }

    /// True when nothing holds the file open any more: no handle of it or its streams.
    fn unused(state: &FcbState) -> bool {
        state.opens.is_empty() && state.streams.is_empty()
    }
}

/// Takes the open of `ccb_id` off `state`; a delete-on-close open sets the delete pending.
fn remove_open(state: &mut FcbState, ccb_id: u64) {
    if let Some(i) = state.opens.iter().position(|o| o.ccb_id == ccb_id) {
        let record = state.opens.swap_remove(i);
        if record.delete_on_close {
            state.delete_pending = true;
        }
    }
}

/// Every FCB of one volume that has an open handle.
#[derive(Default)]
pub(crate) struct FcbTable {
    /// Keyed by (device, inode) from the kernel, never by a peer: FxHash, not SipHash,
    /// which cost more than the rest of an open's table work.
    fcbs: Mutex<HashMap<FileKey, Arc<Fcb>, rustc_hash::FxBuildHasher>>,
}

/// What the last close of a file or stream must do once the table lock is released.
#[derive(Default)]
pub(crate) struct LastClose {
    /// The file's path when it must be deleted, else empty (not copied for nothing).
    pub(crate) path: String,
    pub(crate) delete: bool,
    pub(crate) is_dir: bool,
    /// A stream whose last handle closed with its delete pending: its name as stored.
    pub(crate) delete_stream: Option<String>,
}

impl FcbTable {
    /// The FCB of `key`, made if the file has no open yet, with the open added (share modes
    /// and pending deletes checked against the file's other opens).
    pub(crate) fn open(
        &self,
        key: FileKey,
        is_dir: bool,
        path: &str,
        record: OpenRecord,
    ) -> Result<Arc<Fcb>, NtStatus> {
        let mut fcbs = self.fcbs.lock();
        let fcb = Arc::clone(fcbs.entry(key).or_insert_with(|| {
            Arc::new(Fcb {
                key,
                is_dir,
                file: None,
                state: Mutex::new(new_state(path, "")),
                oplock_changed: parking_lot::Condvar::new(),
            })
        }));
        let result = fcb.add_open(record);
        if result.is_err() && Fcb::unused(&fcb.state.lock()) {
            fcbs.remove(&key);
        }
        result.map(|()| fcb)
    }

    /// The FCB of the named stream `stream` (as stored) of the file `key`, made if the
    /// stream has no open yet, with the open added: the file's pending delete, then the
    /// stream's own opens and pending delete, are checked.
    pub(crate) fn open_stream(
        &self,
        key: FileKey,
        is_dir: bool,
        path: &str,
        stream: &str,
        record: OpenRecord,
    ) -> Result<Arc<Fcb>, NtStatus> {
        let mut fcbs = self.fcbs.lock();
        let file = Arc::clone(fcbs.entry(key).or_insert_with(|| {
            Arc::new(Fcb {
                key,
                is_dir,
                file: None,
                state: Mutex::new(new_state(path, "")),
                oplock_changed: parking_lot::Condvar::new(),
            })
        }));
        let mut file_state = file.state.lock();
        let result = if file_state.delete_pending {
            Err(NtStatus::DELETE_PENDING)
        } else {
            let folded = crate::sys::fold_name(stream);
            let found = file_state
                .streams
                .iter()
                .find(|s| crate::sys::fold_name(&s.state.lock().stream_name) == folded)
                .cloned();
            let fcb = match found {
                Some(fcb) => fcb,
                None => {
                    let fcb = Arc::new(Fcb {
                        key,
                        is_dir: false,
                        file: Some(Arc::clone(&file)),
                        state: Mutex::new(new_state(path, stream)),
                        oplock_changed: parking_lot::Condvar::new(),
                    });
                    file_state.streams.push(Arc::clone(&fcb));
                    fcb
                }
            };
            let added = fcb.add_open(record);
            if added.is_err() && fcb.state.lock().opens.is_empty() {
                file_state.streams.retain(|s| !Arc::ptr_eq(s, &fcb));
            }
            added.map(|()| fcb)
        };
        if result.is_err() && Fcb::unused(&file_state) {
            drop(file_state);
            fcbs.remove(&key);
        }
        result
    }

    /// The FCB of `key` if the file has open handles.
    pub(crate) fn get(&self, key: FileKey) -> Option<Arc<Fcb>> {
        self.fcbs.lock().get(&key).cloned()
    }

    /// Removes one open. On the last one the FCB leaves the table, and the result says
    /// whether the file must now be deleted.
    pub(crate) fn close(&self, fcb: &Fcb, ccb_id: u64) -> Option<LastClose> {
        let mut fcbs = self.fcbs.lock();
        let file = fcb.file_fcb();
        let mut st = file.state.lock();
        let mut last = LastClose::default();
        if fcb.file.is_some() {
            let mut stream = fcb.state.lock();
            remove_open(&mut stream, ccb_id);
            if !stream.opens.is_empty() {
                return None;
            }
            if stream.delete_pending {
                last.delete_stream = Some(stream.stream_name.clone());
            }
            drop(stream);
            st.streams.retain(|s| !std::ptr::eq(Arc::as_ptr(s), fcb));
        } else {
            remove_open(&mut st, ccb_id);
        }
        if !Fcb::unused(&st) {
            return last.delete_stream.is_some().then_some(last);
        }
        fcbs.remove(&file.key);
        if st.delete_pending {
            last.path = st.path.clone();
            last.delete = true;
        }
        last.is_dir = file.is_dir;
        Some(last)
    }

    /// True when a file strictly below the directory `dir` (share-relative) is open.
    pub(crate) fn has_open_below(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.fcbs
            .lock()
            .values()
            .any(|f| f.state.lock().path.starts_with(&prefix))
    }

    /// Number of files with open handles.
    pub(crate) fn len(&self) -> usize {
        self.fcbs.lock().len()
    }
}
