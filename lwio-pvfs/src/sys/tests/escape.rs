//! Nothing reaches outside the share: symlinks, `..`, absolute paths, hard links.

use std::os::unix::fs::symlink;
use std::path::Path;

use lwio_core::NtStatus;
use rustix::fs::{Mode, OFlags};

use super::{Fixture, MODES, fd_id, path_id};
use crate::sys::{link_at, validate_name};

/// Builds links of every kind inside the share.
fn links(fx: &Fixture) {
    std::fs::create_dir(fx.at("d")).unwrap();
    std::fs::write(fx.at("d/f"), b"inside").unwrap();
    symlink("/etc", fx.at("etc")).unwrap();
    symlink("../outside", fx.at("up")).unwrap();
    symlink("../../outside", fx.at("d/up2")).unwrap();
    symlink(fx.outside().join("marker"), fx.at("abs")).unwrap();
    symlink("/nonexistent/x", fx.at("abs_missing")).unwrap();
    symlink("d", fx.at("in_dir")).unwrap();
    symlink("../d/f", fx.at("d/in_file")).unwrap();
    symlink("f", fx.at("d/in_same")).unwrap();
}

fn open_ro(root: &crate::sys::Root, p: &str) -> Result<std::os::fd::OwnedFd, NtStatus> {
    root.open_file(Path::new(p), OFlags::RDONLY, Mode::empty())
}

#[test]
fn symlinks_leaving_the_root_are_denied_in_every_mode() {
    let fx = Fixture::new();
    links(&fx);
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        for p in [
            "etc/passwd",
            "etc/does-not-exist",
            "etc",
            "up/marker",
            "up/does-not-exist",
            "up",
            "d/up2/marker",
            "d/up2",
            "abs",
            "abs_missing",
        ] {
            assert_eq!(
                open_ro(&root, p).err(),
                Some(NtStatus::ACCESS_DENIED),
                "{p} walk={walk} follow={follow}"
            );
            assert_eq!(
                root.open_path(Path::new(p)).err(),
                Some(NtStatus::ACCESS_DENIED),
                "O_PATH {p} walk={walk} follow={follow}"
            );
        }
        // Creating through a link that leaves is denied too, and creates nothing outside.
        let created = root.open_file(
            Path::new("up/new"),
            OFlags::WRONLY | OFlags::CREATE,
            Mode::from_raw_mode(0o644),
        );
        assert_eq!(created.err(), Some(NtStatus::ACCESS_DENIED));
        assert!(!fx.outside().join("new").exists());
        // Resolving through them is denied as well.
        for comps in [
            &["up", "marker"][..],
            &["ETC", "passwd"],
            &["d", "UP2", "marker"],
        ] {
            assert_eq!(
                root.resolve(comps).err(),
                Some(NtStatus::ACCESS_DENIED),
                "{comps:?} walk={walk} follow={follow}"
            );
        }
    }
}

#[test]
fn symlinks_inside_are_followed_only_when_configured_with_openat2() {
    let fx = Fixture::new();
    links(&fx);
    let target = path_id(&fx.at("d/f"));
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        for p in ["in_dir/f", "d/in_file", "d/in_same"] {
            let got = open_ro(&root, p);
            if follow && !walk {
                assert_eq!(fd_id(got.unwrap()), target, "{p}");
            } else {
                assert_eq!(got.err(), Some(NtStatus::ACCESS_DENIED), "{p} walk={walk}");
            }
        }
        // resolve(): a followed directory symlink is a usable parent.
        let r = root.resolve(&["IN_DIR", "F"]);
        if follow && !walk {
            let r = r.unwrap();
            assert_eq!(r.name, "f");
            assert_eq!(r.stat.map(|s| (s.dev, s.ino)), Some(target));
        } else {
            assert_eq!(r.err(), Some(NtStatus::ACCESS_DENIED));
        }
        // The link itself can still be described by lookup (lstat), never followed there.
        let (name, st) = root.lookup_stat(root.dir_fd(), "IN_DIR").unwrap().unwrap();
        assert_eq!(name, "in_dir");
        assert!(st.is_symlink());
    }
}

