//! The redirector's scenarios, run against any server (lwiod, smbd): a target names the
//! server, port, share and credentials; each scenario mounts its own redirector.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use lwio::core::irp::request::{LockRequest, UnlockRequest};
use lwio::core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileHandle,
    FileInfoClass, IoManager, IrpRequest, NtStatus, ShareAccess, block_on,
};
use lwio::rdr::{Credentials, RdrConfig, Redirector};
use lwio_smb2::Dialect;

pub struct Target {
    pub host: String,
    pub port: u16,
    pub share: String,
    pub creds: Credentials,
}

pub struct Mounted {
    pub io: IoManager,
    pub rdr: Arc<Redirector>,
    prefix: String,
    token: Arc<AccessToken>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        block_on(self.io.shutdown());
    }
}

impl Target {
    /// `server:port/share`, the device-relative prefix of every remote name.
    pub fn unc(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.share)
    }

    pub fn mount(&self, dialects: &[Dialect]) -> Mounted {
        self.mount_with(RdrConfig {
            dialects: dialects.to_vec(),
            ..RdrConfig::default()
        })
    }

    pub fn mount_with(&self, config: RdrConfig) -> Mounted {
        // The redirector's warnings (why a connection dropped) in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("lwio_rdr=warn")
            .try_init();
        let io = IoManager::new();
        let rdr = lwio::rdr::mount(&io, "rdr", config, self.creds.clone()).unwrap();
        Mounted {
            io,
            rdr,
            prefix: format!("/rdr/{}", self.unc()),
            token: Arc::new(AccessToken::system()),
        }
    }
}

impl Mounted {
    pub fn open_with(
        &self,
        path: &str,
        req: impl FnOnce(CreateRequest) -> CreateRequest,
    ) -> Result<FileHandle, NtStatus> {
        let r = req(CreateRequest::new(
            Arc::clone(&self.token),
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
        ));
        block_on(self.io.create_file(&format!("{}/{path}", self.prefix), r))
    }

    pub fn create(&self, path: &str) -> FileHandle {
        self.open_with(path, |mut r| {
            r.desired_access =
                AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE | AccessMask::DELETE;
            r.disposition = CreateDisposition::OVERWRITE_IF;
            r.share(ShareAccess::ALL)
        })
        .unwrap()
    }

    pub fn mkdir(&self, path: &str) -> FileHandle {
        self.open_with(path, |mut r| {
            r.disposition = CreateDisposition::OPEN_IF;
            r.share(ShareAccess::ALL)
                .options(CreateOptions::DIRECTORY_FILE)
        })
        .unwrap()
    }
}

