//! The POSIX layer (in progress).
