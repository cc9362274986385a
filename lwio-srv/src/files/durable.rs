//! The durable handle create contexts (MS-SMB2 3.3.5.9.6 DHnQ, 3.3.5.9.7 DHnC,
//! 3.3.5.9.10 DH2Q, 3.3.5.9.12 DH2C) and the replay of a v2 create; the table of preserved
//! opens is [`crate::durable`]'s.
//!
//! - **Grant** ([`grant`]): after the open and its oplock or lease, a DHnQ or DH2Q makes
//!   the open durable only if it holds a batch oplock or a lease with handle caching
//!   (3.3.5.9.6: otherwise the context is ignored, and no response context goes back).
//!   DH2Q's timeout is the one asked for, at most 300 s, 60 s when it asks for none; its
//!   SMB2_DHANDLE_FLAG_PERSISTENT is not granted (the response's flags are 0): no share
//!   is continuously available.
//! - **Reconnect** ([`reconnect`]): only the context's FileId.Persistent (and DH2C's
//!   CreateGuid), the file name and lease key for a lease, and the caller's identity are
//!   looked at; everything else in the request is ignored. No preserved open with that id
//!   (it never was durable, was closed, timed out, or is still attached to a live
//!   connection), a CreateGuid or version that does not match, another share, a lease
//!   context missing or naming another key (or client GUID), or a lease context for an
//!   open without one: STATUS_OBJECT_NAME_NOT_FOUND. A lease open reconnected under another
//!   name: STATUS_INVALID_PARAMETER. Another user: STATUS_ACCESS_DENIED. On success the
//!   open joins the caller's tree with its file id, oplock or lease (the response has the
//!   lease context and no durable context), and its breaks go to the new connection.
//! - **Replay** ([`replay`]): a DH2Q create with SMB2_FLAGS_REPLAY_OPERATION whose
//!   CreateGuid names a live open of the same user returns that open again instead of
//!   opening twice; without the flag, a CreateGuid in use is STATUS_DUPLICATE_OBJECTID.

use std::sync::Arc;

use lwio_core::{CreateAction, NtStatus};
use lwio_smb2::{CreateRequest, FileId, Lease, OplockLevel, ResponseContext};

use super::Outcome;
use crate::durable::Durability;
use crate::state::{FileRequest, Open};

/// A durable handle request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DurableAsk {
    /// DHnQ.
    V1,
    /// DH2Q.
    V2 {
        /// Milliseconds; 0 asks for the server's default.
        timeout: u32,
        /// The client's id for the create.
        create_guid: [u8; 16],
    },
}

/// A durable reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReconnectAsk {
    /// DHnC.
    V1(FileId),
    /// DH2C.
    V2 {
        /// The open's file id.
        file_id: FileId,
        /// Its CreateGuid.
        create_guid: [u8; 16],
    },
}

/// Makes `open` durable when it may be; the response context (MS-SMB2 2.2.14.2.3,
/// 2.2.14.2.12). `lease` is the lease granted, if any.
pub(super) fn grant(
    req: &FileRequest<'_>,
    open: &Arc<Open>,
    ask: DurableAsk,
    oplock_level: OplockLevel,
    lease: Option<&Lease>,
) -> Option<ResponseContext> {
    if let DurableAsk::V2 { create_guid, .. } = ask {
        req.durable.index_guid((req.client_guid, create_guid), open);
        open.channel.set_replay_eligible();
    }
    let handle_caching = match lease {
        Some(l) => l.state.0 & lwio_smb2::oplock::LeaseState::HANDLE.0 != 0,
        None => oplock_level == OplockLevel::BATCH,
    };
    if !handle_caching {
        return None;
    }
    let (v2_timeout, create_guid) = match ask {
        DurableAsk::V1 => (None, None),
        DurableAsk::V2 {
            timeout,
            create_guid,
        } => (Some(timeout), Some(create_guid)),
    };
    let timeout = req.durable.timeout(v2_timeout);
    open.locks.set_durable();
    open.durable.set(Durability {
        owner: req.session.token().user,
        timeout,
        create_guid,
        lease: lease.map(|l| (req.client_guid, l.key)),
        share: req.tree.share.name.to_lowercase(),
        name: open.name.to_lowercase(),
    });
    Some(match ask {
        DurableAsk::V1 => ResponseContext::Durable,
        DurableAsk::V2 { .. } => ResponseContext::DurableV2 {
            timeout: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
            flags: Default::default(),
        },
    })
}

