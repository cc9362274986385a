//! File handles: the caller's side of an open file, with one typed method per request.
//!
//! Every method sends its IRP at once and returns an [`IoFuture`], which is ready
//! immediately when the driver completed synchronously.
//! Results follow one rule ([`IrpResult::into_result`]): success, and STATUS_BUFFER_OVERFLOW
//! with its partial data, are `Ok`; anything else, STATUS_NO_MORE_FILES included, is `Err`. Callers that need
//! the exact status use [`FileHandle::call`], which returns the whole [`IrpResult`].
//!
//! Dropping a handle closes the file in the background; [`FileHandle::close`] closes it and
//! waits for the driver.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::file::FileObject;
use crate::irp::future::{Held, Outcome};
use crate::irp::{
    ControlRequest, CreateAction, FileInfoClass, FsInfoClass, IrpFuture, IrpRequest, IrpResult,
    LockRequest, NotifyRequest, QueryDirectoryRequest, QueryInfoRequest, QuerySecurityRequest,
    ReadRequest, SetInfoRequest, SetSecurityRequest, UnlockRequest, WriteRequest,
};
use crate::manager::IoManager;
use crate::security::SecurityInformation;
use crate::status::NtStatus;

/// An open file: the only way to send IRPs other than create.
pub struct FileHandle {
    file: Arc<FileObject>,
    io: IoManager,
    action: CreateAction,
}

#[inline]
fn output(result: IrpResult) -> Result<Vec<u8>, NtStatus> {
    result.into_result().map(|r| r.output)
}

#[inline]
fn unit(result: IrpResult) -> Result<(), NtStatus> {
    result.into_result().map(|_| ())
}

#[inline]
fn information(result: IrpResult) -> Result<u64, NtStatus> {
    result.into_result().map(|r| r.information)
}

/// The typed result of one request on a [`FileHandle`]. The IRP is sent when the method is
/// called, not when the future is first polled (as Windows issues I/O at the call);
/// dropping the future before it resolves cancels the IRP.
///
/// An IRP completed at once leaves the future holding its typed result (made when the
/// method returns, so awaiting it moves only that); a pended one leaves it holding the
/// completion slot.
#[must_use = "the IRP is already sent; await the future for its result"]
pub struct IoFuture<T> {
    state: Held<Result<T, NtStatus>>,
    map: fn(IrpResult) -> Result<T, NtStatus>,
}

// The future never pins its value: it moves the result out when it resolves.
impl<T> Unpin for IoFuture<T> {}

impl<T> IoFuture<T> {
    #[inline(always)]
    fn new(irp: Outcome<IrpResult>, map: fn(IrpResult) -> Result<T, NtStatus>) -> Self {
        let state = match irp {
            Outcome::Ready(result) => Outcome::Ready(map(result)),
            Outcome::Waiting(shared) => Outcome::Waiting(shared),
            Outcome::Taken => Outcome::Ready(Err(NtStatus::INTERNAL_ERROR)),
        };
        IoFuture {
            state: Held::new(state),
            map,
        }
    }

    /// A handle that can cancel the IRP from elsewhere; `None` when it already completed.
    pub fn canceller(&self) -> Option<crate::irp::IrpCanceller> {
        self.state
            .waiting()
            .map(|shared| crate::irp::IrpCanceller::on(Arc::clone(shared)))
    }
}

impl<T> Future for IoFuture<T> {
    type Output = Result<T, NtStatus>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.state.take() {
            Outcome::Ready(result) => Poll::Ready(result),
            Outcome::Waiting(shared) => this.state.poll_waiting(shared, cx, this.map),
            Outcome::Taken => Poll::Ready(Err(NtStatus::INTERNAL_ERROR)),
        }
    }
}

impl FileHandle {
    pub(crate) fn new(file: Arc<FileObject>, io: IoManager, action: CreateAction) -> Self {
        FileHandle { file, io, action }
    }

