#![allow(clippy::unwrap_used)]
//! Resource bounds of `lwiod` under attack, over TCP against the real binary (so its
//! memory can be measured apart from the test's): each test starts `lwiod` with small
//! limits, drives one attack, checks the bound (memory, connections refused), and checks
//! that another client is still served promptly.
//!
//! - a client that sends large READs and never reads its socket: the server's memory
//!   stays within the connection's budget, and the connection is closed once it has not
//!   taken a response for `send_timeout`;
//! - idle connections cost a few KiB each (the read buffer grows with demand);
//! - connections beyond the global or the per-address limit are closed at once;
//! - the oldest unauthenticated connection makes room for a new one, and unauthenticated
//!   connections time out;
//! - with descriptors scarce, new connections are refused while the sessions already
//!   there can still open files.
//!
//! The counted bounds (credits, the credit charge, session setups, the budget in bytes)
//! are tested in-process in `lwio-srv/tests/bounds.rs`.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lwio_core::{AccessMask, CreateDisposition, CreateOptions, NtStatus};
use lwio_smb2::{Command as SmbCommand, Dialect, EchoRequest};
use lwio_srv::testing::client::{ClientError, Msg, RawClient, body};
use tokio::net::{TcpSocket, TcpStream};

/// How long another client may take to be served while an attack runs: generous.
const PROMPT: Duration = Duration::from_secs(5);

