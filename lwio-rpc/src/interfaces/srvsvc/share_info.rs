//! The share information structures of MS-SRVS (2.2.4.22 to 2.2.4.38) and the two unions
//! that carry them: SHARE_ENUM_UNION (NetrShareEnum's containers, 2.2.3.5) and SHARE_INFO
//! (one share, for NetrShareGetInfo, NetrShareAdd and NetrShareSetInfo, 2.2.3.6).
//!
//! Each level is a view of the same share: 0 the name; 1 with type and remark; 2 with the
//! connection counts and the local path; 501 level 1 with the SHI1005 flags; 502 level 2
//! with the share's security descriptor; 503 level 502 with the scoping server name
//! (always `*` here: lwio has no scoped shares); and the single-field levels 1004 (remark),
//! 1005 (flags), 1006 (connection limit) and 1501 (descriptor) that NetrShareSetInfo uses
//! to change one setting. SHARE_INFO's IDL has an empty `[default]` arm, so a level it does
//! not know is only its discriminant on the wire.
//!
//! Beyond MS-SRVS' IDL, as the Win32 lmshare.h and Samba's IDL have them: SHARE_INFO_1007
//! (flags and an alternate directory name) is an arm of SHARE_INFO, and the
//! single-setting levels 1004 to 1007 and 1501 are arms of SHARE_ENUM_UNION (containers of
//! those structures). No call serves them (ERROR_INVALID_LEVEL); they exist so that such a
//! request decodes instead of faulting, and so that the refusal carries the null pointer
//! those clients read after the discriminant.

use super::{ShareRecord, ShareType};
use super::{level_union, vec_len, wstr};
use crate::ndr::{WStrPtr, WString};
use crate::ndr_struct;

/// The SHI1005 flags (MS-SRVS 2.2.4.29), reported at levels 501 and 1005.
pub mod shi1005 {
    /// SHI1005_FLAGS_DFS: the share is in a DFS tree (ignored by NetrShareSetInfo).
    pub const DFS: u32 = 0x0000_0001;
    /// SHI1005_FLAGS_DFS_ROOT: the share is a DFS root (ignored by NetrShareSetInfo).
    pub const DFS_ROOT: u32 = 0x0000_0002;
    /// CSC_MASK: the client-side caching state (2.2.2.5).
    pub const CSC_MASK: u32 = 0x0000_0030;
    /// SHI1005_FLAGS_RESTRICT_EXCLUSIVE_OPENS.
    pub const RESTRICT_EXCLUSIVE_OPENS: u32 = 0x0000_0100;
    /// SHI1005_FLAGS_FORCE_SHARED_DELETE.
    pub const FORCE_SHARED_DELETE: u32 = 0x0000_0200;
    /// SHI1005_FLAGS_ALLOW_NAMESPACE_CACHING.
    pub const ALLOW_NAMESPACE_CACHING: u32 = 0x0000_0400;
    /// SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM.
    pub const ACCESS_BASED_DIRECTORY_ENUM: u32 = 0x0000_0800;
    /// SHI1005_FLAGS_FORCE_LEVELII_OPLOCK.
    pub const FORCE_LEVELII_OPLOCK: u32 = 0x0000_1000;
    /// SHI1005_FLAGS_ENABLE_HASH: BranchCache hashes, which lwio does not generate.
    pub const ENABLE_HASH: u32 = 0x0000_2000;
    /// SHI1005_FLAGS_ENABLE_CA: a continuously available share.
    pub const ENABLE_CA: u32 = 0x0000_4000;
    /// SHI1005_FLAGS_ENCRYPT_DATA.
    pub const ENCRYPT_DATA: u32 = 0x0000_8000;
    /// SHI1005_FLAGS_COMPRESS_DATA.
    pub const COMPRESS_DATA: u32 = 0x0010_0000;
    /// Every flag MS-SRVS defines.
    pub const ALL: u32 = DFS
        | DFS_ROOT
        | CSC_MASK
        | RESTRICT_EXCLUSIVE_OPENS
        | FORCE_SHARED_DELETE
        | ALLOW_NAMESPACE_CACHING
        | ACCESS_BASED_DIRECTORY_ENUM
        | FORCE_LEVELII_OPLOCK
        | ENABLE_HASH
        | ENABLE_CA
        | ENCRYPT_DATA
        | COMPRESS_DATA;
}