#[test]
fn dotdot_and_absolute_paths_are_refused_before_any_syscall() {
    let fx = Fixture::new();
    links(&fx);
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        // Each of these exists (or would) if `..` were honoured.
        for p in [
            "..",
            "../outside/marker",
            "d/..",
            "d/../d/f",
            "d/../../outside/marker",
            "d/f/..",
            "/etc/passwd",
            "/",
        ] {
            assert_eq!(
                open_ro(&root, p).err(),
                Some(NtStatus::OBJECT_NAME_INVALID),
                "{p}"
            );
            assert_eq!(
                root.open_path(Path::new(p)).err(),
                Some(NtStatus::OBJECT_NAME_INVALID),
                "{p}"
            );
        }
        for comps in [
            &[".."][..],
            &["..", "outside"],
            &["d", ".."],
            &["d", "..", "d"],
            &["d", "f", ".."],
            &["."],
            &[""],
            &["d/f"],
            &["d", "a\0b"],
        ] {
            assert_eq!(
                root.resolve(comps).err(),
                Some(NtStatus::OBJECT_NAME_INVALID),
                "{comps:?}"
            );
        }
        for name in ["..", ".", "", "a/b"] {
            assert_eq!(
                root.lookup(root.dir_fd(), name).err(),
                Some(NtStatus::OBJECT_NAME_INVALID)
            );
        }
    }
    // The check is a pure function: it needs no descriptor at all.
    assert_eq!(validate_name(".."), Err(NtStatus::OBJECT_NAME_INVALID));
}

#[test]
fn hard_links() {
    let fx = Fixture::new();
    links(&fx);
    // A hard link made beforehand by a local user cannot be told from a normal file: this is
    // outside the threat model (documented), and it does open.
    std::fs::hard_link(fx.outside().join("marker"), fx.at("hl")).unwrap();
    let root = fx.root(false, false);
    assert_eq!(fd_id(open_ro(&root, "hl").unwrap()), fx.marker_id());

    // Through the API, both ends are a root directory and a single validated name.
    let d = root.open_dir(Path::new("d")).unwrap();
    link_at(&d, "f", root.dir_fd(), "f_link").unwrap();
    assert_eq!(path_id(&fx.at("f_link")), path_id(&fx.at("d/f")));
    for (old, new) in [
        ("..", "x"),
        ("f", ".."),
        ("../../outside/marker", "x"),
        ("f", "../x"),
    ] {
        assert_eq!(
            link_at(&d, old, root.dir_fd(), new),
            Err(NtStatus::OBJECT_NAME_INVALID),
            "{old} -> {new}"
        );
    }
    // A symlink is linked as itself, never followed (no AT_SYMLINK_FOLLOW).
    link_at(root.dir_fd(), "up", root.dir_fd(), "up_link").unwrap();
    assert!(
        std::fs::symlink_metadata(fx.at("up_link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        open_ro(&root, "up_link/marker").err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn missing_parent_and_name_are_told_apart() {
    let fx = Fixture::new();
    links(&fx);
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        assert_eq!(
            open_ro(&root, "nope").err(),
            Some(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
        assert_eq!(
            open_ro(&root, "d/nope").err(),
            Some(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
        assert_eq!(
            open_ro(&root, "nope/f").err(),
            Some(NtStatus::OBJECT_PATH_NOT_FOUND)
        );
        assert_eq!(
            open_ro(&root, "d/f/x").err(),
            Some(NtStatus::OBJECT_PATH_NOT_FOUND)
        );
        assert_eq!(
            root.open_dir(Path::new("d/f")).err(),
            Some(NtStatus::OBJECT_PATH_NOT_FOUND)
        );
        // The root itself.
        assert!(open_ro(&root, "").is_ok());
        assert!(root.open_path(Path::new(".")).is_ok());
    }
}
