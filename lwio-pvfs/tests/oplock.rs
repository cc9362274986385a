//! Oplocks through IRPs (MS-FSA 2.1.5.17 request, 2.1.4.12 break, 2.1.5.18 acknowledge):
//! grant, break on a conflicting open, acknowledgment, timeout, level 2 break on write,
//! batch before the share check, release at cleanup, a waiting create cancelled.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::oplock::{FILE_OPLOCK_BROKEN_TO_LEVEL_2, FILE_OPLOCK_BROKEN_TO_NONE};
use lwio_core::{
    AccessMask, CreateDisposition, CtlCode, FileHandle, IrpFuture, NtStatus, ShareAccess, block_on,
};

fn fsctl(h: &FileHandle, code: CtlCode) -> IrpFuture {
    h.call(IrpRequest::FsControl(ControlRequest {
        code: code.0,
        input: Bytes::new(),
        max_output: 0,
    }))
}

/// Waits (bounded) until `f` has completed; its result.
fn completed(f: IrpFuture) -> lwio_core::IrpResult {
    let start = Instant::now();
    while !f.is_done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "IRP never completed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    f.wait()
}

fn share_with_timeout(timeout: Duration) -> Share {
    let mut config = lwio_pvfs::PvfsConfig::default();
    config.oplock_break_timeout = Some(timeout);
    Share::with(config)
}

/// Opens `f` on another thread (it may wait for a break); joined by the caller.
fn open_elsewhere(
    s: &Share,
    access: AccessMask,
    disposition: CreateDisposition,
    share: ShareAccess,
) -> std::thread::JoinHandle<Result<FileHandle, NtStatus>> {
    let io = s.io.clone();
    std::thread::spawn(move || {
        block_on(io.create_file("/s/f", req(access, disposition).share(share)))
    })
}

const SHARE_ALL: ShareAccess = ShareAccess(7);

#[test]
fn exclusive_breaks_to_level2_on_open_and_the_ack_holds_level2() {
    let s = Share::new();
    s.file_with("f", b"data");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1);
    assert!(oplock.is_pending(), "granted: the IRP pends");
    let opener = open_elsewhere(&s, RW, CreateDisposition::OPEN, SHARE_ALL);
    let broken = completed(oplock);
    assert_eq!(broken.status, NtStatus::SUCCESS);
    assert_eq!(broken.information, FILE_OPLOCK_BROKEN_TO_LEVEL_2);
    // The opener waits for the acknowledgment.
    std::thread::sleep(Duration::from_millis(100));
    assert!(!opener.is_finished());
    let level2 = fsctl(&holder, CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE);
    assert!(
        level2.is_pending(),
        "the acknowledgment pends as the level 2 oplock"
    );
    let other = opener.join().unwrap().unwrap();
    // A write by the other open breaks level 2 to none, without waiting.
    block_on(other.write(0, b"x".to_vec())).unwrap();
    let gone = completed(level2);
    assert_eq!(gone.information, FILE_OPLOCK_BROKEN_TO_NONE);
}

#[test]
fn exclusive_is_refused_beside_another_open() {
    let s = Share::new();
    s.file("f");
    let a = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let _b = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    for code in [
        CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1,
        CtlCode::FSCTL_REQUEST_BATCH_OPLOCK,
    ] {
        let r = fsctl(&a, code);
        assert!(!r.is_pending());
        assert_eq!(r.wait().status, NtStatus::OPLOCK_NOT_GRANTED);
    }
    // Level 2 may be shared.
    assert!(fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2).is_pending());
}

#[test]
fn an_ack_without_a_break_is_invalid_oplock_protocol() {
    let s = Share::new();
    s.file("f");
    let a = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let r = fsctl(&a, CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE).wait();
    assert_eq!(r.status, NtStatus::INVALID_OPLOCK_PROTOCOL);
    let _oplock = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1);
    let r = fsctl(&a, CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2).wait();
    assert_eq!(r.status, NtStatus::INVALID_OPLOCK_PROTOCOL);
}

