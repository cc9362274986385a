//! NDR tests: exact bytes built from the C706 chapter 14 rules, round trips, and the lies a
//! decoder must refuse.

use std::sync::Arc;

use lwio_core::Sid;

use super::*;
use crate::{NdrError, Uuid};

fn round_trip<T: Ndr + PartialEq + std::fmt::Debug>(value: &T) -> Vec<u8> {
    let bytes = to_bytes(value);
    assert_eq!(&from_bytes::<T>(&bytes).unwrap(), value);
    bytes
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Mixed {
        a: u8,
        b: u32,
        c: u16,
        d: u64,
    }
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Inner {
        value: u16,
        name: WStrPtr,
    }
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Outer {
        first: Option<u32>,
        inner: Inner,
        next: Option<Inner>,
    }
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Node {
        value: u32,
        next: Option<Box<Node>>,
    }
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Shared {
        left: Full<u32>,
        right: Full<u32>,
    }
}

crate::ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct WithRef {
        target: Ref<u16>,
    }
}

crate::ndr_union! {
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Info: u32 {
        0 => Empty(()),
        1 => Small(u16),
        2 => Named(WStrPtr),
    }
}

crate::ndr_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Disk = 0,
        Ipc = 3,
    }
}

#[test]
fn primitives_align_with_zero_padding() {
    let m = Mixed {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
    };
    // The structure aligns to 8 (its largest member); each member to its own size.
    assert_eq!(
        round_trip(&m),
        [
            1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0
        ]
    );
    assert_eq!(<Mixed as Ndr>::ALIGN, 8);
    let mut w = NdrWriter::new();
    w.write(&1u8);
    w.write(&m);
    assert_eq!(w.position(), 32);
    assert_eq!(&w.as_bytes()[1..8], &[0; 7]);
    round_trip(&-5i32);
    round_trip(&i64::MIN);
    round_trip(&-1i16);
    round_trip(&-1i8);
    assert_eq!(round_trip(&true), [1]);
    assert!(from_bytes::<bool>(&[7]).unwrap());
    assert_eq!(
        from_bytes::<[u16; 3]>(&[1, 0, 2, 0, 3, 0]).unwrap(),
        [1, 2, 3]
    );
}

#[test]
fn top_level_pointer_is_in_place() {
    assert_eq!(round_trip(&Some(5u32)), [0, 0, 2, 0, 5, 0, 0, 0]);
    assert_eq!(round_trip(&None::<u32>), [0, 0, 0, 0]);
    // A pointer to a pointer: id, id, value.
    assert_eq!(
        round_trip(&Some(Some(7u16))),
        [0, 0, 2, 0, 4, 0, 2, 0, 7, 0]
    );
}

