//! What the daemon sends: the hello's answer, completions, and the error that ends a
//! connection.

use bytes::{BufMut, Bytes, BytesMut};
use lwio_types::{AccessMask, NtStatus};

use super::frame::{Body, ProtoError, put_bool, put_bytes, write_frame};
use super::{FileId, MAX_DATA};

mod opcode {
    pub(super) const HELLO_REPLY: u8 = 0x81;
    pub(super) const CREATED: u8 = 0x82;
    pub(super) const COMPLETION: u8 = 0x83;
    pub(super) const ERROR: u8 = 0x84;
    pub(super) const PENDING: u8 = 0x85;
}

/// The longest message an error frame carries.
const MAX_MESSAGE: u32 = 1024;

/// The daemon's answer to a hello: the version it chose and the limits it enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloReply {
    /// The version both sides now speak.
    pub version: u16,
    /// The largest frame body the daemon accepts.
    pub max_frame: u32,
    /// How many files this connection may hold open.
    pub max_open_files: u32,
    /// How many requests this connection may have in flight.
    pub max_in_flight: u32,
}

/// The end of one request: what the IRP completed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The request's id.
    pub id: u64,
    /// The IRP's final status.
    pub status: NtStatus,
    /// The IRP's information word (bytes written, the create action, ...).
    pub information: u64,
    /// Output bytes (read data, an information buffer, directory entries, ...).
    pub output: Bytes,
}

/// A frame the daemon sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFrame {
    /// The answer to the hello.
    HelloReply(HelloReply),
    /// A create succeeded: the file's id, what the create did, and what the open is.
    Created {
        /// The request's id.
        id: u64,
        /// The new file's id on this connection.
        file: FileId,
        /// The create action (opened, created, overwritten, superseded).
        action: u32,
        /// The access the open was granted (generic bits and MAXIMUM_ALLOWED resolved).
        granted: AccessMask,
        /// The open is a directory.
        directory: bool,
    },
    /// Any other request completed (a create that failed included).
    Completion(Completion),
    /// Version 3: the request's IRP waits for an event of unbounded delay (a byte-range
    /// lock another open holds, a change in a directory, a pipe peer), as SMB2's interim
    /// response says STATUS_PENDING. At most one per request, always before its answer;
    /// never for a create or a close, nor for an IRP that waits only for a worker thread.
    Pending {
        /// The request's id.
        id: u64,
    },
    /// The daemon refuses the connection's input and closes it.
    Error {
        /// Why, as an NTSTATUS.
        status: NtStatus,
        /// A short explanation for logs.
        message: String,
    },
}

impl ServerFrame {
    /// Appends this frame, length prefix included, to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        write_frame(out, |b| match self {
            ServerFrame::HelloReply(h) => {
                b.put_u8(opcode::HELLO_REPLY);
                b.put_u16_le(h.version);
                b.put_u32_le(h.max_frame);
                b.put_u32_le(h.max_open_files);
                b.put_u32_le(h.max_in_flight);
            }
            ServerFrame::Created {
                id,
                file,
                action,
                granted,
                directory,
            } => {
                b.put_u8(opcode::CREATED);
                b.put_u64_le(*id);
                b.put_u64_le(file.0);
                b.put_u32_le(*action);
                b.put_u32_le(granted.0);
                put_bool(b, *directory);
            }
            ServerFrame::Completion(c) => {
                b.put_u8(opcode::COMPLETION);
                b.put_u64_le(c.id);
                b.put_u32_le(c.status.0);
                b.put_u64_le(c.information);
                put_bytes(b, &c.output);
            }
            ServerFrame::Pending { id } => {
                b.put_u8(opcode::PENDING);
                b.put_u64_le(*id);
            }
            ServerFrame::Error { status, message } => {
                b.put_u8(opcode::ERROR);
                b.put_u32_le(status.0);
                let m = message.as_bytes();
                put_bytes(b, m.get(..MAX_MESSAGE as usize).unwrap_or(m));
            }
        });
    }

    /// Appends this frame to `out` as [`encode`](Self::encode) does, except a completion's
    /// output of at least `min_tail` bytes: `out` then ends with the frame's head (its
    /// length prefix counts the output) and the output is returned, to be written right
    /// after (a vectored write sends it without copying).
    pub fn encode_split(&self, out: &mut BytesMut, min_tail: usize) -> Option<Bytes> {
        match self {
            ServerFrame::Completion(c) if c.output.len() >= min_tail => {
                let len = u32::try_from(c.output.len()).unwrap_or(u32::MAX);
                let body = len.saturating_add(1 + 8 + 4 + 8 + 4);
                out.put_u32_le(body);
                out.put_u8(opcode::COMPLETION);
                out.put_u64_le(c.id);
                out.put_u32_le(c.status.0);
                out.put_u64_le(c.information);
                out.put_u32_le(len);
                Some(c.output.clone())
            }
            _ => {
                self.encode(out);
                None
            }
        }
    }

    /// Decodes one frame body (without its length prefix).
    pub fn decode(body: &Bytes) -> Result<ServerFrame, ProtoError> {
        let mut r = Body::new(body);
        let frame = match r.u8()? {
            opcode::HELLO_REPLY => ServerFrame::HelloReply(HelloReply {
                version: r.u16()?,
                max_frame: r.u32()?,
                max_open_files: r.u32()?,
                max_in_flight: r.u32()?,
            }),
            opcode::CREATED => ServerFrame::Created {
                id: r.u64()?,
                file: FileId(r.u64()?),
                action: r.u32()?,
                granted: AccessMask(r.u32()?),
                directory: r.bool()?,
            },
            opcode::COMPLETION => ServerFrame::Completion(Completion {
                id: r.u64()?,
                status: NtStatus(r.u32()?),
                information: r.u64()?,
                output: r.bytes("output", MAX_DATA)?,
            }),
            opcode::PENDING => ServerFrame::Pending { id: r.u64()? },
            opcode::ERROR => {
                let status = NtStatus(r.u32()?);
                let raw = r.bytes("message", MAX_MESSAGE)?;
                ServerFrame::Error {
                    status,
                    message: String::from_utf8_lossy(&raw).into_owned(),
                }
            }
            other => return Err(ProtoError::Opcode(other)),
        };
        r.end()?;
        Ok(frame)
    }
}
