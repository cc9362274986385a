//! PVFS: NTFS semantics over a POSIX directory (in progress).

pub mod lock;
#[allow(dead_code)] // used by the driver, which lands next
mod share;
pub mod sys;
