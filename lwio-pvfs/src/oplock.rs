//! Opportunistic locks on PVFS files (MS-FSA 2.1.5.17, 2.1.4.12, 2.1.5.18), requested and
//! broken through IRPs as on Windows, so every protocol head and every local opener shares
//! them.
//!
//! ## The model
//! An oplock is a promise to one open that no other open will change (level 2: nor read
//! differently from what it caches; exclusive, or level 1: no other open at all; batch:
//! that, and the handle may stay open after its caller closed it). It lives on the file's
//! FCB ([`OplockState`]).
//!
//! - **Request.** FSCTL_REQUEST_OPLOCK_LEVEL_1, FSCTL_REQUEST_BATCH_OPLOCK and
//!   FSCTL_REQUEST_OPLOCK_LEVEL_2 on an open handle. When the oplock cannot be granted the
//!   IRP completes at once with STATUS_OPLOCK_NOT_GRANTED (a directory: STATUS_INVALID_
//!   PARAMETER). When it is granted the IRP *pends*: that pending IRP is the oplock. So a
//!   caller knows the grant by the IRP still being pending after dispatch
//!   ([`IrpFuture::is_pending`](lwio_core::IrpFuture::is_pending); PVFS answers these
//!   FSCTLs on the caller's thread, so the answer is there when dispatch returns).
//! - **Break.** When another open needs what the oplock promised, the IRP completes with
//!   STATUS_SUCCESS and `information` FILE_OPLOCK_BROKEN_TO_LEVEL_2 (7) or
//!   FILE_OPLOCK_BROKEN_TO_NONE (8). A level 2 oplock breaks to none and is gone at once;
//!   an exclusive or batch oplock is *breaking* until its holder acknowledges, and the
//!   operation that broke it waits (a create pends, on the worker thread that runs it).
//! - **Acknowledge.** FSCTL_OPLOCK_BREAK_ACKNOWLEDGE on the holder's handle: after a break
//!   to level 2 the acknowledging IRP pends as the new level 2 oplock; after a break to
//!   none it completes. FSCTL_OPLOCK_BREAK_ACK_NO_2 and FSCTL_OPBATCH_ACK_CLOSE_PENDING
//!   give everything up. An acknowledgment with no break in progress is
//!   STATUS_INVALID_OPLOCK_PROTOCOL (MS-FSA 2.1.5.18).
//! - **Timeout.** A holder that does not acknowledge within
//!   [`PvfsConfig::oplock_break_timeout`](crate::PvfsConfig::oplock_break_timeout) (35 s, as
//!   Windows) loses the oplock as if it had acknowledged to none, and the waiters go on.
//! - **Release.** Cancelling the oplock IRP, or the cleanup of its handle, releases it
//!   (and ends any break in progress).
//!
//! ## What breaks what (MS-FSA 2.1.4.12, as far as PVFS goes)
//! - An open of the file by another handle, unless it asks for nothing beyond
//!   FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES and SYNCHRONIZE (READ_CONTROL breaks
//!   legacy oplocks; for leases it is a stat open too, see [`LEASE_STAT_ACCESS`]): a
//!   batch oplock breaks *before* the share check (so its holder may close
//!   and the open succeed); an exclusive oplock only once the share check passed. Either
//!   breaks to level 2, or to none when the open overwrites or supersedes. Level 2 oplocks
//!   break to none on an overwriting open.
//! - A write, a byte-range lock, a change of end of file or allocation, a rename or a
//!   delete disposition: every level 2 oplock breaks to none (the writer's own too), and
//!   an exclusive or batch oplock of another handle breaks to none (the operation waits
//!   for it).
//!
//! The Windows 7 oplocks of FSCTL_REQUEST_OPLOCK (leases: read, write and handle caching
//! shared by the opens of one oplock key) are [`crate::lease`]'s; this module hands that
//! FSCTL over and calls it wherever a legacy oplock breaks. Not supported: filter oplocks
//! (FSCTL_REQUEST_FILTER_OPLOCK), STATUS_INVALID_DEVICE_REQUEST as any FSCTL PVFS does not
//! know.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lwio_core::oplock::{
    FILE_OPLOCK_BROKEN_TO_LEVEL_2, FILE_OPLOCK_BROKEN_TO_NONE, OplockBreakWait,
};
use lwio_core::{
    AccessMask, CreateDisposition, Dispatched, Irp, IrpRequest, NtStatus, PendingIrp, ShareAccess,
};
use lwio_fscc::CtlCode;
use parking_lot::MutexGuard;

