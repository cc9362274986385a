#![allow(clippy::unwrap_used)]
//! The RPC server and client over npfs in one I/O manager: binds, rpcecho, faults,
//! context handles, srvsvc and wkssvc with several callers, and concurrency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lwio_core::security::well_known as wk;
use lwio_core::{AccessToken, IoManager, Sid, block_on};
use lwio_npfs::{Npfs, NpfsDevice};
use lwio_rpc::interfaces::echo::{self, EchoInterface, RPCECHO_SYNTAX, stubs};
use lwio_rpc::interfaces::srvsvc::{
    self, MemoryShares, SRVSVC_SYNTAX, ServerGetInfoResponse, ServerInfo, ShareEnumResponse,
    ShareEnumStruct, ShareEnumUnion, ShareGetInfoResponse, ShareInfo, ShareInfo1Container,
    ShareRecord, ShareType, SrvsvcInterface,
};
use lwio_rpc::interfaces::win32::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_LEVEL, ERROR_INVALID_PARAMETER, ERROR_SUCCESS,
    NERR_NET_NAME_NOT_FOUND,
};
use lwio_rpc::interfaces::wkssvc::{
    NETR_WKSTA_GET_INFO, WKSSVC_SYNTAX, WkssvcInterface, WkstaGetInfoResponse, WkstaInfo,
};
use lwio_rpc::interfaces::{PLATFORM_ID_NT, ServerIdentity};
use lwio_rpc::ndr::{self, PolicyHandle, WStrPtr, WString};
use lwio_rpc::pdu::{
    Bind, ContextResultCode, FaultStatus, PduBody, PresentationContext, ProviderReason,
    RejectReason,
};
use lwio_rpc::server::{CallContext, CallOutcome, Interface, PipeServer, RpcServer, serve_pipe};
use lwio_rpc::{ClientError, NDR20_SYNTAX, NDR64_SYNTAX, RpcClient, SyntaxId, Uuid};

// ---- a test interface with typed context handles ----

const HANDLES_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(0x1234_5678, 0x1, 0x2, [3, 4, 5, 6, 7, 8, 9, 10]),
    1,
    0,
);

