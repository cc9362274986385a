//! The share unions against hand-checked NDR bytes (MS-SRVS 2.2.3.5, 2.2.3.6, 2.2.4.38;
//! NDR pointers as C706 14.3.12: a union arm's pointee follows the enclosing top-level
//! parameter, referent ids from 0x00020000 in steps of 4).

use super::*;
use crate::NdrError;
use crate::interfaces::srvsvc::{ShareEnumRequest, ShareEnumResponse, ShareGetInfoResponse};
use crate::ndr;

/// NetrShareEnum(Sticky) at level 1004 as Samba's client sends it: a container pointer
/// set, pointing at an empty container.
const ENUM_1004_REQUEST: [u8; 32] = [
    0x00, 0x00, 0x00, 0x00, // ServerName: null
    0xec, 0x03, 0x00, 0x00, // Level 1004
    0xec, 0x03, 0x00, 0x00, // union discriminant 1004
    0x00, 0x00, 0x02, 0x00, // container pointer (referent id)
    0x00, 0x00, 0x00, 0x00, // container: EntriesRead 0
    0x00, 0x00, 0x00, 0x00, // container: Buffer null
    0xff, 0xff, 0xff, 0xff, // PreferedMaximumLength
    0x00, 0x00, 0x00, 0x00, // ResumeHandle: null
];

#[test]
fn enum_request_at_level_1004_with_a_container_decodes() {
    let (server, info, max, resume): ShareEnumRequest =
        ndr::from_bytes(&ENUM_1004_REQUEST).unwrap();
    assert_eq!(server, None);
    assert_eq!(info.level, 1004);
    assert_eq!(
        info.info,
        ShareEnumUnion::Level1004(Some(ShareInfo1004Container::default()))
    );
    assert_eq!((max, resume), (u32::MAX, None));
    // And it encodes back to the same bytes.
    let again: ShareEnumRequest = (server, info, max, resume);
    assert_eq!(ndr::to_bytes(&again), ENUM_1004_REQUEST);
}

/// The same request as smbtorture 4.17 (rpc.samba3.srvsvc) sent it, captured with tshark
/// on loopback: the server name `\\127.0.0.1` takes the first referent id.
#[test]
fn samba_enum_request_as_captured_decodes_and_re_encodes() {
    let mut stub = vec![
        0x00, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x00, 0x00, // ServerName pointer, max count 12
        0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, // offset 0, actual count 12
    ];
    for c in "\\\\127.0.0.1\0".encode_utf16() {
        stub.extend_from_slice(&c.to_le_bytes());
    }
    stub.extend_from_slice(&[
        0xec, 0x03, 0x00, 0x00, 0xec, 0x03, 0x00, 0x00, // Level, discriminant
        0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // container pointer, EntriesRead
        0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, // Buffer null, PreferedMaximumLength
        0x00, 0x00, 0x00, 0x00, // ResumeHandle null
    ]);
    assert_eq!(stub.len(), 68);
    let request: ShareEnumRequest = ndr::from_bytes(&stub).unwrap();
    assert_eq!(request.0.as_ref().unwrap().0, "\\\\127.0.0.1");
    assert_eq!(
        request.1.info,
        ShareEnumUnion::Level1004(Some(ShareInfo1004Container::default()))
    );
    assert_eq!(ndr::to_bytes(&request), stub);
}

#[test]
fn every_single_setting_level_decodes_in_an_enum_request() {
    for level in [1004u32, 1005, 1006, 1007, 1501] {
        let mut req = ENUM_1004_REQUEST;
        req[4..8].copy_from_slice(&level.to_le_bytes());
        req[8..12].copy_from_slice(&level.to_le_bytes());
        let (_, info, _, _): ShareEnumRequest = ndr::from_bytes(&req).unwrap();
        assert_eq!(info.info.level(), level);
        assert_ne!(info.info, ShareEnumUnion::null(level), "level {level}");
    }
}

#[test]
fn an_unknown_enum_level_decodes_only_with_a_null_container() {
    let mut req = ENUM_1004_REQUEST;
    req[4..8].copy_from_slice(&7u32.to_le_bytes());
    req[8..12].copy_from_slice(&7u32.to_le_bytes());
    let r: Result<ShareEnumRequest, _> = ndr::from_bytes(&req);
    assert!(matches!(r, Err(NdrError::BadUnionArm(7))), "{r:?}");
    let null: [u8; 24] = [
        0, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
    ];
    let (_, info, _, _): ShareEnumRequest = ndr::from_bytes(&null).unwrap();
    assert_eq!(info.info, ShareEnumUnion::Unknown(7));
}

