//! `shares //server[:port]`: a server's shares, asked of its srvsvc over the redirector.
//!
//! The named pipe `\\server\IPC$\srvsvc` is a remote open like any other
//! (`/rdr/server[:port]/IPC$/srvsvc`); `lwio-rpc`'s client binds the srvsvc interface on
//! it (DCE/RPC over SMB2 WRITE/READ and FSCTL_PIPE_TRANSCEIVE, MS-RPCE 2.1.1.2; the
//! handle is set to message read mode where the server allows it) and calls
//! NetrShareEnum (opnum 15, MS-SRVS 3.1.4.8; `NetShareEnumAll` in some clients) at level 1:
//! each share's name, type and remark. The session's own authentication covers the pipe:
//! the bind is unauthenticated, as Windows' is over SMB.
//!
//! A Win32 error from the server (ERROR_ACCESS_DENIED, 5) is reported with its code;
//! ERROR_MORE_DATA (234) does not happen, the preferred maximum length being unbounded.

use std::io::Write;

use lwio_core::pipe::{CompletionMode, PipeInformation, ReadMode};
use lwio_core::{
    AccessMask, CreateDisposition, CreateRequest, FileInfoClass, NtStatus, ShareAccess, block_on,
};
use lwio_rpc::client::{ClientError, RpcClient};
use lwio_rpc::interfaces::srvsvc::{
    self, ShareEnumResponse, ShareEnumStruct, ShareEnumUnion, ShareInfo1, ShareInfo1Container,
};
use lwio_rpc::ndr::{self, WString};

use super::error::ToolError;
use super::session::Session;

/// STYPE_SPECIAL (MS-SRVS 2.2.2.4): an administrative share (`C$`, `IPC$`).
const STYPE_SPECIAL: u32 = 0x8000_0000;
/// STYPE_TEMPORARY.
const STYPE_TEMPORARY: u32 = 0x4000_0000;

/// One share as NetrShareEnum level 1 gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteShare {
    /// The share's name.
    pub name: String,
    /// Its type (STYPE_DISKTREE 0, STYPE_PRINTQ 1, STYPE_DEVICE 2, STYPE_IPC 3, with the
    /// STYPE_SPECIAL and STYPE_TEMPORARY bits).
    pub share_type: u32,
    /// Its remark.
    pub remark: String,
}

impl RemoteShare {
    /// The type as a word: `Disk`, `Printer`, `Device`, `IPC`, with `$` for a special
    /// (administrative) share.
    pub fn kind(&self) -> String {
        let base = match self.share_type & !(STYPE_SPECIAL | STYPE_TEMPORARY) {
            0 => "Disk",
            1 => "Printer",
            2 => "Device",
            3 => "IPC",
            _ => "Other",
        };
        if self.share_type & STYPE_SPECIAL != 0 {
            format!("{base}$")
        } else {
            base.to_owned()
        }
    }
}

/// The `//server[:port]` of `shares`, checked: a server and nothing after it.
fn server_of(arg: &str) -> Result<&str, ToolError> {
    let rest = arg
        .strip_prefix("//")
        .or_else(|| arg.strip_prefix("\\\\"))
        .ok_or_else(|| ToolError::Usage(format!("{arg}: not //server[:port]")))?;
    let server = rest.trim_end_matches(['/', '\\']);
    if server.is_empty() || server.contains(['/', '\\']) {
        return Err(ToolError::Usage(format!(
            "{arg}: name a server only (//server[:port])"
        )));
    }
    Ok(server)
}

fn rpc_error(context: &str, e: ClientError) -> ToolError {
    match e {
        ClientError::Io(status) => ToolError::failed(context.to_owned(), status),
        other => ToolError::BadData(format!("{context}: {other}")),
    }
}

