#![allow(clippy::unwrap_used)]
//! SMB 3.x multichannel (MS-SMB2 3.3.5.5 with SMB2_SESSION_FLAG_BINDING, 3.3.7.1): a
//! session bound to a second connection works on both, outlives the connection it was
//! made on, ends on every channel at a LOGOFF on one, sends its oplock breaks to the
//! channel bound last (a live one), sends an unanswered lease break again on the next
//! channel when the first goes silent, and each binding the rules refuse gets Windows'
//! status.

use std::time::Duration;

use lwio_core::{AccessMask, CreateDisposition, NtStatus, ShareAccess};
use lwio_smb2::create_context::{Lease, LeaseFlags};
use lwio_smb2::oplock::{LeaseBreakAck, LeaseBreakFlags, LeaseBreakNotification, LeaseState};
use lwio_smb2::{
    Capabilities, Command, CreateRequest, CreateResponse, Dialect, FileId, HeaderFlags,
    OplockLevel, RequestContext,
};
use lwio_srv::accounts::UserConfig;
use lwio_srv::testing::client::{Msg, RawClient, body, header, status_of};
use lwio_srv::testing::{Harness, USER, open_to_everyone, small_config};
use tokio::io::DuplexStream;
use tokio::task::JoinHandle;

type Client = RawClient<DuplexStream>;
type Task = JoinHandle<Result<(), lwio_srv::endpoint::Refused>>;

const OTHER: (&str, &str) = ("other", "word");

fn server_with(dir: &std::path::Path, settings: impl FnOnce(&mut lwio_srv::Settings)) -> Harness {
    open_to_everyone(dir).unwrap();
    let mut config = small_config(dir);
    config.users.push(UserConfig::new(OTHER.0, OTHER.1));
    settings(&mut config.settings);
    Harness::new(config).unwrap()
}

fn server(dir: &std::path::Path) -> Harness {
    server_with(dir, |_| {})
}

/// A connection negotiated at `dialect`, announcing multichannel; whether the server
/// advertised it.
async fn negotiated(h: &Harness, dialect: Dialect) -> (Client, Task, bool) {
    let (mut c, task) = h.connect(None);
    let caps = lwio_smb2::NegotiateRequest::default().capabilities | Capabilities::MULTI_CHANNEL;
    let r = c.negotiate_caps(&[dialect], caps).await.unwrap();
    (
        c,
        task,
        r.capabilities.contains(Capabilities::MULTI_CHANNEL),
    )
}

/// A first channel: logged on as `user`, the share connected.
async fn first(h: &Harness, user: (&str, &str)) -> (Client, Task, u64) {
    let (mut c, task, advertised) = negotiated(h, Dialect::SMB_3_0_2).await;
    assert!(
        advertised,
        "3.x NEGOTIATE advertises SMB2_GLOBAL_CAP_MULTI_CHANNEL"
    );
    let sid = c.logon(user.0, user.1).await.unwrap();
    c.tree_connect("share").await.unwrap();
    (c, task, sid)
}

/// A second connection bound to `c1`'s session; the binding's status.
async fn bind(h: &Harness, c1: &Client, sid: u64, user: (&str, &str)) -> (Client, Task, NtStatus) {
    let (mut c2, task, _) = negotiated(h, Dialect::SMB_3_0_2).await;
    let status = c2.bind(sid, c1.signer(sid), user).await.unwrap();
    c2.tree_id = c1.tree_id;
    (c2, task, status)
}

/// Another channel of `c1`'s session `sid` (the binding must succeed).
async fn channel(h: &Harness, c1: &Client, sid: u64) -> Chan {
    let (c, task, status) = bind(h, c1, sid, USER).await;
    assert_eq!(status, NtStatus::SUCCESS, "binding a channel");
    (c, task)
}

/// A session on two channels with `name` open on it, holding `data`: both channels (the
/// first, the one bound to it), their tasks, the session id and the file id.
async fn two_channels(h: &Harness, name: &str, data: &[u8]) -> (Chan, Chan, u64, FileId) {
    let (mut c1, t1, sid) = first(h, USER).await;
    let id = create(&mut c1, name, OplockLevel::NONE).await.file_id;
    c1.write(id, 0, data).await.unwrap();
    let second = channel(h, &c1, sid).await;
    ((c1, t1), second, sid, id)
}

