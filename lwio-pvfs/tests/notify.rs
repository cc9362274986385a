//! Change notify (MS-FSA 2.1.5.10): pending requests completed by changes made through
//! PVFS, buffering between requests, overflow, cancel and cleanup.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::{IrpRequest, NotifyFilter as NF, NotifyRequest};
use lwio_core::{FileHandle, FileInfoClass, NtStatus, block_on};
use lwio_fscc::{FileEndOfFileInformation, NotifyAction as A, NotifyEntry, decode_notify};

fn watch(h: &FileHandle, filter: NF, tree: bool) -> lwio_core::IoFuture<Vec<u8>> {
    h.read_directory_change(NotifyRequest {
        filter,
        watch_tree: tree,
        length: 4096,
    })
}

fn entries(r: Result<Vec<u8>, NtStatus>) -> Vec<(A, String)> {
    decode_notify(&r.unwrap())
        .unwrap()
        .into_iter()
        .map(|NotifyEntry { action, file_name }| (action, file_name))
        .collect()
}

const NAMES: NF = NF(NF::FILE_NAME.0 | NF::DIR_NAME.0);

#[test]
fn create_completes_a_pending_request_with_added() {
    let s = Share::new();
    let d = s.dir_handle("");
    let w = watch(&d, NAMES, false);
    assert_eq!(s.io.rundown().pending_irps, 1);
    s.file("new.txt");
    assert_eq!(entries(block_on(w)), vec![(A::ADDED, "new.txt".into())]);
    s.assert_no_pending();
}

#[test]
fn delete_and_rename_report_their_actions() {
    let s = Share::new();
    s.file("a");
    let d = s.dir_handle("");
    let w = watch(&d, NAMES, false);
    let h = s.all("a");
    rename(&h, "b", false).unwrap();
    assert_eq!(
        entries(block_on(w)),
        vec![
            (A::RENAMED_OLD_NAME, "a".into()),
            (A::RENAMED_NEW_NAME, "b".into())
        ]
    );
    let w = watch(&d, NAMES, false);
    set_delete(&h, true).unwrap();
    drop(h);
    assert_eq!(entries(block_on(w)), vec![(A::REMOVED, "b".into())]);
}

#[test]
fn changes_between_requests_are_buffered() {
    let s = Share::new();
    let d = s.dir_handle("");
    let w = watch(&d, NAMES, false);
    s.file("one");
    assert_eq!(entries(block_on(w)).len(), 1);
    s.file("two");
    s.mkdir("three");
    assert_eq!(
        entries(block_on(watch(&d, NAMES, false))),
        vec![(A::ADDED, "two".into()), (A::ADDED, "three".into())]
    );
}

#[test]
fn filter_and_subtree_decide_what_is_reported() {
    let s = Share::new();
    s.mkdir("sub");
    let d = s.dir_handle("");
    let flat = watch(&d, NF::FILE_NAME, false);
    s.file("sub/deep");
    s.mkdir("dir");
    s.file("top");
    assert_eq!(entries(block_on(flat)), vec![(A::ADDED, "top".into())]);
    let d2 = s.dir_handle("");
    let tree = watch(&d2, NF::FILE_NAME, true);
    s.file("sub/deeper");
    assert_eq!(
        entries(block_on(tree)),
        vec![(A::ADDED, "sub\\deeper".into())]
    );
}

#[test]
fn size_and_attribute_changes_are_modified() {
    let s = Share::new();
    s.file_with("f", b"abc");
    let d = s.dir_handle("");
    let w = watch(&d, NF::SIZE, false);
    let h = s.all("f");
    set_info(
        &h,
        FileInfoClass::END_OF_FILE,
        FileEndOfFileInformation { end_of_file: 1 }.encode(),
    )
    .unwrap();
    assert_eq!(entries(block_on(w)), vec![(A::MODIFIED, "f".into())]);
    let w = watch(&d, NF::LAST_WRITE, false);
    block_on(h.write(0, &b"x"[..])).unwrap();
    drop(h);
    assert_eq!(entries(block_on(w)), vec![(A::MODIFIED, "f".into())]);
}

