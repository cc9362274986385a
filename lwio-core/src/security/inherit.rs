//! The descriptor of a new object (MS-DTYP 2.5.3.4 CreateSecurityDescriptor, 2.5.3.4.2
//! ComputeACL, 2.5.3.4.3 ContainsInheritableACEs, 2.5.3.4.4 ComputeInheritedACLfromParent,
//! 2.5.3.4.6 PreProcessACLfromCreator, 2.5.3.4.7 PostProcessACL), for objects without
//! object types (files and directories).
//!
//! # Owner and group
//!
//! The creator descriptor's, else the token's default owner (its user if unset) and its
//! primary group (else none).
//!
//! # Auto-inheritance
//!
//! Windows 2000 added "automatic" inheritance: inherited ACEs carry the INHERITED flag, so
//! a later change to a parent can find and replace them in every child, and a descriptor
//! built that way says so with SE_DACL_AUTO_INHERITED (SE_SACL_AUTO_INHERITED). Whether
//! it applies is decided per ACL: it is on when the parent's ACL is auto-inherited or the
//! creator asks for it with SE_DACL_AUTO_INHERIT_REQ. When it is off (a parent whose
//! DACL was set without that request, as smbtorture's acls tests do), the older rules
//! hold: inherited ACEs carry no INHERITED flag, the child gets no AUTO_INHERITED, and a
//! DACL the creator gives replaces inheritance instead of being merged with it.
//!
//! # Each ACL (DACL and SACL alike)
//!
//! 1. The creator's ACL counts as given when its PRESENT bit is set, unless it is marked
//!    DEFAULTED and the parent has something to inherit (ContainsInheritableACEs: an ACE
//!    with OBJECT_INHERIT or CONTAINER_INHERIT).
//! 2. The creator's ACL alone is used when it is given and protected, when the parent has
//!    nothing inheritable, when it is a NULL ACL (kept NULL), or when auto-inheritance is
//!    off. Otherwise the result is the creator's explicit ACEs followed by what the child
//!    inherits; under auto-inheritance the creator's own INHERITED ACEs are dropped first
//!    (PreProcessACLfromCreator), since the parent's are inherited afresh.
//! 3. If that leaves nothing (no creator ACL, and no parent ACE applies to this kind of
//!    child, say a directory under a parent whose only ACE is OBJECT_INHERIT with
//!    NO_PROPAGATE_INHERIT), the ACL is not present: the DACL falls back to the default
//!    below, as Windows gives such a child (smb2.acls.INHERITANCE).
//! 4. Control bits: PROTECTED from the creator; AUTO_INHERITED when auto-inheritance is
//!    on. AUTO_INHERIT_REQ is a request and never stored.
//!
//! # What one parent ACE gives a child (ComputeInheritedACLfromParent)
//!
//! | parent ACE flags        | file child           | directory child                  |
//! |-------------------------|----------------------|----------------------------------|
//! | OI                      | effective            | inherit-only, OI kept            |
//! | CI                      | nothing              | effective and still CI           |
//! | OI CI                   | effective            | effective and still OI CI        |
//! | CI NP (any OI)          | effective if OI      | effective, no inheritance flags  |
//! | OI NP                   | effective            | nothing                          |
//!
//! INHERIT_ONLY on the parent ACE makes no difference to the child (it only says the
//! ACE does not apply to the parent itself). The parent ACE's own INHERITED flag is not
//! passed on: the child's ACEs are INHERITED exactly when auto-inheritance is on.
//!
//! # Making an ACE concrete (PostProcessACL)
//!
//! An effective ACE has CREATOR OWNER / CREATOR GROUP replaced by the new owner / group
//! and its generic bits mapped through the object's [`GenericMapping`]. An ACE that is
//! both effective here and still inheritable, and that such a change would alter, is
//! split in two: the changed effective ACE without inheritance flags, then the original
//! (generic bits and CREATOR SIDs intact) as INHERIT_ONLY, so that grandchildren
//! substitute their own owner. Inherit-only ACEs are never changed. The creator's
//! explicit ACEs go through the same step.
//!
//! # Nothing from either side
//!
//! The DACL defaults to the owner and LocalSystem with the mapping's `all` rights (this
//! stands in for the token's default DACL, which [`AccessToken`] does not carry); the
//! SACL stays absent.

use super::well_known as wk;
use super::{AccessToken, Ace, AceFlags, Acl, SdControl, SecurityDescriptor, Sid};
use crate::access::{AccessMask, GenericMapping};

