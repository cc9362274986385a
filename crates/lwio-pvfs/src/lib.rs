//! PVFS: NTFS semantics over a POSIX directory (in progress).

pub mod lock;
pub mod sys;
