//! Security Descriptor Definition Language (MS-DTYP 2.5.1), the common subset.
//!
//! Parsed: `O:`, `G:`, `D:` and `S:` in any order; ACL flags `P`, `AI`, `AR` and
//! `NO_ACCESS_CONTROL` (a NULL ACL); ACEs `(type;flags;rights;;;sid)` with types `A`, `D`
//! and `AU`, flags `OI CI NP IO ID SA FA`, rights as `0x` hex, octal, decimal or two-letter
//! codes, and SIDs as `S-1-...` or the two-letter aliases of MS-DTYP 2.5.1.1 that need no
//! domain SID. Not parsed: object ACEs (the GUID fields must be empty), conditional and
//! resource-attribute ACEs, and domain-relative aliases such as `DA`; each is a clear error
//! with the byte position.
//!
//! Formatting follows what Windows' ConvertSecurityDescriptorToStringSecurityDescriptor
//! writes in the usual cases: aliases for SIDs and masks where one fits (`BA`, `FA`,
//! `CCLCSWRPWPDTLOCRRC`), `0x1200a9` otherwise, ACL flags as `PAI`, ACE flags as `OICIIOID`.
//! Control bits SDDL has no letter for (OWNER_DEFAULTED and the like) are not written.

use std::fmt::Write as _;
use std::str::FromStr;

use super::well_known as wk;
use super::{Ace, AceFlags, Acl, SdControl, SecurityDescriptor, SecurityError, Sid, SimpleAce};
use crate::access::AccessMask;

/// Two-letter SID aliases (MS-DTYP 2.5.1.1) that need no domain SID.
const SID_ALIASES: &[(&str, Sid)] = &[
    ("WD", wk::WORLD),
    ("CO", wk::CREATOR_OWNER),
    ("CG", wk::CREATOR_GROUP),
    ("OW", wk::OWNER_RIGHTS),
    ("NU", wk::NETWORK),
    ("IU", wk::INTERACTIVE),
    ("SU", wk::SERVICE),
    ("AN", wk::ANONYMOUS),
    ("ED", Sid::from_parts(5, &[9])),
    ("PS", wk::PRINCIPAL_SELF),
    ("AU", wk::AUTHENTICATED_USERS),
    ("RC", Sid::from_parts(5, &[12])),
    ("WR", Sid::from_parts(5, &[33])),
    ("SY", wk::LOCAL_SYSTEM),
    ("LS", wk::LOCAL_SERVICE),
    ("NS", wk::NETWORK_SERVICE),
    ("BA", wk::BUILTIN_ADMINISTRATORS),
    ("BU", wk::BUILTIN_USERS),
    ("BG", wk::BUILTIN_GUESTS),
    ("PU", wk::BUILTIN_POWER_USERS),
    ("AO", Sid::from_parts(5, &[32, 548])),
    ("SO", Sid::from_parts(5, &[32, 549])),
    ("PO", Sid::from_parts(5, &[32, 550])),
    ("BO", wk::BUILTIN_BACKUP_OPERATORS),
    ("RE", Sid::from_parts(5, &[32, 552])),
    ("RU", Sid::from_parts(5, &[32, 554])),
    ("RD", Sid::from_parts(5, &[32, 555])),
    ("NO", Sid::from_parts(5, &[32, 556])),
    ("MU", Sid::from_parts(5, &[32, 558])),
    ("LU", Sid::from_parts(5, &[32, 559])),
    ("IS", Sid::from_parts(5, &[32, 568])),
    ("CY", Sid::from_parts(5, &[32, 569])),
    ("ER", Sid::from_parts(5, &[32, 573])),
    ("AC", Sid::from_parts(15, &[2, 1])),
    ("LW", Sid::from_parts(16, &[4096])),
    ("ME", Sid::from_parts(16, &[8192])),
    ("MP", Sid::from_parts(16, &[8448])),
    ("HI", Sid::from_parts(16, &[12288])),
    ("SI", Sid::from_parts(16, &[16384])),
    ("AS", Sid::from_parts(18, &[1])),
    ("SS", Sid::from_parts(18, &[2])),
];

/// Masks written as one alias when they match exactly (MS-DTYP 2.5.1.1 ace-rights).
const WHOLE_RIGHTS: &[(&str, u32)] = &[
    ("FA", 0x001F_01FF),
    ("FR", 0x0012_0089),
    ("FW", 0x0012_0116),
    ("FX", 0x0012_00A0),
    ("KA", 0x000F_003F),
    ("KR", 0x0002_0019),
    ("KW", 0x0002_0006),
    ("KX", 0x0002_0019),
];

