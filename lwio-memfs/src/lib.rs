//! # lwio-memfs
//!
//! An in-memory file system driver for the lwio I/O manager: directories with
//! case-insensitive, case-preserving names, and files held as byte vectors.
//!
//! It exists for examples, tests and benchmarks of the I/O model, and as the smallest
//! complete driver to read before writing one. Its semantics are deliberately narrow;
//! NTFS semantics (share modes, locks, security, info classes) live in `lwio-pvfs`.
//!
//! What it handles: create with every disposition, the directory / non-directory and
//! delete-on-close options; close; read; write (and append at `WRITE_TO_END_OF_FILE`);
//! flush; the query and set information classes, volume classes and directory enumeration
//! an SMB client needs to list, put and get (see the `info` module: Basic, Standard, All,
//! NetworkOpen, ...; Volume, Size, Attribute, ...; every directory class). Other requests
//! (locks, EAs, security, notifications, renames, controls) complete with
//! STATUS_INVALID_DEVICE_REQUEST. There are no share modes and no security checks (the
//! create grants what is asked).
//!
//! [`MemFs::with_worker`] makes reads and writes pend and complete on a worker thread, to
//! exercise and measure the asynchronous path.
//!
//! ```
//! use std::sync::Arc;
//! use lwio_core::{AccessMask, AccessToken, CreateDisposition, CreateRequest, IoManager, block_on};
//! use lwio_memfs::{MemFs, Volume};
//!
//! let io = IoManager::new();
//! io.add_device("mem", Arc::new(MemFs::new()), Volume::new()).unwrap();
//! let token = Arc::new(AccessToken::system());
//! let rw = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE;
//! let file = block_on(io.create_file(
//!     "/mem/hello.txt",
//!     CreateRequest::new(token, rw, CreateDisposition::OPEN_IF),
//! )).unwrap();
//! block_on(file.write(0, &b"hello"[..])).unwrap();
//! assert_eq!(block_on(file.read(0, 100)).unwrap(), b"hello");
//! ```

mod info;
mod node;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lwio_core::irp::{CreateRequest, WRITE_TO_END_OF_FILE};
use lwio_core::{
    CreateAction, CreateDisposition, CreateOptions, Dispatched, Driver, FileInfoClass, Irp,
    IrpRequest, IrpResult, NtStatus, PendingIrp,
};

pub use node::{ByteStore, MAX_FILE_SIZE, MemDir, MemFile, Node, Times, components};
use worker::Worker;

/// The memfs driver. One driver can serve many [`Volume`]s.
pub struct MemFs {
    worker: Option<Worker>,
}

impl Default for MemFs {
    fn default() -> Self {
        MemFs::new()
    }
}

impl MemFs {
    /// A driver that completes every IRP at once.
    pub fn new() -> Self {
        MemFs { worker: None }
    }

    /// A driver whose reads and writes pend and complete on its worker thread.
    pub fn with_worker() -> Self {
        MemFs {
            worker: Some(Worker::start(run_deferred)),
        }
    }
}

/// One memfs device: a tree with a root directory. Clones share the tree, so a test can
/// keep one to look inside the device it mounted.
#[derive(Clone)]
pub struct Volume {
    root: Arc<Node>,
}

impl Volume {
    fn created(&self) -> i64 {
        self.root.times().created()
    }
}

impl Default for Volume {
    fn default() -> Self {
        Volume::new()
    }
}

impl Volume {
    /// An empty volume.
    pub fn new() -> Self {
        Volume {
            root: Node::new_dir(),
        }
    }

    /// The node at `path` (device-relative, `/`-separated), if it exists.
    pub fn lookup(&self, path: &str) -> Option<Arc<Node>> {
        let mut node = Arc::clone(&self.root);
        for name in components(path).ok()? {
            let next = match &*node {
                Node::Dir(dir) => dir.get(name)?,
                Node::File(_) => return None,
            };
            node = next;
        }
        Some(node)
    }

    fn open(
        &self,
        path: &str,
        create: &CreateRequest,
    ) -> Result<(OpenFile, CreateAction), NtStatus> {
        let names = components(path)?;
        let Some((last, parents)) = names.split_last() else {
            return open_existing(Arc::clone(&self.root), None, create);
        };
        let mut dir_node = Arc::clone(&self.root);
        for name in parents {
            let next = match &*dir_node {
                Node::Dir(dir) => dir.get(name).ok_or(NtStatus::OBJECT_PATH_NOT_FOUND)?,
                Node::File(_) => return Err(NtStatus::OBJECT_PATH_NOT_FOUND),
            };
            dir_node = next;
        }
        let Node::Dir(dir) = &*dir_node else {
            return Err(NtStatus::OBJECT_PATH_NOT_FOUND);
        };
        let want_dir = create.options.contains(CreateOptions::DIRECTORY_FILE);
        let may_create = matches!(
            create.disposition,
            CreateDisposition::CREATE
                | CreateDisposition::OPEN_IF
                | CreateDisposition::OVERWRITE_IF
                | CreateDisposition::SUPERSEDE
        );
        let parent = Some((Arc::clone(&dir_node), (*last).to_owned()));
        let (node, created) = if may_create {
            dir.get_or_insert(last, || {
                if want_dir {
                    Node::new_dir()
                } else {
                    Node::new_file()
                }
            })
        } else {
            (dir.get(last).ok_or(NtStatus::OBJECT_NAME_NOT_FOUND)?, false)
        };
        if created {
            return Ok((OpenFile::new(node, parent, create), CreateAction::CREATED));
        }
        if create.disposition == CreateDisposition::SUPERSEDE {
            check_kind(&node, create.options)?;
            let fresh = if node.is_dir() {
                Node::new_dir()
            } else {
                Node::new_file()
            };
            dir.replace(last, Arc::clone(&fresh));
            let parent = Some((dir_node, (*last).to_owned()));
            return Ok((
                OpenFile::new(fresh, parent, create),
                CreateAction::SUPERSEDED,
            ));
        }
        open_existing(node, parent, create)
    }
}

