//! Windows name rules (MS-FSCC 2.1.5: 2.1.5.1 dot names, 2.1.5.2 file names, 2.1.5.3 stream
//! names, 2.1.5.4 stream types) and path splitting as a create request carries it
//! (MS-FSA 2.1.5.1).
//!
//! Choices where the documents leave room, stated once:
//! * A trailing space or dot in a component is legal: MS-FSCC 2.1.5.2 does not forbid it,
//!   NTFS stores such names, and only the Win32 layer strips them. SMB clients reach the
//!   file system below that layer.
//! * `.` and `..` are dot directory names (2.1.5.1): they are not names a file can be
//!   created with, and a path component that is `.` or `..` fails with
//!   STATUS_OBJECT_NAME_INVALID (the server does not resolve them).
//! * Component length is counted in UTF-16 units (255 at most); a whole path in UTF-16 units
//!   (32,760 at most).
//! * Stream syntax is allowed on the last component only. The stream type, when given, must
//!   be `$DATA` or `$INDEX_ALLOCATION` (case-insensitive); `$INDEX_ALLOCATION` is only valid
//!   with an empty stream name or `$I30`.

use lwio_types::NtStatus;

/// Longest component, in UTF-16 units (MS-FSCC 2.1.5.2).
pub const MAX_COMPONENT_UNITS: usize = 255;
/// Longest path, in UTF-16 units (MS-FSCC 2.1.5).
pub const MAX_PATH_UNITS: usize = 32_760;

const INVALID: NtStatus = NtStatus::OBJECT_NAME_INVALID;

/// Whether `c` may not appear in a file name (MS-FSCC 2.1.5.2): control characters
/// 0x00-0x1F and `" * / : < > ? \ |`.
pub fn is_invalid_name_char(c: char) -> bool {
    (c as u32) < 0x20 || matches!(c, '"' | '*' | '/' | ':' | '<' | '>' | '?' | '\\' | '|')
}

/// Checks one file name component (MS-FSCC 2.1.5.2): non-empty, at most 255 UTF-16 units,
/// no character of [`is_invalid_name_char`], not `.` or `..`. Fails with
/// STATUS_OBJECT_NAME_INVALID.
pub fn validate_component(name: &str) -> Result<(), NtStatus> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.encode_utf16().count() > MAX_COMPONENT_UNITS
        || name.chars().any(is_invalid_name_char)
    {
        return Err(INVALID);
    }
    Ok(())
}

/// A stream type (MS-FSCC 2.1.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamType {
    /// `$DATA`: a data stream.
    Data,
    /// `$INDEX_ALLOCATION`: a directory's index.
    IndexAllocation,
}

/// The stream part of a name: `:name` or `:name:$TYPE` or `::$TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec<'a> {
    /// The stream name; empty for the default stream (`::$DATA`).
    pub name: &'a str,
    /// The type, if one was given.
    pub stream_type: Option<StreamType>,
}

impl StreamSpec<'_> {
    /// True for the unnamed data stream (`::$DATA`).
    pub fn is_default_data(&self) -> bool {
        self.name.is_empty()
    }
}

fn validate_stream_name(name: &str) -> Result<(), NtStatus> {
    if name.encode_utf16().count() > MAX_COMPONENT_UNITS
        || name.chars().any(|c| matches!(c, '\0' | '/' | '\\' | ':'))
    {
        return Err(INVALID);
    }
    Ok(())
}

/// Splits `name[:stream[:type]]` into the file name and the stream part and checks the
/// stream part (the file name is returned unchecked; it may be empty, as in a rename to
/// `:stream`). Fails with STATUS_OBJECT_NAME_INVALID for `name:` , `name:s:`, a type not
/// starting with `$`, an unknown type, more than two colons, or a bad stream name.
pub fn parse_stream_syntax(component: &str) -> Result<(&str, Option<StreamSpec<'_>>), NtStatus> {
    let mut parts = component.splitn(4, ':');
    let file = parts.next().unwrap_or_default();
    let Some(stream) = parts.next() else {
        return Ok((file, None));
    };
    let stream_type = parts.next();
    if parts.next().is_some() {
        return Err(INVALID);
    }
    validate_stream_name(stream)?;
    let stream_type = match stream_type {
        None if stream.is_empty() => return Err(INVALID),
        None => None,
        Some(t) => {
            if t.eq_ignore_ascii_case("$DATA") {
                Some(StreamType::Data)
            } else if t.eq_ignore_ascii_case("$INDEX_ALLOCATION") {
                if !(stream.is_empty() || stream.eq_ignore_ascii_case("$I30")) {
                    return Err(INVALID);
                }
                Some(StreamType::IndexAllocation)
            } else {
                return Err(INVALID);
            }
        }
    };
    Ok((
        file,
        Some(StreamSpec {
            name: stream,
            stream_type,
        }),
    ))
}

/// A path split into components (MS-FSCC 2.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathName<'a> {
    /// The path began with `\` (relative to the volume root rather than to a directory).
    pub absolute: bool,
    /// The path ended with `\`: the target must be a directory.
    pub trailing_backslash: bool,
    /// The file name components, each checked with [`validate_component`]. Empty for the
    /// root (`""` or `"\"`).
    pub components: Vec<&'a str>,
    /// The stream named on the last component, if any.
    pub stream: Option<StreamSpec<'a>>,
}

