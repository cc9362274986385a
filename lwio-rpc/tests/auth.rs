#![allow(clippy::unwrap_used)]
//! Authenticated binds (NTLMSSP and SPNEGO, CONNECT to PKT_PRIVACY) and concurrent calls
//! on one pipe, client and server of this crate over lwio-npfs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lwio_auth::ntlm::{NtHash, NtlmCredentials, ServerNames, nt_hash};
use lwio_core::{AccessToken, IoManager, block_on};
use lwio_npfs::{FSCTL_PIPE_TRANSCEIVE, Npfs, NpfsDevice};
use lwio_rpc::ClientError;
use lwio_rpc::interfaces::echo::{self, EchoInterface, RPCECHO_SYNTAX, stubs};
use lwio_rpc::ndr::ByteOrder;
use lwio_rpc::pdu::{self, AuthLevel, AuthType, FaultStatus, Pdu, PduBody, PfcFlags, Request};
use lwio_rpc::server::{
    AccountSource, CallContext, CallOutcome, Interface, PipeServer, RpcAuth, RpcServer, serve_pipe,
};
use lwio_rpc::{RpcClient, SyntaxId, Uuid};

const PASSWORD: &str = "T0rture!pass";

struct Accounts;

impl AccountSource for Accounts {
    fn nt_hash(&self, user: &str, _domain: &str) -> Option<NtHash> {
        user.eq_ignore_ascii_case("alice")
            .then(|| nt_hash(PASSWORD))
    }
    fn logon(&self, user: &str, _: &str) -> Result<AccessToken, lwio_core::NtStatus> {
        (user
            .eq_ignore_ascii_case("alice")
            .then(|| AccessToken::new(alice_sid())))
        .ok_or(lwio_core::NtStatus::LOGON_FAILURE)
    }
}

fn alice_sid() -> lwio_core::Sid {
    "S-1-5-21-1-2-3-1000".parse().unwrap()
}

/// An interface that answers with the caller's user SID, so a test sees whose token
/// the call ran with.
struct WhoAmI;

const WHOAMI_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(0x1234_5678, 0x1, 0x2, [3, 4, 5, 6, 7, 8, 9, 10]),
    1,
    0,
);

impl Interface for WhoAmI {
    fn syntax(&self) -> SyntaxId {
        WHOAMI_SYNTAX
    }
    /// Opnum 0: the caller's SID as text. Opnum 1: `u32` in, `u32 + 1` out, read in the
    /// caller's byte order.
    fn call(&self, opnum: u16, stub: &[u8], ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(match opnum {
            0 => Ok(ctx.token.user.to_string().into_bytes()),
            _ => (|| {
                let mut r = ctx.reader(stub);
                let v = r.u32()?;
                r.finish()?;
                Ok(stubs::add_one(v.wrapping_add(1)))
            })(),
        })
    }
    fn reads_big_endian(&self) -> bool {
        true
    }
}

/// An interface that reads little-endian stubs only (it keeps the default
/// `reads_big_endian`): opnum 0 answers an empty stub.
struct LittleOnly;

const LITTLE_ONLY_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(0x1234_5679, 0x1, 0x2, [3, 4, 5, 6, 7, 8, 9, 10]),
    1,
    0,
);

impl Interface for LittleOnly {
    fn syntax(&self) -> SyntaxId {
        LITTLE_ONLY_SYNTAX
    }
    fn call(&self, _opnum: u16, _stub: &[u8], _ctx: &CallContext) -> CallOutcome {
        CallOutcome::Ready(Ok(Vec::new()))
    }
}

struct Env {
    io: IoManager,
    /// The pipe's name under /npfs.
    pipe: &'static str,
    _server: PipeServer,
}

/// `server` on the named pipe `pipe` of a fresh NPFS.
fn serve(pipe: &'static str, server: RpcServer) -> Env {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let server = serve_pipe(&io, "npfs", pipe, Arc::new(server)).unwrap();
    Env {
        io,
        pipe,
        _server: server,
    }
}

fn env() -> Env {
    let echo = EchoInterface {
        sleep_unit: Some(Duration::from_millis(200)),
    };
    serve(
        "rpcecho",
        RpcServer::new()
            .register(Arc::new(echo))
            .register(Arc::new(WhoAmI))
            .register(Arc::new(LittleOnly))
            .with_auth(RpcAuth {
                names: ServerNames {
                    nb_computer: "LWIO".into(),
                    nb_domain: "WORKGROUP".into(),
                    ..ServerNames::default()
                },
                accounts: Arc::new(Accounts),
            }),
    )
}

