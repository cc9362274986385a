#![allow(clippy::unwrap_used)]
//! Connection-engine behaviour over a real loopback socket, without an SMB client.

use lwio_auth::ntlm::{NtlmClient, NtlmCredentials, nt_hash};
use lwio_core::irp::{NotifyFilter, QueryDirectoryFlags};
use lwio_core::{
    AccessMask, CreateDisposition, CreateOptions, FileInfoClass, NtStatus, ShareAccess,
};
use lwio_smb2::frame::{Smb1Negotiate, encode_frame};
use lwio_smb2::tree::TreeConnectRequest;
use lwio_smb2::{
    ChangeNotifyFlags, ChangeNotifyRequest, CloseFlags, CloseRequest, Command, CreateRequest,
    CreateResponse, Dialect, FileId, Header, HeaderFlags, HeaderId, InfoType, NegotiateRequest,
    NegotiateResponse, QueryDirectoryRequest, QueryInfoRequest, ReadRequest, SessionSetupRequest,
    SessionSetupResponse, WriteRequest, split_compound,
};
use lwio_srv::Server;
use lwio_srv::accounts::{MemoryAccounts, UserConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start() -> (u16, tokio::sync::oneshot::Sender<()>) {
    let (port, stop, _) = start_in().await;
    (port, stop)
}

/// A server on a loopback port sharing a fresh directory as `s`, with the user `u:p`.
async fn start_in() -> (u16, tokio::sync::oneshot::Sender<()>, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    // Accounts do not own the share root: let everyone write it, as a shared directory is.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let io = lwio_core::IoManager::new();
    lwio_pvfs::mount(&io, "s", &dir, Default::default()).unwrap();
    // These raw clients do not sign: signing is relaxed (tests/logon_smb.rs signs).
    let server = Server::builder(io)
        .disk_share("s", "s")
        .accounts(MemoryAccounts::shared(&[UserConfig::new("u", "p")]))
        .signing_required(false)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::from_std(low_port_listener()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_on(listener, async {
        let _ = rx.await;
    }));
    (port, tx, dir)
}

/// A listener on 127.0.0.1 at a free port below the ephemeral range (32768-60999), where
/// test servers belong.
fn low_port_listener() -> std::net::TcpListener {
    let seed = std::process::id().wrapping_mul(7919);
    for i in 0..12768u32 {
        let port = 20000 + seed.wrapping_add(i * 31) % 12768;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port as u16)) {
            l.set_nonblocking(true).unwrap();
            return l;
        }
    }
    panic!("no free port in 20000-32767");
}

async fn read_frame(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes(head) as usize;
    let mut msg = vec![0; len];
    s.read_exact(&mut msg).await.ok()?;
    Some(msg)
}

fn negotiate(message_id: u64) -> Vec<u8> {
    let mut msg = Vec::new();
    Header {
        command: Command::NEGOTIATE,
        message_id,
        credits: 10,
        ..Header::default()
    }
    .encode(&mut msg);
    NegotiateRequest {
        dialects: vec![Dialect::SMB_2_1, Dialect::SMB_3_0],
        ..NegotiateRequest::default()
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    wire
}

#[tokio::test]
async fn negotiates_the_best_common_dialect() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&negotiate(0)).await.unwrap();
    let msg = read_frame(&mut s).await.unwrap();
    let h = Header::decode(&msg).unwrap();
    assert!(h.is_response() && h.credits >= 1);
    assert_eq!(
        NegotiateResponse::decode(&msg).unwrap().dialect,
        Dialect::SMB_3_0
    );
    // A second NEGOTIATE on the connection closes it.
    s.write_all(&negotiate(1)).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}

#[tokio::test]
async fn out_of_window_message_id_closes() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&negotiate(5)).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}

