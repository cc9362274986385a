#![allow(clippy::unwrap_used)]
//! Access-based enumeration over SMB, with Samba's clients: lwiod serves its share with
//! `--abe-share`, alice writes two files with smbclient and gives one a DACL that admits
//! her alone, the other one that lets everyone read (impacket, `tests/py/abe_dacl.py`:
//! smbcacls cannot reach another port than 445). Bob's listing (smbclient `ls`) shows the
//! readable file only, alice's shows both, and bob is still refused the hidden file by
//! name (hiding is not the protection, the descriptor is). srvsvc reports the share's
//! SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM (rpcclient) and an administrator's
//! NetrShareSetInfo level 1005 turns it off and on for later tree connects (impacket).

mod common;

use std::path::Path;

use common::{python, run, start};

const ALICE: &str = "alice%Al1ce!pw";
const BOB: &str = "bob%B0b!pw";
const ADMIN: &str = "adm:Adm1n!pw";

/// smbclient on the share as `user`, running `cmds`.
fn smbclient(port: u16, cwd: &Path, user: &str, cmds: &str) -> (bool, String) {
    let port = port.to_string();
    let cwd = cwd.display().to_string();
    run(
        "smbclient",
        &[
            "//127.0.0.1/share",
            "-p",
            &port,
            "-U",
            user,
            "-m",
            "SMB3_11",
            "-c",
            &format!("lcd {cwd}; {cmds}"),
        ],
    )
}

/// Runs `tests/py/abe_dacl.py` with `args`; its output.
fn helper(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/abe_dacl.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "abe_dacl.py {args:?} failed:\n{text}");
    text
}

/// Gives `name` (owned by `user`) the DACL `kind` (`private`: its owner alone; `public`:
/// everyone may read).
fn set_dacl(port: u16, user: &str, name: &str, kind: &str) {
    helper(&["dacl", &port.to_string(), user, name, kind]);
}

/// Sets the SHI1005 flags of the share over srvsvc as the administrator; what
/// NetrShareGetInfo 1005 then reports.
fn set_flags(port: u16, flags: u32) -> String {
    let flags = format!("{flags:#x}");
    helper(&["flags", &port.to_string(), ADMIN, "share", &flags])
}

/// The names an `ls` of the share root shows.
fn listing(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            // "  name   A   5  Mon Dec  7 ..." : the name ends where two spaces begin.
            let end = l.find("  ")?;
            let name = &l[..end];
            (!name.is_empty() && !l.starts_with("Domain=") && l.contains(" 20"))
                .then(|| name.to_string())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn each_account_lists_only_what_it_may_read() {
    let srv = start(&[
        "--user",
        "alice:Al1ce!pw",
        "--user",
        "bob:B0b!pw",
        "--admin",
        "adm:Adm1n!pw",
        "--abe-share",
        "share",
    ]);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("x"), b"data").unwrap();
    let (ok, out) = smbclient(
        srv.port,
        local.path(),
        ALICE,
        "put x private.txt; put x public.txt",
    );
    assert!(ok, "{out}");
    set_dacl(srv.port, "alice:Al1ce!pw", "private.txt", "private");
    set_dacl(srv.port, "alice:Al1ce!pw", "public.txt", "public");

    let (ok, out) = smbclient(srv.port, local.path(), BOB, "ls");
    assert!(ok, "{out}");
    let bob_sees = listing(&out);
    assert!(bob_sees.contains(&"public.txt".to_string()), "{out}");
    assert!(!bob_sees.contains(&"private.txt".to_string()), "{out}");

    let (ok, out) = smbclient(srv.port, local.path(), ALICE, "ls");
    assert!(ok, "{out}");
    let alice_sees = listing(&out);
    assert!(
        alice_sees.contains(&"public.txt".to_string())
            && alice_sees.contains(&"private.txt".to_string()),
        "{out}"
    );

    // Hidden is not all: the descriptor refuses bob the file by name too.
    let (ok, out) = smbclient(srv.port, local.path(), BOB, "get private.txt got");
    assert!(!ok && out.contains("NT_STATUS_ACCESS_DENIED"), "{out}");
    assert!(!local.path().join("got").exists());

    // srvsvc reports the flag, and an administrator turns it off (NetrShareSetInfo level
    // 1005) for the next tree connects: bob's listing shows the file again, and turned on
    // again hides it.
    let (ok, out) = run(
        "rpcclient",
        &[
            "127.0.0.1",
            "-p",
            &srv.port.to_string(),
            "-U",
            ALICE,
            "-c",
            "netsharegetinfo share 1005",
        ],
    );
    assert!(ok && out.contains("flags: 0x800"), "{out}");
    assert!(set_flags(srv.port, 0).contains("flags 0x0"));
    let (ok, out) = smbclient(srv.port, local.path(), BOB, "ls");
    assert!(
        ok && listing(&out).contains(&"private.txt".to_string()),
        "{out}"
    );
    let set = set_flags(srv.port, 0x800);
    assert!(set.contains("flags 0x800"), "{set}");
    let (ok, out) = smbclient(srv.port, local.path(), BOB, "ls");
    assert!(
        ok && !listing(&out).contains(&"private.txt".to_string()),
        "{out}"
    );
}
