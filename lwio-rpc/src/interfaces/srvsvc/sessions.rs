//! Who is connected: NetrConnectionEnum (MS-SRVS 3.1.4.1, opnum 8), NetrFileEnum
//! (3.1.4.2, opnum 9) and NetrSessionEnum (3.1.4.5, opnum 12), read from the live
//! [`ServerState`](super::ServerState).
//!
//! Rules: connections, files and sessions (every level: they name other users and their
//! clients' addresses, which Windows since Server 2016 shows administrators only) are for
//! administrators; others get ERROR_ACCESS_DENIED. Every enumeration returns all
//! entries at once with a resume handle of 0.

use super::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_INVALID_PARAMETER, ERROR_SUCCESS,
    NERR_NET_NAME_NOT_FOUND,
};
use super::{
    ConnectionRecord, OpenRecord, SessionRecord, SrvsvcInterface, level_union, vec_len, wstr,
};
use crate::ndr::{self, WStrPtr};
use crate::ndr_struct;
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// NERR_ClientNameNotFound: no session from that computer.
pub const NERR_CLIENT_NAME_NOT_FOUND: u32 = 2312;
/// NERR_UserNotFound: no session of that user.
pub const NERR_USER_NOT_FOUND: u32 = 2221;

/// SESS_GUEST (sesi1_user_flags): the session is a guest logon.
pub const SESS_GUEST: u32 = 0x1;
/// PERM_FILE_READ (fi3_permissions).
pub const PERM_FILE_READ: u32 = 0x1;
/// PERM_FILE_WRITE.
pub const PERM_FILE_WRITE: u32 = 0x2;

ndr_struct! {
    /// SESSION_INFO_0 (2.2.4.15).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SessionInfo0 {
        /// sesi0_cname: `\\client`.
        pub cname: WStrPtr,
    }
}

ndr_struct! {
    /// SESSION_INFO_1 (2.2.4.16).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SessionInfo1 {
        /// sesi1_cname.
        pub cname: WStrPtr,
        /// sesi1_username.
        pub username: WStrPtr,
        /// sesi1_num_opens.
        pub num_opens: u32,
        /// sesi1_time: seconds since the logon.
        pub time: u32,
        /// sesi1_idle_time: seconds since the last request.
        pub idle_time: u32,
        /// sesi1_user_flags: SESS_GUEST, SESS_NOENCRYPTION.
        pub user_flags: u32,
    }
}

ndr_struct! {
    /// SESSION_INFO_2 (2.2.4.17).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SessionInfo2 {
        /// sesi2_cname.
        pub cname: WStrPtr,
        /// sesi2_username.
        pub username: WStrPtr,
        /// sesi2_num_opens.
        pub num_opens: u32,
        /// sesi2_time.
        pub time: u32,
        /// sesi2_idle_time.
        pub idle_time: u32,
        /// sesi2_user_flags.
        pub user_flags: u32,
        /// sesi2_cltype_name: the client's type (not known for SMB2 clients: empty).
        pub cltype_name: WStrPtr,
    }
}

ndr_struct! {
    /// SESSION_INFO_10 (2.2.4.18).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SessionInfo10 {
        /// sesi10_cname.
        pub cname: WStrPtr,
        /// sesi10_username.
        pub username: WStrPtr,
        /// sesi10_time.
        pub time: u32,
        /// sesi10_idle_time.
        pub idle_time: u32,
    }
}

ndr_struct! {
    /// SESSION_INFO_502 (2.2.4.19).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SessionInfo502 {
        /// sesi502_cname.
        pub cname: WStrPtr,
        /// sesi502_username.
        pub username: WStrPtr,
        /// sesi502_num_opens.
        pub num_opens: u32,
        /// sesi502_time.
        pub time: u32,
        /// sesi502_idle_time.
        pub idle_time: u32,
        /// sesi502_user_flags.
        pub user_flags: u32,
        /// sesi502_cltype_name.
        pub cltype_name: WStrPtr,
        /// sesi502_transport: the transport the session came in on.
        pub transport: WStrPtr,
    }
}

