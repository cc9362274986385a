#![allow(clippy::unwrap_used)]
//! Durable handles v1 and v2 (MS-SMB2 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12,
//! 3.3.7.1) and the replay of a v2 create, over in-memory connections with the raw client:
//! grant and refusal, an open that outlives its connection and is reclaimed on a new one,
//! the checks of a reconnect (user, CreateGuid, lease key and name), the scavenger, a
//! conflicting open closing a preserved one, replay.

use std::time::Duration;

use lwio_core::{AccessMask, CreateAction, CreateDisposition, NtStatus, ShareAccess};
use lwio_smb2::create_context::{DurableFlags, Lease, LeaseFlags};
use lwio_smb2::oplock::LeaseState;
use lwio_smb2::{
    Command, CreateRequest, CreateResponse, Dialect, FileId, HeaderFlags, OplockLevel,
    RequestContext, ResponseContext,
};
use lwio_srv::accounts::UserConfig;
use lwio_srv::testing::client::{Msg, RawClient, body, status_of};
use lwio_srv::testing::{Harness, USER, open_to_everyone, small_config};
use tokio::io::DuplexStream;
use tokio::task::JoinHandle;

type Client = RawClient<DuplexStream>;
type Task = JoinHandle<Result<(), lwio_srv::endpoint::Refused>>;

const OTHER: (&str, &str) = ("other", "word");

fn server(dir: &std::path::Path) -> Harness {
    server_with(dir, |_| {})
}

fn server_with(dir: &std::path::Path, settings: impl FnOnce(&mut lwio_srv::Settings)) -> Harness {
    open_to_everyone(dir).unwrap();
    let mut config = small_config(dir);
    config.users.push(UserConfig::new(OTHER.0, OTHER.1));
    settings(&mut config.settings);
    Harness::new(config).unwrap()
}

