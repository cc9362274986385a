//! Server settings, from command-line arguments or a TOML file with the same content.
//!
//! ```toml
//! listen = "127.0.0.1:4450"
//! signing_required = true      # the default; false lets clients leave messages unsigned
//! allow_guest = false          # the null session and the Guest account may log on
//! map_to_guest = false         # an unknown user name logs on as Guest
//! failed_logon_delay_ms = 2000 # each failed logon's answer waits this long; 0: off
//! anonymous_pipes = false
//! encrypt_data = false         # require SMB 3.x encryption on every session
//! reject_unencrypted_access = true # refuse clear requests where encryption is required
//! # The Unix ids given to accounts, one each, in the order of [[user]] (see `accounts`).
//! unix_id_range = "70000-79999"
//!
//! # Resource bounds (defaults shown; see `ServerConfig` for each)
//! max_credits = 8192
//! unauthenticated_credits = 64
//! max_connection_buffer = 67108864   # bytes of requests and responses per connection
//! send_timeout_secs = 120
//! max_connections = 16384
//! max_connections_per_address = 2048
//! max_unauthenticated_connections = 1024
//! fd_reserve = 512
//! max_session_setups = 64
//! session_setup_timeout_secs = 60
//!
//! [[share]]
//! name = "data"
//! path = "/srv/data"
//! read_only = false
//! # Share permissions as SDDL (Windows' "Share Permissions"); without it, everyone
//! # authenticated may do what the files' own descriptors allow.
//! security = "D:(A;;FA;;;BA)(A;;0x1200a9;;;AU)"
//! encrypt_data = false         # require SMB 3.x encryption on this share
//!
//! [[user]]
//! name = "alice"
//! password = "secret"
//! admin = false
//! ```
//!
//! Arguments given on the command line add to (shares, users) or override (everything
//! else) what the file says.
//!
//! With `state_dir` (`--state-dir DIR`, conventionally `/var/lib/lwio`) the accounts come
//! from the SAM kept there (`DIR/sam.db`, created on first start; `lwio user` and SAMR on
//! `\pipe\samr` manage it), and `[[user]]` / `--user` are only a quick-start seed: each
//! is created in the SAM, enabled, when it does not exist yet. `unix_mirror` (with
//! `unix_root` or `unix_prefix` for a throwaway passwd/group) mirrors SAM accounts into
//! the system's account files.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;
use thiserror::Error;

/// The default listening address: loopback, an unprivileged port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4450";

/// Why a configuration could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for this schema.
    #[error("parsing {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A command-line value is malformed.
    #[error("{0}")]
    Invalid(String),
}

/// One account of the in-memory account store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserConfig {
    /// The account name (matched case-insensitively).
    pub name: String,
    /// The password.
    pub password: String,
    /// Members of Builtin Administrators.
    #[serde(default)]
    pub admin: bool,
}

/// One disk share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShareConfig {
    /// The name clients use.
    pub name: String,
    /// The directory it serves.
    pub path: PathBuf,
    /// Serve it read-only (STATUS_MEDIA_WRITE_PROTECTED for every change).
    #[serde(default)]
    pub read_only: bool,
    /// The share's security descriptor in SDDL: what a caller may do through the share,
    /// on top of what each file's descriptor allows. `None`: no share-level limit.
    #[serde(default)]
    pub security: Option<String>,
    /// Require SMB 3.x encryption on this share (MS-SMB2 `Share.EncryptData`): its tree
    /// connects carry SMB2_SHAREFLAG_ENCRYPT_DATA, and with `reject_unencrypted_access` a
    /// client that cannot encrypt is refused with STATUS_ACCESS_DENIED.
    #[serde(default)]
    pub encrypt_data: bool,
}

