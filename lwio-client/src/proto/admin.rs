//! Administration over the local socket (protocol version 2): the requests `lwio admin`
//! sends and the status the daemon answers with.
//!
//! An admin request is a [`super::ClientFrame::Admin`] (opcode 0x30, the request id, then
//! a one-byte admin code and its fields). Its answer is an ordinary
//! [`super::Completion`]: the NTSTATUS, `information` (the Win32 code of a share change,
//! as srvsvc would answer it, else 0) and, for [`AdminRequest::Status`], the output is an
//! encoded [`AdminStatus`]. Only an administrator's connection (uid 0 or the configured
//! admin group) may send them; others get STATUS_ACCESS_DENIED. A version-1 connection
//! that sends one gets STATUS_NOT_SUPPORTED.
//!
//! [`AdminStatus`] lists at most [`MAX_ENTRIES`] sessions and as many opens; a decoder
//! never allocates ahead of the bytes it has read.
//!
//! Its layout depends on the connection's version ([`AdminStatus::encode_for`]): version 2
//! has sessions and SMB opens; version 3 adds each open's byte-range locks (at most
//! [`MAX_LOCKS`] listed, the rest counted) and the files local clients have open through
//! the socket, with their locks. A version-2 peer never sees the version-3 fields.

use bytes::{BufMut, Bytes, BytesMut};

use super::frame::{Body, ProtoError, put_bool, put_bytes};

/// The most sessions, and the most opens, an [`AdminStatus`] carries.
pub const MAX_ENTRIES: u32 = 65_536;
/// The most byte-range locks an open lists (the rest are counted in `locks_omitted`).
pub const MAX_LOCKS: u32 = 4096;
/// The longest name an admin frame carries (a user, a share, a path, a level), in bytes.
const MAX_NAME: u32 = 4096;

mod code {
    pub(super) const STATUS: u8 = 1;
    pub(super) const CLOSE_SESSION: u8 = 2;
    pub(super) const CLOSE_FILE: u8 = 3;
    pub(super) const SHARE_ADD: u8 = 4;
    pub(super) const SHARE_DEL: u8 = 5;
    pub(super) const SHARE_SET: u8 = 6;
    pub(super) const RELOAD: u8 = 7;
    pub(super) const LOG_LEVEL: u8 = 8;
}

/// One admin request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminRequest {
    /// The sessions and open files ([`AdminStatus`] in the completion's output).
    Status,
    /// End an SMB session (its connection closes).
    CloseSession(u64),
    /// Close an open file of an SMB client.
    CloseFile(u64),
    /// Add a disk share (as NetrShareAdd: kept in the state directory's shares file).
    ShareAdd {
        /// The share's name.
        name: String,
        /// The local directory it serves.
        path: String,
        /// Its comment.
        comment: String,
    },
    /// Delete a share (its trees are disconnected).
    ShareDel {
        /// The share's name.
        name: String,
    },
    /// Change a share (as NetrShareSetInfo).
    ShareSet {
        /// The share's name.
        name: String,
        /// A new comment.
        comment: Option<String>,
        /// A new share security descriptor, as SDDL.
        security: Option<String>,
    },
    /// Re-read the configuration file and apply its share changes.
    Reload,
    /// Replace the log filter (a tracing `EnvFilter` directive: `debug`, `lwio_srv=trace`).
    LogLevel(String),
}

impl AdminRequest {
    pub(super) fn encode(&self, b: &mut BytesMut) {
        match self {
            AdminRequest::Status => b.put_u8(code::STATUS),
            AdminRequest::CloseSession(id) => {
                b.put_u8(code::CLOSE_SESSION);
                b.put_u64_le(*id);
            }
            AdminRequest::CloseFile(id) => {
                b.put_u8(code::CLOSE_FILE);
                b.put_u64_le(*id);
            }
            AdminRequest::ShareAdd {
                name,
                path,
                comment,
            } => {
                b.put_u8(code::SHARE_ADD);
                for s in [name, path, comment] {
                    put_bytes(b, s.as_bytes());
                }
            }
            AdminRequest::ShareDel { name } => {
                b.put_u8(code::SHARE_DEL);
                put_bytes(b, name.as_bytes());
            }
            AdminRequest::ShareSet {
                name,
                comment,
                security,
            } => {
                b.put_u8(code::SHARE_SET);
                put_bytes(b, name.as_bytes());
                for s in [comment, security] {
                    put_bool(b, s.is_some());
                    if let Some(s) = s {
                        put_bytes(b, s.as_bytes());
                    }
                }
            }
            AdminRequest::Reload => b.put_u8(code::RELOAD),
            AdminRequest::LogLevel(level) => {
                b.put_u8(code::LOG_LEVEL);
                put_bytes(b, level.as_bytes());
            }
        }
    }

