//! Renames and links open their target directory for the caller, through the whole device
//! stack, before the request reaches the driver (the manager's `link` module).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lwio_core::filter::{ReadOnlyFilter, ShareAclFilter};
use lwio_core::irp::{LinkTarget, TARGET_EXISTS, TargetFlags};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition, CreateOptions, CreateRequest, Dispatched, Driver,
    FileHandle, FileInfoClass, IoManager, Irp, IrpRequest, IrpResult, NtStatus, PendingIrp,
    SecurityDescriptor, ShareAccess, block_on,
};
use parking_lot::Mutex;

/// What a driver saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// An open-target-directory create: path, desired access, share access.
    TargetOpen(String, AccessMask, ShareAccess),
    /// A set-information: class, and the path of the target directory's context, if any.
    Set(FileInfoClass, Option<String>),
    /// A close, by path.
    Close(String),
}

/// A driver that records what it sees. Its target-directory opens are refused for paths
/// under `denied/`, and held pending while `hold` is set.
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    targets: bool,
    hold: Mutex<bool>,
    held: Mutex<Vec<PendingIrp<Recorder>>>,
}

struct Ctx {
    path: String,
}

impl Recorder {
    fn new(targets: bool) -> Arc<Recorder> {
        Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            targets,
            hold: Mutex::new(false),
            held: Mutex::new(Vec::new()),
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().clone()
    }

    fn sets(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| matches!(s, Seen::Set(..)))
            .count()
    }
}

impl Driver for Recorder {
    type Device = ();
    type File = Ctx;

    fn name(&self) -> &str {
        "recorder"
    }

    fn opens_target_directories(&self) -> bool {
        self.targets
    }

