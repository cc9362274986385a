//! wkssvc, the Workstation Service Remote Protocol (MS-WKST;
//! `6bffd098-a112-3610-9833-46c3f87e345a` v1.0, `\pipe\wkssvc`), as a standalone server
//! that is not joined to a domain and runs no SMB redirector answers it.
//!
//! | opnum | operation | answer |
//! |---|---|---|
//! | 0 | NetrWkstaGetInfo | levels 100 and 101; 102 (with the logged-on user count) and 502 for Administrators, Server and Print Operators |
//! | 2 | NetrWkstaUserEnum | administrators; levels 0 and 1: the users of [`LogonSessions`] |
//! | 3 | NetrWkstaUserGetInfo | 0/1: ERROR_NO_SUCH_LOGON_SESSION (a network caller has no interactive logon); 1101: no other domains |
//! | 5 | NetrWkstaTransportEnum | level 0: the transports the SMB service is bound to |
//! | 6 | NetrWkstaTransportAdd | administrators; no redirector to bind: ERROR_INVALID_PARAMETER for an unknown device |
//! | 7 | NetrWkstaTransportDel | administrators; a transport not bound is already unbound (success) |
//! | 8-11 | NetrUseAdd/GetInfo/Del/Enum | no redirector, so no uses: empty enumerations, NERR_UseNotFound, ERROR_NOT_SUPPORTED for adds |
//! | 12 | NetrMessageBufferSend | ERROR_NOT_SUPPORTED: no messenger service |
//! | 13 | NetrWorkstationStatisticsGet | STAT_WORKSTATION_0: the start time, every redirector counter zero |
//! | 14, 15 | NetrLogonDomainNameAdd/Del | ERROR_NOT_SUPPORTED |
//! | 16-19, 21 | NetrJoinDomain, NetrUnjoinDomain, NetrRenameMachineInDomain, NetrValidateName, NetrGetJoinableOUs | ERROR_NOT_SUPPORTED (the cleartext-password forms; MS-WKST has clients use the `2` forms) |
//! | 20 | NetrGetJoinInformation | the workgroup name, NetSetupWorkgroupName |
//! | 25, 26 | NetrValidateName2, NetrGetJoinableOUs2 | RPC_E_REMOTE_DISABLED: not offered to remote callers |
//! | 27, 28 | NetrAdd/RemoveAlternateComputerName | administrators; the alternate names, kept in memory |
//! | 30 | NetrEnumerateComputerNames | the primary name, the alternates, or both |
//!
//! Opnums not listed (set-info, the `2` join/unjoin/rename forms that change the
//! machine's membership, NetrSetPrimaryComputername) fault with `nca_s_op_rng_error`.
//! The anonymous logon is refused every operation with ERROR_ACCESS_DENIED unless
//! [`ServerIdentity::allow_anonymous`].

mod info;
mod names;
pub mod types;
mod uses;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use lwio_core::Sid;
use parking_lot::RwLock;

use super::ServerIdentity;
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{SyntaxId, Uuid};

pub use info::{INFO_502_DEFAULTS, TRANSPORT_NAME_PARMNUM};
pub use names::{NETBIOS_NAME_MAX, valid_computer_name};
pub use types::*;

/// NetrWkstaGetInfo's `[in]` parameters: ServerName, Level.
pub type WkstaGetInfoRequest = params::GetInfoIn;
/// NetrWkstaGetInfo's `[out]` parameter and return value.
pub type WkstaGetInfoResponse = params::GetInfoOut;

/// The wkssvc interface identifier, version 1.0.
pub const WKSSVC_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x6bff_d098,
        0xa112,
        0x3610,
        [0x98, 0x33, 0x46, 0xc3, 0xf8, 0x7e, 0x34, 0x5a],
    ),
    1,
    0,
);

/// The pipe name of wkssvc.
pub const WKSSVC_PIPE: &str = "wkssvc";

/// NetrWkstaGetInfo's opnum.
pub const NETR_WKSTA_GET_INFO: u16 = 0;

