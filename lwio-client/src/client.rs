//! [`DaemonClient`]: a connection to lwiod's local socket, and [`RemoteFile`], a file
//! opened through it with the methods and results of [`lwio_core::FileHandle`].
//!
//! Two tasks serve a connection: a writer that sends queued frames, and a reader that
//! routes each completion to the future waiting for its request id. A request is sent
//! when its method is called (as the in-process manager dispatches the IRP at the call),
//! so many are in flight at once and complete in whatever order the daemon's drivers
//! finish them. Dropping a [`RemoteFuture`] before it resolves sends a cancel for its
//! request; dropping a [`RemoteFile`] closes it in the background.
//!
//! When the connection ends (the daemon stopped, or refused a frame), every request in
//! flight and every later one fails with STATUS_CONNECTION_DISCONNECTED, or with the
//! status of the daemon's error frame.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use lwio_core::irp::{
    ControlRequest, CreateAction, IrpRequest, IrpResult, LockRequest, NotifyRequest,
    QueryDirectoryRequest, QueryInfoRequest, QuerySecurityRequest, ReadRequest, SetInfoRequest,
    SetSecurityRequest, UnlockRequest, WriteRequest,
};
use lwio_core::{AccessMask, CreateRequest, NtStatus};
use lwio_types::{FileInfoClass, FsInfoClass, SecurityInformation};
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use crate::proto::{
    AdminRequest, AdminStatus, ClientFrame, CreateArgs, FileId, HelloReply, MAX_DATA, MIN_VERSION,
    Op, ServerFrame, VERSION,
};
use crate::transport::{READ_BUFFER, VECTORED_MIN, read_frame, write_all_vectored};

/// Why [`DaemonClient::connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The socket could not be reached.
    #[error("connecting: {0}")]
    Io(#[from] std::io::Error),
    /// The daemon refused the hello.
    #[error("the daemon refused the connection: {status} ({message})")]
    Refused {
        /// Its status.
        status: NtStatus,
        /// Its explanation.
        message: String,
    },
    /// The daemon answered something other than a hello reply.
    #[error("the daemon's answer is not a hello reply")]
    Protocol,
}

#[derive(Default)]
struct Pending {
    waiters: HashMap<u64, oneshot::Sender<ServerFrame>>,
    /// Per request in flight, what the interim frame ([`ServerFrame::Pending`]) fires;
    /// dropped (without firing) when the answer comes.
    interims: HashMap<u64, oneshot::Sender<()>>,
    next_id: u64,
    /// Set once the connection is gone: the status every request now gets.
    broken: Option<NtStatus>,
}

struct Inner {
    pending: Mutex<Pending>,
    out: mpsc::UnboundedSender<Bytes>,
    hello: HelloReply,
}

impl Inner {
    /// Sends `frame` for a new request; the receiver gets its answer.
    fn start(&self, op: Op) -> Result<(u64, oneshot::Receiver<ServerFrame>), NtStatus> {
        self.start_frame(|id| ClientFrame::Call { id, op })
    }

    /// Sends a request that may get an interim frame: its id, where its answer comes and
    /// what the interim frame (or the answer, by dropping the sender) fires.
    fn start_call(&self, op: Op) -> Result<(u64, Answer, oneshot::Receiver<()>), NtStatus> {
        let (tx, rx) = oneshot::channel();
        let (id, answer) = self.start_frame(|id| {
            self.pending.lock().interims.insert(id, tx);
            ClientFrame::Call { id, op }
        })?;
        Ok((id, answer, rx))
    }

