//! File system controls (MS-FSCC 2.3, MS-FSA 2.1.5.9 and 2.1.5.10) that PVFS answers.
//!
//! PVFS does not compress files (its volume attributes do not claim FILE_FILE_COMPRESSION),
//! so FSCTL_GET_COMPRESSION always reports COMPRESSION_FORMAT_NONE and FSCTL_SET_COMPRESSION
//! accepts only COMPRESSION_FORMAT_NONE, as Windows Server 2016 does on a volume without
//! compression. The oplock FSCTLs never reach this module (`crate::oplock` answers them
//! before a request is queued). lwio's own `FSCTL_LWIO_QUERY_LOCKS` lists the byte-range
//! locks of the handle's stream from its FCB (every opener's, granted and waiting; see
//! `lwio_fscc::lock_list` for the layout and sizing; answered from memory, at dispatch).
//! The object id FSCTLs go to `crate::object_id` (on a worker: they read and write an
//! xattr), the sparse-file FSCTLs to `crate::sparse` (on a worker too). Every other FSCTL is STATUS_INVALID_DEVICE_REQUEST.

use lwio_core::irp::ControlRequest;
use lwio_core::{AccessMask, IrpResult, NtStatus};
use lwio_fscc::{CtlCode, lock_list};

use crate::Volume;
use crate::ccb::Ccb;

/// COMPRESSION_FORMAT_NONE (MS-FSCC 2.3.9).
const COMPRESSION_FORMAT_NONE: u16 = 0x0000;
/// COMPRESSION_FORMAT_DEFAULT.
const COMPRESSION_FORMAT_DEFAULT: u16 = 0x0001;
/// COMPRESSION_FORMAT_LZNT1.
const COMPRESSION_FORMAT_LZNT1: u16 = 0x0002;
/// Bytes of the USHORT CompressionState buffer.
const COMPRESSION_STATE_LEN: usize = 2;

/// Handles an FsControl IRP on an open file or directory.
pub(crate) fn control(
    volume: &Volume,
    ccb: &Ccb,
    c: &ControlRequest,
) -> Result<IrpResult, NtStatus> {
    if crate::object_id::is_object_id_fsctl(c.code) {
        return crate::object_id::control(volume, ccb, c);
    }
    if crate::sparse::is_sparse_fsctl(c.code) {
        return crate::sparse::control(volume, ccb, c);
    }
    match CtlCode(c.code) {
        CtlCode::FSCTL_GET_COMPRESSION => get_compression(c),
        CtlCode::FSCTL_SET_COMPRESSION => set_compression(ccb, c),
        CtlCode::FSCTL_LWIO_QUERY_LOCKS => query_locks(ccb, c),
        _ => Err(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

/// FSCTL_LWIO_QUERY_LOCKS: the stream's locks (or this handle's), sized to the buffer.
fn query_locks(ccb: &Ccb, c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    let flags = lock_list::decode_query(&c.input)?;
    let only = (flags & lock_list::QUERY_ONLY_MINE != 0).then_some(ccb.id);
    let st = ccb.fcb.state.lock();
    let (output, status) = lock_list::encode_within(ccb.id, st.locks.entries(only), c.max_output)?;
    Ok(IrpResult::with_output(status, output))
}

/// FSCTL_GET_COMPRESSION (MS-FSA 2.1.5.9.7): nothing on PVFS is compressed.
fn get_compression(c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    if (c.max_output as usize) < COMPRESSION_STATE_LEN {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    Ok(IrpResult::with_output(
        NtStatus::SUCCESS,
        COMPRESSION_FORMAT_NONE.to_le_bytes().to_vec(),
    ))
}

/// FSCTL_SET_COMPRESSION (MS-FSA 2.1.5.10.10): turning compression off is a no-op, turning
/// it on is not supported, any other format is invalid.
fn set_compression(ccb: &Ccb, c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    let Some(state) = c.input.get(..COMPRESSION_STATE_LEN) else {
        return Err(NtStatus::INVALID_PARAMETER);
    };
    let format = u16::from_le_bytes([state[0], state[1]]);
    let may_write = ccb.granted.contains(AccessMask::FILE_WRITE_DATA)
        || ccb.granted.contains(AccessMask::FILE_WRITE_ATTRIBUTES);
    if !may_write {
        return Err(NtStatus::ACCESS_DENIED);
    }
    match format {
        COMPRESSION_FORMAT_NONE => Ok(IrpResult::new(NtStatus::SUCCESS)),
        COMPRESSION_FORMAT_DEFAULT | COMPRESSION_FORMAT_LZNT1 => Err(NtStatus::NOT_SUPPORTED),
        _ => Err(NtStatus::INVALID_PARAMETER),
    }
}
