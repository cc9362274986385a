//! `lwio mount` scenarios, run against any server (lwiod, smbd): each mounts the share
//! with the `lwio` binary on a temporary directory, works through the mount with ordinary
//! programs (cp, diff, tar, git) and system calls, and unmounts with `fusermount -u`,
//! checking that the command then exits 0. A missing peer program fails the test.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::io::Errno;

/// A share to mount: where, as whom, and the directory the server exports (to check
/// what arrived).
pub struct Share {
    pub port: u16,
    pub name: String,
    pub user: String,
    pub password: String,
    pub dir: PathBuf,
}

/// A running `lwio mount`, unmounted (and its process ended) on drop.
pub struct FuseMount {
    pub dir: tempfile::TempDir,
    work: tempfile::TempDir,
    child: Option<Child>,
}

/// The fusermount of the system (fuse3's, else fuse's); a missing one fails the test.
fn fusermount() -> &'static str {
    for tool in ["fusermount3", "fusermount"] {
        if Command::new(tool)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
        {
            return tool;
        }
    }
    panic!("no fusermount3 or fusermount: install the Debian package `fuse3`");
}

fn mounted(dir: &Path) -> bool {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let dir = dir.to_str().unwrap();
    mounts.lines().any(|l| l.split(' ').nth(1) == Some(dir))
}