ndr_struct! {
    /// SHARE_INFO_0 (2.2.4.22).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo0 {
        /// shi0_netname.
        pub netname: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_1 (2.2.4.23).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1 {
        /// shi1_netname.
        pub netname: WStrPtr,
        /// shi1_type.
        pub share_type: u32,
        /// shi1_remark.
        pub remark: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_2 (2.2.4.24).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo2 {
        /// shi2_netname.
        pub netname: WStrPtr,
        /// shi2_type.
        pub share_type: u32,
        /// shi2_remark.
        pub remark: WStrPtr,
        /// shi2_permissions.
        pub permissions: u32,
        /// shi2_max_uses.
        pub max_uses: u32,
        /// shi2_current_uses.
        pub current_uses: u32,
        /// shi2_path.
        pub path: WStrPtr,
        /// shi2_passwd (always null).
        pub passwd: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_501 (2.2.4.25).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo501 {
        /// shi501_netname.
        pub netname: WStrPtr,
        /// shi501_type.
        pub share_type: u32,
        /// shi501_remark.
        pub remark: WStrPtr,
        /// shi501_flags.
        pub flags: u32,
    }
}

ndr_struct! {
    /// SHARE_INFO_502_I (2.2.4.26).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo502 {
        /// shi502_netname.
        pub netname: WStrPtr,
        /// shi502_type.
        pub share_type: u32,
        /// shi502_remark.
        pub remark: WStrPtr,
        /// shi502_permissions.
        pub permissions: u32,
        /// shi502_max_uses.
        pub max_uses: u32,
        /// shi502_current_uses.
        pub current_uses: u32,
        /// shi502_path.
        pub path: WStrPtr,
        /// shi502_passwd (always null).
        pub passwd: WStrPtr,
        /// shi502_reserved: the descriptor's length.
        pub reserved: u32,
        /// `[size_is(shi502_reserved)] unsigned char* shi502_security_descriptor`.
        pub security_descriptor: Option<Vec<u8>>,
    }
}

ndr_struct! {
    /// SHARE_INFO_503_I (2.2.4.27): level 502 and the scoping server name.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo503 {
        /// shi503_netname.
        pub netname: WStrPtr,
        /// shi503_type.
        pub share_type: u32,
        /// shi503_remark.
        pub remark: WStrPtr,
        /// shi503_permissions.
        pub permissions: u32,
        /// shi503_max_uses.
        pub max_uses: u32,
        /// shi503_current_uses.
        pub current_uses: u32,
        /// shi503_path.
        pub path: WStrPtr,
        /// shi503_passwd (always null).
        pub passwd: WStrPtr,
        /// shi503_servername: `*`, no scoping server name.
        pub servername: WStrPtr,
        /// shi503_reserved: the descriptor's length.
        pub reserved: u32,
        /// `[size_is(shi503_reserved)] PUCHAR shi503_security_descriptor`.
        pub security_descriptor: Option<Vec<u8>>,
    }
}

ndr_struct! {
    /// SHARE_INFO_1004 (2.2.4.28).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1004 {
        /// shi1004_remark.
        pub remark: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_1005 (2.2.4.29).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1005 {
        /// shi1005_flags (the level 501 flags, [`shi1005`]).
        pub flags: u32,
    }
}

ndr_struct! {
    /// SHARE_INFO_1006 (2.2.4.30).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1006 {
        /// shi1006_max_uses.
        pub max_uses: u32,
    }
}

ndr_struct! {
    /// SHARE_INFO_1007 (lmshare.h; not in MS-SRVS): the SHI1005 flags and an alternate
    /// directory name. No Windows call answers this level (ERROR_INVALID_LEVEL); it is
    /// here so the union arm that clients such as Samba's declare for it decodes and so an
    /// answer at this level carries the (null) pointer those clients read.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1007 {
        /// shi1007_flags.
        pub flags: u32,
        /// shi1007_AlternateDirectoryName.
        pub alternate_directory_name: WStrPtr,
    }
}

ndr_struct! {
    /// SHARE_INFO_1501_I (2.2.4.31).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ShareInfo1501 {
        /// shi1501_reserved: the descriptor's length.
        pub reserved: u32,
        /// `[size_is(shi1501_reserved)] unsigned char* shi1501_security_descriptor`.
        pub security_descriptor: Option<Vec<u8>>,
    }
}

