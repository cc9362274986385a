//! The redirector as a driver: every IRP pends, a task on the driver's runtime turns it
//! into SMB2 requests on the file's session, and completes it with the server's answer.
//!
//! | IRP | SMB2 |
//! |---|---|
//! | create | CREATE (access, attributes, share access, disposition, options; the security descriptor, EAs and allocation size as SecD, ExtA and AlSi contexts) |
//! | read / write | READ / WRITE, split at the negotiated maximum and sent together (pipelined); a read the lease's cache holds is answered from it ([`crate::lease`]) |
//! | flush, close | FLUSH, CLOSE |
//! | query / set information, volume information, security, EAs | QUERY_INFO / SET_INFO |
//! | directory query | QUERY_DIRECTORY (pattern `*` when none is given) |
//! | change notify | CHANGE_NOTIFY |
//! | lock / unlock | LOCK (one element; a waiting lock pends until the server answers) |
//! | device / file-system control | IOCTL (IS_FSCTL for FSCTLs) |
//!
//! Statuses from the server pass through unchanged (STATUS_BUFFER_OVERFLOW with its
//! partial output). Cancelling a pended IRP sends SMB2 CANCEL for its request; the
//! server's answer (normally STATUS_CANCELLED) completes it. A rename or link names its
//! target from the device root (`SERVER[:PORT]/SHARE/new/name`), on the file's own share,
//! else STATUS_NOT_SAME_DEVICE; it goes to the server relative to the share.
//!
//! The IRP's token is not sent: the server knows the redirector's logon only (the
//! [`Credentials`] it was given), as a Windows redirector uses the
//! logged-on user's credentials rather than a local token.

use std::sync::Arc;

use bytes::Bytes;
use lwio_core::irp::request::{ControlRequest, QueryEaRequest};
use lwio_core::irp::{LinkTarget, target};
use lwio_core::{
    CreateAction, CreateDisposition, CreateOptions, Dispatched, Driver, FileAttributes,
    FileInfoClass, Irp, IrpRequest, IrpResult, PendingIrp,
};
use lwio_smb2::create_context::{ALSI, EXTA, SECD};
use lwio_smb2::{
    ChangeNotifyFlags, ChangeNotifyRequest, ChangeNotifyResponse, Channel, CloseRequest, Command,
    CreateContext, CreateRequest, CreateResponse, FileId, FlushRequest, InfoType, IoctlFlags,
    IoctlRequest, IoctlResponse, LockElement, LockFlags, LockRequest, OplockLevel,
    QueryDirectoryRequest, QueryDirectoryResponse, QueryInfoFlags, QueryInfoRequest,
    QueryInfoResponse, ReadRequest, ReadResponse, SetInfoRequest, ShareType, WriteFlags,
    WriteRequest, WriteResponse,
};
use lwio_types::{AccessMask, NtStatus};
use parking_lot::Mutex;

use crate::cache::{Cache, reaper};
use crate::config::RdrConfig;
use crate::creds::Credentials;
use crate::durable::Durable;
use crate::engine::{Outgoing, Reply};
use crate::error::RdrError;
use crate::handles::{HandleKey, handle_name};
use crate::lease::{Hit, Lease};
use crate::open::{RemoteFile, Reopen};
use crate::path::RemotePath;
use crate::session::{Session, check};
use crate::writeback::Behind;

/// What a remote open is bound to now: the session, tree and file id (a reconnect binds it
/// anew, [`RemoteFile`]).
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) session: Arc<Session>,
    pub(crate) tree: u32,
    pub(crate) file_id: FileId,
    /// How many times the open was reconnected before this binding.
    pub(crate) generation: u64,
    /// The remote name it was opened by.
    pub(crate) path: Arc<RemotePath>,
    /// The lease the server granted the handle (with some state), and its read cache.
    pub(crate) lease: Option<Arc<Lease>>,
}

/// The SMB2 redirector driver. Mount it with [`mount`](crate::mount).
pub struct Redirector {
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    cache: Arc<Cache>,
}

impl std::fmt::Debug for Redirector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redirector").finish_non_exhaustive()
    }
}

