//! Scripted request sequences and the invariants of a connection.
//!
//! A script is a list of [`Step`]s made of small numbers (a fuzzer's bytes or a property
//! test's strategies pick them); [`Runner`] turns each into real requests against the
//! state reached so far (the sessions, trees and file ids earlier responses gave), sends
//! them, and checks what comes back:
//! - every frame is well formed: a 24-bit length, a compound whose parts are 8-aligned,
//!   response headers, valid signatures ([`super::client::RawClient::recv`]);
//! - every response answers a request sent and not answered yet (an interim response
//!   first, for one that went asynchronous), or is an oplock break;
//! - the client never holds more credits than `max_credits`;
//! - every request of a frame is answered (at least by an interim response) within
//!   [`ANSWER_WAIT`], unless the server closes the connection: it answers or it closes.
//!
//! Closing is always allowed (a protocol violation, a second NEGOTIATE); the script then
//! ends. What the server leaves behind once the connection is gone is checked by
//! [`super::Harness::settle`].

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lwio_core::irp::{NotifyFilter, QueryDirectoryFlags};
use lwio_core::{AccessMask, CreateDisposition, CreateOptions, FileInfoClass, ShareAccess};
use lwio_smb2::{
    CancelRequest, ChangeNotifyFlags, ChangeNotifyRequest, CloseFlags, CloseRequest, Command,
    Compound, CreateRequest, CreateResponse, CtlCode, Dialect, EchoRequest, FileId, FlushRequest,
    Header, HeaderFlags, InfoType, IoctlFlags, IoctlRequest, LockElement, LockFlags, LockRequest,
    LogoffRequest, NegotiateRequest, OplockBreak, QueryDirectoryRequest, QueryInfoRequest,
    ReadRequest, SessionSetupRequest, SetInfoRequest, TreeConnectRequest, TreeDisconnectRequest,
};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};

use super::client::{ClientError, Msg, RawClient, body, is_interim};
use crate::state::RELATED_FILE_ID;

/// How long a request may go without any answer before the connection counts as hung.
pub const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// The longest READ, query or notify output a script asks for.
pub const MAX_OUTPUT: u32 = 256 * 1024;

/// The message id of an oplock break notification (MS-SMB2 2.2.23).
const BREAK_MID: u64 = u64::MAX;

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// One frame holding these requests (compounded when more than one).
    Frame(Vec<Request>),
    /// A CANCEL of the `nth` request still waiting for its final response, by its async
    /// id when it has one (unless `by_message_id`).
    Cancel {
        /// Which waiting request (modulo their number).
        nth: u8,
        /// Name it by message id even when it went asynchronous.
        by_message_id: bool,
    },
    /// A new logon on the connection: `legs` 0 does nothing, 1 sends only the first leg
    /// (the exchange stays in progress), 2 or more completes it (with a wrong password
    /// when `bad`). The new session becomes the current one.
    Logon {
        /// How far to go.
        legs: u8,
        /// Use a wrong password.
        bad: bool,
    },
    /// Raw bytes as one frame's payload.
    Raw(Vec<u8>),
}

/// One request, chosen by small numbers that [`Runner`] maps onto its state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The command: an index into [`COMMANDS`] (modulo its length).
    pub command: u8,
    /// SMB2_FLAGS_RELATED_OPERATIONS.
    pub related: bool,
    /// The CreditCharge; `None`: what the payload needs.
    pub charge: Option<u16>,
    /// The CreditRequest.
    pub credits: u16,
    /// The session: 0 the current one, n the (n-1)th known (modulo), 255 an unknown id.
    pub session: u8,
    /// The tree: 0 the current one, n the (n-1)th known (modulo), 255 an unknown id.
    pub tree: u8,
    /// The file: 0 the last one opened, 1 all ones (the related file), n the (n-2)th
    /// known, 255 an unknown id.
    pub file: u8,
    /// The message id: 0 the next one, 1 the previous one again, 2 a few ahead (a hole),
    /// 3 far outside the window.
    pub mid: u8,
    /// Leave it unsigned even when the session has a key.
    pub unsigned: bool,
    /// A length (READ length, output buffer sizes), capped by [`MAX_OUTPUT`].
    pub length: u32,
    /// An offset.
    pub offset: u64,
    /// Command-specific flags (create options, lock flags, query flags...).
    pub flags: u32,
    /// A class (create disposition, info class, IOCTL code, dialect set...).
    pub class: u8,
    /// A name: an index into [`NAMES`] (or [`SHARES`] for TREE_CONNECT).
    pub name: u8,
    /// Bytes: WRITE data, a security blob, IOCTL or SET_INFO input.
    pub data: Vec<u8>,
}

