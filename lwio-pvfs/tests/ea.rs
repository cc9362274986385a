//! Extended attributes (MS-FSA 2.1.5.12.12 query, 2.1.5.15.5 set, 2.1.5.1 create): sets,
//! enumeration with cursor, index and name lists, buffer rules, create EAs, FILE_NEED_EA,
//! access rights, EaSize everywhere it shows, limits, and what survives a restart.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::{IrpRequest, QueryEaRequest, QueryInfoRequest};
use lwio_core::{
    AccessMask, CreateDisposition as D, CreateOptions, FileAttributes, FileHandle,
    FileInfoClass as C, IrpResult, NtStatus, block_on,
};
use lwio_fscc::{
    EaEntry, FILE_NEED_EA, FileAllInformation, FileBasicInformation, FileEaInformation,
    FileFullEaInformation, FileGetEaInformation, decode_dir_entries,
};

fn ea(name: &str, value: &str) -> EaEntry {
    EaEntry {
        flags: 0,
        name: name.as_bytes().to_vec(),
        value: value.as_bytes().to_vec(),
    }
}

fn list(entries: &[EaEntry]) -> Vec<u8> {
    FileFullEaInformation {
        entries: entries.to_vec(),
    }
    .encode()
}

fn set_eas(h: &FileHandle, entries: &[EaEntry]) -> NtStatus {
    set_info_call(h, C::FULL_EA, list(entries)).status
}

fn query(h: &FileHandle, q: QueryEaRequest) -> IrpResult {
    call(h, IrpRequest::QueryEa(q))
}

/// Every EA, from the start.
fn all_eas(h: &FileHandle) -> Result<Vec<EaEntry>, NtStatus> {
    let r = query(
        h,
        QueryEaRequest {
            length: 65536,
            restart_scan: true,
            ..Default::default()
        },
    );
    if r.status != NtStatus::SUCCESS {
        return Err(r.status);
    }
    Ok(FileFullEaInformation::decode(&r.output).unwrap().entries)
}

fn ea_size(h: &FileHandle) -> u32 {
    let r = call(
        h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: C::EA,
            length: 4,
        }),
    );
    FileEaInformation::decode(&r.output).unwrap().ea_size
}

fn with_eas(entries: &[EaEntry]) -> lwio_core::CreateRequest {
    let mut r = req(ALL, D::CREATE);
    r.ea_buffer = Some(list(entries).into());
    r
}

#[test]
fn set_query_replace_and_delete() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    assert_eq!(all_eas(&h), Err(NtStatus::NO_EAS_ON_FILE));
    assert_eq!(ea_size(&h), 0);
    assert_eq!(
        set_eas(&h, &[ea("NewEA", "testme"), ea("Second", "2")]),
        NtStatus::SUCCESS
    );
    // Names come back upper-case, in the order they were added.
    assert_eq!(
        all_eas(&h).unwrap(),
        vec![ea("NEWEA", "testme"), ea("SECOND", "2")]
    );
    // Packed sizes (4 + 5 + 1 + 6) + (4 + 6 + 1 + 1), plus the 4-byte header.
    assert_eq!(ea_size(&h), 16 + 12 + 4);
    // Replacing matches without case and moves the EA last; an empty value deletes.
    assert_eq!(set_eas(&h, &[ea("newea", "again")]), NtStatus::SUCCESS);
    assert_eq!(
        all_eas(&h).unwrap(),
        vec![ea("SECOND", "2"), ea("NEWEA", "again")]
    );
    assert_eq!(
        set_eas(&h, &[ea("Second", ""), ea("ZeroEA", "")]),
        NtStatus::SUCCESS
    );
    assert_eq!(all_eas(&h).unwrap(), vec![ea("NEWEA", "again")]);
    assert_eq!(set_eas(&h, &[ea("NEWEA", "")]), NtStatus::SUCCESS);
    assert_eq!(all_eas(&h), Err(NtStatus::NO_EAS_ON_FILE));
    assert_eq!(ea_size(&h), 0);
    // No EA left means no attribute left.
    assert!(
        xattr_names(&s.path("f"))
            .iter()
            .all(|n| n != "user.lwio.ea")
    );
}

fn xattr_names(path: &std::path::Path) -> Vec<String> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::listxattr(path, &mut buf[..]).unwrap_or(0);
    buf[..n]
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

