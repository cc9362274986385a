//! The redirector's errors, and the NTSTATUS each becomes in an IRP.

use lwio_types::NtStatus;

/// Why a remote operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RdrError {
    /// The server answered with this status; it passes through unchanged.
    #[error("the server answered {0}")]
    Status(NtStatus),
    /// No TCP connection could be made.
    #[error("cannot connect to {server}: {reason}")]
    Connect {
        /// `host:port`.
        server: String,
        /// The socket error.
        reason: String,
    },
    /// The connection failed (a malformed or lying response, a closed socket); every
    /// request waiting on it fails with this.
    #[error("connection to the server lost: {0}")]
    Disconnected(String),
    /// The server offers no dialect this client asked for, or answered the negotiate
    /// wrongly.
    #[error("negotiate failed: {0}")]
    Negotiate(String),
    /// The logon failed on the client's side (the server's token did not verify).
    #[error("logon failed: {0}")]
    Logon(String),
    /// Encryption is required (by the server, of the session or a share, or by the
    /// caller) but the connection cannot encrypt: a 2.x dialect, no cipher in common, a
    /// guest or anonymous session without a key.
    #[error(
        "encryption is required but this connection cannot encrypt (a 2.x dialect, no common cipher or a guest session)"
    )]
    EncryptionRequired,
}

impl RdrError {
    /// The NTSTATUS an IRP completes with.
    ///
    /// - a server's status: itself;
    /// - no connection: STATUS_BAD_NETWORK_PATH (what Windows' redirector reports for a
    ///   server it cannot reach);
    /// - a lost or poisoned connection: STATUS_CONNECTION_DISCONNECTED;
    /// - no common dialect: STATUS_NOT_SUPPORTED (MS-SMB2 3.2.5.2: the client fails the
    ///   connection);
    /// - a logon the client refused (the server's mechListMIC did not verify):
    ///   STATUS_LOGON_FAILURE;
    /// - encryption required but impossible: STATUS_ACCESS_DENIED, what a server answers
    ///   a client that does not encrypt (MS-SMB2 3.3.5.2.9, 3.3.5.2.11).
    pub fn status(&self) -> NtStatus {
        match self {
            RdrError::Status(s) => *s,
            RdrError::Connect { .. } => NtStatus::BAD_NETWORK_PATH,
            RdrError::Disconnected(_) => NtStatus::CONNECTION_DISCONNECTED,
            RdrError::Negotiate(_) => NtStatus::NOT_SUPPORTED,
            RdrError::Logon(_) => NtStatus::LOGON_FAILURE,
            RdrError::EncryptionRequired => NtStatus::ACCESS_DENIED,
        }
    }
}
