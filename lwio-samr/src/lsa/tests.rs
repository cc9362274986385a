//! The LSA driven directly (no pipe): opening the policy, access at open and per call,
//! lookups both ways, account objects and rights feeding the tokens, policy
//! information, and hostile stubs for every opnum.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_auth::accounts::AccountSource;
use lwio_core::security::{Privilege, well_known};
use lwio_core::{AccessToken, NtStatus, Sid};
use lwio_rpc::ndr::{ByteOrder, NdrReader, NdrWriter, PolicyHandle, RpcUnicodeString, WString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::{CallContext, CallOutcome, HandleTable, Interface};

use super::types::*;
use super::{LsaInterface, opnum};
use crate::model::Acb;
use crate::policy::PasswordSource;
use crate::{NewPassword, Sam};

fn ctx(token: AccessToken) -> CallContext {
    CallContext {
        token: Arc::new(token),
        session_key: vec![0x42; 16],
        handles: Arc::new(HandleTable::new()),
        assoc_group_id: 1,
        byte_order: ByteOrder::LittleEndian,
        trailing_padding: 0,
    }
}

fn admin() -> CallContext {
    ctx(AccessToken::new(well_known::LOCAL_SYSTEM)
        .with_groups([well_known::BUILTIN_ADMINISTRATORS]))
}

fn call(s: &LsaInterface, op: u16, stub: &[u8], c: &CallContext) -> Result<Vec<u8>, FaultStatus> {
    match s.call(op, stub, c) {
        CallOutcome::Ready(r) => r,
        CallOutcome::Pending(_) => panic!("LSA calls finish at once"),
    }
}

fn status_of(answer: &[u8]) -> NtStatus {
    let tail: [u8; 4] = answer[answer.len() - 4..].try_into().unwrap();
    NtStatus(u32::from_le_bytes(tail))
}

/// A SAM with an enabled user `ann` (password `pw`); the LSA over it.
fn lsa() -> (LsaInterface, Sam, Sid) {
    let sam = Sam::in_memory("HOST").unwrap();
    let u = sam.create_user("ann", Acb::NORMAL).unwrap();
    sam.set_password(
        u.rid,
        &NewPassword::plain("pw"),
        PasswordSource::Reset,
        false,
    )
    .unwrap();
    let mut u = sam.user(u.rid).unwrap();
    u.acb &= !Acb::DISABLED.0;
    sam.update_user(&u).unwrap();
    let sid = sam.domain().unwrap().sid.with_rid(u.rid).unwrap();
    (LsaInterface::new(sam.clone()), sam, sid)
}

fn open_policy2_stub(access: u32) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.write(&Some(WString::from("\\")));
    w.write(&ObjectAttributes::client());
    w.u32(access);
    w.into_bytes()
}

/// OpenPolicy2 asking for `access`: the handle and the status.
fn open(s: &LsaInterface, c: &CallContext, access: u32) -> (PolicyHandle, NtStatus) {
    let answer = call(s, opnum::OPEN_POLICY2, &open_policy2_stub(access), c).unwrap();
    (NdrReader::new(&answer).read().unwrap(), status_of(&answer))
}

const MAXIMUM_ALLOWED: u32 = 0x0200_0000;

#[test]
fn opening_the_policy_checks_the_caller() {
    let (s, sam, _) = lsa();
    let (h, status) = open(&s, &admin(), MAXIMUM_ALLOWED);
    assert_eq!(status, NtStatus::SUCCESS);
    assert!(!h.is_null());
    // The anonymous logon: refused unless RestrictAnonymous is off.
    let (h, status) = open(&s, &ctx(AccessToken::anonymous()), MAXIMUM_ALLOWED);
    assert_eq!((h.is_null(), status), (true, NtStatus::ACCESS_DENIED));
    let open_lsa = LsaInterface::new(sam.clone()).allow_anonymous(true);
    let (_, status) = open(&open_lsa, &ctx(AccessToken::anonymous()), MAXIMUM_ALLOWED);
    assert_eq!(status, NtStatus::SUCCESS);
    // A user gets what Everyone may: no audit information, no account creation.
    let user = ctx(sam.logon("ann", "").unwrap());
    let (_, status) = open(&s, &user, 0x0000_0002);
    assert_eq!(status, NtStatus::ACCESS_DENIED);
    let (_, status) = open(&s, &user, 0);
    assert_eq!(status, NtStatus::INVALID_PARAMETER);
    // A root directory in the object attributes is refused.
    let mut w = NdrWriter::new();
    w.write(&None::<WString>);
    w.write(&ObjectAttributes {
        root_directory: Some(1),
        ..ObjectAttributes::client()
    });
    w.u32(MAXIMUM_ALLOWED);
    let answer = call(&s, opnum::OPEN_POLICY2, &w.into_bytes(), &admin()).unwrap();
    assert_eq!(status_of(&answer), NtStatus::INVALID_PARAMETER);
}

