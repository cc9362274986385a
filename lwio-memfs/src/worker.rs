//! The deferred-completion mode: reads and writes are pended and completed by a worker
//! thread, the way a driver with its own I/O threads behaves. Queued IRPs are cancellable
//! until the worker takes them.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use lwio_core::{Dispatched, Irp, NtStatus, PendingIrp};
use parking_lot::{Condvar, Mutex};

use crate::MemFs;

struct Queue {
    items: Mutex<QueueState>,
    ready: Condvar,
}

struct QueueState {
    irps: VecDeque<PendingIrp<MemFs>>,
    stop: bool,
}

impl Queue {
    /// Takes IRP `id` out of the queue, if the worker has not taken it yet.
    fn take(&self, id: u64) -> Option<PendingIrp<MemFs>> {
        let mut st = self.items.lock();
        let i = st.irps.iter().position(|p| p.id() == id)?;
        st.irps.remove(i)
    }
}

/// One worker thread and its queue.
pub(crate) struct Worker {
    queue: Arc<Queue>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    pub(crate) fn start(run: fn(&PendingIrp<MemFs>) -> lwio_core::IrpResult) -> Worker {
        let queue = Arc::new(Queue {
            items: Mutex::new(QueueState {
                irps: VecDeque::new(),
                stop: false,
            }),
            ready: Condvar::new(),
        });
        let q = Arc::clone(&queue);
        let thread = std::thread::Builder::new()
            .name("memfs-worker".into())
            .spawn(move || worker_loop(&q, run))
            .ok();
        if thread.is_none() {
            tracing::error!("memfs: cannot start the worker thread; deferred IRPs will fail");
        }
        Worker {
            queue,
            thread: Mutex::new(thread),
        }
    }

    /// Pends `irp` and queues it for the worker, cancellable while queued.
    pub(crate) fn submit(&self, irp: Irp<'_, MemFs>) -> Dispatched {
        let (pending, dispatched) = irp.pend();
        let id = pending.id();
        let queue: Weak<Queue> = Arc::downgrade(&self.queue);
        let armed = pending.set_cancel_routine(move || {
            if let Some(irp) = queue.upgrade().and_then(|q| q.take(id)) {
                irp.complete(NtStatus::CANCELLED);
            }
        });
        if !armed {
            pending.complete(NtStatus::CANCELLED);
            return dispatched;
        }
        let mut st = self.queue.items.lock();
        if st.stop {
            drop(st);
            pending.complete(NtStatus::DEVICE_NOT_READY);
            return dispatched;
        }
        st.irps.push_back(pending);
        drop(st);
        self.queue.ready.notify_one();
        dispatched
    }

    /// Stops the thread and cancels whatever is still queued.
    pub(crate) fn stop(&self) {
        let leftovers: Vec<PendingIrp<MemFs>> = {
            let mut st = self.queue.items.lock();
            st.stop = true;
            st.irps.drain(..).collect()
        };
        self.queue.ready.notify_all();
        for irp in leftovers {
            irp.complete(NtStatus::CANCELLED);
        }
        if let Some(thread) = self.thread.lock().take() {
            if thread.join().is_err() {
                tracing::error!("memfs: the worker thread panicked");
            }
        }
    }
}

fn worker_loop(queue: &Queue, run: fn(&PendingIrp<MemFs>) -> lwio_core::IrpResult) {
    loop {
        let irp = {
            let mut st = queue.items.lock();
            loop {
                if st.stop {
                    return;
                }
                if let Some(irp) = st.irps.pop_front() {
                    break irp;
                }
                queue.ready.wait(&mut st);
            }
        };
        // Taken out of the queue: a cancel routine running now finds nothing, so this
        // thread is the only one that can complete the IRP.
        irp.clear_cancel_routine();
        let result = run(&irp);
        irp.complete_result(result);
    }
}
