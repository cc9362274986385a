//! `lwio_samr::serve` over NPFS, driven by lwio-rpc's client: SAMR and the LSA answer on
//! both `\pipe\samr` and `\pipe\lsarpc`, the two pipes share association groups (a SAMR
//! handle found through an lsarpc connection of the group, its type checked), the
//! anonymous logon is refused at LsarOpenPolicy2, and a signed big-endian OpenPolicy2
//! followed by a verification trailer (smbtorture's rpc.bind bigendian variants) works.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_auth::ntlm::{NtlmCredentials, ServerNames, nt_hash};
use lwio_core::{AccessToken, IoManager, block_on};
use lwio_npfs::{Npfs, NpfsDevice};
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::ndr::{ByteOrder, NdrReader, NdrWriter, PolicyHandle, WString};
use lwio_rpc::pdu::{self, AuthLevel, AuthType, Bind, FaultStatus, PduBody, PresentationContext};
use lwio_rpc::server::{PipeServer, RpcAuth};
use lwio_rpc::{ClientError, NDR20_SYNTAX, RpcClient, SyntaxId};
use lwio_samr::lsa::types::ObjectAttributes;
use lwio_samr::lsa::{LSARPC_SYNTAX, opnum as lsa_op};
use lwio_samr::model::{Acb, DomainKind, rid};
use lwio_samr::policy::PasswordSource;
use lwio_samr::rpc::{SAMR_SYNTAX, opnum as samr_op};
use lwio_samr::{NewPassword, Sam};

const PASSWORD: &str = "Al1ce!pass";

struct Env {
    io: IoManager,
    sam: Sam,
    _pipes: Vec<PipeServer>,
}

/// The account services over a SAM holding `alice`, an administrator.
fn env() -> Env {
    let io = IoManager::new();
    io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
        .unwrap();
    let sam = Sam::in_memory("HOST").unwrap();
    let u = sam.create_user("alice", Acb::NORMAL).unwrap();
    sam.set_password(
        u.rid,
        &NewPassword::plain(PASSWORD),
        PasswordSource::Reset,
        false,
    )
    .unwrap();
    let mut u = sam.user(u.rid).unwrap();
    u.acb &= !Acb::DISABLED.0;
    sam.update_user(&u).unwrap();
    let sid = sam.domain().unwrap().sid.with_rid(u.rid).unwrap();
    sam.add_alias_member(DomainKind::Builtin, rid::ADMINISTRATORS, &sid)
        .unwrap();
    let auth = RpcAuth {
        names: ServerNames {
            nb_computer: "HOST".into(),
            nb_domain: "WG".into(),
            ..ServerNames::default()
        },
        accounts: Arc::new(sam.clone()),
    };
    let identity = ServerIdentity {
        name: "HOST".into(),
        domain: "WG".into(),
        ..ServerIdentity::default()
    };
    let pipes = lwio_samr::serve(&io, "npfs", sam.clone(), auth, &identity).unwrap();
    Env {
        io,
        sam,
        _pipes: pipes,
    }
}

fn open(env: &Env, pipe: &str, token: AccessToken) -> RpcClient {
    block_on(RpcClient::open(
        &env.io,
        &format!("/npfs/{pipe}"),
        Arc::new(token),
    ))
    .unwrap()
}

fn alice(env: &Env) -> AccessToken {
    use lwio_auth::accounts::AccountSource;
    env.sam.logon("alice", "").unwrap()
}

/// Binds `syntax` as context 0 into association group `group`; the bind_ack's group.
fn bind_into(c: &mut RpcClient, syntax: SyntaxId, group: u32) -> Result<u32, String> {
    let bind = Bind {
        max_xmit_frag: 4280,
        max_recv_frag: 4280,
        assoc_group_id: group,
        contexts: vec![PresentationContext {
            context_id: 0,
            abstract_syntax: syntax,
            transfer_syntaxes: vec![NDR20_SYNTAX],
        }],
    };
    match block_on(c.exchange(PduBody::Bind(bind))).unwrap().body {
        PduBody::BindAck(ack) => Ok(ack.assoc_group_id),
        other => Err(format!("{other:?}")),
    }
}

fn open_policy2(access: u32, order: ByteOrder) -> Vec<u8> {
    let mut w = NdrWriter::new().with_byte_order(order);
    w.write(&Some(WString::from("\\")));
    w.write(&ObjectAttributes::client());
    w.u32(access);
    w.into_bytes()
}

fn handle_and_status(stub: &[u8]) -> (PolicyHandle, u32) {
    let mut r = NdrReader::new(stub);
    let h = r.read().unwrap();
    (h, r.u32().unwrap())
}