    /// Sends the frame `make` builds for a new request id; the receiver gets its answer.
    fn start_frame(
        &self,
        make: impl FnOnce(u64) -> ClientFrame,
    ) -> Result<(u64, oneshot::Receiver<ServerFrame>), NtStatus> {
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut p = self.pending.lock();
            if let Some(status) = p.broken {
                return Err(status);
            }
            p.next_id = p.next_id.wrapping_add(1);
            let id = p.next_id;
            p.waiters.insert(id, tx);
            id
        };
        let mut buf = BytesMut::new();
        make(id).encode(&mut buf);
        if self.out.send(buf.freeze()).is_err() {
            let mut p = self.pending.lock();
            p.waiters.remove(&id);
            p.interims.remove(&id);
            return Err(NtStatus::CONNECTION_DISCONNECTED);
        }
        Ok((id, rx))
    }

    fn send_cancel(&self, id: u64) {
        let mut buf = BytesMut::new();
        ClientFrame::Cancel { id }.encode(&mut buf);
        let _ = self.out.send(buf.freeze());
    }

    /// The connection ended: every waiter gets `status`.
    fn fail_all(&self, status: NtStatus) {
        let (waiters, interims) = {
            let mut p = self.pending.lock();
            p.broken.get_or_insert(status);
            (
                std::mem::take(&mut p.waiters),
                std::mem::take(&mut p.interims),
            )
        };
        drop((waiters, interims));
    }
}

/// A connection to lwiod's local interface. Clone it freely: clones share the
/// connection, which closes when the last clone and the last file go.
#[derive(Clone)]
pub struct DaemonClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DaemonClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonClient")
            .field("hello", &self.inner.hello)
            .finish()
    }
}

