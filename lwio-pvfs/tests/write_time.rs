//! When writes move the last write time (see `rw::WriteTime`): the first write's update
//! is delayed, a flush, end-of-file or basic-information set makes it at once, an
//! explicit time sticks through writes, and what a query showed is what a later open sees.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::{IrpRequest, QueryInfoRequest};
use lwio_core::{CreateDisposition as D, FileHandle, FileInfoClass as C, block_on};
use lwio_fscc::{
    FileBasicInformation, FileEndOfFileInformation, FileNetworkOpenInformation, FileTime,
    decode_dir_entries,
};

fn last_write(h: &FileHandle) -> FileTime {
    let r = call(
        h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: C::NETWORK_OPEN,
            length: 56,
        }),
    );
    FileNetworkOpenInformation::decode(&r.output)
        .unwrap()
        .last_write_time
}

fn pause() {
    // Past the file system's timestamp granularity.
    std::thread::sleep(std::time::Duration::from_millis(30));
}

fn disk_mtime(s: &Share, name: &str) -> FileTime {
    let m = std::fs::metadata(s.path(name)).unwrap();
    FileTime::from_system_time(m.modified().unwrap())
}

#[test]
fn first_write_is_delayed_and_flush_makes_it() {
    let s = Share::new();
    let h = s.open("f", req(ALL, D::CREATE)).unwrap();
    let created = last_write(&h);
    pause();
    block_on(h.write(0, b"data".to_vec())).unwrap();
    assert_eq!(last_write(&h), created, "the first write's update waits");
    // The directory listing agrees for the open file.
    let dir = s.dir_handle("");
    let r = query_dir(
        &dir,
        C::ID_BOTH_DIRECTORY,
        Some("f"),
        lwio_core::irp::QueryDirectoryFlags::RESTART_SCANS,
        4096,
    );
    let entries = decode_dir_entries(C::ID_BOTH_DIRECTORY, &r.output).unwrap();
    assert_eq!(entries[0].last_write_time, created);
    pause();
    block_on(h.flush()).unwrap();
    let flushed = last_write(&h);
    assert!(flushed > created);
    // Later writes do not move it again while the file is open.
    pause();
    block_on(h.write(0, b"more".to_vec())).unwrap();
    assert_eq!(last_write(&h), flushed);
}

#[test]
fn the_delayed_update_comes_two_seconds_after_the_first_write() {
    let s = Share::new();
    let h = s.open("f", req(ALL, D::CREATE)).unwrap();
    let created = last_write(&h);
    block_on(h.write(0, b"x".to_vec())).unwrap();
    assert_eq!(last_write(&h), created);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let updated = last_write(&h);
    assert!(updated > created);
    // What the query saw is on disk: a later open (or a local reader) sees it too.
    drop(h);
    assert_eq!(disk_mtime(&s, "f"), updated);
    let h = s.all("f");
    assert_eq!(last_write(&h), updated);
}

#[test]
fn end_of_file_and_basic_sets_make_the_pending_update() {
    let s = Share::new();
    for (name, how) in [("eof", 0), ("basic", 1)] {
        let h = s.open(name, req(ALL, D::CREATE)).unwrap();
        let created = last_write(&h);
        pause();
        block_on(h.write(0, b"x".to_vec())).unwrap();
        assert_eq!(last_write(&h), created);
        if how == 0 {
            let eof = FileEndOfFileInformation { end_of_file: 1 };
            set_info(&h, C::END_OF_FILE, eof.encode()).unwrap();
        } else {
            // Even one that sets nothing.
            set_info(&h, C::BASIC, FileBasicInformation::default().encode()).unwrap();
        }
        assert!(last_write(&h) > created, "{name}");
    }
}

#[test]
fn an_explicit_time_sticks_through_writes_and_the_close() {
    let s = Share::new();
    let h1 = s
        .open("f", req(ALL, D::CREATE).share(lwio_core::ShareAccess::ALL))
        .unwrap();
    block_on(h1.write(0, b"x".to_vec())).unwrap();
    let h2 = s.all("f");
    let set = FileTime::from_unix(2_000_000_000, 0);
    let basic = FileBasicInformation {
        last_write_time: set,
        ..Default::default()
    };
    set_info(&h2, C::BASIC, basic.encode()).unwrap();
    drop(h2);
    assert_eq!(last_write(&h1), set);
    pause();
    block_on(h1.write(1, b"y".to_vec())).unwrap();
    assert_eq!(last_write(&h1), set);
    drop(h1);
    assert_eq!(disk_mtime(&s, "f"), set);
}