#[tokio::test]
async fn smb1_negotiate() {
    let (port, _stop) = start().await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut msg = Vec::new();
    Smb1Negotiate {
        dialects: vec!["NT LM 0.12".into(), "SMB 2.002".into(), "SMB 2.???".into()],
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    s.write_all(&wire).await.unwrap();
    let resp = read_frame(&mut s).await.unwrap();
    assert_eq!(
        NegotiateResponse::decode(&resp).unwrap().dialect,
        Dialect::SMB_2_WILDCARD
    );
    // SMB1 without an SMB2 dialect is refused by closing.
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut msg = Vec::new();
    Smb1Negotiate {
        dialects: vec!["NT LM 0.12".into()],
    }
    .encode(&mut msg);
    let mut wire = Vec::new();
    encode_frame(&msg, &mut wire);
    s.write_all(&wire).await.unwrap();
    assert!(read_frame(&mut s).await.is_none());
}

/// A minimal SMB 2.1 client over a socket: it signs nothing and asks for plenty of credits.
struct Client {
    s: TcpStream,
    next_mid: u64,
    session_id: u64,
    tree_id: u32,
}

/// What appends a request's body after its header.
type Body = Box<dyn FnOnce(&mut Vec<u8>)>;

/// One request of a frame: its command and body encoder; `related` sets
/// SMB2_FLAGS_RELATED_OPERATIONS.
struct Req {
    command: Command,
    related: bool,
    body: Body,
    /// A session id other than the client's.
    session_id: Option<u64>,
}

fn req(command: Command, body: impl FnOnce(&mut Vec<u8>) + 'static) -> Req {
    Req {
        command,
        related: false,
        body: Box::new(body),
        session_id: None,
    }
}

fn related(command: Command, body: impl FnOnce(&mut Vec<u8>) + 'static) -> Req {
    Req {
        related: true,
        ..req(command, body)
    }
}

const RELATED_ID: FileId = FileId {
    persistent: u64::MAX,
    volatile: u64::MAX,
};

impl Client {
    /// Connects, negotiates SMB 2.1, logs on as `u` and connects to the share `s`.
    async fn logon(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut c = Client {
            s,
            next_mid: 0,
            session_id: 0,
            tree_id: 0,
        };
        c.send(vec![req(Command::NEGOTIATE, |o| {
            NegotiateRequest {
                dialects: vec![Dialect::SMB_2_1],
                ..NegotiateRequest::default()
            }
            .encode(o)
        })])
        .await;
        c.recv().await;
        let mut ntlm = NtlmClient::new(NtlmCredentials {
            user: "u".into(),
            domain: String::new(),
            workstation: "W".into(),
            nt_hash: nt_hash("p"),
        });
        let first = ntlm.negotiate();
        c.send(vec![req(Command::SESSION_SETUP, move |o| {
            SessionSetupRequest {
                security_buffer: first,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        })])
        .await;
        let resp = c.recv().await.remove(0);
        let h = Header::decode(&resp).unwrap();
        assert_eq!(h.status, NtStatus::MORE_PROCESSING_REQUIRED);
        c.session_id = h.session_id;
        let challenge = SessionSetupResponse::decode(&resp).unwrap().security_buffer;
        let done = ntlm.authenticate(&challenge, 0).unwrap().message;
        c.send(vec![req(Command::SESSION_SETUP, move |o| {
            SessionSetupRequest {
                security_buffer: done,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        })])
        .await;
        let resp = c.recv().await.remove(0);
        assert_eq!(Header::decode(&resp).unwrap().status, NtStatus::SUCCESS);
        let path = "\\\\127.0.0.1\\s".to_string();
        c.send(vec![req(Command::TREE_CONNECT, move |o| {
            TreeConnectRequest {
                path,
                ..TreeConnectRequest::default()
            }
            .encode(o)
        })])
        .await;
        let resp = c.recv().await.remove(0);
        let h = Header::decode(&resp).unwrap();
        assert_eq!(h.status, NtStatus::SUCCESS);
        c.tree_id = h.tree_id().unwrap();
        c
    }

    /// The bytes of one frame holding `reqs` (compounded when more than one); returns
    /// the frame and the message ids used.
    fn frame(&mut self, reqs: Vec<Req>) -> (Vec<u8>, Vec<u64>) {
        let n = reqs.len();
        let mut msg = Vec::new();
        let mut mids = Vec::new();
        for (i, r) in reqs.into_iter().enumerate() {
            let mid = self.next_mid;
            self.next_mid += 1;
            mids.push(mid);
            let mut part = Vec::new();
            Header {
                command: r.command,
                credit_charge: 1,
                credits: 64,
                message_id: mid,
                flags: if r.related {
                    HeaderFlags::RELATED_OPERATIONS
                } else {
                    HeaderFlags::default()
                },
                session_id: r.session_id.unwrap_or(self.session_id),
                id: HeaderId::Sync {
                    reserved: 0,
                    tree_id: self.tree_id,
                },
                ..Header::default()
            }
            .encode(&mut part);
            (r.body)(&mut part);
            if i + 1 < n {
                let padded = part.len().div_ceil(8) * 8;
                part.resize(padded, 0);
                part[20..24].copy_from_slice(&(padded as u32).to_le_bytes());
            }
            msg.extend_from_slice(&part);
        }
        let mut wire = Vec::new();
        encode_frame(&msg, &mut wire);
        (wire, mids)
    }

    async fn send(&mut self, reqs: Vec<Req>) -> Vec<u64> {
        let (wire, mids) = self.frame(reqs);
        self.s.write_all(&wire).await.unwrap();
        mids
    }

    /// The messages of the next response frame.
    async fn recv(&mut self) -> Vec<Vec<u8>> {
        let frame =
            tokio::time::timeout(std::time::Duration::from_secs(10), read_frame(&mut self.s))
                .await
                .expect("a response in time")
                .expect("the connection stays open");
        split_compound(&frame)
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    }
}

fn status(msg: &[u8]) -> NtStatus {
    Header::decode(msg).unwrap().status
}

/// A CREATE of `name` (OPEN_IF, sharing everything) for `access`.
fn create(name: &str, access: AccessMask) -> CreateRequest {
    CreateRequest {
        desired_access: access,
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN_IF,
        name: name.into(),
        ..CreateRequest::default()
    }
}

fn open_dir(name: &'static str) -> impl FnOnce(&mut Vec<u8>) {
    move |o| {
        CreateRequest {
            options: CreateOptions::DIRECTORY_FILE,
            ..create(name, AccessMask::GENERIC_READ)
        }
        .encode(o)
    }
}

fn notify(file_id: FileId) -> impl FnOnce(&mut Vec<u8>) {
    move |o| {
        ChangeNotifyRequest {
            flags: ChangeNotifyFlags::default(),
            output_buffer_length: 4096,
            file_id,
            completion_filter: NotifyFilter::FILE_NAME,
        }
        .encode(o)
    }
}

fn close(file_id: FileId) -> impl FnOnce(&mut Vec<u8>) {
    move |o| {
        CloseRequest {
            flags: CloseFlags::default(),
            file_id,
        }
        .encode(o)
    }
}

#[tokio::test]
async fn a_request_that_would_wait_inside_a_chain_fails_and_the_chain_goes_on() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    // CREATE, a CHANGE_NOTIFY that would wait, QUERY_INFO, CLOSE: all related.
    c.send(vec![
        req(Command::CREATE, open_dir("watched")),
        related(Command::CHANGE_NOTIFY, notify(RELATED_ID)),
        related(Command::QUERY_INFO, |o| {
            QueryInfoRequest {
                info_type: InfoType::FILE,
                info_class: 4, // FileBasicInformation
                output_buffer_length: 4096,
                file_id: RELATED_ID,
                ..QueryInfoRequest::default()
            }
            .encode(o)
        }),
        related(Command::CLOSE, close(RELATED_ID)),
    ])
    .await;
    // One compounded answer: the notify failed without holding the rest up.
    let got: Vec<NtStatus> = c.recv().await.iter().map(|m| status(m)).collect();
    assert_eq!(
        got,
        [
            NtStatus::SUCCESS,
            NtStatus::INTERNAL_ERROR,
            NtStatus::SUCCESS,
            NtStatus::SUCCESS
        ]
    );
}

#[tokio::test]
async fn the_last_request_of_a_chain_goes_async_after_the_others_are_answered() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    let mids = c
        .send(vec![
            req(Command::CREATE, open_dir("watched")),
            related(Command::CHANGE_NOTIFY, notify(RELATED_ID)),
        ])
        .await;
    // First the CREATE's answer, on its own; then the notify's interim response.
    let first = c.recv().await;
    assert_eq!(first.len(), 1);
    assert_eq!(status(&first[0]), NtStatus::SUCCESS);
    let dir = CreateResponse::decode(&first[0]).unwrap().file_id;
    let interim = c.recv().await;
    let h = Header::decode(&interim[0]).unwrap();
    assert_eq!((h.status, h.message_id), (NtStatus::PENDING, mids[1]));
    let async_id = h.async_id().unwrap();
    // CANCEL ends it.
    let (mut wire, _) = c.frame(vec![req(Command::CANCEL, |o| {
        o.extend_from_slice(&[4, 0, 0, 0])
    })]);
    // The CANCEL names the notify by its async id (MS-SMB2 2.2.30).
    let mut cancel = Header::decode(&wire[4..]).unwrap();
    cancel.message_id = mids[1];
    cancel.flags |= HeaderFlags::ASYNC_COMMAND;
    cancel.id = HeaderId::Async { async_id };
    cancel.credits = 0;
    let mut msg = Vec::new();
    cancel.encode(&mut msg);
    msg.extend_from_slice(&[4, 0, 0, 0]);
    wire.clear();
    encode_frame(&msg, &mut wire);
    c.s.write_all(&wire).await.unwrap();
    let last = c.recv().await;
    assert_eq!(status(&last[0]), NtStatus::CANCELLED);
    c.send(vec![req(Command::CLOSE, close(dir))]).await;
    assert_eq!(status(&c.recv().await[0]), NtStatus::SUCCESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_right_behind_a_directory_query_does_not_overtake_it() {
    let (port, _stop, dir) = start_in().await;
    std::fs::create_dir(dir.join("big")).unwrap();
    for i in 0..300 {
        std::fs::write(dir.join("big").join(format!("file{i}")), b"").unwrap();
    }
    let mut c = Client::logon(port).await;
    for _ in 0..20 {
        c.send(vec![req(Command::CREATE, open_dir("big"))]).await;
        let id = CreateResponse::decode(&c.recv().await[0]).unwrap().file_id;
        // Two frames in one write: the query, then the close of the same handle.
        let (mut wire, q) = c.frame(vec![req(Command::QUERY_DIRECTORY, move |o| {
            QueryDirectoryRequest {
                class: FileInfoClass::BOTH_DIRECTORY,
                flags: QueryDirectoryFlags::default(),
                file_index: 0,
                file_id: id,
                pattern: "*".into(),
                output_buffer_length: 65536,
            }
            .encode(o)
        })]);
        let (close_wire, _) = c.frame(vec![req(Command::CLOSE, close(id))]);
        wire.extend_from_slice(&close_wire);
        c.s.write_all(&wire).await.unwrap();
        for _ in 0..2 {
            let m = c.recv().await.remove(0);
            let h = Header::decode(&m).unwrap();
            assert_eq!(h.status, NtStatus::SUCCESS, "{:?}", h.command);
            if h.message_id == q[0] {
                assert_eq!(h.command, Command::QUERY_DIRECTORY);
            }
        }
    }
}

fn open_file(name: &'static str, access: AccessMask) -> impl FnOnce(&mut Vec<u8>) {
    move |o| create(name, access).encode(o)
}

fn read_one(file_id: FileId) -> impl FnOnce(&mut Vec<u8>) {
    move |o| {
        ReadRequest {
            length: 1,
            offset: 0,
            file_id,
            ..ReadRequest::default()
        }
        .encode(o)
    }
}

#[tokio::test]
async fn a_failed_request_other_than_create_does_not_fail_the_related_ones_after_it() {
    let (port, _stop, dir) = start_in().await;
    std::fs::write(dir.join("r.dat"), b"x").unwrap();
    let mut c = Client::logon(port).await;
    c.send(vec![
        req(
            Command::CREATE,
            open_file("r.dat", AccessMask::FILE_READ_DATA),
        ),
        related(Command::READ, read_one(RELATED_ID)),
        related(Command::WRITE, |o| {
            WriteRequest {
                offset: 0,
                file_id: RELATED_ID,
                channel: Default::default(),
                remaining_bytes: 0,
                flags: Default::default(),
                data: b"y",
                channel_info: &[],
            }
            .encode(o)
        }),
        related(Command::READ, read_one(RELATED_ID)),
        related(Command::CLOSE, close(RELATED_ID)),
    ])
    .await;
    let got: Vec<NtStatus> = c.recv().await.iter().map(|m| status(m)).collect();
    assert_eq!(
        got,
        [
            NtStatus::SUCCESS,
            NtStatus::SUCCESS,
            NtStatus::ACCESS_DENIED,
            NtStatus::SUCCESS,
            NtStatus::SUCCESS
        ]
    );
    // A failed CREATE is passed on to the related requests that needed its file.
    c.send(vec![
        req(Command::CREATE, |o| {
            CreateRequest {
                desired_access: AccessMask::FILE_READ_DATA,
                disposition: CreateDisposition::OPEN,
                name: "missing.dat".into(),
                ..CreateRequest::default()
            }
            .encode(o)
        }),
        related(Command::READ, read_one(RELATED_ID)),
        related(Command::CLOSE, close(RELATED_ID)),
    ])
    .await;
    let got: Vec<NtStatus> = c.recv().await.iter().map(|m| status(m)).collect();
    assert_eq!(got, [NtStatus::OBJECT_NAME_NOT_FOUND; 3]);
}

#[tokio::test]
async fn a_chain_that_starts_related_fails_and_all_ones_outside_a_chain_is_no_file() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    c.send(vec![
        related(Command::CREATE, open_file("f.dat", AccessMask::GENERIC_ALL)),
        related(Command::CLOSE, close(RELATED_ID)),
        req(Command::CLOSE, close(RELATED_ID)),
    ])
    .await;
    let got: Vec<NtStatus> = c.recv().await.iter().map(|m| status(m)).collect();
    assert_eq!(
        got,
        [
            NtStatus::INVALID_PARAMETER,
            NtStatus::INVALID_PARAMETER,
            NtStatus::FILE_CLOSED
        ]
    );
}

#[tokio::test]
async fn every_response_of_a_compound_is_padded_and_a_lone_one_is_not() {
    let (port, _stop, dir) = start_in().await;
    std::fs::write(dir.join("p.dat"), b"123").unwrap();
    let mut c = Client::logon(port).await;
    c.send(vec![
        req(
            Command::CREATE,
            open_file("p.dat", AccessMask::FILE_READ_DATA),
        ),
        related(Command::READ, read_one(RELATED_ID)),
        related(Command::READ, read_one(RELATED_ID)),
    ])
    .await;
    let got = c.recv().await;
    assert_eq!(got.len(), 3);
    for m in &got {
        assert_eq!(status(m), NtStatus::SUCCESS);
        assert_eq!(m.len() % 8, 0, "a compound response of {} bytes", m.len());
    }
    // A READ of one byte: header, 16 bytes of body and the byte, padded to 88.
    assert_eq!(got[2].len(), 88);
    let file_id = CreateResponse::decode(&got[0]).unwrap().file_id;
    c.send(vec![req(Command::READ, read_one(file_id))]).await;
    let got = c.recv().await;
    assert_eq!(got[0].len(), 64 + 16 + 1, "a lone response is not padded");
}

#[tokio::test]
async fn a_related_request_after_one_with_no_session_is_an_invalid_parameter() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    c.send(vec![
        req(Command::CREATE, open_file("i.dat", AccessMask::GENERIC_ALL)),
        related(Command::CLOSE, close(RELATED_ID)),
        Req {
            session_id: Some(u64::MAX),
            ..req(Command::CLOSE, close(RELATED_ID))
        },
        Req {
            session_id: Some(u64::MAX),
            ..related(Command::CLOSE, close(RELATED_ID))
        },
    ])
    .await;
    let got: Vec<NtStatus> = c.recv().await.iter().map(|m| status(m)).collect();
    assert_eq!(
        got,
        [
            NtStatus::SUCCESS,
            NtStatus::SUCCESS,
            NtStatus::USER_SESSION_DELETED,
            NtStatus::INVALID_PARAMETER
        ]
    );
}

#[tokio::test]
async fn a_create_that_waits_for_an_oplock_break_inside_a_chain_goes_async() {
    use lwio_smb2::OplockLevel;
    use lwio_smb2::oplock::OplockBreak;
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    c.send(vec![req(Command::CREATE, |o| {
        CreateRequest {
            oplock_level: OplockLevel::BATCH,
            ..create("b.dat", AccessMask::FILE_READ_DATA)
        }
        .encode(o)
    })])
    .await;
    let first = CreateResponse::decode(&c.recv().await.remove(0)).unwrap();
    assert_eq!(first.oplock_level, OplockLevel::BATCH);
    // A second open (which breaks the batch oplock) with a related query behind it.
    let access =
        AccessMask::SYNCHRONIZE | AccessMask::FILE_READ_ATTRIBUTES | AccessMask::FILE_READ_EA;
    c.send(vec![
        req(Command::CREATE, open_file("b.dat", access)),
        related(Command::QUERY_INFO, |o| {
            QueryInfoRequest {
                info_type: InfoType::FILE,
                info_class: 4, // FileBasicInformation
                output_buffer_length: 4096,
                file_id: RELATED_ID,
                ..QueryInfoRequest::default()
            }
            .encode(o)
        }),
    ])
    .await;
    let mut finals = Vec::new();
    let mut breaks = 0;
    while finals.len() < 2 {
        for m in c.recv().await {
            let h = Header::decode(&m).unwrap();
            if h.command == Command::OPLOCK_BREAK && h.message_id == u64::MAX {
                // Acknowledge the break to the level it names.
                breaks += 1;
                let b = OplockBreak::decode(&m).unwrap();
                c.send(vec![req(Command::OPLOCK_BREAK, move |o| b.encode(o))])
                    .await;
            } else if h.command != Command::OPLOCK_BREAK && h.status != NtStatus::PENDING {
                finals.push((h.command, h.status));
            }
        }
    }
    assert_eq!(breaks, 1);
    assert_eq!(
        finals,
        [
            (Command::CREATE, NtStatus::SUCCESS),
            (Command::QUERY_INFO, NtStatus::SUCCESS)
        ]
    );
}

/// Reads frames until each of `mids` has its final (not STATUS_PENDING) response; their
/// statuses, in the order of `mids`.
async fn finals(c: &mut Client, mids: &[u64]) -> Vec<NtStatus> {
    let mut got = std::collections::HashMap::new();
    while mids.iter().any(|m| !got.contains_key(m)) {
        for m in c.recv().await {
            let h = Header::decode(&m).unwrap();
            if h.status != NtStatus::PENDING {
                got.insert(h.message_id, h.status);
            }
        }
    }
    mids.iter().map(|m| got[m]).collect()
}

/// Opens the directory `name` (made if missing) and returns its file id.
async fn dir_handle(c: &mut Client, name: &'static str) -> FileId {
    c.send(vec![req(Command::CREATE, open_dir(name))]).await;
    CreateResponse::decode(&c.recv().await.remove(0))
        .unwrap()
        .file_id
}

#[tokio::test]
async fn a_cancel_right_behind_its_change_notify_is_not_lost() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    let dir = dir_handle(&mut c, "w").await;
    // The CHANGE_NOTIFY and its CANCEL in two frames of one write: the CANCEL is read
    // before the notify's task has started.
    let (mut wire, mids) = c.frame(vec![req(Command::CHANGE_NOTIFY, notify(dir))]);
    let mid = mids[0];
    c.next_mid -= 1; // a CANCEL reuses its request's message id
    let (cancel, _) = c.frame(vec![req(Command::CANCEL, |o| {
        lwio_smb2::CancelRequest.encode(o)
    })]);
    c.next_mid += 1;
    // frame() numbered the CANCEL with the notify's id; that is what it must carry.
    wire.extend_from_slice(&cancel);
    c.s.write_all(&wire).await.unwrap();
    assert_eq!(finals(&mut c, &[mid]).await, [NtStatus::CANCELLED]);
}

