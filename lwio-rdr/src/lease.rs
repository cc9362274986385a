//! Leases and the read cache they allow (MS-SMB2 3.2.4.3.8 asking, 3.2.5.7 the grant,
//! 3.2.5.19.2 breaks).
//!
//! A lease is the server's promise that nobody else changes a file behind the client's
//! back: with READ caching (R) the client may answer reads from what it read before;
//! with WRITE caching (W) it may keep writes back; with HANDLE caching (H) it may keep
//! the handle open after the caller closed it. When another client's open conflicts, the
//! server sends a lease break naming the lease key and the state it breaks to; the client
//! gives up what the break takes away (it forgets the cached data when R goes) and, when
//! the break asks for it, acknowledges with the new state (LEASE_BREAK_ACK, 2.2.24.2).
//! Until it does the other client's open waits, so a break is handled at once by the
//! connection's own task.
//!
//! Here every open of a file on a disk share, at 2.1 and later, asks for a lease of its
//! own (a random key; version 2 of the context at 3.x, version 1 at 2.1) for READ, WRITE
//! and HANDLE caching, except an open that may create the file when
//! [`RdrConfig::lease_on_create`] is off (`lwio cp`). What the redirector does with it:
//!
//! - **R**: every read's data is kept, as the slice of the response frame it arrived in
//!   (no copy), and a later read of bytes already kept, or past the end of file a short
//!   read found, is answered without the server. The cache is bounded per file
//!   ([`RdrConfig::cache_file_bytes`]) and in total over the redirector
//!   ([`RdrConfig::cache_total_bytes`]); data beyond a bound is simply not kept. The
//!   client's own writes, size changes and locks drop the file's cache (they go to the
//!   server, which has the truth). A break to a state without R drops it too; a read in
//!   flight when the break came is not kept (the generation changed). A file read front
//!   to back in short reads (a FUSE mount's 128 KiB) is read ahead: the read that starts
//!   where the last one ended is sent as 1 MiB and the rest kept, and what lies before the
//!   reading makes room when the file's bound is reached.
//! - **H**: the caller's close parks the handle for a moment instead of closing it, and
//!   a reopen of the same name with the same access takes it back ([`crate::handles`]);
//!   a break that takes H closes it before the acknowledgment.
//! - **W**: short writes that follow one another are gathered and sent as one large
//!   WRITE ([`crate::writeback`]); a break that takes W sends them before it is
//!   acknowledged, so the other client's open, which waits for the acknowledgment, sees
//!   them.
//!
//! Who owns what: the cache belongs to the open ([`crate::open::RemoteFile`] holds its
//! [`Lease`]); the connection's reader finds the lease of a break by its key (the
//! connection keeps a weak reference per key while the open lives) and changes its state
//! and cache before the acknowledgment is sent by a task of the connection.
//!
//! [`RdrConfig::cache_file_bytes`]: crate::RdrConfig::cache_file_bytes
//! [`RdrConfig::cache_total_bytes`]: crate::RdrConfig::cache_total_bytes
//! [`RdrConfig::lease_on_create`]: crate::RdrConfig::lease_on_create

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use lwio_smb2::create_context::{
    CreateContext, Lease as LeaseContext, LeaseV2, RequestContext, ResponseContext,
};
use lwio_smb2::{Dialect, LeaseState};
use parking_lot::Mutex;

/// The bytes every file's cache may hold together, shared by the redirector's leases.
#[derive(Debug)]
pub struct Budget {
    used: AtomicUsize,
    total: usize,
    per_file: usize,
}

impl Budget {
    /// A budget of `total` bytes, at most `per_file` of them for one file.
    pub fn new(total: usize, per_file: usize) -> Budget {
        Budget {
            used: AtomicUsize::new(0),
            total,
            per_file,
        }
    }

    /// The bytes cached now, over every file.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The most bytes one file may hold.
    pub fn per_file(&self) -> usize {
        self.per_file
    }

    pub(crate) fn take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.total)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// The close of a handle parked under H ([`crate::handles`]), run once by whoever takes it.
pub(crate) type Closer =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

