//! # lwio-client
//!
//! The client side of lwiod's local interface: a program on the same machine sends IRPs
//! to the daemon's I/O manager over a Unix stream socket and gets the same results it
//! would get in process.
//!
//! - [`proto`]: the wire protocol, a pure codec (frames in, frames out; no I/O).
#![forbid(unsafe_code)]

pub mod proto;
