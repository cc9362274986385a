#![allow(clippy::unwrap_used)]
//! `lwio admin ...` against a running lwiod: `status` shows an smbclient session and the
//! file it holds open, `close-file` and `close-session` end them (smbclient sees its
//! connection dropped), `shares add|set|del` change the live share table smbclient
//! connects through, `reload` applies a configuration file's share changes without
//! dropping a connected client, `log-level` reaches the daemon's log control, and a user
//! who is not an administrator (`nobody`, through `setpriv`) is refused every command
//! with STATUS_ACCESS_DENIED.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running lwiod, what its log control was told, and its local socket.
struct Daemon {
    srv: common::Running,
    socket: PathBuf,
    levels: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn config(&self) -> PathBuf {
        self.srv.dir.path().join("lwiod.toml")
    }

    fn share(&self, name: &str) -> PathBuf {
        self.srv.dir.path().join(name)
    }

    fn port(&self) -> u16 {
        self.srv.port
    }
}

/// lwiod with the configuration file's share `data`, user `user:pass`, a local socket
/// everyone may connect to, reloading from the same command line as lwiod's `main`.
fn start() -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in ["data", "extra", "more"] {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let config = dir.path().join("lwiod.toml");
    std::fs::write(
        &config,
        format!(
            "[[share]]\nname = \"data\"\npath = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let socket = dir.path().join("lwiod.sock");
    let args: Vec<String> = [
        "lwiod",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
        "--user",
        "user:pass",
        "--no-state-dir",
        "--local-socket",
        socket.to_str().unwrap(),
        "--local-mode",
        "0666",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let daemon = lwiod::assemble(lwiod::Config::from_cli(args.clone()).unwrap()).unwrap();
    let admin = daemon.admin().unwrap();
    admin.set_reload(Box::new(move || {
        lwiod::Config::from_cli(args.clone())
            .map(|c| c.shares)
            .map_err(|e| e.to_string())
    }));
    let levels = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&levels);
    admin.set_log_control(Box::new(move |level| {
        tracing_subscriber::EnvFilter::try_new(level).map_err(|e| e.to_string())?;
        seen.lock().unwrap().push(level.to_owned());
        Ok(())
    }));
    Daemon {
        srv: common::serve(daemon, dir),
        socket,
        levels,
    }
}

fn lwio(socket: &Path, args: &[&str]) -> (bool, String) {
    let mut all = vec!["--daemon", socket.to_str().unwrap(), "admin"];
    all.extend_from_slice(args);
    common::run(env!("CARGO_BIN_EXE_lwio"), &all)
}

fn status_json(socket: &Path) -> serde_json::Value {
    let (ok, out) = lwio(socket, &["status", "--json"]);
    assert!(ok, "{out}");
    serde_json::from_str(&out).unwrap()
}

/// An smbclient on `share` fed commands on its standard input. It buffers its output
/// when that is a pipe, so the output is read once its input is closed; what it has done
/// meanwhile is seen through `lwio admin status`.
struct Smbclient {
    child: Option<Child>,
}

impl Smbclient {
    fn start(port: u16, share: &str) -> Smbclient {
        let child = Command::new("smbclient")
            .args([
                &format!("//127.0.0.1/{share}"),
                "-p",
                &port.to_string(),
                "-U",
                "user%pass",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("smbclient (Debian package smbclient) runs");
        Smbclient { child: Some(child) }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.child.as_mut().unwrap().stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
    }

    /// Closes its input and returns everything it printed.
    fn finish(mut self) -> String {
        let mut child = self.child.take().unwrap();
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Smbclient {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The status once `done` holds of it (within ten seconds).
fn status_when(socket: &Path, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = status_json(socket);
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "never reached: {s}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn opens(s: &serde_json::Value) -> usize {
    s["opens"].as_array().unwrap().len()
}

#[test]
fn status_shows_an_smbclient_session_and_its_open_file_and_close_session_ends_it() {
    let d = start();
    std::fs::write(d.share("data").join("big.bin"), vec![7u8; 1 << 20]).unwrap();
    let mut smb = Smbclient::start(d.port(), "data");
    smb.send("open big.bin");
    let s = status_when(&d.socket, |s| opens(s) == 1);

    let (ok, table) = lwio(&d.socket, &["status"]);
    assert!(ok, "{table}");
    assert!(
        table.contains("WORKGROUP\\user") && table.contains("big.bin"),
        "{table}"
    );
    let session = &s["sessions"][0];
    assert_eq!(session["user"], "WORKGROUP\\user");
    assert!(
        session["client"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(session["shares"][0], "data");
    assert_eq!(session["signing"], true);
    assert_eq!(session["dialect"], "3.1.1");
    let open = &s["opens"][0];
    assert_eq!(
        (open["path"].as_str(), open["share"].as_str()),
        (Some("big.bin"), Some("data"))
    );
    assert_eq!(open["session"], session["id"]);
    assert_ne!(
        open["granted_access"].as_u64().unwrap() & 1,
        0,
        "FILE_READ_DATA"
    );

    // close-file: the open leaves the status; the session stays.
    let (ok, out) = lwio(&d.socket, &["close-file", "999999"]);
    assert!(!ok && out.contains("STATUS_NOT_FOUND"), "{out}");
    let id = open["id"].as_u64().unwrap().to_string();
    let (ok, out) = lwio(&d.socket, &["close-file", &id]);
    assert!(ok, "{out}");
    let s = status_json(&d.socket);
    assert_eq!(opens(&s), 0, "{s}");
    assert_eq!(s["sessions"].as_array().unwrap().len(), 1);

    // close-session: smbclient sees its connection dropped.
    let sid = s["sessions"][0]["id"].as_u64().unwrap().to_string();
    let (ok, out) = lwio(&d.socket, &["close-session", "12345678"]);
    assert!(!ok && out.contains("STATUS_NOT_FOUND"), "{out}");
    let (ok, out) = lwio(&d.socket, &["close-session", &sid]);
    assert!(ok, "{out}");
    status_when(&d.socket, |s| s["sessions"].as_array().unwrap().is_empty());
    smb.send("ls");
    let said = smb.finish();
    assert!(said.contains(r"open file \big.bin"), "{said}");
    assert!(said.contains("NT_STATUS_CONNECTION_DISCONNECTED"), "{said}");
}

#[test]
fn shares_change_live_and_reload_applies_the_configuration_file() {
    let d = start();
    let port = d.port().to_string();
    let ls = |share: &str| {
        common::run(
            "smbclient",
            &[
                &format!("//127.0.0.1/{share}"),
                "-p",
                &port,
                "-U",
                "user%pass",
                "-c",
                "ls",
            ],
        )
    };
    let list = || {
        common::run(
            "smbclient",
            &["-L", "127.0.0.1", "-p", &port, "-U", "user%pass"],
        )
        .1
    };

    let extra = d.share("extra");
    std::fs::write(extra.join("x.txt"), b"x").unwrap();
    let (ok, out) = ls("extra");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    let (ok, out) = lwio(
        &d.socket,
        &[
            "shares",
            "add",
            "extra",
            extra.to_str().unwrap(),
            "--comment",
            "added",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = ls("extra");
    assert!(ok && out.contains("x.txt"), "{out}");
    let (ok, out) = lwio(
        &d.socket,
        &["shares", "add", "extra", extra.to_str().unwrap()],
    );
    assert!(!ok && out.contains("STATUS_OBJECT_NAME_COLLISION"), "{out}");
    let (ok, out) = lwio(
        &d.socket,
        &["shares", "add", "bad/name", extra.to_str().unwrap()],
    );
    assert!(!ok && out.contains("STATUS_OBJECT_NAME_INVALID"), "{out}");
    let (ok, out) = lwio(
        &d.socket,
        &["shares", "set", "extra", "--comment", "changed"],
    );
    assert!(ok, "{out}");
    assert!(list().contains("changed"));
    let (ok, out) = lwio(&d.socket, &["shares", "del", "extra"]);
    assert!(ok, "{out}");
    let (ok, out) = ls("extra");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    let (ok, out) = lwio(&d.socket, &["shares", "del", "extra"]);
    assert!(!ok && out.contains("STATUS_BAD_NETWORK_NAME"), "{out}");

    // reload: a share added to the file appears, a changed comment changes, and a client
    // connected to a kept share stays connected.
    std::fs::write(d.share("data").join("held.txt"), b"held").unwrap();
    let mut smb = Smbclient::start(d.port(), "data");
    smb.send("open held.txt");
    status_when(&d.socket, |s| opens(s) == 1);
    let more = d.share("more");
    std::fs::write(
        d.config(),
        format!(
            "[[share]]\nname = \"data\"\npath = \"{}\"\ncomment = \"reloaded\"\n\n\
             [[share]]\nname = \"more\"\npath = \"{}\"\n",
            d.share("data").display(),
            more.display()
        ),
    )
    .unwrap();
    let (ok, out) = lwio(&d.socket, &["reload"]);
    assert!(ok, "{out}");
    let (ok, out) = ls("more");
    assert!(ok, "{out}");
    assert!(list().contains("reloaded"));
    // The client on the kept share kept its session, tree and open.
    let s = status_json(&d.socket);
    assert_eq!(s["opens"][0]["path"], "held.txt", "{s}");
    smb.send("ls");
    let said = smb.finish();
    assert!(
        said.contains("held.txt") && !said.contains("NT_STATUS"),
        "{said}"
    );
    // A share taken out of the file goes.
    std::fs::write(
        d.config(),
        format!(
            "[[share]]\nname = \"more\"\npath = \"{}\"\n",
            more.display()
        ),
    )
    .unwrap();
    let (ok, out) = lwio(&d.socket, &["reload"]);
    assert!(ok, "{out}");
    let (ok, out) = ls("data");
    assert!(!ok && out.contains("NT_STATUS_BAD_NETWORK_NAME"), "{out}");
    let (ok, out) = ls("more");
    assert!(ok, "{out}");

    // log-level reaches the daemon's log control; a malformed filter is refused.
    let (ok, out) = lwio(&d.socket, &["log-level", "debug,lwio_srv=trace"]);
    assert!(ok, "{out}");
    let (ok, out) = lwio(&d.socket, &["log-level", "lwio_srv=[[["]);
    assert!(!ok && out.contains("STATUS_INVALID_PARAMETER"), "{out}");
    assert_eq!(*d.levels.lock().unwrap(), ["debug,lwio_srv=trace"]);
}

#[test]
fn a_user_who_is_not_an_administrator_is_refused_every_command() {
    let d = start();
    std::fs::write(d.share("data").join("k.txt"), b"k").unwrap();
    let tool = env!("CARGO_BIN_EXE_lwio");
    let extra = d.share("extra");
    let commands: [&[&str]; 9] = [
        &["status"],
        &["status", "--json"],
        &["close-session", "1"],
        &["close-file", "1"],
        &["shares", "add", "x", extra.to_str().unwrap()],
        &["shares", "del", "data"],
        &["shares", "set", "data", "--comment", "x"],
        &["reload"],
        &["log-level", "trace"],
    ];
    for args in commands {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(tool)
            .arg("--daemon")
            .arg(&d.socket)
            .arg("admin")
            .args(args)
            .output()
            .expect("setpriv (util-linux) runs");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && text.contains("STATUS_ACCESS_DENIED"),
            "{args:?}: {text}"
        );
    }
    // Nothing changed: root still sees the share, the log filter was never set.
    let (ok, out) = lwio(&d.socket, &["status"]);
    assert!(ok, "{out}");
    assert!(d.levels.lock().unwrap().is_empty());
    let (ok, out) = common::run(
        "smbclient",
        &[
            "//127.0.0.1/data",
            "-p",
            &d.port().to_string(),
            "-U",
            "user%pass",
            "-c",
            "ls",
        ],
    );
    assert!(ok && out.contains("k.txt"), "{out}");
}

/// Byte-range locks in `lwio admin status`: an SMB client (smbprotocol, tests/py/
/// smbprotocol_lock.py) holds one, a local-socket client holds another on the same file
/// and waits for a third; `--json` lists the SMB one under the SMB open and the local ones
/// under the local client's open (with its pid), and the table prints them all.
#[test]
fn status_lists_the_byte_range_locks_of_smb_and_local_clients() {
    use lwio_core::irp::{LockRequest, ShareAccess};
    use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, NtStatus};
    use std::io::BufRead as _;

    let d = start();
    let file = d.share("data").join("l.bin");
    std::fs::write(&file, [0u8; 64]).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/smbprotocol_lock.py");
    let mut smb = Command::new(common::python())
        .arg(script)
        .args([
            &d.port().to_string(),
            "user",
            "pass",
            "data",
            "l.bin",
            "0",
            "10",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut line = String::new();
    let mut output = std::io::BufReader::new(smb.stdout.take().unwrap());
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked", "the SMB client locked");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lock = |offset, length, exclusive, wait: bool| LockRequest {
        offset,
        length,
        key: 0,
        exclusive,
        fail_immediately: !wait,
    };
    let client = rt
        .block_on(lwio_client::DaemonClient::connect(&d.socket))
        .unwrap();
    let local = rt
        .block_on(
            client.create_file(
                "/data/l.bin",
                CreateRequest::new(
                    Arc::new(AccessToken::anonymous()),
                    AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                    CreateDisposition::OPEN,
                )
                .share(ShareAccess::READ | ShareAccess::WRITE),
            ),
        )
        .unwrap();
    rt.block_on(local.lock(lock(20, 5, false, false))).unwrap();
    // A request that waits for the SMB client's range shows as waiting.
    let waiting = local.lock(lock(2, 2, true, true));

    let s = status_when(&d.socket, |s| {
        s["local"].as_array().is_some_and(|l| {
            l.first()
                .is_some_and(|o| o["locks"].as_array().is_some_and(|k| k.len() == 2))
        })
    });
    let open = &s["opens"].as_array().unwrap()[0];
    assert_eq!(open["path"], "l.bin");
    assert_eq!(
        open["locks"],
        serde_json::json!([{"offset": 0, "length": 10, "exclusive": true, "waiting": false}])
    );
    let mine = &s["local"][0];
    assert_eq!(mine["path"], "/data/l.bin");
    assert_eq!(mine["pid"], std::process::id());
    assert_eq!(
        mine["locks"],
        serde_json::json!([
            {"offset": 20, "length": 5, "exclusive": false, "waiting": false},
            {"offset": 2, "length": 2, "exclusive": true, "waiting": true},
        ])
    );
    let (ok, table) = lwio(&d.socket, &["status"]);
    assert!(ok, "{table}");
    assert!(table.contains("Byte range locks"), "{table}");
    assert!(
        table.lines().any(
            |l| l.starts_with(&format!("local pid {}", std::process::id()))
                && l.contains("W(wait)")
        ),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("smb file ") && l.contains("data\\l.bin")),
        "{table}"
    );

    // The SMB client releases its lock: the waiting request is granted and shows so.
    let mut input = smb.stdin.take().unwrap();
    writeln!(input).unwrap();
    input.flush().unwrap();
    assert_eq!(rt.block_on(waiting), Ok(()));
    let s = status_when(&d.socket, |s| {
        s["opens"][0]["locks"]
            .as_array()
            .is_some_and(|k| k.is_empty())
    });
    assert_eq!(
        s["local"][0]["locks"],
        serde_json::json!([
            {"offset": 2, "length": 2, "exclusive": true, "waiting": false},
            {"offset": 20, "length": 5, "exclusive": false, "waiting": false},
        ])
    );
    line.clear();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "unlocked");
    drop(input);
    assert!(smb.wait().unwrap().success());
    assert_eq!(rt.block_on(local.close()), NtStatus::SUCCESS);
}
