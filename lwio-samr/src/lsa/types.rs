//! The NDR structures of MS-LSAD (2.2) and MS-LSAT (2.2) the LSA's calls carry, as
//! lwio-rpc `Ndr` types, each a transcription of its IDL. Decoding is bounded by
//! lwio-rpc's reader (every count checked against the bytes left before allocating);
//! the `[range]` limits of the IDL are checked by the calls.
//!
//! `SID_NAME_USE` and the information-class enums are NDR enums: 16 bits on the wire.
//! Unions keyed by an information class are [`samr_union!`](crate::samr_union)s (a
//! 16-bit class, then the arm at its own alignment).

use lwio_core::Sid;
use lwio_rpc::ndr::{ConfVarArray, Ndr, NdrReader, NdrWriter, RpcUnicodeString};
use lwio_rpc::{NdrError, Uuid, ndr_struct};

ndr_struct! {
    /// LUID (MS-DTYP 2.3.7): a privilege's value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Luid {
        /// LowPart.
        pub low: u32,
        /// HighPart.
        pub high: i32,
    }
}

ndr_struct! {
    /// LSAPR_TRUST_INFORMATION (MS-LSAT 2.2.11): one referenced domain.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TrustInformation {
        /// Name (NetBIOS).
        pub name: RpcUnicodeString,
        /// Sid.
        pub sid: Option<Sid>,
    }
}

ndr_struct! {
    /// LSAPR_REFERENCED_DOMAIN_LIST (MS-LSAT 2.2.12).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ReferencedDomainList {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_TRUST_INFORMATION Domains`.
        pub domains: Option<Vec<TrustInformation>>,
        /// MaxEntries (ignored by clients).
        pub max_entries: u32,
    }
}

ndr_struct! {
    /// LSAPR_SID_INFORMATION (MS-LSAT 2.2.17), also LSAPR_ACCOUNT_INFORMATION
    /// (MS-LSAD 2.2.5.1): a pointer to a SID.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SidInformation {
        /// Sid.
        pub sid: Option<Sid>,
    }
}

