//! A directory is swapped for a symlink to outside while another thread opens through it.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use lwio_core::NtStatus;
use rustix::fs::{CWD, Mode, OFlags, RenameFlags};

use super::{Fixture, MODES, fd_id};

const OPENS: usize = 2_000;

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn swapping_a_directory_for_an_outside_symlink_never_leaks() {
    for (walk, follow) in MODES {
        let fx = Fixture::new();
        std::fs::create_dir(fx.at("d")).unwrap();
        std::fs::write(fx.at("d/marker"), b"inside").unwrap();
        std::fs::create_dir(fx.at("d/sub")).unwrap();
        std::fs::write(fx.at("d/sub/marker"), b"inside").unwrap();
        // `evil` points outside, where `marker` and `sub/marker` exist too.
        std::fs::create_dir(fx.outside().join("sub")).unwrap();
        std::fs::write(fx.outside().join("sub/marker"), b"outside").unwrap();
        symlink(fx.outside(), fx.at("evil")).unwrap();
        let outside_ids = [
            fx.marker_id(),
            super::path_id(&fx.outside().join("sub/marker")),
            super::path_id(&fx.outside().join("sub")),
            super::path_id(&fx.outside()),
        ];
        let root = fx.root(walk, follow);
        let share = fx.share();
        let stop = AtomicBool::new(false);
        let (mut ok, mut denied, mut other) = (0usize, 0usize, 0usize);
        std::thread::scope(|s| {
            s.spawn(|| {
                let (d, evil, tmp) = (share.join("d"), share.join("evil"), share.join("d.tmp"));
                while !stop.load(Ordering::Relaxed) {
                    // Atomic swaps: `d` becomes the symlink, `evil` the directory, and back.
                    for _ in 0..2 {
                        rustix::fs::renameat_with(CWD, &d, CWD, &evil, RenameFlags::EXCHANGE)
                            .unwrap();
                        std::thread::yield_now();
                    }
                    // Non-atomic: move the directory away, put a symlink in its place.
                    std::fs::rename(&d, &tmp).unwrap();
                    symlink(fx.outside(), &d).unwrap();
                    std::thread::yield_now();
                    std::fs::remove_file(&d).unwrap();
                    std::fs::rename(&tmp, &d).unwrap();
                }
            });
            // Stops the swapper even when an assertion below fails.
            let _stop = StopOnDrop(&stop);
            for i in 0..OPENS {
                let got = match i % 4 {
                    0 => root.open_file(Path::new("d/marker"), OFlags::RDONLY, Mode::empty()),
                    1 => root.open_path(Path::new("d/sub/marker")),
                    2 => root.open_dir(Path::new("d/sub")),
                    _ => root.resolve(&["D", "SUB", "MARKER"]).and_then(|r| {
                        if let Some(st) = r.stat {
                            assert!(!outside_ids.contains(&(st.dev, st.ino)));
                        }
                        root.open_path(&r.path())
                    }),
                };
                match got {
                    Ok(fd) => {
                        let id = fd_id(&fd);
                        assert!(
                            !outside_ids.contains(&id),
                            "escaped on open {i} walk={walk} follow={follow}"
                        );
                        ok += 1;
                    }
                    Err(NtStatus::ACCESS_DENIED) => denied += 1,
                    Err(_) => other += 1,
                }
            }
        });
        eprintln!("walk={walk} follow={follow}: {ok} opened, {denied} denied, {other} missing");
        assert_eq!(ok + denied + other, OPENS);
    }
}
