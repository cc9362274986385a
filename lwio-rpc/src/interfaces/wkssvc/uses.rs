//! The redirector's connections ("uses", `net use`) and the messenger: lwio runs neither
//! an SMB redirector nor a messenger service, so there is never a use to list, query or
//! delete, none can be made, and no message can be delivered.

use super::WkssvcInterface;
use super::info::USE_LOTS_OF_FORCE;
use super::types::params::*;
use super::types::*;
use crate::interfaces::win32::*;
use crate::ndr;
use crate::pdu::FaultStatus;
use crate::server::CallContext;

impl WkssvcInterface {
    /// NetrUseAdd (opnum 8): levels 1-3 name a connection to make, which needs a
    /// redirector (ERROR_NOT_SUPPORTED); level 0 is not an add level.
    pub(super) fn use_add(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, level, _info, parm_err): UseAddIn = ctx.decode(stub)?;
        let status = if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else if !(1..=3).contains(&level) {
            ERROR_INVALID_LEVEL
        } else {
            ERROR_NOT_SUPPORTED
        };
        Ok(ndr::to_bytes(&(parm_err, status)))
    }

    /// NetrUseGetInfo (opnum 9): no use exists (NERR_UseNotFound).
    pub(super) fn use_get_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, _use_name, level): UseGetInfoIn = ctx.decode(stub)?;
        let status = if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else if level > 3 {
            ERROR_INVALID_LEVEL
        } else {
            NERR_USE_NOT_FOUND
        };
        Ok(ndr::to_bytes(&(UseInfo::null(level), status)))
    }

    /// NetrUseDel (opnum 10): no use exists (NERR_UseNotFound).
    pub(super) fn use_del(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, _use_name, force): UseDelIn = ctx.decode(stub)?;
        let status = if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else if force > USE_LOTS_OF_FORCE {
            ERROR_INVALID_PARAMETER
        } else {
            NERR_USE_NOT_FOUND
        };
        Ok(ndr::to_bytes(&status))
    }

    /// NetrUseEnum (opnum 11): levels 0-2, always empty.
    pub(super) fn use_enum(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (_server, info, _pref_max, resume): UseEnumIn = ctx.decode(stub)?;
        let level = info.level;
        let union = match level {
            0 => UseEnumUnion::Level0(Some(UseInfo0Container::of(Vec::new()))),
            1 => UseEnumUnion::Level1(Some(UseInfo1Container::of(Vec::new()))),
            2 => UseEnumUnion::Level2(Some(UseInfo2Container::of(Vec::new()))),
            other => UseEnumUnion::Unknown(other),
        };
        let status = if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else if matches!(union, UseEnumUnion::Unknown(_)) {
            ERROR_INVALID_LEVEL
        } else {
            ERROR_SUCCESS
        };
        let union = if status == ERROR_SUCCESS {
            union
        } else {
            UseEnumUnion::null(level)
        };
        let out: UseEnumOut = (
            UseEnumStruct { level, info: union },
            0,
            resume.map(|_| 0),
            status,
        );
        Ok(ndr::to_bytes(&out))
    }

    /// NetrMessageBufferSend (opnum 12): no messenger service to deliver to.
    pub(super) fn message_buffer_send(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (_server, _to, _from, message, size): MessageBufferSendIn = ctx.decode(stub)?;
        if usize::try_from(size).ok() != Some(message.len()) {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let status = if self.refused(ctx) {
            ERROR_ACCESS_DENIED
        } else {
            ERROR_NOT_SUPPORTED
        };
        Ok(ndr::to_bytes(&status))
    }
}
