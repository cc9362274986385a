//! Leases on PVFS files: Windows 7 oplocks (MS-FSA 2.1.5.17 with REQUEST_OPLOCK_INPUT_BUFFER,
//! 2.1.4.12, 2.1.5.18), requested, broken and acknowledged through IRPs as on Windows.
//!
//! ## The model
//! A lease is read (R), read-write (RW), read-handle (RH) or read-write-handle (RWH)
//! caching promised to an *oplock key* rather than to one open: every open created with
//! the same key (the [`OplockKeyEcp`](lwio_core::oplock::OplockKeyEcp) create parameter; an
//! SMB server passes the client's lease key there) shares it, and no open of that key
//! breaks it. An open without a key is a key of its own.
//!
//! - **Request.** FSCTL_REQUEST_OPLOCK with flag REQUEST and a level on any open of the
//!   key. Refused (STATUS_OPLOCK_NOT_GRANTED, completed at once) when another key's open
//!   exists and W is asked, when a legacy exclusive/batch oplock is held, when H or W is
//!   asked beside a level 2 oplock, when another key holds W, while this key's lease is breaking, or when R is asked with byte-range locks
//!   on the file; a level that is not R, RW, RH or RWH is STATUS_INVALID_PARAMETER. A
//!   granted request *pends*, as a legacy oplock's does. A request on a key that already
//!   holds a lease must ask at least what it holds: the new IRP takes the lease over and
//!   the old one completes with STATUS_OPLOCK_SWITCHED_TO_NEW_HANDLE.
//! - **Break.** The pending IRP completes with STATUS_SUCCESS and a
//!   REQUEST_OPLOCK_OUTPUT_BUFFER (original level, new level, ACK_REQUIRED). A break that
//!   takes W away, or H, must be acknowledged: the lease is *breaking* and the operation
//!   that broke it waits (as a legacy exclusive break) until the acknowledgment, the
//!   release of the lease, or the break timeout. A break that only takes R away (R to
//!   none, RH to H) needs none.
//! - **Acknowledge.** FSCTL_REQUEST_OPLOCK with flag ACK and the level kept (within the
//!   level broken to; more is STATUS_INVALID_PARAMETER) on an open of the key: a level
//!   other than none pends as the lease again; none completes. An acknowledgment with no
//!   break in progress is STATUS_INVALID_OPLOCK_PROTOCOL.
//! - **Timeout.** No acknowledgment within the volume's break timeout (35 s): the lease is
//!   gone, and the waiters go on.
//! - **Release.** The cleanup of the open holding the IRP: when other opens of the key
//!   remain, the IRP completes with STATUS_OPLOCK_HANDLE_CLOSED and the lease stays
//!   (without an IRP; a new request on another open of the key takes it up); with the
//!   key's last open, the lease is gone. Cancelling the IRP releases the lease.
//!
//! ## What breaks what (MS-FSA 2.1.4.12, as PVFS reads it)
//! Only leases of *other* keys break.
//! - An open that asks for more than attribute access: W goes (RWH to RH, RW to R); an
//!   overwrite or supersede breaks to none. Before the share check, a lease
//!   with H whose key's opens would fail the new open's share check loses H, so its
//!   holder may close cached handles and the open then succeed; a delete-on-close open
//!   takes H from every other key's lease.
//! - A write, a change of size or allocation, a byte-range lock: other keys' leases break
//!   to none (as Windows answers smbtorture's smb2.lease.breaking2 and lock1), RH with an
//!   acknowledgment, R without; the change does not wait (no other key can hold W while
//!   this open has the file open for data).
//! - A rename or a delete disposition: H goes, and the change waits for it.
//!
//! Not supported: directory leases (a lease request on a directory is
//! STATUS_INVALID_PARAMETER, as the legacy requests are) and leases on named streams'
//! share-check break.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lwio_core::oplock::{
    OPLOCK_LEVEL_CACHE_HANDLE as H, OPLOCK_LEVEL_CACHE_READ as R, OPLOCK_LEVEL_CACHE_WRITE as W,
    REQUEST_OPLOCK_INPUT_FLAG_ACK, REQUEST_OPLOCK_INPUT_FLAG_REQUEST,
    REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED, RequestOplockInput, RequestOplockOutput,
};
use lwio_core::{Dispatched, Irp, IrpResult, NtStatus, PendingIrp};

