//! Remote paths (`//server[:port]/share/path`) and the credentials they are opened with.
//!
//! The tool mounts an SMB2/3 redirector ([`lwio_rdr`]) at `/rdr` beside its own device; a
//! path written `//server[:port]/share/path` (or with backslashes) names
//! `/rdr/server[:port]/share/path` in the manager, so every command that takes a path
//! works on remote files too.
//!
//! Credentials come from a file in smbclient's authentication-file format (`username =`,
//! `password =`, `domain =`), given with `--credentials FILE` and refused unless only its
//! owner may read it (mode 0600 or stricter), or from `LWIO_USER`, `LWIO_PASSWORD` and
//! `LWIO_DOMAIN`. Never from the command line, where every user of the machine could read
//! them.

use std::path::Path;
use std::sync::Arc;

use lwio_core::IoManager;
use lwio_rdr::{Credentials, RdrConfig, Redirector};

use super::error::ToolError;

/// The device the redirector is mounted at.
pub const REMOTE_DEVICE: &str = "rdr";

/// True for `//server/...` and `\\server\...`.
pub fn is_remote(path: &str) -> bool {
    path.starts_with("//") || path.starts_with("\\\\")
}

/// The manager path of a remote path: `//srv/share/a` becomes `/rdr/srv/share/a`.
pub fn full_path(path: &str) -> String {
    let rest = path.replace('\\', "/");
    format!("/{REMOTE_DEVICE}/{}", rest.trim_start_matches('/'))
}

/// Reads credentials from `file` (smbclient's format, mode 0600 or stricter), or else from
/// the environment; `None` when neither gives a user.
pub fn load_credentials(file: Option<&Path>) -> Result<Option<Credentials>, ToolError> {
    let Some(file) = file else {
        return Ok(Credentials::from_env());
    };
    let shown = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|e| ToolError::io(format!("read {shown}"), e))?;
    check_private(&shown, &meta)?;
    let text =
        std::fs::read_to_string(file).map_err(|e| ToolError::io(format!("read {shown}"), e))?;
    Credentials::parse_auth_file(&text)
        .map(Some)
        .map_err(|e| ToolError::Usage(format!("{shown}: {e}")))
}

#[cfg(unix)]
fn check_private(shown: &str, meta: &std::fs::Metadata) -> Result<(), ToolError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ToolError::Usage(format!(
            "{shown}: mode {mode:04o} lets others read the password; chmod 600 it"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_shown: &str, _meta: &std::fs::Metadata) -> Result<(), ToolError> {
    Ok(())
}

/// Whether the redirector asks for a lease on opens that create files
/// ([`RdrConfig::lease_on_create`]) for `command`: only `lwio mount`, whose files are
/// reopened, reread and written in short pieces; a copy never reopens what it creates, and
/// on smbd a lease on a new file costs it time (`cp -r` of many small files).
pub fn leases_on_create(command: &super::cli::Command) -> bool {
    #[cfg(feature = "fuse")]
    return matches!(command, super::cli::Command::Mount { .. });
    #[cfg(not(feature = "fuse"))]
    {
        let _ = command;
        false
    }
}

/// Mounts a redirector logging on as `credentials` at [`REMOTE_DEVICE`].
pub fn mount(io: &IoManager, credentials: Credentials) -> Result<Arc<Redirector>, ToolError> {
    mount_with(io, credentials, RdrConfig::default())
}

/// As [`mount`], with the redirector's settings (`lwio --encrypt` sets
/// [`RdrConfig::encrypt`]).
pub fn mount_with(
    io: &IoManager,
    credentials: Credentials,
    config: RdrConfig,
) -> Result<Arc<Redirector>, ToolError> {
    lwio_rdr::mount(io, REMOTE_DEVICE, config, credentials)
        .map_err(|s| ToolError::failed(format!("mount /{REMOTE_DEVICE}"), s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn remote_names() {
        assert!(is_remote("//srv/share/a"));
        assert!(is_remote("\\\\srv\\share"));
        assert!(!is_remote("/share/a"));
        assert_eq!(full_path("//srv:99/share/a"), "/rdr/srv:99/share/a");
        assert_eq!(full_path("\\\\srv\\s\\b"), "/rdr/srv/s/b");
    }

    #[test]
    fn a_credentials_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("creds");
        std::fs::write(&f, "username = ann\npassword = pw\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load_credentials(Some(&f)).unwrap_err().exit_code(), 2);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = load_credentials(Some(&f)).unwrap().unwrap();
        assert_eq!(c, Credentials::new("ann", "pw", ""));
    }
}