    pub(super) fn decode(r: &mut Body<'_>) -> Result<AdminRequest, ProtoError> {
        let opt = |r: &mut Body<'_>| -> Result<Option<String>, ProtoError> {
            Ok(if r.bool()? {
                Some(r.string(MAX_NAME)?)
            } else {
                None
            })
        };
        Ok(match r.u8()? {
            code::STATUS => AdminRequest::Status,
            code::CLOSE_SESSION => AdminRequest::CloseSession(r.u64()?),
            code::CLOSE_FILE => AdminRequest::CloseFile(r.u64()?),
            code::SHARE_ADD => AdminRequest::ShareAdd {
                name: r.string(MAX_NAME)?,
                path: r.string(MAX_NAME)?,
                comment: r.string(MAX_NAME)?,
            },
            code::SHARE_DEL => AdminRequest::ShareDel {
                name: r.string(MAX_NAME)?,
            },
            code::SHARE_SET => AdminRequest::ShareSet {
                name: r.string(MAX_NAME)?,
                comment: opt(r)?,
                security: opt(r)?,
            },
            code::RELOAD => AdminRequest::Reload,
            code::LOG_LEVEL => AdminRequest::LogLevel(r.string(MAX_NAME)?),
            _ => return Err(ProtoError::Invalid("admin code")),
        })
    }
}

/// What `lwio admin status` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminStatus {
    /// The SMB sessions.
    pub sessions: Vec<AdminSession>,
    /// The files SMB clients have open.
    pub opens: Vec<AdminOpen>,
    /// The files local clients have open through the socket (version 3).
    pub local: Vec<AdminLocalOpen>,
}

/// One byte-range lock (version 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminLock {
    /// The first byte.
    pub offset: u64,
    /// The length.
    pub length: u64,
    /// Exclusive (write) rather than shared (read).
    pub exclusive: bool,
    /// A request still waiting for its range.
    pub waiting: bool,
}

/// One file a local client has open through the socket (version 3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminLocalOpen {
    /// The daemon's number for the client's connection.
    pub connection: u64,
    /// The client's uid (from the kernel, SO_PEERCRED).
    pub uid: u32,
    /// The client's process id (0 when unknown).
    pub pid: u32,
    /// The path in the daemon's namespace (`/device/path`).
    pub path: String,
    /// The granted access mask.
    pub granted: u32,
    /// True for a directory.
    pub directory: bool,
    /// Its byte-range locks, granted then waiting.
    pub locks: Vec<AdminLock>,
    /// How many more it holds than are listed.
    pub locks_omitted: u32,
}

/// One SMB session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminSession {
    /// The SMB2 session id (what close-session takes).
    pub id: u64,
    /// `DOMAIN\user`.
    pub user: String,
    /// The client's address (`ip:port`), empty when unknown.
    pub client: String,
    /// The dialect (0x0311 for SMB 3.1.1).
    pub dialect: u16,
    /// Whether the session signs.
    pub signing: bool,
    /// Whether the session must encrypt.
    pub encryption: bool,
    /// A guest or anonymous session.
    pub guest: bool,
    /// Seconds since the logon.
    pub age_secs: u64,
    /// Seconds since its last request on a tree.
    pub idle_secs: u64,
    /// The shares its trees are connected to.
    pub trees: Vec<String>,
}

/// One open file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminOpen {
    /// The open's id (what close-file takes).
    pub id: u64,
    /// The session that opened it.
    pub session: u64,
    /// The share.
    pub share: String,
    /// The share-relative path.
    pub path: String,
    /// The granted access mask.
    pub granted: u32,
    /// The share mode (FILE_SHARE_READ 1, WRITE 2, DELETE 4).
    pub share_access: u32,
    /// The oplock level (0: none).
    pub oplock: u8,
    /// True for a directory.
    pub directory: bool,
    /// Its byte-range locks, granted then waiting (version 3).
    pub locks: Vec<AdminLock>,
    /// How many more it holds than are listed (version 3).
    pub locks_omitted: u32,
}

fn put_locks(b: &mut BytesMut, locks: &[AdminLock], omitted: u32) {
    let n = u32::try_from(locks.len())
        .unwrap_or(u32::MAX)
        .min(MAX_LOCKS);
    b.put_u32_le(n);
    b.put_u32_le(
        omitted.saturating_add(
            u32::try_from(locks.len())
                .unwrap_or(u32::MAX)
                .saturating_sub(n),
        ),
    );
    for l in locks.iter().take(n as usize) {
        b.put_u64_le(l.offset);
        b.put_u64_le(l.length);
        b.put_u8(u8::from(l.exclusive) | (u8::from(l.waiting) << 1));
    }
}

fn get_locks(r: &mut Body<'_>) -> Result<(Vec<AdminLock>, u32), ProtoError> {
    let n = r.u32()?;
    if n > MAX_LOCKS {
        return Err(ProtoError::TooLong {
            what: "locks",
            len: n as usize,
            max: MAX_LOCKS as usize,
        });
    }
    let omitted = r.u32()?;
    let mut locks = Vec::new();
    for _ in 0..n {
        let offset = r.u64()?;
        let length = r.u64()?;
        let flags = r.u8()?;
        if flags > 3 {
            return Err(ProtoError::Invalid("lock flags"));
        }
        locks.push(AdminLock {
            offset,
            length,
            exclusive: flags & 1 != 0,
            waiting: flags & 2 != 0,
        });
    }
    Ok((locks, omitted))
}