/// Single-bit rights, in the order Windows writes them.
const BIT_RIGHTS: &[(&str, u32)] = &[
    ("CC", 0x0000_0001),
    ("DC", 0x0000_0002),
    ("LC", 0x0000_0004),
    ("SW", 0x0000_0008),
    ("RP", 0x0000_0010),
    ("WP", 0x0000_0020),
    ("DT", 0x0000_0040),
    ("LO", 0x0000_0080),
    ("CR", 0x0000_0100),
    ("SD", 0x0001_0000),
    ("RC", 0x0002_0000),
    ("WD", 0x0004_0000),
    ("WO", 0x0008_0000),
    ("GA", 0x1000_0000),
    ("GX", 0x2000_0000),
    ("GW", 0x4000_0000),
    ("GR", 0x8000_0000),
];

/// ACE flags, in the order Windows writes them.
const ACE_FLAGS: &[(&str, u8)] = &[
    ("OI", 0x01),
    ("CI", 0x02),
    ("NP", 0x04),
    ("IO", 0x08),
    ("ID", 0x10),
    ("SA", 0x40),
    ("FA", 0x80),
];

fn err(pos: usize, reason: impl Into<String>) -> SecurityError {
    SecurityError::Sddl {
        pos,
        reason: reason.into(),
    }
}

/// A cursor over the SDDL string; positions are byte offsets for error messages.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn descriptor(&mut self) -> Result<SecurityDescriptor, SecurityError> {
        let mut sd = SecurityDescriptor::new();
        let mut seen = [false; 4];
        while !self.rest().is_empty() {
            let at = self.pos;
            let which = ["O:", "G:", "D:", "S:"]
                .iter()
                .position(|t| self.rest().starts_with(t));
            let Some(which) = which else {
                return Err(err(at, "expected O:, G:, D: or S:"));
            };
            if std::mem::replace(&mut seen[which], true) {
                return Err(err(at, "component given twice"));
            }
            self.pos += 2;
            match which {
                0 => sd.owner = Some(self.sid()?),
                1 => sd.group = Some(self.sid()?),
                2 => {
                    let (flags, acl) = self.acl(false)?;
                    sd.control = sd.control.with(flags);
                    match acl {
                        Some(acl) => sd.set_dacl(acl),
                        None => sd.set_null_dacl(),
                    }
                }
                _ => {
                    let (flags, acl) = self.acl(true)?;
                    sd.control = sd.control.with(flags).with(SdControl::SACL_PRESENT);
                    sd.sacl = acl;
                }
            }
        }
        Ok(sd)
    }

    /// A SID string or alias, ending where the next token starts.
    fn sid(&mut self) -> Result<Sid, SecurityError> {
        let at = self.pos;
        let rest = self.rest();
        if rest.starts_with("S-") || rest.starts_with("s-") {
            let len = sid_string_len(rest);
            self.pos += len;
            return rest[..len]
                .parse()
                .map_err(|_| err(at, format!("invalid SID {:?}", &rest[..len])));
        }
        let alias = rest.get(..2).ok_or_else(|| err(at, "expected a SID"))?;
        self.pos += 2;
        SID_ALIASES
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, sid)| *sid)
            .ok_or_else(|| {
                err(
                    at,
                    format!("unknown or domain-relative SID alias {alias:?}"),
                )
            })
    }

    /// ACL flags and ACEs after `D:` or `S:`; `None` for NO_ACCESS_CONTROL.
    fn acl(&mut self, sacl: bool) -> Result<(SdControl, Option<Acl>), SecurityError> {
        let (p, ai, ar) = if sacl {
            (
                SdControl::SACL_PROTECTED,
                SdControl::SACL_AUTO_INHERITED,
                SdControl::SACL_AUTO_INHERIT_REQ,
            )
        } else {
            (
                SdControl::DACL_PROTECTED,
                SdControl::DACL_AUTO_INHERITED,
                SdControl::DACL_AUTO_INHERIT_REQ,
            )
        };
        let mut flags = SdControl(0);
        let mut null = false;
        loop {
            if self.eat("NO_ACCESS_CONTROL") {
                null = true;
            } else if self.eat("P") {
                flags = flags.with(p);
            } else if self.eat("AI") {
                flags = flags.with(ai);
            } else if self.eat("AR") {
                flags = flags.with(ar);
            } else {
                break;
            }
        }
        let mut aces = Vec::new();
        while self.rest().starts_with('(') {
            if null {
                return Err(err(self.pos, "NO_ACCESS_CONTROL cannot have ACEs"));
            }
            aces.push(self.ace()?);
        }
        let acl = if null { None } else { Some(Acl::new(aces)) };
        if let Some(acl) = &acl {
            acl.check_size().map_err(|e| err(self.pos, e.to_string()))?;
        }
        Ok((flags, acl))
    }

    /// One `(type;flags;rights;object;inherited-object;sid)`.
    fn ace(&mut self) -> Result<Ace, SecurityError> {
        let open = self.pos;
        let close = self
            .rest()
            .find(')')
            .ok_or_else(|| err(open, "unterminated ACE"))?;
        let body = &self.rest()[1..close];
        let mut fields = Vec::with_capacity(6);
        let mut start = open + 1;
        for field in body.split(';') {
            fields.push((start, field));
            start += field.len() + 1;
        }
        if fields.len() != 6 {
            let why = if fields.len() == 7 {
                "resource attribute ACEs are not supported"
            } else {
                "an ACE has 6 fields"
            };
            return Err(err(open, why));
        }
        let (tpos, ty) = fields[0];
        let (fpos, flag_str) = fields[1];
        let (rpos, rights) = fields[2];
        for &(gpos, guid) in &fields[3..5] {
            if !guid.is_empty() {
                return Err(err(gpos, "object ACE GUIDs are not supported"));
            }
        }
        let (spos, sid_str) = fields[5];
        let flags = parse_ace_flags(flag_str)
            .ok_or_else(|| err(fpos, format!("bad ACE flags {flag_str:?}")))?;
        let mask = parse_rights(rights)
            .ok_or_else(|| err(rpos, format!("bad access rights {rights:?}")))?;
        let mut sub = Parser {
            s: self.s,
            pos: spos,
        };
        let sid = sub.sid()?;
        if sub.pos != spos + sid_str.len() {
            return Err(err(spos, format!("bad SID {sid_str:?}")));
        }
        let simple = SimpleAce::new(flags, AccessMask(mask), sid);
        let ace = match ty {
            "A" => Ace::Allowed(simple),
            "D" => Ace::Denied(simple),
            "AU" => Ace::Audit(simple),
            _ => return Err(err(tpos, format!("unsupported ACE type {ty:?}"))),
        };
        self.pos += close + 1;
        Ok(ace)
    }
}

