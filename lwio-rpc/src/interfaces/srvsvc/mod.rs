//! srvsvc (MS-SRVS; `4b324fc8-1670-01d3-1278-5a47bf6ee188` v3.0, `\pipe\srvsvc`): the
//! share and server information calls a client's "net view" and share browser make, and
//! the read-only administration calls of "net session", "net file" and Computer
//! Management (sessions, open files, connections, transports, time of day).
//!
//! | opnum | call | levels | who |
//! |---|---|---|---|
//! | 0 | NetrCharDevEnum | 0, 1: no devices | administrators |
//! | 3 | NetrCharDevQEnum | 0, 1: no queues | all |
//! | 8 | NetrConnectionEnum | 0, 1 | administrators |
//! | 9 | NetrFileEnum | 2, 3 | administrators |
//! | 12 | NetrSessionEnum | 0, 1, 2, 10, 502 | administrators (as Windows since Server 2016) |
//! | 15 | NetrShareEnum (3.1.4.8) | 0, 1, 501; 2, 502 | all; administrators |
//! | 16 | NetrShareGetInfo (3.1.4.10) | 0, 1, 501, 1005; 2, 502 | all; administrators |
//! | 20 | NetrShareCheck (3.1.4.16) | | all |
//! | 21 | NetrServerGetInfo (3.1.4.17) | 100, 101, 102 | all |
//! | 23 | NetrServerDiskEnum (3.1.4.19) | 0: no drive letters | administrators |
//! | 26 | NetrServerTransportEnum | 0, 1, 2 | all |
//! | 28 | NetrRemoteTOD | | all |
//! | 33 | NetprNameValidate (3.1.4.32) | | all |
//! | 36 | NetrShareEnumSticky | 0, 1; 2, 502 | all; administrators |
//!
//! Rules: levels 2 and 502 expose paths and permissions, so they need an administrator
//! (BUILTIN\Administrators or LocalSystem), else ERROR_ACCESS_DENIED (3.1.4.8, 3.1.4.10);
//! an unknown level is ERROR_INVALID_LEVEL; an unknown share NERR_NetNameNotFound; the
//! anonymous logon is refused every operation with ERROR_ACCESS_DENIED unless
//! [`ServerIdentity::allow_anonymous`]. Enumerations return every entry at once
//! (`PreferedMaximumLength` is not used to page) and a resume handle of 0. Sessions,
//! tree connects, open files and transports come from the live [`ServerState`] (see
//! [`sessions`] and [`host`]); [`names`] has the name rules. Other opnums (share and
//! session administration: NetrShareAdd/SetInfo/Del, NetrSessionDel, NetrFileClose, the
//! set-info calls) fault with `nca_s_op_rng_error`.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::RwLock;

use super::win32::{
    self, ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_SUCCESS, NERR_NET_NAME_NOT_FOUND,
};
use super::{PLATFORM_ID_NT, ServerIdentity, level_union, resume_index, vec_len, wstr};
use crate::ndr::{self, WStrPtr, WString};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{SyntaxId, Uuid, ndr_struct};

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
    /// NetrShareEnum.
    pub const SHARE_ENUM: u16 = 15;
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

/// Share types (MS-SRVS 2.2.2.4): the base type in the low bits, flags above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareType(pub u32);

impl ShareType {
    /// STYPE_DISKTREE.
    pub const DISK: ShareType = ShareType(0);
    /// STYPE_PRINTQ.
    pub const PRINT: ShareType = ShareType(1);
    /// STYPE_DEVICE.
    pub const DEVICE: ShareType = ShareType(2);
    /// STYPE_IPC.
    pub const IPC: ShareType = ShareType(3);
    /// STYPE_TEMPORARY flag.
    pub const TEMPORARY: u32 = 0x4000_0000;
    /// STYPE_SPECIAL flag (administrative shares: C$, ADMIN$, IPC$).
    pub const SPECIAL: u32 = 0x8000_0000;

    /// This type with the STYPE_SPECIAL flag.
    pub const fn special(self) -> ShareType {
        ShareType(self.0 | Self::SPECIAL)
    }
}