impl DaemonClient {
    /// Connects to the daemon's socket at `path` and agrees on a version. Needs a tokio
    /// runtime (the connection's two tasks are spawned on it).
    pub async fn connect(path: impl AsRef<Path>) -> Result<DaemonClient, ConnectError> {
        let stream = UnixStream::connect(path).await?;
        let (mut rd, mut wr) = stream.into_split();
        let mut buf = BytesMut::new();
        ClientFrame::Hello {
            min: MIN_VERSION,
            max: VERSION,
        }
        .encode(&mut buf);
        // A daemon that refuses the connection may answer and close before it reads the
        // hello: its answer is still read when the write fails.
        let wrote = wr.write_all(&buf).await;
        let body = match (read_frame(&mut rd).await, wrote) {
            (Ok(Some(body)), _) => body,
            (_, Err(e)) => return Err(ConnectError::Io(e)),
            _ => return Err(ConnectError::Protocol),
        };
        let hello = match ServerFrame::decode(&body) {
            Ok(ServerFrame::HelloReply(h)) if (MIN_VERSION..=VERSION).contains(&h.version) => h,
            Ok(ServerFrame::Error { status, message }) => {
                return Err(ConnectError::Refused { status, message });
            }
            _ => return Err(ConnectError::Protocol),
        };
        let (out, mut queue) = mpsc::unbounded_channel::<Bytes>();
        let inner = Arc::new(Inner {
            pending: Mutex::default(),
            out,
            hello,
        });
        tokio::spawn(async move {
            // What is queued goes out in one vectored write: small frames copied into a
            // batch, large ones (a write's data) as slices of their own.
            let mut segments: Vec<Bytes> = Vec::new();
            let mut small = BytesMut::new();
            while let Some(first) = queue.recv().await {
                let mut queued = 0;
                let mut next = Some(first);
                while let Some(frame) = next.take() {
                    queued += frame.len();
                    if frame.len() >= VECTORED_MIN {
                        if !small.is_empty() {
                            segments.push(small.split().freeze());
                        }
                        segments.push(frame);
                    } else {
                        small.extend_from_slice(&frame);
                    }
                    if queued < 256 * 1024 {
                        next = queue.try_recv().ok();
                    }
                }
                if !small.is_empty() {
                    segments.push(small.split().freeze());
                }
                if write_all_vectored(&mut wr, &mut segments).await.is_err() {
                    break;
                }
            }
        });
        let mut rd = tokio::io::BufReader::with_capacity(READ_BUFFER, rd);
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let status = loop {
                let frame = match read_frame(&mut rd).await {
                    Ok(Some(body)) => ServerFrame::decode(&body),
                    _ => break NtStatus::CONNECTION_DISCONNECTED,
                };
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let id = match &frame {
                    Ok(ServerFrame::Created { id, .. }) => *id,
                    Ok(ServerFrame::Completion(c)) => c.id,
                    // An interim frame for a request in flight fires once; one for an id
                    // not (or no longer) in flight is ignored.
                    Ok(ServerFrame::Pending { id }) => {
                        if let Some(interim) = inner.pending.lock().interims.remove(id) {
                            let _ = interim.send(());
                        }
                        continue;
                    }
                    Ok(ServerFrame::Error { status, .. }) => {
                        inner.fail_all(*status);
                        return;
                    }
                    _ => {
                        inner.fail_all(NtStatus::INVALID_NETWORK_RESPONSE);
                        return;
                    }
                };
                let (waiter, interim) = {
                    let mut p = inner.pending.lock();
                    (p.waiters.remove(&id), p.interims.remove(&id))
                };
                let Ok(frame) = frame else { continue };
                let unclaimed = match waiter {
                    Some(w) => w.send(frame).err(),
                    None => Some(frame),
                };
                // The answer is there before the interim's sender goes.
                drop(interim);
                // A create whose caller went away (its cancel came too late): close the
                // file it made, or it would stay open until the connection ends.
                if let Some(ServerFrame::Created { file, .. }) = unclaimed {
                    if let Ok((id, _)) = inner.start(Op::Close(file)) {
                        inner.pending.lock().waiters.remove(&id);
                    }
                }
            };
            if let Some(inner) = weak.upgrade() {
                inner.fail_all(status);
            }
        });
        Ok(DaemonClient { inner })
    }

    /// The daemon's limits for this connection.
    pub fn limits(&self) -> HelloReply {
        self.inner.hello
    }

    /// Sends an administration request ([`crate::proto::admin`]) and returns the
    /// completion's `information` and output. An error status is returned as `Err`, with
    /// STATUS_NOT_SUPPORTED from a daemon that speaks only version 1.
    pub async fn admin(&self, request: AdminRequest) -> Result<(u64, Bytes), NtStatus> {
        if self.inner.hello.version < 2 {
            return Err(NtStatus::NOT_SUPPORTED);
        }
        let (_, rx) = self
            .inner
            .start_frame(|id| ClientFrame::Admin { id, request })?;
        let frame = rx.await.map_err(|_| {
            self.inner
                .pending
                .lock()
                .broken
                .unwrap_or(NtStatus::CONNECTION_DISCONNECTED)
        })?;
        match frame {
            ServerFrame::Completion(c) if c.status.is_success() => Ok((c.information, c.output)),
            ServerFrame::Completion(c) => Err(c.status),
            _ => Err(NtStatus::INVALID_NETWORK_RESPONSE),
        }
    }

    /// The daemon's SMB sessions and open files.
    pub async fn admin_status(&self) -> Result<AdminStatus, NtStatus> {
        let (_, output) = self.admin(AdminRequest::Status).await?;
        AdminStatus::decode_for(&output, self.inner.hello.version)
            .map_err(|_| NtStatus::INVALID_NETWORK_RESPONSE)
    }

    /// Opens or creates `path` (`/<device>/...` in the daemon's namespace) with
    /// `request`'s access, share mode, disposition, options, attributes, allocation size,
    /// security descriptor and EAs: the arguments of [`lwio_core::IoManager::create_file`],
    /// so a program switches between the two by how it gets its manager. The request's
    /// token is not sent: the daemon uses the caller's (from the kernel's peer
    /// credentials); its Extra Create Parameters, in-process values, are not sent either.
    pub async fn create_file(
        &self,
        path: &str,
        request: CreateRequest,
    ) -> Result<RemoteFile, NtStatus> {
        self.open(CreateArgs {
            path: path.to_owned(),
            desired_access: request.desired_access,
            share_access: request.share_access,
            disposition: request.disposition,
            options: request.options,
            attributes: request.file_attributes,
            allocation_size: request.allocation_size,
            security_descriptor: request.security_descriptor,
            ea_buffer: request.ea_buffer,
        })
        .await
    }

    /// Opens or creates a file with the protocol's create arguments.
    pub async fn open(&self, args: CreateArgs) -> Result<RemoteFile, NtStatus> {
        let future = RemoteFuture::start(&self.inner, Op::Create(args), created);
        let (file, action, granted, directory) = future.await?;
        Ok(RemoteFile {
            client: self.clone(),
            file,
            action,
            granted,
            directory,
            closed: AtomicBool::new(false),
        })
    }
}

