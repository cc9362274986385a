//! The translation calls' wire forms (MS-LSAT 3.1.4.5-3.1.4.11): LsarLookupNames (14),
//! LsarLookupNames2 (58), LsarLookupNames3 (68), LsarLookupNames4 (77), LsarLookupSids
//! (15), LsarLookupSids2 (57) and LsarLookupSids3 (76). What each name or SID resolves
//! to is [`super::translate`]'s.
//!
//! | call | answer per entry |
//! |---|---|
//! | LookupNames | LSA_TRANSLATED_SID: type, RID (0xFFFFFFFF for a domain), domain index |
//! | LookupNames2 | LSAPR_TRANSLATED_SID_EX: the same and flags |
//! | LookupNames3 | LSAPR_TRANSLATED_SID_EX2: type, whole SID, domain index, flags |
//! | LookupSids | LSAPR_TRANSLATED_NAME: type, name, domain index |
//! | LookupSids2 | LSAPR_TRANSLATED_NAME_EX: the same and flags |
//!
//! Each needs POLICY_LOOKUP_NAMES on the policy handle (STATUS_ACCESS_DENIED). The
//! status is STATUS_SUCCESS when everything resolved, STATUS_SOME_NOT_MAPPED when part
//! did and STATUS_NONE_MAPPED when nothing did; the answers and the referenced domains
//! are returned with both. An unknown LookupLevel or a null SID is
//! STATUS_INVALID_PARAMETER. LookupNames4 and LookupSids3 are for Netlogon secure
//! channels only, which lwio does not have: STATUS_ACCESS_DENIED. More than 1000 names or
//! 20480 SIDs (the IDL's `range`) fault with `nca_s_fault_invalid_bound`.

