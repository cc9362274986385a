//! Delete: delete-on-close and the delete disposition (MS-FSA 2.1.5.4 and 2.1.5.14.3).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::{
    AccessMask, CreateDisposition as D, FileAttributes, FileInfoClass, NtStatus, ShareAccess,
    block_on,
};
use lwio_fscc::{FileDispositionInformationEx, FileStandardInformation};

fn doc_req() -> lwio_core::CreateRequest {
    req(AccessMask::GENERIC_READ | AccessMask::DELETE, D::OPEN)
        .share(ShareAccess::ALL)
        .options(DOC)
}

fn delete_pending(h: &lwio_core::FileHandle) -> bool {
    let b = block_on(h.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    FileStandardInformation::decode(&b).unwrap().delete_pending
}

#[test]
fn delete_on_close_deletes_on_last_close() {
    let s = Share::new();
    s.file("f");
    let h = s.open("f", doc_req()).unwrap();
    assert!(s.path("f").exists());
    drop(h);
    assert!(!s.path("f").exists());
}

#[test]
fn delete_on_close_of_a_new_file() {
    let s = Share::new();
    let h = s
        .open("new", req(RW | AccessMask::DELETE, D::CREATE).options(DOC))
        .unwrap();
    assert!(s.path("new").exists());
    drop(h);
    assert!(!s.path("new").exists());
}

#[test]
fn other_handles_keep_a_delete_on_close_file_alive() {
    let s = Share::new();
    s.file_with("f", b"abc");
    let other = s.all("f");
    let h = s.open("f", doc_req()).unwrap();
    drop(h);
    assert!(s.path("f").exists());
    // The file is now delete-pending: the handle still reads, new opens fail.
    assert_eq!(block_on(other.read(0, 3)).unwrap(), b"abc");
    assert!(delete_pending(&other));
    assert_eq!(
        s.open("f", req(AccessMask::FILE_READ_ATTRIBUTES, D::OPEN))
            .err(),
        Some(NtStatus::DELETE_PENDING)
    );
    drop(other);
    assert!(!s.path("f").exists());
    assert_eq!(
        s.open("f", req(AccessMask::GENERIC_READ, D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

#[test]
fn disposition_set_deletes_on_last_close() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_delete(&h, true).unwrap();
    assert!(delete_pending(&h));
    assert_eq!(
        s.open("f", req(AccessMask::GENERIC_READ, D::OPEN)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
    drop(h);
    assert!(!s.path("f").exists());
}

#[test]
fn disposition_cleared_keeps_the_file() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_delete(&h, true).unwrap();
    set_delete(&h, false).unwrap();
    assert!(!delete_pending(&h));
    drop(h);
    assert!(s.path("f").exists());
}

#[test]
fn disposition_needs_delete_access() {
    let s = Share::new();
    s.file("f");
    let h = s.open("f", req(RW, D::OPEN)).unwrap();
    assert_eq!(set_delete(&h, true), Err(NtStatus::ACCESS_DENIED));
}

#[test]
fn read_only_file_cannot_be_deleted() {
    let s = Share::new();
    drop(
        s.open(
            "ro",
            req(RW, D::CREATE).attributes(FileAttributes::READONLY),
        )
        .unwrap(),
    );
    let h = s
        .open(
            "ro",
            req(
                AccessMask::DELETE | AccessMask::FILE_READ_ATTRIBUTES,
                D::OPEN,
            ),
        )
        .unwrap();
    assert_eq!(set_delete(&h, true), Err(NtStatus::CANNOT_DELETE));
    assert_eq!(s.open("ro", doc_req()).err(), Some(NtStatus::CANNOT_DELETE));
    // FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE lets it go.
    let ex = FileDispositionInformationEx {
        flags: lwio_fscc::DispositionFlags(0x1 | 0x10),
    };
    set_info(&h, FileInfoClass::DISPOSITION_EX, ex.encode()).unwrap();
    drop(h);
    assert!(!s.path("ro").exists());
}

#[test]
fn non_empty_directory_cannot_be_deleted() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/f");
    let h = s
        .open(
            "d",
            req(AccessMask::DELETE | AccessMask::GENERIC_READ, D::OPEN)
                .options(DIR)
                .share(ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(set_delete(&h, true), Err(NtStatus::DIRECTORY_NOT_EMPTY));
    drop(h);
    assert!(s.path("d/f").exists());
}

#[test]
fn delete_on_close_of_an_empty_directory() {
    let s = Share::new();
    s.mkdir("d");
    let h = s.open("d", doc_req().options(DOC | DIR)).unwrap();
    drop(h);
    assert!(!s.path("d").exists());
}

#[test]
fn delete_on_close_of_a_non_empty_directory_opens_but_keeps_it() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/f");
    let h = s.open("d", doc_req().options(DOC | DIR)).unwrap();
    drop(h);
    assert!(s.path("d/f").exists());
}

#[test]
fn delete_pending_directory_refuses_new_children() {
    let s = Share::new();
    s.mkdir("d");
    let h = s
        .open(
            "d",
            req(AccessMask::DELETE | AccessMask::GENERIC_READ, D::OPEN)
                .options(DIR)
                .share(ShareAccess::ALL),
        )
        .unwrap();
    set_delete(&h, true).unwrap();
    assert_eq!(
        s.open("d/new", req(RW, D::CREATE)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
    drop(h);
    assert!(!s.path("d").exists());
}

#[test]
fn delete_pending_file_refuses_create_disposition_open_if() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_delete(&h, true).unwrap();
    assert_eq!(
        s.open("f", req(RW, D::OPEN_IF)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
    assert_eq!(
        s.open("f", req(RW, D::OVERWRITE_IF)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
}

#[test]
fn delete_via_parent_delete_child_right() {
    // Covered in security.rs (DELETE through FILE_DELETE_CHILD); here only that the
    // system token can always delete.
    let s = Share::new();
    s.file("f");
    let h = s
        .open(
            "f",
            req(AccessMask::DELETE, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    set_delete(&h, true).unwrap();
    drop(h);
    assert!(!s.path("f").exists());
}
