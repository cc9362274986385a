//! Durable handles (MS-SMB2 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12, 3.3.7.1): opens
//! that outlive their connection, so a client whose TCP connection dropped can reclaim
//! them on a new one.
//!
//! - **Grant.** A CREATE asking for a durable handle (DHnQ, or DH2Q with a CreateGuid)
//!   gets one only when the open was granted a batch oplock or a lease with handle
//!   caching (the only states under which a client may keep a handle it no longer
//!   talks about); the open then carries a [`Durability`]: its owner (the user SID of the
//!   session that opened it, MS-SMB2 `Open.DurableOwner`), its timeout, its version and
//!   CreateGuid, its lease. A v2 request with SMB2_DHANDLE_FLAG_PERSISTENT gets a durable
//!   but not a persistent handle: no share is continuously available.
//! - **Disconnect.** When a connection ends (3.3.7.1) its durable opens are not closed:
//!   [`DurableTable::preserve`] keeps each (its I/O manager handle, so its PVFS file
//!   object, share mode, byte-range locks and oplock or lease stay) with a deadline; the
//!   others close. So do a LOGOFF and a logon that names the session as its
//!   PreviousSessionId (smbtorture's durable-open.reopen4 reclaims an open after a
//!   logoff); a TREE_DISCONNECT closes durable opens like any other.
//! - **Scavenger.** One task per server (started with the first preserved open) closes
//!   what is not reclaimed before its deadline. The table holds at most
//!   [`Settings::max_detached_opens`](crate::Settings::max_detached_opens) opens, and at
//!   most [`Settings::max_detached_opens_per_user`](crate::Settings::max_detached_opens_per_user)
//!   of one user: beyond either, a disconnected open is closed, not kept.
//! - **Breaks.** An oplock or lease break aimed at a preserved open (another client wants
//!   the file) closes it, as Windows does: there is no client to acknowledge the break,
//!   and the waiting opener goes on at once instead of after the 35-second timeout.
//!   Break notifications reach an open's client through its [`BreakRelay`], which a
//!   reconnect points at the new connection.
//! - **Reconnect.** DHnC and DH2C look the open up by its persistent file id (DH2C also
//!   by its CreateGuid); see [`crate::files`]'s `durable.rs` for the checks and statuses.
//! - **Replay.** v2 opens are also found by ClientGuid and CreateGuid while they live, for the replay of a
//!   CREATE (3.3.5.9.10); the index holds weak references and is pruned as it grows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use lwio_core::Sid;
use lwio_smb2::FileId;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::state::{BreakSink, Open};

/// What makes an open durable (MS-SMB2 3.3.1.10 `Open.IsDurable`, `DurableOwner`,
/// `DurableOpenTimeout`, `CreateGuid`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Durability {
    /// The user SID of the session that opened it; only that user may reconnect.
    pub owner: Sid,
    /// How long the open waits for its client once disconnected.
    pub timeout: Duration,
    /// The CreateGuid of a v2 (DH2Q) open; `None` for v1 (DHnQ).
    pub create_guid: Option<[u8; 16]>,
    /// The client GUID and lease key of the open's lease, if it has one.
    pub lease: Option<([u8; 16], [u8; 16])>,
    /// The share the open is on (lower case).
    pub share: String,
    /// The share-relative name it was opened with (lower case), checked on a lease
    /// reconnect.
    pub name: String,
}

/// An open's durable state: `None` until a durable handle is granted.
#[derive(Default)]
pub struct DurableSlot(Mutex<Option<Durability>>);

impl DurableSlot {
    /// The open's durability, if it is durable.
    pub fn get(&self) -> Option<Durability> {
        self.0.lock().clone()
    }

    /// Makes the open durable.
    pub(crate) fn set(&self, d: Durability) {
        *self.0.lock() = Some(d);
    }
}

/// Where an open's break notifications go: the connection it is attached to, or, while it
/// waits for its client, to the durable table (which closes it).
#[derive(Default)]
pub struct BreakRelay(Mutex<Relay>);

#[derive(Default)]
struct Relay {
    target: Option<Arc<dyn BreakSink>>,
    detached: Option<Weak<DurableTable>>,
}

impl BreakRelay {
    /// Sends the open's notifications to `sink` from now on.
    pub(crate) fn attach(&self, sink: Arc<dyn BreakSink>) {
        let mut r = self.0.lock();
        r.target = Some(sink);
        r.detached = None;
    }

    fn detach(&self, table: &Arc<DurableTable>) {
        let mut r = self.0.lock();
        r.target = None;
        r.detached = Some(Arc::downgrade(table));
    }

    /// A break arrived: the sink to tell, or, for a preserved open, the table to tell.
    fn route(&self) -> Result<Option<Arc<dyn BreakSink>>, Weak<DurableTable>> {
        let r = self.0.lock();
        match &r.detached {
            Some(t) => Err(t.clone()),
            None => Ok(r.target.clone()),
        }
    }
}

