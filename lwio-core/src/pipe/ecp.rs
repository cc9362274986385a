//! The Extra Create Parameters a pipe file system understands, and the pipe modes they
//! carry.
//!
//! - [`PipeCreateParams`] on a create makes it a *server* create: a new instance of the named
//!   pipe (what `NtCreateNamedPipeFile` passes to NPFS as NAMED_PIPE_CREATE_PARAMETERS).
//! - [`PipeClientInfo`] on a client create tells the server end who the client is; the SMB
//!   server attaches it to a create on IPC$ (MS-SMB2 3.3.5.9). Without it the pipe file
//!   system builds one from the opener's token. The server end reads it back with the
//!   private FSCTL [`CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`], whose output
//!   [`PipeClientInfo::decode`] turns back into this type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[cfg(doc)]
use lwio_types::CtlCode;
use lwio_types::Reader;

use crate::security::{AccessToken, Privileges, Sid, UnixIdentity};
use crate::status::NtStatus;

/// How writes are framed: the pipe's type, fixed by its first instance
/// (MS-FSCC 2.4.37 NamedPipeType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeType {
    /// FILE_PIPE_BYTE_STREAM_TYPE (0): writes are a stream of bytes.
    Byte,
    /// FILE_PIPE_MESSAGE_TYPE (1): each write is one message.
    Message,
}

/// How one end reads (MS-FSCC 2.4.36 ReadMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadMode {
    /// FILE_PIPE_BYTE_STREAM_MODE (0): reads ignore message boundaries.
    Byte,
    /// FILE_PIPE_MESSAGE_MODE (1): a read returns (part of) one message.
    Message,
}

/// Whether operations that cannot finish now wait (MS-FSCC 2.4.36 CompletionMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompletionMode {
    /// FILE_PIPE_QUEUE_OPERATION (0): blocking; reads and listens pend.
    Queue,
    /// FILE_PIPE_COMPLETE_OPERATION (1): non-blocking; they complete at once.
    Complete,
}

impl PipeType {
    /// The MS-FSCC value.
    pub fn to_wire(self) -> u32 {
        match self {
            PipeType::Byte => 0,
            PipeType::Message => 1,
        }
    }
}

impl ReadMode {
    /// The MS-FSCC value.
    pub fn to_wire(self) -> u32 {
        match self {
            ReadMode::Byte => 0,
            ReadMode::Message => 1,
        }
    }

    /// From the MS-FSCC value; anything else is `None`.
    pub fn from_wire(v: u32) -> Option<ReadMode> {
        match v {
            0 => Some(ReadMode::Byte),
            1 => Some(ReadMode::Message),
            _ => None,
        }
    }
}

impl CompletionMode {
    /// The MS-FSCC value.
    pub fn to_wire(self) -> u32 {
        match self {
            CompletionMode::Queue => 0,
            CompletionMode::Complete => 1,
        }
    }

    /// From the MS-FSCC value; anything else is `None`.
    pub fn from_wire(v: u32) -> Option<CompletionMode> {
        match v {
            0 => Some(CompletionMode::Queue),
            1 => Some(CompletionMode::Complete),
            _ => None,
        }
    }
}

/// FILE_PIPE_UNLIMITED_INSTANCES: no limit on the number of instances.
pub const UNLIMITED_INSTANCES: u32 = u32::MAX;

/// The settings of a new server instance; attach it as an ECP to make a create a server
/// create. Every instance of one name must agree on `pipe_type` and `max_instances`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipeCreateParams {
    /// Byte or message framing of writes.
    pub pipe_type: PipeType,
    /// The server end's initial read mode (message read mode needs a message pipe).
    pub read_mode: ReadMode,
    /// The server end's initial completion mode.
    pub completion_mode: CompletionMode,
    /// Most instances of this name at once, or [`UNLIMITED_INSTANCES`]; not zero.
    pub max_instances: u32,
    /// Advisory quota of the client-to-server direction, in bytes (reported only).
    pub in_quota: u32,
    /// Advisory quota of the server-to-client direction, in bytes (reported only).
    pub out_quota: u32,
    /// What FSCTL_PIPE_WAIT uses when the waiter gives no timeout; `None` waits forever.
    pub default_timeout: Option<Duration>,
}

impl PipeCreateParams {
    /// A message pipe read in message mode, blocking, unlimited instances, 4 KiB quotas and
    /// Windows' default wait of 50 ms: the shape of an RPC pipe.
    pub fn message() -> Self {
        PipeCreateParams {
            pipe_type: PipeType::Message,
            read_mode: ReadMode::Message,
            completion_mode: CompletionMode::Queue,
            max_instances: UNLIMITED_INSTANCES,
            in_quota: 4096,
            out_quota: 4096,
            default_timeout: Some(Duration::from_millis(50)),
        }
    }

