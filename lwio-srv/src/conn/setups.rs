//! Session setups in progress on one connection: how many there are, and which have
//! waited too long.
//!
//! A SESSION_SETUP with SessionId 0 makes a session slot that holds the logon exchange
//! (lwio-auth's acceptor) until the client's next leg (MS-SMB2 3.3.5.5.1). A client that
//! starts exchanges and never finishes them would hold those slots for the life of the
//! connection, so the engine bounds them: a connection may have at most
//! `max_session_setups` in progress, a new one beyond that is refused with
//! STATUS_REQUEST_NOT_ACCEPTED (what Windows answers a logon when it is at its session
//! limit: "no more connections can be made to this remote computer"), and an exchange
//! that waits for the client's next leg longer than `session_setup_timeout` is dropped;
//! its next leg then finds no session (STATUS_USER_SESSION_DELETED, MS-SMB2 3.3.5.5).
//!
//! Pure functions over the connection's session table; the caller holds its lock.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::SessionSlot;

/// How many sessions of `sessions` are still authenticating (none established yet).
pub(crate) fn in_progress(sessions: &HashMap<u64, SessionSlot>) -> usize {
    sessions.values().filter(|s| s.valid.is_none()).count()
}

/// Drops the exchanges that started more than `timeout` before `now` and wait for the
/// client's next leg (one whose leg is being processed is left alone); returns how many
/// were dropped and when the next of those left expires.
pub(crate) fn expire(
    sessions: &mut HashMap<u64, SessionSlot>,
    now: Instant,
    timeout: Duration,
) -> (usize, Option<Instant>) {
    let before = sessions.len();
    sessions.retain(|_, s| s.valid.is_some() || s.auth.is_none() || s.started + timeout > now);
    let next = sessions
        .values()
        .filter(|s| s.valid.is_none())
        .map(|s| s.started + timeout)
        .min();
    (before - sessions.len(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_spares_established_sessions_and_legs_in_flight() {
        let t0 = Instant::now();
        let timeout = Duration::from_secs(10);
        let mut table = HashMap::new();
        // In flight: its acceptor is out of the slot while a leg is processed.
        table.insert(
            1,
            SessionSlot {
                started: t0,
                ..SessionSlot::default()
            },
        );
        assert_eq!(in_progress(&table), 1);
        let (dropped, next) = expire(&mut table, t0 + timeout * 2, timeout);
        assert_eq!((dropped, next), (0, Some(t0 + timeout)));
        assert_eq!(table.len(), 1);
    }
}
