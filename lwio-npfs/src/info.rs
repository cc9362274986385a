//! Query and set information: FilePipeInformation, FilePipeLocalInformation,
//! FileStandardInformation and FileBasicInformation, encoded in their MS-FSCC layouts.

use lwio_core::{Dispatched, FileInfoClass, Irp, NtStatus};

use crate::ecp::{CompletionMode, PipeType, ReadMode};
use crate::pipe::{End, Instance, Phase};
use crate::rw::{clamp, end_of};
use crate::wire::Reader;
use crate::{FileKind, Npfs};

/// A pipe's connection state (MS-FSCC 2.4.37 NamedPipeState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedPipeState {
    /// FILE_PIPE_DISCONNECTED_STATE (1).
    Disconnected,
    /// FILE_PIPE_LISTENING_STATE (2).
    Listening,
    /// FILE_PIPE_CONNECTED_STATE (3).
    Connected,
    /// FILE_PIPE_CLOSING_STATE (4): the other end closed; data may be left to read.
    Closing,
}

impl NamedPipeState {
    /// The MS-FSCC value.
    pub fn to_wire(self) -> u32 {
        match self {
            NamedPipeState::Disconnected => 1,
            NamedPipeState::Listening => 2,
            NamedPipeState::Connected => 3,
            NamedPipeState::Closing => 4,
        }
    }

    /// From the MS-FSCC value.
    pub fn from_wire(v: u32) -> Option<NamedPipeState> {
        match v {
            1 => Some(NamedPipeState::Disconnected),
            2 => Some(NamedPipeState::Listening),
            3 => Some(NamedPipeState::Connected),
            4 => Some(NamedPipeState::Closing),
            _ => None,
        }
    }
}

/// Which end a handle is (MS-FSCC 2.4.37 NamedPipeEnd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedPipeEnd {
    /// FILE_PIPE_CLIENT_END (0).
    Client,
    /// FILE_PIPE_SERVER_END (1).
    Server,
}

/// FILE_PIPE_INFORMATION (MS-FSCC 2.4.36): one handle's read and completion modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipeInformation {
    /// ReadMode.
    pub read_mode: ReadMode,
    /// CompletionMode.
    pub completion_mode: CompletionMode,
}

impl PipeInformation {
    /// Size of the structure.
    pub const LEN: usize = 8;

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&self.read_mode.to_wire().to_le_bytes());
        out.extend_from_slice(&self.completion_mode.to_wire().to_le_bytes());
        out
    }

    /// Decodes the first 8 bytes (a set-information buffer may be longer); a short buffer
    /// is STATUS_INFO_LENGTH_MISMATCH, an unknown mode STATUS_INVALID_PARAMETER.
    pub fn decode(buf: &[u8]) -> Result<PipeInformation, NtStatus> {
        let Some(head) = buf.get(..Self::LEN) else {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        };
        let mut r = Reader::new(head);
        let read_mode = ReadMode::from_wire(r.u32()?).ok_or(NtStatus::INVALID_PARAMETER)?;
        let completion_mode =
            CompletionMode::from_wire(r.u32()?).ok_or(NtStatus::INVALID_PARAMETER)?;
        Ok(PipeInformation {
            read_mode,
            completion_mode,
        })
    }
}

/// FILE_PIPE_LOCAL_INFORMATION (MS-FSCC 2.4.37), seen from the queried end: "inbound" is
/// what this end reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipeLocalInformation {
    /// NamedPipeType.
    pub pipe_type: PipeType,
    /// NamedPipeConfiguration: always FILE_PIPE_FULL_DUPLEX (2) here.
    pub configuration: u32,
    /// MaximumInstances (0xFFFFFFFF: unlimited).
    pub maximum_instances: u32,
    /// CurrentInstances.
    pub current_instances: u32,
    /// InboundQuota.
    pub inbound_quota: u32,
    /// ReadDataAvailable: bytes queued for this end.
    pub read_data_available: u32,
    /// OutboundQuota.
    pub outbound_quota: u32,
    /// WriteQuotaAvailable: the outbound quota less what the other end has not read yet.
    pub write_quota_available: u32,
    /// NamedPipeState.
    pub state: NamedPipeState,
    /// NamedPipeEnd.
    pub end: NamedPipeEnd,
}

/// FILE_PIPE_FULL_DUPLEX.
pub const FILE_PIPE_FULL_DUPLEX: u32 = 2;

impl PipeLocalInformation {
    /// Size of the structure.
    pub const LEN: usize = 40;

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let end = match self.end {
            NamedPipeEnd::Client => 0u32,
            NamedPipeEnd::Server => 1,
        };
        let fields = [
            self.pipe_type.to_wire(),
            self.configuration,
            self.maximum_instances,
            self.current_instances,
            self.inbound_quota,
            self.read_data_available,
            self.outbound_quota,
            self.write_quota_available,
            self.state.to_wire(),
            end,
        ];
        fields.iter().flat_map(|f| f.to_le_bytes()).collect()
    }

    /// Decodes exactly 40 bytes.
    pub fn decode(buf: &[u8]) -> Result<PipeLocalInformation, NtStatus> {
        let mut r = Reader::new(buf);
        let pipe_type = match r.u32()? {
            0 => PipeType::Byte,
            1 => PipeType::Message,
            _ => return Err(NtStatus::INVALID_PARAMETER),
        };
        let configuration = r.u32()?;
        let maximum_instances = r.u32()?;
        let current_instances = r.u32()?;
        let inbound_quota = r.u32()?;
        let read_data_available = r.u32()?;
        let outbound_quota = r.u32()?;
        let write_quota_available = r.u32()?;
        let state = NamedPipeState::from_wire(r.u32()?).ok_or(NtStatus::INVALID_PARAMETER)?;
        let end = match r.u32()? {
            0 => NamedPipeEnd::Client,
            1 => NamedPipeEnd::Server,
            _ => return Err(NtStatus::INVALID_PARAMETER),
        };
        r.finish()?;
        Ok(PipeLocalInformation {
            pipe_type,
            configuration,
            maximum_instances,
            current_instances,
            inbound_quota,
            read_data_available,
            outbound_quota,
            write_quota_available,
            state,
            end,
        })
    }
}

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
    fn layouts_round_trip() {
        let info = PipeInformation {
            read_mode: ReadMode::Message,
            completion_mode: CompletionMode::Complete,
        };
        assert_eq!(info.encode(), [1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(PipeInformation::decode(&info.encode()), Ok(info));
        assert_eq!(
            PipeInformation::decode(&[1, 0, 0]),
            Err(NtStatus::INFO_LENGTH_MISMATCH)
        );
        assert_eq!(
            PipeInformation::decode(&[2, 0, 0, 0, 0, 0, 0, 0]),
            Err(NtStatus::INVALID_PARAMETER)
        );
        let local = PipeLocalInformation {
            pipe_type: PipeType::Message,
            configuration: FILE_PIPE_FULL_DUPLEX,
            maximum_instances: u32::MAX,
            current_instances: 2,
            inbound_quota: 4096,
            read_data_available: 10,
            outbound_quota: 8192,
            write_quota_available: 8000,
            state: NamedPipeState::Connected,
            end: NamedPipeEnd::Server,
        };
        let wire = local.encode();
        assert_eq!(wire.len(), PipeLocalInformation::LEN);
        assert_eq!(&wire[32..40], &[3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(PipeLocalInformation::decode(&wire), Ok(local));
        assert_eq!(standard(1, 2, true).len(), 24);
        assert_eq!(basic(ATTRIBUTE_NORMAL).len(), 40);
    }
}
