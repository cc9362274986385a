//! The NDR structures of MS-SAMR (section 2.2) that the calls here carry, as lwio-rpc
//! `Ndr` types. Each is a transcription of its IDL; decoding is bounded by lwio-rpc's
//! reader (every count checked against the bytes left before allocating).
//!
//! Unions are non-encapsulated with a 16-bit discriminant (the `*_INFORMATION_CLASS`
//! enums): under NDR 2.0 the discriminant aligns to 2 and each arm to its own alignment
//! (the union-wide alignment of MS-RPCE 2.2.5.3.4.4 is NDR64's), which
//! [`samr_union!`](crate::samr_union) implements.

use lwio_core::Sid;
use lwio_rpc::ndr::{ConfVarArray, Ndr, NdrReader, NdrWriter, RpcUnicodeString};
use lwio_rpc::{NdrError, ndr_struct};

/// Declares a SAMR information union: a `u16` class, then the arm.
#[macro_export]
#[doc(hidden)]
macro_rules! samr_union {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $val:literal => $variant:ident ( $vty:ty ) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant($vty), )*
        }

        impl $name {
            /// The information class of this arm.
            pub fn level(&self) -> u16 {
                match self {
                    $( $name::$variant(_) => $val, )*
                }
            }
        }

        impl lwio_rpc::ndr::Ndr for $name {
            const ALIGN: usize = 2;
            const MIN_SIZE: usize = 2;

            fn encode_flat(&self, w: &mut lwio_rpc::ndr::NdrWriter) {
                w.align(2);
                w.u16(self.level());
                match self {
                    $( $name::$variant(v) => lwio_rpc::ndr::Ndr::encode_flat(v, w), )*
                }
            }

            fn encode_deferred(&self, w: &mut lwio_rpc::ndr::NdrWriter) {
                match self {
                    $( $name::$variant(v) => lwio_rpc::ndr::Ndr::encode_deferred(v, w), )*
                }
            }

            fn decode_flat(
                r: &mut lwio_rpc::ndr::NdrReader<'_>,
            ) -> Result<Self, lwio_rpc::NdrError> {
                r.align(2)?;
                match r.u16()? {
                    $( $val => Ok($name::$variant(
                        <$vty as lwio_rpc::ndr::Ndr>::decode_flat(r)?,
                    )), )*
                    other => Err(lwio_rpc::NdrError::BadUnionArm(u32::from(other))),
                }
            }

            fn decode_deferred(
                &mut self,
                r: &mut lwio_rpc::ndr::NdrReader<'_>,
            ) -> Result<(), lwio_rpc::NdrError> {
                match self {
                    $( $name::$variant(v) => lwio_rpc::ndr::Ndr::decode_deferred(v, r), )*
                }
            }
        }
    };
}

/// OLD_LARGE_INTEGER (MS-SAMR 2.2.2.1): a signed 64-bit value as two 32-bit halves, low
/// first, aligned to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OldLarge(pub i64);

impl Ndr for OldLarge {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 8;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.align(4);
        w.u32(self.0 as u32);
        w.u32((self.0 >> 32) as u32);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<OldLarge, NdrError> {
        r.align(4)?;
        let low = r.u32()?;
        let high = r.u32()?;
        Ok(OldLarge(((u64::from(high) << 32) | u64::from(low)) as i64))
    }
}

/// A string field's text (a null buffer reads as empty).
pub fn text(s: &RpcUnicodeString) -> String {
    s.to_string_lossy().unwrap_or_default()
}

/// An RPC_UNICODE_STRING of `s`.
pub fn ustr(s: &str) -> RpcUnicodeString {
    RpcUnicodeString::new(s)
}

