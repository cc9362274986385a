//! A create that waited for a batch oplock break whose holder closed with delete-on-close
//! starts over from the name, as Windows re-drives it: it makes a new file, never opens
//! the deleted one (smbtorture's smb2.durable-open.delete_on_close1).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::{
    AccessMask, CreateAction, CreateDisposition, CtlCode, FileInfoClass, ShareAccess, block_on,
};

#[test]
fn a_create_behind_a_delete_on_close_holder_makes_a_new_file() {
    let s = Share::new();
    s.file_with("f", b"x");
    let holder = s
        .open(
            "f",
            req(RW | AccessMask::DELETE, CreateDisposition::OPEN)
                .share(ShareAccess::ALL)
                .options(DOC),
        )
        .unwrap();
    let oplock = holder.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_REQUEST_BATCH_OPLOCK.0,
        input: Bytes::new(),
        max_output: 0,
    }));
    assert!(oplock.is_pending(), "the batch oplock is granted");
    let io = s.io.clone();
    let opener = std::thread::spawn(move || {
        block_on(io.create_file(
            "/s/f",
            req(RW, CreateDisposition::OPEN_IF).share(ShareAccess::ALL),
        ))
    });
    let start = Instant::now();
    while !oplock.is_done() {
        assert!(start.elapsed() < Duration::from_secs(10), "no break");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The opener waits for the holder, which closes (and so deletes the file) instead of
    // acknowledging.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!opener.is_finished());
    drop(holder);
    let h = opener.join().unwrap().unwrap();
    assert_eq!(h.create_action(), CreateAction::CREATED);
    let standard = block_on(h.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    let size = u64::from_le_bytes(standard[8..16].try_into().unwrap());
    assert_eq!(size, 0, "a new, empty file");
    assert!(s.path("f").exists());
}
