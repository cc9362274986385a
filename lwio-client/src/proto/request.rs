//! What a client sends: the hello, the requests (one per IRP major function a
//! [`lwio_core::FileHandle`] can send, plus create and close), and cancel.
//!
//! The arguments are lwio-core's own request types, so the daemon hands them to the I/O
//! manager as they are and nothing is translated twice.

use bytes::{BufMut, Bytes, BytesMut};
use lwio_core::irp::{
    ControlRequest, IrpRequest, LockRequest, NotifyRequest, QueryDirectoryRequest,
    QueryInfoRequest, QuerySecurityRequest, ReadRequest, SetInfoRequest, SetSecurityRequest,
    UnlockRequest, WriteRequest,
};
use lwio_types::{
    AccessMask, CreateDisposition, CreateOptions, FileAttributes, FileInfoClass, FsInfoClass,
    NotifyFilter, QueryDirectoryFlags, SecurityInformation, ShareAccess,
};

use super::frame::{Body, ProtoError, put_bool, put_bytes, put_opt_bytes, write_frame};
use super::{FileId, MAGIC};

mod opcode {
    pub(super) const HELLO: u8 = 0x01;
    pub(super) const CANCEL: u8 = 0x02;
    pub(super) const ADMIN: u8 = 0x30;
    pub(super) const CREATE: u8 = 0x10;
    pub(super) const CLOSE: u8 = 0x11;
    pub(super) const READ: u8 = 0x12;
    pub(super) const WRITE: u8 = 0x13;
    pub(super) const FLUSH: u8 = 0x14;
    pub(super) const QUERY_INFO: u8 = 0x15;
    pub(super) const SET_INFO: u8 = 0x16;
    pub(super) const QUERY_VOLUME: u8 = 0x17;
    pub(super) const SET_VOLUME: u8 = 0x18;
    pub(super) const QUERY_DIRECTORY: u8 = 0x19;
    pub(super) const LOCK: u8 = 0x1A;
    pub(super) const UNLOCK: u8 = 0x1B;
    pub(super) const NOTIFY: u8 = 0x1C;
    pub(super) const QUERY_SECURITY: u8 = 0x1D;
    pub(super) const SET_SECURITY: u8 = 0x1E;
    pub(super) const FS_CONTROL: u8 = 0x1F;
    pub(super) const DEVICE_CONTROL: u8 = 0x20;
}

/// The arguments of a create, as `lwio_core::CreateRequest` carries them less the token
/// (the daemon supplies the caller's) and the Extra Create Parameters (in-process values
/// that do not cross a socket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateArgs {
    /// `/device/path` in the daemon's namespace.
    pub path: String,
    /// The rights asked for (generic bits and MAXIMUM_ALLOWED allowed).
    pub desired_access: AccessMask,
    /// What other openers may do at the same time.
    pub share_access: ShareAccess,
    /// What to do when the file exists or not.
    pub disposition: CreateDisposition,
    /// Create options.
    pub options: CreateOptions,
    /// Attributes for a new file.
    pub attributes: FileAttributes,
    /// Initial allocation size for a new file.
    pub allocation_size: u64,
    /// A self-relative security descriptor for a new file.
    pub security_descriptor: Option<Bytes>,
    /// Extended attributes for a new file (an MS-FSCC 2.4.15 list).
    pub ea_buffer: Option<Bytes>,
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Open or create a file; answered by [`super::ServerFrame::Created`] on success.
    Create(CreateArgs),
    /// Close a file (its waiting IRPs are cancelled first).
    Close(FileId),
    /// Read bytes.
    Read(FileId, ReadRequest),
    /// Write bytes.
    Write(FileId, WriteRequest),
    /// Flush to stable storage.
    Flush(FileId),
    /// Query a file information class.
    QueryInformation(FileId, QueryInfoRequest<FileInfoClass>),
    /// Set a file information class.
    SetInformation(FileId, SetInfoRequest<FileInfoClass>),
    /// Query a volume information class.
    QueryVolumeInformation(FileId, QueryInfoRequest<FsInfoClass>),
    /// Set a volume information class.
    SetVolumeInformation(FileId, SetInfoRequest<FsInfoClass>),
    /// Enumerate a directory.
    QueryDirectory(FileId, QueryDirectoryRequest),
    /// Take a byte-range lock (a waiting one stays pending).
    Lock(FileId, LockRequest),
    /// Release a byte-range lock.
    Unlock(FileId, UnlockRequest),
    /// Wait for a change in a directory.
    Notify(FileId, NotifyRequest),
    /// Read the security descriptor.
    QuerySecurity(FileId, QuerySecurityRequest),
    /// Replace parts of the security descriptor.
    SetSecurity(FileId, SetSecurityRequest),
    /// A file-system control.
    FsControl(FileId, ControlRequest),
    /// A device I/O control.
    DeviceControl(FileId, ControlRequest),
}

