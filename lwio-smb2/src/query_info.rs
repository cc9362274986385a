//! SMB2 QUERY_INFO request and response (MS-SMB2 2.2.37, 2.2.38).
//!
//! The information buffers themselves stay in their MS-FSCC / MS-DTYP layouts (see
//! `lwio-fscc` and `lwio_types::security`); this module only frames them.

use bytes::BufMut;
use lwio_types::{FileInfoClass, FsInfoClass, SecurityInformation};

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end, open_enum, open_flags};
use crate::read::{len_u16, len_u32};

open_enum! {
    /// What a QUERY_INFO or SET_INFO is about (MS-SMB2 2.2.37 InfoType).
    pub struct InfoType(u8) {
        /// SMB2_0_INFO_FILE: file information (MS-FSCC 2.4).
        const FILE = 0x01;
        /// SMB2_0_INFO_FILESYSTEM: volume information (MS-FSCC 2.5).
        const FILESYSTEM = 0x02;
        /// SMB2_0_INFO_SECURITY: the security descriptor (MS-DTYP 2.4.6).
        const SECURITY = 0x03;
        /// SMB2_0_INFO_QUOTA: quota entries (MS-FSCC 2.4.33).
        const QUOTA = 0x04;
    }
}

open_flags! {
    /// The Flags of a QUERY_INFO request (MS-SMB2 2.2.37), for EA and quota queries.
    pub struct QueryInfoFlags(u32) {
        /// SL_RESTART_SCAN: start from the first entry.
        const RESTART_SCAN = 0x0000_0001;
        /// SL_RETURN_SINGLE_ENTRY: return one entry only.
        const RETURN_SINGLE_ENTRY = 0x0000_0002;
        /// SL_INDEX_SPECIFIED: start at the (1-based) EA index in AdditionalInformation.
        const INDEX_SPECIFIED = 0x0000_0004;
    }
}

/// StructureSize of a QUERY_INFO request.
pub const QUERY_INFO_REQUEST_SIZE: u16 = 41;
/// StructureSize of the QUERY_INFO, QUERY_DIRECTORY and CHANGE_NOTIFY responses.
pub const BUFFER_RESPONSE_SIZE: u16 = 9;

/// The class of a query or set, read as the InfoType says (`FileInfoClass` for FILE,
/// `FsInfoClass` for FILESYSTEM; SECURITY and QUOTA carry none).
pub(crate) fn file_class(info_type: InfoType, class: u8) -> Option<FileInfoClass> {
    (info_type == InfoType::FILE).then_some(FileInfoClass(class))
}

/// See [`file_class`].
pub(crate) fn fs_class(info_type: InfoType, class: u8) -> Option<FsInfoClass> {
    (info_type == InfoType::FILESYSTEM).then_some(FsInfoClass(class))
}

/// Decodes the body shared by the QUERY_INFO, QUERY_DIRECTORY and CHANGE_NOTIFY responses
/// (StructureSize 9, OutputBufferOffset u16, OutputBufferLength u32, Buffer).
pub(crate) fn decode_buffer_response(msg: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut c = Reader::at(msg, HEADER_LEN);
    c.structure_size(BUFFER_RESPONSE_SIZE)?;
    let offset = usize::from(c.u16()?);
    let length = c.u32()? as usize;
    let buf = c.buffer_at(offset, length, c.position())?;
    let mut end = fixed_end(msg, BUFFER_RESPONSE_SIZE);
    if !buf.is_empty() {
        end = end.max(offset + length);
    }
    check_end(msg, end)?;
    Ok(buf.to_vec())
}

/// Encodes that shared body; `out` holds the header only. The buffer goes right after the
/// 8-byte fixed part (offset 72); an empty one is the odd byte of StructureSize 9.
pub(crate) fn encode_buffer_response(buffer: &[u8], out: &mut Vec<u8>) {
    let offset = out.len() + 8;
    out.put_u16_le(BUFFER_RESPONSE_SIZE);
    out.put_u16_le(len_u16(offset));
    out.put_u32_le(len_u32(buffer.len()));
    if buffer.is_empty() {
        out.put_u8(0);
    } else {
        out.put_slice(buffer);
    }
}

/// An SMB2 QUERY_INFO request (MS-SMB2 2.2.37).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryInfoRequest {
    /// What is queried.
    pub info_type: InfoType,
    /// The FileInfoClass field: a file or volume class by `info_type` (see
    /// [`QueryInfoRequest::file_class`], [`QueryInfoRequest::fs_class`]), 0 otherwise.
    pub info_class: u8,
    /// The largest output the client accepts.
    pub output_buffer_length: u32,
    /// The input buffer: an FILE_GET_EA_INFORMATION list for FileFullEaInformation, an
    /// SMB2_QUERY_QUOTA_INFO for quotas, else empty.
    pub input: Vec<u8>,
    /// AdditionalInformation: the SecurityInformation for SECURITY, the EA index with
    /// SL_INDEX_SPECIFIED.
    pub additional_information: u32,
    /// Flags (EA queries).
    pub flags: QueryInfoFlags,
    /// The open queried.
    pub file_id: FileId,
}