fn created(frame: ServerFrame) -> Result<(FileId, CreateAction, AccessMask, bool), NtStatus> {
    match frame {
        ServerFrame::Created {
            file,
            action,
            granted,
            directory,
            ..
        } => Ok((file, CreateAction(action), granted, directory)),
        ServerFrame::Completion(c) if c.status.is_success() => {
            Err(NtStatus::INVALID_NETWORK_RESPONSE)
        }
        ServerFrame::Completion(c) => Err(c.status),
        _ => Err(NtStatus::INVALID_NETWORK_RESPONSE),
    }
}

/// The whole result of a completion, as [`lwio_core::FileHandle::call`] gives it.
fn whole(frame: ServerFrame) -> Result<IrpResult, NtStatus> {
    match frame {
        // The output is the only holder of the frame's buffer by now (the reader drops the
        // body once decoded), so this reuses that allocation rather than making a fresh
        // one (for a 1 MiB read, a fresh one costs page faults as well as the copy).
        ServerFrame::Completion(c) => Ok(IrpResult {
            status: c.status,
            information: c.information,
            output: Vec::from(c.output),
        }),
        _ => Err(NtStatus::INVALID_NETWORK_RESPONSE),
    }
}

fn output(frame: ServerFrame) -> Result<Vec<u8>, NtStatus> {
    whole(frame)?.into_result().map(|r| r.output)
}

fn unit(frame: ServerFrame) -> Result<(), NtStatus> {
    whole(frame)?.into_result().map(|_| ())
}

fn information(frame: ServerFrame) -> Result<u64, NtStatus> {
    whole(frame)?.into_result().map(|r| r.information)
}

/// The result of one request sent to the daemon: the counterpart of
/// [`lwio_core::IoFuture`]. The request is sent when the method is called; dropping this
/// future before it resolves sends a cancel (the daemon cancels the IRP; its result is
/// discarded).
#[must_use = "the request is already sent; await the future for its result"]
pub struct RemoteFuture<T> {
    state: Result<(u64, Answer), NtStatus>,
    inner: Arc<Inner>,
    map: fn(ServerFrame) -> Result<T, NtStatus>,
    done: bool,
    /// Fired by the interim frame; closed when the answer came first.
    interim: Option<oneshot::Receiver<()>>,
    /// The interim frame came.
    pending: bool,
}

/// Where a request's answer arrives.
type Answer = oneshot::Receiver<ServerFrame>;

impl<T> RemoteFuture<T> {
    fn start(inner: &Arc<Inner>, op: Op, map: fn(ServerFrame) -> Result<T, NtStatus>) -> Self {
        let (state, interim) = match inner.start_call(op) {
            Ok((id, answer, interim)) => (Ok((id, answer)), Some(interim)),
            Err(status) => (Err(status), None),
        };
        RemoteFuture {
            state,
            inner: Arc::clone(inner),
            map,
            done: false,
            interim,
            pending: false,
        }
    }

    fn failed(inner: &Arc<Inner>, status: NtStatus) -> Self {
        RemoteFuture {
            state: Err(status),
            inner: Arc::clone(inner),
            map: |_| Err(NtStatus::INVALID_NETWORK_RESPONSE),
            done: false,
            interim: None,
            pending: false,
        }
    }