container!(
    /// SHARE_INFO_0_CONTAINER.
    ShareInfo0Container,
    ShareInfo0
);
container!(
    /// SHARE_INFO_1_CONTAINER.
    ShareInfo1Container,
    ShareInfo1
);
container!(
    /// SHARE_INFO_2_CONTAINER.
    ShareInfo2Container,
    ShareInfo2
);
container!(
    /// SHARE_INFO_501_CONTAINER.
    ShareInfo501Container,
    ShareInfo501
);
container!(
    /// SHARE_INFO_502_CONTAINER.
    ShareInfo502Container,
    ShareInfo502
);
container!(
    /// SHARE_INFO_503_CONTAINER.
    ShareInfo503Container,
    ShareInfo503
);

container!(
    /// The level 1004 container (remarks): decoded, never served.
    ShareInfo1004Container,
    ShareInfo1004
);
container!(
    /// The level 1005 container (flags): decoded, never served.
    ShareInfo1005Container,
    ShareInfo1005
);
container!(
    /// The level 1006 container (connection limits): decoded, never served.
    ShareInfo1006Container,
    ShareInfo1006
);
container!(
    /// The level 1007 container (flags and alternate names): decoded, never served.
    ShareInfo1007Container,
    ShareInfo1007
);
container!(
    /// The level 1501 container (descriptors): decoded, never served.
    ShareInfo1501Container,
    ShareInfo1501
);

level_union! {
    /// SHARE_ENUM_UNION (2.2.3.5). MS-SRVS declares the levels 0 to 503 only; clients
    /// (Samba's among them) also send the single-setting levels 1004 to 1007 and 1501 with
    /// a container pointer set, so those arms decode too. NetrShareEnum answers them with
    /// ERROR_INVALID_LEVEL and a null container (3.1.4.8). Any other level decodes only
    /// with a null pointer (its container's layout is unknown).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ShareEnumUnion {
        /// Level 0.
        0 => Level0(ShareInfo0Container),
        /// Level 1.
        1 => Level1(ShareInfo1Container),
        /// Level 2.
        2 => Level2(ShareInfo2Container),
        /// Level 501.
        501 => Level501(ShareInfo501Container),
        /// Level 502.
        502 => Level502(ShareInfo502Container),
        /// Level 503.
        503 => Level503(ShareInfo503Container),
        /// Level 1004 (never served).
        1004 => Level1004(ShareInfo1004Container),
        /// Level 1005 (never served).
        1005 => Level1005(ShareInfo1005Container),
        /// Level 1006 (never served).
        1006 => Level1006(ShareInfo1006Container),
        /// Level 1007 (never served).
        1007 => Level1007(ShareInfo1007Container),
        /// Level 1501 (never served).
        1501 => Level1501(ShareInfo1501Container),
    }
}

ndr_struct! {
    /// SHARE_ENUM_STRUCT (2.2.4.38).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ShareEnumStruct {
        /// Level.
        pub level: u32,
        /// `[switch_is(Level)]` ShareInfo.
        pub info: ShareEnumUnion,
    }
}

level_union! {
    default: empty;
    /// SHARE_INFO (2.2.3.6): one share, at one level. Its `[default]` arm is empty, so
    /// `Unknown` is the discriminant alone. Level 1007 is not in MS-SRVS but in lmshare.h
    /// and Samba's IDL, whose clients read a pointer after its discriminant: it has an arm
    /// (always null in answers, ERROR_INVALID_LEVEL).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ShareInfo {
        /// Level 0.
        0 => Info0(ShareInfo0),
        /// Level 1.
        1 => Info1(ShareInfo1),
        /// Level 2.
        2 => Info2(ShareInfo2),
        /// Level 501.
        501 => Info501(ShareInfo501),
        /// Level 502.
        502 => Info502(ShareInfo502),
        /// Level 503.
        503 => Info503(ShareInfo503),
        /// Level 1004.
        1004 => Info1004(ShareInfo1004),
        /// Level 1005.
        1005 => Info1005(ShareInfo1005),
        /// Level 1006.
        1006 => Info1006(ShareInfo1006),
        /// Level 1007 (lmshare.h).
        1007 => Info1007(ShareInfo1007),
        /// Level 1501.
        1501 => Info1501(ShareInfo1501),
    }
}

/// A `[string, unique]` pointer to `s`, null when `s` is empty (an absent path).
pub(super) fn wstr_opt(s: &str) -> WStrPtr {
    (!s.is_empty()).then(|| WString::from(s))
}

/// The type as srvsvc reports it: the cluster bits cleared (3.1.4.8).
fn out_type(s: &ShareRecord) -> u32 {
    s.share_type.0 & !ShareType::CLUSTER_MASK
}