/// What sends an open's gathered writes ([`crate::writeback`]) when a break takes W: the
/// open itself, which the lease only refers to weakly (the open owns the lease).
pub(crate) trait FlushBehind: Send + Sync {
    /// Sends what is gathered now and waits for the server's answer (a failure is kept
    /// for the open's next request); with the session `cache`, a connection the network
    /// lost is reconnected first, as for any request of the open.
    fn flush_behind<'a>(
        self: Arc<Self>,
        cache: Option<&'a crate::cache::Cache>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

/// What a break leaves to do before its acknowledgment.
pub(crate) struct Broken {
    /// The state the lease keeps (to acknowledge).
    pub(crate) state: LeaseState,
    /// The close of the handle parked under the H the break took.
    pub(crate) close: Option<Closer>,
    /// The open whose writes gathered under the W the break took must be sent.
    pub(crate) flush: Option<Arc<dyn FlushBehind>>,
}

/// A parked handle's close, if any.
#[derive(Default)]
struct ParkedClose(Option<Closer>);

impl std::fmt::Debug for ParkedClose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "parked" } else { "-" })
    }
}

#[derive(Debug, Default)]
struct Cached {
    state: LeaseState,
    /// The close of the open's handle while it is parked under H.
    parked: ParkedClose,
    /// The open, to flush its gathered writes when W goes.
    flusher: Option<std::sync::Weak<dyn FlushBehind>>,
    /// Changes at every break and every drop of the cache: data read before a change is
    /// not kept after it.
    generation: u64,
    /// Non-overlapping extents of the file, by their first byte.
    extents: BTreeMap<u64, Bytes>,
    bytes: usize,
    /// The end of file a short read found.
    eof: Option<u64>,
    /// Where the last read ended (a read starting there reads the file front to back).
    next: Option<u64>,
}

/// One open's lease and its read cache.
#[derive(Debug)]
pub struct Lease {
    key: [u8; 16],
    v2: bool,
    budget: Arc<Budget>,
    cached: Mutex<Cached>,
}

/// What a lookup in the cache found.
#[derive(Debug, PartialEq, Eq)]
pub enum Hit {
    /// The bytes asked for (fewer when the end of file is before their end).
    Data(Bytes),
    /// The read starts at or past the end of file (the server would answer
    /// STATUS_END_OF_FILE).
    EndOfFile,
}

impl Lease {
    /// A new lease to ask for at `dialect` (`None` before 2.1, which has no leases), under
    /// `budget`.
    pub fn ask(dialect: Dialect, budget: Arc<Budget>) -> Option<Lease> {
        if dialect < Dialect::SMB_2_1 {
            return None;
        }
        let mut key = [0u8; 16];
        // An all-zero key only if the system has no randomness; it still names this
        // open's lease uniquely on the connection, being the only one then.
        let _ = getrandom::fill(&mut key);
        Some(Lease {
            key,
            v2: dialect >= Dialect::SMB_3_0,
            budget,
            cached: Mutex::new(Cached::default()),
        })
    }

    /// The lease key.
    pub fn key(&self) -> [u8; 16] {
        self.key
    }

    /// The RqLs context of a CREATE asking for READ, WRITE and HANDLE caching (v2 at 3.x,
    /// MS-SMB2 2.2.13.2.10; v1 at 2.1, 2.2.13.2.8).
    pub fn request(&self) -> CreateContext {
        RequestContext::Lease(LeaseContext {
            key: self.key,
            state: LeaseState::READ | LeaseState::WRITE | LeaseState::HANDLE,
            v2: self.v2.then(LeaseV2::default),
            ..LeaseContext::default()
        })
        .to_raw()
    }

    /// Takes the state the server granted from a CREATE response's contexts (none when it
    /// sent no lease for this key); returns it.
    pub fn granted(&self, contexts: &[CreateContext]) -> LeaseState {
        let state = contexts
            .iter()
            .filter_map(|c| ResponseContext::from_raw(c).ok())
            .find_map(|c| match c {
                ResponseContext::Lease(l) if l.key == self.key => Some(l.state),
                _ => None,
            })
            .unwrap_or_default();
        let mut c = self.cached.lock();
        c.state = state;
        if !state.contains(LeaseState::READ) {
            self.drop_all(&mut c);
        }
        state
    }

    /// The state held now.
    pub fn state(&self) -> LeaseState {
        self.cached.lock().state
    }

    /// The cache's generation, to give back to [`Lease::keep`] with the data of a read
    /// sent now.
    pub fn generation(&self) -> u64 {
        self.cached.lock().generation
    }

    /// The bytes the file's cache holds.
    pub fn cached_bytes(&self) -> usize {
        self.cached.lock().bytes
    }

