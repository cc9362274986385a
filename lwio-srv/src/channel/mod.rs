//! SMB 3.x multichannel: one session over several connections (MS-SMB2 3.3.5.5 with
//! SMB2_SESSION_FLAG_BINDING, 3.3.5.5.2, 3.3.5.5.3, 3.3.7.1).
//!
//! A session lives in one [`Session`] object shared by its channels: its trees, opens,
//! identity and encryption keys are the session's. Each connection it is bound to holds
//! its own entry for it in the connection's session table (a [`ValidSession`]: the shared
//! session, and the channel's signer), so a request is checked and answered with the key
//! of the connection it came in on, and the connection's task answers it there.
//! [`Channels`] (`Session.ChannelList`) is the session's list of those connections, with
//! what a binding is compared against ([`Origin`]: the dialect, signing algorithm,
//! cipher, `Session.SigningKey` and encryption keys of the session's first logon).
//!
//! ## Binding (3.3.5.5)
//! The rules a binding request meets, the statuses of its refusals and how the channel
//! gets its key are in [`bind`].
//!
//! ## Life of a channel (3.3.7.1)
//! A connection that drops takes its channel out of the list: the session, its trees and
//! its opens live on while a channel remains, and go with the last one. The channel's
//! CREATEs in progress then go on (as Windows: a replay on another channel finds them in
//! progress, then done); its other requests end. A LOGOFF on any channel ends the session
//! on all of them, and so do a failed re-authentication and a logon that names the
//! session as its PreviousSessionId.
//!
//! ## Breaks (3.3.4.6, 3.3.4.7)
//! An oplock break goes once to the session's channel bound last; a lease break to the
//! client's first connection with a lease create, and again on the session's next
//! channel when the one it went on fails before it is answered: see [`breaks`].

use std::sync::{Arc, Weak};

use lwio_auth::smb2sign::SigningAlgorithm;
use lwio_auth::smb3crypt::Cipher;
use lwio_core::{NtStatus, Sid};
use lwio_smb2::Dialect;
use parking_lot::Mutex;

use crate::conn::seal::Sealer;
use crate::conn::{Conn, Negotiated, ValidSession};
use crate::signing::Signer;
use crate::state::Session;

mod bind;
pub(crate) mod breaks;

pub(crate) use bind::{Check, bound, check, foreign_signer};

/// The most channels one session may have (Windows' limit, 32).
pub(crate) const MAX_CHANNELS: usize = 32;

/// What a binding is compared against: the session as its first logon made it.
#[derive(Clone)]
pub(crate) struct Origin {
    /// The dialect of the session's first connection.
    pub(crate) dialect: Dialect,
    /// The algorithm its signatures use.
    pub(crate) signing: SigningAlgorithm,
    /// The cipher of its first connection.
    pub(crate) cipher: Option<Cipher>,
    /// `Session.SigningKey`: binding requests are signed with it.
    pub(crate) signer: Signer,
    /// The session's encryption keys, shared by every channel.
    pub(crate) sealer: Option<Arc<Sealer>>,
    /// `Session.EncryptData`.
    pub(crate) encrypt_data: bool,
    /// `Session.SigningRequired`.
    pub(crate) signing_required: bool,
    /// The user the session logged on as: a binding must be the same.
    pub(crate) user: Sid,
}

#[derive(Default)]
struct ChannelList {
    origin: Option<Origin>,
    conns: Vec<Weak<Conn>>,
    /// The session has ended (a LOGOFF, its last channel gone): nothing binds to it.
    ended: bool,
}

/// A session's channels (MS-SMB2 `Session.ChannelList`).
#[derive(Default)]
pub(crate) struct Channels(Mutex<ChannelList>);

impl Channels {
    /// What bindings are compared against; `None` for a session without a key (guest,
    /// anonymous), one made outside the engine, or one that has ended.
    pub(crate) fn origin(&self) -> Option<Origin> {
        let l = self.0.lock();
        if l.ended { None } else { l.origin.clone() }
    }

    /// Records the session's first connection and what its logon made.
    pub(crate) fn start(&self, origin: Option<Origin>, conn: &Arc<Conn>) {
        let mut l = self.0.lock();
        l.origin = origin;
        l.conns = vec![Arc::downgrade(conn)];
    }

