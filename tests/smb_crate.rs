#![allow(clippy::unwrap_used)]
//! Interoperability with the Rust `smb` crate's client (smb-rs, crates.io `smb` 0.12):
//! with encryption required (EncryptionMode::Required: the client refuses a session the
//! server does not encrypt), 100 MiB written and read back byte for byte at SMB 3.0
//! (AES-128-CCM) and SMB 3.1.1 (the cipher negotiated, AES-128-GCM first).
//!
//! SMB 3.1.1 compression: the client compresses every request above 1 KiB with LZ4
//! (unchained) and asks for compressed READ responses, which the server sends chained
//! (LZ4 and Pattern_V1) when they shrink. Compressible and incompressible data round-trip
//! byte for byte, signed and encrypted (compression before encryption), and the server's
//! counters show compression happened both ways. A compressed request that lies about its
//! size drops the connection without the server allocating what it announced.

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
    round_trip_as(port, dialect, name, data, EncryptionMode::Required, false).await;
}

async fn round_trip_as(
    port: u16,
    dialect: Dialect,
    name: &str,
    data: &[u8],
    encryption_mode: EncryptionMode,
    compression_enabled: bool,
) {
    let mut conn = ConnectionConfig {
        port: Some(port),
        min_dialect: Some(dialect),
        max_dialect: Some(dialect),
        encryption_mode,
        compression_enabled,
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

/// Text-like data that compresses well, with runs of zeros (Pattern_V1 at the ends of
/// READ responses).
fn compressible(len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    let mut i = 0u64;
    while v.len() < len {
        v.extend_from_slice(
            format!("line {i}: the quick brown fox jumps over the lazy dog\n").as_bytes(),
        );
        if i % 97 == 0 {
            v.extend(std::iter::repeat_n(0u8, 70_000));
        }
        i += 1;
    }
    v.truncate(len);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smb_crate_compressed_round_trips() {
    let srv = start(&[]);
    let text = compressible(32 << 20);
    let noise = pattern(16 << 20, 31337);
    for (mode, tag) in [
        (EncryptionMode::Allowed, "signed"),
        (EncryptionMode::Required, "sealed"),
    ] {
        let before = srv.endpoint.stats();
        let name = format!("text-{tag}.bin");
        round_trip_as(srv.port, Dialect::Smb0311, &name, &text, mode, true).await;
        assert!(
            std::fs::read(srv.dir.path().join(&name)).unwrap() == text,
            "{tag}: the file on disk"
        );
        let after = srv.endpoint.stats();
        assert!(
            after.compressed_requests >= before.compressed_requests + 32,
            "{tag}: compressed WRITEs decompressed: {} -> {}",
            before.compressed_requests,
            after.compressed_requests
        );
        assert!(
            after.compressed_responses >= before.compressed_responses + 32,
            "{tag}: compressed READ responses: {} -> {}",
            before.compressed_responses,
            after.compressed_responses
        );
        let before = srv.endpoint.stats();
        let name = format!("noise-{tag}.bin");
        round_trip_as(srv.port, Dialect::Smb0311, &name, &noise, mode, true).await;
        assert!(
            std::fs::read(srv.dir.path().join(&name)).unwrap() == noise,
            "{tag}: noise on disk"
        );
        let after = srv.endpoint.stats();
        // The client compresses anyway; the server never sends what does not shrink.
        assert!(
            after.compressed_requests >= before.compressed_requests + 16,
            "{tag}: noise WRITEs"
        );
        assert_eq!(
            after.compressed_responses, before.compressed_responses,
            "{tag}: noise READs go plain"
        );
    }
}

mod raw {
    //! A bare 3.1.1 NEGOTIATE offering compression, then hostile compressed frames.
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use lwio_smb2::frame::encode_frame;
    use lwio_smb2::negotiate::{
        CompressionAlgorithm, CompressionCapabilities, CompressionFlags, HashAlgorithm,
        PreauthIntegrity,
    };
    use lwio_smb2::{Command, Dialect, Header, NegotiateContext, NegotiateRequest, SecurityMode};

    pub(super) fn negotiated(port: u16) -> TcpStream {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut m = Vec::new();
        Header {
            command: Command::NEGOTIATE,
            credits: 64,
            ..Header::default()
        }
        .encode(&mut m);
        NegotiateRequest {
            security_mode: SecurityMode::SIGNING_ENABLED,
            dialects: vec![Dialect::SMB_3_1_1],
            contexts: vec![
                NegotiateContext::PreauthIntegrity(PreauthIntegrity {
                    hash_algorithms: vec![HashAlgorithm::SHA512],
                    salt: vec![7; 32],
                }),
                NegotiateContext::Compression(CompressionCapabilities {
                    flags: CompressionFlags::CHAINED,
                    algorithms: vec![CompressionAlgorithm::LZ77, CompressionAlgorithm::LZ4],
                }),
            ],
            ..NegotiateRequest::default()
        }
        .encode(&mut m);
        send(&mut s, &m);
        let r = recv(&mut s).expect("negotiate response");
        assert_eq!(&r[8..12], &[0, 0, 0, 0], "negotiate succeeded");
        s
    }

    pub(super) fn send(s: &mut TcpStream, msg: &[u8]) {
        let mut wire = Vec::new();
        encode_frame(msg, &mut wire);
        s.write_all(&wire).unwrap();
    }

    /// The next message, `None` when the server closed the connection.
    pub(super) fn recv(s: &mut TcpStream) -> Option<Vec<u8>> {
        let mut head = [0u8; 4];
        s.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).ok()?;
        Some(body)
    }

    /// A compressed ECHO: the 68-byte request (which compresses to little) padded to
    /// `len` with zeros, LZ77 unchained, announcing `announced` bytes.
    pub(super) fn lying_frame(announced: u32, len: usize) -> Vec<u8> {
        let mut m = Vec::new();
        Header {
            command: Command::ECHO,
            credits: 1,
            message_id: 1,
            ..Header::default()
        }
        .encode(&mut m);
        m.extend_from_slice(&[4, 0, 0, 0]);
        m.resize(len, 0);
        let mut frame =
            lwio_smb2::compression::compress_unchained(&m, CompressionAlgorithm::LZ77).unwrap();
        frame[4..8].copy_from_slice(&announced.to_le_bytes());
        frame
    }
}

/// A compressed request whose OriginalCompressedSegmentSize is above the limit of MS-SMB2
/// 3.3.5.2.1.2 (4 GiB, or one byte over), or more than its data holds, drops the
/// connection; the limit is checked before anything is allocated (lwio-xca and
/// lwio-smb2 unit tests show the order), so nothing near 4 GiB is ever asked of the
/// allocator. An honest one on the same kind of connection is served.
#[test]
fn lying_compressed_sizes_drop_the_connection() {
    let srv = start(&[]);
    // MS-SMB2 3.3.5.2.1.2: at most the largest read/write/transact size + 256 + 16.
    let over = lwio_srv::Settings::default().max_read_write + 256 + 16 + 1;
    for (announced, what) in [
        (u32::MAX, "4 GiB announced"),
        (over, "one byte above the limit announced"),
        (1 << 20, "1 MiB announced, 4 KiB sent"),
    ] {
        let mut s = raw::negotiated(srv.port);
        raw::send(&mut s, &raw::lying_frame(announced, 4096));
        assert!(
            raw::recv(&mut s).is_none(),
            "{what}: the connection is dropped"
        );
    }
    let before = srv.endpoint.stats();
    let mut s = raw::negotiated(srv.port);
    // Honest: an ECHO with 4 KiB of trailing zeros is not a valid ECHO body length, but
    // the frame decompresses, reaches the engine and is answered.
    raw::send(&mut s, &raw::lying_frame(4096, 4096));
    assert!(
        raw::recv(&mut s).is_some(),
        "an honest compressed request is answered"
    );
    assert_eq!(
        srv.endpoint.stats().compressed_requests,
        before.compressed_requests + 1
    );
}
