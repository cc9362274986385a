//! Access control lists (MS-DTYP 2.4.5 ACL): an 8-byte header (AclRevision, Sbz1, AclSize,
//! AceCount, Sbz2) followed by AceCount ACEs.
//!
//! Decoding reads exactly AceCount ACEs inside AclSize; bytes after the last ACE but inside
//! AclSize (Windows often leaves slack there) are accepted and dropped, so re-encoding
//! writes the tight size.

use bytes::BufMut;

use super::ace::MIN_ACE_LEN;
use super::wire::Reader;
use super::{Ace, SecurityError};

/// Bytes of the ACL header.
pub const ACL_HEADER_LEN: usize = 8;
/// ACL_REVISION: ACLs without object ACEs.
pub const ACL_REVISION: u8 = 2;
/// ACL_REVISION_DS: ACLs that may hold object ACEs.
pub const ACL_REVISION_DS: u8 = 4;

/// An access control list: a revision and ACEs in evaluation order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Acl {
    revision: u8,
    /// The entries, in order. Order matters: the access check reads them first to last.
    pub aces: Vec<Ace>,
}

impl Default for Acl {
    fn default() -> Self {
        Acl::empty()
    }
}

impl Acl {
    /// An ACL holding `aces`, with revision 4 if one of them is an object ACE, else 2.
    pub fn new(aces: Vec<Ace>) -> Acl {
        let revision = if aces.iter().any(|a| a.ace_type().is_object()) {
            ACL_REVISION_DS
        } else {
            ACL_REVISION
        };
        Acl { revision, aces }
    }

    /// An ACL with no entries (as a DACL: nobody but the owner gets access).
    pub fn empty() -> Acl {
        Acl {
            revision: ACL_REVISION,
            aces: Vec::new(),
        }
    }

    /// An ACL with an explicit revision, which must be 2 or 4.
    pub fn with_revision(revision: u8, aces: Vec<Ace>) -> Result<Acl, SecurityError> {
        if revision != ACL_REVISION && revision != ACL_REVISION_DS {
            return Err(SecurityError::BadRevision {
                what: "ACL",
                revision,
            });
        }
        Ok(Acl { revision, aces })
    }

    /// The AclRevision (2 or 4).
    pub fn revision(&self) -> u8 {
        self.revision
    }

    /// True when the ACL has no entries.
    pub fn is_empty(&self) -> bool {
        self.aces.is_empty()
    }

    /// The AclSize this ACL encodes with.
    pub fn encoded_len(&self) -> usize {
        ACL_HEADER_LEN + self.aces.iter().map(Ace::encoded_len).sum::<usize>()
    }

    /// Checks that the ACL fits the 16-bit AclSize and AceCount fields. Decoded ACLs
    /// always do; an ACL built in memory may not.
    pub fn check_size(&self) -> Result<(), SecurityError> {
        let size = self.encoded_len();
        if size > usize::from(u16::MAX) || self.aces.len() > usize::from(u16::MAX) {
            return Err(SecurityError::BadAclSize {
                size,
                reason: "larger than 65535 bytes",
            });
        }
        Ok(())
    }

    /// Appends the binary form. An ACL that fails [`Acl::check_size`] writes a size field
    /// that will not decode; check first when the ACL was built from untrusted input.
    pub fn encode_into(&self, out: &mut impl BufMut) {
        out.put_u8(self.revision);
        out.put_u8(0);
        out.put_u16_le(u16::try_from(self.encoded_len()).unwrap_or(u16::MAX));
        out.put_u16_le(u16::try_from(self.aces.len()).unwrap_or(u16::MAX));
        out.put_u16_le(0);
        for ace in &self.aces {
            ace.encode_into(out);
        }
    }

    /// Decodes an ACL at the start of `buf`; returns it and its AclSize.
    pub fn decode(buf: &[u8]) -> Result<(Acl, usize), SecurityError> {
        let mut r = Reader::new(buf, "ACL header");
        let revision = r.u8()?;
        if revision != ACL_REVISION && revision != ACL_REVISION_DS {
            return Err(SecurityError::BadRevision {
                what: "ACL",
                revision,
            });
        }
        let _sbz1 = r.u8()?;
        let size = usize::from(r.u16()?);
        let count = usize::from(r.u16()?);
        let _sbz2 = r.u16()?;
        if size < ACL_HEADER_LEN {
            return Err(SecurityError::BadAclSize {
                size,
                reason: "smaller than the header",
            });
        }
        if size > buf.len() {
            return Err(SecurityError::Truncated {
                what: "ACL",
                needed: size,
                available: buf.len(),
            });
        }
        let room = size - ACL_HEADER_LEN;
        if count > room / MIN_ACE_LEN {
            return Err(SecurityError::BadAclSize {
                size,
                reason: "too small for AceCount ACEs",
            });
        }
        let mut aces = Vec::with_capacity(count);
        let mut pos = ACL_HEADER_LEN;
        for _ in 0..count {
            let (ace, used) = Ace::decode(&buf[pos..size])?;
            aces.push(ace);
            pos += used;
        }
        Ok((Acl { revision, aces }, size))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AceFlags, well_known};
    use super::*;
    use crate::access::AccessMask;

    #[test]
    fn round_trip_and_slack() {
        let acl = Acl::new(vec![
            Ace::denied(
                well_known::ANONYMOUS,
                AccessMask::FILE_WRITE_DATA,
                AceFlags::NONE,
            ),
            Ace::allowed(
                well_known::WORLD,
                AccessMask::FILE_GENERIC_READ,
                AceFlags::NONE,
            ),
        ]);
        let mut bytes = Vec::new();
        acl.encode_into(&mut bytes);
        assert_eq!(bytes.len(), acl.encoded_len());
        assert_eq!(Acl::decode(&bytes).unwrap(), (acl.clone(), bytes.len()));

        // Slack inside AclSize is accepted and dropped.
        let mut slack = bytes.clone();
        slack.extend([0; 8]);
        let size = u16::try_from(slack.len()).unwrap();
        slack[2..4].copy_from_slice(&size.to_le_bytes());
        assert_eq!(Acl::decode(&slack).unwrap().0, acl);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(Acl::decode(&[2, 0, 8, 0]).is_err());
        assert!(matches!(
            Acl::decode(&[3, 0, 8, 0, 0, 0, 0, 0]),
            Err(SecurityError::BadRevision { .. })
        ));
        assert!(Acl::decode(&[2, 0, 4, 0, 0, 0, 0, 0]).is_err());
        assert!(Acl::decode(&[2, 0, 16, 0, 0, 0, 0, 0]).is_err());
        // AceCount of 65535 in an 8-byte ACL: rejected before any allocation.
        assert!(matches!(
            Acl::decode(&[2, 0, 8, 0, 0xff, 0xff, 0, 0]),
            Err(SecurityError::BadAclSize { .. })
        ));
        // An ACE that runs past AclSize even though the buffer is longer.
        let mut b = vec![2, 0, 12, 0, 1, 0, 0, 0, 5, 0, 8, 0];
        b.extend([0; 8]);
        assert!(Acl::decode(&b).is_err());
        assert_eq!(
            Acl::decode(&[4, 0, 8, 0, 0, 0, 0, 0]).unwrap().0.revision(),
            4
        );
    }
}
