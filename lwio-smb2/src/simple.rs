//! The small commands: ECHO (MS-SMB2 2.2.28, 2.2.29), CANCEL (2.2.30, which has no
//! response) and FLUSH (2.2.17, 2.2.18).

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, decode_reserved4, encode_reserved4};
use crate::session::reserved4;

/// An SMB2 ECHO Request (MS-SMB2 2.2.28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EchoRequest;

/// An SMB2 ECHO Response (MS-SMB2 2.2.29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EchoResponse;

/// An SMB2 CANCEL Request (MS-SMB2 2.2.30). The request to cancel is named by the
/// header's MessageId (sync) or AsyncId (async); no response is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CancelRequest;

/// An SMB2 FLUSH Response (MS-SMB2 2.2.18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushResponse;

reserved4!(EchoRequest, EchoResponse, CancelRequest, FlushResponse);

/// StructureSize of the FLUSH request.
const FLUSH_SIZE: u16 = 24;

/// An SMB2 FLUSH Request (MS-SMB2 2.2.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushRequest {
    /// The file to flush.
    pub file_id: FileId,
}

impl FlushRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(FLUSH_SIZE)?;
        c.skip(6)?;
        let file_id = FileId::read(&mut c)?;
        check_end(msg, c.position())?;
        Ok(FlushRequest { file_id })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(FLUSH_SIZE);
        out.put_u16_le(0);
        out.put_u32_le(0);
        self.file_id.write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let f = FlushRequest {
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
        };
        let mut out = vec![0; HEADER_LEN];
        f.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN + 24);
        assert_eq!(FlushRequest::decode(&out), Ok(f));
        for n in 0..out.len() {
            assert!(FlushRequest::decode(&out[..n]).is_err());
        }
        let mut out = vec![0; HEADER_LEN];
        EchoRequest.encode(&mut out);
        assert_eq!(&out[HEADER_LEN..], &[4, 0, 0, 0]);
        assert_eq!(EchoResponse::decode(&out), Ok(EchoResponse));
        assert_eq!(CancelRequest::decode(&out), Ok(CancelRequest));
        assert_eq!(FlushResponse::decode(&out), Ok(FlushResponse));
        out[HEADER_LEN] = 5;
        assert!(EchoRequest::decode(&out).is_err());
    }
}
