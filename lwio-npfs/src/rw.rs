//! The data path: read, write, FSCTL_PIPE_PEEK and FSCTL_PIPE_TRANSCEIVE.
//!
//! Writes never pend: the bytes are queued towards the other end (up to
//! [`MAX_QUEUED_BYTES`]) and hand themselves to its pending reads. Reads take what is queued,
//! or pend (blocking mode) with a cancel routine armed.

use std::sync::Arc;

use bytes::Bytes;
use lwio_core::{Dispatched, Irp, IrpResult, NtStatus};

use crate::pipe::{
    Completions, End, Instance, InstanceState, MAX_QUEUED_BYTES, PendingRead, Phase, arm_cancel,
};
use crate::{FileKind, Npfs};
use lwio_core::pipe::{
    CompletionMode, NamedPipeState, PIPE_PEEK_HEADER_LEN, PipePeekReply, PipeType, ReadMode,
};

/// What a handler decided under the instance lock.
enum Decision {
    /// Complete now with this result.
    Now(IrpResult),
    /// Queue the IRP as a read of this end, for up to this many bytes.
    PendRead(End, u32),
}

impl From<NtStatus> for Decision {
    fn from(status: NtStatus) -> Self {
        Decision::Now(IrpResult::new(status))
    }
}

/// The end a handle is, when it is still attached: a client handle of an older generation
/// was disconnected by the server (STATUS_PIPE_DISCONNECTED).
pub(crate) fn end_of(kind: &FileKind, st: &InstanceState) -> Result<End, NtStatus> {
    match kind {
        FileKind::Server(_) => Ok(End::Server),
        FileKind::Client(_, generation) if *generation == st.generation => Ok(End::Client),
        FileKind::Client(..) => Err(NtStatus::PIPE_DISCONNECTED),
        FileKind::Root => Err(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

/// The handle's instance, or the status for a handle that has none.
pub(crate) fn instance_of(irp: &Irp<'_, Npfs>) -> Result<(FileKind, Arc<Instance>), NtStatus> {
    let kind = irp
        .file_context()
        .map(|c| c.0.clone())
        .ok_or(NtStatus::INVALID_HANDLE)?;
    let inst = kind.instance().ok_or(NtStatus::INVALID_DEVICE_REQUEST)?;
    Ok((kind, inst))
}

/// Runs `decide` under the instance lock, then completes or queues the IRP.
fn run(
    irp: Irp<'_, Npfs>,
    decide: impl FnOnce(&FileKind, &mut InstanceState, &mut Completions) -> Decision,
) -> Dispatched {
    let (kind, inst) = match instance_of(&irp) {
        Ok(found) => found,
        Err(status) => return irp.complete(status),
    };
    let mut done = Completions::default();
    let mut st = inst.state.lock();
    match decide(&kind, &mut st, &mut done) {
        Decision::Now(result) => {
            drop(st);
            drop(done);
            irp.complete_result(result)
        }
        Decision::PendRead(end, max) => {
            let (pending, dispatched) = irp.pend();
            let id = pending.id();
            st.end(end)
                .reads
                .push_back(PendingRead { irp: pending, max });
            arm_cancel(&inst, &mut st, id, &mut done);
            dispatched
        }
    }
}

/// States in which a server end has no partner: reads and writes fail
/// (MS-FSCC 2.3.46: STATUS_PIPE_LISTENING before a client, STATUS_PIPE_DISCONNECTED after
/// FSCTL_PIPE_DISCONNECT).
fn unpaired(st: &InstanceState) -> Result<(), NtStatus> {
    match st.phase {
        Phase::Listening => Err(NtStatus::PIPE_LISTENING),
        Phase::Disconnected => Err(NtStatus::PIPE_DISCONNECTED),
        Phase::Connected | Phase::Closing(_) => Ok(()),
    }
}

pub(crate) fn read(irp: Irp<'_, Npfs>, max: u32) -> Dispatched {
    run(irp, |kind, st, _| {
        let e = match end_of(kind, st).and_then(|e| unpaired(st).map(|()| e)) {
            Ok(e) => e,
            Err(status) => return status.into(),
        };
        let other_closed = st.phase == Phase::Closing(e.other());
        let end = st.end(e);
        if !end.incoming.is_empty() && end.reads.is_empty() {
            let message = end.read_mode == ReadMode::Message;
            return Decision::Now(end.incoming.take(max, message));
        }
        if other_closed {
            return NtStatus::PIPE_BROKEN.into();
        }
        if end.completion == CompletionMode::Complete {
            return NtStatus::PIPE_EMPTY.into();
        }
        Decision::PendRead(e, max)
    })
}

/// Queues `data` towards `to` and feeds its pending reads.
fn deliver(
    st: &mut InstanceState,
    to: End,
    data: Bytes,
    pipe_type: PipeType,
    done: &mut Completions,
) -> Result<u64, NtStatus> {
    let end = st.end(to);
    if end.incoming.bytes().saturating_add(data.len()) > MAX_QUEUED_BYTES {
        return Err(NtStatus::INSUFFICIENT_RESOURCES);
    }
    let n = data.len() as u64;
    end.incoming.push(data, pipe_type);
    end.feed_reads(done);
    Ok(n)
}

/// The checks a write from end `e` passes: STATUS_PIPE_CLOSING once the other end closed.
fn writable(kind: &FileKind, st: &InstanceState) -> Result<End, NtStatus> {
    let e = end_of(kind, st)?;
    unpaired(st)?;
    if st.phase == Phase::Closing(e.other()) {
        return Err(NtStatus::PIPE_CLOSING);
    }
    Ok(e)
}

pub(crate) fn write(irp: Irp<'_, Npfs>, data: Bytes, pipe_type: PipeType) -> Dispatched {
    run(irp, |kind, st, done| {
        let written =
            writable(kind, st).and_then(|e| deliver(st, e.other(), data, pipe_type, done));
        match written {
            Ok(n) => Decision::Now(IrpResult {
                status: NtStatus::SUCCESS,
                information: n,
                output: Vec::new(),
            }),
            Err(status) => status.into(),
        }
    })
}

/// FSCTL_PIPE_TRANSCEIVE (MS-FSCC 2.3.47-48, MS-SMB2 3.3.5.15.3): writes one message and
/// waits for one back, whatever the completion mode.
pub(crate) fn transceive(
    irp: Irp<'_, Npfs>,
    input: Bytes,
    max_output: u32,
    pipe_type: PipeType,
) -> Dispatched {
    run(irp, |kind, st, done| {
        let e = match end_of(kind, st) {
            Ok(e) => e,
            Err(status) => return status.into(),
        };
        if pipe_type != PipeType::Message || st.end_ref(e).read_mode != ReadMode::Message {
            return NtStatus::INVALID_PIPE_STATE.into();
        }
        match st.phase {
            Phase::Listening => return NtStatus::INVALID_PIPE_STATE.into(),
            Phase::Disconnected => return NtStatus::PIPE_DISCONNECTED.into(),
            Phase::Closing(_) => return NtStatus::PIPE_CLOSING.into(),
            Phase::Connected => {}
        }
        let end = st.end_ref(e);
        if !end.incoming.is_empty() || !end.reads.is_empty() {
            return NtStatus::PIPE_BUSY.into();
        }
        match deliver(st, e.other(), input, pipe_type, done) {
            Ok(_) => Decision::PendRead(e, max_output),
            Err(status) => status.into(),
        }
    })
}

/// FSCTL_PIPE_PEEK (MS-FSCC 2.3.46, MS-SMB2 3.3.5.15.4): never pends, consumes nothing.
pub(crate) fn peek(irp: Irp<'_, Npfs>, max_output: u32, pipe_type: PipeType) -> Dispatched {
    run(irp, |kind, st, _| {
        let e = match end_of(kind, st) {
            Ok(e) => e,
            Err(status) => return status.into(),
        };
        match st.phase {
            Phase::Listening => return NtStatus::INVALID_PIPE_STATE.into(),
            Phase::Disconnected => return NtStatus::PIPE_DISCONNECTED.into(),
            Phase::Connected | Phase::Closing(_) => {}
        }
        let closing = st.phase == Phase::Closing(e.other());
        let queue = &st.end_ref(e).incoming;
        if closing && queue.is_empty() {
            return NtStatus::PIPE_BROKEN.into();
        }
        let Some(room) = (max_output as usize).checked_sub(PIPE_PEEK_HEADER_LEN) else {
            return NtStatus::BUFFER_TOO_SMALL.into();
        };
        let (data, cut) = queue.peek(room, pipe_type);
        let message = pipe_type == PipeType::Message;
        let reply = PipePeekReply {
            state: if closing {
                NamedPipeState::Closing
            } else {
                NamedPipeState::Connected
            },
            read_data_available: clamp(queue.bytes()),
            number_of_messages: if message { clamp(queue.messages()) } else { 0 },
            message_length: if message { clamp(queue.front_len()) } else { 0 },
            data,
        };
        let status = if cut {
            NtStatus::BUFFER_OVERFLOW
        } else {
            NtStatus::SUCCESS
        };
        Decision::Now(IrpResult::with_output(status, reply.encode()))
    })
}

pub(crate) fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
