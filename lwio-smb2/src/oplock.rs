//! SMB2 OPLOCK_BREAK messages (MS-SMB2 2.2.23, 2.2.24, 2.2.25): the oplock break
//! notification, acknowledgment and response (2.2.23.1, 2.2.24.1, 2.2.25.1, all one
//! 24-byte layout) and the lease break notification (2.2.23.2, 44 bytes), acknowledgment
//! and response (2.2.24.2, 2.2.25.2, one 36-byte layout). All share the OPLOCK_BREAK
//! command; the StructureSize tells them apart ([`OplockBreakMessage::decode`]).

use bytes::BufMut;

use crate::codec::{DecodeError, Reader, Smb2Reader};
use crate::create::FileId;
use crate::header::{HEADER_LEN, check_end, open_enum, open_flags};

open_enum! {
    /// An oplock level (MS-SMB2 2.2.13 RequestedOplockLevel, 2.2.23.1 OplockLevel).
    pub struct OplockLevel(u8) {
        /// SMB2_OPLOCK_LEVEL_NONE.
        const NONE = 0x00;
        /// SMB2_OPLOCK_LEVEL_II: shared read caching.
        const II = 0x01;
        /// SMB2_OPLOCK_LEVEL_EXCLUSIVE.
        const EXCLUSIVE = 0x08;
        /// SMB2_OPLOCK_LEVEL_BATCH: exclusive with handle caching.
        const BATCH = 0x09;
        /// SMB2_OPLOCK_LEVEL_LEASE: a lease context decides.
        const LEASE = 0xFF;
    }
}

open_flags! {
    /// A lease state (MS-SMB2 2.2.13.2.8 LeaseState, 2.2.23.2): which caching a lease
    /// grants. The empty set is SMB2_LEASE_NONE.
    pub struct LeaseState(u32) {
        /// SMB2_LEASE_READ_CACHING.
        const READ = 0x0000_0001;
        /// SMB2_LEASE_HANDLE_CACHING.
        const HANDLE = 0x0000_0002;
        /// SMB2_LEASE_WRITE_CACHING.
        const WRITE = 0x0000_0004;
    }
}

open_flags! {
    /// The Flags of a lease break notification (MS-SMB2 2.2.23.2).
    pub struct LeaseBreakFlags(u32) {
        /// SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED.
        const ACK_REQUIRED = 0x0000_0001;
    }
}

/// StructureSize of the oplock break notification, acknowledgment and response.
pub const OPLOCK_BREAK_SIZE: u16 = 24;
/// StructureSize of the lease break notification.
pub const LEASE_BREAK_NOTIFICATION_SIZE: u16 = 44;
/// StructureSize of the lease break acknowledgment and response.
pub const LEASE_BREAK_ACK_SIZE: u16 = 36;

/// An oplock break notification, acknowledgment or response (MS-SMB2 2.2.23.1, 2.2.24.1,
/// 2.2.25.1): one layout for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OplockBreak {
    /// The new level (notification), the level the client accepts (acknowledgment) or the
    /// level granted (response).
    pub oplock_level: OplockLevel,
    /// The open whose oplock breaks.
    pub file_id: FileId,
}

impl OplockBreak {
    /// Decodes from a message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(OPLOCK_BREAK_SIZE)?;
        let oplock_level = OplockLevel(c.u8()?);
        c.skip(5)?; // Reserved, Reserved2
        let file_id = FileId::read(&mut c)?;
        check_end(msg, c.position())?;
        Ok(OplockBreak {
            oplock_level,
            file_id,
        })
    }

    /// Appends the 24-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(OPLOCK_BREAK_SIZE);
        out.put_u8(self.oplock_level.0);
        out.put_u8(0);
        out.put_u32_le(0);
        self.file_id.write(out);
    }
}

/// A lease break notification (MS-SMB2 2.2.23.2), sent by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakNotification {
    /// NewEpoch (3.x; 0 for 2.1).
    pub new_epoch: u16,
    /// Flags.
    pub flags: LeaseBreakFlags,
    /// The lease key.
    pub lease_key: [u8; 16],
    /// The state the lease has now.
    pub current_lease_state: LeaseState,
    /// The state it breaks to.
    pub new_lease_state: LeaseState,
    /// BreakReason (reserved, 0).
    pub break_reason: u32,
    /// AccessMaskHint (reserved, 0).
    pub access_mask_hint: u32,
    /// ShareMaskHint (reserved, 0).
    pub share_mask_hint: u32,
}