impl ShareConfig {
    /// A read-write share with no share-level permissions.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> ShareConfig {
        ShareConfig {
            name: name.into(),
            path: path.into(),
            read_only: false,
            security: None,
            encrypt_data: false,
        }
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Disk shares.
    pub shares: Vec<ShareConfig>,
    /// Accounts.
    pub users: Vec<UserConfig>,
    /// Require signed messages on every session (the SIGNING_REQUIRED security mode). On
    /// by default, as Windows 11 24H2 and Windows Server 2025 do for their own shares;
    /// Guest and anonymous sessions, which have no key, are exempt.
    pub signing_required: bool,
    /// Accept the null session (anonymous logon) and the Guest account.
    pub allow_guest: bool,
    /// Log an unknown user name on as Guest (Samba's "map to guest = bad user").
    pub map_to_guest: bool,
    /// How long the answer to a failed logon waits (Windows Server 2025's SMB
    /// authentication rate limiter, 2 s by default); zero turns it off.
    pub failed_logon_delay: Duration,
    /// Let anonymous callers read what Windows' RestrictAnonymous=0 lets them read on the
    /// srvsvc and wkssvc pipes (share names, server information); off, they are refused.
    pub anonymous_pipes: bool,
    /// The largest Direct TCP message accepted; a longer one closes the connection.
    pub max_message: usize,
    /// The largest read, write or transact the server negotiates.
    pub max_read_write: u32,
    /// How many files a session may hold open.
    pub max_opens_per_session: usize,
    /// How many requests a connection may have in progress at once.
    pub max_outstanding_requests: usize,
    /// A connection with nothing in progress and no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// A connection without an authenticated session after this long is closed.
    pub unauthenticated_timeout: Duration,
    /// The most credits a client may hold (the span of its sequence window, MS-SMB2
    /// 3.3.1.2; Windows' default is 8192).
    pub max_credits: u32,
    /// The most credits a connection holds before it has an authenticated session.
    pub unauthenticated_credits: u32,
    /// The bytes one connection may hold: frames being processed and responses not yet
    /// written. When it is spent the connection stops reading requests until its
    /// responses drain.
    pub max_connection_buffer: usize,
    /// A connection whose client has not taken a response for this long is closed.
    pub send_timeout: Duration,
    /// The most connections the server holds; more are closed at once.
    pub max_connections: usize,
    /// The most connections from one client address (IPv4, or IPv6 /64).
    pub max_connections_per_address: usize,
    /// The most connections without an authenticated session: beyond it, the oldest of
    /// them is closed to make room.
    pub max_unauthenticated_connections: usize,
    /// File descriptors kept for the opens of the sessions already there: a connection
    /// that would leave fewer free is refused.
    pub fd_reserve: u64,
    /// The most session setups in progress on one connection; more are refused with
    /// STATUS_REQUEST_NOT_ACCEPTED.
    pub max_session_setups: usize,
    /// A session setup in progress that has waited this long for the client's next leg
    /// is dropped.
    pub session_setup_timeout: Duration,
    /// Where the server keeps its state (the SAM); `None`: accounts held in memory.
    pub state_dir: Option<PathBuf>,
    /// Mirror SAM accounts into passwd/group (`Some(root)`; an empty root is the
    /// running system, see [`UnixMirrorConfig`]).
    pub unix_mirror: Option<UnixMirrorConfig>,
    /// The Unix uids and gids accounts get, one each in configuration order (see
    /// [`crate::accounts`]); default 70000-79999.
    pub unix_id_range: RangeInclusive<u32>,
    /// Require SMB 3.x encryption on every session (MS-SMB2 global `EncryptData`): sessions
    /// get SMB2_SESSION_FLAG_ENCRYPT_DATA. Off by default.
    pub encrypt_data: bool,
    /// Refuse, with STATUS_ACCESS_DENIED, a client that cannot encrypt where encryption is
    /// required, and any unencrypted request on a session or share that requires it
    /// (MS-SMB2 `RejectUnencryptedAccess`). On by default, as on Windows.
    pub reject_unencrypted_access: bool,
}

/// Where the Unix account mirror writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixMirrorConfig {
    /// The running system's files.
    System,
    /// A chroot (`useradd -R`).
    Root(PathBuf),
    /// A prefix holding `etc/passwd` and `etc/group` (`useradd -P`).
    Prefix(PathBuf),
}

/// Windows Server 2025's default authentication rate limiter delay.
pub const DEFAULT_FAILED_LOGON_DELAY: Duration = Duration::from_secs(2);

