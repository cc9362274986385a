//! IOCTL handler behaviour smbtorture's smb2.ioctl checks: resume keys, server-side copy
//! (access, short sources, lock conflicts, across trees), FSCTLs on the all-ones file id and
//! FSCTL_QUERY_NETWORK_INTERFACE_INFO.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, IoManager, IrpCanceller, NtStatus, block_on,
};
use lwio_smb2::ioctl::{
    CopyChunk, CopyChunkCopy, CopyChunkResponse, InterfaceAddress, NetworkInterfaceInfo,
    ResumeKeyResponse,
};
use lwio_smb2::lock::LockElement;
use lwio_smb2::{
    Command, CreateRequest, CreateResponse, CtlCode, FileId, HEADER_LEN, Header, IoctlFlags,
    IoctlRequest, IoctlResponse, LockFlags, LockRequest, WriteRequest,
};
use lwio_srv::files::dispatch;
use lwio_srv::state::{
    AsyncControl, BreakSink, FileRequest, Reply, Session, Share, ShareKind, Tree,
};

struct NoAsync;

impl AsyncControl for NoAsync {
    fn go_async(&self, _: Option<IrpCanceller>) -> u64 {
        1
    }

    fn break_sink(&self) -> std::sync::Arc<dyn BreakSink> {
        std::sync::Arc::new(NoBreaks)
    }
}

/// These tests take no oplocks: a break would be a bug.
struct NoBreaks;

impl BreakSink for NoBreaks {
    fn send_oplock_break(&self, file_id: FileId, level: lwio_smb2::OplockLevel) {
        panic!("unexpected oplock break of {file_id:?} to {level:?}");
    }

    fn send_lease_break(&self, notification: lwio_smb2::oplock::LeaseBreakNotification) {
        panic!("unexpected lease break {notification:?}");
    }
}

const ALL_ONES: FileId = FileId {
    persistent: u64::MAX,
    volatile: u64::MAX,
};

struct Env {
    io: IoManager,
    _dir: tempfile::TempDir,
    session: Arc<Session>,
    /// Two trees of one session on the same share.
    trees: [Arc<Tree>; 2],
    local_addr: Option<SocketAddr>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new();
        lwio_pvfs::mount(&io, "share", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
        let session = Arc::new(Session::new(
            1,
            "user".into(),
            "DOM".into(),
            Arc::new(AccessToken::system()),
            [0; 16],
            false,
        ));
        let share = Arc::new(Share {
            name: "share".into(),
            kind: ShareKind::Disk {
                device: "share".into(),
            },
            comment: String::new(),
            path: String::new(),
            max_uses: u32::MAX,
            flags: 0,
            security: None,
        });
        let trees = [
            session.add_tree(Arc::clone(&share), AccessMask::FILE_ALL_ACCESS),
            session.add_tree(share, AccessMask::FILE_ALL_ACCESS),
        ];
        Env {
            io,
            _dir: dir,
            session,
            trees,
            local_addr: Some((Ipv4Addr::LOCALHOST, 445).into()),
        }
    }

    fn send(&self, tree: usize, cmd: Command, encode: impl FnOnce(&mut Vec<u8>)) -> Reply {
        let mut m = Vec::new();
        Header {
            command: cmd,
            ..Header::default()
        }
        .encode(&mut m);
        encode(&mut m);
        let header = Header::decode(&m).unwrap();
        block_on(dispatch(FileRequest {
            io: &self.io,
            session: &self.session,
            tree: &self.trees[tree],
            header: &header,
            msg: &m,
            frame: None,
            related_file_id: None,
            dialect: 0x0311,
            max_io: 8 << 20,
            async_control: &NoAsync,
            local_addr: self.local_addr,
            client_guid: [0; 16],
            leases: &std::sync::Arc::default(),
            durable: &std::sync::Arc::default(),
        }))
        .0
    }

    fn open(&self, tree: usize, name: &str, access: AccessMask) -> FileId {
        let cr = CreateRequest {
            desired_access: access,
            share_access: lwio_core::ShareAccess::ALL,
            disposition: CreateDisposition::OPEN_IF,
            name: name.into(),
            ..CreateRequest::default()
        };
        let m = body_of(self.send(tree, Command::CREATE, |o| cr.encode(o))).1;
        CreateResponse::decode(&m).unwrap().file_id
    }

    fn fill(&self, id: FileId, data: &[u8]) {
        let w = WriteRequest {
            offset: 0,
            file_id: id,
            channel: Default::default(),
            remaining_bytes: 0,
            flags: Default::default(),
            data,
            channel_info: &[],
        };
        let (status, _) = body_of(self.send(0, Command::WRITE, |o| w.encode(o)));
        assert_eq!(status, NtStatus::SUCCESS);
    }

    fn ioctl(&self, tree: usize, ir: &IoctlRequest) -> Reply {
        self.send(tree, Command::IOCTL, |o| ir.encode(o))
    }