ndr_struct! {
    /// LSAPR_SID_ENUM_BUFFER (MS-LSAT 2.2.18), also LSAPR_ACCOUNT_ENUM_BUFFER
    /// (MS-LSAD 2.2.5.2): a counted array of SID pointers.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SidEnumBuffer {
        /// Entries (`range(0,20480)` for lookups).
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_SID_INFORMATION SidInfo`.
        pub sids: Option<Vec<SidInformation>>,
    }
}

impl SidEnumBuffer {
    /// A buffer of `sids` (a null array when empty, as Windows sends).
    pub fn of(sids: Vec<Sid>) -> SidEnumBuffer {
        SidEnumBuffer {
            entries: sids.len() as u32,
            sids: (!sids.is_empty()).then(|| {
                sids.into_iter()
                    .map(|s| SidInformation { sid: Some(s) })
                    .collect()
            }),
        }
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_NAME (MS-LSAT 2.2.19).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedName {
        /// Use (SID_NAME_USE).
        pub kind: u16,
        /// Name.
        pub name: RpcUnicodeString,
        /// DomainIndex (-1 for none).
        pub domain_index: i32,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_NAMES (MS-LSAT 2.2.20).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedNames {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_TRANSLATED_NAME Names`.
        pub names: Option<Vec<TranslatedName>>,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_NAME_EX (MS-LSAT 2.2.21).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedNameEx {
        /// Use.
        pub kind: u16,
        /// Name.
        pub name: RpcUnicodeString,
        /// DomainIndex.
        pub domain_index: i32,
        /// Flags (none set by a standalone server).
        pub flags: u32,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_NAMES_EX (MS-LSAT 2.2.22).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedNamesEx {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_TRANSLATED_NAME_EX Names`.
        pub names: Option<Vec<TranslatedNameEx>>,
    }
}

ndr_struct! {
    /// LSA_TRANSLATED_SID (MS-LSAT 2.2.13).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSid {
        /// Use.
        pub kind: u16,
        /// RelativeId (0xFFFFFFFF for a domain).
        pub rid: u32,
        /// DomainIndex.
        pub domain_index: i32,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_SIDS (MS-LSAT 2.2.15).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSids {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSA_TRANSLATED_SID Sids`.
        pub sids: Option<Vec<TranslatedSid>>,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_SID_EX (MS-LSAT 2.2.23).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSidEx {
        /// Use.
        pub kind: u16,
        /// RelativeId.
        pub rid: u32,
        /// DomainIndex.
        pub domain_index: i32,
        /// Flags.
        pub flags: u32,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_SIDS_EX (MS-LSAT 2.2.24).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSidsEx {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_TRANSLATED_SID_EX Sids`.
        pub sids: Option<Vec<TranslatedSidEx>>,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_SID_EX2 (MS-LSAT 2.2.25).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSidEx2 {
        /// Use.
        pub kind: u16,
        /// Sid.
        pub sid: Option<Sid>,
        /// DomainIndex.
        pub domain_index: i32,
        /// Flags.
        pub flags: u32,
    }
}

ndr_struct! {
    /// LSAPR_TRANSLATED_SIDS_EX2 (MS-LSAT 2.2.26).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TranslatedSidsEx2 {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_TRANSLATED_SID_EX2 Sids`.
        pub sids: Option<Vec<TranslatedSidEx2>>,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_PRIVILEGE_DEF (MS-LSAD 2.2.8.1).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct PrivilegeDef {
        /// Name.
        pub name: RpcUnicodeString,
        /// LocalValue.
        pub luid: Luid,
    }
}

ndr_struct! {
    /// LSAPR_PRIVILEGE_ENUM_BUFFER (MS-LSAD 2.2.8.2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct PrivilegeEnumBuffer {
        /// Entries.
        pub entries: u32,
        /// `[size_is(Entries)] PLSAPR_POLICY_PRIVILEGE_DEF Privileges`.
        pub privileges: Option<Vec<PrivilegeDef>>,
    }
}

ndr_struct! {
    /// LSAPR_LUID_AND_ATTRIBUTES (MS-LSAD 2.2.5.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LuidAndAttributes {
        /// Luid.
        pub luid: Luid,
        /// Attributes.
        pub attributes: u32,
    }
}

/// LSAPR_PRIVILEGE_SET (MS-LSAD 2.2.5.5), a conformant structure:
///
/// ```text
/// typedef struct { [range(0,1000)] unsigned long PrivilegeCount; unsigned long Control;
///   [size_is(PrivilegeCount)] LSAPR_LUID_AND_ATTRIBUTES Privilege[*]; }
/// ```
///
/// The array's maximum count comes first, then the members and the elements. Decoding
/// requires the count to equal `PrivilegeCount` and at most 1000 elements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivilegeSet {
    /// Control.
    pub control: u32,
    /// The privileges.
    pub privileges: Vec<LuidAndAttributes>,
}

/// The most privileges a privilege set may carry (its `range(0,1000)`).
pub const MAX_PRIVILEGE_SET: usize = 1000;

impl Ndr for PrivilegeSet {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 12;
    fn encode_flat(&self, w: &mut NdrWriter) {
        let n = self.privileges.len() as u32;
        w.u32(n);
        w.u32(n);
        w.u32(self.control);
        for p in &self.privileges {
            p.encode_flat(w);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<PrivilegeSet, NdrError> {
        let max = r.u32()?;
        let count = r.u32()?;
        let control = r.u32()?;
        if max != count {
            return Err(NdrError::CountMismatch(
                "LSAPR_PRIVILEGE_SET conformance differs from PrivilegeCount",
            ));
        }
        if count as usize > MAX_PRIVILEGE_SET {
            return Err(NdrError::Invalid(
                "LSAPR_PRIVILEGE_SET over 1000 privileges",
            ));
        }
        let n = r.check_count(count, LuidAndAttributes::MIN_SIZE)?;
        let mut privileges = Vec::with_capacity(n);
        for _ in 0..n {
            privileges.push(LuidAndAttributes::decode_flat(r)?);
        }
        Ok(PrivilegeSet {
            control,
            privileges,
        })
    }
}

ndr_struct! {
    /// LSAPR_USER_RIGHT_SET (MS-LSAD 2.2.5.6).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserRightSet {
        /// Entries (`range(0,256)`).
        pub entries: u32,
        /// `[size_is(Entries)] PRPC_UNICODE_STRING UserRights`.
        pub rights: Option<Vec<RpcUnicodeString>>,
    }
}

/// The most rights a user right set may carry (its `range(0,256)`).
pub const MAX_USER_RIGHTS: u32 = 256;

impl UserRightSet {
    /// A set of `names`.
    pub fn of<S: AsRef<str>>(names: &[S]) -> UserRightSet {
        UserRightSet {
            entries: names.len() as u32,
            rights: Some(
                names
                    .iter()
                    .map(|n| RpcUnicodeString::new(n.as_ref()))
                    .collect(),
            ),
        }
    }
}

ndr_struct! {
    /// SECURITY_QUALITY_OF_SERVICE (MS-LSAD 2.2.3): read and ignored.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct QualityOfService {
        /// Length.
        pub length: u32,
        /// ImpersonationLevel (an enum: 16 bits).
        pub impersonation_level: u16,
        /// ContextTrackingMode.
        pub context_tracking_mode: u8,
        /// EffectiveOnly.
        pub effective_only: u8,
    }
}

ndr_struct! {
    /// STRING (MS-DTYP 2.3.3, as LSAPR_OBJECT_ATTRIBUTES.ObjectName uses it).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AnsiString {
        /// Length in bytes.
        pub length: u16,
        /// MaximumLength in bytes.
        pub maximum_length: u16,
        /// `[size_is(MaximumLength), length_is(Length)] char* Buffer`.
        pub buffer: Option<ConfVarArray<u8>>,
    }
}

