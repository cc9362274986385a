#![allow(clippy::unwrap_used)]
//! SMB3 encryption with peers other than Samba's smbclient (tests/smbclient.rs has those):
//! smbprotocol (PyPI) at its default dialect with an encrypted session, 100 MiB written
//! and read back byte for byte.

mod common;

use std::process::Command;

use common::{python, start};

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

#[test]
fn smbprotocol_encrypted_hundred_mib() {
    let srv = start(&[]);
    let local = tempfile::tempdir().unwrap();
    let data = pattern(100 << 20, 31337);
    let src = local.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/smbprotocol_encrypt.py"
    );
    let out = Command::new(python())
        .args([
            script,
            &srv.port.to_string(),
            "user",
            "pass",
            "share",
            src.to_str().unwrap(),
            "enc.bin",
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    // 3.1.1 with AES-128-GCM, the server's first choice that smbprotocol offers.
    assert!(
        text.contains("dialect 0x0311 cipher 2 encrypt True"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("ok"), "{text}");
    assert!(std::fs::read(srv.dir.path().join("enc.bin")).unwrap() == data);
}

/// Runs tests/py/smbprotocol_clear.py against a server started with `extra`.
fn clear_requests(extra: &[&str]) -> String {
    let srv = start(extra);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/smbprotocol_clear.py");
    let out = Command::new(python())
        .args([script, &srv.port.to_string(), "user", "pass", "share"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// MS-SMB2 3.3.5.2.11: on a tree of a share that requires encryption, a request sent in
/// clear gets STATUS_ACCESS_DENIED (0xc0000022); the same request encrypted is served.
#[test]
fn clear_requests_on_an_encrypted_share_are_denied() {
    let out = clear_requests(&["--encrypt-share", "share"]);
    assert!(out.contains("session-flag False"), "{out}");
    assert!(out.contains("tree-flag True"), "{out}");
    assert!(out.contains("clear-create 0xc0000022"), "{out}");
    assert!(out.contains("encrypted-create ok"), "{out}");
}

/// MS-SMB2 3.3.5.2.9: on a session that must encrypt (server-wide encrypt_data), the
/// first request in clear (the TREE_CONNECT) gets STATUS_ACCESS_DENIED.
#[test]
fn clear_requests_on_an_encrypted_session_are_denied() {
    let out = clear_requests(&["--encrypt-data"]);
    assert!(out.contains("session-flag True"), "{out}");
    assert!(out.contains("clear-tree 0xc0000022"), "{out}");
    assert!(out.contains("encrypted-create ok"), "{out}");
    // Without rejection (RejectUnencryptedAccess off) the clear requests are served.
    let out = clear_requests(&["--encrypt-data", "--no-reject-unencrypted"]);
    assert!(!out.contains("clear-tree"), "{out}");
    assert!(out.contains("clear-create ok"), "{out}");
}
