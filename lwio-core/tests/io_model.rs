//! The I/O model end to end: namespace, create, access checks, synchronous and pending
//! completion (future, blocking wait, callback), cancellation and its races, close,
//! rundown and shutdown.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Gate, open, rw, token};
use lwio_core::{
    AccessMask, CreateAction, CreateDisposition, CreateRequest, EcpList, FileInfoClass, FileState,
    IoManager, IrpRequest, NtStatus, block_on,
};

fn gate_manager(cancellable: bool) -> (IoManager, Arc<Gate>) {
    let io = IoManager::new();
    let gate = Gate::new(cancellable);
    io.add_device("gate", Arc::clone(&gate), ()).unwrap();
    (io, gate)
}

#[test]
fn bad_paths_are_clear_statuses() {
    let (io, gate) = gate_manager(true);
    let cases = [
        ("relative/path", NtStatus::OBJECT_PATH_SYNTAX_BAD),
        ("", NtStatus::OBJECT_PATH_SYNTAX_BAD),
        ("/", NtStatus::OBJECT_PATH_SYNTAX_BAD),
        ("//gate/x", NtStatus::OBJECT_PATH_SYNTAX_BAD),
        ("/gate/a\0b", NtStatus::OBJECT_NAME_INVALID),
        ("/nodev", NtStatus::OBJECT_NAME_NOT_FOUND),
        ("/nodev/file", NtStatus::OBJECT_PATH_NOT_FOUND),
        ("/gate/missing", NtStatus::OBJECT_NAME_NOT_FOUND),
    ];
    for (path, want) in cases {
        let got = block_on(io.create_file(path, open(rw()))).map(|_| ());
        assert_eq!(got, Err(want), "{path:?}");
    }
    // Only the last one reached the driver.
    assert_eq!(gate.seen.load(Ordering::SeqCst), 1);
    assert!(io.rundown().is_empty());
}

