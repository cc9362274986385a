//! What PVFS costs over the raw system calls, and what its work queue costs over running
//! on the caller's thread, in one run. Each PVFS case runs twice over the same files: on
//! the caller's thread (`caller/...`, `Execution::CallerThread`: every system call made
//! before dispatch returns, as PVFS did before its work queue) and on a work queue
//! (`queue/...`, the default: the IRP pends, a worker runs it and wakes the caller):
//! - open an existing file and close it, through IoManager + PVFS, against the raw
//!   `std::fs` equivalent of what PVFS must learn (open + fstat + getxattr + close);
//! - query FileBasicInformation by name (open, query, close) against the same baseline;
//! - open a file one directory down (`dir/file.txt`), the same way;
//! - open and close a second handle of a file another handle holds open;
//! - open one name, spelled in another case, in a 100,000-entry directory;
//! - create a new file (and close it) in a directory already holding 2,000 or 20,000
//!   entries: the time per create should not grow with the directory, since PVFS updates
//!   its case-folded name index in place instead of rescanning after each of its own
//!   changes.
//!
//! `file.txt` and `dir/file.txt` are made through PVFS, so they carry a stored security
//! descriptor and DOS attributes, as every file a client made does: an open reads both.
//!
//! Run: `cargo bench --bench pvfs`. The figures to watch are the ratios to `raw` and of
//! `queue/` to `caller/`. `PVFS_BENCH_MEDIANS=<rounds>` skips criterion and prints, for
//! every case, the median over `rounds` rounds of the time per call, and those ratios
//! (run it several times: the machine is shared). Criterion's arguments filter cases:
//! `cargo bench --bench pvfs -- queue/open_close`.
//!
//! Wall-clock time is noisy on a shared machine; instruction counts are not. With
//! `PVFS_BENCH_COUNT=<case>:<n>` the binary skips criterion, runs one case `n` times and
//! exits, for `valgrind --tool=callgrind` (two runs with different `n` give the cost of one
//! iteration without the setup) or `strace -c` (divide by `n`); `PVFS_BENCH_MODE=queue`
//! runs it through the work queue (default: the caller's thread):
//!
//! ```text
//! PVFS_BENCH_COUNT=open_close:1000 strace -f -c target/release/deps/pvfs-<hash>
//! ```
//!
//! Cases: `raw`, `open_close`, `open_query_basic_close`, `open_close_in_subdir`,
//! `open_close_second_handle`, `other_case_in_100k_dir`, `create_in_2000_dir`,
//! `create_in_20000_dir`, and (counts only) `create_delete_on_close`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group};
use lwio::core::WorkQueue;
use lwio::core::{CreateDisposition, CreateOptions, FileHandle, FileInfoClass};
use lwio::pvfs::{Execution, PvfsConfig, mount};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, block_on};

mod common;

const BIG: usize = 100_000;

/// A share with the files every case opens, mounted twice: on the caller's thread and on a
/// work queue.
struct Fixture {
    dir: tempfile::TempDir,
    caller: IoManager,
    queue: IoManager,
    token: Arc<AccessToken>,
}

/// One mount of the fixture's share.
#[derive(Clone, Copy)]
struct Mount<'a> {
    io: &'a IoManager,
    token: &'a Arc<AccessToken>,
}

impl Fixture {
    /// `big`: also fill the 100,000-entry directory (slow to make).
    fn new(big: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        if big {
            let big = dir.path().join("big");
            std::fs::create_dir(&big).unwrap();
            for i in 0..BIG {
                std::fs::File::create(big.join(format!("file_{i:06}.txt"))).unwrap();
            }
        }
        let mounted = |execution: Execution| {
            let io = IoManager::new();
            let mut config = PvfsConfig::default();
            config.execution = execution;
            mount(&io, "s", dir.path(), config).unwrap();
            io
        };
        let f = Fixture {
            caller: mounted(Execution::CallerThread),
            queue: mounted(Execution::Queue(WorkQueue::shared())),
            dir,
            token: Arc::new(AccessToken::system()),
        };
        // Made through PVFS (security descriptor and DOS attributes stored), then filled.
        for name in ["file.txt", "dir/file.txt"] {
            drop(
                f.on(false)
                    .create(&format!("/s/{name}"), CreateDisposition::CREATE),
            );
            std::fs::write(f.dir.path().join(name), vec![7u8; 4096]).unwrap();
        }
        f
    }

