//! The wire protocol of lwiod's local interface: IRPs over a Unix stream socket.
//!
//! This module is a pure codec: bytes in, typed frames out, and back. It owns no socket
//! and no task; the daemon (`lwiod::local`) and the client ([`crate::DaemonClient`]) are
//! the thin I/O shells around it.
//!
//! # Why a protocol of IRPs
//!
//! Likewise's LWIO was "a client library that IPCs to a server daemon": a local program
//! opened files through the daemon's I/O manager, its I/O crossed the process boundary
//! asynchronously, and completions came back in whatever order the drivers finished.
//! This protocol carries exactly what a [`lwio_core::FileHandle`] sends to the I/O manager
//! (one request per IRP major function, with its typed arguments) and exactly what comes
//! back (an NTSTATUS, the `information` word and the output bytes), so a program sees the
//! same results in or out of process.
//!
//! # Framing
//!
//! Every message is one frame: a 4-byte little-endian length, then that many bytes of
//! body. The body starts with a one-byte opcode; the fields that follow are little-endian
//! integers, and variable parts are a 4-byte length followed by that many bytes (UTF-8 for
//! names). An optional buffer is a one-byte tag (0 absent, 1 present) then the buffer.
//! A body must be consumed exactly: trailing bytes are an error.
//!
//! A length above [`MAX_FRAME`] (or zero) is refused before any byte of the body is
//! read or allocated: the peer is broken or hostile and the connection ends. Data buffers
//! (a write's bytes, a read's length, an output limit) are at most [`MAX_DATA`], so every
//! completion fits in one frame.
//!
//! # The conversation
//!
//! 1. The client sends [`ClientFrame::Hello`] with the range of versions it speaks; the
//!    daemon answers [`ServerFrame::HelloReply`] with the version chosen and its limits,
//!    or [`ServerFrame::Error`] (STATUS_REVISION_MISMATCH) and closes.
//! 2. The client sends requests ([`ClientFrame::Call`]), each with a request id of its
//!    choosing, unique among its requests in flight. Requests run concurrently; each gets
//!    exactly one answer, [`ServerFrame::Created`] for a successful create and
//!    [`ServerFrame::Completion`] otherwise, in whatever order the drivers finish.
//! 3. [`ClientFrame::Cancel`] names a request id in flight. It has no answer of its own:
//!    the request it names completes, with STATUS_CANCELLED when the driver cancelled it,
//!    or with its real result when it finished first (Windows' CancelIoEx).
//! 4. A file is named by the [`FileId`] its create returned, until its close completes.
//!    Closing the socket closes every file and cancels every request in flight.
//!
//! 5. Version 2 adds [`ClientFrame::Admin`] ([`admin`]); everything else is as in
//!    version 1. The client offers `MIN_VERSION..=VERSION`, the daemon picks the newest
//!    version both speak, and a version-1 connection's admin frame is answered
//!    STATUS_NOT_SUPPORTED.
//!
//! 6. Version 3 adds [`ServerFrame::Pending`], an interim frame: when the IRP a request
//!    started waits for an event of unbounded delay (`lwio_core::IrpFuture::is_pending`:
//!    a lock another open holds, a change notify, a pipe peer), the daemon says so before
//!    the answer, at most once per request, as SMB2's interim response. Creates, closes
//!    and IRPs that wait only for a worker thread get none. Version 3 also extends the
//!    admin status with byte-range locks (each SMB open's) and the files local clients
//!    have open through the socket, with their locks ([`AdminStatus::encode_for`]). A
//!    version-2 connection gets neither.
//!
//! A frame the daemon cannot decode gets [`ServerFrame::Error`] and the connection ends.

pub mod admin;
mod frame;
mod request;
mod response;

#[cfg(test)]
mod proptests;

pub use admin::{AdminLocalOpen, AdminLock, AdminOpen, AdminRequest, AdminSession, AdminStatus};
pub use frame::{FrameDecoder, ProtoError, frame_length};
pub use request::{ClientFrame, CreateArgs, Op};
pub use response::{Completion, HelloReply, ServerFrame};

/// The first four bytes of a hello's body after the opcode: "LWIO" in ASCII.
pub const MAGIC: [u8; 4] = *b"LWIO";
/// The newest protocol version this crate speaks (2: administration; 3: the interim
/// pending frame, locks and local opens in the admin status).
pub const VERSION: u16 = 3;
/// The oldest protocol version this crate speaks (1: IRPs only).
pub const MIN_VERSION: u16 = 1;
/// The largest data buffer a request or a completion carries (8 MiB).
pub const MAX_DATA: u32 = 8 << 20;
/// The largest frame body: a data buffer and room for the fields around it.
pub const MAX_FRAME: u32 = MAX_DATA + 64 * 1024;
/// The longest path a create names, in bytes (Windows' 32,767 UTF-16 units as UTF-8,
/// at most three bytes each).
pub const MAX_PATH: u32 = 3 * 32_767;

/// A file opened on the daemon, named by the number the daemon gave its create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u64);