#[test]
fn embedded_pointees_follow_the_structure() {
    let v = Outer {
        first: Some(0x11),
        inner: Inner {
            value: 0x22,
            name: Some(WString::from("a")),
        },
        next: Some(Inner {
            value: 0x33,
            name: None,
        }),
    };
    let expected: Vec<u8> = [
        // Flat part of Outer: first id, inner.value, pad, inner.name id, next id.
        &[0x00, 0x00, 0x02, 0x00][..],
        &[0x22, 0x00, 0x00, 0x00],
        &[0x04, 0x00, 0x02, 0x00],
        &[0x08, 0x00, 0x02, 0x00],
        // Deferred, in order: *first, *inner.name, *next (flat then its own pointees).
        &[0x11, 0x00, 0x00, 0x00],
        &[2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x61, 0x00, 0x00, 0x00],
        &[0x33, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
    ]
    .concat();
    assert_eq!(round_trip(&v), expected);
}

#[test]
fn arrays_of_structures_defer_after_all_elements() {
    let v = vec![
        Inner {
            value: 1,
            name: Some(WString::from("x")),
        },
        Inner {
            value: 2,
            name: Some(WString::from("y")),
        },
    ];
    let bytes = round_trip(&Some(v));
    // id, max count 2, [1, pad, id], [2, pad, id], then the two strings.
    assert_eq!(&bytes[..8], &[0, 0, 2, 0, 2, 0, 0, 0]);
    assert_eq!(
        &bytes[8..24],
        &[1, 0, 0, 0, 4, 0, 2, 0, 2, 0, 0, 0, 8, 0, 2, 0]
    );
    assert_eq!(bytes[24 + 12], b'x');
    assert_eq!(bytes.len(), 24 + 16 + 16);
}

#[test]
fn conformant_and_varying_arrays() {
    assert_eq!(
        round_trip(&vec![1u16, 2, 3]),
        [3, 0, 0, 0, 1, 0, 2, 0, 3, 0]
    );
    let cv = ConfVarArray {
        max_count: 5,
        items: vec![9u8, 8],
    };
    assert_eq!(round_trip(&cv), [5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 9, 8]);
    assert_eq!(ConfVarArray::new(vec![1u32]).max_count, 1);
    let va: VaryingArray<u16, 4> = VaryingArray { items: vec![7, 7] };
    assert_eq!(round_trip(&va), [0, 0, 0, 0, 2, 0, 0, 0, 7, 0, 7, 0]);
    // Hyper elements align to 8 after the 4-byte count.
    assert_eq!(round_trip(&vec![1u64]).len(), 16);
}

#[test]
fn strings() {
    assert_eq!(
        round_trip(&WString::from("ab")),
        [3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, b'a', 0, b'b', 0, 0, 0]
    );
    round_trip(&WString::from("naïve ☃ 𝄞"));
    assert_eq!(
        round_trip(&AString::from("ab")),
        [3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, b'a', b'b', 0]
    );
    let some: WStrPtr = Some(WString::from(""));
    assert_eq!(
        round_trip(&some),
        [0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    );
}

#[test]
fn rpc_unicode_string() {
    let s = RpcUnicodeString::new("ab");
    assert_eq!(
        round_trip(&s),
        [
            4, 0, 4, 0, 0, 0, 2, 0, // Length, MaximumLength, Buffer id
            2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, b'a', 0, b'b', 0
        ]
    );
    assert_eq!(s.to_string_lossy().as_deref(), Some("ab"));
    let roomy = RpcUnicodeString {
        buffer: Some(vec![0x41]),
        maximum_length: 8,
    };
    assert_eq!(
        round_trip(&roomy),
        [
            2, 0, 8, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x41, 0
        ]
    );
    assert_eq!(round_trip(&RpcUnicodeString::null()), [0; 8]);
    // In a structure, the buffers follow the structure.
    crate::ndr_struct! {
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        struct Two { a: RpcUnicodeString, b: RpcUnicodeString }
    }
    let two = Two {
        a: RpcUnicodeString::new("x"),
        b: RpcUnicodeString::new("yz"),
    };
    let bytes = round_trip(&two);
    assert_eq!(
        &bytes[..16],
        &[2, 0, 2, 0, 0, 0, 2, 0, 4, 0, 4, 0, 4, 0, 2, 0]
    );
}

#[test]
fn rpc_sid_conformance_first() {
    let sid: Sid = "S-1-5-32-544".parse().unwrap();
    assert_eq!(
        round_trip(&sid),
        [
            2, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0
        ]
    );
    let ptr = Some(sid);
    assert_eq!(round_trip(&ptr).len(), 24);
    round_trip(&Sid::new(0, &[]).unwrap());
}

#[test]
fn policy_handle_and_uuid() {
    let h = PolicyHandle {
        attributes: 0,
        uuid: Uuid::parse("01234567-89ab-cdef-0123-456789abcdef").unwrap(),
    };
    let bytes = round_trip(&h);
    assert_eq!(bytes.len(), 20);
    assert_eq!(&bytes[4..8], &[0x67, 0x45, 0x23, 0x01]);
    assert!(!h.is_null());
    assert!(PolicyHandle::default().is_null());
}

#[test]
fn unions_and_enums() {
    assert_eq!(round_trip(&Info::Empty(())), [0, 0, 0, 0]);
    assert_eq!(round_trip(&Info::Small(9)), [1, 0, 0, 0, 9, 0]);
    round_trip(&Info::Named(Some(WString::from("n"))));
    assert_eq!(
        from_bytes::<Info>(&[7, 0, 0, 0]),
        Err(NdrError::BadUnionArm(7))
    );
    assert_eq!(round_trip(&Kind::Ipc), [3, 0]);
    assert_eq!(
        from_bytes::<Kind>(&[1, 0]),
        Err(NdrError::EnumOutOfRange(1))
    );
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Level(u32);
    crate::ndr_newtype!(Level(u32));
    assert_eq!(round_trip(&Level(2)), [2, 0, 0, 0]);
}

#[test]
fn full_pointers_alias() {
    let target = Arc::new(42u32);
    let v = Shared {
        left: Full(Some(target.clone())),
        right: Full(Some(target)),
    };
    let bytes = round_trip(&v);
    // Two equal ids, one pointee.
    assert_eq!(bytes, [0, 0, 2, 0, 0, 0, 2, 0, 42, 0, 0, 0]);
    let back: Shared = from_bytes(&bytes).unwrap();
    assert!(Arc::ptr_eq(
        back.left.0.as_ref().unwrap(),
        back.right.0.as_ref().unwrap()
    ));
    // Distinct objects get distinct ids.
    let two = Shared {
        left: Full(Some(Arc::new(1))),
        right: Full(Some(Arc::new(1))),
    };
    assert_eq!(round_trip(&two).len(), 16);
    assert_eq!(round_trip(&Shared::default()), [0; 8]);
}

#[test]
fn ref_pointers() {
    let v = WithRef { target: Ref(5) };
    assert_eq!(round_trip(&v), [0, 0, 2, 0, 5, 0]);
    assert_eq!(
        from_bytes::<WithRef>(&[0, 0, 0, 0, 5, 0]),
        Err(NdrError::NullRefPointer)
    );
}

// ---- lies ----

#[test]
fn rejects_actual_count_over_max() {
    let lie = [2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3];
    assert!(matches!(
        from_bytes::<ConfVarArray<u8>>(&lie),
        Err(NdrError::ActualExceedsMax {
            actual: 3,
            max: 2,
            ..
        })
    ));
    let wlie = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, b'a', 0, 0, 0];
    assert!(matches!(
        from_bytes::<WString>(&wlie),
        Err(NdrError::ActualExceedsMax { .. })
    ));
    let vlie = [0, 0, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4, 5];
    assert!(matches!(
        from_bytes::<VaryingArray<u8, 4>>(&vlie),
        Err(NdrError::ActualExceedsMax { .. })
    ));
    let offset = [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9];
    assert_eq!(
        from_bytes::<ConfVarArray<u8>>(&offset),
        Err(NdrError::BadOffset(1))
    );
}

#[test]
fn rejects_count_larger_than_buffer() {
    // 0x10000000 u32s promised, 4 bytes present: refused before allocating.
    let lie = [0, 0, 0, 0x10, 1, 0, 0, 0];
    assert!(matches!(
        from_bytes::<Vec<u32>>(&lie),
        Err(NdrError::CountTooLarge {
            count: 0x1000_0000,
            remaining: 4
        })
    ));
    let lie = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        from_bytes::<WString>(&lie),
        Err(NdrError::CountTooLarge { .. })
    ));
    // Vec<Vec<u8>> whose inner counts each fit but the budget does not.
    let bytes = to_bytes(&vec![vec![0u8; 100]; 10]);
    let mut r = NdrReader::new(&bytes).with_max_elements(500);
    assert_eq!(
        r.read::<Vec<Vec<u8>>>(),
        Err(NdrError::TooManyElements(500))
    );
}