impl Session {
    /// The shares of `server` (`//server[:port]`), by srvsvc NetrShareEnum level 1.
    pub fn list_shares(&self, server: &str) -> Result<Vec<RemoteShare>, ToolError> {
        let host = server_of(server)?;
        let pipe = format!("/{}/{host}/IPC$/srvsvc", super::remote::REMOTE_DEVICE);
        let request = CreateRequest::new(
            std::sync::Arc::clone(self.token()),
            AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE,
            CreateDisposition::OPEN,
        )
        .share(ShareAccess::READ | ShareAccess::WRITE);
        let context = format!("srvsvc on {server}");
        let handle = block_on(self.io().create_file(&pipe, request))
            .map_err(|s| ToolError::failed(format!("open {pipe}"), s))?;
        // Message read mode, as RPC needs; smbd's pipes are message pipes already and it
        // refuses FilePipeInformation over SMB2 (STATUS_NOT_SUPPORTED).
        let modes = PipeInformation {
            read_mode: ReadMode::Message,
            completion_mode: CompletionMode::Queue,
        };
        match block_on(handle.set_information(FileInfoClass::PIPE, modes.encode())) {
            Ok(()) | Err(NtStatus::NOT_SUPPORTED) => {}
            Err(s) => return Err(ToolError::failed(format!("set the modes of {pipe}"), s)),
        }
        let mut client = RpcClient::in_message_mode(handle);
        block_on(client.bind(srvsvc::SRVSVC_SYNTAX)).map_err(|e| rpc_error(&context, e))?;
        let name = host.split(':').next().unwrap_or(host);
        let input = (
            Some(WString::from(format!("\\\\{name}").as_str())),
            ShareEnumStruct {
                level: 1,
                info: ShareEnumUnion::Level1(Some(ShareInfo1Container::default())),
            },
            u32::MAX,
            Some(0u32),
        );
        let stub = block_on(client.call(srvsvc::opnum::SHARE_ENUM, &ndr::to_bytes(&input)))
            .map_err(|e| rpc_error(&context, e))?;
        let _ = block_on(client.into_pipe().close());
        let (out, _total, _resume, status): ShareEnumResponse = ndr::from_bytes(&stub)
            .map_err(|e| ToolError::BadData(format!("{context}: NetrShareEnum: {e}")))?;
        if status != 0 {
            return Err(ToolError::BadData(format!(
                "{context}: NetrShareEnum failed with Win32 error {status}"
            )));
        }
        let ShareEnumUnion::Level1(container) = out.info else {
            return Err(ToolError::BadData(format!(
                "{context}: NetrShareEnum answered another level"
            )));
        };
        let text = |s: Option<WString>| s.map(|w| w.0).unwrap_or_default();
        let mut shares: Vec<RemoteShare> = container
            .and_then(|c| c.buffer)
            .unwrap_or_default()
            .into_iter()
            .map(|i: ShareInfo1| RemoteShare {
                name: text(i.netname),
                share_type: i.share_type,
                remark: text(i.remark),
            })
            .collect();
        shares.sort_by_key(|s| s.name.to_lowercase());
        Ok(shares)
    }

    /// `shares //server[:port]`: one line per share: name, type, remark.
    pub(crate) fn shares(&self, server: &str, out: &mut dyn Write) -> Result<(), ToolError> {
        for s in self.list_shares(server)? {
            writeln!(out, "{:<20} {:<8} {}", s.name, s.kind(), s.remark)
                .map_err(|e| ToolError::io("write output", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_kinds() {
        assert_eq!(server_of("//nas:4450").unwrap(), "nas:4450");
        assert_eq!(server_of("\\\\nas\\").unwrap(), "nas");
        assert!(server_of("//nas/share").is_err());
        assert!(server_of("nas").is_err());
        assert!(server_of("//").is_err());
        let s = |t| RemoteShare {
            name: String::new(),
            share_type: t,
            remark: String::new(),
        };
        assert_eq!(s(0).kind(), "Disk");
        assert_eq!(s(3 | STYPE_SPECIAL).kind(), "IPC$");
        assert_eq!(s(1 | STYPE_TEMPORARY).kind(), "Printer");
    }
}