ndr_struct! {
    /// SAMPR_RID_ENUMERATION (2.2.3.9).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct RidEnumeration {
        /// RelativeId.
        pub rid: u32,
        /// Name.
        pub name: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_ENUMERATION_BUFFER (2.2.3.10).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct EnumerationBuffer {
        /// EntriesRead.
        pub count: u32,
        /// `[size_is(EntriesRead)] PSAMPR_RID_ENUMERATION Buffer`.
        pub buffer: Option<Vec<RidEnumeration>>,
    }
}

ndr_struct! {
    /// SAMPR_ULONG_ARRAY (2.2.7.4).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UlongArray {
        /// Count.
        pub count: u32,
        /// `[size_is(Count)] unsigned long* Element`.
        pub element: Option<Vec<u32>>,
    }
}

impl UlongArray {
    /// An array of `v` (a null pointer when empty, as Windows sends).
    pub fn of(v: Vec<u32>) -> UlongArray {
        UlongArray {
            count: v.len() as u32,
            element: Some(v),
        }
    }
}

ndr_struct! {
    /// SAMPR_RETURNED_USTRING_ARRAY (2.2.7.5).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UstringArray {
        /// Count.
        pub count: u32,
        /// `[size_is(Count)] PRPC_UNICODE_STRING Element`.
        pub element: Option<Vec<RpcUnicodeString>>,
    }
}

ndr_struct! {
    /// SAMPR_SR_SECURITY_DESCRIPTOR (2.2.3.11).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SrSecurityDescriptor {
        /// Length.
        pub length: u32,
        /// `[size_is(Length)] unsigned char* SecurityDescriptor`.
        pub sd: Option<Vec<u8>>,
    }
}

ndr_struct! {
    /// SAMPR_SID_INFORMATION (2.2.3.5).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SidInformation {
        /// SidPointer.
        pub sid: Option<Sid>,
    }
}

ndr_struct! {
    /// SAMPR_PSID_ARRAY (2.2.3.6) and SAMPR_PSID_ARRAY_OUT (2.2.3.7).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct PsidArray {
        /// Count.
        pub count: u32,
        /// `[size_is(Count)] PSAMPR_SID_INFORMATION Sids`.
        pub sids: Option<Vec<SidInformation>>,
    }
}

ndr_struct! {
    /// GROUP_MEMBERSHIP (2.2.3.8).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct GroupMembership {
        /// RelativeId.
        pub rid: u32,
        /// Attributes.
        pub attributes: u32,
    }
}

ndr_struct! {
    /// SAMPR_GET_GROUPS_BUFFER (2.2.3.13).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct GetGroupsBuffer {
        /// MembershipCount.
        pub count: u32,
        /// `[size_is(MembershipCount)] PGROUP_MEMBERSHIP Groups`.
        pub groups: Option<Vec<GroupMembership>>,
    }
}

ndr_struct! {
    /// SAMPR_GET_MEMBERS_BUFFER (2.2.3.14).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct GetMembersBuffer {
        /// MemberCount.
        pub count: u32,
        /// `[size_is(MemberCount)] unsigned long* Members`.
        pub members: Option<Vec<u32>>,
        /// `[size_is(MemberCount)] unsigned long* Attributes`.
        pub attributes: Option<Vec<u32>>,
    }
}

ndr_struct! {
    /// USER_DOMAIN_PASSWORD_INFORMATION (2.2.6.28).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserDomainPasswordInformation {
        /// MinPasswordLength.
        pub min_length: u16,
        /// PasswordProperties.
        pub properties: u32,
    }
}

ndr_struct! {
    /// SAMPR_REVISION_INFO_V1 (2.2.3.15).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct RevisionInfoV1 {
        /// Revision (3).
        pub revision: u32,
        /// SupportedFeatures.
        pub supported_features: u32,
    }
}

ndr_struct! {
    /// RPC_STRING (MS-DTYP 2.3.9, as MS-SAMR uses it): an OEM string.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct RpcString {
        /// Length in bytes.
        pub length: u16,
        /// MaximumLength in bytes.
        pub maximum_length: u16,
        /// `[size_is(MaximumLength), length_is(Length)] char* Buffer`.
        pub buffer: Option<ConfVarArray<u8>>,
    }
}

