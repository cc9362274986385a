#![allow(clippy::unwrap_used)]
//! `lwio` with remote paths against lwiod: `cp -r` of a tree of 200 small files to the
//! server and back (compared with `diff -r`, times kept), `cat`, `ls`, `mkdir`, `rm -r`,
//! the credentials rules, and `--encrypt`.

mod common;
#[path = "common/smbd.rs"]
mod smbd;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn lwio(creds: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lwio"));
    cmd.arg("--memfs")
        .env_remove("LWIO_USER")
        .env_remove("LWIO_PASSWORD")
        .env_remove("LWIO_DOMAIN");
    if let Some(c) = creds {
        cmd.arg("--credentials").arg(c);
    }
    cmd.args(args).output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "lwio failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn copy_a_tree_there_and_back() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let creds = work.path().join("creds");
    std::fs::write(&creds, "username = user\npassword = pass\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tree = work.path().join("tree");
    for i in 0..200 {
        let dir = tree.join(format!("d{}", i % 7)).join(format!("e{}", i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let body = format!("file {i}\n").repeat(i % 50 + 1);
        std::fs::write(dir.join(format!("f{i}.txt")), body).unwrap();
    }
    let stamped = tree.join("d0/e0/f0.txt");
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000);
    std::fs::File::options()
        .write(true)
        .open(&stamped)
        .unwrap()
        .set_modified(when)
        .unwrap();

    let remote = format!("//127.0.0.1:{}/share/copy", server.port);
    let out = ok(lwio(
        Some(&creds),
        &["cp", "-r", tree.to_str().unwrap(), &remote],
    ));
    assert!(out.contains("copied 200 files"), "{out}");
    let cat = ok(lwio(
        Some(&creds),
        &["cat", &format!("{remote}/d3/e1/f10.txt")],
    ));
    assert_eq!(cat, "file 10\n".repeat(11));
    let ls = ok(lwio(Some(&creds), &["ls", &remote]));
    assert!(ls.contains(" d6\n"), "{ls}");

    let back = work.path().join("back");
    let out = ok(lwio(
        Some(&creds),
        &["cp", "-r", &remote, back.to_str().unwrap()],
    ));
    assert!(out.contains("copied 200 files"), "{out}");
    let diff = Command::new("diff")
        .arg("-r")
        .arg(&tree)
        .arg(&back)
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "the trees differ: {}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let mtime = std::fs::metadata(back.join("d0/e0/f0.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(mtime, when, "the last write time is kept both ways");

    // Every path command takes remote names: stat and the security descriptor too.
    let stat = ok(lwio(
        Some(&creds),
        &["stat", &format!("{remote}/d0/e0/f0.txt")],
    ));
    assert!(
        stat.contains("LastWriteTime: 2017-07-14T02:40:00Z"),
        "{stat}"
    );
    let sddl = ok(lwio(Some(&creds), &["getsd", &format!("{remote}/d0")]));
    assert!(sddl.starts_with("O:"), "{sddl}");
    ok(lwio(Some(&creds), &["mkdir", &format!("{remote}/new")]));
    let out = ok(lwio(Some(&creds), &["rm", "-r", &remote]));
    assert!(out.contains("removed"), "{out}");
    assert!(!server.dir.path().join("copy").exists());
}

#[test]
fn credentials_rules() {
    let server = common::start(&[]);
    let remote = format!("//127.0.0.1:{}/share/", server.port);
    // A remote path without credentials is a usage error.
    assert_eq!(lwio(None, &["ls", &remote]).status.code(), Some(2));
    // A credentials file others can read is refused.
    let work = tempfile::tempdir().unwrap();
    let creds = work.path().join("creds");
    std::fs::write(&creds, "username = user\npassword = pass\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = lwio(Some(&creds), &["ls", &remote]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    // A wrong password is the server's STATUS_LOGON_FAILURE.
    std::fs::write(&creds, "username = user\npassword = wrong\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = lwio(Some(&creds), &["ls", &remote]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("LOGON_FAILURE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The environment works too.
    let out = Command::new(env!("CARGO_BIN_EXE_lwio"))
        .args(["--memfs", "ls", &remote])
        .env("LWIO_USER", "user")
        .env("LWIO_PASSWORD", "pass")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A credentials file (mode 0600) in `dir`.
fn creds_file(dir: &Path, user: &str, password: &str) -> std::path::PathBuf {
    let creds = dir.join("creds");
    std::fs::write(
        &creds,
        format!("username = {user}\npassword = {password}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    creds
}

/// `lwio --encrypt`: a copy to lwiod (which does not require encryption) and back, sealed,
/// byte for byte; an smbd that does not encrypt (`server smb encrypt = off`) is refused
/// with STATUS_ACCESS_DENIED, and served without `--encrypt`.
#[test]
fn encrypt_option() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let creds = creds_file(work.path(), "user", "pass");
    let src = work.path().join("src.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&src, &data).unwrap();
    let remote = format!("//127.0.0.1:{}/share/sealed.bin", server.port);
    ok(lwio(
        Some(&creds),
        &["--encrypt", "cp", src.to_str().unwrap(), &remote],
    ));
    let back = work.path().join("back.bin");
    ok(lwio(
        Some(&creds),
        &["--encrypt", "cp", &remote, back.to_str().unwrap()],
    ));
    assert!(std::fs::read(&back).unwrap() == data, "the copy differs");

    let smbd = smbd::Smbd::start("  server smb encrypt = off");
    let creds = creds_file(work.path(), smbd::USER, smbd::PASSWORD);
    let share = format!("//127.0.0.1:{}/share/", smbd.port);
    let out = lwio(Some(&creds), &["--encrypt", "ls", &share]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ACCESS_DENIED"), "{err}");
    ok(lwio(Some(&creds), &["ls", &share]));
}

/// `lwio shares //server`: srvsvc NetrShareEnum level 1 over the redirector's
/// `/rdr/SERVER/IPC$/srvsvc`, against lwiod and smbd: each lists its disk share and IPC$.
#[test]
fn shares_over_srvsvc() {
    let work = tempfile::tempdir().unwrap();
    let server = common::start(&[]);
    let creds = creds_file(work.path(), "user", "pass");
    let out = ok(lwio(
        Some(&creds),
        &["shares", &format!("//127.0.0.1:{}", server.port)],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("share ") && l.contains(" Disk ")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("IPC$ ") && l.contains(" IPC$ ")),
        "{out}"
    );

    let smbd = smbd::Smbd::start("");
    let creds = creds_file(work.path(), smbd::USER, smbd::PASSWORD);
    let out = ok(lwio(
        Some(&creds),
        &["shares", &format!("//127.0.0.1:{}/", smbd.port)],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("share ") && l.contains(" Disk ")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("IPC$ ") && l.contains(" IPC$ ")),
        "{out}"
    );
    // A share path is not a server.
    let out = lwio(
        Some(&creds),
        &["shares", &format!("//127.0.0.1:{}/share", smbd.port)],
    );
    assert_eq!(out.status.code(), Some(2));
}
