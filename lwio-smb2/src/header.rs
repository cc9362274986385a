//! The 64-byte SMB2 packet header (MS-SMB2 2.2.1, sync form 2.2.1.2, async form 2.2.1.1)
//! and the split of a compounded message into its parts (MS-SMB2 2.2.1, 3.3.5.2.7).
//!
//! # Conventions shared by every command codec of this crate
//!
//! * **A message** is the bytes of ONE SMB2 request or response, starting AT its 64-byte
//!   header. For a compounded frame that is one slice yielded by [`Compound`] /
//!   [`split_compound`]: from its header up to its `NextCommand` (padding included), or to
//!   the end of the frame for the last part. The body starts at [`HEADER_LEN`] (64).
//! * **Decode**: `Type::decode(msg: &[u8]) -> Result<Type, DecodeError>` takes that slice
//!   (header included; the header itself is not inspected, decode it with
//!   [`Header::decode`]). It reads the body with `Reader::at(msg, HEADER_LEN)`, and every
//!   Offset field of the body is relative to `msg[0]` (the header start), checked with
//!   [`crate::codec::Smb2Reader::buffer_at`] against the end of the fixed part. Decoded values keep no offsets: they own their buffers (`Vec<u8>`, `String`).
//! * **Trailing bytes**: after the last byte a body uses (the fixed part of
//!   `StructureSize & !1` bytes, or its odd one-byte buffer, or the end of its furthest
//!   buffer) a message may carry only compound padding up to the next multiple of 8
//!   (see [`check_end`]). More is an error.
//! * **Encode**: `value.encode(&mut out: Vec<u8>)` appends the body to `out`, where `out[0]`
//!   is the start of this message's header, i.e. the caller has already pushed the 64
//!   header bytes ([`Header::encode`]) and nothing else: offsets are computed from
//!   `out.len()`. Variable buffers are placed right after the fixed part (8-aligned where
//!   MS-SMB2 asks for it); an empty buffer gets offset = where it would have started and
//!   length 0. Encoders never fail; a buffer longer than its length field can hold is the
//!   caller's bug (debug assertion). To compound, encode each message into its own `Vec`,
//!   pad all but the last to 8 bytes, set `NextCommand` and concatenate.
//! * **Number spaces** (commands, dialects, flags, context types) are newtypes with named
//!   constants declared by the crate-private macros [`open_enum!`] and [`open_flags!`]
//!   (`use crate::header::{open_enum, open_flags};`).
//!
//! A frame decodes as: [`crate::frame`] (transport framing) then [`split_compound`], then
//! [`Header::decode`] of each part, then the command's decoder chosen by
//! [`Header::command`].

use bytes::BufMut;
use lwio_types::NtStatus;

use crate::codec::{DecodeError, Reader, Smb2Reader, align8};
use crate::command::Command;

/// The size of the SMB2 header; every body starts at this offset in its message.
pub const HEADER_LEN: usize = 64;

/// The protocol id of an SMB2 header: 0xFE 'S' 'M' 'B'.
pub const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];

/// The open number-space macros of the family (see `lwio_types::open_enum!`).
pub(crate) use lwio_types::{open_enum, open_flags};

open_flags! {
    /// The Flags field of the SMB2 header (MS-SMB2 2.2.1.1).
    pub struct HeaderFlags(u32) {
        /// The message is a response.
        const SERVER_TO_REDIR = 0x0000_0001;
        /// The header is the async form (AsyncId instead of Reserved + TreeId).
        const ASYNC_COMMAND = 0x0000_0002;
        /// The request is a related operation of a compound chain.
        const RELATED_OPERATIONS = 0x0000_0004;
        /// The message is signed.
        const SIGNED = 0x0000_0008;
        /// The priority mask (3.1.1): three bits of I/O priority.
        const PRIORITY_MASK = 0x0000_0070;
        /// The operation is a DFS operation.
        const DFS_OPERATIONS = 0x1000_0000;
        /// The request is a replay (3.x).
        const REPLAY_OPERATION = 0x2000_0000;
    }
}

/// The part of the header that differs between the sync and async forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderId {
    /// Sync form (MS-SMB2 2.2.1.2): Reserved (a process id in practice) and TreeId.
    Sync {
        /// The Reserved field (clients often put a process id here).
        reserved: u32,
        /// The tree connect the request is for.
        tree_id: u32,
    },
    /// Async form (MS-SMB2 2.2.1.1): the id of a pending operation.
    Async {
        /// The AsyncId.
        async_id: u64,
    },
}

impl Default for HeaderId {
    fn default() -> Self {
        HeaderId::Sync {
            reserved: 0,
            tree_id: 0,
        }
    }
}

