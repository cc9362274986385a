//! A DCE/RPC client over a named pipe of the I/O manager (ncacn_np, MS-RPCE 3.3.2): for
//! tests, tools and the redirector.
//!
//! [`RpcClient::open`] opens `/npfs/NAME` and puts the handle in message read mode;
//! [`RpcClient::bind`] binds one interface with NDR 2.0; [`RpcClient::call`] sends a
//! request — fragmented to the negotiated `max_xmit_frag`, the last fragment by
//! FSCTL_PIPE_TRANSCEIVE as Windows does — and reassembles the response fragments. A fault
//! comes back as [`ClientError::Fault`]. The methods are runtime-agnostic futures; drive
//! them with any executor or [`lwio_core::block_on`]. No authentication.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, FileInfoClass,
    IoManager, NtStatus,
};
use lwio_npfs::{
    CompletionMode, FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_WAIT, PipeInformation, PipeWaitRequest,
    ReadMode,
};
use thiserror::Error;

use crate::pdu::{
    self, Bind, ContextResultCode, FaultStatus, HEADER_LEN, Pdu, PduBody, PduHeader, PfcFlags,
    PresentationContext, RejectReason, Request,
};
use crate::server::DEFAULT_MAX_FRAG;
use crate::{NDR20_SYNTAX, RpcError, SyntaxId};

/// The largest output asked of one read or transceive: any fragment fits.
const READ_LEN: u32 = 1 << 16;

/// How long [`RpcClient::open_with`] waits for a busy pipe: 5 seconds.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// One FSCTL_PIPE_WAIT of the open loop.
const OPEN_WAIT_STEP: Duration = Duration::from_millis(200);

/// Bytes of a request PDU before its stub (no object UUID).
const REQUEST_OVERHEAD: usize = HEADER_LEN + 8;

/// A client-side failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The pipe operation failed.
    #[error("pipe I/O failed: {0:?}")]
    Io(NtStatus),
    /// The server answered the bind with bind_nak.
    #[error("bind refused: {0:?}")]
    BindNak(RejectReason),
    /// The server refused the presentation context.
    #[error("presentation context refused: {result:?}, reason {reason}")]
    ContextRejected {
        /// The result code.
        result: ContextResultCode,
        /// The provider reason.
        reason: u16,
    },
    /// The call faulted.
    #[error("call faulted: {0:?}")]
    Fault(FaultStatus),
    /// The server's answer did not decode or broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(#[from] RpcError),
    /// No bind has succeeded yet.
    #[error("not bound")]
    NotBound,
}

impl From<NtStatus> for ClientError {
    fn from(s: NtStatus) -> ClientError {
        ClientError::Io(s)
    }
}

/// A client connection on one pipe.
#[derive(Debug)]
pub struct RpcClient {
    pipe: FileHandle,
    next_call_id: u32,
    next_context_id: u16,
    max_xmit: u16,
    max_recv: u16,
    assoc_group_id: u32,
    contexts: Vec<(u16, SyntaxId)>,
    inbuf: Vec<u8>,
}

impl RpcClient {
    /// Opens pipe `path` (`/npfs/srvsvc`) as `token`.
    pub async fn open(
        io: &IoManager,
        path: &str,
        token: Arc<AccessToken>,
    ) -> Result<RpcClient, ClientError> {
        let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
        Self::open_with(
            io,
            path,
            CreateRequest::new(token, rw, CreateDisposition::OPEN),
        )
        .await
    }

