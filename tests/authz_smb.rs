#![allow(clippy::unwrap_used)]
//! Accounts kept apart, over SMB: lwiod with two accounts (alice, bob) and a guest, bob
//! (and the guest) attacking alice's files with real clients, impacket's raw requests
//! (`tests/py/authz_attacks.py`: every rename and link class, delete and delete-on-close,
//! each changing set-information class and FSCTL, owner and SACL at create, a share that
//! refuses adding and a read-only share) and smbclient (delete, rename over, put over,
//! mkdir and put into her directory; the guest reads, deletes, and creates a file of its
//! own, which belongs to `nobody`). Each refusal's status is asserted, then the files
//! are checked on disk: contents, names, owners and modes untouched.
//!
//! The share root is made sticky and world-writable (`chmod 1777`, as `/tmp`): any account
//! may add to it, none may remove another's entries, and each file belongs to its creator.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::{Running, python, start};

const ACCESS_DENIED: u32 = 0xC000_0022;
const INVALID_PARAMETER: u32 = 0xC000_000D;
const OBJECT_NAME_COLLISION: u32 = 0xC000_0035;
const INVALID_OWNER: u32 = 0xC000_005A;
const PRIVILEGE_NOT_HELD: u32 = 0xC000_0061;
const MEDIA_WRITE_PROTECTED: u32 = 0xC000_00A2;

/// The accounts' Unix ids: `user` (from `start`) is the first, then alice, then bob.
const ALICE_UID: u32 = 70_001;
const BOB_UID: u32 = 70_002;
const NOBODY: u32 = 65_534;

struct Scene {
    srv: Running,
    ro: tempfile::TempDir,
    noadd: tempfile::TempDir,
}

