#![allow(clippy::unwrap_used)]
//! The local interface against the `lwiod` binary: a second process (this test) drives
//! the daemon's I/O manager through `lwio_client` over `lwiod.sock` in the state
//! directory. Opens, writes, reads, stats and listings; a waiting byte-range lock that
//! completes when an SMB client, against the same daemon, releases its lock, and when another
//! socket client does; a cancel; a client that disconnects has its locks and share modes
//! released; `nobody` (this test binary re-run under `setpriv`) gets a Unix-derived token
//! that may not open a root-only file; malformed frames get an error frame and a closed
//! connection.

#[path = "../../tests/common/mod.rs"]
mod common;

#[allow(dead_code)]
mod peers;

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use lwio_client::proto::{ClientFrame, CreateArgs, Op, ServerFrame, VERSION};
use lwio_client::transport::read_frame;
use lwio_client::{DaemonClient, RemoteFile};
use lwio_core::irp::{FileAttributes, FileInfoClass, ShareAccess};
use lwio_core::irp::{LockRequest, NotifyRequest, QueryDirectoryRequest, UnlockRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, NotifyFilter, NtStatus,
    QueryDirectoryFlags,
};
use peers::{Dirs, Lwiod, USER};
use tokio::io::AsyncWriteExt as _;
use tokio::net::UnixStream;

/// Starts lwiod with one share `share` and its local socket in the state directory.
fn start(dirs: &Dirs) -> (Lwiod, PathBuf) {
    let port = common::low_port_listener().local_addr().unwrap().port();
    let srv =
        peers::spawn([127, 0, 0, 1].into(), port, &dirs.share, &dirs.state).expect("lwiod listens");
    let sock = dirs.state.join("lwiod.sock");
    for _ in 0..200 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(sock.exists(), "lwiod made its local socket");
    (srv, sock)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn request(access: AccessMask, disposition: CreateDisposition) -> CreateRequest {
    // The token is not sent: the daemon takes the caller's from the kernel.
    CreateRequest::new(Arc::new(AccessToken::anonymous()), access, disposition)
}

async fn open(c: &DaemonClient, path: &str, share: ShareAccess) -> Result<RemoteFile, NtStatus> {
    let access = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);
    c.create_file(
        path,
        request(access, CreateDisposition::OPEN_IF).share(share),
    )
    .await
}

fn lock(offset: u64, length: u64, wait: bool) -> LockRequest {
    LockRequest {
        offset,
        length,
        key: 0,
        exclusive: true,
        fail_immediately: !wait,
    }
}