impl RpcString {
    /// An OEM string of `s` (non-ASCII characters become '?').
    pub fn new(s: &str) -> RpcString {
        let bytes: Vec<u8> = s
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .take(0xFFFF)
            .collect();
        let n = bytes.len() as u16;
        RpcString {
            length: n,
            maximum_length: n,
            buffer: Some(ConfVarArray::new(bytes)),
        }
    }

    /// The text (bytes taken as Latin-1).
    pub fn text(&self) -> String {
        self.buffer
            .as_ref()
            .map(|b| b.items.iter().map(|c| char::from(*c)).collect())
            .unwrap_or_default()
    }
}

ndr_struct! {
    /// SAMPR_LOGON_HOURS (2.2.7.5): `[size_is(1260), length_is((UnitsPerWeek+7)/8)]`.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct LogonHours {
        /// UnitsPerWeek.
        pub units_per_week: u16,
        /// The bitmap.
        pub hours: Option<ConfVarArray<u8>>,
    }
}

impl LogonHours {
    /// The stored form: units and bytes.
    pub fn of(units: u16, bytes: &[u8]) -> LogonHours {
        if units == 0 && bytes.is_empty() {
            // Any time: 168 hours, all set, as Windows reports an unrestricted account.
            return LogonHours {
                units_per_week: 168,
                hours: Some(ConfVarArray {
                    max_count: 1260,
                    items: vec![0xFF; 21],
                }),
            };
        }
        LogonHours {
            units_per_week: units,
            hours: Some(ConfVarArray {
                max_count: 1260,
                items: bytes.to_vec(),
            }),
        }
    }
}

ndr_struct! {
    /// RPC_SHORT_BLOB (2.2.3.4? MS-SAMR 2.2.7.23): a counted array of 16-bit units.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShortBlob {
        /// Length in bytes.
        pub length: u16,
        /// MaximumLength in bytes.
        pub maximum_length: u16,
        /// `[size_is(MaximumLength/2), length_is(Length/2)] unsigned short* Buffer`.
        pub buffer: Option<ConfVarArray<u16>>,
    }
}

impl ShortBlob {
    /// The blob's bytes (little-endian units).
    pub fn bytes(&self) -> Vec<u8> {
        self.buffer
            .as_ref()
            .map(|b| b.items.iter().flat_map(|u| u.to_le_bytes()).collect())
            .unwrap_or_default()
    }
}

/// A fixed 16-byte hash (ENCRYPTED_NT_OWF_PASSWORD / ENCRYPTED_LM_OWF_PASSWORD, 2.2.7.3).
pub type EncHash = [u8; 16];

/// SAMPR_ENCRYPTED_USER_PASSWORD (2.2.6.21): 516 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncUserPassword(pub [u8; 516]);

impl Default for EncUserPassword {
    fn default() -> Self {
        EncUserPassword([0; 516])
    }
}

impl Ndr for EncUserPassword {
    const ALIGN: usize = 1;
    const MIN_SIZE: usize = 516;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.bytes(&self.0);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let mut b = [0u8; 516];
        b.copy_from_slice(r.bytes(516)?);
        Ok(EncUserPassword(b))
    }
}

/// SAMPR_ENCRYPTED_USER_PASSWORD_NEW (2.2.6.22): 532 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncUserPasswordNew(pub [u8; 532]);

impl Default for EncUserPasswordNew {
    fn default() -> Self {
        EncUserPasswordNew([0; 532])
    }
}

impl Ndr for EncUserPasswordNew {
    const ALIGN: usize = 1;
    const MIN_SIZE: usize = 532;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.bytes(&self.0);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let mut b = [0u8; 532];
        b.copy_from_slice(r.bytes(532)?);
        Ok(EncUserPasswordNew(b))
    }
}

