//! SMB2 WRITE (MS-SMB2 3.3.5.13): a write IRP with the request's data.

use bytes::Bytes;
use lwio_core::irp::WriteRequest as IoWrite;
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::{Channel, WriteRequest, WriteResponse};

use super::{Outcome, await_irp, bad_request, body, open_of};
use crate::state::{FileRequest, Reply};

/// Handles WRITE.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let wr = match WriteRequest::decode(req.msg) {
        Ok(wr) => wr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, wr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let too_long = u32::try_from(wr.data.len()).map_or(true, |n| n > req.max_io);
    // SMB2 has no "write at end of file" offset: every offset is a signed 64-bit position,
    // so one beyond 2^63 - 1 (the I/O manager's WRITE_TO_END_OF_FILE among them) is invalid.
    let bad_offset = wr.offset > i64::MAX as u64;
    if too_long || bad_offset || wr.channel != Channel::NONE {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let request = IoWrite {
        offset: wr.offset,
        data: Bytes::copy_from_slice(wr.data),
        key: None,
    };
    let irp = open.handle.call(IrpRequest::Write(request));
    let result = await_irp(req, irp).await;
    if !result.status.is_success() {
        return (Reply::error(result.status), Some(id));
    }
    let response = WriteResponse {
        count: u32::try_from(result.information).unwrap_or(u32::MAX),
        remaining: 0,
    };
    (body(result.status, |out| response.encode(out)), Some(id))
}
