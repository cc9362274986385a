//! srvsvc (MS-SRVS; `4b324fc8-1670-01d3-1278-5a47bf6ee188` v3.0, `\pipe\srvsvc`): the
//! share and server information calls a client's "net view" and share browser make, the
//! share administration of "net share" and Computer Management (add, change, delete), and
//! the read-only administration calls of "net session" and "net file" (sessions, open
//! files, connections, transports, time of day).
//!
//! | opnum | call | levels | who |
//! |---|---|---|---|
//! | 0 | NetrCharDevEnum | 0, 1: no devices | administrators |
//! | 3 | NetrCharDevQEnum | 0, 1: no queues | all |
//! | 8 | NetrConnectionEnum | 0, 1 | administrators |
//! | 9 | NetrFileEnum | 2, 3 | administrators |
//! | 11 | NetrFileClose (3.1.4.4) | | administrators |
//! | 12 | NetrSessionEnum | 0, 1, 2, 10, 502 | administrators (as Windows since Server 2016) |
//! | 13 | NetrSessionDel (3.1.4.6) | | administrators |
//! | 14 | NetrShareAdd (3.1.4.7) | 2, 502, 503 | administrators |
//! | 15 | NetrShareEnum (3.1.4.8) | 0, 1, 501; 2, 502, 503 | all; administrators |
//! | 16 | NetrShareGetInfo (3.1.4.10) | 0, 1, 501, 1005; 2, 502, 503 | all; administrators |
//! | 17 | NetrShareSetInfo (3.1.4.11) | 1, 2, 502, 503, 1004, 1005, 1006, 1501 | administrators |
//! | 18 | NetrShareDel (3.1.4.12) | | administrators |
//! | 20 | NetrShareCheck (3.1.4.16) | | all |
//! | 21 | NetrServerGetInfo (3.1.4.17) | 100, 101, 102 | all |
//! | 23 | NetrServerDiskEnum (3.1.4.19) | 0: no drive letters | administrators |
//! | 26 | NetrServerTransportEnum | 0, 1, 2 | all |
//! | 28 | NetrRemoteTOD | | all |
//! | 33 | NetprNameValidate (3.1.4.32) | | all |
//! | 36 | NetrShareEnumSticky (3.1.4.9) | 0, 1; 2, 502, 503 | all; administrators |
//!
//! Rules: levels 2, 502 and 503 expose paths and permissions, so they need an administrator
//! (BUILTIN\Administrators or LocalSystem), else ERROR_ACCESS_DENIED (3.1.4.8, 3.1.4.10
//! <61>); an unknown level is ERROR_INVALID_LEVEL (the enumerations' containers for levels
//! 1004 to 1007 and 1501, which Samba's clients send, decode first; NetrShareGetInfo at
//! 1004, 1006, 1007 and 1501, which 3.1.4.10 does not list, is refused the same way); an
//! unknown share NERR_NetNameNotFound;
//! the anonymous logon is refused every operation with ERROR_ACCESS_DENIED unless
//! [`ServerIdentity::allow_anonymous`]. Enumerations return every entry at once
//! (`PreferedMaximumLength` is not used to page) and a resume handle of 0.
//!
//! Rooms: the shares and the seams to the SMB server that owns them ([`ShareDatabase`],
//! [`ShareAdmin`], [`MemoryShares`]) are in `shares`; their wire structures in
//! [`share_info`]; NetrShareAdd, NetrShareSetInfo and NetrShareDel, with every refusal and
//! its status, in [`admin`]; sessions, tree connects and open files, read from the live
//! [`ServerState`], in [`sessions`]; the host (transports, disks, time) in [`host`]; the
//! name rules in [`names`]; NetrFileClose and NetrSessionDel in [`close`]. Other opnums (the two-phase
//! share delete, the set-info calls of the server) fault with `nca_s_op_rng_error`.

use std::sync::Arc;
use std::time::Instant;

use super::win32::{
    self, ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_INVALID_PARAMETER, ERROR_SUCCESS,
    NERR_NET_NAME_NOT_FOUND,
};
use super::{PLATFORM_ID_NT, ServerIdentity, level_union, resume_index, vec_len, wstr};
use crate::ndr::{self, WStrPtr, WString};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{SyntaxId, Uuid, ndr_struct};
use share_info::wstr_opt;

/// The srvsvc interface identifier, version 3.0.
pub const SRVSVC_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x4b32_4fc8,
        0x1670,
        0x01d3,
        [0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88],
    ),
    3,
    0,
);

