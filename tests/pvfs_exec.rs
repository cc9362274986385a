//! PVFS under an async runtime: a PVFS operation that blocks (held at a test seam, as a
//! slow disk would hold it) occupies a work-queue thread, not the runtime's. On a runtime
//! with a single thread, another task's read, query, create and close complete while the
//! first task waits; and the waiting task's future is woken from the worker when its
//! operation is let go.
//!
//! Nothing here waits on a clock: operations are held and released on channels (the
//! deadlines only turn a hang into a failure). With PVFS on the caller's thread
//! (`Execution::CallerThread`) the held read would hold the runtime's only thread, the
//! second task would never run, and the test fails at its first deadline.

#![allow(clippy::unwrap_used)]

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lwio::core::irp::QueryInfoRequest;
use lwio::core::{
    CreateDisposition, FileHandle, FileInfoClass, IrpRequest, IrpType, ShareAccess, WorkQueue,
    WorkQueueConfig,
};
use lwio::pvfs::{Execution, PvfsConfig, Seam, Seams};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, NtStatus};

/// The test's own waits give up after this long.
const DEADLINE: Duration = Duration::from_secs(20);
/// A held operation goes on by itself after this long, so a failing test ends.
const WATCHDOG: Duration = Duration::from_secs(40);

/// Holds the first read of `slow.txt` at its seam until released.
fn hold_slow_read() -> (Seams, Receiver<()>, Sender<()>) {
    let (reached_tx, reached) = channel();
    let (release, release_rx) = channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let first = std::sync::atomic::AtomicBool::new(true);
    let seams = Seams(Arc::new(move |seam: Seam<'_>| {
        if let Seam::Work {
            request: IrpType::Read,
            path: "slow.txt",
        } = seam
        {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                let _ = reached_tx.send(());
                let _ = release_rx.lock().unwrap().recv_timeout(WATCHDOG);
            }
        }
    }));
    (seams, reached, release)
}

fn request(access: AccessMask, disposition: CreateDisposition) -> CreateRequest {
    CreateRequest::new(Arc::new(AccessToken::system()), access, disposition).share(ShareAccess::ALL)
}

async fn open(io: &IoManager, name: &str) -> FileHandle {
    let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
    io.create_file(&format!("/s/{name}"), request(rw, CreateDisposition::OPEN))
        .await
        .unwrap()
}

#[test]
fn a_blocked_pvfs_operation_does_not_hold_the_runtime_thread() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("slow.txt"), b"slow").unwrap();
    std::fs::write(dir.path().join("fast.txt"), b"fast").unwrap();
    let (seams, reached, release) = hold_slow_read();
    let mut config = PvfsConfig::default();
    config.execution = Execution::Queue(WorkQueue::new(WorkQueueConfig::new(2, 64)));
    config.seams = Some(seams);
    let io = IoManager::new();
    lwio::pvfs::mount(&io, "s", dir.path(), config).unwrap();

    let (slow_done_tx, slow_done) = channel();
    let (fast_done_tx, fast_done) = channel();
    let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
    let runtime = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move {
            let slow = open(&io, "slow.txt").await;
            let fast = open(&io, "fast.txt").await;
            // The first task's read is held on a worker: the runtime's thread goes on.
            let waiting = tokio::spawn(async move {
                let data = slow.read(0, 4).await;
                slow_done_tx.send(data).unwrap();
            });
            // The other task starts once the slow read is held (the test thread says so).
            let other = tokio::spawn(async move {
                go_rx.await.unwrap();
                let data = fast.read(0, 4).await.unwrap();
                let position = fast
                    .call(IrpRequest::QueryInformation(QueryInfoRequest {
                        class: FileInfoClass::POSITION,
                        length: 8,
                    }))
                    .await;
                let made = io
                    .create_file(
                        "/s/new.txt",
                        request(AccessMask::GENERIC_ALL, CreateDisposition::CREATE),
                    )
                    .await
                    .unwrap();
                let closed = made.close().await;
                fast_done_tx.send((data, position.status, closed)).unwrap();
            });
            other.await.unwrap();
            waiting.await.unwrap();
        });
    });
    reached
        .recv_timeout(DEADLINE)
        .expect("the slow read reached its seam");
    go.send(()).unwrap();
    let (data, position, closed) = fast_done
        .recv_timeout(DEADLINE)
        .expect("the other task ran while the slow read was held");
    assert_eq!(data, b"fast");
    assert_eq!((position, closed), (NtStatus::SUCCESS, NtStatus::SUCCESS));
    assert!(dir.path().join("new.txt").exists());
    assert!(slow_done.try_recv().is_err(), "still held");
    release.send(()).unwrap();
    let slow = slow_done.recv_timeout(DEADLINE).unwrap();
    assert_eq!(slow.unwrap(), b"slow");
    runtime.join().unwrap();
}
