//! Where PVFS runs requests (`exec`): blocking ones on the volume's work queue while the
//! IRP is pending, memory-answered ones on the caller's thread; a blocked operation delays
//! neither another handle's on another worker nor the fast path; queued work is cancelled
//! with its IRP and bounded; creates serialise per directory, not per volume.
//!
//! Operations are held at PVFS's test seams on channels: nothing here waits on a clock
//! (the deadlines only turn a hang into a failure).

#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{ALL, DIR, RW, Share, req};
use lwio_core::irp::{
    ControlRequest, LockRequest, NotifyFilter, NotifyRequest, QueryInfoRequest, ReadRequest,
    SetInfoRequest, UnlockRequest,
};
use lwio_core::{
    CreateAction, CreateDisposition as D, FileAttributes, FileHandle, FileInfoClass, FsInfoClass,
    IrpFuture, IrpRequest, IrpType, NtStatus, ShareAccess, WorkQueue, WorkQueueConfig, block_on,
};
use lwio_fscc::{CtlCode, FileBasicInformation};
use lwio_pvfs::{Execution, PvfsConfig, Seam, Seams};

const DEADLINE: Duration = Duration::from_secs(20);

/// Holds the operations a predicate picks at PVFS's seams, and records every seam reached.
struct Hold {
    /// Each held operation's seam, when it is reached.
    reached: Receiver<String>,
    /// Every seam reached, in order (held ones included).
    events: Receiver<String>,
    seen: Arc<Mutex<Vec<String>>>,
    /// One message lets one held operation go on.
    release: Sender<()>,
}

impl Hold {
    fn new(which: impl Fn(&Seam<'_>) -> bool + Send + Sync + 'static) -> (Seams, Hold) {
        let (reached_tx, reached) = channel();
        let (events_tx, events) = channel();
        let (release, release_rx) = channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let seams = Seams(Arc::new(move |seam: Seam<'_>| {
            let what = describe(&seam);
            log.lock().unwrap().push(what.clone());
            let _ = events_tx.send(what.clone());
            if which(&seam) {
                let _ = reached_tx.send(what);
                // Held until released, or at most until the deadline: an operation held
                // where it should not be (on the test's own thread, or in front of what
                // should overlap it) then makes the test fail instead of hang.
                let _ = release_rx.lock().unwrap().recv_timeout(DEADLINE);
            }
        }));
        (
            seams,
            Hold {
                reached,
                events,
                seen,
                release,
            },
        )
    }

    /// Waits until an operation is held at the seam described `what`.
    fn reached(&self, what: &str) {
        assert_eq!(self.reached.recv_timeout(DEADLINE).unwrap(), what);
    }

    /// Waits until some operation reaches the seam described `what`.
    fn event(&self, what: &str) {
        loop {
            if self.events.recv_timeout(DEADLINE).unwrap() == what {
                return;
            }
        }
    }

    fn release(&self) {
        self.release.send(()).unwrap();
    }

    fn seen(&self, what: &str) -> bool {
        self.seen.lock().unwrap().iter().any(|s| s == what)
    }
}

fn describe(seam: &Seam<'_>) -> String {
    match seam {
        Seam::Work { request, path } => format!("work {request:?} {path}"),
        Seam::Creating { path } => format!("creating {path}"),
        Seam::Made { path } => format!("made {path}"),
        Seam::DirectoryBusy { path } => format!("busy {path}"),
        other => format!("{other:?}"),
    }
}

fn queue(threads: usize, limit: usize) -> Execution {
    Execution::Queue(WorkQueue::new(
        WorkQueueConfig::new(threads, limit).named("pvfs-test"),
    ))
}

fn share(execution: Execution, seams: Seams) -> Share {
    let mut config = PvfsConfig::default();
    config.execution = execution;
    config.seams = Some(seams);
    Share::with(config)
}

/// Holds the first read of `path` before it runs.
fn hold_reads_of(path: &'static str) -> (Seams, Hold) {
    let first = AtomicBool::new(true);
    Hold::new(move |s| {
        matches!(s, Seam::Work { request: IrpType::Read, path: p } if *p == path)
            && first.swap(false, Ordering::SeqCst)
    })
}

fn read_irp(h: &FileHandle) -> IrpFuture {
    h.call(IrpRequest::Read(ReadRequest {
        offset: 0,
        length: 4,
        key: None,
    }))
}

