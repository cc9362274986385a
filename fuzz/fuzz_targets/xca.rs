//! The SMB 3.1.1 compression algorithms (lwio-xca).
//!
//! - Each decompressor, on any bytes and any announced size, returns an error or exactly
//!   the announced size, never panics and never allocates above its limit.
//! - Each compressor's output decompresses to its input byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwio_xca::Algorithm;

const ALGS: [Algorithm; 5] = [
    Algorithm::Lz77,
    Algorithm::Lz77Huffman,
    Algorithm::Lznt1,
    Algorithm::Lz4,
    Algorithm::PatternV1,
];
const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let alg = ALGS[usize::from(sel) % ALGS.len()];
    if sel & 0x80 == 0 {
        let Some((size, body)) = rest.split_first_chunk::<4>() else {
            return;
        };
        let expected = u32::from_le_bytes(*size) as usize;
        if let Ok(out) = alg.decompress(body, expected, LIMIT) {
            assert_eq!(out.len(), expected);
        }
    } else if let Some(c) = alg.compress(rest) {
        let d = alg
            .decompress(&c, rest.len(), rest.len())
            .expect("own output decodes");
        assert_eq!(d, rest);
    }
});