type Chan = (Client, Task);

async fn drop_connection(c: Client, task: Task) {
    drop(c);
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

fn create_msg(name: &str, oplock: OplockLevel) -> Msg {
    let name = name.to_owned();
    Msg::new(
        Command::CREATE,
        body(|o| {
            CreateRequest {
                oplock_level: oplock,
                desired_access: AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                share_access: ShareAccess::READ | ShareAccess::WRITE,
                disposition: CreateDisposition::OPEN_IF,
                name,
                ..CreateRequest::default()
            }
            .encode(o)
        }),
    )
}

async fn create(c: &mut Client, name: &str, oplock: OplockLevel) -> CreateResponse {
    let m = c.call_ok(create_msg(name, oplock)).await.unwrap();
    CreateResponse::decode(&m).unwrap()
}

async fn read_status(c: &mut Client, id: FileId) -> NtStatus {
    let m = c
        .call(RawClient::<DuplexStream>::read_msg(id, 0, 16))
        .await
        .unwrap();
    status_of(&m)
}

#[tokio::test]
async fn a_bound_session_works_on_both_connections() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let ((mut c1, _t1), (mut c2, _t2), _, id) =
        two_channels(&h, "both.txt", b"first channel").await;
    // The open of the first connection, read on the second (signed with the channel's
    // key: the client checks every signature).
    assert_eq!(c2.read(id, 0, 13).await.unwrap(), b"first channel");
    c2.write(id, 0, b"second").await.unwrap();
    assert_eq!(c1.read(id, 0, 6).await.unwrap(), b"second");
    // A file opened on the second channel is the session's too.
    let id2 = create(&mut c2, "two.txt", OplockLevel::NONE).await.file_id;
    c1.write(id2, 0, b"x").await.unwrap();
    c2.close(id2).await.unwrap();
}

#[tokio::test]
async fn a_cut_channel_leaves_the_session_on_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let ((c1, t1), (mut c2, t2), _, id) = two_channels(&h, "cut.txt", b"kept").await;
    // The engine counts the session's open once, not once per channel.
    assert_eq!(h.endpoint().stats().opens, 1);
    // The connection the session was made on goes: the session, its tree and its open
    // live on (MS-SMB2 3.3.7.1).
    drop_connection(c1, t1).await;
    assert_eq!(c2.read(id, 0, 4).await.unwrap(), b"kept");
    let id2 = create(&mut c2, "after.txt", OplockLevel::NONE)
        .await
        .file_id;
    c2.close(id2).await.unwrap();
    assert_eq!(h.server().status().sessions().len(), 1);
    assert_eq!(h.endpoint().stats().opens, 1);
    // The last channel goes: so does the session, and every open.
    drop_connection(c2, t2).await;
    h.settle(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn logoff_on_one_channel_ends_the_session_on_all() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let ((mut c1, _t1), (mut c2, _t2), _, id) = two_channels(&h, "off.txt", b"data").await;
    c2.logoff().await.unwrap();
    assert_eq!(
        read_status(&mut c1, id).await,
        NtStatus::USER_SESSION_DELETED
    );
    assert_eq!(
        read_status(&mut c2, id).await,
        NtStatus::USER_SESSION_DELETED
    );
    assert!(h.server().status().sessions().is_empty());
}

#[tokio::test]
async fn an_oplock_break_goes_to_a_live_channel() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c1, t1, sid) = first(&h, USER).await;
    let r = create(&mut c1, "oplock.txt", OplockLevel::BATCH).await;
    assert_eq!(r.oplock_level, OplockLevel::BATCH);
    let (mut c2, _t2) = channel(&h, &c1, sid).await;
    drop_connection(c1, t1).await;
    // Another session opens the file: the break goes to the remaining channel.
    let (mut c3, _t3, _) = first(&h, USER).await;
    let mids = c3
        .send(vec![create_msg("oplock.txt", OplockLevel::NONE)])
        .await
        .unwrap();
    let notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            for m in c2.recv(Duration::from_secs(10)).await.unwrap() {
                let hd = header(&m).unwrap();
                if hd.command == Command::OPLOCK_BREAK && hd.message_id == u64::MAX {
                    return m;
                }
            }
        }
    })
    .await
    .expect("an oplock break on the remaining channel");
    assert_eq!(status_of(&notice), NtStatus::SUCCESS);
    // The holder closes; the opener goes on.
    c2.close(r.file_id).await.unwrap();
    let m = c3.response(mids[0]).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::SUCCESS);
}

