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

/// `diff -r a b` finds no difference (`what` names the case in the failure).
fn same_trees(a: &Path, b: &Path, what: &str) {
    let diff = Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "{what}: the trees differ: {}",
        String::from_utf8_lossy(&diff.stdout)
    );
}

/// `lwio shares` output that lists the disk share `share` and IPC$.
fn lists_disk_and_ipc(out: &str) {
    let listed = |name: &str, kind: &str| {
        out.lines()
            .any(|l| l.starts_with(&format!("{name} ")) && l.contains(&format!(" {kind} ")))
    };
    assert!(listed("share", "Disk"), "{out}");
    assert!(listed("IPC$", "IPC$"), "{out}");
}

#[test]
fn copy_a_tree_there_and_back() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let creds = creds_file(work.path(), "user", "pass");
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
    same_trees(&tree, &back, "copy");
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
    lists_disk_and_ipc(&out);

    let smbd = smbd::Smbd::start("");
    let creds = creds_file(work.path(), smbd::USER, smbd::PASSWORD);
    let out = ok(lwio(
        Some(&creds),
        &["shares", &format!("//127.0.0.1:{}/", smbd.port)],
    ));
    lists_disk_and_ipc(&out);
    // A share path is not a server.
    let out = lwio(
        Some(&creds),
        &["shares", &format!("//127.0.0.1:{}/share", smbd.port)],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// `lwio mv`: a rename on the server within a share (into an existing directory too),
/// local to remote and remote to local as copy and delete (a tree, times kept), and
/// across servers (lwiod to smbd: the redirector's STATUS_NOT_SAME_DEVICE, then a copy).
#[test]
fn mv_renames_or_copies_and_deletes() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let creds = creds_file(work.path(), "user", "pass");
    let remote = |p: &str| format!("//127.0.0.1:{}/share/{p}", server.port);
    let on_server = |p: &str| server.dir.path().join(p);
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let local = work.path().join("a.bin");
    std::fs::write(&local, &body).unwrap();

    // Local to remote: copied, then the local file is gone.
    let out = ok(lwio(
        Some(&creds),
        &["mv", local.to_str().unwrap(), &remote("a.bin")],
    ));
    assert!(out.contains("moved 1 files, 200000 bytes"), "{out}");
    assert!(!local.exists());
    assert!(std::fs::read(on_server("a.bin")).unwrap() == body);

    // Within the share: one rename; onto a directory: into it.
    let out = ok(lwio(
        Some(&creds),
        &["mv", &remote("a.bin"), &remote("b.bin")],
    ));
    assert!(out.starts_with("renamed "), "{out}");
    assert!(!on_server("a.bin").exists());
    ok(lwio(Some(&creds), &["mkdir", &remote("dir")]));
    let out = ok(lwio(
        Some(&creds),
        &["mv", &remote("b.bin"), &remote("dir")],
    ));
    assert!(out.starts_with("renamed "), "{out}");
    assert!(std::fs::read(on_server("dir/b.bin")).unwrap() == body);
    // A rename onto an existing file replaces it, as mv(1) does. (Files the server's
    // clients see are made through lwio: the share's files belong to its accounts.)
    let old = work.path().join("old");
    std::fs::write(&old, b"old").unwrap();
    ok(lwio(
        Some(&creds),
        &["cp", old.to_str().unwrap(), &remote("c.bin")],
    ));
    ok(lwio(
        Some(&creds),
        &["mv", &remote("dir/b.bin"), &remote("c.bin")],
    ));
    assert!(std::fs::read(on_server("c.bin")).unwrap() == body);
    ok(lwio(
        Some(&creds),
        &["mv", &remote("c.bin"), &remote("dir/b.bin")],
    ));

    // Remote to local, a tree: copied with its times, then deleted on the server.
    let sub = work.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("x.txt"), b"x\n").unwrap();
    ok(lwio(
        Some(&creds),
        &["cp", "-r", sub.to_str().unwrap(), &remote("dir")],
    ));
    let back = work.path().join("back");
    let out = ok(lwio(
        Some(&creds),
        &["mv", &remote("dir"), back.to_str().unwrap()],
    ));
    assert!(out.contains("moved 2 files"), "{out}");
    assert!(!on_server("dir").exists());
    assert!(std::fs::read(back.join("b.bin")).unwrap() == body);
    assert_eq!(std::fs::read(back.join("sub/x.txt")).unwrap(), b"x\n");

    // Across servers: lwiod to smbd, by copy and delete.
    ok(lwio(
        Some(&creds),
        &["mv", back.to_str().unwrap(), &remote("tree")],
    ));
    let smbd = smbd::Smbd::start("");
    let both = work.path().join("both");
    std::fs::write(
        &both,
        format!("username = {}\npassword = {}\n", smbd::USER, smbd::PASSWORD),
    )
    .unwrap();
    std::fs::set_permissions(&both, std::fs::Permissions::from_mode(0o600)).unwrap();
    // smbd's user exists on lwiod too: log on to both with one credentials file.
    drop(server);
    let server = common::start(&["--user", &format!("{}:{}", smbd::USER, smbd::PASSWORD)]);
    let src = format!("//127.0.0.1:{}/share/moved.bin", server.port);
    let moved = work.path().join("moved.bin");
    std::fs::write(&moved, &body).unwrap();
    ok(lwio(Some(&both), &["cp", moved.to_str().unwrap(), &src]));
    let dst = format!("//127.0.0.1:{}/share/moved.bin", smbd.port);
    let out = ok(lwio(Some(&both), &["mv", &src, &dst]));
    assert!(out.contains("moved 1 files, 200000 bytes"), "{out}");
    assert!(!server.dir.path().join("moved.bin").exists());
    assert!(std::fs::read(smbd.dir.path().join("share/moved.bin")).unwrap() == body);
}