    /// Opens pipe `path` with a prepared create (to attach a `PipeClientInfo` ECP).
    ///
    /// When every instance is busy (STATUS_PIPE_NOT_AVAILABLE, Win32 ERROR_PIPE_BUSY) it
    /// waits for one with FSCTL_PIPE_WAIT on the device root and tries again, as
    /// `CreateFile` then `WaitNamedPipe` do, for up to [`OPEN_TIMEOUT`].
    pub async fn open_with(
        io: &IoManager,
        path: &str,
        request: CreateRequest,
    ) -> Result<RpcClient, ClientError> {
        let deadline = Instant::now() + OPEN_TIMEOUT;
        loop {
            match io.create_file(path, request.clone()).await {
                Ok(pipe) => return Self::from_handle(pipe).await,
                Err(s) if s == NtStatus::PIPE_NOT_AVAILABLE => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ClientError::Io(s));
                    }
                    let (root, name) = path.rsplit_once('/').unwrap_or(("", path));
                    let root = io.create_file(root, request.clone()).await?;
                    let wait = PipeWaitRequest::new(name, Some(left.min(OPEN_WAIT_STEP)));
                    // A timeout here just means: try the open again.
                    let _ = root.fs_control(FSCTL_PIPE_WAIT, wait.encode(), 0).await;
                }
                Err(s) => return Err(ClientError::Io(s)),
            }
        }
    }

    /// Wraps an open client end, switching it to message read mode.
    pub async fn from_handle(pipe: FileHandle) -> Result<RpcClient, ClientError> {
        let modes = PipeInformation {
            read_mode: ReadMode::Message,
            completion_mode: CompletionMode::Queue,
        };
        pipe.set_information(FileInfoClass::PIPE, modes.encode())
            .await?;
        Ok(RpcClient {
            pipe,
            next_call_id: 1,
            next_context_id: 0,
            max_xmit: DEFAULT_MAX_FRAG,
            max_recv: DEFAULT_MAX_FRAG,
            assoc_group_id: 0,
            contexts: Vec::new(),
            inbuf: Vec::new(),
        })
    }

    /// The association group the server assigned (zero before bind).
    pub fn assoc_group_id(&self) -> u32 {
        self.assoc_group_id
    }

    /// The negotiated largest fragment this client sends.
    pub fn max_xmit_frag(&self) -> u16 {
        self.max_xmit
    }

    /// The pipe handle.
    pub fn pipe(&self) -> &FileHandle {
        &self.pipe
    }

    fn call_id(&mut self) -> u32 {
        let id = self.next_call_id;
        self.next_call_id = self.next_call_id.wrapping_add(1).max(1);
        id
    }

    /// Binds `syntax` with NDR 2.0; returns the presentation context id.
    pub async fn bind(&mut self, syntax: SyntaxId) -> Result<u16, ClientError> {
        let context_id = self.next_context_id;
        let bind = Bind {
            max_xmit_frag: DEFAULT_MAX_FRAG,
            max_recv_frag: DEFAULT_MAX_FRAG,
            assoc_group_id: 0,
            contexts: vec![PresentationContext {
                context_id,
                abstract_syntax: syntax,
                transfer_syntaxes: vec![NDR20_SYNTAX],
            }],
        };
        let reply = self.exchange(PduBody::Bind(bind)).await?;
        match reply.body {
            PduBody::BindAck(ack) => {
                self.max_recv = ack.max_xmit_frag;
                self.max_xmit = ack.max_recv_frag;
                self.assoc_group_id = ack.assoc_group_id;
                self.accept(context_id, syntax, &ack.results)
            }
            PduBody::BindNak(nak) => Err(ClientError::BindNak(nak.reject_reason)),
            _ => Err(RpcError::Invalid("unexpected answer to bind").into()),
        }
    }

    /// Adds `syntax` on the bound connection (alter_context); returns its context id.
    pub async fn alter_context(&mut self, syntax: SyntaxId) -> Result<u16, ClientError> {
        if self.contexts.is_empty() && self.assoc_group_id == 0 {
            return Err(ClientError::NotBound);
        }
        let context_id = self.next_context_id;
        let bind = Bind {
            max_xmit_frag: self.max_xmit,
            max_recv_frag: self.max_recv,
            assoc_group_id: self.assoc_group_id,
            contexts: vec![PresentationContext {
                context_id,
                abstract_syntax: syntax,
                transfer_syntaxes: vec![NDR20_SYNTAX],
            }],
        };
        let reply = self.exchange(PduBody::AlterContext(bind)).await?;
        match reply.body {
            PduBody::AlterContextResp(ack) => self.accept(context_id, syntax, &ack.results),
            PduBody::BindNak(nak) => Err(ClientError::BindNak(nak.reject_reason)),
            PduBody::Fault(f) => Err(ClientError::Fault(f.status)),
            _ => Err(RpcError::Invalid("unexpected answer to alter_context").into()),
        }
    }

    fn accept(
        &mut self,
        context_id: u16,
        syntax: SyntaxId,
        results: &[pdu::ContextResult],
    ) -> Result<u16, ClientError> {
        self.next_context_id = self.next_context_id.wrapping_add(1);
        let r = results
            .first()
            .ok_or(RpcError::Invalid("empty result list"))?;
        if r.result != ContextResultCode::ACCEPTANCE {
            return Err(ClientError::ContextRejected {
                result: r.result,
                reason: r.reason,
            });
        }
        self.contexts.push((context_id, syntax));
        Ok(context_id)
    }

    /// Sends one PDU body as a single FIRST|LAST fragment with a new call id by
    /// FSCTL_PIPE_TRANSCEIVE and returns the first fragment of the answer: the raw
    /// exchange for binds and tests.
    pub async fn exchange(&mut self, body: PduBody) -> Result<Pdu, ClientError> {
        let call_id = self.call_id();
        let bytes = pdu::try_encode(&Pdu::new(call_id, PfcFlags::FIRST_AND_LAST, body))?;
        self.transceive(bytes).await?;
        self.recv_pdu().await
    }

    /// Calls `opnum` on the first bound context.
    pub async fn call(&mut self, opnum: u16, stub: &[u8]) -> Result<Vec<u8>, ClientError> {
        let context_id = self.contexts.first().ok_or(ClientError::NotBound)?.0;
        self.call_on(context_id, opnum, stub).await
    }

    /// Calls `opnum` on presentation context `context_id`.
    pub async fn call_on(
        &mut self,
        context_id: u16,
        opnum: u16,
        stub: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        let call_id = self.call_id();
        let room = (usize::from(self.max_xmit).saturating_sub(REQUEST_OVERHEAD) & !7).max(8);
        let mut offset = 0;
        loop {
            let end = (offset + room).min(stub.len());
            let mut flags = PfcFlags::NONE;
            if offset == 0 {
                flags = flags.with(PfcFlags::FIRST_FRAG);
            }
            let last = end == stub.len();
            if last {
                flags = flags.with(PfcFlags::LAST_FRAG);
            }
            let request = Request {
                alloc_hint: u32::try_from(stub.len() - offset).unwrap_or(u32::MAX),
                context_id,
                opnum,
                object: None,
                stub: stub[offset..end].to_vec(),
            };
            let bytes = pdu::try_encode(&Pdu::new(call_id, flags, PduBody::Request(request)))?;
            if last {
                self.transceive(bytes).await?;
                break;
            }
            self.pipe.write(0, bytes).await?;
            offset = end;
        }
        self.read_response(call_id).await
    }

    async fn read_response(&mut self, call_id: u32) -> Result<Vec<u8>, ClientError> {
        let mut stub = Vec::new();
        let mut first = true;
        loop {
            let pdu = self.recv_pdu().await?;
            if pdu.call_id != call_id {
                return Err(RpcError::Invalid("response for another call").into());
            }
            if first != pdu.flags.contains(PfcFlags::FIRST_FRAG) {
                return Err(RpcError::FragmentSequence("response FIRST flag").into());
            }
            first = false;
            match pdu.body {
                PduBody::Response(r) => stub.extend_from_slice(&r.stub),
                PduBody::Fault(f) => return Err(ClientError::Fault(f.status)),
                _ => return Err(RpcError::Invalid("unexpected PDU in a response").into()),
            }
            if pdu.flags.contains(PfcFlags::LAST_FRAG) {
                return Ok(stub);
            }
        }
    }

    async fn transceive(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        let reply = self
            .pipe
            .fs_control(FSCTL_PIPE_TRANSCEIVE, Bytes::from(bytes), READ_LEN)
            .await?;
        self.inbuf.extend_from_slice(&reply);
        Ok(())
    }

    /// Writes raw bytes to the pipe (tests of malformed input).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.pipe.write(0, bytes).await?;
        Ok(())
    }

    /// Reads the next whole fragment from the pipe and decodes it.
    pub async fn recv_pdu(&mut self) -> Result<Pdu, ClientError> {
        loop {
            if self.inbuf.len() >= HEADER_LEN {
                let header = PduHeader::decode(&self.inbuf[..HEADER_LEN])?;
                let len = usize::from(header.frag_length);
                if len < HEADER_LEN {
                    return Err(RpcError::Invalid("frag_length shorter than the header").into());
                }
                if self.inbuf.len() >= len {
                    let pdu = pdu::decode(&self.inbuf[..len]);
                    self.inbuf.drain(..len);
                    return Ok(pdu?);
                }
            }
            let more = self.pipe.read(0, READ_LEN).await?;
            self.inbuf.extend_from_slice(&more);
        }
    }
}
