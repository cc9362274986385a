//! Rename and hard links (MS-FSA 2.1.5.14.11 FileRenameInformation, 2.1.5.14.6
//! FileLinkInformation).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::{
    AccessMask, CreateDisposition as D, FileInfoClass, NtStatus, ShareAccess, block_on,
};
use lwio_fscc::{FileNameInformation, FileStandardInformation};

fn name_of(h: &lwio_core::FileHandle) -> String {
    let b = block_on(h.query_information(FileInfoClass::NAME, 1024)).unwrap();
    FileNameInformation::decode(&b).unwrap().file_name
}

fn on_disk(s: &Share, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.path(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn rename_within_a_directory() {
    let s = Share::new();
    s.file_with("a", b"x");
    let h = s.all("a");
    rename(&h, "b", false).unwrap();
    assert_eq!(on_disk(&s, ""), vec!["b"]);
    assert_eq!(name_of(&h), "\\b");
}

#[test]
fn rename_across_directories_with_backslashes() {
    let s = Share::new();
    s.mkdir("d1");
    s.mkdir("d2");
    s.file("d1/f");
    let h = s.all("d1/f");
    rename(&h, "\\D2\\g", false).unwrap();
    assert!(s.path("d2/g").exists());
    assert!(!s.path("d1/f").exists());
    assert_eq!(name_of(&h), "\\d2\\g");
}

#[test]
fn rename_case_only_changes_the_case_on_disk() {
    let s = Share::new();
    s.file("name.txt");
    let h = s.all("name.txt");
    rename(&h, "NAME.txt", false).unwrap();
    assert_eq!(on_disk(&s, ""), vec!["NAME.txt"]);
    assert_eq!(name_of(&h), "\\NAME.txt");
}

#[test]
fn rename_onto_existing_without_replace_is_collision() {
    let s = Share::new();
    s.file("a");
    s.file_with("b", b"b");
    let h = s.all("a");
    assert_eq!(rename(&h, "B", false), Err(NtStatus::OBJECT_NAME_COLLISION));
    assert_eq!(std::fs::read(s.path("b")).unwrap(), b"b");
}

#[test]
fn rename_onto_existing_with_replace_replaces() {
    let s = Share::new();
    s.file_with("a", b"a");
    s.file_with("b", b"b");
    let h = s.all("a");
    rename(&h, "B", true).unwrap();
    assert_eq!(on_disk(&s, "").len(), 1);
    assert_eq!(block_on(h.read(0, 10)).unwrap(), b"a");
}

#[test]
fn rename_onto_an_open_file_is_access_denied() {
    let s = Share::new();
    s.file("a");
    s.file("b");
    let _target = s
        .open(
            "b",
            req(AccessMask::GENERIC_READ, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    let h = s.all("a");
    assert_eq!(rename(&h, "b", true), Err(NtStatus::ACCESS_DENIED));
    assert!(s.path("a").exists());
}

#[test]
fn rename_onto_a_directory_is_access_denied() {
    let s = Share::new();
    s.file("a");
    s.mkdir("d");
    let h = s.all("a");
    assert_eq!(rename(&h, "d", true), Err(NtStatus::ACCESS_DENIED));
    assert_eq!(rename(&h, "d", false), Err(NtStatus::OBJECT_NAME_COLLISION));
}

#[test]
fn rename_directory_with_open_child_is_access_denied() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/f");
    let _child = s.all("d/f");
    let h = s
        .open(
            "d",
            req(AccessMask::DELETE | AccessMask::GENERIC_READ, D::OPEN)
                .options(DIR)
                .share(ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(rename(&h, "e", false), Err(NtStatus::ACCESS_DENIED));
    drop(_child);
    rename(&h, "e", false).unwrap();
    assert!(s.path("e/f").exists());
}

#[test]
fn renamed_directory_children_open_under_the_new_name() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/f");
    let h = s.all("d");
    rename(&h, "e", false).unwrap();
    let c = s.all("e/f");
    assert_eq!(name_of(&c), "\\e\\f");
    assert_eq!(name_of(&h), "\\e");
}

#[test]
fn every_handle_of_a_renamed_file_sees_the_new_name() {
    let s = Share::new();
    s.file("a");
    let other = s
        .open(
            "a",
            req(AccessMask::GENERIC_READ, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    let h = s.all("a");
    rename(&h, "z", false).unwrap();
    assert_eq!(name_of(&other), "\\z");
}

#[test]
fn open_without_share_delete_blocks_opening_for_rename() {
    let s = Share::new();
    s.file("a");
    let _reader = s
        .open(
            "a",
            req(AccessMask::GENERIC_READ, D::OPEN).share(ShareAccess::READ | ShareAccess::WRITE),
        )
        .unwrap();
    assert_eq!(
        s.open(
            "a",
            req(AccessMask::DELETE, D::OPEN).share(ShareAccess::ALL)
        )
        .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
}

#[test]
fn rename_needs_delete_access() {
    let s = Share::new();
    s.file("a");
    let h = s.open("a", req(RW, D::OPEN)).unwrap();
    assert_eq!(rename(&h, "b", false), Err(NtStatus::ACCESS_DENIED));
}

#[test]
fn rename_into_a_missing_directory_is_path_not_found() {
    let s = Share::new();
    s.file("a");
    let h = s.all("a");
    assert_eq!(
        rename(&h, "no\\b", false),
        Err(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
}

#[test]
fn rename_onto_itself_succeeds() {
    let s = Share::new();
    s.file("a");
    let h = s.all("a");
    rename(&h, "a", false).unwrap();
    rename(&h, "A", true).unwrap();
    assert_eq!(on_disk(&s, ""), vec!["A"]);
}

#[test]
fn rename_then_delete_on_close_removes_the_new_name() {
    let s = Share::new();
    s.file("a");
    let h = s.all("a");
    rename(&h, "b", false).unwrap();
    set_delete(&h, true).unwrap();
    drop(h);
    assert!(on_disk(&s, "").is_empty());
}

#[test]
fn hard_link_adds_a_name() {
    let s = Share::new();
    s.file_with("a", b"data");
    let h = s.all("a");
    link(&h, "b", false).unwrap();
    assert_eq!(std::fs::read(s.path("b")).unwrap(), b"data");
    let b = block_on(h.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    assert_eq!(
        FileStandardInformation::decode(&b).unwrap().number_of_links,
        2
    );
    // Both names are one file: share modes meet.
    drop(h);
    let _x = s
        .open(
            "a",
            req(AccessMask::FILE_READ_DATA, D::OPEN).share(ShareAccess(0)),
        )
        .unwrap();
    assert_eq!(
        s.open("b", req(AccessMask::FILE_READ_DATA, D::OPEN)).err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
}

#[test]
fn hard_link_onto_existing_needs_replace() {
    let s = Share::new();
    s.file("a");
    s.file("b");
    let h = s.all("a");
    assert_eq!(link(&h, "b", false), Err(NtStatus::OBJECT_NAME_COLLISION));
    link(&h, "b", true).unwrap();
}

#[test]
fn hard_link_of_a_directory_is_refused() {
    let s = Share::new();
    s.mkdir("d");
    let h = s.all("d");
    assert_eq!(link(&h, "e", false), Err(NtStatus::FILE_IS_A_DIRECTORY));
}

/// The rename opens the target directory for adding a file, sharing read and write only
/// (as Windows does): an open of that directory with DELETE access, or one that shares
/// nothing, makes the rename a sharing violation; one without DELETE that shares all
/// lets it through.
#[test]
fn rename_checks_the_target_directory_opens() {
    let s = Share::new();
    s.mkdir("d");
    let data = AccessMask(AccessMask::FILE_READ_DATA.0 | AccessMask::FILE_WRITE_DATA.0);
    let delete = AccessMask(data.0 | AccessMask::DELETE.0);
    let cases = [
        (delete, ShareAccess::ALL, false),
        (delete, ShareAccess(0), false),
        (data, ShareAccess(0), false),
        (data, ShareAccess::ALL, true),
    ];
    for (i, (access, share, ok)) in cases.into_iter().enumerate() {
        s.file(&format!("d/f{i}"));
        let f = s.all(&format!("d/f{i}"));
        let dir = s
            .open("d", req(access, D::OPEN).options(DIR).share(share))
            .unwrap();
        let got = rename(&f, &format!("d\\g{i}"), false);
        let want = if ok {
            Ok(())
        } else {
            Err(NtStatus::SHARING_VIOLATION)
        };
        assert_eq!(got, want, "case {i}");
        drop(dir);
    }
}
