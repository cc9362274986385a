//! The policy object's calls (MS-LSAD 3.1.4.4, 3.1.4.9): opening and closing handles,
//! policy information, the objects' security descriptors, GetUserName (MS-LSAT 3.1.4.4),
//! and the trusted-domain calls a standalone machine answers with "none".
//!
//! # Policy information a standalone machine reports
//!
//! | class | required access | answer |
//! |---|---|---|
//! | 1 PolicyAuditLogInformation | POLICY_VIEW_AUDIT_INFORMATION | an empty log (lwio writes no audit log) |
//! | 2 PolicyAuditEventsInformation | POLICY_VIEW_AUDIT_INFORMATION | the audit options an administrator set (settable) |
//! | 3 PolicyPrimaryDomainInformation | POLICY_VIEW_LOCAL_INFORMATION | the workgroup, no SID |
//! | 4 PolicyPdAccountInformation | POLICY_GET_PRIVATE_INFORMATION | an empty name |
//! | 5, 14 Policy(Local)AccountDomainInformation | POLICY_VIEW_LOCAL_INFORMATION | the machine name and the account domain's SID |
//! | 6 PolicyLsaServerRoleInformation | POLICY_VIEW_LOCAL_INFORMATION | PolicyServerRolePrimary |
//! | 7 PolicyReplicaSourceInformation | POLICY_VIEW_LOCAL_INFORMATION | no replica source |
//! | 8 PolicyDefaultQuotaInformation | POLICY_VIEW_LOCAL_INFORMATION | no limits |
//! | 12, 13 PolicyDnsDomainInformation(Int) | POLICY_VIEW_LOCAL_INFORMATION | the workgroup, no DNS names, no GUID or SID |
//! | 15 PolicyMachineAccountInformation | POLICY_VIEW_LOCAL_INFORMATION | no machine account (not joined) |
//! | 9, 10, 11, other | | STATUS_INVALID_PARAMETER (not queryable) |
//!
//! Setting (LsarSetInformationPolicy(2)): class 2 takes the audit options (POLICY_SET_AUDIT_REQUIREMENTS).
//! Classes 1, 3, 5-8, 10, 12 and 13 are settable on Windows, with the access MS-LSAD
//! 3.1.4.4.5 names; lwio takes the machine's names and role from its configuration and
//! answers STATUS_NOT_SUPPORTED once the access check passed. Other classes are
//! STATUS_INVALID_PARAMETER.

use lwio_core::NtStatus;
use lwio_rpc::Uuid;
use lwio_rpc::ndr::{NdrWriter, PolicyHandle, RpcUnicodeString, WString};
use lwio_rpc::pdu::FaultStatus;
use lwio_rpc::server::CallContext;

use super::access::*;
use super::translate::{Domains, Scope, Translator};
use super::types::*;
use super::{LsaInterface, LsaObject, STATUS_DIRECTORY_SERVICE_REQUIRED, opnum};
use crate::rpc::security;
use crate::rpc::types::SrSecurityDescriptor;
use crate::rpc::{Fail, Res, decode, finish, reader, reply};

/// The policy setting holding the audit options: the auditing mode octet, then one
/// little-endian u32 of options per event category.
const AUDIT_EVENTS: &str = "audit-events";

/// The audit event categories of POLICY_AUDIT_EVENT_TYPE (MS-LSAD 2.2.4.20).
const AUDIT_CATEGORIES: usize = 9;

/// POLICY_AUDIT_EVENT_NONE: clears a category's options (MS-LSAD 2.2.4.4).
const AUDIT_EVENT_NONE: u32 = 0x4;
/// POLICY_AUDIT_EVENT_SUCCESS | POLICY_AUDIT_EVENT_FAILURE.
const AUDIT_EVENT_BOTH: u32 = 0x3;

/// PolicyServerRolePrimary (MS-LSAD 2.2.4.9): what a machine that is not a backup domain
/// controller reports.
const SERVER_ROLE_PRIMARY: u32 = 3;

