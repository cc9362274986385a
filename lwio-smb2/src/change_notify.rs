//! SMB2 CHANGE_NOTIFY request and response (MS-SMB2 2.2.35, 2.2.36).
//!
//! The response's buffer holds FILE_NOTIFY_INFORMATION entries (MS-FSCC 2.7.1), built by
//! `lwio-fscc`; this module only frames them.

use bytes::BufMut;
use lwio_types::NotifyFilter;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, open_flags};
use crate::query_info::{decode_buffer_response, encode_buffer_response};

open_flags! {
    /// The Flags of a CHANGE_NOTIFY request (MS-SMB2 2.2.35).
    pub struct ChangeNotifyFlags(u16) {
        /// SMB2_WATCH_TREE: watch the whole subtree, not just the directory.
        const WATCH_TREE = 0x0001;
    }
}

/// StructureSize of a CHANGE_NOTIFY request.
pub const CHANGE_NOTIFY_REQUEST_SIZE: u16 = 32;

/// An SMB2 CHANGE_NOTIFY request (MS-SMB2 2.2.35).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeNotifyRequest {
    /// Flags.
    pub flags: ChangeNotifyFlags,
    /// The largest output the client accepts.
    pub output_buffer_length: u32,
    /// The open directory watched.
    pub file_id: FileId,
    /// Which changes complete the request.
    pub completion_filter: NotifyFilter,
}

impl ChangeNotifyRequest {
    /// Decodes a CHANGE_NOTIFY request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(CHANGE_NOTIFY_REQUEST_SIZE)?;
        let flags = ChangeNotifyFlags(c.u16()?);
        let output_buffer_length = c.u32()?;
        let file_id = FileId::read(&mut c)?;
        let completion_filter = NotifyFilter(c.u32()?);
        c.skip(4)?; // Reserved
        check_end(msg, c.position())?;
        Ok(ChangeNotifyRequest {
            flags,
            output_buffer_length,
            file_id,
            completion_filter,
        })
    }

    /// Appends the 32-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(CHANGE_NOTIFY_REQUEST_SIZE);
        out.put_u16_le(self.flags.0);
        out.put_u32_le(self.output_buffer_length);
        self.file_id.write(out);
        out.put_u32_le(self.completion_filter.0);
        out.put_u32_le(0);
    }
}

/// An SMB2 CHANGE_NOTIFY response (MS-SMB2 2.2.36).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeNotifyResponse {
    /// FILE_NOTIFY_INFORMATION entries (empty with STATUS_NOTIFY_ENUM_DIR).
    pub buffer: Vec<u8>,
}

impl ChangeNotifyResponse {
    /// Decodes a CHANGE_NOTIFY response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        Ok(ChangeNotifyResponse {
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
    fn round_trips() {
        let r = ChangeNotifyRequest {
            flags: ChangeNotifyFlags::WATCH_TREE,
            output_buffer_length: 2048,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
            completion_filter: NotifyFilter::FILE_NAME | NotifyFilter::DIR_NAME,
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(msg.len(), HEADER_LEN + 32);
        assert_eq!(ChangeNotifyRequest::decode(&msg).unwrap(), r);
        let resp = ChangeNotifyResponse {
            buffer: vec![0; 12],
        };
        let mut msg = vec![0u8; HEADER_LEN];
        resp.encode(&mut msg);
        assert_eq!(ChangeNotifyResponse::decode(&msg).unwrap(), resp);
    }
}