/// A `lwiod` process on a loopback port, killed on drop.
struct Lwiod {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Lwiod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lwiod {
    /// Starts `lwiod` with a share `share`, the user `user:pass` and `extra` TOML
    /// settings; under `prlimit --nofile=N:N` when `nofile` is given.
    fn start(extra: &str, nofile: Option<u64>) -> Lwiod {
        let dir = tempfile::tempdir().unwrap();
        let share = dir.path().join("share");
        std::fs::create_dir(&share).unwrap();
        // The account is not the server's Unix identity: the share is opened to it.
        std::fs::set_permissions(&share, std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = common::low_port_listener().local_addr().unwrap().port();
        let config = dir.path().join("lwiod.toml");
        let mut f = std::fs::File::create(&config).unwrap();
        write!(
            f,
            "listen = \"127.0.0.1:{port}\"\nfailed_logon_delay_ms = 0\n\
             state_dir = \"{}\"\n{extra}\n\
             [[share]]\nname = \"share\"\npath = \"{}\"\n\
             [[user]]\nname = \"user\"\npassword = \"pass\"\n",
            dir.path().join("state").display(),
            share.display()
        )
        .unwrap();
        let bin = env!("CARGO_BIN_EXE_lwiod");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        let child = cmd
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lwiod (and prlimit, from util-linux) run");
        let l = Lwiod { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "lwiod did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Let the probe connection end before the test counts connections.
        std::thread::sleep(Duration::from_millis(300));
        l
    }

    /// The share's directory.
    fn share(&self) -> std::path::PathBuf {
        self.dir.path().join("share")
    }

    /// The resident memory of the process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// A TCP connection from the loopback address `from`, not negotiated.
    async fn connect_from(&self, from: [u8; 4]) -> RawClient<TcpStream> {
        let sock = TcpSocket::new_v4().unwrap();
        sock.bind(SocketAddr::from((from, 0))).unwrap();
        let s = sock
            .connect(SocketAddr::from(([127, 0, 0, 1], self.port)))
            .await
            .unwrap();
        s.set_nodelay(true).unwrap();
        RawClient::new(s)
    }

    /// A connection from 127.0.0.1 that has negotiated SMB 3.0.2.
    async fn negotiated(&self) -> RawClient<TcpStream> {
        let mut c = self.connect_from([127, 0, 0, 1]).await;
        c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
        c
    }

    /// A connection logged on as `user` with the share connected.
    async fn logged_on(&self) -> RawClient<TcpStream> {
        let mut c = self.negotiated().await;
        c.logon("user", "pass").await.unwrap();
        c.tree_connect("share").await.unwrap();
        c
    }

    /// Another client logs on, writes, reads and echoes, within [`PROMPT`].
    async fn serves_another_client(&self) {
        tokio::time::timeout(PROMPT, async {
            let mut c = self.logged_on().await;
            let f = c
                .create(
                    "other.txt",
                    AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                    CreateDisposition::OPEN_IF,
                    CreateOptions::default(),
                )
                .await
                .unwrap();
            c.write(f, 0, b"hello").await.unwrap();
            assert_eq!(c.read(f, 0, 5).await.unwrap(), b"hello");
            c.close(f).await.unwrap();
            assert_eq!(c.echo().await.unwrap(), NtStatus::SUCCESS);
        })
        .await
        .expect("another client is served promptly");
    }
}

/// True when the server closes `c` (its NEGOTIATE unanswered) within a couple of seconds.
async fn refused(c: &mut RawClient<TcpStream>) -> bool {
    let r = tokio::time::timeout(Duration::from_secs(3), c.negotiate(&[Dialect::SMB_3_0_2])).await;
    match r {
        Ok(Err(ClientError::Closed)) => true,
        Ok(Err(ClientError::Io(e))) => matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

/// True when the server closes `c` within `wait`, answers and all.
async fn closes_within(c: &mut RawClient<TcpStream>, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.recv(left).await {
            Ok(_) => continue,
            Err(ClientError::Closed) => return true,
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return true;
            }
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_large_reads_is_held_to_its_budget() {
    const BUDGET_MIB: u64 = 4;
    let srv = Lwiod::start(
        &format!(
            "max_connection_buffer = {}\nsend_timeout_secs = 4\n",
            BUDGET_MIB << 20
        ),
        None,
    );
    std::fs::write(srv.share().join("big.dat"), vec![7u8; 4 << 20]).unwrap();
    let mut attacker = srv.logged_on().await;
    let f = attacker
        .create(
            "big.dat",
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
            CreateOptions::default(),
        )
        .await
        .unwrap();
    // Warm the server up (one read of the file), then measure.
    attacker.read(f, 0, 4 << 20).await.unwrap();
    while attacker.credits() < 64 * 100 + 1 {
        let mut m = Msg::new(SmbCommand::ECHO, body(|o| EchoRequest.encode(o)));
        m.credits = 8192;
        attacker.call(m).await.unwrap();
    }
    let before = srv.rss_kib();
    // 100 READs of 4 MiB: 400 MiB of responses asked for, none read.
    for _ in 0..100 {
        let m = RawClient::<TcpStream>::read_msg(f, 0, 4 << 20);
        attacker.send(vec![m]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = srv.rss_kib();
    srv.serves_another_client().await;
    let growth_mib = during.saturating_sub(before) / 1024;
    eprintln!(
        "lwiod grew {growth_mib} MiB ({before} KiB -> {during} KiB) under 400 MiB of unread READs"
    );
    // The budget, a response counted twice while queued, a READ's copies on its way,
    // allocator slack: far below the 400 MiB asked for.
    assert!(
        growth_mib <= 12 * BUDGET_MIB,
        "server grew {growth_mib} MiB for a {BUDGET_MIB} MiB budget"
    );
    // It has taken nothing for longer than send_timeout: the connection is closed, with
    // most of the READs never served.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut answers = 0;
    let closed = loop {
        match attacker.recv(Duration::from_secs(10)).await {
            Ok(m) => answers += m.len(),
            Err(ClientError::Closed) => break true,
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                break true;
            }
            Err(_) => break false,
        }
    };
    assert!(closed, "closed after send_timeout");
    eprintln!("{answers} of 100 READs answered before the connection closed");
    assert!(answers < 100, "{answers} of 100 READs answered");
    srv.serves_another_client().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cost_a_few_kib_each() {
    const N: u64 = 2000;
    let srv = Lwiod::start(
        "max_unauthenticated_connections = 10000\nmax_connections_per_address = 10000\n",
        None,
    );
    // One connection first, so the runtime's one-time allocations are in the baseline.
    let _first = srv.negotiated().await;
    let before = srv.rss_kib();
    let mut conns = Vec::new();
    for _ in 0..N {
        conns.push(srv.negotiated().await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = srv.rss_kib();
    let per_conn = after.saturating_sub(before) / N;
    eprintln!("{N} idle connections: {before} KiB -> {after} KiB, {per_conn} KiB each");
    // Each used to commit a 256 KiB read buffer.
    assert!(per_conn <= 32, "{per_conn} KiB per idle connection");
    srv.serves_another_client().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_global_and_per_address_limits_are_closed_at_once() {
    let srv = Lwiod::start(
        "max_connections = 6\nmax_connections_per_address = 3\n",
        None,
    );
    let mut from1 = Vec::new();
    for _ in 0..3 {
        let mut c = srv.connect_from([127, 0, 0, 1]).await;
        c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
        from1.push(c);
    }
    let mut fourth = srv.connect_from([127, 0, 0, 1]).await;
    assert!(refused(&mut fourth).await, "a fourth from one address");
    let mut from2 = Vec::new();
    for _ in 0..2 {
        let mut c = srv.connect_from([127, 0, 0, 2]).await;
        c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
        from2.push(c);
    }
    // Five held; the sixth is another client, logged on and served.
    let mut sixth = srv.connect_from([127, 0, 0, 3]).await;
    sixth.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    sixth.logon("user", "pass").await.unwrap();
    assert_eq!(sixth.echo().await.unwrap(), NtStatus::SUCCESS);
    let mut seventh = srv.connect_from([127, 0, 0, 4]).await;
    assert!(refused(&mut seventh).await, "a seventh connection");
    // One leaves: a new one is taken again.
    drop(from1.pop());
    let deadline = Instant::now() + PROMPT;
    loop {
        let mut c = srv.connect_from([127, 0, 0, 4]).await;
        if c.negotiate(&[Dialect::SMB_3_0_2]).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a connection is taken once one left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connections_make_room_for_new_ones_and_time_out() {
    let srv = Lwiod::start(
        "max_unauthenticated_connections = 3\nunauthenticated_timeout_secs = 3\n",
        None,
    );
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(srv.negotiated().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A fourth arrives: the oldest idle one is closed to make room, and the newcomer
    // logs on.
    let started = Instant::now();
    let mut newcomer = srv.negotiated().await;
    assert!(
        closes_within(&mut idle[0], Duration::from_secs(2)).await,
        "the oldest is closed"
    );
    newcomer.logon("user", "pass").await.unwrap();
    newcomer.tree_connect("share").await.unwrap();
    // The two left idle time out; the authenticated one stays.
    assert!(closes_within(&mut idle[1], Duration::from_secs(6)).await);
    assert!(closes_within(&mut idle[2], Duration::from_secs(2)).await);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before their time"
    );
    assert_eq!(newcomer.echo().await.unwrap(), NtStatus::SUCCESS);
    srv.serves_another_client().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_descriptors_scarce_new_connections_are_refused_before_opens_fail() {
    const NOFILE: u64 = 160;
    const RESERVE: u64 = 64;
    let srv = Lwiod::start(&format!("fd_reserve = {RESERVE}\n"), Some(NOFILE));
    let mut session = srv.logged_on().await;
    // Connections until one is refused.
    let mut conns = Vec::new();
    let refused_at = loop {
        let mut c = srv.connect_from([127, 0, 0, 1]).await;
        if refused(&mut c).await {
            break conns.len();
        }
        conns.push(c);
        assert!((conns.len() as u64) < NOFILE, "no connection was refused");
    };
    eprintln!("{refused_at} connections taken with {NOFILE} descriptors, {RESERVE} reserved");
    assert!(
        (refused_at as u64) < NOFILE - RESERVE,
        "{refused_at} connections taken"
    );
    // The session already there can still open files: the reserve is theirs.
    let mut files = Vec::new();
    for i in 0..RESERVE / 2 {
        let name = format!("f{i}.txt");
        let f = session
            .create(
                &name,
                AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
                CreateDisposition::OPEN_IF,
                CreateOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("open {i} with descriptors reserved: {e}"));
        files.push(f);
    }
    let mut another = srv.connect_from([127, 0, 0, 2]).await;
    assert!(
        refused(&mut another).await,
        "still refused while the reserve is in use"
    );
    for f in files {
        session.close(f).await.unwrap();
    }
    drop(conns);
    // With descriptors back, connections are taken again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    srv.serves_another_client().await;
}
