//! FSCTLs PVFS answers itself: compression on a volume without compression.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, NtStatus, block_on};
use lwio_fscc::CtlCode;

fn open(
    access: AccessMask,
) -> (
    lwio_core::IoManager,
    tempfile::TempDir,
    lwio_core::FileHandle,
) {
    let dir = tempfile::tempdir().unwrap();
    let io = lwio_core::IoManager::new();
    lwio_pvfs::mount(&io, "s", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
    let req = CreateRequest::new(
        Arc::new(AccessToken::system()),
        access,
        CreateDisposition::OPEN_IF,
    );
    let f = block_on(io.create_file("/s/c.bin", req)).unwrap();
    (io, dir, f)
}

#[test]
fn get_compression_reports_none() {
    let (_io, _dir, f) = open(AccessMask::GENERIC_ALL);
    let code = CtlCode::FSCTL_GET_COMPRESSION.0;
    assert_eq!(block_on(f.fs_control(code, Vec::new(), 2)).unwrap(), [0, 0]);
    assert_eq!(
        block_on(f.fs_control(code, Vec::new(), 1)),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn set_compression_only_accepts_none() {
    let (_io, _dir, f) = open(AccessMask::GENERIC_ALL);
    let code = CtlCode::FSCTL_SET_COMPRESSION.0;
    let set = |format: u16| block_on(f.fs_control(code, format.to_le_bytes().to_vec(), 0));
    assert_eq!(set(0), Ok(Vec::new()));
    assert_eq!(set(1), Err(NtStatus::NOT_SUPPORTED));
    assert_eq!(set(2), Err(NtStatus::NOT_SUPPORTED));
    assert_eq!(set(0x42), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(
        block_on(f.fs_control(code, vec![0u8], 0)),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn set_compression_needs_write_access() {
    let (_io, _dir, f) = open(AccessMask::FILE_READ_DATA);
    let code = CtlCode::FSCTL_SET_COMPRESSION.0;
    assert_eq!(
        block_on(f.fs_control(code, vec![0u8, 0], 0)),
        Err(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn unknown_fsctl_is_invalid_device_request() {
    let (_io, _dir, f) = open(AccessMask::GENERIC_ALL);
    assert_eq!(
        block_on(f.fs_control(CtlCode::FSCTL_SET_ZERO_ON_DEALLOCATION.0, Vec::new(), 0)),
        Err(NtStatus::INVALID_DEVICE_REQUEST)
    );
}