    /// A byte pipe, otherwise as [`PipeCreateParams::message`].
    pub fn byte() -> Self {
        PipeCreateParams {
            pipe_type: PipeType::Byte,
            read_mode: ReadMode::Byte,
            ..PipeCreateParams::message()
        }
    }

    /// Sets the instance limit.
    pub fn max_instances(mut self, n: u32) -> Self {
        self.max_instances = n;
        self
    }

    /// Sets the server end's completion mode.
    pub fn completion_mode(mut self, mode: CompletionMode) -> Self {
        self.completion_mode = mode;
        self
    }

    /// Sets the server end's read mode.
    pub fn read_mode(mut self, mode: ReadMode) -> Self {
        self.read_mode = mode;
        self
    }

    /// Sets the default wait timeout.
    pub fn default_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.default_timeout = timeout;
        self
    }
}

impl Default for PipeCreateParams {
    fn default() -> Self {
        PipeCreateParams::message()
    }
}

/// Who the client of a pipe instance is. The SMB server attaches it to the client's create;
/// the server end reads it with [`CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipeClientInfo {
    /// The client's security context (for a local open: the opener's token).
    pub token: Arc<AccessToken>,
    /// The SMB session key of the client's session; empty for a local open.
    pub session_key: Vec<u8>,
    /// The client's network address, if it came over the network.
    pub peer_address: Option<SocketAddr>,
    /// The client computer's name, if known.
    pub client_computer: Option<String>,
    /// The client process id, if known.
    pub client_process_id: Option<u64>,
}

const BLOB_VERSION: u16 = 1;
const HAS_PEER: u16 = 0x01;
const HAS_COMPUTER: u16 = 0x02;
const HAS_PROCESS: u16 = 0x04;
const HAS_UNIX: u16 = 0x08;
const HAS_OWNER: u16 = 0x10;
const HAS_PRIMARY_GROUP: u16 = 0x20;
const KNOWN_FLAGS: u16 = 0x3F;

impl PipeClientInfo {
    /// Client information with only a token.
    pub fn new(token: Arc<AccessToken>) -> Self {
        PipeClientInfo {
            token,
            session_key: Vec::new(),
            peer_address: None,
            client_computer: None,
            client_process_id: None,
        }
    }

