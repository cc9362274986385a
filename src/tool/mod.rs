//! # `lwio::tool`: the `lwio` command-line tool, as a library
//!
//! The original LWIO shipped `lwio-tool`, which assembled the I/O manager in-process and
//! exercised its API. This is ours: every command works against any device of an
//! [`IoManager`], so the `lwio` binary only parses its arguments, mounts a driver at
//! `/share` and calls [`run`], and tests drive the same code with an in-memory driver.
//!
//! ## Commands
//! `create`, `read`, `write`, `stat`, `ls`, `getsd`, `setsd`, `getea`, `setea`, `lock`,
//! `unlock`, `flush` take a path on the device; see [`Command`] for their options. EAs are
//! written `NAME=VALUE` (`setea f Author=Ann`, `create f --ea Author=Ann`; `NAME=` deletes)
//! and printed `NAME = "value"`. A path-taking command opens the
//! file for what it needs (sharing read, write and delete), runs, and closes it.
//!
//! With the redirector (feature `rdr`), paths may be remote (`//server[:port]/share/path`,
//! [`remote`]); `cp [-r] [--continue]` and `mv` copy and move between local and remote
//! files, `shares //server` lists a server's shares over srvsvc, and `--encrypt` makes
//! every SMB session encrypt.
//!
//! ## Scripts
//! Locks and share modes belong to open handles, so a one-shot command cannot show how two
//! opens interact. [`run_script`] (the `script FILE|-` command) runs one command a line in
//! one [`Session`]:
//!
//! ```text
//! # two handles on one file
//! open h1 a.txt --disposition open-if --share r,w
//! open h2 a.txt
//! lock h1 0 10
//! ! lock h2 0 10 STATUS_LOCK_NOT_GRANTED   # must fail, with this status
//! lock h2 0 10 --wait                      # stays pending ...
//! unlock h1 0 10
//! wait h2                                  # ... until h1 lets go
//! close h1
//! ```
//!
//! - `open NAME PATH [create options]` keeps a handle; `close NAME` closes it. Any command's
//!   `TARGET` may name an open handle instead of a path (the handle wins).
//! - `#` starts a comment; words may be quoted with `'...'` or `"..."`.
//! - A line starting with `!` must fail with an NTSTATUS, and with exactly the status given
//!   as its last word when there is one; otherwise the script stops there.
//! - The script stops at the first line that fails. Each line is echoed as `> line`.
//!
//! ## Against a daemon
//! `lwio --daemon SOCKET` mounts a running lwiod's namespace at `/share`
//! (`lwio_client::DaemonDriver`): every command and script runs unchanged against the
//! daemon's I/O manager, with the daemon's share modes, locks and statuses, as the uid
//! running the tool (`--user` is not sent). `lwio admin ...` administers the daemon
//! ([`admin`]: sessions, open files, shares, reload, log level).
//!
//! ## What it is not
//! No mounting: the caller assembles the manager (the binary mounts PVFS or memfs, or the
//! daemon). No
//! relative opens, no set-information beyond what the commands above send.

#[cfg(feature = "samr")]
pub mod accounts;
#[cfg(feature = "daemon")]
pub mod admin;
mod chunks;
mod cli;
mod ea;
mod error;
mod files;
#[cfg(feature = "fuse")]
pub mod mount;
#[cfg(feature = "rdr")]
mod moves;
mod names;
#[cfg(feature = "rdr")]
pub mod remote;
pub mod scan;
mod script;
mod session;
#[cfg(all(feature = "rdr", feature = "rpc"))]
pub mod shares;
mod stat;

use std::io::Write;
use std::sync::Arc;

use lwio_core::security::well_known;
use lwio_core::{AccessToken, IoManager, Sid};

#[cfg(feature = "samr")]
pub use accounts::{GroupArgs, UserArgs};
pub use cli::{Cli, Command, DirClass, Disposition, OpenArgs};
pub use error::ToolError;
pub use session::Session;

/// Runs `commands` in order in one [`Session`] on `/device` of `io`, as `token`, printing to
/// `out`; stops at the first failure. Handles still open at the end are closed.
pub fn run(
    io: &IoManager,
    device: &str,
    token: Arc<AccessToken>,
    commands: &[Command],
    out: &mut dyn Write,
) -> Result<(), ToolError> {
    let mut session = Session::new(io, device, token);
    for command in commands {
        session.execute(command, out)?;
    }
    Ok(())
}

/// Runs the script `text` (see the module documentation) in a new [`Session`].
pub fn run_script(
    io: &IoManager,
    device: &str,
    token: Arc<AccessToken>,
    text: &str,
    out: &mut dyn Write,
) -> Result<(), ToolError> {
    Session::new(io, device, token).run_script(text, out)
}

/// The token for `--user`: `system` (LocalSystem, every privilege), `anonymous`, or a SID
/// string, which becomes a token for that user in Everyone and Authenticated Users.
pub fn token_for_user(user: &str) -> Result<AccessToken, ToolError> {
    match user.to_ascii_lowercase().as_str() {
        "system" | "sy" | "s-1-5-18" => return Ok(AccessToken::system()),
        "anonymous" | "an" | "s-1-5-7" => return Ok(AccessToken::anonymous()),
        _ => {}
    }
    let sid: Sid = user.parse().map_err(|_| {
        ToolError::Usage(format!(
            "--user {user:?}: not `system`, `anonymous` or a SID (S-1-5-21-...)"
        ))
    })?;
    Ok(AccessToken::new(sid)
        .with_groups([well_known::WORLD, well_known::AUTHENTICATED_USERS])
        .with_primary_group(sid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        assert_eq!(token_for_user("system").unwrap(), AccessToken::system());
        assert_eq!(
            token_for_user("ANONYMOUS").unwrap(),
            AccessToken::anonymous()
        );
        let t = token_for_user("S-1-5-21-1-2-3-1000").unwrap();
        assert_eq!(t.user.to_string(), "S-1-5-21-1-2-3-1000");
        assert!(t.contains_sid(&well_known::WORLD));
        assert!(t.contains_sid(&well_known::AUTHENTICATED_USERS));
        assert!(t.privileges.iter().next().is_none());
        let e = token_for_user("bob").unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
