//! Security identifiers (MS-DTYP 2.4.2 SID, 2.4.2.1 SID string format, 2.4.2.2 binary
//! format, 2.4.2.4 well-known SIDs).
//!
//! A [`Sid`] is revision 1, a 48-bit identifier authority and up to 15 32-bit
//! sub-authorities. It is a plain value (no heap): cheap to clone, hash and compare.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bytes::BufMut;

use super::SecurityError;
use super::wire::Reader;

/// The only SID revision (MS-DTYP 2.4.2.2).
pub const SID_REVISION: u8 = 1;
/// The most sub-authorities a SID may have (MS-DTYP 2.4.2).
pub const SID_MAX_SUB_AUTHORITIES: usize = 15;
const MAX_AUTHORITY: u64 = (1 << 48) - 1;

/// A security identifier (MS-DTYP 2.4.2).
///
/// Ordering compares the authority, then the sub-authorities in order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid {
    authority: u64,
    count: u8,
    // Unused slots are always zero, so the derived Eq and Hash agree with Ord.
    subs: [u32; SID_MAX_SUB_AUTHORITIES],
}

impl Sid {
    /// A SID from its identifier authority (48 bits) and sub-authorities (at most 15).
    pub fn new(authority: u64, subs: &[u32]) -> Result<Sid, SecurityError> {
        if authority > MAX_AUTHORITY {
            return Err(SecurityError::AuthorityTooLarge(authority));
        }
        if subs.len() > SID_MAX_SUB_AUTHORITIES {
            return Err(SecurityError::TooManySubAuthorities(subs.len()));
        }
        Ok(Sid::from_parts(authority, subs))
    }

    /// Builds a SID known to be valid (used for the well-known constants); in a const
    /// context a bad SID fails the build.
    pub(super) const fn from_parts(authority: u64, subs: &[u32]) -> Sid {
        assert!(authority <= MAX_AUTHORITY && subs.len() <= SID_MAX_SUB_AUTHORITIES);
        let mut out = [0u32; SID_MAX_SUB_AUTHORITIES];
        let mut i = 0;
        while i < subs.len() {
            out[i] = subs[i];
            i += 1;
        }
        Sid {
            authority,
            count: subs.len() as u8,
            subs: out,
        }
    }

    /// The identifier authority (the 6-byte big-endian field, as a number).
    pub const fn authority(&self) -> u64 {
        self.authority
    }

    /// The sub-authorities, in order.
    pub fn sub_authorities(&self) -> &[u32] {
        &self.subs[..usize::from(self.count)]
    }

    /// The last sub-authority (the relative identifier), if there is one.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities().last().copied()
    }

    /// Splits a SID into its domain (all but the last sub-authority) and its RID.
    pub fn domain_and_rid(&self) -> Option<(Sid, u32)> {
        let (rid, domain) = self.sub_authorities().split_last()?;
        Some((Sid::from_parts(self.authority, domain), *rid))
    }

    /// This SID with `rid` appended (a domain SID plus a RID gives an account SID).
    pub fn with_rid(&self, rid: u32) -> Result<Sid, SecurityError> {
        let n = usize::from(self.count);
        if n >= SID_MAX_SUB_AUTHORITIES {
            return Err(SecurityError::TooManySubAuthorities(n + 1));
        }
        let mut out = *self;
        out.subs[n] = rid;
        out.count += 1;
        Ok(out)
    }

    /// Bytes of the binary form: 8 plus 4 per sub-authority.
    pub fn encoded_len(&self) -> usize {
        8 + 4 * usize::from(self.count)
    }

    /// Appends the binary form (MS-DTYP 2.4.2.2).
    pub fn encode_into(&self, out: &mut impl BufMut) {
        out.put_u8(SID_REVISION);
        out.put_u8(self.count);
        out.put_slice(&self.authority.to_be_bytes()[2..]);
        for sub in self.sub_authorities() {
            out.put_u32_le(*sub);
        }
    }

    /// The binary form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Decodes a SID at the start of `buf`; returns it and the bytes it used. Bytes after
    /// the SID are left to the caller.
    pub fn decode(buf: &[u8]) -> Result<(Sid, usize), SecurityError> {
        let mut r = Reader::new(buf, "SID");
        let revision = r.u8()?;
        if revision != SID_REVISION {
            return Err(SecurityError::BadRevision {
                what: "SID",
                revision,
            });
        }
        let count = usize::from(r.u8()?);
        if count > SID_MAX_SUB_AUTHORITIES {
            return Err(SecurityError::TooManySubAuthorities(count));
        }
        let mut authority = 0u64;
        for b in r.take(6)? {
            authority = (authority << 8) | u64::from(*b);
        }
        let mut subs = [0u32; SID_MAX_SUB_AUTHORITIES];
        for slot in subs.iter_mut().take(count) {
            *slot = r.u32()?;
        }
        let sid = Sid {
            authority,
            count: count as u8,
            subs,
        };
        Ok((sid, r.pos()))
    }
}

