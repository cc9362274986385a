//! End-to-end tests of the named-pipe driver through the I/O manager.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use lwio_core::irp::{ControlRequest, ReadRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateAction, CreateDisposition, CreateRequest, FileHandle,
    FileInfoClass, IoManager, IrpFuture, IrpRequest, IrpResult, NtStatus, Sid, block_on,
};
use lwio_npfs::{
    CompletionMode, FSCTL_LWIO_PIPE_GET_CLIENT_INFO, FSCTL_PIPE_DISCONNECT, FSCTL_PIPE_LISTEN,
    FSCTL_PIPE_PEEK, FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_WAIT, NamedPipeEnd, NamedPipeState, Npfs,
    NpfsDevice, PipeClientInfo, PipeCreateParams, PipeInformation, PipeLocalInformation,
    PipePeekReply, PipeType, PipeWaitRequest, ReadMode, query_client_info,
};

struct Env {
    io: IoManager,
    dev: NpfsDevice,
    token: Arc<AccessToken>,
}

fn env() -> Env {
    let io = IoManager::new();
    let dev = NpfsDevice::default();
    io.add_device("npfs", Arc::new(Npfs::new()), dev.clone())
        .unwrap();
    Env {
        io,
        dev,
        token: Arc::new(AccessToken::system()),
    }
}

const RW: AccessMask = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);

impl Env {
    fn server(&self, name: &str, params: PipeCreateParams) -> Result<FileHandle, NtStatus> {
        let request =
            CreateRequest::new(Arc::clone(&self.token), RW, CreateDisposition::OPEN_IF).ecp(params);
        block_on(self.io.create_file(&format!("/npfs/{name}"), request))
    }

    fn client(&self, name: &str) -> Result<FileHandle, NtStatus> {
        let request = CreateRequest::new(Arc::clone(&self.token), RW, CreateDisposition::OPEN);
        block_on(self.io.create_file(&format!("/npfs/{name}"), request))
    }

    fn root(&self) -> FileHandle {
        let request = CreateRequest::new(Arc::clone(&self.token), RW, CreateDisposition::OPEN);
        block_on(self.io.create_file("/npfs", request)).unwrap()
    }

    fn pending(&self) -> usize {
        self.io.rundown().pending_irps
    }
}

fn read(h: &FileHandle, length: u32) -> IrpFuture {
    h.call(IrpRequest::Read(ReadRequest {
        offset: 0,
        length,
        key: None,
    }))
}

fn fsctl(h: &FileHandle, code: u32, input: Vec<u8>, max_output: u32) -> IrpFuture {
    h.call(IrpRequest::FsControl(ControlRequest {
        code,
        input: input.into(),
        max_output,
    }))
}

fn status(f: IrpFuture) -> NtStatus {
    f.wait().status
}

fn done(f: IrpFuture) -> IrpResult {
    assert!(!f.is_pending(), "expected an immediate completion");
    f.wait()
}

fn write(h: &FileHandle, data: &[u8]) -> NtStatus {
    match block_on(h.write(0, data.to_vec())) {
        Ok(n) => {
            assert_eq!(n, data.len() as u64);
            NtStatus::SUCCESS
        }
        Err(status) => status,
    }
}

fn set_modes(h: &FileHandle, read_mode: ReadMode, completion_mode: CompletionMode) -> NtStatus {
    let info = PipeInformation {
        read_mode,
        completion_mode,
    };
    match block_on(h.set_information(FileInfoClass::PIPE, info.encode())) {
        Ok(()) => NtStatus::SUCCESS,
        Err(status) => status,
    }
}

fn local_info(h: &FileHandle) -> PipeLocalInformation {
    let buf = block_on(h.query_information(FileInfoClass::PIPE_LOCAL, 40)).unwrap();
    PipeLocalInformation::decode(&buf).unwrap()
}

