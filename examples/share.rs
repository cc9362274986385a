//! Serves a directory over SMB2/3 on 127.0.0.1:4450 as `//127.0.0.1/share`, user
//! `user`, password `pass`: `cargo run --example share -- /some/dir`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let share = format!("share={dir}");
    let args = ["lwiod", "--share", &share, "--user", "user:pass"];
    let server = lwio_srv::Server::new(lwio_srv::ServerConfig::from_cli(args)?)?;
    server
        .serve(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
        .await?;
    Ok(())
}