    /// The mount on a work queue (`true`) or on the caller's thread.
    fn on(&self, queue: bool) -> Mount<'_> {
        Mount {
            io: if queue { &self.queue } else { &self.caller },
            token: &self.token,
        }
    }

    fn raw_path(&self) -> PathBuf {
        self.dir.path().join("file.txt")
    }
}

impl Mount<'_> {
    fn create(&self, path: &str, disposition: CreateDisposition) -> FileHandle {
        let req = CreateRequest::new(self.token.clone(), AccessMask::GENERIC_READ, disposition);
        block_on(self.io.create_file(path, req)).unwrap()
    }

    fn open(&self, path: &str) -> FileHandle {
        self.create(path, CreateDisposition::OPEN)
    }
}

fn raw(path: &PathBuf) {
    let f = std::fs::File::open(path).unwrap();
    let st = f.metadata().unwrap();
    let mut buf = [0u8; 64];
    let x = rustix::fs::fgetxattr(f.as_fd(), "user.lwio.dos", &mut buf);
    black_box((st.len(), x.ok()));
}

fn open_query_basic(m: Mount<'_>) {
    let file = m.open("/s/file.txt");
    black_box(block_on(file.query_information(FileInfoClass::BASIC, 40)).unwrap());
}

/// A new file made and deleted again at close (a temporary file's life), for the counts.
fn create_delete_on_close(m: Mount<'_>) {
    let req = CreateRequest::new(
        m.token.clone(),
        AccessMask::GENERIC_ALL,
        CreateDisposition::CREATE,
    )
    .options(CreateOptions::DELETE_ON_CLOSE);
    drop(black_box(
        block_on(m.io.create_file("/s/dir/tmp.txt", req)).unwrap(),
    ));
}

/// A directory `grow<n>_<mode>` holding `n` files (made directly, before the clock starts),
/// and a counter for the names [`create_new`] makes in it. One per mode: the two mounts
/// keep name indexes of their own, and each would see the other's creates as changes made
/// behind its back (and rescan).
fn grow_dir(f: &Fixture, n: usize, mode: &str) -> (String, std::cell::Cell<usize>) {
    let name = format!("grow{n}_{mode}");
    let dir = f.dir.path().join(&name);
    std::fs::create_dir(&dir).unwrap();
    for i in 0..n {
        std::fs::File::create(dir.join(format!("old_{i:06}.txt"))).unwrap();
    }
    // Past the name index's racy window, as a directory a client copies into usually is.
    std::thread::sleep(std::time::Duration::from_millis(100));
    (name, std::cell::Cell::new(0))
}

/// Creates one new file (a name never used before) in `dir` through PVFS and closes it.
fn create_new(m: Mount<'_>, dir: &str, next: &std::cell::Cell<usize>) {
    let i = next.get();
    next.set(i + 1);
    drop(black_box(m.create(
        &format!("/s/{dir}/New_{i:08}.txt"),
        CreateDisposition::CREATE,
    )));
}

fn pvfs(c: &mut Criterion) {
    let f = Fixture::new(true);
    let raw_path = f.raw_path();
    let mut g = c.benchmark_group("pvfs");
    g.bench_function("raw_open_fstat_getxattr_close", |b| {
        b.iter(|| raw(&raw_path))
    });
    for (mode, queue) in [("caller", false), ("queue", true)] {
        let m = f.on(queue);
        let grow: Vec<_> = [2_000, 20_000].map(|n| (n, grow_dir(&f, n, mode))).into();
        g.bench_function(format!("{mode}/open_close"), |b| {
            b.iter(|| black_box(m.open("/s/file.txt")))
        });
        g.bench_function(format!("{mode}/open_query_basic_close"), |b| {
            b.iter(|| open_query_basic(m))
        });
        g.bench_function(format!("{mode}/open_close_in_subdir"), |b| {
            b.iter(|| black_box(m.open("/s/dir/file.txt")))
        });
        {
            let _held = m.open("/s/file.txt");
            g.bench_function(format!("{mode}/open_close_second_handle"), |b| {
                b.iter(|| black_box(m.open("/s/file.txt")))
            });
        }
        g.bench_function(format!("{mode}/open_close_other_case_in_100k_dir"), |b| {
            b.iter(|| black_box(m.open("/s/BIG/FILE_054321.TXT")))
        });
        for (n, (dir, next)) in &grow {
            g.bench_function(format!("{mode}/create_in_{n}_dir"), |b| {
                b.iter(|| create_new(m, dir, next))
            });
        }
    }
    g.finish();
}

