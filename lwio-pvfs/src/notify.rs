//! Change notify (MS-FSA 2.1.5.10 and 2.1.4.4, "FsRtlNotifyFilterReportChange").
//!
//! A directory handle's first ReadDirectoryChange request registers a watch: the
//! directory's FCB (so a renamed directory keeps its watch), the filter and `watch_tree`
//! of that first request, and a buffer. Changes made through PVFS are reported with
//! [`Notifier::report`], which also breaks the leases of the directories holding the
//! changed names ([`crate::lease`]): each watch whose directory holds the changed name (or
//! an ancestor of it, with `watch_tree`) and whose filter matches gets a
//! FILE_NOTIFY_INFORMATION entry with a name relative to the watched directory. A pending
//! request is completed at once; otherwise the entry is buffered until the next request.
//! When the entries do not fit the request's buffer (or the buffer grew beyond its bound)
//! the answer is STATUS_NOTIFY_ENUM_DIR: the caller must rescan. The bound is the length
//! of the handle's *first* request, as Windows sizes the notify buffer when the watch is
//! made: a later request with a smaller buffer (even 0 bytes) gets STATUS_NOTIFY_ENUM_DIR
//! for what does not fit it but does not shrink what is buffered for the next, and when
//! the first request's buffer was too small, every answer that does not fit it is
//! STATUS_NOTIFY_ENUM_DIR, whatever the later request's length (smbtorture's
//! `smb2.notify.valid-req`: "if the first notify returns NOTIFY_ENUM_DIR, all do"). Changes
//! made while no request waits are buffered and answered together by the next request.
//!
//! Requests on one handle queue (Windows' notify list; smbtorture's `smb2.notify.double`
//! and `mask-change` send a second before the first completes): a change completes the
//! oldest, the next change the next. At most [`MAX_PENDING`] wait per handle; one more is
//! STATUS_INSUFFICIENT_RESOURCES. A pending request is cancellable; closing the handle
//! completes every one with STATUS_NOTIFY_CLEANUP. Changes made behind PVFS's back (by local processes) are not
//! reported.

use std::collections::VecDeque;
use std::sync::Arc;

use lwio_core::irp::NotifyFilter;
use lwio_core::{Dispatched, FileState, Irp, IrpRequest, IrpResult, NtStatus, PendingIrp};
use lwio_fscc::{NotifyAction, NotifyEntry, encode_notify};
use parking_lot::Mutex;

use crate::Pvfs;
use crate::fcb::Fcb;

/// One watched directory handle.
struct Watch {
    ccb_id: u64,
    dir: Arc<Fcb>,
    filter: NotifyFilter,
    tree: bool,
    /// The length of the handle's first request: the most the buffer keeps, and the most
    /// any answer carries (see the module docs).
    length: u32,
    buffer: Vec<NotifyEntry>,
    /// Changes were lost: the next request gets STATUS_NOTIFY_ENUM_DIR.
    overflowed: bool,
    /// The requests waiting, oldest first.
    pending: VecDeque<PendingIrp<Pvfs>>,
}

/// How many requests may wait on one handle: a client cannot queue IRPs without bound.
pub(crate) const MAX_PENDING: usize = 16;

impl Watch {
    fn bytes(&self) -> usize {
        self.buffer.iter().map(NotifyEntry::wire_len).sum()
    }

    /// The answer to a request of `length` bytes from what is buffered; empties it.
    fn drain(&mut self, length: u32) -> IrpResult {
        let overflowed = std::mem::take(&mut self.overflowed);
        let entries = std::mem::take(&mut self.buffer);
        let bytes = encode_notify(&entries);
        if overflowed || bytes.len() > length.min(self.length) as usize {
            return IrpResult::new(NtStatus::NOTIFY_ENUM_DIR);
        }
        IrpResult {
            status: NtStatus::SUCCESS,
            information: bytes.len() as u64,
            output: bytes,
        }
    }
}

/// One change: the share-relative path, what happened, and which filter bits it matches.
pub(crate) struct Change<'a> {
    pub(crate) path: &'a str,
    pub(crate) action: NotifyAction,
    pub(crate) filter: NotifyFilter,
    /// A watch whose filter has any of these bits does not see this entry (it sees the
    /// same event as another entry of the report).
    pub(crate) unless: NotifyFilter,
}

impl<'a> Change<'a> {
    pub(crate) fn new(path: &'a str, action: NotifyAction, filter: NotifyFilter) -> Self {
        Change {
            path,
            action,
            filter,
            unless: NotifyFilter::empty(),
        }
    }

    /// This change, for the watches whose filter has none of `bits`.
    pub(crate) fn unless(self, bits: NotifyFilter) -> Self {
        Change {
            unless: bits,
            ..self
        }
    }

    /// An added, removed or renamed name: FILE_NAME for files, DIR_NAME for directories.
    pub(crate) fn name(path: &'a str, action: NotifyAction, is_dir: bool) -> Self {
        let filter = if is_dir {
            NotifyFilter::DIR_NAME
        } else {
            NotifyFilter::FILE_NAME
        };
        Change::new(path, action, filter)
    }
}

/// The watches of one volume.
#[derive(Default)]
pub(crate) struct Notifier {
    watches: Mutex<Vec<Watch>>,
    /// The leased directories: a change of one of their entries breaks their leases.
    pub(crate) dir_leases: crate::lease::DirLeases,
}