#[test]
fn rejects_referents_pointing_nowhere() {
    // A non-null referent id with no pointee after it.
    assert!(matches!(
        from_bytes::<Option<u32>>(&[0, 0, 2, 0]),
        Err(NdrError::Truncated { at: 4, .. })
    ));
    let v = Outer {
        first: Some(1),
        ..Outer::default()
    };
    let bytes = to_bytes(&v);
    assert!(matches!(
        from_bytes::<Outer>(&bytes[..bytes.len() - 4]),
        Err(NdrError::Truncated { .. })
    ));
    // A full pointer whose id names an object of another type.
    crate::ndr_struct! {
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        struct Mismatch { a: Full<u32>, b: Full<u16> }
    }
    assert_eq!(
        from_bytes::<Mismatch>(&[0, 0, 2, 0, 0, 0, 2, 0, 1, 0, 0, 0]),
        Err(NdrError::BadReferent(0x20000))
    );
    // A full pointer that points back into the object being decoded.
    crate::ndr_struct! {
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        struct Cyclic { v: u32, me: Full<Cyclic> }
    }
    assert_eq!(
        from_bytes::<Full<Cyclic>>(&[0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 0]),
        Err(NdrError::BadReferent(0x20000))
    );
    // RPC_UNICODE_STRING whose array disagrees with its lengths.
    let mut bytes = to_bytes(&RpcUnicodeString::new("ab"));
    bytes[16] = 1;
    assert!(matches!(
        from_bytes::<RpcUnicodeString>(&bytes),
        Err(NdrError::CountMismatch(_))
    ));
    assert!(matches!(
        from_bytes::<RpcUnicodeString>(&[4, 0, 4, 0, 0, 0, 0, 0]),
        Err(NdrError::Invalid(_))
    ));
    assert!(matches!(
        from_bytes::<RpcUnicodeString>(&[6, 0, 4, 0, 0, 0, 0, 0]),
        Err(NdrError::Invalid(_))
    ));
    // RPC_SID whose conformance disagrees with SubAuthorityCount, or claims 16.
    let mut sid = to_bytes(&"S-1-5-32-544".parse::<Sid>().unwrap());
    sid[0] = 3;
    assert!(matches!(
        from_bytes::<Sid>(&sid),
        Err(NdrError::CountMismatch(_))
    ));
    let sixteen = [16, 0, 0, 0, 1, 16, 0, 0, 0, 0, 0, 5];
    assert!(matches!(
        from_bytes::<Sid>(&sixteen),
        Err(NdrError::Invalid(_))
    ));
}

