//! Access-based enumeration at the I/O model (`QueryDirectoryRequest::only_accessible`):
//! PVFS lists only the entries whose own descriptor grants the handle's token the rights
//! asked for, `.` and `..` always, over as many calls as the listing takes; the handle's
//! token decides, so SYSTEM and a user see different listings of one directory.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use lwio_core::irp::{IrpRequest, QueryDirectoryFlags, QueryDirectoryRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition as D, CreateRequest, FileHandle, FileInfoClass,
    NtStatus, SecurityDescriptor, ShareAccess,
};
use lwio_fscc::decode_dir_entries;

/// What a listing needs on an SMB share with access-based enumeration.
const READ: AccessMask = AccessMask(0x0002_0089);

fn user() -> Arc<AccessToken> {
    Arc::new(
        AccessToken::new("S-1-5-21-1-2-3-1001".parse().unwrap())
            .with_groups(["S-1-1-0".parse().unwrap()]),
    )
}

/// Creates `path` as SYSTEM with the descriptor `sddl`.
fn create(s: &Share, path: &str, sddl: &str, dir: bool) {
    let sd: SecurityDescriptor = sddl.parse().unwrap();
    let mut r = req(RW, D::CREATE).security_descriptor(sd.encode());
    if dir {
        r = r.options(DIR);
    }
    drop(s.open(path, r).unwrap());
}

/// Every name of `h`'s listing, `length` bytes a call, filtered by `only`.
fn names(h: &FileHandle, only: Option<AccessMask>, length: u32) -> Vec<String> {
    let class = FileInfoClass::NAMES;
    let mut flags = QueryDirectoryFlags::RESTART_SCANS;
    let mut out = Vec::new();
    loop {
        let q = QueryDirectoryRequest {
            class,
            flags,
            file_index: 0,
            pattern: None,
            length,
            only_accessible: only,
        };
        let r = call(h, IrpRequest::QueryDirectory(q));
        if r.status == NtStatus::NO_MORE_FILES {
            out.sort();
            return out;
        }
        assert_eq!(r.status, NtStatus::SUCCESS);
        let entries = decode_dir_entries(class, &r.output).unwrap();
        assert!(!entries.is_empty());
        out.extend(entries.into_iter().map(|e| e.file_name));
        flags = QueryDirectoryFlags::empty();
    }
}

#[test]
fn a_listing_by_access_shows_each_token_what_it_may_read() {
    let s = Share::new();
    create(&s, "d", "D:(A;;FA;;;WD)", true);
    create(&s, "d/open.txt", "D:(A;;FR;;;WD)", false);
    create(&s, "d/opendir", "D:(A;;FR;;;WD)", true);
    create(&s, "d/system.txt", "D:(A;;FA;;;SY)", false);
    // FILE_GENERIC_READ less FILE_READ_EA: not enough.
    create(&s, "d/no_ea.txt", "D:(A;;0x00120081;;;WD)", false);
    for i in 0..30 {
        create(&s, &format!("d/sys{i:02}"), "D:(A;;FA;;;SY)", false);
    }
    let as_user = s
        .open(
            "d",
            CreateRequest::new(user(), AccessMask::FILE_LIST_DIRECTORY, D::OPEN)
                .share(ShareAccess::ALL)
                .options(DIR),
        )
        .unwrap();
    // Small buffers: hidden entries are skipped across calls, never end the listing.
    for length in [64, 65536] {
        assert_eq!(
            names(&as_user, Some(READ), length),
            [".", "..", "open.txt", "opendir"],
            "{length}"
        );
    }
    assert_eq!(names(&as_user, None, 65536).len(), 2 + 4 + 30);
    let as_system = s.dir_handle("d");
    let seen = names(&as_system, Some(READ), 65536);
    assert_eq!(seen.len(), 2 + 3 + 30, "{seen:?}");
    assert!(!seen.contains(&"no_ea.txt".to_string()));
}
