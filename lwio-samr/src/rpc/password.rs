//! The password change calls (MS-SAMR 3.1.5.10: ChangePasswordUser 38,
//! OemChangePasswordUser2 54, UnicodeChangePasswordUser2 55 and 3 63, and the AES
//! UnicodeChangePasswordUser4 73) and GetDomainPasswordInformation (56, 3.1.5.13.2).
//!
//! A change proves the old password by what it encrypts with it: the new password RC4'd
//! with the old NT hash (55, 63), and the old hash DES-encrypted with the new one; or the
//! new password under AES with a key derived from the old hash (73). What does not prove
//! it is STATUS_WRONG_PASSWORD and counts as a bad password toward lockout.
//!
//! The SAM keeps no LM hash (the NoLMHash policy of every Windows since Vista), so the LM
//! forms cannot be proven and would set a hash the policy refuses to store:
//! - ChangePasswordUser (38) checks its NT pair first (a wrong one is WRONG_PASSWORD,
//!   counted); one that also carries the LM pair (LmPresent) is then
//!   STATUS_PASSWORD_RESTRICTION, and one without the NT pair WRONG_PASSWORD;
//! - OemChangePasswordUser2 (54), LM-only: a missing buffer or verifier is
//!   STATUS_INVALID_PARAMETER, an unknown user WRONG_PASSWORD, a known one
//!   PASSWORD_RESTRICTION (3.1.5.10.2);
//! - UnicodeChangePasswordUser2/3 prove the NT form and ignore the LM one beside it.
//!
//! These calls (all but 38) need no handle and are open to the anonymous logon (a user
//! whose password expired cannot log on to change it otherwise).

use lwio_core::NtStatus;
use lwio_rpc::ndr::{NdrWriter, PolicyHandle, RpcUnicodeString};
use lwio_rpc::ndr_struct;
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::domain::to_wire_delta;
use super::types::*;
use super::{Fail, Obj, Res, SamrInterface, reply};
use crate::crypto;
use crate::policy::PasswordSource;
use crate::sam::NewPassword;

ndr_struct! {
    /// USER_PWD_CHANGE_FAILURE_INFORMATION (MS-SAMR 2.2.6), the reply of a restricted change.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ChangeFailureInfo {
        /// ExtendedFailureReason (SAM_PWD_CHANGE_*).
        pub reason: u32,
        /// FilterModuleName.
        pub filter_module: RpcUnicodeString,
    }
}

/// SAM_PWD_CHANGE_NO_ERROR: the reason reported for a restriction no policy rule
/// explains (the domain refusing changes); the rules' own are
/// [`crate::policy::Refusal::extended_reason`].
const SAM_PWD_CHANGE_NO_ERROR: u32 = 0;

impl SamrInterface {
    fn user_named(&self, name: &str) -> Res<crate::User> {
        self.sam
            .user_by_name(name)
            .map_err(|_| Fail::Status(NtStatus::WRONG_PASSWORD))
    }

    /// The stored hash of `u`, or WRONG_PASSWORD.
    fn stored_hash(&self, u: &crate::User) -> Res<[u8; 16]> {
        self.sam
            .effective_hash(u)
            .ok_or(Fail::Status(NtStatus::WRONG_PASSWORD))
    }

    /// A proof that failed: counted toward lockout.
    fn wrong(&self, rid: u32) -> Fail {
        Fail::Status(self.sam.note_bad_password(rid))
    }

