//! SMB2 READ request and response (MS-SMB2 2.2.19, 2.2.20).
//!
//! The response's data may be large; a server that reads straight into its send buffer
//! encodes the fixed part with [`ReadResponse::encode_header_only`] and appends the data
//! itself, so the bytes are never copied through a `ReadResponse`.

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, fixed_end, open_enum, open_flags};

open_flags! {
    /// The Flags of a READ request (MS-SMB2 2.2.19).
    pub struct ReadFlags(u8) {
        /// SMB2_READFLAG_READ_UNBUFFERED (3.0.2+): bypass the server's cache.
        const UNBUFFERED = 0x01;
        /// SMB2_READFLAG_REQUEST_COMPRESSED (3.1.1): the response may be compressed.
        const REQUEST_COMPRESSED = 0x02;
    }
}

open_enum! {
    /// The Channel of a READ or WRITE request (MS-SMB2 2.2.19, 2.2.21): how the data moves.
    pub struct Channel(u32) {
        /// SMB2_CHANNEL_NONE: the data is in the message.
        const NONE = 0;
        /// SMB2_CHANNEL_RDMA_V1: the channel info holds SMB_DIRECT buffer descriptors.
        const RDMA_V1 = 1;
        /// SMB2_CHANNEL_RDMA_V1_INVALIDATE: as RDMA_V1, and invalidate the memory region.
        const RDMA_V1_INVALIDATE = 2;
        /// SMB2_CHANNEL_RDMA_TRANSFORM (3.1.1): RDMA with transform descriptors.
        const RDMA_TRANSFORM = 3;
    }
}

open_flags! {
    /// The Flags of a READ response (MS-SMB2 2.2.20, Reserved2 before 3.1.1).
    pub struct ReadResponseFlags(u32) {
        /// SMB2_READFLAG_RESPONSE_RDMA_TRANSFORM: the data was sent with an RDMA transform.
        const RDMA_TRANSFORM = 0x0000_0001;
    }
}

/// StructureSize of a READ request.
pub const READ_REQUEST_SIZE: u16 = 49;
/// StructureSize of a READ response.
pub const READ_RESPONSE_SIZE: u16 = 17;
/// Where the data of an encoded READ response starts (header + 16-byte fixed part).
pub const READ_RESPONSE_DATA_OFFSET: usize = HEADER_LEN + 16;

/// Converts a buffer length to its wire field; a longer buffer is the caller's bug.
pub(crate) fn len_u32(n: usize) -> u32 {
    debug_assert!(u32::try_from(n).is_ok(), "buffer too long for a u32 length");
    n as u32
}

/// Converts an offset or length to a u16 wire field; a larger one is the caller's bug.
pub(crate) fn len_u16(n: usize) -> u16 {
    debug_assert!(u16::try_from(n).is_ok(), "value too large for a u16 field");
    n as u16
}

/// An SMB2 READ request (MS-SMB2 2.2.19).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadRequest {
    /// Where the client wants the data placed in the response, from the header start
    /// (0 lets the server choose).
    pub padding: u8,
    /// Flags.
    pub flags: ReadFlags,
    /// The number of bytes to read.
    pub length: u32,
    /// The file offset to read from.
    pub offset: u64,
    /// The open to read from.
    pub file_id: FileId,
    /// The fewest bytes that make the read succeed.
    pub minimum_count: u32,
    /// How the data moves.
    pub channel: Channel,
    /// Bytes the client will read next (a hint), or with RDMA the length of the
    /// descriptors.
    pub remaining_bytes: u32,
    /// The ReadChannelInfo buffer (RDMA descriptors), empty without RDMA.
    pub channel_info: Vec<u8>,
}

impl ReadRequest {
    /// Decodes a READ request from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(READ_REQUEST_SIZE)?;
        let padding = c.u8()?;
        let flags = ReadFlags(c.u8()?);
        let length = c.u32()?;
        let offset = c.u64()?;
        let file_id = FileId::read(&mut c)?;
        let minimum_count = c.u32()?;
        let channel = Channel(c.u32()?);
        let remaining_bytes = c.u32()?;
        let info_offset = usize::from(c.u16()?);
        let info_length = usize::from(c.u16()?);
        let fixed = c.position();
        let channel_info = c.buffer_at(info_offset, info_length, fixed)?;
        let mut end = fixed_end(msg, READ_REQUEST_SIZE);
        if !channel_info.is_empty() {
            end = end.max(info_offset + info_length);
        }
        check_end(msg, end)?;
        Ok(ReadRequest {
            padding,
            flags,
            length,
            offset,
            file_id,
            minimum_count,
            channel,
            remaining_bytes,
            channel_info: channel_info.to_vec(),
        })
    }

    /// Appends the body; `out` holds this message's header and nothing after it.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let buffer = out.len() + 48;
        out.put_u16_le(READ_REQUEST_SIZE);
        out.put_u8(self.padding);
        out.put_u8(self.flags.0);
        out.put_u32_le(self.length);
        out.put_u64_le(self.offset);
        self.file_id.write(out);
        out.put_u32_le(self.minimum_count);
        out.put_u32_le(self.channel.0);
        out.put_u32_le(self.remaining_bytes);
        out.put_u16_le(len_u16(buffer));
        out.put_u16_le(len_u16(self.channel_info.len()));
        if self.channel_info.is_empty() {
            out.put_u8(0); // the odd byte of StructureSize 49
        } else {
            out.put_slice(&self.channel_info);
        }
    }
}

