//! Object ids (MS-FSA 2.1.5.10.1, .2, .13, .35, .36; MS-FSCC 2.1.3): the 16-byte GUID NTFS
//! can give a file or directory so link tracking finds it after a move.
//!
//! # Where it lives
//! In the extended attribute `user.lwio.objid` of the file (a stream handle reaches its
//! file's), next to PVFS's other metadata (`crate::sys::xattr`). An xattr belongs to the
//! inode, so the id stays through a rename and goes with the file, as NTFS's does. Layout,
//! 68 bytes:
//!
//! ```text
//! 0..2   magic "LO"
//! 2      version = 1
//! 3      0
//! 4..68  the FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3): ObjectId, then the 48 bytes of
//!        BirthVolumeId / BirthObjectId / DomainId or ExtendedInfo
//! ```
//!
//! A value that is not this is treated as no id (with a warning).
//!
//! # What is answered
//! - FSCTL_CREATE_OR_GET_OBJECT_ID: the stored id, or a new random GUID stored with the
//!   birth volume id set to the volume's object id (FileFsObjectIdInformation), the birth
//!   object id to the new id and a zero domain id, as MS-FSA 2.1.5.10.1 fills them. Two
//!   racing callers get the same id: the first store wins (`XATTR_CREATE`), the other reads it.
//! - FSCTL_GET_OBJECT_ID: the stored id, else STATUS_OBJECTID_NOT_FOUND.
//! - FSCTL_SET_OBJECT_ID: the caller's 64 bytes, only with restore access (the caller's
//!   token holds SeRestorePrivilege; else STATUS_ACCESS_DENIED) and only on a file without
//!   an id (else STATUS_OBJECT_NAME_COLLISION).
//! - FSCTL_SET_OBJECT_ID_EXTENDED: replaces the 48 bytes after the id; needs FILE_WRITE_DATA
//!   or FILE_WRITE_ATTRIBUTES (else STATUS_ACCESS_DENIED); STATUS_OBJECTID_NOT_FOUND without
//!   an id.
//! - FSCTL_DELETE_OBJECT_ID: removes it (success when there is none).
//!
//! An output buffer under 64 bytes, or an input not of its exact size, is
//! STATUS_INVALID_PARAMETER. A volume without extended attributes keeps no ids: each FSCTL is
//! STATUS_VOLUME_NOT_UPGRADED (`Volume.IsObjectIDsSupported` false), and its
//! FileFsAttributeInformation does not claim FILE_SUPPORTS_OBJECT_IDS.
//!
//! # Not supported
//! - Uniqueness on the volume of an id given to FSCTL_SET_OBJECT_ID (STATUS_DUPLICATE_NAME on
//!   NTFS) is not checked: PVFS keeps no index of ids, the `$Extend\$ObjId` that NTFS has.
//!   Generated ids are 122 random bits, so they do not collide in practice.
//! - For the same reason opening a file by its object id (FILE_OPEN_BY_FILE_ID:
//!   STATUS_NOT_SUPPORTED, as every open by id) and a directory query of `$Extend\$ObjId`
//!   (FileObjectIdInformation) are not offered: no `$Extend` directory exists on a PVFS
//!   volume, so opening that index is STATUS_OBJECT_PATH_NOT_FOUND.
//! - No USN journal is kept, so no USN change is posted.

use std::os::fd::AsFd;

use lwio_core::irp::ControlRequest;
use lwio_core::security::Privilege;
use lwio_core::{AccessMask, IrpResult, NtStatus};
use lwio_fscc::object_id::{OBJECT_ID_BUFFER_LEN, decode_extended_info};
use lwio_fscc::{CtlCode, ObjectIdBuffer};
use rustix::fs::XattrFlags;
use rustix::io::Errno;

use crate::Volume;
use crate::ccb::Ccb;
use crate::sys;

/// The attribute holding a file's object id.
pub(crate) const OBJECT_ID_XATTR: &str = "user.lwio.objid";

