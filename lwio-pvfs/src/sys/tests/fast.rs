//! The fast path of an open ([`Root::open_exact`]) keeps the jail and the lookup's answers,
//! and the descriptor cache never answers with a stale descriptor.

use std::os::unix::fs::symlink;
use std::sync::mpsc;
use std::time::Duration;

use lwio_core::security::well_known;
use lwio_core::{NtStatus, SecurityDescriptor};
use rustix::fs::{FileType, Mode};

use super::{Fixture, MODES, fd_id, path_id};
use crate::sys::Root;

/// (dev, ino) of what `open_exact` opened, checked against its own stat.
fn opened(root: &Root, rel: &str) -> Option<(u64, u64)> {
    let (fd, st) = root.open_exact(rel).unwrap()?;
    assert_eq!(fd_id(&fd), (st.dev, st.ino), "{rel}: the stat is of the fd");
    Some((st.dev, st.ino))
}

#[test]
fn exact_names_open_and_everything_else_falls_back() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.at("Dir")).unwrap();
    std::fs::write(fx.at("Dir/File.txt"), b"x").unwrap();
    std::fs::write(fx.at("abc"), b"lower").unwrap();
    std::fs::write(fx.at("ABC"), b"upper").unwrap();
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        let m = format!("walk={walk} follow={follow}");
        // Exact spellings open what they name, even with another case variant beside.
        for rel in ["Dir", "Dir/File.txt", "abc", "ABC"] {
            assert_eq!(opened(&root, rel), Some(path_id(&fx.at(rel))), "{rel} {m}");
        }
        // Another case, or nothing at all: the slow path decides.
        for rel in [
            "dir",
            "DIR/File.txt",
            "Dir/file.txt",
            "Abc",
            "missing",
            "Dir/missing",
        ] {
            assert_eq!(opened(&root, rel), None, "{rel} {m}");
        }
        // The root itself is the slow path's business.
        assert_eq!(opened(&root, ""), None);
        // Bad names are refused before any system call.
        for rel in [
            "..",
            "Dir/..",
            "../share/abc",
            "/etc/passwd",
            "Dir//File.txt",
            "Dir/",
        ] {
            assert_eq!(
                root.open_exact(rel).err(),
                Some(NtStatus::OBJECT_NAME_INVALID),
                "{rel} {m}"
            );
        }
    }
}

#[test]
fn symlinks_never_lead_out_through_the_fast_path() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.at("d")).unwrap();
    std::fs::write(fx.at("d/f"), b"inside").unwrap();
    symlink("../outside", fx.at("up")).unwrap();
    symlink(fx.outside().join("marker"), fx.at("abs")).unwrap();
    symlink("../../outside/marker", fx.at("d/up2")).unwrap();
    symlink("d/f", fx.at("in_file")).unwrap();
    symlink("d", fx.at("in_dir")).unwrap();
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        let m = format!("walk={walk} follow={follow}");
        for rel in ["up/marker", "up", "abs", "d/up2"] {
            assert_eq!(opened(&root, rel), None, "{rel} {m}");
        }
        // Inside links: followed only with openat2 and the policy allowing it.
        let inside = !walk && follow;
        let f = path_id(&fx.at("d/f"));
        for rel in ["in_file", "in_dir/f"] {
            assert_eq!(opened(&root, rel), inside.then_some(f), "{rel} {m}");
        }
    }
}

#[test]
fn a_fifo_does_not_block_the_fast_path() {
    let fx = Fixture::new();
    let fifo = fx.at("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        FileType::Fifo,
        Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    for (walk, follow) in MODES {
        let root = fx.root(walk, follow);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let r = root
                .open_exact("fifo")
                .map(|o| o.map(|(_, st)| st.file_type()));
            let _ = tx.send(r);
        });
        // Without O_NONBLOCK the open would wait for a writer forever.
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("open blocked");
        // The caller refuses it by this type.
        assert_eq!(got, Ok(Some(FileType::Fifo)), "walk={walk} follow={follow}");
    }
}

#[test]
fn o_nonblock_does_not_stay_on_a_regular_file_where_it_could_matter() {
    let fx = Fixture::new();
    std::fs::write(fx.at("f"), b"x").unwrap();
    let nonblock = |root: &Root| {
        let (fd, _) = root.open_exact("f").unwrap().unwrap();
        rustix::fs::fcntl_getfl(&fd)
            .unwrap()
            .contains(rustix::fs::OFlags::NONBLOCK)
    };
    for (walk, follow) in MODES {
        let mut root = fx.root(walk, follow);
        root.assume_nonblock_honoured();
        assert!(!nonblock(&root), "walk={walk} follow={follow}");
    }
}

/// A descriptor whose owner is `S-1-22-1-<uid>`, encoded.
fn sd_of(uid: u32) -> Vec<u8> {
    let mut sd = SecurityDescriptor::new();
    sd.owner = Some(well_known::unix_user(uid));
    sd.try_encode().unwrap()
}

#[test]
fn the_descriptor_is_always_the_stored_one() {
    let fx = Fixture::new();
    std::fs::write(fx.at("f"), b"").unwrap();
    std::fs::write(fx.at("g"), b"").unwrap();
    let root = fx.root(false, false);
    let fd = root.open_exact("f").unwrap().unwrap().0;
    let st = crate::sys::fstat(&fd).unwrap();
    // What the driver derives from the stat (a pure function of it, so cached by it).
    let derived = |n| {
        move || {
            let mut sd = SecurityDescriptor::new();
            sd.owner = Some(well_known::unix_user(n));
            sd
        }
    };
    // Nothing stored: the derived one.
    let owner = |sd: std::sync::Arc<SecurityDescriptor>| sd.owner;
    assert_eq!(
        owner(root.descriptor(&fd, &st, derived(7))),
        Some(well_known::unix_user(7))
    );
    for uid in [1, 2, 1] {
        root.write_sd(&fd, &sd_of(uid)).unwrap();
        assert_eq!(
            owner(root.descriptor(&fd, &st, derived(7))),
            Some(well_known::unix_user(uid)),
            "a changed descriptor is read again, never served stale"
        );
    }
    // The same bytes on another file decode to the same shared descriptor.
    let gfd = root.open_exact("g").unwrap().unwrap().0;
    root.write_sd(&gfd, &sd_of(1)).unwrap();
    let a = root.descriptor(&fd, &st, derived(7));
    let b = root.descriptor(&gfd, &st, derived(7));
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    // Removed: derived again.
    root.remove_sd(&fd).unwrap();
    assert_eq!(
        owner(root.descriptor(&fd, &st, derived(7))),
        Some(well_known::unix_user(7))
    );
    // A corrupt stored value counts as none.
    rustix::fs::fsetxattr(
        &fd,
        "user.lwio.sd",
        b"LS\x01\x00garbage",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    assert_eq!(
        owner(root.descriptor(&fd, &st, derived(7))),
        Some(well_known::unix_user(7))
    );
}
