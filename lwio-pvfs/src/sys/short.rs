//! 8.3 short names (MS-FSCC 2.1.5.2.1), computed, never stored. Pure functions: no
//! system calls.
//!
//! NTFS with 8.3 generation on gives every long name that is not itself a valid 8.3 name
//! a second, short name in the same directory (the `ShortName` of the link, MS-FSA
//! 2.1.1.5), which FileAlternateNameInformation and the directory classes with a
//! ShortName field report, and by which an open finds the file. PVFS keeps nothing on disk
//! for it; a short name is a function of the directory's names:
//!
//! * A name that fits 8.3 (1-8 characters, an optional extension of 1-3, ASCII below 0x80
//!   from the set NTFS allows, no space, one period at most) is its own short name,
//!   reported in upper case.
//! * Any other name gets the *hash form* `PPHHHH~N.EXT`: `PP` the first two allowed
//!   characters of its base (upper case), `HHHH` four base-36 digits of an FNV-1a hash of
//!   its case-folded spelling (about 20 bits), `EXT` the first three allowed characters of
//!   its extension. `PPHHHH` and `EXT` together are the name's *group key*: they depend
//!   on the name only.
//! * `N` (1-9) resolves collisions inside a group: the group's members are ranked by birth
//!   time (when the file system records it), then inode number, and take the free digits
//!   in that order; a digit is not free when a long name of the directory spells that
//!   very short name (`PPHHHH~N.EXT` made as a long name). A tenth colliding member gets
//!   no short name (FileAlternateNameInformation answers STATUS_OBJECT_NAME_NOT_FOUND and
//!   the listing an empty ShortName, as NTFS does for a link without one).
//!
//! Why computed: a stored short name (an extended attribute per file) would need a write
//! at every create and rename and a read for every listed entry, and would go stale when a
//! local process renames the file. The computed one is free for the common case (a group
//! of one member: no stat, no scan), and it stays stable when files are added: a new file
//! is born after every existing one, so it ranks last in its group and takes a digit no
//! older member had. What can still move a short name, only ever inside a group of
//! colliding names (rare: the key has about 20 bits besides the prefix and extension):
//! a file renamed or linked *into* the group (its birth time is older than the members'),
//! the removal of a member (the later ones move down a digit, where NTFS would keep
//! theirs), and a long name spelling an existing short name made by a local process (PVFS
//! itself never makes one: such a name already opens the file whose short name it is).
//! On a file system without birth times the rank is the inode number, which a new file
//! does not always exceed.
//!
//! Finding a file by its short name costs one directory scan, and only for a name of the
//! hash form's shape (an 8.3 name with `~` followed by one digit 1-9) that matched no long
//! name; within the scan only the members of the asked group are `stat`ed, to rank them.

use std::collections::HashMap;

/// The characters NTFS allows in an 8.3 name besides ASCII letters and digits.
const SPECIAL: &str = "$%'-_@~`!(){}^#&";

/// The largest collision digit: `~1` to `~9`.
pub(crate) const MAX_DIGIT: u8 = 9;

/// Whether `c` may appear in an 8.3 name (besides the one period).
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || SPECIAL.contains(c)
}

/// Splits a name into its base and extension at the last period (a leading
/// period belongs to the base: `.profile` has no extension).
fn split_ext(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((b, e)) if !b.is_empty() => (b, e),
        _ => (name, ""),
    }
}

/// Whether `name` is a valid 8.3 name (MS-FSCC 2.1.5.2.1) with characters NTFS allows in
/// one; such a name is its own short name.
pub fn fits_8_3(name: &str) -> bool {
    let (base, ext) = split_ext(name);
    (1..=8).contains(&base.len())
        && ext.len() <= 3
        && !name.ends_with('.')
        && base.chars().all(allowed)
        && ext.chars().all(allowed)
}

/// The part of a short name that depends on the long name only: `PPHHHH` and `EXT`, upper
/// case ASCII. Fixed-size (a stem has at most six characters: an 8.3 base less `~D`), so
/// keys of a whole directory cost no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupKey {
    stem: [u8; 6],
    stem_len: u8,
    ext: [u8; 3],
    ext_len: u8,
}

