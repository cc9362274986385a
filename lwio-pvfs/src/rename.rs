//! Rename and hard links (MS-FSA 2.1.5.15.11 FileRenameInformation, 2.1.5.15.6
//! FileLinkInformation, and their Ex forms).
//!
//! Before either reaches PVFS the I/O manager has opened the target directory for the
//! caller (an open-target-directory create, [`crate::target`]), checking FILE_ADD_FILE (or
//! FILE_ADD_SUBDIRECTORY) against that directory's descriptor through the whole device
//! stack, and checked the source handle's grant (DELETE for a rename, FILE_WRITE_ATTRIBUTES
//! for a link). PVFS then works relative to that directory's descriptor and the name it
//! kept; the target path is never resolved again.
//!
//! An existing file of the target name is replaced only when the request says so
//! (STATUS_OBJECT_NAME_COLLISION otherwise) and only when it is a file nobody has open
//! (STATUS_ACCESS_DENIED: a directory, an open file, MS-FSCC 2.4.42's "the target file was
//! open"), that is not read-only (STATUS_ACCESS_DENIED, unless the Ex form's
//! IGNORE_READONLY_ATTRIBUTE), and that the caller may delete: DELETE from its own
//! descriptor, or FILE_DELETE_CHILD on the target directory (MS-FSA 2.1.5.1.2.1), within
//! what the share permissions allow (STATUS_ACCESS_DENIED). POSIX semantics (replacing an
//! open file) are not supported: such a target is refused as without them.
//!
//! The source is renamed by its parent directory and name, as `rename(2)` needs: the
//! parent is opened by the path PVFS keeps for the file and the name checked to still be
//! the file the handle holds (STATUS_ACCESS_DENIED if a local process moved it). A link is
//! made from the handle's own descriptor (`/proc/self/fd`), so it is always the file that
//! was opened. What remains is the window between those checks and the system call, in
//! which only a local process with write access to the directory could swap a name.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use lwio_core::irp::{LinkTarget, NotifyFilter, TargetFlags};
use lwio_core::{AccessMask, AccessToken, FileAttributes, NtStatus};
use rustix::fs::{Mode, OFlags};

use crate::ccb::Ccb;
use crate::create::load_descriptor;
use crate::fcb::FileKey;
use crate::notify::Change;
use crate::security::check_open;
use crate::sys::{self, NameEdit, Stat};
use crate::target::TargetDir;
use crate::{Volume, path};
use lwio_fscc::NotifyAction;

