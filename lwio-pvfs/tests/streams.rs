//! Named streams at the IRP level (MS-FSA 2.1.5.1 with stream names, MS-FSCC 2.1.5.3
//! names, 2.4.44 FileStreamInformation, MS-FSA 2.1.5.15.11.1 stream rename): naming,
//! create dispositions, share modes and deletes per stream and with the file, the store
//! on disk (large streams, crash leftovers, the jail), access checks against the file's
//! descriptor, and concurrency.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::Arc;

use common::*;
use lwio_core::{
    AccessMask, AccessToken, CreateAction, CreateDisposition as D, FileAttributes, FileHandle,
    FileInfoClass, NtStatus, SecurityDescriptor, SecurityInformation as SI, ShareAccess, Sid,
    block_on,
};
use lwio_fscc::{FileBasicInformation, FileEndOfFileInformation, FileNameInformation};

const STORE: &str = ".lwio:streams";

fn rw(disp: D) -> lwio_core::CreateRequest {
    req(RW, disp).share(ShareAccess::ALL)
}

/// The streams of the file `h` holds: (name, size) as FileStreamInformation lists them.
fn streams(h: &FileHandle) -> Vec<(String, u64)> {
    let out = block_on(h.query_information(FileInfoClass::STREAM, 65536)).unwrap();
    lwio_fscc::FileStreamInformation::decode(&out)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.stream_name, e.stream_size))
        .collect()
}

fn read_all(h: &FileHandle) -> Vec<u8> {
    match block_on(h.read(0, 1 << 20)) {
        Ok(data) => data,
        Err(NtStatus::END_OF_FILE) => Vec::new(),
        Err(e) => panic!("read: {e:?}"),
    }
}

fn write(s: &Share, path: &str, data: &[u8]) {
    let h = s.open(path, rw(D::OVERWRITE_IF)).unwrap();
    block_on(h.write(0, data.to_vec())).unwrap();
}

