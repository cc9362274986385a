//! `lwio admin ...`: administration of a running lwiod through its local socket
//! (smbstatus and smbcontrol in one tool).
//!
//! The socket is `--daemon SOCKET`, or the system daemon's `/var/lib/lwio/lwiod.sock`.
//! The daemon decides from the caller's uid whether it is an administrator (root, or a
//! member of its `[local] admin_group`); anyone else gets STATUS_ACCESS_DENIED for every
//! command.
//!
//! - `status [--json]`: the SMB sessions (id, user, client, dialect, signing,
//!   encryption, idle time, shares connected) and the open files (id, session, share,
//!   path, granted access, share mode, oplock), the files local clients hold through the
//!   socket (uid, pid, path) and, as smbstatus's "Byte range locks", every lock those
//!   opens hold or wait for (holder, R/W, start, size, file), asked of the file system
//!   (protocol version 3; a version-2 daemon lists no locks).
//! - `close-session ID`, `close-file ID`: the ids `status` shows.
//! - `shares add NAME PATH [--comment C]`, `shares del NAME`, `shares set NAME
//!   [--comment C] [--security SDDL]`: the live share changes srvsvc makes.
//! - `reload`: the daemon re-reads its configuration file and applies its share changes.
//! - `log-level LEVEL`: a tracing filter (`debug`, `info,lwio_srv=trace`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use lwio_client::DaemonClient;
use lwio_client::proto::{AdminLock, AdminRequest, AdminStatus};

use super::error::ToolError;

/// The system daemon's socket, used without `--daemon`.
pub const DEFAULT_SOCKET: &str = "/var/lib/lwio/lwiod.sock";

/// `lwio admin`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// One admin command.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Show the SMB sessions and open files.
    Status {
        /// Print JSON (for scripts) instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// End an SMB session (its connection closes).
    CloseSession {
        /// The session id `status` shows.
        id: u64,
    },
    /// Close a file an SMB client has open.
    CloseFile {
        /// The open's id `status` shows.
        id: u64,
    },
    /// Add, delete or change a share.
    Shares {
        /// What to do.
        #[command(subcommand)]
        command: SharesCommand,
    },
    /// Re-read the daemon's configuration file and apply its share changes.
    Reload,
    /// Replace the daemon's log filter.
    LogLevel {
        /// A tracing filter: `debug`, `info,lwio_srv=trace`.
        level: String,
    },
}

/// `lwio admin shares ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SharesCommand {
    /// Add a disk share (kept across restarts in the state directory's shares file).
    Add {
        /// The share's name.
        name: String,
        /// The absolute local directory it serves.
        path: PathBuf,
        /// Its comment.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Delete a share (its clients are disconnected from it).
    Del {
        /// The share's name.
        name: String,
    },
    /// Change a share's comment or share permissions.
    Set {
        /// The share's name.
        name: String,
        /// A new comment.
        #[arg(long)]
        comment: Option<String>,
        /// New share permissions as SDDL (empty: none).
        #[arg(long)]
        security: Option<String>,
    },
}

impl AdminCommand {
    fn request(&self) -> AdminRequest {
        match self {
            AdminCommand::Status { .. } => AdminRequest::Status,
            AdminCommand::CloseSession { id } => AdminRequest::CloseSession(*id),
            AdminCommand::CloseFile { id } => AdminRequest::CloseFile(*id),
            AdminCommand::Shares { command } => match command {
                SharesCommand::Add {
                    name,
                    path,
                    comment,
                } => AdminRequest::ShareAdd {
                    name: name.clone(),
                    path: path.display().to_string(),
                    comment: comment.clone(),
                },
                SharesCommand::Del { name } => AdminRequest::ShareDel { name: name.clone() },
                SharesCommand::Set {
                    name,
                    comment,
                    security,
                } => AdminRequest::ShareSet {
                    name: name.clone(),
                    comment: comment.clone(),
                    security: security.clone(),
                },
            },
            AdminCommand::Reload => AdminRequest::Reload,
            AdminCommand::LogLevel { level } => AdminRequest::LogLevel(level.clone()),
        }
    }
}

