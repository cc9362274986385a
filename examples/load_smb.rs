//! A load generator for any SMB2/3 server (lwiod, Samba's smbd), built on lwio-srv's raw
//! test client (SMB 3.0.2, NTLM in SPNEGO, every request signed). `scripts/load-smb.sh`
//! runs it against both servers.
//!
//! ```text
//! load_smb mixed --addr 127.0.0.1:4450 --clients 1000 --seconds 60 [--pid PID]
//! load_smb idle  --addr 127.0.0.1:4450 --sessions 10000 --rounds 100 [--pid PID]
//! ```
//!
//! - `mixed`: each client holds one connection and, until the time is up, logs on, connects
//!   the share, creates a file, writes and reads 64 KiB, lists its own directory, locks
//!   and unlocks a range, closes (the file deletes on close) and logs off. Prints the
//!   requests per second, the p50 and p99 latency of a request, and the errors (any
//!   request that fails, any connection lost).
//! - `idle`: logs `--sessions` sessions on (250 per connection), each with the share
//!   connected, then runs `--rounds` rounds in which every session opens and closes a
//!   file. Prints the server's memory per session and its growth from the first round to
//!   the last.
//!
//! With `--pid`, the memory of that process and its descendants (smbd forks one process
//! per connection) is sampled every 100 ms: the peak of the sum of their RSS, and of their
//! PSS (shared pages counted once).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use lwio_core::irp::QueryDirectoryFlags;
use lwio_core::{AccessMask, CreateDisposition, CreateOptions, FileInfoClass, NtStatus};
use lwio_smb2::{Command, CreateResponse, Dialect, FileId, LockFlags, QueryDirectoryRequest};
use lwio_srv::testing::client::{ClientError, Msg, RawClient, body, status_of};
use parking_lot::Mutex;
use tokio::net::TcpStream;

#[derive(Parser)]
struct Args {
    /// The server.
    #[arg(long, default_value = "127.0.0.1:4450")]
    addr: String,
    /// The account.
    #[arg(long, default_value = "user")]
    user: String,
    /// Its password.
    #[arg(long, default_value = "pass")]
    password: String,
    /// The share.
    #[arg(long, default_value = "share")]
    share: String,
    /// The server's process, whose memory (with its descendants') is sampled.
    #[arg(long)]
    pid: Option<u32>,
    /// A name for the report.
    #[arg(long, default_value = "server")]
    name: String,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Concurrent clients doing mixed work.
    Mixed {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Many idle authenticated sessions, then open-close rounds on each.
    Idle {
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
        #[arg(long, default_value_t = 100)]
        rounds: usize,
    },
}

type Client = RawClient<TcpStream>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Latencies in microseconds, errors, requests.
#[derive(Default)]
struct Tally {
    latencies: Mutex<Vec<u32>>,
    requests: AtomicU64,
    errors: AtomicU64,
}

/// Connections being set up at once: a thousand clients start together, but connect a
/// few dozen at a time, as users do, rather than overflow the server's listen queue.
static CONNECTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(64);

async fn connect(args: &Args) -> Result<Client, Failure> {
    let _turn = CONNECTING.acquire().await?;
    let s = TcpStream::connect(&args.addr).await?;
    s.set_nodelay(true)?;
    let mut c = RawClient::new(s);
    c.negotiate(&[Dialect::SMB_3_0_2]).await?;
    Ok(c)
}

/// Sends one request, timing it; an error status fails it.
async fn timed(c: &mut Client, t: &Tally, msg: Msg) -> Result<Vec<u8>, Failure> {
    let start = Instant::now();
    let r = c.call(msg).await;
    let us = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
    t.requests.fetch_add(1, Ordering::Relaxed);
    t.latencies.lock().push(us);
    let m = r?;
    let st = status_of(&m);
    if st.is_error() && st != NtStatus::NO_MORE_FILES {
        return Err(Box::new(ClientError::Status(st)));
    }
    Ok(m)
}

fn file_id(m: &[u8]) -> Result<FileId, Failure> {
    Ok(CreateResponse::decode(m)?.file_id)
}

/// One cycle of mixed work on `c` in the directory `dir`.
async fn cycle(c: &mut Client, args: &Args, t: &Tally, dir: &str, n: u64) -> Result<(), Failure> {
    let start = Instant::now();
    c.logon(&args.user, &args.password).await?;
    // The two legs of the logon, timed together.
    t.requests.fetch_add(2, Ordering::Relaxed);
    t.latencies
        .lock()
        .push(u32::try_from(start.elapsed().as_micros() / 2).unwrap_or(u32::MAX));
    let start = Instant::now();
    c.tree_connect(&args.share).await?;
    t.requests.fetch_add(1, Ordering::Relaxed);
    t.latencies
        .lock()
        .push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
    let rw =
        AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0 | AccessMask::DELETE.0);
    let name = format!("{dir}\\f{n}.dat");
    let f = file_id(
        &timed(
            c,
            t,
            RawClient::<TcpStream>::create_msg(
                &name,
                rw,
                CreateDisposition::OVERWRITE_IF,
                CreateOptions::DELETE_ON_CLOSE,
            ),
        )
        .await?,
    )?;
    let data = vec![(n % 251) as u8; 64 * 1024];
    let write = RawClient::<TcpStream>::write_msg(f, 0, &data);
    timed(c, t, write).await?;
    let back = timed(c, t, RawClient::<TcpStream>::read_msg(f, 0, 64 * 1024)).await?;
    let got = lwio_smb2::ReadResponse::decode(&back)?.data;
    if got != data {
        return Err("read back other bytes".into());
    }
    let d = file_id(
        &timed(
            c,
            t,
            RawClient::<TcpStream>::create_msg(
                dir,
                AccessMask::GENERIC_READ,
                CreateDisposition::OPEN,
                CreateOptions::DIRECTORY_FILE,
            ),
        )
        .await?,
    )?;
    let mut flags = QueryDirectoryFlags::RESTART_SCANS;
    loop {
        let q = Msg::new(
            Command::QUERY_DIRECTORY,
            body(|o| {
                QueryDirectoryRequest {
                    class: FileInfoClass::BOTH_DIRECTORY,
                    flags,
                    file_index: 0,
                    file_id: d,
                    pattern: "*".into(),
                    output_buffer_length: 65536,
                }
                .encode(o)
            }),
        );
        flags = QueryDirectoryFlags::default();
        if status_of(&timed(c, t, q).await?) == NtStatus::NO_MORE_FILES {
            break;
        }
    }
    timed(c, t, RawClient::<TcpStream>::close_msg(d)).await?;
    let exclusive = LockFlags(LockFlags::EXCLUSIVE.0 | LockFlags::FAIL_IMMEDIATELY.0);
    timed(
        c,
        t,
        RawClient::<TcpStream>::lock_msg(f, 0, 4096, exclusive),
    )
    .await?;
    timed(
        c,
        t,
        RawClient::<TcpStream>::lock_msg(f, 0, 4096, LockFlags::UNLOCK),
    )
    .await?;
    timed(c, t, RawClient::<TcpStream>::close_msg(f)).await?;
    let start = Instant::now();
    c.logoff().await?;
    t.requests.fetch_add(1, Ordering::Relaxed);
    t.latencies
        .lock()
        .push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
    Ok(())
}

