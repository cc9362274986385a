//! File control blocks: one per file on disk that has open handles, shared by all of them.
//!
//! An FCB is found by the file's identity on disk (device and inode), so two paths to one
//! file (hard links, or two spellings of a case-insensitive name) meet in the same FCB. It
//! holds what Windows keeps per file rather than per handle: the opens for share-mode
//! checks, the pending delete and the byte-range locks. (Change-notify watches are per
//! handle, in [`crate::notify`].) The table lock is taken before an FCB's lock, never after.

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
    /// Per handle (by CCB id), the EA enumeration's next index (MS-FSA Open.NextEaEntry);
    /// see [`crate::ea`]. Entries of closed handles are dropped when another is added.
    pub(crate) ea_cursors: Vec<(u64, usize)>,
    /// The delayed and explicit last-write-time state of the open file; see
    /// [`crate::rw::WriteTime`].
    pub(crate) write_time: crate::rw::WriteTime,
}

/// A file control block.
pub(crate) struct Fcb {
    pub(crate) key: FileKey,
    pub(crate) is_dir: bool,
    pub(crate) state: Mutex<FcbState>,
}

impl Fcb {
    /// Adds an open after the share-mode and delete-pending checks.
    pub(crate) fn add_open(&self, record: OpenRecord) -> Result<(), NtStatus> {
        let mut st = self.state.lock();
        if st.delete_pending {
            return Err(NtStatus::DELETE_PENDING);
        }
        check_share_access(record.share, st.opens.iter().map(|o| &o.share))?;
        st.opens.push(record);
        Ok(())
    }
}

/// Every FCB of one volume that has an open handle.
#[derive(Default)]
pub(crate) struct FcbTable {
    /// Keyed by (device, inode) from the kernel, never by a peer: FxHash, not SipHash,
    /// which cost more than the rest of an open's table work.
    fcbs: Mutex<HashMap<FileKey, Arc<Fcb>, rustc_hash::FxBuildHasher>>,
}

/// What the last close of a file must do once the table lock is released.
pub(crate) struct LastClose {
    /// The file's path when it must be deleted, else empty (not copied for nothing).
    pub(crate) path: String,
    pub(crate) delete: bool,
    pub(crate) is_dir: bool,
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
        let fcb = fcbs.entry(key).or_insert_with(|| {
            Arc::new(Fcb {
                key,
                is_dir,
                state: Mutex::new(FcbState {
                    path: path.to_owned(),
                    opens: Vec::new(),
                    delete_pending: false,
                    locks: LockTable::new(),
                    dos: None,
                    change_time: None,
                    allocation: 0,
                    ea_cursors: Vec::new(),
                    write_time: crate::rw::WriteTime::default(),
                }),
            })
        });
        let fcb = Arc::clone(fcb);
        let result = fcb.add_open(record);
        if result.is_err() && fcb.state.lock().opens.is_empty() {
            fcbs.remove(&key);
        }
        result.map(|()| fcb)
    }

    /// The FCB of `key` if the file has open handles.
    pub(crate) fn get(&self, key: FileKey) -> Option<Arc<Fcb>> {
        self.fcbs.lock().get(&key).cloned()
    }

    /// Removes one open. On the last one the FCB leaves the table, and the result says
    /// whether the file must now be deleted.
    pub(crate) fn close(&self, fcb: &Fcb, ccb_id: u64) -> Option<LastClose> {
        let mut fcbs = self.fcbs.lock();
        let mut st = fcb.state.lock();
        if let Some(i) = st.opens.iter().position(|o| o.ccb_id == ccb_id) {
            let record = st.opens.swap_remove(i);
            if record.delete_on_close {
                st.delete_pending = true;
            }
        }
        if !st.opens.is_empty() {
            return None;
        }
        fcbs.remove(&fcb.key);
        Some(LastClose {
            path: if st.delete_pending {
                st.path.clone()
            } else {
                String::new()
            },
            delete: st.delete_pending,
            is_dir: fcb.is_dir,
        })
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