/// The break notifications (OPLOCK_BREAK with MessageId all ones) `c` is sent before
/// `wait` passes with nothing more, or its connection ends; whether it ended.
async fn notices(c: &mut Client, wait: Duration) -> (Vec<Vec<u8>>, bool) {
    let mut out = Vec::new();
    loop {
        match c.recv(wait).await {
            Ok(msgs) => out.extend(msgs.into_iter().filter(|m| {
                let hd = header(m).unwrap();
                hd.command == Command::OPLOCK_BREAK && hd.message_id == u64::MAX
            })),
            Err(lwio_srv::testing::client::ClientError::Closed) => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// The first break notification `c` is sent within 10 s.
async fn next_notice(c: &mut Client) -> Vec<u8> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            for m in c.recv(Duration::from_secs(10)).await.unwrap() {
                let hd = header(&m).unwrap();
                if hd.command == Command::OPLOCK_BREAK && hd.message_id == u64::MAX {
                    return m;
                }
            }
        }
    })
    .await
    .expect("a break notification")
}

#[tokio::test]
async fn an_oplock_break_goes_to_the_channel_bound_last() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c1, _t1, sid) = first(&h, USER).await;
    let r = create(&mut c1, "latest.txt", OplockLevel::BATCH).await;
    assert_eq!(r.oplock_level, OplockLevel::BATCH);
    let (mut c2, _t2) = channel(&h, &c1, sid).await;
    // Both channels live: the break goes to the one bound last, as Windows sends it
    // (smbtorture's smb2.multichannel.oplocks.test3_windows), not to the open's own.
    let (mut c3, _t3, _) = first(&h, USER).await;
    let mids = c3
        .send(vec![create_msg("latest.txt", OplockLevel::NONE)])
        .await
        .unwrap();
    let notice = next_notice(&mut c2).await;
    assert_eq!(
        lwio_smb2::oplock::OplockBreak::decode(&notice)
            .unwrap()
            .file_id,
        r.file_id
    );
    let (on_first, _) = notices(&mut c1, Duration::from_millis(300)).await;
    assert!(on_first.is_empty(), "no break on the open's own channel");
    c1.close(r.file_id).await.unwrap();
    let m = c3.response(mids[0]).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::SUCCESS);
}

fn lease_create_msg(name: &str, key: u8, state: LeaseState) -> Msg {
    let name = name.to_owned();
    let lease = Lease {
        key: [key; 16],
        state,
        flags: LeaseFlags::empty(),
        duration: 0,
        v2: None,
    };
    Msg::new(
        Command::CREATE,
        body(|o| {
            CreateRequest {
                oplock_level: OplockLevel::LEASE,
                desired_access: AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                share_access: ShareAccess::READ | ShareAccess::WRITE | ShareAccess::DELETE,
                disposition: CreateDisposition::OPEN_IF,
                name,
                contexts: vec![RequestContext::Lease(lease).to_raw()],
                ..CreateRequest::default()
            }
            .encode(o)
        }),
    )
}

fn ack_msg(key: u8, state: LeaseState) -> Msg {
    let ack = LeaseBreakAck {
        flags: 0,
        lease_key: [key; 16],
        lease_state: state,
        lease_duration: 0,
    };
    Msg::new(Command::OPLOCK_BREAK, body(|o| ack.encode(o)))
}

