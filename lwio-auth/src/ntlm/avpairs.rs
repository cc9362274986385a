//! AV pairs: the attribute/value list of TargetInfo and of the NTLMv2 client challenge
//! (MS-NLMP 2.2.2.1).

use std::fmt;

use super::NtlmDecodeError;
use lwio_types::Reader;
use lwio_types::utf16::{decode_utf16le_lossy, encode_utf16le};

/// An AvId (MS-NLMP 2.2.2.1). Open: unknown ids decode and re-encode unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AvId(pub u16);

impl AvId {
    /// MsvAvEOL: ends the list.
    pub const EOL: AvId = AvId(0);
    /// MsvAvNbComputerName: the server's NetBIOS computer name (UTF-16LE).
    pub const NB_COMPUTER_NAME: AvId = AvId(1);
    /// MsvAvNbDomainName: the server's NetBIOS domain name (UTF-16LE).
    pub const NB_DOMAIN_NAME: AvId = AvId(2);
    /// MsvAvDnsComputerName: the server's FQDN (UTF-16LE).
    pub const DNS_COMPUTER_NAME: AvId = AvId(3);
    /// MsvAvDnsDomainName: the FQDN of the domain (UTF-16LE).
    pub const DNS_DOMAIN_NAME: AvId = AvId(4);
    /// MsvAvDnsTreeName: the FQDN of the forest (UTF-16LE).
    pub const DNS_TREE_NAME: AvId = AvId(5);
    /// MsvAvFlags: a 32-bit [`AvFlags`] value.
    pub const FLAGS: AvId = AvId(6);
    /// MsvAvTimestamp: a FILETIME, the server's time.
    pub const TIMESTAMP: AvId = AvId(7);
    /// MsvAvSingleHost: a Single_Host_Data structure.
    pub const SINGLE_HOST: AvId = AvId(8);
    /// MsvAvTargetName: the SPN of the target server (UTF-16LE).
    pub const TARGET_NAME: AvId = AvId(9);
    /// MsvAvChannelBindings: an MD5 hash of gss_channel_bindings_struct.
    pub const CHANNEL_BINDINGS: AvId = AvId(10);

    fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "MsvAvEOL",
            1 => "MsvAvNbComputerName",
            2 => "MsvAvNbDomainName",
            3 => "MsvAvDnsComputerName",
            4 => "MsvAvDnsDomainName",
            5 => "MsvAvDnsTreeName",
            6 => "MsvAvFlags",
            7 => "MsvAvTimestamp",
            8 => "MsvAvSingleHost",
            9 => "MsvAvTargetName",
            10 => "MsvAvChannelBindings",
            _ => return None,
        })
    }
}

impl fmt::Debug for AvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "AvId({:#06x})", self.0),
        }
    }
}

/// The MsvAvFlags value (MS-NLMP 2.2.2.1). Open: unknown bits are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AvFlags(pub u32);

impl AvFlags {
    /// The account authentication is constrained.
    pub const CONSTRAINED: AvFlags = AvFlags(0x1);
    /// The AUTHENTICATE message carries a MIC.
    pub const MIC_PRESENT: AvFlags = AvFlags(0x2);
    /// The client's SPN came from an untrusted source.
    pub const UNTRUSTED_SPN: AvFlags = AvFlags(0x4);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: AvFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One attribute/value pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvPair {
    /// The attribute.
    pub id: AvId,
    /// The raw value (UTF-16LE for the names).
    pub value: Vec<u8>,
}

impl AvPair {
    /// A pair whose value is `s` in UTF-16LE, as the name attributes are.
    pub fn name(id: AvId, s: &str) -> AvPair {
        AvPair {
            id,
            value: encode_utf16le(s),
        }
    }
}

/// An AV pair list without its terminating MsvAvEOL, which encoding adds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvPairs(pub Vec<AvPair>);

impl AvPairs {
    /// Decodes a list that ends with MsvAvEOL; bytes after the EOL are an error.
    pub fn decode(buf: &[u8]) -> Result<AvPairs, NtlmDecodeError> {
        let (pairs, used) = Self::decode_prefix(buf)?;
        if used != buf.len() {
            return Err(NtlmDecodeError::BadAvPairs);
        }
        Ok(pairs)
    }

    /// Decodes a list up to and including its MsvAvEOL and returns how many bytes it took.
    pub(crate) fn decode_prefix(buf: &[u8]) -> Result<(AvPairs, usize), NtlmDecodeError> {
        let mut r = Reader::new(buf);
        let mut pairs = Vec::new();
        loop {
            let bad = |_| NtlmDecodeError::BadAvPairs;
            let id = r.u16().map_err(bad)?;
            let len = r.u16().map_err(bad)?;
            let value = r.take(usize::from(len)).map_err(bad)?;
            if id == AvId::EOL.0 {
                if len != 0 {
                    return Err(NtlmDecodeError::BadAvPairs);
                }
                return Ok((AvPairs(pairs), r.position()));
            }
            pairs.push(AvPair {
                id: AvId(id),
                value: value.to_vec(),
            });
        }
    }

    /// Encodes the list followed by MsvAvEOL. Values longer than 65535 bytes are cut.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.0 {
            let v = &p.value[..p.value.len().min(u16::MAX as usize)];
            out.extend_from_slice(&p.id.0.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&[0; 4]);
        out
    }

    /// The value of the first pair with `id`.
    pub fn get(&self, id: AvId) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.value.as_slice())
    }

    /// The value of the first pair with `id`, decoded from UTF-16LE.
    pub fn get_name(&self, id: AvId) -> Option<String> {
        self.get(id).map(decode_utf16le_lossy)
    }

    /// MsvAvTimestamp, if present and eight bytes long.
    pub fn timestamp(&self) -> Option<u64> {
        let v = self.get(AvId::TIMESTAMP)?;
        Some(u64::from_le_bytes(v.try_into().ok()?))
    }

    /// MsvAvFlags, if present and four bytes long; absent flags read as zero.
    pub fn flags(&self) -> AvFlags {
        self.get(AvId::FLAGS)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map_or(AvFlags(0), |b| AvFlags(u32::from_le_bytes(b)))
    }

    /// Replaces the value of the first pair with `id`, or appends a pair.
    pub fn set(&mut self, id: AvId, value: Vec<u8>) {
        match self.0.iter_mut().find(|p| p.id == id) {
            Some(p) => p.value = value,
            None => self.0.push(AvPair { id, value }),
        }
    }
}