use crate::Pvfs;
use crate::fcb::{Fcb, FcbState};

/// How long a break waits for its acknowledgment by default (Windows' 35 seconds).
pub(crate) const DEFAULT_BREAK_TIMEOUT: Duration = Duration::from_secs(35);

/// How often a waiting create looks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// The access of a "stat open", which breaks no oplock: an open asking for nothing beyond
/// these (MS-FSA 2.1.5.1.2.1, as Windows tells them apart).
pub(crate) const STAT_ACCESS: AccessMask = AccessMask(
    AccessMask::FILE_READ_ATTRIBUTES.0
        | AccessMask::FILE_WRITE_ATTRIBUTES.0
        | AccessMask::SYNCHRONIZE.0,
);

/// The access of a stat open as leases (Windows 7 oplocks) see it: [`STAT_ACCESS`] and
/// READ_CONTROL. Windows breaks a legacy oplock for an open asking READ_CONTROL (smbtorture's
/// smb2.oplock) but no lease (smb2.lease.statopen4): reading a security descriptor
/// changes nothing a lease caches.
pub(crate) const LEASE_STAT_ACCESS: AccessMask =
    AccessMask(STAT_ACCESS.0 | AccessMask::READ_CONTROL.0);

/// The exclusive (level 1) or batch oplock of a file.
pub(crate) struct Exclusive {
    ccb_id: u64,
    batch: bool,
    state: ExclusiveState,
}

enum ExclusiveState {
    /// Granted: the pending IRP is the oplock.
    Granted(PendingIrp<Pvfs>),
    /// Broken, waiting for the holder's acknowledgment until `deadline`.
    Breaking { to_level2: bool, deadline: Instant },
}

/// The oplocks of one file (on its FCB).
#[derive(Default)]
pub(crate) struct OplockState {
    exclusive: Option<Exclusive>,
    level2: Vec<(u64, PendingIrp<Pvfs>)>,
    /// The file's leases (Windows 7 oplocks, [`crate::lease`]).
    pub(crate) leases: crate::lease::Leases,
}

impl OplockState {
    fn is_empty(&self) -> bool {
        self.exclusive.is_none() && self.level2.is_empty() && self.leases.is_empty()
    }

    /// True when a level 1 or batch oplock is held (or breaking).
    pub(crate) fn exclusive_held(&self) -> bool {
        self.exclusive.is_some()
    }

    /// True when a level 2 oplock is held.
    pub(crate) fn has_level2(&self) -> bool {
        !self.level2.is_empty()
    }
}

/// IRPs to complete once the FCB lock is released.
#[derive(Default)]
struct Completions(Vec<(PendingIrp<Pvfs>, NtStatus, u64)>);

impl Completions {
    fn push(&mut self, irp: PendingIrp<Pvfs>, status: NtStatus, information: u64) {
        self.0.push((irp, status, information));
    }

    fn run(self) {
        for (irp, status, information) in self.0 {
            irp.complete_result(lwio_core::IrpResult {
                status,
                information,
                output: Vec::new(),
            });
        }
    }
}

/// True for the FSCTLs this module answers.
pub(crate) fn is_oplock_fsctl(code: u32) -> bool {
    matches!(
        CtlCode(code),
        CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1
            | CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2
            | CtlCode::FSCTL_REQUEST_BATCH_OPLOCK
            | CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE
            | CtlCode::FSCTL_OPBATCH_ACK_CLOSE_PENDING
            | CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2
            | CtlCode::FSCTL_REQUEST_OPLOCK
    )
}

