//! SMB2 FLUSH (MS-SMB2 3.3.5.11): a flush IRP on the open.

use lwio_core::IrpRequest;
use lwio_smb2::{FlushRequest, FlushResponse};

use super::{Outcome, bad_request, body, open_of};
use crate::state::{FileRequest, Reply};

/// Handles FLUSH.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let fr = match FlushRequest::decode(req.msg) {
        Ok(fr) => fr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, fr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let result = open.handle.call(IrpRequest::Flush).await;
    if !result.status.is_success() {
        return (Reply::error(result.status), Some(id));
    }
    (
        body(result.status, |out| FlushResponse.encode(out)),
        Some(id),
    )
}
