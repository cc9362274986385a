//! Tests of the POSIX layer against real directories (tempfile, on the machine's /tmp).
//!
//! The tests run as root on CI. Those that need root (`trusted.*` attributes) say so with
//! [`is_root`] and are skipped, loudly, otherwise.

mod escape;
mod fast;
mod inplace;
mod lookup;
mod ops;
mod race;
mod store;

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::{Root, SysConfig, XattrNamespace, fstat};

/// Whether the tests run as root.
fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A configuration: `walk` forces the component walk, `follow` follows inside symlinks.
fn config(walk: bool, follow: bool) -> SysConfig {
    SysConfig {
        sd_namespace: XattrNamespace::User,
        force_component_walk: walk,
        follow_symlinks_inside: follow,
        ..SysConfig::default()
    }
}

/// Every (walk, follow) pair.
const MODES: [(bool, bool); 4] = [(false, false), (false, true), (true, false), (true, true)];

/// A temporary directory holding `share/` (the root) and `outside/marker`.
struct Fixture {
    tmp: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("share")).unwrap();
        std::fs::create_dir(tmp.path().join("outside")).unwrap();
        std::fs::write(tmp.path().join("outside/marker"), b"outside").unwrap();
        Fixture { tmp }
    }

    fn share(&self) -> PathBuf {
        self.tmp.path().join("share")
    }

    fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    /// A path inside the share.
    fn at(&self, rel: &str) -> PathBuf {
        self.share().join(rel)
    }

    fn root(&self, walk: bool, follow: bool) -> Root {
        let root = Root::open(&self.share(), config(walk, follow)).unwrap();
        assert_eq!(
            root.uses_openat2(),
            !walk,
            "this kernel should have openat2"
        );
        root
    }

    /// (dev, ino) of the outside marker.
    fn marker_id(&self) -> (u64, u64) {
        path_id(&self.outside().join("marker"))
    }
}

/// (dev, ino) of an open descriptor.
fn fd_id(fd: impl AsFd) -> (u64, u64) {
    let st = fstat(fd).unwrap();
    (st.dev, st.ino)
}

/// (dev, ino) of a path, without following a final symlink.
fn path_id(p: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.dev(), m.ino())
}
