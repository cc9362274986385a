//! The password calls driven directly: the NT proof of ChangePasswordUser and the LM
//! forms a SAM without LM hashes refuses, OemChangePasswordUser2's refusals, the OWF
//! lengths of level 21, a password of units that are not UTF-16 text, and the account
//! type CreateUser2 refuses.
#![allow(clippy::unwrap_used)]

use lwio_core::NtStatus;
use lwio_rpc::ndr::{ConfVarArray, NdrReader, NdrWriter, PolicyHandle, RpcUnicodeString};
use lwio_rpc::server::CallContext;

use super::SamrInterface;
use super::opnum;
use super::tests::{admin, call, open_account_domain, status_of};
use super::types::{EncHash, EncUserPassword, RpcString, ShortBlob};
use super::user_types::{UserAll, UserInfo, UserInternal5, fields};
use crate::crypto::{self, ClearPassword};
use crate::policy::PasswordSource;
use crate::{Acb, NewPassword, Sam};

/// A SAM with an enabled user `pat` whose password is `Old!pw1`, and its SAMR.
/// (Handles live in a call context's table: one administrator context per test.)
fn with_pat() -> (Sam, SamrInterface, u32) {
    let sam = Sam::in_memory("T").unwrap();
    let u = sam.create_user("pat", Acb::NORMAL).unwrap();
    sam.set_password(
        u.rid,
        &NewPassword::plain("Old!pw1"),
        PasswordSource::Reset,
        false,
    )
    .unwrap();
    let s = SamrInterface::new(sam.clone());
    (sam, s, u.rid)
}

fn open_user(s: &SamrInterface, c: &CallContext, rid: u32) -> PolicyHandle {
    let domain = open_account_domain(s, c);
    let mut w = NdrWriter::new();
    w.write(&domain);
    w.u32(0x0200_0000);
    w.u32(rid);
    let answer = call(s, opnum::OPEN_USER, &w.into_bytes(), c).unwrap();
    assert_eq!(status_of(&answer), NtStatus::SUCCESS);
    NdrReader::new(&answer).read().unwrap()
}

fn hash_of(sam: &Sam, rid: u32) -> Option<[u8; 16]> {
    sam.user(rid).unwrap().nt_hash
}

/// SamrChangePasswordUser with the NT pair `(old under new, new under old)` and, when
/// `lm`, an LM pair beside it.
fn change_password_user(
    s: &SamrInterface,
    c: &CallContext,
    user: &PolicyHandle,
    old_under_new: EncHash,
    new_under_old: EncHash,
    lm: bool,
) -> NtStatus {
    let mut w = NdrWriter::new();
    w.write(user);
    w.u8(u8::from(lm));
    w.write(&lm.then_some([1u8; 16]));
    w.write(&lm.then_some([2u8; 16]));
    w.u8(1);
    w.write(&Some(old_under_new));
    w.write(&Some(new_under_old));
    w.u8(0);
    w.write(&None::<EncHash>);
    w.u8(0);
    w.write(&None::<EncHash>);
    status_of(&call(s, opnum::CHANGE_PASSWORD_USER, &w.into_bytes(), c).unwrap())
}

#[test]
fn change_password_user_proves_the_nt_hash_and_refuses_to_keep_an_lm_one() {
    let (sam, s, rid) = with_pat();
    let c = admin();
    let user = open_user(&s, &c, rid);
    let old = lwio_auth::ntlm::nt_hash("Old!pw1").0;
    let new = lwio_auth::ntlm::nt_hash("New!pw2").0;
    let old_under_new = crypto::encrypt_hash(&old, &new);
    let new_under_old = crypto::encrypt_hash(&new, &old);

    // A broken proof: WRONG_PASSWORD, counted.
    let mut broken = old_under_new;
    broken[0] ^= 1;
    assert_eq!(
        change_password_user(&s, &c, &user, broken, new_under_old, false),
        NtStatus::WRONG_PASSWORD
    );
    assert_eq!(sam.user(rid).unwrap().bad_password_count, 1);
    // Proven, but with LM hashes to keep: a restriction, nothing changed.
    assert_eq!(
        change_password_user(&s, &c, &user, old_under_new, new_under_old, true),
        NtStatus::PASSWORD_RESTRICTION
    );
    assert_eq!(hash_of(&sam, rid), Some(old));
    // The NT pair alone changes it.
    assert_eq!(
        change_password_user(&s, &c, &user, old_under_new, new_under_old, false),
        NtStatus::SUCCESS
    );
    assert_eq!(hash_of(&sam, rid), Some(new));
}

