//! One directory scan, as every listing of the tool makes it (`ls`, `cp -r`/`rm -r`/`mv`
//! walking a tree, the FUSE mount's readdir): IRP_MJ_DIRECTORY_CONTROL queries on an open
//! directory (MS-FSA 2.1.5.6.3), the first with SL_RESTART_SCAN and the pattern, the next
//! ones continuing where the last stopped, until the file system answers
//! STATUS_NO_MORE_FILES (or STATUS_NO_SUCH_FILE to the first query: nothing matches). Each
//! answer is a buffer of entries of the class asked for (MS-FSCC 2.4), decoded here.
//!
//! A buffer that decodes to no entry also ends the scan, so a file system that answers
//! with empty successes cannot keep the caller looping.
//!
//! ```no_run
//! # fn list(dir: &lwio::core::FileHandle) {
//! use lwio::tool::scan::scan;
//! use lwio::core::FileInfoClass;
//! scan::<()>(dir, FileInfoClass::NAMES, "*.txt", |e| {
//!     println!("{}", e.file_name);
//!     Ok(())
//! })
//! .unwrap();
//! # }
//! ```

use lwio_core::irp::{QueryDirectoryFlags, QueryDirectoryRequest};
use lwio_core::{FileHandle, FileInfoClass, NtStatus, block_on};
use lwio_fscc::{DirEntry, decode_dir_entries};

/// The output buffer of each query: 64 KiB, what Windows' clients ask for.
pub const SCAN_LENGTH: u32 = 64 * 1024;

/// Why a scan stopped early.
#[derive(Debug)]
pub enum ScanError<E> {
    /// A query failed with this status.
    Status(NtStatus),
    /// A buffer did not decode as entries of the class.
    Undecodable(String),
    /// The caller's `each` stopped it.
    Stopped(E),
}

/// Scans the open directory `dir` for names matching `pattern` (`*` for all), calling
/// `each` with every entry of `class` in the order the file system returns them.
pub fn scan<E>(
    dir: &FileHandle,
    class: FileInfoClass,
    pattern: &str,
    mut each: impl FnMut(DirEntry) -> Result<(), E>,
) -> Result<(), ScanError<E>> {
    let mut first = true;
    loop {
        let request = QueryDirectoryRequest {
            class,
            flags: if first {
                QueryDirectoryFlags::RESTART_SCANS
            } else {
                QueryDirectoryFlags::empty()
            },
            file_index: 0,
            pattern: first.then(|| pattern.to_owned()),
            length: SCAN_LENGTH,
            only_accessible: None,
        };
        let buf = match block_on(dir.query_directory(request)) {
            Ok(buf) => buf,
            Err(NtStatus::NO_MORE_FILES) => return Ok(()),
            Err(NtStatus::NO_SUCH_FILE) if first => return Ok(()),
            Err(s) => return Err(ScanError::Status(s)),
        };
        let entries =
            decode_dir_entries(class, &buf).map_err(|e| ScanError::Undecodable(e.to_string()))?;
        if entries.is_empty() {
            return Ok(());
        }
        for e in entries {
            each(e).map_err(ScanError::Stopped)?;
        }
        first = false;
    }
}

/// The names in `dir` (all of them, `.` and `..` included, in the file system's order).
pub fn names(dir: &FileHandle) -> Result<Vec<String>, ScanError<std::convert::Infallible>> {
    let mut names = Vec::new();
    scan(dir, FileInfoClass::NAMES, "*", |e| {
        names.push(e.file_name);
        Ok(())
    })?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use lwio_core::{
        AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, IoManager,
        ShareAccess,
    };

    fn open(io: &IoManager, path: &str, options: CreateOptions) -> FileHandle {
        let req = CreateRequest::new(
            Arc::new(AccessToken::system()),
            AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
            CreateDisposition::OPEN_IF,
        )
        .share(ShareAccess::ALL)
        .options(options);
        block_on(io.create_file(path, req)).unwrap()
    }

    /// 3,000 names take more than one 64 KiB buffer (about 60 bytes an entry): every
    /// one is seen once; a pattern filters; `each` can stop the scan.
    #[test]
    fn every_name_once_pattern_and_stop() {
        let io = IoManager::new();
        io.add_device(
            "m",
            Arc::new(lwio_memfs::MemFs::new()),
            lwio_memfs::Volume::new(),
        )
        .unwrap();
        let dir = open(&io, "/m/d", CreateOptions::DIRECTORY_FILE);
        for i in 0..3000 {
            drop(open(
                &io,
                &format!("/m/d/file-{i:04}.txt"),
                CreateOptions::empty(),
            ));
        }
        drop(open(&io, "/m/d/other.log", CreateOptions::empty()));
        let mut all = names(&dir).unwrap();
        all.retain(|n| n != "." && n != "..");
        all.sort();
        assert_eq!(all.len(), 3001, "3000 files and other.log");
        all.dedup();
        assert_eq!(all.len(), 3001, "no name twice");
        assert_eq!(all[0], "file-0000.txt");
        let mut logs = Vec::new();
        scan::<()>(&dir, FileInfoClass::NAMES, "*.log", |e| {
            logs.push(e.file_name);
            Ok(())
        })
        .unwrap();
        assert_eq!(logs, ["other.log"]);
        let mut seen = 0;
        let stopped = scan(&dir, FileInfoClass::NAMES, "*", |_| {
            seen += 1;
            if seen == 5 { Err("enough") } else { Ok(()) }
        });
        assert!(matches!(stopped, Err(ScanError::Stopped("enough"))));
        let none = names(&open(&io, "/m/empty", CreateOptions::DIRECTORY_FILE)).unwrap();
        assert!(none.iter().all(|n| n == "." || n == ".."), "{none:?}");
    }
}
