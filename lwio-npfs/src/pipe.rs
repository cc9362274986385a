//! The shared state: a namespace of named pipes, each with its instances, each instance
//! with its two ends and the data queued towards each.
//!
//! Locks nest in one order only: namespace, then pipe, then instance (then, inside
//! lwio-core, an IRP's completion slot when a cancel routine is armed). IRPs are never
//! completed under any of them: handlers collect them in a [`Completions`] that completes
//! them when it is dropped, after the guards (declare it first).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bytes::Bytes;
use lwio_core::{IrpResult, NtStatus, PendingIrp};
use parking_lot::Mutex;

use crate::Npfs;
use crate::timer::TimerKey;
use lwio_core::pipe::{CompletionMode, PipeClientInfo, PipeCreateParams, PipeType, ReadMode};

/// The most bytes queued towards one end; a write beyond it fails with
/// STATUS_INSUFFICIENT_RESOURCES.
pub const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// IRPs to complete once every lock is released.
#[derive(Default)]
pub(crate) struct Completions(Vec<(PendingIrp<Npfs>, IrpResult)>);

impl Completions {
    pub(crate) fn push(&mut self, irp: PendingIrp<Npfs>, result: IrpResult) {
        self.0.push((irp, result));
    }

    pub(crate) fn status(&mut self, irp: PendingIrp<Npfs>, status: NtStatus) {
        self.push(irp, IrpResult::new(status));
    }
}

impl Drop for Completions {
    fn drop(&mut self) {
        for (irp, result) in self.0.drain(..) {
            irp.complete_result(result);
        }
    }
}

/// Every pipe of one device, by lower-cased name.
#[derive(Default)]
pub(crate) struct Namespace {
    pub(crate) pipes: Mutex<HashMap<String, Arc<Pipe>>>,
    pub(crate) registered: AtomicBool,
}

/// The settings every instance of a name shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PipeConfig {
    pub(crate) params: PipeCreateParams,
}

/// One named pipe: its settings, instances and FSCTL_PIPE_WAIT waiters.
pub(crate) struct Pipe {
    pub(crate) key: String,
    pub(crate) config: PipeConfig,
    pub(crate) state: Mutex<PipeState>,
}

pub(crate) struct PipeState {
    pub(crate) instances: Vec<Arc<Instance>>,
    pub(crate) waiters: Vec<Waiter>,
}

/// A pending FSCTL_PIPE_WAIT and its timeout.
pub(crate) struct Waiter {
    pub(crate) irp: PendingIrp<Npfs>,
    pub(crate) timer: Option<TimerKey>,
}

impl Waiter {
    pub(crate) fn finish(self, status: NtStatus, done: &mut Completions) {
        if let Some(key) = &self.timer {
            key.cancel();
        }
        done.status(self.irp, status);
    }
}

impl Pipe {
    pub(crate) fn new(key: String, params: PipeCreateParams) -> Arc<Pipe> {
        Arc::new(Pipe {
            key,
            config: PipeConfig { params },
            state: Mutex::new(PipeState {
                instances: Vec::new(),
                waiters: Vec::new(),
            }),
        })
    }

    pub(crate) fn pipe_type(&self) -> PipeType {
        self.config.params.pipe_type
    }
}

impl PipeState {
    /// Completes every waiter with `status` (an instance started listening, or the pipe is
    /// gone).
    pub(crate) fn wake_waiters(&mut self, status: NtStatus, done: &mut Completions) {
        for waiter in self.waiters.drain(..) {
            waiter.finish(status, done);
        }
    }
}

/// Which end of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Server = 0,
    Client = 1,
}

impl End {
    pub(crate) fn other(self) -> End {
        match self {
            End::Server => End::Client,
            End::Client => End::Server,
        }
    }
}

/// Where an instance is in its life (MS-FSCC 2.4.37 NamedPipeState, from the server's
/// side; `Closing` records which end went away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// After FSCTL_PIPE_DISCONNECT, until FSCTL_PIPE_LISTEN.
    Disconnected,
    /// Waiting for a client; a new instance starts here.
    Listening,
    /// Both ends open.
    Connected,
    /// This end closed its handle; the other may read what is left.
    Closing(End),
}

/// A pending read or transceive: completes with up to `max` bytes.
pub(crate) struct PendingRead {
    pub(crate) irp: PendingIrp<Npfs>,
    pub(crate) max: u32,
}

/// One end's modes, the data queued for it to read, and its pending reads.
pub(crate) struct EndState {
    pub(crate) read_mode: ReadMode,
    pub(crate) completion: CompletionMode,
    pub(crate) incoming: DataQueue,
    pub(crate) reads: VecDeque<PendingRead>,
}

