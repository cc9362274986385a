//! SMB2 IOCTL (MS-SMB2 3.3.5.15): the FSCTLs the server answers itself (server-side copy,
//! DFS referrals, network interfaces, snapshots, pipe wait) and every other FSCTL forwarded to the
//! open's driver as an FsControl IRP, whose status and output (cut to MaxOutputResponse)
//! go back to the client.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use lwio_core::irp::{ControlRequest, ReadRequest as IoRead, WriteRequest as IoWrite};
use lwio_core::{AccessMask, CreateDisposition, CreateRequest, IrpRequest, NtStatus, ShareAccess};
use lwio_smb2::ioctl::{
    COPYCHUNK_MAX_CHUNK_SIZE, COPYCHUNK_MAX_CHUNKS, COPYCHUNK_MAX_DATA_SIZE, CopyChunk,
    CopyChunkCopy, CopyChunkResponse, InterfaceAddress, InterfaceCapability, NetworkInterfaceInfo,
    ResumeKeyResponse,
};
use lwio_smb2::{CtlCode, FileId, HeaderFlags, IoctlFlags, IoctlRequest, IoctlResponse};

use super::{Outcome, await_irp, bad_request, body, has_output, open_of};
use crate::state::{FileRequest, Open, RELATED_FILE_ID, Reply, ShareKind};

/// Bytes of an SRV_REQUEST_RESUME_KEY response: the key, ContextLength 0 and the four zero
/// bytes of Context that Windows sends (MS-SMB2 2.2.32.3, note <56>), which clients parse.
const RESUME_KEY_RESPONSE_LEN: u32 = 32;
/// Bytes of an SRV_COPYCHUNK_RESPONSE.
const COPYCHUNK_RESPONSE_LEN: u32 = 12;
/// The smallest output an FSCTL_SRV_ENUMERATE_SNAPSHOTS accepts (MS-SMB2 3.3.5.15.1).
const SNAPSHOT_ARRAY_MIN: u32 = 16;
/// Marks the last 8 bytes of the resume keys this server hands out.
const RESUME_KEY_TAG: [u8; 4] = *b"lwrk";

/// Handles IOCTL.
pub(super) async fn handle(req: &FileRequest<'_>) -> Outcome {
    let ir = match IoctlRequest::decode(req.msg) {
        Ok(ir) => ir,
        Err(e) => return (bad_request(e), req.related_file_id),
    };
    if !ir.flags.contains(IoctlFlags::IS_FSCTL) {
        return (Reply::error(NtStatus::NOT_SUPPORTED), req.related_file_id);
    }
    let too_big = [
        ir.input.len() as u64,
        ir.output.len() as u64,
        u64::from(ir.max_input_response),
        u64::from(ir.max_output_response),
    ]
    .iter()
    .any(|&n| n > u64::from(req.max_io));
    if too_big {
        return (
            Reply::error(NtStatus::INVALID_PARAMETER),
            req.related_file_id,
        );
    }
    match ir.ctl_code {
        // Not a DFS server (MS-SMB2 3.3.5.15.2).
        CtlCode::DFS_GET_REFERRALS | CtlCode::DFS_GET_REFERRALS_EX => (
            Reply::error(NtStatus::FS_DRIVER_REQUIRED),
            req.related_file_id,
        ),
        // The engine answers VALIDATE_NEGOTIATE_INFO itself.
        CtlCode::VALIDATE_NEGOTIATE_INFO => {
            (Reply::error(NtStatus::NOT_SUPPORTED), req.related_file_id)
        }
        CtlCode::QUERY_NETWORK_INTERFACE_INFO => network_interfaces(req, &ir),
        CtlCode::SRV_ENUMERATE_SNAPSHOTS => snapshots(req, &ir),
        CtlCode::PIPE_WAIT => pipe_wait(req, &ir).await,
        CtlCode::SRV_REQUEST_RESUME_KEY => resume_key(req, &ir),
        CtlCode::SRV_COPYCHUNK | CtlCode::SRV_COPYCHUNK_WRITE => copy_chunk(req, &ir).await,
        CtlCode::LMR_REQUEST_RESILIENCY => request_resiliency(req, &ir),
        // Oplocks are asked for in CREATE and acknowledged with OPLOCK_BREAK; the file
        // system's oplock FSCTLs are the server's own, never a client's; so is lwio's
        // lock listing (administration: other openers' locks are no client's business).
        CtlCode::FSCTL_LWIO_QUERY_LOCKS
        | CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_1
        | CtlCode::FSCTL_REQUEST_OPLOCK_LEVEL_2
        | CtlCode::FSCTL_REQUEST_BATCH_OPLOCK
        | CtlCode::FSCTL_OPLOCK_BREAK_ACKNOWLEDGE
        | CtlCode::FSCTL_OPBATCH_ACK_CLOSE_PENDING
        | CtlCode::FSCTL_OPLOCK_BREAK_ACK_NO_2 => (
            Reply::error(NtStatus::INVALID_DEVICE_REQUEST),
            req.related_file_id,
        ),
        _ => forward(req, &ir).await,
    }
}

