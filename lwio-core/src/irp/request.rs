//! The typed arguments of every IRP a driver can receive.
//!
//! Each request mirrors one Windows major function (`IRP_MJ_*`). Information and volume
//! buffers stay in their MS-FSCC wire layout: that is what Windows drivers exchange and what
//! the SMB server forwards untouched, so a file system encodes a class once for both the
//! in-process caller and the network.

use std::sync::Arc;

use bytes::Bytes;

use crate::access::AccessMask;
use crate::ecp::EcpList;
use crate::security::{AccessToken, SecurityInformation};

open_enum! {
    /// What a create does when the file exists or does not (MS-SMB2 2.2.13 CreateDisposition).
    pub struct CreateDisposition(u32) {
        /// Replace the file if it exists, create it if not.
        const SUPERSEDE = 0;
        /// Open the file; fail if it does not exist.
        const OPEN = 1;
        /// Create the file; fail if it exists.
        const CREATE = 2;
        /// Open the file, or create it if it does not exist.
        const OPEN_IF = 3;
        /// Open and truncate the file; fail if it does not exist.
        const OVERWRITE = 4;
        /// Open and truncate the file, or create it if it does not exist.
        const OVERWRITE_IF = 5;
    }
}

open_flags! {
    /// Create options (MS-SMB2 2.2.13 CreateOptions; MS-FSA 2.1.5.1).
    pub struct CreateOptions(u32) {
        /// The file must be a directory.
        const DIRECTORY_FILE = 0x0000_0001;
        /// Writes go to stable storage before they complete.
        const WRITE_THROUGH = 0x0000_0002;
        /// Access is sequential.
        const SEQUENTIAL_ONLY = 0x0000_0004;
        /// No caching.
        const NO_INTERMEDIATE_BUFFERING = 0x0000_0008;
        /// Synchronous I/O, alertable.
        const SYNCHRONOUS_IO_ALERT = 0x0000_0010;
        /// Synchronous I/O, not alertable.
        const SYNCHRONOUS_IO_NONALERT = 0x0000_0020;
        /// The file must not be a directory.
        const NON_DIRECTORY_FILE = 0x0000_0040;
        /// Complete even when an oplock break is needed.
        const COMPLETE_IF_OPLOCKED = 0x0000_0100;
        /// The caller does not understand extended attributes.
        const NO_EA_KNOWLEDGE = 0x0000_0200;
        /// Access is random.
        const RANDOM_ACCESS = 0x0000_0800;
        /// Delete the file when the last handle closes.
        const DELETE_ON_CLOSE = 0x0000_1000;
        /// The name is a file id.
        const OPEN_BY_FILE_ID = 0x0000_2000;
        /// Open for backup or restore (privileges apply).
        const OPEN_FOR_BACKUP_INTENT = 0x0000_4000;
        /// Do not compress.
        const NO_COMPRESSION = 0x0000_8000;
        /// Reserve an opportunistic-lock filter.
        const RESERVE_OPFILTER = 0x0010_0000;
        /// Open a reparse point itself rather than its target.
        const OPEN_REPARSE_POINT = 0x0020_0000;
        /// Do not recall the file from remote storage.
        const OPEN_NO_RECALL = 0x0040_0000;
        /// Open for a free-space query.
        const OPEN_FOR_FREE_SPACE_QUERY = 0x0080_0000;
    }
}

open_flags! {
    /// Which accesses other openers may share (MS-SMB2 2.2.13 ShareAccess).
    pub struct ShareAccess(u32) {
        /// Others may read.
        const READ = 0x1;
        /// Others may write.
        const WRITE = 0x2;
        /// Others may delete or rename.
        const DELETE = 0x4;
    }
}

impl ShareAccess {
    /// Read, write and delete: share with everyone.
    pub const ALL: ShareAccess = ShareAccess(0x7);
}

open_flags! {
    /// File attributes (MS-FSCC 2.6).
    pub struct FileAttributes(u32) {
        /// Read-only.
        const READONLY = 0x0000_0001;
        /// Hidden.
        const HIDDEN = 0x0000_0002;
        /// System.
        const SYSTEM = 0x0000_0004;
        /// A directory.
        const DIRECTORY = 0x0000_0010;
        /// Needs archiving.
        const ARCHIVE = 0x0000_0020;
        /// No other attribute is set.
        const NORMAL = 0x0000_0080;
        /// Temporary.
        const TEMPORARY = 0x0000_0100;
        /// Sparse.
        const SPARSE_FILE = 0x0000_0200;
        /// A reparse point.
        const REPARSE_POINT = 0x0000_0400;
        /// Compressed.
        const COMPRESSED = 0x0000_0800;
        /// Offline.
        const OFFLINE = 0x0000_1000;
        /// Not content-indexed.
        const NOT_CONTENT_INDEXED = 0x0000_2000;
        /// Encrypted.
        const ENCRYPTED = 0x0000_4000;
        /// Integrity stream.
        const INTEGRITY_STREAM = 0x0000_8000;
    }
}

open_enum! {
    /// What a successful create did; drivers report it in `IrpResult::information`
    /// (MS-SMB2 2.2.14 CreateAction).
    pub struct CreateAction(u32) {
        /// An existing file was replaced.
        const SUPERSEDED = 0;
        /// An existing file was opened.
        const OPENED = 1;
        /// A new file was created.
        const CREATED = 2;
        /// An existing file was truncated.
        const OVERWRITTEN = 3;
    }
}

