//! The RPC services every SMB client asks for, served on the server's named pipes:
//! `\pipe\srvsvc` (share enumeration, server information), `\pipe\wkssvc` (workstation
//! information) and `\pipe\rpcecho` (the echo interface smbtorture's rpc.echo uses); with
//! a SAM, `\pipe\samr` and `\pipe\lsarpc` too ([`RpcServices::start_samr`]).
//! Each pipe also answers the DCE/RPC management interface (mgmt), which lists what that
//! pipe serves and counts its calls.
//!
//! srvsvc reads the server's live share table through [`ShareTable`], so a share added at
//! run time is listed at once. The engine registers each authenticated (non-guest)
//! session in the [`LogonTable`] it reaches through [`RpcServices::logons`]: wkssvc lists
//! its users, and srvsvc ([`LiveState`]) walks its sessions, their tree connects and
//! their opens for NetrSessionEnum, NetrConnectionEnum and NetrFileEnum. The transport
//! srvsvc reports is the TCP listener the server announces with
//! [`RpcServices::set_listener`]. The services run on lwio-rpc's pipe
//! transport over the server's NPFS device; IPC$ opens from SMB clients reach them through
//! ordinary creates.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use lwio_auth::ntlm::ServerNames;
use lwio_core::{IoManager, NtStatus};
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::interfaces::echo::EchoInterface;
use lwio_rpc::interfaces::mgmt::{Endpoint, authn};
use lwio_rpc::interfaces::srvsvc::{
    ConnectionRecord, OpenRecord, ServerState, SessionRecord, ShareDatabase, ShareRecord,
    ShareType, SrvsvcInterface, TransportRecord,
};
use lwio_rpc::interfaces::wkssvc::{LoggedOnUser, LogonSessions, WkssvcInterface};
use lwio_rpc::server::{Interface, PipeServer, RpcAuth, serve_pipe};
use parking_lot::{Mutex, RwLock};

use crate::accounts::AccountSource;
use crate::state::{Session, Share, ShareKind};

/// The server's shares as srvsvc reports them, shared with the engine.
#[derive(Default)]
pub struct ShareTable {
    shares: RwLock<Vec<(Arc<Share>, String)>>,
}

impl ShareTable {
    /// Adds a share with the local path to report at info level 2/502.
    pub fn add(&self, share: Arc<Share>, path: &str) {
        self.shares.write().push((share, path.to_owned()));
    }
}

impl ShareDatabase for ShareTable {
    fn shares(&self) -> Vec<ShareRecord> {
        self.shares
            .read()
            .iter()
            .map(|(share, path)| {
                let share_type = match share.kind {
                    ShareKind::Disk { .. } => ShareType::DISK,
                    ShareKind::Ipc { .. } => ShareType::IPC.special(),
                };
                let mut record = ShareRecord::new(&share.name, share_type, &share.comment, path);
                record.security_descriptor =
                    share.security.as_ref().and_then(|sd| sd.try_encode().ok());
                record
            })
            .collect()
    }
}

/// The share table with each share's current uses: the tree connects the registered
/// sessions hold on it.
struct LiveShares {
    table: Arc<ShareTable>,
    logons: Arc<LogonTable>,
}

impl ShareDatabase for LiveShares {
    fn shares(&self) -> Vec<ShareRecord> {
        let mut shares = self.table.shares();
        let trees: Vec<String> = self
            .logons
            .sessions()
            .iter()
            .flat_map(|(s, _)| s.trees())
            .map(|t| t.share.name.clone())
            .collect();
        for share in &mut shares {
            let uses = trees
                .iter()
                .filter(|n| n.eq_ignore_ascii_case(&share.name))
                .count();
            share.current_uses = u32::try_from(uses).unwrap_or(u32::MAX);
        }
        shares
    }
}

