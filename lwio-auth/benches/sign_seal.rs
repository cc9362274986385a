//! What SMB2/3 message security costs per byte: signing (HMAC-SHA256, AES-128-CMAC,
//! AES-128-GMAC) and sealing (AES-128-GCM, AES-128-CCM, AES-256-GCM) of 64 KiB and 1 MiB
//! messages through lwio-auth's public functions, the way the server and the redirector
//! call them; and, for comparison, ring's AES-GCM used directly (GMAC is AES-GCM with the
//! message as additional data and no plaintext).
//!
//! Run: `cargo bench -p lwio-auth --bench sign_seal` (criterion prints bytes/s).
//! `SIGN_BENCH_COUNT=<case>:<bytes>:<n>` runs one case `n` times over a message of
//! `bytes` and exits, for `perf stat -e cycles,instructions` (cycles per byte do not
//! depend on the machine's load the way wall time does). Cases: `hmac`, `cmac`, `gmac`,
//! `gcm128`, `gcm256`, `ccm128`, `ring_gmac`, `ring_gmac_keyed`, `ring_gcm128`, `polyval`.
//!
//! `ring_gmac` builds ring's key per call, `ring_gmac_keyed` once (as a session would):
//! both are slow for the same reason, which is not the key schedule: ring hashes the
//! additional data one 16-byte block per call of its GHASH (`gcm::Context::new`), and
//! only the plaintext or ciphertext in bulk. `polyval` is the RustCrypto POLYVAL under
//! lwio's GHASH, alone over the message: the ceiling of that route.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use lwio_auth::smb2sign::{SigningAlgorithm, compute_signature};
use lwio_auth::smb3crypt::{Cipher, TRANSFORM_FLAG_ENCRYPTED, TransformHeader, encrypt_in_place};

const SIZES: [usize; 2] = [64 * 1024, 1024 * 1024];

/// A message of `len` bytes that starts with a plausible SMB2 header.
fn message(len: usize) -> Vec<u8> {
    let mut m: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
    m[..4].copy_from_slice(b"\xfeSMB");
    m
}

fn header(len: usize) -> TransformHeader {
    TransformHeader {
        signature: [0; 16],
        nonce: [9; 16],
        original_message_size: len as u32,
        reserved: 0,
        flags: TRANSFORM_FLAG_ENCRYPTED,
        session_id: 0x1234,
    }
}

/// One call of `case` over `msg` (sealed in place: the bytes change, the cost does not).
fn run_case(case: &str, msg: &mut [u8]) {
    let key16 = [0x42u8; 16];
    let key32 = [0x42u8; 32];
    let hdr = header(msg.len());
    match case {
        "hmac" => drop(black_box(
            compute_signature(SigningAlgorithm::HmacSha256, &key16, msg).unwrap(),
        )),
        "cmac" => drop(black_box(
            compute_signature(SigningAlgorithm::AesCmac, &key16, msg).unwrap(),
        )),
        "gmac" => drop(black_box(
            compute_signature(SigningAlgorithm::AesGmac, &key16, msg).unwrap(),
        )),
        "gcm128" => drop(black_box(
            encrypt_in_place(Cipher::Aes128Gcm, &key16, &hdr, msg).unwrap(),
        )),
        "gcm256" => drop(black_box(
            encrypt_in_place(Cipher::Aes256Gcm, &key32, &hdr, msg).unwrap(),
        )),
        "ccm128" => drop(black_box(
            encrypt_in_place(Cipher::Aes128Ccm, &key16, &hdr, msg).unwrap(),
        )),
        "ring_gmac" => drop(black_box(ring_gmac(&ring_key(&key16), msg))),
        "ring_gmac_keyed" => drop(black_box(ring_gmac(ring_key_once(), msg))),
        "polyval" => drop(black_box(polyval_only(msg))),
        "ring_gcm128" => drop(black_box(ring_gcm(&key16, msg))),
        other => panic!("unknown case {other}"),
    }
}

fn ring_key(key: &[u8]) -> ring::aead::LessSafeKey {
    let k = ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, key).unwrap();
    ring::aead::LessSafeKey::new(k)
}

/// The key of `ring_gmac_keyed`, scheduled once.
fn ring_key_once() -> &'static ring::aead::LessSafeKey {
    static KEY: std::sync::OnceLock<ring::aead::LessSafeKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| ring_key(&[0x42; 16]))
}

/// POLYVAL over the whole blocks of `msg`, keyed once.
fn polyval_only(msg: &[u8]) -> [u8; 16] {
    use polyval::universal_hash::UniversalHash;
    static KEY: std::sync::OnceLock<polyval::Polyval> = std::sync::OnceLock::new();
    let mut p = KEY
        .get_or_init(|| polyval::Polyval::new(&[0x42; 16].into()))
        .clone();
    let (blocks, _) = polyval::Block::slice_as_chunks(msg);
    p.update(blocks);
    p.finalize().into()
}

fn ring_gmac(key: &ring::aead::LessSafeKey, msg: &[u8]) -> ring::aead::Tag {
    let nonce = ring::aead::Nonce::assume_unique_for_key([3; 12]);
    key.seal_in_place_separate_tag(nonce, ring::aead::Aad::from(msg), &mut [])
        .unwrap()
}

fn ring_gcm(key: &[u8], msg: &mut [u8]) -> ring::aead::Tag {
    let nonce = ring::aead::Nonce::assume_unique_for_key([3; 12]);
    ring_key(key)
        .seal_in_place_separate_tag(nonce, ring::aead::Aad::from([0u8; 32]), msg)
        .unwrap()
}

const CASES: [&str; 10] = [
    "hmac",
    "cmac",
    "gmac",
    "ring_gmac",
    "ring_gmac_keyed",
    "polyval",
    "gcm128",
    "ring_gcm128",
    "gcm256",
    "ccm128",
];

fn sign_seal(c: &mut Criterion) {
    for size in SIZES {
        let mut g = c.benchmark_group(format!("{}KiB", size / 1024));
        g.throughput(Throughput::Bytes(size as u64));
        let mut msg = message(size);
        for case in CASES {
            g.bench_function(case, |b| b.iter(|| run_case(case, &mut msg)));
        }
        g.finish();
    }
}

/// `SIGN_BENCH_COUNT=<case>:<bytes>:<n>`: one case `n` times.
fn count(spec: &str) {
    let mut it = spec.split(':');
    let case = it.next().expect("a case");
    let bytes: usize = it.next().expect("a size").parse().expect("a size");
    let n: usize = it.next().expect("a count").parse().expect("a count");
    let mut msg = message(bytes);
    for _ in 0..n {
        run_case(case, &mut msg);
    }
}

criterion_group!(benches, sign_seal);

fn main() {
    if let Ok(spec) = std::env::var("SIGN_BENCH_COUNT") {
        count(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
