//! What one IRP costs: a 64-byte read on an open memfs file through the I/O manager,
//! completed at once, completed later on the driver's worker thread, and through one filter
//! layer; against the same driver code called directly through a trait object.
//!
//! Run: `cargo bench --bench irp_dispatch`. The figure to watch is manager / direct.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use lwio::core::filter::ReadOnlyFilter;
use lwio::core::{CreateDisposition, FileHandle};
use lwio::memfs::{ByteStore, MemFs, Node, Volume};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, block_on};

const LEN: u32 = 64;

fn open(io: &IoManager, path: &str) -> FileHandle {
    let token = Arc::new(AccessToken::system());
    let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
    let file = block_on(io.create_file(
        path,
        CreateRequest::new(token, rw, CreateDisposition::OPEN_IF),
    ))
    .unwrap();
    block_on(file.write(0, vec![0x5a; 4096])).unwrap();
    file
}

fn irp_dispatch(c: &mut Criterion) {
    let io = IoManager::new();
    let volume = Volume::new();
    io.add_device("mem", Arc::new(MemFs::new()), volume.clone())
        .unwrap();
    io.add_device("worker", Arc::new(MemFs::with_worker()), Volume::new())
        .unwrap();
    io.add_device("filtered", Arc::new(MemFs::new()), Volume::new())
        .unwrap();

    let sync_file = open(&io, "/mem/bench.dat");
    let worker_file = open(&io, "/worker/bench.dat");
    // Seed through the bare device, then attach the filter and open through it.
    drop(open(&io, "/filtered/bench.dat"));
    io.attach_filter("filtered", Arc::new(ReadOnlyFilter), ())
        .unwrap();
    let filtered_file = {
        let token = Arc::new(AccessToken::system());
        let req = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
        block_on(io.create_file("/filtered/bench.dat", req)).unwrap()
    };
    let node = volume.lookup("bench.dat").unwrap();
    let Node::File(direct) = &*node else {
        unreachable!()
    };
    let direct: &dyn ByteStore = direct;

    let mut g = c.benchmark_group("read_64B");
    g.bench_function("direct_trait_object", |b| {
        b.iter(|| black_box(direct.read_at(black_box(0), black_box(LEN)).unwrap()))
    });
    g.bench_function("manager_immediate", |b| {
        b.iter(|| black_box(block_on(sync_file.read(black_box(0), black_box(LEN))).unwrap()))
    });
    g.bench_function("manager_one_filter", |b| {
        b.iter(|| black_box(block_on(filtered_file.read(black_box(0), black_box(LEN))).unwrap()))
    });
    g.bench_function("manager_worker_thread", |b| {
        b.iter(|| black_box(block_on(worker_file.read(black_box(0), black_box(LEN))).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, irp_dispatch);
criterion_main!(benches);
