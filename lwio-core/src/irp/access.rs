//! Which granted access each request needs, checked by the manager before any driver sees
//! the IRP (as the Windows I/O manager does in `NtReadFile`, `NtQueryInformationFile`, ...).
//!
//! The tables below are the audit of every request that changes the file system: each row
//! says what the handle must hold and where MS-FSA (or MS-SMB2, or the Windows I/O manager)
//! says so. Section numbers are those of the current MS-FSA revision, where
//! set-information is 2.1.5.15 and FSCTLs 2.1.5.10 (older revisions number them 2.1.5.14
//! and 2.1.5.9); the class or control names make each row unambiguous. A request whose
//! requirement is not met fails with STATUS_ACCESS_DENIED before any driver runs.
//!
//! A rename or link needs more than its handle's grant: the manager then opens the target
//! directory for the caller (`manager/link.rs`), and the file system checks what a
//! replaced file demands. Delete-on-close at create needs DELETE in the grant; the file
//! system checks that, since only it knows the grant.

use crate::access::AccessMask;
use crate::irp::request::{CtlCode, FileInfoClass, FsInfoClass, IrpRequest};

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
    #[inline]
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
const WRITE_DATA_OR_ATTRIBUTES: AccessMask =
    AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::FILE_WRITE_ATTRIBUTES.0);
const ANY_WRITE: AccessMask = AccessMask(
    AccessMask::FILE_WRITE_DATA.0
        | AccessMask::FILE_WRITE_ATTRIBUTES.0
        | AccessMask::FILE_APPEND_DATA.0,
);

/// One row of the set-information table.
#[derive(Debug, Clone, Copy)]
pub struct SetInfoRow {
    /// The class.
    pub class: FileInfoClass,
    /// What the handle must hold.
    pub need: AccessRequirement,
    /// Where that is specified.
    pub spec: &'static str,
}

/// Set-information classes that change a file, with the access their handle needs. Any
/// class not listed needs nothing of the handle (FilePositionInformation and
/// FileModeInformation change only the handle's own state, MS-FSA 2.1.5.15.9 and
/// 2.1.5.15.7), is refused by the driver as unsupported, or belongs to the pipe system
/// (FilePipeInformation: the SMB server sets message mode on every pipe it opens, as
/// Windows' server does from kernel mode, whatever the client asked).
pub const SET_INFO_ACCESS: &[SetInfoRow] = &[
    SetInfoRow {
        class: FileInfoClass::ALLOCATION,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_DATA),
        spec: "MS-FSA 2.1.5.15.1 FileAllocationInformation",
    },
    SetInfoRow {
        class: FileInfoClass::BASIC,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.15.2 FileBasicInformation",
    },
    SetInfoRow {
        class: FileInfoClass::DISPOSITION,
        need: AccessRequirement::All(AccessMask::DELETE),
        spec: "MS-FSA 2.1.5.15.3 FileDispositionInformation",
    },
    SetInfoRow {
        class: FileInfoClass::DISPOSITION_EX,
        need: AccessRequirement::All(AccessMask::DELETE),
        spec: "MS-FSA 2.1.5.15.3 FileDispositionInformation (Ex form)",
    },
    SetInfoRow {
        class: FileInfoClass::END_OF_FILE,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_DATA),
        spec: "MS-FSA 2.1.5.15.4 FileEndOfFileInformation",
    },
    SetInfoRow {
        class: FileInfoClass::FULL_EA,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_EA),
        spec: "MS-FSA 2.1.5.15.5 FileFullEaInformation",
    },
    // MS-FSA 2.1.5.15.6 asks nothing of the source handle (only FILE_ADD_FILE on the
    // target directory); Windows' CreateHardLink opens its source for
    // FILE_WRITE_ATTRIBUTES, and lwio demands that, so a caller who may only read a file
    // cannot pin it under a name of its own (Linux's protected_hardlinks rule, likewise).
    SetInfoRow {
        class: FileInfoClass::LINK,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.15.6 FileLinkInformation; CreateHardLink's source open",
    },
    SetInfoRow {
        class: FileInfoClass::LINK_EX,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.15.6 FileLinkInformation (Ex form); as LINK",
    },
    SetInfoRow {
        class: FileInfoClass::OBJECT_ID,
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.15.8 FileObjectIdInformation (FSCTL_SET_OBJECT_ID_EXTENDED's rule)",
    },
    SetInfoRow {
        class: FileInfoClass::RENAME,
        need: AccessRequirement::All(AccessMask::DELETE),
        spec: "MS-FSA 2.1.5.15.11 FileRenameInformation",
    },
    SetInfoRow {
        class: FileInfoClass::RENAME_EX,
        need: AccessRequirement::All(AccessMask::DELETE),
        spec: "MS-FSA 2.1.5.15.11 FileRenameInformation (Ex form)",
    },
    SetInfoRow {
        class: FileInfoClass::SHORT_NAME,
        need: AccessRequirement::All(AccessMask::DELETE),
        spec: "MS-FSA 2.1.5.15.13 FileShortNameInformation",
    },
    SetInfoRow {
        class: FileInfoClass::VALID_DATA_LENGTH,
        need: AccessRequirement::All(AccessMask::FILE_WRITE_DATA),
        spec: "MS-FSA 2.1.5.15.14 FileValidDataLengthInformation",
    },
];

