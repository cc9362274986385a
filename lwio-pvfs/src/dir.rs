//! Directory queries (MS-FSA 2.1.5.6.3), rename and hard links (MS-FSA 2.1.5.15.12 and
//! 2.1.5.15.6).
//!
//! A query takes a snapshot of the directory's names (sorted case-insensitively, with `.`
//! and `..` first) at its first call, restart or reopen, and walks it across calls; each
//! entry's facts are read when it is returned.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use lwio_core::irp::{QueryDirectoryFlags, QueryDirectoryRequest};
use lwio_core::{AccessMask, IrpResult, NtStatus, ShareAccess};
use lwio_fscc::{DirEntryWriter, Expression};
use rustix::fs::{Mode, OFlags};

use crate::ccb::{Ccb, facts_of, with_open_state};
use crate::facts::Facts;
use crate::notify::Change;
use crate::share::ShareState;
use crate::sys::{self, EntryType, NameEdit};
use crate::{Volume, path};
use lwio_fscc::NotifyAction;

/// Where a directory enumeration of one handle stands.
pub(crate) struct DirScan {
    pattern: String,
    /// The pattern compiled once for the scan.
    matcher: Matcher,
    names: Vec<String>,
    next: usize,
}

/// How a scan's pattern is matched.
enum Matcher {
    /// A pattern without wildcards: the name folded, compared with folded names.
    Literal(String),
    /// A wildcard expression.
    Wild(Box<Expression>),
}

impl Matcher {
    /// Compiles `pattern`; a pattern longer than a name can be is no valid name component
    /// (MS-FSA 2.1.5.5): STATUS_OBJECT_NAME_INVALID.
    fn new(pattern: &str) -> Result<Matcher, NtStatus> {
        if lwio_fscc::wildcard::has_wildcards(pattern) {
            return Expression::new(pattern, true)
                .map(|e| Matcher::Wild(Box::new(e)))
                .map_err(|e| e.to_status());
        }
        if pattern.encode_utf16().count() > lwio_fscc::names::MAX_COMPONENT_UNITS {
            return Err(NtStatus::OBJECT_NAME_INVALID);
        }
        Ok(Matcher::Literal(sys::fold_name(pattern)))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Literal(folded) => sys::fold_name(name) == *folded,
            Matcher::Wild(expression) => expression.matches(name),
        }
    }
}

fn snapshot(dir: impl AsFd) -> Result<Vec<String>, NtStatus> {
    let mut names: Vec<String> = sys::read_dir(dir)?
        .into_iter()
        .filter(|e| {
            matches!(
                e.kind,
                EntryType::File | EntryType::Dir | EntryType::Unknown
            )
        })
        .filter_map(|e| e.name.into_string().ok())
        .collect();
    names.sort_by_cached_key(|n| sys::fold_name(n));
    let mut all = Vec::with_capacity(names.len() + 2);
    all.push(".".to_owned());
    all.push("..".to_owned());
    all.extend(names);
    Ok(all)
}