/// One share as the SMB server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// Share name (`IPC$`, `data`).
    pub name: String,
    /// Type and flags.
    pub share_type: ShareType,
    /// Comment (remark).
    pub comment: String,
    /// Local path (`C:\data` or a Unix path), reported at levels 2 and 502.
    pub path: String,
    /// Current connections.
    pub current_uses: u32,
    /// Connection limit; `u32::MAX` for none.
    pub max_uses: u32,
    /// Share-level permissions (ACCESS_READ…; usually 0 on NT servers).
    pub permissions: u32,
    /// Level 501 flags (client-side caching policy, MS-SRVS 2.2.4.25).
    pub flags: u32,
    /// Self-relative security descriptor of the share, for level 502.
    pub security_descriptor: Option<Vec<u8>>,
}

impl ShareRecord {
    /// A share with no users, no limit and no descriptor.
    pub fn new(name: &str, share_type: ShareType, comment: &str, path: &str) -> ShareRecord {
        ShareRecord {
            name: name.into(),
            share_type,
            comment: comment.into(),
            path: path.into(),
            current_uses: 0,
            max_uses: u32::MAX,
            permissions: 0,
            flags: 0,
            security_descriptor: None,
        }
    }
}

/// Where srvsvc finds the shares; the SMB server implements it over its configuration.
pub trait ShareDatabase: Send + Sync {
    /// Every share, in the order to report them.
    fn shares(&self) -> Vec<ShareRecord>;

    /// The share named `name` (case-insensitive).
    fn share(&self, name: &str) -> Option<ShareRecord> {
        self.shares()
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// An in-memory share list, for tests and simple servers.
#[derive(Debug, Default)]
pub struct MemoryShares {
    shares: RwLock<Vec<ShareRecord>>,
}

impl MemoryShares {
    /// A database holding `shares`.
    pub fn new(shares: Vec<ShareRecord>) -> MemoryShares {
        MemoryShares {
            shares: RwLock::new(shares),
        }
    }

    /// Adds or replaces (by name) a share.
    pub fn upsert(&self, share: ShareRecord) {
        let mut list = self.shares.write();
        list.retain(|s| !s.name.eq_ignore_ascii_case(&share.name));
        list.push(share);
    }

    /// Removes a share; true if it existed.
    pub fn remove(&self, name: &str) -> bool {
        let mut list = self.shares.write();
        let before = list.len();
        list.retain(|s| !s.name.eq_ignore_ascii_case(name));
        list.len() != before
    }
}

impl ShareDatabase for MemoryShares {
    fn shares(&self) -> Vec<ShareRecord> {
        self.shares.read().clone()
    }
}

ndr_struct! {
    /// SHARE_INFO_0 (2.2.4.22).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo0 {
        /// shi0_netname.
        pub netname: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_1 (2.2.4.23).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1 {
        /// shi1_netname.
        pub netname: WStrPtr,
        /// shi1_type.
        pub share_type: u32,
        /// shi1_remark.
        pub remark: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_2 (2.2.4.24).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo2 {
        /// shi2_netname.
        pub netname: WStrPtr,
        /// shi2_type.
        pub share_type: u32,
        /// shi2_remark.
        pub remark: WStrPtr,
        /// shi2_permissions.
        pub permissions: u32,
        /// shi2_max_uses.
        pub max_uses: u32,
        /// shi2_current_uses.
        pub current_uses: u32,
        /// shi2_path.
        pub path: WStrPtr,
        /// shi2_passwd (always null).
        pub passwd: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_501 (2.2.4.25).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo501 {
        /// shi501_netname.
        pub netname: WStrPtr,
        /// shi501_type.
        pub share_type: u32,
        /// shi501_remark.
        pub remark: WStrPtr,
        /// shi501_flags.
        pub flags: u32,
    }
}

ndr_struct! {
    /// SHARE_INFO_502_I (2.2.4.26).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo502 {
        /// shi502_netname.
        pub netname: WStrPtr,
        /// shi502_type.
        pub share_type: u32,
        /// shi502_remark.
        pub remark: WStrPtr,
        /// shi502_permissions.
        pub permissions: u32,
        /// shi502_max_uses.
        pub max_uses: u32,
        /// shi502_current_uses.
        pub current_uses: u32,
        /// shi502_path.
        pub path: WStrPtr,
        /// shi502_passwd (always null).
        pub passwd: WStrPtr,
        /// shi502_reserved: the descriptor's length.
        pub reserved: u32,
        /// `[size_is(shi502_reserved)] unsigned char* shi502_security_descriptor`.
        pub security_descriptor: Option<Vec<u8>>,
    }
}

ndr_struct! {
    /// SHARE_INFO_1005 (2.2.4.29).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1005 {
        /// shi1005_flags (the level 501 flags).
        pub flags: u32,
    }
}

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

pub mod host;
pub mod names;
pub mod sessions;
mod state;

pub use state::{
    ConnectionRecord, NoServerState, OpenRecord, ServerState, SessionRecord, TransportRecord,
};

container!(
    /// SHARE_INFO_0_CONTAINER.
    ShareInfo0Container,
    ShareInfo0
);
container!(
    /// SHARE_INFO_1_CONTAINER.
    ShareInfo1Container,
    ShareInfo1
);
container!(
    /// SHARE_INFO_2_CONTAINER.
    ShareInfo2Container,
    ShareInfo2
);
container!(
    /// SHARE_INFO_501_CONTAINER.
    ShareInfo501Container,
    ShareInfo501
);
container!(
    /// SHARE_INFO_502_CONTAINER.
    ShareInfo502Container,
    ShareInfo502
);

level_union! {
    /// SHARE_ENUM_UNION (2.2.4.38).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ShareEnumUnion {
        /// Level 0.
        0 => Level0(ShareInfo0Container),
        /// Level 1.
        1 => Level1(ShareInfo1Container),
        /// Level 2.
        2 => Level2(ShareInfo2Container),
        /// Level 501.
        501 => Level501(ShareInfo501Container),
        /// Level 502.
        502 => Level502(ShareInfo502Container),
    }
}

ndr_struct! {
    /// SHARE_ENUM_STRUCT (2.2.4.39).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ShareEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` ShareInfo.
        pub info: ShareEnumUnion,
    }
}

