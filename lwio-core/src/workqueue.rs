//! Work queues: the threads on which a driver does blocking work while its IRP is pending.
//!
//! The I/O manager runs no threads: an IRP is dispatched on the caller's thread. A driver
//! whose work blocks (a file system making system calls: a cold `stat`, an `fsync`, a
//! directory of 100,000 entries) must not do it there when the caller is an async runtime's
//! worker, or every other task on that worker waits with it. Windows drivers answer this
//! with work items (`IoQueueWorkItem`): the dispatch routine marks the IRP pending, queues a
//! work item, and returns at once; a system worker thread later runs the item, which
//! completes the IRP. [`WorkQueue`] is that, for lwio drivers:
//!
//! ```text
//! caller thread                          worker thread
//! ─────────────                          ─────────────
//! dispatch(irp)
//!   queue_irp(irp, work) ── item ──────▶ work(&pending) (blocking system calls)
//!   ◀─ Dispatched (pending)              pending.complete_result(result)
//! returns; the caller awaits ◀─────────── completion wakes the caller's future
//! ```
//!
//! - **Bounded.** A queue has at most [`WorkQueueConfig::threads`] workers, started when
//!   work arrives and stopped after [`WorkQueueConfig::idle_timeout`] without any, and at
//!   most [`WorkQueueConfig::queue_limit`] items waiting for one. Beyond that limit an IRP is
//!   not queued: it completes at once with STATUS_INSUFFICIENT_RESOURCES, as Windows fails
//!   work it cannot queue (and as MS-SMB2 3.3.4.2 lets a server fail a request that needs
//!   asynchronous processing when resources are constrained). The dispatching thread never
//!   waits for room: it may be a runtime worker, the very thread this module keeps free.
//! - **Cancellation.** A queued item is cancelled with its IRP (an `IrpCanceller`, the
//!   caller's future dropped, `cancel_file`, shutdown): the IRP's cancel routine takes the
//!   item out of the queue and completes the IRP with STATUS_CANCELLED, so the work never
//!   runs. An item a worker has started runs to completion (the driver's work may look at
//!   [`PendingIrp::is_cancel_requested`] to stop early). Closing the file does not cancel
//!   its queued work, as Windows' cleanup does not cancel what a file system's worker
//!   holds: a read sent before a close still answers.
//! - **Who owns it.** A driver takes a `WorkQueue` from whoever mounts it: the embedding
//!   application decides whether drivers share one queue or each have their own. For
//!   convenience [`WorkQueue::shared`] is one process-wide queue, started at first use, like
//!   Windows' system worker threads. Clones share one queue; when the last clone is dropped
//!   the queue stops (idle workers exit, nothing new is accepted).
//! - **Not "pending" to a protocol head.** An IRP queued here is pended, but it waits for a
//!   worker, not for an event of unbounded delay (a lock, a change, a pipe peer):
//!   [`IrpFuture::is_pending`](crate::IrpFuture::is_pending) answers false for it, so the
//!   SMB server awaits it (freeing its thread) without sending an interim response.
//!
//! Work runs on a worker thread, so the driver's work closure must own what it needs (the
//! [`PendingIrp`] carries the request and the file's contexts; the driver's device state
//! is its own to share, for example behind an `Arc`). A driver already running on one of
//! the queue's workers (a completion that dispatches the next IRP) may do the work inline:
//! [`WorkQueue::is_worker_thread`] tells it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::driver::Driver;
use crate::irp::{Dispatched, Irp, IrpResult, PendingIrp};
use crate::status::NtStatus;

/// How a [`WorkQueue`] is sized.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkQueueConfig {
    /// The prefix of the worker threads' names (`"lwio-work"` makes `lwio-work-1`, ...).
    pub name: String,
    /// At most this many worker threads (at least one). Default: four per CPU, between 8
    /// and 64: the work is blocking system calls, not computation.
    pub threads: usize,
    /// At most this many items waiting for a worker (at least one); beyond it an IRP
    /// completes with STATUS_INSUFFICIENT_RESOURCES. Default 4096.
    pub queue_limit: usize,
    /// A worker with nothing to do for this long exits (another starts when work comes).
    /// Default 10 seconds.
    pub idle_timeout: Duration,
}

impl Default for WorkQueueConfig {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        WorkQueueConfig {
            name: "lwio-work".to_owned(),
            threads: (4 * cpus).clamp(8, 64),
            queue_limit: 4096,
            idle_timeout: Duration::from_secs(10),
        }
    }
}

impl WorkQueueConfig {
    /// A configuration with `threads` workers and room for `queue_limit` waiting items,
    /// the rest as [`Default`].
    pub fn new(threads: usize, queue_limit: usize) -> Self {
        WorkQueueConfig {
            threads,
            queue_limit,
            ..WorkQueueConfig::default()
        }
    }

