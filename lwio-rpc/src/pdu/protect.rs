//! Per-PDU integrity and privacy with an NTLMSSP security context (MS-RPCE 3.3.1.5.2.2,
//! MS-NLMP 3.4): pure byte work on one encoded request or response fragment.
//!
//! ```text
//! | header 16 | alloc_hint p_cont_id opnum/cancel [object] | stub | pad | sec_trailer 8 | signature 16 |
//! |<------------------------------ signed (always) ------------------------->|
//!                                                      |<- sealed->|
//!                                                      (PKT_PRIVACY only)
//! ```
//!
//! NTLM signs every buffer it is given, so the signature covers the header, the body, the
//! auth padding and the sec_trailer whether or not PFC_SUPPORT_HEADER_SIGN was
//! negotiated (that flag changes what Kerberos signs, not NTLM). At PKT_PRIVACY the stub
//! data and its padding are sealed first; the signature is still taken over the
//! plaintext. Each fragment is protected on its own, in the order fragments travel.

use std::ops::Range;

use lwio_auth::ntlm::{NtlmSession, SessionSecurityError};

use super::{AuthLevel, HEADER_LEN, PduHeader, PduType, PfcFlags, SEC_TRAILER_LEN};
use crate::RpcError;

/// Bytes of an NTLMSSP signature, the `auth_value` of a protected fragment.
pub const NTLM_SIGNATURE_LEN: usize = 16;

/// Bytes one protected fragment spends on protection at most: up to 15 octets of auth
/// padding, the sec_trailer and the signature.
pub const PROTECTION_OVERHEAD: usize = 15 + SEC_TRAILER_LEN + NTLM_SIGNATURE_LEN;