#[tokio::test]
async fn a_logoff_ends_the_change_notify_pending_on_its_opens() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    let dir = dir_handle(&mut c, "w").await;
    let n = c.send(vec![req(Command::CHANGE_NOTIFY, notify(dir))]).await[0];
    // Its interim response: it waits.
    assert_eq!(status(&c.recv().await[0]), NtStatus::PENDING);
    let l = c
        .send(vec![req(Command::LOGOFF, |o| {
            lwio_smb2::LogoffRequest.encode(o)
        })])
        .await[0];
    assert_eq!(
        finals(&mut c, &[n, l]).await,
        [NtStatus::NOTIFY_CLEANUP, NtStatus::SUCCESS]
    );
}

#[tokio::test]
async fn change_notifies_on_one_handle_are_answered_in_the_order_sent() {
    let (port, _stop, dir_path) = start_in().await;
    let mut c = Client::logon(port).await;
    let dir = dir_handle(&mut c, "w").await;
    // Two requests in two frames of one write: the first waits, the second queues.
    let (mut wire, mids) = c.frame(vec![req(Command::CHANGE_NOTIFY, notify(dir))]);
    let (second, mids2) = c.frame(vec![req(Command::CHANGE_NOTIFY, notify(dir))]);
    wire.extend_from_slice(&second);
    c.s.write_all(&wire).await.unwrap();
    // Both interim responses (two frames).
    let mut pending = 0;
    while pending < 2 {
        for m in c.recv().await {
            assert_eq!(status(&m), NtStatus::PENDING);
            pending += 1;
        }
    }
    assert!(dir_path.join("w").is_dir());
    c.send(vec![req(
        Command::CREATE,
        open_file("w\\a.txt", AccessMask::GENERIC_ALL),
    )])
    .await;
    // The first request gets the first change; the second still waits.
    let mut first = None;
    while first.is_none() {
        for m in c.recv().await {
            let h = Header::decode(&m).unwrap();
            assert_ne!(h.message_id, mids2[0], "the second request answered first");
            if h.message_id == mids[0] {
                first = Some(h.status);
            }
        }
    }
    assert_eq!(first, Some(NtStatus::SUCCESS));
    c.send(vec![req(
        Command::CREATE,
        open_file("w\\b.txt", AccessMask::GENERIC_ALL),
    )])
    .await;
    assert_eq!(finals(&mut c, &[mids2[0]]).await, [NtStatus::SUCCESS]);
}

