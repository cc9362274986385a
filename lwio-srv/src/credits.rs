//! Credits and the command sequence window (MS-SMB2 3.3.1.1, 3.3.5.2.3).
//!
//! The server grants the client message ids: each credit granted extends the window by
//! one id. A request consumes `max(1, CreditCharge)` consecutive ids starting at its
//! MessageId; an id outside the window or already used is a protocol violation and the
//! connection is dropped. Pure bookkeeping: no I/O.
//!
//! The window is bounded by its span, not only by what the client holds: ids from the
//! lowest unused one to the highest granted one never number more than the window's size,
//! so the ids used out of order fit a fixed bitmap of that many bits (1 KiB for the
//! default 8,192). A client that leaves an id unused (MS-SMB2 lets it use ids in any
//! order) holds up the bottom of its own window; it is granted no more than the span
//! allows, and memory stays the same whatever it sends.
//!
//! A grant counts twice. When a response is encoded, the credits written into it are
//! *promised* ([`CreditWindow::grant`]): they count against the span but do not open the
//! window yet. They open it when the response is handed to the transport
//! ([`CreditWindow::apply`]). A client that never reads its socket therefore cannot use
//! credits it would have been sent: its responses stay queued, their credits promised, and
//! an id beyond what was really sent is out of the window.
//!
//! The span may also be capped below the window's size ([`CreditWindow::grant_within`]):
//! the engine keeps a connection without an authenticated session to a small window.

/// The most credits a client may hold at once, and the default window size.
pub(crate) const MAX_CREDITS: u64 = 8192;

/// Why a request's message ids are refused; the connection must be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceError {
    /// An id below the window or not granted yet.
    OutOfWindow(u64),
    /// An id already used.
    Duplicate(u64),
}

/// The command sequence window of one connection.
#[derive(Debug, Clone)]
pub(crate) struct CreditWindow {
    /// Every id below this one is used.
    low: u64,
    /// Ids in `low..high` have been granted; `high - low <= size`.
    high: u64,
    /// The ids in `low..high` already used, bit `id % size`.
    used: Box<[u64]>,
    /// How many bits of `used` are set.
    used_count: u64,
    /// The window's size: the most ids between `low` and `high`.
    size: u64,
    /// Credits written into responses not yet handed to the transport.
    promised: u64,
}

impl Default for CreditWindow {
    fn default() -> Self {
        CreditWindow::new()
    }
}

impl CreditWindow {
    /// A new connection's window of [`MAX_CREDITS`] ids: the single id 0 granted.
    pub(crate) fn new() -> Self {
        CreditWindow::with_size(MAX_CREDITS)
    }

    /// A new connection's window of at most `size` ids (at least 1): the id 0 granted.
    pub(crate) fn with_size(size: u64) -> Self {
        let size = size.clamp(1, 1 << 20);
        CreditWindow {
            low: 0,
            high: 1,
            used: vec![0; size.div_ceil(64) as usize].into_boxed_slice(),
            used_count: 0,
            size,
            promised: 0,
        }
    }

    fn slot(&self, id: u64) -> (usize, u64) {
        let bit = id % self.size;
        ((bit / 64) as usize, 1 << (bit % 64))
    }

    fn is_used(&self, id: u64) -> bool {
        let (word, mask) = self.slot(id);
        self.used[word] & mask != 0
    }

    fn set_used(&mut self, id: u64, on: bool) {
        let (word, mask) = self.slot(id);
        if on {
            self.used[word] |= mask;
        } else {
            self.used[word] &= !mask;
        }
    }

    /// Consumes `charge` ids from `message_id` (a charge of 0 counts as 1).
    pub(crate) fn consume(&mut self, message_id: u64, charge: u16) -> Result<(), SequenceError> {
        let n = u64::from(charge.max(1));
        let end = message_id
            .checked_add(n)
            .ok_or(SequenceError::OutOfWindow(message_id))?;
        if message_id < self.low || end > self.high {
            return Err(SequenceError::OutOfWindow(message_id));
        }
        if let Some(dup) = (message_id..end).find(|&id| self.is_used(id)) {
            return Err(SequenceError::Duplicate(dup));
        }
        for id in message_id..end {
            self.set_used(id, true);
        }
        self.used_count += n;
        while self.low < self.high && self.is_used(self.low) {
            self.set_used(self.low, false);
            self.used_count -= 1;
            self.low += 1;
        }
        Ok(())
    }

    /// How many ids the client may use now (granted, sent, not yet used).
    pub(crate) fn outstanding(&self) -> u64 {
        self.high - self.low - self.used_count
    }

    /// Grants up to `requested` more credits, keeping the window's span within its size;
    /// see [`CreditWindow::grant_within`].
    #[cfg(test)]
    pub(crate) fn grant(&mut self, requested: u16) -> u16 {
        self.grant_within(requested, self.size)
    }

    /// Promises up to `requested` more credits (at least one when the client would
    /// otherwise hold none), keeping the span of the window, promises included, within
    /// `cap` (at most the window's size). Returns the number promised, for the
    /// CreditResponse field; [`CreditWindow::apply`] opens them when the response goes.
    pub(crate) fn grant_within(&mut self, requested: u16, cap: u64) -> u16 {
        let cap = cap.clamp(1, self.size);
        let span = self.high + self.promised - self.low;
        let room = cap.saturating_sub(span);
        let mut n = u64::from(requested).min(room);
        if n == 0 && self.outstanding() + self.promised == 0 && room > 0 {
            n = 1;
        }
        self.promised += n;
        n as u16
    }

