//! Directory and descriptor operations.

use std::path::Path;

use lwio_core::NtStatus;
use rustix::fs::{Mode, OFlags};

use super::Fixture;
use crate::sys::{
    EntryType, Timestamp, create_file_at, datasync, fallocate, fstat, fsync, link_at, mkdir_at,
    pread_full, pread_vec, pwrite_all, read_dir, rename_at, set_mode, set_size, set_times,
    unlink_at,
};

const RW: OFlags = OFlags::RDWR;

fn mode(m: u32) -> Mode {
    Mode::from_raw_mode(m)
}

#[test]
fn create_write_read_stat() {
    let fx = Fixture::new();
    let root = fx.root(false, false);
    let dir = root.dir_fd();
    let fd = create_file_at(dir, "f", RW, mode(0o644)).unwrap();
    assert_eq!(
        create_file_at(dir, "f", RW, mode(0o644)).err(),
        Some(NtStatus::OBJECT_NAME_COLLISION)
    );
    pwrite_all(&fd, b"hello world", 0).unwrap();
    pwrite_all(&fd, b"!", 100).unwrap();
    let mut buf = [0u8; 200];
    assert_eq!(pread_full(&fd, &mut buf, 0).unwrap(), 101);
    assert_eq!(&buf[..11], b"hello world");
    assert_eq!(pread_full(&fd, &mut buf[..5], 6).unwrap(), 5);
    assert_eq!(&buf[..5], b"world");
    assert_eq!(pread_full(&fd, &mut buf, 1000).unwrap(), 0);
    // Into a buffer of its own: what is there, up to the end of the file.
    let v = pread_vec(&fd, 5, 6).unwrap();
    assert_eq!((&v[..], v.capacity()), (&b"world"[..], 5));
    let v = pread_vec(&fd, 200, 90).unwrap();
    assert_eq!(v.len(), 11);
    assert_eq!(v[10], b'!');
    assert!(v[..10].iter().all(|&b| b == 0), "the hole reads as zeros");
    assert!(pread_vec(&fd, 10, 1000).unwrap().is_empty());
    assert!(pread_vec(&fd, 0, 0).unwrap().is_empty());

    let st = fstat(&fd).unwrap();
    assert_eq!((st.size, st.nlink, st.mode & 0o7777), (101, 1, 0o644));
    assert!(st.blocks > 0 && st.blocks % 512 == 0);
    assert!(st.btime.is_some(), "ext4 and tmpfs record birth times");
    assert_eq!(st.uid, rustix::process::geteuid().as_raw());

    set_size(&fd, 5).unwrap();
    fallocate(&fd, 1 << 20).unwrap();
    let st = fstat(&fd).unwrap();
    assert_eq!(st.size, 5, "KEEP_SIZE");
    assert!(st.blocks >= 1 << 20);
    fsync(&fd).unwrap();
    datasync(&fd).unwrap();

    let t = Timestamp {
        secs: 1_000_000_000,
        nanos: 123_456_789,
    };
    set_times(&fd, Some(t), None).unwrap();
    let st2 = fstat(&fd).unwrap();
    assert_eq!((st2.atime, st2.mtime), (t, st.mtime));
    set_times(&fd, None, Some(t)).unwrap();
    assert_eq!(fstat(&fd).unwrap().mtime, t);
    set_mode(&fd, mode(0o600)).unwrap();
    assert_eq!(fstat(&fd).unwrap().mode & 0o7777, 0o600);
}