/// Closes a handle and waits for the server's answer (a dropped handle closes in the
/// background, so a later open could still meet it).
pub fn close(f: FileHandle) {
    assert_eq!(block_on(f.close()), NtStatus::SUCCESS);
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// One gibibyte: what every dialect moves each way, signed or sealed (issue #14).
pub const GIB: u64 = 1 << 30;

/// A temporary directory in memory (tmpfs `/dev/shm`, where there is one) for a server
/// the gibibytes go to: no disk writeback under the test (about a quarter of its time on
/// ext4 here), and the files are deleted after each transfer.
pub fn memory_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// Writes 1 GiB through the redirector at `dialect`, signed, reads it back and compares
/// byte for byte (streamed: [`transfer_streamed`]); checks the dialect and signing.
pub fn round_trip(t: &Target, dialect: Dialect) {
    let m = t.mount(&[dialect]);
    let name = format!("big-{:x}.bin", dialect.0);
    let session = only_session(&m);
    assert_eq!(session.negotiated().dialect, dialect);
    assert!(session.is_signed(), "the session signs");
    assert!(!session.is_encrypted(), "nobody asked for encryption");
    assert_eq!(
        session.negotiated().gmac,
        dialect == Dialect::SMB_3_1_1,
        "AES-GMAC signing at 3.1.1, else HMAC-SHA256 or AES-CMAC"
    );
    transfer_streamed(&m, &name, GIB, u64::from(dialect.0));
}

/// Every dialect from 2.0.2 to 3.1.1, signed: 1 GiB each way at each.
pub fn round_trips_at_every_dialect(t: &Target) {
    for d in [
        Dialect::SMB_2_0_2,
        Dialect::SMB_2_1,
        Dialect::SMB_3_0,
        Dialect::SMB_3_0_2,
        Dialect::SMB_3_1_1,
    ] {
        round_trip(t, d);
    }
}

/// The one session of `m`, made by opening the share's root.
pub fn only_session(m: &Mounted) -> Arc<lwio::rdr::session::Session> {
    close(
        m.open_with("", |r| r.options(CreateOptions::DIRECTORY_FILE))
            .unwrap(),
    );
    let sessions = block_on(async {
        let cache = Arc::clone(m.rdr.cache());
        m.rdr
            .runtime()
            .spawn(async move { cache.sessions().await })
            .await
            .unwrap()
    });
    assert_eq!(sessions.len(), 1);
    Arc::clone(&sessions[0])
}

/// An encrypted session at `dialect` offering `ciphers` (`encrypt`: the client asks for
/// encryption whether or not the server requires it): the cipher settled on is `expect`,
/// every request is sealed, and `size` bytes go there and back byte for byte (streamed).
pub fn encrypted_round_trip(
    t: &Target,
    dialect: Dialect,
    ciphers: &[lwio::rdr::Cipher],
    encrypt: bool,
    expect: lwio::rdr::Cipher,
    size: u64,
) {
    let m = t.mount_with(RdrConfig {
        dialects: vec![dialect],
        ciphers: ciphers.to_vec(),
        encrypt,
        ..RdrConfig::default()
    });
    let session = only_session(&m);
    assert_eq!(session.negotiated().dialect, dialect);
    assert_eq!(session.negotiated().cipher, Some(expect));
    assert!(session.is_encrypted(), "every request is sealed");
    let name = format!("sealed-{:x}-{:?}.bin", dialect.0, expect);
    transfer_streamed(&m, &name, size, u64::from(dialect.0) ^ size);
}

/// A server that requires encryption of every session: 1 GiB each way under every cipher
/// each 3.x dialect has (AES-128-CCM alone at 3.0 and 3.0.2; at 3.1.1 AES-128-GCM, the
/// client's first choice, then each other cipher offered alone); at 2.1 the client cannot
/// encrypt and is refused with STATUS_ACCESS_DENIED.
pub fn required_encryption(t: &Target) {
    use lwio::rdr::Cipher;
    let all = RdrConfig::default().ciphers;
    for d in [Dialect::SMB_3_0, Dialect::SMB_3_0_2] {
        encrypted_round_trip(t, d, &all, false, Cipher::Aes128Ccm, GIB);
    }
    encrypted_round_trip(t, Dialect::SMB_3_1_1, &all, false, Cipher::Aes128Gcm, GIB);
    for c in [Cipher::Aes128Ccm, Cipher::Aes256Gcm, Cipher::Aes256Ccm] {
        encrypted_round_trip(t, Dialect::SMB_3_1_1, &[c], false, c, GIB);
    }
    encryption_refused(t);
}

/// A server that does not require encryption, asked for it by the client: 8 MiB sealed
/// at 3.0.2 and 3.1.1.
pub fn encryption_asked(t: &Target) {
    use lwio::rdr::Cipher;
    let all = RdrConfig::default().ciphers;
    encrypted_round_trip(
        t,
        Dialect::SMB_3_0_2,
        &all,
        true,
        Cipher::Aes128Ccm,
        8 << 20,
    );
    encrypted_round_trip(
        t,
        Dialect::SMB_3_1_1,
        &all,
        true,
        Cipher::Aes128Gcm,
        8 << 20,
    );
}

/// The bytes of a streamed transfer, made chunk by chunk and never held whole: one
/// random chunk drawn once from a seed (the xorshift of [`pattern`]), stamped every 4 KiB
/// with its file offset and the seed, so a block read from another offset, another
/// transfer or another chunk differs from the one expected. Cheap in a debug build (a
/// copy and a few stores per chunk), so 1 GiB costs the transfer, not the generator.
pub struct Stream {
    base: Vec<u8>,
    seed: u64,
}

/// The chunk of a streamed transfer: one READ or WRITE IRP (split further by the
/// redirector at the negotiated maximum).
pub const STREAM_CHUNK: usize = 8 << 20;

impl Stream {
    pub fn new(seed: u64) -> Stream {
        Stream {
            base: pattern(STREAM_CHUNK, seed),
            seed,
        }
    }

    /// The stamp of the 4 KiB block at file offset `at`.
    fn stamp(&self, at: u64) -> [u8; 16] {
        let mut stamp = [0u8; 16];
        stamp[..8].copy_from_slice(&at.to_le_bytes());
        stamp[8..].copy_from_slice(&self.seed.to_le_bytes());
        stamp
    }

    /// The `len` bytes (at most a chunk) at file offset `at`.
    pub fn chunk(&self, at: u64, len: usize) -> Vec<u8> {
        let mut v = self.base[..len].to_vec();
        for (i, block) in v.chunks_mut(4096).enumerate() {
            let n = block.len().min(16);
            block[..n].copy_from_slice(&self.stamp(at + (i as u64) * 4096)[..n]);
        }
        v
    }

    /// True when `got` is byte for byte the chunk at `at` ([`Stream::chunk`]), checked
    /// where it lies (no expected chunk is built).
    pub fn matches(&self, at: u64, got: &[u8]) -> bool {
        got.len() <= self.base.len()
            && got
                .chunks(4096)
                .zip(self.base.chunks(4096))
                .enumerate()
                .all(|(i, (g, b))| {
                    let n = g.len().min(16);
                    g[..n] == self.stamp(at + (i as u64) * 4096)[..n] && g[n..] == b[n..g.len()]
                })
    }
}

/// Writes `size` bytes of a [`Stream`] with up to eight 8 MiB writes in flight, reads
/// them back the same way, compares each chunk byte for byte with the one regenerated,
/// checks the end of file, and deletes the file. At most about 128 MiB is held at once,
/// whatever `size`.
pub fn transfer_streamed(m: &Mounted, name: &str, size: u64, seed: u64) {
    const DEPTH: usize = 8;
    let stream = Stream::new(seed);
    let chunks = || {
        (0..size)
            .step_by(STREAM_CHUNK)
            .map(|at| (at, STREAM_CHUNK.min((size - at) as usize)))
    };
    let f = m.create(name);
    let mut writes = std::collections::VecDeque::new();
    for (at, len) in chunks() {
        writes.push_back((len, f.write(at, stream.chunk(at, len))));
        while writes.len() >= DEPTH || (at + len as u64 >= size && !writes.is_empty()) {
            let (len, w) = writes.pop_front().unwrap();
            assert_eq!(block_on(w).unwrap(), len as u64);
        }
    }
    close(f);
    let f = m.open_with(name, |r| r).unwrap();
    let mut reads = std::collections::VecDeque::new();
    for (at, len) in chunks() {
        reads.push_back((at, len, f.read(at, len as u32)));
        while reads.len() >= DEPTH || (at + len as u64 >= size && !reads.is_empty()) {
            let (at, len, r) = reads.pop_front().unwrap();
            let got = block_on(r).unwrap();
            assert_eq!(got.len(), len, "a short read at {at}");
            assert!(stream.matches(at, &got), "the bytes at {at} differ");
            if at == 0 {
                // The check itself: the same bytes are refused at another offset, and
                // with one byte changed.
                assert!(!stream.matches(STREAM_CHUNK as u64, &got));
                let mut bad = got.to_vec();
                bad[len / 2] ^= 1;
                assert!(!stream.matches(0, &bad));
            }
        }
    }
    assert_eq!(block_on(f.read(size, 10)), Err(NtStatus::END_OF_FILE));
    close(f);
    delete(m, name);
}

/// Deletes `name` (an open with DELETE_ON_CLOSE).
pub fn delete(m: &Mounted, name: &str) {
    let del = m
        .open_with(name, |mut r| {
            r.desired_access = AccessMask::DELETE;
            r.share(ShareAccess::ALL)
                .options(CreateOptions::DELETE_ON_CLOSE)
        })
        .unwrap();
    close(del);
}

/// Writes `size` bytes (a multiple of 8 MiB, or less than that) with several 8 MiB writes
/// in flight, reads them back the same way, compares byte for byte, and deletes the file.
pub fn transfer(m: &Mounted, name: &str, size: usize, seed: u64) {
    let chunk = size.min(8 << 20);
    let data = bytes::Bytes::from(pattern(size, seed));
    let f = m.create(name);
    let writes: Vec<_> = (0..size)
        .step_by(chunk)
        .map(|at| f.write(at as u64, data.slice(at..at + chunk)))
        .collect();
    for w in writes {
        assert_eq!(block_on(w).unwrap(), chunk as u64);
    }
    close(f);
    let f = m.open_with(name, |r| r).unwrap();
    let reads: Vec<_> = (0..size)
        .step_by(chunk)
        .map(|at| f.read(at as u64, chunk as u32))
        .collect();
    for (i, r) in reads.into_iter().enumerate() {
        let got = block_on(r).unwrap();
        assert!(
            got[..] == data[i * chunk..(i + 1) * chunk],
            "chunk {i} differs"
        );
    }
    assert_eq!(
        block_on(f.read(size as u64, 10)),
        Err(NtStatus::END_OF_FILE)
    );
    close(f);
    delete(m, name);
}

fn names(dir: &FileHandle, pattern: &str) -> Vec<String> {
    let mut all = Vec::new();
    lwio::tool::scan::scan::<()>(dir, FileInfoClass::NAMES, pattern, |e| {
        all.push(e.file_name);
        Ok(())
    })
    .unwrap();
    all.sort();
    all
}

/// Listing with a pattern; rename and delete through set-information; statuses passed
/// through.
pub fn names_and_statuses(t: &Target) {
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let _d = m.mkdir("listing");
    for n in ["a.txt", "b.txt", "c.log"] {
        close(m.create(&format!("listing/{n}")));
    }
    let dir = m
        .open_with("listing", |r| {
            r.share(ShareAccess::ALL)
                .options(CreateOptions::DIRECTORY_FILE)
        })
        .unwrap();
    assert!(dir.file().is_directory());
    assert_eq!(names(&dir, "*.txt"), ["a.txt", "b.txt"]);
    assert_eq!(names(&dir, "*"), [".", "..", "a.txt", "b.txt", "c.log"]);

    // Rename a.txt to renamed.txt: the target is named from the device root.
    let f = m
        .open_with("listing/a.txt", |mut r| {
            r.desired_access = AccessMask::DELETE | AccessMask::GENERIC_READ;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    let target = lwio_smb2::codec::to_utf16le(&format!("{}/listing/renamed.txt", t.unc()));
    let mut buf = vec![0u8; 16];
    buf.extend_from_slice(&(target.len() as u32).to_le_bytes());
    buf.extend_from_slice(&target);
    block_on(f.set_information(FileInfoClass::RENAME, buf)).unwrap();
    // Delete it through FileDispositionInformation.
    block_on(f.set_information(FileInfoClass::DISPOSITION, vec![1u8])).unwrap();
    close(f);
    assert_eq!(names(&dir, "*.txt"), ["b.txt"]);

    // A rename to another share is refused before the server sees it.
    let g = m
        .open_with("listing/b.txt", |mut r| {
            r.desired_access = AccessMask::DELETE;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    let other = lwio_smb2::codec::to_utf16le(&format!("{}:{}/elsewhere/x", t.host, t.port));
    let mut buf = vec![0u8; 16];
    buf.extend_from_slice(&(other.len() as u32).to_le_bytes());
    buf.extend_from_slice(&other);
    assert_eq!(
        block_on(g.set_information(FileInfoClass::RENAME, buf)),
        Err(NtStatus::NOT_SAME_DEVICE)
    );
    close(g);

    assert_eq!(
        m.open_with("listing/missing.txt", |r| r).err(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
    let excl = m
        .open_with("listing/b.txt", |r| r.share(ShareAccess::empty()))
        .unwrap();
    assert_eq!(
        m.open_with("listing/b.txt", |r| r.share(ShareAccess::ALL))
            .err(),
        Some(NtStatus::SHARING_VIOLATION)
    );
    close(excl);
}

/// A waiting lock completes when the other handle unlocks; a waiting lock is cancelled
/// (at 3.1.1 the CANCEL is signed with AES-GMAC, whose nonce marks it as a CANCEL).
pub fn locks(t: &Target, dialect: Dialect) {
    let m = t.mount(&[dialect]);
    let name = format!("locked-{:x}.bin", dialect.0);
    let a = m.create(&name);
    block_on(a.write(0, vec![0u8; 100])).unwrap();
    let b = m
        .open_with(&name, |mut r| {
            r.desired_access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    let range = LockRequest {
        offset: 0,
        length: 10,
        key: 0,
        exclusive: true,
        fail_immediately: true,
    };
    block_on(a.lock(range)).unwrap();
    assert_eq!(block_on(b.lock(range)), Err(NtStatus::LOCK_NOT_GRANTED));
    let waiting = b.call(IrpRequest::Lock(LockRequest {
        fail_immediately: false,
        ..range
    }));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_done(), "the lock waits");
    block_on(a.unlock(UnlockRequest {
        offset: 0,
        length: 10,
        key: 0,
    }))
    .unwrap();
    assert_eq!(block_on(waiting).status, NtStatus::SUCCESS);

    // b holds it now; a's waiting lock is cancelled.
    let waiting = a.call(IrpRequest::Lock(LockRequest {
        fail_immediately: false,
        ..range
    }));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_done(), "the lock waits");
    waiting.canceller().unwrap().cancel();
    assert_eq!(block_on(waiting).status, NtStatus::CANCELLED);
}

/// A server that requires encryption, met at 2.1 (no SMB 2.x dialect encrypts): the
/// open is refused with STATUS_ACCESS_DENIED.
pub fn encryption_refused(t: &Target) {
    let m = t.mount(&[Dialect::SMB_2_1]);
    assert_eq!(
        m.open_with("", |r| r.options(CreateOptions::DIRECTORY_FILE))
            .err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

/// One session is shared by every open; it outlives an idle timeout while a file is
/// open, and the reaper closes it once no file is.
pub fn sessions_shared_and_reaped(t: &Target) {
    let m = t.mount_with(RdrConfig {
        idle_timeout: Duration::from_millis(300),
        ..RdrConfig::default()
    });
    let cached = || {
        let cache = Arc::clone(m.rdr.cache());
        m.rdr.runtime().block_on(async move { cache.len().await })
    };
    let a = m.create("reaped-a.bin");
    let b = m.create("reaped-b.bin");
    assert_eq!(cached(), 1, "one session for both opens");
    close(a);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(cached(), 1, "an open file keeps its session");
    block_on(b.set_information(FileInfoClass::DISPOSITION, vec![1u8])).unwrap();
    close(b);
    let del = m
        .open_with("reaped-a.bin", |mut r| {
            r.desired_access = AccessMask::DELETE;
            r.share(ShareAccess::ALL)
                .options(CreateOptions::DELETE_ON_CLOSE)
        })
        .unwrap();
    close(del);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cached() != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle session was not reaped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The next open makes a new session.
    close(m.create("reaped-c.bin"));
    assert_eq!(cached(), 1);
}

/// Change notify through the driver: a notify IRP on a remote directory stays pending
/// until another client (smbclient, `-m SMB3`) puts a file there, then completes with
/// FILE_ACTION_ADDED and the file's name.
pub fn notify_from_another_client(t: &Target) {
    use lwio::core::NotifyFilter;
    use lwio::core::irp::request::NotifyRequest;
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let dir = m.mkdir("watched");
    let waiting = dir.call(IrpRequest::ReadDirectoryChange(NotifyRequest {
        filter: NotifyFilter::FILE_NAME,
        watch_tree: false,
        length: 4096,
    }));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_done(), "the notify waits for a change");
    let local = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(local.path(), b"from smbclient\n").unwrap();
    let out = std::process::Command::new("smbclient")
        .arg(format!("//{}/{}", t.host, t.share))
        .args(["-p", &t.port.to_string(), "-m", "SMB3"])
        .arg("-U")
        .arg(format!("{}%{}", t.creds.user, t.creds.password))
        .arg("-c")
        .arg(format!("put {} watched\\new.txt", local.path().display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run smbclient ({e}): install the package `smbclient`"));
    assert!(
        out.status.success(),
        "smbclient: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !waiting.is_done() {
        assert!(
            std::time::Instant::now() < deadline,
            "the notify did not complete"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = block_on(waiting);
    assert_eq!(done.status, NtStatus::SUCCESS);
    let entries = lwio::fscc::decode_notify(&done.output).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.file_name == "new.txt" && e.action == lwio::fscc::NotifyAction::ADDED),
        "{entries:?}"
    );
    close(dir);
}

/// Durable handles through a cut: the redirector creates `name`, writes, takes a
/// byte-range lock, then `cut` drops its connection (as a network failure would); the next
/// write reclaims the handle on a new connection, and another open's lock on the range is
/// refused, so the lock (and with it the durable handle) survived. The file holds what was
/// written before and after the cut; the caller checks it on the server's disk.
pub fn reclaim_after_a_cut(t: &Target, dialect: Dialect, name: &str, cut: impl Fn()) {
    let m = t.mount(&[dialect]);
    let f = m.create(name);
    assert_eq!(block_on(f.write(0, b"before".to_vec())).unwrap(), 6);
    let range = LockRequest {
        offset: 0,
        length: 4,
        key: 0,
        exclusive: true,
        fail_immediately: true,
    };
    block_on(f.lock(range)).unwrap();
    cut();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(block_on(f.write(6, b" after".to_vec())).unwrap(), 6);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"before after");
    let other = m
        .open_with(name, |mut r| {
            r.desired_access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    assert_eq!(
        block_on(other.lock(range)),
        Err(NtStatus::LOCK_NOT_GRANTED),
        "the lock survived the reconnect: the durable handle was reclaimed ({dialect:?})"
    );
    close(other);
    close(f);
}

/// The header of a small READ request at 3.x as it goes on the wire signed (not sealed):
/// ProtocolId, StructureSize 64, CreditCharge 1, ChannelSequence and Reserved 0, READ.
/// A proxy's `sent_count` of it counts the reads that reached the server.
pub const READ_HEADER: &[u8] = b"\xfeSMB\x40\x00\x01\x00\x00\x00\x00\x00\x08\x00";

/// Opens `name` for reading and writing with `share` from another client (a redirector of
/// its own, asking no lease), asserting the open did not wait out a break timeout: the
/// first client's redirector answered the break it caused. The mount is returned with the
/// handle, which lives on its connection.
fn open_for_writing_elsewhere(t: &Target, name: &str, share: ShareAccess) -> (Mounted, FileHandle) {
    let other = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        leases: false,
        ..RdrConfig::default()
    });
    let started = std::time::Instant::now();
    let g = other
        .open_with(name, |mut r| {
            r.desired_access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
            r.share(share)
        })
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the lease break was not answered (the open waited {:?})",
        started.elapsed()
    );
    (other, g)
}

/// Reads under a lease (MS-SMB2 3.2.4.3.8, 3.2.5.19.2): the redirector asks for RWH and,
/// while it holds R, answers reads of bytes it read before (and reads past the end a short
/// read found) without the server, `reads_sent` (what the server got) staying put; its own
/// write drops the cache; another client's open breaks W (the redirector acknowledges, or
/// that open would wait out the break) and its write breaks R, after which the first
/// client reads the new data. With `leases` off every read goes to the server.
pub fn reads_under_a_lease(t: &Target, reads_sent: &dyn Fn() -> usize) {
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m.create("leased.txt");
    assert_eq!(block_on(f.write(0, b"first version".to_vec())).unwrap(), 13);
    let before = reads_sent();
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"first version");
    let once = reads_sent();
    assert_eq!(once, before + 1, "the first read goes to the server");
    for _ in 0..5 {
        assert_eq!(block_on(f.read(0, 100)).unwrap(), b"first version");
        assert_eq!(block_on(f.read(6, 7)).unwrap(), b"version");
    }
    assert_eq!(block_on(f.read(13, 10)), Err(NtStatus::END_OF_FILE));
    assert_eq!(
        reads_sent(),
        once,
        "reads under R are served from the cache"
    );
    let cached = m.rdr.cache().budget().used();
    assert!(cached >= 13, "{cached} bytes cached");

    // The client's own write drops the cache: the next read goes to the server.
    assert_eq!(block_on(f.write(0, b"FIRST".to_vec())).unwrap(), 5);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"FIRST version");
    assert_eq!(reads_sent(), once + 1, "a write drops the cache");

    // Another client (its own connection) opens the file for writing and writes.
    let (_other, g) = open_for_writing_elsewhere(t, "leased.txt", ShareAccess::ALL);
    assert_eq!(block_on(g.write(0, b"other".to_vec())).unwrap(), 5);
    close(g);
    // A break that takes R needs no acknowledgment, so nothing orders it before the
    // other client's write response: the first client sees it shortly after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = block_on(f.read(0, 100)).unwrap();
        if got == b"other version" {
            break;
        }
        assert_eq!(got, b"FIRST version");
        assert!(
            std::time::Instant::now() < deadline,
            "the lease break never dropped the cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    close(f);
    assert_eq!(
        m.rdr.cache().budget().used(),
        0,
        "closed files keep no cache"
    );

    // Without leases every read reaches the server.
    let plain = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        leases: false,
        ..RdrConfig::default()
    });
    let h = plain
        .open_with("leased.txt", |r| r.share(ShareAccess::ALL))
        .unwrap();
    let before = reads_sent();
    for _ in 0..3 {
        assert_eq!(block_on(h.read(0, 100)).unwrap(), b"other version");
    }
    assert_eq!(reads_sent(), before + 3);
    close(h);
}

/// The header of a CREATE request at 3.x as it goes on the wire signed: see
/// [`READ_HEADER`].
pub const CREATE_HEADER: &[u8] = b"\xfeSMB\x40\x00\x01\x00\x00\x00\x00\x00\x05\x00";

/// Handle caching under a lease's H ([`lwio::rdr::handles`]): a closed file's handle is
/// parked, and a reopen with the same access, sharing and options takes it back without a
/// CREATE (`creates_sent` stays put) and with its read cache; another client's open that
/// the parked handle's sharing would refuse breaks H, the redirector closes the handle
/// before acknowledging, and that open succeeds at once; a parked handle is closed when
/// its time is up.
pub fn handles_under_a_lease(t: &Target, creates_sent: &dyn Fn() -> usize) {
    let m = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        handle_linger: Duration::from_secs(30),
        ..RdrConfig::default()
    });
    let parked = || m.rdr.cache().parked().len();
    let read_only = |r: CreateRequest| r.share(ShareAccess::READ);
    let f = m.create("parked.txt");
    assert_eq!(block_on(f.write(0, b"kept open".to_vec())).unwrap(), 9);
    close(f);
    let f = m.open_with("parked.txt", read_only).unwrap();
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"kept open");
    close(f);
    assert_eq!(parked(), 1, "the handle is parked after the close");
    let before = creates_sent();
    let f = m.open_with("parked.txt", read_only).unwrap();
    assert_eq!(creates_sent(), before, "the reopen took the parked handle");
    assert_eq!(parked(), 0);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"kept open");
    close(f);
    assert_eq!(parked(), 1);

    // Another client wants the file for writing, which the parked handle's sharing (read
    // only) refuses: the server breaks H and the redirector closes the parked handle.
    let (_other, g) = open_for_writing_elsewhere(t, "parked.txt", ShareAccess::READ);
    close(g);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while parked() != 0 {
        assert!(std::time::Instant::now() < deadline, "still parked");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = creates_sent();
    let f = m.open_with("parked.txt", read_only).unwrap();
    assert_eq!(creates_sent(), before + 1, "a closed handle is not reused");
    close(f);

    // A short linger: the parked handle is closed when its time is up.
    let quick = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        handle_linger: Duration::from_millis(200),
        ..RdrConfig::default()
    });
    close(quick.open_with("parked.txt", read_only).unwrap());
    assert_eq!(quick.rdr.cache().parked().len(), 1);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(quick.rdr.cache().parked().len(), 0);
    // What must end at the close is not parked: a delete on close.
    let del = quick
        .open_with("parked.txt", |mut r| {
            r.desired_access = AccessMask::DELETE;
            r.share(ShareAccess::ALL)
                .options(CreateOptions::DELETE_ON_CLOSE)
        })
        .unwrap();
    close(del);
    assert_eq!(quick.rdr.cache().parked().len(), 0);
    assert_eq!(
        quick.open_with("parked.txt", read_only).unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

/// The header of a WRITE request of at most 64 KiB at 3.x as it goes on the wire signed:
/// see [`READ_HEADER`].
pub const WRITE_HEADER: &[u8] = b"\xfeSMB\x40\x00\x01\x00\x00\x00\x00\x00\x09\x00";

/// The end of file FileStandardInformation gives for `f` (bytes 8..16).
fn end_of_file(f: &FileHandle) -> u64 {
    let info = block_on(f.query_information(FileInfoClass::STANDARD, 64)).unwrap();
    u64::from_le_bytes(info[8..16].try_into().unwrap())
}

/// Write-behind under a lease's W ([`lwio::rdr::writeback`]), WRITEs counted on the wire
/// by `writes_sent`: eight 4 KiB writes that follow one another reach the server as one
/// WRITE, sent when a stat by name must see them; gathered writes are sent before
/// the acknowledgment of the break another client's open causes (that client then reads
/// them); without W a write goes out at once; what is gathered at the redirector's
/// shutdown reaches the server.
pub fn writes_behind_under_a_lease(t: &Target, writes_sent: &dyn Fn() -> usize) {
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m.create("behind.bin");
    let data = pattern(32 * 1024, 7);
    let before = writes_sent();
    for (i, part) in data.chunks(4096).enumerate() {
        let at = (i * 4096) as u64;
        assert_eq!(block_on(f.write(at, part.to_vec())).unwrap(), 4096);
    }
    assert_eq!(writes_sent(), before, "the writes are gathered");
    assert_eq!(m.rdr.cache().write_budget().used(), 32 * 1024);
    // A stat by name (another open of this client, a FUSE mount's getattr) sees them.
    let stat = m
        .open_with("behind.bin", |mut r| {
            r.desired_access = AccessMask::FILE_READ_ATTRIBUTES;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    assert_eq!(end_of_file(&stat), 32 * 1024, "the stat sees the writes");
    close(stat);
    assert_eq!(writes_sent(), before + 1, "sent as one WRITE");
    assert_eq!(end_of_file(&f), 32 * 1024);
    assert_eq!(m.rdr.cache().write_budget().used(), 0);
    assert_eq!(block_on(f.read(0, 32 * 1024)).unwrap(), data);

    // Gathered again; another client's open for writing breaks W, and the redirector sends
    // the writes before it acknowledges (the other open waits for the acknowledgment).
    let more = pattern(8192, 8);
    assert_eq!(
        block_on(f.write(32768, more[..4096].to_vec())).unwrap(),
        4096
    );
    assert_eq!(
        block_on(f.write(36864, more[4096..].to_vec())).unwrap(),
        4096
    );
    assert_eq!(writes_sent(), before + 1);
    let (other, g) = open_for_writing_elsewhere(t, "behind.bin", ShareAccess::ALL);
    assert_eq!(
        writes_sent(),
        before + 2,
        "the break sent the gathered writes before its acknowledgment"
    );
    assert_eq!(block_on(g.read(32768, 8192)).unwrap(), more);
    // Without W a write goes to the server at once.
    assert_eq!(block_on(f.write(0, b"Z".to_vec())).unwrap(), 1);
    assert_eq!(writes_sent(), before + 3, "no W: written at once");
    assert_eq!(block_on(g.read(0, 1)).unwrap(), b"Z");
    close(g);
    drop(other);
    close(f);

    // What is gathered when the redirector shuts down reaches the server.
    let f = m.create("shutdown.bin");
    assert_eq!(block_on(f.write(0, b"last words".to_vec())).unwrap(), 10);
    assert_eq!(m.rdr.cache().write_budget().used(), 10);
    std::mem::forget(f);
    drop(m);
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m
        .open_with("shutdown.bin", |r| r.share(ShareAccess::ALL))
        .unwrap();
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"last words");
    close(f);
}

/// A deferred write that fails is reported, not lost silently: gathered writes, the
/// connection cut (reconnection off), and the close fails with the write's status
/// (STATUS_CONNECTION_DISCONNECTED), where the close of a handle with nothing gathered
/// succeeds.
pub fn deferred_write_failure_is_reported(t: &Target, cut: &dyn Fn()) {
    let m = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        reconnect_timeout: Duration::ZERO,
        ..RdrConfig::default()
    });
    let f = m.create("lost.bin");
    let clean = m.create("clean.bin");
    assert_eq!(block_on(f.write(0, b"never arrives".to_vec())).unwrap(), 13);
    cut();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(block_on(clean.close()), NtStatus::SUCCESS);
    assert_eq!(block_on(f.close()), NtStatus::CONNECTION_DISCONNECTED);
}

/// `RdrConfig::lease_on_create` off (what `lwio cp` does): an open that creates the file
/// asks for no lease (`leases_asked`, the RqLs contexts on the wire, stays put), and a
/// reopen of the file asks for one and has its reads cached (`reads_sent` grows once for
/// three reads), after the creating handle's close or while it is still open. (Reads
/// through the creating handle itself are not cached: it has no lease.)
pub fn creates_without_a_lease_reopen_with_one(
    t: &Target,
    leases_asked: &dyn Fn() -> usize,
    reads_sent: &dyn Fn() -> usize,
) {
    let m = t.mount_with(RdrConfig {
        dialects: vec![Dialect::SMB_3_1_1],
        lease_on_create: false,
        ..RdrConfig::default()
    });
    let before = leases_asked();
    let f = m.create("fresh.txt");
    assert_eq!(leases_asked(), before, "a create asks for no lease");
    assert_eq!(block_on(f.write(0, b"made here".to_vec())).unwrap(), 9);
    close(f);
    let g = m
        .open_with("fresh.txt", |r| r.share(ShareAccess::READ))
        .unwrap();
    assert_eq!(leases_asked(), before + 1, "a reopen asks for one");
    let reads = reads_sent();
    for _ in 0..3 {
        assert_eq!(block_on(g.read(0, 100)).unwrap(), b"made here");
    }
    assert_eq!(reads_sent(), reads + 1, "the reopen's reads are cached");
    close(g);
    // The same while the creating handle (no lease; a batch oplock where a durable
    // handle was asked for) is still open: the reopen breaks the oplock and has R.
    let f = m.create("fresh2.txt");
    assert_eq!(block_on(f.write(0, b"made here".to_vec())).unwrap(), 9);
    let g = m
        .open_with("fresh2.txt", |r| r.share(ShareAccess::ALL))
        .unwrap();
    let reads = reads_sent();
    for _ in 0..3 {
        assert_eq!(block_on(g.read(0, 100)).unwrap(), b"made here");
    }
    assert_eq!(
        reads_sent(),
        reads + 1,
        "the creator still open, the reopen's reads are cached"
    );
    close(g);
    close(f);
}

/// Gathered writes survive a connection the network cut: a stat by name (another open of
/// this client, which sends them first) reconnects the writer's open, reopens it and
/// sends them; the size and the bytes are there.
pub fn gathered_writes_survive_a_cut(t: &Target, cut: &dyn Fn()) {
    let m = t.mount(&[Dialect::SMB_3_1_1]);
    let f = m.create("survivor.bin");
    assert_eq!(block_on(f.write(0, b"kept across".to_vec())).unwrap(), 11);
    assert_eq!(m.rdr.cache().write_budget().used(), 11);
    cut();
    std::thread::sleep(Duration::from_millis(200));
    let stat = m
        .open_with("survivor.bin", |mut r| {
            r.desired_access = AccessMask::FILE_READ_ATTRIBUTES;
            r.share(ShareAccess::ALL)
        })
        .unwrap();
    assert_eq!(end_of_file(&stat), 11, "the stat sees the writes");
    close(stat);
    assert_eq!(block_on(f.read(0, 100)).unwrap(), b"kept across");
    close(f);
}