#[test]
fn device_names_are_case_insensitive_and_unique() {
    let (io, _gate) = gate_manager(true);
    assert_eq!(
        io.add_device("GATE", Gate::new(true), ()),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    assert_eq!(
        io.add_device("a/b", Gate::new(true), ()),
        Err(NtStatus::OBJECT_NAME_INVALID)
    );
    let file = block_on(io.create_file("/GaTe/Some/Path", open(rw()))).unwrap();
    assert_eq!(file.file().device_name(), "gate");
    assert_eq!(file.file().path(), "Some/Path");
    assert_eq!(file.create_action(), CreateAction::OPENED);
    assert_eq!(
        io.devices(),
        vec![("gate".to_string(), vec!["gate".to_string()])]
    );
}

#[test]
fn driver_file_context_is_typed_and_per_file() {
    let (io, _gate) = gate_manager(true);
    let a = block_on(io.create_file("/gate/a", open(rw()))).unwrap();
    let b = block_on(io.create_file("/gate/b", open(rw()))).unwrap();
    let q = |f: &lwio_core::FileHandle| {
        block_on(f.query_information(FileInfoClass::STANDARD, 100)).unwrap()
    };
    assert_eq!(q(&a), b"a");
    assert_eq!(q(&b), b"b");
}

#[test]
fn access_is_checked_before_the_driver_sees_the_irp() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(AccessMask::GENERIC_READ))).unwrap();
    let before = gate.seen.load(Ordering::SeqCst);
    assert_eq!(
        block_on(file.write(0, &b"x"[..])),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(block_on(file.flush()), Err(NtStatus::ACCESS_DENIED));
    // FileBasicInformation needs FILE_READ_ATTRIBUTES, which GENERIC_READ maps to.
    assert!(block_on(file.query_information(FileInfoClass::BASIC, 40)).is_ok());
    assert_eq!(gate.seen.load(Ordering::SeqCst), before + 1);
    // The grant is what GENERIC_READ maps to.
    assert_eq!(file.file().granted_access(), AccessMask::FILE_GENERIC_READ);

    let wo = block_on(io.create_file("/gate/f", open(AccessMask::FILE_WRITE_DATA))).unwrap();
    assert_eq!(block_on(wo.read(0, 1)), Err(NtStatus::ACCESS_DENIED));
    assert_eq!(
        block_on(wo.set_information(FileInfoClass::DISPOSITION, vec![1])),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(block_on(wo.write(0, &b"abc"[..])), Ok(3));
    // MAXIMUM_ALLOWED with no driver grant: every file right.
    let max = block_on(io.create_file("/gate/f", open(AccessMask::MAXIMUM_ALLOWED))).unwrap();
    assert_eq!(max.file().granted_access(), AccessMask::FILE_ALL_ACCESS);
}

#[test]
fn create_and_close_are_not_sent_through_call() {
    let (io, _gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let r = block_on(file.call(IrpRequest::Close));
    assert_eq!(r.status, NtStatus::INVALID_PARAMETER);
    assert_eq!(file.file().state(), FileState::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_irp_completed_from_another_thread_wakes_the_future() {
    let (io, gate) = gate_manager(true);
    let file = io.create_file("/gate/f", open(rw())).await.unwrap();
    let read = file.read(0, 5);
    let g = Arc::clone(&gate);
    let releaser = std::thread::spawn(move || {
        while g.held_count() == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        g.release_all(b"hello")
    });
    assert_eq!(read.await.unwrap(), b"hello");
    assert_eq!(releaser.join().unwrap(), 1);
    assert_eq!(io.rundown().pending_irps, 0);
}

#[test]
fn pending_irp_blocking_wait_and_callback() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();

    // Blocking wait, completed from a task on another thread.
    let future = file.call(IrpRequest::Read(lwio_core::irp::ReadRequest {
        offset: 0,
        length: 3,
        key: None,
    }));
    assert!(future.is_pending());
    let g = Arc::clone(&gate);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        g.release_all(b"abc");
    });
    let result = future.wait();
    t.join().unwrap();
    assert_eq!(
        (result.status, result.output),
        (NtStatus::SUCCESS, b"abc".to_vec())
    );

    // Callback: registered while pending, runs on the completing thread, exactly once.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let (tx, rx) = std::sync::mpsc::channel();
    file.call(IrpRequest::Read(lwio_core::irp::ReadRequest {
        offset: 0,
        length: 3,
        key: None,
    }))
    .on_complete(move |r| {
        c.fetch_add(1, Ordering::SeqCst);
        tx.send(r.output).unwrap();
    });
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(io.rundown().pending_irps, 1);
    std::thread::spawn({
        let g = Arc::clone(&gate);
        move || g.release_all(b"xyz")
    })
    .join()
    .unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"xyz");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Callback on a synchronously completed IRP runs at once.
    let (tx, rx) = std::sync::mpsc::channel();
    file.call(IrpRequest::Write(lwio_core::irp::WriteRequest {
        offset: 0,
        data: bytes::Bytes::from_static(b"12"),
        key: None,
    }))
    .on_complete(move |r| tx.send(r.information).unwrap());
    assert_eq!(rx.try_recv().unwrap(), 2);
}

#[test]
fn cancel_file_cancels_through_the_cancel_routine() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    let b = file.call(IrpRequest::Read(read_req()));
    assert_eq!(io.rundown().pending_irps, 2);
    assert_eq!(io.cancel_file(&file), 2);
    assert_eq!(a.wait().status, NtStatus::CANCELLED);
    assert_eq!(b.wait().status, NtStatus::CANCELLED);
    assert_eq!(gate.held_count(), 0);
    assert_eq!(io.rundown().pending_irps, 0);
}

#[test]
fn without_a_cancel_routine_the_irp_stays_pending_until_completed() {
    let (io, gate) = gate_manager(false);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    assert_eq!(file.cancel(), 1);
    assert!(a.is_pending());
    let irp = gate.take_one().unwrap();
    assert!(irp.is_cancel_requested());
    irp.complete_with_output(NtStatus::SUCCESS, b"late".to_vec());
    let r = a.wait();
    assert_eq!((r.status, r.output), (NtStatus::SUCCESS, b"late".to_vec()));
}

#[test]
fn dropping_a_pending_irp_completes_it() {
    let (io, gate) = gate_manager(false);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    drop(gate.take_one());
    assert_eq!(a.wait().status, NtStatus::INTERNAL_ERROR);
    let b = file.call(IrpRequest::Read(read_req()));
    file.cancel();
    drop(gate.take_one());
    assert_eq!(b.wait().status, NtStatus::CANCELLED);
}

