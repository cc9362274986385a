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
//! text is a suffix comparison. Part 2 runs the expression as a set of positions advanced one
//! name character at a time (a Thompson NFA, no backtracking), and the set is a 256-bit word:
//! an expression is a file name pattern, at most 255 UTF-16 units (longer ones are refused
//! with STATUS_OBJECT_NAME_INVALID, MS-FSA 2.1.5.5), so each name character costs a fixed
//! handful of word operations and matching is linear in the name's length.
//!
//! [`Expression`] compiles a pattern once for a whole directory scan; [`is_in_expression`]
//! is the one-shot form.
//!
//! Case folding, when asked for, maps both sides with Unicode simple uppercase: the result of
//! `char::to_uppercase` when it is a single character, the character itself otherwise (so
//! `ß` stays `ß`). Wildcard characters are never folded.

use crate::names::MAX_COMPONENT_UNITS;

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

/// A set of expression positions 0..=255: bit `s` is position `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Bits([u64; 4]);

impl Bits {
    fn bit(s: usize) -> Bits {
        let mut b = Bits::default();
        b.0[s / 64] |= 1 << (s % 64);
        b
    }
    fn has(self, s: usize) -> bool {
        self.0[s / 64] & (1 << (s % 64)) != 0
    }
    fn is_empty(self) -> bool {
        self.0 == [0; 4]
    }
    fn zip(self, o: Bits, f: impl Fn(u64, u64) -> u64) -> Bits {
        Bits(std::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
    fn and(self, o: Bits) -> Bits {
        self.zip(o, |a, b| a & b)
    }
    fn or(self, o: Bits) -> Bits {
        self.zip(o, |a, b| a | b)
    }
    /// Every position moved up by one (the top position falls off).
    fn shl1(self) -> Bits {
        let w = self.0;
        Bits([
            w[0] << 1,
            (w[1] << 1) | (w[0] >> 63),
            (w[2] << 1) | (w[1] >> 63),
            (w[3] << 1) | (w[2] >> 63),
        ])
    }
    /// 256-bit addition (the carry out of the top word is dropped).
    fn add(self, o: Bits) -> Bits {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (i, slot) in out.iter_mut().enumerate() {
            let (a, c1) = self.0[i].overflowing_add(o.0[i]);
            let (b, c2) = a.overflowing_add(u64::from(carry));
            *slot = b;
            carry = c1 || c2;
        }
        Bits(out)
    }
    /// The positions reachable from `self` through zero-width moves: a position in `z` may
    /// move to the next one. Along a run of `z` positions, adding the run to the set's
    /// bits in it carries from the lowest of them to just past the run's end; the bits
    /// the carry flipped are the positions reached.
    fn close(self, z: Bits) -> Bits {
        let flipped = z.add(self.and(z)).zip(z, |a, b| a ^ b);
        self.or(flipped)
    }
}

/// Why a pattern cannot be used to match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternError {
    /// Longer than a file name can be (255 UTF-16 units): STATUS_OBJECT_NAME_INVALID.
    TooLong,
}

impl PatternError {
    /// The status a directory query answers (MS-FSA 2.1.5.5).
    pub fn to_status(self) -> lwio_types::NtStatus {
        lwio_types::NtStatus::OBJECT_NAME_INVALID
    }
}

/// How part 1 of the algorithm settles a name, or that part 2 must run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// The empty expression: only the empty name.
    Empty,
    /// `*` or `*.*`: every non-empty name.
    All,
    /// `*` then literal text: a suffix comparison.
    Suffix(Vec<char>),
    /// Anything else: the position automaton.
    Automaton,
}

/// A directory-query expression compiled once and matched against many names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    shape: Shape,
    ignore_case: bool,
    /// Positions that are always zero-width (`*`, `<`).
    star: Bits,
    /// `*` positions (they stay on any character).
    plain_star: Bits,
    /// `<` positions (zero-width, and stay on a character unless it is the final dot).
    dos_star: Bits,
    /// `>` positions.
    dos_qm: Bits,
    /// `"` positions.
    dos_dot: Bits,
    /// `?` positions.
    any: Bits,
    /// Literal positions by character, sorted by character for a binary search.
    literals: Vec<(char, Bits)>,
    /// The accepting position: the expression's length.
    accept: usize,
}

impl Expression {
    /// Compiles `expression`, folding case when `ignore_case`.
    pub fn new(expression: &str, ignore_case: bool) -> Result<Expression, PatternError> {
        if expression.encode_utf16().count() > MAX_COMPONENT_UNITS {
            return Err(PatternError::TooLong);
        }
        let expr: Vec<char> = expression.chars().map(|c| fold(c, ignore_case)).collect();
        let shape = if expr.is_empty() {
            Shape::Empty
        } else if expression == "*" || expression == "*.*" {
            Shape::All
        } else if expr[0] == '*' && !expr[1..].iter().copied().any(is_wildcard) {
            Shape::Suffix(expr[1..].to_vec())
        } else {
            Shape::Automaton
        };
        let mut e = Expression {
            shape,
            ignore_case,
            star: Bits::default(),
            plain_star: Bits::default(),
            dos_star: Bits::default(),
            dos_qm: Bits::default(),
            dos_dot: Bits::default(),
            any: Bits::default(),
            literals: Vec::new(),
            accept: expr.len(),
        };
        for (s, &c) in expr.iter().enumerate() {
            let bit = Bits::bit(s);
            match c {
                '*' => {
                    e.star = e.star.or(bit);
                    e.plain_star = e.plain_star.or(bit);
                }
                '<' => {
                    e.star = e.star.or(bit);
                    e.dos_star = e.dos_star.or(bit);
                }
                '>' => e.dos_qm = e.dos_qm.or(bit),
                '"' => e.dos_dot = e.dos_dot.or(bit),
                '?' => e.any = e.any.or(bit),
                lit => match e.literals.binary_search_by_key(&lit, |&(c, _)| c) {
                    Ok(i) => e.literals[i].1 = e.literals[i].1.or(bit),
                    Err(i) => e.literals.insert(i, (lit, bit)),
                },
            }
        }
        Ok(e)
    }

