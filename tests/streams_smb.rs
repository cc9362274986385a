#![allow(clippy::unwrap_used)]
//! Named streams over SMB (PVFS's `file:stream`, lwio-pvfs/src/streams): Samba's
//! `smbclient` writes and lists them (`put file 'name:stream'`, `allinfo`), impacket
//! (tests/py/streams_client.py) creates, lists, reads, renames and deletes them and tries
//! the names Windows refuses. The share's listing and the disk are checked: the stream
//! store stays out of sight and holds only what the streams hold.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// The store's directory in the share root (lwio-pvfs/src/streams/store.rs).
const STORE: &str = ".lwio:streams";

/// The entries of the store (one directory per file with streams); none when it is gone.
fn store_entries(root: &Path) -> usize {
    std::fs::read_dir(root.join(STORE)).map_or(0, |d| d.count())
}

/// Every regular file under `dir`, with its size.
fn files_under(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.unwrap();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        if meta.is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push((e.file_name().to_string_lossy().into_owned(), meta.len()));
        }
    }
    out
}

#[test]
fn smbclient_puts_gets_and_lists_streams() {
    let srv = common::start(&[]);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("main.txt"), b"the file").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(local.path().join("side.bin"), &big).unwrap();

    let (ok, out) = common::smbclient_in(
        srv.port,
        local.path(),
        "put main.txt f.txt; put side.bin f.txt:side; get f.txt:side back.bin; \
         allinfo f.txt; ls",
    );
    assert!(ok, "smbclient failed:\n{out}");
    assert_eq!(
        std::fs::read(local.path().join("back.bin")).unwrap(),
        big,
        "the stream read back"
    );
    assert!(
        out.contains("stream: [::$DATA], 8 bytes"),
        "allinfo lists the unnamed stream:\n{out}"
    );
    assert!(
        out.contains("stream: [:side:$DATA], 300000 bytes"),
        "allinfo lists the named stream:\n{out}"
    );
    assert!(!out.contains(STORE), "ls shows the stream store:\n{out}");
    // On disk: the file keeps its own data; the stream is the store's one file.
    let root = srv.dir.path();
    assert_eq!(std::fs::read(root.join("f.txt")).unwrap(), b"the file");
    assert_eq!(
        files_under(&root.join(STORE)),
        vec![("_side".to_owned(), 300_000)]
    );

    // The stream follows its file through a rename.
    let (ok, out) =
        common::smbclient_in(srv.port, local.path(), "rename f.txt g.txt; allinfo g.txt");
    assert!(ok, "rename failed:\n{out}");
    assert!(
        out.contains("stream: [:side:$DATA], 300000 bytes"),
        "allinfo after the rename:\n{out}"
    );

    // Deleting the file deletes its streams.
    let (ok, out) = common::smbclient_in(srv.port, local.path(), "del g.txt; ls");
    assert!(ok, "del failed:\n{out}");
    assert!(!root.join("g.txt").exists());
    assert_eq!(store_entries(root), 0, "the file's store directory is gone");
}

#[test]
fn impacket_creates_lists_renames_and_deletes_streams() {
    let srv = common::start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/streams_client.py");
    let out = Command::new(common::python())
        .arg(script)
        .arg(srv.port.to_string())
        .arg("user:pass")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "streams_client.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: HashMap<&str, &str> = stdout.lines().filter_map(|l| l.split_once(' ')).collect();
    let expect = [
        ("create-stream", "0x00000000"),
        ("list", "::$DATA=5,:meta:$DATA=33"),
        ("read", "stream data, longer than the file"),
        ("file-data", "hello"),
        ("rename", "0x00000000"),
        // STATUS_OBJECT_NAME_NOT_FOUND: the old name is gone.
        ("open-old-name", "0xc0000034"),
        ("list-after-delete", "::$DATA"),
        // STATUS_OBJECT_NAME_INVALID (MS-FSCC 2.1.5.3, 2.1.5.4).
        ("bad-type", "0xc0000033"),
        ("empty-name", "0xc0000033"),
        // The store's name is read as the stream `streams` of a file `.lwio`, which does
        // not exist (STATUS_OBJECT_NAME_NOT_FOUND): no client path reaches the store.
        ("store", "0xc0000034"),
        // A stream named `..` is a name like any other: not found, no escape.
        ("store-escape", "0xc0000034"),
        ("root-listing", ".,..,doc.txt"),
    ];
    for (step, want) in expect {
        assert_eq!(steps.get(step).copied(), Some(want), "{step}:\n{stdout}");
    }
    let root = srv.dir.path();
    assert_eq!(std::fs::read(root.join("doc.txt")).unwrap(), b"hello");
    // The last stream deleted, the file's store directory went with it.
    assert_eq!(store_entries(root), 0);
}