/// The pipe name of srvsvc.
pub const SRVSVC_PIPE: &str = "srvsvc";

/// Opnums of srvsvc served here.
pub mod opnum {
    /// NetrShareAdd.
    pub const SHARE_ADD: u16 = 14;
    /// NetrShareEnum.
    pub const SHARE_ENUM: u16 = 15;
    /// NetrShareSetInfo.
    pub const SHARE_SET_INFO: u16 = 17;
    /// NetrShareDel.
    pub const SHARE_DEL: u16 = 18;
    /// NetrShareGetInfo.
    pub const SHARE_GET_INFO: u16 = 16;
    /// NetrServerGetInfo.
    pub const SERVER_GET_INFO: u16 = 21;
    /// NetrCharDevEnum.
    pub const CHAR_DEV_ENUM: u16 = 0;
    /// NetrCharDevQEnum.
    pub const CHAR_DEV_Q_ENUM: u16 = 3;
    /// NetrConnectionEnum.
    pub const CONNECTION_ENUM: u16 = 8;
    /// NetrFileEnum.
    pub const FILE_ENUM: u16 = 9;
    /// NetrSessionEnum.
    pub const SESSION_ENUM: u16 = 12;
    /// NetrFileClose.
    pub const FILE_CLOSE: u16 = 11;
    /// NetrSessionDel.
    pub const SESSION_DEL: u16 = 13;
    /// NetrShareCheck.
    pub const SHARE_CHECK: u16 = 20;
    /// NetrServerDiskEnum.
    pub const SERVER_DISK_ENUM: u16 = 23;
    /// NetrServerTransportEnum.
    pub const SERVER_TRANSPORT_ENUM: u16 = 26;
    /// NetrRemoteTOD.
    pub const REMOTE_TOD: u16 = 28;
    /// NetprNameValidate.
    pub const NAME_VALIDATE: u16 = 33;
    /// NetrShareEnumSticky.
    pub const SHARE_ENUM_STICKY: u16 = 36;
}

/// NERR_DeviceNotShared: no share is on that device.
pub const NERR_DEVICE_NOT_SHARED: u32 = 2311;
/// NERR_UnknownDevDir: the device or directory does not exist.
pub const NERR_UNKNOWN_DEV_DIR: u32 = 2116;
/// NERR_DuplicateShare: the name has already been shared.
pub const NERR_DUPLICATE_SHARE: u32 = 2118;

macro_rules! container {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        ndr_struct! {
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Eq, Default)]
            pub struct $name {
                /// EntriesRead.
                pub entries_read: u32,
                /// `[size_is(EntriesRead)]` Buffer.
                pub buffer: Option<Vec<$item>>,
            }
        }

        impl $name {
            /// A container holding `items`.
            pub fn of(items: Vec<$item>) -> $name {
                $name {
                    entries_read: vec_len(items.len()),
                    buffer: Some(items),
                }
            }
        }
    };
}

pub mod admin;
pub mod close;
pub mod host;
pub mod names;
pub mod sessions;
pub mod share_info;
mod shares;
mod state;

pub use share_info::{
    ShareEnumStruct, ShareEnumUnion, ShareInfo, ShareInfo0, ShareInfo0Container, ShareInfo1,
    ShareInfo1Container, ShareInfo2, ShareInfo2Container, ShareInfo501, ShareInfo501Container,
    ShareInfo502, ShareInfo502Container, ShareInfo503, ShareInfo503Container, ShareInfo1004,
    ShareInfo1004Container, ShareInfo1005, ShareInfo1005Container, ShareInfo1006,
    ShareInfo1006Container, ShareInfo1007, ShareInfo1007Container, ShareInfo1501,
    ShareInfo1501Container, shi1005,
};
pub use shares::{MemoryShares, ShareAdmin, ShareDatabase, ShareRecord, ShareType, ShareUpdate};
pub use state::{
    ConnectionRecord, NoServerState, OpenRecord, ServerState, SessionRecord, TransportRecord,
};

ndr_struct! {
    /// SERVER_INFO_100 (2.2.4.40).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerInfo100 {
        /// sv100_platform_id.
        pub platform_id: u32,
        /// sv100_name.
        pub name: WStrPtr,
    }
}