fn open(env: &Env) -> RpcClient {
    block_on(RpcClient::open(
        &env.io,
        &format!("/npfs/{}", env.pipe),
        Arc::new(AccessToken::anonymous()),
    ))
    .unwrap()
}

fn creds(password: &str) -> NtlmCredentials {
    NtlmCredentials {
        user: "alice".into(),
        domain: "WORKGROUP".into(),
        workstation: "CLIENT".into(),
        nt_hash: nt_hash(password),
    }
}

fn bind(env: &Env, auth_type: AuthType, level: AuthLevel, password: &str) -> RpcClient {
    let mut c = open(env);
    block_on(c.bind_authenticated(RPCECHO_SYNTAX, creds(password), auth_type, level)).unwrap();
    c
}

#[test]
fn every_auth_type_and_level_carries_calls() {
    let env = env();
    for auth_type in [AuthType::WINNT, AuthType::GSS_NEGOTIATE] {
        for level in [
            AuthLevel::CONNECT,
            AuthLevel::PKT_INTEGRITY,
            AuthLevel::PKT_PRIVACY,
        ] {
            let mut c = bind(&env, auth_type, level, PASSWORD);
            for i in 0..3 {
                let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(i))).unwrap();
                assert_eq!(
                    stubs::u32_answer(&out).unwrap(),
                    i + 1,
                    "{auth_type:?} {level:?}"
                );
            }
            // Several fragments each way: every fragment is protected on its own.
            let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
            let out = block_on(c.call(echo::opnum::ECHO_DATA, &stubs::sized_data(&data))).unwrap();
            assert_eq!(stubs::bytes_answer(&out).unwrap(), data);
        }
    }
}

#[test]
fn calls_run_as_the_authenticated_user() {
    let env = env();
    let mut c = open(&env);
    block_on(c.bind_authenticated(
        WHOAMI_SYNTAX,
        creds(PASSWORD),
        AuthType::WINNT,
        AuthLevel::PKT_INTEGRITY,
    ))
    .unwrap();
    let out = block_on(c.call(0, &[])).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), alice_sid().to_string());
}

#[test]
fn a_wrong_password_is_refused() {
    let env = env();
    // SPNEGO: the final alter_context faults.
    let mut c = open(&env);
    let err = block_on(c.bind_authenticated(
        RPCECHO_SYNTAX,
        creds("wrong"),
        AuthType::GSS_NEGOTIATE,
        AuthLevel::PKT_INTEGRITY,
    ))
    .unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::ACCESS_DENIED));
    // NTLM: auth3 has no answer; the first call is refused.
    let mut c = bind(&env, AuthType::WINNT, AuthLevel::PKT_INTEGRITY, "wrong");
    let err = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(1))).unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::ACCESS_DENIED));
}

#[test]
fn an_unsigned_request_on_a_signed_connection_is_refused() {
    let env = env();
    let c = bind(&env, AuthType::WINNT, AuthLevel::PKT_INTEGRITY, PASSWORD);
    let bytes = pdu::encode(&Pdu::new(
        99,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Request(Request {
            opnum: echo::opnum::ADD_ONE,
            stub: stubs::add_one(1),
            ..Request::default()
        }),
    ));
    let reply = block_on(
        c.pipe()
            .fs_control(FSCTL_PIPE_TRANSCEIVE, Bytes::from(bytes), 65536),
    );
    let reply = pdu::decode(&reply.unwrap()).unwrap();
    let PduBody::Fault(f) = reply.body else {
        panic!("{reply:?}");
    };
    assert_eq!(f.status, FaultStatus::SEC_PKG_ERROR);
}

#[test]
fn a_server_without_accounts_refuses_authenticated_binds() {
    let env = serve(
        "rpcecho",
        RpcServer::new().register(Arc::new(EchoInterface::new())),
    );
    let mut c = open(&env);
    let err = block_on(c.bind_authenticated(
        RPCECHO_SYNTAX,
        creds(PASSWORD),
        AuthType::WINNT,
        AuthLevel::PKT_INTEGRITY,
    ))
    .unwrap_err();
    assert!(matches!(err, ClientError::BindNak(_)), "{err:?}");
}

