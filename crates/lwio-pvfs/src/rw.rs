//! Read, write and flush (MS-FSA 2.1.5.2, 2.1.5.3, 2.1.5.6), with byte-range locks checked.

use lwio_core::irp::{ReadRequest, WRITE_TO_END_OF_FILE, WriteRequest};
use lwio_core::{AccessMask, IrpResult, NtStatus};

use crate::ccb::Ccb;
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
    let vfs = rustix::fs::fstatvfs(&ccb.fd).map_err(sys::map_errno)?;
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
    let mut buf = vec![0u8; length as usize];
    let n = sys::pread_full(&ccb.fd, &mut buf, r.offset)?;
    if n == 0 {
        return Err(NtStatus::END_OF_FILE);
    }
    buf.truncate(n);
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
    let size = if to_end || len > 0 {
        sys::fstat(&ccb.fd)?.size
    } else {
        0
    };
    let offset = if to_end { size } else { w.offset };
    if beyond_max_offset(offset, len) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if len > 0 {
        check_extend(ccb, size, offset, offset + len)?;
        ccb.fcb
            .state
            .lock()
            .locks
            .check_io(ccb.id, w.key, offset, len, true)?;
        sys::pwrite_all(&ccb.fd, &w.data, offset)?;
        if ccb
            .options
            .lock()
            .contains(lwio_core::CreateOptions::WRITE_THROUGH)
        {
            // FILE_WRITE_THROUGH: the write completes once it is on stable storage.
            sys::datasync(&ccb.fd)?;
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
        sys::fsync(&ccb.fd)?;
    }
    Ok(IrpResult::new(NtStatus::SUCCESS))
}