impl Redirector {
    /// A redirector logging on as `credentials`, with its own runtime.
    pub fn new(config: RdrConfig, credentials: Credentials) -> std::io::Result<Redirector> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("lwio-rdr")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let cache = Arc::new(Cache::new(config, credentials));
        handle.spawn(reaper(Arc::downgrade(&cache)));
        Ok(Redirector {
            runtime: Mutex::new(Some(runtime)),
            handle,
            cache,
        })
    }

    /// The session cache (for tests and tools: how many connections are open).
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// The runtime the redirector's connections run on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
}

impl Driver for Redirector {
    type Device = ();
    type File = RemoteFile;

    fn name(&self) -> &str {
        "rdr"
    }

    /// The remote handle is closed (SMB2 CLOSE) at cleanup, when the caller's handle goes
    /// away, so what it held on the server (share modes, a delete on close) is released
    /// before the caller's close returns; the close IRP then has nothing left to do.
    fn handles_cleanup(&self) -> bool {
        true
    }

    fn dispatch(&self, _device: &(), irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Close => return irp.complete(NtStatus::SUCCESS),
            IrpRequest::Cleanup if irp.file_context().is_none() => {
                return irp.complete(NtStatus::SUCCESS);
            }
            _ => {}
        }
        let (pending, dispatched) = irp.pend();
        let request = pending.request().clone();
        let file = pending.file_context().cloned();
        let path = pending.file().path().to_string();
        let pending = Mutex::new(pending);
        let cache = Arc::clone(&self.cache);
        self.handle.spawn(async move {
            let result = match request {
                IrpRequest::Create(c) => create(&cache, &pending, &path, *c).await,
                other => match file {
                    // Gathered writes are sent, then under a lease's H the handle is
                    // parked, not closed ([`crate::handles`]).
                    Some(file) if matches!(other, IrpRequest::Cleanup) => {
                        file.cleanup(&cache, &pending).await
                    }
                    Some(file) => file.run(&cache, &pending, other).await,
                    None => Err(RdrError::Status(NtStatus::INVALID_HANDLE)),
                },
            };
            let pending = pending.into_inner();
            pending.clear_cancel_routine();
            pending.complete_result(result.unwrap_or_else(|e| {
                tracing::debug!(error = %e, "remote request failed");
                IrpResult::new(e.status())
            }));
        });
        dispatched
    }

    fn shutdown(&self) {
        let cache = Arc::clone(&self.cache);
        let closing = self.handle.spawn(async move { cache.close_all().await });
        if tokio::runtime::Handle::try_current().is_err() {
            let _ = futures_lite_block_on(&self.handle, closing);
        }
        if let Some(rt) = self.runtime.lock().take() {
            rt.shutdown_background();
        }
    }
}

/// Waits for a task from a thread outside the runtime.
fn futures_lite_block_on<T>(
    handle: &tokio::runtime::Handle,
    task: tokio::task::JoinHandle<T>,
) -> Option<T> {
    handle.block_on(task).ok()
}

/// A pended IRP shared by its task (a mutex makes a reference to it `Send`).
pub(crate) type Pending = Mutex<PendingIrp<Redirector>>;

/// Sends `out` and waits for its reply; a cancel of the IRP meanwhile sends SMB2 CANCEL.
async fn call_cancellable(
    file: &Bound,
    pending: &Pending,
    out: Outgoing,
) -> Result<Reply, RdrError> {
    let sent = file.session.conn().send(out).await?;
    let mid = sent.message_id;
    let session = Arc::clone(&file.session);
    if !pending
        .lock()
        .set_cancel_routine(move || session.conn().cancel(mid))
    {
        file.session.conn().cancel(mid);
    }
    sent.reply().await
}