ndr_struct! {
    /// SERVER_INFO_101 (2.2.4.41).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerInfo101 {
        /// sv101_platform_id.
        pub platform_id: u32,
        /// sv101_name.
        pub name: WStrPtr,
        /// sv101_version_major.
        pub version_major: u32,
        /// sv101_version_minor.
        pub version_minor: u32,
        /// sv101_type.
        pub server_type: u32,
        /// sv101_comment.
        pub comment: WStrPtr,
    }
}

ndr_struct! {
    /// SERVER_INFO_102 (2.2.4.42).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerInfo102 {
        /// sv102_platform_id.
        pub platform_id: u32,
        /// sv102_name.
        pub name: WStrPtr,
        /// sv102_version_major.
        pub version_major: u32,
        /// sv102_version_minor.
        pub version_minor: u32,
        /// sv102_type.
        pub server_type: u32,
        /// sv102_comment.
        pub comment: WStrPtr,
        /// sv102_users.
        pub users: u32,
        /// sv102_disc (minutes of idle before autodisconnect; -1 never).
        pub disc: i32,
        /// sv102_hidden.
        pub hidden: u32,
        /// sv102_announce.
        pub announce: u32,
        /// sv102_anndelta.
        pub anndelta: u32,
        /// sv102_licenses.
        pub licenses: u32,
        /// sv102_userpath.
        pub userpath: WStrPtr,
    }
}

level_union! {
    /// SERVER_INFO (2.2.3.7), the answer of NetrServerGetInfo.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ServerInfo {
        /// Level 100.
        100 => Info100(ServerInfo100),
        /// Level 101.
        101 => Info101(ServerInfo101),
        /// Level 102.
        102 => Info102(ServerInfo102),
    }
}

/// NetrShareEnum's `[in]` parameters: ServerName, InfoStruct, PreferedMaximumLength,
/// ResumeHandle.
pub type ShareEnumRequest = (WStrPtr, ShareEnumStruct, u32, Option<u32>);
/// NetrShareEnum's `[out]` parameters and return value: InfoStruct, TotalEntries,
/// ResumeHandle, status.
pub type ShareEnumResponse = (ShareEnumStruct, u32, Option<u32>, u32);
/// NetrShareGetInfo's `[in]` parameters: ServerName, NetName, Level.
pub type ShareGetInfoRequest = (WStrPtr, WString, u32);
/// NetrShareGetInfo's `[out]` parameter and return value.
pub type ShareGetInfoResponse = (ShareInfo, u32);
/// NetrServerGetInfo's `[in]` parameters: ServerName, Level.
pub type ServerGetInfoRequest = (WStrPtr, u32);
/// NetrServerGetInfo's `[out]` parameter and return value.
pub type ServerGetInfoResponse = (ServerInfo, u32);

/// The srvsvc server.
pub struct SrvsvcInterface {
    identity: ServerIdentity,
    shares: Arc<dyn ShareDatabase>,
    /// Share administration (NetrShareAdd, NetrShareSetInfo, NetrShareDel), when the
    /// server offers it.
    admin: Option<Arc<dyn ShareAdmin>>,
    state: Arc<dyn ServerState>,
    /// The service's start, the origin of NetrRemoteTOD's `tod_msecs`.
    started: Instant,
}

impl std::fmt::Debug for SrvsvcInterface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrvsvcInterface")
            .field("identity", &self.identity)
            .field("admin", &self.admin.is_some())
            .finish()
    }
}

/// Whether NetrShareEnum serves `level`, and whether it needs an administrator.
fn share_level(level: u32) -> Option<bool> {
    match level {
        0 | 1 | 501 => Some(false),
        2 | 502 | 503 => Some(true),
        _ => None,
    }
}

/// The same for NetrShareGetInfo, which also has level 1005.
fn share_info_level(level: u32) -> Option<bool> {
    match level {
        1005 => Some(false),
        other => share_level(other),
    }
}

/// The same for NetrShareEnumSticky, which has no level 501.
fn sticky_level(level: u32) -> Option<bool> {
    match level {
        501 => None,
        other => share_level(other),
    }
}