/// Handles an oplock FSCTL on the caller's thread (`timeout`: the volume's break timeout).
pub(crate) fn fsctl(irp: Irp<'_, Pvfs>, volume: &crate::Volume) -> Dispatched {
    let timeout = volume.oplock_break_timeout;
    let (Some(ccb), IrpRequest::FsControl(c)) = (irp.file_context(), irp.request()) else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    let code = CtlCode(c.code);
    if code == CtlCode::FSCTL_REQUEST_OPLOCK {
        // Directories may have leases (R or RH), see `crate::lease`.
        let input = c.input.clone();
        return crate::lease::fsctl(irp, &input, timeout, &volume.notify);
    }
    if ccb.is_dir() {
        // MS-FSA 2.1.5.17: no legacy oplock on a directory.
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let fcb = Arc::clone(&ccb.fcb);
    let ccb_id = ccb.id;
    match code {
        CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1 | CtlCode::FSCTL_REQUEST_BATCH_OPLOCK => {
            let batch = code == CtlCode::FSCTL_REQUEST_BATCH_OPLOCK;
            let st = fcb.state.lock();
            let alone = st.opens.len() == 1 && st.opens.iter().all(|o| o.ccb_id == ccb_id);
            // The file's named streams have FCBs (and oplocks) of their own.
            if !alone || !st.oplock.is_empty() {
                drop(st);
                return irp.complete(NtStatus::OPLOCK_NOT_GRANTED);
            }
            drop(st);
            grant(&fcb, irp, ccb_id, Some(batch))
        }
        CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2 => {
            let st = fcb.state.lock();
            let refused = st.exclusive_held()
                || st.oplock.leases.has_write_or_handle()
                || !st.locks.is_empty()
                || st.oplock.level2.iter().any(|(id, _)| *id == ccb_id);
            drop(st);
            if refused {
                return irp.complete(NtStatus::OPLOCK_NOT_GRANTED);
            }
            grant(&fcb, irp, ccb_id, None)
        }
        _ => acknowledge(&fcb, irp, ccb_id, code),
    }
}

impl FcbState {
    fn exclusive_held(&self) -> bool {
        self.oplock.exclusive_held()
    }
}

/// A pended oplock or lease IRP with its cancel routine armed, and the FCB's state, locked.
pub(crate) type Armed<'f> = (PendingIrp<Pvfs>, MutexGuard<'f, FcbState>);

/// Pends `irp` (an oplock or a lease: the IRP is the grant) with a cancel routine that runs
/// `cancel`, and returns it with the FCB's lock held. `cancel` takes that lock, so it cannot
/// run before the caller stores the IRP under it. `None` when the IRP was cancelled before
/// the routine was armed: it is completed with STATUS_CANCELLED.
pub(crate) fn pend_under_lock<'f>(
    fcb: &'f Arc<Fcb>,
    irp: Irp<'_, Pvfs>,
    cancel: fn(&Fcb, u64),
) -> (Dispatched, Option<Armed<'f>>) {
    let (pending, dispatched) = irp.pend();
    let weak = Arc::downgrade(fcb);
    let id = pending.id();
    let st = fcb.state.lock();
    let armed = pending.set_cancel_routine(move || {
        if let Some(fcb) = weak.upgrade() {
            cancel(&fcb, id);
        }
    });
    if !armed {
        drop(st);
        pending.complete(NtStatus::CANCELLED);
        return (dispatched, None);
    }
    (dispatched, Some((pending, st)))
}

/// Pends `irp` as the oplock of `ccb_id`: exclusive (`Some(batch)`) or level 2 (`None`).
fn grant(fcb: &Arc<Fcb>, irp: Irp<'_, Pvfs>, ccb_id: u64, exclusive: Option<bool>) -> Dispatched {
    let (dispatched, granted) = pend_under_lock(fcb, irp, cancel);
    let Some((pending, mut st)) = granted else {
        return dispatched;
    };
    match exclusive {
        Some(batch) => {
            st.oplock.exclusive = Some(Exclusive {
                ccb_id,
                batch,
                state: ExclusiveState::Granted(pending),
            })
        }
        None => st.oplock.level2.push((ccb_id, pending)),
    }
    dispatched
}

