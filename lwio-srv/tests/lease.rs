#![allow(clippy::unwrap_used)]
//! Leases over SMB2 with the raw client (MS-SMB2 3.3.5.9.8, 3.3.5.9.11): a lease belongs
//! to its file, not to the name it was granted under, so it follows a rename (as Windows
//! answers smbtorture's smb2.lease.v2_rename); its key on another file is refused.
//! Directory leases: RH at most, broken by another client's change of an entry (a new
//! entry, a write and close, EAs, security, an overwrite, a hard link), not by the
//! holder's own (through opens naming its lease as ParentLeaseKey).

use std::time::Duration;

use lwio_core::{
    AccessMask, CreateDisposition, CreateOptions, FileInfoClass, NtStatus, ShareAccess,
};
use lwio_fscc::file_info::FileRenameInformation;
use lwio_smb2::create_context::{Lease, LeaseFlags, LeaseV2};
use lwio_smb2::oplock::{LeaseBreakNotification, LeaseState};
use lwio_smb2::{
    Capabilities, Command, CreateRequest, CreateResponse, Dialect, Header, InfoType,
    NegotiateRequest, OplockLevel, RequestContext, ResponseContext, SetInfoRequest,
};
use lwio_srv::testing::client::{Msg, RawClient, body, status_of};
use lwio_srv::testing::{Harness, USER, open_to_everyone, small_config};
use tokio::io::DuplexStream;

const RWH: u32 = 7;

fn lease(key: u8, state: u32) -> Lease {
    Lease {
        key: [key; 16],
        state: LeaseState(state),
        flags: LeaseFlags::empty(),
        duration: 0,
        v2: None,
    }
}

async fn create(
    c: &mut RawClient<DuplexStream>,
    name: &str,
    lease: Lease,
) -> Result<CreateResponse, NtStatus> {
    create_as(c, name, lease, CreateOptions::empty()).await
}

async fn create_as(
    c: &mut RawClient<DuplexStream>,
    name: &str,
    lease: Lease,
    options: CreateOptions,
) -> Result<CreateResponse, NtStatus> {
    let access = AccessMask::GENERIC_READ | AccessMask::GENERIC_WRITE | AccessMask::DELETE;
    let disposition = CreateDisposition::OPEN_IF;
    create_with(c, name, lease, (access, disposition), options).await
}

async fn create_with(
    c: &mut RawClient<DuplexStream>,
    name: &str,
    lease: Lease,
    (desired_access, disposition): (AccessMask, CreateDisposition),
    options: CreateOptions,
) -> Result<CreateResponse, NtStatus> {
    let name = name.to_owned();
    let msg = Msg::new(
        Command::CREATE,
        body(|o| {
            CreateRequest {
                oplock_level: OplockLevel::LEASE,
                desired_access,
                share_access: ShareAccess(7),
                disposition,
                options,
                name,
                contexts: vec![RequestContext::Lease(lease).to_raw()],
                ..CreateRequest::default()
            }
            .encode(o)
        }),
    );
    let m = c.call(msg).await.unwrap();
    match status_of(&m) {
        s if s.is_error() => Err(s),
        _ => Ok(CreateResponse::decode(&m).unwrap()),
    }
}

fn lease_state(r: &CreateResponse) -> u32 {
    r.contexts
        .iter()
        .find_map(|c| match ResponseContext::from_raw(c).unwrap() {
            ResponseContext::Lease(l) => Some(l.state.0),
            _ => None,
        })
        .expect("a lease context")
}

async fn rename(c: &mut RawClient<DuplexStream>, r: &CreateResponse, to: &str) -> NtStatus {
    let info = FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: to.into(),
    };
    let class = FileInfoClass::RENAME.0;
    set_info(c, r, (InfoType::FILE, class, 0), info.encode()).await
}

/// SET_INFO of `buffer` on `r`'s open, as (info type, class, additional information).
async fn set_info(
    c: &mut RawClient<DuplexStream>,
    r: &CreateResponse,
    (info_type, info_class, additional_information): (InfoType, u8, u32),
    buffer: Vec<u8>,
) -> NtStatus {
    let msg = Msg::new(
        Command::SET_INFO,
        body(|o| {
            SetInfoRequest {
                info_type,
                info_class,
                buffer,
                additional_information,
                file_id: r.file_id,
            }
            .encode(o)
        }),
    );
    status_of(&c.call(msg).await.unwrap())
}