#[test]
fn refused_enum_answer_carries_the_level_and_a_null_container() {
    let response: ShareEnumResponse = (
        ShareEnumStruct {
            level: 1004,
            info: ShareEnumUnion::null(1004),
        },
        0,
        None,
        crate::interfaces::win32::ERROR_INVALID_LEVEL,
    );
    let expect: [u8; 24] = [
        0xec, 0x03, 0x00, 0x00, // Level
        0xec, 0x03, 0x00, 0x00, // discriminant
        0x00, 0x00, 0x00, 0x00, // null container
        0x00, 0x00, 0x00, 0x00, // TotalEntries
        0x00, 0x00, 0x00, 0x00, // ResumeHandle: null
        0x7c, 0x00, 0x00, 0x00, // ERROR_INVALID_LEVEL
    ];
    assert_eq!(ndr::to_bytes(&response), expect);
    assert_eq!(
        ndr::from_bytes::<ShareEnumResponse>(&expect).unwrap(),
        response
    );
}

#[test]
fn get_info_1007_answer_has_a_null_pointer_after_its_discriminant() {
    let response: ShareGetInfoResponse = (
        ShareInfo::null(1007),
        crate::interfaces::win32::ERROR_INVALID_LEVEL,
    );
    let expect: [u8; 12] = [
        0xef, 0x03, 0x00, 0x00, // discriminant 1007
        0x00, 0x00, 0x00, 0x00, // null SHARE_INFO_1007 pointer
        0x7c, 0x00, 0x00, 0x00, // ERROR_INVALID_LEVEL
    ];
    assert_eq!(ndr::to_bytes(&response), expect);
    // A level without an arm (the IDL's empty [default]) is the discriminant alone.
    let response: ShareGetInfoResponse = (ShareInfo::null(1008), 0x7c);
    assert_eq!(ndr::to_bytes(&response), [0xf0, 0x03, 0, 0, 0x7c, 0, 0, 0]);
}

#[test]
fn share_info_1007_round_trips() {
    let info = ShareInfo::Info1007(Some(ShareInfo1007 {
        flags: 0x30,
        alternate_directory_name: Some(WString::from("AB")),
    }));
    let expect: &[u8] = &[
        0xef, 0x03, 0x00, 0x00, // discriminant 1007
        0x00, 0x00, 0x02, 0x00, // SHARE_INFO_1007 pointer
        0x30, 0x00, 0x00, 0x00, // shi1007_flags
        0x04, 0x00, 0x02, 0x00, // shi1007_AlternateDirectoryName pointer
        0x03, 0x00, 0x00, 0x00, // maximum count (with the terminator)
        0x00, 0x00, 0x00, 0x00, // offset
        0x03, 0x00, 0x00, 0x00, // actual count
        0x41, 0x00, 0x42, 0x00, 0x00, 0x00, // "AB\0"
    ];
    assert_eq!(ndr::to_bytes(&info), expect);
    assert_eq!(ndr::from_bytes::<ShareInfo>(expect).unwrap(), info);
}

#[test]
fn level_1501_container_round_trips() {
    let ctr = ShareEnumUnion::Level1501(Some(ShareInfo1501Container::of(vec![ShareInfo1501 {
        reserved: 4,
        security_descriptor: Some(vec![0x01, 0x00, 0x04, 0x80]),
    }])));
    let expect: &[u8] = &[
        0xdd, 0x05, 0x00, 0x00, // discriminant 1501
        0x00, 0x00, 0x02, 0x00, // container pointer
        0x01, 0x00, 0x00, 0x00, // EntriesRead
        0x04, 0x00, 0x02, 0x00, // Buffer pointer
        0x01, 0x00, 0x00, 0x00, // Buffer: maximum count
        0x04, 0x00, 0x00, 0x00, // shi1501_reserved
        0x08, 0x00, 0x02, 0x00, // shi1501_security_descriptor pointer
        0x04, 0x00, 0x00, 0x00, // descriptor: maximum count
        0x01, 0x00, 0x04, 0x80, // descriptor bytes
    ];
    assert_eq!(ndr::to_bytes(&ctr), expect);
    assert_eq!(ndr::from_bytes::<ShareEnumUnion>(expect).unwrap(), ctr);
}

#[test]
fn a_container_count_beyond_the_bytes_is_refused() {
    // EntriesRead and the buffer's maximum count claim 0x10000000 entries in 4 bytes.
    let bytes: &[u8] = &[
        0xec, 0x03, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x10, 0x04, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    ];
    assert!(ndr::from_bytes::<ShareEnumUnion>(bytes).is_err());
}
