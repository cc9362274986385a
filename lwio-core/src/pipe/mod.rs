//! The I/O model's interface to a named pipe file system: what Windows' ntifs.h is to
//! NPFS. A pipe file system (`lwio-npfs`) implements it; a pipe user (the RPC servers and
//! client, the SMB server's IPC$) speaks it through the I/O manager and never names the
//! driver.
//!
//! - The control codes are [`CtlCode`]s of device type FILE_DEVICE_NAMED_PIPE
//!   (`CtlCode::FSCTL_PIPE_LISTEN`, `FSCTL_PIPE_DISCONNECT`, `FSCTL_PIPE_PEEK`,
//!   `FSCTL_PIPE_TRANSCEIVE`, `FSCTL_PIPE_WAIT`, MS-FSCC 2.3), plus lwio's private
//!   `CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`.
//! - The Extra Create Parameters: [`PipeCreateParams`] makes a create a server create (a
//!   new instance, as `NtCreateNamedPipeFile`), [`PipeClientInfo`] tells a server end who
//!   its client is ([`query_client_info`] reads it back).
//! - The buffers: [`PipeWaitRequest`] (FSCTL_PIPE_WAIT's input), [`PipePeekReply`]
//!   (FSCTL_PIPE_PEEK's output), and the information classes [`PipeInformation`]
//!   (FilePipeInformation) and [`PipeLocalInformation`] (FilePipeLocalInformation).
//!
//! What each request answers in each pipe state is the pipe file system's contract; see
//! `lwio-npfs`.

mod buffers;
mod ecp;
mod info;

use bytes::Bytes;
pub use lwio_types::CtlCode;

pub use buffers::{PIPE_PEEK_HEADER_LEN, PipePeekReply, PipeWaitRequest};
pub use ecp::{
    CompletionMode, PipeClientInfo, PipeCreateParams, PipeType, ReadMode, UNLIMITED_INSTANCES,
};
pub use info::{
    FILE_PIPE_FULL_DUPLEX, NamedPipeEnd, NamedPipeState, PipeInformation, PipeLocalInformation,
};

use crate::handle::FileHandle;
use crate::status::NtStatus;

/// The largest client-information blob [`query_client_info`] accepts.
const CLIENT_INFO_MAX: u32 = 1 << 20;

/// Asks the server end `handle` who its client is (through
/// [`CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO`]) and decodes the answer. The pipe file system's
/// refusals come back as they are (STATUS_ILLEGAL_FUNCTION on a client end,
/// STATUS_PIPE_LISTENING or STATUS_PIPE_DISCONNECTED with no client); a blob that does not
/// decode is STATUS_INVALID_PARAMETER.
pub async fn query_client_info(handle: &FileHandle) -> Result<PipeClientInfo, NtStatus> {
    let blob = handle
        .fs_control(
            CtlCode::FSCTL_LWIO_PIPE_GET_CLIENT_INFO.into(),
            Bytes::new(),
            CLIENT_INFO_MAX,
        )
        .await?;
    PipeClientInfo::decode(&blob)
}
