//! The SPNEGO subset SMB2 carries in its security buffers (RFC 4178, MS-SPNG), in DER.
//!
//! ```text
//! InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//!     thisMech OID (1.3.6.1.5.5.2), innerContextToken NegotiationToken }
//! NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
//! NegTokenInit  ::= SEQUENCE { mechTypes [0], reqFlags [1]?, mechToken [2]?, mechListMIC [3]? }
//! NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1]?, mechToken [2]?,
//!                              negHints [3] NegHints?, mechListMIC [4]? }   (MS-SPNG 2.2.1)
//! NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED?, supportedMech [1] OID?,
//!                              responseToken [2] OCTET STRING?, mechListMIC [3] OCTET STRING? }
//! ```
//!
//! The reader is bounded: every length is checked against what remains before anything is
//! sliced or allocated, the indefinite form and lengths over four bytes are refused, the
//! nesting follows this fixed schema (never deeper than [`MAX_DEPTH`]), and trailing bytes
//! after a token or inside a SEQUENCE are errors. A bare NTLMSSP token (starting with
//! `NTLMSSP\0`) is accepted as [`GssToken::RawNtlmssp`].

use std::fmt;

use lwio_types::{ReadError, Reader};

use crate::ntlm::NTLMSSP_SIGNATURE;

/// DER content of the SPNEGO OID, 1.3.6.1.5.5.2.
pub const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER content of the NTLMSSP OID, 1.3.6.1.4.1.311.2.2.10.
pub const OID_NTLMSSP: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// DER content of the Kerberos 5 OID, 1.2.840.113554.1.2.2.
pub const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER content of Microsoft's legacy Kerberos OID, 1.2.840.48018.1.2.2.
pub const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// The negHints hintName servers send (MS-SPNG 3.2.5.2).
pub const NEG_HINT_NAME: &str = "not_defined_in_RFC4178@please_ignore";
/// The deepest nesting this reader follows.
pub const MAX_DEPTH: usize = 8;

/// Why a token did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpnegoError {
    /// The token ends inside a tag, length or value.
    #[error("SPNEGO token truncated")]
    Truncated,
    /// A tag other than the one the schema expects.
    #[error("unexpected DER tag {found:#04x}")]
    UnexpectedTag {
        /// The tag read.
        found: u8,
    },
    /// An indefinite, oversized or otherwise unusable length.
    #[error("bad DER length")]
    BadLength,
    /// Bytes after the end of a token or of a SEQUENCE.
    #[error("trailing bytes in SPNEGO token")]
    TrailingData,
    /// The GSS-API token is for a mechanism other than SPNEGO.
    #[error("not a SPNEGO token")]
    NotSpnego,
    /// A field appears twice, out of order, or has a bad value.
    #[error("malformed SPNEGO field")]
    BadField,
    /// The schema nests deeper than [`MAX_DEPTH`].
    #[error("SPNEGO token nested too deeply")]
    TooDeep,
}

/// An object identifier, kept as its DER content bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Oid(pub Vec<u8>);