/// The commands a [`Request`] picks from.
pub const COMMANDS: [Command; 19] = [
    Command::CREATE,
    Command::CLOSE,
    Command::READ,
    Command::WRITE,
    Command::QUERY_INFO,
    Command::QUERY_DIRECTORY,
    Command::LOCK,
    Command::CHANGE_NOTIFY,
    Command::IOCTL,
    Command::SET_INFO,
    Command::FLUSH,
    Command::ECHO,
    Command::TREE_CONNECT,
    Command::TREE_DISCONNECT,
    Command::SESSION_SETUP,
    Command::LOGOFF,
    Command::OPLOCK_BREAK,
    Command::CANCEL,
    Command::NEGOTIATE,
];

/// The names CREATE and QUERY_DIRECTORY pick from.
pub const NAMES: [&str; 12] = [
    "a.txt",
    "b.txt",
    "dir",
    "dir\\c.txt",
    "",
    "srvsvc",
    "wkssvc",
    "file:stream",
    "..\\escape",
    "deep\\missing\\x",
    "*",
    "dir\\*",
];

/// The shares TREE_CONNECT picks from.
pub const SHARES: [&str; 4] = ["share", "IPC$", "nosuch", ""];

const CTL_CODES: [u32; 8] = [
    0x0011_C017, // FSCTL_PIPE_TRANSCEIVE
    0x0014_0204, // FSCTL_VALIDATE_NEGOTIATE_INFO
    0x0014_01FC, // FSCTL_QUERY_NETWORK_INTERFACE_INFO
    0x0011_400C, // FSCTL_PIPE_PEEK
    0x0009_00A8, // FSCTL_GET_REPARSE_POINT
    0x0014_4064, // FSCTL_SRV_ENUMERATE_SNAPSHOTS
    0x0009_0194, // FSCTL_DFS_GET_REFERRALS (device)
    0x0014_40F2, // FSCTL_SRV_COPYCHUNK
];

/// A broken invariant.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Violation {
    /// A frame or message the server sent is malformed.
    #[error("malformed: {0}")]
    Malformed(String),
    /// A response names a message id that was not sent, or is answered twice.
    #[error("unexpected response to message {mid} ({command:?}, {status})")]
    Unexpected {
        /// Its message id.
        mid: u64,
        /// Its command.
        command: Command,
        /// Its status.
        status: lwio_core::NtStatus,
    },
    /// The client holds more credits than the server may grant.
    #[error("client holds {held} credits, more than {max}")]
    TooManyCredits {
        /// Credits held.
        held: u64,
        /// The maximum.
        max: u64,
    },
    /// Requests went unanswered while the connection stayed open.
    #[error("no answer to messages {0:?}")]
    NoAnswer(Vec<u64>),
    /// The stream failed otherwise.
    #[error("i/o: {0}")]
    Io(String),
}

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every step ran; the connection is still open.
    Open,
    /// The server closed the connection.
    Closed,
}

/// What a response says about requests.
#[derive(Debug, Default)]
struct Outstanding {
    /// Sent and not yet answered at all.
    unanswered: HashSet<u64>,
    /// Answered by an interim response, waiting for the final one: mid → async id.
    waiting: HashMap<u64, u64>,
    /// Sent in raw bytes: may be answered or not.
    maybe: HashSet<u64>,
}

