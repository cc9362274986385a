//! The words of the command line: flag names for access masks, share modes, create options,
//! file attributes and security information (parsed and printed with the same table), numbers
//! in decimal or hex, and FILETIMEs as RFC 3339 UTC.

use lwio_core::{
    AccessMask, CreateOptions, FileAttributes, NtStatus, SecurityInformation, ShareAccess,
};
use lwio_fscc::FileTime;

/// One name of a flag table: the command-line word and its bits.
type Names = &'static [(&'static str, u32)];

/// Access rights (MS-DTYP 2.4.3; MS-SMB2 2.2.13.1.1), in the order they print.
pub(crate) const ACCESS_NAMES: Names = &[
    ("read", 0x0000_0001),
    ("write", 0x0000_0002),
    ("append", 0x0000_0004),
    ("read-ea", 0x0000_0008),
    ("write-ea", 0x0000_0010),
    ("execute", 0x0000_0020),
    ("delete-child", 0x0000_0040),
    ("read-attributes", 0x0000_0080),
    ("write-attributes", 0x0000_0100),
    ("delete", 0x0001_0000),
    ("read-control", 0x0002_0000),
    ("write-dac", 0x0004_0000),
    ("write-owner", 0x0008_0000),
    ("synchronize", 0x0010_0000),
    ("system-security", 0x0100_0000),
    ("maximum-allowed", 0x0200_0000),
    ("generic-all", 0x1000_0000),
    ("generic-execute", 0x2000_0000),
    ("generic-write", 0x4000_0000),
    ("generic-read", 0x8000_0000),
];

/// Words accepted for access that stand for several rights; never printed.
const ACCESS_ALIASES: Names = &[("none", 0), ("file-all", 0x001F_01FF)];

/// Share modes; `r`, `w`, `d` and their combinations (`rw`, `rwd`) are also accepted.
const SHARE_NAMES: Names = &[("read", 0x1), ("write", 0x2), ("delete", 0x4)];

/// Create options (MS-SMB2 2.2.13).
pub(crate) const OPTION_NAMES: Names = &[
    ("directory", 0x0000_0001),
    ("write-through", 0x0000_0002),
    ("sequential", 0x0000_0004),
    ("no-buffering", 0x0000_0008),
    ("sync-alert", 0x0000_0010),
    ("sync-nonalert", 0x0000_0020),
    ("non-directory", 0x0000_0040),
    ("no-ea-knowledge", 0x0000_0200),
    ("random", 0x0000_0800),
    ("delete-on-close", 0x0000_1000),
    ("open-by-id", 0x0000_2000),
    ("backup-intent", 0x0000_4000),
    ("open-reparse-point", 0x0020_0000),
];

/// File attributes (MS-FSCC 2.6).
pub(crate) const ATTRIBUTE_NAMES: Names = &[
    ("readonly", 0x0000_0001),
    ("hidden", 0x0000_0002),
    ("system", 0x0000_0004),
    ("directory", 0x0000_0010),
    ("archive", 0x0000_0020),
    ("normal", 0x0000_0080),
    ("temporary", 0x0000_0100),
    ("sparse", 0x0000_0200),
    ("reparse-point", 0x0000_0400),
    ("compressed", 0x0000_0800),
    ("offline", 0x0000_1000),
    ("not-content-indexed", 0x0000_2000),
    ("encrypted", 0x0000_4000),
    ("integrity-stream", 0x0000_8000),
];

/// Security information parts (MS-DTYP 2.4.7).
const SECURITY_INFO_NAMES: Names = &[
    ("owner", 0x0000_0001),
    ("group", 0x0000_0002),
    ("dacl", 0x0000_0004),
    ("sacl", 0x0000_0008),
    ("label", 0x0000_0010),
    ("attribute", 0x0000_0020),
    ("scope", 0x0000_0040),
    ("backup", 0x0001_0000),
];