/// An SMB2 header (MS-SMB2 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// CreditCharge.
    pub credit_charge: u16,
    /// Status in responses; in 3.x requests the low 16 bits are the ChannelSequence and the
    /// high 16 bits Reserved (see [`Header::channel_sequence`]).
    pub status: NtStatus,
    /// The command of the body.
    pub command: Command,
    /// CreditRequest (requests) or CreditResponse (responses).
    pub credits: u16,
    /// Flags. [`HeaderFlags::ASYNC_COMMAND`] follows [`Header::id`] when encoded.
    pub flags: HeaderFlags,
    /// NextCommand: the offset of the next compounded message from this header, or 0.
    pub next_command: u32,
    /// MessageId.
    pub message_id: u64,
    /// Sync (tree id) or async (async id) form.
    pub id: HeaderId,
    /// SessionId.
    pub session_id: u64,
    /// Signature.
    pub signature: [u8; 16],
}

impl Header {
    /// Decodes the header at the start of `msg` (it needs at least 64 bytes).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, 0);
        if c.array::<4>()? != PROTOCOL_ID {
            return Err(DecodeError::Invalid("SMB2 protocol id"));
        }
        c.structure_size(64)?;
        let credit_charge = c.u16()?;
        let status = NtStatus(c.u32()?);
        let command = Command(c.u16()?);
        let credits = c.u16()?;
        let flags = HeaderFlags(c.u32()?);
        let next_command = c.u32()?;
        let message_id = c.u64()?;
        let id = if flags.contains(HeaderFlags::ASYNC_COMMAND) {
            HeaderId::Async { async_id: c.u64()? }
        } else {
            let reserved = c.u32()?;
            HeaderId::Sync {
                reserved,
                tree_id: c.u32()?,
            }
        };
        let session_id = c.u64()?;
        let signature = c.array()?;
        Ok(Header {
            credit_charge,
            status,
            command,
            credits,
            flags,
            next_command,
            message_id,
            id,
            session_id,
            signature,
        })
    }

    /// Appends the 64 header bytes to `out`. The ASYNC_COMMAND flag is set from `id`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_slice(&PROTOCOL_ID);
        out.put_u16_le(64);
        out.put_u16_le(self.credit_charge);
        out.put_u32_le(self.status.0);
        out.put_u16_le(self.command.0);
        out.put_u16_le(self.credits);
        let flags = match self.id {
            HeaderId::Sync { .. } => self.flags.without(HeaderFlags::ASYNC_COMMAND),
            HeaderId::Async { .. } => self.flags | HeaderFlags::ASYNC_COMMAND,
        };
        out.put_u32_le(flags.0);
        out.put_u32_le(self.next_command);
        out.put_u64_le(self.message_id);
        match self.id {
            HeaderId::Sync { reserved, tree_id } => {
                out.put_u32_le(reserved);
                out.put_u32_le(tree_id);
            }
            HeaderId::Async { async_id } => out.put_u64_le(async_id),
        }
        out.put_u64_le(self.session_id);
        out.put_slice(&self.signature);
    }

    /// True for a response (SERVER_TO_REDIR).
    pub fn is_response(&self) -> bool {
        self.flags.contains(HeaderFlags::SERVER_TO_REDIR)
    }

    /// The ChannelSequence of a 3.x request (the low 16 bits of the Status field).
    pub fn channel_sequence(&self) -> u16 {
        (self.status.0 & 0xFFFF) as u16
    }

    /// The tree id of a sync header, `None` for the async form.
    pub fn tree_id(&self) -> Option<u32> {
        match self.id {
            HeaderId::Sync { tree_id, .. } => Some(tree_id),
            HeaderId::Async { .. } => None,
        }
    }

    /// The async id of an async header, `None` for the sync form.
    pub fn async_id(&self) -> Option<u64> {
        match self.id {
            HeaderId::Async { async_id } => Some(async_id),
            HeaderId::Sync { .. } => None,
        }
    }

    /// The 3-bit priority (3.1.1) from the flags.
    pub fn priority(&self) -> u8 {
        ((self.flags.0 & HeaderFlags::PRIORITY_MASK.0) >> 4) as u8
    }
}

/// The trailing-bytes rule of every decoder: `end` is the first byte after everything the
/// body uses (fixed part and buffers, counted from the header start). The message may be
/// shorter than `align8(end)` only if the body already ended (never: callers check reads
/// first), and longer by compound padding only, up to `align8(end)`.
pub fn check_end(msg: &[u8], end: usize) -> Result<(), DecodeError> {
    if msg.len() > align8(end) {
        return Err(DecodeError::Invalid("trailing bytes after the body"));
    }
    Ok(())
}

/// The end of the fixed part of a body of `structure_size` (counting the odd byte of a
/// variable buffer when the message carries it): the start for [`check_end`].
pub fn fixed_end(msg: &[u8], structure_size: u16) -> usize {
    let even = HEADER_LEN + usize::from(structure_size & !1);
    let full = HEADER_LEN + usize::from(structure_size);
    if msg.len() >= full { full } else { even }
}

