//! Property tests: random values of the common NDR types and random PDUs round-trip, and
//! random bytes fed to every decoder never panic.
#![allow(clippy::unwrap_used)]

use lwio_core::Sid;
use lwio_rpc::interfaces::srvsvc::admin::{ShareAddRequest, ShareSetInfoRequest};
use lwio_rpc::interfaces::srvsvc::{ShareGetInfoResponse, ShareInfo};
use lwio_rpc::ndr::{
    self, AString, ConfVarArray, Ndr, NdrReader, PolicyHandle, RpcUnicodeString, WStrPtr, WString,
};
use lwio_rpc::pdu::{
    self, AuthLevel, AuthType, AuthVerifier, Bind, BindAck, ContextResult, ContextResultCode,
    Fault, FaultStatus, Pdu, PduBody, PfcFlags, PresentationContext, Reassembler, Request,
    Response,
};
use lwio_rpc::{SyntaxId, Uuid, ndr_struct};
use proptest::prelude::*;

ndr_struct! {
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    struct Entry {
        name: WStrPtr,
        kind: u32,
        sid: Option<Sid>,
        text: RpcUnicodeString,
        handle: PolicyHandle,
        flag: bool,
        big: u64,
    }
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<[u8; 16]>().prop_map(Uuid::from_le_bytes)
}

fn sid() -> impl Strategy<Value = Sid> {
    (0u64..(1 << 48), prop::collection::vec(any::<u32>(), 0..=15))
        .prop_map(|(a, subs)| Sid::new(a, &subs).unwrap())
}

fn unicode() -> impl Strategy<Value = RpcUnicodeString> {
    prop_oneof![
        any::<u16>().prop_map(|m| RpcUnicodeString {
            buffer: None,
            maximum_length: m,
        }),
        (prop::collection::vec(any::<u16>(), 0..40), 0u16..20).prop_map(|(units, extra)| {
            let len = units.len() as u16 * 2;
            RpcUnicodeString {
                buffer: Some(units),
                maximum_length: len + extra * 2,
            }
        }),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        prop::option::of(".{0,12}"),
        any::<u32>(),
        prop::option::of(sid()),
        unicode(),
        (any::<u32>(), uuid()),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(name, kind, sid, text, (attributes, uuid), flag, big)| Entry {
                name: name.map(WString),
                kind,
                sid,
                text,
                handle: PolicyHandle { attributes, uuid },
                flag,
                big,
            },
        )
}

fn check<T: Ndr + PartialEq + std::fmt::Debug>(v: &T) -> Result<(), TestCaseError> {
    let bytes = ndr::to_bytes(v);
    prop_assert_eq!(&ndr::from_bytes::<T>(&bytes).unwrap(), v);
    Ok(())
}

fn redecode<T: Ndr + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(v) = ndr::from_bytes::<T>(bytes) {
        check(&v)?;
    }
    Ok(())
}

fn syntax() -> impl Strategy<Value = SyntaxId> {
    (uuid(), any::<u32>()).prop_map(|(uuid, version)| SyntaxId { uuid, version })
}

fn auth() -> impl Strategy<Value = Option<AuthVerifier>> {
    prop::option::of(
        (
            any::<u8>(),
            0u8..7,
            0u8..16,
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 1..40),
        )
            .prop_map(|(t, l, pad, context_id, value)| AuthVerifier {
                auth_type: AuthType(t),
                auth_level: AuthLevel(l),
                pad_length: pad,
                reserved: 0,
                context_id,
                value,
            }),
    )
}

