//! The client's credit window (MS-SMB2 3.2.4.1.3, 3.2.5.1.4).
//!
//! Every request spends as many message ids as its CreditCharge (one for a request of
//! 64 KiB or less, one more per further 64 KiB with LARGE_MTU), and every response grants
//! credits back in its CreditResponse field. The client may only send a request whose ids
//! all lie inside what the server has granted; ids are consumed in order, so the window
//! is simply "the next id" and "how many ids after it are granted".
//!
//! The window is two counters, so what a server grants cannot grow the client's state;
//! every credit granted is kept (up to [`CREDIT_CAP`]), because the server counts it as
//! the client's: a client that dropped credits it deemed surplus would hold fewer than
//! the server believes, and a server at its own bound grants nothing more, leaving the
//! client with none (seen against smbd with 8 MiB reads in flight). The setting bounds
//! what the client asks for ([`CreditWindow::request`]), not what it keeps.

/// The most credits the window keeps (a lying server's grants beyond it are dropped).
pub const CREDIT_CAP: u32 = 1 << 16;

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
    /// starts with; it asks for at most `max` credits (available and in flight).
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
        let room = CREDIT_CAP.saturating_sub(self.available + self.in_flight);
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
    fn grants_beyond_what_was_asked_are_kept_as_the_server_counts_them() {
        let mut w = CreditWindow::new(8);
        let _ = w.take(1);
        w.grant(20, 1);
        assert_eq!(
            w.available(),
            20,
            "the server counts all 20 as the client's"
        );
        assert_eq!(
            w.request(1),
            1,
            "a full window asks only for what it spends"
        );
        let _ = w.take(8);
        w.grant(0, 0);
        assert_eq!(w.available(), 12);
    }

    #[test]
    fn a_lying_server_cannot_push_the_window_past_its_cap() {
        let mut w = CreditWindow::new(8);
        let _ = w.take(1);
        for _ in 0..10 {
            w.grant(u16::MAX, 1);
        }
        assert_eq!(w.available(), CREDIT_CAP);
        let _ = w.take(8);
        w.grant(u16::MAX, 0);
        assert_eq!(
            w.available() + 8,
            CREDIT_CAP,
            "in flight counts against the cap"
        );
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
