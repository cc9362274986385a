#![allow(clippy::unwrap_used)]
//! The interfaces over real pipes, each endpoint built with `mgmt::Endpoint` as lwiod
//! builds them: rpcecho's NDR-corner opnums (with their exact wire bytes), mgmt on
//! every endpoint, and the wkssvc operations beyond NetrWkstaGetInfo.

use std::sync::Arc;

use lwio_core::security::well_known as wk;
use lwio_core::{AccessToken, IoManager, Sid, block_on};
use lwio_npfs::{Npfs, NpfsDevice};
use lwio_rpc::interfaces::echo::corners::{
    EchoInfo, Enum2, Enum3, Info5, Info7, Surrounding, TestEnumParams,
};
use lwio_rpc::interfaces::echo::{EchoInterface, RPCECHO_SYNTAX, opnum as echo_op};
use lwio_rpc::interfaces::mgmt::{
    self, Endpoint, IfIdVector, MGMT_SYNTAX, RPC_S_UNKNOWN_AUTHN_SERVICE, SizedAString,
    StatsVector, authn,
};
use lwio_rpc::interfaces::win32::*;
use lwio_rpc::interfaces::wkssvc::{
    self, ComputerNameArray, INFO_502_DEFAULTS, LoggedOnUser, LogonSessions, StatWorkstation0,
    TRANSPORT_NAME_PARMNUM, TransportEnumStruct, TransportEnumUnion, TransportInfo0, UseEnumStruct,
    UseEnumUnion, UseInfo, UseInfo1, UserEnumStruct, UserEnumUnion, WKSSVC_SYNTAX, WkssvcInterface,
    WkstaInfo, WkstaUserInfo, join_status, name_type, opnum, params,
};
use lwio_rpc::interfaces::{ServerIdentity, srvsvc};
use lwio_rpc::ndr::{self, Ndr, WStrPtr, WString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{PipeServer, serve_pipe};
use lwio_rpc::{ClientError, RpcClient, SyntaxId};

// ---- environment ----

struct Users;

impl LogonSessions for Users {
    fn logged_on(&self) -> Vec<LoggedOnUser> {
        vec![
            LoggedOnUser {
                user_name: "alice".into(),
                logon_domain: "WORKGROUP".into(),
                logon_server: "LWIO".into(),
            },
            LoggedOnUser {
                user_name: "bob".into(),
                logon_domain: "WORKGROUP".into(),
                logon_server: "LWIO".into(),
            },
        ]
    }
}

struct Env {
    io: IoManager,
    _servers: Vec<PipeServer>,
}

fn env() -> Env {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let identity = ServerIdentity::default();
    let wkssvc = WkssvcInterface::new(identity.clone()).with_logons(Arc::new(Users));
    let srvsvc =
        srvsvc::SrvsvcInterface::new(identity, Arc::new(srvsvc::MemoryShares::new(Vec::new())));
    let endpoints: [(&str, Endpoint); 3] = [
        (
            "rpcecho",
            Endpoint::new().serve(Arc::new(EchoInterface::new())),
        ),
        (
            "wkssvc",
            Endpoint::new()
                .serve(Arc::new(wkssvc))
                .principal(authn::WINNT, "LWIO"),
        ),
        ("srvsvc", Endpoint::new().serve(Arc::new(srvsvc))),
    ];
    let servers = endpoints
        .into_iter()
        .map(|(name, ep)| serve_pipe(&io, "npfs", name, Arc::new(ep.into_server())).unwrap())
        .collect();
    Env {
        io,
        _servers: servers,
    }
}

fn token(rid: u32, admin: bool) -> Arc<AccessToken> {
    let user: Sid = format!("S-1-5-21-1-2-3-{rid}").parse().unwrap();
    let mut groups = vec![wk::WORLD, wk::AUTHENTICATED_USERS];
    if admin {
        groups.push(wk::BUILTIN_ADMINISTRATORS);
    }
    Arc::new(AccessToken::new(user).with_groups(groups))
}

fn user() -> Arc<AccessToken> {
    token(1001, false)
}

fn admin() -> Arc<AccessToken> {
    token(500, true)
}

impl Env {
    fn bound(&self, pipe: &str, syntax: SyntaxId, token: Arc<AccessToken>) -> RpcClient {
        let mut c = block_on(RpcClient::open(&self.io, &format!("/npfs/{pipe}"), token)).unwrap();
        assert_eq!(block_on(c.bind(syntax)).unwrap(), 0);
        c
    }
}

fn call_raw(c: &mut RpcClient, op: u16, stub: &[u8]) -> Result<Vec<u8>, ClientError> {
    block_on(c.call(op, stub))
}

fn call<I: Ndr, O: Ndr>(c: &mut RpcClient, op: u16, input: &I) -> O {
    ndr::from_bytes(&call_raw(c, op, &ndr::to_bytes(input)).unwrap()).unwrap()
}

fn fault(r: Result<Vec<u8>, ClientError>) -> FaultStatus {
    match r {
        Err(ClientError::Fault(f)) => f,
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn ws(s: &str) -> WStrPtr {
    Some(WString::from(s))
}

// ---- rpcecho ----

#[test]
fn echo_test_call_returns_the_string_behind_a_pointer() {
    let env = env();
    let mut c = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    let out = call_raw(
        &mut c,
        echo_op::TEST_CALL,
        &ndr::to_bytes(&WString::from("input string")),
    )
    .unwrap();
    // A referent id, then the conformant varying string.
    assert_ne!(u32::from_le_bytes(out[..4].try_into().unwrap()), 0);
    let s: Option<WString> = ndr::from_bytes(&out).unwrap();
    assert_eq!(s.unwrap().0, "input string");
    // A string without its terminator is bad stub data.
    let mut bad = ndr::to_bytes(&WString::from("ab"));
    let n = bad.len();
    bad[n - 2] = b'x';
    assert_eq!(
        fault(call_raw(&mut c, echo_op::TEST_CALL, &bad)),
        FaultStatus::BAD_STUB_DATA
    );
}

#[test]
fn echo_test_call2_aligns_every_arm() {
    let env = env();
    let mut c = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    for level in 1..=7u16 {
        let out = call_raw(&mut c, echo_op::TEST_CALL2, &level.to_le_bytes()).unwrap();
        let (info, status): (EchoInfo, u32) = ndr::from_bytes(&out).unwrap();
        assert_eq!(status, 0, "level {level}");
        assert_eq!(Some(info), EchoInfo::for_level(level));
    }
    // Level 5: u16 level, 6 bytes of padding, then { u8, 7 pad, u64 }, then the status.
    let out = call_raw(&mut c, echo_op::TEST_CALL2, &5u16.to_le_bytes()).unwrap();
    let mut want = vec![5, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0];
    want.extend_from_slice(&51u64.to_le_bytes());
    want.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(out, want);
    assert_eq!(
        EchoInfo::for_level(5),
        Some(EchoInfo::Info5(Info5 { v1: 50, v2: 51 }))
    );
    // Level 7 embeds an 8-aligned structure after an octet.
    let out = call_raw(&mut c, echo_op::TEST_CALL2, &7u16.to_le_bytes()).unwrap();
    assert_eq!(out.len(), 8 + 16 + 4);
    assert!(matches!(
        ndr::from_bytes::<(EchoInfo, u32)>(&out).unwrap().0,
        EchoInfo::Info7(Info7 { v1: 70, .. })
    ));
    for bad in [0u16, 8, 300] {
        assert_eq!(
            fault(call_raw(&mut c, echo_op::TEST_CALL2, &bad.to_le_bytes())),
            FaultStatus::BAD_STUB_DATA
        );
    }
}

#[test]
fn echo_test_enum_round_trips_out_of_range_values() {
    let env = env();
    let mut c = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    // smbtorture's values: 76 is not an echo_Enum1 value, and must still pass.
    let params: TestEnumParams = (1, Enum2 { e1: 76, e2: 1 }, Enum3::E1(2));
    let stub = ndr::to_bytes(&params);
    assert_eq!(stub, [1, 0, 0, 0, 76, 0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 0]);
    let out = call_raw(&mut c, echo_op::TEST_ENUM, &stub).unwrap();
    assert_eq!(out, stub);
    let params: TestEnumParams = (2, Enum2 { e1: 1, e2: 2 }, Enum3::E2(Enum2 { e1: 3, e2: 4 }));
    let back: TestEnumParams = call(&mut c, echo_op::TEST_ENUM, &params);
    assert_eq!(back, params);
    // The union must be switched by *foo1.
    let mismatched: TestEnumParams = (2, Enum2::default(), Enum3::E1(2));
    assert_eq!(
        fault(call_raw(
            &mut c,
            echo_op::TEST_ENUM,
            &ndr::to_bytes(&mismatched)
        )),
        FaultStatus::BAD_STUB_DATA
    );
}

#[test]
fn echo_test_surrounding_doubles_the_array() {
    let env = env();
    let mut c = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    let data = Surrounding {
        surrounding: vec![7; 20],
    };
    let stub = ndr::to_bytes(&data);
    // The conformance (20) comes before the structure's x (20).
    assert_eq!(&stub[..8], &[20, 0, 0, 0, 20, 0, 0, 0]);
    let back: Surrounding = call(&mut c, echo_op::TEST_SURROUNDING, &data);
    assert_eq!(back.surrounding.len(), 40);
    assert!(back.surrounding[..20].iter().all(|v| *v == 7));
    assert!(back.surrounding[20..].iter().all(|v| *v == 0));
    // x disagreeing with the conformance is bad stub data; so is a count past the end.
    let mut bad = stub.clone();
    bad[4] = 21;
    assert_eq!(
        fault(call_raw(&mut c, echo_op::TEST_SURROUNDING, &bad)),
        FaultStatus::BAD_STUB_DATA
    );
    let huge = [0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F];
    assert_eq!(
        fault(call_raw(&mut c, echo_op::TEST_SURROUNDING, &huge)),
        FaultStatus::BAD_STUB_DATA
    );
}

#[test]
fn echo_test_double_pointer_follows_the_chain() {
    let env = env();
    let mut c = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    let v: u16 = call(&mut c, echo_op::TEST_DOUBLE_POINTER, &Some(Some(12u16)));
    assert_eq!(v, 12);
    let v: u16 = call(&mut c, echo_op::TEST_DOUBLE_POINTER, &Some(None::<u16>));
    assert_eq!(v, 0);
    let v: u16 = call(&mut c, echo_op::TEST_DOUBLE_POINTER, &None::<Option<u16>>);
    assert_eq!(v, 0);
}

// ---- mgmt ----

#[test]
fn mgmt_lists_each_endpoints_own_interfaces() {
    let env = env();
    for (pipe, syntax) in [
        ("rpcecho", RPCECHO_SYNTAX),
        ("wkssvc", WKSSVC_SYNTAX),
        ("srvsvc", srvsvc::SRVSVC_SYNTAX),
    ] {
        let mut c = env.bound(pipe, MGMT_SYNTAX, user());
        let out = call_raw(&mut c, mgmt::opnum::INQ_IF_IDS, &[]).unwrap();
        let (vector, status): (Option<IfIdVector>, u32) = ndr::from_bytes(&out).unwrap();
        assert_eq!(status, ERROR_SUCCESS);
        let ids = vector.unwrap().if_id;
        assert_eq!(ids.len(), 1, "{pipe}");
        let id = ids[0].unwrap();
        assert_eq!(id.uuid, syntax.uuid);
        assert_eq!(
            u32::from(id.vers_major) | u32::from(id.vers_minor) << 16,
            syntax.version
        );
    }
}

#[test]
fn mgmt_counts_calls_and_answers_the_small_operations() {
    let env = env();
    let mut echo = env.bound("rpcecho", RPCECHO_SYNTAX, user());
    for i in 0..5u32 {
        let _: u32 = call(&mut echo, echo_op::ADD_ONE, &i);
    }
    let mut c = env.bound("rpcecho", MGMT_SYNTAX, user());
    let (stats, status): (StatsVector, u32) = call(&mut c, mgmt::opnum::INQ_STATS, &(4u32, 0u32));
    assert_eq!(status, ERROR_SUCCESS);
    // Five AddOne calls and this inq_stats (counted in, not yet out).
    assert_eq!(stats.statistics, vec![6, 0, 6, 5]);
    // Fewer asked for, fewer given.
    let (stats, _): (StatsVector, u32) = call(&mut c, mgmt::opnum::INQ_STATS, &(2u32, 0u32));
    assert_eq!(stats.statistics, vec![7, 0]);
    // Another endpoint counts apart.
    let mut w = env.bound("wkssvc", MGMT_SYNTAX, user());
    let (stats, _): (StatsVector, u32) = call(&mut w, mgmt::opnum::INQ_STATS, &(4u32, 0u32));
    assert_eq!(stats.statistics, vec![1, 0, 1, 0]);

    let out = call_raw(&mut c, mgmt::opnum::IS_SERVER_LISTENING, &[]).unwrap();
    assert_eq!(out, [0, 0, 0, 0, 1, 0, 0, 0]);
    let out = call_raw(&mut c, mgmt::opnum::STOP_SERVER_LISTENING, &[]).unwrap();
    assert_eq!(out, ERROR_ACCESS_DENIED.to_le_bytes());
    // Still listening after the refusal.
    let _: u32 = call(&mut echo, echo_op::ADD_ONE, &1u32);
    assert_eq!(
        fault(call_raw(&mut c, mgmt::opnum::INQ_IF_IDS, &[0; 4])),
        FaultStatus::BAD_STUB_DATA
    );
    assert_eq!(fault(call_raw(&mut c, 5, &[])), FaultStatus::OP_RNG_ERROR);
}

#[test]
fn mgmt_principal_name_respects_the_buffer_size() {
    let env = env();
    let mut c = env.bound("wkssvc", MGMT_SYNTAX, user());
    let ask = |c: &mut RpcClient, service: u32, size: u32| -> (SizedAString, u32) {
        call(c, mgmt::opnum::INQ_PRINC_NAME, &(service, size))
    };
    let (name, status) = ask(&mut c, authn::WINNT, 100);
    assert_eq!(
        (name.text.as_slice(), name.size, status),
        (&b"LWIO"[..], 100, ERROR_SUCCESS)
    );
    // "LWIO" needs 5 bytes with its terminator.
    for size in 1..=4 {
        let (name, status) = ask(&mut c, authn::WINNT, size);
        assert_eq!(
            (name.text.len(), status),
            (0, ERROR_INSUFFICIENT_BUFFER),
            "size {size}"
        );
    }
    assert_eq!(ask(&mut c, authn::WINNT, 5).1, ERROR_SUCCESS);
    // Kerberos (16) is not offered here; rpcecho's endpoint declared no principal.
    assert_eq!(ask(&mut c, 16, 100).1, RPC_S_UNKNOWN_AUTHN_SERVICE);
    let mut e = env.bound("rpcecho", MGMT_SYNTAX, user());
    assert_eq!(
        ask(&mut e, authn::WINNT, 100).1,
        RPC_S_UNKNOWN_AUTHN_SERVICE
    );
    // A zero-sized buffer cannot hold the terminator.
    assert_eq!(
        fault(call_raw(
            &mut c,
            mgmt::opnum::INQ_PRINC_NAME,
            &ndr::to_bytes(&(authn::WINNT, 0u32))
        )),
        FaultStatus::BAD_STUB_DATA
    );
}

// ---- wkssvc ----

#[test]
fn wkssvc_get_info_502_and_user_count_are_for_operators() {
    let env = env();
    let get = |c: &mut RpcClient, level: u32| -> params::GetInfoOut {
        call(c, opnum::WKSTA_GET_INFO, &(None::<WString>, level))
    };
    let mut u = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    assert_eq!(get(&mut u, 100).1, ERROR_SUCCESS);
    assert_eq!(get(&mut u, 101).1, ERROR_SUCCESS);
    assert_eq!(
        get(&mut u, 102),
        (WkstaInfo::Info102(None), ERROR_ACCESS_DENIED)
    );
    assert_eq!(
        get(&mut u, 502),
        (WkstaInfo::Info502(None), ERROR_ACCESS_DENIED)
    );
    let mut a = env.bound("wkssvc", WKSSVC_SYNTAX, admin());
    let (info, status) = get(&mut a, 502);
    assert_eq!(status, ERROR_SUCCESS);
    let WkstaInfo::Info502(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(i.values, INFO_502_DEFAULTS);
    let (info, _) = get(&mut a, 102);
    let WkstaInfo::Info102(Some(i)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(i.logged_on_users, 2);
    // Server Operators (S-1-5-32-549) may read them too.
    let operator: Sid = "S-1-5-32-549".parse().unwrap();
    let op_token = Arc::new(
        AccessToken::new("S-1-5-21-1-2-3-1002".parse().unwrap()).with_groups([
            wk::WORLD,
            wk::AUTHENTICATED_USERS,
            operator,
        ]),
    );
    let mut o = env.bound("wkssvc", WKSSVC_SYNTAX, op_token);
    assert_eq!(get(&mut o, 102).1, ERROR_SUCCESS);
}

#[test]
fn wkssvc_user_enum_lists_the_logons() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, admin());
    let request = |level: u32| -> params::UserEnumIn {
        (
            None,
            UserEnumStruct {
                level,
                info: UserEnumUnion::null(level),
            },
            u32::MAX,
            Some(0),
        )
    };
    let (info, total, resume, status): params::UserEnumOut =
        call(&mut c, opnum::WKSTA_USER_ENUM, &request(0));
    assert_eq!((total, resume, status), (2, Some(0), ERROR_SUCCESS));
    let UserEnumUnion::Level0(Some(ctr)) = info.info else {
        panic!()
    };
    let names: Vec<String> = ctr
        .buffer
        .unwrap()
        .into_iter()
        .map(|u| u.user_name.unwrap().0)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    let (info, _, _, status): params::UserEnumOut =
        call(&mut c, opnum::WKSTA_USER_ENUM, &request(1));
    assert_eq!(status, ERROR_SUCCESS);
    let UserEnumUnion::Level1(Some(ctr)) = info.info else {
        panic!()
    };
    let first = &ctr.buffer.unwrap()[0];
    assert_eq!(first.logon_domain.as_ref().unwrap().0, "WORKGROUP");
    assert_eq!(first.logon_server.as_ref().unwrap().0, "LWIO");
    // Resuming after the first entry gives the second; the total stays 2.
    let mut resumed = request(0);
    resumed.3 = Some(1);
    let (info, total, _, _): params::UserEnumOut = call(&mut c, opnum::WKSTA_USER_ENUM, &resumed);
    let UserEnumUnion::Level0(Some(ctr)) = info.info else {
        panic!()
    };
    assert_eq!((ctr.count, total), (1, 2));
    let (_, _, _, status): params::UserEnumOut = call(&mut c, opnum::WKSTA_USER_ENUM, &request(2));
    assert_eq!(status, ERROR_INVALID_LEVEL);
    // Who is logged on is for administrators.
    let mut u = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let (info, total, _, status): params::UserEnumOut =
        call(&mut u, opnum::WKSTA_USER_ENUM, &request(1));
    assert_eq!((total, status), (0, ERROR_ACCESS_DENIED));
    assert_eq!(info.info, UserEnumUnion::Level1(None));
}

#[test]
fn wkssvc_user_get_info_is_about_the_interactive_logon() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let ask = |c: &mut RpcClient, unused: WStrPtr, level: u32| -> u32 {
        let (_, status): params::UserGetInfoOut =
            call(c, opnum::WKSTA_USER_GET_INFO, &(unused, level));
        status
    };
    assert_eq!(ask(&mut c, None, 0), ERROR_NO_SUCH_LOGON_SESSION);
    assert_eq!(ask(&mut c, None, 1), ERROR_NO_SUCH_LOGON_SESSION);
    assert_eq!(ask(&mut c, None, 1101), ERROR_SUCCESS);
    assert_eq!(ask(&mut c, None, 7), ERROR_INVALID_LEVEL);
    for level in [0, 1, 1101] {
        assert_eq!(ask(&mut c, ws("WORKGROUP"), level), ERROR_INVALID_PARAMETER);
    }
    let (info, _): params::UserGetInfoOut = call(
        &mut c,
        opnum::WKSTA_USER_GET_INFO,
        &(None::<WString>, 1101u32),
    );
    assert!(matches!(info, WkstaUserInfo::Info1101(Some(_))));
}

#[test]
fn wkssvc_transports() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let request: params::TransportEnumIn = (
        None,
        TransportEnumStruct {
            level: 0,
            info: TransportEnumUnion::null(0),
        },
        u32::MAX,
        Some(0),
    );
    let (info, total, _, status): params::TransportEnumOut =
        call(&mut c, opnum::WKSTA_TRANSPORT_ENUM, &request);
    assert_eq!((total, status), (1, ERROR_SUCCESS));
    let TransportEnumUnion::Level0(Some(ctr)) = info.info else {
        panic!()
    };
    assert_eq!(
        ctr.buffer.unwrap()[0].name.as_ref().unwrap().0,
        r"\Device\NetbiosSmb"
    );

    let add = |c: &mut RpcClient, name: &str| -> (Option<u32>, u32) {
        let info = TransportInfo0 {
            quality_of_service: 0xffff,
            vc_count: 0,
            name: ws(name),
            address: ws("000000000000"),
            wan_link: 0x400,
        };
        call(
            c,
            opnum::WKSTA_TRANSPORT_ADD,
            &(None::<WString>, 0u32, info, Some(0u32)),
        )
    };
    let del = |c: &mut RpcClient, name: &str| -> u32 {
        call(
            c,
            opnum::WKSTA_TRANSPORT_DEL,
            &(None::<WString>, ws(name), 0u32),
        )
    };
    // A plain user may neither add nor delete.
    assert_eq!(add(&mut c, r"\Device\smbtrt").1, ERROR_ACCESS_DENIED);
    assert_eq!(del(&mut c, r"\Device\smbtrt"), ERROR_ACCESS_DENIED);
    let mut a = env.bound("wkssvc", WKSSVC_SYNTAX, admin());
    assert_eq!(
        add(&mut a, r"\Device\smbtrt"),
        (Some(TRANSPORT_NAME_PARMNUM), ERROR_INVALID_PARAMETER)
    );
    assert_eq!(add(&mut a, r"\device\netbiossmb").1, ERROR_DUP_NAME);
    assert_eq!(del(&mut a, r"\Device\smbtrt"), ERROR_SUCCESS);
    assert_eq!(del(&mut a, r"\Device\NetbiosSmb"), ERROR_NOT_SUPPORTED);
}

#[test]
fn wkssvc_has_no_uses_and_no_messenger() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    for level in 0..=2u32 {
        let request: params::UseEnumIn = (
            ws(r"\\LWIO"),
            UseEnumStruct {
                level,
                info: UseEnumUnion::null(level),
            },
            u32::MAX,
            Some(0),
        );
        let (info, total, _, status): params::UseEnumOut = call(&mut c, opnum::USE_ENUM, &request);
        assert_eq!((total, status, info.level), (0, ERROR_SUCCESS, level));
    }
    let (_, status): (UseInfo, u32) = call(
        &mut c,
        opnum::USE_GET_INFO,
        &(None::<WString>, WString::from("S:"), 1u32),
    );
    assert_eq!(status, NERR_USE_NOT_FOUND);
    let status: u32 = call(
        &mut c,
        opnum::USE_DEL,
        &(None::<WString>, WString::from("S:"), 0u32),
    );
    assert_eq!(status, NERR_USE_NOT_FOUND);
    let use1 = UseInfo::Info1(Some(UseInfo1 {
        local: ws("S:"),
        remote: ws(r"\\localhost\sysvol"),
        ..UseInfo1::default()
    }));
    let (_, status): (Option<u32>, u32) = call(
        &mut c,
        opnum::USE_ADD,
        &(None::<WString>, 1u32, use1, Some(0u32)),
    );
    assert_eq!(status, ERROR_NOT_SUPPORTED);
    let use0 = UseInfo::null(0);
    let (_, status): (Option<u32>, u32) = call(
        &mut c,
        opnum::USE_ADD,
        &(None::<WString>, 0u32, use0, Some(0u32)),
    );
    assert_eq!(status, ERROR_INVALID_LEVEL);

    let message: Vec<u8> = "hello".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let n = message.len() as u32;
    let status: u32 = call(
        &mut c,
        opnum::MESSAGE_BUFFER_SEND,
        &(
            None::<WString>,
            WString::from("LWIO"),
            ws("x"),
            message.clone(),
            n,
        ),
    );
    assert_eq!(status, ERROR_NOT_SUPPORTED);
    // The size must match the buffer.
    let stub = ndr::to_bytes(&(
        None::<WString>,
        WString::from("LWIO"),
        ws("x"),
        message,
        n + 1,
    ));
    assert_eq!(
        fault(call_raw(&mut c, opnum::MESSAGE_BUFFER_SEND, &stub)),
        FaultStatus::BAD_STUB_DATA
    );
}