#[test]
fn directories_rename_link_unlink() {
    let fx = Fixture::new();
    let root = fx.root(false, false);
    let dir = root.dir_fd();
    mkdir_at(dir, "d", mode(0o755)).unwrap();
    assert_eq!(
        mkdir_at(dir, "d", mode(0o755)),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    let d = root.open_dir(Path::new("d")).unwrap();
    drop(create_file_at(&d, "a", RW, mode(0o644)).unwrap());
    drop(create_file_at(dir, "b", RW, mode(0o644)).unwrap());

    assert_eq!(
        rename_at(&d, "a", dir, "b", false),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
    rename_at(&d, "a", dir, "b", true).unwrap();
    assert!(!fx.at("d/a").exists());
    rename_at(dir, "b", &d, "c", false).unwrap();
    link_at(&d, "c", dir, "c2").unwrap();
    assert_eq!(
        fstat(root.open_path(Path::new("c2")).unwrap())
            .unwrap()
            .nlink,
        2
    );

    assert_eq!(
        unlink_at(dir, "d", true),
        Err(NtStatus::DIRECTORY_NOT_EMPTY)
    );
    assert_eq!(
        unlink_at(dir, "d", false),
        Err(NtStatus::FILE_IS_A_DIRECTORY)
    );
    unlink_at(&d, "c", false).unwrap();
    unlink_at(dir, "d", true).unwrap();
    assert_eq!(
        unlink_at(dir, "d", true),
        Err(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    unlink_at(dir, "c2", false).unwrap();

    for bad in ["..", ".", "", "x/y"] {
        assert_eq!(
            mkdir_at(dir, bad, mode(0o755)),
            Err(NtStatus::OBJECT_NAME_INVALID)
        );
        assert_eq!(
            unlink_at(dir, bad, true),
            Err(NtStatus::OBJECT_NAME_INVALID)
        );
        assert_eq!(
            rename_at(dir, "x", dir, bad, true),
            Err(NtStatus::OBJECT_NAME_INVALID)
        );
        assert_eq!(
            create_file_at(dir, bad, RW, mode(0o644)).err(),
            Some(NtStatus::OBJECT_NAME_INVALID)
        );
    }
}

#[test]
fn create_refuses_an_existing_symlink() {
    let fx = Fixture::new();
    std::os::unix::fs::symlink(fx.outside().join("new"), fx.at("l")).unwrap();
    let root = fx.root(false, true);
    assert_eq!(
        create_file_at(root.dir_fd(), "l", RW, mode(0o644)).err(),
        Some(NtStatus::OBJECT_NAME_COLLISION)
    );
    assert!(!fx.outside().join("new").exists());
}

#[test]
fn read_dir_lists_without_following() {
    let fx = Fixture::new();
    std::fs::write(fx.at("f"), b"").unwrap();
    std::fs::create_dir(fx.at("d")).unwrap();
    std::os::unix::fs::symlink("/etc", fx.at("l")).unwrap();
    let root = fx.root(false, false);
    // Works on an O_PATH descriptor.
    let mut entries = read_dir(root.dir_fd()).unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let got: Vec<_> = entries
        .iter()
        .map(|e| (e.name.to_str().unwrap(), e.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("d", EntryType::Dir),
            ("f", EntryType::File),
            ("l", EntryType::Symlink)
        ]
    );
    assert_eq!(entries[1].ino, super::path_id(&fx.at("f")).1);
}

#[test]
fn filetime_conversions() {
    let epoch = Timestamp { secs: 0, nanos: 0 };
    assert_eq!(epoch.to_filetime(), 116_444_736_000_000_000);
    let t = Timestamp {
        secs: 1_700_000_000,
        nanos: 123_456_700,
    };
    assert_eq!(Timestamp::from_filetime(t.to_filetime()), t);
    assert_eq!(
        Timestamp::from_filetime(0),
        Timestamp {
            secs: -11_644_473_600,
            nanos: 0
        }
    );
    assert_eq!(
        Timestamp {
            secs: i64::MIN,
            nanos: 0
        }
        .to_filetime(),
        0
    );
}

/// The object a checked descriptor holds, not whatever its name points to now: a reopen
/// for writing and a hard link both reach the original file after a swap of names.
#[test]
fn reopen_and_link_follow_the_object_not_its_name() {
    let fx = Fixture::new();
    let root = fx.root(false, false);
    let dir = root.dir_fd();
    let checked = create_file_at(dir, "f", RW, mode(0o600)).unwrap();
    pwrite_all(&checked, b"original", 0).unwrap();
    // Another process moves the file away and puts another in its place.
    rename_at(dir, "f", dir, "moved", false).unwrap();
    let other = create_file_at(dir, "f", RW, mode(0o600)).unwrap();
    pwrite_all(&other, b"someone else's", 0).unwrap();
    let writer = crate::sys::reopen(&checked, OFlags::RDWR).unwrap();
    pwrite_all(&writer, b"WRITTEN!", 0).unwrap();
    assert!(crate::sys::same_object(&writer, &checked).is_ok());
    assert_eq!(
        crate::sys::same_object(&writer, &other),
        Err(NtStatus::ACCESS_DENIED)
    );
    crate::sys::link_fd(&checked, dir, "linked").unwrap();
    let mut buf = [0u8; 32];
    let linked = rustix::fs::openat(dir, "linked", OFlags::RDONLY, Mode::empty()).unwrap();
    let n = pread_full(&linked, &mut buf, 0).unwrap();
    assert_eq!(&buf[..n], b"WRITTEN!");
    let n = pread_full(&other, &mut buf, 0).unwrap();
    assert_eq!(&buf[..n], b"someone else's");
    assert_eq!(
        crate::sys::stat_at(dir, "missing").unwrap(),
        None,
        "a missing name is None"
    );
}

/// `set_owner` gives a file away when the process may, and says so when it may not.
#[test]
fn set_owner_changes_the_owner_or_reports_it_cannot() {
    let fx = Fixture::new();
    let root = fx.root(false, false);
    let fd = create_file_at(root.dir_fd(), "f", RW, mode(0o600)).unwrap();
    let changed = crate::sys::set_owner(&fd, 70_123, 70_123).unwrap();
    let st = fstat(&fd).unwrap();
    if super::is_root() {
        assert!(changed);
        assert_eq!((st.uid, st.gid), (70_123, 70_123));
    } else {
        assert!(!changed);
        assert_eq!(st.uid, rustix::process::geteuid().as_raw());
    }
    assert_eq!(
        crate::sys::set_owner(&fd, u32::MAX, 1),
        Err(NtStatus::INVALID_PARAMETER)
    );
}
