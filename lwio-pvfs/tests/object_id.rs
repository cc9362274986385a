//! Object ids (MS-FSA 2.1.5.10.1, .2, .13, .35, .36): generated, read, set, extended and
//! deleted through their FSCTLs, kept through a rename, gone with the file, shared by a
//! file's streams; refused on a volume without extended attributes.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{Share, rename, req, set_delete};
use lwio_core::security::Privileges;
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, FsInfoClass, NtStatus,
    ShareAccess, block_on,
};
use lwio_fscc::{CtlCode, FileFsAttributeInformation, FsAttributes, ObjectIdBuffer};

fn fsctl(h: &FileHandle, code: CtlCode, input: Vec<u8>, max: u32) -> Result<Vec<u8>, NtStatus> {
    block_on(h.fs_control(code.0, input, max))
}

fn create_or_get(h: &FileHandle) -> Result<ObjectIdBuffer, NtStatus> {
    fsctl(h, CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID, Vec::new(), 64)
        .map(|b| ObjectIdBuffer::decode(&b).unwrap())
}

fn get(h: &FileHandle) -> Result<ObjectIdBuffer, NtStatus> {
    fsctl(h, CtlCode::FSCTL_GET_OBJECT_ID, Vec::new(), 64)
        .map(|b| ObjectIdBuffer::decode(&b).unwrap())
}

fn delete_id(h: &FileHandle) -> Result<Vec<u8>, NtStatus> {
    fsctl(h, CtlCode::FSCTL_DELETE_OBJECT_ID, Vec::new(), 0)
}

fn supports_object_ids(h: &FileHandle) -> bool {
    let b = block_on(h.query_volume_information(FsInfoClass::ATTRIBUTE, 512)).unwrap();
    FileFsAttributeInformation::decode(&b)
        .unwrap()
        .file_system_attributes
        .contains(FsAttributes::SUPPORTS_OBJECT_IDS)
}

#[test]
fn create_or_get_makes_one_type1_id_and_keeps_it() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    assert!(supports_object_ids(&h));
    assert_eq!(get(&h), Err(NtStatus::OBJECTID_NOT_FOUND));
    let id = create_or_get(&h).unwrap();
    assert_ne!(id.object_id, [0; 16]);
    // A random GUID (version 4), born here: the volume's id, itself, no domain.
    assert_eq!(id.object_id[7] >> 4, 4);
    let volume = block_on(h.query_volume_information(FsInfoClass::OBJECT_ID, 64)).unwrap();
    assert_eq!(id.birth_volume_id()[..], volume[..16]);
    assert_eq!(id.birth_object_id(), id.object_id);
    assert_eq!(id.domain_id(), [0; 16]);
    assert_eq!(create_or_get(&h).unwrap(), id);
    assert_eq!(get(&h).unwrap(), id);
    // Another handle, and another file.
    assert_eq!(get(&s.all("f")).unwrap(), id);
    s.file("g");
    assert_ne!(create_or_get(&s.all("g")).unwrap().object_id, id.object_id);
    // Through a rename, and a remount.
    rename(&h, "renamed", false).unwrap();
    drop(h);
    assert_eq!(get(&s.all("renamed")).unwrap(), id);
    let io = s.remount();
    let h = block_on(io.create_file(
        "/s/renamed",
        req(AccessMask::GENERIC_ALL, CreateDisposition::OPEN),
    ))
    .unwrap();
    assert_eq!(get(&h).unwrap(), id);
}

#[test]
fn directories_and_streams_have_their_files_id() {
    let s = Share::new();
    s.mkdir("d");
    let d = s.dir_handle("d");
    let id = create_or_get(&d).unwrap();
    assert_eq!(get(&s.dir_handle("d")).unwrap(), id);
    s.file("f");
    let f = s.all("f");
    let id = create_or_get(&f).unwrap();
    let stream = s
        .open(
            "f:st",
            req(AccessMask::GENERIC_ALL, CreateDisposition::OPEN_IF),
        )
        .unwrap();
    assert_eq!(get(&stream).unwrap(), id);
}

#[test]
fn output_under_64_bytes_is_invalid_parameter() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    for code in [
        CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID,
        CtlCode::FSCTL_GET_OBJECT_ID,
    ] {
        assert_eq!(
            fsctl(&h, code, Vec::new(), 63),
            Err(NtStatus::INVALID_PARAMETER)
        );
    }
    // Nothing was made by the refused call.
    assert_eq!(get(&h), Err(NtStatus::OBJECTID_NOT_FOUND));
}

