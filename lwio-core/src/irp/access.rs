//! Which granted access each request needs, checked by the manager before any driver sees
//! the IRP (as the Windows I/O manager does in `NtReadFile`, `NtQueryInformationFile`, ...).

use crate::access::AccessMask;
use crate::irp::request::{FileInfoClass, FsInfoClass, IrpRequest};

/// What a request demands of the handle's granted access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRequirement {
    /// Nothing: any handle may do it.
    None,
    /// Every one of these bits.
    All(AccessMask),
    /// At least one of these bits.
    Any(AccessMask),
}

impl AccessRequirement {
    /// True when `granted` satisfies the requirement.
    pub fn is_met_by(self, granted: AccessMask) -> bool {
        match self {
            AccessRequirement::None => true,
            AccessRequirement::All(m) => granted.contains(m),
            AccessRequirement::Any(m) => granted.intersects(m),
        }
    }
}

const READ_OR_WRITE: AccessMask =
    AccessMask(AccessMask::FILE_READ_DATA.0 | AccessMask::FILE_WRITE_DATA.0);
const READ_OR_EXECUTE: AccessMask =
    AccessMask(AccessMask::FILE_READ_DATA.0 | AccessMask::FILE_EXECUTE.0);
const WRITE_OR_APPEND: AccessMask =
    AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::FILE_APPEND_DATA.0);

/// The access `request` needs on an open handle. Create and close need none here: create
/// is checked by the driver against the object's security descriptor, and close is always
/// allowed.
pub fn required_access(request: &IrpRequest) -> AccessRequirement {
    use AccessRequirement::{All, Any, None};
    match request {
        IrpRequest::Create(_) | IrpRequest::Close => None,
        // FILE_EXECUTE reads too (images are paged in with it; SMB2 servers allow it).
        IrpRequest::Read(_) => Any(READ_OR_EXECUTE),
        IrpRequest::Write(_) | IrpRequest::Flush => Any(WRITE_OR_APPEND),
        IrpRequest::QueryDirectory(_) | IrpRequest::ReadDirectoryChange(_) => {
            All(AccessMask::FILE_LIST_DIRECTORY)
        }
        IrpRequest::Lock(_) | IrpRequest::Unlock(_) => Any(READ_OR_WRITE),
        IrpRequest::DeviceControl(c) | IrpRequest::FsControl(c) => control_code_access(c.code),
        IrpRequest::QueryInformation(q) => query_info_access(q.class),
        IrpRequest::SetInformation(s) => set_info_access(s.class),
        IrpRequest::QueryEa(_) => All(AccessMask::FILE_READ_EA),
        IrpRequest::QueryVolumeInformation(_) => None,
        IrpRequest::SetVolumeInformation(s) => match s.class {
            FsInfoClass::LABEL | FsInfoClass::CONTROL | FsInfoClass::OBJECT_ID => {
                All(AccessMask::FILE_WRITE_DATA)
            }
            _ => None,
        },
        IrpRequest::QuerySecurity(q) => All(q.info.query_access()),
        IrpRequest::SetSecurity(s) => All(s.info.set_access()),
    }
}

/// The access bits of a CTL_CODE: bits 14-15 are FILE_ANY_ACCESS (0), FILE_READ_ACCESS (1),
/// FILE_WRITE_ACCESS (2) or both (3).
fn control_code_access(code: u32) -> AccessRequirement {
    let mut need = AccessMask::NONE;
    if code & 0x4000 != 0 {
        need |= AccessMask::FILE_READ_DATA;
    }
    if code & 0x8000 != 0 {
        need |= AccessMask::FILE_WRITE_DATA;
    }
    if need.is_empty() {
        AccessRequirement::None
    } else {
        AccessRequirement::All(need)
    }
}

fn query_info_access(class: FileInfoClass) -> AccessRequirement {
    match class {
        FileInfoClass::BASIC
        | FileInfoClass::ALL
        | FileInfoClass::NETWORK_OPEN
        | FileInfoClass::ATTRIBUTE_TAG => AccessRequirement::All(AccessMask::FILE_READ_ATTRIBUTES),
        FileInfoClass::FULL_EA => AccessRequirement::All(AccessMask::FILE_READ_EA),
        _ => AccessRequirement::None,
    }
}

fn set_info_access(class: FileInfoClass) -> AccessRequirement {
    match class {
        FileInfoClass::BASIC => AccessRequirement::All(AccessMask::FILE_WRITE_ATTRIBUTES),
        FileInfoClass::RENAME
        | FileInfoClass::RENAME_EX
        | FileInfoClass::DISPOSITION
        | FileInfoClass::DISPOSITION_EX => AccessRequirement::All(AccessMask::DELETE),
        FileInfoClass::END_OF_FILE
        | FileInfoClass::ALLOCATION
        | FileInfoClass::VALID_DATA_LENGTH => AccessRequirement::All(AccessMask::FILE_WRITE_DATA),
        FileInfoClass::FULL_EA => AccessRequirement::All(AccessMask::FILE_WRITE_EA),
        _ => AccessRequirement::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transceive_needs_read_and_write() {
        // FSCTL_PIPE_TRANSCEIVE = 0x0011C017: FILE_READ_ACCESS | FILE_WRITE_ACCESS.
        let need = control_code_access(0x0011_C017);
        assert!(!need.is_met_by(AccessMask::FILE_READ_DATA));
        assert!(need.is_met_by(AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_DATA));
        // FSCTL_PIPE_WAIT = 0x00110018: FILE_ANY_ACCESS.
        assert_eq!(control_code_access(0x0011_0018), AccessRequirement::None);
    }

    #[test]
    fn execute_only_handle_may_read() {
        let read = IrpRequest::Read(crate::irp::request::ReadRequest {
            offset: 0,
            length: 1,
            key: None,
        });
        let need = required_access(&read);
        assert!(need.is_met_by(AccessMask::FILE_EXECUTE));
        assert!(need.is_met_by(AccessMask::FILE_READ_DATA));
        assert!(!need.is_met_by(AccessMask::FILE_WRITE_DATA));
    }

    #[test]
    fn append_only_handle_may_write() {
        let need = required_access(&IrpRequest::Flush);
        assert!(need.is_met_by(AccessMask::FILE_APPEND_DATA));
        assert!(!need.is_met_by(AccessMask::FILE_READ_DATA));
    }
}
