//! Create of a named stream (MS-FSA 2.1.5.1 with a stream name): the file is found (or
//! made) and access-checked as for an open of it, then the stream is opened, made,
//! overwritten or superseded per the disposition, under the file's lock
//! ([`crate::dirlock`], keyed by the file's identity) so two creates of one stream never
//! both make it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use lwio_core::irp::CreateRequest;
use lwio_core::{AccessMask, CreateAction, CreateDisposition, CreateOptions, NtStatus};
use parking_lot::Mutex;

use super::{FileId, store};
use crate::Volume;
use crate::ccb::Ccb;
use crate::fcb::OpenRecord;
use crate::share::ShareState;

/// Rights that write a stream's data.
const WRITE_DATA: AccessMask =
    AccessMask(AccessMask::FILE_WRITE_DATA.0 | AccessMask::FILE_APPEND_DATA.0);

/// Opens or makes the stream `name` of the file `file_rel` (share-relative, no stream
/// syntax) as `req` asks. Statuses of their own: STATUS_NOT_A_DIRECTORY for
/// FILE_DIRECTORY_FILE (a stream is no directory), STATUS_OBJECT_NAME_NOT_FOUND for a
/// missing stream an OPEN or OVERWRITE names, STATUS_OBJECT_NAME_COLLISION for an
/// existing one a CREATE names.
pub(crate) fn open(
    volume: &Volume,
    wait: &crate::oplock::Wait<'_>,
    file_rel: &str,
    name: &str,
    req: &CreateRequest,
    ceiling: AccessMask,
) -> Result<(Ccb, CreateAction), NtStatus> {
    if req.options.contains(CreateOptions::DIRECTORY_FILE) {
        return Err(NtStatus::NOT_A_DIRECTORY);
    }
    store::disk_name(name)?;
    let (file, on_disk, _made) = crate::create::stream_file(volume, file_rel, req, ceiling)?;
    let id = FileId::of(&file.st);
    let disposition = req.disposition;
    let may_make = !matches!(
        disposition,
        CreateDisposition::OPEN | CreateDisposition::OVERWRITE
    );
    let _serial = may_make.then(|| volume.dirs.lock(file.key, || {}));
    let write = file.granted.intersects(WRITE_DATA);
    let (data, stored, action) = match store::find(&volume.root, &id, name)? {
        Some(_) if disposition == CreateDisposition::CREATE => {
            return Err(NtStatus::OBJECT_NAME_COLLISION);
        }
        Some(stored) => {
            let action = match disposition {
                CreateDisposition::SUPERSEDE => CreateAction::SUPERSEDED,
                CreateDisposition::OVERWRITE | CreateDisposition::OVERWRITE_IF => {
                    CreateAction::OVERWRITTEN
                }
                _ => CreateAction::OPENED,
            };
            (
                store::open(&volume.root, &id, &stored, write)?,
                stored,
                action,
            )
        }
        None if !may_make => return Err(NtStatus::OBJECT_NAME_NOT_FOUND),
        None => {
            let owner = (file.st.uid, file.st.gid);
            let fd = store::create(&volume.root, &id, owner, name)?;
            let fd = if write {
                fd
            } else {
                crate::sys::reopen(&fd, rustix::fs::OFlags::RDONLY)?
            };
            (fd, name.to_owned(), CreateAction::CREATED)
        }
    };
    let ccb_id = volume.next_ccb_id();
    let record = OpenRecord {
        ccb_id,
        share: ShareState {
            access: file.granted,
            share: req.share_access,
        },
        delete_on_close: req.options.contains(CreateOptions::DELETE_ON_CLOSE),
        oplock_key: crate::lease::requested_key(req),
        parent_key: crate::lease::requested_parent(req),
    };
    let fcb = volume
        .fcbs
        .open_stream(file.key, file.st.is_dir(), &on_disk, &stored, record)?;
    let ccb = Ccb {
        id: ccb_id,
        fcb: Arc::clone(&fcb),
        fd: file.probe,
        stream: Some(data),
        granted: file.granted,
        token: Arc::clone(&req.token),
        options: Mutex::new(req.options),
        position: AtomicU64::new(0),
        scan: Mutex::new(None),
        written: AtomicBool::new(false),
        target: None,
    };
    // A stream's oplocks are on its own FCB; they break after the share check (a batch
    // oplock of a stream does not break before it, as a file's does).
    let intent = crate::oplock::OpenIntent {
        access: file.granted,
        disposition,
        share: req.share_access,
        key: crate::lease::requested_key(req),
        delete_on_close: req.options.contains(CreateOptions::DELETE_ON_CLOSE),
    };
    if let Err(status) = crate::oplock::after_share_check(&fcb, ccb_id, &intent, wait) {
        ccb.cleanup(volume);
        return Err(status);
    }
    ccb.seed_dos(file.dos);
    let new_data = action != CreateAction::OPENED;
    let result = if new_data && action != CreateAction::CREATED {
        crate::sys::set_size(ccb.data(), 0).map(|()| fcb.state.lock().allocation = 0)
    } else {
        Ok(())
    }
    .and_then(|()| crate::create::apply_file_hints(&ccb, req, new_data));
    if let Err(status) = result {
        ccb.cleanup(volume);
        return Err(status);
    }
    Ok((ccb, action))
}
