//! The well-known security principals every Windows machine resolves without a
//! database (MS-DTYP 2.4.2.4), with the names and domains an English Windows gives them,
//! as LsarLookupSids and LsarLookupNames answer for them (SidTypeWellKnownGroup).
//!
//! Each principal's domain, for the referenced-domain list of a lookup, is its SID
//! without the last sub-authority (so that domain SID plus RID gives the SID back, as
//! the older lookups' RID-and-domain answers need), under the domain name shown here:
//! `NT AUTHORITY` for S-1-5-x, the empty name for the world, local and creator
//! authorities.

use lwio_core::Sid;

/// One well-known principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WellKnown {
    /// Its identifier authority.
    pub authority: u64,
    /// Its sub-authorities.
    pub subs: &'static [u32],
    /// Its name, e.g. `Everyone`.
    pub name: &'static str,
    /// The name of its domain, e.g. `NT AUTHORITY` (empty for S-1-1-0 and others).
    pub domain: &'static str,
}

/// The NT AUTHORITY domain name (S-1-5).
pub const NT_AUTHORITY: &str = "NT AUTHORITY";

const fn wk(authority: u64, subs: &'static [u32], name: &'static str) -> WellKnown {
    WellKnown {
        authority,
        subs,
        name,
        domain: if authority == 5 { NT_AUTHORITY } else { "" },
    }
}

/// The table, in SID order.
pub const PRINCIPALS: &[WellKnown] = &[
    wk(0, &[0], "NULL SID"),
    wk(1, &[0], "Everyone"),
    wk(2, &[0], "LOCAL"),
    wk(2, &[1], "CONSOLE LOGON"),
    wk(3, &[0], "CREATOR OWNER"),
    wk(3, &[1], "CREATOR GROUP"),
    wk(3, &[2], "CREATOR OWNER SERVER"),
    wk(3, &[3], "CREATOR GROUP SERVER"),
    wk(3, &[4], "OWNER RIGHTS"),
    wk(5, &[1], "DIALUP"),
    wk(5, &[2], "NETWORK"),
    wk(5, &[3], "BATCH"),
    wk(5, &[4], "INTERACTIVE"),
    wk(5, &[6], "SERVICE"),
    wk(5, &[7], "ANONYMOUS LOGON"),
    wk(5, &[8], "PROXY"),
    wk(5, &[9], "ENTERPRISE DOMAIN CONTROLLERS"),
    wk(5, &[10], "SELF"),
    wk(5, &[11], "Authenticated Users"),
    wk(5, &[12], "RESTRICTED"),
    wk(5, &[13], "TERMINAL SERVER USER"),
    wk(5, &[14], "REMOTE INTERACTIVE LOGON"),
    wk(5, &[15], "This Organization"),
    wk(5, &[17], "IUSR"),
    wk(5, &[18], "SYSTEM"),
    wk(5, &[19], "LOCAL SERVICE"),
    wk(5, &[20], "NETWORK SERVICE"),
    wk(5, &[64, 10], "NTLM Authentication"),
    wk(5, &[64, 14], "SChannel Authentication"),
    wk(5, &[64, 21], "Digest Authentication"),
    wk(5, &[113], "Local account"),
    wk(
        5,
        &[114],
        "Local account and member of Administrators group",
    ),
    wk(5, &[1000], "Other Organization"),
];

impl WellKnown {
    /// The principal's SID.
    pub fn sid(&self) -> Option<Sid> {
        Sid::new(self.authority, self.subs).ok()
    }

    /// The SID of its domain: its own without the last sub-authority.
    pub fn domain_sid(&self) -> Option<Sid> {
        let (_, domain) = self.subs.split_last()?;
        Sid::new(self.authority, domain).ok()
    }
}

/// The well-known principal with `sid`.
pub fn by_sid(sid: &Sid) -> Option<&'static WellKnown> {
    PRINCIPALS
        .iter()
        .find(|w| w.authority == sid.authority() && w.subs == sid.sub_authorities())
}

/// The well-known principal named `name`, in the domain `domain` when one is given
/// (names compare without regard to case).
pub fn by_name(domain: Option<&str>, name: &str) -> Option<&'static WellKnown> {
    PRINCIPALS.iter().find(|w| {
        w.name.eq_ignore_ascii_case(name) && domain.is_none_or(|d| w.domain.eq_ignore_ascii_case(d))
    })
}

/// The SID of the NT AUTHORITY domain, S-1-5.
pub fn nt_authority() -> Option<Sid> {
    Sid::new(5, &[]).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use lwio_core::security::well_known;

    use super::*;

    #[test]
    fn the_table_resolves_both_ways() {
        for w in PRINCIPALS {
            let sid = w.sid().unwrap();
            assert_eq!(by_sid(&sid), Some(w));
            assert_eq!(by_name(Some(w.domain), w.name), Some(w));
            assert_eq!(
                w.domain_sid()
                    .unwrap()
                    .with_rid(sid.rid().unwrap())
                    .unwrap(),
                sid
            );
        }
        assert_eq!(
            by_name(None, "everyone").unwrap().sid(),
            Some(well_known::WORLD)
        );
        assert_eq!(
            by_name(Some("nt authority"), "system").unwrap().sid(),
            Some(well_known::LOCAL_SYSTEM)
        );
        assert!(by_name(Some(NT_AUTHORITY), "Everyone").is_none());
        assert!(by_name(None, "BOGUS").is_none());
        assert_eq!(nt_authority().unwrap().to_string(), "S-1-5");
    }
}
