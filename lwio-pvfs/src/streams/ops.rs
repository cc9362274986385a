//! What is done to a file's streams as a whole, and to a stream through its handle:
//! FileStreamInformation (MS-FSCC 2.4.44, MS-FSA 2.1.5.12.29), stream rename
//! (MS-FSA 2.1.5.15.11.1), and the streams' part in an overwrite of the file.

use lwio_core::NtStatus;
use lwio_core::irp::LinkTarget;
use lwio_fscc::{StreamEntry, StreamType, parse_stream_syntax};

use super::{FileId, store};
use crate::Volume;
use crate::ccb::Ccb;
use crate::facts::allocation_size;
use crate::fcb::FileKey;
use crate::sys::{self, Stat};

/// The entries of FileStreamInformation for the file of `ccb`: the unnamed stream first
/// (files only: a directory has none), then each named stream by name, with their sizes.
pub(crate) fn entries(volume: &Volume, ccb: &Ccb) -> Result<Vec<StreamEntry>, NtStatus> {
    let st = sys::fstat(&ccb.fd)?;
    let mut out = Vec::new();
    if !st.is_dir() {
        let held = ccb.fcb.file_fcb().state.lock().allocation;
        out.push(StreamEntry {
            stream_name: "::$DATA".to_owned(),
            stream_size: st.size,
            stream_allocation_size: allocation_size(st.size).max(held),
        });
    }
    let mut named = store::list(&volume.root, &FileId::of(&st))?;
    named.sort_by_cached_key(|(name, _)| sys::fold_name(name));
    out.extend(named.into_iter().map(|(name, st)| StreamEntry {
        stream_name: format!(":{name}:$DATA"),
        stream_size: st.size,
        stream_allocation_size: allocation_size(st.size),
    }));
    Ok(out)
}

/// STATUS_SHARING_VIOLATION while a named stream of the file `key` is open: an overwrite
/// or supersede of the file would delete it.
pub(crate) fn check_none_open(volume: &Volume, key: FileKey) -> Result<(), NtStatus> {
    match volume.fcbs.get(key) {
        Some(fcb) if !fcb.state.lock().streams.is_empty() => Err(NtStatus::SHARING_VIOLATION),
        _ => Ok(()),
    }
}

/// Deletes every named stream of the file `st` describes (an overwrite or supersede of
/// its unnamed stream does, MS-FSA 2.1.5.1.2.1).
pub(crate) fn remove_all_of(volume: &Volume, st: &Stat) -> Result<(), NtStatus> {
    store::remove_all(&volume.root, &FileId::of(st))
}

/// Renames the stream of `ccb` to the `:name[:$DATA]` of `request`. A name that does not
/// parse is STATUS_INVALID_PARAMETER, a type other than `$DATA`
/// STATUS_OBJECT_TYPE_MISMATCH; an existing stream of the new name is replaced only with
/// ReplaceIfExists (else STATUS_OBJECT_NAME_COLLISION) and only when it is not open
/// (STATUS_ACCESS_DENIED). Renaming to or from the unnamed stream is not supported
/// (STATUS_NOT_SUPPORTED; a directory has no unnamed stream: STATUS_INVALID_PARAMETER).
pub(crate) fn rename(volume: &Volume, ccb: &Ccb, request: &LinkTarget) -> Result<(), NtStatus> {
    let (file, spec) =
        parse_stream_syntax(&request.file_name).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    let spec = match spec {
        Some(spec) if file.is_empty() => spec,
        _ => return Err(NtStatus::INVALID_PARAMETER),
    };
    if spec.stream_type == Some(StreamType::IndexAllocation) {
        return Err(NtStatus::OBJECT_TYPE_MISMATCH);
    }
    let st = sys::fstat(&ccb.fd)?;
    if spec.name.is_empty() && st.is_dir() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let Some(from) = ccb.stream_name() else {
        return Err(NtStatus::NOT_SUPPORTED);
    };
    if spec.name.is_empty() {
        return Err(NtStatus::NOT_SUPPORTED);
    }
    let to = spec.name;
    store::disk_name(to).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    let id = FileId::of(&st);
    // The file's FCB is held meanwhile: no open of the target stream comes in between.
    let file = ccb.fcb.file_fcb();
    let file_state = file.state.lock();
    let folded_from = sys::fold_name(&from);
    if let Some(existing) = store::find(&volume.root, &id, to)? {
        let folded = sys::fold_name(&existing);
        if folded != folded_from {
            if !request.replace_if_exists() {
                return Err(NtStatus::OBJECT_NAME_COLLISION);
            }
            let open = file_state
                .streams
                .iter()
                .any(|s| sys::fold_name(&s.state.lock().stream_name) == folded);
            if open {
                return Err(NtStatus::ACCESS_DENIED);
            }
            if existing != to {
                store::remove(&volume.root, &id, &existing)?;
            }
        }
    }
    store::rename(&volume.root, &id, &from, to, true)?;
    ccb.fcb.state.lock().stream_name = to.to_owned();
    Ok(())
}
