//! `lwio user` and `lwio group` on a SAM in a state directory, with the Unix mirror
//! writing to a throwaway passwd/group pair (`--unix-prefix`); then lwiod serving that
//! SAM: the user made locally logs on with smbclient, and a user made remotely over SAMR
//! (rpcclient) appears in the mirrored passwd file. The mirror runs the shadow tools
//! (useradd, groupadd, usermod, userdel), which need root.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn lwio(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lwio"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A copy of the system's account files under `dir/etc`, for the mirror to change.
fn throwaway_etc(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    for f in ["passwd", "group", "shadow", "gshadow"] {
        let src = Path::new("/etc").join(f);
        if src.exists() {
            std::fs::copy(&src, dir.join("etc").join(f)).unwrap();
        }
    }
}

fn passwd_line(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join("etc/passwd"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .map(str::to_owned)
}

#[test]
fn user_and_group_commands_manage_the_sam_and_the_mirror() {
    assert!(
        Command::new("useradd").arg("--help").output().is_ok(),
        "the mirror needs the shadow tools (Debian package passwd)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state").display().to_string();
    let prefix = tmp.path().join("root");
    throwaway_etc(&prefix);
    let prefix_s = prefix.display().to_string();
    let sam = [
        "--state-dir",
        state.as_str(),
        "--unix-mirror",
        "--unix-prefix",
        prefix_s.as_str(),
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let (head, tail) = extra.split_at(1);
        v.push(head[0].to_owned());
        v.extend(sam.iter().map(|s| (*s).to_owned()));
        v.extend(tail.iter().map(|s| (*s).to_owned()));
        v
    };
    let run = |extra: &[&str], stdin: Option<&str>| {
        let v = args(extra);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        lwio(&refs, stdin)
    };

    // A password only from stdin (or a prompt): without a terminal, refused.
    let (ok, out) = run(&["user", "add", "hana"], None);
    assert!(!ok && out.contains("--password-stdin"), "{out}");
    let (ok, out) = run(
        &[
            "user",
            "add",
            "hana",
            "--full-name",
            "Hana H",
            "--password-stdin",
        ],
        Some("H4na!secret\n"),
    );
    assert!(ok && out.contains("added hana (rid 1000"), "{out}");
    let line = passwd_line(&prefix, "hana").expect("hana in the mirrored passwd");
    assert!(
        line.contains(":Hana H:") && line.ends_with("/usr/sbin/nologin"),
        "{line}"
    );

    let (ok, out) = run(&["group", "add", "editors"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(&["group", "addmem", "editors", "hana"], None);
    assert!(ok, "{out}");
    let group = std::fs::read_to_string(prefix.join("etc/group")).unwrap();
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("editors:") && l.ends_with(":hana")),
        "{group}"
    );
    // A SAM group named after a system group never takes it over.
    let (ok, out) = run(&["group", "add", "staff"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(&["group", "addmem", "staff", "hana"], None);
    assert!(ok, "{out}");
    let group = std::fs::read_to_string(prefix.join("etc/group")).unwrap();
    if let Some(staff) = group.lines().find(|l| l.starts_with("staff:")) {
        assert!(!staff.contains("hana"), "{staff}");
    }
    let (ok, out) = run(&["group", "list"], None);
    assert!(
        ok && out.contains("\\editors: ") && out.contains("\\hana"),
        "{out}"
    );

    let (ok, out) = run(&["user", "disable", "hana"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(&["user", "list"], None);
    assert!(
        ok && out.contains("hana") && out.contains("disabled"),
        "{out}"
    );
    let (ok, out) = run(&["user", "enable", "hana"], None);
    assert!(ok, "{out}");
    let (ok, out) = run(
        &["user", "passwd", "hana", "--password-stdin"],
        Some("H4na!second\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = run(&["user", "show", "hana"], None);
    assert!(
        ok && out.contains("enabled:     true") && out.contains("S-1-5-32-545"),
        "{out}"
    );
    // Builtin accounts cannot be deleted.
    let (ok, out) = run(&["user", "del", "Administrator"], None);
    assert!(!ok && out.contains("SPECIAL_ACCOUNT"), "{out}");

    // lwiod over the same SAM and mirror: hana logs on; a user made over SAMR appears
    // in the mirrored passwd file.
    let srv = common::start(&[
        "--state-dir",
        &state,
        "--admin",
        "tadmin:T0rture!admin",
        "--unix-mirror",
        "--unix-prefix",
        &prefix_s,
    ]);
    let port = srv.port.to_string();
    let (ok, out) = smbclient(&port, "hana%H4na!second");
    assert!(ok, "{out}");
    let out = Command::new("rpcclient")
        .args([
            "-p",
            &port,
            "127.0.0.1",
            "-U",
            "tadmin%T0rture!admin",
            "-c",
            "createdomuser remote1",
        ])
        .output()
        .expect("rpcclient (Debian package smbclient)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        passwd_line(&prefix, "remote1").is_some(),
        "remote1 not mirrored"
    );

    drop(srv);
    let (ok, out) = run(&["user", "del", "remote1"], None);
    assert!(ok, "{out}");
    assert!(passwd_line(&prefix, "remote1").is_none());
}

fn smbclient(port: &str, user: &str) -> (bool, String) {
    let out = Command::new("smbclient")
        .args(["//127.0.0.1/share", "-p", port, "-U", user, "-c", "ls"])
        .output()
        .expect("smbclient (Debian package smbclient)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
