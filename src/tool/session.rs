//! A session: one device of one `IoManager`, one token, and the handles a script opened.
//! Each command opens what it needs (or uses a named handle), sends its IRPs and prints.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use clap::Parser;
use lwio_core::irp::{IrpRequest, IrpResult, LockRequest, UnlockRequest, WRITE_TO_END_OF_FILE};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, FileHandle,
    FileInfoClass, IoManager, NtStatus, SecurityDescriptor, SecurityInformation, ShareAccess,
    block_on,
};
use lwio_fscc::DirEntry;

use super::cli::{Command, OpenArgs, ScriptLine};
use super::error::ToolError;
use super::names::{format_access, format_filetime};
use super::scan::{ScanError, scan};
use super::script::parse_line;
use super::stat::print_stat;

/// The largest chunk a whole-file read asks for at once.
const READ_CHUNK: u32 = 64 * 1024;
/// How long `lock --wait` on a path (not a handle) waits before STATUS_IO_TIMEOUT.
const TEMPORARY_LOCK_WAIT: Duration = Duration::from_secs(5);
/// The output buffer of directory and security queries.
const QUERY_LENGTH: u32 = 64 * 1024;

/// A request still pending on a handle (a waiting lock), with where its result will arrive.
struct Pending {
    what: String,
    result: mpsc::Receiver<IrpResult>,
}

/// A handle a script opened with `open`.
struct Named {
    file: FileHandle,
    pending: VecDeque<Pending>,
}

/// The state commands run in: the manager, the device, the caller's token, and the named
/// handles of a script. Dropping it closes every handle.
pub struct Session {
    io: IoManager,
    device: String,
    token: Arc<AccessToken>,
    handles: BTreeMap<String, Named>,
    in_script: bool,
}

/// How a command reaches its file: a named handle, or a file it opened for itself.
enum Target<'a> {
    Named(&'a mut Named, String),
    Temporary(FileHandle),
}

impl Target<'_> {
    fn file(&self) -> &FileHandle {
        match self {
            Target::Named(named, _) => &named.file,
            Target::Temporary(file) => file,
        }
    }

    /// Closes a temporary open; its close status is reported only when the command itself
    /// succeeded.
    fn finish(self) -> Result<(), ToolError> {
        match self {
            Target::Named(..) => Ok(()),
            Target::Temporary(file) => {
                let path = file.file().path().to_owned();
                let status = block_on(file.close());
                status
                    .into_result()
                    .map_err(|status| ToolError::failed(format!("close {path}"), status))
            }
        }
    }
}

impl Session {
    /// A session on `/device` of `io`, acting as `token`.
    pub fn new(io: &IoManager, device: &str, token: Arc<AccessToken>) -> Session {
        Session {
            io: io.clone(),
            device: device.trim_matches('/').to_owned(),
            token,
            handles: BTreeMap::new(),
            in_script: false,
        }
    }

    /// The manager the session works on.
    pub(crate) fn io(&self) -> &IoManager {
        &self.io
    }

    /// The token its opens are made with.
    pub(crate) fn token(&self) -> &Arc<AccessToken> {
        &self.token
    }

    /// The names of the handles open now, in order.
    pub fn handle_names(&self) -> Vec<String> {
        self.handles.keys().cloned().collect()
    }

    /// The manager path of a device-relative path: `a\b` and `/a/b` both become
    /// `/device/a/b`.
    pub fn full_path(&self, path: &str) -> String {
        #[cfg(feature = "rdr")]
        if super::remote::is_remote(path) {
            return super::remote::full_path(path);
        }
        let rest = path.replace('\\', "/");
        format!("/{}/{}", self.device, rest.trim_start_matches('/'))
    }