#[test]
fn wkssvc_statistics_start_when_the_service_does() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let (stats, status): params::StatisticsGetOut = call(
        &mut c,
        opnum::WORKSTATION_STATISTICS_GET,
        &(None::<WString>, None::<WString>, 0u32, 0u32),
    );
    assert_eq!(status, ERROR_SUCCESS);
    let stats: StatWorkstation0 = stats.unwrap();
    // A FILETIME after 2020-01-01.
    assert!(stats.large[0] > 132_223_104_000_000_000);
    assert!(stats.large[1..].iter().all(|v| *v == 0));
    let (stats, status): params::StatisticsGetOut = call(
        &mut c,
        opnum::WORKSTATION_STATISTICS_GET,
        &(None::<WString>, None::<WString>, 1u32, 0u32),
    );
    assert_eq!((stats, status), (None, ERROR_INVALID_LEVEL));
}

#[test]
fn wkssvc_join_operations_of_a_workgroup_member() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    let (name, kind, status): params::GetJoinInfoOut = call(
        &mut c,
        opnum::GET_JOIN_INFORMATION,
        &(None::<WString>, ws("")),
    );
    assert_eq!(
        (name.unwrap().0.as_str(), kind, status),
        ("WORKGROUP", join_status::WORKGROUP_NAME, ERROR_SUCCESS)
    );
    let status: u32 = call(
        &mut c,
        opnum::LOGON_DOMAIN_NAME_ADD,
        &WString::from("WORKGROUP"),
    );
    assert_eq!(status, ERROR_NOT_SUPPORTED);
    let status: u32 = call(
        &mut c,
        opnum::JOIN_DOMAIN,
        &(
            None::<WString>,
            WString::from("example.com"),
            None::<WString>,
            ws("W\\u"),
            None::<WString>,
            0u32,
        ),
    );
    assert_eq!(status, ERROR_NOT_SUPPORTED);
    for kind in 0..=5u16 {
        let status: u32 = call(
            &mut c,
            opnum::VALIDATE_NAME,
            &(
                None::<WString>,
                WString::from("WORKGROUP"),
                None::<WString>,
                None::<WString>,
                kind,
            ),
        );
        assert_eq!(status, ERROR_NOT_SUPPORTED);
        let status: u32 = call(
            &mut c,
            opnum::VALIDATE_NAME2,
            &(
                None::<WString>,
                WString::from("WORKGROUP"),
                None::<WString>,
                None::<wkssvc::EncryptedPassword>,
                kind,
            ),
        );
        assert_eq!(status, RPC_E_REMOTE_DISABLED);
    }
    let out: params::GetJoinableOusOut = call(
        &mut c,
        opnum::GET_JOINABLE_OUS,
        &(
            None::<WString>,
            WString::from("WORKGROUP"),
            None::<WString>,
            None::<WString>,
            0u32,
        ),
    );
    assert_eq!(out, (0, None, ERROR_NOT_SUPPORTED));
}