#[test]
fn rejects_misalignment() {
    // A u8 then a u32 written without padding: the reader looks at offset 4.
    let unpadded = [1, 2, 0, 0, 0];
    let mut r = NdrReader::new(&unpadded);
    assert_eq!(r.read::<u8>(), Ok(1));
    assert_eq!(r.read::<u32>(), Err(NdrError::NonZeroPadding(1)));
    // Padding that is present but not zero: strict refuses, lenient accepts.
    let dirty = [1, 0xEE, 0xEE, 0xEE, 5, 0, 0, 0];
    let mut r = NdrReader::new(&dirty);
    r.read::<u8>().unwrap();
    assert_eq!(r.read::<u32>(), Err(NdrError::NonZeroPadding(1)));
    let mut r = NdrReader::new(&dirty).lenient_padding();
    r.read::<u8>().unwrap();
    assert_eq!(r.read::<u32>(), Ok(5));
    r.finish().unwrap();
    // Padding that runs past the end.
    let mut r = NdrReader::new(&[1, 0]);
    r.read::<u8>().unwrap();
    assert!(matches!(r.read::<u32>(), Err(NdrError::Truncated { .. })));
}

#[test]
fn rejects_bad_strings() {
    // No terminating NUL.
    let no_nul = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'a', 0];
    assert!(matches!(
        from_bytes::<WString>(&no_nul),
        Err(NdrError::BadString(_))
    ));
    let empty = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        from_bytes::<WString>(&empty),
        Err(NdrError::BadString(_))
    ));
    // An unpaired surrogate.
    let surrogate = [2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x00, 0xD8, 0, 0];
    assert_eq!(
        from_bytes::<WString>(&surrogate),
        Err(NdrError::BadString("invalid UTF-16"))
    );
    let a = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'a'];
    assert!(matches!(
        from_bytes::<AString>(&a),
        Err(NdrError::BadString(_))
    ));
    assert_eq!(
        from_bytes::<u16>(&[1, 0, 0]),
        Err(NdrError::TrailingBytes(1))
    );
}

