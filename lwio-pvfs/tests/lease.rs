//! Leases through IRPs (MS-FSA 2.1.5.17 with REQUEST_OPLOCK_INPUT_BUFFER, 2.1.4.12,
//! 2.1.5.18): opens of one oplock key share a lease; another key's open breaks W, a write
//! breaks to none, a rename breaks H; acknowledgments, the switch to a newer handle, the timeout;
//! directory leases (R, RH) broken by changes of their entries but for the parent key's.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::oplock::{
    OPLOCK_LEVEL_CACHE_HANDLE as H, OPLOCK_LEVEL_CACHE_READ as R, OPLOCK_LEVEL_CACHE_WRITE as W,
    OplockKeyEcp, REQUEST_OPLOCK_INPUT_FLAG_ACK, REQUEST_OPLOCK_INPUT_FLAG_REQUEST,
    REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED, RequestOplockInput, RequestOplockOutput,
};
use lwio_core::{
    AccessMask, CreateDisposition, CtlCode, FileHandle, IrpFuture, NtStatus, ShareAccess, block_on,
};

const SHARE_ALL: ShareAccess = ShareAccess(7);

fn lease_fsctl(h: &FileHandle, level: u32, flags: u32) -> IrpFuture {
    h.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_REQUEST_OPLOCK.0,
        input: Bytes::from(RequestOplockInput { level, flags }.encode()),
        max_output: RequestOplockOutput::SIZE as u32,
    }))
}

fn request(h: &FileHandle, level: u32) -> IrpFuture {
    lease_fsctl(h, level, REQUEST_OPLOCK_INPUT_FLAG_REQUEST)
}

fn ack(h: &FileHandle, level: u32) -> IrpFuture {
    lease_fsctl(h, level, REQUEST_OPLOCK_INPUT_FLAG_ACK)
}

fn keyed(key: u8, access: AccessMask, disp: CreateDisposition) -> lwio_core::CreateRequest {
    req(access, disp).share(SHARE_ALL).ecp(OplockKeyEcp {
        key: [key; 16],
        parent: None,
    })
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

fn output(r: &lwio_core::IrpResult) -> RequestOplockOutput {
    RequestOplockOutput::decode(&r.output).expect("an output buffer")
}

fn open_elsewhere(
    s: &Share,
    request: lwio_core::CreateRequest,
) -> std::thread::JoinHandle<Result<FileHandle, NtStatus>> {
    let io = s.io.clone();
    std::thread::spawn(move || block_on(io.create_file("/s/f", request)))
}

fn share_with_timeout(timeout: Duration) -> Share {
    let mut config = lwio_pvfs::PvfsConfig::default();
    config.oplock_break_timeout = Some(timeout);
    Share::with(config)
}

/// The file `f` opened by oplock key 1 with `access`, holding a lease of `level`: the handle
/// and the lease's IRP (pending: granted).
fn holder(s: &Share, access: AccessMask, level: u32) -> (FileHandle, IrpFuture) {
    let a = s
        .open("f", keyed(1, access, CreateDisposition::OPEN))
        .unwrap();
    let lease = request(&a, level);
    assert!(lease.is_pending(), "granted: the IRP pends");
    (a, lease)
}

/// `f` opened by oplock key 2 to read it and to rename or delete it (breaks no RH lease).
fn changer(s: &Share) -> FileHandle {
    let access = AccessMask::GENERIC_READ | AccessMask::DELETE;
    s.open("f", keyed(2, access, CreateDisposition::OPEN))
        .unwrap()
}

#[test]
fn rwh_breaks_to_rh_on_another_keys_open_and_the_ack_keeps_rh() {
    let s = Share::new();
    s.file_with("f", b"data");
    let (a, lease) = holder(&s, RW, R | W | H);
    let opener = open_elsewhere(&s, keyed(2, RW, CreateDisposition::OPEN));
    let broken = completed(lease);
    assert_eq!(broken.status, NtStatus::SUCCESS);
    let out = output(&broken);
    assert_eq!((out.original, out.new), (R | W | H, R | H));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !opener.is_finished(),
        "the open waits for the acknowledgment"
    );
    // More than offered is refused.
    assert_eq!(
        ack(&a, R | W | H).wait().status,
        NtStatus::INVALID_PARAMETER
    );
    let rh = ack(&a, R | H);
    assert!(rh.is_pending(), "the acknowledgment pends as the RH lease");
    let b = opener.join().unwrap().unwrap();
    // The second key may share R and H, not W.
    assert!(request(&b, R | H).is_pending());
    assert_eq!(
        request(&b, R | W).wait().status,
        NtStatus::OPLOCK_NOT_GRANTED
    );
    // b's write breaks a's lease to none (acknowledged, since it held H); the write
    // does not wait for it.
    block_on(b.write(0, b"x".to_vec())).unwrap();
    let out = output(&completed(rh));
    assert_eq!((out.original, out.new), (R | H, 0));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    assert_eq!(ack(&a, 0).wait().status, NtStatus::SUCCESS);
}

