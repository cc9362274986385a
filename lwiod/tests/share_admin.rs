#![allow(clippy::unwrap_used)]
//! Live share management against the `lwiod` binary, with Samba's clients: an
//! administrator adds a share over srvsvc (rpcclient's `netshareadd`: NetrShareAdd level
//! 2), smbclient writes to it, `netsharesetinfo` changes its comment (NetrShareSetInfo),
//! the share survives a restart (the state directory's `shares.toml`), and
//! `netsharedel` (NetrShareDel) disconnects a client that has the share open: its next
//! request gets STATUS_NETWORK_NAME_DELETED, a new tree connect STATUS_BAD_NETWORK_NAME.
//! A non-administrator's add and delete are refused with ERROR_ACCESS_DENIED.
//!
//! rpcclient rather than `net rpc share`: Samba 4.17's `net` ignores `--port` (it always
//! dials 445 and 139), and the test server listens on a free unprivileged port. The
//! calls on the wire are the same; `net_rpc_share.rs` drives `net` itself, against a
//! lwiod on port 445 of a random loopback address.

#[path = "../../tests/common/mod.rs"]
mod common;

mod peers;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use peers::{ADMIN, Dirs, Lwiod, USER, smbclient};

/// Starts lwiod on a free unprivileged port of 127.0.0.1.
fn start(share_dir: &Path, state: &Path) -> Lwiod {
    let port = common::low_port_listener().local_addr().unwrap().port();
    peers::spawn([127, 0, 0, 1].into(), port, share_dir, state).expect("lwiod listens")
}

/// Runs rpcclient's `cmd` as `creds`: (success, output).
fn rpcclient(conf: &Path, port: u16, creds: &str, cmd: &str) -> (bool, String) {
    let out = Command::new("rpcclient")
        .arg("-s")
        .arg(conf)
        .args(["-p", &port.to_string(), "127.0.0.1", "-U", creds, "-c", cmd])
        .output()
        .expect("rpcclient (Debian package samba-common-bin / smbclient) runs");
    let text = peers::text(&out);
    (out.status.success() && !text.contains("WERR_"), text)
}

#[test]
fn administrators_add_change_and_delete_shares_live_and_kept() {
    let dirs = Dirs::new();
    let (share_dir, added, state, conf) = (&dirs.share, &dirs.added, &dirs.state, &dirs.conf);
    let dir = &dirs.root;
    let local = dir.path().join("local.txt");
    std::fs::write(&local, b"written over a share added live").unwrap();
    let add = format!("netshareadd {} added 10 \"first comment\"", added.display());

    let srv = start(share_dir, state);
    let p = srv.port;
    // Not an administrator: refused, and nothing is served or kept.
    let (ok, out) = rpcclient(conf, p, USER, &add);
    assert!(!ok && out.contains("WERR_ACCESS_DENIED"), "{out}");
    let (ok, out) = smbclient(conf, &srv, "added", USER, "ls");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");

    // An administrator adds it: enumerated, served, kept in the state directory.
    let (ok, out) = rpcclient(conf, p, ADMIN, &add);
    assert!(ok, "{out}");
    let (ok, out) = rpcclient(conf, p, ADMIN, "netshareenumall 2");
    assert!(ok && out.contains("netname: added"), "{out}");
    assert!(out.contains("first comment"), "{out}");
    let (ok, out) = rpcclient(conf, p, ADMIN, &add);
    assert!(
        !ok && out.contains("WERR_NERR_DUPLICATESHARE"),
        "a duplicate: {out}"
    );
    let put = format!("put {} f.txt", local.display());
    let (ok, out) = smbclient(conf, &srv, "added", USER, &put);
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(added.join("f.txt")).unwrap(),
        std::fs::read(&local).unwrap()
    );
    let kept = std::fs::read_to_string(state.join("shares.toml")).unwrap();
    assert!(kept.contains("name = \"added\""), "{kept}");

    // SetInfo: the new comment is what later enumerations see.
    let (ok, out) = rpcclient(conf, p, ADMIN, "netsharesetinfo added \"second comment\"");
    assert!(ok, "{out}");
    let (ok, out) = rpcclient(conf, p, ADMIN, "netsharegetinfo added 2");
    assert!(ok && out.contains("second comment"), "{out}");

    // A restart serves it again from the shares file, with its new comment.
    drop(srv);
    let srv = start(share_dir, state);
    let p = srv.port;
    let (ok, out) = rpcclient(conf, p, ADMIN, "netsharegetinfo added 2");
    assert!(
        ok && out.contains("second comment"),
        "after a restart: {out}"
    );
    let (ok, out) = smbclient(conf, &srv, "added", USER, "ls");
    assert!(ok && out.contains("f.txt"), "after a restart: {out}");

    // Delete while a client has it open: its next requests find the tree gone.
    // stdbuf: smbclient's listing reaches the pipe line by line, not at exit.
    let mut held = Command::new("stdbuf")
        .args(["-oL", "smbclient", "-s"])
        .arg(conf)
        .args(["-p", &p.to_string(), "//127.0.0.1/added", "-U", USER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = held.stdin.take().unwrap();
    writeln!(stdin, "ls").unwrap();
    let mut lines = BufReader::new(held.stdout.take().unwrap()).lines();
    let mut first = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        first.push_str(&line);
        first.push('\n');
        if line.contains("blocks of size") {
            break;
        }
    }
    assert!(first.contains("f.txt"), "the held client lists: {first}");
    let (ok, out) = rpcclient(conf, p, USER, "netsharedel added");
    assert!(!ok && out.contains("WERR_ACCESS_DENIED"), "{out}");
    let (ok, out) = rpcclient(conf, p, ADMIN, "netsharedel added");
    assert!(ok, "{out}");
    writeln!(stdin, "ls").unwrap();
    writeln!(stdin, "quit").unwrap();
    drop(stdin);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut held.stderr.take().unwrap(), &mut err).unwrap();
    let _ = held.wait();
    let after = format!("{}\n{err}", rest.join("\n"));
    assert!(after.contains("NT_STATUS_NETWORK_NAME_DELETED"), "{after}");
    let (ok, out) = smbclient(conf, &srv, "added", USER, "ls");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    let kept = std::fs::read_to_string(state.join("shares.toml")).unwrap();
    assert!(!kept.contains("added"), "{kept}");
    assert!(
        added.join("f.txt").exists(),
        "deleting a share keeps its files"
    );
    // The configured share is untouched.
    let (ok, out) = smbclient(conf, &srv, "share", USER, "ls");
    assert!(ok, "{out}");
}