#[test]
fn samr_and_lsa_share_both_pipes_and_their_association_groups() {
    let env = env();
    // SAMR on \pipe\samr opens a server handle.
    let mut a = open(&env, "samr", alice(&env));
    let group = bind_into(&mut a, SAMR_SYNTAX, 0).unwrap();
    let mut w = NdrWriter::new();
    w.write(&None::<WString>);
    w.u32(0x0200_0000);
    let out = block_on(a.call_on(0, samr_op::CONNECT2, &w.into_bytes())).unwrap();
    let (server, status) = handle_and_status(&out);
    assert_eq!(status, 0);
    // The LSA on \pipe\samr, and SAMR on \pipe\lsarpc, bind too.
    let mut b = open(&env, "samr", alice(&env));
    bind_into(&mut b, LSARPC_SYNTAX, 0).unwrap();
    let out = block_on(b.call_on(
        0,
        lsa_op::OPEN_POLICY2,
        &open_policy2(0x0200_0000, ByteOrder::LittleEndian),
    ))
    .unwrap();
    assert_eq!(handle_and_status(&out).1, 0);
    // An lsarpc connection joining the group sees the SAMR handle but not as its own.
    let mut c = open(&env, "lsarpc", alice(&env));
    assert_eq!(bind_into(&mut c, LSARPC_SYNTAX, group), Ok(group));
    let err = block_on(c.call_on(0, lsa_op::CLOSE, &lwio_rpc::ndr::to_bytes(&server))).unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::CONTEXT_MISMATCH));
    // SAMR bound through \pipe\lsarpc in the same group closes it.
    let mut d = open(&env, "lsarpc", alice(&env));
    assert_eq!(bind_into(&mut d, SAMR_SYNTAX, group), Ok(group));
    let out =
        block_on(d.call_on(0, samr_op::CLOSE_HANDLE, &lwio_rpc::ndr::to_bytes(&server))).unwrap();
    assert_eq!(handle_and_status(&out), (PolicyHandle::default(), 0));
    // dssetup answers on the same pipes.
    let mut e = open(&env, "lsarpc", alice(&env));
    bind_into(&mut e, lwio_rpc::interfaces::dssetup::DSSETUP_SYNTAX, 0).unwrap();
    let out = block_on(e.call_on(0, 0, &1u16.to_le_bytes())).unwrap();
    assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 0]);
}

#[test]
fn lsarpc_refuses_the_anonymous_logon_and_serves_users() {
    let env = env();
    let mut anon = open(&env, "lsarpc", AccessToken::anonymous());
    block_on(anon.bind(LSARPC_SYNTAX)).unwrap();
    let out = block_on(anon.call(
        lsa_op::OPEN_POLICY2,
        &open_policy2(0x0200_0000, ByteOrder::LittleEndian),
    ))
    .unwrap();
    let (h, status) = handle_and_status(&out);
    assert_eq!((h.is_null(), status), (true, 0xC000_0022));
    let err = block_on(anon.call(99, &[])).unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::OP_RNG_ERROR));

    let mut user = open(&env, "lsarpc", AccessToken::anonymous());
    block_on(user.bind_authenticated(
        LSARPC_SYNTAX,
        creds(),
        AuthType::GSS_NEGOTIATE,
        AuthLevel::CONNECT,
    ))
    .unwrap();
    let out = block_on(user.call(
        lsa_op::OPEN_POLICY2,
        &open_policy2(0x0200_0000, ByteOrder::LittleEndian),
    ))
    .unwrap();
    let (h, status) = handle_and_status(&out);
    assert_eq!(status, 0);
    // QuerySecurity with no parts asked: a descriptor header and no parts.
    let mut q = lwio_rpc::ndr::to_bytes(&h);
    q.extend_from_slice(&0u32.to_le_bytes());
    let out = block_on(user.call(lsa_op::QUERY_SECURITY_OBJECT, &q)).unwrap();
    assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 0]);
    let out = block_on(user.call(lsa_op::CLOSE, &lwio_rpc::ndr::to_bytes(&h))).unwrap();
    assert_eq!(handle_and_status(&out).1, 0);
}

fn creds() -> NtlmCredentials {
    NtlmCredentials {
        user: "alice".into(),
        domain: "HOST".into(),
        workstation: "CLIENT".into(),
        nt_hash: nt_hash(PASSWORD),
    }
}

/// OpenPolicy2 and Close over a signed big-endian connection, the way smbtorture's
/// rpc.bind bigendian variants call them: with a verification trailer after the stub.
#[test]
fn big_endian_open_policy2_with_verification_trailer() {
    let env = env();
    let mut c = open(&env, "lsarpc", AccessToken::anonymous());
    c.set_byte_order(ByteOrder::BigEndian);
    block_on(c.bind_authenticated(
        LSARPC_SYNTAX,
        creds(),
        AuthType::WINNT,
        AuthLevel::PKT_INTEGRITY,
    ))
    .unwrap();
    let mut w = NdrWriter::new().with_byte_order(ByteOrder::BigEndian);
    w.bytes(&open_policy2(0x0200_0000, ByteOrder::BigEndian));
    w.align(4);
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
    syntax(&mut w, LSARPC_SYNTAX);
    syntax(&mut w, NDR20_SYNTAX);
    w.u16(0x4003); // header2 | END
    w.u16(16);
    w.bytes(&[0, 0, 0, 0, 0x00, 0, 0, 0]);
    w.u32(3); // the call id the client will use (bind 1, auth3 2)
    w.u16(0);
    w.u16(lsa_op::OPEN_POLICY2);
    let out = block_on(c.call(lsa_op::OPEN_POLICY2, &w.into_bytes())).unwrap();
    let (handle, status) = handle_and_status(&out);
    assert_eq!(status, 0);
    assert!(!handle.is_null());
    // Close it, then close it again: the handle is gone.
    let mut w = NdrWriter::new().with_byte_order(ByteOrder::BigEndian);
    w.write(&handle);
    let close = w.into_bytes();
    let out = block_on(c.call(lsa_op::CLOSE, &close)).unwrap();
    assert_eq!(handle_and_status(&out), (PolicyHandle::default(), 0));
    let err = block_on(c.call(lsa_op::CLOSE, &close)).unwrap_err();
    assert_eq!(err, ClientError::Fault(FaultStatus::CONTEXT_MISMATCH));
}
