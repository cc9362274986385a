//! The file command handlers driven directly through `files::dispatch`: a PVFS share on a
//! temporary directory and an NPFS device behind one I/O manager, requests encoded with
//! lwio-smb2, replies decoded with it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lwio_core::irp::{NotifyFilter, QueryDirectoryFlags};
use lwio_core::{
    AccessMask, AccessToken, CreateAction, CreateDisposition, CreateOptions,
    CreateRequest as IoCreate, FileAttributes, FileInfoClass, FsInfoClass, IoManager, IrpCanceller,
    NtStatus, SecurityInformation, ShareAccess, block_on,
};
use lwio_fscc::{
    FileBasicInformation, FileDispositionInformation, FileRenameInformation,
    FileStandardInformation, decode_dir_entries,
};
use lwio_npfs::{Npfs, NpfsDevice, PipeCreateParams};
use lwio_smb2::create_context::{MXAC, QFID};
use lwio_smb2::ioctl::{CopyChunk, CopyChunkCopy, CopyChunkResponse, ResumeKeyResponse};
use lwio_smb2::lock::LockElement;
use lwio_smb2::{
    ChangeNotifyFlags, ChangeNotifyRequest, ChangeNotifyResponse, CloseFlags, CloseRequest,
    CloseResponse, Command, CreateContext, CreateRequest, CreateResponse, CtlCode, FileId,
    FlushRequest, HEADER_LEN, Header, ImpersonationLevel, InfoType, IoctlFlags, IoctlRequest,
    IoctlResponse, LockFlags, LockRequest, OplockBreak, OplockLevel, QueryDirectoryRequest,
    QueryDirectoryResponse, QueryInfoRequest, QueryInfoResponse, ReadRequest, ReadResponse,
    RequestContext, ResponseContext, SetInfoRequest, WriteRequest, WriteResponse,
};
use lwio_srv::files::dispatch;
use lwio_srv::state::{
    AsyncControl, BreakSink, FileRequest, Reply, Session, Share, ShareKind, Tree,
};

const MAX_IO: u32 = 1024 * 1024;

/// Records go_async calls, the canceller handed over and the oplock breaks sent.
#[derive(Default)]
struct Ctl {
    calls: AtomicUsize,
    canceller: Mutex<Option<IrpCanceller>>,
    breaks: Arc<Breaks>,
}

/// The oplock break notifications the server sent.
#[derive(Default)]
struct Breaks(
    Mutex<Vec<(FileId, OplockLevel)>>,
    Mutex<Vec<lwio_smb2::oplock::LeaseBreakNotification>>,
);

impl BreakSink for Breaks {
    fn send_oplock_break(&self, file_id: FileId, level: OplockLevel) {
        self.0.lock().unwrap().push((file_id, level));
    }

    fn send_lease_break(&self, notification: lwio_smb2::oplock::LeaseBreakNotification) {
        self.1.lock().unwrap().push(notification);
    }
}

impl AsyncControl for Ctl {
    fn go_async(&self, canceller: Option<IrpCanceller>) -> u64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if canceller.is_some() {
            *self.canceller.lock().unwrap() = canceller;
        }
        7
    }

    fn break_sink(&self) -> Arc<dyn BreakSink> {
        Arc::clone(&self.breaks) as Arc<dyn BreakSink>
    }
}

impl Ctl {
    fn went_async(&self) -> bool {
        self.calls.load(Ordering::SeqCst) > 0
    }

    /// Waits (up to 10 s) until the request went asynchronous.
    fn wait_async(&self, what: &str) {
        let start = Instant::now();
        while !self.went_async() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what} never pended"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

struct Env {
    io: IoManager,
    dir: tempfile::TempDir,
    session: Arc<Session>,
    disk: Arc<Tree>,
    ipc: Arc<Tree>,
    leases: Arc<lwio_srv::files::LeaseTable>,
    durable: Arc<lwio_srv::durable::DurableTable>,
    client_guid: [u8; 16],
}

fn token() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

impl Env {
    fn new() -> Env {
        Env::with_token(token())
    }

    /// An environment whose session carries `token`.
    fn with_token(token: Arc<AccessToken>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new();
        lwio_pvfs::mount(&io, "share", dir.path(), lwio_pvfs::PvfsConfig::default()).unwrap();
        io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default())
            .unwrap();
        let session = Arc::new(Session::new(
            9,
            "user".into(),
            "DOM".into(),
            token,
            [7; 16],
            false,
        ));
        let disk = session.add_tree(
            Arc::new(Share {
                name: "share".into(),
                kind: ShareKind::Disk {
                    device: "share".into(),
                },
                comment: String::new(),
                path: String::new(),
                max_uses: u32::MAX,
                flags: 0,
                security: None,
            }),
            AccessMask::FILE_ALL_ACCESS,
        );
        let ipc = session.add_tree(
            Arc::new(Share {
                name: "IPC$".into(),
                kind: ShareKind::Ipc {
                    device: "npfs".into(),
                },
                comment: String::new(),
                path: String::new(),
                max_uses: u32::MAX,
                flags: 0,
                security: None,
            }),
            AccessMask::FILE_ALL_ACCESS,
        );
        Env {
            io,
            dir,
            session,
            disk,
            ipc,
            leases: Arc::default(),
            durable: Arc::default(),
            client_guid: [0xC1; 16],
        }
    }

    /// Dispatches `msg` on `tree`.
    fn send_on(
        &self,
        tree: &Arc<Tree>,
        msg: &[u8],
        related: Option<FileId>,
        ctl: &Ctl,
    ) -> (Reply, Option<FileId>) {
        self.send_as(&self.session, tree, msg, related, ctl)
    }

    /// Dispatches `msg` on `tree` of `session` (another session than the environment's).
    fn send_as(
        &self,
        session: &Arc<Session>,
        tree: &Arc<Tree>,
        msg: &[u8],
        related: Option<FileId>,
        ctl: &Ctl,
    ) -> (Reply, Option<FileId>) {
        let header = Header::decode(msg).unwrap();
        // As the engine does: the request is a slice of a shared frame, which a WRITE's
        // data is handed to the driver from.
        let frame = bytes::Bytes::copy_from_slice(msg);
        block_on(dispatch(FileRequest {
            io: &self.io,
            session,
            tree,
            header: &header,
            msg: &frame,
            frame: Some(&frame),
            related_file_id: related,
            dialect: 0x0311,
            max_io: MAX_IO,
            async_control: ctl,
            local_addr: Some(([127, 0, 0, 1], 445).into()),
            client_guid: self.client_guid,
            leases: &self.leases,
            durable: &self.durable,
        }))
    }

    fn send(&self, msg: &[u8]) -> Reply {
        self.send_on(&self.disk, msg, None, &Ctl::default()).0
    }

    fn create_on(
        &self,
        tree: &Arc<Tree>,
        name: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        options: CreateOptions,
        contexts: Vec<CreateContext>,
    ) -> Result<CreateResponse, NtStatus> {
        let cr = CreateRequest {
            desired_access: access,
            share_access: ShareAccess::ALL,
            disposition,
            options,
            name: name.into(),
            contexts,
            ..CreateRequest::default()
        };
        let (reply, id) = self.send_on(
            tree,
            &msg(Command::CREATE, |o| cr.encode(o)),
            None,
            &Ctl::default(),
        );
        let m = ok(reply)?;
        let r = CreateResponse::decode(&m).unwrap();
        assert_eq!(id, Some(r.file_id));
        Ok(r)
    }

    fn open_on(
        &self,
        tree: &Arc<Tree>,
        name: &str,
        access: AccessMask,
        disposition: CreateDisposition,
    ) -> Result<CreateResponse, NtStatus> {
        self.ctx_on(tree, name, access, disposition, vec![])
    }

    fn ctx_on(
        &self,
        tree: &Arc<Tree>,
        name: &str,
        access: AccessMask,
        disposition: CreateDisposition,
        contexts: Vec<CreateContext>,
    ) -> Result<CreateResponse, NtStatus> {
        let none = CreateOptions::empty();
        self.create_on(tree, name, access, disposition, none, contexts)
    }

    fn create(
        &self,
        name: &str,
        disposition: CreateDisposition,
    ) -> Result<CreateResponse, NtStatus> {
        self.create_on(
            &self.disk,
            name,
            AccessMask::GENERIC_ALL,
            disposition,
            CreateOptions::empty(),
            Vec::new(),
        )
    }

    fn mkdir(&self, name: &str) -> FileId {
        self.create_on(
            &self.disk,
            name,
            AccessMask::GENERIC_ALL,
            CreateDisposition::OPEN_IF,
            CreateOptions::DIRECTORY_FILE,
            Vec::new(),
        )
        .unwrap()
        .file_id
    }

    fn write(&self, id: FileId, offset: u64, data: &[u8]) -> Result<u32, NtStatus> {
        let w = WriteRequest {
            offset,
            file_id: id,
            channel: Default::default(),
            remaining_bytes: 0,
            flags: Default::default(),
            data,
            channel_info: &[],
        };
        let m = ok(self.send(&msg(Command::WRITE, |o| w.encode(o))))?;
        Ok(WriteResponse::decode(&m).unwrap().count)
    }

    fn read(
        &self,
        id: FileId,
        offset: u64,
        length: u32,
        minimum: u32,
    ) -> Result<Vec<u8>, NtStatus> {
        let r = ReadRequest {
            length,
            offset,
            file_id: id,
            minimum_count: minimum,
            ..ReadRequest::default()
        };
        let m = ok(self.send(&msg(Command::READ, |o| r.encode(o))))?;
        Ok(ReadResponse::decode(&m).unwrap().data)
    }

    fn close(&self, id: FileId, flags: CloseFlags) -> Result<CloseResponse, NtStatus> {
        let c = CloseRequest { flags, file_id: id };
        let m = ok(self.send(&msg(Command::CLOSE, |o| c.encode(o))))?;
        Ok(CloseResponse::decode(&m).unwrap())
    }

    fn query(&self, id: FileId, t: InfoType, class: u8, len: u32, extra: u32) -> Reply {
        let q = QueryInfoRequest {
            info_type: t,
            info_class: class,
            output_buffer_length: len,
            additional_information: extra,
            file_id: id,
            ..QueryInfoRequest::default()
        };
        self.send(&msg(Command::QUERY_INFO, |o| q.encode(o)))
    }

    fn query_file(&self, id: FileId, class: FileInfoClass, len: u32) -> Result<Vec<u8>, NtStatus> {
        let m = ok(self.query(id, InfoType::FILE, class.0, len, 0))?;
        Ok(QueryInfoResponse::decode(&m).unwrap().buffer)
    }

