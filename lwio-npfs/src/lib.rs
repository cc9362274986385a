//! # lwio-npfs
//!
//! The named-pipe file system driver of lwio: what `\Device\NamedPipe` (NPFS) is to
//! Windows, and what the SMB server's IPC$ share (MS-SMB2 3.3.5.9) and the RPC servers sit
//! on. Mount it as a device, conventionally `/npfs`:
//!
//! ```
//! use std::sync::Arc;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
//! use lwio_npfs::{Npfs, NpfsDevice, PipeCreateParams};
//!
//! let io = IoManager::new();
//! io.add_device("npfs", Arc::new(Npfs::new()), NpfsDevice::default()).unwrap();
//! let token = Arc::new(AccessToken::system());
//! let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
//! // A server instance: a create carrying PipeCreateParams.
//! let server = block_on(io.create_file(
//!     "/npfs/echo",
//!     CreateRequest::new(token.clone(), rw, CreateDisposition::OPEN_IF)
//!         .ecp(PipeCreateParams::message()),
//! )).unwrap();
//! // A client: an ordinary open of the same name pairs with the listening instance.
//! let client = block_on(io.create_file(
//!     "/npfs/ECHO",
//!     CreateRequest::new(token, rw, CreateDisposition::OPEN),
//! )).unwrap();
//! block_on(client.write(0, &b"ping"[..])).unwrap();
//! assert_eq!(block_on(server.read(0, 100)).unwrap(), b"ping");
//! ```
//!
//! ## The interface it implements
//! The pipe control codes, the ECPs ([`PipeCreateParams`], [`PipeClientInfo`]), the FSCTL
//! buffers and the pipe information classes are the I/O model's (`lwio_core::pipe`, as
//! ntifs.h is apart from NPFS), re-exported here; pipe users (the RPC servers, the SMB
//! server's IPC$) send them through the I/O manager and need not depend on this crate.
//!
//! ## Names and handles
//! - `/npfs` itself (the empty path) opens the root: a handle for FSCTL_PIPE_WAIT only.
//! - `/npfs/NAME` names a pipe; names are case-insensitive (the first instance's spelling
//!   is kept). A name with `/` or `\`, a control character, or more than 256 characters
//!   is STATUS_OBJECT_NAME_INVALID; so is a root open carrying [`PipeCreateParams`].
//! - A create with [`PipeCreateParams`] is a *server* create (NtCreateNamedPipeFile).
//!   Disposition CREATE on an existing name (FILE_FLAG_FIRST_PIPE_INSTANCE) is
//!   STATUS_ACCESS_DENIED, as is a pipe type or instance limit differing from the first
//!   instance's; OPEN of a missing name is STATUS_OBJECT_NAME_NOT_FOUND; reaching the
//!   instance limit is STATUS_INSTANCE_NOT_AVAILABLE; `max_instances == 0` or a byte pipe
//!   read in message mode is STATUS_INVALID_PARAMETER, as is a disposition other than
//!   CREATE, OPEN and OPEN_IF. The create action is CREATED for a new
//!   name and OPENED for a further instance. **A new instance is listening at once**, as
//!   NtCreateNamedPipeFile leaves it: a client may connect before FSCTL_PIPE_LISTEN, which
//!   then returns STATUS_PIPE_CONNECTED (ConnectNamedPipe's ERROR_PIPE_CONNECTED).
//! - Any other create is a *client* open (disposition OPEN, OPEN_IF, OVERWRITE or
//!   OVERWRITE_IF; CREATE and SUPERSEDE are STATUS_INVALID_PARAMETER): no such name is
//!   STATUS_OBJECT_NAME_NOT_FOUND; instances exist but none listens is
//!   STATUS_PIPE_NOT_AVAILABLE (Win32 ERROR_PIPE_BUSY). The client end starts in byte read
//!   mode, blocking. Opening completes the instance's pending listens.
//! - There is no access check on the pipe itself (no DACL): the server decides what its
//!   client may do, from [`PipeClientInfo`].
//!
//! ## Client identity
//! The SMB server attaches a [`PipeClientInfo`] ECP (token, session key, peer address,
//! computer name, process id) to a client's create; without one the driver records the
//! opener's token. The server end reads it with the private
//! [`FSCTL_LWIO_PIPE_GET_CLIENT_INFO`] (0x00112000: FILE_DEVICE_NAMED_PIPE, vendor function
//! 0x800, FILE_ANY_ACCESS), whose output [`PipeClientInfo::decode`] reads; the helper
//! [`query_client_info`] does both. On a client handle it is STATUS_ILLEGAL_FUNCTION; with
//! no client, STATUS_PIPE_LISTENING or STATUS_PIPE_DISCONNECTED; an output limit below the
//! blob's size is STATUS_BUFFER_TOO_SMALL.
//!
//! ## States and statuses
//! An instance is listening, connected, closing (one end closed its handle) or
//! disconnected (after FSCTL_PIPE_DISCONNECT) (MS-FSCC 2.4.37 NamedPipeState).
//!
//! | operation | listening (server) | connected | other end closed (closing) | disconnected |
//! |---|---|---|---|---|
//! | read | PIPE_LISTENING | data; none: pends, or PIPE_EMPTY in non-blocking mode | data left, then PIPE_BROKEN | PIPE_DISCONNECTED |
//! | write | PIPE_LISTENING | SUCCESS, never pends | PIPE_CLOSING | PIPE_DISCONNECTED |
//! | FSCTL_PIPE_PEEK | INVALID_PIPE_STATE | SUCCESS / BUFFER_OVERFLOW | data left (state 4), then PIPE_BROKEN | PIPE_DISCONNECTED |
//! | FSCTL_PIPE_TRANSCEIVE | INVALID_PIPE_STATE | pends for the reply | PIPE_CLOSING | PIPE_DISCONNECTED |
//! | FSCTL_PIPE_LISTEN (server) | pends, or PIPE_LISTENING non-blocking | PIPE_CONNECTED | PIPE_CLOSING | listens again (pends) |
//! | FSCTL_PIPE_DISCONNECT (server) | SUCCESS; pending listens get PIPE_DISCONNECTED | SUCCESS: data dropped, every pending read gets PIPE_DISCONNECTED | SUCCESS | PIPE_DISCONNECTED |
//!
//! "Disconnected" for a client handle means the server disconnected it: everything but
//! close then returns STATUS_PIPE_DISCONNECTED (Win32 ERROR_PIPE_NOT_CONNECTED), even after
//! the instance has a new client. Closing one end completes the other end's pending reads
//! with STATUS_PIPE_BROKEN (ERROR_BROKEN_PIPE) and makes its writes STATUS_PIPE_CLOSING
//! (ERROR_NO_DATA); data the closing end had not read is dropped. The instance (and its
//! slot under the instance limit) is freed when both ends are gone; the last instance of
//! a name takes the name with it.
//!
//! **Reads.** Byte read mode returns up to the requested length, across writes. Message read
//! mode (a message pipe only) returns one message; a message longer than the read gives its
//! first part with STATUS_BUFFER_OVERFLOW and the rest on the next read. A write to a message
//! pipe is one message, zero-length ones included. A pending read is cancellable
//! (`cancel_file`, close, shutdown, dropping its future) and completes STATUS_CANCELLED.
//!
//! **Writes and quotas.** Writes complete at once, buffered: the in/out quotas of
//! [`PipeCreateParams`] are reported (FilePipeLocalInformation) but do not block a writer.
//! More than [`MAX_QUEUED_BYTES`] (16 MiB) queued towards one end fails the write with
//! STATUS_INSUFFICIENT_RESOURCES.
//!
//! ## FSCTLs (MS-FSCC 2.3; MS-SMB2 3.3.5.15)
//! - [`FSCTL_PIPE_LISTEN`] (0x00110008) and [`FSCTL_PIPE_DISCONNECT`] (0x00110004): server
//!   end only, else STATUS_ILLEGAL_FUNCTION; see the table.
//! - [`FSCTL_PIPE_PEEK`] (0x0011400C, MS-FSCC 2.3.45-46, MS-SMB2 3.3.5.15.4): never pends
//!   or consumes. The reply ([`PipePeekReply`]) holds the state, the bytes available, and on
//!   a message pipe the message count and what is left of the first message; data is the
//!   first message's bytes (message pipe, STATUS_BUFFER_OVERFLOW when cut) or all queued
//!   bytes that fit (byte pipe, STATUS_SUCCESS). An output limit under the 16-byte header
//!   is STATUS_BUFFER_TOO_SMALL.
//! - [`FSCTL_PIPE_TRANSCEIVE`] (0x0011C017, MS-FSCC 2.3.47-48, MS-SMB2 3.3.5.15.3): writes
//!   the input as one message, then waits for one message back (a reply longer than the
//!   output limit: STATUS_BUFFER_OVERFLOW, rest readable). A byte pipe or a handle not in
//!   message read mode is STATUS_INVALID_PIPE_STATE; unread data or a pending read on this
//!   end is STATUS_PIPE_BUSY. It waits for the reply even in non-blocking mode.
//! - [`FSCTL_PIPE_WAIT`] (0x00110018, MS-FSCC 2.3.49-50), on the root or any npfs handle,
//!   input [`PipeWaitRequest`]: STATUS_SUCCESS as soon as an instance of the name listens
//!   (at once if one does), STATUS_IO_TIMEOUT when the timeout passes,
//!   STATUS_OBJECT_NAME_NOT_FOUND if the name does not exist or its last instance closes
//!   meanwhile. With TimeoutSpecified FALSE it uses the pipe's default timeout (as
//!   WaitNamedPipe's NMPWAIT_USE_DEFAULT_WAIT does; `None` waits forever). Timeouts run on
//!   one timer thread per driver, started by the first timed wait.
//! - Anything else is STATUS_INVALID_DEVICE_REQUEST, as is every FSCTL but the wait on the
//!   root.
//!
//! ## Information (MS-FSCC 2.4)
//! Query: FilePipeInformation (2.4.36, this handle's modes), FilePipeLocalInformation
//! (2.4.37, seen from the queried end: "inbound" is what this end reads; configuration is
//! always full duplex), FileStandardInformation (2.4.41: allocation = both quotas,
//! end of file = bytes readable now, not a directory) and FileBasicInformation (2.4.7: no
//! times, FILE_ATTRIBUTE_NORMAL). The root answers the last two as a directory. A buffer
//! shorter than the class is STATUS_INFO_LENGTH_MISMATCH; other classes are
//! STATUS_INVALID_PARAMETER, as NPFS answers. Set: FilePipeInformation only; message read
//! mode on a byte pipe, or an unknown mode, is STATUS_INVALID_PARAMETER (2.4.36); a short
//! buffer STATUS_INFO_LENGTH_MISMATCH. Flush succeeds at once; every other request is
//! STATUS_INVALID_DEVICE_REQUEST.
//!
//! ## What it does not do
//! Inbound-only or outbound-only pipes, blocking writes at the quota, FSCTL_PIPE_IMPERSONATE
//! (use the token in [`PipeClientInfo`]), FilePipeRemoteInformation, pipe security
//! descriptors, and directory listing of the root.
#![forbid(unsafe_code)]

