//! Access control entries (MS-DTYP 2.4.4): the ACE header (2.4.4.1) and the three ACE
//! types the access check and inheritance use, ACCESS_ALLOWED (2.4.4.2), ACCESS_DENIED
//! (2.4.4.4) and SYSTEM_AUDIT (2.4.4.10).
//!
//! Every other type (object, callback, alarm, mandatory label, resource attribute, ...) is
//! kept as a [`RawAce`]: its body bytes survive a round trip exactly, and the access check
//! skips it, as Windows skips ACE types it does not evaluate. A typed ACE may carry bytes
//! after its SID inside AceSize; they are kept too, so re-encoding is byte-exact.

use std::fmt;

use bytes::BufMut;

use super::wire::Reader;
use super::{SecurityError, Sid};
use crate::access::AccessMask;

/// Bytes of the ACE header: AceType, AceFlags, AceSize.
pub const ACE_HEADER_LEN: usize = 4;
/// The smallest well-formed ACE (a header alone), used to bound allocations.
pub(super) const MIN_ACE_LEN: usize = ACE_HEADER_LEN;

/// The AceType field (MS-DTYP 2.4.4.1); an open set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AceType(pub u8);

macro_rules! ace_types {
    ($( $(#[$doc:meta])* $name:ident = $value:expr; )*) => {
        impl AceType {
            $( $(#[$doc])* pub const $name: AceType = AceType($value); )*

            /// The MS-DTYP name of a known type.
            pub fn name(self) -> Option<&'static str> {
                match self.0 { $( $value => Some(stringify!($name)), )* _ => None }
            }
        }
    };
}

ace_types! {
    /// Grants rights to a SID.
    ACCESS_ALLOWED = 0x00;
    /// Denies rights to a SID.
    ACCESS_DENIED = 0x01;
    /// Audits uses of rights by a SID.
    SYSTEM_AUDIT = 0x02;
    /// Reserved alarm ACE.
    SYSTEM_ALARM = 0x03;
    /// Reserved compound ACE.
    ACCESS_ALLOWED_COMPOUND = 0x04;
    /// Allowed, for an object type or property.
    ACCESS_ALLOWED_OBJECT = 0x05;
    /// Denied, for an object type or property.
    ACCESS_DENIED_OBJECT = 0x06;
    /// Audit, for an object type or property.
    SYSTEM_AUDIT_OBJECT = 0x07;
    /// Alarm, for an object type or property.
    SYSTEM_ALARM_OBJECT = 0x08;
    /// Allowed, with a condition.
    ACCESS_ALLOWED_CALLBACK = 0x09;
    /// Denied, with a condition.
    ACCESS_DENIED_CALLBACK = 0x0A;
    /// Allowed object ACE with a condition.
    ACCESS_ALLOWED_CALLBACK_OBJECT = 0x0B;
    /// Denied object ACE with a condition.
    ACCESS_DENIED_CALLBACK_OBJECT = 0x0C;
    /// Audit with a condition.
    SYSTEM_AUDIT_CALLBACK = 0x0D;
    /// Alarm with a condition.
    SYSTEM_ALARM_CALLBACK = 0x0E;
    /// Audit object ACE with a condition.
    SYSTEM_AUDIT_CALLBACK_OBJECT = 0x0F;
    /// Alarm object ACE with a condition.
    SYSTEM_ALARM_CALLBACK_OBJECT = 0x10;
    /// Mandatory integrity label (SACL only).
    SYSTEM_MANDATORY_LABEL = 0x11;
    /// Resource attribute (SACL only).
    SYSTEM_RESOURCE_ATTRIBUTE = 0x12;
    /// Central access policy identifier (SACL only).
    SYSTEM_SCOPED_POLICY_ID = 0x13;
}

impl AceType {
    /// True for the object ACE types, whose presence needs ACL revision 4.
    pub fn is_object(self) -> bool {
        matches!(self.0, 0x05..=0x08 | 0x0B | 0x0C | 0x0F | 0x10)
    }
}

impl fmt::Debug for AceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "AceType({:#04x})", self.0),
        }
    }
}

/// The AceFlags field (MS-DTYP 2.4.4.1): inheritance and audit flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct AceFlags(pub u8);

