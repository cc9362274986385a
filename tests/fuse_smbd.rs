#![allow(clippy::unwrap_used)]
//! `lwio mount` against Samba's smbd (a private instance, `scripts/lib/private-smbd.sh`):
//! the same scenarios as against lwiod. A missing smbd, fusermount3 or git fails these.

#[path = "common/fuse.rs"]
mod fuse;
#[path = "common/rdr.rs"]
mod rdr;
#[path = "common/smbd.rs"]
mod smbd;

use lwio::rdr::Credentials;

fn share(server: &smbd::Smbd) -> fuse::Share {
    fuse::Share {
        port: server.port,
        name: "share".into(),
        user: smbd::USER.into(),
        password: smbd::PASSWORD.into(),
        dir: server.share_dir(),
    }
}

fn target(port: u16) -> rdr::Target {
    rdr::Target {
        host: "127.0.0.1".into(),
        port,
        share: "share".into(),
        creds: Credentials::new(smbd::USER, smbd::PASSWORD, ""),
    }
}

#[test]
fn copy_and_tar_round_trips() {
    let server = smbd::Smbd::start("");
    fuse::trees(&share(&server));
}

#[test]
fn git_inside_the_mount() {
    let server = smbd::Smbd::start("");
    fuse::git(&share(&server));
}

#[test]
fn statuses_as_errnos_and_attributes() {
    let server = smbd::Smbd::start("");
    fuse::errnos(&share(&server), &target(server.port));
}
