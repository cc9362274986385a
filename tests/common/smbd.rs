//! A private Samba smbd for interop tests (`scripts/lib/private-smbd.sh`), killed by PID on
//! drop. A missing smbd fails the test.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::io::BufRead;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user the private smbd knows.
pub const USER: &str = "lwiordr";
/// Its password.
pub const PASSWORD: &str = "Rdr!pass1";

/// A running smbd.
pub struct Smbd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Smbd {
    /// Starts smbd with `extra` lines in its [global] section.
    pub fn start(extra: &str) -> Smbd {
        Smbd::start_in(tempfile::tempdir().unwrap(), extra)
    }

    /// As [`Smbd::start`], with its configuration and share in `dir`.
    pub fn start_in(dir: tempfile::TempDir, extra: &str) -> Smbd {
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/lib/private-smbd.sh");
        // smbd signals its whole process group when it stops: give it its own, or it
        // would take the test process with it.
        let mut child = Command::new("bash")
            .process_group(0)
            .arg(script)
            .arg(dir.path())
            .args([USER, PASSWORD])
            .env("SMBD_EXTRA", extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run scripts/lib/private-smbd.sh");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("private-smbd.sh failed (is smbd installed?): {line:?}")
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(dir.path().join("log/smbd.out")).unwrap_or_default();
                panic!("smbd exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "smbd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Smbd { port, dir, child }
    }

    /// The exported directory.
    pub fn share_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("share")
    }
}

impl Drop for Smbd {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failing test shows what smbd said (its log level is the default, 0..1).
            for entry in std::fs::read_dir(self.dir.path().join("log"))
                .into_iter()
                .flatten()
            {
                let Ok(entry) = entry else { continue };
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                eprintln!("--- smbd {} (last lines):", entry.path().display());
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32);
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
