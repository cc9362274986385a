#![allow(clippy::unwrap_used)]
//! The local interface's bounds, in process: lwiod's `LocalServer` on a temporary socket
//! over one PVFS device, with small limits. Files open and requests in flight per
//! connection beyond the bound get STATUS_INSUFFICIENT_RESOURCES (and the connection goes
//! on); a connection beyond the bound is refused with STATUS_REQUEST_NOT_ACCEPTED; a
//! request length beyond the protocol's bound is STATUS_INVALID_PARAMETER.

use std::sync::Arc;
use std::time::Duration;

use lwio_client::proto::MAX_DATA;
use lwio_client::{AnyFile, ConnectError, DaemonClient, Opener, RemoteFile};
use lwio_core::irp::{FileInfoClass, LockRequest, ShareAccess, UnlockRequest};
use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, NtStatus};
use lwiod::local::{Identities, LocalConfig, LocalServer};

async fn open(c: &DaemonClient, path: &str) -> Result<RemoteFile, NtStatus> {
    let access = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
    let request = CreateRequest::new(
        Arc::new(AccessToken::anonymous()),
        access,
        CreateDisposition::OPEN_IF,
    )
    .share(ShareAccess::READ | ShareAccess::WRITE);
    c.create_file(path, request).await
}

fn lock(wait: bool) -> LockRequest {
    LockRequest {
        offset: 0,
        length: 10,
        key: 0,
        exclusive: true,
        fail_immediately: !wait,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_requests_and_connections_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "d", &root, Default::default()).unwrap();
    let config = LocalConfig {
        max_open_files: 2,
        max_in_flight: 3,
        max_connections: 1,
        ..LocalConfig::default()
    };
    let sock = dir.path().join("lwiod.sock");
    let server = LocalServer::bind(&sock, io, Identities::new(None, None), config).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server.run(stopped));

    let c = DaemonClient::connect(&sock).await.unwrap();
    assert_eq!(
        (c.limits().max_open_files, c.limits().max_in_flight),
        (2, 3)
    );
    // One connection at a time.
    match DaemonClient::connect(&sock).await {
        Err(ConnectError::Refused { status, .. }) => {
            assert_eq!(status, NtStatus::REQUEST_NOT_ACCEPTED)
        }
        other => panic!("a second connection: {other:?}"),
    }

    // Two files at a time; a close makes room.
    let f1 = open(&c, "/d/a.bin").await.unwrap();
    let f2 = open(&c, "/d/a.bin").await.unwrap();
    assert_eq!(
        open(&c, "/d/b.bin").await.err(),
        Some(NtStatus::INSUFFICIENT_RESOURCES)
    );

    // Three requests in flight at a time: three waiting locks fill the connection.
    f1.lock(lock(false)).await.unwrap();
    let waiting: Vec<_> = (0..3).map(|_| f2.lock(lock(true))).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        f1.read(0, 4).await,
        Err(NtStatus::INSUFFICIENT_RESOURCES),
        "a fourth request"
    );
    // Cancel is not a request: it always gets through, and makes room.
    let mut waiting = waiting.into_iter();
    let first = waiting.next().unwrap();
    first.cancel();
    assert_eq!(first.await, Err(NtStatus::CANCELLED));
    f1.unlock(UnlockRequest {
        offset: 0,
        length: 10,
        key: 0,
    })
    .await
    .unwrap();
    // One waiter gets the lock; the other still conflicts with it and waits.
    let (a, b) = (waiting.next().unwrap(), waiting.next().unwrap());
    let a = tokio::time::timeout(Duration::from_secs(5), a)
        .await
        .unwrap();
    assert_eq!(a, Ok(()));
    b.cancel();
    assert_eq!(b.await, Err(NtStatus::CANCELLED));

    // A length the protocol cannot carry back.
    assert_eq!(
        f1.read(0, MAX_DATA + 1).await,
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(f1.close().await, NtStatus::SUCCESS);
    let f3 = open(&c, "/d/b.bin").await.unwrap();
    assert_eq!(f3.write(0, &b"room again"[..]).await, Ok(10));

    stop.send(true).unwrap();
    task.await.unwrap();
    assert!(!sock.exists(), "the socket file is removed at shutdown");
    drop((f2, f3));
}

