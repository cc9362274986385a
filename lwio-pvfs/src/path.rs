//! Device-relative paths: `/`-separated components, each a valid Windows name, with stream
//! syntax (`name:stream[:$DATA]`, `name::$DATA`) on the last component only. The create
//! path splits the stream off first ([`split_stream`]); everything else takes paths
//! without a named stream ([`components`], [`checked`]).

use lwio_core::NtStatus;
use lwio_fscc::{parse_stream_syntax, validate_component};

/// Splits `path` into checked components. The empty path is the share root. A named
/// stream is STATUS_OBJECT_NAME_INVALID here: only a create takes one ([`split_stream`]).
pub(crate) fn components(path: &str) -> Result<Vec<&str>, NtStatus> {
    let mut out: Vec<&str> = Vec::new();
    each_component(path, |_, name| out.push(name))?;
    Ok(out)
}

/// Checks `path` as [`components`] does and gives its on-disk spelling (see [`on_disk`]),
/// without allocating: the hot path of an open.
pub(crate) fn checked(path: &str) -> Result<&str, NtStatus> {
    let mut stream = 0;
    each_component(path, |part, name| stream = part.len() - name.len())?;
    Ok(path.get(..path.len() - stream).unwrap_or(path))
}

/// Checks each `/`-separated part of `path` and hands it to `f` with its name (the part
/// without `::$DATA`, which only the last may have).
fn each_component<'p>(path: &'p str, mut f: impl FnMut(&'p str, &'p str)) -> Result<(), NtStatus> {
    if path.is_empty() {
        return Ok(());
    }
    let mut first = true;
    let mut rest = path;
    loop {
        // A byte search: `/` is ASCII, so it never splits a character.
        let (part, last) = match rest.bytes().position(|b| b == b'/') {
            Some(i) => (&rest[..i], false),
            None => (rest, true),
        };
        let name = if last && part.contains(':') {
            let (name, stream) = parse_stream_syntax(part)?;
            match stream {
                Some(s) if s.is_default_data() => name,
                Some(_) => return Err(NtStatus::OBJECT_NAME_INVALID),
                None => name,
            }
        } else {
            part
        };
        // A leading `..` would climb out of the share: a syntax error of the path, as
        // Samba and Windows report it. Elsewhere `.` and `..` are invalid names.
        if name == ".." && first {
            return Err(NtStatus::OBJECT_PATH_SYNTAX_BAD);
        }
        validate_component(name)?;
        f(part, name);
        if last {
            return Ok(());
        }
        first = false;
        rest = &rest[part.len() + 1..];
    }
}

/// What the last component of a create's path names besides the file (MS-FSCC 2.1.5.3,
/// 2.1.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamPart<'p> {
    /// No stream syntax: the file (or directory) itself.
    None,
    /// `name::$DATA`: the file's unnamed data stream, which a directory has not.
    DefaultData,
    /// `name:$I30:$INDEX_ALLOCATION` or `name::$INDEX_ALLOCATION`: a directory's index,
    /// which only a directory has.
    Index,
    /// `name:stream` or `name:stream:$DATA`: a named data stream, as spelled.
    Named(&'p str),
}

/// Splits the stream syntax off the last component of `path`: the file's path (not yet
/// checked: [`components`] does that) and what the stream part names. A bad stream part
/// (`name:`, `name:s:$BAD`, a `/` or `\` in the stream name...) is
/// STATUS_OBJECT_NAME_INVALID, as is stream syntax on the share root.
pub(crate) fn split_stream(path: &str) -> Result<(&str, StreamPart<'_>), NtStatus> {
    // Every open comes through here: a path without a colon (nearly all) costs one scan
    // of its bytes.
    if !path.bytes().any(|b| b == b':') {
        return Ok((path, StreamPart::None));
    }
    let start = path.rfind('/').map_or(0, |i| i + 1);
    let last = &path[start..];
    if !last.contains(':') {
        return Ok((path, StreamPart::None));
    }
    let (name, spec) = parse_stream_syntax(last)?;
    let Some(spec) = spec else {
        return Ok((path, StreamPart::None));
    };
    if name.is_empty() {
        return Err(NtStatus::OBJECT_NAME_INVALID);
    }
    let file = &path[..start + name.len()];
    let part = match spec.stream_type {
        Some(lwio_fscc::StreamType::IndexAllocation) => StreamPart::Index,
        _ if spec.is_default_data() => StreamPart::DefaultData,
        _ => StreamPart::Named(spec.name),
    };
    Ok((file, part))
}