/// Decodes the 4-byte body shared by several messages (StructureSize 4, Reserved): LOGOFF,
/// TREE_DISCONNECT, ECHO, CANCEL and the FLUSH response.
pub fn decode_reserved4(msg: &[u8]) -> Result<(), DecodeError> {
    let mut c = Reader::at(msg, HEADER_LEN);
    c.structure_size(4)?;
    c.skip(2)?;
    check_end(msg, c.position())
}

/// Appends the 4-byte body of [`decode_reserved4`].
pub fn encode_reserved4(out: &mut Vec<u8>) {
    out.put_u16_le(4);
    out.put_u16_le(0);
}

/// An iterator over the parts of a compounded message (MS-SMB2 3.3.5.2.7). Each item is one
/// message from its header to its NextCommand (or to the end of the frame for the last).
/// A NextCommand that is not a multiple of 8, smaller than a header, or beyond the frame
/// yields an error, after which the iterator ends.
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> Compound<'a> {
    /// Iterates the messages of `frame` (one transport frame's payload).
    pub fn new(frame: &'a [u8]) -> Self {
        Compound {
            rest: frame,
            done: false,
        }
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let fail = |s: &mut Self, e| {
            s.done = true;
            Some(Err(e))
        };
        if self.rest.len() < HEADER_LEN {
            return fail(self, DecodeError::Truncated(self.rest.len()));
        }
        let mut c = Reader::at(self.rest, 20);
        let next = match c.u32() {
            Ok(n) => n as usize,
            Err(e) => return fail(self, e.into()),
        };
        if next == 0 {
            self.done = true;
            return Some(Ok(self.rest));
        }
        if next % 8 != 0 || next < HEADER_LEN || next >= self.rest.len() {
            return fail(self, DecodeError::Invalid("NextCommand"));
        }
        let (this, rest) = self.rest.split_at(next);
        self.rest = rest;
        Some(Ok(this))
    }
}

/// Splits a compounded message into its parts; see [`Compound`].
pub fn split_compound(frame: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    Compound::new(frame).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            credit_charge: 1,
            status: NtStatus::BUFFER_OVERFLOW,
            command: Command::CREATE,
            credits: 31,
            flags: HeaderFlags::SERVER_TO_REDIR | HeaderFlags::SIGNED,
            next_command: 0,
            message_id: 7,
            id: HeaderId::Sync {
                reserved: 0xFEFF,
                tree_id: 5,
            },
            session_id: 0x1122_3344_5566_7788,
            signature: [9; 16],
        }
    }

    #[test]
    fn round_trip_sync_and_async() {
        let h = sample();
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN);
        assert_eq!(Header::decode(&out).unwrap(), h);
        let mut a = sample();
        a.id = HeaderId::Async { async_id: 42 };
        out.clear();
        a.encode(&mut out);
        let back = Header::decode(&out).unwrap();
        assert_eq!(back.async_id(), Some(42));
        assert!(back.flags.contains(HeaderFlags::ASYNC_COMMAND));
        assert_eq!(back.tree_id(), None);
    }

    #[test]
    fn rejects_bad_id_and_size() {
        let mut out = Vec::new();
        sample().encode(&mut out);
        let mut bad = out.clone();
        bad[0] = 0xFF;
        assert!(Header::decode(&bad).is_err());
        let mut bad = out.clone();
        bad[4] = 65;
        assert!(Header::decode(&bad).is_err());
        for n in 0..HEADER_LEN {
            assert!(Header::decode(&out[..n]).is_err());
        }
    }

    #[test]
    fn compound_split_rules() {
        let mut one = Vec::new();
        let mut h = sample();
        h.next_command = 72;
        h.encode(&mut one);
        one.extend_from_slice(&[0; 8]);
        let mut two = Vec::new();
        sample().encode(&mut two);
        two.extend_from_slice(&[1, 2, 3]);
        let frame = [one.clone(), two.clone()].concat();
        let parts = split_compound(&frame).unwrap();
        assert_eq!(parts, vec![&one[..], &two[..]]);
        for bad in [60u32, 70, 72 + 64, 8000, u32::MAX] {
            let mut f = frame.clone();
            f[20..24].copy_from_slice(&bad.to_le_bytes());
            assert!(split_compound(&f).is_err(), "{bad}");
        }
        assert!(split_compound(&frame[..100]).is_err());
    }

    #[test]
    fn trailing_rule() {
        let msg = [0u8; 72];
        assert!(check_end(&msg, 68).is_ok());
        assert!(check_end(&msg, 64).is_err());
        assert_eq!(fixed_end(&msg[..72], 9), 72);
        assert_eq!(fixed_end(&[0u8; 73], 9), 73);
    }
}