/// The users logged on through SMB sessions, as wkssvc's NetrWkstaUserEnum (and the
/// user count of NetrWkstaGetInfo level 102) lists them, and the sessions srvsvc
/// enumerates. The engine registers a session with [`LogonTable::logon_session`] and
/// keeps the guard in the session; dropping the guard (the session ends) takes the entry
/// out.
#[derive(Default)]
pub struct LogonTable {
    entries: Mutex<Vec<LogonEntry>>,
    next: AtomicU64,
}

struct LogonEntry {
    id: u64,
    user: LoggedOnUser,
    /// The SMB session, for srvsvc (none for a bare [`LogonTable::logon`]).
    session: Option<Weak<Session>>,
    /// The client's address.
    client: Option<SocketAddr>,
}

/// One registered logon; dropping it unregisters.
pub struct LogonGuard {
    table: Arc<LogonTable>,
    id: u64,
}

impl Drop for LogonGuard {
    fn drop(&mut self) {
        self.table.entries.lock().retain(|e| e.id != self.id);
    }
}

impl LogonTable {
    fn register(
        self: &Arc<Self>,
        user: LoggedOnUser,
        session: Option<Weak<Session>>,
        client: Option<SocketAddr>,
    ) -> LogonGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.entries.lock().push(LogonEntry {
            id,
            user,
            session,
            client,
        });
        LogonGuard {
            table: Arc::clone(self),
            id,
        }
    }

    /// Registers `user` of `domain`, authenticated by `server`, until the guard drops.
    pub fn logon(self: &Arc<Self>, user: &str, domain: &str, server: &str) -> LogonGuard {
        let user = LoggedOnUser {
            user_name: user.to_owned(),
            logon_domain: domain.to_owned(),
            logon_server: server.to_owned(),
        };
        self.register(user, None, None)
    }

    /// Registers the SMB `session` (its user and domain), authenticated by `server`, from
    /// `client`; keep the guard in the session ([`Session::attach_logon`]).
    pub fn logon_session(
        self: &Arc<Self>,
        session: &Arc<Session>,
        server: &str,
        client: Option<SocketAddr>,
    ) -> LogonGuard {
        let user = LoggedOnUser {
            user_name: session.user.clone(),
            logon_domain: session.domain.clone(),
            logon_server: server.to_owned(),
        };
        self.register(user, Some(Arc::downgrade(session)), client)
    }

    /// The registered SMB sessions that are still alive, with their clients.
    fn sessions(&self) -> Vec<(Arc<Session>, Option<SocketAddr>)> {
        self.entries
            .lock()
            .iter()
            .filter_map(|e| Some((e.session.as_ref()?.upgrade()?, e.client)))
            .collect()
    }
}

impl LogonSessions for LogonTable {
    fn logged_on(&self) -> Vec<LoggedOnUser> {
        self.entries.lock().iter().map(|e| e.user.clone()).collect()
    }
}

fn seconds(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// The SMB server's live state as srvsvc reads it: the sessions of the [`LogonTable`]
/// with their trees and opens, and the TCP listener.
pub struct LiveState {
    logons: Arc<LogonTable>,
    /// The NetBIOS name, the transport address of the listener.
    name: String,
    listener: RwLock<Option<SocketAddr>>,
    connections: Arc<AtomicU32>,
}

impl LiveState {
    /// A session as srvsvc reports it.
    fn record(session: &Session, client: Option<SocketAddr>) -> SessionRecord {
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
                        // Byte-range locks live in the file system below (PVFS); the
                        // SMB layer does not count them.
                        locks: 0,
                    })
                    .collect(),
            })
            .collect();
        SessionRecord {
            client: client.map(|a| a.ip().to_string()).unwrap_or_default(),
            user: session.user.clone(),
            seconds: seconds(session.age()),
            idle_seconds: seconds(session.idle()),
            guest: session.is_guest,
            connections,
        }
    }
}

impl ServerState for LiveState {
    fn sessions(&self) -> Vec<SessionRecord> {
        self.logons
            .sessions()
            .iter()
            .map(|(s, client)| Self::record(s, *client))
            .collect()
    }

