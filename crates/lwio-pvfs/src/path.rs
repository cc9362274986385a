//! Device-relative paths: `/`-separated components, each a valid Windows name, with stream
//! syntax allowed only as the default data stream (`name::$DATA`).

use lwio_core::NtStatus;
use lwio_fscc::{parse_stream_syntax, validate_component};

/// Splits `path` into checked components. The empty path is the share root. A named
/// stream is STATUS_OBJECT_NAME_INVALID: PVFS has no streams.
pub(crate) fn components(path: &str) -> Result<Vec<&str>, NtStatus> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<&str> = Vec::new();
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
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
        validate_component(name)?;
        if name == "." || name == ".." {
            return Err(NtStatus::OBJECT_NAME_INVALID);
        }
        out.push(name);
    }
    Ok(out)
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
            "..",
            "a/../b",
            "a:s",
            "f:s:$DATA",
            "a*b",
            "a/b?",
            "a\\b",
        ] {
            assert_eq!(components(bad), Err(NtStatus::OBJECT_NAME_INVALID), "{bad}");
        }
        assert_eq!(windows_name("a/b"), "\\a\\b");
        assert_eq!(windows_name(""), "\\");
        assert_eq!(split_last("a/b/c"), ("a/b", "c"));
        assert_eq!(split_last("c"), ("", "c"));
        assert_eq!(join("", "c"), "c");
        assert_eq!(join("a", "c"), "a/c");
    }
}