container!(
    /// SESSION_INFO_0_CONTAINER.
    SessionInfo0Container,
    SessionInfo0
);
container!(
    /// SESSION_INFO_1_CONTAINER.
    SessionInfo1Container,
    SessionInfo1
);
container!(
    /// SESSION_INFO_2_CONTAINER.
    SessionInfo2Container,
    SessionInfo2
);
container!(
    /// SESSION_INFO_10_CONTAINER.
    SessionInfo10Container,
    SessionInfo10
);
container!(
    /// SESSION_INFO_502_CONTAINER.
    SessionInfo502Container,
    SessionInfo502
);

level_union! {
    /// SESSION_ENUM_UNION (2.2.3.4).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum SessionEnumUnion {
        /// Level 0.
        0 => Level0(SessionInfo0Container),
        /// Level 1.
        1 => Level1(SessionInfo1Container),
        /// Level 2.
        2 => Level2(SessionInfo2Container),
        /// Level 10.
        10 => Level10(SessionInfo10Container),
        /// Level 502.
        502 => Level502(SessionInfo502Container),
    }
}

ndr_struct! {
    /// SESSION_ENUM_STRUCT (2.2.4.21).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SessionEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` SessionInfo.
        pub info: SessionEnumUnion,
    }
}

ndr_struct! {
    /// CONNECTION_INFO_0 (2.2.4.1).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ConnectionInfo0 {
        /// coni0_id.
        pub id: u32,
    }
}

ndr_struct! {
    /// CONNECTION_INFO_1 (2.2.4.2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ConnectionInfo1 {
        /// coni1_id.
        pub id: u32,
        /// coni1_type: the share type.
        pub conn_type: u32,
        /// coni1_num_opens.
        pub num_opens: u32,
        /// coni1_num_users.
        pub num_users: u32,
        /// coni1_time: seconds since the connection.
        pub time: u32,
        /// coni1_username.
        pub username: WStrPtr,
        /// coni1_netname: the share, or the client when the qualifier is a share.
        pub netname: WStrPtr,
    }
}

container!(
    /// CONNECT_INFO_0_CONTAINER.
    ConnectInfo0Container,
    ConnectionInfo0
);
container!(
    /// CONNECT_INFO_1_CONTAINER.
    ConnectInfo1Container,
    ConnectionInfo1
);

level_union! {
    /// CONNECT_ENUM_UNION (2.2.3.1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ConnectEnumUnion {
        /// Level 0.
        0 => Level0(ConnectInfo0Container),
        /// Level 1.
        1 => Level1(ConnectInfo1Container),
    }
}

ndr_struct! {
    /// CONNECT_ENUM_STRUCT (2.2.4.5).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ConnectEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` ConnectInfo.
        pub info: ConnectEnumUnion,
    }
}

ndr_struct! {
    /// FILE_INFO_2 (2.2.4.6).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct FileInfo2 {
        /// fi2_id.
        pub id: u32,
    }
}

ndr_struct! {
    /// FILE_INFO_3 (2.2.4.7).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct FileInfo3 {
        /// fi3_id.
        pub id: u32,
        /// fi3_permissions: PERM_FILE_*.
        pub permissions: u32,
        /// fi3_num_locks.
        pub num_locks: u32,
        /// fi3_pathname: the local path.
        pub pathname: WStrPtr,
        /// fi3_username.
        pub username: WStrPtr,
    }
}

container!(
    /// FILE_INFO_2_CONTAINER.
    FileInfo2Container,
    FileInfo2
);
container!(
    /// FILE_INFO_3_CONTAINER.
    FileInfo3Container,
    FileInfo3
);

level_union! {
    /// FILE_ENUM_UNION (2.2.3.2).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum FileEnumUnion {
        /// Level 2.
        2 => Level2(FileInfo2Container),
        /// Level 3.
        3 => Level3(FileInfo3Container),
    }
}

ndr_struct! {
    /// FILE_ENUM_STRUCT (2.2.4.10).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct FileEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` FileInfo.
        pub info: FileEnumUnion,
    }
}

