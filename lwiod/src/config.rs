//! lwiod's configuration, from command-line arguments or a TOML file with the same
//! content. It becomes the library's plain [`Settings`] plus what the assembly in
//! [`crate::assemble`] needs: shares, accounts, the state directory, which pipes to serve,
//! the PVFS work queue and the RPC pool.
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
//! multichannel = true          # SMB 3.x multichannel: sessions bound to more connections
//! # SMB 3.1.1 compression: the algorithms offered (default all five; [] turns it off).
//! compression = ["lz77", "lz77_huffman", "lznt1", "pattern_v1", "lz4"]
//! # The Unix ids given to accounts, one each, in the order of [[user]] (see `accounts`).
//! unix_id_range = "70000-79999"
//! # Where the SAM and the shares added over srvsvc live (see below for the default).
//! state_dir = "/var/lib/lwio"
//! # rpcecho, the RPC test interface (smbtorture's rpc.echo): off by default.
//! rpcecho = false
//! # PVFS's work queue (its system calls run there): threads and queued requests;
//! # default four threads per CPU between 8 and 64, and 4096.
//! pvfs_threads = 16
//! pvfs_queue_limit = 4096
//! # Threads of the pool every RPC call runs on (default twice the CPUs, 4 to 32).
//! rpc_threads = 8
//!
//! # Resource bounds (defaults shown; see `Config` for each)
//! max_credits = 8192
//! unauthenticated_credits = 64
//! max_connection_buffer = 67108864   # bytes of requests and responses per connection
//! send_timeout_secs = 120
//! unacked_timeout_secs = 20          # TCP_USER_TIMEOUT: what the client's TCP must acknowledge in time (0: the kernel's)
//! max_connections = 16384
//! max_connections_per_address = 2048
//! max_unauthenticated_connections = 1024
//! fd_reserve = 512
//! max_session_setups = 64
//! session_setup_timeout_secs = 60
//! # Durable handles: how long a disconnected open waits for its client, and how many wait
//! durable_v1_timeout_secs = 960
//! durable_v2_max_timeout_secs = 300
//! max_detached_opens = 16384
//! max_detached_opens_per_user = 2048
//!
//! [local]                      # the local socket; see `local` for every key
//! mode = "0666"
//! admin_group = "lwioadmin"
//!
//! [[share]]
//! name = "data"
//! path = "/srv/data"
//! read_only = false
//! # Share permissions as SDDL (Windows' "Share Permissions"); without it, everyone
//! # authenticated may do what the files' own descriptors allow.
//! security = "D:(A;;FA;;;BA)(A;;0x1200a9;;;AU)"
//! encrypt_data = false         # require SMB 3.x encryption on this share
//! access_based_enumeration = false # list only the entries each caller may read
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
//! The accounts come from the SAM kept in the state directory (`DIR/sam.db`, created on
//! first start; `lwio user` and SAMR on `\pipe\samr` manage it), and `[[user]]` /
//! `--user` are only a quick-start seed: each is created in the SAM, enabled, when it
//! does not exist yet. The state directory is `state_dir` (`--state-dir DIR`), by default
//! [`default_state_dir`]: `/var/lib/lwio` for root, otherwise `$XDG_STATE_HOME/lwio` or
//! `~/.local/state/lwio`. `--no-state-dir` keeps the accounts in memory instead (no SAM,
//! no SAMR or LSA, shares added over srvsvc last until the server stops). `unix_mirror` (with
//! `unix_root` or `unix_prefix` for a throwaway passwd/group) mirrors SAM accounts into
//! the system's account files.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use lwio_srv::Settings;
use lwio_srv::accounts::UserConfig;
use serde::Deserialize;
use thiserror::Error;

/// The default state directory: `/var/lib/lwio` when running as root, otherwise
/// `$XDG_STATE_HOME/lwio`, or `$HOME/.local/state/lwio`; `None` without a home.
pub fn default_state_dir() -> Option<PathBuf> {
    if rustix::process::geteuid().is_root() {
        return Some(PathBuf::from("/var/lib/lwio"));
    }
    let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").and_then(non_empty) {
        return Some(xdg.join("lwio"));
    }
    std::env::var_os("HOME")
        .and_then(non_empty)
        .map(|home| home.join(".local/state/lwio"))
}

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

