//! What POSIX lacks, kept in extended attributes: DOS attributes, creation time and the
//! security descriptor. Always on a descriptor, never a path (no symlink can be followed);
//! the descriptor must not be `O_PATH` (Linux refuses `f*xattr` on those).
//!
//! # `user.lwio.dos` (always in `user.`: DOS attributes are not a security boundary)
//!
//! 16 bytes, little-endian:
//!
//! ```text
//! 0..2   magic "LD"
//! 2      version = 1
//! 3      flags: bit 0 = the creation time is valid; other bits 0
//! 4..8   u32 FILE_ATTRIBUTE_* (FILE_ATTRIBUTE_DIRECTORY is never stored)
//! 8..16  u64 creation time, FILETIME (100 ns since 1601-01-01 UTC)
//! ```
//!
//! # `<ns>.lwio.sd` (`<ns>` from [`SysConfig::sd_namespace`](super::SysConfig::sd_namespace))
//!
//! ```text
//! 0..2   magic "LS"
//! 2      version = 1
//! 3      0
//! 4..8   u32 length n of the descriptor
//! 8..    n bytes: a self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6), revision 1
//! ```
//!
//! A value larger than [`MAX_XATTR`], or with a wrong magic, version or length, is treated
//! as absent, with a warning.
//!
//! # Without extended attributes
//!
//! [`Root::read_dos`] derives the information: `READONLY` when the owner has no write bit,
//! `HIDDEN` for a name starting with a dot, `ARCHIVE` for regular files, and the creation
//! time from `btime`, else the earlier of mtime and ctime. [`Root::write_dos`] maps `READONLY`
//! to the owner's write bit and drops the rest, answering `persisted: false` so the driver can
//! log it once. Security descriptors cannot be stored: [`Root::read_sd`] finds none and
//! [`Root::write_sd`] fails with `STATUS_NOT_SUPPORTED`.

use std::os::fd::AsFd;
use std::sync::Arc;

use lwio_core::irp::FileAttributes;
use lwio_core::{NtStatus, SecurityDescriptor};
use rustix::fs::{FileType, Mode, XattrFlags};
use rustix::io::Errno;

use super::Root;
use super::descriptors::DescriptorKey;
use super::errno::map_errno;
use super::ops::{Stat, fstat};

/// The attribute holding [`DosInfo`].
pub const DOS_XATTR: &str = "user.lwio.dos";

/// [`DOS_XATTR`] as a C string, so the hot path does not convert it each time.
const DOS_XATTR_C: &std::ffi::CStr = c"user.lwio.dos";

/// The name, after the namespace prefix, of the security descriptor attribute.
pub const SD_XATTR_SUFFIX: &str = "lwio.sd";

/// The largest attribute value read (64 KiB); a larger one is treated as absent.
pub const MAX_XATTR: usize = 64 * 1024;

const DOS_MAGIC: &[u8; 2] = b"LD";
const SD_MAGIC: &[u8; 2] = b"LS";
const VERSION: u8 = 1;
const DOS_LEN: usize = 16;
const SD_HEADER: usize = 8;
/// The smallest self-relative security descriptor: its fixed header.
const SD_MIN: usize = 20;

/// DOS information NTFS keeps and POSIX does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DosInfo {
    /// `FILE_ATTRIBUTE_*` bits, without `FILE_ATTRIBUTE_DIRECTORY` (the driver adds it from
    /// the file type).
    pub attributes: u32,
    /// Creation time as a FILETIME; 0 when unknown.
    pub creation_time: u64,
}

impl DosInfo {
    /// The stored form (see the module docs).
    pub fn encode(&self) -> [u8; DOS_LEN] {
        let mut out = [0u8; DOS_LEN];
        out[..2].copy_from_slice(DOS_MAGIC);
        out[2] = VERSION;
        out[3] = u8::from(self.creation_time != 0);
        let attrs = self.attributes & !FileAttributes::DIRECTORY.bits();
        out[4..8].copy_from_slice(&attrs.to_le_bytes());
        out[8..16].copy_from_slice(&self.creation_time.to_le_bytes());
        out
    }

