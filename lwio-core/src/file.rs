//! File objects: one per successful create, shared by the caller's handle and every IRP
//! in flight on it.
//!
//! A file object remembers the device stack it was opened on, the path within the device,
//! the opener's token, the access its create granted, one context slot per stack layer, and
//! its pending IRPs (so close and `cancel_file` can cancel them). The manager's registry
//! holds a weak reference to every live file object for rundown reports.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;

use crate::access::{AccessMask, FILE_GENERIC_MAPPING};
use crate::device::DeviceStack;
use crate::irp::pending::PendingShared;
use crate::security::AccessToken;

/// Where a file object is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FileState {
    /// The create IRP is in flight.
    Creating = 0,
    /// Created; operations are allowed.
    Open = 1,
    /// Close has started; new operations get STATUS_FILE_CLOSED.
    Closing = 2,
    /// The close IRP completed.
    Closed = 3,
    /// The create failed.
    Failed = 4,
}

impl FileState {
    #[inline]
    fn from_u8(v: u8) -> FileState {
        match v {
            0 => FileState::Creating,
            1 => FileState::Open,
            2 => FileState::Closing,
            3 => FileState::Closed,
            _ => FileState::Failed,
        }
    }
}

type Context = Box<dyn Any + Send + Sync>;

/// What runs once no IRP is pending on a file: the close IRP, after a cleanup.
type IdleAction = Box<dyn FnOnce() + Send>;

/// The IRPs pending on a file, and what to do when the last of them completes.
#[derive(Default)]
struct PendingList {
    irps: Vec<Arc<PendingShared>>,
    on_idle: Option<IdleAction>,
}

/// An open (or opening) file on one device stack.
pub struct FileObject {
    id: u64,
    stack: Arc<DeviceStack>,
    path: Box<str>,
    token: Arc<AccessToken>,
    granted: AtomicU32,
    granted_set: AtomicBool,
    ceiling: AtomicU32,
    directory: AtomicBool,
    state: AtomicU8,
    contexts: Box<[OnceLock<Context>]>,
    pending: Mutex<PendingList>,
    registry: Arc<Registry>,
}

impl FileObject {
    pub(crate) fn new(
        registry: &Arc<Registry>,
        stack: Arc<DeviceStack>,
        path: &str,
        token: Arc<AccessToken>,
    ) -> Arc<FileObject> {
        // From 1: zero is "no file" where an id stands for a handle (RootDirectory).
        let id = registry.next_file.fetch_add(1, Ordering::Relaxed) + 1;
        let contexts = (0..stack.depth()).map(|_| OnceLock::new()).collect();
        let file = Arc::new(FileObject {
            id,
            stack,
            path: path.into(),
            token,
            granted: AtomicU32::new(0),
            granted_set: AtomicBool::new(false),
            ceiling: AtomicU32::new(u32::MAX),
            directory: AtomicBool::new(false),
            state: AtomicU8::new(FileState::Creating as u8),
            contexts,
            pending: Mutex::new(PendingList::default()),
            registry: Arc::clone(registry),
        });
        registry.files.lock().insert(id, Arc::downgrade(&file));
        file
    }

    /// A number unique to this file object within its manager, never zero. In-process
    /// callers name an open directory by it as a rename's or link's RootDirectory.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name of the device the file was opened on.
    pub fn device_name(&self) -> &str {
        self.stack.name()
    }

    /// The path within the device (without the device name and its slashes).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The token of whoever opened the file.
    pub fn token(&self) -> &Arc<AccessToken> {
        &self.token
    }

    /// The access the create granted.
    #[inline]
    pub fn granted_access(&self) -> AccessMask {
        AccessMask(self.granted.load(Ordering::Acquire))
    }

    /// True when the driver said its create opened a directory.
    pub fn is_directory(&self) -> bool {
        self.directory.load(Ordering::Acquire)
    }

    pub(crate) fn mark_directory(&self) {
        self.directory.store(true, Ordering::Release);
    }

    /// The most a create may grant, as the layers above the driver limited it so far.
    pub(crate) fn access_ceiling(&self) -> AccessMask {
        AccessMask(self.ceiling.load(Ordering::Acquire))
    }

