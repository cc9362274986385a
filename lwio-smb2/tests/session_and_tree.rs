#![allow(clippy::unwrap_used)]
//! The SMB2 codecs of framing, header, compounds, and the session/tree/create/close
//! family — round trips, hand-built hex vectors from the MS-SMB2 layouts, truncation at
//! every byte, and random bytes into every decoder.

use lwio_smb2::create_context::{RequestContext, ResponseContext};
use lwio_smb2::frame::{FrameSplitter, Smb1Negotiate, encode_frame};
use lwio_smb2::negotiate::{Cipher, HashAlgorithm, PreauthIntegrity};
use lwio_smb2::*;
use lwio_types::{AccessMask, CreateDisposition, NtStatus, ShareAccess};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn header(command: Command) -> Header {
    Header {
        command,
        credits: 1,
        message_id: 1,
        ..Header::default()
    }
}

/// Runs every session-family decoder over one message; returns how many accepted it.
fn decode_all(msg: &[u8]) -> usize {
    let mut ok = 0;
    macro_rules! each {
        ($($t:ty),*) => {$( ok += usize::from(<$t>::decode(msg).is_ok()); )*};
    }
    each!(
        Header,
        ErrorResponse,
        NegotiateRequest,
        NegotiateResponse,
        SessionSetupRequest,
        SessionSetupResponse,
        LogoffRequest,
        LogoffResponse,
        TreeConnectRequest,
        TreeConnectResponse,
        TreeDisconnectRequest,
        TreeDisconnectResponse,
        EchoRequest,
        EchoResponse,
        CancelRequest,
        FlushRequest,
        FlushResponse,
        CreateRequest,
        CreateResponse,
        CloseRequest,
        CloseResponse,
        SymlinkError,
        Smb1Negotiate
    );
    ok += usize::from(CreateContext::decode_chain(msg).is_ok());
    ok
}

#[test]
fn negotiate_request_hex_vector() {
    // A 3.1.1 NEGOTIATE request built from the 2.2.3 layout: two dialects (0x0302,
    // 0x0311), one PREAUTH context (SHA-512, 4-byte salt) at offset 0x68.
    let mut msg = vec![0u8; 64];
    msg[..4].copy_from_slice(b"\xFESMB");
    msg[4] = 64;
    msg.extend(hex("2400 0200 0100 0000 7f000000 \
         00112233445566778899aabbccddeeff \
         68000000 0100 0000 \
         0203 1103 \
         0100 0a00 00000000 0100 0400 0100 deadbeef"));
    let r = NegotiateRequest::decode(&msg).unwrap();
    assert_eq!(r.dialects, vec![Dialect::SMB_3_0_2, Dialect::SMB_3_1_1]);
    assert_eq!(r.security_mode, SecurityMode::SIGNING_ENABLED);
    assert_eq!(r.capabilities, Capabilities(0x7f));
    assert_eq!(
        r.contexts,
        vec![NegotiateContext::PreauthIntegrity(PreauthIntegrity {
            hash_algorithms: vec![HashAlgorithm::SHA512],
            salt: vec![0xde, 0xad, 0xbe, 0xef],
        })]
    );
    let mut again = msg[..64].to_vec();
    r.encode(&mut again);
    assert_eq!(again, msg);
    // Lying offsets: misaligned, inside the dialects, beyond the end.
    for off in [0x69u8, 0x60, 0xF0] {
        let mut bad = msg.clone();
        bad[64 + 28] = off;
        assert!(NegotiateRequest::decode(&bad).is_err(), "{off:#x}");
    }
    // A huge dialect count does not allocate or panic.
    let mut bad = msg.clone();
    bad[66..68].copy_from_slice(&[0xFF, 0xFF]);
    assert!(NegotiateRequest::decode(&bad).is_err());
    for n in 0..msg.len() {
        assert!(NegotiateRequest::decode(&msg[..n]).is_err(), "{n}");
    }
}