fn read(s: &Share, path: &str) -> Vec<u8> {
    read_all(
        &s.open(
            path,
            req(AccessMask::GENERIC_READ, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap(),
    )
}

/// The per-file directories in the store.
fn store_dirs(s: &Share) -> Vec<String> {
    match std::fs::read_dir(s.path(STORE)) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_stream_holds_its_own_data_beside_the_file() {
    let s = Share::new();
    s.file_with("f.txt", b"base");
    let h = s.open("f.txt:s1", rw(D::CREATE)).unwrap();
    assert_eq!(h.create_action(), CreateAction::CREATED);
    block_on(h.write(0, b"stream one".to_vec())).unwrap();
    drop(h);
    assert_eq!(read(&s, "f.txt"), b"base");
    assert_eq!(read(&s, "f.txt::$DATA"), b"base");
    // Names match case-insensitively, with or without the type.
    for name in ["f.txt:s1", "F.TXT:S1", "f.txt:s1:$DATA", "f.txt:S1:$data"] {
        assert_eq!(read(&s, name), b"stream one", "{name}");
    }
    assert_eq!(std::fs::read(s.path("f.txt")).unwrap(), b"base");
    let f = s.all("f.txt");
    assert_eq!(
        streams(&f),
        vec![("::$DATA".into(), 4), (":s1:$DATA".into(), 10)]
    );
    // The case a stream was made with is kept.
    drop(s.open("f.txt:MixedCase", rw(D::CREATE)).unwrap());
    assert!(streams(&f).contains(&(":MixedCase:$DATA".into(), 0)));
    assert_eq!(
        s.open("f.txt:mixedcase", rw(D::OPEN_IF))
            .unwrap()
            .create_action(),
        CreateAction::OPENED
    );
    // The share's listing shows one file, and no store.
    let root = s.dir_handle("");
    assert_eq!(list(&root, "*").unwrap(), vec![".", "..", "f.txt"]);
}

#[test]
fn dispositions_of_a_stream() {
    let s = Share::new();
    s.file_with("f", b"base");
    assert_eq!(
        s.open("f:s", rw(D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert_eq!(
        s.open("f:s", rw(D::OVERWRITE)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    write(&s, "f:s", b"0123456789");
    assert_eq!(
        s.open("f:s", rw(D::CREATE)).err(),
        Some(NtStatus::OBJECT_NAME_COLLISION)
    );
    let h = s.open("f:s", rw(D::OVERWRITE)).unwrap();
    assert_eq!(h.create_action(), CreateAction::OVERWRITTEN);
    assert_eq!(read_all(&h), b"");
    block_on(h.write(0, b"again".to_vec())).unwrap();
    drop(h);
    let h = s.open("f:s", rw(D::SUPERSEDE)).unwrap();
    assert_eq!(h.create_action(), CreateAction::SUPERSEDED);
    drop(h);
    let h = s.open("f:t", rw(D::OVERWRITE_IF)).unwrap();
    assert_eq!(h.create_action(), CreateAction::CREATED);
    drop(h);
    // None of it touched the file's own data.
    assert_eq!(read(&s, "f"), b"base");
    // A missing file: opened streams are not found; a create makes the file, empty.
    assert_eq!(
        s.open("nofile:s", rw(D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert_eq!(
        s.open("nodir/nofile:s", rw(D::OPEN_IF)).err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
    let h = s.open("new:s", rw(D::CREATE)).unwrap();
    assert_eq!(h.create_action(), CreateAction::CREATED);
    drop(h);
    assert_eq!(std::fs::metadata(s.path("new")).unwrap().len(), 0);
    assert_eq!(
        streams(&s.all("new")),
        vec![("::$DATA".into(), 0), (":s:$DATA".into(), 0)]
    );
}

#[test]
fn stream_names_follow_the_rules() {
    let s = Share::new();
    s.file("f");
    s.mkdir("d");
    for bad in [
        "f:",
        "f:s:",
        "f:s:$FOO",
        "f:s:DATA",
        "f::",
        "f:a:b:c",
        "f:a\\b",
        "f:a*b:$BAD",
    ] {
        assert_eq!(
            s.open(bad, rw(D::OPEN_IF)).err(),
            Some(NtStatus::OBJECT_NAME_INVALID),
            "{bad}"
        );
    }
    // Characters a file name may not hold, a stream name may.
    drop(s.open("f:a*b?<c>|\"", rw(D::CREATE)).unwrap());
    // A stream is no directory.
    assert_eq!(
        s.open("f:s", rw(D::OPEN_IF).options(DIR)).err(),
        Some(NtStatus::NOT_A_DIRECTORY)
    );
    // `::$DATA` names a file's data: a directory has none.
    assert_eq!(
        s.open("d::$DATA", rw(D::OPEN)).err(),
        Some(NtStatus::FILE_IS_A_DIRECTORY)
    );
    // Asked for as a directory, a data stream is none (smb2.streams.dir's Windows answer),
    // whether the object is a directory or not.
    for name in ["d::$DATA", "f::$DATA"] {
        assert_eq!(
            s.open(name, rw(D::OPEN).options(DIR)).err(),
            Some(NtStatus::NOT_A_DIRECTORY),
            "{name}"
        );
    }
    assert_eq!(
        s.open("f::$INDEX_ALLOCATION", rw(D::OPEN)).err(),
        Some(NtStatus::NOT_A_DIRECTORY)
    );
    assert_eq!(
        s.open(
            "d:$I30:$INDEX_ALLOCATION",
            rw(D::OPEN).options(lwio_core::CreateOptions::NON_DIRECTORY_FILE)
        )
        .err(),
        Some(NtStatus::FILE_IS_A_DIRECTORY)
    );
    drop(
        s.open(
            "d:$I30:$INDEX_ALLOCATION",
            req(AccessMask::GENERIC_READ, D::OPEN),
        )
        .unwrap(),
    );
    // 255 UTF-16 units is the longest name; what Linux cannot name is refused.
    let long = "x".repeat(254);
    drop(s.open(&format!("f:{long}"), rw(D::CREATE)).unwrap());
    assert_eq!(
        s.open(&format!("f:{}", "x".repeat(256)), rw(D::CREATE))
            .err(),
        Some(NtStatus::OBJECT_NAME_INVALID)
    );
    // Streams of the share root are not supported.
    assert_eq!(
        s.open(":s", rw(D::OPEN_IF)).err(),
        Some(NtStatus::OBJECT_NAME_INVALID)
    );
}

#[test]
fn directories_have_named_streams_only() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/inner");
    write(&s, "d:meta", b"dir stream");
    assert_eq!(read(&s, "d:meta"), b"dir stream");
    let d = s.dir_handle("d");
    assert_eq!(streams(&d), vec![(":meta:$DATA".into(), 10)]);
    assert_eq!(list(&d, "*").unwrap(), vec![".", "..", "inner"]);
    // The stream handle reports the directory's attributes, its own size.
    let h = s.open("d:meta", rw(D::OPEN)).unwrap();
    let basic = FileBasicInformation::decode(
        &block_on(h.query_information(FileInfoClass::BASIC, 64)).unwrap(),
    )
    .unwrap();
    assert!(basic.file_attributes.contains(FileAttributes::DIRECTORY));
}

#[test]
fn a_stream_handle_names_sizes_and_deletes_its_stream() {
    let s = Share::new();
    s.file_with("f", b"base");
    let h = s
        .open("f:s", req(ALL, D::CREATE).share(ShareAccess::ALL))
        .unwrap();
    let name = block_on(h.query_information(FileInfoClass::NAME, 512)).unwrap();
    assert_eq!(
        FileNameInformation::decode(&name).unwrap().file_name,
        "\\f:s"
    );
    let eof = FileEndOfFileInformation { end_of_file: 1000 };
    set_info(&h, FileInfoClass::END_OF_FILE, eof.encode()).unwrap();
    let f = s.all("f");
    assert_eq!(
        streams(&f),
        vec![("::$DATA".into(), 4), (":s:$DATA".into(), 1000)]
    );
    // Delete through the disposition: the stream goes at its last close, the file stays.
    set_delete(&h, true).unwrap();
    assert_eq!(
        s.open("f:s", rw(D::OPEN)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
    drop(h);
    assert_eq!(streams(&f), vec![("::$DATA".into(), 4)]);
    assert_eq!(read(&s, "f"), b"base");
    // And through delete-on-close.
    drop(s.open("f:t", req(ALL, D::CREATE).options(DOC)).unwrap());
    assert_eq!(streams(&f), vec![("::$DATA".into(), 4)]);
    drop(f);
    // The file's store directory goes with its last stream.
    assert!(store_dirs(&s).is_empty());
}

#[test]
fn share_modes_are_per_stream_but_deleting_the_file_meets_them_all() {
    let s = Share::new();
    s.file("f");
    let exclusive = |p: &str| s.open(p, req(RW, D::OPEN_IF).share(ShareAccess::empty()));
    let stream = exclusive("f:s").unwrap();
    // The file and another stream are other objects.
    let file = exclusive("f").unwrap();
    let other = exclusive("f:t").unwrap();
    assert_eq!(exclusive("f:s").err(), Some(NtStatus::SHARING_VIOLATION));
    assert_eq!(exclusive("f:S").err(), Some(NtStatus::SHARING_VIOLATION));
    drop((file, other));
    // Deleting the file deletes the stream, which is open without FILE_SHARE_DELETE.
    assert_eq!(
        s.open(
            "f",
            req(AccessMask::DELETE, D::OPEN).share(ShareAccess::ALL)
        )
        .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    drop(stream);
    let shared = s
        .open("f:s", req(RW, D::OPEN).share(ShareAccess::ALL))
        .unwrap();
    let del = s
        .open(
            "f",
            req(AccessMask::DELETE, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    // Overwriting the file would delete an open stream.
    assert_eq!(
        s.open("f", rw(D::OVERWRITE_IF)).err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    // The file's delete is pending: no new stream opens; the file goes when the last
    // handle of it or a stream closes, with its streams.
    set_delete(&del, true).unwrap();
    assert_eq!(
        s.open("f:s", rw(D::OPEN)).err(),
        Some(NtStatus::DELETE_PENDING)
    );
    drop(del);
    assert!(s.path("f").exists());
    drop(shared);
    assert!(!s.path("f").exists());
    assert!(store_dirs(&s).is_empty());
    assert_eq!(s.io.rundown().pending_irps, 0);
}

#[test]
fn overwriting_the_file_deletes_its_streams() {
    let s = Share::new();
    s.file_with("f", b"base");
    write(&s, "f:s", b"x");
    write(&s, "f", b"new");
    assert_eq!(streams(&s.all("f")), vec![("::$DATA".into(), 3)]);
    assert!(store_dirs(&s).is_empty());
    // Overwriting a stream leaves the others.
    write(&s, "f:a", b"aa");
    write(&s, "f:b", b"bb");
    write(&s, "f:a", b"A");
    assert_eq!(
        streams(&s.all("f")),
        vec![
            ("::$DATA".into(), 3),
            (":a:$DATA".into(), 1),
            (":b:$DATA".into(), 2)
        ]
    );
}

#[test]
fn streams_are_renamed_on_their_file_and_follow_it() {
    let s = Share::new();
    s.mkdir("d");
    s.file_with("f", b"base");
    write(&s, "f:one", b"1");
    write(&s, "f:two", b"22");
    let h = s
        .open("f:one", req(ALL, D::OPEN).share(ShareAccess::ALL))
        .unwrap();
    assert_eq!(
        rename(&h, ":two", false),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    assert_eq!(
        rename(&h, ":bad/x", false),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        rename(&h, ":x:$FOO", false),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(rename(&h, "::$DATA", false), Err(NtStatus::NOT_SUPPORTED));
    assert_eq!(rename(&h, "other", false), Err(NtStatus::INVALID_PARAMETER));
    rename(&h, ":Three", false).unwrap();
    let name = block_on(h.query_information(FileInfoClass::NAME, 512)).unwrap();
    assert_eq!(
        FileNameInformation::decode(&name).unwrap().file_name,
        "\\f:Three"
    );
    // A file with an open stream keeps its name.
    let f = s.all("f");
    assert_eq!(rename(&f, "d/g", false), Err(NtStatus::ACCESS_DENIED));
    // An open target stream is never replaced; a closed one is, when asked.
    let two = s.open("f:two", rw(D::OPEN)).unwrap();
    assert_eq!(rename(&h, ":two", true), Err(NtStatus::ACCESS_DENIED));
    drop(two);
    rename(&h, ":TWO", true).unwrap();
    drop(h);
    assert_eq!(
        streams(&f),
        vec![("::$DATA".into(), 4), (":TWO:$DATA".into(), 1)]
    );
    // With no stream open the file moves, and its streams with it; a hard link shares them.
    rename(&f, "d/g", false).unwrap();
    drop(f);
    assert_eq!(read(&s, "d/g:two"), b"1");
    let g = s.all("d/g");
    link(&g, "linked", false).unwrap();
    drop(g);
    assert_eq!(read(&s, "linked:two"), b"1");
    // Deleting one link leaves the streams to the other.
    drop(s.open("d/g", req(ALL, D::OPEN).options(DOC)).unwrap());
    assert_eq!(read(&s, "linked:two"), b"1");
    drop(s.open("linked", req(ALL, D::OPEN).options(DOC)).unwrap());
    assert!(store_dirs(&s).is_empty());
}

#[test]
fn a_stream_path_as_rename_target_opens_the_directory_first() {
    // smb2.streams.rename2: a rename to `dir\file:stream` opens `dir` as its target
    // directory (share read and write, as the manager asks), so a handle of `dir` holding
    // DELETE refuses it with STATUS_SHARING_VIOLATION before the rename is looked at.
    let s = Share::new();
    s.mkdir("d");
    s.file("d/f");
    write(&s, "d/f:one", b"1");
    let h = s
        .open("d/f:one", req(ALL, D::OPEN).share(ShareAccess::ALL))
        .unwrap();
    let f = s.open("d/g", req(ALL, D::CREATE)).unwrap();
    let dir = s
        .open("d", req(ALL, D::OPEN).share(ShareAccess::ALL))
        .unwrap();
    assert_eq!(
        rename(&h, "d/f:two", true),
        Err(NtStatus::SHARING_VIOLATION)
    );
    assert_eq!(
        rename(&f, "d/x:two", true),
        Err(NtStatus::SHARING_VIOLATION)
    );
    drop(dir);
    // With the directory free, a stream handle is renamed by `:name` only, and a file is
    // never renamed onto a stream path.
    assert_eq!(
        rename(&h, "d/f:two", true),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        rename(&f, "d/x:two", true),
        Err(NtStatus::OBJECT_NAME_INVALID)
    );
    assert_eq!(
        rename(&f, "d/x:$I30:$INDEX_ALLOCATION", true),
        Err(NtStatus::OBJECT_NAME_INVALID)
    );
    // `name::$DATA` is the file itself.
    rename(&f, "d/x::$DATA", false).unwrap();
    drop(f);
    drop(h);
    assert_eq!(read(&s, "d/f:one"), b"1");
    s.open("d/x", req(ALL, D::OPEN)).unwrap();
    assert_eq!(
        s.open("d/g", req(ALL, D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

#[test]
fn a_replaced_file_takes_its_streams_with_it() {
    let s = Share::new();
    s.file("victim");
    write(&s, "victim:s", b"old");
    s.file("mover");
    let m = s.all("mover");
    rename(&m, "victim", true).unwrap();
    drop(m);
    assert_eq!(
        s.open("victim:s", rw(D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert!(store_dirs(&s).is_empty());
}

#[test]
fn a_ten_mebibyte_stream() {
    let s = Share::new();
    s.file("big");
    let h = s.open("big:data", rw(D::CREATE)).unwrap();
    let chunk: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    for i in 0..10u64 {
        block_on(h.write(i << 20, chunk.clone())).unwrap();
    }
    drop(h);
    let f = s.all("big");
    assert_eq!(
        streams(&f),
        vec![("::$DATA".into(), 0), (":data:$DATA".into(), 10 << 20)]
    );
    let h = s
        .open("big:data", req(AccessMask::GENERIC_READ, D::OPEN))
        .unwrap();
    for i in 0..10u64 {
        assert_eq!(
            block_on(h.read(i << 20, 1 << 20)).unwrap(),
            chunk,
            "MiB {i}"
        );
    }
    // Kept outside extended attributes, in the store.
    assert_eq!(std::fs::metadata(s.path("big")).unwrap().len(), 0);
}

#[test]
fn leftovers_of_a_crash_are_ignored_and_go_with_the_file() {
    let s = Share::new();
    s.file("f");
    write(&s, "f:s", b"kept");
    let dirs = store_dirs(&s);
    assert_eq!(dirs.len(), 1);
    let dir = s.path(STORE).join(&dirs[0]);
    // A stream being made when the server died: written, never renamed into place.
    std::fs::write(dir.join("~999-0"), b"partial").unwrap();
    let f = s.all("f");
    assert_eq!(
        streams(&f),
        vec![("::$DATA".into(), 0), (":s:$DATA".into(), 4)]
    );
    assert_eq!(
        s.open("f:~999-0", rw(D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    set_delete(&f, true).unwrap();
    drop(f);
    assert!(store_dirs(&s).is_empty());
}

#[test]
fn the_store_is_private_hidden_and_jailed() {
    let s = Share::new();
    s.file("f");
    write(&s, "f:s", b"x");
    let store = s.path(STORE);
    let meta = std::fs::metadata(&store).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o700);
    let dir = store.join(&store_dirs(&s)[0]);
    assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    let file = std::fs::metadata(dir.join("_s")).unwrap();
    assert_eq!(file.mode() & 0o777, 0o600);
    assert_eq!(file.uid(), std::fs::metadata(s.path("f")).unwrap().uid());
    // No client path reaches it: `.lwio:streams` is the stream `streams` of `.lwio`.
    assert_eq!(
        s.open(STORE, rw(D::OPEN)).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    assert_eq!(list(&s.dir_handle(""), "*").unwrap(), vec![".", "..", "f"]);

    // A symlink planted for a file's directory leads nowhere.
    let outside = tempfile::tempdir().unwrap();
    s.file("g");
    let g = std::fs::metadata(s.path("g")).unwrap();
    let birth = birth(&s, "g");
    let planted = store.join(format!("{:x}-{:x}-{birth:x}", g.dev(), g.ino()));
    std::os::unix::fs::symlink(outside.path(), &planted).unwrap();
    assert!(s.open("g:s", rw(D::CREATE)).is_err());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    std::fs::remove_file(&planted).unwrap();

    // A store another user could enter is refused.
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        s.open("f:s", rw(D::OPEN)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(read(&s, "f:s"), b"x");
}

/// The birth time PVFS keys a file's streams by, as a FILETIME (0 without one).
fn birth(s: &Share, path: &str) -> u64 {
    use std::time::UNIX_EPOCH;
    match std::fs::metadata(s.path(path)).unwrap().created() {
        Ok(t) => {
            let d = t.duration_since(UNIX_EPOCH).unwrap();
            d.as_secs() * 10_000_000 + u64::from(d.subsec_nanos()) / 100 + 116_444_736_000_000_000
        }
        Err(_) => 0,
    }
}

#[test]
fn a_stream_open_is_checked_against_the_file_descriptor() {
    let s = Share::new();
    s.file_with("f", b"base");
    write(&s, "f:s", b"secret");
    let h = s
        .open(
            "f",
            req(AccessMask::WRITE_DAC, D::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    let reader: Sid = "S-1-5-21-1-2-3-1000".parse().unwrap();
    let sd: SecurityDescriptor = format!("D:P(A;;FA;;;SY)(A;;FR;;;{reader})")
        .parse()
        .unwrap();
    block_on(h.set_security(SI(0x4), sd.encode())).unwrap();
    drop(h);
    let token = Arc::new(AccessToken::new(reader));
    let as_reader = |access, disp| {
        lwio_core::CreateRequest::new(Arc::clone(&token), access, disp).share(ShareAccess::ALL)
    };
    let r = s
        .open("f:s", as_reader(AccessMask::GENERIC_READ, D::OPEN))
        .unwrap();
    assert_eq!(read_all(&r), b"secret");
    for (access, disp) in [
        (AccessMask::GENERIC_WRITE, D::OPEN),
        (AccessMask::GENERIC_READ, D::OVERWRITE),
        (AccessMask::GENERIC_WRITE, D::CREATE),
        (AccessMask::DELETE, D::OPEN),
    ] {
        let name = if disp == D::CREATE { "f:new" } else { "f:s" };
        assert_eq!(
            s.open(name, as_reader(access, disp)).err(),
            Some(NtStatus::ACCESS_DENIED),
            "{access:?} {disp:?}"
        );
    }
    assert_eq!(read(&s, "f:s"), b"secret");
    // A read-only file's streams are read-only too.
    let f = s.all("f");
    let ro = FileBasicInformation {
        file_attributes: FileAttributes::READONLY,
        ..Default::default()
    };
    set_info(&f, FileInfoClass::BASIC, ro.encode()).unwrap();
    assert_eq!(
        s.open("f:s", rw(D::OPEN)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn streams_and_the_file_opened_from_many_threads() {
    let s = Arc::new(Share::new());
    s.file("f");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..20 {
                    let name = format!("f:s{}", t % 4);
                    let h = s.open(&name, rw(D::OPEN_IF)).unwrap();
                    block_on(h.write(0, format!("{t}-{i}").into_bytes())).unwrap();
                    drop(h);
                    let f = s.open("f", rw(D::OPEN)).unwrap();
                    block_on(f.write(0, vec![b'x'; 4])).unwrap();
                    let mine = format!(":s{}:$DATA", t % 4);
                    assert!(streams(&f).iter().any(|(n, _)| *n == mine), "{mine}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let listed = streams(&s.all("f"));
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert_eq!(store_dirs(&s).len(), 1);
    let dir = s.path(STORE).join(&store_dirs(&s)[0]);
    // Nothing half made is left behind.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 4);
    assert_eq!(s.io.rundown().pending_irps, 0);
}