async fn connect(h: &Harness, user: (&str, &str)) -> (Client, Task) {
    let (mut c, task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(user.0, user.1).await.unwrap();
    c.tree_connect("share").await.unwrap();
    (c, task)
}

/// Drops the client's connection and waits until the server has ended it.
async fn drop_connection(c: Client, task: Task) {
    drop(c);
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

fn create_msg(
    name: &str,
    oplock: OplockLevel,
    share: ShareAccess,
    contexts: Vec<RequestContext>,
) -> Msg {
    let name = name.to_owned();
    Msg::new(
        Command::CREATE,
        body(|o| {
            CreateRequest {
                oplock_level: oplock,
                desired_access: AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                share_access: share,
                disposition: CreateDisposition::OPEN_IF,
                name,
                contexts: contexts.iter().map(RequestContext::to_raw).collect(),
                ..CreateRequest::default()
            }
            .encode(o)
        }),
    )
}

/// Sends `msg`; the response, or its error status.
async fn create(c: &mut Client, msg: Msg) -> Result<CreateResponse, NtStatus> {
    let m = c.call(msg).await.unwrap();
    match status_of(&m) {
        s if s.is_error() => Err(s),
        _ => Ok(CreateResponse::decode(&m).unwrap()),
    }
}

fn contexts(r: &CreateResponse) -> Vec<ResponseContext> {
    r.contexts
        .iter()
        .map(|c| ResponseContext::from_raw(c).unwrap())
        .collect()
}

fn v2(guid: u8, timeout: u32) -> RequestContext {
    RequestContext::DurableRequestV2 {
        timeout,
        flags: DurableFlags::empty(),
        create_guid: [guid; 16],
    }
}

fn v2_reconnect(file_id: FileId, guid: u8) -> RequestContext {
    RequestContext::DurableReconnectV2 {
        file_id,
        create_guid: [guid; 16],
        flags: DurableFlags::empty(),
    }
}

fn lease(key: u8, state: u32) -> Lease {
    Lease {
        key: [key; 16],
        state: LeaseState(state),
        flags: LeaseFlags::empty(),
        duration: 0,
        v2: None,
    }
}

const RWH: u32 = 7;

fn none() -> ShareAccess {
    ShareAccess::default()
}

#[tokio::test]
async fn a_durable_batch_open_outlives_its_connection_and_is_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let msg = create_msg(
        "d.txt",
        OplockLevel::BATCH,
        none(),
        vec![RequestContext::DurableRequest],
    );
    let r = create(&mut c, msg).await.unwrap();
    assert_eq!(r.oplock_level, OplockLevel::BATCH);
    assert_eq!(contexts(&r), vec![ResponseContext::Durable]);
    let id = r.file_id;
    c.write(id, 0, b"kept across connections").await.unwrap();
    // Still attached: a reconnect finds nothing to reclaim.
    let again = create_msg(
        "d.txt",
        OplockLevel::BATCH,
        none(),
        vec![RequestContext::DurableReconnect(id)],
    );
    assert_eq!(
        create(&mut c, again).await.unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    drop_connection(c, task).await;

    let (mut c, _task) = connect(&h, USER).await;
    // Every field but the context is ignored (the name, too, for an oplock).
    let reconnect = create_msg(
        "ignored",
        OplockLevel::NONE,
        none(),
        vec![RequestContext::DurableReconnect(id)],
    );
    let r = create(&mut c, reconnect).await.unwrap();
    assert_eq!(r.file_id, id);
    assert_eq!(r.create_action, CreateAction::OPENED);
    assert_eq!(r.oplock_level, OplockLevel::BATCH);
    assert!(contexts(&r).is_empty(), "no durable context on a reconnect");
    let data = c.read(id, 0, 100).await.unwrap();
    assert_eq!(data, b"kept across connections");
    // Reclaimed once only.
    let twice = create_msg(
        "d.txt",
        OplockLevel::NONE,
        none(),
        vec![RequestContext::DurableReconnect(id)],
    );
    assert_eq!(
        create(&mut c, twice).await.unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    c.close(id).await.unwrap();
}

#[tokio::test]
async fn durability_needs_a_batch_oplock_or_a_handle_lease() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let ii = create_msg(
        "ii.txt",
        OplockLevel::II,
        ShareAccess::ALL,
        vec![RequestContext::DurableRequest],
    );
    let r = create(&mut c, ii).await.unwrap();
    assert!(contexts(&r).is_empty());
    let ii_id = r.file_id;
    let rw = RequestContext::Lease(lease(1, 5));
    let r = create(
        &mut c,
        create_msg(
            "rw.txt",
            OplockLevel::LEASE,
            ShareAccess::ALL,
            vec![rw, v2(1, 0)],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        contexts(&r).len(),
        1,
        "the lease context alone: {:?}",
        contexts(&r)
    );
    let rh = RequestContext::Lease(lease(2, RWH));
    let r = create(
        &mut c,
        create_msg(
            "rwh.txt",
            OplockLevel::LEASE,
            ShareAccess::ALL,
            vec![rh, v2(2, 0)],
        ),
    )
    .await
    .unwrap();
    // The persistent flag is not granted; the default v2 timeout is 60 s.
    assert!(contexts(&r).contains(&ResponseContext::DurableV2 {
        timeout: 60_000,
        flags: DurableFlags::empty()
    }));
    drop_connection(c, task).await;
    let (mut c, _task) = connect(&h, USER).await;
    let gone = create_msg(
        "ii.txt",
        OplockLevel::NONE,
        none(),
        vec![RequestContext::DurableReconnect(ii_id)],
    );
    assert_eq!(
        create(&mut c, gone).await.unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[tokio::test]
async fn a_reconnect_checks_user_create_guid_and_lease() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let rwh = lease(9, RWH);
    let msg = create_msg(
        "l.txt",
        OplockLevel::LEASE,
        none(),
        vec![RequestContext::Lease(rwh), v2(5, 1_000_000)],
    );
    let r = create(&mut c, msg).await.unwrap();
    assert!(contexts(&r).contains(&ResponseContext::DurableV2 {
        timeout: 300_000,
        flags: DurableFlags::empty()
    }));
    let id = r.file_id;
    drop_connection(c, task).await;

    let (mut other, _t) = connect(&h, OTHER).await;
    let try_as_other = create_msg(
        "l.txt",
        OplockLevel::LEASE,
        none(),
        vec![RequestContext::Lease(rwh), v2_reconnect(id, 5)],
    );
    assert_eq!(
        create(&mut other, try_as_other).await.unwrap_err(),
        NtStatus::ACCESS_DENIED
    );

    let (mut c, _task) = connect(&h, USER).await;
    let cases = [
        ("l.txt", Some(rwh), 6, NtStatus::OBJECT_NAME_NOT_FOUND),
        ("l.txt", None, 5, NtStatus::OBJECT_NAME_NOT_FOUND),
        (
            "l.txt",
            Some(lease(8, RWH)),
            5,
            NtStatus::OBJECT_NAME_NOT_FOUND,
        ),
        ("other.txt", Some(rwh), 5, NtStatus::INVALID_PARAMETER),
    ];
    for (name, l, guid, status) in cases {
        let mut ctxs = vec![v2_reconnect(id, guid)];
        ctxs.extend(l.map(RequestContext::Lease));
        let msg = create_msg(name, OplockLevel::LEASE, none(), ctxs);
        assert_eq!(
            create(&mut c, msg).await.unwrap_err(),
            status,
            "{name} {guid}"
        );
    }
    let msg = create_msg(
        "L.TXT",
        OplockLevel::LEASE,
        none(),
        vec![RequestContext::Lease(lease(9, 0)), v2_reconnect(id, 5)],
    );
    let r = create(&mut c, msg).await.unwrap();
    assert_eq!(r.file_id, id);
    assert_eq!(r.oplock_level, OplockLevel::LEASE);
    let granted = contexts(&r);
    assert!(
        granted.iter().any(
            |g| matches!(g, ResponseContext::Lease(l) if l.state.0 == RWH && l.key == [9; 16])
        ),
        "{granted:?}"
    );
    c.close(id).await.unwrap();
}

#[tokio::test]
async fn the_scavenger_closes_what_is_not_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let msg = create_msg("s.txt", OplockLevel::BATCH, none(), vec![v2(3, 300)]);
    let r = create(&mut c, msg).await.unwrap();
    assert!(contexts(&r).contains(&ResponseContext::DurableV2 {
        timeout: 300,
        flags: DurableFlags::empty()
    }));
    let id = r.file_id;
    drop_connection(c, task).await;
    let open_files = || {
        h.server()
            .io()
            .rundown()
            .files
            .iter()
            .filter(|f| f.path.contains("s.txt"))
            .count()
    };
    assert_eq!(open_files(), 1, "preserved");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(open_files(), 0, "closed by the scavenger");
    let (mut c, _task) = connect(&h, USER).await;
    let msg = create_msg(
        "s.txt",
        OplockLevel::BATCH,
        none(),
        vec![v2_reconnect(id, 3)],
    );
    assert_eq!(
        create(&mut c, msg).await.unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[tokio::test]
async fn a_conflicting_open_closes_a_preserved_open() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let msg = create_msg(
        "c.txt",
        OplockLevel::BATCH,
        ShareAccess::ALL,
        vec![RequestContext::DurableRequest],
    );
    let id = create(&mut c, msg).await.unwrap().file_id;
    drop_connection(c, task).await;
    let (mut c, _task) = connect(&h, USER).await;
    // The batch oplock breaks; with no client to answer, the open is closed and the
    // new open goes on at once (not after the 35-second break timeout).
    let started = std::time::Instant::now();
    let plain = create_msg("c.txt", OplockLevel::NONE, ShareAccess::ALL, vec![]);
    let other = create(&mut c, plain).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    c.close(other.file_id).await.unwrap();
    let msg = create_msg(
        "c.txt",
        OplockLevel::NONE,
        none(),
        vec![RequestContext::DurableReconnect(id)],
    );
    assert_eq!(
        create(&mut c, msg).await.unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[tokio::test]
async fn a_replayed_v2_create_returns_the_same_open() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, _task) = connect(&h, USER).await;
    let first = create(
        &mut c,
        create_msg("r.txt", OplockLevel::BATCH, none(), vec![v2(7, 0)]),
    )
    .await
    .unwrap();
    assert_eq!(first.create_action, CreateAction::CREATED);
    let mut replay = create_msg("r.txt", OplockLevel::BATCH, none(), vec![v2(7, 0)]);
    replay.flags |= HeaderFlags::REPLAY_OPERATION;
    let second = create(&mut c, replay).await.unwrap();
    assert_eq!(second.file_id, first.file_id);
    assert_eq!(second.create_action, CreateAction::CREATED);
    assert_eq!(second.oplock_level, OplockLevel::BATCH);
    // Without the replay flag the CreateGuid is in use.
    let dup = create_msg(
        "r.txt",
        OplockLevel::BATCH,
        ShareAccess::ALL,
        vec![v2(7, 0)],
    );
    assert_eq!(
        create(&mut c, dup).await.unwrap_err(),
        NtStatus::DUPLICATE_OBJECTID
    );
    c.close(first.file_id).await.unwrap();
    // Once closed, the CreateGuid is free again.
    let fresh = create(
        &mut c,
        create_msg("r.txt", OplockLevel::NONE, none(), vec![v2(7, 0)]),
    )
    .await
    .unwrap();
    assert_ne!(fresh.file_id, first.file_id);
}

/// MS-SMB2 3.3.5.9.10 looks a v2 open up by ClientGuid and CreateGuid: another client may
/// use the same CreateGuid (smbtorture's smb2.multichannel.oplocks.test1 does), and it
/// neither replays nor collides with the first client's open.
#[tokio::test]
async fn another_client_may_use_the_same_create_guid() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut a, _ta) = connect_as(&h, 1).await;
    let (mut b, _tb) = connect_as(&h, 2).await;
    let first = create(
        &mut a,
        create_msg("g.txt", OplockLevel::NONE, ShareAccess::ALL, vec![v2(5, 0)]),
    )
    .await
    .unwrap();
    let other = create(
        &mut b,
        create_msg("g.txt", OplockLevel::NONE, ShareAccess::ALL, vec![v2(5, 0)]),
    )
    .await
    .unwrap();
    assert_ne!(other.file_id, first.file_id);
    assert_eq!(other.create_action, CreateAction::OPENED);
    // The first client's own reuse still collides.
    let dup = create_msg("g.txt", OplockLevel::NONE, ShareAccess::ALL, vec![v2(5, 0)]);
    assert_eq!(
        create(&mut a, dup).await.unwrap_err(),
        NtStatus::DUPLICATE_OBJECTID
    );
    a.close(first.file_id).await.unwrap();
    b.close(other.file_id).await.unwrap();
}

#[test]
fn contradictory_durable_contexts_are_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let h = server(dir.path());
        let (mut c, _task) = connect(&h, USER).await;
        let id = FileId {
            persistent: 1,
            volatile: 1,
        };
        let combos = [
            vec![v2_reconnect(id, 1), RequestContext::DurableRequest],
            vec![RequestContext::DurableReconnect(id), v2(1, 0)],
            vec![RequestContext::DurableReconnect(id), v2_reconnect(id, 1)],
            vec![v2_reconnect(id, 1), v2(1, 0)],
        ];
        for ctxs in combos {
            let msg = create_msg("x.txt", OplockLevel::BATCH, none(), ctxs);
            assert_eq!(
                create(&mut c, msg).await.unwrap_err(),
                NtStatus::INVALID_PARAMETER
            );
        }
    });
}