/// LSAPR_ACL (MS-LSAD 2.2.5), a conformant structure: `AclRevision`, `Sbz1`,
/// `AclSize`, then `AclSize - 4` octets (the ACEs, uninterpreted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LsaAcl {
    /// AclRevision.
    pub revision: u8,
    /// The ACEs' octets.
    pub body: Vec<u8>,
}

impl Ndr for LsaAcl {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.u32(self.body.len() as u32);
        w.u8(self.revision);
        w.u8(0);
        w.u16((self.body.len() + 4).min(usize::from(u16::MAX)) as u16);
        w.bytes(&self.body);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<LsaAcl, NdrError> {
        let max = r.u32()?;
        let revision = r.u8()?;
        let _sbz1 = r.u8()?;
        let size = r.u16()?;
        if u32::from(size) < 4 || max != u32::from(size) - 4 {
            return Err(NdrError::CountMismatch("LSAPR_ACL size"));
        }
        let n = r.check_count(max, 1)?;
        Ok(LsaAcl {
            revision,
            body: r.bytes(n)?.to_vec(),
        })
    }
}

ndr_struct! {
    /// LSAPR_SECURITY_DESCRIPTOR (MS-LSAD 2.2.4): the descriptor an object-attributes
    /// block may carry; servers ignore it (MS-LSAD 3.1.4.4.1), so it is only read.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct LsaSecurityDescriptor {
        /// Revision.
        pub revision: u8,
        /// Sbz1.
        pub sbz1: u8,
        /// Control.
        pub control: u16,
        /// Owner.
        pub owner: Option<Sid>,
        /// Group.
        pub group: Option<Sid>,
        /// Sacl.
        pub sacl: Option<LsaAcl>,
        /// Dacl.
        pub dacl: Option<LsaAcl>,
    }
}

ndr_struct! {
    /// LSAPR_OBJECT_ATTRIBUTES (MS-LSAD 2.2.9). Servers ignore every member except
    /// `root_directory`, which must be null.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ObjectAttributes {
        /// Length.
        pub length: u32,
        /// `unsigned char* RootDirectory`.
        pub root_directory: Option<u8>,
        /// `PSTRING ObjectName`.
        pub object_name: Option<AnsiString>,
        /// Attributes.
        pub attributes: u32,
        /// `PLSAPR_SECURITY_DESCRIPTOR SecurityDescriptor`.
        pub security_descriptor: Option<LsaSecurityDescriptor>,
        /// `PSECURITY_QUALITY_OF_SERVICE SecurityQualityOfService`.
        pub quality_of_service: Option<QualityOfService>,
    }
}

impl ObjectAttributes {
    /// What clients send: a quality-of-service block and nothing else.
    pub fn client() -> ObjectAttributes {
        ObjectAttributes {
            quality_of_service: Some(QualityOfService {
                length: 12,
                impersonation_level: 2,
                context_tracking_mode: 1,
                effective_only: 0,
            }),
            ..ObjectAttributes::default()
        }
    }
}

ndr_struct! {
    /// LSAPR_REVISION_INFO_V1 (MS-LSAD 2.2.2.6), the one arm of LSAPR_REVISION_INFO.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct RevisionInfoV1 {
        /// Revision.
        pub revision: u32,
        /// SupportedFeatures.
        pub supported_features: u32,
    }
}

