//! UUIDs as DCE/RPC carries them (C706 appendix A, MS-DTYP 2.3.4 GUID) and presentation
//! syntax identifiers (C706 12.6.3.1 `p_syntax_id_t`), with the well-known transfer syntaxes.
//!
//! On the wire a UUID is the NDR structure `{ u32 time_low; u16 time_mid; u16
//! time_hi_and_version; u8 clock_seq[2]; u8 node[6] }`, so with the little-endian data
//! representation the first three fields are byte-swapped relative to the string form.

use std::fmt;
use std::str::FromStr;

use bytes::BufMut;
use thiserror::Error;

/// A 128-bit UUID in its field form (MS-DTYP 2.3.4.1 GUID).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid {
    /// `time_low` / `Data1`.
    pub data1: u32,
    /// `time_mid` / `Data2`.
    pub data2: u16,
    /// `time_hi_and_version` / `Data3`.
    pub data3: u16,
    /// `clock_seq` and `node` / `Data4`, in string order.
    pub data4: [u8; 8],
}

/// A string that is not a UUID of the form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not a UUID string")]
pub struct UuidParseError;

impl Uuid {
    /// The nil UUID (all zero).
    pub const NIL: Uuid = Uuid::from_fields(0, 0, 0, [0; 8]);

    /// A UUID from its four fields.
    pub const fn from_fields(data1: u32, data2: u16, data3: u16, data4: [u8; 8]) -> Uuid {
        Uuid {
            data1,
            data2,
            data3,
            data4,
        }
    }

    /// The 16-byte little-endian NDR form (MS-DTYP 2.3.4.2).
    pub fn to_le_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&self.data1.to_le_bytes());
        out[4..6].copy_from_slice(&self.data2.to_le_bytes());
        out[6..8].copy_from_slice(&self.data3.to_le_bytes());
        out[8..].copy_from_slice(&self.data4);
        out
    }

    /// The UUID whose little-endian NDR form is `b`.
    pub fn from_le_bytes(b: [u8; 16]) -> Uuid {
        let mut data4 = [0u8; 8];
        data4.copy_from_slice(&b[8..]);
        Uuid {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4,
        }
    }

    /// Appends the little-endian form.
    pub fn encode_into(&self, out: &mut impl BufMut) {
        out.put_slice(&self.to_le_bytes());
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case, optional braces).
    pub fn parse(s: &str) -> Result<Uuid, UuidParseError> {
        let s = s
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(s);
        let b = s.as_bytes();
        if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return Err(UuidParseError);
        }
        let mut raw = [0u8; 16];
        let mut n = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'-' {
                i += 1;
                continue;
            }
            let hi = hex(b[i])?;
            let lo = hex(*b.get(i + 1).ok_or(UuidParseError)?)?;
            *raw.get_mut(n).ok_or(UuidParseError)? = (hi << 4) | lo;
            n += 1;
            i += 2;
        }
        if n != 16 {
            return Err(UuidParseError);
        }
        let mut data4 = [0u8; 8];
        data4.copy_from_slice(&raw[8..]);
        Ok(Uuid {
            data1: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            data2: u16::from_be_bytes([raw[4], raw[5]]),
            data3: u16::from_be_bytes([raw[6], raw[7]]),
            data4,
        })
    }
}

fn hex(c: u8) -> Result<u8, UuidParseError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(UuidParseError),
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl FromStr for Uuid {
    type Err = UuidParseError;
    fn from_str(s: &str) -> Result<Uuid, UuidParseError> {
        Uuid::parse(s)
    }
}

/// A presentation syntax identifier: an interface or transfer syntax UUID and its version
/// (C706 12.6.3.1 `p_syntax_id_t`). The 32-bit version carries the major version in its low
/// 16 bits and the minor version in its high 16 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SyntaxId {
    /// The interface or transfer syntax UUID.
    pub uuid: Uuid,
    /// `if_version`: major in the low half, minor in the high half.
    pub version: u32,
}

/// Bytes of a [`SyntaxId`] on the wire.
pub const SYNTAX_ID_LEN: usize = 20;

impl SyntaxId {
    /// A syntax id from a UUID and a major.minor version.
    pub const fn new(uuid: Uuid, major: u16, minor: u16) -> SyntaxId {
        SyntaxId {
            uuid,
            version: (major as u32) | ((minor as u32) << 16),
        }
    }

    /// The all-zero syntax id a rejected or negotiate_ack result carries.
    pub const NULL: SyntaxId = SyntaxId {
        uuid: Uuid::NIL,
        version: 0,
    };

    /// The major version (low 16 bits).
    pub const fn major(&self) -> u16 {
        (self.version & 0xFFFF) as u16
    }

    /// The minor version (high 16 bits).
    pub const fn minor(&self) -> u16 {
        (self.version >> 16) as u16
    }

    /// Appends the 20-byte wire form.
    pub fn encode_into(&self, out: &mut impl BufMut) {
        self.uuid.encode_into(out);
        out.put_u32_le(self.version);
    }