fn query(class: FileInfoClass) -> IrpRequest {
    IrpRequest::QueryInformation(QueryInfoRequest {
        class,
        length: 4096,
    })
}

#[test]
fn a_blocked_operation_delays_neither_another_worker_nor_the_fast_path() {
    let (seams, hold) = hold_reads_of("a.txt");
    let s = share(queue(2, 16), seams);
    s.file_with("a.txt", b"aaaa");
    s.file_with("b.txt", b"bbbb");
    let a = s.all("a.txt");
    let b = s.all("b.txt");
    let blocked = read_irp(&a);
    hold.reached("work Read a.txt");
    // Another handle, on the other worker: its read, a query, a create and a close.
    assert_eq!(block_on(b.read(0, 4)).unwrap(), b"bbbb");
    assert!(block_on(b.query_information(FileInfoClass::BASIC, 40)).is_ok());
    let c = s.open("c.txt", req(RW, D::CREATE)).unwrap();
    assert_eq!(block_on(c.close()), NtStatus::SUCCESS);
    // The blocked handle itself, on the fast path.
    let position = a.call(query(FileInfoClass::POSITION));
    assert!(position.is_done(), "answered on this thread");
    assert_eq!(position.wait().status, NtStatus::SUCCESS);
    assert!(!blocked.is_done());
    hold.release();
    let result = blocked.wait();
    assert_eq!(
        (result.status, result.output),
        (NtStatus::SUCCESS, b"aaaa".to_vec())
    );
}

#[test]
fn requests_answered_from_memory_never_wait_for_a_worker() {
    let (seams, hold) = hold_reads_of("a.txt");
    let s = share(queue(1, 16), seams);
    s.file_with("a.txt", b"aaaa");
    s.file_with("b.txt", b"bbbb");
    s.mkdir("d");
    let a = s.all("a.txt");
    let b = s.all("b.txt");
    let d = s.dir_handle("d");
    // The only worker is held: whatever needs one waits.
    let blocked = read_irp(&a);
    hold.reached("work Read a.txt");
    let needs_worker = b.call(query(FileInfoClass::BASIC));
    assert!(!needs_worker.is_done() && !needs_worker.is_pending());
    let fs = |class| {
        IrpRequest::QueryVolumeInformation(QueryInfoRequest {
            class,
            length: 4096,
        })
    };
    let cases = [
        ("access", query(FileInfoClass::ACCESS), NtStatus::SUCCESS),
        (
            "position",
            query(FileInfoClass::POSITION),
            NtStatus::SUCCESS,
        ),
        ("mode", query(FileInfoClass::MODE), NtStatus::SUCCESS),
        (
            "alignment",
            query(FileInfoClass::ALIGNMENT),
            NtStatus::SUCCESS,
        ),
        ("name", query(FileInfoClass::NAME), NtStatus::SUCCESS),
        (
            "normalized name",
            query(FileInfoClass::NORMALIZED_NAME),
            NtStatus::SUCCESS,
        ),
        (
            "set position",
            IrpRequest::SetInformation(SetInfoRequest {
                class: FileInfoClass::POSITION,
                data: 2u64.to_le_bytes().to_vec().into(),
            }),
            NtStatus::SUCCESS,
        ),
        (
            "set mode",
            IrpRequest::SetInformation(SetInfoRequest {
                class: FileInfoClass::MODE,
                data: 0u32.to_le_bytes().to_vec().into(),
            }),
            NtStatus::SUCCESS,
        ),
        ("fs device", fs(FsInfoClass::DEVICE), NtStatus::SUCCESS),
        (
            "fs attribute",
            fs(FsInfoClass::ATTRIBUTE),
            NtStatus::SUCCESS,
        ),
        (
            "fs sector size",
            fs(FsInfoClass::SECTOR_SIZE),
            NtStatus::SUCCESS,
        ),
        ("fs control", fs(FsInfoClass::CONTROL), NtStatus::SUCCESS),
        (
            "set volume information",
            IrpRequest::SetVolumeInformation(SetInfoRequest {
                class: FsInfoClass::LABEL,
                data: vec![0; 8].into(),
            }),
            NtStatus::ACCESS_DENIED,
        ),
        (
            "lock",
            IrpRequest::Lock(LockRequest {
                offset: 0,
                length: 1,
                key: 0,
                exclusive: true,
                fail_immediately: true,
            }),
            NtStatus::SUCCESS,
        ),
        (
            "unlock",
            IrpRequest::Unlock(UnlockRequest {
                offset: 0,
                length: 1,
                key: 0,
            }),
            NtStatus::SUCCESS,
        ),
        (
            "get compression",
            IrpRequest::FsControl(ControlRequest {
                code: CtlCode::FSCTL_GET_COMPRESSION.0,
                input: Vec::new().into(),
                max_output: 2,
            }),
            NtStatus::SUCCESS,
        ),
    ];
    for (what, request, status) in cases {
        let f = b.call(request);
        assert!(f.is_done(), "{what} waited for a worker");
        assert_eq!(f.wait().status, status, "{what}");
    }
    // Change notify pends in the notifier, not on the queue: a protocol head may go async.
    let watch = d.call(IrpRequest::ReadDirectoryChange(NotifyRequest {
        filter: NotifyFilter::FILE_NAME,
        watch_tree: false,
        length: 4096,
    }));
    assert!(watch.is_pending());
    // Close too; the query it leaves queued still answers afterwards (as Windows answers
    // a request sent before a close), while the change notify ends with the close.
    let close = pin!(b.close());
    assert_eq!(
        close.poll(&mut Context::from_waker(Waker::noop())),
        Poll::Ready(NtStatus::SUCCESS)
    );
    drop(d);
    assert_eq!(watch.wait().status, NtStatus::NOTIFY_CLEANUP);
    assert!(!needs_worker.is_done());
    hold.release();
    assert_eq!(blocked.wait().status, NtStatus::SUCCESS);
    assert_eq!(needs_worker.wait().status, NtStatus::SUCCESS);
}