#[tokio::test]
async fn an_unanswered_lease_break_goes_again_on_the_next_channel() {
    let dir = tempfile::tempdir().unwrap();
    let after = Duration::from_millis(300);
    let h = server_with(dir.path(), |s| s.break_resend_after = after);
    let rwh = LeaseState::READ | LeaseState::WRITE | LeaseState::HANDLE;
    let rh = LeaseState::READ | LeaseState::HANDLE;
    let (mut c1, t1, sid) = first(&h, USER).await;
    c1.call_ok(lease_create_msg("lease.txt", 1, rwh))
        .await
        .unwrap();
    let (mut c2, _t2) = channel(&h, &c1, sid).await;
    // Another client's open takes W away: the break needs an acknowledgment and goes to
    // the first channel, which from now on reads nothing and sends nothing.
    let (mut c3, _t3, _) = first(&h, USER).await;
    let started = std::time::Instant::now();
    let mids = c3
        .send(vec![create_msg("lease.txt", OplockLevel::NONE)])
        .await
        .unwrap();
    // The first channel stays silent past `after`: it is taken for failed and the same
    // break goes to the second.
    let notice = LeaseBreakNotification::decode(&next_notice(&mut c2).await).unwrap();
    assert!(
        started.elapsed() >= after,
        "sent again only after {after:?}"
    );
    assert_eq!(notice.lease_key, [1; 16]);
    assert_eq!(notice.current_lease_state, rwh);
    assert_eq!(notice.new_lease_state, rh);
    assert!(notice.flags.contains(LeaseBreakFlags::ACK_REQUIRED));
    // Answered there, the opener goes on at once (not after the 35 s timeout).
    let m = c2.call_ok(ack_msg(1, rh)).await.unwrap();
    assert_eq!(LeaseBreakAck::decode(&m).unwrap().lease_state, rh);
    let m = c3.response(mids[0]).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::SUCCESS);
    assert!(started.elapsed() < Duration::from_secs(30));
    // The first channel had the break first, then the server closed it; the second
    // had it once.
    let (on_first, closed) = notices(&mut c1, Duration::from_secs(10)).await;
    assert_eq!(on_first.len(), 1);
    assert_eq!(
        LeaseBreakNotification::decode(&on_first[0]).unwrap(),
        notice
    );
    assert!(closed, "the silent channel was closed");
    let _ = tokio::time::timeout(Duration::from_secs(10), t1).await;
    let (again, _) = notices(&mut c2, Duration::from_millis(2 * after.as_millis() as u64)).await;
    assert!(again.is_empty(), "one break per channel");
    // The session lives on its second channel.
    let r = create(&mut c2, "still.txt", OplockLevel::NONE).await;
    c2.close(r.file_id).await.unwrap();
    assert_eq!(h.server().status().sessions().len(), 2);
}

#[tokio::test]
async fn a_lease_break_answered_on_its_channel_goes_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let after = Duration::from_millis(300);
    let h = server_with(dir.path(), |s| s.break_resend_after = after);
    let rwh = LeaseState::READ | LeaseState::WRITE | LeaseState::HANDLE;
    let rh = LeaseState::READ | LeaseState::HANDLE;
    let (mut c1, _t1, sid) = first(&h, USER).await;
    c1.call_ok(lease_create_msg("answered.txt", 2, rwh))
        .await
        .unwrap();
    let (mut c2, _t2) = channel(&h, &c1, sid).await;
    let (mut c3, _t3, _) = first(&h, USER).await;
    let mids = c3
        .send(vec![create_msg("answered.txt", OplockLevel::NONE)])
        .await
        .unwrap();
    let notice = LeaseBreakNotification::decode(&next_notice(&mut c1).await).unwrap();
    assert_eq!(notice.lease_key, [2; 16]);
    c1.call_ok(ack_msg(2, rh)).await.unwrap();
    let m = c3.response(mids[0]).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::SUCCESS);
    let (elsewhere, closed) = notices(&mut c2, 3 * after).await;
    assert!(elsewhere.is_empty() && !closed);
    // The first channel is still open.
    assert_eq!(c1.echo().await.unwrap(), NtStatus::SUCCESS);
}

