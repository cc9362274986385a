//! Sparse files: FSCTL_SET_SPARSE, FSCTL_SET_ZERO_DATA and FSCTL_QUERY_ALLOCATED_RANGES.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileAttributes,
    FileHandle, FileInfoClass, IoManager, NtStatus, ShareAccess, block_on,
};
use lwio_fscc::sparse::{AllocatedRange, ZeroData, decode_ranges};
use lwio_fscc::{CtlCode, FileBasicInformation};

const MIB: u64 = 1 << 20;

struct Share {
    io: IoManager,
    dir: tempfile::TempDir,
}

impl Share {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new();
        lwio_pvfs::mount(&io, "s", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
        Share { io, dir }
    }

    fn open_with(&self, name: &str, access: AccessMask, options: CreateOptions) -> FileHandle {
        let req = CreateRequest::new(
            Arc::new(AccessToken::system()),
            access,
            CreateDisposition::OPEN_IF,
        )
        .options(options)
        .share(ShareAccess::ALL);
        block_on(self.io.create_file(&format!("/s/{name}"), req)).unwrap()
    }

    fn open(&self, name: &str, access: AccessMask) -> FileHandle {
        self.open_with(name, access, CreateOptions::empty())
    }

    fn blocks(&self, name: &str) -> u64 {
        std::fs::metadata(self.dir.path().join(name))
            .unwrap()
            .blocks()
    }
}

fn set_sparse(f: &FileHandle, input: Vec<u8>) -> Result<Vec<u8>, NtStatus> {
    block_on(f.fs_control(CtlCode::FSCTL_SET_SPARSE.0, input, 0))
}

fn zero(f: &FileHandle, offset: i64, beyond: i64) -> Result<Vec<u8>, NtStatus> {
    let mut input = offset.to_le_bytes().to_vec();
    input.extend_from_slice(&beyond.to_le_bytes());
    block_on(f.fs_control(CtlCode::FSCTL_SET_ZERO_DATA.0, input, 0))
}

/// The status and ranges of a query of `[offset, offset + length)`.
fn query(f: &FileHandle, offset: i64, length: i64, max: u32) -> (NtStatus, Vec<(u64, u64)>) {
    let mut input = offset.to_le_bytes().to_vec();
    input.extend_from_slice(&length.to_le_bytes());
    let r = block_on(f.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_QUERY_ALLOCATED_RANGES.0,
        input: input.into(),
        max_output: max,
    })));
    let ranges = decode_ranges(&r.output).unwrap();
    assert!(r.output.len() <= max as usize);
    (
        r.status,
        ranges.iter().map(|r| (r.offset, r.length)).collect(),
    )
}

fn attributes(f: &FileHandle) -> FileAttributes {
    let out = block_on(f.query_information(FileInfoClass::BASIC, 64)).unwrap();
    FileBasicInformation::decode(&out).unwrap().file_attributes
}

/// A 4 MiB file of 0xAA bytes.
fn filled(s: &Share, name: &str) -> FileHandle {
    let f = s.open(name, AccessMask::GENERIC_ALL);
    block_on(f.write(0, vec![0xAAu8; (4 * MIB) as usize])).unwrap();
    f
}

#[test]
fn set_sparse_marks_and_clears_the_attribute() {
    let s = Share::new();
    let f = s.open("f", AccessMask::GENERIC_ALL);
    assert!(!attributes(&f).contains(FileAttributes::SPARSE_FILE));
    set_sparse(&f, Vec::new()).unwrap();
    assert!(attributes(&f).contains(FileAttributes::SPARSE_FILE));
    // Kept on disk: a new handle sees it.
    drop(f);
    let g = s.open("f", AccessMask::GENERIC_READ);
    assert!(attributes(&g).contains(FileAttributes::SPARSE_FILE));
    let f = s.open("f", AccessMask::GENERIC_ALL);
    set_sparse(&f, vec![0]).unwrap();
    assert!(!attributes(&f).contains(FileAttributes::SPARSE_FILE));
    set_sparse(&f, vec![1]).unwrap();
    assert!(attributes(&f).contains(FileAttributes::SPARSE_FILE));
}