fn scene() -> Scene {
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("fixed.txt"), b"fixed").unwrap();
    let noadd = tempfile::tempdir().unwrap();
    std::fs::set_permissions(noadd.path(), PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::write(noadd.path().join("movable.txt"), b"stays").unwrap();
    std::fs::set_permissions(
        noadd.path().join("movable.txt"),
        PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let ro_share = format!("ro={}", ro.path().display());
    let noadd_share = format!("noadd={}", noadd.path().display());
    let srv = start(&[
        "--user",
        "alice:Al1ce!pw",
        "--user",
        "bob:B0b!pw",
        "--allow-guest",
        "--map-to-guest",
        "--share",
        &ro_share,
        "--read-only",
        "ro",
        "--share",
        &noadd_share,
        // Everyone may read, delete and write attributes, but not add a file.
        "--share-acl",
        "noadd=D:(A;;0x1301a9;;;WD)",
    ]);
    std::fs::set_permissions(srv.dir.path(), PermissionsExt::from_mode(0o1777)).unwrap();
    Scene { srv, ro, noadd }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Runs the impacket script; its steps by name, with their status.
fn attacks(port: u16) -> (HashMap<String, u32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/authz_attacks.py");
    let out = Command::new(python())
        .arg(script)
        .arg(port.to_string())
        .args(["alice:Al1ce!pw", "bob:B0b!pw"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "authz_attacks.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut steps = HashMap::new();
    let mut alice_sid = String::new();
    for line in stdout.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        if name == "alice_sid" {
            alice_sid = value.to_owned();
            continue;
        }
        let status = u32::from_str_radix(value.trim_start_matches("0x"), 16).unwrap();
        steps.insert(name.to_owned(), status);
    }
    (steps, alice_sid)
}

fn smbclient(port: u16, cwd: &Path, creds: &str, share: &str, cmd: &str) -> String {
    let out = Command::new("smbclient")
        .current_dir(cwd)
        .arg(format!("//127.0.0.1/{share}"))
        .args(["-p", &port.to_string(), "-U", creds, "-c", cmd])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run smbclient ({e}): install the Debian package `smbclient`")
        });
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn one_account_cannot_replace_delete_or_take_over_anothers_files() {
    let s = scene();
    let root = s.srv.dir.path();
    let (steps, alice_sid) = attacks(s.srv.port);
    assert!(
        alice_sid.starts_with("S-1-5-21-") && alice_sid.ends_with("-1001"),
        "{alice_sid}"
    );
    let expect = [
        ("alice_shares_victim", 0),
        ("alice_guards_private", 0),
        // MS-FSA 2.1.5.15.11 / 2.1.5.15.6: the replaced file needs DELETE for the caller.
        ("rename_over_victim", ACCESS_DENIED),
        ("rename_ex_over_victim", ACCESS_DENIED),
        ("link_over_victim", ACCESS_DENIED),
        ("link_ex_over_victim", ACCESS_DENIED),
        ("rename_over_victim_no_replace", OBJECT_NAME_COLLISION),
        // MS-FSCC 2.4.42.2: RootDirectory must be zero over the network.
        ("root_directory_10", INVALID_PARAMETER),
        ("root_directory_65", INVALID_PARAMETER),
        ("root_directory_11", INVALID_PARAMETER),
        ("root_directory_72", INVALID_PARAMETER),
        // FILE_ADD_FILE on the target directory, checked by the open of it.
        ("rename_into_private", ACCESS_DENIED),
        ("link_into_private", ACCESS_DENIED),
        // MS-FSCC 2.4.42: the target open; a directory; a read-only file.
        ("rename_over_open", ACCESS_DENIED),
        ("rename_over_readonly", ACCESS_DENIED),
        ("rename_over_directory", ACCESS_DENIED),
        ("read_hers", ACCESS_DENIED),
        ("open_victim_for_delete", ACCESS_DENIED),
        // MS-SMB2 3.3.5.9: delete-on-close without DELETE in the grant.
        ("delete_on_close_max_allowed", ACCESS_DENIED),
        ("overwrite_victim", ACCESS_DENIED),
        ("open_victim_write_dac", ACCESS_DENIED),
        // The table of irp/access.rs: each changing class and FSCTL needs its right.
        ("read_handle_disposition", ACCESS_DENIED),
        ("read_handle_disposition_ex", ACCESS_DENIED),
        ("read_handle_basic", ACCESS_DENIED),
        ("read_handle_end_of_file", ACCESS_DENIED),
        ("read_handle_allocation", ACCESS_DENIED),
        ("read_handle_valid_data_length", ACCESS_DENIED),
        ("read_handle_full_ea", ACCESS_DENIED),
        ("read_handle_rename", ACCESS_DENIED),
        ("read_handle_link", ACCESS_DENIED),
        ("read_handle_set_sparse", ACCESS_DENIED),
        ("read_handle_set_zero_data", ACCESS_DENIED),
        ("read_handle_set_reparse_point", ACCESS_DENIED),
        // An owner the caller may not own; a SACL without SeSecurityPrivilege.
        ("create_owned_by_alice", INVALID_OWNER),
        ("create_owned_by_everyone", INVALID_OWNER),
        ("create_with_sacl", PRIVILEGE_NOT_HELD),
        // Share permissions apply to the target directory's open; a read-only share.
        ("noadd_rename", ACCESS_DENIED),
        ("ro_open_for_delete", MEDIA_WRITE_PROTECTED),
        ("ro_rename", ACCESS_DENIED),
        ("rename_own_file", 0),
    ];
    for (name, want) in expect {
        assert_eq!(
            steps.get(name).copied(),
            Some(want),
            "{name}: {:#x?}",
            steps.get(name)
        );
    }
    assert_eq!(steps.len(), expect.len(), "steps not asserted: {steps:?}");

    // Untouched, on disk.
    assert_eq!(
        std::fs::read(root.join("victim.txt")).unwrap(),
        b"alice's secret"
    );
    assert_eq!(
        std::fs::read(root.join("hers.txt")).unwrap(),
        b"alice's own"
    );
    assert_eq!(
        std::fs::read(root.join("evil2.txt")).unwrap(),
        b"bob's payload"
    );
    for gone in [
        "evil.txt",
        "taken.txt",
        "private/planted.txt",
        "owned.txt",
        "everyones.txt",
        "audited.txt",
    ] {
        assert!(!root.join(gone).exists(), "{gone} exists");
    }
    for kept in ["bob_open.txt", "bob_ro.txt", "bob_dir", "private"] {
        assert!(root.join(kept).exists(), "{kept} is gone");
    }
    assert_eq!(
        std::fs::read(s.noadd.path().join("movable.txt")).unwrap(),
        b"stays"
    );
    assert!(!s.noadd.path().join("moved.txt").exists());
    assert_eq!(
        std::fs::read(s.ro.path().join("fixed.txt")).unwrap(),
        b"fixed"
    );
    assert!(!s.ro.path().join("moved.txt").exists());

    // Owners and modes: each file its creator's, the mode no wider than its DACL.
    let meta = |p: &str| std::fs::metadata(root.join(p)).unwrap();
    assert_eq!(
        meta("victim.txt").mode() & 0o777,
        0o644,
        "everyone may read it"
    );
    assert_eq!(meta("hers.txt").mode() & 0o777, 0o600);
    assert_eq!(meta("private").mode() & 0o777, 0o755);
    assert_eq!(meta("evil2.txt").mode() & 0o777, 0o600);
    if is_root() {
        for p in ["victim.txt", "hers.txt", "private"] {
            assert_eq!(
                (meta(p).uid(), meta(p).gid()),
                (ALICE_UID, ALICE_UID),
                "{p}"
            );
        }
        for p in ["evil2.txt", "bob_open.txt", "bob_ro.txt", "bob_dir"] {
            assert_eq!((meta(p).uid(), meta(p).gid()), (BOB_UID, BOB_UID), "{p}");
        }
    } else {
        // The documented fallback: the server cannot chown, files stay its own.
        let me = rustix::process::geteuid().as_raw();
        assert_eq!(meta("victim.txt").uid(), me);
    }
}

#[test]
fn smbclient_cannot_delete_overwrite_or_rename_over_anothers_file() {
    let s = scene();
    let root = s.srv.dir.path();
    let port = s.srv.port;
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("payload.txt"), b"bob's payload").unwrap();
    std::fs::write(local.path().join("secret.txt"), b"alice's secret").unwrap();
    let alice = "alice%Al1ce!pw";
    let bob = "bob%B0b!pw";
    // Alice's file, which she lets everyone read (her files are otherwise hers alone).
    let out = smbclient(
        port,
        local.path(),
        alice,
        "share",
        "put secret.txt victim.txt; mkdir private",
    );
    assert!(!out.contains("NT_STATUS_"), "{out}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/authz_attacks.py");
    let grant = Command::new(python())
        .arg(script)
        .args([
            "grant-read",
            &port.to_string(),
            "alice:Al1ce!pw",
            "victim.txt",
        ])
        .output()
        .unwrap();
    assert!(
        grant.status.success(),
        "grant-read: {}",
        String::from_utf8_lossy(&grant.stderr)
    );
    // Bob: delete, overwrite, rename over, and add into her directory.
    let out = smbclient(port, local.path(), bob, "share", "del victim.txt");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "del: {out}");
    let out = smbclient(
        port,
        local.path(),
        bob,
        "share",
        "put payload.txt victim.txt",
    );
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "put: {out}");
    let out = smbclient(
        port,
        local.path(),
        bob,
        "share",
        "put payload.txt mine.txt; rename mine.txt victim.txt -f",
    );
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "rename -f: {out}");
    let out = smbclient(
        port,
        local.path(),
        bob,
        "share",
        "put payload.txt private\\planted.txt",
    );
    assert!(
        out.contains("NT_STATUS_ACCESS_DENIED"),
        "put into private: {out}"
    );
    let out = smbclient(port, local.path(), bob, "share", "mkdir private\\sub");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "mkdir: {out}");
    let out = smbclient(port, local.path(), bob, "share", "get victim.txt read.txt");
    assert!(!out.contains("NT_STATUS_"), "get: {out}");
    assert_eq!(
        std::fs::read(local.path().join("read.txt")).unwrap(),
        b"alice's secret"
    );
    assert_eq!(
        std::fs::read(root.join("victim.txt")).unwrap(),
        b"alice's secret"
    );
    assert!(root.join("mine.txt").exists() && !root.join("private/planted.txt").exists());
    assert!(!root.join("private/sub").exists());
    // The guest (an unknown account, taken as Guest) reads what everyone may read and
    // changes nothing of alice's; what it makes belongs to nobody.
    let guest = "visitor%whatever";
    let out = smbclient(
        port,
        local.path(),
        guest,
        "share",
        "get victim.txt guest_read.txt",
    );
    assert!(!out.contains("NT_STATUS_"), "guest get: {out}");
    let out = smbclient(port, local.path(), guest, "share", "del victim.txt");
    assert!(out.contains("NT_STATUS_ACCESS_DENIED"), "guest del: {out}");
    let out = smbclient(
        port,
        local.path(),
        guest,
        "share",
        "put payload.txt guest.txt",
    );
    assert!(!out.contains("NT_STATUS_"), "guest put: {out}");
    assert_eq!(
        std::fs::read(root.join("victim.txt")).unwrap(),
        b"alice's secret"
    );
    if is_root() {
        assert_eq!(
            std::fs::metadata(root.join("guest.txt")).unwrap().uid(),
            NOBODY
        );
    }
    // Alice may do all of it to her own.
    let out = smbclient(port, local.path(), alice, "share", "del victim.txt");
    assert!(!out.contains("NT_STATUS_"), "alice del: {out}");
    assert!(!root.join("victim.txt").exists());
}
