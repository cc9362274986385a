//! PVFS end to end through the I/O manager: create, write, read, query, list, rename,
//! delete-on-close, share modes, locks, security.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_core::irp::{LockRequest, QueryDirectoryFlags, QueryDirectoryRequest, UnlockRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateAction, CreateDisposition, CreateOptions, CreateRequest,
    FileHandle, FileInfoClass, FsInfoClass, IoManager, NtStatus, SecurityInformation, ShareAccess,
    block_on,
};
use lwio_fscc::{FileBasicInformation, FileStandardInformation, decode_dir_entries};

fn setup() -> (IoManager, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "s", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
    (io, dir)
}

fn req(access: AccessMask, disp: CreateDisposition) -> CreateRequest {
    CreateRequest::new(Arc::new(AccessToken::system()), access, disp)
}

const RW: AccessMask = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);

fn open(io: &IoManager, path: &str, r: CreateRequest) -> Result<FileHandle, NtStatus> {
    block_on(io.create_file(path, r))
}

#[test]
fn create_write_read_query_close() {
    let (io, dir) = setup();
    let f = open(&io, "/s/Hello.txt", req(RW, CreateDisposition::CREATE)).unwrap();
    assert_eq!(f.create_action(), CreateAction::CREATED);
    assert_eq!(block_on(f.write(0, &b"hello world"[..])), Ok(11));
    assert_eq!(block_on(f.read(6, 100)).unwrap(), b"world");
    assert_eq!(block_on(f.read(11, 1)), Err(NtStatus::END_OF_FILE));
    let std = block_on(f.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    let std = FileStandardInformation::decode(&std).unwrap();
    assert_eq!(std.end_of_file, 11);
    let basic = block_on(f.query_information(FileInfoClass::BASIC, 40)).unwrap();
    let basic = FileBasicInformation::decode(&basic).unwrap();
    assert!(
        basic
            .file_attributes
            .contains(lwio_core::FileAttributes::ARCHIVE)
    );
    drop(f);
    assert_eq!(
        std::fs::read(dir.path().join("Hello.txt")).unwrap(),
        b"hello world"
    );
    // Case-insensitive open of the same file.
    let g = open(
        &io,
        "/s/HELLO.TXT",
        req(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
    )
    .unwrap();
    assert_eq!(g.create_action(), CreateAction::OPENED);
    assert_eq!(block_on(g.read(0, 5)).unwrap(), b"hello");
    let vol = block_on(g.query_volume_information(FsInfoClass::ATTRIBUTE, 100)).unwrap();
    assert!(!vol.is_empty());
}

#[test]
fn dispositions_and_kinds() {
    let (io, _dir) = setup();
    let r = AccessMask::GENERIC_READ;
    assert_eq!(
        open(&io, "/s/a", req(r, CreateDisposition::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert_eq!(
        open(&io, "/s/no/a", req(r, CreateDisposition::OPEN_IF)).err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
    let d = open(
        &io,
        "/s/d",
        req(r, CreateDisposition::CREATE).options(CreateOptions::DIRECTORY_FILE),
    )
    .unwrap();
    drop(d);
    assert_eq!(
        open(&io, "/s/d", req(r, CreateDisposition::CREATE)).err(),
        Some(NtStatus::OBJECT_NAME_COLLISION)
    );
    assert_eq!(
        open(
            &io,
            "/s/d",
            req(r, CreateDisposition::OPEN).options(CreateOptions::NON_DIRECTORY_FILE)
        )
        .err(),
        Some(NtStatus::FILE_IS_A_DIRECTORY)
    );
    let f = open(&io, "/s/d/f", req(RW, CreateDisposition::OPEN_IF)).unwrap();
    assert_eq!(f.create_action(), CreateAction::CREATED);
    block_on(f.write(0, &b"data"[..])).unwrap();
    drop(f);
    assert_eq!(
        open(
            &io,
            "/s/d/f",
            req(r, CreateDisposition::OPEN).options(CreateOptions::DIRECTORY_FILE)
        )
        .err(),
        Some(NtStatus::NOT_A_DIRECTORY)
    );
    let f = open(&io, "/s/d/f", req(RW, CreateDisposition::OVERWRITE_IF)).unwrap();
    assert_eq!(f.create_action(), CreateAction::OVERWRITTEN);
    assert_eq!(block_on(f.read(0, 4)), Err(NtStatus::END_OF_FILE));
    assert_eq!(
        open(
            &io,
            "/s/d/x:stream:$BAD",
            req(r, CreateDisposition::OPEN_IF)
        )
        .err(),
        Some(NtStatus::OBJECT_NAME_INVALID)
    );
    assert_eq!(
        open(&io, "/s/../etc", req(r, CreateDisposition::OPEN)).err(),
        Some(NtStatus::OBJECT_PATH_SYNTAX_BAD)
    );
}

#[test]
fn share_modes_and_delete_on_close() {
    let (io, dir) = setup();
    let a = open(
        &io,
        "/s/f",
        req(RW, CreateDisposition::CREATE).share(ShareAccess::READ),
    )
    .unwrap();
    assert_eq!(
        open(
            &io,
            "/s/f",
            req(AccessMask::GENERIC_WRITE, CreateDisposition::OPEN)
        )
        .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    // Reading is shared, but this opener does not share the write the first one holds.
    assert_eq!(
        open(
            &io,
            "/s/f",
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN).share(ShareAccess::READ)
        )
        .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    let b = open(
        &io,
        "/s/f",
        req(AccessMask::GENERIC_READ, CreateDisposition::OPEN).share(ShareAccess::ALL),
    )
    .unwrap();
    // Attribute-only opens never conflict.
    let c = open(
        &io,
        "/s/f",
        req(AccessMask::FILE_READ_ATTRIBUTES, CreateDisposition::OPEN).share(ShareAccess(0)),
    )
    .unwrap();
    drop((a, b, c));
    let doc = req(
        AccessMask::GENERIC_READ | AccessMask::DELETE,
        CreateDisposition::OPEN,
    )
    .share(ShareAccess::ALL)
    .options(CreateOptions::DELETE_ON_CLOSE);
    let d = open(&io, "/s/f", doc).unwrap();
    assert!(dir.path().join("f").exists());
    drop(d);
    assert!(!dir.path().join("f").exists());
}

#[test]
fn list_rename_and_locks() {
    let (io, _dir) = setup();
    for n in ["one.txt", "two.txt", "Three.doc"] {
        drop(open(&io, &format!("/s/{n}"), req(RW, CreateDisposition::CREATE)).unwrap());
    }
    let root = open(
        &io,
        "/s",
        req(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
    )
    .unwrap();
    let q = QueryDirectoryRequest {
        class: FileInfoClass::ID_BOTH_DIRECTORY,
        flags: QueryDirectoryFlags::RESTART_SCANS,
        file_index: 0,
        pattern: Some("*.TXT".into()),
        length: 65536,
        only_accessible: None,
    };
    let buf = block_on(root.query_directory(q.clone())).unwrap();
    let names: Vec<String> = decode_dir_entries(FileInfoClass::ID_BOTH_DIRECTORY, &buf)
        .unwrap()
        .into_iter()
        .map(|e| e.file_name)
        .collect();
    assert_eq!(names, vec!["one.txt", "two.txt"]);
    let again = QueryDirectoryRequest {
        flags: QueryDirectoryFlags::empty(),
        pattern: None,
        ..q
    };
    assert_eq!(
        block_on(root.query_directory(again)),
        Err(NtStatus::NO_MORE_FILES)
    );

    let f = open(
        &io,
        "/s/one.txt",
        req(RW | AccessMask::DELETE, CreateDisposition::OPEN).share(ShareAccess::ALL),
    )
    .unwrap();
    let rename = lwio_fscc::FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: "two.txt".into(),
    };
    assert_eq!(
        block_on(f.set_information(FileInfoClass::RENAME, rename.encode())),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    let rename = lwio_fscc::FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: "uno.txt".into(),
    };
    block_on(f.set_information(FileInfoClass::RENAME, rename.encode())).unwrap();
    let name = block_on(f.query_information(FileInfoClass::NAME, 100)).unwrap();
    assert_eq!(
        lwio_fscc::FileNameInformation::decode(&name)
            .unwrap()
            .file_name,
        "\\uno.txt"
    );

    // Locks: exclusive on one handle blocks another's lock and write; a waiting lock is
    // granted by the unlock.
    let g = open(
        &io,
        "/s/uno.txt",
        req(RW, CreateDisposition::OPEN).share(ShareAccess::ALL),
    )
    .unwrap();
    let lock = |off, exclusive, fail_immediately| LockRequest {
        offset: off,
        length: 10,
        key: 0,
        exclusive,
        fail_immediately,
    };
    block_on(f.lock(lock(0, true, true))).unwrap();
    assert_eq!(
        block_on(g.lock(lock(5, true, true))),
        Err(NtStatus::LOCK_NOT_GRANTED)
    );
    assert_eq!(
        block_on(g.write(0, &b"x"[..])),
        Err(NtStatus::FILE_LOCK_CONFLICT)
    );
    let waiting = g.lock(lock(5, false, false));
    assert_eq!(io.rundown().pending_irps, 1);
    block_on(f.unlock(UnlockRequest {
        offset: 0,
        length: 10,
        key: 0,
    }))
    .unwrap();
    assert_eq!(block_on(waiting), Ok(()));
    // A waiting lock is cancellable.
    let waiting = f.lock(lock(0, true, false));
    assert_eq!(f.cancel(), 1);
    assert_eq!(block_on(waiting), Err(NtStatus::CANCELLED));
}

#[test]
fn security_descriptors_are_stored_and_inherited() {
    let (io, _dir) = setup();
    let d = open(
        &io,
        "/s/dir",
        req(
            RW | AccessMask::WRITE_DAC | AccessMask::READ_CONTROL,
            CreateDisposition::CREATE,
        )
        .options(CreateOptions::DIRECTORY_FILE),
    )
    .unwrap();
    // Protected and auto-inherited, as a Windows directory's DACL is.
    let sddl = "O:BAG:BAD:PARAI(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)";
    let sd: lwio_core::SecurityDescriptor = sddl.parse().unwrap();
    block_on(d.set_security(SecurityInformation(0x4), sd.encode())).unwrap();
    let f = open(
        &io,
        "/s/dir/child",
        req(RW | AccessMask::READ_CONTROL, CreateDisposition::CREATE),
    )
    .unwrap();
    let got = block_on(f.query_security(SecurityInformation(0x4), 4096)).unwrap();
    let got = lwio_core::SecurityDescriptor::decode(&got)
        .unwrap()
        .to_sddl()
        .unwrap();
    assert!(got.contains("(A;ID;FA;;;SY)"), "{got}");
    assert!(got.contains("(A;ID;FR;;;WD)"), "{got}");
    // Everyone may read but not write the child.
    let anyone = Arc::new(
        AccessToken::new("S-1-5-21-1-2-3-1001".parse().unwrap())
            .with_groups(["S-1-1-0".parse().unwrap()]),
    );
    let r = CreateRequest::new(
        anyone.clone(),
        AccessMask::GENERIC_READ,
        CreateDisposition::OPEN,
    );
    assert!(open(&io, "/s/dir/child", r).is_ok());
    let w = CreateRequest::new(anyone, AccessMask::GENERIC_WRITE, CreateDisposition::OPEN);
    assert_eq!(
        open(&io, "/s/dir/child", w).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}
