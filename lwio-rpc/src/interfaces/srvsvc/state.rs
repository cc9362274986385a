//! What srvsvc reports about the running SMB server beyond its shares: the sessions, their
//! tree connects and open files (NetrSessionEnum, NetrConnectionEnum, NetrFileEnum), and
//! the transports it listens on (NetrServerTransportEnum), and the actions that end
//! sessions and opens (NetrSessionDel, NetrFileClose). The SMB server implements
//! [`ServerState`] over its live tables; a server without one ([`NoServerState`]) has
//! nothing connected.

/// One open file of a tree connect (MS-SRVS 3.1.1.1, the server's `Open`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRecord {
    /// The open's identifier, as NetrFileEnum reports it (`fi3_id`).
    pub id: u32,
    /// The name relative to the share root (`dir\file`, or the pipe name on IPC$).
    pub name: String,
    /// The access the open was granted (an ACCESS_MASK), mapped to PERM_FILE_* on the wire.
    pub granted: u32,
    /// Byte-range locks the open holds.
    pub locks: u32,
}

/// One tree connect of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// The tree id (`coni1_id`).
    pub id: u32,
    /// The share it connects to.
    pub share: String,
    /// Seconds since the tree was connected.
    pub seconds: u32,
    /// Its open files.
    pub opens: Vec<OpenRecord>,
}

/// One authenticated SMB session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The client's address as SMB names it, without the leading `\\` (`127.0.0.1`).
    pub client: String,
    /// The account name.
    pub user: String,
    /// Seconds since the logon.
    pub seconds: u32,
    /// Seconds since the session's last request.
    pub idle_seconds: u32,
    /// A guest logon (SESS_GUEST).
    pub guest: bool,
    /// The tree connects of the session.
    pub connections: Vec<ConnectionRecord>,
}

impl SessionRecord {
    /// Files open on all trees of the session.
    pub fn open_count(&self) -> u32 {
        let n: usize = self.connections.iter().map(|c| c.opens.len()).sum();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// One transport the server listens on (MS-SRVS 3.1.1.1, `TransportList`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportRecord {
    /// The transport's device name (`\Device\NetbiosSmb` for direct-hosted SMB over TCP).
    pub name: String,
    /// The transport address: the server's NetBIOS name padded with spaces to 16 bytes.
    pub address: Vec<u8>,
    /// The network address the transport is bound to (`127.0.0.1:445`).
    pub network_address: String,
    /// Virtual circuits (client connections) on the transport.
    pub connections: u32,
}

/// The server's live state, as srvsvc reads it at each call.
pub trait ServerState: Send + Sync {
    /// The sessions, each with its trees and their opens.
    fn sessions(&self) -> Vec<SessionRecord>;
    /// The transports the server listens on.
    fn transports(&self) -> Vec<TransportRecord>;
    /// Ends every listed session `chosen` picks (NetrSessionDel); returns how many ended.
    /// A server that cannot end sessions ends none.
    fn delete_sessions(&self, chosen: &dyn Fn(&SessionRecord) -> bool) -> usize {
        let _ = chosen;
        0
    }
    /// Closes the open whose [`OpenRecord::id`] is `id` (NetrFileClose); false when
    /// there is none.
    fn close_file(&self, id: u32) -> bool {
        let _ = id;
        false
    }
}

/// A server with no sessions and no transports (tests, and srvsvc served alone).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoServerState;

impl ServerState for NoServerState {
    fn sessions(&self) -> Vec<SessionRecord> {
        Vec::new()
    }
    fn transports(&self) -> Vec<TransportRecord> {
        Vec::new()
    }
}
