//! NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4), the SMB1 multi-protocol negotiate (3.3.5.3.1),
//! and FSCTL_VALIDATE_NEGOTIATE_INFO (3.3.5.15.12), which needs the connection's state
//! and so is answered here rather than by the file handlers.
//!
//! What NEGOTIATE settles for signing and encryption:
//! - 2.0.2 and 2.1 sign with HMAC-SHA256 and do not encrypt;
//! - 3.0 and 3.0.2 sign with AES-CMAC and, when the client announces
//!   SMB2_GLOBAL_CAP_ENCRYPTION, encrypt with AES-128-CCM (the server answers with the
//!   capability);
//! - 3.1.1 answers SMB2_SIGNING_CAPABILITIES with the first algorithm of the client's list
//!   that it implements (all three: HMAC-SHA256, AES-CMAC, AES-GMAC; the client orders
//!   them by preference, 2.2.3.1.7), AES-CMAC when the client sends no such context, and
//!   SMB2_ENCRYPTION_CAPABILITIES with the first of the server's own order that the client
//!   offers (AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM, Windows' default order),
//!   or cipher 0 when none is common (the client then cannot encrypt), and
//!   SMB2_COMPRESSION_CAPABILITIES with the algorithms both have, in the client's order
//!   (`conn/compress.rs`; not answered when `Settings::compression` is empty). The
//!   other contexts are ignored (not answered). A request without exactly one preauth
//!   context, or with two encryption contexts, or (compression on) two compression
//!   contexts or one naming no algorithm, fails with STATUS_INVALID_PARAMETER
//!   (3.3.5.4); a second signing context is not answered.

use std::sync::Arc;

use lwio_auth::ntlm::server::system_filetime;
use lwio_auth::smb2sign::SigningAlgorithm as SignAlg;
use lwio_auth::smb3crypt::Cipher as CipherAlg;
use lwio_core::NtStatus;
use lwio_smb2::frame::Smb1Negotiate;
use lwio_smb2::ioctl::{ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse};
use lwio_smb2::negotiate::{Cipher, HashAlgorithm, PreauthIntegrity, SigningAlgorithm};
use lwio_smb2::{
    Capabilities, Command, CtlCode, Dialect, HEADER_LEN, Header, HeaderFlags, HeaderId,
    IoctlRequest, IoctlResponse, NegotiateContext, NegotiateRequest, NegotiateResponse,
    SecurityMode,
};

use crate::conn::chain::{Outcome, Response, Target};
use crate::conn::compress::Compression;
use crate::conn::{Conn, Negotiated};
use crate::signing::Signer;

/// The dialects this server speaks, most preferred first.
pub(crate) const DIALECTS: [Dialect; 5] = [
    Dialect::SMB_3_1_1,
    Dialect::SMB_3_0_2,
    Dialect::SMB_3_0,
    Dialect::SMB_2_1,
    Dialect::SMB_2_0_2,
];

fn security_mode(conn: &Conn) -> SecurityMode {
    if conn.srv.config.signing_required {
        SecurityMode::SIGNING_ENABLED | SecurityMode::SIGNING_REQUIRED
    } else {
        SecurityMode::SIGNING_ENABLED
    }
}

fn capabilities(dialect: Dialect) -> Capabilities {
    if dialect == Dialect::SMB_2_0_2 || dialect == Dialect::SMB_2_WILDCARD {
        Capabilities::empty()
    } else {
        // Leases: the file system's, mapped in `files/lease.rs` (2.1 and later).
        Capabilities::LARGE_MTU | Capabilities::LEASING
    }
}

/// The ciphers of 3.1.1, the server's preference first (Windows' default order).
pub(crate) const CIPHERS: [CipherAlg; 4] = [
    CipherAlg::Aes128Gcm,
    CipherAlg::Aes128Ccm,
    CipherAlg::Aes256Gcm,
    CipherAlg::Aes256Ccm,
];

/// The cipher for a 3.1.1 client offering `offered`: the server's first that the
/// client offers.
pub(crate) fn pick_cipher(offered: &[Cipher]) -> Option<CipherAlg> {
    CIPHERS
        .into_iter()
        .find(|c| offered.contains(&Cipher(c.id())))
}