#[test]
fn opens_of_one_key_do_not_break_their_lease() {
    let s = Share::new();
    s.file("f");
    let (a, lease) = holder(&s, RW, R | W | H);
    let b = s.open("f", keyed(1, RW, CreateDisposition::OPEN)).unwrap();
    block_on(b.write(0, b"same key".to_vec())).unwrap();
    assert!(
        !lease.is_done(),
        "an open and a write of the same key break nothing"
    );
    // A request on the second open takes the lease over.
    let taken = request(&b, R | W | H);
    assert!(taken.is_pending());
    let old = completed(lease);
    assert_eq!(old.status, NtStatus::OPLOCK_SWITCHED_TO_NEW_HANDLE);
    // Closing the open holding the IRP leaves the lease to the other open of the key.
    drop(b);
    let closed = completed(taken);
    assert_eq!(closed.status, NtStatus::OPLOCK_HANDLE_CLOSED);
    let again = request(&a, R | W | H);
    assert!(
        again.is_pending(),
        "the key's remaining open takes the lease up"
    );
    // With the key's last handle the lease is gone (the close cancels its IRP).
    drop(a);
    assert_eq!(completed(again).status, NtStatus::CANCELLED);
}

#[test]
fn w_is_refused_beside_another_keys_open_and_bad_levels_are_invalid() {
    let s = Share::new();
    s.file("f");
    let a = s.open("f", keyed(1, RW, CreateDisposition::OPEN)).unwrap();
    let _b = s.open("f", keyed(2, RW, CreateDisposition::OPEN)).unwrap();
    assert_eq!(
        request(&a, R | W).wait().status,
        NtStatus::OPLOCK_NOT_GRANTED
    );
    for level in [0, W, H, W | H, 8] {
        assert_eq!(
            request(&a, level).wait().status,
            NtStatus::INVALID_PARAMETER
        );
    }
    assert!(request(&a, R).is_pending());
    // No break in progress: an acknowledgment is a protocol error.
    assert_eq!(ack(&a, R).wait().status, NtStatus::INVALID_OPLOCK_PROTOCOL);
    // Short input.
    let short = a
        .call(IrpRequest::FsControl(ControlRequest {
            code: CtlCode::FSCTL_REQUEST_OPLOCK.0,
            input: Bytes::from_static(&[1, 0, 16]),
            max_output: 24,
        }))
        .wait();
    assert_eq!(short.status, NtStatus::INVALID_PARAMETER);
}

#[test]
fn a_rename_breaks_handle_caching_and_waits_for_the_ack() {
    let s = Share::new();
    s.file("f");
    let (a, lease) = holder(&s, AccessMask::GENERIC_READ, R | H);
    let b = changer(&s);
    assert!(!lease.is_done(), "a read open breaks no RH lease");
    let renamer = std::thread::spawn(move || rename(&b, "g", false));
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, R));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !renamer.is_finished(),
        "the rename waits for the acknowledgment"
    );
    let r = ack(&a, R);
    assert!(r.is_pending());
    renamer.join().unwrap().unwrap();
}

#[test]
fn a_share_conflict_breaks_handle_caching_first() {
    let s = Share::new();
    s.file("f");
    // Shares read only: a writer conflicts with it.
    let a = s
        .open(
            "f",
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
                .share(ShareAccess::READ)
                .ecp(OplockKeyEcp {
                    key: [1; 16],
                    parent: None,
                }),
        )
        .unwrap();
    let lease = request(&a, R | H);
    assert!(lease.is_pending());
    let opener = open_elsewhere(&s, keyed(2, RW, CreateDisposition::OPEN));
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, R));
    // The holder gives its cached handle up (closes it, as an SMB client does before it
    // acknowledges): the open then succeeds. An acknowledgment before the close would race
    // the opener's second sharing check, which fails while the handle is still open.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!opener.is_finished(), "the open waits for the break");
    drop(a);
    opener.join().unwrap().unwrap();
}