    /// Whether this is a bind time feature negotiation syntax (MS-RPCE 3.3.1.5.3): its UUID
    /// starts `6cb71c2c-9812-4540` and its version is 1.0.
    pub fn is_bind_time_feature_negotiation(&self) -> bool {
        self.uuid.data1 == BTFN_DATA1
            && self.uuid.data2 == BTFN_DATA2
            && self.uuid.data3 == BTFN_DATA3
            && self.version == 1
    }

    /// The [`BindTimeFeatures`] this syntax id offers, if it is a negotiation syntax.
    pub fn bind_time_features(&self) -> Option<BindTimeFeatures> {
        self.is_bind_time_feature_negotiation()
            .then_some(BindTimeFeatures(self.uuid.data4))
    }
}

impl fmt::Debug for SyntaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}.{}", self.uuid, self.major(), self.minor())
    }
}

/// The NDR 2.0 transfer syntax, `8a885d04-1ceb-11c9-9fe8-08002b104860` version 2.0
/// (C706 14.1, MS-RPCE 2.2.5.1).
pub const NDR20_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x8a88_5d04,
        0x1ceb,
        0x11c9,
        [0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60],
    ),
    2,
    0,
);

/// The NDR64 transfer syntax, `71710533-beba-4937-8319-b5dbef9ccc36` version 1.0
/// (MS-RPCE 2.2.5.2). Recognised so that it can be rejected; not implemented.
pub const NDR64_SYNTAX: SyntaxId = SyntaxId::new(
    Uuid::from_fields(
        0x7171_0533,
        0xbeba,
        0x4937,
        [0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36],
    ),
    1,
    0,
);

const BTFN_DATA1: u32 = 0x6cb7_1c2c;
const BTFN_DATA2: u16 = 0x9812;
const BTFN_DATA3: u16 = 0x4540;

/// The bind time feature negotiation bitmask (MS-RPCE 2.2.2.14): eight octets that follow
/// the `6cb71c2c-9812-4540` prefix of the negotiation transfer syntax UUID. Only the two low
/// bits of the first octet are defined.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct BindTimeFeatures(pub [u8; 8]);

impl BindTimeFeatures {
    /// `SecurityContextMultiplexingSupported` (MS-RPCE 3.3.1.5.4).
    pub const SECURITY_CONTEXT_MULTIPLEXING: u8 = 0x01;
    /// `KeepConnectionOnOrphanSupported` (MS-RPCE 3.3.1.5.10).
    pub const KEEP_CONNECTION_ON_ORPHAN: u8 = 0x02;

    /// A bitmask with `bits` in its first octet.
    pub const fn from_bits(bits: u8) -> BindTimeFeatures {
        BindTimeFeatures([bits, 0, 0, 0, 0, 0, 0, 0])
    }

    /// The first octet, where the defined bits live.
    pub const fn bits(&self) -> u8 {
        self.0[0]
    }

    /// The transfer syntax a client proposes to offer these features (version 1.0).
    pub const fn syntax_id(&self) -> SyntaxId {
        SyntaxId::new(
            Uuid::from_fields(BTFN_DATA1, BTFN_DATA2, BTFN_DATA3, self.0),
            1,
            0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_format_round_trip() {
        let u = Uuid::parse("8a885d04-1ceb-11c9-9fe8-08002b104860").unwrap();
        assert_eq!(u, NDR20_SYNTAX.uuid);
        assert_eq!(u.to_string(), "8a885d04-1ceb-11c9-9fe8-08002b104860");
        assert_eq!(
            u.to_le_bytes(),
            [
                0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
                0x48, 0x60
            ]
        );
        assert_eq!(Uuid::from_le_bytes(u.to_le_bytes()), u);
        assert_eq!(
            Uuid::parse("{71710533-BEBA-4937-8319-B5DBEF9CCC36}").unwrap(),
            NDR64_SYNTAX.uuid
        );
        for bad in [
            "",
            "8a885d04-1ceb-11c9-9fe8-08002b10486",
            "8a885d04x1ceb-11c9-9fe8-08002b104860",
            "8a885d04-1ceb-11c9-9fe8-08002b10486g",
        ] {
            assert!(Uuid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bind_time_feature_negotiation_uuid() {
        let s = BindTimeFeatures::from_bits(3).syntax_id();
        assert_eq!(s.uuid.to_string(), "6cb71c2c-9812-4540-0300-000000000000");
        assert_eq!(s.version, 1);
        assert!(s.is_bind_time_feature_negotiation());
        assert_eq!(s.bind_time_features().unwrap().bits(), 3);
        assert!(!NDR20_SYNTAX.is_bind_time_feature_negotiation());
        assert_eq!(NDR20_SYNTAX.major(), 2);
        assert_eq!(SyntaxId::new(Uuid::NIL, 3, 1).version, 0x0001_0003);
    }
}