    /// Parses the stored form; `None` when it is not one.
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != DOS_LEN || &b[..2] != DOS_MAGIC || b[2] != VERSION || b[3] & !1 != 0 {
            return None;
        }
        let attributes = u32::from_le_bytes(b[4..8].try_into().ok()?);
        let ft = u64::from_le_bytes(b[8..16].try_into().ok()?);
        Some(Self {
            attributes: attributes & !FileAttributes::DIRECTORY.bits(),
            creation_time: if b[3] & 1 != 0 { ft } else { 0 },
        })
    }

    /// What a file system without extended attributes implies (see the module docs). `name`
    /// is the file's on-disk name.
    pub fn derive(name: &str, st: &Stat) -> Self {
        let mut attrs = FileAttributes::empty();
        if st.mode & Mode::WUSR.bits() == 0 {
            attrs |= FileAttributes::READONLY;
        }
        if name.starts_with('.') && name != "." && name != ".." {
            attrs |= FileAttributes::HIDDEN;
        }
        if st.file_type() == FileType::RegularFile {
            attrs |= FileAttributes::ARCHIVE;
        }
        let created = st.btime.unwrap_or(st.mtime.min(st.ctime));
        Self {
            attributes: attrs.bits(),
            creation_time: created.to_filetime(),
        }
    }
}

/// Where [`DosRead::info`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DosSource {
    /// The stored attribute.
    Stored,
    /// Derived from the stat data: no attribute stored, a corrupt one, or no xattrs.
    Derived,
}

/// The answer of [`Root::read_dos`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DosRead {
    /// The information.
    pub info: DosInfo,
    /// Whether it was stored or derived.
    pub source: DosSource,
}

/// The answer of [`Root::write_dos`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DosWrite {
    /// `false` when the file system has no extended attributes and only `READONLY` was kept
    /// (as the owner's write bit).
    pub persisted: bool,
}

/// Reads an attribute of at most [`MAX_XATTR`] bytes. `Ok(None)`: absent or oversized.
fn get_capped(fd: impl AsFd, name: &str) -> Result<Option<Vec<u8>>, Errno> {
    let fd = fd.as_fd();
    let mut size = 256;
    for _ in 0..4 {
        let mut buf = vec![0u8; size];
        match rustix::fs::fgetxattr(fd, name, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            Err(Errno::NODATA) => return Ok(None),
            Err(Errno::RANGE) => {
                let want = rustix::fs::fgetxattr_query(fd, name)?;
                if want > MAX_XATTR {
                    tracing::warn!(
                        xattr = name,
                        size = want,
                        "PVFS: oversized attribute ignored"
                    );
                    return Ok(None);
                }
                size = want.max(size);
            }
            Err(e) => return Err(e),
        }
    }
    // The value kept growing under us.
    Err(Errno::RANGE)
}

fn is_unsupported(e: Errno) -> bool {
    e == Errno::NOTSUP || e == Errno::OPNOTSUPP
}

/// The stack buffer an attribute is first read into; a larger one goes through
/// [`get_capped`].
const SMALL_XATTR: usize = 1024;

impl Root {
    fn sd_name(&self) -> &str {
        &self.sd_xattr
    }

    /// Reads the DOS information of the open file `fd` whose on-disk name is `name` (used
    /// for `HIDDEN` when deriving). Derived when nothing valid is stored.
    pub fn read_dos(&self, fd: impl AsFd, name: &str) -> Result<DosRead, NtStatus> {
        self.read_dos_inner(fd.as_fd(), name, None)
    }

    /// As [`read_dos`](Self::read_dos), for a caller that already holds the file's `fstat`
    /// (`st`): deriving then needs no second one.
    pub fn read_dos_with(&self, fd: impl AsFd, name: &str, st: &Stat) -> Result<DosRead, NtStatus> {
        self.read_dos_inner(fd.as_fd(), name, Some(st))
    }

