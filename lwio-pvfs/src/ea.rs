//! Extended attributes (EAs) of the NTFS kind: name/value pairs a client sets with
//! FileFullEaInformation (MS-FSCC 2.4.15) or in a create's EA buffer, and reads back with
//! an EA query (MS-FSA 2.1.5.12.12, NtQueryEaFile).
//!
//! # What NTFS does, and so PVFS
//! - Names are 8-bit strings compared without case and stored upper-case: a set of
//!   `NewEA` is read back as `NEWEA`.
//! - A set applies its entries in order: an entry replaces the EA of the same name (the
//!   new one goes to the end of the list), and an entry with an empty value deletes it
//!   (MS-FSA 2.1.5.15.5). The whole set succeeds or nothing changes.
//! - The set's size, counted as MS-FSA counts `File.ExtendedAttributesLength` (the packed
//!   form, [`lwio_fscc::ea_set_size`]), may not exceed 64 KiB - 5 bytes: beyond it the set
//!   fails with STATUS_EA_TOO_LARGE. `EaSize` (FileEaInformation, FileAllInformation, the
//!   full directory classes) is that size plus 4, or 0 without EAs.
//! - A query enumerates from the handle's cursor (`Open.NextEaEntry`, kept per handle in
//!   the FCB), from the start with SL_RESTART_SCAN, or from a 1-based index; or it returns
//!   the EAs a FILE_GET_EA_INFORMATION list names, in the list's order, a missing one with
//!   an empty value. Whole entries only: STATUS_BUFFER_TOO_SMALL when the first does not
//!   fit, STATUS_BUFFER_OVERFLOW when some were returned and more remain; a file without
//!   EAs answers STATUS_NO_EAS_ON_FILE, an enumeration past the last one
//!   STATUS_NO_MORE_EAS, an index of 0 or beyond the end STATUS_NONEXISTENT_EA_ENTRY.
//! - A create's EA buffer is checked first (STATUS_EA_LIST_INCONSISTENT,
//!   STATUS_INVALID_EA_NAME); it becomes the EA set of a new file and replaces the set of
//!   an overwritten or superseded one (which otherwise loses its EAs); a plain open ignores
//!   it. An open with FILE_NO_EA_KNOWLEDGE of a file holding an EA flagged FILE_NEED_EA
//!   is refused with STATUS_ACCESS_DENIED (MS-FSA 2.1.5.1.2).
//!
//! # Storage
//! All EAs of a file in one extended attribute, `user.lwio.ea` (see
//! [`crate::sys::xattr::EA_XATTR`]), so a set is one atomic write:
//!
//! ```text
//! 0..2   magic "LE"
//! 2      version = 1
//! 3      0
//! 4..    per EA, in order: u8 flags, u8 name length n, u16 value length v (LE),
//!        n bytes of upper-case name (no NUL), v bytes of value
//! ```
//!
//! The 64 KiB - 5 limit keeps the attribute within Linux's 64 KiB value limit
//! (XATTR_SIZE_MAX). A file system that keeps less per file (ext4 without `ea_inode`: one
//! block, usually 4 KiB, shared with the other attributes) refuses larger sets, which
//! then fail with STATUS_EA_TOO_LARGE too. Without extended attributes on the share's file
//! system, sets and creates with EAs fail with STATUS_EAS_NOT_SUPPORTED and files have no
//! EAs. A stored value that does not parse is reported (STATUS_EA_CORRUPT_ERROR to a query
//! or set, `EaSize` 0) and left alone.

use std::os::fd::AsFd;

use lwio_core::irp::{CreateRequest, NotifyFilter, QueryEaRequest};
use lwio_core::{AccessMask, CreateOptions, IrpResult, NtStatus};
use lwio_fscc::{
    EaEntry, FILE_NEED_EA, FileFullEaInformation, FileGetEaInformation, MAX_EA_SET_SIZE,
    ea_info_size, ea_set_size, encode_ea_entries_within,
};

use crate::Volume;
use crate::ccb::Ccb;
use crate::notify::Change;
use lwio_fscc::NotifyAction;

const MAGIC: &[u8; 2] = b"LE";
const VERSION: u8 = 1;
const HEADER: usize = 4;

/// The stored form of an EA set (see the module docs).
pub(crate) fn encode_set(set: &[EaEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + ea_set_size(set));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION, 0]);
    for e in set {
        let name = &e.name[..e.name.len().min(255)];
        let value = &e.value[..e.value.len().min(65535)];
        out.push(e.flags);
        out.push(name.len() as u8);
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(value);
    }
    out
}