/// NetrSessionEnum's `[in]` parameters: ServerName, ClientName, UserName, InfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type SessionEnumRequest = (
    WStrPtr,
    WStrPtr,
    WStrPtr,
    SessionEnumStruct,
    u32,
    Option<u32>,
);
/// NetrSessionEnum's `[out]` parameters and status: InfoStruct, TotalEntries, ResumeHandle.
pub type SessionEnumResponse = (SessionEnumStruct, u32, Option<u32>, u32);
/// NetrConnectionEnum's `[in]` parameters: ServerName, Qualifier, InfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type ConnectionEnumRequest = (WStrPtr, WStrPtr, ConnectEnumStruct, u32, Option<u32>);
/// NetrConnectionEnum's `[out]` parameters and status.
pub type ConnectionEnumResponse = (ConnectEnumStruct, u32, Option<u32>, u32);
/// NetrFileEnum's `[in]` parameters: ServerName, BasePath, UserName, InfoStruct,
/// PreferedMaximumLength, ResumeHandle.
pub type FileEnumRequest = (WStrPtr, WStrPtr, WStrPtr, FileEnumStruct, u32, Option<u32>);
/// NetrFileEnum's `[out]` parameters and status.
pub type FileEnumResponse = (FileEnumStruct, u32, Option<u32>, u32);

/// `\\client`, the form the `cname` members carry.
fn unc(client: &str) -> String {
    format!(r"\\{client}")
}

/// A client name argument (`\\host` or `host`) against a session's client.
pub(super) fn same_client(arg: &str, client: &str) -> bool {
    arg.trim_start_matches('\\').eq_ignore_ascii_case(client)
}

/// A non-empty optional string argument.
pub(super) fn arg(p: &WStrPtr) -> Option<&str> {
    p.as_ref().map(|s| s.0.as_str()).filter(|s| !s.is_empty())
}

fn session_union(level: u32, sessions: &[SessionRecord], transport: &str) -> SessionEnumUnion {
    let flags = |s: &SessionRecord| if s.guest { SESS_GUEST } else { 0 };
    match level {
        0 => SessionEnumUnion::Level0(Some(SessionInfo0Container::of(
            sessions
                .iter()
                .map(|s| SessionInfo0 {
                    cname: wstr(&unc(&s.client)),
                })
                .collect(),
        ))),
        1 => SessionEnumUnion::Level1(Some(SessionInfo1Container::of(
            sessions
                .iter()
                .map(|s| SessionInfo1 {
                    cname: wstr(&unc(&s.client)),
                    username: wstr(&s.user),
                    num_opens: s.open_count(),
                    time: s.seconds,
                    idle_time: s.idle_seconds,
                    user_flags: flags(s),
                })
                .collect(),
        ))),
        2 => SessionEnumUnion::Level2(Some(SessionInfo2Container::of(
            sessions
                .iter()
                .map(|s| SessionInfo2 {
                    cname: wstr(&unc(&s.client)),
                    username: wstr(&s.user),
                    num_opens: s.open_count(),
                    time: s.seconds,
                    idle_time: s.idle_seconds,
                    user_flags: flags(s),
                    cltype_name: wstr(""),
                })
                .collect(),
        ))),
        10 => SessionEnumUnion::Level10(Some(SessionInfo10Container::of(
            sessions
                .iter()
                .map(|s| SessionInfo10 {
                    cname: wstr(&unc(&s.client)),
                    username: wstr(&s.user),
                    time: s.seconds,
                    idle_time: s.idle_seconds,
                })
                .collect(),
        ))),
        502 => SessionEnumUnion::Level502(Some(SessionInfo502Container::of(
            sessions
                .iter()
                .map(|s| SessionInfo502 {
                    cname: wstr(&unc(&s.client)),
                    username: wstr(&s.user),
                    num_opens: s.open_count(),
                    time: s.seconds,
                    idle_time: s.idle_seconds,
                    user_flags: flags(s),
                    cltype_name: wstr(""),
                    transport: wstr(transport),
                })
                .collect(),
        ))),
        other => SessionEnumUnion::Unknown(other),
    }
}