/// Parses a `,`- or `|`-separated list of names from `names` or `aliases`, or `0x` hex
/// values, into their union. An empty list is an error; `none` is the empty set where the
/// aliases allow it.
fn parse_flags(input: &str, names: Names, aliases: Names, what: &str) -> Result<u32, String> {
    let mut bits = 0u32;
    let mut any = false;
    for word in input.split([',', '|']).map(str::trim) {
        if word.is_empty() {
            continue;
        }
        any = true;
        if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            bits |= u32::from_str_radix(hex, 16).map_err(|_| format!("bad hex {what} {word:?}"))?;
            continue;
        }
        let found = names
            .iter()
            .chain(aliases)
            .find(|(name, _)| name.eq_ignore_ascii_case(word));
        match found {
            Some(&(_, value)) => bits |= value,
            None => {
                let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown {what} {word:?} (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    if any {
        Ok(bits)
    } else {
        Err(format!("empty {what} list"))
    }
}

/// The names of the bits of `bits`, comma-separated, with any unnamed rest as hex; `none`
/// for the empty set.
pub(crate) fn format_flags(bits: u32, names: Names) -> String {
    let mut parts = Vec::new();
    let mut rest = bits;
    for &(name, value) in names {
        if value != 0 && bits & value == value {
            parts.push(name.to_owned());
            rest &= !value;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(",")
    }
}

/// `0x0012019f (read,write,...)`: an access mask as hex and names.
pub(crate) fn format_access(mask: AccessMask) -> String {
    format!("{:#010x} ({})", mask.0, format_flags(mask.0, ACCESS_NAMES))
}

/// `0x00000080 (normal)`: file attributes as hex and names.
pub(crate) fn format_attributes(attributes: FileAttributes) -> String {
    format!(
        "{:#010x} ({})",
        attributes.0,
        format_flags(attributes.0, ATTRIBUTE_NAMES)
    )
}

/// `--access`: access names or hex.
pub(crate) fn parse_access(input: &str) -> Result<AccessMask, String> {
    parse_flags(input, ACCESS_NAMES, ACCESS_ALIASES, "access right").map(AccessMask)
}

/// `--share`: `none`, or `r`, `w`, `d` (also combined, `rwd`, or spelled out).
pub(crate) fn parse_share(input: &str) -> Result<ShareAccess, String> {
    if input.trim().eq_ignore_ascii_case("none") {
        return Ok(ShareAccess::empty());
    }
    let mut bits = 0;
    for word in input.split([',', '|']).map(str::trim) {
        if !word.is_empty() && word.chars().all(|c| "rwdRWD".contains(c)) {
            for c in word.chars() {
                bits |= match c.to_ascii_lowercase() {
                    'r' => 0x1,
                    'w' => 0x2,
                    _ => 0x4,
                };
            }
        } else {
            bits |= parse_flags(word, SHARE_NAMES, &[], "share mode")?;
        }
    }
    Ok(ShareAccess(bits))
}

/// `--options`: create option names or hex.
pub(crate) fn parse_options(input: &str) -> Result<CreateOptions, String> {
    parse_flags(input, OPTION_NAMES, &[("none", 0)], "create option").map(CreateOptions)
}

/// `--attributes`: file attribute names or hex.
pub(crate) fn parse_attributes(input: &str) -> Result<FileAttributes, String> {
    parse_flags(input, ATTRIBUTE_NAMES, &[("none", 0)], "attribute").map(FileAttributes)
}

/// `--info`: security information parts or hex.
pub(crate) fn parse_security_info(input: &str) -> Result<SecurityInformation, String> {
    parse_flags(input, SECURITY_INFO_NAMES, &[], "security information part")
        .map(SecurityInformation)
}

/// A `u64` in decimal or `0x` hex.
pub(crate) fn parse_u64(input: &str) -> Result<u64, String> {
    let s = input.trim().replace('_', "");
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("not a number: {input:?}"))
}

/// A `u32` in decimal or `0x` hex.
pub(crate) fn parse_u32(input: &str) -> Result<u32, String> {
    let value = parse_u64(input)?;
    u32::try_from(value).map_err(|_| format!("too large for 32 bits: {input:?}"))
}

/// An NTSTATUS by name (`STATUS_LOCK_NOT_GRANTED`, `LOCK_NOT_GRANTED`) or `0x` hex.
pub(crate) fn parse_status(input: &str) -> Result<NtStatus, String> {
    if let Some(status) = NtStatus::from_name(input) {
        return Ok(status);
    }
    match input
        .strip_prefix("0x")
        .or_else(|| input.strip_prefix("0X"))
    {
        Some(hex) => u32::from_str_radix(hex, 16)
            .map(NtStatus)
            .map_err(|_| format!("bad status {input:?}")),
        None => Err(format!("unknown status name {input:?}")),
    }
}

/// A FILETIME as RFC 3339 UTC (`2024-05-01T12:00:00.1234567Z`, seven fraction digits when
/// the time has a fraction and `fraction` is set); 0 and the negative special values print
/// as themselves with a note.
pub(crate) fn format_filetime(time: FileTime, fraction: bool) -> String {
    if time.0 <= 0 {
        return format!("{} (not set)", time.0);
    }
    let (secs, nanos) = time.to_unix();
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    );
    if fraction && nanos != 0 {
        text.push_str(&format!(".{:07}", nanos / 100));
    }
    text.push('Z');
    text
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_parses_names_hex_and_aliases() {
        assert_eq!(
            parse_access("read,write").unwrap(),
            AccessMask::FILE_READ_DATA | AccessMask::FILE_WRITE_DATA
        );
        assert_eq!(
            parse_access("Generic-Read|0x10000").unwrap(),
            AccessMask::GENERIC_READ | AccessMask::DELETE
        );
        assert_eq!(
            parse_access("file-all").unwrap(),
            AccessMask::FILE_ALL_ACCESS
        );
        assert!(
            parse_access("reed")
                .unwrap_err()
                .contains("unknown access right")
        );
        assert!(parse_access("").is_err());
        assert!(parse_access("0xZZ").is_err());
    }

    #[test]
    fn access_prints_with_the_same_names() {
        assert_eq!(
            format_access(AccessMask::FILE_GENERIC_READ),
            "0x00120089 (read,read-ea,read-attributes,read-control,synchronize)"
        );
        assert_eq!(format_flags(0, ACCESS_NAMES), "none");
        assert_eq!(format_flags(0x0800_0001, ACCESS_NAMES), "read,0x8000000");
        let text = format_flags(AccessMask::FILE_ALL_ACCESS.0, ACCESS_NAMES);
        assert_eq!(parse_access(&text).unwrap(), AccessMask::FILE_ALL_ACCESS);
    }

    #[test]
    fn share_modes() {
        assert_eq!(parse_share("none").unwrap(), ShareAccess::empty());
        assert_eq!(parse_share("r,w,d").unwrap(), ShareAccess::ALL);
        assert_eq!(
            parse_share("rw").unwrap(),
            ShareAccess::READ | ShareAccess::WRITE
        );
        assert_eq!(parse_share("delete").unwrap(), ShareAccess::DELETE);
        assert!(parse_share("x").is_err());
    }

    #[test]
    fn options_attributes_and_info() {
        assert_eq!(
            parse_options("directory,delete-on-close").unwrap(),
            CreateOptions::DIRECTORY_FILE | CreateOptions::DELETE_ON_CLOSE
        );
        assert_eq!(
            parse_attributes("readonly,hidden").unwrap(),
            FileAttributes::READONLY | FileAttributes::HIDDEN
        );
        assert_eq!(
            format_attributes(FileAttributes::NORMAL),
            "0x00000080 (normal)"
        );
        assert_eq!(
            parse_security_info("owner,dacl").unwrap(),
            SecurityInformation::OWNER.with(SecurityInformation::DACL)
        );
    }

    #[test]
    fn numbers_and_statuses() {
        assert_eq!(parse_u64("4096").unwrap(), 4096);
        assert_eq!(parse_u64("0x1000").unwrap(), 4096);
        assert_eq!(parse_u64("1_000").unwrap(), 1000);
        assert!(parse_u64("-1").is_err());
        assert!(parse_u32("0x100000000").is_err());
        assert_eq!(
            parse_status("STATUS_LOCK_NOT_GRANTED").unwrap(),
            NtStatus::LOCK_NOT_GRANTED
        );
        assert_eq!(
            parse_status("0xC0000055").unwrap(),
            NtStatus::LOCK_NOT_GRANTED
        );
        assert!(parse_status("STATUS_NO_SUCH_THING").is_err());
    }

    #[test]
    fn filetimes_print_as_rfc3339_utc() {
        assert_eq!(
            format_filetime(FileTime::UNIX_EPOCH, true),
            "1970-01-01T00:00:00Z"
        );
        // 2000-02-29T23:59:59.5Z, a leap day.
        let t = FileTime::from_unix(951_868_799, 500_000_000);
        assert_eq!(format_filetime(t, true), "2000-02-29T23:59:59.5000000Z");
        assert_eq!(format_filetime(t, false), "2000-02-29T23:59:59Z");
        assert_eq!(
            format_filetime(FileTime(1), true),
            "1601-01-01T00:00:00.0000001Z"
        );
        assert_eq!(format_filetime(FileTime(0), true), "0 (not set)");
        assert_eq!(format_filetime(FileTime(-1), true), "-1 (not set)");
    }
}