impl QueryInfoRequest {
    /// The file information class, when `info_type` is FILE.
    pub fn file_class(&self) -> Option<FileInfoClass> {
        file_class(self.info_type, self.info_class)
    }

    /// The volume information class, when `info_type` is FILESYSTEM.
    pub fn fs_class(&self) -> Option<FsInfoClass> {
        fs_class(self.info_type, self.info_class)
    }

    /// The parts of the security descriptor asked for, when `info_type` is SECURITY.
    pub fn security_information(&self) -> Option<SecurityInformation> {
        (self.info_type == InfoType::SECURITY)
            .then_some(SecurityInformation(self.additional_information))
    }

    /// Decodes a QUERY_INFO request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(QUERY_INFO_REQUEST_SIZE)?;
        let info_type = InfoType(c.u8()?);
        let info_class = c.u8()?;
        let output_buffer_length = c.u32()?;
        let input_offset = usize::from(c.u16()?);
        c.skip(2)?; // Reserved
        let input_length = c.u32()? as usize;
        let additional_information = c.u32()?;
        let flags = QueryInfoFlags(c.u32()?);
        let file_id = FileId::read(&mut c)?;
        let input = c.buffer_at(input_offset, input_length, c.position())?;
        let mut end = fixed_end(msg, QUERY_INFO_REQUEST_SIZE);
        if !input.is_empty() {
            end = end.max(input_offset + input_length);
        }
        check_end(msg, end)?;
        Ok(QueryInfoRequest {
            info_type,
            info_class,
            output_buffer_length,
            input: input.to_vec(),
            additional_information,
            flags,
            file_id,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let input_offset = out.len() + 40;
        out.put_u16_le(QUERY_INFO_REQUEST_SIZE);
        out.put_u8(self.info_type.0);
        out.put_u8(self.info_class);
        out.put_u32_le(self.output_buffer_length);
        out.put_u16_le(len_u16(input_offset));
        out.put_u16_le(0);
        out.put_u32_le(len_u32(self.input.len()));
        out.put_u32_le(self.additional_information);
        out.put_u32_le(self.flags.0);
        self.file_id.write(out);
        if self.input.is_empty() {
            out.put_u8(0);
        } else {
            out.put_slice(&self.input);
        }
    }
}

/// An SMB2 QUERY_INFO response (MS-SMB2 2.2.38): the information buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryInfoResponse {
    /// The information, in its MS-FSCC or MS-DTYP layout.
    pub buffer: Vec<u8>,
}

impl QueryInfoResponse {
    /// Decodes a QUERY_INFO response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(QueryInfoResponse {
            buffer: decode_buffer_response(msg)?,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_buffer_response(&self.buffer, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip_and_classes() {
        let r = QueryInfoRequest {
            info_type: InfoType::SECURITY,
            info_class: 0,
            output_buffer_length: 4096,
            input: Vec::new(),
            additional_information: 0x7,
            flags: QueryInfoFlags::empty(),
            file_id: FileId {
                persistent: 9,
                volatile: 10,
            },
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(msg.len(), HEADER_LEN + 41);
        let d = QueryInfoRequest::decode(&msg).unwrap();
        assert_eq!(d, r);
        assert_eq!(d.security_information(), Some(SecurityInformation(7)));
        assert_eq!(d.file_class(), None);
        let ea = QueryInfoRequest {
            info_type: InfoType::FILE,
            info_class: FileInfoClass::FULL_EA.0,
            input: vec![0, 0, 0, 0, 1, b'A', 0, 0],
            ..r
        };
        let mut msg = vec![0u8; HEADER_LEN];
        ea.encode(&mut msg);
        let d = QueryInfoRequest::decode(&msg).unwrap();
        assert_eq!(d, ea);
        assert_eq!(d.file_class(), Some(FileInfoClass::FULL_EA));
    }

    #[test]
    fn response_round_trip() {
        for buffer in [Vec::new(), vec![1, 2, 3, 4, 5]] {
            let r = QueryInfoResponse { buffer };
            let mut msg = vec![0u8; HEADER_LEN];
            r.encode(&mut msg);
            assert_eq!(&msg[HEADER_LEN + 2..HEADER_LEN + 4], &[0x48, 0]);
            assert_eq!(QueryInfoResponse::decode(&msg).unwrap(), r);
        }
    }
}
