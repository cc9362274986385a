//! A lwio-srv server on a free loopback port for interop tests, stopped on drop.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::mpsc;

pub struct Running {
    pub port: u16,
    /// The server's endpoint (its [`lwio_srv::EngineStats`]).
    pub endpoint: lwio_srv::Endpoint,
    pub dir: tempfile::TempDir,
    extra: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn halt(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server (its connections close) and starts it again on the same port,
    /// share directory and arguments, as a daemon restart does.
    pub fn restart(self) -> Running {
        self.restart_after(std::time::Duration::ZERO)
    }

    /// As [`Running::restart`], staying down for `pause` first.
    pub fn restart_after(mut self, pause: std::time::Duration) -> Running {
        self.halt();
        std::thread::sleep(pause);
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        launch(dir, Some(self.port), &extra)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A listener on 127.0.0.1 at a free port below the ephemeral range (32768-60999), where
/// test servers belong: under load, clients are given source ports from that range.
pub fn low_port_listener() -> std::net::TcpListener {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // A start that differs between test processes, then a walk through 20000-32767.
    let seed = std::process::id().wrapping_mul(7919) ^ (NEXT.fetch_add(1, Ordering::Relaxed) * 613);
    for i in 0..12768u32 {
        let port = 20000 + (seed.wrapping_add(i * 31)) % 12768;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port as u16)) {
            l.set_nonblocking(true).unwrap();
            return l;
        }
    }
    panic!("no free port in 20000-32767");
}

/// Starts lwiod's assembly with share `share` on a temp directory and user `user:pass`,
/// plus the given extra `lwiod` arguments; accounts in memory (`--no-state-dir`) unless
/// they name a `--state-dir`, so no test touches the real default state directory.
pub fn start(extra: &[&str]) -> Running {
    start_in(tempfile::tempdir().unwrap(), extra)
}

/// As [`start`], with the share on `dir`.
pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Running {
    launch(dir, None, extra)
}

/// Starts the server on `dir`, on `port` or a free one.
fn launch(dir: tempfile::TempDir, port: Option<u16>, extra: &[&str]) -> Running {
    // Accounts do not own the share root (it is the server's): let everyone write it, as
    // a shared directory is; tests that keep accounts apart set their own permissions.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let share = format!("share={}", dir.path().display());
    let mut args = vec![
        "lwiod",
        "--listen",
        "127.0.0.1:0",
        "--share",
        &share,
        "--user",
        "user:pass",
    ];
    if !extra.contains(&"--state-dir") {
        args.push("--no-state-dir");
    }
    args.extend_from_slice(extra);
    let daemon = lwiod::assemble(lwiod::Config::from_cli(args).unwrap()).unwrap();
    serve_on(daemon, dir, port, extra)
}

/// Serves an assembled lwiod on a free loopback port until the result is dropped; `dir`
/// is kept as [`Running::dir`].
pub fn serve(daemon: lwiod::Daemon, dir: tempfile::TempDir) -> Running {
    serve_on(daemon, dir, None, &[])
}

/// Serves `daemon` on `port` or a free one; `extra` is what a restart launches it with again.
fn serve_on(
    daemon: lwiod::Daemon,
    dir: tempfile::TempDir,
    port: Option<u16>,
    extra: &[&str],
) -> Running {
    let endpoint = daemon.server().endpoint();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (port_tx, port_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let std_listener = match port {
                Some(port) => {
                    let l = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
                    l.set_nonblocking(true).unwrap();
                    l
                }
                None => low_port_listener(),
            };
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            daemon
                .serve_on(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    Running {
        endpoint,
        port: port_rx.recv().unwrap(),
        dir,
        extra: extra.iter().map(|s| s.to_string()).collect(),
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// The Python interpreter with the PyPI peers (impacket, smbprotocol) that
/// `scripts/test-all.sh` installs: `LWIO_PYTHON`, else `target/pyenv/bin/python`. A
/// missing interpreter or package is a test failure, never a skip.
pub fn python() -> std::path::PathBuf {
    // The workspace root's target/ (these helpers serve the root's and lwiod's tests).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("Cargo.lock").exists())
        .unwrap_or(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let path = std::env::var_os("LWIO_PYTHON").map_or_else(
        || root.join("target/pyenv/bin/python"),
        std::path::PathBuf::from,
    );
    let ok = std::process::Command::new(&path)
        .args(["-c", "import impacket, smbprotocol"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} lacks impacket/smbprotocol: run scripts/test-all.sh (it installs them)",
        path.display()
    );
    path
}

/// Runs a Samba client tool (smbclient, rpcclient): whether it succeeded, and its stdout
/// then stderr. A tool that is missing is a test failure, never a skip.
pub fn run(tool: &str, args: &[&str]) -> (bool, String) {
    run_in(tool, None, args)
}

/// [`run`] in the working directory `cwd` (where smbclient's `put` and `get` find and leave
/// local files).
pub fn run_in(tool: &str, cwd: Option<&std::path::Path>, args: &[&str]) -> (bool, String) {
    let mut command = std::process::Command::new(tool);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let out = command.args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}): install the Debian package `smbclient`")
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// smbclient at SMB 3.1.1 as `user` on the test server's `share`, running the commands `cmds`
/// in the local directory `cwd`: whether it succeeded, and its output.
pub fn smbclient_in(port: u16, cwd: &std::path::Path, cmds: &str) -> (bool, String) {
    let port = port.to_string();
    run_in(
        "smbclient",
        Some(cwd),
        &[
            "//127.0.0.1/share",
            "-p",
            &port,
            "-U",
            "user%pass",
            "-m",
            "SMB3_11",
            "-c",
            cmds,
        ],
    )
}
