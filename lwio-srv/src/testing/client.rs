//! A raw SMB2 client over any byte stream: it builds each header itself (so a test can
//! send whatever ids, charges and flags it likes), signs with the session's key, logs on
//! with lwio-auth's initiator, and checks every frame it receives for form (24-bit
//! length, a well-formed compound, response headers, signatures).
//!
//! Dialects up to 3.0.2 (3.1.1's preauth integrity hash is not kept).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::time::Duration;

use lwio_auth::initiator::Initiator;
use lwio_auth::ntlm::{NtlmCredentials, nt_hash};
use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus, ShareAccess};
use lwio_smb2::frame::{FRAME_HEADER_LEN, MAX_FRAME_LEN};
use lwio_smb2::{
    CloseFlags, CloseRequest, Command, CreateRequest, CreateResponse, Dialect, EchoRequest, FileId,
    Header, HeaderFlags, HeaderId, LockElement, LockFlags, LockRequest, LogoffRequest,
    NegotiateRequest, NegotiateResponse, ReadRequest, ReadResponse, SecurityMode, SessionFlags,
    SessionSetupRequest, SessionSetupResponse, WriteRequest, split_compound,
};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::signing::Signer;

/// Why a client operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server closed the connection.
    #[error("the connection is closed")]
    Closed,
    /// Nothing arrived in time.
    #[error("no response in time")]
    Timeout,
    /// The server sent something malformed.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A request failed with this status.
    #[error("status {0}")]
    Status(NtStatus),
    /// The stream failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The bytes of a message body: what `encode` appends after a 64-byte header (the codecs
/// count offsets from the header's start).
pub fn body(encode: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = vec![0u8; lwio_smb2::HEADER_LEN];
    encode(&mut out);
    out.split_off(lwio_smb2::HEADER_LEN)
}

/// One request to send: a command, its body, and every header field a test may want.
#[derive(Debug, Clone)]
pub struct Msg {
    /// The command.
    pub command: Command,
    /// The body (see [`body`]).
    pub body: Vec<u8>,
    /// CreditCharge; `None`: what the payload needs (at least 1).
    pub credit_charge: Option<u16>,
    /// CreditRequest.
    pub credits: u16,
    /// Flags (SIGNED is set by signing).
    pub flags: HeaderFlags,
    /// SessionId; `None`: the client's current one.
    pub session_id: Option<u64>,
    /// TreeId; `None`: the client's current one.
    pub tree_id: Option<u32>,
    /// MessageId; `None`: the next unused.
    pub message_id: Option<u64>,
    /// An AsyncId (for a CANCEL of an asynchronous request).
    pub async_id: Option<u64>,
    /// Sign it when the session has a key.
    pub sign: bool,
    /// The ChannelSequence of a 3.x request (the low half of the header's Status).
    pub channel_sequence: u16,
}

impl Msg {
    /// A request of `command` with `body`, signed when it can be, asking for 64 credits.
    pub fn new(command: Command, body: Vec<u8>) -> Msg {
        Msg {
            command,
            body,
            credit_charge: None,
            credits: 64,
            flags: HeaderFlags::default(),
            session_id: None,
            tree_id: None,
            message_id: None,
            async_id: None,
            sign: true,
            channel_sequence: 0,
        }
    }

    /// The same, marked related to the previous request of its compound.
    pub fn related(mut self) -> Msg {
        self.flags |= HeaderFlags::RELATED_OPERATIONS;
        self
    }
}

/// The credit charge a payload of `bytes` needs (MS-SMB2 3.1.5.2).
fn charge_for(bytes: u64) -> u16 {
    u16::try_from(bytes.div_ceil(65536).max(1)).unwrap_or(u16::MAX)
}

/// A raw SMB2 client.
pub struct RawClient<S> {
    io: S,
    next_mid: u64,
    /// Credits granted so far, the initial one included.
    granted: u64,
    /// Message ids consumed by requests sent.
    used: u64,
    /// The session and tree requests name by default.
    pub session_id: u64,
    /// See `session_id`.
    pub tree_id: u32,
    signers: HashMap<u64, Signer>,
    /// The session keys of the user sessions logged on.
    keys: HashMap<u64, [u8; 16]>,
    dialect: Dialect,
    /// Messages received that no call has claimed yet.
    unclaimed: VecDeque<Vec<u8>>,
    /// The PreviousSessionId the next logon's SESSION_SETUP legs carry.
    pub previous_session_id: u64,
}

