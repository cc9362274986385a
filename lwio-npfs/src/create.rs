//! Create and close: server instances, client opens, the root handle, and what closing one
//! end does to the other.

use std::sync::Arc;

use lwio_core::{
    CreateAction, CreateDisposition, Dispatched, Irp, IrpRequest, IrpResult, NtStatus,
};

use crate::pipe::{Completions, End, Instance, Namespace, Phase, Pipe};
use crate::{FileKind, Npfs, NpfsFile};
use lwio_core::pipe::{CompletionMode, PipeClientInfo, PipeCreateParams, PipeType, ReadMode};

/// Longest pipe name, in characters (CreateNamedPipe's limit is 256 for the whole
/// `\\.\pipe\name`; we allow the name itself that much).
pub const MAX_NAME_LEN: usize = 256;

/// Checks a device-relative pipe name: one component, no separators, no control
/// characters, at most [`MAX_NAME_LEN`] characters.
pub(crate) fn validate_name(name: &str) -> Result<(), NtStatus> {
    let bad = |c: char| c == '/' || c == '\\' || c.is_control();
    if name.contains(bad) || name.chars().count() > MAX_NAME_LEN {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    Ok(())
}

/// The case-insensitive key of a name.
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

pub(crate) fn create(ns: &Namespace, irp: Irp<'_, Npfs>) -> Dispatched {
    let IrpRequest::Create(request) = irp.request() else {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    };
    let disposition = request.disposition;
    let params = request.ecps.get::<PipeCreateParams>().copied();
    if params.is_some() {
        request.ecps.acknowledge::<PipeCreateParams>();
    }
    let client_info = match request.ecps.get::<PipeClientInfo>() {
        Some(info) => {
            request.ecps.acknowledge::<PipeClientInfo>();
            info.clone()
        }
        None => PipeClientInfo::new(Arc::clone(&request.token)),
    };
    let path = irp.file().path();
    if path.is_empty() {
        if params.is_some() {
            return irp.complete(NtStatus::OBJECT_NAME_INVALID);
        }
        if irp.set_file_context(NpfsFile(FileKind::Root)).is_err() {
            return irp.complete(NtStatus::INTERNAL_ERROR);
        }
        return complete_create(irp, CreateAction::OPENED);
    }
    if let Err(status) = validate_name(path) {
        return irp.complete(status);
    }
    let key = name_key(path);
    match params {
        Some(params) => create_server(ns, irp, key, disposition, params),
        None => open_client(ns, irp, &key, disposition, client_info),
    }
}

/// A server create (NtCreateNamedPipeFile): a new instance, listening.
fn create_server(
    ns: &Namespace,
    irp: Irp<'_, Npfs>,
    key: String,
    disposition: CreateDisposition,
    params: PipeCreateParams,
) -> Dispatched {
    if params.max_instances == 0
        || (params.pipe_type == PipeType::Byte && params.read_mode == ReadMode::Message)
    {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    if !matches!(
        disposition,
        CreateDisposition::CREATE | CreateDisposition::OPEN | CreateDisposition::OPEN_IF
    ) {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let mut done = Completions::default();
    let mut pipes = ns.pipes.lock();
    let (pipe, action) = match pipes.get(&key) {
        Some(pipe) => {
            let existing = pipe.config.params;
            if disposition == CreateDisposition::CREATE
                || existing.pipe_type != params.pipe_type
                || existing.max_instances != params.max_instances
            {
                return irp.complete(NtStatus::ACCESS_DENIED);
            }
            (Arc::clone(pipe), CreateAction::OPENED)
        }
        None if disposition == CreateDisposition::OPEN => {
            return irp.complete(NtStatus::OBJECT_NAME_NOT_FOUND);
        }
        None => (Pipe::new(key.clone(), params), CreateAction::CREATED),
    };
    let mut ps = pipe.state.lock();
    let limit = usize::try_from(params.max_instances).unwrap_or(usize::MAX);
    if params.max_instances != crate::UNLIMITED_INSTANCES && ps.instances.len() >= limit {
        return irp.complete(NtStatus::INSTANCE_NOT_AVAILABLE);
    }
    let inst = Instance::new(Arc::clone(&pipe), &params);
    if irp
        .set_file_context(NpfsFile(FileKind::Server(Arc::clone(&inst))))
        .is_err()
    {
        return irp.complete(NtStatus::INTERNAL_ERROR);
    }
    ps.instances.push(inst);
    // A new instance listens: every FSCTL_PIPE_WAIT on the name is satisfied.
    ps.wake_waiters(NtStatus::SUCCESS, &mut done);
    drop(ps);
    if action == CreateAction::CREATED {
        pipes.insert(key, pipe);
    }
    drop(pipes);
    complete_create(irp, action)
}

fn complete_create(irp: Irp<'_, Npfs>, action: CreateAction) -> Dispatched {
    irp.complete_result(IrpResult {
        status: NtStatus::SUCCESS,
        information: u64::from(action.0),
        output: Vec::new(),
    })
}

/// A client open: pairs with a listening instance and completes its pending listens.
fn open_client(
    ns: &Namespace,
    irp: Irp<'_, Npfs>,
    key: &str,
    disposition: CreateDisposition,
    info: PipeClientInfo,
) -> Dispatched {
    // What CreateFile's OPEN_EXISTING, OPEN_ALWAYS, CREATE_ALWAYS and TRUNCATE_EXISTING
    // become; asking for a new file (CREATE, SUPERSEDE) makes no sense for a client.
    if !matches!(
        disposition,
        CreateDisposition::OPEN
            | CreateDisposition::OPEN_IF
            | CreateDisposition::OVERWRITE
            | CreateDisposition::OVERWRITE_IF
    ) {
        return irp.complete(NtStatus::INVALID_PARAMETER);
    }
    let mut done = Completions::default();
    let pipes = ns.pipes.lock();
    let Some(pipe) = pipes.get(key) else {
        return irp.complete(NtStatus::OBJECT_NAME_NOT_FOUND);
    };
    let ps = pipe.state.lock();
    let mut info = Some(info);
    let mut connected = false;
    for inst in &ps.instances {
        let mut st = inst.state.lock();
        if st.phase != Phase::Listening {
            continue;
        }
        let generation = st.generation + 1;
        let kind = FileKind::Client(Arc::clone(inst), generation);
        if irp.set_file_context(NpfsFile(kind)).is_err() {
            return irp.complete(NtStatus::INTERNAL_ERROR);
        }
        st.phase = Phase::Connected;
        st.generation = generation;
        st.client_info = info.take().map(Arc::new);
        // A client handle starts blocking, in byte read mode (as CreateFile leaves it).
        let client = st.end(End::Client);
        client.read_mode = ReadMode::Byte;
        client.completion = CompletionMode::Queue;
        client.incoming.clear();
        st.end(End::Server).incoming.clear();
        for listen in st.listens.drain(..) {
            done.status(listen, NtStatus::SUCCESS);
        }
        connected = true;
        break;
    }
    drop(ps);
    drop(pipes);
    if connected {
        complete_create(irp, CreateAction::OPENED)
    } else {
        irp.complete(NtStatus::PIPE_NOT_AVAILABLE)
    }
}

/// The close of one handle.
pub(crate) fn close(ns: &Namespace, kind: Option<FileKind>) {
    let mut done = Completions::default();
    match kind {
        None | Some(FileKind::Root) => {}
        Some(FileKind::Server(inst)) => {
            let mut pipes = ns.pipes.lock();
            let mut ps = inst.pipe.state.lock();
            let mut st = inst.state.lock();
            match st.phase {
                Phase::Connected => {
                    // The client may still read what the server wrote, then sees
                    // STATUS_PIPE_BROKEN; its writes get STATUS_PIPE_CLOSING.
                    st.phase = Phase::Closing(End::Server);
                    let server = st.end(End::Server);
                    server.incoming.clear();
                    server.fail_reads(NtStatus::PIPE_BROKEN, &mut done);
                    st.end(End::Client)
                        .fail_reads(NtStatus::PIPE_BROKEN, &mut done);
                    for listen in st.listens.drain(..) {
                        done.status(listen, NtStatus::PIPE_BROKEN);
                    }
                }
                _ => {
                    st.flush_all(NtStatus::PIPE_BROKEN, &mut done);
                    drop(st);
                    remove_instance(&mut pipes, &inst, &mut ps, &mut done);
                }
            }
        }
        Some(FileKind::Client(inst, generation)) => {
            let mut pipes = ns.pipes.lock();
            let mut ps = inst.pipe.state.lock();
            let mut st = inst.state.lock();
            if st.generation != generation {
                // Disconnected by the server earlier: nothing of ours is left.
                return;
            }
            match st.phase {
                Phase::Connected => {
                    st.phase = Phase::Closing(End::Client);
                    let client = st.end(End::Client);
                    client.incoming.clear();
                    client.fail_reads(NtStatus::PIPE_BROKEN, &mut done);
                    st.end(End::Server)
                        .fail_reads(NtStatus::PIPE_BROKEN, &mut done);
                }
                Phase::Closing(End::Server) => {
                    st.flush_all(NtStatus::PIPE_BROKEN, &mut done);
                    drop(st);
                    remove_instance(&mut pipes, &inst, &mut ps, &mut done);
                }
                _ => {}
            }
        }
    }
}

/// Takes `inst` out of its pipe; the last instance takes the pipe out of the namespace and
/// fails its waiters with STATUS_OBJECT_NAME_NOT_FOUND (MS-FSCC 2.3.50).
fn remove_instance(
    pipes: &mut std::collections::HashMap<String, Arc<Pipe>>,
    inst: &Arc<Instance>,
    ps: &mut crate::pipe::PipeState,
    done: &mut Completions,
) {
    ps.instances.retain(|i| !Arc::ptr_eq(i, inst));
    if ps.instances.is_empty() {
        ps.wake_waiters(NtStatus::OBJECT_NAME_NOT_FOUND, done);
        let key = &inst.pipe.key;
        if pipes.get(key).is_some_and(|p| Arc::ptr_eq(p, &inst.pipe)) {
            pipes.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("srvsvc").is_ok());
        assert!(validate_name("name with spaces.and:colons").is_ok());
        assert_eq!(validate_name("a/b"), Err(NtStatus::OBJECT_NAME_INVALID));
        assert_eq!(validate_name("a\\b"), Err(NtStatus::OBJECT_NAME_INVALID));
        assert_eq!(validate_name("a\u{1}"), Err(NtStatus::OBJECT_NAME_INVALID));
        assert!(validate_name(&"x".repeat(MAX_NAME_LEN + 1)).is_err());
        assert_eq!(name_key("LSARPC"), "lsarpc");
    }
}
