//! Security: stored descriptors, inheritance, and the access rules of a create
//! (MS-FSA 2.1.5.1.2.1, 2.1.5.13, 2.1.5.16; MS-DTYP 2.5.3.4 inheritance).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use lwio_core::irp::{IrpRequest, QueryInfoRequest};
use lwio_core::{
    AccessMask, AccessToken, CreateDisposition as D, CreateRequest, FileHandle, FileInfoClass,
    NtStatus, SecurityDescriptor, SecurityInformation as SI, ShareAccess, block_on,
};

const OWNER: SI = SI(0x1);
const GROUP: SI = SI(0x2);
const DACL: SI = SI(0x4);
const SACL: SI = SI(0x8);

fn user() -> Arc<AccessToken> {
    Arc::new(
        AccessToken::new("S-1-5-21-1-2-3-1001".parse().unwrap())
            .with_groups(["S-1-1-0".parse().unwrap(), "S-1-5-32-545".parse().unwrap()]),
    )
}

fn as_user(access: AccessMask, disp: D) -> CreateRequest {
    CreateRequest::new(user(), access, disp).share(ShareAccess::ALL)
}

fn set_sd(h: &FileHandle, info: SI, sddl: &str) -> Result<(), NtStatus> {
    let sd: SecurityDescriptor = sddl.parse().unwrap();
    block_on(h.set_security(info, sd.encode()))
}

fn sddl(h: &FileHandle, info: SI) -> String {
    let b = block_on(h.query_security(info, 65536)).unwrap();
    SecurityDescriptor::decode(&b).unwrap().to_sddl().unwrap()
}

/// A directory `d` owned by SYSTEM with the given DACL, protected and auto-inherited
/// (as Windows directories are: set with AUTO_INHERIT_REQ, so AUTO_INHERITED is kept).
fn dir_with(s: &Share, dacl: &str) {
    s.mkdir("d");
    let h = s.all("d");
    set_sd(&h, SI(0x5), &format!("O:SYD:PARAI{dacl}")).unwrap();
}

fn granted(h: &FileHandle) -> AccessMask {
    let r = call(
        h,
        IrpRequest::QueryInformation(QueryInfoRequest {
            class: FileInfoClass::ACCESS,
            length: 4,
        }),
    );
    AccessMask(u32::from_le_bytes(r.output[..4].try_into().unwrap()))
}

#[test]
fn owner_group_and_dacl_round_trip() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_sd(&h, SI(0x7), "O:BAG:SYD:P(A;;FA;;;SY)(A;;FR;;;WD)").unwrap();
    assert_eq!(sddl(&h, OWNER), "O:BA");
    assert_eq!(sddl(&h, GROUP), "G:SY");
    let d = sddl(&h, DACL);
    assert!(
        d.contains("(A;;FA;;;SY)") && d.contains("(A;;FR;;;WD)"),
        "{d}"
    );
    // Setting only the DACL keeps the owner.
    set_sd(&h, DACL, "D:(A;;FA;;;SY)").unwrap();
    assert_eq!(sddl(&h, OWNER), "O:BA");
}

#[test]
fn query_security_with_a_short_buffer_says_how_much() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let r = call(
        &h,
        IrpRequest::QuerySecurity(lwio_core::irp::QuerySecurityRequest {
            info: DACL,
            length: 8,
        }),
    );
    assert_eq!(r.status, NtStatus::BUFFER_TOO_SMALL);
    assert!(r.information > 8);
}

#[test]
fn files_inherit_object_inherit_aces_only() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;CIIO;FR;;;WD)(A;OI;FW;;;BA)");
    s.file("d/f");
    let f = s.all("d/f");
    let d = sddl(&f, DACL);
    assert!(d.contains("(A;ID;FA;;;SY)"), "{d}");
    assert!(d.contains("(A;ID;FW;;;BA)"), "{d}");
    assert!(!d.contains("WD"), "{d}");
}