impl<S> std::fmt::Debug for RawClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawClient")
            .field("next_mid", &self.next_mid)
            .field("session_id", &self.session_id)
            .field("tree_id", &self.tree_id)
            .finish_non_exhaustive()
    }
}

/// How long the helpers wait for a response.
pub const WAIT: Duration = Duration::from_secs(30);

impl<S: AsyncRead + AsyncWrite + Unpin> RawClient<S> {
    /// A client over `io`, before NEGOTIATE.
    pub fn new(io: S) -> RawClient<S> {
        RawClient {
            io,
            next_mid: 0,
            granted: 1,
            used: 0,
            session_id: 0,
            tree_id: 0,
            signers: HashMap::new(),
            keys: HashMap::new(),
            dialect: Dialect::SMB_2_0_2,
            unclaimed: VecDeque::new(),
            previous_session_id: 0,
        }
    }

    /// The session key of user session `id` (to derive its SMB 3 keys).
    pub fn session_key(&self, id: u64) -> Option<[u8; 16]> {
        self.keys.get(&id).copied()
    }

    /// The stream.
    pub fn into_inner(self) -> S {
        self.io
    }

    /// Credits the client holds: granted and not used.
    pub fn credits(&self) -> u64 {
        self.granted.saturating_sub(self.used)
    }

    /// Every credit granted so far (the initial one included) and every message id used.
    pub fn credit_totals(&self) -> (u64, u64) {
        (self.granted, self.used)
    }

    /// The next message id the client will use.
    pub fn next_message_id(&self) -> u64 {
        self.next_mid
    }

    /// The negotiated dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Takes the messages calls kept aside (responses to other requests).
    pub fn take_unclaimed(&mut self) -> Vec<Vec<u8>> {
        self.unclaimed.drain(..).collect()
    }

    /// Signs session `id`'s requests with `signer` from now on (and checks its
    /// responses with it): a test's stand-in for a key the client has from elsewhere.
    pub fn set_signer(&mut self, id: u64, signer: Signer) {
        self.signers.insert(id, signer);
    }

    /// The signer of session `id`, if it has a key.
    pub fn signer(&self, id: u64) -> Option<&Signer> {
        self.signers.get(&id)
    }

    fn charge_of(&self, m: &Msg) -> u16 {
        let charge = m.credit_charge.unwrap_or_else(|| {
            let payload = match m.command {
                Command::READ | Command::WRITE => le32(&m.body, 4),
                Command::QUERY_DIRECTORY => le32(&m.body, 28),
                Command::IOCTL => le32(&m.body, 28).max(le32(&m.body, 44)),
                _ => 0,
            };
            charge_for(payload)
        });
        if self.dialect == Dialect::SMB_2_0_2 && m.credit_charge.is_none() {
            0
        } else {
            charge
        }
    }

    /// The payload of one frame holding `msgs` (compounded, each padded to 8 bytes and
    /// signed), and their message ids.
    pub fn frame(&mut self, msgs: Vec<Msg>) -> (Vec<u8>, Vec<u64>) {
        let n = msgs.len();
        let mut frame = Vec::new();
        let mut mids = Vec::with_capacity(n);
        for (i, m) in msgs.into_iter().enumerate() {
            let charge = self.charge_of(&m);
            let mid = match m.message_id {
                Some(mid) => mid,
                None => {
                    let mid = self.next_mid;
                    if m.command != Command::CANCEL {
                        self.next_mid += u64::from(charge.max(1));
                    }
                    mid
                }
            };
            if m.command != Command::CANCEL {
                self.used += u64::from(charge.max(1));
            }
            mids.push(mid);
            let session_id = m.session_id.unwrap_or(self.session_id);
            let mut flags = m.flags;
            let id = match m.async_id {
                Some(async_id) => {
                    flags |= HeaderFlags::ASYNC_COMMAND;
                    HeaderId::Async { async_id }
                }
                None => HeaderId::Sync {
                    reserved: 0,
                    tree_id: m.tree_id.unwrap_or(self.tree_id),
                },
            };
            let mut part = Vec::with_capacity(lwio_smb2::HEADER_LEN + m.body.len() + 8);
            Header {
                credit_charge: charge,
                command: m.command,
                credits: m.credits,
                flags,
                message_id: mid,
                id,
                session_id,
                status: NtStatus(u32::from(m.channel_sequence)),
                ..Header::default()
            }
            .encode(&mut part);
            part.extend_from_slice(&m.body);
            if i + 1 < n {
                let padded = part.len().div_ceil(8) * 8;
                part.resize(padded, 0);
                part[20..24].copy_from_slice(&(padded as u32).to_le_bytes());
            }
            if m.sign
                && let Some(s) = self.signers.get(&session_id)
            {
                s.sign(&mut part);
            }
            frame.extend_from_slice(&part);
        }
        (frame, mids)
    }