/// `PVFS_BENCH_COUNT=<case>:<n>`: run one case `n` times (see the module docs).
fn count(spec: &str) {
    let (case, n) = spec.split_once(':').expect("PVFS_BENCH_COUNT=<case>:<n>");
    let n: usize = n.parse().expect("a count");
    let queue = std::env::var("PVFS_BENCH_MODE").is_ok_and(|m| m == "queue");
    let f = Fixture::new(case == "other_case_in_100k_dir");
    let m = f.on(queue);
    let raw_path = f.raw_path();
    let _held = (case == "open_close_second_handle").then(|| m.open("/s/file.txt"));
    let grow = case
        .strip_prefix("create_in_")
        .and_then(|c| c.strip_suffix("_dir"))
        .map(|n| grow_dir(&f, n.parse().expect("a size"), "count"));
    for _ in 0..n {
        match case {
            "raw" => raw(&raw_path),
            "open_close" => drop(black_box(m.open("/s/file.txt"))),
            "open_query_basic_close" => open_query_basic(m),
            "open_close_in_subdir" => drop(black_box(m.open("/s/dir/file.txt"))),
            "open_close_second_handle" => drop(black_box(m.open("/s/file.txt"))),
            "other_case_in_100k_dir" => drop(black_box(m.open("/s/BIG/FILE_054321.TXT"))),
            "create_delete_on_close" => create_delete_on_close(m),
            _ if grow.is_some() => {
                let (dir, next) = grow.as_ref().unwrap();
                create_new(m, dir, next);
            }
            other => panic!("unknown case {other}"),
        }
    }
}

/// `PVFS_BENCH_MEDIANS=<rounds>`: every case's median time per call, and the ratios.
fn medians(rounds: usize) {
    const CASES: [&str; 6] = [
        "open_close",
        "open_query_basic_close",
        "open_close_in_subdir",
        "open_close_other_case_in_100k_dir",
        "create_in_2000_dir",
        "create_in_20000_dir",
    ];
    let f = Fixture::new(true);
    let raw_path = f.raw_path();
    let grow: Vec<Vec<_>> = ["caller", "queue"]
        .map(|mode| [2_000, 20_000].map(|n| grow_dir(&f, n, mode)).into())
        .into();
    let mut cases = vec![common::Case::new("raw", || raw(&raw_path))];
    for ((mode, queue), grow) in [("caller", false), ("queue", true)].into_iter().zip(&grow) {
        let on = f.on(queue);
        cases.push(common::Case::new(format!("{mode}/open_close"), move || {
            drop(on.open("/s/file.txt"))
        }));
        cases.push(common::Case::new(
            format!("{mode}/open_query_basic_close"),
            move || open_query_basic(on),
        ));
        cases.push(common::Case::new(
            format!("{mode}/open_close_in_subdir"),
            move || drop(on.open("/s/dir/file.txt")),
        ));
        cases.push(common::Case::new(
            format!("{mode}/open_close_other_case_in_100k_dir"),
            move || drop(on.open("/s/BIG/FILE_054321.TXT")),
        ));
        for (n, (dir, next)) in [2_000, 20_000].iter().zip(grow) {
            cases.push(common::Case::new(
                format!("{mode}/create_in_{n}_dir"),
                move || create_new(on, dir, next),
            ));
        }
    }
    let names: Vec<(String, String)> = CASES
        .iter()
        .map(|c| (format!("caller/{c}"), format!("queue/{c}")))
        .collect();
    let mut ratios = Vec::new();
    for (caller, queue) in &names {
        ratios.push((caller.as_str(), "raw"));
        ratios.push((queue.as_str(), "raw"));
        ratios.push((queue.as_str(), caller.as_str()));
    }
    common::run(rounds, cases, &ratios);
}

criterion_group!(benches, pvfs);

fn main() {
    if let Ok(spec) = std::env::var("PVFS_BENCH_COUNT") {
        count(&spec);
        return;
    }
    if let Ok(rounds) = std::env::var("PVFS_BENCH_MEDIANS") {
        medians(rounds.parse().expect("a number of rounds"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