/// The cancel routine of an oplock IRP: the oplock is released.
fn cancel(fcb: &Fcb, irp_id: u64) {
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        let op = &mut st.oplock;
        if let Some(i) = op.level2.iter().position(|(_, p)| p.id() == irp_id) {
            let (_, irp) = op.level2.swap_remove(i);
            done.push(irp, NtStatus::CANCELLED, 0);
        }
        let granted_here = matches!(
            &op.exclusive,
            Some(Exclusive { state: ExclusiveState::Granted(p), .. }) if p.id() == irp_id
        );
        if granted_here {
            if let Some(Exclusive {
                state: ExclusiveState::Granted(irp),
                ..
            }) = op.exclusive.take()
            {
                done.push(irp, NtStatus::CANCELLED, 0);
            }
        }
    }
    fcb.oplock_changed.notify_all();
    done.run();
}

/// FSCTL_OPLOCK_BREAK_ACKNOWLEDGE, FSCTL_OPLOCK_BREAK_ACK_NO_2, FSCTL_OPBATCH_ACK_CLOSE_PENDING.
///
/// An acknowledgment that keeps level 2 turns the breaking oplock into the level 2 one
/// under one hold of the FCB's lock: an open waiting for the break must not see the file
/// between the two, with no oplock at all (it would then be granted caching the level 2
/// oplock forbids, as smbtorture's smb2.lease.oplock saw now and then).
fn acknowledge(fcb: &Arc<Fcb>, irp: Irp<'_, Pvfs>, ccb_id: u64, code: CtlCode) -> Dispatched {
    let breaking = |st: &FcbState| match &st.oplock.exclusive {
        Some(Exclusive {
            ccb_id: holder,
            state: ExclusiveState::Breaking { to_level2, .. },
            ..
        }) if *holder == ccb_id => Some(*to_level2),
        _ => None,
    };
    let Some(to_level2) = breaking(&fcb.state.lock()) else {
        return irp.complete(NtStatus::INVALID_OPLOCK_PROTOCOL);
    };
    if !(to_level2 && code == CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE) {
        let mut st = fcb.state.lock();
        if breaking(&st).is_none() {
            drop(st);
            return irp.complete(NtStatus::INVALID_OPLOCK_PROTOCOL);
        }
        st.oplock.exclusive = None;
        drop(st);
        fcb.oplock_changed.notify_all();
        return irp.complete(NtStatus::SUCCESS);
    }
    let (dispatched, granted) = pend_under_lock(fcb, irp, cancel);
    match granted {
        Some((pending, mut st)) => {
            if breaking(&st).is_some() {
                st.oplock.exclusive = None;
                st.oplock.level2.push((ccb_id, pending));
            } else {
                // Timed out or released meanwhile: nothing is left to keep.
                drop(st);
                pending.complete(NtStatus::INVALID_OPLOCK_PROTOCOL);
            }
        }
        None => {
            // Cancelled before it pended: the break ends with no oplock.
            let mut st = fcb.state.lock();
            if breaking(&st).is_some() {
                st.oplock.exclusive = None;
            }
        }
    }
    fcb.oplock_changed.notify_all();
    dispatched
}

/// Releases the oplocks of the handle `ccb_id` (of oplock key `key`) at its cleanup.
pub(crate) fn release(fcb: &Fcb, ccb_id: u64, key: crate::lease::Key) {
    crate::lease::release(fcb, ccb_id, key);
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        let op = &mut st.oplock;
        if op.is_empty() {
            return;
        }
        if op.exclusive.as_ref().is_some_and(|e| e.ccb_id == ccb_id) {
            if let Some(Exclusive {
                state: ExclusiveState::Granted(irp),
                ..
            }) = op.exclusive.take()
            {
                done.push(irp, NtStatus::SUCCESS, FILE_OPLOCK_BROKEN_TO_NONE);
            }
        }
        let mut i = 0;
        while i < op.level2.len() {
            if op.level2[i].0 == ccb_id {
                let (_, irp) = op.level2.swap_remove(i);
                done.push(irp, NtStatus::SUCCESS, FILE_OPLOCK_BROKEN_TO_NONE);
            } else {
                i += 1;
            }
        }
    }
    fcb.oplock_changed.notify_all();
    done.run();
}

