//! SMB2 SESSION_SETUP Request and Response (MS-SMB2 2.2.5, 2.2.6) and LOGOFF (2.2.7,
//! 2.2.8).

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::header::{
    HEADER_LEN, check_end, decode_reserved4, encode_reserved4, fixed_end, open_flags,
};
use crate::negotiate::Capabilities;

/// StructureSize of the request.
const REQUEST_SIZE: u16 = 25;
/// StructureSize of the response.
const RESPONSE_SIZE: u16 = 9;

open_flags! {
    /// Flags of a SESSION_SETUP request (MS-SMB2 2.2.5).
    pub struct SessionSetupFlags(u8) {
        /// SMB2_SESSION_FLAG_BINDING: bind an existing session to a new channel.
        const BINDING = 0x01;
    }
}

open_flags! {
    /// The one-byte SecurityMode of a SESSION_SETUP request (MS-SMB2 2.2.5).
    pub struct SessionSecurityMode(u8) {
        /// SMB2_NEGOTIATE_SIGNING_ENABLED.
        const SIGNING_ENABLED = 0x01;
        /// SMB2_NEGOTIATE_SIGNING_REQUIRED.
        const SIGNING_REQUIRED = 0x02;
    }
}

open_flags! {
    /// SessionFlags of a SESSION_SETUP response (MS-SMB2 2.2.6).
    pub struct SessionFlags(u16) {
        /// SMB2_SESSION_FLAG_IS_GUEST.
        const IS_GUEST = 0x0001;
        /// SMB2_SESSION_FLAG_IS_NULL.
        const IS_NULL = 0x0002;
        /// SMB2_SESSION_FLAG_ENCRYPT_DATA.
        const ENCRYPT_DATA = 0x0004;
    }
}

/// Decodes a security buffer whose offset/length fields were just read, with the fixed
/// part ending at `fixed`; returns it and the end of the body.
fn security_buffer(
    msg: &[u8],
    c: &Reader<'_>,
    offset: usize,
    length: usize,
    size: u16,
) -> Result<(Vec<u8>, usize), DecodeError> {
    let fixed = c.position();
    let buf = c.buffer_at(offset, length, fixed)?;
    let end = if length == 0 {
        fixed_end(msg, size)
    } else {
        offset + length
    };
    Ok((buf.to_vec(), end))
}

/// An SMB2 SESSION_SETUP Request (MS-SMB2 2.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionSetupRequest {
    /// Flags (3.x: BINDING).
    pub flags: SessionSetupFlags,
    /// SecurityMode.
    pub security_mode: SessionSecurityMode,
    /// Capabilities (only DFS is meaningful).
    pub capabilities: Capabilities,
    /// Channel (must be 0).
    pub channel: u32,
    /// PreviousSessionId.
    pub previous_session_id: u64,
    /// The security buffer (a GSS token).
    pub security_buffer: Vec<u8>,
}

impl SessionSetupRequest {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(REQUEST_SIZE)?;
        let flags = SessionSetupFlags(c.u8()?);
        let security_mode = SessionSecurityMode(c.u8()?);
        let capabilities = Capabilities(c.u32()?);
        let channel = c.u32()?;
        let offset = usize::from(c.u16()?);
        let length = usize::from(c.u16()?);
        let previous_session_id = c.u64()?;
        let (security_buffer, end) = security_buffer(msg, &c, offset, length, REQUEST_SIZE)?;
        check_end(msg, end)?;
        Ok(SessionSetupRequest {
            flags,
            security_mode,
            capabilities,
            channel,
            previous_session_id,
            security_buffer,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(REQUEST_SIZE);
        out.put_u8(self.flags.0);
        out.put_u8(self.security_mode.0);
        out.put_u32_le(self.capabilities.0);
        out.put_u32_le(self.channel);
        out.put_u16_le((out.len() + 12) as u16);
        debug_assert!(self.security_buffer.len() <= usize::from(u16::MAX));
        out.put_u16_le(self.security_buffer.len() as u16);
        out.put_u64_le(self.previous_session_id);
        out.put_slice(&self.security_buffer);
        if self.security_buffer.is_empty() {
            out.put_u8(0);
        }
    }
}

/// An SMB2 SESSION_SETUP Response (MS-SMB2 2.2.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionSetupResponse {
    /// SessionFlags.
    pub session_flags: SessionFlags,
    /// The security buffer (a GSS token).
    pub security_buffer: Vec<u8>,
}

impl SessionSetupResponse {
    /// Decodes the body of `msg` (see the conventions in [`crate::header`]).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(RESPONSE_SIZE)?;
        let session_flags = SessionFlags(c.u16()?);
        let offset = usize::from(c.u16()?);
        let length = usize::from(c.u16()?);
        let (security_buffer, end) = security_buffer(msg, &c, offset, length, RESPONSE_SIZE)?;
        check_end(msg, end)?;
        Ok(SessionSetupResponse {
            session_flags,
            security_buffer,
        })
    }

    /// Appends the body (see the conventions in [`crate::header`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(RESPONSE_SIZE);
        out.put_u16_le(self.session_flags.0);
        out.put_u16_le((out.len() + 4) as u16);
        debug_assert!(self.security_buffer.len() <= usize::from(u16::MAX));
        out.put_u16_le(self.security_buffer.len() as u16);
        out.put_slice(&self.security_buffer);
        if self.security_buffer.is_empty() {
            out.put_u8(0);
        }
    }
}

/// An SMB2 LOGOFF Request (MS-SMB2 2.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogoffRequest;

/// An SMB2 LOGOFF Response (MS-SMB2 2.2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogoffResponse;

macro_rules! reserved4 {
    ($($t:ident),*) => {$(
        impl $t {
            /// Decodes the body of `msg` (StructureSize 4, Reserved).
            pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
                decode_reserved4(msg).map(|()| $t)
            }

            /// Appends the body.
            pub fn encode(&self, out: &mut Vec<u8>) {
                encode_reserved4(out)
            }
        }
    )*};
}
pub(crate) use reserved4;

reserved4!(LogoffRequest, LogoffResponse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r = SessionSetupRequest {
            flags: SessionSetupFlags::BINDING,
            security_mode: SessionSecurityMode::SIGNING_REQUIRED,
            capabilities: Capabilities::DFS,
            channel: 0,
            previous_session_id: 0x55,
            security_buffer: b"NTLMSSP\0".to_vec(),
        };
        let mut out = vec![0; HEADER_LEN];
        r.encode(&mut out);
        // The buffer follows the 24-byte fixed part at offset 88.
        assert_eq!(&out[76..78], &88u16.to_le_bytes());
        assert_eq!(SessionSetupRequest::decode(&out).unwrap(), r);
        let s = SessionSetupResponse {
            session_flags: SessionFlags::IS_GUEST,
            security_buffer: vec![],
        };
        let mut out = vec![0; HEADER_LEN];
        s.encode(&mut out);
        assert_eq!(out.len(), 73);
        assert_eq!(SessionSetupResponse::decode(&out).unwrap(), s);
        let mut out = vec![0; HEADER_LEN];
        LogoffRequest.encode(&mut out);
        assert_eq!(LogoffRequest::decode(&out), Ok(LogoffRequest));
        out.extend_from_slice(&[0; 8]);
        assert!(LogoffResponse::decode(&out).is_err());
    }
}