    fn transports(&self) -> Vec<TransportRecord> {
        let Some(addr) = *self.listener.read() else {
            return Vec::new();
        };
        // The transport address of direct-hosted SMB: the NetBIOS name, space-padded to
        // 16 bytes.
        let mut address: Vec<u8> = self.name.bytes().take(16).collect();
        address.resize(16, b' ');
        vec![TransportRecord {
            name: r"\Device\NetbiosSmb".into(),
            address,
            network_address: addr.to_string(),
            connections: self.connections.load(Ordering::Relaxed),
        }]
    }
}

/// The running RPC services; dropping this stops them.
pub struct RpcServices {
    _pipes: Vec<PipeServer>,
    logons: Arc<LogonTable>,
    state: Arc<LiveState>,
    /// The machine the services describe (the SAM's services take its workgroup and
    /// anonymous policy).
    #[cfg_attr(not(feature = "samr"), allow(dead_code))]
    identity: ServerIdentity,
}

impl RpcServices {
    /// Serves SAMR, the LSA and dssetup on `\pipe\samr` and `\pipe\lsarpc` over `sam`
    /// (lwio-samr), with the same authentication as the other pipes; stops with the
    /// other services.
    #[cfg(feature = "samr")]
    pub fn start_samr(
        &mut self,
        io: &IoManager,
        npfs_device: &str,
        sam: lwio_samr::Sam,
        auth: RpcAuth,
    ) -> Result<(), NtStatus> {
        let pipes = lwio_samr::serve(io, npfs_device, sam, auth, &self.identity)?;
        self._pipes.extend(pipes);
        Ok(())
    }

    /// The logon table wkssvc lists; the SMB engine registers its sessions here.
    pub fn logons(&self) -> Arc<LogonTable> {
        Arc::clone(&self.logons)
    }

    /// Announces the TCP listener srvsvc reports as the server's transport.
    pub fn set_listener(&self, addr: SocketAddr) {
        *self.state.listener.write() = Some(addr);
    }

    /// The count of open client connections the transport reports; the listener keeps
    /// it.
    pub fn connection_count(&self) -> Arc<AtomicU32> {
        Arc::clone(&self.state.connections)
    }
}

