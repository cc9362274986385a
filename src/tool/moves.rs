//! `mv SRC DST`: a rename where one is possible, else a copy and a delete.
//!
//! - Both remote, on the same share: one FileRenameInformation on the server (MS-FSCC
//!   2.4.42; the redirector sends it as SMB2 SET_INFO), replacing an existing file as
//!   mv(1) does; moving onto an existing directory moves into it. The server's refusals
//!   pass through (STATUS_ACCESS_DENIED for a rename onto a directory or an open file,
//!   STATUS_SHARING_VIOLATION when the source is open elsewhere).
//! - Both remote on different shares or servers (the redirector answers
//!   STATUS_NOT_SAME_DEVICE, as a rename across volumes is on Windows), or one side local:
//!   `cp -r` (times kept) then the source deleted, only once everything was copied.
//! - Both local: rename(2).

use std::io::Write;

use lwio_core::{AccessMask, CreateDisposition, CreateOptions, FileInfoClass, NtStatus, block_on};
use lwio_fscc::FileRenameInformation;

use super::error::ToolError;
use super::files::{Place, Progress};
use super::session::Session;

impl Session {
    /// `mv SRC DST`.
    pub(crate) fn mv(&self, src: &str, dst: &str, out: &mut dyn Write) -> Result<(), ToolError> {
        let src = self.place(src);
        let mut dst = self.place(dst);
        let Some(meta) = self.meta(&src)? else {
            return Err(ToolError::failed(
                format!("open {}", src.name()),
                NtStatus::OBJECT_NAME_NOT_FOUND,
            ));
        };
        if self.meta(&dst)?.is_some_and(|m| m.dir) {
            let base = src
                .base_name()
                .ok_or_else(|| ToolError::Usage(format!("{} has no name", src.name())))?;
            dst = dst.join(&base);
        }
        let renamed = match (&src, &dst) {
            (Place::Io(from), Place::Io(to)) => match self.rename_remote(from, to) {
                Err(e) if e.status() == Some(NtStatus::NOT_SAME_DEVICE) => false,
                other => other.map(|()| true)?,
            },
            (Place::Local(from), Place::Local(to)) => {
                std::fs::rename(from, to).map_err(|e| {
                    ToolError::io(format!("rename {} to {}", from.display(), to.display()), e)
                })?;
                true
            }
            _ => false,
        };
        if renamed {
            return writeln!(out, "renamed {} to {}", src.name(), dst.name())
                .map_err(|e| ToolError::io("write output", e));
        }
        let mut progress = Progress::new(false);
        self.copy_top(&src, dst.clone(), true, &mut progress)?;
        progress.finish();
        match &src {
            Place::Local(p) if meta.dir => std::fs::remove_dir_all(p),
            Place::Local(p) => std::fs::remove_file(p),
            Place::Io(_) => {
                self.remove(&src, true)?;
                Ok(())
            }
        }
        .map_err(|e| ToolError::io(format!("delete {}", src.name()), e))?;
        writeln!(
            out,
            "moved {} files, {} bytes to {}",
            progress.files,
            progress.bytes,
            dst.name()
        )
        .map_err(|e| ToolError::io("write output", e))
    }

    /// Renames the remote `from` to `to` (manager names, `/rdr/server/share/...`).
    fn rename_remote(&self, from: &str, to: &str) -> Result<(), ToolError> {
        let device = format!("/{}/", super::remote::REMOTE_DEVICE);
        let target = to.strip_prefix(&device).unwrap_or(to);
        let file = self.open_io(
            from,
            AccessMask::DELETE | AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
            CreateDisposition::OPEN,
            CreateOptions::empty(),
        )?;
        let info = FileRenameInformation {
            replace_if_exists: true,
            root_directory: 0,
            file_name: target.to_owned(),
        };
        let result = block_on(file.set_information(FileInfoClass::RENAME, info.encode()));
        let closed = block_on(file.close());
        result.map_err(|s| ToolError::failed(format!("rename {from} to {to}"), s))?;
        closed
            .into_result()
            .map_err(|s| ToolError::failed(format!("close {from}"), s))
    }
}
