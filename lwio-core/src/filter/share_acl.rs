//! A filter that applies share-level permissions, as a Windows file server does.
//!
//! A share has its own security descriptor (the "share permissions" of Windows' Sharing
//! tab), checked before the file system's own descriptors: what a caller may do through the
//! share is what both allow. The filter checks every create's desired access against the
//! share descriptor with the caller's token, refuses with STATUS_ACCESS_DENIED what the
//! share does not grant, and caps the grant of the file (MAXIMUM_ALLOWED included) at what
//! the share allows, so the layers below can only narrow it further. Privileges do not
//! widen share permissions, as on Windows: only the descriptor's ACEs count.
//!
//! Requests on handles already open pass down untouched: the manager checks them against
//! the handle's granted access, which the cap has already bounded.

use crate::access::{AccessMask, FILE_GENERIC_MAPPING};
use crate::driver::Driver;
use crate::irp::{Dispatched, Irp, IrpRequest};
use crate::security::{AccessToken, CheckOptions, SecurityDescriptor, access_check};
use crate::status::NtStatus;

/// The share-permission filter. Its device value is the share's descriptor:
/// `io.attach_filter("share", Arc::new(ShareAclFilter), descriptor)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShareAclFilter;

impl ShareAclFilter {
    /// What `token` may do through a share protected by `sd` (MAXIMUM_ALLOWED against the
    /// share descriptor, privileges ignored); empty when the share grants nothing, which is
    /// how a tree connect decides STATUS_ACCESS_DENIED.
    pub fn maximal_access(sd: &SecurityDescriptor, token: &AccessToken) -> AccessMask {
        let opts = CheckOptions {
            ignore_privileges: true,
            ..CheckOptions::default()
        };
        access_check(
            sd,
            token,
            AccessMask::MAXIMUM_ALLOWED,
            &FILE_GENERIC_MAPPING,
            opts,
        )
        .unwrap_or(AccessMask::NONE)
    }
}

impl Driver for ShareAclFilter {
    type Device = SecurityDescriptor;
    type File = ();

    fn name(&self) -> &str {
        "share-acl"
    }

    fn dispatch(&self, share_sd: &SecurityDescriptor, irp: Irp<'_, Self>) -> Dispatched {
        let IrpRequest::Create(create) = irp.request() else {
            return irp.pass_down();
        };
        let allowed = ShareAclFilter::maximal_access(share_sd, &create.token);
        let asked = create
            .desired_access
            .map_generic(&FILE_GENERIC_MAPPING)
            .without(AccessMask::MAXIMUM_ALLOWED)
            // Governed by SeSecurityPrivilege, which the file system checks.
            .without(AccessMask::ACCESS_SYSTEM_SECURITY);
        if allowed.is_empty() || !allowed.contains(asked) {
            return irp.complete(NtStatus::ACCESS_DENIED);
        }
        irp.limit_granted_access(allowed);
        irp.pass_down()
    }
}
