//! The oplock interface of the I/O model, as Windows' ntifs.h has it apart from any file
//! system: an open asks for an oplock with an FSCTL
//! ([`CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1`](crate::CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1),
//! `_LEVEL_2`, `FSCTL_REQUEST_BATCH_OPLOCK`). A file system that cannot grant it completes
//! the IRP at once with STATUS_OPLOCK_NOT_GRANTED; one that grants it leaves the IRP
//! pending, and that pending IRP *is* the oplock, so the caller learns of the grant from
//! [`IrpFuture::is_pending`](crate::IrpFuture::is_pending) right after the call. When
//! another open needs the file, the IRP completes with STATUS_SUCCESS and `information`
//! [`FILE_OPLOCK_BROKEN_TO_LEVEL_2`] or [`FILE_OPLOCK_BROKEN_TO_NONE`]; an exclusive or
//! batch break is then acknowledged with FSCTL_OPLOCK_BREAK_ACKNOWLEDGE (whose IRP pends
//! as the new level 2 oplock when the break was to level 2), FSCTL_OPLOCK_BREAK_ACK_NO_2
//! or FSCTL_OPBATCH_ACK_CLOSE_PENDING. Cancelling the oplock IRP, or closing its handle,
//! releases the oplock. MS-FSA 2.1.5.17, 2.1.5.18; PVFS implements it (`lwio_pvfs`'s
//! `oplock` module).

/// `information` of an oplock IRP completed by a break to level 2 (ntifs.h).
pub const FILE_OPLOCK_BROKEN_TO_LEVEL_2: u64 = 0x0000_0007;
/// `information` of an oplock IRP completed by a break to none (ntifs.h).
pub const FILE_OPLOCK_BROKEN_TO_NONE: u64 = 0x0000_0008;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::irp::IrpCanceller;
use crate::irp::pending::PendingShared;

/// An Extra Create Parameter by which a caller learns that its create waits for an oplock
/// break (the holder's acknowledgment, or the break timeout): the file system calls
/// [`OplockBreakWait::notify`] when it starts waiting. An SMB server answers the CREATE
/// with an interim STATUS_PENDING then, as Windows does (MS-SMB2 3.3.4.2), rather than
/// leave the client without an answer for up to the break timeout. Its
/// [`canceller`](OplockBreakWait::canceller) ends the wait (the create fails with
/// STATUS_CANCELLED), for an SMB2 CANCEL. Clones share one state.
#[derive(Clone)]
pub struct OplockBreakWait(Arc<BreakWaitState>);

struct BreakWaitState {
    waiting: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// A completion slot of no IRP, used only for its cancel request.
    cancel: Arc<PendingShared>,
}

impl Default for OplockBreakWait {
    fn default() -> Self {
        OplockBreakWait(Arc::new(BreakWaitState {
            waiting: AtomicBool::new(false),
            waker: Mutex::new(None),
            cancel: Arc::new(PendingShared::new(0)),
        }))
    }
}

impl OplockBreakWait {
    /// A fresh one, not waiting.
    pub fn new() -> Self {
        Self::default()
    }

    /// What cancels the wait: the file system sees [`OplockBreakWait::is_cancelled`].
    pub fn canceller(&self) -> IrpCanceller {
        IrpCanceller::on(Arc::clone(&self.0.cancel))
    }

