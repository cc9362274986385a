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
