//! 8.3 short names: reported by FileAlternateNameInformation and the listing, and found by
//! an open, a delete and a rename (`lwio_pvfs::sys::short`); the tunnel cache restores the
//! long name of a file removed and made again by its short name.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use lwio_core::{CreateDisposition as D, FileInfoClass as C, NtStatus, ShareAccess, block_on};
use lwio_fscc::{FileNameInformation, decode_dir_entries};
use lwio_pvfs::sys::short::{hash_key, short_name_alone};

fn alternate_name(s: &Share, path: &str) -> Result<String, NtStatus> {
    let f = s.all(path);
    let out = block_on(f.query_information(C::ALTERNATE_NAME, 1024))?;
    Ok(FileNameInformation::decode(&out).unwrap().file_name)
}

/// The (long name, short name) pairs a BothDirectory listing of `dir` shows.
fn listing(s: &Share, dir: &str) -> Vec<(String, String)> {
    let h = s.dir_handle(dir);
    let r = query_dir(
        &h,
        C::BOTH_DIRECTORY,
        Some("*"),
        lwio_core::irp::QueryDirectoryFlags::RESTART_SCANS,
        65536,
    );
    assert_eq!(r.status, NtStatus::SUCCESS);
    decode_dir_entries(C::BOTH_DIRECTORY, &r.output)
        .unwrap()
        .into_iter()
        .filter(|e| e.file_name != "." && e.file_name != "..")
        .map(|e| (e.file_name, e.short_name))
        .collect()
}

/// Two long names of the same short-name group (`PREFIX` and extension, and the same hash
/// digits), found by trying.
fn colliding_pair() -> (String, String) {
    let mut seen = std::collections::HashMap::new();
    for i in 0u32.. {
        let name = format!("collide {i}.dat");
        let key = hash_key(&name).unwrap();
        if let Some(first) = seen.insert(key, name.clone()) {
            return (first, name);
        }
    }
    unreachable!()
}

