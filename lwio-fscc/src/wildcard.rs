//! Name matching for directory queries (MS-FSA 2.1.4.4, wildcards from 2.1.4.3).
//!
//! * `*` matches zero or more characters; `?` exactly one.
//! * `<` (DOS_STAR) matches zero or more characters but never the final `.` of the name.
//! * `>` (DOS_QM) matches one character other than `.`; at a `.` or at the end of the name it
//!   matches nothing, so a run of `>` "advances to the end of the run".
//! * `"` (DOS_DOT) matches a `.`, or nothing at the end of the name.
//!
//! Part 1 of the algorithm is kept: an empty name matches only an empty expression, `*` and
//! `*.*` match every non-empty name (names without a dot too), and `*` followed by literal
//! text is a suffix comparison. Part 2 runs as a set of expression positions advanced one
//! name character at a time (a Thompson NFA), so the cost is at most
//! `name.len() * expression.len()` steps whatever the pattern: no backtracking.
//!
//! Case folding, when asked for, maps both sides with Unicode simple uppercase: the result of
//! `char::to_uppercase` when it is a single character, the character itself otherwise (so
//! `ß` stays `ß`). Wildcard characters are never folded.

/// Whether `c` is one of the five wildcard characters of MS-FSA 2.1.4.3.
pub fn is_wildcard(c: char) -> bool {
    matches!(c, '*' | '?' | '<' | '>' | '"')
}

/// Whether `expression` holds any wildcard character.
pub fn has_wildcards(expression: &str) -> bool {
    expression.chars().any(is_wildcard)
}