    /// Adds `conn` as a channel: STATUS_USER_SESSION_DELETED when the session has ended
    /// meanwhile, STATUS_INSUFFICIENT_RESOURCES when it has [`MAX_CHANNELS`] already.
    fn add(&self, conn: &Arc<Conn>) -> Result<(), NtStatus> {
        let mut l = self.0.lock();
        if l.ended {
            return Err(NtStatus::USER_SESSION_DELETED);
        }
        l.conns.retain(|c| c.strong_count() > 0);
        if l.conns.len() >= MAX_CHANNELS {
            return Err(NtStatus::INSUFFICIENT_RESOURCES);
        }
        l.conns.push(Arc::downgrade(conn));
        Ok(())
    }

    fn is_full(&self) -> bool {
        let l = self.0.lock();
        l.conns.iter().filter(|c| c.strong_count() > 0).count() >= MAX_CHANNELS
    }

    /// Takes `conn` out of the list; returns a channel that remains, if any (none: the
    /// session has ended).
    pub(crate) fn remove(&self, conn: &Conn) -> Option<Arc<Conn>> {
        let mut l = self.0.lock();
        l.conns
            .retain(|c| c.strong_count() > 0 && !std::ptr::eq(c.as_ptr(), conn));
        let remains = l
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| !c.is_closing());
        l.ended |= remains.is_none();
        remains
    }

    /// The live channels other than `conn`.
    pub(crate) fn others(&self, conn: &Conn) -> Vec<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|c| !std::ptr::eq(Arc::as_ptr(c), conn))
            .collect()
    }

    /// True when `conn` is the session's first live channel.
    pub(crate) fn is_first(&self, conn: &Conn) -> bool {
        self.0
            .lock()
            .conns
            .iter()
            .find(|c| c.strong_count() > 0)
            .is_some_and(|c| std::ptr::eq(c.as_ptr(), conn))
    }

    /// A channel that is not closing, if any.
    pub(crate) fn live(&self) -> Option<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| !c.is_closing())
    }

    /// The live channels, not closing, in the order they were bound (the first logon's
    /// connection first).
    pub(crate) fn in_order(&self) -> Vec<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|c| !c.is_closing())
            .collect()
    }

    /// The channel bound last that is not closing, if any: where Windows sends an oplock
    /// break (smbtorture's smb2.multichannel.oplocks.test3_windows).
    pub(crate) fn latest(&self) -> Option<Arc<Conn>> {
        self.0
            .lock()
            .conns
            .iter()
            .rev()
            .filter_map(Weak::upgrade)
            .find(|c| !c.is_closing())
    }

    /// How many channels the session has now.
    pub(crate) fn count(&self) -> usize {
        self.0
            .lock()
            .conns
            .iter()
            .filter(|c| c.strong_count() > 0)
            .count()
    }
}

/// The algorithm a connection's sessions sign with: HMAC-SHA256 for 2.x, AES-CMAC for
/// 3.0 and 3.0.2, the negotiated one for 3.1.1.
pub(crate) fn signing_of(neg: &Negotiated) -> SigningAlgorithm {
    match neg.dialect {
        Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => SigningAlgorithm::HmacSha256,
        Dialect::SMB_3_1_1 => neg.signing,
        _ => SigningAlgorithm::AesCmac,
    }
}

/// Records `vs`, just established on `conn`, as its session's first channel.
pub(crate) fn first(conn: &Arc<Conn>, neg: &Negotiated, vs: &ValidSession) {
    let origin = vs.signer.clone().map(|signer| Origin {
        dialect: neg.dialect,
        signing: signing_of(neg),
        cipher: neg.cipher,
        signer,
        sealer: vs.sealer.clone(),
        encrypt_data: vs.encrypt_data,
        signing_required: vs.signing_required,
        user: vs.session.token().user,
    });
    vs.session.channels().start(origin, conn);
}

/// A LOGOFF (or a failed re-authentication) on `conn` ends session `id` on its other
/// channels too: their entries go, and a later request there is
/// STATUS_USER_SESSION_DELETED, signed with that channel's key.
pub(crate) fn end_everywhere(session: &Session, conn: &Conn) {
    for other in session.channels().others(conn) {
        let slot = other.st.lock().sessions.remove(&session.id);
        if let Some(vs) = slot.and_then(|s| s.valid) {
            other.session_ended(session.id, vs.signer.clone());
        }
    }
    let mut l = session.channels().0.lock();
    l.conns.clear();
    l.ended = true;
}