#[test]
fn byte_pipe_both_directions() {
    let env = env();
    let server = env.server("bytes", PipeCreateParams::byte()).unwrap();
    assert_eq!(server.create_action(), CreateAction::CREATED);
    let client = env.client("BYTES").unwrap();
    assert_eq!(write(&client, b"hello "), NtStatus::SUCCESS);
    assert_eq!(write(&client, b""), NtStatus::SUCCESS);
    assert_eq!(write(&client, b"world"), NtStatus::SUCCESS);
    // Byte mode reads cross write boundaries.
    assert_eq!(block_on(server.read(0, 8)).unwrap(), b"hello wo");
    assert_eq!(block_on(server.read(0, 100)).unwrap(), b"rld");
    assert_eq!(write(&server, b"back"), NtStatus::SUCCESS);
    assert_eq!(block_on(client.read(0, 2)).unwrap(), b"ba");
    assert_eq!(block_on(client.read(0, 2)).unwrap(), b"ck");
    // A byte pipe cannot be read in message mode.
    assert_eq!(
        set_modes(&client, ReadMode::Message, CompletionMode::Queue),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(env.pending(), 0);
}

#[test]
fn message_pipe_keeps_boundaries_and_splits_long_messages() {
    let env = env();
    let server = env.server("msg", PipeCreateParams::message()).unwrap();
    let client = env.client("msg").unwrap();
    assert_eq!(
        set_modes(&client, ReadMode::Message, CompletionMode::Queue),
        NtStatus::SUCCESS
    );
    write(&client, b"first message");
    write(&client, b"");
    write(&client, b"second");
    let r = done(read(&server, 5));
    assert_eq!(
        (r.status, &r.output[..]),
        (NtStatus::BUFFER_OVERFLOW, &b"first"[..])
    );
    let r = done(read(&server, 100));
    assert_eq!(
        (r.status, &r.output[..]),
        (NtStatus::SUCCESS, &b" message"[..])
    );
    let r = done(read(&server, 100));
    assert_eq!((r.status, r.output.len()), (NtStatus::SUCCESS, 0));
    let r = done(read(&server, 100));
    assert_eq!(
        (r.status, &r.output[..]),
        (NtStatus::SUCCESS, &b"second"[..])
    );
    // Server to client, with the client in message mode.
    write(&server, b"abc");
    write(&server, b"defg");
    let r = done(read(&client, 2));
    assert_eq!(
        (r.status, &r.output[..]),
        (NtStatus::BUFFER_OVERFLOW, &b"ab"[..])
    );
    assert_eq!(done(read(&client, 10)).output, b"c");
    // Back to byte mode: reads run across messages.
    write(&server, b"hij");
    set_modes(&client, ReadMode::Byte, CompletionMode::Queue);
    assert_eq!(done(read(&client, 10)).output, b"defghij");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_read_completes_from_a_write_on_another_task() {
    let env = env();
    let server = env.server("later", PipeCreateParams::message()).unwrap();
    let client = env.client("later").unwrap();
    let reader = read(&client, 64);
    assert!(reader.is_pending());
    assert_eq!(env.pending(), 1);
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        server.write(0, &b"late reply"[..]).await.unwrap();
        server
    });
    let result = reader.await;
    assert_eq!(
        (result.status, &result.output[..]),
        (NtStatus::SUCCESS, &b"late reply"[..])
    );
    let server = writer.await.unwrap();
    // And the other way round, through the typed handle methods.
    let (got, ()) = tokio::join!(server.read(0, 64), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        client.write(0, &b"ping"[..]).await.unwrap();
    });
    assert_eq!(got.unwrap(), b"ping");
    assert_eq!(env.pending(), 0);
}