    /// True once the canceller was used.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancel.is_cancel_requested()
    }

    /// Called by the file system: the create now waits for an oplock break.
    pub fn notify(&self) {
        self.0.waiting.store(true, Ordering::Release);
        if let Some(waker) = self.0.waker.lock().take() {
            waker.wake();
        }
    }

    /// Ready once the create has started waiting; otherwise `cx` is woken when it does.
    pub fn poll_waiting(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.waiting.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        *self.0.waker.lock() = Some(cx.waker().clone());
        if self.0.waiting.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl std::fmt::Debug for OplockBreakWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OplockBreakWait")
            .field("waiting", &self.0.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

/// The oplock key of an open (Windows' OPLOCK_KEY_ECP_CONTEXT, MS-FSA Open.TargetOplockKey
/// and Open.ParentOplockKey), given as an Extra Create Parameter. Opens that carry the same
/// key share one lease: they never break each other's caching, and a lease requested on
/// one of them ([`CtlCode::FSCTL_REQUEST_OPLOCK`](crate::CtlCode::FSCTL_REQUEST_OPLOCK))
/// covers them all. An SMB server passes the client's lease key (made unique per client
/// GUID by the server) here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OplockKeyEcp {
    /// The open's oplock key.
    pub key: [u8; 16],
    /// The key of the parent directory's lease, for a v2 lease (kept for directory leases).
    pub parent: Option<[u8; 16]>,
}

/// OPLOCK_LEVEL_CACHE_READ: the holder may cache reads (ntifs.h; equal to SMB2's
/// SMB2_LEASE_READ_CACHING).
pub const OPLOCK_LEVEL_CACHE_READ: u32 = 0x1;
/// OPLOCK_LEVEL_CACHE_HANDLE: the holder may keep the handle open after its caller closed it.
pub const OPLOCK_LEVEL_CACHE_HANDLE: u32 = 0x2;
/// OPLOCK_LEVEL_CACHE_WRITE: the holder may cache writes.
pub const OPLOCK_LEVEL_CACHE_WRITE: u32 = 0x4;

/// REQUEST_OPLOCK_INPUT_FLAG_REQUEST: a new lease is asked for.
pub const REQUEST_OPLOCK_INPUT_FLAG_REQUEST: u32 = 0x1;
/// REQUEST_OPLOCK_INPUT_FLAG_ACK: a break is acknowledged.
pub const REQUEST_OPLOCK_INPUT_FLAG_ACK: u32 = 0x2;
/// REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED: the break must be acknowledged.
pub const REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED: u32 = 0x1;

/// REQUEST_OPLOCK_INPUT_BUFFER (MS-FSCC 2.3.23): the input of FSCTL_REQUEST_OPLOCK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOplockInput {
    /// RequestedOplockLevel: OPLOCK_LEVEL_CACHE_* bits.
    pub level: u32,
    /// Flags: REQUEST_OPLOCK_INPUT_FLAG_*.
    pub flags: u32,
}

impl RequestOplockInput {
    /// Its encoded size.
    pub const SIZE: usize = 16;

    /// Encodes it (StructureVersion 1, StructureLength 16).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&(Self::SIZE as u16).to_le_bytes());
        out.extend_from_slice(&self.level.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out
    }

    /// Decodes it; `None` when short or of another version (STATUS_INVALID_PARAMETER).
    pub fn decode(b: &[u8]) -> Option<Self> {
        let u16_at = |i: usize| Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?));
        let u32_at = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
        if b.len() < Self::SIZE || u16_at(0)? != 1 || usize::from(u16_at(2)?) < Self::SIZE {
            return None;
        }
        Some(RequestOplockInput {
            level: u32_at(4)?,
            flags: u32_at(8)?,
        })
    }
}

/// REQUEST_OPLOCK_OUTPUT_BUFFER (MS-FSCC 2.3.24): the output of a completed
/// FSCTL_REQUEST_OPLOCK (a break, or the release of the lease).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestOplockOutput {
    /// OriginalOplockLevel: the level before the break.
    pub original: u32,
    /// NewOplockLevel: the level the lease breaks to.
    pub new: u32,
    /// Flags: REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED.
    pub flags: u32,
}

impl RequestOplockOutput {
    /// Its encoded size.
    pub const SIZE: usize = 24;

    /// Encodes it (StructureVersion 1, StructureLength 24; no access or share mode given).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&(Self::SIZE as u16).to_le_bytes());
        out.extend_from_slice(&self.original.to_le_bytes());
        out.extend_from_slice(&self.new.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&[0u8; 8]);
        out
    }

    /// Decodes it; `None` when short.
    pub fn decode(b: &[u8]) -> Option<Self> {
        let u32_at = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
        if b.len() < Self::SIZE {
            return None;
        }
        Some(RequestOplockOutput {
            original: u32_at(4)?,
            new: u32_at(8)?,
            flags: u32_at(12)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_oplock_buffers_round_trip() {
        let i = RequestOplockInput {
            level: OPLOCK_LEVEL_CACHE_READ | OPLOCK_LEVEL_CACHE_HANDLE,
            flags: REQUEST_OPLOCK_INPUT_FLAG_REQUEST,
        };
        assert_eq!(RequestOplockInput::decode(&i.encode()), Some(i));
        assert_eq!(RequestOplockInput::decode(&i.encode()[..15]), None);
        let o = RequestOplockOutput {
            original: 7,
            new: 3,
            flags: REQUEST_OPLOCK_OUTPUT_FLAG_ACK_REQUIRED,
        };
        assert_eq!(RequestOplockOutput::decode(&o.encode()), Some(o));
        assert_eq!(RequestOplockOutput::decode(&o.encode()[..23]), None);
    }
}