/// The relay of one open, as a [`BreakSink`] (what oplock and lease watchers hold).
pub(crate) struct RelaySink {
    open: Weak<Open>,
    file_id: FileId,
    /// Where breaks go once the open is closed (a lease outlives the open whose create
    /// named it last): the connection that open was made on.
    fallback: Arc<dyn BreakSink>,
}

impl RelaySink {
    /// The sink that forwards `open`'s breaks through its relay, or to `fallback` once
    /// the open is gone.
    pub(crate) fn of(open: &Arc<Open>, fallback: Arc<dyn BreakSink>) -> Arc<dyn BreakSink> {
        Arc::new(RelaySink {
            open: Arc::downgrade(open),
            file_id: open.file_id,
            fallback,
        })
    }

    fn route(&self) -> Option<Arc<dyn BreakSink>> {
        let Some(open) = self.open.upgrade() else {
            return Some(Arc::clone(&self.fallback));
        };
        match open.relay.route() {
            Ok(sink) => sink,
            Err(table) => {
                if let Some(table) = table.upgrade() {
                    table.purge(self.file_id.persistent);
                }
                None
            }
        }
    }
}

impl BreakSink for RelaySink {
    fn send_oplock_break(&self, file_id: FileId, level: lwio_smb2::OplockLevel) {
        if let Some(sink) = self.route() {
            sink.send_oplock_break(file_id, level);
        }
    }

    fn send_lease_break(&self, notification: lwio_smb2::oplock::LeaseBreakNotification) {
        if let Some(sink) = self.route() {
            sink.send_lease_break(notification);
        }
    }

    fn send_lease_break_awaiting(
        &self,
        notification: lwio_smb2::oplock::LeaseBreakNotification,
        unanswered: crate::channel::breaks::Unanswered,
    ) {
        if let Some(sink) = self.route() {
            sink.send_lease_break_awaiting(notification, unanswered);
        }
    }
}

/// The limits of the durable table (from [`Settings`](crate::Settings)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_detached: usize,
    pub(crate) max_detached_per_user: usize,
    pub(crate) v1_timeout: Duration,
    pub(crate) v2_default_timeout: Duration,
    pub(crate) v2_max_timeout: Duration,
}

impl Limits {
    /// The limits `s` sets.
    pub(crate) fn of(s: &crate::Settings) -> Limits {
        Limits {
            max_detached: s.max_detached_opens,
            max_detached_per_user: s.max_detached_opens_per_user,
            v1_timeout: s.durable_v1_timeout,
            v2_default_timeout: s.durable_v2_default_timeout,
            v2_max_timeout: s.durable_v2_max_timeout,
        }
    }
}

/// A preserved open waiting for its client.
struct Detached {
    open: Arc<Open>,
    owner: Sid,
    deadline: Instant,
}

#[derive(Default)]
struct Inner {
    /// Preserved opens by persistent file id.
    detached: HashMap<u64, Detached>,
    /// Preserved opens per owner.
    per_owner: HashMap<Sid, usize>,
    /// Live v2 opens by their client's ClientGuid and CreateGuid (replay, 3.3.5.9.10).
    by_guid: HashMap<CreateKey, Weak<Open>>,
    /// The v2 creates still in progress (a replay of one is refused).
    pending: std::collections::HashSet<CreateKey>,
    /// Opens a break or the scavenger took out, to close outside any lock.
    doomed: Vec<Arc<Open>>,
}

/// A v2 create's identity: the ClientGuid of the connection that made it and its
/// CreateGuid. MS-SMB2 3.3.5.9.10 looks an open up by both, so two clients may use one
/// CreateGuid (smbtorture's smb2.multichannel.oplocks tests do).
pub(crate) type CreateKey = ([u8; 16], [u8; 16]);

/// The server's durable opens: those preserved after their connection ended, and the
/// CreateGuid index of v2 opens.
pub struct DurableTable {
    inner: Mutex<Inner>,
    /// The opens made with an AppInstanceId (MS-SMB2 3.3.5.9.13), attached or preserved.
    pub(crate) app_instances: crate::files::AppInstances,
    limits: Limits,
    wake: Arc<Notify>,
    scavenger: AtomicBool,
}

impl Default for DurableTable {
    /// A table with the default limits of [`Settings`](crate::Settings).
    fn default() -> Self {
        DurableTable::with_limits(Limits::of(&crate::Settings::default()))
    }
}

impl DurableTable {
    pub(crate) fn new(limits: Limits) -> Arc<DurableTable> {
        Arc::new(DurableTable::with_limits(limits))
    }

