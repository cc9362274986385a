//! The domain object's calls (MS-SAMR 3.1.5.1.5, 3.1.5.2, 3.1.5.3, 3.1.5.4, 3.1.5.5,
//! 3.1.5.9, 3.1.5.11, 3.1.5.13.x): domain information, enumeration, display
//! information, lookups, creates, alias membership, RidToSid.

use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::{ConfVarArray, PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::types::*;
use super::{Fail, Obj, Res, SamrInterface, opnum, reply, reply_status};
use crate::model::{self, Acb, DomainKind, GroupKind, NEVER, SidType};

/// The most names or RIDs one lookup may carry (MS-SAMR 3.1.5.11.2: `range(0,1000)`).
pub(crate) const MAX_LOOKUP: u32 = 1000;

/// A relative time as the wire carries it: negative, or the most negative for "never".
pub(crate) fn to_wire_delta(v: i64) -> i64 {
    if v == 0 || v == NEVER { i64::MIN } else { -v }
}

/// A relative time from the wire; 0 and "never" both read as 0 (none).
pub(crate) fn from_wire_delta(v: i64) -> Result<i64, NtStatus> {
    if v == i64::MIN || v == 0 {
        Ok(0)
    } else if v > 0 {
        Err(NtStatus::INVALID_PARAMETER)
    } else {
        Ok(-v)
    }
}

/// The domain a handle names, with the access it must carry.
pub(crate) fn domain_of(o: &Obj) -> Option<DomainKind> {
    match o {
        Obj::Domain(k) => Some(*k),
        _ => None,
    }
}

impl SamrInterface {
    fn domain_general(&self, kind: DomainKind) -> Res<DomainGeneralInfo> {
        let d = self.sam.domain()?;
        let (name, users, groups) = match kind {
            DomainKind::Account => (
                d.name.clone(),
                self.sam.users()?.len(),
                self.sam.groups(kind, GroupKind::Group)?.len(),
            ),
            DomainKind::Builtin => ("Builtin".to_owned(), 0, 0),
        };
        let aliases = self.sam.groups(kind, GroupKind::Alias)?.len();
        Ok(DomainGeneralInfo {
            force_logoff: OldLarge(to_wire_delta(d.force_logoff)),
            oem_information: ustr(&d.oem_information),
            domain_name: ustr(&name),
            replica_source: RpcUnicodeString::null(),
            modified_count: OldLarge(d.modified_count as i64),
            server_state: 1,
            server_role: 3,
            uas_compatibility: 1,
            user_count: users as u32,
            group_count: groups as u32,
            alias_count: aliases as u32,
        })
    }

    fn domain_info(&self, kind: DomainKind, level: u16) -> Res<DomainInfo> {
        let d = self.sam.domain()?;
        let password = DomainPasswordInfo {
            min_length: d.password.min_length,
            history_length: d.password.history_length,
            properties: d.password.properties,
            max_age: OldLarge(to_wire_delta(d.password.max_age)),
            min_age: OldLarge(-d.password.min_age),
        };
        let modified = DomainModifiedInfo {
            modified_count: OldLarge(d.modified_count as i64),
            creation_time: OldLarge(d.creation_time),
        };
        Ok(match level {
            1 => DomainInfo::Password(password),
            2 => DomainInfo::General(self.domain_general(kind)?),
            3 => DomainInfo::Logoff(DomainLogoffInfo {
                force_logoff: OldLarge(to_wire_delta(d.force_logoff)),
            }),
            4 => DomainInfo::Oem(DomainStringInfo {
                value: ustr(&d.oem_information),
            }),
            5 => DomainInfo::Name(DomainStringInfo {
                value: ustr(match kind {
                    DomainKind::Account => &d.name,
                    DomainKind::Builtin => "Builtin",
                }),
            }),
            6 => DomainInfo::Replication(DomainStringInfo {
                value: RpcUnicodeString::null(),
            }),
            7 => DomainInfo::Role(3),
            8 => DomainInfo::Modified(modified),
            9 => DomainInfo::State(1),
            11 => DomainInfo::General2(DomainGeneralInfo2 {
                general: self.domain_general(kind)?,
                lockout_duration: OldLarge(to_wire_delta(d.lockout.duration)),
                lockout_window: OldLarge(-d.lockout.window),
                lockout_threshold: d.lockout.threshold,
            }),
            12 => DomainInfo::Lockout(DomainLockoutInfo {
                duration: to_wire_delta(d.lockout.duration),
                window: -d.lockout.window,
                threshold: d.lockout.threshold,
            }),
            13 => DomainInfo::Modified2(DomainModifiedInfo2 {
                modified_count: modified.modified_count,
                creation_time: modified.creation_time,
                at_last_promotion: OldLarge(0),
            }),
            _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
        })
    }

    pub(super) fn query_domain_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level): (PolicyHandle, u16) = super::decode(ctx, stub)?;
        let res = (|| -> Res<DomainInfo> {
            let need = match level {
                1 | 12 => DOMAIN_READ_PASSWORD_PARAMETERS,
                _ => DOMAIN_READ_OTHER_PARAMETERS,
            };
            let kind = self.want(ctx, &h, domain_of, 0)?;
            let info = self.domain_info(kind, level)?;
            self.want(ctx, &h, domain_of, need)?;
            Ok(info)
        })();
        reply(res, |w, info| w.write(&info.cloned()))
    }

    pub(super) fn set_domain_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, _level, info): (PolicyHandle, u16, DomainInfo) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let need = match &info {
                DomainInfo::Password(_) | DomainInfo::Lockout(_) => DOMAIN_WRITE_PASSWORD_PARAMS,
                DomainInfo::Logoff(_)
                | DomainInfo::Oem(_)
                | DomainInfo::Replication(_)
                | DomainInfo::Role(_)
                | DomainInfo::State(_) => DOMAIN_WRITE_OTHER_PARAMETERS,
                _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
            };
            let kind = self.want(ctx, &h, domain_of, need)?;
            let mut d = self.sam.domain()?;
            match info {
                DomainInfo::Password(p) => {
                    let max_age = from_wire_delta(p.max_age.0)?;
                    let min_age = from_wire_delta(p.min_age.0)?;
                    if p.min_length > 256
                        || p.history_length > 1024
                        || (max_age != 0 && min_age > max_age)
                    {
                        return Err(NtStatus::INVALID_PARAMETER.into());
                    }
                    d.password = model::PasswordPolicy {
                        min_length: p.min_length,
                        history_length: p.history_length,
                        properties: p.properties,
                        max_age,
                        min_age,
                    };
                }
                DomainInfo::Lockout(l) => {
                    let duration = from_wire_delta(l.duration)?;
                    let window = from_wire_delta(l.window)?;
                    if duration != 0 && window > duration {
                        return Err(NtStatus::INVALID_PARAMETER.into());
                    }
                    d.lockout = model::LockoutPolicy {
                        duration: if l.duration == i64::MIN {
                            NEVER
                        } else {
                            duration
                        },
                        window,
                        threshold: l.threshold,
                    };
                }
                DomainInfo::Logoff(l) => {
                    d.force_logoff = match from_wire_delta(l.force_logoff.0)? {
                        0 => NEVER,
                        v => v,
                    };
                }
                DomainInfo::Oem(s) if kind == DomainKind::Account => {
                    d.oem_information = text(&s.value);
                }
                // The replication source, role and state of a standalone server do not
                // change; Windows accepts the set and keeps them.
                _ => {}
            }
            self.sam.set_domain(d)?;
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    /// The accounts an enumeration or display walks, in order: (rid, name, description,
    /// acb or attributes, full name).
    fn listing(&self, kind: DomainKind, what: u16, acb_filter: u32) -> Res<Vec<Entry>> {
        Ok(match what {
            opnum::ENUMERATE_USERS => {
                if kind == DomainKind::Builtin {
                    Vec::new()
                } else {
                    let d = self.sam.domain()?;
                    self.sam
                        .users()?
                        .into_iter()
                        .filter(|u| acb_filter == 0 || u.acb & acb_filter != 0)
                        .map(|u| Entry {
                            rid: u.rid,
                            flags: self.reported_acb(&u, &d),
                            name: u.name,
                            description: u.description,
                            full_name: u.full_name,
                        })
                        .collect()
                }
            }
            opnum::ENUMERATE_GROUPS => self
                .sam
                .groups(kind, GroupKind::Group)?
                .into_iter()
                .map(|g| Entry {
                    rid: g.rid,
                    name: g.name,
                    description: g.description,
                    flags: g.attributes,
                    full_name: String::new(),
                })
                .collect(),
            _ => self
                .sam
                .groups(kind, GroupKind::Alias)?
                .into_iter()
                .map(|g| Entry {
                    rid: g.rid,
                    name: g.name,
                    description: g.description,
                    flags: 0,
                    full_name: String::new(),
                })
                .collect(),
        })
    }

    pub(super) fn enumerate_accounts(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let context: u32 = r.read()?;
        let acb_filter = if op == opnum::ENUMERATE_USERS {
            r.read::<u32>()?
        } else {
            0
        };
        let max: u32 = r.read()?;
        super::finish(&r)?;
        let res = (|| -> Res<((u32, EnumerationBuffer), NtStatus)> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LIST_ACCOUNTS)?;
            let all = self.listing(kind, op, acb_filter)?;
            // The context is the RID after the last one returned, so that creates and
            // deletes between calls neither repeat nor skip the rest.
            let rest: Vec<&Entry> = all.iter().filter(|e| e.rid >= context).collect();
            let mut out = Vec::new();
            let mut size = 0usize;
            for e in &rest {
                let cost = 12 + e.name.len() * 2;
                if !out.is_empty() && size + cost > max as usize {
                    break;
                }
                size += cost;
                out.push(RidEnumeration {
                    rid: e.rid,
                    name: ustr(&e.name),
                });
            }
            let more = out.len() < rest.len();
            let next = out.last().map_or(context, |e| e.rid.saturating_add(1));
            let status = if more {
                NtStatus::MORE_ENTRIES
            } else {
                NtStatus::SUCCESS
            };
            Ok((
                (
                    next,
                    EnumerationBuffer {
                        count: out.len() as u32,
                        buffer: Some(out),
                    },
                ),
                status,
            ))
        })();
        reply_status(res, |w, v| {
            w.u32(v.map_or(context, |v| v.0));
            w.write(&v.map(|v| v.1.clone()));
            w.u32(v.map_or(0, |v| v.1.count));
        })
    }

    /// The display list of `level`, sorted by name as Windows keeps it.
    fn display_list(&self, level: u16) -> Res<Vec<Entry>> {
        let mut list = match level {
            1 | 4 => self.listing(DomainKind::Account, opnum::ENUMERATE_USERS, Acb::NORMAL.0)?,
            2 => self.listing(
                DomainKind::Account,
                opnum::ENUMERATE_USERS,
                Acb::WSTRUST.0 | Acb::SVRTRUST.0,
            )?,
            3 | 5 => self.listing(DomainKind::Account, opnum::ENUMERATE_GROUPS, 0)?,
            _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
        };
        list.sort_by_key(|e| e.name.to_lowercase());
        Ok(list)
    }

    pub(super) fn query_display(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level, index, count, max): (PolicyHandle, u16, u32, u32, u32) =
            super::decode(ctx, stub)?;
        let res = (|| -> Res<((u32, u32, DisplayInfo), NtStatus)> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LIST_ACCOUNTS)?;
            let list = if kind == DomainKind::Builtin {
                if !(1..=5).contains(&level) {
                    return Err(NtStatus::INVALID_INFO_CLASS.into());
                }
                Vec::new()
            } else {
                self.display_list(level)?
            };
            let total = list.len() as u32;
            let mut taken = Vec::new();
            let mut size = 0usize;
            for (i, e) in list.iter().enumerate().skip(index as usize) {
                if taken.len() as u32 >= count {
                    break;
                }
                let cost = 24 + (e.name.len() + e.description.len() + e.full_name.len()) * 2;
                if !taken.is_empty() && size + cost > max as usize {
                    break;
                }
                size += cost;
                taken.push((i as u32 + 1, e));
            }
            let more = (index as usize + taken.len()) < list.len();
            let n = taken.len() as u32;
            let info = match level {
                1 => DisplayInfo::User(DisplayUserBuffer {
                    count: n,
                    buffer: Some(
                        taken
                            .iter()
                            .map(|(i, e)| DisplayUser {
                                index: *i,
                                rid: e.rid,
                                account_control: e.flags,
                                account_name: ustr(&e.name),
                                admin_comment: ustr(&e.description),
                                full_name: ustr(&e.full_name),
                            })
                            .collect(),
                    ),
                }),
                2 => DisplayInfo::Machine(DisplayMachineBuffer {
                    count: n,
                    buffer: Some(
                        taken
                            .iter()
                            .map(|(i, e)| DisplayMachine {
                                index: *i,
                                rid: e.rid,
                                account_control: e.flags,
                                account_name: ustr(&e.name),
                                admin_comment: ustr(&e.description),
                            })
                            .collect(),
                    ),
                }),
                3 => DisplayInfo::Group(DisplayGroupBuffer {
                    count: n,
                    buffer: Some(
                        taken
                            .iter()
                            .map(|(i, e)| DisplayGroup {
                                index: *i,
                                rid: e.rid,
                                attributes: e.flags,
                                account_name: ustr(&e.name),
                                admin_comment: ustr(&e.description),
                            })
                            .collect(),
                    ),
                }),
                _ => {
                    let buf = DisplayOemBuffer {
                        count: n,
                        buffer: Some(
                            taken
                                .iter()
                                .map(|(i, e)| DisplayOem {
                                    index: *i,
                                    name: RpcString::new(&e.name),
                                })
                                .collect(),
                        ),
                    };
                    if level == 4 {
                        DisplayInfo::OemUser(buf)
                    } else {
                        DisplayInfo::OemGroup(buf)
                    }
                }
            };
            let status = if more {
                NtStatus::MORE_ENTRIES
            } else {
                NtStatus::SUCCESS
            };
            Ok(((total * 32, size as u32, info), status))
        })();
        reply_status(res, |w, v| {
            w.u32(v.map_or(0, |v| v.0));
            w.u32(v.map_or(0, |v| v.1));
            match v {
                Some(v) => w.write(&v.2),
                None => w.write(&DisplayInfo::User(DisplayUserBuffer::default())),
            }
        })
    }

    pub(super) fn display_index(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level, prefix): (PolicyHandle, u16, RpcUnicodeString) = super::decode(ctx, stub)?;
        let res = (|| -> Res<u32> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LIST_ACCOUNTS)?;
            if !(1..=3).contains(&level) {
                return Err(NtStatus::INVALID_INFO_CLASS.into());
            }
            if kind == DomainKind::Builtin {
                return Err(NtStatus::NO_MORE_ENTRIES.into());
            }
            let prefix = text(&prefix).to_lowercase();
            self.display_list(level)?
                .iter()
                .position(|e| e.name.to_lowercase().starts_with(&prefix))
                .map(|i| i as u32)
                .ok_or(Fail::Status(NtStatus::NO_MORE_ENTRIES))
        })();
        reply(res, |w, i| w.u32(i.copied().unwrap_or(0)))
    }

    pub(super) fn lookup_names(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, count, names): (PolicyHandle, u32, ConfVarArray<RpcUnicodeString>) =
            super::decode(ctx, stub)?;
        if count > MAX_LOOKUP || names.items.len() != count as usize || names.max_count > MAX_LOOKUP
        {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let res = (|| -> Res<((UlongArray, UlongArray), NtStatus)> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LOOKUP)?;
            let mut rids = Vec::new();
            let mut uses = Vec::new();
            for n in &names.items {
                match self.sam.lookup_name(kind, &text(n))? {
                    Some(r) => {
                        rids.push(r.sid.rid().unwrap_or(0));
                        uses.push(r.kind as u32);
                    }
                    None => {
                        rids.push(0);
                        uses.push(SidType::Unknown as u32);
                    }
                }
            }
            let mapped = uses
                .iter()
                .filter(|u| **u != SidType::Unknown as u32)
                .count();
            let status = if names.items.is_empty() || mapped == names.items.len() {
                NtStatus::SUCCESS
            } else if mapped == 0 {
                return Err(NtStatus::NONE_MAPPED.into());
            } else {
                NtStatus::SOME_NOT_MAPPED
            };
            Ok(((UlongArray::of(rids), UlongArray::of(uses)), status))
        })();
        reply_status(res, |w, v| {
            w.write(&v.map(|v| v.0.clone()).unwrap_or_default());
            w.write(&v.map(|v| v.1.clone()).unwrap_or_default());
        })
    }

    pub(super) fn lookup_ids(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, count, rids): (PolicyHandle, u32, ConfVarArray<u32>) = super::decode(ctx, stub)?;
        if count > MAX_LOOKUP || rids.items.len() != count as usize || rids.max_count > MAX_LOOKUP {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        let res = (|| -> Res<((UstringArray, UlongArray), NtStatus)> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LOOKUP)?;
            let mut names = Vec::new();
            let mut uses = Vec::new();
            for rid in &rids.items {
                match self.sam.lookup_rid(kind, *rid)? {
                    Some(r) => {
                        names.push(ustr(&r.name));
                        uses.push(r.kind as u32);
                    }
                    None => {
                        names.push(RpcUnicodeString::null());
                        uses.push(SidType::Unknown as u32);
                    }
                }
            }
            let mapped = uses
                .iter()
                .filter(|u| **u != SidType::Unknown as u32)
                .count();
            let status = if rids.items.is_empty() || mapped == rids.items.len() {
                NtStatus::SUCCESS
            } else if mapped == 0 {
                NtStatus::NONE_MAPPED
            } else {
                NtStatus::SOME_NOT_MAPPED
            };
            let n = names.len() as u32;
            Ok((
                (
                    UstringArray {
                        count: n,
                        element: Some(names),
                    },
                    UlongArray::of(uses),
                ),
                status,
            ))
        })();
        reply_status(res, |w, v| {
            w.write(&v.map(|v| v.0.clone()).unwrap_or_default());
            w.write(&v.map(|v| v.1.clone()).unwrap_or_default());
        })
    }

    pub(super) fn rid_to_sid(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, rid): (PolicyHandle, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<Sid> {
            let kind = self.want(
                ctx,
                &h,
                |o| match o {
                    Obj::Domain(k) | Obj::Alias(k, _) => Some(*k),
                    Obj::User(_) | Obj::Group(_) => Some(DomainKind::Account),
                    Obj::Server => None,
                },
                0,
            )?;
            self.domain_sid(kind)?
                .with_rid(rid)
                .map_err(|_| Fail::Status(NtStatus::INVALID_SID))
        })();
        reply(res, |w, sid| w.write(&sid.cloned()))
    }

    pub(super) fn get_alias_membership(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sids): (PolicyHandle, PsidArray) = super::decode(ctx, stub)?;
        let res = (|| -> Res<UlongArray> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_GET_ALIAS_MEMBERSHIP)?;
            let list: Vec<Sid> = sids
                .sids
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.sid)
                .collect();
            Ok(UlongArray::of(self.sam.aliases_of(kind, &list)?))
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }

    pub(super) fn remove_foreign_member(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sid): (PolicyHandle, Sid) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LOOKUP)?;
            for rid in self.sam.aliases_of(kind, std::slice::from_ref(&sid))? {
                let obj = Obj::Alias(kind, rid);
                self.grant(&ctx.token, &obj, ALIAS_REMOVE_MEMBER)?;
                self.sam.remove_alias_member(kind, rid, &sid)?;
            }
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn create_user(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        v2: bool,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let name: RpcUnicodeString = r.read()?;
        let account_type = if v2 { r.read::<u32>()? } else { Acb::NORMAL.0 };
        let access: u32 = r.read()?;
        super::finish(&r)?;
        let res = (|| -> Res<(PolicyHandle, u32, u32)> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_CREATE_USER)?;
            if kind == DomainKind::Builtin {
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let types = [
                Acb::NORMAL,
                Acb::WSTRUST,
                Acb::SVRTRUST,
                Acb::DOMTRUST,
                Acb::TEMPDUP,
            ];
            if !types.iter().any(|t| t.0 == account_type) {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            if account_type == Acb::DOMTRUST.0 {
                // An interdomain trust account comes with a trusted domain object
                // (MS-LSAD 3.1.4.7.10), never bare over SAMR: Windows refuses it.
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let name = text(&name);
            let user = self.sam.create_user(&name, Acb(account_type))?;
            let obj = Obj::User(user.rid);
            let granted = self.grant(&ctx.token, &obj, access)?;
            let handle = self.open(ctx, obj, granted)?;
            Ok((handle, granted, user.rid))
        })();
        reply(res, |w, v| {
            w.write(&v.map(|v| v.0).unwrap_or_default());
            if v2 {
                w.u32(v.map_or(0, |v| v.1));
            }
            w.u32(v.map_or(0, |v| v.2));
        })
    }

    pub(super) fn create_group(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        self.create_grouplike(stub, ctx, GroupKind::Group)
    }

    pub(super) fn create_alias(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        self.create_grouplike(stub, ctx, GroupKind::Alias)
    }

    fn create_grouplike(
        &self,
        stub: &[u8],
        ctx: &CallContext,
        kind: GroupKind,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, name, access): (PolicyHandle, RpcUnicodeString, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<(PolicyHandle, u32)> {
            let need = match kind {
                GroupKind::Group => DOMAIN_CREATE_GROUP,
                GroupKind::Alias => DOMAIN_CREATE_ALIAS,
            };
            let dom = self.want(ctx, &h, domain_of, need)?;
            if dom == DomainKind::Builtin {
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let g = self.sam.create_group(dom, kind, &text(&name))?;
            let obj = match kind {
                GroupKind::Group => Obj::Group(g.rid),
                GroupKind::Alias => Obj::Alias(dom, g.rid),
            };
            let granted = self.grant(&ctx.token, &obj, access)?;
            Ok((self.open(ctx, obj, granted)?, g.rid))
        })();
        reply(res, |w, v| {
            w.write(&v.map(|v| v.0).unwrap_or_default());
            w.u32(v.map_or(0, |v| v.1));
        })
    }
}

/// One account as the enumerations and display calls list it.
struct Entry {
    rid: u32,
    name: String,
    description: String,
    flags: u32,
    full_name: String,
}