async fn create(
    cache: &Cache,
    pending: &Pending,
    path: &str,
    c: lwio_core::CreateRequest,
) -> Result<IrpResult, RdrError> {
    if c.open_target_directory {
        return Err(RdrError::Status(NtStatus::INVALID_PARAMETER));
    }
    let path = RemotePath::parse(path).map_err(RdrError::Status)?;
    // What this client's other opens of the name gathered under W is the file's now.
    cache.flush_name(&handle_name(&path)).await;
    if let Some(done) = reuse_parked(cache, pending, &path, &c) {
        return done;
    }
    // This client's own parked handles must not stand in this open's way.
    cache.parked().close_name(&handle_name(&path)).await;
    let session = cache.session(&path.server, path.port).await?;
    let tree = session.tree(&path.server, &path.share).await?;
    let reopen = Reopen {
        desired_access: c.desired_access,
        share_access: c.share_access,
        options: c.options,
    };
    // A durable handle (MS-SMB2 3.2.4.3.5) needs a batch oplock; directories and pipes
    // get neither.
    let durable_asked = cache.config().durable
        && tree.share_type == ShareType::DISK
        && !c.options.contains(CreateOptions::DIRECTORY_FILE);
    let durable = if durable_asked {
        Durable::ask(session.negotiated().dialect)
    } else {
        Durable::No
    };
    let may_create = c.disposition != CreateDisposition::OPEN;
    let lease = if may_create && !cache.config().lease_on_create {
        None
    } else {
        ask_lease(cache, &session, tree.share_type, c.options)
    };
    let mut contexts: Vec<CreateContext> = durable.request().iter().map(|c| c.to_raw()).collect();
    if let Some(l) = &lease {
        contexts.push(l.request());
    }
    if let Some(sd) = &c.security_descriptor {
        contexts.push(CreateContext::new(SECD, sd.to_vec()));
    }
    if let Some(ea) = &c.ea_buffer {
        contexts.push(CreateContext::new(EXTA, ea.to_vec()));
    }
    if c.allocation_size > 0 {
        contexts.push(CreateContext::new(
            ALSI,
            c.allocation_size.to_le_bytes().to_vec(),
        ));
    }
    let req = CreateRequest {
        desired_access: c.desired_access,
        file_attributes: c.file_attributes,
        share_access: c.share_access,
        disposition: c.disposition,
        options: c.options,
        name: path.path.clone(),
        contexts,
        oplock_level: if lease.is_some() {
            OplockLevel::LEASE
        } else if durable_asked {
            OplockLevel::BATCH
        } else {
            OplockLevel::NONE
        },
        ..CreateRequest::default()
    };
    let (reply, resp) = send_create(&session, tree.id, &req).await?;
    let durable = durable.granted(&resp.contexts);
    let lease = held_lease(&session, tree.id, lease, &resp);
    let mut granted = c
        .desired_access
        .map_generic(&lwio_core::FILE_GENERIC_MAPPING);
    if c.desired_access.contains(AccessMask::MAXIMUM_ALLOWED) {
        granted = (granted | tree.maximal_access).without(AccessMask::MAXIMUM_ALLOWED);
    }
    let bound = Bound {
        session: Arc::clone(&session),
        tree: tree.id,
        file_id: resp.file_id,
        generation: 0,
        path: Arc::new(path),
        lease,
    };
    let reconnectable = tree.share_type == ShareType::DISK;
    let behind = Behind::new(Arc::clone(cache.write_budget()));
    let file = RemoteFile::new(bound, reopen, reconnectable, durable, granted, behind);
    let pending = pending.lock();
    if pending.set_file_context(file).is_err() {
        return Err(RdrError::Status(NtStatus::INTERNAL_ERROR));
    }
    pending.grant_access(granted);
    if resp.file_attributes.contains(FileAttributes::DIRECTORY) {
        pending.mark_directory();
    }
    let action: CreateAction = resp.create_action;
    Ok(IrpResult {
        status: reply.status(),
        information: u64::from(action.0),
        output: Vec::new(),
    })
}

