//! [`serve`]: the machine's account services on its named pipes, as Windows' LSA
//! process (lsass) offers them: one RPC server answering SAMR, the LSA (lsarpc) and
//! dssetup, with the DCE/RPC management interface, on both `\pipe\samr` and
//! `\pipe\lsarpc`. Any of those interfaces binds on either pipe, and the two pipes share
//! their association groups, so a context handle opened over one pipe is found (with its
//! type checked) through a connection to the other of the same group.

use std::sync::Arc;

use lwio_core::{IoManager, NtStatus};
use lwio_rpc::interfaces::ServerIdentity;
use lwio_rpc::interfaces::dssetup::DssetupInterface;
use lwio_rpc::interfaces::mgmt::{Endpoint, authn};
use lwio_rpc::server::{PipeServer, RpcAuth, serve_pipe};

use crate::lsa::{LSARPC_PIPE, LsaInterface};
use crate::rpc::{SAMR_PIPE, SamrInterface};
use crate::sam::Sam;

/// Serves SAMR, the LSA and dssetup over `sam` on `\pipe\samr` and `\pipe\lsarpc` of the
/// NPFS device `npfs_device` of `io`, accepting authenticated binds (NTLMSSP, SPNEGO)
/// checked with `auth`. `identity` names the machine's workgroup (the LSA's primary
/// domain, dssetup's flat name) and whether the anonymous logon may open the LSA policy
/// (`allow_anonymous`, RestrictAnonymous=0). Dropping the returned servers stops them.
pub fn serve(
    io: &IoManager,
    npfs_device: &str,
    sam: Sam,
    auth: RpcAuth,
    identity: &ServerIdentity,
) -> Result<Vec<PipeServer>, NtStatus> {
    let name = auth.names.nb_computer.clone();
    let samr = SamrInterface::new(sam.clone()).with_workgroup(&auth.names.nb_domain);
    let lsa = LsaInterface::new(sam)
        .with_workgroup(&identity.domain)
        .allow_anonymous(identity.allow_anonymous);
    let server = Arc::new(
        Endpoint::new()
            .serve(Arc::new(samr))
            .serve(Arc::new(lsa))
            .serve(Arc::new(DssetupInterface::new(identity.domain.clone())))
            .principal(authn::WINNT, &name)
            .principal(authn::GSS_NEGOTIATE, &name)
            .into_server()
            .with_auth(auth),
    );
    Ok(vec![
        serve_pipe(io, npfs_device, SAMR_PIPE, Arc::clone(&server))?,
        serve_pipe(io, npfs_device, LSARPC_PIPE, server)?,
    ])
}
