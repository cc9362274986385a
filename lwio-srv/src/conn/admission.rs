//! Which connections the server takes: a global limit, a limit per client address, a
//! limit on connections without an authenticated session, and a reserve of file
//! descriptors that new connections may not use.
//!
//! Every connection costs a descriptor, and so does every file a session opens (PVFS
//! keeps one per open). Were connections allowed to use the last descriptors, the
//! sessions already there would find their opens failing with
//! STATUS_TOO_MANY_OPENED_FILES; instead new connections are refused first. At start
//! the process raises its soft `RLIMIT_NOFILE` to the hard limit ([`raise_fd_limit`]);
//! a connection is then refused when its own descriptor number shows that fewer than
//! `fd_reserve` descriptors would remain. Descriptors are allocated lowest first, so the
//! number of the one just accepted is a lower bound of those in use: the check costs
//! nothing and never refuses wrongly when descriptors are plentiful.
//!
//! A refused connection is closed at once, before a byte is read: a TCP client sees the
//! connection reset or closed (Windows answers a full server the same way, by not
//! serving; there is no SMB2 message before NEGOTIATE to carry a status).
//!
//! Connections without an authenticated session are limited apart: when a new
//! connection would exceed `max_unauthenticated_connections`, the oldest connection that
//! has still not authenticated is closed to make room, so idle or slow handshakes cannot
//! lock legitimate clients out. Each also times out on its own
//! (`unauthenticated_timeout`).
//!
//! [`Admission`] is the pure table: addresses and counts in, a verdict out.

use std::collections::HashMap;
use std::net::IpAddr;

/// The limits [`Admission`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) max_per_address: usize,
    pub(crate) max_unauthenticated: usize,
    pub(crate) fd_reserve: u64,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The server holds `max_connections` already.
    Full,
    /// The client's address holds `max_connections_per_address` already.
    AddressFull,
    /// Taking it would eat into the descriptor reserve.
    FdReserve,
}

/// A client address as the per-address limit counts it: an IPv4 address, or the /64
/// prefix of an IPv6 one (a host of one subnet can use as many addresses as it likes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AddrKey {
    V4([u8; 4]),
    V6([u8; 8]),
}

impl AddrKey {
    pub(crate) fn of(addr: IpAddr) -> AddrKey {
        match addr {
            IpAddr::V4(a) => AddrKey::V4(a.octets()),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => AddrKey::V4(v4.octets()),
                None => {
                    let mut prefix = [0; 8];
                    prefix.copy_from_slice(&a.octets()[..8]);
                    AddrKey::V6(prefix)
                }
            },
        }
    }
}

/// The connections the server holds, by address.
#[derive(Debug)]
pub(crate) struct Admission {
    limits: Limits,
    total: usize,
    unauthenticated: usize,
    /// Only addresses with at least one connection: bounded by `total`.
    per_address: HashMap<AddrKey, usize>,
    /// The soft descriptor limit, 0 when unknown.
    fd_limit: u64,
    refused: u64,
}

/// What admitting a connection decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Take it; if `evict`, first close the oldest unauthenticated connection.
    Admit { evict: bool },
    /// Close it at once.
    Refuse(Refusal),
}

impl Admission {
    /// An empty table under `limits`, with the descriptor limit `fd_limit` (0: unknown).
    pub(crate) fn new(limits: Limits, fd_limit: u64) -> Admission {
        Admission {
            limits,
            total: 0,
            unauthenticated: 0,
            per_address: HashMap::new(),
            fd_limit,
            refused: 0,
        }
    }

    /// Takes `limit` as the soft descriptor limit (0: unknown).
    pub(crate) fn set_fd_limit(&mut self, limit: u64) {
        self.fd_limit = limit;
    }

    /// Decides on a new connection from `addr` whose descriptor is `fd`, and counts it
    /// when admitted (as unauthenticated).
    pub(crate) fn admit(&mut self, addr: Option<AddrKey>, fd: Option<u64>) -> Verdict {
        let refuse = if self.total >= self.limits.max_connections {
            Some(Refusal::Full)
        } else if addr.is_some_and(|a| {
            self.per_address.get(&a).copied().unwrap_or(0) >= self.limits.max_per_address
        }) {
            Some(Refusal::AddressFull)
        } else if let Some(fd) = fd.filter(|_| self.fd_limit > 0)
            && fd.saturating_add(1).saturating_add(self.limits.fd_reserve) > self.fd_limit
        {
            Some(Refusal::FdReserve)
        } else {
            None
        };
        if let Some(r) = refuse {
            self.refused += 1;
            return Verdict::Refuse(r);
        }
        self.total += 1;
        if let Some(a) = addr {
            *self.per_address.entry(a).or_insert(0) += 1;
        }
        let evict = self.unauthenticated >= self.limits.max_unauthenticated;
        self.unauthenticated += 1;
        Verdict::Admit { evict }
    }