/// The facts of one entry and, with `want_ea`, its EA size (else 0); None when it
/// vanished or is not a file or directory.
fn entry_facts(volume: &Volume, ccb: &Ccb, name: &str, want_ea: bool) -> Option<(Facts, u32)> {
    let ea_size = |fd: &OwnedFd| {
        if want_ea {
            crate::ea::info_size(volume, fd)
        } else {
            0
        }
    };
    match name {
        "." => Some((ccb.facts(volume).ok()?, ea_size(&ccb.fd))),
        ".." => {
            let path = ccb.path();
            let (parent, _) = path::split_last(&path);
            let fd = volume
                .root
                .open_file(
                    Path::new(parent),
                    OFlags::RDONLY | OFlags::DIRECTORY,
                    Mode::empty(),
                )
                .ok()?;
            let st = sys::fstat(&fd).ok()?;
            let dos = volume.root.read_dos(&fd, "..").ok()?;
            Some((facts_of(&st, &dos.info), ea_size(&fd)))
        }
        _ => {
            let fd: OwnedFd = rustix::fs::openat(
                &ccb.fd,
                name,
                OFlags::RDONLY
                    | OFlags::NOFOLLOW
                    | OFlags::NONBLOCK
                    | OFlags::NOCTTY
                    | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .ok()?;
            let st = sys::fstat(&fd).ok()?;
            if !st.is_dir() && !st.file_type().is_file() {
                return None;
            }
            let dos = volume.root.read_dos(&fd, name).ok()?;
            let mut facts = facts_of(&st, &dos.info);
            if let Some(fcb) = volume.fcbs.get(facts.key) {
                let mut state = fcb.state.lock();
                with_open_state(&mut facts, &state);
                // An open file reports its pending or explicit last write time.
                crate::rw::report_write_time(&fd, &mut state.write_time, &mut facts);
            }
            Some((facts, ea_size(&fd)))
        }
    }
}

pub(crate) fn query(
    volume: &Volume,
    ccb: &Ccb,
    q: &QueryDirectoryRequest,
) -> Result<IrpResult, NtStatus> {
    if !ccb.is_dir() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let mut writer = DirEntryWriter::new(q.class, q.length)?
        .single_entry(q.flags.contains(QueryDirectoryFlags::RETURN_SINGLE_ENTRY));
    let mut guard = ccb.scan.lock();
    let restart = q
        .flags
        .intersects(QueryDirectoryFlags::RESTART_SCANS | QueryDirectoryFlags::REOPEN);
    let first_call = guard.is_none() || restart;
    if first_call {
        let pattern = match q.pattern.as_deref() {
            Some(p) if !p.is_empty() => p.to_owned(),
            _ => guard
                .as_ref()
                .filter(|_| !q.flags.contains(QueryDirectoryFlags::REOPEN))
                .map(|s| s.pattern.clone())
                .unwrap_or_else(|| "*".to_owned()),
        };
        // Compiled before the directory is read: a bad pattern costs nothing.
        let matcher = Matcher::new(&pattern)?;
        *guard = Some(DirScan {
            pattern,
            matcher,
            names: snapshot(&ccb.fd)?,
            next: 0,
        });
    }
    let Some(scan) = guard.as_mut() else {
        return Err(NtStatus::INTERNAL_ERROR);
    };
    // INDEX_SPECIFIED's FileIndex is ignored, as NTFS and Samba do (MS-FSA 2.1.5.6.3
    // leaves it to the file system): the scan goes on where it stands. Honouring an index
    // of 0 would restart the scan on every call, and a client that loops until
    // STATUS_NO_MORE_FILES would never end.
    let want_ea = lwio_fscc::dir_class_has_ea_size(q.class);
    while scan.next < scan.names.len() && !writer.is_full() {
        let name = &scan.names[scan.next];
        if !scan.matcher.matches(name) {
            scan.next += 1;
            continue;
        }
        let Some((facts, ea_size)) = entry_facts(volume, ccb, name, want_ea) else {
            scan.next += 1;
            continue;
        };
        let index = u32::try_from(scan.next).unwrap_or(u32::MAX);
        let mut entry = facts.dir_entry(name, index);
        entry.ea_size = ea_size;
        if !writer.push(&entry) {
            break;
        }
        scan.next += 1;
    }
    if writer.is_empty() {
        // Nothing fitted, or nothing (more) matched.
        let status = writer.status();
        if status != NtStatus::SUCCESS {
            let (output, status) = writer.finish();
            return Ok(IrpResult {
                status,
                information: output.len() as u64,
                output,
            });
        }
        return Err(if first_call {
            NtStatus::NO_SUCH_FILE
        } else {
            NtStatus::NO_MORE_FILES
        });
    }
    let (output, status) = writer.finish();
    Ok(IrpResult {
        status,
        information: output.len() as u64,
        output,
    })
}

/// Parses a rename or link target (a path from the share root, `\` or `/` separated).
fn target_components(name: &str) -> Result<Vec<String>, NtStatus> {
    let trimmed = name.trim_start_matches(['\\', '/']);
    let joined = trimmed.replace('\\', "/");
    Ok(path::components(&joined)?
        .into_iter()
        .map(str::to_owned)
        .collect())
}

/// Renames the file of `ccb` to `new_name`.
pub(crate) fn rename(
    volume: &Volume,
    ccb: &Ccb,
    new_name: &str,
    replace: bool,
) -> Result<(), NtStatus> {
    if new_name.starts_with(':') {
        return Err(NtStatus::NOT_SUPPORTED);
    }
    let comps = target_components(new_name)?;
    if comps.is_empty() {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    let refs: Vec<&str> = comps.iter().map(String::as_str).collect();
    let target = volume.root.resolve(&refs)?;
    let src_path = ccb.path();
    if src_path.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let (src_parent, src_name) = path::split_last(&src_path);
    let src_parent_fd = volume.root.open_dir(Path::new(src_parent))?;
    let new_parent = target.parent.to_string_lossy().into_owned();
    // The requested spelling: a case-only rename changes the case on disk.
    let wanted = comps.last().cloned().unwrap_or_default();
    let mut replace_target = false;
    if let Some(st) = &target.stat {
        let same_file = st.ino == ccb.fcb.key.ino && st.dev == ccb.fcb.key.dev;
        if !same_file {
            if !replace {
                return Err(NtStatus::OBJECT_NAME_COLLISION);
            }
            if st.is_dir() {
                return Err(NtStatus::ACCESS_DENIED);
            }
            let key = crate::fcb::FileKey {
                dev: st.dev,
                ino: st.ino,
            };
            if volume.fcbs.get(key).is_some() {
                return Err(NtStatus::ACCESS_DENIED);
            }
            replace_target = true;
        }
    }
    if ccb.is_dir() && volume.fcbs.has_open_below(&src_path) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    check_parent_share(volume, &target.parent_fd)?;
    // Both directories' name indexes are updated in place (one change when they are the
    // same directory).
    let src_change = volume.root.begin_change(&src_parent_fd);
    let dst_change = volume.root.begin_change(&target.parent_fd);
    let same_dir = src_change.dir_id().is_some() && src_change.dir_id() == dst_change.dir_id();
    let case_only = target.stat.is_some() && !replace_target;
    let result = if case_only {
        // Same file under another case: rename in place.
        sys::rename_at(&src_parent_fd, src_name, &target.parent_fd, &wanted, true)
    } else if replace_target {
        // Replace the existing name (whatever its case), then give it the spelling asked
        // for: MS-FSA 2.1.5.14.11 replaces the link the case-insensitive lookup found.
        sys::rename_at(
            &src_parent_fd,
            src_name,
            &target.parent_fd,
            &target.name,
            true,
        )
        .and_then(|()| {
            if target.name == wanted {
                return Ok(());
            }
            sys::rename_at(
                &target.parent_fd,
                &target.name,
                &target.parent_fd,
                &wanted,
                false,
            )
        })
    } else {
        sys::rename_at(&src_parent_fd, src_name, &target.parent_fd, &wanted, false)
    };
    let mut edits = Vec::new();
    // A "same file" target that is another link of the file (not the source name itself)
    // makes rename(2) do nothing: no edits then, which keeps an index only if nothing moved.
    let known = !case_only || (same_dir && target.name == src_name);
    if result.is_ok() && known {
        edits.push(NameEdit::Removed(src_name));
        if target.name != wanted {
            edits.push(NameEdit::Removed(&target.name));
        }
        edits.push(NameEdit::Added(&wanted));
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
            .end_change(&target.parent_fd, dst_change, &edits[split..]);
    }
    result?;
    let new_path = path::join(&new_parent, &wanted);
    ccb.fcb.state.lock().path.clone_from(&new_path);
    let is_dir = ccb.is_dir();
    volume.notify.report(&[
        Change::name(&src_path, NotifyAction::RENAMED_OLD_NAME, is_dir),
        Change::name(&new_path, NotifyAction::RENAMED_NEW_NAME, is_dir),
    ]);
    Ok(())
}

/// The open of the target directory a rename makes (as Windows does, for
/// FILE_ADD_FILE, sharing read and write but not delete): it fails with
/// STATUS_SHARING_VIOLATION when the directory is open for DELETE, or open without
/// sharing what that open needs.
pub(crate) fn check_parent_share(volume: &Volume, parent: &OwnedFd) -> Result<(), NtStatus> {
    let st = sys::fstat(parent)?;
    let key = crate::fcb::FileKey {
        dev: st.dev,
        ino: st.ino,
    };
    let Some(fcb) = volume.fcbs.get(key) else {
        return Ok(());
    };
    let state = fcb.state.lock();
    crate::share::check_share_access(RENAME_PARENT_OPEN, state.opens.iter().map(|o| &o.share))
}

/// What the target directory open of a rename asks for and shares.
const RENAME_PARENT_OPEN: ShareState = ShareState {
    access: AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::SYNCHRONIZE.0),
    share: ShareAccess(ShareAccess::READ.0 | ShareAccess::WRITE.0),
};

/// Makes `new_name` a hard link to the file of `ccb`.
pub(crate) fn link(
    volume: &Volume,
    ccb: &Ccb,
    new_name: &str,
    replace: bool,
) -> Result<(), NtStatus> {
    if ccb.is_dir() {
        return Err(NtStatus::FILE_IS_A_DIRECTORY);
    }
    let comps = target_components(new_name)?;
    if comps.is_empty() {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    let refs: Vec<&str> = comps.iter().map(String::as_str).collect();
    let target = volume.root.resolve(&refs)?;
    if let Some(st) = &target.stat {
        if !replace {
            return Err(NtStatus::OBJECT_NAME_COLLISION);
        }
        if st.is_dir() {
            return Err(NtStatus::ACCESS_DENIED);
        }
        let key = crate::fcb::FileKey {
            dev: st.dev,
            ino: st.ino,
        };
        if volume.fcbs.get(key).is_some() {
            return Err(NtStatus::ACCESS_DENIED);
        }
        volume.root.change_names(
            &target.parent_fd,
            &[NameEdit::Removed(&target.name)],
            || sys::unlink_at(&target.parent_fd, &target.name, false),
        )?;
    }
    let src_path = ccb.path();
    let (src_parent, src_name) = path::split_last(&src_path);
    let src_parent_fd = volume.root.open_dir(Path::new(src_parent))?;
    let wanted = comps.last().map(String::as_str).unwrap_or_default();
    // The target directory's name index is updated in place (the source's is unchanged).
    volume
        .root
        .change_names(&target.parent_fd, &[NameEdit::Added(wanted)], || {
            sys::link_at(&src_parent_fd, src_name, &target.parent_fd, wanted)
        })?;
    let new_path = path::join(&target.parent.to_string_lossy(), wanted);
    volume
        .notify
        .report(&[Change::name(&new_path, NotifyAction::ADDED, false)]);
    Ok(())
}
