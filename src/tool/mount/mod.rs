//! # `lwio mount //server[:port]/share DIR`: a share as a FUSE file system
//!
//! The original LWIO exercised its SMB redirector through a FUSE mount; this is ours. The
//! command mounts the redirector at `/rdr` in an [`IoManager`] (as every remote path of the
//! tool does), checks that the share answers, mounts a FUSE file system on `DIR` (with
//! `fusermount3`, no libfuse) and serves the kernel's requests in the foreground until the
//! file system is unmounted (`fusermount -u DIR` or `umount DIR`); then it returns and the
//! tool exits 0. SIGINT (Ctrl-C) and SIGTERM unmount it the same way, so a stopped
//! command never leaves a dead mount point behind (SIGKILL still does: `fusermount -u`).
//!
//! Every request becomes IRPs to the redirector's device (`fs.rs` has the table); the
//! server's NTSTATUS becomes the errno a Linux program expects (`errno.rs` has the one
//! table). Inode numbers are the server's file ids (`inodes.rs`).
//!
//! Caching: attributes and names for one second (the kernel's), file data not at all on
//! our side (the kernel's page cache is dropped at each open), so a change made on the
//! server is seen at the next open.

mod errno;
mod fs;
mod inodes;

use std::path::Path;
use std::sync::Arc;

use fuser::{Config, MountOption};
use lwio_core::{AccessToken, IoManager};

use super::error::ToolError;
use super::remote;

/// How many threads serve the kernel's requests: reads and writes of one file (the
/// kernel's read-ahead, parallel writers) reach the redirector together and are pipelined
/// on its connection.
const THREADS: usize = 4;

/// Mounts the share `share` (`//server[:port]/share`) on `dir` and serves it until it is
/// unmounted. The redirector must already be mounted at [`remote::REMOTE_DEVICE`] of `io`.
pub fn run(
    io: &IoManager,
    token: Arc<AccessToken>,
    share: &str,
    dir: &Path,
) -> Result<(), ToolError> {
    if !remote::is_remote(share) {
        return Err(ToolError::Usage(format!(
            "{share}: not a share (//server[:port]/share)"
        )));
    }
    let unc = remote::full_path(share);
    let unc = unc
        .trim_start_matches(&format!("/{}/", remote::REMOTE_DEVICE))
        .trim_end_matches('/')
        .to_owned();
    if unc.split('/').filter(|c| !c.is_empty()).count() != 2 {
        return Err(ToolError::Usage(format!(
            "{share}: mount takes a share, //server[:port]/share, not a path in it"
        )));
    }
    let fs = fs::RemoteFs::new(io.clone(), token, remote::REMOTE_DEVICE, &unc);
    fs.check()
        .map_err(|s| ToolError::failed(format!("open {share}"), s))?;
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(format!("//{unc}")),
        MountOption::Subtype("lwio".into()),
        MountOption::NoDev,
        MountOption::NoSuid,
    ];
    config.n_threads = Some(THREADS);
    let shown = dir.display().to_string();
    let mut session = fuser::Session::new(fs, dir, &config)
        .map_err(|e| ToolError::io(format!("mount {shown}"), e))?;
    let unmounter = session.unmount_callable();
    std::thread::Builder::new()
        .name("lwio-mount-signals".into())
        .spawn(move || unmount_on_signal(unmounter))
        .map_err(|e| ToolError::io("start the signal thread", e))?;
    session
        .run()
        .map_err(|e| ToolError::io(format!("serve {shown}"), e))
}

/// Waits for SIGINT or SIGTERM, then unmounts: the session's loop sees the device close
/// and [`run`] returns.
fn unmount_on_signal(mut unmounter: fuser::SessionUnmounter) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let caught = rt.block_on(async {
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        Ok::<(), std::io::Error>(())
    });
    if caught.is_ok() {
        if let Err(e) = unmounter.unmount() {
            tracing::warn!("unmount after a signal: {e}");
        }
    }
}