async fn mixed_client(args: Arc<Args>, t: Arc<Tally>, id: usize, until: Instant) {
    let mut c = match connect(&args).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("client {id}: connect: {e}");
            t.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let dir = format!("load{id}");
    // Its own directory, made once.
    let setup = async {
        c.logon(&args.user, &args.password).await?;
        c.tree_connect(&args.share).await?;
        let m = c
            .call_ok(RawClient::<TcpStream>::create_msg(
                &dir,
                AccessMask::GENERIC_READ,
                CreateDisposition::OPEN_IF,
                CreateOptions::DIRECTORY_FILE,
            ))
            .await?;
        let d = file_id(&m)?;
        c.close(d).await?;
        c.logoff().await?;
        Ok::<(), Failure>(())
    };
    if let Err(e) = setup.await {
        eprintln!("client {id}: setup: {e}");
        t.errors.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut n = 0;
    while Instant::now() < until {
        if let Err(e) = cycle(&mut c, &args, &t, &dir, n).await {
            eprintln!("client {id}: {e}");
            t.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
        n += 1;
    }
}

/// RSS and PSS (KiB) of `pid` and its descendants.
fn memory(pid: u32) -> (u64, u64) {
    let mut parent = std::collections::HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
                // The parent pid is the second field after the command's closing paren.
                if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
                    let ppid = rest
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse::<u32>().ok());
                    parent.insert(p, ppid.unwrap_or(0));
                }
            }
        }
    }
    let tree: Vec<u32> = parent
        .keys()
        .copied()
        .filter(|&p| {
            let mut q = p;
            for _ in 0..64 {
                if q == pid {
                    return true;
                }
                match parent.get(&q) {
                    Some(&pp) if pp != 0 => q = pp,
                    _ => return false,
                }
            }
            false
        })
        .collect();
    let field = |text: &str, key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    let mut rss = 0;
    let mut pss = 0;
    for p in tree {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/status")) {
            rss += field(&s, "VmRSS:");
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")) {
            pss += field(&s, "Pss:");
        }
    }
    (rss, pss)
}

