#![allow(clippy::unwrap_used)]
//! The redirector against Samba's smbd (a private instance, `scripts/lib/private-smbd.sh`):
//! the same scenarios as against lwiod. A missing smbd fails these tests.

#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/rdr.rs"]
mod rdr;
#[path = "common/smbd.rs"]
mod smbd;

use proxy::Proxy;

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

/// Durable handles: an smbd that grants them (no kernel oplocks or share modes, no POSIX
/// locking) gives the redirector's files durable handles with their batch oplocks; when
/// the network cuts the connection, the next request reclaims the handle (DHnC), so a
/// byte-range lock taken before is still held (another open's lock on the range is
/// refused), and the data written before and after is there. A second open of the file
/// breaks the first one's batch oplock, and the redirector acknowledges the break.
#[test]
fn durable_handles_are_reclaimed_after_a_cut() {
    use lwio::core::irp::request::LockRequest;
    use lwio::core::{AccessMask, NtStatus, ShareAccess, block_on};
    let server = smbd::Smbd::start(
        "  kernel oplocks = no\n  kernel share modes = no\n  posix locking = no\n  durable handles = yes",
    );
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m.create("durable.bin");
    assert_eq!(block_on(f.write(0, b"before".to_vec())).unwrap(), 6);
    let range = LockRequest {
        offset: 0,
        length: 4,
        key: 0,
        exclusive: true,
        fail_immediately: true,
    };
    block_on(f.lock(range)).unwrap();
    proxy.cut();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(block_on(f.write(6, b" after".to_vec())).unwrap(), 6);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"before after");
    let other = m
        .open_with("durable.bin", |mut r| {
            r.desired_access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    assert_eq!(
        block_on(other.lock(range)),
        Err(NtStatus::LOCK_NOT_GRANTED),
        "the lock survived the reconnect: the durable handle was reclaimed"
    );
    rdr::close(other);
    rdr::close(f);
    assert_eq!(
        std::fs::read(server.dir.path().join("share/durable.bin")).unwrap(),
        b"before after"
    );
}

/// A file the redirector holds open with a batch oplock is opened by another client
/// (smbclient `get`): smbd breaks the oplock, the redirector acknowledges at once, and
/// the other client is served without waiting out the break timeout (35 s).
#[test]
fn oplock_breaks_are_acknowledged() {
    use lwio::core::{AccessMask, CreateDisposition, ShareAccess, block_on};
    let server = smbd::Smbd::start("");
    let t = target(&server);
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    // Read and write access, no DELETE: smbclient's open does not share delete.
    let f = m
        .open_with("held.txt", |mut r| {
            r.desired_access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
            r.disposition = CreateDisposition::OVERWRITE_IF;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    assert_eq!(block_on(f.write(0, b"held\n".to_vec())).unwrap(), 5);
    let out = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let got = std::process::Command::new("smbclient")
        .arg("//127.0.0.1/share")
        .args(["-p", &server.port.to_string(), "-m", "SMB3"])
        .arg("-U")
        .arg(format!("{}%{}", smbd::USER, smbd::PASSWORD))
        .arg("-c")
        .arg(format!(
            "get held.txt {}",
            out.path().join("held.txt").display()
        ))
        .output()
        .expect("cannot run smbclient: install the package `smbclient`");
    assert!(
        got.status.success(),
        "{}{}",
        String::from_utf8_lossy(&got.stdout),
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the break was not acknowledged (smbclient waited {:?})",
        started.elapsed()
    );
    assert_eq!(
        std::fs::read(out.path().join("held.txt")).unwrap(),
        b"held\n"
    );
    // The redirector's handle still works.
    assert_eq!(block_on(f.read(0, 5)).unwrap(), b"held\n");
    rdr::close(f);
}
