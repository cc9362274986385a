#![allow(clippy::unwrap_used)]
//! Logon and message integrity over SMB against lwiod on loopback, with a raw client that
//! signs (lwio-auth's initiator for the tokens, lwio-srv's signer for the messages): each
//! test asserts a refusal and the status it carries.
//!
//! - re-authentication as another user, or as a name that maps to Guest: accepted, the
//!   session takes the new token and keeps its key and opens (MS-SMB2 3.3.5.5.3);
//! - an unknown user is Guest only with `--map-to-guest`;
//! - failed logons answered after the rate limiter's delay, queued per address and per
//!   account, while another client's logon is served at once;
//! - unsigned or badly signed requests on a signed session: ACCESS_DENIED (3.3.5.2.4); an
//!   unsigned or cross-session CANCEL ignored (3.3.5.16); the interim response unsigned
//!   (3.3.4.1.1);
//! - a compound whose responses would not fit in one Direct TCP frame: the READs that do
//!   not fit refused with INVALID_PARAMETER, the frame well formed;
//! - a missing or wrong SPNEGO mechListMIC: LOGON_FAILURE for SMB, a fault for an RPC
//!   bind over a pipe (MS-SPNG 3.2.5.1).

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lwio_auth::initiator::{Initiator, MicMode};
use lwio_auth::ntlm::{NtlmCredentials, nt_hash};
use lwio_auth::spnego::{OID_KRB5, Oid};
use lwio_core::irp::NotifyFilter;
use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus, ShareAccess};
use lwio_rpc::pdu::{
    self, AuthLevel, AuthType, AuthVerifier, Bind, FaultStatus, Pdu, PduBody, PfcFlags,
    PresentationContext,
};
use lwio_smb2::frame::encode_frame;
use lwio_smb2::tree::TreeConnectRequest;
use lwio_smb2::{
    CancelRequest, ChangeNotifyFlags, ChangeNotifyRequest, CloseFlags, CloseRequest, Command,
    CreateRequest, CreateResponse, Dialect, EchoRequest, FileId, Header, HeaderFlags, HeaderId,
    InfoType, NegotiateRequest, QueryInfoRequest, QueryInfoResponse, ReadRequest, ReadResponse,
    SecurityMode, SessionFlags, SessionSetupRequest, SessionSetupResponse, WriteRequest,
    split_compound,
};
use lwio_srv::signing::Signer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const WAIT: Duration = Duration::from_secs(30);

fn creds(user: &str, password: &str) -> NtlmCredentials {
    NtlmCredentials {
        user: user.into(),
        domain: String::new(),
        workstation: "RAW".into(),
        nt_hash: nt_hash(password),
    }
}

fn status(msg: &[u8]) -> NtStatus {
    Header::decode(msg).unwrap().status
}

/// The body of a request, written after its header (offsets count from the header).
type Body = Box<dyn FnOnce(&mut Vec<u8>) + Send>;

/// One request to build: command, credit charge, body.
struct Req {
    command: Command,
    charge: u16,
    body: Body,
}

fn req(command: Command, body: impl FnOnce(&mut Vec<u8>) + Send + 'static) -> Req {
    Req {
        command,
        charge: 1,
        body: Box::new(body),
    }
}

/// A raw SMB 3.0 client that signs with each session's key.
struct Smb {
    s: TcpStream,
    next_mid: u64,
    session_id: u64,
    tree_id: u32,
    signers: HashMap<u64, Signer>,
}

impl Smb {
    async fn connect(port: u16) -> Smb {
        Smb::connect_from(port, [127, 0, 0, 1]).await
    }

    /// Connects from the loopback address `from`, for tests that need several clients.
    async fn connect_from(port: u16, from: [u8; 4]) -> Smb {
        let sock = TcpSocket::new_v4().unwrap();
        sock.bind((from, 0).into()).unwrap();
        let s = sock.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        let mut c = Smb {
            s,
            next_mid: 0,
            session_id: 0,
            tree_id: 0,
            signers: HashMap::new(),
        };
        let r = c
            .call(req(Command::NEGOTIATE, |o| {
                NegotiateRequest {
                    security_mode: SecurityMode::SIGNING_ENABLED,
                    dialects: vec![Dialect::SMB_3_0],
                    ..NegotiateRequest::default()
                }
                .encode(o)
            }))
            .await;
        assert_eq!(status(&r), NtStatus::SUCCESS);
        c
    }

