//! The engine's settings: logon policy and the bound on every resource a client can take.
//!
//! [`Settings`] is a plain struct with Windows' defaults; an application fills it however
//! it reads its configuration (lwiod reads a command line and a TOML file) and hands it
//! to [`ServerBuilder::settings`](crate::server::ServerBuilder::settings). The library
//! parses nothing. [`Settings::check`] refuses the values the engine cannot run with and
//! brings the message and I/O sizes into agreement; the builder calls it.

use std::time::Duration;

use lwio_smb2::negotiate::CompressionAlgorithm;
use thiserror::Error;

/// The default listening address: loopback, an unprivileged port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4450";

/// Windows Server 2025's default authentication rate limiter delay.
pub const DEFAULT_FAILED_LOGON_DELAY: Duration = Duration::from_secs(2);

/// Windows' durable v1 timeout (MS-SMB2 3.3.5.9.6, product behavior note 324).
pub const DEFAULT_DURABLE_V1_TIMEOUT: Duration = Duration::from_secs(16 * 60);

/// 8 MiB of read/write payload.
pub const DEFAULT_MAX_READ_WRITE: u32 = 8 * 1024 * 1024;

/// A setting the engine cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Everything the connection engine needs besides its shares and accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
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
    /// Require SMB 3.x encryption on every session (MS-SMB2 global `EncryptData`): sessions
    /// get SMB2_SESSION_FLAG_ENCRYPT_DATA. Off by default. A share may require it alone
    /// ([`Share::encrypts_data`](crate::Share::encrypts_data)).
    pub encrypt_data: bool,
    /// Refuse, with STATUS_ACCESS_DENIED, a client that cannot encrypt where encryption is
    /// required, and any unencrypted request on a session or share that requires it
    /// (MS-SMB2 `RejectUnencryptedAccess`). On by default, as on Windows.
    pub reject_unencrypted_access: bool,
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
    /// A TCP connection whose client has not acknowledged what the server sent for this
    /// long (at the TCP level: its host is gone, or the path to it) is closed, and its
    /// opens with it (MS-SMB2 3.3.7.1), as Windows' TCP gives up after its
    /// retransmissions (TcpMaxDataRetransmissions, five: about 20 s on a local network).
    /// Set as the socket's TCP_USER_TIMEOUT; zero keeps the kernel's default (some
    /// fifteen minutes). So a client cut off while it holds an oplock loses its handles
    /// before the 35 s break timeout runs out, and the open that broke the oplock gets
    /// what it would get with the file to itself (smbtorture's smb2.oplock.batch22b).
    pub unacked_timeout: Duration,
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
    /// The SMB 3.1.1 compression algorithms the server offers (MS-SMB2 2.2.3.1.3), any of
    /// LZNT1, LZ77, LZ77+Huffman, Pattern_V1 and LZ4; a client gets those it offers too,
    /// in its own order. Empty turns compression off (the context is not answered). All
    /// five by default.
    pub compression: Vec<CompressionAlgorithm>,
    /// How long a durable v1 open (DHnQ) waits for its client after its connection
    /// dropped (MS-SMB2 `Open.DurableOpenTimeout`): 16 minutes, as Windows.
    pub durable_v1_timeout: Duration,
    /// The timeout of a durable v2 open (DH2Q) that asks for none: 60 seconds, as Windows
    /// Server 2012 and later.
    pub durable_v2_default_timeout: Duration,
    /// The longest timeout a durable v2 open gets, whatever it asks: 300 seconds.
    pub durable_v2_max_timeout: Duration,
    /// The most disconnected durable opens the server keeps; beyond it, an open whose
    /// connection drops is closed.
    pub max_detached_opens: usize,
    /// The most disconnected durable opens of one user.
    pub max_detached_opens_per_user: usize,
    /// SMB 3.x multichannel (MS-SMB2 `IsMultiChannelCapable`): NEGOTIATE advertises
    /// SMB2_GLOBAL_CAP_MULTI_CHANNEL to a 3.x client that announces it, and a session may
    /// be bound to further connections (at most 32). On by default, as Windows and Samba
    /// 4.15+; off, a binding request is STATUS_REQUEST_NOT_ACCEPTED.
    pub multichannel: bool,
    /// How long a channel of a multichannel session may stay silent (no frame from the
    /// client) after a lease break that needs an acknowledgment went out on it before it
    /// is taken for failed: it is closed and the break sent again on the session's next
    /// channel ([`crate::channel::breaks`]). 5 s by default; at least 1 ms.
    pub break_resend_after: Duration,
    /// Directory leases (MS-SMB2 `Server.SupportsDirectoryLeasing`): NEGOTIATE advertises
    /// SMB2_GLOBAL_CAP_DIRECTORY_LEASING at 3.x and a directory's create is granted the
    /// R or RH lease its file system allows (`files/lease.rs`). Off by default: turn it on
    /// when the shares' file systems lease directories (PVFS does; memfs and the
    /// redirector do not).
    pub directory_leasing: bool,
}