/// The signing algorithm for a 3.1.1 client offering `offered`, most preferred first: the
/// first the server implements (all three are), else AES-CMAC.
pub(crate) fn pick_signing(offered: &[SigningAlgorithm]) -> SignAlg {
    offered
        .iter()
        .find_map(|a| match *a {
            SigningAlgorithm::HMAC_SHA256 => Some(SignAlg::HmacSha256),
            SigningAlgorithm::AES_CMAC => Some(SignAlg::AesCmac),
            SigningAlgorithm::AES_GMAC => Some(SignAlg::AesGmac),
            _ => None,
        })
        .unwrap_or(SignAlg::AesCmac)
}

fn signing_id(alg: SignAlg) -> SigningAlgorithm {
    match alg {
        SignAlg::HmacSha256 => SigningAlgorithm::HMAC_SHA256,
        SignAlg::AesGmac => SigningAlgorithm::AES_GMAC,
        _ => SigningAlgorithm::AES_CMAC,
    }
}

fn response(conn: &Conn, dialect: Dialect, contexts: Vec<NegotiateContext>) -> NegotiateResponse {
    let max = if dialect == Dialect::SMB_2_0_2 {
        65536
    } else {
        conn.srv.config.max_read_write
    };
    NegotiateResponse {
        security_mode: security_mode(conn),
        dialect,
        server_guid: conn.srv.server_guid,
        capabilities: capabilities(dialect),
        max_transact_size: max,
        max_read_size: max,
        max_write_size: max,
        system_time: system_filetime(),
        server_start_time: 0,
        security_buffer: lwio_auth::spnego::server_negotiate_token(),
        contexts,
    }
}

/// An SMB1 NEGOTIATE: answered with an SMB2 NEGOTIATE response when it offers SMB2
/// (0x02FF for "SMB 2.???", else 0x0202 for "SMB 2.002"); anything else closes. Returns
/// false to close the connection.
pub(crate) fn smb1(conn: &Arc<Conn>, msg: &[u8]) -> bool {
    let Ok(req) = Smb1Negotiate::decode(msg) else {
        return false;
    };
    let dialect = if req.offers_smb2_wildcard() {
        Dialect::SMB_2_WILDCARD
    } else if req.offers_smb2_002() {
        Dialect::SMB_2_0_2
    } else {
        return false;
    };
    {
        let mut st = conn.st.lock();
        if st.negotiated.is_some() || st.wildcard_sent {
            return false;
        }
        if conn.credits.lock().consume(0, 1).is_err() {
            return false;
        }
        if dialect == Dialect::SMB_2_WILDCARD {
            st.wildcard_sent = true;
        } else {
            st.negotiated = Some(Arc::new(Negotiated {
                dialect,
                client_guid: [0; 16],
                client_caps: Capabilities::empty(),
                client_security_mode: SecurityMode::empty(),
                client_dialects: vec![Dialect::SMB_2_0_2],
                server_security_mode: security_mode(conn),
                server_caps: capabilities(dialect),
                signing: SignAlg::HmacSha256,
                cipher: None,
                compression: Default::default(),
            }));
        }
    }
    let h = Header {
        command: Command::NEGOTIATE,
        credits: conn.grant(1),
        flags: HeaderFlags::SERVER_TO_REDIR,
        id: HeaderId::default(),
        ..Header::default()
    };
    let mut out = Vec::new();
    h.encode(&mut out);
    response(conn, dialect, Vec::new()).encode(&mut out);
    conn.send(out);
    true
}

