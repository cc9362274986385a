//! What the share administration tests share: a `lwiod` child process with one share and
//! two accounts (an administrator and a user), a private Samba client configuration, and
//! smbclient.
#![allow(unreachable_pub)]

use std::net::{IpAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The administrator's credentials, as Samba's tools take them.
pub const ADMIN: &str = "tadmin%T0rture!admin";
/// A plain user's credentials.
pub const USER: &str = "user%Us3r!pass";

/// A `lwiod` process, killed on drop.
pub struct Lwiod {
    child: Child,
    /// The address it listens on.
    pub addr: IpAddr,
    /// Its port.
    pub port: u16,
}

impl Drop for Lwiod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts lwiod on `addr:port` with the share `share` on `share_dir`, the SAM and shares
/// file in `state`, and the accounts [`ADMIN`] and [`USER`]. `None` when it exits before
/// it listens (the address was taken).
pub fn spawn(addr: IpAddr, port: u16, share_dir: &Path, state: &Path) -> Option<Lwiod> {
    let child = Command::new(env!("CARGO_BIN_EXE_lwiod"))
        .args([
            "--listen",
            &std::net::SocketAddr::new(addr, port).to_string(),
        ])
        .args(["--share", &format!("share={}", share_dir.display())])
        .args(["--state-dir", &state.display().to_string()])
        .args([
            "--admin",
            "tadmin:T0rture!admin",
            "--user",
            "user:Us3r!pass",
        ])
        .args(["--failed-logon-delay-ms", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut srv = Lwiod { child, addr, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect((addr, port)).is_err() {
        if srv.child.try_wait().unwrap().is_some() {
            return None;
        }
        assert!(Instant::now() < deadline, "lwiod did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(srv)
}

/// A private client configuration in `dir` (the host's smb.conf and state stay out of the
/// test).
pub fn client_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("smb.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "[global]\n  lock directory = {d}\n  cache directory = {d}\n  \
             state directory = {d}\n  private dir = {d}\n  client min protocol = SMB2\n"
        ),
    )
    .unwrap();
    conf
}

/// A finished command's standard output and error, as text.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs smbclient's `cmd` on `//ADDR/share` of `srv` as `creds`: (success, output).
pub fn smbclient(conf: &Path, srv: &Lwiod, share: &str, creds: &str, cmd: &str) -> (bool, String) {
    let out = Command::new("smbclient")
        .arg("-s")
        .arg(conf)
        .args([
            "-p",
            &srv.port.to_string(),
            &format!("//{}/{share}", srv.addr),
        ])
        .args(["-U", creds, "-c", cmd])
        .output()
        .expect("smbclient runs");
    let text = text(&out);
    (out.status.success() && !text.contains("NT_STATUS_"), text)
}

/// A test's directories: the configured share, the one the test adds, lwiod's state and
/// the client configuration, all in one temporary directory.
pub struct Dirs {
    /// The temporary directory holding the others (removed on drop).
    pub root: tempfile::TempDir,
    /// The configured share `share`, open to every account.
    pub share: PathBuf,
    /// The directory the test shares as `added`, open to every account.
    pub added: PathBuf,
    /// lwiod's state directory.
    pub state: PathBuf,
    /// The client configuration ([`client_conf`]).
    pub conf: PathBuf,
}

impl Dirs {
    /// Makes them.
    pub fn new() -> Dirs {
        let root = tempfile::tempdir().unwrap();
        let share = root.path().join("share");
        let added = root.path().join("added");
        for d in [&share, &added] {
            std::fs::create_dir(d).unwrap();
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let state = root.path().join("state");
        let conf = client_conf(root.path());
        Dirs {
            root,
            share,
            added,
            state,
            conf,
        }
    }
}
