//! The redirector's settings.

use std::time::Duration;

use lwio_auth::smb3crypt::Cipher;
use lwio_smb2::Dialect;

/// The settings of a [`Redirector`](crate::Redirector).
#[derive(Debug, Clone)]
pub struct RdrConfig {
    /// The dialects offered, in any order (default 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1). Offer
    /// one to pin a connection to it.
    pub dialects: Vec<Dialect>,
    /// The most credits a connection asks for (available and in flight); bounds how many
    /// reads and writes are in flight at once (an 8 MiB read spends 128). Credits a server
    /// grants beyond it are kept (the server counts them as the client's), up to 65,536.
    pub max_credits: u16,
    /// The largest single READ or WRITE (further bounded by the server's MaxReadSize and
    /// MaxWriteSize, and to 64 KiB at dialect 2.0.2).
    pub max_io: u32,
    /// How long an unused connection (no open file) lives before the reaper closes it.
    pub idle_timeout: Duration,
    /// How long a file whose connection the network lost keeps trying to reconnect and
    /// reopen (default 20 s, long enough for a server to restart); zero: no reconnection.
    pub reconnect_timeout: Duration,
    /// Ask for durable handles on files (with the batch oplock they need; breaks are
    /// acknowledged at once): where the server grants one, a reconnect reclaims the open
    /// with its locks instead of reopening by name (default on).
    pub durable: bool,
    /// Ask for a lease (READ, WRITE and HANDLE caching; v2 at 3.x, v1 at 2.1) on every
    /// file opened on a disk share, and answer reads from a cache while it grants READ
    /// caching ([`crate::lease`]; default on). Off: no lease is asked for.
    pub leases: bool,
    /// Ask for a lease also on an open that may create the file (every disposition but
    /// FILE_OPEN; default on). Off, such an open has no lease (no write-behind, read
    /// cache or handle caching on that handle; a later open of the file asks for one as
    /// usual). Worth it for a bulk copy, which never reopens or rereads what it creates:
    /// smbd answers a few percent of the first WRITEs to a newly created leased file with
    /// an interim response (STATUS_PENDING, then the final one: one more message each
    /// way), none without the lease. `lwio cp`, `mv` and the other one-shot commands turn
    /// it off, `lwio mount` keeps it.
    pub lease_on_create: bool,
    /// How long a file's handle stays open on the server after the caller closed it,
    /// while its lease has HANDLE caching, for a reopen of the same name with the same
    /// access, sharing and options to reuse ([`crate::handles`]; default 2 s). Zero:
    /// every close closes at once.
    pub handle_linger: Duration,
    /// The most bytes one file's read cache keeps (default 8 MiB).
    pub cache_file_bytes: usize,
    /// The most bytes every file's read cache keeps together (default 64 MiB).
    pub cache_total_bytes: usize,
    /// The most bytes of short writes one file gathers under a lease's W before they go
    /// to the server as one WRITE ([`crate::writeback`]; default 4 MiB). Zero: every
    /// write goes to the server at once.
    pub write_behind_file_bytes: usize,
    /// The most bytes every file gathers together under W (default 64 MiB).
    pub write_behind_total_bytes: usize,
    /// The ClientGuid every connection of the redirector negotiates with (MS-SMB2 3.2.3:
    /// one per client; default random). Servers key leases and durable handles by it, so
    /// a reconnect reclaims a leased durable open only under the same one.
    pub client_guid: [u8; 16],
    /// How long a TCP connect and the logon may take.
    pub connect_timeout: Duration,
    /// Worker threads of the redirector's runtime.
    pub worker_threads: usize,
    /// The workstation name sent in the NTLM AUTHENTICATE.
    pub workstation: String,
    /// Encrypt every request of every session (SMB 3.x), even where the server does not
    /// require it; a server that cannot (a 2.x dialect, no common cipher) is refused with
    /// STATUS_ACCESS_DENIED. Where the server requires encryption (of the session or of a
    /// share) the client encrypts whatever this says.
    pub encrypt: bool,
    /// The ciphers offered at 3.1.1, most wanted first (default AES-128-GCM, AES-128-CCM,
    /// AES-256-GCM, AES-256-CCM); 3.0 and 3.0.2 know AES-128-CCM only, and encrypt only
    /// when it is listed. Empty: no encryption.
    pub ciphers: Vec<Cipher>,
}

impl Default for RdrConfig {
    fn default() -> Self {
        RdrConfig {
            dialects: vec![
                Dialect::SMB_2_0_2,
                Dialect::SMB_2_1,
                Dialect::SMB_3_0,
                Dialect::SMB_3_0_2,
                Dialect::SMB_3_1_1,
            ],
            max_credits: 1024,
            max_io: 8 * 1024 * 1024,
            idle_timeout: Duration::from_secs(60),
            reconnect_timeout: Duration::from_secs(20),
            durable: true,
            leases: true,
            lease_on_create: true,
            handle_linger: Duration::from_secs(2),
            cache_file_bytes: 8 << 20,
            cache_total_bytes: 64 << 20,
            write_behind_file_bytes: 4 << 20,
            write_behind_total_bytes: 64 << 20,
            client_guid: {
                let mut g = [0u8; 16];
                // Without the OS's randomness the GUID is merely predictable.
                let _ = getrandom::fill(&mut g);
                g
            },
            connect_timeout: Duration::from_secs(20),
            worker_threads: 2,
            workstation: "LWIO".into(),
            encrypt: false,
            ciphers: vec![
                Cipher::Aes128Gcm,
                Cipher::Aes128Ccm,
                Cipher::Aes256Gcm,
                Cipher::Aes256Ccm,
            ],
        }
    }
}