    /// A connection authenticated its first session.
    pub(crate) fn authenticated(&mut self) {
        self.unauthenticated = self.unauthenticated.saturating_sub(1);
    }

    /// A connection from `addr` ended; `authenticated` says whether it had been counted
    /// as such.
    pub(crate) fn ended(&mut self, addr: Option<AddrKey>, authenticated: bool) {
        self.total = self.total.saturating_sub(1);
        if !authenticated {
            self.unauthenticated = self.unauthenticated.saturating_sub(1);
        }
        if let Some(a) = addr
            && let Some(n) = self.per_address.get_mut(&a)
        {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&a);
            }
        }
    }

    /// Connections held, those not authenticated, and those refused so far.
    pub(crate) fn counts(&self) -> (usize, usize, u64) {
        (self.total, self.unauthenticated, self.refused)
    }

    /// How many distinct addresses hold connections.
    pub(crate) fn addresses(&self) -> usize {
        self.per_address.len()
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit in force
/// afterwards (0 when it cannot be read).
pub(crate) fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current.is_some() && lim.current != lim.maximum {
        let raised = rustix::process::Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(limit = ?lim.maximum, "raised the descriptor limit"),
            Err(e) => tracing::warn!(error = %e, "cannot raise the descriptor limit"),
        }
    }
    fd_limit()
}

/// The soft `RLIMIT_NOFILE` (0 when unknown; `u64::MAX` when unlimited).
pub(crate) fn fd_limit() -> u64 {
    let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    lim.current.unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_connections: 5,
            max_per_address: 2,
            max_unauthenticated: 3,
            fd_reserve: 10,
        }
    }

    fn v4(last: u8) -> Option<AddrKey> {
        Some(AddrKey::of(IpAddr::from([10, 0, 0, last])))
    }

    #[test]
    fn global_and_per_address_limits() {
        let mut a = Admission::new(limits(), 0);
        assert_eq!(a.admit(v4(1), None), Verdict::Admit { evict: false });
        assert_eq!(a.admit(v4(1), None), Verdict::Admit { evict: false });
        assert_eq!(a.admit(v4(1), None), Verdict::Refuse(Refusal::AddressFull));
        assert_eq!(a.admit(v4(2), None), Verdict::Admit { evict: false });
        a.authenticated();
        a.authenticated();
        assert_eq!(a.admit(v4(3), None), Verdict::Admit { evict: false });
        assert_eq!(a.admit(v4(4), None), Verdict::Admit { evict: false });
        assert_eq!(a.admit(v4(5), None), Verdict::Refuse(Refusal::Full));
        a.ended(v4(1), true);
        assert_eq!(a.admit(v4(1), None), Verdict::Admit { evict: true });
        assert_eq!(a.counts(), (5, 4, 2));
        for (addr, auth) in [(1, true), (1, false), (2, false), (3, false), (4, false)] {
            a.ended(v4(addr), auth);
        }
        assert_eq!(a.counts().0, 0);
        assert_eq!(
            a.addresses(),
            0,
            "no address is kept once its connections end"
        );
    }

    #[test]
    fn the_descriptor_reserve_refuses_new_connections_first() {
        // Descriptor 89 in use means at least 90 are: 10 of 100 remain, the reserve.
        let mut a = Admission::new(limits(), 100);
        assert_eq!(a.admit(None, Some(89)), Verdict::Admit { evict: false });
        assert_eq!(a.admit(None, Some(90)), Verdict::Refuse(Refusal::FdReserve));
        // Unknown limit or unknown descriptor: no check.
        let mut a = Admission::new(limits(), 0);
        assert_eq!(
            a.admit(None, Some(1 << 40)),
            Verdict::Admit { evict: false }
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(AddrKey::of(a), AddrKey::of(b));
        assert_eq!(AddrKey::of(c), v4(1).unwrap());
    }

    #[test]
    fn the_limit_is_raised_toward_the_hard_limit() {
        let before = fd_limit();
        let soft = raise_fd_limit();
        assert!(soft >= before);
        let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
        if let Some(hard) = hard {
            assert_eq!(soft, hard);
        }
    }
}