impl LsaInterface {
    pub(super) fn open_policy(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        if op == opnum::OPEN_POLICY {
            // [in, unique] wchar_t* SystemName: one character.
            if r.u32()? != 0 {
                r.u16()?;
            }
        } else {
            r.read::<Option<WString>>()?;
        }
        let attrs: ObjectAttributes = r.read()?;
        let access = r.u32()?;
        if op == opnum::OPEN_POLICY3 {
            // InVersion, then [switch_is(InVersion)] LSAPR_REVISION_INFO: only V1 exists.
            let version = r.u32()?;
            let tag = r.u32()?;
            if version != 1 || tag != 1 {
                return Err(FaultStatus::BAD_STUB_DATA);
            }
            r.read::<RevisionInfoV1>()?;
        }
        finish(&r)?;
        let res = (|| -> Res<PolicyHandle> {
            if attrs.root_directory.is_some() || access == 0 {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            if ctx.is_anonymous() && !self.anonymous {
                return Err(NtStatus::ACCESS_DENIED.into());
            }
            let granted = self.grant(&ctx.token, &LsaObject::Policy, access)?;
            self.open(ctx, LsaObject::Policy, granted)
        })();
        reply(res, |w, h| {
            if op == opnum::OPEN_POLICY3 {
                w.u32(1);
                w.u32(1);
                w.write(&RevisionInfoV1 {
                    revision: 1,
                    supported_features: 0,
                });
            }
            w.write(&h.copied().unwrap_or_default());
        })
    }

    pub(super) fn close(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = decode(ctx, stub)?;
        ctx.handles.close::<super::LsaHandle>(&h)?;
        let mut w = NdrWriter::new();
        w.write(&PolicyHandle::default());
        w.u32(NtStatus::SUCCESS.0);
        Ok(w.into_bytes())
    }

    /// LsarDelete (opnum 1): superseded by LsarDeleteObject; Windows answers
    /// STATUS_NOT_SUPPORTED for any open handle.
    pub(super) fn delete(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let h: PolicyHandle = decode(ctx, stub)?;
        let res = self
            .handle(ctx, &h)
            .and(Err::<(), _>(Fail::Status(NtStatus::NOT_SUPPORTED)));
        reply(res, |_, _| {})
    }

    pub(super) fn query_security(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, info): (PolicyHandle, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<SrSecurityDescriptor> {
            let handle = self.handle(ctx, &h)?;
            security::queried(handle.granted, info, || self.descriptor(&handle.obj))
        })();
        reply(res, |w, sd| w.write(&sd.cloned()))
    }

