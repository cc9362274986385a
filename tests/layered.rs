//! Filter drivers over memfs: the shipped read-only filter, and an auditing filter that
//! sees every result on the way back up, whether the device below completes at once or
//! later on its worker thread; and the share-permission filter.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio::core::filter::{ReadOnlyFilter, ShareAclFilter};
use lwio::core::{Dispatched, FileInfoClass, Irp, IrpType};
use lwio::memfs::{MemFs, Volume};
use lwio::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, Driver, IoManager,
    NtStatus, block_on,
};
use parking_lot::Mutex;

fn token() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

fn req(access: AccessMask, disposition: CreateDisposition) -> CreateRequest {
    CreateRequest::new(token(), access, disposition)
}

const RW: AccessMask = AccessMask(AccessMask::GENERIC_READ.0 | AccessMask::GENERIC_WRITE.0);

/// Records (type, status) of every IRP it passes down, from its completion routine.
#[derive(Default)]
struct Audit {
    log: Arc<Mutex<Vec<(IrpType, NtStatus)>>>,
}

impl Driver for Audit {
    type Device = ();
    type File = ();
    fn name(&self) -> &str {
        "audit"
    }
    fn dispatch(&self, _: &(), mut irp: Irp<'_, Self>) -> Dispatched {
        let kind = irp.request().irp_type();
        let log = Arc::clone(&self.log);
        irp.on_complete(move |result| log.lock().push((kind, result.status)));
        irp.pass_down()
    }
}