fn descriptor(s: &ShareRecord) -> (u32, Option<Vec<u8>>) {
    let sd = s.security_descriptor.clone();
    (sd.as_ref().map_or(0, |d| vec_len(d.len())), sd)
}

/// SHARE_INFO_0 of `s`.
pub(crate) fn info0(s: &ShareRecord) -> ShareInfo0 {
    ShareInfo0 {
        netname: wstr(&s.name),
    }
}

/// SHARE_INFO_1 of `s`.
pub(crate) fn info1(s: &ShareRecord) -> ShareInfo1 {
    ShareInfo1 {
        netname: wstr(&s.name),
        share_type: out_type(s),
        remark: wstr(&s.comment),
    }
}

/// SHARE_INFO_2 of `s`.
pub(crate) fn info2(s: &ShareRecord) -> ShareInfo2 {
    ShareInfo2 {
        netname: wstr(&s.name),
        share_type: out_type(s),
        remark: wstr(&s.comment),
        permissions: s.permissions,
        max_uses: s.max_uses,
        current_uses: s.current_uses,
        path: wstr_opt(&s.path),
        passwd: None,
    }
}

/// SHARE_INFO_501 of `s`.
pub(crate) fn info501(s: &ShareRecord) -> ShareInfo501 {
    ShareInfo501 {
        netname: wstr(&s.name),
        share_type: out_type(s),
        remark: wstr(&s.comment),
        flags: s.flags,
    }
}

/// SHARE_INFO_502_I of `s`.
pub(crate) fn info502(s: &ShareRecord) -> ShareInfo502 {
    let i = info2(s);
    let (reserved, security_descriptor) = descriptor(s);
    ShareInfo502 {
        netname: i.netname,
        share_type: i.share_type,
        remark: i.remark,
        permissions: i.permissions,
        max_uses: i.max_uses,
        current_uses: i.current_uses,
        path: i.path,
        passwd: None,
        reserved,
        security_descriptor,
    }
}

/// SHARE_INFO_503_I of `s`, with the server name `*`.
pub(crate) fn info503(s: &ShareRecord) -> ShareInfo503 {
    let i = info502(s);
    ShareInfo503 {
        netname: i.netname,
        share_type: i.share_type,
        remark: i.remark,
        permissions: i.permissions,
        max_uses: i.max_uses,
        current_uses: i.current_uses,
        path: i.path,
        passwd: None,
        servername: wstr("*"),
        reserved: i.reserved,
        security_descriptor: i.security_descriptor,
    }
}

/// SHARE_INFO of `s` at `level`; `Unknown` for a level NetrShareGetInfo does not serve.
pub(crate) fn share_info(level: u32, s: &ShareRecord) -> ShareInfo {
    match level {
        0 => ShareInfo::Info0(Some(info0(s))),
        1 => ShareInfo::Info1(Some(info1(s))),
        2 => ShareInfo::Info2(Some(info2(s))),
        501 => ShareInfo::Info501(Some(info501(s))),
        502 => ShareInfo::Info502(Some(info502(s))),
        503 => ShareInfo::Info503(Some(info503(s))),
        1005 => ShareInfo::Info1005(Some(ShareInfo1005 { flags: s.flags })),
        other => ShareInfo::null(other),
    }
}

/// SHARE_ENUM_UNION of `shares` at `level`; `Unknown` for a level NetrShareEnum does not
/// serve.
pub(crate) fn enum_union(level: u32, shares: &[ShareRecord]) -> ShareEnumUnion {
    fn each<T>(shares: &[ShareRecord], f: fn(&ShareRecord) -> T) -> Vec<T> {
        shares.iter().map(f).collect()
    }
    match level {
        0 => ShareEnumUnion::Level0(Some(ShareInfo0Container::of(each(shares, info0)))),
        1 => ShareEnumUnion::Level1(Some(ShareInfo1Container::of(each(shares, info1)))),
        2 => ShareEnumUnion::Level2(Some(ShareInfo2Container::of(each(shares, info2)))),
        501 => ShareEnumUnion::Level501(Some(ShareInfo501Container::of(each(shares, info501)))),
        502 => ShareEnumUnion::Level502(Some(ShareInfo502Container::of(each(shares, info502)))),
        503 => ShareEnumUnion::Level503(Some(ShareInfo503Container::of(each(shares, info503)))),
        other => ShareEnumUnion::null(other),
    }
}

#[cfg(test)]
#[path = "share_info_tests.rs"]
mod tests;