    pub(crate) fn file_arc(&self) -> &Arc<FileObject> {
        &self.file
    }

    /// The file object behind the handle.
    pub fn file(&self) -> &FileObject {
        &self.file
    }

    /// What the create did (opened, created, overwritten, superseded).
    pub fn create_action(&self) -> CreateAction {
        self.action
    }

    /// The manager the file belongs to.
    pub fn io(&self) -> &IoManager {
        &self.io
    }

    /// Sends any request and returns the whole result (status, information, output).
    #[inline]
    pub fn call(&self, request: IrpRequest) -> IrpFuture {
        self.io.call_file(&self.file, request)
    }

    /// Sends a request for a typed method.
    #[inline(always)]
    fn send(&self, request: IrpRequest) -> Outcome<IrpResult> {
        self.io.call_file_outcome(&self.file, request)
    }

    /// Reads up to `length` bytes at `offset`. End of file is `Err(STATUS_END_OF_FILE)`.
    #[inline]
    pub fn read(&self, offset: u64, length: u32) -> IoFuture<Vec<u8>> {
        let request = ReadRequest {
            offset,
            length,
            key: None,
        };
        IoFuture::new(self.send(IrpRequest::Read(request)), output)
    }

    /// Writes `data` at `offset` (or at the end with `WRITE_TO_END_OF_FILE`); returns the
    /// number of bytes written.
    pub fn write(&self, offset: u64, data: impl Into<Bytes>) -> IoFuture<u64> {
        let request = WriteRequest {
            offset,
            data: data.into(),
            key: None,
        };
        IoFuture::new(self.send(IrpRequest::Write(request)), information)
    }

    /// Flushes the file to stable storage.
    pub fn flush(&self) -> IoFuture<()> {
        IoFuture::new(self.send(IrpRequest::Flush), unit)
    }

    /// Queries a file information class; the buffer is in MS-FSCC layout.
    pub fn query_information(&self, class: FileInfoClass, length: u32) -> IoFuture<Vec<u8>> {
        let request = QueryInfoRequest { class, length };
        IoFuture::new(self.send(IrpRequest::QueryInformation(request)), output)
    }

    /// Sets a file information class from a buffer in MS-FSCC layout.
    pub fn set_information(&self, class: FileInfoClass, data: impl Into<Bytes>) -> IoFuture<()> {
        let request = SetInfoRequest {
            class,
            data: data.into(),
        };
        IoFuture::new(self.send(IrpRequest::SetInformation(request)), unit)
    }

    /// Reads directory entries.
    pub fn query_directory(&self, request: QueryDirectoryRequest) -> IoFuture<Vec<u8>> {
        IoFuture::new(self.send(IrpRequest::QueryDirectory(request)), output)
    }

    /// Queries a volume information class.
    pub fn query_volume_information(&self, class: FsInfoClass, length: u32) -> IoFuture<Vec<u8>> {
        let request = QueryInfoRequest { class, length };
        IoFuture::new(
            self.send(IrpRequest::QueryVolumeInformation(request)),
            output,
        )
    }

    /// Sets a volume information class.
    pub fn set_volume_information(
        &self,
        class: FsInfoClass,
        data: impl Into<Bytes>,
    ) -> IoFuture<()> {
        let request = SetInfoRequest {
            class,
            data: data.into(),
        };
        IoFuture::new(self.send(IrpRequest::SetVolumeInformation(request)), unit)
    }

    /// Takes a byte-range lock; a waiting lock stays pending until granted or cancelled.
    pub fn lock(&self, request: LockRequest) -> IoFuture<()> {
        IoFuture::new(self.send(IrpRequest::Lock(request)), unit)
    }

    /// Releases a byte-range lock.
    pub fn unlock(&self, request: UnlockRequest) -> IoFuture<()> {
        IoFuture::new(self.send(IrpRequest::Unlock(request)), unit)
    }

