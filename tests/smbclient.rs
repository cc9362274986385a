#![allow(clippy::unwrap_used)]
//! Interoperability with Samba's `smbclient` (Debian package `smbclient`): the lwio-srv
//! engine and file handlers, served in-process on a free loopback port, driven through
//! every SMB2/3 dialect, with signing required, with a 100 MiB transfer, and with a wrong
//! password.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Running, start};

/// Runs smbclient; returns (success, stdout + stderr).
fn smbclient(port: u16, cwd: &Path, user: &str, extra: &[&str], cmds: &str) -> (bool, String) {
    let out = Command::new("smbclient")
        .current_dir(cwd)
        .arg("//127.0.0.1/share")
        .args(["-p", &port.to_string(), "-U", user])
        .args(extra)
        .args(["-c", cmds])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run smbclient ({e}): install the Debian package `smbclient`")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn file_steps(srv: &Running, extra: &[&str], tag: &str) {
    let local = tempfile::tempdir().unwrap();
    let data = pattern(300_000, tag.len() as u64 * 7919);
    std::fs::write(local.path().join("up.bin"), &data).unwrap();
    let root = srv.dir.path();
    let (ok, out) = smbclient(srv.port, local.path(), "user%pass", extra, "ls");
    assert!(ok, "{tag}: ls failed:\n{out}");
    assert!(out.contains("blocks of size"), "{tag}: ls output:\n{out}");

    let cmds = format!(
        "put up.bin {tag}.bin; get {tag}.bin down.bin; mkdir d_{tag}; \
         rename {tag}.bin d_{tag}\\moved.bin; ls d_{tag}\\*"
    );
    let (ok, out) = smbclient(srv.port, local.path(), "user%pass", extra, &cmds);
    assert!(ok, "{tag}: put/get/mkdir/rename failed:\n{out}");
    assert_eq!(
        std::fs::read(local.path().join("down.bin")).unwrap(),
        data,
        "{tag}: get"
    );
    assert_eq!(
        std::fs::read(root.join(format!("d_{tag}/moved.bin"))).unwrap(),
        data,
        "{tag}: put/rename on disk"
    );
    assert!(
        out.contains("moved.bin"),
        "{tag}: ls of the new directory:\n{out}"
    );

    // allinfo: every query smbclient makes must answer (alternate name, times, attributes,
    // streams).
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        extra,
        &format!("allinfo d_{tag}\\moved.bin"),
    );
    assert!(ok, "{tag}: allinfo failed:\n{out}");
    for field in [
        "altname:",
        "create_time:",
        "write_time:",
        "attributes:",
        "stream:",
    ] {
        assert!(out.contains(field), "{tag}: allinfo lacks {field}\n{out}");
    }

    let cmds = format!("del d_{tag}\\moved.bin; rmdir d_{tag}");
    let (ok, out) = smbclient(srv.port, local.path(), "user%pass", extra, &cmds);
    assert!(ok, "{tag}: del/rmdir failed:\n{out}");
    assert!(
        !root.join(format!("d_{tag}")).exists(),
        "{tag}: rmdir on disk"
    );
}

#[test]
fn every_dialect() {
    let srv = start(&[]);
    for proto in ["SMB2_02", "SMB2_10", "SMB3_00", "SMB3_11"] {
        file_steps(&srv, &["-m", proto], proto);
    }
}

#[test]
fn signing_required() {
    let srv = start(&["--signing-required"]);
    for proto in ["SMB2_10", "SMB3_11"] {
        file_steps(&srv, &["-m", proto], &format!("sign{proto}"));
    }
    // A client that asks for signing itself, on a server that does not require it.
    let srv = start(&[]);
    file_steps(
        &srv,
        &["-m", "SMB3_00", "--client-protection=sign"],
        "clientsign",
    );
}

#[test]
fn hundred_mib_round_trip() {
    let srv = start(&[]);
    let local = tempfile::tempdir().unwrap();
    let data = pattern(100 << 20, 42);
    std::fs::write(local.path().join("big.bin"), &data).unwrap();
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &["-m", "SMB3_11"],
        "put big.bin big.bin; get big.bin back.bin",
    );
    assert!(ok, "100 MiB put/get failed:\n{out}");
    assert!(
        std::fs::read(srv.dir.path().join("big.bin")).unwrap() == data,
        "put content"
    );
    assert!(
        std::fs::read(local.path().join("back.bin")).unwrap() == data,
        "get content"
    );
}

