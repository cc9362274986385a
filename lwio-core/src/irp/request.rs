//! The typed arguments of every IRP a driver can receive.
//!
//! Each request mirrors one Windows major function (`IRP_MJ_*`). Information and volume
//! buffers stay in their MS-FSCC wire layout: that is what Windows drivers exchange and what
//! the SMB server forwards untouched, so a file system encodes a class once for both the
//! in-process caller and the network.
//!
//! The number spaces the requests carry (dispositions, options, information classes,
//! attributes, notify filters) live in `lwio-types`, shared with the codecs, and are
//! re-exported here.

use std::sync::Arc;

use bytes::Bytes;

use crate::access::AccessMask;
use crate::ecp::EcpList;
use crate::security::{AccessToken, SecurityInformation};

pub use lwio_types::{
    CreateAction, CreateDisposition, CreateOptions, CtlCode, FileAttributes, FileInfoClass,
    FsInfoClass, NotifyFilter, QueryDirectoryFlags, ShareAccess,
};

/// `WriteRequest::offset` value meaning "at the current end of file" (Windows'
/// FILE_WRITE_TO_END_OF_FILE).
pub const WRITE_TO_END_OF_FILE: u64 = u64::MAX;

/// The arguments of a create (`IRP_MJ_CREATE`).
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// The rights the caller asks for; may hold generic bits and MAXIMUM_ALLOWED.
    pub desired_access: AccessMask,
    /// Attributes for a new file.
    pub file_attributes: FileAttributes,
    /// What other openers may do at the same time.
    pub share_access: ShareAccess,
    /// What to do when the file exists or not.
    pub disposition: CreateDisposition,
    /// Create options.
    pub options: CreateOptions,
    /// Initial allocation size for a new file.
    pub allocation_size: u64,
    /// A security descriptor for a new file (self-relative bytes), if the caller gives one.
    pub security_descriptor: Option<Bytes>,
    /// Extended attributes for a new file (MS-FSCC 2.4.15 list), if any.
    pub ea_buffer: Option<Bytes>,
    /// Extra Create Parameters: typed values for drivers that understand them.
    pub ecps: EcpList,
    /// Who is opening.
    pub token: Arc<AccessToken>,
    /// Open the *parent* of the named file, for a rename or a hard link into it (Windows'
    /// SL_OPEN_TARGET_DIRECTORY). The driver checks the desired access (FILE_ADD_FILE or
    /// FILE_ADD_SUBDIRECTORY) against that directory's descriptor, opens it, and keeps the
    /// last component of the name as the name the rename or link will make; `information`
    /// reports [`TARGET_EXISTS`] or [`TARGET_DOES_NOT_EXIST`]. The I/O manager makes these
    /// opens itself (see `IoManager::call`); a device whose driver does not handle them
    /// refuses one with STATUS_INVALID_PARAMETER.
    pub open_target_directory: bool,
}

/// `information` of an open-target-directory create: the last component names an existing
/// file (Windows' FILE_EXISTS).
pub const TARGET_EXISTS: u64 = 4;
/// `information` of an open-target-directory create: the last component is a new name
/// (Windows' FILE_DOES_NOT_EXIST).
pub const TARGET_DOES_NOT_EXIST: u64 = 5;

/// The arguments of a read (`IRP_MJ_READ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// Byte offset; drivers without positions (pipes) ignore it.
    pub offset: u64,
    /// How many bytes at most.
    pub length: u32,
    /// Byte-range lock key of the caller.
    pub key: Option<u32>,
}

/// The arguments of a write (`IRP_MJ_WRITE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// Byte offset, or [`WRITE_TO_END_OF_FILE`].
    pub offset: u64,
    /// The bytes to write.
    pub data: Bytes,
    /// Byte-range lock key of the caller.
    pub key: Option<u32>,
}

/// The arguments of a device or file-system control (`IRP_MJ_DEVICE_CONTROL`,
/// `IRP_MJ_FILE_SYSTEM_CONTROL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRequest {
    /// The control code (an IOCTL or FSCTL); bits 14-15 say which access it needs.
    pub code: u32,
    /// Input bytes.
    pub input: Bytes,
    /// Largest output the caller accepts.
    pub max_output: u32,
}

impl ControlRequest {
    /// The control code, typed: its name, device type, access bits and method.
    pub const fn ctl_code(&self) -> CtlCode {
        CtlCode(self.code)
    }
}

/// The arguments of a query-information or query-volume-information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfoRequest<C> {
    /// The information class.
    pub class: C,
    /// Largest output the caller accepts.
    pub length: u32,
}