    pub(super) fn change_password_user(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let lm_present: u8 = r.read()?;
        let _old_lm: Option<EncHash> = r.read()?;
        let _new_lm: Option<EncHash> = r.read()?;
        let nt_present: u8 = r.read()?;
        let old_nt_with_new: Option<EncHash> = r.read()?;
        let new_nt_with_old: Option<EncHash> = r.read()?;
        let _nt_cross_present: u8 = r.read()?;
        let _nt_cross: Option<EncHash> = r.read()?;
        let _lm_cross_present: u8 = r.read()?;
        let _lm_cross: Option<EncHash> = r.read()?;
        super::finish(&r)?;
        let res = (|| -> Res<()> {
            let rid = self.want(
                ctx,
                &h,
                |o| match o {
                    Obj::User(r) => Some(*r),
                    _ => None,
                },
                USER_CHANGE_PASSWORD,
            )?;
            let u = self.sam.user(rid)?;
            let (Some(old_enc), Some(new_enc)) = (old_nt_with_new, new_nt_with_old) else {
                return Err(NtStatus::WRONG_PASSWORD.into());
            };
            if nt_present == 0 {
                return Err(NtStatus::WRONG_PASSWORD.into());
            }
            let stored = self.stored_hash(&u)?;
            let new_hash = crypto::decrypt_hash(&new_enc, &stored);
            if crypto::decrypt_hash(&old_enc, &new_hash) != stored {
                return Err(self.wrong(rid));
            }
            if lm_present != 0 {
                // Proven, but it asks to keep an LM hash: refused by the policy.
                return Err(NtStatus::PASSWORD_RESTRICTION.into());
            }
            let new = NewPassword {
                text: None,
                hash: new_hash,
            };
            Ok(self.sam.change_password(rid, &stored, &new)?)
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn oem_change_password(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let _server: Option<RpcString> = r.read()?;
        let user: RpcString = r.read()?;
        let new: Option<EncUserPassword> = r.read()?;
        let old: Option<EncHash> = r.read()?;
        super::finish(&r)?;
        let res = (|| -> Res<()> {
            if new.is_none() || old.is_none() {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            self.user_named(&user.text())?;
            Err(NtStatus::PASSWORD_RESTRICTION.into())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn unicode_change_password(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        v3: bool,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let _server: Option<RpcUnicodeString> = r.read()?;
        let user: RpcUnicodeString = r.read()?;
        let new_with_old: Option<EncUserPassword> = r.read()?;
        let old_with_new: Option<EncHash> = r.read()?;
        let _lm_present: u8 = r.read()?;
        let _lm_new: Option<EncUserPassword> = r.read()?;
        let _lm_old: Option<EncHash> = r.read()?;
        if v3 {
            let _additional: Option<EncUserPassword> = r.read()?;
        }
        super::finish(&r)?;
        // The proven new password and its account, for the reason of a restriction.
        let mut proven: Option<(u32, NewPassword)> = None;
        let res = (|| -> Res<()> {
            let u = self.user_named(&text(&user))?;
            let (Some(new_enc), Some(old_enc)) = (new_with_old, old_with_new) else {
                return Err(NtStatus::WRONG_PASSWORD.into());
            };
            let stored = self.stored_hash(&u)?;
            let Ok(pw) = crypto::decrypt_user_password(&new_enc.0, &stored) else {
                return Err(self.wrong(u.rid));
            };
            let new = NewPassword::from_clear(&pw);
            if crypto::decrypt_hash(&old_enc, &new.hash) != stored {
                return Err(self.wrong(u.rid));
            }
            let done = self.sam.change_password(u.rid, &stored, &new);
            proven = Some((u.rid, new));
            Ok(done?)
        })();
        if !v3 {
            return reply(res, |_, _| {});
        }
        let restricted = res == Err(Fail::Status(NtStatus::PASSWORD_RESTRICTION));
        let reason = proven
            .and_then(|(rid, new)| self.sam.password_refusal(rid, &new, PasswordSource::Change))
            .map_or(SAM_PWD_CHANGE_NO_ERROR, |r| r.extended_reason());
        let policy = self.sam.domain().ok().map(|d| DomainPasswordInfo {
            min_length: d.password.min_length,
            history_length: d.password.history_length,
            properties: d.password.properties,
            max_age: OldLarge(to_wire_delta(d.password.max_age)),
            min_age: OldLarge(-d.password.min_age),
        });
        let mut w = NdrWriter::new();
        let status = match res {
            Ok(()) => NtStatus::SUCCESS,
            Err(Fail::Fault(f)) => return Err(f),
            Err(Fail::Status(s)) => s,
        };
        w.write(&policy);
        w.write(&restricted.then(|| ChangeFailureInfo {
            reason,
            filter_module: RpcUnicodeString::null(),
        }));
        w.align(4);
        w.u32(status.0);
        Ok(w.into_bytes())
    }

    pub(super) fn change_password_aes(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let _server: Option<RpcUnicodeString> = r.read()?;
        let user: RpcUnicodeString = r.read()?;
        let enc: EncPasswordAes = r.read()?;
        super::finish(&r)?;
        let res = (|| -> Res<()> {
            if !(crypto::MIN_PBKDF2_ITERATIONS..=crypto::MAX_PBKDF2_ITERATIONS)
                .contains(&enc.iterations)
            {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            let u = self.user_named(&text(&user))?;
            let stored = self.stored_hash(&u)?;
            let cek = crypto::change_cek(&stored, &enc.salt, enc.iterations);
            let Ok(pw) = crypto::decrypt_aes_password(&enc.to_crypto(), &cek) else {
                return Err(self.wrong(u.rid));
            };
            Ok(self
                .sam
                .change_password(u.rid, &stored, &NewPassword::from_clear(&pw))?)
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn domain_password_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let _unused: Option<RpcUnicodeString> = super::decode(ctx, stub)?;
        let res = (|| -> Res<UserDomainPasswordInformation> {
            let d = self.sam.domain()?;
            Ok(UserDomainPasswordInformation {
                min_length: d.password.min_length,
                properties: d.password.properties,
            })
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }
}
