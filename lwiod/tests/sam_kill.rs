#![allow(clippy::unwrap_used)]
//! The SAM survives a SIGKILL of the `lwiod` process: every account creation SAMR
//! answered is in the database afterwards, which is consistent.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use lwio_samr::SamStore;

#[test]
fn a_killed_server_leaves_every_answered_create() {
    let state = tempfile::tempdir().unwrap();
    let share = tempfile::tempdir().unwrap();
    let listener = common::low_port_listener();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = state.path().join("state");
    let mut server = Command::new(env!("CARGO_BIN_EXE_lwiod"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--share",
            &format!("share={}", share.path().display()),
            "--state-dir",
            &dir.display().to_string(),
            "--admin",
            "tadmin:T0rture!admin",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/samr_client.py");
    let mut client = Command::new(common::python())
        .args([
            script,
            &port.to_string(),
            "tadmin",
            "T0rture!admin",
            "create_many",
            "1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut answered = Vec::new();
    let lines = BufReader::new(client.stdout.take().unwrap()).lines();
    for line in lines.map_while(Result::ok) {
        let mut parts = line.split(' ');
        let (Some(name), Some(rid)) = (parts.next(), parts.next()) else {
            continue;
        };
        if name == "dialect" {
            continue;
        }
        answered.push((name.to_owned(), rid.parse::<u32>().unwrap()));
        if answered.len() == 300 {
            // SIGKILL in the middle of the creates: no shutdown, no flush.
            server.kill().unwrap();
        }
    }
    let _ = client.wait();
    let _ = server.wait();
    assert!(
        answered.len() >= 300,
        "only {} creates answered",
        answered.len()
    );

    let store = lwio_samr::SqliteStore::open(&dir.join(lwio_samr::SAM_FILE), "x").unwrap();
    store.check().unwrap();
    for (name, rid) in &answered {
        let u = store.user_by_name(name).unwrap();
        assert_eq!(
            u.map(|u| u.rid),
            Some(*rid),
            "{name} was answered but is not in the SAM"
        );
    }
}
