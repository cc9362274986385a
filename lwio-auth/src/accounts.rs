//! The account database a logon is checked against: the one seam between the acceptors
//! (SMB session setup, authenticated DCE/RPC binds) and whoever keeps the accounts (the
//! SAM of `lwio-samr`, an appliance's own store, or a store held in memory for tests).
//!
//! An NTLM logon runs in three steps, and the store answers each:
//!
//! 1. [`AccountSource::nt_hash`]: the NT hash to verify the client's NTLMv2 response with
//!    (`None`: no such account, the logon fails or falls back to Guest by policy);
//! 2. the acceptor verifies the response (and, under SPNEGO, the mechListMIC);
//! 3. on success [`AccountSource::logon`] checks the account's restrictions (disabled,
//!    locked out, expired, password expired or to be changed) and builds the session's
//!    access token; on a wrong password [`AccountSource::logon_failed`] counts the failure
//!    toward lockout and says which status to answer.
//!
//! The statuses are Windows' for a local account (MS-APDS 3.1.5): ACCOUNT_DISABLED,
//! ACCOUNT_LOCKED_OUT, ACCOUNT_EXPIRED, PASSWORD_EXPIRED, PASSWORD_MUST_CHANGE and, for
//! everything else, LOGON_FAILURE.

use lwio_core::AccessToken;
use lwio_types::NtStatus;

use crate::ntlm::NtHash;

/// The accounts NTLM logons are verified against.
///
/// Names are case-insensitive. `domain` is what the client sent: a store accepts its own
/// domain name, the machine name and the empty domain for its accounts.
pub trait AccountSource: Send + Sync {
    /// The NT hash (MD4 of the UTF-16LE password) of `user`, `None` when there is no such
    /// account in `domain`.
    fn nt_hash(&self, user: &str, domain: &str) -> Option<NtHash>;

    /// `user`'s password verified: checks the account's restrictions and returns the
    /// token of the logon, or the status Windows gives (ACCOUNT_DISABLED,
    /// ACCOUNT_LOCKED_OUT, ...). A store records the logon here (last logon time, the
    /// bad-password count reset).
    fn logon(&self, user: &str, domain: &str) -> Result<AccessToken, NtStatus>;

    /// A password for `user` did not verify. A store with a lockout policy counts it;
    /// the status returned is the one to answer (LOGON_FAILURE, or ACCOUNT_LOCKED_OUT
    /// once the account is locked).
    fn logon_failed(&self, user: &str, domain: &str) -> NtStatus {
        let _ = (user, domain);
        NtStatus::LOGON_FAILURE
    }

    /// The token of the Guest account, `None` when the store has no enabled Guest.
    fn guest_token(&self) -> Option<AccessToken> {
        None
    }
}
