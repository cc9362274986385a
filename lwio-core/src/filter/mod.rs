//! Filter drivers that ship with the core, each a [`Driver`](crate::Driver) meant for
//! [`IoManager::attach_filter`](crate::IoManager::attach_filter).

mod readonly;
mod share_acl;

pub use readonly::{ReadOnlyFilter, WRITE_RIGHTS};
pub use share_acl::ShareAclFilter;
