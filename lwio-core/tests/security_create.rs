//! A driver that checks access the Windows way in its create: the manager records the
//! driver's grant (MAXIMUM_ALLOWED included) and enforces it on every later request.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_core::security::{CheckOptions, access_check};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, Dispatched, Driver,
    FILE_GENERIC_MAPPING, IoManager, Irp, IrpRequest, NtStatus, SecurityDescriptor, Sid, block_on,
};

/// Every file has the same descriptor; create checks the caller against it.
struct Guarded {
    sd: SecurityDescriptor,
}

impl Driver for Guarded {
    type Device = ();
    type File = ();
    fn name(&self) -> &str {
        "guarded"
    }
    fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Create(c) => {
                match access_check(
                    &self.sd,
                    &c.token,
                    c.desired_access,
                    &FILE_GENERIC_MAPPING,
                    CheckOptions::default(),
                ) {
                    Ok(granted) => {
                        irp.grant_access(granted);
                        irp.complete(NtStatus::SUCCESS)
                    }
                    Err(e) => irp.complete(NtStatus(e.ntstatus_code())),
                }
            }
            IrpRequest::Read(_) => irp.complete_with_output(NtStatus::SUCCESS, b"data".to_vec()),
            _ => irp.complete(NtStatus::SUCCESS),
        }
    }
}

fn user(rid: u32) -> Arc<AccessToken> {
    let sid: Sid = format!("S-1-5-21-1-2-3-{rid}").parse().unwrap();
    let users: Sid = "S-1-5-32-545".parse().unwrap();
    Arc::new(AccessToken::new(sid).with_groups([users]))
}

#[test]
fn create_grants_what_the_descriptor_allows() {
    // Owner 1000 has full control; Users may read; user 1001 is denied everything.
    let sd: SecurityDescriptor =
        "O:S-1-5-21-1-2-3-1000G:BUD:(D;;FA;;;S-1-5-21-1-2-3-1001)(A;;FA;;;S-1-5-21-1-2-3-1000)(A;;FR;;;BU)"
            .parse()
            .unwrap();
    let io = IoManager::new();
    io.add_device("g", Arc::new(Guarded { sd }), ()).unwrap();
    let create = |token, access| {
        block_on(io.create_file(
            "/g/f",
            CreateRequest::new(token, access, CreateDisposition::OPEN),
        ))
    };

    let owner = create(user(1000), AccessMask::MAXIMUM_ALLOWED).unwrap();
    assert_eq!(owner.file().granted_access(), AccessMask::FILE_ALL_ACCESS);

    let reader = create(user(1002), AccessMask::MAXIMUM_ALLOWED).unwrap();
    assert_eq!(
        reader.file().granted_access(),
        AccessMask::FILE_GENERIC_READ
    );
    assert_eq!(block_on(reader.read(0, 4)).unwrap(), b"data");
    assert_eq!(
        block_on(reader.write(0, &b"x"[..])),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(
        create(user(1002), AccessMask::GENERIC_WRITE).map(|_| ()),
        Err(NtStatus::ACCESS_DENIED)
    );
    // Deny before allow: 1001 is in Users, but the deny comes first.
    assert_eq!(
        create(user(1001), AccessMask::GENERIC_READ).map(|_| ()),
        Err(NtStatus::ACCESS_DENIED)
    );
    // ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege, whatever the DACL says.
    assert_eq!(
        create(user(1000), AccessMask::ACCESS_SYSTEM_SECURITY).map(|_| ()),
        Err(NtStatus::PRIVILEGE_NOT_HELD)
    );
    assert!(
        create(
            Arc::new(AccessToken::system()),
            AccessMask::ACCESS_SYSTEM_SECURITY
        )
        .is_ok()
    );
}
