//! The connection-oriented common header (C706 12.6.1, 12.6.3.1; MS-RPCE 2.2.2.3): 16 bytes
//! in front of every PDU.
//!
//! ```text
//! rpc_vers(1)=5 rpc_vers_minor(1)=0|1 PTYPE(1) pfc_flags(1) packed_drep(4)
//! frag_length(2) auth_length(2) call_id(4)
//! ```

use std::fmt;

use bytes::BufMut;

use super::codec::{Reader, read_all};
use crate::RpcError;

/// Bytes of the common header.
pub const HEADER_LEN: usize = 16;
/// `rpc_vers` of connection-oriented RPC.
pub const RPC_VERSION: u8 = 5;
/// The data representation produced: little-endian integers, ASCII characters, IEEE
/// floating point (C706 14.2.5). Big-endian integers are accepted too.
pub const DREP_LE: [u8; 4] = [0x10, 0x00, 0x00, 0x00];

open_enum! {
    /// The PDU type (`PTYPE`, C706 12.6.3.1 and MS-RPCE 2.2.2.10). Connectionless types
    /// (1, 4-10) decode here but are refused by [`crate::pdu::decode`].
    pub struct PduType(u8) {
        /// `request`.
        REQUEST = 0,
        /// `response`.
        RESPONSE = 2,
        /// `fault`.
        FAULT = 3,
        /// `bind`.
        BIND = 11,
        /// `bind_ack`.
        BIND_ACK = 12,
        /// `bind_nak`.
        BIND_NAK = 13,
        /// `alter_context`.
        ALTER_CONTEXT = 14,
        /// `alter_context_resp`.
        ALTER_CONTEXT_RESP = 15,
        /// `rpc_auth_3` (MS-RPCE 2.2.2.10).
        AUTH3 = 16,
        /// `shutdown`.
        SHUTDOWN = 17,
        /// `co_cancel`.
        CO_CANCEL = 18,
        /// `orphaned`.
        ORPHANED = 19,
    }
}

/// The `pfc_flags` bits (C706 12.6.3.1, MS-RPCE 2.2.2.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PfcFlags(pub u8);

impl PfcFlags {
    /// No flags.
    pub const NONE: PfcFlags = PfcFlags(0);
    /// `PFC_FIRST_FRAG`: first fragment of a call.
    pub const FIRST_FRAG: PfcFlags = PfcFlags(0x01);
    /// `PFC_LAST_FRAG`: last fragment of a call.
    pub const LAST_FRAG: PfcFlags = PfcFlags(0x02);
    /// `PFC_PENDING_CANCEL` (in bind/bind_ack, MS-RPCE reuses the bit as
    /// `PFC_SUPPORT_HEADER_SIGN`).
    pub const PENDING_CANCEL: PfcFlags = PfcFlags(0x04);
    /// `PFC_SUPPORT_HEADER_SIGN` (bind and bind_ack only, MS-RPCE 2.2.2.3).
    pub const SUPPORT_HEADER_SIGN: PfcFlags = PfcFlags(0x04);
    /// `PFC_CONC_MPX`: concurrent multiplexing.
    pub const CONC_MPX: PfcFlags = PfcFlags(0x10);
    /// `PFC_DID_NOT_EXECUTE` (fault).
    pub const DID_NOT_EXECUTE: PfcFlags = PfcFlags(0x20);
    /// `PFC_MAYBE`: maybe semantics.
    pub const MAYBE: PfcFlags = PfcFlags(0x40);
    /// `PFC_OBJECT_UUID`: the request carries an object UUID.
    pub const OBJECT_UUID: PfcFlags = PfcFlags(0x80);
    /// FIRST and LAST: an unfragmented call.
    pub const FIRST_AND_LAST: PfcFlags = PfcFlags(0x03);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: PfcFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with `other`'s bits set.
    #[must_use]
    pub const fn with(self, other: PfcFlags) -> PfcFlags {
        PfcFlags(self.0 | other.0)
    }

    /// `self` with `other`'s bits cleared.
    #[must_use]
    pub const fn without(self, other: PfcFlags) -> PfcFlags {
        PfcFlags(self.0 & !other.0)
    }
}

impl std::ops::BitOr for PfcFlags {
    type Output = PfcFlags;
    fn bitor(self, rhs: PfcFlags) -> PfcFlags {
        self.with(rhs)
    }
}