#[test]
fn set_sparse_refusals() {
    let s = Share::new();
    drop(s.open("f", AccessMask::GENERIC_ALL));
    let r = s.open(
        "f",
        AccessMask::FILE_READ_DATA | AccessMask::FILE_READ_ATTRIBUTES,
    );
    assert_eq!(set_sparse(&r, Vec::new()), Err(NtStatus::ACCESS_DENIED));
    let a = s.open("f", AccessMask::FILE_WRITE_ATTRIBUTES);
    assert_eq!(set_sparse(&a, Vec::new()), Ok(Vec::new()));
    let w = s.open("f", AccessMask::FILE_APPEND_DATA);
    assert_eq!(set_sparse(&w, vec![0]), Ok(Vec::new()));
    let e = s.open("f", AccessMask::FILE_WRITE_EA);
    assert_eq!(set_sparse(&e, Vec::new()), Err(NtStatus::ACCESS_DENIED));
    let d = s.open_with("d", AccessMask::GENERIC_ALL, CreateOptions::DIRECTORY_FILE);
    assert_eq!(set_sparse(&d, Vec::new()), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(zero(&d, 0, 1), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(query(&d, 0, 1, 16).0, NtStatus::INVALID_PARAMETER);
}

#[test]
fn punched_holes_are_left_out_of_the_ranges() {
    let s = Share::new();
    let f = filled(&s, "f");
    set_sparse(&f, Vec::new()).unwrap();
    let before = s.blocks("f");
    zero(&f, MIB as i64, 2 * MIB as i64).unwrap();
    zero(&f, 3 * MIB as i64, 4 * MIB as i64).unwrap();
    assert!(s.blocks("f") < before, "the holes free storage");
    // Size unchanged, the hole reads as zeros, the rest untouched.
    assert_eq!(
        std::fs::metadata(s.dir.path().join("f")).unwrap().len(),
        4 * MIB
    );
    assert_eq!(block_on(f.read(MIB, 16)).unwrap(), vec![0u8; 16]);
    assert_eq!(block_on(f.read(MIB - 1, 2)).unwrap(), vec![0xAA, 0]);
    assert_eq!(block_on(f.read(2 * MIB, 1)).unwrap(), vec![0xAA]);
    let whole = query(&f, 0, 4 * MIB as i64, 1024);
    assert_eq!(whole, (NtStatus::SUCCESS, vec![(0, MIB), (2 * MIB, MIB)]));
    // A window: clipped to the query.
    let window = query(&f, (MIB / 2) as i64, (2 * MIB) as i64, 1024);
    assert_eq!(
        window,
        (
            NtStatus::SUCCESS,
            vec![(MIB / 2, MIB / 2), (2 * MIB, MIB / 2)]
        )
    );
    // Beyond the end of file, and a zero-length query: no range.
    assert_eq!(
        query(&f, 8 * MIB as i64, 10, 1024),
        (NtStatus::SUCCESS, vec![])
    );
    assert_eq!(query(&f, 0, 0, 1024), (NtStatus::SUCCESS, vec![]));
    // A query inside a hole.
    assert_eq!(
        query(&f, (MIB + 10) as i64, 100, 1024),
        (NtStatus::SUCCESS, vec![])
    );
}

#[test]
fn small_output_returns_what_fits() {
    let s = Share::new();
    let f = filled(&s, "f");
    set_sparse(&f, Vec::new()).unwrap();
    zero(&f, MIB as i64, 2 * MIB as i64).unwrap();
    assert_eq!(
        query(&f, 0, 4 * MIB as i64, 16),
        (NtStatus::BUFFER_OVERFLOW, vec![(0, MIB)])
    );
    assert_eq!(
        query(&f, 0, 4 * MIB as i64, 31),
        (NtStatus::BUFFER_OVERFLOW, vec![(0, MIB)])
    );
    assert_eq!(
        query(&f, 0, 4 * MIB as i64, 32),
        (NtStatus::SUCCESS, vec![(0, MIB), (2 * MIB, 2 * MIB)])
    );
    assert_eq!(
        query(&f, 0, 4 * MIB as i64, 15).0,
        NtStatus::BUFFER_TOO_SMALL
    );
    assert_eq!(
        query(&f, 0, 4 * MIB as i64, 0).0,
        NtStatus::BUFFER_TOO_SMALL
    );
    // No range to return: no room is needed.
    assert_eq!(
        query(&f, (MIB + 1) as i64, 10, 0),
        (NtStatus::SUCCESS, vec![])
    );
    let g = s.open("g", AccessMask::GENERIC_ALL);
    assert_eq!(query(&g, 0, 1024, 0), (NtStatus::SUCCESS, vec![]));
    block_on(g.write(0, vec![1u8; 10])).unwrap();
    assert_eq!(query(&g, 0, 1024, 0).0, NtStatus::BUFFER_TOO_SMALL);
}

#[test]
fn zero_data_on_a_file_that_is_not_sparse_writes_zeros() {
    let s = Share::new();
    let f = filled(&s, "f");
    let before = s.blocks("f");
    zero(&f, 100, (MIB + 100) as i64).unwrap();
    assert_eq!(s.blocks("f"), before, "storage stays allocated");
    assert_eq!(block_on(f.read(99, 2)).unwrap(), vec![0xAA, 0]);
    assert_eq!(block_on(f.read(MIB + 99, 2)).unwrap(), vec![0, 0xAA]);
    assert!(
        block_on(f.read(100, MIB as u32))
            .unwrap()
            .iter()
            .all(|&b| b == 0)
    );
    // A file that is not sparse is one range: the query clipped to the end of file.
    assert_eq!(
        query(&f, MIB as i64, 8 * MIB as i64, 1024),
        (NtStatus::SUCCESS, vec![(MIB, 3 * MIB)])
    );
    // Past the end of file: nothing written, the size stays.
    zero(&f, (4 * MIB) as i64, (5 * MIB) as i64).unwrap();
    assert_eq!(
        std::fs::metadata(s.dir.path().join("f")).unwrap().len(),
        4 * MIB
    );
}

#[test]
fn clearing_sparse_allocates_the_holes() {
    let s = Share::new();
    let f = filled(&s, "f");
    set_sparse(&f, Vec::new()).unwrap();
    zero(&f, 0, (2 * MIB) as i64).unwrap();
    let holey = s.blocks("f");
    set_sparse(&f, vec![0]).unwrap();
    assert!(s.blocks("f") > holey);
    assert_eq!(block_on(f.read(0, 4)).unwrap(), vec![0u8; 4]);
}

#[test]
fn zero_data_and_query_refusals() {
    let s = Share::new();
    let f = filled(&s, "f");
    assert_eq!(zero(&f, 10, 5), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(zero(&f, -1, 5), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(zero(&f, 0, -1), Err(NtStatus::INVALID_PARAMETER));
    let short = ZeroData {
        offset: 0,
        beyond_final_zero: 1,
    }
    .encode();
    assert_eq!(
        block_on(f.fs_control(CtlCode::FSCTL_SET_ZERO_DATA.0, short[..8].to_vec(), 0)),
        Err(NtStatus::INVALID_PARAMETER)
    );
    let r = s.open(
        "f",
        AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_ATTRIBUTES,
    );
    assert_eq!(zero(&r, 0, 10), Err(NtStatus::ACCESS_DENIED));
    assert_eq!(block_on(f.read(0, 1)).unwrap(), vec![0xAA]);
    assert_eq!(query(&f, -1, 10, 64).0, NtStatus::INVALID_PARAMETER);
    assert_eq!(query(&f, 0, -1, 64).0, NtStatus::INVALID_PARAMETER);
    assert_eq!(query(&f, i64::MAX, 1, 64).0, NtStatus::INVALID_PARAMETER);
    let mut q = Vec::new();
    AllocatedRange {
        offset: 0,
        length: 1,
    }
    .encode_into(&mut q);
    assert_eq!(
        block_on(f.fs_control(
            CtlCode::FSCTL_QUERY_ALLOCATED_RANGES.0,
            q[..12].to_vec(),
            64
        )),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn the_volume_claims_sparse_files() {
    use lwio_core::FsInfoClass;
    use lwio_fscc::{FileFsAttributeInformation, FsAttributes};
    let s = Share::new();
    let f = s.open("f", AccessMask::GENERIC_READ);
    let b = block_on(f.query_volume_information(FsInfoClass::ATTRIBUTE, 512)).unwrap();
    assert!(
        FileFsAttributeInformation::decode(&b)
            .unwrap()
            .file_system_attributes
            .contains(FsAttributes::SUPPORTS_SPARSE_FILES)
    );
}