impl Op {
    /// The file a request other than create names.
    pub fn file(&self) -> Option<FileId> {
        Some(match self {
            Op::Create(_) => return None,
            Op::Close(f) | Op::Flush(f) => *f,
            Op::Read(f, _) => *f,
            Op::Write(f, _) => *f,
            Op::QueryInformation(f, _) | Op::QueryVolumeInformation(f, _) => *f,
            Op::SetInformation(f, _) => *f,
            Op::SetVolumeInformation(f, _) => *f,
            Op::QueryDirectory(f, _) => *f,
            Op::Lock(f, _) => *f,
            Op::Unlock(f, _) => *f,
            Op::Notify(f, _) => *f,
            Op::QuerySecurity(f, _) => *f,
            Op::SetSecurity(f, _) => *f,
            Op::FsControl(f, _) | Op::DeviceControl(f, _) => *f,
        })
    }

    /// The IRP a request on an open file becomes; `None` for create and close, which have
    /// their own entry points in the I/O manager.
    pub fn into_irp(self) -> Option<IrpRequest> {
        Some(match self {
            Op::Create(_) | Op::Close(_) => return None,
            Op::Read(_, r) => IrpRequest::Read(r),
            Op::Write(_, r) => IrpRequest::Write(r),
            Op::Flush(_) => IrpRequest::Flush,
            Op::QueryInformation(_, r) => IrpRequest::QueryInformation(r),
            Op::SetInformation(_, r) => IrpRequest::SetInformation(r),
            Op::QueryVolumeInformation(_, r) => IrpRequest::QueryVolumeInformation(r),
            Op::SetVolumeInformation(_, r) => IrpRequest::SetVolumeInformation(r),
            Op::QueryDirectory(_, r) => IrpRequest::QueryDirectory(r),
            Op::Lock(_, r) => IrpRequest::Lock(r),
            Op::Unlock(_, r) => IrpRequest::Unlock(r),
            Op::Notify(_, r) => IrpRequest::ReadDirectoryChange(r),
            Op::QuerySecurity(_, r) => IrpRequest::QuerySecurity(r),
            Op::SetSecurity(_, r) => IrpRequest::SetSecurity(r),
            Op::FsControl(_, r) => IrpRequest::FsControl(r),
            Op::DeviceControl(_, r) => IrpRequest::DeviceControl(r),
        })
    }
}

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// The first frame: the versions the client speaks (`min..=max`).
    Hello {
        /// The oldest version.
        min: u16,
        /// The newest version.
        max: u16,
    },
    /// A request, with the client's id for it.
    Call {
        /// Unique among the client's requests in flight.
        id: u64,
        /// The request.
        op: Op,
    },
    /// Cancel the request in flight with this id.
    Cancel {
        /// The request's id.
        id: u64,
    },
    /// An administration request (version 2), answered by a completion.
    Admin {
        /// Unique among the client's requests in flight.
        id: u64,
        /// The request.
        request: super::AdminRequest,
    },
}

impl ClientFrame {
    /// Appends this frame, length prefix included, to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        write_frame(out, |b| self.encode_body(b));
    }

    fn encode_body(&self, b: &mut BytesMut) {
        match self {
            ClientFrame::Hello { min, max } => {
                b.put_u8(opcode::HELLO);
                b.put_slice(&MAGIC);
                b.put_u16_le(*min);
                b.put_u16_le(*max);
            }
            ClientFrame::Cancel { id } => {
                b.put_u8(opcode::CANCEL);
                b.put_u64_le(*id);
            }
            ClientFrame::Call { id, op } => encode_op(b, *id, op),
            ClientFrame::Admin { id, request } => {
                b.put_u8(opcode::ADMIN);
                b.put_u64_le(*id);
                request.encode(b);
            }
        }
    }

    /// Decodes one frame body (without its length prefix).
    pub fn decode(body: &Bytes) -> Result<ClientFrame, ProtoError> {
        let mut r = Body::new(body);
        let code = r.u8()?;
        let frame = match code {
            opcode::HELLO => {
                let magic = [r.u8()?, r.u8()?, r.u8()?, r.u8()?];
                if magic != MAGIC {
                    return Err(ProtoError::Invalid("magic"));
                }
                ClientFrame::Hello {
                    min: r.u16()?,
                    max: r.u16()?,
                }
            }
            opcode::CANCEL => ClientFrame::Cancel { id: r.u64()? },
            opcode::ADMIN => ClientFrame::Admin {
                id: r.u64()?,
                request: super::AdminRequest::decode(&mut r)?,
            },
            _ => {
                let id = r.u64()?;
                let op = decode_op(code, &mut r)?;
                ClientFrame::Call { id, op }
            }
        };
        r.end()?;
        Ok(frame)
    }
}

