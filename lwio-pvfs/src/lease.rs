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
//!   takes W away, or H, must be acknowledged: the lease is *breaking*. A break that only
//!   takes R away (R to none, RH to H) needs none. Who waits for a breaking lease: an open
//!   waits for an *exclusive* break (one that took W away, as a legacy exclusive oplock's);
//!   a share conflict, a rename or a delete waits for the H breaks it caused; a write, a
//!   lock and an overwrite of a lease without W wait for nothing (smbtorture's
//!   smb2.lease.breaking4).
//! - **A conflict during a break.** One notification at a time (MS-FSA 2.1.4.12): a
//!   conflict that meets a breaking lease sends nothing; it lowers the level the lease
//!   must end at, and waits as above. The holder's acknowledgment (of the level it was
//!   told) is then answered at once with the next break on the acknowledging IRP: H and W
//!   go first, R after (RWH breaking to RH, then an overwrite: RH to R, then R to none, as
//!   Windows answers smb2.lease.breaking3).
//! - **Acknowledge.** FSCTL_REQUEST_OPLOCK with flag ACK and the level kept (within the
//!   level the holder was told; more is STATUS_INVALID_PARAMETER) on an open of the key: a
//!   level other than none pends as the lease again (or completes at once with the next
//!   break, above); none completes. An acknowledgment with no break in progress is
//!   STATUS_INVALID_OPLOCK_PROTOCOL.
//! - **Timeout.** No acknowledgment within the volume's break timeout (35 s): the lease is
//!   gone, and the waiters go on.
//! - **Release.** The cleanup of the open holding the IRP: when other opens of the key
//!   remain, the IRP completes with STATUS_OPLOCK_HANDLE_CLOSED and the lease stays
//!   (without an IRP; a new request on another open of the key takes it up); with the
//!   key's last open, the lease is gone. Cancelling the IRP releases the lease.
//!
//! ## What breaks what (MS-FSA 2.1.4.12, as PVFS reads it)
//! Only leases of *other* keys break.
//! - An open that asks for more than attribute and security access (a lease stat open
//!   may ask FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES, SYNCHRONIZE and READ_CONTROL,
//!   [`crate::oplock::LEASE_STAT_ACCESS`]): W goes (RWH to RH, RW to R); an overwrite or
//!   supersede breaks to none. Before the share check, a lease
//!   with H whose key's opens would fail the new open's share check loses H, so its
//!   holder may close cached handles and the open then succeed; a delete-on-close open
//!   takes H from every other key's lease.
//! - A write, a change of size or allocation, a byte-range lock: other keys' leases break
//!   to none (as Windows answers smbtorture's smb2.lease.breaking2 and lock1), RH with an
//!   acknowledgment, R without; the change does not wait (no other key can hold W while
//!   this open has the file open for data).
//! - A rename or a delete disposition: H goes, and the change waits for it.
//!
//! ## Directory leases (MS-FSA 2.1.4.12 with PARENT_OBJECT, 2.1.4.12.2)
//! A directory may have R or RH (a request with W on a directory is
//! STATUS_INVALID_PARAMETER; an SMB server then asks for less). Its own opens break it as a
//! file's (a share conflict or a delete-on-close open takes H). A change of one of its
//! entries (a name added, removed, renamed or linked, attributes, size, times, EAs or
//! security set, an overwrite, the write time a writing handle's close sets: whatever
//! change notify reports for a name directly in it, [`DirLeases::break_parents`]) breaks
//! every lease of the directory to none, without waiting for the acknowledgment, except
//! the lease whose key is the changing open's parent oplock key (its create's
//! `OplockKeyEcp::parent`, MS-FSA Open.ParentOplockKey): that client changed its own
//! directory. Every report names the changing open's parent key, so no path breaks its
//! own client's directory lease.
//!
//! Not supported: leases on named streams' share-check break.

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
    /// A break waiting for its acknowledgment.
    breaking: Option<Breaking>,
}

