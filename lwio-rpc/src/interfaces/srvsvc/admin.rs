//! Share administration: NetrShareAdd (MS-SRVS 3.1.4.7, opnum 14), NetrShareSetInfo
//! (3.1.4.11, opnum 17) and NetrShareDel (3.1.4.12, opnum 18).
//!
//! # Who may call
//!
//! Administrators only (BUILTIN\Administrators or LocalSystem; Windows also admits Server
//! Operators and Power Users, groups lwio does not have). Anyone else gets
//! ERROR_ACCESS_DENIED before any parameter is looked at, so a refused caller learns
//! nothing about which shares exist (3.1.4.7 <57>, 3.1.4.11 <67>, 3.1.4.12 <71>). A server
//! that gave srvsvc no [`ShareAdmin`] answers administrators ERROR_NOT_SUPPORTED.
//!
//! # What srvsvc checks, in order
//!
//! NetrShareAdd (levels 2, 502, 503):
//! 1. the level: ERROR_INVALID_LEVEL; a null structure: ERROR_INVALID_PARAMETER;
//! 2. `shi*_netname` empty or longer than 80 characters: ERROR_INVALID_PARAMETER with
//!    ParmErr SHARE_NETNAME_PARMNUM; a character a share name may not hold (NetprNameValidate
//!    with NAMETYPE_SHARE, 3.1.4.32): ERROR_INVALID_NAME; `pipe` or `mailslot`:
//!    ERROR_ACCESS_DENIED;
//! 3. a share of that name exists: NERR_DuplicateShare;
//! 4. ERROR_INVALID_PARAMETER with the ParmErr of the member at fault (2.2.2.11): a type
//!    that is not a known base type with known flags (SHARE_TYPE_PARMNUM); a descriptor
//!    that is not a valid self-relative security descriptor (SHARE_FILE_SD_PARMNUM); a path
//!    given for IPC$ or ADMIN$, a missing path for any other share, a path with a `.` or
//!    `..` component, or a disk share's path that is not absolute (SHARE_PATH_PARMNUM); a
//!    remark longer than 48 characters (SHARE_REMARK_PARMNUM); at level 503 a server name
//!    other than `*` or this server's (SHARE_SERVER_PARMNUM: lwio has no scoped shares);
//! 5. print queues, devices and IPC shares other than IPC$: ERROR_NOT_SUPPORTED (lwio
//!    serves disk shares and IPC$);
//! 6. [`ShareAdmin::add`]: the directory must exist (NERR_UnknownDevDir) and the caller
//!    reach it, and the name must still be free (NERR_DuplicateShare).
//!
//! NetrShareSetInfo (levels 1, 2, 502, 503, 1004, 1005, 1006, 1501; the name, type and path
//! a structure carries are ignored):
//! 1. an empty NetName: ERROR_INVALID_PARAMETER; the level: ERROR_INVALID_LEVEL; a null
//!    structure: ERROR_INVALID_PARAMETER;
//! 2. a remark longer than 48 characters (SHARE_REMARK_PARMNUM) or an invalid descriptor
//!    (SHARE_FILE_SD_PARMNUM): ERROR_INVALID_PARAMETER; level 1005 flags with
//!    SHI1005_FLAGS_ENABLE_HASH: ERROR_NOT_SUPPORTED (no BranchCache, <63>); with a bit
//!    MS-SRVS does not define: ERROR_INVALID_PARAMETER (the DFS bits are ignored);
//! 3. no such share: NERR_NetNameNotFound;
//! 4. a descriptor for a special share (IPC$, ADMIN$, C$): ERROR_INVALID_PARAMETER with
//!    SHARE_FILE_SD_PARMNUM; flags for a share that is not a disk share:
//!    ERROR_INVALID_PARAMETER (the implementation-specific error of <65>);
//! 5. [`ShareAdmin::set_info`].
//!
//! NetrShareDel: [`ShareAdmin::delete`] (NERR_NetNameNotFound for no such share). The
//! Reserved parameter is ignored.
//!
//! ParmErr is written only with ERROR_INVALID_PARAMETER and only when the client passed
//! one; otherwise it goes back as it came. A structure whose level differs from the
//! Level parameter, or whose descriptor's length differs from its `shi*_reserved`, is not
//! valid NDR for the call and faults with `nca_s_fault_ndr` (RPC_X_BAD_STUB_DATA).