struct Policy(Arc<AtomicUsize>);
impl Drop for Policy {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
struct Domain;

/// opnum 0: open a Policy; 1: use a Policy; 2: use a Domain; 3: close a Policy.
struct Handles(Arc<AtomicUsize>);

impl Interface for Handles {
    fn syntax(&self) -> SyntaxId {
        HANDLES_SYNTAX
    }
    fn call(&self, opnum: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        let r = (|| match opnum {
            0 => {
                let h = ctx.handles.create(Policy(Arc::clone(&self.0)))?;
                Ok(ndr::to_bytes(&h))
            }
            1 => {
                let h: PolicyHandle = ndr::from_bytes(stub)?;
                ctx.handles.lookup::<Policy>(&h)?;
                Ok(0u32.to_le_bytes().to_vec())
            }
            2 => {
                let h: PolicyHandle = ndr::from_bytes(stub)?;
                ctx.handles.lookup::<Domain>(&h)?;
                Ok(0u32.to_le_bytes().to_vec())
            }
            3 => {
                let h: PolicyHandle = ndr::from_bytes(stub)?;
                ctx.handles.close::<Policy>(&h)?;
                Ok(ndr::to_bytes(&PolicyHandle::default()))
            }
            _ => Err(FaultStatus::OP_RNG_ERROR),
        })();
        CallOutcome::Ready(r)
    }
}

// ---- environment ----

struct Env {
    io: IoManager,
    dropped: Arc<AtomicUsize>,
    _servers: Vec<PipeServer>,
}

fn shares() -> Vec<ShareRecord> {
    let mut data = ShareRecord::new("data", ShareType::DISK, "Data files", "C:\\data");
    data.current_uses = 2;
    data.security_descriptor = Some(vec![
        1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    vec![
        ShareRecord::new("IPC$", ShareType::IPC.special(), "Remote IPC", ""),
        data,
        ShareRecord::new("print", ShareType::PRINT, "Printer", ""),
    ]
}

fn env() -> Env {
    env_with(ServerIdentity::default())
}

fn env_with(identity: ServerIdentity) -> Env {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    let echo = EchoInterface {
        sleep_unit: Some(Duration::from_millis(300)),
    };
    let server = Arc::new(
        RpcServer::new()
            .register(Arc::new(echo))
            .register(Arc::new(SrvsvcInterface::new(
                identity.clone(),
                Arc::new(MemoryShares::new(shares())),
            )))
            .register(Arc::new(WkssvcInterface::new(identity)))
            .register(Arc::new(Handles(Arc::clone(&dropped)))),
    );
    let servers = ["rpcecho", "\\pipe\\srvsvc", "wkssvc"]
        .iter()
        .map(|name| serve_pipe(&io, "npfs", name, Arc::clone(&server)).unwrap())
        .collect();
    Env {
        io,
        dropped,
        _servers: servers,
    }
}

fn admin() -> Arc<AccessToken> {
    let user: Sid = "S-1-5-21-1-2-3-500".parse().unwrap();
    Arc::new(AccessToken::new(user).with_groups([wk::BUILTIN_ADMINISTRATORS, wk::WORLD]))
}

fn user() -> Arc<AccessToken> {
    let user: Sid = "S-1-5-21-1-2-3-1001".parse().unwrap();
    Arc::new(AccessToken::new(user).with_groups([wk::WORLD, wk::AUTHENTICATED_USERS]))
}

fn anonymous() -> Arc<AccessToken> {
    Arc::new(AccessToken::anonymous())
}

impl Env {
    fn open(&self, pipe: &str, token: Arc<AccessToken>) -> RpcClient {
        block_on(RpcClient::open(&self.io, &format!("/npfs/{pipe}"), token)).unwrap()
    }

    fn bound(&self, pipe: &str, syntax: SyntaxId, token: Arc<AccessToken>) -> RpcClient {
        let mut c = self.open(pipe, token);
        assert_eq!(block_on(c.bind(syntax)).unwrap(), 0);
        c
    }

    fn echo(&self) -> RpcClient {
        self.bound("rpcecho", RPCECHO_SYNTAX, user())
    }
}

fn ctx(id: u16, abstract_syntax: SyntaxId, ts: &[SyntaxId]) -> PresentationContext {
    PresentationContext {
        context_id: id,
        abstract_syntax,
        transfer_syntaxes: ts.to_vec(),
    }
}

fn bind_body(contexts: Vec<PresentationContext>, assoc_group_id: u32) -> PduBody {
    PduBody::Bind(Bind {
        max_xmit_frag: 4280,
        max_recv_frag: 4280,
        assoc_group_id,
        contexts,
    })
}

// ---- binds ----

#[test]
fn bind_accepts_ndr20_and_refuses_ndr64() {
    let env = env();
    let mut c = env.open("rpcecho", user());
    let reply = block_on(c.exchange(bind_body(
        vec![
            ctx(0, RPCECHO_SYNTAX, &[NDR64_SYNTAX]),
            ctx(1, RPCECHO_SYNTAX, &[NDR20_SYNTAX]),
        ],
        0,
    )))
    .unwrap();
    let PduBody::BindAck(ack) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(ack.max_xmit_frag, 4280);
    assert_eq!(ack.max_recv_frag, 4280);
    assert_ne!(ack.assoc_group_id, 0);
    assert_eq!(ack.secondary_address, b"\\PIPE\\rpcecho");
    assert_eq!(ack.results[0].result, ContextResultCode::PROVIDER_REJECTION);
    assert_eq!(
        ack.results[0].reason,
        ProviderReason::PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED.0
    );
    assert_eq!(ack.results[1].result, ContextResultCode::ACCEPTANCE);
    assert_eq!(ack.results[1].transfer_syntax, NDR20_SYNTAX);
    // Context 1 works; context 0 was never accepted.
    assert_eq!(
        block_on(c.call_on(1, echo::opnum::ADD_ONE, &stubs::add_one(1))).unwrap(),
        2u32.to_le_bytes()
    );
    assert_eq!(
        block_on(c.call_on(0, echo::opnum::ADD_ONE, &stubs::add_one(1))).unwrap_err(),
        ClientError::Fault(FaultStatus::UNK_IF)
    );
    // A second bind on the same connection is refused.
    let again =
        block_on(c.exchange(bind_body(vec![ctx(0, RPCECHO_SYNTAX, &[NDR20_SYNTAX])], 0))).unwrap();
    assert!(matches!(again.body, PduBody::BindNak(_)), "{again:?}");
}

#[test]
fn unknown_interface_is_rejected() {
    let env = env();
    let mut c = env.open("rpcecho", user());
    let unknown = SyntaxId::new(Uuid::from_fields(1, 2, 3, [4; 8]), 1, 0);
    assert_eq!(
        block_on(c.bind(unknown)).unwrap_err(),
        ClientError::ContextRejected {
            result: ContextResultCode::PROVIDER_REJECTION,
            reason: ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED.0,
        }
    );
    // A newer major version of a known interface is unknown too.
    let mut c = env.open("rpcecho", user());
    let v2 = SyntaxId::new(RPCECHO_SYNTAX.uuid, 2, 0);
    assert!(matches!(
        block_on(c.bind(v2)),
        Err(ClientError::ContextRejected { .. })
    ));
    // An association group the server never gave is a bind_nak.
    let mut c = env.open("rpcecho", user());
    let reply = block_on(c.exchange(bind_body(
        vec![ctx(0, RPCECHO_SYNTAX, &[NDR20_SYNTAX])],
        0xDEAD,
    )))
    .unwrap();
    let PduBody::BindNak(nak) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(nak.reject_reason, RejectReason::NOT_SPECIFIED);
    // No contexts at all: bind_nak.
    let mut c = env.open("rpcecho", user());
    let reply = block_on(c.exchange(bind_body(Vec::new(), 0))).unwrap();
    assert!(matches!(reply.body, PduBody::BindNak(_)));
}

#[test]
fn alter_context_adds_an_interface() {
    let env = env();
    let mut c = env.echo();
    let group = c.assoc_group_id();
    let srv = block_on(c.alter_context(SRVSVC_SYNTAX)).unwrap();
    assert_eq!(srv, 1);
    let stub = ndr::to_bytes(&(None::<WString>, 100u32));
    let out = block_on(c.call_on(srv, srvsvc::opnum::SERVER_GET_INFO, &stub)).unwrap();
    let (info, status): ServerGetInfoResponse = ndr::from_bytes(&out).unwrap();
    assert_eq!(status, ERROR_SUCCESS);
    assert!(matches!(info, ServerInfo::Info100(Some(_))));
    assert_eq!(
        block_on(c.call_on(0, echo::opnum::ADD_ONE, &stubs::add_one(9))).unwrap(),
        10u32.to_le_bytes()
    );
    assert_eq!(
        block_on(c.alter_context(SyntaxId::new(Uuid::NIL, 1, 0))).unwrap_err(),
        ClientError::ContextRejected {
            result: ContextResultCode::PROVIDER_REJECTION,
            reason: ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED.0,
        }
    );
    // A second connection may join the association group.
    let mut c2 = env.open("rpcecho", user());
    let reply = block_on(c2.exchange(bind_body(
        vec![ctx(0, RPCECHO_SYNTAX, &[NDR20_SYNTAX])],
        group,
    )))
    .unwrap();
    let PduBody::BindAck(ack) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(ack.assoc_group_id, group);
}

// ---- rpcecho ----

#[test]
fn echo_add_one_echo_source_sink() {
    let env = env();
    let mut c = env.echo();
    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(41))).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 42);
    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(u32::MAX))).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 0);
    let out = block_on(c.call(echo::opnum::ECHO_DATA, &stubs::sized_data(b"hello"))).unwrap();
    assert_eq!(stubs::bytes_answer(&out).unwrap(), b"hello");
    let out = block_on(c.call(echo::opnum::ECHO_DATA, &stubs::sized_data(b""))).unwrap();
    assert_eq!(stubs::bytes_answer(&out).unwrap(), b"");
    let out = block_on(c.call(echo::opnum::SINK_DATA, &stubs::sized_data(&[7; 10000]))).unwrap();
    assert!(out.is_empty());
    let out = block_on(c.call(echo::opnum::SOURCE_DATA, &stubs::u32_request(300))).unwrap();
    let data = stubs::bytes_answer(&out).unwrap();
    assert_eq!(data.len(), 300);
    assert_eq!(data[257], 1);
}