ndr_struct! {
    /// POLICY_AUDIT_LOG_INFO (MS-LSAD 2.2.4.3).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AuditLogInfo {
        /// AuditLogPercentFull.
        pub percent_full: u32,
        /// MaximumLogSize.
        pub maximum_log_size: u32,
        /// AuditRetentionPeriod.
        pub retention_period: i64,
        /// AuditLogFullShutdownInProgress.
        pub shutdown_in_progress: u8,
        /// TimeToShutdown.
        pub time_to_shutdown: i64,
        /// NextAuditRecordId.
        pub next_record_id: u32,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_AUDIT_EVENTS_INFO (MS-LSAD 2.2.4.4).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AuditEventsInfo {
        /// AuditingMode.
        pub auditing_mode: u8,
        /// `[size_is(MaximumAuditEventCount)] unsigned long* EventAuditingOptions`.
        pub options: Option<Vec<u32>>,
        /// MaximumAuditEventCount.
        pub count: u32,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_PRIMARY_DOM_INFO (MS-LSAD 2.2.4.5), also
    /// LSAPR_POLICY_ACCOUNT_DOM_INFO (2.2.4.6): a domain's name and SID.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainInfo {
        /// Name / DomainName.
        pub name: RpcUnicodeString,
        /// Sid / DomainSid.
        pub sid: Option<Sid>,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_PD_ACCOUNT_INFO (MS-LSAD 2.2.4.7).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct PdAccountInfo {
        /// Name.
        pub name: RpcUnicodeString,
    }
}

ndr_struct! {
    /// POLICY_LSA_SERVER_ROLE_INFO (MS-LSAD 2.2.4.8). POLICY_LSA_SERVER_ROLE is a
    /// `[v1_enum]`: 32 bits on the wire, unlike a plain NDR enum.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ServerRoleInfo {
        /// LsaServerRole.
        pub role: u32,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_REPLICA_SRCE_INFO (MS-LSAD 2.2.4.10).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ReplicaSourceInfo {
        /// ReplicaSource.
        pub source: RpcUnicodeString,
        /// ReplicaAccountName.
        pub account: RpcUnicodeString,
    }
}

ndr_struct! {
    /// POLICY_DEFAULT_QUOTA_INFO (MS-LSAD 2.2.4.11): QUOTA_LIMITS, whose
    /// `unsigned __int3264` members are 32 bits under NDR 2.0.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DefaultQuotaInfo {
        /// PagedPoolLimit.
        pub paged_pool: u32,
        /// NonPagedPoolLimit.
        pub non_paged_pool: u32,
        /// MinimumWorkingSetSize.
        pub min_working_set: u32,
        /// MaximumWorkingSetSize.
        pub max_working_set: u32,
        /// PagefileLimit.
        pub pagefile: u32,
        /// TimeLimit.
        pub time_limit: i64,
    }
}

ndr_struct! {
    /// POLICY_MODIFICATION_INFO (MS-LSAD 2.2.4.12).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ModificationInfo {
        /// ModifiedId.
        pub modified_id: i64,
        /// DatabaseCreationTime.
        pub creation_time: i64,
    }
}

ndr_struct! {
    /// POLICY_AUDIT_FULL_SET_INFO (MS-LSAD 2.2.4.13).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AuditFullSetInfo {
        /// ShutDownOnFull.
        pub shut_down_on_full: u8,
    }
}

ndr_struct! {
    /// POLICY_AUDIT_FULL_QUERY_INFO (MS-LSAD 2.2.4.14).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AuditFullQueryInfo {
        /// ShutDownOnFull.
        pub shut_down_on_full: u8,
        /// LogIsFull.
        pub log_is_full: u8,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_DNS_DOMAIN_INFO (MS-LSAD 2.2.4.15).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DnsDomainInfo {
        /// Name (NetBIOS).
        pub name: RpcUnicodeString,
        /// DnsDomainName.
        pub dns_domain: RpcUnicodeString,
        /// DnsForestName.
        pub dns_forest: RpcUnicodeString,
        /// DomainGuid.
        pub guid: Uuid,
        /// Sid.
        pub sid: Option<Sid>,
    }
}

ndr_struct! {
    /// LSAPR_POLICY_MACHINE_ACCT_INFO (MS-LSAD 2.2.4.17).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct MachineAccountInfo {
        /// Rid.
        pub rid: u32,
        /// Sid.
        pub sid: Option<Sid>,
    }
}

