//! FSCTL and IOCTL codes (MS-FSCC 2.3; MS-SMB2 2.2.31 CtlCode) as an open newtype. A code
//! packs the device type (bits 16-31), the required access (bits 14-15), the function
//! (bits 2-13) and the transfer method (bits 0-1).

lwio_core::open_enum! {
    /// A control code. Unknown codes keep their value; `Debug` names the known ones.
    pub struct CtlCode(u32) {
        /// DFS referral request (MS-DFSC 2.2.2).
        const FSCTL_DFS_GET_REFERRALS = 0x0006_0194;
        /// DFS referral request with site name (MS-DFSC 2.2.3).
        const FSCTL_DFS_GET_REFERRALS_EX = 0x0006_01B0;
        /// Validate a path name.
        const FSCTL_IS_PATHNAME_VALID = 0x0009_002C;
        /// Get the compression state.
        const FSCTL_GET_COMPRESSION = 0x0009_003C;
        /// Set the compression state.
        const FSCTL_SET_COMPRESSION = 0x0009_C040;
        /// Get the object id.
        const FSCTL_GET_OBJECT_ID = 0x0009_009C;
        /// Set the reparse point.
        const FSCTL_SET_REPARSE_POINT = 0x0009_00A4;
        /// Get the reparse point.
        const FSCTL_GET_REPARSE_POINT = 0x0009_00A8;
        /// Delete the reparse point.
        const FSCTL_DELETE_REPARSE_POINT = 0x0009_00AC;
        /// Create or get the object id.
        const FSCTL_CREATE_OR_GET_OBJECT_ID = 0x0009_00C0;
        /// Mark a file sparse.
        const FSCTL_SET_SPARSE = 0x0009_00C4;
        /// Zero a range.
        const FSCTL_SET_ZERO_DATA = 0x0009_80C8;
        /// List allocated ranges.
        const FSCTL_QUERY_ALLOCATED_RANGES = 0x0009_40CF;
        /// Get integrity information.
        const FSCTL_GET_INTEGRITY_INFORMATION = 0x0009_027C;
        /// Set integrity information.
        const FSCTL_SET_INTEGRITY_INFORMATION = 0x0009_C280;
        /// Trim ranges of a file.
        const FSCTL_FILE_LEVEL_TRIM = 0x0009_8208;
        /// Offload read: get a token.
        const FSCTL_OFFLOAD_READ = 0x0009_4264;
        /// Offload write from a token.
        const FSCTL_OFFLOAD_WRITE = 0x0009_8268;
        /// Query file regions.
        const FSCTL_QUERY_FILE_REGIONS = 0x0009_0284;
        /// Block clone between files.
        const FSCTL_DUPLICATE_EXTENTS_TO_FILE = 0x0009_8344;
        /// Wait for a pipe instance.
        const FSCTL_PIPE_WAIT = 0x0011_0018;
        /// Listen on a pipe (server side).
        const FSCTL_PIPE_LISTEN = 0x0011_0008;
        /// Disconnect a pipe (server side).
        const FSCTL_PIPE_DISCONNECT = 0x0011_0004;
        /// Peek at a pipe.
        const FSCTL_PIPE_PEEK = 0x0011_400C;
        /// Write then read a pipe.
        const FSCTL_PIPE_TRANSCEIVE = 0x0011_C017;
        /// Get a resume key for server-side copy (MS-SMB2 2.2.31.1).
        const FSCTL_SRV_REQUEST_RESUME_KEY = 0x0014_0078;
        /// List previous versions (MS-SMB2 2.2.32.2).
        const FSCTL_SRV_ENUMERATE_SNAPSHOTS = 0x0014_4064;
        /// Server-side copy, read access on the target (MS-SMB2 2.2.31.1).
        const FSCTL_SRV_COPYCHUNK = 0x0014_40F2;
        /// Server-side copy, write access on the target.
        const FSCTL_SRV_COPYCHUNK_WRITE = 0x0014_80F2;
        /// Read content hashes (BranchCache, MS-SMB2 2.2.31.2).
        const FSCTL_SRV_READ_HASH = 0x0014_41BB;
        /// Ask for a resilient handle (MS-SMB2 2.2.31.3).
        const FSCTL_LMR_REQUEST_RESILIENCY = 0x0014_01D4;
        /// List the server's interfaces (MS-SMB2 2.2.32.5).
        const FSCTL_QUERY_NETWORK_INTERFACE_INFO = 0x0014_01FC;
        /// Validate a negotiation (MS-SMB2 2.2.31.4).
        const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x0014_0204;
    }
}

lwio_core::open_enum! {
    /// How a control code moves its buffers (bits 0-1).
    pub struct TransferMethod(u8) {
        /// Buffered.
        const BUFFERED = 0;
        /// Direct input.
        const IN_DIRECT = 1;
        /// Direct output.
        const OUT_DIRECT = 2;
        /// Neither.
        const NEITHER = 3;
    }
}

impl CtlCode {
    /// The device type (bits 16-31): 0x9 file system, 0x11 named pipe, 0x14 network file
    /// system, 0x6 DFS.
    pub const fn device_type(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The access bits (14-15): 0 any, 1 read, 2 write, 3 read and write.
    pub const fn required_access(self) -> u8 {
        ((self.0 >> 14) & 3) as u8
    }

    /// The function number (bits 2-13).
    pub const fn function(self) -> u16 {
        ((self.0 >> 2) & 0xFFF) as u16
    }

    /// The transfer method (bits 0-1).
    pub const fn method(self) -> TransferMethod {
        TransferMethod((self.0 & 3) as u8)
    }

    /// True when the code is a file-system control (device type FILE_DEVICE_FILE_SYSTEM).
    pub const fn is_file_system(self) -> bool {
        self.device_type() == 0x0009
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decompose() {
        let c = CtlCode::FSCTL_SRV_COPYCHUNK_WRITE;
        assert_eq!(c.device_type(), 0x14);
        assert_eq!(c.required_access(), 2);
        assert_eq!(c.method(), TransferMethod::OUT_DIRECT);
        assert_eq!(CtlCode::FSCTL_PIPE_TRANSCEIVE.required_access(), 3);
        assert!(CtlCode::FSCTL_SET_SPARSE.is_file_system());
        assert_eq!(CtlCode::FSCTL_SET_SPARSE.function(), 49);
    }

    #[test]
    fn names_and_unknown() {
        assert_eq!(format!("{:?}", CtlCode::FSCTL_PIPE_PEEK), "FSCTL_PIPE_PEEK");
        assert_eq!(format!("{:?}", CtlCode(0x1234)), "CtlCode(0x1234)");
        assert_eq!(CtlCode(0x0014_0204), CtlCode::FSCTL_VALIDATE_NEGOTIATE_INFO);
    }
}