#[tokio::test]
async fn disconnected_opens_are_bounded_per_user_and_in_all() {
    let dir = tempfile::tempdir().unwrap();
    let h = server_with(dir.path(), |s| {
        s.max_detached_opens = 3;
        s.max_detached_opens_per_user = 2;
    });
    let durable_open = |name: &str| {
        create_msg(
            name,
            OplockLevel::BATCH,
            none(),
            vec![RequestContext::DurableRequest],
        )
    };
    let (mut c, task) = connect(&h, USER).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let r = create(&mut c, durable_open(name)).await.unwrap();
        assert_eq!(contexts(&r), vec![ResponseContext::Durable]);
        ids.push(r.file_id);
    }
    drop_connection(c, task).await;
    let (mut o, task) = connect(&h, OTHER).await;
    let mut other_ids = Vec::new();
    for name in ["d", "e"] {
        other_ids.push(create(&mut o, durable_open(name)).await.unwrap().file_id);
    }
    drop_connection(o, task).await;
    // Two of the user's three were kept; the other user got the one place left.
    let (mut c, _t) = connect(&h, USER).await;
    assert_eq!(reclaimed(&mut c, &ids).await, 2);
    let (mut o, _t) = connect(&h, OTHER).await;
    assert_eq!(reclaimed(&mut o, &other_ids).await, 1);
}

