//! SMB2 CREATE (MS-SMB2 3.3.5.9): checks the request, turns its create contexts into
//! create parameters, opens the file through the I/O manager (a pipe on IPC$, with the
//! client's identity as a [`PipeClientInfo`] ECP) and answers with the file's times,
//! sizes and attributes and the response contexts asked for.
//!
//! The client end of a message pipe is switched to message read mode right after the
//! open, so FSCTL_PIPE_TRANSCEIVE and reads see whole messages.
//!
//! Access is decided by the driver against the file's security descriptor alone:
//! `Tree::maximal_access` (what the session may do on the share root) is not applied as a
//! bound on other files, since a root directory's DACL says nothing about what its
//! subdirectories allow. A share-level ACL, when there is one, belongs in a filter driver
//! (as `lwio_core::filter::readonly` does for read-only shares).
//!
//! Oplocks and leases are the file system's, asked for right after the open (`oplock.rs`,
//! `lease.rs`; a lease's key goes down with the create as an ECP); durable handle
//! requests, reconnects and replays are `durable.rs`'s; an AppInstanceId closes another
//! client's open of the file first (`app_instance.rs`).

use bytes::Bytes;
use lwio_core::oplock::OplockBreakWait;
use lwio_core::{
    AccessMask, CreateAction, CreateDisposition, CreateOptions, CreateRequest as IoCreate, EcpList,
    FileAttributes, FileHandle, FileInfoClass, FsInfoClass, NtStatus, ShareAccess,
};
use lwio_fscc::{FileInfo, FileInternalInformation, FileNetworkOpenInformation};
#[cfg(feature = "npfs")]
use lwio_npfs::{CompletionMode, PipeClientInfo, PipeInformation, ReadMode};
use lwio_smb2::create::FileTimes;
use lwio_smb2::{
    CreateContext, CreateRequest, CreateResponse, FileId, ImpersonationLevel, OplockLevel,
    RequestContext, ResponseContext,
};

use super::app_instance::AppInstanceAsk;
use super::durable::{DurableAsk, ReconnectAsk};
use super::{Outcome, bad_request, body};
use crate::state::{FileRequest, Reply, ShareKind};

/// CreateOptions bits a server strips before the open: an SMB2 server does its own I/O
/// asynchronously, so the synchronous-I/O options mean nothing to it.
const IGNORED_OPTIONS: CreateOptions = CreateOptions(0x0000_0030);

/// CreateOptions bits no file system defines.
const UNDEFINED_OPTIONS: u32 = 0xFF00_0000;

/// The reserved bits 26 and 27 of an access mask (MS-DTYP 2.4.3).
const RESERVED_ACCESS: u32 = 0x0C00_0000;

/// FileAttributes bits a create refuses.
const INVALID_ATTRIBUTES: u32 = 0xFFFF_8048;

/// What the request's create contexts ask for.
#[derive(Default)]
struct Asks {
    maximal_access: bool,
    on_disk_id: bool,
    allocation_size: u64,
    security_descriptor: Option<Vec<u8>>,
    /// The SMB2_CREATE_EA_BUFFER list, for the driver to check and apply.
    ea_buffer: Option<Vec<u8>>,
    /// The SMB2_CREATE_REQUEST_LEASE(_V2) context.
    lease: Option<lwio_smb2::Lease>,
    /// DHnQ or DH2Q.
    durable: Option<DurableAsk>,
    /// DHnC or DH2C.
    reconnect: Option<ReconnectAsk>,
    /// SMB2_CREATE_APP_INSTANCE_ID (and _VERSION).
    app_instance: Option<AppInstanceAsk>,
}

/// Handles CREATE.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    match create(req).await {
        Ok(ok) => ok,
        Err(status) => (Reply::error(status), None),
    }
}