    /// True once the daemon said the request waits for an event (its interim frame,
    /// protocol version 3: a lock another open holds, a change notify, a pipe peer), as
    /// [`lwio_core::IrpFuture::is_pending`] says of an IRP in process. Polls; never waits.
    pub fn is_pending(&mut self) -> bool {
        if !self.pending {
            if let Some(rx) = &mut self.interim {
                self.pending = rx.try_recv().is_ok();
            }
        }
        self.pending
    }

    /// Waits until the daemon either says the request is pending (true: its interim
    /// frame came) or answers it (false; the answer is then ready for this future).
    /// Against a version-2 daemon, which sends no interim frames, this is false once the
    /// answer comes.
    pub async fn went_pending(&mut self) -> bool {
        if !self.pending {
            if let Some(rx) = &mut self.interim {
                self.pending = rx.await.is_ok();
                self.interim = None;
            }
        }
        self.pending
    }

    /// Asks the daemon to cancel the request (Windows' CancelIoEx): it completes with
    /// STATUS_CANCELLED, or with its result when it finished first.
    pub fn cancel(&self) {
        if let Some(c) = self.canceller() {
            c.cancel();
        }
    }

    /// A handle that cancels the request from elsewhere; `None` once it has its answer,
    /// or when it was never sent.
    pub fn canceller(&self) -> Option<RemoteCanceller> {
        match (&self.state, self.done) {
            (Ok((id, _)), false) => Some(RemoteCanceller {
                inner: Arc::clone(&self.inner),
                id: *id,
            }),
            _ => None,
        }
    }
}

impl<T> Future for RemoteFuture<T> {
    type Output = Result<T, NtStatus>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let rx = match &mut this.state {
            Ok((_, rx)) => rx,
            Err(status) => {
                this.done = true;
                return Poll::Ready(Err(*status));
            }
        };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(frame) => {
                this.done = true;
                Poll::Ready(match frame {
                    Ok(frame) => (this.map)(frame),
                    Err(_) => Err(this
                        .inner
                        .pending
                        .lock()
                        .broken
                        .unwrap_or(NtStatus::CONNECTION_DISCONNECTED)),
                })
            }
        }
    }
}

impl<T> Drop for RemoteFuture<T> {
    fn drop(&mut self) {
        if !self.done {
            self.cancel();
        }
    }
}

/// Cancels one request sent to the daemon (see [`RemoteFuture::canceller`]).
pub struct RemoteCanceller {
    inner: Arc<Inner>,
    id: u64,
}

impl RemoteCanceller {
    /// Sends the cancel.
    pub fn cancel(&self) {
        self.inner.send_cancel(self.id);
    }
}

impl std::fmt::Debug for RemoteCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RemoteCanceller").field(&self.id).finish()
    }
}

/// A file open on the daemon, with the methods of [`lwio_core::FileHandle`] and the same
/// results. Dropping it closes the file in the background; [`RemoteFile::close`] closes
/// it and waits.
pub struct RemoteFile {
    client: DaemonClient,
    file: FileId,
    action: CreateAction,
    granted: AccessMask,
    directory: bool,
    closed: AtomicBool,
}

impl std::fmt::Debug for RemoteFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteFile")
            .field("file", &self.file)
            .field("action", &self.action)
            .finish()
    }
}

impl RemoteFile {
    fn send<T>(&self, op: Op, map: fn(ServerFrame) -> Result<T, NtStatus>) -> RemoteFuture<T> {
        RemoteFuture::start(&self.client.inner, op, map)
    }

    /// What the create did (opened, created, overwritten, superseded).
    pub fn create_action(&self) -> CreateAction {
        self.action
    }

    /// The daemon's id of this file on the connection.
    pub fn id(&self) -> FileId {
        self.file
    }

    /// The access the daemon granted the open.
    pub fn granted_access(&self) -> AccessMask {
        self.granted
    }

    /// True when the open is a directory.
    pub fn is_directory(&self) -> bool {
        self.directory
    }