/// The arguments of an EA query (`IRP_MJ_QUERY_EA`, NtQueryEaFile): FileFullEaInformation
/// with the selection a plain query-information cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryEaRequest {
    /// Largest output the caller accepts.
    pub length: u32,
    /// The names asked for, as an MS-FSCC 2.4.15.1 FILE_GET_EA_INFORMATION list (unchecked
    /// bytes); empty to enumerate.
    pub ea_list: Bytes,
    /// The 1-based index of the first EA to return (SL_INDEX_SPECIFIED).
    pub index: Option<u32>,
    /// Start the enumeration over (SL_RESTART_SCAN).
    pub restart_scan: bool,
    /// Return one entry only (SL_RETURN_SINGLE_ENTRY).
    pub single_entry: bool,
}

/// The arguments of a set-information or set-volume-information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfoRequest<C> {
    /// The information class.
    pub class: C,
    /// The class's buffer in MS-FSCC layout.
    pub data: Bytes,
}

/// The arguments of a directory query (`IRP_MJ_DIRECTORY_CONTROL` / query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// The entry layout.
    pub class: FileInfoClass,
    /// Restart, single-entry, index and reopen flags.
    pub flags: QueryDirectoryFlags,
    /// The index to resume at, with `INDEX_SPECIFIED`.
    pub file_index: u32,
    /// The name pattern, with Windows wildcards; `None` keeps the previous one (or `*`).
    pub pattern: Option<String>,
    /// Largest output the caller accepts.
    pub length: u32,
    /// Access-based enumeration: `Some(rights)` lists only the entries whose own security
    /// descriptor grants the handle's token every one of `rights` (`.` and `..` are always
    /// listed); `None` lists every entry. The file system checks each entry's descriptor as
    /// it reads the entry, so a listing of N entries costs N checks and no extra requests.
    /// An SMB server sets it on a share with access-based directory enumeration (MS-SRVS
    /// 2.2.4.29). A driver that keeps no descriptors to check refuses it with
    /// STATUS_NOT_SUPPORTED rather than list what it cannot filter.
    pub only_accessible: Option<AccessMask>,
}

/// The arguments of a change notification (`IRP_MJ_DIRECTORY_CONTROL` / notify).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyRequest {
    /// Which changes complete the request.
    pub filter: NotifyFilter,
    /// Watch the whole subtree, not only the directory.
    pub watch_tree: bool,
    /// Largest output the caller accepts.
    pub length: u32,
}

/// The arguments of a byte-range lock (`IRP_MJ_LOCK_CONTROL` / lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRequest {
    /// First byte of the range.
    pub offset: u64,
    /// Length of the range; zero-length locks are allowed.
    pub length: u64,
    /// Lock key of the caller.
    pub key: u32,
    /// Exclusive (write) rather than shared (read).
    pub exclusive: bool,
    /// Fail at once on conflict rather than wait.
    pub fail_immediately: bool,
}

/// The arguments of a byte-range unlock (`IRP_MJ_LOCK_CONTROL` / unlock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnlockRequest {
    /// First byte of the range.
    pub offset: u64,
    /// Length of the range.
    pub length: u64,
    /// Lock key of the caller.
    pub key: u32,
}

/// The arguments of a query-security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuerySecurityRequest {
    /// Which parts of the descriptor.
    pub info: SecurityInformation,
    /// Largest output the caller accepts.
    pub length: u32,
}

/// The arguments of a set-security.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSecurityRequest {
    /// Which parts of the descriptor to replace.
    pub info: SecurityInformation,
    /// A self-relative security descriptor.
    pub descriptor: Bytes,
}

/// The typed arguments of one IRP.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IrpRequest {
    /// Open or create a file.
    Create(Box<CreateRequest>),
    /// The last handle of a file object went away (Windows' IRP_MJ_CLEANUP): the driver
    /// releases what the handle holds against other opens (share modes, byte-range locks,
    /// oplocks, change-notify requests) and decides a delete-on-close. IRPs still pending
    /// on the file (work a driver queued) may complete after it. Sent only to drivers that
    /// say so ([`Driver::handles_cleanup`](crate::Driver::handles_cleanup)); the others
    /// never see it and it succeeds.
    Cleanup,
    /// The last reference to a file object went away (IRP_MJ_CLOSE): sent after
    /// [`IrpRequest::Cleanup`] completed and every IRP pending on the file finished; the
    /// driver frees its per-file context.
    Close,
    /// Read bytes.
    Read(ReadRequest),
    /// Write bytes.
    Write(WriteRequest),
    /// A device I/O control.
    DeviceControl(ControlRequest),
    /// A file-system control (FSCTL).
    FsControl(ControlRequest),
    /// Flush buffers to stable storage.
    Flush,
    /// Query file information.
    QueryInformation(QueryInfoRequest<FileInfoClass>),
    /// Set file information.
    SetInformation(SetInfoRequest<FileInfoClass>),
    /// Query extended attributes (FileFullEaInformation with a name list, index or scan
    /// flags).
    QueryEa(QueryEaRequest),
    /// Enumerate a directory.
    QueryDirectory(QueryDirectoryRequest),
    /// Query volume information.
    QueryVolumeInformation(QueryInfoRequest<FsInfoClass>),
    /// Set volume information.
    SetVolumeInformation(SetInfoRequest<FsInfoClass>),
    /// Take a byte-range lock.
    Lock(LockRequest),
    /// Release a byte-range lock.
    Unlock(UnlockRequest),
    /// Read the security descriptor.
    QuerySecurity(QuerySecurityRequest),
    /// Change the security descriptor.
    SetSecurity(SetSecurityRequest),
    /// Wait for a change in a directory.
    ReadDirectoryChange(NotifyRequest),
}

