//! The descriptor of a new object (MS-DTYP 2.5.3.4 CreateSecurityDescriptor, 2.5.3.4.2
//! ComputeACL, 2.5.3.4.3 ContainsInheritableACEs, 2.5.3.4.4
//! ComputeInheritedACLfromParent, 2.5.3.4.5 ComputeInheritedACLfromCreator), for objects
//! without object types (files and directories).
//!
//! - Owner: the creator descriptor's, else the token's default owner (its user if unset).
//!   Group: the creator's, else the token's primary group, else none.
//! - Each ACL (DACL and SACL alike): if the creator gives one explicitly and it is
//!   protected, or the parent ACL holds no inheritable ACE, the creator's ACL is used
//!   (a NULL ACL from the creator is kept as a NULL ACL). Otherwise the result is the
//!   creator's explicit ACEs followed by the ACEs inherited from the parent; creator ACEs
//!   flagged INHERITED are dropped there, since the parent's ACEs are inherited afresh. A
//!   creator ACL marked DEFAULTED counts as not given when the parent has inheritable ACEs.
//! - Inheritance of one parent ACE: an object child takes OBJECT_INHERIT ACEs; a
//!   container child takes CONTAINER_INHERIT ACEs as effective (and, unless
//!   NO_PROPAGATE_INHERIT, still inheritable) and OBJECT_INHERIT-only ACEs as INHERIT_ONLY
//!   (unless NO_PROPAGATE_INHERIT, which drops them). NO_PROPAGATE_INHERIT clears the
//!   inheritance flags on the child. Every inherited ACE gets INHERITED.
//! - CREATOR OWNER and CREATOR GROUP become the new owner and group, and generic bits are
//!   mapped, in effective ACEs. When an ACE is both effective and still inheritable and
//!   needs either change, it is split: an effective ACE (changed, no inheritance flags)
//!   plus an INHERIT_ONLY copy kept as it was, for the grandchildren.
//! - DACL_AUTO_INHERITED (SACL_AUTO_INHERITED) is set when parent ACEs are merged in and
//!   the parent has it, or the creator asks with DACL_AUTO_INHERIT_REQ; PROTECTED comes
//!   from the creator.
//! - Nothing from either side: the DACL defaults to owner and LocalSystem with the
//!   mapping's `all` rights (this stands in for the token's default DACL, which
//!   [`AccessToken`] does not carry); the SACL stays absent.

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

    /// MS-DTYP 2.5.3.4.4: the ACEs the child inherits from `parent`.
    fn inherited(&self, parent: &Acl) -> Vec<Ace> {
        let mut out = Vec::new();
        for ace in &parent.aces {
            if let Ace::Other(raw) = ace {
                if raw.ace_type().is_object() {
                    continue; // Object-type filtering is out of scope: not inherited.
                }
            }
            let f = ace.flags();
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
            self.push(&mut out, ace, flags, AceFlags::INHERITED);
        }
        out
    }

    /// MS-DTYP 2.5.3.4.5: the creator's ACEs as they apply to the new object.
    fn explicit(&self, creator: &Acl) -> Vec<Ace> {
        let mut out = Vec::new();
        for ace in &creator.aces {
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
    let auto = creator_control.contains(kind.auto_inherit_req)
        || parent.is_some_and(|(sd, _)| sd.control.contains(kind.auto_inherited));
    let creator_acl = creator.and_then(|(_, acl)| acl);

    match (creator_given, parent_acl) {
        (true, _) if protected || parent_acl.is_none() || creator_acl.is_none() => {
            let acl = creator_acl.map(|acl| Acl::new(ctx.explicit(acl)));
            let control = if protected {
                kind.protected
            } else {
                SdControl(0)
            };
            (Some(acl), kind.present.with(control))
        }
        (given, Some(parent_acl)) => {
            let mut aces = match (given, creator_acl) {
                (true, Some(acl)) => ctx.explicit(acl),
                _ => Vec::new(),
            };
            // The creator's copies of inherited ACEs are derived afresh from the parent.
            aces.retain(|a| !a.flags().contains(AceFlags::INHERITED));
            aces.extend(ctx.inherited(parent_acl));
            let control = if auto {
                kind.auto_inherited
            } else {
                SdControl(0)
            };
            (Some(Some(Acl::new(aces))), kind.present.with(control))
        }
        _ => (None, SdControl(0)),
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
    sd.control = sd.control.with(bits);
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
        let parent = "O:BAD:(A;OI;FR;;;WD)(A;CI;FA;;;BA)(A;OICI;FA;;;SY)(A;;FA;;;BU)";
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:(A;OIIOID;FR;;;WD)(A;CIID;FA;;;BA)(A;OICIID;FA;;;SY)"
        );
    }

    #[test]
    fn inherit_only_parent_aces_apply_to_children() {
        let parent = "O:BAD:(A;OICIIO;FA;;;BU)";
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:(A;ID;FA;;;BU)"
        );
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:(A;OICIID;FA;;;BU)"
        );
    }

    #[test]
    fn no_propagate_stops_after_one_level() {
        let parent = "O:BAD:(A;OICINP;FA;;;BU)(A;OINP;FR;;;WD)";
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:(A;ID;FA;;;BU)"
        );
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:(A;ID;FA;;;BU)(A;ID;FR;;;WD)"
        );
    }

    #[test]
    fn creator_owner_and_generic_bits() {
        let parent = "O:BAD:(A;OICIIO;GA;;;CO)(A;OICI;GR;;;CG)";
        // An object: effective ACEs only, substituted and mapped.
        assert_eq!(
            child(parent, None, false),
            "O:ALICEG:DOMUSERSD:(A;ID;FA;;;ALICE)(A;ID;FR;;;DOMUSERS)"
        );
        // A container: effective ACE plus the inherit-only original for grandchildren.
        assert_eq!(
            child(parent, None, true),
            "O:ALICEG:DOMUSERSD:(A;ID;FA;;;ALICE)(A;OICIIOID;GA;;;CO)(A;ID;FR;;;DOMUSERS)(A;OICIIOID;GR;;;CG)"
        );
    }

    #[test]
    fn creator_dacl_protected_or_merged() {
        let parent = "O:BAD:AI(A;OICI;FA;;;SY)";
        let creator = "O:BUD:P(A;;FR;;;WD)";
        assert_eq!(
            child(parent, Some(creator), false),
            "O:BUG:DOMUSERSD:P(A;;FR;;;WD)"
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
}