    /// The same, with worker threads named `name-1`, `name-2`, ...
    pub fn named(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }
}

/// What a queue is doing now, for diagnostics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkQueueLoad {
    /// Worker threads alive (busy or idle).
    pub threads: usize,
    /// Items waiting for a worker.
    pub queued: usize,
    /// Items a worker is running.
    pub running: usize,
}

/// Why an item runs.
enum Outcome {
    /// A worker took it: do the work.
    Run,
    /// It was cancelled, or the queue stopped, before a worker took it.
    Cancelled,
    /// It could not be queued (the queue is full, or cannot start a worker).
    Refused(NtStatus),
}

/// One queued item: the IRP's id (its cancel routine finds it by that) and what to do.
struct Item {
    id: u64,
    run: Box<dyn FnOnce(Outcome) + Send>,
}

struct State {
    items: VecDeque<Item>,
    /// Workers alive.
    threads: usize,
    /// Workers waiting for an item.
    idle: usize,
    /// Items being run.
    running: usize,
    /// Worker threads ever started (for their names).
    started: u64,
    stopped: bool,
}

struct Shared {
    config: WorkQueueConfig,
    state: Mutex<State>,
    ready: Condvar,
}

/// The handle users clone; its drop (the last one) stops the queue. Workers hold only
/// [`Shared`], so an idle queue nobody holds goes away.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

/// A bounded pool of worker threads for drivers' blocking work; see the [module
/// docs](self). Clones share one queue.
#[derive(Clone)]
pub struct WorkQueue {
    owner: Arc<Owner>,
}

impl std::fmt::Debug for WorkQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkQueue")
            .field("name", &self.owner.shared.config.name)
            .field("threads", &self.owner.shared.config.threads)
            .field("queue_limit", &self.owner.shared.config.queue_limit)
            .finish_non_exhaustive()
    }
}

impl Default for WorkQueue {
    /// The process-wide queue, [`WorkQueue::shared`].
    fn default() -> Self {
        WorkQueue::shared()
    }
}

thread_local! {
    /// The queue whose worker this thread is (its `Shared`'s address), zero elsewhere.
    static CURRENT_QUEUE: Cell<usize> = const { Cell::new(0) };
}

impl WorkQueue {
    /// A queue of its own, sized by `config`. No thread starts until work arrives.
    pub fn new(config: WorkQueueConfig) -> WorkQueue {
        let config = WorkQueueConfig {
            threads: config.threads.max(1),
            queue_limit: config.queue_limit.max(1),
            ..config
        };
        WorkQueue {
            owner: Arc::new(Owner {
                shared: Arc::new(Shared {
                    config,
                    state: Mutex::new(State {
                        items: VecDeque::new(),
                        threads: 0,
                        idle: 0,
                        running: 0,
                        started: 0,
                        stopped: false,
                    }),
                    ready: Condvar::new(),
                }),
            }),
        }
    }

    /// The process-wide queue ([`WorkQueueConfig::default`], threads named `lwio-work-N`),
    /// made at the first call; every call returns a clone of it.
    pub fn shared() -> WorkQueue {
        static SHARED: OnceLock<WorkQueue> = OnceLock::new();
        SHARED
            .get_or_init(|| WorkQueue::new(WorkQueueConfig::default()))
            .clone()
    }

    /// How the queue is sized.
    pub fn config(&self) -> &WorkQueueConfig {
        &self.owner.shared.config
    }

    /// What the queue is doing now.
    pub fn load(&self) -> WorkQueueLoad {
        let st = self.owner.shared.state.lock();
        WorkQueueLoad {
            threads: st.threads,
            queued: st.items.len(),
            running: st.running,
        }
    }

    /// True on one of this queue's worker threads.
    pub fn is_worker_thread(&self) -> bool {
        CURRENT_QUEUE.with(Cell::get) == self.owner.shared.key()
    }

