//! Script lines: words with shell-like quoting, `#` comments, and the `!` prefix that says a
//! line must fail (optionally with the status named by its last word).

use lwio_core::NtStatus;

use super::error::ToolError;
use super::names::parse_status;

/// One meaningful script line, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedLine {
    /// `Some` when the line starts with `!`: it must fail, with this status when given.
    pub(crate) expect_failure: Option<Option<NtStatus>>,
    /// The command's words.
    pub(crate) words: Vec<String>,
}

/// Splits a line into words: blanks separate words; `'...'` quotes literally; `"..."`
/// quotes with `\"` and `\\` escapes; an unquoted word starting with `#` ends the line.
/// Backslashes outside double quotes are literal (Windows paths).
pub(crate) fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => return Ok(words),
            Some(_) => {}
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated ' quote".to_owned()),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated \" quote".to_owned()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated \" quote".to_owned()),
                    }
                },
                c => word.push(c),
            }
        }
        words.push(word);
    }
}

/// Parses one line; `None` for blank and comment lines.
pub(crate) fn parse_line(line: &str) -> Result<Option<ParsedLine>, ToolError> {
    let trimmed = line.trim_start();
    let (bang, rest) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut words = split_words(rest).map_err(ToolError::Usage)?;
    if words.is_empty() {
        return if bang {
            Err(ToolError::Usage("`!` needs a command".to_owned()))
        } else {
            Ok(None)
        };
    }
    let expect_failure = if bang {
        let named = words.last().is_some_and(|w| looks_like_status(w));
        if named {
            let word = words.pop().unwrap_or_default();
            Some(Some(parse_status(&word).map_err(ToolError::Usage)?))
        } else {
            Some(None)
        }
    } else {
        None
    };
    if words.is_empty() {
        return Err(ToolError::Usage("`!` needs a command".to_owned()));
    }
    Ok(Some(ParsedLine {
        expect_failure,
        words,
    }))
}

/// A word that names a status (`STATUS_...`, `RPC_NT_...`); numbers are never statuses
/// here, since a lock length may be written in hex.
fn looks_like_status(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    upper.starts_with("STATUS_") || upper.starts_with("RPC_NT_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s).unwrap()
    }

    #[test]
    fn words_quotes_and_comments() {
        assert_eq!(
            words("  read  h1 --offset 4 "),
            ["read", "h1", "--offset", "4"]
        );
        assert_eq!(
            words(r#"write a --data "hello world" # trailing"#),
            ["write", "a", "--data", "hello world"]
        );
        assert_eq!(
            words(r#"x 'a "b"' "c \"d\" \\ \n""#),
            ["x", r#"a "b""#, r#"c "d" \ \n"#]
        );
        assert_eq!(words(r"stat dir\file"), ["stat", r"dir\file"]);
        assert_eq!(words("a#b"), ["a#b"]);
        assert!(words("# only a comment").is_empty());
        assert!(split_words("x 'open").is_err());
        assert!(split_words("x \"open").is_err());
    }

    #[test]
    fn expected_failures() {
        assert_eq!(parse_line("   ").unwrap(), None);
        assert_eq!(parse_line("# c").unwrap(), None);
        let line = parse_line("lock h1 0 10").unwrap().unwrap();
        assert_eq!(line.expect_failure, None);
        let line = parse_line("! lock h2 0 10 STATUS_LOCK_NOT_GRANTED")
            .unwrap()
            .unwrap();
        assert_eq!(line.expect_failure, Some(Some(NtStatus::LOCK_NOT_GRANTED)));
        assert_eq!(line.words, ["lock", "h2", "0", "10"]);
        let line = parse_line("!lock h2 0 0x10").unwrap().unwrap();
        assert_eq!(line.expect_failure, Some(None));
        assert_eq!(line.words, ["lock", "h2", "0", "0x10"]);
        assert!(matches!(
            parse_line("! lock h2 0 1 STATUS_NOT_A_THING"),
            Err(ToolError::Usage(_))
        ));
        assert!(matches!(parse_line("!"), Err(ToolError::Usage(_))));
        assert!(matches!(
            parse_line("! STATUS_ACCESS_DENIED"),
            Err(ToolError::Usage(_))
        ));
    }
}