impl LeaseBreakNotification {
    /// Decodes from a message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(LEASE_BREAK_NOTIFICATION_SIZE)?;
        let v = LeaseBreakNotification {
            new_epoch: c.u16()?,
            flags: LeaseBreakFlags(c.u32()?),
            lease_key: c.array()?,
            current_lease_state: LeaseState(c.u32()?),
            new_lease_state: LeaseState(c.u32()?),
            break_reason: c.u32()?,
            access_mask_hint: c.u32()?,
            share_mask_hint: c.u32()?,
        };
        check_end(msg, c.position())?;
        Ok(v)
    }

    /// Appends the 44-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(LEASE_BREAK_NOTIFICATION_SIZE);
        out.put_u16_le(self.new_epoch);
        out.put_u32_le(self.flags.0);
        out.put_slice(&self.lease_key);
        out.put_u32_le(self.current_lease_state.0);
        out.put_u32_le(self.new_lease_state.0);
        out.put_u32_le(self.break_reason);
        out.put_u32_le(self.access_mask_hint);
        out.put_u32_le(self.share_mask_hint);
    }
}

/// A lease break acknowledgment or response (MS-SMB2 2.2.24.2, 2.2.25.2): one layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseBreakAck {
    /// Flags (reserved, 0).
    pub flags: u32,
    /// The lease key.
    pub lease_key: [u8; 16],
    /// The state the client accepts (acknowledgment) or holds now (response).
    pub lease_state: LeaseState,
    /// LeaseDuration (reserved, 0).
    pub lease_duration: u64,
}

impl LeaseBreakAck {
    /// Decodes from a message (header first).
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut c = Reader::at(msg, HEADER_LEN);
        c.structure_size(LEASE_BREAK_ACK_SIZE)?;
        c.skip(2)?; // Reserved
        let v = LeaseBreakAck {
            flags: c.u32()?,
            lease_key: c.array()?,
            lease_state: LeaseState(c.u32()?),
            lease_duration: c.u64()?,
        };
        check_end(msg, c.position())?;
        Ok(v)
    }

    /// Appends the 36-byte body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_u16_le(LEASE_BREAK_ACK_SIZE);
        out.put_u16_le(0);
        out.put_u32_le(self.flags);
        out.put_slice(&self.lease_key);
        out.put_u32_le(self.lease_state.0);
        out.put_u64_le(self.lease_duration);
    }
}

/// Any body of the OPLOCK_BREAK command, told apart by its StructureSize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OplockBreakMessage {
    /// StructureSize 24: oplock break notification, acknowledgment or response.
    Oplock(OplockBreak),
    /// StructureSize 44: lease break notification.
    LeaseNotification(LeaseBreakNotification),
    /// StructureSize 36: lease break acknowledgment or response.
    LeaseAck(LeaseBreakAck),
}

impl OplockBreakMessage {
    /// Decodes whichever body the StructureSize names.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let size = Reader::at(msg, HEADER_LEN).u16()?;
        match size {
            OPLOCK_BREAK_SIZE => OplockBreak::decode(msg).map(Self::Oplock),
            LEASE_BREAK_NOTIFICATION_SIZE => {
                LeaseBreakNotification::decode(msg).map(Self::LeaseNotification)
            }
            LEASE_BREAK_ACK_SIZE => LeaseBreakAck::decode(msg).map(Self::LeaseAck),
            found => Err(DecodeError::StructureSize {
                found,
                expected: OPLOCK_BREAK_SIZE,
            }),
        }
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Oplock(m) => m.encode(out),
            Self::LeaseNotification(m) => m.encode(out),
            Self::LeaseAck(m) => m.encode(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_select_the_layout() {
        let msgs = [
            OplockBreakMessage::Oplock(OplockBreak {
                oplock_level: OplockLevel::II,
                file_id: FileId {
                    persistent: 1,
                    volatile: 2,
                },
            }),
            OplockBreakMessage::LeaseNotification(LeaseBreakNotification {
                new_epoch: 2,
                flags: LeaseBreakFlags::ACK_REQUIRED,
                lease_key: [3; 16],
                current_lease_state: LeaseState::READ | LeaseState::HANDLE,
                new_lease_state: LeaseState::READ,
                ..Default::default()
            }),
            OplockBreakMessage::LeaseAck(LeaseBreakAck {
                lease_key: [3; 16],
                lease_state: LeaseState::READ,
                ..Default::default()
            }),
        ];
        for (m, len) in msgs.iter().zip([24, 44, 36]) {
            let mut msg = vec![0u8; HEADER_LEN];
            m.encode(&mut msg);
            assert_eq!(msg.len(), HEADER_LEN + len);
            assert_eq!(OplockBreakMessage::decode(&msg).unwrap(), *m);
        }
        let mut msg = vec![0u8; HEADER_LEN];
        msg.extend_from_slice(&[25, 0]);
        assert!(OplockBreakMessage::decode(&msg).is_err());
    }
}
