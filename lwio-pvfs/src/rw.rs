//! Read, write and flush (MS-FSA 2.1.5.2, 2.1.5.3, 2.1.5.6), with byte-range locks checked,
//! and when a write moves the last write time ([`WriteTime`]).

use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

use lwio_core::irp::{ReadRequest, WRITE_TO_END_OF_FILE, WriteRequest};
use lwio_core::{AccessMask, IrpResult, NtStatus};
use lwio_fscc::FileTime;

use crate::ccb::{Ccb, disk_time};
use crate::facts::Facts;
use crate::sys;

/// The most one read returns; a larger request gets a short read, which is legal.
pub(crate) const MAX_READ: u32 = 16 << 20;

/// The largest file NTFS holds (16 TiB less 64 KiB): a write ending past it is refused.
pub(crate) const MAX_FILE_SIZE: u64 = 0xFFF_FFFF_0000;

/// Offsets are signed 64-bit numbers in the file system (LARGE_INTEGER): a read or write
/// may neither start nor end beyond 2^63 - 1 (STATUS_INVALID_PARAMETER, MS-FSA 2.1.5.2,
/// 2.1.5.3).
fn beyond_max_offset(offset: u64, length: u64) -> bool {
    offset
        .checked_add(length)
        .is_none_or(|end| end > i64::MAX as u64)
}

/// Whether a write of `[offset, end)` may extend the file of size `size`: past
/// [`MAX_FILE_SIZE`] it is STATUS_INVALID_PARAMETER; a file is not sparse, so growing it
/// by more than the volume has free is STATUS_DISK_FULL. Only a write that leaves a gap
/// needs the free-space query: an append that does not fit fails in `pwrite` itself with
/// ENOSPC (STATUS_DISK_FULL), so sequential writes pay no extra system call.
fn check_extend(ccb: &Ccb, size: u64, offset: u64, end: u64) -> Result<(), NtStatus> {
    if end > MAX_FILE_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if end <= size || offset <= size {
        return Ok(());
    }
    let vfs = rustix::fs::fstatvfs(ccb.data()).map_err(sys::map_errno)?;
    let free = vfs.f_bavail.saturating_mul(vfs.f_frsize);
    if end - size > free {
        return Err(NtStatus::DISK_FULL);
    }
    Ok(())
}

pub(crate) fn read(ccb: &Ccb, r: &ReadRequest) -> Result<IrpResult, NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::INVALID_DEVICE_REQUEST);
    }
    if beyond_max_offset(r.offset, u64::from(r.length)) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let length = r.length.min(MAX_READ);
    if length == 0 {
        return Ok(IrpResult::new(NtStatus::SUCCESS));
    }
    ccb.fcb
        .state
        .lock()
        .locks
        .check_io(ccb.id, r.key, r.offset, u64::from(length), false)?;
    // The one copy of a READ's data: into the buffer that becomes the SMB2 response's
    // payload, sent from there (lwio-srv's conn/pieces.rs).
    let buf = sys::pread_vec(ccb.data(), length as usize, r.offset)?;
    let n = buf.len();
    if n == 0 {
        return Err(NtStatus::END_OF_FILE);
    }
    ccb.set_position(r.offset.saturating_add(n as u64));
    Ok(IrpResult::with_output(NtStatus::SUCCESS, buf))
}

