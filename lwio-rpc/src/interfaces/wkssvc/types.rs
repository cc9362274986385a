//! The wkssvc structures (MS-WKST section 2.2), transcribed for the NDR runtime, and the
//! parameter lists of each operation (section 3.2.4).

use crate::interfaces::level_union;
use crate::ndr::{RpcUnicodeString, WStrPtr, WString};
use crate::ndr_struct;

/// `JOINPR_ENCRYPTED_USER_PASSWORD`: 524 opaque bytes.
pub type EncryptedPassword = [u8; 524];

ndr_struct! {
    /// WKSTA_INFO_100.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo100 {
        /// wki100_platform_id.
        pub platform_id: u32,
        /// wki100_computername.
        pub computer_name: WStrPtr,
        /// wki100_langroup.
        pub lan_group: WStrPtr,
        /// wki100_ver_major.
        pub ver_major: u32,
        /// wki100_ver_minor.
        pub ver_minor: u32,
    }
}

ndr_struct! {
    /// WKSTA_INFO_101.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo101 {
        /// wki101_platform_id.
        pub platform_id: u32,
        /// wki101_computername.
        pub computer_name: WStrPtr,
        /// wki101_langroup.
        pub lan_group: WStrPtr,
        /// wki101_ver_major.
        pub ver_major: u32,
        /// wki101_ver_minor.
        pub ver_minor: u32,
        /// wki101_lanroot.
        pub lan_root: WStrPtr,
    }
}

ndr_struct! {
    /// WKSTA_INFO_102.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaInfo102 {
        /// wki102_platform_id.
        pub platform_id: u32,
        /// wki102_computername.
        pub computer_name: WStrPtr,
        /// wki102_langroup.
        pub lan_group: WStrPtr,
        /// wki102_ver_major.
        pub ver_major: u32,
        /// wki102_ver_minor.
        pub ver_minor: u32,
        /// wki102_lanroot.
        pub lan_root: WStrPtr,
        /// wki102_logged_on_users.
        pub logged_on_users: u32,
    }
}

/// WKSTA_INFO_502: the redirector's tuning, 35 `unsigned long`s in order
/// (`wki502_char_wait` … `wki502_use_512_byte_max_transfer`; the last fifteen are
/// booleans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WkstaInfo502 {
    /// The members, in structure order.
    pub values: [u32; 35],
}

impl crate::ndr::Ndr for WkstaInfo502 {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 140;

    fn encode_flat(&self, w: &mut crate::ndr::NdrWriter) {
        for v in self.values {
            w.u32(v);
        }
    }

    fn decode_flat(r: &mut crate::ndr::NdrReader<'_>) -> Result<Self, crate::NdrError> {
        let mut values = [0u32; 35];
        for v in &mut values {
            *v = r.u32()?;
        }
        Ok(WkstaInfo502 { values })
    }
}

level_union! {
    /// WKSTA_INFO, the levels served.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum WkstaInfo {
        /// Level 100.
        100 => Info100(WkstaInfo100),
        /// Level 101.
        101 => Info101(WkstaInfo101),
        /// Level 102.
        102 => Info102(WkstaInfo102),
        /// Level 502.
        502 => Info502(WkstaInfo502),
    }
}

ndr_struct! {
    /// WKSTA_USER_INFO_0.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaUserInfo0 {
        /// wkui0_username.
        pub user_name: WStrPtr,
    }
}

ndr_struct! {
    /// WKSTA_USER_INFO_1.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaUserInfo1 {
        /// wkui1_username.
        pub user_name: WStrPtr,
        /// wkui1_logon_domain.
        pub logon_domain: WStrPtr,
        /// wkui1_oth_domains.
        pub other_domains: WStrPtr,
        /// wkui1_logon_server.
        pub logon_server: WStrPtr,
    }
}

ndr_struct! {
    /// WKSTA_USER_INFO_1101.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct WkstaUserInfo1101 {
        /// wkui1101_oth_domains.
        pub other_domains: WStrPtr,
    }
}

macro_rules! container {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        ndr_struct! {
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Eq, Default)]
            pub struct $name {
                /// EntriesRead.
                pub count: u32,
                /// `[size_is(EntriesRead)]` Buffer.
                pub buffer: Option<Vec<$item>>,
            }
        }

        impl $name {
            /// A container holding `items`.
            pub fn of(items: Vec<$item>) -> $name {
                $name {
                    count: crate::interfaces::vec_len(items.len()),
                    buffer: Some(items),
                }
            }
        }
    };
}