#[test]
fn an_unacknowledged_break_times_out() {
    let s = share_with_timeout(Duration::from_millis(300));
    s.file("f");
    let (a, lease) = holder(&s, RW, R | W);
    let started = Instant::now();
    let b = s.open("f", keyed(2, RW, CreateDisposition::OPEN)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the open waited"
    );
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | W, R));
    // The lease is gone: the late acknowledgment finds no break.
    assert_eq!(ack(&a, R).wait().status, NtStatus::INVALID_OPLOCK_PROTOCOL);
    drop(b);
}

#[test]
fn an_overwrite_breaks_read_caching_and_a_legacy_level2_meets_no_write_lease() {
    let s = Share::new();
    s.file_with("f", b"data");
    let (_a, lease) = holder(&s, AccessMask::GENERIC_READ, R);
    let _b = s
        .open("f", keyed(2, RW, CreateDisposition::OVERWRITE))
        .unwrap();
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new, out.flags), (R, 0, 0));
    // A legacy level 2 request beside a write lease is refused.
    let s = Share::new();
    s.file("f");
    let c = s.open("f", keyed(3, RW, CreateDisposition::OPEN)).unwrap();
    let _lease = request(&c, R | W | H);
    let l2 = c
        .call(IrpRequest::FsControl(ControlRequest {
            code: CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2.0,
            input: Bytes::new(),
            max_output: 0,
        }))
        .wait();
    assert_eq!(l2.status, NtStatus::OPLOCK_NOT_GRANTED);
}

#[test]
fn a_delete_on_close_open_breaks_handle_caching() {
    let s = Share::new();
    s.file("f");
    let (a, lease) = holder(&s, AccessMask::GENERIC_READ, R | H);
    let doc = keyed(2, AccessMask::DELETE, CreateDisposition::OPEN).options(DOC);
    let opener = open_elsewhere(&s, doc);
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, R));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    assert!(ack(&a, R).is_pending());
    opener.join().unwrap().unwrap();
}

#[test]
fn a_conflict_during_a_break_is_told_in_the_answer_to_the_acknowledgment() {
    // smbtorture's smb2.lease.breaking3: RWH breaks to RH for a plain open; an overwrite
    // meanwhile sends no second notification; the RH acknowledgment is answered with a
    // break to R, the R acknowledgment with one to none; both opens wait throughout.
    let s = Share::new();
    s.file_with("f", b"data");
    let (a, lease) = holder(&s, RW, R | W | H);
    let plain = open_elsewhere(&s, keyed(2, RW, CreateDisposition::OPEN));
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | W | H, R | H));
    let overwrite = open_elsewhere(&s, keyed(3, RW, CreateDisposition::OVERWRITE));
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        !plain.is_finished() && !overwrite.is_finished(),
        "both wait"
    );
    // Still no more than offered.
    assert_eq!(
        ack(&a, R | W | H).wait().status,
        NtStatus::INVALID_PARAMETER
    );
    let rh = completed(ack(&a, R | H));
    assert_eq!(rh.status, NtStatus::SUCCESS);
    let out = output(&rh);
    assert_eq!((out.original, out.new), (R | H, R));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        !plain.is_finished() && !overwrite.is_finished(),
        "still waiting"
    );
    let r = completed(ack(&a, R));
    let out = output(&r);
    assert_eq!((out.original, out.new, out.flags), (R, 0, 0));
    plain.join().unwrap().unwrap();
    overwrite.join().unwrap().unwrap();
    // The lease is gone: nothing to acknowledge.
    assert_eq!(ack(&a, 0).wait().status, NtStatus::INVALID_OPLOCK_PROTOCOL);
}

#[test]
fn an_overwrite_does_not_wait_for_a_shared_lease_to_break() {
    // smb2.lease.breaking4: RH breaks to none (acknowledgment required, H goes) but the
    // overwrite goes on; a second overwrite during the break sends nothing and waits for
    // nothing.
    let s = Share::new();
    s.file_with("f", b"data");
    let (a, lease) = holder(&s, AccessMask::GENERIC_READ, R | H);
    let b = s.open("f", keyed(2, RW, CreateDisposition::OVERWRITE));
    assert!(b.is_ok(), "the overwrite did not wait");
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, 0));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    let c = s.open("f", keyed(3, RW, CreateDisposition::OVERWRITE));
    assert!(c.is_ok());
    assert_eq!(ack(&a, 0).wait().status, NtStatus::SUCCESS);
}