/// A DHnC or DH2C create: reclaims a preserved open (see the module docs).
pub(super) async fn reconnect(
    req: &FileRequest<'_>,
    cr: &CreateRequest,
    ask: ReconnectAsk,
    lease: Option<&Lease>,
) -> Result<Outcome, NtStatus> {
    let (file_id, guid) = match ask {
        ReconnectAsk::V1(id) => (id, None),
        ReconnectAsk::V2 {
            file_id,
            create_guid,
        } => (file_id, Some(create_guid)),
    };
    let user = req.session.token().user;
    let share = req.tree.share.name.to_lowercase();
    let name = cr.name.to_lowercase();
    let open = req.durable.reclaim(file_id.persistent, |_, d| {
        // DH2C names the open's CreateGuid (zero for a v1 open); DHnC names none, and
        // reclaims a v2 open as well (smbtorture's durable-v2-open.reopen2b).
        let guid_differs = guid.is_some_and(|g| g != d.create_guid.unwrap_or([0; 16]));
        if guid_differs || d.share != share {
            return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
        }
        match (d.lease, lease) {
            (Some((client_guid, key)), Some(l)) => {
                if client_guid != req.client_guid || key != l.key {
                    return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
                }
                if d.name != name {
                    return Err(NtStatus::INVALID_PARAMETER);
                }
            }
            (None, None) => {}
            _ => return Err(NtStatus::OBJECT_NAME_NOT_FOUND),
        }
        if d.owner != user {
            return Err(NtStatus::ACCESS_DENIED);
        }
        Ok(())
    })?;
    open.relay.attach(req.async_control.break_sink());
    req.tree.insert_open(Arc::clone(&open));
    req.durable.app_instances.moved(&open, req.tree);
    let lease_response = match lease {
        Some(asked) => super::lease::reconnected(req, &open, asked),
        None => None,
    };
    Ok(answer(
        req,
        &open,
        CreateAction::OPENED,
        lease_response,
        None,
        Vec::new(),
    )
    .await)
}

/// A DH2Q create with a CreateGuid of a live open of the same client (ClientGuid): with SMB2_FLAGS_REPLAY_OPERATION (from
/// 3.0 on) the same user's open is answered again; without it the CreateGuid is in use
/// (STATUS_DUPLICATE_OBJECTID). `None`: no live open has that CreateGuid.
pub(super) async fn replay(
    req: &FileRequest<'_>,
    create_guid: &[u8; 16],
    requested: OplockLevel,
    lease: Option<&Lease>,
) -> Option<Result<Outcome, NtStatus>> {
    let open = req.durable.by_guid(&(req.client_guid, *create_guid))?;
    if !is_replay(req) {
        return Some(Err(NtStatus::DUPLICATE_OBJECTID));
    }
    // Only while it is attached to this tree: a preserved open is reclaimed by DH2C.
    let Ok(open) = req.tree.open(open.file_id) else {
        return Some(Err(NtStatus::DUPLICATE_OBJECTID));
    };
    // Once another request named the open the replay is a create of its own (3.3.5.9.10:
    // only an Open.IsReplayEligible open is found).
    if !open.channel.is_replay_eligible() {
        return None;
    }
    if open
        .durable
        .get()
        .is_some_and(|d| d.owner != req.session.token().user)
    {
        return Some(Err(NtStatus::ACCESS_DENIED));
    }
    let lease_response = match lease {
        Some(asked) => match super::lease::reconnected(req, &open, asked) {
            Some(l) => Some(l),
            None => return Some(Err(NtStatus::ACCESS_DENIED)),
        },
        None => None,
    };
    // The answer has the oplock level the replay asks for, and the durable context when
    // that level could have made the open durable; the open itself keeps its oplock and
    // durability (as Windows answers smbtorture's smb2.replay.replay-dhv2-oplock2).
    let mut contexts = Vec::new();
    let could_be_durable = lease_response.is_some() || requested == OplockLevel::BATCH;
    if let (Some(d), true) = (open.durable.get(), could_be_durable) {
        contexts.push(ResponseContext::DurableV2 {
            timeout: u32::try_from(d.timeout.as_millis()).unwrap_or(u32::MAX),
            flags: Default::default(),
        });
    }
    let level = lease_response.is_none().then_some(requested);
    let action = open.handle.create_action();
    Some(Ok(answer(
        req,
        &open,
        action,
        lease_response,
        level,
        contexts,
    )
    .await))
}

/// True for a request marked SMB2_FLAGS_REPLAY_OPERATION on a 3.x connection.
pub(super) fn is_replay(req: &FileRequest<'_>) -> bool {
    req.dialect >= 0x0300
        && req
            .header
            .flags
            .contains(lwio_smb2::HeaderFlags::REPLAY_OPERATION)
}

/// The CREATE response for an open that already existed (reconnected or replayed), with
/// the lease context `lease`, else the oplock level `level` (default: the open's).
async fn answer(
    req: &FileRequest<'_>,
    open: &Arc<Open>,
    action: CreateAction,
    lease: Option<Lease>,
    level: Option<OplockLevel>,
    mut contexts: Vec<ResponseContext>,
) -> Outcome {
    let path = req.tree.share.device_path(&open.name);
    let facts = super::create::network_open(req, &open.handle, &path).await;
    let oplock_level = if lease.is_some() {
        OplockLevel::LEASE
    } else {
        level.unwrap_or_else(|| open.oplock.level())
    };
    if let Some(l) = lease {
        contexts.push(ResponseContext::Lease(l));
    }
    super::create::success(oplock_level, action, &facts, open.file_id, &contexts)
}