#[tokio::test]
async fn a_change_notify_on_a_directory_deleted_by_another_open_ends_delete_pending() {
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    let dir = dir_handle(&mut c, "gone").await;
    let n = c.send(vec![req(Command::CHANGE_NOTIFY, notify(dir))]).await[0];
    assert_eq!(status(&c.recv().await[0]), NtStatus::PENDING);
    // Another open deletes it on close (the first still holds it: the delete is pending).
    c.send(vec![
        req(Command::CREATE, |o| {
            CreateRequest {
                options: CreateOptions::DIRECTORY_FILE | CreateOptions::DELETE_ON_CLOSE,
                ..create("gone", AccessMask::DELETE | AccessMask::GENERIC_READ)
            }
            .encode(o)
        }),
        related(Command::CLOSE, close(RELATED_ID)),
    ])
    .await;
    let mut notify_status = None;
    while notify_status.is_none() {
        for m in c.recv().await {
            let h = Header::decode(&m).unwrap();
            if h.message_id == n {
                notify_status = Some(h.status);
            }
        }
    }
    assert_eq!(notify_status, Some(NtStatus::DELETE_PENDING));
}

/// A CHANGE_NOTIFY on `file_id` for `filter`, watching the subtree.
fn notify_for(file_id: FileId, filter: NotifyFilter) -> impl FnOnce(&mut Vec<u8>) {
    move |o| {
        ChangeNotifyRequest {
            flags: ChangeNotifyFlags::WATCH_TREE,
            output_buffer_length: 4096,
            file_id,
            completion_filter: filter,
        }
        .encode(o)
    }
}

