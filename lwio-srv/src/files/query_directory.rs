//! SMB2 QUERY_DIRECTORY (MS-SMB2 3.3.5.18): a directory query IRP; the entries come back
//! in the requested MS-FSCC layout, untouched.
//!
//! On a share with access-based directory enumeration (`Share.DoAccessBasedDirectoryEnumeration`,
//! SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM) the IRP asks the file system to list only the
//! entries that grant the caller [`ABE_RIGHTS`]: the file system owns the descriptors and
//! checks each entry as it reads it, with the handle's token (the session's), so the
//! listing costs one check per entry and no request more. MS-FSA has no part in this; it
//! is the server's policy, carried by the IRP.

use lwio_core::irp::{QueryDirectoryFlags, QueryDirectoryRequest as IoQuery};
use lwio_core::{FileInfoClass, IrpRequest, NtStatus};
use lwio_smb2::{QueryDirectoryRequest, QueryDirectoryResponse};

use super::{Outcome, bad_request, body, has_output, open_of};
use crate::state::{ABE_RIGHTS, FileRequest, Reply};

/// The entry layouts a directory query may ask for (MS-SMB2 2.2.33).
const CLASSES: [FileInfoClass; 7] = [
    FileInfoClass::DIRECTORY,
    FileInfoClass::FULL_DIRECTORY,
    FileInfoClass::BOTH_DIRECTORY,
    FileInfoClass::NAMES,
    FileInfoClass::ID_BOTH_DIRECTORY,
    FileInfoClass::ID_FULL_DIRECTORY,
    FileInfoClass::ID_EXTD_DIRECTORY,
];

/// Handles QUERY_DIRECTORY.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let qr = match QueryDirectoryRequest::decode(req.msg) {
        Ok(qr) => qr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, qr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if qr.output_buffer_length > req.max_io || !open.is_dir {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    if !CLASSES.contains(&qr.class) {
        return (Reply::error(NtStatus::INVALID_INFO_CLASS), Some(id));
    }
    // REOPEN restarts the scan with a new pattern: the same as a restart to the driver.
    let mut flags = qr.flags;
    if flags.contains(QueryDirectoryFlags::REOPEN) {
        flags = flags.without(QueryDirectoryFlags::REOPEN) | QueryDirectoryFlags::RESTART_SCANS;
    }
    let request = IoQuery {
        class: qr.class,
        flags,
        file_index: qr.file_index,
        pattern: (!qr.pattern.is_empty()).then(|| qr.pattern.clone()),
        length: qr.output_buffer_length,
        only_accessible: req.tree.share.enumerates_by_access().then_some(ABE_RIGHTS),
    };
    let mut result = open.handle.call(IrpRequest::QueryDirectory(request)).await;
    if !has_output(result.status) {
        return (Reply::error(result.status), Some(id));
    }
    result.output.truncate(qr.output_buffer_length as usize);
    let r = QueryDirectoryResponse {
        buffer: result.output,
    };
    (body(result.status, |out| r.encode(out)), Some(id))
}
