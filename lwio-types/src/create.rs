//! The number spaces of a create (MS-SMB2 2.2.13, 2.2.14; MS-FSA 2.1.5.1) and the file
//! attributes (MS-FSCC 2.6): what the I/O manager's create request carries and what the
//! SMB2 CREATE codec reads off the wire, so both speak the same types.

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