/// One account of the file: `[[user]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct UserEntry {
    name: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

/// One disk share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    /// The comment share enumeration shows.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Require SMB 3.x encryption on this share (MS-SMB2 `Share.EncryptData`, srvsvc's
    /// SHI1005_FLAGS_ENCRYPT_DATA): a client that cannot encrypt is refused with
    /// STATUS_ACCESS_DENIED unless `reject_unencrypted_access` is off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypt_data: bool,
    /// Access-based directory enumeration (srvsvc's SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM,
    /// MS-SMB2 `Share.DoAccessBasedDirectoryEnumeration`): a directory listing shows each
    /// caller only the entries whose descriptor grants it Windows' "Read" (FILE_READ_DATA,
    /// FILE_READ_EA, FILE_READ_ATTRIBUTES, READ_CONTROL). Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub access_based_enumeration: bool,
}

impl ShareConfig {
    /// A read-write share with no share-level permissions.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> ShareConfig {
        ShareConfig {
            name: name.into(),
            path: path.into(),
            read_only: false,
            security: None,
            comment: String::new(),
            encrypt_data: false,
            access_based_enumeration: false,
        }
    }
}

/// Everything lwiod needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Disk shares (PVFS).
    pub shares: Vec<ShareConfig>,
    /// Accounts: the SAM's quick-start seed, or the in-memory store without a state
    /// directory.
    pub users: Vec<UserConfig>,
    /// The engine's settings.
    pub settings: Settings,
    /// Let anonymous callers read what Windows' RestrictAnonymous=0 lets them read on the
    /// srvsvc and wkssvc pipes (share names, server information); off, they are refused.
    pub anonymous_pipes: bool,
    /// Where lwiod keeps its state (the SAM, the shares added over srvsvc); `None`:
    /// accounts held in memory, nothing kept.
    pub state_dir: Option<PathBuf>,
    /// Mirror SAM accounts into passwd/group (`Some(root)`; an empty root is the
    /// running system, see [`UnixMirrorConfig`]).
    pub unix_mirror: Option<UnixMirrorConfig>,
    /// The Unix uids and gids accounts get, one each in configuration order (see
    /// [`lwio_srv::accounts`]); default 70000-79999.
    pub unix_id_range: RangeInclusive<u32>,
    /// Serve rpcecho, the RPC test interface smbtorture's rpc.echo calls (off by default).
    pub rpcecho: bool,
    /// PVFS's work queue: worker threads (`None`: the process-wide queue's default).
    pub pvfs_threads: Option<usize>,
    /// PVFS's work queue: requests waiting for a worker (`None`: the default).
    pub pvfs_queue_limit: Option<usize>,
    /// Threads of the RPC pool (`None`: the process-wide pool).
    pub rpc_threads: Option<usize>,
    /// The local interface: a Unix socket for local programs (see [`crate::local`]).
    pub local: crate::local::LocalConfig,
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

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 4450)),
            shares: Vec::new(),
            users: Vec::new(),
            // Every share of lwiod is PVFS, which leases directories.
            settings: Settings {
                directory_leasing: true,
                ..Settings::default()
            },
            anonymous_pipes: false,
            state_dir: default_state_dir(),
            unix_mirror: None,
            unix_id_range: lwio_srv::accounts::DEFAULT_UNIX_IDS,
            rpcecho: false,
            pvfs_threads: None,
            pvfs_queue_limit: None,
            rpc_threads: None,
            local: crate::local::LocalConfig::default(),
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
    user: Vec<UserEntry>,
    signing_required: Option<bool>,
    allow_guest: Option<bool>,
    map_to_guest: Option<bool>,
    failed_logon_delay_ms: Option<u64>,
    anonymous_pipes: Option<bool>,
    encrypt_data: Option<bool>,
    reject_unencrypted_access: Option<bool>,
    multichannel: Option<bool>,
    compression: Option<Vec<String>>,
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
    unacked_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    max_unauthenticated_connections: Option<usize>,
    fd_reserve: Option<u64>,
    max_session_setups: Option<usize>,
    session_setup_timeout_secs: Option<u64>,
    durable_v1_timeout_secs: Option<u64>,
    durable_v2_max_timeout_secs: Option<u64>,
    max_detached_opens: Option<usize>,
    max_detached_opens_per_user: Option<usize>,
    state_dir: Option<PathBuf>,
    unix_mirror: Option<bool>,
    unix_root: Option<PathBuf>,
    unix_prefix: Option<PathBuf>,
    unix_id_range: Option<String>,
    rpcecho: Option<bool>,
    pvfs_threads: Option<usize>,
    pvfs_queue_limit: Option<usize>,
    rpc_threads: Option<usize>,
    local: Option<crate::local::LocalFile>,
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
    /// Require SMB 3.x encryption on every session.
    #[arg(long)]
    pub encrypt_data: bool,
    /// Require SMB 3.x encryption on the share NAME (repeatable).
    #[arg(long = "encrypt-share", value_name = "NAME")]
    pub encrypt_shares: Vec<String>,
    /// List to each caller only the entries it may read, on the share NAME (access-based
    /// enumeration; repeatable).
    #[arg(long = "abe-share", value_name = "NAME")]
    pub abe_shares: Vec<String>,
    /// Serve unencrypted requests where encryption is required, and clients that cannot
    /// encrypt (they are refused with STATUS_ACCESS_DENIED by default).
    #[arg(long)]
    pub no_reject_unencrypted: bool,
    /// Turn SMB 3.x multichannel off (NEGOTIATE then does not advertise it, and a
    /// binding request is refused with STATUS_REQUEST_NOT_ACCEPTED).
    #[arg(long)]
    pub no_multichannel: bool,
    /// The SMB 3.1.1 compression algorithms offered, comma-separated, from lz77,
    /// lz77_huffman, lznt1, pattern_v1 and lz4 (default all); `none` turns it off.
    #[arg(long, value_name = "LIST")]
    pub compression: Option<String>,
    /// The Unix ids accounts get, FIRST-LAST (default 70000-79999).
    #[arg(long, value_name = "FIRST-LAST")]
    pub unix_id_range: Option<String>,
    /// A TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Keep state (the SAM account database, shares added over srvsvc) in DIR; --user
    /// and --admin only seed accounts that do not exist yet. Default: /var/lib/lwio as
    /// root, else $XDG_STATE_HOME/lwio or ~/.local/state/lwio.
    #[arg(long, value_name = "DIR", conflicts_with = "no_state_dir")]
    pub state_dir: Option<PathBuf>,
    /// Keep no state: accounts in memory (no SAM, no SAMR or LSA), shares added over
    /// srvsvc forgotten at exit.
    #[arg(long)]
    pub no_state_dir: bool,
    /// Serve rpcecho, the RPC test interface (smbtorture's rpc.echo); off by default.
    #[arg(long)]
    pub rpcecho: bool,
    /// Mirror SAM accounts and groups into the system's passwd and group files.
    #[arg(long)]
    pub unix_mirror: bool,
    /// With --unix-mirror: work on the account files under this chroot.
    #[arg(long, value_name = "DIR")]
    pub unix_root: Option<PathBuf>,
    /// With --unix-mirror: work on DIR/etc/passwd and DIR/etc/group.
    #[arg(long, value_name = "DIR")]
    pub unix_prefix: Option<PathBuf>,
    /// The local interface's socket (default: lwiod.sock in the state directory).
    #[arg(long, value_name = "PATH")]
    pub local_socket: Option<PathBuf>,
    /// The local socket's permission bits, in octal (default 0666).
    #[arg(long, value_name = "OCTAL")]
    pub local_mode: Option<String>,
    /// A Unix group whose members get an administrator's token on the local socket.
    #[arg(long, value_name = "GROUP")]
    pub local_admin_group: Option<String>,
    /// Connections one local uid may hold at once (default 16; root is exempt).
    #[arg(long, value_name = "N")]
    pub local_max_per_uid: Option<usize>,
    /// No local interface.
    #[arg(long)]
    pub no_local: bool,
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
/// The compression algorithms named in a list (`lz77`, `lz77_huffman`, `lznt1`,
/// `pattern_v1`, `lz4`).
fn parse_compression<'a>(
    names: impl Iterator<Item = &'a str>,
) -> Result<Vec<lwio_srv::CompressionAlgorithm>, ConfigError> {
    use lwio_srv::CompressionAlgorithm as A;
    names
        .map(|n| match n.to_ascii_lowercase().as_str() {
            "lz77" => Ok(A::LZ77),
            "lz77_huffman" | "lz77+huffman" => Ok(A::LZ77_HUFFMAN),
            "lznt1" => Ok(A::LZNT1),
            "pattern_v1" => Ok(A::PATTERN_V1),
            "lz4" => Ok(A::LZ4),
            _ => Err(ConfigError::Invalid(format!(
                "unknown compression algorithm {n}"
            ))),
        })
        .collect()
}