#[test]
fn the_id_goes_with_the_file_and_with_delete_object_id() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    create_or_get(&h).unwrap();
    assert_eq!(delete_id(&h), Ok(Vec::new()));
    assert_eq!(get(&h), Err(NtStatus::OBJECTID_NOT_FOUND));
    // Deleting no id succeeds.
    assert_eq!(delete_id(&h), Ok(Vec::new()));
    let id = create_or_get(&h).unwrap();
    set_delete(&h, true).unwrap();
    drop(h);
    s.file("f");
    let h = s.all("f");
    assert_eq!(get(&h), Err(NtStatus::OBJECTID_NOT_FOUND));
    assert_ne!(create_or_get(&h).unwrap(), id);
}

#[test]
fn set_object_id_needs_restore_and_no_id_yet() {
    let s = Share::new();
    s.file("f");
    let wanted = ObjectIdBuffer::type1([0x11; 16], [0x22; 16], [0x33; 16], [0x44; 16]);
    let code = CtlCode::FSCTL_SET_OBJECT_ID;
    // A caller without SeRestorePrivilege (full access to the file otherwise).
    let plain = Arc::new(AccessToken::system().with_privileges(Privileges::NONE));
    let h = s
        .open(
            "f",
            CreateRequest::new(plain, AccessMask::GENERIC_ALL, CreateDisposition::OPEN)
                .share(ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(
        fsctl(&h, code, wanted.encode(), 0),
        Err(NtStatus::ACCESS_DENIED)
    );
    let h = s.all("f");
    assert_eq!(
        fsctl(&h, code, wanted.encode()[..63].to_vec(), 0),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(fsctl(&h, code, wanted.encode(), 0), Ok(Vec::new()));
    assert_eq!(get(&h).unwrap(), wanted);
    assert_eq!(create_or_get(&h).unwrap(), wanted);
    assert_eq!(
        fsctl(&h, code, wanted.encode(), 0),
        Err(NtStatus::OBJECT_NAME_COLLISION)
    );
}

#[test]
fn set_object_id_extended_replaces_the_48_bytes() {
    let s = Share::new();
    s.file("f");
    let code = CtlCode::FSCTL_SET_OBJECT_ID_EXTENDED;
    let h = s.all("f");
    assert_eq!(
        fsctl(&h, code, vec![9; 48], 0),
        Err(NtStatus::OBJECTID_NOT_FOUND)
    );
    assert_eq!(
        fsctl(&h, code, vec![9; 64], 0),
        Err(NtStatus::INVALID_PARAMETER)
    );
    let id = create_or_get(&h).unwrap();
    let reader = s
        .open(
            "f",
            req(AccessMask::FILE_READ_DATA, CreateDisposition::OPEN).share(ShareAccess::ALL),
        )
        .unwrap();
    assert_eq!(
        fsctl(&reader, code, vec![9; 48], 0),
        Err(NtStatus::ACCESS_DENIED)
    );
    assert_eq!(fsctl(&h, code, vec![9; 48], 0), Ok(Vec::new()));
    let now = get(&h).unwrap();
    assert_eq!(now.object_id, id.object_id);
    assert_eq!(now.extended_info, [9; 48]);
}

#[test]
fn a_volume_without_xattrs_keeps_no_ids() {
    let mut config = lwio_pvfs::PvfsConfig::default();
    config.sys.force_no_xattrs = true;
    let s = Share::with(config);
    s.file("f");
    let h = s.all("f");
    assert!(!supports_object_ids(&h));
    for code in [
        CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID,
        CtlCode::FSCTL_GET_OBJECT_ID,
        CtlCode::FSCTL_DELETE_OBJECT_ID,
    ] {
        assert_eq!(
            fsctl(&h, code, Vec::new(), 64),
            Err(NtStatus::VOLUME_NOT_UPGRADED)
        );
    }
}

#[test]
fn there_is_no_object_id_index_to_open() {
    let s = Share::new();
    assert_eq!(
        s.open(
            "$Extend/$ObjId",
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
        )
        .err(),
        Some(NtStatus::OBJECT_PATH_NOT_FOUND)
    );
}