#[test]
fn wrong_password_is_a_logon_failure() {
    let srv = start(&[]);
    let local = tempfile::tempdir().unwrap();
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%wrong",
        &["-m", "SMB3_11"],
        "ls",
    );
    assert!(!ok);
    assert!(out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "nobody%pass",
        &["-m", "SMB2_10"],
        "ls",
    );
    assert!(!ok);
    assert!(out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
}

#[test]
fn share_permissions_and_read_only_shares() {
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("up.txt"), b"hello").unwrap();
    let smb3 = ["-m", "SMB3_11"];

    // Everyone may read through the share: listing and reading work, writing does not.
    let srv = start(&["--share-acl", "share=D:(A;;0x1200a9;;;WD)"]);
    std::fs::write(srv.dir.path().join("there.txt"), b"there").unwrap();
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &smb3,
        "get there.txt got.txt",
    );
    assert!(ok, "read through a read-permission share:\n{out}");
    assert_eq!(
        std::fs::read(local.path().join("got.txt")).unwrap(),
        b"there"
    );
    let (_, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &smb3,
        "put up.txt new.txt",
    );
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    assert!(!srv.dir.path().join("new.txt").exists());
    drop(srv);

    // Only administrators are listed: the tree connect itself is refused.
    let srv = start(&["--share-acl", "share=D:(A;;FA;;;BA)"]);
    let (ok, out) = smbclient(srv.port, local.path(), "user%pass", &smb3, "ls");
    assert!(!ok);
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    drop(srv);

    // A read-only share reports write protection.
    let srv = start(&["--read-only", "share"]);
    let (_, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &smb3,
        "put up.txt new.txt",
    );
    assert!(out.contains("NT_STATUS_MEDIA_WRITE_PROTECTED"), "{out}");
    let (ok, out) = smbclient(srv.port, local.path(), "user%pass", &smb3, "ls");
    assert!(ok, "{out}");
}

/// A 100 MiB put and get with `--client-protection=encrypt` (smbclient refuses to go on
/// unencrypted) at `proto`, checked byte for byte.
fn encrypted_round_trip(srv: &Running, proto: &str) {
    let local = tempfile::tempdir().unwrap();
    let data = pattern(100 << 20, 4242);
    std::fs::write(local.path().join("big.bin"), &data).unwrap();
    let name = format!("enc{proto}.bin");
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &["-m", proto, "--client-protection=encrypt"],
        &format!("put big.bin {name}; get {name} back.bin"),
    );
    assert!(ok, "{proto}: encrypted 100 MiB put/get failed:\n{out}");
    assert!(
        std::fs::read(srv.dir.path().join(&name)).unwrap() == data,
        "{proto}: put content"
    );
    assert!(
        std::fs::read(local.path().join("back.bin")).unwrap() == data,
        "{proto}: get content"
    );
}

#[test]
fn encrypted_hundred_mib_smb3_00() {
    encrypted_round_trip(&start(&[]), "SMB3_00");
}

#[test]
fn encrypted_hundred_mib_smb3_11() {
    encrypted_round_trip(&start(&[]), "SMB3_11");
}

#[test]
fn encrypted_shares_and_servers_refuse_clients_that_cannot_encrypt() {
    let local = tempfile::tempdir().unwrap();
    for extra in [&["--encrypt-share", "share"][..], &["--encrypt-data"][..]] {
        let srv = start(extra);
        // SMB 2.1 has no encryption: refused.
        let (ok, out) = smbclient(
            srv.port,
            local.path(),
            "user%pass",
            &["-m", "SMB2_10"],
            "ls",
        );
        assert!(!ok, "{extra:?}: 2.1 served:\n{out}");
        assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "{extra:?}:\n{out}");
        // An SMB 3 client is told to encrypt and does: a plain smbclient works.
        for proto in ["SMB3_00", "SMB3_11"] {
            file_steps(&srv, &["-m", proto], &format!("encreq{proto}"));
        }
    }
    // Without rejection, the 2.1 client is served in clear.
    let srv = start(&["--encrypt-share", "share", "--no-reject-unencrypted"]);
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        "user%pass",
        &["-m", "SMB2_10"],
        "ls",
    );
    assert!(ok, "{out}");
}