/// How many of `ids` a DHnC reclaims.
async fn reclaimed(c: &mut Client, ids: &[FileId]) -> usize {
    let mut n = 0;
    for id in ids {
        let m = create_msg(
            "x",
            OplockLevel::NONE,
            none(),
            vec![RequestContext::DurableReconnect(*id)],
        );
        n += usize::from(create(c, m).await.is_ok());
    }
    n
}

/// PreviousSessionId (MS-SMB2 3.3.5.5.3): a logon on a new connection naming the old
/// session ends it, keeping its durable open for a reconnect; the old connection's
/// requests on it then get STATUS_USER_SESSION_DELETED. Another user's logon naming it
/// leaves it alone.
#[tokio::test]
async fn a_logon_naming_the_previous_session_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut old, _old_task) = connect(&h, USER).await;
    let msg = create_msg(
        "p.txt",
        OplockLevel::BATCH,
        none(),
        vec![RequestContext::DurableRequest],
    );
    let id = create(&mut old, msg).await.unwrap().file_id;
    let previous = old.session_id;
    // Another user naming the session changes nothing.
    let (mut stranger, _t) = h.connect(None);
    stranger.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    stranger.previous_session_id = previous;
    stranger.logon(OTHER.0, OTHER.1).await.unwrap();
    old.write(id, 0, b"still mine").await.unwrap();
    // The same user does.
    let (mut new, _t) = h.connect(None);
    new.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    new.previous_session_id = previous;
    new.logon(USER.0, USER.1).await.unwrap();
    new.tree_connect("share").await.unwrap();
    let m = old
        .call(RawClient::<DuplexStream>::write_msg(id, 0, b"x"))
        .await
        .unwrap();
    assert_eq!(status_of(&m), NtStatus::USER_SESSION_DELETED);
    let reconnect = create_msg(
        "p.txt",
        OplockLevel::NONE,
        none(),
        vec![RequestContext::DurableReconnect(id)],
    );
    let r = create(&mut new, reconnect).await.unwrap();
    assert_eq!(new.read(r.file_id, 0, 100).await.unwrap(), b"still mine");
}

