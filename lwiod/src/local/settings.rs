//! The local interface's settings: `[local]` in the TOML file, `--local-*` on the command
//! line.
//!
//! ```toml
//! [local]
//! socket = "/run/lwio/lwiod.sock"  # default: lwiod.sock in the state directory
//! mode = "0666"                    # the socket's permission bits (octal)
//! admin_group = "lwioadmin"        # a group (name or gid) whose members are administrators
//! max_open_files = 1024            # per connection
//! max_in_flight = 256              # requests in flight per connection
//! max_connections = 64
//! max_connections_per_uid = 16     # per local user; root is exempt
//! enabled = true                   # false: no local interface
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where and how lwiod listens for local clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    /// Serve the local interface at all.
    pub enabled: bool,
    /// The socket's path; `None`: `lwiod.sock` in the state directory (and no local
    /// interface without a state directory).
    pub socket: Option<PathBuf>,
    /// The socket file's permission bits. Who may connect is then decided by the kernel;
    /// what a caller may do, by the token its uid maps to.
    pub mode: u32,
    /// A Unix group (name, or a number as a gid) whose members get an administrator's
    /// token; root always does. The socket file is given this group.
    pub admin_group: Option<String>,
    /// Files one connection may hold open (more: STATUS_INSUFFICIENT_RESOURCES).
    pub max_open_files: usize,
    /// Requests one connection may have in flight (more: STATUS_INSUFFICIENT_RESOURCES).
    pub max_in_flight: usize,
    /// Connections at once (more are refused with STATUS_REQUEST_NOT_ACCEPTED).
    pub max_connections: usize,
    /// Connections one uid may hold at once (more are refused with
    /// STATUS_REQUEST_NOT_ACCEPTED), so one local user cannot take every slot of
    /// `max_connections`. Root (uid 0) is exempt: it can stop the daemon anyway, and
    /// the administrator must get in while users hold their allowance. Members of the
    /// admin group are ordinary uids here: exempting them would let one such account
    /// take every slot.
    pub max_connections_per_uid: usize,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            enabled: true,
            socket: None,
            mode: 0o666,
            admin_group: None,
            max_open_files: 1024,
            max_in_flight: 256,
            max_connections: 64,
            max_connections_per_uid: 16,
        }
    }
}

impl LocalConfig {
    /// The socket's path for a daemon with state directory `state_dir`; `None` when the
    /// interface is off or has nowhere to live.
    pub fn socket_path(&self, state_dir: Option<&Path>) -> Option<PathBuf> {
        if !self.enabled {
            return None;
        }
        self.socket
            .clone()
            .or_else(|| state_dir.map(|d| d.join("lwiod.sock")))
    }

    /// Applies a `[local]` table.
    pub(crate) fn apply(&mut self, f: LocalFile) -> Result<(), String> {
        if let Some(v) = f.enabled {
            self.enabled = v;
        }
        if f.socket.is_some() {
            self.socket = f.socket;
        }
        if let Some(m) = f.mode {
            self.mode = parse_mode(&m)?;
        }
        if f.admin_group.is_some() {
            self.admin_group = f.admin_group;
        }
        for (field, value) in [
            (&mut self.max_open_files, f.max_open_files),
            (&mut self.max_in_flight, f.max_in_flight),
            (&mut self.max_connections, f.max_connections),
            (&mut self.max_connections_per_uid, f.max_connections_per_uid),
        ] {
            if let Some(v) = value {
                if v == 0 {
                    return Err("[local] limits must be at least 1".into());
                }
                *field = v;
            }
        }
        Ok(())
    }
}

/// Octal permission bits (`0660`, `660`), at most 0o777.
pub(crate) fn parse_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("socket mode {text:?}: expected octal permission bits"))
}

/// The `[local]` table of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocalFile {
    enabled: Option<bool>,
    socket: Option<PathBuf>,
    mode: Option<String>,
    admin_group: Option<String>,
    max_open_files: Option<usize>,
    max_in_flight: Option<usize>,
    max_connections: Option<usize>,
    max_connections_per_uid: Option<usize>,
}