    fn read_dos_inner(
        &self,
        fd: std::os::fd::BorrowedFd<'_>,
        name: &str,
        st: Option<&Stat>,
    ) -> Result<DosRead, NtStatus> {
        if self.fs_supports_xattrs() {
            // A valid value is 16 bytes: one larger than the buffer (ERANGE) is corrupt too.
            let mut buf = [0u8; 64];
            match rustix::fs::fgetxattr(fd, DOS_XATTR_C, &mut buf) {
                Ok(n) => match buf.get(..n).and_then(DosInfo::decode) {
                    Some(info) => {
                        return Ok(DosRead {
                            info,
                            source: DosSource::Stored,
                        });
                    }
                    None => tracing::warn!(name, "PVFS: corrupt {DOS_XATTR} ignored"),
                },
                Err(Errno::RANGE) => tracing::warn!(name, "PVFS: corrupt {DOS_XATTR} ignored"),
                Err(Errno::NODATA) => {}
                Err(e) if is_unsupported(e) => {}
                Err(e) => return Err(map_errno(e)),
            }
        }
        let info = match st {
            Some(st) => DosInfo::derive(name, st),
            None => DosInfo::derive(name, &fstat(fd)?),
        };
        Ok(DosRead {
            info,
            source: DosSource::Derived,
        })
    }

    /// Stores the DOS information of the open file `fd`. Without extended attributes only
    /// `READONLY` is kept, as the owner's write bit, and `persisted` is `false`.
    pub fn write_dos(&self, fd: impl AsFd, info: &DosInfo) -> Result<DosWrite, NtStatus> {
        let fd = fd.as_fd();
        if self.fs_supports_xattrs() {
            match rustix::fs::fsetxattr(fd, DOS_XATTR, &info.encode(), XattrFlags::empty()) {
                Ok(()) => return Ok(DosWrite { persisted: true }),
                Err(e) if is_unsupported(e) => {}
                Err(e) => return Err(map_errno(e)),
            }
        }
        let st = fstat(fd)?;
        let mode = Mode::from_raw_mode(st.mode) & Mode::all();
        let new = if info.attributes & FileAttributes::READONLY.bits() != 0 {
            mode - Mode::WUSR
        } else {
            mode | Mode::WUSR
        };
        if new != mode {
            rustix::fs::fchmod(fd, new).map_err(map_errno)?;
        }
        Ok(DosWrite { persisted: false })
    }

    /// Reads the stored security descriptor of the open file `fd`, if there is a valid one.
    pub fn read_sd(&self, fd: impl AsFd) -> Result<Option<Vec<u8>>, NtStatus> {
        if !self.fs_supports_xattrs() {
            return Ok(None);
        }
        let name = self.sd_name();
        let v = match get_capped(fd, name) {
            Ok(Some(v)) => v,
            Ok(None) => return Ok(None),
            Err(e) if is_unsupported(e) => return Ok(None),
            Err(e) => return Err(map_errno(e)),
        };
        let sd = decode_sd(&v);
        if sd.is_none() {
            tracing::warn!(xattr = %name, "PVFS: corrupt security descriptor ignored");
        }
        Ok(sd)
    }