open_enum! {
    /// File information classes (MS-FSCC 2.4), for query/set information and directory queries.
    pub struct FileInfoClass(u8) {
        /// FileDirectoryInformation.
        const DIRECTORY = 1;
        /// FileFullDirectoryInformation.
        const FULL_DIRECTORY = 2;
        /// FileBothDirectoryInformation.
        const BOTH_DIRECTORY = 3;
        /// FileBasicInformation.
        const BASIC = 4;
        /// FileStandardInformation.
        const STANDARD = 5;
        /// FileInternalInformation.
        const INTERNAL = 6;
        /// FileEaInformation.
        const EA = 7;
        /// FileAccessInformation.
        const ACCESS = 8;
        /// FileNameInformation.
        const NAME = 9;
        /// FileRenameInformation.
        const RENAME = 10;
        /// FileLinkInformation.
        const LINK = 11;
        /// FileNamesInformation.
        const NAMES = 12;
        /// FileDispositionInformation.
        const DISPOSITION = 13;
        /// FilePositionInformation.
        const POSITION = 14;
        /// FileFullEaInformation.
        const FULL_EA = 15;
        /// FileModeInformation.
        const MODE = 16;
        /// FileAlignmentInformation.
        const ALIGNMENT = 17;
        /// FileAllInformation.
        const ALL = 18;
        /// FileAllocationInformation.
        const ALLOCATION = 19;
        /// FileEndOfFileInformation.
        const END_OF_FILE = 20;
        /// FileAlternateNameInformation.
        const ALTERNATE_NAME = 21;
        /// FileStreamInformation.
        const STREAM = 22;
        /// FilePipeInformation.
        const PIPE = 23;
        /// FilePipeLocalInformation.
        const PIPE_LOCAL = 24;
        /// FilePipeRemoteInformation.
        const PIPE_REMOTE = 25;
        /// FileCompressionInformation.
        const COMPRESSION = 28;
        /// FileObjectIdInformation.
        const OBJECT_ID = 29;
        /// FileQuotaInformation.
        const QUOTA = 32;
        /// FileReparsePointInformation.
        const REPARSE_POINT = 33;
        /// FileNetworkOpenInformation.
        const NETWORK_OPEN = 34;
        /// FileAttributeTagInformation.
        const ATTRIBUTE_TAG = 35;
        /// FileIdBothDirectoryInformation.
        const ID_BOTH_DIRECTORY = 37;
        /// FileIdFullDirectoryInformation.
        const ID_FULL_DIRECTORY = 38;
        /// FileValidDataLengthInformation.
        const VALID_DATA_LENGTH = 39;
        /// FileShortNameInformation.
        const SHORT_NAME = 40;
        /// FileNormalizedNameInformation.
        const NORMALIZED_NAME = 48;
        /// FileIdInformation.
        const ID = 59;
        /// FileIdExtdDirectoryInformation.
        const ID_EXTD_DIRECTORY = 60;
        /// FileDispositionInformationEx.
        const DISPOSITION_EX = 64;
        /// FileRenameInformationEx.
        const RENAME_EX = 65;
        /// FileLinkInformationEx.
        const LINK_EX = 72;
    }
}

open_enum! {
    /// File system (volume) information classes (MS-FSCC 2.5).
    pub struct FsInfoClass(u8) {
        /// FileFsVolumeInformation.
        const VOLUME = 1;
        /// FileFsLabelInformation.
        const LABEL = 2;
        /// FileFsSizeInformation.
        const SIZE = 3;
        /// FileFsDeviceInformation.
        const DEVICE = 4;
        /// FileFsAttributeInformation.
        const ATTRIBUTE = 5;
        /// FileFsControlInformation.
        const CONTROL = 6;
        /// FileFsFullSizeInformation.
        const FULL_SIZE = 7;
        /// FileFsObjectIdInformation.
        const OBJECT_ID = 8;
        /// FileFsDriverPathInformation.
        const DRIVER_PATH = 9;
        /// FileFsVolumeFlagsInformation.
        const VOLUME_FLAGS = 10;
        /// FileFsSectorSizeInformation.
        const SECTOR_SIZE = 11;
    }
}

open_flags! {
    /// Flags of a directory query (MS-SMB2 2.2.33 Flags).
    pub struct QueryDirectoryFlags(u8) {
        /// Restart the scan from the first entry.
        const RESTART_SCANS = 0x01;
        /// Return one entry only.
        const RETURN_SINGLE_ENTRY = 0x02;
        /// Resume at the given file index.
        const INDEX_SPECIFIED = 0x04;
        /// Restart with a new pattern.
        const REOPEN = 0x10;
    }
}

open_flags! {
    /// Which changes a change-notify request waits for (MS-FSCC 2.7.1 / MS-SMB2 2.2.35).
    pub struct NotifyFilter(u32) {
        /// A file was added, removed or renamed.
        const FILE_NAME = 0x0000_0001;
        /// A directory was added, removed or renamed.
        const DIR_NAME = 0x0000_0002;
        /// Attributes changed.
        const ATTRIBUTES = 0x0000_0004;
        /// Size changed.
        const SIZE = 0x0000_0008;
        /// Last write time changed.
        const LAST_WRITE = 0x0000_0010;
        /// Last access time changed.
        const LAST_ACCESS = 0x0000_0020;
        /// Creation time changed.
        const CREATION = 0x0000_0040;
        /// Extended attributes changed.
        const EA = 0x0000_0080;
        /// The security descriptor changed.
        const SECURITY = 0x0000_0100;
        /// A named stream was added, removed or renamed.
        const STREAM_NAME = 0x0000_0200;
        /// A named stream's size changed.
        const STREAM_SIZE = 0x0000_0400;
        /// A named stream was written.
        const STREAM_WRITE = 0x0000_0800;
    }
}

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
    /// The last handle of a file object went away.
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