    fn set_file(&self, id: FileId, class: FileInfoClass, buffer: Vec<u8>) -> Result<(), NtStatus> {
        let s = SetInfoRequest {
            info_type: InfoType::FILE,
            info_class: class.0,
            buffer,
            additional_information: 0,
            file_id: id,
        };
        ok(self.send(&msg(Command::SET_INFO, |o| s.encode(o)))).map(|_| ())
    }

    fn ioctl_on(&self, tree: &Arc<Tree>, ir: &IoctlRequest) -> Reply {
        self.send_on(
            tree,
            &msg(Command::IOCTL, |o| ir.encode(o)),
            None,
            &Ctl::default(),
        )
        .0
    }

    fn query_dir(
        &self,
        id: FileId,
        class: FileInfoClass,
        flags: QueryDirectoryFlags,
        pattern: &str,
    ) -> Result<Vec<String>, NtStatus> {
        let q = QueryDirectoryRequest {
            class,
            flags,
            file_index: 0,
            file_id: id,
            pattern: pattern.into(),
            output_buffer_length: 65536,
        };
        let m = ok(self.send(&msg(Command::QUERY_DIRECTORY, |o| q.encode(o))))?;
        let buf = QueryDirectoryResponse::decode(&m).unwrap().buffer;
        Ok(decode_dir_entries(class, &buf)
            .unwrap()
            .into_iter()
            .map(|e| e.file_name)
            .collect())
    }
}

/// A request message: a header for `cmd`, then the body `encode` appends.
fn msg(cmd: Command, encode: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        command: cmd,
        ..Header::default()
    }
    .encode(&mut out);
    encode(&mut out);
    out
}

/// The reply as a whole message (a zero header and the body) when it has a body with a
/// success status; its status otherwise.
fn ok(reply: Reply) -> Result<Vec<u8>, NtStatus> {
    match reply {
        Reply::Body { status, body } if status.is_success() => {
            let mut m = vec![0u8; HEADER_LEN];
            m.extend_from_slice(&body);
            Ok(m)
        }
        Reply::Data { status, body, data } if status.is_success() => {
            let mut m = vec![0u8; HEADER_LEN];
            m.extend_from_slice(&body);
            m.extend_from_slice(&data);
            Ok(m)
        }
        Reply::Body { status, .. } | Reply::Data { status, .. } | Reply::Error { status, .. } => {
            Err(status)
        }
    }
}

fn status_of(reply: &Reply) -> NtStatus {
    match reply {
        Reply::Body { status, .. } | Reply::Data { status, .. } | Reply::Error { status, .. } => {
            *status
        }
    }
}

fn wreq(file_id: FileId, offset: u64, data: &[u8]) -> WriteRequest<'_> {
    WriteRequest {
        offset,
        file_id,
        channel: Default::default(),
        remaining_bytes: 0,
        flags: Default::default(),
        data,
        channel_info: &[],
    }
}

/// The whole message of a reply that has a body, whatever its status.
fn body_msg(reply: Reply) -> (NtStatus, Vec<u8>) {
    match reply {
        Reply::Body { status, body } => {
            let mut m = vec![0u8; HEADER_LEN];
            m.extend_from_slice(&body);
            (status, m)
        }
        other => panic!("expected a body, got {other:?}"),
    }
}

fn rw() -> AccessMask {
    AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE
}

#[test]
fn create_write_read_close_round_trip() {
    let env = Env::new();
    let r = env.create("a.txt", CreateDisposition::CREATE).unwrap();
    assert_eq!(r.create_action, CreateAction::CREATED);
    assert_eq!(r.oplock_level, OplockLevel::NONE);
    assert!(!r.file_attributes.contains(FileAttributes::DIRECTORY));
    let id = r.file_id;
    assert_eq!(env.write(id, 0, b"hello world"), Ok(11));
    assert_eq!(env.read(id, 0, 100, 0).unwrap(), b"hello world");
    assert_eq!(env.read(id, 6, 5, 5).unwrap(), b"world");
    assert_eq!(env.read(id, 0, 100, 50), Err(NtStatus::END_OF_FILE));
    assert_eq!(env.read(id, 100, 10, 0), Err(NtStatus::END_OF_FILE));
    assert_eq!(
        env.read(id, 0, MAX_IO + 1, 0),
        Err(NtStatus::INVALID_PARAMETER)
    );
    let f = FlushRequest { file_id: id };
    assert!(ok(env.send(&msg(Command::FLUSH, |o| f.encode(o)))).is_ok());
    let c = env.close(id, CloseFlags::POSTQUERY_ATTRIB).unwrap();
    assert_eq!(c.flags, CloseFlags::POSTQUERY_ATTRIB);
    assert_eq!(c.times.end_of_file, 11);
    assert_eq!(
        env.close(id, CloseFlags::empty()).unwrap_err(),
        NtStatus::FILE_CLOSED
    );
    assert_eq!(env.read(id, 0, 1, 0), Err(NtStatus::FILE_CLOSED));
    assert_eq!(
        std::fs::read(env.dir.path().join("a.txt")).unwrap(),
        b"hello world"
    );
    assert_eq!(env.disk.open_count(), 0);

    // Reopen: OPENED, and the size shows in the response.
    let r = env.create("A.TXT", CreateDisposition::OPEN).unwrap();
    assert_eq!(r.create_action, CreateAction::OPENED);
    assert_eq!(r.times.end_of_file, 11);
    let c = env.close(r.file_id, CloseFlags::empty()).unwrap();
    assert_eq!(c.times.end_of_file, 0);
}