impl EndState {
    fn new(read_mode: ReadMode, completion: CompletionMode) -> Self {
        EndState {
            read_mode,
            completion,
            incoming: DataQueue::default(),
            reads: VecDeque::new(),
        }
    }

    /// Hands queued data to pending reads, in order, while both last.
    pub(crate) fn feed_reads(&mut self, done: &mut Completions) {
        let message = self.read_mode == ReadMode::Message;
        while !self.incoming.is_empty() {
            let Some(read) = self.reads.pop_front() else {
                break;
            };
            let result = self.incoming.take(read.max, message);
            done.push(read.irp, result);
        }
    }

    /// Completes every pending read with `status`.
    pub(crate) fn fail_reads(&mut self, status: NtStatus, done: &mut Completions) {
        for read in self.reads.drain(..) {
            done.status(read.irp, status);
        }
    }

    pub(crate) fn take_read(&mut self, id: u64) -> Option<PendingRead> {
        let i = self.reads.iter().position(|r| r.irp.id() == id)?;
        self.reads.remove(i)
    }
}

/// One instance of a named pipe: a server end and at most one client end.
pub(crate) struct Instance {
    pub(crate) pipe: Arc<Pipe>,
    pub(crate) state: Mutex<InstanceState>,
}

pub(crate) struct InstanceState {
    pub(crate) phase: Phase,
    /// Bumped at every connect and disconnect; a client handle of an older generation was
    /// disconnected by the server.
    pub(crate) generation: u64,
    /// Indexed by [`End`].
    pub(crate) ends: [EndState; 2],
    /// Pending FSCTL_PIPE_LISTENs of the server end.
    pub(crate) listens: Vec<PendingIrp<Npfs>>,
    pub(crate) client_info: Option<Arc<PipeClientInfo>>,
}

impl InstanceState {
    pub(crate) fn end(&mut self, e: End) -> &mut EndState {
        &mut self.ends[e as usize]
    }

    pub(crate) fn end_ref(&self, e: End) -> &EndState {
        &self.ends[e as usize]
    }

    /// Drops all queued data and fails every pending read and listen with `status`.
    pub(crate) fn flush_all(&mut self, status: NtStatus, done: &mut Completions) {
        for end in &mut self.ends {
            end.incoming.clear();
            end.fail_reads(status, done);
        }
        for listen in self.listens.drain(..) {
            done.status(listen, status);
        }
    }

    fn find_pending(&self, id: u64) -> Option<&PendingIrp<Npfs>> {
        self.listens.iter().find(|p| p.id() == id).or_else(|| {
            self.ends
                .iter()
                .find_map(|end| end.reads.iter().find(|r| r.irp.id() == id))
                .map(|r| &r.irp)
        })
    }

    /// Removes pending IRP `id` from wherever it waits.
    pub(crate) fn take_pending(&mut self, id: u64) -> Option<PendingIrp<Npfs>> {
        if let Some(i) = self.listens.iter().position(|p| p.id() == id) {
            return Some(self.listens.swap_remove(i));
        }
        self.ends
            .iter_mut()
            .find_map(|end| end.take_read(id))
            .map(|r| r.irp)
    }
}

impl Instance {
    /// A new instance in the listening state (as NtCreateNamedPipeFile leaves it).
    pub(crate) fn new(pipe: Arc<Pipe>, params: &PipeCreateParams) -> Arc<Instance> {
        Arc::new(Instance {
            pipe,
            state: Mutex::new(InstanceState {
                phase: Phase::Listening,
                generation: 0,
                ends: [
                    EndState::new(params.read_mode, params.completion_mode),
                    EndState::new(ReadMode::Byte, CompletionMode::Queue),
                ],
                listens: Vec::new(),
                client_info: None,
            }),
        })
    }
}

/// Arms a cancel routine on pending IRP `irp_id`, just queued in `st` (call with the
/// instance lock held): the routine takes it out again and completes it with
/// STATUS_CANCELLED. When cancellation was already requested the IRP is taken back at once.
pub(crate) fn arm_cancel(
    inst: &Arc<Instance>,
    st: &mut InstanceState,
    irp_id: u64,
    done: &mut Completions,
) {
    let weak = Arc::downgrade(inst);
    let routine = move || {
        let Some(inst) = weak.upgrade() else {
            return;
        };
        let irp = inst.state.lock().take_pending(irp_id);
        if let Some(irp) = irp {
            irp.complete(NtStatus::CANCELLED);
        }
    };
    let armed = st
        .find_pending(irp_id)
        .is_some_and(|irp| irp.set_cancel_routine(routine));
    if !armed {
        if let Some(irp) = st.take_pending(irp_id) {
            done.status(irp, NtStatus::CANCELLED);
        }
    }
}

