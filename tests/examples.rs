#![allow(clippy::unwrap_used)]
//! The server examples run as the programs they are, and Samba's smbclient writes and
//! reads back through each: `share` (a directory in ten lines of the builder),
//! `appliance` (PVFS and the SMB server only, its own account store: a wrong password is
//! refused), `audit_filter` (a filter driver over PVFS: its audit names the caller's SID
//! on each create and each write's range), `memshare` (memfs served: list, put, get, a
//! directory made and removed, a file deleted).
//!
//! The examples are programs of their own: the test has cargo build each (a no-op when
//! it is up to date) and runs it.

mod common;

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running example, killed on drop.
struct Example {
    child: Child,
    port: u16,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Example {
    /// Kills it and returns what it printed on stdout.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut out = String::new();
        if let Some(mut s) = self.child.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        out
    }
}

/// The example binary `name`, built by cargo as a program (a test build of an example is
/// a test harness, not the program): `cargo build --example NAME`, a no-op when it is
/// up to date.
fn binary(name: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "--example",
            name,
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo build --example {name} failed");
    // The artifact message of the example names its executable.
    let text = String::from_utf8(out.stdout).unwrap();
    let path = text
        .lines()
        .filter(|l| l.contains("\"compiler-artifact\"") && l.contains("\"example\""))
        .find_map(|l| {
            let (_, rest) = l.split_once("\"executable\":\"")?;
            Some(PathBuf::from(rest.split_once('"')?.0))
        })
        .unwrap_or_else(|| panic!("cargo named no executable for example {name}"));
    assert!(path.exists(), "{}", path.display());
    path
}

/// Starts example `name` with `args` (`{addr}` becomes its loopback address).
fn run(name: &str, args: &[&str]) -> Example {
    let port = common::low_port_listener().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(binary(name))
        .args(args.iter().map(|a| a.replace("{addr}", &addr)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{name} did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Example { child, port }
}

/// A shared directory every account may write (the accounts are not the server's
/// Unix identity).
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// smbclient's `cmds` on `//127.0.0.1/share` as `creds`, from `cwd`: (success, output).
fn smbclient(port: u16, share: &str, creds: &str, cwd: &Path, cmds: &str) -> (bool, String) {
    let out = Command::new("smbclient")
        .current_dir(cwd)
        .arg(format!("//127.0.0.1/{share}"))
        .args(["-p", &port.to_string(), "-U", creds, "-c", cmds])
        .output()
        .unwrap_or_else(|e| panic!("cannot run smbclient ({e}): install `smbclient`"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && !text.contains("NT_STATUS_"), text)
}

/// Puts a file through `share`, lists it, gets it back under another name: the bytes
/// come back and land in `served`.
fn round_trip(port: u16, share: &str, creds: &str, served: &Path) {
    let local = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(local.path().join("in.bin"), &data).unwrap();
    let (ok, out) = smbclient(
        port,
        share,
        creds,
        local.path(),
        "put in.bin f.bin; ls; get f.bin out.bin",
    );
    assert!(ok && out.contains("f.bin"), "{out}");
    assert_eq!(std::fs::read(local.path().join("out.bin")).unwrap(), data);
    assert_eq!(std::fs::read(served.join("f.bin")).unwrap(), data);
}

#[test]
fn share_serves_a_directory() {
    let dir = shared_dir();
    let ex = run("share", &[dir.path().to_str().unwrap(), "{addr}"]);
    round_trip(ex.port, "share", "user%pass", dir.path());
}

#[test]
fn appliance_serves_its_own_accounts() {
    let dir = shared_dir();
    let ex = run(
        "appliance",
        &[dir.path().to_str().unwrap(), "{addr}", "op:0p!secret"],
    );
    round_trip(ex.port, "data", "op%0p!secret", dir.path());
    let (ok, out) = smbclient(ex.port, "data", "op%wrong", dir.path(), "ls");
    assert!(!ok && out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
    let (ok, out) = smbclient(ex.port, "IPC$", "op%0p!secret", dir.path(), "ls");
    assert!(
        !ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"),
        "the appliance has no IPC$: {out}"
    );
}

#[test]
fn audit_filter_logs_creates_with_the_caller_and_write_ranges() {
    let dir = shared_dir();
    let ex = run("audit_filter", &[dir.path().to_str().unwrap(), "{addr}"]);
    round_trip(ex.port, "audited", "user%pass", dir.path());
    let audit = ex.stop();
    let create = audit
        .lines()
        .find(|l| l.starts_with("create \\f.bin by S-1-5-21-"))
        .unwrap_or_else(|| panic!("no create of f.bin in the audit:\n{audit}"));
    assert!(create.ends_with("-1000: STATUS_SUCCESS"), "{create}");
    // smbclient writes 300,000 bytes in pieces: the ranges tile the file from 0.
    let mut ranges: Vec<(u64, u64)> = audit
        .lines()
        .filter_map(|l| l.strip_prefix("write \\f.bin "))
        .map(|r| {
            let (a, b) = r.split_once("..").unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    ranges.sort_unstable();
    assert!(!ranges.is_empty(), "no write in the audit:\n{audit}");
    let mut at = 0;
    for (start, end) in ranges {
        assert_eq!(start, at, "ranges tile the file");
        at = end;
    }
    assert_eq!(at, 300_000);
}

#[test]
fn memshare_serves_memory_to_smbclient() {
    let ex = run("memshare", &["{addr}"]);
    let local = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 253) as u8).collect();
    std::fs::write(local.path().join("in.bin"), &data).unwrap();
    let (ok, out) = smbclient(
        ex.port,
        "mem",
        "user%pass",
        local.path(),
        "ls; get hello.txt hello.txt; put in.bin f.bin; mkdir d; cd d; put in.bin g.bin; \
         get g.bin g.bin; del g.bin; cd ..; rmdir d; get f.bin out.bin; del f.bin; ls",
    );
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(local.path().join("hello.txt")).unwrap(),
        b"hello from memory\n"
    );
    assert_eq!(std::fs::read(local.path().join("out.bin")).unwrap(), data);
    assert_eq!(std::fs::read(local.path().join("g.bin")).unwrap(), data);
    // Only the seeded file is left.
    let (ok, out) = smbclient(ex.port, "mem", "user%pass", local.path(), "ls");
    assert!(ok && out.contains("hello.txt"), "{out}");
    assert!(!out.contains("f.bin") && !out.contains(" d "), "{out}");
}