mod create;
mod fsctl;
mod info;
mod pipe;
mod rw;
mod timer;

use std::sync::{Arc, Weak};

use lwio_core::{CtlCode, Dispatched, Driver, Irp, IrpRequest, NtStatus};
use parking_lot::Mutex;

pub use create::MAX_NAME_LEN;
/// The pipe interface this driver implements, defined by the I/O model (`lwio_core::pipe`)
/// and re-exported here.
pub use lwio_core::pipe::{
    CompletionMode, FILE_PIPE_FULL_DUPLEX, NamedPipeEnd, NamedPipeState, PIPE_PEEK_HEADER_LEN,
    PipeClientInfo, PipeCreateParams, PipeInformation, PipeLocalInformation, PipePeekReply,
    PipeType, PipeWaitRequest, ReadMode, UNLIMITED_INSTANCES, query_client_info,
};

/// FSCTL_PIPE_DISCONNECT (0x00110004), raw; typed: [`CtlCode::FSCTL_PIPE_DISCONNECT`].
pub const FSCTL_PIPE_DISCONNECT: u32 = CtlCode::FSCTL_PIPE_DISCONNECT.0;
/// FSCTL_PIPE_LISTEN (0x00110008), raw; typed: [`CtlCode::FSCTL_PIPE_LISTEN`].
pub const FSCTL_PIPE_LISTEN: u32 = CtlCode::FSCTL_PIPE_LISTEN.0;
/// FSCTL_PIPE_PEEK (0x0011400C), raw; typed: [`CtlCode::FSCTL_PIPE_PEEK`].
pub const FSCTL_PIPE_PEEK: u32 = CtlCode::FSCTL_PIPE_PEEK.0;
/// FSCTL_PIPE_TRANSCEIVE (0x0011C017), raw; typed: [`CtlCode::FSCTL_PIPE_TRANSCEIVE`].
pub const FSCTL_PIPE_TRANSCEIVE: u32 = CtlCode::FSCTL_PIPE_TRANSCEIVE.0;
/// FSCTL_PIPE_WAIT (0x00110018), raw; typed: [`CtlCode::FSCTL_PIPE_WAIT`].
pub const FSCTL_PIPE_WAIT: u32 = CtlCode::FSCTL_PIPE_WAIT.0;
/// lwio's private client-information FSCTL (0x00112000), raw; typed:
/// [`CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`].
pub const FSCTL_LWIO_PIPE_GET_CLIENT_INFO: u32 = CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO.0;
pub use pipe::MAX_QUEUED_BYTES;

