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
//! calls on the wire are the same.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "tadmin%T0rture!admin";
const USER: &str = "user%Us3r!pass";

/// A `lwiod` process, killed on drop.
struct Lwiod {
    child: Child,
    port: u16,
}

impl Drop for Lwiod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts lwiod with the share `share` on `share_dir` and the SAM and shares file in
/// `state`.
fn start(share_dir: &Path, state: &Path) -> Lwiod {
    let port = common::low_port_listener().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_lwiod"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--share", &format!("share={}", share_dir.display())])
        .args(["--state-dir", &state.display().to_string()])
        .args([
            "--admin",
            "tadmin:T0rture!admin",
            "--user",
            "user:Us3r!pass",
        ])
        .args(["--failed-logon-delay-ms", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "lwiod did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Lwiod { child, port }
}

/// A private client configuration (the host's smb.conf stays out of the test).
fn client_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("smb.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "[global]\n  lock directory = {d}\n  cache directory = {d}\n  \
             state directory = {d}\n  private dir = {d}\n  client min protocol = SMB2\n"
        ),
    )
    .unwrap();
    conf
}

/// Runs rpcclient's `cmd` as `creds`: (success, output).
fn rpcclient(conf: &Path, port: u16, creds: &str, cmd: &str) -> (bool, String) {
    let out = Command::new("rpcclient")
        .arg("-s")
        .arg(conf)
        .args(["-p", &port.to_string(), "127.0.0.1", "-U", creds, "-c", cmd])
        .output()
        .expect("rpcclient (Debian package samba-common-bin / smbclient) runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && !text.contains("WERR_"), text)
}

/// Runs smbclient's `cmd` on `//127.0.0.1/share` as `creds`: (success, output).
fn smbclient(conf: &Path, port: u16, share: &str, creds: &str, cmd: &str) -> (bool, String) {
    let out = Command::new("smbclient")
        .arg("-s")
        .arg(conf)
        .args(["-p", &port.to_string(), &format!("//127.0.0.1/{share}")])
        .args(["-U", creds, "-c", cmd])
        .output()
        .expect("smbclient runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && !text.contains("NT_STATUS_"), text)
}

#[test]
fn administrators_add_change_and_delete_shares_live_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let share_dir = dir.path().join("share");
    let added = dir.path().join("added");
    let state = dir.path().join("state");
    for d in [&share_dir, &added] {
        std::fs::create_dir(d).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let conf = client_conf(dir.path());
    let local = dir.path().join("local.txt");
    std::fs::write(&local, b"written over a share added live").unwrap();
    let add = format!("netshareadd {} added 10 \"first comment\"", added.display());

    let srv = start(&share_dir, &state);
    let p = srv.port;
    // Not an administrator: refused, and nothing is served or kept.
    let (ok, out) = rpcclient(&conf, p, USER, &add);
    assert!(!ok && out.contains("WERR_ACCESS_DENIED"), "{out}");
    let (ok, out) = smbclient(&conf, p, "added", USER, "ls");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");

    // An administrator adds it: enumerated, served, kept in the state directory.
    let (ok, out) = rpcclient(&conf, p, ADMIN, &add);
    assert!(ok, "{out}");
    let (ok, out) = rpcclient(&conf, p, ADMIN, "netshareenumall 2");
    assert!(ok && out.contains("netname: added"), "{out}");
    assert!(out.contains("first comment"), "{out}");
    let (ok, out) = rpcclient(&conf, p, ADMIN, &add);
    assert!(
        !ok && out.contains("WERR_NERR_DUPLICATESHARE"),
        "a duplicate: {out}"
    );
    let put = format!("put {} f.txt", local.display());
    let (ok, out) = smbclient(&conf, p, "added", USER, &put);
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(added.join("f.txt")).unwrap(),
        std::fs::read(&local).unwrap()
    );
    let kept = std::fs::read_to_string(state.join("shares.toml")).unwrap();
    assert!(kept.contains("name = \"added\""), "{kept}");

    // SetInfo: the new comment is what later enumerations see.
    let (ok, out) = rpcclient(&conf, p, ADMIN, "netsharesetinfo added \"second comment\"");
    assert!(ok, "{out}");
    let (ok, out) = rpcclient(&conf, p, ADMIN, "netsharegetinfo added 2");
    assert!(ok && out.contains("second comment"), "{out}");

    // A restart serves it again from the shares file, with its new comment.
    drop(srv);
    let srv = start(&share_dir, &state);
    let p = srv.port;
    let (ok, out) = rpcclient(&conf, p, ADMIN, "netsharegetinfo added 2");
    assert!(
        ok && out.contains("second comment"),
        "after a restart: {out}"
    );
    let (ok, out) = smbclient(&conf, p, "added", USER, "ls");
    assert!(ok && out.contains("f.txt"), "after a restart: {out}");

    // Delete while a client has it open: its next requests find the tree gone.
    // stdbuf: smbclient's listing reaches the pipe line by line, not at exit.
    let mut held = Command::new("stdbuf")
        .args(["-oL", "smbclient", "-s"])
        .arg(&conf)
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
    let (ok, out) = rpcclient(&conf, p, USER, "netsharedel added");
    assert!(!ok && out.contains("WERR_ACCESS_DENIED"), "{out}");
    let (ok, out) = rpcclient(&conf, p, ADMIN, "netsharedel added");
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
    let (ok, out) = smbclient(&conf, p, "added", USER, "ls");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    let kept = std::fs::read_to_string(state.join("shares.toml")).unwrap();
    assert!(!kept.contains("added"), "{kept}");
    assert!(
        added.join("f.txt").exists(),
        "deleting a share keeps its files"
    );
    // The configured share is untouched.
    let (ok, out) = smbclient(&conf, p, "share", USER, "ls");
    assert!(ok, "{out}");
}