/// `lwio cp --continue`: files the destination has whole are skipped, a partial one gets
/// only the rest appended, a larger one is copied again, a missing one copied; both ways;
/// the result is byte for byte the source.
#[test]
fn cp_continue_resumes() {
    let server = common::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let creds = creds_file(work.path(), "user", "pass");
    let share = format!("//127.0.0.1:{}/share", server.port);
    let remote = format!("{share}/tree");
    let tree = work.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    let data = |n: usize, seed: u32| -> Vec<u8> {
        (0..n as u32)
            .map(|i| (i.wrapping_mul(seed) >> 3) as u8)
            .collect()
    };
    let big = data(5_000_000, 7);
    std::fs::write(tree.join("big.bin"), &big).unwrap();
    std::fs::write(tree.join("whole.bin"), data(100_000, 11)).unwrap();
    std::fs::write(tree.join("sub/longer.bin"), data(1000, 13)).unwrap();
    std::fs::write(tree.join("sub/missing.bin"), data(3000, 17)).unwrap();
    // What an interrupted copy left: 2 MB of big.bin, whole.bin, a longer file.
    let partial = work.path().join("partial");
    std::fs::create_dir_all(partial.join("sub")).unwrap();
    std::fs::write(partial.join("big.bin"), &big[..2_000_000]).unwrap();
    std::fs::write(partial.join("whole.bin"), data(100_000, 11)).unwrap();
    std::fs::write(partial.join("sub/longer.bin"), data(5000, 13)).unwrap();
    ok(lwio(
        Some(&creds),
        &["cp", "-r", partial.to_str().unwrap(), &remote],
    ));
    let there = server.dir.path().join("tree");
    // The share exists: the tree goes into it, as `cp -r` does.
    let out = ok(lwio(
        Some(&creds),
        &["cp", "-r", "--continue", tree.to_str().unwrap(), &share],
    ));
    assert!(
        out.contains("copied 3 files, 3004000 bytes, 1 already complete"),
        "only the rest of big.bin, longer.bin again, missing.bin: {out}"
    );
    same_trees(&tree, &there, "continued copy");

    // Back, onto a partial local copy.
    let back = work.path().join("back");
    std::fs::create_dir_all(back.join("sub")).unwrap();
    std::fs::write(back.join("big.bin"), &big[..1_234_567]).unwrap();
    let out = ok(lwio(
        Some(&creds),
        &["cp", "-r", "--continue", &remote, back.to_str().unwrap()],
    ));
    // `back` exists: the tree goes into it, as cp does.
    assert!(out.contains("copied 4 files"), "{out}");
    same_trees(&tree, &back.join("tree"), "continued copy back");
    let out = ok(lwio(
        Some(&creds),
        &[
            "cp",
            "--continue",
            &format!("{remote}/big.bin"),
            back.join("big.bin").to_str().unwrap(),
        ],
    ));
    assert!(out.contains("copied 1 files, 3765433 bytes"), "{out}");
    assert!(std::fs::read(back.join("big.bin")).unwrap() == big);
}

/// A tree of 1,000 small files (in 40 directories, three levels) copied with `lwio cp -r`
/// to lwiod and to smbd and back, each compared with `diff -r`.
#[test]
fn thousand_files_there_and_back() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    for i in 0..1000 {
        let dir = tree.join(format!("d{}", i % 8)).join(format!("e{}", i % 5));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("f{i}.txt")),
            format!("{i}\n").repeat(i % 40 + 1),
        )
        .unwrap();
    }
    let lwiod = common::start(&["--user", &format!("{}:{}", smbd::USER, smbd::PASSWORD)]);
    let smbd = smbd::Smbd::start("");
    let creds = creds_file(work.path(), smbd::USER, smbd::PASSWORD);
    for (name, port) in [("lwiod", lwiod.port), ("smbd", smbd.port)] {
        let remote = format!("//127.0.0.1:{port}/share/thousand");
        let out = ok(lwio(
            Some(&creds),
            &["cp", "-r", tree.to_str().unwrap(), &remote],
        ));
        assert!(out.contains("copied 1000 files"), "{name}: {out}");
        let back = work.path().join(format!("back-{name}"));
        let out = ok(lwio(
            Some(&creds),
            &["cp", "-r", &remote, back.to_str().unwrap()],
        ));
        assert!(out.contains("copied 1000 files"), "{name}: {out}");
        same_trees(&tree, &back, name);
    }
}