impl GroupKey {
    /// A key from ASCII characters (at most six of stem, three of extension; more are
    /// cut off, which no caller gives).
    fn new(stem: impl Iterator<Item = u8>, ext: impl Iterator<Item = u8>) -> GroupKey {
        let mut key = GroupKey {
            stem: [0; 6],
            stem_len: 0,
            ext: [0; 3],
            ext_len: 0,
        };
        for (slot, b) in key.stem.iter_mut().zip(stem) {
            *slot = b;
            key.stem_len += 1;
        }
        for (slot, b) in key.ext.iter_mut().zip(ext) {
            *slot = b;
            key.ext_len += 1;
        }
        key
    }

    fn stem(&self) -> &[u8] {
        &self.stem[..usize::from(self.stem_len)]
    }

    fn ext(&self) -> &[u8] {
        &self.ext[..usize::from(self.ext_len)]
    }

    /// The short name with collision digit `digit`: `STEM~D` or `STEM~D.EXT`.
    pub fn with_digit(&self, digit: u8) -> String {
        let mut out = String::with_capacity(12);
        out.extend(self.stem().iter().map(|&b| char::from(b)));
        out.push('~');
        out.push(char::from(b'0' + digit.min(MAX_DIGIT)));
        if self.ext_len > 0 {
            out.push('.');
            out.extend(self.ext().iter().map(|&b| char::from(b)));
        }
        out
    }

    /// Whether the hash form of `name` has this key ([`hash_key`] without building one:
    /// the extension and prefix are compared first, the hash computed only when they
    /// agree).
    pub fn is_key_of(&self, name: &str) -> bool {
        if name == "." || name == ".." || fits_8_3(name) {
            return false;
        }
        let (base, ext) = split_ext(name);
        let prefix_len = self.stem().len().saturating_sub(4);
        kept(ext, 3).eq(self.ext().iter().copied())
            && kept(base, 2).eq(self.stem()[..prefix_len].iter().copied())
            && self.stem()[prefix_len..] == hash_digits(name)
    }
}

/// The group key of the hash form of `name`, or `None` for a name that fits 8.3 (its own
/// short name) and for `.` and `..` (which have none).
pub fn hash_key(name: &str) -> Option<GroupKey> {
    if name == "." || name == ".." || fits_8_3(name) {
        return None;
    }
    let (base, ext) = split_ext(name);
    let stem = kept(base, 2).chain(hash_digits(name));
    Some(GroupKey::new(stem, kept(ext, 3)))
}

/// The first `n` characters of `part` that an 8.3 name may hold (all ASCII), upper case.
fn kept(part: &str, n: usize) -> impl Iterator<Item = u8> + '_ {
    part.bytes()
        .filter(|&b| allowed(char::from(b)))
        .take(n)
        .map(|b| b.to_ascii_uppercase())
}