fn body() -> impl Strategy<Value = PduBody> {
    let stub = || prop::collection::vec(any::<u8>(), 0..200);
    prop_oneof![
        (
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            prop::option::of(uuid()),
            stub()
        )
            .prop_map(
                |(alloc_hint, context_id, opnum, object, stub)| PduBody::Request(Request {
                    alloc_hint,
                    context_id,
                    opnum,
                    object,
                    stub,
                })
            ),
        (any::<u32>(), any::<u16>(), any::<u8>(), stub()).prop_map(
            |(alloc_hint, context_id, cancel_count, stub)| PduBody::Response(Response {
                alloc_hint,
                context_id,
                cancel_count,
                stub,
            })
        ),
        (any::<u32>(), any::<u8>(), stub()).prop_map(|(status, flags, stub)| {
            PduBody::Fault(Fault {
                flags,
                status: FaultStatus(status),
                stub,
                ..Fault::default()
            })
        }),
        (
            any::<u16>(),
            any::<u32>(),
            prop::collection::vec(
                (
                    any::<u16>(),
                    syntax(),
                    prop::collection::vec(syntax(), 0..3)
                ),
                0..4
            )
        )
            .prop_map(|(frag, group, ctxs)| PduBody::Bind(Bind {
                max_xmit_frag: frag,
                max_recv_frag: frag,
                assoc_group_id: group,
                contexts: ctxs
                    .into_iter()
                    .map(|(context_id, abstract_syntax, transfer_syntaxes)| {
                        PresentationContext {
                            context_id,
                            abstract_syntax,
                            transfer_syntaxes,
                        }
                    })
                    .collect(),
            })),
        (
            "[a-zA-Z0-9\\\\]{0,20}",
            prop::collection::vec((0u16..4, any::<u16>(), syntax()), 0..4)
        )
            .prop_map(|(addr, results)| PduBody::BindAck(BindAck {
                max_xmit_frag: 4280,
                max_recv_frag: 4280,
                assoc_group_id: 1,
                secondary_address: addr.into_bytes(),
                results: results
                    .into_iter()
                    .map(|(r, reason, transfer_syntax)| ContextResult {
                        result: ContextResultCode(r),
                        reason,
                        transfer_syntax,
                    })
                    .collect(),
            })),
        Just(PduBody::Shutdown),
        Just(PduBody::Orphaned),
    ]
}