    /// Marks `irp` pending and queues `work` for a worker, which runs it and completes the
    /// IRP with the result. Returns the `Dispatched` for the driver's dispatch routine.
    ///
    /// While the item waits it is cancellable: cancelling the IRP (closing its file, an
    /// SMB2 CANCEL, dropping the caller's future) takes it out of the queue and completes
    /// the IRP with STATUS_CANCELLED. Once a worker has taken it, it runs to completion.
    /// A full queue completes the IRP at once with STATUS_INSUFFICIENT_RESOURCES; a stopped
    /// one with STATUS_DEVICE_NOT_READY. If `work` panics, the IRP completes with
    /// STATUS_INTERNAL_ERROR and the worker goes on.
    pub fn queue_irp<D: Driver>(
        &self,
        irp: Irp<'_, D>,
        work: impl FnOnce(&PendingIrp<D>) -> IrpResult + Send + 'static,
    ) -> Dispatched {
        let shared = &self.owner.shared;
        // Refused before pending when it plainly cannot be queued: no allocation.
        if let Err(status) = shared.state.lock().admits(&shared.config) {
            return irp.complete(status);
        }
        let (pending, dispatched) = irp.pend();
        pending.mark_work_item();
        let id = pending.id();
        let queue: Weak<Shared> = Arc::downgrade(shared);
        let armed = pending.set_cancel_routine(move || {
            if let Some(item) = queue.upgrade().and_then(|q| q.take(id)) {
                (item.run)(Outcome::Cancelled);
            }
        });
        if !armed {
            pending.complete(NtStatus::CANCELLED);
            return dispatched;
        }
        let run = Box::new(move |outcome: Outcome| match outcome {
            Outcome::Run => {
                // Taken out of the queue: a cancel routine running now finds nothing, so
                // this thread alone completes the IRP.
                pending.clear_cancel_routine();
                let result = work(&pending);
                pending.complete_result(result);
            }
            Outcome::Cancelled => pending.complete(NtStatus::CANCELLED),
            Outcome::Refused(status) => pending.complete(status),
        });
        shared.push(Item { id, run });
        dispatched
    }
}

impl State {
    /// Whether one more item may be queued now.
    fn admits(&self, config: &WorkQueueConfig) -> Result<(), NtStatus> {
        if self.stopped {
            Err(NtStatus::DEVICE_NOT_READY)
        } else if self.items.len() >= config.queue_limit {
            Err(NtStatus::INSUFFICIENT_RESOURCES)
        } else {
            Ok(())
        }
    }
}

impl Shared {
    fn key(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Queues `item`, starting a worker when no idle one is left to take it; an item that
    /// cannot be queued is refused (run with its status) on this thread.
    fn push(self: &Arc<Self>, item: Item) {
        let mut st = self.state.lock();
        if let Err(status) = st.admits(&self.config) {
            drop(st);
            (item.run)(Outcome::Refused(status));
            return;
        }
        st.items.push_back(item);
        let start = st.items.len() > st.idle && st.threads < self.config.threads;
        if start {
            st.threads += 1;
            st.started += 1;
        }
        let number = st.started;
        drop(st);
        self.ready.notify_one();
        if start {
            self.start_worker(number);
        }
    }

    fn start_worker(self: &Arc<Self>, number: u64) {
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(format!("{}-{number}", self.config.name))
            .spawn(move || shared.work());
        if let Err(e) = spawned {
            tracing::error!(queue = %self.config.name, error = %e, "cannot start a worker thread");
            let orphans: Vec<Item> = {
                let mut st = self.state.lock();
                st.threads -= 1;
                if st.threads == 0 {
                    st.items.drain(..).collect()
                } else {
                    Vec::new()
                }
            };
            for item in orphans {
                (item.run)(Outcome::Refused(NtStatus::INSUFFICIENT_RESOURCES));
            }
        }
    }

    /// Takes the item `id` out of the queue, if no worker has taken it yet.
    fn take(&self, id: u64) -> Option<Item> {
        let mut st = self.state.lock();
        let i = st.items.iter().position(|item| item.id == id)?;
        st.items.remove(i)
    }

    /// Stops accepting work and cancels what waits; idle workers exit.
    fn stop(&self) {
        let leftovers: Vec<Item> = {
            let mut st = self.state.lock();
            st.stopped = true;
            st.items.drain(..).collect()
        };
        self.ready.notify_all();
        for item in leftovers {
            (item.run)(Outcome::Cancelled);
        }
    }

    /// A worker thread's life: take items until the queue stops or stays idle too long.
    fn work(self: Arc<Self>) {
        CURRENT_QUEUE.with(|c| c.set(self.key()));
        loop {
            let Some(item) = self.next_item() else {
                return;
            };
            let Item { id, run } = item;
            if catch_unwind(AssertUnwindSafe(|| run(Outcome::Run))).is_err() {
                // The PendingIrp was dropped in the unwind: it completed itself.
                tracing::error!(queue = %self.config.name, irp = id, "work item panicked");
            }
            self.state.lock().running -= 1;
        }
    }

    /// The next item for this worker; `None` when it should exit (its count is taken off).
    fn next_item(&self) -> Option<Item> {
        let mut st = self.state.lock();
        loop {
            if let Some(item) = st.items.pop_front() {
                st.running += 1;
                return Some(item);
            }
            if st.stopped {
                st.threads -= 1;
                return None;
            }
            st.idle += 1;
            let timed_out = self
                .ready
                .wait_for(&mut st, self.config.idle_timeout)
                .timed_out();
            st.idle -= 1;
            if timed_out && st.items.is_empty() {
                st.threads -= 1;
                return None;
            }
        }
    }
}
