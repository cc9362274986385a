//! The three NTLMSSP messages (MS-NLMP 2.2.1.1 NEGOTIATE, 2.2.1.2 CHALLENGE,
//! 2.2.1.3 AUTHENTICATE), NegotiateFlags (2.2.2.5) and the VERSION structure (2.2.2.10).
//!
//! Payload fields are (Len, MaxLen, Offset) triples. A decoder checks each non-empty
//! field against the message and the fixed header before it slices; MaxLen is not trusted.
//! Strings are kept as the bytes sent (UTF-16LE under NEGOTIATE_UNICODE, OEM otherwise);
//! the `*_name` accessors decode them.

use std::fmt;

use super::{AvPairs, NtlmDecodeError};
use lwio_types::Reader;
use lwio_types::utf16::decode_utf16le_lossy;

/// The eight bytes every NTLMSSP message starts with.
pub const NTLMSSP_SIGNATURE: [u8; 8] = *b"NTLMSSP\0";

/// Where the MIC sits in an AUTHENTICATE message that carries a VERSION.
pub const MIC_OFFSET: usize = 72;

/// The MessageType field (MS-NLMP 2.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// NEGOTIATE_MESSAGE, type 1.
    Negotiate,
    /// CHALLENGE_MESSAGE, type 2.
    Challenge,
    /// AUTHENTICATE_MESSAGE, type 3.
    Authenticate,
}

/// The type of an NTLMSSP message, after checking its signature.
pub fn message_type(buf: &[u8]) -> Result<MessageType, NtlmDecodeError> {
    if buf.len() < 12 {
        return Err(NtlmDecodeError::Truncated);
    }
    if buf[..8] != NTLMSSP_SIGNATURE {
        return Err(NtlmDecodeError::BadSignature);
    }
    match Reader::at(buf, 8).u32()? {
        1 => Ok(MessageType::Negotiate),
        2 => Ok(MessageType::Challenge),
        3 => Ok(MessageType::Authenticate),
        found => Err(NtlmDecodeError::WrongMessageType { expected: 0, found }),
    }
}

/// NegotiateFlags (MS-NLMP 2.2.2.5). Open: unknown bits are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NegotiateFlags(pub u32);

macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident = $v:literal;)*) => {
        impl NegotiateFlags {
            $($(#[$doc])* pub const $name: NegotiateFlags = NegotiateFlags($v);)*
            const NAMES: &[(&'static str, u32)] = &[$((stringify!($name), $v)),*];
        }
    };
}

flags! {
    /// NTLMSSP_NEGOTIATE_UNICODE (A).
    UNICODE = 0x0000_0001;
    /// NTLM_NEGOTIATE_OEM (B).
    OEM = 0x0000_0002;
    /// NTLMSSP_REQUEST_TARGET (C).
    REQUEST_TARGET = 0x0000_0004;
    /// NTLMSSP_NEGOTIATE_SIGN (D).
    SIGN = 0x0000_0010;
    /// NTLMSSP_NEGOTIATE_SEAL (E).
    SEAL = 0x0000_0020;
    /// NTLMSSP_NEGOTIATE_DATAGRAM (F).
    DATAGRAM = 0x0000_0040;
    /// NTLMSSP_NEGOTIATE_LM_KEY (G).
    LM_KEY = 0x0000_0080;
    /// NTLMSSP_NEGOTIATE_NTLM (H).
    NTLM = 0x0000_0200;
    /// Anonymous (J).
    ANONYMOUS = 0x0000_0800;
    /// NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED (K).
    OEM_DOMAIN_SUPPLIED = 0x0000_1000;
    /// NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED (L).
    OEM_WORKSTATION_SUPPLIED = 0x0000_2000;
    /// NTLMSSP_NEGOTIATE_ALWAYS_SIGN (M).
    ALWAYS_SIGN = 0x0000_8000;
    /// NTLMSSP_TARGET_TYPE_DOMAIN (N).
    TARGET_TYPE_DOMAIN = 0x0001_0000;
    /// NTLMSSP_TARGET_TYPE_SERVER (O).
    TARGET_TYPE_SERVER = 0x0002_0000;
    /// NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (P).
    EXTENDED_SESSIONSECURITY = 0x0008_0000;
    /// NTLMSSP_NEGOTIATE_IDENTIFY (Q).
    IDENTIFY = 0x0010_0000;
    /// NTLMSSP_REQUEST_NON_NT_SESSION_KEY (R).
    REQUEST_NON_NT_SESSION_KEY = 0x0040_0000;
    /// NTLMSSP_NEGOTIATE_TARGET_INFO (S).
    TARGET_INFO = 0x0080_0000;
    /// NTLMSSP_NEGOTIATE_VERSION (T).
    VERSION = 0x0200_0000;
    /// NTLMSSP_NEGOTIATE_128 (U).
    NEG_128 = 0x2000_0000;
    /// NTLMSSP_NEGOTIATE_KEY_EXCH (V).
    KEY_EXCH = 0x4000_0000;
    /// NTLMSSP_NEGOTIATE_56 (W).
    NEG_56 = 0x8000_0000;
}

impl NegotiateFlags {
    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: NegotiateFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits set in both.
    pub const fn intersection(self, other: NegotiateFlags) -> NegotiateFlags {
        NegotiateFlags(self.0 & other.0)
    }
}

impl std::ops::BitOr for NegotiateFlags {
    type Output = NegotiateFlags;
    fn bitor(self, rhs: NegotiateFlags) -> NegotiateFlags {
        NegotiateFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for NegotiateFlags {
    fn bitor_assign(&mut self, rhs: NegotiateFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for NegotiateFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NegotiateFlags({:#010x}", self.0)?;
        let mut rest = self.0;
        for (name, v) in Self::NAMES {
            if self.0 & v != 0 {
                write!(f, " {name}")?;
                rest &= !v;
            }
        }
        if rest != 0 {
            write!(f, " {rest:#x}")?;
        }
        f.write_str(")")
    }
}

/// The VERSION structure (MS-NLMP 2.2.2.10): the sender's OS version, for debugging only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NtlmVersion {
    /// ProductMajorVersion.
    pub major: u8,
    /// ProductMinorVersion.
    pub minor: u8,
    /// ProductBuild.
    pub build: u16,
    /// The three reserved bytes, kept so a message re-encodes as it came.
    pub reserved: [u8; 3],
    /// NTLMRevisionCurrent; 15 (NTLMSSP_REVISION_W2K3) today.
    pub revision: u8,
}

impl NtlmVersion {
    /// Windows 10/Server 2016 style: 10.0, build 20348, revision 15.
    pub const DEFAULT: NtlmVersion = NtlmVersion {
        major: 10,
        minor: 0,
        build: 20348,
        reserved: [0; 3],
        revision: 15,
    };

    fn decode(b: [u8; 8]) -> NtlmVersion {
        NtlmVersion {
            major: b[0],
            minor: b[1],
            build: u16::from_le_bytes([b[2], b[3]]),
            reserved: [b[4], b[5], b[6]],
            revision: b[7],
        }
    }

    fn encode(&self) -> [u8; 8] {
        let b = self.build.to_le_bytes();
        let r = self.reserved;
        [
            self.major,
            self.minor,
            b[0],
            b[1],
            r[0],
            r[1],
            r[2],
            self.revision,
        ]
    }
}

/// Decodes a string field by the flags: UTF-16LE under UNICODE, otherwise OEM (taken as
/// Latin-1, which is what ASCII names need).
pub(crate) fn decode_string(flags: NegotiateFlags, b: &[u8]) -> String {
    if flags.contains(NegotiateFlags::UNICODE) {
        decode_utf16le_lossy(b)
    } else {
        b.iter().map(|&c| c as char).collect()
    }
}

/// Reads the header of an NTLMSSP message of `expected` type and returns a reader past
/// the MessageType.
fn header(buf: &[u8], expected: u32, min_len: usize) -> Result<Reader<'_>, NtlmDecodeError> {
    if buf.len() < 12 {
        return Err(NtlmDecodeError::Truncated);
    }
    if buf[..8] != NTLMSSP_SIGNATURE {
        return Err(NtlmDecodeError::BadSignature);
    }
    let mut r = Reader::at(buf, 8);
    let found = r.u32()?;
    if found != expected {
        return Err(NtlmDecodeError::WrongMessageType { expected, found });
    }
    if buf.len() < min_len {
        return Err(NtlmDecodeError::Truncated);
    }
    Ok(r)
}

/// A (Len, MaxLen, Offset) field as read, before it is checked.
#[derive(Clone, Copy)]
struct Field {
    len: u16,
    offset: u32,
}

impl Field {
    fn read(r: &mut Reader<'_>) -> Result<Field, NtlmDecodeError> {
        let len = r.u16()?;
        let _max_len = r.u16()?;
        let offset = r.u32()?;
        Ok(Field { len, offset })
    }

    /// The bytes the field names; empty fields ignore their offset. A non-empty field
    /// must start at or after `header_len` and end inside `buf`.
    fn slice<'a>(
        self,
        buf: &'a [u8],
        header_len: usize,
        name: &'static str,
    ) -> Result<&'a [u8], NtlmDecodeError> {
        Reader::new(buf)
            .payload(self.offset as usize, usize::from(self.len), header_len)
            .map_err(|_| NtlmDecodeError::FieldOutOfBounds(name))
    }

    /// The offset of a non-empty field.
    fn start(self) -> Option<usize> {
        (self.len != 0).then_some(self.offset as usize)
    }
}

/// Appends payloads after a fixed header and fills in their (Len, MaxLen, Offset) fields.
struct Writer {
    out: Vec<u8>,
    payload: Vec<u8>,
    header_len: usize,
    fields: Vec<(usize, usize, usize)>,
    /// Empty fields get offset zero (NEGOTIATE, as Windows sends it).
    zero_empty: bool,
}

impl Writer {
    fn new(kind: u32, header_len: usize) -> Writer {
        let mut out = Vec::with_capacity(header_len + 64);
        out.extend_from_slice(&NTLMSSP_SIGNATURE);
        out.extend_from_slice(&kind.to_le_bytes());
        Writer {
            out,
            payload: Vec::new(),
            header_len,
            fields: Vec::new(),
            zero_empty: false,
        }
    }

    /// Writes a field descriptor for `data` (cut at 65535 bytes) and queues the data.
    fn field(&mut self, data: &[u8]) {
        let data = &data[..data.len().min(u16::MAX as usize)];
        let at = self.out.len();
        self.out.extend_from_slice(&[0; 8]);
        self.fields.push((at, self.payload.len(), data.len()));
        self.payload.extend_from_slice(data);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    fn finish(mut self) -> Vec<u8> {
        debug_assert_eq!(self.out.len(), self.header_len);
        let base = self.out.len();
        for (at, off, len) in std::mem::take(&mut self.fields) {
            let l = (len as u16).to_le_bytes();
            let o = if len == 0 && self.zero_empty {
                [0; 4]
            } else {
                ((base + off) as u32).to_le_bytes()
            };
            self.out[at..at + 8].copy_from_slice(&[l[0], l[1], l[0], l[1], o[0], o[1], o[2], o[3]]);
        }
        self.out.extend_from_slice(&self.payload);
        self.out
    }
}

/// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiateMessage {
    /// The client's NegotiateFlags.
    pub flags: NegotiateFlags,
    /// DomainName, OEM, when OEM_DOMAIN_SUPPLIED; usually empty.
    pub domain: Vec<u8>,
    /// Workstation, OEM, when OEM_WORKSTATION_SUPPLIED; usually empty.
    pub workstation: Vec<u8>,
    /// The VERSION structure, when the VERSION flag is set and the header has room.
    pub version: Option<NtlmVersion>,
}

impl NegotiateMessage {
    const FIXED: usize = 32;

    /// Decodes a NEGOTIATE message.
    pub fn decode(buf: &[u8]) -> Result<NegotiateMessage, NtlmDecodeError> {
        let mut r = header(buf, 1, Self::FIXED)?;
        let flags = NegotiateFlags(r.u32()?);
        let d = Field::read(&mut r)?;
        let w = Field::read(&mut r)?;
        let payload_start = [d.start(), w.start()].into_iter().flatten().min();
        let version = version_at(buf, flags, Self::FIXED, payload_start);
        let header_len = Self::FIXED + if version.is_some() { 8 } else { 0 };
        Ok(NegotiateMessage {
            flags,
            domain: d.slice(buf, header_len, "DomainName")?.to_vec(),
            workstation: w.slice(buf, header_len, "Workstation")?.to_vec(),
            version,
        })
    }

    /// Encodes the message; the VERSION is written when present.
    pub fn encode(&self) -> Vec<u8> {
        let header_len = Self::FIXED + if self.version.is_some() { 8 } else { 0 };
        let mut w = Writer::new(1, header_len);
        w.zero_empty = true;
        w.bytes(&self.flags.0.to_le_bytes());
        w.field(&self.domain);
        w.field(&self.workstation);
        if let Some(v) = self.version {
            w.bytes(&v.encode());
        }
        w.finish()
    }
}

/// Reads the VERSION at `at` when the flag says so and no payload starts before its end.
fn version_at(
    buf: &[u8],
    flags: NegotiateFlags,
    at: usize,
    payload_start: Option<usize>,
) -> Option<NtlmVersion> {
    if !flags.contains(NegotiateFlags::VERSION) || payload_start.is_some_and(|p| p < at + 8) {
        return None;
    }
    Reader::at(buf, at).array().ok().map(NtlmVersion::decode)
}

/// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// TargetName, in the encoding the flags give.
    pub target_name: Vec<u8>,
    /// The server's NegotiateFlags.
    pub flags: NegotiateFlags,
    /// The 8-byte server challenge.
    pub server_challenge: [u8; 8],
    /// The Reserved field, kept as sent.
    pub reserved: [u8; 8],
    /// TargetInfo, when the field is not empty.
    pub target_info: Option<AvPairs>,
    /// The VERSION structure.
    pub version: Option<NtlmVersion>,
}

impl ChallengeMessage {
    const FIXED: usize = 48;

    /// Decodes a CHALLENGE message.
    pub fn decode(buf: &[u8]) -> Result<ChallengeMessage, NtlmDecodeError> {
        let mut r = header(buf, 2, Self::FIXED)?;
        let t = Field::read(&mut r)?;
        let flags = NegotiateFlags(r.u32()?);
        let server_challenge = r.array()?;
        let reserved = r.array()?;
        let i = Field::read(&mut r)?;
        let payload_start = [t.start(), i.start()].into_iter().flatten().min();
        let version = version_at(buf, flags, Self::FIXED, payload_start);
        let header_len = Self::FIXED + if version.is_some() { 8 } else { 0 };
        let target_name = t.slice(buf, header_len, "TargetName")?.to_vec();
        let info = i.slice(buf, header_len, "TargetInfo")?;
        let target_info = if info.is_empty() {
            None
        } else {
            Some(AvPairs::decode(info)?)
        };
        Ok(ChallengeMessage {
            target_name,
            flags,
            server_challenge,
            reserved,
            target_info,
            version,
        })
    }

    /// Encodes the message.
    pub fn encode(&self) -> Vec<u8> {
        let header_len = Self::FIXED + if self.version.is_some() { 8 } else { 0 };
        let mut w = Writer::new(2, header_len);
        w.field(&self.target_name);
        w.bytes(&self.flags.0.to_le_bytes());
        w.bytes(&self.server_challenge);
        w.bytes(&self.reserved);
        w.field(
            &self
                .target_info
                .as_ref()
                .map(AvPairs::encode)
                .unwrap_or_default(),
        );
        if let Some(v) = self.version {
            w.bytes(&v.encode());
        }
        w.finish()
    }

    /// TargetName decoded by the flags.
    pub fn target_name_string(&self) -> String {
        decode_string(self.flags, &self.target_name)
    }
}

/// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticateMessage {
    /// LmChallengeResponse.
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse.
    pub nt_response: Vec<u8>,
    /// DomainName, in the encoding the flags give.
    pub domain: Vec<u8>,
    /// UserName, in the encoding the flags give.
    pub user: Vec<u8>,
    /// Workstation, in the encoding the flags give.
    pub workstation: Vec<u8>,
    /// EncryptedRandomSessionKey (empty without KEY_EXCH).
    pub encrypted_random_session_key: Vec<u8>,
    /// The client's NegotiateFlags.
    pub flags: NegotiateFlags,
    /// The VERSION structure.
    pub version: Option<NtlmVersion>,
    /// The MIC, when the header has room for one (payloads start at or after 88).
    pub mic: Option<[u8; 16]>,
}

impl AuthenticateMessage {
    const FIXED: usize = 64;

    /// Decodes an AUTHENTICATE message.
    pub fn decode(buf: &[u8]) -> Result<AuthenticateMessage, NtlmDecodeError> {
        let mut r = header(buf, 3, Self::FIXED)?;
        let lm = Field::read(&mut r)?;
        let nt = Field::read(&mut r)?;
        let d = Field::read(&mut r)?;
        let u = Field::read(&mut r)?;
        let ws = Field::read(&mut r)?;
        let k = Field::read(&mut r)?;
        let flags = NegotiateFlags(r.u32()?);
        let payload_start = [lm, nt, d, u, ws, k].iter().filter_map(|f| f.start()).min();
        let version = version_at(buf, flags, Self::FIXED, payload_start);
        let end = payload_start.unwrap_or(buf.len());
        let mic = if end >= MIC_OFFSET + 16 {
            Reader::at(buf, MIC_OFFSET).array().ok()
        } else {
            None
        };
        let header_len = if mic.is_some() {
            MIC_OFFSET + 16
        } else if version.is_some() {
            Self::FIXED + 8
        } else {
            Self::FIXED
        };
        Ok(AuthenticateMessage {
            lm_response: lm.slice(buf, header_len, "LmChallengeResponse")?.to_vec(),
            nt_response: nt.slice(buf, header_len, "NtChallengeResponse")?.to_vec(),
            domain: d.slice(buf, header_len, "DomainName")?.to_vec(),
            user: u.slice(buf, header_len, "UserName")?.to_vec(),
            workstation: ws.slice(buf, header_len, "Workstation")?.to_vec(),
            encrypted_random_session_key: k
                .slice(buf, header_len, "EncryptedRandomSessionKey")?
                .to_vec(),
            flags,
            version,
            mic,
        })
    }

    /// Encodes the message. With a MIC, the VERSION slot is written too (zeros when
    /// `version` is `None`) so that the MIC lands at [`MIC_OFFSET`].
    pub fn encode(&self) -> Vec<u8> {
        let header_len = if self.mic.is_some() {
            MIC_OFFSET + 16
        } else if self.version.is_some() {
            Self::FIXED + 8
        } else {
            Self::FIXED
        };
        let mut w = Writer::new(3, header_len);
        w.field(&self.lm_response);
        w.field(&self.nt_response);
        w.field(&self.domain);
        w.field(&self.user);
        w.field(&self.workstation);
        w.field(&self.encrypted_random_session_key);
        w.bytes(&self.flags.0.to_le_bytes());
        if self.version.is_some() || self.mic.is_some() {
            w.bytes(&self.version.map_or([0; 8], |v| v.encode()));
        }
        if let Some(m) = self.mic {
            w.bytes(&m);
        }
        w.finish()
    }

    /// UserName decoded by the flags.
    pub fn user_name(&self) -> String {
        decode_string(self.flags, &self.user)
    }

    /// DomainName decoded by the flags.
    pub fn domain_name(&self) -> String {
        decode_string(self.flags, &self.domain)
    }

    /// Workstation decoded by the flags.
    pub fn workstation_name(&self) -> String {
        decode_string(self.flags, &self.workstation)
    }
}