/// Starts srvsvc, wkssvc and rpcecho on the NPFS device `npfs_device` of `io`.
pub fn start(
    io: &IoManager,
    npfs_device: &str,
    identity: ServerIdentity,
    shares: Arc<ShareTable>,
    accounts: Arc<dyn AccountSource>,
) -> Result<RpcServices, NtStatus> {
    let auth = RpcAuth {
        names: ServerNames {
            nb_computer: identity.name.clone(),
            nb_domain: identity.domain.clone(),
            ..ServerNames::default()
        },
        accounts,
    };
    // Every pipe also answers mgmt. The principal clients authenticate to is the NetBIOS
    // computer name, for NTLMSSP and for SPNEGO (which negotiates NTLMSSP here).
    let endpoint_of = |interfaces: Vec<Arc<dyn Interface>>| {
        let server = interfaces
            .into_iter()
            .fold(Endpoint::new(), Endpoint::serve)
            .principal(authn::WINNT, &identity.name)
            .principal(authn::GSS_NEGOTIATE, &identity.name)
            .into_server()
            .with_auth(auth.clone());
        Arc::new(server)
    };
    let endpoint = |interface: Arc<dyn Interface>| endpoint_of(vec![interface]);
    let logons = Arc::new(LogonTable::default());
    let state = Arc::new(LiveState {
        logons: Arc::clone(&logons),
        name: identity.name.clone(),
        listener: RwLock::new(None),
        connections: Arc::default(),
    });
    let shares = Arc::new(LiveShares {
        table: shares,
        logons: Arc::clone(&logons),
    });
    let srvsvc = endpoint(Arc::new(
        SrvsvcInterface::new(identity.clone(), shares).with_state(Arc::clone(&state) as _),
    ));
    let wkssvc = endpoint(Arc::new(
        WkssvcInterface::new(identity.clone()).with_logons(Arc::clone(&logons) as _),
    ));
    let echo = endpoint(Arc::new(EchoInterface::new()));
    let pipes = vec![
        serve_pipe(io, npfs_device, "srvsvc", srvsvc)?,
        serve_pipe(io, npfs_device, "wkssvc", wkssvc)?,
        serve_pipe(io, npfs_device, "rpcecho", echo)?,
    ];
    Ok(RpcServices {
        _pipes: pipes,
        logons,
        state,
        identity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logon_guards_register_and_unregister() {
        let table = Arc::new(LogonTable::default());
        let alice = table.logon("alice", "WORKGROUP", "LWIO");
        let bob = table.logon("bob", "WORKGROUP", "LWIO");
        let names = |t: &LogonTable| -> Vec<String> {
            t.logged_on().into_iter().map(|u| u.user_name).collect()
        };
        assert_eq!(names(&table), ["alice", "bob"]);
        drop(alice);
        assert_eq!(names(&table), ["bob"]);
        let again = table.logon("bob", "WORKGROUP", "LWIO");
        assert_eq!(names(&table), ["bob", "bob"]);
        drop((bob, again));
        assert!(table.logged_on().is_empty());
    }

    fn session(id: u64, user: &str) -> Arc<Session> {
        let token = lwio_core::AccessToken::new(lwio_core::security::well_known::WORLD);
        Arc::new(Session::new(
            id,
            user.into(),
            "WORKGROUP".into(),
            Arc::new(token),
            [0; 16],
            false,
        ))
    }

    fn live(logons: &Arc<LogonTable>) -> LiveState {
        LiveState {
            logons: Arc::clone(logons),
            name: "LWIO".into(),
            listener: RwLock::new(None),
            connections: Arc::default(),
        }
    }

    #[test]
    fn live_state_walks_registered_sessions_and_their_trees() {
        let logons = Arc::new(LogonTable::default());
        let state = live(&logons);
        let alice = session(7, "alice");
        let client: SocketAddr = "10.0.0.5:50123".parse().unwrap();
        alice.attach_logon(logons.logon_session(&alice, "LWIO", Some(client)));
        let share = Arc::new(Share {
            name: "data".into(),
            kind: ShareKind::Disk {
                device: "data".into(),
            },
            comment: String::new(),
            security: None,
        });
        let tree = alice.add_tree(share, lwio_core::AccessMask(0x1f_01ff));
        let s = state.sessions();
        assert_eq!(s.len(), 1);
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
        assert_eq!(logons.logged_on()[0].user_name, "alice");
        let table = Arc::new(ShareTable::default());
        table.add(Arc::clone(&tree.share), "/srv/data");
        let shares = LiveShares {
            table,
            logons: Arc::clone(&logons),
        };
        assert_eq!(shares.share("DATA").map(|s| s.current_uses), Some(1));

        // Logoff takes it out; so does the session's end.
        alice.end_logon();
        assert!(state.sessions().is_empty() && logons.logged_on().is_empty());
        let bob = session(8, "bob");
        bob.attach_logon(logons.logon_session(&bob, "LWIO", None));
        assert_eq!(state.sessions()[0].client, "");
        drop(bob);
        assert!(state.sessions().is_empty() && logons.logged_on().is_empty());
    }

    #[test]
    fn the_transport_is_the_announced_listener() {
        let logons = Arc::new(LogonTable::default());
        let state = live(&logons);
        assert!(state.transports().is_empty());
        *state.listener.write() = Some("127.0.0.1:4455".parse().unwrap());
        state.connections.store(3, Ordering::Relaxed);
        let t = state.transports();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].name, r"\Device\NetbiosSmb");
        assert_eq!(t[0].address, b"LWIO            ");
        assert_eq!(
            (t[0].network_address.as_str(), t[0].connections),
            ("127.0.0.1:4455", 3)
        );
    }
}