container!(
    /// WKSTA_USER_INFO_0_CONTAINER.
    UserInfo0Container,
    WkstaUserInfo0
);
container!(
    /// WKSTA_USER_INFO_1_CONTAINER.
    UserInfo1Container,
    WkstaUserInfo1
);

level_union! {
    /// The `[switch_is(Level)]` union of WKSTA_USER_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum UserEnumUnion {
        /// Level 0.
        0 => Level0(UserInfo0Container),
        /// Level 1.
        1 => Level1(UserInfo1Container),
    }
}

ndr_struct! {
    /// WKSTA_USER_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct UserEnumStruct {
        /// Level.
        pub level: u32,
        /// WkstaUserInfo.
        pub info: UserEnumUnion,
    }
}

level_union! {
    /// WKSTA_USER_INFO, NetrWkstaUserGetInfo's answer.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum WkstaUserInfo {
        /// Level 0.
        0 => Info0(WkstaUserInfo0),
        /// Level 1.
        1 => Info1(WkstaUserInfo1),
        /// Level 1101.
        1101 => Info1101(WkstaUserInfo1101),
    }
}

ndr_struct! {
    /// WKSTA_TRANSPORT_INFO_0.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TransportInfo0 {
        /// wkti0_quality_of_service.
        pub quality_of_service: u32,
        /// wkti0_number_of_vcs.
        pub vc_count: u32,
        /// wkti0_transport_name.
        pub name: WStrPtr,
        /// wkti0_transport_address.
        pub address: WStrPtr,
        /// wkti0_wan_ish.
        pub wan_link: u32,
    }
}

container!(
    /// WKSTA_TRANSPORT_INFO_0_CONTAINER.
    TransportInfo0Container,
    TransportInfo0
);

level_union! {
    /// The `[switch_is(Level)]` union of WKSTA_TRANSPORT_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum TransportEnumUnion {
        /// Level 0.
        0 => Level0(TransportInfo0Container),
    }
}

ndr_struct! {
    /// WKSTA_TRANSPORT_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TransportEnumStruct {
        /// Level.
        pub level: u32,
        /// WkstaTransportInfo.
        pub info: TransportEnumUnion,
    }
}

ndr_struct! {
    /// USE_INFO_0.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UseInfo0 {
        /// ui0_local.
        pub local: WStrPtr,
        /// ui0_remote.
        pub remote: WStrPtr,
    }
}

ndr_struct! {
    /// USE_INFO_1.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UseInfo1 {
        /// ui1_local.
        pub local: WStrPtr,
        /// ui1_remote.
        pub remote: WStrPtr,
        /// ui1_password.
        pub password: WStrPtr,
        /// ui1_status.
        pub status: u32,
        /// ui1_asg_type.
        pub asg_type: u32,
        /// ui1_refcount.
        pub ref_count: u32,
        /// ui1_usecount.
        pub use_count: u32,
    }
}

ndr_struct! {
    /// USE_INFO_2.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UseInfo2 {
        /// ui2_local.
        pub local: WStrPtr,
        /// ui2_remote.
        pub remote: WStrPtr,
        /// ui2_password.
        pub password: WStrPtr,
        /// ui2_status.
        pub status: u32,
        /// ui2_asg_type.
        pub asg_type: u32,
        /// ui2_refcount.
        pub ref_count: u32,
        /// ui2_usecount.
        pub use_count: u32,
        /// ui2_username.
        pub user_name: WStrPtr,
        /// ui2_domainname.
        pub domain_name: WStrPtr,
    }
}

ndr_struct! {
    /// USE_INFO_3.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UseInfo3 {
        /// ui3_ui2.
        pub info2: UseInfo2,
        /// ui3_flags.
        pub flags: u32,
    }
}

level_union! {
    /// USE_INFO.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum UseInfo {
        /// Level 0.
        0 => Info0(UseInfo0),
        /// Level 1.
        1 => Info1(UseInfo1),
        /// Level 2.
        2 => Info2(UseInfo2),
        /// Level 3.
        3 => Info3(UseInfo3),
    }
}

container!(
    /// USE_INFO_0_CONTAINER.
    UseInfo0Container,
    UseInfo0
);
container!(
    /// USE_INFO_1_CONTAINER.
    UseInfo1Container,
    UseInfo1
);
container!(
    /// USE_INFO_2_CONTAINER.
    UseInfo2Container,
    UseInfo2
);