/// Opnums of wkssvc (MS-WKST 3.2.4).
pub mod opnum {
    /// NetrWkstaGetInfo.
    pub const WKSTA_GET_INFO: u16 = 0;
    /// NetrWkstaUserEnum.
    pub const WKSTA_USER_ENUM: u16 = 2;
    /// NetrWkstaUserGetInfo.
    pub const WKSTA_USER_GET_INFO: u16 = 3;
    /// NetrWkstaTransportEnum.
    pub const WKSTA_TRANSPORT_ENUM: u16 = 5;
    /// NetrWkstaTransportAdd.
    pub const WKSTA_TRANSPORT_ADD: u16 = 6;
    /// NetrWkstaTransportDel.
    pub const WKSTA_TRANSPORT_DEL: u16 = 7;
    /// NetrUseAdd.
    pub const USE_ADD: u16 = 8;
    /// NetrUseGetInfo.
    pub const USE_GET_INFO: u16 = 9;
    /// NetrUseDel.
    pub const USE_DEL: u16 = 10;
    /// NetrUseEnum.
    pub const USE_ENUM: u16 = 11;
    /// NetrMessageBufferSend.
    pub const MESSAGE_BUFFER_SEND: u16 = 12;
    /// NetrWorkstationStatisticsGet.
    pub const WORKSTATION_STATISTICS_GET: u16 = 13;
    /// NetrLogonDomainNameAdd.
    pub const LOGON_DOMAIN_NAME_ADD: u16 = 14;
    /// NetrLogonDomainNameDel.
    pub const LOGON_DOMAIN_NAME_DEL: u16 = 15;
    /// NetrJoinDomain.
    pub const JOIN_DOMAIN: u16 = 16;
    /// NetrUnjoinDomain.
    pub const UNJOIN_DOMAIN: u16 = 17;
    /// NetrRenameMachineInDomain.
    pub const RENAME_MACHINE_IN_DOMAIN: u16 = 18;
    /// NetrValidateName.
    pub const VALIDATE_NAME: u16 = 19;
    /// NetrGetJoinInformation.
    pub const GET_JOIN_INFORMATION: u16 = 20;
    /// NetrGetJoinableOUs.
    pub const GET_JOINABLE_OUS: u16 = 21;
    /// NetrValidateName2.
    pub const VALIDATE_NAME2: u16 = 25;
    /// NetrGetJoinableOUs2.
    pub const GET_JOINABLE_OUS2: u16 = 26;
    /// NetrAddAlternateComputerName.
    pub const ADD_ALTERNATE_COMPUTER_NAME: u16 = 27;
    /// NetrRemoveAlternateComputerName.
    pub const REMOVE_ALTERNATE_COMPUTER_NAME: u16 = 28;
    /// NetrEnumerateComputerNames.
    pub const ENUMERATE_COMPUTER_NAMES: u16 = 30;
}

/// A user logged on to the machine, as NetrWkstaUserEnum lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggedOnUser {
    /// The account name.
    pub user_name: String,
    /// The domain that authenticated it.
    pub logon_domain: String,
    /// The server that authenticated it.
    pub logon_server: String,
}

/// Where NetrWkstaUserEnum and the level-102 user count come from: the logons the
/// embedding server knows (an SMB server: its sessions).
pub trait LogonSessions: Send + Sync {
    /// The users logged on now.
    fn logged_on(&self) -> Vec<LoggedOnUser>;
}

/// No logons known.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLogons;

impl LogonSessions for NoLogons {
    fn logged_on(&self) -> Vec<LoggedOnUser> {
        Vec::new()
    }
}

/// A transport the SMB service is bound to, as NetrWkstaTransportEnum lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// The device name (`\Device\NetbiosSmb`).
    pub name: String,
    /// The transport address as hexadecimal digits (the adapter's MAC address when
    /// known, zeros otherwise).
    pub address: String,
    /// Whether it is a wide-area link.
    pub wan_link: bool,
}

impl Transport {
    /// Direct-hosted SMB over TCP (port 445): Windows' `\Device\NetbiosSmb`.
    pub fn direct_tcp() -> Transport {
        Transport {
            name: r"\Device\NetbiosSmb".into(),
            address: "000000000000".into(),
            wan_link: false,
        }
    }
}

/// The most alternate computer names kept.
pub const MAX_ALTERNATE_NAMES: usize = 32;

/// The wkssvc server.
pub struct WkssvcInterface {
    identity: ServerIdentity,
    logons: Arc<dyn LogonSessions>,
    transports: Vec<Transport>,
    alternate_names: RwLock<Vec<String>>,
    /// When the service started, as a FILETIME.
    started: u64,
}

impl std::fmt::Debug for WkssvcInterface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WkssvcInterface")
            .field("identity", &self.identity)
            .field("transports", &self.transports)
            .field("alternate_names", &*self.alternate_names.read())
            .finish()
    }
}

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 11_644_473_600;

fn filetime_now() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (since.as_secs() + FILETIME_UNIX_OFFSET) * 10_000_000 + u64::from(since.subsec_nanos() / 100)
}

impl WkssvcInterface {
    /// wkssvc for `identity`, knowing no logons, bound to direct-hosted TCP.
    pub fn new(identity: ServerIdentity) -> WkssvcInterface {
        WkssvcInterface {
            identity,
            logons: Arc::new(NoLogons),
            transports: vec![Transport::direct_tcp()],
            alternate_names: RwLock::new(Vec::new()),
            started: filetime_now(),
        }
    }

    /// Takes the logged-on users from `logons`.
    #[must_use]
    pub fn with_logons(mut self, logons: Arc<dyn LogonSessions>) -> WkssvcInterface {
        self.logons = logons;
        self
    }

    /// Replaces the transports listed.
    #[must_use]
    pub fn with_transports(mut self, transports: Vec<Transport>) -> WkssvcInterface {
        self.transports = transports;
        self
    }

    /// The alternate computer names added so far.
    pub fn alternate_names(&self) -> Vec<String> {
        self.alternate_names.read().clone()
    }

