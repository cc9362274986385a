#![allow(clippy::unwrap_used)]
//! The redirector against Samba's smbd (a private instance, `scripts/lib/private-smbd.sh`):
//! the same scenarios as against lwiod. A missing smbd fails these tests.

#[path = "common/rdr.rs"]
mod rdr;
#[path = "common/smbd.rs"]
mod smbd;

use lwio::rdr::Credentials;
use lwio_smb2::Dialect;
use rdr::Target;

fn target(server: &smbd::Smbd) -> Target {
    Target {
        host: "127.0.0.1".into(),
        port: server.port,
        share: "share".into(),
        creds: Credentials::new(smbd::USER, smbd::PASSWORD, ""),
    }
}

#[test]
fn round_trip_64mib_at_every_dialect() {
    let server = smbd::Smbd::start("");
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
    let server = smbd::Smbd::start("");
    rdr::names_and_statuses(&target(&server));
}

#[test]
fn waiting_and_cancelled_locks() {
    let server = smbd::Smbd::start("");
    rdr::locks(&target(&server), Dialect::SMB_3_0_2);
    rdr::locks(&target(&server), Dialect::SMB_2_1);
    rdr::locks(&target(&server), Dialect::SMB_3_1_1);
}

/// smbd with `server smb encrypt = required` (4.17's spelling): see
/// [`rdr::required_encryption`].
#[test]
fn encrypted_sessions_at_3_0_and_3_1_1() {
    let server = smbd::Smbd::start("  server smb encrypt = required");
    rdr::required_encryption(&target(&server));
}

/// The client asks for encryption of an smbd that does not require it.
#[test]
fn encryption_asked_by_the_client() {
    let server = smbd::Smbd::start("");
    rdr::encryption_asked(&target(&server));
}

#[test]
fn sessions_are_shared_and_reaped() {
    let server = smbd::Smbd::start("");
    rdr::sessions_shared_and_reaped(&target(&server));
}

/// A change notify through the driver completes when smbclient creates a file.
#[test]
fn change_notify_sees_another_client() {
    let server = smbd::Smbd::start("");
    rdr::notify_from_another_client(&target(&server));
}