/// The kind of an IRP, without its arguments (for tracing and rundown reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IrpType {
    /// [`IrpRequest::Create`].
    Create,
    /// [`IrpRequest::Cleanup`].
    Cleanup,
    /// [`IrpRequest::Close`].
    Close,
    /// [`IrpRequest::Read`].
    Read,
    /// [`IrpRequest::Write`].
    Write,
    /// [`IrpRequest::DeviceControl`].
    DeviceControl,
    /// [`IrpRequest::FsControl`].
    FsControl,
    /// [`IrpRequest::Flush`].
    Flush,
    /// [`IrpRequest::QueryInformation`].
    QueryInformation,
    /// [`IrpRequest::SetInformation`].
    SetInformation,
    /// [`IrpRequest::QueryEa`].
    QueryEa,
    /// [`IrpRequest::QueryDirectory`].
    QueryDirectory,
    /// [`IrpRequest::QueryVolumeInformation`].
    QueryVolumeInformation,
    /// [`IrpRequest::SetVolumeInformation`].
    SetVolumeInformation,
    /// [`IrpRequest::Lock`].
    Lock,
    /// [`IrpRequest::Unlock`].
    Unlock,
    /// [`IrpRequest::QuerySecurity`].
    QuerySecurity,
    /// [`IrpRequest::SetSecurity`].
    SetSecurity,
    /// [`IrpRequest::ReadDirectoryChange`].
    ReadDirectoryChange,
}

impl IrpRequest {
    /// The kind of this request.
    pub fn irp_type(&self) -> IrpType {
        match self {
            IrpRequest::Create(_) => IrpType::Create,
            IrpRequest::Cleanup => IrpType::Cleanup,
            IrpRequest::Close => IrpType::Close,
            IrpRequest::Read(_) => IrpType::Read,
            IrpRequest::Write(_) => IrpType::Write,
            IrpRequest::DeviceControl(_) => IrpType::DeviceControl,
            IrpRequest::FsControl(_) => IrpType::FsControl,
            IrpRequest::Flush => IrpType::Flush,
            IrpRequest::QueryInformation(_) => IrpType::QueryInformation,
            IrpRequest::SetInformation(_) => IrpType::SetInformation,
            IrpRequest::QueryEa(_) => IrpType::QueryEa,
            IrpRequest::QueryDirectory(_) => IrpType::QueryDirectory,
            IrpRequest::QueryVolumeInformation(_) => IrpType::QueryVolumeInformation,
            IrpRequest::SetVolumeInformation(_) => IrpType::SetVolumeInformation,
            IrpRequest::Lock(_) => IrpType::Lock,
            IrpRequest::Unlock(_) => IrpType::Unlock,
            IrpRequest::QuerySecurity(_) => IrpType::QuerySecurity,
            IrpRequest::SetSecurity(_) => IrpType::SetSecurity,
            IrpRequest::ReadDirectoryChange(_) => IrpType::ReadDirectoryChange,
        }
    }
}

impl CreateRequest {
    /// A create with the given access and disposition, and the defaults of an ordinary
    /// open: normal attributes, sharing read and write, no options, no ECPs.
    pub fn new(
        token: Arc<AccessToken>,
        desired_access: AccessMask,
        disposition: CreateDisposition,
    ) -> Self {
        CreateRequest {
            desired_access,
            file_attributes: FileAttributes::NORMAL,
            share_access: ShareAccess::READ | ShareAccess::WRITE,
            disposition,
            options: CreateOptions::empty(),
            allocation_size: 0,
            security_descriptor: None,
            ea_buffer: None,
            ecps: EcpList::new(),
            token,
            open_target_directory: false,
        }
    }

    /// Sets the share access.
    pub fn share(mut self, share_access: ShareAccess) -> Self {
        self.share_access = share_access;
        self
    }

    /// Sets the create options.
    pub fn options(mut self, options: CreateOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the attributes for a new file.
    pub fn attributes(mut self, attributes: FileAttributes) -> Self {
        self.file_attributes = attributes;
        self
    }

    /// Sets a security descriptor (self-relative bytes) for a new file.
    pub fn security_descriptor(mut self, descriptor: impl Into<Bytes>) -> Self {
        self.security_descriptor = Some(descriptor.into());
        self
    }

    /// Adds an Extra Create Parameter.
    pub fn ecp<T: std::any::Any + Send + Sync>(mut self, value: T) -> Self {
        self.ecps.insert(value);
        self
    }
}
