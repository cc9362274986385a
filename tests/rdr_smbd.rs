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

/// 1 GiB each way, byte for byte, at 2.0.2, 2.1, 3.0, 3.0.2 and 3.1.1, signed (the
/// encrypted gibibytes: `encrypted_sessions_every_cipher_at_3_x`).
#[test]
fn gib_each_way_at_every_dialect_signed() {
    let server = smbd::Smbd::start_in(rdr::memory_dir(), "");
    rdr::round_trips_at_every_dialect(&target(&server));
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
fn encrypted_sessions_every_cipher_at_3_x() {
    let server = smbd::Smbd::start_in(rdr::memory_dir(), "  server smb encrypt = required");
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

/// Durable handles v2: an smbd that grants them (no kernel oplocks or share modes, no
/// POSIX locking) gives the redirector's files at 3.1.1 durable handles v2 (DH2Q with a
/// CreateGuid) with their batch oplocks; when the network cuts the connection, the next
/// request reclaims the handle (DH2C with the same CreateGuid), so a byte-range lock taken
/// before is still held (another open's lock on the range is refused), and the data
/// written before and after is there. A second open of the file breaks the first one's
/// batch oplock, and the redirector acknowledges the break. At 2.1 the same with v1
/// (DHnQ, DHnC).
#[test]
fn durable_handles_are_reclaimed_after_a_cut() {
    let server = smbd::Smbd::start(
        "  kernel oplocks = no\n  kernel share modes = no\n  posix locking = no\n  durable handles = yes",
    );
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    let v2: [&[u8]; 2] = [b"DH2Q", b"DH2C"];
    let v1: [&[u8]; 2] = [b"DHnQ", b"DHnC"];
    for (dialect, [ask, reclaim], [other_ask, other_reclaim]) in
        [(Dialect::SMB_3_1_1, v2, v1), (Dialect::SMB_2_1, v1, v2)]
    {
        let before = |n: &[u8]| proxy.sent_count(n);
        let counts = [ask, reclaim, other_ask, other_reclaim].map(before);
        rdr::reclaim_after_a_cut(&t, dialect, "durable.bin", || proxy.cut());
        assert_eq!(
            std::fs::read(server.dir.path().join("share/durable.bin")).unwrap(),
            b"before after"
        );
        // Signed, not sealed: the create contexts' names are in clear on the wire.
        let after = [ask, reclaim, other_ask, other_reclaim].map(|n| proxy.sent_count(n));
        assert!(after[0] > counts[0], "{dialect:?} asks with {ask:?}");
        assert!(
            after[1] > counts[1],
            "{dialect:?} reclaims with {reclaim:?}"
        );
        assert_eq!(after[2..], counts[2..], "{dialect:?} uses one version only");
    }
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

/// Reads under a lease against smbd, counted on the wire by a proxy: see
/// [`rdr::reads_under_a_lease`].
#[test]
fn reads_are_cached_under_a_lease_and_breaks_drop_the_cache() {
    let server = smbd::Smbd::start("  kernel oplocks = no\n  kernel share modes = no");
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::reads_under_a_lease(&t, &|| proxy.sent_count(rdr::READ_HEADER));
}

/// Handle caching under a lease's H against smbd, CREATEs counted on the wire by a proxy:
/// see [`rdr::handles_under_a_lease`].
#[test]
fn closed_handles_are_parked_under_h_and_reused() {
    let server = smbd::Smbd::start("  kernel oplocks = no\n  kernel share modes = no");
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::handles_under_a_lease(&t, &|| proxy.sent_count(rdr::CREATE_HEADER));
}

/// Write-behind under a lease's W against smbd, WRITEs counted on the wire by a proxy:
/// see [`rdr::writes_behind_under_a_lease`]; a deferred write's failure is reported by
/// the close: [`rdr::deferred_write_failure_is_reported`]; a cut connection is
/// reconnected to send them: [`rdr::gathered_writes_survive_a_cut`].
#[test]
fn writes_are_gathered_under_w_and_flushed_before_a_break() {
    let server = smbd::Smbd::start("  kernel oplocks = no\n  kernel share modes = no");
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::writes_behind_under_a_lease(&t, &|| proxy.sent_count(rdr::WRITE_HEADER));
    rdr::deferred_write_failure_is_reported(&t, &|| proxy.cut());
    rdr::gathered_writes_survive_a_cut(&t, &|| proxy.cut());
}

/// Creates without a lease, reopens with one, reads cached: see
/// [`rdr::creates_without_a_lease_reopen_with_one`].
#[test]
fn creates_without_a_lease_reopen_with_one() {
    let server = smbd::Smbd::start("  kernel oplocks = no\n  kernel share modes = no");
    let proxy = Proxy::start(server.port);
    let t = Target {
        port: proxy.port,
        ..target(&server)
    };
    rdr::creates_without_a_lease_reopen_with_one(&t, &|| proxy.sent_count(b"RqLs"), &|| {
        proxy.sent_count(rdr::READ_HEADER)
    });
}
