//! The RPC services every SMB client asks for, served on the server's named pipes:
//! `\pipe\srvsvc` (share enumeration, server information), `\pipe\wkssvc` (workstation
//! information) and `\pipe\rpcecho` (the echo interface smbtorture's rpc.echo uses).
//!
//! srvsvc reads the server's live share table through [`ShareTable`], so a share added at
//! run time is listed at once. The services run on lwio-rpc's pipe transport over the
//! server's NPFS device; IPC$ opens from SMB clients reach them through ordinary creates.

use std::sync::Arc;

use lwio_core::{IoManager, NtStatus};
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::interfaces::echo::EchoInterface;
use lwio_rpc::interfaces::srvsvc::{ShareDatabase, ShareRecord, ShareType, SrvsvcInterface};
use lwio_rpc::interfaces::wkssvc::WkssvcInterface;
use lwio_rpc::server::{PipeServer, RpcServer, serve_pipe};
use parking_lot::RwLock;

use crate::state::{Share, ShareKind};

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
                ShareRecord::new(&share.name, share_type, &share.comment, path)
            })
            .collect()
    }
}

/// The running RPC services; dropping this stops them.
pub struct RpcServices {
    _pipes: Vec<PipeServer>,
}

/// Starts srvsvc, wkssvc and rpcecho on the NPFS device `npfs_device` of `io`.
pub fn start(
    io: &IoManager,
    npfs_device: &str,
    identity: ServerIdentity,
    shares: Arc<ShareTable>,
) -> Result<RpcServices, NtStatus> {
    let srvsvc = Arc::new(
        RpcServer::new().register(Arc::new(SrvsvcInterface::new(identity.clone(), shares))),
    );
    let wkssvc = Arc::new(RpcServer::new().register(Arc::new(WkssvcInterface::new(identity))));
    let echo = Arc::new(RpcServer::new().register(Arc::new(EchoInterface::new())));
    let pipes = vec![
        serve_pipe(io, npfs_device, "srvsvc", srvsvc)?,
        serve_pipe(io, npfs_device, "wkssvc", wkssvc)?,
        serve_pipe(io, npfs_device, "rpcecho", echo)?,
    ];
    Ok(RpcServices { _pipes: pipes })
}
