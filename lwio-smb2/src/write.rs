//! SMB2 WRITE request and response (MS-SMB2 2.2.21, 2.2.22).
//!
//! A write's data can be megabytes, so [`WriteRequest`] borrows it from the message rather
//! than copying it (the one exception to the crate's "decoded values own their buffers"
//! rule); a client encodes the fixed part with [`WriteRequest::encode_header_only`] when it
//! sends the data from its own buffer.

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end, open_flags};
use crate::read::{Channel, len_u16, len_u32};

open_flags! {
    /// The Flags of a WRITE request (MS-SMB2 2.2.21).
    pub struct WriteFlags(u32) {
        /// SMB2_WRITEFLAG_WRITE_THROUGH (2.1+): write to stable storage before replying.
        const WRITE_THROUGH = 0x0000_0001;
        /// SMB2_WRITEFLAG_WRITE_UNBUFFERED (3.0.2+): bypass the server's cache.
        const UNBUFFERED = 0x0000_0002;
    }
}

/// StructureSize of a WRITE request.
pub const WRITE_REQUEST_SIZE: u16 = 49;
/// StructureSize of a WRITE response.
pub const WRITE_RESPONSE_SIZE: u16 = 17;
/// Where the data of an encoded WRITE request starts (header + 48-byte fixed part).
pub const WRITE_REQUEST_DATA_OFFSET: usize = HEADER_LEN + 48;

/// An SMB2 WRITE request (MS-SMB2 2.2.21), borrowing its data and channel info from the
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest<'a> {
    /// The file offset to write at.
    pub offset: u64,
    /// The open to write to.
    pub file_id: FileId,
    /// How the data moves.
    pub channel: Channel,
    /// Bytes the client will write next (a hint), or with RDMA the length to write.
    pub remaining_bytes: u32,
    /// Flags.
    pub flags: WriteFlags,
    /// The data (empty when it comes by RDMA).
    pub data: &'a [u8],
    /// The WriteChannelInfo buffer (RDMA descriptors), empty without RDMA.
    pub channel_info: &'a [u8],
}

impl<'a> WriteRequest<'a> {
    /// Decodes a WRITE request from its message (header first); the data stays in `msg`.
    pub fn decode(msg: &'a [u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(WRITE_REQUEST_SIZE)?;
        let data_offset = usize::from(c.u16()?);
        let length = c.u32()? as usize;
        let offset = c.u64()?;
        let file_id = FileId::read(&mut c)?;
        let channel = Channel(c.u32()?);
        let remaining_bytes = c.u32()?;
        let info_offset = usize::from(c.u16()?);
        let info_length = usize::from(c.u16()?);
        let flags = WriteFlags(c.u32()?);
        let fixed = c.position();
        let data = c.buffer_at(data_offset, length, fixed)?;
        let channel_info = c.buffer_at(info_offset, info_length, fixed)?;
        let mut end = fixed_end(msg, WRITE_REQUEST_SIZE);
        if !data.is_empty() {
            end = end.max(data_offset + length);
        }
        if !channel_info.is_empty() {
            end = end.max(info_offset + info_length);
        }
        check_end(msg, end)?;
        Ok(WriteRequest {
            offset,
            file_id,
            channel,
            remaining_bytes,
            flags,
            data,
            channel_info,
        })
    }

    /// Appends the body: the fixed part, the data, then the channel info. `out` holds this
    /// message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_header_only(self.data.len(), out);
        out.put_slice(self.data);
        out.put_slice(self.channel_info);
    }

    /// Appends the fixed part announcing `data_len` bytes of data right after it, followed
    /// (in [`WriteRequest::encode`]) by the channel info. Without data and channel info
    /// it appends the odd byte of StructureSize 49 itself; otherwise the caller appends
    /// the data and then `self.channel_info`. `self.data` is ignored.
    pub fn encode_header_only(&self, data_len: usize, out: &mut Vec<u8>) {
        let data_offset = out.len() + 48;
        out.put_u16_le(WRITE_REQUEST_SIZE);
        out.put_u16_le(len_u16(data_offset));
        out.put_u32_le(len_u32(data_len));
        out.put_u64_le(self.offset);
        self.file_id.write(out);
        out.put_u32_le(self.channel.0);
        out.put_u32_le(self.remaining_bytes);
        // An empty channel info gets offset 0: after a large write "where it would have
        // started" does not fit the 16-bit field.
        let info_offset = if self.channel_info.is_empty() {
            0
        } else {
            len_u16(data_offset + data_len)
        };
        out.put_u16_le(info_offset);
        out.put_u16_le(len_u16(self.channel_info.len()));
        out.put_u32_le(self.flags.0);
        if data_len == 0 && self.channel_info.is_empty() {
            out.put_u8(0);
        }
    }
}

/// An SMB2 WRITE response (MS-SMB2 2.2.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteResponse {
    /// The number of bytes written.
    pub count: u32,
    /// Reserved (0); clients ignore it.
    pub remaining: u32,
}

impl WriteResponse {
    /// Decodes a WRITE response from its message (header first). The channel info fields
    /// are reserved and ignored.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(WRITE_RESPONSE_SIZE)?;
        c.skip(2)?; // Reserved
        let count = c.u32()?;
        let remaining = c.u32()?;
        c.skip(4)?; // WriteChannelInfoOffset, WriteChannelInfoLength (reserved)
        check_end(msg, fixed_end(msg, WRITE_RESPONSE_SIZE))?;
        Ok(WriteResponse { count, remaining })
    }

    /// Appends the body (17 bytes, the odd one zero); `out` holds the header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(WRITE_RESPONSE_SIZE);
        out.put_u16_le(0);
        out.put_u32_le(self.count);
        out.put_u32_le(self.remaining);
        out.put_u32_le(0);
        out.put_u8(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(data: &[u8]) -> WriteRequest<'_> {
        WriteRequest {
            offset: 10,
            file_id: FileId {
                persistent: 3,
                volatile: 4,
            },
            channel: Channel::NONE,
            remaining_bytes: 0,
            flags: WriteFlags::WRITE_THROUGH,
            data,
            channel_info: &[],
        }
    }

    #[test]
    fn request_borrows_data() {
        let w = sample(b"abcdef");
        let mut msg = vec![0u8; HEADER_LEN];
        w.encode(&mut msg);
        assert_eq!(&msg[HEADER_LEN + 2..HEADER_LEN + 4], &[0x70, 0]);
        let d = WriteRequest::decode(&msg).unwrap();
        assert_eq!(d, w);
        assert_eq!(d.data.as_ptr(), msg[0x70..].as_ptr());
    }

    #[test]
    fn lying_offsets_rejected() {
        let w = sample(b"abcdef");
        let mut msg = vec![0u8; HEADER_LEN];
        w.encode(&mut msg);
        let mut bad = msg.clone();
        bad[HEADER_LEN + 2] = 0x40; // data offset inside the header
        assert!(WriteRequest::decode(&bad).is_err());
        let mut bad = msg.clone();
        bad[HEADER_LEN + 4] = 7; // one byte past the end
        assert!(WriteRequest::decode(&bad).is_err());
        let mut bad = msg;
        bad.extend_from_slice(&[0; 9]); // more than compound padding
        assert!(WriteRequest::decode(&bad).is_err());
    }

    #[test]
    fn response_round_trip() {
        let r = WriteResponse {
            count: 6,
            remaining: 0,
        };
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(msg.len(), HEADER_LEN + 17);
        assert_eq!(WriteResponse::decode(&msg).unwrap(), r);
    }
}