/// Samples the memory of `pid`'s tree until `stop`; the peaks (RSS, PSS) in KiB.
fn sample(pid: Option<u32>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(u64, u64)> {
    std::thread::spawn(move || {
        let Some(pid) = pid else { return (0, 0) };
        let mut peak = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            let (r, p) = memory(pid);
            peak = (peak.0.max(r), peak.1.max(p));
            std::thread::sleep(Duration::from_millis(100));
        }
        peak
    })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

async fn mixed(args: Arc<Args>, clients: usize, seconds: u64) {
    let t = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample(args.pid, Arc::clone(&stop));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for id in 0..clients {
        tasks.push(tokio::spawn(mixed_client(
            Arc::clone(&args),
            Arc::clone(&t),
            id,
            until,
        )));
    }
    for task in tasks {
        if task.await.is_err() {
            t.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (rss, pss) = sampler.join().unwrap_or((0, 0));
    let mut lat = std::mem::take(&mut *t.latencies.lock());
    lat.sort_unstable();
    let requests = t.requests.load(Ordering::Relaxed);
    println!(
        "{}: mixed, {clients} clients, {elapsed:.0} s: {requests} requests, {:.0} requests/s, \
         p50 {:.2} ms, p99 {:.2} ms, errors {}, peak memory RSS {} MiB / PSS {} MiB",
        args.name,
        requests as f64 / elapsed,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        t.errors.load(Ordering::Relaxed),
        rss / 1024,
        pss / 1024,
    );
}

async fn idle(args: Arc<Args>, sessions: usize, rounds: usize) -> Result<(), Failure> {
    const PER_CONNECTION: usize = 250;
    let pid = args.pid.ok_or("idle needs --pid")?;
    let before = memory(pid);
    // Connections, each with its sessions and their trees.
    let mut conns: Vec<(Client, Vec<(u64, u32)>)> = Vec::new();
    let mut left = sessions;
    while left > 0 {
        let n = left.min(PER_CONNECTION);
        let mut c = connect(&args).await?;
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let sid = c.logon(&args.user, &args.password).await?;
            let tid = c.tree_connect(&args.share).await?;
            ids.push((sid, tid));
        }
        conns.push((c, ids));
        left -= n;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_sessions = memory(pid);
    let per_session = |m: (u64, u64)| {
        (
            m.0.saturating_sub(before.0) as f64 / sessions as f64,
            m.1.saturating_sub(before.1) as f64 / sessions as f64,
        )
    };
    let mut after_first = (0, 0);
    let started = Instant::now();
    let rw = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
    for round in 0..rounds {
        // Every connection works through its sessions at the same time.
        let mut tasks = Vec::new();
        for (i, (mut c, ids)) in std::mem::take(&mut conns).into_iter().enumerate() {
            let name = format!("idle{i}.dat");
            tasks.push(tokio::spawn(async move {
                for &(sid, tid) in &ids {
                    c.session_id = sid;
                    c.tree_id = tid;
                    let m = c
                        .call(RawClient::<TcpStream>::create_msg(
                            &name,
                            rw,
                            CreateDisposition::OPEN_IF,
                            CreateOptions::default(),
                        ))
                        .await?;
                    let st = status_of(&m);
                    if st.is_error() {
                        return Err::<_, Failure>(Box::new(ClientError::Status(st)));
                    }
                    c.close(file_id(&m)?).await?;
                }
                Ok((c, ids))
            }));
        }
        for task in tasks {
            conns.push(task.await??);
        }
        if round == 0 {
            after_first = memory(pid);
        }
    }
    let after = memory(pid);
    let ops = (sessions * rounds * 2) as f64 / started.elapsed().as_secs_f64();
    let (rss_per, pss_per) = per_session(with_sessions);
    println!(
        "{}: idle, {sessions} sessions on {} connections: {:.1} KiB RSS ({:.1} KiB PSS) per session; \
         {rounds} open-close rounds ({ops:.0} requests/s): RSS {} -> {} KiB, growth {} KiB after the first round",
        args.name,
        conns.len(),
        rss_per,
        pss_per,
        after_first.0,
        after.0,
        after.0 as i64 - after_first.0 as i64,
    );
    Ok(())
}

fn main() -> Result<(), Failure> {
    let args = Arc::new(Args::parse());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match args.mode {
            Mode::Mixed { clients, seconds } => {
                mixed(Arc::clone(&args), clients, seconds).await;
                Ok(())
            }
            Mode::Idle { sessions, rounds } => idle(Arc::clone(&args), sessions, rounds).await,
        }
    })
}