#[test]
fn no_oplock_on_a_directory() {
    let s = Share::new();
    s.mkdir("d");
    let d = s.dir_handle("d");
    let r = fsctl(&d, CtlCode::FSCTL_REQUEST_BATCH_OPLOCK).wait();
    assert_eq!(r.status, NtStatus::INVALID_PARAMETER);
}

#[test]
fn an_unacknowledged_break_times_out() {
    let s = share_with_timeout(Duration::from_millis(300));
    s.file("f");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_BATCH_OPLOCK);
    assert!(oplock.is_pending());
    let start = Instant::now();
    let other = s
        .open("f", req(RW, CreateDisposition::OPEN).share(SHARE_ALL))
        .unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(250), "waited {waited:?}");
    assert_eq!(completed(oplock).information, FILE_OPLOCK_BROKEN_TO_LEVEL_2);
    // The oplock is gone: a late acknowledgment has nothing to acknowledge.
    let late = fsctl(&holder, CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE).wait();
    assert_eq!(late.status, NtStatus::INVALID_OPLOCK_PROTOCOL);
    drop(other);
}

#[test]
fn batch_breaks_before_the_share_check_so_the_holder_may_close() {
    let s = Share::new();
    s.file("f");
    let holder = s
        .open("f", req(RW, CreateDisposition::OPEN).share(ShareAccess(0)))
        .unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_BATCH_OPLOCK);
    assert!(oplock.is_pending());
    let opener = open_elsewhere(&s, RW, CreateDisposition::OPEN, SHARE_ALL);
    assert_eq!(completed(oplock).information, FILE_OPLOCK_BROKEN_TO_LEVEL_2);
    // The holder closes instead of acknowledging: the open goes on, and no sharing
    // violation, as the holder's share mode went with its handle.
    drop(holder);
    assert!(opener.join().unwrap().is_ok());
}

#[test]
fn exclusive_is_not_broken_by_an_open_that_fails_the_share_check() {
    let s = Share::new();
    s.file("f");
    let holder = s
        .open("f", req(RW, CreateDisposition::OPEN).share(ShareAccess(0)))
        .unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1);
    assert!(oplock.is_pending());
    let got = s.open("f", req(RW, CreateDisposition::OPEN).share(SHARE_ALL));
    assert_eq!(got.err(), Some(NtStatus::SHARING_VIOLATION));
    assert!(!oplock.is_done(), "no break");
}

#[test]
fn an_attribute_open_breaks_nothing() {
    let s = Share::new();
    s.file("f");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_BATCH_OPLOCK);
    let stat_access = AccessMask::FILE_READ_ATTRIBUTES
        | AccessMask::FILE_WRITE_ATTRIBUTES
        | AccessMask::SYNCHRONIZE;
    let stat = s
        .open(
            "f",
            req(stat_access, CreateDisposition::OPEN).share(SHARE_ALL),
        )
        .unwrap();
    assert!(!oplock.is_done());
    drop(stat);
}

#[test]
fn an_overwriting_open_breaks_to_none_and_ack_no_2_releases() {
    let s = Share::new();
    s.file_with("f", b"data");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1);
    let opener = open_elsewhere(&s, RW, CreateDisposition::OVERWRITE_IF, SHARE_ALL);
    assert_eq!(completed(oplock).information, FILE_OPLOCK_BROKEN_TO_NONE);
    let ack = fsctl(&holder, CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE);
    assert!(!ack.is_pending());
    assert_eq!(ack.wait().status, NtStatus::SUCCESS);
    assert!(opener.join().unwrap().is_ok());
}