/// An SMB2 READ response (MS-SMB2 2.2.20).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadResponse {
    /// Bytes still to be read with RDMA (0 otherwise).
    pub data_remaining: u32,
    /// Flags (3.1.1; reserved before).
    pub flags: ReadResponseFlags,
    /// The data read.
    pub data: Vec<u8>,
}

/// A READ response whose data stays where it lies in the message: the fields, and the
/// bytes of the message the data occupies, so a client slices the data out of the frame
/// it received instead of copying it through a [`ReadResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadResponseAt {
    /// Bytes still to be read with RDMA (0 otherwise).
    pub data_remaining: u32,
    /// Flags (3.1.1; reserved before).
    pub flags: ReadResponseFlags,
    /// Where the data is in the message (header first): checked to lie inside it, after
    /// the fixed part; empty for no data.
    pub data: std::ops::Range<usize>,
}

impl ReadResponse {
    /// Decodes a READ response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let at = Self::locate(msg)?;
        Ok(ReadResponse {
            data_remaining: at.data_remaining,
            flags: at.flags,
            data: msg.get(at.data).unwrap_or_default().to_vec(),
        })
    }

    /// Decodes a READ response's fixed part and checks where its data lies, without
    /// copying the data: the same checks as [`ReadResponse::decode`].
    pub fn locate(msg: &[u8]) -> Result<ReadResponseAt, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(READ_RESPONSE_SIZE)?;
        let data_offset = usize::from(c.u8()?);
        c.skip(1)?; // Reserved
        let data_length = c.u32()? as usize;
        let data_remaining = c.u32()?;
        let flags = ReadResponseFlags(c.u32()?);
        let fixed = c.position();
        let data = c.buffer_at(data_offset, data_length, fixed)?;
        let mut end = fixed_end(msg, READ_RESPONSE_SIZE);
        if !data.is_empty() {
            end = end.max(data_offset + data_length);
        }
        check_end(msg, end)?;
        Ok(ReadResponseAt {
            data_remaining,
            flags,
            data: if data.is_empty() {
                0..0
            } else {
                data_offset..data_offset + data_length
            },
        })
    }

    /// Appends the body with its data; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_header_only(self.data.len(), out);
        out.put_slice(&self.data);
    }

    /// Appends the 16-byte fixed part announcing `data_len` bytes of data right after it
    /// (at [`READ_RESPONSE_DATA_OFFSET`] when `out` holds just the header); the caller
    /// appends the data. `self.data` is ignored. With `data_len` 0 the odd byte of
    /// StructureSize 17 is appended too, so the body is complete.
    pub fn encode_header_only(&self, data_len: usize, out: &mut Vec<u8>) {
        let offset = out.len() + 16;
        out.put_u16_le(READ_RESPONSE_SIZE);
        debug_assert!(offset <= 0xFF, "DataOffset is one byte");
        out.put_u8(offset as u8);
        out.put_u8(0);
        out.put_u32_le(len_u32(data_len));
        out.put_u32_le(self.data_remaining);
        out.put_u32_le(self.flags.0);
        if data_len == 0 {
            out.put_u8(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = vec![0u8; HEADER_LEN];
        f(&mut out);
        out
    }

    #[test]
    fn request_round_trip() {
        let r = ReadRequest {
            padding: 0x50,
            flags: ReadFlags::UNBUFFERED,
            length: 0x10000,
            offset: 4096,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
            minimum_count: 1,
            channel: Channel::NONE,
            remaining_bytes: 0,
            channel_info: Vec::new(),
        };
        let msg = with_header(|o| r.encode(o));
        assert_eq!(msg.len(), HEADER_LEN + 49);
        assert_eq!(ReadRequest::decode(&msg).unwrap(), r);
        let rdma = ReadRequest {
            channel: Channel::RDMA_V1,
            channel_info: vec![1; 16],
            ..r
        };
        let msg = with_header(|o| rdma.encode(o));
        assert_eq!(ReadRequest::decode(&msg).unwrap(), rdma);
    }

    #[test]
    fn response_header_only_matches_encode() {
        let r = ReadResponse {
            data_remaining: 0,
            flags: ReadResponseFlags::empty(),
            data: b"hello".to_vec(),
        };
        let full = with_header(|o| r.encode(o));
        let mut split = with_header(|o| r.encode_header_only(5, o));
        split.extend_from_slice(b"hello");
        assert_eq!(full, split);
        assert_eq!(full[HEADER_LEN + 2], 0x50);
        assert_eq!(ReadResponse::decode(&full).unwrap(), r);
        let at = ReadResponse::locate(&full).unwrap();
        assert_eq!(&full[at.data], b"hello");
        let empty = ReadResponse::default();
        let msg = with_header(|o| empty.encode(o));
        assert_eq!(ReadResponse::decode(&msg).unwrap(), empty);
    }

    #[test]
    fn response_data_inside_fixed_part_rejected() {
        let r = ReadResponse {
            data: vec![7; 8],
            ..Default::default()
        };
        let mut msg = with_header(|o| r.encode(o));
        msg[HEADER_LEN + 2] = 0x40; // DataOffset into the fixed part
        assert!(ReadResponse::decode(&msg).is_err());
        assert!(ReadResponse::locate(&msg).is_err());
        msg[HEADER_LEN + 2] = 0x50;
        msg[HEADER_LEN + 4] = 9; // DataLength past the end
        assert!(ReadResponse::decode(&msg).is_err());
        assert!(ReadResponse::locate(&msg).is_err());
    }
}