    fn dispatch(&self, _: &(), irp: Irp<'_, Self>) -> Dispatched {
        let path = irp.file().path().to_owned();
        match irp.request() {
            IrpRequest::Create(c) if c.open_target_directory => {
                self.seen.lock().push(Seen::TargetOpen(
                    path.clone(),
                    c.desired_access,
                    c.share_access,
                ));
                if path.starts_with("denied/") {
                    return irp.complete(NtStatus::ACCESS_DENIED);
                }
                let _ = irp.set_file_context(Ctx { path });
                irp.mark_directory();
                if *self.hold.lock() {
                    // Held without a cancel routine: it completes when the test says.
                    let (pending, dispatched) = irp.pend();
                    self.held.lock().push(pending);
                    return dispatched;
                }
                irp.complete_result(IrpResult {
                    status: NtStatus::SUCCESS,
                    information: TARGET_EXISTS,
                    output: Vec::new(),
                })
            }
            IrpRequest::Create(c) => {
                if c.options.contains(CreateOptions::DIRECTORY_FILE) {
                    irp.mark_directory();
                }
                let _ = irp.set_file_context(Ctx { path });
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::SetInformation(s) => {
                let target = irp.target_file_context().map(|c| c.path.clone());
                self.seen.lock().push(Seen::Set(s.class, target));
                irp.complete(NtStatus::SUCCESS)
            }
            IrpRequest::Close => {
                self.seen.lock().push(Seen::Close(path));
                irp.complete(NtStatus::SUCCESS)
            }
            _ => irp.complete(NtStatus::INVALID_DEVICE_REQUEST),
        }
    }
}

fn system() -> Arc<AccessToken> {
    Arc::new(AccessToken::system())
}

fn mount(targets: bool) -> (IoManager, Arc<Recorder>) {
    let io = IoManager::new();
    let driver = Recorder::new(targets);
    io.add_device("d", Arc::clone(&driver), ()).unwrap();
    (io, driver)
}

fn open(io: &IoManager, path: &str, access: AccessMask, options: CreateOptions) -> FileHandle {
    let req = CreateRequest::new(system(), access, CreateDisposition::OPEN_IF)
        .options(options)
        .share(ShareAccess::ALL);
    block_on(io.create_file(path, req)).unwrap()
}

fn target(name: &str, root: u64) -> LinkTarget {
    LinkTarget {
        flags: TargetFlags::empty(),
        root_directory: root,
        file_name: name.to_owned(),
    }
}

fn set(h: &FileHandle, class: FileInfoClass, t: &LinkTarget) -> NtStatus {
    block_on(
        h.call(IrpRequest::SetInformation(lwio_core::irp::SetInfoRequest {
            class,
            data: t.encode(class).into(),
        })),
    )
    .status
}

/// An open-target-directory create, as the manager makes one.
fn target_open() -> CreateRequest {
    let mut req = CreateRequest::new(system(), ADD_FILE, CreateDisposition::OPEN);
    req.open_target_directory = true;
    req
}

/// A rename of `h` to `b`, sent and not awaited.
fn start_rename(h: &FileHandle) -> lwio_core::IrpFuture {
    let t = target("b", 0);
    h.call(IrpRequest::SetInformation(lwio_core::irp::SetInfoRequest {
        class: FileInfoClass::RENAME,
        data: t.encode(FileInfoClass::RENAME).into(),
    }))
}

const ADD_FILE: AccessMask = AccessMask(AccessMask::FILE_ADD_FILE.0 | AccessMask::SYNCHRONIZE.0);
const SHARE_RW: ShareAccess = ShareAccess(ShareAccess::READ.0 | ShareAccess::WRITE.0);

#[test]
fn a_rename_opens_its_target_directory_first_and_closes_it_after() {
    let (io, driver) = mount(true);
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("\\sub\\b", 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(
        driver.seen(),
        vec![
            Seen::TargetOpen("sub/b".into(), ADD_FILE, SHARE_RW),
            Seen::Set(FileInfoClass::RENAME, Some("sub/b".into())),
            Seen::Close("sub/b".into()),
        ]
    );
    // Only the source is left open.
    assert_eq!(io.rundown().files.len(), 1);
}

#[test]
fn a_directory_asks_for_add_subdirectory_and_links_need_write_attributes() {
    let (io, driver) = mount(true);
    let d = open(
        &io,
        "/d/dir",
        AccessMask::DELETE,
        CreateOptions::DIRECTORY_FILE,
    );
    assert!(d.file().is_directory());
    assert_eq!(
        set(&d, FileInfoClass::RENAME_EX, &target("x", 0)),
        NtStatus::SUCCESS
    );
    let sub = AccessMask::FILE_ADD_SUBDIRECTORY | AccessMask::SYNCHRONIZE;
    assert_eq!(
        driver.seen()[0],
        Seen::TargetOpen("x".into(), sub, SHARE_RW)
    );

    let f = open(
        &io,
        "/d/f",
        AccessMask::FILE_WRITE_ATTRIBUTES,
        CreateOptions::empty(),
    );
    for class in [FileInfoClass::LINK, FileInfoClass::LINK_EX] {
        assert_eq!(set(&f, class, &target("l", 0)), NtStatus::SUCCESS);
    }
    assert_eq!(driver.sets(), 3);
}

#[test]
fn the_source_handle_is_checked_before_anything_is_opened() {
    let (io, driver) = mount(true);
    let read_only = open(
        &io,
        "/d/a",
        AccessMask::FILE_GENERIC_READ
            | AccessMask::FILE_GENERIC_WRITE.without(AccessMask::FILE_WRITE_ATTRIBUTES),
        CreateOptions::empty(),
    );
    for class in [FileInfoClass::RENAME, FileInfoClass::RENAME_EX] {
        assert_eq!(
            set(&read_only, class, &target("b", 0)),
            NtStatus::ACCESS_DENIED
        );
    }
    for class in [FileInfoClass::LINK, FileInfoClass::LINK_EX] {
        assert_eq!(
            set(&read_only, class, &target("b", 0)),
            NtStatus::ACCESS_DENIED
        );
    }
    assert!(driver.seen().is_empty());
}

#[test]
fn a_refused_target_directory_is_the_status_and_the_driver_sees_no_rename() {
    let (io, driver) = mount(true);
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("denied/b", 0)),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(driver.sets(), 0);
    // A malformed buffer is refused before any open.
    let short = IrpRequest::SetInformation(lwio_core::irp::SetInfoRequest {
        class: FileInfoClass::RENAME,
        data: vec![0u8; 10].into(),
    });
    assert_eq!(
        block_on(h.call(short)).status,
        NtStatus::INFO_LENGTH_MISMATCH
    );
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("\\", 0)),
        NtStatus::OBJECT_NAME_INVALID
    );
    assert_eq!(driver.seen().len(), 1);
    assert_eq!(io.rundown().files.len(), 1);
}

#[test]
fn share_permissions_apply_to_the_target_directory() {
    let (io, driver) = mount(true);
    // The share lets everyone read and delete, but not add files.
    let sd: SecurityDescriptor = "D:(A;;0x1300a9;;;WD)".parse().unwrap();
    io.attach_filter("d", Arc::new(ShareAclFilter), sd).unwrap();
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", 0)),
        NtStatus::ACCESS_DENIED
    );
    // The filter refused the open: the driver saw neither it nor the rename.
    assert!(driver.seen().is_empty());

    let (io, driver) = mount(true);
    let sd: SecurityDescriptor = "D:(A;;0x1300ab;;;WD)".parse().unwrap();
    io.attach_filter("d", Arc::new(ShareAclFilter), sd).unwrap();
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(driver.sets(), 1);
}

