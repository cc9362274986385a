//! The SMB2 codecs of the file operations (READ, WRITE, LOCK, IOCTL, QUERY_DIRECTORY, CHANGE_NOTIFY,
//! QUERY_INFO, SET_INFO, OPLOCK_BREAK, TRANSFORM_HEADER): round trips of every message,
//! hand-built hex vectors from the MS-SMB2 2.2 layouts, and hostile input (truncation at
//! every byte, lying offsets and counts, random bytes).
#![allow(clippy::unwrap_used)]

use lwio_smb2::ioctl::{
    CopyChunk, CopyChunkCopy, CopyChunkResponse, DfsReferralRequest, InterfaceAddress,
    InterfaceCapability, NetworkInterfaceInfo, ResumeKeyResponse, ValidateNegotiateInfoRequest,
    ValidateNegotiateInfoResponse,
};
use lwio_smb2::transform::{TransformFlags, aad_of};
use lwio_smb2::*;
use lwio_types::{FileInfoClass, NotifyFilter, QueryDirectoryFlags};
use lwio_types::{NtStatus, SecurityInformation};
use proptest::prelude::*;

const H: usize = HEADER_LEN;

fn fid() -> FileId {
    FileId {
        persistent: 0x0102_0304_0506_0708,
        volatile: 0x1112_1314_1516_1718,
    }
}

/// The body of `encode` after a zeroed 64-byte header.
fn msg(encode: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = vec![0u8; H];
    encode(&mut out);
    out
}

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// A decoder reduced to "does it decode".
type Decoder = fn(&[u8]) -> bool;

/// Every decoder of part B, by name.
fn decoders() -> Vec<(&'static str, Decoder)> {
    vec![
        ("read req", |m| ReadRequest::decode(m).is_ok()),
        ("read resp", |m| ReadResponse::decode(m).is_ok()),
        ("write req", |m| WriteRequest::decode(m).is_ok()),
        ("write resp", |m| WriteResponse::decode(m).is_ok()),
        ("lock req", |m| LockRequest::decode(m).is_ok()),
        ("lock resp", |m| LockResponse::decode(m).is_ok()),
        ("ioctl req", |m| IoctlRequest::decode(m).is_ok()),
        ("ioctl resp", |m| IoctlResponse::decode(m).is_ok()),
        ("qdir req", |m| QueryDirectoryRequest::decode(m).is_ok()),
        ("qdir resp", |m| QueryDirectoryResponse::decode(m).is_ok()),
        ("notify req", |m| ChangeNotifyRequest::decode(m).is_ok()),
        ("notify resp", |m| ChangeNotifyResponse::decode(m).is_ok()),
        ("qinfo req", |m| QueryInfoRequest::decode(m).is_ok()),
        ("qinfo resp", |m| QueryInfoResponse::decode(m).is_ok()),
        ("sinfo req", |m| SetInfoRequest::decode(m).is_ok()),
        ("sinfo resp", |m| SetInfoResponse::decode(m).is_ok()),
        ("oplock", |m| OplockBreakMessage::decode(m).is_ok()),
        ("transform", |m| TransformHeader::split(m).is_ok()),
        ("vni req", |m| {
            ValidateNegotiateInfoRequest::decode(m).is_ok()
        }),
        ("vni resp", |m| {
            ValidateNegotiateInfoResponse::decode(m).is_ok()
        }),
        ("nics", |m| NetworkInterfaceInfo::decode_list(m).is_ok()),
        ("resume key", |m| ResumeKeyResponse::decode(m).is_ok()),
        ("copychunk", |m| CopyChunkCopy::decode(m).is_ok()),
        ("copychunk resp", |m| CopyChunkResponse::decode(m).is_ok()),
        ("dfs", |m| DfsReferralRequest::decode(m).is_ok()),
        ("dfs ex", |m| DfsReferralRequest::decode_ex(m).is_ok()),
    ]
}