/// The four base-36 digits of the hash form: FNV-1a over the UTF-8 bytes of the
/// case-folded name ([`fold_name`](super::fold_name), computed here character by character without
/// allocating), so that names differing only in case share them.
fn hash_digits(name: &str) -> [u8; 4] {
    let mut hash: u32 = 0x811c_9dc5;
    let mut buf = [0u8; 4];
    for c in name.chars() {
        if c.is_ascii() {
            // One byte, upper-cased as the full mapping does (the common case, made cheap).
            let b = c as u8;
            hash = (hash ^ u32::from(b.to_ascii_uppercase())).wrapping_mul(0x0100_0193);
            continue;
        }
        let mut up = c.to_uppercase();
        let folded = match (up.next(), up.next()) {
            (Some(u), None) => u,
            _ => c,
        };
        for &b in folded.encode_utf8(&mut buf).as_bytes() {
            hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
    let mut digits = [0u8; 4];
    let mut h = hash % 36u32.pow(4);
    for d in digits.iter_mut().rev() {
        // The remainder is below 36.
        let r = (h % 36) as u8;
        *d = if r < 10 { b'0' + r } else { b'A' + r - 10 };
        h /= 36;
    }
    digits
}

/// The group key and digit of a name of the hash form's shape: an 8.3 name `STEM~D` or
/// `STEM~D.EXT` with `D` one digit 1-9 (in any case). `None` for any other name: only
/// these are ever looked up as short names.
pub fn tilde_form(name: &str) -> Option<(GroupKey, u8)> {
    if !name.contains('~') || !fits_8_3(name) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    let (base, ext) = split_ext(&upper);
    let (stem, digit) = base.rsplit_once('~')?;
    let digit = match digit.as_bytes() {
        [d @ b'1'..=b'9'] => d - b'0',
        _ => return None,
    };
    Some((GroupKey::new(stem.bytes(), ext.bytes()), digit))
}

/// How members of a group are ordered: birth time (seconds, nanoseconds; the largest
/// value when unknown), then inode number.
pub type Rank = (i64, u32, u64);

/// The members of one group in a directory: the long names of that key, and the digits
/// long names of the tilde shape already spell.
#[derive(Debug, Default)]
pub struct Group {
    /// Long names whose hash form has this key.
    pub members: Vec<String>,
    /// Bit `d` set: a long name spells `STEM~d.EXT` itself.
    pub taken: u16,
}

impl Group {
    /// Collects the group `key` from the names of a directory.
    pub fn collect<'a>(key: &GroupKey, names: impl IntoIterator<Item = &'a str>) -> Group {
        let mut group = Group::default();
        for name in names {
            group.add(key, name);
        }
        group
    }

    /// Adds `name` to the group if it is a member or spells one of its short names.
    pub fn add(&mut self, key: &GroupKey, name: &str) {
        if let Some((k, d)) = tilde_form(name) {
            if k == *key {
                self.taken |= 1 << d;
            }
        } else if key.is_key_of(name) {
            self.members.push(name.to_owned());
        }
    }

    /// Whether the group's digits can be given without ranking: one member, and `~1` free.
    pub fn is_trivial(&self) -> bool {
        trivial(self.members.len(), self.taken)
    }
}

/// Whether a group of `members` names, with the digits `taken` by long names, gives its
/// one member `~1` without ranking.
fn trivial(members: usize, taken: u16) -> bool {
    members == 1 && taken & (1 << 1) == 0
}

/// Gives each ranked member the smallest free digit in rank order (ties broken by name),
/// skipping the digits in `taken`; members past the ninth digit get none.
pub fn assign_digits<N: Ord, T>(mut ranked: Vec<(Rank, N, T)>, taken: u16) -> Vec<(u8, N, T)> {
    ranked.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut out = Vec::with_capacity(ranked.len());
    let mut digit = 1u8;
    for (_, name, extra) in ranked {
        while digit <= MAX_DIGIT && taken & (1 << digit) != 0 {
            digit += 1;
        }
        if digit > MAX_DIGIT {
            break;
        }
        out.push((digit, name, extra));
        digit += 1;
    }
    out
}

/// The short names of a directory listing, computed from all its names at once; members
/// of a group with collisions are ranked through `rank` (called for those only).
#[derive(Debug, Default)]
pub struct ListingShortNames {
    /// Long name to short name, for members of groups that needed ranking.
    ranked: HashMap<String, Option<String>>,
}

impl ListingShortNames {
    /// Computes the short names of the directory whose names are `names`.
    pub fn new<'a>(
        names: impl IntoIterator<Item = &'a str>,
        mut rank: impl FnMut(&str) -> Rank,
    ) -> Self {
        // First how many members each key has (keys are plain values: no allocation per
        // name), then the members of the few groups that need ranking.
        let mut groups: HashMap<GroupKey, (u32, u16)> = HashMap::new();
        let mut keyed: Vec<(&str, GroupKey)> = Vec::new();
        for name in names {
            if let Some(key) = hash_key(name) {
                groups.entry(key).or_default().0 += 1;
                keyed.push((name, key));
            } else if let Some((key, d)) = tilde_form(name) {
                groups.entry(key).or_default().1 |= 1 << d;
            }
        }
        groups.retain(|_, (members, taken)| *members > 0 && !trivial(*members as usize, *taken));
        let mut members: HashMap<GroupKey, Vec<&str>> = HashMap::new();
        if !groups.is_empty() {
            for (name, key) in keyed {
                if groups.contains_key(&key) {
                    members.entry(key).or_default().push(name);
                }
            }
        }
        let mut ranked = HashMap::new();
        for (key, names) in members {
            let taken = groups.get(&key).map_or(0, |g| g.1);
            for m in &names {
                ranked.insert((*m).to_owned(), None);
            }
            let names: Vec<_> = names.iter().map(|m| (rank(m), *m, ())).collect();
            for (d, name, ()) in assign_digits(names, taken) {
                ranked.insert(name.to_owned(), Some(key.with_digit(d)));
            }
        }
        ListingShortNames { ranked }
    }

    /// The short name of `name` (one of the names given to [`new`](Self::new)); empty when
    /// it has none.
    pub fn get(&self, name: &str) -> String {
        match self.ranked.get(name) {
            Some(short) => short.clone().unwrap_or_default(),
            None => short_name_alone(name),
        }
    }
}