/// A client of `h` at SMB 3.0.2, logged on as [`USER`] with `share` connected, and its
/// connection's task.
async fn logged_on(h: &Harness) -> (RawClient<DuplexStream>, impl Sized) {
    let (mut c, task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    c.tree_connect("share").await.unwrap();
    (c, task)
}

#[tokio::test]
async fn a_lease_follows_its_file_through_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let (mut c, _task) = logged_on(&h).await;

    let a = create(&mut c, "src.dat", lease(1, RWH)).await.unwrap();
    assert_eq!(lease_state(&a), RWH);
    // Before the rename the key names src.dat only.
    assert_eq!(
        create(&mut c, "other.dat", lease(1, RWH))
            .await
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(rename(&mut c, &a, "dst.dat").await, NtStatus::SUCCESS);
    // The same file under its new name: the same lease.
    let b = create(&mut c, "dst.dat", lease(1, 0)).await.unwrap();
    assert_eq!(lease_state(&b), RWH);
    c.close(b.file_id).await.unwrap();
    // The old name is another file now.
    assert_eq!(
        create(&mut c, "src.dat", lease(1, RWH)).await.unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    // And back again.
    assert_eq!(rename(&mut c, &a, "src.dat").await, NtStatus::SUCCESS);
    let b = create(&mut c, "SRC.dat", lease(1, 0)).await.unwrap();
    assert_eq!(lease_state(&b), RWH);
    c.close(b.file_id).await.unwrap();
    c.close(a.file_id).await.unwrap();
}

/// The SET_INFO renaming the open `r` to `to`.
fn rename_msg(r: &CreateResponse, to: &str) -> Msg {
    let info = FileRenameInformation {
        replace_if_exists: false,
        root_directory: 0,
        file_name: to.into(),
    };
    Msg::new(
        Command::SET_INFO,
        body(|o| {
            SetInfoRequest {
                info_type: InfoType::FILE,
                info_class: FileInfoClass::RENAME.0,
                buffer: info.encode(),
                additional_information: 0,
                file_id: r.file_id,
            }
            .encode(o)
        }),
    )
}

#[tokio::test]
async fn a_renames_lease_break_comes_before_the_answer_to_the_next_request() {
    // smbtorture's smb2.lease.rename_wait: the client sends a rename that breaks another
    // key's handle caching and, without waiting, another request; the break notification
    // must reach it before that request's answer (the I/O manager opens the rename's
    // target directory on a worker before the rename reaches the file system).
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let (mut c, _task) = logged_on(&h).await;
    const R: u32 = 1;
    const RH: u32 = 3;
    for round in 0..20 {
        let name = format!("f{round}.dat");
        // A reader holding RH: the renamer's open breaks nothing, its rename breaks H.
        let holder = Msg::new(
            Command::CREATE,
            body(|o| {
                CreateRequest {
                    oplock_level: OplockLevel::LEASE,
                    desired_access: AccessMask::GENERIC_READ,
                    share_access: ShareAccess(7),
                    disposition: CreateDisposition::OPEN_IF,
                    name: name.clone(),
                    contexts: vec![RequestContext::Lease(lease(1, RH)).to_raw()],
                    ..CreateRequest::default()
                }
                .encode(o)
            }),
        );
        let holder = CreateResponse::decode(&c.call_ok(holder).await.unwrap()).unwrap();
        assert_eq!(lease_state(&holder), RH);
        let renamer = Msg::new(
            Command::CREATE,
            body(|o| {
                CreateRequest {
                    oplock_level: OplockLevel::LEASE,
                    desired_access: AccessMask::GENERIC_READ | AccessMask::DELETE,
                    share_access: ShareAccess(7),
                    disposition: CreateDisposition::OPEN,
                    name: name.clone(),
                    contexts: vec![RequestContext::Lease(lease(2, R)).to_raw()],
                    ..CreateRequest::default()
                }
                .encode(o)
            }),
        );
        let renamer = CreateResponse::decode(&c.call_ok(renamer).await.unwrap()).unwrap();
        let to = format!("g{round}.dat");
        let rename_id = c.send(vec![rename_msg(&renamer, &to)]).await.unwrap()[0];
        let next = Msg::new(
            Command::CREATE,
            body(|o| {
                CreateRequest {
                    desired_access: AccessMask::GENERIC_READ,
                    share_access: ShareAccess(7),
                    disposition: CreateDisposition::OPEN_IF,
                    name: format!("other{round}.dat"),
                    ..CreateRequest::default()
                }
                .encode(o)
            }),
        );
        let next_id = c.send(vec![next]).await.unwrap()[0];
        let mut seen_break = None;
        let mut next_answer = None;
        while next_answer.is_none() {
            for m in c.recv(Duration::from_secs(10)).await.unwrap() {
                let hdr = Header::decode(&m).unwrap();
                if hdr.command == Command::OPLOCK_BREAK {
                    seen_break = Some(LeaseBreakNotification::decode(&m).unwrap());
                } else if hdr.message_id == next_id {
                    assert!(
                        seen_break.is_some(),
                        "round {round}: the next request was answered before the break"
                    );
                    next_answer = Some(CreateResponse::decode(&m).unwrap());
                }
            }
        }
        let b = seen_break.unwrap();
        assert_eq!((b.lease_key, b.new_lease_state.0), ([1; 16], R));
        let ack = lwio_smb2::oplock::LeaseBreakAck {
            flags: 0,
            lease_key: [1; 16],
            lease_state: LeaseState(R),
            lease_duration: 0,
        };
        let acked = c
            .call(Msg::new(Command::OPLOCK_BREAK, body(|o| ack.encode(o))))
            .await
            .unwrap();
        assert_eq!(status_of(&acked), NtStatus::SUCCESS);
        let renamed = c.response(rename_id).await.unwrap();
        assert_eq!(status_of(&renamed), NtStatus::SUCCESS, "round {round}");
        for id in [
            holder.file_id,
            renamer.file_id,
            next_answer.unwrap().file_id,
        ] {
            c.close(id).await.unwrap();
        }
    }
}

fn lease_v2(key: u8, state: u32, parent: Option<u8>) -> Lease {
    Lease {
        flags: if parent.is_some() {
            LeaseFlags::PARENT_LEASE_KEY_SET
        } else {
            LeaseFlags::empty()
        },
        v2: Some(LeaseV2 {
            parent_key: [parent.unwrap_or(0); 16],
            epoch: 0,
        }),
        ..lease(key, state)
    }
}

fn response_lease(r: &CreateResponse) -> Option<Lease> {
    r.contexts
        .iter()
        .find_map(|c| match ResponseContext::from_raw(c).unwrap() {
            ResponseContext::Lease(l) => Some(l),
            _ => None,
        })
}

/// The lease breaks `c` is sent within `wait`.
async fn breaks(c: &mut RawClient<DuplexStream>, wait: Duration) -> Vec<LeaseBreakNotification> {
    let mut msgs = c.take_unclaimed();
    while let Ok(more) = c.recv(wait).await {
        msgs.extend(more);
    }
    msgs.iter()
        .filter(|m| Header::decode(m).unwrap().command == Command::OPLOCK_BREAK)
        .map(|m| LeaseBreakNotification::decode(m).unwrap())
        .collect()
}

#[tokio::test]
async fn a_directory_lease_breaks_for_another_clients_entry_not_for_its_own() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let mut config = small_config(dir.path());
    config.settings.directory_leasing = true;
    let h = Harness::new(config).unwrap();
    let (mut a, _ta) = h.connect(None);
    let neg = a
        .negotiate_with(NegotiateRequest {
            capabilities: Capabilities::DIRECTORY_LEASING,
            client_guid: [1; 16],
            dialects: vec![Dialect::SMB_3_0_2],
            ..NegotiateRequest::default()
        })
        .await
        .unwrap();
    assert!(neg.capabilities.contains(Capabilities::DIRECTORY_LEASING));
    // A client that does not announce directory leasing is not told the server has it.
    let (mut quiet, _tq) = h.connect(None);
    let neg = quiet.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    assert!(!neg.capabilities.contains(Capabilities::DIRECTORY_LEASING));
    a.logon(USER.0, USER.1).await.unwrap();
    a.tree_connect("share").await.unwrap();
    let (mut b, _tb) = h.connect(None);
    b.negotiate_as(&[Dialect::SMB_3_0_2], [2; 16])
        .await
        .unwrap();
    b.logon(USER.0, USER.1).await.unwrap();
    b.tree_connect("share").await.unwrap();

    // RWH asked on a directory: RH granted, in a v2 context with its epoch.
    let d = create_as(
        &mut a,
        "d",
        lease_v2(1, RWH, None),
        CreateOptions::DIRECTORY_FILE,
    )
    .await
    .unwrap();
    assert_eq!(d.oplock_level, OplockLevel::LEASE);
    let granted = response_lease(&d).expect("a lease context");
    assert_eq!(granted.state.0, 3);
    assert_eq!(granted.v2.map(|v| v.epoch), Some(1));
    // The holder's own new entry, naming the directory's lease as parent: no break.
    let own = create(&mut a, "d\\mine.txt", lease_v2(2, RWH, Some(1)))
        .await
        .unwrap();
    let got = response_lease(&own).unwrap();
    assert!(got.flags.contains(LeaseFlags::PARENT_LEASE_KEY_SET));
    assert!(breaks(&mut a, Duration::from_millis(300)).await.is_empty());
    // Another client's new entry breaks the directory lease to none.
    let theirs = create(&mut b, "d\\theirs.txt", lease_v2(3, RWH, None))
        .await
        .unwrap();
    let got = breaks(&mut a, Duration::from_millis(500)).await;
    assert_eq!(got.len(), 1, "one break: {got:?}");
    assert_eq!(got[0].lease_key, [1; 16]);
    assert_eq!(
        (got[0].current_lease_state.0, got[0].new_lease_state.0),
        (3, 0)
    );
    b.close(theirs.file_id).await.unwrap();
    a.close(own.file_id).await.unwrap();
}

#[tokio::test]
async fn without_directory_leasing_a_directory_gets_no_lease() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let (mut a, _ta) = h.connect(None);
    let neg = a.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    assert!(!neg.capabilities.contains(Capabilities::DIRECTORY_LEASING));
    a.logon(USER.0, USER.1).await.unwrap();
    a.tree_connect("share").await.unwrap();
    let d = create_as(
        &mut a,
        "d",
        lease_v2(1, RWH, None),
        CreateOptions::DIRECTORY_FILE,
    )
    .await
    .unwrap();
    assert_eq!(d.oplock_level, OplockLevel::NONE);
    assert!(response_lease(&d).is_none());
}

