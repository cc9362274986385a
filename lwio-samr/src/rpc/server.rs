//! The server object's calls: Connect (0, 57, 61, 62, 64), CloseHandle (1),
//! Set/QuerySecurityObject (2, 3), LookupDomainInSamServer (5),
//! EnumerateDomainsInSamServer (6), OpenDomain (7) (MS-SAMR 3.1.5.1-3.1.5.2, 3.1.5.12).

use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::{NdrWriter, PolicyHandle, RpcUnicodeString, WString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::types::{
    EnumerationBuffer, RevisionInfoV1, RidEnumeration, SrSecurityDescriptor, text, ustr,
};
use super::{Fail, Obj, Res, SamrInterface, opnum, reply};
use crate::model::DomainKind;
use crate::sam::BUILTIN_NAME;

/// SAMPR_REVISION_INFO_V1.SupportedFeatures: AES password encryption (levels 31, 32 and
/// UnicodeChangePasswordUser4) is supported.
pub(crate) const SUPPORTED_FEATURES_AES: u32 = 0x10;

impl SamrInterface {
    pub(super) fn connect(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = super::reader(ctx, stub);
        let access;
        let mut in_version = 0;
        match op {
            opnum::CONNECT => {
                // [unique] PSAMPR_SERVER_NAME: a pointer to one wchar_t.
                if r.u32()? != 0 {
                    r.u16()?;
                }
                r.align(4)?;
                access = r.u32()?;
            }
            opnum::CONNECT2 => {
                r.read::<Option<WString>>()?;
                access = r.u32()?;
            }
            opnum::CONNECT3 | opnum::CONNECT4 => {
                r.read::<Option<WString>>()?;
                let _client_revision = r.u32()?;
                access = r.u32()?;
            }
            _ => {
                r.read::<Option<WString>>()?;
                access = r.u32()?;
                in_version = r.u32()?;
                let tag = r.u32()?;
                if tag != in_version || in_version != 1 {
                    return Err(FaultStatus::BAD_STUB_DATA);
                }
                r.read::<RevisionInfoV1>()?;
            }
        }
        super::finish(&r)?;
        let res = (|| -> Res<_> {
            if ctx.is_anonymous() {
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let granted = self.grant(&ctx.token, &Obj::Server, access)?;
            self.open(ctx, Obj::Server, granted)
        })();
        let _ = in_version;
        reply(res, |w, h| {
            if op == opnum::CONNECT5 {
                w.u32(1);
                w.u32(1);
                w.write(&RevisionInfoV1 {
                    revision: 3,
                    supported_features: SUPPORTED_FEATURES_AES,
                });
            }
            w.write(&h.copied().unwrap_or_default());
        })
    }

    pub(super) fn close(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        ctx.handles.close::<super::Handle>(&h)?;
        let mut w = NdrWriter::new();
        w.write(&PolicyHandle::default());
        w.u32(NtStatus::SUCCESS.0);
        Ok(w.into_bytes())
    }

    pub(super) fn test_private(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = super::decode(ctx, stub)?;
        let res = self
            .handle(ctx, &h)
            .and(Err::<(), _>(Fail::Status(NtStatus::NOT_IMPLEMENTED)));
        reply(res, |_, _| {})
    }

    pub(super) fn query_security(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, info): (PolicyHandle, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<SrSecurityDescriptor> {
            let handle = self.handle(ctx, &h)?;
            super::security::queried(handle.granted, info, || self.descriptor(&handle.obj))
        })();
        reply(res, |w, sd| w.write(&sd.cloned()))
    }

    pub(super) fn set_security(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, info, sd): (PolicyHandle, u32, SrSecurityDescriptor) = super::decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let handle = self.handle(ctx, &h)?;
            let stored =
                super::security::merged(handle.granted, info, sd, || self.descriptor(&handle.obj))?;
            self.store_descriptor(&handle.obj, Some(stored))
        })();
        reply(res, |_, _| {})
    }

    /// Writes an object's descriptor back.
    fn store_descriptor(&self, obj: &Obj, sd: Option<Vec<u8>>) -> Res<()> {
        let sam = &self.sam;
        match obj {
            Obj::Server | Obj::Domain(_) => {
                let mut d = sam.domain()?;
                match obj {
                    Obj::Server => d.server_sd = sd,
                    Obj::Domain(DomainKind::Account) => d.domain_sd = sd,
                    _ => d.builtin_sd = sd,
                }
                sam.set_domain(d)?;
            }
            Obj::User(rid) => {
                let mut u = sam.user(*rid)?;
                u.sd = sd;
                sam.update_user(&u)?;
            }
            Obj::Group(rid) => {
                let mut g = sam.group(DomainKind::Account, crate::GroupKind::Group, *rid)?;
                g.sd = sd;
                sam.update_group(&g)?;
            }
            Obj::Alias(dom, rid) => {
                let mut g = sam.group(*dom, crate::GroupKind::Alias, *rid)?;
                g.sd = sd;
                sam.update_group(&g)?;
            }
        }
        Ok(())
    }

    pub(super) fn lookup_domain(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, name): (PolicyHandle, RpcUnicodeString) = super::decode(ctx, stub)?;
        let res = (|| -> Res<Sid> {
            self.want(
                ctx,
                &h,
                |o| (*o == Obj::Server).then_some(()),
                SAM_SERVER_LOOKUP_DOMAIN,
            )?;
            if name.buffer.is_none() {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            let name = text(&name);
            let d = self.sam.domain()?;
            let alias = self
                .alias
                .as_deref()
                .is_some_and(|a| name.eq_ignore_ascii_case(a));
            if name.eq_ignore_ascii_case(&d.name) || alias {
                Ok(d.sid)
            } else if name.eq_ignore_ascii_case(BUILTIN_NAME) {
                Ok(lwio_core::security::well_known::BUILTIN)
            } else {
                Err(NtStatus::NO_SUCH_DOMAIN.into())
            }
        })();
        reply(res, |w, sid| w.write(&sid.cloned()))
    }

    pub(super) fn enumerate_domains(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, context, _max): (PolicyHandle, u32, u32) = super::decode(ctx, stub)?;
        let res = (|| -> Res<(u32, EnumerationBuffer)> {
            self.want(
                ctx,
                &h,
                |o| (*o == Obj::Server).then_some(()),
                SAM_SERVER_ENUMERATE_DOMAINS,
            )?;
            let d = self.sam.domain()?;
            let all = [d.name.as_str(), "Builtin"];
            let entries: Vec<RidEnumeration> = all
                .iter()
                .skip(context as usize)
                .map(|n| RidEnumeration {
                    rid: 0,
                    name: ustr(n),
                })
                .collect();
            Ok((
                2,
                EnumerationBuffer {
                    count: entries.len() as u32,
                    buffer: Some(entries),
                },
            ))
        })();
        reply(res, |w, v| {
            w.u32(v.map_or(0, |v| v.0));
            w.write(&v.map(|v| v.1.clone()));
            w.u32(v.map_or(0, |v| v.1.count));
        })
    }

    pub(super) fn open_domain(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, access, sid): (PolicyHandle, u32, Sid) = super::decode(ctx, stub)?;
        let res = (|| -> Res<PolicyHandle> {
            // Any server handle will do, even one granted only SAM_SERVER_CONNECT: the
            // domain's own descriptor decides (smbtorture's samr.handletype opens a
            // domain through a Connect5 handle of access 1, as Windows allows).
            self.want(ctx, &h, |o| (*o == Obj::Server).then_some(()), 0)?;
            let kind = if sid == self.sam.domain()?.sid {
                DomainKind::Account
            } else if sid == lwio_core::security::well_known::BUILTIN {
                DomainKind::Builtin
            } else {
                return Err(NtStatus::NO_SUCH_DOMAIN.into());
            };
            let obj = Obj::Domain(kind);
            let granted = self.grant(&ctx.token, &obj, access)?;
            self.open(ctx, obj, granted)
        })();
        reply(res, |w, h| w.write(&h.copied().unwrap_or_default()))
    }
}