#[test]
fn wkssvc_alternate_computer_names() {
    let env = env();
    let names = |c: &mut RpcClient, kind: u16| -> Vec<String> {
        let (ctr, status): (Option<ComputerNameArray>, u32) = call(
            c,
            opnum::ENUMERATE_COMPUTER_NAMES,
            &(None::<WString>, kind, 0u32),
        );
        assert_eq!(status, ERROR_SUCCESS);
        let ctr = ctr.unwrap();
        let names: Vec<String> = ctr
            .names
            .unwrap()
            .iter()
            .map(|n| n.to_string_lossy().unwrap())
            .collect();
        assert_eq!(ctr.count as usize, names.len());
        names
    };
    let change = |c: &mut RpcClient, op: u16, name: &str, reserved: u32| -> u32 {
        let input: params::AlternateNameIn = (None, ws(name), None, None, reserved);
        call(c, op, &input)
    };
    let mut u = env.bound("wkssvc", WKSSVC_SYNTAX, user());
    assert_eq!(names(&mut u, name_type::PRIMARY), ["LWIO"]);
    assert!(names(&mut u, name_type::ALTERNATES).is_empty());
    assert_eq!(
        change(
            &mut u,
            opnum::ADD_ALTERNATE_COMPUTER_NAME,
            "smbtrt_altname",
            0
        ),
        ERROR_ACCESS_DENIED
    );
    let mut a = env.bound("wkssvc", WKSSVC_SYNTAX, admin());
    // Removing a name that is not there leaves nothing to do.
    assert_eq!(
        change(
            &mut a,
            opnum::REMOVE_ALTERNATE_COMPUTER_NAME,
            "smbtrt_altname",
            0
        ),
        ERROR_SUCCESS
    );
    assert_eq!(
        change(
            &mut a,
            opnum::ADD_ALTERNATE_COMPUTER_NAME,
            "smbtrt_altname",
            0
        ),
        ERROR_SUCCESS
    );
    // Adding it again (any case) keeps one copy.
    assert_eq!(
        change(
            &mut a,
            opnum::ADD_ALTERNATE_COMPUTER_NAME,
            "SMBTRT_ALTNAME",
            0
        ),
        ERROR_SUCCESS
    );
    assert_eq!(names(&mut u, name_type::ALTERNATES), ["smbtrt_altname"]);
    assert_eq!(names(&mut u, name_type::ALL), ["LWIO", "smbtrt_altname"]);
    assert_eq!(names(&mut u, name_type::PRIMARY), ["LWIO"]);
    for bad in ["", "a-name-far-too-long", "bad:name", "..."] {
        assert_eq!(
            change(&mut a, opnum::ADD_ALTERNATE_COMPUTER_NAME, bad, 0),
            ERROR_INVALID_NAME,
            "{bad:?}"
        );
    }
    assert_eq!(
        change(&mut a, opnum::ADD_ALTERNATE_COMPUTER_NAME, "other", 1),
        ERROR_INVALID_PARAMETER
    );
    assert_eq!(
        change(
            &mut a,
            opnum::REMOVE_ALTERNATE_COMPUTER_NAME,
            "smbtrt_altname",
            0
        ),
        ERROR_SUCCESS
    );
    assert!(names(&mut u, name_type::ALTERNATES).is_empty());
    // The list is bounded.
    for i in 0..wkssvc::MAX_ALTERNATE_NAMES {
        assert_eq!(
            change(
                &mut a,
                opnum::ADD_ALTERNATE_COMPUTER_NAME,
                &format!("alt{i}"),
                0
            ),
            ERROR_SUCCESS
        );
    }
    assert_eq!(
        change(&mut a, opnum::ADD_ALTERNATE_COMPUTER_NAME, "onetoomany", 0),
        ERROR_TOO_MANY_NAMES
    );
    let (_, status): (Option<ComputerNameArray>, u32) = call(
        &mut u,
        opnum::ENUMERATE_COMPUTER_NAMES,
        &(None::<WString>, 3u16, 0u32),
    );
    assert_eq!(status, ERROR_INVALID_PARAMETER);
}

