//! Per-IRP tracing: one `tracing` span per IRP (type, file id, device, path) and one event at
//! completion with the status and latency. When no subscriber wants DEBUG, the span is a
//! disabled no-op and no clock is read, so the cost is one relaxed atomic load.

use std::time::Instant;

use crate::file::FileObject;
use crate::irp::{IrpResult, IrpType};

/// The trace of one IRP; boxed, and only built when a subscriber wants it, so an untraced
/// IRP carries one null pointer.
pub(crate) struct IrpTrace {
    span: tracing::Span,
    start: Instant,
}

impl IrpTrace {
    pub(crate) fn start(id: u64, kind: IrpType, file: &FileObject) -> Option<Box<Self>> {
        let span = tracing::debug_span!(
            "irp",
            id,
            kind = ?kind,
            file = file.id(),
            device = %file.device_name(),
            path = %file.path(),
        );
        if span.is_disabled() {
            return None;
        }
        Some(Box::new(IrpTrace {
            span,
            start: Instant::now(),
        }))
    }

    pub(crate) fn finish(&self, result: &IrpResult) {
        let latency_us = self.start.elapsed().as_micros() as u64;
        let emit = || {
            tracing::debug!(
                parent: &self.span,
                status = %result.status,
                information = result.information,
                latency_us,
                "irp complete"
            );
        };
        // A pended IRP may complete on a thread with another default subscriber (or none):
        // report to the subscriber that recorded the span.
        let sent = self
            .span
            .with_subscriber(|(_, dispatch)| tracing::dispatcher::with_default(dispatch, emit));
        if sent.is_none() {
            emit();
        }
    }
}