/// Runs steps against one connection.
pub struct Runner<S> {
    /// The client.
    pub client: RawClient<S>,
    max_credits: u64,
    sessions: Vec<u64>,
    trees: Vec<u32>,
    files: Vec<FileId>,
    out: Outstanding,
    last_mid: u64,
    user: (String, String),
}

impl<S> std::fmt::Debug for Runner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("sessions", &self.sessions)
            .field("trees", &self.trees)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

fn cap(n: u32) -> u32 {
    n % (MAX_OUTPUT + 1)
}

fn pick<T: Copy>(list: &[T], n: u8) -> Option<T> {
    if list.is_empty() {
        None
    } else {
        Some(list[usize::from(n) % list.len()])
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Runner<S> {
    /// A runner over `client`, which has negotiated, logged on (as `user` with
    /// `password`) and connected a tree; `max_credits` is the server's setting.
    pub fn new(client: RawClient<S>, max_credits: u32, user: &str, password: &str) -> Self {
        let sessions = vec![client.session_id];
        let trees = vec![client.tree_id];
        Runner {
            client,
            max_credits: u64::from(max_credits),
            sessions,
            trees,
            files: Vec::new(),
            out: Outstanding::default(),
            last_mid: 0,
            user: (user.to_owned(), password.to_owned()),
        }
    }

    /// Runs `steps` in order; stops early when the server closes the connection.
    pub async fn run(&mut self, steps: &[Step]) -> Result<Ending, Violation> {
        for step in steps {
            if self.step(step).await? == Ending::Closed {
                return Ok(Ending::Closed);
            }
        }
        Ok(Ending::Open)
    }

    async fn step(&mut self, step: &Step) -> Result<Ending, Violation> {
        match step {
            Step::Frame(reqs) if !reqs.is_empty() => {
                let msgs: Vec<Msg> = reqs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| self.build(r, i > 0))
                    .collect();
                let cancels: Vec<bool> =
                    msgs.iter().map(|m| m.command == Command::CANCEL).collect();
                let mids = match self.client.send(msgs).await {
                    Ok(m) => m,
                    Err(e) => return closed_or(e),
                };
                for (mid, cancel) in mids.into_iter().zip(cancels) {
                    if !cancel {
                        self.last_mid = mid;
                        self.out.unanswered.insert(mid);
                    }
                }
                self.await_answers().await
            }
            Step::Frame(_) => Ok(Ending::Open),
            Step::Cancel { nth, by_message_id } => {
                let mut waiting: Vec<(u64, Option<u64>)> = self
                    .out
                    .waiting
                    .iter()
                    .map(|(&m, &a)| (m, Some(a)))
                    .chain(self.out.unanswered.iter().map(|&m| (m, None)))
                    .collect();
                waiting.sort_unstable();
                let Some((mid, async_id)) = pick(&waiting, *nth) else {
                    return Ok(Ending::Open);
                };
                let mut m = Msg::new(Command::CANCEL, body(|o| CancelRequest.encode(o)));
                m.message_id = Some(mid);
                m.credits = 0;
                if !by_message_id {
                    m.async_id = async_id;
                }
                match self.client.send(vec![m]).await {
                    Ok(_) => self.drain_ready().await,
                    Err(e) => closed_or(e),
                }
            }
            Step::Logon { legs: 0, .. } => Ok(Ending::Open),
            Step::Logon { legs, bad } => {
                let (user, password) = self.user.clone();
                let password = if *bad { "wrong" } else { password.as_str() };
                let r = if *legs == 1 {
                    self.client.half_logon().await
                } else {
                    self.client.logon(&user, password).await
                };
                self.take_unclaimed()?;
                match r {
                    Ok(sid) => {
                        self.sessions.push(sid);
                        Ok(Ending::Open)
                    }
                    Err(e) => closed_or(e),
                }
            }
            Step::Raw(bytes) => {
                for part in Compound::new(bytes) {
                    let Ok(part) = part else { break };
                    if let Ok(h) = Header::decode(part) {
                        self.out.maybe.insert(h.message_id);
                    }
                }
                match self.client.send_raw(bytes).await {
                    Ok(()) => self.drain_ready().await,
                    Err(e) => closed_or(e),
                }
            }
        }
    }

    /// Messages a client call kept aside while it waited for its own.
    fn take_unclaimed(&mut self) -> Result<(), Violation> {
        for m in self.client.take_unclaimed() {
            self.account(&m)?;
        }
        Ok(())
    }

    /// Receives until every request sent has had an answer, or the connection closes.
    async fn await_answers(&mut self) -> Result<Ending, Violation> {
        while !self.out.unanswered.is_empty() {
            match self.client.recv(ANSWER_WAIT).await {
                Ok(msgs) => {
                    for m in msgs {
                        self.account(&m)?;
                    }
                }
                Err(ClientError::Timeout) => {
                    let mut left: Vec<u64> = self.out.unanswered.iter().copied().collect();
                    left.sort_unstable();
                    return Err(Violation::NoAnswer(left));
                }
                Err(e) => return closed_or(e),
            }
        }
        Ok(Ending::Open)
    }

    /// Takes whatever arrives within a moment (after requests that need no answer).
    async fn drain_ready(&mut self) -> Result<Ending, Violation> {
        loop {
            match self.client.recv(Duration::from_millis(20)).await {
                Ok(msgs) => {
                    for m in msgs {
                        self.account(&m)?;
                    }
                }
                Err(ClientError::Timeout) => return Ok(Ending::Open),
                Err(e) => return closed_or(e),
            }
        }
    }

    /// Checks one response against what was sent and learns from it.
    fn account(&mut self, m: &[u8]) -> Result<(), Violation> {
        let h = Header::decode(m).map_err(|e| Violation::Malformed(e.to_string()))?;
        let (granted, used) = self.client.credit_totals();
        let held = granted.saturating_sub(used);
        if held > self.max_credits {
            return Err(Violation::TooManyCredits {
                held,
                max: self.max_credits,
            });
        }
        let mid = h.message_id;
        let unexpected = || Violation::Unexpected {
            mid,
            command: h.command,
            status: h.status,
        };
        if mid == BREAK_MID && h.command == Command::OPLOCK_BREAK {
            return Ok(());
        }
        if is_interim(m) {
            if !self.out.unanswered.remove(&mid) && !self.out.maybe.contains(&mid) {
                return Err(unexpected());
            }
            if let Some(a) = h.async_id() {
                self.out.waiting.insert(mid, a);
            }
            return Ok(());
        }
        let known = self.out.unanswered.remove(&mid)
            | self.out.waiting.remove(&mid).is_some()
            | self.out.maybe.remove(&mid);
        if !known {
            return Err(unexpected());
        }
        self.learn(&h, m);
        Ok(())
    }

    fn learn(&mut self, h: &Header, m: &[u8]) {
        if h.status.is_error() && h.status != lwio_core::NtStatus::MORE_PROCESSING_REQUIRED {
            return;
        }
        match h.command {
            Command::CREATE => {
                if let Ok(r) = CreateResponse::decode(m) {
                    self.files.push(r.file_id);
                }
            }
            Command::TREE_CONNECT => {
                if let Some(t) = h.tree_id() {
                    self.trees.push(t);
                }
            }
            Command::SESSION_SETUP => self.sessions.push(h.session_id),
            _ => {}
        }
        // Keep the lists short: later picks reach the recent ones.
        truncate_front(&mut self.files, 64);
        truncate_front(&mut self.trees, 16);
        truncate_front(&mut self.sessions, 16);
    }

    fn file(&self, r: &Request) -> FileId {
        match r.file {
            0 => self.files.last().copied().unwrap_or(RELATED_FILE_ID),
            1 => RELATED_FILE_ID,
            255 => FileId {
                persistent: 0xDEAD,
                volatile: 0xBEEF,
            },
            n => pick(&self.files, n - 2).unwrap_or(RELATED_FILE_ID),
        }
    }

    /// The message a request stands for, in the runner's current state.
    fn build(&self, r: &Request, in_chain: bool) -> Msg {
        let command = COMMANDS[usize::from(r.command) % COMMANDS.len()];
        let name = NAMES[usize::from(r.name) % NAMES.len()].to_owned();
        let file_id = self.file(r);
        let length = cap(r.length);
        let data = r.data.clone();
        let body = match command {
            Command::CREATE => body(|o| create(r, name).encode(o)),
            Command::CLOSE => body(|o| {
                CloseRequest {
                    flags: CloseFlags(r.flags as u16 & 1),
                    file_id,
                }
                .encode(o)
            }),
            Command::READ => body(|o| {
                ReadRequest {
                    length,
                    offset: r.offset,
                    file_id,
                    minimum_count: r.flags % 4,
                    ..ReadRequest::default()
                }
                .encode(o)
            }),
            Command::WRITE => RawClient::<S>::write_msg(file_id, r.offset, &data).body,
            Command::QUERY_INFO => body(|o| {
                QueryInfoRequest {
                    info_type: InfoType(1 + r.class % 4),
                    info_class: r.flags as u8,
                    output_buffer_length: length,
                    input: Vec::new(),
                    additional_information: r.flags >> 8,
                    flags: Default::default(),
                    file_id,
                }
                .encode(o)
            }),
            Command::QUERY_DIRECTORY => body(|o| {
                QueryDirectoryRequest {
                    class: FileInfoClass(r.class % 64),
                    flags: QueryDirectoryFlags(r.flags as u8),
                    file_index: 0,
                    file_id,
                    pattern: name,
                    output_buffer_length: length,
                }
                .encode(o)
            }),
            Command::LOCK => body(|o| lock(r, file_id).encode(o)),
            Command::CHANGE_NOTIFY => body(|o| {
                ChangeNotifyRequest {
                    flags: ChangeNotifyFlags(r.class as u16 & 1),
                    output_buffer_length: length,
                    file_id,
                    completion_filter: NotifyFilter(r.flags),
                }
                .encode(o)
            }),
            Command::IOCTL => body(|o| {
                IoctlRequest {
                    ctl_code: CtlCode(CTL_CODES[usize::from(r.class) % CTL_CODES.len()]),
                    file_id,
                    input: data,
                    max_input_response: 0,
                    output: Vec::new(),
                    max_output_response: length,
                    flags: IoctlFlags(r.flags & 1),
                }
                .encode(o)
            }),
            Command::SET_INFO => body(|o| {
                SetInfoRequest {
                    info_type: InfoType(1 + r.class % 4),
                    info_class: r.flags as u8,
                    buffer: data,
                    additional_information: r.flags >> 8,
                    file_id,
                }
                .encode(o)
            }),
            Command::FLUSH => body(|o| FlushRequest { file_id }.encode(o)),
            Command::ECHO => body(|o| EchoRequest.encode(o)),
            Command::TREE_CONNECT => {
                let share = SHARES[usize::from(r.name) % SHARES.len()];
                let path = format!("\\\\server\\{share}");
                body(|o| {
                    TreeConnectRequest {
                        path,
                        ..TreeConnectRequest::default()
                    }
                    .encode(o)
                })
            }
            Command::TREE_DISCONNECT => body(|o| TreeDisconnectRequest.encode(o)),
            Command::SESSION_SETUP => body(|o| {
                SessionSetupRequest {
                    security_buffer: data,
                    ..SessionSetupRequest::default()
                }
                .encode(o)
            }),
            Command::LOGOFF => body(|o| LogoffRequest.encode(o)),
            Command::OPLOCK_BREAK => body(|o| {
                OplockBreak {
                    oplock_level: lwio_smb2::OplockLevel(r.class),
                    file_id,
                }
                .encode(o)
            }),
            Command::CANCEL => body(|o| CancelRequest.encode(o)),
            _ => body(|o| {
                NegotiateRequest {
                    dialects: vec![Dialect::SMB_2_1, Dialect(0x0300 + u16::from(r.class))],
                    ..NegotiateRequest::default()
                }
                .encode(o)
            }),
        };
        let mut m = Msg::new(command, body);
        m.credit_charge = r.charge;
        m.credits = r.credits;
        m.sign = !r.unsigned;
        if r.related && in_chain {
            m.flags |= HeaderFlags::RELATED_OPERATIONS;
        } else if r.related && r.session == 254 {
            // A first request marked related.
            m.flags |= HeaderFlags::RELATED_OPERATIONS;
        }
        m.session_id = match r.session {
            0 => None,
            255 => Some(0x4242_4242),
            n => pick(&self.sessions, n - 1),
        };
        m.tree_id = match r.tree {
            0 => None,
            255 => Some(0x7777),
            n => pick(&self.trees, n - 1),
        };
        m.message_id = match r.mid {
            1 => Some(self.last_mid),
            2 => Some(self.client.next_message_id() + 1 + u64::from(r.class % 4)),
            3 => Some(self.client.next_message_id() + 100_000),
            _ => None,
        };
        m
    }
}

fn truncate_front<T>(v: &mut Vec<T>, keep: usize) {
    if v.len() > keep {
        v.drain(..v.len() - keep);
    }
}

fn closed_or(e: ClientError) -> Result<Ending, Violation> {
    match e {
        ClientError::Closed => Ok(Ending::Closed),
        ClientError::Io(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            Ok(Ending::Closed)
        }
        ClientError::Malformed(s) => Err(Violation::Malformed(s)),
        ClientError::Timeout => Err(Violation::NoAnswer(Vec::new())),
        ClientError::Status(_) => Ok(Ending::Open),
        ClientError::Io(e) => Err(Violation::Io(e.to_string())),
    }
}

fn create(r: &Request, name: String) -> CreateRequest {
    const ACCESS: [AccessMask; 5] = [
        AccessMask::GENERIC_READ,
        AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0),
        AccessMask::FILE_READ_DATA,
        AccessMask::DELETE,
        AccessMask::MAXIMUM_ALLOWED,
    ];
    let mut options = 0;
    if r.flags & 1 != 0 {
        options |= CreateOptions::DIRECTORY_FILE.0;
    }
    if r.flags & 2 != 0 {
        options |= CreateOptions::NON_DIRECTORY_FILE.0;
    }
    if r.flags & 4 != 0 {
        options |= CreateOptions::DELETE_ON_CLOSE.0;
    }
    CreateRequest {
        desired_access: ACCESS[(r.flags as usize >> 3) % ACCESS.len()],
        share_access: if r.flags & 0x40 != 0 {
            ShareAccess::empty()
        } else {
            ShareAccess::ALL
        },
        disposition: CreateDisposition(u32::from(r.class % 6)),
        options: CreateOptions(options),
        name,
        ..CreateRequest::default()
    }
}

fn lock(r: &Request, file_id: FileId) -> LockRequest {
    let flags = LockFlags(r.flags & 0x17);
    let mut locks = vec![LockElement {
        offset: r.offset % 4096,
        length: u64::from(r.length % 4096),
        flags,
    }];
    if r.class % 3 == 1 {
        locks.push(LockElement {
            offset: r.offset % 4096 + 8192,
            length: 1,
            flags,
        });
    }
    LockRequest {
        file_id,
        locks,
        ..LockRequest::default()
    }
}
