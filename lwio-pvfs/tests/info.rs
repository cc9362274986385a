//! Query and set file information (MS-FSA 2.1.5.12, 2.1.5.14), and what survives a
//! restart (a new manager and mount over the same directory).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::{IrpRequest, QueryInfoRequest};
use lwio_core::{
    AccessMask, CreateDisposition as D, CreateOptions, FileAttributes, FileInfoClass as C,
    NtStatus, block_on,
};
use lwio_fscc::{
    FileAllInformation, FileAllocationInformation, FileAttributeTagInformation,
    FileBasicInformation, FileEndOfFileInformation, FileIdInformation, FileInternalInformation,
    FileModeInformation, FileNameInformation, FileNetworkOpenInformation, FilePositionInformation,
    FileStandardInformation, FileStreamInformation, FileTime,
};

fn q(h: &lwio_core::FileHandle, class: C, len: u32) -> lwio_core::IrpResult {
    call(
        h,
        IrpRequest::QueryInformation(QueryInfoRequest { class, length: len }),
    )
}

fn basic(h: &lwio_core::FileHandle) -> FileBasicInformation {
    FileBasicInformation::decode(&q(h, C::BASIC, 40).output).unwrap()
}

fn standard(h: &lwio_core::FileHandle) -> FileStandardInformation {
    FileStandardInformation::decode(&q(h, C::STANDARD, 24).output).unwrap()
}

#[test]
fn every_query_class_decodes_and_agrees() {
    let s = Share::new();
    s.file_with("f", b"hello");
    let h = s.all("f");
    let b = basic(&h);
    assert!(b.file_attributes.contains(FileAttributes::ARCHIVE));
    let st = standard(&h);
    assert_eq!((st.end_of_file, st.number_of_links), (5, 1));
    assert!(!st.directory && !st.delete_pending);
    assert!(st.allocation_size >= 5 || st.allocation_size == 0);
    let id = FileInternalInformation::decode(&q(&h, C::INTERNAL, 8).output).unwrap();
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(s.path("f")).unwrap());
    assert_eq!(id.index_number, ino);
    let no = FileNetworkOpenInformation::decode(&q(&h, C::NETWORK_OPEN, 56).output).unwrap();
    assert_eq!(no.end_of_file, 5);
    assert_eq!(no.last_write_time, b.last_write_time);
    let tag = FileAttributeTagInformation::decode(&q(&h, C::ATTRIBUTE_TAG, 8).output).unwrap();
    assert_eq!(tag.file_attributes, b.file_attributes);
    let all = FileAllInformation::decode(&q(&h, C::ALL, 1024).output).unwrap();
    assert_eq!(all.name.file_name, "\\f");
    assert_eq!(all.standard.end_of_file, 5);
    assert_eq!(all.internal.index_number, ino);
    let id128 = FileIdInformation::decode(&q(&h, C::ID, 24).output).unwrap();
    assert_eq!(id128.file_id[..8], ino.to_le_bytes());
    let streams = FileStreamInformation::decode(&q(&h, C::STREAM, 1024).output).unwrap();
    assert_eq!(streams.entries[0].stream_name, "::$DATA");
    assert_eq!(streams.entries[0].stream_size, 5);
    for class in [
        C::EA,
        C::ACCESS,
        C::POSITION,
        C::MODE,
        C::ALIGNMENT,
        C::COMPRESSION,
    ] {
        assert_eq!(q(&h, class, 64).status, NtStatus::SUCCESS, "{class:?}");
    }
}

#[test]
fn directory_reports_directory_attribute_and_no_size() {
    let s = Share::new();
    s.mkdir("d");
    let h = s.dir_handle("d");
    assert!(
        basic(&h)
            .file_attributes
            .contains(FileAttributes::DIRECTORY)
    );
    let st = standard(&h);
    assert!(st.directory);
    assert_eq!(st.end_of_file, 0);
}

#[test]
fn short_buffers_are_info_length_mismatch() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    for (class, min) in [
        (C::BASIC, 40),
        (C::STANDARD, 24),
        (C::INTERNAL, 8),
        (C::POSITION, 8),
        (C::NETWORK_OPEN, 56),
        (C::NAME, 8),
        (C::ALL, 100),
    ] {
        assert_eq!(
            q(&h, class, min - 1).status,
            NtStatus::INFO_LENGTH_MISMATCH,
            "{class:?}"
        );
    }
}