crate::samr_union! {
    /// LSAPR_POLICY_INFORMATION (MS-LSAD 2.2.4.2), keyed by POLICY_INFORMATION_CLASS
    /// (2.2.4.1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum PolicyInformation {
        /// PolicyAuditLogInformation.
        1 => AuditLog(AuditLogInfo),
        /// PolicyAuditEventsInformation.
        2 => AuditEvents(AuditEventsInfo),
        /// PolicyPrimaryDomainInformation.
        3 => PrimaryDomain(DomainInfo),
        /// PolicyPdAccountInformation.
        4 => PdAccount(PdAccountInfo),
        /// PolicyAccountDomainInformation.
        5 => AccountDomain(DomainInfo),
        /// PolicyLsaServerRoleInformation.
        6 => ServerRole(ServerRoleInfo),
        /// PolicyReplicaSourceInformation.
        7 => ReplicaSource(ReplicaSourceInfo),
        /// PolicyDefaultQuotaInformation.
        8 => DefaultQuota(DefaultQuotaInfo),
        /// PolicyModificationInformation.
        9 => Modification(ModificationInfo),
        /// PolicyAuditFullSetInformation.
        10 => AuditFullSet(AuditFullSetInfo),
        /// PolicyAuditFullQueryInformation.
        11 => AuditFullQuery(AuditFullQueryInfo),
        /// PolicyDnsDomainInformation.
        12 => DnsDomain(DnsDomainInfo),
        /// PolicyDnsDomainInformationInt.
        13 => DnsDomainInt(DnsDomainInfo),
        /// PolicyLocalAccountDomainInformation.
        14 => LocalAccountDomain(DomainInfo),
        /// PolicyMachineAccountInformation.
        15 => MachineAccount(MachineAccountInfo),
    }
}

ndr_struct! {
    /// POLICY_DOMAIN_KERBEROS_TICKET_INFO (MS-LSAD 2.2.4.19).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct KerberosTicketInfo {
        /// AuthenticationOptions.
        pub options: u32,
        /// MaxServiceTicketAge.
        pub max_service_ticket_age: i64,
        /// MaxTicketAge.
        pub max_ticket_age: i64,
        /// MaxRenewAge.
        pub max_renew_age: i64,
        /// MaxClockSkew.
        pub max_clock_skew: i64,
        /// Reserved.
        pub reserved: i64,
    }
}

crate::samr_union! {
    /// LSAPR_POLICY_DOMAIN_INFORMATION (MS-LSAD 2.2.4.18), the arm lwio answers.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum PolicyDomainInformation {
        /// PolicyDomainKerberosTicketInformation.
        3 => KerberosTicket(KerberosTicketInfo),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use lwio_rpc::ndr::{from_bytes, to_bytes};

    use super::*;

    #[test]
    fn privilege_sets_round_trip_and_refuse_mismatched_counts() {
        let set = PrivilegeSet {
            control: 1,
            privileges: vec![LuidAndAttributes {
                luid: Luid { low: 17, high: 0 },
                attributes: 0,
            }],
        };
        let bytes = to_bytes(&set);
        assert_eq!(&bytes[..12], &[1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(from_bytes::<PrivilegeSet>(&bytes).unwrap(), set);
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert!(from_bytes::<PrivilegeSet>(&bad).is_err());
        // A count far beyond the bytes present is refused before any allocation.
        let mut huge = vec![0xE8, 3, 0, 0, 0xE8, 3, 0, 0, 0, 0, 0, 0];
        huge.extend_from_slice(&[0; 12]);
        assert!(from_bytes::<PrivilegeSet>(&huge).is_err());
    }

    #[test]
    fn object_attributes_with_every_pointer_decode() {
        let attrs = ObjectAttributes {
            length: 24,
            root_directory: None,
            object_name: Some(AnsiString {
                length: 1,
                maximum_length: 1,
                buffer: Some(ConfVarArray::new(vec![b'x'])),
            }),
            attributes: 0,
            security_descriptor: Some(LsaSecurityDescriptor {
                revision: 1,
                control: 0x8004,
                owner: Some("S-1-5-32-544".parse().unwrap()),
                dacl: Some(LsaAcl {
                    revision: 2,
                    body: vec![0; 4],
                }),
                ..LsaSecurityDescriptor::default()
            }),
            quality_of_service: ObjectAttributes::client().quality_of_service,
        };
        let bytes = to_bytes(&attrs);
        assert_eq!(from_bytes::<ObjectAttributes>(&bytes).unwrap(), attrs);
    }

    #[test]
    fn policy_information_arms_align_as_ndr20() {
        // Level 1 carries hypers: the arm is 8-aligned after the 16-bit class.
        let info = PolicyInformation::AuditLog(AuditLogInfo::default());
        let bytes = to_bytes(&info);
        assert_eq!(&bytes[..2], &[1, 0]);
        assert_eq!(bytes.len(), 8 + 36);
        assert_eq!(from_bytes::<PolicyInformation>(&bytes).unwrap(), info);
        let info = PolicyInformation::AccountDomain(DomainInfo {
            name: RpcUnicodeString::new("LWIO"),
            sid: Some("S-1-5-21-1-2-3".parse().unwrap()),
        });
        assert_eq!(
            from_bytes::<PolicyInformation>(&to_bytes(&info)).unwrap(),
            info
        );
    }
}
