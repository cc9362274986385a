//! Filter drivers that ship with the core, each a [`Driver`](crate::Driver) meant for
//! [`IoManager::attach_filter`](crate::IoManager::attach_filter).

mod readonly;

pub use readonly::{ReadOnlyFilter, WRITE_RIGHTS};