#[test]
fn subdirectories_inherit_container_aces_and_keep_inheritable_ones() {
    let s = Share::new();
    dir_with(
        &s,
        "(A;OICI;FA;;;SY)(A;CIIO;FR;;;WD)(A;OI;FW;;;BA)(A;CINP;FR;;;BU)",
    );
    s.mkdir("d/sub");
    let h = s.all("d/sub");
    let d = sddl(&h, DACL);
    assert!(d.contains("(A;OICIID;FA;;;SY)"), "{d}");
    // CI|IO: applies to the subdirectory and stays inheritable.
    assert!(d.contains("(A;CIID;FR;;;WD)"), "{d}");
    // OI only: inherit-only on the subdirectory, for its files.
    assert!(d.contains("(A;OIIOID;FW;;;BA)"), "{d}");
    // No-propagate: applies here, no further.
    assert!(d.contains("(A;ID;FR;;;BU)"), "{d}");
    // A grandchild file gets BA's write but not BU's read.
    s.file("d/sub/g");
    let g = sddl(&s.all("d/sub/g"), DACL);
    assert!(g.contains("(A;ID;FW;;;BA)"), "{g}");
    assert!(!g.contains("BU"), "{g}");
}

#[test]
fn inherited_dacl_decides_who_opens() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)");
    s.file("d/f");
    assert!(
        s.open("d/f", as_user(AccessMask::GENERIC_READ, D::OPEN))
            .is_ok()
    );
    assert_eq!(
        s.open("d/f", as_user(AccessMask::GENERIC_WRITE, D::OPEN))
            .err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    // Creating needs FILE_ADD_FILE on the parent.
    assert_eq!(
        s.open("d/new", as_user(RW, D::CREATE)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn creating_with_add_file_right_works_and_creator_owns() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;;0x3;;;WD)(A;OICIIO;FA;;;CO)");
    let h = s
        .open("d/mine", as_user(RW | AccessMask::READ_CONTROL, D::CREATE))
        .unwrap();
    assert_eq!(sddl(&h, OWNER), "O:S-1-5-21-1-2-3-1001");
    let d = sddl(&h, DACL);
    assert!(d.contains("(A;ID;FA;;;S-1-5-21-1-2-3-1001)"), "{d}");
}

#[test]
fn maximum_allowed_grants_what_the_dacl_gives() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)");
    s.file("d/f");
    let h = s
        .open("d/f", as_user(AccessMask::MAXIMUM_ALLOWED, D::OPEN))
        .unwrap();
    let g = granted(&h);
    assert!(g.contains(AccessMask::FILE_READ_DATA), "{g:?}");
    assert!(
        !g.intersects(AccessMask::FILE_WRITE_DATA | AccessMask::DELETE),
        "{g:?}"
    );
    assert_eq!(
        block_on(h.write(0, &b"x"[..])),
        Err(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn read_attributes_through_the_parents_list_right() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;;FR;;;WD)");
    s.file("d/f");
    let f = s.all("d/f");
    set_sd(&f, DACL, "D:P(A;;FA;;;SY)").unwrap();
    drop(f);
    assert_eq!(
        s.open("d/f", as_user(AccessMask::FILE_READ_DATA, D::OPEN))
            .err(),
        Some(NtStatus::ACCESS_DENIED)
    );
    assert!(
        s.open("d/f", as_user(AccessMask::FILE_READ_ATTRIBUTES, D::OPEN))
            .is_ok()
    );
}

#[test]
fn delete_through_the_parents_delete_child_right() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;;0x40;;;WD)");
    s.file("d/f");
    let f = s.all("d/f");
    set_sd(&f, DACL, "D:P(A;;FA;;;SY)").unwrap();
    drop(f);
    let h = s.open("d/f", as_user(AccessMask::DELETE, D::OPEN)).unwrap();
    set_delete(&h, true).unwrap();
    drop(h);
    assert!(!s.path("d/f").exists());
}

