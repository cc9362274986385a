//! Create: dispositions against existing and missing files and directories, the directory
//! options, and the parameter checks of MS-FSA 2.1.5.1.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::{AccessMask, CreateAction, CreateDisposition as D, CreateOptions, NtStatus};

const R: AccessMask = AccessMask::GENERIC_READ;

fn action(s: &Share, path: &str, disp: D) -> Result<CreateAction, NtStatus> {
    s.open(path, req(RW, disp)).map(|h| h.create_action())
}

#[test]
fn dispositions_on_a_missing_file() {
    let s = Share::new();
    let table = [
        (D::OPEN, Err(NtStatus::OBJECT_NAME_NOT_FOUND)),
        (D::OVERWRITE, Err(NtStatus::OBJECT_NAME_NOT_FOUND)),
        (D::CREATE, Ok(CreateAction::CREATED)),
        (D::OPEN_IF, Ok(CreateAction::CREATED)),
        (D::OVERWRITE_IF, Ok(CreateAction::CREATED)),
        (D::SUPERSEDE, Ok(CreateAction::CREATED)),
    ];
    for (i, (disp, want)) in table.into_iter().enumerate() {
        let name = format!("f{i}");
        assert_eq!(action(&s, &name, disp), want, "{disp:?}");
        assert_eq!(s.path(&name).exists(), want.is_ok());
    }
}

#[test]
fn dispositions_on_an_existing_file() {
    let s = Share::new();
    let table = [
        (D::OPEN, Ok(CreateAction::OPENED), 4),
        (D::OPEN_IF, Ok(CreateAction::OPENED), 4),
        (D::CREATE, Err(NtStatus::OBJECT_NAME_COLLISION), 4),
        (D::OVERWRITE, Ok(CreateAction::OVERWRITTEN), 0),
        (D::OVERWRITE_IF, Ok(CreateAction::OVERWRITTEN), 0),
        (D::SUPERSEDE, Ok(CreateAction::SUPERSEDED), 0),
    ];
    for (disp, want, size) in table {
        s.file_with("f", b"data");
        assert_eq!(action(&s, "f", disp), want, "{disp:?}");
        assert_eq!(
            std::fs::metadata(s.path("f")).unwrap().len(),
            size,
            "{disp:?}"
        );
        std::fs::remove_file(s.path("f")).unwrap();
    }
}

