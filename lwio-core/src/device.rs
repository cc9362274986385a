//! Device stacks: a named device with zero or more filter layers above it.
//!
//! Stacks are immutable. Attaching a filter builds a new stack and swaps it into the
//! manager's namespace; file objects keep the stack they were opened on, so a filter sees
//! the files opened after it attached (their per-layer contexts line up with the layers).

use std::sync::Arc;

use crate::driver::Layer;
use crate::irp::{Dispatched, IrpSlot};

/// A device and the filters above it; `layers[0]` is the device's own driver.
pub(crate) struct DeviceStack {
    name: Arc<str>,
    layers: Vec<Arc<dyn Layer>>,
}

impl DeviceStack {
    pub(crate) fn new(name: Arc<str>, bottom: Arc<dyn Layer>) -> Self {
        DeviceStack {
            name,
            layers: vec![bottom],
        }
    }

    /// A new stack with `filter` on top of this one.
    pub(crate) fn with_filter(&self, filter: Arc<dyn Layer>) -> Self {
        let mut layers = self.layers.clone();
        layers.push(filter);
        DeviceStack {
            name: Arc::clone(&self.name),
            layers,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Index of the top layer, where every IRP starts.
    #[inline]
    pub(crate) fn top(&self) -> usize {
        self.layers.len() - 1
    }

    /// Whether the device's own driver (the bottom layer) opens target directories.
    pub(crate) fn opens_target_directories(&self) -> bool {
        self.layers
            .first()
            .is_some_and(|l| l.opens_target_directories())
    }

    /// Driver names, bottom first.
    pub(crate) fn driver_names(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| l.driver_name().to_owned())
            .collect()
    }

    /// Dispatches the IRP in `slot` to the layer it names.
    #[inline]
    pub(crate) fn dispatch<'a>(&self, slot: &'a mut IrpSlot<'a>) -> Dispatched {
        // The slot is filled while dispatched, and `layer` is always < depth: it starts at
        // `top()` and only `pass_down` lowers it, stopping at 0.
        let index = slot.layer();
        self.layers[index].dispatch(slot)
    }
}
