//! Query and set security (MS-FSA 2.1.5.13, 2.1.5.16) on the stored or derived descriptor.

use lwio_core::irp::{QuerySecurityRequest, SetSecurityRequest};
use lwio_core::security::{Privilege, SdControl};
use lwio_core::{IrpResult, NtStatus, SecurityDescriptor, SecurityInformation};

use crate::Volume;
use crate::ccb::Ccb;
use crate::create::load_descriptor;
use crate::notify::Change;
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
    let token = &ccb.token;
    if s.info.contains(SecurityInformation::OWNER) {
        let Some(owner) = &new.owner else {
            return Err(NtStatus::INVALID_OWNER);
        };
        // Only an owner the caller is (or any, with SeRestorePrivilege).
        if !token.contains_sid(owner) && !token.has_privilege(Privilege::Restore) {
            return Err(NtStatus::INVALID_OWNER);
        }
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
    let path = ccb.path();
    volume.notify.report(&[Change::new(
        &path,
        NotifyAction::MODIFIED,
        NotifyFilter::SECURITY,
    )]);
    Ok(IrpResult::new(NtStatus::SUCCESS))
}