#[test]
fn dropping_the_future_cancels_the_irp() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    assert_eq!(gate.held_count(), 1);
    drop(a);
    assert_eq!(gate.held_count(), 0);
    assert_eq!(io.rundown().pending_irps, 0);
}

#[test]
fn canceller_handle_cancels_one_irp() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    let b = file.call(IrpRequest::Read(read_req()));
    let cancel_a = a.canceller().unwrap();
    cancel_a.cancel();
    assert_eq!(a.wait().status, NtStatus::CANCELLED);
    assert!(b.is_pending());
    gate.release_all(b"b");
    assert_eq!(b.wait().output, b"b");
    // Cancelling after completion is harmless.
    cancel_a.cancel();
    assert_eq!(io.rundown().pending_irps, 0);
}

/// Completion and cancellation race from two threads, many times: every IRP completes
/// exactly once, with either its real result or STATUS_CANCELLED, and nothing is left.
#[test]
fn complete_and_cancel_race_completes_each_irp_exactly_once() {
    let (io, gate) = gate_manager(true);
    let file = Arc::new(block_on(io.create_file("/gate/f", open(rw()))).unwrap());
    let completions = Arc::new(AtomicUsize::new(0));
    let (mut real, mut cancelled) = (0, 0);
    for round in 0..2000 {
        let (tx, rx) = std::sync::mpsc::channel();
        let c = Arc::clone(&completions);
        let future = file.call(IrpRequest::Read(read_req()));
        let canceller = future.canceller().unwrap();
        future.on_complete(move |r| {
            c.fetch_add(1, Ordering::SeqCst);
            tx.send(r.status).unwrap();
        });
        let g = Arc::clone(&gate);
        let completer = std::thread::spawn(move || {
            if let Some(irp) = g.take_one() {
                irp.complete(NtStatus::SUCCESS);
            }
        });
        if round % 2 == 0 {
            canceller.cancel();
        } else {
            file.cancel();
        }
        completer.join().unwrap();
        let status = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        match status {
            NtStatus::SUCCESS => real += 1,
            NtStatus::CANCELLED => cancelled += 1,
            other => panic!("unexpected {other}"),
        }
        assert!(rx.try_recv().is_err(), "completed twice");
    }
    assert_eq!(completions.load(Ordering::SeqCst), 2000);
    assert_eq!(real + cancelled, 2000);
    assert_eq!(gate.held_count(), 0);
    assert_eq!(io.rundown().pending_irps, 0);
}

#[test]
fn close_cancels_pending_irps_and_later_calls_fail() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    let a = file.call(IrpRequest::Read(read_req()));
    assert_eq!(block_on(file.close()), NtStatus::SUCCESS);
    assert_eq!(a.wait().status, NtStatus::CANCELLED);
    assert_eq!(gate.closes.load(Ordering::SeqCst), 1);
    assert!(io.rundown().is_empty());
}

#[test]
fn dropping_a_handle_closes_the_file() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    assert_eq!(io.rundown().files.len(), 1);
    drop(file);
    assert_eq!(gate.closes.load(Ordering::SeqCst), 1);
    assert!(io.rundown().is_empty());
}

#[test]
fn shutdown_cancels_closes_and_stops_drivers_once() {
    let (io, gate) = gate_manager(false); // no cancel routine: shutdown must still finish
    io.add_device("gate2", Arc::clone(&gate), ()).unwrap();
    let f1 = block_on(io.create_file("/gate/a", open(rw()))).unwrap();
    let f2 = block_on(io.create_file("/gate2/b", open(rw()))).unwrap();
    let pending = f1.call(IrpRequest::Read(read_req()));
    block_on(io.shutdown());
    assert_eq!(
        gate.shutdowns.load(Ordering::SeqCst),
        1,
        "one driver, two devices"
    );
    assert_eq!(gate.closes.load(Ordering::SeqCst), 2);
    assert_eq!(pending.wait().status, NtStatus::CANCELLED);
    assert_eq!(block_on(f2.read(0, 1)), Err(NtStatus::FILE_CLOSED));
    assert_eq!(
        block_on(io.create_file("/gate/c", open(rw()))).map(|_| ()),
        Err(NtStatus::DEVICE_NOT_READY)
    );
    drop((f1, f2));
    assert!(io.rundown().is_empty());
}

