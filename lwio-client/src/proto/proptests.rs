//! Round trips of every frame, and what the decoder does with arbitrary or cut bytes.

use bytes::{Bytes, BytesMut};
use lwio_core::irp::{
    ControlRequest, LockRequest, NotifyRequest, QueryDirectoryRequest, QueryInfoRequest,
    QuerySecurityRequest, ReadRequest, SetInfoRequest, SetSecurityRequest, UnlockRequest,
    WriteRequest,
};
use lwio_types::{
    AccessMask, CreateDisposition, CreateOptions, FileAttributes, FileInfoClass, FsInfoClass,
    NotifyFilter, NtStatus, QueryDirectoryFlags, SecurityInformation, ShareAccess,
};
use proptest::prelude::*;

use super::*;

fn data() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

fn create() -> impl Strategy<Value = Op> {
    (
        "[a-zA-Z0-9/ é]{0,40}",
        any::<[u32; 5]>(),
        any::<u64>(),
        proptest::option::of(data()),
        proptest::option::of(data()),
    )
        .prop_map(|(path, n, allocation_size, sd, ea)| {
            Op::Create(CreateArgs {
                path,
                desired_access: AccessMask(n[0]),
                share_access: ShareAccess(n[1]),
                disposition: CreateDisposition(n[2]),
                options: CreateOptions(n[3]),
                attributes: FileAttributes(n[4]),
                allocation_size,
                security_descriptor: sd,
                ea_buffer: ea,
            })
        })
}

fn file_op() -> impl Strategy<Value = Op> {
    (
        any::<u64>().prop_map(FileId),
        0u8..16,
        any::<(u64, u64, u32, u8, bool, bool)>(),
        data(),
        proptest::option::of("[a-z*?.]{0,12}"),
    )
        .prop_map(|(f, which, (a, b, n, c, x, y), d, pattern)| {
            let key = x.then_some(n);
            match which {
                0 => Op::Close(f),
                1 => Op::Flush(f),
                2 => Op::Read(
                    f,
                    ReadRequest {
                        offset: a,
                        length: n,
                        key,
                    },
                ),
                3 => Op::Write(
                    f,
                    WriteRequest {
                        offset: a,
                        data: d,
                        key,
                    },
                ),
                4 => Op::QueryInformation(
                    f,
                    QueryInfoRequest {
                        class: FileInfoClass(c),
                        length: n,
                    },
                ),
                5 => Op::SetInformation(
                    f,
                    SetInfoRequest {
                        class: FileInfoClass(c),
                        data: d,
                    },
                ),
                6 => Op::QueryVolumeInformation(
                    f,
                    QueryInfoRequest {
                        class: FsInfoClass(c),
                        length: n,
                    },
                ),
                7 => Op::SetVolumeInformation(
                    f,
                    SetInfoRequest {
                        class: FsInfoClass(c),
                        data: d,
                    },
                ),
                8 => Op::QueryDirectory(
                    f,
                    QueryDirectoryRequest {
                        class: FileInfoClass(c),
                        flags: QueryDirectoryFlags(c.rotate_left(3)),
                        file_index: n,
                        pattern,
                        length: n ^ 7,
                        only_accessible: None,
                    },
                ),
                9 => Op::Lock(
                    f,
                    LockRequest {
                        offset: a,
                        length: b,
                        key: n,
                        exclusive: x,
                        fail_immediately: y,
                    },
                ),
                10 => Op::Unlock(
                    f,
                    UnlockRequest {
                        offset: a,
                        length: b,
                        key: n,
                    },
                ),
                11 => Op::Notify(
                    f,
                    NotifyRequest {
                        filter: NotifyFilter(n),
                        watch_tree: x,
                        length: n ^ 1,
                    },
                ),
                12 => Op::QuerySecurity(
                    f,
                    QuerySecurityRequest {
                        info: SecurityInformation(n),
                        length: n ^ 3,
                    },
                ),
                13 => Op::SetSecurity(
                    f,
                    SetSecurityRequest {
                        info: SecurityInformation(n),
                        descriptor: d,
                    },
                ),
                14 => Op::FsControl(
                    f,
                    ControlRequest {
                        code: n,
                        input: d,
                        max_output: n ^ 5,
                    },
                ),
                _ => Op::DeviceControl(
                    f,
                    ControlRequest {
                        code: n,
                        input: d,
                        max_output: n ^ 5,
                    },
                ),
            }
        })
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 $\\/._-]{0,24}"
}