/// Parses the stored form; `None` when it is not one (bad header, truncated entry, an
/// empty or invalid name, unknown flags, an empty value or a repeated name).
pub(crate) fn decode_set(b: &[u8]) -> Option<Vec<EaEntry>> {
    if b.len() < HEADER || &b[..2] != MAGIC || b[2] != VERSION || b[3] != 0 {
        return None;
    }
    let mut set: Vec<EaEntry> = Vec::new();
    let mut rest = &b[HEADER..];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let flags = rest[0];
        let n = usize::from(rest[1]);
        let v = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let body = rest.get(4..4 + n + v)?;
        let (name, value) = body.split_at(n);
        if flags & !FILE_NEED_EA != 0
            || v == 0
            || lwio_fscc::validate_ea_name(name).is_err()
            || set.iter().any(|e| e.name.eq_ignore_ascii_case(name))
        {
            return None;
        }
        set.push(EaEntry {
            flags,
            name: name.to_ascii_uppercase(),
            value: value.to_vec(),
        });
        rest = &rest[4 + n + v..];
    }
    Some(set)
}

/// Applies a list of changes to `set` in order (MS-FSA 2.1.5.15.5): each entry replaces
/// the EA of the same name, or deletes it when its value is empty. Fails with
/// STATUS_EA_TOO_LARGE, leaving `set` as it was, when the result would be too large.
pub(crate) fn apply(set: &mut Vec<EaEntry>, changes: &[EaEntry]) -> Result<(), NtStatus> {
    let mut next = set.clone();
    for change in changes {
        let name = change.name.to_ascii_uppercase();
        next.retain(|e| e.name != name);
        if !change.value.is_empty() {
            next.push(EaEntry {
                flags: change.flags,
                name,
                value: change.value.clone(),
            });
        }
        if ea_set_size(&next) > MAX_EA_SET_SIZE {
            return Err(NtStatus::EA_TOO_LARGE);
        }
    }
    *set = next;
    Ok(())
}

/// The EA set of the open file `fd`.
pub(crate) fn load(volume: &Volume, fd: impl AsFd) -> Result<Vec<EaEntry>, NtStatus> {
    match volume.root.read_ea_xattr(fd)? {
        None => Ok(Vec::new()),
        Some(bytes) => decode_set(&bytes).ok_or_else(|| {
            tracing::warn!("PVFS: corrupt {} ignored", crate::sys::xattr::EA_XATTR);
            NtStatus::EA_CORRUPT_ERROR
        }),
    }
}

/// Stores the EA set of the open file `fd`; an empty set removes the attribute.
fn store(volume: &Volume, fd: impl AsFd, set: &[EaEntry]) -> Result<(), NtStatus> {
    if set.is_empty() {
        volume.root.remove_ea_xattr(fd)
    } else {
        volume.root.write_ea_xattr(fd, &encode_set(set))
    }
}

/// `EaSize` of the open file `fd` (0 when it has no EAs or they cannot be read).
pub(crate) fn info_size(volume: &Volume, fd: impl AsFd) -> u32 {
    load(volume, fd).map(|set| ea_info_size(&set)).unwrap_or(0)
}

fn decode_changes(data: &[u8]) -> Result<Vec<EaEntry>, NtStatus> {
    FileFullEaInformation::decode(data)
        .map(|l| l.entries)
        .map_err(|e| e.to_status())
}

/// FileFullEaInformation set (MS-FSA 2.1.5.15.5).
pub(crate) fn set(volume: &Volume, ccb: &Ccb, data: &[u8]) -> Result<NotifyFilter, NtStatus> {
    if !ccb.granted.contains(AccessMask::FILE_WRITE_EA) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    if data.is_empty() {
        return Err(NtStatus::EA_LIST_INCONSISTENT);
    }
    let changes = decode_changes(data)?;
    {
        // The FCB lock makes the read-modify-write of the set atomic among PVFS's handles.
        let _guard = ccb.fcb.state.lock();
        let mut set = load(volume, &ccb.fd)?;
        apply(&mut set, &changes)?;
        store(volume, &ccb.fd, &set)?;
    }
    // MS-FSA: the file is marked for archiving (a change of attributes to report too).
    let mut dos = ccb.dos(volume)?;
    let archive = lwio_core::FileAttributes::ARCHIVE.bits();
    if !ccb.is_dir() && dos.attributes & archive == 0 {
        dos.attributes |= archive;
        ccb.store_dos(volume, dos)?;
        return Ok(NotifyFilter::EA | NotifyFilter::ATTRIBUTES);
    }
    Ok(NotifyFilter::EA)
}

