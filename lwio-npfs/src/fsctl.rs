//! The pipe FSCTLs (MS-FSCC 2.3), their buffers, and the private client-information FSCTL.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use lwio_core::{Dispatched, FileHandle, Irp, NtStatus};

use crate::create::{name_key, validate_name};
use crate::ecp::{CompletionMode, PipeClientInfo};
use crate::info::NamedPipeState;
use crate::pipe::{Completions, End, Instance, Namespace, Phase, Pipe, Waiter, arm_cancel};
use crate::rw::{self, end_of, instance_of};
use crate::wire::{Reader, put_utf16le, utf16le};
use crate::{FileKind, Npfs};

/// FSCTL_PIPE_DISCONNECT: CTL_CODE(FILE_DEVICE_NAMED_PIPE, 1, METHOD_BUFFERED,
/// FILE_ANY_ACCESS) (MS-FSCC 2.3).
pub const FSCTL_PIPE_DISCONNECT: u32 = 0x0011_0004;
/// FSCTL_PIPE_LISTEN: function 2, METHOD_BUFFERED, FILE_ANY_ACCESS (MS-FSCC 2.3).
pub const FSCTL_PIPE_LISTEN: u32 = 0x0011_0008;
/// FSCTL_PIPE_PEEK: function 3, METHOD_BUFFERED, FILE_READ_DATA (MS-FSCC 2.3.45-46).
pub const FSCTL_PIPE_PEEK: u32 = 0x0011_400C;
/// FSCTL_PIPE_TRANSCEIVE: function 5, METHOD_NEITHER, FILE_READ_DATA | FILE_WRITE_DATA
/// (MS-FSCC 2.3.47-48).
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
/// FSCTL_PIPE_WAIT: function 6, METHOD_BUFFERED, FILE_ANY_ACCESS (MS-FSCC 2.3.49-50).
pub const FSCTL_PIPE_WAIT: u32 = 0x0011_0018;
/// lwio's private FSCTL, on a server end: the [`PipeClientInfo`] of the connected client,
/// encoded by [`PipeClientInfo::encode`]. CTL_CODE(FILE_DEVICE_NAMED_PIPE, 0x800,
/// METHOD_BUFFERED, FILE_ANY_ACCESS): function 0x800 is the first of the range Windows
/// leaves to vendors, so no Windows FSCTL has this value.
pub const FSCTL_LWIO_PIPE_GET_CLIENT_INFO: u32 = 0x0011_2000;

/// Bytes before the data of an FSCTL_PIPE_PEEK reply.
pub const PIPE_PEEK_HEADER_LEN: usize = 16;

/// The FSCTL_PIPE_PEEK reply, FILE_PIPE_PEEK_BUFFER (MS-FSCC 2.3.46).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipePeekReply {
    /// FILE_PIPE_CONNECTED_STATE, or FILE_PIPE_CLOSING_STATE once the other end closed.
    pub state: NamedPipeState,
    /// Bytes queued for this end.
    pub read_data_available: u32,
    /// Messages queued (message pipes; else 0).
    pub number_of_messages: u32,
    /// What is left of the first message (message pipes; else 0).
    pub message_length: u32,
    /// The first bytes (message pipes: of the first message only).
    pub data: Vec<u8>,
}

impl PipePeekReply {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PIPE_PEEK_HEADER_LEN + self.data.len());
        out.extend_from_slice(&self.state.to_wire().to_le_bytes());
        out.extend_from_slice(&self.read_data_available.to_le_bytes());
        out.extend_from_slice(&self.number_of_messages.to_le_bytes());
        out.extend_from_slice(&self.message_length.to_le_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    /// Decodes a reply; a short buffer or an unknown state is STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipePeekReply, NtStatus> {
        let mut r = Reader::new(buf);
        let state = NamedPipeState::from_wire(r.u32()?).ok_or(NtStatus::INVALID_PARAMETER)?;
        let read_data_available = r.u32()?;
        let number_of_messages = r.u32()?;
        let message_length = r.u32()?;
        let data = r.take(buf.len() - PIPE_PEEK_HEADER_LEN)?.to_vec();
        Ok(PipePeekReply {
            state,
            read_data_available,
            number_of_messages,
            message_length,
            data,
        })
    }
}

/// The FSCTL_PIPE_WAIT input, FILE_PIPE_WAIT_FOR_BUFFER (MS-FSCC 2.3.49).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeWaitRequest {
    /// The pipe's name, without any `\pipe\` prefix.
    pub name: String,
    /// How long to wait; `None` (TimeoutSpecified FALSE) uses the pipe's default timeout.
    pub timeout: Option<Duration>,
}

impl PipeWaitRequest {
    /// A wait for `name`.
    pub fn new(name: impl Into<String>, timeout: Option<Duration>) -> Self {
        PipeWaitRequest {
            name: name.into(),
            timeout,
        }
    }