#[test]
fn open_by_the_reported_alternate_name() {
    let s = Share::new();
    s.mkdir("a long directory name");
    s.file_with("a long directory name/a long file name.txt", b"contents");
    let dir_alt = alternate_name(&s, "a long directory name").unwrap();
    let alt = alternate_name(&s, "a long directory name/a long file name.txt").unwrap();
    assert_eq!(alt, short_name_alone("a long file name.txt"));
    assert!(alt.ends_with("~1.TXT"), "{alt}");
    // As reported, in lower case, and through the directory's own short name.
    for path in [
        format!("a long directory name/{alt}"),
        format!("a long directory name/{}", alt.to_ascii_lowercase()),
        format!("{dir_alt}/{alt}"),
    ] {
        let f = s
            .open(&path, req(RW, D::OPEN).share(ShareAccess::ALL))
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(block_on(f.read(0, 100)).unwrap(), b"contents", "{path}");
        // The handle knows the file by its long name.
        let name = block_on(f.query_information(C::NAME, 1024)).unwrap();
        let name = FileNameInformation::decode(&name).unwrap().file_name;
        assert_eq!(
            name, "\\a long directory name\\a long file name.txt",
            "{path}"
        );
    }
    // A create of the short name opens the file it names, or collides with it.
    assert_eq!(
        s.open(&format!("{dir_alt}/{alt}"), req(RW, D::CREATE))
            .unwrap_err(),
        NtStatus::OBJECT_NAME_COLLISION
    );
    // A name of that shape naming nothing is not found; one digit off neither.
    let other = alt.replace("~1", "~2");
    assert_eq!(
        s.open(&format!("{dir_alt}/{other}"), req(RW, D::OPEN))
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    // A name that fits 8.3 is its own short name.
    s.file("short.txt");
    assert_eq!(alternate_name(&s, "short.txt").unwrap(), "SHORT.TXT");
}

#[test]
fn delete_and_rename_by_short_name() {
    let s = Share::new();
    s.file("delete me please.txt");
    s.file("rename me please.txt");
    let del = alternate_name(&s, "delete me please.txt").unwrap();
    let ren = alternate_name(&s, "rename me please.txt").unwrap();
    let f = s.all(&del);
    set_delete(&f, true).unwrap();
    drop(f);
    assert!(!s.path("delete me please.txt").exists());
    let f = s.all(&ren);
    rename(&f, "renamed.txt", false).unwrap();
    drop(f);
    assert!(s.path("renamed.txt").exists());
    assert!(!s.path("rename me please.txt").exists());
    // A rename onto another file's short name meets that file.
    s.file("the target file.txt");
    let target = alternate_name(&s, "the target file.txt").unwrap();
    let f = s.all("renamed.txt");
    assert_eq!(
        rename(&f, &target, false).unwrap_err(),
        NtStatus::OBJECT_NAME_COLLISION
    );
    rename(&f, &target, true).unwrap();
    drop(f);
    // Replacing through the short name replaced the long name's file.
    let mut names: Vec<String> = listing(&s, "").into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn collisions_take_the_next_digit_and_stay_put() {
    let s = Share::new();
    s.mkdir("d");
    let (first, second) = colliding_pair();
    s.file_with(&format!("d/{first}"), b"first");
    let alt1 = alternate_name(&s, &format!("d/{first}")).unwrap();
    assert!(alt1.contains("~1."), "{alt1}");
    s.file_with(&format!("d/{second}"), b"second");
    // The older file keeps its short name; the newer one takes ~2.
    assert_eq!(alternate_name(&s, &format!("d/{first}")).unwrap(), alt1);
    let alt2 = alternate_name(&s, &format!("d/{second}")).unwrap();
    assert_eq!(alt2, alt1.replace("~1.", "~2."));
    // The listing agrees, and each short name opens its own file.
    let mut shown = listing(&s, "d");
    shown.sort();
    let mut want = vec![
        (first.clone(), alt1.clone()),
        (second.clone(), alt2.clone()),
    ];
    want.sort();
    assert_eq!(shown, want);
    for (alt, data) in [(&alt1, &b"first"[..]), (&alt2, &b"second"[..])] {
        let f = s.all(&format!("d/{alt}"));
        assert_eq!(block_on(f.read(0, 10)).unwrap(), data.to_vec(), "{alt}");
    }
    // A long name spelling a short name of the group still free is its own short name.
    let third_digit = alt1.replace("~1.", "~3.");
    s.file(&format!("d/{third_digit}"));
    assert_eq!(
        alternate_name(&s, &format!("d/{third_digit}")).unwrap(),
        third_digit
    );
    // The two members are unchanged by the new long name.
    assert_eq!(alternate_name(&s, &format!("d/{first}")).unwrap(), alt1);
    assert_eq!(alternate_name(&s, &format!("d/{second}")).unwrap(), alt2);
}

#[test]
fn a_create_by_short_name_restores_the_long_name_lately_removed() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/My Long Document.txt");
    let alt = alternate_name(&s, "d/My Long Document.txt").unwrap();
    // Deleted by its short name, made again by it: the long name comes back.
    let f = s.all(&format!("d/{alt}"));
    set_delete(&f, true).unwrap();
    drop(f);
    assert!(listing(&s, "d").is_empty());
    s.file(&format!("d/{alt}"));
    assert_eq!(
        listing(&s, "d"),
        vec![("My Long Document.txt".to_owned(), alt.clone())]
    );
    // Used up: the next delete and create by the short name restore it again (a new
    // entry), but a short name never remembered is made as asked.
    let f = s.all("d/My Long Document.txt");
    set_delete(&f, true).unwrap();
    drop(f);
    let never = alt.replace("~1.", "~5.");
    s.file(&format!("d/{never}"));
    assert_eq!(listing(&s, "d"), vec![(never.clone(), never.clone())]);
    // Renamed away, then made by the short name: restored too.
    s.file("d/Another Long Name.txt");
    let alt = alternate_name(&s, "d/Another Long Name.txt").unwrap();
    let f = s.all("d/Another Long Name.txt");
    rename(&f, "d/moved.txt", false).unwrap();
    drop(f);
    s.file(&format!("d/{alt}"));
    assert!(s.path("d/Another Long Name.txt").exists());
    // A safe save: the file deleted by its short name, a new one renamed to that name.
    let f = s.all(&format!("d/{alt}"));
    set_delete(&f, true).unwrap();
    drop(f);
    s.file_with("d/saved.tmp", b"saved");
    let f = s.all("d/saved.tmp");
    rename(&f, &format!("d/{alt}"), false).unwrap();
    drop(f);
    assert_eq!(
        std::fs::read(s.path("d/Another Long Name.txt")).unwrap(),
        b"saved"
    );
}

#[test]
fn a_short_name_does_not_lead_out_of_the_share() {
    let s = Share::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"secret").unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path("a link leading out")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), s.path("a file link out")).unwrap();
    let dir_alt = short_name_alone("a link leading out");
    let file_alt = short_name_alone("a file link out");
    for path in [format!("{dir_alt}/secret"), file_alt] {
        // A symlink is no entry of a listing and has no short name.
        let r = s.open(&path, req(RW, D::OPEN));
        assert!(
            matches!(
                r,
                Err(NtStatus::OBJECT_NAME_NOT_FOUND | NtStatus::OBJECT_PATH_NOT_FOUND)
            ),
            "{path}: {:?}",
            r.err()
        );
    }
}

#[test]
fn a_listing_pattern_matches_the_short_name_too() {
    let s = Share::new();
    s.mkdir("d");
    s.file("d/quarterly report.text");
    s.file("d/other.doc");
    let alt = alternate_name(&s, "d/quarterly report.text").unwrap();
    let h = s.dir_handle("d");
    // The short name as the pattern, in any case, and a wildcard only the short name
    // matches (its extension is `TEX`).
    for pattern in [alt.clone(), alt.to_ascii_lowercase(), "*.tex".to_owned()] {
        assert_eq!(
            list(&h, &pattern).unwrap(),
            vec!["quarterly report.text".to_owned()],
            "{pattern}"
        );
    }
    assert_eq!(list(&h, "*.doc").unwrap(), vec!["other.doc".to_owned()]);
    assert_eq!(list(&h, "nothing~1.txt"), Err(NtStatus::NO_SUCH_FILE));
}