#[test]
fn create_checks_and_contexts() {
    let env = Env::new();
    assert_eq!(
        env.create("\\a.txt", CreateDisposition::OPEN_IF)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    // `/` separates components as `\` does (Samba's behaviour).
    assert_eq!(
        env.create("sub/x.txt", CreateDisposition::OPEN_IF)
            .unwrap_err(),
        NtStatus::OBJECT_PATH_NOT_FOUND
    );
    assert_eq!(
        env.create("missing.txt", CreateDisposition::OPEN)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    let cr = CreateRequest {
        impersonation_level: ImpersonationLevel(4),
        desired_access: rw(),
        disposition: CreateDisposition::OPEN_IF,
        name: "x".into(),
        ..CreateRequest::default()
    };
    assert_eq!(
        status_of(&env.send(&msg(Command::CREATE, |o| cr.encode(o)))),
        NtStatus::BAD_IMPERSONATION_LEVEL
    );
    // The share root is the empty name, a directory.
    let root = env.create("", CreateDisposition::OPEN).unwrap();
    assert!(root.file_attributes.contains(FileAttributes::DIRECTORY));
    // Timewarp: no snapshots. EAs: the driver checks the list (an empty name here).
    let twrp = vec![RequestContext::Timewarp(1).to_raw()];
    assert_eq!(
        env.ctx_on(&env.disk, "t", rw(), CreateDisposition::OPEN_IF, twrp)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    let exta = vec![RequestContext::ExtendedAttributes(vec![0; 12]).to_raw()];
    assert_eq!(
        env.ctx_on(&env.disk, "t", rw(), CreateDisposition::OPEN_IF, exta)
            .unwrap_err(),
        NtStatus::INVALID_EA_NAME
    );
    // Names shorter than a 4-byte tag are refused; longer unknown ones are ignored.
    for (name, ok) in [
        (&b"x"[..], false),
        (b"xxx", false),
        (b"xxxx", true),
        (b"xxxxx", true),
    ] {
        let ctx = vec![CreateContext::new(name, Vec::new())];
        let got = env.ctx_on(&env.disk, "tags", rw(), CreateDisposition::OPEN_IF, ctx);
        assert_eq!(got.is_ok(), ok, "{name:?}");
        if let Ok(r) = got {
            env.close(r.file_id, CloseFlags::empty()).unwrap();
        }
    }
    // A malformed known context.
    let bad = vec![CreateContext::new(b"AlSi", vec![1, 2, 3])];
    assert_eq!(
        env.ctx_on(&env.disk, "t", rw(), CreateDisposition::OPEN_IF, bad)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    // Durable contexts: contradictory ones, and a reconnect to nothing.
    let both = vec![
        RequestContext::DurableRequest.to_raw(),
        RequestContext::DurableRequestV2 {
            timeout: 0,
            flags: Default::default(),
            create_guid: [1; 16],
        }
        .to_raw(),
    ];
    assert_eq!(
        env.ctx_on(&env.disk, "t", rw(), CreateDisposition::OPEN_IF, both)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    let reconnect = vec![RequestContext::DurableReconnect(FileId::default()).to_raw()];
    assert_eq!(
        env.ctx_on(&env.disk, "t", rw(), CreateDisposition::OPEN_IF, reconnect)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert!(!env.dir.path().join("t").exists());
    // MxAc, QFid, an ignored durable request and an unknown context.
    let ctxs = vec![
        RequestContext::MaximalAccess { timestamp: None }.to_raw(),
        RequestContext::QueryOnDiskId.to_raw(),
        RequestContext::DurableRequest.to_raw(),
        CreateContext::new(b"Zzzz", vec![1, 2, 3, 4]),
    ];
    let r = env
        .ctx_on(
            &env.disk,
            "m.txt",
            AccessMask::FILE_READ_ATTRIBUTES,
            CreateDisposition::OPEN_IF,
            ctxs,
        )
        .unwrap();
    assert_eq!(r.contexts.len(), 2);
    let mut seen = 0;
    for raw in &r.contexts {
        match ResponseContext::from_raw(raw).unwrap() {
            ResponseContext::MaximalAccess { status, access } => {
                assert_eq!(raw.name, MXAC);
                assert_eq!(status, NtStatus::SUCCESS);
                assert!(access.contains(AccessMask::FILE_WRITE_DATA | AccessMask::DELETE));
                seen += 1;
            }
            ResponseContext::OnDiskId(id) => {
                assert_eq!(raw.name, QFID);
                assert_ne!(id[..8], [0; 8]);
                seen += 1;
            }
            other => panic!("unexpected context {other:?}"),
        }
    }
    assert_eq!(seen, 2);
}

#[test]
fn query_directory_lists_and_ends() {
    let env = Env::new();
    for name in ["a.txt", "b.txt", "c.doc"] {
        let id = env.create(name, CreateDisposition::CREATE).unwrap().file_id;
        env.close(id, CloseFlags::empty()).unwrap();
    }
    let sub = env.mkdir("sub");
    env.close(sub, CloseFlags::empty()).unwrap();
    let root = env.create("", CreateDisposition::OPEN).unwrap().file_id;
    let class = FileInfoClass::ID_BOTH_DIRECTORY;
    let mut names = env
        .query_dir(root, class, QueryDirectoryFlags::empty(), "*")
        .unwrap();
    names.sort();
    assert!(names.contains(&"a.txt".to_string()));
    assert!(names.contains(&"sub".to_string()));
    assert!(names.contains(&"c.doc".to_string()));
    assert_eq!(
        env.query_dir(root, class, QueryDirectoryFlags::empty(), "*"),
        Err(NtStatus::NO_MORE_FILES)
    );
    let txt = env
        .query_dir(
            root,
            FileInfoClass::NAMES,
            QueryDirectoryFlags::REOPEN,
            "*.txt",
        )
        .unwrap();
    assert_eq!(txt.len(), 2);
    assert_eq!(
        env.query_dir(root, class, QueryDirectoryFlags::RESTART_SCANS, "nomatch*"),
        Err(NtStatus::NO_SUCH_FILE)
    );
    assert_eq!(
        env.query_dir(
            root,
            FileInfoClass::BASIC,
            QueryDirectoryFlags::RESTART_SCANS,
            "*"
        ),
        Err(NtStatus::INVALID_INFO_CLASS)
    );
    let file = env
        .create("a.txt", CreateDisposition::OPEN)
        .unwrap()
        .file_id;
    assert_eq!(
        env.query_dir(file, class, QueryDirectoryFlags::empty(), "*"),
        Err(NtStatus::INVALID_PARAMETER)
    );
}

#[test]
fn query_and_set_info_rename_and_delete_on_close() {
    let env = Env::new();
    // Closed: a rename into a directory open for DELETE is a sharing violation.
    let sub = env.mkdir("sub");
    env.close(sub, CloseFlags::empty()).unwrap();
    let id = env
        .create("f.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    env.write(id, 0, b"12345").unwrap();
    let std = env.query_file(id, FileInfoClass::STANDARD, 1024).unwrap();
    let std = FileStandardInformation::decode(&std).unwrap();
    assert_eq!(std.end_of_file, 5);
    assert!(!std.directory);
    let basic = env.query_file(id, FileInfoClass::BASIC, 40).unwrap();
    FileBasicInformation::decode(&basic).unwrap();
    assert_eq!(
        env.query_file(id, FileInfoClass::BASIC, 10),
        Err(NtStatus::INFO_LENGTH_MISMATCH)
    );
    assert_eq!(
        env.query_file(id, FileInfoClass::BASIC, MAX_IO + 1),
        Err(NtStatus::INVALID_PARAMETER)
    );
    // A name that does not fit: the part that fits and STATUS_BUFFER_OVERFLOW.
    let (status, m) = body_msg(env.query(id, InfoType::FILE, FileInfoClass::ALL.0, 104, 0));
    assert_eq!(status, NtStatus::BUFFER_OVERFLOW);
    assert_eq!(QueryInfoResponse::decode(&m).unwrap().buffer.len(), 104);
    let vol = ok(env.query(id, InfoType::FILESYSTEM, FsInfoClass::VOLUME.0, 1024, 0)).unwrap();
    assert!(!QueryInfoResponse::decode(&vol).unwrap().buffer.is_empty());
    assert_eq!(
        status_of(&env.query(id, InfoType::QUOTA, 0, 1024, 0)),
        NtStatus::NOT_SUPPORTED
    );
    assert_eq!(
        status_of(&env.query(id, InfoType(9), 0, 1024, 0)),
        NtStatus::INVALID_PARAMETER
    );

    // Rename into a subdirectory, with a share-relative name.
    let rename = FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: "sub\\g.txt".into(),
    };
    env.set_file(id, FileInfoClass::RENAME, rename.encode())
        .unwrap();
    assert!(env.dir.path().join("sub/g.txt").exists());
    assert!(!env.dir.path().join("f.txt").exists());
    let rooted = FileRenameInformation {
        replace_if_exists: false,
        root_directory: 5,
        file_name: "h.txt".into(),
    };
    assert_eq!(
        env.set_file(id, FileInfoClass::RENAME, rooted.encode()),
        Err(NtStatus::INVALID_PARAMETER)
    );

    // Delete on close through FileDispositionInformation.
    let gone = FileDispositionInformation {
        delete_pending: true,
    };
    env.set_file(id, FileInfoClass::DISPOSITION, gone.encode())
        .unwrap();
    env.close(id, CloseFlags::empty()).unwrap();
    assert!(!env.dir.path().join("sub/g.txt").exists());

    // Delete on close as a create option.
    let r = env
        .create_on(
            &env.disk,
            "tmp.txt",
            AccessMask::GENERIC_ALL,
            CreateDisposition::CREATE,
            CreateOptions::DELETE_ON_CLOSE,
            vec![],
        )
        .unwrap();
    assert!(env.dir.path().join("tmp.txt").exists());
    env.close(r.file_id, CloseFlags::empty()).unwrap();
    assert!(!env.dir.path().join("tmp.txt").exists());
}

#[test]
fn security_query_with_a_short_buffer_reports_the_size() {
    let env = Env::new();
    let id = env
        .create("s.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let info = SecurityInformation::OWNER.0 | SecurityInformation::DACL.0;
    let reply = env.query(id, InfoType::SECURITY, 0, 8, info);
    let needed = match reply {
        Reply::Error { status, data } => {
            assert_eq!(status, NtStatus::BUFFER_TOO_SMALL);
            assert_eq!(data.len(), 4);
            u32::from_le_bytes(data.try_into().unwrap())
        }
        other => panic!("expected BUFFER_TOO_SMALL, got {other:?}"),
    };
    assert!(needed > 20);
    let m = ok(env.query(id, InfoType::SECURITY, 0, needed, info)).unwrap();
    let sd = QueryInfoResponse::decode(&m).unwrap().buffer;
    assert_eq!(sd.len(), needed as usize);
    assert_eq!(sd[0], 1, "self-relative descriptor revision 1");
}

fn lock_msg(id: FileId, offset: u64, length: u64, flags: LockFlags) -> Vec<u8> {
    let l = LockRequest {
        file_id: id,
        locks: vec![LockElement {
            offset,
            length,
            flags,
        }],
        ..LockRequest::default()
    };
    msg(Command::LOCK, |o| l.encode(o))
}

#[test]
fn blocking_lock_goes_async_and_completes_on_unlock() {
    let env = Env::new();
    let a = env
        .create("l.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let b = env
        .create("l.txt", CreateDisposition::OPEN)
        .unwrap()
        .file_id;
    let exclusive_now = LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY;
    assert!(ok(env.send(&lock_msg(a, 0, 10, exclusive_now))).is_ok());
    assert_eq!(
        status_of(&env.send(&lock_msg(b, 5, 10, exclusive_now))),
        NtStatus::LOCK_NOT_GRANTED
    );
    let ctl = Ctl::default();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.send_on(
                &env.disk,
                &lock_msg(b, 5, 10, LockFlags::EXCLUSIVE),
                None,
                &ctl,
            )
            .0
        });
        ctl.wait_async("lock");
        assert!(ctl.canceller.lock().unwrap().is_some());
        assert!(!waiter.is_finished());
        assert!(ok(env.send(&lock_msg(a, 0, 10, LockFlags::UNLOCK))).is_ok());
        let reply = waiter.join().unwrap();
        assert!(ok(reply).is_ok());
    });
    // B holds 5..15 now: A's fail-immediately lock conflicts.
    assert_eq!(
        status_of(&env.send(&lock_msg(a, 0, 10, exclusive_now))),
        NtStatus::LOCK_NOT_GRANTED
    );
    // A cancelled wait ends with STATUS_CANCELLED.
    let ctl = Ctl::default();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.send_on(
                &env.disk,
                &lock_msg(a, 0, 10, LockFlags::SHARED),
                None,
                &ctl,
            )
            .0
        });
        ctl.wait_async("lock");
        ctl.canceller.lock().unwrap().take().unwrap().cancel();
        assert_eq!(status_of(&waiter.join().unwrap()), NtStatus::CANCELLED);
    });
}

