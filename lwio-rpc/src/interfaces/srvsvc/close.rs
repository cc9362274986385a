//! Ending what the enumerations list: NetrFileClose (MS-SRVS 3.1.4.4, opnum 11) and
//! NetrSessionDel (3.1.4.6, opnum 13), acted on by the live
//! [`ServerState`](super::ServerState).
//!
//! Rules: administrators only (ERROR_ACCESS_DENIED otherwise, as for the enumerations).
//! NetrFileClose takes the id NetrFileEnum reports (`fi3_id`); an unknown one is
//! NERR_FileIdNotFound. NetrSessionDel ends every session matching the client (`\\host`,
//! as NetrSessionEnum's `sesi10_cname`) and the user it names; both missing is
//! ERROR_INVALID_PARAMETER, a client name not starting with `\\` too (3.1.4.6); no
//! session of that client is NERR_ClientNameNotFound, none of that user
//! NERR_UserNotFound. Guest sessions, which the enumeration does not list, are not ended.

use super::sessions::{NERR_CLIENT_NAME_NOT_FOUND, NERR_USER_NOT_FOUND, arg, same_client};
use super::win32::{ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, ERROR_SUCCESS};
use super::{SessionRecord, SrvsvcInterface};
use crate::ndr::{self, WStrPtr};
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// NERR_FileIdNotFound: no open file has that id.
pub const NERR_FILE_ID_NOT_FOUND: u32 = 2314;

/// NetrFileClose's `[in]` parameters: ServerName, FileId.
pub type FileCloseRequest = (WStrPtr, u32);
/// NetrSessionDel's `[in]` parameters: ServerName, ClientName, UserName.
pub type SessionDelRequest = (WStrPtr, WStrPtr, WStrPtr);

/// NetrFileClose.
pub(super) fn file_close(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, id): FileCloseRequest = ctx.decode(stub)?;
    let status = if srv.refused(ctx) || !ctx.is_administrator() {
        ERROR_ACCESS_DENIED
    } else if srv.state.close_file(id) {
        ERROR_SUCCESS
    } else {
        NERR_FILE_ID_NOT_FOUND
    };
    Ok(ndr::to_bytes(&status))
}

/// NetrSessionDel.
pub(super) fn session_del(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, client, user): SessionDelRequest = ctx.decode(stub)?;
    let status = if srv.refused(ctx) || !ctx.is_administrator() {
        ERROR_ACCESS_DENIED
    } else {
        delete(srv, arg(&client), arg(&user))
    };
    Ok(ndr::to_bytes(&status))
}

fn delete(srv: &SrvsvcInterface, client: Option<&str>, user: Option<&str>) -> u32 {
    if client.is_none() && user.is_none() || client.is_some_and(|c| !c.starts_with(r"\\")) {
        return ERROR_INVALID_PARAMETER;
    }
    let sessions = srv.state.sessions();
    let of_client = |s: &SessionRecord| client.is_none_or(|c| same_client(c, &s.client));
    if !sessions.iter().any(of_client) {
        return NERR_CLIENT_NAME_NOT_FOUND;
    }
    let chosen =
        |s: &SessionRecord| of_client(s) && user.is_none_or(|u| s.user.eq_ignore_ascii_case(u));
    if srv.state.delete_sessions(&chosen) == 0 {
        return NERR_USER_NOT_FOUND;
    }
    ERROR_SUCCESS
}