/// 8 MiB of read/write payload.
pub const DEFAULT_MAX_READ_WRITE: u32 = 8 * 1024 * 1024;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 4450)),
            shares: Vec::new(),
            users: Vec::new(),
            signing_required: true,
            allow_guest: false,
            map_to_guest: false,
            failed_logon_delay: DEFAULT_FAILED_LOGON_DELAY,
            anonymous_pipes: false,
            max_message: DEFAULT_MAX_READ_WRITE as usize + 64 * 1024,
            max_read_write: DEFAULT_MAX_READ_WRITE,
            max_opens_per_session: 16 * 1024,
            max_outstanding_requests: 1024,
            idle_timeout: Duration::from_secs(15 * 60),
            unauthenticated_timeout: Duration::from_secs(60),
            max_credits: 8192,
            unauthenticated_credits: 64,
            max_connection_buffer: 64 * 1024 * 1024,
            send_timeout: Duration::from_secs(120),
            max_connections: 16384,
            max_connections_per_address: 2048,
            max_unauthenticated_connections: 1024,
            fd_reserve: 512,
            max_session_setups: 64,
            session_setup_timeout: Duration::from_secs(60),
            state_dir: None,
            unix_mirror: None,
            unix_id_range: crate::accounts::DEFAULT_UNIX_IDS,
            encrypt_data: false,
            reject_unencrypted_access: true,
        }
    }
}

/// The schema of the TOML file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    #[serde(default)]
    share: Vec<ShareConfig>,
    #[serde(default)]
    user: Vec<UserConfig>,
    signing_required: Option<bool>,
    allow_guest: Option<bool>,
    map_to_guest: Option<bool>,
    failed_logon_delay_ms: Option<u64>,
    anonymous_pipes: Option<bool>,
    max_message: Option<usize>,
    max_read_write: Option<u32>,
    max_opens_per_session: Option<usize>,
    max_outstanding_requests: Option<usize>,
    idle_timeout_secs: Option<u64>,
    unauthenticated_timeout_secs: Option<u64>,
    max_credits: Option<u32>,
    unauthenticated_credits: Option<u32>,
    max_connection_buffer: Option<usize>,
    send_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    max_unauthenticated_connections: Option<usize>,
    fd_reserve: Option<u64>,
    max_session_setups: Option<usize>,
    session_setup_timeout_secs: Option<u64>,
    state_dir: Option<PathBuf>,
    unix_mirror: Option<bool>,
    unix_root: Option<PathBuf>,
    unix_prefix: Option<PathBuf>,
    unix_id_range: Option<String>,
    encrypt_data: Option<bool>,
    reject_unencrypted_access: Option<bool>,
}

/// The command line of `lwiod`.
#[derive(Debug, Clone, Parser)]
#[command(name = "lwiod", about = "An SMB2/SMB3 file server over lwio.")]
pub struct Args {
    /// The address to listen on (default 127.0.0.1:4450).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// A disk share, NAME=PATH (repeatable).
    #[arg(long = "share", value_name = "NAME=PATH")]
    pub shares: Vec<String>,
    /// An account, NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,
    /// Serve the share NAME read-only (repeatable).
    #[arg(long = "read-only", value_name = "NAME")]
    pub read_only: Vec<String>,
    /// Share permissions for NAME as SDDL, e.g. 'D:(A;;0x1200a9;;;WD)' for read-only
    /// access for everyone (repeatable).
    #[arg(long = "share-acl", value_name = "NAME=SDDL")]
    pub share_acls: Vec<String>,
    /// An administrator account, NAME:PASSWORD (repeatable).
    #[arg(long = "admin", value_name = "NAME:PASSWORD")]
    pub admins: Vec<String>,
    /// Require signing on every session (the default; kept for old command lines).
    #[arg(long, conflicts_with = "no_signing_required")]
    pub signing_required: bool,
    /// Let clients leave their messages unsigned (signing is required by default).
    #[arg(long)]
    pub no_signing_required: bool,
    /// Accept the null session (anonymous logon) and the Guest account.
    #[arg(long)]
    pub allow_guest: bool,
    /// Log an unknown user name on as Guest.
    #[arg(long)]
    pub map_to_guest: bool,
    /// Hold the answer to each failed logon back this many milliseconds (default 2000;
    /// 0 turns the delay off).
    #[arg(long, value_name = "MS")]
    pub failed_logon_delay_ms: Option<u64>,
    /// Let anonymous callers list shares and read server information over srvsvc and
    /// wkssvc (Windows' RestrictAnonymous=0); they need --allow-guest to log on at all.
    #[arg(long)]
    pub anonymous_pipes: bool,
    /// The Unix ids accounts get, FIRST-LAST (default 70000-79999).
    #[arg(long, value_name = "FIRST-LAST")]
    pub unix_id_range: Option<String>,
    /// A TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Keep state (the SAM account database) in DIR, e.g. /var/lib/lwio; --user and
    /// --admin then only seed accounts that do not exist yet.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Mirror SAM accounts and groups into the system's passwd and group files.
    #[arg(long)]
    pub unix_mirror: bool,
    /// With --unix-mirror: work on the account files under this chroot.
    #[arg(long, value_name = "DIR")]
    pub unix_root: Option<PathBuf>,
    /// With --unix-mirror: work on DIR/etc/passwd and DIR/etc/group.
    #[arg(long, value_name = "DIR")]
    pub unix_prefix: Option<PathBuf>,
    /// Require SMB 3.x encryption on every session.
    #[arg(long)]
    pub encrypt_data: bool,
    /// Require SMB 3.x encryption on the share NAME (repeatable).
    #[arg(long = "encrypt-share", value_name = "NAME")]
    pub encrypt_shares: Vec<String>,
    /// Serve unencrypted requests where encryption is required, and clients that cannot
    /// encrypt (they are refused with STATUS_ACCESS_DENIED by default).
    #[arg(long)]
    pub no_reject_unencrypted: bool,
}