fn oem_change(s: &SamrInterface, name: &str, buffer: bool, verifier: bool) -> NtStatus {
    let mut w = NdrWriter::new();
    w.write(&None::<RpcString>);
    w.write(&RpcString::new(name));
    w.write(&buffer.then_some(EncUserPassword([7; 516])));
    w.write(&verifier.then_some([8u8; 16]));
    let anonymous = super::tests::ctx(lwio_core::AccessToken::anonymous());
    status_of(
        &call(
            s,
            opnum::OEM_CHANGE_PASSWORD_USER2,
            &w.into_bytes(),
            &anonymous,
        )
        .unwrap(),
    )
}

#[test]
fn the_oem_change_is_refused_as_a_sam_without_lm_hashes_refuses_it() {
    let (sam, s, rid) = with_pat();
    // A missing buffer or verifier first, whoever the user.
    assert_eq!(
        oem_change(&s, "nobody", true, false),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        oem_change(&s, "nobody", false, true),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        oem_change(&s, "pat", true, false),
        NtStatus::INVALID_PARAMETER
    );
    // Then an unknown user, then the restriction.
    assert_eq!(
        oem_change(&s, "nobody", true, true),
        NtStatus::WRONG_PASSWORD
    );
    assert_eq!(
        oem_change(&s, "pat", true, true),
        NtStatus::PASSWORD_RESTRICTION
    );
    assert_eq!(
        hash_of(&sam, rid),
        Some(lwio_auth::ntlm::nt_hash("Old!pw1").0)
    );
}

/// An OWF blob of level 21: `hash` encrypted with the session key, `length` claimed.
fn owf(hash: &[u8; 16], key: &[u8], length: u16) -> ShortBlob {
    let enc = crypto::encrypt_hash(hash, &crypto::key16(key));
    let units = enc
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    ShortBlob {
        length,
        maximum_length: 16,
        buffer: Some(ConfVarArray::new(units)),
    }
}

fn set_user(
    s: &SamrInterface,
    c: &CallContext,
    user: &PolicyHandle,
    level: u16,
    info: &UserInfo,
) -> NtStatus {
    let mut w = NdrWriter::new();
    w.write(user);
    w.u16(level);
    w.write(info);
    status_of(&call(s, opnum::SET_INFORMATION_USER2, &w.into_bytes(), c).unwrap())
}

