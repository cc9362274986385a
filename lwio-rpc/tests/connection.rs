#![allow(clippy::unwrap_used)]
//! The sans-IO connection alone: bytes in, actions out, no pipes or threads.

use std::sync::Arc;
use std::time::Duration;

use lwio_auth::ntlm::{NtlmClient, NtlmCredentials};
use lwio_core::{AccessToken, block_on};
use lwio_rpc::NDR20_SYNTAX;
use lwio_rpc::interfaces::echo::{self, EchoInterface, RPCECHO_SYNTAX, stubs};
use lwio_rpc::pdu::{
    self, AuthLevel, AuthType, AuthVerifier, Bind, FaultStatus, Pdu, PduBody, PfcFlags,
    PresentationContext, RejectReason, Request,
};
use lwio_rpc::server::{Action, Connection, RpcServer};

fn connection() -> Connection {
    let echo = EchoInterface {
        sleep_unit: Some(Duration::from_millis(1)),
    };
    let server = Arc::new(RpcServer::new().register(Arc::new(echo)));
    Connection::new(
        server,
        Arc::new(AccessToken::system()),
        vec![1; 16],
        "\\PIPE\\rpcecho",
    )
}

fn bind_bytes(max_frag: u16) -> Vec<u8> {
    pdu::encode(&Pdu::new(
        1,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Bind(Bind {
            max_xmit_frag: max_frag,
            max_recv_frag: max_frag,
            assoc_group_id: 0,
            contexts: vec![PresentationContext {
                context_id: 0,
                abstract_syntax: RPCECHO_SYNTAX,
                transfer_syntaxes: vec![NDR20_SYNTAX],
            }],
        }),
    ))
}

fn request(call_id: u32, flags: PfcFlags, opnum: u16, stub: Vec<u8>) -> Vec<u8> {
    pdu::encode(&Pdu::new(
        call_id,
        flags,
        PduBody::Request(Request {
            opnum,
            stub,
            ..Request::default()
        }),
    ))
}

