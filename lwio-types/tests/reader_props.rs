//! Properties of the one reader over arbitrary input and arbitrary read sequences: no
//! panic, a failed read moves nothing, positions only grow and never pass the end, every
//! returned slice is the input's bytes at the reported place, and offset/length pairs are
//! accepted exactly when they lie inside the input.
#![allow(clippy::unwrap_used, missing_docs)]

use lwio_types::{ReadError, Reader, read_all};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Take(usize),
    Skip(usize),
    U8,
    U16,
    U32,
    U64,
    I64,
    Utf16(usize),
    Sub(usize),
    Rest,
}

fn op() -> impl Strategy<Value = Op> {
    let len = prop_oneof![0usize..40, Just(usize::MAX), Just(usize::MAX / 2)];
    prop_oneof![
        len.clone().prop_map(Op::Take),
        len.clone().prop_map(Op::Skip),
        Just(Op::U8),
        Just(Op::U16),
        Just(Op::U32),
        Just(Op::U64),
        Just(Op::I64),
        len.clone().prop_map(Op::Utf16),
        len.prop_map(Op::Sub),
        Just(Op::Rest),
    ]
}

proptest! {
    #[test]
    fn reads_are_checked_and_exact(
        input in proptest::collection::vec(any::<u8>(), 0..64),
        start in 0usize..80,
        ops in proptest::collection::vec(op(), 0..24),
    ) {
        let mut r = Reader::at(&input, start);
        for op in ops {
            let before = r.position();
            let left = r.remaining();
            let wanted = match op {
                Op::Take(n) | Op::Skip(n) | Op::Utf16(n) | Op::Sub(n) => n,
                Op::U8 => 1,
                Op::U16 => 2,
                Op::U32 => 4,
                Op::U64 | Op::I64 => 8,
                Op::Rest => left,
            };
            let ok = match op {
                Op::Take(n) => r.take(n).map(|b| {
                    assert_eq!(b, &input[before..before + n]);
                }).is_ok(),
                Op::Skip(n) => r.skip(n).is_ok(),
                Op::U8 => r.u8().map(|v| assert_eq!(v, input[before])).is_ok(),
                Op::U16 => r.u16().map(|v| {
                    assert_eq!(v.to_le_bytes(), input[before..before + 2]);
                }).is_ok(),
                Op::U32 => r.u32().map(|v| {
                    assert_eq!(v.to_le_bytes(), input[before..before + 4]);
                }).is_ok(),
                Op::U64 => r.u64().is_ok(),
                Op::I64 => r.i64().is_ok(),
                Op::Utf16(n) => match r.utf16le(n) {
                    Ok(s) => {
                        assert_eq!(s.encode_utf16().count() * 2, n);
                        true
                    }
                    // Enough bytes but not UTF-16: the bytes were taken.
                    Err(ReadError::BadUtf16) => {
                        assert_eq!(r.position(), before + n);
                        continue;
                    }
                    Err(_) => false,
                },
                Op::Sub(n) => r.sub(n).map(|s| assert_eq!(s.input(), &input[before..before + n])).is_ok(),
                Op::Rest => {
                    let rest = r.rest();
                    assert_eq!(rest.len(), left);
                    true
                }
            };
            // A position past the end (`Reader::at` beyond the input) reads nothing, not even
            // zero bytes; `rest` always succeeds.
            let past_end = before > input.len() && !matches!(op, Op::Rest);
            if ok {
                prop_assert!(wanted <= left && !past_end);
                prop_assert_eq!(r.position(), before + wanted);
                prop_assert!(r.position() <= input.len().max(start));
            } else {
                prop_assert!(wanted > left || past_end);
                prop_assert_eq!(r.position(), before);
            }
        }
    }

    #[test]
    fn slices_and_payloads_lie_inside(
        input in proptest::collection::vec(any::<u8>(), 0..64),
        offset in prop_oneof![0usize..80, Just(usize::MAX)],
        length in prop_oneof![0usize..80, Just(usize::MAX)],
        header in 0usize..32,
    ) {
        let r = Reader::new(&input);
        let inside = offset.checked_add(length).is_some_and(|end| end <= input.len());
        match r.slice(offset, length) {
            Ok(b) => {
                prop_assert!(inside);
                prop_assert_eq!(b, &input[offset..offset + length]);
            }
            Err(e) => {
                prop_assert!(!inside);
                prop_assert_eq!(e, ReadError::OutOfBounds { offset, length });
            }
        }
        let payload = r.payload(offset, length, header);
        if length == 0 {
            prop_assert_eq!(payload, Ok(&[][..]));
        } else {
            prop_assert_eq!(payload.is_ok(), inside && offset >= header);
        }
    }

    #[test]
    fn read_all_is_a_parse_and_an_end_check(
        input in proptest::collection::vec(any::<u8>(), 0..16),
        n in 0usize..20,
    ) {
        let got: Result<&[u8], ReadError> = read_all(&input, |r| r.take(n));
        match n {
            n if n > input.len() => {
                let is_truncated = matches!(got, Err(ReadError::Truncated { .. }));
                prop_assert!(is_truncated);
            }
            n if n < input.len() => prop_assert_eq!(got, Err(ReadError::TrailingBytes(input.len() - n))),
            _ => prop_assert_eq!(got, Ok(&input[..])),
        }
    }
}