/// The same steps through an [`Opener`]: what a program sees in process and through the
/// daemon is the same, statuses included.
async fn steps(opener: &Opener, name: &str) -> Vec<String> {
    let access = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
    let token = Arc::new(lwio_core::AccessToken::system());
    let request = |disposition| {
        CreateRequest::new(Arc::clone(&token), access, disposition).share(ShareAccess::READ)
    };
    let mut seen = Vec::new();
    let f: AnyFile = opener
        .create_file(name, request(CreateDisposition::CREATE))
        .await
        .unwrap();
    seen.push(format!("{:?}", f.create_action()));
    seen.push(format!(
        "{:?}",
        f.write(0, bytes::Bytes::from_static(b"hello")).await
    ));
    seen.push(format!("{:?}", f.read(1, 3).await));
    seen.push(format!("{:?}", f.read(99, 3).await));
    let standard = f
        .query_information(FileInfoClass::STANDARD, 64)
        .await
        .unwrap();
    seen.push(format!("{:?}", &standard[8..16]));
    seen.push(format!(
        "{:?}",
        opener
            .create_file(name, request(CreateDisposition::OPEN))
            .await
            .err()
    ));
    seen.push(format!(
        "{:?}",
        opener
            .create_file(name, request(CreateDisposition::CREATE))
            .await
            .err()
    ));
    seen.push(format!("{:?}", f.close().await));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_program_runs_in_process_and_through_the_daemon_alike() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "d", &root, Default::default()).unwrap();
    let sock = dir.path().join("lwiod.sock");
    let server = LocalServer::bind(
        &sock,
        io.clone(),
        Identities::new(None, None),
        LocalConfig::default(),
    )
    .unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(server.run(stopped));

    let local = steps(&Opener::Local(io), "/d/local.txt").await;
    let client = DaemonClient::connect(&sock).await.unwrap();
    let remote = steps(&Opener::Daemon(client), "/d/remote.txt").await;
    assert_eq!(local, remote);
    assert!(
        local.iter().any(|s| s.contains("SHARING_VIOLATION")),
        "{local:?}"
    );
    assert!(local.iter().any(|s| s.contains("END_OF_FILE")), "{local:?}");
}

/// The bytes a connection holds are bounded: eight change notifies that may each return
/// MAX_DATA fill its budget; a ninth is refused until they are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_held_per_connection_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "d", &root, Default::default()).unwrap();
    let sock = dir.path().join("lwiod.sock");
    let server = LocalServer::bind(
        &sock,
        io,
        Identities::new(None, None),
        LocalConfig::default(),
    )
    .unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(server.run(stopped));
    let client = DaemonClient::connect(&sock).await.unwrap();
    // (One notify per directory handle, as PVFS keeps one per handle.)
    let mut dirs = Vec::new();
    for _ in 0..9 {
        let request = CreateRequest::new(
            Arc::new(AccessToken::system()),
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
        );
        dirs.push(client.create_file("/d", request).await.unwrap());
    }
    let notify = |i: usize| {
        dirs[i].read_directory_change(lwio_core::irp::NotifyRequest {
            filter: lwio_core::NotifyFilter::FILE_NAME,
            watch_tree: false,
            length: MAX_DATA,
        })
    };
    let held: Vec<_> = (0..8).map(notify).collect();
    assert_eq!(notify(8).await, Err(NtStatus::INSUFFICIENT_RESOURCES));
    for n in held {
        n.cancel();
        assert_eq!(n.await, Err(NtStatus::CANCELLED));
    }
    let mut again = Err(NtStatus::INSUFFICIENT_RESOURCES);
    for _ in 0..50 {
        let n = notify(8);
        tokio::time::sleep(Duration::from_millis(20)).await;
        n.cancel();
        again = n.await;
        if again != Err(NtStatus::INSUFFICIENT_RESOURCES) {
            break;
        }
    }
    assert_eq!(again, Err(NtStatus::CANCELLED), "room again once answered");
}

/// The environment variables that turn [`per_uid_child`] into a local user's client:
/// the socket, and how many connections to try.
const CHILD_SOCKET: &str = "LWIO_PER_UID_SOCKET";
const CHILD_TRIES: &str = "LWIO_PER_UID_TRIES";

/// Run by [`one_user_cannot_take_every_connection`] under `setpriv`: opens the connections
/// it is told to, prints each outcome, then holds them until its input closes.
#[test]
fn per_uid_child() {
    let (Ok(sock), Ok(tries)) = (std::env::var(CHILD_SOCKET), std::env::var(CHILD_TRIES)) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut held = Vec::new();
        for i in 0..tries.parse::<usize>().unwrap() {
            match DaemonClient::connect(&sock).await {
                Ok(c) => {
                    println!("CONNECT {i}: ok");
                    held.push(c);
                }
                Err(ConnectError::Refused { status, .. }) => println!("CONNECT {i}: {status:?}"),
                Err(e) => println!("CONNECT {i}: {e}"),
            }
        }
        println!("HELD");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        drop(held);
    });
}