impl Oid {
    /// The NTLMSSP mechanism.
    pub fn ntlmssp() -> Oid {
        Oid(OID_NTLMSSP.to_vec())
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut arcs = Vec::new();
        let mut v: u64 = 0;
        for &b in &self.0 {
            v = v.saturating_mul(128) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                arcs.push(v);
                v = 0;
            }
        }
        if let Some(&first) = arcs.first() {
            let (a, b) = if first < 80 {
                (first / 40, first % 40)
            } else {
                (2, first - 80)
            };
            write!(f, "{a}.{b}")?;
            for x in &arcs[1..] {
                write!(f, ".{x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// The negState of a NegTokenResp. Open: other values decode as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NegState(pub u8);

impl NegState {
    /// accept-completed.
    pub const ACCEPT_COMPLETED: NegState = NegState(0);
    /// accept-incomplete.
    pub const ACCEPT_INCOMPLETE: NegState = NegState(1);
    /// reject.
    pub const REJECT: NegState = NegState(2);
    /// request-mic.
    pub const REQUEST_MIC: NegState = NegState(3);
}

/// NegHints (MS-SPNG 2.2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegHints {
    /// hintName, a GeneralString.
    pub hint_name: Option<Vec<u8>>,
    /// hintAddress.
    pub hint_address: Option<Vec<u8>>,
}

/// NegTokenInit, or NegTokenInit2 when `neg_hints` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenInit {
    /// The mechanisms offered, most preferred first.
    pub mech_types: Vec<Oid>,
    /// reqFlags, the BIT STRING content as sent.
    pub req_flags: Option<Vec<u8>>,
    /// The optimistic token of the first mechanism.
    pub mech_token: Option<Vec<u8>>,
    /// negHints (NegTokenInit2 only).
    pub neg_hints: Option<NegHints>,
    /// mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

/// NegTokenResp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenResp {
    /// negState.
    pub neg_state: Option<NegState>,
    /// supportedMech.
    pub supported_mech: Option<Oid>,
    /// responseToken.
    pub response_token: Option<Vec<u8>>,
    /// mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

/// A security-buffer token as SMB2 SESSION_SETUP carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GssToken {
    /// A NegTokenInit (in an InitialContextToken).
    Init(NegTokenInit),
    /// A NegTokenResp.
    Resp(NegTokenResp),
    /// An NTLMSSP message sent without SPNEGO.
    RawNtlmssp(Vec<u8>),
}

// ---- DER reading ----

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const OID_TAG: u8 = 0x06;
const ENUMERATED: u8 = 0x0a;
const BIT_STRING: u8 = 0x03;
const GENERAL_STRING: u8 = 0x1b;
const APPLICATION_0: u8 = 0x60;

const fn ctx(n: u8) -> u8 {
    0xa0 | n
}

/// Reads one TLV: (tag, content, rest).
fn tlv(buf: &[u8]) -> Result<(u8, &[u8], &[u8]), SpnegoError> {
    let short = |_: ReadError| SpnegoError::Truncated;
    let mut r = Reader::new(buf);
    let tag = r.u8().map_err(short)?;
    if tag & 0x1f == 0x1f {
        // High tag numbers are not part of this schema.
        return Err(SpnegoError::UnexpectedTag { found: tag });
    }
    let first = r.u8().map_err(short)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // The long form: the low bits count the big-endian length octets that follow.
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(SpnegoError::BadLength);
        }
        r.take(n)
            .map_err(short)?
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b))
    };
    let content = r.take(len).map_err(short)?;
    Ok((tag, content, r.rest()))
}

/// Reads one TLV that must have `want` as its tag.
fn expect(buf: &[u8], want: u8) -> Result<(&[u8], &[u8]), SpnegoError> {
    let (tag, content, rest) = tlv(buf)?;
    if tag != want {
        return Err(SpnegoError::UnexpectedTag { found: tag });
    }
    Ok((content, rest))
}

/// Reads exactly one TLV with tag `want` filling `buf`.
fn only(buf: &[u8], want: u8) -> Result<&[u8], SpnegoError> {
    let (content, rest) = expect(buf, want)?;
    if !rest.is_empty() {
        return Err(SpnegoError::TrailingData);
    }
    Ok(content)
}

/// Walks the context-tagged elements of a SEQUENCE in increasing tag order.
fn fields(
    seq: &[u8],
    depth: usize,
    mut each: impl FnMut(u8, &[u8]) -> Result<(), SpnegoError>,
) -> Result<(), SpnegoError> {
    if depth > MAX_DEPTH {
        return Err(SpnegoError::TooDeep);
    }
    let mut rest = seq;
    let mut last: Option<u8> = None;
    while !rest.is_empty() {
        let (tag, content, r) = tlv(rest)?;
        if tag & 0xe0 != 0xa0 {
            return Err(SpnegoError::UnexpectedTag { found: tag });
        }
        let n = tag & 0x1f;
        if last.is_some_and(|l| n <= l) {
            return Err(SpnegoError::BadField);
        }
        last = Some(n);
        each(n, content)?;
        rest = r;
    }
    Ok(())
}