fn check_kind(node: &Node, options: CreateOptions) -> Result<(), NtStatus> {
    match node {
        Node::Dir(_) if options.contains(CreateOptions::NON_DIRECTORY_FILE) => {
            Err(NtStatus::FILE_IS_A_DIRECTORY)
        }
        Node::File(_) if options.contains(CreateOptions::DIRECTORY_FILE) => {
            Err(NtStatus::NOT_A_DIRECTORY)
        }
        _ => Ok(()),
    }
}

fn open_existing(
    node: Arc<Node>,
    parent: Option<(Arc<Node>, String)>,
    create: &CreateRequest,
) -> Result<(OpenFile, CreateAction), NtStatus> {
    check_kind(&node, create.options)?;
    match create.disposition {
        CreateDisposition::CREATE => return Err(NtStatus::OBJECT_NAME_COLLISION),
        CreateDisposition::OVERWRITE | CreateDisposition::OVERWRITE_IF => {
            let Node::File(file) = &*node else {
                return Err(NtStatus::INVALID_PARAMETER);
            };
            file.set_len(0)?;
            return Ok((
                OpenFile::new(node, parent, create),
                CreateAction::OVERWRITTEN,
            ));
        }
        _ => {}
    }
    Ok((OpenFile::new(node, parent, create), CreateAction::OPENED))
}

/// memfs's per-handle context.
pub struct OpenFile {
    node: Arc<Node>,
    parent: Option<(Arc<Node>, String)>,
    /// Delete on close: the create option, or a set disposition.
    delete_on_close: AtomicBool,
    /// A directory handle's enumeration.
    enumeration: info::Enumeration,
}

impl OpenFile {
    fn new(node: Arc<Node>, parent: Option<(Arc<Node>, String)>, create: &CreateRequest) -> Self {
        OpenFile {
            node,
            parent,
            delete_on_close: AtomicBool::new(
                create.options.contains(CreateOptions::DELETE_ON_CLOSE),
            ),
            enumeration: parking_lot::Mutex::new(None),
        }
    }

    fn delete_pending(&self) -> bool {
        self.delete_on_close.load(Ordering::Relaxed)
    }

    /// FileDispositionInformation: `delete` marks the node for deletion at close; a
    /// directory that is not empty refuses (STATUS_DIRECTORY_NOT_EMPTY, MS-FSA 2.1.5.14.3).
    fn set_disposition(&self, data: &[u8]) -> NtStatus {
        let Some(&flag) = data.first() else {
            return NtStatus::INFO_LENGTH_MISMATCH;
        };
        let delete = flag != 0;
        if delete
            && let Node::Dir(d) = &*self.node
            && !d.is_empty()
        {
            return NtStatus::DIRECTORY_NOT_EMPTY;
        }
        if delete && self.parent.is_none() {
            return NtStatus::CANNOT_DELETE;
        }
        self.delete_on_close.store(delete, Ordering::Relaxed);
        NtStatus::SUCCESS
    }

