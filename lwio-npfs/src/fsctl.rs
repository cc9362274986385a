//! The pipe FSCTLs (MS-FSCC 2.3) and the private client-information FSCTL, as this driver
//! answers them. The codes and their buffers are the I/O model's (`lwio_core::pipe`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use lwio_core::pipe::{CompletionMode, PipeWaitRequest};
use lwio_core::{CtlCode, Dispatched, Irp, NtStatus};

use crate::create::{name_key, validate_name};
use crate::pipe::{Completions, End, Instance, Namespace, Phase, Pipe, Waiter, arm_cancel};
use crate::rw::{self, end_of, instance_of};
use crate::{FileKind, Npfs};

pub(crate) fn dispatch(
    driver: &Npfs,
    ns: &Namespace,
    irp: Irp<'_, Npfs>,
    code: CtlCode,
    input: Bytes,
    max_output: u32,
) -> Dispatched {
    if code == CtlCode::FSCTL_PIPE_WAIT {
        return wait(driver, ns, irp, &input);
    }
    let (kind, inst) = match instance_of(&irp) {
        Ok(found) => found,
        Err(status) => return irp.complete(status),
    };
    let pipe_type = inst.pipe.pipe_type();
    let server = matches!(kind, FileKind::Server(_));
    match code {
        CtlCode::FSCTL_PIPE_PEEK => rw::peek(irp, max_output, pipe_type),
        CtlCode::FSCTL_PIPE_TRANSCEIVE => rw::transceive(irp, input, max_output, pipe_type),
        CtlCode::FSCTL_PIPE_LISTEN
        | CtlCode::FSCTL_PIPE_DISCONNECT
        | CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO
            if !server =>
        {
            irp.complete(NtStatus::ILLEGAL_FUNCTION)
        }
        CtlCode::FSCTL_PIPE_LISTEN => listen(irp, &inst),
        CtlCode::FSCTL_PIPE_DISCONNECT => disconnect(irp, &inst, &kind),
        CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO => client_info(irp, &inst, max_output),
        _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
    }
}

/// FSCTL_PIPE_LISTEN: pends until a client opens this instance.
fn listen(irp: Irp<'_, Npfs>, inst: &Arc<Instance>) -> Dispatched {
    let mut done = Completions::default();
    let mut ps = inst.pipe.state.lock();
    let mut st = inst.state.lock();
    if st.phase == Phase::Disconnected {
        st.phase = Phase::Listening;
        ps.wake_waiters(NtStatus::SUCCESS, &mut done);
    }
    drop(ps);
    let status = match st.phase {
        Phase::Connected => NtStatus::PIPE_CONNECTED,
        Phase::Closing(_) => NtStatus::PIPE_CLOSING,
        _ if st.end_ref(End::Server).completion == CompletionMode::Complete => {
            NtStatus::PIPE_LISTENING
        }
        _ => {
            let (pending, dispatched) = irp.pend();
            let id = pending.id();
            st.listens.push(pending);
            arm_cancel(inst, &mut st, id, &mut done);
            return dispatched;
        }
    };
    drop(st);
    drop(done);
    irp.complete(status)
}

/// FSCTL_PIPE_DISCONNECT: drops the client and all queued data.
fn disconnect(irp: Irp<'_, Npfs>, inst: &Arc<Instance>, kind: &FileKind) -> Dispatched {
    let mut done = Completions::default();
    let mut st = inst.state.lock();
    let status = match (end_of(kind, &st), st.phase) {
        (Err(status), _) => status,
        (_, Phase::Disconnected) => NtStatus::PIPE_DISCONNECTED,
        (_, Phase::Listening) => {
            for listen in st.listens.drain(..) {
                done.status(listen, NtStatus::PIPE_DISCONNECTED);
            }
            st.phase = Phase::Disconnected;
            NtStatus::SUCCESS
        }
        (_, Phase::Connected | Phase::Closing(_)) => {
            st.flush_all(NtStatus::PIPE_DISCONNECTED, &mut done);
            st.generation += 1;
            st.client_info = None;
            st.phase = Phase::Disconnected;
            NtStatus::SUCCESS
        }
    };
    drop(st);
    drop(done);
    irp.complete(status)
}

