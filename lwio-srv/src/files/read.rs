//! SMB2 READ (MS-SMB2 3.3.5.12): a read IRP; a read that pends (a pipe without data)
//! goes asynchronous. The data the driver read is answered as [`Reply::Data`], sent from
//! the driver's buffer without a copy.

use lwio_core::irp::ReadRequest as IoRead;
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::{Channel, ReadRequest, ReadResponse};

use super::{Outcome, await_irp, bad_request, body_and_data, has_output, open_of};
use crate::state::{FileRequest, Reply};

/// Handles READ.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let rr = match ReadRequest::decode(req.msg) {
        Ok(rr) => rr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, rr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    // No RDMA: only the data-in-message channel exists.
    if rr.length > req.max_io || rr.channel != Channel::NONE {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let request = IoRead {
        offset: rr.offset,
        length: rr.length,
        key: None,
    };
    let irp = open.handle.call(IrpRequest::Read(request));
    let result = await_irp(req, irp).await;
    if !has_output(result.status) {
        return (Reply::error(result.status), Some(id));
    }
    if result.output.len() < rr.minimum_count as usize {
        return (Reply::error(NtStatus::END_OF_FILE), Some(id));
    }
    let mut data = result.output;
    data.truncate(rr.length as usize);
    if data.capacity() - data.len() > SLACK {
        // A short read near the end of the file: what waits in the connection's queue is
        // counted by its length, so it must not hold a buffer sized for the whole request.
        data.shrink_to_fit();
    }
    // The data stays in the buffer the driver read it into: the connection sends it
    // after the response's header and body (conn/chain.rs), its only copy the driver's.
    let reply = body_and_data(result.status, data, |data, out| {
        ReadResponse::default().encode_header_only(data.len(), out)
    });
    (reply, Some(id))
}

/// Unused capacity a READ's buffer may keep while it waits to be sent.
const SLACK: usize = 64 * 1024;