/// Answers a create with a handle parked under H for the same name, access, sharing and
/// options ([`crate::handles`]): FILE_OPEN or FILE_OPEN_IF with nothing else to set.
fn reuse_parked(
    cache: &Cache,
    pending: &Pending,
    path: &RemotePath,
    c: &lwio_core::CreateRequest,
) -> Option<Result<IrpResult, RdrError>> {
    let plain = (c.disposition == CreateDisposition::OPEN
        || c.disposition == CreateDisposition::OPEN_IF)
        && c.security_descriptor.is_none()
        && c.ea_buffer.is_none()
        && c.allocation_size == 0;
    if !plain {
        return None;
    }
    let key = HandleKey {
        access: c.desired_access,
        share: c.share_access,
        options: c.options,
    };
    let (file, granted) = cache.parked().reuse(&handle_name(path), &key)?;
    let pending = pending.lock();
    if pending.set_file_context(file).is_err() {
        return Some(Err(RdrError::Status(NtStatus::INTERNAL_ERROR)));
    }
    pending.grant_access(granted);
    Some(Ok(IrpResult {
        status: NtStatus::SUCCESS,
        information: u64::from(CreateAction::OPENED.0),
        output: Vec::new(),
    }))
}

/// Sends a CREATE on `tree` and decodes the answer; an open granted an oplock has its
/// breaks acknowledged from then on.
pub(crate) async fn send_create(
    session: &Session,
    tree: u32,
    req: &CreateRequest,
) -> Result<(Reply, CreateResponse), RdrError> {
    let reply = session
        .conn()
        .call(Outgoing::new(Command::CREATE, tree, |o| req.encode(o)))
        .await?;
    check(&reply, &[])?;
    let resp = session.decode(&reply, CreateResponse::decode)?;
    if resp.oplock_level != OplockLevel::NONE && resp.oplock_level != OplockLevel::LEASE {
        session
            .conn()
            .watch_oplock(resp.file_id, tree, resp.oplock_level);
    }
    Ok((reply, resp))
}

/// How long a short sequential read is sent as while the lease has R ([`Lease::read_length`]).
const READ_AHEAD: u32 = 1 << 20;

/// A lease to ask for with an open (MS-SMB2 3.2.4.3.8): files on disk shares at 2.1 and
/// later, when [`RdrConfig::leases`] is on.
pub(crate) fn ask_lease(
    cache: &Cache,
    session: &Session,
    share_type: ShareType,
    options: CreateOptions,
) -> Option<Lease> {
    if !cache.config().leases
        || share_type != ShareType::DISK
        || options.contains(CreateOptions::DIRECTORY_FILE)
    {
        return None;
    }
    Lease::ask(session.negotiated().dialect, Arc::clone(cache.budget()))
}

/// The lease a CREATE response granted with some state (its breaks handed to it from now
/// on), else none.
pub(crate) fn held_lease(
    session: &Session,
    tree: u32,
    asked: Option<Lease>,
    resp: &CreateResponse,
) -> Option<Arc<Lease>> {
    let lease = asked?;
    if resp.oplock_level != OplockLevel::LEASE || lease.granted(&resp.contexts).is_empty() {
        return None;
    }
    let lease = Arc::new(lease);
    session.conn().watch_lease(tree, &lease);
    Some(lease)
}

/// Caps a caller's output length at what the server takes in one transaction.
fn transact_len(file: &Bound, length: u32) -> u32 {
    length.min(file.session.negotiated().max_transact)
}

/// Checks an output the server returned against the length asked for.
fn bounded(file: &Bound, output: Vec<u8>, asked: u32) -> Result<Vec<u8>, RdrError> {
    within(file, output.len(), asked)?;
    Ok(output)
}

/// Fails the connection when the server returned `got` bytes for at most `asked`.
fn within(file: &Bound, got: usize, asked: u32) -> Result<(), RdrError> {
    if got > asked as usize {
        let reason = format!("the server returned {got} bytes for at most {asked}");
        file.session.conn().fail(reason.clone());
        return Err(RdrError::Disconnected(reason));
    }
    Ok(())
}