    /// Opens `n` promised credits: the response that carries them is being sent.
    pub(crate) fn apply(&mut self, n: u64) {
        let n = n.min(self.promised);
        self.promised -= n;
        self.high += n;
    }
}

/// The CreditCharge a request of `payload` bytes needs (MS-SMB2 3.1.5.2): one per 64 KiB.
pub(crate) fn charge_for(payload: u64) -> u64 {
    payload.div_ceil(65536).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_in_order_and_out_of_order() {
        let mut w = CreditWindow::new();
        w.consume(0, 0).unwrap();
        assert_eq!(w.outstanding(), 0);
        assert_eq!(w.grant(0), 1);
        assert_eq!(w.grant(9), 9);
        // Promised, not sent: the ids are not open yet.
        assert_eq!(w.outstanding(), 0);
        assert_eq!(w.consume(1, 1), Err(SequenceError::OutOfWindow(1)));
        w.apply(10);
        assert_eq!(w.outstanding(), 10);
        w.consume(3, 2).unwrap();
        assert_eq!(w.consume(4, 1), Err(SequenceError::Duplicate(4)));
        w.consume(1, 2).unwrap();
        assert_eq!(w.consume(0, 1), Err(SequenceError::OutOfWindow(0)));
        assert_eq!(w.consume(10, 2), Err(SequenceError::OutOfWindow(10)));
        w.consume(5, 6).unwrap();
        assert_eq!(w.outstanding(), 0);
        assert_eq!(
            w.consume(u64::MAX, 2),
            Err(SequenceError::OutOfWindow(u64::MAX))
        );
    }

    #[test]
    fn a_hole_at_the_bottom_bounds_the_window_not_memory() {
        // The client never uses id 1: every later id is used, the bottom stays at 1, and
        // the grants stop once the span reaches the window's size.
        let mut w = CreditWindow::with_size(64);
        w.consume(0, 1).unwrap();
        let mut next = 2;
        let mut granted_total = 0u64;
        for _ in 0..1000 {
            let n = w.grant(10);
            w.apply(u64::from(n));
            granted_total += u64::from(n);
            while next < w.high && w.consume(next, 1).is_ok() {
                next += 1;
            }
        }
        assert_eq!(w.high - w.low, 64);
        assert_eq!(w.outstanding(), 1, "only the hole is left");
        assert_eq!(granted_total, 64, "no grant beyond the span");
        assert_eq!(w.used_count, 63);
        // The hole filled, the window slides and grants resume.
        w.consume(1, 1).unwrap();
        assert_eq!(w.low, 65);
        assert_eq!(w.grant(10), 10);
        w.apply(10);
        // Ids that alias the ring's bits of used ones are out of the window, not duplicates.
        assert_eq!(
            w.consume(1 + 64 * 3, 1),
            Err(SequenceError::OutOfWindow(193))
        );
    }

    #[test]
    fn grant_is_capped() {
        let mut w = CreditWindow::new();
        assert_eq!(w.grant(u16::MAX), (MAX_CREDITS - 1) as u16);
        assert_eq!(w.grant(5), 0, "promises count against the span");
        w.apply(u64::MAX);
        assert_eq!(w.outstanding(), MAX_CREDITS);
        assert_eq!(w.grant(5), 0);
        assert_eq!(charge_for(0), 1);
        assert_eq!(charge_for(65536), 1);
        assert_eq!(charge_for(65537), 2);
        assert_eq!(charge_for(8 << 20), 128);
    }

    #[test]
    fn a_client_that_does_not_read_gets_no_further_ids() {
        // Responses are encoded with grants, but none is sent: the client, guessing the
        // grants, finds every id past the first out of the window.
        let mut w = CreditWindow::with_size(64);
        w.consume(0, 1).unwrap();
        let mut promised = 0;
        for _ in 0..10 {
            promised += u64::from(w.grant(16));
        }
        assert_eq!(promised, 64, "the span bounds promises too");
        assert_eq!(w.consume(1, 1), Err(SequenceError::OutOfWindow(1)));
        // The first response goes out: its 16 credits open.
        w.apply(16);
        w.consume(1, 16).unwrap();
        assert_eq!(w.consume(17, 1), Err(SequenceError::OutOfWindow(17)));
    }

    #[test]
    fn a_cap_below_the_size_keeps_the_window_small() {
        let mut w = CreditWindow::with_size(8192);
        w.consume(0, 1).unwrap();
        let n = w.grant_within(u16::MAX, 32);
        assert_eq!(n, 32);
        w.apply(u64::from(n));
        assert_eq!(w.grant_within(u16::MAX, 32), 0);
        // Once the cap is lifted (the client authenticated) the window may grow.
        assert_eq!(w.grant(100), 100);
        // A cap of zero still lets a client with nothing left have one credit.
        let mut w = CreditWindow::with_size(16);
        w.consume(0, 1).unwrap();
        assert_eq!(w.grant_within(0, 0), 1);
    }
}