#[test]
fn lock_element_rules_and_rollback() {
    let env = Env::new();
    let a = env
        .create("r.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let b = env
        .create("r.txt", CreateDisposition::OPEN)
        .unwrap()
        .file_id;
    let now = LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY;
    // Several elements without FAIL_IMMEDIATELY, or mixing lock and unlock: invalid.
    let l = LockRequest {
        file_id: a,
        locks: vec![
            LockElement {
                offset: 0,
                length: 1,
                flags: LockFlags::EXCLUSIVE,
            },
            LockElement {
                offset: 2,
                length: 1,
                flags: LockFlags::EXCLUSIVE,
            },
        ],
        ..LockRequest::default()
    };
    assert_eq!(
        status_of(&env.send(&msg(Command::LOCK, |o| l.encode(o)))),
        NtStatus::INVALID_PARAMETER
    );
    assert!(ok(env.send(&lock_msg(b, 20, 5, now))).is_ok());
    // A takes 0..5 then fails on 20..25: 0..5 is released again.
    let l = LockRequest {
        file_id: a,
        locks: vec![
            LockElement {
                offset: 0,
                length: 5,
                flags: now,
            },
            LockElement {
                offset: 20,
                length: 5,
                flags: now,
            },
        ],
        ..LockRequest::default()
    };
    assert_eq!(
        status_of(&env.send(&msg(Command::LOCK, |o| l.encode(o)))),
        NtStatus::LOCK_NOT_GRANTED
    );
    assert!(ok(env.send(&lock_msg(b, 0, 5, now))).is_ok());
    // Unlocking what is not locked.
    assert_eq!(
        status_of(&env.send(&lock_msg(a, 100, 5, LockFlags::UNLOCK))),
        NtStatus::RANGE_NOT_LOCKED
    );
    assert_eq!(
        status_of(&env.send(&lock_msg(a, u64::MAX, 5, now))),
        NtStatus::INVALID_LOCK_RANGE
    );
}

#[test]
fn related_compound_file_ids_resolve() {
    let env = Env::new();
    let cr = CreateRequest {
        desired_access: rw(),
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::CREATE,
        name: "c.txt".into(),
        ..CreateRequest::default()
    };
    let ctl = Ctl::default();
    let (reply, id) = env.send_on(
        &env.disk,
        &msg(Command::CREATE, |o| cr.encode(o)),
        None,
        &ctl,
    );
    let created = CreateResponse::decode(&ok(reply).unwrap()).unwrap().file_id;
    assert_eq!(id, Some(created));
    let w = WriteRequest {
        offset: 0,
        file_id: FileId::RELATED,
        channel: Default::default(),
        remaining_bytes: 0,
        flags: Default::default(),
        data: b"chained",
        channel_info: &[],
    };
    let (reply, id) = env.send_on(&env.disk, &msg(Command::WRITE, |o| w.encode(o)), id, &ctl);
    assert_eq!(WriteResponse::decode(&ok(reply).unwrap()).unwrap().count, 7);
    assert_eq!(id, Some(created));
    let c = CloseRequest {
        flags: CloseFlags::POSTQUERY_ATTRIB,
        file_id: FileId::RELATED,
    };
    let (reply, id) = env.send_on(&env.disk, &msg(Command::CLOSE, |o| c.encode(o)), id, &ctl);
    let closed = CloseResponse::decode(&ok(reply).unwrap()).unwrap();
    assert_eq!(closed.times.end_of_file, 7);
    assert_eq!(id, Some(created));
    // All ones without a previous request names no open.
    let (reply, _) = env.send_on(&env.disk, &msg(Command::CLOSE, |o| c.encode(o)), None, &ctl);
    assert_eq!(status_of(&reply), NtStatus::FILE_CLOSED);
}

#[test]
fn pipe_open_and_transceive_with_an_echo_server() {
    let env = Env::new();
    // The echo server: one message pipe instance answering each message with itself.
    let server = block_on(env.io.create_file(
        "/npfs/echo",
        IoCreate::new(token(), rw(), CreateDisposition::OPEN_IF).ecp(PipeCreateParams::message()),
    ))
    .unwrap();
    let r = env
        .open_on(&env.ipc, "echo", rw(), CreateDisposition::OPEN)
        .unwrap();
    // The server end starts reading once the client is connected (a listening
    // instance answers reads with STATUS_PIPE_LISTENING).
    let echo = std::thread::spawn(move || {
        while let Ok(m) = block_on(server.read(0, 4096)) {
            if block_on(server.write(0, m)).is_err() {
                break;
            }
        }
    });
    assert_eq!(r.file_attributes, FileAttributes::NORMAL);
    let t = IoctlRequest {
        ctl_code: CtlCode::PIPE_TRANSCEIVE,
        file_id: r.file_id,
        input: b"ping".to_vec(),
        max_output_response: 1024,
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    };
    let ctl = Ctl::default();
    let (reply, _) = env.send_on(&env.ipc, &msg(Command::IOCTL, |o| t.encode(o)), None, &ctl);
    let out = IoctlResponse::decode(&ok(reply).unwrap()).unwrap();
    assert_eq!(out.output, b"ping");
    assert_eq!(out.ctl_code, CtlCode::PIPE_TRANSCEIVE);
    // A reply longer than MaxOutputResponse: the part that fits and BUFFER_OVERFLOW.
    let t2 = IoctlRequest {
        input: b"0123456789".to_vec(),
        max_output_response: 4,
        ..t.clone()
    };
    let (status, m) = body_msg(env.ioctl_on(&env.ipc, &t2));
    assert_eq!(status, NtStatus::BUFFER_OVERFLOW);
    assert_eq!(IoctlResponse::decode(&m).unwrap().output, b"0123");
    // The rest of that message, then a write and a read that pends until the echo.
    let w = wreq(r.file_id, 0, b"");
    let rest = ReadRequest {
        length: 100,
        file_id: r.file_id,
        ..ReadRequest::default()
    };
    let m = ok(env
        .send_on(
            &env.ipc,
            &msg(Command::READ, |o| rest.encode(o)),
            None,
            &ctl,
        )
        .0)
    .unwrap();
    assert_eq!(ReadResponse::decode(&m).unwrap().data, b"456789");
    let w = WriteRequest { data: b"abc", ..w };
    assert!(
        ok(env
            .send_on(&env.ipc, &msg(Command::WRITE, |o| w.encode(o)), None, &ctl)
            .0)
        .is_ok()
    );
    let m = ok(env
        .send_on(
            &env.ipc,
            &msg(Command::READ, |o| rest.encode(o)),
            None,
            &ctl,
        )
        .0)
    .unwrap();
    assert_eq!(ReadResponse::decode(&m).unwrap().data, b"abc");
    // A read with nothing to read pends and goes async until the echo arrives.
    let ctl2 = Ctl::default();
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            env.send_on(
                &env.ipc,
                &msg(Command::READ, |o| rest.encode(o)),
                None,
                &ctl2,
            )
            .0
        });
        ctl2.wait_async("read");
        let w = WriteRequest { data: b"late", ..w };
        assert!(
            ok(env
                .send_on(&env.ipc, &msg(Command::WRITE, |o| w.encode(o)), None, &ctl)
                .0)
            .is_ok()
        );
        let m = ok(reader.join().unwrap()).unwrap();
        assert_eq!(ReadResponse::decode(&m).unwrap().data, b"late");
    });
    // FSCTL_PIPE_WAIT for a listening name... the instance is taken, so wait briefly.
    let wait = IoctlRequest {
        ctl_code: CtlCode::PIPE_WAIT,
        file_id: FileId::RELATED,
        input: lwio_npfs::PipeWaitRequest::new("nosuch", Some(Duration::from_millis(10))).encode(),
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.ipc, &wait)),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &wait)),
        NtStatus::NOT_SUPPORTED
    );
    assert_eq!(
        env.open_on(&env.ipc, "nosuch", rw(), CreateDisposition::OPEN)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    // A leading backslash names no pipe on IPC$ (and is malformed on a disk share).
    assert_eq!(
        env.open_on(&env.ipc, "\\echo", rw(), CreateDisposition::OPEN)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        env.open_on(&env.ipc, "pipe\\echo", rw(), CreateDisposition::OPEN)
            .unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        env.open_on(&env.disk, "\\f", rw(), CreateDisposition::OPEN_IF)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    let c = CloseRequest {
        flags: CloseFlags::empty(),
        file_id: r.file_id,
    };
    assert!(
        ok(env
            .send_on(&env.ipc, &msg(Command::CLOSE, |o| c.encode(o)), None, &ctl)
            .0)
        .is_ok()
    );
    echo.join().unwrap();
}

#[test]
fn ioctl_server_side_copy_and_refusals() {
    let env = Env::new();
    let src = env
        .create("src.bin", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    env.write(src, 0, &data).unwrap();
    let dst = env
        .create("dst.bin", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let key_req = IoctlRequest {
        ctl_code: CtlCode::SRV_REQUEST_RESUME_KEY,
        file_id: src,
        max_output_response: 64,
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    };
    let m = ok(env.ioctl_on(&env.disk, &key_req)).unwrap();
    // 32 bytes, as Windows sends: the key, ContextLength 0 and 4 zero bytes of Context.
    let out = IoctlResponse::decode(&m).unwrap().output;
    assert_eq!(out.len(), 32);
    let key = ResumeKeyResponse::decode(&out[..28]).unwrap().resume_key;
    let copy = CopyChunkCopy {
        source_key: key,
        chunks: vec![
            CopyChunk {
                source_offset: 0,
                target_offset: 0,
                length: 60_000,
            },
            CopyChunk {
                source_offset: 60_000,
                target_offset: 60_000,
                length: 40_000,
            },
        ],
    };
    let mut input = Vec::new();
    copy.encode(&mut input);
    let cc = IoctlRequest {
        ctl_code: CtlCode::SRV_COPYCHUNK_WRITE,
        file_id: dst,
        input,
        max_output_response: 64,
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    };
    let m = ok(env.ioctl_on(&env.disk, &cc)).unwrap();
    let r = CopyChunkResponse::decode(&IoctlResponse::decode(&m).unwrap().output).unwrap();
    assert_eq!(r.chunks_written, 2);
    assert_eq!(r.total_bytes_written, 100_000);
    assert_eq!(std::fs::read(env.dir.path().join("dst.bin")).unwrap(), data);
    // A chunk over the limit: INVALID_PARAMETER with the limits.
    let big = CopyChunkCopy {
        source_key: key,
        chunks: vec![CopyChunk {
            source_offset: 0,
            target_offset: 0,
            length: 2 * 1024 * 1024,
        }],
    };
    let mut input = Vec::new();
    big.encode(&mut input);
    match env.ioctl_on(
        &env.disk,
        &IoctlRequest {
            input,
            ..cc.clone()
        },
    ) {
        Reply::Body { status, body } => {
            assert_eq!(status, NtStatus::INVALID_PARAMETER);
            let mut m = vec![0; HEADER_LEN];
            m.extend_from_slice(&body);
            let r = CopyChunkResponse::decode(&IoctlResponse::decode(&m).unwrap().output).unwrap();
            assert_eq!(r.chunk_bytes_written, 1024 * 1024);
        }
        other => panic!("{other:?}"),
    }
    // A resume key that names nothing.
    let mut input = Vec::new();
    CopyChunkCopy {
        source_key: [0xAB; 24],
        chunks: copy.chunks.clone(),
    }
    .encode(&mut input);
    assert_eq!(
        status_of(&env.ioctl_on(
            &env.disk,
            &IoctlRequest {
                input,
                ..cc.clone()
            }
        )),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    let dfs = IoctlRequest {
        ctl_code: CtlCode::DFS_GET_REFERRALS,
        file_id: FileId::RELATED,
        input: vec![4, 0, b'x', 0, 0, 0],
        max_output_response: 4096,
        flags: IoctlFlags::IS_FSCTL,
        ..IoctlRequest::default()
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &dfs)),
        NtStatus::FS_DRIVER_REQUIRED
    );
    let not_fsctl = IoctlRequest {
        flags: IoctlFlags::empty(),
        ..key_req.clone()
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &not_fsctl)),
        NtStatus::NOT_SUPPORTED
    );
    let other = IoctlRequest {
        ctl_code: CtlCode::FSCTL_SET_ZERO_ON_DEALLOCATION,
        ..key_req.clone()
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &other)),
        NtStatus::INVALID_DEVICE_REQUEST
    );
    let snaps = IoctlRequest {
        ctl_code: CtlCode::SRV_ENUMERATE_SNAPSHOTS,
        max_output_response: 16,
        ..key_req.clone()
    };
    let m = ok(env.ioctl_on(&env.disk, &snaps)).unwrap();
    let out = IoctlResponse::decode(&m).unwrap().output;
    assert_eq!(out[..8], [0; 8]);
    let short = IoctlRequest {
        max_output_response: 8,
        ..snaps
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &short)),
        NtStatus::INVALID_PARAMETER
    );
    let vneg = IoctlRequest {
        ctl_code: CtlCode::VALIDATE_NEGOTIATE_INFO,
        ..key_req
    };
    assert_eq!(
        status_of(&env.ioctl_on(&env.disk, &vneg)),
        NtStatus::NOT_SUPPORTED
    );
}