#[test]
fn dispositions_on_an_existing_directory() {
    let s = Share::new();
    s.mkdir("d");
    assert_eq!(action(&s, "d", D::OPEN), Ok(CreateAction::OPENED));
    assert_eq!(action(&s, "d", D::OPEN_IF), Ok(CreateAction::OPENED));
    assert_eq!(
        action(&s, "d", D::CREATE),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    for disp in [D::OVERWRITE, D::OVERWRITE_IF, D::SUPERSEDE] {
        assert_eq!(
            action(&s, "d", disp),
            Err(NtStatus::INVALID_PARAMETER),
            "{disp:?}"
        );
    }
    assert!(s.path("d").is_dir());
}

#[test]
fn directory_file_creates_a_directory_with_create_and_open_if() {
    let s = Share::new();
    for (name, disp) in [("a", D::CREATE), ("b", D::OPEN_IF)] {
        let h = s.open(name, req(R, disp).options(DIR)).unwrap();
        assert_eq!(h.create_action(), CreateAction::CREATED);
        assert!(s.path(name).is_dir());
    }
    assert_eq!(
        s.open("c", req(R, D::OPEN).options(DIR)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

#[test]
fn directory_file_with_overwrite_or_supersede_is_invalid() {
    let s = Share::new();
    for disp in [D::OVERWRITE, D::OVERWRITE_IF, D::SUPERSEDE] {
        assert_eq!(
            s.open("x", req(R, disp).options(DIR)).err(),
            Some(NtStatus::INVALID_PARAMETER),
            "{disp:?}"
        );
    }
    assert!(!s.path("x").exists());
}

#[test]
fn both_directory_options_are_invalid() {
    let s = Share::new();
    s.file("f");
    assert_eq!(
        s.open("f", req(R, D::OPEN).options(DIR | NONDIR)).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        s.open("n", req(R, D::CREATE).options(DIR | NONDIR)).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn directory_and_non_directory_options_check_the_kind() {
    let s = Share::new();
    s.file("f");
    s.mkdir("d");
    assert!(s.open("f", req(R, D::OPEN).options(NONDIR)).is_ok());
    assert!(s.open("d", req(R, D::OPEN).options(DIR)).is_ok());
    assert_eq!(
        s.open("f", req(R, D::OPEN).options(DIR)).err(),
        Some(NtStatus::NOT_A_DIRECTORY)
    );
    assert_eq!(
        s.open("d", req(R, D::OPEN).options(NONDIR)).err(),
        Some(NtStatus::FILE_IS_A_DIRECTORY)
    );
    // No option: either kind opens.
    assert!(s.open("f", req(R, D::OPEN)).is_ok());
    assert!(s.open("d", req(R, D::OPEN)).is_ok());
}

#[test]
fn delete_on_close_without_delete_access_is_invalid() {
    let s = Share::new();
    s.file("f");
    assert_eq!(
        s.open("f", req(RW, D::OPEN).options(DOC)).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        s.open("new", req(RW, D::CREATE).options(DOC)).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );
    assert!(!s.path("new").exists());
}

#[test]
fn invalid_disposition_is_invalid_parameter() {
    let s = Share::new();
    assert_eq!(
        s.open("f", req(R, D(6))).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn open_by_file_id_is_not_supported() {
    let s = Share::new();
    assert_eq!(
        s.open("f", req(R, D::OPEN).options(CreateOptions::OPEN_BY_FILE_ID))
            .err(),
        Some(NtStatus::NOT_SUPPORTED)
    );
}

#[test]
fn missing_parent_is_path_not_found() {
    let s = Share::new();
    for disp in [D::OPEN, D::CREATE, D::OPEN_IF] {
        assert_eq!(
            s.open("no/f", req(R, disp)).err(),
            Some(NtStatus::OBJECT_PATH_NOT_FOUND)
        );
    }
    s.file("f");
    assert_eq!(
        s.open("f/x", req(R, D::OPEN)).err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
}

#[test]
fn names_are_case_insensitive_and_keep_their_case() {
    let s = Share::new();
    s.mkdir("Dir");
    s.file("Dir/File.TXT");
    let h = s.open("dIR/fILE.txt", req(R, D::OPEN)).unwrap();
    assert_eq!(h.create_action(), CreateAction::OPENED);
    assert_eq!(
        action(&s, "DIR/FILE.TXT", D::CREATE),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    let names: Vec<_> = std::fs::read_dir(s.path("Dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["File.TXT"]);
}

#[test]
fn refused_overwrite_does_not_truncate() {
    let s = Share::new();
    s.file_with("f", b"keep");
    let _h = s
        .open("f", req(R, D::OPEN).share(lwio_core::ShareAccess::READ))
        .unwrap();
    assert_eq!(
        action(&s, "f", D::OVERWRITE),
        Err(NtStatus::SHARING_VIOLATION)
    );
    assert_eq!(std::fs::read(s.path("f")).unwrap(), b"keep");
}

#[test]
fn overwrite_of_hidden_file_needs_the_hidden_attribute() {
    let s = Share::new();
    let h = s
        .open(
            "h",
            req(RW, D::CREATE).attributes(lwio_core::FileAttributes::HIDDEN),
        )
        .unwrap();
    drop(h);
    assert_eq!(action(&s, "h", D::OVERWRITE), Err(NtStatus::ACCESS_DENIED));
    let ok = s.open(
        "h",
        req(RW, D::OVERWRITE).attributes(lwio_core::FileAttributes::HIDDEN),
    );
    assert_eq!(ok.map(|h| h.create_action()), Ok(CreateAction::OVERWRITTEN));
}

#[test]
fn read_only_file_refuses_write_access() {
    let s = Share::new();
    drop(
        s.open(
            "ro",
            req(RW, D::CREATE).attributes(lwio_core::FileAttributes::READONLY),
        )
        .unwrap(),
    );
    assert_eq!(
        s.open("ro", req(AccessMask::GENERIC_WRITE, D::OPEN)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    assert!(s.open("ro", req(R, D::OPEN)).is_ok());
}

#[test]
fn named_streams_open_and_default_stream_opens_the_file() {
    let s = Share::new();
    s.file("f");
    // Named streams are tested in tests/streams.rs; here only that the syntax reaches them.
    assert_eq!(
        s.open("f:s", req(R, D::OPEN_IF)).map(|h| h.create_action()),
        Ok(CreateAction::CREATED)
    );
    assert_eq!(
        s.open("f:s:", req(R, D::OPEN_IF)).err(),
        Some(NtStatus::OBJECT_NAME_INVALID)
    );
    assert!(s.open("f::$DATA", req(R, D::OPEN)).is_ok());
}

#[test]
fn the_root_opens_as_a_directory() {
    let s = Share::new();
    let h = block_on_root(&s);
    assert_eq!(h.create_action(), CreateAction::OPENED);
}

fn block_on_root(s: &Share) -> lwio_core::FileHandle {
    lwio_core::block_on(s.io.create_file("/s", req(R, D::OPEN).options(DIR))).unwrap()
}

/// Two OPEN_IF creates of one new directory at once: one creates, the other opens what
/// the first made (never STATUS_OBJECT_NAME_COLLISION, never a half-made directory).
#[test]
fn racing_open_if_creates_both_succeed() {
    let s = std::sync::Arc::new(Share::new());
    for round in 0..20 {
        let name = format!("d{round}");
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let s = std::sync::Arc::clone(&s);
                let name = name.clone();
                std::thread::spawn(move || {
                    s.open(
                        &name,
                        req(AccessMask::GENERIC_ALL, D::OPEN_IF)
                            .options(DIR)
                            .share(lwio_core::ShareAccess::ALL),
                    )
                    .map(|h| h.create_action())
                })
            })
            .collect();
        let mut actions: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        actions.sort_by_key(|a| format!("{a:?}"));
        assert_eq!(
            actions,
            vec![
                lwio_core::CreateAction::CREATED,
                lwio_core::CreateAction::OPENED
            ],
            "round {round}"
        );
    }
}