pub(crate) async fn execute(
    file: &Bound,
    pending: &Pending,
    request: IrpRequest,
) -> Result<IrpResult, RdrError> {
    // What may change the file's bytes drops its read cache, before (no read sent from now
    // on keeps its data) and after (a read sent meanwhile may have seen either).
    let changes = file.lease.as_ref().filter(|_| {
        !matches!(
            request,
            IrpRequest::Read(_)
                | IrpRequest::QueryInformation(_)
                | IrpRequest::QueryVolumeInformation(_)
                | IrpRequest::QuerySecurity(_)
                | IrpRequest::QueryEa(_)
                | IrpRequest::Flush
                | IrpRequest::Cleanup
        )
    });
    if let Some(lease) = changes {
        lease.invalidate();
    }
    let result = dispatch_remote(file, pending, request).await;
    if let Some(lease) = changes {
        lease.invalidate();
    }
    result
}

async fn dispatch_remote(
    file: &Bound,
    pending: &Pending,
    request: IrpRequest,
) -> Result<IrpResult, RdrError> {
    match request {
        IrpRequest::Cleanup => close(file).await,
        IrpRequest::Read(r) => read(file, pending, r.offset, r.length).await,
        IrpRequest::Write(w) => write(file, w.offset, w.data).await,
        IrpRequest::Flush => {
            let req = FlushRequest {
                file_id: file.file_id,
            };
            let reply = call_cancellable(
                file,
                pending,
                Outgoing::new(Command::FLUSH, file.tree, |o| req.encode(o)),
            )
            .await?;
            check(&reply, &[])?;
            Ok(IrpResult::new(reply.status()))
        }
        IrpRequest::QueryInformation(q) => {
            query_info(file, pending, InfoType::FILE, q.class.0, q.length, 0).await
        }
        IrpRequest::QueryVolumeInformation(q) => {
            query_info(file, pending, InfoType::FILESYSTEM, q.class.0, q.length, 0).await
        }
        IrpRequest::QuerySecurity(q) => {
            query_info(file, pending, InfoType::SECURITY, 0, q.length, q.info.0).await
        }
        IrpRequest::QueryEa(q) => query_ea(file, pending, q).await,
        IrpRequest::SetInformation(s) => {
            let data = if target::is_target_class(s.class) {
                rename_buffer(file, s.class, &s.data)?
            } else {
                s.data.to_vec()
            };
            set_info(file, pending, InfoType::FILE, s.class.0, data, 0).await
        }
        IrpRequest::SetVolumeInformation(s) => {
            set_info(
                file,
                pending,
                InfoType::FILESYSTEM,
                s.class.0,
                s.data.to_vec(),
                0,
            )
            .await
        }
        IrpRequest::SetSecurity(s) => {
            set_info(
                file,
                pending,
                InfoType::SECURITY,
                0,
                s.descriptor.to_vec(),
                s.info.0,
            )
            .await
        }
        IrpRequest::QueryDirectory(q) => {
            // The remote server lists by its own user's access; no filter of ours applies.
            if q.only_accessible.is_some() {
                return Err(RdrError::Status(NtStatus::NOT_SUPPORTED));
            }
            let length = transact_len(file, q.length);
            let req = QueryDirectoryRequest {
                class: q.class,
                flags: q.flags,
                file_index: q.file_index,
                file_id: file.file_id,
                pattern: q.pattern.unwrap_or_else(|| "*".into()),
                output_buffer_length: length,
            };
            let out = Outgoing::new(Command::QUERY_DIRECTORY, file.tree, |o| req.encode(o))
                .expecting(length as usize);
            let reply = call_cancellable(file, pending, out).await?;
            check(&reply, &[])?;
            let resp = file
                .session
                .decode(&reply, QueryDirectoryResponse::decode)?;
            let output = bounded(file, resp.buffer, length)?;
            Ok(IrpResult::with_output(reply.status(), output))
        }
        IrpRequest::ReadDirectoryChange(n) => {
            let length = transact_len(file, n.length);
            let req = ChangeNotifyRequest {
                flags: if n.watch_tree {
                    ChangeNotifyFlags::WATCH_TREE
                } else {
                    ChangeNotifyFlags::empty()
                },
                output_buffer_length: length,
                file_id: file.file_id,
                completion_filter: n.filter,
            };
            let out = Outgoing::new(Command::CHANGE_NOTIFY, file.tree, |o| req.encode(o))
                .expecting(length as usize);
            let reply = call_cancellable(file, pending, out).await?;
            check(&reply, &[])?;
            let resp = file.session.decode(&reply, ChangeNotifyResponse::decode)?;
            let output = bounded(file, resp.buffer, length)?;
            Ok(IrpResult::with_output(reply.status(), output))
        }
        IrpRequest::Lock(l) => {
            let mut flags = if l.exclusive {
                LockFlags::EXCLUSIVE
            } else {
                LockFlags::SHARED
            };
            if l.fail_immediately {
                flags |= LockFlags::FAIL_IMMEDIATELY;
            }
            lock(file, pending, l.offset, l.length, flags).await
        }
        IrpRequest::Unlock(u) => lock(file, pending, u.offset, u.length, LockFlags::UNLOCK).await,
        IrpRequest::DeviceControl(c) => ioctl(file, pending, c, IoctlFlags::empty()).await,
        IrpRequest::FsControl(c) => ioctl(file, pending, c, IoctlFlags::IS_FSCTL).await,
        _ => Err(RdrError::Status(NtStatus::INVALID_DEVICE_REQUEST)),
    }
}