fn mirror_config(
    on: bool,
    root: Option<PathBuf>,
    prefix: Option<PathBuf>,
) -> Option<UnixMirrorConfig> {
    if !on {
        return None;
    }
    Some(match (root, prefix) {
        (Some(r), _) => UnixMirrorConfig::Root(r),
        (None, Some(p)) => UnixMirrorConfig::Prefix(p),
        (None, None) => UnixMirrorConfig::System,
    })
}

/// Parses `FIRST-LAST`.
fn parse_id_range(text: &str) -> Result<RangeInclusive<u32>, ConfigError> {
    let bad = || ConfigError::Invalid(format!("unix_id_range {text:?}: expected FIRST-LAST"));
    let (first, last) = text.split_once('-').ok_or_else(bad)?;
    let first: u32 = first.trim().parse().map_err(|_| bad())?;
    let last: u32 = last.trim().parse().map_err(|_| bad())?;
    Ok(first..=last)
}

impl ServerConfig {
    /// Reads a TOML configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        ServerConfig::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Parses the TOML text of a configuration file.
    pub fn from_toml(text: &str) -> Result<ServerConfig, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        let mut c = ServerConfig::default();
        c.apply_file(file)?;
        c.check()?;
        Ok(c)
    }

    fn apply_file(&mut self, f: FileConfig) -> Result<(), ConfigError> {
        if let Some(v) = &f.unix_id_range {
            self.unix_id_range = parse_id_range(v)?;
        }
        if let Some(v) = f.listen {
            self.listen = v;
        }
        self.apply_bounds(&f);
        self.shares.extend(f.share);
        self.users.extend(f.user);
        if let Some(v) = f.signing_required {
            self.signing_required = v;
        }
        if let Some(v) = f.allow_guest {
            self.allow_guest = v;
        }
        if let Some(v) = f.map_to_guest {
            self.map_to_guest = v;
        }
        if let Some(v) = f.failed_logon_delay_ms {
            self.failed_logon_delay = Duration::from_millis(v);
        }
        if let Some(v) = f.anonymous_pipes {
            self.anonymous_pipes = v;
        }
        if let Some(v) = f.max_message {
            self.max_message = v;
        }
        if let Some(v) = f.max_read_write {
            self.max_read_write = v;
        }
        if let Some(v) = f.max_opens_per_session {
            self.max_opens_per_session = v;
        }
        if let Some(v) = f.max_outstanding_requests {
            self.max_outstanding_requests = v;
        }
        if let Some(v) = f.idle_timeout_secs {
            self.idle_timeout = Duration::from_secs(v);
        }
        if let Some(v) = f.unauthenticated_timeout_secs {
            self.unauthenticated_timeout = Duration::from_secs(v);
        }
        if f.state_dir.is_some() {
            self.state_dir = f.state_dir;
        }
        if let Some(m) = mirror_config(f.unix_mirror.unwrap_or(false), f.unix_root, f.unix_prefix) {
            self.unix_mirror = Some(m);
        }
        set(&mut self.encrypt_data, f.encrypt_data);
        set(
            &mut self.reject_unencrypted_access,
            f.reject_unencrypted_access,
        );
        Ok(())
    }

    fn apply_bounds(&mut self, f: &FileConfig) {
        let secs = Duration::from_secs;
        set(&mut self.max_credits, f.max_credits);
        set(&mut self.unauthenticated_credits, f.unauthenticated_credits);
        set(&mut self.max_connection_buffer, f.max_connection_buffer);
        set(&mut self.send_timeout, f.send_timeout_secs.map(secs));
        set(&mut self.max_connections, f.max_connections);
        set(
            &mut self.max_connections_per_address,
            f.max_connections_per_address,
        );
        set(
            &mut self.max_unauthenticated_connections,
            f.max_unauthenticated_connections,
        );
        set(&mut self.fd_reserve, f.fd_reserve);
        set(&mut self.max_session_setups, f.max_session_setups);
        set(
            &mut self.session_setup_timeout,
            f.session_setup_timeout_secs.map(secs),
        );
    }

    /// Builds a configuration from parsed arguments (and the file they name).
    pub fn from_args(args: Args) -> Result<ServerConfig, ConfigError> {
        let mut c = match &args.config {
            Some(path) => ServerConfig::from_file(path)?,
            None => ServerConfig::default(),
        };
        if let Some(l) = args.listen {
            c.listen = l;
        }
        for s in &args.shares {
            let (name, path) = s
                .split_once('=')
                .ok_or_else(|| ConfigError::Invalid(format!("--share {s}: expected NAME=PATH")))?;
            c.shares.push(ShareConfig::new(name, path));
        }
        for name in &args.read_only {
            c.share_mut(name, "--read-only")?.read_only = true;
        }
        for a in &args.share_acls {
            let (name, sddl) = a.split_once('=').ok_or_else(|| {
                ConfigError::Invalid(format!("--share-acl {a}: expected NAME=SDDL"))
            })?;
            c.share_mut(name, "--share-acl")?.security = Some(sddl.to_owned());
        }
        for (list, admin) in [(&args.users, false), (&args.admins, true)] {
            for u in list {
                let (name, password) = u.split_once(':').ok_or_else(|| {
                    ConfigError::Invalid(format!("--user {u}: expected NAME:PASSWORD"))
                })?;
                c.users.push(UserConfig {
                    name: name.to_owned(),
                    password: password.to_owned(),
                    admin,
                });
            }
        }
        if let Some(v) = &args.unix_id_range {
            c.unix_id_range = parse_id_range(v)?;
        }
        c.signing_required |= args.signing_required;
        if args.no_signing_required {
            c.signing_required = false;
        }
        c.allow_guest |= args.allow_guest;
        c.map_to_guest |= args.map_to_guest;
        if let Some(ms) = args.failed_logon_delay_ms {
            c.failed_logon_delay = Duration::from_millis(ms);
        }
        c.anonymous_pipes |= args.anonymous_pipes;
        if args.state_dir.is_some() {
            c.state_dir = args.state_dir;
        }
        if let Some(m) = mirror_config(args.unix_mirror, args.unix_root, args.unix_prefix) {
            c.unix_mirror = Some(m);
        }
        c.encrypt_data |= args.encrypt_data;
        for name in &args.encrypt_shares {
            c.share_mut(name, "--encrypt-share")?.encrypt_data = true;
        }
        if args.no_reject_unencrypted {
            c.reject_unencrypted_access = false;
        }
        c.check()?;
        Ok(c)
    }

    /// Parses a command line (the first item is the program name).
    pub fn from_cli<I, T>(args: I) -> Result<ServerConfig, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = Args::try_parse_from(args).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        ServerConfig::from_args(args)
    }

    fn share_mut(&mut self, name: &str, flag: &str) -> Result<&mut ShareConfig, ConfigError> {
        self.shares
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ConfigError::Invalid(format!("{flag} {name}: no such share")))
    }

    fn check(&mut self) -> Result<(), ConfigError> {
        if !(1..=65535).contains(&self.max_credits) {
            return Err(ConfigError::Invalid(
                "max_credits must be between 1 and 65535".into(),
            ));
        }
        self.unauthenticated_credits = self.unauthenticated_credits.clamp(1, self.max_credits);
        let at_least_one = [
            ("max_connections", self.max_connections),
            (
                "max_connections_per_address",
                self.max_connections_per_address,
            ),
            (
                "max_unauthenticated_connections",
                self.max_unauthenticated_connections,
            ),
            ("max_session_setups", self.max_session_setups),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
        }
        if self.send_timeout.is_zero() || self.session_setup_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "send_timeout_secs and session_setup_timeout_secs must be at least 1".into(),
            ));
        }
        if self.max_read_write < 1024 * 1024 {
            return Err(ConfigError::Invalid(
                "max_read_write must be at least 1 MiB".into(),
            ));
        }
        self.max_message = self
            .max_message
            .max(self.max_read_write as usize + 4096)
            .min(lwio_smb2::frame::MAX_FRAME_LEN);
        self.max_read_write = self.max_read_write.min((self.max_message - 4096) as u32);
        let server = [
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        ];
        crate::accounts::unix_ids(&self.unix_id_range, self.users.len(), &server)
            .map_err(ConfigError::Invalid)?;
        for s in &self.shares {
            if s.name.is_empty() || s.name.contains(['\\', '/', '\0']) {
                return Err(ConfigError::Invalid(format!("bad share name {:?}", s.name)));
            }
            if let Some(sddl) = &s.security {
                sddl.parse::<lwio_core::SecurityDescriptor>().map_err(|e| {
                    ConfigError::Invalid(format!("share {}: security {sddl:?}: {e}", s.name))
                })?;
            }
        }
        Ok(())
    }
}

