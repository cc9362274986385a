//! SMB2 CHANGE_NOTIFY (MS-SMB2 3.3.5.19): a directory-change IRP that normally pends, so
//! the request goes asynchronous until a change (or a cancel) completes it.

use lwio_core::irp::NotifyRequest;
use lwio_core::{IrpRequest, NtStatus};
use lwio_smb2::{ChangeNotifyFlags, ChangeNotifyRequest, ChangeNotifyResponse};

use super::{Outcome, await_irp, bad_request, body, has_output, open_of};
use crate::state::{FileRequest, Reply};

/// Handles CHANGE_NOTIFY.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let cr = match ChangeNotifyRequest::decode(req.msg) {
        Ok(cr) => cr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, cr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if cr.output_buffer_length > req.max_io || !open.is_dir {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let request = NotifyRequest {
        filter: cr.completion_filter,
        watch_tree: cr.flags.contains(ChangeNotifyFlags::WATCH_TREE),
        length: cr.output_buffer_length,
    };
    let irp = open.handle.call(IrpRequest::ReadDirectoryChange(request));
    let mut result = await_irp(req, irp).await;
    // A watch ended by the close of its handle reports the cleanup, with no entries.
    if result.status == NtStatus::CANCELLED && req.tree.open(id).is_err() {
        result.status = NtStatus::NOTIFY_CLEANUP;
        result.output.clear();
    }
    if !has_output(result.status) {
        return (Reply::error(result.status), Some(id));
    }
    // STATUS_NOTIFY_ENUM_DIR (too many changes to list) is a success with no entries.
    result.output.truncate(cr.output_buffer_length as usize);
    let r = ChangeNotifyResponse {
        buffer: result.output,
    };
    (body(result.status, |out| r.encode(out)), Some(id))
}
