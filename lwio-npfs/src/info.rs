//! Query and set information: FilePipeInformation, FilePipeLocalInformation,
//! FileStandardInformation and FileBasicInformation, encoded in their MS-FSCC layouts (the
//! pipe classes' codecs are the I/O model's, `lwio_core::pipe`).

use lwio_core::pipe::{
    FILE_PIPE_FULL_DUPLEX, NamedPipeEnd, NamedPipeState, PipeInformation, PipeLocalInformation,
    PipeType, ReadMode,
};
use lwio_core::{Dispatched, FileInfoClass, Irp, NtStatus};

use crate::pipe::{End, Instance, Phase};
use crate::rw::{clamp, end_of};
use crate::{FileKind, Npfs};

/// FILE_ATTRIBUTE_NORMAL and FILE_ATTRIBUTE_DIRECTORY (MS-FSCC 2.6).
const ATTRIBUTE_NORMAL: u32 = 0x80;
const ATTRIBUTE_DIRECTORY: u32 = 0x10;

/// FileBasicInformation (MS-FSCC 2.4.7): no times, one attribute.
fn basic(attributes: u32) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    out.extend_from_slice(&attributes.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out
}

/// FileStandardInformation (MS-FSCC 2.4.41).
fn standard(allocation: u64, end_of_file: u64, directory: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(&allocation.to_le_bytes());
    out.extend_from_slice(&end_of_file.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.push(0);
    out.push(u8::from(directory));
    out.extend_from_slice(&[0, 0]);
    out
}

fn phase_state(phase: Phase, end: End) -> NamedPipeState {
    match phase {
        Phase::Disconnected => NamedPipeState::Disconnected,
        Phase::Listening => NamedPipeState::Listening,
        Phase::Connected => NamedPipeState::Connected,
        Phase::Closing(closed) if closed != end => NamedPipeState::Closing,
        Phase::Closing(_) => NamedPipeState::Disconnected,
    }
}

fn local_information(kind: &FileKind, inst: &Instance) -> Result<Vec<u8>, NtStatus> {
    let params = inst.pipe.config.params;
    let ps = inst.pipe.state.lock();
    let current = clamp(ps.instances.len());
    let st = inst.state.lock();
    drop(ps);
    let e = end_of(kind, &st)?;
    let (inbound_quota, outbound_quota) = match e {
        End::Server => (params.in_quota, params.out_quota),
        End::Client => (params.out_quota, params.in_quota),
    };
    let unread_by_other = clamp(st.end_ref(e.other()).incoming.bytes());
    let info = PipeLocalInformation {
        pipe_type: params.pipe_type,
        configuration: FILE_PIPE_FULL_DUPLEX,
        maximum_instances: params.max_instances,
        current_instances: current,
        inbound_quota,
        read_data_available: clamp(st.end_ref(e).incoming.bytes()),
        outbound_quota,
        write_quota_available: outbound_quota.saturating_sub(unread_by_other),
        state: phase_state(st.phase, e),
        end: match e {
            End::Server => NamedPipeEnd::Server,
            End::Client => NamedPipeEnd::Client,
        },
    };
    Ok(info.encode())
}

fn query_pipe(kind: &FileKind, class: FileInfoClass) -> Result<Vec<u8>, NtStatus> {
    let Some(inst) = kind.instance() else {
        return match class {
            FileInfoClass::BASIC => Ok(basic(ATTRIBUTE_DIRECTORY)),
            FileInfoClass::STANDARD => Ok(standard(0, 0, true)),
            _ => Err(NtStatus::INVALID_PARAMETER),
        };
    };
    match class {
        FileInfoClass::BASIC => Ok(basic(ATTRIBUTE_NORMAL)),
        FileInfoClass::STANDARD => {
            let params = inst.pipe.config.params;
            let st = inst.state.lock();
            let available = end_of(kind, &st).map_or(0, |e| st.end_ref(e).incoming.bytes());
            let allocation = u64::from(params.in_quota) + u64::from(params.out_quota);
            Ok(standard(allocation, available as u64, false))
        }
        FileInfoClass::PIPE => {
            let st = inst.state.lock();
            let end = st.end_ref(end_of(kind, &st)?);
            let info = PipeInformation {
                read_mode: end.read_mode,
                completion_mode: end.completion,
            };
            Ok(info.encode())
        }
        FileInfoClass::PIPE_LOCAL => local_information(kind, &inst),
        _ => Err(NtStatus::INVALID_PARAMETER),
    }
}

fn class_len(class: FileInfoClass) -> usize {
    match class {
        FileInfoClass::BASIC => 40,
        FileInfoClass::STANDARD => 24,
        FileInfoClass::PIPE => PipeInformation::LEN,
        FileInfoClass::PIPE_LOCAL => PipeLocalInformation::LEN,
        _ => 0,
    }
}

pub(crate) fn query(irp: Irp<'_, Npfs>, class: FileInfoClass, length: u32) -> Dispatched {
    let Some(kind) = irp.file_context().map(|c| c.0.clone()) else {
        return irp.complete(NtStatus::INVALID_HANDLE);
    };
    match query_pipe(&kind, class) {
        Ok(_) if (length as usize) < class_len(class) => {
            irp.complete(NtStatus::INFO_LENGTH_MISMATCH)
        }
        Ok(out) => irp.complete_with_output(NtStatus::SUCCESS, out),
        Err(status) => irp.complete(status),
    }
}

pub(crate) fn set(irp: Irp<'_, Npfs>, class: FileInfoClass, data: &[u8]) -> Dispatched {
    let status = match set_pipe(&irp, class, data) {
        Ok(()) => NtStatus::SUCCESS,
        Err(status) => status,
    };
    irp.complete(status)
}

fn set_pipe(irp: &Irp<'_, Npfs>, class: FileInfoClass, data: &[u8]) -> Result<(), NtStatus> {
    let kind = irp
        .file_context()
        .map(|c| c.0.clone())
        .ok_or(NtStatus::INVALID_HANDLE)?;
    let inst = kind.instance().ok_or(NtStatus::INVALID_PARAMETER)?;
    if class != FileInfoClass::PIPE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let info = PipeInformation::decode(data)?;
    if info.read_mode == ReadMode::Message && inst.pipe.pipe_type() == PipeType::Byte {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let mut st = inst.state.lock();
    let e = end_of(&kind, &st)?;
    let end = st.end(e);
    end.read_mode = info.read_mode;
    end.completion = info.completion_mode;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_and_basic_layouts() {
        assert_eq!(standard(1, 2, true).len(), 24);
        assert_eq!(basic(ATTRIBUTE_NORMAL).len(), 40);
    }
}
