//! Property tests: every value survives encode/decode, every SDDL-expressible descriptor
//! survives to_sddl/parse, and the decoder never panics on arbitrary or mutated bytes.

use proptest::prelude::*;

use super::*;

fn sid() -> impl Strategy<Value = Sid> {
    let authority = prop_oneof![0u64..=32, 0u64..(1 << 48)];
    (
        authority,
        prop::collection::vec(any::<u32>(), 0..=SID_MAX_SUB_AUTHORITIES),
    )
        .prop_map(|(a, subs)| Sid::new(a, &subs).unwrap())
}

fn simple(flags: impl Strategy<Value = u8>) -> impl Strategy<Value = SimpleAce> {
    (flags, any::<u32>(), sid()).prop_map(|(f, m, s)| SimpleAce::new(AceFlags(f), AccessMask(m), s))
}

fn ace() -> impl Strategy<Value = Ace> {
    let raw = (
        3u8..,
        any::<u8>(),
        prop::collection::vec(any::<[u8; 4]>(), 0..8),
    )
        .prop_map(|(t, f, body)| {
            Ace::Other(RawAce::new(AceType(t), AceFlags(f), body.concat()).unwrap())
        });
    prop_oneof![
        simple(any::<u8>()).prop_map(Ace::Allowed),
        simple(any::<u8>()).prop_map(Ace::Denied),
        simple(any::<u8>()).prop_map(Ace::Audit),
        raw,
    ]
}

/// An ACL state: not present, NULL, or an ACL.
/// `any_revision`: revision 2 or 4 at random; else the one [`Acl::new`] picks (SDDL
/// does not carry it).
fn acl_state(
    ace: BoxedStrategy<Ace>,
    any_revision: bool,
) -> impl Strategy<Value = Option<Option<Acl>>> {
    let acl = (prop::bool::ANY, prop::collection::vec(ace, 0..6)).prop_map(move |(ds, aces)| {
        match any_revision {
            true => {
                Acl::with_revision(if ds { ACL_REVISION_DS } else { ACL_REVISION }, aces).unwrap()
            }
            false => Acl::new(aces),
        }
    });
    prop_oneof![
        Just(None),
        Just(Some(None)),
        acl.prop_map(|a| Some(Some(a)))
    ]
}

fn descriptor(
    ace: BoxedStrategy<Ace>,
    control_bits: u16,
) -> impl Strategy<Value = SecurityDescriptor> {
    (
        any::<u16>(),
        prop::option::of(sid()),
        prop::option::of(sid()),
        acl_state(ace.clone(), control_bits == 0xffff),
        acl_state(ace, control_bits == 0xffff),
    )
        .prop_map(move |(c, owner, group, dacl, sacl)| {
            let mut sd = SecurityDescriptor::new();
            sd.control = SdControl(c & control_bits).with(SdControl::SELF_RELATIVE);
            sd.owner = owner;
            sd.group = group;
            match dacl {
                None => sd.remove_dacl(),
                Some(None) => sd.set_null_dacl(),
                Some(Some(acl)) => sd.set_dacl(acl),
            }
            match sacl {
                None => sd.remove_sacl(),
                Some(None) => {
                    sd.sacl = None;
                    sd.control = sd.control.with(SdControl::SACL_PRESENT);
                }
                Some(Some(acl)) => sd.set_sacl(acl),
            }
            if control_bits != 0xffff {
                // SDDL writes ACL flags only after `D:` / `S:`.
                if !sd.control.contains(SdControl::DACL_PRESENT) {
                    sd.control = sd.control.without(SdControl::DACL_BITS);
                }
                if !sd.control.contains(SdControl::SACL_PRESENT) {
                    sd.control = sd.control.without(SdControl::SACL_BITS);
                }
            }
            sd
        })
}

fn sddl_ace() -> BoxedStrategy<Ace> {
    let flags = any::<u8>().prop_map(|f| f & !0x20);
    prop_oneof![
        simple(flags.clone()).prop_map(Ace::Allowed),
        simple(flags.clone()).prop_map(Ace::Denied),
        simple(flags).prop_map(Ace::Audit),
    ]
    .boxed()
}