fn encode_op(b: &mut BytesMut, id: u64, op: &Op) {
    let head = |b: &mut BytesMut, code: u8, file: Option<FileId>| {
        b.put_u8(code);
        b.put_u64_le(id);
        if let Some(f) = file {
            b.put_u64_le(f.0);
        }
    };
    let file = op.file();
    match op {
        Op::Create(c) => {
            head(b, opcode::CREATE, None);
            put_bytes(b, c.path.as_bytes());
            b.put_u32_le(c.desired_access.0);
            b.put_u32_le(c.share_access.0);
            b.put_u32_le(c.disposition.0);
            b.put_u32_le(c.options.0);
            b.put_u32_le(c.attributes.0);
            b.put_u64_le(c.allocation_size);
            put_opt_bytes(b, c.security_descriptor.as_deref());
            put_opt_bytes(b, c.ea_buffer.as_deref());
        }
        Op::Close(_) => head(b, opcode::CLOSE, file),
        Op::Flush(_) => head(b, opcode::FLUSH, file),
        Op::Read(_, r) => {
            head(b, opcode::READ, file);
            b.put_u64_le(r.offset);
            b.put_u32_le(r.length);
            put_key(b, r.key);
        }
        Op::Write(_, w) => {
            head(b, opcode::WRITE, file);
            b.put_u64_le(w.offset);
            put_key(b, w.key);
            put_bytes(b, &w.data);
        }
        Op::QueryInformation(_, q) => {
            head(b, opcode::QUERY_INFO, file);
            b.put_u8(q.class.0);
            b.put_u32_le(q.length);
        }
        Op::QueryVolumeInformation(_, q) => {
            head(b, opcode::QUERY_VOLUME, file);
            b.put_u8(q.class.0);
            b.put_u32_le(q.length);
        }
        Op::SetInformation(_, s) => {
            head(b, opcode::SET_INFO, file);
            b.put_u8(s.class.0);
            put_bytes(b, &s.data);
        }
        Op::SetVolumeInformation(_, s) => {
            head(b, opcode::SET_VOLUME, file);
            b.put_u8(s.class.0);
            put_bytes(b, &s.data);
        }
        Op::QueryDirectory(_, q) => {
            head(b, opcode::QUERY_DIRECTORY, file);
            b.put_u8(q.class.0);
            b.put_u8(q.flags.0);
            b.put_u32_le(q.file_index);
            put_opt_bytes(b, q.pattern.as_deref().map(str::as_bytes));
            b.put_u32_le(q.length);
        }
        Op::Lock(_, l) => {
            head(b, opcode::LOCK, file);
            b.put_u64_le(l.offset);
            b.put_u64_le(l.length);
            b.put_u32_le(l.key);
            put_bool(b, l.exclusive);
            put_bool(b, l.fail_immediately);
        }
        Op::Unlock(_, u) => {
            head(b, opcode::UNLOCK, file);
            b.put_u64_le(u.offset);
            b.put_u64_le(u.length);
            b.put_u32_le(u.key);
        }
        Op::Notify(_, n) => {
            head(b, opcode::NOTIFY, file);
            b.put_u32_le(n.filter.0);
            put_bool(b, n.watch_tree);
            b.put_u32_le(n.length);
        }
        Op::QuerySecurity(_, q) => {
            head(b, opcode::QUERY_SECURITY, file);
            b.put_u32_le(q.info.0);
            b.put_u32_le(q.length);
        }
        Op::SetSecurity(_, s) => {
            head(b, opcode::SET_SECURITY, file);
            b.put_u32_le(s.info.0);
            put_bytes(b, &s.descriptor);
        }
        Op::FsControl(_, c) | Op::DeviceControl(_, c) => {
            let code = if matches!(op, Op::FsControl(..)) {
                opcode::FS_CONTROL
            } else {
                opcode::DEVICE_CONTROL
            };
            head(b, code, file);
            b.put_u32_le(c.code);
            put_bytes(b, &c.input);
            b.put_u32_le(c.max_output);
        }
    }
}