#[test]
fn oplock_break_ack_without_an_oplock() {
    let env = Env::new();
    let id = env
        .create("o.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let ack = OplockBreak {
        oplock_level: OplockLevel::NONE,
        file_id: id,
    };
    // No oplock, no break in progress.
    assert_eq!(
        status_of(&env.send(&msg(Command::OPLOCK_BREAK, |o| ack.encode(o)))),
        NtStatus::INVALID_OPLOCK_PROTOCOL
    );
    let gone = OplockBreak {
        file_id: FileId {
            persistent: 1 << 60,
            volatile: 1 << 60,
        },
        ..ack
    };
    assert_eq!(
        status_of(&env.send(&msg(Command::OPLOCK_BREAK, |o| gone.encode(o)))),
        NtStatus::FILE_CLOSED
    );
}

/// A CREATE asking for `level` on `name`, with `ctl` (whose sink records breaks).
fn create_with_oplock(env: &Env, ctl: &Ctl, name: &str, level: OplockLevel) -> CreateResponse {
    let cr = CreateRequest {
        desired_access: rw(),
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN_IF,
        name: name.into(),
        oplock_level: level,
        ..CreateRequest::default()
    };
    let (reply, _) = env.send_on(
        &env.disk,
        &msg(Command::CREATE, |o| cr.encode(o)),
        None,
        ctl,
    );
    CreateResponse::decode(&ok(reply).unwrap()).unwrap()
}

#[test]
fn batch_oplock_is_granted_broken_by_another_open_and_acknowledged_to_level2() {
    let env = Env::new();
    let holder = Ctl::default();
    let first = create_with_oplock(&env, &holder, "op.txt", OplockLevel::BATCH);
    assert_eq!(first.oplock_level, OplockLevel::BATCH);
    let opener = Ctl::default();
    std::thread::scope(|scope| {
        let second =
            scope.spawn(|| create_with_oplock(&env, &opener, "op.txt", OplockLevel::BATCH));
        let start = Instant::now();
        while holder.breaks.0.lock().unwrap().is_empty() {
            assert!(start.elapsed() < Duration::from_secs(10), "no break sent");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            holder.breaks.0.lock().unwrap()[0],
            (first.file_id, OplockLevel::II)
        );
        // Acknowledging more than offered is refused; the level offered is taken.
        let ack = OplockBreak {
            oplock_level: OplockLevel::II,
            file_id: first.file_id,
        };
        let reply = env.send(&msg(Command::OPLOCK_BREAK, |o| ack.encode(o)));
        let m = ok(reply).unwrap();
        assert_eq!(
            OplockBreak::decode(&m).unwrap().oplock_level,
            OplockLevel::II
        );
        // The second open went on, and got level II beside the first's; while it waited
        // it had gone asynchronous (an interim STATUS_PENDING).
        assert_eq!(second.join().unwrap().oplock_level, OplockLevel::II);
    });
    assert!(opener.went_async());
    assert!(!holder.went_async());
    // Level II is held, no break in progress: another acknowledgment is out of place.
    let again = env.send(&msg(Command::OPLOCK_BREAK, |o| {
        OplockBreak {
            oplock_level: OplockLevel::NONE,
            file_id: first.file_id,
        }
        .encode(o)
    }));
    assert_eq!(status_of(&again), NtStatus::INVALID_DEVICE_STATE);
}

#[test]
fn a_create_waiting_for_a_break_is_cancelled_by_smb2_cancel() {
    let env = Env::new();
    let holder = Ctl::default();
    let first = create_with_oplock(&env, &holder, "c.txt", OplockLevel::EXCLUSIVE);
    assert_eq!(first.oplock_level, OplockLevel::EXCLUSIVE);
    let opener = Ctl::default();
    std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let cr = CreateRequest {
                desired_access: rw(),
                share_access: ShareAccess::ALL,
                disposition: CreateDisposition::OPEN,
                name: "c.txt".into(),
                ..CreateRequest::default()
            };
            let m = msg(Command::CREATE, |o| cr.encode(o));
            status_of(&env.send_on(&env.disk, &m, None, &opener).0)
        });
        opener.wait_async("the waiting create");
        let canceller = opener.canceller.lock().unwrap().take();
        canceller.expect("a canceller for SMB2 CANCEL").cancel();
        assert_eq!(second.join().unwrap(), NtStatus::CANCELLED);
    });
    assert_eq!(
        holder.breaks.0.lock().unwrap().first(),
        Some(&(first.file_id, OplockLevel::II))
    );
}

#[test]
fn no_oplock_on_a_directory() {
    let env = Env::new();
    let _dir = env.mkdir("d");
    let cr = CreateRequest {
        desired_access: AccessMask::GENERIC_READ,
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN,
        name: "d".into(),
        oplock_level: OplockLevel::BATCH,
        ..CreateRequest::default()
    };
    let reply = env.send(&msg(Command::CREATE, |o| cr.encode(o)));
    let r = CreateResponse::decode(&ok(reply).unwrap()).unwrap();
    assert_eq!(r.oplock_level, OplockLevel::NONE);
}

#[test]
fn change_notify_goes_async_until_a_change() {
    let env = Env::new();
    let dir = env.mkdir("watched");
    let n = ChangeNotifyRequest {
        flags: ChangeNotifyFlags::empty(),
        output_buffer_length: 4096,
        file_id: dir,
        completion_filter: NotifyFilter::FILE_NAME,
    };
    let ctl = Ctl::default();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.send_on(
                &env.disk,
                &msg(Command::CHANGE_NOTIFY, |o| n.encode(o)),
                None,
                &ctl,
            )
            .0
        });
        let start = Instant::now();
        while !ctl.went_async() && !waiter.is_finished() {
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(ctl.went_async(), "PVFS change notify pends");
        let f = env
            .create("watched\\new.txt", CreateDisposition::CREATE)
            .unwrap();
        let m = ok(waiter.join().unwrap()).unwrap();
        let buf = ChangeNotifyResponse::decode(&m).unwrap().buffer;
        let entries = lwio_fscc::decode_notify(&buf).unwrap();
        assert!(entries.iter().any(|e| e.file_name == "new.txt"));
        env.close(f.file_id, CloseFlags::empty()).unwrap();
    });
    let file = env
        .create("plain.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let on_file = ChangeNotifyRequest { file_id: file, ..n };
    assert_eq!(
        status_of(&env.send(&msg(Command::CHANGE_NOTIFY, |o| on_file.encode(o)))),
        NtStatus::INVALID_PARAMETER
    );
}

#[test]
fn malformed_bodies_are_invalid_parameter() {
    let env = Env::new();
    let id = env
        .create("m.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let w = wreq(id, 0, b"data");
    let cr = CreateRequest {
        desired_access: rw(),
        disposition: CreateDisposition::OPEN_IF,
        name: "n.txt".into(),
        contexts: vec![RequestContext::QueryOnDiskId.to_raw()],
        ..CreateRequest::default()
    };
    let q = QueryInfoRequest {
        info_type: InfoType::FILE,
        info_class: FileInfoClass::BASIC.0,
        output_buffer_length: 100,
        file_id: id,
        ..QueryInfoRequest::default()
    };
    let good = [
        msg(Command::CREATE, |o| cr.encode(o)),
        msg(Command::WRITE, |o| w.encode(o)),
        msg(Command::QUERY_INFO, |o| q.encode(o)),
        msg(Command::READ, |o| {
            ReadRequest {
                length: 4,
                file_id: id,
                ..ReadRequest::default()
            }
            .encode(o)
        }),
        msg(Command::CLOSE, |o| {
            CloseRequest {
                flags: CloseFlags::empty(),
                file_id: id,
            }
            .encode(o)
        }),
        msg(Command::LOCK, |o| {
            LockRequest {
                file_id: id,
                locks: vec![LockElement {
                    offset: 0,
                    length: 1,
                    flags: LockFlags::SHARED | LockFlags::FAIL_IMMEDIATELY,
                }],
                ..LockRequest::default()
            }
            .encode(o)
        }),
    ];
    // Every truncation of a valid body is refused without a panic.
    for m in &good {
        for n in HEADER_LEN..m.len() - 1 {
            let reply = env.send(&m[..n]);
            assert_eq!(
                status_of(&reply),
                NtStatus::INVALID_PARAMETER,
                "{:?} cut at {n}",
                Header::decode(m).unwrap().command
            );
        }
    }
    // Lying offsets and lengths.
    let mut lie = msg(Command::WRITE, |o| w.encode(o));
    lie[HEADER_LEN + 4..HEADER_LEN + 8].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(status_of(&env.send(&lie)), NtStatus::INVALID_PARAMETER);
    let mut lie = msg(Command::WRITE, |o| w.encode(o));
    lie[HEADER_LEN + 2..HEADER_LEN + 4].copy_from_slice(&8u16.to_le_bytes());
    assert_eq!(status_of(&env.send(&lie)), NtStatus::INVALID_PARAMETER);
    let mut lie = msg(Command::CREATE, |o| cr.encode(o));
    // NameLength far past the end.
    lie[HEADER_LEN + 46..HEADER_LEN + 48].copy_from_slice(&0xFFF0u16.to_le_bytes());
    assert_eq!(status_of(&env.send(&lie)), NtStatus::INVALID_PARAMETER);
    let mut lie = msg(Command::CREATE, |o| cr.encode(o));
    // CreateContextsOffset inside the fixed part.
    lie[HEADER_LEN + 48..HEADER_LEN + 52].copy_from_slice(&8u32.to_le_bytes());
    assert_eq!(status_of(&env.send(&lie)), NtStatus::INVALID_PARAMETER);
    let mut lie = msg(Command::QUERY_INFO, |o| q.encode(o));
    lie[HEADER_LEN + 12..HEADER_LEN + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(status_of(&env.send(&lie)), NtStatus::INVALID_PARAMETER);
    // Trailing garbage and random bytes for every command.
    for cmd in 5u16..=0x12 {
        let mut m = msg(Command(cmd), |_| {});
        m.extend_from_slice(&[0xFF; 200]);
        let reply = env.send(&m);
        assert!(!status_of(&reply).is_success(), "command {cmd:#x}");
    }
    // An odd-length name.
    let mut odd = msg(Command::CREATE, |o| cr.encode(o));
    let len = u16::from_le_bytes([odd[HEADER_LEN + 46], odd[HEADER_LEN + 47]]);
    odd[HEADER_LEN + 46..HEADER_LEN + 48].copy_from_slice(&(len - 1).to_le_bytes());
    assert_eq!(status_of(&env.send(&odd)), NtStatus::INVALID_PARAMETER);
    // The file is still usable after all that.
    assert_eq!(env.write(id, 0, b"ok"), Ok(2));
}

#[test]
fn maximum_allowed_grants_what_the_file_allows() {
    let env = Env::new();
    let r = env
        .create_on(
            &env.disk,
            "max.txt",
            AccessMask::MAXIMUM_ALLOWED,
            CreateDisposition::CREATE,
            CreateOptions::empty(),
            vec![RequestContext::MaximalAccess { timestamp: None }.to_raw()],
        )
        .unwrap();
    let granted = env.disk.open(r.file_id).unwrap().granted;
    assert!(granted.contains(AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_DATA));
    match ResponseContext::from_raw(&r.contexts[0]).unwrap() {
        ResponseContext::MaximalAccess { access, .. } => assert_eq!(access, granted),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.write(r.file_id, 0, b"x"), Ok(1));
    // A read-only open may not write: the I/O manager checks the grant.
    let ro = env
        .open_on(
            &env.disk,
            "max.txt",
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN,
        )
        .unwrap();
    assert_eq!(env.write(ro.file_id, 0, b"y"), Err(NtStatus::ACCESS_DENIED));
}

#[test]
fn closing_a_watched_directory_ends_the_notify_with_cleanup() {
    let env = Env::new();
    let dir = env.mkdir("w");
    let n = ChangeNotifyRequest {
        flags: ChangeNotifyFlags::WATCH_TREE,
        output_buffer_length: 4096,
        file_id: dir,
        completion_filter: NotifyFilter::FILE_NAME,
    };
    let ctl = Ctl::default();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.send_on(
                &env.disk,
                &msg(Command::CHANGE_NOTIFY, |o| n.encode(o)),
                None,
                &ctl,
            )
            .0
        });
        ctl.wait_async("notify");
        env.close(dir, CloseFlags::empty()).unwrap();
        let (status, m) = body_msg(waiter.join().unwrap());
        assert_eq!(status, NtStatus::NOTIFY_CLEANUP);
        assert!(ChangeNotifyResponse::decode(&m).unwrap().buffer.is_empty());
    });
    assert_eq!(env.disk.open_count(), 0);
}

