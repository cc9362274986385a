//! SMB2 OPLOCK_BREAK acknowledgments (MS-SMB2 3.3.5.22). This server grants no oplocks
//! and no leases, so no break is ever in progress.

use lwio_core::NtStatus;
use lwio_smb2::oplock::OplockBreakMessage;

use super::{Outcome, bad_request, open_of};
use crate::state::{FileRequest, Reply};

/// Handles OPLOCK_BREAK.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let msg = match OplockBreakMessage::decode(req.msg) {
        Ok(m) => m,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    match msg {
        // An acknowledgment for an open without a breaking oplock (3.3.5.22.1).
        OplockBreakMessage::Oplock(ack) => match open_of(req, ack.file_id) {
            Ok((id, _)) => (Reply::error(NtStatus::INVALID_OPLOCK_PROTOCOL), Some(id)),
            Err(out) => out,
        },
        // No lease has this key (3.3.5.22.2).
        OplockBreakMessage::LeaseAck(_) => (
            Reply::error(NtStatus::OBJECT_NAME_NOT_FOUND),
            req.related_file_id,
        ),
        // Only a server sends notifications.
        OplockBreakMessage::LeaseNotification(_) => (
            Reply::error(NtStatus::INVALID_PARAMETER),
            req.related_file_id,
        ),
    }
}