impl Notifier {
    /// Reports changes made together (a rename's old and new names go in one answer)
    /// through an open whose parent oplock key is `parent` (its create's
    /// `OplockKeyEcp::parent`, [`crate::ccb::Ccb::parent_key`]): the leases of the
    /// directories holding the changed names break, but the lease of that key
    /// (`crate::lease::DirLeases::break_parents`), and the watches hear of them. Every
    /// change is made through an open, so every caller names its parent key: a change
    /// that named none would break its own client's directory lease.
    pub(crate) fn report(&self, changes: &[Change<'_>], parent: Option<[u8; 16]>) {
        self.dir_leases
            .break_parents(changes.iter().map(|c| c.path), parent);
        let mut done = Vec::new();
        {
            let mut watches = self.watches.lock();
            if watches.is_empty() {
                return;
            }
            for w in watches.iter_mut() {
                let dir = w.dir.state.lock().path.clone();
                let mut added = false;
                for c in changes {
                    let Some(rel) = relative(&dir, c.path) else {
                        continue;
                    };
                    if (!w.tree && rel.contains('/'))
                        || !w.filter.intersects(c.filter)
                        || w.filter.intersects(c.unless)
                    {
                        continue;
                    }
                    w.buffer.push(NotifyEntry {
                        action: c.action,
                        file_name: rel.replace('/', "\\"),
                    });
                    added = true;
                }
                if !added {
                    continue;
                }
                if let Some(irp) = w.pending.pop_front() {
                    let length = request_length(&irp);
                    done.push((irp, w.drain(length)));
                } else if w.bytes() > w.length as usize {
                    w.buffer.clear();
                    w.overflowed = true;
                }
            }
        }
        for (irp, result) in done {
            // Taken out of the watch, so the cancel routine finds nothing: ours to complete.
            irp.clear_cancel_routine();
            irp.complete_result(result);
        }
    }

    /// The close of handle `ccb_id`: its watch goes, every pending request completes with
    /// STATUS_NOTIFY_CLEANUP (MS-FSA 2.1.5.4).
    pub(crate) fn cleanup(&self, ccb_id: u64) {
        let pending = {
            let mut watches = self.watches.lock();
            let i = watches.iter().position(|w| w.ccb_id == ccb_id);
            i.map(|i| watches.swap_remove(i).pending)
                .unwrap_or_default()
        };
        for irp in pending {
            irp.complete(NtStatus::NOTIFY_CLEANUP);
        }
    }

    /// The directory `dir` is delete-pending: every request waiting on a watch of it
    /// completes with STATUS_DELETE_PENDING (its handles may watch nothing more there).
    pub(crate) fn delete_pending(&self, dir: &Arc<Fcb>) {
        let pending: Vec<PendingIrp<Pvfs>> = {
            let mut watches = self.watches.lock();
            watches
                .iter_mut()
                .filter(|w| Arc::ptr_eq(&w.dir, dir))
                .flat_map(|w| w.pending.drain(..))
                .collect()
        };
        for irp in pending {
            // Taken out of the watch, so the cancel routine finds nothing: ours to complete.
            irp.clear_cancel_routine();
            irp.complete(NtStatus::DELETE_PENDING);
        }
    }

    fn cancel(&self, ccb_id: u64, irp_id: u64) {
        let pending = {
            let mut watches = self.watches.lock();
            watches
                .iter_mut()
                .find(|w| w.ccb_id == ccb_id)
                .and_then(|w| {
                    let i = w.pending.iter().position(|p| p.id() == irp_id)?;
                    w.pending.remove(i)
                })
        };
        if let Some(irp) = pending {
            // A close cancels pending IRPs before its close IRP arrives: report that.
            let status = if irp.file().state() == FileState::Open {
                NtStatus::CANCELLED
            } else {
                NtStatus::NOTIFY_CLEANUP
            };
            irp.complete(status);
        }
    }
}

fn request_length(irp: &PendingIrp<Pvfs>) -> u32 {
    match irp.request() {
        IrpRequest::ReadDirectoryChange(r) => r.length,
        _ => 0,
    }
}

/// `path` relative to the directory `dir` (both share-relative), if it lies below it.
fn relative<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    if dir.is_empty() {
        return (!path.is_empty()).then_some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// A ReadDirectoryChange IRP (MS-FSA 2.1.5.10).
pub(crate) fn request(volume: &crate::Volume, irp: Irp<'_, Pvfs>) -> Dispatched {
    let (Some(ccb), IrpRequest::ReadDirectoryChange(req)) = (irp.file_context(), irp.request())
    else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    if !ccb.is_dir() {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let (ccb_id, length) = (ccb.id, req.length);
    let mut watches = volume.notify.watches.lock();
    let i = match watches.iter().position(|w| w.ccb_id == ccb_id) {
        Some(i) => i,
        None => {
            watches.push(Watch {
                ccb_id,
                dir: Arc::clone(&ccb.fcb),
                filter: req.filter,
                tree: req.watch_tree,
                length,
                buffer: Vec::new(),
                overflowed: false,
                pending: VecDeque::new(),
            });
            watches.len() - 1
        }
    };
    let w = &mut watches[i];
    if w.pending.len() >= MAX_PENDING {
        drop(watches);
        return irp.complete(NtStatus::INSUFFICIENT_RESOURCES);
    }
    // Buffered changes answer at once, unless requests before this one still wait (they
    // are answered first, by the next change).
    if w.pending.is_empty() && (w.overflowed || !w.buffer.is_empty()) {
        let result = w.drain(length);
        drop(watches);
        return irp.complete_result(result);
    }
    let (pending, dispatched) = irp.pend();
    let irp_id = pending.id();
    let notifier = Arc::clone(&volume.notify);
    // The routine takes the watch lock, which we hold until the IRP is queued.
    let armed = pending.set_cancel_routine(move || notifier.cancel(ccb_id, irp_id));
    if armed {
        w.pending.push_back(pending);
        drop(watches);
    } else {
        drop(watches);
        pending.complete(NtStatus::CANCELLED);
    }
    dispatched
}