use pipe::{Completions, Instance, Namespace};
use timer::Timer;

/// The named-pipe driver. One driver can serve several [`NpfsDevice`]s; it owns the timer
/// thread of FSCTL_PIPE_WAIT.
pub struct Npfs {
    timer: Timer,
    namespaces: Mutex<Vec<Weak<Namespace>>>,
}

impl Default for Npfs {
    fn default() -> Self {
        Npfs::new()
    }
}

impl Npfs {
    /// A driver; it starts no thread until a timed FSCTL_PIPE_WAIT needs one.
    pub fn new() -> Self {
        Npfs {
            timer: Timer::new(),
            namespaces: Mutex::new(Vec::new()),
        }
    }

    fn remember(&self, ns: &Arc<Namespace>) {
        if !ns
            .registered
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            let mut list = self.namespaces.lock();
            list.retain(|w| w.strong_count() > 0);
            list.push(Arc::downgrade(ns));
        }
    }
}

/// One npfs device: a namespace of pipes. Clones share it, so a test can keep one to look
/// inside the device it mounted.
#[derive(Clone, Default)]
pub struct NpfsDevice {
    ns: Arc<Namespace>,
}

impl NpfsDevice {
    /// The names of the pipes that have instances, lower-cased, sorted.
    pub fn pipe_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.ns.pipes.lock().keys().cloned().collect();
        names.sort();
        names
    }

    /// How many instances of `name` exist (0 when the name does not).
    pub fn instance_count(&self, name: &str) -> usize {
        let pipe = self.ns.pipes.lock().get(&create::name_key(name)).cloned();
        pipe.map_or(0, |p| p.state.lock().instances.len())
    }
}

