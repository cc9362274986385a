//! Serves a directory over SMB2/3 on 127.0.0.1:4450 as `//127.0.0.1/share`, user
//! `user`, password `pass`: `cargo run --example share -- /some/dir [ADDR]`.

use lwio::srv::accounts::{MemoryAccounts, UserConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let addr = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "127.0.0.1:4450".into());
    let io = lwio::IoManager::new();
    lwio::pvfs::mount(&io, "share", dir.as_ref(), Default::default())?;
    let server = lwio::srv::Server::builder(io)
        .disk_share("share", "share")
        .accounts(MemoryAccounts::shared(&[UserConfig::new("user", "pass")]))
        .bind(addr.parse()?)
        .build()?;
    println!("serving {dir} as //{addr}/share");
    server
        .serve(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    Ok(())
}