#[test]
fn rundown_reports_live_files_and_pending_irps() {
    let (io, gate) = gate_manager(true);
    let file = block_on(io.create_file("/gate/dir/f", open(rw()))).unwrap();
    let _a = file.call(IrpRequest::Read(read_req()));
    let report = io.rundown();
    assert_eq!(report.pending_irps, 1);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].path, "dir/f");
    assert_eq!(report.files[0].state, FileState::Open);
    gate.release_all(b"");
    drop(_a);
    drop(file);
    assert!(io.rundown().is_empty());
}

#[test]
fn ecps_reach_the_driver_and_acknowledgement_comes_back() {
    use lwio_core::{Dispatched, Driver, Irp};
    #[derive(Debug)]
    struct SessionKey([u8; 4]);
    struct EcpReader;
    impl Driver for EcpReader {
        type Device = ();
        type File = ();
        fn name(&self) -> &str {
            "ecp"
        }
        fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
            if let IrpRequest::Create(c) = irp.request() {
                let ok = c
                    .ecps
                    .get::<SessionKey>()
                    .is_some_and(|k| k.0 == [1, 2, 3, 4]);
                c.ecps.acknowledge::<SessionKey>();
                return irp.complete(if ok {
                    NtStatus::SUCCESS
                } else {
                    NtStatus::INVALID_PARAMETER
                });
            }
            irp.complete(NtStatus::SUCCESS)
        }
    }
    let io = IoManager::new();
    io.add_device("ecp", Arc::new(EcpReader), ()).unwrap();
    let mut ecps = EcpList::new();
    ecps.insert(SessionKey([1, 2, 3, 4]));
    let mut req = CreateRequest::new(token(), rw(), CreateDisposition::OPEN);
    req.ecps = ecps.clone();
    assert!(block_on(io.create_file("/ecp/pipe", req)).is_ok());
    assert!(ecps.is_acknowledged::<SessionKey>());
    let req = CreateRequest::new(token(), rw(), CreateDisposition::OPEN);
    assert_eq!(
        block_on(io.create_file("/ecp/pipe", req)).map(|_| ()),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

/// A create that the caller gives up on, but that the driver completes successfully later,
/// is closed by the manager: nothing leaks.
#[test]
fn abandoned_pending_create_is_closed_when_it_succeeds() {
    use lwio_core::{Dispatched, Driver, Irp, PendingIrp};
    use parking_lot::Mutex;
    struct SlowCreate {
        held: Mutex<Option<PendingIrp<SlowCreate>>>,
        closes: AtomicUsize,
    }
    impl Driver for SlowCreate {
        type Device = ();
        type File = ();
        fn name(&self) -> &str {
            "slow"
        }
        fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
            match irp.request() {
                IrpRequest::Create(_) => {
                    let (p, d) = irp.pend();
                    *self.held.lock() = Some(p);
                    d
                }
                IrpRequest::Close => {
                    self.closes.fetch_add(1, Ordering::SeqCst);
                    irp.complete(NtStatus::SUCCESS)
                }
                _ => irp.complete(NtStatus::SUCCESS),
            }
        }
    }
    let io = IoManager::new();
    let drv = Arc::new(SlowCreate {
        held: Mutex::new(None),
        closes: AtomicUsize::new(0),
    });
    io.add_device("slow", Arc::clone(&drv), ()).unwrap();
    {
        let create = io.create_file("/slow/x", open(rw()));
        let mut create = Box::pin(create);
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(create.as_mut().poll(&mut cx).is_pending());
    } // dropped: the caller gave up
    let irp = drv.held.lock().take().unwrap();
    assert!(irp.is_cancel_requested());
    irp.complete(NtStatus::SUCCESS); // the driver opened it anyway
    assert_eq!(drv.closes.load(Ordering::SeqCst), 1);
    assert!(io.rundown().is_empty());
}

fn read_req() -> lwio_core::irp::ReadRequest {
    lwio_core::irp::ReadRequest {
        offset: 0,
        length: 16,
        key: None,
    }
}

use std::future::Future;