fn sent(actions: Vec<Action>) -> Vec<Pdu> {
    actions
        .into_iter()
        .map(|a| match a {
            Action::Send(b) => pdu::decode(&b).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn bytes_in_any_split() {
    let mut c = connection();
    let mut all = bind_bytes(4280);
    all.extend(request(2, PfcFlags::FIRST_AND_LAST, 0, stubs::add_one(7)));
    all.extend(request(3, PfcFlags::FIRST_AND_LAST, 0, stubs::add_one(8)));
    let mut out = Vec::new();
    for chunk in all.chunks(5) {
        out.extend(sent(c.receive(chunk)));
    }
    assert_eq!(out.len(), 3);
    assert!(matches!(out[0].body, PduBody::BindAck(_)));
    for (pdu, want) in out[1..].iter().zip([8u32, 9]) {
        let PduBody::Response(r) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(stubs::u32_answer(&r.stub).unwrap(), want);
    }
    assert!(c.is_bound());
    assert_eq!(c.max_xmit_frag(), Some(4280));
}

#[test]
fn small_fragment_sizes_are_raised_to_the_minimum() {
    let mut c = connection();
    let out = sent(c.receive(&bind_bytes(100)));
    let PduBody::BindAck(ack) = &out[0].body else {
        panic!()
    };
    assert_eq!(ack.max_xmit_frag, 1432);
}

#[test]
fn reassembly_and_sequence_errors() {
    let mut c = connection();
    sent(c.receive(&bind_bytes(4280)));
    let data = stubs::sized_data(&[5; 64]);
    let (a, b) = data.split_at(32);
    assert!(
        c.receive(&request(2, PfcFlags::FIRST_FRAG, 1, a.to_vec()))
            .is_empty()
    );
    let out = sent(c.receive(&request(2, PfcFlags::LAST_FRAG, 1, b.to_vec())));
    let PduBody::Response(r) = &out[0].body else {
        panic!()
    };
    assert_eq!(stubs::bytes_answer(&r.stub).unwrap(), [5; 64]);
    // A middle fragment with no call in progress.
    let out = sent(c.receive(&request(3, PfcFlags::LAST_FRAG, 1, b.to_vec())));
    let PduBody::Fault(f) = &out[0].body else {
        panic!()
    };
    assert_eq!(f.status, FaultStatus::PROTO_ERROR);
    // Another call_id inside a call.
    assert!(
        c.receive(&request(4, PfcFlags::FIRST_FRAG, 1, a.to_vec()))
            .is_empty()
    );
    let out = sent(c.receive(&request(5, PfcFlags::LAST_FRAG, 1, b.to_vec())));
    assert!(matches!(out[0].body, PduBody::Fault(_)));
    // Orphaned drops the partial call silently.
    assert!(
        c.receive(&request(6, PfcFlags::FIRST_FRAG, 1, a.to_vec()))
            .is_empty()
    );
    let orphan = pdu::encode(&Pdu::new(6, PfcFlags::FIRST_AND_LAST, PduBody::Orphaned));
    assert!(c.receive(&orphan).is_empty());
    let out = sent(c.receive(&request(7, PfcFlags::FIRST_AND_LAST, 0, stubs::add_one(1))));
    assert!(matches!(out[0].body, PduBody::Response(_)));
}

#[test]
fn maybe_calls_get_no_answer_and_pending_calls_complete() {
    let mut c = connection();
    sent(c.receive(&bind_bytes(4280)));
    let maybe = PfcFlags::FIRST_AND_LAST.with(PfcFlags::MAYBE);
    assert!(
        c.receive(&request(2, maybe, 0, stubs::add_one(1)))
            .is_empty()
    );
    let mut actions = c.receive(&request(
        3,
        PfcFlags::FIRST_AND_LAST,
        echo::opnum::TEST_SLEEP,
        stubs::u32_request(1),
    ));
    let Some(Action::Call(call)) = actions.pop() else {
        panic!()
    };
    assert_eq!(call.call_id, 3);
    let result = block_on(call.future);
    let frags = c.complete(3, result);
    assert_eq!(frags.len(), 1);
    let pdu = pdu::decode(&frags[0]).unwrap();
    let PduBody::Response(r) = pdu.body else {
        panic!()
    };
    assert_eq!(stubs::u32_answer(&r.stub).unwrap(), 1);
    // Completing an unknown call sends nothing.
    assert!(c.complete(99, Ok(Vec::new())).is_empty());
}

#[test]
fn protocol_violations_close() {
    let mut c = connection();
    sent(c.receive(&bind_bytes(4280)));
    let ack = pdu::encode(&Pdu::new(9, PfcFlags::FIRST_AND_LAST, PduBody::Shutdown));
    assert!(c.receive(&ack).is_empty());
    let response = pdu::encode(&Pdu::new(
        9,
        PfcFlags::FIRST_AND_LAST,
        PduBody::Response(Default::default()),
    ));
    assert!(matches!(c.receive(&response)[..], [Action::Close]));
    let mut c = connection();
    let mut huge = bind_bytes(4280);
    huge[8..10].copy_from_slice(&60000u16.to_le_bytes());
    assert!(matches!(c.receive(&huge)[..], [Action::Close]));
    let mut c = connection();
    assert!(matches!(c.receive(&[0xFF; 16])[..], [Action::Close]));
}

struct NoAccounts;

impl lwio_rpc::server::AccountSource for NoAccounts {
    fn nt_hash(&self, _: &str, _: &str) -> Option<lwio_auth::ntlm::NtHash> {
        None
    }
    fn logon(&self, _: &str, _: &str) -> Result<AccessToken, lwio_core::NtStatus> {
        Err(lwio_core::NtStatus::LOGON_FAILURE)
    }
}

fn authenticating_connection() -> Connection {
    let server = Arc::new(
        RpcServer::new()
            .register(Arc::new(EchoInterface::new()))
            .with_auth(lwio_rpc::server::RpcAuth {
                names: lwio_auth::ntlm::ServerNames::default(),
                accounts: Arc::new(NoAccounts),
            }),
    );
    Connection::new(
        server,
        Arc::new(AccessToken::anonymous()),
        Vec::new(),
        "\\PIPE\\rpcecho",
    )
}

fn auth_bind(value: Vec<u8>, auth_type: AuthType) -> Vec<u8> {
    let mut bind = pdu::decode(&bind_bytes(4280)).unwrap();
    bind.auth = Some(AuthVerifier {
        auth_type,
        auth_level: AuthLevel::PKT_INTEGRITY,
        context_id: 7,
        value,
        ..AuthVerifier::default()
    });
    pdu::encode(&bind)
}

#[test]
fn authenticated_bind_legs_in_and_out_of_turn() {
    let mut client = NtlmClient::new(NtlmCredentials {
        user: "nobody".into(),
        domain: "D".into(),
        workstation: "W".into(),
        nt_hash: lwio_auth::ntlm::nt_hash("x"),
    });
    let mut c = authenticating_connection();
    let out = sent(c.receive(&auth_bind(client.negotiate(), AuthType::WINNT)));
    let PduBody::BindAck(_) = &out[0].body else {
        panic!("{:?}", out[0]);
    };
    // The bind_ack carries the CHALLENGE under the same auth context.
    let v = out[0].auth.as_ref().unwrap();
    assert_eq!((v.auth_type, v.context_id), (AuthType::WINNT, 7));
    assert_eq!(&v.value[..8], b"NTLMSSP\0");
    // A call before the exchange is over is refused.
    let out = sent(c.receive(&request(2, PfcFlags::FIRST_AND_LAST, 0, stubs::add_one(1))));
    let PduBody::Fault(f) = &out[0].body else {
        panic!("{:?}", out[0]);
    };
    assert_eq!(f.status, FaultStatus::ACCESS_DENIED);
    // An unknown user: auth3 has no answer, and the connection refuses calls after it.
    let done = client.authenticate(&v.value, 0).unwrap();
    let mut auth3 = Pdu::new(3, PfcFlags::FIRST_AND_LAST, PduBody::Auth3);
    auth3.auth = Some(AuthVerifier {
        auth_type: AuthType::WINNT,
        auth_level: AuthLevel::PKT_INTEGRITY,
        context_id: 7,
        value: done.message,
        ..AuthVerifier::default()
    });
    assert!(c.receive(&pdu::encode(&auth3)).is_empty());
    assert!(!c.is_authenticated());
    let out = sent(c.receive(&request(4, PfcFlags::FIRST_AND_LAST, 0, stubs::add_one(1))));
    assert!(matches!(&out[0].body, PduBody::Fault(f) if f.status == FaultStatus::ACCESS_DENIED));
}

#[test]
fn unsupported_auth_types_and_garbage_tokens_get_bind_nak() {
    for (value, auth_type, reason) in [
        (
            b"NTLMSSP\0".to_vec(),
            AuthType::GSS_KERBEROS,
            RejectReason::AUTHENTICATION_TYPE_NOT_RECOGNIZED,
        ),
        (
            b"garbage".to_vec(),
            AuthType::WINNT,
            RejectReason::INVALID_CHECKSUM,
        ),
        (
            b"garbage".to_vec(),
            AuthType::GSS_NEGOTIATE,
            RejectReason::INVALID_CHECKSUM,
        ),
    ] {
        let mut c = authenticating_connection();
        let out = sent(c.receive(&auth_bind(value, auth_type)));
        let PduBody::BindNak(nak) = &out[0].body else {
            panic!("{:?}", out[0]);
        };
        assert_eq!(nak.reject_reason, reason, "{auth_type:?}");
    }
}

#[test]
fn big_endian_bind_and_call() {
    // (An interface that reads little-endian stubs only faults such calls with
    // nca_s_unsupported_type: tests/auth.rs.)
    let mut c = connection();
    let mut bind = bind_bytes(4280);
    pdu::to_big_endian(&mut bind).unwrap();
    let out = sent(c.receive(&bind));
    assert!(matches!(out[0].body, PduBody::BindAck(_)));
    let mut req = request(2, PfcFlags::FIRST_AND_LAST, 0, 7u32.to_be_bytes().to_vec());
    pdu::to_big_endian(&mut req).unwrap();
    let out = sent(c.receive(&req));
    let PduBody::Response(r) = &out[0].body else {
        panic!("{:?}", out[0]);
    };
    // AddOne read the big-endian 7; answers are little-endian.
    assert_eq!((out[0].call_id, &r.stub[..]), (2, &8u32.to_le_bytes()[..]));
}

struct OneUser;

impl lwio_rpc::server::AccountSource for OneUser {
    fn nt_hash(&self, user: &str, _: &str) -> Option<lwio_auth::ntlm::NtHash> {
        (user == "alice").then(|| lwio_auth::ntlm::nt_hash("pw"))
    }
    fn logon(&self, _: &str, _: &str) -> Result<AccessToken, lwio_core::NtStatus> {
        Ok(AccessToken::system())
    }
}

fn alter(call_id: u32, value: Vec<u8>) -> Vec<u8> {
    let PduBody::Bind(b) = pdu::decode(&bind_bytes(4280)).unwrap().body else {
        unreachable!()
    };
    let mut p = Pdu::new(call_id, PfcFlags::FIRST_AND_LAST, PduBody::AlterContext(b));
    p.auth = Some(AuthVerifier {
        auth_type: AuthType::GSS_NEGOTIATE,
        auth_level: AuthLevel::PKT_INTEGRITY,
        context_id: 7,
        value,
        ..AuthVerifier::default()
    });
    pdu::encode(&p)
}

fn resp_token(p: &Pdu) -> lwio_auth::spnego::NegTokenResp {
    let v = p.auth.as_ref().expect("a verifier");
    match lwio_auth::spnego::GssToken::decode(&v.value).unwrap() {
        lwio_auth::spnego::GssToken::Resp(r) => r,
        other => panic!("{other:?}"),
    }
}

/// SPNEGO with Kerberos preferred: the bind only selects NTLMSSP, the NEGOTIATE and the
/// AUTHENTICATE come in two alter_contexts, and the mechListMICs are exchanged.
#[test]
fn spnego_selects_ntlmssp_behind_another_mechanism() {
    use lwio_auth::ntlm::{NtlmSession, Role};
    use lwio_auth::spnego::{self, NegState, NegTokenInit, NegTokenResp, Oid};
    let server = Arc::new(
        RpcServer::new()
            .register(Arc::new(EchoInterface::new()))
            .with_auth(lwio_rpc::server::RpcAuth {
                names: lwio_auth::ntlm::ServerNames::default(),
                accounts: Arc::new(OneUser),
            }),
    );
    let mut c = Connection::new(
        server,
        Arc::new(AccessToken::anonymous()),
        Vec::new(),
        "\\PIPE\\rpcecho",
    );
    let mechs = vec![Oid(spnego::OID_KRB5.to_vec()), Oid::ntlmssp()];
    let init = NegTokenInit {
        mech_types: mechs.clone(),
        mech_token: Some(b"a kerberos AP-REQ".to_vec()),
        ..NegTokenInit::default()
    };
    let out = sent(c.receive(&auth_bind(init.encode(), AuthType::GSS_NEGOTIATE)));
    let first = resp_token(&out[0]);
    assert_eq!(first.neg_state, Some(NegState::ACCEPT_INCOMPLETE));
    assert_eq!(first.supported_mech, Some(Oid::ntlmssp()));
    assert_eq!(first.response_token, None);

    let mut client = NtlmClient::new(NtlmCredentials {
        user: "alice".into(),
        domain: "D".into(),
        workstation: "W".into(),
        nt_hash: lwio_auth::ntlm::nt_hash("pw"),
    });
    let negotiate = NegTokenResp {
        response_token: Some(client.negotiate()),
        ..NegTokenResp::default()
    };
    let out = sent(c.receive(&alter(2, negotiate.encode())));
    let challenge = resp_token(&out[0]).response_token.expect("CHALLENGE");
    let done = client.authenticate(&challenge, 0).unwrap();
    let mut session = NtlmSession::new(&done.session_key, done.flags, Role::Client).unwrap();
    let list = spnego::mech_type_list(&mechs);
    let last = NegTokenResp {
        response_token: Some(done.message),
        mech_list_mic: Some(session.sign(&list).to_vec()),
        ..NegTokenResp::default()
    };
    let out = sent(c.receive(&alter(3, last.encode())));
    let fin = resp_token(&out[0]);
    assert_eq!(fin.neg_state, Some(NegState::ACCEPT_COMPLETED));
    session.verify(&list, &fin.mech_list_mic.unwrap()).unwrap();
    assert!(c.is_authenticated());
}

/// A minimal interface with context handles, for the association-group test: opnum 0
/// opens a handle (handle, status), opnum 1 closes one (the null handle, status).
struct Handles;

/// Its syntax: a private UUID, version 1.0.
const HANDLES_SYNTAX: lwio_rpc::SyntaxId = lwio_rpc::SyntaxId::new(
    lwio_rpc::Uuid::from_fields(0x6c77_696f, 0x0001, 0x0002, [3, 4, 5, 6, 7, 8, 9, 10]),
    1,
    0,
);

struct Opened;

impl lwio_rpc::server::Interface for Handles {
    fn syntax(&self) -> lwio_rpc::SyntaxId {
        HANDLES_SYNTAX
    }

    fn call(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &lwio_rpc::server::CallContext,
    ) -> lwio_rpc::server::CallOutcome {
        use lwio_rpc::ndr::PolicyHandle;
        let r = (|| {
            let handle = match op {
                0 => ctx.handles.create(Opened)?,
                1 => {
                    let h: PolicyHandle = ctx.decode(stub)?;
                    ctx.handles.close::<Opened>(&h)?;
                    PolicyHandle::default()
                }
                _ => return Err(FaultStatus::OP_RNG_ERROR),
            };
            let mut out = lwio_rpc::ndr::to_bytes(&handle);
            out.extend_from_slice(&0u32.to_le_bytes());
            Ok(out)
        })();
        r.into()
    }
}

/// (handle, status) from an answer of [`Handles`].
fn handle_answer(stub: &[u8]) -> (lwio_rpc::ndr::PolicyHandle, u32) {
    let mut r = lwio_rpc::ndr::NdrReader::new(stub);
    let h = r.read().unwrap();
    let status = r.u32().unwrap();
    r.finish().unwrap();
    (h, status)
}

/// Context handles belong to the association group: a handle opened on one connection
/// closes on another of the group; the group ends with its last connection.
#[test]
fn association_groups_share_handles_and_end_with_their_connections() {
    let server = Arc::new(RpcServer::new().register(Arc::new(Handles)));
    let conn = || {
        Connection::new(
            Arc::clone(&server),
            Arc::new(AccessToken::system()),
            Vec::new(),
            "\\PIPE\\handles",
        )
    };
    let bind = |group: u32| {
        pdu::encode(&Pdu::new(
            1,
            PfcFlags::FIRST_AND_LAST,
            PduBody::Bind(Bind {
                max_xmit_frag: 4280,
                max_recv_frag: 4280,
                assoc_group_id: group,
                contexts: vec![PresentationContext {
                    context_id: 0,
                    abstract_syntax: HANDLES_SYNTAX,
                    transfer_syntaxes: vec![NDR20_SYNTAX],
                }],
            }),
        ))
    };
    let answer = |out: Vec<Pdu>| match &out[0].body {
        PduBody::Response(r) => Ok(r.stub.clone()),
        PduBody::Fault(f) => Err(f.status),
        other => panic!("{other:?}"),
    };
    let (mut c1, mut c2) = (conn(), conn());
    let PduBody::BindAck(ack) = &sent(c1.receive(&bind(0)))[0].body else {
        panic!("no bind_ack");
    };
    let group = ack.assoc_group_id;
    assert!(matches!(
        sent(c2.receive(&bind(group)))[0].body,
        PduBody::BindAck(_)
    ));
    let open = request(2, PfcFlags::FIRST_AND_LAST, 0, Vec::new());
    let (handle, status) = handle_answer(&answer(sent(c1.receive(&open))).unwrap());
    assert_eq!(status, 0);
    let close = request(
        3,
        PfcFlags::FIRST_AND_LAST,
        1,
        lwio_rpc::ndr::to_bytes(&handle),
    );
    assert!(answer(sent(c2.receive(&close))).is_ok());
    assert_eq!(
        answer(sent(c1.receive(&close))),
        Err(FaultStatus::CONTEXT_MISMATCH)
    );
    // A handle left open outlives c1 while c2 holds the group...
    let (h2, _) = handle_answer(&answer(sent(c1.receive(&open))).unwrap());
    drop(c1);
    let close2 = request(4, PfcFlags::FIRST_AND_LAST, 1, lwio_rpc::ndr::to_bytes(&h2));
    let mut c3 = conn();
    assert!(matches!(
        sent(c3.receive(&bind(group)))[0].body,
        PduBody::BindAck(_)
    ));
    drop(c2);
    assert!(answer(sent(c3.receive(&close2))).is_ok());
    // ...and once the last connection is gone, the group cannot be joined.
    drop(c3);
    let mut c4 = conn();
    assert!(matches!(
        sent(c4.receive(&bind(group)))[0].body,
        PduBody::BindNak(_)
    ));
}

/// An alter_context may name a bound context again with its own interface (a "change of
/// primary context"), but not rebind its id to another interface: that is a protocol
/// error that ends the association.
#[test]
fn alter_context_cannot_rebind_a_context_to_another_interface() {
    let mut c = connection();
    let out = sent(c.receive(&bind_bytes(4280)));
    assert!(matches!(out[0].body, PduBody::BindAck(_)));
    let PduBody::Bind(same) = pdu::decode(&bind_bytes(4280)).unwrap().body else {
        unreachable!()
    };
    let again = pdu::encode(&Pdu::new(
        2,
        PfcFlags::FIRST_AND_LAST,
        PduBody::AlterContext(same.clone()),
    ));
    let out = sent(c.receive(&again));
    assert!(matches!(out[0].body, PduBody::AlterContextResp(_)));

    let mut other = same;
    other.contexts[0].abstract_syntax = lwio_rpc::interfaces::dssetup::DSSETUP_SYNTAX;
    let rebind = pdu::encode(&Pdu::new(
        3,
        PfcFlags::FIRST_AND_LAST,
        PduBody::AlterContext(other),
    ));
    let actions = c.receive(&rebind);
    assert!(matches!(actions.last(), Some(Action::Close)));
    let Action::Send(bytes) = &actions[0] else {
        panic!("no fault sent")
    };
    let PduBody::Fault(f) = pdu::decode(bytes).unwrap().body else {
        panic!("not a fault")
    };
    assert_eq!(f.status, FaultStatus::PROTO_ERROR);
}