/// The threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_thousand_open_pipes_cost_tasks_not_threads() {
    // Each connected pipe instance is a task on the shared pool; before, it was a thread.
    let env = env();
    let mut first = env.echo();
    block_on(first.call(echo::opnum::ADD_ONE, &stubs::add_one(0))).unwrap();
    let before = thread_count();
    let mut clients: Vec<RpcClient> = (0..1000).map(|_| env.echo()).collect();
    for (i, c) in clients.iter_mut().enumerate().step_by(97) {
        let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(i as u32))).unwrap();
        assert_eq!(stubs::u32_answer(&out).unwrap(), i as u32 + 1);
    }
    let during = thread_count();
    // Other tests of this binary run beside this one and start threads of their own; a
    // thread per connection would add a thousand.
    assert!(
        during <= before + 100,
        "{before} threads before 1,000 pipe connections, {during} with them"
    );
}

#[test]
fn echo_data_of_one_mebibyte_fragments_both_ways() {
    let env = env();
    let mut c = env.echo();
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    let out = block_on(c.call(echo::opnum::ECHO_DATA, &stubs::sized_data(&data))).unwrap();
    assert_eq!(stubs::bytes_answer(&out).unwrap(), data);
    // The connection is still usable afterwards.
    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(1))).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 2);
}

