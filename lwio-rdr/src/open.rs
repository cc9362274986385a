//! A remote open that outlives its connection (MS-SMB2 3.2.4.1.6, 3.2.5.13 in spirit):
//! when the network loses the connection under an open file, the next request on it
//! reconnects (a new connection, session and tree connect from the cache), reopens the
//! file by name and sends the request again, so a file held across a server restart keeps
//! working.
//!
//! - Only a connection the network lost is re-established (the server closed the socket,
//!   a read or write failed): one the client dropped because the server lied stays
//!   dropped, and its files fail with STATUS_CONNECTION_DISCONNECTED.
//! - An open the server made durable (MS-SMB2 3.2.4.3.5: a DH2Q context with a CreateGuid
//!   at 3.x, DHnQ at 2.x, with a batch oplock, [`RdrConfig::durable`], [`crate::durable`])
//!   is reclaimed first: a CREATE with the DH2C context naming the old file id and the
//!   same CreateGuid (DHnC with the file id at 2.x, 3.2.4.4), which keeps its byte-range
//!   locks. Where that fails
//!   (the server restarted and forgot it), or the open was not durable, the file is
//!   reopened: a CREATE with FILE_OPEN and the open's access, share access and options;
//!   the server's refusal (the file is gone: STATUS_OBJECT_NAME_NOT_FOUND) becomes the
//!   request's status. While the server cannot be reached the reconnect tries
//!   again every quarter second for [`RdrConfig::reconnect_timeout`]; a zero timeout turns
//!   reconnection off.
//! - After a reopen what the server kept for the old handle is gone: its byte-range locks,
//!   and a directory enumeration's place (directories are never durable: a QUERY_DIRECTORY
//!   continuing an enumeration begun before the reconnect fails with
//!   STATUS_CONNECTION_DISCONNECTED; one that restarts the scan works). A close after the
//!   connection was lost succeeds without the server for an open that was not durable
//!   (the server closed it itself); a durable one is reclaimed and closed, so the server
//!   does not keep it until its timeout.
//! - The request is sent again whole, even if the server carried part of it out before
//!   the connection went: reads and writes land at the same offsets again (an append,
//!   at the end of file, could land twice).
//! - An open's lease ([`crate::lease`]) is reclaimed with its durable handle (the same
//!   key, as 3.2.4.4 requires) with its read cache dropped; a reopen by name asks for a
//!   new one.
//! - Named pipes are not reopened: an RPC association does not survive its pipe.
//!
//! [`RdrConfig::reconnect_timeout`]: crate::RdrConfig::reconnect_timeout
//! [`RdrConfig::durable`]: crate::RdrConfig::durable

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use lwio_core::irp::{LinkTarget, target};
use lwio_core::{
    CreateDisposition, CreateOptions, FileInfoClass, IrpRequest, IrpResult, QueryDirectoryFlags,
};
use lwio_smb2::{CreateRequest, OplockLevel, ShareType};
use lwio_types::{AccessMask, NtStatus, ShareAccess};
use parking_lot::Mutex;

use crate::cache::Cache;
use crate::driver::{Bound, Pending, ask_lease, execute, held_lease, send_create, write};
use crate::durable::Durable;
use crate::error::RdrError;
use crate::handles::{HandleKey, handle_name};
use crate::lease::FlushBehind;
use crate::path::RemotePath;
use crate::writeback::Behind;

/// How long a reconnect waits between attempts while the server cannot be reached.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// What a reopen asks for: the original open's access, sharing and options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reopen {
    pub(crate) desired_access: AccessMask,
    pub(crate) share_access: ShareAccess,
    pub(crate) options: CreateOptions,
}

