#![allow(clippy::unwrap_used)]
//! `lwio --daemon SOCKET`: the tool's commands against a running lwiod through its local
//! socket (`lwio_client::DaemonDriver` mounted at the tool's `/share`). One-shot commands
//! write and read a share's file; a script shows the daemon's share modes and byte-range
//! locks between two of the tool's handles, with the statuses and the pending lock the
//! in-process tool shows.

mod common;

use std::process::Command;

fn lwio(socket: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lwio"))
        .arg("--daemon")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_tool_runs_against_the_daemon() {
    let sockets = tempfile::tempdir().unwrap();
    let socket = sockets.path().join("lwiod.sock");
    let srv = common::start(&["--local-socket", socket.to_str().unwrap()]);

    let (ok, out) = lwio(
        &socket,
        &["write", "share/t.txt", "--data", "through the socket"],
    );
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(srv.dir.path().join("t.txt")).unwrap(),
        b"through the socket"
    );
    let (ok, out) = lwio(&socket, &["read", "share/t.txt"]);
    assert!(ok && out.contains("through the socket"), "{out}");
    let (ok, out) = lwio(&socket, &["ls", "share"]);
    assert!(ok && out.contains("t.txt"), "{out}");
    let (ok, out) = lwio(&socket, &["read", "share/nosuch.txt"]);
    assert!(!ok && out.contains("STATUS_OBJECT_NAME_NOT_FOUND"), "{out}");

    let script = sockets.path().join("s.txt");
    std::fs::write(
        &script,
        "open h1 share/t.txt --share r\n\
         ! open h2 share/t.txt STATUS_SHARING_VIOLATION\n\
         close h1\n\
         open h1 share/t.txt --share r,w\n\
         open h2 share/t.txt --share r,w\n\
         lock h1 0 10\n\
         ! lock h2 5 10 STATUS_LOCK_NOT_GRANTED\n\
         lock h2 5 10 --wait\n\
         lock h1 40 5 --wait\n\
         unlock h1 0 10\n\
         wait h2\n\
         close h1\n\
         close h2\n",
    )
    .unwrap();
    let (ok, out) = lwio(&socket, &["script", script.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("h2: lock 5+10 (exclusive) pending"), "{out}");
    // A lock that may wait but need not is answered at once: the daemon sent no interim
    // frame (protocol version 3), so the tool does not call it pending.
    assert!(out.contains("locked 40+5 (exclusive)"), "{out}");
    assert!(!out.contains("lock 40+5 (exclusive) pending"), "{out}");
    assert!(out.contains("h2: lock 5+10 (exclusive) granted"), "{out}");
}
