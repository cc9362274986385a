#![allow(clippy::unwrap_used)]
//! 8.3 short names over SMB (lwio-pvfs/src/sys/short.rs): Samba's `smbclient` asks for a
//! long name's alternate name (`allinfo`, FileAlternateNameInformation) and then reads,
//! renames and deletes the file by that name, as a client unaware of long names would.

mod common;

/// The `altname:` line of smbclient's `allinfo` output.
fn altname(allinfo: &str) -> Option<String> {
    allinfo
        .lines()
        .find_map(|l| l.trim().strip_prefix("altname:"))
        .map(|s| s.trim().to_owned())
}

#[test]
fn smbclient_opens_renames_and_deletes_by_the_alternate_name() {
    let srv = common::start(&[]);
    let share = srv.dir.path();
    std::fs::write(share.join("A Long File Name.txt"), b"long contents").unwrap();
    std::fs::write(share.join("Second Long Name.txt"), b"second").unwrap();
    let local = tempfile::tempdir().unwrap();

    let (ok, out) =
        common::smbclient_in(srv.port, local.path(), "allinfo \"A Long File Name.txt\"");
    assert!(ok, "smbclient failed:\n{out}");
    let alt = altname(&out).unwrap_or_else(|| panic!("no altname in:\n{out}"));
    assert!(alt.contains('~') && alt.ends_with(".TXT"), "{alt}");
    let (ok, out) =
        common::smbclient_in(srv.port, local.path(), "allinfo \"Second Long Name.txt\"");
    assert!(ok, "smbclient failed:\n{out}");
    let alt2 = altname(&out).unwrap_or_else(|| panic!("no altname in:\n{out}"));

    // Read by the short name, rename one by it and delete the other by it.
    let (ok, out) = common::smbclient_in(
        srv.port,
        local.path(),
        &format!("get {alt} back.txt; rename {alt} renamed.txt; del {alt2}"),
    );
    assert!(ok, "smbclient failed:\n{out}");
    assert!(!out.contains("NT_STATUS_"), "{out}");
    assert_eq!(
        std::fs::read(local.path().join("back.txt")).unwrap(),
        b"long contents"
    );
    let mut names: Vec<String> = std::fs::read_dir(share)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".lwio"))
        .collect();
    names.sort();
    assert_eq!(names, vec!["renamed.txt".to_owned()]);
}
