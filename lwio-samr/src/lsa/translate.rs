//! Name and SID translation (MS-LSAT 3.1.4.5 and 3.1.4.9): what the lookup calls
//! compute, apart from their wire forms.
//!
//! # What a standalone machine knows
//!
//! Three sources, searched in this order for an isolated name (`alice`): the well-known
//! principals ([`super::wellknown`]), the names of the domains themselves (the account
//! domain, named after the machine, `BUILTIN` and `NT AUTHORITY`), the Builtin domain's
//! aliases, then the account domain's users, groups and aliases. A qualified name
//! (`DOMAIN\name`, or `name@DOMAIN`) is looked for in that domain only; `DOMAIN\` names
//! the domain. The empty name resolves to the Builtin domain, as Windows Server does.
//! Names compare without regard to case.
//!
//! A SID resolves when it is a well-known principal, one of the three domains, or an
//! account of the Builtin or account domain.
//!
//! # Scopes
//!
//! The LookupLevel of the request (MS-LSAT 2.2.16) and the caller decide what may be
//! resolved ([`Scope`]): LsapLookupWksta (1) everything above; the levels a domain
//! controller uses to forward lookups (PDC 2, TDL 3, GC 4, XForestResolve 6) the account
//! domain only, as a machine answers for the domain it is authoritative for;
//! XForestReferral (5) nothing; any other level is STATUS_INVALID_PARAMETER. An anonymous
//! caller resolves well-known principals only (Windows' default: "Network access: Allow
//! anonymous SID/Name translation" is disabled).
//!
//! # Answers
//!
//! Every resolved entry names its domain by an index into the referenced-domain list
//! ([`Domains`]), each domain listed once. An unresolved name is SidTypeUnknown with
//! domain index -1; an unresolved SID is SidTypeUnknown, domain index -1, and its name
//! is the SID's string form (as Windows returns it).

use lwio_core::security::well_known;
use lwio_core::{NtStatus, Sid};
use lwio_rpc::ndr::RpcUnicodeString;

use super::types::{ReferencedDomainList, TrustInformation};
use super::wellknown::{self, NT_AUTHORITY};
use crate::model::{DomainKind, SidType};
use crate::sam::{BUILTIN_NAME, Sam};

/// What one lookup may resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything this machine knows (LsapLookupWksta).
    Local,
    /// The account domain and its accounts only.
    AccountDomain,
    /// Well-known principals only (an anonymous caller).
    WellKnown,
    /// Nothing.
    Nothing,
}

impl Scope {
    /// The scope of a request at `level` from a caller who is `anonymous`;
    /// STATUS_INVALID_PARAMETER for a level MS-LSAT does not define for this machine.
    pub fn of(level: u16, anonymous: bool) -> Result<Scope, NtStatus> {
        let scope = match level {
            1 => Scope::Local,
            2 | 3 | 4 | 6 => Scope::AccountDomain,
            5 => Scope::Nothing,
            _ => return Err(NtStatus::INVALID_PARAMETER),
        };
        Ok(match (scope, anonymous) {
            (Scope::Local, true) => Scope::WellKnown,
            (Scope::AccountDomain, true) => Scope::Nothing,
            (s, _) => s,
        })
    }
}

/// Where a resolved principal lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    WellKnown,
    Builtin,
    Account,
}

impl Origin {
    fn allowed(self, scope: Scope) -> bool {
        match scope {
            Scope::Local => true,
            Scope::AccountDomain => self == Origin::Account,
            Scope::WellKnown => self == Origin::WellKnown,
            Scope::Nothing => false,
        }
    }
}

/// A resolved principal: its SID and type, and its domain's name and SID.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    sid: Sid,
    kind: SidType,
    name: String,
    domain_name: String,
    domain_sid: Sid,
    origin: Origin,
}

/// The referenced-domain list of one lookup: each domain once, in the order first met.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Domains {
    list: Vec<(String, Sid)>,
}

impl Domains {
    /// The index of domain `sid`, added under `name` when it is not listed yet.
    fn index(&mut self, name: &str, sid: Sid) -> i32 {
        match self.list.iter().position(|(_, s)| *s == sid) {
            Some(i) => i as i32,
            None => {
                self.list.push((name.to_owned(), sid));
                (self.list.len() - 1) as i32
            }
        }
    }

