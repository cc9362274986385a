//! SMB2 CLOSE Request and Response (MS-SMB2 2.2.15, 2.2.16).

use bytes::BufMut;
use lwio_types::FileAttributes;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::{FileId, FileTimes};
use crate::header::{HEADER_LEN, check_end, open_flags};

/// StructureSize of the request.
const REQUEST_SIZE: u16 = 24;
/// StructureSize of the response.
const RESPONSE_SIZE: u16 = 60;

open_flags! {
    /// Flags of CLOSE request and response (MS-SMB2 2.2.15).
    pub struct CloseFlags(u16) {
        /// SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB: return the file's attributes after close.
        const POSTQUERY_ATTRIB = 0x0001;
    }
}

/// An SMB2 CLOSE Request (MS-SMB2 2.2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CloseRequest {
    /// Flags.
    pub flags: CloseFlags,
    /// The handle to close.
    pub file_id: FileId,
}

impl CloseRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(REQUEST_SIZE)?;
        let flags = CloseFlags(c.u16()?);
        c.skip(4)?;
        let file_id = FileId::read(&mut c)?;
        check_end(msg, c.position())?;
        Ok(CloseRequest { flags, file_id })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(REQUEST_SIZE);
        out.put_u16_le(self.flags.0);
        out.put_u32_le(0);
        self.file_id.write(out);
    }
}

/// An SMB2 CLOSE Response (MS-SMB2 2.2.16). Without POSTQUERY_ATTRIB the times,
/// sizes and attributes are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CloseResponse {
    /// Flags (POSTQUERY_ATTRIB when the attributes are valid).
    pub flags: CloseFlags,
    /// Times and sizes.
    pub times: FileTimes,
    /// FileAttributes.
    pub file_attributes: FileAttributes,
}

impl CloseResponse {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(RESPONSE_SIZE)?;
        let flags = CloseFlags(c.u16()?);
        c.skip(4)?;
        let times = FileTimes::read(&mut c)?;
        let file_attributes = FileAttributes(c.u32()?);
        check_end(msg, c.position())?;
        Ok(CloseResponse {
            flags,
            times,
            file_attributes,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(RESPONSE_SIZE);
        out.put_u16_le(self.flags.0);
        out.put_u32_le(0);
        self.times.write(out);
        out.put_u32_le(self.file_attributes.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r = CloseRequest {
            flags: CloseFlags::POSTQUERY_ATTRIB,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN + 24);
        assert_eq!(CloseRequest::decode(&out), Ok(r));
        let s = CloseResponse {
            flags: CloseFlags::POSTQUERY_ATTRIB,
            times: FileTimes {
                end_of_file: 5,
                ..FileTimes::default()
            },
            file_attributes: FileAttributes(0x10),
        };
        let mut out = vec![0; HEADER_LEN];
        s.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN + 60);
        assert_eq!(CloseResponse::decode(&out), Ok(s));
        for n in 0..out.len() {
            assert!(CloseResponse::decode(&out[..n]).is_err());
        }
    }
}
