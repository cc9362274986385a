//! SMB2 QUERY_DIRECTORY request and response (MS-SMB2 2.2.33, 2.2.34).
//!
//! The entries of the response stay in their MS-FSCC 2.4 layout (`lwio-fscc` builds them);
//! this module only frames them.

use bytes::BufMut;
use lwio_types::{FileInfoClass, QueryDirectoryFlags};

use crate::codec::{DecodeError, Reader, Smb2Reader, to_utf16le, utf16le};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end};
use crate::query_info::{decode_buffer_response, encode_buffer_response};
use crate::read::len_u16;

/// StructureSize of a QUERY_DIRECTORY request.
pub const QUERY_DIRECTORY_REQUEST_SIZE: u16 = 33;

/// An SMB2 QUERY_DIRECTORY request (MS-SMB2 2.2.33).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// The entry layout asked for (FileDirectoryInformation, FileIdBothDirectoryInformation…).
    pub class: FileInfoClass,
    /// Flags.
    pub flags: QueryDirectoryFlags,
    /// Where to resume, with INDEX_SPECIFIED.
    pub file_index: u32,
    /// The open directory.
    pub file_id: FileId,
    /// The search pattern (`*`, `*.txt`, a name); empty means "*" to most servers.
    pub pattern: String,
    /// The largest output the client accepts.
    pub output_buffer_length: u32,
}

impl QueryDirectoryRequest {
    /// Decodes a QUERY_DIRECTORY request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(QUERY_DIRECTORY_REQUEST_SIZE)?;
        let class = FileInfoClass(c.u8()?);
        let flags = QueryDirectoryFlags(c.u8()?);
        let file_index = c.u32()?;
        let file_id = FileId::read(&mut c)?;
        let name_offset = usize::from(c.u16()?);
        let name_length = usize::from(c.u16()?);
        let output_buffer_length = c.u32()?;
        let name = c.buffer_at(name_offset, name_length, c.position())?;
        let mut end = fixed_end(msg, QUERY_DIRECTORY_REQUEST_SIZE);
        if !name.is_empty() {
            end = end.max(name_offset + name_length);
        }
        check_end(msg, end)?;
        Ok(QueryDirectoryRequest {
            class,
            flags,
            file_index,
            file_id,
            pattern: utf16le(name)?,
            output_buffer_length,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let name = to_utf16le(&self.pattern);
        let name_offset = out.len() + 32;
        out.put_u16_le(QUERY_DIRECTORY_REQUEST_SIZE);
        out.put_u8(self.class.0);
        out.put_u8(self.flags.0);
        out.put_u32_le(self.file_index);
        self.file_id.write(out);
        out.put_u16_le(len_u16(name_offset));
        out.put_u16_le(len_u16(name.len()));
        out.put_u32_le(self.output_buffer_length);
        if name.is_empty() {
            out.put_u8(0);
        } else {
            out.put_slice(&name);
        }
    }
}

/// An SMB2 QUERY_DIRECTORY response (MS-SMB2 2.2.34): the entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryDirectoryResponse {
    /// The entries in the requested MS-FSCC layout, chained by NextEntryOffset.
    pub buffer: Vec<u8>,
}

impl QueryDirectoryResponse {
    /// Decodes a QUERY_DIRECTORY response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(QueryDirectoryResponse {
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
    fn request_round_trip() {
        let r = QueryDirectoryRequest {
            class: FileInfoClass::ID_BOTH_DIRECTORY,
            flags: QueryDirectoryFlags::RESTART_SCANS,
            file_index: 0,
            file_id: FileId {
                persistent: 5,
                volatile: 6,
            },
            pattern: "*".into(),
            output_buffer_length: 65536,
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(&msg[HEADER_LEN + 24..HEADER_LEN + 28], &[0x60, 0, 2, 0]);
        assert_eq!(QueryDirectoryRequest::decode(&msg).unwrap(), r);
        msg[HEADER_LEN + 26] = 3; // odd name length: not UTF-16
        msg.push(0);
        assert!(QueryDirectoryRequest::decode(&msg).is_err());
    }
}