/// The target directory of a rename or link, and the name to make in it.
fn destination(dest: Option<&Ccb>) -> Result<(&Ccb, &TargetDir), NtStatus> {
    // The manager always opens it on PVFS; without it there is nothing checked to use.
    let dest = dest.ok_or(NtStatus::INVALID_PARAMETER)?;
    let target = dest.target.as_ref().ok_or(NtStatus::INVALID_PARAMETER)?;
    if target.names_stream {
        // A file is renamed or linked to a file name; a stream only to `:name`.
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    Ok((dest, target))
}

/// The directory holding the file of `ccb`, opened by the path PVFS keeps for it and
/// checked to still hold that file under that name.
fn source_parent(volume: &Volume, ccb: &Ccb, path: &str) -> Result<OwnedFd, NtStatus> {
    let (parent, name) = path::split_last(path);
    let dir = volume.root.open_dir(Path::new(parent))?;
    let key = ccb.fcb.key;
    match sys::stat_at(&dir, name)? {
        Some(st) if (st.dev, st.ino) == (key.dev, key.ino) => Ok(dir),
        _ => Err(NtStatus::ACCESS_DENIED),
    }
}

/// The checks an existing file of the target name must pass before it is replaced (see
/// the module docs); `name` is its on-disk name in `dest`, `st` its stat there.
fn check_replace(
    volume: &Volume,
    token: &AccessToken,
    dest: &Ccb,
    target: &TargetDir,
    flags: TargetFlags,
    name: &str,
    st: &Stat,
) -> Result<(), NtStatus> {
    if !flags.contains(TargetFlags::REPLACE_IF_EXISTS) {
        return Err(NtStatus::OBJECT_NAME_COLLISION);
    }
    if !st.file_type().is_file() {
        // A directory, or anything else that is not a file.
        return Err(NtStatus::ACCESS_DENIED);
    }
    let key = FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    if volume.fcbs.get(key).is_some() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    if !target.ceiling.contains(AccessMask::DELETE) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    // Decide on the file itself, opened beside the name that was looked up.
    let fd = rustix::fs::openat(
        &dest.fd,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(sys::map_errno)?;
    let fst = sys::fstat(&fd)?;
    if (fst.dev, fst.ino) != (st.dev, st.ino) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let dos = volume.root.read_dos(&fd, name)?.info;
    if FileAttributes(dos.attributes).contains(FileAttributes::READONLY)
        && !flags.contains(TargetFlags::IGNORE_READONLY_ATTRIBUTE)
    {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let sd = load_descriptor(volume, &fd, &fst);
    check_open(&sd, token, AccessMask::DELETE, false, || {
        let dst = sys::fstat(&dest.fd).ok()?;
        Some(load_descriptor(volume, &dest.fd, &dst))
    })
    .map_err(|_| NtStatus::ACCESS_DENIED)?;
    Ok(())
}

/// Renames the file of `ccb` into the target directory `dest` the manager opened.
pub(crate) fn rename(
    volume: &Volume,
    ccb: &Ccb,
    dest: Option<&Ccb>,
    request: &LinkTarget,
) -> Result<(), NtStatus> {
    if request.is_stream() {
        return crate::streams::ops::rename(volume, ccb, request);
    }
    if ccb.stream.is_some() {
        // A stream handle renames its stream only (`:name`), never the file.
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // A file with an open stream keeps its name (as Windows refuses it).
    if !ccb.fcb.state.lock().streams.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let (dest, target) = destination(dest)?;
    let src_path = ccb.path();
    if src_path.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let (_, src_name) = path::split_last(&src_path);
    let src_parent_fd = source_parent(volume, ccb, &src_path)?;
    // The requested spelling: a case-only rename changes the case on disk.
    let wanted = target.name.as_str();
    let existing = volume.root.lookup_stat(&dest.fd, wanted)?;
    // A rename to a short name lately removed gives back the long name it had (the tunnel
    // cache: delete(name) then rename(source, name), a "safe save").
    let restored = match existing {
        Some(_) => None,
        None => match volume
            .tunnel
            .restore(&volume.root, dest.fd.as_fd(), dest.fcb.key, wanted)?
        {
            Some(long) if volume.root.lookup_stat(&dest.fd, &long)?.is_none() => Some(long),
            _ => None,
        },
    };
    let wanted = restored.as_deref().unwrap_or(wanted);
    let mut replace_target = false;
    if let Some((name, st)) = &existing {
        let same_file = st.ino == ccb.fcb.key.ino && st.dev == ccb.fcb.key.dev;
        if !same_file {
            check_replace(volume, &ccb.token, dest, target, request.flags, name, st)?;
            replace_target = true;
        }
    }
    if ccb.is_dir() && volume.fcbs.has_open_below(&src_path) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let found_name = existing.as_ref().map(|(n, _)| n.as_str());
    let target_name = found_name.unwrap_or(wanted);
    // Both directories' name indexes are updated in place (one change when they are the
    // same directory).
    let src_change = volume.root.begin_change(&src_parent_fd);
    let dst_change = volume.root.begin_change(&dest.fd);
    let src_dir = src_change.dir_id();
    let same_dir = src_dir.is_some() && src_dir == dst_change.dir_id();
    let case_only = existing.is_some() && !replace_target;
    let result = if case_only {
        // Same file under another case: rename in place.
        sys::rename_at(&src_parent_fd, src_name, &dest.fd, wanted, true)
    } else if replace_target {
        // Replace the existing name (whatever its case), then give it the spelling asked
        // for: MS-FSA 2.1.5.15.11 replaces the link the case-insensitive lookup found.
        sys::rename_at(&src_parent_fd, src_name, &dest.fd, target_name, true).and_then(|()| {
            if target_name == wanted {
                return Ok(());
            }
            sys::rename_at(&dest.fd, target_name, &dest.fd, wanted, false)
        })
    } else {
        sys::rename_at(&src_parent_fd, src_name, &dest.fd, wanted, false)
    };
    let mut edits = Vec::new();
    // A "same file" target that is another link of the file (not the source name itself)
    // makes rename(2) do nothing: no edits then, which keeps an index only if nothing moved.
    let known = !case_only || (same_dir && target_name == src_name);
    if result.is_ok() && known {
        edits.push(NameEdit::Removed(src_name));
        if target_name != wanted {
            edits.push(NameEdit::Removed(target_name));
        }
        edits.push(NameEdit::Added(wanted));
    }
    if same_dir {
        drop(dst_change);
        volume.root.end_change(&src_parent_fd, src_change, &edits);
    } else {
        let split = edits.len().min(1);
        volume
            .root
            .end_change(&src_parent_fd, src_change, &edits[..split]);
        volume
            .root
            .end_change(&dest.fd, dst_change, &edits[split..]);
    }
    result?;
    if let (false, Some((dev, ino))) = (case_only, src_dir) {
        // The old name is remembered for a create by its short name (`crate::tunnel`).
        if let Ok(st) = sys::fstat(&ccb.fd) {
            let dir = crate::fcb::FileKey { dev, ino };
            volume.tunnel.removed(dir, src_name, &st);
        }
    }
    if let Some((_, st)) = existing.as_ref().filter(|_| replace_target) {
        if st.nlink <= 1 {
            // The replaced file's last link is gone, and its streams with it.
            crate::streams::removed_file(volume, st);
        }
    }
    let new_path = path::join(&dest.path(), wanted);
    ccb.fcb.state.lock().path.clone_from(&new_path);
    let is_dir = ccb.is_dir();
    // Within one directory a rename is an old and a new name; into another directory it
    // is a removal and an addition, as NTFS reports it (smbtorture's `smb2.notify.rec`).
    let same_dir = path::split_last(&src_path).0 == path::split_last(&new_path).0;
    let (old_action, new_action) = if same_dir {
        (
            NotifyAction::RENAMED_OLD_NAME,
            NotifyAction::RENAMED_NEW_NAME,
        )
    } else {
        (NotifyAction::REMOVED, NotifyAction::ADDED)
    };
    let mut changes = vec![
        Change::name(&src_path, old_action, is_dir),
        Change::name(&new_path, new_action, is_dir),
    ];
    if !is_dir {
        // NTFS marks a renamed file for archiving: a watch that sees no names but
        // attributes sees the rename as an attribute change under the new name
        // (smbtorture's `smb2.notify.mask` "rename file" and `mask-change`).
        changes.push(
            Change::new(&new_path, NotifyAction::MODIFIED, NotifyFilter::ATTRIBUTES)
                .unless(NotifyFilter::FILE_NAME | NotifyFilter::DIR_NAME),
        );
    }
    volume.notify.report(&changes, ccb.parent_key());
    Ok(())
}

/// Makes a hard link to the file of `ccb` in the target directory `dest` the manager opened.
pub(crate) fn link(
    volume: &Volume,
    ccb: &Ccb,
    dest: Option<&Ccb>,
    request: &LinkTarget,
) -> Result<(), NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::FILE_IS_A_DIRECTORY);
    }
    if request.is_stream() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // MS-FSA 2.1.5.15.6: a file whose delete is pending gets no new name.
    if ccb.fcb.state.lock().delete_pending {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let (dest, target) = destination(dest)?;
    let wanted = target.name.as_str();
    if let Some((name, st)) = volume.root.lookup_stat(&dest.fd, wanted)? {
        check_replace(volume, &ccb.token, dest, target, request.flags, &name, &st)?;
        volume
            .root
            .change_names(&dest.fd, &[NameEdit::Removed(&name)], || {
                sys::unlink_at(&dest.fd, &name, false)
            })?;
        if st.nlink <= 1 {
            crate::streams::removed_file(volume, &st);
        }
    }
    // The target directory's name index is updated in place (the source's is unchanged).
    volume
        .root
        .change_names(&dest.fd, &[NameEdit::Added(wanted)], || {
            sys::link_fd(&ccb.fd, &dest.fd, wanted)
        })?;
    let new_path = path::join(&dest.path(), wanted);
    let change = Change::name(&new_path, NotifyAction::ADDED, false);
    volume.notify.report(&[change], ccb.parent_key());
    Ok(())
}
