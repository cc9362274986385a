//! The cleanup/close split: IRP_MJ_CLEANUP when the handle goes away, IRP_MJ_CLOSE only
//! once every IRP still pending on the file has completed; drivers that do not ask for
//! cleanup never see it.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{Gate, open, rw};
use lwio_core::{
    Dispatched, Driver, FileState, IoManager, Irp, IrpRequest, IrpType, NtStatus, PendingIrp,
    block_on,
};
use parking_lot::Mutex;

/// Records the kind of every IRP it sees; holds reads (no cancel routine, like work a
/// driver has started) until the test completes them.
#[derive(Default)]
struct Recorder {
    log: Mutex<Vec<IrpType>>,
    held: Mutex<Vec<PendingIrp<Recorder>>>,
}

impl Driver for Recorder {
    type Device = ();
    type File = ();

    fn name(&self) -> &str {
        "recorder"
    }

    fn handles_cleanup(&self) -> bool {
        true
    }

    fn dispatch(&self, _device: &(), irp: Irp<'_, Self>) -> Dispatched {
        self.log.lock().push(irp.request().irp_type());
        match irp.request() {
            IrpRequest::Create(_) => {
                let _ = irp.set_file_context(());
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Read(_) => {
                let (pending, dispatched) = irp.pend();
                self.held.lock().push(pending);
                dispatched
            }
            _ => irp.complete(NtStatus::SUCCESS),
        }
    }
}

fn recorder() -> (IoManager, Arc<Recorder>) {
    let io = IoManager::new();
    let rec = Arc::new(Recorder::default());
    io.add_device("rec", Arc::clone(&rec), ()).unwrap();
    (io, rec)
}

#[test]
fn cleanup_comes_first_and_close_waits_for_pending_irps() {
    let (io, rec) = recorder();
    let file = block_on(io.create_file("/rec/f", open(rw()))).unwrap();
    let read = file.read(0, 4);
    drop(file);
    // The handle is gone: cleanup went down, close waits for the read.
    assert_eq!(
        *rec.log.lock(),
        [IrpType::Create, IrpType::Read, IrpType::Cleanup]
    );
    let rundown = io.rundown();
    assert_eq!(rundown.files.len(), 1);
    assert_eq!(rundown.files[0].state, FileState::Closing);
    let held = rec.held.lock().pop().unwrap();
    held.complete(NtStatus::SUCCESS);
    assert_eq!(block_on(read), Ok(Vec::new()));
    assert_eq!(
        *rec.log.lock(),
        [
            IrpType::Create,
            IrpType::Read,
            IrpType::Cleanup,
            IrpType::Close
        ]
    );
    assert!(
        io.rundown()
            .files
            .iter()
            .all(|f| f.state == FileState::Closed)
    );
}

#[test]
fn close_without_pending_irps_is_cleanup_then_close() {
    let (io, rec) = recorder();
    let file = block_on(io.create_file("/rec/f", open(rw()))).unwrap();
    assert_eq!(block_on(file.close()), NtStatus::SUCCESS);
    assert_eq!(
        *rec.log.lock(),
        [IrpType::Create, IrpType::Cleanup, IrpType::Close]
    );
}

#[test]
fn close_returns_after_cleanup_and_the_close_irp_follows_the_pending_one() {
    let (io, rec) = recorder();
    let file = block_on(io.create_file("/rec/f", open(rw()))).unwrap();
    let read = file.read(0, 4);
    // As NtClose: the caller waits for the cleanup only.
    assert_eq!(block_on(file.close()), NtStatus::SUCCESS);
    assert_eq!(rec.log.lock().last(), Some(&IrpType::Cleanup));
    rec.held.lock().pop().unwrap().complete(NtStatus::SUCCESS);
    assert_eq!(block_on(read), Ok(Vec::new()));
    assert_eq!(rec.log.lock().last(), Some(&IrpType::Close));
    assert!(io.rundown().is_empty());
}

#[test]
fn drivers_that_do_not_ask_never_see_cleanup() {
    let io = IoManager::new();
    let gate = Gate::new(true);
    io.add_device("gate", Arc::clone(&gate), ()).unwrap();
    let file = block_on(io.create_file("/gate/f", open(rw()))).unwrap();
    assert_eq!(block_on(file.close()), NtStatus::SUCCESS);
    // The create and the close; the cleanup succeeded below the stack.
    assert_eq!(gate.seen.load(Ordering::SeqCst), 2);
    assert_eq!(gate.closes.load(Ordering::SeqCst), 1);
}

#[test]
fn cleanup_is_not_a_request_a_caller_may_send() {
    let (io, _rec) = recorder();
    let file = block_on(io.create_file("/rec/f", open(rw()))).unwrap();
    let got = block_on(file.call(IrpRequest::Cleanup));
    assert_eq!(got.status, NtStatus::INVALID_PARAMETER);
}

#[test]
fn close_then_queries_between_cleanup_and_close() {
    use lwio_core::FileInfoClass;
    use lwio_core::irp::QueryInfoRequest;
    let (io, rec) = recorder();
    let file = block_on(io.create_file("/rec/f", open(rw()))).unwrap();
    let query = IrpRequest::QueryInformation(QueryInfoRequest {
        class: FileInfoClass::BASIC,
        length: 40,
    });
    let (cleanup, answer) = block_on(file.close_then(query));
    assert_eq!(
        (cleanup, answer.status),
        (NtStatus::SUCCESS, NtStatus::SUCCESS)
    );
    assert_eq!(
        *rec.log.lock(),
        [
            IrpType::Create,
            IrpType::Cleanup,
            IrpType::QueryInformation,
            IrpType::Close
        ]
    );
    assert!(io.rundown().is_empty());
    // Never a create, cleanup or close; the cleanup still happens.
    let file = block_on(io.create_file("/rec/g", open(rw()))).unwrap();
    let (cleanup, answer) = block_on(file.close_then(IrpRequest::Cleanup));
    assert_eq!(cleanup, NtStatus::SUCCESS);
    assert_eq!(answer.status, NtStatus::INVALID_PARAMETER);
    assert_eq!(rec.log.lock().last(), Some(&IrpType::Close));
}