#[test]
fn read_control_is_a_stat_open_for_leases_but_not_for_batch_oplocks() {
    let s = Share::new();
    s.file("f");
    let (a, lease) = holder(&s, RW, R | W | H);
    let stat = s
        .open(
            "f",
            keyed(2, AccessMask::READ_CONTROL, CreateDisposition::OPEN),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !lease.is_done(),
        "smb2.lease.statopen4: READ_CONTROL breaks no lease"
    );
    drop(stat);
    drop(lease);
    drop(a);
    // A batch oplock breaks for it (smb2.oplock).
    let s = Share::new();
    s.file("g");
    let h = s
        .open("g", req(RW, CreateDisposition::OPEN).share(SHARE_ALL))
        .unwrap();
    let batch = h.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_REQUEST_BATCH_OPLOCK.0,
        input: Bytes::new(),
        max_output: 0,
    }));
    assert!(batch.is_pending());
    let io = s.io.clone();
    let opener = std::thread::spawn(move || {
        block_on(io.create_file(
            "/s/g",
            req(AccessMask::READ_CONTROL, CreateDisposition::OPEN).share(SHARE_ALL),
        ))
    });
    let broken = completed(batch);
    assert_eq!(broken.status, NtStatus::SUCCESS);
    drop(h);
    opener.join().unwrap().unwrap();
}

#[test]
fn a_delete_disposition_tells_the_lease_break_before_it_waits_for_a_worker() {
    // A client that sends its next request right after the change must see the break
    // first, so the break goes out as the set-info is dispatched, not on the worker.
    let s = Share::new();
    s.file("f");
    let (a, lease) = holder(&s, AccessMask::GENERIC_READ, R | H);
    let b = changer(&s);
    let info = lwio_fscc::FileDispositionInformation {
        delete_pending: true,
    };
    let deleting = b.call(IrpRequest::SetInformation(lwio_core::irp::SetInfoRequest {
        class: lwio_core::FileInfoClass::DISPOSITION,
        data: info.encode().into(),
    }));
    assert!(
        lease.is_done(),
        "the break went out as the set-info was dispatched"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !deleting.is_done(),
        "the change waits for the acknowledgment"
    );
    let out = output(&lease.wait());
    assert_eq!((out.original, out.new), (R | H, R));
    assert!(ack(&a, R).is_pending());
    assert_eq!(completed(deleting).status, NtStatus::SUCCESS);
}

#[test]
fn a_rename_tells_the_lease_break_before_its_target_directory_is_opened() {
    // smb2.lease.rename_wait: the I/O manager opens a rename's target directory (on a
    // worker) before the rename reaches PVFS; the break must not wait for that open, or
    // the answer to the client's next request can overtake the break notification. The
    // target directory's open is held at its worker until the break was seen.
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let held = std::sync::Mutex::new(held);
    let mut config = lwio_pvfs::PvfsConfig::default();
    config.seams = Some(lwio_pvfs::Seams(std::sync::Arc::new(
        move |seam: lwio_pvfs::Seam<'_>| {
            let target_open = lwio_pvfs::Seam::Work {
                request: lwio_core::IrpType::Create,
                path: "g",
            };
            if seam == target_open {
                let _ = held.lock().unwrap().recv_timeout(Duration::from_secs(10));
            }
        },
    )));
    let s = Share::with(config);
    s.file("f");
    let (a, lease) = holder(&s, AccessMask::GENERIC_READ, R | H);
    let b = changer(&s);
    let info = lwio_fscc::FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: "g".into(),
    };
    let renaming = b.call(IrpRequest::SetInformation(lwio_core::irp::SetInfoRequest {
        class: lwio_core::FileInfoClass::RENAME,
        data: info.encode().into(),
    }));
    assert!(
        lease.is_done(),
        "the break went out as the target directory's open was dispatched"
    );
    let out = output(&lease.wait());
    assert_eq!((out.original, out.new), (R | H, R));
    gate.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !renaming.is_done(),
        "the rename waits for the acknowledgment"
    );
    assert!(ack(&a, R).is_pending());
    assert_eq!(completed(renaming).status, NtStatus::SUCCESS);
    assert!(s.path("g").exists() && !s.path("f").exists());
}

