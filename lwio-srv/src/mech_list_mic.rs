//! The SPNEGO mechListMIC a server returns with NTLMSSP (RFC 4178 section 5, MS-SPNG
//! 3.2.5.1): an NTLMSSP message signature (MS-NLMP 3.4.4.2, extended session security)
//! over the DER MechTypeList the client sent, made with the server-to-client signing key
//! and, when keys were exchanged, sealed with the server-to-client RC4 key. It is the
//! first message the server signs, so its sequence number is 0.

use hmac::{Hmac, Mac};
use lwio_auth::ntlm::seal::{seal_key, sign_key};
use lwio_auth::ntlm::{NegotiateFlags, Role};
use md5::Md5;

/// The server's mechListMIC over `mech_list` with the exported session key.
pub(crate) fn server_mic(session_key: &[u8; 16], key_exchange: bool, mech_list: &[u8]) -> Vec<u8> {
    let sign_key = sign_key(session_key, Role::Server);
    // The whole 16-byte key goes into the sealing key (as with NEG_128).
    let seal_key = seal_key(session_key, NegotiateFlags::NEG_128, Role::Server);
    let seq = 0u32.to_le_bytes();
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(&sign_key).unwrap_or_else(|_| unreachable!());
    mac.update(&seq);
    mac.update(mech_list);
    let full = mac.finalize().into_bytes();
    let mut checksum = [0u8; 16];
    checksum[..8].copy_from_slice(&full[..8]);
    if key_exchange {
        checksum = lwio_auth::ntlm::rc4_16(&seal_key, &checksum);
    }
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&checksum[..8]);
    out.extend_from_slice(&seq);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lwio_auth::spnego::{Oid, mech_type_list};

    #[test]
    fn shapes() {
        let l = mech_type_list(&[Oid::ntlmssp()]);
        assert_eq!(&l[..4], &[0x30, 12, 0x06, 10]);
        let m = server_mic(&[1; 16], true, &l);
        assert_eq!(m.len(), 16);
        assert_eq!(&m[..4], &[1, 0, 0, 0]);
        assert_eq!(&m[12..], &[0, 0, 0, 0]);
        assert_ne!(server_mic(&[1; 16], false, &l), m);
    }
}