async fn create(req: &FileRequest<'_>) -> Result<Outcome, NtStatus> {
    let mut cr = match CreateRequest::decode(req.msg) {
        Ok(cr) => cr,
        Err(e) => return Ok((bad_request(e), None)),
    };
    let is_ipc = matches!(req.tree.share.kind, ShareKind::Ipc { .. });
    // On IPC$ the name is a pipe's, a single component: `\srvsvc` or `pipe\srvsvc` names
    // none (as Windows answers), where on a disk share a leading backslash is a malformed
    // request.
    if is_ipc && cr.name.contains(['\\', '/']) {
        return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
    }
    let asks = read_contexts(&cr.contexts)?;
    // `.` and `..` resolved in the name before it goes anywhere (`dot_names.rs`), a
    // reconnect's too: it is compared with the name the open was made with. A name with a
    // leading backslash is left to the checks below, which refuse it.
    if !is_ipc && !cr.name.starts_with('\\') {
        if let std::borrow::Cow::Owned(name) = super::dot_names::collapse(&cr.name)? {
            cr.name = name;
        }
    }
    // A reconnect looks at nothing else of the request (MS-SMB2 3.3.5.9.7, 3.3.5.9.12).
    if let Some(ask) = asks.reconnect {
        if is_ipc {
            return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
        }
        return super::durable::reconnect(req, &cr, ask, asks.lease.as_ref()).await;
    }
    check_request(&cr)?;
    // A v2 create: a replay of one that completed (3.3.5.9.10), or of one still in
    // progress, which is refused with STATUS_FILE_NOT_AVAILABLE (the original answers).
    let _in_progress = match (asks.durable, is_ipc) {
        (Some(DurableAsk::V2 { create_guid, .. }), false) => {
            let requested = cr.oplock_level;
            let lease = asks.lease.as_ref();
            if let Some(done) = super::durable::replay(req, &create_guid, requested, lease).await {
                return done;
            }
            match req.durable.start_create((req.client_guid, create_guid)) {
                Some(guard) => Some(guard),
                None if super::durable::is_replay(req) => {
                    return Err(NtStatus::FILE_NOT_AVAILABLE);
                }
                None => return Err(NtStatus::DUPLICATE_OBJECTID),
            }
        }
        _ => None,
    };
    // Pipes have no EAs.
    if is_ipc && asks.ea_buffer.is_some() {
        return Err(NtStatus::EAS_NOT_SUPPORTED);
    }
    // Another client's open of this file by the same application instance goes first
    // (3.3.5.9.13; 3.x only).
    let app_instance = asks
        .app_instance
        .filter(|_| !is_ipc && req.dialect >= 0x0300);
    if let Some(ask) = app_instance {
        super::app_instance::close_replaced(req, ask, &cr.name).await?;
    }
    let path = req.tree.share.device_path(&cr.name);

    #[allow(unused_mut)] // without named pipes, no ECP is ever added
    let mut ecps = EcpList::default();
    #[cfg(feature = "npfs")]
    if is_ipc {
        let info =
            PipeClientInfo::new(req.session.token()).session_key(req.session.session_key.to_vec());
        ecps.insert(info);
    }
    // Told by the file system when the open waits for another open's oplock break.
    let break_wait = OplockBreakWait::new();
    if !is_ipc {
        ecps.insert(break_wait.clone());
    }
    // A lease context counts only with SMB2_OPLOCK_LEVEL_LEASE, from 2.1 on (3.3.5.9.8);
    // a v2 context only from 3.0 (3.3.5.9.11).
    let lease_asked = asks.lease.filter(|l| {
        !is_ipc
            && cr.oplock_level == OplockLevel::LEASE
            && req.dialect >= 0x0210
            && (l.v2.is_none() || req.dialect >= 0x0300)
    });
    let lease = match &lease_asked {
        Some(asked) => {
            let (lease, key) = super::lease::prepare(req, asked, &cr.name)?;
            ecps.insert(key);
            Some(lease)
        }
        None => None,
    };
    let request = IoCreate {
        desired_access: cr.desired_access,
        file_attributes: cr.file_attributes,
        share_access: cr.share_access,
        disposition: cr.disposition,
        options: cr.options.without(IGNORED_OPTIONS),
        allocation_size: asks.allocation_size,
        security_descriptor: asks.security_descriptor.clone().map(Bytes::from),
        ea_buffer: asks.ea_buffer.map(Bytes::from),
        ecps,
        token: req.session.token(),
        // Only the I/O manager opens target directories (for a rename or link).
        open_target_directory: false,
    };
    // On failure a lease this create named goes with `lease`, unless opens hold it.
    let handle =
        super::oplock::pending_on_break(req, req.io.create_file(&path, request), &break_wait)
            .await?;
    #[cfg(feature = "npfs")]
    if is_ipc && !cr.name.is_empty() {
        message_mode(&handle).await;
    }

    let facts = if is_ipc {
        pipe_facts()
    } else {
        network_open(req, &handle, &path).await
    };
    let is_dir = facts.file_attributes.contains(FileAttributes::DIRECTORY);
    let mut contexts = Vec::new();
    if asks.maximal_access {
        let access = maximal_access(req, &handle, &path, cr.desired_access, is_ipc).await;
        contexts.push(ResponseContext::MaximalAccess {
            status: NtStatus::SUCCESS,
            access,
        });
    }
    if asks.on_disk_id && !is_ipc {
        if let Some(id) = on_disk_id(&handle).await {
            contexts.push(ResponseContext::OnDiskId(id));
        }
    }
    let create_action = handle.create_action();
    let open = req
        .tree
        .add_open(handle, cr.name.clone(), is_dir, cr.share_access);
    open.relay.attach(req.async_control.break_sink());
    if req.dialect >= 0x0300 {
        open.channel.start(req.header.channel_sequence());
    }
    if let Some(ask) = app_instance {
        super::app_instance::record(req, ask, &open);
    }
    let mut lease_granted = None;
    // Never on pipes; on directories only leases, and only with directory leasing
    // (MS-SMB2 3.3.5.9, 3.3.5.9.11). Without, the key is not kept (smbtorture's
    // smb2.lease.request), which dropping its `Creating` does.
    let dir_lease = is_dir
        && req.leases.grants_directory_leases(req.dialect)
        && req.async_control.directory_leasing();
    let oplock_level = if is_ipc || (is_dir && !dir_lease) {
        OplockLevel::NONE
    } else if let (Some(lease), Some(asked)) = (lease, &lease_asked) {
        let granted = super::lease::grant(req, lease, &open, asked).await;
        if is_dir && granted.state.0 == 0 {
            // The file system grants a directory nothing (memfs, the redirector).
            OplockLevel::NONE
        } else {
            contexts.push(ResponseContext::Lease(granted));
            lease_granted = Some(granted);
            OplockLevel::LEASE
        }
    } else if is_dir {
        OplockLevel::NONE
    } else {
        super::oplock::grant(req, &open, cr.oplock_level).await
    };
    if let (Some(ask), false, false) = (asks.durable, is_ipc, is_dir) {
        let granted = super::durable::grant(req, &open, ask, oplock_level, lease_granted.as_ref());
        contexts.extend(granted);
    }
    Ok(success(
        oplock_level,
        create_action,
        &facts,
        open.file_id,
        &contexts,
    ))
}