/// Whether a share at local path `path` lies on `device`: `device` is `path` or one of its
/// parent directories (either separator; case-insensitive for drive-letter paths). An
/// empty path (IPC$) lies on no device.
fn path_on_device(path: &str, device: &str) -> bool {
    let norm = |p: &str| -> String {
        let p = p.replace('\\', "/");
        let p = p.trim_end_matches('/');
        if p.as_bytes().get(1) == Some(&b':') {
            p.to_ascii_lowercase()
        } else {
            p.to_owned()
        }
    };
    let (path, device) = (norm(path), norm(device));
    if path.is_empty() || device.is_empty() {
        return false;
    }
    path == device
        || path
            .strip_prefix(&device)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl SrvsvcInterface {
    /// srvsvc for `identity` over `shares`, with nothing connected ([`NoServerState`]) and
    /// no share administration.
    pub fn new(identity: ServerIdentity, shares: Arc<dyn ShareDatabase>) -> SrvsvcInterface {
        SrvsvcInterface {
            identity,
            shares,
            admin: None,
            state: Arc::new(NoServerState),
            started: Instant::now(),
        }
    }

    /// Reads sessions, tree connects, open files and transports from `state`.
    pub fn with_state(mut self, state: Arc<dyn ServerState>) -> SrvsvcInterface {
        self.state = state;
        self
    }

    /// Serves NetrShareAdd, NetrShareSetInfo and NetrShareDel through `admin` (usually the
    /// same object as the [`ShareDatabase`]: what it changes, the enumerations show).
    pub fn with_admin(mut self, admin: Arc<dyn ShareAdmin>) -> SrvsvcInterface {
        self.admin = Some(admin);
        self
    }

    fn refused(&self, ctx: &CallContext) -> bool {
        ctx.is_anonymous() && !self.identity.allow_anonymous
    }

    /// NetrShareEnum (every share) and NetrShareEnumSticky (the permanent ones: not the
    /// special shares such as IPC$, not the temporary ones), which differ in their levels.
    fn share_enum(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        sticky: bool,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, info, _max_len, resume): ShareEnumRequest = ctx.decode(stub)?;
        let level = info.level;
        if info.info.level() != level {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let rule = if sticky {
            sticky_level(level)
        } else {
            share_level(level)
        };
        let status = match rule {
            _ if self.refused(ctx) => ERROR_ACCESS_DENIED,
            None => ERROR_INVALID_LEVEL,
            Some(true) if !ctx.is_administrator() => ERROR_ACCESS_DENIED,
            // An anonymous caller, where allowed at all, enumerates names and comments
            // only (levels 0 and 1), as Windows with RestrictAnonymous=0.
            Some(_) if ctx.is_anonymous() && level > 1 => ERROR_ACCESS_DENIED,
            Some(_) => ERROR_SUCCESS,
        };
        let response: ShareEnumResponse = if status == ERROR_SUCCESS {
            let mut all = self.shares.shares();
            if sticky {
                all.retain(|s| s.share_type.is_sticky());
            }
            let start = resume_index(resume, all.len());
            let total = vec_len(all.len());
            let out = ShareEnumStruct {
                level,
                info: share_info::enum_union(level, &all[start..]),
            };
            (out, total, resume.map(|_| 0), status)
        } else {
            let out = ShareEnumStruct {
                level,
                info: ShareEnumUnion::null(level),
            };
            (out, 0, resume, status)
        };
        Ok(ndr::to_bytes(&response))
    }

    /// NetrShareGetInfo: an empty name is ERROR_INVALID_PARAMETER, then the level, the
    /// caller and the share, in the order of 3.1.4.10.
    fn share_get_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, name, level): ShareGetInfoRequest = ctx.decode(stub)?;
        let fail = |status| Ok(ndr::to_bytes(&(ShareInfo::null(level), status)));
        if self.refused(ctx) {
            return fail(ERROR_ACCESS_DENIED);
        }
        if name.0.is_empty() {
            return fail(ERROR_INVALID_PARAMETER);
        }
        let Some(admin) = share_info_level(level) else {
            return fail(ERROR_INVALID_LEVEL);
        };
        if admin && !ctx.is_administrator() {
            return fail(ERROR_ACCESS_DENIED);
        }
        let Some(s) = self.shares.share(&name.0) else {
            return fail(NERR_NET_NAME_NOT_FOUND);
        };
        let response: ShareGetInfoResponse = (share_info::share_info(level, &s), ERROR_SUCCESS);
        Ok(ndr::to_bytes(&response))
    }

    /// NetrShareCheck: the type of the first share whose local path lies on `Device` (the
    /// path itself or a directory above it, compared component by component), without
    /// STYPE_SPECIAL; NERR_DeviceNotShared when none does.
    fn share_check(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, device): (WStrPtr, WString) = ctx.decode(stub)?;
        let response: (u32, u32) = if self.refused(ctx) {
            (0, ERROR_ACCESS_DENIED)
        } else {
            match self
                .shares
                .shares()
                .into_iter()
                .find(|s| path_on_device(&s.path, &device.0))
            {
                Some(s) => (s.share_type.0 & !ShareType::SPECIAL, ERROR_SUCCESS),
                None => (0, NERR_DEVICE_NOT_SHARED),
            }
        };
        Ok(ndr::to_bytes(&response))
    }

    fn server_get_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, level): ServerGetInfoRequest = ctx.decode(stub)?;
        let id = &self.identity;
        let (info, status) = if self.refused(ctx) {
            (ServerInfo::Unknown(level), ERROR_ACCESS_DENIED)
        } else {
            match level {
                100 => (
                    ServerInfo::Info100(Some(ServerInfo100 {
                        platform_id: PLATFORM_ID_NT,
                        name: wstr(&id.name),
                    })),
                    ERROR_SUCCESS,
                ),
                101 => (
                    ServerInfo::Info101(Some(ServerInfo101 {
                        platform_id: PLATFORM_ID_NT,
                        name: wstr(&id.name),
                        version_major: id.version.0,
                        version_minor: id.version.1,
                        server_type: id.server_type,
                        comment: wstr_opt(&id.comment),
                    })),
                    ERROR_SUCCESS,
                ),
                102 => (
                    ServerInfo::Info102(Some(ServerInfo102 {
                        platform_id: PLATFORM_ID_NT,
                        name: wstr(&id.name),
                        version_major: id.version.0,
                        version_minor: id.version.1,
                        server_type: id.server_type,
                        comment: wstr_opt(&id.comment),
                        users: u32::MAX,
                        disc: -1,
                        hidden: 0,
                        announce: 240,
                        anndelta: 3000,
                        licenses: 0,
                        userpath: wstr("c:\\"),
                    })),
                    ERROR_SUCCESS,
                ),
                other => (ServerInfo::Unknown(other), ERROR_INVALID_LEVEL),
            }
        };
        // A refused known level still answers with its own discriminant and a null arm.
        let info = match info {
            ServerInfo::Unknown(100) => ServerInfo::Info100(None),
            ServerInfo::Unknown(101) => ServerInfo::Info101(None),
            ServerInfo::Unknown(102) => ServerInfo::Info102(None),
            other => other,
        };
        let response: ServerGetInfoResponse = (info, status);
        Ok(ndr::to_bytes(&response))
    }
}

