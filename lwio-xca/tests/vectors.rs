//! The examples of MS-XCA section 3 and the decompression limits.

use lwio_xca::{Algorithm, Error, huffman, lz77, lznt1, pattern};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// MS-XCA 3.1 (Plain LZ77), first example: 26 literals, the flag word filled with ones.
#[test]
fn plain_lz77_example_alphabet() {
    let compressed = hex("3f000000 6162636465666768696a6b6c6d6e6f707172737475767778797a");
    assert_eq!(lz77::compress(ALPHABET), compressed);
    assert_eq!(
        lz77::decompress(&compressed, 26, 1 << 20).expect("decodes"),
        ALPHABET
    );
}

/// MS-XCA 3.1, second example: "abc" 100 times, one literal run and one long match.
#[test]
fn plain_lz77_example_abc() {
    let input = b"abc".repeat(100);
    let compressed = hex("ffffff1f 616263 1700 0f ff 2601");
    assert_eq!(lz77::compress(&input), compressed);
    assert_eq!(
        lz77::decompress(&compressed, 300, 1 << 20).expect("decodes"),
        input
    );
}

#[test]
fn every_algorithm_round_trips_the_examples() {
    let inputs: Vec<Vec<u8>> = vec![
        ALPHABET.to_vec(),
        b"abc".repeat(100),
        vec![0u8; 200_000],
        (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
        b"The quick brown fox jumps over the lazy dog. ".repeat(3000),
    ];
    for alg in [
        Algorithm::Lz77,
        Algorithm::Lz77Huffman,
        Algorithm::Lznt1,
        Algorithm::Lz4,
    ] {
        for input in &inputs {
            let c = alg.compress(input).expect("compresses");
            let d = alg
                .decompress(&c, input.len(), input.len())
                .expect("decodes");
            assert!(d == *input, "{alg:?} round trip of {} bytes", input.len());
        }
    }
}

#[test]
fn compressible_data_shrinks() {
    let text = b"The quick brown fox jumps over the lazy dog. ".repeat(3000);
    for alg in [
        Algorithm::Lz77,
        Algorithm::Lz77Huffman,
        Algorithm::Lznt1,
        Algorithm::Lz4,
    ] {
        let c = alg.compress(&text).expect("compresses");
        assert!(
            c.len() * 10 < text.len(),
            "{alg:?}: {} of {}",
            c.len(),
            text.len()
        );
    }
}

#[test]
fn pattern_v1_payload() {
    let p = pattern::compress(&[7u8; 1000]).expect("one byte");
    assert_eq!(p.encode(), [7, 0, 0, 0, 0xe8, 0x03, 0, 0]);
    assert!(pattern::compress(b"ab").is_none());
    assert_eq!(
        pattern::decompress(&p.encode(), 1000, 1000).expect("decodes"),
        vec![7u8; 1000]
    );
    assert_eq!(
        pattern::decompress(&p.encode(), 999, 4096),
        Err(Error::Overrun)
    );
    assert_eq!(
        pattern::decompress(&p.encode(), 1001, 4096),
        Err(Error::Truncated)
    );
}

/// A header that announces more than the limit is refused before anything is read.
#[test]
fn announced_size_above_limit_is_refused_first() {
    for alg in [
        Algorithm::Lz77,
        Algorithm::Lz77Huffman,
        Algorithm::Lznt1,
        Algorithm::Lz4,
        Algorithm::PatternV1,
    ] {
        assert_eq!(
            alg.decompress(&[], usize::MAX, 1 << 20),
            Err(Error::TooLarge {
                announced: usize::MAX,
                limit: 1 << 20
            }),
            "{alg:?}"
        );
    }
}

/// A bomb (a few bytes that expand to far more than announced) stops at the announced size.
#[test]
fn bombs_stop_at_the_announced_size() {
    let zeros = vec![0u8; 4 << 20];
    for alg in [
        Algorithm::Lz77,
        Algorithm::Lz77Huffman,
        Algorithm::Lznt1,
        Algorithm::Lz4,
    ] {
        let c = alg.compress(&zeros).expect("compresses");
        assert!(
            c.len() < zeros.len() / 50,
            "{alg:?} bomb is small: {}",
            c.len()
        );
        let r = alg.decompress(&c, 4096, 1 << 30);
        assert_eq!(r, Err(Error::Overrun), "{alg:?}");
        assert_eq!(
            alg.decompress(&c, zeros.len() + 1, 1 << 30)
                .err()
                .map(|e| e == Error::Overrun),
            Some(false),
            "{alg:?} short stream is not an overrun"
        );
    }
    let p = pattern::compress(&zeros).expect("pattern");
    assert_eq!(
        pattern::decompress(&p.encode(), 4096, 1 << 30),
        Err(Error::Overrun)
    );
}

#[test]
fn lznt1_stores_incompressible_chunks() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..5000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let c = lznt1::compress(&noise);
    assert_eq!(c.len(), noise.len() + 4, "two stored chunks");
    assert_eq!(u16::from_le_bytes([c[0], c[1]]), 0x3fff);
}

#[test]
fn huffman_refuses_an_incomplete_table() {
    let mut bad = vec![0u8; 300];
    bad[0] = 0x01; // symbol 0 with a 1-bit code, nothing else
    assert!(matches!(
        huffman::decompress(&bad, 10, 100),
        Err(Error::Corrupt(_))
    ));
}
