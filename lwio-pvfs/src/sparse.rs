//! Sparse files (MS-FSA 2.1.5.10.38 FSCTL_SET_SPARSE, 2.1.5.10.39 FSCTL_SET_ZERO_DATA,
//! 2.1.5.9 FSCTL_QUERY_ALLOCATED_RANGES; buffers in `lwio_fscc::sparse`).
//!
//! On NTFS a file marked sparse (FILE_ATTRIBUTE_SPARSE_FILE) may have ranges with no
//! clusters behind them; they read as zeros. A POSIX file system gives every file that
//! ability, so PVFS maps the three FSCTLs onto it:
//!
//! - **The mark.** FILE_ATTRIBUTE_SPARSE_FILE is kept in the file's stored DOS attributes
//!   (`user.lwio.dos`, as every attribute); only FSCTL_SET_SPARSE sets or clears it (a
//!   create never does). Clearing it allocates the file's holes (`fallocate` mode 0), as
//!   NTFS allocates a file that stops being sparse.
//! - **Zeroing.** FSCTL_SET_ZERO_DATA zeros `[FileOffset, BeyondFinalZero)` clipped to the
//!   end of file (it never extends the file): on a sparse file by punching a hole
//!   (`fallocate(PUNCH_HOLE | KEEP_SIZE)`), on any other by writing zeros, so its storage
//!   stays allocated. It is a write: byte-range locks are checked, oplocks break first
//!   (`breaks_oplocks` in the crate root), the last write time moves.
//! - **Allocated ranges.** FSCTL_QUERY_ALLOCATED_RANGES walks the sparse file's data with
//!   `lseek(SEEK_DATA)` / `lseek(SEEK_HOLE)` inside the query clipped to the end of file; a
//!   file that is not sparse is one range, the query clipped to the end of file. The
//!   granularity is the host file system's block (4 KiB on ext4), not NTFS's cluster. As
//!   many ranges as fit the output are returned; if more follow, STATUS_BUFFER_OVERFLOW.
//!
//! Refusals (MS-FSA): an input shorter than its structure, a negative offset or length, a
//! query whose end passes 2^63 - 1, a zero range that starts past its end, or a directory:
//! STATUS_INVALID_PARAMETER. An output smaller than one FILE_ALLOCATED_RANGE_BUFFER when
//! there is a range to return: STATUS_BUFFER_TOO_SMALL (with none, success and no output,
//! as Windows answers smbtorture's smb2.ioctl.sparse_qar_malformed). FSCTL_SET_SPARSE without FILE_WRITE_DATA or FILE_WRITE_ATTRIBUTES (MS-FSA 2.1.5.10.38;
//! Windows also accepts FILE_APPEND_DATA alone, as smbtorture's sparse_perms shows),
//! FSCTL_SET_ZERO_DATA without FILE_WRITE_DATA: STATUS_ACCESS_DENIED (the I/O manager's
//! table `lwio_core::irp::access` refuses them first; checked here again for callers
//! that reach PVFS directly). FSCTL_QUERY_ALLOCATED_RANGES needs FILE_READ_DATA (its
//! code's FILE_READ_ACCESS, checked by the I/O manager).

use lwio_core::irp::ControlRequest;
use lwio_core::{AccessMask, FileAttributes, IrpResult, NtStatus};
use lwio_fscc::CtlCode;
use lwio_fscc::sparse::{AllocatedRange, RANGE_LEN, ZeroData, decode_set_sparse};

use crate::Volume;
use crate::ccb::{Ccb, disk_time};
use crate::sys;

/// Bytes written at a time when zeroing a range of a file that is not sparse.
const ZERO_CHUNK: usize = 64 << 10;

/// True for the three sparse FSCTLs (they make system calls: a worker's job).
pub(crate) fn is_sparse_fsctl(code: u32) -> bool {
    matches!(
        CtlCode(code),
        CtlCode::FSCTL_SET_SPARSE
            | CtlCode::FSCTL_SET_ZERO_DATA
            | CtlCode::FSCTL_QUERY_ALLOCATED_RANGES
    )
}

