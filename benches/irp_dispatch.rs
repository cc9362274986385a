//! What one IRP costs: a 64-byte read on an open memfs file through the I/O manager,
//! completed at once, completed later on the driver's worker thread, and through one filter
//! layer; against the same driver code called directly through a trait object. And what a
//! work queue costs: a driver that queues every read on a `WorkQueue` (as PVFS does) and
//! answers from memory there, so only the hop to the worker and back is measured.
//!
//! Run: `cargo bench --bench irp_dispatch`. The figures to watch are manager / direct
//! (goal: at most 2x) and one filter / manager (goal: at most 1.3x).
//! `IRP_BENCH_MEDIANS=<rounds>` skips criterion and prints each case's median time per
//! call over `rounds` rounds, and those ratios. `IRP_BENCH_COUNT=<case>:<n>` runs one case
//! `n` times and exits, for `valgrind --tool=callgrind` (cases: `direct`, `manager`,
//! `filter`): the difference of the totals of two runs (say 10,000 and 20,000 calls),
//! divided by the difference in calls, is the cost of one call without the setup.
//! Instruction counts do not depend on the machine's load, so they are the figures to
//! compare on a shared machine. Last measured (bench profile): direct 245, manager 486
//! (1.98x), one filter 554 (1.14x manager).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group};
use lwio::core::filter::ReadOnlyFilter;
use lwio::core::{CreateDisposition, FileHandle, WorkQueue, WorkQueueConfig};
use lwio::core::{Dispatched, Driver, Irp, IrpRequest, IrpResult};
use lwio::memfs::{ByteStore, MemFs, Node, Volume};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, NtStatus, block_on};

mod common;

const LEN: u32 = 64;

/// A driver that answers reads with zeros, from a work queue's worker.
struct Queued(WorkQueue);

impl Driver for Queued {
    type Device = ();
    type File = ();

    fn name(&self) -> &str {
        "queued"
    }

    fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Read(r) => {
                let n = r.length as usize;
                self.0.queue_irp(irp, move |_| {
                    IrpResult::with_output(NtStatus::SUCCESS, vec![0; n])
                })
            }
            _ => irp.complete(NtStatus::SUCCESS),
        }
    }
}

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

/// The files every case reads.
struct Fixture {
    _io: IoManager,
    volume: Volume,
    sync_file: FileHandle,
    worker_file: FileHandle,
    filtered_file: FileHandle,
    queued_file: FileHandle,
}

impl Fixture {
    fn new() -> Fixture {
        let io = IoManager::new();
        let volume = Volume::new();
        io.add_device("mem", Arc::new(MemFs::new()), volume.clone())
            .unwrap();
        io.add_device("worker", Arc::new(MemFs::with_worker()), Volume::new())
            .unwrap();
        io.add_device("filtered", Arc::new(MemFs::new()), Volume::new())
            .unwrap();
        let queue = WorkQueue::new(WorkQueueConfig::new(1, 64).named("bench-work"));
        io.add_device("queued", Arc::new(Queued(queue)), ())
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
        let queued_file = {
            let token = Arc::new(AccessToken::system());
            let req = CreateRequest::new(token, AccessMask::GENERIC_READ, CreateDisposition::OPEN);
            block_on(io.create_file("/queued/bench.dat", req)).unwrap()
        };
        Fixture {
            _io: io,
            volume,
            sync_file,
            worker_file,
            filtered_file,
            queued_file,
        }
    }

    /// The memfs file's store, read directly.
    fn direct(&self) -> Arc<Node> {
        self.volume.lookup("bench.dat").unwrap()
    }
}

fn direct_read(node: &Node) -> Vec<u8> {
    let Node::File(direct) = node else {
        unreachable!()
    };
    let direct: &dyn ByteStore = direct;
    direct.read_at(black_box(0), black_box(LEN)).unwrap()
}

fn read(file: &FileHandle) -> Vec<u8> {
    block_on(file.read(black_box(0), black_box(LEN))).unwrap()
}

fn irp_dispatch(c: &mut Criterion) {
    let f = Fixture::new();
    let node = f.direct();
    let mut g = c.benchmark_group("read_64B");
    g.bench_function("direct_trait_object", |b| {
        b.iter(|| black_box(direct_read(&node)))
    });
    g.bench_function("manager_immediate", |b| {
        b.iter(|| black_box(read(&f.sync_file)))
    });
    g.bench_function("manager_one_filter", |b| {
        b.iter(|| black_box(read(&f.filtered_file)))
    });
    g.bench_function("manager_worker_thread", |b| {
        b.iter(|| black_box(read(&f.worker_file)))
    });
    g.bench_function("manager_work_queue", |b| {
        b.iter(|| black_box(read(&f.queued_file)))
    });
    g.finish();
}

/// `IRP_BENCH_MEDIANS=<rounds>`: each case's median, and the ratios.
fn medians(rounds: usize) {
    let f = Fixture::new();
    let node = f.direct();
    let cases = vec![
        common::Case::new("direct", || drop(black_box(direct_read(&node)))),
        common::Case::new("manager", || drop(black_box(read(&f.sync_file)))),
        common::Case::new("one_filter", || drop(black_box(read(&f.filtered_file)))),
        common::Case::new("worker_thread", || drop(black_box(read(&f.worker_file)))),
        common::Case::new("work_queue", || drop(black_box(read(&f.queued_file)))),
    ];
    common::run(
        rounds,
        cases,
        &[
            ("manager", "direct"),
            ("one_filter", "manager"),
            ("worker_thread", "manager"),
            ("work_queue", "manager"),
        ],
    );
}

/// `IRP_BENCH_COUNT=<case>:<n>`: one case `n` times, for instruction counts.
fn count(spec: &str) {
    let (case, n) = spec.split_once(':').expect("IRP_BENCH_COUNT=<case>:<n>");
    let n: usize = n.parse().expect("a count");
    let f = Fixture::new();
    let node = f.direct();
    let run = |one: &dyn Fn()| {
        for _ in 0..n {
            one();
        }
    };
    match case {
        "direct" => run(&|| drop(black_box(direct_read(&node)))),
        "manager" => run(&|| drop(black_box(read(&f.sync_file)))),
        "filter" => run(&|| drop(black_box(read(&f.filtered_file)))),
        other => panic!("unknown case {other}"),
    }
}

criterion_group!(benches, irp_dispatch);

fn main() {
    if let Ok(spec) = std::env::var("IRP_BENCH_COUNT") {
        count(&spec);
        return;
    }
    if let Ok(rounds) = std::env::var("IRP_BENCH_MEDIANS") {
        medians(rounds.parse().expect("a number of rounds"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