#[test]
fn rejects_depth_bombs() {
    let mut list = Node::default();
    for i in 0..100 {
        list = Node {
            value: i,
            next: Some(Box::new(list)),
        };
    }
    let bytes = to_bytes(&list);
    assert_eq!(
        from_bytes::<Node>(&bytes),
        Err(NdrError::DepthExceeded(DEFAULT_MAX_DEPTH))
    );
    let mut r = NdrReader::new(&bytes).with_max_depth(200);
    assert_eq!(r.read::<Node>().unwrap(), list);
    // A pointer chain that claims to go on forever stops at the bound, not the stack.
    let mut bomb = Vec::new();
    for _ in 0..10_000 {
        bomb.extend_from_slice(&[0, 0, 2, 0]);
    }
    type Deep = Option<Box<Option<Box<Option<Box<Node>>>>>>;
    assert!(from_bytes::<Deep>(&bomb).is_err());
    assert_eq!(
        from_bytes::<Node>(&[[1, 0, 0, 0].as_slice(), &bomb].concat()),
        Err(NdrError::DepthExceeded(DEFAULT_MAX_DEPTH))
    );
}

#[test]
fn tuples_are_parameter_lists() {
    // Each parameter is complete before the next: the pointee follows its own id.
    let params = (Some(1u16), 2u32, Some(WString::from("")));
    assert_eq!(
        round_trip(&params),
        [
            0, 0, 2, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
            0
        ]
    );
}

#[test]
fn big_endian_bytes_are_what_c706_says() {
    use super::ByteOrder;
    let mut w = NdrWriter::new().with_byte_order(ByteOrder::BigEndian);
    w.u8(9);
    w.u16(0x0102);
    w.u32(0x0304_0506);
    w.u64(0x0708_090A_0B0C_0D0E);
    w.write(&Some(WString::from("Ab")));
    let sid: lwio_core::Sid = "S-1-5-32-544".parse().unwrap();
    w.write(&sid);
    let bytes = w.into_bytes();
    assert_eq!(
        bytes,
        [
            9, 0, 1, 2, 3, 4, 5, 6, // small, pad, short, long
            7, 8, 9, 10, 11, 12, 13, 14, // hyper
            0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, // referent, max, offset, actual
            0, b'A', 0, b'b', 0, 0, 0, 0, // "Ab\\0" in big-endian units, pad
            0, 0, 0, 2, 1, 2, 0, 0, 0, 0, 0, 5, // SID: count, revision, count, authority
            0, 0, 0, 32, 0, 0, 2, 32, // sub-authorities 32, 544
        ]
    );
    let mut r = NdrReader::new(&bytes).with_byte_order(ByteOrder::BigEndian);
    assert_eq!(r.u8().unwrap(), 9);
    assert_eq!(r.u16().unwrap(), 0x0102);
    assert_eq!(r.u32().unwrap(), 0x0304_0506);
    assert_eq!(r.u64().unwrap(), 0x0708_090A_0B0C_0D0E);
    assert_eq!(
        r.read::<Option<WString>>().unwrap(),
        Some(WString::from("Ab"))
    );
    assert_eq!(r.read::<lwio_core::Sid>().unwrap(), sid);
    r.finish().unwrap();
    // Read little-endian, the same bytes say something else (and the string's counts no
    // longer agree).
    let mut le = NdrReader::new(&bytes);
    le.u8().unwrap();
    assert_eq!(le.u16().unwrap(), 0x0201);
}

#[test]
fn trailing_padding_is_allowed_only_when_asked_and_zero() {
    let bytes = [1, 0, 0, 0, 0, 0];
    let mut r = NdrReader::new(&bytes);
    r.u32().unwrap();
    assert_eq!(r.finish(), Err(NdrError::TrailingBytes(2)));
    let mut r = NdrReader::new(&bytes).allow_trailing_padding(3);
    r.u32().unwrap();
    r.finish().unwrap();
    let bytes = [1, 0, 0, 0, 0, 7];
    let mut r = NdrReader::new(&bytes).allow_trailing_padding(3);
    r.u32().unwrap();
    assert_eq!(r.finish(), Err(NdrError::TrailingBytes(2)));
}
