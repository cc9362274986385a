//! Work queues: IRPs a driver queues run on worker threads and complete from there; the
//! queue is bounded in threads and in waiting items (STATUS_INSUFFICIENT_RESOURCES beyond);
//! a waiting item is cancelled with its IRP, a started one runs to completion; a panic in
//! the work fails only its IRP. Every wait here is on a channel, never on a clock (the
//! timeouts only turn a hang into a failure).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, Dispatched, Driver, FileHandle,
    IoManager, Irp, IrpRequest, IrpResult, NtStatus, WorkQueue, WorkQueueConfig, block_on,
};

/// A hang becomes a failure after this long.
const DEADLINE: Duration = Duration::from_secs(20);

/// Offsets that tell the driver's work what to do.
const BLOCK: u64 = 1 << 40;
const PANIC: u64 = 1 << 41;

/// A driver that queues every read on its work queue. The work reports its offset when
/// it starts; a read at `BLOCK | n` then waits for a release; one at `PANIC` panics. The
/// answer is the worker thread's name and whether it was one of the queue's workers.
struct Queued {
    queue: WorkQueue,
    started: Mutex<Sender<u64>>,
    release: Arc<Mutex<Receiver<()>>>,
    runs: AtomicUsize,
}

struct Probe {
    io: IoManager,
    driver: Arc<Queued>,
    started: Receiver<u64>,
    release: Sender<()>,
}

impl Driver for Queued {
    type Device = ();
    type File = ();

    fn name(&self) -> &str {
        "queued"
    }

    fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
        let IrpRequest::Read(read) = irp.request() else {
            return irp.complete(NtStatus::SUCCESS);
        };
        let offset = read.offset;
        let started = self.started.lock().unwrap().clone();
        let release = Arc::clone(&self.release);
        let queue = self.queue.clone();
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.queue.queue_irp(irp, move |_pending| {
            let _ = started.send(offset);
            if offset & BLOCK != 0 {
                release.lock().unwrap().recv().unwrap();
            }
            if offset == PANIC {
                panic!("work item panics on purpose");
            }
            let thread = std::thread::current();
            let answer = format!(
                "{} {}",
                thread.name().unwrap_or("?"),
                queue.is_worker_thread()
            );
            IrpResult::with_output(NtStatus::SUCCESS, answer.into_bytes())
        })
    }
}

fn probe(config: WorkQueueConfig) -> Probe {
    let (started_tx, started) = channel();
    let (release, release_rx) = channel();
    let driver = Arc::new(Queued {
        queue: WorkQueue::new(config),
        started: Mutex::new(started_tx),
        release: Arc::new(Mutex::new(release_rx)),
        runs: AtomicUsize::new(0),
    });
    let io = IoManager::new();
    io.add_device("q", Arc::clone(&driver), ()).unwrap();
    Probe {
        io,
        driver,
        started,
        release,
    }
}

impl Probe {
    fn open(&self, name: &str) -> FileHandle {
        let token = Arc::new(AccessToken::system());
        let req = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
        block_on(self.io.create_file(&format!("/q/{name}"), req)).unwrap()
    }

    /// Waits until a worker has started the read at `offset`.
    fn started(&self, offset: u64) {
        assert_eq!(self.started.recv_timeout(DEADLINE).unwrap(), offset);
    }

    fn load(&self) -> lwio_core::workqueue::WorkQueueLoad {
        self.driver.queue.load()
    }
}

#[test]
fn a_queued_irp_completes_from_a_worker_thread() {
    let p = probe(WorkQueueConfig::new(2, 8).named("probe"));
    assert_eq!(p.load().threads, 0, "no thread before work arrives");
    let f = p.open("a");
    let answer = block_on(f.read(7, 1)).unwrap();
    assert_eq!(String::from_utf8(answer).unwrap(), "probe-1 true");
    assert!(!p.driver.queue.is_worker_thread());
    // Awaited from a runtime too: the future is woken from the worker.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let answer = rt.block_on(async { f.read(8, 1).await }).unwrap();
    assert!(String::from_utf8(answer).unwrap().starts_with("probe-"));
}

#[test]
fn a_queued_irp_is_not_pending_to_a_protocol_head_but_not_done_either() {
    let p = probe(WorkQueueConfig::new(1, 8));
    let f = p.open("a");
    let read = f.call(IrpRequest::Read(lwio_core::irp::ReadRequest {
        offset: BLOCK,
        length: 1,
        key: None,
    }));
    p.started(BLOCK);
    assert!(!read.is_pending(), "no interim response for queued work");
    assert!(!read.is_done());
    assert!(read.canceller().is_some());
    p.release.send(()).unwrap();
    assert_eq!(read.wait().status, NtStatus::SUCCESS);
}

