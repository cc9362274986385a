//! FSCTL and IOCTL codes (MS-FSCC 2.3; MS-SMB2 2.2.31 CtlCode) as an open newtype. A code
//! packs the device type (bits 16-31), the required access (bits 14-15), the function
//! (bits 2-13) and the transfer method (bits 0-1), as Windows' `CTL_CODE` macro does.
//!
//! The access bits are what the I/O manager checks a handle against before any driver
//! sees the request ([`CtlCode::access_mask`]): FILE_ANY_ACCESS needs nothing,
//! FILE_READ_ACCESS needs FILE_READ_DATA, FILE_WRITE_ACCESS FILE_WRITE_DATA.
//!
//! The named pipe codes (device type 0x11) are the interface any pipe file system answers,
//! as Windows' ntifs.h defines them apart from NPFS. lwio's private codes,
//! [`CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`] and [`CtlCode::FSCTL_LWIO_QUERY_LOCKS`],
//! sit in the range Windows leaves to vendors (functions 0x800 and up).

use crate::access::AccessMask;

open_enum! {
    /// A control code. Unknown codes keep their value; `Debug` names the known ones.
    pub struct CtlCode(u32) {
        /// DFS referral request (MS-DFSC 2.2.2).
        const FSCTL_DFS_GET_REFERRALS = 0x0006_0194;
        /// DFS referral request with site name (MS-DFSC 2.2.3).
        const FSCTL_DFS_GET_REFERRALS_EX = 0x0006_01B0;
        /// Request an exclusive (level 1) oplock; pends until it breaks (MS-FSA 2.1.5.17).
        const FSCTL_REQUEST_OPLOCK_LEVEL_1 = 0x0009_0000;
        /// Request a level 2 (shared) oplock; pends until it breaks.
        const FSCTL_REQUEST_OPLOCK_LEVEL_2 = 0x0009_0004;
        /// Request a batch oplock; pends until it breaks.
        const FSCTL_REQUEST_BATCH_OPLOCK = 0x0009_0008;
        /// Acknowledge an oplock break, taking a level 2 oplock when offered (MS-FSA 2.1.5.18).
        const FSCTL_OPLOCK_BREAK_ACKNOWLEDGE = 0x0009_000C;
        /// Acknowledge a batch oplock break, the handle about to be closed.
        const FSCTL_OPBATCH_ACK_CLOSE_PENDING = 0x0009_0010;
        /// Request or acknowledge a Windows 7 oplock (a lease: read, write and handle
        /// caching) with a REQUEST_OPLOCK_INPUT_BUFFER (MS-FSA 2.1.5.17, MS-FSCC 2.3.23).
        const FSCTL_REQUEST_OPLOCK = 0x0009_0240;
        /// Acknowledge an oplock break, declining any level 2 oplock.
        const FSCTL_OPLOCK_BREAK_ACK_NO_2 = 0x0009_0050;
        /// Validate a path name.
        const FSCTL_IS_PATHNAME_VALID = 0x0009_002C;
        /// Get the compression state.
        const FSCTL_GET_COMPRESSION = 0x0009_003C;
        /// Set the compression state.
        const FSCTL_SET_COMPRESSION = 0x0009_C040;
        /// Set the object id.
        const FSCTL_SET_OBJECT_ID = 0x0009_0098;
        /// Get the object id.
        const FSCTL_GET_OBJECT_ID = 0x0009_009C;
        /// Delete the object id.
        const FSCTL_DELETE_OBJECT_ID = 0x0009_00A0;
        /// Set the reparse point.
        const FSCTL_SET_REPARSE_POINT = 0x0009_00A4;
        /// Get the reparse point.
        const FSCTL_GET_REPARSE_POINT = 0x0009_00A8;
        /// Delete the reparse point.
        const FSCTL_DELETE_REPARSE_POINT = 0x0009_00AC;
        /// Set the extended part of the object id.
        const FSCTL_SET_OBJECT_ID_EXTENDED = 0x0009_00BC;
        /// Create or get the object id.
        const FSCTL_CREATE_OR_GET_OBJECT_ID = 0x0009_00C0;
        /// Mark a file sparse.
        const FSCTL_SET_SPARSE = 0x0009_00C4;
        /// Zero a range.
        const FSCTL_SET_ZERO_DATA = 0x0009_80C8;
        /// List allocated ranges.
        const FSCTL_QUERY_ALLOCATED_RANGES = 0x0009_40CF;
        /// Zero clusters when they are deallocated.
        const FSCTL_SET_ZERO_ON_DEALLOCATION = 0x0009_0194;
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
        /// Disconnect a pipe instance from its client (server end; function 1,
        /// METHOD_BUFFERED, FILE_ANY_ACCESS).
        const FSCTL_PIPE_DISCONNECT = 0x0011_0004;
        /// Wait for a client (server end; function 2, METHOD_BUFFERED, FILE_ANY_ACCESS).
        const FSCTL_PIPE_LISTEN = 0x0011_0008;
        /// Look at queued data without taking it (function 3, METHOD_BUFFERED,
        /// FILE_READ_ACCESS; MS-FSCC 2.3.45-46).
        const FSCTL_PIPE_PEEK = 0x0011_400C;
        /// Write one message, then read one (function 5, METHOD_NEITHER, read and write
        /// access; MS-FSCC 2.3.47-48).
        const FSCTL_PIPE_TRANSCEIVE = 0x0011_C017;
        /// Wait until an instance of a named pipe listens (function 6, METHOD_BUFFERED,
        /// FILE_ANY_ACCESS; MS-FSCC 2.3.49-50).
        const FSCTL_PIPE_WAIT = 0x0011_0018;
        /// lwio's private pipe control, on a server end: the connected client's identity
        /// (`lwio_core::pipe::PipeClientInfo`, encoded). Function 0x800, the first of the
        /// vendor range, METHOD_BUFFERED, FILE_ANY_ACCESS: no Windows FSCTL has this value.
        const FSCTL_LWIO_PIPE_GET_CLIENT_INFO = 0x0011_2000;
        /// lwio's private file system control: the byte-range locks of the file object's
        /// stream (`lwio_fscc::lock_list`). Device type 0x9 (file system), function 0x800
        /// (vendor range), METHOD_BUFFERED, FILE_ANY_ACCESS. Administrative: the SMB
        /// server refuses it from the wire.
        const FSCTL_LWIO_QUERY_LOCKS = 0x0009_2000;
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

open_enum! {
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

/// The short names lwio-smb2 first gave the codes its server dispatches on (the same
/// values as the `FSCTL_` names, which `Debug` prints).
impl CtlCode {
    /// [`CtlCode::FSCTL_DFS_GET_REFERRALS`].
    pub const DFS_GET_REFERRALS: CtlCode = CtlCode::FSCTL_DFS_GET_REFERRALS;
    /// [`CtlCode::FSCTL_DFS_GET_REFERRALS_EX`].
    pub const DFS_GET_REFERRALS_EX: CtlCode = CtlCode::FSCTL_DFS_GET_REFERRALS_EX;
    /// [`CtlCode::FSCTL_PIPE_PEEK`].
    pub const PIPE_PEEK: CtlCode = CtlCode::FSCTL_PIPE_PEEK;
    /// [`CtlCode::FSCTL_PIPE_WAIT`].
    pub const PIPE_WAIT: CtlCode = CtlCode::FSCTL_PIPE_WAIT;
    /// [`CtlCode::FSCTL_PIPE_TRANSCEIVE`].
    pub const PIPE_TRANSCEIVE: CtlCode = CtlCode::FSCTL_PIPE_TRANSCEIVE;
    /// [`CtlCode::FSCTL_SRV_COPYCHUNK`].
    pub const SRV_COPYCHUNK: CtlCode = CtlCode::FSCTL_SRV_COPYCHUNK;
    /// [`CtlCode::FSCTL_SRV_ENUMERATE_SNAPSHOTS`].
    pub const SRV_ENUMERATE_SNAPSHOTS: CtlCode = CtlCode::FSCTL_SRV_ENUMERATE_SNAPSHOTS;
    /// [`CtlCode::FSCTL_SRV_REQUEST_RESUME_KEY`].
    pub const SRV_REQUEST_RESUME_KEY: CtlCode = CtlCode::FSCTL_SRV_REQUEST_RESUME_KEY;
    /// [`CtlCode::FSCTL_SRV_READ_HASH`].
    pub const SRV_READ_HASH: CtlCode = CtlCode::FSCTL_SRV_READ_HASH;
    /// [`CtlCode::FSCTL_SRV_COPYCHUNK_WRITE`].
    pub const SRV_COPYCHUNK_WRITE: CtlCode = CtlCode::FSCTL_SRV_COPYCHUNK_WRITE;
    /// [`CtlCode::FSCTL_LMR_REQUEST_RESILIENCY`].
    pub const LMR_REQUEST_RESILIENCY: CtlCode = CtlCode::FSCTL_LMR_REQUEST_RESILIENCY;
    /// [`CtlCode::FSCTL_QUERY_NETWORK_INTERFACE_INFO`].
    pub const QUERY_NETWORK_INTERFACE_INFO: CtlCode = CtlCode::FSCTL_QUERY_NETWORK_INTERFACE_INFO;
    /// [`CtlCode::FSCTL_VALIDATE_NEGOTIATE_INFO`].
    pub const VALIDATE_NEGOTIATE_INFO: CtlCode = CtlCode::FSCTL_VALIDATE_NEGOTIATE_INFO;
    /// [`CtlCode::FSCTL_SET_REPARSE_POINT`].
    pub const SET_REPARSE_POINT: CtlCode = CtlCode::FSCTL_SET_REPARSE_POINT;
    /// [`CtlCode::FSCTL_GET_REPARSE_POINT`].
    pub const GET_REPARSE_POINT: CtlCode = CtlCode::FSCTL_GET_REPARSE_POINT;
    /// [`CtlCode::FSCTL_FILE_LEVEL_TRIM`].
    pub const FILE_LEVEL_TRIM: CtlCode = CtlCode::FSCTL_FILE_LEVEL_TRIM;
    /// [`CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID`].
    pub const CREATE_OR_GET_OBJECT_ID: CtlCode = CtlCode::FSCTL_CREATE_OR_GET_OBJECT_ID;
    /// [`CtlCode::FSCTL_SET_SPARSE`].
    pub const SET_SPARSE: CtlCode = CtlCode::FSCTL_SET_SPARSE;
    /// [`CtlCode::FSCTL_SET_ZERO_DATA`].
    pub const SET_ZERO_DATA: CtlCode = CtlCode::FSCTL_SET_ZERO_DATA;
    /// [`CtlCode::FSCTL_QUERY_ALLOCATED_RANGES`].
    pub const QUERY_ALLOCATED_RANGES: CtlCode = CtlCode::FSCTL_QUERY_ALLOCATED_RANGES;
    /// [`CtlCode::FSCTL_GET_COMPRESSION`].
    pub const GET_COMPRESSION: CtlCode = CtlCode::FSCTL_GET_COMPRESSION;
    /// [`CtlCode::FSCTL_SET_COMPRESSION`].
    pub const SET_COMPRESSION: CtlCode = CtlCode::FSCTL_SET_COMPRESSION;
}

/// FILE_DEVICE_FILE_SYSTEM: the device type of file system controls.
pub const FILE_DEVICE_FILE_SYSTEM: u16 = 0x0009;
/// FILE_DEVICE_NAMED_PIPE: the device type of the pipe controls.
pub const FILE_DEVICE_NAMED_PIPE: u16 = 0x0011;
/// FILE_ANY_ACCESS: the code needs no access on the handle.
pub const FILE_ANY_ACCESS: u8 = 0;
/// FILE_READ_ACCESS: the code needs FILE_READ_DATA.
pub const FILE_READ_ACCESS: u8 = 1;
/// FILE_WRITE_ACCESS: the code needs FILE_WRITE_DATA.
pub const FILE_WRITE_ACCESS: u8 = 2;

impl CtlCode {
    /// Windows' `CTL_CODE(DeviceType, Function, Method, Access)`: `function` keeps its low
    /// 12 bits and `access` its low 2.
    #[inline]
    pub const fn new(device_type: u16, function: u16, method: TransferMethod, access: u8) -> Self {
        CtlCode(
            (device_type as u32) << 16
                | ((access as u32) & 3) << 14
                | ((function as u32) & 0xFFF) << 2
                | ((method.0 as u32) & 3),
        )
    }

    /// The device type (bits 16-31): 0x9 file system, 0x11 named pipe, 0x14 network file
    /// system, 0x6 DFS.
    #[inline]
    pub const fn device_type(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The access bits (14-15): 0 any, 1 read, 2 write, 3 read and write.
    #[inline]
    pub const fn required_access(self) -> u8 {
        ((self.0 >> 14) & 3) as u8
    }

    /// The function number (bits 2-13).
    #[inline]
    pub const fn function(self) -> u16 {
        ((self.0 >> 2) & 0xFFF) as u16
    }

    /// The transfer method (bits 0-1).
    #[inline]
    pub const fn method(self) -> TransferMethod {
        TransferMethod((self.0 & 3) as u8)
    }

    /// True when the code is a file-system control (device type FILE_DEVICE_FILE_SYSTEM).
    #[inline]
    pub const fn is_file_system(self) -> bool {
        self.device_type() == FILE_DEVICE_FILE_SYSTEM
    }

    /// The rights the access bits ask of the handle, by the Windows I/O manager's rule:
    /// FILE_READ_DATA for FILE_READ_ACCESS, FILE_WRITE_DATA for FILE_WRITE_ACCESS, both for
    /// both, none for FILE_ANY_ACCESS.
    #[inline]
    pub const fn access_mask(self) -> AccessMask {
        let bits = self.required_access();
        let mut m = 0;
        if bits & FILE_READ_ACCESS != 0 {
            m |= AccessMask::FILE_READ_DATA.0;
        }
        if bits & FILE_WRITE_ACCESS != 0 {
            m |= AccessMask::FILE_WRITE_DATA.0;
        }
        AccessMask(m)
    }
}

impl From<u32> for CtlCode {
    #[inline]
    fn from(code: u32) -> CtlCode {
        CtlCode(code)
    }
}

impl From<CtlCode> for u32 {
    #[inline]
    fn from(code: CtlCode) -> u32 {
        code.0
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
    fn ctl_code_builds_the_known_values() {
        let m = TransferMethod::BUFFERED;
        assert_eq!(
            CtlCode::new(FILE_DEVICE_NAMED_PIPE, 2, m, FILE_ANY_ACCESS),
            CtlCode::FSCTL_PIPE_LISTEN
        );
        assert_eq!(
            CtlCode::new(FILE_DEVICE_NAMED_PIPE, 0x800, m, FILE_ANY_ACCESS),
            CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO
        );
        assert_eq!(
            CtlCode::new(FILE_DEVICE_NAMED_PIPE, 5, TransferMethod::NEITHER, 3),
            CtlCode::FSCTL_PIPE_TRANSCEIVE
        );
        assert_eq!(
            CtlCode::new(0x14, 0x3C, TransferMethod::OUT_DIRECT, FILE_WRITE_ACCESS),
            CtlCode::FSCTL_SRV_COPYCHUNK_WRITE
        );
        // Every named code decomposes and rebuilds to itself.
        for c in [
            CtlCode::FSCTL_SET_ZERO_ON_DEALLOCATION,
            CtlCode::FSCTL_OFFLOAD_READ,
            CtlCode::FSCTL_VALIDATE_NEGOTIATE_INFO,
        ] {
            let again = CtlCode::new(
                c.device_type(),
                c.function(),
                c.method(),
                c.required_access(),
            );
            assert_eq!(again, c);
        }
    }

    #[test]
    fn access_bits_map_to_rights() {
        assert_eq!(CtlCode::FSCTL_PIPE_WAIT.access_mask(), AccessMask::NONE);
        assert_eq!(
            CtlCode::FSCTL_PIPE_PEEK.access_mask(),
            AccessMask::FILE_READ_DATA
        );
        assert_eq!(
            CtlCode::FSCTL_SRV_COPYCHUNK_WRITE.access_mask(),
            AccessMask::FILE_WRITE_DATA
        );
        assert_eq!(
            CtlCode::FSCTL_PIPE_TRANSCEIVE.access_mask(),
            AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_DATA
        );
    }

    #[test]
    fn short_names_are_the_same_codes() {
        assert_eq!(CtlCode::PIPE_WAIT, CtlCode::FSCTL_PIPE_WAIT);
        assert_eq!(
            format!("{:?}", CtlCode::VALIDATE_NEGOTIATE_INFO),
            "FSCTL_VALIDATE_NEGOTIATE_INFO"
        );
        assert_eq!(u32::from(CtlCode::SET_SPARSE), 0x0009_00C4);
    }

    #[test]
    fn names_and_unknown() {
        assert_eq!(format!("{:?}", CtlCode::FSCTL_PIPE_PEEK), "FSCTL_PIPE_PEEK");
        assert_eq!(format!("{:?}", CtlCode(0x1234)), "CtlCode(0x1234)");
        assert_eq!(CtlCode(0x0014_0204), CtlCode::FSCTL_VALIDATE_NEGOTIATE_INFO);
    }
}
