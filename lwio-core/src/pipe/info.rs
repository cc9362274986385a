//! The pipe information classes (MS-FSCC 2.4): FilePipeInformation (2.4.36, one handle's
//! modes) and FilePipeLocalInformation (2.4.37, the instance seen from one end), with the
//! pipe states and ends they report.

use lwio_types::Reader;

use super::ecp::{CompletionMode, PipeType, ReadMode};
use crate::status::NtStatus;

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
        if buf.len() < Self::LEN {
            return Err(NtStatus::INFO_LENGTH_MISMATCH);
        }
        let mut r = Reader::new(buf);
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
        r.expect_end()?;
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
        // A set buffer may be longer than the class.
        assert_eq!(
            PipeInformation::decode(&[1, 0, 0, 0, 1, 0, 0, 0, 9]),
            Ok(info)
        );
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
        assert!(PipeLocalInformation::decode(&wire[..39]).is_err());
        let mut long = wire;
        long.push(0);
        assert_eq!(
            PipeLocalInformation::decode(&long),
            Err(NtStatus::INVALID_PARAMETER)
        );
    }
}