/// An SMB2 NEGOTIATE.
pub(crate) fn smb2(conn: &Arc<Conn>, msg: &[u8], hdr: &Header) -> Outcome {
    let t = Target {
        req: hdr,
        session_id: 0,
        tree_id: 0,
        async_id: None,
    };
    if conn.st.lock().negotiated.is_some() {
        return Outcome::Close;
    }
    let Ok(req) = NegotiateRequest::decode(msg) else {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    };
    if hdr.flags.contains(HeaderFlags::SIGNED) {
        return Outcome::Reply(t.error(conn, NtStatus::INVALID_PARAMETER, Vec::new(), None));
    }
    let Some(dialect) = DIALECTS.into_iter().find(|d| req.dialects.contains(d)) else {
        return Outcome::Reply(t.error(conn, NtStatus::NOT_SUPPORTED, Vec::new(), None));
    };
    let mut contexts = Vec::new();
    let mut signing = match dialect {
        Dialect::SMB_2_0_2 | Dialect::SMB_2_1 => SignAlg::HmacSha256,
        _ => SignAlg::AesCmac,
    };
    let mut cipher = None;
    let mut compression = Compression::default();
    if (dialect == Dialect::SMB_3_0 || dialect == Dialect::SMB_3_0_2)
        && req.capabilities.contains(Capabilities::ENCRYPTION)
    {
        cipher = Some(CipherAlg::Aes128Ccm);
    }
    if dialect == Dialect::SMB_3_1_1 {
        let preauths = req
            .contexts
            .iter()
            .filter(|c| matches!(c, NegotiateContext::PreauthIntegrity(_)))
            .count();
        let ciphers = req
            .contexts
            .iter()
            .filter(|c| matches!(c, NegotiateContext::Encryption(_)))
            .count();
        // With compression on, at most one compression context, naming an algorithm.
        let ours = &conn.srv.config.compression;
        let bad_compression = !ours.is_empty() && {
            let offers: Vec<_> = req
                .contexts
                .iter()
                .filter_map(|c| match c {
                    NegotiateContext::Compression(cc) => Some(cc),
                    _ => None,
                })
                .collect();
            offers.len() > 1 || offers.iter().any(|cc| cc.algorithms.is_empty())
        };
        let preauth = req.contexts.iter().find_map(|c| match c {
            NegotiateContext::PreauthIntegrity(p) => Some(p),
            _ => None,
        });
        // Exactly one preauth context and at most one encryption context (3.3.5.4).
        match preauth {
            _ if preauths > 1 || ciphers > 1 || bad_compression => {
                return Outcome::Reply(t.error(
                    conn,
                    NtStatus::INVALID_PARAMETER,
                    Vec::new(),
                    None,
                ));
            }
            None => {
                return Outcome::Reply(t.error(
                    conn,
                    NtStatus::INVALID_PARAMETER,
                    Vec::new(),
                    None,
                ));
            }
            Some(p) if !p.hash_algorithms.contains(&HashAlgorithm::SHA512) => {
                return Outcome::Reply(t.error(
                    conn,
                    NtStatus(0xC000_05A0), // STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP
                    Vec::new(),
                    None,
                ));
            }
            Some(_) => {}
        }
        let mut salt = vec![0u8; 32];
        let _ = getrandom::fill(&mut salt);
        contexts.push(NegotiateContext::PreauthIntegrity(PreauthIntegrity {
            hash_algorithms: vec![HashAlgorithm::SHA512],
            salt,
        }));
        let mut signing_answered = false;
        for c in &req.contexts {
            match c {
                NegotiateContext::Encryption(offered) => {
                    cipher = pick_cipher(offered);
                    let id = cipher.map_or(Cipher::NONE, |c| Cipher(c.id()));
                    contexts.push(NegotiateContext::Encryption(vec![id]));
                }
                NegotiateContext::Compression(offered)
                    if !conn.srv.config.compression.is_empty() =>
                {
                    let (c, answer) = Compression::negotiate(offered, &conn.srv.config.compression);
                    compression = c;
                    contexts.push(answer);
                }
                // A second signing context is not answered again.
                NegotiateContext::Signing(algs) if !signing_answered => {
                    signing_answered = true;
                    signing = pick_signing(algs);
                    contexts.push(NegotiateContext::Signing(vec![signing_id(signing)]));
                }
                _ => {}
            }
        }
    }
    let mut body = response(conn, dialect, contexts);
    if cipher.is_some() && dialect != Dialect::SMB_3_1_1 {
        body.capabilities |= Capabilities::ENCRYPTION;
    }
    // Directory leasing (MS-SMB2 3.3.5.4: 3.x only; `files/lease.rs`), to a client that
    // announces it, as multichannel below: a client that does not (impacket) may not expect
    // it, and impacket's CREATE fails on every name at the share's root when it sees it.
    if conn.srv.config.directory_leasing
        && dialect.0 >= Dialect::SMB_3_0.0
        && req.capabilities.contains(Capabilities::DIRECTORY_LEASING)
    {
        body.capabilities |= Capabilities::DIRECTORY_LEASING;
    }
    // Multichannel (MS-SMB2 3.3.5.4: a 3.x client that announces it; `crate::channel`).
    if conn.srv.config.multichannel
        && dialect.0 >= Dialect::SMB_3_0.0
        && req.capabilities.contains(Capabilities::MULTI_CHANNEL)
    {
        body.capabilities |= Capabilities::MULTI_CHANNEL;
    }
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |out| body.encode(out));
    let mut st = conn.st.lock();
    if st.negotiated.is_some() {
        return Outcome::Close;
    }
    if dialect == Dialect::SMB_3_1_1 {
        st.preauth.update(msg);
        st.preauth.update(&bytes);
    }
    st.negotiated = Some(Arc::new(Negotiated {
        dialect,
        client_guid: req.client_guid,
        client_caps: req.capabilities,
        client_security_mode: req.security_mode,
        client_dialects: req.dialects,
        server_security_mode: body.security_mode,
        server_caps: body.capabilities,
        signing,
        cipher,
        compression,
    }));
    Outcome::Reply(Response {
        bytes,
        signer: None,
    })
}

