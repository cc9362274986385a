//! The object-security calls both servers of this crate answer alike: SAMR's
//! Query/SetSecurityObject (MS-SAMR 3.1.5.12.2, 3.1.5.12.1) and the LSA's
//! LsarQuery/SetSecurityObject (MS-LSAD 3.1.4.9.1, 3.1.4.9.2). Both check the handle's
//! grant for the parts SecurityInformation names (READ_CONTROL for the owner, group and
//! DACL, ACCESS_SYSTEM_SECURITY for the SACL; WRITE_OWNER and WRITE_DAC to set them) and
//! exchange a self-relative descriptor in the same counted buffer.

use lwio_core::security::SecurityInformation;
use lwio_core::{NtStatus, SecurityDescriptor};

use super::types::SrSecurityDescriptor;
use super::{Fail, Res};

/// The parts of the object's descriptor (`current`, read only once the access holds)
/// that `info` asks for, for a handle granted `granted`: STATUS_ACCESS_DENIED when the
/// handle lacks what reading them needs.
pub(crate) fn queried(
    granted: u32,
    info: u32,
    current: impl FnOnce() -> Res<SecurityDescriptor>,
) -> Res<SrSecurityDescriptor> {
    let info = SecurityInformation(info);
    let need = info.query_access().0;
    if granted & need != need {
        return Err(NtStatus::ACCESS_DENIED.into());
    }
    let bytes = current()?.filtered(info).encode();
    Ok(SrSecurityDescriptor {
        length: bytes.len() as u32,
        sd: Some(bytes),
    })
}

/// The object's descriptor (`current`) with the parts `info` names taken from `sd`,
/// encoded to be stored, for a handle granted `granted`. STATUS_INVALID_PARAMETER when
/// `info` names nothing or the buffer's length is not its count; STATUS_ACCESS_DENIED
/// when the handle lacks what writing those parts needs; STATUS_INVALID_SECURITY_DESCR
/// for a descriptor that does not decode (or would not encode).
pub(crate) fn merged(
    granted: u32,
    info: u32,
    sd: SrSecurityDescriptor,
    current: impl FnOnce() -> Res<SecurityDescriptor>,
) -> Res<Vec<u8>> {
    let info = SecurityInformation(info);
    let bytes = sd.sd.unwrap_or_default();
    if info.0 == 0 || bytes.len() != sd.length as usize {
        return Err(NtStatus::INVALID_PARAMETER.into());
    }
    let need = info.set_access().0;
    if granted & need != need {
        return Err(NtStatus::ACCESS_DENIED.into());
    }
    let invalid = |_| Fail::Status(NtStatus::INVALID_SECURITY_DESCR);
    let new = SecurityDescriptor::decode(&bytes).map_err(invalid)?;
    let mut merged = current()?;
    merged.merge_from(info, &new);
    merged.try_encode().map_err(invalid)
}