proptest! {
    #[test]
    fn common_types_round_trip(e in entry(), list in prop::collection::vec(entry(), 0..4)) {
        check(&e)?;
        check(&Some(list.clone()))?;
        check(&list)?;
    }

    #[test]
    fn strings_round_trip(s in ".{0,40}", a in prop::collection::vec(1u8..=255, 0..40),
                          units in prop::collection::vec(any::<u16>(), 0..40), extra in 0u32..5) {
        check(&WString(s.clone()))?;
        check(&Some(WString(s)))?;
        check(&AString(a))?;
        check(&ConfVarArray { max_count: units.len() as u32 + extra, items: units })?;
    }

    #[test]
    fn sids_round_trip(s in sid()) {
        check(&s)?;
        check(&Some(s))?;
    }

    #[test]
    fn pdus_round_trip(call_id in any::<u32>(), flags in any::<u8>(), body in body(),
                       auth in auth()) {
        let pdu = Pdu { call_id, flags: PfcFlags(flags), body, auth };
        let bytes = pdu::try_encode(&pdu).unwrap();
        let back = pdu::decode(&bytes).unwrap();
        // Only the OBJECT_UUID flag may differ: the encoder derives it from the request.
        let again = pdu::try_encode(&back).unwrap();
        prop_assert_eq!(&again, &bytes);
        prop_assert_eq!(back.body, pdu.body);
        prop_assert_eq!(back.auth, pdu.auth);
    }

    /// A client PDU sent big-endian decodes to the same PDU, and the rewrite back to
    /// little-endian gives the little-endian encoding byte for byte.
    #[test]
    fn big_endian_client_pdus_decode_the_same(call_id in any::<u32>(), flags in any::<u8>(),
                                              body in body(), auth in auth()) {
        let client_sent = matches!(
            body,
            PduBody::Request(_) | PduBody::Bind(_) | PduBody::AlterContext(_)
                | PduBody::Auth3 | PduBody::CoCancel | PduBody::Orphaned | PduBody::Shutdown
        );
        let pdu = Pdu { call_id, flags: PfcFlags(flags), body, auth };
        let le = pdu::try_encode(&pdu).unwrap();
        let mut be = le.clone();
        if !client_sent {
            prop_assert!(pdu::to_big_endian(&mut be).is_err());
            return Ok(());
        }
        pdu::to_big_endian(&mut be).unwrap();
        prop_assert_eq!(pdu::byte_order(&be), Some(ndr::ByteOrder::BigEndian));
        prop_assert_eq!(pdu::decode(&be).unwrap(), pdu::decode(&le).unwrap());
        pdu::to_little_endian(&mut be).unwrap();
        prop_assert_eq!(be, le);
    }

    /// Integers read back in the order they were written, in either order.
    #[test]
    fn ndr_in_either_byte_order(e in entry(), big in any::<bool>()) {
        let order = if big { ndr::ByteOrder::BigEndian } else { ndr::ByteOrder::LittleEndian };
        let mut w = ndr::NdrWriter::new().with_byte_order(order);
        w.write(&e);
        let bytes = w.into_bytes();
        let mut r = NdrReader::new(&bytes).with_byte_order(order);
        prop_assert_eq!(r.read::<Entry>().unwrap(), e);
        r.finish().unwrap();
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = pdu::decode(&bytes);
        let _ = pdu::PduHeader::decode(&bytes);
        let _ = ndr::from_bytes::<Entry>(&bytes);
        let _ = ndr::from_bytes::<Vec<Entry>>(&bytes);
        let _ = ndr::from_bytes::<RpcUnicodeString>(&bytes);
        let _ = ndr::from_bytes::<Sid>(&bytes);
        let _ = ndr::from_bytes::<WStrPtr>(&bytes);
        let _ = ndr::from_bytes::<AString>(&bytes);
        let _ = ndr::from_bytes::<ConfVarArray<u16>>(&bytes);
        let _ = ndr::from_bytes::<PolicyHandle>(&bytes);
        let _ = ndr::from_bytes::<ShareAddRequest>(&bytes);
        let _ = ndr::from_bytes::<ShareSetInfoRequest>(&bytes);
        let mut r = NdrReader::new(&bytes).lenient_padding();
        let _ = r.read::<Option<Vec<Option<Entry>>>>();
    }

    #[test]
    fn whatever_decodes_re_encodes(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        redecode::<RpcUnicodeString>(&bytes)?;
        redecode::<Option<Sid>>(&bytes)?;
        redecode::<WStrPtr>(&bytes)?;
        redecode::<Option<Vec<RpcUnicodeString>>>(&bytes)?;
        redecode::<(PolicyHandle, AString)>(&bytes)?;
        redecode::<ConfVarArray<u16>>(&bytes)?;
        redecode::<Vec<Option<u16>>>(&bytes)?;
        redecode::<ShareInfo>(&bytes)?;
        redecode::<ShareGetInfoResponse>(&bytes)?;
    }

    #[test]
    fn random_pdus_with_valid_headers_never_panic(
        ptype in prop_oneof![Just(0u8), 2u8..=3, 11u8..=19],
        flags in any::<u8>(),
        auth_len in 0u16..40,
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
        let total = (16 + body.len()) as u16;
        bytes.extend_from_slice(&total.to_le_bytes());
        bytes.extend_from_slice(&auth_len.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&body);
        if let Ok(pdu) = pdu::decode(&bytes) {
            let mut re = Reassembler::new(1024);
            let _ = re.push(pdu.clone());
            let _ = re.push(pdu.clone());
            if let Ok(again) = pdu::try_encode(&pdu) {
                prop_assert_eq!(pdu::decode(&again).unwrap().body, pdu.body);
            }
        }
    }
}