/// SAMPR_ENCRYPTED_PASSWORD_AES (2.2.6.32).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncPasswordAes {
    /// AuthData.
    pub auth_data: [u8; 64],
    /// Salt.
    pub salt: [u8; 16],
    /// cbCipher.
    pub cipher_len: u32,
    /// `[size_is(cbCipher)] PUCHAR Cipher`.
    pub cipher: Option<Vec<u8>>,
    /// PBKDF2Iterations.
    pub iterations: u64,
}

impl Default for EncPasswordAes {
    fn default() -> Self {
        EncPasswordAes {
            auth_data: [0; 64],
            salt: [0; 16],
            cipher_len: 0,
            cipher: None,
            iterations: 0,
        }
    }
}

impl Ndr for EncPasswordAes {
    const ALIGN: usize = 8;
    const MIN_SIZE: usize = 96;
    fn encode_flat(&self, w: &mut NdrWriter) {
        w.align(8);
        w.bytes(&self.auth_data);
        w.bytes(&self.salt);
        w.u32(self.cipher_len);
        self.cipher.encode_flat(w);
        w.align(8);
        w.u64(self.iterations);
    }
    fn encode_deferred(&self, w: &mut NdrWriter) {
        self.cipher.encode_deferred(w);
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        r.align(8)?;
        let mut auth_data = [0u8; 64];
        auth_data.copy_from_slice(r.bytes(64)?);
        let mut salt = [0u8; 16];
        salt.copy_from_slice(r.bytes(16)?);
        let cipher_len = r.u32()?;
        let cipher = Option::<Vec<u8>>::decode_flat(r)?;
        r.align(8)?;
        let iterations = r.u64()?;
        Ok(EncPasswordAes {
            auth_data,
            salt,
            cipher_len,
            cipher,
            iterations,
        })
    }
    fn decode_deferred(&mut self, r: &mut NdrReader<'_>) -> Result<(), NdrError> {
        self.cipher.decode_deferred(r)?;
        if self.cipher.as_ref().map_or(0, Vec::len) != self.cipher_len as usize {
            return Err(NdrError::CountMismatch(
                "cbCipher disagrees with the cipher",
            ));
        }
        Ok(())
    }
}

impl EncPasswordAes {
    /// As the crypto module's form.
    pub fn to_crypto(&self) -> crate::crypto::AesPassword {
        crate::crypto::AesPassword {
            auth_data: self.auth_data,
            salt: self.salt,
            cipher: self.cipher.clone().unwrap_or_default(),
            iterations: self.iterations,
        }
    }
}

// ------------------------------------------------------------------ domain information

ndr_struct! {
    /// DOMAIN_PASSWORD_INFORMATION (2.2.3.5? 2.2.4.5).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainPasswordInfo {
        /// MinPasswordLength.
        pub min_length: u16,
        /// PasswordHistoryLength.
        pub history_length: u16,
        /// PasswordProperties.
        pub properties: u32,
        /// MaxPasswordAge (negative).
        pub max_age: OldLarge,
        /// MinPasswordAge (negative).
        pub min_age: OldLarge,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_GENERAL_INFORMATION (2.2.4.7).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainGeneralInfo {
        /// ForceLogoff.
        pub force_logoff: OldLarge,
        /// OemInformation.
        pub oem_information: RpcUnicodeString,
        /// DomainName.
        pub domain_name: RpcUnicodeString,
        /// ReplicaSourceNodeName.
        pub replica_source: RpcUnicodeString,
        /// DomainModifiedCount.
        pub modified_count: OldLarge,
        /// DomainServerState (1 enabled).
        pub server_state: u32,
        /// DomainServerRole (3 primary).
        pub server_role: u32,
        /// UasCompatibilityRequired.
        pub uas_compatibility: u8,
        /// UserCount.
        pub user_count: u32,
        /// GroupCount.
        pub group_count: u32,
        /// AliasCount.
        pub alias_count: u32,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_GENERAL_INFORMATION2 (2.2.4.8).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainGeneralInfo2 {
        /// The general part.
        pub general: DomainGeneralInfo,
        /// LockoutDuration (negative).
        pub lockout_duration: OldLarge,
        /// LockoutObservationWindow (negative).
        pub lockout_window: OldLarge,
        /// LockoutThreshold.
        pub lockout_threshold: u16,
    }
}

ndr_struct! {
    /// DOMAIN_LOGOFF_INFORMATION (2.2.4.2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainLogoffInfo {
        /// ForceLogoff (negative).
        pub force_logoff: OldLarge,
    }
}