use crate::Pvfs;
use crate::fcb::{Fcb, FcbState, OpenRecord};
use crate::oplock::Wait;
use crate::share::{ShareState, check_share_access};

/// How often a waiting operation looks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// An oplock key.
pub(crate) type Key = [u8; 16];

/// The key an open stands for: its own, or (without one) a key no other open has.
pub(crate) fn key_of(rec: &OpenRecord) -> Key {
    rec.oplock_key.unwrap_or_else(|| {
        let mut k = [0xA5u8; 16];
        k[..8].copy_from_slice(&rec.ccb_id.to_le_bytes());
        k
    })
}

/// One lease of a file.
struct Lease {
    key: Key,
    level: u32,
    /// The pending FSCTL_REQUEST_OPLOCK that is the lease, and the open it was sent on.
    irp: Option<(u64, PendingIrp<Pvfs>)>,
    /// A break waiting for its acknowledgment: the level broken to, and until when.
    breaking: Option<(u32, Instant)>,
}

/// The leases of one file (on its FCB, within its oplock state).
#[derive(Default)]
pub(crate) struct Leases(Vec<Lease>);

impl Leases {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when a lease holds (or is breaking from) write or handle caching: no level 2
    /// oplock may join it (as Windows answers smbtorture's smb2.lease.oplock).
    pub(crate) fn has_write_or_handle(&self) -> bool {
        self.0.iter().any(|l| l.level & (W | H) != 0)
    }
}

/// IRPs to complete once the FCB lock is released.
#[derive(Default)]
struct Completions(Vec<(PendingIrp<Pvfs>, IrpResult)>);

impl Completions {
    fn push(&mut self, irp: PendingIrp<Pvfs>, status: NtStatus, out: Option<RequestOplockOutput>) {
        let output = out.map(|o| o.encode()).unwrap_or_default();
        let information = output.len() as u64;
        self.0.push((
            irp,
            IrpResult {
                status,
                information,
                output,
            },
        ));
    }

    fn run(self) {
        for (irp, result) in self.0 {
            irp.complete_result(result);
        }
    }
}

fn valid_level(level: u32) -> bool {
    matches!(level, l if l == R || l == R | W || l == R | H || l == R | W | H)
}