/// Which ACL is being computed; names its control bits.
#[derive(Clone, Copy)]
struct Kind {
    present: SdControl,
    defaulted: SdControl,
    protected: SdControl,
    auto_inherited: SdControl,
    auto_inherit_req: SdControl,
}

const DACL: Kind = Kind {
    present: SdControl::DACL_PRESENT,
    defaulted: SdControl::DACL_DEFAULTED,
    protected: SdControl::DACL_PROTECTED,
    auto_inherited: SdControl::DACL_AUTO_INHERITED,
    auto_inherit_req: SdControl::DACL_AUTO_INHERIT_REQ,
};

const SACL: Kind = Kind {
    present: SdControl::SACL_PRESENT,
    defaulted: SdControl::SACL_DEFAULTED,
    protected: SdControl::SACL_PROTECTED,
    auto_inherited: SdControl::SACL_AUTO_INHERITED,
    auto_inherit_req: SdControl::SACL_AUTO_INHERIT_REQ,
};

/// The context ACEs are rewritten in.
struct Ctx<'a> {
    owner: Sid,
    group: Option<Sid>,
    mapping: &'a GenericMapping,
    is_container: bool,
}

impl Ctx<'_> {
    /// True when an effective copy of `ace` differs from the ACE itself.
    fn needs_rewrite(&self, ace: &Ace) -> bool {
        ace.simple().is_some_and(|a| {
            a.sid == wk::CREATOR_OWNER
                || (a.sid == wk::CREATOR_GROUP && self.group.is_some())
                || a.mask.intersects(AccessMask::GENERIC_MASK)
        })
    }

    /// `ace` with CREATOR OWNER/GROUP replaced and generic bits mapped, and `flags`.
    fn effective(&self, ace: &Ace, flags: AceFlags) -> Ace {
        let mut out = ace.clone();
        out.set_flags(flags);
        if let Some(a) = out.simple_mut() {
            if a.sid == wk::CREATOR_OWNER {
                a.sid = self.owner;
            } else if let (true, Some(group)) = (a.sid == wk::CREATOR_GROUP, self.group) {
                a.sid = group;
            }
            a.mask = a.mask.map_generic(self.mapping);
        }
        out
    }

    /// Pushes `ace` as it applies to this object, splitting it when it stays inheritable
    /// and its effective form differs. `extra` is added to every flag set (INHERITED).
    fn push(&self, out: &mut Vec<Ace>, ace: &Ace, flags: AceFlags, extra: AceFlags) {
        let inheritable = self.is_container
            && flags.intersects(AceFlags::OBJECT_INHERIT.with(AceFlags::CONTAINER_INHERIT))
            && !flags.contains(AceFlags::NO_PROPAGATE_INHERIT);
        let flags = flags.with(extra);
        if flags.contains(AceFlags::INHERIT_ONLY) {
            let mut copy = ace.clone();
            copy.set_flags(flags);
            out.push(copy);
        } else if inheritable && self.needs_rewrite(ace) {
            out.push(self.effective(ace, flags.without(AceFlags::INHERITANCE)));
            let mut copy = ace.clone();
            copy.set_flags(flags.with(AceFlags::INHERIT_ONLY));
            out.push(copy);
        } else {
            out.push(self.effective(ace, flags));
        }
    }

    /// MS-DTYP 2.5.3.4.4: the ACEs the child inherits from `parent`, each marked with
    /// `mark` (INHERITED under auto-inheritance, else nothing).
    fn inherited(&self, parent: &Acl, mark: AceFlags) -> Vec<Ace> {
        let mut out = Vec::new();
        for ace in &parent.aces {
            if let Ace::Other(raw) = ace {
                if raw.ace_type().is_object() {
                    continue; // Object-type filtering is out of scope: not inherited.
                }
            }
            // The parent's own INHERITED mark is not the child's: `mark` decides that.
            let f = ace.flags().without(AceFlags::INHERITED);
            let oi = f.contains(AceFlags::OBJECT_INHERIT);
            let ci = f.contains(AceFlags::CONTAINER_INHERIT);
            let np = f.contains(AceFlags::NO_PROPAGATE_INHERIT);
            let base = f.without(AceFlags::INHERITANCE);
            let flags = if !self.is_container {
                if !oi {
                    continue;
                }
                base
            } else if ci {
                if np {
                    base
                } else {
                    f.without(AceFlags::INHERIT_ONLY)
                }
            } else if oi && !np {
                f.with(AceFlags::INHERIT_ONLY)
            } else {
                continue;
            };
            self.push(&mut out, ace, flags, mark);
        }
        out
    }

    /// MS-DTYP 2.5.3.4.5: the creator's ACEs as they apply to the new object.
    fn explicit<'a>(&self, creator: impl Iterator<Item = &'a Ace>) -> Vec<Ace> {
        let mut out = Vec::new();
        for ace in creator {
            self.push(&mut out, ace, ace.flags(), AceFlags::NONE);
        }
        out
    }
}