#[test]
fn faults_for_unknown_opnum_and_bad_stub() {
    let env = env();
    let mut c = env.echo();
    assert_eq!(
        block_on(c.call(99, &[])).unwrap_err(),
        ClientError::Fault(FaultStatus::OP_RNG_ERROR)
    );
    assert_eq!(
        block_on(c.call(echo::opnum::ADD_ONE, &[1, 2])).unwrap_err(),
        ClientError::Fault(FaultStatus::BAD_STUB_DATA)
    );
    // Trailing bytes are bad stub data too.
    assert_eq!(
        block_on(c.call(echo::opnum::ADD_ONE, &[1, 0, 0, 0, 9])).unwrap_err(),
        ClientError::Fault(FaultStatus::BAD_STUB_DATA)
    );
    // EchoData whose conformance differs from len.
    let mut bad = stubs::sized_data(b"abcd");
    bad[0] = 3;
    assert_eq!(
        block_on(c.call(echo::opnum::ECHO_DATA, &bad)).unwrap_err(),
        ClientError::Fault(FaultStatus::BAD_STUB_DATA)
    );
    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(5))).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 6);
}

#[test]
fn request_before_bind_faults() {
    let env = env();
    let mut c = env.open("rpcecho", user());
    let reply = block_on(c.exchange(PduBody::Request(lwio_rpc::pdu::Request {
        opnum: 0,
        stub: stubs::add_one(1),
        ..Default::default()
    })))
    .unwrap();
    let PduBody::Fault(f) = reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(f.status, FaultStatus::PROTO_ERROR);
    assert!(
        reply
            .flags
            .contains(lwio_rpc::pdu::PfcFlags::DID_NOT_EXECUTE)
    );
}

// ---- context handles ----

