//! The user information levels of MS-SAMR (2.2.6, SAMPR_USER_INFO_BUFFER): their NDR
//! structures and the union that selects one by USER_INFORMATION_CLASS.

use lwio_rpc::ndr::RpcUnicodeString;
use lwio_rpc::ndr_struct;

use super::types::{
    EncHash, EncPasswordAes, EncUserPassword, EncUserPasswordNew, LogonHours, OldLarge, ShortBlob,
    SrSecurityDescriptor, StringInfo,
};
use crate::samr_union;

ndr_struct! {
    /// SAMPR_USER_GENERAL_INFORMATION (level 1).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserGeneral {
        /// UserName.
        pub user_name: RpcUnicodeString,
        /// FullName.
        pub full_name: RpcUnicodeString,
        /// PrimaryGroupId.
        pub primary_group: u32,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
        /// UserComment.
        pub user_comment: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_USER_PREFERENCES_INFORMATION (level 2).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserPreferences {
        /// UserComment.
        pub user_comment: RpcUnicodeString,
        /// Reserved1.
        pub reserved: RpcUnicodeString,
        /// CountryCode.
        pub country_code: u16,
        /// CodePage.
        pub code_page: u16,
    }
}

ndr_struct! {
    /// SAMPR_USER_LOGON_INFORMATION (level 3).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserLogon {
        /// UserName.
        pub user_name: RpcUnicodeString,
        /// FullName.
        pub full_name: RpcUnicodeString,
        /// UserId.
        pub user_id: u32,
        /// PrimaryGroupId.
        pub primary_group: u32,
        /// HomeDirectory.
        pub home_directory: RpcUnicodeString,
        /// HomeDirectoryDrive.
        pub home_drive: RpcUnicodeString,
        /// ScriptPath.
        pub script_path: RpcUnicodeString,
        /// ProfilePath.
        pub profile_path: RpcUnicodeString,
        /// WorkStations.
        pub workstations: RpcUnicodeString,
        /// LastLogon.
        pub last_logon: OldLarge,
        /// LastLogoff.
        pub last_logoff: OldLarge,
        /// PasswordLastSet.
        pub password_last_set: OldLarge,
        /// PasswordCanChange.
        pub password_can_change: OldLarge,
        /// PasswordMustChange.
        pub password_must_change: OldLarge,
        /// LogonHours.
        pub logon_hours: LogonHours,
        /// BadPasswordCount.
        pub bad_password_count: u16,
        /// LogonCount.
        pub logon_count: u16,
        /// UserAccountControl.
        pub account_control: u32,
    }
}

ndr_struct! {
    /// SAMPR_USER_ACCOUNT_INFORMATION (level 5).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserAccount {
        /// UserName.
        pub user_name: RpcUnicodeString,
        /// FullName.
        pub full_name: RpcUnicodeString,
        /// UserId.
        pub user_id: u32,
        /// PrimaryGroupId.
        pub primary_group: u32,
        /// HomeDirectory.
        pub home_directory: RpcUnicodeString,
        /// HomeDirectoryDrive.
        pub home_drive: RpcUnicodeString,
        /// ScriptPath.
        pub script_path: RpcUnicodeString,
        /// ProfilePath.
        pub profile_path: RpcUnicodeString,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
        /// WorkStations.
        pub workstations: RpcUnicodeString,
        /// LastLogon.
        pub last_logon: OldLarge,
        /// LastLogoff.
        pub last_logoff: OldLarge,
        /// LogonHours.
        pub logon_hours: LogonHours,
        /// BadPasswordCount.
        pub bad_password_count: u16,
        /// LogonCount.
        pub logon_count: u16,
        /// PasswordLastSet.
        pub password_last_set: OldLarge,
        /// AccountExpires.
        pub account_expires: OldLarge,
        /// UserAccountControl.
        pub account_control: u32,
    }
}

ndr_struct! {
    /// A level of two strings (6: UserName and FullName; 10: HomeDirectory and drive).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct TwoStrings {
        /// The first string.
        pub first: RpcUnicodeString,
        /// The second string.
        pub second: RpcUnicodeString,
    }
}

ndr_struct! {
    /// SAMPR_USER_LOGON_HOURS_INFORMATION (level 4).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserLogonHours {
        /// LogonHours.
        pub logon_hours: LogonHours,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL1_INFORMATION (level 18).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal1 {
        /// EncryptedNtOwfPassword.
        pub nt: EncHash,
        /// EncryptedLmOwfPassword.
        pub lm: EncHash,
        /// NtPasswordPresent.
        pub nt_present: u8,
        /// LmPasswordPresent.
        pub lm_present: u8,
        /// PasswordExpired.
        pub password_expired: u8,
    }
}