level_union! {
    /// The `[switch_is(Level)]` union of USE_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum UseEnumUnion {
        /// Level 0.
        0 => Level0(UseInfo0Container),
        /// Level 1.
        1 => Level1(UseInfo1Container),
        /// Level 2.
        2 => Level2(UseInfo2Container),
    }
}

ndr_struct! {
    /// USE_ENUM_STRUCT.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct UseEnumStruct {
        /// Level.
        pub level: u32,
        /// UseInfo.
        pub info: UseEnumUnion,
    }
}

/// STAT_WORKSTATION_0: 13 64-bit counters (the first is
/// `StatisticsStartTime`, a FILETIME), then 27 32-bit ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatWorkstation0 {
    /// StatisticsStartTime, then the 64-bit byte and SMB counters.
    pub large: [u64; 13],
    /// The 32-bit operation and connection counters.
    pub small: [u32; 27],
}

impl crate::ndr::Ndr for StatWorkstation0 {
    const ALIGN: usize = 8;
    const MIN_SIZE: usize = 13 * 8 + 27 * 4;

    fn encode_flat(&self, w: &mut crate::ndr::NdrWriter) {
        w.align(8);
        for v in self.large {
            w.u64(v);
        }
        for v in self.small {
            w.u32(v);
        }
    }

    fn decode_flat(r: &mut crate::ndr::NdrReader<'_>) -> Result<Self, crate::NdrError> {
        r.align(8)?;
        let mut s = StatWorkstation0::default();
        for v in &mut s.large {
            *v = r.u64()?;
        }
        for v in &mut s.small {
            *v = r.u32()?;
        }
        Ok(s)
    }
}

ndr_struct! {
    /// NET_COMPUTER_NAME_ARRAY.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ComputerNameArray {
        /// EntryCount.
        pub count: u32,
        /// `[size_is(EntryCount)] PUNICODE_STRING ComputerNames`.
        pub names: Option<Vec<RpcUnicodeString>>,
    }
}

/// NETSETUP_JOIN_STATUS values.
pub mod join_status {
    /// NetSetupUnknownStatus.
    pub const UNKNOWN: u16 = 0;
    /// NetSetupUnjoined.
    pub const UNJOINED: u16 = 1;
    /// NetSetupWorkgroupName.
    pub const WORKGROUP_NAME: u16 = 2;
    /// NetSetupDomainName.
    pub const DOMAIN_NAME: u16 = 3;
}

/// NET_COMPUTER_NAME_TYPE values.
pub mod name_type {
    /// NetPrimaryComputerName.
    pub const PRIMARY: u16 = 0;
    /// NetAlternateComputerNames.
    pub const ALTERNATES: u16 = 1;
    /// NetAllComputerNames.
    pub const ALL: u16 = 2;
}

/// Parameter lists (`[in]` as a request, `[out]` and the return value as a response).
pub mod params {
    use super::*;