    /// The domains listed.
    pub fn entries(&self) -> &[(String, Sid)] {
        &self.list
    }

    /// LSAPR_REFERENCED_DOMAIN_LIST of these domains.
    pub fn to_wire(&self) -> ReferencedDomainList {
        let domains: Vec<TrustInformation> = self
            .list
            .iter()
            .map(|(name, sid)| TrustInformation {
                name: RpcUnicodeString::new(name),
                sid: Some(*sid),
            })
            .collect();
        let n = domains.len() as u32;
        ReferencedDomainList {
            entries: n,
            domains: (n > 0).then_some(domains),
            max_entries: n,
        }
    }
}

/// A translated name: what a LookupNames call reports for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameResult {
    /// The SID type (SidTypeUnknown when not resolved).
    pub kind: SidType,
    /// The SID (the domain's own for SidTypeDomain); `None` when not resolved.
    pub sid: Option<Sid>,
    /// The index of its domain in the referenced-domain list, -1 when not resolved.
    pub domain_index: i32,
}

impl NameResult {
    /// The relative identifier the older lookups carry: the SID's last sub-authority,
    /// 0xFFFFFFFF for a domain, 0 when not resolved.
    pub fn rid(&self) -> u32 {
        match (self.kind, self.sid) {
            (SidType::Domain, _) => u32::MAX,
            (_, Some(sid)) => sid.rid().unwrap_or(0),
            _ => 0,
        }
    }
}

/// A translated SID: what a LookupSids call reports for one SID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidResult {
    /// The SID type (SidTypeUnknown when not resolved).
    pub kind: SidType,
    /// The account's name (the domain's for SidTypeDomain, the SID's string form when not
    /// resolved).
    pub name: String,
    /// The index of its domain in the referenced-domain list, -1 when not resolved.
    pub domain_index: i32,
}

/// Translates names and SIDs for one call, over the SAM.
pub struct Translator<'a> {
    sam: &'a Sam,
    account_name: String,
    account_sid: Sid,
    scope: Scope,
}