/// FSCTL_VALIDATE_NEGOTIATE_INFO, if `msg` is one; `None` for any other IOCTL.
pub(crate) fn maybe_validate(
    conn: &Conn,
    neg: &Negotiated,
    msg: &[u8],
    t: &Target<'_>,
    signer: Option<Signer>,
) -> Option<Outcome> {
    // Every IOCTL passes here: look at its CtlCode (body offset 4) before decoding the
    // request, which copies the input buffer, so only VALIDATE_NEGOTIATE_INFO pays that.
    let ctl = msg.get(HEADER_LEN + 4..HEADER_LEN + 8)?;
    if ctl != CtlCode::VALIDATE_NEGOTIATE_INFO.0.to_le_bytes() {
        return None;
    }
    let req = IoctlRequest::decode(msg).ok()?;
    if neg.dialect == Dialect::SMB_3_1_1 {
        return Some(Outcome::Close);
    }
    let Ok(info) = ValidateNegotiateInfoRequest::decode(&req.input) else {
        return Some(Outcome::Close);
    };
    let out_len = ValidateNegotiateInfoResponse::LEN;
    if (req.max_output_response as usize) < out_len {
        return Some(Outcome::Reply(t.error(
            conn,
            NtStatus::INVALID_PARAMETER,
            Vec::new(),
            signer,
        )));
    }
    if info.capabilities != neg.client_caps
        || info.guid != neg.client_guid
        || info.security_mode != neg.client_security_mode
        || info.dialects != neg.client_dialects
    {
        tracing::warn!("VALIDATE_NEGOTIATE_INFO mismatch, closing");
        return Some(Outcome::Close);
    }
    let mut output = Vec::new();
    ValidateNegotiateInfoResponse {
        capabilities: neg.server_caps,
        guid: conn.srv.server_guid,
        security_mode: neg.server_security_mode,
        dialect: neg.dialect,
    }
    .encode(&mut output);
    let resp = IoctlResponse {
        ctl_code: req.ctl_code,
        file_id: req.file_id,
        input: Vec::new(),
        output,
        flags: 0,
    };
    let bytes = t.encode(conn, NtStatus::SUCCESS, None, |out| resp.encode(out));
    Some(Outcome::Reply(Response { bytes, signer }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_first_signing_algorithm_is_honoured() {
        use SigningAlgorithm as S;
        assert_eq!(pick_signing(&[S::HMAC_SHA256]), SignAlg::HmacSha256);
        assert_eq!(pick_signing(&[S::AES_CMAC, S::AES_GMAC]), SignAlg::AesCmac);
        assert_eq!(
            pick_signing(&[S(9), S::AES_GMAC, S::AES_CMAC]),
            SignAlg::AesGmac
        );
        assert_eq!(pick_signing(&[S(9)]), SignAlg::AesCmac);
        assert_eq!(pick_signing(&[]), SignAlg::AesCmac);
        for a in [SignAlg::HmacSha256, SignAlg::AesCmac, SignAlg::AesGmac] {
            assert_eq!(pick_signing(&[signing_id(a)]), a);
        }
    }

    #[test]
    fn the_servers_cipher_order_decides() {
        use Cipher as C;
        let all = [
            C::AES_256_CCM,
            C::AES_256_GCM,
            C::AES_128_CCM,
            C::AES_128_GCM,
        ];
        assert_eq!(pick_cipher(&all), Some(CipherAlg::Aes128Gcm));
        assert_eq!(
            pick_cipher(&[C::AES_128_CCM, C::AES_256_GCM]),
            Some(CipherAlg::Aes128Ccm)
        );
        assert_eq!(
            pick_cipher(&[C::AES_256_CCM, C::AES_256_GCM]),
            Some(CipherAlg::Aes256Gcm)
        );
        assert_eq!(pick_cipher(&[C::AES_256_CCM]), Some(CipherAlg::Aes256Ccm));
        assert_eq!(pick_cipher(&[C(7), C::NONE]), None);
    }
}