ndr_struct! {
    /// SAMPR_USER_ALL_INFORMATION (level 21).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserAll {
        /// LastLogon.
        pub last_logon: OldLarge,
        /// LastLogoff.
        pub last_logoff: OldLarge,
        /// PasswordLastSet.
        pub password_last_set: OldLarge,
        /// AccountExpires.
        pub account_expires: OldLarge,
        /// PasswordCanChange.
        pub password_can_change: OldLarge,
        /// PasswordMustChange.
        pub password_must_change: OldLarge,
        /// UserName.
        pub user_name: RpcUnicodeString,
        /// FullName.
        pub full_name: RpcUnicodeString,
        /// HomeDirectory.
        pub home_directory: RpcUnicodeString,
        /// HomeDirectoryDrive.
        pub home_drive: RpcUnicodeString,
        /// ScriptPath.
        pub script_path: RpcUnicodeString,
        /// ProfilePath.
        pub profile_path: RpcUnicodeString,
        /// AdminComment.
        pub admin_comment: RpcUnicodeString,
        /// WorkStations.
        pub workstations: RpcUnicodeString,
        /// UserComment.
        pub user_comment: RpcUnicodeString,
        /// Parameters.
        pub parameters: RpcUnicodeString,
        /// LmOwfPassword.
        pub lm_owf: ShortBlob,
        /// NtOwfPassword.
        pub nt_owf: ShortBlob,
        /// PrivateData.
        pub private_data: RpcUnicodeString,
        /// SecurityDescriptor.
        pub security_descriptor: SrSecurityDescriptor,
        /// UserId.
        pub user_id: u32,
        /// PrimaryGroupId.
        pub primary_group: u32,
        /// UserAccountControl.
        pub account_control: u32,
        /// WhichFields.
        pub which_fields: u32,
        /// LogonHours.
        pub logon_hours: LogonHours,
        /// BadPasswordCount.
        pub bad_password_count: u16,
        /// LogonCount.
        pub logon_count: u16,
        /// CountryCode.
        pub country_code: u16,
        /// CodePage.
        pub code_page: u16,
        /// LmPasswordPresent.
        pub lm_present: u8,
        /// NtPasswordPresent.
        pub nt_present: u8,
        /// PasswordExpired.
        pub password_expired: u8,
        /// PrivateDataSensitive.
        pub private_data_sensitive: u8,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL4_INFORMATION (level 23).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal4 {
        /// I1.
        pub all: UserAll,
        /// UserPassword.
        pub password: EncUserPassword,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL5_INFORMATION (level 24).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal5 {
        /// UserPassword.
        pub password: EncUserPassword,
        /// PasswordExpired.
        pub password_expired: u8,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL4_INFORMATION_NEW (level 25).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal4New {
        /// I1.
        pub all: UserAll,
        /// UserPassword.
        pub password: EncUserPasswordNew,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL5_INFORMATION_NEW (level 26).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal5New {
        /// UserPassword.
        pub password: EncUserPasswordNew,
        /// PasswordExpired.
        pub password_expired: u8,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL7_INFORMATION (level 31).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal7 {
        /// UserPassword.
        pub password: EncPasswordAes,
        /// PasswordExpired.
        pub password_expired: u8,
    }
}

ndr_struct! {
    /// SAMPR_USER_INTERNAL8_INFORMATION (level 32).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct UserInternal8 {
        /// I1.
        pub all: UserAll,
        /// UserPassword.
        pub password: EncPasswordAes,
    }
}

samr_union! {
    /// SAMPR_USER_INFO_BUFFER (2.2.6.29), by USER_INFORMATION_CLASS.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum UserInfo {
        /// UserGeneralInformation.
        1 => General(UserGeneral),
        /// UserPreferencesInformation.
        2 => Preferences(UserPreferences),
        /// UserLogonInformation.
        3 => Logon(UserLogon),
        /// UserLogonHoursInformation.
        4 => LogonHours(UserLogonHours),
        /// UserAccountInformation.
        5 => Account(UserAccount),
        /// UserNameInformation.
        6 => Name(TwoStrings),
        /// UserAccountNameInformation.
        7 => AccountName(StringInfo),
        /// UserFullNameInformation.
        8 => FullName(StringInfo),
        /// UserPrimaryGroupInformation.
        9 => PrimaryGroup(u32),
        /// UserHomeInformation.
        10 => Home(TwoStrings),
        /// UserScriptInformation.
        11 => Script(StringInfo),
        /// UserProfileInformation.
        12 => Profile(StringInfo),
        /// UserAdminCommentInformation.
        13 => AdminComment(StringInfo),
        /// UserWorkStationsInformation.
        14 => WorkStations(StringInfo),
        /// UserControlInformation.
        16 => Control(u32),
        /// UserExpiresInformation.
        17 => Expires(OldLarge),
        /// UserInternal1Information.
        18 => Internal1(UserInternal1),
        /// UserParametersInformation.
        20 => Parameters(StringInfo),
        /// UserAllInformation.
        21 => All(UserAll),
        /// UserInternal4Information.
        23 => Internal4(UserInternal4),
        /// UserInternal5Information.
        24 => Internal5(UserInternal5),
        /// UserInternal4InformationNew.
        25 => Internal4New(UserInternal4New),
        /// UserInternal5InformationNew.
        26 => Internal5New(UserInternal5New),
        /// UserInternal7Information.
        31 => Internal7(UserInternal7),
        /// UserInternal8Information.
        32 => Internal8(UserInternal8),
    }
}

/// USER_ALL_* bits of WhichFields (MS-SAMR 2.2.1.8).
pub mod fields {
    /// USER_ALL_USERNAME.
    pub const USERNAME: u32 = 0x0000_0001;
    /// USER_ALL_FULLNAME.
    pub const FULLNAME: u32 = 0x0000_0002;
    /// USER_ALL_USERID.
    pub const USERID: u32 = 0x0000_0004;
    /// USER_ALL_PRIMARYGROUPID.
    pub const PRIMARYGROUPID: u32 = 0x0000_0008;
    /// USER_ALL_ADMINCOMMENT.
    pub const ADMINCOMMENT: u32 = 0x0000_0010;
    /// USER_ALL_USERCOMMENT.
    pub const USERCOMMENT: u32 = 0x0000_0020;
    /// USER_ALL_HOMEDIRECTORY.
    pub const HOMEDIRECTORY: u32 = 0x0000_0040;
    /// USER_ALL_HOMEDIRECTORYDRIVE.
    pub const HOMEDIRECTORYDRIVE: u32 = 0x0000_0080;
    /// USER_ALL_SCRIPTPATH.
    pub const SCRIPTPATH: u32 = 0x0000_0100;
    /// USER_ALL_PROFILEPATH.
    pub const PROFILEPATH: u32 = 0x0000_0200;
    /// USER_ALL_WORKSTATIONS.
    pub const WORKSTATIONS: u32 = 0x0000_0400;
    /// USER_ALL_LASTLOGON.
    pub const LASTLOGON: u32 = 0x0000_0800;
    /// USER_ALL_LASTLOGOFF.
    pub const LASTLOGOFF: u32 = 0x0000_1000;
    /// USER_ALL_LOGONHOURS.
    pub const LOGONHOURS: u32 = 0x0000_2000;
    /// USER_ALL_BADPASSWORDCOUNT.
    pub const BADPASSWORDCOUNT: u32 = 0x0000_4000;
    /// USER_ALL_LOGONCOUNT.
    pub const LOGONCOUNT: u32 = 0x0000_8000;
    /// USER_ALL_PASSWORDCANCHANGE.
    pub const PASSWORDCANCHANGE: u32 = 0x0001_0000;
    /// USER_ALL_PASSWORDMUSTCHANGE.
    pub const PASSWORDMUSTCHANGE: u32 = 0x0002_0000;
    /// USER_ALL_PASSWORDLASTSET.
    pub const PASSWORDLASTSET: u32 = 0x0004_0000;
    /// USER_ALL_ACCOUNTEXPIRES.
    pub const ACCOUNTEXPIRES: u32 = 0x0008_0000;
    /// USER_ALL_USERACCOUNTCONTROL.
    pub const USERACCOUNTCONTROL: u32 = 0x0010_0000;
    /// USER_ALL_PARAMETERS.
    pub const PARAMETERS: u32 = 0x0020_0000;
    /// USER_ALL_COUNTRYCODE.
    pub const COUNTRYCODE: u32 = 0x0040_0000;
    /// USER_ALL_CODEPAGE.
    pub const CODEPAGE: u32 = 0x0080_0000;
    /// USER_ALL_NTPASSWORDPRESENT.
    pub const NTPASSWORDPRESENT: u32 = 0x0100_0000;
    /// USER_ALL_LMPASSWORDPRESENT.
    pub const LMPASSWORDPRESENT: u32 = 0x0200_0000;
    /// USER_ALL_PRIVATEDATA.
    pub const PRIVATEDATA: u32 = 0x0400_0000;
    /// USER_ALL_PASSWORDEXPIRED.
    pub const PASSWORDEXPIRED: u32 = 0x0800_0000;
    /// USER_ALL_SECURITYDESCRIPTOR.
    pub const SECURITYDESCRIPTOR: u32 = 0x1000_0000;
    /// USER_ALL_OWFPASSWORD.
    pub const OWFPASSWORD: u32 = 0x2000_0000;
    /// Fields a client may not set (read-only or not settable over the wire).
    pub const READ_ONLY: u32 = USERID
        | LASTLOGON
        | LASTLOGOFF
        | LOGONCOUNT
        | PASSWORDCANCHANGE
        | PASSWORDMUSTCHANGE
        | PASSWORDLASTSET
        | PRIVATEDATA
        | SECURITYDESCRIPTOR
        | OWFPASSWORD;
}