fn decode_init(content: &[u8], depth: usize) -> Result<NegTokenInit, SpnegoError> {
    let seq = only(content, SEQUENCE)?;
    let mut t = NegTokenInit::default();
    let mut saw_mechs = false;
    fields(seq, depth + 1, |n, c| {
        match n {
            0 => {
                let mut list = only(c, SEQUENCE)?;
                while !list.is_empty() {
                    let (oid, r) = expect(list, OID_TAG)?;
                    t.mech_types.push(Oid(oid.to_vec()));
                    list = r;
                }
                saw_mechs = true;
            }
            1 => t.req_flags = Some(only(c, BIT_STRING)?.to_vec()),
            2 => t.mech_token = Some(only(c, OCTET_STRING)?.to_vec()),
            3 if c.first() == Some(&SEQUENCE) => {
                let mut h = NegHints::default();
                fields(only(c, SEQUENCE)?, depth + 2, |n, c| {
                    match n {
                        0 => h.hint_name = Some(only(c, GENERAL_STRING)?.to_vec()),
                        1 => h.hint_address = Some(only(c, OCTET_STRING)?.to_vec()),
                        _ => return Err(SpnegoError::BadField),
                    }
                    Ok(())
                })?;
                t.neg_hints = Some(h);
            }
            3 | 4 => {
                if t.mech_list_mic.is_some() {
                    return Err(SpnegoError::BadField);
                }
                t.mech_list_mic = Some(only(c, OCTET_STRING)?.to_vec());
            }
            _ => return Err(SpnegoError::BadField),
        }
        Ok(())
    })?;
    if !saw_mechs {
        return Err(SpnegoError::BadField);
    }
    Ok(t)
}

fn decode_resp(content: &[u8], depth: usize) -> Result<NegTokenResp, SpnegoError> {
    let seq = only(content, SEQUENCE)?;
    let mut t = NegTokenResp::default();
    fields(seq, depth + 1, |n, c| {
        match n {
            0 => match only(c, ENUMERATED)? {
                [v] => t.neg_state = Some(NegState(*v)),
                _ => return Err(SpnegoError::BadField),
            },
            1 => t.supported_mech = Some(Oid(only(c, OID_TAG)?.to_vec())),
            2 => t.response_token = Some(only(c, OCTET_STRING)?.to_vec()),
            3 => t.mech_list_mic = Some(only(c, OCTET_STRING)?.to_vec()),
            _ => return Err(SpnegoError::BadField),
        }
        Ok(())
    })?;
    Ok(t)
}

impl GssToken {
    /// Decodes a security buffer.
    pub fn decode(buf: &[u8]) -> Result<GssToken, SpnegoError> {
        if buf.starts_with(&NTLMSSP_SIGNATURE) {
            return Ok(GssToken::RawNtlmssp(buf.to_vec()));
        }
        let (tag, content, rest) = tlv(buf)?;
        if !rest.is_empty() {
            return Err(SpnegoError::TrailingData);
        }
        match tag {
            APPLICATION_0 => {
                let (oid, inner) = expect(content, OID_TAG)?;
                if oid != OID_SPNEGO {
                    return Err(SpnegoError::NotSpnego);
                }
                let c = only(inner, ctx(0))?;
                Ok(GssToken::Init(decode_init(c, 1)?))
            }
            t if t == ctx(0) => Ok(GssToken::Init(decode_init(content, 0)?)),
            t if t == ctx(1) => Ok(GssToken::Resp(decode_resp(content, 0)?)),
            found => Err(SpnegoError::UnexpectedTag { found }),
        }
    }