/// One row of the FSCTL table.
#[derive(Debug, Clone, Copy)]
pub struct FsctlRow {
    /// The control code.
    pub code: u32,
    /// Its name.
    pub name: &'static str,
    /// What the handle must hold.
    pub need: AccessRequirement,
    /// Where that is specified.
    pub spec: &'static str,
}

/// FSCTLs that change the file system but whose control code asks for no access
/// (FILE_SPECIAL_ACCESS), with the access MS-FSA makes the file system check. Every other
/// control code needs what its access bits say: FILE_READ_DATA for FILE_READ_ACCESS,
/// FILE_WRITE_DATA for FILE_WRITE_ACCESS (the Windows I/O manager's rule), which covers the
/// changing ones that carry them: FSCTL_SET_COMPRESSION (both bits), FSCTL_SET_ZERO_DATA,
/// FSCTL_FILE_LEVEL_TRIM, FSCTL_OFFLOAD_WRITE, FSCTL_DUPLICATE_EXTENTS_TO_FILE (write),
/// FSCTL_SET_INTEGRITY_INFORMATION (both), FSCTL_SRV_COPYCHUNK_WRITE (write).
pub const FSCTL_ACCESS: &[FsctlRow] = &[
    FsctlRow {
        code: 0x0009_00A0,
        name: "FSCTL_DELETE_OBJECT_ID",
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        // MS-FSA checks no access here; lwio asks what setting an object id asks.
        spec: "MS-FSA 2.1.5.10.2; the rule of 2.1.5.10.36",
    },
    FsctlRow {
        code: 0x0009_00AC,
        name: "FSCTL_DELETE_REPARSE_POINT",
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.10.3",
    },
    FsctlRow {
        code: 0x0009_0098,
        name: "FSCTL_SET_OBJECT_ID",
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.10.35 (which further needs restore access)",
    },
    FsctlRow {
        code: 0x0009_00BC,
        name: "FSCTL_SET_OBJECT_ID_EXTENDED",
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.10.36",
    },
    FsctlRow {
        code: 0x0009_00A4,
        name: "FSCTL_SET_REPARSE_POINT",
        need: AccessRequirement::Any(WRITE_DATA_OR_ATTRIBUTES),
        spec: "MS-FSA 2.1.5.10.37",
    },
    FsctlRow {
        code: 0x0009_00C4,
        name: "FSCTL_SET_SPARSE",
        // MS-FSA names FILE_WRITE_DATA or FILE_WRITE_ATTRIBUTES; Windows also accepts an
        // open with FILE_APPEND_DATA alone (smbtorture's smb2.ioctl.sparse_perms).
        need: AccessRequirement::Any(ANY_WRITE),
        spec: "MS-FSA 2.1.5.10.38, and FILE_APPEND_DATA as Windows",
    },
    FsctlRow {
        code: 0x0009_0194,
        name: "FSCTL_SET_ZERO_ON_DEALLOCATION",
        need: AccessRequirement::Any(WRITE_OR_APPEND),
        spec: "MS-FSA 2.1.5.10.40",
    },
];

