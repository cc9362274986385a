//! SMB2 CLOSE (MS-SMB2 3.3.5.10): removes the open from the tree and closes its handle;
//! when the client asks (POSTQUERY_ATTRIB) the file's attributes are read after the
//! handle's cleanup, before its close, so they show what closing changed (a written file's
//! last write time, MS-FSA 2.1.5.4).

use std::sync::Arc;

use lwio_core::irp::{IrpRequest, QueryInfoRequest};
use lwio_core::{FileInfoClass, NtStatus};
use lwio_fscc::{FileInfo, FileNetworkOpenInformation};
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
    drop(open);
    let open = match req.tree.remove_open(id) {
        Ok(open) => open,
        Err(status) => return (Reply::error(status), Some(id)),
    };
    let response = if cr.flags.contains(CloseFlags::POSTQUERY_ATTRIB) {
        close_and_query(open).await
    } else {
        let _ = close_open(open).await;
        CloseResponse::default()
    };
    (
        body(NtStatus::SUCCESS, |out| response.encode(out)),
        Some(id),
    )
}

/// Closes `open` and reads the file's attributes after its cleanup (MS-SMB2 3.3.5.10):
/// what the close changed shows, the last write time a written file gets (MS-FSA
/// 2.1.5.4). An open another request still uses answers the attributes before its close
/// (its cleanup waits for that request); attributes that cannot be read answer none.
async fn close_and_query(open: Arc<Open>) -> CloseResponse {
    let len = FileNetworkOpenInformation::FIXED_SIZE as u32;
    let query = IrpRequest::QueryInformation(QueryInfoRequest {
        class: FileInfoClass::NETWORK_OPEN,
        length: len,
    });
    let bytes = match Arc::try_unwrap(open) {
        Ok(open) => {
            let (_, answer) = open.handle.close_then(query).await;
            answer.status.is_success().then_some(answer.output)
        }
        Err(open) => {
            let before = open
                .handle
                .query_information(FileInfoClass::NETWORK_OPEN, len)
                .await
                .ok();
            let _ = close_open(open).await;
            before
        }
    };
    let Some(info) = bytes.and_then(|b| FileNetworkOpenInformation::decode(&b).ok()) else {
        return CloseResponse::default();
    };
    CloseResponse {
        flags: CloseFlags::POSTQUERY_ATTRIB,
        times: super::create::times_of(&info),
        file_attributes: info.file_attributes,
    }
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
