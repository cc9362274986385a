//! Assembles an I/O manager with the in-memory file system, a read-only view of it behind
//! a filter, and does real I/O through both: the smallest complete tour of the I/O model.
//!
//! Run it with `cargo run --example memfs`; set `RUST_LOG=debug` to see one trace line per
//! IRP with its status and latency.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio::core::filter::ReadOnlyFilter;
use lwio::core::{CreateDisposition, CreateOptions, FileInfoClass};
use lwio::memfs::{MemFs, Volume};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, NtStatus};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), NtStatus> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    // One driver, two devices over the same tree: /mem read-write, /ro through the filter.
    let io = IoManager::new();
    let fs = Arc::new(MemFs::with_worker());
    let volume = Volume::new();
    io.add_device("mem", Arc::clone(&fs), volume.clone())?;
    io.add_device("ro", fs, volume)?;
    io.attach_filter("ro", Arc::new(ReadOnlyFilter), ())?;
    for (name, stack) in io.devices() {
        println!("device /{name}: {}", stack.join(" <- "));
    }

    let me = Arc::new(AccessToken::system());
    let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;

    let dir = CreateRequest::new(me.clone(), rw, CreateDisposition::CREATE)
        .options(CreateOptions::DIRECTORY_FILE);
    io.create_file("/mem/docs", dir).await?;

    let file = io
        .create_file(
            "/mem/docs/Hello.txt",
            CreateRequest::new(me.clone(), rw, CreateDisposition::OVERWRITE_IF),
        )
        .await?;
    println!("create /mem/docs/Hello.txt: {:?}", file.create_action());
    let text = b"Hello through IRPs, completed on memfs's worker thread.\n";
    let written = file.write(0, &text[..]).await?;
    println!("wrote {written} bytes");
    let info = file.query_information(FileInfoClass::STANDARD, 24).await?;
    let size = u64::from_le_bytes(info[8..16].try_into().unwrap());
    println!("FileStandardInformation: end of file = {size}");
    println!("rundown while open: {:?}", io.rundown());
    file.close().await;

    // The same file through the read-only device.
    let ro = io
        .create_file(
            "/ro/DOCS/hello.TXT",
            CreateRequest::new(
                me.clone(),
                AccessMask::MAXIMUM_ALLOWED,
                CreateDisposition::OPEN,
            ),
        )
        .await?;
    println!(
        "opened /ro/DOCS/hello.TXT, granted {:?}",
        ro.file().granted_access()
    );
    let data = ro.read(0, 4096).await?;
    print!("read back: {}", String::from_utf8_lossy(&data));
    match ro.write(0, &b"nope"[..]).await {
        Err(status) => println!("write through /ro: {status}"),
        Ok(_) => println!("write through /ro unexpectedly succeeded"),
    }
    let refused = io
        .create_file(
            "/ro/new.txt",
            CreateRequest::new(me, rw, CreateDisposition::CREATE),
        )
        .await;
    println!(
        "create through /ro: {}",
        refused.err().unwrap_or(NtStatus::SUCCESS)
    );
    drop(ro);

    io.shutdown().await;
    println!("rundown after shutdown: {:?}", io.rundown());
    Ok(())
}
