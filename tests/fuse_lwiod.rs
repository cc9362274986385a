#![allow(clippy::unwrap_used)]
//! `lwio mount` against lwiod: `cp -r` and `tar` round trips of a 300-file tree, git
//! inside the mount, statuses seen as errnos, `fusermount -u` ending the command with
//! exit 0 (and SIGTERM too), the refusals that mount nothing, and a server restart under
//! the mount. Needs /dev/fuse, fusermount3 (Debian
//! `fuse3`) and git; a missing one fails.

mod common;
#[path = "common/fuse.rs"]
mod fuse;
#[path = "common/rdr.rs"]
mod rdr;

use lwio::rdr::Credentials;

fn share(server: &common::Running) -> fuse::Share {
    fuse::Share {
        port: server.port,
        name: "share".into(),
        user: "user".into(),
        password: "pass".into(),
        dir: server.dir.path().to_owned(),
    }
}

fn target(port: u16) -> rdr::Target {
    rdr::Target {
        host: "127.0.0.1".into(),
        port,
        share: "share".into(),
        creds: Credentials::new("user", "pass", ""),
    }
}

#[test]
fn copy_and_tar_round_trips() {
    let server = common::start(&[]);
    fuse::trees(&share(&server));
}

#[test]
fn git_inside_the_mount() {
    let server = common::start(&[]);
    fuse::git(&share(&server));
}

#[test]
fn statuses_as_errnos_and_attributes() {
    let server = common::start(&[]);
    fuse::errnos(&share(&server), &target(server.port));
}

/// What `lwio mount` refuses before mounting anything: a path inside a share (usage, exit
/// 2), a wrong password (STATUS_LOGON_FAILURE, exit 1), a share that does not exist.
#[test]
fn refusals_leave_nothing_mounted() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("mnt");
    std::fs::create_dir(&dir).unwrap();
    let mount = |password: &str, share: &str| {
        let creds = work.path().join("creds");
        std::fs::write(&creds, format!("username = user\npassword = {password}\n")).unwrap();
        std::fs::set_permissions(&creds, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_lwio"))
            .arg("--credentials")
            .arg(&creds)
            .arg("mount")
            .arg(format!("//127.0.0.1:{}/{share}", server.port))
            .arg(&dir)
            .output()
            .unwrap()
    };
    let out = mount("pass", "share/sub");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = mount("wrong", "share");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LOGON_FAILURE"), "{err}");
    let out = mount("pass", "nosuchshare");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BAD_NETWORK_NAME"), "{err}");
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts.contains(dir.to_str().unwrap()), "{mounts}");
}

/// SIGTERM unmounts and ends the command with exit 0, leaving no dead mount point.
#[test]
fn sigterm_unmounts() {
    let server = common::start(&[]);
    let m = fuse::FuseMount::start(&share(&server));
    std::fs::write(m.path().join("f"), "x").unwrap();
    let status = m.terminate();
    assert!(status.success(), "lwio mount exited {status}");
    assert_eq!(std::fs::read(server.dir.path().join("f")).unwrap(), b"x");
}

/// The mount survives lwiod restarting: a file held open through the mount keeps taking
/// writes and reads (the redirector reconnects and reopens it), listings and new files
/// work, and what the server holds afterwards is what was written.
#[test]
fn the_mount_survives_a_server_restart() {
    use std::io::{Read, Seek, Write};
    let server = common::start(&[]);
    let mnt = fuse::FuseMount::start(&share(&server));
    let held_path = mnt.path().join("held.txt");
    let mut held = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&held_path)
        .unwrap();
    held.write_all(b"before\n").unwrap();
    held.flush().unwrap();
    let server = server.restart();
    held.write_all(b"after\n").unwrap();
    held.flush().unwrap();
    let mut text = String::new();
    held.seek(std::io::SeekFrom::Start(0)).unwrap();
    held.read_to_string(&mut text).unwrap();
    assert_eq!(text, "before\nafter\n");
    drop(held);
    std::fs::write(mnt.path().join("new.txt"), b"new\n").unwrap();
    let mut names: Vec<String> = std::fs::read_dir(mnt.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["held.txt", "new.txt"]);
    assert_eq!(
        std::fs::read_to_string(server.dir.path().join("held.txt")).unwrap(),
        "before\nafter\n"
    );
    let status = mnt.unmount();
    assert!(status.success(), "{status}");
}
