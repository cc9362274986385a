//! Test drivers for the I/O model: a gate that holds reads until told to release them.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateRequest, Dispatched, Driver, Irp, IrpRequest,
    IrpResult, NtStatus, PendingIrp,
};
use parking_lot::Mutex;

pub type Held = Arc<Mutex<Vec<PendingIrp<Gate>>>>;

/// Holds every read pending; writes and the rest complete at once.
pub struct Gate {
    pub held: Held,
    /// Arm a cancel routine on held reads.
    pub cancellable: bool,
    /// IRPs that reached the driver, by any path.
    pub seen: AtomicUsize,
    pub shutdowns: AtomicUsize,
    pub closes: AtomicUsize,
}

/// The per-file context the gate keeps: the path it was opened with.
pub struct GateFile {
    pub path: String,
}

impl Gate {
    pub fn new(cancellable: bool) -> Arc<Gate> {
        Arc::new(Gate {
            held: Arc::new(Mutex::new(Vec::new())),
            cancellable,
            seen: AtomicUsize::new(0),
            shutdowns: AtomicUsize::new(0),
            closes: AtomicUsize::new(0),
        })
    }

    pub fn held_count(&self) -> usize {
        self.held.lock().len()
    }

    /// Completes every held read with `data`; returns how many.
    pub fn release_all(&self, data: &[u8]) -> usize {
        let irps: Vec<_> = self.held.lock().drain(..).collect();
        let n = irps.len();
        for irp in irps {
            irp.complete_with_output(NtStatus::SUCCESS, data.to_vec());
        }
        n
    }

    /// Takes one held IRP out (to complete it from a test thread).
    pub fn take_one(&self) -> Option<PendingIrp<Gate>> {
        self.held.lock().pop()
    }
}

impl Driver for Gate {
    type Device = ();
    type File = GateFile;

    fn name(&self) -> &str {
        "gate"
    }

    fn dispatch(&self, _device: &(), irp: Irp<'_, Self>) -> Dispatched {
        self.seen.fetch_add(1, Ordering::SeqCst);
        match irp.request() {
            IrpRequest::Create(_) => {
                let path = irp.file().path().to_owned();
                if path == "missing" {
                    return irp.complete(NtStatus::OBJECT_NAME_NOT_FOUND);
                }
                if irp.set_file_context(GateFile { path }).is_err() {
                    return irp.complete(NtStatus::INTERNAL_ERROR);
                }
                irp.complete_result(IrpResult {
                    status: NtStatus::SUCCESS,
                    information: 1,
                    output: Vec::new(),
                })
            }
            IrpRequest::Close => {
                self.closes.fetch_add(1, Ordering::SeqCst);
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Read(_) => {
                let (pending, dispatched) = irp.pend();
                if self.cancellable {
                    let id = pending.id();
                    let held = Arc::clone(&self.held);
                    let armed = pending.set_cancel_routine(move || {
                        let mut list = held.lock();
                        if let Some(i) = list.iter().position(|p| p.id() == id) {
                            let irp = list.swap_remove(i);
                            drop(list);
                            irp.complete(NtStatus::CANCELLED);
                        }
                    });
                    if !armed {
                        pending.complete(NtStatus::CANCELLED);
                        return dispatched;
                    }
                }
                self.held.lock().push(pending);
                dispatched
            }
            IrpRequest::Write(w) => {
                let n = w.data.len() as u64;
                irp.complete_result(IrpResult {
                    status: NtStatus::SUCCESS,
                    information: n,
                    output: Vec::new(),
                })
            }
            IrpRequest::QueryInformation(_) => {
                let path = irp
                    .file_context()
                    .map(|c| c.path.clone())
                    .unwrap_or_default();
                irp.complete_with_output(NtStatus::SUCCESS, path.into_bytes())
            }
            _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }

    fn shutdown(&self) {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
        // Drop what is still held: each completes itself as cancelled.
        self.held.lock().clear();
    }
}

pub fn token() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

pub fn open(access: AccessMask) -> CreateRequest {
    CreateRequest::new(token(), access, CreateDisposition::OPEN_IF)
}

pub fn rw() -> AccessMask {
    AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE
}
