#![allow(clippy::unwrap_used)]
//! Leases over SMB2 with the raw client (MS-SMB2 3.3.5.9.8, 3.3.5.9.11): a lease belongs
//! to its file, not to the name it was granted under, so it follows a rename (as Windows
//! answers smbtorture's smb2.lease.v2_rename); its key on another file is refused.

use lwio_core::{AccessMask, CreateDisposition, FileInfoClass, NtStatus, ShareAccess};
use lwio_fscc::file_info::FileRenameInformation;
use lwio_smb2::create_context::{Lease, LeaseFlags};
use lwio_smb2::oplock::LeaseState;
use lwio_smb2::{
    Command, CreateRequest, CreateResponse, Dialect, InfoType, OplockLevel, RequestContext,
    ResponseContext, SetInfoRequest,
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
    let name = name.to_owned();
    let msg = Msg::new(
        Command::CREATE,
        body(|o| {
            CreateRequest {
                oplock_level: OplockLevel::LEASE,
                desired_access: AccessMask::GENERIC_READ
                    | AccessMask::GENERIC_WRITE
                    | AccessMask::DELETE,
                share_access: ShareAccess(7),
                disposition: CreateDisposition::OPEN_IF,
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
    let msg = Msg::new(
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
    );
    status_of(&c.call(msg).await.unwrap())
}

#[tokio::test]
async fn a_lease_follows_its_file_through_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    open_to_everyone(dir.path()).unwrap();
    let h = Harness::new(small_config(dir.path())).unwrap();
    let (mut c, _task) = h.connect(None);
    c.negotiate(&[Dialect::SMB_3_0_2]).await.unwrap();
    c.logon(USER.0, USER.1).await.unwrap();
    c.tree_connect("share").await.unwrap();

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