/// The channel sequence (MS-SMB2 3.3.5.2.10): once a request with a newer ChannelSequence
/// reached an open, a WRITE with the older one is stale and refused with
/// STATUS_FILE_NOT_AVAILABLE; a READ is not refused.
#[tokio::test]
async fn a_stale_channel_sequence_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, _task) = connect(&h, USER).await;
    let msg = create_msg("cs.txt", OplockLevel::NONE, ShareAccess::ALL, vec![]);
    let id = create(&mut c, msg).await.unwrap().file_id;
    let write = |csn: u16, data: &[u8]| {
        let mut m = RawClient::<DuplexStream>::write_msg(id, 0, data);
        m.channel_sequence = csn;
        m
    };
    assert_eq!(
        status_of(&c.call(write(0, b"one")).await.unwrap()),
        NtStatus::SUCCESS
    );
    assert_eq!(
        status_of(&c.call(write(1, b"two")).await.unwrap()),
        NtStatus::SUCCESS
    );
    assert_eq!(
        status_of(&c.call(write(0, b"old")).await.unwrap()),
        NtStatus::FILE_NOT_AVAILABLE
    );
    let mut read = RawClient::<DuplexStream>::read_msg(id, 0, 3);
    read.channel_sequence = 0;
    assert_eq!(status_of(&c.call(read).await.unwrap()), NtStatus::SUCCESS);
    assert_eq!(c.read(id, 0, 3).await.unwrap(), b"two");
}

async fn connect_as(h: &Harness, client_guid: u8) -> (Client, Task) {
    let (mut c, task) = h.connect(None);
    c.negotiate_as(&[Dialect::SMB_3_0_2], [client_guid; 16])
        .await
        .unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    c.tree_connect("share").await.unwrap();
    (c, task)
}