/// FSCTL_REQUEST_OPLOCK on the caller's thread.
pub(crate) fn fsctl(irp: Irp<'_, Pvfs>, input: &Bytes) -> Dispatched {
    let Some(ccb) = irp.file_context() else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    let Some(req) = RequestOplockInput::decode(input) else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    if ccb.is_dir() {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let fcb = Arc::clone(&ccb.fcb);
    let ccb_id = ccb.id;
    let mut st = fcb.state.lock();
    let Some(key) = st.opens.iter().find(|o| o.ccb_id == ccb_id).map(key_of) else {
        drop(st);
        return irp.complete(NtStatus::INVALID_HANDLE);
    };
    let refused = if req.flags & REQUEST_OPLOCK_INPUT_FLAG_ACK != 0 {
        acknowledge(&mut st, key, req.level)
    } else if req.flags & REQUEST_OPLOCK_INPUT_FLAG_REQUEST != 0 {
        check_request(&st, key, req.level)
    } else {
        Err(NtStatus::INVALID_PARAMETER)
    };
    drop(st);
    fcb.oplock_changed.notify_all();
    match refused {
        Err(status) => irp.complete(status),
        // An acknowledgment down to none: nothing left to hold.
        Ok(0) => irp.complete(NtStatus::SUCCESS),
        Ok(level) => grant(&fcb, irp, ccb_id, key, level),
    }
}

/// Whether `key` may have a lease of `level` now; the level to grant.
fn check_request(st: &FcbState, key: Key, level: u32) -> Result<u32, NtStatus> {
    if !valid_level(level) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let op = &st.oplock;
    // Beside a level 2 oplock only R is granted (as Windows answers smb2.lease.oplock).
    if op.exclusive_held() || (level & (W | H) != 0 && op.has_level2()) {
        return Err(NtStatus::OPLOCK_NOT_GRANTED);
    }
    if level & R != 0 && !st.locks.is_empty() {
        return Err(NtStatus::OPLOCK_NOT_GRANTED);
    }
    // Another key's open breaks W, unless it is a stat open (attributes only).
    let data_open = |o: &OpenRecord| {
        !o.share
            .access
            .without(crate::oplock::STAT_ACCESS)
            .is_empty()
    };
    if level & W != 0 && st.opens.iter().any(|o| key_of(o) != key && data_open(o)) {
        return Err(NtStatus::OPLOCK_NOT_GRANTED);
    }
    for lease in &op.leases.0 {
        if lease.key == key {
            if lease.breaking.is_some() || lease.level & !level != 0 {
                return Err(NtStatus::OPLOCK_NOT_GRANTED);
            }
        } else if lease.level & W != 0 || lease.breaking.is_some() || level & W != 0 {
            return Err(NtStatus::OPLOCK_NOT_GRANTED);
        }
    }
    Ok(level)
}

/// An acknowledgment of `key`'s break keeping `level`; the level to pend at (0: none).
fn acknowledge(st: &mut FcbState, key: Key, level: u32) -> Result<u32, NtStatus> {
    let leases = &mut st.oplock.leases.0;
    let Some(i) = leases.iter().position(|l| l.key == key) else {
        return Err(NtStatus::INVALID_OPLOCK_PROTOCOL);
    };
    let Some((to, _)) = leases[i].breaking else {
        return Err(NtStatus::INVALID_OPLOCK_PROTOCOL);
    };
    if level & !to != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if level == 0 {
        leases.swap_remove(i);
    } else {
        leases[i].breaking = None;
        leases[i].level = level;
    }
    Ok(level)
}

/// Pends `irp` as `key`'s lease at `level`; an earlier IRP of the key completes with
/// STATUS_OPLOCK_SWITCHED_TO_NEW_HANDLE.
fn grant(fcb: &Arc<Fcb>, irp: Irp<'_, Pvfs>, ccb_id: u64, key: Key, level: u32) -> Dispatched {
    let mut done = Completions::default();
    let (dispatched, granted) = crate::oplock::pend_under_lock(fcb, irp, cancel);
    let Some((pending, mut st)) = granted else {
        return dispatched;
    };
    let leases = &mut st.oplock.leases.0;
    match leases.iter_mut().find(|l| l.key == key) {
        Some(lease) => {
            if let Some((_, old)) = lease.irp.take() {
                let out = RequestOplockOutput {
                    original: lease.level,
                    new: level,
                    flags: 0,
                };
                done.push(old, NtStatus::OPLOCK_SWITCHED_TO_NEW_HANDLE, Some(out));
            }
            lease.level = level;
            lease.irp = Some((ccb_id, pending));
        }
        None => leases.push(Lease {
            key,
            level,
            irp: Some((ccb_id, pending)),
            breaking: None,
        }),
    }
    drop(st);
    done.run();
    dispatched
}

/// The cancel routine of a lease IRP (its handle's close cancels it too): while other
/// opens of the key remain, the lease stays with them and the IRP completes with
/// STATUS_OPLOCK_HANDLE_CLOSED; otherwise the lease is released.
fn cancel(fcb: &Fcb, irp_id: u64) {
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        let held = |l: &Lease| l.irp.as_ref().is_some_and(|(_, p)| p.id() == irp_id);
        let Some(i) = st.oplock.leases.0.iter().position(held) else {
            return;
        };
        let (key, holder) = {
            let lease = &st.oplock.leases.0[i];
            (lease.key, lease.irp.as_ref().map_or(0, |(id, _)| *id))
        };
        let others = st
            .opens
            .iter()
            .any(|o| o.ccb_id != holder && key_of(o) == key);
        let leases = &mut st.oplock.leases.0;
        if others {
            if let Some((_, irp)) = leases[i].irp.take() {
                done.push(irp, NtStatus::OPLOCK_HANDLE_CLOSED, None);
            }
        } else if let Some((_, irp)) = leases.swap_remove(i).irp {
            done.push(irp, NtStatus::CANCELLED, None);
        }
    }
    fcb.oplock_changed.notify_all();
    done.run();
}

