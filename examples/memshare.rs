//! An in-memory share: memfs, the in-memory file system driver, served over SMB2/3.
//! Nothing touches the disk; what clients write is gone when the program stops.
//!
//! `cargo run --example memshare -- [ADDR]` serves `//ADDR/mem` (default 127.0.0.1:4450)
//! to `user`/`pass`, with one file in it, `hello.txt`. memfs answers what a client needs
//! to list, put, get and delete (see `lwio_memfs`'s `info` module); it has no locks, EAs,
//! security descriptors or renames, and answers those STATUS_INVALID_DEVICE_REQUEST.

use std::sync::Arc;

use lwio::memfs::{ByteStore, MemFs, Node, Volume};
use lwio::srv::accounts::{MemoryAccounts, UserConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4450".into());
    let io = lwio::IoManager::new();
    let volume = Volume::new();
    io.add_device("mem", Arc::new(MemFs::new()), volume.clone())?;
    // Seed the volume directly, as a test would.
    if let Some(Node::Dir(root)) = volume.lookup("").as_deref() {
        let (file, _) = root.get_or_insert("hello.txt", Node::new_file);
        if let Node::File(f) = &*file {
            f.write_at(0, b"hello from memory\n")?;
        }
    }
    let server = lwio::srv::Server::builder(io)
        .disk_share("mem", "mem")
        .accounts(MemoryAccounts::shared(&[UserConfig::new("user", "pass")]))
        .bind(addr.parse()?)
        .build()?;
    println!("serving memfs as //{addr}/mem");
    server
        .serve(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    Ok(())
}
