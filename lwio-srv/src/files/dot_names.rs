//! `.` and `..` in the path names of CREATE, collapsed before the name reaches a file system.
//!
//! A path name on the wire (MS-SMB2 2.2.13 `Buffer`, relative to the share root) may spell
//! the dot directory names of MS-FSCC 2.1.5.1 as components: `.` is the directory named so
//! far and `..` its parent, so `dirA\.\dirB` is `dirA\dirB` and `dirA\dirB\..\dirC` is
//! `dirA\dirC`. Clients are not to send them (2.1.5.1), but some do: smbtorture's
//! `smb2.notify.tree` opens `test_notify\zqy\..` and expects the directory `test_notify`,
//! as Windows' server gives it. The server resolves them lexically, as text, before it asks
//! the file system: `a\b\..` is `a` whatever `a\b` is on disk (a missing `b` does not
//! matter, and no link is followed to find a parent).
//!
//! A `..` that would climb above the share root is refused with
//! STATUS_OBJECT_PATH_SYNTAX_BAD. MS-FSCC 2.1.5.1 would read it as `.` instead, but
//! Windows' server refuses it: smbtorture's expectations of Windows answer `..`, `\..` and
//! `BASEDIR\..\..` with STATUS_OBJECT_PATH_SYNTAX_BAD (and `BASEDIR\..` with the root),
//! as Samba does, and as PVFS answers a leading `..` itself. A name that means to leave
//! the share is a client's error, never silently the root.
//!
//! Only the server collapses. File systems keep refusing `.` and `..` components (PVFS's
//! jail: a leading `..` is STATUS_OBJECT_PATH_SYNTAX_BAD, any other STATUS_OBJECT_NAME_INVALID),
//! so a caller of the I/O manager that skips this step can never climb out of a share.
//!
//! Both `\` and `/` separate components here, as they do on the way to the device path
//! ([`Share::device_path`](crate::state::Share::device_path)). A name with dot components
//! and an empty component (`a\\..`) is refused with STATUS_OBJECT_NAME_INVALID rather than
//! guessed at: an empty component is no valid name (MS-FSCC 2.1.5.2), and collapsing across
//! it would decide what it meant. A component is `.` or `..` only when it is exactly that:
//! `...`, `.. ` or `..:stream` are names (or stream syntax) the file system judges.

use std::borrow::Cow;

use lwio_core::NtStatus;

/// Whether `c` separates path components.
fn is_separator(c: char) -> bool {
    c == '\\' || c == '/'
}

/// Whether `part` is a `.` or `..` component.
fn is_dot(part: &str) -> bool {
    part == "." || part == ".."
}

/// `name` with its `.` and `..` components resolved lexically (the name itself when it has
/// none, without allocating). The result may be empty: the share root.
///
/// Errors: STATUS_OBJECT_PATH_SYNTAX_BAD when a `..` would leave the share root;
/// STATUS_OBJECT_NAME_INVALID when a name with dot components also has an empty one.
pub(crate) fn collapse(name: &str) -> Result<Cow<'_, str>, NtStatus> {
    if !name.split(is_separator).any(is_dot) {
        return Ok(Cow::Borrowed(name));
    }
    // At most one kept component per component of the name: bounded by the name's length,
    // which the request's own length bounds.
    let mut kept: Vec<&str> = Vec::new();
    for part in name.split(is_separator) {
        match part {
            "" => return Err(NtStatus::OBJECT_NAME_INVALID),
            "." => {}
            ".." => {
                if kept.pop().is_none() {
                    return Err(NtStatus::OBJECT_PATH_SYNTAX_BAD);
                }
            }
            _ => kept.push(part),
        }
    }
    Ok(Cow::Owned(kept.join("\\")))
}

#[cfg(test)]
mod tests {
    use super::collapse;
    use lwio_core::NtStatus;

    fn ok(name: &str) -> String {
        collapse(name)
            .map(|c| c.into_owned())
            .unwrap_or_else(|s| panic!("{name}: {s}"))
    }

    #[test]
    fn names_without_dots_pass_untouched() {
        for name in [
            "", "a", "a\\b", "a/b", "...", "a\\...", "..a", "a..", ".a", "a\\.. ",
        ] {
            assert!(matches!(collapse(name), Ok(std::borrow::Cow::Borrowed(n)) if n == name));
        }
        // Stream syntax on a dot-like component is the file system's to judge.
        assert_eq!(ok("a\\..:s"), "a\\..:s");
    }

    #[test]
    fn dots_collapse_lexically() {
        assert_eq!(ok("test_notify\\zqy\\.."), "test_notify");
        assert_eq!(ok("a\\.\\b"), "a\\b");
        assert_eq!(ok("a\\b\\..\\c"), "a\\c");
        assert_eq!(ok("a\\b\\..\\..\\c"), "c");
        assert_eq!(ok("a\\.."), "");
        assert_eq!(ok("."), "");
        assert_eq!(ok(".\\a"), "a");
        assert_eq!(ok("a/b/../c"), "a\\c");
        assert_eq!(ok("a\\b/..\\.\\c:s:$DATA"), "a\\c:s:$DATA");
    }

    #[test]
    fn climbing_out_of_the_share_is_a_syntax_error() {
        for name in [
            "..",
            "..\\a",
            "..\\..",
            "a\\..\\..",
            "a\\..\\..\\a",
            ".\\..",
            "a/../..",
            "a\\b\\..\\..\\..\\etc\\passwd",
            "../x",
        ] {
            assert_eq!(
                collapse(name),
                Err(NtStatus::OBJECT_PATH_SYNTAX_BAD),
                "{name}"
            );
        }
    }

    #[test]
    fn empty_components_beside_dots_are_refused() {
        for name in ["a\\\\..", "a\\..\\", "\\..", "a\\.\\\\b", "a//.."] {
            assert_eq!(collapse(name), Err(NtStatus::OBJECT_NAME_INVALID), "{name}");
        }
    }
}