    fn file(&self) -> Result<&MemFile, NtStatus> {
        match &*self.node {
            Node::File(f) => Ok(f),
            Node::Dir(_) => Err(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }

    fn close(&self) {
        if !self.delete_pending() {
            return;
        }
        if let Some((parent, name)) = &self.parent {
            let removable = match &*self.node {
                Node::Dir(d) => d.is_empty(),
                Node::File(_) => true,
            };
            if let (Node::Dir(dir), true) = (&**parent, removable) {
                dir.remove_if(name, &self.node);
            }
        }
    }
}

/// The data path shared by the immediate and the deferred mode.
fn read_write(ctx: Option<&OpenFile>, request: &IrpRequest) -> IrpResult {
    let Some(ctx) = ctx else {
        return IrpResult::new(NtStatus::INVALID_HANDLE);
    };
    let file = match ctx.file() {
        Ok(f) => f,
        Err(status) => return IrpResult::new(status),
    };
    match request {
        IrpRequest::Read(r) => match file.read_at(r.offset, r.length) {
            Ok(data) => IrpResult::with_output(NtStatus::SUCCESS, data),
            Err(status) => IrpResult::new(status),
        },
        IrpRequest::Write(w) => {
            let offset = if w.offset == WRITE_TO_END_OF_FILE {
                u64::MAX
            } else {
                w.offset
            };
            match file.write_at(offset, &w.data) {
                Ok(n) => IrpResult {
                    status: NtStatus::SUCCESS,
                    information: n,
                    output: Vec::new(),
                },
                Err(status) => IrpResult::new(status),
            }
        }
        _ => IrpResult::new(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

fn run_deferred(irp: &PendingIrp<MemFs>) -> IrpResult {
    read_write(irp.file_context(), irp.request())
}

impl Driver for MemFs {
    type Device = Volume;
    type File = OpenFile;

    fn name(&self) -> &str {
        "memfs"
    }

    #[inline]
    fn dispatch(&self, volume: &Volume, irp: Irp<'_, Self>) -> Dispatched {
        // Reads and writes, most of the traffic, first and apart: the rest (creates,
        // queries, directory listings) is a large function whose frame they do not pay.
        if let IrpRequest::Read(_) | IrpRequest::Write(_) = irp.request() {
            return self.data(irp);
        }
        self.dispatch_other(volume, irp)
    }

    fn shutdown(&self) {
        if let Some(worker) = &self.worker {
            worker.stop();
        }
    }
}

impl MemFs {
    /// A read or a write: on the worker thread in deferred mode, else at once.
    #[inline]
    fn data(&self, irp: Irp<'_, Self>) -> Dispatched {
        match &self.worker {
            Some(worker) => worker.submit(irp),
            None => {
                let result = read_write(irp.file_context(), irp.request());
                irp.complete_result(result)
            }
        }
    }

    /// Every request but reads and writes.
    #[inline(never)]
    fn dispatch_other(&self, volume: &Volume, irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Create(create) => match volume.open(irp.file().path(), create) {
                Ok((ctx, action)) => {
                    if irp.set_file_context(ctx).is_err() {
                        return irp.complete(NtStatus::INTERNAL_ERROR);
                    }
                    irp.complete_result(IrpResult {
                        status: NtStatus::SUCCESS,
                        information: u64::from(action.0),
                        output: Vec::new(),
                    })
                }
                Err(status) => irp.complete(status),
            },
            IrpRequest::Close => {
                if let Some(ctx) = irp.file_context() {
                    ctx.close();
                }
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Read(_) | IrpRequest::Write(_) => self.data(irp),
            IrpRequest::Flush => irp.complete(NtStatus::SUCCESS),
            IrpRequest::QueryInformation(q) => {
                let Some(ctx) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                let handle = info::Handle {
                    node: &ctx.node,
                    path: irp.file().path(),
                    granted: irp.file().granted_access(),
                    delete_pending: ctx.delete_pending(),
                };
                match info::query_file(&handle, q.class, q.length) {
                    Ok((out, status)) => irp.complete_with_output(status, out),
                    Err(status) => irp.complete(status),
                }
            }
            IrpRequest::QueryVolumeInformation(q) => {
                match info::query_volume(q.class, q.length, volume.created()) {
                    Ok((out, status)) => irp.complete_with_output(status, out),
                    Err(status) => irp.complete(status),
                }
            }
            IrpRequest::QueryDirectory(q) => {
                // memfs keeps no descriptors to enumerate by access.
                if q.only_accessible.is_some() {
                    return irp.complete(NtStatus::NOT_SUPPORTED);
                }
                let Some(ctx) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                let parent = ctx.parent.as_ref().map(|(p, _)| p);
                match info::query_directory(&ctx.enumeration, &ctx.node, parent, q) {
                    Ok((out, status)) => irp.complete_with_output(status, out),
                    Err(status) => irp.complete(status),
                }
            }
            IrpRequest::SetInformation(s) if s.class == FileInfoClass::BASIC => {
                let Some(ctx) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                let status = info::set_basic(&ctx.node, &s.data);
                irp.complete(status)
            }
            IrpRequest::SetInformation(s) if s.class == FileInfoClass::DISPOSITION => {
                let Some(ctx) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                let status = ctx.set_disposition(&s.data);
                irp.complete(status)
            }
            IrpRequest::SetInformation(s) if s.class == FileInfoClass::ALLOCATION => {
                let status = if s.data.len() < 8 {
                    NtStatus::INFO_LENGTH_MISMATCH
                } else {
                    NtStatus::SUCCESS
                };
                irp.complete(status)
            }
            IrpRequest::SetInformation(s) if s.class == FileInfoClass::END_OF_FILE => {
                let Some(ctx) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                let Some(bytes) = s.data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
                    return irp.complete(NtStatus::INFO_LENGTH_MISMATCH);
                };
                let Ok(size) = u64::try_from(i64::from_le_bytes(bytes)) else {
                    return irp.complete(NtStatus::INVALID_PARAMETER);
                };
                let status = match ctx.file().and_then(|f| f.set_len(size)) {
                    Ok(()) => NtStatus::SUCCESS,
                    Err(status) => status,
                };
                irp.complete(status)
            }
            IrpRequest::SetInformation(_) => irp.complete(NtStatus::INVALID_INFO_CLASS),
            _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }
}
