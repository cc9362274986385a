//! Name checks and case folding. Pure functions: no system calls.

use std::ffi::OsStr;
use std::path::{Component, Path};

use lwio_core::NtStatus;

/// The longest name, in bytes, Linux file systems take (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// Refuses a name that could leave its directory or is not one component: empty, `.`, `..`,
/// or holding `/` or NUL (`STATUS_OBJECT_NAME_INVALID`); also one longer than 255 bytes.
///
/// The driver already hands over Windows-valid names; this is defence in depth.
pub fn validate_name(name: &str) -> Result<(), NtStatus> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > NAME_MAX
        || name.bytes().any(|b| b == b'/' || b == 0)
    {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    Ok(())
}

/// Splits a relative on-disk path into its components, refusing (before any system call) an
/// absolute path, `..`, and NUL bytes. `.` components are dropped; an empty result is the root.
pub(crate) fn split_rel(rel: &Path) -> Result<Vec<&OsStr>, NtStatus> {
    use std::os::unix::ffi::OsStrExt;
    if rel.as_os_str().as_bytes().contains(&0) {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    let mut out = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) if n.len() <= NAME_MAX => out.push(n),
            Component::CurDir => {}
            _ => return Err(NtStatus::OBJECT_NAME_INVALID),
        }
    }
    Ok(out)
}

/// The key two names share when they differ only in case: each character is upper-cased when
/// its simple mapping is a single character (as NTFS's `$UpCase` table does), otherwise kept.
/// No normalisation: `"Ä"` (U+00C4) and `"A\u{308}"` stay different, as on NTFS.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let mut up = c.to_uppercase();
        match (up.next(), up.next()) {
            (Some(u), None) => out.push(u),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refused() {
        for bad in ["", ".", "..", "a/b", "/", "a\0b", &"x".repeat(256)] {
            assert_eq!(
                validate_name(bad),
                Err(NtStatus::OBJECT_NAME_INVALID),
                "{bad:?}"
            );
        }
        for good in ["a", "...", ".hidden", "Ä", "a b", &"x".repeat(255)] {
            assert_eq!(validate_name(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn dotdot_in_every_position_is_refused() {
        for p in ["..", "../a", "a/..", "a/../b", "a/b/..", "/a", "/", "a/\0"] {
            assert_eq!(
                split_rel(Path::new(p)),
                Err(NtStatus::OBJECT_NAME_INVALID),
                "{p:?}"
            );
        }
        assert_eq!(split_rel(Path::new("")).map(|v| v.len()), Ok(0));
        assert_eq!(split_rel(Path::new("./a/./b/")).map(|v| v.len()), Ok(2));
    }

    #[test]
    fn folding() {
        assert_eq!(fold_name("Readme.TXT"), fold_name("README.txt"));
        assert_eq!(fold_name("Ä"), fold_name("ä"));
        assert_eq!(fold_name("straße"), "STRAßE");
        assert_ne!(fold_name("Ä"), fold_name("A\u{308}"));
    }
}
