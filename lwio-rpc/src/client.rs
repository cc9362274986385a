//! A DCE/RPC client over a named pipe of the I/O manager (ncacn_np, MS-RPCE 3.3.2): for
//! tests, tools and the redirector.
//!
//! [`RpcClient::open`] opens `/npfs/NAME` and puts the handle in message read mode;
//! [`RpcClient::bind`] binds one interface with NDR 2.0; [`RpcClient::call`] sends a
//! request — fragmented to the negotiated `max_xmit_frag`, the last fragment by
//! FSCTL_PIPE_TRANSCEIVE as Windows does — and reassembles the response fragments. A fault
//! comes back as [`ClientError::Fault`]. The methods are runtime-agnostic futures; drive
//! them with any executor or [`lwio_core::block_on`].
//!
//! [`RpcClient::bind_authenticated`] binds with NTLMSSP, raw or inside SPNEGO, at any
//! level from CONNECT to PKT_PRIVACY (MS-RPCE 3.3.1.5.2): NEGOTIATE in the bind,
//! CHALLENGE in the bind_ack, AUTHENTICATE in rpc_auth_3 (NTLM) or in an alter_context
//! whose answer carries the server's mechListMIC (SPNEGO). Calls are then signed or
//! sealed fragment by fragment, and answers checked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lwio_auth::ntlm::{NtlmClient, NtlmCredentials, NtlmSession, Role};
use lwio_auth::spnego::{self, GssToken, NegState, NegTokenInit, NegTokenResp, Oid};
use lwio_core::pipe::{CompletionMode, CtlCode, PipeInformation, PipeWaitRequest, ReadMode};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, FileHandle, FileInfoClass,
    IoManager, NtStatus,
};
use thiserror::Error;

use crate::ndr::ByteOrder;
use crate::pdu::{
    self, AuthLevel, AuthType, AuthVerifier, Bind, ContextResultCode, FaultStatus, HEADER_LEN, Pdu,
    PduBody, PduHeader, PduType, PfcFlags, PresentationContext, RejectReason, Request,
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
    /// The authentication exchange failed on this side, or the server's signature did
    /// not verify.
    #[error("authentication failed: {0}")]
    Auth(String),
}

/// The security context of an authenticated client connection.
struct ClientSecurity {
    auth_type: AuthType,
    level: AuthLevel,
    context_id: u32,
    session: NtlmSession,
}

impl std::fmt::Debug for ClientSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecurity")
            .field("auth_type", &self.auth_type)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl ClientSecurity {
    fn verifier(&self, stub_len: usize, value: Vec<u8>) -> AuthVerifier {
        AuthVerifier {
            auth_type: self.auth_type,
            auth_level: self.level,
            pad_length: pdu::auth_pad_length(stub_len),
            reserved: 0,
            context_id: self.context_id,
            value,
        }
    }
}