/// The access `request` needs on an open handle. Create and close need none here: create
/// is checked by the driver against the object's security descriptor, and close is always
/// allowed.
#[inline]
pub fn required_access(request: &IrpRequest) -> AccessRequirement {
    use AccessRequirement::{All, Any, None};
    match request {
        IrpRequest::Create(_) | IrpRequest::Cleanup | IrpRequest::Close => None,
        // FILE_EXECUTE reads too (images are paged in with it; SMB2 servers allow it).
        IrpRequest::Read(_) => Any(READ_OR_EXECUTE),
        IrpRequest::Write(_) | IrpRequest::Flush => Any(WRITE_OR_APPEND),
        IrpRequest::QueryDirectory(_) | IrpRequest::ReadDirectoryChange(_) => {
            All(AccessMask::FILE_LIST_DIRECTORY)
        }
        IrpRequest::Lock(_) | IrpRequest::Unlock(_) => Any(READ_OR_WRITE),
        IrpRequest::DeviceControl(c) => control_code_access(c.code),
        IrpRequest::FsControl(c) => fsctl_access(c.code),
        IrpRequest::QueryInformation(q) => query_info_access(q.class),
        IrpRequest::SetInformation(s) => set_info_access(s.class),
        IrpRequest::QueryEa(_) => All(AccessMask::FILE_READ_EA),
        IrpRequest::QueryVolumeInformation(_) => None,
        // MS-SMB2 3.3.5.21.2 (FileFsControlInformation, FileFsObjectIdInformation) and
        // MS-FSA 2.1.5.18 (FileFsLabelInformation).
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

/// True when `request` is an FSCTL that changes the file system: one of [`FSCTL_ACCESS`],
/// or one whose control code asks for FILE_WRITE_ACCESS. A read-only device refuses these.
pub fn fsctl_changes_file_system(code: u32) -> bool {
    code & 0x8000 != 0 || FSCTL_ACCESS.iter().any(|r| r.code == code)
}

/// The access bits of a CTL_CODE: bits 14-15 are FILE_ANY_ACCESS (0), FILE_READ_ACCESS (1),
/// FILE_WRITE_ACCESS (2) or both (3) ([`CtlCode::access_mask`]).
fn control_code_access(code: u32) -> AccessRequirement {
    let need = CtlCode(code).access_mask();
    if need.is_empty() {
        AccessRequirement::None
    } else {
        AccessRequirement::All(need)
    }
}

/// An FSCTL's row of [`FSCTL_ACCESS`], else its control code's access bits.
fn fsctl_access(code: u32) -> AccessRequirement {
    match FSCTL_ACCESS.iter().find(|r| r.code == code) {
        Some(row) => row.need,
        None => control_code_access(code),
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

/// A set-information class's row of [`SET_INFO_ACCESS`].
pub fn set_info_access(class: FileInfoClass) -> AccessRequirement {
    SET_INFO_ACCESS
        .iter()
        .find(|r| r.class == class)
        .map_or(AccessRequirement::None, |r| r.need)
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
    fn every_special_access_fsctl_row_is_one_the_code_bits_do_not_cover() {
        for row in FSCTL_ACCESS {
            assert_eq!(row.code & 0xC000, 0, "{} carries access bits", row.name);
            assert!(fsctl_changes_file_system(row.code));
            assert!(!fsctl_access(row.code).is_met_by(AccessMask::FILE_READ_DATA));
        }
        // FSCTL_SET_SPARSE: any write right will do, reading will not.
        let sparse = fsctl_access(0x0009_00C4);
        assert!(sparse.is_met_by(AccessMask::FILE_WRITE_ATTRIBUTES));
        assert!(sparse.is_met_by(AccessMask::FILE_WRITE_DATA));
        assert!(sparse.is_met_by(AccessMask::FILE_APPEND_DATA));
        assert!(!sparse.is_met_by(AccessMask::FILE_WRITE_EA));
        // FSCTL_SET_ZERO_DATA by its code's FILE_WRITE_ACCESS.
        assert!(fsctl_changes_file_system(0x0009_80C8));
        assert!(!fsctl_access(0x0009_80C8).is_met_by(AccessMask::FILE_WRITE_ATTRIBUTES));
        // FSCTL_GET_COMPRESSION changes nothing.
        assert!(!fsctl_changes_file_system(0x0009_003C));
    }

    #[test]
    fn set_info_rows_are_unique_and_cite_their_section() {
        for (i, row) in SET_INFO_ACCESS.iter().enumerate() {
            assert!(row.spec.starts_with("MS-"), "{:?}", row.class);
            assert!(
                SET_INFO_ACCESS[i + 1..]
                    .iter()
                    .all(|r| r.class != row.class),
                "{:?} twice",
                row.class
            );
            assert_ne!(row.need, AccessRequirement::None);
        }
        let rename = set_info_access(FileInfoClass::RENAME);
        assert!(!rename.is_met_by(AccessMask::FILE_GENERIC_READ | AccessMask::FILE_GENERIC_WRITE));
        assert!(rename.is_met_by(AccessMask::DELETE));
        let link = set_info_access(FileInfoClass::LINK_EX);
        assert!(!link.is_met_by(AccessMask::FILE_GENERIC_READ));
        assert_eq!(
            set_info_access(FileInfoClass::POSITION),
            AccessRequirement::None
        );
    }

    #[test]
    fn append_only_handle_may_write() {
        let need = required_access(&IrpRequest::Flush);
        assert!(need.is_met_by(AccessMask::FILE_APPEND_DATA));
        assert!(!need.is_met_by(AccessMask::FILE_READ_DATA));
    }
}
