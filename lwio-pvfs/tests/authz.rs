//! Two accounts against each other at the IRP level: every attack a hostile user could try
//! on the other's files through PVFS, each refused with the status Windows gives and the
//! file shown untouched (MS-FSA 2.1.5.1, 2.1.5.15, 2.1.5.16; MS-SMB2 3.3.5.9).
//!
//! The share root is set up as a Windows volume root is: SYSTEM and CREATOR OWNER have full
//! control, Authenticated Users may list, traverse and add files and directories but not
//! delete others' (no FILE_DELETE_CHILD). So each account's files are its own.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use common::*;
use lwio_core::filter::ShareAclFilter;
use lwio_core::irp::{LinkTarget, TargetFlags};
use lwio_core::security::{GroupAttributes, Privilege, Privileges, UnixIdentity, well_known};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition as D, CreateOptions, CreateRequest, FileAttributes,
    FileHandle, FileInfoClass, NtStatus, SecurityDescriptor, SecurityInformation as SI,
    ShareAccess, Sid, block_on,
};
use lwio_fscc::{
    EaEntry, FileAllocationInformation, FileBasicInformation, FileDispositionInformationEx,
    FileEndOfFileInformation, FileFullEaInformation, FileTime,
};

const ALICE: u32 = 1000;
const BOB: u32 = 1001;
const ALICE_UID: u32 = 70_000;
const BOB_UID: u32 = 70_001;

fn sid(rid: u32) -> Sid {
    format!("S-1-5-21-1-2-3-{rid}").parse().unwrap()
}

/// An account's token, shaped as lwiod's accounts are.
fn account(rid: u32, uid: u32) -> Arc<AccessToken> {
    Arc::new(
        AccessToken::new(sid(rid))
            .with_groups([
                sid(513),
                well_known::WORLD,
                well_known::AUTHENTICATED_USERS,
                well_known::NETWORK,
                well_known::BUILTIN_USERS,
                well_known::unix_user(uid),
                well_known::unix_group(uid),
            ])
            .with_privileges(Privileges::NONE.with(Privilege::ChangeNotify))
            .with_unix(UnixIdentity {
                uid,
                gid: uid,
                groups: vec![uid],
            })
            .with_primary_group(sid(513)),
    )
}

struct World {
    s: Share,
    alice: Arc<AccessToken>,
    bob: Arc<AccessToken>,
}

/// The volume-root DACL of the module docs.
const ROOT_SD: &str = "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)(A;;0x1200af;;;AU)";

fn world() -> World {
    let s = Share::new();
    let root = s
        .open(
            "",
            req(AccessMask::WRITE_DAC | AccessMask::WRITE_OWNER, D::OPEN),
        )
        .unwrap();
    set_sd(&root, SI(0x5), ROOT_SD).unwrap();
    World {
        s,
        alice: account(ALICE, ALICE_UID),
        bob: account(BOB, BOB_UID),
    }
}

fn set_sd(h: &FileHandle, info: SI, sddl: &str) -> Result<(), NtStatus> {
    let sd: SecurityDescriptor = sddl
        .replace("ALICE", &sid(ALICE).to_string())
        .parse()
        .unwrap();
    block_on(h.set_security(info, sd.encode()))
}

fn as_(who: &Arc<AccessToken>, access: AccessMask, disp: D) -> CreateRequest {
    CreateRequest::new(Arc::clone(who), access, disp).share(ShareAccess::ALL)
}

impl World {
    fn open(
        &self,
        who: &Arc<AccessToken>,
        path: &str,
        access: AccessMask,
        disp: D,
    ) -> Result<FileHandle, NtStatus> {
        self.s.open(path, as_(who, access, disp))
    }

    /// A file of alice's with `data`, which everyone may read (and no more).
    fn alices_readable(&self, path: &str, data: &[u8]) {
        let h = self.open(&self.alice, path, ALL, D::CREATE).unwrap();
        block_on(h.write(0, data.to_vec())).unwrap();
        set_sd(&h, SI(0x4), "D:P(A;;FA;;;ALICE)(A;;FA;;;SY)(A;;FR;;;WD)").unwrap();
    }

    fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.s.path(path)).unwrap()
    }

    fn exists(&self, path: &str) -> bool {
        self.s.path(path).exists()
    }
}