#[derive(Debug)]
struct Open {
    bound: Mutex<Bound>,
    reopen: Reopen,
    reconnectable: bool,
    /// The durable handle the server granted the current handle, if any.
    durable: Mutex<Durable>,
    /// One reconnect at a time per open.
    reconnecting: tokio::sync::Mutex<()>,
    /// The binding generation a directory enumeration has progressed on.
    enumeration: Mutex<Option<u64>>,
    /// The open did something its close must end on the server at once (a delete
    /// disposition, a rename, locks, a control): it is never parked ([`crate::handles`]).
    must_close: std::sync::atomic::AtomicBool,
    /// The access the open was granted (what a reuse of its parked handle grants).
    granted: AccessMask,
    /// The writes gathered under the lease's W ([`crate::writeback`]); they outlive a
    /// reconnect.
    behind: Behind,
}

impl FlushBehind for Open {
    fn flush_behind<'a>(
        self: Arc<Self>,
        cache: Option<&'a Cache>,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move { RemoteFile { open: self }.flush_behind(cache).await })
    }
}

/// A remote open: the file object's context in the redirector.
#[derive(Debug, Clone)]
pub struct RemoteFile {
    open: Arc<Open>,
}

impl RemoteFile {
    pub(crate) fn new(
        bound: Bound,
        reopen: Reopen,
        reconnectable: bool,
        durable: Durable,
        granted: AccessMask,
        behind: Behind,
    ) -> RemoteFile {
        let lease = bound.lease.clone();
        let file = RemoteFile {
            open: Arc::new(Open {
                bound: Mutex::new(bound),
                reopen,
                reconnectable,
                durable: Mutex::new(durable),
                reconnecting: tokio::sync::Mutex::new(()),
                enumeration: Mutex::new(None),
                must_close: std::sync::atomic::AtomicBool::new(
                    reopen.options.contains(CreateOptions::DELETE_ON_CLOSE),
                ),
                granted,
                behind,
            }),
        };
        if let Some(l) = lease {
            l.set_flusher(file.weak());
        }
        file
    }

    /// The open, weakly (for its lease and the cache, which must not keep it alive).
    fn weak(&self) -> Weak<dyn FlushBehind> {
        let weak: Weak<Open> = Arc::downgrade(&self.open);
        weak
    }

    /// The bytes of writes gathered under W, not yet sent ([`crate::writeback`]).
    pub fn gathered(&self) -> usize {
        self.open.behind.len()
    }

    /// Gathers a write under the lease's W ([`crate::writeback`]); false when it must go
    /// to the server.
    fn gather(&self, cache: &Cache, offset: u64, data: &[u8]) -> bool {
        if offset == lwio_core::irp::request::WRITE_TO_END_OF_FILE {
            return false;
        }
        let Some(lease) = self.lease() else {
            return false;
        };
        let behind = &self.open.behind;
        if !lease.while_writable(|| behind.gather(offset, data)) {
            return false;
        }
        // The read cache must not answer with what the write changed.
        lease.invalidate();
        cache.gathering(handle_name(&self.path()), self.weak());
        true
    }

    /// Sends the writes gathered under W and waits for the server's answer; a failure is
    /// kept for the handle's next request ([`crate::writeback`]). With `cache`, a
    /// connection the network lost is reconnected and the write sent again, as any
    /// request's would be.
    pub(crate) async fn flush_behind(&self, cache: Option<&Cache>) {
        let behind = &self.open.behind;
        if behind.is_empty() {
            // Nothing to send, but a flush in progress (its data taken, its WRITEs in
            // flight) is waited for: what it sends comes before what follows. Writes in
            // flight that went at once do not hold this up (they share the lock).
            drop(behind.order.read().await);
            return;
        }
        let _order = behind.order.write().await;
        let Some((offset, data)) = behind.take() else {
            return;
        };
        let len = data.len() as u64;
        let bound = self.bound();
        let mut result = write(&bound, offset, data.clone()).await;
        if let (Err(RdrError::Disconnected(_)), Some(cache)) = (&result, cache) {
            if self.open.reconnectable && bound.session.was_lost() {
                result = match self.reconnect(cache, &bound).await {
                    Ok(fresh) => write(&fresh, offset, data).await,
                    Err(e) => Err(e),
                };
            }
        }
        match result {
            Ok(done) if done.information == len => {}
            Ok(done) => {
                tracing::warn!(path = ?bound.path, wrote = done.information, len, "a deferred write was short");
                behind.failed(NtStatus::DISK_FULL);
            }
            Err(e) => {
                tracing::warn!(path = ?bound.path, error = %e, "a deferred write failed");
                behind.failed(e.status());
            }
        }
    }