const MAGIC: &[u8; 2] = b"LO";
const VERSION: u8 = 1;
const HEADER: usize = 4;
const STORED_LEN: usize = HEADER + OBJECT_ID_BUFFER_LEN;

/// True for the five object id FSCTLs (they read or write an xattr: a worker's job).
pub(crate) fn is_object_id_fsctl(code: u32) -> bool {
    matches!(
        CtlCode(code),
        CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID
            | CtlCode::FSCTL_GET_OBJECT_ID
            | CtlCode::FSCTL_SET_OBJECT_ID
            | CtlCode::FSCTL_SET_OBJECT_ID_EXTENDED
            | CtlCode::FSCTL_DELETE_OBJECT_ID
    )
}

/// Answers one of the object id FSCTLs ([`is_object_id_fsctl`]).
pub(crate) fn control(
    volume: &Volume,
    ccb: &Ccb,
    c: &ControlRequest,
) -> Result<IrpResult, NtStatus> {
    let code = CtlCode(c.code);
    // The input checks MS-FSA makes before the volume's.
    match code {
        CtlCode::FSCTL_SET_OBJECT_ID if c.input.len() != OBJECT_ID_BUFFER_LEN => {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        CtlCode::FSCTL_SET_OBJECT_ID_EXTENDED => {
            decode_extended_info(&c.input).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        }
        _ => {}
    }
    if !volume.root.fs_supports_xattrs() {
        return Err(NtStatus::VOLUME_NOT_UPGRADED);
    }
    match code {
        CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID => create_or_get(volume, ccb, c),
        CtlCode::FSCTL_GET_OBJECT_ID => {
            check_output(c)?;
            let id = read(&ccb.fd)?.ok_or(NtStatus::OBJECTID_NOT_FOUND)?;
            Ok(answer(&id))
        }
        CtlCode::FSCTL_SET_OBJECT_ID => {
            if !ccb.token.has_privilege(Privilege::Restore) {
                return Err(NtStatus::ACCESS_DENIED);
            }
            let id = ObjectIdBuffer::decode(&c.input).map_err(|_| NtStatus::INVALID_PARAMETER)?;
            if !store(&ccb.fd, &id, XattrFlags::CREATE)? {
                return Err(NtStatus::OBJECT_NAME_COLLISION);
            }
            Ok(IrpResult::new(NtStatus::SUCCESS))
        }
        CtlCode::FSCTL_SET_OBJECT_ID_EXTENDED => {
            let may_write = ccb.granted.contains(AccessMask::FILE_WRITE_DATA)
                || ccb.granted.contains(AccessMask::FILE_WRITE_ATTRIBUTES);
            if !may_write {
                return Err(NtStatus::ACCESS_DENIED);
            }
            let extended_info =
                decode_extended_info(&c.input).map_err(|_| NtStatus::INVALID_PARAMETER)?;
            let mut id = read(&ccb.fd)?.ok_or(NtStatus::OBJECTID_NOT_FOUND)?;
            id.extended_info = extended_info;
            store(&ccb.fd, &id, XattrFlags::REPLACE)?;
            Ok(IrpResult::new(NtStatus::SUCCESS))
        }
        CtlCode::FSCTL_DELETE_OBJECT_ID => {
            match rustix::fs::fremovexattr(&ccb.fd, OBJECT_ID_XATTR) {
                Ok(()) | Err(Errno::NODATA) => {}
                Err(e) => return Err(sys::map_errno(e)),
            }
            Ok(IrpResult::new(NtStatus::SUCCESS))
        }
        _ => Err(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

/// FSCTL_CREATE_OR_GET_OBJECT_ID (MS-FSA 2.1.5.10.1).
fn create_or_get(volume: &Volume, ccb: &Ccb, c: &ControlRequest) -> Result<IrpResult, NtStatus> {
    check_output(c)?;
    if let Some(id) = read(&ccb.fd)? {
        return Ok(answer(&id));
    }
    let mut object_id = [0u8; 16];
    getrandom::fill(&mut object_id).map_err(|_| NtStatus::INTERNAL_ERROR)?;
    // A GUID of version 4 (random), variant 1 (RFC 9562), as Windows generates them.
    object_id[7] = (object_id[7] & 0x0F) | 0x40;
    object_id[8] = (object_id[8] & 0x3F) | 0x80;
    let id = ObjectIdBuffer::type1(
        object_id,
        crate::volume::volume_object_id(volume)?,
        object_id,
        [0; 16],
    );
    if store(&ccb.fd, &id, XattrFlags::CREATE)? {
        return Ok(answer(&id));
    }
    // Another caller stored one first: that is the file's id.
    let id = read(&ccb.fd)?.ok_or(NtStatus::INTERNAL_ERROR)?;
    Ok(answer(&id))
}

fn check_output(c: &ControlRequest) -> Result<(), NtStatus> {
    if (c.max_output as usize) < OBJECT_ID_BUFFER_LEN {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    Ok(())
}

fn answer(id: &ObjectIdBuffer) -> IrpResult {
    IrpResult::with_output(NtStatus::SUCCESS, id.encode())
}

/// The stored id of the open file `fd`, `None` when it has none (or a corrupt one).
pub(crate) fn read(fd: impl AsFd) -> Result<Option<ObjectIdBuffer>, NtStatus> {
    let mut buf = [0u8; STORED_LEN + 1];
    let n = match rustix::fs::fgetxattr(fd, OBJECT_ID_XATTR, &mut buf) {
        Ok(n) => n,
        Err(Errno::NODATA) => return Ok(None),
        Err(Errno::RANGE) => {
            tracing::warn!("PVFS: oversized {OBJECT_ID_XATTR} ignored");
            return Ok(None);
        }
        Err(e) => return Err(sys::map_errno(e)),
    };
    let decoded = decode_stored(buf.get(..n).unwrap_or_default());
    if decoded.is_none() {
        tracing::warn!("PVFS: corrupt {OBJECT_ID_XATTR} ignored");
    }
    Ok(decoded)
}

/// Stores `id`; `Ok(false)` when `flags` is `CREATE` and the file already has one.
fn store(fd: impl AsFd, id: &ObjectIdBuffer, flags: XattrFlags) -> Result<bool, NtStatus> {
    match rustix::fs::fsetxattr(fd, OBJECT_ID_XATTR, &encode_stored(id), flags) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        // REPLACE on a file whose id went meanwhile.
        Err(Errno::NODATA) => Err(NtStatus::OBJECTID_NOT_FOUND),
        Err(e) => Err(sys::map_errno(e)),
    }
}

fn encode_stored(id: &ObjectIdBuffer) -> Vec<u8> {
    let mut v = Vec::with_capacity(STORED_LEN);
    v.extend_from_slice(MAGIC);
    v.extend_from_slice(&[VERSION, 0]);
    v.extend_from_slice(&id.encode());
    v
}

/// Parses a stored value; `None` when it is not one.
pub(crate) fn decode_stored(v: &[u8]) -> Option<ObjectIdBuffer> {
    if v.len() != STORED_LEN || &v[..2] != MAGIC || v[2] != VERSION || v[3] != 0 {
        return None;
    }
    ObjectIdBuffer::decode(&v[HEADER..]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_layout() {
        let id = ObjectIdBuffer::type1([1; 16], [2; 16], [1; 16], [0; 16]);
        let v = encode_stored(&id);
        assert_eq!(v.len(), STORED_LEN);
        assert_eq!(&v[..4], b"LO\x01\x00");
        assert_eq!(decode_stored(&v), Some(id));
        assert_eq!(decode_stored(&v[..STORED_LEN - 1]), None);
        let mut bad = v.clone();
        bad[2] = 2;
        assert_eq!(decode_stored(&bad), None);
        assert!(is_object_id_fsctl(CtlCode::FSCTL_GET_OBJECT_ID.0));
        assert!(!is_object_id_fsctl(CtlCode::FSCTL_GET_COMPRESSION.0));
    }
}