fn auth_error(e: impl std::fmt::Display) -> ClientError {
    ClientError::Auth(e.to_string())
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
    security: Option<ClientSecurity>,
    order: ByteOrder,
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
                    let _ = root
                        .fs_control(CtlCode::FSCTL_PIPE_WAIT.into(), wait.encode(), 0)
                        .await;
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
        Ok(Self::in_message_mode(pipe))
    }

    /// Wraps an open client end that already reads messages, leaving its modes alone: a
    /// pipe opened over SMB2, whose server puts it in message mode, and which some servers
    /// (Samba's smbd) refuse to set FilePipeInformation on (STATUS_NOT_SUPPORTED).
    pub fn in_message_mode(pipe: FileHandle) -> RpcClient {
        RpcClient {
            pipe,
            next_call_id: 1,
            next_context_id: 0,
            max_xmit: DEFAULT_MAX_FRAG,
            max_recv: DEFAULT_MAX_FRAG,
            assoc_group_id: 0,
            contexts: Vec::new(),
            inbuf: Vec::new(),
            security: None,
            order: ByteOrder::LittleEndian,
        }
    }

    /// Sends every later PDU in `order` (the `drep` says so). Stubs passed to the call
    /// methods must already be in that order; answers are read in whatever order the
    /// server chose.
    pub fn set_byte_order(&mut self, order: ByteOrder) {
        self.order = order;
    }

    /// Encodes a PDU in this client's byte order.
    fn encode(&self, pdu: &Pdu) -> Result<Vec<u8>, ClientError> {
        let mut bytes = pdu::try_encode(pdu)?;
        if self.order == ByteOrder::BigEndian {
            pdu::to_big_endian(&mut bytes)?;
        }
        Ok(bytes)
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

    /// The pipe handle, the client done with (to close it and wait for the close).
    pub fn into_pipe(self) -> FileHandle {
        self.pipe
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

    /// Binds `syntax` with an authenticated bind: NTLMSSP (`auth_type`
    /// [`AuthType::WINNT`]) or SPNEGO/NTLMSSP ([`AuthType::GSS_NEGOTIATE`]) at `level`,
    /// logging on with `creds`. Returns the presentation context id.
    pub async fn bind_authenticated(
        &mut self,
        syntax: SyntaxId,
        creds: NtlmCredentials,
        auth_type: AuthType,
        level: AuthLevel,
    ) -> Result<u16, ClientError> {
        const AUTH_CONTEXT_ID: u32 = 1;
        let spnego = match auth_type {
            AuthType::WINNT => false,
            AuthType::GSS_NEGOTIATE => true,
            _ => return Err(ClientError::Auth("unsupported auth type".into())),
        };
        let mut ntlm = NtlmClient::new(creds);
        let negotiate = ntlm.negotiate();
        let mech_types = vec![Oid::ntlmssp()];
        let first = if spnego {
            NegTokenInit {
                mech_types: mech_types.clone(),
                mech_token: Some(negotiate),
                ..NegTokenInit::default()
            }
            .encode()
        } else {
            negotiate
        };
        let verifier = |value: Vec<u8>| AuthVerifier {
            auth_type,
            auth_level: level,
            pad_length: 0,
            reserved: 0,
            context_id: AUTH_CONTEXT_ID,
            value,
        };
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
        let call_id = self.call_id();
        let pdu = Pdu {
            call_id,
            flags: PfcFlags::FIRST_AND_LAST.with(PfcFlags::SUPPORT_HEADER_SIGN),
            body: PduBody::Bind(bind),
            auth: Some(verifier(first)),
        };
        self.transceive(self.encode(&pdu)?).await?;
        let reply = self.recv_pdu().await?;
        let ack = match reply.body {
            PduBody::BindAck(ack) => ack,
            PduBody::BindNak(nak) => return Err(ClientError::BindNak(nak.reject_reason)),
            _ => return Err(RpcError::Invalid("unexpected answer to bind").into()),
        };
        let token = reply
            .auth
            .ok_or_else(|| ClientError::Auth("bind_ack without a verifier".into()))?
            .value;
        let challenge = if spnego {
            match GssToken::decode(&token).map_err(auth_error)? {
                GssToken::Resp(r) if r.neg_state == Some(NegState::ACCEPT_INCOMPLETE) => r
                    .response_token
                    .ok_or_else(|| ClientError::Auth("no CHALLENGE".into()))?,
                _ => return Err(ClientError::Auth("unexpected SPNEGO answer".into())),
            }
        } else {
            token
        };
        let now = lwio_auth::ntlm::server::system_filetime();
        let done = ntlm.authenticate(&challenge, now).map_err(auth_error)?;
        let mut session =
            NtlmSession::new(&done.session_key, done.flags, Role::Client).map_err(auth_error)?;
        self.max_recv = ack.max_xmit_frag;
        self.max_xmit = ack.max_recv_frag;
        self.assoc_group_id = ack.assoc_group_id;
        if spnego {
            let list = spnego::mech_type_list(&mech_types);
            let mic = session.sign(&list).to_vec();
            let last = NegTokenResp {
                neg_state: None,
                supported_mech: None,
                response_token: Some(done.message),
                mech_list_mic: Some(mic),
            }
            .encode();
            let alter = Bind {
                max_xmit_frag: self.max_xmit,
                max_recv_frag: self.max_recv,
                assoc_group_id: self.assoc_group_id,
                contexts: vec![PresentationContext {
                    context_id,
                    abstract_syntax: syntax,
                    transfer_syntaxes: vec![NDR20_SYNTAX],
                }],
            };
            let call_id = self.call_id();
            let pdu = Pdu {
                call_id,
                flags: PfcFlags::FIRST_AND_LAST,
                body: PduBody::AlterContext(alter),
                auth: Some(verifier(last)),
            };
            self.transceive(self.encode(&pdu)?).await?;
            let reply = self.recv_pdu().await?;
            match reply.body {
                PduBody::AlterContextResp(_) => {}
                PduBody::Fault(f) => return Err(ClientError::Fault(f.status)),
                PduBody::BindNak(nak) => return Err(ClientError::BindNak(nak.reject_reason)),
                _ => return Err(RpcError::Invalid("unexpected answer to alter_context").into()),
            }
            let token = reply
                .auth
                .ok_or_else(|| ClientError::Auth("no final SPNEGO token".into()))?
                .value;
            let GssToken::Resp(fin) = GssToken::decode(&token).map_err(auth_error)? else {
                return Err(ClientError::Auth("unexpected SPNEGO answer".into()));
            };
            if fin.neg_state != Some(NegState::ACCEPT_COMPLETED) {
                return Err(ClientError::Auth("SPNEGO not completed".into()));
            }
            let server_mic = fin
                .mech_list_mic
                .ok_or_else(|| ClientError::Auth("no server mechListMIC".into()))?;
            session.verify(&list, &server_mic).map_err(auth_error)?;
            session.restart_streams();
        } else {
            let call_id = self.call_id();
            let pdu = Pdu {
                call_id,
                flags: PfcFlags::FIRST_AND_LAST,
                body: PduBody::Auth3,
                auth: Some(verifier(done.message)),
            };
            self.pipe.write(0, self.encode(&pdu)?).await?;
        }
        self.security = Some(ClientSecurity {
            auth_type,
            level,
            context_id: AUTH_CONTEXT_ID,
            session,
        });
        self.accept(context_id, syntax, &ack.results)
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
        let bytes = self.encode(&Pdu::new(call_id, PfcFlags::FIRST_AND_LAST, body))?;
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
        let call_id = self.send_request(context_id, opnum, stub, true).await?;
        let (answered, stub) = self.recv_answer().await?;
        if answered != call_id {
            return Err(RpcError::Invalid("response for another call").into());
        }
        Ok(stub)
    }

    /// Sends a call of `opnum` on the first bound context without waiting for its
    /// answer; returns its `call_id`. Collect the answers with
    /// [`RpcClient::recv_answer`]: the server may answer calls in any order.
    pub async fn send_call(&mut self, opnum: u16, stub: &[u8]) -> Result<u32, ClientError> {
        let context_id = self.contexts.first().ok_or(ClientError::NotBound)?.0;
        self.send_request(context_id, opnum, stub, false).await
    }

    /// Writes the request fragments of a new call (the last one by
    /// FSCTL_PIPE_TRANSCEIVE when `transceive`); returns the call id.
    async fn send_request(
        &mut self,
        context_id: u16,
        opnum: u16,
        stub: &[u8],
        transceive: bool,
    ) -> Result<u32, ClientError> {
        let call_id = self.call_id();
        let protect = self.protection_level();
        let overhead = match protect {
            Some(_) => REQUEST_OVERHEAD + pdu::PROTECTION_OVERHEAD,
            None => REQUEST_OVERHEAD,
        };
        let room = (usize::from(self.max_xmit).saturating_sub(overhead) & !15).max(16);
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
            let mut pdu = Pdu::new(call_id, flags, PduBody::Request(request));
            if let (Some(_), Some(sec)) = (protect, &self.security) {
                pdu.auth = Some(sec.verifier(end - offset, vec![0; pdu::NTLM_SIGNATURE_LEN]));
            }
            let mut bytes = self.encode(&pdu)?;
            if let (Some(level), Some(sec)) = (protect, &mut self.security) {
                pdu::protect_fragment(&mut bytes, level, &mut sec.session).map_err(auth_error)?;
            }
            if last && transceive {
                self.transceive(bytes).await?;
                return Ok(call_id);
            }
            self.pipe.write(0, bytes).await?;
            if last {
                return Ok(call_id);
            }
            offset = end;
        }
    }

    /// Reads the next whole answer, of whichever call, checking its fragments'
    /// signatures on a protected connection; returns its `call_id` and stub. A fault
    /// is [`ClientError::Fault`].
    pub async fn recv_answer(&mut self) -> Result<(u32, Vec<u8>), ClientError> {
        let mut stub = Vec::new();
        let mut call_id = None;
        loop {
            let mut frag = self.recv_fragment().await?;
            if let (Some(level), Some(sec)) = (self.protection_level(), &mut self.security)
                && PduHeader::peek(&frag).map(|(t, _)| t) == Some(PduType::RESPONSE)
            {
                pdu::unprotect_fragment(&mut frag, level, &mut sec.session).map_err(auth_error)?;
            }
            let pdu = pdu::decode(&frag)?;
            if call_id.is_some_and(|id| id != pdu.call_id) {
                return Err(RpcError::Invalid("fragments of two answers interleaved").into());
            }
            if call_id.is_none() != pdu.flags.contains(PfcFlags::FIRST_FRAG) {
                return Err(RpcError::FragmentSequence("response FIRST flag").into());
            }
            call_id = Some(pdu.call_id);
            match pdu.body {
                PduBody::Response(r) => stub.extend_from_slice(&r.stub),
                PduBody::Fault(f) => return Err(ClientError::Fault(f.status)),
                _ => return Err(RpcError::Invalid("unexpected PDU in a response").into()),
            }
            if pdu.flags.contains(PfcFlags::LAST_FRAG) {
                return Ok((pdu.call_id, stub));
            }
        }
    }

    async fn transceive(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        let reply = self
            .pipe
            .fs_control(
                CtlCode::FSCTL_PIPE_TRANSCEIVE.into(),
                Bytes::from(bytes),
                READ_LEN,
            )
            .await?;
        self.inbuf.extend_from_slice(&reply);
        Ok(())
    }

    /// Writes raw bytes to the pipe (tests of malformed input).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.pipe.write(0, bytes).await?;
        Ok(())
    }

    /// The level at which calls are signed or sealed, if they are.
    fn protection_level(&self) -> Option<AuthLevel> {
        self.security
            .as_ref()
            .map(|s| s.level)
            .filter(|l| l.0 >= AuthLevel::PKT.0)
    }

    /// Reads the next whole fragment from the pipe and decodes it.
    pub async fn recv_pdu(&mut self) -> Result<Pdu, ClientError> {
        let frag = self.recv_fragment().await?;
        Ok(pdu::decode(&frag)?)
    }

    /// Reads the next whole fragment from the pipe, undecoded.
    pub async fn recv_fragment(&mut self) -> Result<Vec<u8>, ClientError> {
        loop {
            if self.inbuf.len() >= HEADER_LEN {
                let header = PduHeader::decode(&self.inbuf[..HEADER_LEN])?;
                let len = usize::from(header.frag_length);
                if len < HEADER_LEN {
                    return Err(RpcError::Invalid("frag_length shorter than the header").into());
                }
                if self.inbuf.len() >= len {
                    let frag = self.inbuf[..len].to_vec();
                    self.inbuf.drain(..len);
                    return Ok(frag);
                }
            }
            let more = self.pipe.read(0, READ_LEN).await?;
            self.inbuf.extend_from_slice(&more);
        }
    }
}