/// A change of an entry of a leased directory, made over SMB2.
#[derive(Clone, Copy, Debug)]
enum EntryChange {
    /// A WRITE, then the CLOSE that sets the last write time.
    WriteThenClose,
    /// SET_INFO FileFullEaInformation.
    SetEa,
    /// SET_INFO of the security descriptor's DACL.
    SetSecurity,
    /// A CREATE that overwrites the file.
    Overwrite,
    /// SET_INFO FileLinkInformation: a hard link in the same directory.
    Link,
}

impl EntryChange {
    /// Makes the change to `d\<name>` through an open leased by `key`, naming `parent` as
    /// its parent directory's lease key; closes the open.
    async fn make(self, c: &mut RawClient<DuplexStream>, name: &str, key: u8, parent: Option<u8>) {
        use lwio_fscc::file_info::FileLinkInformation;
        use lwio_fscc::{EaEntry, FileFullEaInformation};
        let path = format!("d\\{name}");
        let disposition = match self {
            EntryChange::Overwrite => CreateDisposition::OVERWRITE,
            _ => CreateDisposition::OPEN,
        };
        let access = AccessMask::GENERIC_ALL;
        let lease = lease_v2(key, RWH, parent);
        let r = create_with(
            c,
            &path,
            lease,
            (access, disposition),
            CreateOptions::empty(),
        )
        .await
        .unwrap();
        let status = match self {
            EntryChange::WriteThenClose => {
                c.write(r.file_id, 0, b"new data").await.unwrap();
                NtStatus::SUCCESS
            }
            EntryChange::SetEa => {
                let eas = FileFullEaInformation {
                    entries: vec![EaEntry {
                        flags: 0,
                        name: b"USER.TAG".to_vec(),
                        value: name.as_bytes().to_vec(),
                    }],
                };
                let class = FileInfoClass::FULL_EA.0;
                set_info(c, &r, (InfoType::FILE, class, 0), eas.encode()).await
            }
            EntryChange::SetSecurity => {
                let sd: lwio_core::SecurityDescriptor = "D:(A;;FA;;;WD)".parse().unwrap();
                let dacl = lwio_core::SecurityInformation::DACL.0;
                set_info(c, &r, (InfoType::SECURITY, 0, dacl), sd.encode()).await
            }
            EntryChange::Overwrite => NtStatus::SUCCESS,
            EntryChange::Link => {
                let info = FileLinkInformation {
                    replace_if_exists: false,
                    root_directory: 0,
                    file_name: format!("{path}.link"),
                };
                let class = FileInfoClass::LINK.0;
                set_info(c, &r, (InfoType::FILE, class, 0), info.encode()).await
            }
        };
        assert_eq!(status, NtStatus::SUCCESS, "{self:?}");
        c.close(r.file_id).await.unwrap();
    }
}