/// npfs's per-handle context: the root, or one end of one instance.
pub struct NpfsFile(pub(crate) FileKind);

#[derive(Clone)]
pub(crate) enum FileKind {
    Root,
    Server(Arc<Instance>),
    /// The client end, as of the connection generation it opened.
    Client(Arc<Instance>, u64),
}

impl FileKind {
    pub(crate) fn instance(&self) -> Option<Arc<Instance>> {
        match self {
            FileKind::Root => None,
            FileKind::Server(inst) | FileKind::Client(inst, _) => Some(Arc::clone(inst)),
        }
    }
}

impl NpfsFile {
    /// True for a server end.
    pub fn is_server(&self) -> bool {
        matches!(self.0, FileKind::Server(_))
    }

    /// True for the root handle.
    pub fn is_root(&self) -> bool {
        matches!(self.0, FileKind::Root)
    }
}

impl Driver for Npfs {
    type Device = NpfsDevice;
    type File = NpfsFile;

    fn name(&self) -> &str {
        "npfs"
    }

    fn dispatch(&self, device: &NpfsDevice, irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Create(_) => {
                self.remember(&device.ns);
                create::create(&device.ns, irp)
            }
            IrpRequest::Close => {
                let kind = irp.file_context().map(|c| c.0.clone());
                create::close(&device.ns, kind);
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Read(r) => {
                let max = r.length;
                rw::read(irp, max)
            }
            IrpRequest::Write(w) => {
                let data = w.data.clone();
                match irp.file_context().and_then(|c| c.0.instance()) {
                    Some(inst) => rw::write(irp, data, inst.pipe.pipe_type()),
                    None => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
                }
            }
            IrpRequest::FsControl(c) => {
                let (code, input, max_output) = (c.ctl_code(), c.input.clone(), c.max_output);
                fsctl::dispatch(self, &device.ns, irp, code, input, max_output)
            }
            IrpRequest::QueryInformation(q) => {
                let (class, length) = (q.class, q.length);
                info::query(irp, class, length)
            }
            IrpRequest::SetInformation(s) => {
                let (class, data) = (s.class, s.data.clone());
                info::set(irp, class, &data)
            }
            IrpRequest::Flush => irp.complete(NtStatus::SUCCESS),
            _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }

    /// Stops the timer thread and completes whatever is still pending with
    /// STATUS_CANCELLED (the manager has normally cancelled it all already).
    fn shutdown(&self) {
        self.timer.stop();
        let namespaces: Vec<Arc<Namespace>> = self
            .namespaces
            .lock()
            .drain(..)
            .filter_map(|w| w.upgrade())
            .collect();
        let mut done = Completions::default();
        for ns in namespaces {
            let pipes: Vec<_> = ns.pipes.lock().values().cloned().collect();
            for pipe in pipes {
                let mut ps = pipe.state.lock();
                ps.wake_waiters(NtStatus::CANCELLED, &mut done);
                for inst in &ps.instances {
                    let mut st = inst.state.lock();
                    for end in &mut st.ends {
                        end.fail_reads(NtStatus::CANCELLED, &mut done);
                    }
                    for listen in st.listens.drain(..) {
                        done.status(listen, NtStatus::CANCELLED);
                    }
                }
            }
        }
    }
}