/// At the cleanup of the open `ccb_id` (already out of the file's opens): its lease IRP
/// completes; the lease stays while other opens of its key remain.
pub(crate) fn release(fcb: &Fcb, ccb_id: u64, key: Key) {
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        if st.oplock.leases.is_empty() {
            return;
        }
        let key_open = st.opens.iter().any(|o| key_of(o) == key);
        let leases = &mut st.oplock.leases.0;
        let Some(i) = leases.iter().position(|l| l.key == key) else {
            return;
        };
        let lease = &mut leases[i];
        let holds = lease.irp.as_ref().is_some_and(|(id, _)| *id == ccb_id);
        if key_open {
            if holds {
                if let Some((_, irp)) = lease.irp.take() {
                    done.push(irp, NtStatus::OPLOCK_HANDLE_CLOSED, None);
                }
            }
        } else {
            let lease = leases.swap_remove(i);
            if let Some((_, irp)) = lease.irp {
                let out = RequestOplockOutput {
                    original: lease.level,
                    new: 0,
                    flags: 0,
                };
                done.push(irp, NtStatus::SUCCESS, Some(out));
            }
        }
    }
    fcb.oplock_changed.notify_all();
    done.run();
}

/// Takes `strip` from every lease whose key is not `own` (and, when `only` is given, for
/// which it says so); the completions to run and whether anything now breaks.
fn strip_leases(
    st: &mut FcbState,
    own: Option<Key>,
    strip: u32,
    only: impl Fn(&FcbState, Key) -> bool,
    timeout: Duration,
    done: &mut Completions,
) {
    let chosen: Vec<Key> = st
        .oplock
        .leases
        .0
        .iter()
        .filter(|l| Some(l.key) != own && l.level & strip != 0)
        .map(|l| l.key)
        .filter(|k| only(st, *k))
        .collect();
    let leases = &mut st.oplock.leases.0;
    for key in chosen {
        let Some(i) = leases.iter().position(|l| l.key == key) else {
            continue;
        };
        let lease = &mut leases[i];
        if let Some((to, _)) = lease.breaking.as_mut() {
            // Already breaking: it now breaks further.
            *to &= !strip;
            continue;
        }
        let new = lease.level & !strip;
        let ack = lease.level & W != 0 || strip & lease.level & H != 0;
        let out = RequestOplockOutput {
            original: lease.level,
            new,
            flags: if ack {
                REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED
            } else {
                0
            },
        };
        match lease.irp.take() {
            Some((_, irp)) if ack => {
                lease.breaking = Some((new, Instant::now() + timeout));
                done.push(irp, NtStatus::SUCCESS, Some(out));
            }
            irp => {
                // No acknowledgment: the lease is at its new level at once (an orphaned
                // lease, whose IRP went with its handle, has no one to tell).
                if let Some((_, irp)) = irp {
                    done.push(irp, NtStatus::SUCCESS, Some(out));
                }
                if new == 0 {
                    leases.swap_remove(i);
                } else {
                    lease.level = new;
                }
            }
        }
    }
}