#[test]
fn context_handles_are_typed_and_die_with_the_connection() {
    let env = env();
    let mut c = env.bound("rpcecho", HANDLES_SYNTAX, user());
    let h: PolicyHandle = ndr::from_bytes(&block_on(c.call(0, &[])).unwrap()).unwrap();
    assert!(!h.is_null());
    let hb = ndr::to_bytes(&h);
    assert!(block_on(c.call(1, &hb)).is_ok());
    assert_eq!(
        block_on(c.call(2, &hb)).unwrap_err(),
        ClientError::Fault(FaultStatus::CONTEXT_MISMATCH)
    );
    let forged = ndr::to_bytes(&PolicyHandle {
        attributes: 0,
        uuid: Uuid::from_fields(9, 9, 9, [9; 8]),
    });
    assert_eq!(
        block_on(c.call(1, &forged)).unwrap_err(),
        ClientError::Fault(FaultStatus::CONTEXT_MISMATCH)
    );
    // Close, then the handle is gone.
    let null: PolicyHandle = ndr::from_bytes(&block_on(c.call(3, &hb)).unwrap()).unwrap();
    assert!(null.is_null());
    assert_eq!(env.dropped.load(Ordering::SeqCst), 1);
    assert_eq!(
        block_on(c.call(1, &hb)).unwrap_err(),
        ClientError::Fault(FaultStatus::CONTEXT_MISMATCH)
    );
    // A handle is not valid on another connection.
    let h2 = block_on(c.call(0, &[])).unwrap();
    let mut other = env.bound("rpcecho", HANDLES_SYNTAX, user());
    assert_eq!(
        block_on(other.call(1, &h2)).unwrap_err(),
        ClientError::Fault(FaultStatus::CONTEXT_MISMATCH)
    );
    // Open handles are run down when the client goes away.
    block_on(c.call(0, &[])).unwrap();
    drop(c);
    let deadline = Instant::now() + Duration::from_secs(5);
    while env.dropped.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(env.dropped.load(Ordering::SeqCst), 3);
}

// ---- srvsvc ----

fn share_enum(c: &mut RpcClient, level: u32) -> ShareEnumResponse {
    let info = ShareEnumStruct {
        level,
        info: match level {
            1 => ShareEnumUnion::Level1(Some(ShareInfo1Container::default())),
            0 => ShareEnumUnion::Level0(Some(Default::default())),
            2 => ShareEnumUnion::Level2(Some(Default::default())),
            501 => ShareEnumUnion::Level501(Some(Default::default())),
            502 => ShareEnumUnion::Level502(Some(Default::default())),
            other => ShareEnumUnion::Unknown(other),
        },
    };
    let server: WStrPtr = Some(WString::from("\\\\LWIO"));
    let stub = ndr::to_bytes(&(server, info, u32::MAX, Some(0u32)));
    let out = block_on(c.call(srvsvc::opnum::SHARE_ENUM, &stub)).unwrap();
    ndr::from_bytes(&out).unwrap()
}

fn names(u: &ShareEnumUnion) -> Vec<String> {
    let get = |n: &WStrPtr| n.as_ref().unwrap().0.clone();
    match u {
        ShareEnumUnion::Level0(Some(c)) => {
            c.buffer.iter().flatten().map(|i| get(&i.netname)).collect()
        }
        ShareEnumUnion::Level1(Some(c)) => {
            c.buffer.iter().flatten().map(|i| get(&i.netname)).collect()
        }
        ShareEnumUnion::Level2(Some(c)) => {
            c.buffer.iter().flatten().map(|i| get(&i.netname)).collect()
        }
        ShareEnumUnion::Level501(Some(c)) => {
            c.buffer.iter().flatten().map(|i| get(&i.netname)).collect()
        }
        ShareEnumUnion::Level502(Some(c)) => {
            c.buffer.iter().flatten().map(|i| get(&i.netname)).collect()
        }
        _ => Vec::new(),
    }
}

