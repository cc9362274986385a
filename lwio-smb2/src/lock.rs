//! SMB2 LOCK request and response (MS-SMB2 2.2.26, 2.2.27), with the server's checks of
//! the element flags (MS-SMB2 3.3.5.14, 3.3.5.14.1, 3.3.5.14.2).

use bytes::BufMut;
use lwio_types::NtStatus;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, open_flags};
use crate::read::len_u16;

open_flags! {
    /// The Flags of an SMB2_LOCK_ELEMENT (MS-SMB2 2.2.26.1).
    pub struct LockFlags(u32) {
        /// SMB2_LOCKFLAG_SHARED_LOCK: others may read and take shared locks.
        const SHARED = 0x0000_0001;
        /// SMB2_LOCKFLAG_EXCLUSIVE_LOCK: no one else may read, write or lock.
        const EXCLUSIVE = 0x0000_0002;
        /// SMB2_LOCKFLAG_UNLOCK: release a range.
        const UNLOCK = 0x0000_0004;
        /// SMB2_LOCKFLAG_FAIL_IMMEDIATELY: fail rather than wait for a conflicting lock.
        const FAIL_IMMEDIATELY = 0x0000_0010;
    }
}

/// StructureSize of a LOCK request (the fixed part plus one element).
pub const LOCK_REQUEST_SIZE: u16 = 48;
/// StructureSize of a LOCK response.
pub const LOCK_RESPONSE_SIZE: u16 = 4;
/// Bytes of one SMB2_LOCK_ELEMENT.
pub const LOCK_ELEMENT_LEN: usize = 24;
/// Bytes of the LOCK request before its elements.
const LOCK_FIXED_LEN: usize = 24;

/// The LockSequence field (MS-SMB2 2.2.26): a 4-bit number in the low bits and a 28-bit
/// index above it. SMB 2.0.2 leaves it reserved; 2.1+ uses it to replay-protect lock
/// requests on resilient, durable or multichannel opens (MS-SMB2 3.3.5.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LockSequence {
    /// LockSequenceNumber (4 bits).
    pub number: u8,
    /// LockSequenceIndex (28 bits; 1..=64 are meaningful, 0 means none).
    pub index: u32,
}

impl LockSequence {
    /// Splits the wire value.
    pub const fn from_u32(v: u32) -> Self {
        LockSequence {
            number: (v & 0xF) as u8,
            index: v >> 4,
        }
    }

    /// The wire value (bits beyond the field widths are dropped).
    pub const fn to_u32(self) -> u32 {
        ((self.index & 0x0FFF_FFFF) << 4) | (self.number as u32 & 0xF)
    }
}

/// One SMB2_LOCK_ELEMENT (MS-SMB2 2.2.26.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockElement {
    /// The first byte of the range.
    pub offset: u64,
    /// The length of the range.
    pub length: u64,
    /// What to do with the range.
    pub flags: LockFlags,
}

/// What a valid LOCK request does (its first element decides, MS-SMB2 3.3.5.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOperation {
    /// Every element takes a lock.
    Lock,
    /// Every element releases a lock.
    Unlock,
}

/// An SMB2 LOCK request (MS-SMB2 2.2.26).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockRequest {
    /// The lock sequence (replay detection).
    pub lock_sequence: LockSequence,
    /// The open whose ranges are locked or unlocked.
    pub file_id: FileId,
    /// The ranges, in order.
    pub locks: Vec<LockElement>,
}

