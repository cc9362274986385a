//! # lwio-smb2
//!
//! The SMB2/SMB3 wire format of MS-SMB2 section 2 as pure codecs: no sockets, no runtime,
//! no locks. The server (`lwio-srv`) and the client (`lwio-rdr`) share it. Every request
//! decoder treats its input as hostile: each offset and length is checked against the
//! message before use (see [`codec`]), through the family's one reader (`lwio-types`).
//! The number spaces it shares with the I/O manager (`NtStatus`, `FileInfoClass`,
//! `CreateOptions`, `CtlCode`, ...) come from `lwio-types` as well, so this crate builds
//! without the I/O manager. [`compression`] frames SMB 3.1.1 compressed messages over the
//! algorithms of `lwio-xca`.

pub mod change_notify;
pub mod close;
pub mod codec;
pub mod command;
pub mod compression;
pub mod create;
pub mod create_context;
pub mod error;
pub mod frame;
pub mod header;
pub mod ioctl;
pub mod lock;
pub mod negotiate;
pub mod oplock;
pub mod query_directory;
pub mod query_info;
pub mod read;
pub mod session;
pub mod set_info;
pub mod simple;
pub mod transform;
pub mod tree;
pub mod write;

pub use change_notify::{ChangeNotifyFlags, ChangeNotifyRequest, ChangeNotifyResponse};
pub use close::{CloseFlags, CloseRequest, CloseResponse};
pub use codec::{DecodeError, Reader, Smb2Reader};
pub use command::Command;
pub use create::{CreateRequest, CreateResponse, FileId, FileTimes, ImpersonationLevel};
pub use create_context::{CreateContext, Lease, RequestContext, ResponseContext};
pub use error::{ErrorContext, ErrorId, ErrorResponse, SymlinkError};
pub use frame::{FrameError, FrameSplitter, MessageKind};
pub use header::{Compound, HEADER_LEN, Header, HeaderFlags, HeaderId, split_compound};
pub use ioctl::{CtlCode, IoctlFlags, IoctlRequest, IoctlResponse};
pub use lock::{LockElement, LockFlags, LockOperation, LockRequest, LockResponse, LockSequence};
pub use negotiate::{
    Capabilities, Dialect, NegotiateContext, NegotiateRequest, NegotiateResponse, SecurityMode,
};
pub use oplock::{
    LeaseBreakAck, LeaseBreakFlags, LeaseBreakNotification, LeaseState, OplockBreak,
    OplockBreakMessage, OplockLevel,
};
pub use query_directory::{QueryDirectoryRequest, QueryDirectoryResponse};
pub use query_info::{InfoType, QueryInfoFlags, QueryInfoRequest, QueryInfoResponse};
pub use read::{Channel, ReadFlags, ReadRequest, ReadResponse, ReadResponseAt, ReadResponseFlags};
pub use session::{
    LogoffRequest, LogoffResponse, SessionFlags, SessionSetupRequest, SessionSetupResponse,
};
pub use set_info::{SetInfoRequest, SetInfoResponse};
pub use simple::{CancelRequest, EchoRequest, EchoResponse, FlushRequest, FlushResponse};
pub use transform::TransformHeader;
pub use tree::{
    ShareCapabilities, ShareFlags, ShareType, TreeConnectRequest, TreeConnectResponse,
    TreeDisconnectRequest, TreeDisconnectResponse,
};
pub use write::{WriteFlags, WriteRequest, WriteResponse};