/// Overrides `field` with `value` when the file gives one.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_and_toml_agree() {
        let cli = ServerConfig::from_cli([
            "lwiod",
            "--listen",
            "127.0.0.1:9999",
            "--share",
            "data=/tmp/x",
            "--user",
            "alice:pw:with:colons",
            "--signing-required",
        ])
        .unwrap();
        let toml = ServerConfig::from_toml(
            "listen = \"127.0.0.1:9999\"\nsigning_required = true\n\
             [[share]]\nname = \"data\"\npath = \"/tmp/x\"\n\
             [[user]]\nname = \"alice\"\npassword = \"pw:with:colons\"\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert_eq!(cli.users[0].password, "pw:with:colons");
        assert!(cli.max_message > cli.max_read_write as usize);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(ServerConfig::from_cli(["lwiod", "--share", "nopath"]).is_err());
        assert!(ServerConfig::from_cli(["lwiod", "--user", "nopass"]).is_err());
        assert!(ServerConfig::from_toml("bogus = 1").is_err());
        assert!(ServerConfig::from_toml("max_read_write = 1000").is_err());
        assert!(ServerConfig::from_cli(["lwiod", "--read-only", "nosuch"]).is_err());
        assert!(
            ServerConfig::from_cli(["lwiod", "--share", "d=/x", "--share-acl", "d=D:(bogus"])
                .is_err()
        );
    }

    #[test]
    fn state_dir_and_mirror_from_cli_and_toml() {
        let cli = ServerConfig::from_cli([
            "lwiod",
            "--state-dir",
            "/var/lib/lwio",
            "--unix-mirror",
            "--unix-prefix",
            "/tmp/p",
        ])
        .unwrap();
        let toml = ServerConfig::from_toml(
            "state_dir = \"/var/lib/lwio\"\nunix_mirror = true\nunix_prefix = \"/tmp/p\"\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert_eq!(
            cli.state_dir.as_deref(),
            Some(std::path::Path::new("/var/lib/lwio"))
        );
        assert_eq!(
            cli.unix_mirror,
            Some(UnixMirrorConfig::Prefix("/tmp/p".into()))
        );
        assert_eq!(ServerConfig::from_cli(["lwiod"]).unwrap().state_dir, None);
    }

    #[test]
    fn unix_id_range_from_cli_and_toml() {
        let cli = ServerConfig::from_cli(["lwiod", "--unix-id-range", "90000-90009"]).unwrap();
        let toml = ServerConfig::from_toml("unix_id_range = \"90000-90009\"\n").unwrap();
        assert_eq!(cli, toml);
        assert_eq!(cli.unix_id_range, 90_000..=90_009);
        assert_eq!(
            ServerConfig::default().unix_id_range,
            crate::accounts::DEFAULT_UNIX_IDS
        );
        for bad in ["90000", "a-b", "0-10", "10-5"] {
            assert!(
                ServerConfig::from_cli(["lwiod", "--unix-id-range", bad]).is_err(),
                "{bad}"
            );
        }
        // Too small for the accounts.
        assert!(
            ServerConfig::from_cli([
                "lwiod",
                "--unix-id-range",
                "90000-90000",
                "--user",
                "a:x",
                "--user",
                "b:y"
            ])
            .is_err()
        );
    }

    #[test]
    fn share_options_from_cli_and_toml() {
        let cli = ServerConfig::from_cli([
            "lwiod",
            "--share",
            "data=/tmp/x",
            "--read-only",
            "DATA",
            "--share-acl",
            "data=D:(A;;0x1200a9;;;WD)",
        ])
        .unwrap();
        let toml = ServerConfig::from_toml(
            "[[share]]\nname = \"data\"\npath = \"/tmp/x\"\nread_only = true\n\
             security = \"D:(A;;0x1200a9;;;WD)\"\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(cli.shares[0].read_only);
    }

    #[test]
    fn encryption_options_from_cli_and_toml() {
        let d = ServerConfig::default();
        assert!(!d.encrypt_data && d.reject_unencrypted_access);
        let cli = ServerConfig::from_cli([
            "lwiod",
            "--share",
            "data=/tmp/x",
            "--encrypt-share",
            "DATA",
            "--encrypt-data",
            "--no-reject-unencrypted",
        ])
        .unwrap();
        let toml = ServerConfig::from_toml(
            "encrypt_data = true\nreject_unencrypted_access = false\n\
             [[share]]\nname = \"data\"\npath = \"/tmp/x\"\nencrypt_data = true\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(cli.encrypt_data && !cli.reject_unencrypted_access && cli.shares[0].encrypt_data);
        assert!(ServerConfig::from_cli(["lwiod", "--encrypt-share", "nosuch"]).is_err());
    }

    #[test]
    fn logon_options_default_to_windows_and_relax_alike() {
        let d = ServerConfig::default();
        assert!(d.signing_required && !d.allow_guest && !d.map_to_guest);
        assert_eq!(d.failed_logon_delay, Duration::from_secs(2));
        let cli = ServerConfig::from_cli([
            "lwiod",
            "--no-signing-required",
            "--map-to-guest",
            "--failed-logon-delay-ms",
            "0",
        ])
        .unwrap();
        let toml = ServerConfig::from_toml(
            "signing_required = false\nmap_to_guest = true\nfailed_logon_delay_ms = 0\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(!cli.signing_required && cli.map_to_guest && !cli.allow_guest);
        assert!(cli.failed_logon_delay.is_zero());
        assert!(
            ServerConfig::from_cli(["lwiod", "--signing-required", "--no-signing-required"])
                .is_err()
        );
    }

    #[test]
    fn resource_bounds_from_toml() {
        let d = ServerConfig::default();
        assert_eq!(d.max_credits, 8192);
        assert!(d.unauthenticated_credits < d.max_credits);
        let c = ServerConfig::from_toml(
            "max_credits = 128\nunauthenticated_credits = 500\nmax_connection_buffer = 4096\n\
             send_timeout_secs = 3\nmax_connections = 10\nmax_connections_per_address = 2\n\
             max_unauthenticated_connections = 4\nfd_reserve = 9\nmax_session_setups = 5\n\
             session_setup_timeout_secs = 7\n",
        )
        .unwrap();
        assert_eq!(c.max_credits, 128);
        assert_eq!(c.unauthenticated_credits, 128, "never above max_credits");
        assert_eq!(c.max_connection_buffer, 4096);
        assert_eq!(c.send_timeout, Duration::from_secs(3));
        assert_eq!((c.max_connections, c.max_connections_per_address), (10, 2));
        assert_eq!(c.max_unauthenticated_connections, 4);
        assert_eq!(c.fd_reserve, 9);
        assert_eq!(c.max_session_setups, 5);
        assert_eq!(c.session_setup_timeout, Duration::from_secs(7));
        assert!(ServerConfig::from_toml("max_credits = 0").is_err());
        assert!(ServerConfig::from_toml("max_connections = 0").is_err());
        assert!(ServerConfig::from_toml("send_timeout_secs = 0").is_err());
    }
}