#[test]
fn read_only_filter_refuses_changes_and_trims_maximum_allowed() {
    let io = IoManager::new();
    let volume = Volume::new();
    io.add_device("mem", Arc::new(MemFs::new()), volume.clone())
        .unwrap();
    // Seed a file before the filter goes on.
    let f = block_on(io.create_file("/mem/seed.txt", req(RW, CreateDisposition::CREATE))).unwrap();
    block_on(f.write(0, &b"seed"[..])).unwrap();
    drop(f);

    io.attach_filter("mem", Arc::new(ReadOnlyFilter), ())
        .unwrap();
    assert_eq!(
        io.devices()[0].1,
        vec!["memfs".to_string(), "readonly".to_string()]
    );
    let wp = Err(NtStatus::MEDIA_WRITE_PROTECTED);
    let open =
        |path: &str, access, disp| block_on(io.create_file(path, req(access, disp))).map(|_| ());
    assert_eq!(open("/mem/new.txt", RW, CreateDisposition::CREATE), wp);
    assert_eq!(
        open(
            "/mem/seed.txt",
            AccessMask::GENERIC_WRITE,
            CreateDisposition::OPEN
        ),
        wp
    );
    assert_eq!(
        open(
            "/mem/seed.txt",
            AccessMask::GENERIC_READ,
            CreateDisposition::OVERWRITE_IF
        ),
        wp
    );
    // OPEN_IF of a missing file would create it: refused on the way back up.
    assert_eq!(
        open(
            "/mem/absent.txt",
            AccessMask::GENERIC_READ,
            CreateDisposition::OPEN_IF
        ),
        wp
    );
    assert!(volume.lookup("absent.txt").is_none());
    // Delete-on-close is a change too.
    let doc = req(AccessMask::GENERIC_READ, CreateDisposition::OPEN)
        .options(CreateOptions::DELETE_ON_CLOSE);
    assert_eq!(
        block_on(io.create_file("/mem/seed.txt", doc)).map(|_| ()),
        wp
    );

    let ro = block_on(io.create_file(
        "/mem/seed.txt",
        req(AccessMask::MAXIMUM_ALLOWED, CreateDisposition::OPEN_IF),
    ))
    .unwrap();
    let granted = ro.file().granted_access();
    assert!(granted.contains(AccessMask::FILE_READ_DATA));
    assert!(!granted.intersects(AccessMask::FILE_WRITE_DATA | AccessMask::DELETE));
    assert_eq!(block_on(ro.read(0, 10)).unwrap(), b"seed");
    assert_eq!(
        block_on(ro.write(0, &b"x"[..])),
        Err(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn share_acl_filter_checks_the_share_descriptor_and_caps_grants() {
    let io = IoManager::new();
    io.add_device("mem", Arc::new(MemFs::new()), Volume::new())
        .unwrap();
    let alice: lwio::core::Sid = "S-1-5-21-1-2-1001".parse().unwrap();
    let bob: lwio::core::Sid = "S-1-5-21-1-2-1002".parse().unwrap();
    let carol: lwio::core::Sid = "S-1-5-21-1-2-1003".parse().unwrap();
    // Alice may read through the share, Bob may do anything, Carol is not listed.
    let sd: lwio::core::SecurityDescriptor =
        "D:(A;;0x1200a9;;;S-1-5-21-1-2-1001)(A;;FA;;;S-1-5-21-1-2-1002)"
            .parse()
            .unwrap();
    let tok = |sid: &lwio::core::Sid| Arc::new(AccessToken::new(*sid));
    assert!(ShareAclFilter::maximal_access(&sd, &tok(&carol)).is_empty());
    assert_eq!(
        ShareAclFilter::maximal_access(&sd, &tok(&alice)),
        AccessMask(0x1200a9)
    );
    io.attach_filter("mem", Arc::new(ShareAclFilter), sd)
        .unwrap();

    let open = |sid: &lwio::core::Sid, access, disp| {
        block_on(io.create_file("/mem/f.txt", CreateRequest::new(tok(sid), access, disp)))
    };
    let bobs = open(&bob, RW, CreateDisposition::CREATE).unwrap();
    assert!(
        bobs.file()
            .granted_access()
            .contains(AccessMask::FILE_WRITE_DATA)
    );
    block_on(bobs.write(0, &b"data"[..])).unwrap();
    drop(bobs);

    let denied = Err(NtStatus::ACCESS_DENIED);
    assert_eq!(
        open(&alice, AccessMask::GENERIC_WRITE, CreateDisposition::OPEN).map(|_| ()),
        denied
    );
    assert_eq!(
        open(&carol, AccessMask::GENERIC_READ, CreateDisposition::OPEN).map(|_| ()),
        denied
    );
    // MAXIMUM_ALLOWED opens, capped at the share's read rights.
    let ro = open(&alice, AccessMask::MAXIMUM_ALLOWED, CreateDisposition::OPEN).unwrap();
    let granted = ro.file().granted_access();
    assert!(granted.contains(AccessMask::FILE_READ_DATA));
    assert!(!granted.intersects(AccessMask::FILE_WRITE_DATA | AccessMask::DELETE));
    assert_eq!(block_on(ro.read(0, 10)).unwrap(), b"data");
    assert_eq!(
        block_on(ro.write(0, &b"x"[..])),
        Err(NtStatus::ACCESS_DENIED)
    );
    // MAXIMUM_ALLOWED plus a right the share does not give is refused.
    let mixed = AccessMask(AccessMask::MAXIMUM_ALLOWED.0 | AccessMask::DELETE.0);
    assert_eq!(
        open(&alice, mixed, CreateDisposition::OPEN).map(|_| ()),
        denied
    );
    // Privileges do not widen share permissions.
    let mut privileged = AccessToken::new(alice);
    privileged.privileges =
        lwio::core::security::Privileges::NONE.with(lwio::core::security::Privilege::TakeOwnership);
    assert!(
        !ShareAclFilter::maximal_access(
            &"D:(A;;0x1200a9;;;S-1-5-21-1-2-1001)".parse().unwrap(),
            &privileged
        )
        .intersects(AccessMask::WRITE_OWNER)
    );
}

#[test]
fn audit_filter_sees_results_of_immediate_and_deferred_completion() {
    for deferred in [false, true] {
        let io = IoManager::new();
        let fs = if deferred {
            MemFs::with_worker()
        } else {
            MemFs::new()
        };
        io.add_device("mem", Arc::new(fs), Volume::new()).unwrap();
        let audit = Arc::new(Audit::default());
        io.attach_filter("mem", Arc::clone(&audit), ()).unwrap();

        let f = block_on(io.create_file("/mem/a", req(RW, CreateDisposition::CREATE))).unwrap();
        let w = f.write(0, &b"hello"[..]);
        assert_eq!(block_on(w), Ok(5));
        assert_eq!(block_on(f.read(0, 10)).unwrap(), b"hello");
        assert_eq!(block_on(f.read(10, 10)), Err(NtStatus::END_OF_FILE));
        let info = block_on(f.query_information(FileInfoClass::STANDARD, 24)).unwrap();
        assert_eq!(&info[8..16], &5u64.to_le_bytes());
        drop(f);
        block_on(io.shutdown());
        let log = audit.log.lock().clone();
        assert_eq!(
            log,
            vec![
                (IrpType::Create, NtStatus::SUCCESS),
                (IrpType::Write, NtStatus::SUCCESS),
                (IrpType::Read, NtStatus::SUCCESS),
                (IrpType::Read, NtStatus::END_OF_FILE),
                (IrpType::QueryInformation, NtStatus::SUCCESS),
                (IrpType::Close, NtStatus::SUCCESS),
            ],
            "deferred = {deferred}"
        );
        assert!(io.rundown().is_empty());
    }
}

#[test]
fn files_opened_before_a_filter_keep_their_stack() {
    let io = IoManager::new();
    io.add_device("mem", Arc::new(MemFs::new()), Volume::new())
        .unwrap();
    let before = block_on(io.create_file("/mem/a", req(RW, CreateDisposition::CREATE))).unwrap();
    io.attach_filter("mem", Arc::new(ReadOnlyFilter), ())
        .unwrap();
    assert_eq!(block_on(before.write(0, &b"ok"[..])), Ok(2));
    let after = block_on(io.create_file(
        "/mem/a",
        req(AccessMask::GENERIC_READ, CreateDisposition::OPEN),
    ))
    .unwrap();
    assert_eq!(block_on(after.read(0, 2)).unwrap(), b"ok");
}

#[test]
fn worker_irps_are_cancelled_at_shutdown_or_complete() {
    // Many reads queued on the worker, then shutdown: every one completes, with data or
    // STATUS_CANCELLED, and nothing stays pending.
    let io = IoManager::new();
    io.add_device("mem", Arc::new(MemFs::with_worker()), Volume::new())
        .unwrap();
    let f = block_on(io.create_file("/mem/a", req(RW, CreateDisposition::CREATE))).unwrap();
    block_on(f.write(0, vec![7u8; 100])).unwrap();
    let futures: Vec<_> = (0..200)
        .map(|_| {
            f.call(lwio::core::IrpRequest::Read(lwio::core::irp::ReadRequest {
                offset: 0,
                length: 100,
                key: None,
            }))
        })
        .collect();
    block_on(io.shutdown());
    for fut in futures {
        let r = fut.wait();
        assert!(
            matches!(r.status, NtStatus::SUCCESS | NtStatus::CANCELLED),
            "{}",
            r.status
        );
    }
    drop(f);
    assert!(io.rundown().is_empty());
}
