//! What PVFS costs over the raw system calls, in one run:
//! - open an existing file and close it, through IoManager + PVFS, against the raw
//!   `std::fs` equivalent of what PVFS must learn (open + fstat + getxattr + close);
//! - query FileBasicInformation by name (open, query, close) against the same baseline;
//! - open one name, spelled in another case, in a 100,000-entry directory.
//!
//! Run: `cargo bench --bench pvfs`. The figures to watch are the ratios to `raw`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::os::fd::AsFd;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use lwio::core::{CreateDisposition, FileInfoClass};
use lwio::pvfs::{PvfsConfig, mount};
use lwio::{AccessMask, AccessToken, CreateRequest, IoManager, block_on};

const BIG: usize = 100_000;

fn pvfs(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.txt"), vec![7u8; 4096]).unwrap();
    let big = dir.path().join("big");
    std::fs::create_dir(&big).unwrap();
    for i in 0..BIG {
        std::fs::File::create(big.join(format!("file_{i:06}.txt"))).unwrap();
    }
    let io = IoManager::new();
    mount(&io, "s", dir.path(), PvfsConfig::default()).unwrap();
    let token = Arc::new(AccessToken::system());
    let open = |path: &str| {
        let req = CreateRequest::new(
            token.clone(),
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
        );
        block_on(io.create_file(path, req)).unwrap()
    };
    // Write the DOS attributes once, so every case reads a real xattr.
    drop(open("/s/file.txt"));

    let raw_path = dir.path().join("file.txt");
    let mut g = c.benchmark_group("pvfs");
    g.bench_function("raw_open_fstat_getxattr_close", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&raw_path).unwrap();
            let st = f.metadata().unwrap();
            let mut buf = [0u8; 64];
            let x = rustix::fs::fgetxattr(f.as_fd(), "user.lwio.dos", &mut buf);
            black_box((st.len(), x.ok()));
        })
    });
    g.bench_function("open_close", |b| b.iter(|| black_box(open("/s/file.txt"))));
    g.bench_function("open_query_basic_close", |b| {
        b.iter(|| {
            let f = open("/s/file.txt");
            black_box(block_on(f.query_information(FileInfoClass::BASIC, 40)).unwrap())
        })
    });
    g.bench_function("open_close_other_case_in_100k_dir", |b| {
        b.iter(|| black_box(open("/s/BIG/FILE_054321.TXT")))
    });
    g.finish();
}

criterion_group!(benches, pvfs);
criterion_main!(benches);
