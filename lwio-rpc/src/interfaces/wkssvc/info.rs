//! Workstation information: NetrWkstaGetInfo, the user and transport enumerations,
//! NetrWkstaUserGetInfo, the transport add/delete of the (absent) redirector, and the
//! statistics.

use super::types::params::*;
use super::types::*;
use super::{LoggedOnUser, WkssvcInterface};
use crate::interfaces::win32::*;
use crate::interfaces::{PLATFORM_ID_NT, resume_index, vec_len, wstr};
use crate::ndr;
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// TRANSPORT_NAME_PARMNUM: the member of WKSTA_TRANSPORT_INFO_0 NetrWkstaTransportAdd
/// rejects when the transport is unknown.
pub const TRANSPORT_NAME_PARMNUM: u32 = 202;

/// The most ForceLevel may be (USE_LOTS_OF_FORCE).
pub(super) const USE_LOTS_OF_FORCE: u32 = 2;

/// WKSTA_INFO_502 as lwio reports it: the documented Windows defaults of the redirector
/// settings, in structure order (lwio has no redirector to tune; these describe no
/// behaviour of the SMB server).
pub const INFO_502_DEFAULTS: [u32; 35] = [
    3600,     // char_wait
    250,      // collection_time (ms)
    16,       // maximum_collection_count
    600,      // keep_connection (s)
    50,       // max_commands
    60,       // session_timeout (s)
    512,      // size_char_buf
    17,       // max_threads
    6144,     // lock_quota
    10,       // lock_increment
    500,      // lock_maximum
    10,       // pipe_increment
    500,      // pipe_maximum
    40,       // cache_file_timeout (s)
    1,        // dormant_file_limit
    u32::MAX, // read_ahead_throughput
    3,        // num_mailslot_buffers
    20,       // num_srv_announce_buffers
    5,        // max_illegal_datagram_events
    3600,     // illegal_datagram_event_reset_frequency (s)
    0,        // log_election_packets
    1,        // use_opportunistic_locking
    1,        // use_unlock_behind
    1,        // use_close_behind
    1,        // buf_named_pipes
    1,        // use_lock_read_unlock
    1,        // utilize_nt_caching
    1,        // use_raw_read
    1,        // use_raw_write
    0,        // use_write_raw_data
    1,        // use_encryption
    0,        // buf_files_deny_write
    0,        // buf_read_only_files
    0,        // force_core_create_mode
    0,        // use_512_byte_max_transfer
];

/// The entries from `resume` on (a resume handle is the index of the next entry), all in
/// one answer: the out handle is 0 (enumeration complete) when the caller passed one.
fn page<T>(items: Vec<T>, resume: Option<u32>) -> (Vec<T>, Option<u32>) {
    let start = resume_index(resume, items.len());
    let rest = items.into_iter().skip(start).collect();
    (rest, resume.map(|_| 0))
}

