//! The file command handlers: one file per SMB2 command, each turning a request into IRPs.
//!
//! [`dispatch`] is the only entry point the engine calls. It returns the reply and, for
//! compound chains, the file id the request produced or used (so a related next request
//! can name it as all ones).
//!
//! Rules every handler follows (MS-SMB2 3.3.5.9 onwards):
//! - a body that does not decode is STATUS_INVALID_PARAMETER, never a panic;
//! - an unknown file id is STATUS_FILE_CLOSED (from [`crate::state::Tree::open`]);
//! - the status of the IRP is the SMB2 status of the reply;
//! - on 3.x, a request on an open first passes the open's channel sequence check
//!   (`channel.rs`, MS-SMB2 3.3.5.2.10): a stale WRITE, SET_INFO or IOCTL is refused with
//!   STATUS_FILE_NOT_AVAILABLE;
//! - a request that may wait long (a blocking lock, a pipe read or transceive, a change
//!   notify) goes asynchronous only once its IRP has actually pended, handing the engine
//!   the IRP's canceller so an SMB2 CANCEL ends it.

use std::sync::Arc;

use lwio_core::{IrpFuture, IrpResult, NtStatus};
use lwio_smb2::{Command, DecodeError, FileId, HEADER_LEN};

use crate::state::{FileRequest, Open, RELATED_FILE_ID, Reply};

mod app_instance;
mod change_notify;
mod channel;
mod close;
mod create;
mod dot_names;
mod durable;
mod flush;
mod ioctl;
mod lease;
mod lock;
mod oplock;
mod query_directory;
mod query_info;
mod read;
mod set_info;
mod write;

pub use app_instance::AppInstances;
pub use channel::ChannelSequence;
pub use lease::LeaseTable;
pub use lock::OpenLocks;
pub use oplock::OplockSlot;

/// Handles one file command.
pub async fn dispatch(req: FileRequest<'_>) -> (Reply, Option<FileId>) {
    let req = &req;
    // A stale WRITE, SET_INFO or IOCTL after a reconnect (MS-SMB2 3.3.5.2.10).
    let counted = match channel::check(req) {
        channel::Verdict::Refused => {
            return (
                Reply::error(NtStatus::FILE_NOT_AVAILABLE),
                req.related_file_id,
            );
        }
        channel::Verdict::Counted(open, c) => Some((open, c)),
        channel::Verdict::Skip => None,
    };
    let out = run(req).await;
    if let Some((open, c)) = counted
        && let Some(open) = open.upgrade()
    {
        open.channel.done(c);
    }
    out
}

async fn run(req: &FileRequest<'_>) -> (Reply, Option<FileId>) {
    match req.header.command {
        Command::CREATE => create::handle(req).await,
        Command::CLOSE => close::handle(req).await,
        Command::FLUSH => flush::handle(req).await,
        Command::READ => read::handle(req).await,
        Command::WRITE => write::handle(req).await,
        Command::LOCK => lock::handle(req).await,
        Command::IOCTL => ioctl::handle(req).await,
        Command::QUERY_DIRECTORY => query_directory::handle(req).await,
        Command::CHANGE_NOTIFY => change_notify::handle(req).await,
        Command::QUERY_INFO => query_info::handle(req).await,
        Command::SET_INFO => set_info::handle(req).await,
        Command::OPLOCK_BREAK => oplock::handle(req).await,
        _ => (Reply::error(NtStatus::NOT_SUPPORTED), req.related_file_id),
    }
}

/// What a handler produces: the reply and the file id for a related next request.
type Outcome = (Reply, Option<FileId>);

/// The error reply of a body that does not decode.
fn bad_request(_: DecodeError) -> Reply {
    Reply::error(NtStatus::INVALID_PARAMETER)
}

/// A reply body built by `encode`, which appends to a buffer whose first 64 bytes stand
/// for the header (the codecs count offsets from the header start); the header is cut off.
fn body(status: NtStatus, encode: impl FnOnce(&mut Vec<u8>)) -> Reply {
    let mut out = vec![0u8; HEADER_LEN];
    encode(&mut out);
    Reply::Body {
        status,
        body: out.split_off(HEADER_LEN),
    }
}

/// A reply whose body `encode` builds as [`body`] does, followed by `data` kept in its
/// own buffer ([`Reply::Data`]); `encode` sees the data to describe it.
fn body_and_data(
    status: NtStatus,
    data: Vec<u8>,
    encode: impl FnOnce(&[u8], &mut Vec<u8>),
) -> Reply {
    let mut out = vec![0u8; HEADER_LEN];
    encode(&data, &mut out);
    out.drain(..HEADER_LEN);
    Reply::Data {
        status,
        body: out,
        data,
    }
}

/// True for the statuses whose IRP output goes back to the client: success (including
/// informational ones) and STATUS_BUFFER_OVERFLOW.
fn has_output(status: NtStatus) -> bool {
    status.is_success() || status == NtStatus::BUFFER_OVERFLOW
}

/// Awaits an IRP; if the driver pended it, first tells the engine to send the interim
/// response, registering the IRP's canceller for SMB2 CANCEL.
async fn await_irp(req: &FileRequest<'_>, irp: IrpFuture) -> IrpResult {
    if irp.is_pending() {
        req.async_control.go_async(irp.canceller());
    }
    irp.await
}

/// The open a request names (after the related-chain substitution) with its resolved id,
/// or the error outcome (STATUS_FILE_CLOSED for an unknown id). A file id of all ones
/// means "the previous request's file" in a related chain; with no such file (outside a
/// related chain, or after a request that left none) it names no open, and Windows
/// answers STATUS_FILE_CLOSED (smbtorture's smb2.compound.unrelated1 and invalid3).
fn open_of(req: &FileRequest<'_>, id: FileId) -> Result<(FileId, Arc<Open>), Outcome> {
    if id == RELATED_FILE_ID && req.related_file_id.is_none() {
        return Err((Reply::error(NtStatus::FILE_CLOSED), None));
    }
    let id = req
        .resolve_file_id(id)
        .map_err(|status| (Reply::error(status), req.related_file_id))?;
    let open = req
        .tree
        .open(id)
        .map_err(|status| (Reply::error(status), Some(id)))?;
    Ok((id, open))
}
