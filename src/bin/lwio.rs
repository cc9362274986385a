//! `lwio`: assemble an I/O manager with a file system at `/share` and run one command (or a
//! script) against it. All the logic is in [`lwio::tool`]; this file parses the arguments
//! and mounts the driver.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use lwio::memfs::{MemFs, Volume};
use lwio::tool::{self, Cli};
use lwio::{IoManager, NtStatus, block_on};

/// The device every path lives on: `/share/<path>`.
const DEVICE: &str = "share";

/// Mounts the PVFS driver over `root` at `/device`.
fn mount_root(io: &IoManager, device: &str, root: &Path) -> Result<(), NtStatus> {
    lwio::pvfs::mount(io, device, root, lwio::pvfs::PvfsConfig::default())
}

/// Connects to lwiod's local socket and mounts its namespace at `/share`; returns the
/// runtime the connection runs on, to be kept until the end.
#[cfg(feature = "daemon")]
fn mount_daemon(io: &IoManager, socket: &Path) -> Result<tokio::runtime::Runtime, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = rt
        .block_on(lwio_client::DaemonClient::connect(socket))
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    let driver = lwio_client::DaemonDriver::new(client, rt.handle().clone());
    io.add_device(DEVICE, Arc::new(driver), ())
        .map_err(|status| format!("cannot mount the daemon at /{DEVICE}: {status}"))?;
    Ok(rt)
}

/// Mounts the SMB redirector at `/rdr` when credentials are given (`--credentials` or
/// `LWIO_USER`); without them a remote path on the command line is a usage error.
#[cfg(feature = "rdr")]
fn mount_remote(io: &IoManager, cli: &Cli) -> Result<(), tool::ToolError> {
    use tool::remote;
    match remote::load_credentials(cli.credentials.as_deref())? {
        Some(credentials) => {
            let config = lwio::rdr::RdrConfig {
                encrypt: cli.encrypt,
                lease_on_create: remote::leases_on_create(&cli.command),
                ..lwio::rdr::RdrConfig::default()
            };
            remote::mount_with(io, credentials, config).map(drop)
        }
        None if names_remote() => Err(tool::ToolError::Usage(
            "remote paths need credentials: --credentials FILE or LWIO_USER/LWIO_PASSWORD".into(),
        )),
        None => Ok(()),
    }
}

/// True when a remote path (`//server/share/...`) is on the command line.
fn names_remote() -> bool {
    #[cfg(feature = "rdr")]
    return std::env::args().any(|a| tool::remote::is_remote(&a));
    #[cfg(not(feature = "rdr"))]
    false
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let token = match tool::token_for_user(&cli.user) {
        Ok(token) => Arc::new(token),
        Err(e) => {
            eprintln!("lwio: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    #[cfg(feature = "daemon")]
    if let tool::Command::Admin(args) = &cli.command {
        // Administration talks to the daemon's socket: nothing to mount.
        let mut out = std::io::stdout().lock();
        return match tool::admin::run(cli.daemon.as_deref(), args, &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lwio: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    let io = IoManager::new();
    #[cfg(feature = "samr")]
    if matches!(
        cli.command,
        tool::Command::User(_) | tool::Command::Group(_)
    ) {
        // The account commands work on the SAM, not on /share: nothing to mount.
        let mut out = std::io::stdout().lock();
        return match tool::run(
            &io,
            DEVICE,
            token,
            std::slice::from_ref(&cli.command),
            &mut out,
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lwio: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    // With --daemon, /share is the daemon's namespace; the runtime carries the socket.
    #[cfg(feature = "daemon")]
    let _runtime = match &cli.daemon {
        Some(socket) => match mount_daemon(&io, socket) {
            Ok(rt) => Some(rt),
            Err(e) => {
                eprintln!("lwio: {e}");
                return ExitCode::from(1);
            }
        },
        None => None,
    };
    #[cfg(feature = "daemon")]
    let on_daemon = cli.daemon.is_some();
    #[cfg(not(feature = "daemon"))]
    let on_daemon = false;
    let mounted = match &cli.root {
        _ if on_daemon => Ok(()),
        Some(root) => mount_root(&io, DEVICE, root),
        None => {
            if !cli.memfs && !names_remote() {
                eprintln!(
                    "lwio: no --root given; /{DEVICE} is an empty in-memory volume (--memfs)"
                );
            }
            io.add_device(DEVICE, Arc::new(MemFs::new()), Volume::new())
        }
    };
    if let Err(status) = mounted {
        eprintln!("lwio: cannot mount /{DEVICE}: {status}");
        return ExitCode::from(1);
    }
    #[cfg(feature = "rdr")]
    if let Err(e) = mount_remote(&io, &cli) {
        eprintln!("lwio: {e}");
        return ExitCode::from(e.exit_code());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = tool::run(
        &io,
        DEVICE,
        token,
        std::slice::from_ref(&cli.command),
        &mut out,
    );
    let flushed = out.flush();
    drop(out);
    block_on(io.shutdown());
    match result {
        Ok(()) => match flushed {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lwio: write output: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("lwio: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