#[test]
fn queued_work_is_cancelled_with_its_irp_and_a_started_one_finishes() {
    let (seams, hold) = hold_reads_of("a.txt");
    let s = share(queue(1, 16), seams);
    s.file_with("a.txt", b"aaaa");
    s.file_with("b.txt", b"bbbb");
    let a = s.all("a.txt");
    let b = s.all("b.txt");
    let blocked = read_irp(&a);
    hold.reached("work Read a.txt");
    let waiting = read_irp(&b);
    waiting.canceller().unwrap().cancel();
    assert_eq!(waiting.wait().status, NtStatus::CANCELLED);
    // So does cancelling the file's I/O (CancelIoEx), and dropping the caller's future.
    let orphan = read_irp(&b);
    assert_eq!(s.io.cancel_file(&b), 1);
    assert_eq!(orphan.wait().status, NtStatus::CANCELLED);
    drop(b.read(0, 4));
    // A create cancelled while queued makes nothing.
    {
        let mut create = pin!(s.io.create_file("/s/never.txt", req(RW, D::CREATE)));
        let cx = &mut Context::from_waker(Waker::noop());
        assert!(create.as_mut().poll(cx).is_pending());
    }
    // The held read was started: cancelling it changes nothing, it runs to completion.
    blocked.canceller().unwrap().cancel();
    hold.release();
    let result = blocked.wait();
    assert_eq!(
        (result.status, result.output),
        (NtStatus::SUCCESS, b"aaaa".to_vec())
    );
    // Nothing cancelled ever ran (a later read on the same worker shows it is free).
    assert_eq!(block_on(a.read(0, 1)).unwrap(), b"a");
    assert!(!hold.seen("work Read b.txt"));
    assert!(!hold.seen("work Create never.txt"));
    assert!(!s.path("never.txt").exists());
    assert_eq!(s.io.rundown().pending_irps, 0);
}

#[test]
fn a_full_queue_fails_requests_with_insufficient_resources() {
    let (seams, hold) = hold_reads_of("a.txt");
    let s = share(queue(1, 1), seams);
    s.file_with("a.txt", b"aaaa");
    let a = s.all("a.txt");
    let blocked = read_irp(&a);
    hold.reached("work Read a.txt");
    let queued = read_irp(&a);
    let refused = read_irp(&a);
    assert!(refused.is_done(), "refused at once, not held");
    assert_eq!(refused.wait().status, NtStatus::INSUFFICIENT_RESOURCES);
    assert_eq!(
        s.open("new.txt", req(RW, D::CREATE)).err(),
        Some(NtStatus::INSUFFICIENT_RESOURCES)
    );
    assert!(!s.path("new.txt").exists());
    hold.release();
    assert_eq!(blocked.wait().status, NtStatus::SUCCESS);
    assert_eq!(queued.wait().status, NtStatus::SUCCESS);
    assert!(s.open("new.txt", req(RW, D::CREATE)).is_ok());
}

