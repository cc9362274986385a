//! SMB2 QUERY_INFO (MS-SMB2 3.3.5.20): file, volume and security queries as IRPs; their
//! MS-FSCC / MS-DTYP buffers go back to the client untouched.
//!
//! The driver sizes the answer to OutputBufferLength (STATUS_INFO_LENGTH_MISMATCH below a
//! class's fixed part, STATUS_BUFFER_OVERFLOW with what fits). A security descriptor that
//! does not fit is STATUS_BUFFER_TOO_SMALL with the size it needs as 4 bytes of error
//! data (3.3.5.20.3). Quotas are not supported.
//!
//! FileFullEaInformation is an EA query (`IrpRequest::QueryEa`, Windows' IRP_MJ_QUERY_EA):
//! the request's input buffer (a FILE_GET_EA_INFORMATION list), its SL_RESTART_SCAN and
//! SL_RETURN_SINGLE_ENTRY flags and, with SL_INDEX_SPECIFIED, the 1-based EA index in
//! AdditionalInformation go to the driver (MS-SMB2 3.2.4.8, 3.3.5.20.1), which checks them.

use lwio_core::irp::{QueryEaRequest, QueryInfoRequest as IoQuery, QuerySecurityRequest};
use lwio_core::{FileInfoClass, IrpRequest, IrpResult, NtStatus, SecurityInformation};
use lwio_smb2::{InfoType, QueryInfoFlags, QueryInfoRequest, QueryInfoResponse};

use super::{Outcome, bad_request, body, has_output, open_of};
use crate::state::{FileRequest, Reply};

/// Handles QUERY_INFO.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let qr = match QueryInfoRequest::decode(req.msg) {
        Ok(qr) => qr,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    let (id, open) = match open_of(req, qr.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let length = qr.output_buffer_length;
    if length > req.max_io || qr.input.len() > req.max_io as usize {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let request = match qr.info_type {
        // FileNormalizedNameInformation is SMB 3.1.1's (MS-SMB2 3.3.5.20.1).
        InfoType::FILE
            if FileInfoClass(qr.info_class) == FileInfoClass::NORMALIZED_NAME
                && req.dialect < 0x0311 =>
        {
            return (Reply::error(NtStatus::NOT_SUPPORTED), Some(id));
        }
        InfoType::FILE if FileInfoClass(qr.info_class) == FileInfoClass::FULL_EA => {
            IrpRequest::QueryEa(ea_request(&qr))
        }
        InfoType::FILE => IrpRequest::QueryInformation(IoQuery {
            class: FileInfoClass(qr.info_class),
            length,
        }),
        InfoType::FILESYSTEM => IrpRequest::QueryVolumeInformation(IoQuery {
            class: lwio_core::FsInfoClass(qr.info_class),
            length,
        }),
        InfoType::SECURITY => IrpRequest::QuerySecurity(QuerySecurityRequest {
            info: SecurityInformation(qr.additional_information),
            length,
        }),
        InfoType::QUOTA => return (Reply::error(NtStatus::NOT_SUPPORTED), Some(id)),
        _ => return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id)),
    };
    let result = open.handle.call(request).await;
    (answer(result, length), Some(id))
}

/// The EA query of a FileFullEaInformation QUERY_INFO.
fn ea_request(qr: &QueryInfoRequest) -> QueryEaRequest {
    QueryEaRequest {
        length: qr.output_buffer_length,
        ea_list: bytes::Bytes::copy_from_slice(&qr.input),
        index: qr
            .flags
            .contains(QueryInfoFlags::INDEX_SPECIFIED)
            .then_some(qr.additional_information),
        restart_scan: qr.flags.contains(QueryInfoFlags::RESTART_SCAN),
        single_entry: qr.flags.contains(QueryInfoFlags::RETURN_SINGLE_ENTRY),
    }
}

/// The reply of a query IRP's result.
fn answer(mut result: IrpResult, length: u32) -> Reply {
    if result.status == NtStatus::BUFFER_TOO_SMALL {
        let needed = u32::try_from(result.information).unwrap_or(u32::MAX);
        return Reply::Error {
            status: result.status,
            data: needed.to_le_bytes().to_vec(),
        };
    }
    if !has_output(result.status) {
        return Reply::error(result.status);
    }
    let mut status = result.status;
    if result.output.len() > length as usize {
        result.output.truncate(length as usize);
        status = NtStatus::BUFFER_OVERFLOW;
    }
    let r = QueryInfoResponse {
        buffer: result.output,
    };
    body(status, |out| r.encode(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ea_query_carries_list_flags_and_index() {
        let qr = QueryInfoRequest {
            info_type: InfoType::FILE,
            info_class: FileInfoClass::FULL_EA.0,
            output_buffer_length: 100,
            input: vec![1, 2, 3],
            additional_information: 7,
            flags: QueryInfoFlags::RESTART_SCAN | QueryInfoFlags::RETURN_SINGLE_ENTRY,
            ..QueryInfoRequest::default()
        };
        let q = ea_request(&qr);
        assert_eq!(q.length, 100);
        assert_eq!(&q.ea_list[..], &[1, 2, 3]);
        // AdditionalInformation is an index only with SL_INDEX_SPECIFIED.
        assert_eq!(q.index, None);
        assert!(q.restart_scan && q.single_entry);
        let indexed = QueryInfoRequest {
            flags: QueryInfoFlags::INDEX_SPECIFIED,
            ..qr
        };
        let q = ea_request(&indexed);
        assert_eq!(q.index, Some(7));
        assert!(!q.restart_scan && !q.single_entry);
    }
}
