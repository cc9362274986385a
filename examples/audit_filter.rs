//! The layered I/O model in use: a filter driver of the application's own, stacked over
//! PVFS, served over SMB2/3. Every IRP the server sends for the share passes through the
//! filter before PVFS sees it; this one lets everything pass and writes an audit line for
//! every create (with the caller's SID, and the status PVFS answered, from a completion
//! routine) and every write (with its byte range).
//!
//! `cargo run --example audit_filter -- DIR [ADDR]` serves DIR as `//ADDR/audited` (default
//! 127.0.0.1:4450) to `user`/`pass`, and prints the audit on stdout:
//!
//! ```text
//! create \notes.txt by S-1-5-21-...-1000: STATUS_SUCCESS
//! write \notes.txt 0..5
//! ```

use std::sync::Arc;

use lwio::core::{Dispatched, Irp, IrpRequest};
use lwio::srv::accounts::{MemoryAccounts, UserConfig};
use lwio::{Driver, IoManager};

/// The audit filter. A filter is a [`Driver`] attached over another on the same device:
/// it gets each IRP first and passes it down (or completes it itself).
struct Audit;

impl Driver for Audit {
    /// Nothing per device, nothing per file.
    type Device = ();
    type File = ();

    fn name(&self) -> &str {
        "audit"
    }

    fn dispatch(&self, _: &(), mut irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Create(create) => {
                // Paths on a device are relative to its root: shown as SMB names.
                // The result is known only on the way back up: a completion routine sees it
                // whether PVFS answers at once or later from its work queue.
                let line = format!("create \\{} by {}", irp.file().path(), create.token.user);
                irp.on_complete(move |result| println!("{line}: {}", result.status));
            }
            IrpRequest::Write(w) => {
                let end = w.offset.saturating_add(w.data.len() as u64);
                println!("write \\{} {}..{end}", irp.file().path(), w.offset);
            }
            _ => {}
        }
        irp.pass_down()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let addr = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "127.0.0.1:4450".into());
    let io = IoManager::new();
    lwio::pvfs::mount(&io, "audited", dir.as_ref(), Default::default())?;
    io.attach_filter("audited", Arc::new(Audit), ())?;
    let server = lwio::srv::Server::builder(io)
        .disk_share("audited", "audited")
        .accounts(MemoryAccounts::shared(&[UserConfig::new("user", "pass")]))
        .bind(addr.parse()?)
        .build()?;
    println!("serving {dir} as //{addr}/audited");
    server
        .serve(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    Ok(())
}