/// The EA query of `ccb` (NtQueryEaFile; FileFullEaInformation).
pub(crate) fn query(volume: &Volume, ccb: &Ccb, q: &QueryEaRequest) -> Result<IrpResult, NtStatus> {
    if !ccb.granted.contains(AccessMask::FILE_READ_EA) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    let names = if q.ea_list.is_empty() {
        None
    } else {
        Some(
            FileGetEaInformation::decode(&q.ea_list)
                .map_err(|e| e.to_status())?
                .names,
        )
    };
    let set = load(volume, &ccb.fd)?;
    if set.is_empty() {
        return Err(NtStatus::NO_EAS_ON_FILE);
    }
    let max = q.length as usize;
    if let Some(names) = names {
        let wanted: Vec<EaEntry> = names
            .into_iter()
            .map(|name| {
                set.iter()
                    .find(|e| e.name.eq_ignore_ascii_case(&name))
                    .cloned()
                    .unwrap_or(EaEntry {
                        flags: 0,
                        name,
                        value: Vec::new(),
                    })
            })
            .collect();
        return Ok(fit(&wanted, max, q.single_entry).0);
    }
    let start = match q.index {
        Some(0) => return Err(NtStatus::NONEXISTENT_EA_ENTRY),
        Some(i) if i as usize == set.len() + 1 => return Err(NtStatus::NO_MORE_EAS),
        Some(i) if i as usize > set.len() => return Err(NtStatus::NONEXISTENT_EA_ENTRY),
        Some(i) => i as usize - 1,
        None if q.restart_scan => 0,
        None => cursor(ccb),
    };
    if start >= set.len() {
        return Err(NtStatus::NO_MORE_EAS);
    }
    let (result, count) = fit(&set[start..], max, q.single_entry);
    if count > 0 {
        set_cursor(ccb, start + count);
    }
    Ok(result)
}

/// Whole entries of `entries` within `max` bytes, with the status the count calls for.
fn fit(entries: &[EaEntry], max: usize, single: bool) -> (IrpResult, usize) {
    let (output, count) = encode_ea_entries_within(entries, max, single);
    if count == 0 {
        let needed = entries.first().map_or(0, EaEntry::wire_len);
        return (
            IrpResult {
                status: NtStatus::BUFFER_TOO_SMALL,
                information: needed as u64,
                output: Vec::new(),
            },
            0,
        );
    }
    let status = if count < entries.len() && !single {
        NtStatus::BUFFER_OVERFLOW
    } else {
        NtStatus::SUCCESS
    };
    (
        IrpResult {
            status,
            information: output.len() as u64,
            output,
        },
        count,
    )
}

fn cursor(ccb: &Ccb) -> usize {
    let st = ccb.fcb.state.lock();
    st.ea_cursors
        .iter()
        .find(|(id, _)| *id == ccb.id)
        .map_or(0, |&(_, next)| next)
}

fn set_cursor(ccb: &Ccb, next: usize) {
    let mut st = ccb.fcb.state.lock();
    let st = &mut *st;
    let opens = &st.opens;
    st.ea_cursors
        .retain(|(id, _)| *id != ccb.id && opens.iter().any(|o| o.ccb_id == *id));
    st.ea_cursors.push((ccb.id, next));
}

/// The EAs a create asks for, checked as the I/O manager checks them before any file
/// system sees the create: `None` without an EA buffer.
pub(crate) fn create_eas(req: &CreateRequest) -> Result<Option<Vec<EaEntry>>, NtStatus> {
    match req.ea_buffer.as_deref() {
        None | Some([]) => Ok(None),
        Some(bytes) => {
            let changes = decode_changes(bytes)?;
            let mut set = Vec::new();
            apply(&mut set, &changes)?;
            Ok(Some(set))
        }
    }
}

/// Gives a file just made the EAs of its create.
pub(crate) fn apply_at_create(
    volume: &Volume,
    fd: impl AsFd,
    req: &CreateRequest,
) -> Result<(), NtStatus> {
    match create_eas(req)? {
        Some(set) if !set.is_empty() => store(volume, fd, &set),
        _ => Ok(()),
    }
}

/// Replaces the EAs of a file being overwritten or superseded with those of the create.
pub(crate) fn replace_at_overwrite(
    volume: &Volume,
    fd: impl AsFd,
    req: &CreateRequest,
    path: &str,
) -> Result<(), NtStatus> {
    let set = create_eas(req)?.unwrap_or_default();
    let fd = fd.as_fd();
    let had = volume.root.read_ea_xattr(fd)?.is_some();
    if had || !set.is_empty() {
        store(volume, fd, &set)?;
        let change = Change::new(path, NotifyAction::MODIFIED, NotifyFilter::EA);
        // The overwriting open's own client does not lose its directory lease.
        let parent = crate::lease::requested_parent(req);
        volume.notify.report(&[change], parent);
    }
    Ok(())
}

