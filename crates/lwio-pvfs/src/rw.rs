//! Read, write and flush (MS-FSA 2.1.5.2, 2.1.5.3, 2.1.5.6), with byte-range locks checked.

use lwio_core::irp::{ReadRequest, WRITE_TO_END_OF_FILE, WriteRequest};
use lwio_core::{AccessMask, IrpResult, NtStatus};

use crate::ccb::Ccb;
use crate::sys;

/// The most one read returns; a larger request gets a short read, which is legal.
pub(crate) const MAX_READ: u32 = 16 << 20;

pub(crate) fn read(ccb: &Ccb, r: &ReadRequest) -> Result<IrpResult, NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::INVALID_DEVICE_REQUEST);
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
    let offset = if w.offset == WRITE_TO_END_OF_FILE || append_only {
        sys::fstat(&ccb.fd)?.size
    } else {
        w.offset
    };
    let len = w.data.len() as u64;
    if offset.checked_add(len).is_none() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if len > 0 {
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
