//! The channel sequence of an open (MS-SMB2 3.3.5.2.10): on a 3.x connection each request
//! on an open carries a ChannelSequence that a client raises when it moves to a new
//! connection (after a reconnect). A WRITE, SET_INFO or IOCTL still carrying an older one
//! is stale (sent before the failure, arriving after) and is refused with
//! STATUS_FILE_NOT_AVAILABLE, so it cannot undo what the client did since. A replayed
//! request (SMB2_FLAGS_REPLAY_OPERATION) is refused too while requests of an older
//! sequence are still outstanding. The open counts its outstanding requests of the current
//! sequence and of older ones (`Open.OutstandingRequestCount`,
//! `Open.OutstandingPreRequestCount`), each released when its request completes.
//!
//! It also keeps `Open.IsReplayEligible` (MS-SMB2 3.3.5.9.10): a DH2Q open may be
//! answered again to a replayed CREATE with its CreateGuid only until the client sends any
//! other request on it (READ 3.3.5.12, WRITE 3.3.5.13, SET_INFO 3.3.5.21 and the others
//! that name the open: each sets it FALSE for a handle that is not persistent, and no
//! handle here is). After that a replayed create makes a new open (smbtorture's
//! smb2.replay.replay6), since the client has seen the first answer.

use lwio_smb2::{Command, FileId, HEADER_LEN, HeaderFlags};
use parking_lot::Mutex;

use crate::state::FileRequest;

/// An open's channel sequence and its outstanding requests.
#[derive(Debug, Default)]
pub struct ChannelSequence(Mutex<State>);

#[derive(Debug, Default, Clone, Copy)]
struct State {
    sequence: u16,
    outstanding: u64,
    pre_outstanding: u64,
    replay_eligible: bool,
}

/// A request counted against an open; [`ChannelSequence::done`] releases it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted {
    sequence: u16,
}

impl ChannelSequence {
    /// Starts at the ChannelSequence of the create that made the open (MS-SMB2 3.3.5.9).
    pub(crate) fn start(&self, sequence: u16) {
        self.0.lock().sequence = sequence;
    }

    /// The open answers a replayed CREATE with its CreateGuid (a DH2Q open, just made).
    pub(super) fn set_replay_eligible(&self) {
        self.0.lock().replay_eligible = true;
    }

    /// `Open.IsReplayEligible`: no request but its create has named the open.
    pub(super) fn is_replay_eligible(&self) -> bool {
        self.0.lock().replay_eligible
    }

    fn end_replay_eligibility(&self) {
        self.0.lock().replay_eligible = false;
    }

    /// Checks a request's `sequence` (3.3.5.2.10); `Ok` counts it as outstanding, `Err`
    /// means a refusable command must be refused (STATUS_FILE_NOT_AVAILABLE).
    fn verify(&self, sequence: u16, replay: bool) -> Result<Counted, ()> {
        let mut st = self.0.lock();
        let newer = sequence.wrapping_sub(st.sequence) <= 0x7FFF;
        if sequence == st.sequence {
            if replay && st.pre_outstanding != 0 {
                return Err(());
            }
            st.outstanding += 1;
        } else if newer {
            st.pre_outstanding += st.outstanding;
            st.sequence = sequence;
            if replay && st.pre_outstanding != 0 {
                st.outstanding = 0;
                return Err(());
            }
            st.outstanding = 1;
        } else {
            return Err(());
        }
        Ok(Counted { sequence })
    }

    /// A counted request completed.
    pub(super) fn done(&self, c: Counted) {
        let mut st = self.0.lock();
        if c.sequence == st.sequence && st.outstanding > 0 {
            st.outstanding -= 1;
        } else {
            st.pre_outstanding = st.pre_outstanding.saturating_sub(1);
        }
    }
}

/// Where a command's FileId sits in its body, for the commands that carry one (but CLOSE:
/// it is never refused, and what it closes counts nothing any more).
fn file_id_offset(command: Command) -> Option<usize> {
    match command {
        Command::WRITE | Command::READ | Command::SET_INFO => Some(16),
        Command::QUERY_INFO => Some(24),
        Command::IOCTL
        | Command::FLUSH
        | Command::LOCK
        | Command::QUERY_DIRECTORY
        | Command::CHANGE_NOTIFY
        | Command::OPLOCK_BREAK => Some(8),
        _ => None,
    }
}

/// What [`check`] decided for a request.
pub(super) enum Verdict {
    /// Not subject to the check (2.x, no FileId, an unknown open: the handler answers).
    Skip,
    /// Counted on the open; release it when the request completes (the open is held
    /// weakly: the check must not keep it alive, a CLOSE or a break may end it).
    Counted(std::sync::Weak<crate::state::Open>, Counted),
    /// Refused with STATUS_FILE_NOT_AVAILABLE.
    Refused,
}

/// Verifies the channel sequence of `req` (3.3.5.2.10).
pub(super) fn check(req: &FileRequest<'_>) -> Verdict {
    if req.dialect < 0x0300 {
        return Verdict::Skip;
    }
    let Some(at) = file_id_offset(req.header.command) else {
        return Verdict::Skip;
    };
    let start = HEADER_LEN + at;
    let Some(raw) = req.msg.get(start..start + 16) else {
        return Verdict::Skip;
    };
    let mut persistent = [0u8; 8];
    let mut volatile = [0u8; 8];
    persistent.copy_from_slice(&raw[..8]);
    volatile.copy_from_slice(&raw[8..]);
    let id = FileId {
        persistent: u64::from_le_bytes(persistent),
        volatile: u64::from_le_bytes(volatile),
    };
    let Ok(open) = req.open(id) else {
        return Verdict::Skip;
    };
    // Any request that names the open ends its replay eligibility (see the module docs).
    open.channel.end_replay_eligibility();
    let replay = req.header.flags.contains(HeaderFlags::REPLAY_OPERATION);
    match open.channel.verify(req.header.channel_sequence(), replay) {
        Ok(c) => Verdict::Counted(std::sync::Arc::downgrade(&open), c),
        Err(()) => {
            let refusable = matches!(
                req.header.command,
                Command::WRITE | Command::SET_INFO | Command::IOCTL
            );
            if refusable {
                Verdict::Refused
            } else {
                Verdict::Skip
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_sequence_moves_on_and_an_older_one_is_stale() {
        let ch = ChannelSequence::default();
        let a = ch.verify(0, false).unwrap();
        assert!(ch.verify(1, false).is_ok(), "newer: the open moves on");
        assert!(ch.verify(0, false).is_err(), "older: stale");
        assert!(
            ch.verify(0x8001, false).is_err(),
            "more than 0x7FFF ahead: stale"
        );
        // A replay is refused while a request of the old sequence is outstanding.
        assert!(ch.verify(1, true).is_err());
        ch.done(a);
        assert!(ch.verify(1, true).is_ok());
        // Wrapping: 0xFFFF to 0 is newer.
        let ch = ChannelSequence::default();
        ch.start(0xFFFF);
        ch.verify(0xFFFF, false).unwrap();
        assert!(ch.verify(0, false).is_ok());
        assert!(ch.verify(0xFFFF, false).is_err());
    }
}
