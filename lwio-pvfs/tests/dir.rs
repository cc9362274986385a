//! Directory queries (MS-FSA 2.1.5.6.3): wildcards, classes, restart, single entries,
//! buffer limits, and the end statuses; and case-insensitive lookup in a large directory.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::irp::QueryDirectoryFlags as F;
use lwio_core::{
    AccessMask, CreateDisposition as D, FileAttributes, FileInfoClass as C, NtStatus, block_on,
};
use lwio_fscc::{decode_dir_entries, dir_entry_fixed_size};

const NAMES: [&str; 9] = [
    "a.txt", "Ab.txt", "B.TXT", "c.doc", "d", "e.tar.gz", "noext", "x1", "sub",
];

fn fixture() -> (Share, lwio_core::FileHandle) {
    let s = Share::new();
    for n in NAMES {
        if n == "sub" {
            s.mkdir(n);
        } else {
            s.file_with(n, b"12345");
        }
    }
    let h = s.dir_handle("");
    (s, h)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strs(v: &[&str]) -> Vec<String> {
    sorted(v.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn wildcard_table() {
    let (_s, h) = fixture();
    let mut all: Vec<&str> = vec![".", ".."];
    all.extend(NAMES);
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("*", all.clone()),
        // `*.*` is `*` to NTFS and FAT (names without a dot match too).
        ("*.*", all.clone()),
        ("*.t*", vec!["a.txt", "Ab.txt", "B.TXT", "e.tar.gz"]),
        ("*.txt", vec!["a.txt", "Ab.txt", "B.TXT"]),
        ("*.TXT", vec!["a.txt", "Ab.txt", "B.TXT"]),
        ("?", vec![".", "d"]),
        ("??", vec!["..", "x1"]),
        ("<.txt", vec!["a.txt", "Ab.txt", "B.TXT"]),
        ("<.gz", vec!["e.tar.gz"]),
        ("x>", vec!["x1"]),
        ("d>", vec!["d"]),
        ("a\"txt", vec!["a.txt"]),
        ("noext\"", vec!["noext"]),
        ("c.doc", vec!["c.doc"]),
        ("C.DOC", vec!["c.doc"]),
        ("*b*", vec!["Ab.txt", "B.TXT", "sub"]),
    ];
    for (pattern, want) in table {
        assert_eq!(sorted(list(&h, pattern).unwrap()), strs(&want), "{pattern}");
    }
}

#[test]
fn a_pattern_longer_than_a_name_is_refused() {
    // MS-FSA 2.1.5.5: the pattern must be a valid name component (255 UTF-16 units), with
    // wildcards allowed. A longer one, wildcards or not, is STATUS_OBJECT_NAME_INVALID.
    let (_s, h) = fixture();
    let longest = format!("{}*", "?".repeat(254));
    assert_eq!(list(&h, &longest).unwrap_err(), NtStatus::NO_SUCH_FILE);
    for pattern in [
        "*".repeat(256),
        "a".repeat(256),
        format!("{}*", "*a".repeat(4000)),
    ] {
        assert_eq!(
            list(&h, &pattern).unwrap_err(),
            NtStatus::OBJECT_NAME_INVALID,
            "{} units",
            pattern.len()
        );
    }
}

#[test]
fn star_lists_in_case_insensitive_order_with_dots_first() {
    let (_s, h) = fixture();
    let got = list(&h, "*").unwrap();
    assert_eq!(
        got,
        vec![
            ".", "..", "a.txt", "Ab.txt", "B.TXT", "c.doc", "d", "e.tar.gz", "noext", "sub", "x1"
        ]
    );
}

#[test]
fn no_match_is_no_such_file_then_no_more_files_after_entries() {
    let (_s, h) = fixture();
    let r = query_dir(&h, C::BOTH_DIRECTORY, Some("zzz*"), F::RESTART_SCANS, 4096);
    assert_eq!(r.status, NtStatus::NO_SUCH_FILE);
    let r = query_dir(&h, C::BOTH_DIRECTORY, Some("d"), F::RESTART_SCANS, 4096);
    assert_eq!(r.status, NtStatus::SUCCESS);
    let r = query_dir(&h, C::BOTH_DIRECTORY, None, F::empty(), 4096);
    assert_eq!(r.status, NtStatus::NO_MORE_FILES);
}

#[test]
fn every_class_decodes() {
    let (_s, h) = fixture();
    for class in [
        C::DIRECTORY,
        C::FULL_DIRECTORY,
        C::BOTH_DIRECTORY,
        C::NAMES,
        C::ID_FULL_DIRECTORY,
        C::ID_BOTH_DIRECTORY,
        C::ID_EXTD_DIRECTORY,
    ] {
        let r = query_dir(&h, class, Some("*"), F::RESTART_SCANS, 65536);
        assert_eq!(r.status, NtStatus::SUCCESS, "{class:?}");
        let entries = decode_dir_entries(class, &r.output).unwrap();
        assert_eq!(entries.len(), NAMES.len() + 2, "{class:?}");
        let f = entries.iter().find(|e| e.file_name == "c.doc").unwrap();
        if class != C::NAMES {
            assert_eq!(f.end_of_file, 5, "{class:?}");
            assert!(!f.file_attributes.contains(FileAttributes::DIRECTORY));
            let d = entries.iter().find(|e| e.file_name == "sub").unwrap();
            assert!(d.file_attributes.contains(FileAttributes::DIRECTORY));
        }
    }
}

#[test]
fn unknown_class_is_invalid_info_class() {
    let (_s, h) = fixture();
    let r = query_dir(&h, C::BASIC, Some("*"), F::RESTART_SCANS, 4096);
    assert_eq!(r.status, NtStatus::INVALID_INFO_CLASS);
}

#[test]
fn dot_entries_are_directories() {
    let (_s, h) = fixture();
    let r = query_dir(&h, C::FULL_DIRECTORY, Some("*"), F::RESTART_SCANS, 65536);
    let e = decode_dir_entries(C::FULL_DIRECTORY, &r.output).unwrap();
    assert_eq!(e[0].file_name, ".");
    assert_eq!(e[1].file_name, "..");
    assert!(e[0].file_attributes.contains(FileAttributes::DIRECTORY));
    assert!(e[1].file_attributes.contains(FileAttributes::DIRECTORY));
}

#[test]
fn restart_starts_over() {
    let (_s, h) = fixture();
    let first = list(&h, "*").unwrap();
    assert_eq!(list(&h, "*").unwrap(), first);
    let r = query_dir(&h, C::BOTH_DIRECTORY, None, F::RESTART_SCANS, 65536);
    assert_eq!(
        decode_dir_entries(C::BOTH_DIRECTORY, &r.output)
            .unwrap()
            .len(),
        first.len()
    );
}

#[test]
fn single_entry_returns_one_at_a_time() {
    let (_s, h) = fixture();
    let mut names = Vec::new();
    let mut flags = F::RESTART_SCANS | F::RETURN_SINGLE_ENTRY;
    loop {
        let r = query_dir(&h, C::BOTH_DIRECTORY, Some("*"), flags, 65536);
        if r.status == NtStatus::NO_MORE_FILES {
            break;
        }
        assert_eq!(r.status, NtStatus::SUCCESS);
        let e = decode_dir_entries(C::BOTH_DIRECTORY, &r.output).unwrap();
        assert_eq!(e.len(), 1);
        names.push(e[0].file_name.clone());
        flags = F::RETURN_SINGLE_ENTRY;
    }
    assert_eq!(names, list(&h, "*").unwrap());
}

/// Buffers that hold one or two entries: over repeated calls every entry comes back
/// exactly once.
#[test]
fn small_buffers_return_every_entry_once() {
    let (_s, h) = fixture();
    let want = list(&h, "*").unwrap();
    for class in [C::BOTH_DIRECTORY, C::NAMES, C::ID_EXTD_DIRECTORY] {
        let fixed = dir_entry_fixed_size(class).unwrap() as u32;
        for extra in [20u32, 40, 120, 200] {
            let mut names = Vec::new();
            let mut flags = F::RESTART_SCANS;
            for _ in 0..100 {
                let r = query_dir(&h, class, Some("*"), flags, fixed + extra);
                flags = F::empty();
                if r.status == NtStatus::NO_MORE_FILES {
                    break;
                }
                assert_eq!(r.status, NtStatus::SUCCESS, "{class:?} {extra}");
                assert!(r.output.len() <= (fixed + extra) as usize);
                for e in decode_dir_entries(class, &r.output).unwrap() {
                    names.push(e.file_name);
                }
            }
            assert_eq!(names, want, "{class:?} {extra}");
        }
    }
}

#[test]
fn buffer_too_small_for_one_entry_overflows_without_losing_it() {
    let s = Share::new();
    let long = "a-rather-long-file-name-for-this-test.txt";
    s.file(long);
    let h = s.dir_handle("");
    let fixed = dir_entry_fixed_size(C::BOTH_DIRECTORY).unwrap() as u32;
    let r = query_dir(
        &h,
        C::BOTH_DIRECTORY,
        Some("a-*"),
        F::RESTART_SCANS,
        fixed + 4,
    );
    assert_eq!(r.status, NtStatus::BUFFER_OVERFLOW);
    let r = query_dir(&h, C::BOTH_DIRECTORY, None, F::empty(), 4096);
    assert_eq!(r.status, NtStatus::SUCCESS);
    let e = decode_dir_entries(C::BOTH_DIRECTORY, &r.output).unwrap();
    assert_eq!(e[0].file_name, long);
}

#[test]
fn buffer_below_the_fixed_part_is_info_length_mismatch() {
    let (_s, h) = fixture();
    let r = query_dir(&h, C::BOTH_DIRECTORY, Some("*"), F::RESTART_SCANS, 10);
    assert_eq!(r.status, NtStatus::INFO_LENGTH_MISMATCH);
}

#[test]
fn query_on_a_file_is_invalid_parameter() {
    let (s, _h) = fixture();
    let f = s.all("d");
    let r = query_dir(&f, C::BOTH_DIRECTORY, Some("*"), F::RESTART_SCANS, 4096);
    assert_eq!(r.status, NtStatus::INVALID_PARAMETER);
}

#[test]
fn files_created_after_restart_are_listed() {
    let (s, h) = fixture();
    assert!(!list(&h, "*").unwrap().contains(&"late".to_owned()));
    s.file("late");
    assert!(list(&h, "*").unwrap().contains(&"late".to_owned()));
}

#[test]
fn subdirectory_listing_has_its_own_entries() {
    let (s, _h) = fixture();
    s.file("sub/inner");
    let d = s.dir_handle("SUB");
    assert_eq!(list(&d, "*").unwrap(), vec![".", "..", "inner"]);
}

/// 100,000 names made behind PVFS's back; an open with another case finds its file.
#[test]
fn case_insensitive_open_in_a_100k_directory() {
    let s = Share::in_memory();
    std::fs::create_dir(s.path("big")).unwrap();
    for i in 0..100_000 {
        std::fs::File::create(s.path(&format!("big/File{i:06}.Dat"))).unwrap();
    }
    let h = s
        .open("BIG/file054321.DAT", req(AccessMask::GENERIC_READ, D::OPEN))
        .unwrap();
    let b = block_on(h.query_information(C::NAME, 1024)).unwrap();
    assert_eq!(
        lwio_fscc::FileNameInformation::decode(&b)
            .unwrap()
            .file_name,
        "\\big\\File054321.Dat"
    );
    assert_eq!(
        s.open("big/FILE100000.dat", req(AccessMask::GENERIC_READ, D::OPEN))
            .err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

/// INDEX_SPECIFIED with a FileIndex of 0 (what clients send) continues the scan instead
/// of restarting it, so a loop until STATUS_NO_MORE_FILES ends and sees each name once.
#[test]
fn index_specified_continues_the_scan() {
    let (_s, dir) = fixture();
    let class = C::NAMES;
    let mut names = Vec::new();
    let mut flags = F::RESTART_SCANS;
    for _ in 0..100 {
        let r = query_dir(&dir, class, Some("*"), flags, 64);
        if r.status == NtStatus::NO_MORE_FILES {
            break;
        }
        assert_eq!(r.status, NtStatus::SUCCESS);
        for e in decode_dir_entries(class, &r.output).unwrap() {
            names.push(e.file_name);
        }
        flags = F::INDEX_SPECIFIED;
    }
    assert_eq!(names.len(), NAMES.len() + 2, "{names:?}");
}

/// A listing shows what a query of the open file shows: the change time set on it and
/// the 8.3 alternate name.
#[test]
fn listing_agrees_with_the_open_file() {
    use lwio_fscc::{FileBasicInformation, FileNameInformation, FileTime};
    let s = Share::new();
    s.mkdir("d");
    s.file("d/long file name.txt");
    let f = s.all("d/long file name.txt");
    let t = |n: i64| FileTime(132_000_000_000_000_000 + n * 10_000_000);
    let info = FileBasicInformation {
        creation_time: t(9),
        last_access_time: t(6),
        last_write_time: t(3),
        change_time: t(1),
        file_attributes: FileAttributes(0),
    };
    set_info(&f, C::BASIC, info.encode()).unwrap();
    let alt = block_on(f.query_information(C::ALTERNATE_NAME, 1024)).unwrap();
    let alt = FileNameInformation::decode(&alt).unwrap().file_name;
    let dir = s.dir_handle("d");
    let r = query_dir(
        &dir,
        C::BOTH_DIRECTORY,
        Some("long*"),
        F::RESTART_SCANS,
        4096,
    );
    let entries = decode_dir_entries(C::BOTH_DIRECTORY, &r.output).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].change_time, t(1));
    assert_eq!(entries[0].short_name, alt);
    assert_eq!(alt.len(), 12, "{alt}");
}
