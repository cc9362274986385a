//! Read and write offsets and sizes (MS-FSA 2.1.5.2, 2.1.5.3): positions are signed 64-bit,
//! a file ends before NTFS's largest size, and a file grows only as far as the volume has room.
#![allow(clippy::unwrap_used)]

mod common;

use common::Share;
use lwio_core::irp::WRITE_TO_END_OF_FILE;
use lwio_core::{NtStatus, block_on};

const MAX_FILE_SIZE: u64 = 0xFFF_FFFF_0000;
const MAX_OFFSET: u64 = i64::MAX as u64;

#[test]
fn reads_beyond_the_largest_offset_are_invalid() {
    let s = Share::new();
    s.file("r.txt");
    let f = s.all("r.txt");
    assert_eq!(block_on(f.write(0, &b"abc"[..])), Ok(3));
    assert_eq!(block_on(f.read(MAX_OFFSET, 0)), Ok(Vec::new()));
    assert_eq!(
        block_on(f.read(MAX_OFFSET - 1, 1)),
        Err(NtStatus::END_OF_FILE)
    );
    assert_eq!(
        block_on(f.read(MAX_OFFSET, 1)),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        block_on(f.read(MAX_OFFSET + 1, 0)),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn writes_past_the_largest_file_fail_and_empty_writes_do_not() {
    let s = Share::new();
    s.file("w.txt");
    let f = s.all("w.txt");
    assert_eq!(block_on(f.write(MAX_OFFSET, &b""[..])), Ok(0));
    assert_eq!(
        block_on(f.write(MAX_OFFSET, &b"x"[..])),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        block_on(f.write(MAX_OFFSET + 1, &b""[..])),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        block_on(f.write(MAX_FILE_SIZE, &b"x"[..])),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(block_on(f.write(MAX_FILE_SIZE, &b""[..])), Ok(0));
    // Growing a file by 16 TiB needs that much room on the volume.
    assert_eq!(
        block_on(f.write(MAX_FILE_SIZE - 1, &b"x"[..])),
        Err(NtStatus::DISK_FULL)
    );
    // Writing at end of file still works.
    assert_eq!(block_on(f.write(WRITE_TO_END_OF_FILE, &b"ab"[..])), Ok(2));
    assert_eq!(block_on(f.read(0, 10)).unwrap(), b"ab");
}