#[test]
fn transceive_round_trip_and_its_errors() {
    let env = env();
    let server = env.server("rpc", PipeCreateParams::message()).unwrap();
    let client = env.client("rpc").unwrap();
    // The client is in byte read mode until it asks for message mode.
    let r = done(fsctl(&client, FSCTL_PIPE_TRANSCEIVE, b"x".to_vec(), 10));
    assert_eq!(r.status, NtStatus::INVALID_PIPE_STATE);
    set_modes(&client, ReadMode::Message, CompletionMode::Queue);
    let call = fsctl(&client, FSCTL_PIPE_TRANSCEIVE, b"request".to_vec(), 4);
    assert!(call.is_pending());
    assert_eq!(done(read(&server, 100)).output, b"request");
    write(&server, b"response");
    let r = call.wait();
    assert_eq!(
        (r.status, &r.output[..]),
        (NtStatus::BUFFER_OVERFLOW, &b"resp"[..])
    );
    assert_eq!(done(read(&client, 100)).output, b"onse");
    // Unread data on the caller's side: STATUS_PIPE_BUSY.
    write(&server, b"unsolicited");
    let r = done(fsctl(&client, FSCTL_PIPE_TRANSCEIVE, b"y".to_vec(), 10));
    assert_eq!(r.status, NtStatus::PIPE_BUSY);
    done(read(&client, 100));
    // A reply that comes back synchronously from a pending server read.
    let server_read = read(&server, 100);
    assert!(server_read.is_pending());
    let call = fsctl(&client, FSCTL_PIPE_TRANSCEIVE, b"two".to_vec(), 100);
    assert_eq!(server_read.wait().output, b"two");
    write(&server, b"2");
    assert_eq!(call.wait().output, b"2");
    // Byte pipes do not transceive.
    let bytes = env.server("bytes", PipeCreateParams::byte()).unwrap();
    let bclient = env.client("bytes").unwrap();
    let r = done(fsctl(&bclient, FSCTL_PIPE_TRANSCEIVE, b"x".to_vec(), 10));
    assert_eq!(r.status, NtStatus::INVALID_PIPE_STATE);
    drop(bytes);
    assert_eq!(env.pending(), 0);
}

#[test]
fn peek_reports_without_consuming() {
    let env = env();
    let server = env.server("peek", PipeCreateParams::message()).unwrap();
    let client = env.client("peek").unwrap();
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 64));
    let reply = PipePeekReply::decode(&r.output).unwrap();
    assert_eq!(r.status, NtStatus::SUCCESS);
    assert_eq!(
        (reply.state, reply.read_data_available),
        (NamedPipeState::Connected, 0)
    );
    write(&client, b"0123456789");
    write(&client, b"ab");
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 16 + 4));
    assert_eq!(r.status, NtStatus::BUFFER_OVERFLOW);
    let reply = PipePeekReply::decode(&r.output).unwrap();
    assert_eq!(reply.read_data_available, 12);
    assert_eq!(reply.number_of_messages, 2);
    assert_eq!(reply.message_length, 10);
    assert_eq!(reply.data, b"0123");
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 100));
    assert_eq!(r.status, NtStatus::SUCCESS);
    assert_eq!(
        PipePeekReply::decode(&r.output).unwrap().data,
        b"0123456789"
    );
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 15));
    assert_eq!(r.status, NtStatus::BUFFER_TOO_SMALL);
    // Nothing was consumed.
    assert_eq!(done(read(&server, 100)).output, b"0123456789");
    assert_eq!(done(read(&server, 100)).output, b"ab");
    // After the client closes: remaining data is peekable in the closing state, then broken.
    write(&client, b"last");
    drop(client);
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 100));
    let reply = PipePeekReply::decode(&r.output).unwrap();
    assert_eq!(
        (reply.state, &reply.data[..]),
        (NamedPipeState::Closing, &b"last"[..])
    );
    done(read(&server, 100));
    let r = done(fsctl(&server, FSCTL_PIPE_PEEK, Vec::new(), 100));
    assert_eq!(r.status, NtStatus::PIPE_BROKEN);
    // A byte pipe peeks across writes and reports no messages.
    let bserver = env.server("bpeek", PipeCreateParams::byte()).unwrap();
    let bclient = env.client("bpeek").unwrap();
    write(&bclient, b"abc");
    write(&bclient, b"def");
    let r = done(fsctl(&bserver, FSCTL_PIPE_PEEK, Vec::new(), 16 + 5));
    assert_eq!(r.status, NtStatus::SUCCESS);
    let reply = PipePeekReply::decode(&r.output).unwrap();
    assert_eq!((reply.number_of_messages, reply.message_length), (0, 0));
    assert_eq!(
        (reply.read_data_available, &reply.data[..]),
        (6, &b"abcde"[..])
    );
}