pub(crate) async fn close(file: &Bound) -> Result<IrpResult, RdrError> {
    let req = CloseRequest {
        file_id: file.file_id,
        ..CloseRequest::default()
    };
    file.session.conn().forget_oplock(file.file_id);
    if let Some(lease) = &file.lease {
        file.session.conn().forget_lease(&lease.key());
        lease.invalidate();
    }
    // The local close succeeds whatever the server says: the handle is gone either way.
    let _ = file
        .session
        .conn()
        .call(Outgoing::new(Command::CLOSE, file.tree, |o| req.encode(o)))
        .await;
    Ok(IrpResult::new(NtStatus::SUCCESS))
}

async fn read(
    file: &Bound,
    pending: &Pending,
    offset: u64,
    length: u32,
) -> Result<IrpResult, RdrError> {
    let lease = file.lease.as_deref();
    // Read ahead under R: a short sequential read is sent longer, the rest kept (every
    // read, served from the cache or not, tells the lease where the reading goes).
    let asked = length;
    let ahead = READ_AHEAD.min(file.session.negotiated().max_read);
    let planned = lease.map_or(length, |l| l.read_length(offset, length, ahead));
    match lease.and_then(|l| l.lookup(offset, length)) {
        Some(Hit::Data(data)) => {
            return Ok(IrpResult::with_output(NtStatus::SUCCESS, data.to_vec()));
        }
        Some(Hit::EndOfFile) => return Err(RdrError::Status(NtStatus::END_OF_FILE)),
        None => {}
    }
    let generation = lease.map(Lease::generation);
    let length = planned;
    let keep = |at: u64, asked: u32, data: &Bytes| {
        if let (Some(l), Some(g)) = (lease, generation) {
            l.keep(g, at, asked, data.clone());
        }
    };
    let chunk = file.session.negotiated().max_read;
    let read_one = |at: u64, len: u32| {
        let req = ReadRequest {
            padding: 0x50,
            length: len,
            offset: at,
            file_id: file.file_id,
            channel: Channel::NONE,
            ..ReadRequest::default()
        };
        Outgoing::new(Command::READ, file.tree, |o| req.encode(o)).expecting(len as usize)
    };
    if length <= chunk {
        let reply = call_cancellable(file, pending, read_one(offset, length)).await?;
        check(&reply, &[])?;
        let data = read_data(file, &reply, length)?;
        keep(offset, length, &data);
        let data = data.slice(..data.len().min(asked as usize));
        return Ok(IrpResult::with_output(reply.status(), data.to_vec()));
    }
    // Every chunk is sent before the first reply is awaited: the server works on all of
    // them at once, as far as the credits allow.
    let mut sent = Vec::new();
    let mut at = 0u32;
    while at < length {
        let len = chunk.min(length - at);
        let out = read_one(offset.saturating_add(u64::from(at)), len);
        sent.push((len, file.session.conn().send(out).await?));
        at += len;
    }
    let mut data = Vec::with_capacity(length as usize);
    let mut short = false;
    for (i, (len, s)) in sent.into_iter().enumerate() {
        let reply = s.reply().await?;
        if short {
            continue;
        }
        if reply.status() == NtStatus::END_OF_FILE && i > 0 {
            short = true;
            continue;
        }
        check(&reply, &[])?;
        let part = read_data(file, &reply, len)?;
        keep(offset.saturating_add(data.len() as u64), len, &part);
        short = part.len() < len as usize;
        data.extend_from_slice(&part);
    }
    Ok(IrpResult::with_output(NtStatus::SUCCESS, data))
}