#[test]
fn wkssvc_refuses_the_anonymous_logon_everywhere() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, Arc::new(AccessToken::anonymous()));
    let (_, _, status): params::GetJoinInfoOut = call(
        &mut c,
        opnum::GET_JOIN_INFORMATION,
        &(None::<WString>, ws("")),
    );
    assert_eq!(status, ERROR_ACCESS_DENIED);
    let (ctr, status): (Option<ComputerNameArray>, u32) = call(
        &mut c,
        opnum::ENUMERATE_COMPUTER_NAMES,
        &(None::<WString>, 0u16, 0u32),
    );
    assert_eq!((ctr, status), (None, ERROR_ACCESS_DENIED));
    let status: u32 = call(&mut c, opnum::LOGON_DOMAIN_NAME_DEL, &WString::from("W"));
    assert_eq!(status, ERROR_ACCESS_DENIED);
}

#[test]
fn wkssvc_truncated_requests_fault() {
    let env = env();
    let mut c = env.bound("wkssvc", WKSSVC_SYNTAX, admin());
    for op in [
        opnum::WKSTA_USER_ENUM,
        opnum::WKSTA_USER_GET_INFO,
        opnum::WKSTA_TRANSPORT_ENUM,
        opnum::WKSTA_TRANSPORT_ADD,
        opnum::USE_ENUM,
        opnum::MESSAGE_BUFFER_SEND,
        opnum::GET_JOIN_INFORMATION,
        opnum::ADD_ALTERNATE_COMPUTER_NAME,
        opnum::ENUMERATE_COMPUTER_NAMES,
    ] {
        assert_eq!(
            fault(call_raw(&mut c, op, &[0, 0, 2])),
            FaultStatus::BAD_STUB_DATA,
            "opnum {op}"
        );
    }
    assert_eq!(fault(call_raw(&mut c, 29, &[])), FaultStatus::OP_RNG_ERROR);
}

