//! The flags of a directory query (MS-SMB2 2.2.33) and the filter of a change
//! notification (MS-FSCC 2.7.1, MS-SMB2 2.2.35).

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