fn admin_request() -> impl Strategy<Value = AdminRequest> {
    prop_oneof![
        Just(AdminRequest::Status),
        any::<u64>().prop_map(AdminRequest::CloseSession),
        any::<u64>().prop_map(AdminRequest::CloseFile),
        (name(), name(), name()).prop_map(|(name, path, comment)| AdminRequest::ShareAdd {
            name,
            path,
            comment
        }),
        name().prop_map(|name| AdminRequest::ShareDel { name }),
        (
            name(),
            proptest::option::of(name()),
            proptest::option::of(name())
        )
            .prop_map(|(name, comment, security)| AdminRequest::ShareSet {
                name,
                comment,
                security
            }),
        Just(AdminRequest::Reload),
        name().prop_map(AdminRequest::LogLevel),
    ]
}

fn admin_status() -> impl Strategy<Value = AdminStatus> {
    let session = (
        any::<(u64, u16, bool, bool, bool, u64, u64)>(),
        name(),
        name(),
        proptest::collection::vec(name(), 0..3),
    )
        .prop_map(
            |(
                (id, dialect, signing, encryption, guest, age_secs, idle_secs),
                user,
                client,
                trees,
            )| {
                AdminSession {
                    id,
                    user,
                    client,
                    dialect,
                    signing,
                    encryption,
                    guest,
                    age_secs,
                    idle_secs,
                    trees,
                }
            },
        );
    let lock = any::<(u64, u64, bool, bool)>().prop_map(|(offset, length, exclusive, waiting)| {
        AdminLock {
            offset,
            length,
            exclusive,
            waiting,
        }
    });
    let locks = (proptest::collection::vec(lock, 0..3), any::<u32>());
    let open = (
        any::<(u64, u64, u32, u32, u8, bool)>(),
        name(),
        name(),
        locks.clone(),
    )
        .prop_map(
            |((id, session, granted, share_access, oplock, directory), share, path, locks)| {
                AdminOpen {
                    id,
                    session,
                    share,
                    path,
                    granted,
                    share_access,
                    oplock,
                    directory,
                    locks: locks.0,
                    locks_omitted: locks.1,
                }
            },
        );
    let local = (any::<(u64, u32, u32, u32, bool)>(), name(), locks).prop_map(
        |((connection, uid, pid, granted, directory), path, locks)| AdminLocalOpen {
            connection,
            uid,
            pid,
            path,
            granted,
            directory,
            locks: locks.0,
            locks_omitted: locks.1,
        },
    );
    (
        proptest::collection::vec(session, 0..3),
        proptest::collection::vec(open, 0..4),
        proptest::collection::vec(local, 0..3),
    )
        .prop_map(|(sessions, opens, local)| AdminStatus {
            sessions,
            opens,
            local,
        })
}

fn client_frame() -> impl Strategy<Value = ClientFrame> {
    prop_oneof![
        (any::<u64>(), admin_request())
            .prop_map(|(id, request)| ClientFrame::Admin { id, request }),
        any::<(u16, u16)>().prop_map(|(min, max)| ClientFrame::Hello { min, max }),
        any::<u64>().prop_map(|id| ClientFrame::Cancel { id }),
        (any::<u64>(), prop_oneof![create(), file_op()])
            .prop_map(|(id, op)| ClientFrame::Call { id, op }),
    ]
}

fn server_frame() -> impl Strategy<Value = ServerFrame> {
    prop_oneof![
        any::<(u16, u32, u32, u32)>().prop_map(|(version, a, b, c)| ServerFrame::HelloReply(
            HelloReply {
                version,
                max_frame: a,
                max_open_files: b,
                max_in_flight: c,
            }
        )),
        any::<(u64, u64, u32, u32, bool)>().prop_map(|(id, f, action, g, directory)| {
            ServerFrame::Created {
                id,
                file: FileId(f),
                action,
                granted: AccessMask(g),
                directory,
            }
        }),
        (any::<(u64, u32, u64)>(), data()).prop_map(|((id, s, information), output)| {
            ServerFrame::Completion(Completion {
                id,
                status: NtStatus(s),
                information,
                output,
            })
        }),
        (any::<u32>(), "[ -~]{0,40}").prop_map(|(s, message)| ServerFrame::Error {
            status: NtStatus(s),
            message
        }),
        any::<u64>().prop_map(|id| ServerFrame::Pending { id }),
    ]
}

/// Splits an encoded buffer into its frame bodies with the streaming decoder.
fn bodies(encoded: &[u8]) -> Vec<Bytes> {
    let mut d = FrameDecoder::new();
    d.extend(encoded);
    let mut out = Vec::new();
    while let Some(b) = d.next_body().expect("valid prefix") {
        out.push(b);
    }
    out
}