/// Client A holds an RH lease on `d` and makes `change` to `d\mine.txt` through an open
/// naming that lease as its parent's: no break. Client B makes it to `d\theirs.txt`: A's
/// lease breaks to none (MS-SMB2 3.3.4.7, MS-FSA 2.1.4.12.2 with PARENT_OBJECT).
async fn own_entry_change_keeps_the_directory_lease(change: EntryChange) {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let mut config = small_config(dir.path());
    config.settings.directory_leasing = true;
    let h = Harness::new(config).unwrap();
    let mut clients = Vec::new();
    for guid in [1, 2] {
        let (mut c, task) = h.connect(None);
        c.negotiate_with(NegotiateRequest {
            capabilities: Capabilities::DIRECTORY_LEASING,
            client_guid: [guid; 16],
            dialects: vec![Dialect::SMB_3_0_2],
            ..NegotiateRequest::default()
        })
        .await
        .unwrap();
        c.logon(USER.0, USER.1).await.unwrap();
        c.tree_connect("share").await.unwrap();
        clients.push((c, task));
    }
    let [(mut a, _ta), (mut b, _tb)] = <[_; 2]>::try_from(clients).ok().unwrap();
    // The directory and its two files, made before the lease.
    let (all, make) = (AccessMask::GENERIC_ALL, CreateDisposition::CREATE);
    for (name, options) in [
        ("d", CreateOptions::DIRECTORY_FILE),
        ("d\\mine.txt", CreateOptions::empty()),
        ("d\\theirs.txt", CreateOptions::empty()),
    ] {
        let id = a.create(name, all, make, options).await.unwrap();
        a.close(id).await.unwrap();
    }
    // Opened for listing, as a client caching it does (a DELETE access would refuse the
    // link's target directory open its share, as on Windows).
    let list = (AccessMask::GENERIC_READ, CreateDisposition::OPEN);
    let lease = lease_v2(1, 3, None);
    let d = create_with(&mut a, "d", lease, list, CreateOptions::DIRECTORY_FILE)
        .await
        .unwrap();
    assert_eq!(response_lease(&d).unwrap().state.0, 3, "RH on d");

    change.make(&mut a, "mine.txt", 2, Some(1)).await;
    let got = breaks(&mut a, Duration::from_millis(300)).await;
    assert!(got.is_empty(), "{change:?} by the holder broke: {got:?}");

    change.make(&mut b, "theirs.txt", 3, None).await;
    let got = breaks(&mut a, Duration::from_millis(500)).await;
    assert_eq!(got.len(), 1, "{change:?} by another: {got:?}");
    assert_eq!(got[0].lease_key, [1; 16]);
    assert_eq!(
        (got[0].current_lease_state.0, got[0].new_lease_state.0),
        (3, 0)
    );
    a.close(d.file_id).await.unwrap();
}

#[tokio::test]
async fn the_holders_write_and_close_in_its_directory_keep_its_lease() {
    own_entry_change_keeps_the_directory_lease(EntryChange::WriteThenClose).await;
}

#[tokio::test]
async fn the_holders_ea_set_in_its_directory_keeps_its_lease() {
    own_entry_change_keeps_the_directory_lease(EntryChange::SetEa).await;
}

#[tokio::test]
async fn the_holders_security_set_in_its_directory_keeps_its_lease() {
    own_entry_change_keeps_the_directory_lease(EntryChange::SetSecurity).await;
}

#[tokio::test]
async fn the_holders_overwrite_in_its_directory_keeps_its_lease() {
    own_entry_change_keeps_the_directory_lease(EntryChange::Overwrite).await;
}

#[tokio::test]
async fn the_holders_hard_link_in_its_directory_keeps_its_lease() {
    own_entry_change_keeps_the_directory_lease(EntryChange::Link).await;
}
