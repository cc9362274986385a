//! srvsvc and wkssvc over a server's live state, for applications that serve them on
//! their named-pipe device (lwiod does; an appliance leaves them out by not calling
//! these).
//!
//! [`StatusView`] reads a [`ServerStatus`]: it is srvsvc's [`ShareDatabase`] (the share
//! table, each share's current uses counted from the trees connected to it) and its
//! [`ServerState`] (the sessions with their tree connects and opens for NetrSessionEnum,
//! NetrConnectionEnum and NetrFileEnum; NetrSessionDel and NetrFileClose end them through
//! [`ServerStatus::close_session`] and [`ServerStatus::close_file`], as `lwio admin`
//! does; the TCP listener as the transport), and wkssvc's
//! [`LogonSessions`] (the users of keyed sessions). [`srvsvc`] and [`wkssvc`] build the
//! interfaces over it; [`pipe_server`] wraps interfaces into an RPC server that also
//! answers the management interface (mgmt) and authenticates with the server's
//! accounts, and [`serve`] puts it on a pipe:
//!
//! ```no_run
//! # fn run(server: &lwio_srv::Server) -> Result<(), lwio_core::NtStatus> {
//! use lwio_srv::rpc_services as rpc;
//! let identity = rpc::identity(server);
//! let pool = lwio_rpc::server::RpcPool::shared()?;
//! let srvsvc = rpc::srvsvc(&server.status(), identity.clone());
//! let _pipe = rpc::serve(&pool, server, "npfs", "srvsvc", vec![std::sync::Arc::new(srvsvc)])?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use lwio_core::NtStatus;
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::interfaces::mgmt::{Endpoint, authn};
use lwio_rpc::interfaces::srvsvc::{
    ConnectionRecord, OpenRecord, ServerState, SessionRecord, ShareDatabase, ShareRecord,
    ShareType, SrvsvcInterface, TransportRecord,
};
use lwio_rpc::interfaces::wkssvc::{LoggedOnUser, LogonSessions, WkssvcInterface};
use lwio_rpc::server::{Interface, PipeServer, RpcAuth, RpcPool, RpcServer, serve_pipe_on};

use crate::Server;
use crate::state::{Session, Share, ShareKind};
use crate::status::ServerStatus;

/// A server's live state as srvsvc and wkssvc read it.
#[derive(Clone, Debug)]
pub struct StatusView {
    status: ServerStatus,
}

impl StatusView {
    /// A view of `status`.
    pub fn new(status: ServerStatus) -> StatusView {
        StatusView { status }
    }
}

/// A share as srvsvc reports it (no current uses).
pub fn share_record(share: &Share) -> ShareRecord {
    let share_type = match share.kind {
        ShareKind::Disk { .. } => ShareType::DISK,
        ShareKind::Ipc { .. } => ShareType::IPC.special(),
    };
    let mut record = ShareRecord::new(&share.name, share_type, &share.comment, &share.path);
    record.max_uses = share.max_uses;
    record.flags = share.flags;
    record.security_descriptor = share.security.as_ref().and_then(|sd| sd.try_encode().ok());
    record
}

impl ShareDatabase for StatusView {
    fn shares(&self) -> Vec<ShareRecord> {
        self.status
            .shares()
            .iter()
            .map(|share| {
                let mut record = share_record(share);
                record.current_uses = self.status.current_uses(&share.name);
                record
            })
            .collect()
    }
}

