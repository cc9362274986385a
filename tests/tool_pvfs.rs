//! The `lwio` binary over a real directory (PVFS): one-shot commands, a script with handles
//! that checks Windows semantics, and the exit code and status name of a failure.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn lwio(root: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lwio"));
    cmd.arg("--root").arg(root).args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn one_shot_commands_over_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = lwio(dir.path(), &["write", "Notes.txt", "--data", "hello"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("Notes.txt")).unwrap(),
        b"hello"
    );
    let (code, out, _) = lwio(dir.path(), &["read", "NOTES.TXT"], None);
    assert_eq!((code, out.as_str()), (0, "hello"));
    let (code, out, _) = lwio(dir.path(), &["stat", "notes.txt"], None);
    assert_eq!(code, 0);
    assert!(out.contains("archive"), "{out}");
    let (code, out, _) = lwio(dir.path(), &["ls", "", "*.txt"], None);
    assert_eq!(code, 0);
    assert!(out.contains("Notes.txt"), "{out}");
    let (code, out, _) = lwio(dir.path(), &["getsd", "Notes.txt"], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("O:"), "{out}");
    let (code, _, err) = lwio(dir.path(), &["read", "missing.txt"], None);
    assert_eq!(code, 1);
    assert!(err.contains("STATUS_OBJECT_NAME_NOT_FOUND"), "{err}");
}

#[test]
fn script_checks_share_modes_and_locks() {
    let dir = tempfile::tempdir().unwrap();
    let script = "\
open a f.txt --access read,write --share r --disposition create
! open b f.txt --access write --disposition open STATUS_SHARING_VIOLATION
open c f.txt --access read --share r,w --disposition open
write a --data 0123456789
lock a 0 5
! lock c 2 2 STATUS_LOCK_NOT_GRANTED
! read c --offset 0 --length 4 STATUS_FILE_LOCK_CONFLICT
unlock a 0 5
read c --offset 0 --length 4
close a
close c
";
    let (code, out, err) = lwio(dir.path(), &["script", "-"], Some(script));
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("--length 4\n0123\n> close a"), "{out}");
}