#[test]
fn a_read_only_device_refuses_the_target_directory_and_the_rights_a_rename_needs() {
    let (io, driver) = mount(true);
    io.attach_filter("d", Arc::new(ReadOnlyFilter), ()).unwrap();
    let req = target_open();
    assert_eq!(
        block_on(io.create_file("/d/x/y", req)).err(),
        Some(NtStatus::MEDIA_WRITE_PROTECTED)
    );
    let h = open(
        &io,
        "/d/a",
        AccessMask::MAXIMUM_ALLOWED,
        CreateOptions::empty(),
    );
    assert!(!h.file().granted_access().contains(AccessMask::DELETE));
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", 0)),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(
        set(&h, FileInfoClass::LINK, &target("b", 0)),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(driver.sets(), 0);
}

#[test]
fn a_root_directory_on_another_device_is_not_the_same_device() {
    let (io, driver) = mount(true);
    io.add_device("other", Recorder::new(true), ()).unwrap();
    let there = open(
        &io,
        "/other/dir",
        AccessMask::FILE_LIST_DIRECTORY,
        CreateOptions::DIRECTORY_FILE,
    );
    let here = open(
        &io,
        "/d/dir",
        AccessMask::FILE_LIST_DIRECTORY,
        CreateOptions::DIRECTORY_FILE,
    );
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", there.file().id())),
        NtStatus::NOT_SAME_DEVICE
    );
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", u64::MAX)),
        NtStatus::INVALID_HANDLE
    );
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("\\b", here.file().id())),
        NtStatus::OBJECT_NAME_INVALID
    );
    assert!(driver.seen().is_empty());
    // Relative to a directory of the same device.
    assert_eq!(
        set(
            &h,
            FileInfoClass::RENAME,
            &target("sub\\b", here.file().id())
        ),
        NtStatus::SUCCESS
    );
    assert_eq!(
        driver.seen()[0],
        Seen::TargetOpen("dir/sub/b".into(), ADD_FILE, SHARE_RW)
    );
}

#[test]
fn without_target_support_or_for_a_stream_the_request_goes_down_alone() {
    let (io, driver) = mount(false);
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target("b", 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(driver.seen(), vec![Seen::Set(FileInfoClass::RENAME, None)]);
    let req = target_open();
    assert_eq!(
        block_on(io.create_file("/d/x/y", req)).err(),
        Some(NtStatus::INVALID_PARAMETER)
    );

    let (io, driver) = mount(true);
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    assert_eq!(
        set(&h, FileInfoClass::RENAME, &target(":s", 0)),
        NtStatus::SUCCESS
    );
    assert_eq!(driver.seen(), vec![Seen::Set(FileInfoClass::RENAME, None)]);
}

#[test]
fn a_pending_target_open_continues_when_it_completes() {
    let (io, driver) = mount(true);
    *driver.hold.lock() = true;
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    let fut = start_rename(&h);
    assert!(fut.is_pending());
    assert_eq!(h.file().pending_count(), 1);
    assert_eq!(driver.sets(), 0);
    let create = driver.held.lock().pop().unwrap();
    create.complete(NtStatus::SUCCESS);
    assert_eq!(block_on(fut).status, NtStatus::SUCCESS);
    assert_eq!(driver.sets(), 1);
    assert_eq!(h.file().pending_count(), 0);
    assert!(driver.seen().contains(&Seen::Close("b".into())));
    assert_eq!(io.rundown().files.len(), 1);
}

#[test]
fn a_cancelled_rename_closes_a_target_opened_late_and_never_renames() {
    let (io, driver) = mount(true);
    *driver.hold.lock() = true;
    let h = open(&io, "/d/a", AccessMask::DELETE, CreateOptions::empty());
    let fut = start_rename(&h);
    let canceller = fut.canceller().unwrap();
    canceller.cancel();
    // The driver armed no cancel routine: its create completes, successfully, later.
    let create = driver.held.lock().pop().unwrap();
    create.complete(NtStatus::SUCCESS);
    assert_eq!(block_on(fut).status, NtStatus::CANCELLED);
    assert_eq!(driver.sets(), 0);
    assert!(driver.seen().contains(&Seen::Close("b".into())));
    assert_eq!(io.rundown().files.len(), 1);
    assert_eq!(io.rundown().pending_irps, 0);
}