/// Why a fragment could not be protected or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectError {
    /// The fragment is not a request or response, or its verifier does not have the
    /// shape of an NTLM signature.
    #[error("fragment layout: {0}")]
    Layout(&'static str),
    /// The header did not decode.
    #[error(transparent)]
    Header(#[from] RpcError),
    /// The security context refused the signature.
    #[error(transparent)]
    Security(#[from] SessionSecurityError),
}

/// The parts of one fragment: the sealed range and where the signature starts.
struct Layout {
    sealed: Range<usize>,
    signature_at: usize,
}

fn layout(frag: &[u8]) -> Result<Layout, ProtectError> {
    let header = PduHeader::decode(frag)?;
    if usize::from(header.frag_length) != frag.len() {
        return Err(ProtectError::Layout(
            "frag_length differs from the fragment",
        ));
    }
    if usize::from(header.auth_length) != NTLM_SIGNATURE_LEN {
        return Err(ProtectError::Layout("auth_length is not an NTLM signature"));
    }
    let body_start = match header.ptype {
        PduType::REQUEST if header.flags.contains(PfcFlags::OBJECT_UUID) => HEADER_LEN + 24,
        PduType::REQUEST | PduType::RESPONSE => HEADER_LEN + 8,
        _ => {
            return Err(ProtectError::Layout(
                "only requests and responses are protected",
            ));
        }
    };
    let signature_at = frag.len() - NTLM_SIGNATURE_LEN;
    let trailer_at = signature_at
        .checked_sub(SEC_TRAILER_LEN)
        .filter(|t| *t >= body_start)
        .ok_or(ProtectError::Layout("sec_trailer overlaps the body"))?;
    Ok(Layout {
        sealed: body_start..trailer_at,
        signature_at,
    })
}

/// Signs (PKT_INTEGRITY) or seals and signs (PKT_PRIVACY) an encoded fragment whose
/// verifier holds a 16-byte placeholder, writing the signature into it. Lower levels
/// leave the fragment as it is.
pub fn protect_fragment(
    frag: &mut [u8],
    level: AuthLevel,
    session: &mut NtlmSession,
) -> Result<(), ProtectError> {
    if level.0 < AuthLevel::PKT.0 {
        return Ok(());
    }
    let l = layout(frag)?;
    let (message, sig) = frag.split_at_mut(l.signature_at);
    let signature = if level == AuthLevel::PKT_PRIVACY {
        session.seal(message, l.sealed)?
    } else {
        session.sign(message)
    };
    sig.copy_from_slice(&signature);
    Ok(())
}

/// Checks a received fragment: verifies its signature (PKT, PKT_INTEGRITY) or unseals
/// its stub in place and verifies (PKT_PRIVACY). Lower levels accept it as it is.
pub fn unprotect_fragment(
    frag: &mut [u8],
    level: AuthLevel,
    session: &mut NtlmSession,
) -> Result<(), ProtectError> {
    if level.0 < AuthLevel::PKT.0 {
        return Ok(());
    }
    let l = layout(frag)?;
    let (message, sig) = frag.split_at_mut(l.signature_at);
    if level == AuthLevel::PKT_PRIVACY {
        session.unseal(message, l.sealed, sig)?;
    } else {
        session.verify(message, sig)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use lwio_auth::ntlm::{NegotiateFlags, Role};

    use super::*;
    use crate::pdu::{self, AuthType, AuthVerifier, Pdu, PduBody, Request, auth_pad_length};

    fn sessions() -> (NtlmSession, NtlmSession) {
        let f = NegotiateFlags::EXTENDED_SESSIONSECURITY
            | NegotiateFlags::KEY_EXCH
            | NegotiateFlags::NEG_128;
        (
            NtlmSession::new(&[4; 16], f, Role::Client).unwrap(),
            NtlmSession::new(&[4; 16], f, Role::Server).unwrap(),
        )
    }

    fn request(level: AuthLevel, stub: &[u8]) -> Vec<u8> {
        let pdu = Pdu {
            call_id: 3,
            flags: PfcFlags::FIRST_AND_LAST,
            body: PduBody::Request(Request {
                alloc_hint: 0,
                context_id: 0,
                opnum: 1,
                object: None,
                stub: stub.to_vec(),
            }),
            auth: Some(AuthVerifier {
                auth_type: AuthType::WINNT,
                auth_level: level,
                pad_length: auth_pad_length(stub.len()),
                reserved: 0,
                context_id: 1,
                value: vec![0; NTLM_SIGNATURE_LEN],
            }),
        };
        pdu::encode(&pdu)
    }

    #[test]
    fn privacy_round_trip_hides_the_stub() {
        let (mut c, mut s) = sessions();
        let stub = b"the secret stub data".to_vec();
        let mut frag = request(AuthLevel::PKT_PRIVACY, &stub);
        protect_fragment(&mut frag, AuthLevel::PKT_PRIVACY, &mut c).unwrap();
        assert!(!frag.windows(stub.len()).any(|w| w == stub.as_slice()));
        unprotect_fragment(&mut frag, AuthLevel::PKT_PRIVACY, &mut s).unwrap();
        let PduBody::Request(r) = pdu::decode(&frag).unwrap().body else {
            panic!("not a request");
        };
        assert_eq!(r.stub, stub);
    }

    #[test]
    fn integrity_covers_the_header() {
        let (mut c, mut s) = sessions();
        let mut frag = request(AuthLevel::PKT_INTEGRITY, b"abcd");
        protect_fragment(&mut frag, AuthLevel::PKT_INTEGRITY, &mut c).unwrap();
        frag[15] ^= 1; // call_id
        assert!(matches!(
            unprotect_fragment(&mut frag, AuthLevel::PKT_INTEGRITY, &mut s),
            Err(ProtectError::Security(_))
        ));
    }

    #[test]
    fn malformed_layouts_are_refused() {
        let (mut c, _) = sessions();
        // No verifier at all.
        let mut plain = pdu::encode(&Pdu::new(
            1,
            PfcFlags::FIRST_AND_LAST,
            PduBody::Request(Request::default()),
        ));
        assert!(matches!(
            protect_fragment(&mut plain, AuthLevel::PKT_INTEGRITY, &mut c),
            Err(ProtectError::Layout(_))
        ));
        // Truncated.
        let mut short = request(AuthLevel::PKT_INTEGRITY, b"abcd");
        short.truncate(20);
        assert!(protect_fragment(&mut short, AuthLevel::PKT_INTEGRITY, &mut c).is_err());
        // CONNECT level leaves anything alone.
        protect_fragment(&mut short, AuthLevel::CONNECT, &mut c).unwrap();
    }
}