#[tokio::test]
async fn a_rename_into_another_directory_is_reported_as_ntfs_reports_it() {
    use lwio_fscc::{FileRenameInformation, NotifyAction, decode_notify};
    use lwio_smb2::{ChangeNotifyResponse, SetInfoRequest};
    let (port, _stop, _) = start_in().await;
    let mut c = Client::logon(port).await;
    let names = dir_handle(&mut c, "r").await;
    let attributes = dir_handle(&mut c, "r").await;
    dir_handle(&mut c, "r\\sub").await;
    c.send(vec![req(
        Command::CREATE,
        open_file("r\\sub\\x.txt", AccessMask::GENERIC_ALL),
    )])
    .await;
    let file = CreateResponse::decode(&c.recv().await.remove(0))
        .unwrap()
        .file_id;
    let n1 = c
        .send(vec![req(
            Command::CHANGE_NOTIFY,
            notify_for(names, NotifyFilter::FILE_NAME | NotifyFilter::DIR_NAME),
        )])
        .await[0];
    let n2 = c
        .send(vec![req(
            Command::CHANGE_NOTIFY,
            notify_for(attributes, NotifyFilter::ATTRIBUTES),
        )])
        .await[0];
    let rename = FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: "r\\y.txt".into(),
    };
    let r = c
        .send(vec![req(Command::SET_INFO, move |o| {
            SetInfoRequest {
                info_type: InfoType::FILE,
                info_class: 10, // FileRenameInformation
                buffer: rename.encode(),
                additional_information: 0,
                file_id: file,
            }
            .encode(o)
        })])
        .await[0];
    let mut got = std::collections::HashMap::new();
    while [n1, n2, r].iter().any(|m| !got.contains_key(m)) {
        for m in c.recv().await {
            let h = Header::decode(&m).unwrap();
            if h.status == NtStatus::PENDING {
                continue;
            }
            assert_eq!(h.status, NtStatus::SUCCESS, "{:?}", h.command);
            let entries = if h.command == Command::CHANGE_NOTIFY {
                let buffer = ChangeNotifyResponse::decode(&m).unwrap().buffer;
                decode_notify(&buffer)
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.action, e.file_name))
                    .collect()
            } else {
                Vec::new()
            };
            got.insert(h.message_id, entries);
        }
    }
    // Into another directory: removed and added, not an old and a new name.
    assert_eq!(
        got[&n1],
        [
            (NotifyAction::REMOVED, "sub\\x.txt".to_string()),
            (NotifyAction::ADDED, "y.txt".to_string())
        ]
    );
    // A watch that sees no names sees the renamed file's attributes change.
    assert_eq!(got[&n2], [(NotifyAction::MODIFIED, "y.txt".to_string())]);
}