impl AceFlags {
    /// No flags.
    pub const NONE: AceFlags = AceFlags(0);
    /// Non-container children inherit the ACE (`OI`).
    pub const OBJECT_INHERIT: AceFlags = AceFlags(0x01);
    /// Container children inherit the ACE (`CI`).
    pub const CONTAINER_INHERIT: AceFlags = AceFlags(0x02);
    /// Children inherit the ACE without its inheritance flags (`NP`).
    pub const NO_PROPAGATE_INHERIT: AceFlags = AceFlags(0x04);
    /// The ACE is only for children; the access check skips it (`IO`).
    pub const INHERIT_ONLY: AceFlags = AceFlags(0x08);
    /// The ACE was inherited from a parent (`ID`).
    pub const INHERITED: AceFlags = AceFlags(0x10);
    /// Audit successful uses (`SA`, audit ACEs).
    pub const SUCCESSFUL_ACCESS: AceFlags = AceFlags(0x40);
    /// Audit failed uses (`FA`, audit ACEs).
    pub const FAILED_ACCESS: AceFlags = AceFlags(0x80);
    /// The flags that control inheritance: OI, CI, NP, IO.
    pub const INHERITANCE: AceFlags = AceFlags(0x0F);

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: AceFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when a flag of `other` is set.
    pub const fn intersects(self, other: AceFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// `self` with the flags of `other` added.
    pub const fn with(self, other: AceFlags) -> AceFlags {
        AceFlags(self.0 | other.0)
    }

    /// `self` without the flags of `other`.
    pub const fn without(self, other: AceFlags) -> AceFlags {
        AceFlags(self.0 & !other.0)
    }
}

impl fmt::Debug for AceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u8, &str); 7] = [
            (0x01, "OI"),
            (0x02, "CI"),
            (0x04, "NP"),
            (0x08, "IO"),
            (0x10, "ID"),
            (0x40, "SA"),
            (0x80, "FA"),
        ];
        let mut rest = self.0;
        let mut sep = "";
        write!(f, "AceFlags(")?;
        for (bit, name) in NAMES {
            if rest & bit != 0 {
                write!(f, "{sep}{name}")?;
                rest &= !bit;
                sep = "|";
            }
        }
        if rest != 0 {
            write!(f, "{sep}{rest:#x}")?;
        }
        write!(f, ")")
    }
}

/// The body of an allowed, denied or audit ACE: a mask and a SID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimpleAce {
    /// Inheritance and audit flags.
    pub flags: AceFlags,
    /// The rights the ACE grants, denies or audits.
    pub mask: AccessMask,
    /// Who the ACE applies to.
    pub sid: Sid,
    /// Bytes after the SID inside AceSize, kept for a byte-exact round trip; a multiple of
    /// 4 long. Empty for ACEs built in memory.
    trailing: Vec<u8>,
}

impl SimpleAce {
    /// An ACE body with no trailing bytes.
    pub fn new(flags: AceFlags, mask: AccessMask, sid: Sid) -> SimpleAce {
        SimpleAce {
            flags,
            mask,
            sid,
            trailing: Vec::new(),
        }
    }

    /// Bytes that followed the SID on the wire.
    pub fn trailing(&self) -> &[u8] {
        &self.trailing
    }

    /// This ACE without trailing bytes.
    pub fn without_trailing(mut self) -> SimpleAce {
        self.trailing.clear();
        self
    }
}

/// An ACE of a type this module does not interpret; its body is kept as bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAce {
    ace_type: AceType,
    flags: AceFlags,
    body: Vec<u8>,
}

impl RawAce {
    /// A raw ACE. Refused for types 0, 1 and 2 (use [`Ace::Allowed`] and friends) and for
    /// bodies that are not a multiple of 4 bytes or would not fit AceSize.
    pub fn new(ace_type: AceType, flags: AceFlags, body: Vec<u8>) -> Result<RawAce, SecurityError> {
        if ace_type.0 <= AceType::SYSTEM_AUDIT.0 {
            return Err(SecurityError::BadRawAce("this ACE type has a typed form"));
        }
        if body.len() % 4 != 0 || body.len() > usize::from(u16::MAX) - ACE_HEADER_LEN - 3 {
            return Err(SecurityError::BadRawAce(
                "body length must be a multiple of 4 and fit AceSize",
            ));
        }
        Ok(RawAce {
            ace_type,
            flags,
            body,
        })
    }

    /// The AceType.
    pub fn ace_type(&self) -> AceType {
        self.ace_type
    }