    /// The security descriptor of the open file `fd` (`st` its stat): the stored one if it
    /// is valid, else `derive()`'s, made from the stat (the caller's POSIX mapping). A
    /// stored descriptor that cannot be read or decoded counts as none, with a warning.
    ///
    /// Decoded descriptors are shared through a small cache keyed by the exact bytes read
    /// (or, for derived ones, by owner, group, mode and type), so the answer is always what
    /// the file holds now; the cache only saves decoding it again.
    pub fn descriptor(
        &self,
        fd: impl AsFd,
        st: &Stat,
        derive: impl FnOnce() -> SecurityDescriptor,
    ) -> Arc<SecurityDescriptor> {
        let mut buf = [0u8; SMALL_XATTR];
        let heap: Vec<u8>;
        let raw: Option<&[u8]> = if !self.fs_supports_xattrs() {
            None
        } else {
            match rustix::fs::fgetxattr(fd.as_fd(), self.sd_xattr_c.as_c_str(), &mut buf) {
                Ok(n) => buf.get(..n),
                Err(Errno::RANGE) => match get_capped(fd.as_fd(), self.sd_name()) {
                    Ok(Some(v)) => {
                        heap = v;
                        Some(&heap)
                    }
                    _ => None,
                },
                Err(_) => None,
            }
        };
        if let Some(raw) = raw {
            match decode_sd_ref(raw) {
                Some(bytes) => {
                    let decoded = self
                        .descriptors
                        .get_or_make(DescriptorKey::Stored(bytes), || {
                            SecurityDescriptor::decode(bytes).ok()
                        });
                    if let Some(sd) = decoded {
                        return sd;
                    }
                    tracing::warn!(
                        "stored security descriptor does not decode; using the POSIX one"
                    );
                }
                None => {
                    tracing::warn!(xattr = %self.sd_name(), "PVFS: corrupt security descriptor ignored");
                }
            }
        }
        let key = DescriptorKey::Derived {
            uid: st.uid,
            gid: st.gid,
            mode: st.mode & 0o7777,
            is_dir: st.is_dir(),
        };
        self.descriptors
            .get_or_make(key, || Some(derive()))
            .unwrap_or_else(|| Arc::new(SecurityDescriptor::new()))
    }

    /// Stores `sd` (a self-relative security descriptor) on the open file `fd`. Fails with
    /// `STATUS_NOT_SUPPORTED` without extended attributes, `STATUS_INVALID_SECURITY_DESCR`
    /// for something too short or not revision 1, `STATUS_INVALID_PARAMETER` when it would
    /// exceed [`MAX_XATTR`].
    pub fn write_sd(&self, fd: impl AsFd, sd: &[u8]) -> Result<(), NtStatus> {
        if !self.fs_supports_xattrs() {
            return Err(NtStatus::NOT_SUPPORTED);
        }
        if sd.len() < SD_MIN || sd[0] != 1 {
            return Err(NtStatus::INVALID_SECURITY_DESCR);
        }
        if sd.len() > MAX_XATTR - SD_HEADER {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let len = u32::try_from(sd.len()).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        let mut v = Vec::with_capacity(SD_HEADER + sd.len());
        v.extend_from_slice(SD_MAGIC);
        v.extend_from_slice(&[VERSION, 0]);
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(sd);
        rustix::fs::fsetxattr(fd, self.sd_name(), &v, XattrFlags::empty()).map_err(|e| match e {
            e if is_unsupported(e) => NtStatus::NOT_SUPPORTED,
            Errno::TOOBIG | Errno::NOSPC | Errno::RANGE => NtStatus::DISK_FULL,
            e => map_errno(e),
        })
    }

    /// Removes the stored security descriptor (no error when there is none).
    pub fn remove_sd(&self, fd: impl AsFd) -> Result<(), NtStatus> {
        if !self.fs_supports_xattrs() {
            return Ok(());
        }
        match rustix::fs::fremovexattr(fd, self.sd_name()) {
            Ok(()) | Err(Errno::NODATA) => Ok(()),
            Err(e) if is_unsupported(e) => Ok(()),
            Err(e) => Err(map_errno(e)),
        }
    }
}

fn decode_sd(v: &[u8]) -> Option<Vec<u8>> {
    decode_sd_ref(v).map(<[u8]>::to_vec)
}

/// The descriptor inside a stored `<ns>.lwio.sd` value, if the value is well formed.
pub(crate) fn decode_sd_ref(v: &[u8]) -> Option<&[u8]> {
    if v.len() < SD_HEADER || &v[..2] != SD_MAGIC || v[2] != VERSION || v[3] != 0 {
        return None;
    }
    let len = usize::try_from(u32::from_le_bytes(v[4..8].try_into().ok()?)).ok()?;
    let sd = &v[SD_HEADER..];
    (sd.len() == len && len >= SD_MIN && sd[0] == 1).then_some(sd)
}

// ---- Extended attributes (EAs) of the NTFS kind ------------------------------------------
//
// # `user.lwio.ea` (always in `user.`: EAs are data any writer of the file may change)
//
// All EAs of a file in one attribute, so a set is one atomic `fsetxattr`; the layout is the
// driver's (`crate::ea`). Absent means "no EAs"; the driver removes it when the last EA goes.

/// The attribute holding a file's EA set.
pub const EA_XATTR: &str = "user.lwio.ea";

impl Root {
    /// Reads the stored EA set of the open file `fd` (the attribute's bytes), `None` when it
    /// has none or the file system has no extended attributes.
    pub fn read_ea_xattr(&self, fd: impl AsFd) -> Result<Option<Vec<u8>>, NtStatus> {
        if !self.fs_supports_xattrs() {
            return Ok(None);
        }
        // Most files have no EAs (a directory listing asks for every entry's EA size): a
        // stack buffer answers them, and small sets, without a heap buffer first.
        let mut buf = [0u8; SMALL_XATTR];
        let read = match rustix::fs::fgetxattr(fd.as_fd(), EA_XATTR, &mut buf) {
            Ok(n) => Ok(Some(buf[..n].to_vec())),
            Err(Errno::NODATA) => Ok(None),
            Err(Errno::RANGE) => get_capped(fd, EA_XATTR),
            Err(e) => Err(e),
        };
        match read {
            Ok(v) => Ok(v),
            Err(e) if is_unsupported(e) => Ok(None),
            Err(e) => Err(map_errno(e)),
        }
    }