    fn with_limits(limits: Limits) -> DurableTable {
        DurableTable {
            inner: Mutex::new(Inner::default()),
            app_instances: Default::default(),
            limits,
            wake: Arc::new(Notify::new()),
            scavenger: AtomicBool::new(false),
        }
    }

    /// The timeout a durable open gets: v1's, or for v2 the one asked for (milliseconds;
    /// 0 asks for the server's default), at most the v2 maximum (MS-SMB2 3.3.5.9.10).
    pub(crate) fn timeout(&self, v2_asked: Option<u32>) -> Duration {
        match v2_asked {
            None => self.limits.v1_timeout,
            Some(0) => self
                .limits
                .v2_default_timeout
                .min(self.limits.v2_max_timeout),
            Some(ms) => Duration::from_millis(u64::from(ms)).min(self.limits.v2_max_timeout),
        }
    }

    /// How many opens wait for their client.
    pub fn detached_count(&self) -> usize {
        self.inner.lock().detached.len()
    }

    /// Keeps `open` for its client if it is durable and still holds what made it so
    /// (`caching`: a batch oplock or a lease with handle caching, 3.3.7.1), within the
    /// limits; otherwise drops it (its handle closes with the last reference).
    fn preserve(self: &Arc<Self>, open: Arc<Open>, caching: bool) {
        let Some(d) = open.durable.get() else {
            return;
        };
        if !caching {
            return;
        }
        {
            let mut inner = self.inner.lock();
            let mine = inner.per_owner.get(&d.owner).copied().unwrap_or(0);
            if inner.detached.len() >= self.limits.max_detached
                || mine >= self.limits.max_detached_per_user
            {
                return;
            }
            open.relay.detach(self);
            *inner.per_owner.entry(d.owner).or_default() += 1;
            inner.detached.insert(
                open.file_id.persistent,
                Detached {
                    open,
                    owner: d.owner,
                    deadline: Instant::now() + d.timeout,
                },
            );
        }
        self.start_scavenger();
        self.wake.notify_one();
    }

    /// The opens of a connection that ended (MS-SMB2 3.3.7.1): durable ones that still
    /// hold a batch oplock or a lease with handle caching are kept, the others close. One
    /// whose oplock or lease is breaking to less counts as holding what it breaks to: the
    /// break went to the connection that is gone, and no client will acknowledge it, so
    /// the opener waiting for it gets the file when the open closes now.
    pub(crate) fn connection_lost(
        self: &Arc<Self>,
        leases: &crate::files::LeaseTable,
        opens: Vec<Arc<Open>>,
    ) {
        for open in opens {
            let Some(d) = open.durable.get() else {
                continue;
            };
            let caching = match d.lease {
                Some((client_guid, key)) => {
                    leases.settled_state(client_guid, key) & lwio_smb2::oplock::LeaseState::HANDLE.0
                        != 0
                }
                None => open.oplock.settled_level() == lwio_smb2::OplockLevel::BATCH,
            };
            self.preserve(open, caching);
        }
    }

    /// Takes the preserved open `persistent` out of the table if `check` accepts it (a
    /// reconnect); the status `check` refused with, or STATUS_OBJECT_NAME_NOT_FOUND when
    /// no open with that id waits.
    pub(crate) fn reclaim(
        &self,
        persistent: u64,
        check: impl FnOnce(&Open, &Durability) -> Result<(), lwio_core::NtStatus>,
    ) -> Result<Arc<Open>, lwio_core::NtStatus> {
        let mut inner = self.inner.lock();
        let entry = inner
            .detached
            .get(&persistent)
            .ok_or(lwio_core::NtStatus::OBJECT_NAME_NOT_FOUND)?;
        let d = entry
            .open
            .durable
            .get()
            .ok_or(lwio_core::NtStatus::OBJECT_NAME_NOT_FOUND)?;
        check(&entry.open, &d)?;
        let entry = inner
            .detached
            .remove(&persistent)
            .ok_or(lwio_core::NtStatus::OBJECT_NAME_NOT_FOUND)?;
        Self::uncount(&mut inner, &entry.owner);
        Ok(entry.open)
    }

    /// Records the v2 open `open` under its client's ClientGuid and its CreateGuid.
    pub(crate) fn index_guid(&self, guid: CreateKey, open: &Arc<Open>) {
        let mut inner = self.inner.lock();
        // Entries die with their opens; prune when the map outgrows what is live.
        if inner.by_guid.len() >= 1024 && inner.by_guid.len().is_power_of_two() {
            inner.by_guid.retain(|_, w| w.strong_count() > 0);
        }
        inner.by_guid.insert(guid, Arc::downgrade(open));
    }