use lwio_core::SecurityDescriptor;

use super::names::{self, name_type};
use super::share_info::{ShareInfo, shi1005};
use super::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER,
    ERROR_NOT_SUPPORTED, ERROR_SUCCESS, NERR_NET_NAME_NOT_FOUND,
};
use super::{
    NERR_DUPLICATE_SHARE, ShareAdmin, ShareRecord, ShareType, ShareUpdate, SrvsvcInterface,
};
use crate::ndr::{self, WStrPtr, WString};
use crate::pdu::FaultStatus;
use crate::server::CallContext;

/// ParmErr values (MS-SRVS 2.2.2.11): the member of a SHARE_INFO structure at fault.
pub mod parmnum {
    /// SHARE_NETNAME_PARMNUM.
    pub const NETNAME: u32 = 1;
    /// SHARE_TYPE_PARMNUM.
    pub const TYPE: u32 = 3;
    /// SHARE_REMARK_PARMNUM.
    pub const REMARK: u32 = 4;
    /// SHARE_PERMISSIONS_PARMNUM.
    pub const PERMISSIONS: u32 = 5;
    /// SHARE_MAX_USES_PARMNUM.
    pub const MAX_USES: u32 = 6;
    /// SHARE_CURRENT_USES_PARMNUM.
    pub const CURRENT_USES: u32 = 7;
    /// SHARE_PATH_PARMNUM.
    pub const PATH: u32 = 8;
    /// SHARE_PASSWD_PARMNUM.
    pub const PASSWD: u32 = 9;
    /// SHARE_FILE_SD_PARMNUM.
    pub const FILE_SD: u32 = 501;
    /// SHARE_SERVER_PARMNUM (shi503_servername).
    pub const SERVER: u32 = 503;
}

/// The longest share name (NNLEN).
pub const MAX_NETNAME: usize = 80;
/// The longest remark NetrShareAdd and NetrShareSetInfo accept (3.1.4.7, 3.1.4.11).
pub const MAX_REMARK: usize = 48;

/// NetrShareAdd's `[in]` parameters: ServerName, Level, InfoStruct, ParmErr.
pub type ShareAddRequest = (WStrPtr, u32, ShareInfo, Option<u32>);
/// NetrShareAdd's and NetrShareSetInfo's `[out]` ParmErr and status.
pub type ShareAdminResponse = (Option<u32>, u32);
/// NetrShareSetInfo's `[in]` parameters: ServerName, NetName, Level, ShareInfo, ParmErr.
pub type ShareSetInfoRequest = (WStrPtr, WString, u32, ShareInfo, Option<u32>);
/// NetrShareDel's `[in]` parameters: ServerName, NetName, Reserved.
pub type ShareDelRequest = (WStrPtr, WString, u32);

/// Why a call was refused: its status, and the member at fault for ParmErr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refusal {
    status: u32,
    parm: Option<u32>,
}

impl Refusal {
    fn status(status: u32) -> Refusal {
        Refusal { status, parm: None }
    }

    fn parameter(parm: u32) -> Refusal {
        Refusal {
            status: ERROR_INVALID_PARAMETER,
            parm: Some(parm),
        }
    }
}

/// The answer: the status, and ParmErr filled in for ERROR_INVALID_PARAMETER when the
/// client asked for it.
fn answer(result: Result<u32, Refusal>, parm_err: Option<u32>) -> Vec<u8> {
    let response: ShareAdminResponse = match result {
        Ok(status) => (parm_err, status),
        Err(r) => match (parm_err, r.parm) {
            (Some(_), Some(parm)) => (Some(parm), r.status),
            _ => (parm_err, r.status),
        },
    };
    ndr::to_bytes(&response)
}

/// The share administration behind srvsvc, for an administrator.
fn admin_for<'a>(
    srv: &'a SrvsvcInterface,
    ctx: &CallContext,
) -> Result<&'a dyn ShareAdmin, Refusal> {
    if srv.refused(ctx) || !ctx.is_administrator() {
        return Err(Refusal::status(ERROR_ACCESS_DENIED));
    }
    srv.admin
        .as_deref()
        .ok_or(Refusal::status(ERROR_NOT_SUPPORTED))
}

