//! Common structures: RPC_SID (MS-DTYP 2.4.2.3) and the 20-byte policy handle
//! (MS-LSAD 2.2.2.1 LSAPR_HANDLE, MS-RPCE 2.2.4.6 context handles).

use lwio_core::Sid;
use lwio_core::security::SID_MAX_SUB_AUTHORITIES;

use super::{Ndr, NdrReader, NdrWriter};
use crate::{NdrError, Uuid};

/// RPC_SID, a conformant structure:
///
/// ```text
/// typedef struct { unsigned char Revision; unsigned char SubAuthorityCount;
///   RPC_SID_IDENTIFIER_AUTHORITY IdentifierAuthority;
///   [size_is(SubAuthorityCount)] unsigned long SubAuthority[]; } RPC_SID;
/// ```
///
/// On the wire the array's maximum count (u32) comes first, then the members, then the
/// sub-authorities. Decoding requires revision 1, at most 15 sub-authorities, and the
/// maximum count equal to `SubAuthorityCount`.
impl Ndr for Sid {
    const ALIGN: usize = 4;
    const MIN_SIZE: usize = 12;
    fn encode_flat(&self, w: &mut NdrWriter) {
        let subs = self.sub_authorities();
        w.u32(subs.len() as u32);
        // Revision, count and the 6-byte big-endian authority are octets; the
        // sub-authorities are `unsigned long`s in the writer's byte order.
        w.bytes(&self.to_bytes()[..8]);
        for sub in subs {
            w.u32(*sub);
        }
    }
    fn decode_flat(r: &mut NdrReader<'_>) -> Result<Sid, NdrError> {
        let max = r.u32()?;
        let revision = r.u8()?;
        let count = r.u8()?;
        if revision != 1 {
            return Err(NdrError::Invalid("RPC_SID revision"));
        }
        if u32::from(count) != max {
            return Err(NdrError::CountMismatch(
                "RPC_SID conformance differs from SubAuthorityCount",
            ));
        }
        if usize::from(count) > SID_MAX_SUB_AUTHORITIES {
            return Err(NdrError::Invalid("RPC_SID has over 15 sub-authorities"));
        }
        let mut authority = 0u64;
        for b in r.bytes(6)? {
            authority = (authority << 8) | u64::from(*b);
        }
        let n = r.check_count(max, 4)?;
        let mut subs = [0u32; SID_MAX_SUB_AUTHORITIES];
        for slot in subs.iter_mut().take(n) {
            *slot = r.u32()?;
        }
        Sid::new(authority, &subs[..n]).map_err(|_| NdrError::Invalid("RPC_SID"))
    }
}

crate::ndr_struct! {
    /// A policy or context handle on the wire (MS-RPCE 2.2.4.6 `ndr_context_handle`):
    /// 20 bytes, `{ u32 attributes; GUID uuid; }`. All zero is the null handle.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct PolicyHandle {
        /// `context_handle_attributes` (zero).
        pub attributes: u32,
        /// `context_handle_uuid`.
        pub uuid: Uuid,
    }
}

impl PolicyHandle {
    /// Whether this is the null handle.
    pub fn is_null(&self) -> bool {
        self.attributes == 0 && self.uuid == Uuid::NIL
    }
}
