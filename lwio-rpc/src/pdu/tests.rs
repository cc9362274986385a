//! PDU tests: hand-built vectors from the C706 12.6 / MS-RPCE 2.2.2 layouts, round trips,
//! and the lies a decoder must refuse.

use super::*;
use crate::{BindTimeFeatures, NDR20_SYNTAX, NDR64_SYNTAX, SyntaxId, Uuid};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const SRVSVC: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x4b32_4fc8,
        0x1670,
        0x01d3,
        [0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88],
    ),
    3,
    0,
);

/// bind, call_id 2, srvsvc v3.0 with NDR 2.0 (context 0) and bind time feature
/// negotiation 0x03 (context 1).
const BIND_HEX: &str = "
    05000b03 10000000 7400 0000 02000000
    b810 b810 00000000 02 000000
    0000 01 00 c84f324b7016d30112785a47bf6ee188 03000000
               045d888aeb1cc9119fe808002b104860 02000000
    0100 01 00 c84f324b7016d30112785a47bf6ee188 03000000
               2c1cb76c129840450300000000000000 01000000";

/// The bind_ack a server sends back: assoc group 0x53f0, secondary address
/// `\PIPE\srvsvc`, NDR 2.0 accepted, negotiate_ack with bitmask 0x0003.
const BIND_ACK_HEX: &str = "
    05000c03 10000000 5c00 0000 02000000
    b810 b810 f0530000
    0d00 5c504950455c73727673766300 00
    02 000000
    0000 0000 045d888aeb1cc9119fe808002b104860 02000000
    0300 0300 00000000000000000000000000000000 00000000";

fn bind_pdu() -> Pdu {
    Pdu::new(
        2,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Bind(Bind {
            max_xmit_frag: 4280,
            max_recv_frag: 4280,
            assoc_group_id: 0,
            contexts: vec![
                PresentationContext {
                    context_id: 0,
                    abstract_syntax: SRVSVC,
                    transfer_syntaxes: vec![NDR20_SYNTAX],
                },
                PresentationContext {
                    context_id: 1,
                    abstract_syntax: SRVSVC,
                    transfer_syntaxes: vec![BindTimeFeatures::from_bits(3).syntax_id()],
                },
            ],
        }),
    )
}

#[test]
fn bind_vector() {
    let bytes = hex(BIND_HEX);
    assert_eq!(decode(&bytes).unwrap(), bind_pdu());
    assert_eq!(encode(&bind_pdu()), bytes);
    let header = PduHeader::decode(&bytes).unwrap();
    assert_eq!(header.frag_length, 116);
    assert_eq!(header.ptype, PduType::BIND);
}

#[test]
fn bind_ack_vector_from_negotiation() {
    let PduBody::Bind(bind) = bind_pdu().body else {
        unreachable!()
    };
    let n = negotiate_contexts(
        &bind.contexts,
        |s| interface_version_matches(&SRVSVC, s),
        BindTimeFeatures::from_bits(3),
    );
    assert_eq!(n.features, Some(BindTimeFeatures::from_bits(3)));
    assert_eq!(
        n.accepted,
        vec![AcceptedContext {
            context_id: 0,
            abstract_syntax: SRVSVC
        }]
    );
    let ack = Pdu::new(
        2,
        PfcFlags::FIRST_AND_LAST,
        PduBody::BindAck(BindAck {
            max_xmit_frag: 4280,
            max_recv_frag: 4280,
            assoc_group_id: 0x53f0,
            secondary_address: b"\\PIPE\\srvsvc".to_vec(),
            results: n.results,
        }),
    );
    let bytes = hex(BIND_ACK_HEX);
    assert_eq!(encode(&ack), bytes);
    assert_eq!(decode(&bytes).unwrap(), ack);
}

