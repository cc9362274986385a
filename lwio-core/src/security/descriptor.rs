//! Security descriptors (MS-DTYP 2.4.6 SECURITY_DESCRIPTOR, self-relative form), their
//! control flags (2.4.6), and the SECURITY_INFORMATION flags (2.4.7, from `lwio-types`)
//! that query-security and set-security use to pick parts of a descriptor.
//!
//! # How the DACL (and SACL) states are represented
//!
//! | state | `control` has DACL_PRESENT | `dacl` | meaning for the access check |
//! |---|---|---|---|
//! | not present | no | `None` | no policy: everything is granted |
//! | NULL DACL | yes | `None` | everything is granted (SDDL `D:NO_ACCESS_CONTROL`) |
//! | empty DACL | yes | `Some` with no ACEs | nothing is granted, except the owner's implicit rights |
//! | DACL | yes | `Some` | evaluated ACE by ACE |
//!
//! Use [`SecurityDescriptor::set_dacl`], [`SecurityDescriptor::set_null_dacl`] and
//! [`SecurityDescriptor::remove_dacl`] to keep the bit and the field in step; the encoder
//! sets DACL_PRESENT whenever `dacl` is `Some`. The SACL works the same way.
//!
//! # Layout
//!
//! [`SecurityDescriptor::encode`] writes the 20-byte header, then the SACL, DACL, owner and
//! group, packed in that order: the order of the MS-DTYP 2.5.1.4 example, which is what
//! Windows produces. The decoder accepts the objects in any order and slack after them, but
//! every offset and every object must lie inside the buffer.

use std::fmt;

use bytes::BufMut;

use super::wire::Reader;
use super::{AceType, Acl, SecurityError, Sid};

/// Bytes of the self-relative header.
pub const SD_HEADER_LEN: usize = 20;
/// The only security descriptor revision.
pub const SD_REVISION: u8 = 1;

/// The Control field of a security descriptor (MS-DTYP 2.4.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SdControl(pub u16);