#[test]
fn no_delete_without_either_right() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;;FR;;;WD)");
    s.file("d/f");
    let f = s.all("d/f");
    set_sd(&f, DACL, "D:P(A;;FA;;;SY)(A;;FR;;;WD)").unwrap();
    drop(f);
    assert_eq!(
        s.open("d/f", as_user(AccessMask::DELETE, D::OPEN)).err(),
        Some(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn sacl_access_without_the_privilege_is_privilege_not_held() {
    let s = Share::new();
    s.file("f");
    assert_eq!(
        s.open(
            "f",
            as_user(
                AccessMask::ACCESS_SYSTEM_SECURITY | AccessMask::READ_CONTROL,
                D::OPEN
            )
        )
        .err(),
        Some(NtStatus::PRIVILEGE_NOT_HELD)
    );
    // SYSTEM holds it and may read the SACL.
    let h = s
        .open(
            "f",
            req(
                AccessMask::ACCESS_SYSTEM_SECURITY | AccessMask::READ_CONTROL,
                D::OPEN,
            ),
        )
        .unwrap();
    assert!(block_on(h.query_security(SACL, 4096)).is_ok());
}

#[test]
fn owner_may_only_be_set_to_the_caller() {
    let s = Share::new();
    dir_with(&s, "(A;OICI;FA;;;SY)(A;OICI;FA;;;WD)");
    let h = s
        .open("d/f", as_user(AccessMask::GENERIC_ALL, D::CREATE))
        .unwrap();
    assert_eq!(set_sd(&h, OWNER, "O:BA"), Err(NtStatus::INVALID_OWNER));
    set_sd(&h, OWNER, "O:S-1-5-21-1-2-3-1001").unwrap();
    // SYSTEM (with the restore privilege) may set any owner.
    let sys = s.all("d/f");
    set_sd(&sys, OWNER, "O:BA").unwrap();
    assert_eq!(sddl(&sys, OWNER), "O:BA");
}

#[test]
fn set_security_needs_write_dac() {
    let s = Share::new();
    s.file("f");
    let h = s.open("f", req(AccessMask::GENERIC_READ, D::OPEN)).unwrap();
    assert_eq!(
        set_sd(&h, DACL, "D:(A;;FA;;;WD)"),
        Err(NtStatus::ACCESS_DENIED)
    );
}

#[test]
fn descriptor_given_at_create_is_stored() {
    let s = Share::new();
    let sd: SecurityDescriptor = "O:SYG:SYD:P(A;;FA;;;SY)".parse().unwrap();
    let h = s
        .open(
            "f",
            req(AccessMask::GENERIC_ALL, D::CREATE).security_descriptor(sd.encode()),
        )
        .unwrap();
    assert_eq!(sddl(&h, DACL), "D:P(A;;FA;;;SY)");
}

/// Setting the DACL from a descriptor without one stores a NULL DACL (DACL_PRESENT and
/// no ACL), which grants everyone every right.
#[test]
fn setting_a_dacl_from_a_descriptor_without_one_makes_a_null_dacl() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    let empty = SecurityDescriptor::decode(&"O:SY".parse::<SecurityDescriptor>().unwrap().encode())
        .unwrap();
    assert!(!empty.has_dacl());
    block_on(h.set_security(DACL, empty.encode())).unwrap();
    let b = block_on(h.query_security(DACL, 65536)).unwrap();
    let got = SecurityDescriptor::decode(&b).unwrap();
    assert!(got.is_null_dacl(), "{:?}", got.to_sddl());
}

/// A set DACL's effective ACEs are stored with their generic rights mapped to the file
/// rights (as NTFS does; smbtorture's smb2.acls.CREATOR and GENERIC); an inherit-only ACE
/// keeps them for its children.
#[test]
fn generic_rights_of_a_set_dacl_are_stored_mapped() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    set_sd(&h, DACL, "D:(A;;GR;;;WD)(A;OICIIO;GA;;;CO)").unwrap();
    let d = sddl(&h, DACL);
    assert!(d.contains("(A;;FR;;;WD)"), "{d}");
    assert!(d.contains("(A;OICIIO;GA;;;CO)"), "{d}");
}