/// The answer to a CREATE that succeeded: a new open, or one reconnected or replayed
/// (`super::durable`).
pub(super) fn success(
    oplock_level: OplockLevel,
    create_action: CreateAction,
    facts: &FileNetworkOpenInformation,
    file_id: FileId,
    contexts: &[ResponseContext],
) -> Outcome {
    let response = CreateResponse {
        oplock_level,
        flags: Default::default(),
        create_action,
        times: times_of(facts),
        file_attributes: facts.file_attributes,
        file_id,
        contexts: contexts.iter().map(ResponseContext::to_raw).collect(),
    };
    (
        body(NtStatus::SUCCESS, |out| response.encode(out)),
        Some(file_id),
    )
}

/// The times and sizes of a CREATE or CLOSE response from the file's
/// FileNetworkOpenInformation.
pub(super) fn times_of(facts: &FileNetworkOpenInformation) -> FileTimes {
    FileTimes {
        creation_time: facts.creation_time.0 as u64,
        last_access_time: facts.last_access_time.0 as u64,
        last_write_time: facts.last_write_time.0 as u64,
        change_time: facts.change_time.0 as u64,
        allocation_size: facts.allocation_size,
        end_of_file: facts.end_of_file,
    }
}

/// The parameter checks of MS-SMB2 3.3.5.9 that come before the open.
fn check_request(cr: &CreateRequest) -> Result<(), NtStatus> {
    if cr.name.starts_with('\\') {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // `/` separates components like `\` (as Samba accepts it); the device path uses it.
    if cr.name.contains('\0') {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    if cr.impersonation_level.0 > ImpersonationLevel::DELEGATE.0 {
        return Err(NtStatus::BAD_IMPERSONATION_LEVEL);
    }
    if cr.disposition.0 > CreateDisposition::OVERWRITE_IF.0 || cr.options.0 & UNDEFINED_OPTIONS != 0
    {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // The two reserved access bits are refused before the attributes are looked at.
    if cr.desired_access.0 & RESERVED_ACCESS != 0 {
        return Err(NtStatus::ACCESS_DENIED);
    }
    // VOLUME, DEVICE, INTEGRITY_STREAM and everything above 0x8000 is no attribute a
    // client may ask for (MS-SMB2 3.3.5.9, as Windows answers).
    if cr.file_attributes.0 & INVALID_ATTRIBUTES != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    // FILE_CREATE_TREE_CONNECTION (0x80) is a redirector's option, no server's.
    if cr.options.contains(CreateOptions::RESERVE_OPFILTER) || cr.options.0 & 0x80 != 0 {
        return Err(NtStatus::NOT_SUPPORTED);
    }
    // An open that asks for no access at all is refused, as Windows does (smbtorture's
    // smb2.create.gentest, for every Windows version it knows). SYNCHRONIZE alone is
    // granted like any other right: Windows 7 and later do (the test's win7 answer, and
    // smb2.getinfo.getinfo_access opens with it alone); only Windows Server 2008 refused it.
    if cr.desired_access.is_empty() {
        return Err(NtStatus::ACCESS_DENIED);
    }
    Ok(())
}

/// Reads the contexts the server acts on; unknown ones are ignored (MS-SMB2 3.3.5.9).
fn read_contexts(list: &[CreateContext]) -> Result<Asks, NtStatus> {
    let mut asks = Asks::default();
    // Every context name is at least a 4-byte tag (MS-SMB2 2.2.13.2): Windows refuses
    // shorter ones, while it ignores longer unknown ones.
    if list.iter().any(|c| c.name.len() < 4) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let typed = list
        .iter()
        .map(RequestContext::from_raw)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| NtStatus::INVALID_PARAMETER)?;
    // A durable v2 context (DH2Q or DH2C) with any other durable context is
    // contradictory (MS-SMB2 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12); DHnQ with
    // DHnC is not (the request is ignored).
    let durable_kinds = [
        |c: &RequestContext| matches!(c, RequestContext::DurableRequest),
        |c: &RequestContext| matches!(c, RequestContext::DurableReconnect(_)),
        |c: &RequestContext| matches!(c, RequestContext::DurableRequestV2 { .. }),
        |c: &RequestContext| matches!(c, RequestContext::DurableReconnectV2 { .. }),
    ]
    .map(|kind| typed.iter().any(kind));
    let [_, _, v2_request, v2_reconnect] = durable_kinds;
    let kinds = durable_kinds.iter().filter(|k| **k).count();
    if (v2_request || v2_reconnect) && kinds > 1 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    asks.app_instance = AppInstanceAsk::of(&typed, list)?;
    for ctx in typed {
        match ctx {
            RequestContext::MaximalAccess { .. } => asks.maximal_access = true,
            RequestContext::QueryOnDiskId => asks.on_disk_id = true,
            RequestContext::AllocationSize(n) => asks.allocation_size = n,
            // No snapshots are kept, so no previous version of any name exists.
            RequestContext::Timewarp(_) => return Err(NtStatus::OBJECT_NAME_NOT_FOUND),
            RequestContext::SecurityDescriptor(sd) => asks.security_descriptor = Some(sd),
            RequestContext::Lease(lease) => asks.lease = Some(lease),
            RequestContext::ExtendedAttributes(eas) if !eas.is_empty() => {
                asks.ea_buffer = Some(eas);
            }
            RequestContext::DurableReconnect(id) => {
                asks.reconnect = Some(ReconnectAsk::V1(id));
            }
            RequestContext::DurableReconnectV2 {
                file_id,
                create_guid,
                ..
            } => {
                asks.reconnect = Some(ReconnectAsk::V2 {
                    file_id,
                    create_guid,
                });
            }
            RequestContext::DurableRequest => asks.durable = Some(DurableAsk::V1),
            // SMB2_DHANDLE_FLAG_PERSISTENT is not granted (no share is continuously
            // available): the open may still be durable.
            RequestContext::DurableRequestV2 {
                timeout,
                create_guid,
                ..
            } => {
                asks.durable = Some(DurableAsk::V2 {
                    timeout,
                    create_guid,
                });
            }
            _ => {}
        }
    }
    Ok(asks)
}

/// Puts the client end of a message pipe in message read mode, as remote clients of a
/// message pipe (RPC over SMB2) expect; a byte pipe refuses and stays as it is.
#[cfg(feature = "npfs")]
async fn message_mode(handle: &FileHandle) {
    let mode = PipeInformation {
        read_mode: ReadMode::Message,
        completion_mode: CompletionMode::Queue,
    };
    let _ = handle
        .set_information(FileInfoClass::PIPE, mode.encode())
        .await;
}

/// What a pipe open reports: no times, no sizes, FILE_ATTRIBUTE_NORMAL.
fn pipe_facts() -> FileNetworkOpenInformation {
    FileNetworkOpenInformation {
        file_attributes: FileAttributes::NORMAL,
        ..Default::default()
    }
}

/// FileNetworkOpenInformation of the new open. When the open itself may not read
/// attributes, a second open for FILE_READ_ATTRIBUTES only (which no share mode denies)
/// reads them; failing that, zeros.
pub(super) async fn network_open(
    req: &FileRequest<'_>,
    handle: &FileHandle,
    path: &str,
) -> FileNetworkOpenInformation {
    let class = FileInfoClass::NETWORK_OPEN;
    let len = FileNetworkOpenInformation::FIXED_SIZE as u32;
    let first = handle.query_information(class, len).await;
    let bytes = match first {
        Ok(b) => Some(b),
        Err(NtStatus::ACCESS_DENIED) => match attributes_open(req, path).await {
            Some(h) => h.query_information(class, len).await.ok(),
            None => None,
        },
        Err(_) => None,
    };
    bytes
        .and_then(|b| FileNetworkOpenInformation::decode(&b).ok())
        .unwrap_or_default()
}

/// A second open of `path` for FILE_READ_ATTRIBUTES, shared with everyone.
async fn attributes_open(req: &FileRequest<'_>, path: &str) -> Option<FileHandle> {
    let request = IoCreate::new(
        req.session.token(),
        AccessMask::FILE_READ_ATTRIBUTES,
        CreateDisposition::OPEN,
    )
    .share(ShareAccess::ALL);
    req.io.create_file(path, request).await.ok()
}

/// The MxAc answer: the access the client could be granted on this file. With
/// MAXIMUM_ALLOWED in the request that is what the open was granted; otherwise a second
/// open asks for MAXIMUM_ALLOWED (with full sharing and no data access asked for, it
/// changes nothing).
async fn maximal_access(
    req: &FileRequest<'_>,
    handle: &FileHandle,
    path: &str,
    desired: AccessMask,
    is_ipc: bool,
) -> AccessMask {
    let granted = handle.file().granted_access();
    if desired.contains(AccessMask::MAXIMUM_ALLOWED) || is_ipc {
        granted
    } else {
        let request = IoCreate::new(
            req.session.token(),
            AccessMask::MAXIMUM_ALLOWED,
            CreateDisposition::OPEN,
        )
        .share(ShareAccess::ALL);
        match req.io.create_file(path, request).await {
            Ok(h) => AccessMask(h.file().granted_access().0 | granted.0),
            Err(_) => granted,
        }
    }
}

/// The QFid answer (MS-SMB2 2.2.14.2.9): DiskFileId (the file's index number) and
/// VolumeId (the volume serial number), then 16 reserved bytes.
async fn on_disk_id(handle: &FileHandle) -> Option<[u8; 32]> {
    let internal = handle
        .query_information(FileInfoClass::INTERNAL, 8)
        .await
        .ok()?;
    let index = FileInternalInformation::decode(&internal)
        .ok()?
        .index_number;
    let volume = handle
        .query_volume_information(FsInfoClass::VOLUME, 1024)
        .await
        .ok()
        .and_then(|b| lwio_fscc::FileFsVolumeInformation::decode(&b).ok())
        .map_or(0, |v| u64::from(v.volume_serial_number));
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&index.to_le_bytes());
    id[8..16].copy_from_slice(&volume.to_le_bytes());
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_a_create_refuses() {
        let with = |attrs: u32| CreateRequest {
            name: "f".into(),
            desired_access: AccessMask::FILE_READ_ATTRIBUTES,
            file_attributes: FileAttributes(attrs),
            ..CreateRequest::default()
        };
        for bad in [0x8, 0x40, 0x8000, 0x1_0000, 0x8000_0000] {
            assert_eq!(
                check_request(&with(bad)),
                Err(NtStatus::INVALID_PARAMETER),
                "{bad:#x}"
            );
        }
        for good in [0, 0x1, 0x2, 0x4, 0x10, 0x20, 0x80, 0x100, 0x2000, 0x4000] {
            assert_eq!(check_request(&with(good)), Ok(()), "{good:#x}");
        }
        let reserved = CreateRequest {
            desired_access: AccessMask(0x0800_0000),
            ..with(0x8)
        };
        assert_eq!(check_request(&reserved), Err(NtStatus::ACCESS_DENIED));
        // No access at all is refused, after the parameter checks.
        let nothing = CreateRequest {
            desired_access: AccessMask::NONE,
            ..with(0)
        };
        assert_eq!(check_request(&nothing), Err(NtStatus::ACCESS_DENIED));
        let nothing_bad = CreateRequest {
            desired_access: AccessMask::NONE,
            ..with(0x8)
        };
        assert_eq!(
            check_request(&nothing_bad),
            Err(NtStatus::INVALID_PARAMETER)
        );
        let synchronize = CreateRequest {
            desired_access: AccessMask::SYNCHRONIZE,
            ..with(0)
        };
        assert_eq!(check_request(&synchronize), Ok(()));
        let tree_connection = CreateRequest {
            options: CreateOptions(0x80),
            ..with(0)
        };
        assert_eq!(
            check_request(&tree_connection),
            Err(NtStatus::NOT_SUPPORTED)
        );
        // `/` is a separator, not an invalid character.
        let slash = CreateRequest {
            name: "a/b".into(),
            ..with(0)
        };
        assert_eq!(check_request(&slash), Ok(()));
    }
}