#[test]
fn tree_connect_and_session_hex_vectors() {
    // TREE_CONNECT request for \\s\a: path at 0x48, 10 bytes.
    let mut msg = vec![0u8; 64];
    msg.extend(hex("0900 0000 4800 0a00 5c005c0073005c006100"));
    let r = TreeConnectRequest::decode(&msg).unwrap();
    assert_eq!(r.path, "\\\\s\\a");
    let mut bad = msg.clone();
    bad[70] = 12;
    assert!(TreeConnectRequest::decode(&bad).is_err());
    // SESSION_SETUP response, guest, 3-byte token at 0x48.
    let mut msg = vec![0u8; 64];
    msg.extend(hex("0900 0100 4800 0300 a1b2c3"));
    let s = SessionSetupResponse::decode(&msg).unwrap();
    assert_eq!(s.session_flags, SessionFlags::IS_GUEST);
    assert_eq!(s.security_buffer, vec![0xa1, 0xb2, 0xc3]);
    let mut again = vec![0u8; 64];
    s.encode(&mut again);
    assert_eq!(again, msg);
    // An offset into the fixed part is refused.
    let mut bad = msg.clone();
    bad[68] = 0x44;
    assert!(SessionSetupResponse::decode(&bad).is_err());
}

#[test]
fn create_request_hex_vector_with_contexts() {
    let r = CreateRequest {
        oplock_level: lwio_smb2::OplockLevel::LEASE,
        desired_access: AccessMask::FILE_GENERIC_READ,
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN,
        name: "a".into(),
        contexts: vec![
            RequestContext::MaximalAccess { timestamp: None }.to_raw(),
            RequestContext::AllocationSize(0x1000).to_raw(),
        ],
        ..CreateRequest::default()
    };
    let mut msg = vec![0u8; 64];
    r.encode(&mut msg);
    // Name at 0x78 (2 bytes), contexts at the next 8-aligned offset 0x80.
    assert_eq!(
        &msg[64 + 44..64 + 56],
        &hex("7800 0200 80000000 38000000")[..]
    );
    assert_eq!(
        &msg[0x80..0x98],
        &hex("18000000 1000 0400 0000 0000 00000000 4d784163 00000000")[..]
    );
    assert_eq!(CreateRequest::decode(&msg).unwrap(), r);
    // A context chain whose Next points back to itself or is misaligned.
    for next in [0u32, 4, 12] {
        let mut bad = msg.clone();
        bad[0x80..0x84].copy_from_slice(&next.to_le_bytes());
        if next != 0 {
            assert!(CreateRequest::decode(&bad).is_err(), "{next}");
        }
    }
    // Contexts overlapping the name, or not 8-aligned.
    for off in [0x78u8, 0x7C] {
        let mut bad = msg.clone();
        bad[64 + 48] = off;
        assert!(CreateRequest::decode(&bad).is_err(), "{off:#x}");
    }
    // Trailing garbage beyond the compound padding.
    let mut bad = msg.clone();
    bad.extend_from_slice(&[0; 8]);
    assert!(CreateRequest::decode(&bad).is_err());
}

#[test]
fn response_contexts_typed() {
    let r = CreateResponse {
        oplock_level: lwio_smb2::OplockLevel::NONE,
        flags: lwio_smb2::create::CreateResponseFlags::empty(),
        create_action: lwio_types::CreateAction::OPENED,
        times: FileTimes::default(),
        file_attributes: lwio_types::FileAttributes(0x80),
        file_id: FileId {
            persistent: 1,
            volatile: 1,
        },
        contexts: vec![
            ResponseContext::MaximalAccess {
                status: NtStatus::SUCCESS,
                access: AccessMask::FILE_ALL_ACCESS,
            }
            .to_raw(),
            ResponseContext::OnDiskId([5; 32]).to_raw(),
        ],
    };
    let mut msg = vec![0u8; 64];
    r.encode(&mut msg);
    let back = CreateResponse::decode(&msg).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        ResponseContext::from_raw(&back.contexts[1]).unwrap(),
        ResponseContext::OnDiskId([5; 32])
    );
}

