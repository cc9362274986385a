//! Delivering a break on a multichannel session: which channel a break goes to, and
//! sending a lease break again on the session's next channel when the one it went on has
//! failed (MS-SMB2 3.3.4.6, 3.3.4.7 with 3.3.4.1.6 "select Channel.Connection from
//! Open.Session.ChannelList in an implementation-specific manner", 3.3.7.1).
//!
//! The specification leaves the choice of channel to the server and says nothing of a
//! second attempt; what is done here is what smbtorture's smb2.multichannel suite finds
//! Windows doing, with every channel's acknowledgments blocked by iptables:
//!
//! - **Oplock breaks** go once, on the channel bound last that is still open
//!   ([`super::Channels::latest`]), and are not sent again: an unacknowledged one waits
//!   out the file system's break timeout (35 s). `oplocks.test3_windows` wants exactly
//!   this (one break, on the 32nd channel); `oplocks.test3_specification` wants the
//!   opposite (a break on every channel in turn, from the first), so only one of the
//!   two can pass, and lwio passes the Windows one.
//! - **Lease breaks** go to the client's first connection that made a lease create
//!   (`files/lease.rs`). When the break needs an acknowledgment and the session has other
//!   channels, [`follow`] watches it: if the channel it went on closes, or reads nothing
//!   from the client for [`Settings::break_resend_after`](crate::Settings::break_resend_after)
//!   (5 s) while the break is still unanswered, the channel is taken for failed and
//!   reset (a TCP RST: an orderly close would wait behind the unacknowledged break; 3.3.7.1
//!   then moves the session to its other channels, and the client sees the connection
//!   end, failing what it sent there), and the same notification goes again on the
//!   session's next
//!   channel in binding order that it has not yet been sent on (`leases.test2`: the
//!   break reaches the second channel after the first was blocked; `leases.test4`: the
//!   channels in turn, first to last).
//!
//! The server cannot see its peer's TCP acknowledgments through a safe interface, so a
//! failed channel is one that goes silent: a client answers a break that needs an
//! acknowledgment, and a blocked or dead transport carries nothing. A healthy client that
//! takes longer than that without sending anything on the channel only loses the channel
//! (the session lives on its others) and receives the break again elsewhere.
//!
//! Bounds: one watcher per break that needs an acknowledgment on a session with more
//! than one channel; it sends the break at most once per channel (at most
//! [`super::MAX_CHANNELS`]) and ends when the break is answered or superseded, when no
//! channel is left to try, or after [`GIVE_UP_AFTER`] (the break timeout, after which
//! the file system no longer waits for the answer).

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::conn::Conn;
use crate::conn::seal::Sealer;
use crate::state::Session;

/// How long a watcher follows a break at most: the break timeout of Windows (and of
/// PVFS), after which no answer is awaited.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(35);

/// How often a watcher looks at its channel (a closed channel is left at once).
const STEP: Duration = Duration::from_millis(100);

/// Whether a break is still waiting for its acknowledgment (false once it is answered,
/// superseded by another break, or its lease is gone).
pub(crate) type Unanswered = Box<dyn Fn() -> bool + Send + Sync>;

/// A break notification sent on a channel of `session`, to send again elsewhere if that
/// channel fails.
pub(crate) struct Sent {
    /// The session whose channels the break may go to.
    pub(crate) session: Weak<Session>,
    /// The notification (header and body), before any encryption.
    pub(crate) msg: Vec<u8>,
    /// The session's encryption keys when its messages are encrypted.
    pub(crate) sealer: Option<Arc<Sealer>>,
    /// Whether the break still waits for its answer.
    pub(crate) unanswered: Unanswered,
}

/// Follows a break that went out on `conn`: when the session has other channels, a task
/// sends it again on the next one each time the channel it is on fails, until it is
/// answered (see the module documentation).
pub(crate) fn follow(conn: &Arc<Conn>, sent: Sent) {
    let Some(session) = sent.session.upgrade() else {
        return;
    };
    if session.channels().count() < 2 {
        return;
    }
    drop(session);
    let after = conn.srv.config.break_resend_after;
    let rt = conn.rt.clone();
    rt.spawn(watch(Arc::clone(conn), sent, after));
}

/// The watcher: see [`follow`].
async fn watch(mut conn: Arc<Conn>, sent: Sent, after: Duration) {
    let started = Instant::now();
    let mut tried: Vec<Weak<Conn>> = vec![Arc::downgrade(&conn)];
    let mut heard = conn.frames_in();
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(STEP).await;
        if !(sent.unanswered)() || started.elapsed() >= GIVE_UP_AFTER {
            return;
        }
        if !conn.is_closing() {
            let now = conn.frames_in();
            if now != heard {
                // The client is there: wait on.
                heard = now;
                since = Instant::now();
                continue;
            }
            if since.elapsed() < after {
                continue;
            }
            tracing::debug!(
                silent = ?since.elapsed(),
                "no answer to a lease break on a channel that carries nothing: closing it"
            );
            conn.fail();
            // The failed channel's reset goes out before the break goes elsewhere, so
            // the client has given up the first channel when the second one brings it.
            tokio::time::sleep(STEP).await;
        }
        let Some(session) = sent.session.upgrade() else {
            return;
        };
        let next = session.channels().in_order().into_iter().find(|c| {
            !tried
                .iter()
                .any(|t| std::ptr::eq(t.as_ptr(), Arc::as_ptr(c)))
        });
        let Some(next) = next.filter(|_| tried.len() < super::MAX_CHANNELS) else {
            return;
        };
        tried.push(Arc::downgrade(&next));
        next.send_sealed(sent.msg.clone(), sent.sealer.as_deref());
        conn = next;
        heard = conn.frames_in();
        since = Instant::now();
    }
}