ndr_struct! {
    /// A domain information level holding one string (OEM 4, name 5, replication 6).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainStringInfo {
        /// The string.
        pub value: RpcUnicodeString,
    }
}

ndr_struct! {
    /// DOMAIN_MODIFIED_INFORMATION (2.2.4.9).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainModifiedInfo {
        /// DomainModifiedCount.
        pub modified_count: OldLarge,
        /// CreationTime.
        pub creation_time: OldLarge,
    }
}

ndr_struct! {
    /// DOMAIN_MODIFIED_INFORMATION2 (2.2.4.10).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainModifiedInfo2 {
        /// DomainModifiedCount.
        pub modified_count: OldLarge,
        /// CreationTime.
        pub creation_time: OldLarge,
        /// ModifiedCountAtLastPromotion.
        pub at_last_promotion: OldLarge,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_LOCKOUT_INFORMATION (2.2.4.15): LARGE_INTEGERs, aligned to 8.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DomainLockoutInfo {
        /// LockoutDuration (negative).
        pub duration: i64,
        /// LockoutObservationWindow (negative).
        pub window: i64,
        /// LockoutThreshold.
        pub threshold: u16,
    }
}

samr_union! {
    /// SAMPR_DOMAIN_INFO_BUFFER (2.2.4.17), by DOMAIN_INFORMATION_CLASS.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum DomainInfo {
        /// DomainPasswordInformation.
        1 => Password(DomainPasswordInfo),
        /// DomainGeneralInformation.
        2 => General(DomainGeneralInfo),
        /// DomainLogoffInformation.
        3 => Logoff(DomainLogoffInfo),
        /// DomainOemInformation.
        4 => Oem(DomainStringInfo),
        /// DomainNameInformation.
        5 => Name(DomainStringInfo),
        /// DomainReplicationInformation.
        6 => Replication(DomainStringInfo),
        /// DomainServerRoleInformation (DOMAIN_SERVER_ROLE, an enum).
        7 => Role(u16),
        /// DomainModifiedInformation.
        8 => Modified(DomainModifiedInfo),
        /// DomainStateInformation (DOMAIN_SERVER_ENABLE_STATE, an enum).
        9 => State(u16),
        /// DomainGeneralInformation2.
        11 => General2(DomainGeneralInfo2),
        /// DomainLockoutInformation.
        12 => Lockout(DomainLockoutInfo),
        /// DomainModifiedInformation2.
        13 => Modified2(DomainModifiedInfo2),
    }
}

