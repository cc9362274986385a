#![allow(clippy::unwrap_used)]
//! `lwio mount` against lwiod: `cp -r` and `tar` round trips of a 300-file tree, git
//! inside the mount, statuses seen as errnos, and `fusermount -u` ending the command with
//! exit 0. Needs /dev/fuse and fusermount3 (Debian `fuse3`) and git; a missing one fails.

mod common;
#[path = "common/fuse.rs"]
mod fuse;
#[path = "common/rdr.rs"]
mod rdr;

use lwio::core::{FileHandle, ShareAccess};
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

/// Another client's open of `path` that shares nothing, closed on drop.
struct Holder {
    f: Option<FileHandle>,
    _m: rdr::Mounted,
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(f) = self.f.take() {
            rdr::close(f);
        }
    }
}

fn holder(port: u16, path: &str) -> Box<dyn std::any::Any> {
    let t = rdr::Target {
        host: "127.0.0.1".into(),
        port,
        share: "share".into(),
        creds: Credentials::new("user", "pass", ""),
    };
    let m = t.mount_with(lwio::rdr::RdrConfig::default());
    let f = m
        .open_with(path, |r| r.share(ShareAccess::empty()))
        .unwrap();
    Box::new(Holder { f: Some(f), _m: m })
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
    let port = server.port;
    fuse::errnos(&share(&server), |p| holder(port, p));
}
