//! The user object's calls (MS-SAMR 3.1.5.1.9 OpenUser, 3.1.5.7.3 DeleteUser,
//! 3.1.5.5.6 QueryInformationUser, 3.1.5.6.4-5 SetInformationUser, 3.1.5.9.1
//! GetGroupsForUser, 3.1.5.13.3 GetUserDomainPasswordInformation).
//!
//! Passwords arrive encrypted with the session key (the SMB session key for a pipe
//! opened over SMB, the NTLM one for an authenticated bind): levels 18 and 21 carry the
//! NT hash DES-encrypted, 23/24 the RC4 SAMPR_ENCRYPTED_USER_PASSWORD, 25/26 its salted
//! form, 31/32 the AES form. A buffer that does not decrypt is STATUS_WRONG_PASSWORD;
//! no session key at all is STATUS_NO_USER_SESSION_KEY.

use lwio_core::NtStatus;
use lwio_rpc::ndr::{PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::domain::domain_of;
use super::types::*;
use super::user_types::*;
use super::{Fail, Obj, Res, SamrInterface, reply};
use crate::crypto;
use crate::model::{self, Acb, DomainKind, GroupKind, NEVER, User, rid};
use crate::policy::PasswordSource;
use crate::sam::NewPassword;

fn user_of(o: &Obj) -> Option<u32> {
    match o {
        Obj::User(r) => Some(*r),
        _ => None,
    }
}

/// The access a query of `level` needs (3.1.5.5.6).
fn query_access(level: u16) -> Option<u32> {
    Some(match level {
        1 | 6 | 7 | 8 | 9 | 13 => USER_READ_GENERAL,
        2 => USER_READ_PREFERENCES,
        3 => USER_READ_GENERAL | USER_READ_PREFERENCES | USER_READ_LOGON,
        4 | 10 | 11 | 12 | 14 => USER_READ_LOGON,
        5 => USER_READ_GENERAL | USER_READ_PREFERENCES | USER_READ_LOGON | USER_READ_ACCOUNT,
        16 | 17 | 20 => USER_READ_ACCOUNT,
        21 => USER_READ_GENERAL | USER_READ_PREFERENCES | USER_READ_LOGON | USER_READ_ACCOUNT,
        _ => return None,
    })
}

/// The access a set of `info` needs (3.1.5.6.4).
fn set_access(info: &UserInfo) -> Option<u32> {
    Some(match info {
        UserInfo::Preferences(_) => USER_WRITE_PREFERENCES,
        UserInfo::LogonHours(_)
        | UserInfo::Name(_)
        | UserInfo::AccountName(_)
        | UserInfo::FullName(_)
        | UserInfo::PrimaryGroup(_)
        | UserInfo::Home(_)
        | UserInfo::Script(_)
        | UserInfo::Profile(_)
        | UserInfo::AdminComment(_)
        | UserInfo::WorkStations(_)
        | UserInfo::Control(_)
        | UserInfo::Expires(_)
        | UserInfo::Parameters(_) => USER_WRITE_ACCOUNT,
        UserInfo::All(a) => {
            let mut need = account_fields_access(a);
            if a.which_fields & PASSWORD_FIELDS != 0 {
                need |= USER_FORCE_PASSWORD_CHANGE;
            }
            need
        }
        // The password levels that carry SAMPR_USER_ALL_INFORMATION beside the password
        // also write the account fields it selects.
        UserInfo::Internal4(i) => USER_FORCE_PASSWORD_CHANGE | account_fields_access(&i.all),
        UserInfo::Internal4New(i) => USER_FORCE_PASSWORD_CHANGE | account_fields_access(&i.all),
        UserInfo::Internal8(i) => USER_FORCE_PASSWORD_CHANGE | account_fields_access(&i.all),
        UserInfo::Internal1(_)
        | UserInfo::Internal5(_)
        | UserInfo::Internal5New(_)
        | UserInfo::Internal7(_) => USER_FORCE_PASSWORD_CHANGE,
        _ => return None,
    })
}

/// The fields of SAMPR_USER_ALL_INFORMATION that are the password's.
const PASSWORD_FIELDS: u32 =
    fields::NTPASSWORDPRESENT | fields::LMPASSWORDPRESENT | fields::PASSWORDEXPIRED;

/// USER_WRITE_ACCOUNT when `a` selects any field but the password's, else nothing.
fn account_fields_access(a: &UserAll) -> u32 {
    if a.which_fields & !PASSWORD_FIELDS != 0 {
        USER_WRITE_ACCOUNT
    } else {
        0
    }
}

impl SamrInterface {
    /// PasswordCanChange and PasswordMustChange of `u`.
    fn password_times(&self, u: &User, d: &model::Domain) -> (i64, i64) {
        if u.password_last_set == 0 {
            return (0, 0);
        }
        let can = u.password_last_set.saturating_add(d.password.min_age);
        let must = if u.acb & Acb::PWNOEXP.0 != 0 || d.password.max_age == 0 {
            NEVER
        } else {
            u.password_last_set.saturating_add(d.password.max_age)
        };
        (can, must)
    }

    /// The account control bits as a query reports them (AUTOLOCK while locked,
    /// PW_EXPIRED when expired).
    pub(super) fn reported_acb(&self, u: &User, d: &model::Domain) -> u32 {
        let now = model::now();
        let mut acb = u.acb;
        if self.sam.locked_out(u, d, now) {
            acb |= Acb::AUTOLOCK.0;
        }
        // A user account whose password was never set (or was marked for change) or has
        // aged out reports USER_PASSWORD_EXPIRED; trust accounts never do.
        let user_account = u.acb & Acb::NORMAL.0 != 0 && u.acb & Acb::PWNOEXP.0 == 0;
        if user_account && (u.password_last_set == 0 || self.sam.password_expired(u, d, now)) {
            acb |= Acb::PW_EXPIRED.0;
        }
        acb
    }

    fn user_info(&self, u: &User, level: u16) -> Res<UserInfo> {
        let d = self.sam.domain()?;
        let (can, must) = self.password_times(u, &d);
        let acb = self.reported_acb(u, &d);
        let hours = LogonHours::of(u.logon_hours.0, &u.logon_hours.1);
        let expires = if u.account_expires == 0 {
            NEVER
        } else {
            u.account_expires
        };
        let s = |v: &str| ustr(v);
        Ok(match level {
            1 => UserInfo::General(UserGeneral {
                user_name: s(&u.name),
                full_name: s(&u.full_name),
                primary_group: u.primary_group,
                admin_comment: s(&u.description),
                user_comment: s(&u.comment),
            }),
            2 => UserInfo::Preferences(UserPreferences {
                user_comment: s(&u.comment),
                reserved: RpcUnicodeString::null(),
                country_code: u.country_code,
                code_page: u.code_page,
            }),
            3 => UserInfo::Logon(UserLogon {
                user_name: s(&u.name),
                full_name: s(&u.full_name),
                user_id: u.rid,
                primary_group: u.primary_group,
                home_directory: s(&u.home_directory),
                home_drive: s(&u.home_drive),
                script_path: s(&u.script_path),
                profile_path: s(&u.profile_path),
                workstations: s(&u.workstations),
                last_logon: OldLarge(u.last_logon),
                last_logoff: OldLarge(u.last_logoff),
                password_last_set: OldLarge(u.password_last_set),
                password_can_change: OldLarge(can),
                password_must_change: OldLarge(must),
                logon_hours: hours,
                bad_password_count: u.bad_password_count,
                logon_count: u.logon_count,
                account_control: acb,
            }),
            4 => UserInfo::LogonHours(UserLogonHours { logon_hours: hours }),
            5 => UserInfo::Account(UserAccount {
                user_name: s(&u.name),
                full_name: s(&u.full_name),
                user_id: u.rid,
                primary_group: u.primary_group,
                home_directory: s(&u.home_directory),
                home_drive: s(&u.home_drive),
                script_path: s(&u.script_path),
                profile_path: s(&u.profile_path),
                admin_comment: s(&u.description),
                workstations: s(&u.workstations),
                last_logon: OldLarge(u.last_logon),
                last_logoff: OldLarge(u.last_logoff),
                logon_hours: hours,
                bad_password_count: u.bad_password_count,
                logon_count: u.logon_count,
                password_last_set: OldLarge(u.password_last_set),
                account_expires: OldLarge(expires),
                account_control: acb,
            }),
            6 => UserInfo::Name(TwoStrings {
                first: s(&u.name),
                second: s(&u.full_name),
            }),
            7 => UserInfo::AccountName(StringInfo { value: s(&u.name) }),
            8 => UserInfo::FullName(StringInfo {
                value: s(&u.full_name),
            }),
            9 => UserInfo::PrimaryGroup(u.primary_group),
            10 => UserInfo::Home(TwoStrings {
                first: s(&u.home_directory),
                second: s(&u.home_drive),
            }),
            11 => UserInfo::Script(StringInfo {
                value: s(&u.script_path),
            }),
            12 => UserInfo::Profile(StringInfo {
                value: s(&u.profile_path),
            }),
            13 => UserInfo::AdminComment(StringInfo {
                value: s(&u.description),
            }),
            14 => UserInfo::WorkStations(StringInfo {
                value: s(&u.workstations),
            }),
            16 => UserInfo::Control(acb),
            17 => UserInfo::Expires(OldLarge(expires)),
            20 => UserInfo::Parameters(StringInfo {
                value: s(&u.parameters),
            }),
            21 => UserInfo::All(UserAll {
                last_logon: OldLarge(u.last_logon),
                last_logoff: OldLarge(u.last_logoff),
                password_last_set: OldLarge(u.password_last_set),
                account_expires: OldLarge(expires),
                password_can_change: OldLarge(can),
                password_must_change: OldLarge(must),
                user_name: s(&u.name),
                full_name: s(&u.full_name),
                home_directory: s(&u.home_directory),
                home_drive: s(&u.home_drive),
                script_path: s(&u.script_path),
                profile_path: s(&u.profile_path),
                admin_comment: s(&u.description),
                workstations: s(&u.workstations),
                user_comment: s(&u.comment),
                parameters: s(&u.parameters),
                user_id: u.rid,
                primary_group: u.primary_group,
                account_control: acb,
                // Every field but the secrets (3.1.5.5.6: the OWF passwords, private
                // data and descriptor are not returned).
                which_fields: 0x00FF_FFFF,
                logon_hours: hours,
                bad_password_count: u.bad_password_count,
                logon_count: u.logon_count,
                country_code: u.country_code,
                code_page: u.code_page,
                nt_present: u8::from(u.nt_hash.is_some()),
                password_expired: u8::from(u.password_last_set == 0),
                ..UserAll::default()
            }),
            18 | 23 | 24 | 25 | 26 | 31 | 32 => {
                return Err(NtStatus::INVALID_INFO_CLASS.into());
            }
            _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
        })
    }

    pub(super) fn open_user(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let (h, access, rid): (PolicyHandle, u32, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<PolicyHandle> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LOOKUP)?;
            if kind == DomainKind::Builtin {
                return Err(NtStatus::NO_SUCH_USER.into());
            }
            self.sam.user(rid)?;
            let obj = Obj::User(rid);
            let granted = self.grant(&ctx.token, &obj, access)?;
            self.open(ctx, obj, granted)
        })();
        reply(res, |w, h| w.write(&h.copied().unwrap_or_default()))
    }

    pub(super) fn delete_user(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, user_of, DELETE)?;
            if rid == rid::ADMINISTRATOR || rid == rid::GUEST {
                return Err(NtStatus::SPECIAL_ACCOUNT.into());
            }
            self.sam.delete_user(rid)?;
            ctx.handles.close::<super::Handle>(&h)?;
            Ok(())
        })();
        super::reply_closing(res, h)
    }

    pub(super) fn query_user_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level): (PolicyHandle, u16) = super::decode(ctx, stub)?;
        let res = (|| -> Res<UserInfo> {
            let rid = self.want(ctx, &h, user_of, 0)?;
            let need = query_access(level).ok_or(Fail::Status(NtStatus::INVALID_INFO_CLASS))?;
            self.want(ctx, &h, user_of, need)?;
            let u = self.sam.user(rid)?;
            self.user_info(&u, level)
        })();
        reply(res, |w, info| w.write(&info.cloned()))
    }

    pub(super) fn set_user_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level, info): (PolicyHandle, u16, UserInfo) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, user_of, 0)?;
            if level != info.level() {
                return Err(NtStatus::INVALID_INFO_CLASS.into());
            }
            let need = set_access(&info).ok_or(Fail::Status(NtStatus::INVALID_INFO_CLASS))?;
            self.want(ctx, &h, user_of, need)?;
            self.apply_user_info(rid, info, &ctx.session_key)
        })();
        reply(res, |_, _| {})
    }

    /// Applies a set of user information (the password levels decrypt first, so a
    /// buffer that does not decrypt changes nothing).
    fn apply_user_info(&self, rid: u32, info: UserInfo, key: &[u8]) -> Res<()> {
        let need_key = |key: &[u8]| -> Res<()> {
            if key.is_empty() {
                Err(NtStatus::NO_USER_SESSION_KEY.into())
            } else {
                Ok(())
            }
        };
        let set_plain = |pw: crypto::ClearPassword, expired: bool| -> Res<()> {
            self.sam.set_password(
                rid,
                &NewPassword::from_clear(&pw),
                PasswordSource::Reset,
                expired,
            )?;
            Ok(())
        };
        match info {
            UserInfo::Internal1(i) => {
                need_key(key)?;
                if i.nt_present != 0 {
                    let hash = crypto::decrypt_hash(&i.nt, &crypto::key16(key));
                    let new = NewPassword { text: None, hash };
                    self.sam.set_password(
                        rid,
                        &new,
                        PasswordSource::Reset,
                        i.password_expired != 0,
                    )?;
                } else {
                    self.set_expired(rid, i.password_expired != 0)?;
                }
                Ok(())
            }
            UserInfo::Internal4(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_user_password(&i.password.0, key)?;
                self.apply_all(rid, &i.all, key, true)?;
                set_plain(pw, all_expired(&i.all))
            }
            UserInfo::Internal5(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_user_password(&i.password.0, key)?;
                set_plain(pw, i.password_expired != 0)
            }
            UserInfo::Internal4New(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_user_password_new(&i.password.0, key)?;
                self.apply_all(rid, &i.all, key, true)?;
                set_plain(pw, all_expired(&i.all))
            }
            UserInfo::Internal5New(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_user_password_new(&i.password.0, key)?;
                set_plain(pw, i.password_expired != 0)
            }
            UserInfo::Internal7(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_aes_password(&i.password.to_crypto(), key)?;
                set_plain(pw, i.password_expired != 0)
            }
            UserInfo::Internal8(i) => {
                need_key(key)?;
                let pw = crypto::decrypt_aes_password(&i.password.to_crypto(), key)?;
                self.apply_all(rid, &i.all, key, true)?;
                set_plain(pw, all_expired(&i.all))
            }
            UserInfo::All(a) => self.apply_all(rid, &a, key, false),
            other => {
                let mut u = self.sam.user(rid)?;
                match other {
                    UserInfo::Preferences(p) => {
                        u.comment = text(&p.user_comment);
                        u.country_code = p.country_code;
                        u.code_page = p.code_page;
                    }
                    UserInfo::LogonHours(l) => set_hours(&mut u, &l.logon_hours)?,
                    UserInfo::Name(n) => {
                        u.name = text(&n.first);
                        u.full_name = text(&n.second);
                    }
                    UserInfo::AccountName(n) => u.name = text(&n.value),
                    UserInfo::FullName(n) => u.full_name = text(&n.value),
                    UserInfo::PrimaryGroup(g) => self.set_primary_group(&mut u, g)?,
                    UserInfo::Home(hd) => {
                        u.home_directory = text(&hd.first);
                        u.home_drive = text(&hd.second);
                    }
                    UserInfo::Script(s) => u.script_path = text(&s.value),
                    UserInfo::Profile(s) => u.profile_path = text(&s.value),
                    UserInfo::AdminComment(s) => u.description = text(&s.value),
                    UserInfo::WorkStations(s) => u.workstations = text(&s.value),
                    UserInfo::Control(acb) => set_control(&mut u, acb)?,
                    UserInfo::Expires(e) => u.account_expires = e.0,
                    UserInfo::Parameters(s) => u.parameters = text(&s.value),
                    _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
                }
                if u.name.is_empty() {
                    return Err(NtStatus::INVALID_ACCOUNT_NAME.into());
                }
                self.sam.update_user(&u)?;
                Ok(())
            }
        }
    }

    fn set_expired(&self, rid: u32, expired: bool) -> Res<()> {
        let mut u = self.sam.user(rid)?;
        u.password_last_set = if expired { 0 } else { model::now() };
        self.sam.update_user(&u)?;
        Ok(())
    }

    fn set_primary_group(&self, u: &mut User, group: u32) -> Res<()> {
        self.sam
            .group(DomainKind::Account, GroupKind::Group, group)
            .map_err(|_| Fail::Status(NtStatus::NO_SUCH_GROUP))?;
        if !self
            .sam
            .store()
            .groups_of_user(u.rid)
            .map_err(crate::sam::store_status)?
            .contains(&group)
        {
            return Err(NtStatus::MEMBER_NOT_IN_GROUP.into());
        }
        u.primary_group = group;
        Ok(())
    }

    /// Applies the fields of SAMPR_USER_ALL_INFORMATION that WhichFields selects.
    /// `with_password`: the level carries its own password buffer, so the hash fields
    /// are ignored.
    fn apply_all(&self, rid: u32, a: &UserAll, key: &[u8], with_password: bool) -> Res<()> {
        use fields::*;
        let f = a.which_fields;
        // The hash fields are checked before anything is written: an OWF that is not
        // 16 bytes is INVALID_PARAMETER and changes nothing. The LM one, once checked,
        // is not kept (the SAM stores no LM hash).
        let owf = |present: u32, set: u8, blob: &ShortBlob| -> Res<Option<[u8; 16]>> {
            if with_password || f & present == 0 || set == 0 {
                return Ok(None);
            }
            let bytes = blob.bytes();
            if blob.length != 16 || bytes.len() != 16 {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            let mut out = [0u8; 16];
            out.copy_from_slice(&bytes);
            Ok(Some(out))
        };
        let nt_owf = owf(NTPASSWORDPRESENT, a.nt_present, &a.nt_owf)?;
        owf(LMPASSWORDPRESENT, a.lm_present, &a.lm_owf)?;
        if nt_owf.is_some() && key.is_empty() {
            return Err(NtStatus::NO_USER_SESSION_KEY.into());
        }
        let mut u = self.sam.user(rid)?;
        let t = text;
        if f & USERNAME != 0 {
            u.name = t(&a.user_name);
            if u.name.is_empty() {
                return Err(NtStatus::INVALID_ACCOUNT_NAME.into());
            }
        }
        if f & FULLNAME != 0 {
            u.full_name = t(&a.full_name);
        }
        if f & PRIMARYGROUPID != 0 {
            self.set_primary_group(&mut u, a.primary_group)?;
        }
        if f & ADMINCOMMENT != 0 {
            u.description = t(&a.admin_comment);
        }
        if f & USERCOMMENT != 0 {
            u.comment = t(&a.user_comment);
        }
        if f & HOMEDIRECTORY != 0 {
            u.home_directory = t(&a.home_directory);
        }
        if f & HOMEDIRECTORYDRIVE != 0 {
            u.home_drive = t(&a.home_drive);
        }
        if f & SCRIPTPATH != 0 {
            u.script_path = t(&a.script_path);
        }
        if f & PROFILEPATH != 0 {
            u.profile_path = t(&a.profile_path);
        }
        if f & WORKSTATIONS != 0 {
            u.workstations = t(&a.workstations);
        }
        if f & LOGONHOURS != 0 {
            set_hours(&mut u, &a.logon_hours)?;
        }
        if f & BADPASSWORDCOUNT != 0 {
            // Only a reset to zero is meaningful (an administrator unlocking).
            u.bad_password_count = 0;
        }
        if f & ACCOUNTEXPIRES != 0 {
            u.account_expires = a.account_expires.0;
        }
        if f & USERACCOUNTCONTROL != 0 {
            set_control(&mut u, a.account_control)?;
        }
        if f & PARAMETERS != 0 {
            u.parameters = t(&a.parameters);
        }
        if f & COUNTRYCODE != 0 {
            u.country_code = a.country_code;
        }
        if f & CODEPAGE != 0 {
            u.code_page = a.code_page;
        }
        self.sam.update_user(&u)?;
        if !with_password {
            if let Some(enc) = nt_owf {
                let hash = crypto::decrypt_hash(&enc, &crypto::key16(key));
                self.sam.set_password(
                    rid,
                    &NewPassword { text: None, hash },
                    PasswordSource::Reset,
                    f & PASSWORDEXPIRED != 0 && a.password_expired != 0,
                )?;
            } else if f & PASSWORDEXPIRED != 0 {
                self.set_expired(rid, a.password_expired != 0)?;
            }
        }
        Ok(())
    }

    pub(super) fn groups_for_user(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<GetGroupsBuffer> {
            let rid = self.want(ctx, &h, user_of, USER_LIST_GROUPS)?;
            let groups: Vec<GroupMembership> = self
                .sam
                .store()
                .groups_of_user(rid)
                .map_err(crate::sam::store_status)?
                .into_iter()
                .map(|g| GroupMembership {
                    rid: g,
                    attributes: 7,
                })
                .collect();
            Ok(GetGroupsBuffer {
                count: groups.len() as u32,
                groups: Some(groups),
            })
        })();
        reply(res, |w, v| w.write(&v.cloned()))
    }

    pub(super) fn user_password_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<UserDomainPasswordInformation> {
            let rid = self.want(ctx, &h, user_of, 0)?;
            let u = self.sam.user(rid)?;
            let d = self.sam.domain()?;
            // Trust and no-expiry accounts report no restrictions (3.1.5.13.3).
            if u.acb & (Acb::WSTRUST.0 | Acb::SVRTRUST.0 | Acb::DOMTRUST.0) != 0 {
                return Ok(UserDomainPasswordInformation::default());
            }
            Ok(UserDomainPasswordInformation {
                min_length: d.password.min_length,
                properties: d.password.properties,
            })
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }
}