#[tokio::test]
async fn bindings_the_rules_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c1, _t1, sid) = first(&h, USER).await;
    let id = create(&mut c1, "refused.txt", OplockLevel::NONE)
        .await
        .file_id;
    c1.write(id, 0, b"data").await.unwrap();

    // No such session: STATUS_USER_SESSION_DELETED (3.3.5.5).
    let (mut c, _t, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    let st = c.bind(sid + 1000, c1.signer(sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::USER_SESSION_DELETED);

    // A 2.1 connection: not multichannel, STATUS_REQUEST_NOT_ACCEPTED.
    let (mut c, _t, advertised) = negotiated(&h, Dialect::SMB_2_1).await;
    assert!(!advertised);
    let st = c.bind(sid, c1.signer(sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::REQUEST_NOT_ACCEPTED);

    // Another dialect than the session's: STATUS_INVALID_PARAMETER.
    let (mut c, _t, _) = negotiated(&h, Dialect::SMB_3_0).await;
    let st = c.bind(sid, c1.signer(sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::INVALID_PARAMETER);

    // Unsigned: STATUS_INVALID_PARAMETER.
    let (mut c, _t, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    let st = c.bind(sid, None, USER).await.unwrap();
    assert_eq!(st, NtStatus::INVALID_PARAMETER);

    // Signed with another session's key: STATUS_ACCESS_DENIED.
    let (c_other, _to, other_sid) = first(&h, OTHER).await;
    let (mut c, _t, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    let st = c.bind(sid, c_other.signer(other_sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::ACCESS_DENIED);

    // Authenticated as another user: STATUS_ACCESS_DENIED, the session untouched.
    let (mut c, _t, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    let st = c.bind(sid, c1.signer(sid), OTHER).await.unwrap();
    assert_eq!(st, NtStatus::ACCESS_DENIED);
    // A wrong password: the logon's failure, the session untouched.
    let st = c
        .bind(sid, c1.signer(sid), (USER.0, "wrong"))
        .await
        .unwrap();
    assert_eq!(st, NtStatus::LOGON_FAILURE);
    assert_eq!(read_status(&mut c1, id).await, NtStatus::SUCCESS);

    // Bound once; binding the same connection again (signed with the session's key, not
    // the channel's) is STATUS_ACCESS_DENIED, as Windows answers.
    let (mut c2, _t2, st) = bind(&h, &c1, sid, USER).await;
    assert_eq!(st, NtStatus::SUCCESS);
    let st = c2.bind(sid, c1.signer(sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::ACCESS_DENIED);
    // Signed with the channel's own key: STATUS_REQUEST_NOT_ACCEPTED (3.3.5.5).
    let channel = c2.signer(sid).cloned();
    let st = c2.bind(sid, channel.as_ref(), USER).await.unwrap();
    assert_eq!(st, NtStatus::REQUEST_NOT_ACCEPTED);
    assert_eq!(read_status(&mut c1, id).await, NtStatus::SUCCESS);
    assert_eq!(read_status(&mut c2, id).await, NtStatus::SUCCESS);
}

#[tokio::test]
async fn a_session_has_at_most_32_channels() {
    let dir = tempfile::tempdir().unwrap();
    let h = server_with(dir.path(), |s| s.failed_logon_delay = Duration::ZERO);
    let (c1, _t1, sid) = first(&h, USER).await;
    let mut channels = Vec::new();
    for _ in 1..32 {
        channels.push(channel(&h, &c1, sid).await);
    }
    let (_c, _t, st) = bind(&h, &c1, sid, USER).await;
    assert_eq!(st, NtStatus::INSUFFICIENT_RESOURCES);
    // One goes; another may come.
    let (c, t) = channels.pop().unwrap();
    drop_connection(c, t).await;
    channel(&h, &c1, sid).await;
}

#[tokio::test]
async fn multichannel_off_refuses_binding() {
    let dir = tempfile::tempdir().unwrap();
    let h = server_with(dir.path(), |s| s.multichannel = false);
    let (mut c1, _t1, advertised) = negotiated(&h, Dialect::SMB_3_0_2).await;
    assert!(!advertised);
    let sid = c1.logon(USER.0, USER.1).await.unwrap();
    let (mut c2, _t2, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    let st = c2.bind(sid, c1.signer(sid), USER).await.unwrap();
    assert_eq!(st, NtStatus::REQUEST_NOT_ACCEPTED);
}

#[tokio::test]
async fn re_authentication_on_a_bound_channel() {
    let dir = tempfile::tempdir().unwrap();
    let h = server_with(dir.path(), |s| s.failed_logon_delay = Duration::ZERO);
    let ((mut c1, _t1), (mut c2, _t2), sid, id) = two_channels(&h, "reauth.txt", b"data").await;
    // Signed with the channel's key: an ordinary re-authentication.
    assert_eq!(c2.reauth(sid, USER, true).await.unwrap(), NtStatus::SUCCESS);
    // Unsigned: it authenticates, then is refused; the session goes on.
    assert_eq!(
        c2.reauth(sid, USER, false).await.unwrap(),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(read_status(&mut c1, id).await, NtStatus::SUCCESS);
    assert_eq!(read_status(&mut c2, id).await, NtStatus::SUCCESS);
    // A request naming the session on a connection it is not bound to is
    // STATUS_USER_SESSION_DELETED, signed with the session's key (the client checks).
    let (mut c3, _t3, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    c3.set_signer(sid, c1.signer(sid).unwrap().clone());
    let mut msg = RawClient::<DuplexStream>::read_msg(id, 0, 1);
    msg.session_id = Some(sid);
    let m = c3.call(msg).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::USER_SESSION_DELETED);
    assert!(header(&m).unwrap().flags.contains(HeaderFlags::SIGNED));
    // A failed re-authentication on a channel ends the session on every channel.
    assert_eq!(
        c2.reauth(sid, (USER.0, "wrong"), false).await.unwrap(),
        NtStatus::LOGON_FAILURE
    );
    assert_eq!(
        read_status(&mut c1, id).await,
        NtStatus::USER_SESSION_DELETED
    );
    assert_eq!(
        read_status(&mut c2, id).await,
        NtStatus::USER_SESSION_DELETED
    );
}

#[tokio::test]
async fn a_logon_naming_a_bound_session_as_previous_ends_it_on_every_channel() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let ((mut c1, _t1), (mut c2, _t2), sid, id) = two_channels(&h, "prev.txt", b"data").await;
    let (mut c3, _t3, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    c3.previous_session_id = sid;
    c3.logon(USER.0, USER.1).await.unwrap();
    assert_eq!(
        read_status(&mut c1, id).await,
        NtStatus::USER_SESSION_DELETED
    );
    assert_eq!(
        read_status(&mut c2, id).await,
        NtStatus::USER_SESSION_DELETED
    );
}

#[tokio::test]
async fn a_binding_in_progress_when_the_session_ends_is_refused() {
    use lwio_auth::initiator::Initiator;
    use lwio_auth::ntlm::{NtlmCredentials, nt_hash};
    use lwio_smb2::session::{SessionSetupFlags, SessionSetupRequest, SessionSetupResponse};
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c1, _t1, sid) = first(&h, USER).await;
    let (mut c2, _t2, _) = negotiated(&h, Dialect::SMB_3_0_2).await;
    c2.set_signer(sid, c1.signer(sid).unwrap().clone());
    let mut init = Initiator::spnego(NtlmCredentials {
        user: USER.0.into(),
        domain: String::new(),
        workstation: "RAW".into(),
        nt_hash: nt_hash(USER.1),
    });
    let leg = |token: Vec<u8>| {
        let mut m = Msg::new(
            Command::SESSION_SETUP,
            body(|o| {
                SessionSetupRequest {
                    flags: SessionSetupFlags::BINDING,
                    security_buffer: token,
                    ..SessionSetupRequest::default()
                }
                .encode(o)
            }),
        );
        m.session_id = Some(sid);
        m
    };
    // The binding's first leg is answered; then the session logs off on its connection.
    let m = c2.call(leg(init.first())).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::MORE_PROCESSING_REQUIRED);
    c1.logoff().await.unwrap();
    // The last leg finds the session gone: no channel of an ended session.
    let challenge = SessionSetupResponse::decode(&m).unwrap().security_buffer;
    let token = init.step(&challenge, 0).unwrap();
    let m = c2.call(leg(token)).await.unwrap();
    assert_eq!(status_of(&m), NtStatus::USER_SESSION_DELETED);
    assert!(h.server().status().sessions().is_empty());
}