/// A structure's descriptor must be as long as its `shi*_reserved` says (`size_is`).
fn check_conformance(info: &ShareInfo) -> Result<(), FaultStatus> {
    let (reserved, sd) = match info {
        ShareInfo::Info502(Some(i)) => (i.reserved, &i.security_descriptor),
        ShareInfo::Info503(Some(i)) => (i.reserved, &i.security_descriptor),
        ShareInfo::Info1501(Some(i)) => (i.reserved, &i.security_descriptor),
        _ => return Ok(()),
    };
    let len = sd.as_ref().map_or(0, Vec::len);
    if sd.is_some() && usize::try_from(reserved).ok() != Some(len) {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    Ok(())
}

fn text(p: &WStrPtr) -> &str {
    p.as_ref().map_or("", |s| s.0.as_str())
}

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A descriptor as a share keeps it: none, or a valid self-relative one.
fn valid_descriptor(sd: &Option<Vec<u8>>) -> Result<Option<Vec<u8>>, Refusal> {
    match sd {
        None => Ok(None),
        Some(bytes) if bytes.is_empty() => Ok(None),
        Some(bytes) => match SecurityDescriptor::decode(bytes) {
            Ok(_) => Ok(Some(bytes.clone())),
            Err(_) => Err(Refusal::parameter(parmnum::FILE_SD)),
        },
    }
}

fn check_remark(remark: &str) -> Result<(), Refusal> {
    if units(remark) > MAX_REMARK {
        return Err(Refusal::parameter(parmnum::REMARK));
    }
    Ok(())
}

/// Whether `path` is absolute: `/...`, or a drive letter, a colon and a separator.
fn is_absolute(path: &str) -> bool {
    let b = path.as_bytes();
    path.starts_with('/')
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'))
}

/// The members of a level 2, 502 or 503 structure that NetrShareAdd and NetrShareSetInfo
/// read, before any check.
struct Members<'a> {
    netname: &'a str,
    share_type: u32,
    remark: &'a str,
    max_uses: u32,
    path: &'a str,
    /// The descriptor (levels 502 and 503).
    security_descriptor: Option<&'a Option<Vec<u8>>>,
    /// The scoping server name (level 503).
    servername: Option<&'a str>,
}

/// The members every one of the three structures has.
macro_rules! members {
    ($i:expr, $sd:expr, $server:expr) => {
        Members {
            netname: text(&$i.netname),
            share_type: $i.share_type,
            remark: text(&$i.remark),
            max_uses: $i.max_uses,
            path: text(&$i.path),
            security_descriptor: $sd,
            servername: $server,
        }
    };
}