/// The length of the `S-1-...` prefix of `s`: decimal or 0x-hex authority, then `-digits`.
fn sid_string_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 2;
    let digits = |i: &mut usize, hex: bool| {
        // A hex authority is at most 12 digits (MS-DTYP 2.4.2.1), so in `S-1-0x...D:` the
        // `D` starts the next component.
        let limit = if hex { *i + 12 } else { usize::MAX };
        while *i < b.len()
            && *i < limit
            && (b[*i].is_ascii_digit() || (hex && b[*i].is_ascii_hexdigit()))
        {
            *i += 1;
        }
    };
    digits(&mut i, false); // revision
    if i < b.len() && b[i] == b'-' {
        i += 1;
        if s[i..].starts_with("0x") || s[i..].starts_with("0X") {
            i += 2;
            digits(&mut i, true);
        } else {
            digits(&mut i, false);
        }
    }
    while i + 1 < b.len() && b[i] == b'-' && b[i + 1].is_ascii_digit() {
        i += 1;
        digits(&mut i, false);
    }
    i
}

fn parse_ace_flags(s: &str) -> Option<AceFlags> {
    let mut out = 0u8;
    let mut rest = s;
    while !rest.is_empty() {
        let code = rest.get(..2)?;
        out |= ACE_FLAGS.iter().find(|(c, _)| *c == code)?.1;
        rest = &rest[2..];
    }
    Some(AceFlags(out))
}

fn parse_rights(s: &str) -> Option<u32> {
    if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return u32::from_str_radix(hex, 16).ok();
    }
    if s.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let radix = if s.len() > 1 && s.starts_with('0') {
            8
        } else {
            10
        };
        return u32::from_str_radix(s, radix).ok();
    }
    if s.is_empty() {
        return None;
    }
    let mut out = 0u32;
    let mut rest = s;
    while !rest.is_empty() {
        let code = rest.get(..2)?;
        let all = WHOLE_RIGHTS.iter().chain(BIT_RIGHTS);
        out |= all.clone().find(|(c, _)| *c == code)?.1;
        rest = &rest[2..];
    }
    Some(out)
}