/// NetrSessionEnum.
pub(super) fn session_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, client, user, info, _max, resume): SessionEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let fail = |status| -> Result<Vec<u8>, FaultStatus> {
        let out = SessionEnumStruct {
            level,
            info: SessionEnumUnion::null(level),
        };
        let response: SessionEnumResponse = (out, 0, resume, status);
        Ok(ndr::to_bytes(&response))
    };
    // Every level names other users' clients (and, from 1 up, their activity): since
    // Windows Server 2016 only administrators may list sessions (the SrvsvcSessionInfo
    // object's default descriptor), whatever the level.
    if !matches!(level, 0 | 1 | 2 | 10 | 502) {
        return fail(if srv.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else {
            ERROR_INVALID_LEVEL
        });
    }
    if srv.refused(ctx) || !ctx.is_administrator() {
        return fail(ERROR_ACCESS_DENIED);
    }
    let mut sessions = srv.state.sessions();
    if let Some(c) = arg(&client) {
        sessions.retain(|s| same_client(c, &s.client));
        if sessions.is_empty() {
            return fail(NERR_CLIENT_NAME_NOT_FOUND);
        }
    }
    if let Some(u) = arg(&user) {
        sessions.retain(|s| s.user.eq_ignore_ascii_case(u));
        if sessions.is_empty() {
            return fail(NERR_USER_NOT_FOUND);
        }
    }
    let transport = srv
        .state
        .transports()
        .first()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let total = vec_len(sessions.len());
    let out = SessionEnumStruct {
        level,
        info: session_union(level, &sessions, &transport),
    };
    let response: SessionEnumResponse = (out, total, resume.map(|_| 0), ERROR_SUCCESS);
    Ok(ndr::to_bytes(&response))
}

/// One row of NetrConnectionEnum: the tree, its session, and the name to report as
/// `coni1_netname`.
struct ConnRow<'a> {
    session: &'a SessionRecord,
    tree: &'a ConnectionRecord,
    netname: String,
}

/// NetrConnectionEnum.
pub(super) fn connection_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, qualifier, info, _max, resume): ConnectionEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let fail = |status| -> Result<Vec<u8>, FaultStatus> {
        let out = ConnectEnumStruct {
            level,
            info: ConnectEnumUnion::null(level),
        };
        let response: ConnectionEnumResponse = (out, 0, resume, status);
        Ok(ndr::to_bytes(&response))
    };
    if srv.refused(ctx) || !ctx.is_administrator() {
        return fail(ERROR_ACCESS_DENIED);
    }
    if !matches!(level, 0 | 1) {
        return fail(ERROR_INVALID_LEVEL);
    }
    // The qualifier names a client computer (`\\host`: its connections, netname the
    // share) or a share (its connections, netname the client); it is required.
    let Some(q) = arg(&qualifier) else {
        return fail(ERROR_INVALID_PARAMETER);
    };
    let sessions = srv.state.sessions();
    let mut rows = Vec::new();
    if q.starts_with(r"\\") {
        for s in sessions.iter().filter(|s| same_client(q, &s.client)) {
            for t in &s.connections {
                rows.push(ConnRow {
                    session: s,
                    tree: t,
                    netname: t.share.clone(),
                });
            }
        }
        if rows.is_empty() && !sessions.iter().any(|s| same_client(q, &s.client)) {
            return fail(NERR_CLIENT_NAME_NOT_FOUND);
        }
    } else {
        if srv.shares.share(q).is_none() {
            return fail(NERR_NET_NAME_NOT_FOUND);
        }
        for s in &sessions {
            for t in s
                .connections
                .iter()
                .filter(|t| t.share.eq_ignore_ascii_case(q))
            {
                rows.push(ConnRow {
                    session: s,
                    tree: t,
                    netname: unc(&s.client),
                });
            }
        }
    }
    let total = vec_len(rows.len());
    let union = if level == 0 {
        ConnectEnumUnion::Level0(Some(ConnectInfo0Container::of(
            rows.iter()
                .map(|r| ConnectionInfo0 { id: r.tree.id })
                .collect(),
        )))
    } else {
        ConnectEnumUnion::Level1(Some(ConnectInfo1Container::of(
            rows.iter()
                .map(|r| ConnectionInfo1 {
                    id: r.tree.id,
                    conn_type: srv
                        .shares
                        .share(&r.tree.share)
                        .map_or(0, |s| s.share_type.0 & !super::ShareType::SPECIAL),
                    num_opens: vec_len(r.tree.opens.len()),
                    num_users: 1,
                    time: r.tree.seconds,
                    username: wstr(&r.session.user),
                    netname: wstr(&r.netname),
                })
                .collect(),
        )))
    };
    let out = ConnectEnumStruct { level, info: union };
    let response: ConnectionEnumResponse = (out, total, resume.map(|_| 0), ERROR_SUCCESS);
    Ok(ndr::to_bytes(&response))
}