    /// The bytes of one message of a chain (not yet signed or padded).
    fn message(&mut self, r: Req) -> Vec<u8> {
        let mid = self.next_mid;
        self.next_mid += u64::from(r.charge.max(1));
        let mut m = Vec::new();
        Header {
            command: r.command,
            credit_charge: r.charge,
            credits: 256,
            message_id: mid,
            session_id: self.session_id,
            id: HeaderId::Sync {
                reserved: 0,
                tree_id: self.tree_id,
            },
            ..Header::default()
        }
        .encode(&mut m);
        (r.body)(&mut m);
        m
    }

    /// Sends `msgs` as one frame, each padded, chained and signed (when `sign` and the
    /// session has a key).
    async fn send_raw(&mut self, mut msgs: Vec<Vec<u8>>, sign: bool) {
        let n = msgs.len();
        let mut frame = Vec::new();
        for (i, m) in msgs.iter_mut().enumerate() {
            if i + 1 < n {
                let padded = m.len().div_ceil(8) * 8;
                m.resize(padded, 0);
                m[20..24].copy_from_slice(&(padded as u32).to_le_bytes());
            }
            let sid = Header::decode(m).unwrap().session_id;
            if sign && let Some(s) = self.signers.get(&sid) {
                s.sign(m);
            }
            frame.extend_from_slice(m);
        }
        let mut wire = Vec::new();
        encode_frame(&frame, &mut wire);
        self.s.write_all(&wire).await.unwrap();
    }

    async fn send(&mut self, reqs: Vec<Req>) {
        let msgs = reqs.into_iter().map(|r| self.message(r)).collect();
        self.send_raw(msgs, true).await;
    }

    /// The next frame, split; `None` when nothing comes within `wait`.
    async fn recv_within(&mut self, wait: Duration) -> Option<Vec<Vec<u8>>> {
        let mut head = [0u8; 4];
        tokio::time::timeout(wait, self.s.read_exact(&mut head))
            .await
            .ok()?
            .expect("the connection stays open");
        let len = u32::from_be_bytes(head);
        assert!(len <= 0x00FF_FFFF, "a Direct TCP length has 24 bits");
        let mut frame = vec![0; len as usize];
        tokio::time::timeout(WAIT, self.s.read_exact(&mut frame))
            .await
            .expect("the whole frame in time")
            .unwrap();
        let parts = split_compound(&frame).expect("a well-formed compound");
        Some(parts.into_iter().map(<[u8]>::to_vec).collect())
    }

    async fn recv(&mut self) -> Vec<Vec<u8>> {
        self.recv_within(WAIT).await.expect("a response in time")
    }

    /// Sends one request and returns its final response (interim ones skipped), checking
    /// the signature of a signed one.
    async fn call(&mut self, r: Req) -> Vec<u8> {
        self.send(vec![r]).await;
        loop {
            let m = self.recv().await.remove(0);
            if status(&m) == NtStatus::PENDING {
                continue;
            }
            self.check_signature(&m);
            return m;
        }
    }

    fn check_signature(&self, m: &[u8]) {
        let h = Header::decode(m).unwrap();
        if h.flags.contains(HeaderFlags::SIGNED) {
            let s = self
                .signers
                .get(&h.session_id)
                .expect("a key to check with");
            assert!(s.verify(m), "the response's signature verifies");
        }
    }