/// MS-FSA 2.1.5.1.2: an open with FILE_NO_EA_KNOWLEDGE of a file that has an EA flagged
/// FILE_NEED_EA is refused.
pub(crate) fn check_need_ea(
    volume: &Volume,
    fd: impl AsFd,
    req: &CreateRequest,
) -> Result<(), NtStatus> {
    if !req.options.contains(CreateOptions::NO_EA_KNOWLEDGE) {
        return Ok(());
    }
    let set = load(volume, fd).unwrap_or_default();
    if set.iter().any(|e| e.flags & FILE_NEED_EA != 0) {
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ea(name: &str, value: &str) -> EaEntry {
        EaEntry {
            flags: 0,
            name: name.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn stored_layout_round_trips() {
        let set = vec![
            EaEntry {
                flags: FILE_NEED_EA,
                ..ea("AB", "xyz")
            },
            ea("C", "1"),
        ];
        let b = encode_set(&set);
        assert_eq!(
            b,
            [
                b'L', b'E', 1, 0, 0x80, 2, 3, 0, b'A', b'B', b'x', b'y', b'z', 0, 1, 1, 0, b'C',
                b'1'
            ]
        );
        assert_eq!(decode_set(&b), Some(set));
        assert_eq!(decode_set(&encode_set(&[])), Some(Vec::new()));
        // Truncated, bad header, unknown flag, empty value, repeated name.
        assert_eq!(decode_set(&b[..b.len() - 1]), None);
        assert_eq!(decode_set(b"LE\x02\x00"), None);
        let mut bad = b.clone();
        bad[4] = 1;
        assert_eq!(decode_set(&bad), None);
        assert_eq!(decode_set(b"LE\x01\x00\x00\x01\x00\x00A"), None);
        assert_eq!(decode_set(&encode_set(&[ea("A", "1"), ea("a", "2")])), None);
    }

    #[test]
    fn apply_replaces_deletes_and_upper_cases() {
        let mut set = Vec::new();
        apply(&mut set, &[ea("NewEA", "testme"), ea("Other", "x")]).unwrap();
        assert_eq!(set, vec![ea("NEWEA", "testme"), ea("OTHER", "x")]);
        // Replacing moves the EA to the end; the name matches without case.
        apply(&mut set, &[ea("newea", "again")]).unwrap();
        assert_eq!(set, vec![ea("OTHER", "x"), ea("NEWEA", "again")]);
        // An empty value deletes; deleting a missing EA is no error.
        apply(&mut set, &[ea("Other", ""), ea("Missing", "")]).unwrap();
        assert_eq!(set, vec![ea("NEWEA", "again")]);
    }

    #[test]
    fn apply_refuses_too_large_and_changes_nothing() {
        let mut set = vec![ea("KEEP", "1")];
        let big = EaEntry {
            flags: 0,
            name: b"BIG".to_vec(),
            value: vec![0; 65535],
        };
        // 4 + 4 + 1 + 1 + 4 + 3 + 1 + 65535 > 65531.
        assert_eq!(apply(&mut set, &[big]), Err(NtStatus::EA_TOO_LARGE));
        assert_eq!(set, vec![ea("KEEP", "1")]);
        // Exactly at the limit is fine: 4 + 3 + 1 + v = 65531.
        let mut set = Vec::new();
        let edge = EaEntry {
            flags: 0,
            name: b"BIG".to_vec(),
            value: vec![1; 65531 - 8],
        };
        apply(&mut set, &[edge]).unwrap();
        assert_eq!(ea_set_size(&set), MAX_EA_SET_SIZE);
        assert!(encode_set(&set).len() <= crate::sys::xattr::MAX_XATTR);
    }

    #[test]
    fn fit_statuses() {
        let set = vec![ea("EAONE", "VALUE1"), ea("SECONDEA", "ValueTwo")];
        let (r, n) = fit(&set, 1000, false);
        assert_eq!((r.status, n), (NtStatus::SUCCESS, 2));
        let (r, n) = fit(&set, 30, false);
        assert_eq!(
            (r.status, n, r.output.len()),
            (NtStatus::BUFFER_OVERFLOW, 1, 20)
        );
        let (r, n) = fit(&set, 30, true);
        assert_eq!((r.status, n), (NtStatus::SUCCESS, 1));
        let (r, n) = fit(&set, 10, false);
        assert_eq!(
            (r.status, n, r.information),
            (NtStatus::BUFFER_TOO_SMALL, 0, 20)
        );
    }
}