/// rpcecho's TestSleep issued three times without waiting: the answers come back as each
/// call finishes (shortest first), not one after another — with sealing on, so that the
/// sequence numbers of answers written by different threads stay in wire order.
#[test]
fn concurrent_calls_on_one_pipe_answer_as_they_finish() {
    let env = env();
    let mut c = bind(
        &env,
        AuthType::GSS_NEGOTIATE,
        AuthLevel::PKT_PRIVACY,
        PASSWORD,
    );
    // Write three sealed requests: 3, 2 and 1 units of 200 ms.
    let mut ids = Vec::new();
    for seconds in [3u32, 2, 1] {
        ids.push(
            block_on(c.send_call(echo::opnum::TEST_SLEEP, &stubs::u32_request(seconds))).unwrap(),
        );
    }
    let mut order = Vec::new();
    for _ in 0..3 {
        let (call_id, stub) = block_on(c.recv_answer()).unwrap();
        order.push((call_id, stubs::u32_answer(&stub).unwrap()));
    }
    // Run one after another, the answers would come back in sending order.
    assert_eq!(
        order,
        vec![(ids[2], 1), (ids[1], 2), (ids[0], 3)],
        "answers in finishing order"
    );
    // The connection still works afterwards.
    let out = block_on(c.call(echo::opnum::ADD_ONE, &stubs::add_one(41))).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 42);
}

#[test]
fn big_endian_client_sealed_calls() {
    let env = env();
    for auth_type in [AuthType::WINNT, AuthType::GSS_NEGOTIATE] {
        let mut c = open(&env);
        c.set_byte_order(ByteOrder::BigEndian);
        block_on(c.bind_authenticated(
            WHOAMI_SYNTAX,
            creds(PASSWORD),
            auth_type,
            AuthLevel::PKT_PRIVACY,
        ))
        .unwrap();
        let out = block_on(c.call(1, &0x0102_0304u32.to_be_bytes())).unwrap();
        // Answers are little-endian.
        assert_eq!(stubs::u32_answer(&out).unwrap(), 0x0102_0305);
        let out = block_on(c.call(0, &[])).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), alice_sid().to_string());
    }
}

#[test]
fn big_endian_calls_to_an_interface_reading_little_endian_only_fault() {
    let env = env();
    let mut c = open(&env);
    c.set_byte_order(ByteOrder::BigEndian);
    block_on(c.bind(LITTLE_ONLY_SYNTAX)).unwrap();
    let err = block_on(c.call(0, &1u32.to_be_bytes())).unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::UNSUPPORTED_TYPE));
    // rpcecho reads either byte order.
    let mut c = open(&env);
    c.set_byte_order(ByteOrder::BigEndian);
    block_on(c.bind(RPCECHO_SYNTAX)).unwrap();
    let out = block_on(c.call(echo::opnum::ADD_ONE, &1u32.to_be_bytes())).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 2);
}

/// A signed big-endian call followed by a verification trailer (MS-RPCE 2.2.2.13), the
/// way smbtorture's rpc.bind bigendian variants call: the connection cuts the trailer
/// and its padding off, and the interface reads the stub in the caller's byte order.
#[test]
fn big_endian_call_with_verification_trailer() {
    use lwio_rpc::ndr::NdrWriter;
    let env = env();
    let mut c = open(&env);
    c.set_byte_order(ByteOrder::BigEndian);
    block_on(c.bind_authenticated(
        WHOAMI_SYNTAX,
        creds(PASSWORD),
        AuthType::WINNT,
        AuthLevel::PKT_INTEGRITY,
    ))
    .unwrap();
    // The u32 of the stub, then the trailer: magic, pcontext, header2 (END).
    let mut w = NdrWriter::new().with_byte_order(ByteOrder::BigEndian);
    w.u32(41);
    w.bytes(&pdu::verification::VERIFICATION_TRAILER_MAGIC);
    w.u16(0x0002); // pcontext
    w.u16(40);
    let syntax = |w: &mut NdrWriter, s: SyntaxId| {
        w.u32(s.uuid.data1);
        w.u16(s.uuid.data2);
        w.u16(s.uuid.data3);
        w.bytes(&s.uuid.data4);
        w.u32(s.version);
    };
    syntax(&mut w, WHOAMI_SYNTAX);
    syntax(&mut w, lwio_rpc::NDR20_SYNTAX);
    w.u16(0x4003); // header2 | END
    w.u16(16);
    w.bytes(&[0, 0, 0, 0, 0x00, 0, 0, 0]);
    w.u32(3); // the call id the client will use (bind 1, auth3 2)
    w.u16(0);
    w.u16(1);
    let stub = w.into_bytes();
    let out = block_on(c.call(1, &stub)).unwrap();
    assert_eq!(stubs::u32_answer(&out).unwrap(), 42);
}
