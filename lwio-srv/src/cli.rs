//! The `lwiod` program, kept in the library so the binary is one line.
//!
//! ```text
//! lwiod --listen 127.0.0.1:4450 --share NAME=PATH --user NAME:PASSWORD \
//!       [--admin NAME:PASSWORD] [--read-only NAME] [--share-acl NAME=SDDL]
//!       [--no-signing-required] [--allow-guest] [--map-to-guest]
//!       [--failed-logon-delay-ms MS] [--anonymous-pipes] [--unix-id-range FIRST-LAST]
//!       [--config FILE]
//! ```
//!
//! Logs go to stderr, filtered by `RUST_LOG` (default `info`). Ctrl-C closes every
//! connection and open file, then exits.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::config::{Args, ServerConfig};

/// Runs `lwiod` with the process's arguments.
pub fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let config = match ServerConfig::from_args(Args::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match crate::Server::new(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lwiod: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(server.serve(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lwiod: {e}");
            ExitCode::FAILURE
        }
    }
}