/// What an open asks that decides the breaks it causes.
pub(crate) struct OpenIntent {
    /// The access the open asks for (after generic mapping).
    pub(crate) access: AccessMask,
    /// The disposition.
    pub(crate) disposition: CreateDisposition,
    /// The share access the open asks for.
    pub(crate) share: ShareAccess,
    /// The open's oplock key, if it has one.
    pub(crate) key: Option<crate::lease::Key>,
    /// The open asks for FILE_DELETE_ON_CLOSE (it breaks handle caching).
    pub(crate) delete_on_close: bool,
}

impl OpenIntent {
    fn breaks_anything(&self) -> bool {
        !self.access.without(STAT_ACCESS).is_empty()
    }

    /// True when the open breaks leases (it is no lease stat open).
    fn breaks_leases(&self) -> bool {
        !self.access.without(LEASE_STAT_ACCESS).is_empty()
    }

    fn overwrites(&self) -> bool {
        matches!(
            self.disposition,
            CreateDisposition::OVERWRITE
                | CreateDisposition::OVERWRITE_IF
                | CreateDisposition::SUPERSEDE
        )
    }
}

/// How a breaking operation waits: until when, and how it learns it was cancelled.
pub(crate) struct Wait<'a> {
    /// The break timeout of the volume.
    pub(crate) timeout: Duration,
    /// True once the waiting request was cancelled.
    pub(crate) cancelled: &'a dyn Fn() -> bool,
    /// Told when the request starts waiting (a create's [`OplockBreakWait`] ECP).
    pub(crate) announce: Option<&'a OplockBreakWait>,
}

/// Before the share check of an open of the file of `fcb`: a batch oplock breaks, and the
/// open waits for it (MS-FSA 2.1.5.1.2.1: batch oplocks break before the share check).
pub(crate) fn before_share_check(
    fcb: &Fcb,
    intent: &OpenIntent,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    if !intent.breaks_anything() {
        return Ok(());
    }
    // A pending delete fails the open before any break (as Windows answers).
    if fcb.state.lock().delete_pending {
        return Err(NtStatus::DELETE_PENDING);
    }
    if intent.breaks_leases() {
        let share = crate::share::ShareState {
            access: intent.access,
            share: intent.share,
        };
        crate::lease::before_share_check(fcb, intent.key, share, intent.delete_on_close, wait)?;
    }
    break_exclusive(fcb, None, |e| e.batch, !intent.overwrites(), wait)
}

/// After the share check of an open (`ccb_id`, already among the file's opens): an
/// exclusive oplock of another handle breaks and the open waits; level 2 oplocks break to
/// none when the open overwrites.
pub(crate) fn after_share_check(
    fcb: &Fcb,
    ccb_id: u64,
    intent: &OpenIntent,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    if !intent.breaks_anything() {
        return Ok(());
    }
    if intent.overwrites() {
        break_level2(fcb, None);
    }
    if intent.breaks_leases() {
        crate::lease::on_open(fcb, intent.key, intent.overwrites(), wait)?;
    }
    break_exclusive(fcb, Some(ccb_id), |_| true, !intent.overwrites(), wait)
}

/// Before a change to the file's data or name by the handle `ccb_id` (a write, a size
/// change, a rename, a delete): every level 2 oplock breaks to none at once, an exclusive
/// or batch oplock of another handle breaks to none and the change waits for it.
pub(crate) fn before_change(
    fcb: &Fcb,
    ccb_id: u64,
    kind: crate::lease::ChangeKind,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    // Every write and set-info comes here: one look when the file has no oplock or lease.
    if fcb.state.lock().oplock.is_empty() {
        return Ok(());
    }
    crate::lease::before_change(fcb, ccb_id, kind, wait.timeout, Some(wait))?;
    break_level2(fcb, None);
    break_exclusive(fcb, Some(ccb_id), |_| true, false, wait)
}