fn fold(c: char, ignore_case: bool) -> char {
    if !ignore_case {
        return c;
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// MS-FSA 2.1.4.4: whether `name` (no wildcards of its own) matches `expression`.
pub fn is_in_expression(expression: &str, name: &str, ignore_case: bool) -> bool {
    // Part 1: special cases.
    if name.is_empty() || expression.is_empty() {
        return name.is_empty() && expression.is_empty();
    }
    if expression == "*" || expression == "*.*" {
        return true;
    }
    let expr: Vec<char> = expression.chars().map(|c| fold(c, ignore_case)).collect();
    let name: Vec<char> = name.chars().map(|c| fold(c, ignore_case)).collect();
    if expr[0] == '*' && !expr[1..].iter().copied().any(is_wildcard) {
        let tail = &expr[1..];
        return name.len() >= tail.len() && name[name.len() - tail.len()..] == *tail;
    }
    // Part 2: position set over the expression; `expr.len()` is the accepting position.
    let last_dot = name.iter().rposition(|&c| c == '.');
    let n = expr.len();
    let mut current = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    current[0] = true;
    for pos in 0..=name.len() {
        let ch = name.get(pos).copied();
        // Zero-width moves, in expression order so that chains close in one pass.
        for s in 0..n {
            if !current[s] {
                continue;
            }
            let zero_width = match expr[s] {
                '*' | '<' => true,
                '>' => matches!(ch, None | Some('.')),
                '"' => ch.is_none(),
                _ => false,
            };
            if zero_width {
                current[s + 1] = true;
            }
        }
        let Some(c) = ch else {
            return current[n];
        };
        next.iter_mut().for_each(|b| *b = false);
        let mut any = false;
        for s in 0..n {
            if !current[s] {
                continue;
            }
            let (stay, advance) = match expr[s] {
                '*' => (true, false),
                '<' => (c != '.' || last_dot.is_some_and(|d| d > pos), false),
                '?' => (false, true),
                '>' => (false, c != '.'),
                '"' => (false, c == '.'),
                lit => (false, lit == c),
            };
            if stay {
                next[s] = true;
                any = true;
            }
            if advance {
                next[s + 1] = true;
                any = true;
            }
        }
        if !any {
            return false;
        }
        std::mem::swap(&mut current, &mut next);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The algorithm written the obvious way, by backtracking; exponential, so only for small
    /// inputs.
    fn reference(expression: &str, name: &str, ignore_case: bool) -> bool {
        if name.is_empty() || expression.is_empty() {
            return name.is_empty() && expression.is_empty();
        }
        if expression == "*" || expression == "*.*" {
            return true;
        }
        let e: Vec<char> = expression.chars().map(|c| fold(c, ignore_case)).collect();
        let n: Vec<char> = name.chars().map(|c| fold(c, ignore_case)).collect();
        let last_dot = n.iter().rposition(|&c| c == '.');
        fn go(e: &[char], n: &[char], pos: usize, last_dot: Option<usize>) -> bool {
            let Some((&first, rest)) = e.split_first() else {
                return pos == n.len();
            };
            match first {
                '*' => (pos..=n.len()).any(|k| go(rest, n, k, last_dot)),
                '<' => (pos..=n.len())
                    .take_while(|&k| last_dot.is_none_or(|d| k <= d || pos > d))
                    .any(|k| go(rest, n, k, last_dot)),
                '?' => pos < n.len() && go(rest, n, pos + 1, last_dot),
                '>' => {
                    if pos == n.len() || n[pos] == '.' {
                        go(rest, n, pos, last_dot)
                    } else {
                        go(rest, n, pos + 1, last_dot)
                    }
                }
                '"' => {
                    if pos == n.len() {
                        go(rest, n, pos, last_dot)
                    } else {
                        n[pos] == '.' && go(rest, n, pos + 1, last_dot)
                    }
                }
                c => pos < n.len() && n[pos] == c && go(rest, n, pos + 1, last_dot),
            }
        }
        go(&e, &n, 0, last_dot)
    }

    const TABLE: &[(&str, &str, bool)] = &[
        // Part 1 special cases.
        ("", "", true),
        ("", "a", false),
        ("a", "", false),
        ("*", "anything", true),
        ("*", "noext", true),
        ("*.*", "noext", true),
        ("*.*", "a.b", true),
        ("*.txt", "notes.txt", true),
        ("*.txt", "notes.txt.bak", false),
        ("*.txt", ".txt", true),
        // Literals.
        ("abc", "abc", true),
        ("abc", "abd", false),
        ("abc", "ab", false),
        // `?`.
        ("?", "a", true),
        ("?", "ab", false),
        ("a?c", "abc", true),
        ("a?c", "a.c", true),
        ("???", "ab", false),
        // `*` in the middle and repeated.
        ("a*b", "ab", true),
        ("a*b", "axxb", true),
        ("a*b", "axxbc", false),
        ("*a*a*a*b", "aaaab", true),
        ("*a*a*a*b", "aaaaa", false),
        ("*.", "foo.", true),
        ("*.", "foo", false),
        ("*.?", "a.b", true),
        // DOS_STAR `<`.
        ("<.txt", "a.txt", true),
        ("<.txt", "a.b.txt", true),
        ("<.txt", "a.txt.old", false),
        ("<", "abc", true),
        ("<", "a.b", false),
        ("<.<", "a.b", true),
        ("<.<", "a.b.c", true),
        ("<b", "a.b", false),
        // DOS_STAR + DOS_DOT: names without an extension.
        ("<\"", "foo", true),
        ("<\"", "foo.", true),
        ("<\"", "foo.txt", false),
        ("<\"*", "foo.txt", true),
        // DOS_QM `>`.
        (">>>", "abc", true),
        (">>>", "ab", true),
        (">>>", "", false),
        (">>>", "abcd", false),
        (">>>.txt", "ab.txt", true),
        (">>>.txt", "abcd.txt", false),
        ("a>", "a", true),
        ("a>>", "ab", true),
        (">.>", "a.", true),
        (">", ".", false),
        // DOS_DOT `"`.
        ("foo\"", "foo", true),
        ("foo\"", "foo.", true),
        ("foo\"", "foox", false),
        ("foo\"txt", "foo.txt", true),
        ("foo\"txt", "footxt", false),
        // Trailing dots and dot names.
        ("foo.", "foo.", true),
        ("foo.", "foo", false),
        ("*", ".", true),
        ("..", "..", true),
        ("?", ".", true),
    ];

    #[test]
    fn table_case_sensitive() {
        for &(e, n, want) in TABLE {
            assert_eq!(is_in_expression(e, n, false), want, "{e:?} vs {n:?}");
            assert_eq!(reference(e, n, false), want, "reference {e:?} vs {n:?}");
        }
        assert!(TABLE.len() >= 40);
    }

    #[test]
    fn case_folding() {
        let rows: &[(&str, &str, bool, bool)] = &[
            ("*.TXT", "a.txt", true, false),
            ("ABC", "abc", true, false),
            ("a?C", "Abc", true, false),
            ("<.Txt", "x.y.TXT", true, false),
            ("ÄÖ*", "äöx", true, false),
            ("STRASSE", "straße", false, false),
            ("Σ", "σ", true, false),
        ];
        for &(e, n, insensitive, sensitive) in rows {
            assert_eq!(is_in_expression(e, n, true), insensitive, "{e:?} vs {n:?}");
            assert_eq!(is_in_expression(e, n, false), sensitive, "{e:?} vs {n:?}");
        }
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let name = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(200));
        let start = std::time::Instant::now();
        assert!(!is_in_expression(&pattern, &name, true));
        let pattern2 = format!("{}a", "<a".repeat(200));
        assert!(is_in_expression(&pattern2, &name, false));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    proptest! {
        #[test]
        fn agrees_with_reference(
            e in "[ab.*?<>\"]{0,7}",
            n in "[abAB.]{0,7}",
            ic in any::<bool>(),
        ) {
            prop_assert_eq!(is_in_expression(&e, &n, ic), reference(&e, &n, ic));
        }
    }
}