// ---- srvsvc: sessions, connections, files, transports, the host ----

use srvsvc::host::{
    CharDevEnumStruct, CharDevEnumUnion, CharDevQEnumStruct, CharDevQEnumUnion, DiskEnumContainer,
    ServerXportEnumStruct, ServerXportEnumUnion,
};
use srvsvc::sessions::{
    ConnectEnumStruct, ConnectEnumUnion, FileEnumStruct, FileEnumUnion, NERR_CLIENT_NAME_NOT_FOUND,
    NERR_USER_NOT_FOUND, PERM_FILE_READ, PERM_FILE_WRITE, SESS_GUEST, SessionEnumStruct,
    SessionEnumUnion,
};
use srvsvc::{
    ConnectionRecord, MemoryShares, OpenRecord, SRVSVC_SYNTAX, ServerState, SessionRecord,
    ShareRecord, ShareType, SrvsvcInterface, TransportRecord, opnum as srv_op,
};

/// Two sessions: alice from 10.0.0.5 with `data` (two opens) and IPC$ (a pipe), and the
/// guest from 10.0.0.6 with nothing connected.
struct Live;

impl ServerState for Live {
    fn sessions(&self) -> Vec<SessionRecord> {
        let open = |id, name: &str, granted| OpenRecord {
            id,
            name: name.into(),
            granted,
            locks: 0,
        };
        vec![
            SessionRecord {
                client: "10.0.0.5".into(),
                user: "alice".into(),
                seconds: 120,
                idle_seconds: 7,
                guest: false,
                connections: vec![
                    ConnectionRecord {
                        id: 1,
                        share: "data".into(),
                        seconds: 100,
                        opens: vec![
                            open(11, r"docs\a.txt", 0x0012_0089),
                            open(12, "b.bin", 0x0012_0116),
                        ],
                    },
                    ConnectionRecord {
                        id: 2,
                        share: "IPC$".into(),
                        seconds: 90,
                        opens: vec![open(13, "srvsvc", 0x0012_019f)],
                    },
                ],
            },
            SessionRecord {
                client: "10.0.0.6".into(),
                user: "Guest".into(),
                seconds: 5,
                idle_seconds: 5,
                guest: true,
                connections: Vec::new(),
            },
        ]
    }

    fn transports(&self) -> Vec<TransportRecord> {
        vec![TransportRecord {
            name: r"\Device\NetbiosSmb".into(),
            address: b"LWIO            ".to_vec(),
            network_address: "10.0.0.1:445".into(),
            connections: 2,
        }]
    }
}

