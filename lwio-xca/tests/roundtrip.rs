//! Property tests: every compressor's output decompresses to its input, and no input
//! makes a decompressor panic or exceed the announced size.

use lwio_xca::Algorithm;
use proptest::prelude::*;

const ALGS: [Algorithm; 4] = [
    Algorithm::Lz77,
    Algorithm::Lz77Huffman,
    Algorithm::Lznt1,
    Algorithm::Lz4,
];

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..20_000),
        // Few distinct bytes, in runs: many matches of every length.
        proptest::collection::vec((0u8..4, 1usize..400), 0..200).prop_map(|runs| runs
            .into_iter()
            .flat_map(|(b, n)| std::iter::repeat_n(b, n))
            .collect()),
        proptest::collection::vec(proptest::sample::select(b"abcab ".to_vec()), 0..70_000),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip(input in data()) {
        for alg in ALGS {
            let c = alg.compress(&input).expect("compresses");
            let d = alg.decompress(&c, input.len(), input.len());
            prop_assert_eq!(d.as_deref().ok(), Some(&input[..]), "{:?}", alg);
        }
    }

    #[test]
    fn hostile_input_is_bounded(input in proptest::collection::vec(any::<u8>(), 0..2000), expected in 0usize..100_000) {
        for alg in [Algorithm::Lz77, Algorithm::Lz77Huffman, Algorithm::Lznt1, Algorithm::Lz4, Algorithm::PatternV1] {
            if let Ok(out) = alg.decompress(&input, expected, 100_000) {
                prop_assert_eq!(out.len(), expected);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid streams with bytes changed, cut or announced at another size: the decoders
    /// get past their table and header checks and must still stop at the announced size,
    /// without a panic.
    #[test]
    fn mutated_streams_are_bounded(
        input in data(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        delta in -64i64..64,
    ) {
        for alg in ALGS {
            let mut c = alg.compress(&input).expect("compresses");
            if c.is_empty() {
                continue;
            }
            for (at, b) in &flips {
                let i = at.index(c.len());
                c[i] ^= b | 1;
            }
            let expected = (input.len() as i64 + delta).max(0) as usize;
            if let Ok(out) = alg.decompress(&c, expected, expected) {
                prop_assert_eq!(out.len(), expected);
            }
            let cut = cut.index(c.len());
            if let Ok(out) = alg.decompress(&c[..cut], input.len(), input.len()) {
                prop_assert_eq!(out.len(), input.len());
            }
        }
    }
}