    /// Runs a SESSION_SETUP exchange on `session_id` (0: a new session); returns the
    /// final status, the final response and the initiator.
    async fn session_setup(
        &mut self,
        session_id: u64,
        mut init: Initiator,
    ) -> (NtStatus, Vec<u8>, Initiator) {
        let saved = self.session_id;
        self.session_id = session_id;
        let mut token = init.first();
        loop {
            let buffer = token.clone();
            self.send(vec![req(Command::SESSION_SETUP, move |o| {
                SessionSetupRequest {
                    security_buffer: buffer,
                    ..SessionSetupRequest::default()
                }
                .encode(o)
            })])
            .await;
            let m = self.recv().await.remove(0);
            let h = Header::decode(&m).unwrap();
            if h.status == NtStatus::MORE_PROCESSING_REQUIRED {
                self.session_id = h.session_id;
                let answer = SessionSetupResponse::decode(&m).unwrap().security_buffer;
                token = init.step(&answer, 0).unwrap();
                continue;
            }
            let keyless = || {
                let flags = SessionSetupResponse::decode(&m).unwrap().session_flags;
                flags.contains(SessionFlags::IS_GUEST) || flags.contains(SessionFlags::IS_NULL)
            };
            if h.status != NtStatus::SUCCESS {
                self.session_id = saved;
            } else if session_id == 0 && !keyless() {
                let key = init.session_key().unwrap();
                let signer = Signer::new(Dialect::SMB_3_0, &key, [0; 64], false);
                if h.flags.contains(HeaderFlags::SIGNED) {
                    assert!(
                        signer.verify(&m),
                        "the final response is signed with the key"
                    );
                }
                self.signers.insert(h.session_id, signer);
            }
            return (h.status, m, init);
        }
    }

    /// Logs on as `user` with SPNEGO; the status.
    async fn logon(&mut self, user: &str, password: &str) -> NtStatus {
        let (st, _, _) = self
            .session_setup(0, Initiator::spnego(creds(user, password)))
            .await;
        st
    }

    async fn tree(&mut self, share: &str) {
        let path = format!("\\\\127.0.0.1\\{share}");
        let m = self
            .call(req(Command::TREE_CONNECT, move |o| {
                TreeConnectRequest {
                    path,
                    ..TreeConnectRequest::default()
                }
                .encode(o)
            }))
            .await;
        assert_eq!(status(&m), NtStatus::SUCCESS);
        self.tree_id = Header::decode(&m).unwrap().tree_id().unwrap();
    }

    async fn create(&mut self, name: &str, options: CreateOptions) -> FileId {
        let name = name.to_owned();
        let m = self
            .call(req(Command::CREATE, move |o| {
                CreateRequest {
                    desired_access: AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                    share_access: ShareAccess::ALL,
                    disposition: CreateDisposition::OPEN_IF,
                    options,
                    name,
                    ..CreateRequest::default()
                }
                .encode(o)
            }))
            .await;
        assert_eq!(status(&m), NtStatus::SUCCESS, "create");
        CreateResponse::decode(&m).unwrap().file_id
    }

    /// The owner SID of an open file (QUERY_INFO of its security, OWNER).
    async fn owner(&mut self, file_id: FileId) -> lwio_core::Sid {
        let m = self
            .call(req(Command::QUERY_INFO, move |o| {
                QueryInfoRequest {
                    info_type: InfoType::SECURITY,
                    output_buffer_length: 4096,
                    additional_information: 1, // OWNER_SECURITY_INFORMATION
                    file_id,
                    ..QueryInfoRequest::default()
                }
                .encode(o)
            }))
            .await;
        assert_eq!(status(&m), NtStatus::SUCCESS, "query owner");
        let sd = QueryInfoResponse::decode(&m).unwrap().buffer;
        lwio_core::SecurityDescriptor::decode(&sd)
            .unwrap()
            .owner
            .unwrap()
    }

    async fn echo(&mut self) -> NtStatus {
        status(
            &self
                .call(req(Command::ECHO, |o| EchoRequest.encode(o)))
                .await,
        )
    }
}

fn start(extra: &[&str]) -> common::Running {
    common::start(extra)
}