fn srvsvc_env() -> Env {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let shares = MemoryShares::new(vec![
        ShareRecord::new("IPC$", ShareType::IPC.special(), "Remote IPC", ""),
        ShareRecord::new("data", ShareType::DISK, "", "/srv/data"),
    ]);
    let srvsvc = SrvsvcInterface::new(ServerIdentity::default(), Arc::new(shares))
        .with_state(Arc::new(Live));
    let server = Endpoint::new().serve(Arc::new(srvsvc)).into_server();
    let servers = vec![serve_pipe(&io, "npfs", "srvsvc", Arc::new(server)).unwrap()];
    Env {
        io,
        _servers: servers,
    }
}

fn anonymous() -> Arc<AccessToken> {
    Arc::new(AccessToken::new(wk::ANONYMOUS).with_groups([wk::WORLD]))
}

fn unc() -> WStrPtr {
    Some(WString::from(r"\\LWIO"))
}

fn w(s: &str) -> WStrPtr {
    Some(WString::from(s))
}

fn text(p: &WStrPtr) -> &str {
    p.as_ref().map_or("<null>", |s| s.0.as_str())
}

fn sessions(
    c: &mut RpcClient,
    level: u32,
    client: WStrPtr,
    user: WStrPtr,
) -> (SessionEnumStruct, u32, Option<u32>, u32) {
    let info = SessionEnumStruct {
        level,
        info: SessionEnumUnion::null(level),
    };
    call(
        c,
        srv_op::SESSION_ENUM,
        &(unc(), client, user, info, u32::MAX, Some(0u32)),
    )
}

#[test]
fn srvsvc_session_enum_reports_live_sessions_with_level_rules() {
    let env = srvsvc_env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());
    let mut anon = env.bound("srvsvc", SRVSVC_SYNTAX, anonymous());

    // Every level is for administrators only (Windows since Server 2016): the sessions
    // name other users and their clients' addresses.
    for level in [0, 1, 2, 10, 502] {
        let (info, total, _, status) = sessions(&mut u, level, None, None);
        assert_eq!((status, total), (ERROR_ACCESS_DENIED, 0), "level {level}");
        assert_eq!(info.info, SessionEnumUnion::null(level));
    }

    // Level 10: names, times.
    let (info, total, resume, status) = sessions(&mut a, 10, None, None);
    assert_eq!((status, total, resume), (ERROR_SUCCESS, 2, Some(0)));
    let SessionEnumUnion::Level10(Some(ctr)) = info.info else {
        panic!("{info:?}")
    };
    let rows = ctr.buffer.unwrap();
    assert_eq!(ctr.entries_read, 2);
    assert_eq!(text(&rows[0].cname), r"\\10.0.0.5");
    assert_eq!(text(&rows[0].username), "alice");
    assert_eq!((rows[0].time, rows[0].idle_time), (120, 7));

    let (info, _, _, status) = sessions(&mut a, 502, None, None);
    assert_eq!(status, ERROR_SUCCESS);
    let SessionEnumUnion::Level502(Some(ctr)) = info.info else {
        panic!()
    };
    let rows = ctr.buffer.unwrap();
    assert_eq!((rows[0].num_opens, rows[0].user_flags), (3, 0));
    assert_eq!((rows[1].num_opens, rows[1].user_flags), (0, SESS_GUEST));
    assert_eq!(text(&rows[0].transport), r"\Device\NetbiosSmb");

    // Filters: by client (with or without the backslashes) and by user.
    let (info, total, _, _) = sessions(&mut a, 0, w(r"\\10.0.0.6"), None);
    let SessionEnumUnion::Level0(Some(ctr)) = info.info else {
        panic!()
    };
    assert_eq!(
        (total, text(&ctr.buffer.unwrap()[0].cname)),
        (1, r"\\10.0.0.6")
    );
    let (_, total, _, status) = sessions(&mut a, 1, None, w("ALICE"));
    assert_eq!((status, total), (ERROR_SUCCESS, 1));
    let (_, _, _, status) = sessions(&mut a, 0, w("10.9.9.9"), None);
    assert_eq!(status, NERR_CLIENT_NAME_NOT_FOUND);
    let (_, _, _, status) = sessions(&mut a, 0, None, w("carol"));
    assert_eq!(status, NERR_USER_NOT_FOUND);

    // Unknown level; the anonymous logon is refused at every level.
    let (info, _, _, status) = sessions(&mut a, 3, None, None);
    assert_eq!(
        (status, info.info),
        (ERROR_INVALID_LEVEL, SessionEnumUnion::Unknown(3))
    );
    for level in [0, 10, 3] {
        let (_, _, _, status) = sessions(&mut anon, level, None, None);
        assert_eq!(status, ERROR_ACCESS_DENIED, "anonymous level {level}");
    }
}

fn connections(
    c: &mut RpcClient,
    level: u32,
    qualifier: WStrPtr,
) -> (ConnectEnumStruct, u32, Option<u32>, u32) {
    let info = ConnectEnumStruct {
        level,
        info: ConnectEnumUnion::null(level),
    };
    call(
        c,
        srv_op::CONNECTION_ENUM,
        &(unc(), qualifier, info, u32::MAX, None::<u32>),
    )
}

#[test]
fn srvsvc_connection_enum_by_share_and_by_client() {
    let env = srvsvc_env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());

    // By share: one row per tree connect to it, netname the client.
    let (info, total, resume, status) = connections(&mut a, 1, w("DATA"));
    assert_eq!((status, total, resume), (ERROR_SUCCESS, 1, None));
    let ConnectEnumUnion::Level1(Some(ctr)) = info.info else {
        panic!()
    };
    let row = &ctr.buffer.unwrap()[0];
    assert_eq!(
        (row.id, row.conn_type, row.num_opens, row.num_users),
        (1, 0, 2, 1)
    );
    assert_eq!((row.time, text(&row.username)), (100, "alice"));
    assert_eq!(text(&row.netname), r"\\10.0.0.5");

    // By client: its trees, netname the share; IPC$ reported without STYPE_SPECIAL.
    let (info, total, _, _) = connections(&mut a, 1, w(r"\\10.0.0.5"));
    let ConnectEnumUnion::Level1(Some(ctr)) = info.info else {
        panic!()
    };
    let rows = ctr.buffer.unwrap();
    assert_eq!(total, 2);
    let ipc = rows.iter().find(|r| text(&r.netname) == "IPC$").unwrap();
    assert_eq!(ipc.conn_type, ShareType::IPC.0);
    let (info, _, _, _) = connections(&mut a, 0, w(r"\\10.0.0.5"));
    let ConnectEnumUnion::Level0(Some(ctr)) = info.info else {
        panic!()
    };
    let mut ids: Vec<u32> = ctr.buffer.unwrap().iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, [1, 2]);
    // A client with a session but no trees has an empty list.
    let (_, total, _, status) = connections(&mut a, 0, w(r"\\10.0.0.6"));
    assert_eq!((status, total), (ERROR_SUCCESS, 0));

    // Errors: qualifier required, unknown share or client, level, and non-administrators.
    assert_eq!(connections(&mut a, 0, None).3, ERROR_INVALID_PARAMETER);
    assert_eq!(connections(&mut a, 0, w("")).3, ERROR_INVALID_PARAMETER);
    assert_eq!(
        connections(&mut a, 0, w("ADMIN$")).3,
        NERR_NET_NAME_NOT_FOUND
    );
    assert_eq!(
        connections(&mut a, 0, w(r"\\10.9.9.9")).3,
        NERR_CLIENT_NAME_NOT_FOUND
    );
    assert_eq!(connections(&mut a, 2, w("data")).3, ERROR_INVALID_LEVEL);
    assert_eq!(connections(&mut u, 0, w("data")).3, ERROR_ACCESS_DENIED);
}