impl LockRequest {
    /// Decodes a LOCK request from its message (header first). LockCount is checked
    /// against the bytes present before anything is allocated.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(LOCK_REQUEST_SIZE)?;
        let count = usize::from(c.u16()?);
        let lock_sequence = LockSequence::from_u32(c.u32()?);
        let file_id = FileId::read(&mut c)?;
        let start = c.position();
        let bytes = count * LOCK_ELEMENT_LEN;
        if msg.len().saturating_sub(start) < bytes {
            return Err(DecodeError::BadBuffer {
                offset: start,
                length: bytes,
            });
        }
        let mut locks = Vec::with_capacity(count);
        for _ in 0..count {
            let offset = c.u64()?;
            let length = c.u64()?;
            let flags = LockFlags(c.u32()?);
            c.skip(4)?; // Reserved
            locks.push(LockElement {
                offset,
                length,
                flags,
            });
        }
        check_end(
            msg,
            c.position()
                .max(HEADER_LEN + usize::from(LOCK_REQUEST_SIZE)),
        )?;
        Ok(LockRequest {
            lock_sequence,
            file_id,
            locks,
        })
    }

    /// Appends the body; `out` holds this message's header only.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(LOCK_REQUEST_SIZE);
        out.put_u16_le(len_u16(self.locks.len()));
        out.put_u32_le(self.lock_sequence.to_u32());
        self.file_id.write(out);
        for l in &self.locks {
            out.put_u64_le(l.offset);
            out.put_u64_le(l.length);
            out.put_u32_le(l.flags.0);
            out.put_u32_le(0);
        }
        if self.locks.is_empty() {
            // StructureSize 48 counts one element; keep the body that long.
            out.put_bytes(0, LOCK_FIXED_LEN);
        }
    }

    /// The server's checks of the element flags (MS-SMB2 3.3.5.14): at least one element;
    /// if the first unlocks, no element may ask for a shared or exclusive lock
    /// (3.3.5.14.1; FAIL_IMMEDIATELY is ignored there); otherwise every element must be
    /// SHARED or EXCLUSIVE, alone or with FAIL_IMMEDIATELY, and when there are several each
    /// must carry FAIL_IMMEDIATELY (3.3.5.14.2). Anything else is
    /// `STATUS_INVALID_PARAMETER`.
    pub fn validate(&self) -> Result<LockOperation, NtStatus> {
        let first = self.locks.first().ok_or(NtStatus::INVALID_PARAMETER)?;
        if first.flags.contains(LockFlags::UNLOCK) {
            let lock = LockFlags::SHARED | LockFlags::EXCLUSIVE;
            if self.locks.iter().any(|l| l.flags.intersects(lock)) {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            return Ok(LockOperation::Unlock);
        }
        let many = self.locks.len() > 1;
        for l in &self.locks {
            let base = l.flags.without(LockFlags::FAIL_IMMEDIATELY);
            if base != LockFlags::SHARED && base != LockFlags::EXCLUSIVE {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            if many && !l.flags.contains(LockFlags::FAIL_IMMEDIATELY) {
                return Err(NtStatus::INVALID_PARAMETER);
            }
        }
        Ok(LockOperation::Lock)
    }
}

/// An SMB2 LOCK response (MS-SMB2 2.2.27): no fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockResponse;

impl LockResponse {
    /// Decodes a LOCK response from its message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(LOCK_RESPONSE_SIZE)?;
        c.skip(2)?; // Reserved
        check_end(msg, c.position())?;
        Ok(LockResponse)
    }

    /// Appends the 4-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(LOCK_RESPONSE_SIZE);
        out.put_u16_le(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(flags: &[u32]) -> LockRequest {
        LockRequest {
            lock_sequence: LockSequence::default(),
            file_id: FileId {
                persistent: 1,
                volatile: 1,
            },
            locks: flags
                .iter()
                .map(|&f| LockElement {
                    offset: 0,
                    length: 1,
                    flags: LockFlags(f),
                })
                .collect(),
        }
    }

    #[test]
    fn sequence_bits() {
        let s = LockSequence {
            number: 0xA,
            index: 64,
        };
        assert_eq!(s.to_u32(), 0x40A);
        assert_eq!(LockSequence::from_u32(0x40A), s);
    }

    #[test]
    fn validity_rules() {
        use LockOperation::*;
        let bad = Err(NtStatus::INVALID_PARAMETER);
        assert_eq!(req(&[]).validate(), bad);
        assert_eq!(req(&[1]).validate(), Ok(Lock));
        assert_eq!(req(&[2]).validate(), Ok(Lock));
        assert_eq!(req(&[0x11, 0x12]).validate(), Ok(Lock));
        assert_eq!(req(&[0x11, 0x2]).validate(), bad);
        assert_eq!(req(&[3]).validate(), bad);
        assert_eq!(req(&[0x10]).validate(), bad);
        assert_eq!(req(&[0]).validate(), bad);
        assert_eq!(req(&[1, 4]).validate(), bad);
        assert_eq!(req(&[4, 4, 0x14]).validate(), Ok(Unlock));
        assert_eq!(req(&[4, 5]).validate(), bad);
        assert_eq!(req(&[4, 2]).validate(), bad);
    }

    #[test]
    fn count_larger_than_message() {
        let r = req(&[1]);
        let mut msg = vec![0u8; HEADER_LEN];
        r.encode(&mut msg);
        assert_eq!(LockRequest::decode(&msg).unwrap(), r);
        msg[HEADER_LEN + 2] = 0xFF;
        msg[HEADER_LEN + 3] = 0xFF;
        assert!(matches!(
            LockRequest::decode(&msg),
            Err(DecodeError::BadBuffer { .. })
        ));
    }
}