#[test]
fn share_enum_levels_and_permissions() {
    let env = env();
    let all = vec!["IPC$".to_owned(), "data".into(), "print".into()];
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());
    let mut anon = env.bound("srvsvc", SRVSVC_SYNTAX, anonymous());
    for level in [0, 1, 2, 501, 502] {
        let (info, total, resume, status) = share_enum(&mut a, level);
        assert_eq!(status, ERROR_SUCCESS, "admin level {level}");
        assert_eq!(
            (info.level, info.info.level(), total, resume),
            (level, level, 3, Some(0))
        );
        assert_eq!(names(&info.info), all);
        let (info, total, _, status) = share_enum(&mut u, level);
        if level == 2 || level == 502 {
            assert_eq!(
                (status, total),
                (ERROR_ACCESS_DENIED, 0),
                "user level {level}"
            );
            assert!(names(&info.info).is_empty());
        } else {
            assert_eq!((status, total), (ERROR_SUCCESS, 3), "user level {level}");
            assert_eq!(names(&info.info), all);
        }
        let (_, _, _, status) = share_enum(&mut anon, level);
        assert_eq!(status, ERROR_ACCESS_DENIED, "anonymous level {level}");
    }
    // Details at levels 1, 2 and 502.
    let (info, ..) = share_enum(&mut a, 502);
    let ShareEnumUnion::Level502(Some(ctr)) = info.info else {
        panic!()
    };
    let data = &ctr.buffer.as_ref().unwrap()[1];
    assert_eq!(ctr.entries_read, 3);
    assert_eq!(data.path.as_ref().unwrap().0, "C:\\data");
    assert_eq!(data.current_uses, 2);
    assert_eq!(data.max_uses, u32::MAX);
    assert_eq!(data.reserved, 20);
    assert_eq!(data.security_descriptor.as_ref().unwrap().len(), 20);
    let (info, ..) = share_enum(&mut u, 1);
    let ShareEnumUnion::Level1(Some(ctr)) = info.info else {
        panic!()
    };
    let ipc = &ctr.buffer.as_ref().unwrap()[0];
    assert_eq!(ipc.share_type, 0x8000_0003);
    assert_eq!(ipc.remark.as_ref().unwrap().0, "Remote IPC");
    // Level 503 (administrators): level 502 and the server name, `*`.
    let (info, _, _, status) = share_enum(&mut a, 503);
    assert_eq!(status, ERROR_SUCCESS);
    let ShareEnumUnion::Level503(Some(ctr)) = info.info else {
        panic!()
    };
    let data = &ctr.buffer.as_ref().unwrap()[1];
    assert_eq!(data.servername.as_ref().unwrap().0, "*");
    assert_eq!(data.path.as_ref().unwrap().0, "C:\\data");
    assert_eq!(data.reserved, 20);
    assert_eq!(share_enum(&mut u, 503).3, ERROR_ACCESS_DENIED);
    // Unknown level.
    let (info, _, _, status) = share_enum(&mut a, 504);
    assert_eq!(status, ERROR_INVALID_LEVEL);
    assert_eq!(info.info, ShareEnumUnion::Unknown(504));
}

fn share_get_info(c: &mut RpcClient, name: &str, level: u32) -> ShareGetInfoResponse {
    let stub = ndr::to_bytes(&(None::<WString>, WString::from(name), level));
    let out = block_on(c.call(srvsvc::opnum::SHARE_GET_INFO, &stub)).unwrap();
    ndr::from_bytes(&out).unwrap()
}

