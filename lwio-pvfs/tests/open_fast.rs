//! Opens of existing files take a fast path (the name as spelled, opened at once); these
//! tests pin what it must not change: which file a name means, the type checks, and that
//! special files are refused without hanging.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{DIR, NONDIR, RW, Share, req};
use lwio_core::{AccessMask, CreateDisposition, NtStatus, block_on};

fn read_all(share: &Share, path: &str) -> Result<Vec<u8>, NtStatus> {
    let f = share.open(path, req(AccessMask::GENERIC_READ, CreateDisposition::OPEN))?;
    block_on(f.read(0, 100))
}

#[test]
fn an_exact_spelling_wins_over_another_case_variant() {
    let share = Share::new();
    std::fs::write(share.path("abc"), b"lower").unwrap();
    std::fs::write(share.path("ABC"), b"upper").unwrap();
    std::fs::create_dir(share.path("Dir")).unwrap();
    std::fs::write(share.path("Dir/File.txt"), b"nested").unwrap();
    assert_eq!(read_all(&share, "abc").unwrap(), b"lower");
    assert_eq!(read_all(&share, "ABC").unwrap(), b"upper");
    assert_eq!(read_all(&share, "abc::$DATA").unwrap(), b"lower");
    // Neither spelling: the case-insensitive lookup picks one of the two.
    let other = read_all(&share, "aBc").unwrap();
    assert!(other == b"lower" || other == b"upper");
    // Nested, exact and in other cases.
    for p in [
        "Dir/File.txt",
        "dir/file.txt",
        "DIR/File.txt",
        "Dir/FILE.TXT",
    ] {
        assert_eq!(read_all(&share, p).unwrap(), b"nested", "{p}");
    }
    assert_eq!(
        read_all(&share, "Dir/missing").err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert_eq!(
        read_all(&share, "missing/File.txt").err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
    assert_eq!(
        read_all(&share, "abc/x").err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
}

#[test]
fn type_checks_and_write_access_hold_on_the_fast_path() {
    let share = Share::new();
    share.file_with("f", b"data");
    share.mkdir("d");
    let open = |p: &str, options| {
        share.open(
            p,
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN).options(options),
        )
    };
    assert_eq!(open("d", NONDIR).err(), Some(NtStatus::FILE_IS_A_DIRECTORY));
    assert_eq!(open("f", DIR).err(), Some(NtStatus::NOT_A_DIRECTORY));
    assert!(open("d", DIR).is_ok());
    assert_eq!(
        share.open("f", req(RW, CreateDisposition::CREATE)).err(),
        Some(NtStatus::OBJECT_NAME_COLLISION)
    );
    // A handle that may write really can (the read-only probe was reopened read-write).
    let f = share.open("f", req(RW, CreateDisposition::OPEN)).unwrap();
    block_on(f.write(0, b"DA".to_vec())).unwrap();
    drop(f);
    assert_eq!(std::fs::read(share.path("f")).unwrap(), b"DAta");
    // Overwrite through the fast path truncates.
    drop(
        share
            .open("f", req(RW, CreateDisposition::OVERWRITE_IF))
            .unwrap(),
    );
    assert_eq!(std::fs::read(share.path("f")).unwrap(), b"");
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let share = Share::new();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        share.path("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut got = Vec::new();
        for disposition in [
            CreateDisposition::OPEN,
            CreateDisposition::OPEN_IF,
            CreateDisposition::CREATE,
            CreateDisposition::OVERWRITE_IF,
        ] {
            got.push(share.open("fifo", req(RW, disposition)).err());
            got.push(share.open("FIFO", req(RW, disposition)).err());
        }
        let _ = tx.send(got);
    });
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("open blocked");
    assert_eq!(got, vec![Some(NtStatus::ACCESS_DENIED); 8]);
}

#[test]
fn a_second_open_sees_attributes_set_through_the_first() {
    use lwio_core::{FileAttributes, FileInfoClass, ShareAccess};
    use lwio_fscc::{FileBasicInformation, FileTime};
    let share = Share::new();
    share.file_with("f", b"data");
    let first = share
        .open(
            "f",
            req(AccessMask::GENERIC_ALL, CreateDisposition::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    let read_only = FileBasicInformation {
        creation_time: FileTime(0),
        last_access_time: FileTime(0),
        last_write_time: FileTime(0),
        change_time: FileTime(0),
        file_attributes: FileAttributes::READONLY,
    };
    common::set_info(&first, FileInfoClass::BASIC, read_only.encode()).unwrap();
    // The file is open: its DOS attributes come from the FCB, and say READONLY.
    let rw = |share: &Share| {
        share
            .open(
                "f",
                req(RW, CreateDisposition::OPEN).share(ShareAccess::ALL),
            )
            .err()
    };
    assert_eq!(rw(&share), Some(NtStatus::ACCESS_DENIED));
    drop(first);
    // Closed: read from the attribute again, with the same answer.
    assert_eq!(rw(&share), Some(NtStatus::ACCESS_DENIED));
}
