//! Directory queries (MS-FSA 2.1.5.6.3).
//!
//! A query takes a snapshot of the directory's names (sorted case-insensitively, with `.`
//! and `..` first) at its first call, restart or reopen, and walks it across calls; each
//! entry's facts are read when it is returned, from the entry opened relative to the
//! handle's own descriptor (`..` too: the handle's parent, or the handle itself at the
//! share root), never by a path looked up again.
//!
//! With access-based enumeration asked for (`only_accessible`, set by an SMB server on a
//! share with SHI1005_FLAGS_ACCESS_BASED_DIRECTORY_ENUM), an entry whose own descriptor
//! does not grant the handle's token the rights asked for is skipped as if absent: the
//! check runs on the descriptor the entry was just opened through, one per entry read,
//! with the same decoded-descriptor cache an open uses.

use std::os::fd::{AsFd, OwnedFd};

use lwio_core::irp::{QueryDirectoryFlags, QueryDirectoryRequest};
use lwio_core::security::{CheckOptions, access_check};
use lwio_core::{AccessMask, FILE_GENERIC_MAPPING, IrpResult, NtStatus};
use lwio_fscc::{DirEntryWriter, Expression};
use rustix::fs::{Mode, OFlags};

use crate::Volume;
use crate::ccb::{Ccb, facts_of, with_open_state};
use crate::facts::Facts;
use crate::sys::short::ListingShortNames as ShortNames;
use crate::sys::{self, EntryType};

/// Where a directory enumeration of one handle stands.
pub(crate) struct DirScan {
    pattern: String,
    /// The pattern compiled once for the scan.
    matcher: Matcher,
    names: Vec<String>,
    /// The entries' 8.3 short names, computed at the first entry that reports them.
    shorts: Option<ShortNames>,
    next: usize,
}

impl DirScan {
    /// Whether the entry at `i` is listed: MS-FSA 2.1.5.6.3 lists an entry when the
    /// pattern matches its name or its short name. Short names are computed (for the whole
    /// scan, once) only when a name that has a short name of its own does not match.
    fn matches(&mut self, ccb: &Ccb, i: usize) -> bool {
        let Some(name) = self.names.get(i) else {
            return false;
        };
        if self.matcher.matches(name) {
            return true;
        }
        if !self.matcher.may_match_short_names() || sys::short::hash_key(name).is_none() {
            return false;
        }
        let shorts = self
            .shorts
            .get_or_insert_with(|| short_names(ccb, &self.names));
        let short = shorts.get(name);
        !short.is_empty() && self.matcher.matches(&short)
    }
}

/// The short names of a scan's entries (see [`crate::sys::short`]): computed over all the
/// directory's names at once, so that colliding names are ranked once per scan. The names
/// are those a lookup by short name sees ([`sys::Root::short_group`]): the listed ones, and
/// the stream store in the share root, which is no entry of the listing.
fn short_names(ccb: &Ccb, names: &[String]) -> ShortNames {
    let store = ccb
        .path()
        .is_empty()
        .then_some(crate::streams::store::STORE_DIR);
    let all = names.iter().map(String::as_str).chain(store);
    ShortNames::new(all, |name| match sys::stat_at(&ccb.fd, name) {
        Ok(Some(st)) => sys::short_rank(&st),
        _ => (i64::MAX, u32::MAX, u64::MAX),
    })
}

/// Whether entries of the directory class `class` carry a ShortName
/// (FileBothDirectoryInformation, FileIdBothDirectoryInformation; MS-FSCC 2.4.8, 2.4.17).
fn class_has_short_name(class: lwio_core::FileInfoClass) -> bool {
    matches!(
        class,
        lwio_core::FileInfoClass::BOTH_DIRECTORY | lwio_core::FileInfoClass::ID_BOTH_DIRECTORY
    )
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

    /// Whether the pattern can match a short name that differs from its long name: such a
    /// short name always has the hash form's shape, which a literal pattern must have too.
    fn may_match_short_names(&self) -> bool {
        match self {
            Matcher::Literal(folded) => sys::short::tilde_form(folded).is_some(),
            Matcher::Wild(_) => true,
        }
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

/// Whether the entry open as `fd` (`st` its stat) grants the handle's token every one of
/// `rights` through its own descriptor: access-based enumeration
/// ([`QueryDirectoryRequest::only_accessible`]). The parent's rights do not count (what
/// FILE_LIST_DIRECTORY on the directory gives is no right on the entry's contents), nor do
/// privileges: an entry is listed when its descriptor would let the caller read it.
fn accessible(
    volume: &Volume,
    ccb: &Ccb,
    fd: &OwnedFd,
    st: &sys::Stat,
    rights: AccessMask,
) -> bool {
    let sd = crate::create::load_descriptor(volume, fd, st);
    access_check(
        &sd,
        &ccb.token,
        rights,
        &FILE_GENERIC_MAPPING,
        CheckOptions::default(),
    )
    .is_ok()
}

/// The facts of one entry and, with `want_ea`, its EA size (else 0); None when it
/// vanished, is not a file or directory, or is not `only_accessible` to the caller.
fn entry_facts(
    volume: &Volume,
    ccb: &Ccb,
    name: &str,
    want_ea: bool,
    only_accessible: Option<AccessMask>,
) -> Option<(Facts, u32)> {
    let ea_size = |fd: &OwnedFd| {
        if want_ea {
            crate::ea::info_size(volume, fd)
        } else {
            0
        }
    };
    match name {
        "." => Some((ccb.facts(volume).ok()?, ea_size(&ccb.fd))),
        ".." if ccb.path().is_empty() => {
            // The share root's parent is outside the share: report the root itself.
            Some((ccb.facts(volume).ok()?, ea_size(&ccb.fd)))
        }
        ".." => {
            let fd: OwnedFd = rustix::fs::openat(
                &ccb.fd,
                "..",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
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
            if let Some(rights) = only_accessible {
                if !accessible(volume, ccb, &fd, &st, rights) {
                    return None;
                }
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
        let mut names = snapshot(&ccb.fd)?;
        if ccb.path().is_empty() {
            // The stream store is no entry of the share ([`crate::streams`]).
            names.retain(|n| n != crate::streams::store::STORE_DIR);
        }
        *guard = Some(DirScan {
            pattern,
            matcher,
            names,
            shorts: None,
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
        if !scan.matches(ccb, scan.next) {
            scan.next += 1;
            continue;
        }
        let name = &scan.names[scan.next];
        let Some((facts, ea_size)) = entry_facts(volume, ccb, name, want_ea, q.only_accessible)
        else {
            scan.next += 1;
            continue;
        };
        let index = u32::try_from(scan.next).unwrap_or(u32::MAX);
        let mut entry = facts.dir_entry(name, index);
        entry.ea_size = ea_size;
        if class_has_short_name(q.class) {
            let shorts = scan
                .shorts
                .get_or_insert_with(|| short_names(ccb, &scan.names));
            entry.short_name = shorts.get(name);
        }
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
