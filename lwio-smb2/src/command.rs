//! The SMB2 command codes of the header's Command field (MS-SMB2 2.2.1.2).

use crate::header::open_enum;

open_enum! {
    /// An SMB2 command code (open: unknown codes decode and print as a number).
    pub struct Command(u16) {
        /// NEGOTIATE (2.2.3, 2.2.4).
        const NEGOTIATE = 0x0000;
        /// SESSION_SETUP (2.2.5, 2.2.6).
        const SESSION_SETUP = 0x0001;
        /// LOGOFF (2.2.7, 2.2.8).
        const LOGOFF = 0x0002;
        /// TREE_CONNECT (2.2.9, 2.2.10).
        const TREE_CONNECT = 0x0003;
        /// TREE_DISCONNECT (2.2.11, 2.2.12).
        const TREE_DISCONNECT = 0x0004;
        /// CREATE (2.2.13, 2.2.14).
        const CREATE = 0x0005;
        /// CLOSE (2.2.15, 2.2.16).
        const CLOSE = 0x0006;
        /// FLUSH (2.2.17, 2.2.18).
        const FLUSH = 0x0007;
        /// READ (2.2.19, 2.2.20).
        const READ = 0x0008;
        /// WRITE (2.2.21, 2.2.22).
        const WRITE = 0x0009;
        /// LOCK (2.2.26, 2.2.27).
        const LOCK = 0x000A;
        /// IOCTL (2.2.31, 2.2.32).
        const IOCTL = 0x000B;
        /// CANCEL (2.2.30).
        const CANCEL = 0x000C;
        /// ECHO (2.2.28, 2.2.29).
        const ECHO = 0x000D;
        /// QUERY_DIRECTORY (2.2.33, 2.2.34).
        const QUERY_DIRECTORY = 0x000E;
        /// CHANGE_NOTIFY (2.2.35, 2.2.36).
        const CHANGE_NOTIFY = 0x000F;
        /// QUERY_INFO (2.2.37, 2.2.38).
        const QUERY_INFO = 0x0010;
        /// SET_INFO (2.2.39, 2.2.40).
        const SET_INFO = 0x0011;
        /// OPLOCK_BREAK: oplock and lease break notifications, acknowledgments and
        /// responses (2.2.23 to 2.2.25).
        const OPLOCK_BREAK = 0x0012;
        /// SMB2_SERVER_TO_CLIENT_NOTIFICATION (3.1.1, 2.2.44).
        const SERVER_TO_CLIENT_NOTIFICATION = 0x0013;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Command::OPLOCK_BREAK.name(), Some("OPLOCK_BREAK"));
        assert_eq!(format!("{:?}", Command::CREATE), "CREATE");
        assert_eq!(format!("{:?}", Command(0x99)), "Command(0x99)");
    }
}