use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::{NdrReader, PolicyHandle, RpcUnicodeString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::LsaInterface;
use super::access::POLICY_LOOKUP_NAMES;
use super::opnum;
use super::translate::{Domains, NameResult, Scope, SidResult, Translator};
use super::types::*;
use crate::model::SidType;
use crate::rpc::types::text;
use crate::rpc::{Res, finish, reader, reply_status};

/// The most names one LookupNames call may carry (`range(0,1000)`).
pub const MAX_NAMES: u32 = 1000;
/// The most SIDs one LookupSids call may carry (`range(0,20480)`).
pub const MAX_SIDS: u32 = 20480;
/// `nca_s_fault_invalid_bound`: a count outside its `[range]`.
pub const INVALID_BOUND: FaultStatus = FaultStatus(0x1C00_0008);

/// The status of a lookup that resolved `mapped` of `total` entries.
fn mapped_status(mapped: usize, total: usize) -> NtStatus {
    if mapped == total {
        NtStatus::SUCCESS
    } else if mapped == 0 {
        NtStatus::NONE_MAPPED
    } else {
        NtStatus::SOME_NOT_MAPPED
    }
}

/// What a lookup computed: the referenced domains and one answer an entry.
struct Lookup<T> {
    domains: Domains,
    results: Vec<T>,
}

impl<T> Lookup<T> {
    fn mapped(&self, kind: impl Fn(&T) -> SidType) -> usize {
        self.results
            .iter()
            .filter(|r| kind(r) != SidType::Unknown)
            .count()
    }
}

/// A counted array for the wire: a null pointer when empty.
/// The parameters that end every LookupNames and LookupSids request: LookupLevel,
/// MappedCount (ignored) and, past the first forms, LookupOptions and ClientRevision
/// (ignored); the request must end there. Returns the level.
fn lookup_tail(r: &mut NdrReader<'_>, with_options: bool) -> Result<u16, FaultStatus> {
    let level = r.u16()?;
    let _mapped_in = r.u32()?;
    if with_options {
        let _lookup_options = r.u32()?;
        let _client_revision = r.u32()?;
    }
    finish(r)?;
    Ok(level)
}

fn array<T>(items: Vec<T>) -> (u32, Option<Vec<T>>) {
    let n = items.len() as u32;
    (n, (n > 0).then_some(items))
}

impl LsaInterface {
    /// The scope of a lookup at `level`, once the handle is checked.
    fn lookup_scope(&self, ctx: &CallContext, h: Option<&PolicyHandle>, level: u16) -> Res<Scope> {
        let Some(h) = h else {
            // LookupNames4 / LookupSids3: a secure channel only.
            return Err(NtStatus::ACCESS_DENIED.into());
        };
        self.policy(ctx, h, POLICY_LOOKUP_NAMES)?;
        Ok(Scope::of(level, ctx.is_anonymous())?)
    }

    pub(super) fn lookup_names(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        let h = (op != opnum::LOOKUP_NAMES4)
            .then(|| r.read::<PolicyHandle>())
            .transpose()?;
        let count = r.u32()?;
        if count > MAX_NAMES {
            return Err(INVALID_BOUND);
        }
        let names: Vec<RpcUnicodeString> = r.read()?;
        if names.len() != count as usize {
            return Err(FaultStatus::BAD_STUB_DATA);
        }
        match op {
            opnum::LOOKUP_NAMES => drop(r.read::<TranslatedSids>()?),
            opnum::LOOKUP_NAMES2 => drop(r.read::<TranslatedSidsEx>()?),
            _ => drop(r.read::<TranslatedSidsEx2>()?),
        }
        let level = lookup_tail(&mut r, op != opnum::LOOKUP_NAMES)?;
        let res = (|| -> Res<(Lookup<NameResult>, NtStatus)> {
            let scope = self.lookup_scope(ctx, h.as_ref(), level)?;
            let t = Translator::new(&self.sam, scope)?;
            let mut domains = Domains::default();
            let mut results = Vec::with_capacity(names.len());
            for n in &names {
                results.push(t.name(&text(n), &mut domains)?);
            }
            let lookup = Lookup { domains, results };
            let status = mapped_status(lookup.mapped(|r| r.kind), names.len());
            Ok((lookup, status))
        })();
        reply_status(res, |w, v| {
            w.write(&v.map(|v| v.domains.to_wire()));
            let results = v.map(|v| v.results.as_slice()).unwrap_or_default();
            let mapped = v.map_or(0, |v| v.mapped(|r| r.kind)) as u32;
            match op {
                opnum::LOOKUP_NAMES => {
                    let (entries, sids) = array(
                        results
                            .iter()
                            .map(|r| TranslatedSid {
                                kind: r.kind as u16,
                                rid: r.rid(),
                                domain_index: r.domain_index,
                            })
                            .collect(),
                    );
                    w.write(&TranslatedSids { entries, sids });
                }
                opnum::LOOKUP_NAMES2 => {
                    let (entries, sids) = array(
                        results
                            .iter()
                            .map(|r| TranslatedSidEx {
                                kind: r.kind as u16,
                                rid: r.rid(),
                                domain_index: r.domain_index,
                                flags: 0,
                            })
                            .collect(),
                    );
                    w.write(&TranslatedSidsEx { entries, sids });
                }
                _ => {
                    let (entries, sids) = array(
                        results
                            .iter()
                            .map(|r| TranslatedSidEx2 {
                                kind: r.kind as u16,
                                sid: r.sid,
                                domain_index: r.domain_index,
                                flags: 0,
                            })
                            .collect(),
                    );
                    w.write(&TranslatedSidsEx2 { entries, sids });
                }
            }
            w.u32(mapped);
        })
    }

    pub(super) fn lookup_sids(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        let h = (op != opnum::LOOKUP_SIDS3)
            .then(|| r.read::<PolicyHandle>())
            .transpose()?;
        let buffer: SidEnumBuffer = r.read()?;
        if buffer.entries > MAX_SIDS {
            return Err(INVALID_BOUND);
        }
        if let Some(list) = &buffer.sids {
            if list.len() != buffer.entries as usize {
                return Err(FaultStatus::BAD_STUB_DATA);
            }
        }
        match op {
            opnum::LOOKUP_SIDS => drop(r.read::<TranslatedNames>()?),
            _ => drop(r.read::<TranslatedNamesEx>()?),
        }
        let level = lookup_tail(&mut r, op != opnum::LOOKUP_SIDS)?;
        let res = (|| -> Res<(Lookup<SidResult>, NtStatus)> {
            let scope = self.lookup_scope(ctx, h.as_ref(), level)?;
            let sids: Vec<Sid> = match &buffer.sids {
                None if buffer.entries > 0 => return Err(NtStatus::INVALID_PARAMETER.into()),
                None => Vec::new(),
                Some(list) => list
                    .iter()
                    .map(|s| s.sid.ok_or(NtStatus::INVALID_PARAMETER))
                    .collect::<Result<_, _>>()?,
            };
            let t = Translator::new(&self.sam, scope)?;
            let mut domains = Domains::default();
            let mut results = Vec::with_capacity(sids.len());
            for sid in &sids {
                results.push(t.sid(sid, &mut domains)?);
            }
            let lookup = Lookup { domains, results };
            let status = mapped_status(lookup.mapped(|r| r.kind), sids.len());
            Ok((lookup, status))
        })();
        reply_status(res, |w, v| {
            w.write(&v.map(|v| v.domains.to_wire()));
            let results = v.map(|v| v.results.as_slice()).unwrap_or_default();
            let mapped = v.map_or(0, |v| v.mapped(|r| r.kind)) as u32;
            if op == opnum::LOOKUP_SIDS {
                let (entries, names) = array(
                    results
                        .iter()
                        .map(|r| TranslatedName {
                            kind: r.kind as u16,
                            name: RpcUnicodeString::new(&r.name),
                            domain_index: r.domain_index,
                        })
                        .collect(),
                );
                w.write(&TranslatedNames { entries, names });
            } else {
                let (entries, names) = array(
                    results
                        .iter()
                        .map(|r| TranslatedNameEx {
                            kind: r.kind as u16,
                            name: RpcUnicodeString::new(&r.name),
                            domain_index: r.domain_index,
                            flags: 0,
                        })
                        .collect(),
                );
                w.write(&TranslatedNamesEx { entries, names });
            }
            w.u32(mapped);
        })
    }
}