    /// `length` bytes at `offset` from the cache, when the lease has R and the cache holds
    /// all of them (or the end of file is known to come first).
    pub fn lookup(&self, offset: u64, length: u32) -> Option<Hit> {
        let c = self.cached.lock();
        if !c.state.contains(LeaseState::READ) {
            return None;
        }
        let mut end = offset.checked_add(u64::from(length))?;
        if let Some(eof) = c.eof {
            if offset >= eof {
                return Some(Hit::EndOfFile);
            }
            end = end.min(eof);
        }
        let (&start, data) = c.extents.range(..=offset).next_back()?;
        let from = usize::try_from(offset - start).ok()?;
        let to = usize::try_from(end - start).ok()?;
        (to <= data.len()).then(|| Hit::Data(data.slice(from..to)))
    }

    /// Keeps the `data` a read of `asked` bytes at `offset` returned, if the lease still
    /// has R and nothing changed since `generation`, within the file's and the total
    /// bounds. A short read also records where the file ends.
    pub fn keep(&self, generation: u64, offset: u64, asked: u32, data: Bytes) {
        let mut c = self.cached.lock();
        if c.generation != generation || !c.state.contains(LeaseState::READ) {
            return;
        }
        let Some(end) = offset.checked_add(data.len() as u64) else {
            return;
        };
        if data.len() < asked as usize {
            c.eof = Some(end);
        }
        if data.is_empty() {
            return;
        }
        // Extents never overlap: one that touches an extent kept already is not kept.
        let before = c.extents.range(..=offset).next_back();
        if before.is_some_and(|(&s, d)| s + d.len() as u64 > offset) {
            return;
        }
        if c.extents.range(offset..end).next().is_some() {
            return;
        }
        // A file read front to back makes room by forgetting what lies wholly before this
        // read (read already, unlikely to be read again).
        while c.bytes + data.len() > self.budget.per_file {
            let Some((&s, d)) = c.extents.first_key_value() else {
                break;
            };
            if s + d.len() as u64 > offset {
                break;
            }
            let n = d.len();
            c.extents.remove(&s);
            c.bytes -= n;
            self.budget.give_back(n);
        }
        if c.bytes + data.len() > self.budget.per_file || !self.budget.take(data.len()) {
            return;
        }
        c.bytes += data.len();
        c.extents.insert(offset, data);
    }

    /// How long a read of `length` bytes at `offset` should be sent as: while R is held
    /// and the file is read front to back (the read starts where the last one ended), a
    /// short read is sent as `ahead` bytes, the rest kept for the reads to come (one READ
    /// where a FUSE mount's 128 KiB reads would each cost a round trip). Records where
    /// this read ends.
    pub fn read_length(&self, offset: u64, length: u32, ahead: u32) -> u32 {
        let mut c = self.cached.lock();
        let sequential = c.next == Some(offset);
        c.next = offset.checked_add(u64::from(length));
        if sequential && c.state.contains(LeaseState::READ) && length < ahead {
            ahead
        } else {
            length
        }
    }

    /// Forgets what the cache holds (the client changed the file, or a break took R).
    pub fn invalidate(&self) {
        let mut c = self.cached.lock();
        self.drop_all(&mut c);
    }

    /// The server broke the lease to `new` (MS-SMB2 3.2.5.19.2): the cache goes with R;
    /// returns the state to acknowledge.
    pub fn break_to(&self, new: LeaseState) -> LeaseState {
        self.break_and_unpark(new).state
    }

    /// As [`Lease::break_to`], also giving back the close of a handle parked under H when
    /// the break takes H, and the open to flush when it takes W (both to run before the
    /// acknowledgment).
    pub(crate) fn break_and_unpark(&self, new: LeaseState) -> Broken {
        let mut c = self.cached.lock();
        let had_write = c.state.contains(LeaseState::WRITE);
        c.state = c.state & new;
        let flush = if had_write && !c.state.contains(LeaseState::WRITE) {
            c.flusher.as_ref().and_then(std::sync::Weak::upgrade)
        } else {
            None
        };
        if !c.state.contains(LeaseState::READ) {
            self.drop_all(&mut c);
        } else {
            c.generation += 1;
        }
        let close = if c.state.contains(LeaseState::HANDLE) {
            None
        } else {
            c.parked.0.take()
        };
        Broken {
            state: c.state,
            close,
            flush,
        }
    }

    /// Names the open whose gathered writes a break that takes W must flush.
    pub(crate) fn set_flusher(&self, open: std::sync::Weak<dyn FlushBehind>) {
        self.cached.lock().flusher = Some(open);
    }