#[test]
fn work_runs_on_the_queue_and_on_the_caller_thread_when_asked() {
    let threads = Arc::new(Mutex::new(Vec::new()));
    let record = |threads: &Arc<Mutex<Vec<String>>>| {
        let threads = Arc::clone(threads);
        Seams(Arc::new(move |seam: Seam<'_>| {
            if let Seam::Work { .. } = seam {
                let me = std::thread::current();
                threads
                    .lock()
                    .unwrap()
                    .push(me.name().unwrap_or("").to_owned());
            }
        }))
    };
    let s = share(queue(2, 16), record(&threads));
    s.file_with("a.txt", b"aaaa");
    let names = std::mem::take(&mut *threads.lock().unwrap());
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| n.starts_with("pvfs-test-")),
        "{names:?}"
    );

    let s = share(Execution::CallerThread, record(&threads));
    let me = std::thread::current().name().unwrap_or("").to_owned();
    let f = s.open("b.txt", req(RW, D::CREATE)).unwrap();
    let write = f.write(0, b"bb".to_vec());
    let read = read_irp(&f);
    assert!(read.is_done(), "completed before dispatch returned");
    assert_eq!(block_on(write).unwrap(), 2);
    assert_eq!(read.wait().output, b"bb");
    let names = threads.lock().unwrap().clone();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| *n == me), "{names:?}");
}

#[test]
fn creates_in_two_directories_overlap_and_in_one_they_wait() {
    let (seams, hold) = Hold::new(|s| matches!(s, Seam::Creating { path: "a/x" }));
    let s = share(queue(4, 16), seams);
    s.mkdir("a");
    s.mkdir("b");
    let s = &s;
    std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            s.open("a/x", req(RW, D::OPEN_IF))
                .map(|h| h.create_action())
        });
        hold.reached("creating a/x");
        // Another directory: made while the first create holds its own.
        let other = s.open("b/y", req(RW, D::CREATE)).unwrap();
        assert_eq!(other.create_action(), CreateAction::CREATED);
        assert!(!first.is_finished(), "the first create is still held");
        // Another spelling of the held directory is the same directory: it waits.
        let (done_tx, done) = channel();
        let second = scope.spawn(move || {
            let r = s
                .open("A/z", req(RW, D::OPEN_IF))
                .map(|h| h.create_action());
            done_tx.send(()).unwrap();
            r
        });
        hold.event("busy A/z");
        assert!(
            done.try_recv().is_err(),
            "went in while the directory was held"
        );
        assert!(!hold.seen("creating A/z"));
        hold.release();
        assert_eq!(first.join().unwrap(), Ok(CreateAction::CREATED));
        assert_eq!(second.join().unwrap(), Ok(CreateAction::CREATED));
    });
    assert!(s.path("a/x").exists() && s.path("a/z").exists());
}

#[test]
fn a_second_create_of_a_name_waits_until_the_first_has_finished_the_file() {
    let (seams, hold) = Hold::new(|s| matches!(s, Seam::Made { path: "d/x" }));
    let s = share(queue(4, 16), seams);
    s.mkdir("d");
    let hidden = || {
        req(ALL, D::OPEN_IF)
            .share(ShareAccess::ALL)
            .attributes(FileAttributes::HIDDEN)
    };
    std::thread::scope(|scope| {
        let first = scope.spawn(|| s.open("d/x", hidden()).map(|h| h.create_action()));
        hold.reached("made d/x");
        // The name is on disk, without its attributes yet.
        assert!(s.path("d/x").exists());
        let second = scope.spawn(|| s.open("d/X", req(ALL, D::OPEN_IF).share(ShareAccess::ALL)));
        hold.event("busy d/X");
        hold.release();
        assert_eq!(first.join().unwrap(), Ok(CreateAction::CREATED));
        let second = second.join().unwrap().unwrap();
        assert_eq!(second.create_action(), CreateAction::OPENED);
        let basic = block_on(second.query_information(FileInfoClass::BASIC, 40)).unwrap();
        let basic = FileBasicInformation::decode(&basic).unwrap();
        assert!(basic.file_attributes.contains(FileAttributes::HIDDEN));
    });
    // A directory create holds its own parent the same way.
    let d = s.open("d/sub", req(RW, D::CREATE).options(DIR)).unwrap();
    assert_eq!(d.create_action(), CreateAction::CREATED);
}
