//! The buffers of the pipe FSCTLs (MS-FSCC 2.3): the FSCTL_PIPE_PEEK reply
//! (FILE_PIPE_PEEK_BUFFER, 2.3.46) and the FSCTL_PIPE_WAIT input
//! (FILE_PIPE_WAIT_FOR_BUFFER, 2.3.49).

use std::time::Duration;

use lwio_types::Reader;
use lwio_types::utf16::{decode_utf16le, encode_utf16le};

use super::info::NamedPipeState;
use crate::status::NtStatus;

/// Bytes before the data of an FSCTL_PIPE_PEEK reply.
pub const PIPE_PEEK_HEADER_LEN: usize = 16;

/// The FSCTL_PIPE_PEEK reply, FILE_PIPE_PEEK_BUFFER (MS-FSCC 2.3.46).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipePeekReply {
    /// FILE_PIPE_CONNECTED_STATE, or FILE_PIPE_CLOSING_STATE once the other end closed.
    pub state: NamedPipeState,
    /// Bytes queued for this end.
    pub read_data_available: u32,
    /// Messages queued (message pipes; else 0).
    pub number_of_messages: u32,
    /// What is left of the first message (message pipes; else 0).
    pub message_length: u32,
    /// The first bytes (message pipes: of the first message only).
    pub data: Vec<u8>,
}

impl PipePeekReply {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PIPE_PEEK_HEADER_LEN + self.data.len());
        out.extend_from_slice(&self.state.to_wire().to_le_bytes());
        out.extend_from_slice(&self.read_data_available.to_le_bytes());
        out.extend_from_slice(&self.number_of_messages.to_le_bytes());
        out.extend_from_slice(&self.message_length.to_le_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    /// Decodes a reply; a short buffer or an unknown state is STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipePeekReply, NtStatus> {
        let mut r = Reader::new(buf);
        let state = NamedPipeState::from_wire(r.u32()?).ok_or(NtStatus::INVALID_PARAMETER)?;
        let read_data_available = r.u32()?;
        let number_of_messages = r.u32()?;
        let message_length = r.u32()?;
        let data = r.rest().to_vec();
        Ok(PipePeekReply {
            state,
            read_data_available,
            number_of_messages,
            message_length,
            data,
        })
    }
}

/// The FSCTL_PIPE_WAIT input, FILE_PIPE_WAIT_FOR_BUFFER (MS-FSCC 2.3.49).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeWaitRequest {
    /// The pipe's name, without any `\pipe\` prefix.
    pub name: String,
    /// How long to wait; `None` (TimeoutSpecified FALSE) uses the pipe's default timeout.
    pub timeout: Option<Duration>,
}

impl PipeWaitRequest {
    /// A wait for `name`.
    pub fn new(name: impl Into<String>, timeout: Option<Duration>) -> Self {
        PipeWaitRequest {
            name: name.into(),
            timeout,
        }
    }

    /// The wire form: the timeout as a negative (relative) count of 100-ns intervals, as
    /// Windows callers send it.
    pub fn encode(&self) -> Vec<u8> {
        let name = encode_utf16le(&self.name);
        let ticks = self
            .timeout
            .map_or(0, |t| i64::try_from(t.as_nanos() / 100).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(14 + name.len());
        out.extend_from_slice(&(-ticks).to_le_bytes());
        out.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.push(u8::from(self.timeout.is_some()));
        out.push(0);
        out.extend_from_slice(&name);
        out
    }

    /// Decodes the input. The Timeout field is read as an NT interval of 100-ns units
    /// (negative means relative); we take its magnitude as a relative wait either way, and
    /// a zero with TimeoutSpecified TRUE times out at once. (MS-FSCC's text says "units of
    /// 100 milliseconds"; Windows callers send NT intervals.) Trailing bytes, an odd name
    /// length or a name longer than the buffer are STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipeWaitRequest, NtStatus> {
        let mut r = Reader::new(buf);
        let ticks = r.i64()?;
        let name_len = r.u32()? as usize;
        let specified = r.u8()? != 0;
        let _padding = r.u8()?;
        let name = decode_utf16le(r.take(name_len)?).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        r.expect_end()?;
        let timeout =
            specified.then(|| Duration::from_nanos(ticks.unsigned_abs().saturating_mul(100)));
        Ok(PipeWaitRequest { name, timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_request_round_trip_and_rejects() {
        let req = PipeWaitRequest::new("lsarpc", Some(Duration::from_millis(1500)));
        let wire = req.encode();
        assert_eq!(wire.len(), 14 + 12);
        assert_eq!(&wire[..8], &(-15_000_000i64).to_le_bytes());
        assert_eq!(PipeWaitRequest::decode(&wire), Ok(req));
        let forever = PipeWaitRequest::new("x", None);
        assert_eq!(PipeWaitRequest::decode(&forever.encode()), Ok(forever));
        assert!(PipeWaitRequest::decode(&wire[..wire.len() - 1]).is_err());
        let mut long = wire.clone();
        long.push(0);
        assert!(PipeWaitRequest::decode(&long).is_err());
    }

    #[test]
    fn peek_reply_layout() {
        let reply = PipePeekReply {
            state: NamedPipeState::Connected,
            read_data_available: 7,
            number_of_messages: 2,
            message_length: 5,
            data: b"abc".to_vec(),
        };
        let wire = reply.encode();
        assert_eq!(&wire[..4], &3u32.to_le_bytes());
        assert_eq!(&wire[12..16], &5u32.to_le_bytes());
        assert_eq!(PipePeekReply::decode(&wire), Ok(reply));
        assert!(PipePeekReply::decode(&wire[..15]).is_err());
    }
}