    /// Waits until nothing gathered is left to send before a write that goes to the
    /// server at once; the guard keeps a flush from starting until it is answered.
    async fn ordered(&self, cache: &Cache) -> tokio::sync::RwLockReadGuard<'_, ()> {
        loop {
            self.flush_behind(Some(cache)).await;
            let guard = self.open.behind.order.read().await;
            if self.open.behind.is_empty() {
                return guard;
            }
        }
    }

    /// The caller closed the file: its gathered writes are sent, then the handle is
    /// parked under H or closed. A deferred write that failed fails the close with its
    /// status (the handle is closed all the same).
    pub(crate) async fn cleanup(
        &self,
        cache: &Cache,
        pending: &Pending,
    ) -> Result<IrpResult, RdrError> {
        self.flush_behind(Some(cache)).await;
        cache.done_gathering(&handle_name(&self.path()), &self.weak());
        let failed = self.open.behind.take_error();
        if failed.is_none() && self.park(cache) {
            return Ok(IrpResult::new(NtStatus::SUCCESS));
        }
        let closed = self.run(cache, pending, IrpRequest::Cleanup).await;
        match failed {
            Some(status) => Err(RdrError::Status(status)),
            None => closed,
        }
    }

    /// The remote name it was opened by.
    pub fn path(&self) -> Arc<RemotePath> {
        Arc::clone(&self.open.bound.lock().path)
    }

    /// How many times the open was reconnected.
    pub fn reconnects(&self) -> u64 {
        self.open.bound.lock().generation
    }

    /// True when the server granted the current handle a durable handle.
    pub fn is_durable(&self) -> bool {
        self.durable() != Durable::No
    }

    /// The durable handle the server granted the current handle (v1 or v2), if any.
    pub fn durable(&self) -> Durable {
        *self.open.durable.lock()
    }

    fn bound(&self) -> Bound {
        self.open.bound.lock().clone()
    }

    /// The lease of the current handle, if the server granted one.
    pub fn lease(&self) -> Option<Arc<crate::lease::Lease>> {
        self.open.bound.lock().lease.clone()
    }

    /// True for two contexts of the same open.
    pub fn same(&self, other: &RemoteFile) -> bool {
        Arc::ptr_eq(&self.open, &other.open)
    }

    /// Closes the handle on the server now (a parked handle's close, [`crate::handles`]).
    pub(crate) async fn close_now(&self) {
        let _ = crate::driver::close(&self.bound()).await;
    }

    /// Parks the handle under its lease's H instead of closing it (the caller closed the
    /// file, [`crate::handles`]); false when it must be closed now.
    pub(crate) fn park(&self, cache: &Cache) -> bool {
        let linger = cache.config().handle_linger;
        if linger.is_zero()
            || self
                .open
                .must_close
                .load(std::sync::atomic::Ordering::Acquire)
        {
            return false;
        }
        let r = self.open.reopen;
        let key = HandleKey {
            access: r.desired_access,
            share: r.share_access,
            options: r.options,
        };
        let name = handle_name(&self.path());
        cache
            .parked()
            .park(name, key, self.clone(), self.open.granted, linger)
    }

    /// Closes this client's handles parked under the names `request` renames or deletes.
    async fn unpark_names(&self, cache: &Cache, request: &IrpRequest) {
        let IrpRequest::SetInformation(s) = request else {
            return;
        };
        if s.class == FileInfoClass::BASIC
            || s.class == FileInfoClass::END_OF_FILE
            || s.class == FileInfoClass::ALLOCATION
        {
            return;
        }
        cache.parked().close_name(&handle_name(&self.path())).await;
        if target::is_target_class(s.class) {
            let t = LinkTarget::decode(s.class, &s.data).ok();
            let path = self.path();
            if let Some(target) = t.and_then(|t| RemotePath::parse(&t.file_name).ok()) {
                if target.same_share(&path) {
                    cache.parked().close_name(&handle_name(&target)).await;
                }
            }
        }
    }

    /// Notes what `request` does that a deferred close would leave in force.
    fn note(&self, request: &IrpRequest) {
        let lasting = match request {
            IrpRequest::SetInformation(s) => {
                s.class != FileInfoClass::BASIC
                    && s.class != FileInfoClass::END_OF_FILE
                    && s.class != FileInfoClass::ALLOCATION
            }
            IrpRequest::Lock(_)
            | IrpRequest::Unlock(_)
            | IrpRequest::FsControl(_)
            | IrpRequest::DeviceControl(_) => true,
            _ => false,
        };
        if lasting {
            self.open
                .must_close
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// Runs `request` on the open: a write gathered under W is answered at once; else
    /// what is gathered is sent first, and the request after it, reconnecting once if the
    /// network lost the connection. A deferred write that failed fails the request with
    /// its status, and every later one ([`crate::writeback`]).
    pub(crate) async fn run(
        &self,
        cache: &Cache,
        pending: &Pending,
        request: IrpRequest,
    ) -> Result<IrpResult, RdrError> {
        let behind = &self.open.behind;
        let _order = match &request {
            IrpRequest::Write(w) => {
                if let Some(status) = behind.error() {
                    return Err(RdrError::Status(status));
                }
                if self.gather(cache, w.offset, &w.data) {
                    return Ok(IrpResult {
                        status: NtStatus::SUCCESS,
                        information: w.data.len() as u64,
                        output: Vec::new(),
                    });
                }
                Some(self.ordered(cache).await)
            }
            _ => {
                self.flush_behind(Some(cache)).await;
                None
            }
        };
        if let Some(status) = behind.error() {
            if matches!(request, IrpRequest::Cleanup) {
                let _ = self.run_remote(cache, pending, request).await;
            }
            return Err(RdrError::Status(status));
        }
        self.run_remote(cache, pending, request).await
    }

    /// Runs `request` on the server, reconnecting once if the network lost the connection.
    async fn run_remote(
        &self,
        cache: &Cache,
        pending: &Pending,
        request: IrpRequest,
    ) -> Result<IrpResult, RdrError> {
        let bound = self.bound();
        bound.session.touch();
        self.note(&request);
        self.unpark_names(cache, &request).await;
        let restart = match &request {
            IrpRequest::QueryDirectory(q) => {
                let restart = q.flags.contains(QueryDirectoryFlags::RESTART_SCANS);
                let begun = *self.open.enumeration.lock();
                if !restart && begun.is_some_and(|g| g != bound.generation) {
                    // The enumeration's place was on the handle the server lost.
                    return Err(RdrError::Disconnected(
                        "the directory enumeration was lost with its connection".into(),
                    ));
                }
                Some(restart)
            }
            _ => None,
        };
        let retry = match restart {
            Some(restart) => restart,
            None => !matches!(request, IrpRequest::Close),
        };
        let first = execute(&bound, pending, request.clone()).await;
        let result = match first {
            Err(RdrError::Disconnected(reason))
                if self.open.reconnectable && bound.session.was_lost() =>
            {
                if matches!(request, IrpRequest::Close) && !self.is_durable() {
                    // The server closed the handle with the connection.
                    return Ok(IrpResult::new(NtStatus::SUCCESS));
                }
                let fresh = self.reconnect(cache, &bound).await?;
                if matches!(request, IrpRequest::Close) {
                    return execute(&fresh, pending, request).await;
                }
                if !retry {
                    return Err(RdrError::Disconnected(reason));
                }
                let result = execute(&fresh, pending, request).await;
                if restart.is_some() && result.is_ok() {
                    *self.open.enumeration.lock() = Some(fresh.generation);
                }
                return result;
            }
            other => other,
        };
        if restart.is_some() && result.is_ok() {
            *self.open.enumeration.lock() = Some(bound.generation);
        }
        result
    }

    /// Binds the open anew after `stale`'s connection was lost: a session and tree from
    /// the cache, the file reopened by name. Another request may have done it already.
    async fn reconnect(&self, cache: &Cache, stale: &Bound) -> Result<Bound, RdrError> {
        let _one = self.open.reconnecting.lock().await;
        {
            let now = self.open.bound.lock();
            if now.generation != stale.generation {
                return Ok(now.clone());
            }
        }
        let timeout = cache.config().reconnect_timeout;
        if timeout.is_zero() {
            return Err(RdrError::Disconnected("reconnection is off".into()));
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.reopen(cache, stale).await {
                Ok(fresh) => {
                    tracing::info!(path = ?stale.path, "reopened after a lost connection");
                    *self.open.bound.lock() = fresh.clone();
                    return Ok(fresh);
                }
                Err(e @ (RdrError::Connect { .. } | RdrError::Disconnected(_)))
                    if Instant::now() < deadline =>
                {
                    tracing::debug!(error = %e, "reconnect failed; trying again");
                    tokio::time::sleep(RETRY_EVERY).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn reopen(&self, cache: &Cache, stale: &Bound) -> Result<Bound, RdrError> {
        let path = &stale.path;
        let session = cache.session(&path.server, path.port).await?;
        let tree = session.tree(&path.server, &path.share).await?;
        let r = self.open.reopen;
        let mut req = CreateRequest {
            desired_access: r.desired_access,
            share_access: r.share_access,
            disposition: CreateDisposition::OPEN,
            options: r.options,
            name: path.path.clone(),
            ..CreateRequest::default()
        };
        let mut reclaimed = None;
        if let Some(context) = self.durable().reconnect(stale.file_id) {
            // MS-SMB2 3.2.4.4: the same name, the old file id in DHnC (or DH2C with the
            // open's CreateGuid), the batch oplock or the same lease it was granted with.
            let mut reclaim = req.clone();
            reclaim.contexts = vec![context.to_raw()];
            match &stale.lease {
                Some(lease) => {
                    reclaim.oplock_level = OplockLevel::LEASE;
                    reclaim.contexts.push(lease.request());
                }
                None => reclaim.oplock_level = OplockLevel::BATCH,
            }
            match send_create(&session, tree.id, &reclaim).await {
                Ok((_, resp)) => {
                    // What was cached may have changed while the client was away.
                    let lease = stale.lease.clone().filter(|l| {
                        l.invalidate();
                        resp.oplock_level == OplockLevel::LEASE
                            && !l.granted(&resp.contexts).is_empty()
                    });
                    if let Some(l) = &lease {
                        session.conn().watch_lease(tree.id, l);
                    }
                    reclaimed = Some((resp, lease));
                }
                Err(RdrError::Status(s)) => {
                    tracing::info!(status = %s, "durable handle not reclaimed; reopening");
                }
                Err(e) => return Err(e),
            }
        }
        let (resp, lease) = match reclaimed {
            Some(done) => done,
            None => {
                let asked = if cache.config().durable {
                    Durable::ask(session.negotiated().dialect)
                } else {
                    Durable::No
                };
                let lease = ask_lease(cache, &session, ShareType::DISK, r.options);
                if let Some(context) = asked.request() {
                    req.oplock_level = OplockLevel::BATCH;
                    req.contexts = vec![context.to_raw()];
                }
                if let Some(l) = &lease {
                    req.oplock_level = OplockLevel::LEASE;
                    req.contexts.push(l.request());
                }
                let (_, resp) = send_create(&session, tree.id, &req).await?;
                *self.open.durable.lock() = asked.granted(&resp.contexts);
                let lease = held_lease(&session, tree.id, lease, &resp);
                if let Some(l) = &lease {
                    l.set_flusher(self.weak());
                }
                (resp, lease)
            }
        };
        Ok(Bound {
            session,
            tree: tree.id,
            file_id: resp.file_id,
            generation: stale.generation + 1,
            path: Arc::clone(path),
            lease,
        })
    }
}
