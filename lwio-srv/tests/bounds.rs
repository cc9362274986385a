#![allow(clippy::unwrap_used)]
//! Resource bounds of the connection engine, counted in-process over in-memory streams
//! (`EngineStats`): each test drives one attack with a small limit and checks the bound
//! and that another client is still served. `tests/bounds_smb.rs` at the root drives the
//! same attacks over TCP against a `lwiod` process and measures its memory.

use std::time::{Duration, Instant};

use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus};
use lwio_smb2::{Command, Dialect, EchoRequest, Header};
use lwio_srv::Settings;
use lwio_srv::endpoint::Refused;
use lwio_srv::testing::client::{ClientError, Msg, RawClient, body, status_of};
use lwio_srv::testing::{Harness, USER, small_config};
use tokio::io::DuplexStream;

/// How long another client may take to be served while an attack runs: generous.
const PROMPT: Duration = Duration::from_secs(5);

fn harness(tweak: impl FnOnce(&mut Settings)) -> (Harness, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.dat"), vec![1u8; 1 << 20]).unwrap();
    let mut c = small_config(dir.path());
    tweak(&mut c.settings);
    (Harness::new(c).unwrap(), dir)
}

async fn logged_on(h: &Harness) -> RawClient<DuplexStream> {
    let (mut c, _task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    c.tree_connect("share").await.unwrap();
    c
}

/// Opens `big.dat` (1 MiB) for reading.
async fn open_big(c: &mut RawClient<DuplexStream>) -> lwio_smb2::FileId {
    c.create(
        "big.dat",
        AccessMask::GENERIC_READ,
        CreateDisposition::OPEN,
        CreateOptions::default(),
    )
    .await
    .unwrap()
}

/// Another client logs on and echoes, within [`PROMPT`].
async fn another_client_is_served(h: &Harness) {
    let started = Instant::now();
    let mut c = tokio::time::timeout(PROMPT, logged_on(h))
        .await
        .expect("another client logs on promptly");
    assert_eq!(c.echo().await.unwrap(), NtStatus::SUCCESS);
    assert!(started.elapsed() < PROMPT);
}

fn echo(credits: u16) -> Msg {
    let mut m = Msg::new(Command::ECHO, body(|o| EchoRequest.encode(o)));
    m.credits = credits;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_stay_within_the_maximum_and_a_small_window_before_logon() {
    let (h, _dir) = harness(|c| {
        c.max_credits = 100;
        c.unauthenticated_credits = 8;
    });
    let (mut c, _task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    assert_eq!(c.credits(), 8, "before logon: the small window");
    // Echo is allowed before logon (session 0); asking for everything still gets 8.
    for _ in 0..20 {
        c.call(echo(u16::MAX)).await.unwrap();
        assert!(c.credits() <= 8);
    }
    c.logon(USER.0, USER.1).await.unwrap();
    for _ in 0..300 {
        c.call(echo(u16::MAX)).await.unwrap();
        assert!(c.credits() <= 100, "held {}", c.credits());
    }
    assert_eq!(
        c.credits(),
        100,
        "the grant reaches the maximum, no further"
    );
    // Spending them all in one go, then asking again, stays within the window.
    let msgs: Vec<Msg> = (0..100).map(|_| echo(1)).collect();
    let mids = c.send(msgs).await.unwrap();
    for mid in mids {
        c.response(mid).await.unwrap();
    }
    assert!(c.credits() <= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_charge_that_does_not_cover_the_payload_is_refused() {
    let (h, _dir) = harness(|_| {});
    let mut c = logged_on(&h).await;
    let f = open_big(&mut c).await;
    for (length, charge, want) in [
        (65536, Some(0), NtStatus::SUCCESS),
        (65537, Some(0), NtStatus::INVALID_PARAMETER),
        (65537, Some(1), NtStatus::INVALID_PARAMETER),
        (65537, Some(2), NtStatus::SUCCESS),
        (1 << 20, Some(15), NtStatus::INVALID_PARAMETER),
        (1 << 20, Some(16), NtStatus::SUCCESS),
    ] {
        let mut m = RawClient::<DuplexStream>::read_msg(f, 0, length);
        m.credit_charge = charge;
        let r = c.call(m).await.unwrap();
        assert_eq!(status_of(&r), want, "READ of {length} charged {charge:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_stops_being_read_within_its_budget() {
    const BUDGET: usize = 2 << 20;
    let (h, _dir) = harness(|c| {
        c.max_connection_buffer = BUDGET;
        c.max_credits = 8192;
    });
    let mut c = logged_on(&h).await;
    let f = open_big(&mut c).await;
    // Gather credits: 1 MiB READs cost 16 each.
    while c.credits() < 16 * 100 + 1 {
        c.call(echo(4096)).await.unwrap();
    }
    // 20,000 READs of 1 MiB (20 GiB of responses), never reading an answer. The
    // in-memory pipe holds 1 MiB each way: the client's own writes block once the server
    // has stopped reading it.
    let sent = tokio::time::timeout(Duration::from_secs(20), async {
        for _ in 0..20_000 {
            let m = RawClient::<DuplexStream>::read_msg(f, 0, 1 << 20);
            c.send(vec![m]).await.unwrap();
        }
    })
    .await;
    assert!(sent.is_err(), "the server stopped taking requests");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = h.endpoint().stats();
    // A running frame's response counts in its reservation and again when queued: the
    // ceiling is twice the budget, plus one frame.
    let ceiling = 2 * BUDGET + (1 << 20) + 64 * 1024;
    assert!(
        s.buffered_bytes <= ceiling && s.peak_buffered_bytes <= ceiling,
        "{s:?}"
    );
    assert!(
        s.buffered_bytes >= BUDGET / 2,
        "the budget is in use: {s:?}"
    );
    another_client_is_served(&h).await;
    drop(c);
    h.settle(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_guesses_credits_it_was_never_sent_is_disconnected() {
    let (h, _dir) = harness(|c| c.max_credits = 8192);
    // A pipe of 4 KiB toward the client: about 60 answers fit, then the writer waits.
    let (mut c, _task) = h.connect_buffered(None, 4096);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    while c.credits() < 1000 {
        c.call(echo(1000)).await.unwrap();
    }
    let held = c.credits();
    // A round of echoes it holds the credits for, each asking one credit, and nothing
    // read: the server answers them all, but only the answers that fit in the pipe are
    // sent, so only their credits open.
    for _ in 0..held {
        c.send(vec![echo(1)]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A second round, as if every answer's credit had arrived. Had the credits opened when
    // the answers were made, this would go on as long as the server's memory lasted.
    let r = tokio::time::timeout(Duration::from_secs(20), async {
        for _ in 0..held {
            c.send(vec![echo(1)]).await?;
        }
        let mut answers = 0u64;
        loop {
            match c.recv(Duration::from_secs(5)).await {
                Ok(m) => answers += m.len() as u64,
                Err(ClientError::Timeout) => return Ok(answers),
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .expect("not stuck");
    assert!(
        matches!(&r, Err(ClientError::Closed))
            || matches!(&r, Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe),
        "the connection must close: {r:?}"
    );
    another_client_is_served(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_done_session_setups_are_refused_beyond_the_limit_and_expire() {
    let (h, _dir) = harness(|c| {
        c.max_session_setups = 3;
        c.session_setup_timeout = Duration::from_secs(1);
    });
    let (mut c, _task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(c.half_logon().await.unwrap());
    }
    assert_eq!(h.endpoint().stats().session_setups_in_progress, 3);
    // The fourth, and a whole logon, are refused while three are in progress.
    assert!(matches!(
        c.half_logon().await,
        Err(ClientError::Status(NtStatus::REQUEST_NOT_ACCEPTED))
    ));
    assert!(matches!(
        c.logon(USER.0, USER.1).await,
        Err(ClientError::Status(NtStatus::REQUEST_NOT_ACCEPTED))
    ));
    another_client_is_served(&h).await;
    // Once they have waited out their time they are gone: their next leg finds no
    // session, and a logon goes through.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = c.session_setup_leg(ids[0], vec![0x60, 0]).await.unwrap();
    assert_eq!(status_of(&r), NtStatus::USER_SESSION_DELETED);
    c.logon(USER.0, USER.1).await.unwrap();
    let s = h.endpoint().stats();
    assert_eq!(s.session_setups_in_progress, 0, "{s:?}");
    assert_eq!(Header::decode(&r).unwrap().session_id, ids[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_readers_hold_no_buffer() {
    let (h, _dir) = harness(|_| {});
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(logged_on(&h).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = h.endpoint().stats();
    assert_eq!(s.connections, 50);
    assert_eq!(s.read_buffer_bytes, 0, "{s:?}");
    assert_eq!(s.buffered_bytes, 0, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limits_are_refused_with_their_reason() {
    let (h, _dir) = harness(|c| {
        c.max_connections = 3;
        c.max_connections_per_address = 2;
    });
    let from = |last: u8| Some(std::net::SocketAddr::from(([10, 0, 0, last], 445)));
    let mut held = Vec::new();
    for peer in [from(1), from(1)] {
        let (mut c, task) = h.connect(peer);
        c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
        held.push((c, task));
    }
    let (_c, task) = h.connect(from(1));
    assert_eq!(task.await.unwrap(), Err(Refused::AddressFull));
    let (mut c, task) = h.connect(from(2));
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    held.push((c, task));
    let (_c, task) = h.connect(from(3));
    assert_eq!(task.await.unwrap(), Err(Refused::ServerFull));
    let s = h.endpoint().stats();
    assert_eq!(
        (s.connections, s.client_addresses, s.refused_connections),
        (3, 2, 2)
    );
    // One leaves: a connection is taken again.
    let (c, task) = held.remove(0);
    drop(c);
    task.await.unwrap().unwrap();
    let (mut c, _task) = h.connect(from(3));
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_unauthenticated_connection_makes_room() {
    let (h, _dir) = harness(|c| c.max_unauthenticated_connections = 2);
    let (mut first, first_task) = h.connect(None);
    first.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    let (mut second, _t2) = h.connect(None);
    second.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    // An authenticated one does not count.
    let _logged = logged_on(&h).await;
    let (mut third, _t3) = h.connect(None);
    third.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    tokio::time::timeout(PROMPT, first_task)
        .await
        .expect("the oldest unauthenticated connection is closed")
        .unwrap()
        .unwrap();
    assert!(matches!(first.recv(PROMPT).await, Err(ClientError::Closed)));
    assert_eq!(second.echo().await.unwrap(), NtStatus::SUCCESS);
    third.logon(USER.0, USER.1).await.unwrap();
    assert_eq!(h.endpoint().stats().unauthenticated_connections, 1);
}