macro_rules! flag_names {
    ($ty:ident, $int:ty, $( $(#[$doc:meta])* $name:ident = $value:expr; )*) => {
        impl $ty {
            $( $(#[$doc])* pub const $name: $ty = $ty($value); )*
            const NAMES: &'static [(&'static str, $int)] = &[ $( (stringify!($name), $value) ),* ];

            /// True when every flag of `other` is set.
            pub const fn contains(self, other: $ty) -> bool {
                self.0 & other.0 == other.0
            }

            /// `self` with the flags of `other` added.
            pub const fn with(self, other: $ty) -> $ty {
                $ty(self.0 | other.0)
            }

            /// `self` without the flags of `other`.
            pub const fn without(self, other: $ty) -> $ty {
                $ty(self.0 & !other.0)
            }

            /// `self` with the flags of `other` set to those of `from`.
            pub const fn copy_from(self, from: $ty, other: $ty) -> $ty {
                $ty((self.0 & !other.0) | (from.0 & other.0))
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut rest = self.0;
                let mut sep = "";
                write!(f, "{}(", stringify!($ty))?;
                for &(name, bit) in Self::NAMES {
                    if bit != 0 && rest & bit == bit {
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
    };
}

flag_names! { SdControl, u16,
    /// The owner was set by a default (SE_OWNER_DEFAULTED).
    OWNER_DEFAULTED = 0x0001;
    /// The group was set by a default (SE_GROUP_DEFAULTED).
    GROUP_DEFAULTED = 0x0002;
    /// A DACL is present, possibly NULL (SE_DACL_PRESENT).
    DACL_PRESENT = 0x0004;
    /// The DACL was set by a default (SE_DACL_DEFAULTED).
    DACL_DEFAULTED = 0x0008;
    /// A SACL is present, possibly NULL (SE_SACL_PRESENT).
    SACL_PRESENT = 0x0010;
    /// The SACL was set by a default (SE_SACL_DEFAULTED).
    SACL_DEFAULTED = 0x0020;
    /// The DACL is trusted (SE_DACL_TRUSTED).
    DACL_TRUSTED = 0x0040;
    /// Server security (SE_SERVER_SECURITY).
    SERVER_SECURITY = 0x0080;
    /// Propagate the DACL to children (SE_DACL_AUTO_INHERIT_REQ, SDDL `AR`).
    DACL_AUTO_INHERIT_REQ = 0x0100;
    /// Propagate the SACL to children (SE_SACL_AUTO_INHERIT_REQ, SDDL `AR`).
    SACL_AUTO_INHERIT_REQ = 0x0200;
    /// The DACL supports automatic propagation (SE_DACL_AUTO_INHERITED, SDDL `AI`).
    DACL_AUTO_INHERITED = 0x0400;
    /// The SACL supports automatic propagation (SE_SACL_AUTO_INHERITED, SDDL `AI`).
    SACL_AUTO_INHERITED = 0x0800;
    /// The DACL does not inherit from the parent (SE_DACL_PROTECTED, SDDL `P`).
    DACL_PROTECTED = 0x1000;
    /// The SACL does not inherit from the parent (SE_SACL_PROTECTED, SDDL `P`).
    SACL_PROTECTED = 0x2000;
    /// Sbz1 holds resource manager control bits (SE_RM_CONTROL_VALID).
    RM_CONTROL_VALID = 0x4000;
    /// The descriptor is in self-relative form (SE_SELF_RELATIVE).
    SELF_RELATIVE = 0x8000;
}

impl SdControl {
    /// The bits that describe the DACL.
    pub const DACL_BITS: SdControl = SdControl(0x0004 | 0x0008 | 0x0040 | 0x0100 | 0x0400 | 0x1000);
    /// The bits that describe the SACL.
    pub const SACL_BITS: SdControl = SdControl(0x0010 | 0x0020 | 0x0200 | 0x0800 | 0x2000);
}

pub use lwio_types::SecurityInformation;

/// The SACL ACE types `info` selects when it does not ask for the whole SACL.
fn sacl_types(info: SecurityInformation) -> Vec<AceType> {
    let mut out = Vec::new();
    if info.contains(SecurityInformation::LABEL) {
        out.push(AceType::SYSTEM_MANDATORY_LABEL);
    }
    if info.contains(SecurityInformation::ATTRIBUTE) {
        out.push(AceType::SYSTEM_RESOURCE_ATTRIBUTE);
    }
    if info.contains(SecurityInformation::SCOPE) {
        out.push(AceType::SYSTEM_SCOPED_POLICY_ID);
    }
    out
}

/// A security descriptor: owner, group, SACL, DACL and control flags.
///
/// See the module documentation for how "no DACL", "NULL DACL" and "empty DACL" differ.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecurityDescriptor {
    /// The Control field. SELF_RELATIVE is set on everything decoded or built here.
    pub control: SdControl,
    /// The Sbz1 byte: resource manager control bits when RM_CONTROL_VALID is set, else 0.
    pub rm_control: u8,
    /// The owner SID.
    pub owner: Option<Sid>,
    /// The primary group SID.
    pub group: Option<Sid>,
    /// The SACL; `None` with SACL_PRESENT set is a NULL SACL.
    pub sacl: Option<Acl>,
    /// The DACL; `None` with DACL_PRESENT set is a NULL DACL.
    pub dacl: Option<Acl>,
}

impl Default for SecurityDescriptor {
    fn default() -> Self {
        SecurityDescriptor::new()
    }
}

impl SecurityDescriptor {
    /// A descriptor with nothing in it (no owner, no group, no SACL, no DACL).
    pub fn new() -> SecurityDescriptor {
        SecurityDescriptor {
            control: SdControl::SELF_RELATIVE,
            rm_control: 0,
            owner: None,
            group: None,
            sacl: None,
            dacl: None,
        }
    }

    /// True when DACL_PRESENT is set but there is no ACL: everyone gets every right.
    pub fn is_null_dacl(&self) -> bool {
        self.control.contains(SdControl::DACL_PRESENT) && self.dacl.is_none()
    }

    /// True when DACL_PRESENT is set (a DACL or a NULL DACL).
    pub fn has_dacl(&self) -> bool {
        self.control.contains(SdControl::DACL_PRESENT) || self.dacl.is_some()
    }

    /// Sets the DACL and DACL_PRESENT.
    pub fn set_dacl(&mut self, dacl: Acl) {
        self.dacl = Some(dacl);
        self.control = self.control.with(SdControl::DACL_PRESENT);
    }

    /// Makes the DACL NULL: DACL_PRESENT with no ACL.
    pub fn set_null_dacl(&mut self) {
        self.dacl = None;
        self.control = self.control.with(SdControl::DACL_PRESENT);
    }

    /// Removes the DACL and DACL_PRESENT.
    pub fn remove_dacl(&mut self) {
        self.dacl = None;
        self.control = self.control.without(SdControl::DACL_PRESENT);
    }

    /// True when SACL_PRESENT is set but there is no ACL.
    pub fn is_null_sacl(&self) -> bool {
        self.control.contains(SdControl::SACL_PRESENT) && self.sacl.is_none()
    }

    /// Sets the SACL and SACL_PRESENT.
    pub fn set_sacl(&mut self, sacl: Acl) {
        self.sacl = Some(sacl);
        self.control = self.control.with(SdControl::SACL_PRESENT);
    }

    /// Removes the SACL and SACL_PRESENT.
    pub fn remove_sacl(&mut self) {
        self.sacl = None;
        self.control = self.control.without(SdControl::SACL_PRESENT);
    }

    /// The control word written on the wire: SELF_RELATIVE, and the PRESENT bits implied
    /// by the ACLs.
    fn wire_control(&self) -> SdControl {
        let mut c = self.control.with(SdControl::SELF_RELATIVE);
        if self.dacl.is_some() {
            c = c.with(SdControl::DACL_PRESENT);
        }
        if self.sacl.is_some() {
            c = c.with(SdControl::SACL_PRESENT);
        }
        c
    }

    /// Bytes of the self-relative form.
    pub fn encoded_len(&self) -> usize {
        SD_HEADER_LEN
            + self.sacl.as_ref().map_or(0, Acl::encoded_len)
            + self.dacl.as_ref().map_or(0, Acl::encoded_len)
            + self.owner.as_ref().map_or(0, Sid::encoded_len)
            + self.group.as_ref().map_or(0, Sid::encoded_len)
    }

    /// Encodes in self-relative form after checking that each ACL fits its 16-bit size
    /// field. Use this for descriptors built from untrusted input.
    pub fn try_encode(&self) -> Result<Vec<u8>, SecurityError> {
        for acl in [&self.sacl, &self.dacl].into_iter().flatten() {
            acl.check_size()?;
        }
        Ok(self.encode())
    }

    /// The self-relative form: header, then SACL, DACL, owner, group. Decoded descriptors
    /// always encode validly; see [`SecurityDescriptor::try_encode`] for built ones.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        let mut next = SD_HEADER_LEN;
        let mut place = |len: Option<usize>| -> u32 {
            match len {
                Some(len) => {
                    let at = next;
                    next += len;
                    u32::try_from(at).unwrap_or(u32::MAX)
                }
                None => 0,
            }
        };
        let sacl_off = place(self.sacl.as_ref().map(Acl::encoded_len));
        let dacl_off = place(self.dacl.as_ref().map(Acl::encoded_len));
        let owner_off = place(self.owner.as_ref().map(Sid::encoded_len));
        let group_off = place(self.group.as_ref().map(Sid::encoded_len));
        out.put_u8(SD_REVISION);
        out.put_u8(self.rm_control);
        out.put_u16_le(self.wire_control().0);
        out.put_u32_le(owner_off);
        out.put_u32_le(group_off);
        out.put_u32_le(sacl_off);
        out.put_u32_le(dacl_off);
        if let Some(acl) = &self.sacl {
            acl.encode_into(&mut out);
        }
        if let Some(acl) = &self.dacl {
            acl.encode_into(&mut out);
        }
        if let Some(sid) = &self.owner {
            sid.encode_into(&mut out);
        }
        if let Some(sid) = &self.group {
            sid.encode_into(&mut out);
        }
        out
    }

    /// Decodes a self-relative descriptor. Revision must be 1 and SELF_RELATIVE set; each
    /// non-zero offset must point past the header and its object must end inside `buf`.
    /// An ACL whose PRESENT bit is clear is ignored, as Windows ignores it.
    pub fn decode(buf: &[u8]) -> Result<SecurityDescriptor, SecurityError> {
        let mut r = Reader::new(buf, "security descriptor header");
        let revision = r.u8()?;
        let rm_control = r.u8()?;
        let control = SdControl(r.u16()?);
        let owner_off = r.u32()?;
        let group_off = r.u32()?;
        let sacl_off = r.u32()?;
        let dacl_off = r.u32()?;
        if revision != SD_REVISION {
            return Err(SecurityError::BadRevision {
                what: "security descriptor",
                revision,
            });
        }
        if !control.contains(SdControl::SELF_RELATIVE) {
            return Err(SecurityError::NotSelfRelative);
        }
        let owner = object(buf, owner_off, "owner offset")?
            .map(Sid::decode)
            .transpose()?;
        let group = object(buf, group_off, "group offset")?
            .map(Sid::decode)
            .transpose()?;
        let acl = |present: SdControl, off: u32, what| -> Result<Option<Acl>, SecurityError> {
            if !control.contains(present) {
                return Ok(None);
            }
            Ok(object(buf, off, what)?
                .map(Acl::decode)
                .transpose()?
                .map(|(acl, _)| acl))
        };
        let sacl = acl(SdControl::SACL_PRESENT, sacl_off, "SACL offset")?;
        let dacl = acl(SdControl::DACL_PRESENT, dacl_off, "DACL offset")?;
        Ok(SecurityDescriptor {
            control,
            rm_control,
            owner: owner.map(|(sid, _)| sid),
            group: group.map(|(sid, _)| sid),
            sacl,
            dacl,
        })
    }

    /// Only the parts `info` asks for, as a query-security returns them. LABEL, ATTRIBUTE
    /// and SCOPE without SACL return a SACL holding only ACEs of those types; BACKUP asks
    /// for everything.
    pub fn filtered(&self, info: SecurityInformation) -> SecurityDescriptor {
        let info = info.expanded();
        let mut out = SecurityDescriptor::new();
        out.control = out
            .control
            .copy_from(self.control, SdControl::RM_CONTROL_VALID);
        out.rm_control = self.rm_control;
        if info.contains(SecurityInformation::OWNER) {
            out.owner = self.owner;
            out.control = out
                .control
                .copy_from(self.control, SdControl::OWNER_DEFAULTED);
        }
        if info.contains(SecurityInformation::GROUP) {
            out.group = self.group;
            out.control = out
                .control
                .copy_from(self.control, SdControl::GROUP_DEFAULTED);
        }
        if info.contains(SecurityInformation::DACL) {
            out.dacl = self.dacl.clone();
            out.control = out.control.copy_from(self.control, SdControl::DACL_BITS);
        }
        if info.contains(SecurityInformation::SACL) {
            out.sacl = self.sacl.clone();
            out.control = out.control.copy_from(self.control, SdControl::SACL_BITS);
        } else {
            let types = sacl_types(info);
            if !types.is_empty() {
                let aces = self.sacl.iter().flat_map(|a| &a.aces);
                let picked = aces
                    .filter(|a| types.contains(&a.ace_type()))
                    .cloned()
                    .collect();
                out.set_sacl(Acl::new(picked));
            }
        }
        out
    }

    /// Applies a set-security: replaces the parts `info` names with those of `other`,
    /// carrying their control bits along (AUTO_INHERITED only when it comes with
    /// AUTO_INHERIT_REQ, which itself is not stored), then applies the
    /// PROTECTED/UNPROTECTED flags.
    /// LABEL, ATTRIBUTE and SCOPE without SACL replace only ACEs of those types.
    pub fn merge_from(&mut self, info: SecurityInformation, other: &SecurityDescriptor) {
        use SecurityInformation as Si;
        let info = info.expanded();
        if info.contains(Si::OWNER) {
            self.owner = other.owner;
            self.control = self
                .control
                .copy_from(other.control, SdControl::OWNER_DEFAULTED);
        }
        if info.contains(Si::GROUP) {
            self.group = other.group;
            self.control = self
                .control
                .copy_from(other.control, SdControl::GROUP_DEFAULTED);
        }
        if info.contains(Si::DACL) {
            self.dacl = other.dacl.clone();
            let bits = auto_inherit_on_set(
                other.wire_control(),
                SdControl::DACL_AUTO_INHERIT_REQ,
                SdControl::DACL_AUTO_INHERITED,
            );
            self.control = self.control.copy_from(bits, SdControl::DACL_BITS);
        }
        if info.contains(Si::SACL) {
            self.sacl = other.sacl.clone();
            let bits = auto_inherit_on_set(
                other.wire_control(),
                SdControl::SACL_AUTO_INHERIT_REQ,
                SdControl::SACL_AUTO_INHERITED,
            );
            self.control = self.control.copy_from(bits, SdControl::SACL_BITS);
        } else {
            let types = sacl_types(info);
            if !types.is_empty() {
                let mut aces: Vec<_> = self.sacl.take().map(|a| a.aces).unwrap_or_default();
                aces.retain(|a| !types.contains(&a.ace_type()));
                let theirs = other.sacl.iter().flat_map(|a| &a.aces);
                aces.extend(theirs.filter(|a| types.contains(&a.ace_type())).cloned());
                self.set_sacl(Acl::new(aces));
            }
        }
        let flag = |c: SdControl, on: Si, off: Si, bit: SdControl| {
            if info.contains(on) {
                c.with(bit)
            } else if info.contains(off) {
                c.without(bit)
            } else {
                c
            }
        };
        self.control = flag(
            self.control,
            Si::PROTECTED_DACL,
            Si::UNPROTECTED_DACL,
            SdControl::DACL_PROTECTED,
        );
        self.control = flag(
            self.control,
            Si::PROTECTED_SACL,
            Si::UNPROTECTED_SACL,
            SdControl::SACL_PROTECTED,
        );
        self.control = self.control.with(SdControl::SELF_RELATIVE);
    }
}

/// The control bits a set-security stores for one ACL, from those it was given: the
/// AUTO_INHERIT_REQ bit is a request, never stored, and AUTO_INHERITED is kept only when
/// it comes with that request (what Windows stores: smbtorture's smb2.acls.INHERITFLAGS
/// sets each combination and reads back AUTO_INHERITED only for both bits together).
fn auto_inherit_on_set(given: SdControl, req: SdControl, inherited: SdControl) -> SdControl {
    if given.contains(req.with(inherited)) {
        given.without(req)
    } else {
        given.without(req).without(inherited)
    }
}

/// The bytes from `off` to the end of `buf`, or `None` for offset 0; an offset into the
/// header or at or past the end is an error.
fn object<'a>(
    buf: &'a [u8],
    off: u32,
    what: &'static str,
) -> Result<Option<&'a [u8]>, SecurityError> {
    if off == 0 {
        return Ok(None);
    }
    let start = usize::try_from(off).unwrap_or(usize::MAX);
    if start < SD_HEADER_LEN || start >= buf.len() {
        return Err(SecurityError::OffsetOutOfRange {
            what,
            offset: off,
            len: buf.len(),
        });
    }
    Ok(Some(&buf[start..]))
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{Ace, AceFlags, well_known};
    use super::*;
    use crate::access::AccessMask;

    /// MS-DTYP 2.5.1.4: the binary form of
    /// `O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)S:P(AU;FA;GR;;;WD)`.
    pub(in crate::security) const SPEC_EXAMPLE: [u8; 0xb0] = [
        0x01, 0x00, 0x14, 0xb0, 0x90, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
        0x00, 0x30, 0x00, 0x00, 0x00, 0x02, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x80,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x60, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03, 0x18, 0x00,
        0x00, 0x00, 0x00, 0xa0, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00,
        0x00, 0x21, 0x02, 0x00, 0x00, 0x00, 0x03, 0x18, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00,
        0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x12, 0x00, 0x00, 0x00, 0x00, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
    ];

    #[test]
    fn spec_example_decodes_and_reencodes_byte_exact() {
        let sd = SecurityDescriptor::decode(&SPEC_EXAMPLE).unwrap();
        assert_eq!(sd.owner, Some(well_known::BUILTIN_ADMINISTRATORS));
        assert_eq!(sd.group, Some(well_known::BUILTIN_ADMINISTRATORS));
        assert!(
            sd.control
                .contains(SdControl::DACL_PROTECTED.with(SdControl::SACL_PROTECTED))
        );
        let dacl = sd.dacl.as_ref().unwrap();
        assert_eq!(dacl.aces.len(), 4);
        assert_eq!(dacl.aces[3].sid(), Some(&well_known::CREATOR_OWNER));
        let sacl = sd.sacl.as_ref().unwrap();
        assert_eq!(
            sacl.aces,
            [Ace::audit(
                well_known::WORLD,
                AccessMask::GENERIC_READ,
                AceFlags::FAILED_ACCESS
            )]
        );
        assert_eq!(sd.encode(), SPEC_EXAMPLE);
    }

    #[test]
    fn null_empty_and_absent_dacl_are_distinct() {
        let mut absent = SecurityDescriptor::new();
        absent.owner = Some(well_known::LOCAL_SYSTEM);
        let mut null = absent.clone();
        null.set_null_dacl();
        let mut empty = absent.clone();
        empty.set_dacl(Acl::empty());
        assert!(null.is_null_dacl() && !empty.is_null_dacl() && !absent.is_null_dacl());
        for sd in [&absent, &null, &empty] {
            assert_eq!(&SecurityDescriptor::decode(&sd.encode()).unwrap(), sd);
        }
        assert_ne!(absent.encode(), null.encode());
        assert_ne!(null.encode(), empty.encode());
    }

    #[test]
    fn objects_in_any_order_and_slack_accepted() {
        let sd = SecurityDescriptor::decode(&SPEC_EXAMPLE).unwrap();
        // Move the owner to the end, after 8 bytes of slack.
        let mut b = SPEC_EXAMPLE.to_vec();
        b.extend([0; 8]);
        let owner_at = b.len();
        b.extend(well_known::BUILTIN_ADMINISTRATORS.to_bytes());
        b.extend([0; 4]);
        b[4..8].copy_from_slice(&u32::try_from(owner_at).unwrap().to_le_bytes());
        assert_eq!(SecurityDescriptor::decode(&b).unwrap(), sd);
    }

    #[test]
    fn rejects_bad_descriptors() {
        let dec = |b: &[u8]| SecurityDescriptor::decode(b);
        assert!(matches!(
            dec(&SPEC_EXAMPLE[..19]),
            Err(SecurityError::Truncated { .. })
        ));
        let mut b = SPEC_EXAMPLE;
        b[0] = 2;
        assert!(matches!(dec(&b), Err(SecurityError::BadRevision { .. })));
        let mut b = SPEC_EXAMPLE;
        b[3] = 0x30;
        assert!(matches!(dec(&b), Err(SecurityError::NotSelfRelative)));
        for (field, off) in [(4, 0xb0u32), (8, 8), (12, 0xffff_ffff), (16, 0xac)] {
            let mut b = SPEC_EXAMPLE;
            b[field..field + 4].copy_from_slice(&off.to_le_bytes());
            assert!(dec(&b).is_err(), "field {field} offset {off:#x}");
        }
        // The group SID cut short by the end of the buffer.
        assert!(dec(&SPEC_EXAMPLE[..0xac]).is_err());
    }

    #[test]
    fn set_keeps_auto_inherited_only_with_the_request() {
        // smbtorture smb2.acls.INHERITFLAGS: each combination of AI, AR and P is set; AR is
        // never stored and AI only when it came with AR; P and the ACEs as given.
        for (given, stored) in [
            ("D:(A;;FA;;;WD)", "D:(A;;FA;;;WD)"),
            ("D:AI(A;;FA;;;WD)", "D:(A;;FA;;;WD)"),
            ("D:AR(A;;FA;;;WD)", "D:(A;;FA;;;WD)"),
            ("D:ARAI(A;ID;FA;;;WD)", "D:AI(A;ID;FA;;;WD)"),
            ("D:PAI(A;;FA;;;WD)", "D:P(A;;FA;;;WD)"),
            ("D:PAR(A;ID;FA;;;WD)", "D:P(A;ID;FA;;;WD)"),
            ("D:PARAI(A;;FA;;;WD)", "D:PAI(A;;FA;;;WD)"),
            ("S:ARAI(AU;SA;FA;;;WD)", "S:AI(AU;SA;FA;;;WD)"),
            ("S:AI(AU;SA;FA;;;WD)", "S:(AU;SA;FA;;;WD)"),
        ] {
            let new: SecurityDescriptor = given.parse().unwrap();
            let mut target: SecurityDescriptor = "D:AI(A;;FR;;;SY)S:AI".parse().unwrap();
            target.merge_from(
                SecurityInformation::DACL.with(SecurityInformation::SACL),
                &new,
            );
            let info = if given.starts_with('S') {
                SecurityInformation::SACL
            } else {
                SecurityInformation::DACL
            };
            assert_eq!(target.filtered(info).to_sddl().unwrap(), stored, "{given}");
        }
    }

    #[test]
    fn filtered_and_merge_from() {
        let sd = SecurityDescriptor::decode(&SPEC_EXAMPLE).unwrap();
        let q = sd.filtered(SecurityInformation::OWNER.with(SecurityInformation::DACL));
        assert_eq!(q.owner, sd.owner);
        assert_eq!(q.group, None);
        assert_eq!(q.dacl, sd.dacl);
        assert!(q.control.contains(SdControl::DACL_PROTECTED));
        assert!(!q.control.contains(SdControl::SACL_PRESENT));
        assert_eq!(q.sacl, None);
        let all = sd.filtered(SecurityInformation::BACKUP);
        assert_eq!(all, sd);

        let mut target = SecurityDescriptor::new();
        target.owner = Some(well_known::LOCAL_SYSTEM);
        target.merge_from(SecurityInformation::DACL, &sd);
        assert_eq!(target.owner, Some(well_known::LOCAL_SYSTEM));
        assert_eq!(target.dacl, sd.dacl);
        assert!(
            target
                .control
                .contains(SdControl::DACL_PRESENT.with(SdControl::DACL_PROTECTED))
        );
        target.merge_from(
            SecurityInformation::UNPROTECTED_DACL,
            &SecurityDescriptor::new(),
        );
        assert!(!target.control.contains(SdControl::DACL_PROTECTED));
        let mut null = SecurityDescriptor::new();
        null.set_null_dacl();
        target.merge_from(SecurityInformation::DACL, &null);
        assert!(target.is_null_dacl());
        assert_eq!(
            SecurityInformation::SACL
                .with(SecurityInformation::OWNER)
                .query_access(),
            AccessMask::READ_CONTROL | AccessMask::ACCESS_SYSTEM_SECURITY
        );
        assert_eq!(
            SecurityInformation::DACL.set_access(),
            AccessMask::WRITE_DAC
        );
    }

    #[test]
    fn label_only_query_and_set() {
        let label =
            super::super::RawAce::new(AceType::SYSTEM_MANDATORY_LABEL, AceFlags::NONE, vec![0; 16])
                .unwrap();
        let mut sd = SecurityDescriptor::new();
        sd.set_sacl(Acl::new(vec![
            Ace::audit(
                well_known::WORLD,
                AccessMask::DELETE,
                AceFlags::SUCCESSFUL_ACCESS,
            ),
            Ace::Other(label.clone()),
        ]));
        let q = sd.filtered(SecurityInformation::LABEL);
        assert_eq!(q.sacl.unwrap().aces, [Ace::Other(label)]);
        let mut other = SecurityDescriptor::new();
        other.set_sacl(Acl::empty());
        sd.merge_from(SecurityInformation::LABEL, &other);
        assert_eq!(sd.sacl.unwrap().aces.len(), 1);
    }
}