/// An open of the directory `d` for listing, with oplock key `key`.
fn dir_keyed(s: &Share, key: u8) -> FileHandle {
    let r = req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
        .share(SHARE_ALL)
        .options(DIR)
        .ecp(OplockKeyEcp {
            key: [key; 16],
            parent: None,
        });
    s.open("d", r).unwrap()
}

/// A create of `path` by key `key`, naming `parent` as its parent's lease key.
fn child(key: u8, parent: Option<u8>, disp: CreateDisposition) -> lwio_core::CreateRequest {
    req(RW | AccessMask::DELETE, disp)
        .share(SHARE_ALL)
        .ecp(OplockKeyEcp {
            key: [key; 16],
            parent: parent.map(|p| [p; 16]),
        })
}

#[test]
fn a_directory_gets_r_or_rh_and_a_new_entry_breaks_it_to_none() {
    let s = Share::new();
    s.mkdir("d");
    s.mkdir("e");
    let d = dir_keyed(&s, 1);
    for level in [R | W, R | W | H] {
        assert_eq!(
            request(&d, level).wait().status,
            NtStatus::INVALID_PARAMETER,
            "a directory caches no writes"
        );
    }
    let lease = request(&d, R | H);
    assert!(lease.is_pending(), "RH granted on a directory");
    // A change elsewhere, or below a subdirectory, is not a change of d's entries.
    s.open("e/x", child(2, None, CreateDisposition::CREATE))
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !lease.is_done(),
        "an entry of another directory breaks nothing"
    );
    s.mkdir("d/sub");
    assert!(
        lease.is_done(),
        "the new subdirectory d/sub broke the lease"
    );
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, 0));
    assert_eq!(out.flags, REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED);
    assert_eq!(ack(&d, 0).wait().status, NtStatus::SUCCESS);
    let lease = request(&d, R);
    assert!(lease.is_pending(), "R granted on a directory");
    s.open("d/sub/deeper", child(2, None, CreateDisposition::CREATE))
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !lease.is_done(),
        "an entry of a subdirectory breaks nothing"
    );
    // A create in d by another key, naming no parent lease: R goes, no ack needed.
    let f = s
        .open("d/f", child(2, None, CreateDisposition::CREATE))
        .unwrap();
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new, out.flags), (R, 0, 0));
    drop(f);
}

#[test]
fn changes_through_an_open_naming_the_directory_lease_as_parent_break_nothing() {
    let s = Share::new();
    s.mkdir("d");
    let d = dir_keyed(&s, 1);
    let lease = request(&d, R | H);
    assert!(lease.is_pending());
    // The lease holder's own client: create, rename, delete through opens naming key 1
    // as their parent's.
    let f = s
        .open("d/f", child(2, Some(1), CreateDisposition::CREATE))
        .unwrap();
    rename(&f, "d/g", false).unwrap();
    set_delete(&f, true).unwrap();
    drop(f);
    // Another parent key is another client's directory lease: it breaks this one.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!lease.is_done(), "the lease's own changes break nothing");
    let other = s
        .open("d/h", child(3, Some(9), CreateDisposition::CREATE))
        .unwrap();
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, 0));
    assert_eq!(ack(&d, 0).wait().status, NtStatus::SUCCESS);
    // A delete of an entry by another key breaks a new lease too.
    let lease = request(&d, R | H);
    assert!(lease.is_pending());
    set_delete(&other, true).unwrap();
    drop(other);
    assert_eq!(output(&completed(lease)).new, 0);
}

#[test]
fn a_delete_on_close_open_of_the_directory_takes_handle_caching() {
    let s = Share::new();
    s.mkdir("d");
    let d = dir_keyed(&s, 1);
    let lease = request(&d, R | H);
    assert!(lease.is_pending());
    let r = req(
        AccessMask::DELETE | AccessMask::GENERIC_READ,
        CreateDisposition::OPEN,
    )
    .share(SHARE_ALL)
    .options(DIR | DOC)
    .ecp(OplockKeyEcp {
        key: [2; 16],
        parent: None,
    });
    let io = s.io.clone();
    let opener = std::thread::spawn(move || block_on(io.create_file("/s/d", r)));
    let out = output(&completed(lease));
    assert_eq!((out.original, out.new), (R | H, R));
    assert!(ack(&d, R).is_pending());
    opener.join().unwrap().unwrap();
}