#[test]
fn negotiation_rejections() {
    let other = SyntaxId::new(
        Uuid::parse("12345778-1234-abcd-ef00-0123456789ab").unwrap(),
        0,
        0,
    );
    let ctx = |id, abs, ts: Vec<SyntaxId>| PresentationContext {
        context_id: id,
        abstract_syntax: abs,
        transfer_syntaxes: ts,
    };
    let contexts = [
        ctx(0, SRVSVC, vec![NDR64_SYNTAX]),
        ctx(1, other, vec![NDR20_SYNTAX]),
        ctx(2, SRVSVC, vec![NDR64_SYNTAX, NDR20_SYNTAX]),
        ctx(3, SyntaxId::new(SRVSVC.uuid, 3, 1), vec![NDR20_SYNTAX]),
        ctx(4, SRVSVC, vec![]),
    ];
    let n = negotiate_contexts(
        &contexts,
        |s| interface_version_matches(&SRVSVC, s),
        BindTimeFeatures::from_bits(BindTimeFeatures::KEEP_CONNECTION_ON_ORPHAN),
    );
    let r = &n.results;
    assert_eq!(r[0].result, ContextResultCode::PROVIDER_REJECTION);
    assert_eq!(
        r[0].reason,
        ProviderReason::PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED.0
    );
    assert_eq!(r[0].transfer_syntax, SyntaxId::NULL);
    assert_eq!(r[1].result, ContextResultCode::PROVIDER_REJECTION);
    assert_eq!(r[1].reason, ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED.0);
    assert_eq!(r[2].result, ContextResultCode::ACCEPTANCE);
    assert_eq!(r[2].transfer_syntax, NDR20_SYNTAX);
    // Minor 1 is newer than the registered 3.0.
    assert_eq!(r[3].reason, ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED.0);
    assert_eq!(
        r[4].reason,
        ProviderReason::PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED.0
    );
    assert_eq!(n.accepted.len(), 1);
    assert_eq!(n.features, None);

    // The client offers both bits, the server supports one: the ack carries the overlap.
    let btfn = [ctx(
        9,
        SRVSVC,
        vec![BindTimeFeatures::from_bits(3).syntax_id()],
    )];
    let n = negotiate_contexts(&btfn, |_| true, BindTimeFeatures::from_bits(2));
    assert_eq!(n.results[0].result, ContextResultCode::NEGOTIATE_ACK);
    assert_eq!(n.results[0].reason, 2);
}

