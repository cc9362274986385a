//! The group and alias objects' calls (MS-SAMR 3.1.5.1.7-8 open, 3.1.5.5.4-5 query,
//! 3.1.5.6.2-3 set, 3.1.5.7.1-2 delete, 3.1.5.8 membership).

use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::PolicyHandle;
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::domain::domain_of;
use super::types::*;
use super::{Fail, Obj, Res, SamrInterface, opnum, reply};
use crate::model::{DomainKind, GroupKind, rid};

fn group_of(o: &Obj) -> Option<u32> {
    match o {
        Obj::Group(r) => Some(*r),
        _ => None,
    }
}

fn alias_of(o: &Obj) -> Option<(DomainKind, u32)> {
    match o {
        Obj::Alias(d, r) => Some((*d, *r)),
        _ => None,
    }
}

impl SamrInterface {
    pub(super) fn open_account(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, access, id): (PolicyHandle, u32, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<PolicyHandle> {
            let kind = self.want(ctx, &h, domain_of, DOMAIN_LOOKUP)?;
            let obj = if op == opnum::OPEN_GROUP {
                if kind == DomainKind::Builtin {
                    return Err(NtStatus::NO_SUCH_GROUP.into());
                }
                self.sam.group(kind, GroupKind::Group, id)?;
                Obj::Group(id)
            } else {
                self.sam.group(kind, GroupKind::Alias, id)?;
                Obj::Alias(kind, id)
            };
            let granted = self.grant(&ctx.token, &obj, access)?;
            self.open(ctx, obj, granted)
        })();
        reply(res, |w, h| w.write(&h.copied().unwrap_or_default()))
    }

    pub(super) fn query_group_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level): (PolicyHandle, u16) = super::decode(ctx, stub)?;
        let res = (|| -> Res<GroupInfo> {
            let rid = self.want(ctx, &h, group_of, GROUP_READ_INFORMATION)?;
            let g = self.sam.group(DomainKind::Account, GroupKind::Group, rid)?;
            let members = self
                .sam
                .store()
                .group_members(rid)
                .map_err(crate::sam::store_status)?;
            let general = GroupGeneralInfo {
                name: ustr(&g.name),
                attributes: g.attributes,
                member_count: members.len() as u32,
                admin_comment: ustr(&g.description),
            };
            Ok(match level {
                1 => GroupInfo::General(general),
                2 => GroupInfo::Name(StringInfo {
                    value: ustr(&g.name),
                }),
                3 => GroupInfo::Attribute(g.attributes),
                4 => GroupInfo::AdminComment(StringInfo {
                    value: ustr(&g.description),
                }),
                5 => GroupInfo::Replication(GroupGeneralInfo {
                    member_count: 0,
                    ..general
                }),
                _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
            })
        })();
        reply(res, |w, v| w.write(&v.cloned()))
    }

    pub(super) fn set_group_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, _level, info): (PolicyHandle, u16, GroupInfo) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, group_of, GROUP_WRITE_ACCOUNT)?;
            let mut g = self.sam.group(DomainKind::Account, GroupKind::Group, rid)?;
            match info {
                GroupInfo::Name(n) => {
                    if rid == rid::NONE_GROUP {
                        return Err(NtStatus::SPECIAL_GROUP.into());
                    }
                    g.name = text(&n.value);
                }
                GroupInfo::Attribute(a) => g.attributes = a,
                GroupInfo::AdminComment(c) => g.description = text(&c.value),
                _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
            }
            self.sam.update_group(&g)?;
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn query_alias_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, level): (PolicyHandle, u16) = super::decode(ctx, stub)?;
        let res = (|| -> Res<AliasInfo> {
            let (dom, rid) = self.want(ctx, &h, alias_of, ALIAS_READ_INFORMATION)?;
            let g = self.sam.group(dom, GroupKind::Alias, rid)?;
            let count = self
                .sam
                .store()
                .alias_members(dom, rid)
                .map_err(crate::sam::store_status)?
                .len();
            Ok(match level {
                1 => AliasInfo::General(AliasGeneralInfo {
                    name: ustr(&g.name),
                    member_count: count as u32,
                    admin_comment: ustr(&g.description),
                }),
                2 => AliasInfo::Name(StringInfo {
                    value: ustr(&g.name),
                }),
                3 => AliasInfo::AdminComment(StringInfo {
                    value: ustr(&g.description),
                }),
                _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
            })
        })();
        reply(res, |w, v| w.write(&v.cloned()))
    }

    pub(super) fn set_alias_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, _level, info): (PolicyHandle, u16, AliasInfo) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let (dom, rid) = self.want(ctx, &h, alias_of, ALIAS_WRITE_ACCOUNT)?;
            let mut g = self.sam.group(dom, GroupKind::Alias, rid)?;
            match info {
                AliasInfo::Name(n) => {
                    if dom == DomainKind::Builtin {
                        return Err(NtStatus::SPECIAL_ACCOUNT.into());
                    }
                    g.name = text(&n.value);
                }
                AliasInfo::AdminComment(c) => g.description = text(&c.value),
                _ => return Err(NtStatus::INVALID_INFO_CLASS.into()),
            }
            self.sam.update_group(&g)?;
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn delete_account(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let g = if op == opnum::DELETE_GROUP {
                let rid = self.want(ctx, &h, group_of, DELETE)?;
                if rid == rid::NONE_GROUP {
                    return Err(NtStatus::SPECIAL_GROUP.into());
                }
                let g = self.sam.group(DomainKind::Account, GroupKind::Group, rid)?;
                let members = self
                    .sam
                    .store()
                    .group_members(rid)
                    .map_err(crate::sam::store_status)?;
                for m in members {
                    if self.sam.user(m)?.primary_group == rid {
                        return Err(NtStatus::MEMBERS_PRIMARY_GROUP.into());
                    }
                }
                g
            } else {
                let (dom, rid) = self.want(ctx, &h, alias_of, DELETE)?;
                if dom == DomainKind::Builtin {
                    return Err(NtStatus::SPECIAL_ACCOUNT.into());
                }
                self.sam.group(dom, GroupKind::Alias, rid)?
            };
            self.sam.delete_group(&g)?;
            ctx.handles.close::<super::Handle>(&h)?;
            Ok(())
        })();
        super::reply_closing(res, h)
    }

    pub(super) fn add_group_member(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, member, _attributes): (PolicyHandle, u32, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, group_of, GROUP_ADD_MEMBER)?;
            self.sam
                .user(member)
                .map_err(|_| Fail::Status(NtStatus::NO_SUCH_USER))?;
            Ok(self.sam.add_group_member(rid, member)?)
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn remove_group_member(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, member): (PolicyHandle, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, group_of, GROUP_REMOVE_MEMBER)?;
            Ok(self.sam.remove_group_member(rid, member)?)
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn set_member_attributes(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, member, _attributes): (PolicyHandle, u32, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let rid = self.want(ctx, &h, group_of, GROUP_ADD_MEMBER)?;
            let members = self
                .sam
                .store()
                .group_members(rid)
                .map_err(crate::sam::store_status)?;
            if !members.contains(&member) {
                return Err(NtStatus::MEMBER_NOT_IN_GROUP.into());
            }
            // Group member attributes are always mandatory and enabled on a
            // standalone server; the set is accepted and changes nothing.
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn group_members(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<GetMembersBuffer> {
            let rid = self.want(ctx, &h, group_of, GROUP_LIST_MEMBERS)?;
            let members = self
                .sam
                .store()
                .group_members(rid)
                .map_err(crate::sam::store_status)?;
            let n = members.len();
            Ok(GetMembersBuffer {
                count: n as u32,
                members: Some(members),
                attributes: Some(vec![7; n]),
            })
        })();
        reply(res, |w, v| w.write(&v.cloned()))
    }

    pub(super) fn alias_member(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sid): (PolicyHandle, Sid) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            if op == opnum::ADD_MEMBER_TO_ALIAS {
                let (dom, rid) = self.want(ctx, &h, alias_of, ALIAS_ADD_MEMBER)?;
                self.check_member(&sid)?;
                Ok(self.sam.add_alias_member(dom, rid, &sid)?)
            } else {
                let (dom, rid) = self.want(ctx, &h, alias_of, ALIAS_REMOVE_MEMBER)?;
                Ok(self.sam.remove_alias_member(dom, rid, &sid)?)
            }
        })();
        reply(res, |_, _| {})
    }

    /// A member of the account domain must exist (STATUS_NO_SUCH_MEMBER); SIDs of other
    /// domains are taken as they are (foreign members), as Windows does.
    fn check_member(&self, sid: &Sid) -> Res<()> {
        let dsid = self.sam.domain()?.sid;
        if let Some((parent, rid)) = sid.domain_and_rid() {
            if parent == dsid && self.sam.lookup_rid(DomainKind::Account, rid)?.is_none() {
                return Err(NtStatus::NO_SUCH_MEMBER.into());
            }
        }
        if *sid == dsid {
            return Err(NtStatus::INVALID_MEMBER.into());
        }
        Ok(())
    }

    pub(super) fn alias_members_multiple(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, sids): (PolicyHandle, PsidArray) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let add = op == opnum::ADD_MULTIPLE_MEMBERS_TO_ALIAS;
            let need = if add {
                ALIAS_ADD_MEMBER
            } else {
                ALIAS_REMOVE_MEMBER
            };
            let (dom, rid) = self.want(ctx, &h, alias_of, need)?;
            for sid in sids
                .sids
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.sid)
            {
                // Each member in turn; one already (or not) there is skipped, as
                // Windows does for the multiple-member calls.
                let r = if add {
                    self.check_member(&sid)?;
                    self.sam.add_alias_member(dom, rid, &sid)
                } else {
                    self.sam.remove_alias_member(dom, rid, &sid)
                };
                match r {
                    Ok(()) => {}
                    Err(s)
                        if s == NtStatus::MEMBER_IN_ALIAS || s == NtStatus::MEMBER_NOT_IN_ALIAS => {
                    }
                    Err(s) => return Err(s.into()),
                }
            }
            Ok(())
        })();
        reply(res, |_, _| {})
    }

    pub(super) fn alias_members(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = (|| -> Res<PsidArray> {
            let (dom, rid) = self.want(ctx, &h, alias_of, ALIAS_LIST_MEMBERS)?;
            let sids: Vec<SidInformation> = self
                .sam
                .store()
                .alias_members(dom, rid)
                .map_err(crate::sam::store_status)?
                .into_iter()
                .map(|s| SidInformation { sid: Some(s) })
                .collect();
            Ok(PsidArray {
                count: sids.len() as u32,
                sids: Some(sids),
            })
        })();
        reply(res, |w, v| w.write(&v.cloned().unwrap_or_default()))
    }
}