/// Before a change that may not wait (a byte-range lock, answered on the caller's thread):
/// level 2 oplocks break to none. An exclusive oplock of another handle cannot coexist
/// with the data access a lock needs.
pub(crate) fn break_level2_now(fcb: &Fcb, ccb_id: u64) {
    if fcb.state.lock().oplock.is_empty() {
        return;
    }
    let data = crate::lease::ChangeKind::Data;
    let _ = crate::lease::before_change(fcb, ccb_id, data, DEFAULT_BREAK_TIMEOUT, None);
    break_level2(fcb, None);
}

/// Before a change by the handle `ccb_id` is queued for a worker: the leases it breaks
/// are told now, without waiting ([`before_change`] waits for them on the worker).
pub(crate) fn break_leases_early(
    fcb: &Fcb,
    ccb_id: u64,
    kind: crate::lease::ChangeKind,
    timeout: Duration,
) {
    if fcb.state.lock().oplock.leases.is_empty() {
        return;
    }
    let _ = crate::lease::before_change(fcb, ccb_id, kind, timeout, None);
}

/// Breaks every level 2 oplock (except `keep`'s own) to none; no acknowledgment is waited
/// for.
fn break_level2(fcb: &Fcb, keep: Option<u64>) {
    let mut done = Completions::default();
    {
        let mut st = fcb.state.lock();
        let level2 = &mut st.oplock.level2;
        if level2.is_empty() {
            return;
        }
        let mut i = 0;
        while i < level2.len() {
            if Some(level2[i].0) == keep {
                i += 1;
            } else {
                let (_, irp) = level2.swap_remove(i);
                done.push(irp, NtStatus::SUCCESS, FILE_OPLOCK_BROKEN_TO_NONE);
            }
        }
    }
    done.run();
}

/// Breaks the exclusive oplock (if `applies` and not held by `own`) to level 2 or none,
/// then waits until no exclusive oplock of another handle is breaking: acknowledged,
/// released, timed out, or the wait cancelled (STATUS_CANCELLED).
fn break_exclusive(
    fcb: &Fcb,
    own: Option<u64>,
    applies: impl Fn(&Exclusive) -> bool,
    to_level2: bool,
    wait: &Wait<'_>,
) -> Result<(), NtStatus> {
    let mut st = fcb.state.lock();
    let mut broken = None;
    {
        let holder = match st.oplock.exclusive.as_mut() {
            Some(e) if Some(e.ccb_id) != own && applies(e) => e,
            _ => return Ok(()),
        };
        if matches!(holder.state, ExclusiveState::Granted(_)) {
            let next = ExclusiveState::Breaking {
                to_level2,
                deadline: Instant::now() + wait.timeout,
            };
            if let ExclusiveState::Granted(irp) = std::mem::replace(&mut holder.state, next) {
                broken = Some(irp);
            }
        }
    }
    if let Some(irp) = broken {
        // Completed outside the lock: the completion runs the holder's callback.
        drop(st);
        let information = if to_level2 {
            FILE_OPLOCK_BROKEN_TO_LEVEL_2
        } else {
            FILE_OPLOCK_BROKEN_TO_NONE
        };
        irp.complete_result(lwio_core::IrpResult {
            status: NtStatus::SUCCESS,
            information,
            output: Vec::new(),
        });
        st = fcb.state.lock();
    }
    let mut announced = false;
    loop {
        let deadline = match &st.oplock.exclusive {
            Some(Exclusive {
                ccb_id,
                state: ExclusiveState::Breaking { deadline, .. },
                ..
            }) if Some(*ccb_id) != own => *deadline,
            _ => return Ok(()),
        };
        let now = Instant::now();
        if now >= deadline {
            // No acknowledgment in time: the oplock is gone (MS-FSA's break timeout).
            tracing::debug!("oplock break timed out; the oplock is released");
            st.oplock.exclusive = None;
            drop(st);
            fcb.oplock_changed.notify_all();
            return Ok(());
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
