//! The open of a rename's or link's target directory: a create with
//! `open_target_directory` (Windows' SL_OPEN_TARGET_DIRECTORY), which the I/O manager sends
//! for the caller before the rename or link itself (MS-FSA 2.1.5.15.6 and 2.1.5.15.11,
//! "Open DestinationDirectory").
//!
//! The path names the target; what is opened is its parent directory, found as any open
//! finds a path (case-insensitively, beneath the share root). The access the manager asks
//! (FILE_ADD_FILE, or FILE_ADD_SUBDIRECTORY for a directory) is checked against that
//! directory's own descriptor with the caller's token, within the ceiling the layers above
//! set (share permissions, a read-only device), and the open takes its place among the
//! directory's opens, so a directory open without sharing write refuses it with
//! STATUS_SHARING_VIOLATION. The handle keeps the last component of the path, checked, as
//! the name to make ([`TargetDir`]); the rename or link then works relative to this
//! directory's descriptor and never resolves the path again.

use std::path::Path;

use lwio_core::irp::{CreateRequest, TARGET_DOES_NOT_EXIST, TARGET_EXISTS};
use lwio_core::{AccessMask, CreateOptions, FILE_GENERIC_MAPPING, NtStatus};
use rustix::fs::{Mode, OFlags};

use crate::ccb::Ccb;
use crate::create::{load_descriptor, register, within_ceiling};
use crate::fcb::FileKey;
use crate::security::check_open;
use crate::{Volume, path, sys};

/// What the handle of a target directory remembers for the rename or link.
#[derive(Debug, Clone)]
pub(crate) struct TargetDir {
    /// The name to make in the directory, as the caller spelled it (checked).
    pub(crate) name: String,
    /// The most the layers above would grant through this device (share permissions, a
    /// read-only device): replacing an existing file needs DELETE within it.
    pub(crate) ceiling: AccessMask,
    /// The path named a stream of the target (`dir\file:stream`): the directory is opened
    /// (and its sharing checked) as for the file, but no rename or link makes a stream by
    /// path (STATUS_OBJECT_NAME_INVALID, [`crate::rename`]).
    pub(crate) names_stream: bool,
}

/// Opens the directory that would hold `rel`, for `req` (an open-target-directory create);
/// the `information` to report says whether the last component exists.
pub(crate) fn open(
    volume: &Volume,
    rel: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Ccb, u64), NtStatus> {
    // A stream in the last component (`dir\file:stream`) names a stream of a file of that
    // directory: the directory is the one opened, as Windows opens it (and so a directory
    // open that does not share delete refuses it with STATUS_SHARING_VIOLATION).
    let (file, part) = path::split_stream(rel)?;
    let names_stream = !matches!(part, path::StreamPart::None | path::StreamPart::DefaultData);
    let comps = path::components(file)?;
    let Some((last, parents)) = comps.split_last() else {
        // The root has no parent to put it in.
        return Err(NtStatus::OBJECT_NAME_INVALID);
    };
    let found = volume.root.find(parents)?;
    let on_disk = if found.is_root() {
        String::new()
    } else {
        path::join(&found.parent.to_string_lossy(), &found.name)
    };
    // A symlink is judged by the jail's open below (refused, or followed inside).
    if !found
        .stat
        .as_ref()
        .is_some_and(|st| st.is_dir() || st.is_symlink())
    {
        return Err(NtStatus::OBJECT_PATH_NOT_FOUND);
    }
    let fd = volume
        .root
        .open_file(
            Path::new(&on_disk),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOCTTY,
            Mode::empty(),
        )
        .map_err(|s| match s {
            NtStatus::OBJECT_NAME_NOT_FOUND => NtStatus::OBJECT_PATH_NOT_FOUND,
            s => s,
        })?;
    // Decide on the directory that was opened.
    let st = sys::fstat(&fd)?;
    if !st.is_dir() {
        return Err(NtStatus::OBJECT_PATH_NOT_FOUND);
    }
    let sd = load_descriptor(volume, &fd, &st);
    let desired = req.desired_access.map_generic(&FILE_GENERIC_MAPPING);
    let backup = req.options.contains(CreateOptions::OPEN_FOR_BACKUP_INTENT);
    let granted = check_open(&sd, &req.token, desired, backup, || None)?;
    let granted = within_ceiling(desired, granted, ceiling)?;
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    let mut ccb = register(volume, req, key, true, &on_disk, fd, granted)?;
    let exists = match volume.root.lookup_stat(&ccb.fd, last) {
        Ok(found) => found.is_some(),
        Err(status) => {
            ccb.cleanup(volume);
            return Err(status);
        }
    };
    ccb.target = Some(TargetDir {
        name: (*last).to_owned(),
        ceiling,
        names_stream,
    });
    let information = if exists {
        TARGET_EXISTS
    } else {
        TARGET_DOES_NOT_EXIST
    };
    Ok((ccb, information))
}
