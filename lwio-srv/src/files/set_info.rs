//! SMB2 SET_INFO (MS-SMB2 3.3.5.21): file, volume and security changes as IRPs.
//!
//! The SMB2 form of FileRenameInformation and FileLinkInformation and their Ex forms
//! (MS-FSCC 2.4.42.2) carries a share-relative target name and a RootDirectory that must be
//! zero; the I/O manager opens the target's directory for the session's token and the
//! driver renames into it, so the buffer is checked and passed on unchanged.

use bytes::Bytes;
use lwio_core::irp::{LinkTarget, QueryInfoRequest, SetInfoRequest as IoSet, SetSecurityRequest};
use lwio_core::{FileInfoClass, FsInfoClass, IrpRequest, NtStatus, SecurityInformation};
use lwio_fscc::file_info::FileNormalizedNameInformation;
use lwio_smb2::{InfoType, SetInfoRequest, SetInfoResponse};

use super::{Outcome, bad_request, body, open_of};
use crate::state::{FileRequest, Open, Reply};

/// Handles SET_INFO.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let sr = match SetInfoRequest::decode(req.msg) {
        Ok(sr) => sr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, sr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if sr.buffer.len() > req.max_io as usize {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let mut renaming = None;
    let request = match sr.info_type {
        InfoType::FILE => {
            let class = FileInfoClass(sr.info_class);
            if let Err(status) = check_target(class, &sr.buffer) {
                return (Reply::error(status), Some(id));
            }
            renaming = lease_rename(req, &open, class, &sr.buffer).await;
            IrpRequest::SetInformation(IoSet {
                class,
                data: Bytes::from(sr.buffer),
            })
        }
        InfoType::FILESYSTEM => IrpRequest::SetVolumeInformation(IoSet {
            class: FsInfoClass(sr.info_class),
            data: Bytes::from(sr.buffer),
        }),
        InfoType::SECURITY => IrpRequest::SetSecurity(SetSecurityRequest {
            info: SecurityInformation(sr.additional_information),
            descriptor: Bytes::from(sr.buffer),
        }),
        InfoType::QUOTA => return (Reply::error(NtStatus::NOT_SUPPORTED), Some(id)),
        _ => return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id)),
    };
    let result = open.handle.call(request).await;
    if !result.status.is_success() {
        return (Reply::error(result.status), Some(id));
    }
    if let Some((old, new)) = renaming {
        super::lease::renamed(req, &old, &new);
    }
    (
        body(result.status, |out| SetInfoResponse.encode(out)),
        Some(id),
    )
}

/// For a rename of a file while the server holds leases: its name now and the name it is
/// renamed to (share-relative), so its leases can follow it ([`super::lease::renamed`]).
async fn lease_rename(
    req: &FileRequest<'_>,
    open: &Open,
    class: FileInfoClass,
    buf: &[u8],
) -> Option<(String, String)> {
    if !matches!(class, FileInfoClass::RENAME | FileInfoClass::RENAME_EX) || req.leases.is_empty() {
        return None;
    }
    let target = LinkTarget::decode(class, buf).ok()?;
    if target.file_name.starts_with(':') {
        // A stream rename: the file keeps its name.
        return None;
    }
    let now = open
        .handle
        .call(IrpRequest::QueryInformation(QueryInfoRequest {
            class: FileInfoClass::NORMALIZED_NAME,
            length: 4 + 2 * 32_767,
        }))
        .await;
    if !now.status.is_success() {
        return None;
    }
    let old = FileNormalizedNameInformation::decode(&now.output).ok()?;
    Some((old.file_name, target.file_name))
}

/// A rename or link (any of the four classes) names its target relative to the share:
/// RootDirectory must be zero for a network operation (MS-FSCC 2.4.42.2, 2.4.27.2), since
/// in-process callers use it to name an open directory of the I/O manager.
fn check_target(class: FileInfoClass, buf: &[u8]) -> Result<(), NtStatus> {
    if !lwio_core::irp::target::is_target_class(class) {
        return Ok(());
    }
    if LinkTarget::decode(class, buf)?.root_directory != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    Ok(())
}