fn put_key(b: &mut BytesMut, key: Option<u32>) {
    match key {
        Some(k) => {
            b.put_u8(1);
            b.put_u32_le(k);
        }
        None => b.put_u8(0),
    }
}

fn key(r: &mut Body<'_>) -> Result<Option<u32>, ProtoError> {
    Ok(if r.bool()? { Some(r.u32()?) } else { None })
}

fn decode_op(code: u8, r: &mut Body<'_>) -> Result<Op, ProtoError> {
    if code == opcode::CREATE {
        return Ok(Op::Create(CreateArgs {
            path: r.path()?,
            desired_access: AccessMask(r.u32()?),
            share_access: ShareAccess(r.u32()?),
            disposition: CreateDisposition(r.u32()?),
            options: CreateOptions(r.u32()?),
            attributes: FileAttributes(r.u32()?),
            allocation_size: r.u64()?,
            security_descriptor: r.opt_data("security descriptor")?,
            ea_buffer: r.opt_data("EA buffer")?,
        }));
    }
    let f = FileId(r.u64()?);
    Ok(match code {
        opcode::CLOSE => Op::Close(f),
        opcode::FLUSH => Op::Flush(f),
        opcode::READ => Op::Read(
            f,
            ReadRequest {
                offset: r.u64()?,
                length: r.u32()?,
                key: key(r)?,
            },
        ),
        opcode::WRITE => {
            let offset = r.u64()?;
            let key = key(r)?;
            Op::Write(
                f,
                WriteRequest {
                    offset,
                    key,
                    data: r.data("write data")?,
                },
            )
        }
        opcode::QUERY_INFO => Op::QueryInformation(
            f,
            QueryInfoRequest {
                class: FileInfoClass(r.u8()?),
                length: r.u32()?,
            },
        ),
        opcode::QUERY_VOLUME => Op::QueryVolumeInformation(
            f,
            QueryInfoRequest {
                class: FsInfoClass(r.u8()?),
                length: r.u32()?,
            },
        ),
        opcode::SET_INFO => Op::SetInformation(
            f,
            SetInfoRequest {
                class: FileInfoClass(r.u8()?),
                data: r.data("information buffer")?,
            },
        ),
        opcode::SET_VOLUME => Op::SetVolumeInformation(
            f,
            SetInfoRequest {
                class: FsInfoClass(r.u8()?),
                data: r.data("information buffer")?,
            },
        ),
        opcode::QUERY_DIRECTORY => Op::QueryDirectory(
            f,
            QueryDirectoryRequest {
                class: FileInfoClass(r.u8()?),
                flags: QueryDirectoryFlags(r.u8()?),
                file_index: r.u32()?,
                pattern: r.opt_string()?,
                length: r.u32()?,
                // Access-based enumeration is a server's policy; the local protocol carries none.
                only_accessible: None,
            },
        ),
        opcode::LOCK => Op::Lock(
            f,
            LockRequest {
                offset: r.u64()?,
                length: r.u64()?,
                key: r.u32()?,
                exclusive: r.bool()?,
                fail_immediately: r.bool()?,
            },
        ),
        opcode::UNLOCK => Op::Unlock(
            f,
            UnlockRequest {
                offset: r.u64()?,
                length: r.u64()?,
                key: r.u32()?,
            },
        ),
        opcode::NOTIFY => Op::Notify(
            f,
            NotifyRequest {
                filter: NotifyFilter(r.u32()?),
                watch_tree: r.bool()?,
                length: r.u32()?,
            },
        ),
        opcode::QUERY_SECURITY => Op::QuerySecurity(
            f,
            QuerySecurityRequest {
                info: SecurityInformation(r.u32()?),
                length: r.u32()?,
            },
        ),
        opcode::SET_SECURITY => Op::SetSecurity(
            f,
            SetSecurityRequest {
                info: SecurityInformation(r.u32()?),
                descriptor: r.data("security descriptor")?,
            },
        ),
        opcode::FS_CONTROL | opcode::DEVICE_CONTROL => {
            let c = ControlRequest {
                code: r.u32()?,
                input: r.data("control input")?,
                max_output: r.u32()?,
            };
            if code == opcode::FS_CONTROL {
                Op::FsControl(f, c)
            } else {
                Op::DeviceControl(f, c)
            }
        }
        other => return Err(ProtoError::Opcode(other)),
    })
}