/// Splits a backslash path as SMB and the I/O manager carry it (`dir\sub\file:stream:$DATA`).
///
/// * `""` and `"\"` are the root (no components).
/// * One leading `\` makes the path absolute; one trailing `\` sets
///   [`PathName::trailing_backslash`] (not allowed together with a stream).
/// * Empty components (`a\\b`, a leading `\\`), `.`/`..` components, invalid characters,
///   over-long components or paths, and stream syntax anywhere but on the last component
///   fail with STATUS_OBJECT_NAME_INVALID.
/// * A last component of only a stream (`:s`, `::$DATA`) is allowed when it is the only
///   component: it names a stream of the directory the path is relative to.
///
/// SMB2 additionally rejects a leading `\` in a create (MS-SMB2 3.3.5.9); that is the
/// server's check, made on [`PathName::absolute`].
pub fn split_path(path: &str) -> Result<PathName<'_>, NtStatus> {
    if path.encode_utf16().count() > MAX_PATH_UNITS {
        return Err(INVALID);
    }
    let (absolute, rest) = match path.strip_prefix('\\') {
        Some(r) => (true, r),
        None => (false, path),
    };
    if rest.is_empty() {
        return Ok(PathName {
            absolute,
            ..PathName::default()
        });
    }
    let (trailing_backslash, rest) = match rest.strip_suffix('\\') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() {
        return Err(INVALID);
    }
    let raw: Vec<&str> = rest.split('\\').collect();
    let count = raw.len();
    let mut components = Vec::with_capacity(count);
    let mut stream = None;
    for (n, part) in raw.into_iter().enumerate() {
        if n + 1 < count {
            validate_component(part)?;
            components.push(part);
            continue;
        }
        let (file, s) = parse_stream_syntax(part)?;
        if s.is_some() && trailing_backslash {
            return Err(INVALID);
        }
        if file.is_empty() {
            if s.is_none() || count > 1 {
                return Err(INVALID);
            }
        } else {
            validate_component(file)?;
            components.push(file);
        }
        stream = s;
    }
    Ok(PathName {
        absolute,
        trailing_backslash,
        components,
        stream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        for ok in [
            "a",
            "a.txt",
            "name with spaces",
            "trailing.",
            "trailing ",
            "ünï",
            "a..b",
        ] {
            assert_eq!(validate_component(ok), Ok(()), "{ok:?}");
        }
        let long = "x".repeat(255);
        assert_eq!(validate_component(&long), Ok(()));
        for bad in [
            "", ".", "..", "a*b", "a?b", "a:b", "a/b", "a\\b", "a|b", "a<b", "a>b", "a\"b",
            "a\u{1}",
        ] {
            assert_eq!(validate_component(bad), Err(INVALID), "{bad:?}");
        }
        assert_eq!(validate_component(&"x".repeat(256)), Err(INVALID));
        // 255 UTF-16 units of a supplementary character = 128 chars is too long.
        assert_eq!(validate_component(&"😀".repeat(128)), Err(INVALID));
    }

    #[test]
    fn paths() {
        let p = split_path("dir\\sub\\file.txt").unwrap();
        assert_eq!(p.components, ["dir", "sub", "file.txt"]);
        assert!(!p.absolute && !p.trailing_backslash && p.stream.is_none());
        let p = split_path("\\dir\\").unwrap();
        assert!(p.absolute && p.trailing_backslash);
        assert_eq!(p.components, ["dir"]);
        assert_eq!(split_path("").unwrap(), PathName::default());
        assert!(split_path("\\").unwrap().absolute);
        for bad in [
            "a\\\\b", "\\\\a", "a\\.\\b", "a\\..", "..", "\\\\", "a:s\\b", "a*",
        ] {
            assert_eq!(split_path(bad), Err(INVALID), "{bad:?}");
        }
        assert_eq!(split_path(&"a\\".repeat(16_381)), Err(INVALID));
    }

    #[test]
    fn streams() {
        let p = split_path("f:s:$DATA").unwrap();
        assert_eq!(p.components, ["f"]);
        assert_eq!(
            p.stream,
            Some(StreamSpec {
                name: "s",
                stream_type: Some(StreamType::Data)
            })
        );
        let p = split_path("d\\f::$data").unwrap();
        assert!(p.stream.unwrap().is_default_data());
        let p = split_path("f:s").unwrap();
        assert_eq!(p.stream.unwrap().stream_type, None);
        let p = split_path("dir:$I30:$INDEX_ALLOCATION").unwrap();
        assert_eq!(
            p.stream.unwrap().stream_type,
            Some(StreamType::IndexAllocation)
        );
        let p = split_path(":s").unwrap();
        assert!(p.components.is_empty());
        for bad in [
            "f:",
            "f:s:",
            "f:s:DATA",
            "f:s:$FOO",
            "f:a:b:c",
            "f::",
            "d\\:s",
            "f:s\\",
            "f:x:$INDEX_ALLOCATION",
            "f:a/b",
        ] {
            assert_eq!(split_path(bad), Err(INVALID), "{bad:?}");
        }
        assert_eq!(parse_stream_syntax(":new").unwrap().0, "");
    }
}