/// True when `acl` holds an ACE a child could inherit (MS-DTYP 2.5.3.4.3).
fn has_inheritable(acl: &Acl) -> bool {
    let inherit = AceFlags::OBJECT_INHERIT.with(AceFlags::CONTAINER_INHERIT);
    acl.aces.iter().any(|a| a.flags().intersects(inherit))
}

/// MS-DTYP 2.5.3.4.2 for one ACL. Returns the ACL state (`None`: not present;
/// `Some(None)`: NULL) and the control bits to set.
fn compute_acl(
    kind: Kind,
    parent: Option<(&SecurityDescriptor, Option<&Acl>)>,
    creator: Option<(&SecurityDescriptor, Option<&Acl>)>,
    ctx: &Ctx<'_>,
) -> (Option<Option<Acl>>, SdControl) {
    let parent_acl = parent
        .and_then(|(_, acl)| acl)
        .filter(|acl| has_inheritable(acl));
    let creator_control = creator.map_or(SdControl(0), |(sd, _)| sd.control);
    let creator_given = creator_control.contains(kind.present)
        && !(creator_control.contains(kind.defaulted) && parent_acl.is_some());
    let protected = creator_given && creator_control.contains(kind.protected);
    // Auto-inheritance is on when the parent's ACL takes part in it or the creator asks.
    let auto = creator_control.contains(kind.auto_inherit_req)
        || parent.is_some_and(|(sd, _)| sd.control.contains(kind.auto_inherited));
    let creator_acl = creator.and_then(|(_, acl)| acl);
    // PreProcessACLfromCreator: under auto-inheritance the creator's copies of inherited
    // ACEs are dropped (what is inherited comes afresh from the parent).
    let explicit = |acl: &Acl| {
        let aces = acl
            .aces
            .iter()
            .filter(|a| !(auto && a.flags().contains(AceFlags::INHERITED)));
        ctx.explicit(aces)
    };
    let mut control = kind.present;
    if auto {
        control = control.with(kind.auto_inherited);
    }
    if protected {
        control = control.with(kind.protected);
    }
    match (creator_given, parent_acl) {
        // The creator's ACL alone: it is protected, there is nothing to inherit, it is
        // a NULL ACL, or (without auto-inheritance) an explicit ACL replaces inheritance.
        (true, _) if protected || parent_acl.is_none() || creator_acl.is_none() || !auto => (
            Some(creator_acl.map(|acl| Acl::new(explicit(acl)))),
            control,
        ),
        (given, Some(parent_acl)) => {
            let mut aces = match (given, creator_acl) {
                (true, Some(acl)) => explicit(acl),
                _ => Vec::new(),
            };
            let mark = if auto {
                AceFlags::INHERITED
            } else {
                AceFlags::NONE
            };
            aces.extend(ctx.inherited(parent_acl, mark));
            if aces.is_empty() && !given {
                // Inheritable ACEs, none for this kind of child: as if none (Windows
                // then applies the default, as smb2.acls.INHERITANCE expects).
                return (None, control.without(kind.present));
            }
            (Some(Some(Acl::new(aces))), control)
        }
        // Nothing given, nothing to inherit: the caller's default.
        _ => (None, control.without(kind.present)),
    }
}

