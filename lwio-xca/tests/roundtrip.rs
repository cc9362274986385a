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