impl AdminStatus {
    /// The encoded status for the newest version (a completion's output).
    pub fn encode(&self) -> Bytes {
        self.encode_for(super::VERSION)
    }

    /// Decodes a completion's output of the newest version.
    pub fn decode(bytes: &Bytes) -> Result<AdminStatus, ProtoError> {
        AdminStatus::decode_for(bytes, super::VERSION)
    }

    /// The encoded status for a connection of `version` (version 2 leaves out locks and
    /// local opens).
    pub fn encode_for(&self, version: u16) -> Bytes {
        let v3 = version >= 3;
        let mut b = BytesMut::new();
        b.put_u32_le(count(self.sessions.len()));
        for s in self.sessions.iter().take(MAX_ENTRIES as usize) {
            b.put_u64_le(s.id);
            put_bytes(&mut b, s.user.as_bytes());
            put_bytes(&mut b, s.client.as_bytes());
            b.put_u16_le(s.dialect);
            put_bool(&mut b, s.signing);
            put_bool(&mut b, s.encryption);
            put_bool(&mut b, s.guest);
            b.put_u64_le(s.age_secs);
            b.put_u64_le(s.idle_secs);
            b.put_u32_le(count(s.trees.len()));
            for t in s.trees.iter().take(MAX_ENTRIES as usize) {
                put_bytes(&mut b, t.as_bytes());
            }
        }
        b.put_u32_le(count(self.opens.len()));
        for o in self.opens.iter().take(MAX_ENTRIES as usize) {
            b.put_u64_le(o.id);
            b.put_u64_le(o.session);
            put_bytes(&mut b, o.share.as_bytes());
            put_bytes(&mut b, o.path.as_bytes());
            b.put_u32_le(o.granted);
            b.put_u32_le(o.share_access);
            b.put_u8(o.oplock);
            put_bool(&mut b, o.directory);
            if v3 {
                put_locks(&mut b, &o.locks, o.locks_omitted);
            }
        }
        if v3 {
            b.put_u32_le(count(self.local.len()));
            for o in self.local.iter().take(MAX_ENTRIES as usize) {
                b.put_u64_le(o.connection);
                b.put_u32_le(o.uid);
                b.put_u32_le(o.pid);
                put_bytes(&mut b, o.path.as_bytes());
                b.put_u32_le(o.granted);
                put_bool(&mut b, o.directory);
                put_locks(&mut b, &o.locks, o.locks_omitted);
            }
        }
        b.freeze()
    }

    /// Decodes a completion's output on a connection of `version`.
    pub fn decode_for(bytes: &Bytes, version: u16) -> Result<AdminStatus, ProtoError> {
        let v3 = version >= 3;
        let mut r = Body::new(bytes);
        let mut status = AdminStatus::default();
        for _ in 0..bounded(r.u32()?)? {
            let mut s = AdminSession {
                id: r.u64()?,
                user: r.string(MAX_NAME)?,
                client: r.string(MAX_NAME)?,
                dialect: r.u16()?,
                signing: r.bool()?,
                encryption: r.bool()?,
                guest: r.bool()?,
                age_secs: r.u64()?,
                idle_secs: r.u64()?,
                trees: Vec::new(),
            };
            for _ in 0..bounded(r.u32()?)? {
                s.trees.push(r.string(MAX_NAME)?);
            }
            status.sessions.push(s);
        }
        for _ in 0..bounded(r.u32()?)? {
            let mut o = AdminOpen {
                id: r.u64()?,
                session: r.u64()?,
                share: r.string(MAX_NAME)?,
                path: r.string(super::MAX_PATH)?,
                granted: r.u32()?,
                share_access: r.u32()?,
                oplock: r.u8()?,
                directory: r.bool()?,
                ..AdminOpen::default()
            };
            if v3 {
                (o.locks, o.locks_omitted) = get_locks(&mut r)?;
            }
            status.opens.push(o);
        }
        if v3 {
            for _ in 0..bounded(r.u32()?)? {
                let mut o = AdminLocalOpen {
                    connection: r.u64()?,
                    uid: r.u32()?,
                    pid: r.u32()?,
                    path: r.string(super::MAX_PATH)?,
                    granted: r.u32()?,
                    directory: r.bool()?,
                    ..AdminLocalOpen::default()
                };
                (o.locks, o.locks_omitted) = get_locks(&mut r)?;
                status.local.push(o);
            }
        }
        r.end()?;
        Ok(status)
    }
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX).min(MAX_ENTRIES)
}

fn bounded(n: u32) -> Result<u32, ProtoError> {
    if n > MAX_ENTRIES {
        return Err(ProtoError::TooLong {
            what: "entries",
            len: n as usize,
            max: MAX_ENTRIES as usize,
        });
    }
    Ok(n)
}