/// One local user (`nobody`, through setpriv) gets `max_connections_per_uid` connections
/// and its next is refused with STATUS_REQUEST_NOT_ACCEPTED, although global slots are
/// free; meanwhile another uid and root still connect, and once the user lets go it
/// connects again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_take_every_connection() {
    use std::io::{BufRead as _, BufReader};
    use std::os::unix::fs::PermissionsExt as _;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "d", &root, Default::default()).unwrap();
    let config = LocalConfig {
        max_connections: 8,
        max_connections_per_uid: 2,
        ..LocalConfig::default()
    };
    let sock = dir.path().join("lwiod.sock");
    let server = LocalServer::bind(&sock, io, Identities::new(None, None), config).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server.run(stopped));

    let child = |uid: &str, tries: &str| {
        Command::new("setpriv")
            .args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "--",
            ])
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "per_uid_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_SOCKET, &sock)
            .env(CHILD_TRIES, tries)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("setpriv (util-linux) runs")
    };
    // Reads a child's outcomes up to HELD.
    let outcomes = |out: &mut BufReader<std::process::ChildStdout>| {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "child ended: {lines:?}"
            );
            let line = line.trim().to_owned();
            if line.ends_with("HELD") {
                return lines;
            }
            // (The harness prints "test per_uid_child ... " before the first.)
            if let Some(at) = line.find("CONNECT") {
                lines.push(line[at..].to_owned());
            }
        }
    };

    let mut nobody = child("65534", "3");
    let mut nobody_out = BufReader::new(nobody.stdout.take().unwrap());
    let got = tokio::task::block_in_place(|| outcomes(&mut nobody_out));
    assert_eq!(
        got,
        [
            "CONNECT 0: ok",
            "CONNECT 1: ok",
            "CONNECT 2: NtStatus(STATUS_REQUEST_NOT_ACCEPTED)"
        ]
    );

    // While nobody holds its two: another uid connects, and so does root (exempt) three
    // times.
    let mut other = child("65533", "1");
    let mut other_out = BufReader::new(other.stdout.take().unwrap());
    let got = tokio::task::block_in_place(|| outcomes(&mut other_out));
    assert_eq!(got, ["CONNECT 0: ok"]);
    let mut roots = Vec::new();
    for _ in 0..3 {
        roots.push(DaemonClient::connect(&sock).await.expect("root is exempt"));
    }
    drop(other.stdin.take());
    std::io::copy(&mut other_out, &mut std::io::sink()).unwrap();
    assert!(other.wait().unwrap().success());

    // Once nobody lets go, its allowance is back.
    drop(nobody.stdin.take());
    std::io::copy(&mut nobody_out, &mut std::io::sink()).unwrap();
    assert!(nobody.wait().unwrap().success());
    // (The daemon notices the closed connections shortly: retry for a while.)
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = child("65534", "2");
        let mut again_out = BufReader::new(again.stdout.take().unwrap());
        let got = tokio::task::block_in_place(|| outcomes(&mut again_out));
        drop(again.stdin.take());
        std::io::copy(&mut again_out, &mut std::io::sink()).unwrap();
        assert!(again.wait().unwrap().success());
        if got == ["CONNECT 0: ok", "CONNECT 1: ok"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never released: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    drop(roots);
    stop.send(true).unwrap();
    task.await.unwrap();
}

/// Many reads in flight on one connection, small and large, answered by the writer's
/// queue and straight from the tasks that finish them: every answer arrives whole, with
/// its own bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_answers_arrive_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("big.bin"), &data).unwrap();
    let io = IoManager::new();
    lwio_pvfs::mount(&io, "d", &root, Default::default()).unwrap();
    let sock = dir.path().join("lwiod.sock");
    let server = LocalServer::bind(
        &sock,
        io,
        Identities::new(None, None),
        LocalConfig::default(),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server.run(stopped));

    let c = DaemonClient::connect(&sock).await.unwrap();
    let f = Arc::new(open(&c, "/d/big.bin").await.unwrap());
    let mut reads = tokio::task::JoinSet::new();
    for i in 0..200u64 {
        let f = Arc::clone(&f);
        let (offset, length) = if i % 3 == 0 {
            ((i * 4099) % (1 << 19), 200_000u32)
        } else {
            ((i * 7919) % (1 << 20), 64u32)
        };
        reads.spawn(async move { (offset, length, f.read(offset, length).await) });
    }
    while let Some(done) = reads.join_next().await {
        let (offset, length, got) = done.unwrap();
        let start = offset as usize;
        let end = (start + length as usize).min(data.len());
        assert_eq!(got.unwrap(), &data[start..end], "read {offset}+{length}");
    }
    drop(f);
    stop.send(true).unwrap();
    task.await.unwrap();
}