#[test]
fn too_small_a_buffer_is_notify_enum_dir() {
    let s = Share::new();
    let d = s.dir_handle("");
    // NOTIFY_ENUM_DIR is a success code: the typed call would give Ok(empty).
    let w = d.call(IrpRequest::ReadDirectoryChange(NotifyRequest {
        filter: NAMES,
        watch_tree: false,
        length: 8,
    }));
    s.file("a-name-longer-than-the-buffer");
    let r = block_on(w);
    assert_eq!(r.status, NtStatus::NOTIFY_ENUM_DIR);
    assert!(r.output.is_empty());
}

#[test]
fn pending_request_is_cancellable() {
    let s = Share::new();
    let d = s.dir_handle("");
    let w = watch(&d, NAMES, false);
    assert_eq!(s.io.cancel_file(&d), 1);
    assert_eq!(block_on(w), Err(NtStatus::CANCELLED));
    drop(watch(&d, NAMES, false));
    s.assert_no_pending();
    s.file("after");
}

#[test]
fn close_completes_with_notify_cleanup() {
    let s = Share::new();
    let d = s.dir_handle("");
    let w = d.call(IrpRequest::ReadDirectoryChange(NotifyRequest {
        filter: NAMES,
        watch_tree: false,
        length: 4096,
    }));
    drop(d);
    assert_eq!(block_on(w).status, NtStatus::NOTIFY_CLEANUP);
    s.assert_no_pending();
}

#[test]
fn file_handle_is_invalid_parameter() {
    let s = Share::new();
    s.file("f");
    let f = s.all("f");
    assert_eq!(
        block_on(watch(&f, NAMES, false)),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

/// A request of `length` bytes, its whole result (NOTIFY_ENUM_DIR is a success code).
fn watch_len(h: &FileHandle, length: u32) -> lwio_core::IrpFuture {
    h.call(IrpRequest::ReadDirectoryChange(NotifyRequest {
        filter: NAMES,
        watch_tree: false,
        length,
    }))
}

fn status(f: lwio_core::IrpFuture) -> NtStatus {
    f.wait().status
}

fn names(f: lwio_core::IrpFuture) -> Vec<(A, String)> {
    let r = f.wait();
    assert_eq!(r.status, NtStatus::SUCCESS);
    entries(Ok(r.output))
}

#[test]
fn a_zero_byte_request_does_not_shrink_the_buffer() {
    let s = Share::new();
    let d = s.dir_handle("");
    let first = watch_len(&d, 4096);
    s.file("a");
    assert_eq!(names(first).len(), 1);
    // A 0-byte request: STATUS_NOTIFY_ENUM_DIR for the change that does not fit it...
    let empty = watch_len(&d, 0);
    s.file("b");
    assert_eq!(status(empty), NtStatus::NOTIFY_ENUM_DIR);
    // ...but what follows is still buffered against the first request's length.
    s.file("c");
    s.file("d");
    assert_eq!(
        names(watch_len(&d, 4096)),
        vec![(A::ADDED, "c".into()), (A::ADDED, "d".into())]
    );
}

#[test]
fn a_first_request_too_small_makes_every_answer_enum_dir() {
    let s = Share::new();
    let d = s.dir_handle("");
    let first = watch_len(&d, 1);
    s.file("a");
    assert_eq!(status(first), NtStatus::NOTIFY_ENUM_DIR);
    let big = watch_len(&d, 4096);
    s.file("b");
    assert_eq!(status(big), NtStatus::NOTIFY_ENUM_DIR);
    s.file("c");
    assert_eq!(status(watch_len(&d, 4096)), NtStatus::NOTIFY_ENUM_DIR);
}