#[test]
fn alter_context_resp_without_address() {
    let pdu = Pdu::new(
        5,
        PfcFlags::FIRST_AND_LAST,
        PduBody::AlterContextResp(BindAck {
            max_xmit_frag: 4280,
            max_recv_frag: 4280,
            assoc_group_id: 0x1234,
            secondary_address: Vec::new(),
            results: vec![ContextResult {
                result: ContextResultCode::ACCEPTANCE,
                reason: 0,
                transfer_syntax: NDR20_SYNTAX,
            }],
        }),
    );
    let bytes = encode(&pdu);
    assert_eq!(
        bytes,
        hex("05000f03 10000000 3800 0000 05000000
             b810 b810 34120000 0000 0000 01 000000
             0000 0000 045d888aeb1cc9119fe808002b104860 02000000")
    );
    assert_eq!(decode(&bytes).unwrap(), pdu);
}

#[test]
fn request_with_object_and_auth() {
    let pdu = Pdu {
        call_id: 9,
        flags: PfcFlags::FIRST_AND_LAST,
        body: PduBody::Request(Request {
            alloc_hint: 5,
            context_id: 1,
            opnum: 15,
            object: Some(NDR64_SYNTAX.uuid),
            stub: vec![1, 2, 3, 4, 5],
        }),
        auth: Some(AuthVerifier {
            auth_type: AuthType::WINNT,
            auth_level: AuthLevel::PKT_PRIVACY,
            pad_length: auth_pad_length(5),
            reserved: 0,
            context_id: 0,
            value: vec![0xAA; 16],
        }),
    };
    let bytes = encode(&pdu);
    let expected = hex(&format!(
        "05000083 10000000 5000 1000 09000000
         05000000 0100 0f00 33057171babe3749 8319b5dbef9ccc36
         0102030405 {}
         0a 06 0b 00 00000000 {}",
        "00".repeat(11),
        "aa".repeat(16)
    ));
    assert_eq!(bytes, expected);
    let back = decode(&bytes).unwrap();
    assert!(back.flags.contains(PfcFlags::OBJECT_UUID));
    // The encoder set OBJECT_UUID; everything else survives.
    assert_eq!(
        back,
        Pdu {
            flags: PfcFlags::FIRST_AND_LAST | PfcFlags::OBJECT_UUID,
            ..pdu
        }
    );
}

#[test]
fn fault_and_response_vectors() {
    let fault = Pdu::new(
        3,
        PfcFlags::FIRST_AND_LAST | PfcFlags::DID_NOT_EXECUTE,
        PduBody::Fault(Fault::new(0, FaultStatus::OP_RNG_ERROR)),
    );
    let bytes = encode(&fault);
    assert_eq!(
        bytes,
        hex("05000323 10000000 2000 0000 03000000
             00000000 0000 00 00 0200011c 00000000")
    );
    assert_eq!(decode(&bytes).unwrap(), fault);
    assert_eq!(format!("{:?}", FaultStatus(0x1c01_0002)), "OP_RNG_ERROR");

    let mut ext = Fault::new(1, FaultStatus::ACCESS_DENIED);
    ext.flags = Fault::EXTENDED_ERROR_PRESENT;
    ext.alloc_hint = 0x24;
    ext.stub = vec![9, 9, 9, 9];
    let pdu = Pdu::new(4, PfcFlags::FIRST_AND_LAST, PduBody::Fault(ext));
    assert_eq!(decode(&encode(&pdu)).unwrap(), pdu);

    let resp = Pdu::new(
        4,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Response(Response {
            alloc_hint: 4,
            context_id: 0,
            cancel_count: 0,
            stub: vec![0, 0, 0, 0],
        }),
    );
    assert_eq!(
        encode(&resp),
        hex("05000203 10000000 1c00 0000 04000000 04000000 0000 00 00 00000000")
    );
}

#[test]
fn bind_nak_with_and_without_signature() {
    let plain = Pdu::new(
        1,
        PfcFlags::FIRST_AND_LAST,
        PduBody::BindNak(BindNak::new(RejectReason::PROTOCOL_VERSION_NOT_SUPPORTED)),
    );
    let bytes = encode(&plain);
    assert_eq!(
        bytes,
        hex("05000d03 10000000 1500 0000 01000000 0400 01 0500")
    );
    assert_eq!(decode(&bytes).unwrap(), plain);
    // A peer's padding after the versions is accepted.
    let mut padded = bytes.clone();
    padded.extend_from_slice(&[0, 0, 0]);
    padded[8] = 0x18;
    assert_eq!(decode(&padded).unwrap(), plain);

    let mut nak = BindNak::new(RejectReason::LOCAL_LIMIT_EXCEEDED);
    nak.signature = Some(BIND_NAK_EXTENDED_ERROR_SIGNATURE);
    nak.extended_error = vec![1, 2, 3];
    let pdu = Pdu::new(1, PfcFlags::FIRST_AND_LAST, PduBody::BindNak(nak));
    assert_eq!(decode(&encode(&pdu)).unwrap(), pdu);
}

#[test]
fn small_pdus_round_trip() {
    for body in [
        PduBody::Shutdown,
        PduBody::CoCancel,
        PduBody::Orphaned,
        PduBody::Auth3,
    ] {
        let mut pdu = Pdu::new(11, PfcFlags::FIRST_AND_LAST, body);
        assert_eq!(decode(&encode(&pdu)).unwrap(), pdu);
        pdu.auth = Some(AuthVerifier {
            auth_type: AuthType::GSS_NEGOTIATE,
            auth_level: AuthLevel::CONNECT,
            value: b"token".to_vec(),
            ..AuthVerifier::default()
        });
        assert_eq!(decode(&encode(&pdu)).unwrap(), pdu);
    }
    let auth3 = Pdu {
        call_id: 1,
        flags: PfcFlags::FIRST_AND_LAST,
        body: PduBody::Auth3,
        auth: Some(AuthVerifier {
            auth_type: AuthType::WINNT,
            auth_level: AuthLevel::CONNECT,
            value: vec![0x4e],
            ..AuthVerifier::default()
        }),
    };
    assert_eq!(
        encode(&auth3),
        hex("05001003 10000000 1d00 0100 01000000 00000000 0a 02 00 00 00000000 4e")
    );
}

#[test]
fn decoder_rejects_lies() {
    let good = hex(BIND_HEX);
    let with = |i: usize, v: u8| {
        let mut b = good.clone();
        b[i] = v;
        b
    };
    // Little-endian bytes under a big-endian drep: frag_length reads as 0x7400, a lie.
    // EBCDIC and other versions are refused.
    assert!(matches!(
        decode(&with(4, 0x00)),
        Err(RpcError::FragLength { .. })
    ));
    assert!(matches!(
        decode(&with(4, 0x11)),
        Err(RpcError::UnsupportedDataRepresentation(_))
    ));
    assert_eq!(decode(&with(0, 4)), Err(RpcError::BadVersion(4, 0)));
    // The server can still answer: a bind, call 2 (big-endian call_id 0x02000000).
    assert_eq!(
        PduHeader::peek(&with(4, 0x00)),
        Some((PduType::BIND, 0x0200_0000))
    );
    assert_eq!(PduHeader::peek(&good), Some((PduType::BIND, 2)));
    assert_eq!(
        RpcError::UnsupportedDataRepresentation([0; 4]).reject_reason(),
        RejectReason::PROTOCOL_VERSION_NOT_SUPPORTED
    );
    // frag_length differs from the buffer.
    assert!(matches!(
        decode(&with(8, 0x75)),
        Err(RpcError::FragLength { .. })
    ));
    assert!(matches!(
        decode(&good[..100]),
        Err(RpcError::FragLength { .. })
    ));
    assert_eq!(decode(&good[..10]), Err(RpcError::Truncated));
    // auth_length larger than the body.
    assert_eq!(decode(&with(10, 0x70)), Err(RpcError::BadAuthLength(0x70)));
    // A context count that promises more than the fragment holds.
    assert_eq!(decode(&with(24, 3)), Err(RpcError::Truncated));
    // Fewer contexts than present: trailing bytes.
    assert_eq!(decode(&with(24, 1)), Err(RpcError::TrailingBytes(44)));
    // Connectionless PTYPE (ping).
    assert_eq!(
        decode(&with(2, 1)),
        Err(RpcError::UnsupportedPduType(PduType(1)))
    );
    // Shutdown with a body.
    let mut shutdown = encode(&Pdu::new(1, PfcFlags::NONE, PduBody::Shutdown));
    shutdown.push(0);
    shutdown[8] = 17;
    assert_eq!(decode(&shutdown), Err(RpcError::TrailingBytes(1)));
}

#[test]
fn auth_padding_must_fit() {
    let pdu = Pdu {
        call_id: 1,
        flags: PfcFlags::FIRST_AND_LAST,
        body: PduBody::Response(Response::default()),
        auth: Some(AuthVerifier {
            auth_type: AuthType::WINNT,
            auth_level: AuthLevel::PKT_INTEGRITY,
            value: vec![1; 16],
            ..AuthVerifier::default()
        }),
    };
    let mut bytes = encode(&pdu);
    assert_eq!(decode(&bytes).unwrap(), pdu);
    // auth_pad_length claims more bytes than precede the trailer.
    let pad_at = bytes.len() - 16 - 6;
    bytes[pad_at] = 40;
    assert!(matches!(decode(&bytes), Err(RpcError::BadAuthLength(_))));
    // Claims 8 of the 8 response header bytes: the body is then truncated.
    bytes[pad_at] = 4;
    assert_eq!(decode(&bytes), Err(RpcError::Truncated));
}

#[test]
fn fragment_and_reassemble() {
    let stub: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    let frags = fragment_response(7, 1, &stub, 1000).unwrap();
    assert_eq!(frags.len(), 11);
    let mut joined = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        let bytes = encode(f);
        assert!(bytes.len() <= 1000);
        assert_eq!(f.flags.contains(PfcFlags::FIRST_FRAG), i == 0);
        assert_eq!(f.flags.contains(PfcFlags::LAST_FRAG), i == frags.len() - 1);
        let PduBody::Response(r) = &f.body else {
            unreachable!()
        };
        assert_eq!(r.alloc_hint as usize, stub.len() - joined.len());
        if i + 1 < frags.len() {
            assert_eq!(r.stub.len() % 8, 0);
        }
        joined.extend_from_slice(&r.stub);
    }
    assert_eq!(joined, stub);

    let empty = fragment_response(1, 0, &[], 4280).unwrap();
    assert_eq!(empty.len(), 1);
    assert_eq!(empty[0].flags, PfcFlags::FIRST_AND_LAST);
    assert_eq!(
        fragment_response(1, 0, &stub, 31),
        Err(RpcError::SizeOutOfRange(31))
    );

    // The same pieces as requests reassemble to the stub.
    let requests: Vec<Pdu> = frags
        .iter()
        .map(|f| {
            let PduBody::Response(r) = &f.body else {
                unreachable!()
            };
            Pdu::new(
                7,
                f.flags,
                PduBody::Request(Request {
                    alloc_hint: r.alloc_hint,
                    context_id: 1,
                    opnum: 2,
                    object: None,
                    stub: r.stub.clone(),
                }),
            )
        })
        .collect();
    let mut re = Reassembler::default();
    let mut done = None;
    for (i, p) in requests.iter().enumerate() {
        let out = re.push(p.clone()).unwrap();
        if i + 1 < requests.len() {
            assert!(out.is_none());
            assert_eq!(re.in_progress(), Some(7));
        } else {
            done = out;
        }
    }
    let done = done.unwrap();
    assert_eq!(done.stub, stub);
    assert_eq!((done.call_id, done.context_id, done.opnum), (7, 1, 2));
    assert_eq!(re.in_progress(), None);

    // Bounded: a 4000-byte limit refuses the 10000-byte call.
    let mut small = Reassembler::new(4000);
    let err = requests
        .iter()
        .find_map(|p| small.push(p.clone()).err())
        .unwrap();
    assert_eq!(err, RpcError::TooLarge { limit: 4000 });
    assert_eq!(small.in_progress(), None);
}

#[test]
fn reassembler_rejects_out_of_sequence() {
    let req = |call_id, flags| {
        Pdu::new(
            call_id,
            flags,
            PduBody::Request(Request {
                stub: vec![0; 8],
                ..Request::default()
            }),
        )
    };
    let mut re = Reassembler::default();
    assert!(matches!(
        re.push(req(1, PfcFlags::LAST_FRAG)),
        Err(RpcError::FragmentSequence(_))
    ));
    assert_eq!(re.push(req(1, PfcFlags::FIRST_FRAG)), Ok(None));
    assert!(matches!(
        re.push(req(2, PfcFlags::LAST_FRAG)),
        Err(RpcError::FragmentSequence(_))
    ));
    assert_eq!(re.push(req(1, PfcFlags::FIRST_FRAG)), Ok(None));
    assert!(matches!(
        re.push(req(1, PfcFlags::FIRST_FRAG)),
        Err(RpcError::FragmentSequence(_))
    ));
    assert!(matches!(
        re.push(Pdu::new(1, PfcFlags::FIRST_AND_LAST, PduBody::Shutdown)),
        Err(RpcError::FragmentSequence(_))
    ));
    let whole = re.push(req(3, PfcFlags::FIRST_AND_LAST)).unwrap().unwrap();
    assert_eq!(whole.stub.len(), 8);
}

#[test]
fn oversized_pdu_does_not_encode() {
    let pdu = Pdu::new(
        1,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Response(Response {
            stub: vec![0; 70_000],
            ..Response::default()
        }),
    );
    assert_eq!(try_encode(&pdu), Err(RpcError::SizeOutOfRange(70_024)));
    assert!(encode(&pdu).is_empty());
}

#[test]
fn debug_names() {
    assert_eq!(format!("{:?}", PduType::BIND_ACK), "BIND_ACK");
    assert_eq!(format!("{:?}", PduType(99)), "PduType(0x63)");
    assert_eq!(
        format!("{:?}", PfcFlags::FIRST_AND_LAST | PfcFlags::OBJECT_UUID),
        "FIRST_FRAG|LAST_FRAG|OBJECT_UUID"
    );
    assert_eq!(
        RpcError::UnsupportedDataRepresentation([0; 4]).to_status(),
        lwio_types::NtStatus::RPC_NT_UNSUPPORTED_TYPE
    );
}