    /// True when the caller may not call at all (the anonymous logon, unless allowed).
    fn refused(&self, ctx: &CallContext) -> bool {
        ctx.is_anonymous() && !self.identity.allow_anonymous
    }
}

/// Whether the caller may read what Windows reserves to operators — NetrWkstaGetInfo
/// levels 102 and 502 (who is logged on, the redirector's configuration): members of
/// Administrators, Server Operators (S-1-5-32-549) or Print Operators (S-1-5-32-550).
fn is_operator(ctx: &CallContext) -> bool {
    ctx.is_administrator()
        || [SERVER_OPERATORS_RID, PRINT_OPERATORS_RID]
            .iter()
            .any(|rid| {
                Sid::new(BUILTIN_AUTHORITY, &[BUILTIN_RID, *rid])
                    .is_ok_and(|sid| ctx.token.contains_sid(&sid))
            })
}

/// SECURITY_NT_AUTHORITY.
const BUILTIN_AUTHORITY: u64 = 5;
/// SECURITY_BUILTIN_DOMAIN_RID (S-1-5-32).
const BUILTIN_RID: u32 = 32;
/// DOMAIN_ALIAS_RID_SYSTEM_OPS: Server Operators.
const SERVER_OPERATORS_RID: u32 = 549;
/// DOMAIN_ALIAS_RID_PRINT_OPS: Print Operators.
const PRINT_OPERATORS_RID: u32 = 550;

impl WkssvcInterface {
    /// The refusal of an operators-only request, if any.
    fn operators_only(&self, ctx: &CallContext) -> bool {
        self.refused(ctx) || !is_operator(ctx)
    }
}

impl Interface for WkssvcInterface {
    fn syntax(&self) -> SyntaxId {
        WKSSVC_SYNTAX
    }

    fn name(&self) -> &str {
        "wkssvc"
    }

    /// Every handler reads its stub through [`CallContext::decode`]/[`CallContext::reader`].
    fn reads_big_endian(&self) -> bool {
        true
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        use crate::interfaces::win32::{ERROR_NOT_SUPPORTED, RPC_E_REMOTE_DISABLED};
        use crate::ndr::WString;
        use opnum::*;
        use params::*;
        CallOutcome::Ready(match op {
            WKSTA_GET_INFO => self.get_info(stub, ctx),
            WKSTA_USER_ENUM => self.user_enum(stub, ctx),
            WKSTA_USER_GET_INFO => self.user_get_info(stub, ctx),
            WKSTA_TRANSPORT_ENUM => self.transport_enum(stub, ctx),
            WKSTA_TRANSPORT_ADD => self.transport_add(stub, ctx),
            WKSTA_TRANSPORT_DEL => self.transport_del(stub, ctx),
            WORKSTATION_STATISTICS_GET => self.statistics_get(stub, ctx),
            USE_ADD => self.use_add(stub, ctx),
            USE_GET_INFO => self.use_get_info(stub, ctx),
            USE_DEL => self.use_del(stub, ctx),
            USE_ENUM => self.use_enum(stub, ctx),
            MESSAGE_BUFFER_SEND => self.message_buffer_send(stub, ctx),
            LOGON_DOMAIN_NAME_ADD | LOGON_DOMAIN_NAME_DEL => {
                self.decode_and_refuse::<WString>(stub, ctx, ERROR_NOT_SUPPORTED)
            }
            JOIN_DOMAIN => self.decode_and_refuse::<JoinDomainIn>(stub, ctx, ERROR_NOT_SUPPORTED),
            UNJOIN_DOMAIN => {
                self.decode_and_refuse::<UnjoinDomainIn>(stub, ctx, ERROR_NOT_SUPPORTED)
            }
            RENAME_MACHINE_IN_DOMAIN => {
                self.decode_and_refuse::<RenameMachineIn>(stub, ctx, ERROR_NOT_SUPPORTED)
            }
            VALIDATE_NAME => {
                self.decode_and_refuse::<ValidateNameIn>(stub, ctx, ERROR_NOT_SUPPORTED)
            }
            GET_JOIN_INFORMATION => self.get_join_information(stub, ctx),
            GET_JOINABLE_OUS => {
                self.get_joinable_ous::<GetJoinableOusIn>(stub, ctx, ERROR_NOT_SUPPORTED)
            }
            VALIDATE_NAME2 => {
                self.decode_and_refuse::<ValidateName2In>(stub, ctx, RPC_E_REMOTE_DISABLED)
            }
            GET_JOINABLE_OUS2 => {
                self.get_joinable_ous::<GetJoinableOus2In>(stub, ctx, RPC_E_REMOTE_DISABLED)
            }
            ADD_ALTERNATE_COMPUTER_NAME => self.add_alternate_name(stub, ctx),
            REMOVE_ALTERNATE_COMPUTER_NAME => self.remove_alternate_name(stub, ctx),
            ENUMERATE_COMPUTER_NAMES => self.enumerate_computer_names(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