    /// Reads the parts of the security descriptor `info` names (self-relative bytes).
    pub fn query_security(&self, info: SecurityInformation, length: u32) -> IoFuture<Vec<u8>> {
        let request = QuerySecurityRequest { info, length };
        IoFuture::new(self.send(IrpRequest::QuerySecurity(request)), output)
    }

    /// Replaces the parts of the security descriptor `info` names.
    pub fn set_security(
        &self,
        info: SecurityInformation,
        descriptor: impl Into<Bytes>,
    ) -> IoFuture<()> {
        let request = SetSecurityRequest {
            info,
            descriptor: descriptor.into(),
        };
        IoFuture::new(self.send(IrpRequest::SetSecurity(request)), unit)
    }

    /// Waits for a change in this directory (or its subtree).
    pub fn read_directory_change(&self, request: NotifyRequest) -> IoFuture<Vec<u8>> {
        IoFuture::new(self.send(IrpRequest::ReadDirectoryChange(request)), output)
    }

    /// Sends a device I/O control.
    pub fn device_control(
        &self,
        code: u32,
        input: impl Into<Bytes>,
        max_output: u32,
    ) -> IoFuture<Vec<u8>> {
        let request = ControlRequest {
            code,
            input: input.into(),
            max_output,
        };
        IoFuture::new(self.send(IrpRequest::DeviceControl(request)), output)
    }

    /// Sends a file-system control (FSCTL).
    pub fn fs_control(
        &self,
        code: u32,
        input: impl Into<Bytes>,
        max_output: u32,
    ) -> IoFuture<Vec<u8>> {
        let request = ControlRequest {
            code,
            input: input.into(),
            max_output,
        };
        IoFuture::new(self.send(IrpRequest::FsControl(request)), output)
    }

    /// Requests cancellation of the IRPs pending on this file that wait for an event (a
    /// lock, a change, a pipe peer), as a close does; returns how many. Work a driver
    /// queued on a work queue finishes, as Windows' cleanup leaves it; to cancel that too
    /// (CancelIoEx), use [`IoManager::cancel_file`].
    pub fn cancel(&self) -> usize {
        self.file.cancel_waiting()
    }

    /// Closes the handle: cancels its IRPs that wait for an event (a lock, a change, a pipe
    /// peer; work queued on a driver's work queue finishes), sends the cleanup IRP and
    /// waits for it (what the handle held against other opens is released when this
    /// returns), as NtClose does. The close IRP follows once every IRP still pending on
    /// the file has completed. The cleanup's status.
    pub async fn close(self) -> NtStatus {
        let Some(close) = self.io.start_close(&self.file) else {
            return NtStatus::FILE_CLOSED;
        };
        close.await.status
    }
}

impl FileHandle {
    /// Closes the handle as [`close`](Self::close) does, and sends `then` (a query) on the
    /// file after its cleanup, before its close: what the cleanup changed shows (an SMB2
    /// CLOSE with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB, MS-SMB2 3.3.5.10). The cleanup's status
    /// and `then`'s result; `then` needs the access it would need on the open handle
    /// (STATUS_ACCESS_DENIED) and may not be a create, cleanup or close
    /// (STATUS_INVALID_PARAMETER).
    pub async fn close_then(self, then: IrpRequest) -> (NtStatus, IrpResult) {
        let Some((cleanup, answer)) = self.io.start_close_then(&self.file, then) else {
            return (NtStatus::FILE_CLOSED, IrpResult::new(NtStatus::FILE_CLOSED));
        };
        let status = cleanup.await.status;
        (status, answer.await)
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        if let Some(cleanup) = self.io.start_close(&self.file) {
            // The close IRP follows by itself; nobody waits for the cleanup's result.
            cleanup.on_complete(|_| {});
        }
    }
}

impl std::fmt::Debug for FileHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHandle")
            .field("file", &self.file)
            .field("action", &self.action)
            .finish()
    }
}
