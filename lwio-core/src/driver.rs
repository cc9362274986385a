//! The driver trait, and the type erasure that lets one manager hold drivers of any type.
//!
//! A driver names two associated types: its per-device context (`Device`, given to every
//! dispatch) and its per-file context (`File`, set by its create and read back with
//! [`Irp::file_context`]). The one downcast this takes lives in the file object, so driver
//! code never sees `Any`.

use std::sync::Arc;

use crate::irp::{Dispatched, Irp, IrpRequest, IrpSlot};

/// A driver: a file system, a pipe system, a protocol client, or a filter layered above one.
///
/// ```
/// use lwio_core::{Dispatched, Driver, Irp, IrpRequest, NtStatus};
///
/// /// A device that answers every read with zero bytes and refuses everything else.
/// struct Null;
///
/// impl Driver for Null {
///     type Device = ();
///     type File = ();
///     fn name(&self) -> &str {
///         "null"
///     }
///     fn dispatch(&self, _device: &(), irp: Irp<'_, Self>) -> Dispatched {
///         match irp.request() {
///             IrpRequest::Create(_) | IrpRequest::Close => irp.complete(NtStatus::SUCCESS),
///             IrpRequest::Read(_) => irp.complete(NtStatus::END_OF_FILE),
///             _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
///         }
///     }
/// }
/// ```
pub trait Driver: Send + Sync + Sized + 'static {
    /// Per-device state, owned by the manager's device entry.
    type Device: Send + Sync + 'static;
    /// Per-file (per-handle) state, set by a successful create.
    type File: Send + Sync + 'static;

    /// The driver's name, for logs and rundown reports.
    fn name(&self) -> &str;

    /// Handles one IRP: complete it, pend it, or pass it down.
    fn dispatch(&self, device: &Self::Device, irp: Irp<'_, Self>) -> Dispatched;

    /// Called once when the manager shuts down, after every file was closed and every
    /// pending IRP cancelled. Drop queued IRPs and stop workers here.
    fn shutdown(&self) {}

    /// Whether this driver, as the bottom of a device stack, handles creates with
    /// [`CreateRequest::open_target_directory`](crate::CreateRequest::open_target_directory)
    /// and reads the opened directory of a rename or link with
    /// [`Irp::target_file_context`]. Only then does the manager open that directory for the
    /// caller before a rename or link reaches the stack; on other devices such requests go
    /// down without a target directory, and the driver should refuse them.
    fn opens_target_directories(&self) -> bool {
        false
    }

    /// Whether this driver wants [`IrpRequest::Cleanup`](crate::IrpRequest::Cleanup) (the
    /// last handle of a file object went away). A driver that does not (the default) never
    /// sees it: the manager passes it to the layer below, and at the bottom of the stack it
    /// succeeds, as Windows' file systems that have nothing to release at cleanup complete
    /// it.
    fn handles_cleanup(&self) -> bool {
        false
    }
}

/// One layer of a device stack: a driver with one of its devices.
pub(crate) trait Layer: Send + Sync {
    fn dispatch<'a>(&self, slot: &'a mut IrpSlot<'a>) -> Dispatched;
    fn driver_name(&self) -> &str;
    fn opens_target_directories(&self) -> bool;
}

pub(crate) struct DriverLayer<D: Driver> {
    driver: Arc<D>,
    device: D::Device,
}

impl<D: Driver> DriverLayer<D> {
    pub(crate) fn new(driver: Arc<D>, device: D::Device) -> Self {
        DriverLayer { driver, device }
    }
}

impl<D: Driver> Layer for DriverLayer<D> {
    fn dispatch<'a>(&self, slot: &'a mut IrpSlot<'a>) -> Dispatched {
        let irp = Irp::from_slot(slot);
        if matches!(irp.request(), IrpRequest::Cleanup) && !self.driver.handles_cleanup() {
            return irp.pass_down();
        }
        self.driver.dispatch(&self.device, irp)
    }

    fn driver_name(&self) -> &str {
        self.driver.name()
    }

    fn opens_target_directories(&self) -> bool {
        self.driver.opens_target_directories()
    }
}

/// What the manager keeps of a driver to shut it down once.
pub(crate) trait ShutdownHook: Send + Sync {
    fn shutdown(&self);
    fn identity(&self) -> usize;
}

impl<D: Driver> ShutdownHook for Arc<D> {
    fn shutdown(&self) {
        Driver::shutdown(&**self);
    }

    fn identity(&self) -> usize {
        Arc::as_ptr(self) as usize
    }
}
