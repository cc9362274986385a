//! A directory lease and its holder's own changes (MS-FSA 2.1.4.12 with PARENT_OBJECT,
//! 2.1.4.12.2): every change of an entry that PVFS reports breaks the directory's lease to
//! none, but a change made through an open whose parent oplock key is the lease's key
//! (Open.ParentOplockKey, from the create's `OplockKeyEcp::parent`) does not. Each path that
//! reports a change is checked both ways: the write time set at the close of a handle that
//! wrote, a set of EAs, a set of the security descriptor, an overwrite (with the EAs it
//! replaces) and a hard link.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use lwio_core::irp::{ControlRequest, IrpRequest};
use lwio_core::oplock::{
    OPLOCK_LEVEL_CACHE_HANDLE as H, OPLOCK_LEVEL_CACHE_READ as R, OplockKeyEcp,
    REQUEST_OPLOCK_INPUT_FLAG_ACK, REQUEST_OPLOCK_INPUT_FLAG_REQUEST, RequestOplockInput,
    RequestOplockOutput,
};
use lwio_core::{
    AccessMask, CreateDisposition, CtlCode, FileHandle, FileInfoClass, IrpFuture, NtStatus,
    SecurityDescriptor, SecurityInformation, ShareAccess, block_on,
};
use lwio_fscc::{EaEntry, FileFullEaInformation};

/// The directory lease's key: its holder's opens in `d` name it as their parent's.
const HOLDER: u8 = 1;

fn lease_fsctl(h: &FileHandle, level: u32, flags: u32) -> IrpFuture {
    h.call(IrpRequest::FsControl(ControlRequest {
        code: CtlCode::FSCTL_REQUEST_OPLOCK.0,
        input: Bytes::from(RequestOplockInput { level, flags }.encode()),
        max_output: RequestOplockOutput::SIZE as u32,
    }))
}

/// An open of `path` by oplock key `key`, naming `parent` as its parent's lease key.
fn keyed(key: u8, parent: Option<u8>, disp: CreateDisposition) -> lwio_core::CreateRequest {
    req(ALL, disp).share(ShareAccess(7)).ecp(OplockKeyEcp {
        key: [key; 16],
        parent: parent.map(|p| [p; 16]),
    })
}

fn ea_list(value: &str) -> Vec<u8> {
    FileFullEaInformation {
        entries: vec![EaEntry {
            flags: 0,
            name: b"USER.TAG".to_vec(),
            value: value.as_bytes().to_vec(),
        }],
    }
    .encode()
}

/// A change of an entry of `d`, made through opens of oplock key `key` naming `parent`.
#[derive(Clone, Copy, Debug)]
enum Change {
    /// Data written through a handle: its close sets the last write time.
    WriteThenClose,
    /// FileFullEaInformation set (FILE_NOTIFY_CHANGE_EA).
    SetEa,
    /// The DACL set (FILE_NOTIFY_CHANGE_SECURITY).
    SetSecurity,
    /// An open that overwrites the file, giving it EAs (size, times, attributes, EA).
    Overwrite,
    /// A hard link to the file made in `d` (a name added).
    Link,
}

impl Change {
    /// Makes the change to `d/<name>` (made beforehand) as key `key` naming `parent`.
    fn make(self, s: &Share, name: &str, key: u8, parent: Option<u8>) {
        let path = format!("d/{name}");
        let open = || s.open(&path, keyed(key, parent, CreateDisposition::OPEN));
        match self {
            Change::WriteThenClose => {
                let f = open().unwrap();
                block_on(f.write(0, b"new data".to_vec())).unwrap();
                drop(f);
            }
            Change::SetEa => {
                let f = open().unwrap();
                set_info(&f, FileInfoClass::FULL_EA, ea_list(name)).unwrap();
            }
            Change::SetSecurity => {
                let f = open().unwrap();
                let sd: SecurityDescriptor = "D:(A;;FA;;;WD)(A;;FA;;;SY)".parse().unwrap();
                block_on(f.set_security(SecurityInformation::DACL, sd.encode())).unwrap();
            }
            Change::Overwrite => {
                let mut r = keyed(key, parent, CreateDisposition::OVERWRITE);
                r.ea_buffer = Some(ea_list(name).into());
                s.open(&path, r).unwrap();
            }
            Change::Link => {
                let f = open().unwrap();
                link(&f, &format!("d/{name}.link"), false).unwrap();
            }
        }
    }
}

/// Waits (bounded) until `f` has completed; its result.
fn completed(f: IrpFuture) -> lwio_core::IrpResult {
    let start = Instant::now();
    while !f.is_done() {
        assert!(start.elapsed() < Duration::from_secs(10), "no lease break");
        std::thread::sleep(Duration::from_millis(5));
    }
    f.wait()
}

/// The directory lease's holder makes `change` without losing its lease; another client
/// making the same change breaks it to none.
fn own_change_keeps_the_lease_another_breaks_it(change: Change) {
    let s = Share::new();
    s.mkdir("d");
    s.file_with("d/mine", b"x");
    s.file_with("d/theirs", b"x");
    let d = s
        .open(
            "d",
            req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
                .share(ShareAccess(7))
                .options(DIR)
                .ecp(OplockKeyEcp {
                    key: [HOLDER; 16],
                    parent: None,
                }),
        )
        .unwrap();
    let lease = lease_fsctl(&d, R | H, REQUEST_OPLOCK_INPUT_FLAG_REQUEST);
    assert!(lease.is_pending(), "RH granted on d");

    change.make(&s, "mine", 2, Some(HOLDER));
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !lease.is_done(),
        "{change:?} through an open naming the lease as parent broke it"
    );

    change.make(&s, "theirs", 3, None);
    let out = RequestOplockOutput::decode(&completed(lease).output).unwrap();
    assert_eq!((out.original, out.new), (R | H, 0), "{change:?} by another");
    let acked = lease_fsctl(&d, 0, REQUEST_OPLOCK_INPUT_FLAG_ACK).wait();
    assert_eq!(acked.status, NtStatus::SUCCESS);
}

#[test]
fn the_write_time_set_at_close_breaks_only_other_clients_directory_leases() {
    own_change_keeps_the_lease_another_breaks_it(Change::WriteThenClose);
}

#[test]
fn a_set_of_eas_breaks_only_other_clients_directory_leases() {
    own_change_keeps_the_lease_another_breaks_it(Change::SetEa);
}

#[test]
fn a_set_of_security_breaks_only_other_clients_directory_leases() {
    own_change_keeps_the_lease_another_breaks_it(Change::SetSecurity);
}

#[test]
fn an_overwrite_breaks_only_other_clients_directory_leases() {
    own_change_keeps_the_lease_another_breaks_it(Change::Overwrite);
}

#[test]
fn a_hard_link_breaks_only_other_clients_directory_leases() {
    own_change_keeps_the_lease_another_breaks_it(Change::Link);
}