/// The descriptor of a new object created under `parent` (if any) with the creator's
/// requested descriptor `creator` (if any); see the module documentation for the rules.
pub fn create_child_descriptor(
    parent: Option<&SecurityDescriptor>,
    creator: Option<&SecurityDescriptor>,
    is_container: bool,
    token: &AccessToken,
    mapping: &GenericMapping,
) -> SecurityDescriptor {
    let owner = creator
        .and_then(|c| c.owner)
        .unwrap_or_else(|| token.default_owner());
    let group = creator.and_then(|c| c.group).or(token.primary_group);
    let ctx = Ctx {
        owner,
        group,
        mapping,
        is_container,
    };
    let mut sd = SecurityDescriptor::new();
    sd.owner = Some(owner);
    sd.group = group;

    let (dacl, bits) = compute_acl(
        DACL,
        parent.map(|p| (p, p.dacl.as_ref())),
        creator.map(|c| (c, c.dacl.as_ref())),
        &ctx,
    );
    sd.control = sd.control.with(bits);
    match dacl {
        Some(Some(acl)) => sd.set_dacl(acl),
        Some(None) => sd.set_null_dacl(),
        None => sd.set_dacl(Acl::new(vec![
            Ace::allowed(owner, mapping.all, AceFlags::NONE),
            Ace::allowed(wk::LOCAL_SYSTEM, mapping.all, AceFlags::NONE),
        ])),
    }

    let (sacl, bits) = compute_acl(
        SACL,
        parent.map(|p| (p, p.sacl.as_ref())),
        creator.map(|c| (c, c.sacl.as_ref())),
        &ctx,
    );
    // No SACL (none given, none inherited) has no control bits either.
    if sacl.is_some() {
        sd.control = sd.control.with(bits);
    }
    sd.sacl = sacl.flatten();
    sd
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::FILE_GENERIC_MAPPING;

    fn alice() -> Sid {
        "S-1-5-21-1-2-1001".parse().unwrap()
    }

    fn token() -> AccessToken {
        AccessToken::new(alice()).with_primary_group("S-1-5-21-1-2-513".parse().unwrap())
    }

    fn child(parent: &str, creator: Option<&str>, container: bool) -> String {
        let parent: SecurityDescriptor = parent.parse().unwrap();
        let creator: Option<SecurityDescriptor> = creator.map(|c| c.parse().unwrap());
        let sd = create_child_descriptor(
            Some(&parent),
            creator.as_ref(),
            container,
            &token(),
            &FILE_GENERIC_MAPPING,
        );
        let s = sd.to_sddl().unwrap();
        // Every result survives the binary round trip.
        assert_eq!(SecurityDescriptor::decode(&sd.encode()).unwrap(), sd);
        s.replace(&alice().to_string(), "ALICE")
            .replace("S-1-5-21-1-2-513", "DOMUSERS")
    }

    #[test]
    fn object_child_takes_object_inherit_aces() {
        let parent = "O:BAG:SYD:AI(A;OI;FR;;;WD)(A;CI;FA;;;BA)(A;OICI;FA;;;SY)(A;;FA;;;BU)";
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FR;;;WD)(A;ID;FA;;;SY)"
        );
    }

    #[test]
    fn container_child_inherits_and_propagates() {
        let parent = "O:BAD:AI(A;OI;FR;;;WD)(A;CI;FA;;;BA)(A;OICI;FA;;;SY)(A;;FA;;;BU)";
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:AI(A;OIIOID;FR;;;WD)(A;CIID;FA;;;BA)(A;OICIID;FA;;;SY)"
        );
    }

    #[test]
    fn inherit_only_parent_aces_apply_to_children() {
        let parent = "O:BAD:AI(A;OICIIO;FA;;;BU)";
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FA;;;BU)"
        );
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:AI(A;OICIID;FA;;;BU)"
        );
    }

    #[test]
    fn no_propagate_stops_after_one_level() {
        let parent = "O:BAD:AI(A;OICINP;FA;;;BU)(A;OINP;FR;;;WD)";
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FA;;;BU)"
        );
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FA;;;BU)(A;ID;FR;;;WD)"
        );
    }

    #[test]
    fn creator_owner_and_generic_bits() {
        let parent = "O:BAD:AI(A;OICIIO;GA;;;CO)(A;OICI;GR;;;CG)";
        // An object: effective ACEs only, substituted and mapped.
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FA;;;ALICE)(A;ID;FR;;;DOMUSERS)"
        );
        // A container: effective ACE plus the inherit-only original for grandchildren.
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:AI(A;ID;FA;;;ALICE)(A;OICIIOID;GA;;;CO)(A;ID;FR;;;DOMUSERS)(A;OICIIOID;GR;;;CG)"
        );
    }

    #[test]
    fn creator_dacl_protected_or_merged() {
        let parent = "O:BAD:AI(A;OICI;FA;;;SY)";
        let creator = "O:BUD:P(A;;FR;;;WD)";
        assert_eq!(
            child(parent, Some(creator), false),
            "O:BUG:DOMUSERSD:PAI(A;;FR;;;WD)"
        );
        let creator = "D:(A;;FR;;;WD)(A;ID;FA;;;SY)";
        assert_eq!(
            child(parent, Some(creator), false),
            "O:ALICEG:DOMUSERSD:AI(A;;FR;;;WD)(A;ID;FA;;;SY)"
        );
        // A defaulted creator DACL gives way to inheritance.
        let mut defaulted: SecurityDescriptor = "D:(A;;FR;;;WD)".parse().unwrap();
        defaulted.control = defaulted.control.with(SdControl::DACL_DEFAULTED);
        let parent_sd: SecurityDescriptor = parent.parse().unwrap();
        let sd = create_child_descriptor(
            Some(&parent_sd),
            Some(&defaulted),
            false,
            &token(),
            &FILE_GENERIC_MAPPING,
        );
        let want = Ace::allowed(
            wk::LOCAL_SYSTEM,
            AccessMask::FILE_ALL_ACCESS,
            AceFlags::INHERITED,
        );
        assert_eq!(sd.dacl.unwrap().aces, [want]);
        // Nothing inheritable: the creator's DACL as given; a NULL DACL stays NULL.
        assert_eq!(
            child("O:BAD:(A;;FA;;;SY)", Some("D:(A;;GR;;;WD)"), false),
            "O:ALICEG:DOMUSERSD:(A;;FR;;;WD)"
        );
        assert_eq!(
            child("O:BAD:", Some("D:NO_ACCESS_CONTROL"), false),
            "O:ALICEG:DOMUSERSD:NO_ACCESS_CONTROL"
        );
    }

    #[test]
    fn default_dacl_and_sacl() {
        let sd = create_child_descriptor(
            None,
            None,
            false,
            &AccessToken::system(),
            &FILE_GENERIC_MAPPING,
        );
        assert_eq!(sd.to_sddl().unwrap(), "O:BAG:SYD:(A;;FA;;;BA)(A;;FA;;;SY)");
        assert_eq!(
            child("O:BAD:(A;;FA;;;SY)", None, false),
            "O:ALICEG:DOMUSERSD:(A;;FA;;;ALICE)(A;;FA;;;SY)"
        );
        // Only the inheritable, unprotected SACL entries arrive.
        let parent = "O:BAD:S:AI(AU;OISA;FW;;;WD)(AU;FA;FR;;;WD)";
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:(A;;FA;;;ALICE)(A;;FA;;;SY)S:AI(AU;IDSA;FW;;;WD)"
        );
    }

    /// The expectations of smbtorture's smb2.acls.INHERITANCE (written from what the test
    /// checks against Windows): a parent that is not auto-inherited holds
    /// `(A;<flags>;FILE_WRITE_DATA;;;CREATOR OWNER)` and an uninheritable Everyone ACE; a
    /// new file and a new directory get these DACLs. No INHERITED flag anywhere, since
    /// auto-inheritance is off.
    #[test]
    fn smbtorture_inheritance_table() {
        const OI: u8 = 0x01;
        const CI: u8 = 0x02;
        const NP: u8 = 0x04;
        const IO: u8 = 0x08;
        let write = AccessMask::FILE_WRITE_DATA;
        let me = alice();
        let co = wk::CREATOR_OWNER;
        // (parent flags, file: Some(flags) of its one owner ACE, dir: expected ACEs)
        type Want = &'static [(bool, u8)]; // (sid is the owner, else CREATOR OWNER; flags)
        let table: [(u8, Option<u8>, Option<Want>); 16] = [
            (0, None, None),
            (OI, Some(0), Some(&[(false, OI | IO)])),
            (CI, None, Some(&[(true, 0), (false, CI | IO)])),
            (OI | CI, Some(0), Some(&[(true, 0), (false, OI | CI | IO)])),
            (NP, None, None),
            (NP | OI, Some(0), None),
            (NP | CI, None, Some(&[(true, 0)])),
            (NP | CI | OI, Some(0), Some(&[(true, 0)])),
            (IO, None, None),
            (IO | OI, Some(0), Some(&[(false, OI | IO)])),
            (IO | CI, None, Some(&[(true, 0), (false, CI | IO)])),
            (
                IO | CI | OI,
                Some(0),
                Some(&[(true, 0), (false, OI | CI | IO)]),
            ),
            (IO | NP, None, None),
            (IO | NP | OI, Some(0), None),
            (IO | NP | CI, None, Some(&[(true, 0)])),
            (IO | NP | CI | OI, Some(0), Some(&[(true, 0)])),
        ];
        for (flags, file, dir) in table {
            let mut parent = SecurityDescriptor::new();
            parent.owner = Some(wk::BUILTIN_ADMINISTRATORS);
            parent.set_dacl(Acl::new(vec![
                Ace::allowed(co, write, AceFlags(flags)),
                Ace::allowed(wk::WORLD, AccessMask::FILE_ALL_ACCESS, AceFlags::NONE),
            ]));
            let make = |container| {
                let sd = create_child_descriptor(
                    Some(&parent),
                    None,
                    container,
                    &token(),
                    &FILE_GENERIC_MAPPING,
                );
                assert!(!sd.control.contains(SdControl::DACL_AUTO_INHERITED));
                sd.dacl.unwrap().aces
            };
            let default = |aces: &[Ace]| {
                aces == [
                    Ace::allowed(me, AccessMask::FILE_ALL_ACCESS, AceFlags::NONE),
                    Ace::allowed(
                        wk::LOCAL_SYSTEM,
                        AccessMask::FILE_ALL_ACCESS,
                        AceFlags::NONE,
                    ),
                ]
            };
            let got = make(false);
            match file {
                Some(f) => assert_eq!(got, [Ace::allowed(me, write, AceFlags(f))], "{flags:#x}"),
                None => assert!(default(&got), "file under {flags:#x}: {got:?}"),
            }
            let got = make(true);
            match dir {
                Some(want) => {
                    let want: Vec<_> = want
                        .iter()
                        .map(|&(owner, f)| {
                            Ace::allowed(if owner { me } else { co }, write, AceFlags(f))
                        })
                        .collect();
                    assert_eq!(got, want, "dir under {flags:#x}");
                }
                None => assert!(default(&got), "dir under {flags:#x}: {got:?}"),
            }
        }
    }

    /// smbtorture's smb2.acls.INHERITFLAGS: a file under a parent that is auto-inherited
    /// (whatever its PROTECTED bit and its ACEs' INHERITED flags) gets AUTO_INHERITED
    /// and INHERITED ACEs; under one that is not, neither.
    #[test]
    fn smbtorture_inheritflags_child() {
        for (parent, want) in [
            (
                "D:(A;OICI;0x40002;;;ALICE)(A;;FA;;;WD)",
                "D:(A;;DCWD;;;ALICE)",
            ),
            (
                "D:P(A;OICIID;0x40002;;;ALICE)(A;;FA;;;WD)",
                "D:(A;;DCWD;;;ALICE)",
            ),
            (
                "D:AI(A;OICI;0x40002;;;ALICE)(A;;FA;;;WD)",
                "D:AI(A;ID;DCWD;;;ALICE)",
            ),
            (
                "D:PAI(A;OICIID;0x40002;;;ALICE)(A;;FA;;;WD)",
                "D:AI(A;ID;DCWD;;;ALICE)",
            ),
        ] {
            let parent = format!("O:BA{}", parent.replace("ALICE", &alice().to_string()));
            let got = child(&parent, None, false);
            assert_eq!(got, format!("O:ALICEG:DOMUSERS{want}"), "{parent}");
        }
    }

    /// Auto-inheritance asked by the creator (DACL_AUTO_INHERIT_REQ) merges its explicit
    /// ACEs with the parent's (its own INHERITED copies dropped); without it, an explicit
    /// creator DACL replaces inheritance from a parent that is not auto-inherited.
    #[test]
    fn creator_auto_inherit_request() {
        let parent = "O:BAD:(A;OICI;FA;;;SY)";
        assert_eq!(
            child(parent, Some("D:(A;;FR;;;WD)(A;ID;FA;;;BU)"), false),
            "O:ALICEG:DOMUSERSD:(A;;FR;;;WD)(A;ID;FA;;;BU)"
        );
        assert_eq!(
            child(parent, Some("D:AR(A;;FR;;;WD)(A;ID;FA;;;BU)"), false),
            "O:ALICEG:DOMUSERSD:AI(A;;FR;;;WD)(A;ID;FA;;;SY)"
        );
        // Protected: the creator's ACEs alone, still marked auto-inherited.
        assert_eq!(
            child(parent, Some("D:PAR(A;;FR;;;WD)"), false),
            "O:ALICEG:DOMUSERSD:PAI(A;;FR;;;WD)"
        );
    }
}