#[test]
fn level_21_takes_only_sixteen_byte_owfs_and_checks_them_first() {
    let (sam, s, rid) = with_pat();
    let c = admin();
    let user = open_user(&s, &c, rid);
    let key = c.session_key.clone();
    let new = lwio_auth::ntlm::nt_hash("Lvl21!pw").0;
    let all = |nt_len: u16, lm_len: u16, with_lm: bool| {
        let mut which = fields::NTPASSWORDPRESENT | fields::FULLNAME;
        if with_lm {
            which |= fields::LMPASSWORDPRESENT;
        }
        UserInfo::All(UserAll {
            which_fields: which,
            full_name: RpcUnicodeString::new("Pat Q"),
            nt_owf: owf(&new, &key, nt_len),
            nt_present: 1,
            lm_owf: owf(&[3; 16], &key, lm_len),
            lm_present: u8::from(with_lm),
            ..UserAll::default()
        })
    };
    // A length of 17 under a maximum of 16: refused before the name is written.
    assert_eq!(
        set_user(&s, &c, &user, 21, &all(17, 16, false)),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        set_user(&s, &c, &user, 21, &all(16, 17, true)),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(sam.user(rid).unwrap().full_name, "");
    assert_eq!(
        hash_of(&sam, rid),
        Some(lwio_auth::ntlm::nt_hash("Old!pw1").0)
    );
    // Well formed: the NT hash is set, the LM one checked and dropped.
    assert_eq!(
        set_user(&s, &c, &user, 21, &all(16, 16, true)),
        NtStatus::SUCCESS
    );
    assert_eq!(sam.user(rid).unwrap().full_name, "Pat Q");
    assert_eq!(hash_of(&sam, rid), Some(new));
}

fn md4(units: &ClearPassword) -> [u8; 16] {
    use md4::{Digest, Md4};
    Md4::digest(units.to_le_bytes()).into()
}

#[test]
fn a_password_of_units_that_are_not_text_is_set_and_changed_from() {
    let (sam, s, rid) = with_pat();
    let c = admin();
    let user = open_user(&s, &c, rid);
    let key = c.session_key.clone();
    // Unpaired surrogates and a NUL: what a client sending random bytes sends.
    let random = ClearPassword(vec![0xDC01, 0x0000, 0xD9FF, 0x1234, 0xFFFE, 0x0041, 0xD800]);
    let info = UserInfo::Internal5(UserInternal5 {
        password: EncUserPassword(crypto::encrypt_clear_password(&random, &key)),
        password_expired: 0,
    });
    assert_eq!(set_user(&s, &c, &user, 24, &info), NtStatus::SUCCESS);
    assert_eq!(hash_of(&sam, rid), Some(md4(&random)));

    // UnicodeChangePasswordUser3 from it to more such units.
    let next = ClearPassword(vec![0xDFFF, 0xD800, 0x0001, 0x7F7F, 0xDBFF, 0x0042, 0x0043]);
    let old = md4(&random);
    let new = md4(&next);
    let mut w = NdrWriter::new();
    w.write(&None::<RpcUnicodeString>);
    w.write(&RpcUnicodeString::new("pat"));
    w.write(&Some(EncUserPassword(crypto::encrypt_clear_password(
        &next, &old,
    ))));
    w.write(&Some(crypto::encrypt_hash(&old, &new)));
    w.u8(0);
    w.write(&None::<EncUserPassword>);
    w.write(&None::<EncHash>);
    w.write(&None::<EncUserPassword>);
    let anonymous = super::tests::ctx(lwio_core::AccessToken::anonymous());
    let answer = call(
        &s,
        opnum::UNICODE_CHANGE_PASSWORD_USER3,
        &w.into_bytes(),
        &anonymous,
    );
    assert_eq!(status_of(&answer.unwrap()), NtStatus::SUCCESS);
    assert_eq!(hash_of(&sam, rid), Some(new));
}

#[test]
fn a_restricted_change_3_says_which_rule() {
    let (sam, s, _) = with_pat();
    let mut d = sam.domain().unwrap();
    d.password.min_length = 12;
    sam.set_domain(d).unwrap();
    let old = lwio_auth::ntlm::nt_hash("Old!pw1").0;
    let new = lwio_auth::ntlm::nt_hash("Sh0rt!");
    let mut w = NdrWriter::new();
    w.write(&None::<RpcUnicodeString>);
    w.write(&RpcUnicodeString::new("pat"));
    w.write(&Some(EncUserPassword(crypto::encrypt_user_password(
        "Sh0rt!", &old,
    ))));
    w.write(&Some(crypto::encrypt_hash(&old, &new.0)));
    w.u8(0);
    w.write(&None::<EncUserPassword>);
    w.write(&None::<EncHash>);
    w.write(&None::<EncUserPassword>);
    let answer = call(
        &s,
        opnum::UNICODE_CHANGE_PASSWORD_USER3,
        &w.into_bytes(),
        &admin(),
    )
    .unwrap();
    assert_eq!(status_of(&answer), NtStatus::PASSWORD_RESTRICTION);
    // [unique] DomainPasswordInformation, then [unique] the failure information.
    let mut r = NdrReader::new(&answer);
    let policy: Option<super::types::DomainPasswordInfo> = r.read().unwrap();
    assert_eq!(policy.unwrap().min_length, 12);
    let failure: Option<super::password::ChangeFailureInfo> = r.read().unwrap();
    assert_eq!(
        failure.unwrap().reason,
        1,
        "SAM_PWD_CHANGE_PASSWORD_TOO_SHORT"
    );
}

#[test]
fn create_user2_refuses_an_interdomain_trust_account() {
    let (sam, s, _) = with_pat();
    let c = admin();
    let domain = open_account_domain(&s, &c);
    let create = |name: &str, acb: u32| {
        let mut w = NdrWriter::new();
        w.write(&domain);
        w.write(&RpcUnicodeString::new(name));
        w.u32(acb);
        w.u32(0x0200_0000);
        status_of(&call(&s, opnum::CREATE_USER2, &w.into_bytes(), &c).unwrap())
    };
    assert_eq!(
        create("OTHERDOM$", Acb::DOMTRUST.0),
        NtStatus::ACCESS_DENIED
    );
    assert!(sam.user_by_name("OTHERDOM$").is_err());
    assert_eq!(
        create("OTHERDOM$", Acb::DOMTRUST.0 | Acb::DISABLED.0),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(create("ws1$", Acb::WSTRUST.0), NtStatus::SUCCESS);
}