#[test]
fn dispatch_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let env = Env::new();
    let m = msg(Command::FLUSH, |o| FlushRequest::default().encode(o));
    let header = Header::decode(&m).unwrap();
    let ctl = Ctl::default();
    let fut = dispatch(FileRequest {
        io: &env.io,
        session: &env.session,
        tree: &env.disk,
        header: &header,
        msg: &m,
        frame: None,
        related_file_id: None,
        dialect: 0x0202,
        max_io: MAX_IO,
        async_control: &ctl,
        local_addr: None,
        client_guid: [0; 16],
        leases: &env.leases,
        durable: &env.durable,
    });
    assert_send(&fut);
    assert_eq!(status_of(&block_on(fut).0), NtStatus::FILE_CLOSED);
}

/// A LOCK request with the given sequence and elements (offset, length, flags).
fn locks_msg(id: FileId, seq: u32, elements: &[(u64, u64, LockFlags)]) -> Vec<u8> {
    let l = LockRequest {
        file_id: id,
        lock_sequence: lwio_smb2::lock::LockSequence::from_u32(seq),
        locks: elements
            .iter()
            .map(|&(offset, length, flags)| LockElement {
                offset,
                length,
                flags,
            })
            .collect(),
    };
    msg(Command::LOCK, |o| l.encode(o))
}

#[test]
fn unlock_elements_run_in_order_and_keep_the_earlier_unlocks() {
    let env = Env::new();
    let a = env
        .create("u.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let now = LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY;
    let unlock = LockFlags::UNLOCK;
    assert!(ok(env.send(&locks_msg(a, 0, &[(0, 1, now), (2, 1, now)]))).is_ok());
    // The unlock is done, then the lock element is refused: the unlock stays done.
    assert_eq!(
        status_of(&env.send(&locks_msg(a, 0, &[(0, 1, unlock), (2, 1, now)]))),
        NtStatus::INVALID_PARAMETER
    );
    assert!(ok(env.send(&locks_msg(a, 0, &[(0, 1, now)]))).is_ok());
    // The first element is not locked: it fails first, and nothing is unlocked.
    assert_eq!(
        status_of(&env.send(&locks_msg(a, 0, &[(9, 1, unlock), (0, 1, unlock)]))),
        NtStatus::RANGE_NOT_LOCKED
    );
    assert_eq!(
        status_of(&env.send(&locks_msg(a, 0, &[(0, 1, now)]))),
        NtStatus::LOCK_NOT_GRANTED
    );
    // UNLOCK with FAIL_IMMEDIATELY is not an unlock.
    let fi_unlock = LockFlags::UNLOCK | LockFlags::FAIL_IMMEDIATELY;
    assert_eq!(
        status_of(&env.send(&locks_msg(a, 0, &[(0, 1, fi_unlock)]))),
        NtStatus::INVALID_PARAMETER
    );
    assert!(ok(env.send(&locks_msg(a, 0, &[(0, 1, unlock), (2, 1, unlock)]))).is_ok());
}

#[test]
fn lock_sequence_replays_succeed_on_a_resilient_open_only() {
    let env = Env::new();
    let a = env
        .create("q.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let now = LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY;
    let seq = 0x011; // index 1, number 1
    assert!(ok(env.send(&locks_msg(a, seq, &[(100, 100, now)]))).is_ok());
    // Not resilient: the same sequence is performed again, and conflicts.
    assert_eq!(
        status_of(&env.send(&locks_msg(a, seq, &[(100, 100, now)]))),
        NtStatus::LOCK_NOT_GRANTED
    );
    assert!(ok(env.send(&locks_msg(a, seq, &[(100, 100, LockFlags::UNLOCK)]))).is_ok());
    env.disk.open(a).unwrap().locks.set_resilient();
    assert!(ok(env.send(&locks_msg(a, seq, &[(100, 100, now)]))).is_ok());
    // A replay (same index and number) succeeds without being performed, even an unlock.
    assert!(ok(env.send(&locks_msg(a, seq, &[(100, 100, now)]))).is_ok());
    assert!(ok(env.send(&locks_msg(a, seq, &[(100, 100, LockFlags::UNLOCK)]))).is_ok());
    // Another number is performed: still locked.
    assert_eq!(
        status_of(&env.send(&locks_msg(a, 0x012, &[(100, 100, now)]))),
        NtStatus::LOCK_NOT_GRANTED
    );
    // Index 65 is out of range and never a replay.
    let unlock65 = locks_msg(a, 0x411, &[(100, 100, LockFlags::UNLOCK)]);
    assert!(ok(env.send(&unlock65)).is_ok());
    assert_eq!(status_of(&env.send(&unlock65)), NtStatus::RANGE_NOT_LOCKED);
}

#[test]
fn closing_an_open_ends_its_waiting_lock_with_range_not_locked() {
    let env = Env::new();
    let a = env
        .create("w.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let b = env
        .create("w.txt", CreateDisposition::OPEN)
        .unwrap()
        .file_id;
    let now = LockFlags::EXCLUSIVE | LockFlags::FAIL_IMMEDIATELY;
    assert!(ok(env.send(&lock_msg(a, 0, 10, now))).is_ok());
    let ctl = Ctl::default();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.send_on(
                &env.disk,
                &lock_msg(b, 0, 10, LockFlags::EXCLUSIVE),
                None,
                &ctl,
            )
            .0
        });
        ctl.wait_async("lock");
        assert!(env.close(b, CloseFlags::empty()).is_ok());
        assert_eq!(
            status_of(&waiter.join().unwrap()),
            NtStatus::RANGE_NOT_LOCKED
        );
    });
}