fn app(id: u8) -> RequestContext {
    RequestContext::AppInstanceId([id; 16])
}

#[tokio::test]
async fn an_app_instance_id_closes_another_clients_open_first() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut a, _ta) = connect_as(&h, 1).await;
    let (mut b, _tb) = connect_as(&h, 2).await;
    let first = create(
        &mut a,
        create_msg(
            "app.txt",
            OplockLevel::BATCH,
            none(),
            vec![v2(1, 0), app(9)],
        ),
    )
    .await
    .unwrap();
    assert_eq!(first.oplock_level, OplockLevel::BATCH);
    // The same id from the other client: the first open is closed, with no break.
    let started = std::time::Instant::now();
    let second = create(
        &mut b,
        create_msg(
            "app.txt",
            OplockLevel::BATCH,
            none(),
            vec![v2(2, 0), app(9)],
        ),
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(second.oplock_level, OplockLevel::BATCH);
    assert!(a.recv(Duration::from_millis(200)).await.is_err());
    assert!(matches!(
        a.close(first.file_id).await,
        Err(lwio_srv::testing::client::ClientError::Status(
            NtStatus::FILE_CLOSED
        ))
    ));
    b.close(second.file_id).await.unwrap();
    // The same client (ClientGuid) with the same id replaces nothing, nor does another
    // client with another id.
    let (mut b2, _tb2) = connect_as(&h, 2).await;
    let own = |c| create_msg("own.txt", OplockLevel::NONE, none(), vec![app(c)]);
    let kept = create(&mut b, own(7)).await.unwrap();
    assert_eq!(
        create(&mut b2, own(7)).await.unwrap_err(),
        NtStatus::SHARING_VIOLATION
    );
    assert_eq!(
        create(&mut a, own(6)).await.unwrap_err(),
        NtStatus::SHARING_VIOLATION
    );
    b.close(kept.file_id).await.unwrap();
}

#[tokio::test]
async fn a_replay_after_another_request_on_the_open_makes_a_new_open() {
    let dir = tempfile::tempdir().unwrap();
    let h = server(dir.path());
    let (mut c, _task) = connect(&h, USER).await;
    let msg = || {
        create_msg(
            "r6.txt",
            OplockLevel::NONE,
            ShareAccess::ALL,
            vec![v2(6, 0)],
        )
    };
    let first = create(&mut c, msg()).await.unwrap();
    let mut replay = msg();
    replay.flags |= HeaderFlags::REPLAY_OPERATION;
    // Still eligible: the replay is answered with the same open.
    assert_eq!(
        create(&mut c, replay.clone()).await.unwrap().file_id,
        first.file_id
    );
    c.write(first.file_id, 0, b"abc").await.unwrap();
    // Not any more (MS-SMB2 3.3.5.9.10, 3.3.5.13): a second open of the file.
    let second = create(&mut c, replay).await.unwrap();
    assert_ne!(second.file_id, first.file_id);
    assert_eq!(second.create_action, CreateAction::OPENED);
    c.close(first.file_id).await.unwrap();
    c.close(second.file_id).await.unwrap();
}

#[tokio::test]
async fn a_leased_reconnect_matches_the_name_with_its_dots_collapsed() {
    // The open is made as `sub\..\l.txt` (the server keeps `l.txt`); its reconnect may
    // spell the name either way, as both name one file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let h = server(dir.path());
    let (mut c, task) = connect(&h, USER).await;
    let rwh = lease(3, RWH);
    let msg = create_msg(
        "sub\\..\\l.txt",
        OplockLevel::LEASE,
        none(),
        vec![RequestContext::Lease(rwh), v2(4, 60_000)],
    );
    let id = create(&mut c, msg).await.unwrap().file_id;
    drop_connection(c, task).await;
    let (mut c, _task) = connect(&h, USER).await;
    let msg = create_msg(
        ".\\x\\..\\l.txt",
        OplockLevel::LEASE,
        none(),
        vec![RequestContext::Lease(lease(3, 0)), v2_reconnect(id, 4)],
    );
    assert_eq!(create(&mut c, msg).await.unwrap().file_id, id);
    c.close(id).await.unwrap();
}
