//! Credits and the command sequence window (MS-SMB2 3.3.1.1, 3.3.5.2.3).
//!
//! The server grants the client message ids: each credit granted extends the window by
//! one id. A request consumes `max(1, CreditCharge)` consecutive ids starting at its
//! MessageId; an id outside the window or already used is a protocol violation and the
//! connection is dropped. Pure bookkeeping: no I/O.

use std::collections::BTreeSet;

/// The most credits a client may hold at once.
pub const MAX_CREDITS: u64 = 8192;

/// Why a request's message ids are refused; the connection must be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceError {
    /// An id below the window or not granted yet.
    OutOfWindow(u64),
    /// An id already used.
    Duplicate(u64),
}

/// The command sequence window of one connection.
#[derive(Debug, Clone)]
pub struct CreditWindow {
    /// Every id below this one is used.
    low: u64,
    /// Ids in `low..high` have been granted.
    high: u64,
    /// Ids at or above `low` that were used (out of order).
    used: BTreeSet<u64>,
}

impl Default for CreditWindow {
    fn default() -> Self {
        CreditWindow::new()
    }
}

impl CreditWindow {
    /// A new connection's window: the single id 0.
    pub fn new() -> Self {
        CreditWindow {
            low: 0,
            high: 1,
            used: BTreeSet::new(),
        }
    }

    /// Consumes `charge` ids from `message_id` (a charge of 0 counts as 1).
    pub fn consume(&mut self, message_id: u64, charge: u16) -> Result<(), SequenceError> {
        let n = u64::from(charge.max(1));
        let end = message_id
            .checked_add(n)
            .ok_or(SequenceError::OutOfWindow(message_id))?;
        if message_id < self.low || end > self.high {
            return Err(SequenceError::OutOfWindow(message_id));
        }
        if let Some(&dup) = self.used.range(message_id..end).next() {
            return Err(SequenceError::Duplicate(dup));
        }
        self.used.extend(message_id..end);
        while self.used.first() == Some(&self.low) {
            self.used.pop_first();
            self.low += 1;
        }
        Ok(())
    }

    /// How many ids the client holds (granted, not yet used).
    pub fn outstanding(&self) -> u64 {
        self.high - self.low - self.used.len() as u64
    }

    /// Grants up to `requested` more credits (at least one when the client would otherwise
    /// hold none), keeping the client's holding under [`MAX_CREDITS`]. Returns the number
    /// granted, for the CreditResponse field.
    pub fn grant(&mut self, requested: u16) -> u16 {
        let room = MAX_CREDITS.saturating_sub(self.outstanding());
        let mut n = u64::from(requested).min(room);
        if n == 0 && self.outstanding() == 0 {
            n = 1;
        }
        self.high += n;
        n as u16
    }
}

/// The CreditCharge a request of `payload` bytes needs (MS-SMB2 3.1.5.2): one per 64 KiB.
pub fn charge_for(payload: u64) -> u64 {
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
    fn grant_is_capped() {
        let mut w = CreditWindow::new();
        assert_eq!(w.grant(u16::MAX), (MAX_CREDITS - 1) as u16);
        assert_eq!(w.grant(5), 0);
        assert_eq!(charge_for(0), 1);
        assert_eq!(charge_for(65536), 1);
        assert_eq!(charge_for(65537), 2);
        assert_eq!(charge_for(8 << 20), 128);
    }
}