    /// The wire form: the timeout as a negative (relative) count of 100-ns intervals, as
    /// Windows callers send it.
    pub fn encode(&self) -> Vec<u8> {
        let mut name = Vec::new();
        put_utf16le(&mut name, &self.name);
        let ticks = self
            .timeout
            .map_or(0, |t| i64::try_from(t.as_nanos() / 100).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(14 + name.len());
        out.extend_from_slice(&(-ticks).to_le_bytes());
        out.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.push(u8::from(self.timeout.is_some()));
        out.push(0);
        out.extend_from_slice(&name);
        out
    }

    /// Decodes the input. The Timeout field is read as an NT interval of 100-ns units
    /// (negative means relative); we take its magnitude as a relative wait either way, and
    /// a zero with TimeoutSpecified TRUE times out at once. (MS-FSCC's text says "units of
    /// 100 milliseconds"; Windows callers send NT intervals.) Trailing bytes, an odd name
    /// length or a name longer than the buffer are STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipeWaitRequest, NtStatus> {
        let mut r = Reader::new(buf);
        let ticks = r.i64()?;
        let name_len = usize::try_from(r.u32()?).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        let specified = r.u8()? != 0;
        let _padding = r.u8()?;
        let name = utf16le(r.take(name_len)?).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        r.finish()?;
        let timeout =
            specified.then(|| Duration::from_nanos(ticks.unsigned_abs().saturating_mul(100)));
        Ok(PipeWaitRequest { name, timeout })
    }
}

/// Asks the server end `handle` who its client is (through
/// [`FSCTL_LWIO_PIPE_GET_CLIENT_INFO`]) and decodes the answer.
pub async fn query_client_info(handle: &FileHandle) -> Result<PipeClientInfo, NtStatus> {
    let blob = handle
        .fs_control(FSCTL_LWIO_PIPE_GET_CLIENT_INFO, Bytes::new(), 1 << 20)
        .await?;
    PipeClientInfo::decode(&blob)
}

pub(crate) fn dispatch(
    driver: &Npfs,
    ns: &Namespace,
    irp: Irp<'_, Npfs>,
    code: u32,
    input: Bytes,
    max_output: u32,
) -> Dispatched {
    if code == FSCTL_PIPE_WAIT {
        return wait(driver, ns, irp, &input);
    }
    let (kind, inst) = match instance_of(&irp) {
        Ok(found) => found,
        Err(status) => return irp.complete(status),
    };
    let pipe_type = inst.pipe.pipe_type();
    let server = matches!(kind, FileKind::Server(_));
    match code {
        FSCTL_PIPE_PEEK => rw::peek(irp, max_output, pipe_type),
        FSCTL_PIPE_TRANSCEIVE => rw::transceive(irp, input, max_output, pipe_type),
        FSCTL_PIPE_LISTEN | FSCTL_PIPE_DISCONNECT | FSCTL_LWIO_PIPE_GET_CLIENT_INFO if !server => {
            irp.complete(NtStatus::ILLEGAL_FUNCTION)
        }
        FSCTL_PIPE_LISTEN => listen(irp, &inst),
        FSCTL_PIPE_DISCONNECT => disconnect(irp, &inst, &kind),
        FSCTL_LWIO_PIPE_GET_CLIENT_INFO => client_info(irp, &inst, max_output),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_request_round_trip_and_rejects() {
        let req = PipeWaitRequest::new("lsarpc", Some(Duration::from_millis(1500)));
        let wire = req.encode();
        assert_eq!(wire.len(), 14 + 12);
        assert_eq!(&wire[..8], &(-15_000_000i64).to_le_bytes());
        assert_eq!(PipeWaitRequest::decode(&wire), Ok(req));
        let forever = PipeWaitRequest::new("x", None);
        assert_eq!(PipeWaitRequest::decode(&forever.encode()), Ok(forever));
        assert!(PipeWaitRequest::decode(&wire[..wire.len() - 1]).is_err());
        let mut long = wire.clone();
        long.push(0);
        assert!(PipeWaitRequest::decode(&long).is_err());
    }

    #[test]
    fn peek_reply_layout() {
        let reply = PipePeekReply {
            state: NamedPipeState::Connected,
            read_data_available: 7,
            number_of_messages: 2,
            message_length: 5,
            data: b"abc".to_vec(),
        };
        let wire = reply.encode();
        assert_eq!(&wire[..4], &3u32.to_le_bytes());
        assert_eq!(&wire[12..16], &5u32.to_le_bytes());
        assert_eq!(PipePeekReply::decode(&wire), Ok(reply));
        assert!(PipePeekReply::decode(&wire[..15]).is_err());
    }
}
