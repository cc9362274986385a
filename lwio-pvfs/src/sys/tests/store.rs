//! DOS information and security descriptors in extended attributes, and the fallback.

use std::os::fd::OwnedFd;
use std::path::Path;

use lwio_core::NtStatus;
use rustix::fs::{Mode, OFlags, XattrFlags};

use super::{Fixture, config, is_root};
use crate::sys::xattr::DOS_XATTR;
use crate::sys::{DosInfo, DosSource, Root, XattrNamespace, fstat};

fn open(root: &Root, p: &str) -> OwnedFd {
    root.open_file(Path::new(p), OFlags::RDONLY, Mode::empty())
        .unwrap()
}

/// A minimal self-relative descriptor of `len` bytes (revision 1, SE_SELF_RELATIVE).
fn sd(len: usize) -> Vec<u8> {
    let mut v = vec![1u8, 0, 0x04, 0x80];
    v.extend((4..len).map(|i| i as u8));
    v
}

fn has_xattr(fd: &OwnedFd, name: &str) -> bool {
    let mut buf = vec![0u8; 70_000];
    rustix::fs::fgetxattr(fd, name, &mut buf[..]).is_ok()
}

#[test]
fn dos_round_trip() {
    let fx = Fixture::new();
    std::fs::write(fx.at("f"), b"").unwrap();
    std::fs::create_dir(fx.at("dir")).unwrap();
    let root = fx.root(false, false);
    assert!(root.fs_supports_xattrs());
    for name in ["f", "dir"] {
        let fd = open(&root, name);
        assert_eq!(root.read_dos(&fd, name).unwrap().source, DosSource::Derived);
        let info = DosInfo {
            attributes: 0x2 | 0x4 | 0x20,
            creation_time: 133_000_000_000_000_000,
        };
        assert!(root.write_dos(&fd, &info).unwrap().persisted);
        let back = root.read_dos(&fd, name).unwrap();
        assert_eq!((back.info, back.source), (info, DosSource::Stored));
    }
    // A corrupt value is ignored (derived instead).
    let fd = open(&root, "f");
    rustix::fs::fsetxattr(&fd, DOS_XATTR, b"garbage", XattrFlags::empty()).unwrap();
    assert_eq!(root.read_dos(&fd, "f").unwrap().source, DosSource::Derived);
}

fn sd_round_trip(ns: XattrNamespace, other: XattrNamespace) {
    let fx = Fixture::new();
    std::fs::write(fx.at("f"), b"").unwrap();
    let mut cfg = config(false, false);
    cfg.sd_namespace = ns;
    let root = Root::open(&fx.share(), cfg).unwrap();
    let fd = open(&root, "f");
    assert_eq!(root.read_sd(&fd).unwrap(), None);
    // Small, and larger than the first read buffer.
    for len in [20, 3_000] {
        root.write_sd(&fd, &sd(len)).unwrap();
        assert_eq!(root.read_sd(&fd).unwrap(), Some(sd(len)));
    }
    assert!(has_xattr(&fd, &format!("{}lwio.sd", ns.prefix())));
    assert!(!has_xattr(&fd, &format!("{}lwio.sd", other.prefix())));
    root.remove_sd(&fd).unwrap();
    root.remove_sd(&fd).unwrap();
    assert_eq!(root.read_sd(&fd).unwrap(), None);

    // Refused before storing.
    assert_eq!(
        root.write_sd(&fd, &[1, 0, 4]),
        Err(NtStatus::INVALID_SECURITY_DESCR)
    );
    assert_eq!(
        root.write_sd(&fd, &[2; 20]),
        Err(NtStatus::INVALID_SECURITY_DESCR)
    );
    assert_eq!(
        root.write_sd(&fd, &sd(70_000)),
        Err(NtStatus::INVALID_PARAMETER)
    );

    // A corrupt stored value reads as absent.
    let name = format!("{}lwio.sd", ns.prefix());
    rustix::fs::fsetxattr(
        &fd,
        &name,
        b"LS\x01\x00\xff\xff\x00\x00",
        XattrFlags::empty(),
    )
    .unwrap();
    assert_eq!(root.read_sd(&fd).unwrap(), None);
}

#[test]
fn sd_in_user_namespace() {
    sd_round_trip(XattrNamespace::User, XattrNamespace::Trusted);
}

#[test]
fn sd_in_trusted_namespace_as_root() {
    if !is_root() {
        eprintln!("SKIPPED: trusted.* attributes need root (CAP_SYS_ADMIN)");
        return;
    }
    assert_eq!(XattrNamespace::detect(), XattrNamespace::Trusted);
    sd_round_trip(XattrNamespace::Trusted, XattrNamespace::User);
}

#[test]
fn without_xattrs_dos_is_derived_and_readonly_is_the_write_bit() {
    let fx = Fixture::new();
    std::fs::write(fx.at(".hidden"), b"").unwrap();
    std::fs::create_dir(fx.at("dir")).unwrap();
    let mut cfg = config(false, false);
    cfg.force_no_xattrs = true;
    let root = Root::open(&fx.share(), cfg).unwrap();
    assert!(!root.fs_supports_xattrs());

    let fd = open(&root, ".hidden");
    let st = fstat(&fd).unwrap();
    let created = st.btime.unwrap_or(st.mtime.min(st.ctime)).to_filetime();
    let got = root.read_dos(&fd, ".hidden").unwrap();
    assert_eq!(got.source, DosSource::Derived);
    assert_eq!(
        got.info,
        DosInfo {
            attributes: 0x2 | 0x20,
            creation_time: created
        }
    );

    // READONLY becomes the owner's write bit; the rest is dropped and said so.
    let w = root
        .write_dos(
            &fd,
            &DosInfo {
                attributes: 0x1 | 0x4,
                creation_time: 1,
            },
        )
        .unwrap();
    assert!(!w.persisted);
    assert_eq!(fstat(&fd).unwrap().mode & 0o200, 0);
    assert_eq!(
        root.read_dos(&fd, ".hidden").unwrap().info.attributes,
        0x1 | 0x2 | 0x20
    );
    root.write_dos(&fd, &DosInfo::default()).unwrap();
    assert_eq!(fstat(&fd).unwrap().mode & 0o200, 0o200);
    // Nothing was written as an attribute.
    assert!(!has_xattr(&fd, DOS_XATTR));

    let dir = open(&root, "dir");
    assert_eq!(root.read_dos(&dir, "dir").unwrap().info.attributes, 0);

    // Security descriptors cannot be kept: refuse rather than pretend.
    assert_eq!(root.write_sd(&fd, &sd(20)), Err(NtStatus::NOT_SUPPORTED));
    assert_eq!(root.read_sd(&fd).unwrap(), None);
    assert_eq!(root.remove_sd(&fd), Ok(()));
}