/// Waits until no lease of a key other than `own` is breaking: acknowledged, released,
/// timed out (the lease is then gone), or the wait cancelled (STATUS_CANCELLED).
fn wait_breaks(fcb: &Fcb, own: Option<Key>, wait: &Wait<'_>) -> Result<(), NtStatus> {
    let mut st = fcb.state.lock();
    let mut announced = false;
    loop {
        let next = st
            .oplock
            .leases
            .0
            .iter()
            .filter(|l| Some(l.key) != own)
            .filter_map(|l| l.breaking.map(|(_, deadline)| deadline))
            .min();
        let Some(deadline) = next else {
            return Ok(());
        };
        let now = Instant::now();
        if now >= deadline {
            tracing::debug!("lease break timed out; the lease is released");
            st.oplock
                .leases
                .0
                .retain(|l| l.breaking.is_none_or(|(_, d)| d > now));
            continue;
        }
        if (wait.cancelled)() {
            return Err(NtStatus::CANCELLED);
        }
        if !announced {
            announced = true;
            if let Some(announce) = wait.announce {
                announce.notify();
            }
        }
        let slice = (deadline - now).min(CANCEL_POLL);
        fcb.oplock_changed.wait_for(&mut st, slice);
    }
}

/// Breaks other keys' leases for `strip`; then waits when `waits`.
fn break_and_wait(
    fcb: &Fcb,
    own: Option<Key>,
    strip: u32,
    only: impl Fn(&FcbState, Key) -> bool,
    wait: Option<&Wait<'_>>,
) -> Result<(), NtStatus> {
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        if st.oplock.leases.is_empty() {
            return Ok(());
        }
        let timeout = wait.map_or(Duration::ZERO, |w| w.timeout);
        strip_leases(&mut st, own, strip, only, timeout, &mut done);
    }
    done.run();
    match wait {
        Some(wait) => wait_breaks(fcb, own, wait),
        None => Ok(()),
    }
}

/// Before the share check of an open (by `key`, asking `share`): leases with H whose
/// key's opens conflict with it lose H (all of them when the open is delete-on-close, as
/// Windows answers smbtorture's smb2.lease.unlink), and the open waits.
pub(crate) fn before_share_check(
    fcb: &Fcb,
    key: Option<Key>,
    share: ShareState,
    delete_on_close: bool,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    let conflicts = |st: &FcbState, k: Key| {
        if delete_on_close {
            return true;
        }
        let theirs = st.opens.iter().filter(|o| key_of(o) == k).map(|o| &o.share);
        check_share_access(share, theirs).is_err()
    };
    break_and_wait(fcb, key, H, conflicts, Some(wait))
}

/// After the share check of an open by `key`: W goes from other keys' leases (R too when
/// the open overwrites), and the open waits for the acknowledgments.
pub(crate) fn on_open(
    fcb: &Fcb,
    key: Option<Key>,
    overwrites: bool,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    let strip = if overwrites { R | W | H } else { W };
    break_and_wait(fcb, key, strip, |_, _| true, Some(wait))
}

/// What a change of the file takes from other keys' leases.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ChangeKind {
    /// A write or a size change: read and write caching.
    Data,
    /// A rename or a delete disposition: handle caching.
    Name,
}

/// Before a change of the file by the open `ccb_id`: other keys' leases break, and the
/// change waits for the acknowledgments (none when `wait` is `None`).
pub(crate) fn before_change(
    fcb: &Fcb,
    ccb_id: u64,
    kind: ChangeKind,
    wait: Option<&Wait<'_>>,
) -> Result<(), NtStatus> {
    let own = {
        let st = fcb.state.lock();
        if st.oplock.leases.is_empty() {
            return Ok(());
        }
        st.opens.iter().find(|o| o.ccb_id == ccb_id).map(key_of)
    };
    match kind {
        // No other key can hold W while this open may write: nothing to wait for.
        ChangeKind::Data => break_and_wait(fcb, own, R | W | H, |_, _| true, None),
        ChangeKind::Name => break_and_wait(fcb, own, H, |_, _| true, wait),
    }
}

/// The oplock key a create asks for (its `OplockKeyEcp`, acknowledged as used).
pub(crate) fn requested_key(req: &lwio_core::CreateRequest) -> Option<Key> {
    let ecp = req.ecps.get::<lwio_core::oplock::OplockKeyEcp>()?;
    req.ecps.acknowledge::<lwio_core::oplock::OplockKeyEcp>();
    Some(ecp.key)
}