    /// Runs one command, printing its output to `out`.
    pub fn execute(&mut self, command: &Command, out: &mut dyn Write) -> Result<(), ToolError> {
        match command {
            #[cfg(feature = "samr")]
            Command::User(args) => super::accounts::run_user(args, out),
            #[cfg(feature = "samr")]
            Command::Group(args) => super::accounts::run_group(args, out),
            #[cfg(feature = "daemon")]
            Command::Admin(_) => Err(ToolError::Usage(
                "`admin` runs from the command line (`lwio [--daemon SOCKET] admin ...`), not in a script".into(),
            )),
            Command::Create { path, open } => {
                let file = self.open(path, open, CreateDisposition::OPEN_IF)?;
                let action = create_action_name(&file);
                let granted = format_access(file.file().granted_access());
                write_out(out, format_args!("action: {action}\ngranted: {granted}\n"))?;
                Target::Temporary(file).finish()
            }
            Command::Open { handle, path, open } => {
                if self.handles.contains_key(handle) {
                    return Err(ToolError::Usage(format!("handle {handle} is already open")));
                }
                let file = self.open(path, open, CreateDisposition::OPEN)?;
                let action = create_action_name(&file);
                let granted = format_access(file.file().granted_access());
                write_out(out, format_args!("{handle}: {action}, granted {granted}\n"))?;
                self.handles.insert(
                    handle.clone(),
                    Named {
                        file,
                        pending: VecDeque::new(),
                    },
                );
                Ok(())
            }
            Command::Close { handle } => {
                let named = self
                    .handles
                    .remove(handle)
                    .ok_or_else(|| unknown_handle(handle))?;
                let status = block_on(named.file.close());
                for pending in named.pending {
                    if let Ok(result) = pending.result.recv_timeout(Duration::from_secs(1)) {
                        write_out(
                            out,
                            format_args!("{handle}: {} ended {}\n", pending.what, result.status),
                        )?;
                    }
                }
                status
                    .into_result()
                    .map_err(|status| ToolError::failed(format!("close {handle}"), status))?;
                write_out(out, format_args!("{handle}: closed\n"))
            }
            Command::Read {
                target,
                offset,
                length,
            } => self.read(target, *offset, *length, out),
            Command::Write {
                target,
                data,
                from,
                offset,
                append,
            } => {
                let bytes = match (data, from) {
                    (Some(data), _) => data.as_bytes().to_vec(),
                    (None, Some(path)) => std::fs::read(path)
                        .map_err(|e| ToolError::io(format!("read {}", path.display()), e))?,
                    (None, None) => {
                        return Err(ToolError::Usage("write needs --data or --from".into()));
                    }
                };
                let at = if *append {
                    WRITE_TO_END_OF_FILE
                } else {
                    offset.unwrap_or(0)
                };
                let target = self.target(
                    target,
                    AccessMask::GENERIC_WRITE,
                    CreateOptions::NON_DIRECTORY_FILE,
                    CreateDisposition::OPEN_IF,
                )?;
                let written = block_on(target.file().write(at, bytes))
                    .map_err(|s| failed_on("write", &target, s))?;
                write_out(out, format_args!("wrote {written} bytes\n"))?;
                target.finish()
            }
            Command::Cat { target } => self.read(target, 0, None, out),
            Command::Cp {
                src,
                dst,
                recursive,
                resume,
            } => self.cp(src, dst, *recursive, *resume, out),
            #[cfg(feature = "rdr")]
            Command::Mv { src, dst } => self.mv(src, dst, out),
            Command::Rm { target, recursive } => self.rm(target, *recursive, out),
            #[cfg(all(feature = "rdr", feature = "rpc"))]
            Command::Shares { server } => self.shares(server, out),
            Command::Mkdir { path } => self.mkdir(path, out),
            #[cfg(feature = "fuse")]
            Command::Mount { share, dir } => {
                if self.in_script {
                    return Err(ToolError::Usage("mount does not run in a script".into()));
                }
                super::mount::run(&self.io, Arc::clone(&self.token), share, dir)
            }
            Command::Stat { target, volume } => {
                // Ask for read access (for the EA and access classes), and settle for
                // reading attributes when the descriptor grants no more.
                let opened = self.target(
                    target,
                    AccessMask::GENERIC_READ,
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                );
                let target = match opened {
                    Err(e) if e.status() == Some(NtStatus::ACCESS_DENIED) => self.target(
                        target,
                        AccessMask::FILE_READ_ATTRIBUTES | AccessMask::SYNCHRONIZE,
                        CreateOptions::empty(),
                        CreateDisposition::OPEN,
                    )?,
                    other => other?,
                };
                print_stat(target.file(), *volume, out)
                    .map_err(|e| ToolError::io("write output", e))?;
                target.finish()
            }
            Command::Ls {
                target,
                pattern,
                class,
            } => {
                let target = self.target(
                    target,
                    AccessMask::FILE_LIST_DIRECTORY
                        | AccessMask::FILE_READ_ATTRIBUTES
                        | AccessMask::SYNCHRONIZE,
                    CreateOptions::DIRECTORY_FILE,
                    CreateDisposition::OPEN,
                )?;
                list_directory(&target, class.to_class(), pattern.as_deref(), out)?;
                target.finish()
            }
            Command::Getsd { target, info } => {
                let info = info.unwrap_or(
                    SecurityInformation::OWNER
                        .with(SecurityInformation::GROUP)
                        .with(SecurityInformation::DACL),
                );
                let target = self.target(
                    target,
                    info.query_access(),
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                )?;
                let bytes = block_on(target.file().query_security(info, QUERY_LENGTH))
                    .map_err(|s| failed_on("query security", &target, s))?;
                let sddl = SecurityDescriptor::decode(&bytes)
                    .and_then(|sd| sd.to_sddl())
                    .map_err(|e| ToolError::BadData(format!("security descriptor: {e}")))?;
                write_out(out, format_args!("{sddl}\n"))?;
                target.finish()
            }
            Command::Setsd { target, sddl, info } => {
                let sd: SecurityDescriptor = sddl
                    .parse()
                    .map_err(|e| ToolError::Usage(format!("bad SDDL {sddl:?}: {e}")))?;
                let info = info.unwrap_or_else(|| parts_of(&sd));
                let target = self.target(
                    target,
                    info.set_access(),
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                )?;
                block_on(target.file().set_security(info, sd.encode()))
                    .map_err(|s| failed_on("set security", &target, s))?;
                write_out(out, format_args!("security descriptor set\n"))?;
                target.finish()
            }
            Command::Lock {
                target,
                offset,
                length,
                shared,
                wait,
                key,
            } => {
                let request = LockRequest {
                    offset: *offset,
                    length: *length,
                    key: *key,
                    exclusive: !shared,
                    fail_immediately: !wait,
                };
                let kind = if *shared { "shared" } else { "exclusive" };
                let what = format!("lock {offset}+{length} ({kind})");
                let mut target = self.target(
                    target,
                    AccessMask::GENERIC_READ,
                    CreateOptions::NON_DIRECTORY_FILE,
                    CreateDisposition::OPEN,
                )?;
                let future = target.file().call(IrpRequest::Lock(request));
                let result = if future.is_pending() {
                    let (tx, rx) = mpsc::channel();
                    future.on_complete(move |result| {
                        // The session may be gone by now; then nobody wants the result.
                        let _ = tx.send(result);
                    });
                    if let Target::Named(named, name) = &mut target {
                        write_out(out, format_args!("{name}: {what} pending\n"))?;
                        named.pending.push_back(Pending { what, result: rx });
                        return Ok(());
                    }
                    // A file opened for this command alone: nothing else of the session
                    // runs while it waits, so a lock held by one of the script's own
                    // handles would never go. Give up after a while (closing the file
                    // cancels the lock).
                    match rx.recv_timeout(TEMPORARY_LOCK_WAIT) {
                        Ok(result) => result,
                        Err(_) => IrpResult::new(NtStatus::IO_TIMEOUT),
                    }
                } else {
                    block_on(future)
                };
                result
                    .status
                    .into_result()
                    .map_err(|s| failed_on("lock", &target, s))?;
                write_out(out, format_args!("locked {offset}+{length} ({kind})\n"))?;
                target.finish()
            }
            Command::Unlock {
                target,
                offset,
                length,
                key,
            } => {
                let request = UnlockRequest {
                    offset: *offset,
                    length: *length,
                    key: *key,
                };
                let target = self.target(
                    target,
                    AccessMask::GENERIC_READ,
                    CreateOptions::NON_DIRECTORY_FILE,
                    CreateDisposition::OPEN,
                )?;
                block_on(target.file().unlock(request))
                    .map_err(|s| failed_on("unlock", &target, s))?;
                write_out(out, format_args!("unlocked {offset}+{length}\n"))?;
                target.finish()
            }
            Command::Getea {
                target,
                names,
                index,
                single,
                next,
            } => {
                let target = self.target(
                    target,
                    AccessMask::FILE_READ_EA | AccessMask::SYNCHRONIZE,
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                )?;
                let ask = super::ea::GetEa {
                    names,
                    index: *index,
                    single: *single,
                    next: *next,
                };
                let entries = super::ea::get(target.file(), &ask)
                    .map_err(|s| failed_on("query EAs", &target, s))?;
                for e in &entries {
                    write_out(out, format_args!("{}\n", super::ea::entry_line(e)))?;
                }
                target.finish()
            }
            Command::Setea { target, eas, need } => {
                let entries = super::ea::parse_specs(eas, *need)?;
                let target = self.target(
                    target,
                    AccessMask::FILE_WRITE_EA | AccessMask::SYNCHRONIZE,
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                )?;
                super::ea::set(target.file(), entries)
                    .map_err(|s| failed_on("set EAs", &target, s))?;
                write_out(out, format_args!("EAs set\n"))?;
                target.finish()
            }
            Command::Flush { target } => {
                let target = self.target(
                    target,
                    AccessMask::GENERIC_WRITE,
                    CreateOptions::empty(),
                    CreateDisposition::OPEN,
                )?;
                block_on(target.file().flush()).map_err(|s| failed_on("flush", &target, s))?;
                write_out(out, format_args!("flushed\n"))?;
                target.finish()
            }
            Command::Wait { handle, timeout_ms } => self.wait(handle, *timeout_ms, out),
            Command::Script { file } => {
                if self.in_script {
                    return Err(ToolError::Usage("scripts do not nest".to_owned()));
                }
                let mut text = String::new();
                if file == "-" {
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|e| ToolError::io("read standard input", e))?;
                } else {
                    text = std::fs::read_to_string(file)
                        .map_err(|e| ToolError::io(format!("read {file}"), e))?;
                }
                self.run_script(&text, out)
            }
        }
    }

    /// Runs a script (see the module documentation of [`crate::tool`]): stops at the first
    /// line that fails, or that was expected to fail and did not fail as stated.
    pub fn run_script(&mut self, text: &str, out: &mut dyn Write) -> Result<(), ToolError> {
        let was_in_script = std::mem::replace(&mut self.in_script, true);
        let result = self.script_lines(text, out);
        self.in_script = was_in_script;
        result
    }

    fn script_lines(&mut self, text: &str, out: &mut dyn Write) -> Result<(), ToolError> {
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let at = |source: ToolError| ToolError::Script {
                line,
                text: raw.trim().to_owned(),
                source: Box::new(source),
            };
            let Some(parsed) = parse_line(raw).map_err(at)? else {
                continue;
            };
            let command = ScriptLine::try_parse_from(&parsed.words)
                .map_err(|e| at(ToolError::Usage(e.render().to_string().trim().to_owned())))?
                .command;
            write_out(out, format_args!("> {}\n", raw.trim())).map_err(at)?;
            let result = self.execute(&command, out);
            match (parsed.expect_failure, result) {
                (None, Ok(())) => {}
                (None, Err(e)) => return Err(at(e)),
                (Some(expected), Ok(())) => {
                    return Err(at(ToolError::Expectation {
                        expected,
                        got: NtStatus::SUCCESS,
                    }));
                }
                (Some(expected), Err(ToolError::Status { status, .. }))
                    if expected.is_none_or(|e| e == status) =>
                {
                    write_out(out, format_args!("failed as expected: {status}\n")).map_err(at)?;
                }
                (Some(expected), Err(ToolError::Status { status, .. })) => {
                    return Err(at(ToolError::Expectation {
                        expected,
                        got: status,
                    }));
                }
                (Some(_), Err(e)) => return Err(at(e)),
            }
        }
        Ok(())
    }

    /// Closes every named handle, cancelling what is pending on them.
    pub fn close_all(&mut self) {
        for (_, named) in std::mem::take(&mut self.handles) {
            let _ = block_on(named.file.close());
        }
    }

    fn create_request(
        &self,
        open: &OpenArgs,
        disposition: CreateDisposition,
    ) -> Result<CreateRequest, ToolError> {
        let access = open
            .access
            .unwrap_or(AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE);
        let disposition = open.disposition.map_or(disposition, |d| d.to_disposition());
        let mut request = CreateRequest::new(Arc::clone(&self.token), access, disposition);
        if let Some(share) = open.share {
            request = request.share(share);
        }
        if let Some(options) = open.options {
            request = request.options(options);
        }
        if let Some(attributes) = open.attributes {
            request = request.attributes(attributes);
        }
        if let Some(sddl) = &open.sd {
            let sd: SecurityDescriptor = sddl
                .parse()
                .map_err(|e| ToolError::Usage(format!("bad SDDL {sddl:?}: {e}")))?;
            request = request.security_descriptor(sd.encode());
        }
        request.ea_buffer = super::ea::create_buffer(&open.eas)?.map(Into::into);
        Ok(request)
    }

    fn open(
        &self,
        path: &str,
        open: &OpenArgs,
        disposition: CreateDisposition,
    ) -> Result<FileHandle, ToolError> {
        let request = self.create_request(open, disposition)?;
        let full = self.full_path(path);
        block_on(self.io.create_file(&full, request))
            .map_err(|status| ToolError::failed(format!("create {full}"), status))
    }

    /// The handle named `target`, or `target` opened as a path with `access`, sharing
    /// everything so that the command disturbs a script's own handles as little as it can.
    fn target(
        &mut self,
        target: &str,
        access: AccessMask,
        options: CreateOptions,
        disposition: CreateDisposition,
    ) -> Result<Target<'_>, ToolError> {
        if self.handles.contains_key(target) {
            return match self.handles.get_mut(target) {
                Some(named) => Ok(Target::Named(named, target.to_owned())),
                None => Err(unknown_handle(target)),
            };
        }
        let full = self.full_path(target);
        let request = CreateRequest::new(Arc::clone(&self.token), access, disposition)
            .share(ShareAccess::ALL)
            .options(options);
        let file = block_on(self.io.create_file(&full, request))
            .map_err(|status| ToolError::failed(format!("create {full}"), status))?;
        Ok(Target::Temporary(file))
    }

    fn read(
        &mut self,
        target: &str,
        offset: u64,
        length: Option<u32>,
        out: &mut dyn Write,
    ) -> Result<(), ToolError> {
        let in_script = self.in_script;
        let target = self.target(
            target,
            AccessMask::GENERIC_READ,
            CreateOptions::NON_DIRECTORY_FILE,
            CreateDisposition::OPEN,
        )?;
        let mut data = Vec::new();
        if let Some(length) = length {
            data = block_on(target.file().read(offset, length))
                .map_err(|s| failed_on("read", &target, s))?;
        } else {
            let mut at = offset;
            loop {
                match block_on(target.file().read(at, READ_CHUNK)) {
                    Ok(chunk) if chunk.is_empty() => break,
                    Ok(chunk) => {
                        at += chunk.len() as u64;
                        data.extend_from_slice(&chunk);
                    }
                    Err(NtStatus::END_OF_FILE) => break,
                    Err(status) => return Err(failed_on("read", &target, status)),
                }
            }
        }
        out.write_all(&data)
            .map_err(|e| ToolError::io("write output", e))?;
        if in_script && !data.is_empty() && !data.ends_with(b"\n") {
            write_out(out, format_args!("\n"))?;
        }
        target.finish()
    }

    fn wait(
        &mut self,
        handle: &str,
        timeout_ms: u64,
        out: &mut dyn Write,
    ) -> Result<(), ToolError> {
        let named = self
            .handles
            .get_mut(handle)
            .ok_or_else(|| unknown_handle(handle))?;
        let Some(pending) = named.pending.pop_front() else {
            return write_out(out, format_args!("{handle}: nothing pending\n"));
        };
        match pending
            .result
            .recv_timeout(Duration::from_millis(timeout_ms))
        {
            Ok(result) => {
                let what = &pending.what;
                result
                    .status
                    .into_result()
                    .map_err(|s| ToolError::failed(format!("{handle}: {what}"), s))?;
                write_out(out, format_args!("{handle}: {what} granted\n"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let context = format!("{handle}: {} still pending", pending.what);
                named.pending.push_front(pending);
                Err(ToolError::failed(context, NtStatus::IO_TIMEOUT))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ToolError::failed(
                format!("{handle}: {}", pending.what),
                NtStatus::INTERNAL_ERROR,
            )),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close_all();
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("device", &self.device)
            .field("handles", &self.handles.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn write_out(out: &mut dyn Write, args: std::fmt::Arguments<'_>) -> Result<(), ToolError> {
    out.write_fmt(args)
        .map_err(|e| ToolError::io("write output", e))
}

fn unknown_handle(handle: &str) -> ToolError {
    ToolError::Usage(format!("no open handle named {handle}"))
}

fn failed_on(what: &str, target: &Target<'_>, status: NtStatus) -> ToolError {
    let on = match target {
        Target::Named(_, name) => name.clone(),
        Target::Temporary(file) => file.file().path().to_owned(),
    };
    ToolError::failed(format!("{what} {on}"), status)
}

fn create_action_name(file: &FileHandle) -> String {
    let action = file.create_action();
    match action.name() {
        Some(name) => name.to_ascii_lowercase(),
        None => format!("action {}", action.0),
    }
}

/// The parts a parsed SDDL string has, for `setsd` without `--info`.
fn parts_of(sd: &SecurityDescriptor) -> SecurityInformation {
    let mut info = SecurityInformation::default();
    if sd.owner.is_some() {
        info = info.with(SecurityInformation::OWNER);
    }
    if sd.group.is_some() {
        info = info.with(SecurityInformation::GROUP);
    }
    if sd.has_dacl() {
        info = info.with(SecurityInformation::DACL);
    }
    if sd.sacl.is_some() || sd.is_null_sacl() {
        info = info.with(SecurityInformation::SACL);
    }
    info
}

/// `ls`: one line per entry of a directory scan ([`scan`]).
fn list_directory(
    target: &Target<'_>,
    class: FileInfoClass,
    pattern: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), ToolError> {
    scan(target.file(), class, pattern.unwrap_or("*"), |entry| {
        write_out(out, format_args!("{}\n", entry_line(class, &entry)))
    })
    .map_err(|e| match e {
        ScanError::Status(status) => failed_on("query directory", target, status),
        ScanError::Undecodable(e) => ToolError::BadData(format!("directory entries: {e}")),
        ScanError::Stopped(e) => e,
    })
}

/// One `ls` line: attribute letters, size, last write time, name (only the name for the
/// names class).
fn entry_line(class: FileInfoClass, entry: &DirEntry) -> String {
    if class == FileInfoClass::NAMES {
        return entry.file_name.clone();
    }
    format!(
        "{} {:>12} {:<20} {}",
        attribute_letters(entry.file_attributes.0),
        entry.end_of_file,
        format_filetime(entry.last_write_time, false),
        entry.file_name
    )
}

/// `d` directory, `r` read-only, `h` hidden, `s` system, `a` archive, `t` temporary,
/// `l` reparse point, `c` compressed; `-` where the bit is clear.
fn attribute_letters(attributes: u32) -> String {
    const LETTERS: [(u32, char); 8] = [
        (0x10, 'd'),
        (0x1, 'r'),
        (0x2, 'h'),
        (0x4, 's'),
        (0x20, 'a'),
        (0x100, 't'),
        (0x400, 'l'),
        (0x800, 'c'),
    ];
    LETTERS
        .iter()
        .map(|&(bit, c)| if attributes & bit != 0 { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_core::FileAttributes;
    use lwio_fscc::FileTime;

    #[test]
    fn paths_land_on_the_device() {
        let io = IoManager::new();
        let s = Session::new(&io, "/share/", Arc::new(AccessToken::system()));
        assert_eq!(s.full_path("a.txt"), "/share/a.txt");
        assert_eq!(s.full_path("/d/a.txt"), "/share/d/a.txt");
        assert_eq!(s.full_path(r"d\a.txt"), "/share/d/a.txt");
        assert_eq!(s.full_path(""), "/share/");
    }

    #[test]
    fn listing_lines() {
        let entry = DirEntry {
            file_name: "a.txt".into(),
            end_of_file: 5,
            last_write_time: FileTime::UNIX_EPOCH,
            file_attributes: FileAttributes::ARCHIVE | FileAttributes::DIRECTORY,
            ..DirEntry::default()
        };
        assert_eq!(
            entry_line(FileInfoClass::ID_BOTH_DIRECTORY, &entry),
            "d---a---            5 1970-01-01T00:00:00Z a.txt"
        );
        assert_eq!(entry_line(FileInfoClass::NAMES, &entry), "a.txt");
    }

    #[test]
    fn sddl_parts() {
        let sd: SecurityDescriptor = "O:BAD:(A;;FA;;;WD)".parse().unwrap();
        assert_eq!(
            parts_of(&sd),
            SecurityInformation::OWNER.with(SecurityInformation::DACL)
        );
    }
}