fn move_to(h: &FileHandle, class: FileInfoClass, to: &str, flags: TargetFlags) -> NtStatus {
    let t = LinkTarget {
        flags,
        root_directory: 0,
        file_name: to.to_owned(),
    };
    set_info_call(h, class, t.encode(class)).status
}

const REPLACE: TargetFlags = TargetFlags::REPLACE_IF_EXISTS;
const TARGET_CLASSES: [FileInfoClass; 4] = [
    FileInfoClass::RENAME,
    FileInfoClass::RENAME_EX,
    FileInfoClass::LINK,
    FileInfoClass::LINK_EX,
];

#[test]
fn renaming_or_linking_over_a_file_the_caller_may_only_read_is_refused() {
    let w = world();
    w.alices_readable("victim.txt", b"alice's");
    let mine = w.open(&w.bob, "evil.txt", ALL, D::CREATE).unwrap();
    block_on(mine.write(0, b"bob's".to_vec())).unwrap();
    // Bob may read alice's file...
    assert!(
        w.open(&w.bob, "victim.txt", AccessMask::GENERIC_READ, D::OPEN)
            .is_ok()
    );
    // ...but not replace it, whatever the form of the request.
    for class in TARGET_CLASSES {
        assert_eq!(
            move_to(&mine, class, "VICTIM.TXT", REPLACE),
            NtStatus::ACCESS_DENIED,
            "{class:?}"
        );
        assert_eq!(
            move_to(&mine, class, "victim.txt", REPLACE),
            NtStatus::ACCESS_DENIED,
            "{class:?}"
        );
        // Without ReplaceIfExists it is a name collision, as always.
        assert_eq!(
            move_to(&mine, class, "victim.txt", TargetFlags::empty()),
            NtStatus::OBJECT_NAME_COLLISION
        );
    }
    assert_eq!(w.read("victim.txt"), b"alice's");
    assert_eq!(w.read("evil.txt"), b"bob's");
    // Nor delete it outright.
    assert_eq!(
        w.open(&w.bob, "victim.txt", AccessMask::DELETE, D::OPEN)
            .err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn a_directory_the_caller_may_not_add_to_takes_no_rename_or_link() {
    let w = world();
    let d =
        w.s.open("private", as_(&w.alice, ALL, D::CREATE).options(DIR))
            .unwrap();
    // Everyone may list and traverse alice's directory; only she may add to it.
    set_sd(&d, SI(0x4), "D:P(A;OICI;FA;;;ALICE)(A;;0x1200a9;;;WD)").unwrap();
    drop(d);
    let mine = w.open(&w.bob, "mine.txt", ALL, D::CREATE).unwrap();
    for class in TARGET_CLASSES {
        assert_eq!(
            move_to(&mine, class, "private\\planted.txt", TargetFlags::empty()),
            NtStatus::ACCESS_DENIED
        );
    }
    // A directory asks FILE_ADD_SUBDIRECTORY.
    let sub =
        w.s.open("bobs", as_(&w.bob, ALL, D::CREATE).options(DIR))
            .unwrap();
    assert_eq!(
        move_to(
            &sub,
            FileInfoClass::RENAME,
            "private\\bobs",
            TargetFlags::empty()
        ),
        NtStatus::ACCESS_DENIED
    );
    assert!(!w.exists("private/planted.txt") && !w.exists("private/bobs"));
    assert!(w.exists("mine.txt") && w.exists("bobs"));
    // Alice herself may.
    let hers = w.open(&w.alice, "hers.txt", ALL, D::CREATE).unwrap();
    assert_eq!(
        move_to(
            &hers,
            FileInfoClass::RENAME,
            "private\\hers.txt",
            TargetFlags::empty()
        ),
        NtStatus::SUCCESS
    );
    assert!(w.exists("private/hers.txt"));
}

#[test]
fn an_open_file_a_directory_and_a_read_only_file_are_never_replaced() {
    let w = world();
    for (name, data) in [("a", b"a"), ("open", b"o"), ("ro", b"r")] {
        let h = w.open(&w.alice, name, ALL, D::CREATE).unwrap();
        block_on(h.write(0, data.to_vec())).unwrap();
    }
    drop(
        w.s.open("dir", as_(&w.alice, ALL, D::CREATE).options(DIR))
            .unwrap(),
    );
    let ro = w
        .open(&w.alice, "ro", AccessMask::FILE_WRITE_ATTRIBUTES, D::OPEN)
        .unwrap();
    let basic = FileBasicInformation {
        file_attributes: FileAttributes::READONLY,
        ..Default::default()
    };
    set_info(&ro, FileInfoClass::BASIC, basic.encode()).unwrap();
    drop(ro);
    let a = w.open(&w.alice, "a", ALL, D::OPEN).unwrap();
    let held = w
        .open(&w.alice, "open", AccessMask::GENERIC_READ, D::OPEN)
        .unwrap();
    for class in TARGET_CLASSES {
        assert_eq!(
            move_to(&a, class, "open", REPLACE),
            NtStatus::ACCESS_DENIED,
            "{class:?} over an open file"
        );
        assert_eq!(
            move_to(&a, class, "dir", REPLACE),
            NtStatus::ACCESS_DENIED,
            "{class:?} over a directory"
        );
        assert_eq!(
            move_to(&a, class, "ro", REPLACE),
            NtStatus::ACCESS_DENIED,
            "{class:?} over a read-only file"
        );
    }
    assert_eq!(w.read("open"), b"o");
    assert_eq!(w.read("ro"), b"r");
    assert!(w.s.path("dir").is_dir());
    drop(held);
    // The Ex form may ask to ignore the read-only attribute.
    let ignore = REPLACE | TargetFlags::IGNORE_READONLY_ATTRIBUTE;
    assert_eq!(
        move_to(&a, FileInfoClass::RENAME_EX, "ro", ignore),
        NtStatus::SUCCESS
    );
    assert_eq!(w.read("ro"), b"a");
    // Once closed, a file may be replaced by its owner.
    assert_eq!(
        move_to(&a, FileInfoClass::RENAME, "open", REPLACE),
        NtStatus::SUCCESS
    );
    assert_eq!(w.read("open"), b"a");
}

#[test]
fn delete_child_on_the_directory_lets_a_caller_replace_what_it_may_not_delete() {
    let w = world();
    let d =
        w.s.open("shared", req(ALL, D::CREATE).options(DIR))
            .unwrap();
    // Authenticated users have full control of the directory (delete-child included),
    // but the file in it only lets them read.
    set_sd(&d, SI(0x4), "D:P(A;;FA;;;AU)(A;;FA;;;SY)").unwrap();
    drop(d);
    w.alices_readable("shared/doc.txt", b"alice's");
    let mine = w.open(&w.bob, "shared/new.txt", ALL, D::CREATE).unwrap();
    block_on(mine.write(0, b"bob's".to_vec())).unwrap();
    // MS-FSA 2.1.5.1.2.1: FILE_DELETE_CHILD on the parent grants DELETE on the child.
    assert_eq!(
        move_to(&mine, FileInfoClass::RENAME, "shared\\doc.txt", REPLACE),
        NtStatus::SUCCESS
    );
    assert_eq!(w.read("shared/doc.txt"), b"bob's");
}

#[test]
fn delete_on_close_needs_delete_in_the_grant() {
    let w = world();
    w.alices_readable("keep.txt", b"alice's");
    // MAXIMUM_ALLOWED passes the parameter check, but resolves to read access only.
    let doc =
        as_(&w.bob, AccessMask::MAXIMUM_ALLOWED, D::OPEN).options(CreateOptions::DELETE_ON_CLOSE);
    assert_eq!(
        w.s.open("keep.txt", doc).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    let doc = as_(
        &w.bob,
        AccessMask::DELETE | AccessMask::GENERIC_READ,
        D::OPEN,
    )
    .options(CreateOptions::DELETE_ON_CLOSE);
    assert_eq!(
        w.s.open("keep.txt", doc).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    // Setting the disposition on a handle without DELETE: refused too (Ex form as well).
    let h = w
        .open(&w.bob, "keep.txt", AccessMask::MAXIMUM_ALLOWED, D::OPEN)
        .unwrap();
    assert!(!h.file().granted_access().contains(AccessMask::DELETE));
    assert_eq!(set_delete(&h, true), Err(NtStatus::ACCESS_DENIED));
    let ex = FileDispositionInformationEx {
        flags: lwio_fscc::DispositionFlags(0x1),
    };
    assert_eq!(
        set_info(&h, FileInfoClass::DISPOSITION_EX, ex.encode()),
        Err(NtStatus::ACCESS_DENIED)
    );
    drop(h);
    assert_eq!(w.read("keep.txt"), b"alice's");
}

#[test]
fn share_permissions_bound_delete_on_close_overwrite_and_new_names() {
    let w = world();
    w.alices_readable("keep.txt", b"alice's");
    // The share lets everyone read, write and add, but not delete.
    let sd: SecurityDescriptor = "D:(A;;0x1201bf;;;WD)".parse().unwrap();
    w.s.io
        .attach_filter("s", Arc::new(ShareAclFilter), sd)
        .unwrap();
    let doc =
        as_(&w.alice, AccessMask::MAXIMUM_ALLOWED, D::OPEN).options(CreateOptions::DELETE_ON_CLOSE);
    assert_eq!(
        w.s.open("keep.txt", doc).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    // A new file too, before anything is made.
    let doc = as_(&w.alice, AccessMask::MAXIMUM_ALLOWED, D::CREATE)
        .options(CreateOptions::DELETE_ON_CLOSE);
    assert_eq!(
        w.s.open("new.txt", doc).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    assert!(!w.exists("new.txt"));
    assert_eq!(w.read("keep.txt"), b"alice's");
    // A read-only share: an overwrite asked with read access alone, and a new name asked
    // with read access alone, are both refused.
    let w = world();
    w.alices_readable("keep.txt", b"alice's");
    let sd: SecurityDescriptor = "D:(A;;0x1200a9;;;WD)".parse().unwrap();
    w.s.io
        .attach_filter("s", Arc::new(ShareAclFilter), sd)
        .unwrap();
    for disp in [D::OVERWRITE, D::OVERWRITE_IF, D::SUPERSEDE] {
        let r = as_(&w.alice, AccessMask::FILE_READ_DATA, disp);
        assert_eq!(
            w.s.open("keep.txt", r).err(),
            Some(NtStatus::ACCESS_DENIED),
            "{disp:?}"
        );
    }
    let r = as_(&w.alice, AccessMask::FILE_READ_DATA, D::CREATE);
    assert_eq!(w.s.open("made.txt", r).err(), Some(NtStatus::ACCESS_DENIED));
    assert!(!w.exists("made.txt"));
    assert_eq!(w.read("keep.txt"), b"alice's");
}

#[test]
fn an_owner_or_a_sacl_given_at_create_follows_the_set_security_rules() {
    let w = world();
    let with_sd = |who: &Arc<AccessToken>, sddl: &str| {
        let sd: SecurityDescriptor = sddl
            .replace("ALICE", &sid(ALICE).to_string())
            .parse()
            .unwrap();
        as_(who, ALL, D::CREATE).security_descriptor(sd.encode())
    };
    // Bob may not make alice, or a group he may not own, the owner.
    for (i, sddl) in [
        "O:ALICED:(A;;FA;;;WD)",
        "O:WDD:(A;;FA;;;WD)",
        "O:AUD:(A;;FA;;;WD)",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("planted{i}");
        assert_eq!(
            w.s.open(&name, with_sd(&w.bob, sddl)).err(),
            Some(NtStatus::INVALID_OWNER),
            "{sddl}"
        );
        assert!(!w.exists(&name));
    }
    // A SACL needs SeSecurityPrivilege.
    assert_eq!(
        w.s.open(
            "audited",
            with_sd(&w.bob, "D:(A;;FA;;;WD)S:(AU;SA;FA;;;WD)")
        )
        .err(),
        Some(NtStatus::PRIVILEGE_NOT_HELD)
    );
    assert!(!w.exists("audited"));
    // His own SID is fine, and so is a group he holds with SE_GROUP_OWNER.
    let bob_sddl = format!("O:{}D:(A;;FA;;;WD)", sid(BOB));
    assert!(w.s.open("bobs", with_sd(&w.bob, &bob_sddl)).is_ok());
    let admin = Arc::new((*w.bob).clone().with_group(
        well_known::BUILTIN_ADMINISTRATORS,
        GroupAttributes::DEFAULT | GroupAttributes::OWNER,
    ));
    assert!(
        w.s.open("admins", with_sd(&admin, "O:BAD:(A;;FA;;;WD)"))
            .is_ok()
    );
    // SeRestorePrivilege allows any owner, SeSecurityPrivilege a SACL.
    let restore = Arc::new(
        (*w.bob).clone().with_privileges(
            Privileges::NONE
                .with(Privilege::Restore)
                .with(Privilege::Security),
        ),
    );
    assert!(
        w.s.open(
            "restored",
            with_sd(&restore, "O:ALICED:(A;;FA;;;WD)S:(AU;SA;FA;;;WD)")
        )
        .is_ok()
    );
    // Set-security applies the same rule: bob may not give his own file away.
    let h = w.open(&w.bob, "bobs", ALL, D::OPEN).unwrap();
    assert_eq!(set_sd(&h, SI(0x1), "O:ALICE"), Err(NtStatus::INVALID_OWNER));
    assert_eq!(set_sd(&h, SI(0x1), "O:WD"), Err(NtStatus::INVALID_OWNER));
}

#[test]
fn every_set_information_class_that_changes_a_file_needs_its_right() {
    let w = world();
    w.alices_readable("f.txt", b"content");
    let before = std::fs::metadata(w.s.path("f.txt")).unwrap();
    // Bob's handle may read everything, change nothing.
    let h = w
        .open(&w.bob, "f.txt", AccessMask::GENERIC_READ, D::OPEN)
        .unwrap();
    let basic = FileBasicInformation {
        creation_time: FileTime(1),
        last_access_time: FileTime(1),
        last_write_time: FileTime(1),
        change_time: FileTime(1),
        file_attributes: FileAttributes::READONLY | FileAttributes::HIDDEN,
    };
    let ea = FileFullEaInformation {
        entries: vec![EaEntry {
            flags: 0,
            name: b"PLANTED".to_vec(),
            value: b"x".to_vec(),
        }],
    };
    let tries: Vec<(FileInfoClass, Vec<u8>)> = vec![
        (FileInfoClass::BASIC, basic.encode()),
        (
            FileInfoClass::END_OF_FILE,
            FileEndOfFileInformation { end_of_file: 0 }.encode(),
        ),
        (
            FileInfoClass::ALLOCATION,
            FileAllocationInformation { allocation_size: 0 }.encode(),
        ),
        (
            FileInfoClass::VALID_DATA_LENGTH,
            0u64.to_le_bytes().to_vec(),
        ),
        (FileInfoClass::DISPOSITION, vec![1]),
        (
            FileInfoClass::DISPOSITION_EX,
            FileDispositionInformationEx {
                flags: lwio_fscc::DispositionFlags(0x1),
            }
            .encode(),
        ),
        (FileInfoClass::FULL_EA, ea.encode()),
        (
            FileInfoClass::SHORT_NAME,
            vec![4, 0, 0, 0, b'X', 0, b'~', 0],
        ),
    ];
    for (class, data) in tries {
        assert_eq!(
            set_info_call(&h, class, data).status,
            NtStatus::ACCESS_DENIED,
            "{class:?}"
        );
    }
    for class in TARGET_CLASSES {
        assert_eq!(
            move_to(&h, class, "moved.txt", TargetFlags::empty()),
            NtStatus::ACCESS_DENIED,
            "{class:?}"
        );
    }
    // FSCTLs that change the file: SET_SPARSE, SET_REPARSE_POINT, DELETE_REPARSE_POINT,
    // SET_ZERO_DATA, SET_COMPRESSION, SET_ZERO_ON_DEALLOCATION.
    for code in [
        0x0009_00C4,
        0x0009_00A4,
        0x0009_00AC,
        0x0009_80C8,
        0x0009_C040,
        0x0009_0194,
    ] {
        assert_eq!(
            block_on(h.fs_control(code, vec![0u8; 16], 0)).err(),
            Some(NtStatus::ACCESS_DENIED),
            "{code:#x}"
        );
    }
    drop(h);
    let after = std::fs::metadata(w.s.path("f.txt")).unwrap();
    assert_eq!(w.read("f.txt"), b"content");
    assert_eq!(
        (after.mtime(), after.mtime_nsec()),
        (before.mtime(), before.mtime_nsec())
    );
    assert!(!w.exists("moved.txt"));
    // Alice may do all of it.
    let h = w.open(&w.alice, "f.txt", ALL, D::OPEN).unwrap();
    set_info(
        &h,
        FileInfoClass::END_OF_FILE,
        FileEndOfFileInformation { end_of_file: 3 }.encode(),
    )
    .unwrap();
    assert_eq!(w.read("f.txt"), b"con");
}

#[test]
fn new_files_belong_to_their_creator_with_a_mode_from_their_dacl() {
    let w = world();
    let h = w.open(&w.alice, "alice.txt", ALL, D::CREATE).unwrap();
    let d =
        w.s.open("alice.d", as_(&w.alice, ALL, D::CREATE).options(DIR))
            .unwrap();
    let meta = |p: &str| std::fs::metadata(w.s.path(p)).unwrap();
    // Inherited from the root: CREATOR OWNER and SYSTEM only.
    assert_eq!(meta("alice.txt").mode() & 0o7777, 0o600);
    assert_eq!(meta("alice.d").mode() & 0o7777, 0o700);
    if rustix::process::geteuid().is_root() {
        assert_eq!(
            (meta("alice.txt").uid(), meta("alice.txt").gid()),
            (ALICE_UID, ALICE_UID)
        );
        assert_eq!(
            (meta("alice.d").uid(), meta("alice.d").gid()),
            (ALICE_UID, ALICE_UID)
        );
    } else {
        // The documented fallback: a process that may not chown keeps the file its own.
        let me = rustix::process::geteuid().as_raw();
        assert_eq!(meta("alice.txt").uid(), me);
        assert_eq!(meta("alice.d").uid(), me);
    }
    // A DACL that lets everyone read gives r to group and others; taking it back takes
    // the bits back.
    set_sd(&h, SI(0x4), "D:P(A;;FA;;;ALICE)(A;;FR;;;WD)").unwrap();
    assert_eq!(meta("alice.txt").mode() & 0o7777, 0o644);
    set_sd(&d, SI(0x4), "D:P(A;;FA;;;ALICE)(A;;0x1200a9;;;WD)").unwrap();
    assert_eq!(meta("alice.d").mode() & 0o7777, 0o755);
    set_sd(&h, SI(0x4), "D:P(A;;FA;;;ALICE)").unwrap();
    assert_eq!(meta("alice.txt").mode() & 0o7777, 0o600);
    // A descriptor given at create decides the mode from the start.
    let sd: SecurityDescriptor = format!("D:P(A;;FA;;;{})(A;;FR;;;WD)", sid(BOB))
        .parse()
        .unwrap();
    drop(
        w.s.open(
            "bob.txt",
            as_(&w.bob, ALL, D::CREATE).security_descriptor(sd.encode()),
        )
        .unwrap(),
    );
    assert_eq!(meta("bob.txt").mode() & 0o7777, 0o644);
}

#[test]
fn delete_on_close_never_deletes_a_name_swapped_in() {
    let w = world();
    let h = w.open(&w.alice, "mine.txt", ALL, D::CREATE).unwrap();
    set_delete(&h, true).unwrap();
    // A local process moves the file away and puts another in its place before the close.
    std::fs::rename(w.s.path("mine.txt"), w.s.path("moved.txt")).unwrap();
    std::fs::write(w.s.path("mine.txt"), b"someone else's").unwrap();
    drop(h);
    assert_eq!(w.read("mine.txt"), b"someone else's");
    assert!(w.exists("moved.txt"));
}

#[test]
fn a_rename_never_moves_a_name_swapped_in_and_a_link_links_what_was_opened() {
    let w = world();
    let h = w.open(&w.alice, "mine.txt", ALL, D::CREATE).unwrap();
    block_on(h.write(0, b"mine".to_vec())).unwrap();
    std::fs::rename(w.s.path("mine.txt"), w.s.path("moved.txt")).unwrap();
    std::fs::write(w.s.path("mine.txt"), b"someone else's").unwrap();
    // The handle's path names a file that is no longer the handle's: nothing moves.
    assert_eq!(
        move_to(&h, FileInfoClass::RENAME, "taken.txt", TargetFlags::empty()),
        NtStatus::ACCESS_DENIED
    );
    assert!(!w.exists("taken.txt"));
    assert_eq!(w.read("mine.txt"), b"someone else's");
    // A link is made from the handle itself: it names the file alice opened.
    assert_eq!(
        move_to(&h, FileInfoClass::LINK, "linked.txt", TargetFlags::empty()),
        NtStatus::SUCCESS
    );
    assert_eq!(w.read("linked.txt"), b"mine");
}
