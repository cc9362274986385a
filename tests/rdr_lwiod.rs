#![allow(clippy::unwrap_used)]
//! The redirector against lwiod: a 64 MiB round trip at each dialect (signed), listings
//! with a pattern, rename and delete, passed-through statuses, waiting and cancelled locks.

mod common;
#[path = "common/rdr.rs"]
mod rdr;

use lwio::rdr::Credentials;
use lwio_smb2::Dialect;
use rdr::Target;

fn target(server: &common::Running) -> Target {
    Target {
        host: "127.0.0.1".into(),
        port: server.port,
        share: "share".into(),
        creds: Credentials::new("user", "pass", ""),
    }
}

#[test]
fn round_trip_64mib_at_every_dialect() {
    let server = common::start(&[]);
    let t = target(&server);
    for d in [
        Dialect::SMB_2_0_2,
        Dialect::SMB_2_1,
        Dialect::SMB_3_0_2,
        Dialect::SMB_3_1_1,
    ] {
        rdr::round_trip(&t, d);
    }
}

#[test]
fn listing_rename_delete_and_statuses() {
    let server = common::start(&[]);
    rdr::names_and_statuses(&target(&server));
}

#[test]
fn waiting_and_cancelled_locks() {
    let server = common::start(&[]);
    rdr::locks(&target(&server));
}

#[test]
fn sessions_are_shared_and_reaped() {
    let server = common::start(&[]);
    rdr::sessions_shared_and_reaped(&target(&server));
}