/// The Windows form of a share-relative path, as FileNameInformation reports it:
/// `\dir\file`, and `\` for the root.
pub(crate) fn windows_name(path: &str) -> String {
    let mut s = String::with_capacity(path.len() + 1);
    s.push('\\');
    s.push_str(&path.replace('/', "\\"));
    s
}

/// Splits a share-relative on-disk path into (parent, last name).
pub(crate) fn split_last(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((parent, name)) => (parent, name),
        None => ("", path),
    }
}

/// Joins a parent and a name into a share-relative path.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_checked() {
        assert_eq!(components("").unwrap(), Vec::<&str>::new());
        assert_eq!(
            components("a/B c/d.txt").unwrap(),
            vec!["a", "B c", "d.txt"]
        );
        assert_eq!(components("a/f::$DATA").unwrap(), vec!["a", "f"]);
        for bad in [
            "a//b",
            "a/",
            "/a",
            "a/../b",
            "a:s",
            "f:s:$DATA",
            "a*b",
            "a/b?",
            "a\\b",
        ] {
            assert_eq!(components(bad), Err(NtStatus::OBJECT_NAME_INVALID), "{bad}");
            assert_eq!(checked(bad), Err(NtStatus::OBJECT_NAME_INVALID), "{bad}");
        }
        for bad in ["..", "../a", "../../.."] {
            assert_eq!(
                components(bad),
                Err(NtStatus::OBJECT_PATH_SYNTAX_BAD),
                "{bad}"
            );
        }
        for (p, want) in [
            ("", ""),
            ("a", "a"),
            ("a/b.txt", "a/b.txt"),
            ("a/f::$DATA", "a/f"),
            ("f::$DATA", "f"),
        ] {
            assert_eq!(checked(p), Ok(want), "{p}");
        }
        assert_eq!(windows_name("a/b"), "\\a\\b");
        assert_eq!(windows_name(""), "\\");
        assert_eq!(split_last("a/b/c"), ("a/b", "c"));
        assert_eq!(split_last("c"), ("", "c"));
        assert_eq!(join("", "c"), "c");
        assert_eq!(join("a", "c"), "a/c");
    }

    #[test]
    fn streams_split_off() {
        assert_eq!(split_stream("a/f"), Ok(("a/f", StreamPart::None)));
        assert_eq!(split_stream("a/f:s"), Ok(("a/f", StreamPart::Named("s"))));
        assert_eq!(
            split_stream("f:Str eam:$data"),
            Ok(("f", StreamPart::Named("Str eam")))
        );
        assert_eq!(
            split_stream("d/f::$DATA"),
            Ok(("d/f", StreamPart::DefaultData))
        );
        assert_eq!(
            split_stream("d:$I30:$INDEX_ALLOCATION"),
            Ok(("d", StreamPart::Index))
        );
        for bad in [
            "f:", "f:s:", "f:s:$FOO", "f:s:DATA", "f::", ":s", "a/:s", "f:a:b:c",
        ] {
            assert_eq!(
                split_stream(bad),
                Err(NtStatus::OBJECT_NAME_INVALID),
                "{bad}"
            );
        }
        // A colon before the last component is the file name's, checked later.
        assert_eq!(split_stream("a:b/f"), Ok(("a:b/f", StreamPart::None)));
        assert_eq!(components("a:b/f"), Err(NtStatus::OBJECT_NAME_INVALID));
    }
}
