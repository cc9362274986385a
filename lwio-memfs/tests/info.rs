#![allow(clippy::unwrap_used)]
//! What memfs answers about files, directories and its volume: the classes an SMB client
//! needs, decoded back with lwio-fscc; directory enumeration with patterns, restarts and
//! its end statuses; delete by disposition.

use std::sync::Arc;

use lwio_core::irp::QueryDirectoryRequest;
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileInfoClass,
    FsInfoClass, IoManager, NtStatus, QueryDirectoryFlags, block_on,
};
use lwio_fscc::{
    FileAllInformation, FileFsAttributeInformation, FileFsFullSizeInformation,
    FileNetworkOpenInformation, decode_dir_entries,
};
use lwio_memfs::{MemFs, Volume};

fn open(
    io: &IoManager,
    path: &str,
    disposition: CreateDisposition,
    dir: bool,
) -> lwio_core::FileHandle {
    let options = if dir {
        CreateOptions::DIRECTORY_FILE
    } else {
        CreateOptions::default()
    };
    let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE | AccessMask::DELETE;
    let req = CreateRequest::new(Arc::new(AccessToken::system()), rw, disposition).options(options);
    block_on(io.create_file(path, req)).unwrap()
}

fn mounted() -> IoManager {
    let io = IoManager::new();
    io.add_device("mem", Arc::new(MemFs::new()), Volume::new())
        .unwrap();
    io
}

fn list(
    h: &lwio_core::FileHandle,
    pattern: Option<&str>,
    flags: QueryDirectoryFlags,
) -> Result<Vec<String>, NtStatus> {
    let class = FileInfoClass::ID_BOTH_DIRECTORY;
    let out = block_on(h.query_directory(QueryDirectoryRequest {
        class,
        flags,
        file_index: 0,
        pattern: pattern.map(str::to_owned),
        length: 64 * 1024,
        only_accessible: None,
    }))?;
    Ok(decode_dir_entries(class, &out)
        .unwrap()
        .into_iter()
        .map(|e| e.file_name)
        .collect())
}

#[test]
fn files_report_sizes_times_names_and_the_volume_its_attributes() {
    let io = mounted();
    let _d = open(&io, "/mem/Docs", CreateDisposition::CREATE, true);
    let f = open(&io, "/mem/Docs/a.txt", CreateDisposition::CREATE, false);
    block_on(f.write(0, &b"hello"[..])).unwrap();
    let all = block_on(f.query_information(FileInfoClass::ALL, 4096)).unwrap();
    let all = FileAllInformation::decode(&all).unwrap();
    assert_eq!(all.standard.end_of_file, 5);
    assert!(!all.standard.directory);
    assert_eq!(all.name.file_name, "\\Docs\\a.txt");
    assert!(all.basic.last_write_time.0 >= all.basic.creation_time.0);
    let no = block_on(f.query_information(FileInfoClass::NETWORK_OPEN, 56)).unwrap();
    let no = FileNetworkOpenInformation::decode(&no).unwrap();
    assert_eq!(no.end_of_file, 5);
    assert_eq!(
        block_on(f.query_information(FileInfoClass::NETWORK_OPEN, 8)),
        Err(NtStatus::INFO_LENGTH_MISMATCH)
    );
    assert_eq!(
        block_on(f.query_information(FileInfoClass::STREAM, 1024)),
        Err(NtStatus::INVALID_INFO_CLASS)
    );
    let fs = block_on(f.query_volume_information(FsInfoClass::ATTRIBUTE, 1024)).unwrap();
    assert_eq!(
        FileFsAttributeInformation::decode(&fs)
            .unwrap()
            .file_system_name,
        "MEMFS"
    );
    let size = block_on(f.query_volume_information(FsInfoClass::FULL_SIZE, 32)).unwrap();
    assert!(
        FileFsFullSizeInformation::decode(&size)
            .unwrap()
            .total_allocation_units
            > 0
    );
}

#[test]
fn directories_enumerate_with_patterns_restarts_and_end_statuses() {
    let io = mounted();
    let d = open(&io, "/mem/d", CreateDisposition::CREATE, true);
    for name in ["b.txt", "A.txt", "c.bin"] {
        drop(open(
            &io,
            &format!("/mem/d/{name}"),
            CreateDisposition::CREATE,
            false,
        ));
    }
    let none = QueryDirectoryFlags::default();
    assert_eq!(
        list(&d, None, none).unwrap(),
        [".", "..", "A.txt", "b.txt", "c.bin"]
    );
    assert_eq!(list(&d, None, none), Err(NtStatus::NO_MORE_FILES));
    let restart = QueryDirectoryFlags::RESTART_SCANS;
    assert_eq!(
        list(&d, Some("*.TXT"), restart).unwrap(),
        ["A.txt", "b.txt"]
    );
    assert_eq!(
        list(&d, Some("nothing*"), restart),
        Err(NtStatus::NO_SUCH_FILE)
    );
    let single = QueryDirectoryFlags::RESTART_SCANS | QueryDirectoryFlags::RETURN_SINGLE_ENTRY;
    assert_eq!(list(&d, Some("*"), single).unwrap(), ["."]);
    assert_eq!(
        list(&d, None, QueryDirectoryFlags::RETURN_SINGLE_ENTRY).unwrap(),
        [".."]
    );
}

#[test]
fn a_disposition_deletes_at_close_but_not_a_full_directory() {
    let io = mounted();
    let d = open(&io, "/mem/d", CreateDisposition::CREATE, true);
    let f = open(&io, "/mem/d/f", CreateDisposition::CREATE, false);
    assert_eq!(
        block_on(d.set_information(FileInfoClass::DISPOSITION, vec![1u8])),
        Err(NtStatus::DIRECTORY_NOT_EMPTY)
    );
    block_on(f.set_information(FileInfoClass::DISPOSITION, vec![1u8])).unwrap();
    drop(f);
    block_on(d.set_information(FileInfoClass::DISPOSITION, vec![1u8])).unwrap();
    drop(d);
    let req = CreateRequest::new(
        Arc::new(AccessToken::system()),
        AccessMask::GENERIC_READ,
        CreateDisposition::OPEN,
    );
    assert_eq!(
        block_on(io.create_file("/mem/d", req)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

#[test]
fn access_based_enumeration_is_refused_not_ignored() {
    // memfs keeps no descriptors: a listing filtered by access cannot be honoured.
    let io = mounted();
    let d = open(&io, "/mem/d", CreateDisposition::CREATE, true);
    let filtered = block_on(d.query_directory(QueryDirectoryRequest {
        class: FileInfoClass::NAMES,
        flags: QueryDirectoryFlags::empty(),
        file_index: 0,
        pattern: None,
        length: 4096,
        only_accessible: Some(AccessMask::FILE_READ_DATA),
    }));
    assert_eq!(filtered.err(), Some(NtStatus::NOT_SUPPORTED));
    assert!(list(&d, None, QueryDirectoryFlags::empty()).is_ok());
}
