//! The SAMR server driven directly (no pipe): access at Connect, handle types, a user
//! made and given a password at level 24, and hostile stubs for every opnum.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_auth::accounts::AccountSource;
use lwio_core::security::well_known;
use lwio_core::{AccessToken, NtStatus};
use lwio_rpc::ndr::{self, ByteOrder, NdrReader, NdrWriter, PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{CallContext, CallOutcome, HandleTable, Interface};

use super::types::EncUserPassword;
use super::user_types::{UserInfo, UserInternal5};
use super::{SamrInterface, opnum};
use crate::Sam;

pub(super) fn ctx(token: AccessToken) -> CallContext {
    CallContext {
        token: Arc::new(token),
        session_key: vec![0x42; 16],
        handles: Arc::new(HandleTable::new()),
        assoc_group_id: 1,
        byte_order: ByteOrder::LittleEndian,
        trailing_padding: 0,
    }
}

pub(super) fn admin() -> CallContext {
    ctx(AccessToken::new(well_known::LOCAL_SYSTEM)
        .with_groups([well_known::BUILTIN_ADMINISTRATORS]))
}

pub(super) fn call(
    s: &SamrInterface,
    op: u16,
    stub: &[u8],
    c: &CallContext,
) -> Result<Vec<u8>, FaultStatus> {
    match s.call(op, stub, c) {
        CallOutcome::Ready(r) => r,
        CallOutcome::Pending(_) => panic!("SAMR calls finish at once"),
    }
}

pub(super) fn status_of(answer: &[u8]) -> NtStatus {
    let tail: [u8; 4] = answer[answer.len() - 4..].try_into().unwrap();
    NtStatus(u32::from_le_bytes(tail))
}

pub(super) fn connect2(s: &SamrInterface, c: &CallContext) -> (PolicyHandle, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(&None::<lwio_rpc::ndr::WString>);
    w.u32(0x0200_0000);
    let answer = call(s, opnum::CONNECT2, &w.into_bytes(), c).unwrap();
    let h: PolicyHandle = NdrReader::new(&answer).read().unwrap();
    (h, status_of(&answer))
}

pub(super) fn open_account_domain(s: &SamrInterface, c: &CallContext) -> PolicyHandle {
    let (server, _) = connect2(s, c);
    let mut w = NdrWriter::new();
    w.write(&server);
    w.u32(0x0200_0000);
    w.write(&s.sam.domain().unwrap().sid);
    let answer = call(s, opnum::OPEN_DOMAIN, &w.into_bytes(), c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    NdrReader::new(&answer).read().unwrap()
}

#[test]
fn the_anonymous_logon_gets_no_handle() {
    let s = SamrInterface::new(Sam::in_memory("T").unwrap());
    let (h, status) = connect2(&s, &ctx(AccessToken::anonymous()));
    assert_eq!(status, NtStatus::ACCESS_DENIED);
    assert!(h.is_null());
    let (h, status) = connect2(&s, &admin());
    assert_eq!(status, NtStatus::SUCCESS);
    assert!(!h.is_null());
}

#[test]
fn a_handle_of_another_type_is_a_context_mismatch() {
    let s = SamrInterface::new(Sam::in_memory("T").unwrap());
    let c = admin();
    let (server, _) = connect2(&s, &c);
    // QueryInformationDomain on the server handle.
    let mut w = NdrWriter::new();
    w.write(&server);
    w.u16(1);
    let r = call(&s, opnum::QUERY_INFORMATION_DOMAIN, &w.into_bytes(), &c);
    assert_eq!(r.unwrap_err(), FaultStatus::CONTEXT_MISMATCH);
    // Close works on any type, once.
    let r = call(&s, opnum::CLOSE_HANDLE, &ndr::to_bytes(&server), &c).unwrap();
    assert_eq!(status_of(&r), NtStatus::SUCCESS);
    let r = call(&s, opnum::CLOSE_HANDLE, &ndr::to_bytes(&server), &c);
    assert_eq!(r.unwrap_err(), FaultStatus::CONTEXT_MISMATCH);
}

#[test]
fn a_user_created_and_given_a_password_logs_on() {
    let sam = Sam::in_memory("T").unwrap();
    let s = SamrInterface::new(sam.clone());
    let c = admin();
    let domain = open_account_domain(&s, &c);
    let mut w = NdrWriter::new();
    w.write(&domain);
    w.write(&RpcUnicodeString::new("zoe"));
    w.u32(0x10);
    w.u32(0x0200_0000);
    let answer = call(&s, opnum::CREATE_USER2, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    let user: PolicyHandle = NdrReader::new(&answer).read().unwrap();

    // Level 24: the password RC4'd with the session key.
    let enc = crate::crypto::encrypt_user_password("Z0e!secret", &c.session_key);
    let info = UserInfo::Internal5(UserInternal5 {
        password: EncUserPassword(enc),
        password_expired: 0,
    });
    let mut w = NdrWriter::new();
    w.write(&user);
    w.u16(24);
    w.write(&info);
    let answer = call(&s, opnum::SET_INFORMATION_USER2, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    // Still disabled, as created.
    assert_eq!(sam.logon("zoe", ""), Err(NtStatus::ACCOUNT_DISABLED));
    let hash = sam.nt_hash("zoe", "").unwrap();
    assert_eq!(hash.0, lwio_auth::ntlm::nt_hash("Z0e!secret").0);

    // Enabled, the user logs on as an ordinary user.
    let mut u = sam.user_by_name("zoe").unwrap();
    u.acb &= !crate::Acb::DISABLED.0;
    sam.update_user(&u).unwrap();
    let token = sam.logon("zoe", "").unwrap();
    assert!(token.contains_sid(&well_known::BUILTIN_USERS));
    assert!(token.contains_sid(&well_known::NETWORK));
    assert!(!token.contains_sid(&well_known::BUILTIN_ADMINISTRATORS));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    #[test]
    fn hostile_stubs_never_panic(op in 0u16..80, stub in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        let s = SamrInterface::new(Sam::in_memory("T").unwrap());
        let c = admin();
        let _ = call(&s, op, &stub, &c);
    }
}