    fn resume_key(&self, tree: usize, id: FileId) -> [u8; 24] {
        let ir = fsctl(CtlCode::SRV_REQUEST_RESUME_KEY, id, Vec::new(), 32);
        let (status, m) = body_of(self.ioctl(tree, &ir));
        assert_eq!(status, NtStatus::SUCCESS);
        let out = IoctlResponse::decode(&m).unwrap().output;
        // The key, ContextLength 0 and the 4 zero bytes of Context Windows sends.
        assert_eq!(out.len(), 32);
        assert_eq!(out[24..], [0; 8]);
        ResumeKeyResponse::decode(&out[..28]).unwrap().resume_key
    }

    /// A copy to `target` on `tree`: the status and, when a response body came back, the
    /// SRV_COPYCHUNK_RESPONSE.
    fn copy(
        &self,
        tree: usize,
        target: FileId,
        key: [u8; 24],
        chunks: &[(u64, u64, u32)],
    ) -> (NtStatus, Option<CopyChunkResponse>) {
        let copy = CopyChunkCopy {
            source_key: key,
            chunks: chunks
                .iter()
                .map(|&(source_offset, target_offset, length)| CopyChunk {
                    source_offset,
                    target_offset,
                    length,
                })
                .collect(),
        };
        let mut input = Vec::new();
        copy.encode(&mut input);
        let ir = fsctl(CtlCode::SRV_COPYCHUNK, target, input, 12);
        match self.ioctl(tree, &ir) {
            Reply::Body { status, body } => {
                let mut m = vec![0; HEADER_LEN];
                m.extend_from_slice(&body);
                let out = IoctlResponse::decode(&m).unwrap().output;
                (status, Some(CopyChunkResponse::decode(&out).unwrap()))
            }
            Reply::Error { status, .. } => (status, None),
            other => panic!("an IOCTL reply with data apart: {other:?}"),
        }
    }
}

fn fsctl(code: CtlCode, file_id: FileId, input: Vec<u8>, max_output: u32) -> IoctlRequest {
    IoctlRequest {
        ctl_code: code,
        file_id,
        input,
        max_output_response: max_output,
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    }
}

/// The status and the whole message (a zero header and the body) of a reply.
fn body_of(reply: Reply) -> (NtStatus, Vec<u8>) {
    match reply {
        Reply::Body { status, body } => {
            let mut m = vec![0u8; HEADER_LEN];
            m.extend_from_slice(&body);
            (status, m)
        }
        Reply::Error { status, .. } => (status, Vec::new()),
        other => panic!("an IOCTL reply with data apart: {other:?}"),
    }
}

fn counts(chunks: u32, total: u32) -> Option<CopyChunkResponse> {
    Some(CopyChunkResponse {
        chunks_written: chunks,
        chunk_bytes_written: 0,
        total_bytes_written: total,
    })
}

#[test]
fn execute_access_is_enough_on_the_source() {
    let env = Env::new();
    let writer = env.open(0, "src", AccessMask::GENERIC_ALL);
    env.fill(writer, &[5; 4096]);
    let src = env.open(
        0,
        "src",
        AccessMask::FILE_EXECUTE | AccessMask::FILE_READ_ATTRIBUTES,
    );
    let dst = env.open(0, "dst", AccessMask::GENERIC_ALL);
    let key = env.resume_key(0, src);
    assert_eq!(
        env.copy(0, dst, key, &[(0, 0, 4096)]),
        (NtStatus::SUCCESS, counts(1, 4096))
    );
    // Write access alone is not.
    let blind = env.open(0, "src", AccessMask::FILE_WRITE_DATA);
    let key = env.resume_key(0, blind);
    assert_eq!(
        env.copy(0, dst, key, &[(0, 0, 4096)]).0,
        NtStatus::ACCESS_DENIED
    );
}

#[test]
fn source_past_its_end_is_invalid_view_size_with_the_counts_so_far() {
    let env = Env::new();
    let src = env.open(0, "src", AccessMask::GENERIC_ALL);
    env.fill(src, &[1; 8192]);
    let dst = env.open(0, "dst", AccessMask::GENERIC_ALL);
    let key = env.resume_key(0, src);
    assert_eq!(
        env.copy(0, dst, key, &[(1024, 0, 8192)]),
        (NtStatus::INVALID_VIEW_SIZE, counts(0, 0))
    );
    assert_eq!(
        env.copy(0, dst, key, &[(0, 0, 4096), (4096, 4096, 8192)]),
        (NtStatus::INVALID_VIEW_SIZE, counts(1, 4096))
    );
    assert_eq!(
        env.copy(0, dst, key, &[(9000, 0, 10)]),
        (NtStatus::INVALID_VIEW_SIZE, counts(0, 0))
    );
}

