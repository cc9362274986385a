//! wkssvc (MS-WKST; `6bffd098-a112-3610-9833-46c3f87e345a` v1.0, `\pipe\wkssvc`):
//! NetrWkstaGetInfo (opnum 0, 3.2.4.1) at levels 100, 101 and 102 (2.2.5.1-3). An unknown
//! level is ERROR_INVALID_LEVEL; the anonymous logon is refused with ERROR_ACCESS_DENIED
//! unless [`ServerIdentity::allow_anonymous`]. Other opnums fault with
//! `nca_s_op_rng_error`.

use super::win32::{ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_SUCCESS};
use super::{PLATFORM_ID_NT, ServerIdentity, decode_request, level_union};
use crate::ndr::{self, WStrPtr, WString};
use crate::pdu::FaultStatus;
use crate::server::{CallContext, CallOutcome, Interface};
use crate::{SyntaxId, Uuid, ndr_struct};

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

ndr_struct! {
    /// WKSTA_INFO_100 (2.2.5.1).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo100 {
        /// wki100_platform_id.
        pub platform_id: u32,
        /// wki100_computername.
        pub computer_name: WStrPtr,
        /// wki100_langroup.
        pub lan_group: WStrPtr,
        /// wki100_ver_major.
        pub ver_major: u32,
        /// wki100_ver_minor.
        pub ver_minor: u32,
    }
}

ndr_struct! {
    /// WKSTA_INFO_101 (2.2.5.2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo101 {
        /// wki101_platform_id.
        pub platform_id: u32,
        /// wki101_computername.
        pub computer_name: WStrPtr,
        /// wki101_langroup.
        pub lan_group: WStrPtr,
        /// wki101_ver_major.
        pub ver_major: u32,
        /// wki101_ver_minor.
        pub ver_minor: u32,
        /// wki101_lanroot.
        pub lan_root: WStrPtr,
    }
}

ndr_struct! {
    /// WKSTA_INFO_102 (2.2.5.3).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo102 {
        /// wki102_platform_id.
        pub platform_id: u32,
        /// wki102_computername.
        pub computer_name: WStrPtr,
        /// wki102_langroup.
        pub lan_group: WStrPtr,
        /// wki102_ver_major.
        pub ver_major: u32,
        /// wki102_ver_minor.
        pub ver_minor: u32,
        /// wki102_lanroot.
        pub lan_root: WStrPtr,
        /// wki102_logged_on_users.
        pub logged_on_users: u32,
    }
}

level_union! {
    /// WKSTA_INFO (2.2.4.1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum WkstaInfo {
        /// Level 100.
        100 => Info100(WkstaInfo100),
        /// Level 101.
        101 => Info101(WkstaInfo101),
        /// Level 102.
        102 => Info102(WkstaInfo102),
    }
}

/// NetrWkstaGetInfo's `[in]` parameters: ServerName, Level.
pub type WkstaGetInfoRequest = (WStrPtr, u32);
/// NetrWkstaGetInfo's `[out]` parameter and return value.
pub type WkstaGetInfoResponse = (WkstaInfo, u32);

/// The wkssvc server.
#[derive(Debug, Clone)]
pub struct WkssvcInterface {
    identity: ServerIdentity,
}

impl WkssvcInterface {
    /// wkssvc for `identity`.
    pub fn new(identity: ServerIdentity) -> WkssvcInterface {
        WkssvcInterface { identity }
    }

    fn get_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, level): WkstaGetInfoRequest = decode_request(stub)?;
        let id = &self.identity;
        let name = Some(WString::from(id.name.as_str()));
        let group = Some(WString::from(id.domain.as_str()));
        let refused = ctx.is_anonymous() && !id.allow_anonymous;
        let response: WkstaGetInfoResponse = match level {
            100 if refused => (WkstaInfo::Info100(None), ERROR_ACCESS_DENIED),
            101 if refused => (WkstaInfo::Info101(None), ERROR_ACCESS_DENIED),
            102 if refused => (WkstaInfo::Info102(None), ERROR_ACCESS_DENIED),
            100 => (
                WkstaInfo::Info100(Some(WkstaInfo100 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: id.version.0,
                    ver_minor: id.version.1,
                })),
                ERROR_SUCCESS,
            ),
            101 => (
                WkstaInfo::Info101(Some(WkstaInfo101 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: id.version.0,
                    ver_minor: id.version.1,
                    lan_root: None,
                })),
                ERROR_SUCCESS,
            ),
            102 => (
                WkstaInfo::Info102(Some(WkstaInfo102 {
                    platform_id: PLATFORM_ID_NT,
                    computer_name: name,
                    lan_group: group,
                    ver_major: id.version.0,
                    ver_minor: id.version.1,
                    lan_root: None,
                    logged_on_users: 0,
                })),
                ERROR_SUCCESS,
            ),
            other if refused => (WkstaInfo::Unknown(other), ERROR_ACCESS_DENIED),
            other => (WkstaInfo::Unknown(other), ERROR_INVALID_LEVEL),
        };
        Ok(ndr::to_bytes(&response))
    }
}

impl Interface for WkssvcInterface {
    fn syntax(&self) -> SyntaxId {
        WKSSVC_SYNTAX
    }

    fn name(&self) -> &str {
        "wkssvc"
    }

    fn call(&self, op: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match op {
            NETR_WKSTA_GET_INFO => self.get_info(stub, ctx),
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })
    }
}
