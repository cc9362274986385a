//! The client's credit window (MS-SMB2 3.2.4.1.3, 3.2.5.1.4).
//!
//! Every request spends as many message ids as its CreditCharge (one for a request of
//! 64 KiB or less, one more per further 64 KiB with LARGE_MTU), and every response grants
//! credits back in its CreditResponse field. The client may only send a request whose ids
//! all lie inside what the server has granted; ids are consumed in order, so the window
//! is simply "the next id" and "how many ids after it are granted".
//!
//! What a server grants is bounded here by a setting: a grant beyond the bound is
//! clipped, never stored, so a lying server cannot grow the client's state.

/// The sequence window: the next message id and how many credits are available.
#[derive(Debug, Clone)]
pub struct CreditWindow {
    next: u64,
    available: u32,
    in_flight: u32,
    max: u32,
}

impl CreditWindow {
    /// A fresh connection's window: message id 0 and the one credit every connection
    /// starts with; at most `max` credits are kept (available and in flight).
    pub fn new(max: u16) -> Self {
        CreditWindow {
            next: 0,
            available: 1,
            in_flight: 0,
            max: u32::from(max.max(1)),
        }
    }

    /// Takes `charge` consecutive message ids (at least one) for a request; `None` when the
    /// server has not granted that many yet.
    pub fn take(&mut self, charge: u16) -> Option<u64> {
        let charge = u32::from(charge.max(1));
        if self.available < charge {
            return None;
        }
        let mid = self.next;
        self.next += u64::from(charge);
        self.available -= charge;
        self.in_flight += charge;
        Some(mid)
    }

    /// How many credits a request charged `charge` should ask for: what it spends, plus
    /// enough to fill the window up to its bound.
    pub fn request(&self, charge: u16) -> u16 {
        let held = self.available + self.in_flight;
        let want = self.max.saturating_sub(held).max(u32::from(charge.max(1)));
        u16::try_from(want).unwrap_or(u16::MAX)
    }

    /// A response arrived: `granted` credits come back. `finished` is the charge of the
    /// request it ends (0 for an interim response, whose request is still in flight).
    pub fn grant(&mut self, granted: u16, finished: u16) {
        let finished = u32::from(finished);
        self.in_flight = self.in_flight.saturating_sub(finished);
        let room = self.max.saturating_sub(self.available + self.in_flight);
        self.available += u32::from(granted).min(room);
    }

    /// The credits available now.
    pub fn available(&self) -> u32 {
        self.available
    }

    /// True when nothing can ever be sent again: no credit left and no request whose
    /// response could grant one.
    pub fn stalled(&self) -> bool {
        self.available == 0 && self.in_flight == 0
    }

    /// The next message id to be taken.
    pub fn next_message_id(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_consumed_in_order_within_the_grant() {
        let mut w = CreditWindow::new(64);
        assert_eq!(w.take(1), Some(0));
        assert_eq!(w.take(1), None);
        w.grant(10, 1);
        assert_eq!(w.available(), 10);
        assert_eq!(w.take(4), Some(1));
        assert_eq!(w.take(7), None);
        assert_eq!(w.take(6), Some(5));
        assert_eq!(w.next_message_id(), 11);
        assert!(!w.stalled());
    }

    #[test]
    fn a_grant_beyond_the_bound_is_clipped() {
        let mut w = CreditWindow::new(8);
        let _ = w.take(1);
        w.grant(u16::MAX, 1);
        assert_eq!(w.available(), 8);
        let _ = w.take(8);
        w.grant(u16::MAX, 0);
        assert_eq!(w.available(), 0, "in flight counts against the bound");
    }

    #[test]
    fn zero_grants_stall_the_window() {
        let mut w = CreditWindow::new(8);
        let _ = w.take(1);
        w.grant(0, 1);
        assert!(w.stalled());
    }

    #[test]
    fn requests_fill_up_to_the_bound() {
        let mut w = CreditWindow::new(100);
        assert_eq!(w.request(1), 99);
        let _ = w.take(1);
        w.grant(99, 1);
        let _ = w.take(32);
        assert_eq!(w.request(32), 32);
    }
}