#[test]
fn share_get_info_levels_and_permissions() {
    let env = env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());
    let mut anon = env.bound("srvsvc", SRVSVC_SYNTAX, anonymous());
    for level in [0, 1, 2, 501, 502, 503, 1005] {
        let (info, status) = share_get_info(&mut a, "DATA", level);
        assert_eq!(status, ERROR_SUCCESS, "admin level {level}");
        assert_eq!(info.level(), level);
        let (info, status) = share_get_info(&mut u, "data", level);
        let admin_only = matches!(level, 2 | 502 | 503);
        let want = if admin_only {
            ERROR_ACCESS_DENIED
        } else {
            ERROR_SUCCESS
        };
        assert_eq!(status, want, "user level {level}");
        assert_eq!(info.level(), level);
        let (_, status) = share_get_info(&mut anon, "data", level);
        assert_eq!(status, ERROR_ACCESS_DENIED);
    }
    let (info, _) = share_get_info(&mut a, "data", 2);
    let ShareInfo::Info2(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(i.netname.unwrap().0, "data");
    assert_eq!(i.path.unwrap().0, "C:\\data");
    assert_eq!(i.share_type, 0);
    let (info, _) = share_get_info(&mut u, "print", 501);
    assert!(matches!(info, ShareInfo::Info501(Some(ref i)) if i.share_type == 1));
    let (info, status) = share_get_info(&mut u, "nosuch", 1);
    assert_eq!(status, NERR_NET_NAME_NOT_FOUND);
    assert_eq!(info, ShareInfo::Info1(None));
    // The single-field levels of NetrShareSetInfo are not levels of NetrShareGetInfo.
    for level in [7, 1004, 1006, 1501] {
        let (info, status) = share_get_info(&mut a, "data", level);
        assert_eq!((info.level(), status), (level, ERROR_INVALID_LEVEL));
    }
    // An empty name is ERROR_INVALID_PARAMETER (3.1.4.10).
    let (_, status) = share_get_info(&mut a, "", 1);
    assert_eq!(status, ERROR_INVALID_PARAMETER);
    // SHARE_INFO's default arm is empty: an unknown level is its discriminant alone.
    let stub = ndr::to_bytes(&(None::<WString>, WString::from("data"), 7u32));
    let out = block_on(a.call(srvsvc::opnum::SHARE_GET_INFO, &stub)).unwrap();
    assert_eq!(out, [7, 0, 0, 0, 124, 0, 0, 0]);
}

#[test]
fn server_get_info_levels() {
    let env = env();
    let mut c = env.bound("srvsvc", SRVSVC_SYNTAX, user());
    let call = |c: &mut RpcClient, level: u32| -> ServerGetInfoResponse {
        let stub = ndr::to_bytes(&(Some(WString::from("\\\\LWIO")), level));
        ndr::from_bytes(&block_on(c.call(srvsvc::opnum::SERVER_GET_INFO, &stub)).unwrap()).unwrap()
    };
    let (info, status) = call(&mut c, 100);
    assert_eq!(status, ERROR_SUCCESS);
    let ServerInfo::Info100(Some(i)) = info else {
        panic!()
    };
    assert_eq!(
        (i.platform_id, i.name.unwrap().0.as_str()),
        (PLATFORM_ID_NT, "LWIO")
    );
    let (info, _) = call(&mut c, 101);
    let ServerInfo::Info101(Some(i)) = info else {
        panic!()
    };
    assert_eq!((i.version_major, i.version_minor), (10, 0));
    assert_eq!(i.server_type & 0x9003, 0x9003);
    assert_eq!(i.comment.unwrap().0, "lwio server");
    let (info, _) = call(&mut c, 102);
    let ServerInfo::Info102(Some(i)) = info else {
        panic!()
    };
    assert_eq!(i.disc, -1);
    assert_eq!(
        call(&mut c, 103),
        (ServerInfo::Unknown(103), ERROR_INVALID_LEVEL)
    );
    let mut anon = env.bound("srvsvc", SRVSVC_SYNTAX, anonymous());
    assert_eq!(
        call(&mut anon, 101),
        (ServerInfo::Info101(None), ERROR_ACCESS_DENIED)
    );
}