pub(crate) fn write(ccb: &Ccb, w: &WriteRequest) -> Result<IrpResult, NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::INVALID_DEVICE_REQUEST);
    }
    let append_only = !ccb.granted.contains(AccessMask::FILE_WRITE_DATA);
    let len = w.data.len() as u64;
    let to_end = w.offset == WRITE_TO_END_OF_FILE || append_only;
    if !to_end && beyond_max_offset(w.offset, len) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let st = if to_end || len > 0 {
        Some(sys::fstat(ccb.data())?)
    } else {
        None
    };
    let size = st.map_or(0, |st| st.size);
    let offset = if to_end { size } else { w.offset };
    if beyond_max_offset(offset, len) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if len > 0 {
        check_extend(ccb, size, offset, offset + len)?;
        // One look at the FCB: the locks, then the last write time (see [`WriteTime`]).
        let restore = {
            let mut state = ccb.fcb.state.lock();
            state.locks.check_io(ccb.id, w.key, offset, len, true)?;
            st.and_then(|st| {
                state.write_time.before_write(disk_time(st.mtime));
                state.write_time.after_write()
            })
        };
        sys::pwrite_all(ccb.data(), &w.data, offset)?;
        persist(ccb.data(), restore);
        if ccb
            .options
            .lock()
            .contains(lwio_core::CreateOptions::WRITE_THROUGH)
        {
            // FILE_WRITE_THROUGH: the write completes once it is on stable storage.
            sys::datasync(ccb.data())?;
        }
        ccb.written
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    ccb.set_position(offset + len);
    Ok(IrpResult {
        status: NtStatus::SUCCESS,
        information: len,
        output: Vec::new(),
    })
}