#[test]
fn read_and_write_offsets_beyond_2_pow_63_are_invalid() {
    let env = Env::new();
    let a = env
        .create("o.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    let write = |offset: u64, data: &[u8]| {
        let w = wreq(a, offset, data);
        env.send(&msg(Command::WRITE, |o| w.encode(o)))
    };
    // u64::MAX is the I/O manager's "write at end of file", never an SMB2 offset.
    for offset in [u64::MAX, u64::MAX - 1, 1 << 63] {
        assert_eq!(status_of(&write(offset, b"x")), NtStatus::INVALID_PARAMETER);
    }
    assert_eq!(
        status_of(&write(i64::MAX as u64, b"x")),
        NtStatus::INVALID_PARAMETER
    );
    assert!(ok(write(i64::MAX as u64, b"")).is_ok());
    assert_eq!(env.read(a, 1 << 63, 0, 0), Err(NtStatus::INVALID_PARAMETER));
    assert_eq!(
        env.read(a, i64::MAX as u64, 1, 0),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(
        env.read(a, i64::MAX as u64 - 1, 1, 0),
        Err(NtStatus::END_OF_FILE)
    );
    assert_eq!(env.read(a, i64::MAX as u64, 0, 0), Ok(Vec::new()));
}

#[test]
fn an_open_for_no_access_is_denied_and_synchronize_alone_is_granted() {
    let env = Env::new();
    let id = env
        .create("s.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    env.close(id, CloseFlags::default()).unwrap();
    assert_eq!(
        env.open_on(
            &env.disk,
            "s.txt",
            AccessMask::NONE,
            CreateDisposition::OPEN
        )
        .unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    // SYNCHRONIZE alone is a right like any other (Windows 7 and later).
    let r = env
        .open_on(
            &env.disk,
            "s.txt",
            AccessMask::SYNCHRONIZE,
            CreateDisposition::OPEN,
        )
        .unwrap();
    let granted = env.disk.open(r.file_id).unwrap().granted;
    assert!(granted.contains(AccessMask::SYNCHRONIZE));
}

#[test]
fn maximum_allowed_with_another_right_needs_that_right_too() {
    // smbtorture's smb2.maximum_allowed: the caller owns a file whose DACL gives
    // Authenticated Users FILE_GENERIC_READ, and opens it with MAXIMUM_ALLOWED plus one
    // more bit, for each of the 32 bits. The caller is the owner of the share root (as a
    // session mapped to the server's own uid is), so the parent gives DELETE.
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::tempdir().unwrap();
    let uid = std::fs::metadata(probe.path()).unwrap().uid();
    let user = format!("S-1-22-1-{uid}").parse().unwrap();
    let au = "S-1-5-11".parse().unwrap();
    let world = "S-1-1-0".parse().unwrap();
    let env = Env::with_token(Arc::new(AccessToken::new(user).with_groups([au, world])));
    let sd: lwio_core::SecurityDescriptor = "D:(A;;FR;;;AU)".parse().unwrap();
    let r = env
        .create_on(
            &env.disk,
            "max.dat",
            AccessMask::FILE_ALL_ACCESS,
            CreateDisposition::CREATE,
            CreateOptions::empty(),
            vec![RequestContext::SecurityDescriptor(sd.encode()).to_raw()],
        )
        .unwrap();
    env.close(r.file_id, CloseFlags::default()).unwrap();
    // What the test counts as grantable: the DACL's read rights, the owner's WRITE_DAC
    // (and READ_CONTROL), DELETE through the parent, and GENERIC_READ.
    let ok_mask = AccessMask::FILE_GENERIC_READ
        | AccessMask::GENERIC_READ
        | AccessMask::DELETE
        | AccessMask::WRITE_DAC;
    for bit in 0..32 {
        let extra = AccessMask(1 << bit);
        let desired = AccessMask::MAXIMUM_ALLOWED | extra;
        let got = env
            .open_on(&env.disk, "max.dat", desired, CreateDisposition::OPEN)
            .map(|r| env.close(r.file_id, CloseFlags::default()).unwrap());
        let want = if extra == AccessMask::MAXIMUM_ALLOWED || extra.intersects(ok_mask) {
            Ok(())
        } else if extra == AccessMask::ACCESS_SYSTEM_SECURITY {
            Err(NtStatus::PRIVILEGE_NOT_HELD)
        } else {
            // GENERIC_EXECUTE lands here too: smbtorture counts it as granted ("a subset
            // of GENERIC_READ"), but FILE_GENERIC_EXECUTE holds FILE_EXECUTE, which this
            // DACL does not give, and MS-FSA 2.1.5.1.2.1 wants every bit asked for beside
            // MAXIMUM_ALLOWED granted (Samba's smbd refuses it too).
            Err(NtStatus::ACCESS_DENIED)
        };
        assert_eq!(got.map(|_| ()), want, "MAXIMUM_ALLOWED|{extra:?}");
    }
}

/// A CREATE of `name` asking for a v2 lease of `state` under `key`.
fn create_with_lease(
    env: &Env,
    ctl: &Ctl,
    name: &str,
    key: u8,
    state: lwio_smb2::oplock::LeaseState,
) -> Result<CreateResponse, NtStatus> {
    let lease = lwio_smb2::Lease {
        key: [key; 16],
        state,
        flags: Default::default(),
        duration: 0,
        v2: Some(lwio_smb2::create_context::LeaseV2 {
            parent_key: [0; 16],
            epoch: 5,
        }),
    };
    let cr = CreateRequest {
        desired_access: rw(),
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN_IF,
        name: name.into(),
        oplock_level: OplockLevel::LEASE,
        contexts: vec![RequestContext::Lease(lease).to_raw()],
        ..CreateRequest::default()
    };
    let (reply, _) = env.send_on(
        &env.disk,
        &msg(Command::CREATE, |o| cr.encode(o)),
        None,
        ctl,
    );
    ok(reply).map(|m| CreateResponse::decode(&m).unwrap())
}

/// The lease response context of a CREATE response.
fn lease_of(r: &CreateResponse) -> lwio_smb2::Lease {
    assert_eq!(r.oplock_level, OplockLevel::LEASE);
    r.contexts
        .iter()
        .find_map(|c| match ResponseContext::from_raw(c) {
            Ok(ResponseContext::Lease(l)) => Some(l),
            _ => None,
        })
        .expect("a lease response context")
}

fn lease_ack(env: &Env, key: u8, state: lwio_smb2::oplock::LeaseState) -> Reply {
    let ack = lwio_smb2::oplock::LeaseBreakAck {
        flags: 0,
        lease_key: [key; 16],
        lease_state: state,
        lease_duration: 0,
    };
    env.send(&msg(Command::OPLOCK_BREAK, |o| ack.encode(o)))
}

#[test]
fn a_lease_is_shared_by_its_key_broken_by_another_and_acknowledged() {
    use lwio_smb2::oplock::{LeaseBreakFlags, LeaseState as L};
    let env = Env::new();
    let holder = Ctl::default();
    let rwh = L::READ | L::WRITE | L::HANDLE;
    let first = create_with_lease(&env, &holder, "l.txt", 1, rwh).unwrap();
    let granted = lease_of(&first);
    assert_eq!(granted.state, rwh);
    assert_eq!(
        granted.v2.unwrap().epoch,
        6,
        "the epoch goes up with the grant"
    );
    // Another open of the same lease: no break, the same state.
    let again = create_with_lease(&env, &holder, "l.txt", 1, rwh).unwrap();
    assert_eq!(lease_of(&again).state, rwh);
    assert!(holder.breaks.1.lock().unwrap().is_empty());
    // The key names one file only.
    assert_eq!(
        create_with_lease(&env, &holder, "other.txt", 1, rwh).unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    let opener = Ctl::default();
    std::thread::scope(|scope| {
        let second = scope.spawn(|| create_with_lease(&env, &opener, "l.txt", 2, rwh));
        let start = Instant::now();
        while holder.breaks.1.lock().unwrap().is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no lease break sent"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let note = holder.breaks.1.lock().unwrap()[0];
        assert_eq!(note.lease_key, [1; 16]);
        assert_eq!(note.current_lease_state, rwh);
        assert_eq!(note.new_lease_state, L::READ | L::HANDLE);
        assert_eq!(note.flags, LeaseBreakFlags::ACK_REQUIRED);
        assert_eq!(note.new_epoch, 7);
        // The create waits for the acknowledgment, asynchronously.
        opener.wait_async("the create waiting for the lease break");
        // More than offered is not accepted; the offered state is.
        assert_eq!(
            status_of(&lease_ack(&env, 1, rwh)),
            NtStatus::REQUEST_NOT_ACCEPTED
        );
        let m = ok(lease_ack(&env, 1, L::READ | L::HANDLE)).unwrap();
        let resp = lwio_smb2::oplock::LeaseBreakAck::decode(&m).unwrap();
        assert_eq!(resp.lease_state, L::READ | L::HANDLE);
        let second = second.join().unwrap().unwrap();
        assert_eq!(lease_of(&second).state, L::READ | L::HANDLE);
    });
    // No break in progress; an unknown key.
    assert_eq!(
        status_of(&lease_ack(&env, 1, L::READ)),
        NtStatus::UNSUCCESSFUL
    );
    assert_eq!(
        status_of(&lease_ack(&env, 9, L::READ)),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
}

#[test]
fn the_lease_table_keeps_no_lease_without_opens() {
    use lwio_smb2::oplock::LeaseState as L;
    let env = Env::new();
    let ctl = Ctl::default();
    // H alone is no state a lease is granted: the lease has no caching, and no IRP in the
    // file system that would tell the server when its last open goes.
    let r = create_with_lease(&env, &ctl, "t1.txt", 5, L::HANDLE).unwrap();
    assert_eq!(lease_of(&r).state, L::empty());
    env.close(r.file_id, CloseFlags::empty()).unwrap();
    let r = create_with_lease(&env, &ctl, "t2.txt", 6, L::READ).unwrap();
    assert_eq!(lease_of(&r).state, L::READ);
    assert_eq!(env.leases.len(), 1, "the first lease went with its open");
    env.close(r.file_id, CloseFlags::empty()).unwrap();
    assert!(env.leases.is_empty(), "released with its last open");
}

#[test]
fn a_create_that_goes_away_while_it_waits_leaves_no_lease() {
    use lwio_smb2::oplock::LeaseState as L;
    use std::future::Future;
    use std::task::{Context, Waker};
    let env = Env::new();
    let holder = Ctl::default();
    let rwh = L::READ | L::WRITE | L::HANDLE;
    let r = create_with_lease(&env, &holder, "gone.txt", 1, rwh).unwrap();
    assert_eq!(lease_of(&r).state, rwh);
    assert_eq!(env.leases.len(), 1);
    // Another key's create waits for the holder's break; its request then goes away
    // unanswered, as when its connection closes.
    let cr = CreateRequest {
        desired_access: rw(),
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN_IF,
        name: "gone.txt".into(),
        oplock_level: OplockLevel::LEASE,
        contexts: vec![
            RequestContext::Lease(lwio_smb2::Lease {
                key: [2; 16],
                state: rwh,
                flags: Default::default(),
                duration: 0,
                v2: None,
            })
            .to_raw(),
        ],
        ..CreateRequest::default()
    };
    let m = msg(Command::CREATE, |o| cr.encode(o));
    let header = Header::decode(&m).unwrap();
    let opener = Ctl::default();
    {
        let mut create = std::pin::pin!(dispatch(FileRequest {
            io: &env.io,
            session: &env.session,
            tree: &env.disk,
            header: &header,
            msg: &m,
            frame: None,
            related_file_id: None,
            dialect: 0x0311,
            max_io: MAX_IO,
            async_control: &opener,
            local_addr: Some(([127, 0, 0, 1], 445).into()),
            client_guid: env.client_guid,
            leases: &env.leases,
            durable: &env.durable,
        }));
        let mut cx = Context::from_waker(Waker::noop());
        let start = Instant::now();
        while holder.breaks.1.lock().unwrap().is_empty() {
            assert!(
                create.as_mut().poll(&mut cx).is_pending(),
                "the create waits"
            );
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no lease break sent"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            env.leases.len(),
            2,
            "the waiting create's lease is in the table"
        );
    }
    assert_eq!(env.leases.len(), 1, "only the holder's lease is left");
    env.close(r.file_id, CloseFlags::empty()).unwrap();
}

/// The attributes a CLOSE with POSTQUERY_ATTRIB answers are read after the handle's
/// cleanup (MS-SMB2 3.3.5.10): a file written after its delayed last-write-time update gets
/// the time of its close (smbtorture's smb2.timestamps.delayed-2write).
#[test]
fn close_postquery_shows_the_write_time_the_cleanup_set() {
    let env = Env::new();
    let r = env.create("t.txt", CreateDisposition::OPEN_IF).unwrap();
    let id = r.file_id;
    env.write(id, 0, b"a").unwrap();
    // Past the delayed update (two seconds after the first write), then a second write.
    std::thread::sleep(Duration::from_millis(2200));
    env.write(id, 0, b"b").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let before_close = lwio_fscc::FileTime::from_system_time(std::time::SystemTime::now());
    let c = env.close(id, CloseFlags::POSTQUERY_ATTRIB).unwrap();
    assert_eq!(c.flags, CloseFlags::POSTQUERY_ATTRIB);
    assert!(
        c.times.last_write_time >= before_close.0 as u64,
        "the close's write time {} is older than the close ({})",
        c.times.last_write_time,
        before_close.0
    );
}

/// The names a QUERY_DIRECTORY of `name` on `tree` of `session` lists (opened, listed to
/// the end, closed).
fn list_as(env: &Env, session: &Arc<Session>, tree: &Arc<Tree>, name: &str) -> Vec<String> {
    let send = |m: &[u8]| env.send_as(session, tree, m, None, &Ctl::default()).0;
    let cr = CreateRequest {
        desired_access: AccessMask::FILE_LIST_DIRECTORY | AccessMask::SYNCHRONIZE,
        share_access: ShareAccess::ALL,
        disposition: CreateDisposition::OPEN,
        options: CreateOptions::DIRECTORY_FILE,
        name: name.into(),
        ..CreateRequest::default()
    };
    let m = ok(send(&msg(Command::CREATE, |o| cr.encode(o)))).unwrap();
    let id = CreateResponse::decode(&m).unwrap().file_id;
    let class = FileInfoClass::ID_BOTH_DIRECTORY;
    let mut names = Vec::new();
    loop {
        let q = QueryDirectoryRequest {
            class,
            flags: QueryDirectoryFlags::empty(),
            file_index: 0,
            file_id: id,
            pattern: "*".into(),
            // Small: the filter must go on past hidden entries, across calls.
            output_buffer_length: 200,
        };
        match ok(send(&msg(Command::QUERY_DIRECTORY, |o| q.encode(o)))) {
            Ok(m) => {
                let buf = QueryDirectoryResponse::decode(&m).unwrap().buffer;
                let entries = decode_dir_entries(class, &buf).unwrap();
                assert!(!entries.is_empty());
                names.extend(entries.into_iter().map(|e| e.file_name));
            }
            Err(NtStatus::NO_MORE_FILES) => break,
            Err(other) => panic!("listing {name}: {other}"),
        }
    }
    let c = CloseRequest {
        flags: CloseFlags::empty(),
        file_id: id,
    };
    ok(send(&msg(Command::CLOSE, |o| c.encode(o)))).unwrap();
    names.sort();
    names
}

#[test]
fn access_based_enumeration_lists_what_each_caller_may_read() {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::tempdir().unwrap();
    let uid = std::fs::metadata(probe.path()).unwrap().uid();
    let owner: lwio_core::Sid = format!("S-1-22-1-{uid}").parse().unwrap();
    let other: lwio_core::Sid = format!("S-1-22-1-{}", uid.wrapping_add(4242))
        .parse()
        .unwrap();
    let au: lwio_core::Sid = "S-1-5-11".parse().unwrap();
    let world: lwio_core::Sid = "S-1-1-0".parse().unwrap();
    let env = Env::with_token(Arc::new(AccessToken::new(owner).with_groups([au, world])));
    let abe_share = Arc::new(Share::disk("abe", "share").with_access_based_enumeration());
    assert!(abe_share.enumerates_by_access());
    let abe = env
        .session
        .add_tree(Arc::clone(&abe_share), AccessMask::FILE_ALL_ACCESS);
    let other_session = Arc::new(Session::new(
        10,
        "other".into(),
        "DOM".into(),
        Arc::new(AccessToken::new(other).with_groups([au, world])),
        [8; 16],
        false,
    ));
    let other_abe = other_session.add_tree(Arc::clone(&abe_share), AccessMask::FILE_ALL_ACCESS);
    let other_plain = other_session.add_tree(
        Arc::new(Share::disk("plain", "share")),
        AccessMask::FILE_ALL_ACCESS,
    );
    let with_sd = |name: &str, sddl: &str, options: CreateOptions| {
        let sd: lwio_core::SecurityDescriptor = sddl.parse().unwrap();
        let r = env
            .create_on(
                &env.disk,
                name,
                AccessMask::FILE_ALL_ACCESS,
                CreateDisposition::CREATE,
                options,
                vec![RequestContext::SecurityDescriptor(sd.encode()).to_raw()],
            )
            .unwrap();
        env.close(r.file_id, CloseFlags::default()).unwrap();
    };
    // A directory everyone may list, holding entries for everyone, for the owner alone,
    // and ones that lack one of the rights a listing needs.
    with_sd("pub", "D:(A;;FA;;;WD)", CreateOptions::DIRECTORY_FILE);
    with_sd(
        "pub\\everyone.txt",
        "D:(A;;FR;;;WD)",
        CreateOptions::empty(),
    );
    with_sd(
        "pub\\everyone_dir",
        "D:(A;;FR;;;WD)",
        CreateOptions::DIRECTORY_FILE,
    );
    with_sd(
        "pub\\owner.txt",
        &format!("D:(A;;FA;;;{owner})"),
        CreateOptions::empty(),
    );
    // FILE_GENERIC_READ without FILE_READ_EA, without FILE_READ_ATTRIBUTES, without
    // FILE_READ_DATA: hidden from everyone, the owner too (smb2.acls.ACCESSBASED).
    for (name, mask) in [
        ("no_ea.txt", 0x0012_0081u32),
        ("no_attr.txt", 0x0012_0009),
        ("no_data.txt", 0x0012_0088),
    ] {
        with_sd(
            &format!("pub\\{name}"),
            &format!("D:(A;;0x{mask:08x};;;WD)"),
            CreateOptions::empty(),
        );
    }
    for i in 0..20 {
        with_sd(
            &format!("pub\\hidden{i:02}.txt"),
            &format!("D:(A;;FA;;;{owner})"),
            CreateOptions::empty(),
        );
    }
    let mut hidden: Vec<String> = (0..20).map(|i| format!("hidden{i:02}.txt")).collect();
    let everyone = ["everyone.txt", "everyone_dir"];
    // The other user, on the access-based share: only what it may read.
    let mut want: Vec<String> = [".", ".."]
        .iter()
        .chain(&everyone)
        .map(|s| s.to_string())
        .collect();
    want.sort();
    assert_eq!(list_as(&env, &other_session, &other_abe, "pub"), want);
    // The same user, on a share without it: everything.
    let all = list_as(&env, &other_session, &other_plain, "pub");
    assert_eq!(all.len(), 2 + 2 + 1 + 3 + 20, "{all:?}");
    // The owner, on the access-based share: its own files too.
    let mut want_owner = want.clone();
    want_owner.push("owner.txt".into());
    want_owner.append(&mut hidden);
    want_owner.sort();
    assert_eq!(list_as(&env, &env.session, &abe, "pub"), want_owner);
}

#[test]
fn dot_and_dot_dot_in_create_names_collapse_inside_the_share() {
    let env = Env::new();
    let d = env.mkdir("d");
    env.close(d, CloseFlags::empty()).unwrap();
    let f = env
        .create("d\\f.txt", CreateDisposition::CREATE)
        .unwrap()
        .file_id;
    env.write(f, 0, b"in d").unwrap();
    env.close(f, CloseFlags::empty()).unwrap();
    let read_of = |name: &str| {
        let id = env.create(name, CreateDisposition::OPEN)?.file_id;
        let data = env.read(id, 0, 16, 0);
        env.close(id, CloseFlags::empty()).unwrap();
        data
    };
    // Resolved as text: `x` need not exist.
    for name in [
        "d\\f.txt",
        "d\\.\\f.txt",
        "d\\x\\..\\f.txt",
        ".\\d\\f.txt",
        "d/x/../f.txt",
        "d\\x\\y\\..\\..\\f.txt",
    ] {
        assert_eq!(read_of(name).as_deref(), Ok(&b"in d"[..]), "{name}");
    }
    // `d\sub\..` is `d` (smb2.notify.tree opens such a name), `d\..` the share root.
    let sub = env.mkdir("d\\sub");
    env.close(sub, CloseFlags::empty()).unwrap();
    let names = |name: &str| list_as(&env, &env.session, &env.disk, name);
    assert_eq!(names("d\\sub\\.."), vec![".", "..", "f.txt", "sub"]);
    assert!(names("d\\..").contains(&"d".to_string()));
    // Anything that climbs above the share root is a syntax error of the path.
    for name in [
        "..",
        "..\\d",
        "d\\..\\..",
        "d\\..\\..\\d\\f.txt",
        ".\\..",
        "d/../..",
        "d\\sub\\..\\..\\..\\etc",
    ] {
        assert_eq!(
            env.create(name, CreateDisposition::OPEN_IF).map(|_| ()),
            Err(NtStatus::OBJECT_PATH_SYNTAX_BAD),
            "{name}"
        );
    }
    // A leading backslash stays a malformed request, dots or not (MS-SMB2 3.3.5.9).
    for name in ["\\..", "\\d\\..\\d"] {
        assert_eq!(
            env.create(name, CreateDisposition::OPEN).map(|_| ()),
            Err(NtStatus::INVALID_PARAMETER),
            "{name}"
        );
    }
    // Empty components beside dots are not guessed at; dot-like names are no dots.
    assert_eq!(
        env.create("d\\\\..", CreateDisposition::OPEN).map(|_| ()),
        Err(NtStatus::OBJECT_NAME_INVALID)
    );
    assert!(env.create("d\\...", CreateDisposition::OPEN).is_err());
    // Spellings that are no dot components reach PVFS as they are, and its jail refuses
    // what it cannot take as a name: stream syntax on a dot, a dot left in a path.
    for name in [
        "..::$DATA",
        "..:s",
        "d\\..::$DATA",
        "d\\..:s:$DATA",
        "d\\..\\..::$DATA",
        "d\\sub\\..\\..\\..:x",
    ] {
        let got = env.create(name, CreateDisposition::OPEN_IF).map(|_| ());
        assert!(
            matches!(
                got,
                Err(NtStatus::OBJECT_PATH_SYNTAX_BAD | NtStatus::OBJECT_NAME_INVALID)
            ),
            "{name}: {got:?}"
        );
    }
    // Nothing was created outside the share, and the names above made nothing inside it.
    assert!(!env.dir.path().parent().unwrap().join("etc").exists());
    assert_eq!(names(""), vec![".", "..", "d"]);
}