/// Every compression algorithm the server implements.
pub const COMPRESSION_ALGORITHMS: [CompressionAlgorithm; 5] = [
    CompressionAlgorithm::LZ77,
    CompressionAlgorithm::LZ77_HUFFMAN,
    CompressionAlgorithm::LZNT1,
    CompressionAlgorithm::PATTERN_V1,
    CompressionAlgorithm::LZ4,
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            signing_required: true,
            allow_guest: false,
            map_to_guest: false,
            failed_logon_delay: DEFAULT_FAILED_LOGON_DELAY,
            encrypt_data: false,
            reject_unencrypted_access: true,
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
            unacked_timeout: Duration::from_secs(20),
            max_connections: 16384,
            max_connections_per_address: 2048,
            max_unauthenticated_connections: 1024,
            fd_reserve: 512,
            max_session_setups: 64,
            session_setup_timeout: Duration::from_secs(60),
            compression: COMPRESSION_ALGORITHMS.to_vec(),
            durable_v1_timeout: DEFAULT_DURABLE_V1_TIMEOUT,
            durable_v2_default_timeout: Duration::from_secs(60),
            durable_v2_max_timeout: Duration::from_secs(300),
            max_detached_opens: 16 * 1024,
            max_detached_opens_per_user: 2048,
            multichannel: true,
            break_resend_after: Duration::from_secs(5),
            directory_leasing: false,
        }
    }
}

impl Settings {
    /// Refuses what the engine cannot run with (no credits, no connections, zero
    /// timeouts, reads under 1 MiB) and brings the rest into agreement: at most
    /// `max_credits` before logon, a message large enough for the largest read and no
    /// larger than a Direct TCP frame.
    pub fn check(&mut self) -> Result<(), SettingsError> {
        if !(1..=65535).contains(&self.max_credits) {
            return Err(SettingsError(
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
            return Err(SettingsError(format!("{name} must be at least 1")));
        }
        if self.break_resend_after.is_zero() {
            return Err(SettingsError(
                "break_resend_after must be more than zero".into(),
            ));
        }
        if self.send_timeout.is_zero() || self.session_setup_timeout.is_zero() {
            return Err(SettingsError(
                "send_timeout_secs and session_setup_timeout_secs must be at least 1".into(),
            ));
        }
        if let Some(a) = self
            .compression
            .iter()
            .find(|a| !COMPRESSION_ALGORITHMS.contains(a))
        {
            return Err(SettingsError(format!(
                "compression algorithm {a:?} is not implemented"
            )));
        }
        if self.max_read_write < 1024 * 1024 {
            return Err(SettingsError(
                "max_read_write must be at least 1 MiB".into(),
            ));
        }
        self.max_message = self
            .max_message
            .max(self.max_read_write as usize + 4096)
            .min(lwio_smb2::frame::MAX_FRAME_LEN);
        self.max_read_write = self.max_read_write.min((self.max_message - 4096) as u32);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_windows_and_check_keeps_them() {
        let mut d = Settings::default();
        assert!(d.signing_required && !d.allow_guest && !d.map_to_guest);
        assert_eq!(d.failed_logon_delay, Duration::from_secs(2));
        assert_eq!(d.max_credits, 8192);
        let before = d.clone();
        d.check().unwrap();
        assert_eq!(d, before);
        assert!(d.max_message > d.max_read_write as usize);
    }

    #[test]
    fn check_refuses_and_clamps() {
        let bad = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            s.check().is_err()
        };
        assert!(bad(|s| s.max_credits = 0));
        assert!(bad(|s| s.max_connections = 0));
        assert!(bad(|s| s.send_timeout = Duration::ZERO));
        assert!(bad(|s| s.break_resend_after = Duration::ZERO));
        assert!(bad(|s| s.max_read_write = 1000));
        let mut s = Settings {
            max_credits: 128,
            unauthenticated_credits: 500,
            ..Settings::default()
        };
        s.check().unwrap();
        assert_eq!(s.unauthenticated_credits, 128, "never above max_credits");
    }
}
