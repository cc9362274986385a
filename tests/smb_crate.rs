#![allow(clippy::unwrap_used)]
//! Interoperability with the Rust `smb` crate's client (smb-rs, crates.io `smb` 0.12):
//! with encryption required (EncryptionMode::Required: the client refuses a session the
//! server does not encrypt), 100 MiB written and read back byte for byte at SMB 3.0
//! (AES-128-CCM) and SMB 3.1.1 (the cipher negotiated, AES-128-GCM first).

mod common;

use std::time::Duration;

use common::start;
use smb::connection::EncryptionMode;
use smb::{
    Client, ClientConfig, ConnectionConfig, CreateOptions, Dialect, FileAccessMask, FileAttributes,
    FileCreateArgs, ReadAt, UncPath, WriteAt,
};

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

const CHUNK: usize = 1 << 20;

async fn round_trip(port: u16, dialect: Dialect, name: &str, data: &[u8]) {
    let mut conn = ConnectionConfig {
        port: Some(port),
        min_dialect: Some(dialect),
        max_dialect: Some(dialect),
        encryption_mode: EncryptionMode::Required,
        timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    conn.auth_methods.kerberos = false;
    conn.auth_methods.ntlm = true;
    let client = Client::new(ClientConfig {
        dfs: false,
        connection: conn,
        ..Default::default()
    });
    let share = UncPath::new("127.0.0.1")
        .unwrap()
        .with_share("share")
        .unwrap();
    client
        .share_connect(&share, "user", "pass".to_string())
        .await
        .unwrap_or_else(|e| panic!("{dialect:?}: connect: {e}"));
    let path = share.clone().with_path(name);
    let file = client
        .create_file(
            &path,
            &FileCreateArgs::make_create_new(FileAttributes::new(), CreateOptions::new()),
        )
        .await
        .unwrap_or_else(|e| panic!("{dialect:?}: create: {e}"))
        .unwrap_file();
    let mut off = 0;
    while off < data.len() {
        let end = (off + CHUNK).min(data.len());
        let n = file.write_at(&data[off..end], off as u64).await.unwrap();
        assert!(n > 0, "{dialect:?}: wrote nothing at {off}");
        off += n;
    }
    file.close().await.unwrap();

    let file = client
        .create_file(
            &path,
            &FileCreateArgs::make_open_existing(
                FileAccessMask::new()
                    .with_file_read_data(true)
                    .with_file_read_attributes(true),
            ),
        )
        .await
        .unwrap()
        .unwrap_file();
    let mut back = vec![0u8; data.len()];
    let mut off = 0;
    while off < back.len() {
        let end = (off + CHUNK).min(back.len());
        let n = file.read_at(&mut back[off..end], off as u64).await.unwrap();
        assert!(n > 0, "{dialect:?}: read nothing at {off}");
        off += n;
    }
    file.close().await.unwrap();
    assert!(back == data, "{dialect:?}: read back different bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smb_crate_encrypted_hundred_mib() {
    let srv = start(&[]);
    let data = pattern(100 << 20, 2718);
    for (dialect, name) in [
        (Dialect::Smb030, "rs30.bin"),
        (Dialect::Smb0311, "rs311.bin"),
    ] {
        round_trip(srv.port, dialect, name, &data).await;
        assert!(
            std::fs::read(srv.dir.path().join(name)).unwrap() == data,
            "{dialect:?}: the file on disk"
        );
    }
}