impl<'a> Translator<'a> {
    /// A translator over `sam` resolving what `scope` allows.
    pub fn new(sam: &'a Sam, scope: Scope) -> Result<Translator<'a>, NtStatus> {
        let d = sam.domain()?;
        Ok(Translator {
            sam,
            account_name: d.name,
            account_sid: d.sid,
            scope,
        })
    }

    /// Translates `name`, adding its domain to `domains`.
    pub fn name(&self, name: &str, domains: &mut Domains) -> Result<NameResult, NtStatus> {
        Ok(match self.find_name(name)? {
            Some(f) if f.origin.allowed(self.scope) => NameResult {
                kind: f.kind,
                sid: Some(f.sid),
                domain_index: domains.index(&f.domain_name, f.domain_sid),
            },
            _ => NameResult {
                kind: SidType::Unknown,
                sid: None,
                domain_index: -1,
            },
        })
    }

    /// Translates `sid`, adding its domain to `domains`.
    pub fn sid(&self, sid: &Sid, domains: &mut Domains) -> Result<SidResult, NtStatus> {
        Ok(match self.find_sid(sid)? {
            Some(f) if f.origin.allowed(self.scope) => SidResult {
                kind: f.kind,
                name: f.name,
                domain_index: domains.index(&f.domain_name, f.domain_sid),
            },
            _ => SidResult {
                kind: SidType::Unknown,
                name: sid.to_string(),
                domain_index: -1,
            },
        })
    }

    /// A domain as a principal of its own type.
    fn domain(&self, name: &str, sid: Sid, origin: Origin) -> Found {
        Found {
            sid,
            kind: SidType::Domain,
            name: name.to_owned(),
            domain_name: name.to_owned(),
            domain_sid: sid,
            origin,
        }
    }

    fn well_known(&self, w: &wellknown::WellKnown) -> Option<Found> {
        Some(Found {
            sid: w.sid()?,
            kind: SidType::WellKnownGroup,
            name: w.name.to_owned(),
            domain_name: w.domain.to_owned(),
            domain_sid: w.domain_sid()?,
            origin: Origin::WellKnown,
        })
    }

    fn nt_authority(&self) -> Option<Found> {
        Some(self.domain(NT_AUTHORITY, wellknown::nt_authority()?, Origin::WellKnown))
    }

    /// An account of the SAM domain `kind` named `name`.
    fn account(&self, kind: DomainKind, name: &str) -> Result<Option<Found>, NtStatus> {
        let (domain_sid, origin) = match kind {
            DomainKind::Account => (self.account_sid, Origin::Account),
            DomainKind::Builtin => (well_known::BUILTIN, Origin::Builtin),
        };
        Ok(self.sam.lookup_name(kind, name)?.map(|r| Found {
            sid: r.sid,
            kind: r.kind,
            name: r.name,
            domain_name: r.domain_name,
            domain_sid,
            origin,
        }))
    }

    /// The domain named `name`, if this machine has one of that name.
    fn domain_named(&self, name: &str) -> Option<Found> {
        if name.eq_ignore_ascii_case(&self.account_name) {
            Some(self.domain(&self.account_name, self.account_sid, Origin::Account))
        } else if name.eq_ignore_ascii_case(BUILTIN_NAME) {
            Some(self.domain(BUILTIN_NAME, well_known::BUILTIN, Origin::Builtin))
        } else if name.eq_ignore_ascii_case(NT_AUTHORITY) {
            self.nt_authority()
        } else {
            None
        }
    }

    fn find_name(&self, name: &str) -> Result<Option<Found>, NtStatus> {
        if let Some((domain, bare)) = name.split_once('\\') {
            return self.find_qualified(domain, bare);
        }
        if let Some((bare, domain)) = name.rsplit_once('@') {
            // A user principal name: only the machine's own domain is known here.
            if !bare.is_empty() && domain.eq_ignore_ascii_case(&self.account_name) {
                return self.account(DomainKind::Account, bare);
            }
            return Ok(None);
        }
        if name.is_empty() {
            return Ok(self.domain_named(BUILTIN_NAME));
        }
        if let Some(w) = wellknown::by_name(None, name) {
            return Ok(self.well_known(w));
        }
        if let Some(d) = self.domain_named(name) {
            return Ok(Some(d));
        }
        if let Some(f) = self.account(DomainKind::Builtin, name)? {
            return Ok(Some(f));
        }
        self.account(DomainKind::Account, name)
    }

    fn find_qualified(&self, domain: &str, bare: &str) -> Result<Option<Found>, NtStatus> {
        let kind = if domain.eq_ignore_ascii_case(&self.account_name) {
            DomainKind::Account
        } else if domain.eq_ignore_ascii_case(BUILTIN_NAME) {
            DomainKind::Builtin
        } else {
            if bare.is_empty() {
                return Ok(self.domain_named(domain));
            }
            return Ok(wellknown::by_name(Some(domain), bare).and_then(|w| self.well_known(w)));
        };
        if bare.is_empty() {
            return Ok(self.domain_named(domain));
        }
        self.account(kind, bare)
    }

    fn find_sid(&self, sid: &Sid) -> Result<Option<Found>, NtStatus> {
        if let Some(w) = wellknown::by_sid(sid) {
            return Ok(self.well_known(w));
        }
        if Some(*sid) == wellknown::nt_authority() {
            return Ok(self.nt_authority());
        }
        if *sid == self.account_sid {
            return Ok(Some(self.domain(
                &self.account_name,
                self.account_sid,
                Origin::Account,
            )));
        }
        if *sid == well_known::BUILTIN {
            return Ok(self.domain_named(BUILTIN_NAME));
        }
        let Some((parent, rid)) = sid.domain_and_rid() else {
            return Ok(None);
        };
        let (kind, origin) = if parent == self.account_sid {
            (DomainKind::Account, Origin::Account)
        } else if parent == well_known::BUILTIN {
            (DomainKind::Builtin, Origin::Builtin)
        } else {
            return Ok(None);
        };
        Ok(self.sam.lookup_rid(kind, rid)?.map(|r| Found {
            sid: *sid,
            kind: r.kind,
            name: r.name,
            domain_name: r.domain_name,
            domain_sid: parent,
            origin,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Acb;

    fn names(sam: &Sam, scope: Scope, list: &[&str]) -> (Vec<NameResult>, Domains) {
        let t = Translator::new(sam, scope).unwrap();
        let mut d = Domains::default();
        let r = list.iter().map(|n| t.name(n, &mut d).unwrap()).collect();
        (r, d)
    }

    #[test]
    fn names_resolve_with_and_without_their_domain() {
        let sam = Sam::in_memory("HOST").unwrap();
        let u = sam.create_user("alice", Acb::NORMAL).unwrap();
        let dsid = sam.domain().unwrap().sid;
        let (r, d) = names(
            &sam,
            Scope::Local,
            &[
                "alice",
                "HOST\\ALICE",
                "alice@host",
                "Everyone",
                "NT AUTHORITY\\SYSTEM",
                "BUILTIN\\Administrators",
                "Administrators",
                "BUILTIN",
                "BUILTIN\\",
                "host",
                "",
                "None",
                "NT AUTHORITY\\BOGUS",
                "OTHER\\alice",
                "nobody",
            ],
        );
        let kinds: Vec<SidType> = r.iter().map(|x| x.kind).collect();
        use SidType::*;
        assert_eq!(
            kinds,
            [
                User,
                User,
                User,
                WellKnownGroup,
                WellKnownGroup,
                Alias,
                Alias,
                Domain,
                Domain,
                Domain,
                Domain,
                Group,
                Unknown,
                Unknown,
                Unknown
            ]
        );
        assert_eq!(r[0].sid, Some(dsid.with_rid(u.rid).unwrap()));
        assert_eq!(r[0].domain_index, r[1].domain_index);
        assert_eq!(r[7].rid(), u32::MAX);
        assert_eq!(r[10].sid, Some(well_known::BUILTIN));
        assert_eq!(r[12].domain_index, -1);
        // Each domain once: HOST, "" (Everyone), NT AUTHORITY, BUILTIN.
        let listed: Vec<&str> = d.entries().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(listed, ["HOST", "", "NT AUTHORITY", "BUILTIN"]);
        assert_eq!(d.to_wire().entries, 4);
    }

    #[test]
    fn sids_resolve_and_unknown_ones_keep_their_string() {
        let sam = Sam::in_memory("HOST").unwrap();
        let dsid = sam.domain().unwrap().sid;
        let t = Translator::new(&sam, Scope::Local).unwrap();
        let mut d = Domains::default();
        let r = t.sid(&dsid.with_rid(500).unwrap(), &mut d).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (SidType::User, "Administrator"));
        let r = t.sid(&well_known::BUILTIN, &mut d).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (SidType::Domain, "BUILTIN"));
        let r = t.sid(&dsid.with_rid(513).unwrap(), &mut d).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (SidType::Group, "None"));
        let r = t.sid(&"S-1-5-32-545".parse().unwrap(), &mut d).unwrap();
        assert_eq!((r.kind, r.name.as_str()), (SidType::Alias, "Users"));
        let r = t.sid(&"S-1-5-11".parse().unwrap(), &mut d).unwrap();
        assert_eq!(r.kind, SidType::WellKnownGroup);
        let odd: Sid = "S-1-5-21-1111111111-2222222222-3333333333-512"
            .parse()
            .unwrap();
        let r = t.sid(&odd, &mut d).unwrap();
        assert_eq!(
            (r.kind, r.name, r.domain_index),
            (SidType::Unknown, odd.to_string(), -1)
        );
        let r = t.sid(&dsid.with_rid(9999).unwrap(), &mut d).unwrap();
        assert_eq!(r.kind, SidType::Unknown);
    }

    #[test]
    fn scopes_limit_what_resolves() {
        let sam = Sam::in_memory("HOST").unwrap();
        let list = ["Everyone", "Administrators", "Administrator", "HOST"];
        let kinds = |scope| {
            names(&sam, scope, &list)
                .0
                .into_iter()
                .map(|r| r.kind)
                .collect::<Vec<_>>()
        };
        use SidType::*;
        assert_eq!(
            kinds(Scope::WellKnown),
            [WellKnownGroup, Unknown, Unknown, Unknown]
        );
        assert_eq!(
            kinds(Scope::AccountDomain),
            [Unknown, Unknown, User, Domain]
        );
        assert_eq!(kinds(Scope::Nothing), [Unknown; 4]);
        assert_eq!(Scope::of(1, true).unwrap(), Scope::WellKnown);
        assert_eq!(Scope::of(2, false).unwrap(), Scope::AccountDomain);
        for bad in [0, 7, 8, 100] {
            assert_eq!(Scope::of(bad, false), Err(NtStatus::INVALID_PARAMETER));
        }
    }
}