/// The response carrying `output` for the request `ir`.
fn response(status: NtStatus, ir: &IoctlRequest, file_id: FileId, output: Vec<u8>) -> Reply {
    let r = IoctlResponse {
        ctl_code: ir.ctl_code,
        file_id,
        input: Vec::new(),
        output,
        flags: 0,
    };
    body(status, |out| r.encode(out))
}

/// The output limit of a forwarded FSCTL.
fn output_limit(req: &FileRequest<'_>, ir: &IoctlRequest) -> u32 {
    ir.max_output_response.min(req.max_io)
}

/// Sends an FsControl IRP to the open's driver (FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_PEEK and
/// anything the server does not handle itself).
async fn forward(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    // A file id of all ones outside a related chain names no open (Windows answers
    // STATUS_FILE_CLOSED; only in a related chain does it mean "the previous file").
    let related = req.header.flags.contains(HeaderFlags::RELATED_OPERATIONS);
    if ir.file_id == RELATED_FILE_ID && !related {
        return (Reply::error(NtStatus::FILE_CLOSED), req.related_file_id);
    }
    let (id, open) = match open_of(req, ir.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let limit = output_limit(req, ir);
    let request = ControlRequest {
        code: ir.ctl_code.0,
        input: Bytes::copy_from_slice(&ir.input),
        max_output: limit,
    };
    let irp = open.handle.call(IrpRequest::FsControl(request));
    let mut result = await_irp(req, irp).await;
    if !has_output(result.status) {
        return (Reply::error(result.status), Some(id));
    }
    let mut status = result.status;
    if result.output.len() > limit as usize {
        result.output.truncate(limit as usize);
        status = NtStatus::BUFFER_OVERFLOW;
    }
    (response(status, ir, ir.file_id, result.output), Some(id))
}

/// The link speed reported for the interface a connection came in on: 1 Gbit/s, as the
/// server cannot learn the real one without asking the OS per interface.
const LINK_SPEED: u64 = 1_000_000_000;

/// FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2 3.3.5.15.11): one NETWORK_INTERFACE_INFO,
/// the address the connection came in on. The file id must be all ones
/// (STATUS_INVALID_PARAMETER otherwise); an output limit too small for the list is
/// STATUS_BUFFER_TOO_SMALL.
fn network_interfaces(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    if ir.file_id != RELATED_FILE_ID {
        return (
            Reply::error(NtStatus::INVALID_PARAMETER),
            req.related_file_id,
        );
    }
    let Some(local) = req.local_addr else {
        return (Reply::error(NtStatus::NOT_SUPPORTED), req.related_file_id);
    };
    let address = match local.ip().to_canonical() {
        IpAddr::V4(v4) => InterfaceAddress::V4(v4),
        IpAddr::V6(v6) => InterfaceAddress::V6 {
            addr: v6,
            flow_info: 0,
            scope_id: 0,
        },
    };
    let entry = NetworkInterfaceInfo {
        if_index: 1,
        capability: InterfaceCapability::default(),
        link_speed: LINK_SPEED,
        address,
    };
    let mut output = Vec::new();
    NetworkInterfaceInfo::encode_list(&[entry], &mut output);
    if output.len() > output_limit(req, ir) as usize {
        return (
            Reply::error(NtStatus::BUFFER_TOO_SMALL),
            req.related_file_id,
        );
    }
    (
        response(NtStatus::SUCCESS, ir, ir.file_id, output),
        req.related_file_id,
    )
}

/// FSCTL_PIPE_WAIT (MS-SMB2 3.3.5.15.10): on IPC$ only, sent to the pipe device's root; no
/// open is needed.
async fn pipe_wait(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    if !matches!(req.tree.share.kind, ShareKind::Ipc { .. }) {
        return (Reply::error(NtStatus::NOT_SUPPORTED), req.related_file_id);
    }
    let root = req.tree.share.device_path("");
    let create = CreateRequest::new(
        req.session.token(),
        AccessMask::FILE_READ_ATTRIBUTES,
        CreateDisposition::OPEN,
    )
    .share(ShareAccess::ALL);
    let handle = match req.io.create_file(&root, create).await {
        Ok(h) => h,
        Err(status) => return (Reply::error(status), req.related_file_id),
    };
    let request = ControlRequest {
        code: ir.ctl_code.0,
        input: Bytes::copy_from_slice(&ir.input),
        max_output: 0,
    };
    let irp = handle.call(IrpRequest::FsControl(request));
    let result = await_irp(req, irp).await;
    if !result.status.is_success() {
        return (Reply::error(result.status), req.related_file_id);
    }
    (
        response(result.status, ir, ir.file_id, Vec::new()),
        req.related_file_id,
    )
}

/// FSCTL_SRV_ENUMERATE_SNAPSHOTS (MS-SMB2 3.3.5.15.1): this server keeps no snapshots,
/// so the SRV_SNAPSHOT_ARRAY is empty: no snapshots, and an array holding only the
/// terminating null character.
fn snapshots(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    let (id, _open) = match open_of(req, ir.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if ir.max_output_response < SNAPSHOT_ARRAY_MIN {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let mut output = Vec::with_capacity(14);
    output.extend_from_slice(&0u32.to_le_bytes()); // NumberOfSnapShots
    output.extend_from_slice(&0u32.to_le_bytes()); // NumberOfSnapShotsReturned
    output.extend_from_slice(&2u32.to_le_bytes()); // SnapShotArraySize
    output.extend_from_slice(&[0, 0]);
    (
        response(NtStatus::SUCCESS, ir, ir.file_id, output),
        Some(id),
    )
}

/// The resume key of an open: its file id and the tree it belongs to.
fn key_of(tree: u32, id: FileId) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&id.persistent.to_le_bytes());
    key[8..16].copy_from_slice(&id.volatile.to_le_bytes());
    key[16..20].copy_from_slice(&RESUME_KEY_TAG);
    key[20..].copy_from_slice(&tree.to_le_bytes());
    key
}

/// The open a resume key names: a file open on any tree of this session (a copy may go
/// from one share to another, MS-SMB2 3.3.5.15.6). STATUS_OBJECT_NAME_NOT_FOUND when the
/// key is not one this server handed out or its open is gone.
fn open_of_key(req: &FileRequest<'_>, key: &[u8; 24]) -> Result<Arc<Open>, NtStatus> {
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&key[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let id = FileId {
        persistent: word(0),
        volatile: word(8),
    };
    let mut tree = [0u8; 4];
    tree.copy_from_slice(&key[20..]);
    let tree = u32::from_le_bytes(tree);
    if key_of(tree, id) != *key {
        return Err(NtStatus::OBJECT_NAME_NOT_FOUND);
    }
    req.session
        .tree(tree)
        .and_then(|t| t.open(id))
        .map_err(|_| NtStatus::OBJECT_NAME_NOT_FOUND)
}

/// FSCTL_SRV_REQUEST_RESUME_KEY (MS-SMB2 3.3.5.15.5).
fn resume_key(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    let (id, _open) = match open_of(req, ir.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if ir.max_output_response < RESUME_KEY_RESPONSE_LEN {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let r = ResumeKeyResponse {
        resume_key: key_of(req.tree.id, id),
        context: Vec::new(),
    };
    let mut output = Vec::with_capacity(RESUME_KEY_RESPONSE_LEN as usize);
    r.encode(&mut output);
    output.resize(RESUME_KEY_RESPONSE_LEN as usize, 0);
    (
        response(NtStatus::SUCCESS, ir, ir.file_id, output),
        Some(id),
    )
}

/// FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE (MS-SMB2 3.3.5.15.6): a server-side
/// copy from the open the resume key names to this open, through read and write IRPs.
async fn copy_chunk(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    let (id, target) = match open_of(req, ir.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    let reply = |status: NtStatus, r: CopyChunkResponse| {
        let mut output = Vec::new();
        r.encode(&mut output);
        (response(status, ir, ir.file_id, output), Some(id))
    };
    if ir.max_output_response < COPYCHUNK_RESPONSE_LEN {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    let Ok(copy) = CopyChunkCopy::decode(&ir.input) else {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    };
    let total: u64 = copy.chunks.iter().map(|c| u64::from(c.length)).sum();
    let over = copy.chunks.len() > COPYCHUNK_MAX_CHUNKS as usize
        || copy
            .chunks
            .iter()
            .any(|c| c.length == 0 || c.length > COPYCHUNK_MAX_CHUNK_SIZE)
        || total > u64::from(COPYCHUNK_MAX_DATA_SIZE);
    if over {
        // The limits go back in place of the counts, in an IOCTL response that carries
        // the error status (MS-SMB2 3.3.5.15.6): the one error reply with a body.
        let limits = CopyChunkResponse {
            chunks_written: COPYCHUNK_MAX_CHUNKS,
            chunk_bytes_written: COPYCHUNK_MAX_CHUNK_SIZE,
            total_bytes_written: COPYCHUNK_MAX_DATA_SIZE,
        };
        return reply(NtStatus::INVALID_PARAMETER, limits);
    }
    let source = match open_of_key(req, &copy.source_key) {
        Ok(s) => s,
        Err(status) => return (Reply::error(status), Some(id)),
    };
    // The source needs read or execute access; COPYCHUNK (not _WRITE) also needs read
    // access on the target (MS-SMB2 3.3.5.15.6).
    let readable = |granted: AccessMask| {
        granted.contains(AccessMask::FILE_READ_DATA) || granted.contains(AccessMask::FILE_EXECUTE)
    };
    let needs_target_read = ir.ctl_code == CtlCode::SRV_COPYCHUNK;
    if !readable(source.granted)
        || (needs_target_read && !target.granted.contains(AccessMask::FILE_READ_DATA))
    {
        return (Reply::error(NtStatus::ACCESS_DENIED), Some(id));
    }
    // A chunk that fails ends the copy; the response carries the failing status with the
    // counts of the chunks written before it, which stay written.
    let mut done = CopyChunkResponse::default();
    for chunk in &copy.chunks {
        match copy_one(&source, &target, chunk).await {
            Ok(n) => {
                done.chunks_written += 1;
                done.total_bytes_written = done.total_bytes_written.saturating_add(n);
            }
            Err(status) => return reply(status, done),
        }
    }
    reply(NtStatus::SUCCESS, done)
}

/// Copies one chunk with a read IRP on the source and a write IRP on the target (so both
/// go through byte-range lock checks); returns the bytes written. A source range that
/// ends past the source's end of file is STATUS_INVALID_VIEW_SIZE (MS-SMB2 3.3.5.15.6).
async fn copy_one(source: &Open, target: &Open, chunk: &CopyChunk) -> Result<u32, NtStatus> {
    let read = IoRead {
        offset: chunk.source_offset,
        length: chunk.length,
        key: None,
    };
    let data = source.handle.call(IrpRequest::Read(read)).await;
    if data.status == NtStatus::END_OF_FILE
        || (data.status.is_success() && data.output.len() < chunk.length as usize)
    {
        return Err(NtStatus::INVALID_VIEW_SIZE);
    }
    if !data.status.is_success() {
        return Err(data.status);
    }
    let write = IoWrite {
        offset: chunk.target_offset,
        data: Bytes::from(data.output),
        key: None,
    };
    let written = target.handle.call(IrpRequest::Write(write)).await;
    if !written.status.is_success() {
        return Err(written.status);
    }
    Ok(u32::try_from(written.information).unwrap_or(u32::MAX))
}

/// FSCTL_LMR_REQUEST_RESILIENCY (MS-SMB2 3.3.5.15.9): SMB 2.1 and later; the input is a
/// NETWORK_RESILIENCY_REQUEST (timeout, reserved). The open becomes resilient, which turns
/// on its lock sequence verification (`lock.rs`); this server keeps no handle across a
/// disconnect, so the timeout is not used.
fn request_resiliency(req: &FileRequest<'_>, ir: &IoctlRequest) -> Outcome {
    if req.dialect < 0x0210 {
        return (
            Reply::error(NtStatus::INVALID_DEVICE_REQUEST),
            req.related_file_id,
        );
    }
    let (id, open) = match open_of(req, ir.file_id) {
        Ok(found) => found,
        Err(out) => return out,
    };
    if ir.input.len() < 8 {
        return (Reply::error(NtStatus::INVALID_PARAMETER), Some(id));
    }
    open.locks.set_resilient();
    (response(NtStatus::SUCCESS, ir, id, Vec::new()), Some(id))
}