    /// NetrWkstaGetInfo in: ServerName, Level.
    pub type GetInfoIn = (WStrPtr, u32);
    /// NetrWkstaGetInfo out.
    pub type GetInfoOut = (WkstaInfo, u32);
    /// NetrWkstaUserEnum in: ServerName, UserInfo, PreferredMaximumLength, ResumeHandle.
    pub type UserEnumIn = (WStrPtr, UserEnumStruct, u32, Option<u32>);
    /// NetrWkstaUserEnum out: UserInfo, TotalEntries, ResumeHandle, status.
    pub type UserEnumOut = (UserEnumStruct, u32, Option<u32>, u32);
    /// NetrWkstaUserGetInfo in: Unused, Level.
    pub type UserGetInfoIn = (WStrPtr, u32);
    /// NetrWkstaUserGetInfo out.
    pub type UserGetInfoOut = (WkstaUserInfo, u32);
    /// NetrWkstaTransportEnum in: ServerName, TransportInfo, PreferredMaximumLength,
    /// ResumeHandle.
    pub type TransportEnumIn = (WStrPtr, TransportEnumStruct, u32, Option<u32>);
    /// NetrWkstaTransportEnum out: TransportInfo, TotalEntries, ResumeHandle, status.
    pub type TransportEnumOut = (TransportEnumStruct, u32, Option<u32>, u32);
    /// NetrWkstaTransportAdd in: ServerName, Level, TransportInfo, ErrorParameter.
    pub type TransportAddIn = (WStrPtr, u32, TransportInfo0, Option<u32>);
    /// NetrWkstaTransportDel in: ServerName, TransportName, ForceLevel.
    pub type TransportDelIn = (WStrPtr, WStrPtr, u32);
    /// NetrUseAdd in: ServerName, Level, InfoStruct, ErrorParameter.
    pub type UseAddIn = (WStrPtr, u32, UseInfo, Option<u32>);
    /// NetrUseGetInfo in: ServerName, UseName, Level.
    pub type UseGetInfoIn = (WStrPtr, WString, u32);
    /// NetrUseDel in: ServerName, UseName, ForceLevel.
    pub type UseDelIn = (WStrPtr, WString, u32);
    /// NetrUseEnum in: ServerName, InfoStruct, PreferedMaximumSize, ResumeHandle.
    pub type UseEnumIn = (WStrPtr, UseEnumStruct, u32, Option<u32>);
    /// NetrUseEnum out: InfoStruct, TotalEntries, ResumeHandle, status.
    pub type UseEnumOut = (UseEnumStruct, u32, Option<u32>, u32);
    /// NetrMessageBufferSend in: ServerName, MessageName, FromName, Message, MessageSize.
    pub type MessageBufferSendIn = (WStrPtr, WString, WStrPtr, Vec<u8>, u32);
    /// NetrWorkstationStatisticsGet in: ServerName, ServiceName, Level, Options.
    pub type StatisticsGetIn = (WStrPtr, WStrPtr, u32, u32);
    /// NetrWorkstationStatisticsGet out: `*Buffer`, status.
    pub type StatisticsGetOut = (Option<StatWorkstation0>, u32);
    /// NetrJoinDomain in: ServerName, DomainName, AccountOU, AccountName, Password,
    /// Options.
    pub type JoinDomainIn = (WStrPtr, WString, WStrPtr, WStrPtr, WStrPtr, u32);
    /// NetrUnjoinDomain in: ServerName, AccountName, Password, Options.
    pub type UnjoinDomainIn = (WStrPtr, WStrPtr, WStrPtr, u32);
    /// NetrRenameMachineInDomain in: ServerName, MachineName, AccountName, Password,
    /// Options.
    pub type RenameMachineIn = (WStrPtr, WStrPtr, WStrPtr, WStrPtr, u32);
    /// NetrValidateName in: ServerName, NameToValidate, AccountName, Password, NameType.
    pub type ValidateNameIn = (WStrPtr, WString, WStrPtr, WStrPtr, u16);
    /// NetrGetJoinInformation in: ServerName, NameBuffer.
    pub type GetJoinInfoIn = (WStrPtr, WStrPtr);
    /// NetrGetJoinInformation out: NameBuffer, BufferType, status.
    pub type GetJoinInfoOut = (WStrPtr, u16, u32);
    /// NetrGetJoinableOUs in: ServerName, DomainName, AccountName, Password, OUCount.
    pub type GetJoinableOusIn = (WStrPtr, WString, WStrPtr, WStrPtr, u32);
    /// NetrGetJoinableOUs2 in: ServerName, DomainName, AccountName, Password, OUCount.
    pub type GetJoinableOus2In = (WStrPtr, WString, WStrPtr, Option<EncryptedPassword>, u32);
    /// NetrGetJoinableOUs(2) out: OUCount, OUs (a null pointer here), status.
    pub type GetJoinableOusOut = (u32, Option<u32>, u32);
    /// NetrValidateName2 in: ServerName, NameToValidate, AccountName, Password, NameType.
    pub type ValidateName2In = (WStrPtr, WString, WStrPtr, Option<EncryptedPassword>, u16);
    /// NetrAdd/RemoveAlternateComputerName in: ServerName, Name, DomainAccount,
    /// EncryptedPassword, Reserved.
    pub type AlternateNameIn = (WStrPtr, WStrPtr, WStrPtr, Option<EncryptedPassword>, u32);
    /// NetrEnumerateComputerNames in: ServerName, NameType, Reserved.
    pub type EnumComputerNamesIn = (WStrPtr, u16, u32);
    /// NetrEnumerateComputerNames out: ComputerNames, status.
    pub type EnumComputerNamesOut = (Option<ComputerNameArray>, u32);
}