proptest! {
    // Failures are reported, not written to a regressions file outside this folder.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sid_binary_and_text_round_trip(s in sid()) {
        let bytes = s.to_bytes();
        prop_assert_eq!(Sid::decode(&bytes).unwrap(), (s, bytes.len()));
        prop_assert_eq!(s.to_string().parse::<Sid>().unwrap(), s);
    }

    #[test]
    fn descriptor_round_trips_both_ways(sd in descriptor(ace().boxed(), 0xffff)) {
        let bytes = sd.encode();
        prop_assert_eq!(bytes.len(), sd.encoded_len());
        let back = SecurityDescriptor::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &sd);
        // The encoder's output is the canonical layout: re-encoding is byte-exact.
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn sddl_round_trips(sd in descriptor(sddl_ace(), 0x3f00)) {
        let text = sd.to_sddl().unwrap();
        let back: SecurityDescriptor = text.parse().unwrap();
        prop_assert_eq!(back, sd);
    }

    #[test]
    fn decoder_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(sd) = SecurityDescriptor::decode(&bytes) {
            prop_assert_eq!(SecurityDescriptor::decode(&sd.encode()).unwrap(), sd);
        }
    }

    #[test]
    fn decoder_survives_mutations(
        sd in descriptor(ace().boxed(), 0xffff),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = sd.encode();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(sd) = SecurityDescriptor::decode(&bytes) {
            prop_assert_eq!(SecurityDescriptor::decode(&sd.encode()).unwrap(), sd);
        }
    }

    #[test]
    fn sddl_parser_never_panics(s in "[OGDS:()AIPRNOU_;0-9a-fxSY\\-BWCDFLT]{0,48}") {
        let _ = s.parse::<SecurityDescriptor>();
    }
}

/// The inheritance rules of MS-DTYP 2.5.3.4.4 and the split of PostProcessACL, written
/// as a table per parent ACE (the oracle for `create_child_descriptor` without a creator
/// descriptor): what one parent ACE becomes in a child.
fn oracle_inherit(ace: &Ace, container: bool, owner: Sid, group: Sid, auto: bool) -> Vec<Ace> {
    const OI: u8 = 0x01;
    const CI: u8 = 0x02;
    const NP: u8 = 0x04;
    const IO: u8 = 0x08;
    let id = if auto { 0x10 } else { 0 };
    let f = ace.flags().0;
    let with_flags = |flags: u8| {
        let mut a = ace.clone();
        a.set_flags(AceFlags(flags));
        a
    };
    let effective = |flags: u8| {
        let mut a = with_flags(flags);
        if let Some(s) = a.simple_mut() {
            if s.sid == well_known::CREATOR_OWNER {
                s.sid = owner;
            } else if s.sid == well_known::CREATOR_GROUP {
                s.sid = group;
            }
            s.mask = s.mask.map_generic(&FILE_GENERIC_MAPPING);
        }
        a
    };
    let changes = effective(f) != with_flags(f);
    let rest = f & !0x1f; // audit flags ride along
    match (container, f & OI != 0, f & CI != 0, f & NP != 0) {
        (false, true, _, _) => vec![effective(rest | id)],
        (false, false, _, _) => vec![],
        (true, _, true, true) => vec![effective(rest | id)],
        (true, _, true, false) if changes => vec![
            effective(rest | id),
            with_flags((f & (OI | CI)) | IO | rest | id),
        ],
        (true, _, true, false) => vec![with_flags((f & (OI | CI)) | rest | id)],
        (true, true, false, false) => vec![with_flags(OI | IO | rest | id)],
        (true, _, false, _) => vec![],
    }
}