#[tokio::test]
async fn reauthentication_as_another_identity_takes_its_token_and_keeps_key_and_opens() {
    let srv = start(&[
        "--user",
        "other:word",
        "--map-to-guest",
        "--failed-logon-delay-ms",
        "0",
    ]);
    let mut c = Smb::connect(srv.port).await;
    assert_eq!(c.logon("user", "pass").await, NtStatus::SUCCESS);
    let session = c.session_id;
    c.tree("share").await;
    let file = c.create("mine.txt", CreateOptions::default()).await;
    let mine = c.owner(file).await;

    // Another account, with its right password: accepted (MS-SMB2 3.3.5.5.3, as Windows),
    // answered under the session's first key; what is created now is the other
    // account's, and the first open goes on.
    let (st, m, _) = c
        .session_setup(session, Initiator::spnego(creds("other", "word")))
        .await;
    assert_eq!(st, NtStatus::SUCCESS, "re-authentication as other");
    c.check_signature(&m);
    assert_eq!(c.session_id, session);
    let theirs = c.create("theirs.txt", CreateOptions::default()).await;
    let other = c.owner(theirs).await;
    assert_ne!(mine, other, "a file created after the re-authentication");
    assert_eq!(c.owner(file).await, mine);
    // A name the server maps to Guest: accepted too, flagged as a guest session.
    let (st, m, _) = c
        .session_setup(session, Initiator::spnego(creds("nobody", "x")))
        .await;
    assert_eq!(st, NtStatus::SUCCESS, "re-authentication as Guest");
    assert_eq!(
        SessionSetupResponse::decode(&m).unwrap().session_flags,
        SessionFlags::IS_GUEST
    );
    assert_eq!(c.echo().await, NtStatus::SUCCESS);
    // The first user again, with a new key: accepted, and the session goes on with its
    // first key (the signer is the one made at logon) and its open file.
    let (st, m, _) = c
        .session_setup(session, Initiator::spnego(creds("USER", "pass")))
        .await;
    assert_eq!(st, NtStatus::SUCCESS);
    assert!(
        Header::decode(&m)
            .unwrap()
            .flags
            .contains(HeaderFlags::SIGNED)
    );
    c.check_signature(&m);
    assert_eq!(
        SessionSetupResponse::decode(&m).unwrap().session_flags,
        SessionFlags::empty()
    );
    let again = c.create("again.txt", CreateOptions::default()).await;
    assert_eq!(c.owner(again).await, mine);
    for f in [file, theirs, again] {
        let closed = c
            .call(req(Command::CLOSE, move |o| {
                CloseRequest {
                    flags: CloseFlags::default(),
                    file_id: f,
                }
                .encode(o)
            }))
            .await;
        assert_eq!(status(&closed), NtStatus::SUCCESS);
    }

    // A wrong password on re-authentication is a failed logon: the session goes
    // (MS-SMB2 3.3.5.5.3; smbtorture's smb2.session.reauth6).
    let (st, _, _) = c
        .session_setup(session, Initiator::spnego(creds("user", "wrong")))
        .await;
    assert_eq!(st, NtStatus::LOGON_FAILURE);
    c.session_id = session;
    // The answer to a request still naming it is signed with its key (checked by `call`),
    // as a client that requires signing wants.
    let gone = c.call(req(Command::ECHO, |o| EchoRequest.encode(o))).await;
    assert_eq!(status(&gone), NtStatus::USER_SESSION_DELETED);
    assert!(
        Header::decode(&gone)
            .unwrap()
            .flags
            .contains(HeaderFlags::SIGNED)
    );
}