level_union! {
    /// SHARE_INFO (2.2.3.6), the answer of NetrShareGetInfo.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ShareInfo {
        /// Level 0.
        0 => Info0(ShareInfo0),
        /// Level 1.
        1 => Info1(ShareInfo1),
        /// Level 2.
        2 => Info2(ShareInfo2),
        /// Level 501.
        501 => Info501(ShareInfo501),
        /// Level 502.
        502 => Info502(ShareInfo502),
        /// Level 1005.
        1005 => Info1005(ShareInfo1005),
    }
}

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
    state: Arc<dyn ServerState>,
    /// The service's start, the origin of NetrRemoteTOD's `tod_msecs`.
    started: Instant,
}

impl std::fmt::Debug for SrvsvcInterface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrvsvcInterface")
            .field("identity", &self.identity)
            .finish()
    }
}

fn wstr_opt(s: &str) -> WStrPtr {
    (!s.is_empty()).then(|| WString::from(s))
}

/// Whether NetrShareEnum serves `level`, and whether it needs an administrator.
fn share_level(level: u32) -> Option<bool> {
    match level {
        0 | 1 | 501 => Some(false),
        2 | 502 => Some(true),
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

fn info2(s: &ShareRecord) -> ShareInfo2 {
    ShareInfo2 {
        netname: wstr(&s.name),
        share_type: s.share_type.0,
        remark: wstr(&s.comment),
        permissions: s.permissions,
        max_uses: s.max_uses,
        current_uses: s.current_uses,
        path: wstr_opt(&s.path),
        passwd: None,
    }
}

fn info502(s: &ShareRecord) -> ShareInfo502 {
    let i = info2(s);
    ShareInfo502 {
        netname: i.netname,
        share_type: i.share_type,
        remark: i.remark,
        permissions: i.permissions,
        max_uses: i.max_uses,
        current_uses: i.current_uses,
        path: i.path,
        passwd: None,
        reserved: s
            .security_descriptor
            .as_ref()
            .map_or(0, |d| vec_len(d.len())),
        security_descriptor: s.security_descriptor.clone(),
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
    /// srvsvc for `identity` over `shares`, with nothing connected ([`NoServerState`]).
    pub fn new(identity: ServerIdentity, shares: Arc<dyn ShareDatabase>) -> SrvsvcInterface {
        SrvsvcInterface {
            identity,
            shares,
            state: Arc::new(NoServerState),
            started: Instant::now(),
        }
    }

    /// Reads sessions, tree connects, open files and transports from `state`.
    pub fn with_state(mut self, state: Arc<dyn ServerState>) -> SrvsvcInterface {
        self.state = state;
        self
    }

    fn refused(&self, ctx: &CallContext) -> bool {
        ctx.is_anonymous() && !self.identity.allow_anonymous
    }

    fn enum_union(level: u32, shares: &[ShareRecord]) -> ShareEnumUnion {
        match level {
            0 => ShareEnumUnion::Level0(Some(ShareInfo0Container::of(
                shares
                    .iter()
                    .map(|s| ShareInfo0 {
                        netname: wstr(&s.name),
                    })
                    .collect(),
            ))),
            1 => ShareEnumUnion::Level1(Some(ShareInfo1Container::of(
                shares
                    .iter()
                    .map(|s| ShareInfo1 {
                        netname: wstr(&s.name),
                        share_type: s.share_type.0,
                        remark: wstr(&s.comment),
                    })
                    .collect(),
            ))),
            2 => ShareEnumUnion::Level2(Some(ShareInfo2Container::of(
                shares.iter().map(info2).collect(),
            ))),
            501 => ShareEnumUnion::Level501(Some(ShareInfo501Container::of(
                shares
                    .iter()
                    .map(|s| ShareInfo501 {
                        netname: wstr(&s.name),
                        share_type: s.share_type.0,
                        remark: wstr(&s.comment),
                        flags: s.flags,
                    })
                    .collect(),
            ))),
            502 => ShareEnumUnion::Level502(Some(ShareInfo502Container::of(
                shares.iter().map(info502).collect(),
            ))),
            other => ShareEnumUnion::Unknown(other),
        }
    }

    /// NetrShareEnum (every share) and NetrShareEnumSticky (the permanent ones: not the
    /// special shares such as IPC$), which differ in their levels.
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
                all.retain(|s| s.share_type.0 & ShareType::SPECIAL == 0);
            }
            let start = resume_index(resume, all.len());
            let total = vec_len(all.len());
            let out = ShareEnumStruct {
                level,
                info: Self::enum_union(level, &all[start..]),
            };
            (out, total, resume.map(|_| 0), status)
        } else {
            let out = ShareEnumStruct {
                level,
                info: Self::enum_union(level, &[]),
            };
            (out, 0, resume, status)
        };
        Ok(ndr::to_bytes(&response))
    }

    fn share_get_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, name, level): ShareGetInfoRequest = ctx.decode(stub)?;
        let empty = match level {
            0 => ShareInfo::Info0(None),
            1 => ShareInfo::Info1(None),
            2 => ShareInfo::Info2(None),
            501 => ShareInfo::Info501(None),
            502 => ShareInfo::Info502(None),
            1005 => ShareInfo::Info1005(None),
            other => ShareInfo::Unknown(other),
        };
        let fail = |status| Ok(ndr::to_bytes(&(empty.clone(), status)));
        let admin = match share_info_level(level) {
            _ if self.refused(ctx) => return fail(ERROR_ACCESS_DENIED),
            None => return fail(ERROR_INVALID_LEVEL),
            Some(admin) => admin,
        };
        if admin && !ctx.is_administrator() {
            return fail(ERROR_ACCESS_DENIED);
        }
        let Some(s) = self.shares.share(&name.0) else {
            return fail(NERR_NET_NAME_NOT_FOUND);
        };
        let info = match level {
            0 => ShareInfo::Info0(Some(ShareInfo0 {
                netname: wstr(&s.name),
            })),
            1 => ShareInfo::Info1(Some(ShareInfo1 {
                netname: wstr(&s.name),
                share_type: s.share_type.0,
                remark: wstr(&s.comment),
            })),
            2 => ShareInfo::Info2(Some(info2(&s))),
            501 => ShareInfo::Info501(Some(ShareInfo501 {
                netname: wstr(&s.name),
                share_type: s.share_type.0,
                remark: wstr(&s.comment),
                flags: s.flags,
            })),
            502 => ShareInfo::Info502(Some(info502(&s))),
            _ => ShareInfo::Info1005(Some(ShareInfo1005 { flags: s.flags })),
        };
        let response: ShareGetInfoResponse = (info, ERROR_SUCCESS);
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
            opnum::SHARE_CHECK => self.share_check(stub, ctx),
            opnum::SERVER_DISK_ENUM => host::disk_enum(self, stub, ctx),
            opnum::SERVER_TRANSPORT_ENUM => host::transport_enum(self, stub, ctx),
            opnum::REMOTE_TOD => host::remote_tod(self, stub, ctx),
            opnum::NAME_VALIDATE => names::name_validate(self, stub, ctx),
            opnum::SHARE_ENUM_STICKY => self.share_enum(stub, ctx, true),
            opnum::SHARE_ENUM => self.share_enum(stub, ctx, false),
            opnum::SHARE_GET_INFO => self.share_get_info(stub, ctx),
            opnum::SERVER_GET_INFO => self.server_get_info(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
