//! Named data streams (`file:stream`, MS-FSCC 2.1.5.3; MS-FSA 2.1.5.1 create,
//! 2.1.5.12 FileStreamInformation, 2.1.5.15.11.1 stream rename).
//!
//! ## What a stream is
//! An NTFS file holds one unnamed data stream (its contents, `file::$DATA`) and any number
//! of named ones, each with its own data, size and allocation. Everything else belongs to
//! the file and is shared by its streams: attributes, times, EAs, the security descriptor
//! (a stream open is access-checked against the file's descriptor), the file id and the
//! links. Directories have named streams too, but no unnamed one. Stream names follow
//! MS-FSCC 2.1.5.3 (any character but NUL, `\`, `/` and `:`; up to 255 UTF-16 units) and
//! match case-insensitively, keeping the case they were made with; `$DATA` is the only
//! type a data stream takes.
//!
//! Each stream is an object of its own for share modes, delete-on-close and byte-range
//! locks: a stream open and an open of the file do not conflict (MS-FSA 2.1.5.1.2.2 checks
//! opens of the same stream only). The file and its streams meet where deletion does:
//! deleting the file deletes its streams, so an open of the file for DELETE fails while a
//! stream is open without FILE_SHARE_DELETE, a stream cannot be opened once the file's
//! delete is pending (STATUS_DELETE_PENDING), the file goes when the last handle of it or
//! any stream closes, and a file with an open stream cannot be renamed
//! (STATUS_ACCESS_DENIED) ([`crate::fcb`]).
//!
//! ## Where streams are kept
//! Not in extended attributes: Linux keeps at most 64 KiB in one (ext4 a block's worth
//! for all of a file's), and a stream is a file's worth of data that is read and written
//! at offsets. Each stream is a regular file in a hidden store in the share root:
//!
//! ```text
//! <share>/.lwio:streams/                     0700, the server's own
//!     <dev>-<ino>-<birth>/                   0700, owned by the file's Unix owner
//!         _<stream name>                     0600, owned by the file's Unix owner
//!         ~<pid>-<n>                         a stream or directory being made
//! ```
//!
//! - Keyed by the file's identity ([`FileId`]: device, inode and birth time), not its
//!   name: the streams follow the file through renames and hard links at no cost, and a
//!   new file that reuses a freed inode number has another birth time.
//! - Out of sight: no Windows name holds a `:`, so no path a client sends reaches the
//!   store, and directory listings of the share root leave it out ([`crate::dir`]).
//! - Jailed: every store path is made by PVFS from a file id and a checked stream name
//!   and opened beneath the share root with no symlink followed ([`store`]).
//! - Crash-safe: directories and streams are made under a temporary `~` name, given their
//!   owner, then renamed into place; a crash leaves a temporary name that listings ignore
//!   and that goes with the file. Data is written in place, as a file's is.
//! - Gone with the file: when PVFS deletes a file's last link (delete on close, or a
//!   rename that replaces it) its store directory is removed; a file deleted behind PVFS's
//!   back leaves its directory, which no new file can meet (another birth time) on a file
//!   system that keeps birth times (ext4, XFS, btrfs); on one that does not (birth 0), a
//!   new file given the inode number of a file deleted behind PVFS's back would find that
//!   file's streams.
//!
//! A file without streams costs nothing on disk: opens of the file never look at the
//! store (the same system calls as before streams: 5 for an open and close on the
//! caller's thread, `strace -c` on `cargo bench --bench pvfs`); a FileStreamInformation
//! query looks for the file's directory once.
//!
//! ## Not supported (and what is returned)
//! Streams of the share root (STATUS_OBJECT_NAME_INVALID), names longer than 254 bytes of
//! UTF-8 (STATUS_OBJECT_NAME_INVALID), renaming a stream to or from the unnamed stream
//! (STATUS_NOT_SUPPORTED; MS-FSA 2.1.5.15.11.1 lets a named stream replace the unnamed
//! one, for which PVFS would have to move the handle from the stream to the file).
//! A rename or link to a path naming a stream (`dir\file:stream`) opens `dir` as its
//! target directory first, as Windows does, so a handle of `dir` holding DELETE refuses it
//! (STATUS_SHARING_VIOLATION); past that, a stream handle is renamed by `:name` only
//! (STATUS_INVALID_PARAMETER) and a file never onto a stream path
//! (STATUS_OBJECT_NAME_INVALID) ([`crate::target`]).
//! Writing a stream does not move its file's last write time, and change notify reports
//! no stream changes (FILE_ACTION_ADDED_STREAM and its kin are never sent).

mod open;
pub(crate) mod ops;
pub(crate) mod store;

pub(crate) use open::open;

use std::os::fd::AsFd;

use crate::Volume;
use crate::sys::{self, Stat};

/// The identity of a file in the stream store: its device and inode, and its birth time
/// where the file system keeps one (else zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    birth: u64,
}

impl FileId {
    /// The identity of the file `st` describes.
    pub(crate) fn of(st: &Stat) -> FileId {
        FileId {
            dev: st.dev,
            ino: st.ino,
            birth: st.btime.map_or(0, |t| t.to_filetime()),
        }
    }

    /// The name of its directory in the store.
    pub(crate) fn dir_name(&self) -> String {
        format!("{:x}-{:x}-{:x}", self.dev, self.ino, self.birth)
    }
}

/// After PVFS removed a name of the file `fd` holds: when that was its last link, its
/// streams go too.
pub(crate) fn file_gone(volume: &Volume, fd: impl AsFd) {
    let Ok(st) = sys::fstat(fd) else {
        return;
    };
    if st.nlink == 0 {
        removed_file(volume, &st);
    }
}

/// The file `st` described (before its last link went) is gone: its streams go too.
pub(crate) fn removed_file(volume: &Volume, st: &Stat) {
    if let Err(status) = store::remove_all(&volume.root, &FileId::of(st)) {
        tracing::warn!(%status, "PVFS: removing the streams of a deleted file failed");
    }
}