/// A file and a directory created under a parent holding `(A;<flags>;FILE_WRITE_DATA;;;
/// CREATOR OWNER)` for every combination of OI, CI, NP and IO, with the parent
/// auto-inherited and not: the DACLs smbtorture's smb2.acls.INHERITANCE expects of
/// Windows (MS-DTYP 2.5.3.4), with INHERITED and AUTO_INHERITED under auto-inheritance.
#[test]
fn every_inheritance_flag_combination() {
    let s = Share::new();
    s.mkdir("p");
    let parent = s.all("p");
    for auto in [false, true] {
        for bits in 0u8..16 {
            let sddl_flags: String = [(1, "OI"), (2, "CI"), (4, "NP"), (8, "IO")]
                .iter()
                .filter(|(b, _)| bits & b != 0)
                .map(|(_, n)| *n)
                .collect();
            let control = if auto { "ARAI" } else { "" };
            set_sd(
                &parent,
                DACL,
                &format!("D:{control}(A;{sddl_flags};0x2;;;CO)(A;;FA;;;WD)"),
            )
            .unwrap();
            let (oi, ci, np) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
            let id = if auto { "ID" } else { "" };
            let ai = if auto { "AI" } else { "" };
            let default = format!("D:{ai}(A;;FA;;;OWNER)(A;;FA;;;SY)");
            let file = if oi {
                format!("D:{ai}(A;{id};DC;;;OWNER)")
            } else {
                default.clone()
            };
            let dir = match (oi, ci, np) {
                (_, true, true) => format!("D:{ai}(A;{id};DC;;;OWNER)"),
                (oi, true, false) => {
                    let oi = if oi { "OI" } else { "" };
                    format!("D:{ai}(A;{id};DC;;;OWNER)(A;{oi}CIIO{id};DC;;;CO)")
                }
                (true, false, false) => format!("D:{ai}(A;OIIO{id};DC;;;CO)"),
                _ => default.clone(),
            };
            for (name, want, options) in [("f", file, None), ("sub", dir, Some(DIR))] {
                let path = format!("p/{name}");
                let mut r = req(AccessMask::READ_CONTROL | AccessMask::DELETE, D::CREATE);
                if let Some(o) = options {
                    r = r.options(o);
                }
                let h = s.open(&path, r).unwrap();
                let owner = sddl(&h, OWNER);
                let owner = owner.trim_start_matches("O:");
                let got = sddl(&h, DACL).replace(owner, "OWNER");
                assert_eq!(got, want, "{path} under {sddl_flags:?}, auto {auto}");
                set_delete(&h, true).unwrap();
            }
        }
    }
}

/// The creator's descriptor (SMB2_CREATE_SD_BUFFER) goes through the same algorithm
/// (MS-DTYP 2.5.3.4.2): under an auto-inherited parent its explicit ACEs come first and
/// the parent's inheritable ones are merged after them (its own INHERITED copies
/// dropped); under a parent that is not, an explicit DACL replaces inheritance; a
/// protected one is taken alone either way.
#[test]
fn creator_descriptor_is_merged_as_windows_merges_it() {
    let s = Share::new();
    s.mkdir("p");
    let parent = s.all("p");
    let with_sd = |name: &str, sd: &str| {
        let sd: SecurityDescriptor = sd.parse().unwrap();
        let r = req(AccessMask::READ_CONTROL, D::CREATE).security_descriptor(sd.encode());
        let h = s.open(&format!("p/{name}"), r).unwrap();
        sddl(&h, DACL)
    };
    set_sd(&parent, DACL, "D:ARAI(A;OICI;FA;;;SY)(A;;FA;;;WD)").unwrap();
    assert_eq!(
        with_sd("a", "D:(A;;FR;;;BU)(A;ID;FA;;;AU)"),
        "D:AI(A;;FR;;;BU)(A;ID;FA;;;SY)"
    );
    assert_eq!(with_sd("b", "D:P(A;;FR;;;BU)"), "D:PAI(A;;FR;;;BU)");
    set_sd(&parent, DACL, "D:(A;OICI;FA;;;SY)(A;;FA;;;WD)").unwrap();
    assert_eq!(with_sd("c", "D:(A;;FR;;;BU)"), "D:(A;;FR;;;BU)");
    // The creator may ask for auto-inheritance itself.
    assert_eq!(
        with_sd("d", "D:AR(A;;FR;;;BU)"),
        "D:AI(A;;FR;;;BU)(A;ID;FA;;;SY)"
    );
}

/// A set-security stores AUTO_INHERITED only when it comes with AUTO_INHERIT_REQ, and
/// never the request itself (smbtorture's smb2.acls.INHERITFLAGS); PROTECTED and the
/// ACEs, INHERITED flags included, are stored as given.
#[test]
fn set_security_keeps_auto_inherited_only_when_requested() {
    let s = Share::new();
    s.file("f");
    let h = s.all("f");
    for (given, stored) in [
        ("D:AI(A;ID;FA;;;SY)", "D:(A;ID;FA;;;SY)"),
        ("D:AR(A;;FA;;;SY)", "D:(A;;FA;;;SY)"),
        ("D:ARAI(A;ID;FA;;;SY)", "D:AI(A;ID;FA;;;SY)"),
        ("D:PARAI(A;;FA;;;SY)", "D:PAI(A;;FA;;;SY)"),
        ("D:P(A;ID;FA;;;SY)", "D:P(A;ID;FA;;;SY)"),
    ] {
        set_sd(&h, DACL, given).unwrap();
        assert_eq!(sddl(&h, DACL), stored, "{given}");
    }
}