/// A lease break waiting for its acknowledgment.
#[derive(Clone, Copy)]
struct Breaking {
    /// The level the holder was told to break to: its acknowledgment may keep up to it.
    notified: u32,
    /// The level the lease must end at: `notified`, or less when another conflict came
    /// while the break waited (no second notification goes out meanwhile; the
    /// acknowledgment is answered with the next one).
    to: u32,
    /// The break took W away (an exclusive break): opens wait for it, as for a legacy
    /// exclusive oplock's. A break of a shared lease (RH, R) holds up only what needs H
    /// gone (a share conflict, a rename, a delete).
    exclusive: bool,
    /// When the break times out.
    deadline: Instant,
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

/// FSCTL_REQUEST_OPLOCK on the caller's thread (`timeout`: the volume's break timeout).
/// A lease granted on a directory is noted in `notify`'s [`DirLeases`], which its
/// entries' changes break.
pub(crate) fn fsctl(
    irp: Irp<'_, Pvfs>,
    input: &Bytes,
    timeout: Duration,
    notify: &crate::notify::Notifier,
) -> Dispatched {
    let Some(ccb) = irp.file_context() else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    let Some(req) = RequestOplockInput::decode(input) else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    let requesting = req.flags & REQUEST_OPLOCK_INPUT_FLAG_ACK == 0;
    if ccb.is_dir() && requesting && req.level != R && req.level != R | H {
        // A directory caches no writes: R or RH only (MS-FSA 2.1.5.17.2).
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let is_dir = ccb.is_dir();
    if is_dir && requesting {
        notify.dir_leases.note(&ccb.fcb, timeout);
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
        Ok(level) => {
            let dispatched = grant(&fcb, irp, ccb_id, key, level, timeout);
            if is_dir {
                // Noted before the grant too (a change meanwhile breaks it); again now,
                // as another directory's note may have dropped it while it had no lease.
                notify.dir_leases.note(&fcb, timeout);
            }
            dispatched
        }
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
    // Another key's open breaks W, unless it is a stat open (attributes, security).
    let data_open = |o: &OpenRecord| {
        !o.share
            .access
            .without(crate::oplock::LEASE_STAT_ACCESS)
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
/// A level within the one notified but above the one the lease must now end at (another
/// conflict came meanwhile) is taken; [`grant`] then breaks the lease again at once.
fn acknowledge(st: &mut FcbState, key: Key, level: u32) -> Result<u32, NtStatus> {
    let leases = &mut st.oplock.leases.0;
    let Some(i) = leases.iter().position(|l| l.key == key) else {
        return Err(NtStatus::INVALID_OPLOCK_PROTOCOL);
    };
    let Some(breaking) = leases[i].breaking else {
        return Err(NtStatus::INVALID_OPLOCK_PROTOCOL);
    };
    if level & !breaking.notified != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    leases[i].level = level;
    if level & !breaking.to != 0 {
        // Still breaking: the next notification goes out on the acknowledging IRP.
        return Ok(level);
    }
    if level == 0 {
        leases.swap_remove(i);
    } else {
        leases[i].breaking = None;
    }
    Ok(level)
}

/// The next step of a break that an acknowledgment at `level` left short of `to`: H (and
/// W) go first, R after (as Windows answers smbtorture's smb2.lease.breaking3: RH, then R,
/// then none).
fn next_step(level: u32, to: u32) -> u32 {
    let next = level & (to | R);
    if next == level { level & to } else { next }
}

/// Pends `irp` as `key`'s lease at `level`; an earlier IRP of the key completes with
/// STATUS_OPLOCK_SWITCHED_TO_NEW_HANDLE. When the lease is still breaking (an
/// acknowledgment that kept more than the break now allows), the IRP completes at once
/// with the next break.
fn grant(
    fcb: &Arc<Fcb>,
    irp: Irp<'_, Pvfs>,
    ccb_id: u64,
    key: Key,
    level: u32,
    timeout: Duration,
) -> Dispatched {
    let mut done = Completions::default();
    let (dispatched, granted) = crate::oplock::pend_under_lock(fcb, irp, cancel);
    let Some((pending, mut st)) = granted else {
        return dispatched;
    };
    let leases = &mut st.oplock.leases.0;
    let i = match leases.iter().position(|l| l.key == key) {
        Some(i) => {
            let lease = &mut leases[i];
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
            i
        }
        None => {
            leases.push(Lease {
                key,
                level,
                irp: Some((ccb_id, pending)),
                breaking: None,
            });
            leases.len() - 1
        }
    };
    if let Some(breaking) = leases[i].breaking {
        let lease = &mut leases[i];
        let next = next_step(lease.level, breaking.to);
        let ack = lease.level & W != 0 || lease.level & !next & H != 0;
        let out = RequestOplockOutput {
            original: lease.level,
            new: next,
            flags: if ack {
                REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED
            } else {
                0
            },
        };
        if let Some((_, irp)) = lease.irp.take() {
            done.push(irp, NtStatus::SUCCESS, Some(out));
        }
        if ack {
            lease.breaking = Some(Breaking {
                notified: next,
                deadline: Instant::now() + timeout,
                ..breaking
            });
        } else if next == 0 {
            leases.swap_remove(i);
        } else {
            lease.level = next;
            lease.breaking = None;
        }
    }
    drop(st);
    fcb.oplock_changed.notify_all();
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

/// Takes `strip` from every lease whose key is not `own` and for which `only` says so
/// (their IRPs' completions go to `done`); the keys of the leases it chose.
fn strip_leases(
    st: &mut FcbState,
    own: Option<Key>,
    strip: u32,
    only: impl Fn(&FcbState, Key) -> bool,
    timeout: Duration,
    done: &mut Completions,
) -> Vec<Key> {
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
    for &key in &chosen {
        let Some(i) = leases.iter().position(|l| l.key == key) else {
            continue;
        };
        let lease = &mut leases[i];
        if let Some(breaking) = lease.breaking.as_mut() {
            // Already breaking: it must now end lower, which the holder learns in the
            // answer to its acknowledgment (MS-FSA: one break notification at a time).
            breaking.to &= !strip;
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
                lease.breaking = Some(Breaking {
                    notified: new,
                    to: new,
                    exclusive: lease.level & W != 0,
                    deadline: Instant::now() + timeout,
                });
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
    chosen
}

/// Whom a breaking operation waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WaitFor {
    /// The breaks of the leases it chose (it needs their H gone: a share conflict, a
    /// rename, a delete).
    Chosen,
    /// Exclusive breaks (those that took W away) of any other key: an open.
    Exclusive,
}

/// Waits until no lease of a key other than `own` is breaking (of those `whom` names):
/// acknowledged, released, timed out (the lease is then gone), or the wait cancelled
/// (STATUS_CANCELLED).
fn wait_breaks(
    fcb: &Fcb,
    own: Option<Key>,
    whom: WaitFor,
    chosen: &[Key],
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    let mut st = fcb.state.lock();
    let mut announced = false;
    loop {
        let next = st
            .oplock
            .leases
            .0
            .iter()
            .filter(|l| Some(l.key) != own)
            .filter(|l| match whom {
                WaitFor::Chosen => chosen.contains(&l.key),
                WaitFor::Exclusive => l.breaking.is_some_and(|b| b.exclusive),
            })
            .filter_map(|l| l.breaking)
            .map(|b| b.deadline)
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
                .retain(|l| l.breaking.is_none_or(|b| b.deadline > now));
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

/// Breaks other keys' leases for `strip` (a break needing an acknowledgment times out
/// after `timeout`); then waits (for `whom`) when `wait` is given.
fn break_and_wait(
    fcb: &Fcb,
    own: Option<Key>,
    strip: u32,
    only: impl Fn(&FcbState, Key) -> bool,
    timeout: Duration,
    wait: Option<(&Wait<'_>, WaitFor)>,
) -> Result<(), NtStatus> {
    let mut done = Completions::default();
    let chosen = {
        let mut st = fcb.state.lock();
        if st.oplock.leases.is_empty() {
            return Ok(());
        }
        strip_leases(&mut st, own, strip, only, timeout, &mut done)
    };
    done.run();
    match wait {
        Some((wait, whom)) => wait_breaks(fcb, own, whom, &chosen, wait),
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
    let to_wait = Some((wait, WaitFor::Chosen));
    break_and_wait(fcb, key, H, conflicts, wait.timeout, to_wait)
}

/// After the share check of an open by `key`: W goes from other keys' leases (R and H too
/// when the open overwrites), and the open waits for the acknowledgments of exclusive
/// breaks (a shared lease's break to none does not hold an overwrite up, as Windows
/// answers smbtorture's smb2.lease.breaking4).
pub(crate) fn on_open(
    fcb: &Fcb,
    key: Option<Key>,
    overwrites: bool,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    let strip = if overwrites { R | W | H } else { W };
    let to_wait = Some((wait, WaitFor::Exclusive));
    break_and_wait(fcb, key, strip, |_, _| true, wait.timeout, to_wait)
}

/// What a change of the file takes from other keys' leases.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ChangeKind {
    /// A write or a size change: read and write caching.
    Data,
    /// A rename or a delete disposition: handle caching.
    Name,
}

/// Before a change of the file by the open `ccb_id`: other keys' leases break (their
/// acknowledgments due within `timeout`), and the change waits for the acknowledgments
/// (none when `wait` is `None`).
pub(crate) fn before_change(
    fcb: &Fcb,
    ccb_id: u64,
    kind: ChangeKind,
    timeout: Duration,
    wait: Option<&Wait<'_>>,
) -> Result<(), NtStatus> {
    let own = {
        let st = fcb.state.lock();
        if st.oplock.leases.is_empty() {
            return Ok(());
        }
        st.opens.iter().find(|o| o.ccb_id == ccb_id).map(key_of)
    };
    let all = |_: &FcbState, _: Key| true;
    match kind {
        // No other key can hold W while this open may write: nothing to wait for.
        ChangeKind::Data => break_and_wait(fcb, own, R | W | H, all, timeout, None),
        ChangeKind::Name => {
            let to_wait = wait.map(|w| (w, WaitFor::Chosen));
            break_and_wait(fcb, own, H, all, timeout, to_wait)
        }
    }
}

/// The parent oplock key a create names (its `OplockKeyEcp`'s parent key).
pub(crate) fn requested_parent(req: &lwio_core::CreateRequest) -> Option<Key> {
    req.ecps
        .get::<lwio_core::oplock::OplockKeyEcp>()
        .and_then(|e| e.parent)
}

/// The parent oplock key of the open `ccb_id` of `fcb`.
pub(crate) fn parent_key_of(fcb: &Fcb, ccb_id: u64) -> Option<Key> {
    let st = fcb.state.lock();
    st.opens
        .iter()
        .find(|o| o.ccb_id == ccb_id)
        .and_then(|o| o.parent_key)
}

/// The directories of a volume that were granted a lease, so that a change of one of
/// their entries finds them (weakly held: an FCB goes with its last handle; dead and
/// lease-less entries are dropped as new ones come, so the list stays within the
/// directories open with a lease).
#[derive(Default)]
pub(crate) struct DirLeases(parking_lot::Mutex<Vec<(std::sync::Weak<Fcb>, Duration)>>);

impl DirLeases {
    /// Notes that `dir` asks for a lease (the break timeout of its volume: `timeout`).
    fn note(&self, dir: &Arc<Fcb>, timeout: Duration) {
        let mut dirs = self.0.lock();
        dirs.retain(|(d, _)| {
            d.upgrade()
                .is_some_and(|d| !Arc::ptr_eq(&d, dir) && !d.state.lock().oplock.leases.is_empty())
        });
        dirs.push((Arc::downgrade(dir), timeout));
    }

    /// Breaks to none the leases of the directories directly holding any of `paths`
    /// (share-relative), except the lease whose key is `parent` (the changing open's
    /// parent oplock key). Nothing waits for the acknowledgments.
    pub(crate) fn break_parents<'p>(
        &self,
        paths: impl Iterator<Item = &'p str>,
        parent: Option<Key>,
    ) {
        let hit: Vec<(Arc<Fcb>, Duration)> = {
            let dirs = self.0.lock();
            if dirs.is_empty() {
                return;
            }
            let parents: Vec<&str> = paths.map(|p| crate::path::split_last(p).0).collect();
            dirs.iter()
                .filter_map(|(d, t)| d.upgrade().map(|d| (d, *t)))
                .filter(|(d, _)| {
                    let path = d.state.lock().path.clone();
                    parents.iter().any(|p| *p == path)
                })
                .collect()
        };
        let all = |_: &FcbState, _: Key| true;
        for (dir, timeout) in hit {
            // No wait: nothing to fail, the change is made.
            let _ = break_and_wait(&dir, parent, R | H, all, timeout, None);
        }
    }
}

/// The oplock key a create asks for (its `OplockKeyEcp`, acknowledged as used).
pub(crate) fn requested_key(req: &lwio_core::CreateRequest) -> Option<Key> {
    let ecp = req.ecps.get::<lwio_core::oplock::OplockKeyEcp>()?;
    req.ecps.acknowledge::<lwio_core::oplock::OplockKeyEcp>();
    Some(ecp.key)
}
