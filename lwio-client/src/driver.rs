//! [`DaemonDriver`]: a daemon's namespace as a device of an in-process I/O manager.
//!
//! Mount it (`io.add_device("share", Arc::new(DaemonDriver::new(client, handle)), ())`)
//! and every program written against an [`lwio_core::IoManager`] runs against the daemon
//! unchanged: a create of `/share/data/a.txt` becomes the daemon's create of `/data/a.txt`,
//! and each IRP on the file is forwarded as it is, as the SMB redirector forwards IRPs to
//! a server. The daemon's answer (status, information, output) completes the local IRP;
//! a local cancel becomes a cancel on the socket; the close waits for the daemon's.
//!
//! When the caller is a plain thread (the `lwio` tool), a request is answered at dispatch
//! unless the daemon says it waits for an event (protocol version 3's interim frame,
//! [`RemoteFuture::went_pending`]: a lock another open holds, a change notify, a pipe
//! peer): the driver waits for the daemon there, so the caller sees it complete
//! synchronously, as from a local file system, and sees a waiting request pending
//! (`IrpFuture::is_pending`), as in process. Against a version-2 daemon (no interim
//! frames) a waiting lock, a change notify and reads and controls on `/npfs` pipes are
//! taken to wait. When the caller runs on an async runtime everything is pended and
//! completes when the daemon answers.
//!
//! The daemon decides who the caller is (from the socket's peer credentials): the token
//! of the local create is not sent. The access the daemon granted becomes the local file
//! object's, so the local manager refuses what the daemon would.
//!
//! Not forwarded: the EA query with a name list (STATUS_NOT_SUPPORTED), and opens of a
//! rename's target directory (renames are forwarded whole; the daemon resolves the target
//! in its own namespace).

use lwio_core::irp::IrpResult;
use lwio_core::{Dispatched, Driver, Irp, IrpRequest, NtStatus};
use tokio::runtime::Handle;

use crate::{DaemonClient, RemoteFile, RemoteFuture};

/// A driver whose files live on a daemon.
#[derive(Debug)]
pub struct DaemonDriver {
    client: DaemonClient,
    runtime: Handle,
}

impl DaemonDriver {
    /// A driver over `client`'s connection; the waits for the daemon's answers run on
    /// `runtime` (the one the client was connected on), so callers need no runtime of
    /// their own.
    pub fn new(client: DaemonClient, runtime: Handle) -> Self {
        DaemonDriver { client, runtime }
    }

    /// Completes the IRP with `future`'s answer: at dispatch, waiting for the daemon,
    /// when the caller is not on an async runtime and the daemon answers without an
    /// interim frame (a version-2 daemon: when `may_wait` is false), as a local file
    /// system answers such a request at once; else pended and completed from the runtime.
    fn finish(
        &self,
        irp: Irp<'_, Self>,
        future: RemoteFuture<IrpResult>,
        may_wait: bool,
    ) -> Dispatched {
        let mut future = future;
        if Handle::try_current().is_err() {
            // A version-3 daemon says which requests wait (its interim frame): wait for
            // that or the answer. An older one does not: guess from the request.
            let answered = if self.client.limits().version >= 3 {
                !self.runtime.block_on(future.went_pending())
            } else {
                !may_wait
            };
            if answered {
                let result = self.runtime.block_on(future);
                return irp.complete_result(result.unwrap_or_else(IrpResult::new));
            }
        }
        let (pending, dispatched) = irp.pend();
        if let Some(c) = future.canceller() {
            pending.set_cancel_routine(move || c.cancel());
        }
        self.runtime.spawn(async move {
            let result = future.await.unwrap_or_else(IrpResult::new);
            pending.complete_result(result);
        });
        dispatched
    }
}

/// The daemon's path of a local file's path on this device.
fn daemon_path(path: &str) -> String {
    format!("/{}", path.replace('\\', "/").trim_start_matches('/'))
}

impl Driver for DaemonDriver {
    type Device = ();
    type File = RemoteFile;

    fn name(&self) -> &str {
        "daemon"
    }

    fn dispatch(&self, _device: &(), irp: Irp<'_, Self>) -> Dispatched {
        match irp.request() {
            IrpRequest::Create(request) => {
                let request = (**request).clone();
                let path = daemon_path(irp.file().path());
                let client = self.client.clone();
                let (pending, dispatched) = irp.pend();
                self.runtime.spawn(async move {
                    match client.create_file(&path, request).await {
                        Ok(file) => {
                            pending.grant_access(file.granted_access());
                            if file.is_directory() {
                                pending.mark_directory();
                            }
                            let action = u64::from(file.create_action().0);
                            // A fresh file object has no context yet.
                            let _ = pending.set_file_context(file);
                            pending.complete_result(IrpResult {
                                status: NtStatus::SUCCESS,
                                information: action,
                                output: Vec::new(),
                            });
                        }
                        Err(status) => pending.complete(status),
                    }
                });
                dispatched
            }
            IrpRequest::Close => {
                let Some(file) = irp.file_context() else {
                    return irp.complete(NtStatus::SUCCESS);
                };
                let future = file.start_close();
                self.finish(irp, future, false)
            }
            request => {
                let Some(file) = irp.file_context() else {
                    return irp.complete(NtStatus::INVALID_HANDLE);
                };
                // What may wait for an event: a waiting lock, a change notify, a read or
                // a control on a pipe (the daemon's drivers decide; a file answers soon).
                let may_wait = match request {
                    IrpRequest::Lock(l) => !l.fail_immediately,
                    IrpRequest::ReadDirectoryChange(_) => true,
                    IrpRequest::Read(_) | IrpRequest::FsControl(_) => {
                        daemon_path(irp.file().path())
                            .to_ascii_lowercase()
                            .starts_with("/npfs/")
                    }
                    _ => false,
                };
                let future = file.call(request.clone());
                self.finish(irp, future, may_wait)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::daemon_path;

    #[test]
    fn paths_map_onto_the_daemons_namespace() {
        assert_eq!(daemon_path("data/a.txt"), "/data/a.txt");
        assert_eq!(daemon_path("\\data\\a.txt"), "/data/a.txt");
        assert_eq!(daemon_path(""), "/");
    }
}