fn format_rights(out: &mut String, mask: u32) {
    if let Some((code, _)) = WHOLE_RIGHTS.iter().find(|(_, m)| *m == mask) {
        out.push_str(code);
        return;
    }
    let covered = BIT_RIGHTS.iter().fold(0, |acc, (_, m)| acc | m);
    if mask != 0 && mask & !covered == 0 {
        for (code, bit) in BIT_RIGHTS {
            if mask & bit != 0 {
                out.push_str(code);
            }
        }
    } else {
        let _ = write!(out, "{mask:#x}");
    }
}

fn format_sid(out: &mut String, sid: &Sid) {
    match SID_ALIASES.iter().find(|(_, s)| s == sid) {
        Some((alias, _)) => out.push_str(alias),
        None => {
            let _ = write!(out, "{sid}");
        }
    }
}

fn format_acl(
    out: &mut String,
    control: SdControl,
    acl: Option<&Acl>,
    sacl: bool,
) -> Result<(), SecurityError> {
    let (p, ar, ai) = if sacl {
        (
            SdControl::SACL_PROTECTED,
            SdControl::SACL_AUTO_INHERIT_REQ,
            SdControl::SACL_AUTO_INHERITED,
        )
    } else {
        (
            SdControl::DACL_PROTECTED,
            SdControl::DACL_AUTO_INHERIT_REQ,
            SdControl::DACL_AUTO_INHERITED,
        )
    };
    for (bit, code) in [(p, "P"), (ar, "AR"), (ai, "AI")] {
        if control.contains(bit) {
            out.push_str(code);
        }
    }
    let Some(acl) = acl else {
        out.push_str("NO_ACCESS_CONTROL");
        return Ok(());
    };
    for ace in &acl.aces {
        let (ty, a) = match ace {
            Ace::Allowed(a) => ("A", a),
            Ace::Denied(a) => ("D", a),
            Ace::Audit(a) => ("AU", a),
            Ace::Other(_) => {
                return Err(SecurityError::NotExpressibleInSddl(
                    "ACE type other than A, D, AU",
                ));
            }
        };
        if !a.trailing().is_empty() {
            return Err(SecurityError::NotExpressibleInSddl(
                "bytes after an ACE's SID",
            ));
        }
        let known = ACE_FLAGS.iter().fold(0, |acc, (_, f)| acc | f);
        if a.flags.0 & !known != 0 {
            return Err(SecurityError::NotExpressibleInSddl("ACE flag 0x20"));
        }
        out.push('(');
        out.push_str(ty);
        out.push(';');
        for (code, bit) in ACE_FLAGS {
            if a.flags.0 & bit != 0 {
                out.push_str(code);
            }
        }
        out.push(';');
        format_rights(out, a.mask.0);
        out.push_str(";;;");
        format_sid(out, &a.sid);
        out.push(')');
    }
    Ok(())
}

impl SecurityDescriptor {
    /// The SDDL form. Fails for ACE types SDDL's common subset lacks (object, callback,
    /// label ...), for bytes after an ACE's SID, and for ACE flag 0x20.
    pub fn to_sddl(&self) -> Result<String, SecurityError> {
        let mut out = String::new();
        if let Some(owner) = &self.owner {
            out.push_str("O:");
            format_sid(&mut out, owner);
        }
        if let Some(group) = &self.group {
            out.push_str("G:");
            format_sid(&mut out, group);
        }
        if self.has_dacl() {
            out.push_str("D:");
            format_acl(&mut out, self.control, self.dacl.as_ref(), false)?;
        }
        if self.control.contains(SdControl::SACL_PRESENT) || self.sacl.is_some() {
            out.push_str("S:");
            format_acl(&mut out, self.control, self.sacl.as_ref(), true)?;
        }
        Ok(out)
    }
}

impl FromStr for SecurityDescriptor {
    type Err = SecurityError;

    /// Parses SDDL (see the module documentation for the subset).
    fn from_str(s: &str) -> Result<SecurityDescriptor, SecurityError> {
        Parser { s, pos: 0 }.descriptor()
    }
}

#[cfg(test)]
mod tests {
    use super::super::descriptor::tests::SPEC_EXAMPLE;
    use super::*;

    fn parse(s: &str) -> SecurityDescriptor {
        s.parse().unwrap()
    }