    /// The AceFlags.
    pub fn flags(&self) -> AceFlags {
        self.flags
    }

    /// Replaces the AceFlags (inheritance changes them).
    pub fn set_flags(&mut self, flags: AceFlags) {
        self.flags = flags;
    }

    /// The bytes after the header.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// One access control entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ace {
    /// ACCESS_ALLOWED_ACE (MS-DTYP 2.4.4.2).
    Allowed(SimpleAce),
    /// ACCESS_DENIED_ACE (MS-DTYP 2.4.4.4).
    Denied(SimpleAce),
    /// SYSTEM_AUDIT_ACE (MS-DTYP 2.4.4.10).
    Audit(SimpleAce),
    /// Any other type, kept as bytes.
    Other(RawAce),
}

impl Ace {
    /// An allow ACE.
    pub fn allowed(sid: Sid, mask: AccessMask, flags: AceFlags) -> Ace {
        Ace::Allowed(SimpleAce::new(flags, mask, sid))
    }

    /// A deny ACE.
    pub fn denied(sid: Sid, mask: AccessMask, flags: AceFlags) -> Ace {
        Ace::Denied(SimpleAce::new(flags, mask, sid))
    }

    /// An audit ACE; `flags` should hold SUCCESSFUL_ACCESS and/or FAILED_ACCESS.
    pub fn audit(sid: Sid, mask: AccessMask, flags: AceFlags) -> Ace {
        Ace::Audit(SimpleAce::new(flags, mask, sid))
    }

    /// The AceType.
    pub fn ace_type(&self) -> AceType {
        match self {
            Ace::Allowed(_) => AceType::ACCESS_ALLOWED,
            Ace::Denied(_) => AceType::ACCESS_DENIED,
            Ace::Audit(_) => AceType::SYSTEM_AUDIT,
            Ace::Other(raw) => raw.ace_type,
        }
    }

    /// The AceFlags.
    pub fn flags(&self) -> AceFlags {
        match self {
            Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => a.flags,
            Ace::Other(raw) => raw.flags,
        }
    }

    /// Replaces the AceFlags.
    pub fn set_flags(&mut self, flags: AceFlags) {
        match self {
            Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => a.flags = flags,
            Ace::Other(raw) => raw.flags = flags,
        }
    }

    /// The typed body, for allowed, denied and audit ACEs.
    pub fn simple(&self) -> Option<&SimpleAce> {
        match self {
            Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => Some(a),
            Ace::Other(_) => None,
        }
    }

    /// The typed body, mutable.
    pub fn simple_mut(&mut self) -> Option<&mut SimpleAce> {
        match self {
            Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => Some(a),
            Ace::Other(_) => None,
        }
    }

    /// The SID of a typed ACE.
    pub fn sid(&self) -> Option<&Sid> {
        self.simple().map(|a| &a.sid)
    }

    /// The mask of a typed ACE.
    pub fn mask(&self) -> Option<AccessMask> {
        self.simple().map(|a| a.mask)
    }

    /// True when the access check skips this ACE (INHERIT_ONLY set).
    pub fn is_inherit_only(&self) -> bool {
        self.flags().contains(AceFlags::INHERIT_ONLY)
    }

    /// The AceSize this ACE encodes with.
    pub fn encoded_len(&self) -> usize {
        ACE_HEADER_LEN
            + match self {
                Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => {
                    4 + a.sid.encoded_len() + a.trailing.len()
                }
                Ace::Other(raw) => raw.body.len(),
            }
    }

    /// Appends the binary form.
    pub fn encode_into(&self, out: &mut impl BufMut) {
        out.put_u8(self.ace_type().0);
        out.put_u8(self.flags().0);
        // Decoded ACEs are below 64 KiB; `Acl::try_encode` rejects oversized ones built
        // in memory.
        out.put_u16_le(u16::try_from(self.encoded_len()).unwrap_or(u16::MAX));
        match self {
            Ace::Allowed(a) | Ace::Denied(a) | Ace::Audit(a) => {
                out.put_u32_le(a.mask.0);
                a.sid.encode_into(out);
                out.put_slice(&a.trailing);
            }
            Ace::Other(raw) => out.put_slice(&raw.body),
        }
    }