#[test]
fn locked_source_fails_with_a_response_body() {
    let env = Env::new();
    let src = env.open(0, "src", AccessMask::GENERIC_ALL);
    env.fill(src, &[1; 4096]);
    let dst = env.open(0, "dst", AccessMask::GENERIC_ALL);
    let other = env.open(0, "src", AccessMask::GENERIC_ALL);
    let lock = LockRequest {
        file_id: other,
        locks: vec![LockElement {
            offset: 0,
            length: 4096,
            flags: LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY,
        }],
        ..LockRequest::default()
    };
    let (status, _) = body_of(env.send(0, Command::LOCK, |o| lock.encode(o)));
    assert_eq!(status, NtStatus::SUCCESS);
    let key = env.resume_key(0, src);
    assert_eq!(
        env.copy(0, dst, key, &[(0, 0, 4096)]),
        (NtStatus::FILE_LOCK_CONFLICT, counts(0, 0))
    );
}

#[test]
fn resume_keys_work_across_trees_of_the_session() {
    let env = Env::new();
    let src = env.open(0, "src", AccessMask::GENERIC_ALL);
    env.fill(src, &[3; 4096]);
    let dst = env.open(1, "dst", AccessMask::GENERIC_ALL);
    let key = env.resume_key(0, src);
    assert_eq!(
        env.copy(1, dst, key, &[(0, 0, 4096), (0, 4096, 4096)]),
        (NtStatus::SUCCESS, counts(2, 8192))
    );
    // A key naming no open.
    let mut bad = key;
    bad[0] ^= 0xFF;
    assert_eq!(
        env.copy(1, dst, bad, &[(0, 0, 1)]).0,
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[test]
fn forwarded_fsctl_on_the_all_ones_id_outside_a_chain_is_file_closed() {
    let env = Env::new();
    let ir = fsctl(CtlCode(0x0009_0000 | 0x10 << 2), ALL_ONES, Vec::new(), 1);
    assert_eq!(body_of(env.ioctl(0, &ir)).0, NtStatus::FILE_CLOSED);
}

#[test]
fn network_interface_info_lists_the_local_address() {
    let mut env = Env::new();
    let ir = fsctl(
        CtlCode::QUERY_NETWORK_INTERFACE_INFO,
        ALL_ONES,
        Vec::new(),
        0x10000,
    );
    let (status, m) = body_of(env.ioctl(0, &ir));
    assert_eq!(status, NtStatus::SUCCESS);
    let out = IoctlResponse::decode(&m).unwrap().output;
    let list = NetworkInterfaceInfo::decode_list(&out).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].address, InterfaceAddress::V4(Ipv4Addr::LOCALHOST));
    // Too small an output buffer, a real file id.
    let small = IoctlRequest {
        max_output_response: 1,
        ..ir.clone()
    };
    assert_eq!(body_of(env.ioctl(0, &small)).0, NtStatus::BUFFER_TOO_SMALL);
    let not_all_ones = IoctlRequest {
        file_id: FileId {
            persistent: i64::MAX as u64,
            volatile: i64::MAX as u64,
        },
        ..small
    };
    assert_eq!(
        body_of(env.ioctl(0, &not_all_ones)).0,
        NtStatus::INVALID_PARAMETER
    );
    // A mapped IPv6 address is listed as IPv4; without an address, no list.
    env.local_addr = Some("[::ffff:10.1.2.3]:445".parse().unwrap());
    let (_, m) = body_of(env.ioctl(0, &ir));
    let out = IoctlResponse::decode(&m).unwrap().output;
    assert_eq!(
        NetworkInterfaceInfo::decode_list(&out).unwrap()[0].address,
        InterfaceAddress::V4(Ipv4Addr::new(10, 1, 2, 3))
    );
    env.local_addr = None;
    assert_eq!(body_of(env.ioctl(0, &ir)).0, NtStatus::NOT_SUPPORTED);
}

/// lwio's lock listing is the administrator's (lwio admin status), never a client's: over
/// SMB2 it is STATUS_INVALID_DEVICE_REQUEST, as the oplock FSCTLs, even with a lock held.
#[test]
fn the_lock_listing_fsctl_is_refused_from_the_wire() {
    let env = Env::new();
    let f = env.open(0, "f", AccessMask::GENERIC_ALL);
    env.fill(f, &[1; 16]);
    let lock = LockRequest {
        file_id: f,
        locks: vec![LockElement {
            offset: 0,
            length: 4,
            flags: LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY,
        }],
        ..LockRequest::default()
    };
    let (status, _) = body_of(env.send(0, Command::LOCK, |o| lock.encode(o)));
    assert_eq!(status, NtStatus::SUCCESS);
    let ir = fsctl(CtlCode::FSCTL_LWIO_QUERY_LOCKS, f, Vec::new(), 4096);
    let (status, body) = body_of(env.ioctl(0, &ir));
    assert_eq!(status, NtStatus::INVALID_DEVICE_REQUEST);
    assert!(body.len() <= 9, "an error body, no lock list");
}