    /// Sends `msgs` as one frame; returns their message ids.
    pub async fn send(&mut self, msgs: Vec<Msg>) -> Result<Vec<u64>, ClientError> {
        let (frame, mids) = self.frame(msgs);
        self.send_raw(&frame).await?;
        Ok(mids)
    }

    /// Sends `payload` behind a Direct TCP header.
    pub async fn send_raw(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let len = u32::try_from(payload.len().min(MAX_FRAME_LEN)).unwrap_or(0);
        self.io.write_all(&len.to_be_bytes()).await?;
        self.io.write_all(payload).await?;
        self.io.flush().await?;
        Ok(())
    }

    /// Sends raw bytes, framing included.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.io.write_all(bytes).await?;
        self.io.flush().await?;
        Ok(())
    }

    /// The next frame as it came (an encrypted one included), without its transport
    /// header; nothing checked.
    pub async fn recv_raw(&mut self, wait: Duration) -> Result<Vec<u8>, ClientError> {
        let mut head = [0u8; FRAME_HEADER_LEN];
        match tokio::time::timeout(wait, self.io.read_exact(&mut head)).await {
            Err(_) => return Err(ClientError::Timeout),
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(ClientError::Closed);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                return Err(ClientError::Closed);
            }
            Ok(r) => r?,
        };
        if head[0] != 0 {
            return Err(ClientError::Malformed(format!(
                "transport header starts with {:#x}",
                head[0]
            )));
        }
        let len = u32::from_be_bytes(head) as usize;
        let mut frame = vec![0u8; len];
        match tokio::time::timeout(WAIT, self.io.read_exact(&mut frame)).await {
            Err(_) => return Err(ClientError::Timeout),
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(ClientError::Closed);
            }
            Ok(r) => r?,
        };
        Ok(frame)
    }

    /// The messages of the next frame, each checked: a response header, the signature of
    /// a signed one. Counts the credits they grant.
    pub async fn recv(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, ClientError> {
        let frame = self.recv_raw(wait).await?;
        let parts =
            split_compound(&frame).map_err(|e| ClientError::Malformed(format!("compound: {e}")))?;
        let mut out = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let h = Header::decode(p)
                .map_err(|e| ClientError::Malformed(format!("header {i}: {e}")))?;
            if !h.is_response() {
                return Err(ClientError::Malformed(format!("message {i} is a request")));
            }
            if i + 1 < parts.len() && p.len() % 8 != 0 {
                return Err(ClientError::Malformed("compound part not 8-aligned".into()));
            }
            if h.flags.contains(HeaderFlags::SIGNED)
                && let Some(s) = self.signers.get(&h.session_id)
                && !s.verify(p)
            {
                return Err(ClientError::Malformed(format!(
                    "bad signature on {:?} mid {}",
                    h.command, h.message_id
                )));
            }
            self.granted += u64::from(h.credits);
            out.push(p.to_vec());
        }
        Ok(out)
    }

    /// The final response to message `mid` (interim responses skipped, other messages
    /// kept for later calls).
    pub async fn response(&mut self, mid: u64) -> Result<Vec<u8>, ClientError> {
        if let Some(i) = self.unclaimed.iter().position(|m| is_final_for(m, mid)) {
            return Ok(self.unclaimed.remove(i).unwrap_or_default());
        }
        loop {
            let mut found = None;
            for m in self.recv(WAIT).await? {
                if found.is_none() && is_final_for(&m, mid) {
                    found = Some(m);
                } else if !is_interim(&m) {
                    self.unclaimed.push_back(m);
                }
            }
            if let Some(m) = found {
                return Ok(m);
            }
        }
    }

    /// Sends one request and returns its final response.
    pub async fn call(&mut self, msg: Msg) -> Result<Vec<u8>, ClientError> {
        let mids = self.send(vec![msg]).await?;
        self.response(mids[0]).await
    }

    /// Like [`RawClient::call`], failing on an error status.
    pub async fn call_ok(&mut self, msg: Msg) -> Result<Vec<u8>, ClientError> {
        let m = self.call(msg).await?;
        match status_of(&m) {
            s if s.is_error() => Err(ClientError::Status(s)),
            _ => Ok(m),
        }
    }

    /// NEGOTIATE, offering `dialects` (none above 3.0.2) with signing enabled.
    pub async fn negotiate(
        &mut self,
        dialects: &[Dialect],
    ) -> Result<NegotiateResponse, ClientError> {
        self.negotiate_caps(dialects, NegotiateRequest::default().capabilities)
            .await
    }

    /// [`RawClient::negotiate`] announcing `capabilities` (SMB2_GLOBAL_CAP_ENCRYPTION: a
    /// 3.0/3.0.2 server then gives user sessions encryption keys).
    pub async fn negotiate_caps(
        &mut self,
        dialects: &[Dialect],
        capabilities: lwio_smb2::Capabilities,
    ) -> Result<NegotiateResponse, ClientError> {
        self.negotiate_with(NegotiateRequest {
            capabilities,
            dialects: dialects.to_vec(),
            ..NegotiateRequest::default()
        })
        .await
    }

    /// [`RawClient::negotiate`] as the client `client_guid` (each connection of a test
    /// client otherwise sends the zero ClientGuid).
    pub async fn negotiate_as(
        &mut self,
        dialects: &[Dialect],
        client_guid: [u8; 16],
    ) -> Result<NegotiateResponse, ClientError> {
        self.negotiate_with(NegotiateRequest {
            client_guid,
            dialects: dialects.to_vec(),
            ..NegotiateRequest::default()
        })
        .await
    }

    /// Sends `request` (any capabilities, ClientGuid, dialects and contexts) with signing
    /// enabled; the response.
    pub async fn negotiate_with(
        &mut self,
        request: NegotiateRequest,
    ) -> Result<NegotiateResponse, ClientError> {
        let m = self
            .call_ok(Msg::new(
                Command::NEGOTIATE,
                body(|o| {
                    NegotiateRequest {
                        security_mode: SecurityMode::SIGNING_ENABLED,
                        ..request
                    }
                    .encode(o)
                }),
            ))
            .await?;
        let r = NegotiateResponse::decode(&m)
            .map_err(|e| ClientError::Malformed(format!("negotiate: {e}")))?;
        self.dialect = r.dialect;
        Ok(r)
    }

    /// Sends one SESSION_SETUP leg carrying `token` on session `session_id`; the response.
    pub async fn session_setup_leg(
        &mut self,
        session_id: u64,
        token: Vec<u8>,
    ) -> Result<Vec<u8>, ClientError> {
        let previous_session_id = self.previous_session_id;
        let mut msg = Msg::new(
            Command::SESSION_SETUP,
            body(|o| {
                SessionSetupRequest {
                    security_buffer: token,
                    previous_session_id,
                    ..SessionSetupRequest::default()
                }
                .encode(o)
            }),
        );
        msg.session_id = Some(session_id);
        self.call(msg).await
    }

    /// Logs on as `user` (NTLM in SPNEGO) in a new session, which becomes the current
    /// one; returns its id.
    pub async fn logon(&mut self, user: &str, password: &str) -> Result<u64, ClientError> {
        let mut init = Initiator::spnego(NtlmCredentials {
            user: user.into(),
            domain: String::new(),
            workstation: "RAW".into(),
            nt_hash: nt_hash(password),
        });
        let m = self.session_setup_leg(0, init.first()).await?;
        let h = header(&m)?;
        if h.status != NtStatus::MORE_PROCESSING_REQUIRED {
            return Err(ClientError::Status(h.status));
        }
        let sid = h.session_id;
        let token = answer_challenge(&mut init, &m)?;
        let m = self.session_setup_leg(sid, token).await?;
        let h = header(&m)?;
        if h.status != NtStatus::SUCCESS {
            return Err(ClientError::Status(h.status));
        }
        let flags = SessionSetupResponse::decode(&m)
            .map_err(|e| ClientError::Malformed(format!("session setup: {e}")))?
            .session_flags;
        let keyless =
            flags.contains(SessionFlags::IS_GUEST) || flags.contains(SessionFlags::IS_NULL);
        if !keyless && let Some(key) = init.session_key() {
            let signer = Signer::new(self.dialect, &key, [0; 64], false);
            if h.flags.contains(HeaderFlags::SIGNED) && !signer.verify(&m) {
                return Err(ClientError::Malformed(
                    "final logon response signature".into(),
                ));
            }
            self.signers.insert(sid, signer);
            self.keys.insert(sid, key);
        }
        self.session_id = sid;
        Ok(sid)
    }

    /// Binds session `session_id` (established on another connection) to this one as a
    /// new channel (SMB 3.x multichannel, MS-SMB2 3.2.4.2.3): SESSION_SETUP legs with
    /// SMB2_SESSION_FLAG_BINDING, authenticating as `user`, each signed by
    /// `session_signer` (the session's own key; `None`: unsigned). Returns the status
    /// that ended the exchange. On success the session becomes the current one and this
    /// connection signs its requests, and checks its responses, with the channel's key.
    pub async fn bind(
        &mut self,
        session_id: u64,
        session_signer: Option<&Signer>,
        user: (&str, &str),
    ) -> Result<NtStatus, ClientError> {
        let mut init = initiator(user.0, user.1);
        let binding = lwio_smb2::session::SessionSetupFlags::BINDING;
        let leg = |token: Vec<u8>, sign: bool| setup_leg(session_id, binding, token, sign);
        let had = self.signers.remove(&session_id);
        if let Some(s) = session_signer {
            self.signers.insert(session_id, s.clone());
        }
        let signed = session_signer.is_some();
        let m = self.call(leg(init.first(), signed)).await;
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                self.restore_signer(session_id, had);
                return Err(e);
            }
        };
        let h = header(&m)?;
        if h.status != NtStatus::MORE_PROCESSING_REQUIRED {
            self.restore_signer(session_id, had);
            return Ok(h.status);
        }
        let token = answer_challenge(&mut init, &m)?;
        let mids = self.send(vec![leg(token, signed)]).await?;
        // The final answer is signed with the channel's key (3.3.5.5.3), a refusal with
        // the session's: checked here, not by `recv`.
        let Some(key) = init.session_key() else {
            return Err(ClientError::Malformed("no session key".into()));
        };
        let channel = Signer::new(self.dialect, &key, [0; 64], false);
        self.signers.remove(&session_id);
        let m = self.response(mids[0]).await?;
        let h = header(&m)?;
        let check = if h.status == NtStatus::SUCCESS {
            Some(&channel)
        } else {
            session_signer
        };
        if h.flags.contains(HeaderFlags::SIGNED) && !check.is_some_and(|s| s.verify(&m)) {
            return Err(ClientError::Malformed("binding response signature".into()));
        }
        if h.status == NtStatus::SUCCESS {
            if !h.flags.contains(HeaderFlags::SIGNED) {
                return Err(ClientError::Malformed("unsigned binding response".into()));
            }
            self.signers.insert(session_id, channel);
            self.session_id = session_id;
        } else {
            self.restore_signer(session_id, had);
        }
        Ok(h.status)
    }

    /// Re-authenticates session `session_id` on this connection as `user` (NTLM in
    /// SPNEGO), each leg signed with the connection's key for the session when `sign`;
    /// the status that ended the exchange. The session keeps its keys.
    pub async fn reauth(
        &mut self,
        session_id: u64,
        user: (&str, &str),
        sign: bool,
    ) -> Result<NtStatus, ClientError> {
        let mut init = initiator(user.0, user.1);
        let none = lwio_smb2::session::SessionSetupFlags::default();
        let leg = |token: Vec<u8>| setup_leg(session_id, none, token, sign);
        let m = self.call(leg(init.first())).await?;
        let h = header(&m)?;
        if h.status != NtStatus::MORE_PROCESSING_REQUIRED {
            return Ok(h.status);
        }
        let token = answer_challenge(&mut init, &m)?;
        let m = self.call(leg(token)).await?;
        Ok(status_of(&m))
    }

    fn restore_signer(&mut self, session_id: u64, had: Option<Signer>) {
        match had {
            Some(s) => self.signers.insert(session_id, s),
            None => self.signers.remove(&session_id),
        };
    }

    /// Starts a logon and leaves it half done (the first leg only); returns the session
    /// id the server gave it, or the status it refused it with.
    pub async fn half_logon(&mut self) -> Result<u64, ClientError> {
        let mut init = Initiator::spnego(NtlmCredentials {
            user: "nobody".into(),
            domain: String::new(),
            workstation: "RAW".into(),
            nt_hash: nt_hash("x"),
        });
        let m = self.session_setup_leg(0, init.first()).await?;
        let h = header(&m)?;
        if h.status != NtStatus::MORE_PROCESSING_REQUIRED {
            return Err(ClientError::Status(h.status));
        }
        Ok(h.session_id)
    }

    /// TREE_CONNECT to `\\server\share`; the tree becomes the current one.
    pub async fn tree_connect(&mut self, share: &str) -> Result<u32, ClientError> {
        let path = format!("\\\\server\\{share}");
        let m = self
            .call_ok(Msg::new(
                Command::TREE_CONNECT,
                body(|o| {
                    lwio_smb2::TreeConnectRequest {
                        path,
                        ..Default::default()
                    }
                    .encode(o)
                }),
            ))
            .await?;
        let h = header(&m)?;
        let id = h.tree_id().unwrap_or(0);
        self.tree_id = id;
        Ok(id)
    }

    /// The CREATE request for `name`, shared with everyone.
    pub fn create_msg(
        name: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        options: CreateOptions,
    ) -> Msg {
        let name = name.to_owned();
        Msg::new(
            Command::CREATE,
            body(|o| {
                CreateRequest {
                    desired_access: access,
                    share_access: ShareAccess::ALL,
                    disposition,
                    options,
                    name,
                    ..CreateRequest::default()
                }
                .encode(o)
            }),
        )
    }

    /// CREATE `name`, shared with everyone.
    pub async fn create(
        &mut self,
        name: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        options: CreateOptions,
    ) -> Result<FileId, ClientError> {
        let m = self
            .call_ok(Self::create_msg(name, access, disposition, options))
            .await?;
        CreateResponse::decode(&m)
            .map(|r| r.file_id)
            .map_err(|e| ClientError::Malformed(format!("create: {e}")))
    }

    /// The CLOSE request.
    pub fn close_msg(file_id: FileId) -> Msg {
        Msg::new(
            Command::CLOSE,
            body(|o| {
                CloseRequest {
                    flags: CloseFlags::default(),
                    file_id,
                }
                .encode(o)
            }),
        )
    }

    /// CLOSE.
    pub async fn close(&mut self, file_id: FileId) -> Result<(), ClientError> {
        self.call_ok(Self::close_msg(file_id)).await.map(drop)
    }

    /// The LOCK request of one range with `flags`.
    pub fn lock_msg(file_id: FileId, offset: u64, length: u64, flags: LockFlags) -> Msg {
        Msg::new(
            Command::LOCK,
            body(|o| {
                LockRequest {
                    file_id,
                    locks: vec![LockElement {
                        offset,
                        length,
                        flags,
                    }],
                    ..LockRequest::default()
                }
                .encode(o)
            }),
        )
    }

    /// The WRITE request of `data` at `offset`.
    pub fn write_msg(file_id: FileId, offset: u64, data: &[u8]) -> Msg {
        Msg::new(
            Command::WRITE,
            body(|o| {
                WriteRequest {
                    offset,
                    file_id,
                    channel: Default::default(),
                    remaining_bytes: 0,
                    flags: Default::default(),
                    data,
                    channel_info: &[],
                }
                .encode(o)
            }),
        )
    }

    /// WRITE `data` at `offset`; the count written.
    pub async fn write(
        &mut self,
        file_id: FileId,
        offset: u64,
        data: &[u8],
    ) -> Result<u32, ClientError> {
        let m = self.call_ok(Self::write_msg(file_id, offset, data)).await?;
        Ok(le32(&m, lwio_smb2::HEADER_LEN + 4) as u32)
    }

    /// The READ request for `length` bytes at `offset`.
    pub fn read_msg(file_id: FileId, offset: u64, length: u32) -> Msg {
        Msg::new(
            Command::READ,
            body(|o| {
                ReadRequest {
                    length,
                    offset,
                    file_id,
                    ..ReadRequest::default()
                }
                .encode(o)
            }),
        )
    }

    /// READ `length` bytes at `offset`.
    pub async fn read(
        &mut self,
        file_id: FileId,
        offset: u64,
        length: u32,
    ) -> Result<Vec<u8>, ClientError> {
        let m = self
            .call_ok(Self::read_msg(file_id, offset, length))
            .await?;
        ReadResponse::decode(&m)
            .map(|r| r.data)
            .map_err(|e| ClientError::Malformed(format!("read: {e}")))
    }

    /// ECHO; its status.
    pub async fn echo(&mut self) -> Result<NtStatus, ClientError> {
        let m = self
            .call(Msg::new(Command::ECHO, body(|o| EchoRequest.encode(o))))
            .await?;
        Ok(status_of(&m))
    }

    /// LOGOFF of the current session.
    pub async fn logoff(&mut self) -> Result<(), ClientError> {
        self.call_ok(Msg::new(Command::LOGOFF, body(|o| LogoffRequest.encode(o))))
            .await
            .map(drop)
    }
}