fn seconds(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// A session as srvsvc reports it.
fn session_record(session: &Session, client: Option<std::net::SocketAddr>) -> SessionRecord {
    let connections = session
        .trees()
        .into_iter()
        .map(|tree| ConnectionRecord {
            id: tree.id,
            share: tree.share.name.clone(),
            seconds: seconds(tree.age()),
            opens: tree
                .opens()
                .into_iter()
                .map(|open| OpenRecord {
                    // The low half of the volatile id: unique while fewer than 2^32
                    // opens separate two live ones.
                    id: open.file_id.volatile as u32,
                    name: open.name.clone(),
                    granted: open.granted.0,
                    // Byte-range locks live in the file system below (PVFS); the SMB
                    // layer does not count them.
                    locks: 0,
                })
                .collect(),
        })
        .collect();
    SessionRecord {
        client: client.map(|a| a.ip().to_string()).unwrap_or_default(),
        user: session.user(),
        seconds: seconds(session.age()),
        idle_seconds: seconds(session.idle()),
        guest: session.is_guest(),
        connections,
    }
}

impl ServerState for StatusView {
    fn sessions(&self) -> Vec<SessionRecord> {
        self.status
            .sessions()
            .iter()
            .filter(|s| !s.session.is_guest())
            .map(|s| session_record(&s.session, s.client))
            .collect()
    }

    fn delete_sessions(&self, chosen: &dyn Fn(&SessionRecord) -> bool) -> usize {
        self.status
            .sessions()
            .iter()
            .filter(|s| !s.session.is_guest() && chosen(&session_record(&s.session, s.client)))
            .filter(|s| self.status.close_session(s.session.id).is_ok())
            .count()
    }

    fn close_file(&self, id: u32) -> bool {
        // The id NetrFileEnum reports: the low half of the open's volatile id.
        let open = self
            .status
            .snapshot()
            .opens
            .into_iter()
            .find(|o| o.id as u32 == id);
        open.is_some_and(|o| self.status.close_file(o.id).is_ok())
    }

    fn transports(&self) -> Vec<TransportRecord> {
        let Some(addr) = self.status.listener() else {
            return Vec::new();
        };
        // The transport address of direct-hosted SMB: the NetBIOS name, space-padded to
        // 16 bytes.
        let mut address: Vec<u8> = self.status.name().bytes().take(16).collect();
        address.resize(16, b' ');
        vec![TransportRecord {
            name: r"\Device\NetbiosSmb".into(),
            address,
            network_address: addr.to_string(),
            connections: self.status.connections(),
        }]
    }
}

impl LogonSessions for StatusView {
    fn logged_on(&self) -> Vec<LoggedOnUser> {
        let server = self.status.name();
        self.status
            .sessions()
            .iter()
            .filter(|s| !s.session.is_guest())
            .map(|s| LoggedOnUser {
                user_name: s.session.user(),
                logon_domain: s.session.identity().domain,
                logon_server: server.clone(),
            })
            .collect()
    }
}

/// The identity the RPC services of `server` describe: its NetBIOS name, WORKGROUP, and
/// anonymous callers refused (set `allow_anonymous` for Windows' RestrictAnonymous=0).
pub fn identity(server: &Server) -> ServerIdentity {
    ServerIdentity {
        name: server.names().nb_computer.clone(),
        domain: server.names().nb_domain.clone(),
        ..ServerIdentity::default()
    }
}

/// How RPC binds authenticate on `server`'s pipes: its names and accounts.
pub fn auth(server: &Server) -> RpcAuth {
    RpcAuth {
        names: lwio_auth::ntlm::ServerNames {
            nb_computer: server.names().nb_computer.clone(),
            nb_domain: server.names().nb_domain.clone(),
            ..lwio_auth::ntlm::ServerNames::default()
        },
        accounts: server.accounts(),
    }
}

/// srvsvc over `status` (add [`SrvsvcInterface::with_admin`] for share management).
pub fn srvsvc(status: &ServerStatus, identity: ServerIdentity) -> SrvsvcInterface {
    let view = Arc::new(StatusView::new(status.clone()));
    SrvsvcInterface::new(identity, Arc::clone(&view) as _).with_state(view as _)
}

/// wkssvc over `status`.
pub fn wkssvc(status: &ServerStatus, identity: ServerIdentity) -> WkssvcInterface {
    WkssvcInterface::new(identity).with_logons(Arc::new(StatusView::new(status.clone())) as _)
}

/// An RPC server of `interfaces` that also answers mgmt, authenticating with `auth`. The
/// principal clients authenticate to is the NetBIOS computer name, for NTLMSSP and for
/// SPNEGO (which negotiates NTLMSSP here).
pub fn pipe_server(interfaces: Vec<Arc<dyn Interface>>, auth: RpcAuth) -> Arc<RpcServer> {
    let name = auth.names.nb_computer.clone();
    let server = interfaces
        .into_iter()
        .fold(Endpoint::new(), Endpoint::serve)
        .principal(authn::WINNT, &name)
        .principal(authn::GSS_NEGOTIATE, &name)
        .into_server()
        .with_auth(auth);
    Arc::new(server)
}

/// Serves `interfaces` (and mgmt) on `\pipe\<pipe_name>` of the named-pipe device
/// `npfs_device` of `server`'s I/O manager, on `pool`, authenticating with the server's
/// accounts; dropping the returned pipe server stops it.
pub fn serve(
    pool: &RpcPool,
    server: &Server,
    npfs_device: &str,
    pipe_name: &str,
    interfaces: Vec<Arc<dyn Interface>>,
) -> Result<PipeServer, NtStatus> {
    let rpc = pipe_server(interfaces, auth(server));
    serve_pipe_on(pool, server.io(), npfs_device, pipe_name, rpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: u64, user: &str, guest: bool) -> Arc<Session> {
        let token = lwio_core::AccessToken::new(lwio_core::security::well_known::WORLD);
        Arc::new(Session::new(
            id,
            user.into(),
            "WORKGROUP".into(),
            Arc::new(token),
            [0; 16],
            guest,
        ))
    }

    #[test]
    fn the_view_walks_registered_sessions_and_their_trees() {
        let status = ServerStatus::new("LWIO");
        let view = StatusView::new(status.clone());
        let share = status
            .add_share(Share::disk("data", "data").with_path("/srv/data"))
            .unwrap();
        let alice = session(7, "alice", false);
        let client: std::net::SocketAddr = "10.0.0.5:50123".parse().unwrap();
        alice.attach_logon(status.register_session(&alice, Some(client)));
        let guest = session(8, "guest", true);
        guest.attach_logon(status.register_session(&guest, None));
        let tree = alice.add_tree(share, lwio_core::AccessMask(0x1f_01ff));
        let s = ServerState::sessions(&view);
        assert_eq!(s.len(), 1, "guests are not listed");
        assert_eq!(
            (s[0].client.as_str(), s[0].user.as_str()),
            ("10.0.0.5", "alice")
        );
        assert!(!s[0].guest && s[0].seconds < 5 && s[0].idle_seconds < 5);
        assert_eq!(s[0].connections.len(), 1);
        assert_eq!(
            (s[0].connections[0].id, s[0].connections[0].share.as_str()),
            (tree.id, "data")
        );
        assert!(s[0].connections[0].opens.is_empty());
        // wkssvc sees the same logon; the share counts the tree as a use.
        let users = view.logged_on();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].user_name, "alice");
        let record = view.share("DATA").unwrap();
        assert_eq!(
            (record.current_uses, record.path.as_str()),
            (1, "/srv/data")
        );

        // Logoff takes it out; so does the session's end.
        alice.end_logon();
        assert!(ServerState::sessions(&view).is_empty() && view.logged_on().is_empty());
        let bob = session(9, "bob", false);
        bob.attach_logon(status.register_session(&bob, None));
        assert_eq!(ServerState::sessions(&view)[0].client, "");
        drop(bob);
        assert!(ServerState::sessions(&view).is_empty() && view.logged_on().is_empty());
    }

    #[test]
    fn the_transport_is_the_announced_listener() {
        let status = ServerStatus::new("LWIO");
        let view = StatusView::new(status.clone());
        assert!(view.transports().is_empty());
        status.set_listener("127.0.0.1:4455".parse().unwrap());
        for _ in 0..3 {
            status.connection_opened();
        }
        let t = view.transports();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].name, r"\Device\NetbiosSmb");
        assert_eq!(t[0].address, b"LWIO            ");
        assert_eq!(
            (t[0].network_address.as_str(), t[0].connections),
            ("127.0.0.1:4455", 3)
        );
    }
}