    /// Stores `value` as the EA set of the open file `fd`. STATUS_EAS_NOT_SUPPORTED without
    /// extended attributes; STATUS_EA_TOO_LARGE when the file system refuses the size (more
    /// than [`MAX_XATTR`], or more than it keeps per file: one block on ext4 without
    /// `ea_inode`).
    pub fn write_ea_xattr(&self, fd: impl AsFd, value: &[u8]) -> Result<(), NtStatus> {
        if !self.fs_supports_xattrs() {
            return Err(NtStatus::EAS_NOT_SUPPORTED);
        }
        if value.len() > MAX_XATTR {
            return Err(NtStatus::EA_TOO_LARGE);
        }
        rustix::fs::fsetxattr(fd, EA_XATTR, value, XattrFlags::empty()).map_err(|e| match e {
            e if is_unsupported(e) => NtStatus::EAS_NOT_SUPPORTED,
            Errno::TOOBIG | Errno::NOSPC | Errno::RANGE => NtStatus::EA_TOO_LARGE,
            e => map_errno(e),
        })
    }

    /// Removes the EA set of the open file `fd` (no error when there is none).
    pub fn remove_ea_xattr(&self, fd: impl AsFd) -> Result<(), NtStatus> {
        if !self.fs_supports_xattrs() {
            return Ok(());
        }
        match rustix::fs::fremovexattr(fd, EA_XATTR) {
            Ok(()) | Err(Errno::NODATA) => Ok(()),
            Err(e) if is_unsupported(e) => Ok(()),
            Err(e) => Err(map_errno(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_layout() {
        let info = DosInfo {
            attributes: 0x21,
            creation_time: 0x0102_0304_0506_0708,
        };
        let b = info.encode();
        assert_eq!(b, [b'L', b'D', 1, 1, 0x21, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(DosInfo::decode(&b), Some(info));
        let mut bad = b;
        bad[2] = 2;
        assert_eq!(DosInfo::decode(&bad), None);
        assert_eq!(DosInfo::decode(&b[..15]), None);
        // DIRECTORY is never stored.
        let dir = DosInfo {
            attributes: 0x10 | 0x2,
            creation_time: 0,
        };
        assert_eq!(
            DosInfo::decode(&dir.encode()).map(|d| d.attributes),
            Some(2)
        );
    }

    #[test]
    fn sd_layout() {
        let mut sd = vec![1u8, 0, 0x04, 0x80];
        sd.resize(20, 0);
        let mut v = b"LS\x01\x00".to_vec();
        v.extend_from_slice(&20u32.to_le_bytes());
        v.extend_from_slice(&sd);
        assert_eq!(decode_sd(&v), Some(sd.clone()));
        v.push(0);
        assert_eq!(decode_sd(&v), None);
        assert_eq!(decode_sd(b"LS"), None);
    }
}
