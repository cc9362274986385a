//! Case-insensitive lookup and resolution, and the name index cache.

use std::path::Path;
use std::time::{Duration, Instant};

use lwio_core::NtStatus;
use rustix::fs::{Mode, OFlags};

use super::{Fixture, config};
use crate::sys::index::RACY_WINDOW;
use crate::sys::{Root, create_file_at, mkdir_at};

/// Waits until indexes built from now on are trusted (past the racy window).
fn settle() {
    std::thread::sleep(RACY_WINDOW + Duration::from_millis(20));
}

#[test]
fn exact_then_case_insensitive() {
    let fx = Fixture::new();
    std::fs::write(fx.at("Readme.txt"), b"").unwrap();
    std::fs::write(fx.at("Äpfel"), b"").unwrap();
    std::fs::write(fx.at("ß"), b"").unwrap();
    settle();
    let root = fx.root(false, false);
    let dir = root.dir_fd();

    // The exact spelling needs no scan.
    assert_eq!(
        root.lookup(dir, "Readme.txt").unwrap().as_deref(),
        Some("Readme.txt")
    );
    assert_eq!(root.dir_scans(), 0);

    assert_eq!(
        root.lookup(dir, "README.TXT").unwrap().as_deref(),
        Some("Readme.txt")
    );
    assert_eq!(root.dir_scans(), 1);
    assert_eq!(
        root.lookup(dir, "readme.TXT").unwrap().as_deref(),
        Some("Readme.txt")
    );
    assert_eq!(root.lookup(dir, "äPFEL").unwrap().as_deref(), Some("Äpfel"));
    assert_eq!(root.lookup(dir, "ÄPFEL").unwrap().as_deref(), Some("Äpfel"));
    // No normalisation: a decomposed "A" + U+0308 is another name, as on NTFS.
    assert_eq!(root.lookup(dir, "A\u{308}pfel").unwrap(), None);
    // "ß" has no one-character upper case: it matches only itself.
    assert_eq!(root.lookup(dir, "SS").unwrap(), None);
    assert_eq!(root.lookup(dir, "missing").unwrap(), None);
    assert_eq!(root.dir_scans(), 1, "served from the cache");
}

#[test]
fn names_differing_only_in_case_pick_the_exact_one_first() {
    let fx = Fixture::new();
    std::fs::write(fx.at("abc"), b"").unwrap();
    std::fs::write(fx.at("ABC"), b"").unwrap();
    let root = fx.root(false, false);
    let dir = root.dir_fd();
    assert_eq!(root.lookup(dir, "abc").unwrap().as_deref(), Some("abc"));
    assert_eq!(root.lookup(dir, "ABC").unwrap().as_deref(), Some("ABC"));
    // Otherwise the smallest in byte order, whatever readdir's order.
    assert_eq!(root.lookup(dir, "Abc").unwrap().as_deref(), Some("ABC"));
}

#[test]
fn index_follows_directory_changes() {
    let fx = Fixture::new();
    std::fs::write(fx.at("One"), b"").unwrap();
    settle();
    let root = fx.root(false, false);
    let dir = root.dir_fd();
    assert_eq!(root.lookup(dir, "one").unwrap().as_deref(), Some("One"));
    assert_eq!(root.dir_scans(), 1);

    // A change behind the driver's back moves mtime: the next miss rescans.
    std::fs::write(fx.at("Two"), b"").unwrap();
    assert_eq!(root.lookup(dir, "TWO").unwrap().as_deref(), Some("Two"));
    assert_eq!(root.dir_scans(), 2);
    std::fs::remove_file(fx.at("Two")).unwrap();
    assert_eq!(root.lookup(dir, "TWO").unwrap(), None);

    // The driver's own invalidate() drops the index at once.
    settle();
    assert_eq!(root.lookup(dir, "ONE").unwrap().as_deref(), Some("One"));
    let scans = root.dir_scans();
    assert_eq!(root.lookup(dir, "ONE").unwrap().as_deref(), Some("One"));
    assert_eq!(root.dir_scans(), scans);
    root.invalidate(dir).unwrap();
    assert_eq!(root.lookup(dir, "ONE").unwrap().as_deref(), Some("One"));
    assert_eq!(root.dir_scans(), scans + 1);
}

