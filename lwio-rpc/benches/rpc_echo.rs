//! What one RPC costs over npfs in-process: a 1 KiB rpcecho EchoData call (client
//! fragmenting and reassembling, FSCTL_PIPE_TRANSCEIVE, the server's connection thread
//! decoding, dispatching and answering), against the floor under it: a raw
//! FSCTL_PIPE_TRANSCEIVE of the same request bytes to a pipe server thread that only
//! echoes them back.
//!
//! A second group prices DCE/RPC protection: the same call over binds authenticated with
//! NTLMSSP at CONNECT, PKT_INTEGRITY (signed) and PKT_PRIVACY (sealed) levels.
//!
//! Run: `cargo bench -p lwio-rpc --bench rpc_echo`. After criterion's figures the bench
//! prints calls per second of both and their ratio (rpc / raw).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use lwio_auth::ntlm::{NtHash, NtlmCredentials, ServerNames, nt_hash};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, FileInfoClass,
    IoManager, block_on,
};
use lwio_npfs::{
    CompletionMode, FSCTL_PIPE_TRANSCEIVE, Npfs, NpfsDevice, PipeCreateParams, PipeInformation,
    ReadMode,
};
use lwio_rpc::RpcClient;
use lwio_rpc::interfaces::echo::{self, EchoInterface, RPCECHO_SYNTAX, stubs};
use lwio_rpc::pdu::{self, AuthLevel, AuthType, Pdu, PduBody, PfcFlags, Request};
use lwio_rpc::server::{AccountSource, RpcAuth, RpcServer, serve_pipe};

const DATA_LEN: usize = 1024;

fn rw() -> AccessMask {
    AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE
}

/// A pipe server that writes back every message it reads.
fn raw_echo_server(io: &IoManager) -> FileHandle {
    let token = Arc::new(AccessToken::system());
    let server = block_on(
        io.create_file(
            "/npfs/rawecho",
            CreateRequest::new(Arc::clone(&token), rw(), CreateDisposition::OPEN_IF)
                .ecp(PipeCreateParams::message()),
        ),
    )
    .unwrap();
    // The client connects before the server end reads: a read on an instance nobody has
    // connected to fails, which would end the echo thread and take the pipe with it.
    let client = block_on(io.create_file(
        "/npfs/rawecho",
        CreateRequest::new(token, rw(), CreateDisposition::OPEN),
    ))
    .unwrap();
    std::thread::spawn(move || {
        while let Ok(msg) = block_on(server.read(0, 1 << 16)) {
            if block_on(server.write(0, msg)).is_err() {
                break;
            }
        }
    });
    let modes = PipeInformation {
        read_mode: ReadMode::Message,
        completion_mode: CompletionMode::Queue,
    };
    block_on(client.set_information(FileInfoClass::PIPE, modes.encode())).unwrap();
    client
}

fn per_second(mut f: impl FnMut(), dur: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < dur {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn rpc_echo(c: &mut Criterion) {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let server = Arc::new(RpcServer::new().register(Arc::new(EchoInterface::new())));
    let _pipe = serve_pipe(&io, "npfs", "rpcecho", server).unwrap();
    let mut client = block_on(RpcClient::open(
        &io,
        "/npfs/rpcecho",
        Arc::new(AccessToken::system()),
    ))
    .unwrap();
    block_on(client.bind(RPCECHO_SYNTAX)).unwrap();
    let data = vec![0xA5u8; DATA_LEN];
    let stub = stubs::sized_data(&data);
    // The same bytes the RPC call puts on the pipe: one request fragment.
    let request = Bytes::from(pdu::encode(&Pdu::new(
        7,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Request(Request {
            opnum: echo::opnum::ECHO_DATA,
            stub: stub.clone(),
            ..Request::default()
        }),
    )));
    let raw = raw_echo_server(&io);

    let mut rpc_call = || {
        let out = block_on(client.call(echo::opnum::ECHO_DATA, black_box(&stub))).unwrap();
        assert_eq!(out.len(), DATA_LEN + 4);
    };
    let raw_call = || {
        let out =
            block_on(raw.fs_control(FSCTL_PIPE_TRANSCEIVE, request.clone(), 1 << 16)).unwrap();
        assert_eq!(out.len(), request.len());
    };

    let mut group = c.benchmark_group("rpc_echo_1k");
    group.bench_function("rpc_echo_data", |b| b.iter(&mut rpc_call));
    group.bench_function("raw_transceive", |b| b.iter(raw_call));
    group.finish();

    let rpc = per_second(&mut rpc_call, Duration::from_millis(500));
    let base = per_second(raw_call, Duration::from_millis(500));
    println!(
        "rpc_echo: EchoData 1 KiB {rpc:.0} calls/s ({:.1} µs/call); raw transceive {base:.0} calls/s \
         ({:.1} µs/call); rpc/raw time ratio {:.2}",
        1e6 / rpc,
        1e6 / base,
        base / rpc
    );
}

/// One account, `bench` / `bench-pass`.
struct Accounts;

impl AccountSource for Accounts {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        (user == "bench").then(|| nt_hash("bench-pass"))
    }
    fn logon(&self, user: &str, _: &str) -> Result<AccessToken, lwio_core::NtStatus> {
        ((user == "bench").then(|| AccessToken::new("S-1-5-21-1-2-3-1000".parse().unwrap())))
            .ok_or(lwio_core::NtStatus::LOGON_FAILURE)
    }
}

fn rpc_echo_auth(c: &mut Criterion) {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let server = Arc::new(
        RpcServer::new()
            .register(Arc::new(EchoInterface::new()))
            .with_auth(RpcAuth {
                names: ServerNames::default(),
                accounts: Arc::new(Accounts),
            }),
    );
    let _pipe = serve_pipe(&io, "npfs", "rpcecho", server).unwrap();
    let stub = stubs::sized_data(&[0xA5u8; DATA_LEN]);
    let mut group = c.benchmark_group("rpc_echo_1k_auth");
    for (name, level) in [
        ("connect", AuthLevel::CONNECT),
        ("integrity", AuthLevel::PKT_INTEGRITY),
        ("privacy", AuthLevel::PKT_PRIVACY),
    ] {
        let mut client = block_on(RpcClient::open(
            &io,
            "/npfs/rpcecho",
            Arc::new(AccessToken::anonymous()),
        ))
        .unwrap();
        let creds = NtlmCredentials {
            user: "bench".into(),
            domain: "WORKGROUP".into(),
            workstation: "BENCH".into(),
            nt_hash: nt_hash("bench-pass"),
        };
        block_on(client.bind_authenticated(RPCECHO_SYNTAX, creds, AuthType::WINNT, level)).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = block_on(client.call(echo::opnum::ECHO_DATA, black_box(&stub))).unwrap();
                assert_eq!(out.len(), DATA_LEN + 4);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, rpc_echo, rpc_echo_auth);
criterion_main!(benches);