fn inheritable_ace() -> impl Strategy<Value = Ace> {
    let sid = prop_oneof![
        Just(well_known::CREATOR_OWNER),
        Just(well_known::CREATOR_GROUP),
        Just(well_known::WORLD),
        Just(well_known::LOCAL_SYSTEM),
    ];
    let mask = prop_oneof![
        Just(AccessMask::GENERIC_ALL),
        Just(AccessMask::GENERIC_READ | AccessMask::GENERIC_EXECUTE),
        Just(AccessMask::FILE_WRITE_DATA),
        Just(AccessMask::FILE_ALL_ACCESS),
    ];
    (0u8..0x20, mask, sid, any::<bool>()).prop_map(|(f, m, s, deny)| {
        let flags = AceFlags(f);
        if deny {
            Ace::denied(s, m, flags)
        } else {
            Ace::allowed(s, m, flags)
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn inheritance_follows_the_spec_table(
        aces in prop::collection::vec(inheritable_ace(), 0..6),
        container in any::<bool>(),
        auto in any::<bool>(),
        protected in any::<bool>(),
    ) {
        let owner: Sid = "S-1-5-21-1-2-1001".parse().unwrap();
        let group: Sid = "S-1-5-21-1-2-513".parse().unwrap();
        let token = AccessToken::new(owner).with_primary_group(group);
        let mut parent = SecurityDescriptor::new();
        parent.owner = Some(well_known::BUILTIN_ADMINISTRATORS);
        parent.set_dacl(Acl::new(aces.clone()));
        // The parent's own PROTECTED bit plays no part in what its children get.
        if protected {
            parent.control = parent.control.with(SdControl::DACL_PROTECTED);
        }
        if auto {
            parent.control = parent.control.with(SdControl::DACL_AUTO_INHERITED);
        }
        let sd = create_child_descriptor(Some(&parent), None, container, &token, &FILE_GENERIC_MAPPING);
        let want: Vec<Ace> = aces
            .iter()
            .flat_map(|a| oracle_inherit(a, container, owner, group, auto))
            .collect();
        let got = sd.dacl.clone().unwrap().aces;
        if want.is_empty() {
            // Nothing inherited: the default DACL (owner and SYSTEM).
            prop_assert_eq!(got.len(), 2);
            prop_assert_eq!(got[0].sid(), Some(&owner));
        } else {
            prop_assert_eq!(got, want);
        }
        prop_assert_eq!(sd.control.contains(SdControl::DACL_AUTO_INHERITED), auto);
        prop_assert!(!sd.control.contains(SdControl::DACL_PROTECTED));
        prop_assert_eq!(SecurityDescriptor::decode(&sd.encode()).unwrap(), sd);
    }
}

/// PostProcessACL on one of the creator's explicit ACEs: inherit-only ACEs stay as they
/// are; an ACE that applies here and, on a container, stays inheritable is split when
/// making it concrete changes it; any other is made concrete in place.
fn oracle_explicit(ace: &Ace, container: bool, owner: Sid, group: Sid) -> Vec<Ace> {
    let f = ace.flags();
    if f.contains(AceFlags::INHERIT_ONLY) {
        return vec![ace.clone()];
    }
    let mut concrete = ace.clone();
    if let Some(s) = concrete.simple_mut() {
        if s.sid == well_known::CREATOR_OWNER {
            s.sid = owner;
        } else if s.sid == well_known::CREATOR_GROUP {
            s.sid = group;
        }
        s.mask = s.mask.map_generic(&FILE_GENERIC_MAPPING);
    }
    let inheritable = container
        && f.intersects(AceFlags::OBJECT_INHERIT.with(AceFlags::CONTAINER_INHERIT))
        && !f.contains(AceFlags::NO_PROPAGATE_INHERIT);
    if inheritable && concrete != *ace {
        concrete.set_flags(f.without(AceFlags::INHERITANCE));
        let mut later = ace.clone();
        later.set_flags(f.with(AceFlags::INHERIT_ONLY));
        vec![concrete, later]
    } else {
        vec![concrete]
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// ComputeACL with a creator DACL: alone when protected or without auto-inheritance,
    /// else its explicit ACEs (INHERITED ones dropped) then what the parent gives.
    #[test]
    fn creator_dacl_follows_compute_acl(
        parent_aces in prop::collection::vec(inheritable_ace(), 0..5),
        creator_aces in prop::collection::vec(inheritable_ace(), 0..5),
        container in any::<bool>(),
        parent_auto in any::<bool>(),
        request in any::<bool>(),
        protected in any::<bool>(),
    ) {
        let owner: Sid = "S-1-5-21-1-2-1001".parse().unwrap();
        let group: Sid = "S-1-5-21-1-2-513".parse().unwrap();
        let token = AccessToken::new(owner).with_primary_group(group);
        let mut parent = SecurityDescriptor::new();
        parent.set_dacl(Acl::new(parent_aces.clone()));
        if parent_auto {
            parent.control = parent.control.with(SdControl::DACL_AUTO_INHERITED);
        }
        let mut creator = SecurityDescriptor::new();
        creator.set_dacl(Acl::new(creator_aces.clone()));
        if request {
            creator.control = creator.control.with(SdControl::DACL_AUTO_INHERIT_REQ);
        }
        if protected {
            creator.control = creator.control.with(SdControl::DACL_PROTECTED);
        }
        let sd = create_child_descriptor(Some(&parent), Some(&creator), container, &token, &FILE_GENERIC_MAPPING);
        let auto = parent_auto || request;
        let parent_inheritable = parent_aces
            .iter()
            .any(|a| a.flags().intersects(AceFlags::OBJECT_INHERIT.with(AceFlags::CONTAINER_INHERIT)));
        let merge = auto && !protected && parent_inheritable;
        let want: Vec<Ace> = creator_aces
            .iter()
            .filter(|a| !(auto && a.flags().contains(AceFlags::INHERITED)))
            .flat_map(|a| oracle_explicit(a, container, owner, group))
            .chain(
                parent_aces
                    .iter()
                    .filter(|_| merge)
                    .flat_map(|a| oracle_inherit(a, container, owner, group, true)),
            )
            .collect();
        prop_assert_eq!(sd.dacl.clone().unwrap().aces, want);
        prop_assert_eq!(sd.control.contains(SdControl::DACL_AUTO_INHERITED), auto);
        prop_assert_eq!(sd.control.contains(SdControl::DACL_PROTECTED), protected);
        prop_assert!(!sd.control.contains(SdControl::DACL_AUTO_INHERIT_REQ));
    }
}