    /// Sends any request the protocol carries and returns the whole result; create,
    /// close and requests the protocol does not carry (an EA query with a name list)
    /// fail with STATUS_INVALID_PARAMETER and STATUS_NOT_SUPPORTED.
    pub fn call(&self, request: IrpRequest) -> RemoteFuture<IrpResult> {
        let f = self.file;
        let op = match request {
            IrpRequest::Create(_) | IrpRequest::Close => {
                return RemoteFuture::failed(&self.client.inner, NtStatus::INVALID_PARAMETER);
            }
            IrpRequest::Read(r) => Op::Read(f, r),
            IrpRequest::Write(w) => Op::Write(f, w),
            IrpRequest::Flush => Op::Flush(f),
            IrpRequest::QueryInformation(q) => Op::QueryInformation(f, q),
            IrpRequest::SetInformation(s) => Op::SetInformation(f, s),
            IrpRequest::QueryVolumeInformation(q) => Op::QueryVolumeInformation(f, q),
            IrpRequest::SetVolumeInformation(s) => Op::SetVolumeInformation(f, s),
            IrpRequest::QueryDirectory(q) => Op::QueryDirectory(f, q),
            IrpRequest::Lock(l) => Op::Lock(f, l),
            IrpRequest::Unlock(u) => Op::Unlock(f, u),
            IrpRequest::ReadDirectoryChange(n) => Op::Notify(f, n),
            IrpRequest::QuerySecurity(q) => Op::QuerySecurity(f, q),
            IrpRequest::SetSecurity(s) => Op::SetSecurity(f, s),
            IrpRequest::FsControl(c) => Op::FsControl(f, c),
            IrpRequest::DeviceControl(c) => Op::DeviceControl(f, c),
            _ => return RemoteFuture::failed(&self.client.inner, NtStatus::NOT_SUPPORTED),
        };
        self.send(op, whole)
    }

    /// Reads up to `length` bytes at `offset`. End of file is `Err(STATUS_END_OF_FILE)`.
    pub fn read(&self, offset: u64, length: u32) -> RemoteFuture<Vec<u8>> {
        let request = ReadRequest {
            offset,
            length,
            key: None,
        };
        self.send(Op::Read(self.file, request), output)
    }

    /// Writes `data` at `offset` (or at the end with `WRITE_TO_END_OF_FILE`); returns the
    /// number of bytes written. More than the protocol's `MAX_DATA` in one write is
    /// STATUS_INVALID_PARAMETER.
    pub fn write(&self, offset: u64, data: impl Into<Bytes>) -> RemoteFuture<u64> {
        let data = data.into();
        if data.len() > MAX_DATA as usize {
            return RemoteFuture::failed(&self.client.inner, NtStatus::INVALID_PARAMETER);
        }
        let request = WriteRequest {
            offset,
            data,
            key: None,
        };
        self.send(Op::Write(self.file, request), information)
    }

    /// Flushes the file to stable storage.
    pub fn flush(&self) -> RemoteFuture<()> {
        self.send(Op::Flush(self.file), unit)
    }

    /// Queries a file information class; the buffer is in MS-FSCC layout.
    pub fn query_information(&self, class: FileInfoClass, length: u32) -> RemoteFuture<Vec<u8>> {
        let request = QueryInfoRequest { class, length };
        self.send(Op::QueryInformation(self.file, request), output)
    }

    /// Sets a file information class from a buffer in MS-FSCC layout.
    pub fn set_information(
        &self,
        class: FileInfoClass,
        data: impl Into<Bytes>,
    ) -> RemoteFuture<()> {
        let request = SetInfoRequest {
            class,
            data: data.into(),
        };
        self.send(Op::SetInformation(self.file, request), unit)
    }

    /// Reads directory entries.
    pub fn query_directory(&self, request: QueryDirectoryRequest) -> RemoteFuture<Vec<u8>> {
        self.send(Op::QueryDirectory(self.file, request), output)
    }

