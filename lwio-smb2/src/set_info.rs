//! SMB2 SET_INFO request and response (MS-SMB2 2.2.39, 2.2.40).
//!
//! The information buffer stays in its MS-FSCC / MS-DTYP layout; this module only frames
//! it.

use bytes::BufMut;
use lwio_types::{FileInfoClass, FsInfoClass, SecurityInformation};

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end};
use crate::query_info::{InfoType, file_class, fs_class};
use crate::read::{len_u16, len_u32};

/// StructureSize of a SET_INFO request.
pub const SET_INFO_REQUEST_SIZE: u16 = 33;
/// StructureSize of a SET_INFO response.
pub const SET_INFO_RESPONSE_SIZE: u16 = 2;

/// An SMB2 SET_INFO request (MS-SMB2 2.2.39).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetInfoRequest {
    /// What is set.
    pub info_type: InfoType,
    /// The FileInfoClass field: a file or volume class by `info_type`, 0 otherwise.
    pub info_class: u8,
    /// The information, in its MS-FSCC or MS-DTYP layout.
    pub buffer: Vec<u8>,
    /// AdditionalInformation: the SecurityInformation for SECURITY, else 0.
    pub additional_information: u32,
    /// The open changed.
    pub file_id: FileId,
}

impl SetInfoRequest {
    /// The file information class, when `info_type` is FILE.
    pub fn file_class(&self) -> Option<FileInfoClass> {
        file_class(self.info_type, self.info_class)
    }

    /// The volume information class, when `info_type` is FILESYSTEM.
    pub fn fs_class(&self) -> Option<FsInfoClass> {
        fs_class(self.info_type, self.info_class)
    }

    /// The parts of the security descriptor set, when `info_type` is SECURITY.
    pub fn security_information(&self) -> Option<SecurityInformation> {
        (self.info_type == InfoType::SECURITY)
            .then_some(SecurityInformation(self.additional_information))
    }

    /// Decodes a SET_INFO request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(SET_INFO_REQUEST_SIZE)?;
        let info_type = InfoType(c.u8()?);
        let info_class = c.u8()?;
        let length = c.u32()? as usize;
        let offset = usize::from(c.u16()?);
        c.skip(2)?; // Reserved
        let additional_information = c.u32()?;
        let file_id = FileId::read(&mut c)?;
        let buffer = c.buffer_at(offset, length, c.position())?;
        let mut end = fixed_end(msg, SET_INFO_REQUEST_SIZE);
        if !buffer.is_empty() {
            end = end.max(offset + length);
        }
        check_end(msg, end)?;
        Ok(SetInfoRequest {
            info_type,
            info_class,
            buffer: buffer.to_vec(),
            additional_information,
            file_id,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let offset = out.len() + 32;
        out.put_u16_le(SET_INFO_REQUEST_SIZE);
        out.put_u8(self.info_type.0);
        out.put_u8(self.info_class);
        out.put_u32_le(len_u32(self.buffer.len()));
        out.put_u16_le(len_u16(offset));
        out.put_u16_le(0);
        out.put_u32_le(self.additional_information);
        self.file_id.write(out);
        if self.buffer.is_empty() {
            out.put_u8(0);
        } else {
            out.put_slice(&self.buffer);
        }
    }
}

/// An SMB2 SET_INFO response (MS-SMB2 2.2.40): no fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetInfoResponse;

impl SetInfoResponse {
    /// Decodes a SET_INFO response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(SET_INFO_RESPONSE_SIZE)?;
        check_end(msg, c.position())?;
        Ok(SetInfoResponse)
    }

    /// Appends the 2-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(SET_INFO_RESPONSE_SIZE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r = SetInfoRequest {
            info_type: InfoType::FILE,
            info_class: FileInfoClass::DISPOSITION.0,
            buffer: vec![1],
            additional_information: 0,
            file_id: FileId {
                persistent: 7,
                volatile: 8,
            },
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(&msg[HEADER_LEN + 8..HEADER_LEN + 10], &[0x60, 0]);
        let d = SetInfoRequest::decode(&msg).unwrap();
        assert_eq!(d, r);
        assert_eq!(d.file_class(), Some(FileInfoClass::DISPOSITION));
        let mut msg = vec![0u8; HEADER_LEN];
        SetInfoResponse.encode(&mut msg);
        assert_eq!(SetInfoResponse::decode(&msg), Ok(SetInfoResponse));
    }
}