    /// Decodes one ACE at the start of `buf` (the rest of the ACL); returns it and its
    /// AceSize. AceSize must cover the header and body, be a multiple of 4 and fit in `buf`.
    pub fn decode(buf: &[u8]) -> Result<(Ace, usize), SecurityError> {
        let mut r = Reader::new(buf, "ACE header");
        let ace_type = AceType(r.u8()?);
        let flags = AceFlags(r.u8()?);
        let size = r.u16()?;
        let len = usize::from(size);
        if len < ACE_HEADER_LEN {
            return Err(SecurityError::BadAceSize {
                size,
                reason: "smaller than the header",
            });
        }
        if len % 4 != 0 {
            return Err(SecurityError::BadAceSize {
                size,
                reason: "not a multiple of 4",
            });
        }
        if len > buf.len() {
            return Err(SecurityError::BadAceSize {
                size,
                reason: "runs past the ACL",
            });
        }
        let body = &buf[ACE_HEADER_LEN..len];
        let ace = match ace_type {
            AceType::ACCESS_ALLOWED | AceType::ACCESS_DENIED | AceType::SYSTEM_AUDIT => {
                let mut b = Reader::new(body, "ACE body");
                let mask = AccessMask(b.u32()?);
                let (sid, used) = Sid::decode(&body[4..])?;
                let trailing = body[4 + used..].to_vec();
                let simple = SimpleAce {
                    flags,
                    mask,
                    sid,
                    trailing,
                };
                match ace_type {
                    AceType::ACCESS_ALLOWED => Ace::Allowed(simple),
                    AceType::ACCESS_DENIED => Ace::Denied(simple),
                    _ => Ace::Audit(simple),
                }
            }
            _ => Ace::Other(RawAce {
                ace_type,
                flags,
                body: body.to_vec(),
            }),
        };
        Ok((ace, len))
    }
}

#[cfg(test)]
mod tests {
    use super::super::well_known;
    use super::*;

    #[test]
    fn allowed_ace_vector() {
        // MS-DTYP 2.5.1.4: (A;CIOI;GRGX;;;BU)
        let bytes = [
            0x00, 0x03, 0x18, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x21, 0x02, 0x00, 0x00,
        ];
        let (ace, used) = Ace::decode(&bytes).unwrap();
        assert_eq!(used, 24);
        let want = Ace::allowed(
            well_known::BUILTIN_USERS,
            AccessMask::GENERIC_READ | AccessMask::GENERIC_EXECUTE,
            AceFlags::OBJECT_INHERIT.with(AceFlags::CONTAINER_INHERIT),
        );
        assert_eq!(ace, want);
        let mut out = Vec::new();
        ace.encode_into(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn trailing_and_unknown_round_trip() {
        let mut bytes = vec![0x01, 0x00, 0x18, 0x00, 0xff, 0x01, 0x1f, 0x00];
        bytes.extend(well_known::WORLD.to_bytes());
        bytes.extend([0xde, 0xad, 0xbe, 0xef]);
        let (ace, _) = Ace::decode(&bytes).unwrap();
        assert_eq!(ace.simple().unwrap().trailing(), [0xde, 0xad, 0xbe, 0xef]);
        let mut out = Vec::new();
        ace.encode_into(&mut out);
        assert_eq!(out, bytes);

        let label = [0x11, 0x00, 0x0c, 0x00, 1, 0, 0, 0, 9, 9, 9, 9];
        let (ace, _) = Ace::decode(&label).unwrap();
        assert_eq!(ace.ace_type(), AceType::SYSTEM_MANDATORY_LABEL);
        assert!(matches!(ace, Ace::Other(_)));
        let mut out = Vec::new();
        ace.encode_into(&mut out);
        assert_eq!(out, label);
    }

    #[test]
    fn rejects_bad_sizes() {
        let bad = |b: &[u8]| Ace::decode(b).is_err();
        assert!(bad(&[0, 0, 2, 0]));
        assert!(bad(&[5, 0, 6, 0, 0, 0]));
        assert!(bad(&[5, 0, 12, 0, 0, 0, 0, 0]));
        // A typed ACE whose SID runs past AceSize.
        assert!(bad(&[
            0, 0, 12, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0
        ]));
        assert!(RawAce::new(AceType::ACCESS_DENIED, AceFlags::NONE, vec![]).is_err());
        assert!(RawAce::new(AceType(0x11), AceFlags::NONE, vec![0; 3]).is_err());
    }
}
