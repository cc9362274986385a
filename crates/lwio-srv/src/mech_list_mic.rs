//! The SPNEGO mechListMIC a server returns with NTLMSSP (RFC 4178 section 5, MS-SPNG
//! 3.2.5.1): an NTLMSSP message signature (MS-NLMP 3.4.4.2, extended session security)
//! over the DER MechTypeList the client sent, made with the server-to-client signing key
//! and, when keys were exchanged, sealed with the server-to-client RC4 key. It is the
//! first message the server signs, so its sequence number is 0.

use hmac::{Hmac, Mac};
use lwio_auth::spnego::Oid;
use md5::{Digest, Md5};

const SIGN_MAGIC: &[u8] = b"session key to server-to-client signing key magic constant\0";
const SEAL_MAGIC: &[u8] = b"session key to server-to-client sealing key magic constant\0";

fn der(tag: u8, content: &[u8], out: &mut Vec<u8>) {
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

/// The DER MechTypeList (`SEQUENCE OF OBJECT IDENTIFIER`).
pub(crate) fn mech_type_list(mechs: &[Oid]) -> Vec<u8> {
    let mut inner = Vec::new();
    for m in mechs {
        der(0x06, &m.0, &mut inner);
    }
    let mut out = Vec::new();
    der(0x30, &inner, &mut out);
    out
}

/// The server's mechListMIC over `mech_list` with the exported session key.
pub(crate) fn server_mic(session_key: &[u8; 16], key_exchange: bool, mech_list: &[u8]) -> Vec<u8> {
    let sign_key: [u8; 16] = Md5::new()
        .chain_update(session_key)
        .chain_update(SIGN_MAGIC)
        .finalize()
        .into();
    let seal_key: [u8; 16] = Md5::new()
        .chain_update(session_key)
        .chain_update(SEAL_MAGIC)
        .finalize()
        .into();
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