impl Interface for SrvsvcInterface {
    fn syntax(&self) -> SyntaxId {
        SRVSVC_SYNTAX
    }

    fn name(&self) -> &str {
        "srvsvc"
    }

    /// Every handler reads its stub through [`CallContext::decode`]/[`CallContext::reader`].
    fn reads_big_endian(&self) -> bool {
        true
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match op {
            opnum::CHAR_DEV_ENUM => host::char_dev_enum(self, stub, ctx),
            opnum::CHAR_DEV_Q_ENUM => host::char_dev_q_enum(self, stub, ctx),
            opnum::CONNECTION_ENUM => sessions::connection_enum(self, stub, ctx),
            opnum::FILE_ENUM => sessions::file_enum(self, stub, ctx),
            opnum::SESSION_ENUM => sessions::session_enum(self, stub, ctx),
            opnum::FILE_CLOSE => close::file_close(self, stub, ctx),
            opnum::SESSION_DEL => close::session_del(self, stub, ctx),
            opnum::SHARE_CHECK => self.share_check(stub, ctx),
            opnum::SERVER_DISK_ENUM => host::disk_enum(self, stub, ctx),
            opnum::SERVER_TRANSPORT_ENUM => host::transport_enum(self, stub, ctx),
            opnum::REMOTE_TOD => host::remote_tod(self, stub, ctx),
            opnum::NAME_VALIDATE => names::name_validate(self, stub, ctx),
            opnum::SHARE_ADD => admin::share_add(self, stub, ctx),
            opnum::SHARE_SET_INFO => admin::share_set_info(self, stub, ctx),
            opnum::SHARE_DEL => admin::share_del(self, stub, ctx),
            opnum::SHARE_ENUM_STICKY => self.share_enum(stub, ctx, true),
            opnum::SHARE_ENUM => self.share_enum(stub, ctx, false),
            opnum::SHARE_GET_INFO => self.share_get_info(stub, ctx),
            opnum::SERVER_GET_INFO => self.server_get_info(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
