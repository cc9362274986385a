#![allow(clippy::unwrap_used)]
//! Live share management with Samba's `net rpc share` (the issue's own proof): `add`
//! (NetrShareAdd level 2 with a comment and a connection limit), `list` and `list --long`
//! (NetrShareEnum levels 0 and 1), `delete` (NetrShareDel), against the `lwiod` binary,
//! with the refusals `net` reports: a non-administrator's add and delete
//! (ERROR_ACCESS_DENIED), a duplicate (NERR_DuplicateShare), an unknown share
//! (NERR_NetNameNotFound).
//!
//! Samba's `net` ignores `--port`: it always dials 445, then 139. So lwiod listens on
//! 445 of a random loopback address 127.x.y.z (x, y and z random, so parallel tests do not
//! collide), which needs root (or CAP_NET_BIND_SERVICE) as the test machines run; `net`
//! gets the address as both its target (`-I`) and server name (`-S`: its share calls go
//! through libnetapi, which connects to the server name, `localhost` without one). A
//! missing `net` (Debian package samba-common-bin) fails the test.

mod peers;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};

use peers::{ADMIN, Dirs, Lwiod, USER, smbclient};

/// A random loopback address 127.x.y.z, none of x, y, z zero (nor z 255).
fn random_loopback() -> Ipv4Addr {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    let r = h.finish().to_le_bytes();
    Ipv4Addr::new(127, r[0] % 254 + 1, r[1] % 254 + 1, r[2] % 254 + 1)
}

/// Starts lwiod on port 445 of a free random loopback address.
fn start(share_dir: &Path, state: &Path) -> Lwiod {
    for _ in 0..8 {
        let addr = random_loopback();
        // Taken by a parallel test: pick another address.
        match TcpListener::bind((addr, 445)) {
            Ok(probe) => drop(probe),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                panic!("binding {addr}:445 needs root or CAP_NET_BIND_SERVICE: {e}")
            }
            Err(_) => continue,
        }
        // None: the address was taken between the probe and lwiod's bind.
        if let Some(srv) = peers::spawn(addr.into(), 445, share_dir, state) {
            return srv;
        }
    }
    panic!("no free loopback address for port 445 after 8 tries");
}

/// Runs `net rpc share ARGS` against `srv` as `creds`: (exit code, output). A failed
/// share call exits with the low byte of its Win32 status (5 ERROR_ACCESS_DENIED, 70 of
/// 2118 NERR_DuplicateShare, 6 of 2310 NERR_NetNameNotFound); `delete` prints nothing.
fn net(conf: &Path, srv: &Lwiod, creds: &str, args: &[&str]) -> (i32, String) {
    let addr = srv.addr.to_string();
    let out = Command::new("net")
        .arg(format!("--configfile={}", conf.display()))
        .args(["-S", &addr, "-I", &addr, "-U", creds, "rpc", "share"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("Samba's net runs (Debian package samba-common-bin)");
    let text = peers::text(&out);
    (out.status.code().unwrap_or(-1), text)
}

/// `net`'s exit code for a Win32 status.
fn code(status: u32) -> i32 {
    (status & 0xff) as i32
}

const ERROR_ACCESS_DENIED: u32 = 5;
const NERR_DUPLICATE_SHARE: u32 = 2118;
const NERR_NET_NAME_NOT_FOUND: u32 = 2310;

/// The share names `net rpc share list` prints, one a line.
fn names(listing: &str) -> Vec<&str> {
    listing.lines().map(str::trim).collect()
}

#[test]
fn net_rpc_share_adds_lists_and_deletes_live() {
    let dirs = Dirs::new();
    let (conf, added) = (&dirs.conf, &dirs.added);
    let srv = start(&dirs.share, &dirs.state);
    let spec = format!("added={}", added.display());
    let add = ["add", spec.as_str(), "-C", "added by net", "-M", "7"];

    // Before: the configured share and IPC$, for any user.
    let (rc, out) = net(conf, &srv, USER, &["list"]);
    assert_eq!(rc, 0, "{out}");
    assert!(
        names(&out).contains(&"share") && names(&out).contains(&"IPC$"),
        "{out}"
    );
    assert!(!names(&out).contains(&"added"), "{out}");

    // A non-administrator may not add.
    let (rc, out) = net(conf, &srv, USER, &add);
    assert_eq!(rc, code(ERROR_ACCESS_DENIED), "{out}");
    assert!(out.contains("Access is denied"), "{out}");

    // An administrator adds it: listed (with its comment), served at once.
    let (rc, out) = net(conf, &srv, ADMIN, &add);
    assert_eq!(rc, 0, "{out}");
    let (rc, out) = net(conf, &srv, USER, &["list"]);
    assert!(rc == 0 && names(&out).contains(&"added"), "{out}");
    let (rc, out) = net(conf, &srv, ADMIN, &["list", "--long"]);
    let line = out.lines().find(|l| l.starts_with("added "));
    assert!(
        rc == 0 && line.is_some_and(|l| l.contains("Disk") && l.contains("added by net")),
        "{out}"
    );
    let local = dirs.root.path().join("local.txt");
    std::fs::write(&local, b"through a share net added").unwrap();
    let (ok, out) = smbclient(
        conf,
        &srv,
        "added",
        USER,
        &format!("put {} f.txt", local.display()),
    );
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(added.join("f.txt")).unwrap(),
        b"through a share net added"
    );

    // A second add of the same name: NERR_DuplicateShare.
    let (rc, out) = net(conf, &srv, ADMIN, &add);
    assert_eq!(rc, code(NERR_DUPLICATE_SHARE), "{out}");
    assert!(out.contains("already been shared"), "{out}");

    // A non-administrator may not delete; the share stays.
    let (rc, out) = net(conf, &srv, USER, &["delete", "added"]);
    assert_eq!(rc, code(ERROR_ACCESS_DENIED), "{out}");
    let (_, out) = net(conf, &srv, USER, &["list"]);
    assert!(names(&out).contains(&"added"), "{out}");

    // An administrator deletes it: gone from the list and from the server.
    let (rc, out) = net(conf, &srv, ADMIN, &["delete", "added"]);
    assert_eq!(rc, 0, "{out}");
    let (rc, out) = net(conf, &srv, USER, &["list"]);
    assert!(rc == 0 && !names(&out).contains(&"added"), "{out}");
    assert!(names(&out).contains(&"share"), "{out}");
    let (ok, out) = smbclient(conf, &srv, "added", USER, "ls");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    // The files stay: deleting a share does not touch its directory.
    assert!(added.join("f.txt").exists());

    // Deleting it again: NERR_NetNameNotFound.
    let (rc, out) = net(conf, &srv, ADMIN, &["delete", "added"]);
    assert_eq!(rc, code(NERR_NET_NAME_NOT_FOUND), "{out}");
}
