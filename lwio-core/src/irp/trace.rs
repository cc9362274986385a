//! Per-IRP tracing: one `tracing` span per IRP (type, file id, device, path) and one event at
//! completion with the status and latency. When no subscriber wants DEBUG at all, no span
//! is built and no clock is read: the cost is one relaxed atomic load. When some subscriber
//! wants DEBUG, the span is still a disabled no-op unless it wants this one.

use std::time::Instant;

use crate::file::FileObject;
use crate::irp::{IrpRequest, IrpResult};

/// The trace of one IRP; only built when a subscriber wants it (it then lives in the IRP's
/// boxed extra part, so an untraced IRP carries none of it).
pub(crate) struct IrpTrace {
    span: tracing::Span,
    start: Instant,
}

impl IrpTrace {
    /// False when no subscriber wants DEBUG at all (one relaxed atomic load): then no IRP
    /// is traced.
    #[inline(always)]
    pub(crate) fn wanted() -> bool {
        tracing::level_enabled!(tracing::Level::DEBUG)
    }

    /// The trace of one IRP, when some subscriber wants it.
    pub(crate) fn start(id: u64, request: &IrpRequest, file: &FileObject) -> Option<Self> {
        if !Self::wanted() {
            return None;
        }
        Self::start_span(id, request, file)
    }

    #[cold]
    fn start_span(id: u64, request: &IrpRequest, file: &FileObject) -> Option<Self> {
        let span = tracing::debug_span!(
            "irp",
            id,
            kind = ?request.irp_type(),
            file = file.id(),
            device = %file.device_name(),
            path = %file.path(),
        );
        if span.is_disabled() {
            return None;
        }
        Some(IrpTrace {
            span,
            start: Instant::now(),
        })
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