/// The data of a READ response, sliced out of the frame it arrived in (no copy: the one
/// copy of a read is into the IRP's output); more than `asked` bytes fails the connection.
fn read_data(file: &Bound, reply: &Reply, asked: u32) -> Result<Bytes, RdrError> {
    let at = file.session.decode(reply, ReadResponse::locate)?;
    within(file, at.data.len(), asked)?;
    Ok(reply.message.slice(at.data))
}

/// Sends a write (split at the negotiated maximum, the parts in flight together).
pub(crate) async fn write(file: &Bound, offset: u64, data: Bytes) -> Result<IrpResult, RdrError> {
    let chunk = file.session.negotiated().max_write as usize;
    let to_end = offset == lwio_core::irp::request::WRITE_TO_END_OF_FILE;
    let mut sent = Vec::new();
    let mut total = 0u64;
    let mut at = 0usize;
    loop {
        let len = chunk.min(data.len() - at);
        let req = WriteRequest {
            offset: if to_end {
                offset
            } else {
                offset.saturating_add(at as u64)
            },
            file_id: file.file_id,
            channel: Channel::NONE,
            remaining_bytes: 0,
            flags: WriteFlags::empty(),
            data: &[],
            channel_info: &[],
        };
        // The data goes from the IRP's buffer to the socket (or into the transform that
        // seals it) without a copy into the message.
        let out = Outgoing::with_data(
            Command::WRITE,
            file.tree,
            |o| req.encode_header_only(len, o),
            data.slice(at..at + len),
        );
        let s = file.session.conn().send(out).await?;
        if to_end {
            // Appends must land in order: one at a time.
            total += write_reply(file, s.reply().await?, len)?;
        } else {
            sent.push((len, s));
        }
        at += len;
        if at >= data.len() {
            break;
        }
    }
    for (len, s) in sent {
        total += write_reply(file, s.reply().await?, len)?;
    }
    Ok(IrpResult {
        status: NtStatus::SUCCESS,
        information: total,
        output: Vec::new(),
    })
}

fn write_reply(file: &Bound, reply: Reply, len: usize) -> Result<u64, RdrError> {
    check(&reply, &[])?;
    let resp = file.session.decode(&reply, WriteResponse::decode)?;
    if resp.count as usize > len {
        let reason = format!("the server wrote {} bytes of {len}", resp.count);
        file.session.conn().fail(reason.clone());
        return Err(RdrError::Disconnected(reason));
    }
    Ok(u64::from(resp.count))
}

async fn query_info(
    file: &Bound,
    pending: &Pending,
    info_type: InfoType,
    class: u8,
    length: u32,
    additional: u32,
) -> Result<IrpResult, RdrError> {
    let length = transact_len(file, length);
    let req = QueryInfoRequest {
        info_type,
        info_class: class,
        output_buffer_length: length,
        additional_information: additional,
        file_id: file.file_id,
        ..QueryInfoRequest::default()
    };
    query_reply(file, pending, req, length).await
}

async fn query_reply(
    file: &Bound,
    pending: &Pending,
    req: QueryInfoRequest,
    length: u32,
) -> Result<IrpResult, RdrError> {
    let out =
        Outgoing::new(Command::QUERY_INFO, file.tree, |o| req.encode(o)).expecting(length as usize);
    let reply = call_cancellable(file, pending, out).await?;
    check(&reply, &[NtStatus::BUFFER_OVERFLOW])?;
    let resp = file.session.decode(&reply, QueryInfoResponse::decode)?;
    let output = bounded(file, resp.buffer, length)?;
    Ok(IrpResult::with_output(reply.status(), output))
}