fn files(
    c: &mut RpcClient,
    level: u32,
    base: WStrPtr,
    user: WStrPtr,
) -> (FileEnumStruct, u32, Option<u32>, u32) {
    let info = FileEnumStruct {
        level,
        info: FileEnumUnion::null(level),
    };
    call(
        c,
        srv_op::FILE_ENUM,
        &(unc(), base, user, info, 4096u32, None::<u32>),
    )
}

#[test]
fn srvsvc_file_enum_lists_opens_with_local_paths() {
    let env = srvsvc_env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());

    let (info, total, _, status) = files(&mut a, 3, None, None);
    assert_eq!((status, total), (ERROR_SUCCESS, 3));
    let FileEnumUnion::Level3(Some(ctr)) = info.info else {
        panic!()
    };
    let mut rows = ctr.buffer.unwrap();
    rows.sort_by_key(|r| r.id);
    let got: Vec<(u32, &str, u32)> = rows
        .iter()
        .map(|r| (r.id, text(&r.pathname), r.permissions))
        .collect();
    assert_eq!(
        got,
        [
            (11, "/srv/data/docs/a.txt", PERM_FILE_READ),
            (12, "/srv/data/b.bin", PERM_FILE_WRITE),
            (13, r"\PIPE\srvsvc", PERM_FILE_READ | PERM_FILE_WRITE),
        ]
    );
    assert!(rows.iter().all(|r| text(&r.username) == "alice"));

    // Level 2: the ids; filters by base path and by user.
    let (info, _, _, _) = files(&mut a, 2, None, None);
    let FileEnumUnion::Level2(Some(ctr)) = info.info else {
        panic!()
    };
    assert_eq!(ctr.entries_read, 3);
    assert_eq!(files(&mut a, 3, w("/srv/data/docs"), None).1, 1);
    assert_eq!(files(&mut a, 3, None, w("Guest")).1, 0);

    assert_eq!(files(&mut a, 1, None, None).3, ERROR_INVALID_LEVEL);
    assert_eq!(files(&mut u, 3, None, None).3, ERROR_ACCESS_DENIED);
}

#[test]
fn srvsvc_transports_disks_time_and_char_devices() {
    let env = srvsvc_env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());

    // Transports: the listener at levels 0, 1, 2; level 3 is not served.
    for level in [0, 1, 2] {
        let info = ServerXportEnumStruct {
            level,
            info: ServerXportEnumUnion::null(level),
        };
        let (out, total, _, status): (ServerXportEnumStruct, u32, Option<u32>, u32) = call(
            &mut u,
            srv_op::SERVER_TRANSPORT_ENUM,
            &(unc(), info, u32::MAX, None::<u32>),
        );
        assert_eq!((status, total), (ERROR_SUCCESS, 1), "level {level}");
        match out.info {
            ServerXportEnumUnion::Level0(Some(c)) => {
                let t = &c.buffer.unwrap()[0];
                assert_eq!(text(&t.transportname), r"\Device\NetbiosSmb");
                assert_eq!(
                    t.transportaddress.as_deref(),
                    Some(&b"LWIO            "[..])
                );
                assert_eq!((t.transportaddresslength, t.numberofvcs), (16, 2));
                assert_eq!(text(&t.networkaddress), "10.0.0.1:445");
            }
            ServerXportEnumUnion::Level1(Some(c)) => {
                assert_eq!(text(&c.buffer.unwrap()[0].domain), "WORKGROUP")
            }
            ServerXportEnumUnion::Level2(Some(c)) => assert_eq!(c.buffer.unwrap()[0].flags, 0),
            other => panic!("{other:?}"),
        }
    }
    let info = ServerXportEnumStruct {
        level: 3,
        info: ServerXportEnumUnion::Unknown(3),
    };
    let (_, _, _, status): (ServerXportEnumStruct, u32, Option<u32>, u32) = call(
        &mut u,
        srv_op::SERVER_TRANSPORT_ENUM,
        &(unc(), info, u32::MAX, None::<u32>),
    );
    assert_eq!(status, ERROR_INVALID_LEVEL);

    // Disks: administrators, level 0, an empty list (no drive letters).
    let disks = |c: &mut RpcClient, level: u32| -> (DiskEnumContainer, u32, Option<u32>, u32) {
        let input = (
            None::<WString>,
            level,
            DiskEnumContainer::default(),
            u32::MAX,
            Some(0u32),
        );
        call(c, srv_op::SERVER_DISK_ENUM, &input)
    };
    let (ctr, total, resume, status) = disks(&mut a, 0);
    assert_eq!((status, total, resume), (ERROR_SUCCESS, 0, Some(0)));
    assert_eq!(ctr.entries_read, 0);
    assert!(ctr.buffer.unwrap().items.is_empty());
    assert_eq!(disks(&mut a, 1).3, ERROR_INVALID_LEVEL);
    assert_eq!(disks(&mut u, 0).3, ERROR_ACCESS_DENIED);

    // The time of day: now, in UTC.
    let (tod, status): srvsvc::host::RemoteTodResponse = call(&mut u, srv_op::REMOTE_TOD, &unc());
    assert_eq!(status, ERROR_SUCCESS);
    let tod = tod.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(u64::from(tod.elapsedt).abs_diff(now) < 5);
    assert_eq!(tod.timezone, 0);
    assert!((1..=12).contains(&tod.month) && (1..=31).contains(&tod.day) && tod.year >= 2024);

    // Character devices (administrators) and queues: none.
    let info = CharDevEnumStruct {
        level: 1,
        info: CharDevEnumUnion::null(1),
    };
    let input = (unc(), info, u32::MAX, None::<u32>);
    let (out, total, _, status): (CharDevEnumStruct, u32, Option<u32>, u32) =
        call(&mut a, srv_op::CHAR_DEV_ENUM, &input);
    assert_eq!((status, total), (ERROR_SUCCESS, 0));
    let CharDevEnumUnion::Level1(Some(c)) = out.info else {
        panic!()
    };
    assert_eq!(c.entries_read, 0);
    let (_, _, _, status): (CharDevEnumStruct, u32, Option<u32>, u32) =
        call(&mut u, srv_op::CHAR_DEV_ENUM, &input);
    assert_eq!(status, ERROR_ACCESS_DENIED);
    let info = CharDevQEnumStruct {
        level: 0,
        info: CharDevQEnumUnion::null(0),
    };
    let (_, total, _, status): (CharDevQEnumStruct, u32, Option<u32>, u32) = call(
        &mut u,
        srv_op::CHAR_DEV_Q_ENUM,
        &(unc(), w("Administrator"), info, u32::MAX, None::<u32>),
    );
    assert_eq!((status, total), (ERROR_SUCCESS, 0));
}