impl Ord for Sid {
    fn cmp(&self, other: &Sid) -> Ordering {
        self.authority
            .cmp(&other.authority)
            .then_with(|| self.sub_authorities().cmp(other.sub_authorities()))
    }
}

impl PartialOrd for Sid {
    fn partial_cmp(&self, other: &Sid) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Sid {
    /// `S-1-5-21-1-2-3`; an authority of 2^32 or more is written `0x` and 12 hex digits
    /// (MS-DTYP 2.4.2.1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{SID_REVISION}-")?;
        if self.authority >= 1 << 32 {
            write!(f, "0x{:012X}", self.authority)?;
        } else {
            write!(f, "{}", self.authority)?;
        }
        for sub in self.sub_authorities() {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Sid {
    type Err = SecurityError;

    /// Parses `S-1-<authority>(-<sub-authority>)*` (MS-DTYP 2.4.2.1); the authority is
    /// decimal below 2^32 or `0x` hex, sub-authorities are decimal.
    fn from_str(s: &str) -> Result<Sid, SecurityError> {
        let bad = || SecurityError::BadSidString(s.to_owned());
        let mut parts = s.split('-');
        if !matches!(parts.next(), Some("S" | "s")) || parts.next() != Some("1") {
            return Err(bad());
        }
        let auth = parts.next().ok_or_else(bad)?;
        let authority = if let Some(hex) = auth.strip_prefix("0x").or(auth.strip_prefix("0X")) {
            if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            u64::from_str_radix(hex, 16).map_err(|_| bad())?
        } else {
            parse_decimal(auth).ok_or_else(bad)?.into()
        };
        let mut subs = Vec::with_capacity(SID_MAX_SUB_AUTHORITIES);
        for part in parts {
            if subs.len() == SID_MAX_SUB_AUTHORITIES {
                return Err(bad());
            }
            subs.push(parse_decimal(part).ok_or_else(bad)?);
        }
        Sid::new(authority, &subs).map_err(|_| bad())
    }
}

/// A decimal u32 made of digits only (no sign, no spaces).
fn parse_decimal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Well-known SIDs (MS-DTYP 2.4.2.4) and the Unix mapping SIDs.
pub mod well_known {
    use super::Sid;

    /// S-1-0-0, the NULL SID.
    pub const NULL: Sid = Sid::from_parts(0, &[0]);
    /// S-1-1-0, Everyone (SDDL `WD`).
    pub const WORLD: Sid = Sid::from_parts(1, &[0]);
    /// S-1-2-0, users logged on locally (SDDL none).
    pub const LOCAL: Sid = Sid::from_parts(2, &[0]);
    /// S-1-3-0, CREATOR OWNER: replaced by the owner when inherited (SDDL `CO`).
    pub const CREATOR_OWNER: Sid = Sid::from_parts(3, &[0]);
    /// S-1-3-1, CREATOR GROUP: replaced by the primary group when inherited (SDDL `CG`).
    pub const CREATOR_GROUP: Sid = Sid::from_parts(3, &[1]);
    /// S-1-3-4, OWNER RIGHTS: ACEs for it replace the owner's implicit rights (SDDL `OW`).
    pub const OWNER_RIGHTS: Sid = Sid::from_parts(3, &[4]);
    /// S-1-5-2, NETWORK (SDDL `NU`).
    pub const NETWORK: Sid = Sid::from_parts(5, &[2]);
    /// S-1-5-4, INTERACTIVE (SDDL `IU`).
    pub const INTERACTIVE: Sid = Sid::from_parts(5, &[4]);
    /// S-1-5-6, SERVICE (SDDL `SU`).
    pub const SERVICE: Sid = Sid::from_parts(5, &[6]);
    /// S-1-5-7, ANONYMOUS LOGON (SDDL `AN`).
    pub const ANONYMOUS: Sid = Sid::from_parts(5, &[7]);
    /// S-1-5-10, PRINCIPAL SELF (SDDL `PS`).
    pub const PRINCIPAL_SELF: Sid = Sid::from_parts(5, &[10]);
    /// S-1-5-11, Authenticated Users (SDDL `AU`).
    pub const AUTHENTICATED_USERS: Sid = Sid::from_parts(5, &[11]);
    /// S-1-5-18, LocalSystem (SDDL `SY`).
    pub const LOCAL_SYSTEM: Sid = Sid::from_parts(5, &[18]);
    /// S-1-5-19, LocalService (SDDL `LS`).
    pub const LOCAL_SERVICE: Sid = Sid::from_parts(5, &[19]);
    /// S-1-5-20, NetworkService (SDDL `NS`).
    pub const NETWORK_SERVICE: Sid = Sid::from_parts(5, &[20]);
    /// S-1-5-32, the BUILTIN domain.
    pub const BUILTIN: Sid = Sid::from_parts(5, &[32]);
    /// S-1-5-32-544, BUILTIN\Administrators (SDDL `BA`).
    pub const BUILTIN_ADMINISTRATORS: Sid = Sid::from_parts(5, &[32, 544]);
    /// S-1-5-32-545, BUILTIN\Users (SDDL `BU`).
    pub const BUILTIN_USERS: Sid = Sid::from_parts(5, &[32, 545]);
    /// S-1-5-32-546, BUILTIN\Guests (SDDL `BG`).
    pub const BUILTIN_GUESTS: Sid = Sid::from_parts(5, &[32, 546]);
    /// S-1-5-32-547, BUILTIN\Power Users (SDDL `PU`).
    pub const BUILTIN_POWER_USERS: Sid = Sid::from_parts(5, &[32, 547]);
    /// S-1-5-32-551, BUILTIN\Backup Operators (SDDL `BO`).
    pub const BUILTIN_BACKUP_OPERATORS: Sid = Sid::from_parts(5, &[32, 551]);
    /// S-1-22-1, the domain of Unix users without a Windows account.
    pub const UNIX_USERS: Sid = Sid::from_parts(22, &[1]);
    /// S-1-22-2, the domain of Unix groups without a Windows account.
    pub const UNIX_GROUPS: Sid = Sid::from_parts(22, &[2]);

    /// S-1-22-1-`uid`: a Unix user with no Windows account.
    pub const fn unix_user(uid: u32) -> Sid {
        Sid::from_parts(22, &[1, uid])
    }

    /// S-1-22-2-`gid`: a Unix group with no Windows account.
    pub const fn unix_group(gid: u32) -> Sid {
        Sid::from_parts(22, &[2, gid])
    }
}

#[cfg(test)]
mod tests {
    use super::well_known::*;
    use super::*;

    #[test]
    fn binary_form_of_builtin_administrators() {
        // MS-DTYP 2.5.1.4: the owner BA encodes as these 16 bytes.
        let bytes = [1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0];
        assert_eq!(BUILTIN_ADMINISTRATORS.to_bytes(), bytes);
        assert_eq!(Sid::decode(&bytes).unwrap(), (BUILTIN_ADMINISTRATORS, 16));
        assert_eq!(BUILTIN_ADMINISTRATORS.encoded_len(), 16);
    }

    #[test]
    fn text_forms() {
        let sid: Sid = "S-1-5-21-1-2-3".parse().unwrap();
        assert_eq!(sid.authority(), 5);
        assert_eq!(sid.sub_authorities(), [21, 1, 2, 3]);
        assert_eq!(sid.to_string(), "S-1-5-21-1-2-3");
        assert_eq!(sid.rid(), Some(3));
        let (domain, rid) = sid.domain_and_rid().unwrap();
        assert_eq!(domain.to_string(), "S-1-5-21-1-2");
        assert_eq!(domain.with_rid(rid).unwrap(), sid);
        let big: Sid = "S-1-0x123456789ABC-7".parse().unwrap();
        assert_eq!(big.authority(), 0x1234_5678_9ABC);
        assert_eq!(big.to_string(), "S-1-0x123456789ABC-7");
        assert_eq!(
            "S-1-5".parse::<Sid>().unwrap().sub_authorities(),
            [] as [u32; 0]
        );
        assert_eq!(unix_user(1000).to_string(), "S-1-22-1-1000");
        assert_eq!(unix_group(100).to_string(), "S-1-22-2-100");
    }

    #[test]
    fn rejects_bad_text() {
        for s in [
            "",
            "S",
            "S-1",
            "S-2-5",
            "S-1-5-",
            "S-1--5",
            "S-1-5-x",
            "S-1-5-+1",
            "S-1-5-4294967296",
            "S-1-0x1000000000000",
            "S-1-0x",
            "X-1-5",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        ] {
            assert!(s.parse::<Sid>().is_err(), "{s}");
        }
    }

    #[test]
    fn rejects_bad_binary() {
        assert!(Sid::decode(&[]).is_err());
        assert!(matches!(
            Sid::decode(&[2, 0, 0, 0, 0, 0, 0, 0]),
            Err(SecurityError::BadRevision { .. })
        ));
        assert!(matches!(
            Sid::decode(&[1, 16, 0, 0, 0, 0, 0, 5]),
            Err(SecurityError::TooManySubAuthorities(16))
        ));
        assert!(matches!(
            Sid::decode(&[1, 1, 0, 0, 0, 0, 0, 5, 1, 2]),
            Err(SecurityError::Truncated { .. })
        ));
        let full = Sid::new(5, &[1; 15]).unwrap();
        assert!(full.with_rid(1).is_err());
        assert!(Sid::new(1 << 48, &[]).is_err());
    }

    #[test]
    fn ordering_is_by_authority_then_subs() {
        assert!(WORLD < LOCAL_SYSTEM);
        assert!(BUILTIN < BUILTIN_ADMINISTRATORS);
        assert!(BUILTIN_ADMINISTRATORS < BUILTIN_USERS);
    }
}