#[test]
fn short_name_buffers_overflow_with_the_full_length() {
    let s = Share::new();
    s.file("a-long-file-name.txt");
    let h = s.all("a-long-file-name.txt");
    let r = q(&h, C::NAME, 12);
    assert_eq!(r.status, NtStatus::BUFFER_OVERFLOW);
    assert_eq!(r.output.len(), 12);
    let len = u32::from_le_bytes(r.output[..4].try_into().unwrap());
    assert_eq!(len as usize, "\\a-long-file-name.txt".len() * 2);
    let r = q(&h, C::ALL, 104);
    assert_eq!(r.status, NtStatus::BUFFER_OVERFLOW);
    assert_eq!(r.output.len(), 104);
}

#[test]
fn times_and_attributes_set_by_basic_info_persist_across_restart() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let t = |n: i64| FileTime(132_000_000_000_000_000 + n * 10_000_000);
    let info = FileBasicInformation {
        creation_time: t(1),
        last_access_time: t(2),
        last_write_time: t(3),
        change_time: FileTime(0),
        file_attributes: FileAttributes::HIDDEN | FileAttributes::SYSTEM,
    };
    set_info(&h, C::BASIC, info.encode()).unwrap();
    let got = basic(&h);
    assert_eq!(
        (got.creation_time, got.last_access_time, got.last_write_time),
        (t(1), t(2), t(3))
    );
    assert_eq!(
        got.file_attributes,
        FileAttributes::HIDDEN | FileAttributes::SYSTEM
    );
    let id = standard(&h);
    drop(h);
    drop(s.io.clone());
    let io2 = s.remount();
    let h2 = block_on(io2.create_file("/s/f", req(AccessMask::GENERIC_READ, D::OPEN))).unwrap();
    let got2 = basic(&h2);
    assert_eq!(got2.creation_time, t(1));
    assert_eq!(got2.last_write_time, t(3));
    assert_eq!(got2.file_attributes, got.file_attributes);
    assert_eq!(standard(&h2).end_of_file, id.end_of_file);
}

#[test]
fn creation_time_and_file_id_survive_restart() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let c1 = basic(&h).creation_time;
    let id1 = FileInternalInformation::decode(&q(&h, C::INTERNAL, 8).output).unwrap();
    drop(h);
    // Writing later moves the write time, never the creation time.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let io2 = s.remount();
    let h2 = block_on(io2.create_file("/s/f", req(RW, D::OPEN))).unwrap();
    block_on(h2.write(0, &b"x"[..])).unwrap();
    let b2 = basic(&h2);
    assert_eq!(b2.creation_time, c1);
    assert!(b2.last_write_time >= c1);
    let id2 = FileInternalInformation::decode(&q(&h2, C::INTERNAL, 8).output).unwrap();
    assert_eq!(id1, id2);
}

#[test]
fn zero_and_minus_one_times_leave_times_unchanged() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let before = basic(&h);
    let info = FileBasicInformation {
        creation_time: FileTime(0),
        last_access_time: FileTime(-1),
        last_write_time: FileTime(0),
        change_time: FileTime(0),
        file_attributes: FileAttributes(0),
    };
    set_info(&h, C::BASIC, info.encode()).unwrap();
    let after = basic(&h);
    assert_eq!(before.creation_time, after.creation_time);
    assert_eq!(before.last_write_time, after.last_write_time);
    assert_eq!(before.file_attributes, after.file_attributes);
}

#[test]
fn directory_attribute_on_a_file_is_invalid() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let info = FileBasicInformation {
        file_attributes: FileAttributes::DIRECTORY,
        ..basic(&h)
    };
    assert_eq!(
        set_info(&h, C::BASIC, info.encode()),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn normal_attribute_clears_the_others() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let info = FileBasicInformation {
        file_attributes: FileAttributes::NORMAL,
        ..basic(&h)
    };
    set_info(&h, C::BASIC, info.encode()).unwrap();
    assert_eq!(basic(&h).file_attributes, FileAttributes::NORMAL);
}

#[test]
fn end_of_file_extends_and_truncates() {
    let s = Share::new();
    s.file_with("f", b"0123456789");
    let h = s.all("f");
    set_info(
        &h,
        C::END_OF_FILE,
        FileEndOfFileInformation { end_of_file: 4 }.encode(),
    )
    .unwrap();
    assert_eq!(standard(&h).end_of_file, 4);
    assert_eq!(block_on(h.read(0, 100)).unwrap(), b"0123");
    set_info(
        &h,
        C::END_OF_FILE,
        FileEndOfFileInformation { end_of_file: 100 }.encode(),
    )
    .unwrap();
    assert_eq!(std::fs::metadata(s.path("f")).unwrap().len(), 100);
}