/// The short name `name` has when it is alone in its group (no collision): itself in
/// upper case when it fits 8.3, else its hash form with `~1`; empty for `.` and `..`.
pub fn short_name_alone(name: &str) -> String {
    if name == "." || name == ".." {
        return String::new();
    }
    match hash_key(name) {
        Some(key) => key.with_digit(1),
        None => name.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_names_are_their_own() {
        for (name, fits) in [
            ("abc.txt", true),
            ("README", true),
            ("ABCDEFGH.TXT", true),
            ("ABCDEFGHI", false),
            ("a.long", false),
            ("a b", false),
            ("a.b.c", false),
            ("a.", false),
            (".profile", false),
            ("ä.txt", false),
            ("a+b", false),
            ("AB12~1.TXT", true),
        ] {
            assert_eq!(fits_8_3(name), fits, "{name}");
        }
        assert_eq!(short_name_alone("abc.txt"), "ABC.TXT");
        assert_eq!(short_name_alone(".."), "");
    }

    #[test]
    fn hash_form_shape() {
        let s = short_name_alone("torture_search.txt");
        assert_eq!(s, short_name_alone("TORTURE_SEARCH.TXT"));
        let (base, ext) = s.split_once('.').unwrap();
        assert_eq!((base.len(), ext), (8, "TXT"));
        assert!(base.starts_with("TO") && base.ends_with("~1"), "{s}");
        assert!(fits_8_3(&s));
        let (key, d) = tilde_form(&s).unwrap();
        assert_eq!((Some(key), d), (hash_key("torture_search.txt"), 1));
        assert_eq!(tilde_form(&s.to_ascii_lowercase()).map(|(_, d)| d), Some(1));
        assert_ne!(short_name_alone("torture_search1.txt"), s);
        assert_eq!(short_name_alone("a long name").len(), 8);
        // No allowed character at all: the stem is the hash alone.
        assert_eq!(short_name_alone("ää").len(), 6);
        for not in ["AB~0", "AB~10", "AB~X", "ABC", "a long~1"] {
            assert_eq!(tilde_form(not), None, "{not}");
        }
    }

    #[test]
    fn key_test_agrees_with_the_key() {
        let names = [
            "a long name.txt",
            "A LONG NAME.TXT",
            "a long name.text",
            "ab",
            "äb long",
            "x.y.z.long",
            ".profile",
            "no extension at all",
            "ABC.TXT",
            "..",
        ];
        for a in names {
            for b in names {
                let Some(key) = hash_key(a) else {
                    continue;
                };
                assert_eq!(key.is_key_of(b), hash_key(b) == Some(key), "{a} {b}");
            }
        }
        // The folded spelling is hashed: case does not matter, beyond ASCII too.
        assert_eq!(hash_key("Äb long"), hash_key("äb LONG"));
    }

    #[test]
    fn digits_skip_taken_and_stop_at_nine() {
        let ranked = (0..12u64)
            .map(|i| ((0, 0, 100 - i), format!("n{i}"), ()))
            .collect();
        let got = assign_digits(ranked, 1 << 2);
        let digits: Vec<u8> = got.iter().map(|(d, _, ())| *d).collect();
        assert_eq!(digits, vec![1, 3, 4, 5, 6, 7, 8, 9]);
        // The lowest rank (largest inode number here last) comes first.
        assert_eq!(got[0].1, "n11");
    }
}