    /// Encodes the token: an Init inside an InitialContextToken, a Resp bare, raw NTLMSSP
    /// as it is.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            GssToken::Init(t) => t.encode(),
            GssToken::Resp(t) => t.encode(),
            GssToken::RawNtlmssp(b) => b.clone(),
        }
    }

    /// The mechanism token inside: mechToken, responseToken, or the raw message.
    pub fn mech_token(&self) -> Option<&[u8]> {
        match self {
            GssToken::Init(t) => t.mech_token.as_deref(),
            GssToken::Resp(t) => t.response_token.as_deref(),
            GssToken::RawNtlmssp(b) => Some(b),
        }
    }
}

// ---- DER writing ----

fn put(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(content.len() + 6);
    put(&mut v, tag, content);
    v
}

fn explicit(out: &mut Vec<u8>, n: u8, inner_tag: u8, content: &[u8]) {
    put(out, ctx(n), &wrap(inner_tag, content));
}

impl NegTokenInit {
    /// Encodes the token inside an InitialContextToken (`60 ..`). With `neg_hints` set
    /// it is a NegTokenInit2 and the mechListMIC moves to tag \[4\].
    pub fn encode(&self) -> Vec<u8> {
        let mut mechs = Vec::new();
        for m in &self.mech_types {
            put(&mut mechs, OID_TAG, &m.0);
        }
        let mut seq = Vec::new();
        explicit(&mut seq, 0, SEQUENCE, &mechs);
        if let Some(f) = &self.req_flags {
            explicit(&mut seq, 1, BIT_STRING, f);
        }
        if let Some(t) = &self.mech_token {
            explicit(&mut seq, 2, OCTET_STRING, t);
        }
        let mic_tag = if let Some(h) = &self.neg_hints {
            let mut hs = Vec::new();
            if let Some(n) = &h.hint_name {
                explicit(&mut hs, 0, GENERAL_STRING, n);
            }
            if let Some(a) = &h.hint_address {
                explicit(&mut hs, 1, OCTET_STRING, a);
            }
            explicit(&mut seq, 3, SEQUENCE, &hs);
            4
        } else {
            3
        };
        if let Some(m) = &self.mech_list_mic {
            explicit(&mut seq, mic_tag, OCTET_STRING, m);
        }
        let mut inner = wrap(OID_TAG, OID_SPNEGO);
        put(&mut inner, ctx(0), &wrap(SEQUENCE, &seq));
        wrap(APPLICATION_0, &inner)
    }
}

impl NegTokenResp {
    /// Encodes the token (`a1 ..`).
    pub fn encode(&self) -> Vec<u8> {
        let mut seq = Vec::new();
        if let Some(s) = self.neg_state {
            explicit(&mut seq, 0, ENUMERATED, &[s.0]);
        }
        if let Some(m) = &self.supported_mech {
            explicit(&mut seq, 1, OID_TAG, &m.0);
        }
        if let Some(t) = &self.response_token {
            explicit(&mut seq, 2, OCTET_STRING, t);
        }
        if let Some(m) = &self.mech_list_mic {
            explicit(&mut seq, 3, OCTET_STRING, m);
        }
        wrap(ctx(1), &wrap(SEQUENCE, &seq))
    }
}

/// The DER `MechTypeList` (`SEQUENCE OF OBJECT IDENTIFIER`) of `mechs`: the bytes a
/// mechListMIC covers (RFC 4178 section 5).
pub fn mech_type_list(mechs: &[Oid]) -> Vec<u8> {
    let mut inner = Vec::new();
    for m in mechs {
        put(&mut inner, OID_TAG, &m.0);
    }
    wrap(SEQUENCE, &inner)
}

/// The security buffer a server puts in its NEGOTIATE response: a NegTokenInit2 offering
/// NTLMSSP, with the customary negHints.
pub fn server_negotiate_token() -> Vec<u8> {
    NegTokenInit {
        mech_types: vec![Oid::ntlmssp()],
        neg_hints: Some(NegHints {
            hint_name: Some(NEG_HINT_NAME.as_bytes().to_vec()),
            hint_address: None,
        }),
        ..NegTokenInit::default()
    }
    .encode()
}