    /// Where the file object is in its life.
    #[inline]
    pub fn state(&self) -> FileState {
        FileState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// How many IRPs on this file are pending now.
    pub fn pending_count(&self) -> usize {
        self.pending.lock().irps.len()
    }

    #[inline]
    pub(crate) fn stack(&self) -> &DeviceStack {
        &self.stack
    }

    pub(crate) fn stack_arc(&self) -> &Arc<DeviceStack> {
        &self.stack
    }

    pub(crate) fn set_granted_access(&self, granted: AccessMask) {
        self.granted.store(granted.0, Ordering::Release);
        self.granted_set.store(true, Ordering::Release);
    }

    /// Caps what the create may grant (a layer's limit, applied after the driver's grant).
    pub(crate) fn limit_granted_access(&self, ceiling: AccessMask) {
        self.ceiling.fetch_and(ceiling.0, Ordering::AcqRel);
    }

    /// After a successful create: the driver's grant, or by default what was asked for,
    /// within the ceiling the layers set.
    pub(crate) fn settle_granted_access(&self, desired: AccessMask) {
        let mut granted = if self.granted_set.load(Ordering::Acquire) {
            self.granted_access()
        } else {
            let mut asked = desired.map_generic(&FILE_GENERIC_MAPPING);
            if asked.contains(AccessMask::MAXIMUM_ALLOWED) {
                asked = asked.without(AccessMask::MAXIMUM_ALLOWED) | AccessMask::FILE_ALL_ACCESS;
            }
            asked
        };
        granted &= AccessMask(self.ceiling.load(Ordering::Acquire));
        self.granted.store(granted.0, Ordering::Release);
    }

    /// Moves from `from` to `to`; false when the file was not in `from`.
    pub(crate) fn transition(&self, from: FileState, to: FileState) -> bool {
        self.state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn set_state(&self, to: FileState) {
        self.state.store(to as u8, Ordering::Release);
    }

    #[inline]
    pub(crate) fn context_at<T: Any>(&self, layer: usize) -> Option<&T> {
        self.contexts.get(layer)?.get()?.downcast_ref::<T>()
    }

    pub(crate) fn set_context_at<T: Any + Send + Sync>(
        &self,
        layer: usize,
        value: T,
    ) -> Result<(), T> {
        let Some(slot) = self.contexts.get(layer) else {
            return Err(value);
        };
        let mut value = Some(value);
        slot.get_or_init(|| match value.take() {
            Some(v) => Box::new(v),
            None => Box::new(()),
        });
        match value {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    pub(crate) fn add_pending(&self, shared: Arc<PendingShared>) {
        self.pending.lock().irps.push(shared);
    }

    pub(crate) fn remove_pending(&self, irp_id: u64) {
        let idle = {
            let mut pending = self.pending.lock();
            if let Some(i) = pending.irps.iter().position(|p| p.irp_id() == irp_id) {
                pending.irps.swap_remove(i);
            }
            if pending.irps.is_empty() {
                pending.on_idle.take()
            } else {
                None
            }
        };
        if let Some(action) = idle {
            action();
        }
    }

    /// Runs `action` once no IRP is pending on this file: now, or when the last one
    /// completes (how the close IRP waits for the file's last reference).
    pub(crate) fn when_idle(&self, action: IdleAction) {
        let now = {
            let mut pending = self.pending.lock();
            if pending.irps.is_empty() {
                Some(action)
            } else {
                pending.on_idle = Some(action);
                None
            }
        };
        if let Some(action) = now {
            action();
        }
    }

    /// Requests cancellation of every IRP pending on this file now.
    pub(crate) fn cancel_pending(&self) -> usize {
        let snapshot: Vec<Arc<PendingShared>> = self.pending.lock().irps.clone();
        for shared in &snapshot {
            shared.request_cancel();
        }
        snapshot.len()
    }

    /// Requests cancellation of the IRPs pending on this file that wait for an event of
    /// unbounded delay (a lock, a change, a pipe peer), as a close does: Windows' cleanup
    /// completes those. Work queued on a work queue is left to finish, as Windows leaves
    /// a request a file system's worker holds.
    pub(crate) fn cancel_waiting(&self) -> usize {
        let snapshot: Vec<Arc<PendingShared>> = self
            .pending
            .lock()
            .irps
            .iter()
            .filter(|p| p.waits_indefinitely())
            .cloned()
            .collect();
        for shared in &snapshot {
            shared.request_cancel();
        }
        snapshot.len()
    }
}

impl Drop for FileObject {
    fn drop(&mut self) {
        self.registry.files.lock().remove(&self.id);
    }
}

impl fmt::Debug for FileObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileObject")
            .field("id", &self.id)
            .field("device", &self.device_name())
            .field("path", &self.path)
            .field("state", &self.state())
            .field("granted", &self.granted_access())
            .finish()
    }
}

/// Every live file object of one manager, weakly held.
#[derive(Default)]
pub(crate) struct Registry {
    /// Keyed by ids this crate counts up (never chosen by a peer): FxHash, not SipHash.
    files: Mutex<HashMap<u64, Weak<FileObject>, rustc_hash::FxBuildHasher>>,
    next_file: AtomicU64,
}

impl Registry {
    /// The live file object with this id.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<FileObject>> {
        self.files.lock().get(&id).and_then(Weak::upgrade)
    }

    pub(crate) fn live_files(&self) -> Vec<Arc<FileObject>> {
        let files = self.files.lock();
        let mut live: Vec<Arc<FileObject>> = files.values().filter_map(Weak::upgrade).collect();
        drop(files);
        live.sort_by_key(|f| f.id);
        live
    }
}