    /// Queries a volume information class.
    pub fn query_volume_information(
        &self,
        class: FsInfoClass,
        length: u32,
    ) -> RemoteFuture<Vec<u8>> {
        let request = QueryInfoRequest { class, length };
        self.send(Op::QueryVolumeInformation(self.file, request), output)
    }

    /// Sets a volume information class.
    pub fn set_volume_information(
        &self,
        class: FsInfoClass,
        data: impl Into<Bytes>,
    ) -> RemoteFuture<()> {
        let request = SetInfoRequest {
            class,
            data: data.into(),
        };
        self.send(Op::SetVolumeInformation(self.file, request), unit)
    }

    /// Takes a byte-range lock; a waiting lock stays pending until granted or cancelled.
    pub fn lock(&self, request: LockRequest) -> RemoteFuture<()> {
        self.send(Op::Lock(self.file, request), unit)
    }

    /// Releases a byte-range lock.
    pub fn unlock(&self, request: UnlockRequest) -> RemoteFuture<()> {
        self.send(Op::Unlock(self.file, request), unit)
    }

    /// Reads the parts of the security descriptor `info` names (self-relative bytes).
    pub fn query_security(&self, info: SecurityInformation, length: u32) -> RemoteFuture<Vec<u8>> {
        let request = QuerySecurityRequest { info, length };
        self.send(Op::QuerySecurity(self.file, request), output)
    }

    /// Replaces the parts of the security descriptor `info` names.
    pub fn set_security(
        &self,
        info: SecurityInformation,
        descriptor: impl Into<Bytes>,
    ) -> RemoteFuture<()> {
        let request = SetSecurityRequest {
            info,
            descriptor: descriptor.into(),
        };
        self.send(Op::SetSecurity(self.file, request), unit)
    }

    /// Waits for a change in this directory (or its subtree).
    pub fn read_directory_change(&self, request: NotifyRequest) -> RemoteFuture<Vec<u8>> {
        self.send(Op::Notify(self.file, request), output)
    }

    /// Sends a device I/O control.
    pub fn device_control(
        &self,
        code: u32,
        input: impl Into<Bytes>,
        max_output: u32,
    ) -> RemoteFuture<Vec<u8>> {
        self.control(Op::DeviceControl, code, input.into(), max_output)
    }

    /// Sends a file-system control (FSCTL).
    pub fn fs_control(
        &self,
        code: u32,
        input: impl Into<Bytes>,
        max_output: u32,
    ) -> RemoteFuture<Vec<u8>> {
        self.control(Op::FsControl, code, input.into(), max_output)
    }

    fn control(
        &self,
        kind: fn(FileId, ControlRequest) -> Op,
        code: u32,
        input: Bytes,
        max_output: u32,
    ) -> RemoteFuture<Vec<u8>> {
        let request = ControlRequest {
            code,
            input,
            max_output,
        };
        self.send(kind(self.file, request), output)
    }

    /// Closes the file: the daemon cancels its IRPs that wait for an event, sends the
    /// close IRP and waits for it. Returns the close's status.
    pub async fn close(self) -> NtStatus {
        match self.start_close().await {
            Ok(r) => r.status,
            Err(status) => status,
        }
    }

    /// Sends the close without giving the file up (for a driver whose file object owns
    /// this file, see [`crate::DaemonDriver`]); a second close fails with
    /// STATUS_FILE_CLOSED, and so do requests the daemon gets after it (with
    /// STATUS_INVALID_HANDLE).
    pub fn start_close(&self) -> RemoteFuture<IrpResult> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return RemoteFuture::failed(&self.client.inner, NtStatus::FILE_CLOSED);
        }
        self.send(Op::Close(self.file), whole)
    }
}

impl Drop for RemoteFile {
    fn drop(&mut self) {
        if !self.closed.load(Ordering::Acquire) {
            // Fire and forget: the answer finds no waiter and is discarded.
            if let Ok((id, _)) = self.client.inner.start(Op::Close(self.file)) {
                self.client.inner.pending.lock().waiters.remove(&id);
            }
        }
    }
}
