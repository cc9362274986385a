//! SMB2 CLOSE (MS-SMB2 3.3.5.10): removes the open from the tree and closes its handle,
//! first reading the file's attributes when the client asks (POSTQUERY_ATTRIB).

use std::sync::Arc;

use lwio_core::{FileInfoClass, NtStatus};
use lwio_fscc::{FileInfo, FileNetworkOpenInformation};
use lwio_smb2::create::FileTimes;
use lwio_smb2::{CloseFlags, CloseRequest, CloseResponse};

use super::{Outcome, bad_request, body, open_of};
use crate::state::{FileRequest, Open, Reply};

/// Handles CLOSE.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let cr = match CloseRequest::decode(req.msg) {
        Ok(cr) => cr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, cr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let mut response = CloseResponse::default();
    if cr.flags.contains(CloseFlags::POSTQUERY_ATTRIB) {
        let len = FileNetworkOpenInformation::FIXED_SIZE as u32;
        let info = open
            .handle
            .query_information(FileInfoClass::NETWORK_OPEN, len)
            .await
            .ok()
            .and_then(|b| FileNetworkOpenInformation::decode(&b).ok());
        if let Some(info) = info {
            response = CloseResponse {
                flags: CloseFlags::POSTQUERY_ATTRIB,
                times: FileTimes {
                    creation_time: info.creation_time.0 as u64,
                    last_access_time: info.last_access_time.0 as u64,
                    last_write_time: info.last_write_time.0 as u64,
                    change_time: info.change_time.0 as u64,
                    allocation_size: info.allocation_size,
                    end_of_file: info.end_of_file,
                },
                file_attributes: info.file_attributes,
            };
        }
    }
    drop(open);
    let open = match req.tree.remove_open(id) {
        Ok(open) => open,
        Err(status) => return (Reply::error(status), Some(id)),
    };
    // A close that fails in the driver still closes the handle; the client's id is gone.
    let _ = close_open(open).await;
    (
        body(NtStatus::SUCCESS, |out| response.encode(out)),
        Some(id),
    )
}

/// Closes an open already taken off its tree (a CLOSE, or the server closing it:
/// `app_instance.rs`); what the driver's close answered.
pub(super) async fn close_open(open: Arc<Open>) -> NtStatus {
    match Arc::try_unwrap(open) {
        // The last reference: close now and report what the close did.
        Ok(open) => open.handle.close().await,
        // Another request still uses the open (a pending lock or read): end what is
        // pending (a waiting lock ends with STATUS_RANGE_NOT_LOCKED, see `lock.rs`); the
        // handle closes when that request lets go of it.
        Err(open) => {
            open.locks.set_closed();
            open.handle.cancel();
            NtStatus::SUCCESS
        }
    }
}