    /// Runs `gather` while the lease holds W, with the state held still (a break cannot
    /// take W meanwhile, so what `gather` keeps is flushed by the break); false without W
    /// or when `gather` keeps nothing.
    pub(crate) fn while_writable(&self, gather: impl FnOnce() -> bool) -> bool {
        let c = self.cached.lock();
        c.state.contains(LeaseState::WRITE) && gather()
    }

    /// Holds the close of the open's handle, parked after the caller closed it, while the
    /// lease has H; false (nothing held) without H or when one is held already.
    pub(crate) fn park(&self, close: Closer) -> bool {
        let mut c = self.cached.lock();
        if !c.state.contains(LeaseState::HANDLE) || c.parked.0.is_some() {
            return false;
        }
        c.parked.0 = Some(close);
        true
    }

    /// True while a parked handle's close is held.
    pub(crate) fn is_parked(&self) -> bool {
        self.cached.lock().parked.0.is_some()
    }

    /// Takes back the close of a parked handle: the caller now closes it, or reuses the
    /// handle and drops the close. `None` when it was taken already.
    pub(crate) fn unpark(&self) -> Option<Closer> {
        self.cached.lock().parked.0.take()
    }

    fn drop_all(&self, c: &mut Cached) {
        c.generation += 1;
        c.extents.clear();
        c.eof = None;
        self.budget.give_back(std::mem::take(&mut c.bytes));
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let bytes = self.cached.get_mut().bytes;
        self.budget.give_back(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rwh() -> LeaseState {
        LeaseState::READ | LeaseState::WRITE | LeaseState::HANDLE
    }

    fn granted(l: &Lease, state: LeaseState) {
        let ctx = ResponseContext::Lease(LeaseContext {
            key: l.key(),
            state,
            ..LeaseContext::default()
        })
        .to_raw();
        assert_eq!(l.granted(&[ctx]), state);
    }

    #[test]
    fn no_lease_before_2_1_v2_at_3_x() {
        let b = Arc::new(Budget::new(1 << 20, 1 << 20));
        assert!(Lease::ask(Dialect::SMB_2_0_2, Arc::clone(&b)).is_none());
        let v1 = Lease::ask(Dialect::SMB_2_1, Arc::clone(&b)).unwrap();
        assert_eq!(v1.request().data.len(), 32);
        let v2 = Lease::ask(Dialect::SMB_3_1_1, b).unwrap();
        assert_eq!(v2.request().data.len(), 52);
        assert_ne!(v1.key(), v2.key());
    }

    #[test]
    fn another_keys_grant_is_not_ours() {
        let b = Arc::new(Budget::new(1 << 20, 1 << 20));
        let l = Lease::ask(Dialect::SMB_3_1_1, b).unwrap();
        let other = ResponseContext::Lease(LeaseContext {
            key: [9; 16],
            state: rwh(),
            ..LeaseContext::default()
        })
        .to_raw();
        assert_eq!(l.granted(&[other]), LeaseState::default());
        assert_eq!(l.lookup(0, 1), None);
    }

    #[test]
    fn reads_are_served_while_r_is_held() {
        let b = Arc::new(Budget::new(1 << 20, 1 << 20));
        let l = Lease::ask(Dialect::SMB_3_1_1, Arc::clone(&b)).unwrap();
        granted(&l, rwh());
        let g = l.generation();
        l.keep(g, 100, 10, Bytes::from_static(b"0123456789"));
        assert_eq!(
            l.lookup(102, 3),
            Some(Hit::Data(Bytes::from_static(b"234")))
        );
        assert_eq!(l.lookup(99, 3), None, "a byte before the extent");
        assert_eq!(l.lookup(108, 3), None, "a byte after it, the end unknown");
        // A short read: the file ends at 115.
        l.keep(g, 110, 10, Bytes::from_static(b"abcde"));
        assert_eq!(
            l.lookup(112, 10),
            Some(Hit::Data(Bytes::from_static(b"cde")))
        );
        assert_eq!(l.lookup(115, 10), Some(Hit::EndOfFile));
        assert_eq!(b.used(), 15);
        // A break to RH keeps the data, but a read sent before it is not kept.
        assert_eq!(
            l.break_to(LeaseState::READ | LeaseState::HANDLE),
            LeaseState::READ | LeaseState::HANDLE
        );
        l.keep(g, 0, 4, Bytes::from_static(b"late"));
        assert_eq!(l.lookup(0, 4), None);
        assert_eq!(l.lookup(100, 2), Some(Hit::Data(Bytes::from_static(b"01"))));
        // A break to none drops everything.
        assert_eq!(l.break_to(LeaseState::default()), LeaseState::default());
        assert_eq!(l.lookup(100, 2), None);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn bounds_per_file_and_in_total() {
        let b = Arc::new(Budget::new(8, 6));
        let l = Lease::ask(Dialect::SMB_3_1_1, Arc::clone(&b)).unwrap();
        let m = Lease::ask(Dialect::SMB_3_1_1, Arc::clone(&b)).unwrap();
        granted(&l, rwh());
        granted(&m, LeaseState::READ);
        l.keep(l.generation(), 0, 4, Bytes::from_static(b"abcd"));
        l.keep(l.generation(), 4, 4, Bytes::from_static(b"efgh"));
        assert_eq!(l.cached_bytes(), 4, "over the file's bound");
        m.keep(m.generation(), 0, 4, Bytes::from_static(b"ijkl"));
        assert_eq!(b.used(), 8);
        m.keep(m.generation(), 4, 1, Bytes::from_static(b"m"));
        assert_eq!(m.cached_bytes(), 4, "over the total bound");
        m.keep(m.generation(), 2, 2, Bytes::from_static(b"kl"));
        assert_eq!(m.cached_bytes(), 4, "an overlapping extent");
        m.invalidate();
        assert_eq!(b.used(), 4);
        drop(l);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn a_file_read_front_to_back_is_read_ahead_and_forgets_what_was_read() {
        let b = Arc::new(Budget::new(1 << 20, 8));
        let l = Lease::ask(Dialect::SMB_3_1_1, Arc::clone(&b)).unwrap();
        granted(&l, rwh());
        assert_eq!(
            l.read_length(0, 2, 4),
            2,
            "the first read is not sequential"
        );
        assert_eq!(l.read_length(2, 2, 4), 4);
        assert_eq!(l.read_length(9, 2, 4), 2, "a jump");
        assert_eq!(l.read_length(11, 8, 4), 8, "already long enough");
        let g = l.generation();
        l.keep(g, 0, 4, Bytes::from_static(b"abcd"));
        l.keep(g, 4, 4, Bytes::from_static(b"efgh"));
        l.keep(g, 8, 4, Bytes::from_static(b"ijkl"));
        assert_eq!(l.cached_bytes(), 8, "the first extent made room");
        assert_eq!(l.lookup(0, 1), None);
        assert_eq!(l.lookup(8, 4), Some(Hit::Data(Bytes::from_static(b"ijkl"))));
        granted(&l, LeaseState::HANDLE);
        assert_eq!(l.read_length(12, 2, 4), 2, "no read-ahead without R");
    }

    struct Open;

    impl FlushBehind for Open {
        fn flush_behind<'a>(
            self: Arc<Self>,
            _cache: Option<&'a crate::cache::Cache>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
            Box::pin(async {})
        }
    }

    #[test]
    fn a_break_that_takes_w_hands_over_the_open_to_flush() {
        let b = Arc::new(Budget::new(1 << 20, 1 << 20));
        let l = Lease::ask(Dialect::SMB_3_1_1, b).unwrap();
        granted(&l, rwh());
        let open: Arc<dyn FlushBehind> = Arc::new(Open);
        l.set_flusher(Arc::downgrade(&open));
        assert!(l.while_writable(|| true));
        let broken = l.break_and_unpark(LeaseState::READ | LeaseState::HANDLE);
        assert!(broken.flush.is_some_and(|f| Arc::ptr_eq(&f, &open)));
        assert!(!l.while_writable(|| true), "nothing is gathered without W");
        let broken = l.break_and_unpark(LeaseState::READ);
        assert!(broken.flush.is_none(), "W was gone already");
    }

    #[test]
    fn nothing_is_kept_without_r() {
        let b = Arc::new(Budget::new(1 << 20, 1 << 20));
        let l = Lease::ask(Dialect::SMB_2_1, Arc::clone(&b)).unwrap();
        granted(&l, LeaseState::HANDLE);
        l.keep(l.generation(), 0, 4, Bytes::from_static(b"abcd"));
        assert_eq!(l.lookup(0, 4), None);
        assert_eq!(b.used(), 0);
    }
}