#[tokio::test]
async fn an_unknown_user_is_guest_only_with_map_to_guest() {
    for (extra, want) in [
        (&[][..], NtStatus::LOGON_FAILURE),
        (&["--allow-guest"][..], NtStatus::LOGON_FAILURE),
        (&["--map-to-guest"][..], NtStatus::SUCCESS),
    ] {
        let mut args = vec!["--failed-logon-delay-ms", "0"];
        args.extend_from_slice(extra);
        let srv = start(&args);
        let mut c = Smb::connect(srv.port).await;
        let (st, m, _) = c
            .session_setup(0, Initiator::spnego(creds("nobody", "x")))
            .await;
        assert_eq!(st, want, "{extra:?}");
        if st == NtStatus::SUCCESS {
            let flags = SessionSetupResponse::decode(&m).unwrap().session_flags;
            assert_eq!(flags, SessionFlags::IS_GUEST);
            // A guest session has no key: it is not signed, and may read the share.
            assert!(
                !Header::decode(&m)
                    .unwrap()
                    .flags
                    .contains(HeaderFlags::SIGNED)
            );
            c.tree("share").await;
        }
        // The real user logs on whatever the policy.
        let mut d = Smb::connect(srv.port).await;
        assert_eq!(d.logon("user", "pass").await, NtStatus::SUCCESS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logons_wait_queued_per_address_and_account_while_others_are_served() {
    // The default delay, 2 s.
    let srv = start(&[]);
    let port = srv.port;
    let t0 = Instant::now();
    let fail = |from: [u8; 4]| {
        tokio::spawn(async move {
            let mut c = Smb::connect_from(port, from).await;
            let st = c.logon("user", "wrong").await;
            (st, t0.elapsed())
        })
    };
    // Two wrong passwords for one account, from two addresses.
    let a = fail([127, 0, 0, 1]);
    let b = fail([127, 0, 0, 2]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile a third client logs on with the right password.
    let mut ok = Smb::connect_from(port, [127, 0, 0, 3]).await;
    assert_eq!(ok.logon("user", "pass").await, NtStatus::SUCCESS);
    let served = t0.elapsed();
    let (sa, ta) = a.await.unwrap();
    let (sb, tb) = b.await.unwrap();
    assert_eq!((sa, sb), (NtStatus::LOGON_FAILURE, NtStatus::LOGON_FAILURE));
    let (first, second) = (ta.min(tb), ta.max(tb));
    assert!(
        first >= Duration::from_millis(1900),
        "first failure after {first:?}"
    );
    // The second failure names the same account: it waits behind the first.
    assert!(
        second >= Duration::from_millis(3900),
        "second failure after {second:?}"
    );
    assert!(
        served < first,
        "the good logon ({served:?}) is served while the failures wait ({first:?})"
    );
}

/// A CHANGE_NOTIFY on `dir` that goes asynchronous: returns its message id and async id.
async fn pending_notify(c: &mut Smb, dir: FileId) -> (u64, u64) {
    let mid = c.next_mid;
    c.send(vec![req(Command::CHANGE_NOTIFY, move |o| {
        ChangeNotifyRequest {
            flags: ChangeNotifyFlags::default(),
            output_buffer_length: 4096,
            file_id: dir,
            completion_filter: NotifyFilter::FILE_NAME,
        }
        .encode(o)
    })])
    .await;
    let interim = c.recv().await.remove(0);
    let h = Header::decode(&interim).unwrap();
    assert_eq!(h.status, NtStatus::PENDING);
    // MS-SMB2 3.3.4.1.1: the interim response is not signed.
    assert!(!h.flags.contains(HeaderFlags::SIGNED));
    assert_eq!(h.signature, [0; 16]);
    let HeaderId::Async { async_id } = h.id else {
        panic!("an interim response carries an async id")
    };
    (mid, async_id)
}

/// A CANCEL of `async_id` in `session_id`, signed or not.
fn cancel(mid: u64, async_id: u64, session_id: u64) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        command: Command::CANCEL,
        message_id: mid,
        session_id,
        id: HeaderId::Async { async_id },
        ..Header::default()
    }
    .encode(&mut m);
    CancelRequest.encode(&mut m);
    m
}

#[tokio::test]
async fn unsigned_requests_and_cancels_on_a_signed_session_are_refused_or_ignored() {
    let srv = start(&[]);
    let mut c = Smb::connect(srv.port).await;
    assert_eq!(c.logon("user", "pass").await, NtStatus::SUCCESS);
    let first = c.session_id;
    c.tree("share").await;
    // Unsigned, and signed badly: ACCESS_DENIED (MS-SMB2 3.3.5.2.4).
    let echo = c.message(req(Command::ECHO, |o| EchoRequest.encode(o)));
    c.send_raw(vec![echo], false).await;
    assert_eq!(status(&c.recv().await[0]), NtStatus::ACCESS_DENIED);
    let mut echo = c.message(req(Command::ECHO, |o| EchoRequest.encode(o)));
    c.signers[&first].sign(&mut echo);
    echo[50] ^= 1;
    c.send_raw(vec![echo], false).await;
    assert_eq!(status(&c.recv().await[0]), NtStatus::ACCESS_DENIED);

    let dir = c.create("watched", CreateOptions::DIRECTORY_FILE).await;
    let (mid, async_id) = pending_notify(&mut c, dir).await;
    // An unsigned CANCEL, and one whose signature is wrong: ignored.
    c.send_raw(vec![cancel(mid, async_id, first)], false).await;
    let mut bad = cancel(mid, async_id, first);
    c.signers[&first].sign(&mut bad);
    bad[60] ^= 1;
    c.send_raw(vec![bad], false).await;
    // A second session of the same connection cancelling the first one's request, with
    // its own valid signature: ignored too (MS-SMB2 3.3.5.16).
    let second_session = {
        let saved = (c.session_id, c.tree_id);
        assert_eq!(c.logon("user", "pass").await, NtStatus::SUCCESS);
        let id = c.session_id;
        (c.session_id, c.tree_id) = saved;
        id
    };
    assert_ne!(second_session, first);
    c.send_raw(vec![cancel(mid, async_id, second_session)], true)
        .await;
    assert!(
        c.recv_within(Duration::from_millis(700)).await.is_none(),
        "no CANCEL but the session's own, signed, reaches the request"
    );
    // The session's own signed CANCEL ends it.
    c.send_raw(vec![cancel(mid, async_id, first)], true).await;
    let last = c.recv().await.remove(0);
    assert_eq!(status(&last), NtStatus::CANCELLED);
    assert!(
        Header::decode(&last)
            .unwrap()
            .flags
            .contains(HeaderFlags::SIGNED)
    );
    c.check_signature(&last);
}

#[tokio::test]
async fn a_compound_too_big_for_one_frame_is_refused_in_a_well_formed_frame() {
    let srv = start(&[]);
    let big = srv.dir.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(24 << 20)
        .unwrap();
    // Made behind the server's back by root: open it to the account (the test opens it
    // for reading and writing).
    std::fs::set_permissions(&big, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let mut c = Smb::connect(srv.port).await;
    assert_eq!(c.logon("user", "pass").await, NtStatus::SUCCESS);
    c.tree("share").await;
    let file = c.create("big.bin", CreateOptions::default()).await;
    let read = |offset: u64| {
        let mut r = req(Command::READ, move |o| {
            ReadRequest {
                length: 8 << 20,
                offset,
                file_id: file,
                ..ReadRequest::default()
            }
            .encode(o)
        });
        r.charge = 128;
        r
    };
    // Three 8 MiB READs: 24 MiB of answers, more than a 24-bit length can say.
    c.send(vec![read(0), read(8 << 20), read(16 << 20)]).await;
    let parts = c.recv().await;
    let statuses: Vec<NtStatus> = parts.iter().map(|m| status(m)).collect();
    assert_eq!(
        statuses,
        [
            NtStatus::SUCCESS,
            NtStatus::INVALID_PARAMETER,
            NtStatus::INVALID_PARAMETER
        ]
    );
    for m in &parts {
        c.check_signature(m);
    }
    assert_eq!(ReadResponse::decode(&parts[0]).unwrap().data.len(), 8 << 20);
    // One READ alone is served whole, and the connection goes on.
    c.send(vec![read(16 << 20)]).await;
    assert_eq!(status(&c.recv().await[0]), NtStatus::SUCCESS);
    assert_eq!(c.echo().await, NtStatus::SUCCESS);
}

#[tokio::test]
async fn a_missing_or_wrong_mechlistmic_fails_the_smb_logon() {
    let srv = start(&["--failed-logon-delay-ms", "0"]);
    let krb_first = vec![Oid(OID_KRB5.to_vec()), Oid::ntlmssp()];
    for (mechs, mic, want) in [
        (None, MicMode::Correct, NtStatus::SUCCESS),
        (None, MicMode::Omit, NtStatus::LOGON_FAILURE),
        (None, MicMode::Corrupt, NtStatus::LOGON_FAILURE),
        (Some(krb_first.clone()), MicMode::Correct, NtStatus::SUCCESS),
        (
            Some(krb_first.clone()),
            MicMode::Omit,
            NtStatus::LOGON_FAILURE,
        ),
        (
            Some(krb_first.clone()),
            MicMode::Corrupt,
            NtStatus::LOGON_FAILURE,
        ),
    ] {
        let mut init = Initiator::spnego(creds("user", "pass")).with_mic(mic);
        if let Some(m) = &mechs {
            init = init.with_mech_types(m.clone());
        }
        let mut c = Smb::connect(srv.port).await;
        let (st, m, mut init) = c.session_setup(0, init).await;
        assert_eq!(st, want, "{mic:?}, NTLMSSP first: {}", mechs.is_none());
        if st == NtStatus::SUCCESS {
            // Our own mechListMIC verifies with the client's key.
            let answer = SessionSetupResponse::decode(&m).unwrap().security_buffer;
            assert!(init.finish(&answer).unwrap());
        }
    }
}

#[tokio::test]
async fn a_missing_or_wrong_mechlistmic_fails_an_rpc_bind_over_smb() {
    let srv = start(&["--failed-logon-delay-ms", "0"]);
    for (mic, accepted) in [
        (MicMode::Correct, true),
        (MicMode::Corrupt, false),
        (MicMode::Omit, false),
    ] {
        let mut c = Smb::connect(srv.port).await;
        assert_eq!(c.logon("user", "pass").await, NtStatus::SUCCESS);
        c.tree("IPC$").await;
        let pipe = c.create("srvsvc", CreateOptions::default()).await;
        let mut init = Initiator::spnego(creds("user", "pass")).with_mic(mic);
        let verifier = |value| AuthVerifier {
            auth_type: AuthType::GSS_NEGOTIATE,
            auth_level: AuthLevel::PKT_INTEGRITY,
            pad_length: 0,
            reserved: 0,
            context_id: 7,
            value,
        };
        let bind = Bind {
            max_xmit_frag: 4280,
            max_recv_frag: 4280,
            assoc_group_id: 0,
            contexts: vec![PresentationContext {
                context_id: 0,
                abstract_syntax: lwio_rpc::interfaces::srvsvc::SRVSVC_SYNTAX,
                transfer_syntaxes: vec![lwio_rpc::NDR20_SYNTAX],
            }],
        };
        let ack = rpc_round_trip(
            &mut c,
            pipe,
            Pdu {
                auth: Some(verifier(init.first())),
                ..Pdu::new(1, PfcFlags::FIRST_AND_LAST, PduBody::Bind(bind.clone()))
            },
        )
        .await;
        assert!(matches!(ack.body, PduBody::BindAck(_)), "{ack:?}");
        let token = init.step(&ack.auth.unwrap().value, 0).unwrap();
        let answer = rpc_round_trip(
            &mut c,
            pipe,
            Pdu {
                auth: Some(verifier(token)),
                ..Pdu::new(2, PfcFlags::FIRST_AND_LAST, PduBody::AlterContext(bind))
            },
        )
        .await;
        match (answer.body, accepted) {
            (PduBody::AlterContextResp(_), true) => {
                assert!(init.finish(&answer.auth.unwrap().value).unwrap());
            }
            (PduBody::Fault(f), false) => assert_eq!(f.status, FaultStatus::ACCESS_DENIED),
            (other, _) => panic!("{mic:?}: {other:?}"),
        }
    }
}

/// Writes one PDU to the pipe and reads the answer.
async fn rpc_round_trip(c: &mut Smb, pipe: FileId, pdu: Pdu) -> Pdu {
    let bytes = pdu::encode(&pdu);
    let w = c
        .call(req(Command::WRITE, move |o| {
            WriteRequest {
                offset: 0,
                file_id: pipe,
                channel: Default::default(),
                remaining_bytes: 0,
                flags: Default::default(),
                data: &bytes,
                channel_info: &[],
            }
            .encode(o)
        }))
        .await;
    assert_eq!(status(&w), NtStatus::SUCCESS);
    let r = c
        .call(req(Command::READ, move |o| {
            ReadRequest {
                length: 4280,
                offset: 0,
                file_id: pipe,
                ..ReadRequest::default()
            }
            .encode(o)
        }))
        .await;
    assert_eq!(status(&r), NtStatus::SUCCESS);
    pdu::decode(&ReadResponse::decode(&r).unwrap().data).unwrap()
}

/// smbclient against the defaults: signing required, a wrong password answered after the
/// rate limiter's delay, the right one at once.
#[test]
fn smbclient_sees_the_delay_and_signs() {
    let srv = start(&[]);
    let run = |user: &str| {
        let t = Instant::now();
        let out = std::process::Command::new("smbclient")
            .arg("//127.0.0.1/share")
            .args(["-p", &srv.port.to_string(), "-U", user, "-m", "SMB3_11"])
            .args(["-c", "ls"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run smbclient ({e}): install `smbclient`"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text, t.elapsed())
    };
    let (ok, out, took) = run("user%wrong");
    assert!(!ok);
    assert!(out.contains("NT_STATUS_LOGON_FAILURE"), "{out}");
    assert!(
        took >= Duration::from_millis(1900),
        "answered after {took:?}"
    );
    let (ok, out, _) = run("user%pass");
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_binding_request_goes_on_under_the_sessions_key() {
    let srv = start(&["--failed-logon-delay-ms", "0"]);
    let mut first = Smb::connect(srv.port).await;
    assert_eq!(first.logon("user", "pass").await, NtStatus::SUCCESS);
    let session = first.session_id;
    let signer = first.signers[&session].clone();
    // A second connection asks to bind the first one's session (SMB2_SESSION_FLAG_BINDING,
    // signed with the session's key): multichannel is on, so the authentication goes on,
    // its interim answer signed with that key (lwio-srv/tests/multichannel.rs binds to
    // the end).
    let mut second = Smb::connect(srv.port).await;
    second.signers.insert(session, signer);
    second.session_id = session;
    let token = Initiator::spnego(creds("user", "pass")).first();
    let m = second
        .call(req(Command::SESSION_SETUP, move |o| {
            SessionSetupRequest {
                flags: lwio_smb2::session::SessionSetupFlags::BINDING,
                security_buffer: token,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        }))
        .await;
    assert_eq!(status(&m), NtStatus::MORE_PROCESSING_REQUIRED);
    let signed = Header::decode(&m)
        .unwrap()
        .flags
        .contains(HeaderFlags::SIGNED);
    assert!(signed, "signed (and checked by `call`)");
    assert_eq!(first.echo().await, NtStatus::SUCCESS);
}

#[tokio::test]
async fn without_multichannel_a_binding_request_is_not_accepted_under_the_sessions_key() {
    let srv = start(&["--failed-logon-delay-ms", "0", "--no-multichannel"]);
    let mut first = Smb::connect(srv.port).await;
    assert_eq!(first.logon("user", "pass").await, NtStatus::SUCCESS);
    let session = first.session_id;
    let signer = first.signers[&session].clone();
    // A second connection asks to bind the first one's session (SMB2_SESSION_FLAG_BINDING,
    // signed with the session's key): multichannel is off, so the answer is
    // STATUS_REQUEST_NOT_ACCEPTED, signed with that key.
    let mut second = Smb::connect(srv.port).await;
    second.signers.insert(session, signer);
    second.session_id = session;
    let token = Initiator::spnego(creds("user", "pass")).first();
    let m = second
        .call(req(Command::SESSION_SETUP, move |o| {
            SessionSetupRequest {
                flags: lwio_smb2::session::SessionSetupFlags::BINDING,
                security_buffer: token,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        }))
        .await;
    assert_eq!(status(&m), NtStatus::REQUEST_NOT_ACCEPTED);
    let signed = Header::decode(&m)
        .unwrap()
        .flags
        .contains(HeaderFlags::SIGNED);
    assert!(signed, "signed (and checked by `call`)");
    // Without the flag, the session is not this connection's: USER_SESSION_DELETED, also
    // under its key.
    let token = Initiator::spnego(creds("user", "pass")).first();
    let m = second
        .call(req(Command::SESSION_SETUP, move |o| {
            SessionSetupRequest {
                security_buffer: token,
                ..SessionSetupRequest::default()
            }
            .encode(o)
        }))
        .await;
    assert_eq!(status(&m), NtStatus::USER_SESSION_DELETED);
    assert!(
        Header::decode(&m)
            .unwrap()
            .flags
            .contains(HeaderFlags::SIGNED)
    );
    // The session goes on, on its own connection.
    assert_eq!(first.echo().await, NtStatus::SUCCESS);
}