proptest! {
    #[test]
    fn client_frames_round_trip(frames in proptest::collection::vec(client_frame(), 1..4)) {
        let mut buf = BytesMut::new();
        for f in &frames {
            f.encode(&mut buf);
        }
        let got: Vec<ClientFrame> = bodies(&buf)
            .iter()
            .map(|b| ClientFrame::decode(b).expect("decodes"))
            .collect();
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn server_frames_round_trip(frames in proptest::collection::vec(server_frame(), 1..4)) {
        let mut buf = BytesMut::new();
        for f in &frames {
            f.encode(&mut buf);
        }
        let got: Vec<ServerFrame> = bodies(&buf)
            .iter()
            .map(|b| ServerFrame::decode(b).expect("decodes"))
            .collect();
        prop_assert_eq!(got, frames.clone());

        // The split encoding (a head, then the output written after it) is the same bytes.
        let mut split = BytesMut::new();
        for f in &frames {
            if let Some(tail) = f.encode_split(&mut split, 1) {
                split.extend_from_slice(&tail);
            }
        }
        prop_assert_eq!(split, buf);
    }

    /// A body cut short, or with a byte appended, never decodes to the same frame and
    /// never panics.
    #[test]
    fn truncated_or_padded_bodies_are_refused(frame in client_frame(), cut in any::<prop::sample::Index>()) {
        let mut buf = BytesMut::new();
        frame.encode(&mut buf);
        let body = Bytes::copy_from_slice(&buf[4..]);
        let short = body.slice(..cut.index(body.len()));
        prop_assert!(ClientFrame::decode(&short).is_err());
        let mut long = body.to_vec();
        long.push(0);
        prop_assert!(ClientFrame::decode(&Bytes::from(long)).is_err());
    }

    #[test]
    fn admin_status_round_trips_and_cut_ones_are_refused(
        status in admin_status(),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = status.encode();
        prop_assert_eq!(AdminStatus::decode(&bytes).expect("decodes"), status.clone());
        let short = bytes.slice(..cut.index(bytes.len()));
        prop_assert!(AdminStatus::decode(&short).is_err());
        let mut long = bytes.to_vec();
        long.push(0);
        prop_assert!(AdminStatus::decode(&Bytes::from(long)).is_err());

        // Version 2 carries neither locks nor local opens.
        let v2 = AdminStatus::decode_for(&status.encode_for(2), 2).expect("decodes");
        let mut want = status.clone();
        want.local.clear();
        for o in &mut want.opens {
            o.locks.clear();
            o.locks_omitted = 0;
        }
        prop_assert_eq!(v2, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..256)) {
        let b = Bytes::from(raw);
        let _ = ClientFrame::decode(&b);
        let _ = ServerFrame::decode(&b);
        let _ = AdminStatus::decode(&b);
        let mut d = FrameDecoder::new();
        d.extend(&b);
        while let Ok(Some(body)) = d.next_body() {
            let _ = ClientFrame::decode(&body);
        }
    }
}

#[test]
fn frame_lengths_are_bounded_before_reading() {
    assert_eq!(
        frame_length(0u32.to_le_bytes()),
        Err(ProtoError::FrameLength(0))
    );
    assert_eq!(
        frame_length((MAX_FRAME + 1).to_le_bytes()),
        Err(ProtoError::FrameLength(MAX_FRAME + 1))
    );
    assert_eq!(
        frame_length(MAX_FRAME.to_le_bytes()),
        Ok(MAX_FRAME as usize)
    );
    let mut d = FrameDecoder::new();
    d.extend(&u32::MAX.to_le_bytes());
    assert!(d.next_body().is_err());
}

#[test]
fn a_buffer_longer_than_its_bound_is_refused_before_it_is_read() {
    // A write announcing MAX_DATA + 1 bytes with none following.
    let mut body = vec![0x13];
    body.extend_from_slice(&1u64.to_le_bytes()); // id
    body.extend_from_slice(&2u64.to_le_bytes()); // file
    body.extend_from_slice(&0u64.to_le_bytes()); // offset
    body.push(0); // no key
    body.extend_from_slice(&(MAX_DATA + 1).to_le_bytes());
    assert!(matches!(
        ClientFrame::decode(&Bytes::from(body)),
        Err(ProtoError::TooLong { .. })
    ));
}

#[test]
fn hello_has_a_fixed_layout() {
    let mut buf = BytesMut::new();
    ClientFrame::Hello { min: 1, max: 1 }.encode(&mut buf);
    assert_eq!(&buf[..], b"\x09\0\0\0\x01LWIO\x01\0\x01\0");
    let mut bad = buf[4..].to_vec();
    bad[1] = b'X';
    assert_eq!(
        ClientFrame::decode(&Bytes::from(bad)),
        Err(ProtoError::Invalid("magic"))
    );
}

#[test]
fn an_admin_status_announcing_more_entries_than_allowed_is_refused_before_reading() {
    let mut raw = (admin::MAX_ENTRIES + 1).to_le_bytes().to_vec();
    raw.extend_from_slice(&[0; 8]);
    assert!(matches!(
        AdminStatus::decode(&Bytes::from(raw)),
        Err(ProtoError::TooLong { .. })
    ));
}
