//! The Windows security model of MS-DTYP: who may do what to an object.
//!
//! # What is here
//!
//! - [`Sid`] (MS-DTYP 2.4.2) with its binary and `S-1-...` text forms, and the
//!   [`well_known`] SIDs, including the `S-1-22-1-uid` / `S-1-22-2-gid` SIDs for Unix
//!   accounts that have no Windows identity.
//! - [`Ace`] (2.4.4) and [`Acl`] (2.4.5): allowed, denied and audit ACEs are typed; any
//!   other ACE type is kept as bytes ([`RawAce`]) so it round-trips exactly.
//! - [`SecurityDescriptor`] (2.4.6) in self-relative form: [`SecurityDescriptor::decode`],
//!   [`SecurityDescriptor::encode`], SDDL via `str::parse` and
//!   [`SecurityDescriptor::to_sddl`] (2.5.1), and the query/set helpers
//!   [`SecurityDescriptor::filtered`] and [`SecurityDescriptor::merge_from`] driven by
//!   [`SecurityInformation`] (2.4.7). Its module documentation explains how "no DACL",
//!   "NULL DACL" and "empty DACL" differ.
//! - [`AccessToken`]: the caller's user, groups (with [`GroupAttributes`]), [`Privileges`]
//!   and optional Unix identity.
//! - [`check_assignable`]: who may make whom the owner, and who may write a SACL, at
//!   create and at set-security alike.
//! - [`access_check`] (2.5.3.2), returning the granted [`AccessMask`] or an
//!   [`AccessCheckError`] that maps to STATUS_ACCESS_DENIED or STATUS_PRIVILEGE_NOT_HELD.
//! - [`create_child_descriptor`] (2.5.3.4): the descriptor of a new file or directory from
//!   its parent's, the creator's and the token, with Windows' auto-inheritance rules
//!   (INHERITED ACEs and AUTO_INHERITED only when the parent's ACL is auto-inherited or
//!   the creator asks with AUTO_INHERIT_REQ; the split of CREATOR OWNER and generic ACEs
//!   into an effective and an inherit-only ACE). The documentation of `inherit.rs` walks through
//!   the algorithm, with the table of what each parent ACE gives a file and a directory.
//!   A set-security ([`SecurityDescriptor::merge_from`]) stores AUTO_INHERITED only when
//!   it comes with AUTO_INHERIT_REQ, and never the request.
//!
//! # What is not
//!
//! Object ACEs and object-type access checks (Active Directory), conditional (callback)
//! ACEs, mandatory integrity checks, central access policies, auditing itself (audit ACEs
//! are kept, not acted on), restricted and deny-only token groups, and the absolute
//! (pointer) form of descriptors. Looking names up (SID to account) belongs elsewhere.
//!
//! Every decoder checks each length and offset before use and never allocates by an
//! unchecked count: all input is treated as hostile.

mod ace;
mod acl;
mod assign;
mod check;
mod descriptor;
mod error;
mod inherit;
mod sddl;
mod sid;
mod token;
mod wire;

#[cfg(test)]
mod proptests;

pub use crate::access::{AccessMask, FILE_GENERIC_MAPPING, GenericMapping};
pub use ace::{ACE_HEADER_LEN, Ace, AceFlags, AceType, RawAce, SimpleAce};
pub use acl::{ACL_HEADER_LEN, ACL_REVISION, ACL_REVISION_DS, Acl};
pub use assign::{AssignError, check_assignable, parts_of_creator};
pub use check::{
    AccessCheckError, BACKUP_RIGHTS, CheckOptions, RESTORE_RIGHTS, access_check, maximum_allowed,
};
pub use descriptor::{
    SD_HEADER_LEN, SD_REVISION, SdControl, SecurityDescriptor, SecurityInformation,
};
pub use error::SecurityError;
pub use inherit::create_child_descriptor;
pub use sid::{SID_MAX_SUB_AUTHORITIES, SID_REVISION, Sid, well_known};
pub use token::{AccessToken, GroupAttributes, Privilege, Privileges, UnixIdentity};