#[test]
fn bad_lists_are_refused_and_change_nothing() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_eas(&h, &[ea("KEEP", "1")]);
    let mut b = list(&[ea("A", "1"), ea("B", "2")]);
    b[0] = 0x0d; // NextEntryOffset not the aligned entry size
    assert_eq!(
        set_info_call(&h, C::FULL_EA, b).status,
        NtStatus::EA_LIST_INCONSISTENT
    );
    assert_eq!(
        set_eas(&h, &[ea("BAD*NAME", "1")]),
        NtStatus::INVALID_EA_NAME
    );
    let flagged = EaEntry {
        flags: 0x01,
        ..ea("F", "1")
    };
    assert_eq!(set_eas(&h, &[flagged]), NtStatus::INVALID_EA_NAME);
    // Too large: the whole set fails, the good first entry included.
    let big = EaEntry {
        flags: 0,
        name: b"BIG".to_vec(),
        value: vec![b'x'; 65535],
    };
    assert_eq!(set_eas(&h, &[ea("NEW", "1"), big]), NtStatus::EA_TOO_LARGE);
    assert_eq!(all_eas(&h).unwrap(), vec![ea("KEEP", "1")]);
}

#[test]
fn enumeration_cursor_index_and_single_entry() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_eas(&h, &[ea("ONE", "1"), ea("TWO", "22"), ea("THREE", "333")]);
    let step = |restart: bool| {
        query(
            &h,
            QueryEaRequest {
                length: 1024,
                restart_scan: restart,
                single_entry: true,
                ..Default::default()
            },
        )
    };
    let names = |r: &IrpResult| -> Vec<String> {
        FileFullEaInformation::decode(&r.output)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .collect()
    };
    let r = step(true);
    assert_eq!(
        (r.status, names(&r)),
        (NtStatus::SUCCESS, vec!["ONE".into()])
    );
    assert_eq!(names(&step(false)), vec!["TWO".to_owned()]);
    assert_eq!(names(&step(false)), vec!["THREE".to_owned()]);
    assert_eq!(step(false).status, NtStatus::NO_MORE_EAS);
    assert_eq!(names(&step(true)), vec!["ONE".to_owned()]);
    // A second handle has its own cursor.
    let h2 = s.all("f");
    let r = query(
        &h2,
        QueryEaRequest {
            length: 1024,
            ..Default::default()
        },
    );
    assert_eq!(names(&r), vec!["ONE", "TWO", "THREE"]);
    // A query-information of FileFullEaInformation goes on from the cursor.
    let r = call(
        &h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: C::FULL_EA,
            length: 1024,
        }),
    );
    assert_eq!(names(&r), vec!["TWO", "THREE"]);
    // 1-based index.
    let at = |i: u32| {
        query(
            &h,
            QueryEaRequest {
                length: 1024,
                index: Some(i),
                ..Default::default()
            },
        )
    };
    assert_eq!(names(&at(2)), vec!["TWO", "THREE"]);
    assert_eq!(at(0).status, NtStatus::NONEXISTENT_EA_ENTRY);
    assert_eq!(at(4).status, NtStatus::NO_MORE_EAS);
    assert_eq!(at(5).status, NtStatus::NONEXISTENT_EA_ENTRY);
}

#[test]
fn buffer_rules() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_eas(&h, &[ea("EAONE", "VALUE1"), ea("SECONDEA", "ValueTwo")]);
    let sized = |length: u32| {
        query(
            &h,
            QueryEaRequest {
                length,
                restart_scan: true,
                ..Default::default()
            },
        )
    };
    // 20 + 25 bytes (the first padded to 20 already).
    let r = sized(45);
    assert_eq!((r.status, r.output.len()), (NtStatus::SUCCESS, 45));
    let r = sized(44);
    assert_eq!((r.status, r.output.len()), (NtStatus::BUFFER_OVERFLOW, 20));
    let r = sized(19);
    assert_eq!(
        (r.status, r.output.len(), r.information),
        (NtStatus::BUFFER_TOO_SMALL, 0, 20)
    );
}

#[test]
fn query_by_name_list() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_eas(&h, &[ea("EAONE", "VALUE1"), ea("SECONDEA", "ValueTwo")]);
    let by_names = |names: &[&str]| {
        let get = FileGetEaInformation {
            names: names.iter().map(|n| n.as_bytes().to_vec()).collect(),
        };
        query(
            &h,
            QueryEaRequest {
                length: 1024,
                ea_list: get.encode().into(),
                ..Default::default()
            },
        )
    };
    let r = by_names(&["secondea", "missing", "eaone"]);
    assert_eq!(r.status, NtStatus::SUCCESS);
    assert_eq!(
        FileFullEaInformation::decode(&r.output).unwrap().entries,
        vec![
            ea("SECONDEA", "ValueTwo"),
            ea("missing", ""),
            ea("EAONE", "VALUE1")
        ]
    );
    // A malformed list.
    let bad = query(
        &h,
        QueryEaRequest {
            length: 1024,
            ea_list: vec![9, 0, 0, 0, 1, b'A', 0].into(),
            ..Default::default()
        },
    );
    assert_eq!(bad.status, NtStatus::EA_LIST_INCONSISTENT);
}