/// One valid encoded message per SMB2 body of part B, with the number of trailing bytes
/// that may be cut without the message becoming invalid (the odd byte of an empty buffer).
fn samples() -> Vec<(&'static str, Vec<u8>, usize)> {
    let write_data = b"0123456789abcdef".to_vec();
    vec![
        (
            "read req",
            msg(|o| {
                ReadRequest {
                    length: 65536,
                    offset: 1 << 20,
                    file_id: fid(),
                    minimum_count: 1,
                    channel: Channel::RDMA_V1,
                    channel_info: vec![0xCC; 16],
                    ..Default::default()
                }
                .encode(o)
            }),
            0,
        ),
        (
            "read resp",
            msg(|o| {
                ReadResponse {
                    data: vec![0xAB; 100],
                    ..Default::default()
                }
                .encode(o)
            }),
            0,
        ),
        (
            "write req",
            msg(|o| {
                WriteRequest {
                    offset: 0,
                    file_id: fid(),
                    channel: Channel::NONE,
                    remaining_bytes: 0,
                    flags: WriteFlags::UNBUFFERED,
                    data: &write_data,
                    channel_info: &[],
                }
                .encode(o)
            }),
            0,
        ),
        (
            "write resp",
            msg(|o| {
                WriteResponse {
                    count: 16,
                    remaining: 0,
                }
                .encode(o)
            }),
            1,
        ),
        (
            "lock req",
            msg(|o| {
                LockRequest {
                    lock_sequence: LockSequence {
                        number: 1,
                        index: 2,
                    },
                    file_id: fid(),
                    locks: vec![
                        LockElement {
                            offset: 0,
                            length: 10,
                            flags: LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY,
                        },
                        LockElement {
                            offset: 10,
                            length: 10,
                            flags: LockFlags::SHARED | LockFlags::FAIL_IMMEDIATELY,
                        },
                    ],
                }
                .encode(o)
            }),
            0,
        ),
        ("lock resp", msg(|o| LockResponse.encode(o)), 0),
        (
            "ioctl req",
            msg(|o| {
                IoctlRequest {
                    ctl_code: CtlCode::PIPE_TRANSCEIVE,
                    file_id: fid(),
                    input: vec![5; 13],
                    max_output_response: 4280,
                    flags: IoctlFlags::IS_FSCTL,
                    ..Default::default()
                }
                .encode(o)
            }),
            0,
        ),
        (
            "ioctl resp",
            msg(|o| {
                IoctlResponse {
                    ctl_code: CtlCode::PIPE_TRANSCEIVE,
                    file_id: fid(),
                    input: vec![1; 3],
                    output: vec![6; 21],
                    flags: 0,
                }
                .encode(o)
            }),
            0,
        ),
        (
            "qdir req",
            msg(|o| {
                QueryDirectoryRequest {
                    class: FileInfoClass::ID_BOTH_DIRECTORY,
                    flags: QueryDirectoryFlags::RESTART_SCANS,
                    file_index: 0,
                    file_id: fid(),
                    pattern: "*.tx?".into(),
                    output_buffer_length: 65536,
                }
                .encode(o)
            }),
            0,
        ),
        (
            "qdir resp",
            msg(|o| {
                QueryDirectoryResponse {
                    buffer: vec![9; 104],
                }
                .encode(o)
            }),
            0,
        ),
        (
            "notify req",
            msg(|o| {
                ChangeNotifyRequest {
                    flags: ChangeNotifyFlags::WATCH_TREE,
                    output_buffer_length: 4096,
                    file_id: fid(),
                    completion_filter: NotifyFilter::FILE_NAME,
                }
                .encode(o)
            }),
            0,
        ),
        (
            "notify resp",
            msg(|o| {
                ChangeNotifyResponse {
                    buffer: vec![1; 20],
                }
                .encode(o)
            }),
            0,
        ),
        (
            "qinfo req",
            msg(|o| {
                QueryInfoRequest {
                    info_type: InfoType::FILE,
                    info_class: FileInfoClass::FULL_EA.0,
                    output_buffer_length: 1024,
                    input: vec![0, 0, 0, 0, 2, b'E', b'A', 0],
                    additional_information: 0,
                    flags: QueryInfoFlags::RESTART_SCAN,
                    file_id: fid(),
                }
                .encode(o)
            }),
            0,
        ),
        (
            "qinfo resp",
            msg(|o| {
                QueryInfoResponse {
                    buffer: vec![2; 40],
                }
                .encode(o)
            }),
            0,
        ),
        (
            "sinfo req",
            msg(|o| {
                SetInfoRequest {
                    info_type: InfoType::FILE,
                    info_class: FileInfoClass::END_OF_FILE.0,
                    buffer: 4096u64.to_le_bytes().to_vec(),
                    additional_information: 0,
                    file_id: fid(),
                }
                .encode(o)
            }),
            0,
        ),
        ("sinfo resp", msg(|o| SetInfoResponse.encode(o)), 0),
        (
            "oplock",
            msg(|o| {
                OplockBreak {
                    oplock_level: OplockLevel::BATCH,
                    file_id: fid(),
                }
                .encode(o)
            }),
            0,
        ),
    ]
}