#[test]
fn compound_of_create_and_close_through_frames() {
    let create = CreateRequest {
        name: "x".into(),
        ..CreateRequest::default()
    };
    let close = CloseRequest {
        flags: CloseFlags::POSTQUERY_ATTRIB,
        file_id: FileId::RELATED,
    };
    let mut first = Vec::new();
    header(Command::CREATE).encode(&mut first);
    create.encode(&mut first);
    first.resize(first.len().next_multiple_of(8), 0);
    let next = first.len() as u32;
    first[20..24].copy_from_slice(&next.to_le_bytes());
    let mut second = Vec::new();
    let mut h = header(Command::CLOSE);
    h.flags = HeaderFlags::RELATED_OPERATIONS;
    h.encode(&mut second);
    close.encode(&mut second);
    let frame = [first.clone(), second.clone()].concat();
    let mut wire = Vec::new();
    encode_frame(&frame, &mut wire);
    let mut s = FrameSplitter::new(1 << 16);
    s.push(&wire);
    let got = s.next_frame().unwrap().unwrap();
    let parts = split_compound(&got).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(Header::decode(parts[0]).unwrap().command, Command::CREATE);
    assert_eq!(CreateRequest::decode(parts[0]).unwrap(), create);
    assert_eq!(CloseRequest::decode(parts[1]).unwrap(), close);
    // NextCommand beyond the message or not 8-aligned.
    for bad_next in [next - 1, 40, frame.len() as u32, frame.len() as u32 + 64] {
        let mut bad = frame.clone();
        bad[20..24].copy_from_slice(&bad_next.to_le_bytes());
        assert!(split_compound(&bad).is_err(), "{bad_next}");
    }
}

#[test]
fn every_message_truncated_at_every_byte() {
    type Accepts = fn(&[u8]) -> bool;
    let mut msgs: Vec<(Vec<u8>, Accepts)> = Vec::new();
    macro_rules! add {
        ($t:ty, $v:expr) => {{
            let mut m = vec![0u8; 64];
            $v.encode(&mut m);
            assert_eq!(<$t>::decode(&m).unwrap(), $v);
            msgs.push((m, |b| <$t>::decode(b).is_ok()));
        }};
    }
    add!(
        NegotiateResponse,
        NegotiateResponse {
            dialect: Dialect::SMB_3_1_1,
            security_buffer: vec![1; 10],
            contexts: vec![NegotiateContext::Encryption(vec![Cipher::AES_256_GCM])],
            ..NegotiateResponse::default()
        }
    );
    add!(
        SessionSetupRequest,
        SessionSetupRequest {
            security_buffer: vec![2; 5],
            ..SessionSetupRequest::default()
        }
    );
    add!(
        TreeConnectResponse,
        TreeConnectResponse {
            share_type: ShareType::PIPE,
            ..TreeConnectResponse::default()
        }
    );
    add!(CloseRequest, CloseRequest::default());
    add!(FlushRequest, FlushRequest::default());
    add!(ErrorResponse, ErrorResponse::with_data(vec![0x20, 0, 0, 0]));
    for (m, ok) in &msgs {
        for n in 0..m.len() {
            assert!(!ok(&m[..n]), "len {n} of {}", m.len());
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        decode_all(&body);
        let mut msg = vec![0u8; 64];
        msg[..4].copy_from_slice(b"\xFESMB");
        msg[4] = 64;
        msg.extend_from_slice(&body);
        decode_all(&msg);
        let _ = split_compound(&msg);
        let mut s = FrameSplitter::new(1024);
        s.push(&body);
        while let Ok(Some(_)) = s.next_frame() {}
    }

    #[test]
    fn header_round_trips(cc in any::<u16>(), st in any::<u32>(), cmd in any::<u16>(),
                          fl in any::<u32>(), mid in any::<u64>(), id in any::<u64>(),
                          sid in any::<u64>()) {
        let mut h = Header {
            credit_charge: cc,
            status: NtStatus(st),
            command: Command(cmd),
            flags: HeaderFlags(fl),
            message_id: mid,
            session_id: sid,
            ..Header::default()
        };
        h.id = if fl & 2 != 0 {
            HeaderId::Async { async_id: id }
        } else {
            HeaderId::Sync { reserved: id as u32, tree_id: (id >> 32) as u32 }
        };
        let mut out = Vec::new();
        h.encode(&mut out);
        prop_assert_eq!(Header::decode(&out).unwrap(), h);
    }
}