#[test]
fn anonymous_allowed_when_configured() {
    let env = env_with(ServerIdentity {
        allow_anonymous: true,
        ..ServerIdentity::default()
    });
    let mut anon = env.bound("srvsvc", SRVSVC_SYNTAX, anonymous());
    let (_, total, _, status) = share_enum(&mut anon, 1);
    assert_eq!((status, total), (ERROR_SUCCESS, 3));
    // Still not an administrator.
    assert_eq!(share_enum(&mut anon, 2).3, ERROR_ACCESS_DENIED);
    // Names and comments only, as Windows with RestrictAnonymous=0.
    assert_eq!(share_enum(&mut anon, 0).3, ERROR_SUCCESS);
    assert_eq!(share_enum(&mut anon, 501).3, ERROR_ACCESS_DENIED);
}

// ---- wkssvc ----

#[test]
fn wksta_get_info_levels() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let call = |c: &mut RpcClient, level: u32| -> WkstaGetInfoResponse {
        let stub = ndr::to_bytes(&(None::<WString>, level));
        ndr::from_bytes(&block_on(c.call(NETR_WKSTA_GET_INFO, &stub)).unwrap()).unwrap()
    };
    let (info, status) = call(&mut c, 100);
    assert_eq!(status, ERROR_SUCCESS);
    let WkstaInfo::Info100(Some(i)) = info else {
        panic!()
    };
    assert_eq!(i.platform_id, PLATFORM_ID_NT);
    assert_eq!(i.computer_name.unwrap().0, "LWIO");
    assert_eq!(i.lan_group.unwrap().0, "WORKGROUP");
    assert_eq!((i.ver_major, i.ver_minor), (10, 0));
    assert!(matches!(
        call(&mut c, 101),
        (WkstaInfo::Info101(Some(_)), ERROR_SUCCESS)
    ));
    // Level 102 (who is logged on) is for administrators and operators.
    assert_eq!(
        call(&mut c, 102),
        (WkstaInfo::Info102(None), ERROR_ACCESS_DENIED)
    );
    assert_eq!(
        call(&mut c, 1010),
        (WkstaInfo::Unknown(1010), ERROR_INVALID_LEVEL)
    );
    let mut anon = env.bound("wkssvc", WKSSVC_SYNTAX, anonymous());
    assert_eq!(
        call(&mut anon, 100),
        (WkstaInfo::Info100(None), ERROR_ACCESS_DENIED)
    );
}

// ---- concurrency ----

#[test]
fn four_clients_concurrently() {
    // Opening at the same moment also exercises the busy-pipe wait of the client.
    let env = Arc::new(env());
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let env = Arc::clone(&env);
            std::thread::spawn(move || {
                let mut c = env.echo();
                for i in 0..200u32 {
                    let v = t * 1000 + i;
                    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(v))).unwrap();
                    assert_eq!(stubs::u32_answer(&out).unwrap(), v + 1);
                    let data = v.to_le_bytes().repeat(100);
                    let out = block_on(c.call(echo::opnum::ECHO_DATA, &stubs::sized_data(&data)))
                        .unwrap();
                    assert_eq!(stubs::bytes_answer(&out).unwrap(), data);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn slow_call_does_not_block_another_connection() {
    let env = Arc::new(env());
    let slow_env = Arc::clone(&env);
    let start = Instant::now();
    // TestSleep(2) sleeps 2 × 300 ms here.
    let slow = std::thread::spawn(move || {
        let mut c = slow_env.echo();
        let out = block_on(c.call(echo::opnum::TEST_SLEEP, &stubs::u32_request(2))).unwrap();
        (stubs::u32_answer(&out).unwrap(), start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(50));
    let mut fast = env.echo();
    let t = Instant::now();
    for i in 0..10 {
        let out = block_on(fast.call(echo::opnum::ADD_ONE, &stubs::add_one(i))).unwrap();
        assert_eq!(stubs::u32_answer(&out).unwrap(), i + 1);
    }
    let fast_elapsed = t.elapsed();
    let (answer, slow_elapsed) = slow.join().unwrap();
    assert_eq!(answer, 2);
    assert!(
        slow_elapsed >= Duration::from_millis(600),
        "{slow_elapsed:?}"
    );
    assert!(
        fast_elapsed < Duration::from_millis(400),
        "fast calls waited for the slow one: {fast_elapsed:?}"
    );
}