/// lwio-auth's NTLM-in-SPNEGO initiator for `user` with `password`.
fn initiator(user: &str, password: &str) -> Initiator {
    Initiator::spnego(NtlmCredentials {
        user: user.into(),
        domain: String::new(),
        workstation: "RAW".into(),
        nt_hash: nt_hash(password),
    })
}

/// The initiator's answer to the challenge in the SESSION_SETUP response `m`.
fn answer_challenge(init: &mut Initiator, m: &[u8]) -> Result<Vec<u8>, ClientError> {
    let challenge = SessionSetupResponse::decode(m)
        .map_err(|e| ClientError::Malformed(format!("session setup: {e}")))?
        .security_buffer;
    init.step(&challenge, 0)
        .map_err(|e| ClientError::Malformed(format!("challenge: {e}")))
}

/// A SESSION_SETUP leg carrying `token` on session `session_id` with `flags`, signed when
/// `sign` and the client has a key for the session.
fn setup_leg(
    session_id: u64,
    flags: lwio_smb2::session::SessionSetupFlags,
    token: Vec<u8>,
    sign: bool,
) -> Msg {
    let mut msg = Msg::new(
        Command::SESSION_SETUP,
        body(|o| {
            SessionSetupRequest {
                flags,
                security_mode: lwio_smb2::session::SessionSecurityMode::SIGNING_ENABLED,
                security_buffer: token,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        }),
    );
    msg.session_id = Some(session_id);
    msg.sign = sign;
    msg
}

fn le32(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 4).map_or(0, |x| {
        u64::from(u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
    })
}

/// The decoded header of a response.
pub fn header(m: &[u8]) -> Result<Header, ClientError> {
    Header::decode(m).map_err(|e| ClientError::Malformed(format!("header: {e}")))
}

/// The status of a response (`INVALID_NETWORK_RESPONSE` when its header does not decode).
pub fn status_of(m: &[u8]) -> NtStatus {
    Header::decode(m).map_or(NtStatus::INVALID_NETWORK_RESPONSE, |h| h.status)
}

/// True for an interim response (STATUS_PENDING with an async id).
pub fn is_interim(m: &[u8]) -> bool {
    Header::decode(m).is_ok_and(|h| {
        h.status == NtStatus::PENDING && h.flags.contains(HeaderFlags::ASYNC_COMMAND)
    })
}

fn is_final_for(m: &[u8], mid: u64) -> bool {
    Header::decode(m).is_ok_and(|h| h.message_id == mid) && !is_interim(m)
}