/// Runs `args` against the daemon at `socket` (default [`DEFAULT_SOCKET`]), printing to
/// `out`.
pub fn run(socket: Option<&Path>, args: &AdminArgs, out: &mut dyn Write) -> Result<(), ToolError> {
    let socket = socket.unwrap_or(Path::new(DEFAULT_SOCKET));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::io("tokio runtime", e))?;
    let shown = socket.display().to_string();
    let answer = rt.block_on(async {
        let client = DaemonClient::connect(socket)
            .await
            .map_err(|e| ToolError::BadData(format!("connect {shown}: {e}")))?;
        let version = client.limits().version;
        client
            .admin(args.command.request())
            .await
            .map(|answer| (version, answer))
            .map_err(|status| ToolError::failed(format!("admin {}", name(&args.command)), status))
    })?;
    let (version, (_information, output)) = answer;
    let write = |e| ToolError::io("write", e);
    match &args.command {
        AdminCommand::Status { json } => {
            let status = AdminStatus::decode_for(&output, version)
                .map_err(|e| ToolError::BadData(format!("admin status: {e}")))?;
            if *json {
                writeln!(out, "{}", status_json(&status)).map_err(write)?;
            } else {
                print_status(&status, out).map_err(write)?;
            }
        }
        other => writeln!(out, "{}: done", name(other)).map_err(write)?,
    }
    Ok(())
}

fn name(command: &AdminCommand) -> &'static str {
    match command {
        AdminCommand::Status { .. } => "status",
        AdminCommand::CloseSession { .. } => "close-session",
        AdminCommand::CloseFile { .. } => "close-file",
        AdminCommand::Shares { command } => match command {
            SharesCommand::Add { .. } => "shares add",
            SharesCommand::Del { .. } => "shares del",
            SharesCommand::Set { .. } => "shares set",
        },
        AdminCommand::Reload => "reload",
        AdminCommand::LogLevel { .. } => "log-level",
    }
}

/// `3.1.1` for 0x0311.
fn dialect(d: u16) -> String {
    match d {
        0x0202 => "2.0.2".into(),
        0x0210 => "2.1".into(),
        0x0300 => "3.0".into(),
        0x0302 => "3.0.2".into(),
        0x0311 => "3.1.1".into(),
        d => format!("{d:#06x}"),
    }
}

/// `RWD` for a share mode.
fn share_mode(mode: u32) -> String {
    [(1, 'R'), (2, 'W'), (4, 'D')]
        .iter()
        .map(|&(bit, c)| if mode & bit != 0 { c } else { '-' })
        .collect()
}