fn parse_id_range(text: &str) -> Result<RangeInclusive<u32>, ConfigError> {
    let bad = || ConfigError::Invalid(format!("unix_id_range {text:?}: expected FIRST-LAST"));
    let (first, last) = text.split_once('-').ok_or_else(bad)?;
    let first: u32 = first.trim().parse().map_err(|_| bad())?;
    let last: u32 = last.trim().parse().map_err(|_| bad())?;
    Ok(first..=last)
}

impl Config {
    /// Reads a TOML configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Parses the TOML text of a configuration file.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        let mut c = Config::default();
        c.apply_file(file)?;
        c.check()?;
        Ok(c)
    }

    fn apply_file(&mut self, f: FileConfig) -> Result<(), ConfigError> {
        set(&mut self.rpcecho, f.rpcecho);
        self.pvfs_threads = f.pvfs_threads.or(self.pvfs_threads);
        self.pvfs_queue_limit = f.pvfs_queue_limit.or(self.pvfs_queue_limit);
        self.rpc_threads = f.rpc_threads.or(self.rpc_threads);
        if let Some(v) = &f.unix_id_range {
            self.unix_id_range = parse_id_range(v)?;
        }
        if let Some(v) = f.listen {
            self.listen = v;
        }
        self.apply_bounds(&f);
        if let Some(local) = f.local {
            self.local.apply(local).map_err(ConfigError::Invalid)?;
        }
        self.shares.extend(f.share);
        self.users.extend(f.user.into_iter().map(|u| UserConfig {
            name: u.name,
            password: u.password,
            admin: u.admin,
        }));
        if let Some(v) = f.signing_required {
            self.settings.signing_required = v;
        }
        if let Some(v) = f.allow_guest {
            self.settings.allow_guest = v;
        }
        if let Some(v) = f.map_to_guest {
            self.settings.map_to_guest = v;
        }
        if let Some(v) = f.failed_logon_delay_ms {
            self.settings.failed_logon_delay = Duration::from_millis(v);
        }
        if let Some(v) = f.anonymous_pipes {
            self.anonymous_pipes = v;
        }
        if let Some(v) = f.encrypt_data {
            self.settings.encrypt_data = v;
        }
        if let Some(v) = f.reject_unencrypted_access {
            self.settings.reject_unencrypted_access = v;
        }
        if let Some(v) = f.multichannel {
            self.settings.multichannel = v;
        }
        if let Some(list) = &f.compression {
            self.settings.compression = parse_compression(list.iter().map(String::as_str))?;
        }
        if let Some(v) = f.max_message {
            self.settings.max_message = v;
        }
        if let Some(v) = f.max_read_write {
            self.settings.max_read_write = v;
        }
        if let Some(v) = f.max_opens_per_session {
            self.settings.max_opens_per_session = v;
        }
        if let Some(v) = f.max_outstanding_requests {
            self.settings.max_outstanding_requests = v;
        }
        if let Some(v) = f.idle_timeout_secs {
            self.settings.idle_timeout = Duration::from_secs(v);
        }
        if let Some(v) = f.unauthenticated_timeout_secs {
            self.settings.unauthenticated_timeout = Duration::from_secs(v);
        }
        if f.state_dir.is_some() {
            self.state_dir = f.state_dir;
        }
        if let Some(m) = mirror_config(f.unix_mirror.unwrap_or(false), f.unix_root, f.unix_prefix) {
            self.unix_mirror = Some(m);
        }
        Ok(())
    }

    fn apply_bounds(&mut self, f: &FileConfig) {
        let secs = Duration::from_secs;
        let s = &mut self.settings;
        set(&mut s.max_credits, f.max_credits);
        set(&mut s.unauthenticated_credits, f.unauthenticated_credits);
        set(&mut s.max_connection_buffer, f.max_connection_buffer);
        set(&mut s.send_timeout, f.send_timeout_secs.map(secs));
        set(&mut s.unacked_timeout, f.unacked_timeout_secs.map(secs));
        set(&mut s.max_connections, f.max_connections);
        set(
            &mut s.max_connections_per_address,
            f.max_connections_per_address,
        );
        set(
            &mut s.max_unauthenticated_connections,
            f.max_unauthenticated_connections,
        );
        set(&mut s.fd_reserve, f.fd_reserve);
        set(&mut s.max_session_setups, f.max_session_setups);
        set(
            &mut s.session_setup_timeout,
            f.session_setup_timeout_secs.map(secs),
        );
        set(
            &mut s.durable_v1_timeout,
            f.durable_v1_timeout_secs.map(secs),
        );
        set(
            &mut s.durable_v2_max_timeout,
            f.durable_v2_max_timeout_secs.map(secs),
        );
        set(&mut s.max_detached_opens, f.max_detached_opens);
        set(
            &mut s.max_detached_opens_per_user,
            f.max_detached_opens_per_user,
        );
    }

    /// Builds a configuration from parsed arguments (and the file they name).
    pub fn from_args(args: Args) -> Result<Config, ConfigError> {
        let mut c = match &args.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
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
        for name in &args.encrypt_shares {
            c.share_mut(name, "--encrypt-share")?.encrypt_data = true;
        }
        for name in &args.abe_shares {
            c.share_mut(name, "--abe-share")?.access_based_enumeration = true;
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
        c.settings.signing_required |= args.signing_required;
        if args.no_signing_required {
            c.settings.signing_required = false;
        }
        c.settings.allow_guest |= args.allow_guest;
        c.settings.map_to_guest |= args.map_to_guest;
        if let Some(ms) = args.failed_logon_delay_ms {
            c.settings.failed_logon_delay = Duration::from_millis(ms);
        }
        c.anonymous_pipes |= args.anonymous_pipes;
        c.settings.encrypt_data |= args.encrypt_data;
        if args.no_reject_unencrypted {
            c.settings.reject_unencrypted_access = false;
        }
        if args.no_multichannel {
            c.settings.multichannel = false;
        }
        if let Some(list) = &args.compression {
            c.settings.compression = match list.trim() {
                "none" | "" => Vec::new(),
                l => parse_compression(l.split(',').map(str::trim))?,
            };
        }
        c.rpcecho |= args.rpcecho;
        if args.state_dir.is_some() {
            c.state_dir = args.state_dir;
        }
        if args.no_state_dir {
            c.state_dir = None;
        }
        if let Some(m) = mirror_config(args.unix_mirror, args.unix_root, args.unix_prefix) {
            c.unix_mirror = Some(m);
        }
        if args.local_socket.is_some() {
            c.local.socket = args.local_socket;
        }
        if let Some(m) = &args.local_mode {
            c.local.mode = crate::local::parse_mode(m).map_err(ConfigError::Invalid)?;
        }
        if args.local_admin_group.is_some() {
            c.local.admin_group = args.local_admin_group;
        }
        if let Some(n) = args.local_max_per_uid {
            if n == 0 {
                return Err(ConfigError::Invalid(
                    "--local-max-per-uid must be at least 1".into(),
                ));
            }
            c.local.max_connections_per_uid = n;
        }
        c.local.enabled &= !args.no_local;
        c.check()?;
        Ok(c)
    }

    /// Parses a command line (the first item is the program name).
    pub fn from_cli<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = Args::try_parse_from(args).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Config::from_args(args)
    }

    fn share_mut(&mut self, name: &str, flag: &str) -> Result<&mut ShareConfig, ConfigError> {
        self.shares
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ConfigError::Invalid(format!("{flag} {name}: no such share")))
    }

    fn check(&mut self) -> Result<(), ConfigError> {
        self.settings
            .check()
            .map_err(|e| ConfigError::Invalid(e.0))?;
        let server = [
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        ];
        lwio_srv::accounts::unix_ids(&self.unix_id_range, self.users.len(), &server)
            .map_err(ConfigError::Invalid)?;
        for s in &self.shares {
            if s.name.is_empty()
                || s.name.contains(['\\', '/', '\0'])
                || s.name.eq_ignore_ascii_case("IPC$")
                || s.name.eq_ignore_ascii_case(crate::NPFS_DEVICE)
            {
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
        let cli = Config::from_cli([
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
        let toml = Config::from_toml(
            "listen = \"127.0.0.1:9999\"\nsigning_required = true\n\
             [[share]]\nname = \"data\"\npath = \"/tmp/x\"\n\
             [[user]]\nname = \"alice\"\npassword = \"pw:with:colons\"\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert_eq!(cli.users[0].password, "pw:with:colons");
        assert!(cli.settings.max_message > cli.settings.max_read_write as usize);
    }

    #[test]
    fn compression_from_cli_and_toml() {
        use lwio_srv::CompressionAlgorithm as A;
        assert_eq!(
            Config::default().settings.compression,
            lwio_srv::COMPRESSION_ALGORITHMS.to_vec()
        );
        let cli = Config::from_cli(["lwiod", "--compression", "lz4, lznt1"]).unwrap();
        let toml = Config::from_toml("compression = [\"lz4\", \"lznt1\"]").unwrap();
        assert_eq!(cli.settings.compression, vec![A::LZ4, A::LZNT1]);
        assert_eq!(cli, toml);
        assert!(
            Config::from_cli(["lwiod", "--compression", "none"])
                .unwrap()
                .settings
                .compression
                .is_empty()
        );
        assert!(
            Config::from_toml("compression = []")
                .unwrap()
                .settings
                .compression
                .is_empty()
        );
        assert!(Config::from_cli(["lwiod", "--compression", "zstd"]).is_err());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(Config::from_cli(["lwiod", "--share", "nopath"]).is_err());
        assert!(Config::from_cli(["lwiod", "--user", "nopass"]).is_err());
        assert!(Config::from_toml("bogus = 1").is_err());
        assert!(Config::from_toml("max_read_write = 1000").is_err());
        assert!(Config::from_cli(["lwiod", "--read-only", "nosuch"]).is_err());
        assert!(
            Config::from_cli(["lwiod", "--share", "d=/x", "--share-acl", "d=D:(bogus"]).is_err()
        );
    }

    #[test]
    fn state_dir_and_mirror_from_cli_and_toml() {
        let cli = Config::from_cli([
            "lwiod",
            "--state-dir",
            "/var/lib/lwio",
            "--unix-mirror",
            "--unix-prefix",
            "/tmp/p",
        ])
        .unwrap();
        let toml = Config::from_toml(
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
        assert_eq!(
            Config::from_cli(["lwiod"]).unwrap().state_dir,
            default_state_dir()
        );
        assert_eq!(
            Config::from_cli(["lwiod", "--no-state-dir"])
                .unwrap()
                .state_dir,
            None
        );
        assert!(Config::from_cli(["lwiod", "--no-state-dir", "--state-dir", "/x"]).is_err());
    }

    #[test]
    fn unix_id_range_from_cli_and_toml() {
        let cli = Config::from_cli(["lwiod", "--unix-id-range", "90000-90009"]).unwrap();
        let toml = Config::from_toml("unix_id_range = \"90000-90009\"\n").unwrap();
        assert_eq!(cli, toml);
        assert_eq!(cli.unix_id_range, 90_000..=90_009);
        assert_eq!(
            Config::default().unix_id_range,
            lwio_srv::accounts::DEFAULT_UNIX_IDS
        );
        for bad in ["90000", "a-b", "0-10", "10-5"] {
            assert!(
                Config::from_cli(["lwiod", "--unix-id-range", bad]).is_err(),
                "{bad}"
            );
        }
        // Too small for the accounts.
        assert!(
            Config::from_cli([
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
        let cli = Config::from_cli([
            "lwiod",
            "--share",
            "data=/tmp/x",
            "--read-only",
            "DATA",
            "--share-acl",
            "data=D:(A;;0x1200a9;;;WD)",
        ])
        .unwrap();
        let toml = Config::from_toml(
            "[[share]]\nname = \"data\"\npath = \"/tmp/x\"\nread_only = true\n\
             security = \"D:(A;;0x1200a9;;;WD)\"\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(cli.shares[0].read_only);
    }

    #[test]
    fn logon_options_default_to_windows_and_relax_alike() {
        let d = Config::default();
        assert!(d.settings.signing_required && !d.settings.allow_guest && !d.settings.map_to_guest);
        assert_eq!(d.settings.failed_logon_delay, Duration::from_secs(2));
        let cli = Config::from_cli([
            "lwiod",
            "--no-signing-required",
            "--map-to-guest",
            "--failed-logon-delay-ms",
            "0",
        ])
        .unwrap();
        let toml = Config::from_toml(
            "signing_required = false\nmap_to_guest = true\nfailed_logon_delay_ms = 0\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(
            !cli.settings.signing_required
                && cli.settings.map_to_guest
                && !cli.settings.allow_guest
        );
        assert!(cli.settings.failed_logon_delay.is_zero());
        assert!(
            Config::from_cli(["lwiod", "--signing-required", "--no-signing-required"]).is_err()
        );
    }

    #[test]
    fn resource_bounds_from_toml() {
        let d = Config::default();
        assert_eq!(d.settings.max_credits, 8192);
        assert!(d.settings.unauthenticated_credits < d.settings.max_credits);
        let c = Config::from_toml(
            "max_credits = 128\nunauthenticated_credits = 500\nmax_connection_buffer = 4096\n\
             send_timeout_secs = 3\nmax_connections = 10\nmax_connections_per_address = 2\n\
             max_unauthenticated_connections = 4\nfd_reserve = 9\nmax_session_setups = 5\n\
             session_setup_timeout_secs = 7\ndurable_v1_timeout_secs = 30\n\
             durable_v2_max_timeout_secs = 20\nmax_detached_opens = 11\n\
             max_detached_opens_per_user = 3\nunacked_timeout_secs = 0\n",
        )
        .unwrap();
        assert_eq!(c.settings.max_credits, 128);
        assert_eq!(
            c.settings.unauthenticated_credits, 128,
            "never above max_credits"
        );
        assert_eq!(c.settings.max_connection_buffer, 4096);
        assert_eq!(c.settings.send_timeout, Duration::from_secs(3));
        assert_eq!(
            c.settings.unacked_timeout,
            Duration::ZERO,
            "0: the kernel's"
        );
        assert_eq!(d.settings.unacked_timeout, Duration::from_secs(20));
        assert_eq!(
            (
                c.settings.max_connections,
                c.settings.max_connections_per_address
            ),
            (10, 2)
        );
        assert_eq!(c.settings.max_unauthenticated_connections, 4);
        assert_eq!(c.settings.fd_reserve, 9);
        assert_eq!(c.settings.max_session_setups, 5);
        assert_eq!(c.settings.session_setup_timeout, Duration::from_secs(7));
        assert_eq!(c.settings.durable_v1_timeout, Duration::from_secs(30));
        assert_eq!(c.settings.durable_v2_max_timeout, Duration::from_secs(20));
        assert_eq!(
            (
                c.settings.max_detached_opens,
                c.settings.max_detached_opens_per_user
            ),
            (11, 3)
        );
        assert!(Config::from_toml("max_credits = 0").is_err());
        assert!(Config::from_toml("max_connections = 0").is_err());
        assert!(Config::from_toml("send_timeout_secs = 0").is_err());
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn rpcecho_and_pools_from_cli_and_toml() {
        assert!(!Config::default().rpcecho, "rpcecho is off by default");
        let cli = Config::from_cli(["lwiod", "--rpcecho"]).unwrap();
        let toml = Config::from_toml("rpcecho = true\n").unwrap();
        assert_eq!(cli, toml);
        let c =
            Config::from_toml("pvfs_threads = 3\npvfs_queue_limit = 9\nrpc_threads = 2\n").unwrap();
        assert_eq!(
            (c.pvfs_threads, c.pvfs_queue_limit, c.rpc_threads),
            (Some(3), Some(9), Some(2))
        );
    }

    #[test]
    fn encryption_options_from_cli_and_toml() {
        let d = Config::default();
        assert!(!d.settings.encrypt_data && d.settings.reject_unencrypted_access);
        let cli = Config::from_cli([
            "lwiod",
            "--share",
            "data=/tmp/x",
            "--encrypt-share",
            "DATA",
            "--encrypt-data",
            "--no-reject-unencrypted",
        ])
        .unwrap();
        let toml = Config::from_toml(
            "encrypt_data = true\nreject_unencrypted_access = false\n\
             [[share]]\nname = \"data\"\npath = \"/tmp/x\"\nencrypt_data = true\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(
            cli.settings.encrypt_data
                && !cli.settings.reject_unencrypted_access
                && cli.shares[0].encrypt_data
        );
        assert!(Config::from_cli(["lwiod", "--encrypt-share", "nosuch"]).is_err());
    }

    #[test]
    fn access_based_enumeration_from_cli_and_toml() {
        assert!(!ShareConfig::new("d", "/tmp/x").access_based_enumeration);
        let cli =
            Config::from_cli(["lwiod", "--share", "hide=/tmp/x", "--abe-share", "HIDE"]).unwrap();
        let toml = Config::from_toml(
            "[[share]]\nname = \"hide\"\npath = \"/tmp/x\"\naccess_based_enumeration = true\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert!(cli.shares[0].access_based_enumeration);
        assert!(Config::from_cli(["lwiod", "--abe-share", "nosuch"]).is_err());
    }

    #[test]
    fn multichannel_from_cli_and_toml() {
        assert!(Config::default().settings.multichannel);
        let cli = Config::from_cli(["lwiod", "--no-multichannel"]).unwrap();
        let toml = Config::from_toml("multichannel = false\n").unwrap();
        assert_eq!(cli, toml);
        assert!(!cli.settings.multichannel);
    }

    #[test]
    fn local_interface_from_cli_and_toml() {
        let d = Config::default();
        assert_eq!(
            d.local.socket_path(Some(std::path::Path::new("/s"))),
            Some(PathBuf::from("/s/lwiod.sock"))
        );
        let cli = Config::from_cli([
            "lwiod",
            "--local-socket",
            "/run/l.sock",
            "--local-mode",
            "0660",
            "--local-admin-group",
            "wheel",
            "--local-max-per-uid",
            "4",
        ])
        .unwrap();
        let toml = Config::from_toml(
            "[local]\nsocket = \"/run/l.sock\"\nmode = \"0660\"\nadmin_group = \"wheel\"\n\
             max_connections_per_uid = 4\n",
        )
        .unwrap();
        assert_eq!(cli, toml);
        assert_eq!(cli.local.mode, 0o660);
        assert_eq!(
            (
                d.local.max_connections_per_uid,
                cli.local.max_connections_per_uid
            ),
            (16, 4)
        );
        assert!(Config::from_cli(["lwiod", "--local-max-per-uid", "0"]).is_err());
        let off = Config::from_cli(["lwiod", "--no-local"]).unwrap();
        assert_eq!(
            off.local.socket_path(Some(std::path::Path::new("/s"))),
            None
        );
        assert!(Config::from_cli(["lwiod", "--local-mode", "999"]).is_err());
        assert!(Config::from_toml("[local]\nmax_in_flight = 0\n").is_err());
    }

    #[test]
    fn reserved_share_names_are_refused() {
        for name in ["IPC$", "ipc$", "npfs", "a/b"] {
            let arg = format!("{name}=/tmp");
            assert!(
                Config::from_cli(["lwiod", "--share", &arg]).is_err(),
                "{name}"
            );
        }
    }
}