    fn literal(&self, c: char) -> Bits {
        self.literals
            .binary_search_by_key(&c, |&(l, _)| l)
            .map_or(Bits::default(), |i| self.literals[i].1)
    }

    /// MS-FSA 2.1.4.4: whether `name` (no wildcards of its own) matches.
    pub fn matches(&self, name: &str) -> bool {
        if name.is_empty() {
            return self.shape == Shape::Empty;
        }
        let ic = self.ignore_case;
        match &self.shape {
            Shape::Empty => return false,
            Shape::All => return true,
            Shape::Suffix(tail) => {
                let mut rev = name.chars().rev().map(|c| fold(c, ic));
                return tail.iter().rev().all(|&t| rev.next() == Some(t));
            }
            Shape::Automaton => {}
        }
        // The byte offset of the final dot: `<` does not pass it.
        let last_dot = name.rfind('.');
        let mut current = Bits::bit(0);
        for (pos, raw) in name.char_indices() {
            let c = fold(raw, ic);
            // Zero-width moves before this character: `*`, `<` always; `>` before a dot.
            let mut zero = self.star;
            if c == '.' {
                zero = zero.or(self.dos_qm);
            }
            current = current.close(zero);
            // `*` stays; `<` stays unless this is the final dot; `?` advances; `>`
            // advances on anything but a dot; `"` advances on a dot; literals on themselves.
            let mut stay = self.plain_star;
            if c != '.' || last_dot.is_some_and(|d| d > pos) {
                stay = stay.or(self.dos_star);
            }
            let mut advance = self.any.or(self.literal(c));
            if c == '.' {
                advance = advance.or(self.dos_dot);
            } else {
                advance = advance.or(self.dos_qm);
            }
            current = current.and(stay).or(current.and(advance).shl1());
            if current.is_empty() {
                return false;
            }
        }
        // At the end every wildcard that can match nothing does.
        let end_zero = self.star.or(self.dos_qm).or(self.dos_dot);
        current.close(end_zero).has(self.accept)
    }
}

/// MS-FSA 2.1.4.4: whether `name` (no wildcards of its own) matches `expression`. An
/// expression longer than a file name can be matches nothing; use [`Expression::new`] to
/// tell that apart (and to match many names with one compilation).
pub fn is_in_expression(expression: &str, name: &str, ignore_case: bool) -> bool {
    Expression::new(expression, ignore_case).is_ok_and(|e| e.matches(name))
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
    fn hostile_patterns() {
        // The longest patterns a query may carry, against a long name: a backtracking
        // matcher would never finish these; here each name character is a few word
        // operations.
        let name = "a".repeat(100_000);
        let pattern = format!("{}b", "*a".repeat(127));
        assert_eq!(pattern.len(), 255);
        assert!(!is_in_expression(&pattern, &name, true));
        let pattern2 = format!("{}a", "<a".repeat(127));
        assert!(is_in_expression(&pattern2, &name, false));
        // One unit longer than a file name: refused, and matches nothing.
        let long = "*".repeat(256);
        assert_eq!(Expression::new(&long, true), Err(PatternError::TooLong));
        assert!(!is_in_expression(&long, "a", true));
        // 255 UTF-16 units of supplementary characters is 127 of them plus one more unit.
        let wide = format!("{}*", "\u{1F600}".repeat(127));
        assert!(Expression::new(&wide, true).is_ok());
        assert!(Expression::new(&format!("{wide}*"), true).is_err());
    }

    #[test]
    fn compiled_expression_matches_like_the_one_shot_form() {
        for &(e, n, want) in TABLE {
            let compiled = Expression::new(e, false).unwrap();
            assert_eq!(compiled.matches(n), want, "{e:?} vs {n:?}");
        }
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

        /// Positions past the first 64-bit word: runs of zero-width positions that cross
        /// the words' boundaries carry correctly.
        #[test]
        fn agrees_with_reference_across_words(
            k in 50usize..140,
            e in "[ab.*?<>\"]{0,6}",
            n in "[ab.]{0,6}",
            stars in 0usize..4,
        ) {
            let e = format!("{}{}{}", "a".repeat(k), "*".repeat(stars), e);
            let n = format!("{}{}", "a".repeat(k), n);
            prop_assert_eq!(is_in_expression(&e, &n, false), reference(&e, &n, false));
        }
    }
}