#[test]
fn every_sample_decodes_and_every_truncation_fails() {
    let decoders = decoders();
    for (name, m, optional) in samples() {
        let decode = decoders.iter().find(|d| d.0 == name).unwrap().1;
        assert!(decode(&m), "{name} does not decode");
        for n in 0..m.len() - optional {
            assert!(!decode(&m[..n]), "{name} decodes truncated at {n}");
        }
        // Compound padding up to 8 bytes is allowed, more is not.
        let mut padded = m.clone();
        padded.resize(m.len().next_multiple_of(8), 0);
        assert!(decode(&padded), "{name} rejects compound padding");
        padded.extend_from_slice(&[0; 8]);
        assert!(!decode(&padded), "{name} accepts trailing bytes");
        // Another body's StructureSize is refused.
        let mut wrong = m.clone();
        wrong[H] ^= 0x40;
        assert!(!decode(&wrong), "{name} accepts a wrong StructureSize");
    }
}

#[test]
fn read_request_hex_vector() {
    // MS-SMB2 2.2.19 laid out field by field: StructureSize 49, Padding 0x50, Flags 0,
    // Length 0x10000, Offset 0, FileId, MinimumCount 0, Channel 0, RemainingBytes 0,
    // ReadChannelInfoOffset 0, ReadChannelInfoLength 0, one byte of Buffer.
    let body = hex("3100 50 00 00000100 0000000000000000
         0800000000000000 0900000000000000
         00000000 00000000 00000000 0000 0000 00");
    let mut m = vec![0u8; H];
    m.extend_from_slice(&body);
    let r = ReadRequest::decode(&m).unwrap();
    assert_eq!(r.padding, 0x50);
    assert_eq!(r.length, 0x10000);
    assert_eq!(
        r.file_id,
        FileId {
            persistent: 8,
            volatile: 9
        }
    );
    assert_eq!(r.channel, Channel::NONE);
    assert!(r.channel_info.is_empty());
}

#[test]
fn write_request_hex_vector() {
    // MS-SMB2 2.2.21: StructureSize 49, DataOffset 0x70, Length 4, Offset 0x200, FileId,
    // Channel 0, RemainingBytes 0, WriteChannelInfoOffset/Length 0, Flags WRITE_THROUGH,
    // then the data "abcd".
    let body = hex("3100 7000 04000000 0002000000000000
         0100000000000000 0200000000000000
         00000000 00000000 0000 0000 01000000 61626364");
    let mut m = vec![0u8; H];
    m.extend_from_slice(&body);
    let w = WriteRequest::decode(&m).unwrap();
    assert_eq!(w.data, b"abcd");
    assert_eq!(w.offset, 0x200);
    assert_eq!(w.flags, WriteFlags::WRITE_THROUGH);
    assert_eq!(msg(|o| w.encode(o)), m);
}

#[test]
fn lock_request_hex_vector() {
    // MS-SMB2 2.2.26: StructureSize 48, LockCount 1, LockSequence (index 1, number 3),
    // FileId, one element: Offset 0x10, Length 0x20, Flags EXCLUSIVE|FAIL_IMMEDIATELY.
    let body = hex("3000 0100 13000000 0100000000000000 0200000000000000
         1000000000000000 2000000000000000 12000000 00000000");
    let mut m = vec![0u8; H];
    m.extend_from_slice(&body);
    let l = LockRequest::decode(&m).unwrap();
    assert_eq!(
        l.lock_sequence,
        LockSequence {
            number: 3,
            index: 1
        }
    );
    assert_eq!(l.locks.len(), 1);
    assert_eq!(
        l.locks[0].flags,
        LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY
    );
    assert_eq!(l.validate(), Ok(LockOperation::Lock));
    assert_eq!(msg(|o| l.encode(o)), m);
}

#[test]
fn lock_count_larger_than_message() {
    let mut m = samples().into_iter().find(|s| s.0 == "lock req").unwrap().1;
    m[H + 2] = 3; // three elements announced, two present
    assert!(LockRequest::decode(&m).is_err());
    m[H + 2] = 0xFF;
    m[H + 3] = 0xFF;
    assert!(LockRequest::decode(&m).is_err());
}

#[test]
fn lock_validation() {
    let unlock_then_lock = LockRequest {
        lock_sequence: LockSequence::default(),
        file_id: fid(),
        locks: vec![
            LockElement {
                offset: 0,
                length: 1,
                flags: LockFlags::UNLOCK,
            },
            LockElement {
                offset: 0,
                length: 1,
                flags: LockFlags::SHARED,
            },
        ],
    };
    assert_eq!(
        unlock_then_lock.validate(),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn lying_offsets_are_rejected() {
    // For each message with a buffer: where its Offset and Length fields are (from the
    // body start) and their widths.
    let cases: [(&str, usize, usize, usize); 9] = [
        ("read resp", 2, 4, 1),
        ("write req", 2, 4, 2),
        ("ioctl req", 24, 28, 4),
        ("ioctl resp", 32, 36, 4),
        ("qdir req", 24, 26, 2),
        ("qdir resp", 2, 4, 2),
        ("qinfo req", 8, 12, 2),
        ("qinfo resp", 2, 4, 2),
        ("sinfo req", 8, 4, 2),
    ];
    let decoders = decoders();
    let all = samples();
    for (name, off_at, len_at, off_width) in cases {
        let decode = decoders.iter().find(|d| d.0 == name).unwrap().1;
        let m = &all.iter().find(|s| s.0 == name).unwrap().1;
        assert!(decode(m));
        // Offset inside the header.
        let mut bad = m.clone();
        bad[H + off_at] = 0x10;
        for b in 1..off_width {
            bad[H + off_at + b] = 0;
        }
        assert!(!decode(&bad), "{name}: offset inside the header");
        // Length running past the end.
        let mut bad = m.clone();
        bad[H + len_at] = bad[H + len_at].wrapping_add(9);
        assert!(!decode(&bad), "{name}: length past the end");
        // Huge length.
        let mut bad = m.clone();
        bad[H + len_at + 1] = 0xFF;
        assert!(!decode(&bad), "{name}: huge length");
    }
}

#[test]
fn round_trips() {
    let data = vec![7u8; 300];
    let w = WriteRequest {
        offset: u64::MAX,
        file_id: fid(),
        channel: Channel::RDMA_V1_INVALIDATE,
        remaining_bytes: 300,
        flags: WriteFlags::WRITE_THROUGH | WriteFlags::UNBUFFERED,
        data: &data,
        channel_info: &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
    };
    let m = msg(|o| w.encode(o));
    assert_eq!(WriteRequest::decode(&m).unwrap(), w);

    let io = IoctlRequest {
        ctl_code: CtlCode(0x0009_0000),
        file_id: fid(),
        input: Vec::new(),
        output: vec![3; 5],
        max_input_response: 1,
        max_output_response: 2,
        flags: IoctlFlags::empty(),
    };
    let m = msg(|o| io.encode(o));
    assert_eq!(IoctlRequest::decode(&m).unwrap(), io);
    let empty = IoctlResponse::default();
    let m = msg(|o| empty.encode(o));
    assert_eq!(m.len(), H + 49);
    assert_eq!(IoctlResponse::decode(&m).unwrap(), empty);

    let qi = QueryInfoRequest {
        info_type: InfoType::SECURITY,
        additional_information: SecurityInformation::OWNER.0 | SecurityInformation::DACL.0,
        output_buffer_length: 256,
        file_id: fid(),
        ..Default::default()
    };
    let m = msg(|o| qi.encode(o));
    let d = QueryInfoRequest::decode(&m).unwrap();
    assert_eq!(d, qi);
    assert!(
        d.security_information()
            .unwrap()
            .contains(SecurityInformation::DACL)
    );

    let si = SetInfoRequest {
        info_type: InfoType::QUOTA,
        ..Default::default()
    };
    let m = msg(|o| si.encode(o));
    assert_eq!(SetInfoRequest::decode(&m).unwrap(), si);

    let lb = OplockBreakMessage::LeaseNotification(LeaseBreakNotification {
        new_epoch: 5,
        flags: LeaseBreakFlags::ACK_REQUIRED,
        lease_key: [0x42; 16],
        current_lease_state: LeaseState::READ | LeaseState::WRITE | LeaseState::HANDLE,
        new_lease_state: LeaseState::empty(),
        ..Default::default()
    });
    let m = msg(|o| lb.encode(o));
    assert_eq!(OplockBreakMessage::decode(&m).unwrap(), lb);
}

#[test]
fn lease_break_ack_hex_vector() {
    // MS-SMB2 2.2.24.2: StructureSize 36, Reserved, Flags 0, LeaseKey, LeaseState R|H,
    // LeaseDuration 0.
    let body = hex("2400 0000 00000000 000102030405060708090a0b0c0d0e0f 03000000 0000000000000000");
    let mut m = vec![0u8; H];
    m.extend_from_slice(&body);
    let OplockBreakMessage::LeaseAck(a) = OplockBreakMessage::decode(&m).unwrap() else {
        panic!("not a lease ack");
    };
    assert_eq!(a.lease_state, LeaseState::READ | LeaseState::HANDLE);
    assert_eq!(a.lease_key[15], 0x0f);
    assert_eq!(msg(|o| a.encode(o)), m);
}

#[test]
fn transform_header_vector() {
    // MS-SMB2 2.2.41: ProtocolId FD 'S' 'M' 'B', Signature, Nonce, OriginalMessageSize 0x68,
    // Reserved, Flags ENCRYPTED, SessionId.
    let frame_head = hex("fd534d42 00112233445566778899aabbccddeeff
         0102030405060708090a0b0c00000000 68000000 0000 0100 0100000000aa0000");
    assert_eq!(frame_head.len(), 52);
    let h = TransformHeader::decode(&frame_head).unwrap();
    assert_eq!(h.original_message_size, 0x68);
    assert_eq!(h.flags, TransformFlags::ENCRYPTED);
    assert_eq!(h.session_id, 0x0000_aa00_0000_0001);
    assert_eq!(h.to_bytes().to_vec(), frame_head);
    assert_eq!(aad_of(&frame_head).unwrap(), &frame_head[20..52]);
    assert_eq!(&h.aad()[..], &frame_head[20..52]);
    let mut frame = frame_head.clone();
    frame.extend_from_slice(&[0; 0x68]);
    assert_eq!(TransformHeader::split(&frame).unwrap().1.len(), 0x68);
    frame.push(0);
    assert!(TransformHeader::split(&frame).is_err());
}

#[test]
fn ioctl_payloads() {
    let vni = ValidateNegotiateInfoRequest {
        capabilities: Capabilities(0x7f),
        guid: [1; 16],
        security_mode: SecurityMode(1),
        dialects: vec![
            Dialect(0x0202),
            Dialect(0x0210),
            Dialect(0x0300),
            Dialect(0x0302),
        ],
    };
    let mut b = Vec::new();
    vni.encode(&mut b);
    assert_eq!(b.len(), 24 + 8);
    assert_eq!(ValidateNegotiateInfoRequest::decode(&b).unwrap(), vni);
    b[22] = 5; // five dialects announced, four present
    assert!(ValidateNegotiateInfoRequest::decode(&b).is_err());

    let resp = ValidateNegotiateInfoResponse {
        capabilities: Capabilities(0x2f),
        guid: [2; 16],
        security_mode: SecurityMode(3),
        dialect: Dialect(0x0302),
    };
    let mut b = Vec::new();
    resp.encode(&mut b);
    assert_eq!(b.len(), ValidateNegotiateInfoResponse::LEN);
    assert_eq!(ValidateNegotiateInfoResponse::decode(&b).unwrap(), resp);

    let rk = ResumeKeyResponse {
        resume_key: [9; 24],
        context: Vec::new(),
    };
    let mut b = Vec::new();
    rk.encode(&mut b);
    assert_eq!(b.len(), 28);
    assert_eq!(ResumeKeyResponse::decode(&b).unwrap(), rk);
    b[24] = 1; // context length past the end
    assert!(ResumeKeyResponse::decode(&b).is_err());

    let cc = CopyChunkCopy {
        source_key: [4; 24],
        chunks: (0..3)
            .map(|i| CopyChunk {
                source_offset: i * 4096,
                target_offset: i * 8192,
                length: 4096,
            })
            .collect(),
    };
    let mut b = Vec::new();
    cc.encode(&mut b);
    assert_eq!(b.len(), 32 + 3 * 24);
    assert_eq!(CopyChunkCopy::decode(&b).unwrap(), cc);
    b[24] = 4;
    assert!(CopyChunkCopy::decode(&b).is_err());

    let ccr = CopyChunkResponse {
        chunks_written: 256,
        chunk_bytes_written: 1 << 20,
        total_bytes_written: 16 << 20,
    };
    let mut b = Vec::new();
    ccr.encode(&mut b);
    assert_eq!(CopyChunkResponse::decode(&b).unwrap(), ccr);

    let nics = vec![NetworkInterfaceInfo {
        if_index: 1,
        capability: InterfaceCapability::RSS | InterfaceCapability::RDMA,
        link_speed: 25_000_000_000,
        address: InterfaceAddress::Other {
            family: 0x1234,
            bytes: vec![0x55; 126],
        },
    }];
    let mut b = Vec::new();
    NetworkInterfaceInfo::encode_list(&nics, &mut b);
    assert_eq!(NetworkInterfaceInfo::decode_list(&b).unwrap(), nics);
    assert!(NetworkInterfaceInfo::decode_list(&b[..151]).is_err());

    // REQ_GET_DFS_REFERRAL_EX: level 4, flags 0, data: name length 8, "\\a\\b".
    let ex = hex("0400 0000 0a000000 0800 5c0061005c006200");
    let d = DfsReferralRequest::decode_ex(&ex).unwrap();
    assert_eq!(d.max_referral_level, 4);
    assert_eq!(d.file_name, "\\a\\b");
}

#[test]
fn every_prefix_into_every_decoder() {
    // Every prefix of every sample, fed to every decoder: no panic, whatever the result.
    let decoders = decoders();
    for (_, m, _) in samples() {
        for n in 0..=m.len() {
            for (_, d) in &decoders {
                let _ = d(&m[..n]);
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut m = vec![0u8; H];
        m.extend_from_slice(&body);
        for (_, d) in decoders() {
            let _ = d(&body);
            let _ = d(&m);
        }
    }

    #[test]
    fn random_sized_bodies_never_panic(
        size in prop::sample::select(vec![2u16, 4, 9, 17, 24, 32, 33, 36, 41, 44, 48, 49, 57]),
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut m = vec![0u8; H];
        m.extend_from_slice(&size.to_le_bytes());
        m.extend_from_slice(&rest);
        for (_, d) in decoders() {
            let _ = d(&m);
        }
    }

    #[test]
    fn whatever_decodes_re_encodes_the_same(
        size in prop::sample::select(vec![2u16, 4, 9, 17, 24, 32, 33, 36, 41, 44, 48, 49, 57]),
        rest in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut m = vec![0u8; H];
        m.extend_from_slice(&size.to_le_bytes());
        m.extend_from_slice(&rest);
        macro_rules! each {
            ($($t:ty),* $(,)?) => {$(
                if let Ok(v) = <$t>::decode(&m) {
                    let again = msg(|o| v.encode(o));
                    prop_assert_eq!(<$t>::decode(&again).unwrap(), v);
                }
            )*};
        }
        each!(
            ReadRequest, ReadResponse, WriteRequest<'_>, WriteResponse, LockRequest,
            LockResponse, IoctlRequest, IoctlResponse, QueryDirectoryRequest,
            QueryDirectoryResponse, ChangeNotifyRequest, ChangeNotifyResponse,
            QueryInfoRequest, QueryInfoResponse, SetInfoRequest, SetInfoResponse,
            OplockBreakMessage,
        );
    }

    #[test]
    fn ioctl_payloads_re_encode_the_same(buf in proptest::collection::vec(any::<u8>(), 0..320)) {
        macro_rules! each {
            ($($t:ty),* $(,)?) => {$(
                if let Ok(v) = <$t>::decode(&buf) {
                    let mut out = Vec::new();
                    v.encode(&mut out);
                    prop_assert_eq!(<$t>::decode(&out).unwrap(), v);
                }
            )*};
        }
        each!(
            ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse, ResumeKeyResponse,
            CopyChunkCopy, CopyChunkResponse, DfsReferralRequest,
        );
        let _ = DfsReferralRequest::decode_ex(&buf);
        if let Ok(list) = NetworkInterfaceInfo::decode_list(&buf) {
            let mut out = Vec::new();
            NetworkInterfaceInfo::encode_list(&list, &mut out);
            prop_assert_eq!(NetworkInterfaceInfo::decode_list(&out).unwrap(), list);
        }
    }

    #[test]
    fn read_request_round_trips(
        padding in any::<u8>(), flags in any::<u8>(), length in any::<u32>(),
        offset in any::<u64>(), p in any::<u64>(), v in any::<u64>(),
        min in any::<u32>(), channel in any::<u32>(), remaining in any::<u32>(),
        info in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let r = ReadRequest {
            padding,
            flags: ReadFlags(flags),
            length,
            offset,
            file_id: FileId { persistent: p, volatile: v },
            minimum_count: min,
            channel: Channel(channel),
            remaining_bytes: remaining,
            channel_info: info,
        };
        let m = msg(|o| r.encode(o));
        prop_assert_eq!(ReadRequest::decode(&m).unwrap(), r);
    }

    #[test]
    fn lock_request_round_trips(
        number in 0u8..16, index in 0u32..(1 << 28),
        elems in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<u32>()), 0..20),
    ) {
        let r = LockRequest {
            lock_sequence: LockSequence { number, index },
            file_id: fid(),
            locks: elems
                .into_iter()
                .map(|(offset, length, f)| LockElement { offset, length, flags: LockFlags(f) })
                .collect(),
        };
        let m = msg(|o| r.encode(o));
        prop_assert_eq!(LockRequest::decode(&m).unwrap(), r);
    }

    #[test]
    fn ioctl_round_trips(
        code in any::<u32>(),
        input in proptest::collection::vec(any::<u8>(), 0..100),
        output in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let r = IoctlRequest {
            ctl_code: CtlCode(code),
            file_id: fid(),
            input: input.clone(),
            output: output.clone(),
            ..Default::default()
        };
        let m = msg(|o| r.encode(o));
        prop_assert_eq!(IoctlRequest::decode(&m).unwrap(), r);
        let s = IoctlResponse {
            ctl_code: CtlCode(code),
            file_id: fid(),
            input,
            output,
            flags: 0,
        };
        let m = msg(|o| s.encode(o));
        prop_assert_eq!(IoctlResponse::decode(&m).unwrap(), s);
    }

    #[test]
    fn query_directory_round_trips(pattern in "[a-zA-Z0-9*?. ]{0,40}", class in any::<u8>()) {
        let r = QueryDirectoryRequest {
            class: FileInfoClass(class),
            flags: QueryDirectoryFlags::empty(),
            file_index: 0,
            file_id: fid(),
            pattern,
            output_buffer_length: 1,
        };
        let m = msg(|o| r.encode(o));
        prop_assert_eq!(QueryDirectoryRequest::decode(&m).unwrap(), r);
    }
}