#[test]
fn srvsvc_share_check_sticky_enum_and_level_1005() {
    let env = srvsvc_env();
    let mut u = env.bound("srvsvc", SRVSVC_SYNTAX, user());
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    let check = |c: &mut RpcClient, device: &str| -> (u32, u32) {
        call(c, srv_op::SHARE_CHECK, &(unc(), WString::from(device)))
    };
    assert_eq!(check(&mut u, "/srv/data"), (0, ERROR_SUCCESS));
    assert_eq!(check(&mut u, "/srv"), (0, ERROR_SUCCESS));
    assert_eq!(check(&mut u, "/srv/"), (0, ERROR_SUCCESS));
    assert_eq!(check(&mut u, "/sr").1, srvsvc::NERR_DEVICE_NOT_SHARED);
    assert_eq!(
        check(&mut u, "/srv/data/x").1,
        srvsvc::NERR_DEVICE_NOT_SHARED
    );
    // IPC$ has no local path: an empty device is shared by nothing.
    assert_eq!(check(&mut u, "").1, srvsvc::NERR_DEVICE_NOT_SHARED);

    // NetrShareEnumSticky: the permanent shares (no IPC$), no level 501.
    let sticky = |c: &mut RpcClient, level: u32| -> srvsvc::ShareEnumResponse {
        let info = srvsvc::ShareEnumStruct {
            level,
            info: srvsvc::ShareEnumUnion::null(level),
        };
        call(
            c,
            srv_op::SHARE_ENUM_STICKY,
            &(unc(), info, u32::MAX, None::<u32>),
        )
    };
    let (out, total, _, status) = sticky(&mut u, 1);
    assert_eq!((status, total), (ERROR_SUCCESS, 1));
    let srvsvc::ShareEnumUnion::Level1(Some(ctr)) = out.info else {
        panic!()
    };
    assert_eq!(text(&ctr.buffer.unwrap()[0].netname), "data");
    assert_eq!(sticky(&mut a, 501).3, ERROR_INVALID_LEVEL);
    assert_eq!(sticky(&mut u, 2).3, ERROR_ACCESS_DENIED);
    assert_eq!(sticky(&mut a, 502).3, ERROR_SUCCESS);

    // NetrShareGetInfo level 1005 (the flags), and IPC$'s null path at level 2.
    let get = |c: &mut RpcClient, name: &str, level: u32| -> srvsvc::ShareGetInfoResponse {
        call(
            c,
            srv_op::SHARE_GET_INFO,
            &(unc(), WString::from(name), level),
        )
    };
    let (info, status) = get(&mut u, "data", 1005);
    assert_eq!(status, ERROR_SUCCESS);
    assert_eq!(
        info,
        srvsvc::ShareInfo::Info1005(Some(srvsvc::ShareInfo1005 { flags: 0 }))
    );
    let (info, _) = get(&mut a, "IPC$", 2);
    let srvsvc::ShareInfo::Info2(Some(i)) = info else {
        panic!()
    };
    assert_eq!(i.path, None);
}

/// The single-setting levels (1004 to 1007, 1501) that clients such as Samba's send to the
/// enumerations with a container set, and ask of NetrShareGetInfo: ERROR_INVALID_LEVEL
/// (MS-SRVS 3.1.4.8, 3.1.4.9, 3.1.4.10), never a fault, with the level's null arm.
#[test]
fn srvsvc_single_setting_levels_are_invalid_levels_not_faults() {
    let env = srvsvc_env();
    let mut a = env.bound("srvsvc", SRVSVC_SYNTAX, admin());
    for op in [srv_op::SHARE_ENUM, srv_op::SHARE_ENUM_STICKY] {
        for level in [1004u32, 1005, 1006, 1007, 1501] {
            // ServerName null; Level; discriminant; container pointer; an empty container;
            // PreferedMaximumLength; ResumeHandle pointer and value.
            let mut stub = vec![0u8; 4];
            for v in [level, level, 0x0002_0000, 0, 0, u32::MAX, 0x0002_0004, 0] {
                stub.extend_from_slice(&v.to_le_bytes());
            }
            let out = call_raw(&mut a, op, &stub).unwrap();
            let mut expect = Vec::new();
            for v in [level, level, 0, 0, 0x0002_0000, 0, ERROR_INVALID_LEVEL] {
                expect.extend_from_slice(&v.to_le_bytes());
            }
            assert_eq!(out, expect, "opnum {op} level {level}");
        }
    }
    let get = |c: &mut RpcClient, level: u32| -> Vec<u8> {
        let stub = ndr::to_bytes(&(unc(), WString::from("data"), level));
        call_raw(c, srv_op::SHARE_GET_INFO, &stub).unwrap()
    };
    for level in [1004u32, 1006, 1007, 1501] {
        let mut expect = level.to_le_bytes().to_vec();
        expect.extend_from_slice(&[0, 0, 0, 0]);
        expect.extend_from_slice(&ERROR_INVALID_LEVEL.to_le_bytes());
        assert_eq!(get(&mut a, level), expect, "level {level}");
    }
    // A level no union knows is its discriminant alone (SHARE_INFO's empty [default]).
    let mut expect = 1008u32.to_le_bytes().to_vec();
    expect.extend_from_slice(&ERROR_INVALID_LEVEL.to_le_bytes());
    assert_eq!(get(&mut a, 1008), expect);
}

/// DsRolerGetPrimaryDomainInformation of a stand-alone server: every level's exact bytes.
#[test]
fn dssetup_reports_a_standalone_server() {
    use lwio_rpc::interfaces::dssetup::{
        DSSETUP_SYNTAX, DssetupInterface, GET_PRIMARY_DOMAIN_INFORMATION,
    };
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let ep = Endpoint::new().serve(Arc::new(DssetupInterface::new("WG")));
    let _server = serve_pipe(&io, "npfs", "lsarpc", Arc::new(ep.into_server())).unwrap();
    let mut c = block_on(RpcClient::open(&io, "/npfs/lsarpc", user())).unwrap();
    assert_eq!(block_on(c.bind(DSSETUP_SYNTAX)).unwrap(), 0);
    let mut call = |level: u16| {
        call_raw(&mut c, GET_PRIMARY_DOMAIN_INFORMATION, &level.to_le_bytes()).unwrap()
    };
    let mut basic = Vec::new();
    basic.extend_from_slice(&0x0002_0000u32.to_le_bytes()); // DomainInfo referent
    basic.extend_from_slice(&[1, 0, 0, 0]); // level 1, padded to 4
    basic.extend_from_slice(&[2, 0, 0, 0]); // MachineRole standalone server, padded
    basic.extend_from_slice(&0u32.to_le_bytes()); // Flags
    basic.extend_from_slice(&0x0002_0004u32.to_le_bytes()); // DomainNameFlat referent
    basic.extend_from_slice(&[0; 8]); // no DNS domain, no forest
    basic.extend_from_slice(&[0; 16]); // DomainGuid
    basic.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]); // "WG\0" counts
    basic.extend_from_slice(&[b'W', 0, b'G', 0, 0, 0, 0, 0]); // chars, pad to 4
    basic.extend_from_slice(&0u32.to_le_bytes()); // ERROR_SUCCESS
    assert_eq!(call(1), basic);
    assert_eq!(
        call(2),
        [0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(call(3), [0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    // An unknown level: no information, ERROR_INVALID_PARAMETER.
    assert_eq!(call(9), [0, 0, 0, 0, 87, 0, 0, 0]);
}