impl<'a> Members<'a> {
    /// The members of `info` at level 2, 502 or 503 (ERROR_INVALID_PARAMETER for a null
    /// structure); `None` at any other level.
    fn of(info: &'a ShareInfo) -> Option<Result<Members<'a>, Refusal>> {
        Some(match info {
            ShareInfo::Info2(Some(i)) => Ok(members!(i, None, None)),
            ShareInfo::Info502(Some(i)) => Ok(members!(i, Some(&i.security_descriptor), None)),
            ShareInfo::Info503(Some(i)) => Ok(members!(
                i,
                Some(&i.security_descriptor),
                Some(text(&i.servername))
            )),
            ShareInfo::Info2(None) | ShareInfo::Info502(None) | ShareInfo::Info503(None) => {
                Err(Refusal::status(ERROR_INVALID_PARAMETER))
            }
            _ => return None,
        })
    }
}

/// The name checks of NetrShareAdd (step 2).
fn check_netname(name: &str) -> Result<(), Refusal> {
    if name.is_empty() || units(name) > MAX_NETNAME {
        return Err(Refusal::parameter(parmnum::NETNAME));
    }
    if names::validate(name, name_type::SHARE) != ERROR_SUCCESS {
        return Err(Refusal::status(ERROR_INVALID_NAME));
    }
    if name.eq_ignore_ascii_case("pipe") || name.eq_ignore_ascii_case("mailslot") {
        return Err(Refusal::status(ERROR_ACCESS_DENIED));
    }
    Ok(())
}

/// The structure checks of NetrShareAdd (step 4): the record to add.
fn check_new_share(srv: &SrvsvcInterface, new: &Members<'_>) -> Result<ShareRecord, Refusal> {
    const KNOWN_TYPE_BITS: u32 =
        ShareType::BASE_MASK | ShareType::TEMPORARY | ShareType::SPECIAL | ShareType::CLUSTER_MASK;
    let share_type = ShareType(new.share_type & !ShareType::CLUSTER_MASK);
    if new.share_type & !KNOWN_TYPE_BITS != 0 || share_type.base().0 > ShareType::IPC.0 {
        return Err(Refusal::parameter(parmnum::TYPE));
    }
    let security_descriptor = valid_descriptor(new.security_descriptor.unwrap_or(&None))?;
    let pathless =
        new.netname.eq_ignore_ascii_case("IPC$") || new.netname.eq_ignore_ascii_case("ADMIN$");
    let bad_component = new.path.split(['\\', '/']).any(|c| c == "." || c == "..");
    if (pathless && !new.path.is_empty()) || (!pathless && new.path.is_empty()) || bad_component {
        return Err(Refusal::parameter(parmnum::PATH));
    }
    check_remark(new.remark)?;
    let disk = share_type.base() == ShareType::DISK;
    if disk && !pathless && !is_absolute(new.path) {
        return Err(Refusal::parameter(parmnum::PATH));
    }
    if let Some(server) = new.servername {
        let server = server.trim_start_matches('\\');
        if !(server.is_empty() || server == "*" || server.eq_ignore_ascii_case(&srv.identity.name))
        {
            return Err(Refusal::parameter(parmnum::SERVER));
        }
    }
    let mut record = ShareRecord::new(new.netname, share_type, new.remark, new.path);
    record.max_uses = new.max_uses;
    record.security_descriptor = security_descriptor;
    Ok(record)
}

/// The kinds of share lwio serves (step 5).
fn check_supported(record: &ShareRecord) -> Result<(), Refusal> {
    let base = record.share_type.base();
    let ipc_dollar = base == ShareType::IPC && record.name.eq_ignore_ascii_case("IPC$");
    if base == ShareType::DISK || ipc_dollar {
        Ok(())
    } else {
        Err(Refusal::status(ERROR_NOT_SUPPORTED))
    }
}

fn add(srv: &SrvsvcInterface, ctx: &CallContext, info: &ShareInfo) -> Result<u32, Refusal> {
    let admin = admin_for(srv, ctx)?;
    let new = Members::of(info).unwrap_or(Err(Refusal::status(ERROR_INVALID_LEVEL)))?;
    check_netname(new.netname)?;
    if srv.shares.share(new.netname).is_some() {
        return Err(Refusal::status(NERR_DUPLICATE_SHARE));
    }
    let record = check_new_share(srv, &new)?;
    check_supported(&record)?;
    Ok(admin.add(record, &ctx.token))
}

/// NetrShareAdd.
pub(super) fn share_add(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, level, info, parm_err): ShareAddRequest = ctx.decode(stub)?;
    if info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    check_conformance(&info)?;
    Ok(answer(add(srv, ctx, &info), parm_err))
}

/// The settings a NetrShareSetInfo structure changes (step 1 and 2).
fn update_of(info: &ShareInfo) -> Result<ShareUpdate, Refusal> {
    let mut update = ShareUpdate::default();
    let null = || Refusal::status(ERROR_INVALID_PARAMETER);
    if let Some(members) = Members::of(info) {
        let m = members?;
        update.remark = Some(m.remark.to_owned());
        update.max_uses = Some(m.max_uses);
        if let Some(sd) = m.security_descriptor {
            update.security_descriptor = Some(valid_descriptor(sd)?);
        }
    } else {
        match info {
            ShareInfo::Info1(i) => {
                update.remark = Some(text(&i.as_ref().ok_or_else(null)?.remark).to_owned());
            }
            ShareInfo::Info1004(i) => {
                update.remark = Some(text(&i.as_ref().ok_or_else(null)?.remark).to_owned());
            }
            ShareInfo::Info1005(i) => {
                let flags = i.as_ref().ok_or_else(null)?.flags;
                update.flags = Some(settable_flags(flags)?);
            }
            ShareInfo::Info1006(i) => {
                update.max_uses = Some(i.as_ref().ok_or_else(null)?.max_uses);
            }
            ShareInfo::Info1501(i) => {
                let sd = &i.as_ref().ok_or_else(null)?.security_descriptor;
                update.security_descriptor = Some(valid_descriptor(sd)?);
            }
            _ => return Err(Refusal::status(ERROR_INVALID_LEVEL)),
        }
    }
    if let Some(remark) = &update.remark {
        check_remark(remark)?;
    }
    Ok(update)
}