#[test]
fn open_policy_and_open_policy3_read_their_own_forms() {
    let (s, _, _) = lsa();
    let c = admin();
    // LsarOpenPolicy: a one-character system name.
    let mut w = NdrWriter::new();
    w.referent(true);
    w.u16(u16::from(b'\\'));
    w.write(&ObjectAttributes::client());
    w.u32(MAXIMUM_ALLOWED);
    let answer = call(&s, opnum::OPEN_POLICY, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    // LsarOpenPolicy3: revision information in and out.
    let mut w = NdrWriter::new();
    w.write(&Some(WString::from("\\")));
    w.write(&ObjectAttributes::client());
    w.u32(MAXIMUM_ALLOWED);
    w.u32(1);
    w.u32(1);
    w.write(&RevisionInfoV1 {
        revision: 1,
        supported_features: 0,
    });
    let answer = call(&s, opnum::OPEN_POLICY3, &w.into_bytes(), &c).unwrap();
    let mut r = NdrReader::new(&answer);
    assert_eq!((r.u32().unwrap(), r.u32().unwrap()), (1, 1));
    let info: RevisionInfoV1 = r.read().unwrap();
    assert_eq!(info.revision, 1);
    let h: PolicyHandle = r.read().unwrap();
    assert!(!h.is_null());
    assert_eq!(r.u32().unwrap(), 0);
}

#[test]
fn a_big_endian_open_policy2_decodes() {
    let (s, _, _) = lsa();
    let mut c = admin();
    c.byte_order = ByteOrder::BigEndian;
    let mut w = NdrWriter::new().with_byte_order(ByteOrder::BigEndian);
    w.write(&Some(WString::from("\\")));
    w.write(&ObjectAttributes::client());
    w.u32(MAXIMUM_ALLOWED);
    let answer = call(&s, opnum::OPEN_POLICY2, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
}

/// LsarLookupNames of `names` at level 1: referenced domains, translated SIDs, status.
fn lookup_names(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    names: &[&str],
) -> (Option<ReferencedDomainList>, TranslatedSids, u32, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(h);
    w.u32(names.len() as u32);
    w.write(
        &names
            .iter()
            .map(|n| RpcUnicodeString::new(n))
            .collect::<Vec<_>>(),
    );
    w.write(&TranslatedSids::default());
    w.u16(1);
    w.u32(0);
    let answer = call(s, opnum::LOOKUP_NAMES, &w.into_bytes(), c).unwrap();
    let mut r = NdrReader::new(&answer);
    let domains: Option<ReferencedDomainList> = r.read().unwrap();
    let sids: TranslatedSids = r.read().unwrap();
    let mapped = r.u32().unwrap();
    (domains, sids, mapped, status_of(&answer))
}

/// LsarLookupSids2 of `sids` at `level`: referenced domains, translated names, status.
fn lookup_sids2(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    sids: &[Sid],
    level: u16,
) -> (Option<ReferencedDomainList>, TranslatedNamesEx, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(h);
    w.write(&SidEnumBuffer::of(sids.to_vec()));
    w.write(&TranslatedNamesEx::default());
    w.u16(level);
    w.u32(0);
    w.u32(0);
    w.u32(2);
    let answer = call(s, opnum::LOOKUP_SIDS2, &w.into_bytes(), c).unwrap();
    let mut r = NdrReader::new(&answer);
    let domains: Option<ReferencedDomainList> = r.read().unwrap();
    let names: TranslatedNamesEx = r.read().unwrap();
    (domains, names, status_of(&answer))
}

#[test]
fn names_and_sids_translate_both_ways() {
    let (s, sam, ann) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let (domains, sids, mapped, status) = lookup_names(
        &s,
        &c,
        &h,
        &[
            "ann",
            "BUILTIN\\Administrators",
            "Everyone",
            "HOST",
            "nobody",
        ],
    );
    assert_eq!((mapped, status), (4, NtStatus::SOME_NOT_MAPPED));
    let domains = domains.unwrap();
    let list = sids.sids.unwrap();
    assert_eq!(list[0].rid, ann.rid().unwrap());
    assert_eq!(list[3].rid, u32::MAX);
    assert_eq!((list[4].kind, list[4].domain_index), (8, -1));
    let host = &domains.domains.as_ref().unwrap()[list[0].domain_index as usize];
    assert_eq!(host.sid, Some(sam.domain().unwrap().sid));
    let (_, _, _, status) = lookup_names(&s, &c, &h, &["NT AUTHORITY\\BOGUS"]);
    assert_eq!(status, NtStatus::NONE_MAPPED);

    let odd: Sid = "S-1-5-21-1111111111-2222222222-3333333333-512"
        .parse()
        .unwrap();
    let (_, names, status) = lookup_sids2(&s, &c, &h, &[ann, well_known::WORLD], 1);
    assert_eq!(status, NtStatus::SUCCESS);
    let names = names.names.unwrap();
    assert_eq!(names[0].name.to_string_lossy().unwrap(), "ann");
    assert_eq!(names[1].name.to_string_lossy().unwrap(), "Everyone");
    // Nothing mapped: the answer still names every SID, as its string.
    let (domains, names, status) = lookup_sids2(&s, &c, &h, &[odd], 1);
    assert_eq!(status, NtStatus::NONE_MAPPED);
    assert_eq!(domains.unwrap().entries, 0);
    let names = names.names.unwrap();
    assert_eq!(names[0].name.to_string_lossy().unwrap(), odd.to_string());
    // A bad level; LookupSids3 without a secure channel.
    let (_, _, status) = lookup_sids2(&s, &c, &h, &[ann], 0);
    assert_eq!(status, NtStatus::INVALID_PARAMETER);
    let mut w = NdrWriter::new();
    w.write(&SidEnumBuffer::of(vec![ann]));
    w.write(&TranslatedNamesEx::default());
    w.u16(1);
    w.u32(0);
    w.u32(0);
    w.u32(2);
    let answer = call(&s, opnum::LOOKUP_SIDS3, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::ACCESS_DENIED);
}

#[test]
fn an_anonymous_caller_translates_well_known_principals_only() {
    let (s, _, ann) = lsa();
    let s = s.allow_anonymous(true);
    let c = ctx(AccessToken::anonymous());
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let (_, sids, mapped, status) =
        lookup_names(&s, &c, &h, &["Everyone", "ann", "Administrators"]);
    assert_eq!((mapped, status), (1, NtStatus::SOME_NOT_MAPPED));
    assert_eq!(sids.sids.unwrap()[0].kind, 5);
    let (_, _, status) = lookup_sids2(&s, &c, &h, &[ann], 1);
    assert_eq!(status, NtStatus::NONE_MAPPED);
}

/// LsarAddAccountRights or LsarRemoveAccountRights (with `all`).
fn change_rights(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    sid: &Sid,
    all: Option<bool>,
    rights: &[&str],
) -> NtStatus {
    let mut w = NdrWriter::new();
    w.write(h);
    w.write(sid);
    if let Some(all) = all {
        w.u8(u8::from(all));
    }
    w.write(&UserRightSet::of(rights));
    let op = if all.is_some() {
        opnum::REMOVE_ACCOUNT_RIGHTS
    } else {
        opnum::ADD_ACCOUNT_RIGHTS
    };
    status_of(&call(s, op, &w.into_bytes(), c).unwrap())
}

fn account_rights(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    sid: &Sid,
) -> (Vec<String>, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(h);
    w.write(sid);
    let answer = call(s, opnum::ENUMERATE_ACCOUNT_RIGHTS, &w.into_bytes(), c).unwrap();
    let set: UserRightSet = NdrReader::new(&answer).read().unwrap();
    let names = set
        .rights
        .unwrap_or_default()
        .iter()
        .map(|r| r.to_string_lossy().unwrap())
        .collect();
    (names, status_of(&answer))
}

#[test]
fn rights_granted_over_lsa_feed_the_next_logon() {
    let (s, sam, ann) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    assert_eq!(
        account_rights(&s, &c, &h, &ann).1,
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        change_rights(&s, &c, &h, &ann, None, &["SeBackupPrivilege"]),
        NtStatus::SUCCESS
    );
    assert_eq!(
        account_rights(&s, &c, &h, &ann),
        (vec!["SeBackupPrivilege".to_owned()], NtStatus::SUCCESS)
    );
    assert!(
        sam.logon("ann", "")
            .unwrap()
            .has_privilege(Privilege::Backup)
    );
    assert_eq!(
        change_rights(&s, &c, &h, &ann, None, &["SeNoSuchPrivilege"]),
        NtStatus::NO_SUCH_PRIVILEGE
    );
    // An ordinary user may read rights, not change them.
    let user = ctx(sam.logon("ann", "").unwrap());
    let (uh, _) = open(&s, &user, MAXIMUM_ALLOWED);
    assert_eq!(account_rights(&s, &user, &uh, &ann).1, NtStatus::SUCCESS);
    assert_eq!(
        change_rights(&s, &user, &uh, &ann, None, &["SeRestorePrivilege"]),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(
        change_rights(&s, &user, &uh, &ann, Some(false), &["SeBackupPrivilege"]),
        NtStatus::ACCESS_DENIED
    );
    // Removing the last right deletes the account object.
    assert_eq!(
        change_rights(&s, &c, &h, &ann, Some(false), &["SeBackupPrivilege"]),
        NtStatus::SUCCESS
    );
    assert!(
        !sam.logon("ann", "")
            .unwrap()
            .has_privilege(Privilege::Backup)
    );
    assert_eq!(
        account_rights(&s, &c, &h, &ann).1,
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        change_rights(&s, &c, &h, &ann, Some(true), &[]),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

/// CreateAccount or OpenAccount of `sid`: the account handle and the status.
fn open_account(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    op: u16,
    sid: &Sid,
) -> (PolicyHandle, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(h);
    w.write(sid);
    w.u32(MAXIMUM_ALLOWED);
    let answer = call(s, op, &w.into_bytes(), c).unwrap();
    (NdrReader::new(&answer).read().unwrap(), status_of(&answer))
}

#[test]
fn account_objects_carry_privileges_and_system_access() {
    let (s, sam, _) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let sid: Sid = "S-1-5-12349876-4321-2854".parse().unwrap();
    let (acct, status) = open_account(&s, &c, &h, opnum::CREATE_ACCOUNT, &sid);
    assert_eq!(status, NtStatus::SUCCESS);
    assert_eq!(
        open_account(&s, &c, &h, opnum::CREATE_ACCOUNT, &sid).1,
        NtStatus::OBJECT_NAME_COLLISION
    );
    // Add SeBackupPrivilege (LUID 17), set network logon, read both back.
    let set = PrivilegeSet {
        control: 0,
        privileges: vec![LuidAndAttributes {
            luid: Luid { low: 17, high: 0 },
            attributes: 0,
        }],
    };
    let mut w = NdrWriter::new();
    w.write(&acct);
    w.write(&set);
    let answer = call(&s, opnum::ADD_PRIVILEGES_TO_ACCOUNT, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    let mut w = NdrWriter::new();
    w.write(&acct);
    w.u32(0x2);
    let answer = call(&s, opnum::SET_SYSTEM_ACCESS_ACCOUNT, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    let answer = call(
        &s,
        opnum::GET_SYSTEM_ACCESS_ACCOUNT,
        &lwio_rpc::ndr::to_bytes(&acct),
        &c,
    )
    .unwrap();
    assert_eq!(&answer[..4], &2u32.to_le_bytes());
    let answer = call(
        &s,
        opnum::ENUMERATE_PRIVILEGES_ACCOUNT,
        &lwio_rpc::ndr::to_bytes(&acct),
        &c,
    )
    .unwrap();
    let got: Option<PrivilegeSet> = NdrReader::new(&answer).read().unwrap();
    assert_eq!(got, Some(set));
    assert_eq!(
        sam.rights(&sid).unwrap(),
        ["SeBackupPrivilege", "SeNetworkLogonRight"]
    );
    // A policy handle where an account handle belongs.
    let answer = call(
        &s,
        opnum::GET_SYSTEM_ACCESS_ACCOUNT,
        &lwio_rpc::ndr::to_bytes(&h),
        &c,
    )
    .unwrap();
    assert_eq!(status_of(&answer), NtStatus::INVALID_HANDLE);
    // LsarDelete is refused; LsarDeleteObject deletes and closes.
    let answer = call(&s, opnum::DELETE, &lwio_rpc::ndr::to_bytes(&acct), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::NOT_SUPPORTED);
    let answer = call(
        &s,
        opnum::DELETE_OBJECT,
        &lwio_rpc::ndr::to_bytes(&acct),
        &c,
    )
    .unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    assert!(
        NdrReader::new(&answer)
            .read::<PolicyHandle>()
            .unwrap()
            .is_null()
    );
    assert!(!sam.lsa_account_exists(&sid).unwrap());
    assert_eq!(
        call(&s, opnum::CLOSE, &lwio_rpc::ndr::to_bytes(&acct), &c).unwrap_err(),
        FaultStatus::CONTEXT_MISMATCH
    );
    assert_eq!(
        open_account(&s, &c, &h, opnum::OPEN_ACCOUNT, &sid).1,
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[test]
fn enumerations_page_and_end() {
    let (s, _, _) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let enumerate = |resume: u32, preferred: u32| {
        let mut w = NdrWriter::new();
        w.write(&h);
        w.u32(resume);
        w.u32(preferred);
        let answer = call(&s, opnum::ENUMERATE_ACCOUNTS, &w.into_bytes(), &c).unwrap();
        let mut r = NdrReader::new(&answer);
        let next = r.u32().unwrap();
        let buf: SidEnumBuffer = r.read().unwrap();
        (next, buf.entries, status_of(&answer))
    };
    // The four default accounts: one at a time, then all, then the end.
    assert_eq!(enumerate(2, 1), (3, 1, NtStatus::SUCCESS));
    assert_eq!(enumerate(0, 0x1000), (4, 4, NtStatus::SUCCESS));
    assert_eq!(enumerate(4, 0x1000).2, NtStatus::NO_MORE_ENTRIES);
    // Every privilege at once.
    let mut w = NdrWriter::new();
    w.write(&h);
    w.u32(0);
    w.u32(100);
    let answer = call(&s, opnum::ENUMERATE_PRIVILEGES, &w.into_bytes(), &c).unwrap();
    let mut r = NdrReader::new(&answer);
    let next = r.u32().unwrap();
    let buf: PrivilegeEnumBuffer = r.read().unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    assert_eq!(buf.entries as usize, super::privileges::PRIVILEGES.len());
    assert_eq!(next, buf.entries);
    // Accounts holding a right; none holding another.
    let with = |right: &str| {
        let mut w = NdrWriter::new();
        w.write(&h);
        w.write(&Some(RpcUnicodeString::new(right)));
        let answer = call(
            &s,
            opnum::ENUMERATE_ACCOUNTS_WITH_USER_RIGHT,
            &w.into_bytes(),
            &c,
        )
        .unwrap();
        let buf: SidEnumBuffer = NdrReader::new(&answer).read().unwrap();
        (buf.entries, status_of(&answer))
    };
    assert_eq!(with("SeBackupPrivilege"), (2, NtStatus::SUCCESS));
    assert_eq!(with("SeShutdownPrivilege"), (0, NtStatus::NO_MORE_ENTRIES));
    assert_eq!(with("SeBogus"), (0, NtStatus::NO_SUCH_PRIVILEGE));
}

#[test]
fn privilege_names_values_and_display_names() {
    let (s, _, _) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let mut w = NdrWriter::new();
    w.write(&h);
    w.write(&RpcUnicodeString::new("SeRestorePrivilege"));
    let answer = call(&s, opnum::LOOKUP_PRIVILEGE_VALUE, &w.into_bytes(), &c).unwrap();
    assert_eq!(NdrReader::new(&answer).read::<Luid>().unwrap().low, 18);
    let mut w = NdrWriter::new();
    w.write(&h);
    w.write(&Luid { low: 18, high: 0 });
    let answer = call(&s, opnum::LOOKUP_PRIVILEGE_NAME, &w.into_bytes(), &c).unwrap();
    let name: Option<RpcUnicodeString> = NdrReader::new(&answer).read().unwrap();
    assert_eq!(
        name.unwrap().to_string_lossy().unwrap(),
        "SeRestorePrivilege"
    );
    let mut w = NdrWriter::new();
    w.write(&h);
    w.write(&Luid { low: 99, high: 0 });
    let answer = call(&s, opnum::LOOKUP_PRIVILEGE_NAME, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::NO_SUCH_PRIVILEGE);
    let mut w = NdrWriter::new();
    w.write(&h);
    w.write(&RpcUnicodeString::new("SeBackupPrivilege"));
    w.u16(0x40c);
    w.u16(0x40c);
    let answer = call(
        &s,
        opnum::LOOKUP_PRIVILEGE_DISPLAY_NAME,
        &w.into_bytes(),
        &c,
    )
    .unwrap();
    let mut r = NdrReader::new(&answer);
    let name: Option<RpcUnicodeString> = r.read().unwrap();
    assert_eq!(
        name.unwrap().to_string_lossy().unwrap(),
        "Back up files and directories"
    );
    assert_eq!(r.u16().unwrap(), 0x409);
}

/// QueryInformationPolicy of `class`: the information and the status.
fn query(
    s: &LsaInterface,
    c: &CallContext,
    h: &PolicyHandle,
    class: u16,
) -> (Option<PolicyInformation>, NtStatus) {
    let mut w = NdrWriter::new();
    w.write(h);
    w.u16(class);
    let answer = call(s, opnum::QUERY_INFORMATION_POLICY2, &w.into_bytes(), c).unwrap();
    (NdrReader::new(&answer).read().unwrap(), status_of(&answer))
}

#[test]
fn policy_information_and_audit_options() {
    let (s, sam, _) = lsa();
    let s = s.with_workgroup("WG");
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let Some(PolicyInformation::AccountDomain(d)) = query(&s, &c, &h, 5).0 else {
        panic!("no account domain");
    };
    assert_eq!(d.name.to_string_lossy().unwrap(), "HOST");
    assert_eq!(d.sid, Some(sam.domain().unwrap().sid));
    let Some(PolicyInformation::PrimaryDomain(d)) = query(&s, &c, &h, 3).0 else {
        panic!("no primary domain");
    };
    assert_eq!(
        (d.name.to_string_lossy().unwrap().as_str(), d.sid),
        ("WG", None)
    );
    for class in [1, 2, 4, 6, 7, 8, 12, 13, 14, 15] {
        assert_eq!(
            query(&s, &c, &h, class).1,
            NtStatus::SUCCESS,
            "class {class}"
        );
    }
    for class in [0, 9, 10, 11, 16] {
        assert_eq!(
            query(&s, &c, &h, class).1,
            NtStatus::INVALID_PARAMETER,
            "class {class}"
        );
    }
    // Audit options: success on logon events (category 1), then failure added.
    let set = |options: Vec<u32>| {
        let mut w = NdrWriter::new();
        w.write(&h);
        w.u16(2);
        let count = options.len() as u32;
        w.write(&PolicyInformation::AuditEvents(AuditEventsInfo {
            auditing_mode: 1,
            options: Some(options),
            count,
        }));
        status_of(&call(&s, opnum::SET_INFORMATION_POLICY2, &w.into_bytes(), &c).unwrap())
    };
    assert_eq!(set(vec![0, 1, 0]), NtStatus::SUCCESS);
    assert_eq!(set(vec![0, 2]), NtStatus::SUCCESS);
    let Some(PolicyInformation::AuditEvents(e)) = query(&s, &c, &h, 2).0 else {
        panic!("no audit events");
    };
    assert_eq!(e.auditing_mode, 1);
    assert_eq!(&e.options.unwrap()[..3], &[0, 3, 0]);
    assert_eq!(set(vec![0, 8]), NtStatus::INVALID_PARAMETER);
    // An ordinary user may read local information, not the audit policy.
    let user = ctx(sam.logon("ann", "").unwrap());
    let (uh, _) = open(&s, &user, MAXIMUM_ALLOWED);
    assert_eq!(query(&s, &user, &uh, 5).1, NtStatus::SUCCESS);
    assert_eq!(query(&s, &user, &uh, 2).1, NtStatus::ACCESS_DENIED);
}

#[test]
fn get_user_name_names_the_caller() {
    let (s, sam, _) = lsa();
    let get = |c: &CallContext| {
        let mut w = NdrWriter::new();
        w.write(&Some(WString::from("\\")));
        w.write(&None::<RpcUnicodeString>);
        w.referent(true);
        w.write(&None::<RpcUnicodeString>);
        let answer = call(&s, opnum::GET_USER_NAME, &w.into_bytes(), c).unwrap();
        let mut r = NdrReader::new(&answer);
        let user: Option<RpcUnicodeString> = r.read().unwrap();
        let outer = r.u32().unwrap();
        let domain: Option<RpcUnicodeString> = r.read().unwrap();
        assert_ne!(outer, 0);
        (
            user.unwrap().to_string_lossy().unwrap(),
            domain.unwrap().to_string_lossy().unwrap(),
        )
    };
    let user = ctx(sam.logon("ann", "").unwrap());
    assert_eq!(get(&user), ("ann".to_owned(), "HOST".to_owned()));
    assert_eq!(
        get(&ctx(AccessToken::anonymous())),
        ("ANONYMOUS LOGON".to_owned(), "NT AUTHORITY".to_owned())
    );
}

#[test]
fn a_standalone_machine_has_no_trusted_domains() {
    let (s, _, _) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let mut w = NdrWriter::new();
    w.write(&h);
    w.u32(5);
    w.u32(1000);
    let answer = call(&s, opnum::ENUMERATE_TRUSTED_DOMAINS, &w.into_bytes(), &c).unwrap();
    assert_eq!(&answer[..4], &6u32.to_le_bytes());
    assert_eq!(status_of(&answer), NtStatus::NO_MORE_ENTRIES);
    let answer = call(
        &s,
        opnum::CREATE_TRUSTED_DOMAIN_EX2,
        &lwio_rpc::ndr::to_bytes(&h),
        &c,
    )
    .unwrap();
    assert_eq!(status_of(&answer), super::STATUS_DIRECTORY_SERVICE_REQUIRED);
    let answer = call(
        &s,
        opnum::OPEN_TRUSTED_DOMAIN_BY_NAME,
        &lwio_rpc::ndr::to_bytes(&h),
        &c,
    )
    .unwrap();
    assert_eq!(status_of(&answer), NtStatus::OBJECT_NAME_NOT_FOUND);
}

#[test]
fn security_descriptors_read_and_write() {
    let (s, sam, _) = lsa();
    let c = admin();
    let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
    let query_sd = |c: &CallContext, h: &PolicyHandle| {
        let mut w = NdrWriter::new();
        w.write(h);
        w.u32(4);
        let answer = call(&s, opnum::QUERY_SECURITY_OBJECT, &w.into_bytes(), c).unwrap();
        let sd: Option<crate::rpc::types::SrSecurityDescriptor> =
            NdrReader::new(&answer).read().unwrap();
        (sd, status_of(&answer))
    };
    let (sd, status) = query_sd(&c, &h);
    assert_eq!(status, NtStatus::SUCCESS);
    let bytes = sd.unwrap().sd.unwrap();
    let parsed = lwio_core::SecurityDescriptor::decode(&bytes).unwrap();
    assert!(parsed.dacl.is_some());
    // Replace the DACL: Everyone may no longer translate names.
    let new: lwio_core::SecurityDescriptor = "D:(A;;0xf0fff;;;BA)".parse().unwrap();
    let raw = new.encode();
    let mut w = NdrWriter::new();
    w.write(&h);
    w.u32(4);
    w.write(&crate::rpc::types::SrSecurityDescriptor {
        length: raw.len() as u32,
        sd: Some(raw),
    });
    let answer = call(&s, opnum::SET_SECURITY_OBJECT, &w.into_bytes(), &c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    let user = ctx(sam.logon("ann", "").unwrap());
    assert_eq!(open(&s, &user, 0x800).1, NtStatus::ACCESS_DENIED);
    // A user's handle without READ_CONTROL cannot read it.
    let (h2, _) = open(&s, &c, 0x1);
    assert_eq!(query_sd(&c, &h2).1, NtStatus::ACCESS_DENIED);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    #[test]
    fn hostile_stubs_never_panic(op in 0u16..140, stub in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        let (s, _, _) = lsa();
        let c = admin();
        let _ = call(&s, op, &stub, &c);
    }

    #[test]
    fn hostile_stubs_after_an_open_handle_never_panic(op in 0u16..140, tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128)) {
        let (s, _, _) = lsa();
        let c = admin();
        let (h, _) = open(&s, &c, MAXIMUM_ALLOWED);
        let mut stub = lwio_rpc::ndr::to_bytes(&h);
        stub.extend_from_slice(&tail);
        let _ = call(&s, op, &stub, &c);
    }
}