/// The names in a FileNamesInformation buffer (MS-FSCC 2.4.28).
fn names(buf: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 12 <= buf.len() {
        let next = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
        let len = u32::from_le_bytes(buf[at + 8..at + 12].try_into().unwrap()) as usize;
        let units: Vec<u16> = buf[at + 12..at + 12 + len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        out.push(String::from_utf16_lossy(&units));
        if next == 0 {
            break;
        }
        at += next;
    }
    out
}

#[test]
fn open_write_read_stat_and_list_through_the_socket() {
    let dirs = Dirs::new();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        let c = DaemonClient::connect(&sock).await.unwrap();
        let f = open(&c, "/share/a.txt", ShareAccess::READ).await.unwrap();
        // Many requests in flight at once, answered in any order.
        let writes: Vec<_> = (0..8u64)
            .map(|i| f.write(i * 4, Bytes::from(format!("{i:04}"))))
            .collect();
        for w in writes {
            assert_eq!(w.await, Ok(4));
        }
        assert_eq!(
            f.read(0, 64).await.unwrap(),
            b"00000001000200030004000500060007"
        );
        assert_eq!(f.read(1000, 4).await, Err(NtStatus::END_OF_FILE));
        let standard = f
            .query_information(FileInfoClass::STANDARD, 64)
            .await
            .unwrap();
        assert_eq!(u64::from_le_bytes(standard[8..16].try_into().unwrap()), 32);
        f.flush().await.unwrap();
        assert_eq!(f.close().await, NtStatus::SUCCESS);
        assert_eq!(
            std::fs::read(dirs.share.join("a.txt")).unwrap(),
            b"00000001000200030004000500060007"
        );

        let dir = c
            .create_file(
                "/share",
                request(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
            )
            .await
            .unwrap();
        let listing = dir
            .query_directory(QueryDirectoryRequest {
                class: FileInfoClass::NAMES,
                flags: QueryDirectoryFlags::RESTART_SCANS,
                file_index: 0,
                pattern: Some("*".into()),
                length: 64 * 1024,
                only_accessible: None,
            })
            .await
            .unwrap();
        assert!(names(&listing).contains(&"a.txt".to_owned()), "{listing:?}");
        assert_eq!(
            c.create_file(
                "/share/nosuch.txt",
                request(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
            )
            .await
            .err(),
            Some(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
        assert_eq!(
            c.create_file(
                "/nosuchdevice/x",
                request(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
            )
            .await
            .err(),
            Some(NtStatus::OBJECT_PATH_NOT_FOUND)
        );
    });
}

#[test]
fn a_waiting_lock_completes_when_another_socket_client_unlocks_and_cancel_reaches_the_irp() {
    let dirs = Dirs::new();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        let a = DaemonClient::connect(&sock).await.unwrap();
        let b = DaemonClient::connect(&sock).await.unwrap();
        let share = ShareAccess::READ | ShareAccess::WRITE;
        let fa = open(&a, "/share/l.bin", share).await.unwrap();
        let fb = open(&b, "/share/l.bin", share).await.unwrap();
        fa.lock(lock(0, 10, false)).await.unwrap();
        assert_eq!(
            fb.lock(lock(5, 10, false)).await,
            Err(NtStatus::LOCK_NOT_GRANTED)
        );
        let mut waiting = Box::pin(fb.lock(lock(5, 10, true)));
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut waiting)
                .await
                .is_err(),
            "the waiting lock waits"
        );
        fa.unlock(UnlockRequest {
            offset: 0,
            length: 10,
            key: 0,
        })
        .await
        .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        assert_eq!(got.expect("granted once released"), Ok(()));

        // Cancel: a second waiting lock, cancelled across the socket.
        let pending = fa.lock(lock(5, 1, true));
        tokio::time::sleep(Duration::from_millis(100)).await;
        pending.cancel();
        let got = tokio::time::timeout(Duration::from_secs(10), pending).await;
        assert_eq!(
            got.expect("the cancel reached the IRP"),
            Err(NtStatus::CANCELLED)
        );

        // A change notify, cancelled by dropping its future; the connection goes on.
        let dir = a
            .create_file(
                "/share",
                request(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
            )
            .await
            .unwrap();
        let notify = dir.read_directory_change(NotifyRequest {
            filter: NotifyFilter::FILE_NAME,
            watch_tree: false,
            length: 4096,
        });
        drop(notify);
        let notify = dir.read_directory_change(NotifyRequest {
            filter: NotifyFilter::FILE_NAME,
            watch_tree: false,
            length: 4096,
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let created = open(&b, "/share/new.txt", share).await.unwrap();
        let change = tokio::time::timeout(Duration::from_secs(10), notify)
            .await
            .expect("the notify fires");
        assert!(change.is_ok(), "{change:?}");
        drop(created);
    });
}

/// An SMB client holds a lock while a socket client waits for an overlapping one; its
/// unlock lets the waiter through. Then a change notify sent through the socket fires
/// when smbclient writes a file into the directory. The SMB client is smbprotocol (tests/py/
/// smbprotocol_lock.py): smbclient's `lock` command needs SMB1's POSIX extensions.
#[test]
fn a_waiting_lock_completes_when_the_smb_client_releases_it_and_smbclient_fires_a_notify() {
    let dirs = Dirs::new();
    let file = dirs.share.join("s.bin");
    std::fs::write(&file, [0u8; 64]).unwrap();
    // The SMB account has a Unix identity of its own: let it write the file.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (srv, sock) = start(&dirs);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/py/smbprotocol_lock.py");
    let port = srv.port.to_string();
    let mut smb = Command::new(common::python())
        .arg(script)
        .args([&port, "user", "Us3r!pass", "share", "s.bin", "0", "10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut input = smb.stdin.take().unwrap();
    let mut output = BufReader::new(smb.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked", "the SMB client locked");
    rt().block_on(async {
        let c = DaemonClient::connect(&sock).await.unwrap();
        let share = ShareAccess::READ | ShareAccess::WRITE;
        let f = open(&c, "/share/s.bin", share).await.unwrap();
        assert_eq!(
            f.lock(lock(0, 4, false)).await,
            Err(NtStatus::LOCK_NOT_GRANTED),
            "the SMB client's lock is the daemon's lock"
        );
        let mut waiting = Box::pin(f.lock(lock(0, 4, true)));
        assert!(
            tokio::time::timeout(Duration::from_millis(300), &mut waiting)
                .await
                .is_err()
        );
        writeln!(input).unwrap();
        input.flush().unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        assert_eq!(got.expect("granted once the SMB client released"), Ok(()));

        // A change notify through the socket fires when smbclient writes a new file.
        let dir = c
            .create_file(
                "/share",
                request(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
            )
            .await
            .unwrap();
        let notify = dir.read_directory_change(NotifyRequest {
            filter: NotifyFilter::FILE_NAME,
            watch_tree: false,
            length: 4096,
        });
        let local = dirs.root.path().join("put.txt");
        std::fs::write(&local, b"from smbclient").unwrap();
        let put = format!("put {} put.txt", local.display());
        let (ok, out) = peers::smbclient(&dirs.conf, &srv, "share", USER, &put);
        assert!(ok, "{out}");
        let change = tokio::time::timeout(Duration::from_secs(10), notify)
            .await
            .expect("the notify fires")
            .unwrap();
        // FILE_NOTIFY_INFORMATION (MS-FSCC 2.7.1): the new name, FILE_ACTION_ADDED (1).
        assert_eq!(u32::from_le_bytes(change[4..8].try_into().unwrap()), 1);
        let name: Vec<u16> = change[12..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert!(
            String::from_utf16_lossy(&name).starts_with("put.txt"),
            "{change:?}"
        );
    });
    line.clear();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "unlocked");
    drop(input);
    assert!(smb.wait().unwrap().success());
}

/// Speaks the protocol by hand: the hello, then `frames`.
async fn raw(sock: &Path) -> UnixStream {
    let mut s = UnixStream::connect(sock).await.unwrap();
    let mut buf = BytesMut::new();
    ClientFrame::Hello {
        min: VERSION,
        max: VERSION,
    }
    .encode(&mut buf);
    s.write_all(&buf).await.unwrap();
    let body = read_frame(&mut s).await.unwrap().unwrap();
    assert!(matches!(
        ServerFrame::decode(&body),
        Ok(ServerFrame::HelloReply(_))
    ));
    s
}

async fn send(s: &mut UnixStream, frame: ClientFrame) -> ServerFrame {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    s.write_all(&buf).await.unwrap();
    ServerFrame::decode(&read_frame(s).await.unwrap().unwrap()).unwrap()
}

#[test]
fn a_client_that_disconnects_releases_its_locks_and_share_modes() {
    let dirs = Dirs::new();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        let mut s = raw(&sock).await;
        let create = Op::Create(CreateArgs {
            path: "/share/d.bin".into(),
            desired_access: AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0),
            share_access: ShareAccess::READ,
            disposition: CreateDisposition::OPEN_IF,
            options: lwio_core::irp::CreateOptions::empty(),
            attributes: FileAttributes::NORMAL,
            allocation_size: 0,
            security_descriptor: None,
            ea_buffer: None,
        });
        let ServerFrame::Created { file, .. } =
            send(&mut s, ClientFrame::Call { id: 1, op: create }).await
        else {
            panic!("created");
        };
        let locked = send(
            &mut s,
            ClientFrame::Call {
                id: 2,
                op: Op::Lock(file, lock(0, 100, false)),
            },
        )
        .await;
        assert!(matches!(locked, ServerFrame::Completion(c) if c.status == NtStatus::SUCCESS));
        // A file id the connection does not hold.
        let bad = send(
            &mut s,
            ClientFrame::Call {
                id: 3,
                op: Op::Flush(lwio_client::proto::FileId(999)),
            },
        )
        .await;
        assert!(
            matches!(&bad, ServerFrame::Completion(c) if c.status == NtStatus::INVALID_HANDLE),
            "{bad:?}"
        );

        let other = DaemonClient::connect(&sock).await.unwrap();
        let share = ShareAccess::READ | ShareAccess::WRITE;
        assert_eq!(
            open(&other, "/share/d.bin", share).await.err(),
            Some(NtStatus::SHARING_VIOLATION),
            "the raw client's share mode holds while it is connected"
        );
        drop(s);
        let mut opened = None;
        for _ in 0..100 {
            match open(&other, "/share/d.bin", share).await {
                Ok(f) => {
                    opened = Some(f);
                    break;
                }
                Err(NtStatus::SHARING_VIOLATION) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
        let f = opened.expect("the disconnect closed the file");
        assert_eq!(
            f.lock(lock(0, 100, false)).await,
            Ok(()),
            "and released its lock"
        );
    });
}

#[test]
fn malformed_frames_get_an_error_and_a_closed_connection() {
    let dirs = Dirs::new();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        // An unknown opcode after the hello.
        let mut s = raw(&sock).await;
        s.write_all(&[9, 0, 0, 0, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8])
            .await
            .unwrap();
        let body = read_frame(&mut s).await.unwrap().unwrap();
        assert!(
            matches!(ServerFrame::decode(&body), Ok(ServerFrame::Error { status, .. }) if status == NtStatus::INVALID_PARAMETER)
        );
        assert!(read_frame(&mut s).await.unwrap().is_none(), "then closed");

        // A length prefix beyond the bound: refused before any body is read.
        let mut s = raw(&sock).await;
        s.write_all(&u32::MAX.to_le_bytes()).await.unwrap();
        let body = read_frame(&mut s).await.unwrap().unwrap();
        assert!(matches!(
            ServerFrame::decode(&body),
            Ok(ServerFrame::Error { .. })
        ));
        assert!(read_frame(&mut s).await.unwrap().is_none());

        // A request before the hello.
        let mut s = UnixStream::connect(&sock).await.unwrap();
        let mut buf = BytesMut::new();
        ClientFrame::Cancel { id: 1 }.encode(&mut buf);
        s.write_all(&buf).await.unwrap();
        let body = read_frame(&mut s).await.unwrap().unwrap();
        assert!(matches!(
            ServerFrame::decode(&body),
            Ok(ServerFrame::Error { .. })
        ));

        // A version the daemon does not speak.
        let mut s = UnixStream::connect(&sock).await.unwrap();
        let mut buf = BytesMut::new();
        ClientFrame::Hello { min: 7, max: 9 }.encode(&mut buf);
        s.write_all(&buf).await.unwrap();
        let body = read_frame(&mut s).await.unwrap().unwrap();
        assert!(
            matches!(ServerFrame::decode(&body), Ok(ServerFrame::Error { status, .. }) if status == NtStatus::REVISION_MISMATCH)
        );

        // The daemon still serves others.
        let c = DaemonClient::connect(&sock).await.unwrap();
        assert!(open(&c, "/share/ok.txt", ShareAccess::READ).await.is_ok());
    });
}

/// The environment variable that turns [`probe_as_child`] into the unprivileged client.
const PROBE: &str = "LWIO_LOCAL_PROBE_SOCKET";

/// Run by [`nobody_gets_a_unix_token_with_no_more_rights_than_the_uid`] as `nobody`:
/// opens two files for reading and prints each outcome.
#[test]
fn probe_as_child() {
    let Ok(sock) = std::env::var(PROBE) else {
        return;
    };
    rt().block_on(async {
        let c = DaemonClient::connect(&sock).await.unwrap();
        for name in ["secret.txt", "public.txt"] {
            let r = c
                .create_file(
                    &format!("/share/{name}"),
                    request(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
                )
                .await;
            let outcome = match r {
                Ok(f) => {
                    // Every opener's locks are the administrator's to list.
                    let code = lwio_core::CtlCode::FSCTL_LWIO_QUERY_LOCKS.0;
                    let locks = f.fs_control(code, Vec::new(), 4096).await.err();
                    println!("PROBE {name} locks: {locks:?}");
                    format!("read {:?}", f.read(0, 64).await.map(String::from_utf8))
                }
                Err(e) => format!("{e:?}"),
            };
            println!("PROBE {name}: {outcome}");
        }
    });
}

#[test]
fn nobody_gets_a_unix_token_with_no_more_rights_than_the_uid() {
    let dirs = Dirs::new();
    for d in [dirs.root.path(), &dirs.state] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let secret = dirs.share.join("secret.txt");
    std::fs::write(&secret, b"root only").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let public = dirs.share.join("public.txt");
    std::fs::write(&public, b"everyone").unwrap();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_srv, sock) = start(&dirs);
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "probe_as_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE, &sock)
        .output()
        .expect("setpriv (util-linux) runs");
    let text = peers::text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("PROBE secret.txt: NtStatus(STATUS_ACCESS_DENIED)"),
        "nobody may not read root's 0600 file: {text}"
    );
    assert!(
        text.contains("PROBE public.txt: read Ok(Ok(\"everyone\"))"),
        "nobody may read a 0644 file: {text}"
    );
    assert!(
        text.contains("PROBE public.txt locks: Some(NtStatus(STATUS_INVALID_DEVICE_REQUEST))"),
        "nobody may not list the file's locks: {text}"
    );
}

/// The hello picks the newest version both sides speak; admin frames need version 2
/// (STATUS_NOT_SUPPORTED on a version-1 connection) and root, an administrator, gets the
/// daemon's status through them.
#[test]
fn admin_frames_need_version_2_and_root_gets_the_status() {
    use lwio_client::proto::{AdminRequest, AdminStatus, MIN_VERSION};
    let dirs = Dirs::new();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        for (max, version) in [(MIN_VERSION, 1), (VERSION + 7, VERSION)] {
            let mut s = UnixStream::connect(&sock).await.unwrap();
            let reply = send(&mut s, ClientFrame::Hello { min: 1, max }).await;
            let ServerFrame::HelloReply(h) = reply else {
                panic!("{reply:?}");
            };
            assert_eq!(h.version, version);
            let admin = ClientFrame::Admin {
                id: 9,
                request: AdminRequest::Status,
            };
            let ServerFrame::Completion(c) = send(&mut s, admin).await else {
                panic!("a completion");
            };
            if version == 1 {
                assert_eq!(c.status, NtStatus::NOT_SUPPORTED);
            } else {
                assert_eq!(c.status, NtStatus::SUCCESS);
                let status = AdminStatus::decode(&c.output).unwrap();
                assert!(status.sessions.is_empty() && status.opens.is_empty());
            }
        }
        let c = DaemonClient::connect(&sock).await.unwrap();
        assert_eq!(c.limits().version, VERSION);
        assert!(c.admin_status().await.unwrap().sessions.is_empty());
    });
}

/// Version 3's interim frame: a lock that waits for another open's range is announced
/// pending before its answer (`RemoteFuture::went_pending`, `is_pending`); a plain read,
/// a lock granted at once and a create are not. A version-2 connection's waiting lock
/// gets its completion alone.
#[test]
fn a_waiting_lock_gets_the_interim_frame_and_a_plain_read_does_not() {
    let dirs = Dirs::new();
    std::fs::write(dirs.share.join("p.bin"), [5u8; 64]).unwrap();
    let (_srv, sock) = start(&dirs);
    rt().block_on(async {
        let c = DaemonClient::connect(&sock).await.unwrap();
        assert_eq!(c.limits().version, 3);
        let share = ShareAccess::READ | ShareAccess::WRITE;
        let holder = open(&c, "/share/p.bin", share).await.unwrap();
        let waiter = open(&c, "/share/p.bin", share).await.unwrap();
        holder.lock(lock(0, 10, false)).await.unwrap();
        // Root may list the file's locks (header 16 bytes, one entry of 32).
        let code = lwio_core::CtlCode::FSCTL_LWIO_QUERY_LOCKS.0;
        let listed = waiter.fs_control(code, Vec::new(), 4096).await.unwrap();
        assert_eq!(listed.len(), 16 + 32);

        let mut waiting = waiter.lock(lock(0, 4, true));
        let announced = tokio::time::timeout(Duration::from_secs(5), waiting.went_pending());
        assert!(announced.await.expect("an interim frame"), "a waiting lock is announced");
        assert!(waiting.is_pending());
        let mut read = waiter.read(20, 4);
        assert!(!read.went_pending().await, "a plain read is answered");
        assert!(!read.is_pending());
        assert_eq!(read.await, Ok(vec![5u8; 4]));
        let mut granted = waiter.lock(lock(30, 4, true));
        assert!(!granted.went_pending().await, "a lock granted at once");
        assert_eq!(granted.await, Ok(()));

        holder
            .unlock(UnlockRequest {
                offset: 0,
                length: 10,
                key: 0,
            })
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert_eq!(got.expect("granted after the unlock"), Ok(()));

        // A version-2 connection: the same wait, no interim frame.
        holder.lock(lock(40, 10, false)).await.unwrap();
        let mut s = UnixStream::connect(&sock).await.unwrap();
        let reply = send(&mut s, ClientFrame::Hello { min: 1, max: 2 }).await;
        assert!(matches!(reply, ServerFrame::HelloReply(h) if h.version == 2));
        let create = Op::Create(CreateArgs {
            path: "/share/p.bin".into(),
            desired_access: AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0),
            share_access: share,
            disposition: CreateDisposition::OPEN,
            options: lwio_core::irp::CreateOptions::empty(),
            attributes: FileAttributes::NORMAL,
            allocation_size: 0,
            security_descriptor: None,
            ea_buffer: None,
        });
        let ServerFrame::Created { file, .. } =
            send(&mut s, ClientFrame::Call { id: 1, op: create }).await
        else {
            panic!("created");
        };
        let mut buf = BytesMut::new();
        ClientFrame::Call {
            id: 2,
            op: Op::Lock(file, lock(40, 4, true)),
        }
        .encode(&mut buf);
        s.write_all(&buf).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        holder
            .unlock(UnlockRequest {
                offset: 40,
                length: 10,
                key: 0,
            })
            .await
            .unwrap();
        let body = tokio::time::timeout(Duration::from_secs(5), read_frame(&mut s))
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let answer = ServerFrame::decode(&body).unwrap();
        assert!(
            matches!(&answer, ServerFrame::Completion(c) if c.id == 2 && c.status == NtStatus::SUCCESS),
            "{answer:?}"
        );
    });
}
