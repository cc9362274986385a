//! The share root is a jail: symlinks, `..` and absolute paths never reach outside, also
//! while another thread swaps directories and symlinks under the opener.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::symlink;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use lwio_core::{AccessMask, CreateDisposition as D, NtStatus, block_on};

const MARKER: &[u8] = b"OUTSIDE";

struct Jail {
    share: Share,
    outside: tempfile::TempDir,
}

fn jail() -> Jail {
    let share = Share::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), MARKER).unwrap();
    symlink(outside.path(), share.path("dirlink")).unwrap();
    symlink(outside.path().join("secret"), share.path("filelink")).unwrap();
    Jail { share, outside }
}

const R: AccessMask = AccessMask::GENERIC_READ;

#[test]
fn symlink_as_middle_component_is_access_denied() {
    let j = jail();
    for disp in [D::OPEN, D::OPEN_IF, D::OVERWRITE_IF] {
        assert_eq!(
            j.share.open("dirlink/secret", req(RW, disp)).err(),
            Some(NtStatus::ACCESS_DENIED),
            "{disp:?}"
        );
    }
    assert_eq!(
        j.share.open("dirlink/new", req(RW, D::CREATE)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    assert!(!j.outside.path().join("new").exists());
    assert_eq!(
        std::fs::read(j.outside.path().join("secret")).unwrap(),
        MARKER
    );
}

#[test]
fn symlink_as_last_component_is_access_denied() {
    let j = jail();
    for disp in [D::OPEN, D::OPEN_IF, D::OVERWRITE, D::SUPERSEDE] {
        assert_eq!(
            j.share.open("filelink", req(RW, disp)).err(),
            Some(NtStatus::ACCESS_DENIED),
            "{disp:?}"
        );
    }
    assert_eq!(
        j.share.open("DIRLINK", req(R, D::OPEN).options(DIR)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(
        std::fs::read(j.outside.path().join("secret")).unwrap(),
        MARKER
    );
}

#[test]
fn dot_dot_and_absolute_paths_are_invalid_names() {
    let j = jail();
    // A leading `..` climbs out of the share: a bad path syntax rather than a bad name.
    assert_eq!(
        block_on(j.share.io.create_file("/s/../secret", req(R, D::OPEN))).err(),
        Some(NtStatus::OBJECT_PATH_SYNTAX_BAD)
    );
    for p in ["/s/a/../../x", "/s//etc/passwd", "/s/./x"] {
        assert_eq!(
            block_on(j.share.io.create_file(p, req(R, D::OPEN))).err(),
            Some(NtStatus::OBJECT_NAME_INVALID),
            "{p}"
        );
    }
}

#[test]
fn rename_and_link_through_a_symlink_are_refused() {
    let j = jail();
    j.share.file("f");
    let h = j.share.all("f");
    assert_eq!(
        rename(&h, "dirlink\\moved", false),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(
        rename(&h, "..\\moved", false),
        Err(NtStatus::OBJECT_PATH_SYNTAX_BAD)
    );
    assert_eq!(
        link(&h, "dirlink\\linked", false),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert!(!j.outside.path().join("moved").exists());
    assert!(!j.outside.path().join("linked").exists());
    // A symlink is nothing PVFS opens, so nothing whose DELETE right it can check: it is
    // not replaced, and its target is untouched.
    assert_eq!(rename(&h, "filelink", true), Err(NtStatus::ACCESS_DENIED));
    assert_eq!(link(&h, "filelink", true), Err(NtStatus::ACCESS_DENIED));
    assert!(j.share.path("filelink").is_symlink());
    assert_eq!(
        std::fs::read(j.outside.path().join("secret")).unwrap(),
        MARKER
    );
}

#[test]
fn symlinks_are_not_listed() {
    let j = jail();
    j.share.file("plain");
    let d = j.share.dir_handle("");
    assert_eq!(list(&d, "*").unwrap(), vec![".", "..", "plain"]);
}

/// One thread renames a directory back and forth and swaps a symlink to outside into its
/// place; another opens a file through it 1,000 times. No open reaches the outside file.
#[test]
fn rename_racing_an_open_never_escapes() {
    let j = jail();
    std::fs::remove_file(j.share.path("dirlink")).unwrap();
    std::fs::create_dir(j.share.path("d")).unwrap();
    std::fs::write(j.share.path("d/secret"), b"inside").unwrap();
    let root = j.share.dir.path().to_owned();
    let outside = j.outside.path().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::fs::rename(root.join("d"), root.join("d2"));
                let _ = symlink(&outside, root.join("d"));
                let _ = std::fs::remove_file(root.join("d"));
                let _ = std::fs::rename(root.join("d2"), root.join("d"));
            }
        })
    };
    let mut opened = 0;
    for _ in 0..1000 {
        if let Ok(h) = j.share.open("d/secret", req(R, D::OPEN)) {
            opened += 1;
            let data = block_on(h.read(0, 64)).unwrap_or_default();
            assert_ne!(data, MARKER);
        }
    }
    stop.store(true, Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(opened <= 1000);
    assert_eq!(
        std::fs::read(j.outside.path().join("secret")).unwrap(),
        MARKER
    );
}
