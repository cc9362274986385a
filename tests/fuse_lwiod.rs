#![allow(clippy::unwrap_used)]
//! `lwio mount` against lwiod: `cp -r` and `tar` round trips of a 300-file tree, git
//! inside the mount, statuses seen as errnos, and `fusermount -u` ending the command with
//! exit 0. Needs /dev/fuse and fusermount3 (Debian `fuse3`) and git; a missing one fails.

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