#[test]
fn resolve_walks_case_insensitively() {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.at("Sub/Dir")).unwrap();
    std::fs::write(fx.at("Sub/Dir/File.txt"), b"x").unwrap();
    for (walk, follow) in super::MODES {
        let root = fx.root(walk, follow);
        let r = root.resolve(&["SUB", "dir", "FILE.TXT"]).unwrap();
        assert_eq!(r.parent, Path::new("Sub/Dir"));
        assert_eq!(r.name, "File.txt");
        assert_eq!(r.stat.map(|s| s.size), Some(1));
        assert_eq!(r.path(), Path::new("Sub/Dir/File.txt"));
        // The parent descriptor works for *at calls.
        assert!(root.lookup(&r.parent_fd, "file.txt").unwrap().is_some());

        let r = root.resolve(&["sub", "DIR", "New.txt"]).unwrap();
        assert_eq!((r.name.as_str(), r.stat), ("New.txt", None));
        assert_eq!(r.parent, Path::new("Sub/Dir"));

        for comps in [
            &["nope", "x"][..],
            &["sub", "nope", "x"],
            &["sub", "dir", "file.txt", "x"],
        ] {
            assert_eq!(
                root.resolve(comps).err(),
                Some(NtStatus::OBJECT_PATH_NOT_FOUND),
                "{comps:?}"
            );
        }
        let r = root.resolve(&[]).unwrap();
        assert!(r.is_root() && r.stat.is_some_and(|s| s.is_dir()));
    }
}

#[test]
fn cache_is_bounded() {
    let fx = Fixture::new();
    for d in ["a", "b", "c"] {
        std::fs::create_dir(fx.at(d)).unwrap();
        std::fs::write(fx.at(&format!("{d}/X")), b"").unwrap();
    }
    std::fs::create_dir(fx.at("big")).unwrap();
    for i in 0..20 {
        std::fs::write(fx.at(&format!("big/F{i}")), b"").unwrap();
    }
    settle();
    let mut cfg = config(false, false);
    cfg.index_max_dirs = 2;
    cfg.index_max_names = 10;
    let root = Root::open(&fx.share(), cfg).unwrap();
    for d in ["a", "b", "c"] {
        let fd = root.open_dir(Path::new(d)).unwrap();
        assert!(root.lookup(&fd, "x").unwrap().is_some());
        assert!(root.index_size().0 <= 2);
    }
    assert_eq!(root.dir_scans(), 3);
    // `a` was evicted (least recently used): it is scanned again.
    let a = root.open_dir(Path::new("a")).unwrap();
    assert!(root.lookup(&a, "x").unwrap().is_some());
    assert_eq!(root.dir_scans(), 4);
    // A directory above the name budget is never kept.
    let big = root.open_dir(Path::new("big")).unwrap();
    assert!(root.lookup(&big, "f1").unwrap().is_some());
    assert!(root.lookup(&big, "f2").unwrap().is_some());
    assert_eq!(root.dir_scans(), 6);
    assert!(root.index_size().1 <= 10);
}

#[test]
fn hundred_thousand_entries_are_scanned_once() {
    const N: usize = 100_000;
    let fx = Fixture::new();
    let root = fx.root(false, false);
    mkdir_at(root.dir_fd(), "big", Mode::from_raw_mode(0o755)).unwrap();
    let big = root.open_dir(Path::new("big")).unwrap();
    let start = Instant::now();
    for i in 0..N {
        create_file_at(
            &big,
            &format!("file{i:06}.txt"),
            OFlags::WRONLY,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
    }
    let created = start.elapsed();
    settle();

    let start = Instant::now();
    assert_eq!(
        root.lookup(&big, "FILE000123.TXT").unwrap().as_deref(),
        Some("file000123.txt")
    );
    assert_eq!(root.dir_scans(), 1);
    let first = start.elapsed();

    let start = Instant::now();
    assert_eq!(
        root.lookup(&big, "File099999.Txt").unwrap().as_deref(),
        Some("file099999.txt")
    );
    assert_eq!(root.lookup(&big, "no-such-file").unwrap(), None);
    assert_eq!(
        root.lookup(&big, "file050000.txt").unwrap().as_deref(),
        Some("file050000.txt")
    );
    assert_eq!(root.dir_scans(), 1, "later hits and misses scan nothing");
    let later = start.elapsed();
    eprintln!("100k: created in {created:?}, first lookup {first:?}, three more {later:?}");
}
