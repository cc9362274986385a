#![allow(clippy::unwrap_used)]
//! The `lwio` tool: its library (`lwio::tool`) against memfs and a small lock-and-list test
//! driver, and the binary's exit codes and messages.

use std::io::Write as _;
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Mutex};

use clap::Parser;
use lwio::core::irp::{QueryDirectoryFlags, QueryDirectoryRequest};
use lwio::core::{
    CreateAction, Dispatched, FileAttributes, Irp, IrpRequest, IrpResult, PendingIrp,
};
use lwio::memfs::{MemFs, Volume};
use lwio::tool::{self, Cli, Command, Session, ToolError};
use lwio::{AccessToken, Driver, IoManager, NtStatus};
use lwio_fscc::{DirEntry, DirEntryWriter, FileTime, is_in_expression};

fn memfs() -> (IoManager, Volume) {
    let io = IoManager::new();
    let volume = Volume::new();
    io.add_device("share", Arc::new(MemFs::new()), volume.clone())
        .unwrap();
    (io, volume)
}

fn system() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

/// A command as the binary would parse it.
fn cmd(words: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("lwio").chain(words.iter().copied()))
        .unwrap()
        .command
}

fn run(io: &IoManager, commands: &[Command]) -> (Result<(), ToolError>, String) {
    let mut out = Vec::new();
    let result = tool::run(io, "share", system(), commands, &mut out);
    (result, String::from_utf8_lossy(&out).into_owned())
}

fn script(io: &IoManager, text: &str) -> (Result<(), ToolError>, String) {
    let mut out = Vec::new();
    let result = tool::run_script(io, "share", system(), text, &mut out);
    (result, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn create_write_read_round_trip_on_memfs() {
    let (io, volume) = memfs();
    let (result, out) = run(
        &io,
        &[
            cmd(&["create", "a.txt", "--disposition", "create"]),
            cmd(&["write", "a.txt", "--data", "hello"]),
            cmd(&["write", "a.txt", "--data", " world", "--append"]),
            cmd(&["read", "a.txt"]),
        ],
    );
    result.unwrap();
    assert!(out.starts_with("action: created\ngranted: 0x"), "{out}");
    assert!(
        out.contains("wrote 5 bytes\nwrote 6 bytes\nhello world"),
        "{out}"
    );
    assert!(volume.lookup("a.txt").is_some());

    let (result, out) = run(
        &io,
        &[cmd(&["read", "a.txt", "--offset", "6", "--length", "3"])],
    );
    result.unwrap();
    assert_eq!(out, "wor");

    // Creating it again with `create` collides.
    let (result, _) = run(&io, &[cmd(&["create", "a.txt", "--disposition", "create"])]);
    let e = result.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::OBJECT_NAME_COLLISION));
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.to_string().contains("STATUS_OBJECT_NAME_COLLISION"),
        "{e}"
    );
}

#[test]
fn write_from_a_local_file() {
    let (io, _) = memfs();
    let path = std::env::temp_dir().join(format!("lwio-tool-{}.bin", std::process::id()));
    std::fs::write(&path, b"from disk").unwrap();
    let from = path.to_str().unwrap();
    let (result, out) = run(
        &io,
        &[cmd(&["write", "f", "--from", from]), cmd(&["read", "f"])],
    );
    std::fs::remove_file(&path).unwrap();
    result.unwrap();
    assert!(out.ends_with("wrote 9 bytes\nfrom disk"), "{out}");
}

