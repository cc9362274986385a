//! Share modes through real opens (MS-FSA 2.1.5.1.2, check share access).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::{AccessMask, CreateDisposition, NtStatus, ShareAccess};

const ACCESSES: [(AccessMask, u32); 3] = [
    (AccessMask::FILE_READ_DATA, 1),
    (AccessMask::FILE_WRITE_DATA, 2),
    (AccessMask::DELETE, 4),
];

fn open(s: &Share, access: AccessMask, share: u32) -> Result<lwio_core::FileHandle, NtStatus> {
    s.open(
        "f",
        req(access, CreateDisposition::OPEN).share(ShareAccess(share)),
    )
}

/// Every combination of one right × share flags for two opens: the second open passes
/// exactly when each shares what the other uses.
#[test]
fn two_opens_share_matrix() {
    let s = Share::new();
    s.file("f");
    for (a1, bit1) in ACCESSES {
        for sh1 in 0..8u32 {
            let first = open(&s, a1, sh1).unwrap();
            for (a2, bit2) in ACCESSES {
                for sh2 in 0..8u32 {
                    let want = sh1 & bit2 != 0 && sh2 & bit1 != 0;
                    let got = open(&s, a2, sh2);
                    assert_eq!(
                        got.as_ref().err().copied(),
                        (!want).then_some(NtStatus::SHARING_VIOLATION),
                        "first {a1:?}/{sh1} second {a2:?}/{sh2}"
                    );
                }
            }
            drop(first);
        }
    }
}

/// Combined rights: all the rights of an open must be shared by the other.
#[test]
fn combined_rights_must_all_be_shared() {
    let s = Share::new();
    s.file("f");
    let rw = AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_DATA;
    let _a = open(&s, rw, 7).unwrap();
    assert_eq!(
        open(&s, AccessMask::FILE_READ_DATA, 1).err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    assert!(open(&s, AccessMask::FILE_READ_DATA, 3).is_ok());
}

/// A third open is checked against both earlier ones.
#[test]
fn third_open_is_checked_against_every_open() {
    let s = Share::new();
    s.file("f");
    let r = AccessMask::FILE_READ_DATA;
    let w = AccessMask::FILE_WRITE_DATA;
    let _a = open(&s, r, 3).unwrap();
    let _b = open(&s, w, 1).unwrap();
    // Shares read with a but not write held by b.
    assert_eq!(open(&s, r, 1).err(), Some(NtStatus::SHARING_VIOLATION));
    // Wants write, which b does not share.
    assert_eq!(open(&s, w, 3).err(), Some(NtStatus::SHARING_VIOLATION));
    assert!(open(&s, r, 3).is_ok());
}

#[test]
fn closing_an_open_releases_its_share_mode() {
    let s = Share::new();
    s.file("f");
    let a = open(&s, AccessMask::FILE_READ_DATA, 0).unwrap();
    assert!(open(&s, AccessMask::FILE_READ_DATA, 7).is_err());
    drop(a);
    assert!(open(&s, AccessMask::FILE_READ_DATA, 7).is_ok());
}

#[test]
fn attribute_only_opens_ignore_share_modes() {
    let s = Share::new();
    s.file("f");
    let _a = open(&s, AccessMask::GENERIC_ALL, 0).unwrap();
    let attrs = AccessMask::FILE_READ_ATTRIBUTES | AccessMask::READ_CONTROL;
    assert!(open(&s, attrs, 0).is_ok());
    assert!(open(&s, AccessMask::SYNCHRONIZE | attrs, 7).is_ok());
}

#[test]
fn share_modes_apply_to_directories() {
    let s = Share::new();
    s.mkdir("d");
    let o = |access, share| {
        s.open(
            "d",
            req(access, CreateDisposition::OPEN)
                .share(ShareAccess(share))
                .options(DIR),
        )
    };
    let _a = o(AccessMask::FILE_LIST_DIRECTORY, 1).unwrap();
    assert_eq!(
        o(AccessMask::DELETE, 7).err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
}

#[test]
fn two_spellings_of_one_name_share_one_file() {
    let s = Share::new();
    s.file("Name");
    let _a = s
        .open(
            "NAME",
            req(AccessMask::FILE_READ_DATA, CreateDisposition::OPEN).share(ShareAccess(0)),
        )
        .unwrap();
    assert_eq!(
        s.open(
            "name",
            req(AccessMask::FILE_READ_DATA, CreateDisposition::OPEN).share(ShareAccess::ALL)
        )
        .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
}