#[test]
fn listen_pends_until_a_client_arrives() {
    let env = env();
    let server = env.server("listen", PipeCreateParams::message()).unwrap();
    let listen = fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    assert!(listen.is_pending());
    // Reads and writes on a listening server end fail.
    assert_eq!(done(read(&server, 1)).status, NtStatus::PIPE_LISTENING);
    assert_eq!(write(&server, b"x"), NtStatus::PIPE_LISTENING);
    assert_eq!(local_info(&server).state, NamedPipeState::Listening);
    let client = env.client("listen").unwrap();
    assert_eq!(listen.wait().status, NtStatus::SUCCESS);
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::PIPE_CONNECTED
    );
    // A client that connects before the listen: the listen says PIPE_CONNECTED.
    let second = env.server("listen", PipeCreateParams::message()).unwrap();
    assert_eq!(second.create_action(), CreateAction::OPENED);
    let client2 = env.client("listen").unwrap();
    assert_eq!(
        status(fsctl(&second, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::PIPE_CONNECTED
    );
    // Listens and disconnects are server operations.
    assert_eq!(
        status(fsctl(&client, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::ILLEGAL_FUNCTION
    );
    assert_eq!(
        status(fsctl(&client2, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::ILLEGAL_FUNCTION
    );
    assert_eq!(
        status(fsctl(&client, 0x0011_0030, Vec::new(), 0)),
        NtStatus::INVALID_DEVICE_REQUEST
    );
    // A non-blocking server end does not wait for a client.
    let nb = env
        .server(
            "nb",
            PipeCreateParams::message().completion_mode(CompletionMode::Complete),
        )
        .unwrap();
    assert_eq!(
        status(fsctl(&nb, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::PIPE_LISTENING
    );
    assert_eq!(env.pending(), 0);
}

#[test]
fn wait_for_an_instance_with_timeouts() {
    let env = env();
    let root = env.root();
    let wait = |name: &str, timeout: Option<Duration>| {
        fsctl(
            &root,
            FSCTL_PIPE_WAIT,
            PipeWaitRequest::new(name, timeout).encode(),
            0,
        )
    };
    assert_eq!(
        status(wait("nothing", None)),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    let server = env
        .server(
            "waited",
            PipeCreateParams::message().default_timeout(Some(Duration::from_millis(20))),
        )
        .unwrap();
    // Listening now: at once.
    assert_eq!(
        status(wait("WAITED", Some(Duration::from_secs(5)))),
        NtStatus::SUCCESS
    );
    let _client = env.client("waited").unwrap();
    // Busy: times out after the given time, or the pipe's default.
    let start = Instant::now();
    let w = wait("waited", Some(Duration::from_millis(60)));
    assert!(w.is_pending());
    assert_eq!(w.wait().status, NtStatus::IO_TIMEOUT);
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(status(wait("waited", None)), NtStatus::IO_TIMEOUT);
    assert_eq!(
        status(wait("waited", Some(Duration::ZERO))),
        NtStatus::IO_TIMEOUT
    );
    // Busy, then a new instance listens: the wait succeeds well before its timeout.
    let start = Instant::now();
    let w = wait("waited", Some(Duration::from_secs(30)));
    assert!(w.is_pending());
    let second = env.server("waited", PipeCreateParams::message()).unwrap();
    assert_eq!(w.wait().status, NtStatus::SUCCESS);
    assert!(start.elapsed() < Duration::from_secs(10));
    // The wait also works on a pipe handle, and after disconnect + listen.
    let _client2 = env.client("waited").unwrap();
    let w = fsctl(
        &second,
        FSCTL_PIPE_WAIT,
        PipeWaitRequest::new("waited", Some(Duration::from_secs(30))).encode(),
        0,
    );
    assert!(w.is_pending());
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::SUCCESS
    );
    assert!(w.is_pending());
    let listen = fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    assert_eq!(w.wait().status, NtStatus::SUCCESS);
    // A malformed request.
    assert_eq!(
        status(fsctl(&root, FSCTL_PIPE_WAIT, vec![1, 2, 3], 0)),
        NtStatus::INVALID_PARAMETER
    );
    // Root handles take no other FSCTL.
    assert_eq!(
        status(fsctl(&root, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::INVALID_DEVICE_REQUEST
    );
    drop(listen);
    assert_eq!(env.pending(), 0);
}

#[test]
fn wait_ends_when_the_last_instance_goes_and_can_be_cancelled() {
    let env = env();
    let root = env.root();
    let server = env.server("going", PipeCreateParams::message()).unwrap();
    let client = env.client("going").unwrap();
    let request = PipeWaitRequest::new("going", Some(Duration::from_secs(30))).encode();
    let w1 = fsctl(&root, FSCTL_PIPE_WAIT, request.clone(), 0);
    let w2 = fsctl(&root, FSCTL_PIPE_WAIT, request, 0);
    assert_eq!(env.pending(), 2);
    assert_eq!(root.cancel(), 2);
    assert_eq!(w1.wait().status, NtStatus::CANCELLED);
    assert_eq!(w2.wait().status, NtStatus::CANCELLED);
    let w = fsctl(
        &root,
        FSCTL_PIPE_WAIT,
        PipeWaitRequest::new("going", Some(Duration::from_secs(30))).encode(),
        0,
    );
    drop(server);
    assert!(w.is_pending());
    drop(client);
    assert_eq!(w.wait().status, NtStatus::OBJECT_NAME_NOT_FOUND);
    assert!(env.dev.pipe_names().is_empty());
    assert_eq!(env.pending(), 0);
}

#[test]
fn instance_limits_and_settings() {
    let env = env();
    let params = PipeCreateParams::message().max_instances(2);
    let a = env.server("lim", params).unwrap();
    let _b = env.server("LIM", params).unwrap();
    assert_eq!(
        env.server("lim", params).unwrap_err(),
        NtStatus::INSTANCE_NOT_AVAILABLE
    );
    assert_eq!(env.dev.instance_count("lim"), 2);
    // Settings must agree with the first instance.
    assert_eq!(
        env.server("lim", PipeCreateParams::message().max_instances(3))
            .unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(
        env.server("lim", PipeCreateParams::byte().max_instances(2))
            .unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    // FILE_FLAG_FIRST_PIPE_INSTANCE: disposition CREATE on an existing name.
    let create =
        CreateRequest::new(Arc::clone(&env.token), RW, CreateDisposition::CREATE).ecp(params);
    assert_eq!(
        block_on(env.io.create_file("/npfs/lim", create)).unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    let open = CreateRequest::new(Arc::clone(&env.token), RW, CreateDisposition::OPEN).ecp(params);
    assert_eq!(
        block_on(env.io.create_file("/npfs/absent", open)).unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    assert_eq!(
        env.server("bad", PipeCreateParams::byte().read_mode(ReadMode::Message))
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        env.server("bad", PipeCreateParams::message().max_instances(0))
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    // A slot comes back when an instance is gone.
    drop(a);
    assert_eq!(env.dev.instance_count("lim"), 1);
    let _c = env.server("lim", params).unwrap();
}

#[test]
fn busy_and_missing_pipes() {
    let env = env();
    assert_eq!(
        env.client("none").unwrap_err(),
        NtStatus::OBJECT_NAME_NOT_FOUND
    );
    let _s1 = env.server("busy", PipeCreateParams::message()).unwrap();
    let _s2 = env.server("busy", PipeCreateParams::message()).unwrap();
    let _c1 = env.client("busy").unwrap();
    let _c2 = env.client("busy").unwrap();
    assert_eq!(
        env.client("busy").unwrap_err(),
        NtStatus::PIPE_NOT_AVAILABLE
    );
}

#[test]
fn names_root_and_case() {
    let env = env();
    let root = env.root();
    assert_eq!(
        env.client("a/b").unwrap_err(),
        NtStatus::OBJECT_NAME_INVALID
    );
    assert_eq!(
        env.client("a\\b").unwrap_err(),
        NtStatus::OBJECT_NAME_INVALID
    );
    assert_eq!(
        env.client("tab\there").unwrap_err(),
        NtStatus::OBJECT_NAME_INVALID
    );
    assert_eq!(
        env.server("", PipeCreateParams::message()).unwrap_err(),
        NtStatus::OBJECT_NAME_INVALID
    );
    let _s = env
        .server("MixedCase", PipeCreateParams::message())
        .unwrap();
    assert_eq!(env.dev.pipe_names(), vec!["mixedcase".to_string()]);
    let _c = env.client("mIXEDcASE").unwrap();
    assert_eq!(
        done(read(&root, 1)).status,
        NtStatus::INVALID_DEVICE_REQUEST
    );
    let std = block_on(root.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    assert_eq!(std[21], 1, "the root is a directory");
}

#[test]
fn disconnect_and_close_statuses() {
    let env = env();
    let server = env.server("life", PipeCreateParams::message()).unwrap();
    let client = env.client("life").unwrap();
    // Server closes: the client reads what is left, then PIPE_BROKEN; writes PIPE_CLOSING.
    write(&server, b"bye");
    let pending_server_read = read(&server, 10);
    drop(server);
    assert_eq!(pending_server_read.wait().status, NtStatus::CANCELLED);
    assert_eq!(local_info(&client).state, NamedPipeState::Closing);
    assert_eq!(done(read(&client, 10)).output, b"bye");
    assert_eq!(done(read(&client, 10)).status, NtStatus::PIPE_BROKEN);
    assert_eq!(write(&client, b"x"), NtStatus::PIPE_CLOSING);
    assert_eq!(env.dev.instance_count("life"), 1);
    drop(client);
    assert_eq!(env.dev.instance_count("life"), 0);

    // Client closes: a pending server read completes PIPE_BROKEN.
    let server = env.server("life", PipeCreateParams::message()).unwrap();
    let client = env.client("life").unwrap();
    let server_read = read(&server, 10);
    assert!(server_read.is_pending());
    drop(client);
    assert_eq!(server_read.wait().status, NtStatus::PIPE_BROKEN);
    assert_eq!(write(&server, b"x"), NtStatus::PIPE_CLOSING);
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0)),
        NtStatus::PIPE_CLOSING
    );

    // Disconnect, listen again, and a new client; the old client stays disconnected.
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::PIPE_DISCONNECTED
    );
    assert_eq!(done(read(&server, 1)).status, NtStatus::PIPE_DISCONNECTED);
    assert_eq!(local_info(&server).state, NamedPipeState::Disconnected);
    assert_eq!(
        env.client("life").unwrap_err(),
        NtStatus::PIPE_NOT_AVAILABLE
    );
    let listen = fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    let old = env.client("life").unwrap();
    assert_eq!(listen.wait().status, NtStatus::SUCCESS);
    write(&server, b"queued");
    let old_read = read(&old, 100);
    assert_eq!(old_read.wait().output, b"queued");
    let old_read = read(&old, 100);
    assert!(old_read.is_pending());
    let server_read = read(&server, 100);
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(old_read.wait().status, NtStatus::PIPE_DISCONNECTED);
    assert_eq!(server_read.wait().status, NtStatus::PIPE_DISCONNECTED);
    assert_eq!(done(read(&old, 1)).status, NtStatus::PIPE_DISCONNECTED);
    assert_eq!(write(&old, b"x"), NtStatus::PIPE_DISCONNECTED);
    let listen = fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    let new = env.client("life").unwrap();
    assert_eq!(listen.wait().status, NtStatus::SUCCESS);
    write(&new, b"fresh");
    assert_eq!(done(read(&old, 1)).status, NtStatus::PIPE_DISCONNECTED);
    assert_eq!(done(read(&server, 100)).output, b"fresh");
    // The old handle's close does not touch the new connection.
    drop(old);
    write(&server, b"still");
    assert_eq!(done(read(&new, 100)).output, b"still");
    // Disconnecting a listening instance fails its pending listen.
    drop(new);
    fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0).wait();
    let listen = fsctl(&server, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    assert_eq!(
        status(fsctl(&server, FSCTL_PIPE_DISCONNECT, Vec::new(), 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(listen.wait().status, NtStatus::PIPE_DISCONNECTED);
    drop(server);
    assert!(env.dev.pipe_names().is_empty());
    assert_eq!(env.pending(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_reads_cancel() {
    let env = env();
    let server = env.server("cancel", PipeCreateParams::message()).unwrap();
    let client = env.client("cancel").unwrap();
    // cancel_file.
    let r = read(&client, 10);
    assert!(r.is_pending());
    assert_eq!(env.io.cancel_file(&client), 1);
    assert_eq!(r.await.status, NtStatus::CANCELLED);
    assert_eq!(env.pending(), 0);
    // Dropping the future.
    let fut = client.read(0, 10);
    assert_eq!(env.pending(), 1);
    drop(fut);
    assert_eq!(env.pending(), 0);
    // A pending listen is cancelled by closing its handle.
    let lone = env.server("lone", PipeCreateParams::message()).unwrap();
    let listen = fsctl(&lone, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    assert!(listen.is_pending());
    assert_eq!(lone.close().await, NtStatus::SUCCESS);
    assert_eq!(listen.await.status, NtStatus::CANCELLED);
    // A cancelled read does not eat later data.
    let fut = server.read(0, 10);
    drop(fut);
    client.write(0, &b"kept"[..]).await.unwrap();
    assert_eq!(server.read(0, 10).await.unwrap(), b"kept");
    // Non-blocking mode: an empty pipe is PIPE_EMPTY.
    assert_eq!(
        set_modes(&client, ReadMode::Byte, CompletionMode::Complete),
        NtStatus::SUCCESS
    );
    assert_eq!(client.read(0, 10).await.unwrap_err(), NtStatus::PIPE_EMPTY);
    assert_eq!(env.pending(), 0);
}

#[test]
fn client_identity_reaches_the_server() {
    let env = env();
    let server = env.server("lsarpc", PipeCreateParams::message()).unwrap();
    assert_eq!(
        block_on(query_client_info(&server)).unwrap_err(),
        NtStatus::PIPE_LISTENING
    );
    let user: Sid = "S-1-5-21-1-2-3-1104".parse().unwrap();
    let token = Arc::new(AccessToken::new(user));
    let info = PipeClientInfo::new(Arc::clone(&token))
        .session_key(vec![0xAA; 16])
        .peer_address("192.0.2.7:50123".parse().unwrap())
        .client_computer("WKS7");
    let request =
        CreateRequest::new(Arc::clone(&token), RW, CreateDisposition::OPEN).ecp(info.clone());
    let client = block_on(env.io.create_file("/npfs/lsarpc", request)).unwrap();
    let seen = block_on(query_client_info(&server)).unwrap();
    assert_eq!(seen, info);
    assert_eq!(seen.token.user, user);
    // Too small an output buffer.
    let r = done(fsctl(
        &server,
        FSCTL_LWIO_PIPE_GET_CLIENT_INFO,
        Vec::new(),
        8,
    ));
    assert_eq!(r.status, NtStatus::BUFFER_TOO_SMALL);
    // Not on a client handle.
    assert_eq!(
        block_on(query_client_info(&client)).unwrap_err(),
        NtStatus::ILLEGAL_FUNCTION
    );
    // Without the ECP the server sees the opener's token.
    let other = env.server("lsarpc", PipeCreateParams::message()).unwrap();
    let _local = env.client("lsarpc").unwrap();
    let seen = block_on(query_client_info(&other)).unwrap();
    assert_eq!(*seen.token, AccessToken::system());
    assert!(seen.session_key.is_empty() && seen.peer_address.is_none());
}

#[test]
fn information_classes() {
    let env = env();
    let params = PipeCreateParams::message().max_instances(4);
    let server = env.server("info", params).unwrap();
    let client = env.client("info").unwrap();
    write(&client, b"12345");
    let local = local_info(&server);
    assert_eq!(local.pipe_type, PipeType::Message);
    assert_eq!((local.maximum_instances, local.current_instances), (4, 1));
    assert_eq!(
        (local.read_data_available, local.state),
        (5, NamedPipeState::Connected)
    );
    assert_eq!(local.end, NamedPipeEnd::Server);
    let local = local_info(&client);
    assert_eq!(local.end, NamedPipeEnd::Client);
    assert_eq!(local.write_quota_available, params.in_quota - 5);
    let pipe = block_on(server.query_information(FileInfoClass::PIPE, 8)).unwrap();
    assert_eq!(
        PipeInformation::decode(&pipe).unwrap(),
        PipeInformation {
            read_mode: ReadMode::Message,
            completion_mode: CompletionMode::Queue
        }
    );
    let pipe = block_on(client.query_information(FileInfoClass::PIPE, 8)).unwrap();
    assert_eq!(
        PipeInformation::decode(&pipe).unwrap().read_mode,
        ReadMode::Byte
    );
    let std = block_on(server.query_information(FileInfoClass::STANDARD, 24)).unwrap();
    assert_eq!(u64::from_le_bytes(std[8..16].try_into().unwrap()), 5);
    assert_eq!(std[21], 0);
    assert_eq!(
        block_on(server.query_information(FileInfoClass::PIPE_LOCAL, 39)).unwrap_err(),
        NtStatus::INFO_LENGTH_MISMATCH
    );
    assert_eq!(
        block_on(server.query_information(FileInfoClass::POSITION, 100)).unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        block_on(server.set_information(FileInfoClass::PIPE, vec![1, 0, 0])).unwrap_err(),
        NtStatus::INFO_LENGTH_MISMATCH
    );
    assert_eq!(
        block_on(server.set_information(FileInfoClass::END_OF_FILE, vec![0; 8])).unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(block_on(server.flush()), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_completes_everything_pending() {
    let env = env();
    let root = env.root();
    let server = env.server("down", PipeCreateParams::message()).unwrap();
    let client = env.client("down").unwrap();
    let lone = env.server("lone", PipeCreateParams::message()).unwrap();
    // The manager cancels each file's IRPs before closing it, in the order of creation: the
    // server's read is cancelled (a read on the client could see the server close first).
    let r = read(&server, 10);
    let l = fsctl(&lone, FSCTL_PIPE_LISTEN, Vec::new(), 0);
    let w = fsctl(
        &root,
        FSCTL_PIPE_WAIT,
        PipeWaitRequest::new("down", Some(Duration::from_secs(60))).encode(),
        0,
    );
    assert_eq!(env.pending(), 3);
    env.io.shutdown().await;
    assert_eq!(r.await.status, NtStatus::CANCELLED);
    assert_eq!(l.await.status, NtStatus::CANCELLED);
    assert_eq!(w.await.status, NtStatus::CANCELLED);
    assert_eq!(env.pending(), 0);
    assert_eq!(server.read(0, 1).await.unwrap_err(), NtStatus::FILE_CLOSED);
    drop((server, client, lone, root));
    assert!(env.dev.pipe_names().is_empty());
}

fn payload(pair: usize, seq: usize) -> Vec<u8> {
    let len = (seq * 37 + pair * 11) % 700 + 1;
    let mut x = (pair as u32) << 20 ^ (seq as u32).wrapping_mul(2_654_435_761);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn reply_of(request: &[u8]) -> Vec<u8> {
    request.iter().rev().map(|b| b ^ 0x5A).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn stress_eight_pairs_thousand_messages() {
    const PAIRS: usize = 8;
    const MESSAGES: usize = 1000;
    let env = env();
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..PAIRS {
        servers.push(env.server("stress", PipeCreateParams::message()).unwrap());
    }
    for _ in 0..PAIRS {
        let client = env.client("stress").unwrap();
        assert_eq!(
            set_modes(&client, ReadMode::Message, CompletionMode::Queue),
            NtStatus::SUCCESS
        );
        clients.push(client);
    }
    assert_eq!(
        env.client("stress").unwrap_err(),
        NtStatus::PIPE_NOT_AVAILABLE
    );
    let mut tasks = Vec::new();
    for server in servers {
        tasks.push(tokio::spawn(async move {
            for _ in 0..MESSAGES {
                let request = server.read(0, 4096).await.unwrap();
                server.write(0, reply_of(&request)).await.unwrap();
            }
            server
        }));
    }
    let mut client_tasks = Vec::new();
    for (pair, client) in clients.into_iter().enumerate() {
        client_tasks.push(tokio::spawn(async move {
            for seq in 0..MESSAGES {
                let request = payload(pair, seq);
                let reply = if pair % 2 == 0 {
                    client.write(0, request.clone()).await.unwrap();
                    client.read(0, 4096).await.unwrap()
                } else {
                    client
                        .fs_control(FSCTL_PIPE_TRANSCEIVE, request.clone(), 4096)
                        .await
                        .unwrap()
                };
                assert_eq!(reply, reply_of(&request), "pair {pair} message {seq}");
            }
            client
        }));
    }
    let mut handles = Vec::new();
    for task in client_tasks {
        handles.push(task.await.unwrap());
    }
    for task in tasks {
        handles.push(task.await.unwrap());
    }
    assert_eq!(env.pending(), 0);
    for handle in handles {
        assert_eq!(handle.close().await, NtStatus::SUCCESS);
    }
    assert!(env.io.rundown().is_empty());
    assert!(env.dev.pipe_names().is_empty());
}