/// The bytes queued towards one end: whole writes, the first possibly partly read.
#[derive(Default)]
pub(crate) struct DataQueue {
    chunks: VecDeque<Bytes>,
    bytes: usize,
}

impl DataQueue {
    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Bytes queued.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Writes (messages) queued.
    pub(crate) fn messages(&self) -> usize {
        self.chunks.len()
    }

    /// What is left of the first write.
    pub(crate) fn front_len(&self) -> usize {
        self.chunks.front().map_or(0, Bytes::len)
    }

    /// Queues one write; an empty write is kept only on a message pipe (a zero-length
    /// message).
    pub(crate) fn push(&mut self, data: Bytes, pipe_type: PipeType) {
        if data.is_empty() && pipe_type == PipeType::Byte {
            return;
        }
        self.bytes += data.len();
        self.chunks.push_back(data);
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.bytes = 0;
    }

    /// Reads up to `max` bytes from a non-empty queue. In message mode the read stops at
    /// the end of the first message, and a message longer than `max` gives its first part
    /// with STATUS_BUFFER_OVERFLOW, the rest staying for the next read.
    pub(crate) fn take(&mut self, max: u32, message: bool) -> IrpResult {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if message {
            let Some(front) = self.chunks.front_mut() else {
                return IrpResult::with_output(NtStatus::SUCCESS, Vec::new());
            };
            if front.len() > max {
                let part = front.split_to(max);
                self.bytes -= part.len();
                return IrpResult::with_output(NtStatus::BUFFER_OVERFLOW, part.to_vec());
            }
            let whole = self.chunks.pop_front().unwrap_or_default();
            self.bytes -= whole.len();
            return IrpResult::with_output(NtStatus::SUCCESS, whole.to_vec());
        }
        let mut out = Vec::with_capacity(max.min(self.bytes));
        while out.len() < max {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let n = front.len().min(max - out.len());
            out.extend_from_slice(&front[..n]);
            if n == front.len() {
                self.chunks.pop_front();
            } else {
                let _ = front.split_to(n);
            }
            self.bytes -= n;
        }
        // Zero-length messages a byte-mode read passes over are consumed with it.
        while self.chunks.front().is_some_and(Bytes::is_empty) {
            self.chunks.pop_front();
        }
        IrpResult::with_output(NtStatus::SUCCESS, out)
    }

    /// Copies up to `max` bytes without consuming them: on a message pipe only from the
    /// first message (and `true` when it did not fit), else across writes.
    pub(crate) fn peek(&self, max: usize, pipe_type: PipeType) -> (Vec<u8>, bool) {
        if pipe_type == PipeType::Message {
            let front = self.chunks.front().map_or(&[][..], |c| &c[..]);
            let n = front.len().min(max);
            return (front[..n].to_vec(), n < front.len());
        }
        let mut out = Vec::with_capacity(max.min(self.bytes));
        for chunk in &self.chunks {
            let n = chunk.len().min(max - out.len());
            out.extend_from_slice(&chunk[..n]);
            if out.len() == max {
                break;
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_reads_keep_boundaries_and_split_long_messages() {
        let mut q = DataQueue::default();
        q.push(Bytes::from_static(b"hello"), PipeType::Message);
        q.push(Bytes::new(), PipeType::Message);
        q.push(Bytes::from_static(b"xy"), PipeType::Message);
        assert_eq!((q.bytes(), q.messages()), (7, 3));
        let r = q.take(3, true);
        assert_eq!(
            (r.status, &r.output[..]),
            (NtStatus::BUFFER_OVERFLOW, &b"hel"[..])
        );
        assert_eq!(q.front_len(), 2);
        let r = q.take(10, true);
        assert_eq!((r.status, &r.output[..]), (NtStatus::SUCCESS, &b"lo"[..]));
        let r = q.take(10, true);
        assert_eq!((r.status, r.output.len()), (NtStatus::SUCCESS, 0));
        assert_eq!(q.peek(1, PipeType::Message), (b"x".to_vec(), true));
        let r = q.take(10, false);
        assert_eq!(&r.output[..], b"xy");
        assert!(q.is_empty());
    }

    #[test]
    fn byte_reads_cross_writes() {
        let mut q = DataQueue::default();
        q.push(Bytes::from_static(b"abc"), PipeType::Byte);
        q.push(Bytes::new(), PipeType::Byte);
        q.push(Bytes::from_static(b"def"), PipeType::Byte);
        assert_eq!(q.messages(), 2);
        assert_eq!(q.peek(4, PipeType::Byte), (b"abcd".to_vec(), false));
        assert_eq!(q.take(4, false).output, b"abcd");
        assert_eq!(q.bytes(), 2);
        assert_eq!(q.take(4, false).output, b"ef");
        assert!(q.is_empty());
    }
}
