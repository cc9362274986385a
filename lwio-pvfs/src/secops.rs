//! Query and set security (MS-FSA 2.1.5.13, 2.1.5.16) on the stored or derived descriptor.
//!
//! A set follows the rules a create's descriptor follows ([`check_assignable`]): an owner
//! the caller may own (its user, or a group with SE_GROUP_OWNER) unless it holds
//! SeRestorePrivilege (STATUS_INVALID_OWNER), a SACL only with SeSecurityPrivilege
//! (STATUS_PRIVILEGE_NOT_HELD). After a new DACL is stored, the file's POSIX permission
//! bits are derived from it again ([`mode_from_descriptor`]), so what Windows permissions
//! take away, local Unix users lose too. The Unix owner is not changed with the Windows
//! owner: an owner SID names no Unix user in general.
//!
//! The DACL and SACL are stored as given, INHERITED flags included; of the control bits,
//! AUTO_INHERITED is kept only when the caller sends it with AUTO_INHERIT_REQ, and the
//! request itself is never stored ([`SecurityDescriptor::merge_from`], what Windows
//! answers in smbtorture's smb2.acls.INHERITFLAGS).

use lwio_core::irp::{QuerySecurityRequest, SetSecurityRequest};
use lwio_core::security::{SdControl, check_assignable};
use lwio_core::{IrpResult, NtStatus, SecurityDescriptor, SecurityInformation};
use rustix::fs::Mode;

use crate::Volume;
use crate::ccb::Ccb;
use crate::create::load_descriptor;
use crate::notify::Change;
use crate::security::mode_from_descriptor;
use crate::sys;
use lwio_core::irp::NotifyFilter;
use lwio_fscc::NotifyAction;

pub(crate) fn query(
    volume: &Volume,
    ccb: &Ccb,
    q: &QuerySecurityRequest,
) -> Result<IrpResult, NtStatus> {
    let st = sys::fstat(&ccb.fd)?;
    let sd = load_descriptor(volume, &ccb.fd, &st).filtered(q.info);
    let bytes = sd
        .try_encode()
        .map_err(|_| NtStatus::INVALID_SECURITY_DESCR)?;
    if bytes.len() > q.length as usize {
        // The caller learns the size it needs from `information`.
        return Ok(IrpResult {
            status: NtStatus::BUFFER_TOO_SMALL,
            information: bytes.len() as u64,
            output: Vec::new(),
        });
    }
    Ok(IrpResult::with_output(NtStatus::SUCCESS, bytes))
}

pub(crate) fn set(
    volume: &Volume,
    ccb: &Ccb,
    s: &SetSecurityRequest,
) -> Result<IrpResult, NtStatus> {
    let mut new =
        SecurityDescriptor::decode(&s.descriptor).map_err(|_| NtStatus::INVALID_SECURITY_DESCR)?;
    // Setting the DACL from a descriptor that has none sets a NULL DACL (as Windows and
    // Samba do), not "no DACL".
    if s.info.contains(SecurityInformation::DACL) && !new.has_dacl() {
        new.control = new.control.with(SdControl::DACL_PRESENT);
    }
    check_assignable(&new, s.info, &ccb.token).map_err(|e| NtStatus(e.ntstatus_code()))?;
    if s.info.contains(SecurityInformation::DACL) {
        map_generic_rights(&mut new);
    }
    if s.info.contains(SecurityInformation::GROUP) && new.group.is_none() {
        return Err(NtStatus::INVALID_PRIMARY_GROUP);
    }
    let st = sys::fstat(&ccb.fd)?;
    let mut sd = load_descriptor(volume, &ccb.fd, &st);
    sd.merge_from(s.info, &new);
    let bytes = sd
        .try_encode()
        .map_err(|_| NtStatus::INVALID_SECURITY_DESCR)?;
    volume.root.write_sd(&ccb.fd, &bytes)?;
    if s.info.contains(SecurityInformation::DACL) {
        let mode = mode_from_descriptor(&sd, st.gid, st.is_dir());
        if let Err(status) = sys::set_mode(&ccb.fd, Mode::from_raw_mode(mode)) {
            // Only a file this process neither owns nor may chmod (PVFS not running as
            // root): the descriptor is stored and guards it for SMB callers; the mode
            // stays the local administrator's.
            tracing::warn!(path = %ccb.path(), %status, "PVFS: cannot narrow the mode to the new DACL");
        }
    }
    let path = ccb.path();
    let change = Change::new(&path, NotifyAction::MODIFIED, NotifyFilter::SECURITY);
    volume.notify.report(&[change], ccb.parent_key());
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

/// Stores the generic rights of the DACL's effective ACEs as the file rights they stand for
/// (FILE_GENERIC_MAPPING), as NTFS does on a set: GENERIC_READ comes back as
/// FILE_GENERIC_READ (smbtorture's `smb2.acls.CREATOR`, `GENERIC`). An INHERIT_ONLY ACE
/// keeps its generic bits: they are mapped in the children that inherit it (MS-DTYP
/// 2.5.3.4.4).
fn map_generic_rights(sd: &mut SecurityDescriptor) {
    let Some(dacl) = sd.dacl.as_mut() else {
        return;
    };
    for ace in dacl.aces.iter_mut().filter(|a| !a.is_inherit_only()) {
        if let Some(a) = ace.simple_mut() {
            a.mask = a.mask.map_generic(&lwio_core::FILE_GENERIC_MAPPING);
        }
    }
}