fn client_info(irp: Irp<'_, Npfs>, inst: &Arc<Instance>, max_output: u32) -> Dispatched {
    let st = inst.state.lock();
    let found = match st.phase {
        Phase::Listening => Err(NtStatus::PIPE_LISTENING),
        Phase::Disconnected => Err(NtStatus::PIPE_DISCONNECTED),
        Phase::Connected | Phase::Closing(_) => {
            st.client_info.clone().ok_or(NtStatus::PIPE_DISCONNECTED)
        }
    };
    drop(st);
    match found {
        Ok(info) => {
            let blob = info.encode();
            if blob.len() > max_output as usize {
                return irp.complete(NtStatus::BUFFER_TOO_SMALL);
            }
            irp.complete_with_output(NtStatus::SUCCESS, blob)
        }
        Err(status) => irp.complete(status),
    }
}

/// FSCTL_PIPE_WAIT (MS-FSCC 2.3.49-50): completes when an instance of the name listens.
fn wait(driver: &Npfs, ns: &Namespace, irp: Irp<'_, Npfs>, input: &[u8]) -> Dispatched {
    let request = match PipeWaitRequest::decode(input) {
        Ok(r) => r,
        Err(status) => return irp.complete(status),
    };
    if validate_name(&request.name).is_err() || request.name.is_empty() {
        return irp.complete(NtStatus::OBJECT_NAME_INVALID);
    }
    let mut done = Completions::default();
    let pipes = ns.pipes.lock();
    let Some(pipe) = pipes.get(&name_key(&request.name)).cloned() else {
        drop(pipes);
        return irp.complete(NtStatus::OBJECT_NAME_NOT_FOUND);
    };
    // Holding the pipe before letting the namespace go: the pipe cannot be removed (and
    // its waiters failed) before this waiter is queued.
    let mut ps = pipe.state.lock();
    drop(pipes);
    let listening = ps
        .instances
        .iter()
        .any(|i| i.state.lock().phase == Phase::Listening);
    let timeout = request.timeout.or(pipe.config.params.default_timeout);
    if listening || timeout == Some(Duration::ZERO) {
        drop(ps);
        let status = if listening {
            NtStatus::SUCCESS
        } else {
            NtStatus::IO_TIMEOUT
        };
        return irp.complete(status);
    }
    let (pending, dispatched) = irp.pend();
    let id = pending.id();
    let timer = match timeout {
        None => None,
        Some(delay) => {
            let weak = Arc::downgrade(&pipe);
            match driver
                .timer
                .schedule(delay, move || end_wait(&weak, id, NtStatus::IO_TIMEOUT))
            {
                Some(key) => Some(key),
                None => {
                    done.status(pending, NtStatus::INSUFFICIENT_RESOURCES);
                    return dispatched;
                }
            }
        }
    };
    ps.waiters.push(Waiter {
        irp: pending,
        timer,
    });
    let weak = Arc::downgrade(&pipe);
    let armed = ps.waiters.last().is_some_and(|w| {
        w.irp
            .set_cancel_routine(move || end_wait(&weak, id, NtStatus::CANCELLED))
    });
    if !armed {
        if let Some(waiter) = ps.waiters.pop() {
            waiter.finish(NtStatus::CANCELLED, &mut done);
        }
    }
    dispatched
}

/// Ends waiter `id` of `pipe` (timeout or cancel), if it still waits.
fn end_wait(pipe: &Weak<Pipe>, id: u64, status: NtStatus) {
    let Some(pipe) = pipe.upgrade() else {
        return;
    };
    let mut done = Completions::default();
    let mut ps = pipe.state.lock();
    if let Some(i) = ps.waiters.iter().position(|w| w.irp.id() == id) {
        let waiter = ps.waiters.swap_remove(i);
        waiter.finish(status, &mut done);
    }
    drop(ps);
}
