//! What the local socket costs: a 64-byte read on an open memfs file through lwiod's local
//! interface (`lwio_client` to `LocalServer` over a Unix socket, both in this process on
//! one tokio runtime) against the same read through the in-process I/O manager; and 1 MiB
//! reads through each, as throughput.
//!
//! Run: `cargo bench -p lwiod --bench local_socket`. The figure to watch is socket /
//! in-process for the 64-byte read: the cost of the frame codec, two socket hops and the
//! task hand-offs on each side. `LOCAL_BENCH_RT=current` runs everything on one thread,
//! without cross-thread wake-ups.
//!
//! Measured (2 cores shared with other engineers' builds, load 4-14; criterion medians,
//! noisy): a 64-byte read 0.1-0.2 µs in process against 30-90 µs through the socket on the
//! two-worker runtime; 1 MiB reads 25-60 µs in process, 260-850 µs through the socket
//! (about 1.2-4 GiB/s). On the two-worker runtime the small round trip is the scheduler:
//! a profile shows about half its time in the kernel parking and waking tokio's workers
//! (finish_task_switch, try_to_wake_up, futex and eventfd), about 7.5 context switches per
//! round trip; the codec and the data system calls are a few per cent. A 1 MiB read is the
//! kernel copying through the socket's buffer (about 208 KiB: several partial writes and
//! wake-ups per MiB) and the driver's own copy.
//!
//! What was taken: buffered frame reads and vectored writes (system calls per 64-byte
//! round trip 11 to 7, by strace: 6 recvfrom, 2 sendto and 3 epoll_wait before; 2 recvfrom,
//! 2 writev and 3 epoll_wait after), no copy of a 1 MiB output into the daemon's batch nor
//! into a fresh client buffer, and an answer written by the task that has it when the queue
//! is empty (one hand-off less). With `LOCAL_BENCH_RT=current` (no cross-thread wake-ups)
//! the 64-byte round trip went from 21 µs to 17-18 µs median and from 15.2 to 13.2 µs of
//! CPU; on the two-worker runtime the medians did not move beyond the noise.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lwio_client::{AnyFile, DaemonClient, Opener};
use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager};
use lwio_memfs::{MemFs, Volume};
use lwiod::local::{Identities, LocalConfig, LocalServer};

const MIB: usize = 1 << 20;

async fn open(opener: &Opener) -> AnyFile {
    let access = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
    let request = CreateRequest::new(
        Arc::new(AccessToken::system()),
        access,
        CreateDisposition::OPEN_IF,
    );
    opener.create_file("/mem/f.bin", request).await.unwrap()
}

fn bench(c: &mut Criterion) {
    // `LOCAL_BENCH_RT=current`: every task on one thread, so no wake-up crosses threads
    // and what is left is the codec, the system calls and the task polls.
    let rt = match std::env::var("LOCAL_BENCH_RT").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread(),
        _ => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
    }
    .enable_all()
    .build()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("lwiod.sock");
    let io = IoManager::new();
    io.add_device("mem", Arc::new(MemFs::new()), Volume::new())
        .unwrap();
    let (local, remote) = rt.block_on(async {
        let server = LocalServer::bind(
            &sock,
            io.clone(),
            Identities::new(None, None),
            LocalConfig::default(),
        )
        .unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(server.run(stopped));
        std::mem::forget(stop);
        let local = open(&Opener::Local(io.clone())).await;
        local
            .write(0, bytes::Bytes::from(vec![7u8; MIB]))
            .await
            .unwrap();
        let client = DaemonClient::connect(&sock).await.unwrap();
        let remote = open(&Opener::Daemon(client)).await;
        (local, remote)
    });

    let mut g = c.benchmark_group("read_64");
    g.bench_function("in_process", |b| {
        b.to_async(&rt)
            .iter(|| async { local.read(0, 64).await.unwrap() })
    });
    g.bench_function("socket", |b| {
        b.to_async(&rt)
            .iter(|| async { remote.read(0, 64).await.unwrap() })
    });
    g.finish();

    let mut g = c.benchmark_group("read_1mib");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.bench_function("in_process", |b| {
        b.to_async(&rt)
            .iter(|| async { local.read(0, MIB as u32).await.unwrap() })
    });
    g.bench_function("socket", |b| {
        b.to_async(&rt)
            .iter(|| async { remote.read(0, MIB as u32).await.unwrap() })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