impl FuseMount {
    pub fn start(share: &Share) -> FuseMount {
        fusermount();
        let work = tempfile::tempdir().unwrap();
        let creds = work.path().join("creds");
        std::fs::write(
            &creds,
            format!("username = {}\npassword = {}\n", share.user, share.password),
        )
        .unwrap();
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(work.path().join("mount.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_lwio"))
            .arg("--credentials")
            .arg(&creds)
            .arg("mount")
            .arg(format!("//127.0.0.1:{}/{}", share.port, share.name))
            .arg(dir.path())
            .env_remove("LWIO_USER")
            .env_remove("LWIO_PASSWORD")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut m = FuseMount {
            dir,
            work,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !mounted(m.dir.path()) {
            if let Some(status) = m.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("lwio mount exited ({status}): {}", m.log());
            }
            assert!(Instant::now() < deadline, "not mounted after 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        m
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.work.path().join("mount.log")).unwrap_or_default()
    }

    /// `fusermount -u`, then the command's exit status (it must end by itself).
    pub fn unmount(mut self) -> ExitStatus {
        let out = Command::new(fusermount())
            .arg("-u")
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "fusermount -u: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("lwio mount still running 30 s after fusermount -u");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl FuseMount {
    /// Sends SIGTERM, then the command's exit status: it unmounts and ends by itself.
    pub fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("lwio mount still running 30 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(!mounted(self.dir.path()), "SIGTERM left the mount behind");
        status
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if mounted(self.dir.path()) {
                let _ = Command::new(fusermount())
                    .arg("-uz")
                    .arg(self.dir.path())
                    .status();
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `cmd` (through `sh -c`), failing the test with its output when it fails.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn q(p: &Path) -> String {
    format!("'{}'", p.display())
}

/// A tree of `files` files in nested directories, of sizes from a few bytes to 3 MiB.
pub fn make_tree(root: &Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("d{}", i % 9)).join(format!("e{}", i % 4));
        std::fs::create_dir_all(&dir).unwrap();
        let body = if i == 7 {
            crate::rdr::pattern(3 << 20, 7)
        } else {
            format!("file {i}\n").repeat(i % 97 + 1).into_bytes()
        };
        std::fs::write(dir.join(format!("f{i}.txt")), body).unwrap();
    }
    std::fs::create_dir_all(root.join("empty")).unwrap();
}

/// `cp -r` in and out, `diff -r` both ways and against the server's directory, and a
/// `tar c | tar x` round trip each way; then unmount, exit 0.
pub fn trees(share: &Share) {
    let m = FuseMount::start(share);
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    make_tree(&tree, 300);
    let mnt = m.path();

    sh(&format!("cp -r {} {}", q(&tree), q(&mnt.join("tree"))));
    sh(&format!("diff -r {} {}", q(&tree), q(&mnt.join("tree"))));
    sh(&format!(
        "diff -r {} {}",
        q(&tree),
        q(&share.dir.join("tree"))
    ));
    let back = work.path().join("back");
    sh(&format!("cp -r {} {}", q(&mnt.join("tree")), q(&back)));
    sh(&format!("diff -r {} {}", q(&tree), q(&back)));

    std::fs::create_dir(mnt.join("tarred")).unwrap();
    sh(&format!(
        "tar c -C {} . | tar x -C {}",
        q(&tree),
        q(&mnt.join("tarred"))
    ));
    sh(&format!("diff -r {} {}", q(&tree), q(&mnt.join("tarred"))));
    let untarred = work.path().join("untarred");
    std::fs::create_dir(&untarred).unwrap();
    sh(&format!(
        "tar c -C {} . | tar x -C {}",
        q(&mnt.join("tarred")),
        q(&untarred)
    ));
    sh(&format!("diff -r {} {}", q(&tree), q(&untarred)));
    // tar kept the times through utimens.
    let there = std::fs::metadata(mnt.join("tarred/d1/e1/f1.txt")).unwrap();
    let here = std::fs::metadata(tree.join("d1/e1/f1.txt")).unwrap();
    let secs =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(
        secs(there.modified().unwrap()),
        secs(here.modified().unwrap())
    );

    sh(&format!("rm -r {}", q(&mnt.join("tree"))));
    assert!(!share.dir.join("tree").exists());
    let status = m.unmount();
    assert!(status.success(), "lwio mount exited {status}");
}

/// `git init`, `git add` and `git commit` of 200 files inside the mount, then
/// `git fsck` and a clean `git status`.
pub fn git(share: &Share) {
    let m = FuseMount::start(share);
    let repo = m.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    make_tree(&repo, 200);
    let git = |args: &str| {
        sh(&format!(
            "cd {} && git -c user.name=lwio -c user.email=lwio@example.invalid \
             -c init.defaultBranch=main {args}",
            q(&repo)
        ))
    };
    git("init -q");
    git("add .");
    git("commit -q -m 'two hundred files'");
    git("fsck --full --strict");
    assert_eq!(git("status --porcelain"), "");
    let count = git("ls-files");
    assert_eq!(count.lines().count(), 200);
    // A second commit: a change, a rename and a delete.
    std::fs::write(repo.join("d0/e0/f0.txt"), "changed\n").unwrap();
    git("mv d1/e1/f1.txt d1/e1/moved.txt");
    git("rm -q d2/e2/f2.txt");
    git("commit -q -a -m second");
    git("fsck --full --strict");
    assert_eq!(git("status --porcelain"), "");
    assert!(git("log --oneline").lines().count() == 2);
    let status = m.unmount();
    assert!(status.success(), "lwio mount exited {status}");
}

/// Another client's open of `path` (through its own redirector) that shares nothing,
/// closed on drop.
struct Holder {
    f: Option<lwio::core::FileHandle>,
    _m: crate::rdr::Mounted,
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(f) = self.f.take() {
            crate::rdr::close(f);
        }
    }
}

/// Opens `path` on `t` sharing nothing, until the box is dropped.
pub fn hold(t: &crate::rdr::Target, path: &str) -> Box<dyn std::any::Any> {
    let m = t.mount_with(lwio::rdr::RdrConfig::default());
    let f = m
        .open_with(path, |r| r.share(lwio::core::ShareAccess::empty()))
        .unwrap();
    Box::new(Holder { f: Some(f), _m: m })
}

fn errno_of<T: std::fmt::Debug>(r: std::io::Result<T>) -> Errno {
    Errno::from_raw_os_error(r.unwrap_err().raw_os_error().unwrap())
}

/// Statuses seen as errnos, and the attribute operations: chmod as the read-only
/// attribute, truncate, utimens, statfs, fsync.
pub fn errnos(share: &Share, other: &crate::rdr::Target) {
    let m = FuseMount::start(share);
    let mnt = m.path();
    std::fs::create_dir(mnt.join("dir")).unwrap();
    std::fs::write(mnt.join("dir/file"), "hello").unwrap();

    // OBJECT_NAME_NOT_FOUND, OBJECT_NAME_COLLISION, DIRECTORY_NOT_EMPTY, NOT_A_DIRECTORY,
    // FILE_IS_A_DIRECTORY.
    assert_eq!(
        errno_of(std::fs::File::open(mnt.join("missing"))),
        Errno::NOENT
    );
    assert_eq!(
        errno_of(std::fs::remove_file(mnt.join("missing"))),
        Errno::NOENT
    );
    assert_eq!(errno_of(std::fs::create_dir(mnt.join("dir"))), Errno::EXIST);
    assert_eq!(
        errno_of(
            std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(mnt.join("dir/file"))
        ),
        Errno::EXIST
    );
    assert_eq!(
        errno_of(std::fs::remove_dir(mnt.join("dir"))),
        Errno::NOTEMPTY
    );
    assert_eq!(
        errno_of(std::fs::remove_dir(mnt.join("dir/file"))),
        Errno::NOTDIR
    );
    assert_eq!(
        errno_of(std::fs::remove_file(mnt.join("dir"))),
        Errno::ISDIR
    );
    assert_eq!(
        errno_of(std::fs::rename(mnt.join("missing"), mnt.join("x"))),
        Errno::NOENT
    );
    // A name SMB would read as a stream.
    assert_eq!(errno_of(std::fs::write(mnt.join("a:b"), "x")), Errno::INVAL);

    // RENAME_NOREPLACE onto an existing name: OBJECT_NAME_COLLISION; RENAME_EXCHANGE is
    // not supported.
    std::fs::write(mnt.join("dir/kept"), "kept").unwrap();
    let noreplace = rustix::fs::renameat_with(
        rustix::fs::CWD,
        mnt.join("dir/file"),
        rustix::fs::CWD,
        mnt.join("dir/kept"),
        rustix::fs::RenameFlags::NOREPLACE,
    );
    assert_eq!(noreplace, Err(Errno::EXIST));
    let exchange = rustix::fs::renameat_with(
        rustix::fs::CWD,
        mnt.join("dir/file"),
        rustix::fs::CWD,
        mnt.join("dir/kept"),
        rustix::fs::RenameFlags::EXCHANGE,
    );
    assert_eq!(exchange, Err(Errno::INVAL));
    assert_eq!(std::fs::read(mnt.join("dir/kept")).unwrap(), b"kept");
    std::fs::remove_file(mnt.join("dir/kept")).unwrap();

    // Rename, replacing an existing file, and rename of a directory with files in it.
    std::fs::write(mnt.join("dir/other"), "other").unwrap();
    std::fs::rename(mnt.join("dir/file"), mnt.join("dir/other")).unwrap();
    assert_eq!(std::fs::read(mnt.join("dir/other")).unwrap(), b"hello");
    assert!(!mnt.join("dir/file").exists());
    std::fs::rename(mnt.join("dir"), mnt.join("moved")).unwrap();
    assert_eq!(std::fs::read(mnt.join("moved/other")).unwrap(), b"hello");
    assert_eq!(
        std::fs::read(share.dir.join("moved/other")).unwrap(),
        b"hello"
    );

    // chmod: no write bit is FILE_ATTRIBUTE_READONLY; opening it for writing is refused
    // (ACCESS_DENIED); unlink still works, as on POSIX.
    let f = mnt.join("moved/other");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert_eq!(
        errno_of(std::fs::File::options().write(true).open(&f)),
        Errno::ACCESS
    );
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&f, "writable again").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::remove_file(&f).unwrap();
    assert!(!share.dir.join("moved/other").exists());

    // truncate, utimens, fsync, statfs.
    let g = mnt.join("moved/g");
    let file = std::fs::File::create(&g).unwrap();
    file.set_len(100_000).unwrap();
    file.sync_all().unwrap();
    drop(file);
    assert_eq!(std::fs::metadata(&g).unwrap().len(), 100_000);
    assert_eq!(
        std::fs::metadata(share.dir.join("moved/g")).unwrap().len(),
        100_000
    );
    std::fs::File::options()
        .write(true)
        .open(&g)
        .unwrap()
        .set_len(10)
        .unwrap();
    assert_eq!(std::fs::read(&g).unwrap(), vec![0u8; 10]);
    let when = std::time::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    std::fs::File::options()
        .write(true)
        .open(&g)
        .unwrap()
        .set_modified(when)
        .unwrap();
    assert_eq!(std::fs::metadata(&g).unwrap().modified().unwrap(), when);
    assert_eq!(
        std::fs::metadata(share.dir.join("moved/g"))
            .unwrap()
            .modified()
            .unwrap(),
        when
    );
    let vfs = rustix::fs::statvfs(mnt).unwrap();
    assert!(
        vfs.f_blocks > 0 && vfs.f_bsize > 0,
        "statfs: {} blocks of {}",
        vfs.f_blocks,
        vfs.f_bsize
    );

    // SHARING_VIOLATION: another client holds the file with no sharing.
    std::fs::write(mnt.join("held"), "x").unwrap();
    let holder = hold(other, "held");
    assert_eq!(errno_of(std::fs::read(mnt.join("held"))), Errno::BUSY);
    drop(holder);
    assert_eq!(std::fs::read(mnt.join("held")).unwrap(), b"x");

    let status = m.unmount();
    assert!(status.success(), "lwio mount exited {status}");
}