#[test]
fn create_eas_need_ea_and_overwrite() {
    let s = Share::new();
    let need = EaEntry {
        flags: FILE_NEED_EA,
        ..ea("Needed", "x")
    };
    let h = s
        .open("f", with_eas(&[ea("EAONE", "VALUE1"), need]))
        .unwrap();
    assert_eq!(all_eas(&h).unwrap().len(), 2);
    drop(h);
    // FILE_NO_EA_KNOWLEDGE may not open a file with a FILE_NEED_EA EA.
    let no_knowledge = req(AccessMask::GENERIC_READ, D::OPEN)
        .share(lwio_core::ShareAccess::ALL)
        .options(CreateOptions::NO_EA_KNOWLEDGE);
    assert_eq!(
        s.open("f", no_knowledge.clone()).unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    // An overwrite replaces the set with the create's.
    let mut over = req(ALL, D::OVERWRITE);
    over.ea_buffer = Some(list(&[ea("Fresh", "1")]).into());
    let h = s.open("f", over).unwrap();
    assert_eq!(all_eas(&h).unwrap(), vec![ea("FRESH", "1")]);
    drop(h);
    assert!(s.open("f", no_knowledge).is_ok());
    // And without EAs it leaves none.
    let h = s.open("f", req(ALL, D::OVERWRITE_IF)).unwrap();
    assert_eq!(all_eas(&h), Err(NtStatus::NO_EAS_ON_FILE));
    drop(h);
    // A plain open ignores the EA buffer.
    let mut open = req(ALL, D::OPEN);
    open.ea_buffer = Some(list(&[ea("Ignored", "1")]).into());
    let h = s.open("f", open).unwrap();
    assert_eq!(all_eas(&h), Err(NtStatus::NO_EAS_ON_FILE));
    drop(h);
    // A bad EA buffer fails the create, and no file is left behind.
    let mut bad = with_eas(&[ea("ok", "1")]);
    bad.ea_buffer = Some(vec![0u8; 12].into());
    assert_eq!(s.open("g", bad).unwrap_err(), NtStatus::INVALID_EA_NAME);
    assert!(!s.path("g").exists());
    // Directories carry EAs too.
    let mut dir = with_eas(&[ea("D", "1")]);
    dir.options = DIR;
    let h = s.open("d", dir).unwrap();
    assert_eq!(all_eas(&h).unwrap(), vec![ea("D", "1")]);
}

#[test]
fn access_rights_are_checked() {
    let s = Share::new();
    s.open("f", with_eas(&[ea("A", "1")])).unwrap();
    let attrs_only = s
        .open(
            "f",
            req(AccessMask::FILE_READ_ATTRIBUTES, D::OPEN).share(lwio_core::ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(all_eas(&attrs_only), Err(NtStatus::ACCESS_DENIED));
    assert_eq!(
        set_eas(&attrs_only, &[ea("B", "1")]),
        NtStatus::ACCESS_DENIED
    );
    let reader = s
        .open(
            "f",
            req(AccessMask::FILE_READ_EA, D::OPEN).share(lwio_core::ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(all_eas(&reader).unwrap(), vec![ea("A", "1")]);
    assert_eq!(set_eas(&reader, &[ea("B", "1")]), NtStatus::ACCESS_DENIED);
    let writer = s
        .open(
            "f",
            req(AccessMask::FILE_WRITE_EA, D::OPEN).share(lwio_core::ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(set_eas(&writer, &[ea("B", "1")]), NtStatus::SUCCESS);
    assert_eq!(all_eas(&writer), Err(NtStatus::ACCESS_DENIED));
}

#[test]
fn ea_size_in_all_information_and_directory_entries() {
    let s = Share::new();
    s.mkdir("d");
    drop(
        s.open("d/with", with_eas(&[ea("EAONE", "VALUE1")]))
            .unwrap(),
    );
    s.file("d/without");
    let h = s.all("d/with");
    let all = call(
        &h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: C::ALL,
            length: 1024,
        }),
    );
    let all = FileAllInformation::decode(&all.output).unwrap();
    assert_eq!(all.ea.ea_size, 20);
    let dir = s.dir_handle("d");
    for class in [C::FULL_DIRECTORY, C::BOTH_DIRECTORY, C::ID_BOTH_DIRECTORY] {
        let r = query_dir(
            &dir,
            class,
            Some("*"),
            lwio_core::irp::QueryDirectoryFlags::RESTART_SCANS,
            65536,
        );
        let entries = decode_dir_entries(class, &r.output).unwrap();
        let size_of = |name: &str| {
            entries
                .iter()
                .find(|e| e.file_name == name)
                .unwrap()
                .ea_size
        };
        assert_eq!((size_of("with"), size_of("without")), (20, 0), "{class:?}");
    }
}

#[test]
fn set_marks_archive_and_survives_a_restart() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let clear = FileBasicInformation {
        file_attributes: FileAttributes::NORMAL,
        ..Default::default()
    };
    set_info(&h, C::BASIC, clear.encode()).unwrap();
    set_eas(&h, &[ea("Kept", "value")]);
    let b = call(
        &h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: C::BASIC,
            length: 40,
        }),
    );
    let b = FileBasicInformation::decode(&b.output).unwrap();
    assert!(b.file_attributes.contains(FileAttributes::ARCHIVE));
    drop(h);
    let io = s.remount();
    let h = block_on(io.create_file("/s/f", req(ALL, D::OPEN))).unwrap();
    assert_eq!(all_eas(&h).unwrap(), vec![ea("KEPT", "value")]);
}

#[test]
fn corrupt_stored_set_is_reported() {
    let s = Share::new();
    s.file("f");
    rustix::fs::setxattr(
        s.path("f"),
        "user.lwio.ea",
        b"LE\x01\x00\x00\x05",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let h = s.all("f");
    assert_eq!(all_eas(&h), Err(NtStatus::EA_CORRUPT_ERROR));
    assert_eq!(ea_size(&h), 0);
}

#[test]
fn a_set_the_file_system_cannot_keep_is_too_large() {
    // Within NTFS's limit, beyond what ext4 keeps per inode without `ea_inode` (a block):
    // either the file system keeps it whole, or the set fails and changes nothing.
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_eas(&h, &[ea("KEEP", "1")]);
    let big = EaEntry {
        flags: 0,
        name: b"BIG".to_vec(),
        value: vec![b'x'; 60_000],
    };
    match set_eas(&h, std::slice::from_ref(&big)) {
        NtStatus::SUCCESS => {
            let got = all_eas(&h).unwrap();
            assert_eq!(got.len(), 2);
            assert_eq!(got[1].value, big.value);
        }
        NtStatus::EA_TOO_LARGE => assert_eq!(all_eas(&h).unwrap(), vec![ea("KEEP", "1")]),
        other => panic!("unexpected {other:?}"),
    }
    // The same at create: the file is not left behind.
    let r = s.open("g", with_eas(&[big]));
    match r {
        Ok(_) => assert!(s.path("g").exists()),
        Err(status) => {
            assert_eq!(status, NtStatus::EA_TOO_LARGE);
            assert!(!s.path("g").exists());
        }
    }
}

#[test]
fn a_set_is_reported_to_change_notify() {
    use lwio_core::irp::{NotifyFilter, NotifyRequest};
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let dir = s.dir_handle("");
    let watch = dir.read_directory_change(NotifyRequest {
        filter: NotifyFilter::EA,
        watch_tree: false,
        length: 4096,
    });
    assert_eq!(set_eas(&h, &[ea("A", "1")]), NtStatus::SUCCESS);
    let got = lwio_fscc::decode_notify(&block_on(watch).unwrap()).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].action, lwio_fscc::NotifyAction::MODIFIED);
    assert_eq!(got[0].file_name, "f");
}

proptest::proptest! {
    /// The stored-xattr parsers (what the `pvfs_xattrs` fuzz target drives) never panic on
    /// arbitrary bytes, nor on bytes that start like a real stored value.
    #[test]
    fn stored_xattr_parsers_survive_any_bytes(
        prefix in proptest::sample::select(vec![&b""[..], &b"LE\x01\x00"[..], &b"LD\x01\x00"[..]]),
        rest in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
    ) {
        let mut data = prefix.to_vec();
        data.extend_from_slice(&rest);
        lwio_pvfs::fuzzing::dos_info(&data);
        lwio_pvfs::fuzzing::stored_sd(&data);
        lwio_pvfs::fuzzing::ea_set(&data);
    }
}
