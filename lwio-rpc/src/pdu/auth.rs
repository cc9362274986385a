//! The authentication verifier (C706 13.2.6.1 `auth_verifier_co_t`, MS-RPCE 2.2.2.11
//! `sec_trailer`) carried at the end of any PDU whose `auth_length` is non-zero.
//!
//! ```text
//! ... body ... | auth_pad_length zero octets | auth_type(1) auth_level(1)
//! auth_pad_length(1) auth_reserved(1) auth_context_id(4) | auth_value[auth_length]
//! ```
//!
//! The sec_trailer starts at `frag_length - auth_length - 8`; the padding in front of it
//! aligns the stub data to 16 octets (MS-RPCE 2.2.2.11) and is not part of the stub. This
//! crate carries the bytes only: signing, sealing and the security providers live elsewhere.

use bytes::BufMut;

use super::codec::Reader;

/// Bytes of the sec_trailer header in front of `auth_value`.
pub const SEC_TRAILER_LEN: usize = 8;

open_enum! {
    /// `auth_type`: the security provider (MS-RPCE 2.2.1.1.7).
    pub struct AuthType(u8) {
        /// `RPC_C_AUTHN_NONE`.
        NONE = 0x00,
        /// `RPC_C_AUTHN_GSS_NEGOTIATE` (SPNEGO).
        GSS_NEGOTIATE = 0x09,
        /// `RPC_C_AUTHN_WINNT` (NTLM).
        WINNT = 0x0A,
        /// `RPC_C_AUTHN_GSS_SCHANNEL`.
        GSS_SCHANNEL = 0x0E,
        /// `RPC_C_AUTHN_GSS_KERBEROS`.
        GSS_KERBEROS = 0x10,
        /// `RPC_C_AUTHN_NETLOGON`.
        NETLOGON = 0x44,
        /// `RPC_C_AUTHN_DEFAULT`.
        DEFAULT = 0xFF,
    }
}

open_enum! {
    /// `auth_level` (MS-RPCE 2.2.1.1.8).
    pub struct AuthLevel(u8) {
        /// `RPC_C_AUTHN_LEVEL_DEFAULT`.
        DEFAULT = 0,
        /// `RPC_C_AUTHN_LEVEL_NONE`.
        NONE = 1,
        /// `RPC_C_AUTHN_LEVEL_CONNECT`.
        CONNECT = 2,
        /// `RPC_C_AUTHN_LEVEL_CALL`.
        CALL = 3,
        /// `RPC_C_AUTHN_LEVEL_PKT`.
        PKT = 4,
        /// `RPC_C_AUTHN_LEVEL_PKT_INTEGRITY`.
        PKT_INTEGRITY = 5,
        /// `RPC_C_AUTHN_LEVEL_PKT_PRIVACY`.
        PKT_PRIVACY = 6,
    }
}

/// A decoded sec_trailer and its `auth_value`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthVerifier {
    /// `auth_type`.
    pub auth_type: AuthType,
    /// `auth_level`.
    pub auth_level: AuthLevel,
    /// `auth_pad_length`: zero octets written between the body and the sec_trailer. The
    /// sender chooses it; see [`auth_pad_length`].
    pub pad_length: u8,
    /// `auth_reserved` (zero when sent).
    pub reserved: u8,
    /// `auth_context_id`.
    pub context_id: u32,
    /// `auth_value`: the security provider's token or signature (`auth_length` bytes).
    pub value: Vec<u8>,
}

impl AuthVerifier {
    /// Appends the padding, the 8-byte sec_trailer and `auth_value`.
    pub(crate) fn encode_into(&self, out: &mut impl BufMut) {
        out.put_bytes(0, usize::from(self.pad_length));
        out.put_u8(self.auth_type.0);
        out.put_u8(self.auth_level.0);
        out.put_u8(self.pad_length);
        out.put_u8(self.reserved);
        out.put_u32_le(self.context_id);
        out.put_slice(&self.value);
    }

    /// Bytes this verifier adds to a PDU (padding, sec_trailer, value).
    pub fn encoded_len(&self) -> usize {
        usize::from(self.pad_length) + SEC_TRAILER_LEN + self.value.len()
    }
}

/// The `auth_pad_length` that aligns `stub_len` octets of stub data to 16
/// (MS-RPCE 2.2.2.11). Bind-family bodies are already 4-aligned and use 0.
pub fn auth_pad_length(stub_len: usize) -> u8 {
    // Always < 16, so the cast cannot truncate.
    ((16 - stub_len % 16) % 16) as u8
}

/// Parses the 8-byte sec_trailer header (the value is sliced off by the caller).
pub(crate) fn parse_trailer(r: &mut Reader<'_>) -> Result<AuthVerifier, crate::RpcError> {
    Ok(AuthVerifier {
        auth_type: AuthType(r.u8()?),
        auth_level: AuthLevel(r.u8()?),
        pad_length: r.u8()?,
        reserved: r.u8()?,
        context_id: r.u32()?,
        value: Vec::new(),
    })
}