#[test]
fn stat_prints_what_memfs_answers_and_the_status_of_the_rest() {
    let (io, _) = memfs();
    let (result, out) = run(
        &io,
        &[
            cmd(&["write", "a.txt", "--data", "12345"]),
            cmd(&["stat", "a.txt", "--volume"]),
        ],
    );
    result.unwrap();
    for expected in [
        "FileStandardInformation:\n",
        "  AllocationSize: 4096\n",
        "  EndOfFile: 5\n",
        "  NumberOfLinks: 1\n",
        "  DeletePending: false\n",
        "  Directory: false\n",
        "  FileAttributes: 0x00000020 (archive)\n",
        "FileNameInformation:\n  FileName: \\a.txt\n",
        "FileStreamInformation: STATUS_INVALID_INFO_CLASS\n",
        "FileIdInformation: STATUS_INVALID_INFO_CLASS\n",
        "  VolumeLabel: memfs\n",
        "  FileSystemName: MEMFS\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    // A directory, and no volume classes without --volume.
    let (result, out) = run(
        &io,
        &[
            cmd(&["create", "d", "--options", "directory"]),
            cmd(&["stat", "d"]),
        ],
    );
    result.unwrap();
    assert!(out.contains("  Directory: true\n"), "{out}");
    assert!(!out.contains("FileFs"), "{out}");

    let (result, _) = run(&io, &[cmd(&["stat", "missing"])]);
    assert_eq!(
        result.unwrap_err().status(),
        Some(NtStatus::OBJECT_NAME_NOT_FOUND)
    );
}

#[test]
fn script_handles_and_expected_failures_on_memfs() {
    let (io, _) = memfs();
    let (result, out) = script(
        &io,
        "# a comment\n\
         open h1 a.txt --disposition create --share none\n\
         write h1 --data 'one two'\n\
         read h1 --offset 4\n\
         \n\
         ! open h2 missing.txt STATUS_OBJECT_NAME_NOT_FOUND\n\
         ! lock h1 0 10\n\
         stat h1\n\
         close h1\n\
         read a.txt\n",
    );
    result.unwrap();
    assert!(out.contains("> open h1 a.txt"), "{out}");
    assert!(out.contains("h1: created, granted 0x"), "{out}");
    assert!(out.contains("> read h1 --offset 4\ntwo\n"), "{out}");
    assert!(
        out.contains("failed as expected: STATUS_OBJECT_NAME_NOT_FOUND"),
        "{out}"
    );
    assert!(
        out.contains("failed as expected: STATUS_INVALID_DEVICE_REQUEST"),
        "{out}"
    );
    assert!(out.contains("  EndOfFile: 7\n"), "{out}");
    assert!(out.contains("h1: closed\n> read a.txt\none two\n"), "{out}");
}

#[test]
fn a_status_assertion_fails_when_the_status_differs() {
    let (io, _) = memfs();
    let (result, out) = script(
        &io,
        "open h1 a.txt --disposition open-if\n\
         ! lock h1 0 10 STATUS_LOCK_NOT_GRANTED\n\
         close h1\n",
    );
    let e = result.unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let text = e.to_string();
    assert!(text.starts_with("line 2 `! lock h1 0 10"), "{text}");
    assert!(
        text.contains("expected STATUS_LOCK_NOT_GRANTED, got STATUS_INVALID_DEVICE_REQUEST"),
        "{text}"
    );
    assert!(!out.contains("close h1"), "the script went on: {out}");

    // A `!` line that succeeds fails the script too.
    let (result, _) = script(&io, "! write b.txt --data x\n");
    let e = result.unwrap_err();
    assert!(matches!(
        &e,
        ToolError::Script { line: 1, source, .. }
            if matches!(**source, ToolError::Expectation { expected: None, got: NtStatus::SUCCESS })
    ));
    assert!(
        e.to_string()
            .contains("expected a failure, got STATUS_SUCCESS"),
        "{e}"
    );

    // An ordinary failure stops the script with the status.
    let (result, out) = script(&io, "read nothing.txt\nwrite x --data y\n");
    let e = result.unwrap_err();
    assert_eq!(e.status(), Some(NtStatus::OBJECT_NAME_NOT_FOUND));
    assert!(
        e.to_string().starts_with("line 1 `read nothing.txt`: "),
        "{e}"
    );
    assert!(!out.contains("write x"), "{out}");
}

#[test]
fn script_usage_errors() {
    let (io, _) = memfs();
    for (text, wanted) in [
        ("frobnicate a\n", "frobnicate"),
        ("read\n", "<TARGET>"),
        ("close nobody\n", "no open handle named nobody"),
        ("wait nobody\n", "no open handle named nobody"),
        (
            "! read a.txt STATUS_NOT_A_REAL_STATUS\n",
            "unknown status name",
        ),
        ("write a --data 'open\n", "unterminated"),
        ("script other.txt\n", "scripts do not nest"),
        ("create a --access reed\n", "unknown access right"),
        (
            "open h a --disposition open-if\nopen h a\n",
            "handle h is already open",
        ),
        // A usage error never satisfies `!`.
        ("! close nobody\n", "no open handle"),
    ] {
        let (result, _) = script(&io, text);
        let e = result.unwrap_err();
        assert_eq!(e.exit_code(), 2, "{text:?}: {e}");
        assert!(e.to_string().contains(wanted), "{text:?}: {e}");
    }
}

/// A test driver with what memfs lacks: byte-range locks (with waiting) and a fixed
/// directory listing of `a.txt`, `b.txt`, `c.doc`.
struct LockFs;

#[derive(Default)]
struct LockVolume {
    locks: Mutex<Vec<Held>>,
    waiters: Arc<Mutex<Vec<PendingIrp<LockFs>>>>,
}

struct Held {
    file: u64,
    offset: u64,
    length: u64,
    exclusive: bool,
}

/// Per-handle state: whether the listing was already returned.
#[derive(Default)]
struct Listing(Mutex<bool>);

fn conflicts(locks: &[Held], offset: u64, length: u64, exclusive: bool) -> bool {
    locks.iter().any(|h| {
        let overlap = offset < h.offset + h.length && h.offset < offset + length;
        // Like NTFS, an exclusive lock conflicts even with its own handle's locks.
        overlap && (exclusive || h.exclusive)
    })
}

impl LockVolume {
    /// Grants every waiting lock that no longer conflicts.
    fn retry_waiters(&self) {
        let ready: Vec<PendingIrp<LockFs>> = {
            let mut waiters = self.waiters.lock().unwrap();
            let mut locks = self.locks.lock().unwrap();
            let mut ready = Vec::new();
            let mut i = 0;
            while i < waiters.len() {
                let IrpRequest::Lock(l) = waiters[i].request() else {
                    i += 1;
                    continue;
                };
                let file = waiters[i].file().id();
                if conflicts(&locks, l.offset, l.length, l.exclusive) {
                    i += 1;
                } else {
                    locks.push(Held {
                        file,
                        offset: l.offset,
                        length: l.length,
                        exclusive: l.exclusive,
                    });
                    ready.push(waiters.remove(i));
                }
            }
            ready
        };
        for irp in ready {
            irp.clear_cancel_routine();
            irp.complete(NtStatus::SUCCESS);
        }
    }
}

impl Driver for LockFs {
    type Device = LockVolume;
    type File = Listing;

    fn name(&self) -> &str {
        "lockfs"
    }

    fn dispatch(&self, volume: &LockVolume, irp: Irp<'_, Self>) -> Dispatched {
        let file = irp.file().id();
        match irp.request() {
            IrpRequest::Create(_) => {
                irp.set_file_context(Listing::default()).ok().unwrap();
                irp.complete_result(IrpResult {
                    status: NtStatus::SUCCESS,
                    information: u64::from(CreateAction::OPENED.0),
                    output: Vec::new(),
                })
            }
            IrpRequest::Close => {
                volume.locks.lock().unwrap().retain(|h| h.file != file);
                volume.retry_waiters();
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Lock(l) => {
                let l = *l;
                let mut locks = volume.locks.lock().unwrap();
                if !conflicts(&locks, l.offset, l.length, l.exclusive) {
                    locks.push(Held {
                        file,
                        offset: l.offset,
                        length: l.length,
                        exclusive: l.exclusive,
                    });
                    return irp.complete(NtStatus::SUCCESS);
                }
                drop(locks);
                if l.fail_immediately {
                    return irp.complete(NtStatus::LOCK_NOT_GRANTED);
                }
                let (pending, dispatched) = irp.pend();
                let id = pending.id();
                let waiters = Arc::clone(&volume.waiters);
                let armed = pending.set_cancel_routine(move || {
                    let mut list = waiters.lock().unwrap();
                    let taken = list
                        .iter()
                        .position(|w| w.id() == id)
                        .map(|i| list.remove(i));
                    drop(list);
                    if let Some(irp) = taken {
                        irp.complete(NtStatus::CANCELLED);
                    }
                });
                if armed {
                    volume.waiters.lock().unwrap().push(pending);
                } else {
                    pending.complete(NtStatus::CANCELLED);
                }
                dispatched
            }
            IrpRequest::Unlock(u) => {
                let mut locks = volume.locks.lock().unwrap();
                let found = locks
                    .iter()
                    .position(|h| h.file == file && h.offset == u.offset && h.length == u.length);
                let status = match found {
                    Some(i) => {
                        locks.remove(i);
                        NtStatus::SUCCESS
                    }
                    None => NtStatus::RANGE_NOT_LOCKED,
                };
                drop(locks);
                volume.retry_waiters();
                irp.complete(status)
            }
            IrpRequest::QueryDirectory(q) => {
                let result = match irp.file_context() {
                    Some(listing) => list(&mut listing.0.lock().unwrap(), q),
                    None => IrpResult::new(NtStatus::INVALID_HANDLE),
                };
                irp.complete_result(result)
            }
            _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }
}

/// The fixed listing, once per scan.
fn list(done: &mut bool, q: &QueryDirectoryRequest) -> IrpResult {
    if q.flags.contains(QueryDirectoryFlags::RESTART_SCANS) {
        *done = false;
    }
    if *done {
        return IrpResult::new(NtStatus::NO_MORE_FILES);
    }
    *done = true;
    let pattern = q.pattern.clone().unwrap_or_else(|| "*".into());
    let mut w = DirEntryWriter::new(q.class, q.length).unwrap();
    for (i, name) in ["a.txt", "b.txt", "c.doc"].into_iter().enumerate() {
        if is_in_expression(&pattern, name, true) {
            w.push(&DirEntry {
                file_name: name.into(),
                end_of_file: 100 * (i as u64 + 1),
                last_write_time: FileTime::UNIX_EPOCH,
                file_attributes: FileAttributes::ARCHIVE,
                ..DirEntry::default()
            });
        }
    }
    if w.is_empty() {
        return IrpResult::new(NtStatus::NO_SUCH_FILE);
    }
    let (buf, status) = w.finish();
    IrpResult::with_output(status, buf)
}

fn lockfs() -> IoManager {
    let io = IoManager::new();
    io.add_device("share", Arc::new(LockFs), LockVolume::default())
        .unwrap();
    io
}

#[test]
fn script_locks_conflict_wait_and_release() {
    let io = lockfs();
    let (result, out) = script(
        &io,
        "open h1 f\n\
         open h2 f\n\
         lock h1 0 10\n\
         ! lock h2 5 10 STATUS_LOCK_NOT_GRANTED\n\
         lock h2 10 10           # no overlap\n\
         lock h1 100 10 --shared\n\
         lock h2 100 10 --shared\n\
         ! unlock h2 0 10 STATUS_RANGE_NOT_LOCKED\n\
         lock h2 0 10 --wait\n\
         ! wait h2 --timeout-ms 20 STATUS_IO_TIMEOUT\n\
         unlock h1 0 10\n\
         wait h2\n\
         wait h2\n\
         ! lock h1 0 1 STATUS_LOCK_NOT_GRANTED\n\
         lock h1 0 1 --key 7 --wait\n\
         close h2\n\
         wait h1\n\
         close h1\n",
    );
    result.unwrap();
    assert!(out.contains("locked 0+10 (exclusive)"), "{out}");
    assert!(out.contains("locked 100+10 (shared)"), "{out}");
    assert!(out.contains("h2: lock 0+10 (exclusive) pending"), "{out}");
    assert!(
        out.contains("failed as expected: STATUS_IO_TIMEOUT"),
        "{out}"
    );
    assert!(out.contains("h2: lock 0+10 (exclusive) granted"), "{out}");
    assert!(out.contains("h2: nothing pending"), "{out}");
    assert!(out.contains("h1: lock 0+1 (exclusive) granted"), "{out}");
}

#[test]
fn closing_a_handle_ends_its_waiting_lock() {
    let io = lockfs();
    let mut session = Session::new(&io, "share", system());
    let mut out = Vec::new();
    session
        .run_script(
            "open h1 f\nopen h2 f\nlock h1 0 10\nlock h2 0 10 --wait\nclose h2\n",
            &mut out,
        )
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("h2: lock 0+10 (exclusive) ended STATUS_CANCELLED\nh2: closed"),
        "{out}"
    );
    assert_eq!(session.handle_names(), ["h1"]);
    // Commands also run one by one on the same session.
    let mut out = Vec::new();
    session
        .execute(&cmd(&["unlock", "h1", "0", "10"]), &mut out)
        .unwrap();
    assert_eq!(out, b"unlocked 0+10\n");
}

#[test]
fn ls_lists_until_no_more_files() {
    let io = lockfs();
    let (result, out) = run(&io, &[cmd(&["ls", "dir"])]);
    result.unwrap();
    assert_eq!(
        out,
        "----a---          100 1970-01-01T00:00:00Z a.txt\n\
         ----a---          200 1970-01-01T00:00:00Z b.txt\n\
         ----a---          300 1970-01-01T00:00:00Z c.doc\n"
    );
    let (result, out) = run(&io, &[cmd(&["ls", "dir", "*.txt", "--class", "names"])]);
    result.unwrap();
    assert_eq!(out, "a.txt\nb.txt\n");
    let (result, out) = run(&io, &[cmd(&["ls", "dir", "*.xls", "--class", "both"])]);
    result.unwrap();
    assert_eq!(out, "");
    // memfs enumerates too: an empty directory has its two dot entries; a pattern that
    // matches nothing lists nothing.
    let (mio, _) = memfs();
    let (result, out) = run(
        &mio,
        &[
            cmd(&["create", "d", "--options", "directory"]),
            cmd(&["ls", "d", "--class", "names"]),
            cmd(&["ls", "d", "*.xls", "--class", "names"]),
        ],
    );
    result.unwrap();
    assert!(out.ends_with("synchronize)\n.\n..\n"), "{out}");
}

fn lwio(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Process::new(env!("CARGO_BIN_EXE_lwio"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_binary_runs_a_script_on_memfs() {
    let (code, out, err) = lwio(
        &["--memfs", "script", "-"],
        "open h1 a.txt --disposition create\nwrite h1 --data hi\nread h1\nclose h1\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("> read h1\nhi\n> close h1\nh1: closed\n"),
        "{out}"
    );
    assert_eq!(err, "");

    let (code, out, err) = lwio(&["--memfs", "script", "-"], "write a --data x\n! read a\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("expected a failure, got STATUS_SUCCESS"),
        "{err}"
    );

    let (code, _, err) = lwio(
        &["--memfs", "--user", "S-1-5-21-1-2-3-1000", "script", "-"],
        "open h1 a --disposition create\n! lock h1 0 1 STATUS_LOCK_NOT_GRANTED\n",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("expected STATUS_LOCK_NOT_GRANTED, got STATUS_INVALID_DEVICE_REQUEST"),
        "{err}"
    );
}

#[test]
fn the_binary_exit_codes_and_messages() {
    // An NTSTATUS failure: exit 1, the status name on stderr; memfs is announced.
    let (code, out, err) = lwio(&["read", "nope.txt"], "");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("in-memory volume"), "{err}");
    assert!(err.contains("STATUS_OBJECT_NAME_NOT_FOUND"), "{err}");

    // Usage errors: exit 2.
    for args in [
        &["--memfs", "read"][..],
        &["--memfs", "create", "a", "--disposition", "sometimes"],
        &["--memfs", "create", "a", "--access", "bogus"],
        &["--memfs", "--root", "/tmp", "stat", "a"],
        &["--memfs", "--user", "nobody", "stat", "a"],
        &["--memfs", "frobnicate"],
    ] {
        let (code, _, err) = lwio(args, "");
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty());
    }
    let (code, _, err) = lwio(&["--memfs", "script", "-"], "close nobody\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 1 `close nobody`"), "{err}");

    // A --root that is not a directory cannot be mounted.
    let (code, _, err) = lwio(&["--root", "/nonexistent/lwio-root", "stat", "a"], "");
    assert_eq!(code, 1);
    assert!(err.contains("cannot mount /share"), "{err}");

    // Help is not an error.
    let (code, out, _) = lwio(&["--help"], "");
    assert_eq!(code, 0);
    assert!(out.contains("script"), "{out}");
}