impl WkssvcInterface {
    /// NetrWkstaGetInfo (opnum 0): levels 100 and 101 for every caller, 102 and 502
    /// for operators (the user count and the redirector configuration).
    pub(super) fn get_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, level): GetInfoIn = ctx.decode(stub)?;
        let id = &self.identity;
        let privileged = matches!(level, 102 | 502);
        let out: GetInfoOut = if self.refused(ctx) || (privileged && self.operators_only(ctx)) {
            (WkstaInfo::null(level), ERROR_ACCESS_DENIED)
        } else {
            let name = wstr(&id.name);
            let group = wstr(&id.domain);
            let (major, minor) = id.version;
            let info = match level {
                100 => WkstaInfo::Info100(Some(WkstaInfo100 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: major,
                    ver_minor: minor,
                })),
                101 => WkstaInfo::Info101(Some(WkstaInfo101 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: major,
                    ver_minor: minor,
                    lan_root: None,
                })),
                102 => WkstaInfo::Info102(Some(WkstaInfo102 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: major,
                    ver_minor: minor,
                    lan_root: None,
                    logged_on_users: vec_len(self.logons.logged_on().len()),
                })),
                502 => WkstaInfo::Info502(Some(WkstaInfo502 {
                    values: INFO_502_DEFAULTS,
                })),
                other => WkstaInfo::Unknown(other),
            };
            let status = match info {
                WkstaInfo::Unknown(_) => ERROR_INVALID_LEVEL,
                _ => ERROR_SUCCESS,
            };
            (info, status)
        };
        Ok(ndr::to_bytes(&out))
    }

    /// NetrWkstaUserEnum (opnum 2): administrators only; the logged-on users, level 0
    /// (names) or 1 (with their logon domain and server).
    pub(super) fn user_enum(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, info, _pref_max, resume): UserEnumIn = ctx.decode(stub)?;
        let level = info.level;
        let failed = |status| {
            (
                UserEnumStruct {
                    level,
                    info: UserEnumUnion::null(level),
                },
                0,
                resume,
                status,
            )
        };
        let out: UserEnumOut = if self.refused(ctx) || !ctx.is_administrator() {
            failed(ERROR_ACCESS_DENIED)
        } else {
            let users = self.logons.logged_on();
            let total = vec_len(users.len());
            let (users, resume_out) = page(users, resume);
            let union = match level {
                0 => UserEnumUnion::Level0(Some(UserInfo0Container::of(
                    users
                        .iter()
                        .map(|u| WkstaUserInfo0 {
                            user_name: wstr(&u.user_name),
                        })
                        .collect(),
                ))),
                1 => UserEnumUnion::Level1(Some(UserInfo1Container::of(
                    users.iter().map(user_info1).collect(),
                ))),
                _ => UserEnumUnion::Unknown(level),
            };
            match union {
                UserEnumUnion::Unknown(_) => failed(ERROR_INVALID_LEVEL),
                union => (
                    UserEnumStruct { level, info: union },
                    total,
                    resume_out,
                    ERROR_SUCCESS,
                ),
            }
        };
        Ok(ndr::to_bytes(&out))
    }

    /// NetrWkstaUserGetInfo (opnum 3): about the caller's own interactive logon, which
    /// a caller over the network does not have; level 1101 (the other domains the
    /// workstation browses) has none to list.
    pub(super) fn user_get_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (unused, level): UserGetInfoIn = ctx.decode(stub)?;
        let out: UserGetInfoOut = if self.refused(ctx) {
            (WkstaUserInfo::null(level), ERROR_ACCESS_DENIED)
        } else if unused.is_some() {
            // The first parameter is reserved and MUST be null.
            (WkstaUserInfo::null(level), ERROR_INVALID_PARAMETER)
        } else {
            match level {
                0 | 1 => (WkstaUserInfo::null(level), ERROR_NO_SUCH_LOGON_SESSION),
                1101 => (
                    WkstaUserInfo::Info1101(Some(WkstaUserInfo1101 {
                        other_domains: wstr(""),
                    })),
                    ERROR_SUCCESS,
                ),
                other => (WkstaUserInfo::Unknown(other), ERROR_INVALID_LEVEL),
            }
        };
        Ok(ndr::to_bytes(&out))
    }

    /// NetrWkstaTransportEnum (opnum 5): the transports, level 0.
    pub(super) fn transport_enum(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, info, _pref_max, resume): TransportEnumIn = ctx.decode(stub)?;
        let level = info.level;
        let failed = |status| {
            (
                TransportEnumStruct {
                    level,
                    info: TransportEnumUnion::null(level),
                },
                0,
                resume,
                status,
            )
        };
        let out: TransportEnumOut = if self.refused(ctx) {
            failed(ERROR_ACCESS_DENIED)
        } else if level != 0 {
            failed(ERROR_INVALID_LEVEL)
        } else {
            let total = vec_len(self.transports.len());
            let (transports, resume_out) = page(self.transports.clone(), resume);
            let items = transports
                .iter()
                .map(|t| TransportInfo0 {
                    quality_of_service: 0,
                    vc_count: 0,
                    name: wstr(&t.name),
                    address: wstr(&t.address),
                    wan_link: u32::from(t.wan_link),
                })
                .collect();
            (
                TransportEnumStruct {
                    level,
                    info: TransportEnumUnion::Level0(Some(TransportInfo0Container::of(items))),
                },
                total,
                resume_out,
                ERROR_SUCCESS,
            )
        };
        Ok(ndr::to_bytes(&out))
    }

    /// NetrWkstaTransportAdd (opnum 6): administrators only. Binding the redirector to
    /// a transport device needs a redirector; a device that is not one of the bound
    /// transports is an invalid parameter (the transport name), one already bound a
    /// duplicate.
    pub(super) fn transport_add(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, level, info, parm_err): TransportAddIn = ctx.decode(stub)?;
        let mut parm_out = parm_err;
        let status = if self.refused(ctx) || !ctx.is_administrator() {
            ERROR_ACCESS_DENIED
        } else if level != 0 {
            ERROR_INVALID_LEVEL
        } else {
            let bound = info.name.as_ref().is_some_and(|n| {
                self.transports
                    .iter()
                    .any(|t| t.name.eq_ignore_ascii_case(&n.0))
            });
            if bound {
                ERROR_DUP_NAME
            } else {
                parm_out = parm_err.map(|_| TRANSPORT_NAME_PARMNUM);
                ERROR_INVALID_PARAMETER
            }
        };
        Ok(ndr::to_bytes(&(parm_out, status)))
    }

    /// NetrWkstaTransportDel (opnum 7): administrators only. A transport the redirector
    /// is not bound to is already in the state asked for; the transports the SMB service
    /// listens on are not the redirector's to unbind (ERROR_NOT_SUPPORTED).
    pub(super) fn transport_del(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, name, force): TransportDelIn = ctx.decode(stub)?;
        let status = if self.refused(ctx) || !ctx.is_administrator() {
            ERROR_ACCESS_DENIED
        } else {
            match name {
                None => ERROR_INVALID_PARAMETER,
                Some(_) if force > USE_LOTS_OF_FORCE => ERROR_INVALID_PARAMETER,
                Some(n)
                    if self
                        .transports
                        .iter()
                        .any(|t| t.name.eq_ignore_ascii_case(&n.0)) =>
                {
                    ERROR_NOT_SUPPORTED
                }
                Some(_) => ERROR_SUCCESS,
            }
        };
        Ok(ndr::to_bytes(&status))
    }

    /// NetrWorkstationStatisticsGet (opnum 13): level 0, options 0. The statistics start
    /// when the service started; every redirector counter is zero, as nothing goes
    /// through a redirector here.
    pub(super) fn statistics_get(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, _service, level, options): StatisticsGetIn = ctx.decode(stub)?;
        let out: StatisticsGetOut = if self.refused(ctx) {
            (None, ERROR_ACCESS_DENIED)
        } else if level != 0 {
            (None, ERROR_INVALID_LEVEL)
        } else if options != 0 {
            (None, ERROR_INVALID_PARAMETER)
        } else {
            let mut stats = StatWorkstation0::default();
            stats.large[0] = self.started;
            (Some(stats), ERROR_SUCCESS)
        };
        Ok(ndr::to_bytes(&out))
    }
}

fn user_info1(u: &LoggedOnUser) -> WkstaUserInfo1 {
    WkstaUserInfo1 {
        user_name: wstr(&u.user_name),
        logon_domain: wstr(&u.logon_domain),
        other_domains: wstr(""),
        logon_server: wstr(&u.logon_server),
    }
}