#[test]
fn a_waiting_item_is_cancelled_with_its_irp_and_never_runs() {
    let p = probe(WorkQueueConfig::new(1, 8));
    let f = p.open("a");
    let blocked = f.read(BLOCK, 1);
    p.started(BLOCK);
    // The only worker is busy: this one waits in the queue.
    let waiting = f.read(5, 1);
    assert_eq!(p.load().queued, 1);
    waiting.canceller().unwrap().cancel();
    assert_eq!(block_on(waiting), Err(NtStatus::CANCELLED));
    assert_eq!(p.load().queued, 0);
    p.release.send(()).unwrap();
    assert!(block_on(blocked).is_ok());
    // The cancelled item never started: the next start the driver reports is a new read.
    let next = f.read(6, 1);
    p.started(6);
    assert!(block_on(next).is_ok());
}

#[test]
fn dropping_the_future_cancels_a_waiting_item_closing_the_file_does_not() {
    let p = probe(WorkQueueConfig::new(1, 8));
    let holder = p.open("holder");
    let blocked = holder.read(BLOCK, 1);
    p.started(BLOCK);
    let f = p.open("f");
    drop(f.read(1, 1));
    assert_eq!(p.load().queued, 0, "the dropped future took its item out");
    // A close leaves queued work to finish, as Windows' cleanup does.
    let waiting = f.read(2, 1);
    assert_eq!(block_on(f.close()), NtStatus::SUCCESS);
    assert_eq!(p.load().queued, 1);
    // cancel_file (CancelIoEx) cancels it, as does shutdown.
    let other = p.open("g");
    let cancelled = other.read(3, 1);
    assert_eq!(p.io.cancel_file(&other), 1);
    assert_eq!(block_on(cancelled), Err(NtStatus::CANCELLED));
    p.release.send(()).unwrap();
    assert!(block_on(blocked).is_ok());
    p.started(2);
    assert!(block_on(waiting).is_ok());
    assert_eq!(p.io.rundown().pending_irps, 0);
}

#[test]
fn a_started_item_runs_to_completion_when_cancelled() {
    let p = probe(WorkQueueConfig::new(1, 8));
    let f = p.open("a");
    let read = f.read(BLOCK | 1, 1);
    p.started(BLOCK | 1);
    read.canceller().unwrap().cancel();
    p.release.send(()).unwrap();
    let answer = block_on(read).unwrap();
    assert!(String::from_utf8(answer).unwrap().ends_with("true"));
}

#[test]
fn a_full_queue_refuses_with_insufficient_resources_at_once() {
    let p = probe(WorkQueueConfig::new(1, 2));
    let f = p.open("a");
    let blocked = f.read(BLOCK, 1);
    p.started(BLOCK);
    let a = f.read(1, 1);
    let b = f.read(2, 1);
    assert_eq!(p.load().queued, 2);
    let refused = f.call(IrpRequest::Read(lwio_core::irp::ReadRequest {
        offset: 3,
        length: 1,
        key: None,
    }));
    assert!(refused.is_done(), "refused on the dispatching thread");
    assert_eq!(refused.wait().status, NtStatus::INSUFFICIENT_RESOURCES);
    p.release.send(()).unwrap();
    for r in [blocked, a, b] {
        assert!(block_on(r).is_ok());
    }
    // Room again.
    assert!(block_on(f.read(4, 1)).is_ok());
}

#[test]
fn workers_are_bounded_and_run_items_side_by_side() {
    let p = probe(WorkQueueConfig::new(2, 8));
    let f = p.open("a");
    let reads: Vec<_> = (0..4).map(|i| f.read(BLOCK | i, 1)).collect();
    // Two start at once (two workers), the other two wait for them.
    let mut first = [
        p.started.recv_timeout(DEADLINE).unwrap(),
        p.started.recv_timeout(DEADLINE).unwrap(),
    ];
    first.sort_unstable();
    assert_eq!(first, [BLOCK, BLOCK | 1]);
    let load = p.load();
    assert_eq!((load.threads, load.running, load.queued), (2, 2, 2));
    for _ in 0..4 {
        p.release.send(()).unwrap();
    }
    for r in reads {
        assert!(block_on(r).is_ok());
    }
    assert_eq!(p.load().threads, 2);
    assert_eq!(p.driver.runs.load(Ordering::SeqCst), 4);
}

#[test]
fn a_panicking_item_fails_its_irp_and_the_worker_goes_on() {
    let p = probe(WorkQueueConfig::new(1, 8));
    let f = p.open("a");
    assert_eq!(block_on(f.read(PANIC, 1)), Err(NtStatus::INTERNAL_ERROR));
    p.started(PANIC);
    assert!(block_on(f.read(9, 1)).is_ok());
    assert_eq!(p.load().threads, 1, "the same worker");
}

#[test]
fn idle_workers_exit_and_come_back() {
    let mut config = WorkQueueConfig::new(1, 8);
    config.idle_timeout = Duration::from_millis(1);
    let p = probe(config);
    let f = p.open("a");
    assert!(block_on(f.read(1, 1)).is_ok());
    // The worker exits once idle; the next item starts another (the second name).
    let mut answer = String::new();
    for _ in 0..1000 {
        if p.load().threads == 0 {
            answer = String::from_utf8(block_on(f.read(2, 1)).unwrap()).unwrap();
            break;
        }
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(answer.starts_with("lwio-work-2 "), "{answer:?}");
}