fn all_expired(a: &UserAll) -> bool {
    a.which_fields & fields::PASSWORDEXPIRED != 0 && a.password_expired != 0
}

fn set_hours(u: &mut User, h: &LogonHours) -> Res<()> {
    let bytes = h
        .hours
        .as_ref()
        .map(|b| b.items.clone())
        .unwrap_or_default();
    let need = usize::from(h.units_per_week).div_ceil(8);
    if bytes.len() != need || need > 1260 {
        return Err(NtStatus::INVALID_PARAMETER.into());
    }
    u.logon_hours = (h.units_per_week, bytes);
    Ok(())
}

/// A new UserAccountControl: one account type, AUTOLOCK only cleared (unlock), the
/// computed PW_EXPIRED not stored.
fn set_control(u: &mut User, acb: u32) -> Res<()> {
    let types = acb & Acb::TYPE_MASK;
    if types.count_ones() != 1 {
        return Err(NtStatus::INVALID_PARAMETER.into());
    }
    if acb & Acb::AUTOLOCK.0 == 0 {
        u.lockout_time = 0;
        u.bad_password_count = 0;
    }
    u.acb = acb & !(Acb::AUTOLOCK.0 | Acb::PW_EXPIRED.0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_level_that_writes_account_fields_needs_write_account_too() {
        let with = |which_fields| {
            UserInfo::Internal4(UserInternal4 {
                all: UserAll {
                    which_fields,
                    ..UserAll::default()
                },
                password: EncUserPassword::default(),
            })
        };
        assert_eq!(
            set_access(&with(fields::NTPASSWORDPRESENT)),
            Some(USER_FORCE_PASSWORD_CHANGE)
        );
        assert_eq!(
            set_access(&with(fields::NTPASSWORDPRESENT | fields::FULLNAME)),
            Some(USER_FORCE_PASSWORD_CHANGE | USER_WRITE_ACCOUNT)
        );
        let all = UserInfo::All(UserAll {
            which_fields: fields::FULLNAME,
            ..UserAll::default()
        });
        assert_eq!(set_access(&all), Some(USER_WRITE_ACCOUNT));
    }
}