fn print_status(s: &AdminStatus, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<18} {:<24} {:<22} {:<7} {:<8} {:<8} {:>6}  SHARES",
        "SESSION", "USER", "CLIENT", "DIALECT", "SIGNING", "ENCRYPT", "IDLE"
    )?;
    for x in &s.sessions {
        writeln!(
            out,
            "{:<18} {:<24} {:<22} {:<7} {:<8} {:<8} {:>5}s  {}",
            format!("{:#x}", x.id),
            if x.guest {
                format!("{} (guest)", x.user)
            } else {
                x.user.clone()
            },
            x.client,
            dialect(x.dialect),
            if x.signing { "yes" } else { "no" },
            if x.encryption { "yes" } else { "no" },
            x.idle_secs,
            x.trees.join(",")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<10} {:<18} {:<12} {:<10} {:<5} {:<6}  PATH",
        "FILE", "SESSION", "SHARE", "ACCESS", "SHARE", "OPLOCK"
    )?;
    for o in &s.opens {
        writeln!(
            out,
            "{:<10} {:<18} {:<12} {:<10} {:<5} {:<6}  {}{}",
            o.id,
            format!("{:#x}", o.session),
            o.share,
            format!("{:#010x}", o.granted),
            share_mode(o.share_access),
            o.oplock,
            o.path,
            if o.directory { "\\" } else { "" }
        )?;
    }
    if !s.local.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<10} {:<8} {:<8} {:<10}  PATH",
            "LOCAL", "UID", "PID", "ACCESS"
        )?;
        for o in &s.local {
            writeln!(
                out,
                "{:<10} {:<8} {:<8} {:<10}  {}",
                o.connection,
                o.uid,
                o.pid,
                format!("{:#010x}", o.granted),
                o.path
            )?;
        }
    }
    // Samba's smbstatus prints "Byte range locks" the same way: who, R/W, start, size, file.
    let smb = s.opens.iter().map(|o| {
        let who = format!("smb file {}", o.id);
        (
            who,
            format!("{}\\{}", o.share, o.path),
            &o.locks,
            o.locks_omitted,
        )
    });
    let local = s.local.iter().map(|o| {
        let who = format!("local pid {}", o.pid);
        (who, o.path.clone(), &o.locks, o.locks_omitted)
    });
    let all: Vec<_> = smb
        .chain(local)
        .filter(|l| !l.2.is_empty() || l.3 > 0)
        .collect();
    if !all.is_empty() {
        writeln!(out)?;
        writeln!(out, "Byte range locks:")?;
        writeln!(
            out,
            "{:<18} {:<7} {:>20} {:>20}  FILE",
            "HOLDER", "R/W", "START", "SIZE"
        )?;
        for (who, path, locks, omitted) in all {
            for l in locks {
                writeln!(
                    out,
                    "{:<18} {:<7} {:>20} {:>20}  {}",
                    who,
                    lock_mode(l),
                    l.offset,
                    l.length,
                    path
                )?;
            }
            if omitted > 0 {
                writeln!(out, "{who:<18} ({omitted} more locks)  {path}")?;
            }
        }
    }
    Ok(())
}

/// `R` (shared) or `W` (exclusive), as smbstatus; `(wait)` for a request still waiting.
fn lock_mode(l: &AdminLock) -> String {
    let mode = if l.exclusive { "W" } else { "R" };
    if l.waiting {
        format!("{mode}(wait)")
    } else {
        mode.into()
    }
}

fn locks_json(locks: &[AdminLock]) -> serde_json::Value {
    locks
        .iter()
        .map(|l| {
            serde_json::json!({
                "offset": l.offset,
                "length": l.length,
                "exclusive": l.exclusive,
                "waiting": l.waiting,
            })
        })
        .collect()
}

fn status_json(s: &AdminStatus) -> serde_json::Value {
    use serde_json::json;
    json!({
        "sessions": s.sessions.iter().map(|x| json!({
            "id": x.id,
            "user": x.user,
            "client": x.client,
            "dialect": dialect(x.dialect),
            "signing": x.signing,
            "encryption": x.encryption,
            "guest": x.guest,
            "age_secs": x.age_secs,
            "idle_secs": x.idle_secs,
            "shares": x.trees,
        })).collect::<Vec<_>>(),
        "opens": s.opens.iter().map(|o| json!({
            "id": o.id,
            "session": o.session,
            "share": o.share,
            "path": o.path,
            "granted_access": o.granted,
            "share_access": o.share_access,
            "oplock": o.oplock,
            "directory": o.directory,
            "locks": locks_json(&o.locks),
            "locks_omitted": o.locks_omitted,
        })).collect::<Vec<_>>(),
        "local": s.local.iter().map(|o| json!({
            "connection": o.connection,
            "uid": o.uid,
            "pid": o.pid,
            "path": o.path,
            "granted_access": o.granted,
            "directory": o.directory,
            "locks": locks_json(&o.locks),
            "locks_omitted": o.locks_omitted,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_and_share_modes_read_as_people_write_them() {
        assert_eq!(dialect(0x0311), "3.1.1");
        assert_eq!(dialect(0x0300), "3.0");
        assert_eq!(dialect(0), "0x0000");
        assert_eq!(dialect(0x0210), "2.1");
        assert_eq!(dialect(0x0202), "2.0.2");
        assert_eq!(share_mode(0), "---");
        assert_eq!(share_mode(5), "R-D");
    }
}