#[test]
fn level2_breaks_to_none_on_a_write_and_a_lock() {
    let s = Share::new();
    s.file_with("f", b"data");
    let a = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let b = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oa = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    let ob = fsctl(&b, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    assert!(oa.is_pending() && ob.is_pending());
    block_on(b.write(0, b"y".to_vec())).unwrap();
    // Every holder's breaks, the writer's own too; no acknowledgment is awaited.
    assert_eq!(completed(oa).information, FILE_OPLOCK_BROKEN_TO_NONE);
    assert_eq!(completed(ob).information, FILE_OPLOCK_BROKEN_TO_NONE);
    let oa = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    assert!(oa.is_pending());
    block_on(b.lock(lwio_core::irp::LockRequest {
        offset: 0,
        length: 1,
        key: 0,
        exclusive: true,
        fail_immediately: true,
    }))
    .unwrap();
    assert_eq!(completed(oa).information, FILE_OPLOCK_BROKEN_TO_NONE);
}

#[test]
fn cleanup_releases_the_oplock() {
    let s = Share::new();
    s.file("f");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_BATCH_OPLOCK);
    assert!(oplock.is_pending());
    assert_eq!(block_on(holder.close()), NtStatus::SUCCESS);
    assert!(oplock.is_done());
    // Nothing is left to break: a new open is not held up, and may take the oplock.
    let again = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    assert!(fsctl(&again, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1).is_pending());
}

#[test]
fn a_create_waiting_for_a_break_is_cancelled_with_its_future() {
    use std::future::Future;
    use std::task::{Context, Waker};
    // The default 35 s timeout: only the cancellation can end the wait in time.
    let s = Share::new();
    s.file("f");
    let holder = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oplock = fsctl(&holder, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1);
    let mut create =
        Box::pin(s.io.create_file("/s/f", req(RW, CreateDisposition::OPEN).share(SHARE_ALL)));
    assert!(
        create
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    assert_eq!(completed(oplock).information, FILE_OPLOCK_BROKEN_TO_LEVEL_2);
    assert_eq!(s.io.rundown().files.len(), 2);
    drop(create);
    let start = Instant::now();
    while s.io.rundown().files.len() > 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the waiting create did not end"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The break is still the holder's to acknowledge.
    let ack = fsctl(&holder, CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2).wait();
    assert_eq!(ack.status, NtStatus::SUCCESS);
}

#[test]
fn level2_breaks_to_none_on_a_size_change_and_a_delete_disposition() {
    let s = Share::new();
    s.file_with("f", b"data");
    let a = s
        .open("f", req(RW, CreateDisposition::OPEN).share(SHARE_ALL))
        .unwrap();
    let b = s
        .open(
            "f",
            req(RW | AccessMask::DELETE, CreateDisposition::OPEN).share(SHARE_ALL),
        )
        .unwrap();
    let oa = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    assert!(oa.is_pending());
    set_info(
        &b,
        lwio_core::FileInfoClass::END_OF_FILE,
        2u64.to_le_bytes().to_vec(),
    )
    .unwrap();
    assert_eq!(completed(oa).information, FILE_OPLOCK_BROKEN_TO_NONE);
    let oa = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    assert!(oa.is_pending());
    set_delete(&b, true).unwrap();
    assert_eq!(completed(oa).information, FILE_OPLOCK_BROKEN_TO_NONE);
}

#[test]
fn level2_breaks_to_none_on_set_zero_data() {
    let s = Share::new();
    s.file_with("f", b"data");
    let a = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let b = s.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    let oa = fsctl(&a, CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2);
    assert!(oa.is_pending());
    // FSCTL_SET_ZERO_DATA is a write (MS-FSA 2.1.4.12): level 2 breaks to none.
    let mut zero = 0u64.to_le_bytes().to_vec();
    zero.extend_from_slice(&2u64.to_le_bytes());
    block_on(b.fs_control(CtlCode::FSCTL_SET_ZERO_DATA.0, zero, 0)).unwrap();
    assert_eq!(completed(oa).information, FILE_OPLOCK_BROKEN_TO_NONE);
    assert_eq!(block_on(a.read(0, 4)).unwrap(), b"\0\0ta");
}