// ------------------------------------------------------------------ display information

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_USER (2.2.8.2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayUser {
        /// Index.
        pub index: u32,
        /// Rid.
        pub rid: u32,
        /// AccountControl.
        pub account_control: u32,
        /// AccountName.
        pub account_name: RpcUnicodeString,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
        /// FullName.
        pub full_name: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_MACHINE (2.2.8.3).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayMachine {
        /// Index.
        pub index: u32,
        /// Rid.
        pub rid: u32,
        /// AccountControl.
        pub account_control: u32,
        /// AccountName.
        pub account_name: RpcUnicodeString,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_GROUP (2.2.8.4).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayGroup {
        /// Index.
        pub index: u32,
        /// Rid.
        pub rid: u32,
        /// Attributes.
        pub attributes: u32,
        /// AccountName.
        pub account_name: RpcUnicodeString,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_OEM_USER / _OEM_GROUP (2.2.8.5, 2.2.8.6).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayOem {
        /// Index.
        pub index: u32,
        /// OemAccountName.
        pub name: RpcString,
    }
}

ndr_struct! {
    /// A display buffer: EntriesRead, then `[size_is(EntriesRead)]` entries.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayUserBuffer {
        /// EntriesRead.
        pub count: u32,
        /// Buffer.
        pub buffer: Option<Vec<DisplayUser>>,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_MACHINE_BUFFER.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayMachineBuffer {
        /// EntriesRead.
        pub count: u32,
        /// Buffer.
        pub buffer: Option<Vec<DisplayMachine>>,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_GROUP_BUFFER.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayGroupBuffer {
        /// EntriesRead.
        pub count: u32,
        /// Buffer.
        pub buffer: Option<Vec<DisplayGroup>>,
    }
}

ndr_struct! {
    /// SAMPR_DOMAIN_DISPLAY_OEM_USER_BUFFER / _OEM_GROUP_BUFFER.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct DisplayOemBuffer {
        /// EntriesRead.
        pub count: u32,
        /// Buffer.
        pub buffer: Option<Vec<DisplayOem>>,
    }
}

samr_union! {
    /// SAMPR_DISPLAY_INFO_BUFFER (2.2.8.12), by DOMAIN_DISPLAY_INFORMATION.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum DisplayInfo {
        /// DomainDisplayUser.
        1 => User(DisplayUserBuffer),
        /// DomainDisplayMachine.
        2 => Machine(DisplayMachineBuffer),
        /// DomainDisplayGroup.
        3 => Group(DisplayGroupBuffer),
        /// DomainDisplayOemUser.
        4 => OemUser(DisplayOemBuffer),
        /// DomainDisplayOemGroup.
        5 => OemGroup(DisplayOemBuffer),
    }
}

// ------------------------------------------------------------------ groups and aliases

ndr_struct! {
    /// SAMPR_GROUP_GENERAL_INFORMATION (2.2.5.7).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct GroupGeneralInfo {
        /// Name.
        pub name: RpcUnicodeString,
        /// Attributes.
        pub attributes: u32,
        /// MemberCount.
        pub member_count: u32,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
    }
}

ndr_struct! {
    /// A group or alias information level holding one string.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct StringInfo {
        /// The string.
        pub value: RpcUnicodeString,
    }
}

samr_union! {
    /// SAMPR_GROUP_INFO_BUFFER (2.2.5.10), by GROUP_INFORMATION_CLASS.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum GroupInfo {
        /// GroupGeneralInformation.
        1 => General(GroupGeneralInfo),
        /// GroupNameInformation.
        2 => Name(StringInfo),
        /// GroupAttributeInformation.
        3 => Attribute(u32),
        /// GroupAdminCommentInformation.
        4 => AdminComment(StringInfo),
        /// GroupReplicationInformation.
        5 => Replication(GroupGeneralInfo),
    }
}

ndr_struct! {
    /// SAMPR_ALIAS_GENERAL_INFORMATION (2.2.5.11? 2.2.6.1).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct AliasGeneralInfo {
        /// Name.
        pub name: RpcUnicodeString,
        /// MemberCount.
        pub member_count: u32,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
    }
}

samr_union! {
    /// SAMPR_ALIAS_INFO_BUFFER, by ALIAS_INFORMATION_CLASS.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum AliasInfo {
        /// AliasGeneralInformation.
        1 => General(AliasGeneralInfo),
        /// AliasNameInformation.
        2 => Name(StringInfo),
        /// AliasAdminCommentInformation.
        3 => AdminComment(StringInfo),
    }
}