async fn query_ea(
    file: &Bound,
    pending: &Pending,
    q: QueryEaRequest,
) -> Result<IrpResult, RdrError> {
    let length = transact_len(file, q.length);
    let mut flags = QueryInfoFlags::empty();
    if q.restart_scan {
        flags |= QueryInfoFlags::RESTART_SCAN;
    }
    if q.single_entry {
        flags |= QueryInfoFlags::RETURN_SINGLE_ENTRY;
    }
    if q.index.is_some() {
        flags |= QueryInfoFlags::INDEX_SPECIFIED;
    }
    let req = QueryInfoRequest {
        info_type: InfoType::FILE,
        info_class: FileInfoClass::FULL_EA.0,
        output_buffer_length: length,
        input: q.ea_list.to_vec(),
        additional_information: q.index.unwrap_or(0),
        flags,
        file_id: file.file_id,
    };
    query_reply(file, pending, req, length).await
}

async fn set_info(
    file: &Bound,
    pending: &Pending,
    info_type: InfoType,
    class: u8,
    buffer: Vec<u8>,
    additional: u32,
) -> Result<IrpResult, RdrError> {
    let req = SetInfoRequest {
        info_type,
        info_class: class,
        buffer,
        additional_information: additional,
        file_id: file.file_id,
    };
    let out = Outgoing::new(Command::SET_INFO, file.tree, |o| req.encode(o));
    let reply = call_cancellable(file, pending, out).await?;
    check(&reply, &[])?;
    Ok(IrpResult::new(reply.status()))
}

/// The rename or link buffer as the server wants it: the target relative to the share.
fn rename_buffer(file: &Bound, class: FileInfoClass, data: &[u8]) -> Result<Vec<u8>, RdrError> {
    let t = LinkTarget::decode(class, data).map_err(RdrError::Status)?;
    if t.root_directory != 0 {
        return Err(RdrError::Status(NtStatus::NOT_SAME_DEVICE));
    }
    let name = if t.file_name.starts_with(':') {
        t.file_name.clone()
    } else {
        let target = RemotePath::parse(&t.file_name).map_err(RdrError::Status)?;
        if !target.same_share(&file.path) {
            return Err(RdrError::Status(NtStatus::NOT_SAME_DEVICE));
        }
        target.path
    };
    let name = lwio_smb2::codec::to_utf16le(&name);
    let mut out = data[..8].to_vec();
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(&name);
    Ok(out)
}

async fn lock(
    file: &Bound,
    pending: &Pending,
    offset: u64,
    length: u64,
    flags: LockFlags,
) -> Result<IrpResult, RdrError> {
    let req = LockRequest {
        file_id: file.file_id,
        locks: vec![LockElement {
            offset,
            length,
            flags,
        }],
        ..LockRequest::default()
    };
    let out = Outgoing::new(Command::LOCK, file.tree, |o| req.encode(o));
    let reply = call_cancellable(file, pending, out).await?;
    check(&reply, &[])?;
    Ok(IrpResult::new(reply.status()))
}

async fn ioctl(
    file: &Bound,
    pending: &Pending,
    c: ControlRequest,
    flags: IoctlFlags,
) -> Result<IrpResult, RdrError> {
    let length = transact_len(file, c.max_output);
    let req = IoctlRequest {
        ctl_code: c.ctl_code(),
        file_id: file.file_id,
        input: c.input.to_vec(),
        max_input_response: 0,
        output: Vec::new(),
        max_output_response: length,
        flags,
    };
    let out =
        Outgoing::new(Command::IOCTL, file.tree, |o| req.encode(o)).expecting(length as usize);
    let reply = call_cancellable(file, pending, out).await?;
    check(&reply, &[NtStatus::BUFFER_OVERFLOW])?;
    let resp = file.session.decode(&reply, IoctlResponse::decode)?;
    let output = bounded(file, resp.output, length)?;
    Ok(IrpResult::with_output(reply.status(), output))
}