    pub(super) fn set_security(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, info, sd): (PolicyHandle, u32, SrSecurityDescriptor) = decode(ctx, stub)?;
        let res = (|| -> Res<()> {
            let handle = self.handle(ctx, &h)?;
            let stored =
                security::merged(handle.granted, info, sd, || self.descriptor(&handle.obj))?;
            self.store_descriptor(&handle.obj, &stored)
        })();
        reply(res, |_, _| {})
    }

    /// The audit options as stored: the auditing mode and one option word a category.
    fn audit_events(&self) -> Res<(u8, Vec<u32>)> {
        let mut options = vec![0u32; AUDIT_CATEGORIES];
        let Some(raw) = self.sam.policy_value(AUDIT_EVENTS)? else {
            return Ok((0, options));
        };
        let mode = raw.first().copied().unwrap_or(0);
        for (slot, chunk) in options
            .iter_mut()
            .zip(raw.get(1..).unwrap_or_default().chunks_exact(4))
        {
            *slot = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Ok((mode, options))
    }

    /// The information of `class`, with the access it needs.
    fn policy_information(&self, class: u16) -> Res<(u32, PolicyInformation)> {
        let d = self.sam.domain()?;
        let account = DomainInfo {
            name: RpcUnicodeString::new(&d.name),
            sid: Some(d.sid),
        };
        let dns = DnsDomainInfo {
            name: RpcUnicodeString::new(&self.workgroup),
            dns_domain: RpcUnicodeString::new(""),
            dns_forest: RpcUnicodeString::new(""),
            guid: Uuid::NIL,
            sid: None,
        };
        Ok(match class {
            1 => (
                POLICY_VIEW_AUDIT_INFORMATION,
                PolicyInformation::AuditLog(AuditLogInfo::default()),
            ),
            2 => {
                let (mode, options) = self.audit_events()?;
                let count = options.len() as u32;
                (
                    POLICY_VIEW_AUDIT_INFORMATION,
                    PolicyInformation::AuditEvents(AuditEventsInfo {
                        auditing_mode: mode,
                        options: Some(options),
                        count,
                    }),
                )
            }
            3 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::PrimaryDomain(DomainInfo {
                    name: RpcUnicodeString::new(&self.workgroup),
                    sid: None,
                }),
            ),
            4 => (
                POLICY_GET_PRIVATE_INFORMATION,
                PolicyInformation::PdAccount(PdAccountInfo {
                    name: RpcUnicodeString::new(""),
                }),
            ),
            5 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::AccountDomain(account),
            ),
            6 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::ServerRole(ServerRoleInfo {
                    role: SERVER_ROLE_PRIMARY,
                }),
            ),
            7 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::ReplicaSource(ReplicaSourceInfo {
                    source: RpcUnicodeString::new(""),
                    account: RpcUnicodeString::new(""),
                }),
            ),
            8 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::DefaultQuota(DefaultQuotaInfo::default()),
            ),
            12 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::DnsDomain(dns),
            ),
            13 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::DnsDomainInt(dns),
            ),
            14 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::LocalAccountDomain(account),
            ),
            15 => (
                POLICY_VIEW_LOCAL_INFORMATION,
                PolicyInformation::MachineAccount(MachineAccountInfo::default()),
            ),
            _ => return Err(NtStatus::INVALID_PARAMETER.into()),
        })
    }

    pub(super) fn query_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, class): (PolicyHandle, u16) = decode(ctx, stub)?;
        let res = (|| -> Res<PolicyInformation> {
            self.policy(ctx, &h, 0)?;
            let (need, info) = self.policy_information(class)?;
            self.policy(ctx, &h, need)?;
            Ok(info)
        })();
        reply(res, |w, info| w.write(&info.cloned()))
    }

    pub(super) fn set_info(&self, stub: &[u8], ctx: &CallContext) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let class = r.u16()?;
        let info = if (1..=15).contains(&class) {
            let info: PolicyInformation = r.read()?;
            finish(&r)?;
            if info.level() != class {
                return Err(FaultStatus::BAD_STUB_DATA);
            }
            Some(info)
        } else {
            None
        };
        let res = (|| -> Res<()> {
            self.policy(ctx, &h, 0)?;
            let need = match class {
                2 => POLICY_SET_AUDIT_REQUIREMENTS,
                1 | 10 => POLICY_AUDIT_LOG_ADMIN,
                3 | 5 | 12 | 13 => POLICY_TRUST_ADMIN,
                6 | 7 => POLICY_SERVER_ADMIN,
                8 => POLICY_SET_DEFAULT_QUOTA_LIMITS,
                _ => return Err(NtStatus::INVALID_PARAMETER.into()),
            };
            self.policy(ctx, &h, need)?;
            match info {
                Some(PolicyInformation::AuditEvents(events)) => self.set_audit_events(&events),
                _ => Err(NtStatus::NOT_SUPPORTED.into()),
            }
        })();
        reply(res, |_, _| {})
    }

    /// Applies new audit options (MS-LSAD 3.1.4.4.5, PolicyAuditEventsInformation): per
    /// category, POLICY_AUDIT_EVENT_NONE clears it first, then the success and failure
    /// bits given are added; POLICY_AUDIT_EVENT_UNCHANGED (0) keeps it.
    fn set_audit_events(&self, events: &AuditEventsInfo) -> Res<()> {
        let given = events.options.clone().unwrap_or_default();
        if given.len() != events.count as usize
            || given.len() > AUDIT_CATEGORIES
            || given
                .iter()
                .any(|o| o & !(AUDIT_EVENT_NONE | AUDIT_EVENT_BOTH) != 0)
        {
            return Err(NtStatus::INVALID_PARAMETER.into());
        }
        let (_, mut options) = self.audit_events()?;
        for (slot, new) in options.iter_mut().zip(&given) {
            if new & AUDIT_EVENT_NONE != 0 {
                *slot = 0;
            }
            *slot |= new & AUDIT_EVENT_BOTH;
        }
        let mut raw = vec![u8::from(events.auditing_mode != 0)];
        for o in options {
            raw.extend_from_slice(&o.to_le_bytes());
        }
        Ok(self.sam.set_policy_value(AUDIT_EVENTS, &raw)?)
    }

    /// LsarQueryDomainInformationPolicy: lwio keeps no EFS, quality-of-service or
    /// Kerberos policy, so every class is "no value set" (STATUS_OBJECT_NAME_NOT_FOUND,
    /// MS-LSAD 3.1.4.4.7); classes outside 1-3 are STATUS_INVALID_PARAMETER.
    pub(super) fn query_domain_info(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, class): (PolicyHandle, u16) = decode(ctx, stub)?;
        let res = (|| -> Res<PolicyDomainInformation> {
            self.policy(ctx, &h, POLICY_VIEW_LOCAL_INFORMATION)?;
            if !(1..=3).contains(&class) {
                return Err(NtStatus::INVALID_PARAMETER.into());
            }
            Err(NtStatus::OBJECT_NAME_NOT_FOUND.into())
        })();
        reply(res, |w, info| w.write(&info.cloned()))
    }

    /// LsarGetUserName (MS-LSAT 3.1.4.4): the caller's account name and, when asked
    /// for, its domain's. Needs no handle; the anonymous logon is `NT AUTHORITY\ANONYMOUS
    /// LOGON`.
    pub(super) fn get_user_name(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let mut r = reader(ctx, stub);
        r.read::<Option<WString>>()?;
        // [in, out] PRPC_UNICODE_STRING* UserName: a pointer to a unique pointer.
        r.read::<Option<RpcUnicodeString>>()?;
        // [in, out, unique] PRPC_UNICODE_STRING* DomainName.
        let domain_wanted = r.u32()? != 0;
        if domain_wanted {
            r.read::<Option<RpcUnicodeString>>()?;
        }
        finish(&r)?;
        let res = (|| -> Res<(String, String)> {
            let t = Translator::new(&self.sam, Scope::Local)?;
            let mut domains = Domains::default();
            let found = t.sid(&ctx.token.user, &mut domains)?;
            let domain = usize::try_from(found.domain_index)
                .ok()
                .and_then(|i| domains.entries().get(i))
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            Ok((found.name, domain))
        })();
        reply(res, |w, names| {
            w.write(&names.map(|(u, _)| RpcUnicodeString::new(u)));
            if domain_wanted {
                w.referent(true);
                w.write(&names.map(|(_, d)| RpcUnicodeString::new(d)));
            } else {
                w.referent(false);
            }
        })
    }

    /// LsarEnumerateTrustedDomains(Ex): a standalone machine trusts no domain, so the
    /// enumeration ends at once (STATUS_NO_MORE_ENTRIES) with the resume handle advanced
    /// past the one given (MS-LSAD 3.1.4.7.8).
    pub(super) fn enumerate_trusted_domains(
        &self,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        let (h, resume, _max): (PolicyHandle, u32, u32) = decode(ctx, stub)?;
        let res = (|| -> Res<u32> {
            self.policy(ctx, &h, POLICY_VIEW_LOCAL_INFORMATION)?;
            Err(NtStatus::NO_MORE_ENTRIES.into())
        })();
        reply(res, |w, _| {
            w.u32(resume.saturating_add(1));
            // LSAPR_TRUSTED_ENUM_BUFFER(_EX): no entries, no array.
            w.u32(0);
            w.referent(false);
        })
    }

    /// The trusted-domain calls that name one domain: creating one needs a domain
    /// controller (STATUS_DIRECTORY_SERVICE_REQUIRED after POLICY_TRUST_ADMIN is
    /// checked); there is none to open, query or delete (STATUS_NO_SUCH_DOMAIN by SID,
    /// STATUS_OBJECT_NAME_NOT_FOUND by name). Only the leading policy handle is read.
    pub(super) fn trusted_domain(
        &self,
        op: u16,
        stub: &[u8],
        ctx: &CallContext,
    ) -> Result<Vec<u8>, FaultStatus> {
        use opnum::*;
        let mut r = reader(ctx, stub);
        let h: PolicyHandle = r.read()?;
        let res = (|| -> Res<()> {
            match op {
                CREATE_TRUSTED_DOMAIN | CREATE_TRUSTED_DOMAIN_EX | CREATE_TRUSTED_DOMAIN_EX2 => {
                    self.policy(ctx, &h, POLICY_TRUST_ADMIN)?;
                    Err(STATUS_DIRECTORY_SERVICE_REQUIRED.into())
                }
                OPEN_TRUSTED_DOMAIN_BY_NAME | QUERY_TRUSTED_DOMAIN_INFO_BY_NAME => {
                    self.policy(ctx, &h, 0)?;
                    Err(NtStatus::OBJECT_NAME_NOT_FOUND.into())
                }
                _ => {
                    self.policy(ctx, &h, 0)?;
                    Err(NtStatus::NO_SUCH_DOMAIN.into())
                }
            }
        })();
        reply(res, |w, _| match op {
            QUERY_TRUSTED_DOMAIN_INFO | QUERY_TRUSTED_DOMAIN_INFO_BY_NAME => {
                w.referent(false);
            }
            DELETE_TRUSTED_DOMAIN => {}
            _ => w.write(&PolicyHandle::default()),
        })
    }
}
