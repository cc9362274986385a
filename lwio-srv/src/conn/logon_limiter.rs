//! The authentication rate limiter, after Windows Server 2025's SMB server: the answer to
//! each failed logon is held back (2 s by default, `failed_logon_delay`; zero turns it
//! off), so that guessing passwords over SMB costs time.
//!
//! Windows delays each failure on its own. Here the failures of one client address and
//! those naming one account are also put in a row: the answer to a failure goes out no
//! sooner than one delay after the previous failure's answer for the same address or the
//! same account name. A guesser opening many connections from one address, or many
//! addresses guessing one account, gets one answer per delay, not one per connection. A
//! failure's wait is capped (at [`MAX_WAIT_DELAYS`] delays), so a flood never queues
//! answers for hours; the row stays full while it lasts.
//!
//! Memory is bounded: two tables of fixed capacity (addresses, and account names as
//! keyed hashes), allocated once. When a table is full the entry whose row ended longest
//! ago gives way, so an attacker cycling names or addresses cannot grow it; an address
//! is keyed by its IPv4 address or its IPv6 /64 prefix, so cycling the addresses of one
//! IPv6 subnet does not escape it.
//!
//! The limiter is pure bookkeeping (`now` in, a release time out); the session setup
//! handler sleeps until that time on its own task, so no thread and no other client waits.

use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

/// How many entries each table holds.
pub(crate) const CAPACITY: usize = 1024;

/// The longest a failure's answer waits, in delays.
pub(crate) const MAX_WAIT_DELAYS: u32 = 16;

struct Table {
    /// (key, when the row of failures for that key is free again).
    slots: Vec<(u64, Instant)>,
}

impl Table {
    fn new() -> Table {
        Table {
            slots: Vec::with_capacity(CAPACITY),
        }
    }

    /// The index of `key`'s entry, made (evicting the stalest entry if full) if missing.
    fn entry(&mut self, key: u64, now: Instant) -> usize {
        if let Some(i) = self.slots.iter().position(|(k, _)| *k == key) {
            return i;
        }
        if self.slots.len() < CAPACITY {
            self.slots.push((key, now));
            return self.slots.len() - 1;
        }
        let mut stalest = 0;
        for (i, (_, free)) in self.slots.iter().enumerate() {
            if *free < self.slots[stalest].1 {
                stalest = i;
            }
        }
        self.slots[stalest] = (key, now);
        stalest
    }
}

/// Failed logons of the whole server.
pub(crate) struct LogonLimiter {
    delay: Duration,
    addresses: Table,
    accounts: Table,
    keys: std::collections::hash_map::RandomState,
}

impl LogonLimiter {
    /// A limiter holding each failure's answer back by `delay`.
    pub(crate) fn new(delay: Duration) -> LogonLimiter {
        LogonLimiter {
            delay,
            addresses: Table::new(),
            accounts: Table::new(),
            keys: std::collections::hash_map::RandomState::new(),
        }
    }

    fn key(&self, what: impl Hash) -> u64 {
        self.keys.hash_one(what)
    }

    /// Records a failed logon at `now` from `addr` naming `account`; returns when its
    /// answer may go (`now` when the limiter is off).
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        addr: Option<IpAddr>,
        account: Option<&str>,
    ) -> Instant {
        if self.delay.is_zero() {
            return now;
        }
        let mut picked = Vec::with_capacity(2);
        if let Some(addr) = addr {
            let key = match addr {
                IpAddr::V4(a) => self.key((4u8, a.octets())),
                IpAddr::V6(a) => match a.to_ipv4_mapped() {
                    Some(v4) => self.key((4u8, v4.octets())),
                    None => self.key((6u8, &a.octets()[..8])),
                },
            };
            picked.push((true, self.addresses.entry(key, now)));
        }
        if let Some(name) = account.filter(|n| !n.is_empty()) {
            let key = self.key(name.to_lowercase());
            picked.push((false, self.accounts.entry(key, now)));
        }
        let mut release = now + self.delay;
        for &(is_addr, i) in &picked {
            let table = if is_addr {
                &self.addresses
            } else {
                &self.accounts
            };
            release = release.max(table.slots[i].1 + self.delay);
        }
        let latest = now + self.delay * MAX_WAIT_DELAYS;
        let release = release.min(latest);
        for (is_addr, i) in picked {
            let table = if is_addr {
                &mut self.addresses
            } else {
                &mut self.accounts
            };
            table.slots[i].1 = release;
        }
        release
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_secs(2);

    fn v4(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn failures_of_one_address_or_one_account_queue_up() {
        let mut l = LogonLimiter::new(D);
        let t = Instant::now();
        assert_eq!(l.failed(t, v4(1), Some("alice")), t + D);
        // Same address, other name: behind the first.
        assert_eq!(l.failed(t, v4(1), Some("bob")), t + 2 * D);
        // Other address, same name as the first (any case): behind alice's first.
        assert_eq!(l.failed(t, v4(2), Some("ALICE")), t + 2 * D);
        // Someone else entirely: one delay.
        assert_eq!(l.failed(t, v4(3), Some("carol")), t + D);
        // Later, once the rows have drained: one delay again.
        let later = t + 10 * D;
        assert_eq!(l.failed(later, v4(1), Some("alice")), later + D);
    }

    #[test]
    fn the_wait_is_capped_and_zero_turns_it_off() {
        let mut l = LogonLimiter::new(D);
        let t = Instant::now();
        let mut last = t;
        for _ in 0..100 {
            last = l.failed(t, v4(1), None);
        }
        assert_eq!(last, t + D * MAX_WAIT_DELAYS);
        let mut off = LogonLimiter::new(Duration::ZERO);
        assert_eq!(off.failed(t, v4(1), Some("a")), t);
    }

    #[test]
    fn ipv6_addresses_of_one_subnet_share_a_row() {
        let mut l = LogonLimiter::new(D);
        let t = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(l.failed(t, Some(a), None), t + D);
        assert_eq!(l.failed(t, Some(b), None), t + 2 * D);
        assert_eq!(l.failed(t, Some(c), None), t + D);
    }

    #[test]
    fn cycling_names_and_addresses_cannot_grow_the_tables() {
        let mut l = LogonLimiter::new(D);
        let t = Instant::now();
        for i in 0..(CAPACITY as u32 * 5) {
            let addr = IpAddr::from(i.to_be_bytes());
            l.failed(t, Some(addr), Some(&format!("user{i}")));
        }
        assert_eq!(l.addresses.slots.len(), CAPACITY);
        assert_eq!(l.accounts.slots.len(), CAPACITY);
        assert_eq!(l.addresses.slots.capacity(), CAPACITY);
    }
}