#[test]
fn allocation_below_size_truncates_and_above_keeps_size() {
    let s = Share::new();
    s.file_with("f", b"0123456789");
    let h = s.all("f");
    let alloc = |n| FileAllocationInformation { allocation_size: n }.encode();
    set_info(&h, C::ALLOCATION, alloc(1 << 20)).unwrap();
    assert_eq!(standard(&h).end_of_file, 10);
    set_info(&h, C::ALLOCATION, alloc(3)).unwrap();
    assert_eq!(standard(&h).end_of_file, 3);
}

#[test]
fn end_of_file_needs_write_access() {
    let s = Share::new();
    s.file("f");
    let h = s.open("f", req(AccessMask::GENERIC_READ, D::OPEN)).unwrap();
    assert_eq!(
        set_info(
            &h,
            C::END_OF_FILE,
            FileEndOfFileInformation { end_of_file: 4 }.encode()
        ),
        Err(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn position_follows_reads_and_can_be_set() {
    let s = Share::new();
    s.file_with("f", b"0123456789");
    let h = s.all("f");
    block_on(h.read(2, 3)).unwrap();
    let p = FilePositionInformation::decode(&q(&h, C::POSITION, 8).output).unwrap();
    assert_eq!(p.current_byte_offset, 5);
    set_info(
        &h,
        C::POSITION,
        FilePositionInformation {
            current_byte_offset: 9,
        }
        .encode(),
    )
    .unwrap();
    let p = FilePositionInformation::decode(&q(&h, C::POSITION, 8).output).unwrap();
    assert_eq!(p.current_byte_offset, 9);
}

#[test]
fn mode_reports_the_create_options() {
    let s = Share::new();
    s.file("f");
    let h = s
        .open(
            "f",
            req(RW, D::OPEN)
                .options(CreateOptions::WRITE_THROUGH | CreateOptions::SYNCHRONOUS_IO_NONALERT),
        )
        .unwrap();
    let m = FileModeInformation::decode(&q(&h, C::MODE, 4).output).unwrap();
    assert_eq!(
        m.mode,
        CreateOptions::WRITE_THROUGH | CreateOptions::SYNCHRONOUS_IO_NONALERT
    );
    let set = FileModeInformation {
        mode: CreateOptions::SEQUENTIAL_ONLY,
    };
    set_info(&h, C::MODE, set.encode()).unwrap();
    let m = FileModeInformation::decode(&q(&h, C::MODE, 4).output).unwrap();
    assert_eq!(m.mode, CreateOptions::SEQUENTIAL_ONLY);
}

#[test]
fn name_of_the_root_is_a_backslash() {
    let s = Share::new();
    let h = s.dir_handle("");
    let n = FileNameInformation::decode(&q(&h, C::NAME, 64).output).unwrap();
    assert_eq!(n.file_name, "\\");
}

#[test]
fn write_at_end_of_file_appends() {
    let s = Share::new();
    s.file_with("f", b"abc");
    let h = s.all("f");
    block_on(h.write(lwio_core::irp::WRITE_TO_END_OF_FILE, &b"def"[..])).unwrap();
    assert_eq!(std::fs::read(s.path("f")).unwrap(), b"abcdef");
}

#[test]
fn allocation_size_on_create_is_reserved_and_write_through_writes() {
    let share = Share::new();
    let mut r =
        req(RW, D::CREATE).options(CreateOptions::WRITE_THROUGH | CreateOptions::SEQUENTIAL_ONLY);
    r.allocation_size = 1 << 20;
    let f = share.open("big.bin", r).unwrap();
    let info = FileStandardInformation::decode(&q(&f, C::STANDARD, 24).output).unwrap();
    assert_eq!(info.end_of_file, 0);
    assert!(info.allocation_size >= 1 << 20, "{}", info.allocation_size);
    assert_eq!(block_on(f.write(0, &b"durable"[..])), Ok(7));
    assert_eq!(std::fs::read(share.path("big.bin")).unwrap(), b"durable");
}

#[test]
fn times_before_1970_and_after_2106_round_trip_and_change_follows_write() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    // 1968, -1 s, 0, 2106 and 2446 (time_t 15032385535), as FILETIMEs.
    for unix in [-63_158_400i64, -1, 0, 4_294_967_295, 15_032_385_535] {
        let t = FileTime(116_444_736_000_000_000 + unix * 10_000_000);
        let info = FileBasicInformation {
            creation_time: t,
            last_access_time: FileTime(0),
            last_write_time: t,
            change_time: FileTime(0),
            file_attributes: FileAttributes(0),
        };
        set_info(&h, C::BASIC, info.encode()).unwrap();
        let got = basic(&h);
        assert_eq!(
            (got.creation_time, got.last_write_time, got.change_time),
            (t, t, t),
            "{unix}"
        );
    }
}

#[test]
fn allocation_size_survives_an_overwrite() {
    let share = Share::new();
    share.file_with("f", b"old data");
    let mut r = req(RW, D::OVERWRITE_IF);
    r.allocation_size = 1 << 20;
    let f = share.open("f", r).unwrap();
    let info = FileStandardInformation::decode(&q(&f, C::STANDARD, 24).output).unwrap();
    assert_eq!(info.end_of_file, 0);
    assert!(info.allocation_size >= 1 << 20, "{}", info.allocation_size);
}

#[test]
fn quota_control_object_id_and_attribute_minimum() {
    use lwio_core::FsInfoClass;
    use lwio_fscc::FileFsControlInformation;
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let control = block_on(h.query_volume_information(FsInfoClass::CONTROL, 48)).unwrap();
    assert_eq!(
        FileFsControlInformation::decode(&control).unwrap(),
        FileFsControlInformation::default()
    );
    let id = block_on(h.query_volume_information(FsInfoClass::OBJECT_ID, 64)).unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(
        block_on(h.query_volume_information(FsInfoClass::ATTRIBUTE, 15)),
        Err(NtStatus::INFO_LENGTH_MISMATCH)
    );
    // As NTFS: case-sensitive search and preserved case are claimed (lookups over SMB2
    // are case-insensitive all the same).
    use lwio_fscc::{FileFsAttributeInformation, FsAttributes};
    let attrs = block_on(h.query_volume_information(FsInfoClass::ATTRIBUTE, 512)).unwrap();
    let attrs = FileFsAttributeInformation::decode(&attrs)
        .unwrap()
        .file_system_attributes;
    assert!(
        attrs.contains(FsAttributes::CASE_SENSITIVE_SEARCH | FsAttributes::CASE_PRESERVED_NAMES),
        "{attrs:?}"
    );
}

#[test]
fn normalized_name_is_share_relative_and_alternate_name_8_3() {
    let s = Share::new();
    s.mkdir("Dir");
    s.file("Dir/F.txt");
    let f = s.all("dir/f.TXT");
    let name = |h: &lwio_core::FileHandle, class| {
        FileNameInformation::decode(&q(h, class, 1024).output)
            .unwrap()
            .file_name
    };
    assert_eq!(name(&f, C::NORMALIZED_NAME), "Dir\\F.txt");
    assert_eq!(name(&f, C::ALTERNATE_NAME), "F.TXT");
    let root = s.dir_handle("");
    assert_eq!(name(&root, C::NORMALIZED_NAME), "");
}

#[test]
fn an_explicit_change_time_reads_back_until_the_next_write() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let t = |n: i64| FileTime(132_000_000_000_000_000 + n * 10_000_000);
    let info = FileBasicInformation {
        creation_time: t(9),
        last_access_time: t(6),
        last_write_time: t(3),
        change_time: t(1),
        file_attributes: FileAttributes(0),
    };
    set_info(&h, C::BASIC, info.encode()).unwrap();
    let got = basic(&h);
    assert_eq!(
        (
            got.creation_time,
            got.last_access_time,
            got.last_write_time,
            got.change_time
        ),
        (t(9), t(6), t(3), t(1))
    );
    // Both times were set through this handle: a write moves neither (MS-FSA's
    // UserSetModificationTime and UserSetChangeTime; see rw::WriteTime).
    block_on(h.write(0, &b"x"[..])).unwrap();
    let got = basic(&h);
    assert_eq!((got.last_write_time, got.change_time), (t(3), t(1)));
    // Only the change time set: the next write takes it back to the last write time.
    s.file("g");
    let g = s.all("g");
    let only_change = FileBasicInformation {
        change_time: t(1),
        ..Default::default()
    };
    set_info(&g, C::BASIC, only_change.encode()).unwrap();
    assert_eq!(basic(&g).change_time, t(1));
    std::thread::sleep(std::time::Duration::from_millis(20));
    block_on(g.write(0, &b"x"[..])).unwrap();
    let got = basic(&g);
    assert_eq!(got.change_time, got.last_write_time);
}

#[test]
fn create_keeps_only_the_attributes_a_create_may_set() {
    let s = Share::new();
    let asked = FileAttributes::HIDDEN
        | FileAttributes::SPARSE_FILE
        | FileAttributes::COMPRESSED
        | FileAttributes::ENCRYPTED
        | FileAttributes::REPARSE_POINT;
    let h = s
        .open(
            "f",
            req(ALL, lwio_core::CreateDisposition::CREATE).attributes(asked),
        )
        .unwrap();
    assert_eq!(
        basic(&h).file_attributes,
        FileAttributes::HIDDEN | FileAttributes::ARCHIVE
    );
}