/// PERM_FILE_* for an access mask: PERM_FILE_READ for read data, PERM_FILE_WRITE for write
/// or append data.
pub(crate) fn file_permissions(granted: u32) -> u32 {
    const READ_DATA: u32 = 0x1;
    const WRITE_DATA: u32 = 0x2;
    const APPEND_DATA: u32 = 0x4;
    let mut p = 0;
    if granted & READ_DATA != 0 {
        p |= PERM_FILE_READ;
    }
    if granted & (WRITE_DATA | APPEND_DATA) != 0 {
        p |= PERM_FILE_WRITE;
    }
    p
}

/// The local path of `open` on `share`: the share's path joined with the open's name, or
/// `\PIPE\name` for a pipe on a share without a path (IPC$).
fn local_path(srv: &SrvsvcInterface, share: &str, open: &OpenRecord) -> String {
    let root = srv.shares.share(share).map(|s| s.path).unwrap_or_default();
    if root.is_empty() {
        return format!(r"\PIPE\{}", open.name);
    }
    let unix = root.starts_with('/');
    let sep = if unix { '/' } else { '\\' };
    let rel = if unix {
        open.name.replace('\\', "/")
    } else {
        open.name.clone()
    };
    if rel.is_empty() {
        root
    } else {
        format!("{}{sep}{rel}", root.trim_end_matches(sep))
    }
}

/// NetrFileEnum.
pub(super) fn file_enum(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, base, user, info, _max, resume): FileEnumRequest = ctx.decode(stub)?;
    let level = info.level;
    if info.info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    let fail = |status| -> Result<Vec<u8>, FaultStatus> {
        let out = FileEnumStruct {
            level,
            info: FileEnumUnion::null(level),
        };
        let response: FileEnumResponse = (out, 0, resume, status);
        Ok(ndr::to_bytes(&response))
    };
    if srv.refused(ctx) || !ctx.is_administrator() {
        return fail(ERROR_ACCESS_DENIED);
    }
    if !matches!(level, 2 | 3) {
        return fail(ERROR_INVALID_LEVEL);
    }
    let mut files = Vec::new();
    for s in srv.state.sessions() {
        if arg(&user).is_some_and(|u| !s.user.eq_ignore_ascii_case(u)) {
            continue;
        }
        for t in &s.connections {
            for o in &t.opens {
                let path = local_path(srv, &t.share, o);
                if arg(&base).is_some_and(|b| !path.starts_with(b)) {
                    continue;
                }
                files.push(FileInfo3 {
                    id: o.id,
                    permissions: file_permissions(o.granted),
                    num_locks: o.locks,
                    pathname: wstr(&path),
                    username: wstr(&s.user),
                });
            }
        }
    }
    let total = vec_len(files.len());
    let union = if level == 2 {
        FileEnumUnion::Level2(Some(FileInfo2Container::of(
            files.iter().map(|f| FileInfo2 { id: f.id }).collect(),
        )))
    } else {
        FileEnumUnion::Level3(Some(FileInfo3Container::of(files)))
    };
    let out = FileEnumStruct { level, info: union };
    let response: FileEnumResponse = (out, total, resume.map(|_| 0), ERROR_SUCCESS);
    Ok(ndr::to_bytes(&response))
}