/// Answers one of the sparse FSCTLs ([`is_sparse_fsctl`]).
pub(crate) fn control(
    volume: &Volume,
    ccb: &Ccb,
    c: &ControlRequest,
) -> Result<IrpResult, NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    match CtlCode(c.code) {
        CtlCode::FSCTL_SET_SPARSE => set_sparse(volume, ccb, c),
        CtlCode::FSCTL_SET_ZERO_DATA => set_zero_data(volume, ccb, c),
        CtlCode::FSCTL_QUERY_ALLOCATED_RANGES => query_allocated_ranges(volume, ccb, c),
        _ => Err(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

/// Whether the handle's file is marked sparse.
fn is_sparse(volume: &Volume, ccb: &Ccb) -> Result<bool, NtStatus> {
    let attrs = FileAttributes(ccb.dos(volume)?.attributes);
    Ok(attrs.contains(FileAttributes::SPARSE_FILE))
}

/// FSCTL_SET_SPARSE: sets or clears FILE_ATTRIBUTE_SPARSE_FILE.
fn set_sparse(volume: &Volume, ccb: &Ccb, c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    let may = AccessMask::FILE_WRITE_DATA
        | AccessMask::FILE_WRITE_ATTRIBUTES
        | AccessMask::FILE_APPEND_DATA;
    if !ccb.granted.intersects(may) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let sparse = decode_set_sparse(&c.input);
    let mut dos = ccb.dos(volume)?;
    let attrs = FileAttributes(dos.attributes);
    if attrs.contains(FileAttributes::SPARSE_FILE) == sparse {
        return Ok(IrpResult::new(NtStatus::SUCCESS));
    }
    if !sparse {
        sys::fill_holes(ccb.data(), sys::fstat(ccb.data())?.size)?;
    }
    dos.attributes = if sparse {
        attrs | FileAttributes::SPARSE_FILE
    } else {
        attrs.without(FileAttributes::SPARSE_FILE)
    }
    .0;
    ccb.store_dos(volume, dos)?;
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

/// FSCTL_SET_ZERO_DATA: zeros a range inside the file.
fn set_zero_data(volume: &Volume, ccb: &Ccb, c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    let z = ZeroData::decode(&c.input).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    if !ccb.granted.contains(AccessMask::FILE_WRITE_DATA) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let st = sys::fstat(ccb.data())?;
    let end = z.beyond_final_zero.min(st.size);
    if z.offset >= end {
        return Ok(IrpResult::new(NtStatus::SUCCESS));
    }
    let len = end - z.offset;
    let restore = {
        let mut state = ccb.fcb.state.lock();
        state.locks.check_io(ccb.id, None, z.offset, len, true)?;
        state.write_time.before_write(disk_time(st.mtime));
        state.write_time.after_write()
    };
    if is_sparse(volume, ccb)? {
        sys::punch_hole(ccb.data(), z.offset, len)?;
    } else {
        let zeros = vec![0u8; ZERO_CHUNK.min(len as usize)];
        let mut at = z.offset;
        while at < end {
            let n = (end - at).min(zeros.len() as u64);
            sys::pwrite_all(ccb.data(), &zeros[..n as usize], at)?;
            at += n;
        }
    }
    crate::rw::persist(ccb.data(), restore);
    ccb.written
        .store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

/// FSCTL_QUERY_ALLOCATED_RANGES: the allocated ranges inside the query.
fn query_allocated_ranges(
    volume: &Volume,
    ccb: &Ccb,
    c: &ControlRequest,
) -> Result<IrpResult, NtStatus> {
    let q = AllocatedRange::decode(&c.input).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    let room = c.max_output as usize / RANGE_LEN;
    let size = sys::fstat(ccb.data())?.size;
    let end = q.end().min(size);
    let mut ranges = Vec::new();
    let mut status = NtStatus::SUCCESS;
    if q.offset < end {
        if !is_sparse(volume, ccb)? {
            if room == 0 {
                return Err(NtStatus::BUFFER_TOO_SMALL);
            }
            ranges.push(AllocatedRange {
                offset: q.offset,
                length: end - q.offset,
            });
        } else {
            let mut at = q.offset;
            while at < end {
                let Some((start, stop)) = sys::next_data(ccb.data(), at)? else {
                    break;
                };
                if start >= end {
                    break;
                }
                if room == 0 {
                    return Err(NtStatus::BUFFER_TOO_SMALL);
                }
                if ranges.len() == room {
                    status = NtStatus::BUFFER_OVERFLOW;
                    break;
                }
                let stop = stop.min(end);
                ranges.push(AllocatedRange {
                    offset: start,
                    length: stop - start,
                });
                at = stop;
            }
        }
    }
    let mut out = Vec::with_capacity(ranges.len() * RANGE_LEN);
    for r in &ranges {
        r.encode_into(&mut out);
    }
    Ok(IrpResult::with_output(status, out))
}