pub(crate) fn flush(ccb: &Ccb) -> Result<IrpResult, NtStatus> {
    if !ccb.is_dir() {
        // A pending last-write-time update happens now, then goes to disk with the data.
        let now = ccb.fcb.state.lock().write_time.flush_pending();
        persist(ccb.data(), now);
        sys::fsync(ccb.data())?;
    }
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

/// How long after the first write to an open file its last write time is updated.
pub(crate) const WRITE_TIME_DELAY: Duration = Duration::from_secs(2);

/// When writes move a file's last write time, as Windows (NTFS through Windows Server 2016)
/// does it and as the SMB2 test suites of that time expect. Kept per open file in the FCB.
///
/// - The first write to the open file does not change the last write time the file
///   reports: it schedules an update [`WRITE_TIME_DELAY`] later. Writes after that update
///   do not move the time again while the file is open.
/// - A flush, a change of end of file or allocation, and any FileBasicInformation set
///   (even one that sets no time) make a pending update at once.
/// - A last write time set explicitly (FileBasicInformation), or frozen with -1, sticks:
///   writes no longer move it until -2 or the last close.
///
/// Linux moves `mtime` on every write; the FCB keeps the time to report instead while the
/// file is open, and puts it on disk (`futimens`) when it changes by a rule above, so a
/// later open sees what the last query saw. The update is due, not timed: it is made by
/// the first query, write or flush that comes after it is due, with the time it was due.
/// - The cleanup of a handle that wrote sets the time to now when data was written after
///   the last update (and the time does not stick), as Windows does when a file written
///   after its delayed update is closed (smbtorture's smb2.timestamps.delayed-2write).
#[derive(Debug, Default)]
pub(crate) struct WriteTime {
    /// The last write time reported while the file is open, instead of the disk's.
    shown: Option<FileTime>,
    /// The first write's moments (monotonic, wall clock) while its update is pending.
    pending: Option<(Instant, SystemTime)>,
    /// Set explicitly or frozen: writes do not move it.
    sticky: bool,
    /// Data was written after the time was last updated: the cleanup of a handle that
    /// wrote sets it again.
    rewritten: bool,
}

impl WriteTime {
    /// Makes a pending update that is due, with the time it was due; returns that time.
    fn resolve(&mut self, now: Instant) -> Option<FileTime> {
        let (at, wall) = self.pending?;
        if now.saturating_duration_since(at) < WRITE_TIME_DELAY {
            return None;
        }
        self.pending = None;
        let t = FileTime::from_system_time(wall + WRITE_TIME_DELAY);
        self.shown = Some(t);
        Some(t)
    }

    /// Before a data write to a file whose disk time is `disk`: the first write starts the
    /// delay and keeps reporting the time from before it.
    pub(crate) fn before_write(&mut self, disk: FileTime) {
        // The steady states (updated, or sticking) read no clock.
        if self.sticky {
            return;
        }
        if self.pending.is_none() && self.shown.is_some() {
            self.rewritten = true;
            return;
        }
        self.before_write_at(disk, Instant::now(), SystemTime::now());
    }

    fn before_write_at(&mut self, disk: FileTime, now: Instant, wall: SystemTime) {
        self.resolve(now);
        if self.sticky {
            return;
        }
        if self.shown.is_none() && self.pending.is_none() {
            self.shown = Some(disk);
            self.pending = Some((now, wall));
        } else if self.pending.is_none() {
            self.rewritten = true;
        }
    }

    /// The cleanup of a handle that wrote: when data was written after the time was last
    /// updated (and it does not stick), the time becomes now. Returns the time to put on
    /// disk.
    pub(crate) fn closed_after_write(&mut self) -> Option<FileTime> {
        if self.sticky || !std::mem::take(&mut self.rewritten) {
            return None;
        }
        let t = FileTime::from_system_time(SystemTime::now());
        self.shown = Some(t);
        Some(t)
    }

    /// The time to put back on disk after a data write, when it sticks.
    pub(crate) fn after_write(&self) -> Option<FileTime> {
        if self.sticky { self.shown } else { None }
    }

    /// A flush or FileBasicInformation set: a pending update is made now. Returns the time
    /// to put on disk.
    pub(crate) fn flush_pending(&mut self) -> Option<FileTime> {
        self.pending.take()?;
        let t = FileTime::from_system_time(SystemTime::now());
        self.shown = Some(t);
        Some(t)
    }

    /// A change of end of file or allocation (MS-FSA: it updates the last write time):
    /// the time becomes now, unless it sticks. Returns the time to put on disk.
    pub(crate) fn modified_now(&mut self) -> Option<FileTime> {
        if self.sticky {
            return self.shown;
        }
        self.pending = None;
        let t = FileTime::from_system_time(SystemTime::now());
        self.shown = Some(t);
        Some(t)
    }

    /// An explicit last write time (FileBasicInformation): `t` > 0 sets it (already on
    /// disk), -1 freezes the time now reported (`current`), -2 lets writes move it again.
    pub(crate) fn set_explicit(&mut self, t: FileTime, current: FileTime) {
        match t {
            FileTime::STOP_AUTO_UPDATE => {
                self.pending = None;
                self.shown = Some(current);
                self.sticky = true;
            }
            FileTime::RESUME_AUTO_UPDATE => {
                self.sticky = false;
                self.shown = None;
            }
            t if t.0 > 0 => {
                self.pending = None;
                self.shown = Some(t);
                self.sticky = true;
            }
            _ => {}
        }
    }

    /// The last write time to report for a file whose disk time is `disk`, and the time to
    /// put on disk when a delayed update was made just now.
    pub(crate) fn reported(&mut self, disk: FileTime) -> (FileTime, Option<FileTime>) {
        self.reported_at(disk, Instant::now())
    }

    fn reported_at(&mut self, disk: FileTime, now: Instant) -> (FileTime, Option<FileTime>) {
        let made = self.resolve(now);
        (self.shown.unwrap_or(disk), made)
    }
}

/// Puts `t` on disk as the file's mtime; a failure only costs the next open the exact time.
pub(crate) fn persist(fd: impl AsFd, t: Option<FileTime>) {
    let Some(t) = t else { return };
    let Ok(ft) = u64::try_from(t.0) else { return };
    if let Err(status) = sys::set_times(fd, None, Some(sys::Timestamp::from_filetime(ft))) {
        tracing::debug!(%status, "PVFS: last write time not stored");
    }
}

/// Applies the open file's [`WriteTime`] to `facts` read from disk through `fd`.
pub(crate) fn report_write_time(fd: impl AsFd, state: &mut WriteTime, facts: &mut Facts) {
    let disk = facts.last_write;
    let (shown, made) = state.reported(disk);
    if facts.change == disk {
        facts.change = shown;
    }
    facts.last_write = shown;
    persist(fd, made);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ft(t: SystemTime) -> FileTime {
        FileTime::from_system_time(t)
    }

    #[test]
    fn first_write_is_reported_after_the_delay_later_ones_not() {
        let mut wt = WriteTime::default();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        let before = FileTime(1000);
        let disk_after = ft(wall);
        wt.before_write_at(before, t0, wall);
        assert_eq!(wt.after_write(), None);
        // Within the delay: the time from before the write.
        let (shown, made) = wt.reported_at(disk_after, t0 + Duration::from_millis(1900));
        assert_eq!((shown, made), (before, None));
        // Once due: the time it was due, to be stored.
        let due = ft(wall + WRITE_TIME_DELAY);
        let (shown, made) = wt.reported_at(disk_after, t0 + Duration::from_secs(3));
        assert_eq!((shown, made), (due, Some(due)));
        // A second write does not move it, however long after.
        wt.before_write_at(FileTime(5), t0 + Duration::from_secs(4), wall);
        let (shown, made) = wt.reported_at(FileTime(6), t0 + Duration::from_secs(10));
        assert_eq!((shown, made), (due, None));
    }

    #[test]
    fn a_close_after_writes_past_the_update_sets_the_time_again() {
        let mut wt = WriteTime::default();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        wt.before_write_at(FileTime(1), t0, wall);
        // Closed with only the first write: nothing to set again.
        assert_eq!(wt.closed_after_write(), None);
        let (due, _) = wt.reported_at(FileTime(2), t0 + Duration::from_secs(3));
        // A write after the update: the close sets the time to now, once.
        wt.before_write_at(FileTime(3), t0 + Duration::from_secs(4), wall);
        let closed = wt.closed_after_write().unwrap();
        assert_ne!(closed, due);
        assert!(closed >= ft(wall));
        assert_eq!(wt.reported(FileTime(4)), (closed, None));
        assert_eq!(wt.closed_after_write(), None);
        // Not when the time sticks.
        wt.set_explicit(FileTime::STOP_AUTO_UPDATE, closed);
        wt.before_write_at(FileTime(5), t0 + Duration::from_secs(5), wall);
        assert_eq!(wt.closed_after_write(), None);
    }

    #[test]
    fn a_write_that_comes_after_the_due_time_makes_the_update_first() {
        let mut wt = WriteTime::default();
        let t0 = Instant::now();
        let wall = SystemTime::now();
        wt.before_write_at(FileTime(1), t0, wall);
        wt.before_write_at(FileTime(2), t0 + Duration::from_secs(5), wall);
        let (shown, _) = wt.reported_at(FileTime(3), t0 + Duration::from_secs(6));
        assert_eq!(shown, ft(wall + WRITE_TIME_DELAY));
    }

    #[test]
    fn flush_makes_a_pending_update_now_and_only_then() {
        let mut wt = WriteTime::default();
        assert_eq!(wt.flush_pending(), None);
        wt.before_write_at(FileTime(1), Instant::now(), SystemTime::now());
        let made = wt.flush_pending().unwrap();
        assert!(made > FileTime(1));
        assert_eq!(wt.reported(FileTime(7)), (made, None));
        assert_eq!(wt.flush_pending(), None);
    }

    #[test]
    fn explicit_times_stick_freeze_and_thaw() {
        let mut wt = WriteTime::default();
        let set = FileTime(123_456_789);
        wt.set_explicit(set, FileTime(1));
        wt.before_write_at(FileTime(9), Instant::now(), SystemTime::now());
        // Put back after every write, and kept by a change of size.
        assert_eq!(wt.after_write(), Some(set));
        assert_eq!(wt.modified_now(), Some(set));
        assert_eq!(wt.reported(FileTime(9)).0, set);
        // -2 lets the disk time show again; -1 freezes what is reported now.
        wt.set_explicit(FileTime::RESUME_AUTO_UPDATE, FileTime(0));
        assert_eq!(wt.after_write(), None);
        assert_eq!(wt.reported(FileTime(9)).0, FileTime(9));
        wt.set_explicit(FileTime::STOP_AUTO_UPDATE, FileTime(9));
        assert_eq!(wt.after_write(), Some(FileTime(9)));
        // 0 changes nothing.
        wt.set_explicit(FileTime(0), FileTime(4));
        assert_eq!(wt.reported(FileTime(11)).0, FileTime(9));
    }

    #[test]
    fn size_change_is_an_update_now() {
        let mut wt = WriteTime::default();
        wt.before_write_at(FileTime(1), Instant::now(), SystemTime::now());
        let made = wt.modified_now().unwrap();
        assert!(made > FileTime(1));
        assert_eq!(wt.reported(FileTime(2)), (made, None));
    }
}