    /// Sets the session key.
    pub fn session_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.session_key = key.into();
        self
    }

    /// Sets the peer address.
    pub fn peer_address(mut self, addr: SocketAddr) -> Self {
        self.peer_address = Some(addr);
        self
    }

    /// Sets the client computer name.
    pub fn client_computer(mut self, name: impl Into<String>) -> Self {
        self.client_computer = Some(name.into());
        self
    }

    /// Sets the client process id.
    pub fn client_process_id(mut self, pid: u64) -> Self {
        self.client_process_id = Some(pid);
        self
    }

    /// Encodes the lwio client-information blob (little-endian):
    /// `u16 version = 1`, `u16 flags`, `u32 n` + session key, then if flagged the peer
    /// (`u8 4|6`, address, `u16 port`), `u32 n` + UTF-8 computer name, `u64` process id;
    /// then the token: user SID (`u32 n` + MS-DTYP 2.4.2.2 bytes), `u32` group count and
    /// each group SID, `u64` privileges, and if flagged the owner SID, the primary group SID,
    /// and the Unix identity (`u32 uid`, `u32 gid`, `u32` count and each `u32` group).
    pub fn encode(&self) -> Vec<u8> {
        let t = &self.token;
        let mut flags = 0;
        flags |= if self.peer_address.is_some() {
            HAS_PEER
        } else {
            0
        };
        flags |= if self.client_computer.is_some() {
            HAS_COMPUTER
        } else {
            0
        };
        flags |= if self.client_process_id.is_some() {
            HAS_PROCESS
        } else {
            0
        };
        flags |= if t.unix.is_some() { HAS_UNIX } else { 0 };
        flags |= if t.owner.is_some() { HAS_OWNER } else { 0 };
        flags |= if t.primary_group.is_some() {
            HAS_PRIMARY_GROUP
        } else {
            0
        };
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&BLOB_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        put_counted(&mut out, &self.session_key);
        if let Some(addr) = self.peer_address {
            match addr.ip() {
                IpAddr::V4(ip) => {
                    out.push(4);
                    out.extend_from_slice(&ip.octets());
                }
                IpAddr::V6(ip) => {
                    out.push(6);
                    out.extend_from_slice(&ip.octets());
                }
            }
            out.extend_from_slice(&addr.port().to_le_bytes());
        }
        if let Some(name) = &self.client_computer {
            put_counted(&mut out, name.as_bytes());
        }
        if let Some(pid) = self.client_process_id {
            out.extend_from_slice(&pid.to_le_bytes());
        }
        put_counted(&mut out, &t.user.to_bytes());
        put_len(&mut out, t.groups.len());
        for g in &t.groups {
            put_counted(&mut out, &g.to_bytes());
        }
        out.extend_from_slice(&t.privileges.0.to_le_bytes());
        if let Some(owner) = &t.owner {
            put_counted(&mut out, &owner.to_bytes());
        }
        if let Some(group) = &t.primary_group {
            put_counted(&mut out, &group.to_bytes());
        }
        if let Some(unix) = &t.unix {
            out.extend_from_slice(&unix.uid.to_le_bytes());
            out.extend_from_slice(&unix.gid.to_le_bytes());
            put_len(&mut out, unix.groups.len());
            for g in &unix.groups {
                out.extend_from_slice(&g.to_le_bytes());
            }
        }
        out
    }

    /// Decodes the blob [`PipeClientInfo::encode`] makes; a short, malformed or
    /// over-long buffer is STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipeClientInfo, NtStatus> {
        let mut r = Reader::new(buf);
        if r.u16()? != BLOB_VERSION {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let flags = r.u16()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let session_key = counted(&mut r)?.to_vec();
        let peer_address = if flags & HAS_PEER != 0 {
            let ip = match r.u8()? {
                4 => {
                    let b = r.take(4)?;
                    IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
                }
                6 => {
                    let b: [u8; 16] = r.array()?;
                    IpAddr::V6(Ipv6Addr::from(b))
                }
                _ => return Err(NtStatus::INVALID_PARAMETER),
            };
            Some(SocketAddr::new(ip, r.u16()?))
        } else {
            None
        };
        let client_computer = if flags & HAS_COMPUTER != 0 {
            let bytes = counted(&mut r)?;
            Some(String::from_utf8(bytes.to_vec()).map_err(|_| NtStatus::INVALID_PARAMETER)?)
        } else {
            None
        };
        let client_process_id = if flags & HAS_PROCESS != 0 {
            Some(r.u64()?)
        } else {
            None
        };
        let user = sid(&mut r)?;
        let count = r.u32()?;
        let mut groups = Vec::new();
        for _ in 0..count {
            groups.push(sid(&mut r)?);
        }
        let mut token = AccessToken::new(user)
            .with_groups(groups)
            .with_privileges(Privileges(r.u64()?));
        if flags & HAS_OWNER != 0 {
            token = token.with_owner(sid(&mut r)?);
        }
        if flags & HAS_PRIMARY_GROUP != 0 {
            token = token.with_primary_group(sid(&mut r)?);
        }
        if flags & HAS_UNIX != 0 {
            let uid = r.u32()?;
            let gid = r.u32()?;
            let count = r.u32()?;
            let mut groups = Vec::new();
            for _ in 0..count {
                groups.push(r.u32()?);
            }
            token = token.with_unix(UnixIdentity { uid, gid, groups });
        }
        r.expect_end()?;
        Ok(PipeClientInfo {
            token: Arc::new(token),
            session_key,
            peer_address,
            client_computer,
            client_process_id,
        })
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_counted(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// A length (u32) and that many bytes.
fn counted<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], NtStatus> {
    let n = r.u32()?;
    Ok(r.take(n as usize)?)
}

fn sid(r: &mut Reader<'_>) -> Result<Sid, NtStatus> {
    let bytes = counted(r)?;
    match Sid::decode(bytes) {
        Ok((sid, used)) if used == bytes.len() => Ok(sid),
        _ => Err(NtStatus::INVALID_PARAMETER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_info_round_trips() {
        let token = AccessToken::system().with_unix(UnixIdentity {
            uid: 1000,
            gid: 100,
            groups: vec![4, 27],
        });
        let info = PipeClientInfo::new(Arc::new(token))
            .session_key(vec![1, 2, 3, 4])
            .peer_address("[fe80::1]:445".parse().unwrap())
            .client_computer("WKS01")
            .client_process_id(4242);
        let blob = info.encode();
        assert_eq!(PipeClientInfo::decode(&blob), Ok(info.clone()));
        let plain = PipeClientInfo::new(Arc::new(AccessToken::anonymous()));
        assert_eq!(PipeClientInfo::decode(&plain.encode()), Ok(plain));
        for cut in 0..blob.len() {
            assert!(
                PipeClientInfo::decode(&blob[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = blob;
        long.push(0);
        assert!(PipeClientInfo::decode(&long).is_err());
    }
}