    /// Marks the v2 create `guid` (ClientGuid, CreateGuid) as in progress until the guard
    /// drops; `None` when one with that identity already is (its replay arrived while it
    /// waits, for an oplock break say).
    pub(crate) fn start_create(self: &Arc<Self>, guid: CreateKey) -> Option<CreateInProgress> {
        self.inner
            .lock()
            .pending
            .insert(guid)
            .then(|| CreateInProgress {
                table: Arc::clone(self),
                guid,
            })
    }

    /// The live open created as `guid` (ClientGuid, CreateGuid), attached to a session or
    /// preserved.
    pub(crate) fn by_guid(&self, guid: &CreateKey) -> Option<Arc<Open>> {
        self.inner.lock().by_guid.get(guid).and_then(Weak::upgrade)
    }

    fn uncount(inner: &mut Inner, owner: &Sid) {
        if let Some(n) = inner.per_owner.get_mut(owner) {
            *n -= 1;
            if *n == 0 {
                inner.per_owner.remove(owner);
            }
        }
    }

    /// Takes the preserved open `persistent` out of the table, for its caller to close (a
    /// create with its AppInstanceId replaces it); `None` when it does not wait here.
    pub(crate) fn take_detached(&self, persistent: u64) -> Option<Arc<Open>> {
        let mut inner = self.inner.lock();
        let entry = inner.detached.remove(&persistent)?;
        Self::uncount(&mut inner, &entry.owner);
        Some(entry.open)
    }

    /// Closes the preserved open `persistent` (a break reached it): it is taken out now
    /// and its handle closes on the scavenger's task, outside the break's call.
    pub(crate) fn purge(&self, persistent: u64) {
        let mut inner = self.inner.lock();
        if let Some(entry) = inner.detached.remove(&persistent) {
            Self::uncount(&mut inner, &entry.owner);
            inner.doomed.push(entry.open);
        }
        drop(inner);
        self.wake.notify_one();
    }

    /// Takes out what is due at `now` (and what breaks doomed); the next deadline.
    fn due(&self, now: Instant) -> (Vec<Arc<Open>>, Option<Instant>) {
        let mut inner = self.inner.lock();
        let expired: Vec<u64> = inner
            .detached
            .iter()
            .filter(|(_, d)| d.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        let mut out = std::mem::take(&mut inner.doomed);
        for id in expired {
            if let Some(entry) = inner.detached.remove(&id) {
                Self::uncount(&mut inner, &entry.owner);
                out.push(entry.open);
            }
        }
        let next = inner.detached.values().map(|d| d.deadline).min();
        (out, next)
    }

    /// Starts the scavenger on the current tokio runtime, once.
    fn start_scavenger(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.scavenger.swap(true, Ordering::AcqRel) {
            return;
        }
        let table = Arc::downgrade(self);
        let wake = Arc::clone(&self.wake);
        rt.spawn(scavenge(table, wake));
    }
}

/// A v2 create in progress ([`DurableTable::start_create`]).
pub(crate) struct CreateInProgress {
    table: Arc<DurableTable>,
    guid: CreateKey,
}

impl Drop for CreateInProgress {
    fn drop(&mut self) {
        self.table.inner.lock().pending.remove(&self.guid);
    }
}

/// The scavenger: closes preserved opens at their deadline, and those a break doomed. It
/// ends with the table (it holds it only between waits).
async fn scavenge(table: Weak<DurableTable>, wake: Arc<Notify>) {
    /// The longest wait: the task notices a dropped table within it.
    const TICK: Duration = Duration::from_secs(1);
    loop {
        let next = {
            let Some(table) = table.upgrade() else {
                return;
            };
            let (closing, next) = table.due(Instant::now());
            for open in closing {
                close(open).await;
            }
            next
        };
        let wait = next.map_or(TICK, |n| {
            n.saturating_duration_since(Instant::now()).min(TICK)
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
    }
}

/// Closes a preserved open's handle (or leaves it to the last request that holds it).
async fn close(open: Arc<Open>) {
    if let Ok(open) = Arc::try_unwrap(open) {
        let _ = open.handle.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_timeouts_default_and_cap() {
        let table = DurableTable::default();
        assert_eq!(table.timeout(None), Duration::from_secs(16 * 60));
        assert_eq!(table.timeout(Some(0)), Duration::from_secs(60));
        assert_eq!(table.timeout(Some(5000)), Duration::from_secs(5));
        assert_eq!(table.timeout(Some(u32::MAX)), Duration::from_secs(300));
    }

    #[test]
    fn owner_counts_go_away_at_zero() {
        let table = DurableTable::default();
        let mut inner = table.inner.lock();
        let a: Sid = "S-1-5-21-1-2-3-1000".parse().unwrap();
        *inner.per_owner.entry(a).or_default() += 2;
        DurableTable::uncount(&mut inner, &a);
        assert_eq!(inner.per_owner.get(&a), Some(&1));
        DurableTable::uncount(&mut inner, &a);
        assert!(inner.per_owner.is_empty());
    }
}