/// The SHI1005 flags NetrShareSetInfo stores: the DFS bits ignored, BranchCache refused
/// (ERROR_NOT_SUPPORTED, 3.1.4.11 <63>), any bit MS-SRVS does not define invalid.
fn settable_flags(flags: u32) -> Result<u32, Refusal> {
    let flags = flags & !(shi1005::DFS | shi1005::DFS_ROOT);
    if flags & shi1005::ENABLE_HASH != 0 {
        return Err(Refusal::status(ERROR_NOT_SUPPORTED));
    }
    if flags & !shi1005::ALL != 0 {
        return Err(Refusal::status(ERROR_INVALID_PARAMETER));
    }
    Ok(flags)
}

fn set_info(
    srv: &SrvsvcInterface,
    ctx: &CallContext,
    name: &str,
    info: &ShareInfo,
) -> Result<u32, Refusal> {
    let admin = admin_for(srv, ctx)?;
    if name.is_empty() {
        return Err(Refusal::status(ERROR_INVALID_PARAMETER));
    }
    let update = update_of(info)?;
    let share = srv
        .shares
        .share(name)
        .ok_or(Refusal::status(NERR_NET_NAME_NOT_FOUND))?;
    let special = share.share_type.0 & ShareType::SPECIAL != 0;
    if special && matches!(update.security_descriptor, Some(Some(_))) {
        return Err(Refusal::parameter(parmnum::FILE_SD));
    }
    if update.flags.is_some() && share.share_type.base() != ShareType::DISK {
        return Err(Refusal::status(ERROR_INVALID_PARAMETER));
    }
    Ok(admin.set_info(&share.name, &update, &ctx.token))
}

/// NetrShareSetInfo.
pub(super) fn share_set_info(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, name, level, info, parm_err): ShareSetInfoRequest = ctx.decode(stub)?;
    if info.level() != level {
        return Err(FaultStatus::BAD_STUB_DATA);
    }
    check_conformance(&info)?;
    Ok(answer(set_info(srv, ctx, &name.0, &info), parm_err))
}

/// NetrShareDel.
pub(super) fn share_del(
    srv: &SrvsvcInterface,
    stub: &[u8],
    ctx: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    let (_server, name, _reserved): ShareDelRequest = ctx.decode(stub)?;
    let status = match admin_for(srv, ctx) {
        Ok(admin) => admin.delete(&name.0, &ctx.token),
        Err(r) => r.status,
    };
    Ok(ndr::to_bytes(&status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        for p in ["/srv/data", "C:\\data", "c:/x", "/"] {
            assert!(is_absolute(p), "{p}");
        }
        for p in ["data", "C:data", "\\data", "1:\\x", ""] {
            assert!(!is_absolute(p), "{p}");
        }
    }

    #[test]
    fn netnames() {
        assert_eq!(check_netname(&"a".repeat(80)), Ok(()));
        assert_eq!(
            check_netname(&"a".repeat(81)),
            Err(Refusal::parameter(parmnum::NETNAME))
        );
        assert_eq!(check_netname(""), Err(Refusal::parameter(parmnum::NETNAME)));
        assert_eq!(
            check_netname("a:b"),
            Err(Refusal::status(ERROR_INVALID_NAME))
        );
        assert_eq!(
            check_netname("MailSlot"),
            Err(Refusal::status(ERROR_ACCESS_DENIED))
        );
    }

    #[test]
    fn parm_err_only_for_invalid_parameter_and_only_when_asked() {
        let bytes = |r, p| answer(r, p);
        let parsed = |b: Vec<u8>| ndr::from_bytes::<ShareAdminResponse>(&b).unwrap();
        let bad = Err(Refusal::parameter(parmnum::PATH));
        assert_eq!(
            parsed(bytes(bad, Some(0))),
            (Some(parmnum::PATH), ERROR_INVALID_PARAMETER)
        );
        assert_eq!(parsed(bytes(bad, None)), (None, ERROR_INVALID_PARAMETER));
        let denied = Err(Refusal::status(ERROR_ACCESS_DENIED));
        assert_eq!(
            parsed(bytes(denied, Some(7))),
            (Some(7), ERROR_ACCESS_DENIED)
        );
        assert_eq!(parsed(bytes(Ok(0), Some(7))), (Some(7), ERROR_SUCCESS));
    }
}
