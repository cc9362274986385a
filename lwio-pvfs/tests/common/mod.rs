//! Helpers shared by the PVFS integration tests: a mounted temporary share, short forms of
//! creates and of the set-information calls the tests repeat.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;

use lwio_core::irp::{IrpRequest, QueryDirectoryFlags, QueryDirectoryRequest, SetInfoRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileHandle,
    FileInfoClass, IoManager, IrpResult, NtStatus, ShareAccess, block_on,
};
use lwio_fscc::{
    FileDispositionInformation, FileLinkInformation, FileRenameInformation, decode_dir_entries,
};

/// A manager with one PVFS share mounted at `/s` over a fresh temporary directory.
pub struct Share {
    pub io: IoManager,
    pub dir: tempfile::TempDir,
}

impl Share {
    pub fn new() -> Share {
        Share::on(tempfile::tempdir().unwrap())
    }

    /// A share over a memory file system when there is one (much faster for tests that
    /// make many files), else as [`Share::new`].
    pub fn in_memory() -> Share {
        match tempfile::tempdir_in("/dev/shm") {
            Ok(dir) => Share::on(dir),
            Err(_) => Share::new(),
        }
    }

    fn on(dir: tempfile::TempDir) -> Share {
        Share::on_with(dir, lwio_pvfs::PvfsConfig::default())
    }

    /// A share over a fresh temporary directory, mounted with `config`.
    pub fn with(config: lwio_pvfs::PvfsConfig) -> Share {
        Share::on_with(tempfile::tempdir().unwrap(), config)
    }

    fn on_with(dir: tempfile::TempDir, config: lwio_pvfs::PvfsConfig) -> Share {
        let io = IoManager::new();
        lwio_pvfs::mount(&io, "s", dir.path(), config).unwrap();
        Share { io, dir }
    }

    /// A second manager and mount over the same directory (a "restart").
    pub fn remount(&self) -> IoManager {
        let io = IoManager::new();
        lwio_pvfs::mount(&io, "s", self.dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
        io
    }

    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    pub fn open(&self, path: &str, r: CreateRequest) -> Result<FileHandle, NtStatus> {
        block_on(self.io.create_file(&format!("/s/{path}"), r))
    }

    /// Creates an empty file (closed again).
    pub fn file(&self, path: &str) {
        drop(self.open(path, req(RW, CreateDisposition::CREATE)).unwrap());
    }

    /// Creates a file with contents (closed again).
    pub fn file_with(&self, path: &str, data: &[u8]) {
        let f = self.open(path, req(RW, CreateDisposition::CREATE)).unwrap();
        block_on(f.write(0, data.to_vec())).unwrap();
    }

    /// Creates a directory (closed again).
    pub fn mkdir(&self, path: &str) {
        drop(
            self.open(path, req(RW, CreateDisposition::CREATE).options(DIR))
                .unwrap(),
        );
    }

    /// Opens for everything, sharing everything.
    pub fn all(&self, path: &str) -> FileHandle {
        self.open(
            path,
            req(ALL, CreateDisposition::OPEN).share(ShareAccess::ALL),
        )
        .unwrap()
    }

    /// Opens a directory for listing, sharing everything.
    pub fn dir_handle(&self, path: &str) -> FileHandle {
        self.open(
            path,
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
                .share(ShareAccess::ALL)
                .options(DIR),
        )
        .unwrap()
    }

    pub fn assert_no_pending(&self) {
        assert_eq!(self.io.rundown().pending_irps, 0);
    }
}

pub const RW: AccessMask = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
pub const ALL: AccessMask = AccessMask::GENERIC_ALL;
pub const DIR: CreateOptions = CreateOptions::DIRECTORY_FILE;
pub const NONDIR: CreateOptions = CreateOptions::NON_DIRECTORY_FILE;
pub const DOC: CreateOptions = CreateOptions::DELETE_ON_CLOSE;

pub fn system() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

pub fn req(access: AccessMask, disp: CreateDisposition) -> CreateRequest {
    CreateRequest::new(system(), access, disp)
}

/// The whole result of one request, status included.
pub fn call(h: &FileHandle, request: IrpRequest) -> IrpResult {
    block_on(h.call(request))
}

pub fn set_info(h: &FileHandle, class: FileInfoClass, data: Vec<u8>) -> Result<(), NtStatus> {
    block_on(h.set_information(class, data))
}

pub fn rename(h: &FileHandle, to: &str, replace: bool) -> Result<(), NtStatus> {
    let info = FileRenameInformation {
        replace_if_exists: replace,
        root_directory: 0,
        file_name: to.into(),
    };
    set_info(h, FileInfoClass::RENAME, info.encode())
}

pub fn link(h: &FileHandle, to: &str, replace: bool) -> Result<(), NtStatus> {
    let info = FileLinkInformation {
        replace_if_exists: replace,
        root_directory: 0,
        file_name: to.into(),
    };
    set_info(h, FileInfoClass::LINK, info.encode())
}

pub fn set_delete(h: &FileHandle, delete: bool) -> Result<(), NtStatus> {
    let info = FileDispositionInformation {
        delete_pending: delete,
    };
    set_info(h, FileInfoClass::DISPOSITION, info.encode())
}

pub fn query_dir(
    h: &FileHandle,
    class: FileInfoClass,
    pattern: Option<&str>,
    flags: QueryDirectoryFlags,
    length: u32,
) -> IrpResult {
    let q = QueryDirectoryRequest {
        class,
        flags,
        file_index: 0,
        pattern: pattern.map(str::to_owned),
        length,
        only_accessible: None,
    };
    call(h, IrpRequest::QueryDirectory(q))
}

/// Every name a pattern matches, over as many calls as it takes.
pub fn list(h: &FileHandle, pattern: &str) -> Result<Vec<String>, NtStatus> {
    let class = FileInfoClass::BOTH_DIRECTORY;
    let mut names = Vec::new();
    let mut flags = QueryDirectoryFlags::RESTART_SCANS;
    let mut pattern = Some(pattern);
    loop {
        let r = query_dir(h, class, pattern, flags, 65536);
        if r.status == NtStatus::NO_MORE_FILES {
            return Ok(names);
        }
        if r.status != NtStatus::SUCCESS {
            return Err(r.status);
        }
        for e in decode_dir_entries(class, &r.output).unwrap() {
            names.push(e.file_name);
        }
        flags = QueryDirectoryFlags::empty();
        pattern = None;
    }
}

/// A set-information request, for tests that need the exact status.
pub fn set_info_call(h: &FileHandle, class: FileInfoClass, data: Vec<u8>) -> IrpResult {
    call(
        h,
        IrpRequest::SetInformation(SetInfoRequest {
            class,
            data: data.into(),
        }),
    )
}