    #[test]
    fn spec_example_parses_to_the_spec_bytes() {
        let s = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)S:P(AU;FA;GR;;;WD)";
        let sd = parse(s);
        assert_eq!(sd.encode(), SPEC_EXAMPLE);
        assert_eq!(
            sd.to_sddl().unwrap(),
            "O:BAG:BAD:P(A;OICI;GXGR;;;BU)(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;GA;;;CO)S:P(AU;FA;GR;;;WD)"
        );
        assert_eq!(parse(&sd.to_sddl().unwrap()), sd);
    }

    #[test]
    fn rights_aliases_and_hex() {
        let sd = parse(
            "D:AI(A;;FA;;;SY)(A;OICIID;0x1200a9;;;BU)(D;;WDWO;;;WD)(A;;CCLCSWRPWPDTLOCRRC;;;AU)",
        );
        let dacl = sd.dacl.as_ref().unwrap();
        assert_eq!(dacl.aces[0].mask(), Some(AccessMask::FILE_ALL_ACCESS));
        assert_eq!(dacl.aces[1].mask(), Some(AccessMask(0x1200a9)));
        assert_eq!(
            dacl.aces[2].mask(),
            Some(AccessMask::WRITE_DAC | AccessMask::WRITE_OWNER)
        );
        assert!(sd.control.contains(SdControl::DACL_AUTO_INHERITED));
        assert_eq!(
            sd.to_sddl().unwrap(),
            "D:AI(A;;FA;;;SY)(A;OICIID;0x1200a9;;;BU)(D;;WDWO;;;WD)(A;;CCLCSWRPWPDTLOCRRC;;;AU)"
        );
        let num = parse("D:(A;;2032127;;;SY)(A;;07;;;WD)");
        let dacl = num.dacl.unwrap();
        assert_eq!(dacl.aces[0].mask(), Some(AccessMask::FILE_ALL_ACCESS));
        assert_eq!(dacl.aces[1].mask(), Some(AccessMask(7)));
    }

    #[test]
    fn sids_null_and_empty_dacls() {
        let sd = parse("O:S-1-5-21-1-2-3G:S-1-22-2-100D:NO_ACCESS_CONTROL");
        assert_eq!(sd.owner.unwrap().to_string(), "S-1-5-21-1-2-3");
        assert_eq!(sd.group, Some(wk::unix_group(100)));
        assert!(sd.is_null_dacl());
        assert_eq!(
            sd.to_sddl().unwrap(),
            "O:S-1-5-21-1-2-3G:S-1-22-2-100D:NO_ACCESS_CONTROL"
        );
        let empty = parse("D:");
        assert!(empty.has_dacl() && empty.dacl.as_ref().unwrap().is_empty());
        assert_eq!(empty.to_sddl().unwrap(), "D:");
        let none = parse("O:SY");
        assert!(!none.has_dacl());
        assert_eq!(none.to_sddl().unwrap(), "O:SY");
        let order = parse("D:(A;;FA;;;OW)G:BUO:BA");
        assert_eq!(order.to_sddl().unwrap(), "O:BAG:BUD:(A;;FA;;;OW)");
    }

    #[test]
    fn errors_name_the_position() {
        let at = |s: &str| match s.parse::<SecurityDescriptor>() {
            Err(SecurityError::Sddl { pos, .. }) => pos,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(at("X:BA"), 0);
        assert_eq!(at("O:ZZ"), 2);
        assert_eq!(at("O:DA"), 2);
        assert_eq!(at("D:(OA;;FA;;;WD)"), 3);
        assert_eq!(at("D:(A;XX;FA;;;WD)"), 5);
        assert_eq!(at("D:(A;;QQ;;;WD)"), 6);
        assert_eq!(at("D:(A;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)"), 9);
        assert_eq!(at("D:(A;;FA;;;S-1-5-x)"), 11);
        assert_eq!(at("D:(A;;FA;;WD)"), 2);
        assert_eq!(at("D:(A;;FA;;;WD"), 2);
        assert_eq!(at("D:NO_ACCESS_CONTROL(A;;FA;;;WD)"), 19);
        assert_eq!(at("O:BAO:BA"), 4);
    }

    #[test]
    fn unexpressible_descriptors_are_refused() {
        let mut sd = SecurityDescriptor::new();
        let raw =
            super::super::RawAce::new(super::super::AceType(0x11), AceFlags::NONE, vec![0; 12])
                .unwrap();
        sd.set_sacl(Acl::new(vec![Ace::Other(raw)]));
        assert!(matches!(
            sd.to_sddl(),
            Err(SecurityError::NotExpressibleInSddl(_))
        ));
    }
}
