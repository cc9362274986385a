#![allow(clippy::unwrap_used)]
//! The sans-IO connection alone: bytes in, actions out, no pipes or threads.

use std::sync::Arc;
use std::time::Duration;

use lwio_core::{AccessToken, block_on};
use lwio_rpc::NDR20_SYNTAX;
use lwio_rpc::interfaces::echo::{self, EchoInterface, RPCECHO_SYNTAX, stubs};
use lwio_rpc::pdu::{
    self, Bind, FaultStatus, Pdu, PduBody, PfcFlags, PresentationContext, Request,
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