impl fmt::Debug for PfcFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u8, &str); 8] = [
            (0x01, "FIRST_FRAG"),
            (0x02, "LAST_FRAG"),
            (0x04, "PENDING_CANCEL"),
            (0x08, "RESERVED_1"),
            (0x10, "CONC_MPX"),
            (0x20, "DID_NOT_EXECUTE"),
            (0x40, "MAYBE"),
            (0x80, "OBJECT_UUID"),
        ];
        let mut first = true;
        for (bit, name) in NAMES {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        Ok(())
    }
}

/// The decoded common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduHeader {
    /// `PTYPE`.
    pub ptype: PduType,
    /// `pfc_flags`.
    pub flags: PfcFlags,
    /// `frag_length`: bytes of the whole fragment, header included.
    pub frag_length: u16,
    /// `auth_length`: bytes of the auth verifier's `auth_value` (the 8-byte sec_trailer
    /// header and the auth padding are not counted).
    pub auth_length: u16,
    /// `call_id`.
    pub call_id: u32,
}

impl PduHeader {
    /// Decodes the first 16 bytes of `buf` (more may follow). A transport reads this much,
    /// then `frag_length - 16` more bytes to complete the fragment.
    ///
    /// Reads the fields in the byte order of the `drep` (little- or big-endian; see
    /// [`crate::pdu::byte_order`]). Rejects versions other than 5.0/5.1, EBCDIC
    /// characters or non-IEEE floating point ([`RpcError::UnsupportedDataRepresentation`]),
    /// and a `frag_length` shorter than the header or an `auth_length` that cannot fit.
    pub fn decode(buf: &[u8]) -> Result<PduHeader, RpcError> {
        let head = buf.get(..HEADER_LEN).ok_or(RpcError::Truncated)?;
        read_all(head, parse_header)
    }

    /// The `PTYPE` and `call_id` of a fragment whatever its data representation, so that
    /// a server can answer a fragment [`PduHeader::decode`] refuses (a bind with a
    /// big-endian `drep` gets a bind_nak, anything else a fault) with the right `call_id`.
    pub fn peek(buf: &[u8]) -> Option<(PduType, u32)> {
        let h = buf.get(..HEADER_LEN)?;
        let id = [h[12], h[13], h[14], h[15]];
        let call_id = if h[4] & 0xF0 == 0 {
            u32::from_be_bytes(id)
        } else {
            u32::from_le_bytes(id)
        };
        Some((PduType(h[2]), call_id))
    }

    /// Appends the 16-byte header.
    pub fn encode_into(&self, out: &mut impl BufMut) {
        out.put_u8(RPC_VERSION);
        out.put_u8(0);
        out.put_u8(self.ptype.0);
        out.put_u8(self.flags.0);
        out.put_slice(&DREP_LE);
        out.put_u16_le(self.frag_length);
        out.put_u16_le(self.auth_length);
        out.put_u32_le(self.call_id);
    }
}

fn parse_header(r: &mut Reader<'_>) -> Result<PduHeader, RpcError> {
    let vers = r.u8()?;
    let minor = r.u8()?;
    if vers != RPC_VERSION || minor > 1 {
        return Err(RpcError::BadVersion(vers, minor));
    }
    let ptype = r.u8()?;
    let flags = r.u8()?;
    let drep: [u8; 4] = r.array()?;
    // Byte 0: integer representation in the high nibble (1 = little-endian, 0 =
    // big-endian), character representation in the low nibble (0 = ASCII); byte 1:
    // floating point (0 = IEEE); bytes 2 and 3 are reserved.
    let big_endian = match drep[0] {
        0x10 => false,
        0x00 => true,
        _ => {
            return Err(RpcError::UnsupportedDataRepresentation(drep));
        }
    };
    if drep[1] != 0 {
        return Err(RpcError::UnsupportedDataRepresentation(drep));
    }
    let mut frag_length = r.u16()?;
    let mut auth_length = r.u16()?;
    let mut call_id = r.u32()?;
    if big_endian {
        frag_length = frag_length.swap_bytes();
        auth_length = auth_length.swap_bytes();
        call_id = call_id.swap_bytes();
    }
    if usize::from(frag_length) < HEADER_LEN {
        return Err(RpcError::FragLength {
            frag_length,
            actual: HEADER_LEN,
        });
    }
    if auth_length != 0 && usize::from(auth_length) + 8 > usize::from(frag_length) - HEADER_LEN {
        return Err(RpcError::BadAuthLength(auth_length));
    }
    Ok(PduHeader {
        ptype: PduType(ptype),
        flags: PfcFlags(flags),
        frag_length,
        auth_length,
        call_id,
    })
}
