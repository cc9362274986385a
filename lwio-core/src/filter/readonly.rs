//! A filter that makes any device read-only, as write-protected media are on Windows.
//!
//! Creates that would change the file system (new files, overwrite, supersede,
//! delete-on-close, any write-type access asked for explicitly) fail with
//! STATUS_MEDIA_WRITE_PROTECTED; MAXIMUM_ALLOWED opens succeed with the write rights taken
//! out of the grant; requests that change a file (writes, set-information, set-security,
//! set-volume-information, and the FSCTLs that change the file system) fail the same way
//! even if a handle somehow holds a write right, as MS-FSA's `Volume.IsReadOnly` checks do.
//! The open of a rename's or link's target directory asks FILE_ADD_FILE, a write right, so
//! a rename into a read-only device is refused at that open. Everything else passes down
//! untouched.

use crate::access::{AccessMask, FILE_GENERIC_MAPPING};
use crate::driver::Driver;
use crate::irp::access::fsctl_changes_file_system;
use crate::irp::{CreateDisposition, CreateOptions, Dispatched, Irp, IrpRequest};
use crate::status::NtStatus;

/// The rights a read-only device never grants.
pub const WRITE_RIGHTS: AccessMask = AccessMask(
    AccessMask::FILE_WRITE_DATA.0
        | AccessMask::FILE_APPEND_DATA.0
        | AccessMask::FILE_WRITE_EA.0
        | AccessMask::FILE_WRITE_ATTRIBUTES.0
        | AccessMask::FILE_DELETE_CHILD.0
        | AccessMask::DELETE.0
        | AccessMask::WRITE_DAC.0
        | AccessMask::WRITE_OWNER.0,
);

/// The read-only filter. Attach it with `io.attach_filter("name", Arc::new(ReadOnlyFilter), ())`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadOnlyFilter;

impl Driver for ReadOnlyFilter {
    type Device = ();
    type File = ();

    fn name(&self) -> &str {
        "readonly"
    }

    fn dispatch(&self, _device: &(), mut irp: Irp<'_, Self>) -> Dispatched {
        let refuse = match irp.request() {
            IrpRequest::Create(create) => {
                let asked = create.desired_access.map_generic(&FILE_GENERIC_MAPPING);
                let changes = !matches!(
                    create.disposition,
                    CreateDisposition::OPEN | CreateDisposition::OPEN_IF
                );
                asked.intersects(WRITE_RIGHTS)
                    || changes
                    || create.options.contains(CreateOptions::DELETE_ON_CLOSE)
            }
            IrpRequest::Write(_)
            | IrpRequest::SetInformation(_)
            | IrpRequest::SetSecurity(_)
            | IrpRequest::SetVolumeInformation(_) => true,
            IrpRequest::FsControl(c) => fsctl_changes_file_system(c.code),
            _ => false,
        };
        if refuse {
            return irp.complete(NtStatus::MEDIA_WRITE_PROTECTED);
        }
        if let IrpRequest::Create(create) = irp.request() {
            let open_if = create.disposition == CreateDisposition::OPEN_IF;
            irp.limit_granted_access(!WRITE_RIGHTS);
            if open_if {
                // OPEN_IF may create; below us it may only open. A missing file is then a
                // refused creation, which Windows reports as write protection.
                if let IrpRequest::Create(create) = irp.request_mut() {
                    create.disposition = CreateDisposition::OPEN;
                }
                irp.on_complete(|result| {
                    if result.status == NtStatus::OBJECT_NAME_NOT_FOUND {
                        result.status = NtStatus::MEDIA_WRITE_PROTECTED;
                    }
                });
            }
        }
        irp.pass_down()
    }
}
